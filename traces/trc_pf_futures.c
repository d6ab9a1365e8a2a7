/* Perfetto export: a pool's futures, one slice each, on lanes. */
#include "traces/trc_pf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- futures: one slice per future on its pool's lanes ---------------------- */

/* The first lane (numbered through the run) of every pool's futures. */
int pf_lanes(pf_run *pr) {
    const trc_model *m = pr->m;
    pr->lane0 = calloc((size_t)pr->nobjects + 1, sizeof *pr->lane0);
    if (!pr->lane0) return -ERR_NOMEM;
    uint64_t total = 0;
    for (uint32_t ob = 0; ob < pr->nobjects; ob++) {
        pr->lane0[ob] = (uint32_t)total;
        const trc_object_track *ot = &m->objects[ob];
        if (pr->run->objects[ob].kind == TRC_OBJ_POOL && ot->nfutures && ot->future0 + ot->nfutures <= m->nfutures)
            total += ot->future_lanes;
        if (total > UINT32_MAX / 2) return -ERR_LIMIT;
    }
    pr->lane0[pr->nobjects] = (uint32_t)total;
    pr->nlanes = (uint32_t)total;
    return 0;
}

/* What happens on a lane, sorted by (time, lane, order of making). */
enum { FE_BEGIN, FE_PENDING, FE_RUNNING, FE_END, FE_CANCELLED, FE_CALLBACK };
typedef struct pf_fev { uint64_t t; uint32_t lane; uint32_t gen; uint32_t what; size_t fut; } pf_fev;

static int pf_cmp_fev(const void *a, const void *b) {
    const pf_fev *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->lane != y->lane) return x->lane < y->lane ? -1 : 1;
    return x->gen < y->gen ? -1 : x->gen > y->gen;
}

/* A pool's futures: per future a slice "future <id>" from its first event to
 * done, cancel or callback (the run's end if it never finished), with nested
 * "pending" (submit -> start or cancel) and "running" (start -> done), and
 * instants "cancelled" and "callback". */
int pf_seq_futures(pf_run *pr, uint32_t ob) {
    const trc_model *m = pr->m;
    const trc_object_track *ot = &m->objects[ob];
    if (ot->future0 + ot->nfutures > m->nfutures) return 0;
    pf_fev *v = malloc(ot->nfutures * 10 * sizeof *v);
    if (!v) return -ERR_NOMEM;
    size_t *ord = malloc(ot->nfutures * sizeof *ord);
    if (!ord) { free(v); return -ERR_NOMEM; }
    /* in begin order, stable (the order the model gave out the lanes in), so a
     * lane's futures are made in order and a future that ends when the next
     * one on its lane begins is closed first */
    for (size_t i = 0; i < ot->nfutures; i++) {
        size_t x = ot->future0 + i, j = i;
        while (j > 0 && m->futures[ord[j - 1]].t_begin > m->futures[x].t_begin) { ord[j] = ord[j - 1]; j--; }
        ord[j] = x;
    }
    size_t n = 0;
    uint32_t gen = 0;
    /* each END record closes the innermost open slice: pending/running are
     * closed before the next one opens, and the future's own slice last */
    for (size_t i = 0; i < ot->nfutures; i++) {
        size_t k = ord[i];
        const trc_future *f = &m->futures[k];
        uint32_t lane = f->lane;
        if (lane >= ot->future_lanes || f->t_begin == TRC_T_NONE || f->t_end < f->t_begin) continue;
        uint64_t b = f->t_begin, e = f->t_end;
        v[n++] = (pf_fev){ b, lane, gen++, FE_BEGIN, k };
        uint64_t run0 = f->t_start != TRC_T_NONE && f->t_start >= b && f->t_start <= e ? f->t_start : TRC_T_NONE;
        uint64_t stop = f->cancelled && f->t_cancel != TRC_T_NONE ? f->t_cancel : TRC_T_NONE;
        if (f->t_submit != TRC_T_NONE) {
            uint64_t p1 = run0 != TRC_T_NONE ? run0 : stop != TRC_T_NONE ? stop : e;
            if (p1 > e) p1 = e;
            if (p1 > f->t_submit) {
                v[n++] = (pf_fev){ f->t_submit, lane, gen++, FE_PENDING, k };
                v[n++] = (pf_fev){ p1, lane, gen++, FE_END, k };
            }
        }
        if (run0 != TRC_T_NONE) {
            uint64_t r1 = f->t_done != TRC_T_NONE && f->t_done >= run0 && f->t_done <= e ? f->t_done : e;
            if (r1 > run0) {
                v[n++] = (pf_fev){ run0, lane, gen++, FE_RUNNING, k };
                v[n++] = (pf_fev){ r1, lane, gen++, FE_END, k };
            }
        }
        if (stop != TRC_T_NONE && stop >= b && stop <= e) v[n++] = (pf_fev){ stop, lane, gen++, FE_CANCELLED, k };
        if (f->t_callback != TRC_T_NONE && f->t_callback >= b && f->t_callback <= e)
            v[n++] = (pf_fev){ f->t_callback, lane, gen++, FE_CALLBACK, k };
        v[n++] = (pf_fev){ e, lane, gen++, FE_END, k };
    }
    free(ord);
    qsort(v, n, sizeof *v, pf_cmp_fev);
    pf_seq_begin(pr);
    int rc = 0;
    uint32_t iid_pending = pf_dyn_iid(pr, "pending"), iid_running = pf_dyn_iid(pr, "running");
    uint32_t iid_cancel = pf_dyn_iid(pr, "cancelled"), iid_cb = pf_dyn_iid(pr, "callback");
    if (pr->nomem) rc = -ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const pf_fev *x = &v[i];
        const trc_future *f = &m->futures[x->fut];
        uint64_t track = pf_uuid_lane(pr, pr->lane0[ob] + x->lane);
        switch (x->what) {
        case FE_BEGIN: {
            char name[48];
            snprintf(name, sizeof name, "future %" PRIu64, f->id);
            if (!pf_need(pr->o, pr->slack + sizeof name)) { rc = pr->o->err; break; }
            pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = x->t, .name = name, .nann = 1 };
            e.ann[0].dn = DN_FUTURE;
            e.ann[0].v = f->id;
            if (f->t_done != TRC_T_NONE || f->cancelled) {
                e.ann[1].dn = DN_OUTCOME;
                e.ann[1].str = true;
                e.ann[1].v = SV_OUTCOME(pr, PF_OUTCOME_OF(f->outcome));
                e.nann = 2;
            }
            pf_put(pr, &e);
            break;
        }
        case FE_PENDING: rc = pf_slice(pr, TYPE_BEGIN, track, x->t, iid_pending); break;
        case FE_RUNNING: rc = pf_slice(pr, TYPE_BEGIN, track, x->t, iid_running); break;
        case FE_END: rc = pf_slice(pr, TYPE_END, track, x->t, 0); break;
        default: {
            PF_BEGIN_PACKET(pr, 0);
            pf_ev e = { .type = TYPE_INSTANT, .track = track, .rel = x->t,
                        .name_iid = x->what == FE_CANCELLED ? iid_cancel : iid_cb };
            pf_put(pr, &e);
            break;
        }
        }
    }
    free(v);
    return rc;
}
