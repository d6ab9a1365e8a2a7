/* Memory in the expectations, memory per coroutine task, and the two bundled
 * scenarios of issue 16's second half:
 *  - `expect resident_per_unit` / `virtual_per_unit` (of this run, or of one
 *    run by [backend=B] / [P=v]), `never_awaited`, `expect ... if COND`:
 *    parse errors at line:col, and sim_check_runs on hand-made figures (pass,
 *    fail quoting the clause with the figures, "cannot be checked" without
 *    samples), then the CLI on a virtual clock;
 *  - 1,000 idle tasks on coroutines: resident growth per task above zero and
 *    no more than a thread's (within a page), virtual per task at least the
 *    task's stack, under a thread's, and not the fiber pool's whole reservation;
 *  - coroutines_vs_threads_vs_processes_memory through the CLI (its memory
 *    expectations are checked once the recording is read back);
 *  - async_event_bus_missed_event: the stuck report names the subscriber and
 *    the event it missed, the end report the handler never awaited; the
 *    corrected run is clean.
 * No timed assertion. */
#include "testutil.h"
#include "sim/sim.h"
#include "sim/sim_plat_fiber.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KIB 1024.0
#define MIB (1024.0 * 1024.0)

/* ---- parsing ---------------------------------------------------------------------------- */

START_TEST(memory_expectations_parse) {
    diag d;
    sim_program *p = NULL;
    const char *ok = "param n = 4\n"
                     "backends threads, coroutines\n"
                     "actor a * n { sleep 1ms }\n"
                     "expect resident_per_unit < 1MiB\n"
                     "expect virtual_per_unit[backend=threads] >= 256KiB\n"
                     "expect resident_per_unit[backend=coroutines] < resident_per_unit[backend=threads]\n"
                     "expect resident_per_unit[n=4] > 0\n"
                     "expect never_awaited == 0\n"
                     "expect all_done if n > 2\n"
                     "expect all_done if n > 9\n";
    ck_assert_msg(sim_parse(&p, "t.scn", ok, NULL, 0, &d) == 0, "%d:%d: %s", d.line, d.col, d.msg);
    ck_assert_uint_eq(p->nexpects, 7);
    /* this run's memory: checked on each run once the recording is read back */
    ck_assert(p->expects[0].across_runs && p->expects[0].per_run);
    ck_assert(p->expects[1].across_runs && !p->expects[1].per_run);
    ck_assert(p->expects[2].across_runs && !p->expects[2].per_run);
    ck_assert(p->expects[3].across_runs && !p->expects[3].per_run);
    ck_assert(!p->expects[4].across_runs);   /* never_awaited: this run's, checked at its end */
    ck_assert(!p->expects[5].off);
    ck_assert(p->expects[6].off);            /* n > 9 is false */
    sim_program_free(p);
    /* -D decides the `if` */
    sim_define big = { .name = "n", .value = "10" };
    ck_assert_int_eq(sim_parse(&p, "t.scn", ok, &big, 1, &d), 0);
    ck_assert(!p->expects[6].off);
    sim_program_free(p);

    tu_parse_err("actor a { sleep 1ms }\nexpect resident_per_unit[backend=thread] < 1MB\n", 2, 34,
                 "expected a backend after resident_per_unit[backend=", NULL);
    tu_parse_err("actor a { sleep 1ms }\nexpect virtual_per_unit[nope=1] < 1MB\n", 2, 25,
                 "unknown parameter 'nope' in virtual_per_unit[...]", NULL);
    tu_parse_err("actor a { sleep 1ms }\nexpect resident_per_unit < 5ms\n", 2, 26, "", NULL);
    tu_parse_err("param w = 1\nactor a { sleep 1ms }\nexpect makespan[w=1] < 1s if w == 1\n", 3, 27,
                 "an expectation that compares runs takes no `if`", "expect stuck if");
    tu_parse_err("actor a { sleep 1ms }\nexpect all_done if 5ms\n", 2, 20, "expectation's condition", NULL);
    tu_parse_err("counter c\nactor a { incr c }\nexpect all_done if c == 1\n", 3, 22, "must be a constant", NULL);
    tu_parse_err("actor a { if resident_per_unit > 0 { sleep 1ms } }\n", 1, 14,
                 "'resident_per_unit' is known only after the run", NULL);
    tu_parse_err("counter c\nactor a { incr c }\nexpect resident_per_unit > c\n", 3, 28, "reads their makespans, memory",
                 NULL);
    tu_parse_err("actor a { sleep 1ms }\nexpect resident_per_units < 1MB\n", 2, 8, "unknown expectation", "resident_per_unit");
    /* review: `if` then `on` said only "expected the end of the statement, found 'on'" */
    tu_parse_err("param w = 1\nactor a { sleep 1ms }\nexpect all_done if w == 1 on threads\n", 3, 27,
                 "`on` comes before `if`", "expect stuck on threads if late == 1");
}
END_TEST

