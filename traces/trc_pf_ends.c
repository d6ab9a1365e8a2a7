/* Perfetto export: how a run that did not end well ended, on the units
 * involved. The model's wait-for graph at the run's end (trc_waitfor.c) names
 * every unit whose last wait never ended; each gets one instant at the end of
 * that wait, on its own track, inside its "blocked on ..." slice:
 *   "deadlock"  the unit is on the wait-for cycle (arg "cycle": the units
 *               around it, "a -> b -> a");
 *   "stuck"     it waited on something nobody would give (no cycle through it).
 * Both carry "object" (when the wait was on one), "op", "waits for" (the
 * holder: the owner, the joined unit or the worker; "nobody known" if the
 * model names none), "waited" (ns) and, for a join or a result, "unit" or
 * "future".
 *
 * The sequence is written before the units' own ones, so at the wait's last
 * nanosecond the instant comes before the slice's END in file order and
 * trace_processor nests it in the blocked slice. */
#include "traces/trc_pf_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define PF_CYCLE_TEXT 2048

static const char *pf_unit_name(const pf_run *pr, uint32_t u) {
    return u < pr->nunits ? pf_s(pr->run->units[u].name) : "?";
}

/* "a -> b -> c -> a", cut short (with "...") if it does not fit */
static void pf_cycle_text(const pf_run *pr, const trc_waitfor *w, char *out, size_t cap) {
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i <= w->ncycle; i++) {
        const char *name = pf_unit_name(pr, w->cycle[i % w->ncycle]);
        int k = snprintf(out + n, cap - n, "%s%s", i ? " -> " : "", name);
        if (k < 0 || (size_t)k >= cap - n) {
            if (cap >= 4) memcpy(out + cap - 4, "...", 4);
            return;
        }
        n += (size_t)k;
    }
}

int pf_seq_ends(pf_run *pr) {
    trc_waitfor w;
    if (trc_waitfor_end(&w, pr->m) != 0) return -ERR_NOMEM;
    if (!w.nwaits) { trc_waitfor_release(&w); return 0; }
    char cycle[PF_CYCLE_TEXT] = "";
    if (w.ncycle) pf_cycle_text(pr, &w, cycle, sizeof cycle);
    uint32_t iid_dead = pf_dyn_iid(pr, "deadlock"), iid_stuck = pf_dyn_iid(pr, "stuck");
    int rc = pr->nomem ? -ERR_NOMEM : 0;
    /* one sequence in time order: the waits are in unit order */
    size_t *ord = rc ? NULL : malloc(w.nwaits * sizeof *ord);
    if (!rc && !ord) rc = -ERR_NOMEM;
    for (size_t i = 0; i < w.nwaits && !rc; i++) {
        size_t j = i;
        while (j > 0 && w.waits[ord[j - 1]].until > w.waits[i].until) { ord[j] = ord[j - 1]; j--; }
        ord[j] = i;
    }
    if (!rc) pf_seq_begin(pr);
    for (size_t k = 0; k < w.nwaits && !rc; k++) {
        const trc_wait_edge *we = &w.waits[ord[k]];
        if (we->unit >= pr->nunits) continue;
        const char *holder = we->holder == UINT32_MAX ? "nobody known" : pf_unit_name(pr, we->holder);
        const char *op = trc_op_name(we->op);
        const char *joined = we->op == TRC_OP_JOIN && !we->obj
                                 ? pf_unit_name(pr, we->target < pr->nunits ? (uint32_t)we->target : UINT32_MAX)
                                 : NULL;
        size_t extra = strlen(holder) + strlen(op) + (we->in_cycle ? strlen(cycle) : 0) + (joined ? strlen(joined) : 0);
        if (!pf_need(pr->o, pr->slack + extra)) { rc = pr->o->err; break; }
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, we->unit), .rel = we->until,
                    .name_iid = we->in_cycle ? iid_dead : iid_stuck };
        if (we->obj >= 1 && we->obj <= pr->nobjects) {
            e.ann[e.nann].dn = DN_OBJECT;
            e.ann[e.nann].str = true;
            e.ann[e.nann++].v = SV_OBJ(we->obj - 1);
        }
        e.ann[e.nann].dn = DN_OP;
        e.ann[e.nann++].text = op;
        e.ann[e.nann].dn = DN_WAITS_FOR;
        e.ann[e.nann++].text = holder;
        e.ann[e.nann].dn = DN_WAITED;
        e.ann[e.nann++].v = we->until - we->since;
        if (we->in_cycle) {
            e.ann[e.nann].dn = DN_CYCLE;
            e.ann[e.nann++].text = cycle;
        }
        if (joined) {
            e.ann[e.nann].dn = DN_UNIT;
            e.ann[e.nann++].text = joined;
        } else if (we->op == TRC_OP_RESULT) {
            e.ann[e.nann].dn = DN_FUTURE;
            e.ann[e.nann++].v = we->target;
        }
        pf_put(pr, &e);
    }
    free(ord);
    trc_waitfor_release(&w);
    return rc;
}
