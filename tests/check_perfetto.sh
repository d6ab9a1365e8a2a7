#!/bin/sh
# Runs a bundled scenario, exports it and checks the trace with the shared checker.
set -e
weft=$1; src=$2; py=$3; checker=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for s in producer_consumer lock_contention rwlock_readers_writers queue_kinds_and_join producer_consumer_textbook_zh \
         producer_consumer_sentinels dining_philosophers \
         io_bound_serial_vs_threads_vs_async producer_consumer_three_backends async_gather_vs_sequential \
         async_semaphore_rate_limit async_timeout_and_cancellation async_blocking_call_in_loop retry_with_backoff \
         async_task_manager async_thread_local_vs_context; do
  "$weft" run "$src/scenarios/$s.scn" -o "$dir/$s.weft" --quiet
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace"
  "$py" "$checker" "$dir/$s.pftrace"
done
