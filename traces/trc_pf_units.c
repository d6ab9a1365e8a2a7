/* Perfetto export: per-unit sequences (the lifetime slice and the state
 * slices, in time order), the marks and the recording's gaps. */
#include "traces/trc_pf_internal.h"

#include <stdlib.h>

/* The name of a blocked slice: "blocked on <object> (<op>)"; a join names the
 * unit waited for; an unknown object gives "blocked (<op>)". */
static uint32_t pf_blocked_iid(pf_run *pr, const trc_span *sp) {
    bool has_obj = sp->obj >= 1 && sp->obj <= pr->nobjects;
    if (has_obj && sp->op <= 3) return IID_OBJ(pr, sp->obj - 1, sp->op);
    const char *op = sp->op == TRC_OP_NONE ? NULL : trc_op_name(sp->op);
    const char *on = has_obj ? pf_obj_name(pr, sp->obj - 1)
                     : sp->op == TRC_OP_JOIN && sp->target < pr->nunits ? pf_s(pr->run->units[sp->target].name)
                                                                        : NULL;
    if (on && op) return pf_dyn_fmt(pr, "blocked on %s (%s)", on, op);
    if (on) return pf_dyn_fmt(pr, "blocked on %s", on);
    if (op) return pf_dyn_fmt(pr, "blocked (%s)", op);
    return TRC_ST_BLOCKED + 1u;
}

/* A unit's track: lifetime slice and state slices (the flow ends on it are
 * instants of the flows' sequences: trc_pf_flows.c, trc_pf_instants.c). */
int pf_seq_unit(pf_run *pr, uint32_t u) {
    const trc_unit_track *ut = &pr->m->units[u];
    const trc_span *sp = ut->spans;
    const size_t nsp = ut->nspans;
    if (!nsp) return 0;
    pf_seq_begin(pr);
    pf_out *o = pr->o;
    const uint64_t track = pf_uuid_unit(pr, u);

    /* the lifetime: first event to exit, stretched over anything recorded after the exit */
    uint64_t life0 = sp[0].t0 < ut->t_start ? sp[0].t0 : ut->t_start, life1 = ut->t_exit;
    for (size_t i = nsp; i-- > 0;) {
        if (sp[i].state == TRC_ST_DONE) continue;
        if (sp[i].t1 > life1) life1 = sp[i].t1;
        break;
    }
    if (pr->in_last && pr->in_last[u] > life1 + 1) life1 = pr->in_last[u] - 1;   /* a flow ending after it */
    bool life = life1 > life0;
    if (life) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = life0, .name_iid = IID_UNIT(pr, u), .nann = 1 };
        e.ann[0].dn = DN_EXIT;
        e.ann[0].str = true;
        e.ann[0].v = SV_EXIT(pr, ut->killed ? 3 : ut->unknown_end ? 5 : !ut->exited ? 2 : ut->aborted ? 1 : ut->failed ? 4 : 0);
        pf_put(pr, &e);
    }

    size_t i = 0;
    bool open = false;             /* span i's BEGIN is written, its END is next */
    while (i < nsp && !pf_span_shown(&sp[i])) i++;
    while (i < nsp) {
        PF_BEGIN_PACKET(pr, 0);
        if (open) {
            if (pr->started) {
                o->n = (size_t)(pf_slice_fast(pr, o->buf + o->n, TYPE_END, track, sp[i].t1, 0) - o->buf);
            } else {
                pf_ev e = { .type = TYPE_END, .track = track, .rel = sp[i].t1 };
                pf_put(pr, &e);
            }
            open = false;
            i++;
            while (i < nsp && !pf_span_shown(&sp[i])) i++;
        } else {
            uint32_t iid = sp[i].state + 1u;
            bool gil = sp[i].state == TRC_ST_GIL_WAIT && sp[i].obj >= 1 && sp[i].obj <= pr->nobjects;
            if (gil) {   /* "waiting for the GIL", with the GIL (a process's) as its object */
                pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = sp[i].t0, .name_iid = iid, .nann = 1 };
                e.ann[0].dn = DN_OBJECT;
                e.ann[0].str = true;
                e.ann[0].v = SV_OBJ(sp[i].obj - 1);
                pf_put(pr, &e);
            } else if (sp[i].state != TRC_ST_BLOCKED && pr->started && pr->name_done[iid] == pr->seq) {
                o->n = (size_t)(pf_slice_fast(pr, o->buf + o->n, TYPE_BEGIN, track, sp[i].t0, iid) - o->buf);
            } else {
                pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = sp[i].t0, .name_iid = iid };
                if (sp[i].state == TRC_ST_BLOCKED) {
                    e.name_iid = pf_blocked_iid(pr, &sp[i]);
                    if (!e.name_iid) return -ERR_NOMEM;
                    if (sp[i].obj >= 1 && sp[i].obj <= pr->nobjects) {
                        e.ann[e.nann].dn = DN_OBJECT;
                        e.ann[e.nann].str = true;
                        e.ann[e.nann++].v = SV_OBJ(sp[i].obj - 1);
                    }
                    e.ann[e.nann].dn = DN_OUTCOME;
                    e.ann[e.nann].str = true;
                    e.ann[e.nann++].v = SV_OUTCOME(pr, PF_OUTCOME_OF(sp[i].outcome));
                    if (sp[i].op == TRC_OP_RESULT) {
                        e.ann[e.nann].dn = DN_FUTURE;
                        e.ann[e.nann++].v = sp[i].target;
                    }
                }
                pf_put(pr, &e);
            }
            open = true;
        }
    }
    if (life) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_END, .track = track, .rel = life1 };
        pf_put(pr, &e);
    }
    return 0;
}

