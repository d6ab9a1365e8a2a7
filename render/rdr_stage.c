/* The stage model: the state of every object and unit of a run at time t,
 * cheap enough for every frame. Plain C, no SDL, no drawing.
 *
 * Built once per run from the derived model (trc_model), in one pass over the
 * units' spans, the flows, the futures and the instants, plus one pass over the
 * events only for what the model does not keep (semaphore holders, rwlock
 * readers, items never got). Everything that lasts from a start to an end (a
 * wait, an item in a queue, a permit held, a future queued or running, a
 * notified waiter) goes into an interval set per object (rdr_stage_index.c);
 * everything that changes at points (owners, levels, flags, pulses, counter
 * writes) is read from the model's sorted series by binary search. A frame
 * then costs O(log n) per object and unit plus what it lists, whatever the
 * length of the recording. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rdr_stage_model {
    const trc_model *m;
    const trc_run *run;
    rdr_ivset *waits;           /* per object: blocked spans on it (a = unit, b = op) */
    rdr_ivset *items;           /* per queue: put -> get (a = producer, b = consumer or NONE);
                                   per pipe: send -> recv of each message (the same) */
    rdr_ivset reqs;             /* managers' requests (REQUEST -> SERVE) and replies (SERVE -> REPLY):
                                   a = the flow's index, b = RDR_TOK_REQUEST or RDR_TOK_REPLY */
    uint64_t **item_ids;        /* per queue, parallel to items[o].iv */
    uint32_t **by_get; size_t *nby_get;   /* per queue: items got, as indexes into items[o].iv, in get order */
    rdr_ivset *holds;           /* per semaphore: permits held (a = unit); per rwlock: readers inside */
    rdr_ivset *queued, *running;   /* per pool: futures (a = index into m->futures) */
    rdr_ivset *notified;        /* per condition: notify -> wake-up (a = waiter, b = notifier) */
    uint32_t **pulses; size_t *npulses;   /* per object: indexes into m->instants (notify, set, clear, open) */
    uint64_t **ends; size_t *nends;       /* per pool: TASK_DONE times, sorted (ok and failed apart below) */
    uint64_t **fails; size_t *nfails;
    uint64_t **cancels; size_t *ncancels;
    int64_t **lost_sum;                   /* per counter: updates lost up to each op of ot->cops (inclusive) */
    uint32_t **write_sum;                 /* per counter: writes up to each op (inclusive) */
    uint32_t *pool_of;                    /* per unit: the pool it works for, 0 = none */
    uint32_t *loop_of;                    /* per unit: the event loop it runs on (a task), NONE = none */
    bool loops;                           /* the run has tasks on event loops */
    uint32_t *max_wait;                   /* per object: most units waiting at once */
};

const trc_model *rdr_stage_model_of(const rdr_stage_model *sm) { return sm->m; }

uint32_t rdr_stage_max_waiters(const rdr_stage_model *sm, uint32_t obj) {
    return obj && obj <= sm->run->nobjects ? sm->max_wait[obj - 1] : 0;
}

uint32_t rdr_stage_loop_of(const rdr_stage_model *sm, uint32_t unit) {
    return unit < sm->run->nunits ? sm->loop_of[unit] : RDR_STAGE_NONE;
}

uint32_t rdr_stage_pool_of(const rdr_stage_model *sm, uint32_t unit) {
    return unit < sm->run->nunits ? sm->pool_of[unit] : 0;
}

//~ build

/* Growable interval lists per object, turned into sets at the end. */
typedef struct ivlist { rdr_iv *v; size_t n, cap; } ivlist;

static void ivl_push(ivlist *l, rdr_iv iv) { ARR_PUSH(l->v, l->n, l->cap, iv); }

static void ivl_to_sets(ivlist *l, rdr_ivset *sets, uint32_t n) {
    for (uint32_t o = 0; o < n; o++) rdr_ivset_build(&sets[o], l[o].v, l[o].n);
    free(l);
}

static int u64cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct open_hold { uint32_t unit; uint64_t t0; } open_hold;
typedef struct holdlist { open_hold *v; size_t n, cap; } holdlist;

/* Closes the permit `unit` holds (its latest), else the oldest held by anyone
 * (a semaphore's release needs no matching acquire). */
static void hold_close(holdlist *h, ivlist *out, uint32_t unit, uint64_t t, bool any) {
    size_t k = h->n;
    for (size_t i = h->n; i-- > 0;)
        if (h->v[i].unit == unit) { k = i; break; }
    if (k == h->n) {
        if (!any || !h->n) return;
        k = 0;
    }
    ivl_push(out, (rdr_iv){ .t0 = h->v[k].t0, .t1 = t, .a = h->v[k].unit });
    memmove(&h->v[k], &h->v[k + 1], (h->n - k - 1) * sizeof *h->v);
    h->n--;
}

typedef struct item_tmp { rdr_iv iv; uint64_t id; } item_tmp;
typedef struct itemlist { item_tmp *v; size_t n, cap; } itemlist;

