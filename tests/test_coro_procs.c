/* run_in_executor on a process pool (`pool P kind=processes` used from a task
 * on the coroutines backend): the workers are forked processes, the awaiting
 * task parks and its loop goes on, the flows are those of the other backends,
 * an error in the worker is raised again at the await, a cancelled awaiter
 * leaves its worker running (its result is discarded), and the run leaves no
 * child process and no descriptor behind, whether it ends well, times out, or
 * hits its event limit. Real clock: assertions are on orders and counts, never
 * on durations (the machine is shared).
 */
#include "testutil.h"
#include "sim/sim.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef tu_ran ran;

static void rrun(ran *out, const char *name, const char *text, sim_desc desc) {
    if (!desc.timeout_ns) desc.timeout_ns = 60000000000ull;
    tu_run_desc(out, name, text, desc, NULL, 0);
}

static const trc_event *mark_ev(const ran *r, const char *text, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && e->arg < r->run->nstrings && !strcmp(r->run->strings[e->arg], text) && n-- == 0)
            return e;
    }
    return NULL;
}

static size_t nmarks(const ran *r, const char *text) {
    size_t n = 0;
    while (mark_ev(r, text, n)) n++;
    return n;
}

static const trc_event *must_mark(const ran *r, const char *text, size_t n) {
    const trc_event *e = mark_ev(r, text, n);
    ck_assert_msg(e, "no mark '%s' #%zu", text, n);
    return e;
}

static size_t index_of(const ran *r, const trc_event *e) { return (size_t)(e - r->run->events); }

/* Open descriptors of this process, and whether it has a child (reaped or not). */
static int nfds(void) {
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static bool has_children(void) {
    siginfo_t si = { 0 };
    return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

/* ---- the hand-off ------------------------------------------------------------------- */

/* The workers are processes of their own; submit -> start -> done -> result flow as on
 * the other backends; the loop's heartbeat goes on while a worker process computes. */
START_TEST(process_executor_hand_off) {
    ran r;
    rrun(&r, "hand_off",
         "backend coroutines\npool p workers=2 kind=processes\ncounter busy\n"
         "task work { mark \"worker begins\"; compute 150ms; mark \"worker done\" }\n"
         "task beat { repeat 40 { sleep 5ms; if busy == 1 { mark \"beat\" } } }\n"
         "actor main {\n  create_task beat as b\n  sleep 12ms\n  incr busy\n  submit p work as f\n  await f\n"
         "  decr busy\n  mark \"result\"\n  await b\n}\nexpect all_done\n",
         (sim_desc){ 0 });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t p = tu_obj_named(&r, "p");
    const trc_event *start = tu_nth(&r, TRC_EV_TASK_START, UINT32_MAX, p, 0);
    uint32_t w = start->unit;
    ck_assert_uint_eq(r.run->units[w].kind, TRC_UNIT_PROCESS);
    /* its own process, forked from weft's */
    const trc_event *ps = tu_nth(&r, TRC_EV_PROC_START, w, UINT32_MAX, 0);
    ck_assert_uint_ne(ps->arg, ps->extra);
    ck_assert_uint_eq(ps->extra, (uint64_t)r.run->units[tu_unit_named(&r, "main.0")].pid);
    ck_assert_uint_eq((uint64_t)r.run->units[w].pid, ps->arg);
    ck_assert_uint_ne((uint64_t)r.run->units[w].pid, (uint64_t)getpid());
    /* the flows: submit -> start -> done -> the awaiter's result */
    size_t kinds[TRC_FLOW__COUNT] = { 0 };
    for (size_t i = 0; i < r.m.nflows; i++) kinds[r.m.flows[i].kind]++;
    ck_assert_uint_eq(kinds[TRC_FLOW_SUBMIT], 1);
    ck_assert_uint_eq(kinds[TRC_FLOW_TASK], 1);
    ck_assert_uint_eq(kinds[TRC_FLOW_RESULT], 1);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_DONE, w, p, 0)->aux, TRC_OUT_OK);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_RESULT, UINT32_MAX, p, 0)->aux, TRC_OUT_OK);
    /* the loop kept running while the worker computed: beats between its begin and its end */
    size_t b0 = index_of(&r, must_mark(&r, "worker begins", 0)), b1 = index_of(&r, must_mark(&r, "worker done", 0));
    size_t inside = 0;
    for (size_t k = 0; mark_ev(&r, "beat", k); k++) {
        size_t i = index_of(&r, mark_ev(&r, "beat", k));
        inside += i > b0 && i < b1;
    }
    ck_assert_uint_ge(inside, 1);
    ck_assert_uint_gt(index_of(&r, must_mark(&r, "result", 0)), b1);
    tu_ran_free(&r);
}
END_TEST

