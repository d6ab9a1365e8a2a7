#!/usr/bin/env bash
# Builds one fuzz target with clang (libFuzzer + ASan + UBSan) and runs it.
#   tests/fuzz/run.sh TARGET [SECONDS] [WORK_DIR]
# TARGET: parse     the scenario parser (fuzz_parse.c)
#         weft      the .weft reader and the model, CRCs as they are and recomputed (fuzz_weft.c)
#         pipeline  reader, model, stats, Perfetto export, headless render (fuzz_pipeline.c)
# It starts from the kept corpus (tests/fuzz/corpus/TARGET) and every regression
# input (tests/fuzz/regressions/); new inputs go to WORK_DIR/corpus_TARGET, a crash
# to WORK_DIR/crash-*: each finding belongs in tests/fuzz/regressions/TARGET/, where
# the fuzz_regressions_* ctests replay it without libFuzzer. To refresh the kept
# corpus: ./WORK_DIR/fuzz_TARGET -merge=1 tests/fuzz/corpus/TARGET WORK_DIR/corpus_TARGET
# Exits 77 (ctest: skipped) when clang cannot build a libFuzzer binary.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-parse}; secs=${2:-600}; work=${3:-$here/build-fuzz}
case $target in parse|weft|pipeline) ;; *) echo "usage: $0 parse|weft|pipeline [seconds] [work dir]" >&2; exit 2 ;; esac

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz $target: skipped: clang is not installed (Debian: apt-get install clang)"; exit 77
fi
mkdir -p "$work"
probe=$work/probe_libfuzzer
if ! echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
     clang -x c -fsanitize=fuzzer,address - -o "$probe" >/dev/null 2>&1; then
  echo "fuzz $target: skipped: clang cannot link libFuzzer (Debian: apt-get install libclang-rt-dev)"; exit 77
fi

flags=(-g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$here")
srcs=("$here"/base/*.c "$here"/traces/*.c "$here/tests/fuzz/fuzz_crc.c")
libs=(-lpthread -lm)
case $target in
  parse) srcs+=("$here"/sim/*.c "$here"/sim/*.S) ;;   # the .S of other machines assemble to nothing
  pipeline)
    srcs+=("$here"/render/*.c)
    read -r -a sdl <<<"$(pkg-config --cflags --libs sdl2 SDL2_ttf)"
    libs+=("${sdl[@]}") ;;
esac
bin=$work/fuzz_$target
# rebuilt only when a source is newer than the binary
if [ ! -x "$bin" ] || [ -n "$(find "$here"/base "$here"/traces "$here"/sim "$here"/render "$here"/tests/fuzz \
                               -name '*.[chS]' -newer "$bin" -print -quit)" ]; then
  echo "fuzz $target: building $bin"
  clang "${flags[@]}" "$here/tests/fuzz/fuzz_$target.c" "${srcs[@]}" "${libs[@]}" -o "$bin"
fi

corpus=$work/corpus_$target; mkdir -p "$corpus"
kept=$here/tests/fuzz/corpus/$target; mkdir -p "$kept"
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-dummy}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}
cd "$work"
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$corpus" "$kept" "$here/tests/fuzz/regressions"