typedef struct got_key { uint64_t t1; uint32_t k; } got_key;
static int got_cmp(const void *a, const void *b) {
    const got_key *x = a, *y = b;
    if (x->t1 != y->t1) return x->t1 < y->t1 ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static int item_cmp(const void *a, const void *b) {
    return rdr_iv_cmp(&((const item_tmp *)a)->iv, &((const item_tmp *)b)->iv);
}

/* What the model does not keep: semaphore permits and rwlock read holds per
 * unit, and the items never got. One pass over the events, only when needed. */
static void scan_events(rdr_stage_model *sm, ivlist *holds, itemlist *items) {
    const trc_model *m = sm->m;
    const trc_run *run = sm->run;
    bool want_holds = false;
    for (uint32_t o = 0; o < run->nobjects; o++)
        if (run->objects[o].kind == TRC_OBJ_SEMAPHORE || run->objects[o].kind == TRC_OBJ_RWLOCK) want_holds = true;
    bool want_items = m->unmatched_puts > 0;
    if (!want_holds && !want_items) return;
    uint8_t *got = NULL;   /* events that are the put of an item got later */
    if (want_items) {
        got = xcalloc(run->nevents / 8 + 1, 1);
        for (size_t i = 0; i < m->nflows; i++)
            if (m->flows[i].kind == TRC_FLOW_ITEM && m->flows[i].ev0 < run->nevents)
                got[m->flows[i].ev0 / 8] |= (uint8_t)(1u << (m->flows[i].ev0 % 8));
    }
    holdlist *open = want_holds ? xcalloc(run->nobjects, sizeof *open) : NULL;
    /* the events in memory, or read from the file in time order (a recording opened lazily) */
    trc_evcur *cur = NULL;
    diag dg = { 0 };
    if (!run->events && run->nevents && trc_evcur_open(&cur, run, &dg)) cur = NULL;
    const trc_event *batch = run->events;
    size_t nb = run->events ? run->nevents : 0, bi = 0;
    for (size_t i = 0;; i++, bi++) {   /* i: the event's index in the run's time order */
        if (bi >= nb) {
            if (!cur) break;
            nb = trc_evcur_next(cur, &batch);
            if (!nb) break;
            bi = 0;
            i = (size_t)trc_evcur_index(cur);
        }
        const trc_event *e = &batch[bi];
        if (!e->obj || e->obj > run->nobjects) continue;
        uint32_t kind = run->objects[e->obj - 1].kind;
        uint64_t t = e->t - run->t_start;
        if (want_items && e->kind == TRC_EV_PUT && kind == TRC_OBJ_QUEUE && !(got[i / 8] & (1u << (i % 8)))) {
            item_tmp it = { .iv = { .t0 = t, .t1 = TRC_T_NONE, .a = e->unit, .b = RDR_STAGE_NONE }, .id = e->arg };
            ARR_PUSH(items[e->obj - 1].v, items[e->obj - 1].n, items[e->obj - 1].cap, it);
            continue;
        }
        if (!want_holds) continue;
        bool sem = kind == TRC_OBJ_SEMAPHORE, rw = kind == TRC_OBJ_RWLOCK && e->aux == 1;
        if (!sem && !rw) continue;
        holdlist *h = &open[e->obj - 1];
        if (e->kind == TRC_EV_ACQUIRE)
            ARR_PUSH(h->v, h->n, h->cap, ((open_hold){ .unit = e->unit, .t0 = t }));
        else if (e->kind == TRC_EV_RELEASE)
            hold_close(h, &holds[e->obj - 1], e->unit, t, sem);
    }
    trc_evcur_close(cur);
    if (open) {
        for (uint32_t o = 0; o < run->nobjects; o++) {
            for (size_t k = 0; k < open[o].n; k++)
                ivl_push(&holds[o], (rdr_iv){ .t0 = open[o].v[k].t0, .t1 = TRC_T_NONE, .a = open[o].v[k].unit });
            free(open[o].v);
        }
        free(open);
    }
    free(got);
}

static void build_pools(rdr_stage_model *sm) {
    const trc_model *m = sm->m;
    const trc_run *run = sm->run;
    uint32_t no = run->nobjects;
    ivlist *q = xcalloc(no ? no : 1, sizeof *q), *r = xcalloc(no ? no : 1, sizeof *r);
    sm->queued = xcalloc(no ? no : 1, sizeof *sm->queued);
    sm->running = xcalloc(no ? no : 1, sizeof *sm->running);
    sm->ends = xcalloc(no ? no : 1, sizeof *sm->ends);
    sm->nends = xcalloc(no ? no : 1, sizeof *sm->nends);
    sm->fails = xcalloc(no ? no : 1, sizeof *sm->fails);
    sm->nfails = xcalloc(no ? no : 1, sizeof *sm->nfails);
    sm->cancels = xcalloc(no ? no : 1, sizeof *sm->cancels);
    sm->ncancels = xcalloc(no ? no : 1, sizeof *sm->ncancels);
    for (uint32_t o = 0; o < no; o++) {
        const trc_object_track *ot = &m->objects[o];
        size_t ce = 0, cf = 0, cc = 0;
        for (size_t k = ot->future0; k < ot->future0 + ot->nfutures; k++) {
            const trc_future *f = &m->futures[k];
            if (f->worker < run->nunits) sm->pool_of[f->worker] = o + 1;
            if (f->t_submit != TRC_T_NONE) {
                uint64_t end = f->t_start;
                if (f->cancelled && f->t_cancel < end) end = f->t_cancel;
                if (end < f->t_submit) end = f->t_submit;
                ivl_push(&q[o], (rdr_iv){ .t0 = f->t_submit, .t1 = end, .a = (uint32_t)k });
            }
            if (f->t_start != TRC_T_NONE) ivl_push(&r[o], (rdr_iv){ .t0 = f->t_start, .t1 = f->t_done, .a = (uint32_t)k });
            if (f->t_done != TRC_T_NONE) {
                if (f->outcome == TRC_OUT_OK) ARR_PUSH(sm->ends[o], sm->nends[o], ce, f->t_done);
                else ARR_PUSH(sm->fails[o], sm->nfails[o], cf, f->t_done);
            }
            if (f->cancelled && f->t_cancel != TRC_T_NONE) ARR_PUSH(sm->cancels[o], sm->ncancels[o], cc, f->t_cancel);
        }
        if (sm->nends[o] > 1) qsort(sm->ends[o], sm->nends[o], sizeof(uint64_t), u64cmp);
        if (sm->nfails[o] > 1) qsort(sm->fails[o], sm->nfails[o], sizeof(uint64_t), u64cmp);
        if (sm->ncancels[o] > 1) qsort(sm->cancels[o], sm->ncancels[o], sizeof(uint64_t), u64cmp);
    }
    ivl_to_sets(q, sm->queued, no);
    ivl_to_sets(r, sm->running, no);
}

/* A k-way merge over the units' spans (each unit's are in time order): calls
 * visit for every blocked span in the order of its start (then end, then
 * unit: the sets' order), or of its end. */
typedef struct span_head { uint64_t key, key2; uint32_t unit; size_t i; } span_head;

/* A span that puts its unit in an object's waiting line: blocked on it, or waiting for the GIL. */
static bool span_waits(const trc_span *sp) { return sp->state == TRC_ST_BLOCKED || sp->state == TRC_ST_GIL_WAIT; }
static bool span_is_wait(const trc_span *sp, uint32_t no) { return span_waits(sp) && sp->obj && sp->obj <= no; }

static bool head_less(const span_head *a, const span_head *b) {
    if (a->key != b->key) return a->key < b->key;
    if (a->key2 != b->key2) return a->key2 < b->key2;
    return a->unit < b->unit;
}

static void heap_down(span_head *h, size_t n, size_t p) {
    for (;;) {
        size_t l = 2 * p + 1, r = l + 1, m = p;
        if (l < n && head_less(&h[l], &h[m])) m = l;
        if (r < n && head_less(&h[r], &h[m])) m = r;
        if (m == p) return;
        span_head t = h[p]; h[p] = h[m]; h[m] = t;
        p = m;
    }
}

static void merge_spans(const rdr_stage_model *sm, bool by_end, void (*visit)(void *ud, uint32_t u, const trc_span *sp),
                        void *ud) {
    const trc_model *m = sm->m;
    uint32_t nu = sm->run->nunits, no = sm->run->nobjects;
    span_head *h = xmalloc((nu ? nu : 1) * sizeof *h);
    size_t n = 0;
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        size_t i = 0;
        while (i < ut->nspans && !span_is_wait(&ut->spans[i], no)) i++;
        if (i < ut->nspans) h[n++] = (span_head){ by_end ? ut->spans[i].t1 : ut->spans[i].t0, ut->spans[i].t1, u, i };
    }
    for (size_t p = n / 2; p-- > 0;) heap_down(h, n, p);
    while (n) {
        span_head *top = &h[0];
        const trc_unit_track *ut = &m->units[top->unit];
        visit(ud, top->unit, &ut->spans[top->i]);
        size_t i = top->i + 1;
        while (i < ut->nspans && !span_is_wait(&ut->spans[i], no)) i++;
        if (i < ut->nspans) *top = (span_head){ by_end ? ut->spans[i].t1 : ut->spans[i].t0, ut->spans[i].t1, top->unit, i };
        else h[0] = h[--n];
        heap_down(h, n, 0);
    }
    free(h);
}

