/* Perfetto export: the textbook's point events as instants, and the flows of
 * the kinds after HANDOFF between them. */
#include "traces/trc_pf_internal.h"

#include <inttypes.h>

#include <stdlib.h>

/* ---- instants and the flows of the textbook vocabulary --------------------- */

/* Flows of the kinds after HANDOFF are drawn between instants on the units'
 * tracks, one instant per event: an event that ends some flows and starts
 * others (TASK_START, TASK_DONE) carries both lists, a notify_all carries one
 * outgoing id per waiter. All these instants, and the model's instants
 * (notify, set, clear, barrier open, cancel, lost-update writes, ...), are one
 * sequence in (time, stage) order, where a flow's destination has a higher
 * stage than its source when both share a nanosecond: so every flow starts
 * before it terminates in trace_processor's (timestamp, file position) order. */
static inline bool pf_new_flow(const pf_run *pr, const trc_flow *f) {
    const trc_run *run = pr->run;
    return f->kind > TRC_FLOW_HANDOFF && f->kind < TRC_FLOW__COUNT && f->u0 < pr->nunits && f->u1 < pr->nunits &&
           f->ev0 < run->nevents && f->ev1 < run->nevents && f->ev0 != f->ev1 && f->t0 <= f->t1;
}

/* role: 0 instant, 1 out, 2 in; t and unit: where the event is (the model has them: the events stay in the file) */
typedef struct pf_ent { uint64_t ev, t; uint32_t role, idx, unit; } pf_ent;
typedef struct pf_inst {
    uint64_t t, ev;
    uint32_t unit;
    uint32_t stage;
    size_t out0, in0;
    uint32_t nout, nin;
    uint32_t mi;          /* model instant index + 1, 0 = none */
    uint32_t fin, fout;   /* one incoming / outgoing flow index + 1, 0 = none */
} pf_inst;

static int pf_cmp_ent(const void *a, const void *b) {
    const pf_ent *x = a, *y = b;
    if (x->ev != y->ev) return x->ev < y->ev ? -1 : 1;
    if (x->role != y->role) return x->role < y->role ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int pf_cmp_inst(const void *a, const void *b) {
    const pf_inst *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->stage != y->stage) return x->stage < y->stage ? -1 : 1;
    return x->ev < y->ev ? -1 : x->ev > y->ev;
}

static const char *pf_obj_or(const pf_run *pr, uint32_t obj) {
    return obj >= 1 && obj <= pr->nobjects ? pf_obj_name(pr, obj - 1) : "?";
}

static const char *pf_unit_or(const pf_run *pr, uint64_t u) {
    return u < pr->nunits ? pf_s(pr->run->units[u].name) : "?";
}

/* The fields of an instant's event, from the model: its instant, else the
 * flows that end or start there (a wake is a WAIT_END whose extra is the
 * flow's seq, a join starts at the child's UNIT_EXIT). */
static void pf_inst_fields(const pf_run *pr, const pf_inst *in, trc_event *ev) {
    const trc_flow *fi = in->fin ? &pr->m->flows[in->fin - 1] : NULL;
    const trc_flow *fo = in->fout ? &pr->m->flows[in->fout - 1] : NULL;
    memset(ev, 0, sizeof *ev);
    ev->unit = in->unit;
    if (in->mi) {
        const trc_instant *mi = &pr->m->instants[in->mi - 1];
        ev->kind = mi->kind; ev->obj = mi->obj; ev->aux = mi->aux; ev->arg = mi->arg; ev->extra = mi->extra;
    } else if (fi && (fi->kind == TRC_FLOW_NOTIFY || fi->kind == TRC_FLOW_SET || fi->kind == TRC_FLOW_BARRIER)) {
        ev->kind = TRC_EV_WAIT_END; ev->obj = fi->obj; ev->extra = (uint32_t)fi->item;
    } else if (fo && fo->kind == TRC_FLOW_JOIN) {
        ev->kind = TRC_EV_UNIT_EXIT;
    }
}

