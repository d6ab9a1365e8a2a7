/* The GIL on the coroutines backend: a loop's thread holds it for all its
 * tasks and lets it go only where a thread would (waiting in select, a
 * blocking call, a native compute, a hand-over asked by another thread); an
 * executor's thread contends with the loop for it, and while the loop waits
 * for it none of its tasks runs. On the virtual clock (exact times) unless
 * said otherwise.
 */
#include "testutil.h"
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>

#define US 1000ull
#define MS 1000000ull

typedef tu_ran ran;

static void co_run(ran *out, const char *name, const char *text, bool virt) {
    tu_run_desc(out, name, text, (sim_desc){ .virtual_clock = virt, .timeout_ns = 30000000000ull }, NULL, 0);
}


static bool is_gil_event(uint16_t k) {
    return k == TRC_EV_GIL_REQUEST || k == TRC_EV_GIL_ACQUIRE || k == TRC_EV_GIL_DROP || k == TRC_EV_GIL_DROP_REQUEST;
}


static uint64_t at(const ran *r, const trc_event *e) { return (e->t - r->run->t_start) / US * US; }

static uint64_t mark_at(const ran *r, const char *text, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && e->arg < r->run->nstrings && !strcmp(r->run->strings[e->arg], text) && n-- == 0)
            return at(r, e);
    }
    ck_abort_msg("no mark '%s'", text);
    return 0;
}

/* Only the loop's lane and the executor's threads have GIL events: a task never takes the
 * GIL for itself (its loop's thread has it). */
static void gil_events_on(const ran *r, uint32_t loop, uint32_t worker) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (is_gil_event(e->kind))
            ck_assert_msg(e->unit == loop || e->unit == worker, "%s on %s", trc_ev_name(e->kind),
                          r->run->units[e->unit].name);
    }
}

/* While the loop waits for the GIL (its GIL_REQUEST to its GIL_ACQUIRE), none of its tasks
 * runs: nothing on their lanes but READY (and the machine's facts: the CPU the thread was
 * seen on, the kernel's switches, which are the loop thread's). Returns how many such waits there were. */
static size_t loop_waits_run_nothing(const ran *r, uint32_t loop) {
    size_t waits = 0;
    bool waiting = false;
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->unit == loop && e->kind == TRC_EV_GIL_REQUEST) { waiting = true; waits++; }
        else if (e->unit == loop && e->kind == TRC_EV_GIL_ACQUIRE) waiting = false;
        else if (waiting && e->unit != loop && r->run->units[e->unit].parent == loop && !trc_ev_is_machine(e->kind))
            ck_assert_msg(e->kind == TRC_EV_READY, "%s ran (%s) while its loop waited for the GIL",
                          r->run->units[e->unit].name, trc_ev_name(e->kind));
    }
    return waits;
}

/* Tasks alone: the loop takes the GIL once it has work and lets it go only when it idles
 * (select); nobody contends, so nobody waits, and the run takes what it takes without it. */
START_TEST(the_loop_holds_the_gil_for_its_tasks) {
    const char *body = "task w { compute 1ms; sleep 1ms; compute 1ms }\nactor main { gather w * 3 }\n";
    char text[256];
    ran on, off;
    snprintf(text, sizeof text, "backend coroutines\ngil on\n%s", body);
    co_run(&on, "loop_gil_on", text, true);
    snprintf(text, sizeof text, "backend coroutines\ngil off\n%s", body);
    co_run(&off, "loop_gil_off", text, true);
    uint32_t loop = tu_unit_named(&on, "loop");
    gil_events_on(&on, loop, loop);
    ck_assert_uint_eq(tu_count(&on, TRC_EV_GIL_REQUEST, UINT32_MAX), 0);
    ck_assert_uint_ge(tu_count(&on, TRC_EV_GIL_ACQUIRE, loop), 1);
    /* every drop is the loop going idle (blocking: select), never a task's end or await */
    for (size_t i = 0; i < on.run->nevents; i++)
        if (on.run->events[i].kind == TRC_EV_GIL_DROP) ck_assert_uint_eq(on.run->events[i].aux, TRC_GIL_BLOCKING);
    ck_assert_uint_eq(tu_count(&on, TRC_EV_GIL_DROP, loop), tu_count(&on, TRC_EV_GIL_ACQUIRE, loop));
    ck_assert_uint_eq(on.m.makespan, off.m.makespan);   /* one thread: the GIL costs nothing */
    tu_ran_free(&on);
    tu_ran_free(&off);
}
END_TEST

/* run_in_executor on a thread pool under the GIL: the executor's thread and the loop's
 * thread take turns (switch interval: drop requests, hand-overs), so two computes of 20 ms
 * take 40 ms, where without the GIL they overlap; while the loop waits for the GIL its
 * ticker does not run. */
#define CONTEND "backend coroutines\n" \
                "gil %s\n" \
                "pool ex workers=1\n" \
                "task cpu { compute 20ms }\n" \
                "task tick { sleep 2ms; mark \"tick\" }\n" \
                "actor main {\n" \
                "    create_task tick as t\n" \
                "    submit ex cpu as f\n" \
                "    compute 20ms\n" \
                "    mark \"main computed\"\n" \
                "    await f\n" \
                "    await t\n" \
                "}\n"

