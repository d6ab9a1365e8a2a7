#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs one.
#   tests/fuzz/run.sh parse|weft [seconds]
# Corpora are seeded from scenarios/ and from recordings of them; crashes are
# written to tests/fuzz/crashes/ and belong in the regression tests.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-parse}; secs=${2:-600}
out=$here/build-fuzz; mkdir -p "$out" "$here/tests/fuzz/crashes"
flags="-g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$here"
srcs="$here/base/base.c $here/base/base_utf8.c $here/traces/trc_file.c $here/traces/trc_model.c $here/traces/trc_names.c"
case $target in
  parse) for f in lex diag names expr stmt decl define check eval parse; do srcs="$srcs $here/sim/sim_$f.c"; done ;;
  weft) ;;
  *) echo "usage: $0 parse|weft [seconds]" >&2; exit 2 ;;
esac
clang $flags "$here/tests/fuzz/fuzz_$target.c" $srcs -lpthread -lm -o "$out/fuzz_$target"
corpus=$out/corpus_$target; mkdir -p "$corpus"
if [ "$target" = parse ]; then
  cp "$here"/scenarios/*.scn "$corpus"/
  # and every example of the language reference, one file per fenced block
  awk -v dir="$corpus" '/^```/ { if (inb) { close(f); inb = 0 } else { n++; f = dir "/readme_" n ".scn"; inb = 1 } next }
                        inb { print > f }' "$here/scenarios/README.md"
else
  for s in "$here"/scenarios/*.scn; do
    "$here/build/weft" run "$s" -o "$corpus/$(basename "$s" .scn).weft" --quiet >/dev/null 2>&1 || true
  done
fi
cd "$out"
exec "./fuzz_$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$here/tests/fuzz/crashes/" "$corpus"
