/* The derived model: one pass over a run's time-sorted events builds
 *  - per unit: state spans (running, computing, blocked on X, sleeping, done),
 *    spawn/join/kill facts,
 *  - per object: lock/rlock/rwlock-writer owner spans, queue depth samples, a
 *    per-kind step series (semaphore permits in use, rlock depth, rwlock readers,
 *    counter value, barrier arrivals), event set spans, counter reads and
 *    writes, wait counts,
 *  - flows: put -> get of the same item, release -> the next acquire by a unit
 *    that was waiting for it, notify/set/barrier open -> each waiter it released
 *    (WAIT_END.extra names the seq or generation), spawn -> child start, child
 *    exit -> join, submit -> start -> done -> callback and done -> result of a
 *    future,
 *  - futures: one lifecycle record per (pool, future id),
 *  - marks and instants (the point events worth drawing).
 * The viewer, stats and exporters all read this, so they agree.
 *
 * Matching is by keys the runtime records, never by guessing from time: an
 * item by (queue, item id), a wake by (object, seq) of WAIT_END.extra, a
 * future by (pool, future id), a join by JOINED.arg. A release event waits in
 * a table for the wakes that name it (release_seen); a wake read before its
 * release, at the very same nanosecond, is matched after the pass, so events
 * at one nanosecond match in either order; a flow is made only when its source
 * is not later than its destination. */
#include "traces/trc.h"
#include "traces/trc_model_internal.h"
#include "traces/trc_procs_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hash map keyed by (object, 64-bit key): items in flight, notify/set/open
 * events by seq, futures by id. */
typedef struct item_slot {
    uint64_t key; uint64_t t; uint64_t ev; uint32_t unit; uint32_t obj; bool used;
    bool has_value; int64_t value;   /* items: put with a value (ITEM_VALUE) */
} item_slot;
typedef struct item_map { item_slot *slots; size_t cap, n; } item_map;

static uint64_t item_hash(uint64_t k, uint32_t obj) {
    k ^= (uint64_t)obj * 0x9E3779B97F4A7C15ull;
    k ^= k >> 33; k *= 0xff51afd7ed558ccdull; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ull; k ^= k >> 33;
    return k;
}

static void item_put(item_map *m, item_slot v);
static void item_grow(item_map *m) {
    item_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].used) item_put(m, old.slots[i]);
    free(old.slots);
}

/* Inserts or replaces the entry of (v.obj, v.key). */
static void item_put(item_map *m, item_slot v) {
    if ((m->n + 1) * 4 > m->cap * 3) item_grow(m);
    size_t i = item_hash(v.key, v.obj) & (m->cap - 1);
    while (m->slots[i].used && (m->slots[i].key != v.key || m->slots[i].obj != v.obj)) i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].used) m->n++;
    v.used = true;
    m->slots[i] = v;
}

static item_slot *item_find(const item_map *m, uint64_t key, uint32_t obj) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1, i = item_hash(key, obj) & mask;
    while (m->slots[i].used && (m->slots[i].key != key || m->slots[i].obj != obj)) i = (i + 1) & mask;
    return m->slots[i].used ? &m->slots[i] : NULL;
}

/* Removes and returns the entry; backward-shift deletion keeps probe chains intact. */
static bool item_take(item_map *m, uint64_t key, uint32_t obj, item_slot *out) {
    if (!m->cap) return false;
    size_t mask = m->cap - 1, i = item_hash(key, obj) & mask;
    while (m->slots[i].used && (m->slots[i].key != key || m->slots[i].obj != obj)) i = (i + 1) & mask;
    if (!m->slots[i].used) return false;
    *out = m->slots[i];
    m->slots[i].used = false;
    m->n--;
    for (size_t j = (i + 1) & mask; m->slots[j].used; j = (j + 1) & mask) {
        size_t h = item_hash(m->slots[j].key, m->slots[j].obj) & mask;
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays) continue;
        m->slots[i] = m->slots[j];
        m->slots[j].used = false;
        i = j;
    }
    return true;
}

#define NO_EV UINT64_MAX

/* trc_model_mem.c: the processes' memory, from MEM_RESIDENT and MEM_VIRTUAL in time order */
void trc__mem_build(trc_model *m, const trc_event *ev, size_t nev, uint64_t base);
void trc__mem_release(trc_mem *mem);

typedef struct unit_cur {
    uint8_t state;
    uint8_t op;
    uint32_t obj;
    uint64_t target;
    uint64_t t0;
    bool started;
    size_t cap;
    uint64_t wait_since; uint32_t wait_obj;   /* last wait, for hand-off flows */
    uint64_t ev_start, ev_exit;               /* first event, UNIT_EXIT (NO_EV = none) */
    uint64_t ev_spawn;                        /* the SPAWN that named this unit */
    bool killed_at;                           /* t_killed comes from DAEMON_KILLED */
    /* the last counter read, for stale reads: (object, op index, writes of it then) */
    uint32_t read_obj; size_t read_op; uint32_t read_writes;
    uint64_t t_exit_ev;                       /* relative time of its UNIT_EXIT */
    uint64_t last_t;                          /* relative time of its latest event */
    uint64_t last_ev;                         /* and that event's index */
    bool in_gap;                              /* a LOST event opened a gap its next event closes */
    bool flushing;                            /* inside FLUSH_BEGIN..FLUSH_END */
    uint8_t f_state, f_op; uint32_t f_obj; uint64_t f_target;   /* the state a flush interrupted */
    size_t cap_gaps;
    bool value_next; int64_t value;           /* ITEM_VALUE: the value of the item its next PUT puts */
    size_t cap_ready, cap_lag;                /* loops */
    /* the GIL: the state a GIL wait goes back to, when it began; the compute under way */
    uint8_t gil_resume; uint64_t gil_since; uint32_t gil_obj;
    uint64_t compute_t0, compute_gil;
    bool probing;                             /* in builder.probes: its hold_* waits for an ownership */
    uint64_t probe_q;                         /* the time whose owner it waits for */
} unit_cur;

typedef struct obj_cur {
    bool owned;
    uint32_t owner, depth, max_d;
    size_t owner_gaps;                        /* the owner's gap count when it acquired */
    uint64_t t0;
    bool released; uint32_t rel_unit; uint64_t rel_t; uint64_t rel_ev;
    size_t cap_owners, cap_held, cap_held_t1, cap_depth, cap_level, cap_set, cap_cops, cap_depth_blk, cap_level_blk;
    bool is_set; uint32_t set_unit; uint64_t set_t0, set_seq;   /* events */
    int64_t gil_waiting;                                        /* the GIL: units waiting for it */
    /* owned kinds: the latest ownership closed (any), and the latest with t1 > t0 (for hold probes) */
    bool pushed, has_last; uint64_t pushed_t1; trc_owner_span last;
    uint32_t probes;                                            /* units probing it */
} obj_cur;

/* A future's event indexes, for its flows. */
typedef struct fut_ev { uint64_t submit, start, done, cancel, callback; uint32_t done_unit, cancel_unit; } fut_ev;
typedef struct result_ev { size_t fut; uint64_t t, ev; uint32_t unit; uint16_t aux; } result_ev;
typedef struct wake_ev { uint64_t t, ev, seq; uint32_t unit, obj, okind; } wake_ev;

typedef struct builder builder;
static void hold_probe(builder *b, trc_unit_track *ut, unit_cur *c, uint64_t t);
static bool owners_sunk(const builder *b);

static void span_close(builder *b, trc_unit_track *ut, unit_cur *c, uint64_t t, uint8_t outcome) {
    if (t > c->t0) {
        ARR_GROW(ut->spans, ut->nspans + 1, c->cap);
        ut->spans[ut->nspans++] = (trc_span){ .t0 = c->t0, .t1 = t, .obj = c->obj, .state = c->state,
                                              .op = c->op, .outcome = outcome, .target = c->target };
        if (c->state == TRC_ST_BLOCKED && c->obj && owners_sunk(b)) hold_probe(b, ut, c, t);   /* stored owners answer it */
    }
}

static void span_open(unit_cur *c, uint64_t t, uint8_t state, uint32_t obj, uint8_t op, uint64_t target) {
    c->state = state; c->obj = obj; c->op = op; c->t0 = t; c->target = target;
}

/* The viewer's sparse max of a series, before sample i = (t, v) is appended.
 * A series that samples were added to without it (a pipe's, from
 * trc_model_procs.c: in a damaged recording a pipe may get a barrier's events
 * too) has fewer blocks than ceil(n / STEP) and keeps having fewer: its
 * blocks are left alone, and the viewer makes its own. */
static inline void blk_push(trc_sample **blk, size_t *nblk, size_t *cap, size_t i, uint64_t t, int64_t v) {
    if (i % TRC_LEVEL_BLK_STEP == 0) ARR_PUSH(*blk, *nblk, *cap, ((trc_sample){ t, v }));
    else if (*nblk == i / TRC_LEVEL_BLK_STEP + 1 && v > (*blk)[*nblk - 1].v) (*blk)[*nblk - 1].v = v;
}

