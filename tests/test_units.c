/* Units and pools on the threads backend: spawn, join, daemons, thread-locals,
 * pools and futures, expect order / makespan, and their parse errors. Every run
 * test runs a scenario for real and asserts on the recorded events. Orderings
 * that matter are forced with events, never left to timing. */
#include "testutil.h"
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000000ull

typedef tu_ran ran;
#define ran_free tu_ran_free
#define parse_err tu_parse_err
static void run_text(ran *out, const char *name, const char *text) { tu_run_text(out, name, text, NULL, 0); }


/* Index of the first event of `kind` (by unit, arg; UINT32_MAX / UINT64_MAX = any) at or after `from`, or -1. */
static long find_ev(const ran *r, size_t from, uint16_t kind, uint32_t unit, uint64_t arg) {
    for (size_t i = from; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == kind && (unit == UINT32_MAX || e->unit == unit) && (arg == UINT64_MAX || e->arg == arg))
            return (long)i;
    }
    return -1;
}

static size_t count_ev(const ran *r, uint16_t kind, uint32_t unit) {
    size_t n = 0;
    for (size_t i = 0; i < r->run->nevents; i++)
        n += r->run->events[i].kind == kind && (unit == UINT32_MAX || r->run->events[i].unit == unit);
    return n;
}

static int64_t counter(const ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nobjects; i++)
        if (!strcmp(r->run->objects[i].name, name)) return r->m.objects[i].final_value;
    ck_abort_msg("no counter %s", name);
    return 0;
}

static size_t count_flows(const ran *r, unsigned kind) {
    size_t n = 0;
    for (size_t i = 0; i < r->m.nflows; i++) n += r->m.flows[i].kind == kind;
    return n;
}

/* ---- spawn, join, daemons ------------------------------------------------ */

START_TEST(spawn_and_join_are_recorded_with_flows) {
    ran r;
    run_text(&r, "spawn_join",
             "actor worker * 3 spawned { sleep 2ms }\n"
             "actor main { spawn worker; join worker; mark \"joined\" }\n"
             "expect all_done\nexpect order worker < main\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "worker.%d", k);
        uint32_t w = tu_unit_named(&r, name);
        long sp = find_ev(&r, 0, TRC_EV_SPAWN, main, w);
        long st = find_ev(&r, 0, TRC_EV_UNIT_START, w, UINT64_MAX);
        long ex = find_ev(&r, 0, TRC_EV_UNIT_EXIT, w, UINT64_MAX);
        long jn = find_ev(&r, 0, TRC_EV_JOINED, main, w);
        ck_assert(sp >= 0 && st > sp && ex > st && jn > ex);
        ck_assert_uint_eq(r.m.units[w].spawner, main);
        ck_assert_uint_eq(r.m.units[w].joiner, main);
    }
    ck_assert_uint_eq(count_flows(&r, TRC_FLOW_SPAWN), 3);
    ck_assert_uint_eq(count_flows(&r, TRC_FLOW_JOIN), 3);
    ran_free(&r);
}
END_TEST

START_TEST(join_timeout_leaves_the_thread_running) {
    ran r;
    run_text(&r, "join_timeout",
             "event go\ncounter late\n"
             "actor slow spawned { wait go; sleep 1ms }\n"
             "actor main {\n"
             "  spawn slow\n"
             "  join slow timeout=5ms\n"
             "  if timed_out { incr late }\n"
             "  set go\n"
             "  join slow\n"
             "}\n"
             "expect counter late == 1\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0"), slow = tu_unit_named(&r, "slow.0");
    long w1 = find_ev(&r, 0, TRC_EV_WAIT_BEGIN, main, UINT64_MAX);
    ck_assert_int_ge(w1, 0);
    ck_assert_uint_eq(r.run->events[w1].aux, TRC_OP_JOIN);
    long e1 = find_ev(&r, (size_t)w1, TRC_EV_WAIT_END, main, UINT64_MAX);
    ck_assert_uint_eq(r.run->events[e1].aux, TRC_OUT_TIMEOUT);
    long ex = find_ev(&r, 0, TRC_EV_UNIT_EXIT, slow, UINT64_MAX);
    ck_assert_int_gt(ex, e1);   /* it went on after the timed-out join */
    ck_assert_int_gt(find_ev(&r, (size_t)ex, TRC_EV_JOINED, main, slow), ex);
    ran_free(&r);
}
END_TEST