/* ---- sim_check_runs on hand-made figures --------------------------------------------------- */

static const char *two_backends = "param n = 4\n"
                                  "backends threads, coroutines\n"
                                  "actor a * n { sleep 1ms }\n"
                                  "expect resident_per_unit[backend=threads] < 1MiB\n"
                                  "expect resident_per_unit[backend=coroutines] < resident_per_unit[backend=threads]\n"
                                  "expect virtual_per_unit >= 64KiB\n";

START_TEST(memory_expectations_checked) {
    diag d;
    sim_program *p = NULL;
    ck_assert_int_eq(sim_parse(&p, "t.scn", two_backends, NULL, 0, &d), 0);
    sim_run_key keys[2] = { { .backend = SIM_BACKEND_THREADS, .param = UINT32_MAX },
                            { .backend = SIM_BACKEND_COROUTINES, .param = UINT32_MAX } };
    uint64_t ms[2] = { 1000000, 2000000 };
    sim_run_mem mems[2] = { { .prog = p, .known = true, .resident = 9 * KIB, .virt = 334 * KIB },
                            { .prog = p, .known = true, .resident = 8 * KIB, .virt = 133 * KIB } };
    char report[4096] = "";
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, mems, 2, report, sizeof report), 0);
    ck_assert_str_eq(report, "");

    /* a task bigger than a thread, and a run under the virtual bound: each clause fails with its figures */
    mems[1].resident = 16 * KIB;
    mems[1].virt = 32 * KIB;
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, mems, 2, report, sizeof report), 2);
    ck_assert_msg(strstr(report, "t.scn:5:1: expect resident_per_unit[backend=coroutines] < "
                                 "resident_per_unit[backend=threads] does not hold: resident per unit were threads: "
                                 "9 KiB, coroutines: 16 KiB"), "%s", report);
    ck_assert_msg(strstr(report, "t.scn:6:1: expect virtual_per_unit >= 64KiB does not hold (on coroutines): virtual "
                                 "per unit was coroutines: 32 KiB"), "%s", report);
    ck_assert_msg(!strstr(report, "(on threads)"), "%s", report);

    /* no samples: each memory clause says it cannot be checked, and why */
    report[0] = 0;
    mems[0] = (sim_run_mem){ .prog = p, .why = "a run on --clock virtual samples no memory (run on the real clock)" };
    mems[1] = mems[0];
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, mems, 2, report, sizeof report), 4);
    ck_assert_msg(strstr(report, "t.scn:4:1: expect resident_per_unit[backend=threads] < 1MiB: resident_per_unit cannot "
                                 "be checked: a run on --clock virtual samples no memory"), "%s", report);
    report[0] = 0;
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, NULL, 2, report, sizeof report), 4);
    ck_assert_msg(strstr(report, "cannot be checked: the run's memory was not sampled"), "%s", report);

    /* a selector no run matches */
    report[0] = 0;
    mems[0] = (sim_run_mem){ .prog = p, .known = true, .resident = 1 * KIB, .virt = 100 * KIB };
    ck_assert_uint_eq(sim_check_runs(p, keys, ms, mems, 1, report, sizeof report), 1);
    ck_assert_msg(strstr(report, "no run on backend coroutines was recorded"), "%s", report);
    sim_program_free(p);
}
END_TEST

/* `expect ... if`: a per-run memory clause is checked on the runs whose params make it true */
START_TEST(memory_expectation_if_per_run) {
    const char *text = "param big = 0\n"
                       "sweep big = 0, 1\n"
                       "actor a { sleep 1ms }\n"
                       "expect resident_per_unit < 64KiB if big == 0\n"
                       "expect resident_per_unit >= 64KiB if big == 1\n";
    diag d;
    sim_program *p0 = NULL, *p1 = NULL;
    sim_define one = { .name = "big", .value = "1" };
    ck_assert_int_eq(sim_parse(&p0, "t.scn", text, NULL, 0, &d), 0);
    ck_assert_int_eq(sim_parse(&p1, "t.scn", text, &one, 1, &d), 0);
    uint32_t bi = 0;
    sim_run_key keys[2] = { { .backend = SIM_BACKEND_THREADS, .param = bi, .value = 0 },
                            { .backend = SIM_BACKEND_THREADS, .param = bi, .value = 1 } };
    uint64_t ms[2] = { 1, 1 };
    sim_run_mem mems[2] = { { .prog = p0, .known = true, .resident = 8 * KIB, .virt = 1 },
                            { .prog = p1, .known = true, .resident = 200 * KIB, .virt = 1 } };
    char report[2048] = "";
    ck_assert_uint_eq(sim_check_runs(p0, keys, ms, mems, 2, report, sizeof report), 0);
    mems[1].resident = 8 * KIB;   /* the big run is small: only its clause fails */
    ck_assert_uint_eq(sim_check_runs(p0, keys, ms, mems, 2, report, sizeof report), 1);
    ck_assert_msg(strstr(report, "t.scn:5:1: expect resident_per_unit >= 64KiB if big == 1 does not hold (on big=1): "
                                 "resident per unit was big=1: 8 KiB"), "%s", report);
    sim_program_free(p0);
    sim_program_free(p1);
}
END_TEST

