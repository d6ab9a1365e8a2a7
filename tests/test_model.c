/* The derived model from hand-built event sequences: state spans, lock owners,
 * queue depth, flows, marks, and rejection of contradictory events. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000000ull

static trc_recording *contention_run(void) {
    run_builder b;
    rb_init(&b, "contention");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    uint32_t L = rb_obj(&b, TRC_OBJ_LOCK, "L", 0);
    uint32_t Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 2);
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_ACQUIRE, L, 0, 1, 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_COMPUTE_BEGIN, 0, 0, 4 * MS, 0);
    rb_ev(&b, 2 * MS, c, TRC_EV_WAIT_BEGIN, L, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 5 * MS, a, TRC_EV_COMPUTE_END, 0, 0, 4 * MS, 0);
    rb_ev(&b, 5 * MS, a, TRC_EV_RELEASE, L, 0, 0, 0);
    rb_ev(&b, 6 * MS, c, TRC_EV_WAIT_END, L, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 6 * MS, c, TRC_EV_ACQUIRE, L, 0, 1, 0);
    rb_ev(&b, 7 * MS, a, TRC_EV_PUT, Q, 0, 1, 1);
    rb_ev(&b, 7 * MS, a, TRC_EV_PUT, Q, 0, 2, 2);
    rb_ev(&b, 8 * MS, a, TRC_EV_WAIT_BEGIN, Q, TRC_OP_PUT, 0, 0);
    rb_ev(&b, 9 * MS, c, TRC_EV_GET, Q, 0, 1, 1);
    rb_ev(&b, 9 * MS, a, TRC_EV_WAIT_END, Q, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 9 * MS, a, TRC_EV_PUT, Q, 0, 3, 2);
    rb_ev(&b, 10 * MS, c, TRC_EV_RELEASE, L, 0, 0, 0);
    rb_ev(&b, 10 * MS, c, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&b, 11 * MS, c, TRC_EV_SLEEP_BEGIN, 0, 0, 2 * MS, 0);
    rb_ev(&b, 12 * MS, a, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 13 * MS, c, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rb_ev(&b, 13 * MS, c, TRC_EV_GET, Q, 0, 2, 1);
    rb_ev(&b, 14 * MS, c, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    b.run->strings = arena_push(&b.rec->mem, sizeof(char *));
    b.run->strings[0] = "checkpoint";
    b.run->nstrings = 1;
    return rb_finish(&b, 15 * MS);
}

static void span_is(const trc_span *s, uint64_t t0, uint64_t t1, int state) {
    ck_assert_msg(s->t0 == t0 && s->t1 == t1 && s->state == state, "span [%llu,%llu) %s, expected [%llu,%llu) %s",
                  (unsigned long long)s->t0, (unsigned long long)s->t1, trc_state_name(s->state),
                  (unsigned long long)t0, (unsigned long long)t1, trc_state_name((unsigned)state));
}

START_TEST(states_from_events) {
    trc_recording *rec = contention_run();
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.makespan, 15 * MS);
    const trc_unit_track *a = &m.units[0], *c = &m.units[1];
    /* a: running 0-1, compute 1-5, running 5-8, blocked(put Q) 8-9, running 9-12, done 12-15 */
    ck_assert_uint_eq(a->nspans, 6);
    span_is(&a->spans[0], 0, 1 * MS, TRC_ST_RUNNING);
    span_is(&a->spans[1], 1 * MS, 5 * MS, TRC_ST_COMPUTE);
    span_is(&a->spans[2], 5 * MS, 8 * MS, TRC_ST_RUNNING);
    span_is(&a->spans[3], 8 * MS, 9 * MS, TRC_ST_BLOCKED);
    ck_assert_uint_eq(a->spans[3].obj, 2);
    ck_assert_uint_eq(a->spans[3].op, TRC_OP_PUT);
    ck_assert_uint_eq(a->spans[3].outcome, TRC_OUT_OK);
    span_is(&a->spans[4], 9 * MS, 12 * MS, TRC_ST_RUNNING);
    span_is(&a->spans[5], 12 * MS, 15 * MS, TRC_ST_DONE);
    ck_assert(a->exited && !a->aborted);
    ck_assert_uint_eq(a->t_exit, 12 * MS);
    ck_assert_uint_eq(a->t_state[TRC_ST_COMPUTE], 4 * MS);
    ck_assert_uint_eq(a->t_state[TRC_ST_BLOCKED], 1 * MS);
    ck_assert_uint_eq(a->waits, 1);
    /* c: running 0-2, blocked(lock L) 2-6, running 6-11, sleep 11-13, running 13-14, done */
    span_is(&c->spans[1], 2 * MS, 6 * MS, TRC_ST_BLOCKED);
    ck_assert_uint_eq(c->spans[1].obj, 1);
    ck_assert_uint_eq(c->spans[1].op, TRC_OP_LOCK);
    span_is(&c->spans[3], 11 * MS, 13 * MS, TRC_ST_SLEEP);
    ck_assert_uint_eq(c->t_state[TRC_ST_SLEEP], 2 * MS);
    ck_assert_uint_eq(c->marks, 1);
    /* lookups */
    const trc_span *s = trc_model_span_at(&m, 1, 3 * MS);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->state, TRC_ST_BLOCKED);
    ck_assert_ptr_null(trc_model_span_at(&m, 7, 3 * MS));
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(objects_and_flows) {
    trc_recording *rec = contention_run();
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_object_track *L = &m.objects[0], *Q = &m.objects[1];
    ck_assert_uint_eq(L->nowners, 2);
    ck_assert_uint_eq(L->owners[0].owner, 0);
    ck_assert_uint_eq(L->owners[0].t0, 1 * MS);
    ck_assert_uint_eq(L->owners[0].t1, 5 * MS);
    ck_assert_uint_eq(L->owners[1].owner, 1);
    ck_assert_uint_eq(L->owners[1].t0, 6 * MS);
    ck_assert_uint_eq(L->owners[1].t1, 10 * MS);
    ck_assert_uint_eq(L->t_held, 8 * MS);
    ck_assert_uint_eq(L->waits, 1);
    /* depth: (0,0) (7,1) (7,2) (9,1) (9,2) (13,1) */
    ck_assert_uint_eq(Q->ndepth, 6);
    ck_assert_int_eq(Q->max_depth, 2);
    ck_assert_int_eq(trc_sample_at(Q->depth, Q->ndepth, 8 * MS), 2);
    ck_assert_int_eq(trc_sample_at(Q->depth, Q->ndepth, 14 * MS), 1);
    ck_assert_int_eq(trc_sample_at(Q->depth, Q->ndepth, 1 * MS), 0);
    ck_assert_uint_eq(Q->puts, 3);
    ck_assert_uint_eq(Q->gets, 2);
    ck_assert_uint_eq(m.unmatched_puts, 1);   /* item 3 never taken */
    ck_assert_uint_eq(m.unmatched_gets, 0);
    /* flows sorted by t0: hand-off L a->c (5->6), item 1 (7->9), item 2 (7->13) */
    ck_assert_uint_eq(m.nflows, 3);
    ck_assert_uint_eq(m.flows[0].kind, TRC_FLOW_HANDOFF);
    ck_assert_uint_eq(m.flows[0].t0, 5 * MS);
    ck_assert_uint_eq(m.flows[0].t1, 6 * MS);
    ck_assert_uint_eq(m.flows[0].u0, 0);
    ck_assert_uint_eq(m.flows[0].u1, 1);
    ck_assert_uint_eq(m.flows[1].kind, TRC_FLOW_ITEM);
    ck_assert_uint_eq(m.flows[1].item, 1);
    ck_assert_uint_eq(m.flows[1].t1, 9 * MS);
    ck_assert_uint_eq(m.flows[2].item, 2);
    ck_assert_uint_eq(m.flows[2].t1, 13 * MS);
    for (size_t i = 0; i < m.nflows; i++) ck_assert_uint_gt(m.flows[i].id, 0);
    ck_assert_uint_eq(m.nmarks, 1);
    ck_assert_str_eq(m.marks[0].text, "checkpoint");
    ck_assert_uint_eq(m.marks[0].t, 10 * MS);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(unfinished_units_stay_blocked) {
    /* a deadlock: both block forever; spans run to the end of the run */
    run_builder b;
    rb_init(&b, "dl");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0), B = rb_obj(&b, TRC_OBJ_LOCK, "B", 0);
    rb_ev(&b, 0, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 0, y, TRC_EV_ACQUIRE, B, 0, 1, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_WAIT_BEGIN, B, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 1 * MS, y, TRC_EV_WAIT_BEGIN, A, TRC_OP_LOCK, 0, 0);
    trc_recording *rec = rb_finish(&b, 50 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert(!m.units[0].exited);
    ck_assert_uint_eq(m.units[0].t_exit, 50 * MS);
    span_is(&m.units[0].spans[m.units[0].nspans - 1], 1 * MS, 50 * MS, TRC_ST_BLOCKED);
    ck_assert_uint_eq(m.objects[0].nowners, 1);
    ck_assert_uint_eq(m.objects[0].owners[0].t1, 50 * MS);   /* still held at the end */
    ck_assert_uint_eq(m.nflows, 0);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(contradictions_rejected) {
    run_builder b;
    rb_init(&b, "bad");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    rb_ev(&b, 0, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 1 * MS, y, TRC_EV_ACQUIRE, A, 0, 1, 0);   /* two owners at once */
    trc_recording *rec = rb_finish(&b, 2 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), -ERR_FORMAT);
    ck_assert_msg(strstr(d.msg, "y acquires A while x owns it"), "%s", d.msg);
    trc_recording_free(rec);

    rb_init(&b, "bad2");
    x = rb_unit(&b, "x");
    rb_ev(&b, 5 * MS, x, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    rec = rb_finish(&b, 6 * MS);
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), -ERR_FORMAT);
    ck_assert_msg(strstr(d.msg, "goes back in time"), "%s", d.msg);
    trc_recording_free(rec);

    rb_init(&b, "bad3");
    x = rb_unit(&b, "x");
    rb_ev(&b, 1 * MS, 7, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rec = rb_finish(&b, 6 * MS);
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), -ERR_FORMAT);
    ck_assert_msg(strstr(d.msg, "names unit 7 of 1"), "%s", d.msg);
    trc_recording_free(rec);
}
END_TEST

