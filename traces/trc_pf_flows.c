/* Perfetto export: the item (put -> get) and hand-off (release -> acquire)
 * flows, drawn between instants on the units' tracks. */
#include "traces/trc_pf_internal.h"

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

/* The outgoing ends of all flows of the run, on the source units' tracks. This
 * sequence comes first in the file: TP orders equal timestamps by file
 * position, so a flow always starts before it terminates. */
int pf_seq_flows_out(pf_run *pr) {
    const trc_model *m = pr->m;
    pf_seq_begin(pr);
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (!pf_flow_ok(pr, f)) continue;
        PF_BEGIN_PACKET(pr, 0);
        pf_flow_instant(pr, f->kind, f->obj, f->u0, f->t0, f->id, f->item, true, f->has_value, f->value);
    }
    return 0;
}

