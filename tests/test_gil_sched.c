/* What the kernel did: the CPU of every event (the recorder's CPU events), the
 * context switches of a real run (perf) or, where perf events are refused (here
 * simulated with sim_desc.no_perf), the fallback; and, exactly, what the model
 * derives from them on hand-built runs (on-CPU intervals, the RUNNABLE state,
 * migrations, per-CPU tracks, the demand for CPUs against the cores).
 */
#include "testutil.h"
#include "sim/sim.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define US 1000ull
#define MS 1000000ull

/* ---- the recorder: the CPU of every event --------------------------------------- */

typedef struct pin_job { trc_ring *ring; int cpu0, cpu1; bool moved; } pin_job;

static bool pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 && sched_getcpu() == cpu;
}

static void *pinned(void *arg) {
    pin_job *j = arg;
    if (!pin(j->cpu0)) return NULL;
    trc_emit(j->ring, TRC_EV_MARK, 0, 0, 1, 0);
    trc_emit(j->ring, TRC_EV_MARK, 0, 0, 2, 0);
    j->moved = pin(j->cpu1);
    if (j->moved) trc_emit_sync(j->ring, TRC_EV_MARK, 0, 0, 3, 0);
    return NULL;
}

/* The first event of a unit says its CPU; a move to another CPU is a CPU event, with the
 * CPU before, ahead of the first event there; no CPU event while it stays. `clock`: the
 * recorder's time base (NULL: its own calibration, read inline by trc_emit). */
static void check_recorder_says_the_cpu(const clk_calib *clock) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    ck_assert_int_eq(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    int cpus[2] = { -1, -1 }, n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &allowed)) cpus[n++] = c;
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 64, .clock = clock }, &d), 0);
    if (trc_recorder_clock(r)->cpu_mode == CLK_CPU_NONE) {   /* no way to know it here: nothing to check */
        trc_recorder_free(r);
        return;
    }
    pin_job j = { .ring = trc_recorder_ring(r, 0), .cpu0 = cpus[0], .cpu1 = n > 1 ? cpus[1] : cpus[0] };
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    pthread_t th;
    pthread_create(&th, NULL, pinned, &j);
    pthread_join(th, NULL);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    size_t ne;
    const trc_event *ev = trc_recorder_events(r, &ne);
    ck_assert_uint_ge(ne, 3);
    ck_assert_uint_eq(ev[0].kind, TRC_EV_CPU);
    ck_assert_uint_eq(ev[0].arg, (uint64_t)cpus[0]);
    ck_assert_uint_eq(ev[0].extra, 0);   /* first sight */
    ck_assert_uint_eq(ev[1].kind, TRC_EV_MARK);
    ck_assert_uint_eq(ev[2].kind, TRC_EV_MARK);   /* still there: no CPU event */
    if (n > 1 && j.moved) {
        ck_assert_uint_eq(ne, 5);
        ck_assert_uint_eq(ev[3].kind, TRC_EV_CPU);
        ck_assert_uint_eq(ev[3].arg, (uint64_t)cpus[1]);
        ck_assert_uint_eq(ev[3].extra, (uint32_t)cpus[0] + 1);   /* a migration from cpus[0] */
        ck_assert_uint_eq(ev[4].kind, TRC_EV_MARK);
        ck_assert_uint_eq(ev[4].arg, 3);
        ck_assert_uint_le(ev[3].t, ev[4].t);
    } else {
        ck_assert_uint_eq(ne, 3 + (j.moved ? 1 : 0));   /* the third mark, on the same CPU: no CPU event */
    }
    trc_recorder_free(r);
}

START_TEST(recorder_says_the_cpu) {
    check_recorder_says_the_cpu(NULL);
}
END_TEST

/* The same through the out-of-line reads (clk_ticks_cpu_any): a time base whose read mode
 * was left 0 (as one built by hand), and sched_getcpu() as the way to learn the CPU. */
