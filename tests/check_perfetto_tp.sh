#!/bin/sh
# Loads the Perfetto export of every bundled scenario into Perfetto's own
# importer (trace_processor_shell, built from Perfetto's source and put at
# ../shared/perfetto/trace_processor_shell) and checks that its stats table has
# no error or data-loss entry and that it found as many thread tracks, slices,
# counter values and flows as our own decoder reads in the file (pfcount).
# Exits 77 (ctest: skipped) when trace_processor_shell is not there.
weft=$1; src=$2; pfcount=$3; tp=$4
if [ ! -x "$tp" ]; then
  echo "SKIP: $tp not found: Perfetto's trace_processor_shell (built from Perfetto's source) is needed" \
       "to load the exports; nothing was checked"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bad=0
q() { "$tp" -Q "$1" "$2" 2>"$dir/tp.err" | tr -d '"\r' | tail -n +2; }
for f in "$src"/scenarios/*.scn; do
  s=$(basename "$f" .scn)
  "$weft" run "$f" -o "$dir/$s.weft" --quiet >/dev/null 2>&1
  [ -s "$dir/$s.weft" ] || { echo "$s: no recording"; bad=1; continue; }
  "$weft" export "$dir/$s.weft" -o "$dir/$s.pftrace" >/dev/null || { echo "$s: export failed"; bad=1; continue; }
  t=$dir/$s.pftrace
  errs=$(q "$t" "select name || ' ' || severity || ' ' || value from stats where severity in ('error', 'data_loss') and value > 0")
  if [ -n "$errs" ]; then echo "$s: trace_processor stats: $errs"; bad=1; fi
  "$pfcount" "$t" > "$dir/want" || { bad=1; continue; }
  {
    echo "thread_tracks $(q "$t" 'select count(*) from thread_track')"
    echo "slices $(q "$t" 'select count(*) from slice')"
    echo "counters $(q "$t" 'select count(*) from counter')"
    echo "flows $(q "$t" 'select count(*) from flow')"
  } > "$dir/got"
  if ! diff -u "$dir/want" "$dir/got" > "$dir/diff"; then
    echo "$s: trace_processor imported other counts than the file holds:"; cat "$dir/diff"; cat "$dir/tp.err"; bad=1
  fi
done
[ $bad -eq 0 ] && echo "trace_processor: every bundled scenario's export loads cleanly"
exit $bad
