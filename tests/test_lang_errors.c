/* Errors as Python's exceptions behave (issue 9): `raise "text"`, try /
 * except ["T"] / finally, a task's error in its future (result and map raise
 * it again, the pool counts it as failed), an actor that dies of an error it
 * did not catch, and the warnings Python would print at the end (an error
 * never retrieved, a thread that died, a callback that raised). Runs on the
 * deterministic platform; the recorded events are asserted. */
#include "lang_det.h"

/* The text of RAISE / CAUGHT event e. */
static const char *ev_text(const ran *r, const trc_event *e) {
    ck_assert_uint_lt(e->arg, r->run->nstrings);
    return r->run->strings[e->arg];
}

START_TEST(try_except_finally) {
    ran r;
    det_run(&r, "try",
            "counter caught\ncounter fin\n"
            "actor a {\n"
            "  try {\n"
            "    sleep 1ms\n"
            "    raise \"ValueError: bad input\"\n"
            "    mark \"not reached\"\n"
            "  } except \"KeyError\" {\n"
            "    mark \"wrong clause\"\n"
            "  } except \"ValueError\" {\n"
            "    incr caught\n"
            "    mark \"caught\"\n"
            "  } finally {\n"
            "    incr fin\n"
            "    mark \"finally\"\n"
            "  }\n"
            "  try { mark \"no error\" } finally { mark \"finally again\" }\n"
            "  try {\n"
            "    try { raise \"E1\" } finally { mark \"inner finally\" }\n"
            "  } except { mark \"outer caught\" }\n"
            "  repeat 3 { try { break } finally { incr fin } }\n"
            "  try { raise \"ValueErrorX\" } except \"ValueError\" { mark \"a prefix without ':' matched\" } except { "
            "mark \"other\" }\n"
            "}\n"
            "expect counter caught == 1\nexpect counter fin == 2\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    ck_assert_str_eq(r.res.warnings, "");
    uint32_t a = unit_named(&r, "a.0");
    ck_assert_uint_eq(marks_of(&r, "not reached", a), 0);
    ck_assert_uint_eq(marks_of(&r, "wrong clause", a), 0);
    ck_assert_uint_eq(mark_at(&r, "caught", a, 0), 1 * MS);
    ck_assert_uint_eq(marks_of(&r, "finally", a), 1);
    ck_assert_uint_eq(marks_of(&r, "no error", a), 1);
    ck_assert_uint_eq(marks_of(&r, "finally again", a), 1);
    ck_assert_uint_eq(marks_of(&r, "inner finally", a), 1);
    ck_assert_uint_eq(marks_of(&r, "outer caught", a), 1);
    ck_assert_uint_eq(marks_of(&r, "a prefix without ':' matched", a), 0);
    ck_assert_uint_eq(marks_of(&r, "other", a), 1);
    /* the recording: each raise, each catch, with the error's text */
    ck_assert_uint_eq(count_ev(&r, TRC_EV_RAISE, a, UINT32_MAX), 3);
    const trc_event *e = nth(&r, TRC_EV_RAISE, a, UINT32_MAX, 0);
    ck_assert_str_eq(ev_text(&r, e), "ValueError: bad input");
    ck_assert_uint_eq(e->aux, TRC_RAISE_STEP);
    ck_assert_uint_eq(e->obj, 0);
    ck_assert_uint_eq(at(&r, e), 1 * MS);
    ck_assert_str_eq(ev_text(&r, nth(&r, TRC_EV_CAUGHT, a, UINT32_MAX, 0)), "ValueError: bad input");
    ck_assert_str_eq(ev_text(&r, nth(&r, TRC_EV_RAISE, a, UINT32_MAX, 1)), "E1");
    ck_assert_str_eq(ev_text(&r, nth(&r, TRC_EV_CAUGHT, a, UINT32_MAX, 1)), "E1");
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CAUGHT, a, UINT32_MAX), 3);
    /* the model: instants with the texts */
    size_t raises = 0;
    for (size_t i = 0; i < r.m.ninstants; i++)
        if (r.m.instants[i].kind == TRC_EV_RAISE) {
            ck_assert_ptr_nonnull(r.m.instants[i].text);
            raises++;
        }
    ck_assert_uint_eq(raises, 3);
    tu_ran_free(&r);
}
END_TEST

/* An error leaves the blocks around it as `with` does: the lock is released. An
 * error nobody catches ends the actor, and the run goes on. */