/* Name and annotations of one instant. */
static void pf_inst_event(pf_run *pr, const pf_inst *in, pf_ev *e) {
    trc_event evf;
    pf_inst_fields(pr, in, &evf);
    const trc_event *ev = &evf;
    const trc_flow *fi = in->fin ? &pr->m->flows[in->fin - 1] : NULL;
    const trc_flow *fo = in->fout ? &pr->m->flows[in->fout - 1] : NULL;
    const char *on = pf_obj_or(pr, ev->obj);
#define ANN(d, val) do { e->ann[e->nann].dn = (d); e->ann[e->nann++].v = (val); } while (0)
#define ANN_STR(d, val) do { e->ann[e->nann].dn = (d); e->ann[e->nann].str = true; e->ann[e->nann++].v = (val); } while (0)
    uint32_t outcome = SV_OUTCOME(pr, PF_OUTCOME_OF(ev->aux));
    switch (ev->kind) {
    case TRC_EV_NOTIFY:
        e->name_iid = pf_dyn_fmt(pr, "notify %s", on); ANN(DN_SEQ, ev->arg); ANN(DN_WOKEN, ev->extra); break;
    case TRC_EV_SET:
        e->name_iid = pf_dyn_fmt(pr, "set %s", on); ANN(DN_SEQ, ev->arg); ANN(DN_WOKEN, ev->extra); break;
    case TRC_EV_CLEAR: e->name_iid = pf_dyn_fmt(pr, "clear %s", on); break;
    case TRC_EV_BARRIER_OPEN:
        e->name_iid = pf_dyn_fmt(pr, "open %s", on); ANN(DN_GENERATION, ev->arg); break;
    case TRC_EV_SPAWN: e->name_iid = pf_dyn_fmt(pr, "spawn %s", pf_unit_or(pr, ev->arg)); break;
    case TRC_EV_JOINED: e->name_iid = pf_dyn_fmt(pr, "joined %s", pf_unit_or(pr, ev->arg)); break;
    case TRC_EV_SUBMIT: e->name_iid = pf_dyn_fmt(pr, "submit %s", on); ANN(DN_FUTURE, ev->arg); break;
    case TRC_EV_TASK_START: e->name_iid = pf_dyn_fmt(pr, "start %s", on); ANN(DN_FUTURE, ev->arg); break;
    case TRC_EV_TASK_DONE:
        e->name_iid = pf_dyn_fmt(pr, "done %s", on); ANN(DN_FUTURE, ev->arg); ANN_STR(DN_OUTCOME, outcome); break;
    case TRC_EV_CANCEL:
        e->name_iid = pf_dyn_fmt(pr, ev->aux == 1 ? "cancel %s" : "cancel %s (too late)", on);
        ANN(DN_FUTURE, ev->arg);
        break;
    case TRC_EV_CALLBACK: e->name_iid = pf_dyn_fmt(pr, "callback %s", on); ANN(DN_FUTURE, ev->arg); break;
    case TRC_EV_RESULT:
        e->name_iid = pf_dyn_fmt(pr, "result %s", on); ANN(DN_FUTURE, ev->arg); ANN_STR(DN_OUTCOME, outcome); break;
    case TRC_EV_COUNTER_WRITE:
        e->name_iid = pf_dyn_fmt(pr, "lost update %s", on);
        e->ann[e->nann].sint = true;
        ANN(DN_VALUE, ev->arg);
        ANN(DN_LOST, ev->extra);   /* only writes with a positive (int32) extra get an instant */
        break;
    case TRC_EV_QUEUE_TASK_DONE:
        e->name_iid = pf_dyn_fmt(pr, "task_done %s", on); ANN(DN_UNFINISHED, ev->extra); break;
    case TRC_EV_LOCAL_SET: {
        const trc_instant *mi = in->mi ? &pr->m->instants[in->mi - 1] : NULL;
        e->name = mi && mi->text ? mi->text : "local";
        break;
    }
    case TRC_EV_DAEMON_KILLED: e->name_iid = pf_dyn_fmt(pr, "killed (daemon)"); break;
    case TRC_EV_GIL_DROP_REQUEST:
        e->name_iid = pf_dyn_fmt(pr, "asks %s to drop the %s", pf_unit_or(pr, ev->arg), on);
        break;
    case TRC_EV_GIL_DROP: e->name_iid = pf_dyn_fmt(pr, "drops the %s (%s)", on, trc_gil_drop_name(ev->aux)); break;
    /* processes */
    case TRC_EV_SEND: e->name_iid = pf_dyn_fmt(pr, "send %s (%u bytes)", on, ev->extra); break;
    case TRC_EV_RECV:
        e->name_iid = ev->aux ? pf_dyn_fmt(pr, "recv %s: end of file", on) : pf_dyn_fmt(pr, "recv %s (%u bytes)", on, ev->extra);
        break;
    case TRC_EV_PIPE_CLOSE:
        e->name_iid = pf_dyn_fmt(pr, "close %s (%s)", on, ev->aux == TRC_PIPE_READ ? "read end" : ev->aux == TRC_PIPE_WRITE
                                                                                        ? "write end" : "both ends");
        break;
    case TRC_EV_POLL: e->name_iid = pf_dyn_fmt(pr, "poll %s: %s", on, ev->aux ? "ready" : "nothing"); break;
    case TRC_EV_SHM_WRITE: e->name_iid = pf_dyn_fmt(pr, "write %s [%" PRIu64 "+%u]", on, ev->arg, ev->extra); break;
    case TRC_EV_SHM_READ:
        e->name_iid = pf_dyn_fmt(pr, ev->aux ? "read %s [%" PRIu64 "+%u] TORN" : "read %s [%" PRIu64 "+%u]", on, ev->arg,
                                 ev->extra);
        break;
    case TRC_EV_SHM_UNLINK: e->name_iid = pf_dyn_fmt(pr, "unlink %s", on); break;
    case TRC_EV_VAR_SET: e->name_iid = pf_dyn_fmt(pr, "%s = %" PRId64, on, (int64_t)ev->arg); break;
    case TRC_EV_REQUEST: e->name_iid = pf_dyn_fmt(pr, "request %s", on); break;
    case TRC_EV_SERVE: e->name_iid = pf_dyn_fmt(pr, "serve %s for %s", on, pf_unit_or(pr, ev->extra)); break;
    case TRC_EV_REPLY: e->name_iid = pf_dyn_fmt(pr, "reply %s", on); break;
    case TRC_EV_SIGNAL: {
        const char *sn = trc_signal_name((int)ev->aux);
        e->name_iid = pf_dyn_fmt(pr, "%s %s", sn ? sn : "signal", pf_unit_or(pr, ev->arg));
        break;
    }
    case TRC_EV_PROC_EXIT: {
        const char *sn = trc_signal_name((int)ev->arg);
        e->name_iid = ev->aux == TRC_PROC_SIGNALED ? pf_dyn_fmt(pr, "killed by %s", sn ? sn : "a signal")
                                                   : pf_dyn_fmt(pr, "exit %" PRIu64, ev->arg);
        break;
    }
    case TRC_EV_RAISE: case TRC_EV_CAUGHT: {
        const trc_instant *mi = in->mi ? &pr->m->instants[in->mi - 1] : NULL;
        e->name_iid = pf_dyn_fmt(pr, "%s %s", ev->kind == TRC_EV_RAISE ? "raise" : "caught", mi && mi->text ? mi->text : "?");
        break;
    }
    case TRC_EV_BARRIER_BROKEN:
        e->name_iid = pf_dyn_fmt(pr, ev->aux == 2 ? "reset %s" : "broken %s", on);
        ANN(DN_WOKEN, ev->extra);
        break;
    case TRC_EV_RELEASE:   /* only a foreign release of a plain lock is an instant */
        e->name_iid = pf_dyn_fmt(pr, "release %s held by %s", on, pf_unit_or(pr, ev->extra ? ev->extra - 1u : UINT64_MAX));
        break;
    case TRC_EV_WAIT_END:
        if (fi && fi->kind == TRC_FLOW_BARRIER) {
            e->name_iid = pf_dyn_fmt(pr, "pass %s", on); ANN(DN_GENERATION, ev->extra);
        } else {
            e->name_iid = pf_dyn_fmt(pr, "wake %s", on); ANN(DN_SEQ, ev->extra);
        }
        break;
    default:
        if (fi && fi->kind == TRC_FLOW_SPAWN) e->name_iid = pf_dyn_fmt(pr, "spawned by %s", pf_unit_or(pr, fi->u0));
        else if (fo && fo->kind == TRC_FLOW_JOIN) e->name_iid = pf_dyn_fmt(pr, "exit");
        else e->name_iid = pf_dyn_fmt(pr, "%s", ev->kind ? trc_ev_name(ev->kind) : "event");
        break;
    }
#undef ANN
#undef ANN_STR
}