START_TEST(many_items_match) {
    /* 100k items through one queue, gets interleaved: every put matched by its get */
    run_builder b;
    rb_init(&b, "items");
    uint32_t p = rb_unit(&b, "p"), c = rb_unit(&b, "c");
    uint32_t Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 8);
    uint64_t t = 0;
    for (uint64_t i = 1; i <= 100000; i++) {
        rb_ev(&b, t++, p, TRC_EV_PUT, Q, 0, i, 1);
        rb_ev(&b, t++, c, TRC_EV_GET, Q, 0, i, 0);
    }
    trc_recording *rec = rb_finish(&b, t);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.nflows, 100000);
    ck_assert_uint_eq(m.unmatched_puts, 0);
    ck_assert_uint_eq(m.unmatched_gets, 0);
    for (size_t i = 0; i < m.nflows; i++) ck_assert_uint_eq(m.flows[i].t1, m.flows[i].t0 + 1);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(same_item_ids_on_two_queues_and_stale_waits) {
    /* item ids are per queue: id 1 on Q1 and id 1 on Q2 are different items */
    run_builder b;
    rb_init(&b, "two queues");
    uint32_t p = rb_unit(&b, "p"), c = rb_unit(&b, "c");
    uint32_t Q1 = rb_obj(&b, TRC_OBJ_QUEUE, "Q1", 4), Q2 = rb_obj(&b, TRC_OBJ_QUEUE, "Q2", 4);
    uint32_t L = rb_obj(&b, TRC_OBJ_LOCK, "L", 0);
    rb_ev(&b, 1 * MS, p, TRC_EV_PUT, Q1, 0, 1, 1);
    rb_ev(&b, 2 * MS, p, TRC_EV_PUT, Q2, 0, 1, 1);
    rb_ev(&b, 3 * MS, c, TRC_EV_GET, Q2, 0, 1, 0);
    rb_ev(&b, 4 * MS, c, TRC_EV_GET, Q1, 0, 1, 0);
    /* c waits for L and times out; p releases; later c takes L without waiting: no hand-off */
    rb_ev(&b, 5 * MS, p, TRC_EV_ACQUIRE, L, 0, 1, 0);
    rb_ev(&b, 6 * MS, c, TRC_EV_WAIT_BEGIN, L, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 7 * MS, c, TRC_EV_WAIT_END, L, TRC_OUT_TIMEOUT, 0, 0);
    rb_ev(&b, 8 * MS, p, TRC_EV_RELEASE, L, 0, 0, 0);
    rb_ev(&b, 9 * MS, c, TRC_EV_ACQUIRE, L, 0, 1, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.nflows, 2);
    ck_assert_uint_eq(m.flows[0].obj, Q1);
    ck_assert_uint_eq(m.flows[0].t0, 1 * MS);
    ck_assert_uint_eq(m.flows[0].t1, 4 * MS);
    ck_assert_uint_eq(m.flows[1].obj, Q2);
    ck_assert_uint_eq(m.flows[1].t1, 3 * MS);
    ck_assert_uint_eq(m.units[c].spans[1].outcome, TRC_OUT_TIMEOUT);
    trc_model_release(&m);
    trc_recording_free(rec);
    /* an empty run builds */
    rb_init(&b, "empty");
    rec = rb_finish(&b, 0);
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.nflows, 0);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, states_from_events);
    tcase_add_test(tc, objects_and_flows);
    tcase_add_test(tc, unfinished_units_stay_blocked);
    tcase_add_test(tc, contradictions_rejected);
    tcase_add_test(tc, many_items_match);
    tcase_add_test(tc, same_item_ids_on_two_queues_and_stale_waits);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
