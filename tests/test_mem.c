/* Memory per process (issue 16): the recorder's samples of /proc/PID/statm
 * (MEM_RESIDENT, MEM_VIRTUAL), what the model derives from them (per-process
 * series, the run's total, per unit), weft stats (text, JSON) and the Perfetto
 * counter tracks.
 *  - a hand-built run: exact series, baseline, total and per-unit figures; the
 *    samples are not steps of the unit carrying them (no start, no gap end,
 *    nothing in a scrubbed dump);
 *  - real runs: 1,000 idle threads grow the process by at least a page each
 *    and reserve their stacks in virtual memory; on the processes backend each
 *    process has its own series, under its own pid; the figures come out of
 *    weft stats --json and the Perfetto export (decoded with pbdec).
 * No timed assertion: the first sample is taken when the recorder starts, when
 * the threads of a threads run all exist. */
#include "testutil.h"
#include "pbdec.h"
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* W-14's bound on an idle thread's resident memory: well under 1 MiB. ThreadSanitizer
 * keeps per-thread state and shadow of its own (megabytes a thread), so under it the bound
 * is what that instrumentation allows, not the program's. */
#if defined(__SANITIZE_THREAD__)
#define THREAD_RESIDENT_MAX (16.0 * 1024 * 1024)
#else
#define THREAD_RESIDENT_MAX (1.0 * 1024 * 1024)
#endif

#define MS 1000000ull
#define KIB 1024ull
#define MIB (1024ull * 1024)

/* ---- the model, on a hand-built run ------------------------------------------------ */

static void mem_ev(run_builder *b, uint64_t t, uint32_t u, uint16_t aux, uint32_t pid, uint64_t res, uint64_t virt) {
    rb_ev(b, t, u, TRC_EV_MEM_RESIDENT, 0, aux, res, pid);
    rb_ev(b, t, u, TRC_EV_MEM_VIRTUAL, 0, aux, virt, pid);
}

