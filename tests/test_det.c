/* The object semantics, exactly, on the deterministic test platform
 * (sim/sim_plat_test.c): one unit runs at a time, a virtual clock. Every test
 * runs a scenario through sim_run() with desc.platform = &sim_plat_test, reads
 * the recording back and asserts exact orders and exact virtual times (to the
 * us after the run's start; the run's own clock is exact to the ns): no timing
 * can make these flaky, and a run repeated gives the very same recording.
 */
#include "testutil.h"
#include "sim/sim.h"
#include "sim/sim_platform.h"

#include <stdlib.h>
#include <string.h>

#define US 1000ull
#define MS 1000000ull

typedef tu_ran ran;

static void det_run_desc(ran *out, const char *name, const char *text, sim_desc desc) {
    tu_det_run(out, name, text, desc, NULL, 0);
}

static void det_run(ran *out, const char *name, const char *text) {
    det_run_desc(out, name, text, (sim_desc){ 0 });
}





/* Time of an event after the run's start, to the us: the platform stamps events with
 * the virtual clock plus 1 ns per hand-over at one instant, to keep their order. */
static uint64_t at(const ran *r, const trc_event *e) { return (e->t - r->run->t_start) / US * US; }

static uint64_t makespan(const ran *r) { return r->m.makespan / US * US; }

/* The n-th mark with text `text` by unit (UINT32_MAX: any): its time. */
static uint64_t mark_at(const ran *r, const char *text, uint32_t unit, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && (unit == UINT32_MAX || e->unit == unit) && e->arg < r->run->nstrings &&
            !strcmp(r->run->strings[e->arg], text) && n-- == 0)
            return at(r, e);
    }
    ck_abort_msg("no mark '%s'", text);
    return 0;
}

/* ---- the clock ------------------------------------------------------------------ */

START_TEST(virtual_time_is_exact) {
    ran r;
    det_run(&r, "clock", "actor a { sleep 5ms; compute 3ms; mark \"x\" }\nactor b { compute 250us; sleep 1ms }\n"
                         "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t a = tu_unit_named(&r, "a.0"), b = tu_unit_named(&r, "b.0");
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_SLEEP_END, a, UINT32_MAX, 0)), 5 * MS);
    const trc_event *ce = tu_nth(&r, TRC_EV_COMPUTE_END, a, UINT32_MAX, 0);
    ck_assert_uint_eq(at(&r, ce), 8 * MS);
    ck_assert_uint_eq(ce->arg, 3 * MS);   /* the CPU time it "burnt" */
    ck_assert_uint_eq(mark_at(&r, "x", a, 0), 8 * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_UNIT_EXIT, b, UINT32_MAX, 0)), 1250 * US);   /* every unit has a CPU */
    ck_assert_uint_eq(makespan(&r), 8 * MS);
    ck_assert_uint_eq(r.res.wall_ns, 8 * MS);
    ck_assert_ptr_nonnull(strstr(r.run->machine, "virtual clock"));
    tu_ran_free(&r);
}
END_TEST

/* The same scenario gives the same recording, event for event, even where the
 * threads backend would race (a racy counter whose gaps are yields). Events of
 * different units at the same virtual instant may be written in either order
 * (the recorder drains unit by unit), so each unit's own sequence is compared. */
