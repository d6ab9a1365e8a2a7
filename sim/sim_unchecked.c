/* The expectations that no run of a command checked: an `expect ... on B` when
 * none of the runs ran on B, or an `expect ... if COND` whose COND held for no
 * run's params. They would otherwise pass silently ("all N hold"): the CLI
 * warns about each, at its place, and counts them apart.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

uint32_t sim_expects_unchecked(const sim_program *const *progs, const uint32_t *backends, uint32_t n, char *report,
                               size_t cap) {
    if (!n) return 0;
    const sim_program *p0 = progs[0];
    uint32_t unchecked = 0;
    for (uint32_t i = 0; i < p0->nexpects; i++) {
        bool on_ran = false, checked = false;
        for (uint32_t k = 0; k < n; k++) {
            if (i >= progs[k]->nexpects) continue;
            const sim_expect *x = &progs[k]->expects[i];
            bool on = !x->on_backends || (x->on_backends & (1u << backends[k]));
            on_ran |= on;
            checked |= on && !x->off;
        }
        if (checked) continue;
        const sim_expect *x = &p0->expects[i];
        char text[256], why[160] = "";
        expect_text(p0, x->pos, text, sizeof text);
        if (!on_ran) {
            size_t l = (size_t)snprintf(why, sizeof why, "no run was on ");
            bool first = true;
            for (uint32_t b = 0; b < 32 && l < sizeof why; b++)
                if (x->on_backends & (1u << b)) {
                    l += (size_t)snprintf(why + l, sizeof why - l, "%s%s", first ? "" : " or ", sim_backend_name(b));
                    first = false;
                }
        } else {
            snprintf(why, sizeof why, "its `if` held for none");
        }
        rt_rep(report, cap, "%s:%d:%d: warning: %s: checked on no run (%s)\n", p0->path, x->pos.line, x->pos.col, text,
               why);
        unchecked++;
    }
    return unchecked;
}
