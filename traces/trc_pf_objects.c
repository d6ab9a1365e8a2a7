/* Perfetto export: per-object sequences: counters (queue depth, permits,
 * readers, values, arrivals), owner slices of locks, set spans of events. */
#include "traces/trc_pf_internal.h"

#include <stdlib.h>

/* A step series as counter samples: a queue's depth, or an object's level. */
int pf_seq_samples(pf_run *pr, uint64_t track, const trc_sample *v, size_t n) {
    pf_seq_begin(pr);
    return pf_samples_on(pr, pr->seq, track, v, n);
}

int pf_samples_on(pf_run *pr, uint32_t seq, uint64_t track, const trc_sample *v, size_t n) {
    pr->seq = seq;
    pr->started = false;
    for (size_t i = 0; i < n; i++) {
        PF_BEGIN_PACKET(pr, 0);
        if (pr->started) {
            pf_out *o = pr->o;
            o->n = (size_t)(pf_counter_fast(pr, o->buf + o->n, track, v[i].t, v[i].v) - o->buf);
            continue;
        }
        pf_ev e = { .type = TYPE_COUNTER, .track = track, .rel = v[i].t, .counter = v[i].v };
        pf_put(pr, &e);
    }
    return 0;
}

/* A BEGIN (name iid) or END on a slice track. */
int pf_slice(pf_run *pr, uint8_t type, uint64_t track, uint64_t t, uint32_t iid) {
    if (type == TYPE_BEGIN && !iid) return -ERR_NOMEM;
    PF_BEGIN_PACKET(pr, 0);
    pf_out *o = pr->o;
    if (pr->started && (!iid || pr->name_done[iid] == pr->seq)) {
        o->n = (size_t)(pf_slice_fast(pr, o->buf + o->n, type, track, t, iid) - o->buf);
    } else {
        pf_ev e = { .type = type, .track = track, .rel = t, .name_iid = iid };
        pf_put(pr, &e);
    }
    return 0;
}

/* An owner track: one slice per ownership named after the owner. For an
 * rlock the name says the deepest recursion ("a (depth 3)") and nested
 * slices "depth N" cover the times it was held N deep, rebuilt from the
 * depth series (owners and depth samples come from the same events, in
 * order: an ownership is the samples from its 0 -> 1 to its -> 0).
 *
 * The ownerships come one at a time (pf_owner_span), from the model's stored
 * owners (pf_seq_owner) or from its owner sink while it is built
 * (pf_owner_sink): then the object's sequence and its track's descriptor
 * begin at its first ownership shown, and the depth series is read as far as
 * the model has it, which is every sample up to the ownership's end. */
static void pf_owner_begin(pf_run *pr, uint32_t ob, pf_owner *w) {
    pf_seq_begin(pr);
    w->seq = pr->seq;
    w->started = false;
    w->begun = true;
    w->tb_owner = UINT32_MAX;
    pf_tpl_make(pr, &w->te, TYPE_END, pf_uuid_owner(pr, ob), 0);
}

/* A name on the owner sequence: name_done is one sequence's at a time, and
 * streamed owner sequences interleave, so each keeps the names it interned
 * (w->names) and puts them in name_done while it writes. */
static void pf_owner_names(pf_run *pr, pf_owner *w, uint32_t iid) {
    if (iid) pr->name_done[iid] = pf_idset_has(&w->names, iid) ? w->seq : 0;
}

static int pf_owner_slice(pf_run *pr, pf_owner *w, uint8_t type, uint64_t track, uint64_t t, uint32_t iid) {
    pf_owner_names(pr, w, iid);
    int rc = pf_slice(pr, type, track, t, iid);
    if (!rc && iid && pr->name_done[iid] == w->seq && !pf_idset_has(&w->names, iid) && !pf_idset_add(&w->names, iid))
        rc = -ERR_NOMEM;
    return rc;
}

