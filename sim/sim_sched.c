/* What the kernel did with the run's units, into the recording: the context
 * switches that sim_plat_sched.c reads from the kernel become SCHED_SWITCH
 * events of the units they name (by thread id), written after the recorder
 * has stopped; each unit's switch counts become a SCHED_COUNTS event at its
 * end. Where the kernel refuses perf events, the run says so once (the
 * result's note, and aux 1 of every SCHED_COUNTS) and the model works from
 * the computes' CPU time against their wall time and the counts.
 */
#include "sim/sim_internal.h"
#include "sim/sim_plat_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sched_begin(rt *r, sim_result *res) {
    r->sched_mode = RT_SCHED_NONE;
    if (r->ops->clock_source(r->plat)) return;   /* a virtual clock: the kernel's times mean nothing here */
    diag d;
    diag_clear(&d);
    sim_sched *s;
    if (sim_sched_open(&s, &(sim_sched_desc){ .refuse = r->desc->no_perf }, &d)) {
        r->sched_mode = RT_SCHED_FALLBACK;
        snprintf(res->note, sizeof res->note,
                 "scheduling: the kernel's context switches are not available (%.300s); CPU time against wall time "
                 "and switch counts instead", d.msg);
        return;
    }
    r->sched = s;
    r->sched_mode = RT_SCHED_KERNEL;
}

void sched_unit_end(rt_unit *u) {
    if (u->r->sched_mode == RT_SCHED_NONE) return;
    uint64_t vol, invol;
    sim_sched_counts(&vol, &invol);
    trc_emit(u->ring, TRC_EV_SCHED_COUNTS, 0, u->r->sched_mode == RT_SCHED_FALLBACK, vol,
             invol > UINT32_MAX ? UINT32_MAX : (uint32_t)invol);
}

typedef struct tid_unit { int32_t tid; uint32_t unit; } tid_unit;

static int cmp_tid(const void *a, const void *b) {
    const tid_unit *x = a, *y = b;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int cmp_rec(const void *a, const void *b) {
    const sim_sched_rec *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

int sched_end(rt *r, trc_writer *w, const trc_run *run, uint64_t t_end, sim_result *res, diag *d) {
    if (!r->sched) return 0;
    sim_sched_rec *recs;
    size_t n;
    uint64_t lost;
    sim_sched_take(r->sched, &recs, &n, &lost);
    sim_sched_close(r->sched);
    r->sched = NULL;
    tid_unit *map = xmalloc((run->nunits + 1) * sizeof *map);
    uint32_t nm = 0;
    /* each unit's thread id as the platform knows it now: a process (or a thread in one) exists only
     * once it began, after the run's tables were written (their tid 0) */
    for (uint32_t i = 0; i < run->nunits; i++) {
        int32_t pid = 0, tid = run->units[i].tid;
        if (tid <= 0 && i < r->nunits && r->units[i].pu) r->ops->unit_ids(r->plat, r->units[i].pu, &pid, &tid);
        if (tid > 0) map[nm++] = (tid_unit){ tid, i };
    }
    qsort(map, nm, sizeof *map, cmp_tid);
    /* a thread that runs several units (an event loop's tasks, which borrow its thread id) is switched as
     * the loop, not as whichever task a search would find: those switches go to its loop unit, or to none */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < nm;) {
        uint32_t j = i, pick = UINT32_MAX;
        while (j < nm && map[j].tid == map[i].tid) {
            if (run->units[map[j].unit].kind == TRC_UNIT_LOOP) pick = j;
            j++;
        }
        if (j - i == 1) pick = i;
        if (pick != UINT32_MAX) map[kept++] = map[pick];
        i = j;
    }
    nm = kept;
    if (n > 1) qsort(recs, n, sizeof *recs, cmp_rec);   /* per CPU in order; merged by time */
    /* per unit, what it was doing at the run's start (the records before it are dropped) */
    int8_t *before = xmalloc(run->nunits + 1);
    uint32_t *cpu0 = xmalloc((run->nunits + 1) * sizeof *cpu0);
    memset(before, -1, run->nunits + 1);
    trc_event *ev = NULL;
    size_t nev = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        tid_unit key = { recs[i].tid, 0 };
        const tid_unit *m = nm ? bsearch(&key, map, nm, sizeof *map, cmp_tid) : NULL;
        if (!m || recs[i].t > t_end) continue;   /* main, the recorder's or this reader's thread; or after the end */
        if (recs[i].t < run->t_start) {
            before[m->unit] = (int8_t)recs[i].what;
            cpu0[m->unit] = recs[i].cpu;
            continue;
        }
        ARR_PUSH(ev, nev, cap, ((trc_event){ .t = recs[i].t, .unit = m->unit, .kind = TRC_EV_SCHED_SWITCH,
                                             .aux = (uint16_t)recs[i].what, .arg = recs[i].cpu }));
    }
    for (uint32_t u = 0; u < run->nunits; u++)   /* on a CPU or preempted when the run began: said at its start */
        if (before[u] == SIM_SCHED_IN || before[u] == SIM_SCHED_OUT_PREEMPTED)
            ARR_PUSH(ev, nev, cap, ((trc_event){ .t = run->t_start, .unit = u, .kind = TRC_EV_SCHED_SWITCH,
                                                 .aux = (uint16_t)before[u], .arg = cpu0[u] }));
    if (nev) rc = trc_writer_events(w, ev, nev, d);
    if (lost) {
        size_t l = strlen(res->note);
        snprintf(res->note + l, sizeof res->note - l, "%sthe kernel dropped %llu context-switch records (its buffers "
                 "were full): some on- and off-CPU intervals are missing", l ? "; " : "scheduling: ",
                 (unsigned long long)lost);
    }
    free(ev);
    free(before);
    free(cpu0);
    free(map);
    free(recs);
    return rc;
}
