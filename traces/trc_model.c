/* The derived model: one pass over a run's time-sorted events builds
 *  - per unit: state spans (running, computing, blocked on X, sleeping, done),
 *  - per object: lock owner spans, queue depth samples, wait counts,
 *  - flows: put -> get of the same item, release -> the next acquire by a unit
 *    that was waiting for it,
 *  - marks.
 * The viewer, stats and exporters all read this, so they agree. */
#include "traces/trc.h"

#include <stdlib.h>
#include <string.h>

/* Items in flight, keyed by (object, item id). */
typedef struct item_slot { uint64_t key; uint64_t t; uint32_t unit; uint32_t obj; bool used; } item_slot;
typedef struct item_map { item_slot *slots; size_t cap, n; } item_map;

static uint64_t item_hash(uint64_t k, uint32_t obj) {
    k ^= (uint64_t)obj * 0x9E3779B97F4A7C15ull;
    k ^= k >> 33; k *= 0xff51afd7ed558ccdull; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ull; k ^= k >> 33;
    return k;
}

static void item_put(item_map *m, uint64_t key, uint32_t obj, uint64_t t, uint32_t unit);
static void item_grow(item_map *m) {
    item_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].used) item_put(m, old.slots[i].key, old.slots[i].obj, old.slots[i].t, old.slots[i].unit);
    free(old.slots);
}

static void item_put(item_map *m, uint64_t key, uint32_t obj, uint64_t t, uint32_t unit) {
    if ((m->n + 1) * 4 > m->cap * 3) item_grow(m);
    size_t i = item_hash(key, obj) & (m->cap - 1);
    while (m->slots[i].used && (m->slots[i].key != key || m->slots[i].obj != obj)) i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].used) m->n++;
    m->slots[i] = (item_slot){ key, t, unit, obj, true };
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

typedef struct unit_cur {
    uint8_t state;
    uint8_t op;
    uint32_t obj;
    uint64_t t0;
    bool started;
    size_t cap;
    uint64_t wait_since; uint32_t wait_obj;   /* last wait, for hand-off flows */
} unit_cur;

typedef struct obj_cur {
    bool owned;
    uint32_t owner, depth;
    uint64_t t0;
    bool released; uint32_t rel_unit; uint64_t rel_t;
    size_t cap_owners, cap_depth;
} obj_cur;

static void span_close(trc_unit_track *ut, unit_cur *c, uint64_t t, uint8_t outcome) {
    if (t > c->t0) {
        ARR_GROW(ut->spans, ut->nspans + 1, c->cap);
        ut->spans[ut->nspans++] = (trc_span){ .t0 = c->t0, .t1 = t, .obj = c->obj, .state = c->state,
                                              .op = c->op, .outcome = outcome };
    }
}

static void span_open(unit_cur *c, uint64_t t, uint8_t state, uint32_t obj, uint8_t op) {
    c->state = state; c->obj = obj; c->op = op; c->t0 = t;
}