static void level_push(trc_object_track *ot, obj_cur *o, uint64_t t, int64_t v) {
    if (!ot->nlevel || v > ot->max_level) ot->max_level = v;
    if (!ot->nlevel || v < ot->min_level) ot->min_level = v;
    blk_push(&ot->level_blk, &ot->nlevel_blk, &o->cap_level_blk, ot->nlevel, t, v);
    ARR_PUSH(ot->level, ot->nlevel, o->cap_level, ((trc_sample){ t, v }));
}

static void depth_push(trc_object_track *ot, obj_cur *o, uint64_t t, int64_t v) {
    blk_push(&ot->depth_blk, &ot->ndepth_blk, &o->cap_depth_blk, ot->ndepth, t, v);
    ARR_PUSH(ot->depth, ot->ndepth, o->cap_depth, ((trc_sample){ t, v }));
}

struct builder {
    trc_model *m;
    const trc_run *run;
    unit_cur *uc;
    obj_cur *oc;
    /* closed ownerships go to the sink instead of the owners arrays (trc_model_opts) */
    int (*owner_sink)(void *ctx, const trc_model *m, uint32_t obj, const trc_owner_span *s);
    void *sink_ctx;
    int sink_rc;         /* the sink's first failure: the build stops after the batch */
    uint32_t *probes; size_t nprobes, cap_probes;   /* units whose hold probe waits for an ownership */
    size_t cap_flows, cap_marks, cap_inst, cap_fut, cap_res;
    trc_flow *aside; size_t naside, cap_aside;   /* flows out of t0 order (flow_add) */
    bool flows_mixed;                            /* too many of them: m->flows is in no order */
    uint64_t shifted;                            /* flows moved to let one in among the last ones */
    uint64_t next_flow;
    item_map items;      /* (queue, item id) -> the put */
    item_map rels;       /* (object, seq/generation) -> the NOTIFY/SET/BARRIER_OPEN */
    item_map futs;       /* (pool, future id) -> index in m->futures (in .t) */
    fut_ev *fev;
    result_ev *res; size_t nres;
    wake_ev *wakes; size_t nwakes, cap_wakes;   /* WAIT_ENDs whose NOTIFY/SET/OPEN is not read yet */
    size_t cap_warn;
    trc_evcur *cur;      /* for the byte offset of the event at hand */
    trc__sched_ev *sched; size_t nsched, cap_sched;   /* CPU, SCHED_SWITCH, in time order (trc_sched.c) */
    trc_event *counts; size_t ncounts, cap_counts;    /* SCHED_COUNTS */
    trc_event *mem; size_t nmem, cap_mem;         /* MEM_RESIDENT, MEM_VIRTUAL, in time order */
};

#define flow_lt trc__flow_lt

/* Flows are made as they close (a GET, an ACQUIRE, a WAIT_END), so nearly in t0 order: m->flows
 * keeps them in (t0, id) order as they come. One whose place is among the last FLOW_NEAR flows
 * (an item put before the hand-off made just before it) is moved in there; the few farther off go
 * aside (b->aside), to be sorted alone and merged in at the end (flows_finish). Of those, a flow
 * above the one it follows but not above the one before that is the one that goes aside, so that
 * a single high flow does not send the ones after it away. Returns where the new flow is. */
#define FLOW_NEAR 256
static trc_flow *flow_add(builder *b, uint32_t kind, uint64_t t0, uint64_t t1, uint32_t u0, uint32_t u1, uint32_t obj,
                          uint64_t item, uint64_t ev0, uint64_t ev1) {
    trc_model *m = b->m;
    if (t1 > t0 && t1 - t0 > m->flow_maxdur) m->flow_maxdur = t1 - t0;
    trc_flow f = { .id = b->next_flow++, .t0 = t0, .t1 = t1, .u0 = u0, .u1 = u1, .obj = obj, .kind = (uint16_t)kind,
                   .item = item, .ev0 = ev0, .ev1 = ev1 };
    size_t n = m->nflows;
    if (b->naside > 4096 && b->naside > n / 4) {
        /* out of order at large (a LIFO or priority queue's items): everything back in one array,
         * for trc_flows_sort at the end, rather than a second array as big as the first */
        ARR_GROW(m->flows, n + b->naside, b->cap_flows);
        memcpy(m->flows + n, b->aside, b->naside * sizeof *b->aside);
        m->nflows = n += b->naside;
        free(b->aside);
        b->aside = NULL;
        b->naside = b->cap_aside = 0;
        b->flows_mixed = true;
    }
    if (n && !b->flows_mixed && flow_lt(&f, &m->flows[n - 1])) {
        /* its place among the last FLOW_NEAR flows: moved in there (the flows after it shift by one),
         * while the shifting stays within a budget of about two moves per flow */
        size_t lo = n > FLOW_NEAR ? n - FLOW_NEAR : 0, p = n - 1;
        while (p > lo && flow_lt(&f, &m->flows[p - 1])) p--;
        if ((p > lo || lo == 0 || !flow_lt(&f, &m->flows[lo - 1])) && b->shifted + (n - p) <= 2 * (uint64_t)n + 65536) {
            b->shifted += n - p;
            ARR_GROW(m->flows, n + 1, b->cap_flows);
            memmove(m->flows + p + 1, m->flows + p, (n - p) * sizeof *m->flows);
            m->flows[p] = f;
            m->nflows++;
            return &m->flows[p];
        }
        if (n >= 2 && !flow_lt(&f, &m->flows[n - 2])) {   /* the one before is the odd one */
            ARR_PUSH(b->aside, b->naside, b->cap_aside, m->flows[n - 1]);
            m->flows[n - 1] = f;
            return &m->flows[n - 1];
        }
        ARR_PUSH(b->aside, b->naside, b->cap_aside, f);
        return &b->aside[b->naside - 1];
    }
    ARR_GROW(m->flows, n + 1, b->cap_flows);
    m->flows[m->nflows++] = f;
    return &m->flows[n];
}

/* The flows in (t0, id) order: m->flows[0 .. sorted) are (unless mixed: then all are sorted
 * there by trc_flows_sort, in place or nearly), the rest (the processes' flows, added
 * at the end) and the flows set aside are sorted alone and merged in from the back. */
static void flows_finish(builder *b, size_t sorted) {
    trc_model *m = b->m;
    if (b->flows_mixed) {
        trc_flows_sort(m->flows, m->nflows);
        return;
    }
    for (size_t i = sorted; i < m->nflows; i++) ARR_PUSH(b->aside, b->naside, b->cap_aside, m->flows[i]);
    m->nflows = sorted;
    if (!b->naside) return;
    trc_flows_sort(b->aside, b->naside);
    size_t n = m->nflows + b->naside;
    m->flows = xrealloc(m->flows, n * sizeof *m->flows);
    trc__flows_merge_back(m->flows, m->nflows, b->aside, b->naside);
    m->nflows = n;
}

static void instant_add(builder *b, const trc_event *e, size_t i, uint64_t t, const char *text) {
    trc_model *m = b->m;
    ARR_GROW(m->instants, m->ninstants + 1, b->cap_inst);
    m->instants[m->ninstants++] = (trc_instant){ .t = t, .ev = i, .arg = e->arg, .unit = e->unit, .obj = e->obj,
                                                 .kind = e->kind, .aux = e->aux, .extra = e->extra, .text = text };
}

/* An item's value where it was put (aux 0) or got (aux 1): an instant of kind ITEM_VALUE
 * at the PUT or GET (ev), arg = the value, extra = the item id (its low 32 bits). */
static void item_value_instant(builder *b, const trc_event *e, size_t i, uint64_t t, uint16_t aux, int64_t value) {
    trc_event x = *e;
    x.kind = TRC_EV_ITEM_VALUE;
    x.aux = aux;
    x.extra = (uint32_t)e->arg;
    x.arg = (uint64_t)value;
    instant_add(b, &x, i, t, NULL);
}

/* The future (pool, id), created on first sight. */
static size_t future_get(builder *b, uint32_t pool, uint64_t id) {
    item_slot *s = item_find(&b->futs, id, pool);
    if (s) return (size_t)s->t;
    trc_model *m = b->m;
    size_t cap = b->cap_fut;
    ARR_GROW(m->futures, m->nfutures + 1, b->cap_fut);
    if (b->cap_fut != cap) b->fev = xrealloc(b->fev, b->cap_fut * sizeof *b->fev);
    size_t k = m->nfutures++;
    m->futures[k] = (trc_future){ .id = id, .pool = pool, .submitter = UINT32_MAX, .worker = UINT32_MAX,
                                  .callback_unit = UINT32_MAX, .t_submit = TRC_T_NONE, .t_start = TRC_T_NONE,
                                  .t_done = TRC_T_NONE, .t_cancel = TRC_T_NONE, .t_callback = TRC_T_NONE,
                                  .t_result = TRC_T_NONE };
    b->fev[k] = (fut_ev){ NO_EV, NO_EV, NO_EV, NO_EV, NO_EV, 0, 0 };
    item_put(&b->futs, (item_slot){ .key = id, .obj = pool, .t = k });
    return k;
}

