/* The coroutines backend, exactly: every scenario runs on the virtual clock
 * (--clock virtual: every loop on one thread, time moves only when nothing
 * can run), so orders and times are asserted to the us and a run repeated is
 * the same run, event for event. A few run on the real clock too, asserting
 * outcomes (the loop threads, epoll, the inbox of wakes from other threads).
 */
#include "testutil.h"
#include "pbdec.h"
#include "sim/sim.h"
#include "sim/sim_plat_fiber.h"

#include <stdlib.h>
#include <string.h>

#define US 1000ull
#define MS 1000000ull

typedef tu_ran ran;

static void co_run_desc(ran *out, const char *name, const char *text, sim_desc desc) {
    if (!desc.timeout_ns) desc.timeout_ns = 30000000000ull;
    tu_run_desc(out, name, text, desc, NULL, 0);
}

/* On the virtual clock. */
static void vrun(ran *out, const char *name, const char *text) {
    co_run_desc(out, name, text, (sim_desc){ .virtual_clock = true });
}

/* On the real clock. */
static void rrun(ran *out, const char *name, const char *text) { co_run_desc(out, name, text, (sim_desc){ 0 }); }





/* Time after the run's start, to the us (events carry 1 ns per hand-over at one instant). */
static uint64_t at(const ran *r, const trc_event *e) { return (e->t - r->run->t_start) / US * US; }

static const trc_event *mark_ev(const ran *r, const char *text, uint32_t unit, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && (unit == UINT32_MAX || e->unit == unit) && e->arg < r->run->nstrings &&
            !strcmp(r->run->strings[e->arg], text) && n-- == 0)
            return e;
    }
    return NULL;
}

/* Where the mark is in the (time-sorted) events: their order at one instant. */
static size_t mark_index(const ran *r, const char *text, uint32_t unit) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && (unit == UINT32_MAX || e->unit == unit) && e->arg < r->run->nstrings &&
            !strcmp(r->run->strings[e->arg], text))
            return i;
    }
    ck_abort_msg("no mark '%s'", text);
    return 0;
}

static uint64_t mark_at(const ran *r, const char *text, uint32_t unit, size_t n) {
    const trc_event *e = mark_ev(r, text, unit, n);
    ck_assert_msg(e, "no mark '%s'", text);
    return at(r, e);
}

static size_t nmarks(const ran *r, const char *text) {
    size_t n = 0;
    while (mark_ev(r, text, UINT32_MAX, n)) n++;
    return n;
}

static int64_t counter_final(const ran *r, const char *name) {
    return r->m.objects[tu_obj_named(r, name) - 1].final_value;
}

/* ---- the loop --------------------------------------------------------------------- */

/* Tasks woken together run in the order they began to wait (the ready list is FIFO; no
 * priorities), each in the tick after the one that woke them; the tick says how many. */
START_TEST(ready_tasks_run_in_fifo_order) {
    ran r;
    vrun(&r, "fifo", "backend coroutines\nevent go\n"
                     "actor t * 4 { sleep (index + 1) * 100us; wait go; mark \"ran\" }\n"
                     "actor s { sleep 1ms; set go }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t loop = tu_unit_named(&r, "loop");
    ck_assert_uint_eq(r.run->units[loop].kind, TRC_UNIT_LOOP);
    size_t seen = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < r.run->nevents; i++) {
        const trc_event *e = &r.run->events[i];
        if (e->kind != TRC_EV_MARK) continue;
        char want[16];
        snprintf(want, sizeof want, "t.%zu", seen);
        ck_assert_str_eq(r.run->units[e->unit].name, want);
        ck_assert_uint_eq(at(&r, e), 1 * MS);
        ck_assert_uint_ge(e->t, prev);
        prev = e->t;
        seen++;
    }
    ck_assert_uint_eq(seen, 4);
    for (int k = 0; k < 4; k++) {
        char name[8];
        snprintf(name, sizeof name, "t.%d", k);
        uint32_t u = tu_unit_named(&r, name);
        ck_assert_uint_eq(r.run->units[u].kind, TRC_UNIT_TASK);
        ck_assert_uint_eq(r.run->units[u].parent, loop);
        /* ready at the start (0), at its sleep's end, then woken by the set */
        ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_READY, u, UINT32_MAX, 1)), (uint64_t)(k + 1) * 100 * US);
        const trc_event *ready = tu_nth(&r, TRC_EV_READY, u, UINT32_MAX, 2);
        ck_assert_uint_eq(at(&r, ready), 1 * MS);
        ck_assert_uint_eq(ready->arg, 0);            /* woken, not a deadline */
        ck_assert_uint_eq(ready->extra, loop);
    }
    bool four = false;   /* the tick after the set runs the four of them */
    for (size_t i = 0; i < r.run->nevents; i++) {
        const trc_event *e = &r.run->events[i];
        four |= e->kind == TRC_EV_LOOP_TICK && e->unit == loop && e->extra == 4 && at(&r, e) == 1 * MS;
    }
    ck_assert(four);
    tu_ran_free(&r);
}
END_TEST

/* A deadline fires exactly on time on a free loop; a task that computes blocks the loop
 * (recorded on the loop's lane, naming the task), and a deadline that came meanwhile fires
 * late by exactly the rest of the compute: the lag. A blocking sleep stops the loop the same. */