/* An error in the worker process finishes its future with the error, and await raises it
 * again in the task, where an except catches it. */
START_TEST(process_executor_error_reraised) {
    ran r;
    rrun(&r, "error",
         "backend coroutines\npool p workers=1 kind=processes\n"
         "task bad { compute 1ms; raise \"ValueError: bad input\" }\n"
         "actor main {\n  submit p bad as f\n  try { await f } except \"ValueError\" { mark \"caught\" }\n}\n"
         "expect all_done\n",
         (sim_desc){ 0 });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t p = tu_obj_named(&r, "p"), main = tu_unit_named(&r, "main.0");
    const trc_event *done = tu_nth(&r, TRC_EV_TASK_DONE, UINT32_MAX, p, 0);
    ck_assert_uint_eq(done->aux, TRC_OUT_ERROR);
    ck_assert_uint_eq(r.run->units[done->unit].kind, TRC_UNIT_PROCESS);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_RESULT, main, p, 0)->aux, TRC_OUT_ERROR);
    ck_assert_uint_eq(tu_count(&r, TRC_EV_CAUGHT, main), 1);
    ck_assert_uint_eq(nmarks(&r, "caught"), 1);
    tu_ran_free(&r);
}
END_TEST

/* wait_for gives up on a worker process, and cancelling a task that awaits another: neither
 * stops the worker, which runs to its end after the awaiter went on; its result is
 * discarded (no RESULT for it). Each worker says when it has begun (an event), so that the
 * give-up and the cancel come while it runs, however loaded the machine is (a future
 * still queued would be cancelled, as concurrent.futures does). */
START_TEST(process_executor_cancel_leaves_worker_running) {
    ran r;
    rrun(&r, "cancel",
         "backend coroutines\npool p workers=2 kind=processes\nevent s1\nevent s2\n"
         "task work1 { set s1; compute 120ms; mark \"worker done\" }\n"
         "task work2 { set s2; compute 120ms; mark \"worker done\" }\n"
         "task waiter { submit p work2 as f\n try { await f } finally { mark \"waiter cleanup\" } }\n"
         "actor main {\n  submit p work1 as g\n  wait s1\n  wait_for g timeout=10ms\n  if timed_out { mark \"gave up\" }\n"
         "  create_task waiter as w\n  wait s2\n  cancel w\n  await w\n  mark \"main on\"\n}\n"
         "expect all_done\n",
         (sim_desc){ 0 });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t p = tu_obj_named(&r, "p");
    size_t gave_up = index_of(&r, must_mark(&r, "gave up", 0)), on = index_of(&r, must_mark(&r, "main on", 0));
    ck_assert_uint_lt(gave_up, on);
    ck_assert_uint_lt(index_of(&r, must_mark(&r, "waiter cleanup", 0)), on);
    /* both workers ran to their end (processes, both), the second after the awaiters had gone on */
    ck_assert_uint_eq(nmarks(&r, "worker done"), 2);
    for (size_t k = 0; k < 2; k++) {
        const trc_event *e = must_mark(&r, "worker done", k);
        ck_assert_uint_eq(r.run->units[e->unit].kind, TRC_UNIT_PROCESS);
        ck_assert_uint_gt(index_of(&r, e), gave_up);
    }
    ck_assert_uint_gt(index_of(&r, must_mark(&r, "worker done", 1)), on);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_DONE, UINT32_MAX, p, 0)->aux, TRC_OUT_OK);
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_TASK_DONE, UINT32_MAX, p, 1)->aux, TRC_OUT_OK);
    /* the cancels could not stop them (aux 0: it runs); nobody took their results */
    ck_assert_uint_eq(tu_nth(&r, TRC_EV_CANCEL, UINT32_MAX, p, 0)->aux, 0);
    for (size_t i = 0; i < r.run->nevents; i++)
        ck_assert(!(r.run->events[i].kind == TRC_EV_RESULT && r.run->events[i].obj == p &&
                    r.run->events[i].aux == TRC_OUT_OK));
    tu_ran_free(&r);
}
END_TEST

