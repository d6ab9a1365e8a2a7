/* The recorder: events from several threads all arrive, in order per unit (the
 * CPU events are off here: tests/test_gil_sched.c has them);
 * overflow is counted and reported by a LOST event; ticks map to CLOCK_MONOTONIC. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct worker { trc_ring *ring; uint32_t n; } worker;

static void *emit_many(void *arg) {
    worker *w = arg;
    for (uint32_t i = 0; i < w->n; i++) trc_emit(w->ring, TRC_EV_MARK, 0, 0, i, 0);
    return NULL;
}

START_TEST(all_events_arrive_from_many_threads) {
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 1 << 12, .drain_period_us = 200, .no_cpu = true }, &d), 0);
    enum { T = 4, N = 200000 };
    worker w[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) { w[i].ring = trc_recorder_ring(r, (uint32_t)i); w[i].n = N; }
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    uint64_t before = clk_mono_ns();
    for (int i = 0; i < T; i++) pthread_create(&th[i], NULL, emit_many, &w[i]);
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    uint64_t after = clk_mono_ns();
    size_t n;
    const trc_event *ev = trc_recorder_events(r, &n);
    uint64_t lost = trc_recorder_lost(r);
    /* with a small ring some may be lost, but every event is either delivered or counted */
    uint64_t got[T] = { 0 }, lost_ev[T] = { 0 };
    uint64_t next[T] = { 0 };
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_lt(ev[i].unit, T);
        ck_assert_msg(ev[i].t + 1000000 >= before && ev[i].t <= after + 1000000, "timestamp outside the run");
        if (ev[i].kind == TRC_EV_LOST) { lost_ev[ev[i].unit] += ev[i].arg; continue; }
        ck_assert_uint_eq(ev[i].kind, TRC_EV_MARK);
        ck_assert_msg(ev[i].arg >= next[ev[i].unit], "unit %u out of order", ev[i].unit);   /* FIFO per unit */
        next[ev[i].unit] = ev[i].arg + 1;
        got[ev[i].unit]++;
    }
    uint64_t total_lost = 0;
    for (int i = 0; i < T; i++) {
        /* a LOST event precedes the next event that fits; drops after the last event stay pending */
        ck_assert_uint_le(got[i] + lost_ev[i], N);
        ck_assert_uint_eq(got[i] + w[i].ring->lost_total, N);
        total_lost += w[i].ring->lost_total;
    }
    ck_assert_uint_eq(total_lost, lost);
    ck_assert_uint_eq(trc_recorder_drained(r), n);
    trc_recorder_free(r);
}
END_TEST

START_TEST(big_rings_lose_nothing) {
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 1 << 18, .no_cpu = true }, &d), 0);
    worker w[2] = { { trc_recorder_ring(r, 0), 100000 }, { trc_recorder_ring(r, 1), 100000 } };
    pthread_t th[2];
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, emit_many, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    size_t n;
    trc_recorder_events(r, &n);
    ck_assert_uint_eq(n, 200000);
    ck_assert_uint_eq(trc_recorder_lost(r), 0);
    trc_recorder_free(r);
}
END_TEST

START_TEST(overflow_is_counted_and_reported) {
    /* no drain thread: a ring of 8 takes 8 events, the rest are counted */
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 8, .no_cpu = true }, &d), 0);
    trc_ring *ring = trc_recorder_ring(r, 0);
    for (int i = 0; i < 20; i++) trc_emit(ring, TRC_EV_MARK, 0, 0, (uint64_t)i, 0);
    ck_assert_uint_eq(ring->lost_total, 12);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);   /* drains */
    trc_emit(ring, TRC_EV_MARK, 0, 0, 99, 0);        /* the next event carries the count */
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    size_t n;
    const trc_event *ev = trc_recorder_events(r, &n);
    ck_assert_uint_eq(n, 10);
    for (int i = 0; i < 8; i++) ck_assert_uint_eq(ev[i].arg, (uint64_t)i);
    ck_assert_uint_eq(ev[8].kind, TRC_EV_LOST);
    ck_assert_uint_eq(ev[8].arg, 12);
    ck_assert_uint_eq(ev[9].kind, TRC_EV_MARK);
    ck_assert_uint_eq(ev[9].arg, 99);
    ck_assert_uint_eq(trc_recorder_lost(r), 12);
    trc_recorder_free(r);
}
END_TEST

START_TEST(ticks_map_to_monotonic) {
    clk_calib c;
    clk_calibrate(&c, true);
    for (int i = 0; i < 5; i++) {
        uint64_t a = clk_mono_ns();
        uint64_t t = clk_ticks_to_ns(&c, clk_ticks(&c));
        uint64_t b = clk_mono_ns();
        /* within 50 us of the bracket: calibration error over a short span */
        ck_assert_msg(t + 50000 >= a && t <= b + 50000, "tick time %llu outside [%llu, %llu]", (unsigned long long)t,
                      (unsigned long long)a, (unsigned long long)b);
    }
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 3 }, &d), -ERR_USAGE);
}
END_TEST

int main(void) {
    Suite *s = suite_create("recorder");
    TCase *tc = tcase_create("recorder");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, all_events_arrive_from_many_threads);
    tcase_add_test(tc, big_rings_lose_nothing);
    tcase_add_test(tc, overflow_is_counted_and_reported);
    tcase_add_test(tc, ticks_map_to_monotonic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