START_TEST(deadlines_on_time_and_late_behind_a_blocked_loop) {
    ran r;
    vrun(&r, "timers", "backend coroutines\n"
                       "actor a { sleep 3ms; mark \"a\"; sleep 2ms; mark \"a2\" }\n"
                       "actor b { sleep 1ms; compute 5ms; mark \"b\"; sleep 500us blocking; mark \"b2\" }\n"
                       "expect all_done\n");
    uint32_t loop = tu_unit_named(&r, "loop"), a = tu_unit_named(&r, "a.0"), b = tu_unit_named(&r, "b.0");
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_READY, a, UINT32_MAX, 0)), 0);   /* its start */
    const trc_event *ra = tu_nth(&r, TRC_EV_READY, a, UINT32_MAX, 1);
    ck_assert_uint_eq(at(&r, ra), 6 * MS);        /* due at 3 ms, the loop was blocked until 6 ms */
    ck_assert_uint_eq(ra->arg, 3 * MS);           /* how late */
    ck_assert_uint_eq(mark_at(&r, "b", b, 0), 6 * MS);
    /* b goes on (a compute is no await) into its blocking sleep: a runs only after it */
    ck_assert_uint_eq(mark_at(&r, "a", a, 0), 6 * MS + 500 * US);
    const trc_event *cb = tu_nth(&r, TRC_EV_COMPUTE_BEGIN, loop, UINT32_MAX, 0);
    ck_assert_uint_eq(at(&r, cb), 1 * MS);
    ck_assert_uint_eq(cb->extra, b + 1);          /* blocked by b */
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_COMPUTE_END, loop, UINT32_MAX, 0)), 6 * MS);
    bool lagged = false;
    for (size_t i = 0; i < r.run->nevents; i++) {
        const trc_event *e = &r.run->events[i];
        if (e->kind == TRC_EV_LOOP_TICK && e->unit == loop && e->aux == 1 && e->arg == 3 * MS) lagged = true;
    }
    ck_assert_msg(lagged, "no tick with a lag of 3 ms");
    /* the blocking sleep: b's own lane sleeps, the loop's lane is blocked by it, a's second deadline
     * (8 ms) is not late (b's blocking sleep ran from 6 to 6.5 ms) */
    const trc_event *sb = tu_nth(&r, TRC_EV_SLEEP_BEGIN, loop, UINT32_MAX, 0);
    ck_assert_uint_eq(at(&r, sb), 6 * MS);
    ck_assert_uint_eq(sb->extra, b + 1);
    ck_assert_uint_eq(at(&r, tu_nth(&r, TRC_EV_SLEEP_END, loop, UINT32_MAX, 0)), 6 * MS + 500 * US);
    ck_assert_uint_eq(mark_at(&r, "b2", b, 0), 6 * MS + 500 * US);
    ck_assert_uint_eq(mark_at(&r, "a2", a, 0), 8 * MS + 500 * US);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_READY, a, UINT32_MAX, 2)->arg, 0);   /* on time */
    ck_assert_uint_eq(r.m.makespan / US * US, 8 * MS + 500 * US);
    /* the loop waits (select) when nothing is ready */
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_WAIT_BEGIN, loop, UINT32_MAX, 0)->aux, TRC_OP_SELECT);
    tu_ran_free(&r);
}
END_TEST

/* A blocking sleep on threads is a sleep; the same scenario makes both units finish at
 * once there and in turn on coroutines. */
START_TEST(a_blocking_sleep_blocks_only_a_loop) {
    const char *text = "actor a { sleep 5ms blocking; mark \"a\" }\nactor b { sleep 5ms blocking; mark \"b\" }\n";
    ran r;
    char full[256];
    snprintf(full, sizeof full, "backend coroutines\n%s", text);
    vrun(&r, "blocking_co", full);
    uint64_t ta = mark_at(&r, "a", UINT32_MAX, 0), tb = mark_at(&r, "b", UINT32_MAX, 0);
    ck_assert_uint_eq(ta, 5 * MS);
    ck_assert_uint_eq(tb, 10 * MS);   /* b's sleep could begin only once a's had ended */
    tu_ran_free(&r);
    snprintf(full, sizeof full, "backend threads\n%s", text);
    vrun(&r, "blocking_th", full);   /* threads on the virtual clock: the test platform */
    ck_assert_uint_eq(mark_at(&r, "a", UINT32_MAX, 0), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "b", UINT32_MAX, 0), 5 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- cancellation ------------------------------------------------------------------------- */

/* cancel is delivered at the task's next await point: in a sleep, in a get (the wait ends
 * "cancelled"), or before its first step (its body never runs). The finally block runs then,
 * may await itself, and its awaiter resumes once the task has ended. */
START_TEST(cancellation_is_delivered_at_the_next_await) {
    ran r;
    vrun(&r, "cancel",
         "backend coroutines\nqueue q capacity=1\n"
         "task sleeper { try { mark \"start\"; sleep 10ms; mark \"never\" } finally { mark \"cleanup\"; sleep 1ms; "
         "mark \"cleaned\" } }\n"
         "task getter { get q; mark \"got\" }\n"
         "task late { mark \"ran\" }\n"
         "task quick { sleep 100us }\n"
         "actor main {\n"
         "  create_task sleeper as s\n  create_task getter as g\n  create_task quick as k\n"
         "  sleep 2ms\n  cancel s\n  cancel g\n"
         "  await s\n  if not ok { mark \"s cancelled\" }\n  await g\n"
         "  create_task late as l\n  cancel l\n  await l\n"
         "  cancel k\n  if not ok { mark \"too late\" }\n  await k\n  if ok { mark \"k fine\" }\n"
         "}\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t main = tu_unit_named(&r, "main.0"), s = tu_unit_named(&r, "sleeper.0"), g = tu_unit_named(&r, "getter.0"),
             l = tu_unit_named(&r, "late.0"), q = tu_obj_named(&r, "q");
    const trc_event *c = tu_nth(&r, TRC_EV_CANCELLED, s, UINT32_MAX, 0);
    ck_assert_uint_eq(at(&r, c), 2 * MS);
    ck_assert_uint_eq(c->aux, 0);                          /* in a sleep */
    ck_assert_uint_eq(c->arg, 1);                          /* asked by a cancel step */
    ck_assert_uint_eq(mark_at(&r, "cleanup", s, 0), 2 * MS);
    ck_assert_uint_eq(mark_at(&r, "cleaned", s, 0), 3 * MS);
    ck_assert_uint_eq(nmarks(&r, "never"), 0);
    const trc_event *ex = tu_nth(&r, TRC_EV_UNIT_EXIT, s, UINT32_MAX, 0);
    ck_assert_uint_eq(ex->aux, TRC_EXIT_CANCELLED);
    ck_assert_uint_eq(at(&r, ex), 3 * MS);
    ck_assert_uint_eq(mark_at(&r, "s cancelled", main, 0), 3 * MS);   /* after the cleanup */
    /* the getter: its wait on q ends cancelled */
    const trc_event *cg = tu_nth(&r, TRC_EV_CANCELLED, g, UINT32_MAX, 0);
    ck_assert_uint_eq(cg->obj, q);
    ck_assert_uint_eq(cg->aux, TRC_OP_GET);
    const trc_event *we = tu_nth(&r, TRC_EV_WAIT_END, g, q, 0);
    ck_assert_uint_eq(we->aux, TRC_OUT_CANCELLED);
    ck_assert_uint_eq(at(&r, we), 2 * MS);
    ck_assert_uint_eq(nmarks(&r, "got"), 0);
    /* cancelled before its first step: no step of it ran */
    ck_assert_uint_eq(nmarks(&r, "ran"), 0);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_UNIT_EXIT, l, UINT32_MAX, 0)->aux, TRC_EXIT_CANCELLED);
    /* the cancel steps: aux 1 when it will be delivered, 0 for a task already done */
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_CANCEL, main, UINT32_MAX, 0)->aux, 1);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_CANCEL, main, UINT32_MAX, 0)->arg, s);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_CANCEL, main, UINT32_MAX, 3)->aux, 0);
    ck_assert_uint_eq(mark_at(&r, "too late", main, 0), 3 * MS);
    ck_assert_uint_eq(mark_at(&r, "k fine", main, 0), 3 * MS);
    tu_ran_free(&r);
}
END_TEST