typedef struct wait_fill { rdr_iv **iv; uint64_t **t1s; size_t *k; } wait_fill;

static void fill_start(void *ud, uint32_t u, const trc_span *sp) {
    wait_fill *f = ud;
    uint32_t o = sp->obj - 1;
    f->iv[o][f->k[o]++] = (rdr_iv){ .t0 = sp->t0, .t1 = sp->t1, .a = u, .b = sp->op };
}

static void fill_end(void *ud, uint32_t u, const trc_span *sp) {
    (void)u;
    wait_fill *f = ud;
    uint32_t o = sp->obj - 1;
    f->t1s[o][f->k[o]++] = sp->t1;
}

/* The waits of every object, already in the sets' order (no sort, no copy):
 * counted, then filled by two merges, by start and by end. */
static void build_waits(rdr_stage_model *sm) {
    const trc_model *m = sm->m;
    uint32_t nu = sm->run->nunits, no = sm->run->nobjects;
    size_t non = no ? no : 1;
    size_t *cnt = xcalloc(non, sizeof *cnt);
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        for (size_t i = 0; i < ut->nspans; i++) {
            const trc_span *sp = &ut->spans[i];
            if (sp->state == TRC_ST_IDLE && sp->obj && sp->obj <= no) sm->pool_of[u] = sp->obj;
            if (span_is_wait(sp, no)) cnt[sp->obj - 1]++;
        }
    }
    wait_fill f = { .iv = xcalloc(non, sizeof *f.iv), .t1s = xcalloc(non, sizeof *f.t1s), .k = xcalloc(non, sizeof *f.k) };
    for (uint32_t o = 0; o < no; o++) {
        if (!cnt[o]) continue;
        f.iv[o] = xmalloc(cnt[o] * sizeof **f.iv);
        f.t1s[o] = xmalloc(cnt[o] * sizeof **f.t1s);
    }
    merge_spans(sm, false, fill_start, &f);
    memset(f.k, 0, non * sizeof *f.k);
    merge_spans(sm, true, fill_end, &f);
    for (uint32_t o = 0; o < no; o++) rdr_ivset_adopt(&sm->waits[o], f.iv[o], f.t1s[o], cnt[o]);
    free(f.iv);
    free(f.t1s);
    free(f.k);
    free(cnt);
}

