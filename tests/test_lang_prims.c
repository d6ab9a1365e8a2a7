/* The primitives issue 9 asked for, as Python's behave: a bounded semaphore
 * (released past its start raises ValueError), a timer (threading.Timer,
 * cancellable), a barrier that breaks (a waiter's timeout or abort: every
 * waiter and every later arrival gets BrokenBarrierError; reset mends it),
 * yield, and a plain lock released by a unit that does not hold it (legal, as
 * for threading.Lock; an rlock still refuses). And the figures the issue found
 * wrong: counters read by expressions, submits refused after shutdown,
 * daemons in a stuck report. Runs on the deterministic platform. */
#include "lang_det.h"

static const char *raise_text(const ran *r, const trc_event *e) {
    ck_assert_uint_eq(e->kind, TRC_EV_RAISE);
    ck_assert_uint_lt(e->arg, r->run->nstrings);
    return r->run->strings[e->arg];
}

START_TEST(bounded_semaphore_raises) {
    ran r;
    det_run(&r, "bounded",
            "bounded_semaphore s 2\nsemaphore plain 1\ncounter errors\n"
            "actor a {\n"
            "  acquire s; release s\n"
            "  try { release s } except \"ValueError\" { incr errors }\n"
            "  release plain; release plain          # a plain semaphore takes it: 3 permits now\n"
            "  acquire s { acquire s { mark \"two at once\" } }\n"
            "}\n"
            "expect counter errors == 1\nexpect all_done\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t a = unit_named(&r, "a.0"), s = obj_named(&r, "s");
    ck_assert_uint_eq(r.run->objects[s - 1].subkind, 1);   /* bounded */
    const trc_event *e = nth(&r, TRC_EV_RAISE, a, UINT32_MAX, 0);
    ck_assert_str_eq(raise_text(&r, e), "ValueError: Semaphore released too many times");
    ck_assert_uint_eq(e->obj, s);
    ck_assert_uint_eq(e->aux, TRC_RAISE_OBJECT);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_RELEASE, a, s), 3);   /* the refused release is not one */
    ck_assert_uint_eq(count_ev(&r, TRC_EV_RELEASE, a, obj_named(&r, "plain")), 2);
    ck_assert_uint_eq(marks_of(&r, "two at once", a), 1);
    tu_ran_free(&r);
}
END_TEST

/* threading.Timer: fires after its delay unless cancelled first; cancel after it fired does nothing. */
START_TEST(timers_fire_or_are_cancelled) {
    ran r;
    det_run(&r, "timers",
            "counter fired\n"
            "timer soon 5ms { incr fired; mark \"soon fired\" }\n"
            "timer never 5ms { incr fired; mark \"never fired\" }\n"
            "timer later 2ms spawned { mark \"later fired\" }\n"
            "actor main {\n"
            "  sleep 1ms\n"
            "  cancel never\n"
            "  if ok { mark \"cancelled in time\" }\n"
            "  sleep 5ms\n"
            "  cancel soon\n"
            "  if not ok { mark \"too late\" }\n"
            "  spawn later\n"
            "  join later\n"
            "  mark \"joined\"\n"
            "}\n"
            "expect counter fired == 1\nexpect all_done\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t soon = unit_named(&r, "soon.0"), never = unit_named(&r, "never.0"), m = unit_named(&r, "main.0");
    ck_assert_uint_eq(mark_at(&r, "soon fired", soon, 0), 5 * MS);
    ck_assert_uint_eq(marks_of(&r, "never fired", UINT32_MAX), 0);
    ck_assert_uint_eq(mark_at(&r, "cancelled: the timer does not fire", never, 0), 1 * MS);
    ck_assert_uint_eq(at(&r, nth(&r, TRC_EV_SLEEP_BEGIN, never, UINT32_MAX, 0)), 0);
    ck_assert_uint_eq(nth(&r, TRC_EV_SLEEP_BEGIN, never, UINT32_MAX, 0)->arg, 5 * MS);
    ck_assert_uint_eq(at(&r, nth(&r, TRC_EV_SLEEP_END, never, UINT32_MAX, 0)), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "cancel timer 'never': it will not fire", m, 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "cancelled in time", m, 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "cancel timer 'soon': too late, it fired", m, 0), 6 * MS);
    ck_assert_uint_eq(mark_at(&r, "too late", m, 0), 6 * MS);
    ck_assert_uint_eq(mark_at(&r, "later fired", unit_named(&r, "later.0"), 0), 8 * MS);
    ck_assert_uint_eq(mark_at(&r, "joined", m, 0), 8 * MS);
    tu_ran_free(&r);
    /* cancelled before it starts, it never fires */
    det_run(&r, "timer_early", "timer t 1ms spawned { mark \"fired\" }\nactor main { cancel t; spawn t; join t }\n");
    ck_assert_uint_eq(marks_of(&r, "fired", UINT32_MAX), 0);
    ck_assert_uint_eq(marks_of(&r, "cancelled: the timer does not fire", unit_named(&r, "t.0")), 1);
    ck_assert_uint_eq(r.m.makespan / US, 0);
    tu_ran_free(&r);
}
END_TEST

