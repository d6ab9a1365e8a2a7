/* Items with values, queue sizes and live units in expressions (issue 9):
 * `put Q value=EXPR` and `get Q as X`, so a sentinel, a job id or a poison
 * pill can be sent and tested; the value in the recording (an ITEM_VALUE
 * event just before the PUT), in the model (the item's flow and instants at
 * both ends) and in the Perfetto export (a debug annotation); `size Q` (like
 * q.qsize()) and `alive A` (like Thread.is_alive(): any instance). Runs on the
 * deterministic platform. */
#include "lang_det.h"
#include "pbdec.h"

/* The values of the items `unit` got from obj, in order (from the model's item flows). */
static size_t got_values(const ran *r, uint32_t unit, uint32_t obj, int64_t *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind != TRC_EV_GET || e->unit != unit || e->obj != obj) continue;
        for (size_t f = 0; f < r->m.nflows; f++) {
            const trc_flow *fl = &r->m.flows[f];
            if (fl->kind == TRC_FLOW_ITEM && fl->ev1 == i) {
                ck_assert(fl->has_value);
                if (n < cap) out[n] = fl->value;
                n++;
            }
        }
    }
    return n;
}

/* Poison pills: the producer sends job ids, then one -1 per consumer. */
START_TEST(poison_pills_end_the_consumers) {
    ran r;
    det_run(&r, "pills",
            "queue jobs capacity=2\ncounter done\nlocal i\n"
            "actor producer {\n"
            "  repeat 6 { put jobs value=i * 10; let i = i + 1 }\n"
            "  repeat 2 { put jobs value=-1 }\n"
            "}\n"
            "actor consumer * 2 {\n"
            "  loop {\n"
            "    get jobs as job\n"
            "    if job == -1 { break }\n"
            "    incr done by job\n"
            "    sleep 1ms\n"
            "  }\n"
            "  mark \"stopped\"\n"
            "}\n"
            "expect counter done == 150\nexpect all_done\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t q = obj_named(&r, "jobs"), pr = unit_named(&r, "producer.0");
    /* the recording: each value just before its PUT, on the same unit and queue */
    static const int64_t sent[8] = { 0, 10, 20, 30, 40, 50, -1, -1 };
    ck_assert_uint_eq(count_ev(&r, TRC_EV_ITEM_VALUE, UINT32_MAX, UINT32_MAX), 8);
    for (size_t k = 0; k < 8; k++) {
        const trc_event *put = nth(&r, TRC_EV_PUT, pr, q, k);
        const trc_event *v = prev_of_unit(&r, put);
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(v->kind, TRC_EV_ITEM_VALUE);
        ck_assert_uint_eq(v->obj, q);
        ck_assert_int_eq((int64_t)v->arg, sent[k]);
        ck_assert_uint_eq(v->t / US, put->t / US);
    }
    /* the model: every item's flow carries its value; both consumers stopped on a pill */
    int64_t a[8], b[8];
    size_t na = got_values(&r, unit_named(&r, "consumer.0"), q, a, 8);
    size_t nb = got_values(&r, unit_named(&r, "consumer.1"), q, b, 8);
    ck_assert_uint_eq(na + nb, 8);
    ck_assert_int_eq(a[na - 1], -1);
    ck_assert_int_eq(b[nb - 1], -1);
    int64_t sum = 0;
    for (size_t k = 0; k + 1 < na; k++) sum += a[k];
    for (size_t k = 0; k + 1 < nb; k++) sum += b[k];
    ck_assert_int_eq(sum, 150);
    size_t at_put = 0, at_get = 0;
    for (size_t i = 0; i < r.m.ninstants; i++) {
        const trc_instant *in = &r.m.instants[i];
        if (in->kind != TRC_EV_ITEM_VALUE) continue;
        ck_assert_uint_eq(in->obj, q);
        ck_assert_uint_eq(r.run->events[in->ev].kind, in->aux ? TRC_EV_GET : TRC_EV_PUT);
        ck_assert_uint_eq(in->extra, (uint32_t)r.run->events[in->ev].arg);   /* the item id */
        if (in->aux) at_get++;
        else {
            ck_assert_int_eq((int64_t)in->arg, sent[at_put]);
            at_put++;
        }
    }
    ck_assert_uint_eq(at_put, 8);
    ck_assert_uint_eq(at_get, 8);
    ck_assert_uint_eq(marks_of(&r, "stopped", UINT32_MAX), 2);
    tu_ran_free(&r);
}
END_TEST

/* Values travel with their items through a priority heap and a stack; an item put
 * without a value is got as 0, and records no value. */
START_TEST(values_follow_their_items) {
    ran r;
    det_run(&r, "kinds",
            "queue pq capacity=4 kind=priority\nqueue st capacity=4 kind=lifo\nqueue plain capacity=1\n"
            "counter zero = 5\nevent filled\n"
            "actor maker {\n"
            "  put pq priority=3 value=30; put pq priority=1 value=10; put pq priority=2 value=20\n"
            "  put pq priority=1 value=11\n"
            "  put st value=1; put st value=2; put st value=3\n"
            "  put plain\n"
            "  set filled\n"
            "}\n"
            "actor taker {\n"
            "  wait filled\n"
            "  repeat 4 { get pq as v }\n"
            "  repeat 3 { get st as v }\n"
            "  let v = 99\n"
            "  get plain as v\n"
            "  if v == 0 { decr zero by 5 }\n"
            "}\n"
            "expect counter zero == 0\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t t = unit_named(&r, "taker.0");
    int64_t v[8];
    ck_assert_uint_eq(got_values(&r, t, obj_named(&r, "pq"), v, 8), 4);
    ck_assert_int_eq(v[0], 10);   /* priority 1, first in */
    ck_assert_int_eq(v[1], 11);   /* priority 1, second */
    ck_assert_int_eq(v[2], 20);
    ck_assert_int_eq(v[3], 30);
    ck_assert_uint_eq(got_values(&r, t, obj_named(&r, "st"), v, 8), 3);
    ck_assert_int_eq(v[0], 3);
    ck_assert_int_eq(v[1], 2);
    ck_assert_int_eq(v[2], 1);
    ck_assert_uint_eq(count_ev(&r, TRC_EV_ITEM_VALUE, UINT32_MAX, obj_named(&r, "plain")), 0);
    tu_ran_free(&r);
}
END_TEST

/* size Q: the items in the queue now; in an expectation, at the run's end. */
START_TEST(size_reads_the_queue) {
    ran r;
    det_run(&r, "size",
            "queue q capacity=5\nqueue lane[2] capacity=2\nevent three\n"
            "actor p { sleep 1ms; repeat 3 { put q; sleep 1ms }; put lane[1]; set three }\n"
            "actor c {\n"
            "  if size q == 0 { mark \"empty\" }\n"
            "  wait three\n"
            "  if size q == 3 and size lane[1] == 1 and size lane[0] == 0 { mark \"three\" }\n"
            "  get q\n"
            "  if size q == 2 { mark \"two\" }\n"
            "}\n"
            "expect size q == 2\nexpect (size lane[1]) + size q == 3\n");
    ck_assert_uint_eq(r.res.expect_failed, 0);
    uint32_t c = unit_named(&r, "c.0");
    ck_assert_uint_eq(mark_at(&r, "empty", c, 0), 0);
    ck_assert_uint_eq(mark_at(&r, "three", c, 0), 4 * MS);
    ck_assert_uint_eq(mark_at(&r, "two", c, 0), 4 * MS);
    tu_ran_free(&r);
    /* a failed one says what it was */
    det_run(&r, "size_fail", "queue q capacity=5\nactor p { put q }\nexpect size q == 0\n");
    ck_assert_uint_eq(r.res.expect_failed, 1);
    ck_assert_str_eq(r.res.expect_report, "size_fail:3:1: expect size q == 0: it is 1 (run ended: ok)\n");
    tu_ran_free(&r);
}
END_TEST

/* alive A: before its start no, while any instance runs yes, after every one exited no. */
START_TEST(alive_is_any_instance) {
    ran r;
    det_run(&r, "alive",
            "actor worker * 2 spawned { sleep (index + 1) * 2ms }\n"
            "actor main {\n"
            "  if not alive worker { mark \"not started\" }\n"
            "  spawn worker\n"
            "  if alive worker { mark \"alive\" }\n"
            "  sleep 3ms\n"
            "  if alive worker { mark \"one left\" }\n"
            "  join worker\n"
            "  if not alive worker { mark \"gone\" }\n"
            "  if alive main { mark \"itself\" }\n"
            "}\n");
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    uint32_t m = unit_named(&r, "main.0");
    ck_assert_uint_eq(mark_at(&r, "not started", m, 0), 0);
    ck_assert_uint_eq(mark_at(&r, "alive", m, 0), 0);
    ck_assert_uint_eq(mark_at(&r, "one left", m, 0), 3 * MS);   /* worker.1 runs until 4 ms */
    ck_assert_uint_eq(mark_at(&r, "gone", m, 0), 4 * MS);
    ck_assert_uint_eq(mark_at(&r, "itself", m, 0), 4 * MS);
    tu_ran_free(&r);
}
END_TEST

/* The Perfetto export: put and get instants carry the item's value. */
START_TEST(values_in_the_perfetto_export) {
    ran r;
    det_run(&r, "pf", "queue jobs capacity=2\nactor p { put jobs value=-7; put jobs; put jobs value=42 }\n"
                      "actor c { repeat 3 { get jobs as x; sleep 1ms } }\n");
    char *data = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&data, &n);
    diag d;
    ck_assert_int_eq(trc_export_perfetto(f, r.rec, &r.m, &d), 0);
    fclose(f);
    pb_trace t = { 0 };
    ck_assert_msg(pb_decode(&t, (const uint8_t *)data, n) == 0, "%s", t.err);
    const pb_track *pt = pb_track_by_name(&t, "p.0"), *ct = pb_track_by_name(&t, "c.0");
    ck_assert_ptr_nonnull(pt);
    ck_assert_ptr_nonnull(ct);
    int64_t put_vals[3], get_vals[3];
    bool put_has[3], get_has[3];
    size_t np = 0, ng = 0;
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        if (e->type != PB_TE_INSTANT || !e->name) continue;
        const pb_annot *v = pb_event_annot(e, "value");
        if (v) ck_assert_int_eq(v->kind, PB_ANN_INT);
        if (e->track == pt->uuid && !strcmp(e->name, "put jobs") && np < 3) {
            put_has[np] = v != NULL;
            put_vals[np++] = v ? v->i : 0;
        } else if (e->track == ct->uuid && !strcmp(e->name, "get jobs") && ng < 3) {
            get_has[ng] = v != NULL;
            get_vals[ng++] = v ? v->i : 0;
        }
    }
    ck_assert_uint_eq(np, 3);
    ck_assert_uint_eq(ng, 3);
    ck_assert(put_has[0] && !put_has[1] && put_has[2]);
    ck_assert(get_has[0] && !get_has[1] && get_has[2]);
    ck_assert_int_eq(put_vals[0], -7);
    ck_assert_int_eq(get_vals[0], -7);
    ck_assert_int_eq(put_vals[2], 42);
    ck_assert_int_eq(get_vals[2], 42);
    pb_free(&t);
    free(data);
    tu_ran_free(&r);
}
END_TEST