rdr_stage_model *rdr_stage_model_new(const trc_model *m) {
    rdr_stage_model *sm = xcalloc(1, sizeof *sm);
    const trc_run *run = m->run;
    uint32_t no = run->nobjects, nu = run->nunits;
    size_t non = no ? no : 1;
    sm->m = m;
    sm->run = run;
    sm->pool_of = xcalloc(nu ? nu : 1, sizeof *sm->pool_of);
    sm->max_wait = xcalloc(non, sizeof *sm->max_wait);
    sm->loop_of = xmalloc((nu ? nu : 1) * sizeof *sm->loop_of);
    {
        rdr_groups *pg = rdr_groups_new(m);
        for (uint32_t u = 0; u < nu; u++) {
            uint32_t h = pg->host[u];
            bool task = h != UINT32_MAX && h != u && run->units[h].kind == TRC_UNIT_LOOP;
            sm->loop_of[u] = task ? h : RDR_STAGE_NONE;
            sm->loops |= task;
        }
        rdr_groups_free(pg);
    }

    /* waits, from the units' spans; pool workers waiting for a task are idle, not waiting */
    sm->waits = xcalloc(non, sizeof *sm->waits);
    build_waits(sm);
    for (uint32_t o = 0; o < no; o++) sm->max_wait[o] = rdr_ivset_max_live(&sm->waits[o]);

    /* items (put -> get flows, and the puts never got) and notified waiters */
    itemlist *it = xcalloc(non, sizeof *it);
    ivlist *nt = xcalloc(non, sizeof *nt);
    ivlist rq = { 0 };
    bool pipes = false;
    for (uint32_t o = 0; o < no; o++) pipes |= run->objects[o].kind == TRC_OBJ_PIPE;
    uint8_t *sent = pipes ? xcalloc(run->nevents / 8 + 1, 1) : NULL;   /* SENDs whose message was received */
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (f->kind == TRC_FLOW_REQUEST || f->kind == TRC_FLOW_REPLY) {
            ivl_push(&rq, (rdr_iv){ .t0 = f->t0, .t1 = f->t1 > f->t0 ? f->t1 : f->t0 + 1, .a = (uint32_t)i,
                                    .b = f->kind == TRC_FLOW_REQUEST ? RDR_TOK_REQUEST : RDR_TOK_REPLY });
            continue;
        }
        if (!f->obj || f->obj > no) continue;
        if (f->kind == TRC_FLOW_MESSAGE && run->objects[f->obj - 1].kind == TRC_OBJ_PIPE) {
            item_tmp x = { .iv = { .t0 = f->t0, .t1 = f->t1 > f->t0 ? f->t1 : f->t0 + 1, .a = f->u0, .b = f->u1 },
                           .id = f->item };
            ARR_PUSH(it[f->obj - 1].v, it[f->obj - 1].n, it[f->obj - 1].cap, x);
            if (f->ev0 < run->nevents) sent[f->ev0 / 8] |= (uint8_t)(1u << (f->ev0 % 8));
        } else if (f->kind == TRC_FLOW_ITEM) {
            item_tmp x = { .iv = { .t0 = f->t0, .t1 = f->t1, .a = f->u0, .b = f->u1 }, .id = f->item };
            ARR_PUSH(it[f->obj - 1].v, it[f->obj - 1].n, it[f->obj - 1].cap, x);
        } else if (f->kind == TRC_FLOW_NOTIFY) {
            ivl_push(&nt[f->obj - 1], (rdr_iv){ .t0 = f->t0, .t1 = f->t1, .a = f->u1, .b = f->u0 });
        }
    }
    if (pipes) {   /* messages never received: in the pipe from their send to the end */
        for (size_t i = 0; i < m->ninstants; i++) {
            const trc_instant *in = &m->instants[i];
            if (in->kind != TRC_EV_SEND || !in->obj || in->obj > no || run->objects[in->obj - 1].kind != TRC_OBJ_PIPE)
                continue;
            if (in->ev < run->nevents && (sent[in->ev / 8] & (1u << (in->ev % 8)))) continue;
            item_tmp x = { .iv = { .t0 = in->t, .t1 = TRC_T_NONE, .a = in->unit, .b = RDR_STAGE_NONE }, .id = in->arg };
            ARR_PUSH(it[in->obj - 1].v, it[in->obj - 1].n, it[in->obj - 1].cap, x);
        }
        free(sent);
    }
    rdr_ivset_build(&sm->reqs, rq.v, rq.n);
    sm->notified = xcalloc(non, sizeof *sm->notified);
    ivl_to_sets(nt, sm->notified, no);
    ivlist *h = xcalloc(non, sizeof *h);
    scan_events(sm, h, it);
    sm->holds = xcalloc(non, sizeof *sm->holds);
    ivl_to_sets(h, sm->holds, no);
    sm->items = xcalloc(non, sizeof *sm->items);
    sm->item_ids = xcalloc(non, sizeof *sm->item_ids);
    sm->by_get = xcalloc(non, sizeof *sm->by_get);
    sm->nby_get = xcalloc(non, sizeof *sm->nby_get);
    for (uint32_t o = 0; o < no; o++) {
        itemlist *l = &it[o];
        if (!l->n) continue;
        bool sorted = true;   /* the flows come in put order: sorted unless puts never got were added */
        for (size_t k = 1; k < l->n && sorted; k++) sorted = item_cmp(&l->v[k - 1], &l->v[k]) <= 0;
        if (!sorted) qsort(l->v, l->n, sizeof *l->v, item_cmp);
        rdr_iv *iv = xmalloc(l->n * sizeof *iv);
        sm->item_ids[o] = xmalloc(l->n * sizeof **sm->item_ids);
        for (size_t k = 0; k < l->n; k++) { iv[k] = l->v[k].iv; sm->item_ids[o][k] = l->v[k].id; }
        rdr_ivset_build(&sm->items[o], iv, l->n);   /* already in the set's order: kept as is */
        free(l->v);
        /* the items got, in get order (a fifo's is its put order: nothing to sort) */
        size_t ng = 0;
        uint32_t *bg = xmalloc(l->n * sizeof *bg);
        for (size_t k = 0; k < l->n; k++)
            if (iv[k].t1 != TRC_T_NONE) bg[ng++] = (uint32_t)k;
        bool in_order = true;
        for (size_t k = 1; k < ng && in_order; k++) in_order = iv[bg[k - 1]].t1 <= iv[bg[k]].t1;
        if (!in_order) {
            got_key *gk = xmalloc(ng * sizeof *gk);
            for (size_t k = 0; k < ng; k++) gk[k] = (got_key){ iv[bg[k]].t1, bg[k] };
            qsort(gk, ng, sizeof *gk, got_cmp);
            for (size_t k = 0; k < ng; k++) bg[k] = gk[k].k;
            free(gk);
        }
        sm->by_get[o] = bg;
        sm->nby_get[o] = ng;
    }
    free(it);

    build_pools(sm);

    /* pulses: the point events of conditions, events and barriers */
    sm->pulses = xcalloc(non, sizeof *sm->pulses);
    sm->npulses = xcalloc(non, sizeof *sm->npulses);
    size_t *cap = xcalloc(non, sizeof *cap);
    for (size_t i = 0; i < m->ninstants; i++) {
        const trc_instant *in = &m->instants[i];
        if (!in->obj || in->obj > no) continue;
        if (in->kind != TRC_EV_NOTIFY && in->kind != TRC_EV_SET && in->kind != TRC_EV_CLEAR &&
            in->kind != TRC_EV_GIL_DROP_REQUEST &&
            in->kind != TRC_EV_BARRIER_OPEN)
            continue;
        ARR_PUSH(sm->pulses[in->obj - 1], sm->npulses[in->obj - 1], cap[in->obj - 1], (uint32_t)i);
    }
    free(cap);

    /* counters: lost updates and writes up to each op */
    sm->lost_sum = xcalloc(non, sizeof *sm->lost_sum);
    sm->write_sum = xcalloc(non, sizeof *sm->write_sum);
    for (uint32_t o = 0; o < no; o++) {
        const trc_object_track *ot = &m->objects[o];
        if (!ot->ncops) continue;
        sm->lost_sum[o] = xmalloc(ot->ncops * sizeof **sm->lost_sum);
        sm->write_sum[o] = xmalloc(ot->ncops * sizeof **sm->write_sum);
        int64_t lost = 0;
        uint32_t writes = 0;
        for (size_t k = 0; k < ot->ncops; k++) {
            if (ot->cops[k].write) { lost += ot->cops[k].lost; writes++; }
            sm->lost_sum[o][k] = lost;
            sm->write_sum[o][k] = writes;
        }
    }
    return sm;
}