START_TEST(a_run_repeats_exactly) {
    const char *text = "counter c\nlock m\nqueue q capacity=2\n"
                       "actor a * 3 { repeat 20 { incr c racy; put q; lock m { incr c } } }\n"
                       "actor g { repeat 60 { get q; sleep uniform 0us 50us } }\n";
    ran r1, r2;
    det_run(&r1, "rep1", text);
    det_run(&r2, "rep2", text);
    ck_assert_uint_eq(r1.run->nevents, r2.run->nevents);
    for (uint32_t u = 0; u < r1.run->nunits; u++) {
        size_t i = 0, j = 0, n = 0;
        for (;; i++, j++, n++) {
            while (i < r1.run->nevents && r1.run->events[i].unit != u) i++;
            while (j < r2.run->nevents && r2.run->events[j].unit != u) j++;
            if (i == r1.run->nevents || j == r2.run->nevents) break;
            const trc_event *x = &r1.run->events[i], *y = &r2.run->events[j];
            ck_assert_msg(x->t - r1.run->t_start == y->t - r2.run->t_start && x->kind == y->kind &&
                          x->obj == y->obj && x->aux == y->aux && x->arg == y->arg && x->extra == y->extra,
                          "event %zu of unit %u differs: %s vs %s", n, u, trc_ev_name(x->kind), trc_ev_name(y->kind));
        }
        ck_assert_msg(i == r1.run->nevents && j == r2.run->nevents, "unit %u has more events in one run", u);
    }
    ck_assert_uint_eq(makespan(&r1), makespan(&r2));
    /* the yields interleave the three racy writers: updates are lost, the same ones every time */
    ck_assert_int_gt(r1.m.objects[tu_obj_named(&r1, "c") - 1].final_value, 0);
    ck_assert_int_lt(r1.m.objects[tu_obj_named(&r1, "c") - 1].final_value, 120);
    ck_assert_int_eq(r1.m.objects[tu_obj_named(&r1, "c") - 1].final_value,
                     r2.m.objects[tu_obj_named(&r2, "c") - 1].final_value);
    tu_ran_free(&r1);
    tu_ran_free(&r2);
}
END_TEST

/* ---- conditions ------------------------------------------------------------------ */

/* notify wakes the earliest waiter first (FIFO, as Python's Condition does); a notify
 * with nobody waiting is lost. */
START_TEST(condition_notify_is_fifo) {
    ran r;
    det_run(&r, "cond_fifo",
            "lock m\ncondition cv lock=m\n"
            "actor w * 3 { sleep (3 - index) * 1ms; lock m; wait cv; mark \"woke\"; unlock m }\n"
            "actor n { lock m { notify cv }\n sleep 10ms\n"
            "  repeat 3 { lock m; notify cv; unlock m; sleep 1ms } }\n"
            "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t cv = tu_obj_named(&r, "cv"), n = tu_unit_named(&r, "n.0");
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_NOTIFY, n, cv, 0)->extra, 0);   /* at 0: nobody waits yet */
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_NOTIFY, n, cv, 1)), 10 * MS);
    /* they arrived w.2 (1 ms), w.1 (2 ms), w.0 (3 ms): they wake in that order, one per notify */
    static const char *const order[] = { "w.2", "w.1", "w.0" };
    for (int k = 0; k < 3; k++) {
        uint32_t w = tu_unit_named(&r, order[k]);
        ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_BEGIN, w, cv, 0)), (uint64_t)(k + 1) * MS);
        const trc_event *we = tu_nth(&r, TRC_EV_WAIT_END, w, cv, 0);
        ck_assert_uint_eq(at(&r, we), (uint64_t)(10 + k) * MS);
        ck_assert_uint_eq(we->aux, TRC_OUT_OK);
        ck_assert_uint_eq(we->extra, (uint32_t)k + 2);        /* the notify that woke it: the 2nd, 3rd, 4th */
        ck_assert_uint_eq(mark_at(&r, "woke", w, 0), (uint64_t)(10 + k) * MS);
        ck_assert_uint_eq(tu_nth(&r, TRC_EV_NOTIFY, n, cv, (size_t)k + 1)->extra, 1);
    }
    tu_ran_free(&r);
}
END_TEST

