/* Errors and tasks (the language's raise/try/except/finally on the coroutines
 * backend): a task's error waits in its handle and is raised again where it is
 * awaited, a gather raises the first error to happen (or returns errors as
 * values), an error nobody retrieved is warned about as asyncio does, and a
 * cancellation runs finally blocks (which may await) but no except clause.
 * Every run is on the virtual clock, so times are exact.
 */
#include "testutil.h"
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000000ull

typedef tu_ran ran;

static void vrun(ran *out, const char *name, const char *text) {
    tu_run_desc(out, name, text, (sim_desc){ .virtual_clock = true, .timeout_ns = 30000000000ull }, NULL, 0);
}


/* The n-th MARK with this text (any unit): its time from the run's start to the us (the
 * virtual clock stamps events at one instant a ns apart, to keep their order), or UINT64_MAX. */
static uint64_t mark_at(const ran *r, const char *text, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && e->arg < r->run->nstrings && !strcmp(r->run->strings[e->arg], text) && n-- == 0)
            return (e->t - r->run->t_start) / 1000 * 1000;
    }
    return UINT64_MAX;
}

static uint16_t exit_aux(const ran *r, uint32_t unit) {
    for (size_t i = 0; i < r->run->nevents; i++)
        if (r->run->events[i].kind == TRC_EV_UNIT_EXIT && r->run->events[i].unit == unit) return r->run->events[i].aux;
    ck_abort_msg("unit %u never exited", unit);
    return 0;
}

/* The texts of the RAISE events of one unit, in order, joined by '|'. */
static void raises_of(const ran *r, uint32_t unit, char *out, size_t cap) {
    out[0] = 0;
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind != TRC_EV_RAISE || e->unit != unit) continue;
        const char *t = e->arg < r->run->nstrings ? r->run->strings[e->arg] : "?";
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s:%u", n ? "|" : "", t, e->aux);
    }
}