START_TEST(model_series_and_per_unit) {
    run_builder b;
    rb_init(&b, "mem");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c"), never = rb_unit(&b, "never");
    (void)never;
    /* weft's process (pid 100) carried by a, before a starts; c's own process (pid 200) */
    mem_ev(&b, 0, a, TRC_MEM_MAIN | TRC_MEM_BASELINE, 100, 10 * MIB, 100 * MIB);
    mem_ev(&b, 0, a, TRC_MEM_MAIN, 100, 12 * MIB, 130 * MIB);
    rb_ev(&b, 1 * MS, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 2 * MS, c, TRC_EV_PROC_START, 0, TRC_START_FORK, 200, 100);
    rb_ev(&b, 3 * MS, a, TRC_EV_LOST, 0, 0, 5, 0);   /* a's gap: from 3 ms to its next step */
    mem_ev(&b, 4 * MS, c, 0, 200, 3 * MIB, 50 * MIB);
    mem_ev(&b, 5 * MS, a, TRC_MEM_MAIN, 100, 14 * MIB, 140 * MIB);   /* inside a's gap */
    mem_ev(&b, 6 * MS, c, 0, 200, 2 * MIB, 50 * MIB);
    rb_ev(&b, 7 * MS, a, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 8 * MS, c, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    mem_ev(&b, 9 * MS, a, TRC_MEM_MAIN, 100, 11 * MIB, 120 * MIB);   /* after a's exit */
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);

    /* the samples are not a's steps: it starts at its UNIT_START, its gap runs to its exit */
    ck_assert_uint_eq(m.units[a].t_start, 1 * MS);
    ck_assert_uint_eq(m.units[a].ngaps, 1);
    ck_assert_uint_eq(m.units[a].gaps[0].t1, 7 * MS);
    ck_assert_uint_eq(m.units[a].t_exit, 7 * MS);

    const trc_mem *mem = &m.mem;
    ck_assert_uint_eq(mem->nprocs, 2);
    const trc_mem_proc *w = &mem->procs[0], *p = &mem->procs[1];
    ck_assert(w->main);
    ck_assert_int_eq(w->pid, 100);
    ck_assert_str_eq(w->name, "weft (main)");
    ck_assert(w->has_base);
    ck_assert_uint_eq(w->base_resident, 10 * MIB);
    ck_assert_uint_eq(w->base_virt, 100 * MIB);
    ck_assert_uint_eq(w->n, 3);
    uint64_t wt[] = { 0, 5 * MS, 9 * MS };
    int64_t wr[] = { 12 * MIB, 14 * MIB, 11 * MIB }, wv[] = { 130 * MIB, 140 * MIB, 120 * MIB };
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(w->resident[i].t, wt[i]);
        ck_assert_int_eq(w->resident[i].v, wr[i]);
        ck_assert_int_eq(w->virt[i].v, wv[i]);
    }
    ck_assert_uint_eq(w->peak_resident, 14 * MIB);
    ck_assert(!p->main);
    ck_assert_int_eq(p->pid, 200);
    ck_assert_str_eq(p->name, "c");
    ck_assert(!p->has_base);
    ck_assert_uint_eq(p->n, 2);
    ck_assert_uint_eq(p->peak_resident, 3 * MIB);

    /* the total: 12 (0) -> 15 (4 ms) -> 17 (5 ms) -> 16 (6 ms) -> 13 (9 ms) MiB resident */
    uint64_t tt[] = { 0, 4 * MS, 5 * MS, 6 * MS, 9 * MS };
    int64_t tr[] = { 12 * MIB, 15 * MIB, 17 * MIB, 16 * MIB, 13 * MIB };
    int64_t tv[] = { 130 * MIB, 180 * MIB, 190 * MIB, 190 * MIB, 170 * MIB };
    ck_assert_uint_eq(mem->n, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(mem->resident[i].t, tt[i]);
        ck_assert_int_eq(mem->resident[i].v, tr[i]);
        ck_assert_int_eq(mem->virt[i].v, tv[i]);
    }
    ck_assert_uint_eq(mem->peak_resident, 17 * MIB);
    ck_assert_uint_eq(mem->peak_virt, 190 * MIB);
    ck_assert(mem->has_base);
    ck_assert_uint_eq(mem->base_resident, 10 * MIB);
    /* two units began (never did not): (17 - 10) / 2 MiB resident, (190 - 100) / 2 MiB virtual */
    ck_assert_uint_eq(mem->units_started, 2);
    ck_assert(mem->unit_resident == 3.5 * MIB);
    ck_assert(mem->unit_virt == 45.0 * MIB);

    /* weft stats: the table and the JSON figures */
    buf out = { 0 };
    trc_stats_text(&out, &m);
    ck_assert_msg(strstr((char *)out.p, "weft (main)") && strstr((char *)out.p, "per unit (growth to the peak / 2 units that began): "
                                                                 "3.5 MiB resident, 45 MiB virtual"), "%.3000s", (char *)out.p);
    buf js = { 0 };
    trc_stats_json(&js, &m, 1);
    ck_assert_msg(strstr((char *)js.p, "\"memory\":{\"units_started\":2,\"peak_resident\":17825792,\"peak_virtual\":199229440,"
                               "\"baseline_resident\":10485760,\"baseline_virtual\":104857600,"
                               "\"per_unit_resident\":3670016,\"per_unit_virtual\":47185920"), "%.3000s", strstr((char *)js.p, "\"memory\"") ? strstr((char *)js.p, "\"memory\"") : "no memory key");
    buf_release(&out);
    buf_release(&js);

    /* a scrubbed dump leaves them out: they are the machine's, not the scenario's */
    char *txt = NULL;
    size_t ntxt = 0;
    FILE *f = open_memstream(&txt, &ntxt);
    ck_assert_int_eq(trc_export_text(f, rec, &m, true, NULL, NULL, &d), 0);
    fclose(f);
    ck_assert_msg(!strstr(txt, "mem_"), "%.3000s", txt);
    free(txt);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* fix6: with one unit begun, the growth cannot be told from the runtime's own (idle pool threads,
 * the recorder): no per-unit figure ("284 KiB per unit" was the whole growth over 1), and the stats,
 * the JSON, diff and the expectations say why; an event loop is the runtime's, not a unit */
