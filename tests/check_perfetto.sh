#!/bin/sh
# Runs bundled scenarios, exports them and checks each trace with the shared checker
# (--strict: warnings fail too).
#   check_perfetto.sh WEFT SRC PYTHON CHECKER [--virtual] [SCENARIO...]
# Without scenarios: the threads ones, and one of coroutines on the real clock. --virtual runs
# them on the virtual clock: exact, so their expectations on time cannot fail on a loaded
# machine (the perfetto_semantics_coro ctest, the coroutine scenarios).
set -e
weft=$1; src=$2; py=$3; checker=$4
shift 4
clock=real
if [ "${1:-}" = "--virtual" ]; then clock=virtual; shift; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ $# -eq 0 ]; then
  set -- producer_consumer lock_contention rwlock_readers_writers queue_kinds_and_join producer_consumer_textbook_zh \
         producer_consumer_sentinels dining_philosophers async_thread_local_vs_context
fi
for s in "$@"; do
  "$weft" run "$src/scenarios/$s.scn" -o "$dir/$s.weft" --quiet --clock "$clock"
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace"
  "$py" "$checker" --strict "$dir/$s.pftrace"
done