/* A barrier breaks for everyone when one waiter's timeout runs out; a later arrival
 * gets the error at once; reset mends it; abort breaks it again. */
START_TEST(barriers_break_as_pythons_do) {
    ran r;
    det_run(&r, "barrier",
            "barrier b 3\ncounter broken\nevent mended\n"
            "actor w * 2 {\n"
            "  sleep index * 1ms\n"
            "  try { wait b timeout=(2 - index) * 5ms } except \"BrokenBarrierError\" { incr broken }\n"
            "}\n"
            "actor late { sleep 20ms; try { wait b } except \"BrokenBarrierError\" { incr broken; mark \"late\" } }\n"
            "actor fixer {\n"
            "  sleep 30ms; reset b; set mended\n"
            "  sleep 5ms; abort b\n"
            "}\n"
            "actor after * 2 { wait mended; try { wait b } except { incr broken; mark \"aborted\" } }\n"
            "expect counter broken == 5\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t b = obj_named(&r, "b"), w0 = unit_named(&r, "w.0"), w1 = unit_named(&r, "w.1");
    /* w.1 (arrived at 1 ms, timeout 5 ms) breaks it at 6 ms; w.0 (timeout 10 ms) gets the error then */
    const trc_event *br = nth(&r, TRC_EV_BARRIER_BROKEN, UINT32_MAX, b, 0);
    ck_assert_uint_eq(br->unit, w1);
    ck_assert_uint_eq(br->aux, 0);
    ck_assert_uint_eq(br->extra, 1);   /* w.0 was waiting */
    ck_assert_uint_eq(at(&r, br), 6 * MS);
    ck_assert_uint_eq(nth(&r, TRC_EV_WAIT_END, w1, b, 0)->aux, TRC_OUT_TIMEOUT);
    const trc_event *we = nth(&r, TRC_EV_WAIT_END, w0, b, 0);
    ck_assert_uint_eq(we->aux, TRC_OUT_ERROR);
    ck_assert_uint_eq(at(&r, we), 6 * MS);
    ck_assert_str_eq(raise_text(&r, nth(&r, TRC_EV_RAISE, w0, b, 0)), "BrokenBarrierError");
    ck_assert_str_eq(raise_text(&r, nth(&r, TRC_EV_RAISE, w1, b, 0)), "BrokenBarrierError");
    /* a later arrival: at once, without arriving */
    uint32_t late = unit_named(&r, "late.0");
    ck_assert_uint_eq(mark_at(&r, "late", late, 0), 20 * MS);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_BARRIER_ARRIVE, late, b), 0);
    /* reset mends it (the two `after` units arrive and wait), abort breaks it under them */
    const trc_event *rs = nth(&r, TRC_EV_BARRIER_BROKEN, UINT32_MAX, b, 1);
    ck_assert_uint_eq(rs->aux, 2);
    ck_assert_uint_eq(rs->extra, 0);
    ck_assert_uint_eq(at(&r, rs), 30 * MS);
    const trc_event *ab = nth(&r, TRC_EV_BARRIER_BROKEN, UINT32_MAX, b, 2);
    ck_assert_uint_eq(ab->aux, 1);
    ck_assert_uint_eq(ab->extra, 2);
    ck_assert_uint_eq(at(&r, ab), 35 * MS);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_BARRIER_ARRIVE, UINT32_MAX, b), 4);
    ck_assert_uint_eq(mark_at(&r, "aborted", unit_named(&r, "after.0"), 0), 35 * MS);
    ck_assert_uint_eq(mark_at(&r, "aborted", unit_named(&r, "after.1"), 0), 35 * MS);
    ck_assert_uint_eq(r.m.objects[b - 1].breaks, 2);
    tu_ran_free(&r);
    /* uncaught, the error ends the waiter */
    det_run(&r, "barrier_uncaught", "barrier b 2\nactor w { wait b timeout=1ms; mark \"passed\" }\n");
    ck_assert_uint_eq(nth(&r, TRC_EV_UNIT_EXIT, 0, UINT32_MAX, 0)->aux, TRC_EXIT_ERROR);
    ck_assert_uint_eq(marks_of(&r, "passed", UINT32_MAX), 0);
    ck_assert_str_eq(r.res.warnings, "barrier_uncaught:2:11: warning: w.0 died of an error it did not catch: "
                                     "BrokenBarrierError (Exception in thread w.0)\n");
    tu_ran_free(&r);
}
END_TEST