START_TEST(uncaught_errors_end_the_thread) {
    ran r;
    det_run(&r, "dies",
            "lock m\nrwlock rw\n"
            "actor a {\n"
            "  try { lock m { read rw { sleep 1ms; raise \"inner\" } } } except { mark \"released?\" }\n"
            "  try { raise \"first\" } except {\n"
            "    try { raise \"second\" } except { mark \"second caught\" }\n"
            "    raise\n"
            "  }\n"
            "  mark \"not reached\"\n"
            "}\n"
            "actor b { sleep 2ms; lock m { write rw { mark \"b got both\" } } }\n"
            "actor c { sleep 3ms; mark \"c goes on\" }\n"
            "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t a = unit_named(&r, "a.0"), b = unit_named(&r, "b.0");
    ck_assert_uint_eq(mark_at(&r, "released?", a, 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "b got both", b, 0), 2 * MS);
    ck_assert_uint_eq(marks_of(&r, "second caught", a), 1);
    ck_assert_uint_eq(marks_of(&r, "not reached", a), 0);
    ck_assert_uint_eq(marks_of(&r, "c goes on", UINT32_MAX), 1);
    /* the bare raise raised "first" again, after the inner handler's "second" */
    const trc_event *last = nth(&r, TRC_EV_RAISE, a, UINT32_MAX, 3);
    ck_assert_str_eq(ev_text(&r, last), "first");
    const trc_event *x = nth(&r, TRC_EV_UNIT_EXIT, a, UINT32_MAX, 0);
    ck_assert_uint_eq(x->aux, TRC_EXIT_ERROR);
    ck_assert_uint_eq(at(&r, x), 1 * MS);
    ck_assert(r.m.units[a].failed);
    ck_assert(!r.m.units[b].failed);
    /* Python prints "Exception in thread"; all_done does not hold */
    ck_assert_str_eq(r.res.warnings,
                     "dies:5:9: warning: a.0 died of an error it did not catch: first (Exception in thread a.0)\n");
    ck_assert_uint_eq(r.res.expect_failed, 1);
    ck_assert_str_eq(r.res.expect_report,
                     "dies:13:1: expect all_done: a.0 died of an error it did not catch: first (run ended: ok)\n");
    buf out = { 0 };
    trc_stats_text(&out, &r.m);
    buf_u8(&out, 0);
    ck_assert_msg(strstr((const char *)out.p, "died of an error at 1.00 ms"), "%s", (const char *)out.p);
    buf_release(&out);
    tu_ran_free(&r);
}
END_TEST

/* A task's error: its future fails (the pool counts it), result raises it again in
 * the caller; map raises it at the failed item and cancels the rest; as_completed
 * hands the future over with ok false; an error nobody retrieves is reported. */
START_TEST(errors_travel_through_futures) {
    ran r;
    det_run(&r, "futs",
            "pool p workers=1\ncounter got\ncounter saw_failure\n"
            "task work { sleep 1ms; if arg == 1 { raise \"KeyError: 1\" } }\n"
            "task cb { raise \"callback bug\" }\n"
            "actor main {\n"
            "  submit p work arg=1 as f\n"
            "  try { result f } except \"KeyError\" { incr got; mark \"re-raised\" }\n"
            "  try { map p work 4 { mark \"item\" } } except { incr got }\n"
            "  submit p work arg=0 as ok0\n"
            "  submit p work arg=1 as bad\n"
            "  as_completed { if not ok { incr saw_failure } }\n"
            "  submit p work arg=1 as lost\n"
            "  submit p work arg=0 as g\n"
            "  on_done g cb\n"
            "  result g\n"
            "}\n"
            "expect counter got == 2\nexpect counter saw_failure == 2\n");   /* f (already taken by result) and bad */
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t m = unit_named(&r, "main.0"), w = unit_named(&r, "p.0"), p = obj_named(&r, "p");
    /* future #1 failed on the worker: TASK_DONE says ERROR and which text */
    const trc_event *done = nth(&r, TRC_EV_TASK_DONE, w, p, 0);
    ck_assert_uint_eq(done->arg, 1);
    ck_assert_uint_eq(done->aux, TRC_OUT_ERROR);
    ck_assert_uint_gt(done->extra, 0);
    ck_assert_str_eq(r.run->strings[done->extra - 1], "KeyError: 1");
    /* the caller's result got ERROR and raised it again, naming the pool and the future */
    ck_assert_uint_eq(nth(&r, TRC_EV_RESULT, m, p, 0)->aux, TRC_OUT_ERROR);
    const trc_event *re = nth(&r, TRC_EV_RAISE, m, UINT32_MAX, 0);
    ck_assert_uint_eq(re->aux, TRC_RAISE_FUTURE);
    ck_assert_uint_eq(re->obj, p);
    ck_assert_uint_eq(re->extra, 1);
    ck_assert_str_eq(ev_text(&r, re), "KeyError: 1");
    ck_assert_uint_eq(mark_at(&r, "re-raised", m, 0), 1 * MS);
    /* map over items 0..3 (futures #2..#5): item 0's body ran, item 1 (#3) raised; item 2 was
     * running by then, item 3 (#5) still queued: cancelled, as map's iterator does */
    ck_assert_uint_eq(marks_of(&r, "item", m), 1);
    ck_assert_uint_eq(nth(&r, TRC_EV_RAISE, m, UINT32_MAX, 1)->extra, 3);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CANCEL, m, p), 1);
    ck_assert_uint_eq(nth(&r, TRC_EV_CANCEL, m, p, 0)->arg, 5);
    ck_assert_uint_eq(nth(&r, TRC_EV_CANCEL, m, p, 0)->aux, 1);
    /* the pool's figures: failed are the four that raised (#1, #3, #7, #8) */
    ck_assert_uint_eq(r.m.objects[p - 1].failed, 4);
    ck_assert_uint_eq(r.m.objects[p - 1].cancelled, 1);
    /* #8 was never retrieved; the callback's error was logged */
    ck_assert_str_eq(r.res.warnings,
                     "futs:4:38: warning: future #8 of pool 'p' (task 'work') failed and its error was never retrieved: "
                     "KeyError: 1 (Future exception was never retrieved)\n"
                     "futs:5:11: warning: a done-callback (task 'cb') of future #9 of pool 'p' raised an error, logged and "
                     "ignored: callback bug\n");
    tu_ran_free(&r);
}
END_TEST

