/* Stats: the figures of one run, read off the derived model (and, for what the
 * model does not keep, the run's events): per run, per unit, per actor group
 * and per object. No text here (trc_stats_text.c, trc_stats_json.c).
 *
 * Times per state are table-driven (trc_state_table: TRC_STATE_MAP in order),
 * so a state added to the model appears in every figure, text, JSON and diff
 * without code here.
 *
 * Waits: every BLOCKED span of a unit is one wait (a pool worker's IDLE wait
 * for a task is not one). Percentiles are nearest-rank: p50 of n sorted waits
 * is the ceil(n/2)-th, p95 the ceil(0.95 n)-th. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trc_internal.h"

static trc_state_info state_tab[] = {
#define X(name, num, str) { num, #name, str },
    TRC_STATE_MAP(X)
#undef X
};
static char state_keys[sizeof state_tab / sizeof *state_tab][32];
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void state_init(void) {
    for (size_t i = 0; i < sizeof state_tab / sizeof *state_tab; i++) {
        size_t k = 0;
        for (const char *p = state_tab[i].key; *p && k + 1 < sizeof state_keys[i]; p++)
            state_keys[i][k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        state_keys[i][k] = 0;
        state_tab[i].key = state_keys[i];
    }
}

const trc_state_info *trc_state_table(unsigned *n) {
    pthread_once(&state_once, state_init);
    *n = (unsigned)(sizeof state_tab / sizeof *state_tab);
    return state_tab;
}

const char *trc_state_key(unsigned s) {
    unsigned n;
    const trc_state_info *t = trc_state_table(&n);
    for (unsigned i = 0; i < n; i++)
        if (t[i].id == s) return t[i].key;
    return "";
}

/* One wait, for the percentiles. */
typedef struct wait_rec { uint64_t dur; uint32_t unit, obj; } wait_rec;

static int cmp_wait(const void *a, const void *b) {
    uint64_t x = ((const wait_rec *)a)->dur, y = ((const wait_rec *)b)->dur;
    return x < y ? -1 : x > y;
}

/* Two passes over the waits sorted by duration: counts, then ranks. */
static void dist_add_count(trc_dist *d, uint64_t dur) {
    d->n++;
    d->total += dur;
}

static void dist_add_rank(trc_dist *d, uint64_t *seen, uint64_t dur) {
    (*seen)++;
    uint64_t r50 = (d->n + 1) / 2, r95 = (d->n * 95 + 99) / 100;
    if (*seen == r50) d->p50 = dur;
    if (*seen == r95) d->p95 = dur;
    if (*seen == d->n) d->max = dur;
}

static bool owned_kind(uint32_t k) { return k == TRC_OBJ_LOCK || k == TRC_OBJ_RLOCK || k == TRC_OBJ_RWLOCK; }

typedef struct lvl { int64_t v; uint64_t dur; } lvl;
static int cmp_lvl(const void *a, const void *b) {
    int64_t x = ((const lvl *)a)->v, y = ((const lvl *)b)->v;
    return x < y ? -1 : x > y;
}

/* A step series' values over [0, makespan], in value order: the time at each
 * value, walked from the lowest value up. A depth takes few distinct values
 * (0 .. a queue's capacity), so they are a histogram indexed by value (no copy
 * of the series, no sort); a series whose values span more than it has samples
 * (or 2^16) is copied and sorted instead. Either way a value's time is all
 * added before the next value's, so a percentile crossed inside a value's time
 * is that value in both. */
enum { LVL_HIST_MIN = 1 << 16 };
typedef struct lvl_walk {
    uint64_t *hist; int64_t lo; size_t nh;   /* histogram: hist[v - lo] */
    lvl *l; size_t nl;                       /* else: (value, time) sorted by value */
} lvl_walk;

static bool lvl_hist_fits(int64_t lo, int64_t hi, size_t n) {
    uint64_t span = (uint64_t)hi - (uint64_t)lo;   /* hi >= lo: exact in uint64 */
    return span < LVL_HIST_MIN || span < n;
}