START_TEST(daemons_are_cut_off_at_exit) {
    ran r;
    run_text(&r, "daemon",
             "actor beat daemon { loop { sleep 1ms; mark \"beat\" } }\n"
             "event never\nactor idle daemon { wait never }\n"
             "actor main { sleep 10ms }\n"
             "expect all_done\nexpect order main < beat\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t beat = tu_unit_named(&r, "beat.0"), main = tu_unit_named(&r, "main.0");
    long k = find_ev(&r, 0, TRC_EV_DAEMON_KILLED, beat, UINT64_MAX);
    long ex = find_ev(&r, 0, TRC_EV_UNIT_EXIT, beat, UINT64_MAX);
    ck_assert(k >= 0 && ex > k);
    ck_assert_uint_eq(r.run->events[ex].aux, TRC_EXIT_KILLED);
    ck_assert(r.m.units[beat].killed);
    ck_assert(r.run->events[k].t >= r.run->events[find_ev(&r, 0, TRC_EV_UNIT_EXIT, main, UINT64_MAX)].t);
    /* a killed daemon never counts as having finished */
    ck_assert_uint_eq(r.res.expect_failed, 1);
    ck_assert_ptr_nonnull(strstr(r.res.expect_report, "'beat' never finished"));
    ran_free(&r);
}
END_TEST

START_TEST(deadlock_through_a_join_is_a_cycle) {
    ran r;
    run_text(&r, "join_cycle",
             "lock m\n"
             "actor child spawned { lock m }\n"
             "actor main { lock m; spawn child; join child }\n"
             "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_ptr_nonnull(strstr(r.res.report, "main.0 waits to join child.0"));
    ck_assert_ptr_nonnull(strstr(r.res.report, "child.0 waits to acquire lock 'm'"));
    ck_assert_ptr_nonnull(strstr(r.run->report, "cycle of 2"));
    ran_free(&r);
}
END_TEST

START_TEST(starting_twice_and_joining_unstarted_are_errors) {
    ran r;
    run_text(&r, "spawn_twice", "actor w spawned { sleep 1ms }\nactor main {\n  spawn w\n  spawn w\n}\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_ptr_nonnull(strstr(r.res.report, "spawn_twice:4:3: actor 'w' was already started"));
    ran_free(&r);
    run_text(&r, "join_unstarted", "actor w spawned { sleep 1ms }\nactor main {\n  join w\n  spawn w\n}\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_ptr_nonnull(strstr(r.res.report, "join_unstarted:3:3: join of w.0, which was never started"));
    ran_free(&r);
}
END_TEST

START_TEST(runaway_recursion_hits_a_limit) {
    ran r;
    run_text(&r, "cb_loop", "pool p workers=1\ntask t { sleep 1ms }\ntask cb { on_done f cb }\n"
             "actor main { submit p t as f; result f; on_done f cb }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_ptr_nonnull(strstr(r.res.report, "cb_loop:3:6: done-callbacks nested more than 64 deep"));
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CALLBACK, UINT32_MAX), 64);
    ran_free(&r);
    run_text(&r, "rlock_loop", "rlock r\nactor a { loop { lock r } }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_ptr_nonnull(strstr(r.res.report, "rlock_loop:2:18: rlock 'r' taken 1000000 times"));
    ran_free(&r);
}
END_TEST

/* ---- thread-locals ---------------------------------------------------------- */

START_TEST(thread_locals_persist_on_a_pooled_worker) {
    ran r;
    run_text(&r, "tls",
             "pool p workers=1\nlocal user\ncounter leaks\n"
             "task handle {\n"
             "  if arg == 1 { let user = 42 }\n"
             "  if arg == 2 and user != 0 { incr leaks }\n"
             "}\n"
             "counter fresh\n"
             "actor main { submit p handle arg=0; submit p handle arg=1; submit p handle arg=2 as c; result c }\n"
             "actor other { sleep 2ms; if user == 0 { incr fresh } }\n"
             "expect counter leaks == 1\nexpect counter fresh == 1\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t w = tu_unit_named(&r, "p.0");
    long ls = find_ev(&r, 0, TRC_EV_LOCAL_SET, w, UINT64_MAX);
    ck_assert_int_ge(ls, 0);
    ck_assert_str_eq(r.run->strings[r.run->events[ls].arg], "user=42");
    ck_assert_uint_eq(count_ev(&r, TRC_EV_LOCAL_SET, UINT32_MAX), 1);
    ck_assert_int_eq(counter(&r, "leaks"), 1);
    /* the model shows it as an instant with its text */
    bool seen = false;
    for (size_t i = 0; i < r.m.ninstants; i++)
        seen |= r.m.instants[i].kind == TRC_EV_LOCAL_SET && !strcmp(r.m.instants[i].text, "user=42");
    ck_assert(seen);
    ran_free(&r);
}
END_TEST

START_TEST(run_time_texts_are_capped) {
    ran r;
    run_text(&r, "many_texts", "local v\nactor a { repeat 70000 { let v = v + 1 } }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.run->nstrings, SIM_MAX_RUN_STRINGS + 1);   /* v=1 .. v=65536, then one overflow text */
    ck_assert_str_eq(r.run->strings[0], "v=1");
    ck_assert_str_eq(r.run->strings[SIM_MAX_RUN_STRINGS - 1], "v=65536");
    ck_assert_ptr_nonnull(strstr(r.run->strings[SIM_MAX_RUN_STRINGS], "more distinct texts"));
    ran_free(&r);
}
END_TEST

/* ---- pools and futures ---------------------------------------------------------- */

/* Pool of 2: the task with arg 0 waits until the task with arg 3 has run. */
#define SKEWED "pool p workers=2\nevent slow_ok\n" \
               "task work { if arg == 0 { wait slow_ok } else { sleep 1ms }\n if arg == 3 { set slow_ok } }\n"

START_TEST(map_hands_results_back_in_input_order) {
    ran r;
    run_text(&r, "map_order", SKEWED "counter seen\n"
             "actor main { map p work 4 { incr seen } }\n"
             "expect counter seen == 4\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    /* results in input order 1..4, although future 1 finished last */
    long prev = -1;
    for (uint64_t id = 1; id <= 4; id++) {
        long res = find_ev(&r, 0, TRC_EV_RESULT, main, id);
        ck_assert_int_gt(res, prev);
        ck_assert_uint_eq(r.run->events[res].aux, TRC_OUT_OK);
        prev = res;
    }
    long d1 = find_ev(&r, 0, TRC_EV_TASK_DONE, UINT32_MAX, 1), d2 = find_ev(&r, 0, TRC_EV_TASK_DONE, UINT32_MAX, 2);
    ck_assert_int_lt(d2, d1);                                          /* head-of-line: 2 was ready first */
    ck_assert_int_gt(find_ev(&r, 0, TRC_EV_RESULT, main, 2), d1);      /* and handed back only after 1 */
    ck_assert_str_eq(r.m.futures[0].task, "work");   /* SUBMIT names its task */
    ck_assert_uint_eq(count_flows(&r, TRC_FLOW_SUBMIT), 4);
    ck_assert_uint_eq(count_flows(&r, TRC_FLOW_TASK), 4);
    ck_assert_uint_eq(count_flows(&r, TRC_FLOW_RESULT), 4);
    ran_free(&r);
}
END_TEST

START_TEST(as_completed_follows_completion_order) {
    ran r;
    run_text(&r, "as_completed2", SKEWED
             "actor main {\n"
             "  submit p work arg=0\n  submit p work arg=1\n  submit p work arg=2\n  submit p work arg=3\n"
             "  as_completed { if arg == 0 { mark \"slow one\" } else { mark \"fast one\" } }\n"
             "}\n"
             "expect order \"fast one\" < \"slow one\"\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    /* RESULT events follow the TASK_DONE order */
    uint64_t done_order[4], res_order[4];
    size_t nd = 0, nr = 0;
    for (size_t i = 0; i < r.run->nevents; i++) {
        const trc_event *e = &r.run->events[i];
        if (e->kind == TRC_EV_TASK_DONE) done_order[nd++] = e->arg;
        if (e->kind == TRC_EV_RESULT && e->unit == main) res_order[nr++] = e->arg;
    }
    ck_assert_uint_eq(nd, 4);
    ck_assert_uint_eq(nr, 4);
    ck_assert_mem_eq(done_order, res_order, sizeof done_order);
    ck_assert(res_order[0] != 1 && res_order[1] != 1);   /* the slow one finishes after two fast ones */
    ran_free(&r);
}
END_TEST

START_TEST(workers_start_lazily) {
    ran r;
    run_text(&r, "lazy", "pool p workers=4\ntask t { sleep 1ms }\n"
             "actor main { submit p t as a; result a; submit p t as b; result b }\n");
    uint32_t started = 0;
    for (int k = 0; k < 4; k++) {
        char name[16];
        snprintf(name, sizeof name, "p.%d", k);
        started += find_ev(&r, 0, TRC_EV_UNIT_START, tu_unit_named(&r, name), UINT64_MAX) >= 0;
    }
    ck_assert_uint_eq(started, 1);   /* the second task went to the idle worker */
    ck_assert_uint_eq(r.m.objects[0].submitted, 2);
    ck_assert_uint_eq(r.m.objects[0].completed, 2);
    ran_free(&r);
}
END_TEST

START_TEST(result_timeout_leaves_the_task_running) {
    ran r;
    run_text(&r, "result_timeout",
             "pool p workers=1\nevent go\ncounter timeouts\n"
             "task long { wait go }\n"
             "actor main {\n"
             "  submit p long as f\n"
             "  result f timeout=5ms\n"
             "  if timed_out { incr timeouts }\n"
             "  set go\n"
             "  result f\n"
             "  if ok { mark \"got it\" }\n"
             "}\n"
             "expect counter timeouts == 1\nexpect order \"got it\" < main\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    long r1 = find_ev(&r, 0, TRC_EV_RESULT, main, 1);
    long done = find_ev(&r, 0, TRC_EV_TASK_DONE, UINT32_MAX, 1);
    long r2 = find_ev(&r, (size_t)r1 + 1, TRC_EV_RESULT, main, 1);
    ck_assert_uint_eq(r.run->events[r1].aux, TRC_OUT_TIMEOUT);
    ck_assert(r1 < done && done < r2);   /* the task went on after the timeout */
    ck_assert_uint_eq(r.run->events[r2].aux, TRC_OUT_OK);
    ck_assert_uint_eq(r.m.futures[0].result_timeouts, 1);
    ran_free(&r);
}
END_TEST

START_TEST(cancel_succeeds_only_while_pending) {
    ran r;
    run_text(&r, "cancel",
             "pool p workers=1\nevent go\nevent started\ncounter cancelled\ncounter refused\n"
             "task long { set started; wait go }\n"
             "actor main {\n"
             "  submit p long as running\n"
             "  submit p long as queued\n"
             "  wait started\n"
             "  cancel queued\n  if ok { incr cancelled } else { incr refused }\n"
             "  cancel running\n  if ok { incr cancelled } else { incr refused }\n"
             "  set go\n"
             "  result queued\n  if timed_out { mark \"cancelled error\" }\n"
             "}\n"
             "expect counter cancelled == 1\nexpect counter refused == 1\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    long c2 = find_ev(&r, 0, TRC_EV_CANCEL, main, 2), c1 = find_ev(&r, 0, TRC_EV_CANCEL, main, 1);
    ck_assert(c2 >= 0 && c1 > c2);
    ck_assert_uint_eq(r.run->events[c2].aux, 1);   /* pending: cancelled */
    ck_assert_uint_eq(r.run->events[c1].aux, 0);   /* running: cannot be */
    ck_assert_uint_eq(r.run->events[find_ev(&r, 0, TRC_EV_RESULT, main, 2)].aux, TRC_OUT_CANCELLED);
    ck_assert_int_lt(find_ev(&r, 0, TRC_EV_TASK_START, UINT32_MAX, 2), 0);   /* never ran */
    ck_assert_uint_eq(r.m.objects[0].cancelled, 1);
    ck_assert_uint_eq(r.m.objects[0].cancel_failed, 1);
    ck_assert_uint_eq(r.m.nmarks, 1);
    ran_free(&r);
}
END_TEST

START_TEST(done_callbacks_run_on_the_worker_after_waiters_wake) {
    ran r;
    run_text(&r, "callbacks",
             "pool p workers=1\nevent go\ncounter calls\n"
             "task long { wait go }\n"
             "task cb { incr calls }\n"
             "actor main {\n"
             "  submit p long as f\n"
             "  on_done f cb\n"
             "  on_done f cb\n"
             "  set go\n"
             "  result f\n"
             "  on_done f cb\n"      /* already done: runs here, on main */
             "}\n"
             "expect counter calls == 3\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0"), w = tu_unit_named(&r, "p.0");
    long done = find_ev(&r, 0, TRC_EV_TASK_DONE, w, 1);
    long c1 = find_ev(&r, 0, TRC_EV_CALLBACK, w, 1);
    long c2 = find_ev(&r, (size_t)c1 + 1, TRC_EV_CALLBACK, w, 1);
    ck_assert(done >= 0 && c1 > done && c2 > c1);
    ck_assert_int_ge(find_ev(&r, 0, TRC_EV_CALLBACK, main, 1), 0);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_CALLBACK, UINT32_MAX), 3);
    /* (the model's callback_unit is the first by time: main's immediate one may come before the worker's) */
    ran_free(&r);
}
END_TEST

START_TEST(shutdown_modes_and_submit_after_shutdown) {
    ran r;
    run_text(&r, "shutdown",
             "pool nowait workers=1\npool waits workers=1\nevent go\ncounter rejected\n"
             "task long { wait go }\n"
             "task short { sleep 1ms }\n"
             "actor main {\n"
             "  submit nowait long\n  submit nowait long\n"
             "  shutdown nowait wait=no\n"
             "  mark \"shutdown returned\"\n"
             "  submit nowait short\n  if timed_out { incr rejected }\n"
             "  set go\n"
             "  submit waits short\n  submit waits short\n"
             "  shutdown waits\n"
             "  mark \"drained\"\n"
             "}\n"
             "expect counter rejected == 1\nexpect order \"shutdown returned\" < long\nexpect order short < \"drained\"\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    long err = find_ev(&r, 0, TRC_EV_ERROR, main, UINT64_MAX);
    ck_assert_int_ge(err, 0);
    ck_assert_uint_eq(r.run->events[err].obj, 1);
    ck_assert_ptr_nonnull(strstr(r.run->strings[r.run->events[err].arg], "submit after shutdown"));
    /* wait=yes: main blocks (op join on the pool) until its worker has exited */
    long wb = -1;
    for (long i = 0; (i = find_ev(&r, (size_t)(i < 0 ? 0 : i), TRC_EV_WAIT_BEGIN, main, UINT64_MAX)) >= 0; i++)
        if (r.run->events[i].aux == TRC_OP_JOIN && r.run->events[i].obj == 2) { wb = i; break; }
    ck_assert_int_ge(wb, 0);
    long we = find_ev(&r, (size_t)wb, TRC_EV_WAIT_END, main, UINT64_MAX);
    long wx = find_ev(&r, 0, TRC_EV_UNIT_EXIT, tu_unit_named(&r, "waits.0"), UINT64_MAX);
    ck_assert(wx >= 0 && wx < we);
    ck_assert_uint_eq(r.m.objects[0].submitted, 2);   /* the rejected one is no future */
    ck_assert_uint_eq(r.m.objects[0].completed, 2);   /* queued tasks ran after shutdown(wait=no) */
    ran_free(&r);
}
END_TEST

START_TEST(deadlock_through_a_future_is_a_cycle) {
    ran r;
    run_text(&r, "future_cycle",
             "lock m\npool p workers=1\n"
             "task needs_m { lock m; unlock m }\n"
             "actor main { lock m; submit p needs_m as f; result f; unlock m }\n"
             "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_ptr_nonnull(strstr(r.res.report, "main.0 waits for the result of future #1 of pool 'p' (task 'needs_m')"));
    ck_assert_ptr_nonnull(strstr(r.res.report, "running on p.0"));
    ran_free(&r);
}
END_TEST

START_TEST(stuck_result_is_reported) {
    ran r;
    run_text(&r, "future_stuck", "pool p workers=1\nevent never\ntask t { wait never }\n"
             "actor main { submit p t as f; result f }\nexpect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_ptr_nonnull(strstr(r.res.report, "p.0 waits for event 'never'"));
    ran_free(&r);
}
END_TEST

/* ---- expectations ----------------------------------------------------------- */

START_TEST(order_and_makespan_expectations_fail_clearly) {
    ran r;
    run_text(&r, "expect_fail",
             "event ev\n"   /* ordered by events and a join, not by sleeps: b ends after a */
             "actor a { mark \"a done\"; set ev }\n"
             "actor b { wait ev; join a; sleep 1ms; mark \"b done\" }\n"
             "expect order \"b done\" < \"a done\"\n"
             "expect order a < b\n"
             "expect makespan < 1ms\n"
             "expect makespan >= 1ms\n");
    ck_assert_uint_eq(r.res.expect_failed, 2);
    ck_assert_ptr_nonnull(strstr(r.res.expect_report, "expect_fail:4:1: expect order: 'b done' came"));
    ck_assert_ptr_nonnull(strstr(r.res.expect_report, "after 'a done'"));
    /* issue 9: the expectation is quoted, not "expect at column 1" */
    ck_assert_msg(strstr(r.res.expect_report, "expect_fail:6:1: expect makespan < 1ms does not hold: the makespan was "),
                  "%s", r.res.expect_report);
    ran_free(&r);
}
END_TEST

/* A sweep on several backends: makespan[P=v] names the run of the backend
 * being checked (issue 12); `on` restricts an expectation to backends. */
START_TEST(sweep_relations_are_evaluated_within_each_backend) {
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "s.scn",
                               "param w = 1\npool p workers=w\ntask t { sleep 1ms }\n"
                               "actor main { map p t 4 }\n"
                               "sweep w = 1, 4\n"
                               "expect makespan[w=4] * 2 < makespan[w=1]\n"
                               "expect makespan[w=4] * 3 < makespan[w=1] on coroutines\n"
                               "expect all_done on threads, processes\n",
                               NULL, 0, &d), 0);
    ck_assert_uint_eq(p->expects[0].on_backends, 0);
    ck_assert_uint_eq(p->expects[1].on_backends, 1u << SIM_BACKEND_COROUTINES);
    ck_assert_uint_eq(p->expects[2].on_backends, (1u << SIM_BACKEND_THREADS) | (1u << SIM_BACKEND_PROCESSES));
    sim_run_key keys[4] = { { SIM_BACKEND_THREADS, 0, 1 }, { SIM_BACKEND_THREADS, 0, 4 },
                            { SIM_BACKEND_COROUTINES, 0, 1 }, { SIM_BACKEND_COROUTINES, 0, 4 } };
    /* each backend's pair on its own: threads holds both, coroutines neither */
    uint64_t ms[4] = { 40 * MS, 10 * MS, 40 * MS, 30 * MS };
    char rep[4096] = "";
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, NULL, 4, rep, sizeof rep), 2);
    ck_assert_msg(strstr(rep, "s.scn:6:1: expect makespan[w=4] * 2 < makespan[w=1] does not hold (on coroutines): the "
                              "makespans were w=1: 40.0 ms, w=4: 30.0 ms\n"), "%s", rep);
    ck_assert_msg(strstr(rep, "s.scn:7:1: expect makespan[w=4] * 3 < makespan[w=1] on coroutines does not hold: the makespans were"), "%s", rep);
    ck_assert_msg(!strstr(rep, "on threads"), "%s", rep);
    /* `on coroutines` leaves threads out: 15 ms * 3 > 40 ms there does not count */
    uint64_t ms2[4] = { 40 * MS, 15 * MS, 40 * MS, 10 * MS };
    rep[0] = 0;
    ck_assert_uint_eq(sim_check_runs(p, keys, ms2, NULL, 4, rep, sizeof rep), 0);
    /* a backend that did not run: its `on` relation is not checked */
    ck_assert_uint_eq(sim_check_runs(p, keys, ms2, NULL, 2, rep, sizeof rep), 0);
    sim_program_free(p);

    /* makespan[backend=B] still compares across backends, restricted by `on` */
    ck_assert_int_eq(sim_parse(&p, "b.scn", "actor main { sleep 1ms }\n"
                               "expect makespan[backend=coroutines] < makespan[backend=threads]\n", NULL, 0, &d), 0);
    sim_run_key kb[2] = { { SIM_BACKEND_THREADS, UINT32_MAX, 0 }, { SIM_BACKEND_COROUTINES, UINT32_MAX, 0 } };
    uint64_t mb[2] = { 20 * MS, 10 * MS };
    rep[0] = 0;
    ck_assert_uint_eq(sim_check_runs(p, kb, mb, NULL, 2, rep, sizeof rep), 0);
    sim_program_free(p);

    /* errors name the place */
    ck_assert_int_ne(sim_parse(&p, "e.scn", "actor main { sleep 1ms }\nexpect all_done on fibers\n", NULL, 0, &d), 0);
    ck_assert_msg(strstr(d.msg, "expected a backend after 'on' (threads, processes or coroutines), found 'fibers'"), "%s", d.msg);
    ck_assert_int_eq(d.line, 2);
    ck_assert_int_eq(d.col, 20);
    ck_assert_int_ne(sim_parse(&p, "e.scn", "actor main { sleep 1ms }\nexpect all_done on threads, threads\n", NULL, 0, &d), 0);
    ck_assert_msg(strstr(d.msg, "backend 'threads' is named twice after 'on'"), "%s", d.msg);
}
END_TEST

START_TEST(sweep_relations_are_checked_across_runs) {
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "s.scn",
                               "param workers = 1\npool p workers=workers\ntask t { sleep 1ms }\n"
                               "actor main { map p t 4 }\n"
                               "sweep workers = 1, 4\n"
                               "expect makespan[workers=4] * 2 < makespan[workers=1]\n"
                               "expect makespan[workers=8] > 0ms\n",
                               NULL, 0, &d), 0);
    ck_assert_uint_eq(p->nsweep, 2);
    ck_assert_int_eq(p->sweep_values[1], 4);
    ck_assert(p->expects[0].across_runs);
    /* the real path: the runs' keys (threads, workers=1 and 4) and their makespans through sim_check_runs */
    sim_run_key keys[2] = { { SIM_BACKEND_THREADS, 0, 1 }, { SIM_BACKEND_THREADS, 0, 4 } };
    uint64_t good[2] = { 40 * MS, 10 * MS }, bad[2] = { 40 * MS, 30 * MS };
    char rep[2048] = "";
    ck_assert_uint_eq(sim_check_runs(p, keys, good, NULL, 2, rep, sizeof rep), 1);   /* workers=8 never ran */
    ck_assert_msg(strstr(rep, "s.scn:7:1: expect makespan[workers=8] > 0ms: no run with workers=8 was recorded"), "%s", rep);
    rep[0] = 0;
    ck_assert_uint_eq(sim_check_runs(p, keys, bad, NULL, 2, rep, sizeof rep), 2);
    /* the expectation quoted as written (issue 9), then what the runs measured */
    ck_assert_msg(strstr(rep, "s.scn:6:1: expect makespan[workers=4] * 2 < makespan[workers=1] does not hold: the makespans "
                              "were workers=1: 40.0 ms, workers=4: 30.0 ms"), "%s", rep);
    /* before anything runs (weft check, weft run before it records): workers=8 names no run, at its place */
    ck_assert_int_eq(sim_check_selectors(p, keys, 2, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 7);
    ck_assert_int_eq(d.col, 8);
    ck_assert_str_eq(d.msg, "makespan[workers=8] names no run: its runs are on threads with workers = 1, 4");
    sim_program_free(p);
}
END_TEST

/* fix6: a selector that names no run (a backend the runs are not on, a value the sweep never
 * takes) or several is refused before anything runs, saying what the runs are */
START_TEST(run_selectors_are_checked_before_the_runs) {
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "b.scn",
                               "param mode = 0\nactor a { sleep 1ms }\nsweep mode = 0, 1\n"
                               "backends threads, coroutines\n"
                               "expect makespan[mode=1] < makespan[mode=0]\n"
                               "expect resident_per_unit[backend=processes] < 1MiB\n",
                               NULL, 0, &d), 0);
    sim_run_key keys[4] = { { SIM_BACKEND_THREADS, 0, 0 }, { SIM_BACKEND_THREADS, 0, 1 },
                            { SIM_BACKEND_COROUTINES, 0, 0 }, { SIM_BACKEND_COROUTINES, 0, 1 } };
    ck_assert_int_eq(sim_check_selectors(p, keys, 4, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 6);
    ck_assert_int_eq(d.col, 8);
    ck_assert_str_eq(d.msg, "resident_per_unit[backend=processes] names no run: its runs are on threads and coroutines "
                            "with mode = 0, 1");
    ck_assert_msg(strstr(d.hint, "`backends`"), "%s", d.hint);
    ck_assert_str_eq(d.snippet, "expect resident_per_unit[backend=processes] < 1MiB");
    sim_program_free(p);

    /* [backend=B] beside a sweep on several backends is a run per value: several */
    ck_assert_int_eq(sim_parse(&p, "b.scn",
                               "param mode = 0\nactor a { sleep 1ms }\nsweep mode = 0, 1\n"
                               "expect makespan[backend=threads] < 1s\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_selectors(p, keys, 4, &d), -ERR_SCENARIO);
    ck_assert_str_eq(d.msg, "makespan[backend=threads] names 2 runs (its runs are on threads and coroutines with "
                            "mode = 0, 1): it must name one");
    /* one value alone on each backend: one run each */
    ck_assert_int_eq(sim_check_selectors(p, (sim_run_key[]){ { SIM_BACKEND_THREADS, 0, 0 }, { SIM_BACKEND_COROUTINES, 0, 0 } },
                                         2, &d), 0);
    sim_program_free(p);

    /* a value per backend (`backend B if EXPR`): [mode=2] is no run; the runs are told run by run;
     * a selector under `on` is checked over the runs of those backends only */
    ck_assert_int_eq(sim_parse(&p, "b.scn",
                               "param mode = 0\nactor a { sleep 1ms }\nsweep mode = 0, 1\n"
                               "expect makespan[mode=0] < makespan[mode=1]\n"
                               "expect makespan[mode=1] < 1s on coroutines\n"
                               "expect makespan[mode=2] < makespan[mode=1]\n", NULL, 0, &d), 0);
    sim_run_key own[2] = { { SIM_BACKEND_THREADS, 0, 0 }, { SIM_BACKEND_COROUTINES, 0, 1 } };
    ck_assert_int_eq(sim_check_selectors(p, own, 2, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 6);
    ck_assert_str_eq(d.msg, "makespan[mode=2] names no run: its runs are mode=0 on threads, mode=1 on coroutines");
    sim_program_free(p);

    /* no sweep: [P=v] names no run, and the hint says how to sweep */
    ck_assert_int_eq(sim_parse(&p, "b.scn", "param w = 1\nactor a { sleep 1ms }\nexpect makespan[w=2] < 1s\n", NULL, 0,
                               &d), 0);
    sim_run_key one = { SIM_BACKEND_THREADS, UINT32_MAX, 0 };
    ck_assert_int_eq(sim_check_selectors(p, &one, 1, &d), -ERR_SCENARIO);
    ck_assert_str_eq(d.msg, "makespan[w=2] names no run: it runs once, on threads, and it sweeps no parameter");
    ck_assert_msg(strstr(d.hint, "`sweep w = ...`"), "%s", d.hint);
    sim_program_free(p);
}
END_TEST

/* fix6 (part B): a failed relation whose makespans print alike ("14.1 ms, 14.1 ms" for a `<=` that
 * does not hold) shows them finely enough to see the difference */
START_TEST(close_makespans_are_told_apart) {
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "c.scn", "param cap = 1\nactor a { sleep 1ms }\nsweep cap = 1, 4\n"
                                            "expect makespan[cap=4] <= makespan[cap=1]\n", NULL, 0, &d), 0);
    sim_run_key keys[2] = { { SIM_BACKEND_THREADS, 0, 1 }, { SIM_BACKEND_THREADS, 0, 4 } };
    uint64_t ms[2] = { 14100000, 14140000 };
    char rep[2048] = "";
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, NULL, 2, rep, sizeof rep), 1);
    ck_assert_msg(strstr(rep, "the makespans were cap=1: 14.100 ms, cap=4: 14.140 ms"), "%s", rep);
    /* apart at the usual precision: as before */
    uint64_t far[2] = { 14100000, 20000000 };
    rep[0] = 0;
    ck_assert_uint_eq(sim_check_runs(p, keys, far, NULL, 2, rep, sizeof rep), 1);
    ck_assert_msg(strstr(rep, "the makespans were cap=1: 14.1 ms, cap=4: 20.0 ms"), "%s", rep);
    sim_program_free(p);
}
END_TEST

/* ---- parse errors ------------------------------------------------------------ */

START_TEST(unit_and_pool_misuse_errors) {
    parse_err("actor w { sleep 1ms }\nactor main { spawn w }\n", 2, 20, "actor 'w' starts with the run", "actor w spawned");
    parse_err("actor main { join workr }\nactor worker { sleep 1ms }\n", 1, 19, "unknown actor 'workr'", "did you mean 'worker'?");
    parse_err("actor main { join main }\n", 1, 19, "actor 'main' joins itself", NULL);
    parse_err("actor main { spawn a }\nactor a spawned { spawn b }\nactor b spawned { spawn a }\n", 3, 25,
              "a cycle in spawn: a spawns b spawns a", NULL);
    parse_err("actor main { sleep 1ms }\nactor w spawned { sleep 1ms }\n", 2, 7, "actor 'w' is spawned but no step spawns it",
              NULL);
    parse_err("pool p workers=2\nactor main { submit p wrk }\ntask work { sleep 1ms }\n", 2, 23, "unknown task 'wrk'",
              "did you mean 'work'?");
    parse_err("lock p\ntask t { sleep 1ms }\nactor main { submit p t }\n", 3, 21, "'p' is a lock: cannot submit to it", NULL);
    parse_err("pool p workers=1\ntask t { sleep 1ms }\nactor main { submit p t as f; result g }\n", 3, 38,
              "unknown future 'g'", NULL);
    parse_err("actor main { sleep arg * 1ms }\n", 1, 20, "'arg' has a value only in a task", NULL);
    parse_err("actor main { sleep makespan }\n", 1, 20, "'makespan' is known only after the run", NULL);
    parse_err("param n = 1\nsweep m = 1, 2\nactor main { sleep 1ms }\n", 2, 7, "sweep over an unknown parameter 'm'",
              "did you mean 'n'?");
    parse_err("pool p workers=0\nactor main { sleep 1ms }\n", 1, 16, "a pool's workers must be 1..", NULL);
    parse_err("actor main { let x = 1 }\n", 1, 18, "unknown thread-local value 'x'", "local x");
    parse_err("actor main { mark \"a\" }\nexpect order \"a\" < \"b\"\n", 2, 20, "no step marks \"b\"", NULL);
    parse_err("actor main { sleep 1ms } \nexpect order main < nobody\n", 2, 21, "'nobody' is not an actor or a task", NULL);
    parse_err("actor main daemonic { sleep 1ms }\n", 1, 12, "found 'daemonic'", "daemon, spawned");
    parse_err("pool p workers=1\nactor main { shutdown p wait=maybe }\n", 2, 30, "expected yes or no", NULL);
    parse_err("param w = 4000\npool p workers=w\nactor main * 100 { sleep 1ms }\n", 2, 16, "weft runs at most", NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("units");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, spawn_and_join_are_recorded_with_flows);
    tcase_add_test(tc, join_timeout_leaves_the_thread_running);
    tcase_add_test(tc, daemons_are_cut_off_at_exit);
    tcase_add_test(tc, deadlock_through_a_join_is_a_cycle);
    tcase_add_test(tc, starting_twice_and_joining_unstarted_are_errors);
    tcase_add_test(tc, runaway_recursion_hits_a_limit);
    tcase_add_test(tc, thread_locals_persist_on_a_pooled_worker);
    tcase_add_test(tc, run_time_texts_are_capped);
    tcase_add_test(tc, map_hands_results_back_in_input_order);
    tcase_add_test(tc, as_completed_follows_completion_order);
    tcase_add_test(tc, workers_start_lazily);
    tcase_add_test(tc, result_timeout_leaves_the_task_running);
    tcase_add_test(tc, cancel_succeeds_only_while_pending);
    tcase_add_test(tc, done_callbacks_run_on_the_worker_after_waiters_wake);
    tcase_add_test(tc, shutdown_modes_and_submit_after_shutdown);
    tcase_add_test(tc, deadlock_through_a_future_is_a_cycle);
    tcase_add_test(tc, stuck_result_is_reported);
    tcase_add_test(tc, order_and_makespan_expectations_fail_clearly);
    tcase_add_test(tc, sweep_relations_are_checked_across_runs);
    tcase_add_test(tc, run_selectors_are_checked_before_the_runs);
    tcase_add_test(tc, close_makespans_are_told_apart);
    tcase_add_test(tc, sweep_relations_are_evaluated_within_each_backend);
    tcase_add_test(tc, unit_and_pool_misuse_errors);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