/* A map whose block leaves early, by break or by an error, cancels the items still
 * queued (Python's for loop over executor.map closes the iterator, whose finally
 * cancels them); the one running runs on. */
START_TEST(a_map_left_early_cancels_the_rest) {
    ran r;
    det_run(&r, "mapleft",
            "pool p workers=1\ncounter ran\n"
            "task work { sleep 1ms; incr ran }\n"
            "actor main {\n"
            "  map p work 5 { if arg == 0 { break } }\n"
            "  if not ok { mark \"stopped early\" }\n"
            "  try { map p work 5 { if arg == 1 { raise \"ValueError\" } } } except { mark \"caught\" }\n"
            "}\n"
            "expect counter ran == 2 + 3\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t m = unit_named(&r, "main.0"), p = obj_named(&r, "p");
    /* first map: #1 done, #2 running when the block broke out, #3..#5 cancelled;
     * second: #6 and #7 done, #8 running, #9 and #10 cancelled */
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CANCEL, m, p), 5);
    static const uint64_t ids[5] = { 3, 4, 5, 9, 10 };
    for (size_t k = 0; k < 5; k++) {
        const trc_event *c = nth(&r, TRC_EV_CANCEL, m, p, k);
        ck_assert_uint_eq(c->arg, ids[k]);
        ck_assert_uint_eq(c->aux, 1);   /* in time: it was still queued */
    }
    ck_assert_uint_eq(r.m.objects[p - 1].cancelled, 5);
    ck_assert_uint_eq(marks_of(&r, "stopped early", m), 1);
    ck_assert_uint_eq(marks_of(&r, "caught", m), 1);
    tu_ran_free(&r);
}
END_TEST

/* The bundled retry scenario, run exactly: attempts at 0, 15 and 30 ms (a 5 ms call, a 10 ms
 * back-off), the first two re-raised by result and caught; with -D fails=9 the last attempt's
 * error is raised again by the bare raise and caught by the caller; the forgotten request's
 * error is reported. */