START_TEST(yield_is_recorded) {
    ran r;
    det_run(&r, "yield", "counter c\nactor a * 2 { repeat 3 { incr c racy window=0ns; yield } }\n");
    ck_assert_uint_eq(count_ev(&r, TRC_EV_YIELD, UINT32_MAX, UINT32_MAX), 6);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_YIELD, unit_named(&r, "a.1"), 0), 3);
    tu_ran_free(&r);
}
END_TEST

/* threading.Lock has no owner: another thread may release it, and mutual exclusion
 * is gone (SCENARIOS.md 13's bug variant). Recorded, modelled and shown. */
START_TEST(a_plain_lock_released_by_another_unit) {
    ran r;
    det_run(&r, "foreign",
            "lock m\nrlock rl\n"
            "actor holder { lock m; sleep 10ms; mark \"holder done\" }\n"
            "actor meddler { sleep 1ms; unlock m }\n"
            "actor other { sleep 2ms; lock m { mark \"inside with holder\" } }\n"
            "expect all_done\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t h = unit_named(&r, "holder.0"), md = unit_named(&r, "meddler.0"), o = unit_named(&r, "other.0");
    uint32_t m = obj_named(&r, "m");
    const trc_event *rel = nth(&r, TRC_EV_RELEASE, md, m, 0);
    ck_assert_uint_eq(rel->aux, TRC_RELEASE_FOREIGN);
    ck_assert_uint_eq(rel->extra, h + 1);
    ck_assert_uint_eq(at(&r, rel), 1 * MS);
    ck_assert_uint_eq(at(&r, nth(&r, TRC_EV_ACQUIRE, o, m, 0)), 2 * MS);
    ck_assert_uint_eq(mark_at(&r, "inside with holder", o, 0), 2 * MS);
    /* the model: the holder's ownership ends at the foreign release; an instant shows it */
    const trc_object_track *ot = &r.m.objects[m - 1];
    ck_assert_uint_eq(ot->nowners, 2);
    ck_assert_uint_eq(ot->owners[0].owner, h);
    ck_assert_uint_eq(ot->owners[0].t1 / US, 1000);
    ck_assert_uint_eq(ot->owners[1].owner, o);
    bool shown = false;
    for (size_t i = 0; i < r.m.ninstants; i++)
        shown |= r.m.instants[i].kind == TRC_EV_RELEASE && r.m.instants[i].unit == md && r.m.instants[i].extra == h + 1;
    ck_assert(shown);
    tu_ran_free(&r);
    /* an rlock still refuses */
    det_run(&r, "foreign_rlock", "rlock rl\nactor holder { lock rl; sleep 10ms }\n"
                                 "actor meddler { sleep 1ms; try { unlock rl } except \"RuntimeError\" { mark \"refused\" } }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t me = unit_named(&r, "meddler.0");
    ck_assert_str_eq(raise_text(&r, nth(&r, TRC_EV_RAISE, me, UINT32_MAX, 0)), "RuntimeError: cannot release un-acquired lock");
    ck_assert_uint_eq(mark_at(&r, "refused", me, 0), 1 * MS);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_RELEASE, me, UINT32_MAX), 0);
    ck_assert_uint_eq(r.m.objects[obj_named(&r, "rl") - 1].nowners, 1);   /* the holder's hold was never broken */
    tu_ran_free(&r);
}
END_TEST