void rdr_stage_model_free(rdr_stage_model *sm) {
    if (!sm) return;
    uint32_t no = sm->run->nobjects;
    for (uint32_t o = 0; o < no; o++) {
        rdr_ivset_release(&sm->waits[o]);
        rdr_ivset_release(&sm->items[o]);
        rdr_ivset_release(&sm->holds[o]);
        rdr_ivset_release(&sm->queued[o]);
        rdr_ivset_release(&sm->running[o]);
        rdr_ivset_release(&sm->notified[o]);
        free(sm->item_ids[o]);
        free(sm->by_get[o]);
        free(sm->pulses[o]);
        free(sm->ends[o]);
        free(sm->fails[o]);
        free(sm->cancels[o]);
        free(sm->lost_sum[o]);
        free(sm->write_sum[o]);
    }
    free(sm->waits); free(sm->items); free(sm->item_ids); free(sm->by_get); free(sm->nby_get); free(sm->holds); free(sm->queued); free(sm->running);
    free(sm->notified); free(sm->pulses); free(sm->npulses); free(sm->ends); free(sm->nends); free(sm->fails);
    free(sm->nfails); free(sm->cancels); free(sm->ncancels); free(sm->lost_sum); free(sm->write_sum);
    free(sm->pool_of); free(sm->max_wait); free(sm->loop_of);
    rdr_ivset_release(&sm->reqs);
    free(sm);
}

//~ state at t