/* notify 2 wakes the two earliest; notify_all the rest; a wait with a timeout ends at it exactly. */
START_TEST(condition_notify_n_all_and_timeout) {
    ran r;
    det_run(&r, "cond_n",
            "lock m\ncondition cv lock=m\n"
            "actor w * 4 { sleep (index + 1) * 1ms; lock m; wait cv; unlock m }\n"
            "actor t { lock m; wait cv timeout=7ms; if timed_out { mark \"timed out\" }; unlock m }\n"
            "actor n { sleep 10ms; lock m { notify cv 2 }\n sleep 1ms; lock m { notify_all cv } }\n"
            "expect all_done\n");
    uint32_t cv = tu_obj_named(&r, "cv");
    ck_assert_uint_eq(mark_at(&r, "timed out", tu_unit_named(&r, "t.0"), 0), 7 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_WAIT_END, tu_unit_named(&r, "t.0"), cv, 0)->aux, TRC_OUT_TIMEOUT);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_END, tu_unit_named(&r, "w.0"), cv, 0)), 10 * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_END, tu_unit_named(&r, "w.1"), cv, 0)), 10 * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_END, tu_unit_named(&r, "w.2"), cv, 0)), 11 * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_END, tu_unit_named(&r, "w.3"), cv, 0)), 11 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_NOTIFY, UINT32_MAX, cv, 0)->extra, 2);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_NOTIFY, UINT32_MAX, cv, 1)->extra, 2);
    ck_assert_uint_eq(makespan(&r), 11 * MS);
    tu_ran_free(&r);
}
END_TEST

/* wait_for re-checks its predicate after every wake-up, and once more at its timeout. */
START_TEST(wait_for_rechecks_its_predicate) {
    ran r;
    det_run(&r, "wait_for",
            "lock m\ncondition cv lock=m\ncounter n\n"
            "actor w { lock m; wait_for cv n >= 3; mark \"three\"; unlock m }\n"
            "actor g { lock m; wait_for cv n >= 10 timeout=2500us; if timed_out { mark \"gave up\" }; unlock m }\n"
            "actor l { lock m; wait_for cv n >= 2 timeout=2ms; if ok { mark \"two in time\" }; unlock m }\n"
            "actor p { repeat 5 { sleep 1ms; lock m; incr n; notify_all cv; unlock m } }\n"
            "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t cv = tu_obj_named(&r, "cv"), w = tu_unit_named(&r, "w.0"), g = tu_unit_named(&r, "g.0");
    ck_assert_uint_eq(mark_at(&r, "three", w, 0), 3 * MS);
    ck_assert_uint_eq(tu_count(&r, TRC_EV_WAIT_BEGIN, w), 3);   /* at 0, 1 and 2 ms: false each time */
    for (size_t k = 0; k < 3; k++) ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_BEGIN, w, cv, k)), k * MS);
    ck_assert_uint_eq(mark_at(&r, "gave up", g, 0), 2500 * US);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_WAIT_END, g, cv, 2)->aux, TRC_OUT_TIMEOUT);
    /* its timeout and the second notify come at the same instant: the predicate, checked once more, holds */
    ck_assert_uint_eq(mark_at(&r, "two in time", tu_unit_named(&r, "l.0"), 0), 2 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- events and barriers ----------------------------------------------------------- */

START_TEST(event_and_barrier_generations) {
    ran r;
    det_run(&r, "ev_bar",
            "event go\nbarrier b 3\n"
            "actor w * 2 { wait go; mark \"went\" }\n"
            "actor s { sleep 4ms; set go; clear go; sleep 1ms; set go }\n"
            "actor a * 3 { sleep (index + 1) * 1ms; wait b; mark \"passed\"\n"
            "  sleep (3 - index) * 1ms; wait b timeout=10ms; mark \"again\" }\n"
            "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t go = tu_obj_named(&r, "go"), b = tu_obj_named(&r, "b");
    for (int k = 0; k < 2; k++) {
        char name[8];
        snprintf(name, sizeof name, "w.%d", k);
        ck_assert_uint_eq(mark_at(&r, "went", tu_unit_named(&r, name), 0), 4 * MS);   /* a clear right after: still woken */
    }
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_SET, UINT32_MAX, go, 0)->extra, 2);   /* two were waiting */
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_SET, UINT32_MAX, go, 1)->extra, 0);
    /* arrivals at 1, 2, 3 ms: all pass at 3; then at 6, 5, 4 ms: all pass at 6 */
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_BARRIER_OPEN, UINT32_MAX, b, 0)), 3 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_BARRIER_OPEN, UINT32_MAX, b, 0)->arg, 1);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_BARRIER_OPEN, UINT32_MAX, b, 1)), 6 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_BARRIER_OPEN, UINT32_MAX, b, 1)->arg, 2);
    for (int k = 0; k < 3; k++) {
        char name[8];
        snprintf(name, sizeof name, "a.%d", k);
        ck_assert_uint_eq(mark_at(&r, "passed", tu_unit_named(&r, name), 0), 3 * MS);
        ck_assert_uint_eq(mark_at(&r, "again", tu_unit_named(&r, name), 0), 6 * MS);
    }
    tu_ran_free(&r);
}
END_TEST