/* The CLI: a memory clause on the virtual clock cannot be checked, and says so (exit 1) */
START_TEST(memory_expectation_on_virtual_clock) {
    const char *path = tmp_path("memv.scn"), *out = tmp_path("memv.weft");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    /* a loose bound: what is checked is whether it can be (under ThreadSanitizer a thread carries
     * megabytes of TSan's own state) */
    fputs("actor a * 3 { sleep 1ms }\nexpect all_done\nexpect resident_per_unit < 64MiB\n", f);
    fclose(f);
    char text[8192], cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "run -q --clock virtual %s -o %s", path, out);
    tu_weft_shell(text, sizeof text, &st, cmd);
    ck_assert_msg(st == 1, "%d: %s", st, text);
    ck_assert_msg(strstr(text, ":3:1: expect resident_per_unit < 64MiB: resident_per_unit cannot be checked: a run on "
                               "--clock virtual samples no memory (run on the real clock)"), "%s", text);
    /* on the real clock it holds */
    snprintf(cmd, sizeof cmd, "run -q %s -o %s", path, out);
    tu_weft_shell(text, sizeof text, &st, cmd);
    ck_assert_msg(st == 0, "%d: %s", st, text);
}
END_TEST

/* ---- memory per coroutine task ---------------------------------------------------------------- */

static const char *idle_units = "param n = 1000\n"
                                "event go\n"
                                "barrier ready n + 1\n"
                                "actor idle * n { wait ready\n wait go }\n"
                                "actor main { wait ready\n sleep 50ms\n set go }\n"
                                "expect all_done\n";

START_TEST(thousand_idle_tasks) {
    /* Under ThreadSanitizer only so many fibers may run at once (sim_fiber_running_limit): fewer tasks */
    size_t lim = sim_fiber_running_limit();
    uint32_t n = lim && lim < 1100 ? (uint32_t)(lim / 2) : 1000;
    char nv[16];
    snprintf(nv, sizeof nv, "%u", n);
    sim_define def = { .name = "n", .value = nv };
    char text[1024];
    snprintf(text, sizeof text, "backend coroutines\n%s", idle_units);
    tu_ran c;
    tu_run_text(&c, "idle_tasks.scn", text, &def, 1);
    ck_assert_uint_eq(c.res.end_reason, TRC_END_OK);
    const trc_mem *mc = &c.m.mem;
    ck_assert(mc->has_base);
    ck_assert_uint_eq(mc->units_started, n + 1);   /* the idle tasks and main (the loop is the runtime's) */
    long page = sysconf(_SC_PAGESIZE);
    /* plausible: each task touched some memory (its stack's top page, its ring) */
    ck_assert_msg(mc->unit_resident > 0 && mc->unit_resident >= (double)page / 2, "resident per task %.0f",
                  mc->unit_resident);
    /* virtual: at least a task's stack (64 KiB); the pool reserves for the run's tasks, not 256 MiB at once */
    ck_assert_msg(mc->unit_virt >= 64 * KIB * n / (n + 2), "virtual per task %.0f", mc->unit_virt);
    ck_assert_msg(mc->unit_virt < 1 * MIB, "virtual per task %.0f: the stacks' reservation distorts it", mc->unit_virt);

    tu_ran t;
    tu_run_text(&t, "idle_threads.scn", idle_units, &def, 1);
    ck_assert_uint_eq(t.res.end_reason, TRC_END_OK);
    const trc_mem *mt = &t.m.mem;
    ck_assert(mt->has_base);
    /* resident: a task well under an idle thread (a page of its stack against a thread's stack and TLS
     * pages; each touches a page of its recorder ring too). Under ThreadSanitizer each fiber carries
     * TSan's own state, as each thread does: there it is no more than a thread's within a page */
#if defined(__SANITIZE_THREAD__)
    ck_assert_msg(mc->unit_resident < mt->unit_resident + (double)page, "per task %.0f, per thread %.0f",
                  mc->unit_resident, mt->unit_resident);
#else
    ck_assert_msg(mc->unit_resident < mt->unit_resident, "per task %.0f, per thread %.0f", mc->unit_resident,
                  mt->unit_resident);
#endif
    /* address space: far less (a 64 KiB stack, not a thread's 256 KiB and its guard) */
    ck_assert_msg(mc->unit_virt < mt->unit_virt, "virtual per task %.0f, per thread %.0f", mc->unit_virt, mt->unit_virt);
    tu_ran_free(&c);
    tu_ran_free(&t);
}
END_TEST