/* An end of a flow that starts and ends in one nanosecond: the flow, and the
 * instant (in the bucket) at that end; paired up, the instants at both ends. */
typedef struct pf_fend { uint32_t flow; uint32_t inst; } pf_fend;

/* One nanosecond's worth of the sweep: its entries (model instants, flow
 * starts, flow ends), grouped into instants, and the flows within it. */
typedef struct pf_bucket {
    pf_ent *ent; size_t nent, cap_ent;
    pf_inst *ins; size_t cap_ins;
    uint64_t *fid; size_t cap_fid;
    pf_fend *src, *dst; size_t nsrc, ndst, cap_src, cap_dst;   /* the ends of the flows inside it */
} pf_bucket;

static bool pf_grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * size);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static bool pf_add_ent(pf_bucket *b, pf_ent e) {
    if (!pf_grow((void **)&b->ent, &b->cap_ent, b->nent + 1, sizeof *b->ent)) return false;
    b->ent[b->nent++] = e;
    return true;
}

static int pf_cmp_fend(const void *a, const void *b) {
    const pf_fend *x = a, *y = b;
    return x->flow < y->flow ? -1 : x->flow > y->flow;
}

/* Groups the bucket's entries into instants (an event's entries together:
 * its model instant, the flows it starts, then the flows it ends), orders
 * them by stage and writes them. */
