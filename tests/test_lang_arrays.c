/* Arrays of objects (issue 9): `lock fork[5]`, any kind, sized by a constant
 * (a param, overridden by -D), indexed by any expression; each element an
 * object of its own named "fork[3]" in the program, the recording and the
 * reports; a constant index checked before the run, any other when the step
 * runs, with the unit, the index, the size and line:col. Runs on the
 * deterministic platform. */
#include "lang_det.h"

/* ---- parsing ---------------------------------------------------------------- */

START_TEST(arrays_become_their_elements) {
    sim_program *p = parse_ok("param n = 5\n"
                              "lock fork[n]\n"
                              "lock m\n"
                              "queue lane[2] capacity=3 kind=lifo\n"
                              "counter c[3] = 7\n"
                              "condition cv[n] lock=fork\n"
                              "condition one lock=fork[3]\n"
                              "condition all[2] lock=m\n"
                              "semaphore s[2] 4\n"
                              "barrier b[2] 3\n"
                              "pool p[2] workers=2\n"
                              "rwlock rw[2] prefer=readers\n"
                              "event e[2]\n"
                              "task t { compute 1ms }\n"
                              "actor a * n {\n"
                              "  lock fork[index] { lock fork[(index + 1) % n] { incr c[index % 3] } }\n"
                              "  lock fork[2] { put lane[1] }\n"
                              "  submit p[index % 2] t\n"
                              "}\n");
    /* 5 forks, m, 2 lanes, 3 counters, 5 + 1 + 2 conditions, 2 semaphores, 2 barriers, 2 pools, 2 rwlocks, 2 events */
    ck_assert_uint_eq(p->nobjects, 5 + 1 + 2 + 3 + 8 + 2 + 2 + 2 + 2 + 2);
    for (int k = 0; k < 5; k++) {
        char name[16];
        snprintf(name, sizeof name, "fork[%d]", k);
        ck_assert_str_eq(p->objects[k].name, name);
        ck_assert_str_eq(p->objects[k].array, "fork");
        ck_assert_int_eq(p->objects[k].size, 5);
        ck_assert_uint_eq(p->objects[k].elem0, 0);
        ck_assert_int_eq(p->objects[k].kind, SIM_OBJ_LOCK);
    }
    ck_assert_str_eq(p->objects[5].name, "m");
    ck_assert_ptr_null(p->objects[5].array);
    ck_assert_int_eq(p->objects[5].size, 1);
    ck_assert_str_eq(p->objects[7].name, "lane[1]");
    ck_assert_int_eq(p->objects[7].cap_value, 3);
    ck_assert_uint_eq(p->objects[7].subkind, TRC_QUEUE_LIFO);
    ck_assert_str_eq(p->objects[9].name, "c[1]");
    ck_assert_int_eq(p->objects[9].cap_value, 7);
    /* cv[k] binds fork[k]; `one` binds fork[3]; all[k] bind m */
    for (uint32_t k = 0; k < 5; k++) ck_assert_uint_eq(p->objects[11 + k].lock, k);
    ck_assert_str_eq(p->objects[16].name, "one");
    ck_assert_uint_eq(p->objects[16].lock, 3);
    ck_assert_uint_eq(p->objects[17].lock, 5);
    ck_assert_uint_eq(p->objects[18].lock, 5);
    ck_assert_str_eq(p->objects[23].name, "p[0]");
    /* every pool element has its workers: p[0].0 p[0].1 p[1].0 p[1].1 after the 5 actors */
    ck_assert_uint_eq(p->nunits, 5 + 4);
    ck_assert_uint_eq(p->objects[23].unit0, 5);
    ck_assert_uint_eq(p->objects[24].unit0, 7);
    /* steps: an index that varies stays beside element 0, a constant one is folded in */
    const sim_stmt *s = p->actors[0].body;
    ck_assert_int_eq(s->kind, SIM_S_LOCK_BLOCK);
    ck_assert_uint_eq(s->obj, 0);
    ck_assert_ptr_nonnull(s->obj_index);
    ck_assert_int_eq(s->obj_index->kind, SIM_E_INDEX);
    ck_assert_uint_eq(s->body->obj, 0);
    ck_assert_int_eq(s->body->body->kind, SIM_S_INCR);
    ck_assert_uint_eq(s->body->body->obj, 8);   /* c[0] */
    ck_assert_ptr_nonnull(s->body->body->obj_index);
    s = s->next;
    ck_assert_uint_eq(s->obj, 2);
    ck_assert_ptr_null(s->obj_index);
    ck_assert_uint_eq(s->body->obj, 7);         /* lane[1] */
    ck_assert_ptr_null(s->body->obj_index);
    ck_assert_uint_eq(s->next->obj, 23);        /* p[0] + index % 2 */
    ck_assert_ptr_nonnull(s->next->obj_index);
    sim_program_free(p);
}
END_TEST