/* A lock held in a block is given back when a cancellation unwinds through it. */
START_TEST(cancellation_releases_block_locks) {
    ran r;
    vrun(&r, "cancel_lock", "backend coroutines\nlock m\n"
                            "task holder { lock m { sleep 10ms } }\n"
                            "actor main { create_task holder as h; sleep 1ms; cancel h; await h\n"
                            "  lock m timeout=1ms\n  if ok { mark \"free\"; unlock m } }\nexpect all_done\n");
    ck_assert_uint_eq(mark_at(&r, "free", UINT32_MAX, 0), 1 * MS);
    uint32_t m = tu_obj_named(&r, "m");
    ck_assert_uint_eq(r.m.objects[m - 1].nowners, 2);
    tu_ran_free(&r);
}
END_TEST

/* wait_for: at the timeout the inner task is cancelled, and wait_for returns once its cleanup
 * is over (timed_out); in time, ok. */
START_TEST(wait_for_cancels_the_inner_task) {
    ran r;
    vrun(&r, "wait_for",
         "backend coroutines\n"
         "task slow { try { sleep 10ms } finally { sleep 2ms; mark \"cleaned\" } }\n"
         "task quick { sleep 1ms }\n"
         "actor main {\n  create_task slow as s\n  wait_for s timeout=3ms\n  if timed_out { mark \"timeout\" }\n"
         "  create_task quick as q\n  wait_for q timeout=3ms\n  if ok { mark \"in time\" }\n}\nexpect all_done\n");
    uint32_t main = tu_unit_named(&r, "main.0"), s = tu_unit_named(&r, "slow.0");
    const trc_event *we = tu_nth(&r, TRC_EV_WAIT_END, main, UINT32_MAX, 0);
    ck_assert_uint_eq(we->aux, TRC_OUT_TIMEOUT);
    ck_assert_uint_eq(at(&r, we), 3 * MS);
    const trc_event *tc = tu_nth(&r, TRC_EV_TASK_CANCEL, main, UINT32_MAX, 0);
    ck_assert_uint_eq(tc->arg, s);
    ck_assert_uint_eq(tc->aux, 1);
    ck_assert_uint_eq(at(&r, tc), 3 * MS);
    ck_assert_uint_eq(mark_at(&r, "cleaned", s, 0), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "timeout", main, 0), 5 * MS);
    ck_assert_uint_eq(mark_at(&r, "in time", main, 0), 6 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_UNIT_EXIT, s, UINT32_MAX, 0)->aux, TRC_EXIT_CANCELLED);
    tu_ran_free(&r);
}
END_TEST

/* run_in_executor: awaiting a pool's future parks the task and the loop goes on (a heartbeat
 * keeps beating while the worker computes); wait_for gives up on it, but a worker that runs
 * cannot be cancelled: it runs to its end; cancelling the task that awaits it does not stop
 * it either, and the recording shows the worker still running. */
