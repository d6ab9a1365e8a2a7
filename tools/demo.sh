#!/usr/bin/env bash
# The main job on a bundled scenario: installs what is missing, builds, runs
# scenarios/producer_consumer.scn on real threads, writes the recording and a
# Perfetto trace, prints the stats, and opens the viewer (or, with no display,
# writes a PNG of the timeline).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/tools/setup.sh" "$here/build"
mkdir -p "$here/out"
exec "$here/build/weft" run "$here/scenarios/${1:-producer_consumer}.scn" \
  -o "$here/out/${1:-producer_consumer}.weft" \
  --export "$here/out/${1:-producer_consumer}.pftrace" --view