START_TEST(array_sizes_follow_overrides) {
    const char *text = "param workers = 2\nqueue lane[workers] capacity=2\nactor w * workers { put lane[index] }\n"
                       "actor g { repeat workers { get lane[0] } }\n";
    sim_program *p = parse_ok(text);
    ck_assert_uint_eq(p->nobjects, 2);
    sim_program_free(p);
    sim_define d4 = { .name = "workers", .value = "4" };
    p = parse_ok_defs(text, &d4, 1);
    ck_assert_uint_eq(p->nobjects, 4);
    ck_assert_str_eq(p->objects[3].name, "lane[3]");
    ck_assert_uint_eq(p->nunits, 5);
    sim_program_free(p);
    /* a size out of range after an override: at the size, naming the option */
    sim_define d0 = { .name = "workers", .value = "0" };
    err_exact_defs(text, &d0, 1, 2, 12, "an array of queues needs at least 1 element, not 0",
                   "the value comes from -D workers=0");
    sim_define big = { .name = "workers", .value = "5000" };
    err_exact_defs("param workers = 2\nlock m\nqueue lane[workers] capacity=2\nactor w { put lane[0] }\n", &big, 1, 3, 12,
                   "array 'lane' of 5000 makes more than 4096 objects (5001 in all)",
                   "the value comes from -D workers=5000");
    /* a constant index checked against the size after the override */
    sim_define d1 = { .name = "workers", .value = "1" };
    err_exact_defs("param workers = 2\nlock fork[workers]\nactor a { lock fork[1] { } }\n", &d1, 1, 3, 21,
                   "index 1 is out of range for 'fork': an array of 1 lock, index 0", NULL);
}
END_TEST

START_TEST(array_errors_name_the_place) {
    err_exact("lock fork[5]\nactor a { lock fork[7] { } }\n", 2, 21,
              "index 7 is out of range for 'fork': an array of 5 locks, 0 to 4", NULL);
    err_exact("lock fork[5]\nactor a { lock fork[2 - 3] { } }\n", 2, 21,
              "index -1 is out of range for 'fork': an array of 5 locks, 0 to 4 (a negative index does not count from "
              "the end, as in Python: (i + n) % n wraps)", NULL);
    err_exact("lock fork[5]\nactor a { lock fork { } }\n", 2, 16, "'fork' is an array of locks: say which one, e.g. fork[0]",
              "any integer expression picks the element: fork[index], fork[(index + 1) % 5]");
    err_exact("lock m\nactor a { lock m[1] { } }\n", 2, 17, "'m' is not an array: it is one lock",
              "to have several, declare it as an array at line 1: lock m[N]");
    err_exact("counter c[2]\nactor a { if c > 1 { } }\n", 2, 14, "'c' is an array of counters: say which one, e.g. c[0]",
              NULL);
    err_exact("counter c[2]\nactor a { sleep 1ms }\nexpect counter c[2] == 0\n", 3, 18,
              "index 2 is out of range for 'c': an array of 2 counters, 0 to 1", NULL);
    err_exact("lock fork[0]\nactor a { sleep 1ms }\n", 1, 11, "an array of locks needs at least 1 element, not 0", NULL);
    err_exact("lock fork[uniform 1 3]\nactor a { sleep 1ms }\n", 1, 11, "an array's size must be a constant", NULL);
    err_exact("lock fork[2ms]\nactor a { sleep 1ms }\n", 1, 11, "an array's size must be an integer, not a duration", NULL);
    err_exact("lock fork[3]\nactor a { lock fork[1ms] { } }\n", 2, 21, "an index must be an integer, not a duration", NULL);
    err_exact("lock fork[3]\ncondition cv[2] lock=fork\nactor a { sleep 1ms }\n", 2, 11,
              "condition array 'cv' has 2 elements and lock array 'fork' 3",
              "lock=fork binds cv[k] to fork[k]: give them the same size, or bind every element to one lock, lock=fork[0]");
    err_exact("lock fork[3]\ncondition cv lock=fork\nactor a { sleep 1ms }\n", 2, 19,
              "'fork' is an array of locks: say which one, e.g. fork[0]", NULL);
    err_exact("lock fork[3]\ncondition cv lock=fork[3]\nactor a { sleep 1ms }\n", 2, 24,
              "index 3 is out of range for 'fork': an array of 3 locks, 0 to 2", NULL);
    err_exact("lock fork[3]\ncondition cv lock=fork[index]\nactor a { sleep 1ms }\n", 2, 24,
              "a condition's lock index must be a constant", NULL);
    err_exact("lock m[5000]\nactor a { sleep 1ms }\n", 1, 8, "array 'm' of 5000 makes more than 4096 objects (5000 in all)",
              NULL);
}
END_TEST