START_TEST(await_raises_the_tasks_error_again) {
    ran r;
    vrun(&r, "await_raise", "backend coroutines\n"
                            "task bad { sleep 2ms; raise \"ValueError: bad input\" }\n"
                            "actor main {\n"
                            "  create_task bad as f\n"
                            "  try { await f } except \"ValueError\" { mark \"caught\" }\n"
                            "}\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "caught", 0), 2 * MS);
    uint32_t bad = tu_unit_named(&r, "bad.0"), main = tu_unit_named(&r, "main.0");
    ck_assert_uint_eq(exit_aux(&r, bad), TRC_EXIT_ERROR);
    ck_assert_uint_eq(exit_aux(&r, main), TRC_EXIT_DONE);
    char seen[256];
    raises_of(&r, bad, seen, sizeof seen);
    ck_assert_str_eq(seen, "ValueError: bad input:0");   /* raised by a step */
    raises_of(&r, main, seen, sizeof seen);
    ck_assert_str_eq(seen, "ValueError: bad input:1");   /* raised again from the task's handle */
    ck_assert_str_eq(r.res.warnings, "");                 /* retrieved: nothing to warn about */
    ck_assert_ptr_null(strstr(r.res.report, "never awaited"));
    tu_ran_free(&r);
}
END_TEST

/* Not caught, the error ends the awaiter as any error does (and is no task warning). */
START_TEST(an_error_not_caught_ends_the_awaiter) {
    ran r;
    vrun(&r, "await_uncaught", "backend coroutines\n"
                               "task bad { raise \"KeyError: k\" }\n"
                               "actor main { create_task bad as f; await f; mark \"after\" }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(mark_at(&r, "after", 0), UINT64_MAX);
    ck_assert_uint_eq(exit_aux(&r, tu_unit_named(&r, "main.0")), TRC_EXIT_ERROR);
    ck_assert_msg(strstr(r.res.warnings, "main.0 died of an error it did not catch: KeyError: k (an error nothing caught in task main.0)"), "%s", r.res.warnings);
    ck_assert_ptr_null(strstr(r.res.warnings, "Task exception was never retrieved"));
    tu_ran_free(&r);
}
END_TEST

/* wait_for and result F raise it again too. */
START_TEST(wait_for_and_result_raise_it_again) {
    ran r;
    vrun(&r, "wait_for_raise", "backend coroutines\n"
                               "task bad { sleep 1ms; raise \"E1\" }\n"
                               "actor main {\n"
                               "  create_task bad as f\n"
                               "  try { wait_for f timeout=5ms } except \"E1\" { mark \"wait_for raised\" }\n"
                               "  create_task bad as g\n"
                               "  try { result g } except \"E1\" { mark \"result raised\" }\n"
                               "}\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(mark_at(&r, "wait_for raised", 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "result raised", 0), 2 * MS);
    ck_assert_str_eq(r.res.warnings, "");
    tu_ran_free(&r);
}
END_TEST

/* gather without return_exceptions raises the first error to happen (not the first named),
 * and the other tasks go on; with return_exceptions each result's body sees ok = 0 for a
 * failed one, and nothing is left unretrieved. */
START_TEST(gather_raises_the_first_error_or_returns_them) {
    ran r;
    vrun(&r, "gather_raise", "backend coroutines\ncounter done\n"
                             "task a { sleep 3ms; raise \"A: late\" }\n"
                             "task b { sleep 1ms; raise \"B: early\" }\n"
                             "task c { sleep 5ms; incr done }\n"
                             "actor main {\n"
                             "  create_task a as fa\n  create_task b as fb\n  create_task c as fc\n"
                             "  try { gather fa, fb, fc } except \"B\" { mark \"B first\" } except \"A\" { mark \"A first\" }\n"
                             "  await fc\n"
                             "  try { await fa } except \"A\" { mark \"A retrieved\" }\n"
                             "}\nexpect counter done == 1\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "B first", 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "A first", 0), UINT64_MAX);
    ck_assert_uint_eq(mark_at(&r, "A retrieved", 0), 5 * MS);
    ck_assert_str_eq(r.res.warnings, "");
    tu_ran_free(&r);

    vrun(&r, "gather_values", "backend coroutines\ncounter good\ncounter bad\n"
                              "task t { sleep (3 - arg) * 1ms; if arg == 1 { raise \"E\" } }\n"
                              "actor main { gather t * 3 return_exceptions { if ok { incr good } else { incr bad; "
                              "mark \"failed\" } } }\n"
                              "expect counter good == 2\nexpect counter bad == 1\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "failed", 0), 3 * MS);   /* the body runs once all are done */
    ck_assert_str_eq(r.res.warnings, "");
    tu_ran_free(&r);
}
END_TEST

/* A task whose error nobody retrieves: warned about at the end, as asyncio's "Task
 * exception was never retrieved", with where it was raised; not as "never awaited". */
START_TEST(an_error_never_retrieved_is_warned_about) {
    ran r;
    vrun(&r, "never_retrieved", "backend coroutines\n"
                                "task bad { sleep 1ms\n raise \"OSError: gone\" }\n"
                                "actor main { create_task bad; sleep 5ms }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_msg(strstr(r.res.warnings, "never_retrieved:3:2: warning: task bad.0 (made at line 4) failed and its error "
                                         "was never retrieved: OSError: gone (Task exception was never retrieved)"),
                  "%s", r.res.warnings);
    ck_assert_ptr_null(strstr(r.res.report, "bad.0"));
    tu_ran_free(&r);
}
END_TEST

/* A cancellation is no error: except clauses let it pass, finally blocks run (and may
 * await: the cancellation is set aside meanwhile), and the task ends cancelled. */
START_TEST(cancellation_runs_finally_not_except) {
    ran r;
    vrun(&r, "cancel_finally", "backend coroutines\n"
                               "task t {\n"
                               "  try { sleep 10ms } except { mark \"wrong: except caught a cancellation\" } "
                               "finally { sleep 1ms; mark \"cleanup done\" }\n"
                               "  mark \"wrong: went on after the cancellation\"\n"
                               "}\n"
                               "actor main { create_task t as f; sleep 2ms; cancel f; await f; if not ok { mark \"cancelled\" } }\n"
                               "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "cleanup done", 0), 3 * MS);
    ck_assert_uint_eq(mark_at(&r, "cancelled", 0), 3 * MS);
    ck_assert_uint_eq(mark_at(&r, "wrong: except caught a cancellation", 0), UINT64_MAX);
    ck_assert_uint_eq(mark_at(&r, "wrong: went on after the cancellation", 0), UINT64_MAX);
    ck_assert_uint_eq(exit_aux(&r, tu_unit_named(&r, "t.0")), TRC_EXIT_CANCELLED);
    tu_ran_free(&r);

    /* an error raised in the finally of a cancelled task replaces the cancellation */
    vrun(&r, "cancel_finally_raise", "backend coroutines\n"
                                     "task t { try { sleep 10ms } finally { raise \"RuntimeError: in cleanup\" } }\n"
                                     "actor main { create_task t as f; sleep 2ms; cancel f\n"
                                     "  try { await f } except \"RuntimeError\" { mark \"the cleanup's error\" } }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(mark_at(&r, "the cleanup's error", 0), 2 * MS);
    ck_assert_uint_eq(exit_aux(&r, tu_unit_named(&r, "t.0")), TRC_EXIT_ERROR);
    tu_ran_free(&r);
}
END_TEST

/* On threads, create_task is a thread whose error waits in its handle the same way. */
START_TEST(a_threads_error_reaches_its_awaiter) {
    ran r;
    vrun(&r, "thread_raise", "backend threads\n"
                             "task bad { sleep 1ms; raise \"E: on a thread\" }\n"
                             "actor main { create_task bad as f; try { await f } except \"E\" { mark \"caught\" } }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(mark_at(&r, "caught", 0), 1 * MS);
    ck_assert_str_eq(r.res.warnings, "");
    tu_ran_free(&r);
}
END_TEST

/* The language's other steps on tasks: a timer is loop.call_later (it fires on time, and
 * one cancelled in time never does), `yield` is asyncio.sleep(0) (the other ready tasks run
 * first), `alive` sees tasks, a barrier's timeout breaks it, a bounded semaphore raises. */
START_TEST(timers_yield_alive_barriers_on_tasks) {
    ran r;
    vrun(&r, "lang_on_tasks", "backend coroutines\nbarrier b 3\nbounded_semaphore s 1\n"
                              "timer alarm 5ms { mark \"alarm fired\" }\n"
                              "timer never 50ms { mark \"wrong: cancelled timer fired\" }\n"
                              "actor a * 2 {\n"
                              "  repeat 2 { if index == 0 { mark \"a0\" } else { mark \"a1\" }; yield }\n"
                              "  try { wait b timeout=2ms } except \"BrokenBarrierError\" { mark \"broken\" }\n"
                              "}\n"
                              "actor m {\n"
                              "  cancel never\n"
                              "  try { release s } except \"ValueError\" { mark \"over-released\" }\n"
                              "  if alive a { mark \"a alive\" }\n"
                              "  sleep 10ms\n"
                              "  if not alive a { mark \"a gone\" }\n"
                              "}\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "alarm fired", 0), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "wrong: cancelled timer fired", 0), UINT64_MAX);
    ck_assert_uint_eq(mark_at(&r, "over-released", 0), 0);
    ck_assert_uint_eq(mark_at(&r, "a alive", 0), 0);
    ck_assert_uint_eq(mark_at(&r, "a gone", 0), 10 * MS);
    ck_assert_uint_eq(mark_at(&r, "broken", 0), 2 * MS);
    ck_assert_uint_eq(mark_at(&r, "broken", 1), 2 * MS);
    /* yield: a0 a1 a0 a1, not a0 a0 a1 a1 */
    char order[64] = "";
    for (size_t i = 0; i < r.run->nevents; i++) {
        const trc_event *e = &r.run->events[i];
        if (e->kind != TRC_EV_MARK || e->arg >= r.run->nstrings) continue;
        const char *t = r.run->strings[e->arg];
        if (!strcmp(t, "a0") || !strcmp(t, "a1")) strcat(order, t);
    }
    ck_assert_str_eq(order, "a0a1a0a1");
    /* the cancelled timer ends at once, not at 50 ms */
    uint32_t never = tu_unit_named(&r, "never.0");
    for (size_t i = 0; i < r.run->nevents; i++)
        if (r.run->events[i].kind == TRC_EV_UNIT_EXIT && r.run->events[i].unit == never)
            ck_assert_uint_lt(r.run->events[i].t - r.run->t_start, 1 * MS);
    tu_ran_free(&r);
}
END_TEST

static Suite *coro_errors_suite(void) {
    Suite *s = suite_create("coro_errors");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, await_raises_the_tasks_error_again);
    tcase_add_test(tc, an_error_not_caught_ends_the_awaiter);
    tcase_add_test(tc, wait_for_and_result_raise_it_again);
    tcase_add_test(tc, gather_raises_the_first_error_or_returns_them);
    tcase_add_test(tc, an_error_never_retrieved_is_warned_about);
    tcase_add_test(tc, cancellation_runs_finally_not_except);
    tcase_add_test(tc, a_threads_error_reaches_its_awaiter);
    tcase_add_test(tc, timers_yield_alive_barriers_on_tasks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(coro_errors_suite()); }