static void pool_event(builder *b, const trc_event *e, size_t i, uint64_t t) {
    trc_object_track *ot = &b->m->objects[e->obj - 1];
    size_t k = future_get(b, e->obj, e->arg);
    trc_future *f = &b->m->futures[k];
    fut_ev *fe = &b->fev[k];
    switch (e->kind) {
    case TRC_EV_SUBMIT:
        ot->submitted++;
        if (f->t_submit == TRC_T_NONE) {
            f->t_submit = t; f->submitter = e->unit; fe->submit = i;
            if (e->extra && e->extra - 1 < b->run->nstrings) f->task = b->run->strings[e->extra - 1];
        }
        break;
    case TRC_EV_TASK_START:
        ot->started++;
        if (f->t_start == TRC_T_NONE) { f->t_start = t; f->worker = e->unit; fe->start = i; }
        break;
    case TRC_EV_TASK_DONE:
        if (e->aux == TRC_OUT_OK) ot->completed++; else ot->failed++;
        if (f->t_done == TRC_T_NONE) { f->t_done = t; f->outcome = (uint8_t)e->aux; fe->done = i; fe->done_unit = e->unit; }
        break;
    case TRC_EV_CANCEL:
        if (e->aux == 1) {
            ot->cancelled++;
            if (!f->cancelled) {
                f->cancelled = true; f->t_cancel = t; f->outcome = TRC_OUT_CANCELLED; fe->cancel = i;
                fe->cancel_unit = e->unit;
            }
        } else {
            ot->cancel_failed++;
        }
        break;
    case TRC_EV_CALLBACK:
        ot->callbacks++;
        if (f->t_callback == TRC_T_NONE) { f->t_callback = t; f->callback_unit = e->unit; fe->callback = i; }
        break;
    case TRC_EV_RESULT:
        ot->results++;
        if (e->aux == TRC_OUT_TIMEOUT) { f->result_timeouts++; break; }
        f->results++;
        if (f->t_result == TRC_T_NONE) f->t_result = t;
        ARR_GROW(b->res, b->nres + 1, b->cap_res);
        b->res[b->nres++] = (result_ev){ .fut = k, .t = t, .ev = i, .unit = e->unit, .aux = e->aux };
        break;
    default: break;
    }
}

/* Flows of the futures, then the futures grouped by pool. */
static void futures_finish(builder *b) {
    trc_model *m = b->m;
    const trc_run *run = b->run;
    for (size_t k = 0; k < m->nfutures; k++) {
        const trc_future *f = &m->futures[k];
        const fut_ev *fe = &b->fev[k];
        if (fe->submit != NO_EV && fe->start != NO_EV && f->t_submit <= f->t_start)
            flow_add(b, TRC_FLOW_SUBMIT, f->t_submit, f->t_start, f->submitter, f->worker, f->pool, f->id, fe->submit,
                     fe->start);
        if (fe->start != NO_EV && fe->done != NO_EV && f->t_start <= f->t_done)
            flow_add(b, TRC_FLOW_TASK, f->t_start, f->t_done, f->worker, fe->done_unit, f->pool, f->id, fe->start,
                     fe->done);
        uint64_t src = fe->done != NO_EV ? fe->done : fe->cancel;
        uint32_t su = fe->done != NO_EV ? fe->done_unit : fe->cancel_unit;
        uint64_t ts = fe->done != NO_EV ? f->t_done : f->t_cancel;
        if (src != NO_EV && fe->callback != NO_EV && ts <= f->t_callback)
            flow_add(b, TRC_FLOW_CALLBACK, ts, f->t_callback, su, f->callback_unit, f->pool, f->id, src,
                     fe->callback);
    }
    for (size_t r = 0; r < b->nres; r++) {
        const result_ev *re = &b->res[r];
        const trc_future *f = &m->futures[re->fut];
        const fut_ev *fe = &b->fev[re->fut];
        uint64_t src = fe->done != NO_EV ? fe->done : fe->cancel;
        uint32_t su = fe->done != NO_EV ? fe->done_unit : fe->cancel_unit;
        uint64_t ts = fe->done != NO_EV ? f->t_done : f->t_cancel;
        if (src != NO_EV && ts <= re->t)
            flow_add(b, TRC_FLOW_RESULT, ts, re->t, su, re->unit, f->pool, f->id, src, re->ev);
    }
    if (!m->nfutures) return;
    /* group by pool, keeping first-seen order within a pool (counting sort) */
    uint32_t no = run->nobjects;
    size_t *start = xcalloc((size_t)no + 2, sizeof *start);
    for (size_t k = 0; k < m->nfutures; k++) start[m->futures[k].pool + 1]++;
    for (uint32_t o = 1; o <= no + 1; o++) start[o] += start[o - 1];
    trc_future *sorted = xmalloc(m->nfutures * sizeof *sorted);
    for (uint32_t o = 1; o <= no; o++) {
        m->objects[o - 1].future0 = start[o];
        m->objects[o - 1].nfutures = start[o + 1] - start[o];
    }
    for (size_t k = 0; k < m->nfutures; k++) sorted[start[m->futures[k].pool]++] = m->futures[k];
    free(m->futures);
    m->futures = sorted;
    free(start);
}

/* The drawn life of each future and its lane in its pool: a min-heap of lanes
 * by the time they free up. */
typedef struct lane_end { uint64_t end; uint32_t lane; } lane_end;

static bool lane_less(const lane_end *a, const lane_end *b) {
    return a->end < b->end || (a->end == b->end && a->lane < b->lane);
}

static void futures_lanes(trc_model *m) {
    const trc_run *run = m->run;
    lane_end *heap = NULL;
    size_t cap = 0;
    for (size_t k = 0; k < m->nfutures; k++) {
        trc_future *f = &m->futures[k];
        uint64_t b = f->t_submit;
        if (f->t_start < b) b = f->t_start;
        if (f->t_cancel < b) b = f->t_cancel;
        if (f->t_done < b) b = f->t_done;
        f->t_begin = b;
        f->t_end = TRC_T_NONE;
        f->lane = UINT32_MAX;
        if (b == TRC_T_NONE) continue;
        uint64_t e = 0;
        if (f->t_done != TRC_T_NONE && f->t_done > e) e = f->t_done;
        if (f->t_cancel != TRC_T_NONE && f->t_cancel > e) e = f->t_cancel;
        if (f->t_callback != TRC_T_NONE && f->t_callback > e) e = f->t_callback;
        if (f->t_done == TRC_T_NONE && !f->cancelled && m->makespan > e) e = m->makespan;
        f->t_end = e < b ? b : e;
    }
    for (uint32_t o = 0; o < run->nobjects; o++) {
        trc_object_track *ot = &m->objects[o];
        if (!ot->nfutures) continue;
        /* in begin order (stable on first-seen order) */
        size_t n = 0;
        uint32_t lanes = 0;
        size_t *ord = xmalloc(ot->nfutures * sizeof *ord);
        size_t no = 0;
        for (size_t k = ot->future0; k < ot->future0 + ot->nfutures; k++)
            if (m->futures[k].t_begin != TRC_T_NONE) ord[no++] = k;
        for (size_t i = 1; i < no; i++) {   /* nearly sorted already: insertion sort */
            size_t x = ord[i], j = i;
            while (j > 0 && m->futures[ord[j - 1]].t_begin > m->futures[x].t_begin) { ord[j] = ord[j - 1]; j--; }
            ord[j] = x;
        }
        for (size_t i = 0; i < no; i++) {
            trc_future *f = &m->futures[ord[i]];
            lane_end x;
            if (n && heap[0].end <= f->t_begin) {
                x = heap[0];
                heap[0] = heap[--n];
                for (size_t p = 0;;) {
                    size_t l = 2 * p + 1, r = l + 1, sm = p;
                    if (l < n && lane_less(&heap[l], &heap[sm])) sm = l;
                    if (r < n && lane_less(&heap[r], &heap[sm])) sm = r;
                    if (sm == p) break;
                    lane_end tmp = heap[p]; heap[p] = heap[sm]; heap[sm] = tmp;
                    p = sm;
                }
            } else {
                x.lane = lanes++;
            }
            f->lane = x.lane;
            x.end = f->t_end;
            ARR_GROW(heap, n + 1, cap);
            size_t p = n++;
            heap[p] = x;
            while (p && lane_less(&heap[p], &heap[(p - 1) / 2])) {
                lane_end tmp = heap[p]; heap[p] = heap[(p - 1) / 2]; heap[(p - 1) / 2] = tmp;
                p = (p - 1) / 2;
            }
        }
        ot->future_lanes = lanes;
        free(ord);
    }
    free(heap);
}

/* ---- repairs: what a gap in the recording leaves ------------------------ */

static const char *unit_name(const trc_run *run, uint32_t u) {
    return u < run->nunits && run->units[u].name ? run->units[u].name : "unknown";
}

static const char *fmt_t(char *out, uint64_t t) {
    fmt_dur(out, 32, t);
    return out;
}

