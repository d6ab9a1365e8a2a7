#!/bin/sh
# check_pf_equiv.sh OLD_WEFT NEW_WEFT PFEQUIV RECORDING...
# Exports each recording with two weft binaries (e.g. main's and a branch's)
# and checks that: the Perfetto traces are the same trace (pfequiv: the same
# packets per sequence, and decoded, the same tracks and per track the same
# events in time order; recordings over 100 MB: the packet comparison only),
# json and text exports and stats (text and --json) are byte-identical, and
# both print the same on stderr with the same exit status. Not a ctest (it
# needs another version's binary); prints one line per recording, exits 1 on
# any difference.
old=$1; new=$2; eq=$3; shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bad=0
for rec in "$@"; do
  name=$(basename "$rec")
  "$old" export "$rec" -o "$dir/a.pftrace" >/dev/null 2>"$dir/a.err"; ra=$?
  "$new" export "$rec" -o "$dir/b.pftrace" >/dev/null 2>"$dir/b.err"; rb=$?
  sed "s|$dir/a|OUT|g" "$dir/a.err" >"$dir/a.err2"; sed "s|$dir/b|OUT|g" "$dir/b.err" >"$dir/b.err2"
  if [ $ra -ne $rb ] || ! cmp -s "$dir/a.err2" "$dir/b.err2"; then
    echo "$name: perfetto: exit $ra against $rb, or stderr differs"; diff "$dir/a.err2" "$dir/b.err2" | head -5; bad=1; continue
  fi
  if [ $ra -ne 0 ]; then echo "$name: both refuse it (exit $ra)"; continue; fi
  size=$(stat -c %s "$rec")
  if [ "$size" -gt 100000000 ]; then res=$("$eq" "$dir/a.pftrace" "$dir/b.pftrace" --packets); else res=$("$eq" "$dir/a.pftrace" "$dir/b.pftrace"); fi
  [ $? -eq 0 ] || bad=1
  same=ok
  for f in "export -f json -o -" "export -f text -o -" "stats" "stats --json"; do
    "$old" $f "$rec" >"$dir/a.out" 2>"$dir/a.err"; ra=$?
    "$new" $f "$rec" >"$dir/b.out" 2>"$dir/b.err"; rb=$?
    if [ $ra -ne $rb ] || ! cmp -s "$dir/a.out" "$dir/b.out" || ! cmp -s "$dir/a.err" "$dir/b.err"; then same="'$f' DIFFERS"; bad=1; fi
  done
  echo "$name: perfetto $res; json, text, stats: $same"
done
exit $bad