START_TEST(bundled_retry_scenario) {
    char *text;
    diag d;
    ck_assert_int_eq(file_read_all(WEFT_SOURCE_DIR "/scenarios/future_errors_retry.scn", &text, NULL, &d), 0);
    ran r;
    det_run(&r, "retry", text);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    uint32_t rt = unit_named(&r, "retrier.0"), ex = obj_named(&r, "executor");
    ck_assert_uint_eq(count_ev(&r, TRC_EV_RAISE, rt, UINT32_MAX), 2);
    for (size_t k = 0; k < 2; k++) {
        const trc_event *e = nth(&r, TRC_EV_RAISE, rt, UINT32_MAX, k);
        ck_assert_uint_eq(e->aux, TRC_RAISE_FUTURE);
        ck_assert_uint_eq(e->obj, ex);
        ck_assert_uint_eq(at(&r, e), 5 * MS + k * 15 * MS);
        ck_assert_str_eq(ev_text(&r, e), "ConnectionError: the service is not up yet");
    }
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CAUGHT, rt, UINT32_MAX), 2);
    ck_assert_uint_eq(r.m.objects[ex - 1].failed, 2 + 2 + 1);
    ck_assert_uint_eq(r.m.objects[ex - 1].completed, 1 + 3);
    ck_assert_msg(strstr(r.res.warnings, "warning: future #8 of pool 'executor' (task 'network_request') failed and its "
                                         "error was never retrieved: ConnectionError: cannot connect to "
                                         "http://example.com/api2 (Future exception was never retrieved)\n"),
                  "%s", r.res.warnings);
    tu_ran_free(&r);
    sim_define fails = { .name = "fails", .value = "9" };
    det_run_defs(&r, "retry9", text, &fails, 1);
    free(text);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    rt = unit_named(&r, "retrier.0");
    ck_assert_uint_eq(count_ev(&r, TRC_EV_RAISE, rt, UINT32_MAX), 4 + 1);   /* four from result, one bare raise */
    const trc_event *last = nth(&r, TRC_EV_RAISE, rt, UINT32_MAX, 4);
    ck_assert_uint_eq(last->aux, TRC_RAISE_STEP);
    ck_assert_str_eq(ev_text(&r, last), "ConnectionError: the service is not up yet");
    ck_assert_uint_eq(mark_at(&r, "every attempt failed", rt, 0), 3 * 15 * MS + 5 * MS);
    ck_assert(!r.m.units[rt].failed);
    tu_ran_free(&r);
}
END_TEST

/* The end of the run stops a unit at once: a finally does not run then (as a
 * daemon thread killed at exit runs nothing more). */
START_TEST(finally_does_not_run_when_the_run_ends) {
    ran r;
    det_run(&r, "killed", "event never\nactor d daemon { try { wait never } finally { mark \"cleanup\" } }\n"
                          "actor main { sleep 1ms }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(marks_of(&r, "cleanup", UINT32_MAX), 0);
    ck_assert(r.m.units[unit_named(&r, "d.0")].killed);
    tu_ran_free(&r);
}
END_TEST

START_TEST(error_syntax) {
    err_exact("actor a { raise }\n", 1, 17, "expected the error's \"text\" after raise, found '}'",
              "raise \"text\" raises an error; a bare raise (in an except block) raises the handled one again");
    err_exact("actor a { raise \"\" }\n", 1, 17, "an error needs a text", NULL);
    err_exact("task t { raise \"KeyError: \" + arg }\n", 1, 29, "an error's text is one string: it cannot be computed",
              "values are integers: raise a text per case (if arg == 1 { raise \"KeyError: 1\" })");
    err_exact("actor a { try { sleep 1ms } }\n", 1, 11, "a try needs an except or a finally",
              "try { ... } except { ... }, or try { ... } finally { ... }");
    err_exact("actor a { except { } }\n", 1, 11, "except without a try before it", NULL);
    err_exact("actor a { try { } finally { } except { } }\n", 1, 31, "except after finally",
              "the order is try { ... } except { ... } finally { ... }, with one finally at most");
    err_exact("actor a { try { } except { } except \"X\" { } }\n", 1, 30,
              "this except comes after one that catches every error", NULL);
    /* except and finally may start the next line */
    sim_program *p = parse_ok("actor a {\n  try { raise \"x\" }\n  except \"x\" { }\n  except { raise }\n  finally { }\n}\n");
    const sim_stmt *t = p->actors[0].body;
    ck_assert_int_eq(t->kind, SIM_S_TRY);
    ck_assert_int_eq(t->body->kind, SIM_S_RAISE);
    ck_assert_str_eq(t->body->text, "x");
    ck_assert_str_eq(t->handlers->text, "x");
    ck_assert_ptr_null(t->handlers->next->text);
    ck_assert_int_eq(t->handlers->next->body->kind, SIM_S_RAISE);
    ck_assert_ptr_null(t->handlers->next->body->text);
    ck_assert_ptr_null(t->handlers->next->next);
    ck_assert_ptr_null(t->final);
    sim_program_free(p);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("lang_errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, try_except_finally);
    tcase_add_test(tc, uncaught_errors_end_the_thread);
    tcase_add_test(tc, errors_travel_through_futures);
    tcase_add_test(tc, finally_does_not_run_when_the_run_ends);
    tcase_add_test(tc, a_map_left_early_cancels_the_rest);
    tcase_add_test(tc, bundled_retry_scenario);
    tcase_add_test(tc, error_syntax);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
