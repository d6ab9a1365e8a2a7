/* The processes backend end to end: scenarios run for real on processes,
 * the recording loaded back, and the recorded events and the derived model
 * asserted: every object across processes, pipes, shared memory, vars copied
 * at fork, managers, process pools, exit codes and killing signals, spawn,
 * the watchdog's reports, and the same scenario on threads and processes. */
#include "testutil.h"
#include "sim/sim.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef tu_ran ran;

/* Runs text on backend (NULL: the scenario's), spawn by the weft binary. */
static void run_on(ran *out, const char *name, const char *text, const char *backend) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    int rc = sim_parse(&p, name, text, NULL, 0, &d);
    ck_assert_msg(rc == 0, "%s:%d:%d: %s", name, d.line, d.col, d.msg);
    char file[160];
    snprintf(file, sizeof file, "%s-%s.weft", name, backend ? backend : "own");
    const char *path = tmp_path(file);
    rc = sim_run(&out->res, p, &(sim_desc){ .out_path = path, .backend = backend, .timeout_ns = 60000000000ull,
                                            .worker_exe = WEFT_BINARY }, &d);
    ck_assert_msg(rc == 0, "sim_run: %s", d.msg);
    sim_program_free(p);
    rc = trc_recording_load(&out->rec, path, &d);
    ck_assert_msg(rc == 0, "load: %s", d.msg);
    ck_assert(!out->rec->truncated);
    out->run = &out->rec->runs[0];
    rc = trc_model_build(&out->m, out->run, &d);
    ck_assert_msg(rc == 0, "model: %s", d.msg);
}

static void run_procs(ran *out, const char *name, const char *text) { run_on(out, name, text, "processes"); }

static uint32_t unit_of(const trc_run *run, const char *name) {
    for (uint32_t u = 0; u < run->nunits; u++)
        if (!strcmp(run->units[u].name, name)) return u;
    ck_abort_msg("no unit %s", name);
    return 0;
}

static uint32_t obj_of(const trc_run *run, const char *name) {
    for (uint32_t o = 0; o < run->nobjects; o++)
        if (!strcmp(run->objects[o].name, name)) return o + 1;
    ck_abort_msg("no object %s", name);
    return 0;
}

static size_t count(const trc_run *run, unsigned kind, uint32_t unit) {
    size_t n = 0;
    for (size_t i = 0; i < run->nevents; i++)
        n += run->events[i].kind == kind && (unit == UINT32_MAX || run->events[i].unit == unit);
    return n;
}

static size_t count_flows(const trc_model *m, unsigned kind) {
    size_t n = 0;
    for (size_t i = 0; i < m->nflows; i++) n += m->flows[i].kind == kind;
    return n;
}

/* Every unit that ran has a process of its own: a PROC_START with a pid, pids distinct, and main's pid
 * (weft's own) none of them. */
static void distinct_processes(const ran *r) {
    const trc_run *run = r->run;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &r->m.units[u];
        if (!ut->pid) continue;
        ck_assert_int_ne(ut->pid, getpid());
        for (uint32_t k = 0; k < u; k++)
            if (r->m.units[k].start_method != TRC_START_THREAD && ut->start_method != TRC_START_THREAD)
                ck_assert_int_ne(r->m.units[k].pid, ut->pid);
    }
}

/* ---- the basics ------------------------------------------------------------------- */

START_TEST(units_are_processes) {
    ran r;
    run_procs(&r, "basics", "queue q capacity=4\n"
                            "actor producer * 2 { repeat 5 { compute 100us; put q } }\n"
                            "actor consumer { repeat 10 { get q } }\n"
                            "expect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_str_eq(run->backend, "processes");
    for (uint32_t u = 0; u < run->nunits; u++) {
        ck_assert_uint_eq(run->units[u].kind, TRC_UNIT_PROCESS);
        const trc_unit_track *ut = &r.m.units[u];
        ck_assert_int_gt(ut->pid, 0);
        ck_assert_int_eq(ut->ppid, getpid());   /* forked by main, as they start with the run */
        ck_assert_uint_eq(ut->start_method, TRC_START_FORK);
        ck_assert(ut->proc_ended);
        ck_assert(!ut->died);
        ck_assert_int_eq(ut->exit_code, 0);
        ck_assert_int_eq(ut->exit_signal, 0);
        ck_assert(ut->exited);
        /* the first event is the process's start, the last its reaped end (the machine's facts
         * aside: a CPU event comes before the first event seen on a CPU; unit 0 carries weft's
         * own memory samples) */
        size_t first = SIZE_MAX, last = 0;
        for (size_t i = 0; i < run->nevents; i++) {
            unsigned k = run->events[i].kind;
            if (trc_ev_is_machine(k)) continue;   /* the kernel's facts, the memory samples */
            if (run->events[i].unit == u) { if (first == SIZE_MAX) first = i; last = i; }
        }
        ck_assert_uint_eq(run->events[first].kind, TRC_EV_PROC_START);
        ck_assert_uint_eq(run->events[last].kind, TRC_EV_PROC_EXIT);
    }
    distinct_processes(&r);
    /* items crossed processes: ten puts, ten gets, each a flow from a producer to the consumer */
    ck_assert_uint_eq(count(run, TRC_EV_PUT, UINT32_MAX), 10);
    ck_assert_uint_eq(count(run, TRC_EV_GET, UINT32_MAX), 10);
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_ITEM), 10);
    ck_assert_uint_eq(r.m.unmatched_puts, 0);
    tu_ran_free(&r);
}
END_TEST