/* ---- nothing left behind -------------------------------------------------------------- */

#define BUSY_WORKERS \
    "backend coroutines\npool p workers=3 kind=processes\n" \
    "task work { compute 30s }\n" \
    "task tick { repeat 100000 { sleep 1ms; mark \"tick\" } }\n" \
    "actor main {\n  create_task tick as t\n  submit p work as a\n  submit p work as b\n  submit p work as c\n" \
    "  await a\n  await t\n}\n"

/* Mappings of the run's shared memory (memfd "weft-coro") this process still has. */
static int nshm(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) n += strstr(line, "weft-coro") != NULL;
    fclose(f);
    return n;
}

static void no_leaks(const char *name, const char *text, sim_desc desc, unsigned want_end) {
    int fds0 = nfds();
    ck_assert(!has_children());
    ran r;
    rrun(&r, name, text, desc);
    ck_assert_uint_eq(r.res.end_reason, want_end);
    /* the three workers were forked (when the run's units were made): processes with pids */
    uint32_t nproc = 0;
    for (uint32_t i = 0; i < r.run->nunits; i++) {
        if (r.run->units[i].kind != TRC_UNIT_PROCESS) continue;
        nproc++;
        ck_assert_int_gt(r.run->units[i].pid, 0);
        ck_assert_int_ne(r.run->units[i].pid, (int32_t)getpid());
    }
    ck_assert_uint_eq(nproc, 3);
    tu_ran_free(&r);
    ck_assert_msg(!has_children(), "a worker process is left (%s)", name);
    ck_assert_int_eq(nfds(), fds0);
    ck_assert_int_eq(nshm(), 0);
}

START_TEST(no_leak_on_normal_end) {
    no_leaks("normal",
             "backend coroutines\npool p workers=3 kind=processes\ntask work { compute 5ms }\n"
             "actor main {\n  submit p work as a\n  submit p work as b\n  submit p work as c\n  await a\n  await b\n"
             "  await c\n}\nexpect all_done\n",
             (sim_desc){ 0 }, TRC_END_OK);
}
END_TEST

START_TEST(no_leak_on_timeout) {
    no_leaks("timeout", BUSY_WORKERS, (sim_desc){ .timeout_ns = 400000000ull }, TRC_END_TIMEOUT);
}
END_TEST

START_TEST(no_leak_on_max_events) {
    no_leaks("limit", BUSY_WORKERS, (sim_desc){ .max_events = 300 }, TRC_END_LIMIT);
}
END_TEST

START_TEST(no_leak_on_error) {
    /* an error that ends the run (a unit's error outside any try, with expect no_errors) */
    int fds0 = nfds();
    ran r;
    rrun(&r, "abort",
         "backend coroutines\npool p workers=2 kind=processes\ntask work { compute 30s }\n"
         "actor main {\n  submit p work as a\n  submit p work as b\n  sleep 20ms\n  raise \"RuntimeError: gone\"\n}\n",
         (sim_desc){ .timeout_ns = 2000000000ull });
    tu_ran_free(&r);
    ck_assert(!has_children());
    ck_assert_int_eq(nfds(), fds0);
    ck_assert_int_eq(nshm(), 0);
}
END_TEST

/* ---- a loop per process (own_loop=process) -------------------------------------------- */

/* Each own_loop=process instance is a loop in a process of its own: distinct loop units, each
 * with its ticks, each with its own pid (not weft's, not another loop's); the tasks made on a
 * loop run in its process; a loop on a thread (own_loop) stays in weft's. */