static int pf_owner_span(pf_run *pr, uint32_t ob, pf_owner *w, const trc_owner_span *os, const trc_object_track *ot) {
    if (os->owner >= pr->nunits) return 0;
    bool rlock = pr->run->objects[ob].kind == TRC_OBJ_RLOCK;
    uint64_t track = pf_uuid_owner(pr, ob);
    pr->seq = w->seq;
    pr->started = w->started;
    int rc = 0;
    uint32_t iid = IID_UNIT(pr, os->owner);
    if (!rlock && os->owner != w->tb_owner) pf_owner_names(pr, w, iid);
    if (!rlock && iid && pr->started && (os->owner == w->tb_owner || pr->name_done[iid] == pr->seq)) {
        /* the common case, a lock: its BEGIN and END straight into the block */
        pf_out *o = pr->o;
        if (!pf_need(o, 2 * pr->slack)) return o->err;
        if (os->owner != w->tb_owner) {
            w->tb_owner = os->owner;
            pf_tpl_make(pr, &w->tb, TYPE_BEGIN, track, iid);
        }
        uint8_t *p = pf_tpl_put(pr, o->buf + o->n, &w->tb, os->t0);
        o->n = (size_t)(pf_tpl_put(pr, p, &w->te, os->t1) - o->buf);
        return 0;
    }
    if (rlock && os->depth > 1)
        iid = pf_dyn_fmt(pr, "%s (depth %u)", pf_s(pr->run->units[os->owner].name), os->depth);
    rc = pf_owner_slice(pr, w, TYPE_BEGIN, track, os->t0, iid);
    int64_t open = 1;          /* slices open on the track: the ownership, then one per level above 1 */
    bool seen = false;
    while (rlock && !rc && w->j < ot->nlevel && ot->level[w->j].t <= os->t1) {
        const trc_sample *sm = &ot->level[w->j++];
        if (sm->v <= 0) {
            if (seen) break;   /* the end of this ownership */
            continue;          /* the series' initial 0 */
        }
        seen = true;
        uint64_t t = sm->t < os->t0 ? os->t0 : sm->t;
        for (; open > sm->v && !rc; open--) rc = pf_slice(pr, TYPE_END, track, t, 0);
        while (open < sm->v && open < 256 && !rc) {
            open++;
            rc = pf_owner_slice(pr, w, TYPE_BEGIN, track, t, pf_dyn_fmt(pr, "depth %lld", (long long)open));
        }
    }
    for (; open > 0 && !rc; open--) rc = pf_slice(pr, TYPE_END, track, os->t1, 0);
    w->started = pr->started;
    return rc;
}

/* The stored owners of a model built without a sink. */
int pf_seq_owner(pf_run *pr, uint32_t ob) {
    const trc_object_track *ot = &pr->m->objects[ob];
    pf_owner w = { 0 };
    pf_owner_begin(pr, ob, &w);
    int rc = 0;
    for (size_t i = 0; i < ot->nowners && !rc; i++) rc = pf_owner_span(pr, ob, &w, &ot->owners[i], ot);
    free(w.names.k);
    return rc;
}

int pf_owner_sink(void *ctx, const trc_model *m, uint32_t ob, const trc_owner_span *os) {
    pf_run *pr = ctx;
    if (pr->o->err) return pr->o->err;
    if (ob >= pr->nobjects || os->owner >= pr->nunits) return 0;
    pf_owner *w = &pr->own[ob];
    if (!w->begun) {
        pf_desc_owner(pr, ob);
        if (pr->o->err) return pr->o->err;
        w->desc = true;
        pf_owner_begin(pr, ob, w);
    }
    /* the process track is described and every time fits (trc_pf_stream_run_begin checked the makespan) */
    int rc = pf_owner_span(pr, ob, w, os, &m->objects[ob]);
    if (!rc && pr->nomem) rc = -ERR_NOMEM;
    return rc;
}

/* An event's set spans: one slice "set by <unit>" from SET to CLEAR. */
int pf_seq_set(pf_run *pr, uint32_t ob) {
    const trc_object_track *ot = &pr->m->objects[ob];
    pf_seq_begin(pr);
    uint64_t track = pf_uuid_setspan(pr, ob);
    int rc = 0;
    for (size_t i = 0; i < ot->nset_spans && !rc; i++) {
        const trc_owner_span *sp = &ot->set_spans[i];
        const char *who = sp->owner < pr->nunits ? pf_s(pr->run->units[sp->owner].name) : "?";
        rc = pf_slice(pr, TYPE_BEGIN, track, sp->t0, pf_dyn_fmt(pr, "set by %s", who));
        if (!rc) rc = pf_slice(pr, TYPE_END, track, sp->t1, 0);
    }
    return rc;
}