/* ---- queues -------------------------------------------------------------------------- */

START_TEST(queue_capacity_kinds_nowait_and_join) {
    ran r;
    det_run(&r, "queues",
            "queue q capacity=2\nqueue p capacity=5 kind=priority\nqueue s capacity=3 kind=lifo\nqueue j capacity=10\n"
            "actor prod { put q; put q; put q nowait; if timed_out { mark \"full\" }; put q; mark \"put 3\" }\n"
            "actor cons { sleep 5ms; repeat 3 { get q }; get q timeout=1ms; if timed_out { mark \"empty\" } }\n"
            "actor pri { put p priority=3; put p priority=1; put p priority=2; put p priority=1; put p priority=-7\n"
            "  repeat 5 { get p }\n repeat 3 { put s }; repeat 3 { get s } }\n"
            "actor jp { repeat 3 { put j }; join j; mark \"joined\" }\n"
            "actor jc { repeat 3 { get j; sleep 2ms; task_done j } }\n"
            "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t q = tu_obj_named(&r, "q"), prod = tu_unit_named(&r, "prod.0"), cons = tu_unit_named(&r, "cons.0");
    /* the third put waits for the first get, at 5 ms */
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_PUT, prod, q, 1)), 0);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_WAIT_BEGIN, prod, q, 1)), 0);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_PUT, prod, q, 2)), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "put 3", prod, 0), 5 * MS);
    /* nowait on a full queue fails at once; a get with a timeout on an empty one ends at it */
    ck_assert_uint_eq(mark_at(&r, "full", prod, 0), 0);
    const trc_event *nw = tu_nth(&r, TRC_EV_WAIT_END, prod, q, 0);
    ck_assert_uint_eq(nw->aux, TRC_OUT_TIMEOUT);
    ck_assert_uint_eq(at(&r, nw), 0);
    ck_assert_uint_eq(mark_at(&r, "empty", cons, 0), 6 * MS);
    /* priority: lowest first, equal priorities in arrival order; lifo: newest first */
    uint32_t p = tu_obj_named(&r, "p"), st = tu_obj_named(&r, "s"), pri = tu_unit_named(&r, "pri.0");
    static const uint64_t porder[] = { 5, 2, 4, 3, 1 }, sorder[] = { 3, 2, 1 };
    for (size_t k = 0; k < 5; k++) ck_assert_uint_eq(tu_nth(&r, TRC_EV_GET, pri, p, k)->arg, porder[k]);
    for (size_t k = 0; k < 3; k++) ck_assert_uint_eq(tu_nth(&r, TRC_EV_GET, pri, st, k)->arg, sorder[k]);
    for (size_t k = 0; k < 3; k++) ck_assert_uint_eq(tu_nth(&r, TRC_EV_GET, cons, q, k)->arg, k + 1);   /* fifo */
    /* join returns with the last task_done, at 6 ms */
    ck_assert_uint_eq(mark_at(&r, "joined", tu_unit_named(&r, "jp.0"), 0), 6 * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_QUEUE_TASK_DONE, UINT32_MAX, tu_obj_named(&r, "j"), 2)), 6 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- rwlocks ------------------------------------------------------------------------------ */

/* r1 reads 0..10 ms; w asks to write at 1 ms; r2 asks to read at 2 ms. prefer=writers: w
 * goes first (10..15), then r2 (15); prefer=readers: r2 overtakes w (2), w at 10. */
