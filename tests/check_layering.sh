#!/bin/sh
# Enforces DESIGN.md's layering. Exit 1 with the offending lines on a violation.
top=${1:-.}
cd "$top" || exit 2
bad=0
report() { echo "layering: $1"; echo "$2"; bad=1; }
out=$(grep -nE '#include +"(sim|render|cli)/' base/*.[ch] traces/*.[ch] 2>/dev/null) && report "base/ and traces/ include only base/ and traces/" "$out"
out=$(grep -nE '#include +"(render|cli)/' sim/*.[ch] 2>/dev/null) && report "sim/ must not include render/ or cli/" "$out"
out=$(grep -nE '#include +"(sim|cli)/' render/*.[ch] 2>/dev/null) && report "render/ must not include sim/ or cli/" "$out"
out=$(grep -nE '#include +[<"]SDL' base/*.[ch] traces/*.[ch] sim/*.[ch] cli/*.[ch] 2>/dev/null) && report "SDL only in render/rdr_sdl*" "$out"
out=$(ls render/*.c 2>/dev/null | grep -v '/rdr_sdl' | xargs -r grep -nE '#include +[<"]SDL') && report "SDL only in render/rdr_sdl*" "$out"
out=$(grep -nE '\b(printf|puts|perror|exit) *\(|fprintf *\( *std(out|err)' base/*.c traces/*.c sim/*.c render/*.c 2>/dev/null | grep -v 'BUG\|bug_at\|base/base.c:.*stderr') && report "library code never prints or exits" "$out"
for f in base traces sim render cli; do
  out=$(grep -nE '#include +"[a-z]+/[a-z_]+_internal\.h"' */*.[ch] tests/*.c tests/fuzz/*.c 2>/dev/null | grep -v "^$f/" | grep "\"$f/") \
    && report "a *_internal.h is included only inside its own folder" "$out"
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