START_TEST(recorder_says_the_cpu_read_out_of_line) {
    clk_calib c;
    clk_calibrate_cached(&c, true);
    clk_calib any = c;
    any.read = CLK_READ_ANY;
    check_recorder_says_the_cpu(&any);
    clk_calib getcpu = c;
    clk_cpu_set(&getcpu, CLK_CPU_GETCPU);
    ck_assert_uint_eq(getcpu.read, CLK_READ_ANY);
    check_recorder_says_the_cpu(&getcpu);
}
END_TEST

/* Each way of reading the CPU with the tick gives the CPU the thread is pinned to, inline
 * (clk_ticks_cpu) and out of line (clk_ticks_cpu_any) alike, and ticks that map to
 * CLOCK_MONOTONIC; `read` folds the clock and the mode into the byte the hot path tests. */
START_TEST(cpu_read_modes_agree) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    ck_assert_int_eq(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    int cpu = -1;
    for (int c = CPU_SETSIZE - 1; c >= 0 && cpu < 0; c--)   /* the last one: not always CPU 0 */
        if (CPU_ISSET(c, &allowed)) cpu = c;
    ck_assert(pin(cpu));
    clk_calib det;
    clk_calibrate_cached(&det, true);
    if (det.tsc) {
        ck_assert_uint_eq(det.read, det.cpu_mode == CLK_CPU_RSEQ     ? CLK_READ_TSC_RSEQ
                                    : det.cpu_mode == CLK_CPU_RDTSCP ? CLK_READ_RDTSCP
                                                                     : CLK_READ_ANY);
    } else {
        ck_assert_uint_eq(det.read, CLK_READ_ANY);   /* clock_gettime: a call anyway */
        ck_assert_uint_ne(det.cpu_mode, CLK_CPU_RDTSCP);
    }
    clk_calib modes[4] = { det, det, det, det };
    modes[1].read = CLK_READ_ANY;                    /* the same mode, out of line */
    clk_cpu_set(&modes[2], CLK_CPU_GETCPU);
    clk_cpu_set(&modes[3], CLK_CPU_NONE);
    ck_assert_uint_eq(modes[3].read, det.tsc ? CLK_READ_TSC : CLK_READ_ANY);
    ck_assert_uint_eq(modes[3].cpu_mode, CLK_CPU_NONE);
    for (int m = 0; m < 4; m++) {
        for (int ordered = 0; ordered < 2; ordered++) {
            uint64_t a = clk_mono_ns();
            clk_tick_cpu in = clk_ticks_cpu(&modes[m], ordered, 12345);
            clk_tick_cpu out = clk_ticks_cpu_any(&modes[m], ordered, 12345);
            uint64_t b = clk_mono_ns();
            uint32_t want = m == 3 ? 12345u : (uint32_t)cpu;   /* no mode: the CPU given back as it was */
            ck_assert_msg(in.cpu == want && out.cpu == want, "mode %d ordered %d: cpu %u / %u, pinned to %d", m,
                          ordered, in.cpu, out.cpu, cpu);
            ck_assert_uint_le(in.t, out.t);
            uint64_t t = clk_ticks_to_ns(&modes[m], in.t);
            ck_assert_msg(t + 50000 >= a && t <= b + 50000, "mode %d: tick time %llu outside [%llu, %llu]", m,
                          (unsigned long long)t, (unsigned long long)a, (unsigned long long)b);
        }
    }
    /* a virtual clock: no CPU, read out of line, its ticks are the clock's */
    _Atomic uint64_t vclock = 777;
    clk_calib v = { .ns_per_tick = 1.0, .virt = &vclock };
    clk_cpu_detect(&v);
    ck_assert_uint_eq(v.cpu_mode, CLK_CPU_NONE);
    ck_assert_uint_eq(v.read, CLK_READ_ANY);
    clk_tick_cpu vt = clk_ticks_cpu(&v, false, 5);
    ck_assert_uint_eq(vt.t, 777);
    ck_assert_uint_eq(vt.cpu, 5);
    pthread_setaffinity_np(pthread_self(), sizeof allowed, &allowed);
}
END_TEST