/* ---- the bundled scenarios ---------------------------------------------------------------------- */

START_TEST(memory_scenario_holds) {
#if defined(__SANITIZE_THREAD__)
    /* it forks (its processes run): ThreadSanitizer refuses threads in a process forked from a
     * multi-threaded one; the plain and ASan builds run it */
    return;
#endif
    const char *out = tmp_path("memsc.weft");
    size_t cap = 1 << 20;
    char *text = malloc(cap), cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "run scenarios/coroutines_vs_threads_vs_processes_memory.scn -o %s", out);
    tu_weft_shell(text, cap, &st, cmd);
    ck_assert_msg(st == 0, "%d: %.4000s", st, text);
    ck_assert_msg(strstr(text, "all 8 expectation(s) hold"), "%.4000s", text);
    /* three runs, one per backend, each with its memory per unit */
    ck_assert_msg(strstr(text, "[threads]") && strstr(text, "[processes]") && strstr(text, "[coroutines]"), "%.4000s",
                  text);
    size_t k = 0;
    for (const char *s = text; (s = strstr(s, "per unit (growth to the peak")); s++) k++;
    ck_assert_uint_eq(k, 3);
    free(text);
}
END_TEST

START_TEST(event_bus_stuck_report_names_the_missed_event) {
    /* in process, the default (fixed=0): stuck, the subscriber and the event named, the handler never awaited */
    char *src;
    diag d;
    ck_assert_int_eq(file_read_all(WEFT_SOURCE_DIR "/scenarios/async_event_bus_missed_event.scn", &src, NULL, &d), 0);
    tu_ran r;
    tu_run_text(&r, "bus.scn", src, NULL, 0);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_STUCK);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    const char *rep = r.res.report;
    ck_assert_msg(strstr(rep, "subscriber.0 waits for event 'user_login' since "), "%s", rep);
    ck_assert_msg(strstr(rep, ": it missed it, set at "), "%s", rep);
    ck_assert_msg(strstr(rep, " by dispatcher.0 and cleared at "), "%s", rep);
    ck_assert_msg(strstr(rep, "before it began waiting; no live unit will set it again"), "%s", rep);
    ck_assert_msg(strstr(rep, "task on_login.0 (made at line 74) was never awaited"), "%s", rep);
    tu_ran_free(&r);

    /* the corrected variant: clean, nothing never awaited */
    sim_define fixed = { .name = "fixed", .value = "1" };
    tu_run_text(&r, "bus_fixed.scn", src, &fixed, 1);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_msg(r.res.expect_failed == 0, "%s", r.res.expect_report);
    ck_assert_msg(!strstr(r.res.report, "never awaited") && !strstr(r.res.report, "missed"), "%s", r.res.report);
    tu_ran_free(&r);
    free(src);

    /* the whole sweep through the CLI: both runs side by side, every expectation holds */
    const char *out = tmp_path("bus.weft");
    char text[65536], cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "run scenarios/async_event_bus_missed_event.scn -o %s", out);
    tu_weft_shell(text, sizeof text, &st, cmd);
    ck_assert_msg(st == 0, "%d: %.4000s", st, text);
    ck_assert_msg(strstr(text, "all 7 expectation(s) hold"), "%.4000s", text);
    ck_assert_msg(strstr(text, "coroutines fixed=0") && strstr(text, "coroutines fixed=1"), "%.4000s", text);
}
END_TEST

/* expect never_awaited: counted at the run's end */
START_TEST(never_awaited_counts) {
    const char *text = "backend coroutines\n"
                       "task t { sleep 1ms }\n"
                       "actor a { create_task t\n create_task t\n create_task t as f\n await f }\n"
                       "expect never_awaited == 2\n"
                       "expect never_awaited < 2\n";
    tu_ran r;
    tu_run_text(&r, "na.scn", text, NULL, 0);
    ck_assert_uint_eq(r.res.expect_failed, 1);
    ck_assert_msg(strstr(r.res.expect_report, "na.scn:8:1: expect never_awaited < 2: it is 2"), "%s",
                  r.res.expect_report);
    tu_ran_free(&r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("mem_expect");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, memory_expectations_parse);
    tcase_add_test(tc, memory_expectations_checked);
    tcase_add_test(tc, memory_expectation_if_per_run);
    tcase_add_test(tc, memory_expectation_on_virtual_clock);
    tcase_add_test(tc, never_awaited_counts);
    tcase_add_test(tc, thousand_idle_tasks);
    tcase_add_test(tc, memory_scenario_holds);
    tcase_add_test(tc, event_bus_stuck_report_names_the_missed_event);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
