/* The object semantics, exactly, on the deterministic test platform
 * (sim/sim_plat_test.c): one unit runs at a time, a virtual clock. Every test
 * runs a scenario through sim_run() with desc.platform = &sim_plat_test, reads
 * the recording back and asserts exact orders and exact virtual times (ns
 * after the run's start): no timing can make these flaky, and a run repeated
 * gives the very same recording.
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
    diag d;
    diag_clear(&d);
    sim_program *p;
    int rc = sim_parse(&p, name, text, NULL, 0, &d);
    ck_assert_msg(rc == 0, "%s:%d:%d: %s", name, d.line, d.col, d.msg);
    char file[128];
    snprintf(file, sizeof file, "%s.weft", name);
    const char *path = tmp_path(file);
    desc.out_path = path;
    desc.platform = &sim_plat_test;
    rc = sim_run(&out->res, p, &desc, &d);
    ck_assert_msg(rc == 0, "sim_run: %s", d.msg);
    sim_program_free(p);
    rc = trc_recording_load(&out->rec, path, &d);
    ck_assert_msg(rc == 0, "load: %s", d.msg);
    ck_assert(!out->rec->truncated);
    out->run = &out->rec->runs[0];
    ck_assert_uint_eq(out->run->lost, 0);
    rc = trc_model_build(&out->m, out->run, &d);
    ck_assert_msg(rc == 0, "model: %s", d.msg);
}

static void det_run(ran *out, const char *name, const char *text) {
    det_run_desc(out, name, text, (sim_desc){ 0 });
}

static uint32_t unit_named(const ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nunits; i++)
        if (!strcmp(r->run->units[i].name, name)) return i;
    ck_abort_msg("no unit %s", name);
    return 0;
}

static uint32_t obj_named(const ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nobjects; i++)
        if (!strcmp(r->run->objects[i].name, name)) return r->run->objects[i].id;
    ck_abort_msg("no object %s", name);
    return 0;
}

/* The n-th (0-based) event of `kind` by `unit` (UINT32_MAX: any) on `obj` (UINT32_MAX: any); fails if missing. */
static const trc_event *nth(const ran *r, uint16_t kind, uint32_t unit, uint32_t obj, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == kind && (unit == UINT32_MAX || e->unit == unit) && (obj == UINT32_MAX || e->obj == obj) &&
            n-- == 0)
            return e;
    }
    ck_abort_msg("no such %s event", trc_ev_name(kind));
    return NULL;
}

static size_t count(const ran *r, uint16_t kind, uint32_t unit) {
    size_t n = 0;
    for (size_t i = 0; i < r->run->nevents; i++)
        n += r->run->events[i].kind == kind && (unit == UINT32_MAX || r->run->events[i].unit == unit);
    return n;
}

/* Time of an event after the run's start. */
static uint64_t at(const ran *r, const trc_event *e) { return e->t - r->run->t_start; }

static uint64_t makespan(const ran *r) { return r->run->t_end - r->run->t_start; }

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
    uint32_t a = unit_named(&r, "a.0"), b = unit_named(&r, "b.0");
    ck_assert_uint_eq(at(&r, nth(&r, TRC_EV_SLEEP_END, a, UINT32_MAX, 0)), 5 * MS);
    const trc_event *ce = nth(&r, TRC_EV_COMPUTE_END, a, UINT32_MAX, 0);
    ck_assert_uint_eq(at(&r, ce), 8 * MS);
    ck_assert_uint_eq(ce->arg, 3 * MS);   /* the CPU time it "burnt" */
    ck_assert_uint_eq(mark_at(&r, "x", a, 0), 8 * MS);
    ck_assert_uint_eq(at(&r, nth(&r, TRC_EV_UNIT_EXIT, b, UINT32_MAX, 0)), 1250 * US);   /* every unit has a CPU */
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
    ck_assert_int_gt(r1.m.objects[obj_named(&r1, "c") - 1].final_value, 0);
    ck_assert_int_lt(r1.m.objects[obj_named(&r1, "c") - 1].final_value, 120);
    ck_assert_int_eq(r1.m.objects[obj_named(&r1, "c") - 1].final_value,
                     r2.m.objects[obj_named(&r2, "c") - 1].final_value);
    tu_ran_free(&r1);
    tu_ran_free(&r2);
}
END_TEST

static Suite *det_suite(void) {
    Suite *s = suite_create("det");
    TCase *tc = tcase_create("det");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, virtual_time_is_exact);
    tcase_add_test(tc, a_run_repeats_exactly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(det_suite()); }