/* ---- the model, exactly, on hand-built runs ------------------------------------------- */

/* A unit computing 0-10 ms, preempted at 2 ms (back on another CPU at 5 ms), blocked from
 * 7 ms to 8 ms: on a CPU 0-2, 5-7, 8-10; RUNNABLE 2-5 cut out of its compute; one
 * migration; CPU tracks; a second unit wanting a CPU 1-6 on a one-core machine. */
START_TEST(model_cuts_runnable_out_of_compute) {
    run_builder b;
    rb_init(&b, "sched");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    b.run->cores = 1;
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 0, a, TRC_EV_COMPUTE_BEGIN, 0, 0, 10 * MS, 0);
    rb_ev(&b, 1 * MS, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_PREEMPTED, 1, 0);   /* it wants one from 1 ms */
    rb_ev(&b, 2 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_PREEMPTED, 0, 0);
    rb_ev(&b, 2 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 5 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 1, 0);
    rb_ev(&b, 6 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_BLOCKED, 0, 0);
    rb_ev(&b, 6 * MS, c, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 7 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_BLOCKED, 1, 0);
    rb_ev(&b, 8 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 1, 0);
    rb_ev(&b, 10 * MS, a, TRC_EV_COMPUTE_END, 0, 0, 7 * MS, 0);
    rb_ev(&b, 10 * MS, a, TRC_EV_SCHED_COUNTS, 0, 0, 1, 1);
    rb_ev(&b, 10 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_sched *sc = &m.sched;
    ck_assert_uint_eq(sc->source, TRC_SCHED_KERNEL);
    const trc_unit_sched *us = &m.units[a].sched;
    ck_assert_uint_eq(us->noncpu, 3);
    ck_assert_uint_eq(us->oncpu[0].t0, 0);
    ck_assert_uint_eq(us->oncpu[0].t1, 2 * MS);
    ck_assert_uint_eq(us->oncpu[1].cpu, 1);
    ck_assert_uint_eq(us->t_oncpu, 6 * MS);
    ck_assert_uint_eq(us->t_runnable, 3 * MS);
    ck_assert_uint_eq(us->preemptions, 1);
    ck_assert_uint_eq(us->blocks, 1);
    ck_assert_uint_eq(us->migrations, 1);
    ck_assert_uint_eq(us->cpu_first, 0);
    ck_assert_uint_eq(us->cpu_last, 1);
    ck_assert_uint_eq(us->compute_cpu, 7 * MS);
    ck_assert_uint_eq(us->compute_wall, 10 * MS);
    ck_assert(us->has_counts);
    /* the states: computing 0-2, runnable 2-5 (cut from the compute), computing 5-10 */
    ck_assert_uint_eq(trc_model_span_at(&m, a, 1 * MS)->state, TRC_ST_COMPUTE);
    const trc_span *rs = trc_model_span_at(&m, a, 3 * MS);
    ck_assert_uint_eq(rs->state, TRC_ST_RUNNABLE);
    ck_assert_uint_eq(rs->op, TRC_ST_COMPUTE);
    ck_assert_uint_eq(rs->t0, 2 * MS);
    ck_assert_uint_eq(rs->t1, 5 * MS);
    ck_assert_uint_eq(trc_model_span_at(&m, a, 6 * MS)->state, TRC_ST_COMPUTE);
    ck_assert_uint_eq(m.units[a].t_state[TRC_ST_RUNNABLE], 3 * MS);
    ck_assert_uint_eq(m.units[a].t_state[TRC_ST_COMPUTE], 7 * MS);
    /* c: runnable from 1 ms (preempted before it ever ran here) to 2 ms */
    ck_assert_uint_eq(m.units[c].sched.t_runnable, 1 * MS);
    ck_assert_uint_eq(trc_model_span_at(&m, c, 1500 * US)->state, TRC_ST_RUNNABLE);
    /* CPU 0: a 0-2, c 2-6; CPU 1: a 5-7, 8-10 */
    ck_assert_uint_eq(sc->ncpus, 2);
    ck_assert_uint_eq(sc->cpus[0].nspans, 2);
    ck_assert_uint_eq(sc->cpus[0].spans[1].unit, c);
    ck_assert_uint_eq(sc->cpus[0].t_busy, 6 * MS);
    ck_assert_uint_eq(sc->cpus[1].t_busy, 4 * MS);
    /* wanting a CPU: a 0-7 (on, runnable, on), 8-10; c 1-6: two at once 1-6 on one core */
    ck_assert_int_eq(sc->max_want, 2);
    ck_assert_uint_eq(sc->t_oversub, 5 * MS);
    ck_assert_int_eq(trc_sample_at(sc->want, sc->nwant, 7500 * US), 0);
    ck_assert_int_eq(trc_sample_at(sc->want, sc->nwant, 3 * MS), 2);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* A thread is switched in again after its unit's exit event (pthread's own exit path),
 * and its last switch-out is never seen: its on-CPU time ends at the unit's exit, not at
 * the end of the run (an earlier version counted it up to the makespan). */
