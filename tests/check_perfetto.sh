#!/bin/sh
# Runs bundled scenarios, exports each and checks the trace with the shared
# checker in strict mode (a warning fails too).
#   check_perfetto.sh WEFT SRC PYTHON CHECKER [procs|coro]
# procs: the processes backend's scenarios (several are multi-run recordings:
# backends, sweeps), a ctest of their own as they fork and exec; coro: the
# coroutines backend's, run on the virtual clock (exact: their expectations on
# time cannot fail on a loaded machine); else every other bundled scenario
# (with one coroutine lesson, scenario 18's, on the real clock).
weft=$1; src=$2; py=$3; checker=$4; which=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
procs="process_ipc_mechanisms process_ipc_pipe_eof_hang process_ipc_pipe_eof_fixed process_ipc_join_before_drain
  process_ipc_state_after_fork process_pool_startup_and_pickling shared_memory_sync_hazards shared_memory_self_deadlock
  producer_consumer_processes race_lost_update_counter_processes deadlock_lock_ordering_processes
  daemon_vs_nondaemon_exit_processes executor_shutdown_modes_processes bank_account_manager_copy"
is_proc() { for p in $procs; do [ "$p" = "$1" ] && return 0; done; return 1; }
coros="io_bound_serial_vs_threads_vs_async producer_consumer_three_backends async_gather_vs_sequential
  async_semaphore_rate_limit async_timeout_and_cancellation async_blocking_call_in_loop retry_with_backoff
  async_task_manager"
is_coro() { for p in $coros; do [ "$p" = "$1" ] && return 0; done; [ "$which" = coro ] && [ "$1" = async_thread_local_vs_context ]; }
bad=0
n=0
for f in "$src"/scenarios/*.scn; do
  s=$(basename "$f" .scn)
  clock=real
  if [ "$which" = procs ]; then is_proc "$s" || continue
  elif [ "$which" = coro ]; then is_coro "$s" || continue; clock=virtual
  else is_proc "$s" && continue; is_coro "$s" && continue; fi
  n=$((n + 1))
  "$weft" run "$f" -o "$dir/$s.weft" --quiet --clock "$clock" >/dev/null 2>&1
  [ -s "$dir/$s.weft" ] || { echo "$s: no recording"; bad=1; continue; }
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace" >/dev/null || { echo "$s: export failed"; bad=1; continue; }
  "$py" "$checker" --strict --quiet "$dir/$s.pftrace" || { echo "$s: check_semantics.py --strict failed"; bad=1; }
done
[ "$n" -gt 0 ] || { echo "no scenario checked"; exit 1; }
echo "$n scenario(s) checked"
exit $bad
