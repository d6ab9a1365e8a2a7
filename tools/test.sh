#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest).
#   tools/test.sh            the normal build
#   tools/test.sh --asan     under AddressSanitizer + UBSan (build-asan/)
#   tools/test.sh --tsan     under ThreadSanitizer (build-tsan/)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  --asan) build=$here/build-asan; args=(-DWEFT_ASAN=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  --tsan) build=$here/build-tsan; args=(-DWEFT_TSAN=ON) ;;
  "")     build=$here/build; args=() ;;
  *) echo "usage: tools/test.sh [--asan|--tsan]" >&2; exit 2 ;;
esac
"$here/tools/setup.sh" "$build" "${args[@]}"
cd "$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:suppressions=$here/tests/tsan.supp}
ctest --output-on-failure -j2 --timeout 600