START_TEST(model_cuts_switches_after_exit) {
    run_builder b;
    rb_init(&b, "after_exit");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    b.run->cores = 2;
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 1, 0);
    rb_ev(&b, 2 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_PREEMPTED, 0, 0);
    rb_ev(&b, 3 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 4 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 4 * MS + 10 * US, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_PREEMPTED, 0, 0);
    rb_ev(&b, 4 * MS + 20 * US, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);   /* no switch-out after it */
    rb_ev(&b, 10 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_BLOCKED, 1, 0);
    rb_ev(&b, 10 * MS, c, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_unit_sched *us = &m.units[a].sched;
    ck_assert_uint_eq(us->t_oncpu, 3 * MS);   /* 0-2, 3-4 */
    ck_assert_uint_eq(us->noncpu, 2);
    ck_assert_uint_eq(us->oncpu[1].t1, 4 * MS);
    ck_assert_uint_eq(us->t_runnable, 1 * MS);
    ck_assert_uint_eq(us->preemptions, 1);
    ck_assert_uint_eq(m.sched.cpus[0].t_busy, 3 * MS);
    ck_assert_uint_eq(m.units[c].sched.t_oncpu, 10 * MS);
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 6 * MS), 1);   /* only c */
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* Without switch records but with counts marked "refused": the fallback, from the
 * states (wanting a CPU: running or computing) and the computes' CPU against wall time. */
START_TEST(model_fallback_from_states) {
    run_builder b;
    rb_init(&b, "fallback");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    b.run->cores = 1;
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, a, TRC_EV_COMPUTE_BEGIN, 0, 0, 4 * MS, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_COMPUTE_BEGIN, 0, 0, 4 * MS, 0);
    rb_ev(&b, 8 * MS, a, TRC_EV_COMPUTE_END, 0, 0, 4 * MS, 0);
    rb_ev(&b, 8 * MS, a, TRC_EV_SCHED_COUNTS, 0, 1, 3, 40);
    rb_ev(&b, 8 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 8 * MS, c, TRC_EV_COMPUTE_END, 0, 0, 4 * MS, 0);
    rb_ev(&b, 8 * MS, c, TRC_EV_SCHED_COUNTS, 0, 1, 2, 39);
    rb_ev(&b, 8 * MS, c, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 8 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.sched.source, TRC_SCHED_FALLBACK);
    ck_assert_uint_eq(m.units[a].sched.compute_cpu, 4 * MS);
    ck_assert_uint_eq(m.units[a].sched.compute_wall, 8 * MS);   /* half of it without a CPU */
    ck_assert_uint_eq(m.units[a].sched.invol, 40);
    ck_assert_uint_eq(m.units[c].sched.vol, 2);
    ck_assert_int_eq(m.sched.max_want, 2);
    ck_assert_uint_eq(m.sched.t_oversub, 8 * MS);
    ck_assert_uint_eq(m.sched.ncpus, 0);
    buf out = { 0 };
    trc_stats_text(&out, &m);
    buf_u8(&out, 0);
    ck_assert_ptr_nonnull(strstr((char *)out.p, "perf events were refused"));
    ck_assert_ptr_nonnull(strstr((char *)out.p, "without a CPU"));
    buf_release(&out);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* ---- real runs --------------------------------------------------------------------------- */