/* Time-weighted statistics of a queue's depth over [0, makespan]. */
static void depth_stats(trc_obj_stats *os, const trc_object *ob, const trc_object_track *ot, uint64_t makespan) {
    if (!ot->ndepth || !makespan) return;
    int64_t vlo = INT64_MAX, vhi = INT64_MIN;
    double area = 0;
    for (size_t i = 0; i < ot->ndepth; i++) {
        uint64_t t0 = ot->depth[i].t, t1 = i + 1 < ot->ndepth ? ot->depth[i + 1].t : makespan;
        if (t0 > makespan) t0 = makespan;
        if (t1 > makespan) t1 = makespan;
        if (t1 < t0) t1 = t0;
        int64_t v = ot->depth[i].v;
        if (v > os->depth_max) os->depth_max = v;
        uint64_t dt = t1 - t0;
        area += (double)v * (double)dt;
        if (v == 0) os->empty_ns += dt;
        if (ob->capacity > 0 && v >= ob->capacity) os->full_ns += dt;
        if (dt && v < vlo) vlo = v;
        if (dt && v > vhi) vhi = v;
    }
    os->depth_mean = area / (double)makespan;
    if (vlo > vhi) return;   /* no time at any value */
    lvl_walk w = { 0 };
    if (lvl_hist_fits(vlo, vhi, ot->ndepth)) {
        w.lo = vlo;
        w.nh = (size_t)((uint64_t)vhi - (uint64_t)vlo) + 1;
        w.hist = xcalloc(w.nh, sizeof *w.hist);
    } else {
        w.l = xcalloc(ot->ndepth, sizeof *w.l);
    }
    for (size_t i = 0; i < ot->ndepth; i++) {   /* the same times as above */
        uint64_t t0 = ot->depth[i].t, t1 = i + 1 < ot->ndepth ? ot->depth[i + 1].t : makespan;
        if (t0 > makespan) t0 = makespan;
        if (t1 > makespan) t1 = makespan;
        if (t1 <= t0) continue;
        if (w.hist) w.hist[(uint64_t)ot->depth[i].v - (uint64_t)w.lo] += t1 - t0;
        else w.l[w.nl++] = (lvl){ ot->depth[i].v, t1 - t0 };
    }
    if (w.l) qsort(w.l, w.nl, sizeof *w.l, cmp_lvl);
    uint64_t acc = 0;
    bool got50 = false;
    size_t n = w.hist ? w.nh : w.nl;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        if (w.hist) {
            if (!w.hist[i]) continue;
            acc += w.hist[i];
            v = (int64_t)((uint64_t)w.lo + i);
        } else {
            acc += w.l[i].dur;
            v = w.l[i].v;
        }
        if (!got50 && (double)acc >= 0.5 * (double)makespan) { os->depth_p50 = v; got50 = true; }
        if ((double)acc >= 0.95 * (double)makespan) { os->depth_p95 = v; break; }
    }
    free(w.hist);
    free(w.l);
}

/* A pool's queue waits (submit -> start) and run times (start -> done). */
trc__pool_times trc__pool_times_of(const trc_model *m, const trc_object_track *ot) {
    trc__pool_times p = { 0 };
    for (size_t i = ot->future0; i < ot->future0 + ot->nfutures && i < m->nfutures; i++) {
        const trc_future *f = &m->futures[i];
        if (f->t_submit != TRC_T_NONE && f->t_start != TRC_T_NONE && f->t_start >= f->t_submit) {
            uint64_t w = f->t_start - f->t_submit;
            p.waited += w;
            p.nwait++;
            if (w > p.max_wait) p.max_wait = w;
        }
        if (f->t_start != TRC_T_NONE && f->t_done != TRC_T_NONE && f->t_done >= f->t_start) {
            p.ran += f->t_done - f->t_start;
            p.nrun++;
        }
    }
    return p;
}