START_TEST(executor_hand_off) {
    ran r;
    vrun(&r, "executor",
         "backend coroutines\npool p workers=2\n"
         "task work { compute 10ms; mark \"worker done\" }\n"
         "task beat { repeat 4 { sleep 2ms; mark \"beat\" } }\n"
         "task waiter { submit p work as f\n try { await f } finally { mark \"waiter cleanup\" } }\n"
         "actor main {\n  create_task beat as b\n  submit p work as f\n  await f\n  mark \"result\"\n"
         "  submit p work as g\n  wait_for g timeout=2ms\n  if timed_out { mark \"gave up\" }\n"
         "  create_task waiter as w\n  sleep 1ms\n  cancel w\n  await w\n  mark \"main on\"\n  await b\n}\n"
         "expect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t main = tu_unit_named(&r, "main.0"), p = tu_obj_named(&r, "p");
    ck_assert_uint_eq(mark_at(&r, "result", main, 0), 10 * MS);
    /* the loop beat while the worker computed */
    for (int k = 0; k < 4; k++) ck_assert_uint_eq(mark_at(&r, "beat", UINT32_MAX, (size_t)k), (uint64_t)(k + 1) * 2 * MS);
    ck_assert_uint_eq(r.run->units[tu_nth(&r, TRC_EV_TASK_START, UINT32_MAX, p, 0)->unit].kind, TRC_UNIT_THREAD);
    /* the flows: submit -> start -> done -> the awaiter's result */
    size_t kinds[TRC_FLOW__COUNT] = { 0 };
    for (size_t i = 0; i < r.m.nflows; i++) kinds[r.m.flows[i].kind]++;
    ck_assert_uint_ge(kinds[TRC_FLOW_SUBMIT], 3);
    ck_assert_uint_ge(kinds[TRC_FLOW_TASK], 3);
    ck_assert_uint_ge(kinds[TRC_FLOW_RESULT], 1);
    /* wait_for g: given up at 12 ms, g's worker runs to 20 ms */
    ck_assert_uint_eq(mark_at(&r, "gave up", main, 0), 12 * MS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_CANCEL, main, p, 0)->aux, 0);   /* too late: it runs */
    ck_assert_uint_eq(mark_at(&r, "worker done", UINT32_MAX, 1), 20 * MS);
    /* the waiter is cancelled at 13 ms; its worker started at 12 ms goes on to 22 ms */
    ck_assert_uint_eq(mark_at(&r, "waiter cleanup", UINT32_MAX, 0), 13 * MS);
    ck_assert_uint_eq(mark_at(&r, "main on", main, 0), 13 * MS);
    ck_assert_uint_eq(mark_at(&r, "worker done", UINT32_MAX, 2), 22 * MS);
    ck_assert_uint_eq(r.m.makespan / US * US, 22 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- gather ------------------------------------------------------------------------------- */

/* gather returns every result in the order the tasks were made, whatever order they ended in;
 * gather T * N makes them (arg 0 .. N-1). */
START_TEST(gather_returns_in_submission_order) {
    ran r;
    vrun(&r, "gather",
         "backend coroutines\ncounter done\n"
         "task fetch { sleep arg * 1ms; incr done; mark \"fetched\" }\n"
         "actor main {\n  create_task fetch arg=3 as a\n  create_task fetch arg=1 as b\n  create_task fetch arg=2 as c\n"
         "  gather a, b, c {\n    if arg == 3 { mark \"3\" } else { if arg == 1 { mark \"1\" } else { mark \"2\" } }\n  }\n"
         "  mark \"gathered\"\n  gather fetch * 3 { if arg == 0 { mark \"first\" } }\n  mark \"again\"\n}\n"
         "expect counter done == 6\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t main = tu_unit_named(&r, "main.0");
    /* completions in 1, 2, 3 ms; the results at 3 ms in submission order */
    ck_assert_uint_eq(mark_at(&r, "fetched", UINT32_MAX, 0), 1 * MS);
    ck_assert_uint_eq(mark_at(&r, "fetched", UINT32_MAX, 2), 3 * MS);
    ck_assert_uint_eq(mark_at(&r, "3", main, 0), 3 * MS);
    ck_assert_uint_lt(mark_index(&r, "3", main), mark_index(&r, "1", main));
    ck_assert_uint_lt(mark_index(&r, "1", main), mark_index(&r, "2", main));
    /* JOINED in submission order */
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_JOINED, main, UINT32_MAX, 0)->arg, tu_unit_named(&r, "fetch.0"));
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_JOINED, main, UINT32_MAX, 1)->arg, tu_unit_named(&r, "fetch.1"));
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_JOINED, main, UINT32_MAX, 2)->arg, tu_unit_named(&r, "fetch.2"));
    ck_assert_uint_eq(mark_at(&r, "again", main, 0), 5 * MS);   /* 3 ms + max(0, 1, 2) ms */
    ck_assert_uint_eq(tu_count(&r, TRC_EV_SPAWN, main), 6);
    tu_ran_free(&r);
}
END_TEST

/* Without return_exceptions the first child that fails ends the gather (ok 0) and the others
 * go on; with it, gather waits for all and the body sees each one's ok. */
START_TEST(gather_failures) {
    ran r;
    vrun(&r, "gather_fail",
         "backend coroutines\ncounter fine\ncounter failed\n"
         "task t { sleep 2ms; mark \"t done\" }\n"
         "actor main {\n  create_task t as a\n  create_task t as b\n  cancel a\n  gather a, b\n"
         "  if not ok { mark \"failed early\" }\n"
         "  create_task t as c\n  create_task t as d\n  cancel c\n  gather c, d return_exceptions {\n"
         "    if ok { incr fine } else { incr failed }\n  }\n  if ok { mark \"all back\" }\n  await b\n}\n"
         "expect counter fine == 1\nexpect counter failed == 1\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "failed early", UINT32_MAX, 0), 0);
    ck_assert_uint_eq(mark_at(&r, "all back", UINT32_MAX, 0), 2 * MS);
    ck_assert_uint_eq(nmarks(&r, "t done"), 2);   /* b and d */
    tu_ran_free(&r);
}
END_TEST

/* gather with a timeout (wait_for(gather(...))): the children still running are cancelled. */
START_TEST(gather_timeout_cancels_stragglers) {
    ran r;
    vrun(&r, "gather_timeout", "backend coroutines\n"
                               "task t { try { sleep arg * 1ms; mark \"done\" } finally { mark \"out\" } }\n"
                               "actor main { gather t * 4 timeout=2500us\n if timed_out { mark \"timed out\" } }\n"
                               "expect all_done\n");
    ck_assert_uint_eq(nmarks(&r, "done"), 3);   /* 0, 1 and 2 ms */
    ck_assert_uint_eq(nmarks(&r, "out"), 4);
    ck_assert_uint_eq(mark_at(&r, "timed out", UINT32_MAX, 0), 2500 * US);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_UNIT_EXIT, tu_unit_named(&r, "t.3"), UINT32_MAX, 0)->aux, TRC_EXIT_CANCELLED);
    tu_ran_free(&r);
}
END_TEST