static void check_plausible(const tu_ran *r, uint32_t cores) {
    const trc_model *m = &r->m;
    for (uint32_t u = 0; u < r->run->nunits; u++) {
        const trc_unit_sched *us = &m->units[u].sched;
        ck_assert(us->has_counts);
        /* each burnt its 30 ms of CPU (how far past it a loaded VM lets the burn loop go is for
         * bench_compute: 32.6 ms was seen at load 8, so no upper bound here) */
        ck_assert_uint_ge(us->compute_cpu, 30 * MS);
        ck_assert_uint_ge(us->compute_wall + 100 * US, us->compute_cpu);
        if (m->sched.source == TRC_SCHED_KERNEL) {
            ck_assert_uint_gt(us->noncpu, 0);
            ck_assert_uint_ge(us->t_oncpu + 1 * MS, us->compute_cpu);   /* on a CPU at least while it computed */
            ck_assert_uint_le(us->t_oncpu, m->makespan);
            /* ... and not much more: besides its compute a unit runs for microseconds */
            ck_assert_uint_le(us->t_oncpu, us->compute_cpu + 5 * MS);
            ck_assert_uint_lt(us->cpu_last, 4096);
            for (size_t k = 1; k < us->noncpu; k++) ck_assert_uint_ge(us->oncpu[k].t0, us->oncpu[k - 1].t1);
        }
    }
    for (uint32_t k = 0; k < m->sched.ncpus; k++) ck_assert_uint_le(m->sched.cpus[k].t_busy, m->makespan);
    ck_assert_uint_eq(m->sched.cores, cores);
    ck_assert_int_ge(m->sched.max_want, 1);
    ck_assert_int_le(m->sched.max_want, (int64_t)r->run->nunits);
}

/* A real run: the kernel's switches where perf works (else the fallback, said once);
 * the fields present and plausible; every event's CPU known. */
START_TEST(real_run_has_the_kernels_facts) {
    tu_ran r;
    tu_run_text(&r, "sched_real", "actor w * 3 { compute 30ms; sleep 2ms }\nexpect all_done\n", NULL, 0);
    uint32_t cores = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    if (r.m.sched.source == TRC_SCHED_KERNEL) {
        ck_assert_str_eq(r.res.note, "");
        ck_assert_ptr_nonnull(strstr(r.run->machine, "the kernel's context switches"));
        size_t sw = 0;
        for (size_t i = 0; i < r.run->nevents; i++) sw += r.run->events[i].kind == TRC_EV_SCHED_SWITCH;
        ck_assert_uint_gt(sw, 6);   /* at least in and out per unit */
        for (uint32_t u = 0; u < 3; u++) ck_assert_uint_gt(r.m.units[u].sched.blocks, 0);   /* the sleep */
    } else {
        ck_assert_uint_eq(r.m.sched.source, TRC_SCHED_FALLBACK);
        ck_assert_ptr_nonnull(strstr(r.res.note, "not available"));
    }
    check_plausible(&r, cores);
    ck_assert_uint_gt(r.m.sched.cpu_events, 0);   /* the recorder said where each unit ran */
    tu_ran_free(&r);
}
END_TEST

/* The kernel refuses perf events (simulated): said once, in the note and in every unit's
 * counts; no switch records; the figures from CPU times and counts. */
