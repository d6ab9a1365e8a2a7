#!/bin/sh
# Runs bundled scenarios, exports each and checks the trace with the shared checker.
#   check_perfetto.sh WEFT SRC PYTHON CHECKER [procs]
# procs: the processes backend's scenarios (several are multi-run recordings:
# backends, sweeps), a ctest of their own; else the others.
set -e
weft=$1; src=$2; py=$3; checker=$4; which=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "$which" = procs ]; then
  list="process_ipc_mechanisms process_ipc_pipe_eof_hang process_ipc_pipe_eof_fixed process_ipc_join_before_drain
    process_ipc_state_after_fork process_pool_startup_and_pickling shared_memory_sync_hazards shared_memory_self_deadlock
    producer_consumer_processes race_lost_update_counter_processes deadlock_lock_ordering_processes
    daemon_vs_nondaemon_exit_processes executor_shutdown_modes_processes bank_account_manager_copy"
else
  list="producer_consumer lock_contention rwlock_readers_writers queue_kinds_and_join producer_consumer_textbook_zh
    producer_consumer_sentinels dining_philosophers deadlock_timeout_release_not_owned future_errors_retry"
fi
for s in $list; do
  "$weft" run "$src/scenarios/$s.scn" -o "$dir/$s.weft" --quiet
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace"
  "$py" "$checker" "$dir/$s.pftrace"
done