/* Records a warning about event i (k: its place in the cursor's batch). */
__attribute__((format(printf, 6, 7)))
static void warn(builder *b, uint64_t i, size_t k, uint64_t t, uint32_t unit, const char *fmt, ...) {
    trc_model *m = b->m;
    m->warnings_total++;
    if (m->nwarnings >= TRC_MAX_WARNINGS) return;
    ARR_GROW(m->warnings, m->nwarnings + 1, b->cap_warn);
    trc_warning *w = &m->warnings[m->nwarnings++];
    memset(w, 0, sizeof *w);
    w->ev = i;
    w->t = t;
    w->unit = unit;
    w->has_offset = b->cur && k != SIZE_MAX && trc_evcur_offset(b->cur, k, &w->offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
}

/* Until when an object's owner is known to have held it: the start of the
 * owner's first gap since it acquired, else its latest event. */
static uint64_t owner_known_until(const trc_model *m, const unit_cur *uc, const obj_cur *o) {
    const trc_unit_track *ot = &m->units[o->owner];
    if (ot->ngaps > o->owner_gaps) return ot->gaps[o->owner_gaps].t0 > o->t0 ? ot->gaps[o->owner_gaps].t0 : o->t0;
    return uc[o->owner].last_t > o->t0 ? uc[o->owner].last_t : o->t0;
}

/* Since when unit u may hold an object whose acquisition was not recorded:
 * its last release, or u's latest gap if that began later. */
static uint64_t acquire_known_after(const trc_model *m, const unit_cur *uc, const obj_cur *o, uint32_t u) {
    uint64_t from = o->released ? o->rel_t : 0;
    const trc_unit_track *ut = &m->units[u];
    if (ut->ngaps && ut->gaps[ut->ngaps - 1].t0 > from) from = ut->gaps[ut->ngaps - 1].t0;
    (void)uc;
    return from;
}

/* Hold probes: trc_waitfor_end names the holder of the lock a unit was still
 * waiting for at its end, the owner at the end of its last blocked span. With
 * an owner sink the owners are not kept to look that up afterwards, so each
 * blocked span on a lock, rlock or rwlock asks for it as it closes (at q, its
 * last nanosecond): the latest ownership closed with t1 > t0 answers if it
 * covers q, else the first ownership closed from then on with t1 > q does
 * (ownerships are sorted and never overlap, so no later one can). The answer
 * lands in the unit's hold_* fields, for its latest such span only. */
static void probe_answer(trc_unit_track *ut, const trc_owner_span *s, uint64_t q) {
    ut->holder = s->t0 <= q ? s->owner : TRC_UNIT_UNKNOWN;
}

static bool owners_sunk(const builder *b) { return b->owner_sink != NULL; }

static void hold_probe(builder *b, trc_unit_track *ut, unit_cur *c, uint64_t t) {
    if (c->probing) {   /* a new span replaces the question of the one before */
        b->oc[ut->hold_obj - 1].probes--;
        c->probing = false;
    }
    uint32_t kind = c->obj <= b->run->nobjects ? b->run->objects[c->obj - 1].kind : 0;
    if (kind != TRC_OBJ_LOCK && kind != TRC_OBJ_RLOCK && kind != TRC_OBJ_RWLOCK) {
        ut->hold_obj = 0;   /* its latest blocked span is not on an owned object */
        return;
    }
    obj_cur *o = &b->oc[c->obj - 1];
    uint64_t q = t - 1;
    ut->hold_obj = c->obj;
    ut->hold_t0 = c->t0;
    ut->hold_t1 = t;
    ut->holder = TRC_UNIT_UNKNOWN;
    if (o->has_last && o->last.t1 > q) {
        probe_answer(ut, &o->last, q);
        return;
    }
    c->probing = true;
    c->probe_q = q;
    o->probes++;
    for (size_t k = 0; k < b->nprobes; k++)
        if (b->probes[k] == (uint32_t)(c - b->uc)) return;
    ARR_PUSH(b->probes, b->nprobes, b->cap_probes, (uint32_t)(c - b->uc));
}

/* The probes on object oi that ownership s answers. */
static void probes_answer(builder *b, uint32_t oi, const trc_owner_span *s) {
    obj_cur *o = &b->oc[oi];
    for (size_t k = 0; k < b->nprobes && o->probes;) {
        uint32_t u = b->probes[k];
        unit_cur *c = &b->uc[u];
        trc_unit_track *ut = &b->m->units[u];
        if (!c->probing) {   /* answered (or replaced) already: drop it */
            b->probes[k] = b->probes[--b->nprobes];
            continue;
        }
        if (ut->hold_obj == oi + 1 && s->t1 > c->probe_q) {
            probe_answer(ut, s, c->probe_q);
            c->probing = false;
            o->probes--;
            b->probes[k] = b->probes[--b->nprobes];
            continue;
        }
        k++;
    }
}

/* Appends an ownership (and keeps t_held, and its sparse prefix sum, up to
 * date), or hands it to the owner sink. */
static inline void owner_push(builder *b, trc_object_track *ot, obj_cur *o, trc_owner_span s) {
    uint32_t oi = (uint32_t)(o - b->oc);
    if (b->owner_sink) {
        ot->nowners++;
        if (!b->sink_rc) b->sink_rc = b->owner_sink(b->sink_ctx, b->m, oi, &s);
    } else {
        if (ot->nowners % TRC_OWNER_HELD_STEP == 0) {
            ARR_PUSH(ot->owners_held, ot->nowners_held, o->cap_held, ot->t_held);
            ARR_GROW(ot->owners_t1, ot->nowners_held, o->cap_held_t1);
            ot->owners_t1[ot->nowners_held - 1] = s.t1;
        }
        ARR_PUSH(ot->owners, ot->nowners, o->cap_owners, s);
        if (s.owner < b->run->nunits && !b->m->units[s.owner].owns) {
            uint32_t k = b->run->objects[oi].kind;
            if (k == TRC_OBJ_LOCK || k == TRC_OBJ_RLOCK || k == TRC_OBJ_RWLOCK || k == TRC_OBJ_GIL) b->m->units[s.owner].owns = true;
        }
    }
    ot->t_held += s.t1 - s.t0;
    o->pushed = true;
    o->pushed_t1 = s.t1;
    if (s.t1 > s.t0) {
        o->has_last = true;
        o->last = s;
    }
    if (o->probes) probes_answer(b, oi, &s);
}

/* Ends the current ownership at t (the owner's span, as a release would). */
static void owner_close(builder *b, trc_object_track *ot, obj_cur *o, uint32_t okind, uint64_t t) {
    if (!o->owned) return;
    if (t > o->t0) {
        owner_push(b, ot, o,
                 ((trc_owner_span){ .t0 = o->t0, .t1 = t, .owner = o->owner,
                                    .depth = okind == TRC_OBJ_RLOCK && o->max_d > 1 ? o->max_d : 1 }));
    }
    o->owned = false;
}

/* An owner nobody knows, from t0 to t1. */
static void owner_unknown(builder *b, trc_object_track *ot, obj_cur *o, uint64_t t0, uint64_t t1) {
    if (o->pushed && o->pushed_t1 > t0) t0 = o->pushed_t1;
    if (t1 > t0) {
        owner_push(b, ot, o,
                 ((trc_owner_span){ .t0 = t0, .t1 = t1, .owner = TRC_UNIT_UNKNOWN, .depth = 1 }));
    }
    ot->repairs++;
}

/* ---- wakes, matched by (object, seq) ------------------------------------ */

static void wake_flow(builder *b, const item_slot *r, const wake_ev *w) {
    flow_add(b, w->okind == TRC_OBJ_CONDITION ? TRC_FLOW_NOTIFY : w->okind == TRC_OBJ_EVENT ? TRC_FLOW_SET
                                                                                             : TRC_FLOW_BARRIER,
             r->t, w->t, r->unit, w->unit, w->obj, w->seq, r->ev, w->ev);
}

/* A NOTIFY, SET or BARRIER_OPEN: the wakes that name it find it by (object, seq).
 * A NOTIFY says how many waiters it woke (extra), and only those waiters were
 * given its seq: one that woke nobody is not kept, and one that woke n leaves
 * the table at its n-th wake, so the table holds the notifies in flight, not
 * every notify of the run (a notify per round with nobody waiting made it the
 * build's hottest spot). value: the wakes it still owes (-1: any number, a SET or
 * an opening, whose late arrivals may name it too). */
static void release_seen(builder *b, const trc_event *e, uint64_t i, uint64_t t) {
    if (!e->obj || !e->arg) return;
    bool notify = e->kind == TRC_EV_NOTIFY;
    if (notify && !e->extra) return;
    item_put(&b->rels, (item_slot){ .key = e->arg, .obj = e->obj, .t = t, .ev = i, .unit = e->unit,
                                    .value = notify ? (int64_t)e->extra : -1 });
}

/* A wake matched its release r: a notify that has woken all it said leaves the table. */
static void release_woke(builder *b, item_slot *r) {
    if (r->value > 0 && --r->value == 0) {
        item_slot gone;
        item_take(&b->rels, r->key, r->obj, &gone);
    }
}

/* WAIT_ENDs read before their release (the same nanosecond, in the other order). */
static void wakes_finish(builder *b) {
    for (size_t k = 0; k < b->nwakes; k++) {
        const wake_ev *w = &b->wakes[k];
        item_slot *r = item_find(&b->rels, w->seq, w->obj);
        if (r && r->t <= w->t) {
            wake_flow(b, r, w);
            release_woke(b, r);
        } else b->m->unmatched_wakes++;
    }
}

static void builder_free(builder *b) {
    free(b->probes);
    free(b->items.slots);
    free(b->rels.slots);
    free(b->futs.slots);
    free(b->fev);
    free(b->res);
    free(b->wakes);
    free(b->sched);
    free(b->counts);
    free(b->aside);
    free(b->mem);
}

/* ---- the pass -------------------------------------------------------------- */

typedef struct pass {
    builder *b;
    const trc_run *run;
    unit_cur *uc;
    obj_cur *oc;
    uint64_t base, last;
    bool checked;            /* events in memory: check order and references on the way */
    trc__procs *pp;          /* processes, pipes, shm, vars, managers: trc_model_procs.c */
} pass;

/* One batch of events in time order, the first being event i0. */
static int model_batch(pass *P, const trc_event *batch, size_t nb, uint64_t i0, diag *d) {
    builder *b = P->b;
    trc_model *m = b->m;
    const trc_run *run = P->run;
    unit_cur *uc = P->uc;
    obj_cur *oc = P->oc;
    uint64_t base = P->base;
    char tbuf[32];
    for (size_t k = 0; k < nb; k++) {
        const trc_event *e = &batch[k];
        uint64_t i = i0 + k;
        if (P->checked) {
            if (e->t < P->last && i > 0)
                return diag_set(d, ERR_FORMAT, "event %llu (%s) at %llu ns goes back in time", (unsigned long long)i,
                                trc_ev_name(e->kind), (unsigned long long)e->t);
            if (e->unit >= run->nunits)
                return diag_set(d, ERR_FORMAT, "event %llu (%s) names unit %u of %u", (unsigned long long)i,
                                trc_ev_name(e->kind), e->unit, run->nunits);
            if (e->obj > run->nobjects)
                return diag_set(d, ERR_FORMAT, "event %llu (%s) names object %u of %u", (unsigned long long)i,
                                trc_ev_name(e->kind), e->obj, run->nobjects);
        }
        if (e->t > P->last) P->last = e->t;
        uint64_t t = e->t >= base ? e->t - base : 0;
        if (e->t < base)
            warn(b, i, k, 0, e->unit, "%s's %s is %llu ns before the run's start: read as at its start",
                 unit_name(run, e->unit), trc_ev_name(e->kind), (unsigned long long)(base - e->t));
        if (trc_ev_is_mem(e->kind)) {   /* a process's memory, not a step of the unit carrying it */
            ARR_PUSH(b->mem, b->nmem, b->cap_mem, *e);
            continue;
        }
        trc_unit_track *ut = &m->units[e->unit];
        unit_cur *c = &uc[e->unit];
        trc_object_track *ot = e->obj ? &m->objects[e->obj - 1] : NULL;
        obj_cur *o = e->obj ? &oc[e->obj - 1] : NULL;
        uint32_t okind = e->obj ? run->objects[e->obj - 1].kind : 0;
        /* the kernel's events (the CPU written before a unit's first event, its switches)
         * are not the unit's start: a spawn flow runs to its first event of its own */
        if (!c->started && e->kind != TRC_EV_UNIT_EXIT && e->kind != TRC_EV_CPU && e->kind != TRC_EV_SCHED_SWITCH &&
            e->kind != TRC_EV_SCHED_COUNTS) {
            c->started = true;
            ut->t_start = t;
            c->ev_start = i;
            span_open(c, t, TRC_ST_RUNNING, 0, 0, 0);
        }
        if (c->in_gap && e->kind != TRC_EV_LOST) {
            /* the gap ends here: the unit is known again from this event on */
            c->in_gap = false;
            ut->gaps[ut->ngaps - 1].t1 = t;
            span_close(b, ut, c, t, 0);
            span_open(c, t, ut->exited ? TRC_ST_DONE : TRC_ST_RUNNING, 0, 0, 0);
        }
        c->last_t = t;
        if (c->state == TRC_ST_READY && e->kind != TRC_EV_READY && e->kind != TRC_EV_UNIT_EXIT &&
            e->kind != TRC_EV_LOST) {
            /* a ready task's next event of its own: it runs again. A wait it was woken from
             * ended before READY: its outcome comes now */
            if (e->kind == TRC_EV_WAIT_END && ut->nspans && ut->spans[ut->nspans - 1].state == TRC_ST_BLOCKED)
                ut->spans[ut->nspans - 1].outcome = (uint8_t)e->aux;
            span_close(b, ut, c, t, 0);
            span_open(c, t, TRC_ST_RUNNING, 0, 0, 0);
        }
        c->last_ev = i;
        switch (e->kind) {
        case TRC_EV_UNIT_START: break;
        case TRC_EV_UNIT_EXIT:
            if (c->gil_since && c->gil_obj && c->gil_obj <= run->nobjects) {   /* it ended while waiting for the GIL */
                obj_cur *go = &oc[c->gil_obj - 1];
                if (go->gil_waiting > 0) level_push(&m->objects[c->gil_obj - 1], go, t, --go->gil_waiting);
                c->gil_since = 0;
            }
            if (!c->started) {
                c->started = true; ut->t_start = t; c->ev_start = i;
                span_open(c, t, TRC_ST_RUNNING, 0, 0, 0);
            }
            span_close(b, ut, c, t, c->state == TRC_ST_BLOCKED || c->state == TRC_ST_IDLE ? TRC_OUT_ABORTED : 0);
            ut->exited = true;
            ut->aborted = e->aux == TRC_EXIT_ABORTED;
            ut->cancelled = e->aux == TRC_EXIT_CANCELLED;
            ut->failed = e->aux == TRC_EXIT_ERROR;
            if (e->aux == TRC_EXIT_KILLED) {
                ut->killed = true;
                if (!c->killed_at) ut->t_killed = t;
            }
            ut->t_exit = t;
            if (c->ev_exit == NO_EV) { c->ev_exit = i; c->t_exit_ev = t; }
            span_open(c, t, TRC_ST_DONE, 0, 0, 0);
            break;
        case TRC_EV_COMPUTE_BEGIN:   /* extra, on a loop: the task that blocks it + 1 */
            span_close(b, ut, c, t, 0); span_open(c, t, TRC_ST_COMPUTE, 0, 0, e->extra);
            c->compute_t0 = t; c->compute_gil = 0;
            break;
        case TRC_EV_SLEEP_BEGIN:
            span_close(b, ut, c, t, 0); span_open(c, t, TRC_ST_SLEEP, 0, 0, e->extra); break;
        case TRC_EV_WAIT_BEGIN:
            span_close(b, ut, c, t, 0);
            span_open(c, t, (okind == TRC_OBJ_POOL && e->aux == TRC_OP_GET) || e->aux == TRC_OP_SELECT ? TRC_ST_IDLE
                                                                                                     : TRC_ST_BLOCKED, e->obj,
                      (uint8_t)e->aux, e->arg);
            ut->waits++;
            if (ot) ot->waits++;
            c->wait_since = t; c->wait_obj = e->obj;
            break;
        case TRC_EV_COMPUTE_END:
        case TRC_EV_SLEEP_END:
        case TRC_EV_WAIT_END:
            if (e->kind == TRC_EV_COMPUTE_END) ut->cpu_ns += e->arg;   /* for the stats, whatever follows */
            if (ut->exited) break;
            if (e->kind == TRC_EV_COMPUTE_END) {
                ut->sched.compute_cpu += e->arg;
                if (c->gil_since) c->compute_gil += t - c->gil_since;   /* ended while it waited for the GIL */
                uint64_t wall = t - c->compute_t0;
                ut->sched.compute_wall += wall > c->compute_gil ? wall - c->compute_gil : 0;
                c->gil_since = 0;
            }
            if (e->kind == TRC_EV_WAIT_END) {
                if (e->aux != TRC_OUT_OK) c->wait_obj = 0;
                if (ot && e->aux == TRC_OUT_TIMEOUT) ot->timeouts++;
                if (ot && e->extra &&
                    (okind == TRC_OBJ_CONDITION || okind == TRC_OBJ_EVENT || okind == TRC_OBJ_BARRIER)) {
                    item_slot *r = item_find(&b->rels, e->extra, e->obj);
                    if (r && r->t <= t) {
                        wake_flow(b, r, &(wake_ev){ t, i, e->extra, e->unit, e->obj, okind });
                        release_woke(b, r);
                    } else   /* its release may come later at this very time: matched at the end */
                        ARR_PUSH(b->wakes, b->nwakes, b->cap_wakes, ((wake_ev){ t, i, e->extra, e->unit, e->obj, okind }));
                }
            }
            span_close(b, ut, c, t, (uint8_t)(e->kind == TRC_EV_WAIT_END ? e->aux : 0));
            span_open(c, t, TRC_ST_RUNNING, 0, 0, 0);
            break;
        case TRC_EV_ACQUIRE:
            if (!o) break;
            ot->acquires++;
            if (okind == TRC_OBJ_SEMAPHORE) {
                level_push(ot, o, t, (int64_t)e->extra);
                c->wait_obj = 0;
                break;
            }
            if (okind == TRC_OBJ_RWLOCK && e->aux == 1) {
                ot->shared_acquires++;
                level_push(ot, o, t, (int64_t)e->extra);
                c->wait_obj = 0;
                break;
            }
            /* the depth sample first: an owner sink reading the level series for the ownership this
             * acquisition cuts short finds every sample up to its end */
            if (okind == TRC_OBJ_RLOCK) level_push(ot, o, t, (int64_t)(e->arg ? e->arg : 1));
            if (o->owned && o->owner != e->unit) {
                /* the owner's release was lost (or this is not a consistent file) */
                uint64_t cut = owner_known_until(m, uc, o);
                warn(b, i, k, t, e->unit, "%s acquires %s while %s owns it: %s's release was lost; %s's owner is "
                     "unknown from %s", unit_name(run, e->unit), run->objects[e->obj - 1].name,
                     unit_name(run, o->owner), unit_name(run, o->owner), run->objects[e->obj - 1].name,
                     fmt_t(tbuf, cut));
                owner_close(b, ot, o, okind, cut);
                owner_unknown(b, ot, o, cut, t);
            }
            if (!o->owned) {
                o->owned = true; o->owner = e->unit; o->t0 = t; o->max_d = 0; o->owner_gaps = ut->ngaps;
                if (o->released && o->rel_unit != e->unit && c->wait_obj == e->obj && c->wait_since <= o->rel_t) {
                    flow_add(b, TRC_FLOW_HANDOFF, o->rel_t, t, o->rel_unit, e->unit, e->obj, 0, o->rel_ev, i);
                    ot->handoffs++;
                }
            }
            o->depth = (uint32_t)e->arg;
            if (o->depth > o->max_d) o->max_d = o->depth;
            c->wait_obj = 0;
            break;
        case TRC_EV_RELEASE:
            if (!o) break;
            if (okind == TRC_OBJ_SEMAPHORE ||
                (okind == TRC_OBJ_RWLOCK && (e->aux == 1 || !o->owned || o->owner != e->unit))) {
                level_push(ot, o, t, (int64_t)e->extra);
                break;
            }
            if (e->aux == TRC_RELEASE_FOREIGN) instant_add(b, e, i, t, NULL);   /* mutual exclusion broken */
            /* who held it: the releaser, or for a plain lock released by another unit the holder it names */
            uint32_t holder = e->aux == TRC_RELEASE_FOREIGN && e->extra && e->extra - 1 < run->nunits ? e->extra - 1
                                                                                                   : e->unit;
            if (!o->owned || o->owner != holder) {
                if (!o->owned && ((e->arg != 0 && okind == TRC_OBJ_RLOCK) || holder != e->unit)) {
                    /* an rlock released to a depth > 0, or a lock released for a named holder, that nobody
                     * holds: it was taken in a gap */
                    uint64_t from = acquire_known_after(m, uc, o, holder);
                    warn(b, i, k, t, e->unit, "%s releases %s, which nobody holds: its acquisition was lost; held "
                         "by %s from %s", unit_name(run, e->unit), run->objects[e->obj - 1].name,
                         unit_name(run, holder), fmt_t(tbuf, from));
                    owner_unknown(b, ot, o, from, from);
                    o->owned = true; o->owner = holder; o->t0 = from;
                    o->max_d = okind == TRC_OBJ_RLOCK ? (uint32_t)e->arg + 1 : 1;
                    o->owner_gaps = m->units[holder].ngaps;
                } else if (!o->owned) {
                    uint64_t from = acquire_known_after(m, uc, o, e->unit);
                    warn(b, i, k, t, e->unit, "%s releases %s, which nobody holds: its acquisition was lost; the "
                         "owner is unknown from %s", unit_name(run, e->unit), run->objects[e->obj - 1].name,
                         fmt_t(tbuf, from));
                    owner_unknown(b, ot, o, from, t);
                    o->released = true; o->rel_unit = e->unit; o->rel_t = t; o->rel_ev = i;
                    if (okind == TRC_OBJ_RLOCK) level_push(ot, o, t, 0);
                    break;
                } else {
                    uint64_t cut = owner_known_until(m, uc, o);
                    warn(b, i, k, t, e->unit, "%s releases %s while %s owns it: releases and acquisitions were "
                         "lost; the owner is unknown from %s", unit_name(run, e->unit), run->objects[e->obj - 1].name,
                         unit_name(run, o->owner), fmt_t(tbuf, cut));
                    if (okind == TRC_OBJ_RLOCK) level_push(ot, o, t, (int64_t)e->arg);   /* first: see ACQUIRE */
                    owner_close(b, ot, o, okind, cut);
                    owner_unknown(b, ot, o, cut, t);
                    o->released = true; o->rel_unit = e->unit; o->rel_t = t; o->rel_ev = i;
                    break;
                }
            }
            o->depth = (uint32_t)e->arg;
            if (okind == TRC_OBJ_RLOCK) level_push(ot, o, t, (int64_t)e->arg);
            if (e->arg == 0) {
                owner_push(b, ot, o,
                         ((trc_owner_span){ .t0 = o->t0, .t1 = t, .owner = o->owner,
                                            .depth = okind == TRC_OBJ_RLOCK && o->max_d > 1 ? o->max_d : 1 }));
                o->owned = false;
                o->released = true; o->rel_unit = e->unit; o->rel_t = t; o->rel_ev = i;
            }
            break;
        case TRC_EV_PUT:
        case TRC_EV_GET: {
            if (e->kind == TRC_EV_PUT) ut->puts++; else ut->gets++;   /* for the stats, whatever follows */
            if (!ot) break;
            depth_push(ot, o, t, (int64_t)e->extra);
            if ((int64_t)e->extra > ot->max_depth) ot->max_depth = e->extra;
            if (e->kind == TRC_EV_PUT) {
                ot->puts++;
                item_put(&b->items, (item_slot){ .key = e->arg, .obj = e->obj, .t = t, .ev = i, .unit = e->unit,
                                                .has_value = c->value_next, .value = c->value });
                if (c->value_next) item_value_instant(b, e, i, t, 0, c->value);
                c->value_next = false;
            } else {
                ot->gets++;
                item_slot s;
                if (item_take(&b->items, e->arg, e->obj, &s)) {
                    trc_flow *f = flow_add(b, TRC_FLOW_ITEM, s.t, t, s.unit, e->unit, e->obj, e->arg, s.ev, i);
                    if (s.has_value) {
                        f->has_value = true;
                        f->value = s.value;
                        item_value_instant(b, e, i, t, 1, s.value);
                    }
                } else {
                    m->unmatched_gets++;
                }
            }
            break;
        }
        case TRC_EV_ITEM_VALUE:
            c->value_next = true;
            c->value = (int64_t)e->arg;
            break;
        case TRC_EV_MARK:
            ut->marks++;
            ARR_GROW(m->marks, m->nmarks + 1, b->cap_marks);
            m->marks[m->nmarks++] = (trc_mark){ .t = t, .unit = e->unit,
                                                .text = e->arg < run->nstrings ? run->strings[e->arg] : "?" };
            break;
        case TRC_EV_NOTIFY:
            if (ot) { ot->notifies++; ot->woken += e->extra; }
            release_seen(b, e, i, t);
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_SET:
            release_seen(b, e, i, t);
            if (ot) {
                ot->sets++;
                ot->woken += e->extra;
                if (!o->is_set) { o->is_set = true; o->set_unit = e->unit; o->set_t0 = t; o->set_seq = e->arg; }
            }
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_CLEAR:
            if (ot) {
                ot->clears++;
                if (o->is_set) {
                    if (o->set_unit < run->nunits) m->units[o->set_unit].owns = true;
                    ARR_PUSH(ot->set_spans, ot->nset_spans, o->cap_set,
                             ((trc_owner_span){ .t0 = o->set_t0, .t1 = t, .owner = o->set_unit,
                                                .depth = (uint32_t)o->set_seq }));
                    ot->t_set += t - o->set_t0;
                    o->is_set = false;
                }
            }
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_BARRIER_ARRIVE:
            if (ot) { ot->arrivals++; level_push(ot, o, t, (int64_t)e->extra); }
            break;
        case TRC_EV_BARRIER_OPEN:
            release_seen(b, e, i, t);
            if (ot) { ot->generations++; level_push(ot, o, t, 0); }
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_BARRIER_BROKEN:
            if (ot) { ot->breaks += e->aux != 2; level_push(ot, o, t, 0); }
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_RAISE:
        case TRC_EV_CAUGHT:
            instant_add(b, e, i, t, e->arg < run->nstrings ? run->strings[e->arg] : "?");
            break;
        case TRC_EV_COUNTER_READS:
            if (ot) ot->reads += (uint32_t)e->arg;
            break;
        case TRC_EV_ERROR:
            if (ot && okind == TRC_OBJ_POOL) ot->rejected++;   /* a submit after shutdown */
            break;
        case TRC_EV_COUNTER_READ:
        case TRC_EV_COUNTER_WRITE: {
            if (!ot) break;
            int64_t v = (int64_t)e->arg;
            bool w = e->kind == TRC_EV_COUNTER_WRITE;
            ARR_PUSH(ot->cops, ot->ncops, o->cap_cops,
                     ((trc_counter_op){ .t = t, .value = v, .unit = e->unit, .write = w,
                                        .lost = w ? (int32_t)e->extra : 0, .mode = w ? (uint8_t)e->aux : 0 }));
            if (!w) {
                ot->reads++;
                if (!ot->writes) {
                    if (!ot->nlevel) level_push(ot, o, 0, v);
                    ot->final_value = v;
                }
                c->read_obj = e->obj; c->read_op = ot->ncops - 1; c->read_writes = ot->writes;
            } else {
                if (c->read_obj == e->obj) {
                    if (ot->writes != c->read_writes) {
                        ot->cops[c->read_op].stale = true;
                        ot->stale_reads++;
                    }
                    c->read_obj = 0;
                }
                ot->writes++;
                /* extra is signed: a stale write can also put back what an earlier one
                 * dropped. The signed sum is exact (increments - final change); the
                 * unsigned fields hold it in two's complement, non-negative in the end. */
                int32_t lost = (int32_t)e->extra;
                ot->lost_updates += (uint64_t)(int64_t)lost;
                m->lost_updates += (uint64_t)(int64_t)lost;
                level_push(ot, o, t, v);
                ot->final_value = v;
                if (lost > 0) instant_add(b, e, i, t, NULL);
            }
            ot->has_value = true;
            break;
        }
        case TRC_EV_SPAWN:
            if (e->arg < run->nunits && m->units[e->arg].spawner == UINT32_MAX) {
                m->units[e->arg].spawner = e->unit;
                m->units[e->arg].t_spawn = t;
                uc[e->arg].ev_spawn = i;
            }
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_JOINED:
            if (e->arg < run->nunits) {
                trc_unit_track *ch = &m->units[e->arg];
                const unit_cur *cc = &uc[e->arg];
                if (ch->joiner == UINT32_MAX) { ch->joiner = e->unit; ch->t_joined = t; }
                uint64_t tx = cc->ev_exit != NO_EV ? cc->t_exit_ev : 0;
                if (cc->ev_exit != NO_EV && tx <= t)
                    flow_add(b, TRC_FLOW_JOIN, tx, t, (uint32_t)e->arg, e->unit, 0, e->arg, cc->ev_exit, i);
            }
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_SUBMIT:
        case TRC_EV_TASK_START:
        case TRC_EV_TASK_DONE:
        case TRC_EV_CANCEL:
        case TRC_EV_CALLBACK:
        case TRC_EV_RESULT:
            if (ot) pool_event(b, e, i, t);
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_QUEUE_TASK_DONE:
            if (ot) ot->task_dones++;
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_LOCAL_SET:
            instant_add(b, e, i, t, e->arg < run->nstrings ? run->strings[e->arg] : "?");
            break;
        case TRC_EV_LOST: {
            /* events of this unit were dropped from e->t on: unknown until its next event */
            uint64_t n = e->arg ? e->arg : 1;
            if (c->in_gap && ut->ngaps) {   /* two in a row: one gap */
                ut->gaps[ut->ngaps - 1].lost += n;
            } else {
                if (c->flushing) { c->flushing = false; }
                span_close(b, ut, c, t, 0);
                span_open(c, t, TRC_ST_UNKNOWN, 0, 0, 0);
                ARR_PUSH(ut->gaps, ut->ngaps, c->cap_gaps, ((trc_gap){ .t0 = t, .t1 = t, .lost = n, .ev = i }));
                c->in_gap = true;
                c->wait_obj = 0;
                c->read_obj = 0;
            }
            ut->lost += n;
            m->lost += n;
            break;
        }
        case TRC_EV_FLUSH_BEGIN:
            if (c->flushing || ut->exited) break;
            c->flushing = true;
            c->f_state = c->state; c->f_op = c->op; c->f_obj = c->obj; c->f_target = c->target;
            span_close(b, ut, c, t, 0);
            span_open(c, t, TRC_ST_FLUSH, 0, 0, 0);
            ut->flushes++;
            break;
        case TRC_EV_FLUSH_END:
            if (!c->flushing || ut->exited) { c->flushing = false; break; }
            c->flushing = false;
            span_close(b, ut, c, t, 0);
            span_open(c, t, c->f_state, c->f_obj, c->f_op, c->f_target);
            break;
        case TRC_EV_GIL_REQUEST:
            if (ut->exited) break;
            span_close(b, ut, c, t, 0);
            c->gil_resume = c->state == TRC_ST_COMPUTE ? TRC_ST_COMPUTE : TRC_ST_RUNNING;
            span_open(c, t, TRC_ST_GIL_WAIT, e->obj, 0, e->arg);
            c->gil_since = t;
            c->gil_obj = e->obj;
            if (ot) {
                ot->waits++;
                level_push(ot, o, t, ++o->gil_waiting);
            }
            break;
        case TRC_EV_GIL_ACQUIRE:
            if (c->state == TRC_ST_GIL_WAIT && !ut->exited) {
                span_close(b, ut, c, t, 0);
                span_open(c, t, c->gil_resume, 0, 0, 0);
            }
            if (c->gil_since) {
                uint64_t w = t - c->gil_since;
                if (c->state == TRC_ST_COMPUTE) c->compute_gil += w;
                if (ot) {
                    ot->gil_wait_total += w;
                    if (w > ot->gil_wait_max) ot->gil_wait_max = w;
                    if (o->gil_waiting > 0) level_push(ot, o, t, --o->gil_waiting);
                }
            }
            if (!o) { c->gil_since = 0; break; }
            if (o->owned && o->owner != e->unit) {
                /* the holder's drop was lost (or this is not a consistent file) */
                uint64_t cut = owner_known_until(m, uc, o);
                warn(b, i, k, t, e->unit, "%s takes the GIL while %s holds it: %s's drop was lost; the GIL's "
                     "holder is unknown from %s", unit_name(run, e->unit), unit_name(run, o->owner),
                     unit_name(run, o->owner), fmt_t(tbuf, cut));
                owner_close(b, ot, o, TRC_OBJ_GIL, cut);
                owner_unknown(b, ot, o, cut, t);
            }
            ot->acquires++;
            if (!o->owned) {
                o->owned = true; o->owner = e->unit; o->t0 = t; o->max_d = 1; o->owner_gaps = ut->ngaps;
                if (o->released && o->rel_unit != e->unit && c->gil_since && c->gil_since <= o->rel_t) {
                    flow_add(b, TRC_FLOW_HANDOFF, o->rel_t, t, o->rel_unit, e->unit, e->obj, 0, o->rel_ev, i);
                    ot->handoffs++;
                    ot->gil_handoff_total += t - o->rel_t;
                    if (t - o->rel_t > ot->gil_handoff_max) ot->gil_handoff_max = t - o->rel_t;
                }
            }
            c->gil_since = 0;
            break;
        case TRC_EV_GIL_DROP:
            if (!o) break;
            if (e->aux < TRC_GIL__COUNT) ot->gil_drops[e->aux]++;
            if (o->owned && o->owner == e->unit) {
                owner_push(b, ot, o,
                         ((trc_owner_span){ .t0 = o->t0, .t1 = t, .owner = o->owner, .depth = 1 }));
                o->owned = false;
                o->released = true; o->rel_unit = e->unit; o->rel_t = t; o->rel_ev = i;
            }
            if (e->aux == TRC_GIL_INTERVAL) instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_GIL_DROP_REQUEST:
            if (ot) ot->gil_drop_requests++;
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_CPU:
        case TRC_EV_SCHED_SWITCH:   /* what the kernel did: trc_sched.c, after this pass */
            ARR_PUSH(b->sched, b->nsched, b->cap_sched, trc__sched_ev_of(e));
            break;
        case TRC_EV_SCHED_COUNTS:
            ARR_PUSH(b->counts, b->ncounts, b->cap_counts, *e);
            break;
        case TRC_EV_DAEMON_KILLED:
            ut->killed = true;
            ut->t_killed = t;
            c->killed_at = true;
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_READY: {   /* ready again: from how late its deadline fired, if the span allows */
            if (ut->exited) break;
            if (c->state == TRC_ST_READY && ut->nspans && ut->spans[ut->nspans - 1].t1 == c->t0 &&
                ut->spans[ut->nspans - 1].state != TRC_ST_RUNNING) {
                /* ready twice with no event of its own between: the first wake was spurious (the
                 * unit looked, and waited again at once): it waited all along */
                trc_span prev = ut->spans[--ut->nspans];
                span_open(c, prev.t0, prev.state, prev.obj, prev.op, prev.target);
            }
            uint64_t tr = e->arg && t - c->t0 > e->arg ? t - e->arg : e->arg ? c->t0 : t;
            span_close(b, ut, c, tr, 0);
            span_open(c, tr, TRC_ST_READY, 0, 0, e->extra);
            break;
        }
        case TRC_EV_LOOP_TICK:
            ut->ticks++;
            if ((int64_t)e->extra > ut->max_ready) ut->max_ready = e->extra;
            ARR_PUSH(ut->ready_len, ut->nready_len, c->cap_ready, ((trc_sample){ t, (int64_t)e->extra }));
            if (e->aux) {
                if (e->arg > ut->max_lag) ut->max_lag = e->arg;
                ARR_PUSH(ut->lag, ut->nlag, c->cap_lag, ((trc_sample){ t, (int64_t)e->arg }));
            }
            break;
        case TRC_EV_TASK_CANCEL:
        case TRC_EV_CANCELLED:
            instant_add(b, e, i, t, NULL);
            break;
        case TRC_EV_PROC_EXIT:
            /* its process ended; without a UNIT_EXIT first it was killed or crashed: it ends here */
            if (ut->exited) break;
            span_close(b, ut, c, t, c->state == TRC_ST_BLOCKED ? TRC_OUT_ABORTED : 0);
            ut->exited = true;
            ut->died = true;
            ut->t_exit = t;
            if (c->ev_exit == NO_EV) { c->ev_exit = i; c->t_exit_ev = t; }
            span_open(c, t, TRC_ST_DONE, 0, 0, 0);
            break;
        default: break;
        }
        if (trc__procs_reads(e->kind)) trc__procs_event(P->pp, e, i, t);
    }
    return 0;
}

int trc_model_build_opts(trc_model *m, const trc_run *run, const trc_model_opts *opts, diag *d) {
    memset(m, 0, sizeof *m);
    m->run = run;
    m->units = xcalloc(run->nunits ? run->nunits : 1, sizeof *m->units);
    m->objects = xcalloc(run->nobjects ? run->nobjects : 1, sizeof *m->objects);
    unit_cur *uc = xcalloc(run->nunits ? run->nunits : 1, sizeof *uc);
    obj_cur *oc = xcalloc(run->nobjects ? run->nobjects : 1, sizeof *oc);
    builder b = { .m = m, .run = run, .next_flow = 1, .uc = uc, .oc = oc };
    m->owns_kept = !(opts && opts->owner_sink);   /* the stored owners' units (with a sink, none are stored) */
    if (opts && opts->owner_sink) {
        b.owner_sink = opts->owner_sink;
        b.sink_ctx = opts->sink_ctx;
    }

    for (uint32_t u = 0; u < run->nunits; u++) {
        m->units[u].spawner = m->units[u].joiner = UINT32_MAX;
        m->units[u].holder = TRC_UNIT_UNKNOWN;
        uc[u].ev_start = uc[u].ev_exit = uc[u].ev_spawn = NO_EV;
    }
    for (uint32_t o = 0; o < run->nobjects; o++) {
        trc_object_track *ot = &m->objects[o];
        switch (run->objects[o].kind) {
        case TRC_OBJ_QUEUE: depth_push(ot, &oc[o], 0, 0); break;
        case TRC_OBJ_SEMAPHORE:
        case TRC_OBJ_RLOCK:
        case TRC_OBJ_RWLOCK:
        case TRC_OBJ_BARRIER:
        case TRC_OBJ_GIL: level_push(ot, &oc[o], 0, 0); break;
        default: break;
        }
    }

    pass P = { .b = &b, .run = run, .uc = uc, .oc = oc, .base = run->t_start, .last = run->t_start,
               .checked = !run->src, .pp = trc__procs_begin(m) };
    int rc = trc_evcur_open(&b.cur, run, d);
    const trc_event *batch;
    size_t nb;
    uint64_t done = 0, next_report = 0;
    while (!rc && (nb = trc_evcur_next(b.cur, &batch)) > 0) {
        rc = model_batch(&P, batch, nb, trc_evcur_index(b.cur), d);
        if (!rc && b.sink_rc) rc = diag_set(d, -b.sink_rc, "the owner sink stopped the model: %s", err_str(b.sink_rc));
        done += nb;
        if (opts && opts->progress && done >= next_report) {
            opts->progress(opts->ctx, done, run->nevents);
            next_report = done + (1u << 16);
        }
    }
    trc_evcur_close(b.cur);
    b.cur = NULL;
    if (rc) {
        trc__procs_end(P.pp, &b.next_flow);   /* frees it */
        free(uc); free(oc); builder_free(&b);
        trc_model_release(m);
        return rc;
    }
    uint64_t end = run->t_end > P.last ? run->t_end : P.last;
    m->makespan = end - P.base;
    wakes_finish(&b);
    m->unmatched_puts = b.items.n;

    /* spawn -> the child's first event */
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        const unit_cur *c = &uc[u];
        if (c->ev_spawn != NO_EV && c->ev_start != NO_EV && ut->t_spawn <= ut->t_start)
            flow_add(&b, TRC_FLOW_SPAWN, ut->t_spawn, ut->t_start, ut->spawner, u, 0, u, c->ev_spawn, c->ev_start);
    }
    futures_finish(&b);
    futures_lanes(m);
    size_t sorted_flows = m->nflows;
    trc__procs_end(P.pp, &b.next_flow);

    uint64_t mk = m->makespan;
    char tbuf[32];
    for (uint32_t u = 0; u < run->nunits; u++) {
        trc_unit_track *ut = &m->units[u];
        unit_cur *c = &uc[u];
        if (c->in_gap) {
            /* its last events were lost: how it ended is not known */
            ut->gaps[ut->ngaps - 1].t1 = mk;
            if (!ut->exited) ut->unknown_end = true;
        } else if (run->cut && c->started && !ut->exited) {
            /* the file ends inside the run: after its last event, nothing is known */
            warn(&b, c->last_ev, SIZE_MAX, c->last_t, u, "the recording was cut short: %s's state after %s (its "
                 "last event) is unknown", unit_name(run, u), fmt_t(tbuf, c->last_t));
            span_close(&b, ut, c, c->last_t, 0);
            span_open(c, c->last_t, TRC_ST_UNKNOWN, 0, 0, 0);
            ut->unknown_end = true;
        }
        if (c->started) span_close(&b, ut, c, mk, 0);
        if (!ut->exited) ut->t_exit = mk;
        for (size_t s = 0; s < ut->nspans; s++) ut->t_state[ut->spans[s].state] += ut->spans[s].t1 - ut->spans[s].t0;
    }
    for (uint32_t oi = 0; oi < run->nobjects; oi++) {
        obj_cur *o = &oc[oi];
        trc_object_track *ot = &m->objects[oi];
        uint32_t kind = run->objects[oi].kind;
        if (o->owned && mk > o->t0) {
            owner_push(&b, ot, o,
                     ((trc_owner_span){ .t0 = o->t0, .t1 = mk, .owner = o->owner,
                                        .depth = kind == TRC_OBJ_RLOCK && o->max_d > 1 ? o->max_d : 1 }));
        }
        if (o->is_set) {
            if (o->set_unit < run->nunits) m->units[o->set_unit].owns = true;
            ARR_PUSH(ot->set_spans, ot->nset_spans, o->cap_set,
                     ((trc_owner_span){ .t0 = o->set_t0, .t1 = mk, .owner = o->set_unit, .depth = (uint32_t)o->set_seq }));
            ot->t_set += mk - o->set_t0;
        }
    }
    if (b.sink_rc) {
        int src = b.sink_rc;
        free(uc); free(oc); builder_free(&b);
        trc_model_release(m);
        return diag_set(d, -src, "the owner sink stopped the model: %s", err_str(src));
    }
    flows_finish(&b, sorted_flows);
    trc__sched_build(m, b.sched, b.nsched, b.counts, b.ncounts);
    trc__mem_build(m, b.mem, b.nmem, P.base);
    free(uc);
    free(oc);
    builder_free(&b);
    return 0;
}