START_TEST(refused_perf_falls_back) {
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "refused", "actor w * 3 { compute 30ms }\n", NULL, 0, &d), 0);
    tu_ran r = { 0 };
    const char *path = tmp_path("refused.weft");
    ck_assert_int_eq(sim_run(&r.res, p, &(sim_desc){ .out_path = path, .no_perf = true }, &d), 0);
    sim_program_free(p);
    ck_assert_ptr_nonnull(strstr(r.res.note, "not available"));
    ck_assert_ptr_nonnull(strstr(r.res.note, "--no-perf"));
    ck_assert_int_eq(trc_recording_load(&r.rec, path, &d), 0);
    r.run = &r.rec->runs[0];
    ck_assert_int_eq(trc_model_build(&r.m, r.run, &d), 0);
    ck_assert_ptr_nonnull(strstr(r.run->machine, "no perf events"));
    size_t counts = 0;
    for (size_t i = 0; i < r.run->nevents; i++) {
        ck_assert_uint_ne(r.run->events[i].kind, TRC_EV_SCHED_SWITCH);
        if (r.run->events[i].kind == TRC_EV_SCHED_COUNTS) {
            counts++;
            ck_assert_uint_eq(r.run->events[i].aux, 1);
        }
    }
    ck_assert_uint_eq(counts, 3);
    ck_assert_uint_eq(r.m.sched.source, TRC_SCHED_FALLBACK);
    check_plausible(&r, (uint32_t)sysconf(_SC_NPROCESSORS_ONLN));
    tu_ran_free(&r);
}
END_TEST

/* ---- the processes backend ------------------------------------------------------------- */

static void run_procs(tu_ran *r, const char *name, const char *text) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    ck_assert_msg(sim_parse(&p, name, text, NULL, 0, &d) == 0, "%s", d.msg);
    memset(r, 0, sizeof *r);
    const char *path = tmp_path(name);
    ck_assert_msg(sim_run(&r->res, p, &(sim_desc){ .out_path = path, .backend = "processes",
                                                   .timeout_ns = 60000000000ull }, &d) == 0, "%s", d.msg);
    sim_program_free(p);
    ck_assert_int_eq(trc_recording_load(&r->rec, path, &d), 0);
    r->run = &r->rec->runs[0];
    ck_assert_int_eq(trc_model_build(&r->m, r->run, &d), 0);
}

static uint32_t unit_named(const trc_run *run, const char *name) {
    for (uint32_t u = 0; u < run->nunits; u++)
        if (!strcmp(run->units[u].name, name)) return u;
    ck_abort_msg("no unit %s", name);
    return 0;
}

/* The GIL objects of a run, by name: their index in run->objects, or -1. */
static int gil_named(const trc_run *run, const char *name) {
    for (uint32_t i = 0; i < run->nobjects; i++)
        if (run->objects[i].kind == TRC_OBJ_GIL && !strcmp(run->objects[i].name, name)) return (int)i;
    return -1;
}

static size_t gil_count(const trc_run *run) {
    size_t n = 0;
    for (uint32_t i = 0; i < run->nobjects; i++) n += run->objects[i].kind == TRC_OBJ_GIL;
    return n;
}

/* Processes, each with its own GIL named after it (and one for main's process, which
 * starts no thread here: the stats leave it out); the kernel's context switches of the
 * forked children reach the recording (where perf works: else the fallback, said once). */