START_TEST(every_object_across_processes) {
    ran r;
    run_procs(&r, "objects",
              "lock m\nrlock rl\nsemaphore s 2\ncondition c lock=m\nevent go\nbarrier b 3\nrwlock rw\n"
              "counter atomic_c\ncounter locked_c\ncounter ready\n"
              "actor w * 3 {\n"
              "    wait go\n"
              "    repeat 20 { incr atomic_c; incr locked_c locked m }\n"
              "    lock rl { lock rl { compute 50us } }\n"
              "    acquire s { sleep 1ms }\n"
              "    read rw { sleep 500us }\n"
              "    write rw { incr atomic_c }\n"
              "    lock m { incr ready; notify_all c }\n"
              "    wait b\n"
              "}\n"
              "actor boss {\n"
              "    sleep 2ms\n"
              "    set go\n"
              "    lock m { wait_for c ready == 3 }\n"
              "}\n"
              "expect counter atomic_c == 63\nexpect counter locked_c == 60\nexpect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    distinct_processes(&r);
    /* the lock was owned by the three processes in turn, never two at once */
    const trc_object_track *m = &r.m.objects[obj_of(run, "m") - 1];
    bool owners[4] = { 0 };
    for (size_t i = 0; i < m->nowners; i++) {
        owners[m->owners[i].owner] = true;
        if (i) ck_assert_uint_le(m->owners[i - 1].t1, m->owners[i].t0);
    }
    ck_assert(owners[0] && owners[1] && owners[2]);
    /* an rlock twice deep, a semaphore of 2, readers together, the barrier opened once */
    ck_assert_int_eq(r.m.objects[obj_of(run, "rl") - 1].max_level, 2);
    ck_assert_int_le(r.m.objects[obj_of(run, "s") - 1].max_level, 2);
    ck_assert_uint_eq(r.m.objects[obj_of(run, "b") - 1].generations, 1);
    ck_assert_uint_eq(r.m.objects[obj_of(run, "go") - 1].sets, 1);
    ck_assert_uint_ge(r.m.objects[obj_of(run, "c") - 1].notifies, 3);
    /* the set released every process that was waiting for it: a flow from boss to each */
    size_t waited = 0;
    for (size_t i = 0; i < run->nevents; i++)
        waited += run->events[i].kind == TRC_EV_WAIT_BEGIN && run->events[i].obj == obj_of(run, "go");
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_SET), waited);
    for (size_t i = 0; i < r.m.nflows; i++)
        if (r.m.flows[i].kind == TRC_FLOW_SET) ck_assert_uint_eq(r.m.flows[i].u0, unit_of(run, "boss.0"));
    ck_assert_int_eq(r.m.objects[obj_of(run, "locked_c") - 1].final_value, 60);
    tu_ran_free(&r);
}
END_TEST

START_TEST(racy_counter_loses_updates_across_processes) {
    ran r;
    run_procs(&r, "racy", "counter c\nbarrier go 3\nactor w * 3 { wait go; repeat 20 { incr c racy window=200us } }\n"
                          "expect lost_updates c > 0\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    const trc_object_track *c = &r.m.objects[obj_of(r.run, "c") - 1];
    ck_assert_uint_eq(c->writes, 60);
    ck_assert_uint_gt(c->lost_updates, 0);
    ck_assert_int_eq(c->final_value + (int64_t)c->lost_updates, 60);   /* what was lost is exactly what is missing */
    tu_ran_free(&r);
}
END_TEST

/* ---- exit codes, signals, a child killed mid-run ----------------------------------- */

START_TEST(exit_codes_and_signals) {
    ran r;
    run_procs(&r, "ends", "event holding\nlock m\n"
                          "actor quitter { exit 7 }\n"
                          "actor crasher { sleep 1ms; crash }\n"
                          "actor victim { lock m; set holding; sleep 30s }\n"
                          "actor stubborn { sleep 30s }\n"
                          "actor killer { wait holding; kill victim; terminate stubborn }\n"
                          "expect exitcode quitter == 7\nexpect exitcode crasher == -11\n"
                          "expect exitcode victim == -9\nexpect exitcode stubborn == -15\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    const trc_unit_track *q = &r.m.units[unit_of(run, "quitter.0")], *c = &r.m.units[unit_of(run, "crasher.0")],
                         *v = &r.m.units[unit_of(run, "victim.0")], *s = &r.m.units[unit_of(run, "stubborn.0")];
    ck_assert(q->proc_ended && !q->died);
    ck_assert_int_eq(q->exit_code, 7);
    ck_assert(c->died && c->exit_signal == SIGSEGV);
    ck_assert(v->died && v->exit_signal == SIGKILL);
    ck_assert(s->died && s->exit_signal == SIGTERM);
    ck_assert_uint_eq(count(run, TRC_EV_UNIT_EXIT, unit_of(run, "victim.0")), 0);   /* it never got to its end */
    /* the killer's two signals, each a flow to the death it caused */
    uint32_t k = unit_of(run, "killer.0");
    ck_assert_uint_eq(count(run, TRC_EV_SIGNAL, k), 2);
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_SIGNAL), 2);
    /* the lock the victim held stays held by the dead process to the run's end */
    const trc_object_track *m = &r.m.objects[obj_of(run, "m") - 1];
    ck_assert_uint_eq(m->nowners, 1);
    ck_assert_uint_eq(m->owners[0].owner, unit_of(run, "victim.0"));
    ck_assert_uint_eq(m->owners[0].t1, r.m.makespan);
    tu_ran_free(&r);
}
END_TEST