static int pf_bucket_write(pf_run *pr, pf_bucket *b) {
    const trc_model *m = pr->m;
    size_t nent = b->nent;
    if (!pf_grow((void **)&b->ins, &b->cap_ins, nent, sizeof *b->ins) ||
        !pf_grow((void **)&b->fid, &b->cap_fid, nent, sizeof *b->fid) ||
        !pf_grow((void **)&b->src, &b->cap_src, nent, sizeof *b->src) ||
        !pf_grow((void **)&b->dst, &b->cap_dst, nent, sizeof *b->dst))
        return -ERR_NOMEM;
    pf_ent *ent = b->ent;
    pf_inst *ins = b->ins;
    uint64_t *fid = b->fid;
    qsort(ent, nent, sizeof *ent, pf_cmp_ent);
    size_t nin = 0, nf = 0;
    b->nsrc = b->ndst = 0;
    for (size_t i = 0; i < nent;) {
        pf_inst *in = &ins[nin];
        *in = (pf_inst){ .ev = ent[i].ev, .t = ent[i].t, .unit = ent[i].unit };
        in->out0 = nf;
        for (; i < nent && ent[i].ev == in->ev; i++) {
            if (ent[i].role == 0) in->mi = ent[i].idx + 1;
            else if (ent[i].role == 1) {
                const trc_flow *f = &m->flows[ent[i].idx];
                fid[nf++] = pr->flow_base + f->id;
                in->nout++;
                if (f->t0 == f->t1) b->src[b->nsrc++] = (pf_fend){ ent[i].idx, (uint32_t)nin };
                if (!in->fout) in->fout = ent[i].idx + 1;
            }
        }
        nin++;
    }
    /* second pass for the incoming ids, so each instant's ids are contiguous: out then in */
    for (size_t i = 0, j = 0; i < nin; i++) {
        pf_inst *in = &ins[i];
        while (j < nent && ent[j].ev < in->ev) j++;
        in->in0 = nf;
        for (; j < nent && ent[j].ev == in->ev; j++) {
            if (ent[j].role != 2) continue;
            const trc_flow *f = &m->flows[ent[j].idx];
            fid[nf++] = pr->flow_base + f->id;
            in->nin++;
            if (f->t0 == f->t1) b->dst[b->ndst++] = (pf_fend){ ent[j].idx, (uint32_t)i };
            if (!in->fin) in->fin = ent[j].idx + 1;
        }
    }
    /* stages: a flow within one nanosecond goes from a lower stage to a higher
     * one (both its ends are in this bucket: pair them up by flow, in flow order) */
    if (b->ndst) {
        qsort(b->src, b->nsrc, sizeof *b->src, pf_cmp_fend);
        qsort(b->dst, b->ndst, sizeof *b->dst, pf_cmp_fend);
        size_t np = 0;   /* pairs, in flow order: (source instant, destination instant) */
        for (size_t i = 0, j = 0; i < b->ndst; i++) {
            while (j < b->nsrc && b->src[j].flow < b->dst[i].flow) j++;
            if (j < b->nsrc && b->src[j].flow == b->dst[i].flow)
                b->dst[np++] = (pf_fend){ b->src[j].inst, b->dst[i].inst };
        }
        for (int pass = 0, changed = 1; changed && pass < 64; pass++) {
            changed = 0;
            for (size_t k = 0; k < np; k++) {
                pf_inst *s0 = &ins[b->dst[k].flow], *d1 = &ins[b->dst[k].inst];
                if (d1->stage <= s0->stage) {
                    d1->stage = s0->stage + 1;
                    changed = 1;
                }
            }
        }
    }
    qsort(ins, nin, sizeof *ins, pf_cmp_inst);
    for (size_t i = 0; i < nin; i++) {
        const pf_inst *in = &ins[i];
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, in->unit), .rel = in->t, .fouts = fid + in->out0,
                    .nfouts = in->nout, .fins = fid + in->in0, .nfins = in->nin };
        pf_inst_event(pr, in, &e);
        if (pr->nomem || (!e.name_iid && !e.name)) return -ERR_NOMEM;
        size_t extra = 10 * ((size_t)in->nout + in->nin) + (e.name ? strlen(e.name) : 0);
        if (!pf_need(pr->o, pr->slack + extra)) return pr->o->err;
        pf_put(pr, &e);
    }
    b->nent = 0;
    return 0;
}

