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
#include "traces/trc.h"

#include <stdlib.h>
#include <string.h>

void trc__sched_build(trc_model *m, const trc_event *ev, size_t nev);

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

typedef struct delta { uint64_t t; int d; } delta;
static int cmp_delta(const void *a, const void *b) {
    const delta *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->d - y->d;   /* ends before starts at one instant */
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

void trc__sched_build(trc_model *m, const trc_event *ev, size_t nev) {
    const trc_run *run = m->run;
    trc_sched *sc = &m->sched;
    sc->cores = run->cores;
    uint32_t nu = run->nunits;
    sch_cur *cur = xcalloc(nu ? nu : 1, sizeof *cur);
    bool kernel = false, fallback = false;
    uint32_t maxcpu = 0;
    for (uint32_t u = 0; u < nu; u++) m->units[u].sched.cpu_first = m->units[u].sched.cpu_last = UINT32_MAX;
    for (size_t i = 0; i < nev; i++) {
        const trc_event *e = &ev[i];
        uint64_t t = e->t - run->t_start;
        trc_unit_sched *us = &m->units[e->unit].sched;
        sch_cur *c = &cur[e->unit];
        if (e->kind == TRC_EV_SCHED_COUNTS) {
            us->vol = e->arg;
            us->invol = e->extra;
            us->has_counts = true;
            if (e->aux) fallback = true;
            continue;
        }
        uint32_t cpu = e->arg > 4095 ? 4095 : (uint32_t)e->arg;
        if (cpu + 1 > maxcpu) maxcpu = cpu + 1;
        if (e->kind == TRC_EV_CPU) {
            sc->cpu_events++;
            if (!kernel && e->extra && e->extra - 1 != cpu) us->migrations++;
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
        switch (e->aux) {
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

    /* units wanting a CPU */
    if (sc->source == TRC_SCHED_NONE) return;
    delta *dl = NULL;
    size_t nd = 0, capd = 0;
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        if (kernel) {
            for (size_t k = 0; k < ut->sched.noncpu; k++) {
                ARR_PUSH(dl, nd, capd, ((delta){ ut->sched.oncpu[k].t0, 1 }));
                ARR_PUSH(dl, nd, capd, ((delta){ ut->sched.oncpu[k].t1, -1 }));
            }
            for (size_t k = 0; k < ut->nspans; k++)
                if (ut->spans[k].state == TRC_ST_RUNNABLE) {
                    ARR_PUSH(dl, nd, capd, ((delta){ ut->spans[k].t0, 1 }));
                    ARR_PUSH(dl, nd, capd, ((delta){ ut->spans[k].t1, -1 }));
                }
        } else {
            for (size_t k = 0; k < ut->nspans; k++)
                if (wants_cpu(ut->spans[k].state)) {
                    ARR_PUSH(dl, nd, capd, ((delta){ ut->spans[k].t0, 1 }));
                    ARR_PUSH(dl, nd, capd, ((delta){ ut->spans[k].t1, -1 }));
                }
        }
    }
    if (nd > 1) qsort(dl, nd, sizeof *dl, cmp_delta);
    size_t capw = 0;
    ARR_PUSH(sc->want, sc->nwant, capw, ((trc_sample){ 0, 0 }));
    int64_t v = 0;
    uint64_t prev = 0;
    double area = 0;
    for (size_t k = 0; k < nd; k++) {
        uint64_t t = dl[k].t;
        if (t > prev) {
            area += (double)v * (double)(t - prev);
            if (v > (int64_t)sc->cores) sc->t_oversub += t - prev;
            prev = t;
        }
        v += dl[k].d;
        if (v > sc->max_want) sc->max_want = v;
        if (sc->want[sc->nwant - 1].t == t) sc->want[sc->nwant - 1].v = v;
        else ARR_PUSH(sc->want, sc->nwant, capw, ((trc_sample){ t, v }));
    }
    free(dl);
    sc->avg_want = m->makespan ? area / (double)m->makespan : 0;
}
