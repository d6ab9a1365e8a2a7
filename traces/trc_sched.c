/* What the kernel did with every unit, derived after the main pass of the
 * model (trc_model.c calls trc__sched_build last):
 *  - per unit: its on-CPU intervals and their CPUs, its preemptions (switched
 *    out while still runnable) and blocks, the time it was runnable without a
 *    CPU, its migrations, its context-switch counts, its computes' CPU time
 *    against their wall time;
 *  - the RUNNABLE state: the parts of a unit's running and computing spans
 *    during which the kernel had preempted it are cut out as RUNNABLE spans
 *    (their `op` keeps the state they cut: TRC_ST_RUNNING or TRC_ST_COMPUTE);
 *  - per CPU: which unit ran on it when;
 *  - per run: how many units wanted a CPU over time against the cores.
 *
 * Sources, in the recording: SCHED_SWITCH events (perf context-switch records
 * of the run's threads and children, written by the runtime after the run),
 * CPU events (the recorder saw its unit on another CPU), SCHED_COUNTS at each
 * unit's end (aux 1: the kernel refused perf events: the fallback). */
#include "traces/trc_model_internal.h"

#include <stdlib.h>
#include <string.h>


typedef struct sch_cur {
    bool on; uint64_t t_in; uint32_t cpu;    /* an on-CPU interval under way */
    uint64_t t_pre;                          /* preempted since (0: not) */
    bool pre;
    trc_span *run; size_t nrun, cap_run;     /* its runnable intervals (t0, t1) */
    size_t cap_on;
} sch_cur;

static int cmp_cpu_span(const void *a, const void *b) {
    const trc_cpu_span *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* One unit's intervals that want a CPU, as a stream of (t, d): d = +1 at an
 * interval's start, -1 at its end. Its on-CPU intervals (on), or its spans (sp)
 * that are RUNNABLE (runnable) or want a CPU (wants_cpu). Sorted and disjoint,
 * so the stream is in (t, d) order: an end before the start at the same t. */
typedef struct wsrc {
    const trc_cpu_span *on;
    const trc_span *sp;
    size_t n, k;
    bool runnable, end;
    uint64_t t;
    int d;
} wsrc;

static bool wants_cpu(uint8_t st);

/* Skips to the first interval from k on that the stream takes; false: none left. */
static bool wsrc_load(wsrc *s) {
    if (s->sp)
        while (s->k < s->n && (s->runnable ? s->sp[s->k].state != TRC_ST_RUNNABLE : !wants_cpu(s->sp[s->k].state))) s->k++;
    if (s->k >= s->n) return false;
    s->end = false;
    s->d = 1;
    s->t = s->on ? s->on[s->k].t0 : s->sp[s->k].t0;
    return true;
}
static bool wsrc_first(wsrc *s) { return (s->on || s->sp) && wsrc_load(s); }
static bool wsrc_next(wsrc *s) {
    if (!s->end) {
        s->end = true;
        s->d = -1;
        s->t = s->on ? s->on[s->k].t1 : s->sp[s->k].t1;
        return true;
    }
    s->k++;
    return wsrc_load(s);
}
static inline bool wsrc_lt(const wsrc *a, const wsrc *b) { return a->t < b->t || (a->t == b->t && a->d < b->d); }
static void heap_down(const wsrc *src, size_t *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && wsrc_lt(&src[h[l]], &src[h[m]])) m = l;
        if (r < n && wsrc_lt(&src[h[r]], &src[h[m]])) m = r;
        if (m == i) return;
        size_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}