START_TEST(rwlock_preference) {
    static const char *body = "actor r1 { read_lock rw; sleep 10ms; read_unlock rw }\n"
                              "actor w { sleep 1ms; write_lock rw; mark \"w in\"; sleep 5ms; write_unlock rw }\n"
                              "actor r2 { sleep 2ms; read_lock rw; mark \"r2 in\"; read_unlock rw }\n"
                              "expect all_done\n";
    char text[512];
    ran r;
    snprintf(text, sizeof text, "rwlock rw\n%s", body);
    det_run(&r, "rw_writers", text);
    ck_assert_uint_eq(mark_at(&r, "w in", UINT32_MAX, 0), 10 * MS);
    ck_assert_uint_eq(mark_at(&r, "r2 in", UINT32_MAX, 0), 15 * MS);
    ck_assert_uint_eq(makespan(&r), 15 * MS);
    tu_ran_free(&r);
    snprintf(text, sizeof text, "rwlock rw prefer=readers\n%s", body);
    det_run(&r, "rw_readers", text);
    ck_assert_uint_eq(mark_at(&r, "r2 in", UINT32_MAX, 0), 2 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_ACQUIRE, tu_unit_named(&r, "r2.0"), UINT32_MAX, 0)->extra, 2);   /* two readers in */
    ck_assert_uint_eq(mark_at(&r, "w in", UINT32_MAX, 0), 10 * MS);
    ck_assert_uint_eq(makespan(&r), 15 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- pools and futures ------------------------------------------------------------------- */

START_TEST(cancel_only_while_pending_and_callbacks_after_waiters) {
    ran r;
    det_run(&r, "futures",
            "pool p workers=1\ntask t { sleep 5ms }\ntask cb { sleep 1ms; mark \"callback\" }\n"
            "task late { mark \"late callback\" }\n"
            "actor main {\n"
            "  submit p t as a; submit p t as b\n"
            "  on_done a cb\n"
            "  sleep 1ms\n"
            "  cancel b; if ok { mark \"b cancelled\" }\n"
            "  cancel a; if timed_out { mark \"a runs: not cancelled\" }\n"
            "  result a; mark \"a done\"\n"
            "  result b; if timed_out { mark \"b has no result\" }\n"
            "  on_done a late\n"
            "}\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t m = tu_unit_named(&r, "main.0"), w = tu_unit_named(&r, "p.0"), p = tu_obj_named(&r, "p");
    ck_assert_uint_eq(mark_at(&r, "b cancelled", m, 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "a runs: not cancelled", m, 0), 1 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_CANCEL, m, p, 0)->aux, 1);   /* b: pending */
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_CANCEL, m, p, 1)->aux, 0);   /* a: running */
    /* the waiter is woken before the callbacks run: its result is at 5 ms, the callback's mark at 6 */
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_TASK_DONE, w, p, 0)), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "a done", m, 0), 5 * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_CALLBACK, w, p, 0)), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "callback", w, 0), 6 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_RESULT, m, p, 1)->aux, TRC_OUT_CANCELLED);
    ck_assert_uint_eq(mark_at(&r, "b has no result", m, 0), 5 * MS);
    /* a callback added to a finished future runs at once, on the caller */
    ck_assert_uint_eq(mark_at(&r, "late callback", m, 0), 5 * MS);
    ck_assert_uint_eq(tu_count(&r, TRC_EV_TASK_START, w), 1);   /* b never ran */
    tu_ran_free(&r);
}
END_TEST

/* items take 3, 2, 1 ms: map hands them back in input order (all at 3 ms, held back by
 * the first), as_completed in completion order (1, 2, 3 ms). */