START_TEST(loops_per_process_recorded) {
    ran r;
    rrun(&r, "loops",
         "backend coroutines\ncounter done\ntask fetch { sleep 2ms + arg * 1ms; incr done }\n"
         "actor worker * 3 own_loop=process {\n  gather fetch * 4\n  mark \"gathered\"\n}\n"
         "actor local own_loop { sleep 5ms; mark \"thread loop\" }\n"
         "expect counter done == 12\nexpect all_done\n",
         (sim_desc){ 0 });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(nmarks(&r, "gathered"), 3);
    int32_t me = (int32_t)getpid(), pids[3];
    uint32_t nloops = 0;
    for (uint32_t i = 0; i < r.run->nunits; i++) {
        const trc_unit *u = &r.run->units[i];
        if (u->kind != TRC_UNIT_LOOP) continue;
        nloops++;
        /* its ticks: on its own lane */
        size_t ticks = 0;
        for (size_t k = 0; k < r.run->nevents; k++) ticks += r.run->events[k].kind == TRC_EV_LOOP_TICK && r.run->events[k].unit == i;
        ck_assert_msg(ticks >= 1, "loop %s has no tick", u->name);
        if (!strcmp(u->name, "loop local.0")) {
            ck_assert_int_eq(u->pid, me);
            continue;
        }
        ck_assert_msg(!strncmp(u->name, "loop worker.", 12), "loop %s", u->name);
        int k = u->name[12] - '0';
        ck_assert(k >= 0 && k < 3);
        pids[k] = u->pid;
        ck_assert_int_gt(u->pid, 0);
        ck_assert_int_ne(u->pid, me);
    }
    ck_assert_uint_eq(nloops, 4);
    ck_assert_int_ne(pids[0], pids[1]);
    ck_assert_int_ne(pids[1], pids[2]);
    ck_assert_int_ne(pids[0], pids[2]);
    /* the tasks made on a loop: children of that loop (the viewer's grouping), in its process */
    uint32_t fetches = 0;
    for (uint32_t i = 0; i < r.run->nunits; i++) {
        const trc_unit *u = &r.run->units[i];
        if (strncmp(u->name, "fetch.", 6)) continue;
        fetches++;
        ck_assert_uint_lt(u->parent, r.run->nunits);
        const trc_unit *l = &r.run->units[u->parent];
        ck_assert_uint_eq(l->kind, TRC_UNIT_LOOP);
        ck_assert_msg(!strncmp(l->name, "loop worker.", 12), "fetch on %s", l->name);
        ck_assert_uint_eq(tu_count(&r, TRC_EV_UNIT_EXIT, i), 1);
    }
    ck_assert_uint_eq(fetches, 12);
    tu_ran_free(&r);
}
END_TEST

/* A loop's process and a process pool together: a task on a loop in a process of its own
 * hands work to a worker process; nothing is left behind. */
START_TEST(loop_process_with_process_pool) {
    int fds0 = nfds();
    ran r;
    rrun(&r, "both",
         "backend coroutines\npool p workers=1 kind=processes\ncounter beats\n"
         "task crunch { compute 30ms }\ntask heart { repeat 10 { sleep 2ms; incr beats } }\n"
         "actor a own_loop=process {\n  create_task heart as h\n  submit p crunch as f\n  await f\n  await h\n}\n"
         "expect counter beats == 10\nexpect all_done\n",
         (sim_desc){ 0 });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    tu_ran_free(&r);
    ck_assert(!has_children());
    ck_assert_int_eq(nfds(), fds0);
    ck_assert_int_eq(nshm(), 0);
}
END_TEST

START_TEST(no_leak_loop_process_on_timeout) {
    int fds0 = nfds();
    ran r;
    rrun(&r, "loop_timeout",
         "backend coroutines\ntask tick { repeat 100000 { sleep 1ms } }\n"
         "actor a * 2 own_loop=process { gather tick * 3 }\n",
         (sim_desc){ .timeout_ns = 300000000ull });
    ck_assert_uint_eq(r.res.end_reason, TRC_END_TIMEOUT);
    tu_ran_free(&r);
    ck_assert(!has_children());
    ck_assert_int_eq(nfds(), fds0);
    ck_assert_int_eq(nshm(), 0);
}
END_TEST

/* ---- what cannot work: errors at line:col ------------------------------------------------- */

