/* cli: the runs a scenario makes, as `weft run` and `weft check` both see them:
 * the values of its own `sweep P = ...` written as a --sweep would give them. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

bool cli_sweep_spec(const sim_program *p, const sim_define *defs, uint32_t ndefs, char *spec, size_t cap, bool *narrowed) {
    *narrowed = false;
    if (!p->nsweep) return false;
    const sim_param *pa = &p->params[p->sweep_param];
    const char *given = NULL;   /* -D P=v on the swept P: that one value, as --sweep P=v would */
    for (uint32_t i = 0; i < ndefs; i++)
        if (!strcmp(defs[i].name, pa->name)) given = defs[i].value;
    size_t l = (size_t)snprintf(spec, cap, "%s=", pa->name);
    if (given) {
        snprintf(spec + l, cap - l, "%s", given);
        *narrowed = true;
    }
    for (uint32_t i = 0; !given && i < p->nsweep && l < cap; i++)
        l += (size_t)snprintf(spec + l, cap - l, "%s%lld%s", i ? "," : "", (long long)p->sweep_values[i],
                              pa->type == SIM_T_DUR ? "ns" : "");
    return true;
}