/* The bundled SCENARIOS.md 13 bug variant, run exactly: worker.0's cleanup releases lock2, which
 * worker.1 holds, at the moment its timeout runs out; the snooper gets in then. */
START_TEST(bundled_timeout_locks_scenario) {
    char *text;
    diag d;
    ck_assert_int_eq(file_read_all(WEFT_SOURCE_DIR "/scenarios/deadlock_timeout_release_not_owned.scn", &text, NULL, &d), 0);
    ran r;
    det_run(&r, "timeout_locks", text);
    free(text);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    ck_assert_str_eq(r.res.warnings, "");
    uint32_t w0 = unit_named(&r, "worker.0"), w1 = unit_named(&r, "worker.1"), sn = unit_named(&r, "snooper.0");
    uint32_t l2 = obj_named(&r, "lock2");
    const trc_event *rel = nth(&r, TRC_EV_RELEASE, w0, l2, 0);
    ck_assert_uint_eq(rel->aux, TRC_RELEASE_FOREIGN);
    ck_assert_uint_eq(rel->extra, w1 + 1);
    ck_assert_uint_eq(at(&r, rel), 250 * MS);   /* hold 50 ms, then a 200 ms timeout */
    ck_assert_uint_eq(at(&r, nth(&r, TRC_EV_ACQUIRE, sn, l2, 0)), 250 * MS);
    ck_assert_uint_eq(mark_at(&r, "mutual exclusion broken", sn, 0), 250 * MS);
    ck_assert_str_eq(raise_text(&r, nth(&r, TRC_EV_RAISE, w0, UINT32_MAX, 0)), "TimeoutError: the second lock");
    ck_assert_str_eq(raise_text(&r, nth(&r, TRC_EV_RAISE, w1, UINT32_MAX, 0)), "RuntimeError: release unlocked lock");
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CAUGHT, w1, UINT32_MAX), 1);
    tu_ran_free(&r);
}
END_TEST

