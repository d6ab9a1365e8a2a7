#!/bin/sh
# Enforces DESIGN.md's layering and the runtime's platform seam (sim/sim_platform.h).
# Exit 1 with the offending lines on a violation.
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

# The seam: threads, processes, context switches, sleeping and yielding belong to the
# platform files (sim/sim_plat_*); the interpreter and the objects speak to sim_platform.h.
plat='sim/sim_plat_'
out=$(ls sim/*.[ch] sim/*.S 2>/dev/null | grep -v "^$plat" | xargs -r grep -nE \
  '\b(pthread_[a-z_]+|fork|vfork|clone|clone3|execv[a-z]*|waitpid|swapcontext|makecontext|getcontext|setcontext|sched_yield|nanosleep|clock_nanosleep|usleep|sleep|futex|epoll_[a-z_]+|eventfd|gettid|syscall|mmap|munmap|sem_(init|wait|post|timedwait)|thrd_[a-z]+|mtx_[a-z]+|cnd_[a-z]+|call_once) *\(') \
  && report "platform calls only in sim/sim_plat_* (sim_platform.h is the seam)" "$out"
out=$(ls sim/*.[ch] sim/*.S 2>/dev/null | grep -v "^$plat" | xargs -r grep -nE \
  '#include +<(pthread|threads|ucontext|sched|semaphore|sys/epoll|sys/eventfd|sys/mman|sys/wait|linux/futex|sys/syscall)\.h>') \
  && report "platform headers only in sim/sim_plat_*" "$out"
# ... and the platform files know monitors and units, never what the runtime builds on them:
# none of the runtime's names anywhere, none of the objects' words in code (comments may say
# "a future call" or "condition variable")
out=$(ls sim/$(basename "$plat")* 2>/dev/null | xargs -r grep -nE \
  'sim_internal\.h|\brt_(obj|fut|unit|queue|wait|halt)\b|\bSIM_(OBJ|S|X)_|\bTRC_(OP|EV|OUT)_|trc_emit|\bexec_block\b') \
  && report "no runtime names in a platform file (sim/sim_plat_*)" "$out"
out=$(for f in $(ls sim/$(basename "$plat")* 2>/dev/null); do
        perl -0pe 's{/\*.*?\*/}{(my $c = $&) =~ s/[^\n]//g; $c}gse; s{//[^\n]*}{}g' "$f" |
          grep -niE '(\b|_)(queue|future|barrier|semaphore|rw_?lock|rlock|notify|condition)' |
          sed "s|^|$f:|"
      done) && [ -n "$out" ] && report "no object semantics in a platform file's code (sim/sim_plat_*)" "$out"
# The fiber switch does not carry the FP environment (sim/sim_plat_fiber.h): nothing outside
# tests/ may change the rounding mode, exception masks or flush-to-zero, but the switch that
# gives an own_fp_env fiber its own (sim/sim_plat_fiber.c). Comments are not code.
out=$(for f in $(ls base/*.[ch] traces/*.[ch] sim/*.[chS] render/*.[ch] cli/*.[ch] bench/*.c tools/*.c 2>/dev/null | grep -v '^sim/sim_plat_fiber\.c$'); do
        perl -0pe 's{/\*.*?\*/}{(my $c = $&) =~ s/[^\n]//g; $c}gse; s{//[^\n]*}{}g' "$f" |
          grep -nE '\b(fesetround|fesetenv|feupdateenv|feholdexcept|fesetexceptflag|fesetmode|fedisableexcept|feenableexcept|_mm_setcsr|__builtin_ia32_ldmxcsr|_MM_SET_[A-Z_]+|_FPU_SETCW)\b|\b(ldmxcsr|vldmxcsr|fldcw|fldenv|frstor|fxrstor|fxrstor64|xrstor|xrstor64)\b|\bmsr[[:space:]]+fpcr\b' |
          sed "s|^|$f:|"
      done) && [ -n "$out" ] && report "no FP-environment changes outside tests/ (fibers share it: sim/sim_plat_fiber.h)" "$out"
for f in base traces sim render cli; do
  out=$(grep -nE '#include +"[a-z]+/[a-z_]+_internal\.h"' */*.[ch] tests/*.c tests/fuzz/*.c 2>/dev/null | grep -v "^$f/" | grep "\"$f/") \
    && report "a *_internal.h is included only inside its own folder" "$out"
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