START_TEST(processes_have_their_gils_and_the_kernels_facts) {
    tu_ran r;
    run_procs(&r, "procs_sched.weft", "gil on\nactor w * 2 { compute 20ms; sleep 2ms; compute 5ms }\nexpect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_str_eq(run->backend, "processes");
    ck_assert_uint_eq(gil_count(run), 3);
    int main_gil = gil_named(run, "GIL of the main process");
    ck_assert_int_ge(main_gil, 0);
    ck_assert_uint_eq(r.m.objects[main_gil].nowners, 0);
    for (uint32_t k = 0; k < 2; k++) {
        char un[16], gn[32];
        snprintf(un, sizeof un, "w.%u", k);
        snprintf(gn, sizeof gn, "GIL of w.%u", k);
        uint32_t u = unit_named(run, un);
        int g = gil_named(run, gn);
        ck_assert_msg(g >= 0, "no %s", gn);
        const trc_object_track *ot = &r.m.objects[g];
        ck_assert_uint_ge(ot->nowners, 1);   /* taken at its first step, again after the sleep */
        for (size_t j = 0; j < ot->nowners; j++) ck_assert_uint_eq(ot->owners[j].owner, u);   /* its own only */
        ck_assert_uint_eq(ot->waits, 0);
        ck_assert_uint_eq(run->objects[g].subkind, u);   /* the process it belongs to */
    }
    buf out = { 0 };
    trc_stats_text(&out, &r.m);
    buf_u8(&out, 0);
    ck_assert_ptr_nonnull(strstr((char *)out.p, "GIL of w.0"));
    ck_assert_ptr_nonnull(strstr((char *)out.p, "GIL of w.1"));
    ck_assert_ptr_null(strstr((char *)out.p, "GIL of the main process"));   /* nothing used it */
    buf_release(&out);
    if (r.m.sched.source == TRC_SCHED_KERNEL) {
        for (uint32_t k = 0; k < 2; k++) {
            char un[16];
            snprintf(un, sizeof un, "w.%u", k);
            uint32_t u = unit_named(run, un);
            size_t sw = 0;
            for (size_t i = 0; i < run->nevents; i++)
                sw += run->events[i].kind == TRC_EV_SCHED_SWITCH && run->events[i].unit == u;
            ck_assert_msg(sw >= 2, "%s: %zu context switches from the kernel", un, sw);
            const trc_unit_sched *us = &r.m.units[u].sched;
            ck_assert_uint_gt(us->blocks, 0);                              /* the sleep */
            ck_assert_uint_ge(us->t_oncpu + 1 * MS, us->compute_cpu);     /* on a CPU while it computed */
            ck_assert_uint_le(us->t_oncpu, r.m.makespan);
        }
    } else {
        ck_assert_uint_eq(r.m.sched.source, TRC_SCHED_FALLBACK);
        ck_assert_ptr_nonnull(strstr(r.res.note, "not available"));
    }
    tu_ran_free(&r);
}
END_TEST

/* A thread pool's workers inside a process take their process's GIL, beside the process's
 * own unit: one GIL, three holders. */
START_TEST(threads_in_a_process_share_its_gil) {
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer cannot start a thread in a process forked from a multi-threaded one
     * (weft's main has its recorder's and reaper's threads when it forks): plain and ASan only */
    return;
#endif
    tu_ran r;
    run_procs(&r, "procs_pool.weft", "gil on\npool p workers=2\ntask t { compute 3ms }\n"
                                     "actor boss { map p t 4; compute 1ms }\nexpect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(gil_count(run), 2);   /* boss's process and main's: the threads have none of their own */
    int g = gil_named(run, "GIL of boss.0");
    ck_assert_int_ge(g, 0);
    uint32_t boss = unit_named(run, "boss.0"), p0 = unit_named(run, "p.0"), p1 = unit_named(run, "p.1");
    bool by[3] = { false, false, false };
    const trc_object_track *ot = &r.m.objects[g];
    for (size_t j = 0; j < ot->nowners; j++) {
        uint32_t o = ot->owners[j].owner;
        ck_assert(o == boss || o == p0 || o == p1);
        by[o == boss ? 0 : o == p0 ? 1 : 2] = true;
    }
    ck_assert(by[0] && by[1] && by[2]);
    tu_ran_free(&r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gil_sched");
    TCase *tc = tcase_create("sched");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, recorder_says_the_cpu);
    tcase_add_test(tc, recorder_says_the_cpu_read_out_of_line);
    tcase_add_test(tc, cpu_read_modes_agree);
    tcase_add_test(tc, model_cuts_runnable_out_of_compute);
    tcase_add_test(tc, model_cuts_switches_after_exit);
    tcase_add_test(tc, model_fallback_from_states);
    tcase_add_test(tc, real_run_has_the_kernels_facts);
    tcase_add_test(tc, refused_perf_falls_back);
    tcase_add_test(tc, processes_have_their_gils_and_the_kernels_facts);
    tcase_add_test(tc, threads_in_a_process_share_its_gil);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