START_TEST(one_unit_has_no_per_unit_figure) {
    run_builder b;
    rb_init(&b, "mem1");
    uint32_t loop = rb_unit(&b, "loop"), a = rb_unit(&b, "main");
    b.run->units[loop].kind = TRC_UNIT_LOOP;
    mem_ev(&b, 0, a, TRC_MEM_MAIN | TRC_MEM_BASELINE, 100, 3 * MIB, 69 * MIB);
    rb_ev(&b, 1 * MS, loop, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    mem_ev(&b, 5 * MS, a, TRC_MEM_MAIN, 100, 3 * MIB + 284 * KIB, 211 * MIB);
    rb_ev(&b, 7 * MS, a, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 8 * MS, loop, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_mem *mem = &m.mem;
    ck_assert(mem->has_base);
    ck_assert_uint_eq(mem->units_started, 1);   /* main: the loop is the runtime's */
    ck_assert_ptr_nonnull(mem->unit_unknown);
    ck_assert_str_eq(mem->unit_unknown, "one unit began: its growth cannot be told from the runtime's own");
    ck_assert(mem->unit_resident == 0 && mem->unit_virt == 0);
    buf out = { 0 };
    trc_stats_text(&out, &m);
    ck_assert_msg(strstr((char *)out.p, "per unit: n/a (one unit began: its growth cannot be told from the runtime's own)\n"),
                  "%.3000s", (char *)out.p);
    ck_assert_msg(!strstr((char *)out.p, "284 KiB resident"), "%.3000s", (char *)out.p);
    buf js = { 0 };
    trc_stats_json(&js, &m, 1);
    const char *mk = strstr((char *)js.p, "\"memory\"");
    ck_assert_ptr_nonnull(mk);
    ck_assert_msg(strstr(mk, "\"per_unit_unknown\":\"one unit began: its growth cannot be told from the runtime's own\"") &&
                  !strstr(mk, "\"per_unit_resident\""), "%.2000s", mk);
    buf_release(&out);
    buf_release(&js);
    /* weft diff: n/a on that side, not "-" (a figure absent from the run) */
    trc_stats st;
    ck_assert_int_eq(trc_stats_build(&st, &m), 0);
    trc_diff df;
    ck_assert_int_eq(trc_diff_build(&df, &st, &st), 0);
    buf dt = { 0 };
    trc_diff_text(&dt, &df, "A", "B", false);
    ck_assert_msg(strstr((char *)dt.p, "resident_per_unit") && strstr(strstr((char *)dt.p, "resident_per_unit"), "n/a"),
                  "%.3000s", (char *)dt.p);
    buf_release(&dt);
    trc_diff_release(&df);
    trc_stats_release(&st);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* ---- real runs --------------------------------------------------------------------- */

static const char *idle_threads =
    "scenario \"idle threads\"\n"
    "param n = 1000\n"
    "event go\n"
    "actor idle * n { wait go }\n"
    "actor starter {\n"
    "    sleep 50ms\n"
    "    set go\n"
    "}\n"
    "expect all_done\n";

#define THREAD_STACK (256 * KIB)   /* sim_plat_threads.c: every unit's thread */

START_TEST(thousand_idle_threads) {
    tu_ran r;
    tu_run_text(&r, "idle.scn", idle_threads, NULL, 0);
    const trc_mem *mem = &r.m.mem;
    ck_assert_uint_ge(mem->nprocs, 1);
    ck_assert(mem->procs[0].main);
    ck_assert_int_eq(mem->procs[0].pid, (int)getpid());
    ck_assert_uint_eq(mem->nprocs, 1);   /* threads: one process */
    ck_assert(mem->has_base);
    ck_assert_uint_eq(mem->units_started, 1001);
    long page = sysconf(_SC_PAGESIZE);
    uint64_t rgrow = mem->peak_resident - mem->base_resident, vgrow = mem->peak_virt - mem->base_virt;
    ck_assert_msg(mem->peak_resident > mem->base_resident && rgrow >= 1000ull * (uint64_t)page,
                  "resident grew %llu bytes for 1000 threads", (unsigned long long)rgrow);
    ck_assert_msg(mem->peak_virt > mem->base_virt && vgrow >= 1000ull * THREAD_STACK,
                  "virtual grew %llu bytes for 1000 threads", (unsigned long long)vgrow);
    ck_assert(mem->unit_resident >= (double)page * 1000 / 1001);
    ck_assert(mem->unit_resident < THREAD_RESIDENT_MAX);   /* W-14: not "several MB" */
    ck_assert(mem->unit_virt >= (double)THREAD_STACK * 1000 / 1001);
    /* every sample of one process carries its pid and the main flag; series in time order */
    const trc_mem_proc *p = &mem->procs[0];
    for (size_t i = 1; i < p->n; i++) ck_assert_uint_le(p->resident[i - 1].t, p->resident[i].t);
    ck_assert_uint_le(p->resident[p->n - 1].t, r.m.makespan);

    /* the Perfetto counters, decoded */
    char *data = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&data, &n);
    diag d;
    ck_assert_msg(trc_export_perfetto(f, r.rec, &r.m, &d) == 0, "export: %s", d.msg);
    fclose(f);
    pb_trace t;
    ck_assert_msg(pb_decode(&t, (const uint8_t *)data, n) == 0, "%s", t.err);
    const pb_track *kr = pb_track_by_name(&t, "memory: weft (main) resident");
    const pb_track *kv = pb_track_by_name(&t, "memory: weft (main) virtual");
    ck_assert(kr && kr->is_counter && kv && kv->is_counter);
    size_t nr = 0, nv = 0;
    int64_t maxr = 0, maxv = 0;
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        if (!e->has_track || (e->track != kr->uuid && e->track != kv->uuid)) continue;
        ck_assert_int_eq(e->type, PB_TE_COUNTER);
        ck_assert(e->has_counter);
        if (e->track == kr->uuid) {
            ck_assert_int_eq(e->counter, p->resident[nr].v);
            if (e->counter > maxr) maxr = e->counter;
            nr++;
        } else {
            ck_assert_int_eq(e->counter, p->virt[nv].v);
            if (e->counter > maxv) maxv = e->counter;
            nv++;
        }
    }
    ck_assert_uint_eq(nr, p->n);
    ck_assert_uint_eq(nv, p->n);
    ck_assert_int_eq(maxr, (int64_t)p->peak_resident);
    ck_assert_int_eq(maxv, (int64_t)p->peak_virt);
    pb_free(&t);
    free(data);
    tu_ran_free(&r);
}
END_TEST

static const char *idle_procs =
    "scenario \"idle processes\"\n"
    "backend processes\n"
    "event go\n"
    "actor idle * 3 { wait go }\n"
    "actor starter {\n"
    "    sleep 300ms\n"
    "    set go\n"
    "}\n"
    "expect all_done\n";

START_TEST(processes_have_their_own_series) {
    tu_ran r;
    tu_run_text(&r, "idle_procs.scn", idle_procs, NULL, 0);
    const trc_mem *mem = &r.m.mem;
    ck_assert_uint_eq(mem->nprocs, 5);   /* weft's, then the four units' processes */
    ck_assert(mem->procs[0].main);
    ck_assert(mem->has_base);
    uint32_t seen[4] = { 0 };
    for (uint32_t i = 1; i < mem->nprocs; i++) {
        const trc_mem_proc *p = &mem->procs[i];
        ck_assert(!p->main);
        ck_assert_uint_lt(p->unit, r.run->nunits);
        ck_assert_int_eq(p->pid, r.m.units[p->unit].pid);   /* the pid of its unit's PROC_START */
        ck_assert_int_ne(p->pid, (int)getpid());
        ck_assert_str_eq(p->name, r.run->units[p->unit].name);
        ck_assert_uint_ge(p->n, 1);
        ck_assert_uint_gt(p->peak_resident, 0);
        ck_assert_uint_ge(p->peak_virt, p->peak_resident);
        seen[p->unit]++;
    }
    for (int u = 0; u < 4; u++) ck_assert_uint_eq(seen[u], 1);
    ck_assert_uint_eq(mem->units_started, 4);
    tu_ran_free(&r);
}
END_TEST

/* weft stats --json: the memory figures decode and agree with the text */
START_TEST(stats_json_figures) {
    const char *path = tmp_path("idle.scn"), *out = tmp_path("idle.weft");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(idle_threads, f);
    fclose(f);
    size_t cap = 8u << 20;   /* the JSON of 201 units */
    char *text = malloc(cap), cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "run -q -D n=200 %s -o %s", path, out);
    tu_weft_shell(text, cap, &st, cmd);
    ck_assert_msg(st == 0, "%.3000s", text);
    snprintf(cmd, sizeof cmd, "stats --json %s", out);
    tu_weft_shell(text, cap, &st, cmd);
    ck_assert_msg(st == 0, "%.3000s", text);
    const char *mk = strstr(text, "\"memory\":{");
    ck_assert_msg(mk, "%.3000s", text);
    const char *k = strstr(mk, "\"units_started\":");
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(strtol(k + 16, NULL, 10), 201);
    k = strstr(mk, "\"per_unit_resident\":");
    ck_assert_ptr_nonnull(k);
    double pur = strtod(k + 20, NULL);
    k = strstr(mk, "\"per_unit_virtual\":");
    ck_assert_ptr_nonnull(k);
    double puv = strtod(k + 19, NULL);
    k = strstr(mk, "\"baseline_resident\":");
    ck_assert_ptr_nonnull(k);
    double base = strtod(k + 20, NULL);
    k = strstr(mk, "\"peak_resident\":");
    ck_assert_ptr_nonnull(k);
    double peak = strtod(k + 16, NULL);
    ck_assert(pur > 0 && pur < THREAD_RESIDENT_MAX);
    ck_assert(puv >= (double)THREAD_STACK * 200 / 201);
    ck_assert(peak > base);
    ck_assert(pur * 201 > (peak - base) * 0.999 && pur * 201 < (peak - base) * 1.001);
    ck_assert_ptr_nonnull(strstr(mk, "\"name\":\"weft (main)\""));
    snprintf(cmd, sizeof cmd, "stats %s", out);
    tu_weft_shell(text, cap, &st, cmd);
    ck_assert_msg(st == 0 && strstr(text, "memory (resident / virtual") &&
                  strstr(text, "per unit (growth to the peak / 201 units that began)"), "%.3000s", text);
    free(text);
}
END_TEST

int main(void) {
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("mem");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, model_series_and_per_unit);
    tcase_add_test(tc, one_unit_has_no_per_unit_figure);
    tcase_add_test(tc, thousand_idle_threads);
    tcase_add_test(tc, processes_have_their_own_series);
    tcase_add_test(tc, stats_json_figures);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