START_TEST(map_and_as_completed_orders) {
    ran r;
    det_run(&r, "map_ac",
            "pool p workers=3\ntask t { sleep (3 - arg) * 1ms }\n"
            "actor main {\n"
            "  map p t 3 { mark \"map\" }\n"
            "  submit p t arg=0; submit p t arg=1; submit p t arg=2\n"
            "  as_completed { mark \"done\" }\n"
            "}\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t m = tu_unit_named(&r, "main.0"), p = tu_obj_named(&r, "p");
    for (size_t k = 0; k < 3; k++) {
        const trc_event *e = tu_nth(&r, TRC_EV_RESULT, m, p, k);
        ck_assert_uint_eq(e->arg, k + 1);   /* futures 1, 2, 3: input order */
        ck_assert_uint_eq(at(&r, e), 3 * MS);
        ck_assert_uint_eq(mark_at(&r, "map", m, k), 3 * MS);
    }
    for (size_t k = 0; k < 3; k++) {
        const trc_event *e = tu_nth(&r, TRC_EV_RESULT, m, p, 3 + k);
        ck_assert_uint_eq(e->arg, 6 - k);   /* futures 6, 5, 4: the quickest first */
        ck_assert_uint_eq(at(&r, e), (3 + k + 1) * MS);
        ck_assert_uint_eq(mark_at(&r, "done", m, k), (3 + k + 1) * MS);
    }
    ck_assert_uint_eq(makespan(&r), 6 * MS);
    tu_ran_free(&r);
}
END_TEST

START_TEST(shutdown_waits_for_the_queue_and_refuses_new_work) {
    ran r;
    det_run(&r, "shutdown",
            "pool p workers=2\ntask t { sleep 2ms }\n"
            "actor main { submit p t; submit p t; submit p t\n"
            "  shutdown p wait=yes; mark \"shut\"\n"
            "  submit p t; if timed_out { mark \"refused\" } }\n"
            "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t m = tu_unit_named(&r, "main.0"), p0 = tu_unit_named(&r, "p.0"), p1 = tu_unit_named(&r, "p.1");
    ck_assert_uint_eq(tu_count(&r, TRC_EV_TASK_START, p0) + tu_count(&r, TRC_EV_TASK_START, p1), 3);
    ck_assert_uint_eq(mark_at(&r, "shut", m, 0), 4 * MS);   /* the queued third task still ran */
    ck_assert_uint_eq(tu_count(&r, TRC_EV_JOINED, m), 2);
    ck_assert_uint_eq(mark_at(&r, "refused", m, 0), 4 * MS);
    ck_assert_uint_eq(tu_count(&r, TRC_EV_SUBMIT, m), 3);
    tu_ran_free(&r);
}
END_TEST

/* ---- daemons and the end of a run ------------------------------------------------------------ */

START_TEST(daemons_are_cut_off_exactly) {
    ran r;
    det_run(&r, "daemon_beat", "actor d daemon { loop { sleep 1ms; mark \"beat\" } }\nactor main { sleep 5500us }\n"
                               "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t d = tu_unit_named(&r, "d.0");
    ck_assert_uint_eq(tu_count(&r, TRC_EV_MARK, d), 5);
    for (size_t k = 0; k < 5; k++) ck_assert_uint_eq(mark_at(&r, "beat", d, k), (k + 1) * MS);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_DAEMON_KILLED, d, UINT32_MAX, 0)), 5500 * US);
    ck_assert(r.m.units[d].killed);
    ck_assert_uint_eq(makespan(&r), 5500 * US);
    tu_ran_free(&r);
    /* issue 8's two examples: the run ends with its last unit, to the ns */
    det_run(&r, "daemon_get", "queue q capacity=1\nactor d daemon { get q }\nactor main { sleep 10ms }\n");
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_UNIT_EXIT, tu_unit_named(&r, "d.0"), UINT32_MAX, 0)), 10 * MS);
    ck_assert_uint_eq(makespan(&r), 10 * MS);
    tu_ran_free(&r);
    det_run(&r, "pool_result", "pool p workers=1\ntask t { sleep 5ms }\nactor main { submit p t as f; result f }\n");
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_UNIT_EXIT, tu_unit_named(&r, "p.0"), UINT32_MAX, 0)), 5 * MS);
    ck_assert_uint_eq(makespan(&r), 5 * MS);
    tu_ran_free(&r);
}
END_TEST

/* A spinning loop takes no virtual time per iteration, but lets time pass when nothing
 * else can run: the run's timeout (50 ms) ends it. The watchdog checks every 10 ms after
 * its last wake-up, and an exit wakes it: b's exit at 3 ms puts the checks at 13, 23 ...
 * 53 ms, the first past 50. */