static void run_err(const char *text, sim_desc desc, int line, int col, const char *msg, const char *hint) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", text, NULL, 0, &d), 0);
    sim_result res;
    desc.out_path = tmp_path("coro_procs_err.weft");
    unlink(desc.out_path);
    ck_assert_int_lt(sim_run(&res, p, &desc, &d), 0);
    ck_assert_msg(d.line == line && d.col == col, "'%s' at %d:%d, expected %d:%d", d.msg, d.line, d.col, line, col);
    ck_assert_msg(strstr(d.msg, msg), "message '%s' lacks '%s'", d.msg, msg);
    ck_assert_msg(strstr(d.hint, hint), "hint '%s' lacks '%s'", d.hint, hint);
    ck_assert_int_ne(access(desc.out_path, F_OK), 0);   /* nothing recorded */
    ck_assert(!has_children());
    sim_program_free(p);
}

START_TEST(errors_at_line_col) {
    /* own_loop takes thread or process */
    tu_parse_err("backend coroutines\nactor a own_loop=fiber { sleep 1ms }\n", 2, 18, "own_loop=fiber",
                 "own_loop=process");
    /* with a virtual clock: a process pool, a loop in a process */
    run_err("backend coroutines\npool p workers=1 kind=processes\ntask t { }\nactor a { submit p t as f; await f }\n",
            (sim_desc){ .virtual_clock = true }, 2, 18, "process pool", "--clock virtual");
    run_err("backend coroutines\nactor a own_loop=process { sleep 1ms }\n", (sim_desc){ .virtual_clock = true }, 2, 9,
            "own_loop=process", "--clock virtual");
    /* the GIL model in a loop's process */
    run_err("backend coroutines\ngil on\nactor a * 2 own_loop=process { sleep 1ms }\n", (sim_desc){ 0 }, 3, 13,
            "own_loop=process with the GIL", "own_loop");
    /* a loop of its own on the other backends */
    diag d;
    diag_clear(&d);
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", "actor a own_loop=process { sleep 1ms }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_PROCESSES, &d), -ERR_SCENARIO);
    ck_assert_int_eq(d.line, 1);
    ck_assert_int_eq(d.col, 7);
    ck_assert_msg(strstr(d.msg, "own_loop"), "%s", d.msg);
    sim_program_free(p);
    /* the most processes a run makes, counted before anything is forked */
    const char *too_many[] = { "backend coroutines\npool p workers=2000 kind=processes\ntask t { }\n"
                               "actor a { submit p t as f; await f }\n",
                               "backend coroutines\nactor a * 1500 own_loop=process { sleep 1ms }\n" };
    const int at_col[] = { 16, 11 };
    for (int k = 0; k < 2; k++) {
        diag_clear(&d);
        ck_assert_int_eq(sim_parse(&p, "t.scn", too_many[k], NULL, 0, &d), 0);
        ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_COROUTINES, &d), -ERR_LIMIT);
        ck_assert_int_eq(d.line, 2);
        ck_assert_int_eq(d.col, at_col[k]);
        ck_assert_msg(strstr(d.msg, "weft runs at most"), "%s", d.msg);
        sim_program_free(p);
    }
}
END_TEST

static Suite *coro_procs_suite(void) {
    Suite *s = suite_create("coro_procs");
    TCase *tc = tcase_create("executor");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, process_executor_hand_off);
    tcase_add_test(tc, process_executor_error_reraised);
    tcase_add_test(tc, process_executor_cancel_leaves_worker_running);
    tcase_add_test(tc, no_leak_on_normal_end);
    tcase_add_test(tc, no_leak_on_timeout);
    tcase_add_test(tc, no_leak_on_max_events);
    tcase_add_test(tc, no_leak_on_error);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("loop_per_process");
    tcase_set_timeout(tl, 120);
    tcase_add_test(tl, loops_per_process_recorded);
    tcase_add_test(tl, loop_process_with_process_pool);
    tcase_add_test(tl, no_leak_loop_process_on_timeout);
    tcase_add_test(tl, errors_at_line_col);
    suite_add_tcase(s, tl);
    return s;
}

int main(void) { return run_suite(coro_procs_suite()); }
