/* The wait-for graph at a run's end: which units were still waiting when the
 * run ended (a deadlock, a stuck wait, a watchdog), on what, and held by whom;
 * and the cycle among them, if there is one.
 *
 * Read off the model only: a unit is stuck when its last state before it was
 * aborted (or the run ended) is BLOCKED. Its holder is the unit that owned the
 * object then (locks, rlocks, rwlock writers), the unit it joins, or the worker
 * running the future it waits for. Every stuck unit has at most one holder, so
 * the graph is a functional graph and a cycle is found by walking it. */
#include "traces/trc.h"

#include <stdlib.h>
#include <string.h>

static const trc_span *last_wait(const trc_model *m, uint32_t u) {
    const trc_unit_track *ut = &m->units[u];
    if (ut->exited && !ut->aborted) return NULL;
    /* the last wait, if only the steps of being ended follow it (running to the
     * abort, done, and the kernel's preemptions cut out of that running as
     * RUNNABLE): one that ended on its own (ok, timed out) is not stuck */
    for (size_t i = ut->nspans; i-- > 0;) {
        const trc_span *sp = &ut->spans[i];
        if (sp->state == TRC_ST_DONE || sp->state == TRC_ST_RUNNING || sp->state == TRC_ST_RUNNABLE) continue;
        if (sp->state != TRC_ST_BLOCKED) return NULL;
        if (ut->exited && sp->outcome != TRC_OUT_ABORTED) return NULL;
        if (!ut->exited && i + 1 < ut->nspans) return NULL;   /* never exited: it must still be waiting */
        return sp;
    }
    return NULL;
}

static uint32_t owner_at(const trc_model *m, uint32_t obj, uint64_t t) {
    const trc_object_track *ot = &m->objects[obj - 1];
    size_t lo = 0, hi = ot->nowners;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ot->owners[mid].t1 <= t) lo = mid + 1; else hi = mid;
    }
    if (lo < ot->nowners && ot->owners[lo].t0 <= t) return ot->owners[lo].owner;
    return UINT32_MAX;
}

/* Who held obj at the end of unit u's wait sp: from its owners, or, when they
 * went to an owner sink, from what the model found as it was built. */
static uint32_t owner_end(const trc_model *m, uint32_t u, const trc_span *sp, uint64_t t) {
    const trc_object_track *ot = &m->objects[sp->obj - 1];
    if (ot->owners || !ot->nowners) return owner_at(m, sp->obj, t);
    const trc_unit_track *ut = &m->units[u];
    if (ut->hold_obj == sp->obj && ut->hold_t0 == sp->t0 && ut->hold_t1 == sp->t1) return ut->holder;
    return UINT32_MAX;
}

static uint32_t holder_of(const trc_model *m, uint32_t u, const trc_span *sp) {
    const trc_run *run = m->run;
    uint64_t t = sp->t1 > sp->t0 ? sp->t1 - 1 : sp->t0;
    if (sp->op == TRC_OP_JOIN && !sp->obj) return sp->target < run->nunits ? (uint32_t)sp->target : UINT32_MAX;
    if (!sp->obj || sp->obj > run->nobjects) return UINT32_MAX;
    uint32_t kind = run->objects[sp->obj - 1].kind;
    switch (kind) {
    case TRC_OBJ_LOCK:
    case TRC_OBJ_RLOCK:
        return owner_end(m, u, sp, t);
    case TRC_OBJ_RWLOCK:
        return owner_end(m, u, sp, t);   /* the writer; readers are not named by the model */
    case TRC_OBJ_POOL:
        if (sp->op == TRC_OP_RESULT) {
            const trc_object_track *ot = &m->objects[sp->obj - 1];
            for (size_t i = ot->future0; i < ot->future0 + ot->nfutures; i++) {
                const trc_future *f = &m->futures[i];
                if (f->id == sp->target && trc_future_state_at(f, t) == TRC_FUT_RUNNING) return f->worker;
            }
        }
        return UINT32_MAX;
    default: return UINT32_MAX;
    }
}

int trc_waitfor_end(trc_waitfor *w, const trc_model *m) {
    memset(w, 0, sizeof *w);
    const trc_run *run = m->run;
    uint32_t nu = run->nunits;
    size_t cap = 0;
    uint32_t *edge_of = xmalloc((nu ? nu : 1) * sizeof *edge_of);   /* unit -> index in w->waits */
    for (uint32_t u = 0; u < nu; u++) {
        edge_of[u] = UINT32_MAX;
        const trc_span *sp = last_wait(m, u);
        if (!sp) continue;
        edge_of[u] = (uint32_t)w->nwaits;
        ARR_PUSH(w->waits, w->nwaits, cap,
                 ((trc_wait_edge){ .unit = u, .obj = sp->obj, .op = sp->op, .target = sp->target, .since = sp->t0,
                                   .until = sp->t1, .holder = holder_of(m, u, sp), .in_cycle = false }));
    }
    /* the first cycle, walking from each stuck unit in order */
    uint8_t *seen = xcalloc(nu ? nu : 1, 1);   /* 0 new, 1 on this walk, 2 done */
    for (size_t i = 0; i < w->nwaits && !w->ncycle; i++) {
        uint32_t u = w->waits[i].unit;
        while (u != UINT32_MAX && u < nu && edge_of[u] != UINT32_MAX && !seen[u]) {
            seen[u] = 1;
            u = w->waits[edge_of[u]].holder;
        }
        if (u != UINT32_MAX && u < nu && seen[u] == 1 && edge_of[u] != UINT32_MAX) {
            /* u is on the cycle: walk it once more */
            uint32_t c = u;
            size_t ccap = 0;
            do {
                ARR_PUSH(w->cycle, w->ncycle, ccap, c);
                w->waits[edge_of[c]].in_cycle = true;
                c = w->waits[edge_of[c]].holder;
            } while (c != u);
        }
        for (size_t k = 0; k < nu; k++) if (seen[k] == 1) seen[k] = 2;
    }
    free(seen);
    free(edge_of);
    return 0;
}

void trc_waitfor_release(trc_waitfor *w) {
    free(w->waits);
    free(w->cycle);
    memset(w, 0, sizeof *w);
}