static int cmp_flow(const void *a, const void *b) {
    const trc_flow *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int trc_model_build(trc_model *m, const trc_run *run, diag *d) {
    memset(m, 0, sizeof *m);
    m->run = run;
    uint64_t base = run->t_start;
    uint64_t last = base;
    for (size_t i = 0; i < run->nevents; i++) {
        const trc_event *e = &run->events[i];
        if (e->t < last && i > 0)
            return diag_set(d, ERR_FORMAT, "event %zu (%s) at %llu ns goes back in time", i, trc_ev_name(e->kind),
                            (unsigned long long)e->t);
        if (e->t < base)
            return diag_set(d, ERR_FORMAT, "event %zu (%s) is before the run's start", i, trc_ev_name(e->kind));
        last = e->t;
        if (e->unit >= run->nunits)
            return diag_set(d, ERR_FORMAT, "event %zu (%s) names unit %u of %u", i, trc_ev_name(e->kind), e->unit,
                            run->nunits);
        if (e->obj > run->nobjects)
            return diag_set(d, ERR_FORMAT, "event %zu (%s) names object %u of %u", i, trc_ev_name(e->kind), e->obj,
                            run->nobjects);
    }
    uint64_t end = run->t_end > last ? run->t_end : last;
    m->makespan = end - base;

    m->units = xcalloc(run->nunits ? run->nunits : 1, sizeof *m->units);
    m->objects = xcalloc(run->nobjects ? run->nobjects : 1, sizeof *m->objects);
    unit_cur *uc = xcalloc(run->nunits ? run->nunits : 1, sizeof *uc);
    obj_cur *oc = xcalloc(run->nobjects ? run->nobjects : 1, sizeof *oc);
    item_map items = { 0 };
    size_t cap_flows = 0, cap_marks = 0;
    uint64_t next_flow = 1;

    for (uint32_t o = 0; o < run->nobjects; o++) {
        if (run->objects[o].kind == TRC_OBJ_QUEUE) {
            trc_object_track *ot = &m->objects[o];
            ARR_PUSH(ot->depth, ot->ndepth, oc[o].cap_depth, ((trc_sample){ 0, 0 }));
        }
    }

    for (size_t i = 0; i < run->nevents; i++) {
        const trc_event *e = &run->events[i];
        uint64_t t = e->t - base;
        trc_unit_track *ut = &m->units[e->unit];
        unit_cur *c = &uc[e->unit];
        trc_object_track *ot = e->obj ? &m->objects[e->obj - 1] : NULL;
        obj_cur *o = e->obj ? &oc[e->obj - 1] : NULL;
        if (!c->started && e->kind != TRC_EV_UNIT_EXIT) {
            c->started = true;
            ut->t_start = t;
            span_open(c, t, TRC_ST_RUNNING, 0, 0);
        }
        switch (e->kind) {
        case TRC_EV_UNIT_START: break;
        case TRC_EV_UNIT_EXIT:
            if (!c->started) { c->started = true; ut->t_start = t; span_open(c, t, TRC_ST_RUNNING, 0, 0); }
            span_close(ut, c, t, c->state == TRC_ST_BLOCKED ? TRC_OUT_ABORTED : 0);
            ut->exited = true;
            ut->aborted = e->aux == TRC_EXIT_ABORTED;
            ut->t_exit = t;
            span_open(c, t, TRC_ST_DONE, 0, 0);
            break;
        case TRC_EV_COMPUTE_BEGIN:
            span_close(ut, c, t, 0); span_open(c, t, TRC_ST_COMPUTE, 0, 0); break;
        case TRC_EV_SLEEP_BEGIN:
            span_close(ut, c, t, 0); span_open(c, t, TRC_ST_SLEEP, 0, 0); break;
        case TRC_EV_WAIT_BEGIN:
            span_close(ut, c, t, 0);
            span_open(c, t, TRC_ST_BLOCKED, e->obj, (uint8_t)e->aux);
            ut->waits++;
            if (ot) ot->waits++;
            c->wait_since = t; c->wait_obj = e->obj;
            break;
        case TRC_EV_COMPUTE_END:
        case TRC_EV_SLEEP_END:
        case TRC_EV_WAIT_END:
            if (ut->exited) break;
            if (e->kind == TRC_EV_WAIT_END && e->aux != TRC_OUT_OK) c->wait_obj = 0;
            span_close(ut, c, t, (uint8_t)(e->kind == TRC_EV_WAIT_END ? e->aux : 0));
            span_open(c, t, TRC_ST_RUNNING, 0, 0);
            break;
        case TRC_EV_ACQUIRE:
            if (!o) break;
            if (o->owned && o->owner != e->unit) {
                int rc = diag_set(d, ERR_FORMAT, "event %zu: %s acquires %s while %s owns it", i,
                                  run->units[e->unit].name, run->objects[e->obj - 1].name,
                                  run->units[o->owner].name);
                free(uc); free(oc); free(items.slots);
                trc_model_release(m);
                return rc;
            }
            if (!o->owned) {
                o->owned = true; o->owner = e->unit; o->t0 = t;
                if (o->released && o->rel_unit != e->unit && c->wait_obj == e->obj && c->wait_since <= o->rel_t) {
                    ARR_GROW(m->flows, m->nflows + 1, cap_flows);
                    m->flows[m->nflows++] = (trc_flow){ .id = next_flow++, .t0 = o->rel_t, .t1 = t,
                                                        .u0 = o->rel_unit, .u1 = e->unit, .obj = e->obj,
                                                        .kind = TRC_FLOW_HANDOFF };
                }
            }
            o->depth = (uint32_t)e->arg;
            c->wait_obj = 0;
            break;
        case TRC_EV_RELEASE:
            if (!o || !o->owned) break;
            o->depth = (uint32_t)e->arg;
            if (e->arg == 0) {
                ARR_PUSH(ot->owners, ot->nowners, o->cap_owners,
                         ((trc_owner_span){ .t0 = o->t0, .t1 = t, .owner = o->owner, .depth = 1 }));
                ot->t_held += t - o->t0;
                o->owned = false;
                o->released = true; o->rel_unit = e->unit; o->rel_t = t;
            }
            break;
        case TRC_EV_PUT:
        case TRC_EV_GET: {
            if (!ot) break;
            ARR_PUSH(ot->depth, ot->ndepth, o->cap_depth, ((trc_sample){ t, (int64_t)e->extra }));
            if ((int64_t)e->extra > ot->max_depth) ot->max_depth = e->extra;
            if (e->kind == TRC_EV_PUT) {
                ot->puts++;
                item_put(&items, e->arg, e->obj, t, e->unit);
            } else {
                ot->gets++;
                item_slot s;
                if (item_take(&items, e->arg, e->obj, &s)) {
                    ARR_GROW(m->flows, m->nflows + 1, cap_flows);
                    m->flows[m->nflows++] = (trc_flow){ .id = next_flow++, .t0 = s.t, .t1 = t, .u0 = s.unit,
                                                        .u1 = e->unit, .obj = e->obj, .kind = TRC_FLOW_ITEM,
                                                        .item = e->arg };
                } else {
                    m->unmatched_gets++;
                }
            }
            break;
        }
        case TRC_EV_MARK:
            ut->marks++;
            ARR_GROW(m->marks, m->nmarks + 1, cap_marks);
            m->marks[m->nmarks++] = (trc_mark){ .t = t, .unit = e->unit,
                                                .text = e->arg < run->nstrings ? run->strings[e->arg] : "?" };
            break;
        default: break;
        }
    }
    m->unmatched_puts = items.n;

    uint64_t mk = m->makespan;
    for (uint32_t u = 0; u < run->nunits; u++) {
        trc_unit_track *ut = &m->units[u];
        unit_cur *c = &uc[u];
        if (c->started) span_close(ut, c, mk, 0);
        if (!ut->exited) ut->t_exit = mk;
        for (size_t s = 0; s < ut->nspans; s++) ut->t_state[ut->spans[s].state] += ut->spans[s].t1 - ut->spans[s].t0;
    }
    for (uint32_t oi = 0; oi < run->nobjects; oi++) {
        obj_cur *o = &oc[oi];
        trc_object_track *ot = &m->objects[oi];
        if (o->owned && mk > o->t0) {
            ARR_PUSH(ot->owners, ot->nowners, o->cap_owners,
                     ((trc_owner_span){ .t0 = o->t0, .t1 = mk, .owner = o->owner, .depth = 1 }));
            ot->t_held += mk - o->t0;
        }
    }
    if (m->nflows > 1) qsort(m->flows, m->nflows, sizeof *m->flows, cmp_flow);
    free(uc);
    free(oc);
    free(items.slots);
    return 0;
}

void trc_model_release(trc_model *m) {
    if (!m->run && !m->units) return;
    const trc_run *run = m->run;
    for (uint32_t u = 0; run && u < run->nunits; u++) free(m->units[u].spans);
    for (uint32_t o = 0; run && o < run->nobjects; o++) { free(m->objects[o].depth); free(m->objects[o].owners); }
    free(m->units);
    free(m->objects);
    free(m->flows);
    free(m->marks);
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