START_TEST(killed_child_keeps_its_events) {
    ran r;
    run_procs(&r, "killed", "event done\n"
                            "actor child { repeat 300 { mark \"step\" }; set done; sleep 30s }\n"
                            "actor killer { wait done; kill child }\n");
    const trc_run *run = r.run;
    uint32_t c = unit_of(run, "child.0");
    /* every event it recorded before the kill is in the recording, then its death */
    ck_assert_uint_eq(count(run, TRC_EV_MARK, c), 300);
    ck_assert_uint_eq(count(run, TRC_EV_SET, c), 1);
    ck_assert_uint_le(count(run, TRC_EV_SLEEP_BEGIN, c), 1);   /* it may or may not have begun its sleep */
    ck_assert_uint_eq(count(run, TRC_EV_PROC_EXIT, c), 1);
    ck_assert_uint_eq(run->lost, 0);
    const trc_unit_track *ut = &r.m.units[c];
    ck_assert(ut->died && ut->exit_signal == SIGKILL);
    ck_assert(ut->exited);
    ck_assert_uint_eq(ut->t_exit, ut->t_proc_exit);
    ck_assert_uint_lt(ut->t_exit, r.m.makespan + 1);
    tu_ran_free(&r);
}
END_TEST

START_TEST(daemon_process_terminated_at_exit) {
    ran r;
    run_procs(&r, "daemon", "event beating\n"
                            "actor beat daemon { repeat 4 { mark \"beat\" }; set beating; loop { sleep 1ms; mark \"beat\" } }\n"
                            "actor main { wait beating }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    const trc_unit_track *b = &r.m.units[unit_of(r.run, "beat.0")];
    ck_assert(b->killed);
    ck_assert(b->died);
    ck_assert_int_eq(b->exit_signal, SIGTERM);   /* terminate(), as Python does at exit */
    ck_assert_uint_ge(count(r.run, TRC_EV_MARK, unit_of(r.run, "beat.0")), 4);
    ck_assert_uint_ge(b->t_exit, r.m.units[unit_of(r.run, "main.0")].t_exit);
    tu_ran_free(&r);
}
END_TEST

START_TEST(uncaught_error_exits_1_and_a_timer_is_a_thread) {
    /* Python: a process that dies of an error exits with code 1; a threading.Timer is a thread of the
     * process that starts it (main's, for one that starts with the run) */
    ran r;
    run_procs(&r, "errtimer", "counter fired\nevent go\n"
                              "timer t 5ms { incr fired; set go }\n"
                              "actor a { wait go; raise \"ValueError: bad\" }\n"
                              "expect exitcode a == 1\nexpect counter fired == 1\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    const trc_unit_track *t = &r.m.units[unit_of(r.run, "t.0")], *a = &r.m.units[unit_of(r.run, "a.0")];
    ck_assert_uint_eq(t->start_method, TRC_START_THREAD);
    ck_assert_int_eq(t->pid, (int)getpid());   /* a thread of main's process: this test's */
    ck_assert_uint_eq(a->start_method, TRC_START_FORK);
    ck_assert_int_ne(a->pid, (int)getpid());
    ck_assert(a->failed);
    ck_assert(a->proc_ended && !a->died);
    ck_assert_int_eq(a->exit_code, 1);
    tu_ran_free(&r);
}
END_TEST

START_TEST(a_pipe_beside_a_manager) {
    /* the managers' pipes were made after the scenario's and took their descriptors away */
    ran r;
    run_procs(&r, "pipemgr", "pipe p\nmanager m\ncounter done = 0 managed by m\n"
                             "actor boss { spawn worker; close p write; loop { recv p; if not ok { break } }; join worker }\n"
                             "actor worker * 3 spawned { send p bytes=2KiB; incr done }\n"
                             "expect counter done == 3\nexpect all_done\n");
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    const trc_object_track *p = &r.m.objects[obj_of(r.run, "p") - 1];
    ck_assert_uint_eq(p->sends, 3);
    ck_assert_uint_eq(p->recvs, 4);
    ck_assert_uint_eq(p->bytes, 3 * 2048);
    ck_assert_uint_eq(count(r.run, TRC_EV_ERROR, UINT32_MAX), 0);
    tu_ran_free(&r);
}
END_TEST

START_TEST(join_with_timeout) {
    ran r;
    /* slow cannot end before main gave up: it waits for the event main sets then (a sleep could end first under load) */
    run_procs(&r, "joint", "event go\nactor slow spawned { wait go }\n"
                           "actor main { spawn slow; join slow timeout=5ms; if timed_out { mark \"gave up\"; set go }; join slow }\n"
                           "expect order \"gave up\" < slow\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(count(r.run, TRC_EV_JOINED, UINT32_MAX), 1);
    tu_ran_free(&r);
}
END_TEST

/* ---- pipes ------------------------------------------------------------------------- */

START_TEST(pipe_messages_and_eof) {
    ran r;
    run_procs(&r, "pipe", "pipe p\n"
                          "actor parent {\n"
                          "    spawn child\n"
                          "    close p write\n"
                          "    loop { recv p; if not ok { break } }\n"
                          "    join child\n"
                          "}\n"
                          "actor child spawned { repeat 5 { send p bytes=100KiB } }\n"
                          "expect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t po = obj_of(run, "p");
    const trc_object_track *p = &r.m.objects[po - 1];
    ck_assert_uint_eq(p->sends, 5);
    ck_assert_uint_eq(p->recvs, 6);   /* five messages, then the end of file once the child's end is gone */
    ck_assert_uint_eq(p->eofs, 1);
    ck_assert_uint_eq(p->bytes, 5 * 100 * 1024);
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_MESSAGE), 5);
    /* the child was forked by the parent's process */
    ck_assert_int_eq(r.m.units[unit_of(run, "child.0")].ppid, r.m.units[unit_of(run, "parent.0")].pid);
    ck_assert_int_eq(p->level[p->nlevel - 1].v, 0);   /* every byte sent was received */
    tu_ran_free(&r);
}
END_TEST

START_TEST(pipe_eof_never_comes_while_an_end_is_open) {
    /* the parent keeps its write end: its recv waits for itself (a deadlock of one) */
    ran r;
    run_procs(&r, "noeof", "pipe p\n"
                           "actor parent { spawn child; loop { recv p; if not ok { break } }; join child }\n"
                           "actor child spawned { send p; close p }\n"
                           "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_msg(strstr(r.res.report, "parent.0 waits to recv from pipe 'p'") &&
                  strstr(r.res.report, "write end is open in parent.0 (itself)"), "report: %s", r.res.report);
    ck_assert_uint_eq(r.m.objects[0].sends, 1);
    tu_ran_free(&r);
}
END_TEST

START_TEST(pipe_recv_while_another_writer_lives_is_no_deadlock) {
    /* the parent keeps its write end, but the child still holds one and is busy: the recv waits for
     * either of them, so it is no deadlock of one until the child is gone (here it sends first) */
    ran r;
    run_procs(&r, "otherwriter", "pipe p\n"
                                 "actor parent { spawn child; recv p; mark \"got it\"; join child }\n"
                                 "actor child spawned { sleep 400ms; send p }\n"
                                 "expect all_done\n");
    ck_assert_msg(r.res.end_reason == TRC_END_OK, "report: %s", r.res.report);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(count(r.run, TRC_EV_MARK, unit_of(r.run, "parent.0")), 1);
    ck_assert_uint_eq(r.m.objects[0].recvs, 1);
    tu_ran_free(&r);
}
END_TEST

START_TEST(pipe_send_after_close_is_an_error) {
    ran r;
    run_procs(&r, "closed", "pipe p\nactor a { close p write; send p }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_msg(strstr(r.res.report, "closed:2:26: send on pipe 'p' after its process closed the write end"),
                  "report: %s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

START_TEST(pipe_poll) {
    ran r;
    run_procs(&r, "poll", "pipe p\nevent sent\nevent polled\n"
                          "actor a { poll p; if ok { mark \"early\" }; set polled; wait sent; poll p timeout=1s;\n"
                          "  if ok { mark \"ready\" }; recv p }\n"
                          "actor b { wait polled; send p; set sent }\n"
                          "expect order \"ready\" < a\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(count(r.run, TRC_EV_POLL, UINT32_MAX), 2);
    ck_assert_uint_eq(count(r.run, TRC_EV_MARK, UINT32_MAX), 1);   /* not ready at first */
    tu_ran_free(&r);
}
END_TEST

/* ---- shared memory ------------------------------------------------------------------ */

START_TEST(shm_torn_reads_and_a_lock) {
    ran r;
    run_procs(&r, "shm", "shm s size=64KiB\nshm t size=64KiB\nlock m\nevent started\n"
                         "actor writer { set started; repeat 10 { write s offset=0 len=16KiB gap=2ms; "
                         "lock m { write t offset=0 len=16KiB gap=2ms } }; unlink s }\n"
                         "actor reader { wait started; repeat 40 { read s offset=0 len=16KiB; "
                         "lock m { read t offset=0 len=16KiB }; sleep 500us } }\n"
                         "expect torn_reads s > 0\nexpect torn_reads t == 0\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    const trc_object_track *s = &r.m.objects[0], *t = &r.m.objects[1];
    ck_assert_uint_eq(s->shm_writes, 10);
    ck_assert_uint_eq(s->shm_reads, 40);
    ck_assert_uint_gt(s->torn_reads, 0);
    ck_assert_uint_eq(t->torn_reads, 0);
    ck_assert(s->unlinked);
    ck_assert(!t->unlinked);
    /* the one never unlinked is reported as leaked */
    ck_assert_msg(strstr(r.res.report, "leaked: shm 't' (64 KiB) was never unlinked") &&
                  !strstr(r.res.report, "shm 's'"), "report: %s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

/* ---- vars: copied at fork ---------------------------------------------------------- */

static const char vars_text[] =
    "var x = 1\n"
    "actor parent { let x = 5; spawn child; join child; if x == 9 { mark \"parent sees 9\" } else { mark \"parent keeps 5\" } }\n"
    "actor child spawned { if x == 5 { mark \"child sees 5\" }; let x = 9 }\n"
    "actor other { sleep 30ms; if x == 1 { mark \"sibling has its own\" } else { mark \"sibling sees a change\" } }\n";

static bool has_mark(const trc_run *run, const char *text) {
    for (size_t i = 0; i < run->nevents; i++)
        if (run->events[i].kind == TRC_EV_MARK && run->events[i].arg < run->nstrings &&
            !strcmp(run->strings[run->events[i].arg], text))
            return true;
    return false;
}

START_TEST(vars_shared_by_threads_copied_by_processes) {
    ran t, p;
    run_on(&t, "vars", vars_text, "threads");
    run_on(&p, "vars", vars_text, "processes");
    /* the child started after the parent's change sees it on both */
    ck_assert(has_mark(t.run, "child sees 5"));
    ck_assert(has_mark(p.run, "child sees 5"));
    /* threads share it; each process has its own copy */
    ck_assert(has_mark(t.run, "parent sees 9"));
    ck_assert(has_mark(p.run, "parent keeps 5"));
    ck_assert(has_mark(t.run, "sibling sees a change"));
    ck_assert(has_mark(p.run, "sibling has its own"));
    ck_assert_uint_eq(count(p.run, TRC_EV_VAR_SET, UINT32_MAX), 2);
    tu_ran_free(&t);
    tu_ran_free(&p);
}
END_TEST

/* ---- the same outcome where the semantics say so ------------------------------------ */

static const char same_text[] =
    "queue q capacity=3\nlock m\ncounter total\ncounter got\n"
    "actor producer * 2 { repeat 15 { put q; incr total locked m } }\n"
    "actor consumer * 3 { repeat 10 { get q; incr got } }\n"
    "expect counter total == 30\nexpect counter got == 30\nexpect all_done\n";

START_TEST(same_outcome_on_threads_and_processes) {
    ran t, p;
    run_on(&t, "same", same_text, "threads");
    run_on(&p, "same", same_text, "processes");
    ck_assert_uint_eq(t.res.expect_failed, 0);
    ck_assert_uint_eq(p.res.expect_failed, 0);
    ck_assert_uint_eq(count(t.run, TRC_EV_GET, UINT32_MAX), count(p.run, TRC_EV_GET, UINT32_MAX));
    ck_assert_int_eq(t.m.objects[2].final_value, p.m.objects[2].final_value);
    ck_assert_uint_eq(p.run->units[0].kind, TRC_UNIT_PROCESS);
    ck_assert_uint_eq(t.run->units[0].kind, TRC_UNIT_THREAD);
    tu_ran_free(&t);
    tu_ran_free(&p);
}
END_TEST

/* ---- queues as multiprocessing.Queue ------------------------------------------------ */

START_TEST(queue_bytes_and_pickling) {
    ran r;
    run_procs(&r, "mpq", "queue q capacity=8 item=4KiB pickle=100us\n"
                         "actor p { repeat 10 { put q } }\nactor c { repeat 10 { get q } }\nexpect all_done\n");
    const trc_object_track *q = &r.m.objects[0];
    ck_assert_uint_eq(q->pickles, 20);             /* pickled by the putter, unpickled by the getter */
    ck_assert_uint_eq(q->bytes, 10 * 4096);
    ck_assert_uint_ge(q->pickle_ns, 20 * 100000ull * 9 / 10);
    size_t pk = 0;
    for (size_t i = 0; i < r.run->nevents; i++) {
        const trc_event *e = &r.run->events[i];
        if (e->kind != TRC_EV_COMPUTE_BEGIN) continue;
        ck_assert_uint_eq(e->obj, 1);
        ck_assert_uint_eq(e->extra, 4096);
        pk += e->aux == TRC_COMPUTE_PICKLE && e->unit == 0;
    }
    ck_assert_uint_eq(pk, 10);
    tu_ran_free(&r);
}
END_TEST

START_TEST(join_before_drain_hangs) {
    ran r;
    run_procs(&r, "drain", "queue q capacity=100 item=16KiB\n"
                           "actor parent { spawn child; join child; repeat 10 { get q } }\n"
                           "actor child spawned { repeat 10 { put q } }\n"
                           "expect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    /* 64 KiB fit in the pipe: four 16 KiB items; the child's feeder holds six, and its exit waits */
    ck_assert_msg(strstr(r.res.report, "child.0 cannot exit") && strstr(r.res.report, "feeder still holds 6 item(s)") &&
                  strstr(r.res.report, "parent.0 waits to join child.0"), "report: %s", r.res.report);
    bool flush = false;
    for (size_t i = 0; i < r.run->nevents; i++)
        flush |= r.run->events[i].kind == TRC_EV_WAIT_BEGIN && r.run->events[i].aux == TRC_OP_FLUSH;
    ck_assert(flush);
    tu_ran_free(&r);
}
END_TEST

START_TEST(drain_before_join_is_fine) {
    ran r;
    run_procs(&r, "drained", "queue q capacity=100 item=16KiB\n"
                             "actor parent { spawn child; repeat 10 { get q }; join child }\n"
                             "actor child spawned { repeat 10 { put q } }\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    tu_ran_free(&r);
}
END_TEST

/* ---- managers ----------------------------------------------------------------------- */

START_TEST(manager_requests_and_replies) {
    ran r;
    run_procs(&r, "mgr", "manager m\ncounter safe = 0 managed by m\ncounter racy = 0 managed by m\n"
                         "var v = 3 managed by m\nlock l\n"
                         "actor w * 3 { repeat 10 { incr safe; incr racy racy window=100us } }\n"
                         "actor setter { let v = v + 4 }\n"
                         "expect counter safe == 30\nexpect lost_updates racy > 0\nexpect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t m = unit_of(run, "m");
    ck_assert_uint_eq(run->units[m].kind, TRC_UNIT_PROCESS);
    ck_assert_int_gt(r.m.units[m].pid, 0);
    /* 30 adds + 30 gets + 30 sets + a get and a set of v */
    size_t req = count(run, TRC_EV_REQUEST, UINT32_MAX);
    ck_assert_uint_eq(req, 92);
    ck_assert_uint_eq(count(run, TRC_EV_SERVE, m), req);
    ck_assert_uint_eq(count(run, TRC_EV_REPLY, UINT32_MAX), req);
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_REQUEST), req);
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_REPLY), req);
    for (size_t i = 0; i < r.m.nflows; i++) {
        const trc_flow *f = &r.m.flows[i];
        if (f->kind == TRC_FLOW_REQUEST) ck_assert_uint_eq(f->u1, m);
        if (f->kind == TRC_FLOW_REPLY) ck_assert_uint_eq(f->u0, m);
    }
    ck_assert_uint_eq(count(run, TRC_EV_VAR_SET, unit_of(run, "setter.0")), 1);
    ck_assert_int_eq((int64_t)run->events[0].arg, run->events[0].arg);   /* (no overflow in the ids) */
    tu_ran_free(&r);
}
END_TEST

/* ---- process pools ------------------------------------------------------------------ */

START_TEST(process_pool_reuses_its_workers) {
    ran r;
    run_procs(&r, "ppool", "pool p workers=2 kind=processes pickle=50us item=2KiB\n"
                           "task t { compute 300us }\n"
                           "actor main { map p t 8 }\nexpect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    const trc_object_track *po = &r.m.objects[0];
    ck_assert_uint_eq(po->completed, 8);
    /* eight tasks on two worker processes, forked by the submitter, each reused */
    int32_t main_pid = r.m.units[unit_of(run, "main.0")].pid;
    int32_t pids[2] = { r.m.units[unit_of(run, "p.0")].pid, r.m.units[unit_of(run, "p.1")].pid };
    for (int k = 0; k < 2; k++) {
        ck_assert_int_gt(pids[k], 0);
        ck_assert_int_ne(pids[k], main_pid);
        ck_assert_int_eq(r.m.units[unit_of(run, k ? "p.1" : "p.0")].ppid, main_pid);
    }
    size_t started[2] = { 0 };
    for (size_t i = 0; i < r.m.nfutures; i++) {
        const trc_future *f = &r.m.futures[i];
        ck_assert(f->worker == unit_of(run, "p.0") || f->worker == unit_of(run, "p.1"));
        started[f->worker == unit_of(run, "p.1")]++;
    }
    ck_assert_uint_eq(started[0] + started[1], 8);
    /* pickled: each task by its submitter, each result by its worker */
    ck_assert_uint_eq(po->pickles, 16);
    ck_assert_uint_eq(po->bytes, 16 * 2048);
    tu_ran_free(&r);
}
END_TEST

START_TEST(thread_pool_inside_a_process) {
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer cannot start a thread in a process forked from a multi-threaded one
     * ("starting new threads after multi-threaded fork is not supported"): weft's main has its
     * recorder's and reaper's threads when it forks. Checked by the plain and ASan builds. */
    return;
#endif
    ran r;
    run_procs(&r, "tpool", "pool p workers=2\ntask t { sleep 1ms }\nactor main { map p t 4 }\nexpect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t w = unit_of(run, "p.0");
    ck_assert_uint_eq(run->units[w].kind, TRC_UNIT_THREAD);
    ck_assert_uint_eq(r.m.units[w].start_method, TRC_START_THREAD);
    ck_assert_int_eq(r.m.units[w].pid, r.m.units[unit_of(run, "main.0")].pid);   /* in its submitter's process */
    tu_ran_free(&r);
}
END_TEST

/* ---- spawn --------------------------------------------------------------------------- */

START_TEST(spawn_is_a_fresh_process) {
    ran r;
    run_procs(&r, "spawn", "var x = 1\npipe p\npipe unused\n"
                           "actor parent { let x = 7; spawn kid; close p write; close unused; recv p; recv p; join kid }\n"
                           "actor kid spawned start=spawn { if x == 1 { mark \"declared\" }; send p; close p write;\n"
                           "    if x == 1 { mark \"still\" } }\n"
                           "expect all_done\n");
    const trc_run *run = r.run;
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t k = unit_of(run, "kid.0");
    ck_assert_uint_eq(r.m.units[k].start_method, TRC_START_SPAWN);
    ck_assert_int_eq(r.m.units[k].ppid, r.m.units[unit_of(run, "parent.0")].pid);
    ck_assert(has_mark(run, "declared"));   /* nothing of the parent's state came with it */
    /* the parent's second recv saw the end of file: the spawned kid held only the end it uses, and closed it */
    ck_assert_uint_eq(r.m.objects[obj_of(run, "p") - 1].eofs, 1);
    /* its start-up, from the spawn to its first event, was recorded */
    ck_assert_uint_eq(count_flows(&r.m, TRC_FLOW_SPAWN), 1);
    tu_ran_free(&r);
}
END_TEST

/* ---- the watchdog ------------------------------------------------------------------- */

START_TEST(lock_held_by_a_dead_process) {
    ran r;
    run_procs(&r, "deadowner", "lock m\nevent holding\n"
                               "actor worker { lock m; set holding; sleep 30s }\n"
                               "actor killer { wait holding; sleep 5ms; kill worker }\n"
                               "actor waiter { wait holding; lock m }\n"
                               "expect stuck\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_msg(strstr(r.res.report, "waiter.0 waits to acquire lock 'm'") &&
                  strstr(r.res.report, "held by worker.0, which died (SIGKILL) at "), "report: %s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

START_TEST(deadlock_across_processes) {
    ran r;
    run_procs(&r, "abba", "lock a\nlock b\nbarrier both 2\n"
                          "actor x { lock a; wait both; lock b }\nactor y { lock b; wait both; lock a }\n"
                          "expect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_msg(strstr(r.res.report, "deadlock: a cycle of 2") && strstr(r.res.report, "held by y.0") &&
                  strstr(r.res.report, "held by x.0"), "report: %s", r.res.report);
    tu_ran_free(&r);
}
END_TEST

/* ---- limits -------------------------------------------------------------------------- */

START_TEST(sixty_four_processes) {
    ran r;
    run_procs(&r, "many", "barrier b 64\ncounter c\nactor w * 64 { wait b; incr c }\n"
                          "expect counter c == 64\nexpect all_done\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.run->nunits, 64);
    distinct_processes(&r);
    for (uint32_t u = 0; u < 64; u++) ck_assert(r.m.units[u].proc_ended && !r.m.units[u].died);
    tu_ran_free(&r);
}
END_TEST

START_TEST(too_many_processes_refused) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", "actor w * 2000 { sleep 1ms }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_PROCESSES, &d), -ERR_LIMIT);
    ck_assert_int_eq(d.line, 1);
    ck_assert_int_eq(d.col, 11);
    ck_assert(strstr(d.msg, "2000 processes") && strstr(d.msg, "at most 1024"));
    ck_assert_int_eq(sim_check_backend(p, SIM_BACKEND_THREADS, &d), 0);
    sim_result res;
    ck_assert_int_eq(sim_run(&res, p, &(sim_desc){ .out_path = tmp_path("many.weft"), .backend = "processes" }, &d),
                     -ERR_LIMIT);
    sim_program_free(p);
}
END_TEST

START_TEST(rlimit_nproc_refused_before_forking) {
    /* as root RLIMIT_NPROC is not enforced, but weft checks it all the same */
    struct rlimit rl = { 8, 8 };
    ck_assert_int_eq(setrlimit(RLIMIT_NPROC, &rl), 0);
    diag d;
    diag_clear(&d);
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", "actor w * 64 { sleep 1ms }\n", NULL, 0, &d), 0);
    sim_result res;
    int rc = sim_run(&res, p, &(sim_desc){ .out_path = tmp_path("nproc.weft"), .backend = "processes" }, &d);
    ck_assert_int_eq(rc, -ERR_LIMIT);
    ck_assert_msg(strstr(d.msg, "RLIMIT_NPROC"), "msg: %s", d.msg);
    sim_program_free(p);
}
END_TEST

/* ---- what has no meaning on a backend -------------------------------------------- */

static void backend_err(const char *text, unsigned b, int line, int col, const char *msg, const char *hint) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", text, NULL, 0, &d), 0);
    ck_assert_int_eq(sim_check_backend(p, b, &d), -ERR_SCENARIO);
    ck_assert_msg(d.line == line && d.col == col, "'%s' at %d:%d, expected %d:%d", d.msg, d.line, d.col, line, col);
    ck_assert_msg(strstr(d.msg, msg), "message '%s' lacks '%s'", d.msg, msg);
    ck_assert_msg(strstr(d.hint, hint), "hint '%s' lacks '%s'", d.hint, hint);
    ck_assert_str_eq(d.file, "t.scn");
    sim_program_free(p);
}

START_TEST(backend_check_table) {
    backend_err("actor a { sleep 1ms\n  exit 3 }\n", SIM_BACKEND_THREADS, 2, 3, "exit has no meaning on backend threads",
                "processes");
    backend_err("actor a { crash }\n", SIM_BACKEND_THREADS, 1, 11, "crash has no meaning", "processes");
    backend_err("actor a { sleep 1ms }\nactor b { terminate a }\n", SIM_BACKEND_THREADS, 2, 11, "terminate", "event");
    backend_err("actor a { sleep 1ms }\nactor b { kill a }\n", SIM_BACKEND_THREADS, 2, 11, "kill", "event");
    backend_err("pool p 2 kind=processes\ntask t { }\nactor a { submit p t }\n", SIM_BACKEND_THREADS, 1, 10,
                "a process pool", "kind=threads");
    backend_err("actor a start=spawn { sleep 1ms }\n", SIM_BACKEND_THREADS, 1, 9, "start method", "processes");
    backend_err("start_method spawn\nactor a { sleep 1ms }\n", SIM_BACKEND_THREADS, 1, 1, "start method", "processes");
    backend_err("queue q capacity=2 kind=lifo\nactor a { put q }\n", SIM_BACKEND_PROCESSES, 1, 7, "a LIFO queue",
                "kind=fifo");
    backend_err("queue q capacity=2 kind=priority\nactor a { put q }\n", SIM_BACKEND_PROCESSES, 1, 7,
                "a priority queue", "kind=fifo");
    /* and what means something everywhere passes */
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", "local l\npipe p\nshm s size=1KiB\nvar v\nmanager m\n"
                                            "counter c managed by m\npool t 2\nactor a { let l = 1 }\n",
                               NULL, 0, &d), 0);
    for (unsigned b = SIM_BACKEND_THREADS; b <= SIM_BACKEND_PROCESSES; b++) ck_assert_int_eq(sim_check_backend(p, b, &d), 0);
    sim_program_free(p);
}
END_TEST

/* ---- the language ----------------------------------------------------------------- */

START_TEST(language_of_processes) {
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn",
                               "backends threads, processes\nstart_method spawn\npipe p\nshm s size=1.5KiB\n"
                               "var v = -3\nmanager m\nvar w = 2 managed by m\ncounter c = 1 managed by m\n"
                               "queue q capacity=4 item=4KiB pickle=20us\n"
                               "pool pp workers=3 kind=processes start=fork pickle=1ms item=1MB\ntask t { }\n"
                               "actor a * 2 start=fork { send p bytes=2KiB timeout=1s; recv p; poll p timeout=1ms;\n"
                               "  close p write; write s offset=8 len=64 gap=1ms; read s offset=8 len=64; unlink s;\n"
                               "  let v = v + 1; let w = c; exit 2 }\n"
                               "actor b { crash }\nactor k { terminate a; kill b }\n"
                               "expect torn_reads s == 0\nexpect exitcode a == 2\n"
                               "expect makespan[backend=processes] < makespan[backend=threads] * 10\n",
                               NULL, 0, &d), 0);
    ck_assert_uint_eq(p->nbackends, 2);
    ck_assert_uint_eq(p->backends[0], SIM_BACKEND_THREADS);
    ck_assert_uint_eq(p->backends[1], SIM_BACKEND_PROCESSES);
    ck_assert_uint_eq(p->start_method, SIM_STARTM_SPAWN);
    ck_assert_int_eq(p->objects[1].cap_value, 1536);
    ck_assert_int_eq(p->objects[2].cap_value, -3);
    ck_assert_uint_eq(p->objects[4].manager, 4);
    ck_assert_uint_eq(p->objects[5].manager, 4);
    ck_assert_int_eq(p->objects[6].item_value, 4096);
    ck_assert_int_eq(p->objects[6].pickle_value, 20000);
    ck_assert_uint_eq(p->objects[7].pool_kind, SIM_POOL_PROCESSES);
    ck_assert_uint_eq(p->objects[7].start, SIM_STARTM_FORK);
    ck_assert_int_eq(p->objects[7].item_value, 1000000);
    ck_assert_uint_eq(p->actors[0].start, SIM_STARTM_FORK);
    ck_assert_uint_eq(p->nunits, 2 + 1 + 1 + 3 + 1);   /* a * 2, b, k, the pool's 3, the manager */
    const sim_stmt *s = p->actors[0].body;
    ck_assert_uint_eq(s->kind, SIM_S_SEND);
    ck_assert_int_eq(s->expr->value, 2048);
    ck_assert_ptr_nonnull(s->timeout);
    sim_program_free(p);
    tu_parse_err("pipe p\nactor a { close p sideways }\n", 2, 19, "expected the end of the statement", NULL);
    tu_parse_err("shm s\nactor a { }\n", 1, 6, "expected size=BYTES", "shm s size=64KiB");
    tu_parse_err("shm s size=0\nactor a { }\n", 1, 12, "size must be 1 byte..1GiB", NULL);
    tu_parse_err("shm s size=1KiB\nactor a { write s offset=0 }\n", 2, 28, "needs offset= and len=", NULL);
    tu_parse_err("counter c managed by m\nactor a { }\n", 1, 22, "unknown manager 'm'", NULL);
    tu_parse_err("lock l\ncounter c managed by l\nactor a { }\n", 2, 22, "'l' is a lock: cannot be managed by it", NULL);
    tu_parse_err("pool p 2 kind=fibers\nactor a { }\n", 1, 15, "a pool's kind is threads or processes", NULL);
    tu_parse_err("actor a start=vfork { }\n", 1, 15, "unknown start method 'vfork'", NULL);
    tu_parse_err("queue q capacity=2 item=2s\nactor a { }\n", 1, 25, "must be an integer", NULL);
    tu_parse_err("actor a { sleep 1KiB }\n", 1, 17, "sleep's argument must be a duration", NULL);
    tu_parse_err("actor a { sleep 1.3B }\n", 1, 17, "not a whole number of bytes", NULL);
    tu_parse_err("task t { exit 1 }\nactor a { }\n", 1, 10, "exit in a task", NULL);
    tu_parse_err("actor a { terminate nobody }\n", 1, 21, "unknown actor 'nobody'", NULL);
    tu_parse_err("actor a { }\nexpect makespan[backend=fibers] < 1s\n", 2, 25, "expected a backend", NULL);
    tu_parse_err("backends threads, threads\nactor a { }\n", 1, 19, "named twice", NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("procs");
    TCase *tc = tcase_create("procs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, units_are_processes);
    tcase_add_test(tc, every_object_across_processes);
    tcase_add_test(tc, racy_counter_loses_updates_across_processes);
    tcase_add_test(tc, exit_codes_and_signals);
    tcase_add_test(tc, killed_child_keeps_its_events);
    tcase_add_test(tc, daemon_process_terminated_at_exit);
    tcase_add_test(tc, uncaught_error_exits_1_and_a_timer_is_a_thread);
    tcase_add_test(tc, a_pipe_beside_a_manager);
    tcase_add_test(tc, join_with_timeout);
    tcase_add_test(tc, pipe_messages_and_eof);
    tcase_add_test(tc, pipe_eof_never_comes_while_an_end_is_open);
    tcase_add_test(tc, pipe_recv_while_another_writer_lives_is_no_deadlock);
    tcase_add_test(tc, pipe_send_after_close_is_an_error);
    tcase_add_test(tc, pipe_poll);
    tcase_add_test(tc, shm_torn_reads_and_a_lock);
    tcase_add_test(tc, vars_shared_by_threads_copied_by_processes);
    tcase_add_test(tc, same_outcome_on_threads_and_processes);
    tcase_add_test(tc, queue_bytes_and_pickling);
    tcase_add_test(tc, join_before_drain_hangs);
    tcase_add_test(tc, drain_before_join_is_fine);
    tcase_add_test(tc, manager_requests_and_replies);
    tcase_add_test(tc, process_pool_reuses_its_workers);
    tcase_add_test(tc, thread_pool_inside_a_process);
    tcase_add_test(tc, spawn_is_a_fresh_process);
    tcase_add_test(tc, lock_held_by_a_dead_process);
    tcase_add_test(tc, deadlock_across_processes);
    tcase_add_test(tc, sixty_four_processes);
    tcase_add_test(tc, too_many_processes_refused);
    tcase_add_test(tc, rlimit_nproc_refused_before_forking);
    tcase_add_test(tc, backend_check_table);
    tcase_add_test(tc, language_of_processes);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