static size_t count_le(const uint64_t *a, size_t n, uint64_t t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* The owner span containing t, or NULL. */
static const trc_owner_span *owner_at(const trc_owner_span *o, size_t n, uint64_t t) {
    size_t i = rdr_owner_lower(o, n, t);
    return i < n && o[i].t0 <= t ? &o[i] : NULL;
}

static float frac(double a, double b) {
    if (!(b > 0)) return 1.0f;
    double f = a / b;
    return (float)(f < 0 ? 0 : f > 1 ? 1 : f);
}

static uint32_t *scratch(rdr_stage_state *st, size_t n) {
    if (st->cap_scratch < n) {
        free(st->scratch);
        st->cap_scratch = n;
        st->scratch = xmalloc(n * sizeof *st->scratch);
    }
    return st->scratch;
}

static void who_push(rdr_stage_state *st, rdr_stage_who w) { ARR_PUSH(st->who, st->nwho, st->cap_who, w); }

/* Where a span puts its unit's figure. */
static void span_place(const trc_span *sp, uint8_t *place, uint32_t *obj, uint8_t *op) {
    if (sp && span_waits(sp) && sp->obj) {
        *place = RDR_PLACE_WAIT; *obj = sp->obj; *op = sp->op;
    } else {
        *place = RDR_PLACE_HOME; *obj = 0; *op = 0;
    }
}

static void unit_at(const rdr_stage_model *sm, rdr_stage_state *st, uint32_t u, uint64_t t, uint64_t t_exit,
                    uint64_t anim) {
    const trc_unit_track *ut = &sm->m->units[u];
    rdr_stage_unit *su = &st->units[u];
    memset(su, 0, sizeof *su);
    su->holder = RDR_STAGE_NONE;
    su->rank = RDR_STAGE_NONE;
    su->running = RDR_STAGE_NONE;
    if (!ut->nspans || t < ut->t_start) {
        su->place = su->from_place = RDR_PLACE_NONE;
        su->walk = 1;
        st->counts[TRC_ST__COUNT]++;
        return;
    }
    size_t i = trc_model_span_lower(ut, t);
    if (i >= ut->nspans) i = ut->nspans - 1;
    const trc_span *sp = &ut->spans[i];
    su->started = true;
    su->exited = ut->exited && t_exit >= ut->t_exit;
    su->killed = su->exited && ut->killed;
    su->state = su->exited ? TRC_ST_DONE : sp->state;
    su->since = su->exited ? ut->t_exit : sp->t0;
    st->counts[su->state < TRC_ST__COUNT ? su->state : TRC_ST_RUNNING]++;
    if (su->exited) { su->walk = 1; return; }
    span_place(span_waits(sp) ? sp : NULL, &su->place, &su->obj, &su->op);
    if (span_waits(sp) || sp->state == TRC_ST_IDLE) {
        su->op = sp->op;
        su->obj = sp->obj;
        su->target = sp->target;
    }
    /* where it came from: the place before this span, over the short steps in
     * between (the run between two waits) */
    const trc_span *prev = NULL;
    for (size_t j = i, steps = 0; j-- > 0 && steps < 4; steps++) {
        prev = &ut->spans[j];
        if (!(prev->state == TRC_ST_RUNNING && prev->t1 - prev->t0 < anim / 4)) break;
    }
    uint8_t fop = 0;
    span_place(prev && span_waits(prev) ? prev : NULL, &su->from_place, &su->from_obj, &fop);
    su->from_op = fop;
    bool same = su->from_place == su->place && su->from_obj == sp->obj && (su->place == RDR_PLACE_HOME || fop == su->op);
    /* a walk takes the animation time, or half the span when that is shorter:
     * a unit always arrives while it is still there */
    uint64_t walk = sp->t1 > sp->t0 && (sp->t1 - sp->t0) / 2 < anim ? (sp->t1 - sp->t0) / 2 : anim;
    su->walk = same || !prev || !walk ? 1.0f : frac((double)(t - sp->t0), (double)walk);
}

/* The unit a blocked unit waits for at t, if one is known. */
static uint32_t holder_of(const rdr_stage_model *sm, const rdr_stage_state *st, uint32_t u, uint64_t t) {
    const rdr_stage_unit *su = &st->units[u];
    const trc_model *m = sm->m;
    const trc_run *run = sm->run;
    if (su->state != TRC_ST_BLOCKED && su->state != TRC_ST_GIL_WAIT) return RDR_STAGE_NONE;
    if (!su->obj) {
        if (su->op == TRC_OP_JOIN && su->target < run->nunits) {
            const rdr_stage_unit *tu = &st->units[su->target];
            return tu->exited ? RDR_STAGE_NONE : (uint32_t)su->target;
        }
        return RDR_STAGE_NONE;
    }
    const rdr_stage_obj *so = &st->objs[su->obj - 1];
    switch (so->kind) {
    case TRC_OBJ_LOCK:
    case TRC_OBJ_RLOCK:
    case TRC_OBJ_GIL: return so->holder;
    case TRC_OBJ_RWLOCK:
        if (so->holder != RDR_STAGE_NONE) return so->holder;
        if (su->op == TRC_OP_WRITE_LOCK && so->nhold == 1 && so->nholdl == 1) return st->who[so->hold0].unit;
        return RDR_STAGE_NONE;
    case TRC_OBJ_POOL:
        if (su->op == TRC_OP_RESULT) {
            const trc_object_track *ot = &m->objects[su->obj - 1];
            for (size_t k = ot->future0; k < ot->future0 + ot->nfutures; k++) {
                const trc_future *f = &m->futures[k];
                if (f->id == su->target) return trc_future_state_at(f, t) == TRC_FUT_RUNNING ? f->worker : RDR_STAGE_NONE;
            }
        }
        return RDR_STAGE_NONE;
    default: return RDR_STAGE_NONE;
    }
}

/* Wait-for cycles among the blocked units (each waits for at most one: a
 * functional graph). The first is kept in st->cycle; all are flagged. */
static void cycles(rdr_stage_state *st) {
    uint32_t n = st->nunits;
    st->ncycle = 0;
    uint32_t *mark = scratch(st, (size_t)n + 1);   /* 0 unseen, else walk id + 1; UINT32_MAX done */
    memset(mark, 0, (size_t)n * sizeof *mark);
    uint32_t walk = 0;
    for (uint32_t s = 0; s < n; s++) {
        if (mark[s]) continue;
        walk++;
        uint32_t u = s;
        while (u < n && !mark[u]) {
            mark[u] = walk;
            u = st->units[u].holder;
        }
        if (u < n && mark[u] == walk) {   /* a new cycle through u */
            uint32_t c = u;
            bool first = st->ncycle == 0;
            do {
                st->units[c].in_cycle = true;
                if (first) st->cycle[st->ncycle++] = c;
                c = st->units[c].holder;
            } while (c != u);
        }
    }
}

static void queue_at(const rdr_stage_model *sm, rdr_stage_state *st, uint32_t o, uint64_t t, uint64_t anim) {
    const rdr_ivset *s = &sm->items[o];
    rdr_stage_obj *so = &st->objs[o];
    so->tok0 = st->ntoks;
    if (!s->n) return;
    const trc_object *ob = &sm->run->objects[o];
    const trc_object_track *ot = &sm->m->objects[o];
    const uint64_t *ids = sm->item_ids[o];
    uint32_t *idx = scratch(st, 2 * RDR_STAGE_LIST);
    size_t k = rdr_ivset_list(s, t, idx, RDR_STAGE_LIST);
    int64_t depth = (int64_t)rdr_ivset_count(s, t);
    bool whole = (int64_t)k == depth;
    /* slots: rank among the items in the queue, from the exit end */
    uint32_t *slot = idx + RDR_STAGE_LIST;
    if (ob->subkind == TRC_QUEUE_PRIORITY && whole) {
        /* the order they leave: by get time (never got: last, in put order) */
        for (size_t i = 0; i < k; i++) {
            uint32_t r = 0;
            for (size_t j = 0; j < k; j++) {
                const rdr_iv *a = &s->iv[idx[j]], *b = &s->iv[idx[i]];
                if (a->t1 < b->t1 || (a->t1 == b->t1 && j < i)) r++;
            }
            slot[i] = r;
        }
    } else {
        for (size_t i = 0; i < k; i++)
            slot[i] = ob->subkind == TRC_QUEUE_LIFO ? (uint32_t)(depth - 1 - (int64_t)i) : (uint32_t)i;
    }
    for (size_t i = 0; i < k; i++) {
        const rdr_iv *iv = &s->iv[idx[i]];
        ARR_PUSH(st->toks, st->ntoks, st->cap_toks,
                 ((rdr_stage_tok){ .item = ids[idx[i]], .producer = iv->a, .consumer = iv->b, .slot = slot[i],
                                   .phase = RDR_TOK_IN, .fly = 1.0f }));
    }
    if (!anim) { so->ntok = st->ntoks - so->tok0; return; }
    uint64_t f = (uint64_t)((double)anim * RDR_STAGE_FLIGHT);
    if (!f) f = 1;
    /* the next puts: flying in from their producers, each to the slot its put fills */
    size_t p = rdr_ivset_upper(s, t);
    for (size_t j = p, seen = 0; j < s->n && seen < 16 && s->iv[j].t0 <= t + f; j++, seen++) {
        const rdr_iv *iv = &s->iv[j];
        int64_t after = trc_sample_at(ot->depth, ot->ndepth, iv->t0);   /* the depth its put made */
        uint32_t sl = ob->subkind == TRC_QUEUE_LIFO ? 0 : after > 0 ? (uint32_t)(after - 1) : 0;
        ARR_PUSH(st->toks, st->ntoks, st->cap_toks,
                 ((rdr_stage_tok){ .item = ids[j], .producer = iv->a, .consumer = iv->b, .slot = sl,
                                   .phase = RDR_TOK_ARRIVING, .fly = 1.0f - frac((double)(iv->t0 - t), (double)f) }));
    }
    /* the last gets: flying out to their consumers */
    const uint32_t *bg = sm->by_get[o];
    size_t ng = sm->nby_get[o], lo = 0, hi = ng;
    while (lo < hi) {   /* first got after t */
        size_t mid = lo + (hi - lo) / 2;
        if (s->iv[bg[mid]].t1 <= t) lo = mid + 1; else hi = mid;
    }
    for (size_t j = lo, seen = 0; j-- > 0 && seen < 16; seen++) {
        const rdr_iv *iv = &s->iv[bg[j]];
        if (iv->t1 + f <= t) break;
        ARR_PUSH(st->toks, st->ntoks, st->cap_toks,
                 ((rdr_stage_tok){ .item = ids[bg[j]], .producer = iv->a, .consumer = iv->b, .slot = 0,
                                   .phase = RDR_TOK_LEAVING, .fly = frac((double)(t - iv->t1), (double)f) }));
    }
    so->ntok = st->ntoks - so->tok0;
}

/* A pipe's messages at t, oldest first: each `fly` of the way from its send to
 * its recv; those never received wait at the receiving end, the oldest first. */
static void pipe_at(const rdr_stage_model *sm, rdr_stage_state *st, uint32_t o, uint64_t t, uint64_t anim) {
    const rdr_ivset *s = &sm->items[o];
    rdr_stage_obj *so = &st->objs[o];
    so->tok0 = st->ntoks;
    if (!s->n) return;
    so->msgs = (uint32_t)rdr_ivset_count(s, t);
    uint32_t *idx = scratch(st, RDR_STAGE_LIST);
    size_t k = rdr_ivset_list(s, t, idx, RDR_STAGE_LIST);
    for (size_t i = 0; i < k; i++) {   /* slot: its place from the receiving end (a pipe is a fifo) */
        const rdr_iv *iv = &s->iv[idx[i]];
        bool never = iv->t1 == TRC_T_NONE;
        /* it travels over the animation time (then waits behind those before it), or,
         * without animation, over its whole time in the pipe */
        uint64_t in = never ? anim : iv->t1 - iv->t0, travel = anim && anim < in ? anim : in;
        float fly = travel ? frac((double)(t - iv->t0), (double)travel) : 1.0f;
        ARR_PUSH(st->toks, st->ntoks, st->cap_toks,
                 ((rdr_stage_tok){ .item = sm->item_ids[o][idx[i]], .producer = iv->a, .consumer = iv->b,
                                   .slot = (uint32_t)i, .phase = RDR_TOK_PIPE, .fly = fly }));
    }
    so->ntok = st->ntoks - so->tok0;
}

/* Event loops: the tasks ready to run, in the order they became ready (their
 * place in the loop's ready queue), and the task each loop runs. */
enum { ST_READY = 8 };   /* trc_state READY, the coroutines' */
typedef struct ready_key { uint64_t since; uint32_t unit; } ready_key;
static int ready_cmp(const void *a, const void *b) {
    const ready_key *x = a, *y = b;
    if (x->since != y->since) return x->since < y->since ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static void loops_at(const rdr_stage_model *sm, rdr_stage_state *st) {
    uint32_t nu = st->nunits;
    for (uint32_t u = 0; u < nu; u++)
        if (sm->run->units[u].kind == TRC_UNIT_LOOP) { st->units[u].ready = 0; st->units[u].running = RDR_STAGE_NONE; }
    ready_key *rk = xmalloc((nu ? nu : 1) * sizeof *rk);
    size_t n = 0;
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t l = sm->loop_of[u];
        rdr_stage_unit *su = &st->units[u];
        if (l == RDR_STAGE_NONE || !su->started || su->exited) continue;
        if (su->state == ST_READY) rk[n++] = (ready_key){ su->since, u };
        else if (su->state == TRC_ST_RUNNING || su->state == TRC_ST_COMPUTE) {
            su->place = RDR_PLACE_RUN;
            st->units[l].running = u;
        }
    }
    qsort(rk, n, sizeof *rk, ready_cmp);
    for (size_t i = 0; i < n; i++) {
        rdr_stage_unit *su = &st->units[rk[i].unit];
        rdr_stage_unit *lu = &st->units[sm->loop_of[rk[i].unit]];
        su->place = RDR_PLACE_READY;
        su->rank = lu->ready++;
    }
    free(rk);
}

/* Managers' requests and replies in flight at t (at most RDR_STAGE_LIST). */
static void reqs_at(const rdr_stage_model *sm, rdr_stage_state *st, uint64_t t) {
    st->req0 = st->ntoks;
    st->nreq = 0;
    if (!sm->reqs.n) return;
    uint32_t *idx = scratch(st, RDR_STAGE_LIST);
    size_t k = rdr_ivset_list(&sm->reqs, t, idx, RDR_STAGE_LIST);
    for (size_t i = 0; i < k; i++) {
        const rdr_iv *iv = &sm->reqs.iv[idx[i]];
        const trc_flow *f = &sm->m->flows[iv->a];
        ARR_PUSH(st->toks, st->ntoks, st->cap_toks,
                 ((rdr_stage_tok){ .item = f->item, .producer = f->u0, .consumer = f->u1, .phase = (uint8_t)iv->b,
                                   .fly = frac((double)(t - iv->t0), (double)(iv->t1 - iv->t0)) }));
    }
    st->nreq = k;
}

static void pool_at(const rdr_stage_model *sm, rdr_stage_state *st, uint32_t o, uint64_t t) {
    const trc_model *m = sm->m;
    rdr_stage_obj *so = &st->objs[o];
    so->queued = (uint32_t)rdr_ivset_count(&sm->queued[o], t);
    so->running = (uint32_t)rdr_ivset_count(&sm->running[o], t);
    so->done = (uint32_t)count_le(sm->ends[o], sm->nends[o], t);
    so->failed = (uint32_t)count_le(sm->fails[o], sm->nfails[o], t);
    so->cancelled = (uint32_t)count_le(sm->cancels[o], sm->ncancels[o], t);
    so->level = so->queued;
    uint32_t *idx = scratch(st, RDR_STAGE_LIST);
    size_t k = rdr_ivset_list(&sm->queued[o], t, idx, RDR_STAGE_LIST);
    so->fut0 = st->nfuts;
    for (size_t i = 0; i < k; i++) ARR_PUSH(st->futs, st->nfuts, st->cap_futs, sm->queued[o].iv[idx[i]].a);
    so->nfutl = k;
    k = rdr_ivset_list(&sm->running[o], t, idx, RDR_STAGE_LIST);
    for (size_t i = 0; i < k; i++) {
        const trc_future *f = &m->futures[sm->running[o].iv[idx[i]].a];
        if (f->worker < st->nunits) {
            st->units[f->worker].future = f->id;
            st->units[f->worker].task = f->task;
        }
    }
}

void rdr_stage_state_at(const rdr_stage_model *sm, rdr_stage_state *st, uint64_t t, uint64_t anim) {
    const trc_model *m = sm->m;
    const trc_run *run = sm->run;
    uint32_t nu = run->nunits, no = run->nobjects;
    if (st->nunits != nu) {
        free(st->units);
        free(st->cycle);
        st->units = xcalloc(nu ? nu : 1, sizeof *st->units);
        st->cycle = xcalloc(nu ? nu : 1, sizeof *st->cycle);
        st->nunits = nu;
    }
    if (st->nobjs != no) {
        free(st->objs);
        st->objs = xcalloc(no ? no : 1, sizeof *st->objs);
        st->nobjs = no;
    }
    st->t = t;
    st->anim = anim;
    /* the intervals are half-open [t0, t1): at the run's very end, what was
     * held or waited for until the end is what the last nanosecond shows */
    uint64_t t_exit = t;
    if (m->makespan && t >= m->makespan) t = m->makespan - 1;
    st->nwho = st->ntoks = st->nfuts = 0;
    memset(st->counts, 0, sizeof st->counts);
    for (uint32_t u = 0; u < nu; u++) unit_at(sm, st, u, t, t_exit, anim);

    for (uint32_t o = 0; o < no; o++) {
        const trc_object *ob = &run->objects[o];
        const trc_object_track *ot = &m->objects[o];
        rdr_stage_obj *so = &st->objs[o];
        memset(so, 0, sizeof *so);
        so->kind = ob->kind;
        so->holder = so->pulse_unit = RDR_STAGE_NONE;
        so->wait0 = so->hold0 = st->nwho;
        so->tok0 = st->ntoks;
        so->fut0 = st->nfuts;
        /* owners and levels */
        size_t n;
        const trc_owner_span *ow = rdr_owners(m, o + 1, &n);
        const trc_owner_span *hs = ow ? owner_at(ow, n, t) : NULL;
        so->passed_from = RDR_STAGE_NONE;
        so->pass = 1.0f;
        if (hs) {
            so->holder = hs->owner;
            so->held_since = hs->t0;
            if (ob->kind == TRC_OBJ_EVENT) so->set = true;
            /* the GIL's token flies from the one before to the holder */
            if (ob->kind == TRC_OBJ_GIL && hs > ow && anim && t - hs->t0 < anim && hs[-1].owner != hs->owner) {
                so->passed_from = hs[-1].owner;
                so->pass = frac((double)(t - hs->t0), (double)anim);
            }
        }
        const trc_sample *lv = rdr_series(m, o + 1, &n);
        if (n) so->level = trc_sample_at(lv, n, t);
        if (ob->kind == TRC_OBJ_QUEUE && ob->capacity > 0 && so->level >= ob->capacity) so->full = true;
        /* waiters, in arrival order */
        const rdr_ivset *ws = &sm->waits[o];
        if (ws->n) {
            so->nwait = (uint32_t)rdr_ivset_count(ws, t);
            uint32_t *idx = scratch(st, RDR_STAGE_LIST);
            size_t k = rdr_ivset_list(ws, t, idx, RDR_STAGE_LIST);
            uint32_t rput = 0, rget = 0;
            for (size_t i = 0; i < k; i++) {
                const rdr_iv *iv = &ws->iv[idx[i]];
                who_push(st, (rdr_stage_who){ .unit = iv->a, .op = (uint8_t)iv->b, .since = iv->t0 });
                bool put = ob->kind == TRC_OBJ_QUEUE && iv->b == TRC_OP_PUT;
                if (iv->a < nu) st->units[iv->a].rank = put ? rput : rget;
                if (put) rput++; else rget++;
            }
            so->nwaitl = k;
            if (ob->kind == TRC_OBJ_QUEUE) {
                /* the put side counted whole: waits listed, the rest from the unit states */
                if (k == so->nwait) so->nwait_put = rput;
                else {
                    uint32_t np = 0;
                    for (uint32_t u = 0; u < nu; u++)
                        if (st->units[u].place == RDR_PLACE_WAIT && st->units[u].obj == o + 1 && st->units[u].op == TRC_OP_PUT) np++;
                    so->nwait_put = np;
                }
            }
        }
        /* holders: permits, readers */
        const rdr_ivset *hset = &sm->holds[o];
        if (hset->n) {
            so->hold0 = st->nwho;
            so->nhold = (uint32_t)rdr_ivset_count(hset, t);
            uint32_t *idx = scratch(st, RDR_STAGE_LIST);
            size_t k = rdr_ivset_list(hset, t, idx, RDR_STAGE_LIST);
            for (size_t i = 0; i < k; i++)
                who_push(st, (rdr_stage_who){ .unit = hset->iv[idx[i]].a, .since = hset->iv[idx[i]].t0 });
            so->nholdl = k;
        }
        /* notified waiters not yet awake */
        const rdr_ivset *ns = &sm->notified[o];
        if (ns->n) {
            uint32_t *idx = scratch(st, RDR_STAGE_LIST);
            size_t k = rdr_ivset_list(ns, t, idx, RDR_STAGE_LIST);
            for (size_t i = 0; i < k; i++)
                if (ns->iv[idx[i]].a < nu) st->units[ns->iv[idx[i]].a].notified = true;
        }
        /* the last pulse */
        if (sm->npulses[o]) {
            const uint32_t *pl = sm->pulses[o];
            size_t lo = 0, hi = sm->npulses[o];
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (m->instants[pl[mid]].t <= t) lo = mid + 1; else hi = mid;
            }
            if (lo) {
                const trc_instant *in = &m->instants[pl[lo - 1]];
                so->pulse_kind = in->kind;
                so->pulse_unit = in->unit;
                so->pulse_woken = in->extra;
                /* it fades with the playhead's real time: past the run's end (t held at its
                 * last nanosecond) a drop request or a notify does not stay lit for ever */
                so->pulse = anim ? 1.0f - frac((double)(t_exit - in->t), (double)anim) : (t_exit == in->t ? 1.0f : 0.0f);
            }
        }
        switch (ob->kind) {
        case TRC_OBJ_QUEUE: queue_at(sm, st, o, t, anim); break;
        case TRC_OBJ_PIPE: pipe_at(sm, st, o, t, anim); break;
        case TRC_OBJ_POOL: pool_at(sm, st, o, t); break;
        case TRC_OBJ_COUNTER:
            if (ot->ncops) {
                size_t lo = 0, hi = ot->ncops;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (ot->cops[mid].t <= t) lo = mid + 1; else hi = mid;
                }
                if (lo) { so->lost = sm->lost_sum[o][lo - 1]; so->writes = sm->write_sum[o][lo - 1]; }
            }
            break;
        default: break;
        }
    }
    reqs_at(sm, st, t);
    if (sm->loops) loops_at(sm, st);
    for (uint32_t u = 0; u < nu; u++) st->units[u].holder = holder_of(sm, st, u, t);
    cycles(st);
}

void rdr_stage_state_release(rdr_stage_state *st) {
    free(st->units);
    free(st->objs);
    free(st->who);
    free(st->toks);
    free(st->futs);
    free(st->cycle);
    free(st->scratch);
    memset(st, 0, sizeof *st);
}