/* ---- running ------------------------------------------------------------------ */

/* The dining philosophers in a few lines: each takes its lower-numbered fork first. */
START_TEST(philosophers_in_order_never_deadlock) {
    ran r;
    det_run(&r, "phil_ordered",
            "param n = 5\nlock fork[n]\n"
            "actor philosopher * n {\n"
            "  repeat 2 {\n"
            "    lock fork[min(index, (index + 1) % n)] { lock fork[max(index, (index + 1) % n)] { compute 1ms } }\n"
            "    sleep 1ms\n"
            "  }\n"
            "}\nexpect no_deadlock\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.run->nobjects, 5);
    for (uint32_t k = 0; k < 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "fork[%u]", k);
        ck_assert_str_eq(r.run->objects[k].name, name);
        snprintf(name, sizeof name, "philosopher.%u", k);
        uint32_t u = unit_named(&r, name);
        uint32_t lo = k < (k + 1) % 5 ? k : (k + 1) % 5, hi = k > (k + 1) % 5 ? k : (k + 1) % 5;
        /* each meal: the lower fork, then the higher one */
        for (size_t meal = 0; meal < 2; meal++) {
            ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, u, UINT32_MAX, 2 * meal)->obj, lo + 1);
            ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, u, UINT32_MAX, 2 * meal + 1)->obj, hi + 1);
        }
        ck_assert_uint_eq(count_ev(&r, TRC_EV_ACQUIRE, u, UINT32_MAX), 4);
        ck_assert_uint_eq(r.m.objects[k].acquires, 4);
    }
    tu_ran_free(&r);
}
END_TEST

/* Every philosopher takes its left fork, then waits for its right one: a cycle of five. */
START_TEST(philosophers_all_left_first_deadlock) {
    ran r;
    det_run(&r, "phil_left",
            "param n = 5\nlock fork[n]\nbarrier all_hold n\n"
            "actor philosopher * n {\n"
            "  lock fork[index]\n  wait all_hold\n  lock fork[(index + 1) % n]\n"
            "  compute 1ms\n  unlock fork[(index + 1) % n]\n  unlock fork[index]\n"
            "}\nexpect deadlock\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_DEADLOCK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_msg(strstr(r.res.report, "deadlock: a cycle of 5 unit(s) waiting for each other"), "%s", r.res.report);
    ck_assert_msg(strstr(r.res.report, "philosopher.0 waits to acquire lock 'fork[1]' since 0 ns, held by philosopher.1"),
                  "%s", r.res.report);
    ck_assert_msg(strstr(r.res.report, "philosopher.4 waits to acquire lock 'fork[0]' since 0 ns, held by philosopher.0"),
                  "%s", r.res.report);
    for (uint32_t k = 0; k < 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "philosopher.%u", k);
        uint32_t u = unit_named(&r, name);
        ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, u, UINT32_MAX, 0)->obj, k + 1);
        const trc_event *w = NULL;   /* its wait for the right fork, after the barrier */
        for (size_t i = 0; i < count_ev(&r, TRC_EV_WAIT_BEGIN, u, UINT32_MAX) && !w; i++)
            if (nth(&r, TRC_EV_WAIT_BEGIN, u, UINT32_MAX, i)->aux == TRC_OP_LOCK) w = nth(&r, TRC_EV_WAIT_BEGIN, u, UINT32_MAX, i);
        ck_assert_ptr_nonnull(w);
        ck_assert_uint_eq(w->obj, (k + 1) % 5 + 1);
    }
    tu_ran_free(&r);
}
END_TEST

