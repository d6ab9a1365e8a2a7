#!/bin/sh
# Runs bundled scenarios, exports them and checks each trace with the shared checker
# (--strict: warnings fail too). Usage: check_perfetto.sh WEFT SRC PYTHON CHECKER [SCENARIO...]
# (without scenarios: the threads ones; the perfetto_semantics_coro ctest names the coroutines').
set -e
weft=$1; src=$2; py=$3; checker=$4
shift 4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ $# -eq 0 ]; then
  set -- producer_consumer lock_contention rwlock_readers_writers queue_kinds_and_join producer_consumer_textbook_zh \
         producer_consumer_sentinels dining_philosophers
fi
for s in "$@"; do
  "$weft" run "$src/scenarios/$s.scn" -o "$dir/$s.weft" --quiet
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace"
  "$py" "$checker" --strict "$dir/$s.pftrace"
done
