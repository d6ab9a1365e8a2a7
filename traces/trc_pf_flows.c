/* Perfetto export: the item (put -> get) and hand-off (release -> acquire)
 * flows, drawn between instants on the units' tracks. */
#include "traces/trc_pf_internal.h"

#include <stdlib.h>

/* One end of a flow, on unit u's track at relative time t. */
void pf_flow_instant(pf_run *pr, uint32_t kind, uint32_t obj, uint32_t u, uint64_t t, uint64_t id,
                     uint64_t item_id, bool out, bool has_value, int64_t value) {
    uint32_t k = kind == TRC_FLOW_ITEM ? (out ? K_PUT : K_GET) : (out ? K_RELEASE : K_ACQUIRE);
    uint32_t iid = IID_OBJ(pr, obj - 1, k);
    uint64_t track = pf_uuid_unit(pr, u);
    bool item = kind == TRC_FLOW_ITEM;
    if (pr->started && pr->name_done[iid] == pr->seq && (!item || pr->dn_done[DN_ITEM] == pr->seq) && !has_value) {
        pf_out *o = pr->o;
        o->n = (size_t)(pf_instant_fast(pr, o->buf + o->n, track, t, iid, out, pr->flow_base + id, item, item_id) -
                        o->buf);
        return;
    }
    pf_ev e = { .type = TYPE_INSTANT, .track = track, .rel = t, .name_iid = iid };
    if (out) e.flow_out = pr->flow_base + id;
    else e.flow_in = pr->flow_base + id;
    if (item) {
        e.nann = 1;
        e.ann[0].dn = DN_ITEM;
        e.ann[0].v = item_id;
        if (has_value) {   /* put Q value=V: the item's value, on both ends */
            e.ann[1].dn = DN_VALUE;
            e.ann[1].sint = true;
            e.ann[1].v = (uint64_t)value;
            e.nann = 2;
        }
    }
    pf_put(pr, &e);
}

/* Per unit, 1 + the time of the last item or hand-off flow that ends on it
 * (its lifetime slice stretches over it): before the units' sequences. The
 * same pass finds the run's largest flow id (the next run's flow ids start
 * above it): the flows are 72 bytes each, a pass over a busy run's is tens
 * of milliseconds. */
int pf_flows_last(pf_run *pr) {
    const trc_model *m = pr->m;
    pr->in_last = calloc((size_t)pr->nunits + 1, sizeof *pr->in_last);
    if (!pr->in_last) return -ERR_NOMEM;
    uint64_t max_id = 0;
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (f->id > max_id) max_id = f->id;
        if (pf_flow_ok(pr, f) && f->t1 + 1 > pr->in_last[f->u1]) pr->in_last[f->u1] = f->t1 + 1;
    }
    pr->max_flow_id = max_id;
    return 0;
}

/* Both ends of every item and hand-off flow, on the units' tracks, as one
 * sequence in time order, written after the units' sequences: TP orders
 * equal timestamps by file position, so a get or an acquire at the time its
 * wait ends comes after that wait's END (it is not inside the wait), and a
 * flow's start, written before its end here, comes first.
 *
 * One sweep over the model's flows in start order (they are sorted by t0):
 * a flow's start is written when it is read, its end is parked in the
 * pending heap until no flow read later can end before it (a later flow
 * starts no earlier, and ends no earlier than it starts). Equal end times
 * come out in the flows' order. The memory is the flows in flight at the
 * sweep's time, not one entry per flow. */
int pf_seq_flows(pf_run *pr) {
    const trc_model *m = pr->m;
    pf_pending pend = { 0 };
    int rc = 0;
    pf_seq_begin(pr);
    for (size_t i = 0;; i++) {
        while (i < m->nflows && !pf_flow_ok(pr, &m->flows[i])) i++;
        const trc_flow *f = i < m->nflows ? &m->flows[i] : NULL;
        /* the ends due no later than this flow's start */
        for (const pf_pend *top; (top = pf_pending_top(&pend)) && (!f || top->t <= f->t0);) {
            const trc_flow *fi = &m->flows[pf_pending_pop(&pend).flow];
            if (!pf_need(pr->o, pr->slack)) { rc = pr->o->err; goto out; }
            pf_flow_instant(pr, fi->kind, fi->obj, fi->u1, fi->t1, fi->id, fi->item, false, fi->has_value, fi->value);
        }
        if (!f) break;
        if (!pf_need(pr->o, pr->slack)) { rc = pr->o->err; break; }
        pf_flow_instant(pr, f->kind, f->obj, f->u0, f->t0, f->id, f->item, true, f->has_value, f->value);
        if ((rc = pf_pending_push(&pend, f->t1, i))) break;
    }
out:
    pf_pending_free(&pend);
    return rc;
}
