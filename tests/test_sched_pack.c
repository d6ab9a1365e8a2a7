/* The scheduling events the model's pass keeps for trc_sched.c in 16 bytes
 * (trc__sched_ev, traces/trc_model_internal.h), at their limits: a model
 * built from a CPU number past the cap (4095), migrations named by a CPU
 * before it past the cap (one that is the same CPU once capped, one that is
 * not), a switch's aux past the known ones, two SCHED_COUNTS of one unit,
 * read as trc_sched.c always read them; and the CPU demand series
 * merged from the units' intervals (a heap of streams) against the same
 * series counted by hand, ends before starts at one instant. */
#include "testutil.h"

#define MS 1000000ull
#define TRC__SCHED_CPU_MAX 4095u   /* trc_sched.c's cap of CPU numbers */

/* A model from CPU events past the cap (the recorder's migrations), then switches with an aux
 * past the known ones: counted as blocks, as ever. */
START_TEST(model_reads_packed_events_as_before) {
    run_builder b;
    rb_init(&b, "packed");
    uint32_t a = rb_unit(&b, "a");
    b.run->cores = 2;
    rb_ev(&b, 0, a, TRC_EV_CPU, 0, 0, 5000, 0);                 /* CPU 4095 (capped), first sight */
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_CPU, 0, 0, 6000, 5000 + 1);     /* 5000 -> 6000: a migration */
    rb_ev(&b, 1 * MS, a, TRC_EV_CPU, 0, 0, 7000, 4095 + 1);     /* 4095 -> 7000: both 4095 once capped */
    rb_ev(&b, 2 * MS, a, TRC_EV_CPU, 0, 0, 3, 6000 + 1);        /* -> 3 */
    rb_ev(&b, 3 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 3 * MS, a, TRC_EV_SCHED_COUNTS, 0, 0, 11, 12);
    rb_ev(&b, 3 * MS, a, TRC_EV_SCHED_COUNTS, 0, 1, 21, 22);    /* the last one says: refused */
    trc_recording *rec = rb_finish(&b, 3 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_unit_sched *us = &m.units[a].sched;
    ck_assert_uint_eq(m.sched.cpu_events, 4);
    ck_assert_uint_eq(us->migrations, 2);
    ck_assert_uint_eq(us->cpu_first, TRC__SCHED_CPU_MAX);
    ck_assert_uint_eq(us->cpu_last, 3);
    ck_assert_uint_eq(us->vol, 21);
    ck_assert_uint_eq(us->invol, 22);
    ck_assert(us->has_counts);
    ck_assert_uint_eq(m.sched.source, TRC_SCHED_FALLBACK);
    trc_model_release(&m);
    trc_recording_free(rec);

    rb_init(&b, "aux");
    a = rb_unit(&b, "a");
    uint32_t c = rb_unit(&b, "c");
    b.run->cores = 1;
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_SCHED_SWITCH, 0, 9, 0, 0);                        /* aux 9: blocked */
    rb_ev(&b, 1 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);             /* c on as a goes off */
    rb_ev(&b, 2 * MS, a, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 5000, 0);          /* CPU 4095 */
    rb_ev(&b, 3 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_PREEMPTED, 0, 0);
    rb_ev(&b, 4 * MS, c, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 5 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 5 * MS, c, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rec = rb_finish(&b, 5 * MS);
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.sched.source, TRC_SCHED_KERNEL);
    ck_assert_uint_eq(m.units[a].sched.blocks, 1);
    ck_assert_uint_eq(m.units[a].sched.migrations, 1);
    ck_assert_uint_eq(m.units[a].sched.t_oncpu, 1 * MS + 3 * MS);
    ck_assert_uint_eq(m.units[c].sched.preemptions, 1);
    ck_assert_uint_eq(m.units[c].sched.t_runnable, 1 * MS);
    ck_assert_uint_eq(m.sched.ncpus, TRC__SCHED_CPU_MAX + 1);
    /* wanting a CPU: a on 0-1 and 2-5; c on 1-3, runnable 3-4, on 4-5. At 1 ms a's end and c's
     * start meet: the end first, so the series never reads 2 there */
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 0), 1);
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 1 * MS), 1);
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 2 * MS), 2);
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 3 * MS + 1), 2);   /* c runnable */
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 4 * MS), 2);
    ck_assert_int_eq(trc_sample_at(m.sched.want, m.sched.nwant, 5 * MS), 0);
    ck_assert_int_eq(m.sched.max_want, 2);
    ck_assert_uint_eq(m.sched.t_oversub, 3 * MS);   /* 2-5: two want the one core */
    for (size_t k = 1; k < m.sched.nwant; k++) ck_assert_uint_lt(m.sched.want[k - 1].t, m.sched.want[k].t);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    Suite *s = suite_create("sched_pack");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, model_reads_packed_events_as_before);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