START_TEST(a_spinning_loop_meets_the_timeout) {
    ran r;
    det_run_desc(&r, "spin", "counter c\nactor a { loop { if c > 100 { break } } }\n"
                             "actor b { repeat 3 { sleep 1ms; incr c } }\n", (sim_desc){ .timeout_ns = 50 * MS });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_TIMEOUT);
    ck_assert_uint_eq(makespan(&r), 53 * MS);
    ck_assert(r.m.units[tu_unit_named(&r, "a.0")].aborted);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_UNIT_EXIT, tu_unit_named(&r, "b.0"), UINT32_MAX, 0)), 3 * MS);
    tu_ran_free(&r);
    /* a spinner that waits for another unit sees it, at the instant it happens */
    det_run(&r, "spin_poll", "counter c\nactor a { loop { if c >= 3 { break } }\n mark \"saw 3\" }\n"
                             "actor b { repeat 3 { sleep 1ms; incr c } }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(mark_at(&r, "saw 3", UINT32_MAX, 0), 3 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- the watchdog --------------------------------------------------------------------------- */

/* A cycle is first seen at the watchdog's check after it forms (every 10 ms), and is a
 * deadlock once it has stayed for 100 ms: at 110 ms exactly. */
START_TEST(watchdog_finds_lock_cycles) {
    ran r;
    det_run(&r, "cycle", "lock m1\nlock m2\n"
                         "actor a { lock m1; sleep 1ms; lock m2 }\nactor b { lock m2; sleep 1ms; lock m1 }\n"
                         "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(makespan(&r), 110 * MS);
    ck_assert_msg(strstr(r.res.report, "cycle of 2") && strstr(r.res.report, "a.0 waits to acquire lock 'm2' since "
                  "1.00 ms, held by b.0") && strstr(r.res.report, "b.0 waits to acquire lock 'm1' since 1.00 ms, held "
                  "by a.0"), "%s", r.res.report);
    tu_ran_free(&r);
    /* nobody will ever put: stuck once nothing has moved for 300 ms (the last move seen at 10 ms) */
    det_run(&r, "stuck", "queue q capacity=1\nactor c { get q }\nexpect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_uint_eq(makespan(&r), 310 * MS);
    ck_assert_msg(strstr(r.res.report, "c.0 waits to get from queue 'q' since 0 ns (empty"), "%s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

/* issue 8: deadlocks through rwlock readers are cycles, not "stuck" after 300 ms. */
START_TEST(watchdog_sees_rwlock_readers) {
    ran r;
    /* reader a holds r and waits for l, held by b, which waits to write r */
    det_run(&r, "rw_l", "rwlock r\nlock l\n"
                        "actor a { read_lock r; sleep 1ms; lock l }\nactor b { lock l; sleep 2ms; write_lock r }\n"
                        "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(makespan(&r), 110 * MS);
    ck_assert_msg(strstr(r.res.report, "cycle of 2") && strstr(r.res.report, "a.0 waits to acquire lock 'l'") &&
                  strstr(r.res.report, "held by b.0") && strstr(r.res.report, "b.0 waits for write lock 'r'") &&
                  strstr(r.res.report, "held by readers a.0"), "%s", r.res.report);
    tu_ran_free(&r);
    /* a reads again behind a waiting writer (prefer=writers), which waits for a's first read */
    det_run(&r, "rw_reread", "rwlock r\n"
                             "actor a { read_lock r; sleep 2ms; read_lock r }\nactor w { sleep 1ms; write_lock r }\n"
                             "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(makespan(&r), 110 * MS);
    ck_assert_msg(strstr(r.res.report, "cycle of 2") &&
                  strstr(r.res.report, "a.0 waits for read lock 'r' since 2.00 ms, behind waiting writers (writers go "
                                       "first): w.0, while it holds it for reading itself\n") &&
                  strstr(r.res.report, "w.0 waits for write lock 'r' since 1.00 ms, held by readers a.0"),
                  "%s", r.res.report);
    tu_ran_free(&r);
    /* with prefer=readers the second read goes in: no cycle; a exits holding it and w is stuck */
    det_run(&r, "rw_reread_ok", "rwlock r prefer=readers\n"
                                "actor a { read_lock r; sleep 2ms; read_lock r }\nactor w { sleep 1ms; write_lock r }\n"
                                "expect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_uint_eq(makespan(&r), 302 * MS);   /* the last move: a's exit at 2 ms */
    ck_assert_msg(strstr(r.res.report, "held by readers a.0 (exited)"), "%s", r.res.report);
    tu_ran_free(&r);
    /* an upgrade waits for itself */
    det_run(&r, "rw_upgrade", "rwlock r\nactor a { read_lock r; write_lock r }\nexpect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(makespan(&r), 110 * MS);
    ck_assert_msg(strstr(r.res.report, "cycle of 1") && strstr(r.res.report, "(itself: a read lock cannot be upgraded"),
                  "%s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

START_TEST(watchdog_follows_joins_and_futures) {
    ran r;
    det_run(&r, "join_cycle", "lock m\nactor w spawned { lock m }\nactor main { lock m; spawn w; join w }\n"
                              "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(makespan(&r), 110 * MS);
    ck_assert_msg(strstr(r.res.report, "main.0 waits to join w.0") && strstr(r.res.report, "w.0 waits to acquire lock "
                  "'m' since 0 ns, held by main.0"), "%s", r.res.report);
    tu_ran_free(&r);
    det_run(&r, "fut_cycle", "lock m\npool p workers=1\ntask t { lock m }\n"
                             "actor main { lock m; submit p t as f; result f }\nexpect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_msg(strstr(r.res.report, "main.0 waits for the result of future #1 of pool 'p' (task 't') since 0 ns, "
                  "running on p.0"), "%s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

/* ---- counters ------------------------------------------------------------------------------- */

/* racy increments with a window: exactly the updates made in the gap are lost; the
 * lost-update total saturates rather than overflowing. */
START_TEST(racy_counters_lose_exactly_the_gap) {
    ran r;
    det_run(&r, "racy", "counter c\n"
                        "actor a { incr c racy window=2ms }\nactor b { sleep 1ms; incr c by 5; incr c by 7 }\n"
                        "expect counter c == 1\nexpect lost_updates c == 12\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t c = tu_obj_named(&r, "c"), a = tu_unit_named(&r, "a.0");
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_COUNTER_WRITE, a, c, 0)), 2 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_COUNTER_WRITE, a, c, 0)->extra, 12);
    tu_ran_free(&r);
    det_run(&r, "racy_sat", "counter c = 100\n"
                            "actor a { incr c by -1 racy window=2ms }\n"
                            "actor b { sleep 1ms; incr c by -100; incr c by -9223372036854775807 - 1 }\n"
                            "expect counter c == 99\nexpect lost_updates c == -9223372036854775807 - 1\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    ck_assert_uint_eq((int32_t)tu_nth(&r, TRC_EV_COUNTER_WRITE, tu_unit_named(&r, "a.0"), UINT32_MAX, 0)->extra, INT32_MIN);
    tu_ran_free(&r);
}
END_TEST

static Suite *det_suite(void) {
    Suite *s = suite_create("det");
    TCase *tc = tcase_create("det");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, virtual_time_is_exact);
    tcase_add_test(tc, a_run_repeats_exactly);
    tcase_add_test(tc, condition_notify_is_fifo);
    tcase_add_test(tc, condition_notify_n_all_and_timeout);
    tcase_add_test(tc, wait_for_rechecks_its_predicate);
    tcase_add_test(tc, event_and_barrier_generations);
    tcase_add_test(tc, queue_capacity_kinds_nowait_and_join);
    tcase_add_test(tc, rwlock_preference);
    tcase_add_test(tc, cancel_only_while_pending_and_callbacks_after_waiters);
    tcase_add_test(tc, map_and_as_completed_orders);
    tcase_add_test(tc, shutdown_waits_for_the_queue_and_refuses_new_work);
    tcase_add_test(tc, daemons_are_cut_off_exactly);
    tcase_add_test(tc, a_spinning_loop_meets_the_timeout);
    tcase_add_test(tc, watchdog_finds_lock_cycles);
    tcase_add_test(tc, watchdog_sees_rwlock_readers);
    tcase_add_test(tc, watchdog_follows_joins_and_futures);
    tcase_add_test(tc, racy_counters_lose_exactly_the_gap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(det_suite()); }