START_TEST(index_out_of_range_at_run_time) {
    ran r;
    det_run(&r, "oob", "lock fork[5]\nactor p * 3 {\n  sleep index * 1ms\n  lock fork[index * 3] { compute 1ms }\n}\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_str_eq(r.res.report, "oob:4:13: index 6 is out of range for 'fork': an array of 5 locks, 0 to 4 (in p.2)\n");
    /* p.0 and p.1 took fork[0] and fork[3] */
    ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, unit_named(&r, "p.0"), UINT32_MAX, 0)->obj, 1);
    ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, unit_named(&r, "p.1"), UINT32_MAX, 0)->obj, 4);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_ACQUIRE, unit_named(&r, "p.2"), UINT32_MAX), 0);
    tu_ran_free(&r);
    /* in an expression too (a counter element), and a negative index */
    det_run(&r, "oob2", "counter c[2]\nactor p { if c[index - 1] > 0 { mark \"x\" } }\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_str_eq(r.res.report,
                     "oob2:2:16: index -1 is out of range for 'c': an array of 2 counters, 0 to 1 (a negative index does "
                     "not count from the end, as in Python: (i + n) % n wraps) (in p.0)\n");
    tu_ran_free(&r);
}
END_TEST

/* Every kind of step reaches its element: queues, counters, conditions over a lock array,
 * semaphores, events, barriers, rwlocks, pools, locked increments. */
START_TEST(every_kind_indexes) {
    ran r;
    det_run(&r, "kinds",
            "param n = 3\n"
            "queue lane[n] capacity=1\ncounter got[n]\ncounter sum\nlock m[n]\ncondition cv[n] lock=m\n"
            "semaphore s[n] 1\nevent go[n]\nbarrier b[2] 1\nrwlock rw[n]\npool p[2] workers=1\nlocal k\n"
            "task t { incr got[arg] }\n"
            "actor w * n {\n"
            "  put lane[index] value=index + 10\n"
            "  wait go[index]\n"
            "  acquire s[index] { read rw[index] { incr sum by 1 locked m[n - 1 - index] } }\n"
            "  lock m[index] { notify cv[index] }\n"
            "  submit p[index % 2] t arg=index\n"
            "  wait b[index % 2]\n"
            "}\n"
            "actor g {\n"
            "  repeat n { get lane[k]; let k = k + 1 }\n"
            "  let k = 0\n"
            "  repeat n { set go[k]; let k = k + 1 }\n"
            "}\n"
            "expect counter sum == n\nexpect counter got[0] + got[1] + got[2] == n\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    for (uint32_t k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "w.%u", k);
        uint32_t u = unit_named(&r, name);
        snprintf(name, sizeof name, "lane[%u]", k);
        ck_assert_uint_eq(nth(&r, TRC_EV_PUT, u, UINT32_MAX, 0)->obj, obj_named(&r, name));
        snprintf(name, sizeof name, "s[%u]", k);
        ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, u, UINT32_MAX, 0)->obj, obj_named(&r, name));
        snprintf(name, sizeof name, "rw[%u]", k);
        ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, u, UINT32_MAX, 1)->obj, obj_named(&r, name));
        snprintf(name, sizeof name, "m[%u]", 2 - k);
        ck_assert_uint_eq(nth(&r, TRC_EV_ACQUIRE, u, UINT32_MAX, 2)->obj, obj_named(&r, name));
        snprintf(name, sizeof name, "cv[%u]", k);
        ck_assert_uint_eq(nth(&r, TRC_EV_NOTIFY, u, UINT32_MAX, 0)->obj, obj_named(&r, name));
        snprintf(name, sizeof name, "p[%u]", k % 2);
        ck_assert_uint_eq(nth(&r, TRC_EV_SUBMIT, u, UINT32_MAX, 0)->obj, obj_named(&r, name));
        snprintf(name, sizeof name, "b[%u]", k % 2);
        ck_assert_uint_eq(nth(&r, TRC_EV_BARRIER_ARRIVE, u, UINT32_MAX, 0)->obj, obj_named(&r, name));
    }
    ck_assert_uint_eq(count_ev(&r, TRC_EV_SET, unit_named(&r, "g.0"), UINT32_MAX), 3);
    ck_assert_str_eq(r.run->units[unit_named(&r, "p[1].0")].group, "p[1]");
    tu_ran_free(&r);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("lang_arrays");
    TCase *tc = tcase_create("arrays");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, arrays_become_their_elements);
    tcase_add_test(tc, array_sizes_follow_overrides);
    tcase_add_test(tc, array_errors_name_the_place);
    tcase_add_test(tc, philosophers_in_order_never_deadlock);
    tcase_add_test(tc, philosophers_all_left_first_deadlock);
    tcase_add_test(tc, index_out_of_range_at_run_time);
    tcase_add_test(tc, every_kind_indexes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