int trc_model_build(trc_model *m, const trc_run *run, diag *d) { return trc_model_build_opts(m, run, NULL, d); }

void trc_model_release(trc_model *m) {
    if (!m->run && !m->units) return;
    const trc_run *run = m->run;
    for (uint32_t u = 0; run && u < run->nunits; u++) {
        free(m->units[u].spans);
        free(m->units[u].ready_len);
        free(m->units[u].lag);
        free(m->units[u].sched.oncpu);
        free(m->units[u].gaps);
    }
    for (uint32_t k = 0; k < m->sched.ncpus; k++) free(m->sched.cpus[k].spans);
    free(m->sched.cpus);
    free(m->sched.want);
    trc__mem_release(&m->mem);
    free(m->warnings);
    for (uint32_t o = 0; run && o < run->nobjects; o++) {
        trc_object_track *ot = &m->objects[o];
        free(ot->depth);
        free(ot->depth_blk);
        free(ot->level_blk);
        free(ot->owners);
        free(ot->owners_held);
        free(ot->owners_t1);
        free(ot->level);
        free(ot->set_spans);
        free(ot->cops);
    }
    free(m->units);
    free(m->objects);
    free(m->flows);
    free(m->marks);
    free(m->instants);
    free(m->futures);
    memset(m, 0, sizeof *m);
}