/* Marks, as instants on their units' tracks (model marks are in time order). */
int pf_seq_marks(pf_run *pr) {
    const trc_model *m = pr->m;
    pf_seq_begin(pr);
    for (size_t i = 0; i < m->nmarks; i++) {
        const trc_mark *mk = &m->marks[i];
        if (mk->unit >= pr->nunits) continue;
        const char *text = pf_s(mk->text);
        PF_BEGIN_PACKET(pr, strlen(text));
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, mk->unit), .rel = mk->t, .name = text };
        pf_put(pr, &e);
    }
    return 0;
}

/* The recording's gaps: an instant "events lost" (arg "lost": how many) on the
 * unit's track where each gap begins; the gap itself is the unit's "unknown"
 * slice. */
typedef struct pf_gap { uint64_t t; uint64_t lost; uint32_t unit; } pf_gap;

static int pf_cmp_gap(const void *a, const void *b) {
    const pf_gap *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

int pf_seq_losses(pf_run *pr) {
    const trc_model *m = pr->m;
    size_t n = 0;
    for (uint32_t u = 0; u < pr->nunits; u++) n += m->units[u].ngaps;
    if (!n) return 0;
    pf_gap *g = malloc(n * sizeof *g);
    if (!g) return -ERR_NOMEM;
    n = 0;
    for (uint32_t u = 0; u < pr->nunits; u++)
        for (size_t k = 0; k < m->units[u].ngaps; k++)
            g[n++] = (pf_gap){ m->units[u].gaps[k].t0, m->units[u].gaps[k].lost, u };
    qsort(g, n, sizeof *g, pf_cmp_gap);
    pf_seq_begin(pr);
    uint32_t iid = pf_dyn_iid(pr, "events lost");
    int rc = pr->nomem ? -ERR_NOMEM : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, g[i].unit), .rel = g[i].t, .name_iid = iid,
                    .nann = 1 };
        e.ann[0].dn = DN_LOST;
        e.ann[0].v = g[i].lost;
        pf_put(pr, &e);
    }
    free(g);
    return rc;
}