static void heap_push(const wsrc *src, size_t *h, size_t *n, size_t x) {
    size_t i = (*n)++;
    h[i] = x;
    while (i && wsrc_lt(&src[h[i]], &src[h[(i - 1) / 2]])) {
        size_t t = h[i]; h[i] = h[(i - 1) / 2]; h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void runnable_add(sch_cur *c, uint64_t t0, uint64_t t1) {
    if (t1 <= t0) return;
    ARR_GROW(c->run, c->nrun + 1, c->cap_run);
    c->run[c->nrun++] = (trc_span){ .t0 = t0, .t1 = t1, .state = TRC_ST_RUNNABLE };
}

static void oncpu_close(trc_unit_sched *us, sch_cur *c, uint64_t t, uint32_t unit) {
    if (!c->on) return;
    c->on = false;
    if (t <= c->t_in) return;
    ARR_GROW(us->oncpu, us->noncpu + 1, c->cap_on);
    us->oncpu[us->noncpu++] = (trc_cpu_span){ .t0 = c->t_in, .t1 = t, .cpu = c->cpu, .unit = unit };
    us->t_oncpu += t - c->t_in;
}

/* Cuts the runnable intervals (sorted, disjoint) out of the unit's running and
 * computing spans. */
static void overlay(trc_unit_track *ut, const trc_span *run, size_t nrun) {
    if (!nrun) return;
    trc_span *out = NULL;
    size_t n = 0, cap = 0, k = 0;
    for (size_t i = 0; i < ut->nspans; i++) {
        trc_span s = ut->spans[i];
        if (s.state != TRC_ST_RUNNING && s.state != TRC_ST_COMPUTE) {
            ARR_PUSH(out, n, cap, s);
            continue;
        }
        while (k < nrun && run[k].t1 <= s.t0) k++;
        uint64_t at = s.t0;
        for (size_t j = k; j < nrun && run[j].t0 < s.t1; j++) {
            uint64_t a = run[j].t0 > at ? run[j].t0 : at, e = run[j].t1 < s.t1 ? run[j].t1 : s.t1;
            if (e <= a) continue;
            if (a > at) {
                trc_span p = s;
                p.t0 = at; p.t1 = a;
                ARR_PUSH(out, n, cap, p);
            }
            trc_span r = { .t0 = a, .t1 = e, .state = TRC_ST_RUNNABLE, .op = s.state };
            ARR_PUSH(out, n, cap, r);
            at = e;
        }
        if (at < s.t1) {
            trc_span p = s;
            p.t0 = at;
            ARR_PUSH(out, n, cap, p);
        }
    }
    free(ut->spans);
    ut->spans = out;
    ut->nspans = n;
    memset(ut->t_state, 0, sizeof ut->t_state);
    for (size_t s = 0; s < n; s++) ut->t_state[out[s].state] += out[s].t1 - out[s].t0;
}

static bool wants_cpu(uint8_t st) {
    return st == TRC_ST_RUNNING || st == TRC_ST_COMPUTE || st == TRC_ST_RUNNABLE;
}

void trc__sched_build(trc_model *m, const trc__sched_ev *ev, size_t nev, const trc_event *counts, size_t ncounts) {
    const trc_run *run = m->run;
    trc_sched *sc = &m->sched;
    sc->cores = run->cores;
    uint32_t nu = run->nunits;
    sch_cur *cur = xcalloc(nu ? nu : 1, sizeof *cur);
    bool kernel = false, fallback = false;
    uint32_t maxcpu = 0;
    for (uint32_t u = 0; u < nu; u++) m->units[u].sched.cpu_first = m->units[u].sched.cpu_last = UINT32_MAX;
    for (size_t i = 0; i < ncounts; i++) {   /* each unit's at its end: no order to keep */
        const trc_event *e = &counts[i];
        trc_unit_sched *us = &m->units[e->unit].sched;
        us->vol = e->arg;
        us->invol = e->extra;
        us->has_counts = true;
        if (e->aux) fallback = true;
    }
    for (size_t i = 0; i < nev; i++) {
        const trc__sched_ev *e = &ev[i];
        uint64_t t = e->t - run->t_start;
        trc_unit_sched *us = &m->units[e->unit].sched;
        sch_cur *c = &cur[e->unit];
        uint32_t cpu = e->cpu;
        if (cpu + 1 > maxcpu) maxcpu = cpu + 1;
        if (e->kind == TRC_EV_CPU) {
            sc->cpu_events++;
            if (!kernel && e->how) us->migrations++;
            if (us->cpu_first == UINT32_MAX) us->cpu_first = cpu;
            us->cpu_last = cpu;
            continue;
        }
        if (m->units[e->unit].exited && t > m->units[e->unit].t_exit) {
            /* after the unit's exit event: its thread ends (pthread's own exit
             * path), but the unit is over: what it still does is cut at its exit */
            uint64_t x = m->units[e->unit].t_exit;
            oncpu_close(us, c, x, e->unit);
            if (c->pre) runnable_add(c, c->t_pre, x);
            c->pre = false;
            continue;
        }
        if (!kernel) {   /* the kernel's word replaces the recorder's for migrations */
            kernel = true;
            for (uint32_t u = 0; u < nu; u++) m->units[u].sched.migrations = 0;
        }
        switch (e->how) {
        case TRC_SCHED_IN:
            if (c->pre) runnable_add(c, c->t_pre, t);
            c->pre = false;
            if (c->on) oncpu_close(us, c, t, e->unit);   /* a lost switch-out */
            if (us->cpu_last != UINT32_MAX && us->cpu_last != cpu) us->migrations++;
            if (us->cpu_first == UINT32_MAX) us->cpu_first = cpu;
            us->cpu_last = cpu;
            c->on = true; c->t_in = t; c->cpu = cpu;
            break;
        case TRC_SCHED_OUT_PREEMPTED:
            oncpu_close(us, c, t, e->unit);
            if (!c->pre) { c->pre = true; c->t_pre = t; }
            us->preemptions++;
            break;
        default:
            oncpu_close(us, c, t, e->unit);
            if (c->pre) runnable_add(c, c->t_pre, t);
            c->pre = false;
            us->blocks++;
            break;
        }
    }
    sc->source = kernel ? TRC_SCHED_KERNEL : fallback ? TRC_SCHED_FALLBACK : TRC_SCHED_NONE;
    for (uint32_t u = 0; u < nu; u++) {
        trc_unit_track *ut = &m->units[u];
        sch_cur *c = &cur[u];
        uint64_t end = ut->exited ? ut->t_exit : m->makespan;
        if (c->on) oncpu_close(&ut->sched, c, end, u);   /* nothing when it began at the end */
        if (c->pre) runnable_add(c, c->t_pre, end);
        for (size_t k = 0; k < c->nrun; k++) ut->sched.t_runnable += c->run[k].t1 - c->run[k].t0;
        overlay(ut, c->run, c->nrun);
        sc->migrations += ut->sched.migrations;
        sc->preemptions += ut->sched.preemptions;
        free(c->run);
    }
    free(cur);

    /* per CPU */
    if (kernel && maxcpu) {
        sc->ncpus = maxcpu;
        sc->cpus = xcalloc(maxcpu, sizeof *sc->cpus);
        size_t *cap = xcalloc(maxcpu, sizeof *cap);
        for (uint32_t u = 0; u < nu; u++) {
            const trc_unit_sched *us = &m->units[u].sched;
            for (size_t k = 0; k < us->noncpu; k++) {
                trc_cpu_track *ct = &sc->cpus[us->oncpu[k].cpu];
                ARR_PUSH(ct->spans, ct->nspans, cap[us->oncpu[k].cpu], us->oncpu[k]);
                ct->t_busy += us->oncpu[k].t1 - us->oncpu[k].t0;
            }
        }
        for (uint32_t k = 0; k < maxcpu; k++)
            if (sc->cpus[k].nspans > 1) qsort(sc->cpus[k].spans, sc->cpus[k].nspans, sizeof *sc->cpus[k].spans, cmp_cpu_span);
        free(cap);
    }

    /* units wanting a CPU: every interval's start (+1) and end (-1) in (time, -1 before +1) order,
     * merged from the units' own sorted intervals (a heap of streams) instead of gathered and
     * sorted: no array of a million deltas and no sort's copy of it at the model's peak */
    if (sc->source == TRC_SCHED_NONE) return;
    wsrc *src = xcalloc(2 * (size_t)(nu ? nu : 1), sizeof *src);
    size_t *heap = xcalloc(2 * (size_t)(nu ? nu : 1), sizeof *heap);
    size_t nh = 0;
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        wsrc *a = &src[2 * (size_t)u], *b = a + 1;
        if (kernel) {
            *a = (wsrc){ .on = ut->sched.oncpu, .n = ut->sched.noncpu };
            *b = (wsrc){ .sp = ut->spans, .n = ut->nspans, .runnable = true };
        } else {
            *a = (wsrc){ .sp = ut->spans, .n = ut->nspans };
            *b = (wsrc){ .n = 0 };
        }
        if (wsrc_first(a)) heap_push(src, heap, &nh, 2 * (size_t)u);
        if (wsrc_first(b)) heap_push(src, heap, &nh, 2 * (size_t)u + 1);
    }
    size_t capw = 0;
    ARR_PUSH(sc->want, sc->nwant, capw, ((trc_sample){ 0, 0 }));
    int64_t v = 0;
    uint64_t prev = 0;
    double area = 0;
    while (nh) {
        wsrc *x = &src[heap[0]];
        uint64_t t = x->t;
        int d = x->d;
        if (wsrc_next(x)) heap_down(src, heap, nh, 0);
        else if (--nh) { heap[0] = heap[nh]; heap_down(src, heap, nh, 0); }
        if (t > prev) {
            area += (double)v * (double)(t - prev);
            if (v > (int64_t)sc->cores) sc->t_oversub += t - prev;
            prev = t;
        }
        v += d;
        if (v > sc->max_want) sc->max_want = v;
        if (sc->want[sc->nwant - 1].t == t) sc->want[sc->nwant - 1].v = v;
        else ARR_PUSH(sc->want, sc->nwant, capw, ((trc_sample){ t, v }));
    }
    free(heap);
    free(src);
    sc->avg_want = m->makespan ? area / (double)m->makespan : 0;
}