/* as_completed takes the tasks in the order they end. */
START_TEST(as_completed_in_completion_order) {
    ran r;
    vrun(&r, "as_completed", "backend coroutines\n"
                             "task t { sleep arg * 1ms }\n"
                             "actor main { create_task t arg=3\n create_task t arg=1\n create_task t arg=2\n"
                             "  as_completed { if arg == 1 { mark \"1\" } else { if arg == 2 { mark \"2\" } else { "
                             "mark \"3\" } } } }\n"
                             "expect order \"1\" < \"2\" < \"3\"\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(mark_at(&r, "2", UINT32_MAX, 0), 2 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- locals, contexts, loops --------------------------------------------------------------- */

/* A thread-local is shared by every task of the loop (they clobber each other: scenario 18's
 * lesson); a context variable is the task's own, and a task starts with its maker's. On threads
 * both are per thread. */
START_TEST(thread_locals_shared_contexts_per_task) {
    const char *body = "local tl\ncontext cv\ncounter clobbered\ncounter mixed\ncounter inherited\n"
                       "task t { let tl = arg; let cv = arg; sleep 1ms\n"
                       "  if tl != arg { incr clobbered }\n  if cv != arg { incr mixed } }\n"
                       "task child { if cv == 7 { incr inherited } }\n"
                       "actor main { gather t * 3\n let cv = 7\n create_task child as c\n await c }\n";
    char text[1024];
    ran r;
    snprintf(text, sizeof text, "backend coroutines\n%s", body);
    vrun(&r, "locals_co", text);
    ck_assert_int_eq(counter_final(&r, "clobbered"), 2);   /* the last one to set it wins */
    ck_assert_int_eq(counter_final(&r, "mixed"), 0);
    ck_assert_int_eq(counter_final(&r, "inherited"), 1);
    tu_ran_free(&r);
    snprintf(text, sizeof text, "backend threads\n%s", body);
    rrun(&r, "locals_th", text);
    ck_assert_int_eq(r.m.objects[tu_obj_named(&r, "clobbered") - 1].has_value ? counter_final(&r, "clobbered") : 0, 0);
    ck_assert_int_eq(counter_final(&r, "inherited"), 1);
    tu_ran_free(&r);
}
END_TEST

/* own_loop: each instance is the first task of a loop of its own (a thread), and the tasks it
 * makes run there; the others share loop 0. */
START_TEST(own_loops) {
    ran r;
    vrun(&r, "own_loop", "backend coroutines\n"
                         "task t { sleep 1ms }\n"
                         "actor server * 2 own_loop { gather t * 2 }\nactor main { sleep 2ms }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t shared = tu_unit_named(&r, "loop"), l0 = tu_unit_named(&r, "loop server.0"), l1 = tu_unit_named(&r, "loop server.1");
    ck_assert_uint_eq(r.run->units[tu_unit_named(&r, "main.0")].parent, shared);
    ck_assert_uint_eq(r.run->units[tu_unit_named(&r, "server.0")].parent, l0);
    ck_assert_uint_eq(r.run->units[tu_unit_named(&r, "server.1")].parent, l1);
    uint32_t n0 = 0, n1 = 0;
    for (uint32_t i = 0; i < r.run->nunits; i++)
        if (!strncmp(r.run->units[i].name, "t.", 2)) {
            n0 += r.run->units[i].parent == l0;
            n1 += r.run->units[i].parent == l1;
        }
    ck_assert_uint_eq(n0, 2);
    ck_assert_uint_eq(n1, 2);
    tu_ran_free(&r);
}
END_TEST

/* ---- the end of a run ------------------------------------------------------------------------ */

/* Nothing ready, no deadline, tasks waiting: the run ends at once, with the chain of awaits. */
START_TEST(stuck_at_once_with_the_chain_of_awaits) {
    ran r;
    vrun(&r, "stuck", "backend coroutines\nqueue q capacity=1\n"
                      "task inner { get q }\ntask middle { create_task inner as i; await i }\n"
                      "actor main { sleep 3ms; create_task middle as m; await m }\nexpect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_msg(strstr(r.res.report, "main.0 awaits task middle.0 since 3.00 ms, which awaits inner.0, which waits "
                                       "to get from queue 'q'"), "%s", r.res.report);
    ck_assert_msg(strstr(r.res.report, "nothing is ready and no deadline is pending"), "%s", r.res.report);
    ck_assert_uint_eq(r.m.makespan / US * US, 3 * MS);   /* at once: no stall to wait out */
    tu_ran_free(&r);
    /* and on the real clock, well before the 300 ms a stall needs */
    rrun(&r, "stuck_real", "backend coroutines\nqueue q capacity=1\ntask inner { get q }\n"
                           "actor main { create_task inner as i; await i }\nexpect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_msg(strstr(r.res.report, "nothing is ready"), "%s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

/* Two tasks taking two locks in opposite order: a deadlock, found at once. */
START_TEST(deadlock_of_tasks) {
    ran r;
    vrun(&r, "deadlock", "backend coroutines\nlock a\nlock b\n"
                         "actor x { lock a { sleep 1ms; lock b { } } }\nactor y { lock b { sleep 1ms; lock a { } } }\n"
                         "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(r.m.makespan / US * US, 1 * MS);
    tu_ran_free(&r);
}
END_TEST

/* Tasks nobody awaited are reported at the end; one still running when every actor is done is
 * cancelled (its finally runs), as asyncio.run does. */
START_TEST(never_awaited_tasks_are_reported) {
    ran r;
    vrun(&r, "never_awaited", "backend coroutines\n"
                              "task quick { sleep 1ms }\ntask forever { try { sleep 3600s } finally { mark \"closed\" } }\n"
                              "actor main { create_task quick\n create_task forever\n sleep 2ms }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_msg(strstr(r.res.report, "task quick.0 (made at line 4) was never awaited"), "%s", r.res.report);
    ck_assert_msg(strstr(r.res.report, "task forever.0 (made at line 5) was never awaited: still running when every "
                                       "actor had finished, it was cancelled"), "%s", r.res.report);
    ck_assert_uint_eq(mark_at(&r, "closed", UINT32_MAX, 0), 2 * MS);
    const trc_event *c = tu_nth(&r, TRC_EV_CANCELLED, tu_unit_named(&r, "forever.0"), UINT32_MAX, 0);
    ck_assert_uint_eq(c->arg, 2);   /* by the loop's end */
    ck_assert(strstr(r.run->report, "never awaited"));   /* in the recording too */
    tu_ran_free(&r);
}
END_TEST

/* ---- exact replay and scale ------------------------------------------------------------------ */

/* The virtual clock: the same seed gives byte-identical event streams, and a minute of
 * scenario takes no real minute. */
START_TEST(virtual_runs_repeat_exactly) {
    const char *text = "backend coroutines\npool p workers=2\nqueue q capacity=3\ncounter c\nlock m\n"
                       "task w { compute uniform 1ms 5ms; incr c racy }\n"
                       "task f { sleep uniform 1ms 10s; incr c racy; put q }\n"
                       "actor main { repeat 20 { create_task f arg=index }\n repeat 4 { submit p w }\n"
                       "  repeat 20 { get q; lock m { sleep 1ms } }\n gather }\n"
                       "actor other { repeat 10 { sleep exp 1s; incr c racy } }\n";
    ran r1, r2;
    co_run_desc(&r1, "rep1", text, (sim_desc){ .virtual_clock = true, .seed = 7 });
    co_run_desc(&r2, "rep2", text, (sim_desc){ .virtual_clock = true, .seed = 7 });
    ck_assert_uint_eq(r1.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r1.run->nevents, r2.run->nevents);
    for (size_t i = 0; i < r1.run->nevents; i++) {
        trc_event a = r1.run->events[i], b = r2.run->events[i];
        ck_assert_msg(!memcmp(&a, &b, sizeof a),
                      "event %zu differs: %s at %llu unit %u obj %u arg %llu aux %u extra %u vs %s at %llu unit %u obj %u "
                      "arg %llu aux %u extra %u", i, trc_ev_name(a.kind), (unsigned long long)a.t, a.unit, a.obj,
                      (unsigned long long)a.arg, a.aux, a.extra, trc_ev_name(b.kind), (unsigned long long)b.t, b.unit, b.obj,
                      (unsigned long long)b.arg, b.aux, b.extra);
    }
    /* events of different units never share a stamp (else their order in the file would be the
     * recorder's drain order, which is real time) */
    for (size_t i = 1; i < r1.run->nevents; i++) {
        const trc_event *a = &r1.run->events[i - 1], *b = &r1.run->events[i];
        ck_assert_msg(a->t != b->t || a->unit == b->unit, "%s of unit %u and %s of unit %u both at %llu",
                      trc_ev_name(a->kind), a->unit, trc_ev_name(b->kind), b->unit, (unsigned long long)a->t);
    }
    ck_assert_uint_gt(r1.m.makespan, 5ull * 1000 * MS);   /* virtual seconds */
    ck_assert_uint_lt(r1.res.wall_ns, 5ull * 1000000000ull * 60);
    ran r3;
    co_run_desc(&r3, "rep3", text, (sim_desc){ .virtual_clock = true, .seed = 8 });
    ck_assert(r3.run->nevents != r1.run->nevents || memcmp(r3.run->events, r1.run->events, sizeof *r1.run->events * r1.run->nevents));
    tu_ran_free(&r1);
    tu_ran_free(&r2);
    tu_ran_free(&r3);
}
END_TEST

/* 10,000 tasks at once (under ThreadSanitizer as many as it allows; under AddressSanitizer,
 * whose stack and mapping bookkeeping makes each task cost a hundred times more, 2,000): they
 * run, are recorded, and the model holds every one. */
#if defined(__SANITIZE_ADDRESS__)
#define MANY_TASKS 2000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MANY_TASKS 2000
#endif
#endif
#ifndef MANY_TASKS
#define MANY_TASKS 10000
#endif
START_TEST(ten_thousand_tasks) {
    size_t lim = sim_fiber_running_limit();
    int n = lim ? (int)lim - 32 : MANY_TASKS;
    char text[512];
    snprintf(text, sizeof text, "backend coroutines\ncounter done\n"
                                "task t { sleep uniform 1ms 100ms; incr done }\n"
                                "actor main { gather t * %d }\nexpect counter done == %d\nexpect all_done\n", n, n);
    ran r;
    vrun(&r, "ten_thousand", text);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.run->nunits, (uint32_t)n + 2);
    uint32_t exited = 0;
    for (uint32_t i = 0; i < r.run->nunits; i++) exited += r.m.units[i].exited;
    ck_assert_uint_eq(exited, (uint32_t)n + 2);
    ck_assert_uint_le(r.m.makespan, 101 * MS);
    tu_ran_free(&r);
}
END_TEST

/* Under ThreadSanitizer a run with more tasks alive than it allows fails with a clear error. */
START_TEST(tsan_limit_is_an_error) {
    size_t lim = sim_fiber_running_limit();
    if (!lim) return;   /* no limit in this build */
    char text[256];
    snprintf(text, sizeof text, "backend coroutines\ntask t { sleep 1s }\nactor main { gather t * %zu }\n", lim + 10);
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "tsan_limit", text, NULL, 0, &d), 0);
    sim_result res;
    ck_assert_int_eq(sim_run(&res, p, &(sim_desc){ .out_path = tmp_path("tsan_limit.weft"), .virtual_clock = true }, &d), 0);
    ck_assert_uint_eq(res.end_reason, TRC_END_ERROR);
    ck_assert_msg(strstr(res.report, "ThreadSanitizer build runs at most"), "%s", res.report);
    sim_program_free(p);
}
END_TEST

/* ---- the same scenario on threads ---------------------------------------------------------- */

/* On threads create_task starts a thread, gather starts and joins, wait_for is a join with a
 * timeout that leaves the thread running, and cancel fails on a thread that runs. */
START_TEST(tasks_on_threads) {
    ran r;
    rrun(&r, "on_threads", "backend threads\ncounter done\n"
                           "task t { sleep 20ms; incr done }\n"
                           "actor main {\n  gather t * 3\n  create_task t as x\n  wait_for x timeout=1ms\n"
                           "  if timed_out { mark \"left running\" }\n  cancel x\n  if not ok { mark \"cannot cancel\" }\n"
                           "  await x\n  if ok { mark \"joined\" }\n}\nexpect counter done == 4\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.run->units[tu_unit_named(&r, "t.0")].kind, TRC_UNIT_THREAD);
    ck_assert(mark_ev(&r, "left running", UINT32_MAX, 0));
    ck_assert(mark_ev(&r, "cannot cancel", UINT32_MAX, 0));
    ck_assert(mark_ev(&r, "joined", UINT32_MAX, 0));
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_CANCEL, UINT32_MAX, UINT32_MAX, 0)->aux, 0);
    tu_ran_free(&r);
}
END_TEST

/* Constructs without a meaning on a backend: errors with line:col before anything runs. */
START_TEST(backend_checks) {
    diag d;
    sim_program *p;
    sim_result res;
    ck_assert_int_eq(sim_parse(&p, "own.scn", "actor a own_loop { sleep 1ms }\n", NULL, 0, &d), 0);
    int rc = sim_run(&res, p, &(sim_desc){ .out_path = tmp_path("own.weft") }, &d);
    ck_assert_int_eq(rc, -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 1);
    ck_assert_int_eq(d.col, 7);
    ck_assert_str_eq(d.msg, "own_loop: an event loop of its own means nothing on backend threads");
    ck_assert(strstr(d.hint, "--backend coroutines"));
    sim_program_free(p);
    ck_assert_int_eq(sim_parse(&p, "stack.scn", "task_stack 16384\nactor a { sleep 1ms }\n", NULL, 0, &d), 0);
    rc = sim_run(&res, p, &(sim_desc){ .out_path = tmp_path("stack.weft") }, &d);
    ck_assert_int_eq(rc, -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 1);
    sim_program_free(p);
    ck_assert_int_eq(sim_parse(&p, "procs.scn", "task t { sleep 1ms }\nactor a {\n  create_task t }\n", NULL, 0, &d), 0);
    rc = sim_run(&res, p, &(sim_desc){ .out_path = tmp_path("procs.weft"), .backend = "processes" }, &d);
    ck_assert_int_eq(rc, -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 3);
    ck_assert_int_eq(d.col, 3);
    ck_assert_str_eq(d.msg, "create_task: no unit can be made while running on backend processes");
    sim_program_free(p);
    /* gil on and gil off: both mean something on coroutines (test_coro_gil) */
    ck_assert_int_eq(sim_parse(&p, "gil.scn", "backend coroutines\ngil on\nactor a { compute 1ms }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_COROUTINES, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_THREADS, &d), 0);
    sim_program_free(p);
    ck_assert_int_eq(sim_parse(&p, "giloff.scn", "backend coroutines\ngil off\nactor a { compute 1ms }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_COROUTINES, &d), 0);
    sim_program_free(p);
    /* pipes and managers wait on descriptors a task cannot await: refused on coroutines, with
     * the object's place (they ran into a platform without fd_wait and crashed) */
    ck_assert_int_eq(sim_parse(&p, "pipe.scn", "lock l\npipe ch\nactor a { send ch }\nactor b { recv ch }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_COROUTINES, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 2);
    ck_assert_int_eq(d.col, 6);
    ck_assert_str_eq(d.msg, "a pipe has no meaning on backend coroutines");
    ck_assert(strstr(d.hint, "use a queue"));
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_THREADS, &d), 0);
    sim_program_free(p);
    ck_assert_int_eq(sim_parse(&p, "mgr.scn", "manager m\ncounter c = 0 managed by m\nactor a { incr c }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_COROUTINES, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 1);
    ck_assert_str_eq(d.msg, "a manager (and what it serves) has no meaning on backend coroutines");
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_PROCESSES, &d), 0);
    sim_program_free(p);
    /* found inside an except clause and a finally block too */
    ck_assert_int_eq(sim_parse(&p, "procs_exc.scn", "task t { sleep 1ms }\nactor a {\n  try { raise \"E\" } except {\n"
                                                    "    gather t * 2 }\n}\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_PROCESSES, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 4);
    ck_assert_int_eq(d.col, 5);
    ck_assert_str_eq(d.msg, "gather T * N: no unit can be made while running on backend processes");
    sim_program_free(p);
    ck_assert_int_eq(sim_parse(&p, "procs_fin.scn", "task t { }\nactor a { try { } finally { create_task t } }\n", NULL, 0,
                               &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_PROCESSES, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 2);
    ck_assert_int_eq(d.col, 29);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_COROUTINES, &d), 0);
    sim_program_free(p);
    /* parse errors */
    tu_parse_err("task t { }\nactor a { await }\n", 2, 17, "expected a task's name", NULL);
    tu_parse_err("task t { }\nactor a { create_task t as f; await f timeout=1s }\n", 2, 39, "await takes no timeout",
                 "wait_for F timeout=D");
    tu_parse_err("task t { }\nactor a { create_task t as f; wait_for f }\n", 2, 42, "expected timeout=D after 'wait_for f'",
                 NULL);
    tu_parse_err("actor a { try { sleep 1ms } }\n", 1, 11, "a try needs an except or a finally", NULL);
    tu_parse_err("task_stack 100\nactor a { }\n", 1, 12, "a task's stack must be 8192 to", NULL);
    tu_parse_err("actor a { await nope }\n", 1, 17, "unknown future 'nope'", "create_task TASK as NAME");
}
END_TEST

/* ---- the real clock ---------------------------------------------------------------------------- */

/* The same steps on the loop's own thread, with real time: outcomes only. */
START_TEST(real_clock_outcomes) {
    ran r;
    rrun(&r, "real", "backend coroutines\npool p workers=1\nqueue q capacity=2\ncounter got\n"
                     "task w { compute 5ms }\n"
                     "task producer { repeat 10 { put q; sleep 100us } }\n"
                     "task slow { try { sleep 10s } finally { mark \"cleaned\" } }\n"
                     "actor main {\n  create_task producer as p1\n  repeat 10 { get q; incr got }\n  await p1\n"
                     "  submit p w as f\n  await f\n  create_task slow as s\n  wait_for s timeout=5ms\n"
                     "  if timed_out { mark \"timeout\" }\n}\n"
                     "expect counter got == 10\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert(mark_ev(&r, "cleaned", UINT32_MAX, 0));
    ck_assert(mark_ev(&r, "timeout", UINT32_MAX, 0));
    ck_assert(mark_ev(&r, "cleaned", UINT32_MAX, 0)->t <= mark_ev(&r, "timeout", UINT32_MAX, 0)->t);
    ck_assert_uint_gt(tu_count(&r, TRC_EV_LOOP_TICK, tu_unit_named(&r, "loop")), 10);
    ck_assert_uint_lt(r.res.wall_ns, 5000 * MS);
    tu_ran_free(&r);
}
END_TEST

/* ---- the Perfetto export --------------------------------------------------------------------- */

/* Tasks grouped under their loop; the loop's lane (blocked by a task, idle), its counters
 * (ready tasks, lag), the tasks' ready slices and the cancel instants. */
START_TEST(perfetto_loops_and_tasks) {
    ran r;
    vrun(&r, "pf_loop", "backend coroutines\n"
                        "task victim { sleep 10ms }\n"
                        "actor a { sleep 3ms; mark \"a\" }\n"
                        "actor b { sleep 1ms; compute 5ms }\n"
                        "actor c { create_task victim as v; sleep 7ms; cancel v; await v }\nexpect all_done\n");
    FILE *f = tmpfile();
    diag d;
    ck_assert_int_eq(trc_export_perfetto(f, r.rec, &r.m, &d), 0);
    long n = ftell(f);
    rewind(f);
    uint8_t *data = malloc((size_t)n);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    pb_trace t = { 0 };
    ck_assert_msg(pb_decode(&t, data, (size_t)n) == 0, "%s", t.err);
    const pb_track *loop = pb_track_by_name(&t, "loop");
    ck_assert_ptr_nonnull(loop);
    ck_assert(loop->is_thread);
    const pb_track *group = pb_track_by_name(&t, "tasks on loop"), *a = pb_track_by_name(&t, "a.0"),
                   *v = pb_track_by_name(&t, "victim.0");
    ck_assert_ptr_nonnull(group);
    ck_assert_uint_eq(group->parent, loop->uuid);
    ck_assert_uint_eq(a->parent, group->uuid);
    ck_assert_uint_eq(v->parent, group->uuid);
    uint64_t t0 = r.run->t_start;
    /* the loop, blocked by b from 1 ms; a, due at 3 ms, ready from 3 ms (until 6 ms) */
    bool blocked = false, ready = false, idle = false;
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        if (e->type != PB_TE_BEGIN || !e->name) continue;
        blocked |= e->track == loop->uuid && !strcmp(e->name, "blocked by b.0 (computing)") && (e->ts - t0) / US * US == 1 * MS;
        idle |= e->track == loop->uuid && !strcmp(e->name, "idle");
        ready |= e->track == a->uuid && !strcmp(e->name, "ready") && (e->ts - t0) / US * US == 3 * MS;
    }
    ck_assert_msg(blocked && ready && idle, "blocked %d ready %d idle %d", blocked, ready, idle);
    const pb_track *rc = pb_track_by_name(&t, "loop ready"), *lag = pb_track_by_name(&t, "loop lag");
    ck_assert(rc && rc->is_counter && lag && lag->is_counter);
    ck_assert_uint_eq(rc->parent, loop->uuid);
    bool lag3 = false;
    for (size_t i = 0; i < t.nevents; i++)
        lag3 |= t.events[i].type == PB_TE_COUNTER && t.events[i].track == lag->uuid && t.events[i].counter == (int64_t)(3 * MS);
    ck_assert(lag3);
    bool cancel = false, cancelled = false;
    const pb_track *ct = pb_track_by_name(&t, "c.0");
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        if (e->type != PB_TE_INSTANT || !e->name) continue;
        cancel |= e->track == ct->uuid && !strcmp(e->name, "cancel victim.0");
        cancelled |= e->track == v->uuid && !strcmp(e->name, "cancelled");
    }
    ck_assert(cancel && cancelled);
    pb_free(&t);
    free(data);
    tu_ran_free(&r);
}
END_TEST

/* Spawned units no step spawned (mode 0 of io_bound_serial_vs_threads_vs_async) leave without an
 * event: they were woken at the run's end only to leave, and showed as ready until the end, units
 * that began. One spawned is ready before it starts, as before. Both clocks. */
START_TEST(units_never_spawned_have_no_events) {
    static const char *const texts[2] = {
        "backend coroutines\nparam m = 0\nactor req * 3 spawned { sleep 1ms }\n"
        "actor main { if m == 1 { spawn req } else { sleep 2ms } }\n",
        "backend coroutines\nactor req * 3 spawned { sleep 1ms }\nactor main { spawn req; sleep 2ms }\n",
    };
    for (int real = 0; real < 2; real++)
        for (int spawned = 0; spawned < 2; spawned++) {
            ran r;
            if (real) rrun(&r, "nospawn", texts[spawned]);
            else vrun(&r, "nospawn", texts[spawned]);
            ck_assert_int_eq(r.res.end_reason, TRC_END_OK);
            uint32_t u = tu_unit_named(&r, "req.0");
            size_t evs = 0;
            for (size_t i = 0; i < r.run->nevents; i++) evs += r.run->events[i].unit == u;
            if (!spawned) {
                ck_assert_msg(evs == 0, "%s clock: req.0 never spawned has %zu events", real ? "real" : "virtual", evs);
                for (uint32_t k = 0; k < r.run->nunits; k++)
                    ck_assert_msg(strncmp(r.run->units[k].name, "req.", 4) || !tu_count(&r, TRC_EV_READY, k), "%s",
                                  r.run->units[k].name);
            } else {
                ck_assert_uint_eq(tu_count(&r, TRC_EV_UNIT_START, u), 1);
                ck_assert_uint_ge(tu_count(&r, TRC_EV_READY, u), 1);
            }
            tu_ran_free(&r);
        }
}
END_TEST

static Suite *coro_suite(void) {
    Suite *s = suite_create("coro");
    TCase *tc = tcase_create("coro");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ready_tasks_run_in_fifo_order);
    tcase_add_test(tc, deadlines_on_time_and_late_behind_a_blocked_loop);
    tcase_add_test(tc, a_blocking_sleep_blocks_only_a_loop);
    tcase_add_test(tc, cancellation_is_delivered_at_the_next_await);
    tcase_add_test(tc, cancellation_releases_block_locks);
    tcase_add_test(tc, wait_for_cancels_the_inner_task);
    tcase_add_test(tc, executor_hand_off);
    tcase_add_test(tc, gather_returns_in_submission_order);
    tcase_add_test(tc, gather_failures);
    tcase_add_test(tc, gather_timeout_cancels_stragglers);
    tcase_add_test(tc, as_completed_in_completion_order);
    tcase_add_test(tc, thread_locals_shared_contexts_per_task);
    tcase_add_test(tc, own_loops);
    tcase_add_test(tc, stuck_at_once_with_the_chain_of_awaits);
    tcase_add_test(tc, deadlock_of_tasks);
    tcase_add_test(tc, never_awaited_tasks_are_reported);
    tcase_add_test(tc, virtual_runs_repeat_exactly);
    tcase_add_test(tc, ten_thousand_tasks);
    tcase_add_test(tc, tsan_limit_is_an_error);
    tcase_add_test(tc, tasks_on_threads);
    tcase_add_test(tc, backend_checks);
    tcase_add_test(tc, real_clock_outcomes);
    tcase_add_test(tc, perfetto_loops_and_tasks);
    tcase_add_test(tc, units_never_spawned_have_no_events);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(coro_suite()); }
