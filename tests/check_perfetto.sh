#!/bin/sh
# Runs bundled scenarios, exports each and checks the trace with the shared
# checker in strict mode (a warning fails too).
#   check_perfetto.sh WEFT SRC PYTHON CHECKER [procs|gil|coro|on:BACKEND]
# procs: the processes backend's scenarios (several are multi-run recordings:
# backends, sweeps), a ctest of their own as they fork and exec; gil: the GIL's
# scenarios (long computes, shortened here by -D), a ctest of their own; coro:
# the coroutines backend's, run on the virtual clock (exact: their expectations
# on time cannot fail on a loaded machine); on:BACKEND: every bundled scenario
# whose own backend is another one, run on BACKEND (on the virtual clock for
# coroutines; a scenario with a construct that has no meaning there is refused
# with exit status 2 at its check: skipped, and said); else every other
# bundled scenario on its own backend (with one coroutine lesson, scenario
# 18's, on the real clock).
weft=$1; src=$2; py=$3; checker=$4; which=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
procs="process_ipc_mechanisms process_ipc_pipe_eof_hang process_ipc_pipe_eof_fixed process_ipc_join_before_drain
  process_ipc_state_after_fork process_pool_startup_and_pickling shared_memory_sync_hazards shared_memory_self_deadlock
  producer_consumer_processes race_lost_update_counter_processes deadlock_lock_ordering_processes
  daemon_vs_nondaemon_exit_processes executor_shutdown_modes_processes bank_account_manager_copy
  producer_consumer_three_backends io_bound_serial_vs_threads_vs_async coroutines_vs_threads_vs_processes_memory"
gils="gil_cpu_bound_threads_vs_processes gil_switch_interval_convoy thread_pool_sizing_cpu thread_pool_sizing_io
  thread_pool_sizing_mixed race_lost_update_counter_gil"
is_proc() { for p in $procs; do [ "$p" = "$1" ] && return 0; done; return 1; }
coros="async_gather_vs_sequential
  async_semaphore_rate_limit async_timeout_and_cancellation async_blocking_call_in_loop retry_with_backoff
  async_task_manager"
is_coro() { for p in $coros; do [ "$p" = "$1" ] && return 0; done; [ "$which" = coro ] && [ "$1" = async_thread_local_vs_context ]; }
is_gil() { for p in $gils; do [ "$p" = "$1" ] && return 0; done; return 1; }
# the backends a scenario runs on by itself: every word of its `backend` and
# `backends` lines (`backend X`, `backends X, Y`, `backend X if EXPR`); threads
# when it has none
own_backends() {
  b=$(sed -n 's/^backends\{0,1\}[[:space:]]\{1,\}\([^#]*\).*/\1/p' "$1" | tr ',' ' ')
  echo "${b:-threads}"
}
runs_on() { for b in $(own_backends "$1"); do [ "$b" = "$2" ] && return 0; done; return 1; }
# The runs go three at a time (most of a scenario's time is its sleeps and
# waits; WEFT_CHECK_JOBS sets how many), then each recording is exported and
# checked in turn.
jobs=${WEFT_CHECK_JOBS:-3}
list=""
for f in "$src"/scenarios/*.scn; do
  s=$(basename "$f" .scn)
  case $which in
    procs) is_proc "$s" || continue ;;
    gil)   is_gil "$s" || continue ;;
    coro)  is_coro "$s" || continue ;;
    on:*)  runs_on "$f" "${which#on:}" && continue ;;
    *)     { is_proc "$s" || is_gil "$s" || is_coro "$s"; } && continue ;;
  esac
  list="$list $s"
done
backend=""
case $which in on:*) backend=${which#on:} ;; esac
clock=real
case $which in coro|on:coroutines) clock=virtual ;; esac
run_one() {   # scenario name: its recording, its output and its exit status in $dir
  s=$1
  case $s in   # the longest computes and the biggest sweeps shortened to keep the suite fast
    gil_cpu_bound_threads_vs_processes) short="-D work=20ms" ;;
    gil_switch_interval_convoy)         short="-D wakes=3" ;;
    thread_pool_sizing_*)               short="-D workers=4" ;;
    process_ipc_mechanisms)             short="-D msgs=200" ;;
    coroutines_vs_threads_vs_processes_memory) short="-D n=200" ;;   # a TSan build runs at most 240 tasks at once
    *)                                  short="" ;;
  esac
  # shellcheck disable=SC2086
  "$weft" run "$src/scenarios/$s.scn" -o "$dir/$s.weft" --quiet ${backend:+--backend "$backend"} --clock "$clock" $short \
    >"$dir/$s.out" 2>&1
  echo $? >"$dir/$s.rc"
}
k=0
for s in $list; do
  run_one "$s" &
  k=$((k + 1))
  [ $((k % jobs)) -eq 0 ] && wait
done
wait
bad=0
n=0
skipped=0
for s in $list; do
  if [ -n "$backend" ] && [ "$(cat "$dir/$s.rc")" = 2 ] && [ ! -s "$dir/$s.weft" ]; then
    echo "$s: not on $backend: $(head -n 1 "$dir/$s.out")"
    skipped=$((skipped + 1))
    continue
  fi
  n=$((n + 1))
  [ -s "$dir/$s.weft" ] || { echo "$s: no recording"; head -n 3 "$dir/$s.out"; bad=1; continue; }
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace" >/dev/null || { echo "$s: export failed"; bad=1; continue; }
  "$py" "$checker" --strict --quiet "$dir/$s.pftrace" || { echo "$s: check_semantics.py --strict failed"; bad=1; }
done
[ "$n" -gt 0 ] || { echo "no scenario checked"; exit 1; }
echo "$n scenario(s) checked${backend:+ on $backend}, $skipped skipped"
exit $bad