static inline bool pf_inst_ok(const pf_run *pr, const trc_instant *mi) {
    /* items' values ride on their put and get (pf_flow_instant) */
    return mi->ev < pr->run->nevents && mi->unit < pr->nunits && mi->kind != TRC_EV_ITEM_VALUE;
}

/* The model's instants and the flows of the kinds after HANDOFF, as one
 * sequence in (time, stage, event) order, written by a sweep over time: each
 * nanosecond that has an instant, a flow's start or a flow's end is one
 * bucket. The model's instants are in time order, the flows in start order;
 * a flow's end waits in the pending heap for its time, so memory holds a
 * nanosecond's entries and the flows in flight, not the whole run. */
int pf_seq_instants(pf_run *pr) {
    const trc_model *m = pr->m;
    if (m->nflows >= UINT32_MAX || m->ninstants >= UINT32_MAX) return -ERR_LIMIT;
    pf_bucket b = { 0 };
    pf_pending pend = { 0 };
    size_t a = 0, k = 0;   /* the next model instant, the next flow */
    bool begun = false;
    int rc = 0;
    for (;;) {
        while (a < m->ninstants && !pf_inst_ok(pr, &m->instants[a])) a++;
        while (k < m->nflows && !pf_new_flow(pr, &m->flows[k])) k++;
        const pf_pend *top = pf_pending_top(&pend);
        uint64_t t = UINT64_MAX;
        if (a < m->ninstants) t = m->instants[a].t;
        if (k < m->nflows && m->flows[k].t0 < t) t = m->flows[k].t0;
        if (top && top->t < t) t = top->t;
        if (a >= m->ninstants && k >= m->nflows && !top) break;
        for (; a < m->ninstants && m->instants[a].t <= t; a++) {
            const trc_instant *mi = &m->instants[a];
            if (pf_inst_ok(pr, mi) && !pf_add_ent(&b, (pf_ent){ mi->ev, t, 0, (uint32_t)a, mi->unit })) goto nomem;
        }
        for (; k < m->nflows && m->flows[k].t0 <= t; k++) {
            const trc_flow *f = &m->flows[k];
            if (!pf_new_flow(pr, f)) continue;
            if (!pf_add_ent(&b, (pf_ent){ f->ev0, t, 1, (uint32_t)k, f->u0 })) goto nomem;
            if (pf_pending_push(&pend, f->t1, k)) goto nomem;
        }
        while ((top = pf_pending_top(&pend)) && top->t <= t) {
            const trc_flow *f = &m->flows[pf_pending_pop(&pend).flow];
            if (!pf_add_ent(&b, (pf_ent){ f->ev1, t, 2, (uint32_t)(f - m->flows), f->u1 })) goto nomem;
        }
        if (!begun) { pf_seq_begin(pr); begun = true; }
        if ((rc = pf_bucket_write(pr, &b))) break;
    }
    goto out;
nomem:
    rc = -ERR_NOMEM;
out:
    free(b.ent);
    free(b.ins);
    free(b.fid);
    free(b.src);
    free(b.dst);
    pf_pending_free(&pend);
    return rc;
}