START_TEST(item_errors) {
    err_exact("queue q capacity=1\nactor a { get q value=3 }\n", 2, 17, "get takes no value=",
              "the item's value comes from its put: get q as X puts it in local X");
    err_exact("queue q capacity=1\nactor a { put q as x }\n", 2, 17, "put takes no 'as'",
              "put q value=EXPR gives the item its value; get ... as X reads it");
    err_exact("queue q capacity=1\nactor a { get q as 3 }\n", 2, 20, "expected the name of a local after 'as', found '3'",
              NULL);
    err_exact("param n = 1\nqueue q capacity=1\nactor a { get q as n }\n", 3, 20, "'n' is already a parameter (line 1)",
              "a param is a constant: give the value a local of its own name");
    err_exact("queue q capacity=1\nactor a { put q value=1ms }\n", 2, 23, "an item's value must be an integer, not a duration",
              NULL);
    err_exact("queue q capacity=1\nactor a { put q value=1 value=2 }\n", 2, 25, "value= is given twice", NULL);
    err_exact("lock m\nactor a { if size m > 0 { } }\n", 2, 19, "'m' is a lock: cannot take the size of it", NULL);
    err_exact("actor a { if alive nosuch { } }\n", 1, 20, "unknown actor 'nosuch'", NULL);
    err_exact("counter c\nactor a { sleep 1ms }\nexpect counter c > index\n", 3, 20, "an expectation cannot read 'index'",
              "an expectation is checked after the run: it reads params, counters (their final values), lost_updates C, "
              "size Q and makespan");
    err_exact("actor a { sleep 1ms }\nexpect makespan < uniform 1ms 2ms\n", 2, 19, "an expectation cannot read 'uniform'",
              NULL);
    err_exact("actor a { sleep 1ms }\nexpect alive a == 0\n", 2, 8, "unknown expectation 'alive'", NULL);
    /* a local declared by `get ... as` is an ordinary local afterwards */
    sim_program *p = parse_ok("queue q capacity=1\nactor a { get q as job; let job = job + 1; if job > 1 { } }\n");
    ck_assert_uint_eq(p->nlocals, 1);
    ck_assert_str_eq(p->locals[0].name, "job");
    ck_assert_uint_eq(p->actors[0].body->local, 0);
    ck_assert_uint_eq(p->actors[0].body->next->local, 0);
    sim_program_free(p);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("lang_items");
    TCase *tc = tcase_create("items");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, poison_pills_end_the_consumers);
    tcase_add_test(tc, values_follow_their_items);
    tcase_add_test(tc, size_reads_the_queue);
    tcase_add_test(tc, alive_is_any_instance);
    tcase_add_test(tc, values_in_the_perfetto_export);
    tcase_add_test(tc, item_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