/* issue 9: counters read by expressions showed "0 reads"; refused submits were not counted. */
START_TEST(reads_and_refusals_are_counted) {
    ran r;
    det_run(&r, "figures",
            "counter c\ncounter d[2]\npool p workers=1\ntask t { sleep 1ms }\n"
            "actor a { repeat 5 { if c >= 0 and d[1] == 0 { incr d[0] } } }\n"
            "actor main { shutdown p; submit p t; submit p t; if not ok { mark \"refused\" } }\n"
            "expect counter c == 0\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t a = unit_named(&r, "a.0"), c = obj_named(&r, "c"), d0 = obj_named(&r, "d[0]"), d1 = obj_named(&r, "d[1]");
    /* one COUNTER_READS per counter the unit read, at its exit */
    ck_assert_uint_eq(count_ev(&r, TRC_EV_COUNTER_READS, a, UINT32_MAX), 2);
    ck_assert_uint_eq(nth(&r, TRC_EV_COUNTER_READS, a, c, 0)->arg, 5);
    ck_assert_uint_eq(nth(&r, TRC_EV_COUNTER_READS, a, d1, 0)->arg, 5);
    ck_assert_uint_eq(r.m.objects[c - 1].reads, 5);
    ck_assert_uint_eq(r.m.objects[d1 - 1].reads, 5);
    ck_assert_uint_eq(r.m.objects[d0 - 1].reads, 0);
    ck_assert_uint_eq(r.m.objects[d0 - 1].writes, 5);
    ck_assert_uint_eq(r.m.objects[c - 1].stale_reads, 0);   /* expression reads are not read-modify-writes */
    uint32_t p = obj_named(&r, "p");
    ck_assert_uint_eq(r.m.objects[p - 1].rejected, 2);
    ck_assert_uint_eq(r.m.objects[p - 1].submitted, 0);
    buf out = { 0 };
    trc_stats_text(&out, &r.m);
    buf_u8(&out, 0);
    const char *txt = (const char *)out.p;
    ck_assert_msg(strstr(txt, "final value 0 (never written), 0 writes, 5 reads"), "%s", txt);
    ck_assert_msg(strstr(txt, "0 cancelled, 2 refused after shutdown"), "%s", txt);
    /* the pool's worker, never needed, never started (it said "never exited") */
    const char *w = strstr(txt, "\np.0 ");
    ck_assert_msg(w && !strncmp(strchr(w + 1, '\n') - strlen("  never started"), "  never started", 15), "%s", txt);
    ck_assert_msg(!strstr(txt, "never exited"), "%s", txt);
    buf_release(&out);
    tu_ran_free(&r);
}
END_TEST

/* issue 9: a stuck report listed daemon threads as if they kept the process alive. */
START_TEST(stuck_reports_mark_daemons) {
    ran r;
    det_run(&r, "stuck_daemon", "event never\nactor d daemon { wait never }\nactor main { wait never }\nexpect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_msg(strstr(r.res.report, "  d.0 (a daemon: it does not keep the run alive) waits for event 'never' since 0 ns "
                                       "(not set; no live unit will set it)\n"), "%s", r.res.report);
    ck_assert_msg(strstr(r.res.report, "  main.0 waits for event 'never' since 0 ns"), "%s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

/* cancel, result and on_done take a future (cancel a timer too): any other name says what it is. */
START_TEST(cancel_names_what_it_was_given) {
    err_exact("barrier b 2\nactor a { cancel b }\n", 2, 18, "'b' is a barrier: cancel takes a future or a timer",
              "name one where it is submitted: submit POOL TASK as NAME");
    err_exact("lock m\npool p workers=1\ntask t { }\nactor a { submit p t as m2; result m }\n", 4, 36,
              "'m' is a lock: result takes a future", "did you mean 'm2'?");
    err_exact("queue q capacity=1\npool p workers=1\ntask t { }\nactor a { on_done q t }\n", 4, 19,
              "'q' is a queue: on_done takes a future", "name one where it is submitted: submit POOL TASK as NAME");
    err_exact("actor w { }\nactor a { cancel w }\n", 2, 18, "'w' is an actor: cancel takes a future or a timer",
              "a thread cannot be cancelled; a timer can: timer w 50ms { ... }");
    err_exact("actor a { cancel nosuch }\n", 1, 18, "unknown future 'nosuch'",
              "name one where it is made: submit POOL TASK as NAME, or create_task TASK as NAME");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("lang_prims");
    TCase *tc = tcase_create("prims");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bounded_semaphore_raises);
    tcase_add_test(tc, timers_fire_or_are_cancelled);
    tcase_add_test(tc, barriers_break_as_pythons_do);
    tcase_add_test(tc, yield_is_recorded);
    tcase_add_test(tc, a_plain_lock_released_by_another_unit);
    tcase_add_test(tc, reads_and_refusals_are_counted);
    tcase_add_test(tc, stuck_reports_mark_daemons);
    tcase_add_test(tc, bundled_timeout_locks_scenario);
    tcase_add_test(tc, cancel_names_what_it_was_given);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