size_t trc_model_span_lower(const trc_unit_track *ut, uint64_t t) {
    size_t lo = 0, hi = ut->nspans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ut->spans[mid].t1 <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

const trc_span *trc_model_span_at(const trc_model *m, uint32_t u, uint64_t t) {
    if (!m->run || u >= m->run->nunits) return NULL;
    const trc_unit_track *ut = &m->units[u];
    size_t i = trc_model_span_lower(ut, t);
    if (i < ut->nspans && ut->spans[i].t0 <= t) return &ut->spans[i];
    return NULL;
}

int64_t trc_sample_at(const trc_sample *s, size_t n, uint64_t t) {
    size_t lo = 0, hi = n;   /* last sample with s.t <= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].t <= t) lo = mid + 1; else hi = mid;
    }
    return lo ? s[lo - 1].v : 0;
}

unsigned trc_future_state_at(const trc_future *f, uint64_t t) {
    if (f->cancelled && f->t_cancel != TRC_T_NONE && t >= f->t_cancel) return TRC_FUT_CANCELLED;
    if (f->t_done != TRC_T_NONE && t >= f->t_done) return TRC_FUT_FINISHED;
    if (f->t_start != TRC_T_NONE && t >= f->t_start) return TRC_FUT_RUNNING;
    if (f->t_submit != TRC_T_NONE && t >= f->t_submit) return TRC_FUT_PENDING;
    return TRC_FUT_NONE;
}