int trc_stats_build(trc_stats *s, const trc_model *m) {
    memset(s, 0, sizeof *s);
    const trc_run *run = m->run;
    s->m = m;
    s->makespan = m->makespan;
    s->lost = m->lost;
    uint32_t nu = run->nunits, no = run->nobjects;
    s->units = arena_push(&s->mem, (nu ? nu : 1) * sizeof *s->units);
    s->objects = arena_push(&s->mem, (no ? no : 1) * sizeof *s->objects);
    s->groups = arena_push(&s->mem, (nu ? nu : 1) * sizeof *s->groups);
    uint32_t *gid = xcalloc(nu ? nu : 1, sizeof *gid);
    for (uint32_t u = 0; u < nu; u++) {
        const char *g = run->units[u].group && run->units[u].group[0] ? run->units[u].group : run->units[u].name;
        uint32_t k = 0;
        while (k < s->ngroups && strcmp(s->groups[k].name, g)) k++;
        if (k == s->ngroups) {
            s->groups[k].name = g;
            s->groups[k].obj_wait = arena_push(&s->mem, (no ? no : 1) * sizeof(trc_dist));
            s->ngroups++;
        }
        gid[u] = k;
        s->groups[k].nunits++;
    }

    /* states and waits, from the spans */
    wait_rec *w = NULL;
    size_t nw = 0, capw = 0;
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        trc_unit_stats *us = &s->units[u];
        trc_group_stats *gs = &s->groups[gid[u]];
        us->life_ns = ut->t_exit > ut->t_start ? ut->t_exit - ut->t_start : 0;
        for (unsigned st = 0; st < TRC_ST__COUNT; st++) {
            us->t_state[st] = ut->t_state[st];
            gs->t_state[st] += ut->t_state[st];
            s->t_state[st] += ut->t_state[st];
        }
        for (size_t i = 0; i < ut->nspans; i++) {
            const trc_span *sp = &ut->spans[i];
            if (sp->state != TRC_ST_BLOCKED) continue;
            uint64_t t1 = sp->t1;
            uint8_t outcome = sp->outcome;
            if (outcome == TRC_OUT_TIMEOUT) {
                us->timeouts++;
                if (sp->obj && sp->obj <= no) s->objects[sp->obj - 1].timeouts++;
            }
            ARR_PUSH(w, nw, capw, ((wait_rec){ t1 - sp->t0, u, sp->obj <= no ? sp->obj : 0 }));
        }
    }
    if (nw) qsort(w, nw, sizeof *w, cmp_wait);
    for (size_t i = 0; i < nw; i++) {
        uint64_t d = w[i].dur;
        dist_add_count(&s->wait, d);
        dist_add_count(&s->units[w[i].unit].wait, d);
        trc_group_stats *gs = &s->groups[gid[w[i].unit]];
        dist_add_count(&gs->wait, d);
        if (w[i].obj) {
            dist_add_count(&s->objects[w[i].obj - 1].wait, d);
            dist_add_count(&gs->obj_wait[w[i].obj - 1], d);
        }
    }
    /* ranks: one counter per distribution, kept beside it */
    uint64_t *seen = xcalloc(1 + nu + no + (size_t)s->ngroups * (1 + no), sizeof *seen);
    uint64_t *seen_u = seen + 1, *seen_o = seen_u + nu, *seen_g = seen_o + no, *seen_go = seen_g + s->ngroups;
    for (size_t i = 0; i < nw; i++) {
        uint64_t d = w[i].dur;
        uint32_t u = w[i].unit, g = gid[u];
        dist_add_rank(&s->wait, &seen[0], d);
        dist_add_rank(&s->units[u].wait, &seen_u[u], d);
        dist_add_rank(&s->groups[g].wait, &seen_g[g], d);
        if (w[i].obj) {
            uint32_t o = w[i].obj - 1;
            dist_add_rank(&s->objects[o].wait, &seen_o[o], d);
            dist_add_rank(&s->groups[g].obj_wait[o], &seen_go[(size_t)g * no + o], d);
        }
    }
    free(seen);
    free(w);

    for (uint32_t u = 0; u < nu; u++) {
        trc_unit_stats *us = &s->units[u];
        us->cpu_ns = m->units[u].cpu_ns;                   /* counted by the model from the events */
        us->puts = m->units[u].puts;
        us->gets = m->units[u].gets;
        us->lost = m->units[u].lost;                       /* events lost, from its gaps */
        us->flush_ns = m->units[u].t_state[TRC_ST_FLUSH];  /* waits for the recorder's drain */
        us->flushes = m->units[u].flushes;
        s->cpu_ns += us->cpu_ns;
        s->flush_ns += us->flush_ns;
        s->flushes += us->flushes;
        s->groups[gid[u]].cpu_ns += us->cpu_ns;
    }
    free(gid);

    /* objects */
    double secs = (double)m->makespan / 1e9;
    for (uint32_t o = 0; o < no; o++) {
        const trc_object *ob = &run->objects[o];
        const trc_object_track *ot = &m->objects[o];
        trc_obj_stats *os = &s->objects[o];
        os->puts = ot->puts;
        os->gets = ot->gets;
        if (owned_kind(ob->kind)) {
            os->held_ns = ot->t_held;
            os->acquisitions = ob->kind == TRC_OBJ_LOCK ? (uint32_t)ot->nowners : ot->acquires;
        } else if (ob->kind == TRC_OBJ_SEMAPHORE) {
            os->acquisitions = ot->acquires;
        }
        if (owned_kind(ob->kind) || ob->kind == TRC_OBJ_SEMAPHORE) {
            os->contended = (uint32_t)os->wait.n;
            os->contention = os->acquisitions ? (double)os->contended / (double)os->acquisitions : 0;
        }
        os->held_share = m->makespan ? (double)os->held_ns / (double)m->makespan : 0;
        if (ob->kind == TRC_OBJ_QUEUE) {
            depth_stats(os, ob, ot, m->makespan);
            os->items_per_s = secs > 0 ? (double)ot->gets / secs : 0;
            s->items += ot->gets;
        }
    }
    s->items_per_s = secs > 0 ? (double)s->items / secs : 0;
    return 0;
}

void trc_stats_release(trc_stats *s) {
    arena_release(&s->mem);
    memset(s, 0, sizeof *s);
}