START_TEST(an_executor_thread_contends_with_the_loop) {
    char text[512];
    ran on, off;
    snprintf(text, sizeof text, CONTEND, "on");
    co_run(&on, "contend_on", text, true);
    snprintf(text, sizeof text, CONTEND, "off");
    co_run(&off, "contend_off", text, true);
    /* without the GIL: both computes from 0 to 20 ms; the ticker starts once main awaits (20 ms) */
    ck_assert_uint_eq(mark_at(&off, "main computed", 0), 20 * MS);
    ck_assert_uint_eq(mark_at(&off, "tick", 0), 22 * MS);
    ck_assert_uint_eq(off.m.makespan / US * US, 22 * MS);
    /* with it: 40 ms of CPU under one GIL, in turns of the switch interval (5 ms) */
    uint32_t loop = tu_unit_named(&on, "loop"), worker = tu_unit_named(&on, "ex.0");
    gil_events_on(&on, loop, worker);
    ck_assert_uint_ge(on.m.makespan, 40 * MS);
    ck_assert_uint_ge(tu_count(&on, TRC_EV_GIL_DROP_REQUEST, loop), 1);     /* the loop asked the worker */
    ck_assert_uint_ge(tu_count(&on, TRC_EV_GIL_DROP_REQUEST, worker), 1);   /* and the worker the loop */
    size_t interval = 0;
    for (size_t i = 0; i < on.run->nevents; i++) {
        const trc_event *e = &on.run->events[i];
        if (e->kind == TRC_EV_GIL_DROP && e->unit == loop && e->aux == TRC_GIL_INTERVAL) interval++;
    }
    ck_assert_uint_ge(interval, 1);   /* the loop handed it over in the middle of main's compute */
    /* the GIL's holders never overlap, and the loop held it for main's 20 ms of CPU at least */
    uint32_t g = 0;
    for (uint32_t o = 0; o < on.run->nobjects; o++)
        if (on.run->objects[o].kind == TRC_OBJ_GIL) g = o;
    const trc_object_track *gt = &on.m.objects[g];
    ck_assert_uint_ge(gt->nowners, 4);
    uint64_t loop_held = 0;
    for (size_t i = 0; i < gt->nowners; i++) {
        if (i) ck_assert_uint_le(gt->owners[i - 1].t1, gt->owners[i].t0);
        ck_assert(gt->owners[i].owner == loop || gt->owners[i].owner == worker);
        if (gt->owners[i].owner == loop) loop_held += gt->owners[i].t1 - gt->owners[i].t0;
    }
    ck_assert_uint_ge(loop_held, 20 * MS);
    /* main's compute needed the GIL half the time: it ends at 35 ms or later, and the ticker,
     * due at 2 ms, ran only once the loop was free of it */
    ck_assert_uint_ge(mark_at(&on, "main computed", 0), 35 * MS);
    ck_assert_uint_ge(mark_at(&on, "tick", 0), mark_at(&on, "main computed", 0) + 2 * MS);
    ck_assert_uint_ge(loop_waits_run_nothing(&on, loop), 1);
    tu_ran_free(&on);
    tu_ran_free(&off);
}
END_TEST

/* A blocking sleep (time.sleep) and a native compute in a task let the loop's thread drop the
 * GIL: the executor's thread computes meanwhile. A Python compute in their place does not. */
START_TEST(blocking_calls_let_the_loop_drop_it) {
    static const struct { const char *step; uint64_t makespan; } cases[] = {
        { "sleep 10ms blocking", 10 * MS },
        { "compute native 10ms", 10 * MS },
        { "compute 10ms", 20 * MS },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s%s", "backend coroutines\ngil on\npool ex workers=1\ntask cpu { compute 10ms }\n"
                 "actor main {\n    submit ex cpu as f\n    ", cases[c].step, "\n    await f\n}\n");
        ran r;
        co_run(&r, "blocking_drop", text, true);
        uint32_t loop = tu_unit_named(&r, "loop"), worker = tu_unit_named(&r, "ex.0");
        gil_events_on(&r, loop, worker);
        ck_assert_msg(r.m.makespan / US * US == cases[c].makespan, "%s: makespan %llu ns", cases[c].step,
                      (unsigned long long)r.m.makespan);
        size_t blocking = 0, native = 0;
        for (size_t i = 0; i < r.run->nevents; i++) {
            const trc_event *e = &r.run->events[i];
            if (e->kind != TRC_EV_GIL_DROP || e->unit != loop || at(&r, e) != 0) continue;
            blocking += e->aux == TRC_GIL_BLOCKING;
            native += e->aux == TRC_GIL_NATIVE;
        }
        if (c == 0) ck_assert_uint_eq(blocking, 1);   /* at 0: the loop's thread sleeps without it */
        if (c == 1) ck_assert_uint_eq(native, 1);
        tu_ran_free(&r);
    }
}
END_TEST

/* The same on the real clock (loop threads, epoll, the inbox): outcomes only. */
START_TEST(real_clock_contention) {
    char text[512];
    snprintf(text, sizeof text, CONTEND, "on");
    ran r;
    co_run(&r, "contend_real", text, false);
    uint32_t loop = tu_unit_named(&r, "loop"), worker = tu_unit_named(&r, "ex.0");
    gil_events_on(&r, loop, worker);
    ck_assert_uint_ge(r.m.makespan, 40 * MS);   /* 40 ms of CPU under one GIL: a lower bound only */
    ck_assert_uint_ge(mark_at(&r, "tick", 0), mark_at(&r, "main computed", 0) + 2 * MS);
    loop_waits_run_nothing(&r, loop);
    tu_ran_free(&r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("coro_gil");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_loop_holds_the_gil_for_its_tasks);
    tcase_add_test(tc, an_executor_thread_contends_with_the_loop);
    tcase_add_test(tc, blocking_calls_let_the_loop_drop_it);
    tcase_add_test(tc, real_clock_contention);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
