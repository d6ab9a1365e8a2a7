/* Perfetto export: per-unit sequences (the lifetime slice, the state slices
 * and the incoming item/hand-off flow ends, merged in time order), the marks
 * and the recording's gaps. */
#include "traces/trc_pf_internal.h"

#include <stdlib.h>

/* Orders a unit's own packets at equal times: END, then incoming-flow instants, then BEGIN. */
enum { P_END = 0, P_IN = 1, P_BEGIN = 2 };
#define KEY(t, prio) ((t) << 2 | (prio))
#define PF_PREFETCH 8              /* incoming flow ends fetched ahead */

/* At equal times, the flows' order (a fixed one: the model's) decides. */
static inline bool pf_in_less(const pf_in *a, const pf_in *b) {
    return a->t < b->t || (a->t == b->t && a->flow < b->flow);
}

static int pf_cmp_in(const void *a, const void *b) {
    return pf_in_less(a, b) ? -1 : pf_in_less(b, a);
}

/* Sorts v by (t, id). The groups are almost sorted (flows come in t0 order;
 * an item's get can be overtaken by a later hand-off), so insertion sort,
 * with a budget of moves against adversarial inputs. */
static void pf_sort_in(pf_in *v, size_t n) {
    size_t budget = 16 * n + 64;
    for (size_t i = 1; i < n; i++) {
        if (!pf_in_less(&v[i], &v[i - 1])) continue;
        pf_in x = v[i];
        size_t j = i;
        while (j > 0 && pf_in_less(&x, &v[j - 1])) {
            v[j] = v[j - 1];
            j--;
            if (!budget--) {
                v[j] = x;
                qsort(v, n, sizeof *v, pf_cmp_in);
                return;
            }
        }
        v[j] = x;
    }
}

/* Incoming flow ends grouped by destination unit (counting sort), each group
 * by time: unit u's are in[in_off[u] .. in_off[u + 1]). */
int pf_build_in(pf_run *pr) {
    const trc_model *m = pr->m;
    pr->in_off = calloc((size_t)pr->nunits + 2, sizeof *pr->in_off);
    pr->in = malloc((m->nflows ? m->nflows : 1) * sizeof *pr->in);
    if (!pr->in_off || !pr->in) return -ERR_NOMEM;
    for (size_t i = 0; i < m->nflows; i++)
        if (pf_flow_ok(pr, &m->flows[i])) pr->in_off[m->flows[i].u1 + 2]++;
    for (uint32_t u = 0; u < pr->nunits; u++) pr->in_off[u + 2] += pr->in_off[u + 1];
    /* in_off[u + 1] is now the start of unit u; filling advances it to the end of u */
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (pf_flow_ok(pr, f))
            pr->in[pr->in_off[f->u1 + 1]++] = (pf_in){ .t = f->t1, .flow = i };
    }
    for (uint32_t u = 0; u < pr->nunits; u++) pf_sort_in(pr->in + pr->in_off[u], pr->in_off[u + 1] - pr->in_off[u]);
    return 0;
}

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

/* A unit's track: lifetime slice, state slices and incoming flow ends. */
int pf_seq_unit(pf_run *pr, uint32_t u) {
    const trc_unit_track *ut = &pr->m->units[u];
    const trc_span *sp = ut->spans;
    const size_t nsp = ut->nspans;
    size_t j = pr->in_off[u];
    const size_t jend = pr->in_off[u + 1];
    if (!nsp && j == jend) return 0;
    pf_seq_begin(pr);
    pf_out *o = pr->o;
    const uint64_t track = pf_uuid_unit(pr, u);

    /* the lifetime: first event to exit, stretched over anything recorded after the exit */
    uint64_t life0 = 0, life1 = 0;
    if (nsp) {
        life0 = sp[0].t0 < ut->t_start ? sp[0].t0 : ut->t_start;
        life1 = ut->t_exit;
        for (size_t i = nsp; i-- > 0;) {
            if (sp[i].state == TRC_ST_DONE) continue;
            if (sp[i].t1 > life1) life1 = sp[i].t1;
            break;
        }
        if (j < jend && pr->in[jend - 1].t > life1) life1 = pr->in[jend - 1].t;
    }
    bool life = life1 > life0;
    if (life) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = life0, .name_iid = IID_UNIT(pr, u), .nann = 1 };
        e.ann[0].dn = DN_EXIT;
        e.ann[0].str = true;
        e.ann[0].v = SV_EXIT(pr, ut->killed ? 3 : ut->unknown_end ? 5 : !ut->exited ? 2 : ut->aborted ? 1 : ut->failed ? 4 : ut->cancelled ? 6 : 0);
        pf_put(pr, &e);
    }

    size_t i = 0;
    bool open = false;             /* span i's BEGIN is written, its END is next */
    while (i < nsp && !pf_span_shown(&sp[i])) i++;
    for (;;) {
        uint64_t ks = i < nsp ? (open ? KEY(sp[i].t1, P_END) : KEY(sp[i].t0, P_BEGIN)) : UINT64_MAX;
        uint64_t ki = j < jend ? KEY(pr->in[j].t, P_IN) : UINT64_MAX;
        if (ks == UINT64_MAX && ki == UINT64_MAX) break;
        PF_BEGIN_PACKET(pr, 0);
        if (ki < ks) {
            /* the flows are read in the destination's time order, all over
             * the model's array: fetch the ones a few ends ahead (a flow
             * spans two cache lines) */
            if (j + PF_PREFETCH < jend) {
                const char *ahead = (const char *)&pr->m->flows[pr->in[j + PF_PREFETCH].flow];
                __builtin_prefetch(ahead);
                __builtin_prefetch(ahead + sizeof(trc_flow) - 1);
            }
            const trc_flow *fi = &pr->m->flows[pr->in[j++].flow];
            pf_flow_instant(pr, fi->kind, fi->obj, u, fi->t1, fi->id, fi->item, false, fi->has_value, fi->value);
        } else if (open) {
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
            if ((sp[i].state == TRC_ST_COMPUTE || sp[i].state == TRC_ST_SLEEP) && sp[i].target &&
                sp[i].target <= pr->nunits) {   /* a loop blocked by one of its tasks */
                iid = pf_dyn_fmt(pr, "blocked by %s (%s)", pf_s(pr->run->units[sp[i].target - 1].name),
                                 trc_state_name(sp[i].state));
                if (!iid) return -ERR_NOMEM;
            }
            bool gil = sp[i].state == TRC_ST_GIL_WAIT && sp[i].obj >= 1 && sp[i].obj <= pr->nobjects;
            if (gil) {   /* "waiting for the GIL", with the GIL (a process's) as its object */
                pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = sp[i].t0, .name_iid = iid, .nann = 1 };
                e.ann[0].dn = DN_OBJECT;
                e.ann[0].str = true;
                e.ann[0].v = SV_OBJ(sp[i].obj - 1);
                pf_put(pr, &e);
            } else if (sp[i].state != TRC_ST_BLOCKED && pr->started && iid < pr->name_cap && pr->name_done[iid] == pr->seq) {
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
