/* The derived model from hand-built event sequences: state spans, lock owners,
 * queue depth, flows, marks, and rejection of contradictory events; then the
 * textbook vocabulary (conditions, events, barriers, semaphores, rlocks, rwlocks,
 * counters, spawn/join/daemons, pools and futures) and the stats read off it. */
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

/* The model calls the processes' handler only for the kinds of its mask:
 * every other kind, handed to the handler anyway on objects of eight kinds
 * with any fields, must leave units, objects, instants and flows as they were
 * (trc_model_procs_mask_check does that inside the library, where the
 * handler is); and the kinds it reads are in the mask. */
START_TEST(procs_kind_mask_skips_only_what_it_ignores) {
    char why[128] = "";
    ck_assert_msg(trc_model_procs_mask_check(why, sizeof why) == 0, "%s", why);
    unsigned in = 0;
    for (uint16_t k = 1; k < TRC_EV__MAX; k++) in += trc_model_procs_reads(k);
    ck_assert_uint_eq(in, 16);
    ck_assert(trc_model_procs_reads(TRC_EV_SEND) && trc_model_procs_reads(TRC_EV_SIGNAL) &&
              trc_model_procs_reads(TRC_EV_REQUEST) && trc_model_procs_reads(TRC_EV_PROC_EXIT));
    ck_assert(!trc_model_procs_reads(TRC_EV_ACQUIRE) && !trc_model_procs_reads(TRC_EV_RELEASE));
}
END_TEST

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
    ck_assert_uint_eq(L->handoffs, 1);   /* a -> c */
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
    /* two owners at once is no longer a contradiction: a lost release (see
     * test_gaps); a run built in memory out of time order, or naming a unit it
     * does not have, is still refused */
    run_builder b;
    rb_init(&b, "bad2");
    uint32_t x = rb_unit(&b, "x");
    rb_ev(&b, 5 * MS, x, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 6 * MS);
    trc_model m;
    diag d;
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


/* ---- the textbook vocabulary: conditions, events, barriers, semaphores, rlocks,
 * rwlocks, counters, spawn/join/daemons, pools and futures ------------------------ */

static size_t count_flows(const trc_model *m, uint32_t kind) {
    size_t n = 0;
    for (size_t i = 0; i < m->nflows; i++) n += m->flows[i].kind == kind;
    return n;
}

/* The k-th flow of a kind in model order (sorted by t0, then id). */
static const trc_flow *nth_flow(const trc_model *m, uint32_t kind, size_t k) {
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].kind == kind && k-- == 0) return &m->flows[i];
    ck_abort_msg("no flow %zu of kind %s", k, trc_flow_kind_name(kind));
    return NULL;
}

static void flow_is(const trc_flow *f, uint32_t u0, uint32_t u1, uint64_t t0, uint64_t t1, uint64_t item) {
    ck_assert_msg(f->u0 == u0 && f->u1 == u1 && f->t0 == t0 && f->t1 == t1 && f->item == item,
                  "%s flow %u->%u [%llu,%llu] item %llu, expected %u->%u [%llu,%llu] item %llu",
                  trc_flow_kind_name(f->kind), f->u0, f->u1, (unsigned long long)f->t0, (unsigned long long)f->t1,
                  (unsigned long long)f->item, u0, u1, (unsigned long long)t0, (unsigned long long)t1,
                  (unsigned long long)item);
}

/* The flow's event indexes point at the events at its ends. */
static void flow_events_are(const trc_run *run, const trc_flow *f, uint16_t k0, uint16_t k1) {
    ck_assert_uint_lt(f->ev0, run->nevents);
    ck_assert_uint_lt(f->ev1, run->nevents);
    const trc_event *a = &run->events[f->ev0], *b = &run->events[f->ev1];
    ck_assert_msg(a->kind == k0 && b->kind == k1, "%s flow: events %s -> %s, expected %s -> %s",
                  trc_flow_kind_name(f->kind), trc_ev_name(a->kind), trc_ev_name(b->kind), trc_ev_name(k0),
                  trc_ev_name(k1));
    ck_assert_uint_eq(a->unit, f->u0);
    ck_assert_uint_eq(b->unit, f->u1);
    ck_assert_uint_eq(a->t - run->t_start, f->t0);
    ck_assert_uint_eq(b->t - run->t_start, f->t1);
}

static void build_ok(trc_model *m, const trc_recording *rec) {
    diag d = { 0 };
    int rc = trc_model_build(m, &rec->runs[0], &d);
    ck_assert_msg(rc == 0, "model: %s", d.msg);
}

/* A notify is matched by at most as many wakes as it said it woke: one that woke
 * nobody is not kept for the wakes (a notify per round with nobody waiting made
 * the table of notifies the model's hottest spot), and one that woke one leaves
 * after its wake. A wake naming either is an inconsistent recording: unmatched. */
START_TEST(a_notify_matches_only_the_wakes_it_counted) {
    run_builder b;
    rb_init(&b, "notify counts");
    uint32_t w1 = rb_unit(&b, "w1"), w2 = rb_unit(&b, "w2"), n = rb_unit(&b, "n");
    uint32_t L = rb_obj(&b, TRC_OBJ_LOCK, "L", 0), cv = rb_obj(&b, TRC_OBJ_CONDITION, "cv", 0);
    b.run->objects[cv - 1].related = L;
    for (uint64_t k = 1; k <= 1000; k++)                       /* nobody waits: none is kept */
        rb_ev(&b, k * 1000, n, TRC_EV_NOTIFY, cv, 0, k, 0);
    rb_ev(&b, 2 * MS, w1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 3 * MS, w1, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 7);          /* names notify 7, which woke nobody */
    rb_ev(&b, 4 * MS, w1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 4 * MS, w2, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 5 * MS, n, TRC_EV_NOTIFY, cv, 0, 1001, 1);       /* woke one */
    rb_ev(&b, 6 * MS, w1, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1001);
    rb_ev(&b, 7 * MS, w2, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1001);       /* a second wake it never counted */
    rb_ev(&b, 8 * MS, w1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 8 * MS, w2, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 9 * MS, w2, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1002);       /* read before its notify_all ... */
    rb_ev(&b, 9 * MS, n, TRC_EV_NOTIFY, cv, 0, 1002, 2);       /* ... at the same nanosecond */
    rb_ev(&b, 10 * MS, w1, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1002);
    trc_recording *rec = rb_finish(&b, 20 * MS);
    trc_model m;
    build_ok(&m, rec);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_NOTIFY), 3);
    ck_assert_uint_eq(m.nflows, 3);
    flow_is(nth_flow(&m, TRC_FLOW_NOTIFY, 0), n, w1, 5 * MS, 6 * MS, 1001);
    const trc_flow *f1 = nth_flow(&m, TRC_FLOW_NOTIFY, 1), *f2 = nth_flow(&m, TRC_FLOW_NOTIFY, 2);
    flow_is(f1->u1 == w2 ? f1 : f2, n, w2, 9 * MS, 9 * MS, 1002);
    flow_is(f1->u1 == w1 ? f1 : f2, n, w1, 9 * MS, 10 * MS, 1002);
    ck_assert_uint_eq(m.unmatched_wakes, 2);
    ck_assert_uint_eq(m.objects[cv - 1].notifies, 1002);
    ck_assert_uint_eq(m.objects[cv - 1].woken, 3);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(condition_notify_wakes_the_right_waiters) {
    run_builder b;
    rb_init(&b, "condition");
    uint32_t w1 = rb_unit(&b, "w1"), w2 = rb_unit(&b, "w2"), w3 = rb_unit(&b, "w3"), n = rb_unit(&b, "n");
    uint32_t L = rb_obj(&b, TRC_OBJ_LOCK, "L", 0), cv = rb_obj(&b, TRC_OBJ_CONDITION, "cv", 0);
    b.run->objects[cv - 1].related = L;
    rb_ev(&b, 1 * MS, w1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 2 * MS, w2, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 3 * MS, n, TRC_EV_NOTIFY, cv, 0, 1, 1);          /* notify(): seq 1 wakes one */
    rb_ev(&b, 4 * MS, w1, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 5 * MS, w3, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 6 * MS, n, TRC_EV_NOTIFY, cv, 0, 2, 0);          /* nobody woken by seq 2 (w1 re-checks) */
    /* notify_all(): seq 3 wakes w2 and w3; w3's WAIT_END is recorded at the same
     * nanosecond but before the NOTIFY in the merged stream */
    rb_ev(&b, 7 * MS, w3, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 3);
    rb_ev(&b, 7 * MS, n, TRC_EV_NOTIFY, cv, 0, 3, 2);
    rb_ev(&b, 8 * MS, w2, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 3);
    rb_ev(&b, 9 * MS, w1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 10 * MS, w1, TRC_EV_WAIT_END, cv, TRC_OUT_TIMEOUT, 0, 0);   /* timed out: no flow */
    rb_ev(&b, 11 * MS, w1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 12 * MS, w1, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 9);        /* names a notify that is not there */
    trc_recording *rec = rb_finish(&b, 20 * MS);
    trc_model m;
    build_ok(&m, rec);
    ck_assert_uint_eq(m.nflows, 3);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_NOTIFY), 3);
    const trc_flow *f = nth_flow(&m, TRC_FLOW_NOTIFY, 0);
    flow_is(f, n, w1, 3 * MS, 4 * MS, 1);
    ck_assert_uint_eq(f->obj, cv);
    flow_events_are(&rec->runs[0], f, TRC_EV_NOTIFY, TRC_EV_WAIT_END);
    /* seq 3 fans out to w3 and w2 */
    const trc_flow *f1 = nth_flow(&m, TRC_FLOW_NOTIFY, 1), *f2 = nth_flow(&m, TRC_FLOW_NOTIFY, 2);
    ck_assert_uint_eq(f1->t0, 7 * MS);
    ck_assert_uint_eq(f2->t0, 7 * MS);
    ck_assert_uint_eq(f1->ev0, f2->ev0);                       /* the same NOTIFY event */
    flow_is(f1->u1 == w3 ? f1 : f2, n, w3, 7 * MS, 7 * MS, 3);
    flow_is(f1->u1 == w2 ? f1 : f2, n, w2, 7 * MS, 8 * MS, 3);
    flow_events_are(&rec->runs[0], f1, TRC_EV_NOTIFY, TRC_EV_WAIT_END);
    flow_events_are(&rec->runs[0], f2, TRC_EV_NOTIFY, TRC_EV_WAIT_END);
    ck_assert_uint_eq(m.unmatched_wakes, 1);
    const trc_object_track *C = &m.objects[cv - 1];
    ck_assert_uint_eq(C->notifies, 3);
    ck_assert_uint_eq(C->woken, 3);
    ck_assert_uint_eq(C->waits, 5);
    ck_assert_uint_eq(C->timeouts, 1);
    ck_assert_uint_eq(trc_model_span_at(&m, w1, 2 * MS)->op, TRC_OP_COND_WAIT);
    ck_assert_uint_eq(trc_model_span_at(&m, w1, 2 * MS)->obj, cv);
    /* the notifies are instants, in time order */
    ck_assert_uint_eq(m.ninstants, 3);
    for (size_t i = 0; i < m.ninstants; i++) {
        ck_assert_uint_eq(m.instants[i].kind, TRC_EV_NOTIFY);
        ck_assert_uint_eq(m.instants[i].unit, n);
        ck_assert_uint_eq(m.instants[i].arg, i + 1);
    }
    ck_assert_uint_eq(m.instants[2].extra, 2);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(event_set_fans_out_and_set_spans) {
    run_builder b;
    rb_init(&b, "event");
    uint32_t w1 = rb_unit(&b, "w1"), w2 = rb_unit(&b, "w2"), s = rb_unit(&b, "setter");
    uint32_t ev = rb_obj(&b, TRC_OBJ_EVENT, "ready", 0);
    rb_ev(&b, 1 * MS, w1, TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
    rb_ev(&b, 2 * MS, w2, TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
    rb_ev(&b, 3 * MS, s, TRC_EV_SET, ev, 0, 1, 2);
    rb_ev(&b, 4 * MS, w2, TRC_EV_WAIT_END, ev, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 5 * MS, w1, TRC_EV_WAIT_END, ev, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 6 * MS, s, TRC_EV_SET, ev, 0, 2, 0);             /* already set: no new span */
    rb_ev(&b, 7 * MS, w1, TRC_EV_CLEAR, ev, 0, 0, 0);
    rb_ev(&b, 8 * MS, w1, TRC_EV_CLEAR, ev, 0, 0, 0);          /* already clear */
    rb_ev(&b, 9 * MS, w2, TRC_EV_SET, ev, 0, 3, 0);            /* set until the end */
    trc_recording *rec = rb_finish(&b, 12 * MS);
    trc_model m;
    build_ok(&m, rec);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_SET), 2);
    flow_is(nth_flow(&m, TRC_FLOW_SET, 0), s, w2, 3 * MS, 4 * MS, 1);
    flow_is(nth_flow(&m, TRC_FLOW_SET, 1), s, w1, 3 * MS, 5 * MS, 1);
    ck_assert_uint_eq(nth_flow(&m, TRC_FLOW_SET, 0)->ev0, nth_flow(&m, TRC_FLOW_SET, 1)->ev0);
    flow_events_are(&rec->runs[0], nth_flow(&m, TRC_FLOW_SET, 1), TRC_EV_SET, TRC_EV_WAIT_END);
    const trc_object_track *E = &m.objects[ev - 1];
    ck_assert_uint_eq(E->sets, 3);
    ck_assert_uint_eq(E->clears, 2);
    ck_assert_uint_eq(E->woken, 2);
    ck_assert_uint_eq(E->nset_spans, 2);
    ck_assert_uint_eq(E->set_spans[0].t0, 3 * MS);
    ck_assert_uint_eq(E->set_spans[0].t1, 7 * MS);
    ck_assert_uint_eq(E->set_spans[0].owner, s);
    ck_assert_uint_eq(E->set_spans[0].depth, 1);
    ck_assert_uint_eq(E->set_spans[1].t0, 9 * MS);
    ck_assert_uint_eq(E->set_spans[1].t1, 12 * MS);
    ck_assert_uint_eq(E->set_spans[1].owner, w2);
    ck_assert_uint_eq(E->t_set, 7 * MS);
    ck_assert_uint_eq(m.ninstants, 5);
    ck_assert_uint_eq(m.instants[3].kind, TRC_EV_CLEAR);
    ck_assert_uint_eq(m.unmatched_wakes, 0);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(barrier_generations) {
    run_builder b;
    rb_init(&b, "barrier");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c"), e = rb_unit(&b, "e");
    uint32_t B = rb_obj(&b, TRC_OBJ_BARRIER, "B", 3);
    for (uint64_t g = 1; g <= 2; g++) {
        uint64_t t = g * 10 * MS;
        rb_ev(&b, t + 1 * MS, a, TRC_EV_BARRIER_ARRIVE, B, 0, 0, 1);
        rb_ev(&b, t + 1 * MS, a, TRC_EV_WAIT_BEGIN, B, TRC_OP_BARRIER, 0, 0);
        rb_ev(&b, t + 2 * MS, c, TRC_EV_BARRIER_ARRIVE, B, 0, 0, 2);
        rb_ev(&b, t + 2 * MS, c, TRC_EV_WAIT_BEGIN, B, TRC_OP_BARRIER, 0, 0);
        rb_ev(&b, t + 3 * MS, e, TRC_EV_BARRIER_ARRIVE, B, 0, 0, 3);
        rb_ev(&b, t + 3 * MS, e, TRC_EV_BARRIER_OPEN, B, 0, g, 0);   /* the last to arrive opens it */
        rb_ev(&b, t + 4 * MS, c, TRC_EV_WAIT_END, B, TRC_OUT_OK, 0, (uint32_t)g);
        rb_ev(&b, t + 5 * MS, a, TRC_EV_WAIT_END, B, TRC_OUT_OK, 0, (uint32_t)g);
    }
    trc_recording *rec = rb_finish(&b, 40 * MS);
    trc_model m;
    build_ok(&m, rec);
    const trc_object_track *ot = &m.objects[B - 1];
    ck_assert_uint_eq(ot->generations, 2);
    ck_assert_uint_eq(ot->arrivals, 6);
    ck_assert_int_eq(ot->max_level, 3);
    /* arrivals: (0,0) then 1,2,3,0 per generation */
    ck_assert_uint_eq(ot->nlevel, 9);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 12 * MS), 2);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 13 * MS), 0);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 21 * MS), 1);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_BARRIER), 4);
    flow_is(nth_flow(&m, TRC_FLOW_BARRIER, 0), e, c, 13 * MS, 14 * MS, 1);
    flow_is(nth_flow(&m, TRC_FLOW_BARRIER, 1), e, a, 13 * MS, 15 * MS, 1);
    flow_is(nth_flow(&m, TRC_FLOW_BARRIER, 2), e, c, 23 * MS, 24 * MS, 2);
    flow_is(nth_flow(&m, TRC_FLOW_BARRIER, 3), e, a, 23 * MS, 25 * MS, 2);
    flow_events_are(&rec->runs[0], nth_flow(&m, TRC_FLOW_BARRIER, 3), TRC_EV_BARRIER_OPEN, TRC_EV_WAIT_END);
    ck_assert_uint_eq(m.ninstants, 2);
    ck_assert_uint_eq(m.instants[1].kind, TRC_EV_BARRIER_OPEN);
    ck_assert_uint_eq(m.instants[1].arg, 2);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(semaphore_permits_series) {
    run_builder b;
    rb_init(&b, "semaphore");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c"), e = rb_unit(&b, "e");
    uint32_t S = rb_obj(&b, TRC_OBJ_SEMAPHORE, "S", 2);
    rb_ev(&b, 1 * MS, a, TRC_EV_ACQUIRE, S, 0, 0, 1);
    rb_ev(&b, 2 * MS, c, TRC_EV_ACQUIRE, S, 0, 0, 2);     /* two holders at once: no contradiction */
    rb_ev(&b, 3 * MS, e, TRC_EV_WAIT_BEGIN, S, TRC_OP_ACQUIRE_PERMIT, 0, 0);
    rb_ev(&b, 4 * MS, a, TRC_EV_RELEASE, S, 0, 0, 1);
    rb_ev(&b, 5 * MS, e, TRC_EV_WAIT_END, S, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 5 * MS, e, TRC_EV_ACQUIRE, S, 0, 0, 2);
    rb_ev(&b, 6 * MS, c, TRC_EV_RELEASE, S, 0, 0, 1);
    rb_ev(&b, 7 * MS, e, TRC_EV_RELEASE, S, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    build_ok(&m, rec);
    const trc_object_track *ot = &m.objects[S - 1];
    ck_assert_uint_eq(ot->nlevel, 7);
    static const uint64_t wt[] = { 0, 1, 2, 4, 5, 6, 7 };
    static const int64_t wv[] = { 0, 1, 2, 1, 2, 1, 0 };
    for (size_t i = 0; i < 7; i++) {
        ck_assert_uint_eq(ot->level[i].t, wt[i] * MS);
        ck_assert_int_eq(ot->level[i].v, wv[i]);
    }
    ck_assert_int_eq(ot->max_level, 2);
    ck_assert_uint_eq(ot->acquires, 3);
    ck_assert_uint_eq(ot->waits, 1);
    ck_assert_uint_eq(ot->nowners, 0);                    /* permits have no single owner */
    ck_assert_uint_eq(m.nflows, 0);
    ck_assert_uint_eq(trc_model_span_at(&m, e, 4 * MS)->op, TRC_OP_ACQUIRE_PERMIT);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(rlock_depth_and_rwlock_readers) {
    run_builder b;
    rb_init(&b, "rlock");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c"), r1 = rb_unit(&b, "r1"), r2 = rb_unit(&b, "r2");
    uint32_t R = rb_obj(&b, TRC_OBJ_RLOCK, "R", 0), RW = rb_obj(&b, TRC_OBJ_RWLOCK, "RW", 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 2 * MS, a, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 3 * MS, c, TRC_EV_WAIT_BEGIN, R, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 4 * MS, a, TRC_EV_ACQUIRE, R, 0, 3, 0);
    rb_ev(&b, 5 * MS, a, TRC_EV_RELEASE, R, 0, 2, 0);
    rb_ev(&b, 6 * MS, a, TRC_EV_RELEASE, R, 0, 1, 0);
    rb_ev(&b, 7 * MS, a, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 8 * MS, c, TRC_EV_WAIT_END, R, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 8 * MS, c, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 9 * MS, c, TRC_EV_RELEASE, R, 0, 0, 0);
    /* rwlock: two readers at once, then a writer that waited for them */
    rb_ev(&b, 10 * MS, r1, TRC_EV_ACQUIRE, RW, 1, 0, 1);
    rb_ev(&b, 11 * MS, r2, TRC_EV_ACQUIRE, RW, 1, 0, 2);
    rb_ev(&b, 12 * MS, a, TRC_EV_WAIT_BEGIN, RW, TRC_OP_WRITE_LOCK, 0, 0);
    rb_ev(&b, 13 * MS, r1, TRC_EV_RELEASE, RW, 1, 0, 1);
    rb_ev(&b, 14 * MS, r2, TRC_EV_RELEASE, RW, 1, 0, 0);
    rb_ev(&b, 15 * MS, a, TRC_EV_WAIT_END, RW, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 15 * MS, a, TRC_EV_ACQUIRE, RW, 0, 1, 0);
    rb_ev(&b, 16 * MS, r1, TRC_EV_WAIT_BEGIN, RW, TRC_OP_READ_LOCK, 0, 0);
    rb_ev(&b, 17 * MS, a, TRC_EV_RELEASE, RW, 0, 0, 0);
    rb_ev(&b, 18 * MS, r1, TRC_EV_WAIT_END, RW, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 18 * MS, r1, TRC_EV_ACQUIRE, RW, 1, 0, 1);
    rb_ev(&b, 19 * MS, c, TRC_EV_ACQUIRE, RW, 0, 1, 0);   /* a writer while a reader holds it: tolerated */
    rb_ev(&b, 20 * MS, c, TRC_EV_RELEASE, RW, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 25 * MS);
    trc_model m;
    build_ok(&m, rec);
    const trc_object_track *ot = &m.objects[R - 1];
    ck_assert_uint_eq(ot->nowners, 2);
    ck_assert_uint_eq(ot->owners[0].owner, a);
    ck_assert_uint_eq(ot->owners[0].t0, 1 * MS);
    ck_assert_uint_eq(ot->owners[0].t1, 7 * MS);
    ck_assert_uint_eq(ot->owners[0].depth, 3);
    ck_assert_uint_eq(ot->owners[1].owner, c);
    ck_assert_uint_eq(ot->owners[1].depth, 1);
    ck_assert_int_eq(ot->max_level, 3);
    ck_assert_uint_eq(ot->acquires, 4);
    ck_assert_uint_eq(ot->t_held, 7 * MS);
    /* depth: (0,0) 1 2 3 2 1 0 1 0 */
    ck_assert_uint_eq(ot->nlevel, 9);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 4 * MS), 3);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 5 * MS), 2);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 7 * MS), 0);
    ck_assert_int_eq(trc_sample_at(ot->level, ot->nlevel, 8 * MS), 1);
    const trc_flow *h = nth_flow(&m, TRC_FLOW_HANDOFF, 0);
    flow_is(h, a, c, 7 * MS, 8 * MS, 0);
    ck_assert_uint_eq(h->obj, R);
    flow_events_are(&rec->runs[0], h, TRC_EV_RELEASE, TRC_EV_ACQUIRE);

    const trc_object_track *rw = &m.objects[RW - 1];
    ck_assert_uint_eq(rw->nowners, 2);                    /* writers only */
    ck_assert_uint_eq(rw->owners[0].owner, a);
    ck_assert_uint_eq(rw->owners[0].t0, 15 * MS);
    ck_assert_uint_eq(rw->owners[0].t1, 17 * MS);
    ck_assert_uint_eq(rw->owners[1].owner, c);
    ck_assert_int_eq(rw->max_level, 2);
    ck_assert_uint_eq(rw->shared_acquires, 3);
    ck_assert_uint_eq(rw->acquires, 5);
    ck_assert_int_eq(trc_sample_at(rw->level, rw->nlevel, 11 * MS), 2);
    ck_assert_int_eq(trc_sample_at(rw->level, rw->nlevel, 14 * MS), 0);
    ck_assert_int_eq(trc_sample_at(rw->level, rw->nlevel, 19 * MS), 1);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_HANDOFF), 1);   /* readers make no hand-offs */
    ck_assert_uint_eq(m.units[a].spans[m.units[a].nspans - 2].op, TRC_OP_WRITE_LOCK);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(counter_lost_updates_and_stale_reads) {
    run_builder b;
    rb_init(&b, "counter");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    uint32_t N = rb_obj(&b, TRC_OBJ_COUNTER, "n", 0), K = rb_obj(&b, TRC_OBJ_COUNTER, "k", 0);
    /* racy read-modify-write: both read 5, both write 6: one update lost */
    rb_ev(&b, 1 * MS, a, TRC_EV_COUNTER_READ, N, 0, 5, 0);
    rb_ev(&b, 2 * MS, c, TRC_EV_COUNTER_READ, N, 0, 5, 0);
    rb_ev(&b, 3 * MS, a, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 6, 0);
    rb_ev(&b, 4 * MS, c, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 6, 1);
    rb_ev(&b, 5 * MS, a, TRC_EV_COUNTER_READ, N, 0, 6, 0);
    rb_ev(&b, 6 * MS, a, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 7, 0);   /* not overtaken */
    rb_ev(&b, 7 * MS, c, TRC_EV_COUNTER_READ, N, 0, 7, 0);               /* a read never written back */
    /* a locked counter, negative values, no losses */
    rb_ev(&b, 8 * MS, a, TRC_EV_COUNTER_WRITE, K, TRC_CTR_LOCKED, (uint64_t)-1, 0);
    rb_ev(&b, 9 * MS, c, TRC_EV_COUNTER_WRITE, K, TRC_CTR_LOCKED, (uint64_t)-2, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    build_ok(&m, rec);
    const trc_object_track *n = &m.objects[N - 1], *k = &m.objects[K - 1];
    ck_assert_uint_eq(n->reads, 4);
    ck_assert_uint_eq(n->writes, 3);
    ck_assert_uint_eq(n->lost_updates, 1);
    ck_assert_uint_eq(n->stale_reads, 1);
    ck_assert_uint_eq(n->ncops, 7);
    ck_assert(!n->cops[0].stale);
    ck_assert(n->cops[1].stale);              /* c's read was overtaken by a's write */
    ck_assert(!n->cops[4].stale);
    ck_assert(n->cops[3].write && n->cops[3].lost == 1 && n->cops[3].mode == TRC_CTR_RACY);
    ck_assert_int_eq(n->final_value, 7);
    ck_assert(n->has_value);
    /* value: (0,5) from the first read, then 6 6 7 */
    ck_assert_uint_eq(n->nlevel, 4);
    ck_assert_uint_eq(n->level[0].t, 0);
    ck_assert_int_eq(n->level[0].v, 5);
    ck_assert_int_eq(trc_sample_at(n->level, n->nlevel, 3 * MS), 6);
    ck_assert_int_eq(n->max_level, 7);
    ck_assert_int_eq(k->final_value, -2);
    ck_assert_int_eq(k->max_level, -1);
    ck_assert_uint_eq(k->nlevel, 2);
    ck_assert_uint_eq(k->lost_updates, 0);
    ck_assert_uint_eq(k->stale_reads, 0);
    ck_assert_uint_eq(m.lost_updates, 1);
    /* only the losing write is an instant */
    ck_assert_uint_eq(m.ninstants, 1);
    ck_assert_uint_eq(m.instants[0].kind, TRC_EV_COUNTER_WRITE);
    ck_assert_uint_eq(m.instants[0].unit, c);
    ck_assert_uint_eq(m.instants[0].t, 4 * MS);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(spawn_join_and_killed_daemons) {
    run_builder b;
    rb_init(&b, "spawn");
    uint32_t mn = rb_unit(&b, "main"), ch = rb_unit(&b, "child"), dm = rb_unit(&b, "daemon");
    uint32_t Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 0);
    rb_ev(&b, 0, mn, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, mn, TRC_EV_SPAWN, 0, 0, ch, 0);
    rb_ev(&b, 1 * MS, mn, TRC_EV_SPAWN, 0, 0, dm, 0);
    rb_ev(&b, 2 * MS, ch, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 2 * MS, dm, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 3 * MS, dm, TRC_EV_WAIT_BEGIN, Q, TRC_OP_GET, 0, 0);
    rb_ev(&b, 3 * MS, mn, TRC_EV_WAIT_BEGIN, 0, TRC_OP_JOIN, ch, 0);
    rb_ev(&b, 5 * MS, ch, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 6 * MS, mn, TRC_EV_WAIT_END, 0, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 6 * MS, mn, TRC_EV_JOINED, 0, 0, ch, 0);
    rb_ev(&b, 7 * MS, mn, TRC_EV_JOINED, 0, 0, dm, 0);       /* joined before it exited: no flow */
    rb_ev(&b, 8 * MS, dm, TRC_EV_DAEMON_KILLED, 0, 0, 0, 0);
    rb_ev(&b, 8 * MS, dm, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_KILLED, 0, 0);
    rb_ev(&b, 8 * MS, mn, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&b, 9 * MS);
    trc_model m;
    build_ok(&m, rec);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_SPAWN), 2);
    const trc_flow *s0 = nth_flow(&m, TRC_FLOW_SPAWN, 0), *s1 = nth_flow(&m, TRC_FLOW_SPAWN, 1);
    flow_is(s0, mn, ch, 1 * MS, 2 * MS, ch);
    flow_is(s1, mn, dm, 1 * MS, 2 * MS, dm);
    flow_events_are(&rec->runs[0], s0, TRC_EV_SPAWN, TRC_EV_UNIT_START);
    ck_assert_uint_eq(s0->obj, 0);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_JOIN), 1);
    const trc_flow *j = nth_flow(&m, TRC_FLOW_JOIN, 0);
    flow_is(j, ch, mn, 5 * MS, 6 * MS, ch);
    flow_events_are(&rec->runs[0], j, TRC_EV_UNIT_EXIT, TRC_EV_JOINED);
    /* the join wait: no object, the target is the child */
    const trc_span *w = trc_model_span_at(&m, mn, 4 * MS);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->state, TRC_ST_BLOCKED);
    ck_assert_uint_eq(w->op, TRC_OP_JOIN);
    ck_assert_uint_eq(w->obj, 0);
    ck_assert_uint_eq(w->target, ch);
    ck_assert_uint_eq(trc_model_span_at(&m, dm, 4 * MS)->target, 0);
    ck_assert_uint_eq(m.units[ch].spawner, mn);
    ck_assert_uint_eq(m.units[ch].t_spawn, 1 * MS);
    ck_assert_uint_eq(m.units[ch].joiner, mn);
    ck_assert_uint_eq(m.units[ch].t_joined, 6 * MS);
    ck_assert_uint_eq(m.units[mn].spawner, UINT32_MAX);
    ck_assert_uint_eq(m.units[mn].joiner, UINT32_MAX);
    ck_assert(!m.units[ch].killed);
    /* the daemon was cut off while blocked */
    const trc_unit_track *d = &m.units[dm];
    ck_assert(d->killed && d->exited && !d->aborted);
    ck_assert_uint_eq(d->t_killed, 8 * MS);
    ck_assert_uint_eq(d->spans[d->nspans - 2].outcome, TRC_OUT_ABORTED);
    ck_assert_uint_eq(m.ninstants, 5);   /* 2 spawns, 2 joins, the kill */
    ck_assert_uint_eq(m.instants[4].kind, TRC_EV_DAEMON_KILLED);
    ck_assert_uint_eq(m.instants[4].unit, dm);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

static const trc_future *future_of(const trc_model *m, uint32_t pool, uint64_t id) {
    const trc_object_track *ot = &m->objects[pool - 1];
    for (size_t i = ot->future0; i < ot->future0 + ot->nfutures; i++)
        if (m->futures[i].id == id) return &m->futures[i];
    ck_abort_msg("no future %llu in pool %u", (unsigned long long)id, pool);
    return NULL;
}

/* A pool worker waiting for a task is idle, not blocked: its own state; a wait
 * on a queue stays blocked. */
START_TEST(idle_pool_worker) {
    run_builder b;
    rb_init(&b, "idle");
    uint32_t wk = rb_unit(&b, "worker"), c = rb_unit(&b, "consumer");
    uint32_t P = rb_obj(&b, TRC_OBJ_POOL, "P", 1), Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 2);
    rb_ev(&b, 1 * MS, wk, TRC_EV_WAIT_BEGIN, P, TRC_OP_GET, 0, 0);
    rb_ev(&b, 1 * MS, c, TRC_EV_WAIT_BEGIN, Q, TRC_OP_GET, 0, 0);
    rb_ev(&b, 4 * MS, wk, TRC_EV_WAIT_END, P, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 5 * MS, c, TRC_EV_WAIT_END, Q, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 6 * MS, wk, TRC_EV_WAIT_BEGIN, P, TRC_OP_GET, 0, 0);
    rb_ev(&b, 8 * MS, wk, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_KILLED, 0, 0);
    trc_recording *rec = rb_finish(&b, 10 * MS);
    trc_model m;
    build_ok(&m, rec);
    const trc_span *s = trc_model_span_at(&m, wk, 2 * MS);
    ck_assert_int_eq(s->state, TRC_ST_IDLE);
    ck_assert_uint_eq(s->obj, P);
    ck_assert_uint_eq(s->op, TRC_OP_GET);
    ck_assert_int_eq(trc_model_span_at(&m, c, 2 * MS)->state, TRC_ST_BLOCKED);
    ck_assert_uint_eq(m.units[wk].t_state[TRC_ST_IDLE], 5 * MS);
    ck_assert_uint_eq(m.units[wk].t_state[TRC_ST_BLOCKED], 0);
    ck_assert_uint_eq(trc_model_span_at(&m, wk, 7 * MS)->outcome, TRC_OUT_ABORTED);   /* cut off while idle */
    ck_assert_str_eq(trc_state_name(TRC_ST_IDLE), "idle");
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(future_lifecycle) {
    run_builder b;
    rb_init(&b, "pool");
    uint32_t mn = rb_unit(&b, "main"), wk = rb_unit(&b, "worker"), ctl = rb_unit(&b, "ctl");
    uint32_t P2 = rb_obj(&b, TRC_OBJ_POOL, "other", 1), P = rb_obj(&b, TRC_OBJ_POOL, "P", 1);
    rb_ev(&b, 1 * MS, mn, TRC_EV_SUBMIT, P, 0, 1, 0);
    rb_ev(&b, 1 * MS, mn, TRC_EV_SUBMIT, P2, 0, 1, 0);        /* same id, another pool */
    rb_ev(&b, 2 * MS, mn, TRC_EV_SUBMIT, P, 0, 2, 0);
    rb_ev(&b, 3 * MS, mn, TRC_EV_SUBMIT, P, 0, 3, 0);
    rb_ev(&b, 4 * MS, wk, TRC_EV_TASK_START, P, 0, 1, 0);
    rb_ev(&b, 4 * MS, wk, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 5 * MS, mn, TRC_EV_WAIT_BEGIN, P, TRC_OP_RESULT, 1, 0);
    rb_ev(&b, 6 * MS, ctl, TRC_EV_CANCEL, P, 1, 2, 0);        /* pending: cancelled */
    rb_ev(&b, 8 * MS, wk, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    rb_ev(&b, 8 * MS, wk, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 1, 0);
    rb_ev(&b, 9 * MS, mn, TRC_EV_WAIT_END, P, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 9 * MS, mn, TRC_EV_RESULT, P, TRC_OUT_OK, 1, 0);
    rb_ev(&b, 10 * MS, wk, TRC_EV_CALLBACK, P, 0, 1, 0);      /* the callback runs after the waiter woke */
    rb_ev(&b, 11 * MS, wk, TRC_EV_TASK_START, P, 0, 3, 0);
    rb_ev(&b, 12 * MS, ctl, TRC_EV_CANCEL, P, 0, 3, 0);       /* running: cannot cancel */
    rb_ev(&b, 13 * MS, mn, TRC_EV_WAIT_BEGIN, P, TRC_OP_RESULT, 3, 0);
    rb_ev(&b, 14 * MS, mn, TRC_EV_WAIT_END, P, TRC_OUT_TIMEOUT, 0, 0);
    rb_ev(&b, 14 * MS, mn, TRC_EV_RESULT, P, TRC_OUT_TIMEOUT, 3, 0);
    rb_ev(&b, 15 * MS, mn, TRC_EV_RESULT, P, TRC_OUT_CANCELLED, 2, 0);   /* result() of the cancelled one */
    rb_ev(&b, 16 * MS, wk, TRC_EV_TASK_DONE, P, TRC_OUT_ABORTED, 3, 0);  /* raised */
    trc_recording *rec = rb_finish(&b, 20 * MS);
    trc_model m;
    build_ok(&m, rec);
    ck_assert_uint_eq(m.nfutures, 4);
    /* grouped by pool in object order: "other" first, then P in first-seen order */
    ck_assert_uint_eq(m.objects[P2 - 1].future0, 0);
    ck_assert_uint_eq(m.objects[P2 - 1].nfutures, 1);
    ck_assert_uint_eq(m.objects[P - 1].future0, 1);
    ck_assert_uint_eq(m.objects[P - 1].nfutures, 3);
    ck_assert_uint_eq(m.futures[0].pool, P2);
    for (size_t i = 1; i < 4; i++) {
        ck_assert_uint_eq(m.futures[i].pool, P);
        ck_assert_uint_eq(m.futures[i].id, i);
    }
    const trc_future *f1 = future_of(&m, P, 1), *f2 = future_of(&m, P, 2), *f3 = future_of(&m, P, 3);
    ck_assert_uint_eq(f1->t_submit, 1 * MS);
    ck_assert_uint_eq(f1->t_start, 4 * MS);
    ck_assert_uint_eq(f1->t_done, 8 * MS);
    ck_assert_uint_eq(f1->t_callback, 10 * MS);
    ck_assert_uint_eq(f1->t_result, 9 * MS);
    ck_assert_uint_eq(f1->submitter, mn);
    ck_assert_uint_eq(f1->worker, wk);
    ck_assert_uint_eq(f1->callback_unit, wk);
    ck_assert_uint_eq(f1->outcome, TRC_OUT_OK);
    ck_assert_uint_eq(f1->results, 1);
    ck_assert(!f1->cancelled);
    ck_assert(f2->cancelled);
    ck_assert_uint_eq(f2->t_cancel, 6 * MS);
    ck_assert_uint_eq(f2->t_start, TRC_T_NONE);
    ck_assert_uint_eq(f2->t_done, TRC_T_NONE);
    ck_assert_uint_eq(f2->worker, UINT32_MAX);
    ck_assert_uint_eq(f2->outcome, TRC_OUT_CANCELLED);
    ck_assert_uint_eq(f3->outcome, TRC_OUT_ABORTED);
    ck_assert(!f3->cancelled);
    ck_assert_uint_eq(f3->t_cancel, TRC_T_NONE);
    ck_assert_uint_eq(f3->result_timeouts, 1);
    ck_assert_uint_eq(f3->results, 0);
    ck_assert_uint_eq(f3->t_result, TRC_T_NONE);
    /* lanes: the state at any time */
    ck_assert_uint_eq(trc_future_state_at(f1, 0), TRC_FUT_NONE);
    ck_assert_uint_eq(trc_future_state_at(f1, 2 * MS), TRC_FUT_PENDING);
    ck_assert_uint_eq(trc_future_state_at(f1, 4 * MS), TRC_FUT_RUNNING);
    ck_assert_uint_eq(trc_future_state_at(f1, 8 * MS), TRC_FUT_FINISHED);
    ck_assert_uint_eq(trc_future_state_at(f2, 5 * MS), TRC_FUT_PENDING);
    ck_assert_uint_eq(trc_future_state_at(f2, 7 * MS), TRC_FUT_CANCELLED);
    ck_assert_uint_eq(trc_future_state_at(f3, 12 * MS), TRC_FUT_RUNNING);
    const trc_object_track *ot = &m.objects[P - 1];
    ck_assert_uint_eq(ot->submitted, 3);
    ck_assert_uint_eq(ot->started, 2);
    ck_assert_uint_eq(ot->completed, 1);
    ck_assert_uint_eq(ot->failed, 1);
    ck_assert_uint_eq(ot->cancelled, 1);
    ck_assert_uint_eq(ot->cancel_failed, 1);
    ck_assert_uint_eq(ot->callbacks, 1);
    ck_assert_uint_eq(ot->results, 3);
    ck_assert_uint_eq(ot->timeouts, 1);
    /* the chain of future 1, and the others */
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_SUBMIT), 2);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_TASK), 2);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_CALLBACK), 1);
    ck_assert_uint_eq(count_flows(&m, TRC_FLOW_RESULT), 2);
    const trc_flow *f = nth_flow(&m, TRC_FLOW_SUBMIT, 0);
    flow_is(f, mn, wk, 1 * MS, 4 * MS, 1);
    ck_assert_uint_eq(f->obj, P);
    flow_events_are(&rec->runs[0], f, TRC_EV_SUBMIT, TRC_EV_TASK_START);
    flow_is(nth_flow(&m, TRC_FLOW_SUBMIT, 1), mn, wk, 3 * MS, 11 * MS, 3);
    f = nth_flow(&m, TRC_FLOW_TASK, 0);
    flow_is(f, wk, wk, 4 * MS, 8 * MS, 1);
    flow_events_are(&rec->runs[0], f, TRC_EV_TASK_START, TRC_EV_TASK_DONE);
    f = nth_flow(&m, TRC_FLOW_CALLBACK, 0);
    flow_is(f, wk, wk, 8 * MS, 10 * MS, 1);
    flow_events_are(&rec->runs[0], f, TRC_EV_TASK_DONE, TRC_EV_CALLBACK);
    f = nth_flow(&m, TRC_FLOW_RESULT, 0);
    flow_is(f, ctl, mn, 6 * MS, 15 * MS, 2);                     /* from the cancel */
    flow_events_are(&rec->runs[0], f, TRC_EV_CANCEL, TRC_EV_RESULT);
    f = nth_flow(&m, TRC_FLOW_RESULT, 1);
    flow_is(f, wk, mn, 8 * MS, 9 * MS, 1);
    flow_events_are(&rec->runs[0], f, TRC_EV_TASK_DONE, TRC_EV_RESULT);
    /* the result waits name the future */
    const trc_span *w = trc_model_span_at(&m, mn, 6 * MS);
    ck_assert_uint_eq(w->op, TRC_OP_RESULT);
    ck_assert_uint_eq(w->obj, P);
    ck_assert_uint_eq(w->target, 1);
    w = trc_model_span_at(&m, mn, 13 * MS);
    ck_assert_uint_eq(w->target, 3);
    ck_assert_uint_eq(w->outcome, TRC_OUT_TIMEOUT);
    /* drawing: begin/end and lanes (f1 1-10, f2 2-6 overlaps it, f3 3-16 overlaps both) */
    ck_assert_uint_eq(f1->t_begin, 1 * MS);
    ck_assert_uint_eq(f1->t_end, 10 * MS);      /* the callback */
    ck_assert_uint_eq(f2->t_begin, 2 * MS);
    ck_assert_uint_eq(f2->t_end, 6 * MS);       /* the cancel */
    ck_assert_uint_eq(f3->t_end, 16 * MS);
    ck_assert_uint_eq(f1->lane, 0);
    ck_assert_uint_eq(f2->lane, 1);
    ck_assert_uint_eq(f3->lane, 2);
    ck_assert_uint_eq(ot->future_lanes, 3);
    ck_assert_uint_eq(m.objects[P2 - 1].future_lanes, 1);
    ck_assert_uint_eq(m.futures[0].t_end, 20 * MS);   /* never finished: the run's end */
    /* flows are sorted by t0 */
    for (size_t i = 1; i < m.nflows; i++) ck_assert_uint_le(m.flows[i - 1].t0, m.flows[i].t0);
    ck_assert_uint_eq(m.ninstants, 14);   /* 4 submits, 2 starts, 2 cancels, 2 dones, 3 results, a callback */
    for (size_t i = 1; i < m.ninstants; i++) ck_assert_uint_le(m.instants[i - 1].t, m.instants[i].t);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(local_set_task_done_and_names) {
    run_builder b;
    rb_init(&b, "names");
    uint32_t u = rb_unit(&b, "u");
    uint32_t Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 0);
    rb_ev(&b, 1 * MS, u, TRC_EV_LOCAL_SET, 0, 0, 0, 0);
    rb_ev(&b, 2 * MS, u, TRC_EV_LOCAL_SET, 0, 0, 7, 0);   /* no such string */
    rb_ev(&b, 2 * MS, u, TRC_EV_QUEUE_TASK_DONE, Q, 0, 0, 3);
    b.run->strings = arena_push(&b.rec->mem, sizeof(char *));
    b.run->strings[0] = "name=alice";
    b.run->nstrings = 1;
    trc_recording *rec = rb_finish(&b, 3 * MS);
    trc_model m;
    build_ok(&m, rec);
    ck_assert_uint_eq(m.ninstants, 3);
    ck_assert_str_eq(m.instants[0].text, "name=alice");
    ck_assert_str_eq(m.instants[1].text, "?");
    ck_assert_uint_eq(m.instants[2].kind, TRC_EV_QUEUE_TASK_DONE);
    ck_assert_uint_eq(m.instants[2].extra, 3);
    ck_assert_ptr_null(m.instants[2].text);
    ck_assert_uint_eq(m.objects[Q - 1].task_dones, 1);
    trc_model_release(&m);
    trc_recording_free(rec);
    static const unsigned kinds[] = { TRC_OBJ_LOCK, TRC_OBJ_QUEUE, TRC_OBJ_RLOCK, TRC_OBJ_SEMAPHORE, TRC_OBJ_CONDITION,
                                      TRC_OBJ_EVENT, TRC_OBJ_BARRIER, TRC_OBJ_RWLOCK, TRC_OBJ_COUNTER, TRC_OBJ_POOL };
    static const char *const names[] = { "lock", "queue", "rlock", "semaphore", "condition",
                                         "event", "barrier", "rwlock", "counter", "pool" };
    for (size_t i = 0; i < 10; i++) ck_assert_str_eq(trc_obj_kind_name(kinds[i]), names[i]);
    ck_assert_str_eq(trc_obj_kind_name(99), "object");
    for (unsigned k = 1; k < TRC_FLOW__COUNT; k++) ck_assert_str_ne(trc_flow_kind_name(k), "unknown");
    ck_assert_str_eq(trc_flow_kind_name(TRC_FLOW_NOTIFY), "notify");
    ck_assert_str_eq(trc_future_state_name(TRC_FUT_CANCELLED), "cancelled");
    ck_assert_str_eq(trc_queue_kind_name(TRC_QUEUE_LIFO), "lifo");
    ck_assert_str_eq(trc_counter_mode_name(TRC_CTR_RACY), "racy");
}
END_TEST

START_TEST(stats_for_the_new_kinds) {
    /* every kind in one run: stats text and JSON name the figures */
    run_builder b;
    rb_init(&b, "all kinds");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    uint32_t S = rb_obj(&b, TRC_OBJ_SEMAPHORE, "sem", 3), R = rb_obj(&b, TRC_OBJ_RLOCK, "rl", 0);
    uint32_t N = rb_obj(&b, TRC_OBJ_COUNTER, "hits", 0), P = rb_obj(&b, TRC_OBJ_POOL, "pool", 2);
    uint32_t B = rb_obj(&b, TRC_OBJ_BARRIER, "bar", 2), E = rb_obj(&b, TRC_OBJ_EVENT, "go", 0);
    uint32_t C = rb_obj(&b, TRC_OBJ_CONDITION, "cv", 0), W = rb_obj(&b, TRC_OBJ_RWLOCK, "rw", 0);
    rb_ev(&b, 1 * MS, a, TRC_EV_ACQUIRE, S, 0, 0, 1);
    rb_ev(&b, 1 * MS, c, TRC_EV_ACQUIRE, S, 0, 0, 2);
    rb_ev(&b, 2 * MS, a, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 2 * MS, a, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 3 * MS, a, TRC_EV_RELEASE, R, 0, 1, 0);
    rb_ev(&b, 3 * MS, a, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 4 * MS, a, TRC_EV_COUNTER_READ, N, 0, 0, 0);
    rb_ev(&b, 4 * MS, c, TRC_EV_COUNTER_READ, N, 0, 0, 0);
    rb_ev(&b, 5 * MS, a, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 1, 0);
    rb_ev(&b, 5 * MS, c, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 1, 1);
    rb_ev(&b, 6 * MS, a, TRC_EV_SUBMIT, P, 0, 1, 0);
    rb_ev(&b, 6 * MS, a, TRC_EV_SUBMIT, P, 0, 2, 0);
    rb_ev(&b, 7 * MS, c, TRC_EV_TASK_START, P, 0, 1, 0);
    rb_ev(&b, 8 * MS, a, TRC_EV_CANCEL, P, 1, 2, 0);
    rb_ev(&b, 10 * MS, c, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 1, 0);
    rb_ev(&b, 11 * MS, a, TRC_EV_BARRIER_ARRIVE, B, 0, 0, 1);
    rb_ev(&b, 11 * MS, c, TRC_EV_BARRIER_ARRIVE, B, 0, 0, 2);
    rb_ev(&b, 11 * MS, c, TRC_EV_BARRIER_OPEN, B, 0, 1, 0);
    rb_ev(&b, 12 * MS, a, TRC_EV_SET, E, 0, 1, 0);
    rb_ev(&b, 13 * MS, a, TRC_EV_NOTIFY, C, 0, 1, 0);
    rb_ev(&b, 14 * MS, a, TRC_EV_ACQUIRE, W, 1, 0, 1);
    rb_ev(&b, 14 * MS, c, TRC_EV_ACQUIRE, W, 1, 0, 2);
    rb_ev(&b, 15 * MS, c, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_KILLED, 0, 0);
    trc_recording *rec = rb_finish(&b, 16 * MS);
    trc_model m;
    build_ok(&m, rec);
    buf t = { 0 };
    trc_stats_text(&t, &m);
    buf_u8(&t, 0);
    const char *txt = (const char *)t.p;
    static const char *const want[] = {
        "sem", "semaphore", "max 2 of 3 permits in use",
        "rl", "rlock", "max depth 2",
        "hits", "counter", "final value 1", "1 lost update", "1 stale read",
        "pool", "2 submitted", "1 completed", "1 cancelled", "mean queue wait 1.00 ms", "mean run 3.00 ms",
        "bar", "barrier", "1 generation",
        "go", "event", "1 set",
        "cv", "condition", "1 notify",
        "rw", "rwlock", "max 2 readers",
        "killed",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(txt, want[i]), "stats text lacks '%s':\n%s", want[i], txt);
    buf j = { 0 };
    trc_stats_json(&j, &m, 1);
    buf_u8(&j, 0);
    const char *js = (const char *)j.p;
    static const char *const wantj[] = {
        "\"kind\":\"semaphore\"", "\"max_in_use\":2", "\"permits\":3",
        "\"kind\":\"rlock\"", "\"max_recursion\":2",
        "\"kind\":\"counter\"", "\"final_value\":1", "\"lost_updates\":1", "\"stale_reads\":1",
        "\"kind\":\"pool\"", "\"submitted\":2", "\"completed\":1", "\"cancelled\":1", "\"mean_queue_wait_ns\":1000000",
        "\"mean_run_ns\":3000000",
        "\"generations\":1", "\"sets\":1", "\"notifies\":1", "\"max_readers\":2", "\"killed\":true",
        "\"lost_updates\":1",
    };
    for (size_t i = 0; i < sizeof wantj / sizeof *wantj; i++)
        ck_assert_msg(strstr(js, wantj[i]), "stats JSON lacks '%s':\n%s", wantj[i], js);
    free(t.p);
    free(j.p);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, states_from_events);
    tcase_add_test(tc, procs_kind_mask_skips_only_what_it_ignores);
    tcase_add_test(tc, objects_and_flows);
    tcase_add_test(tc, unfinished_units_stay_blocked);
    tcase_add_test(tc, contradictions_rejected);
    tcase_add_test(tc, many_items_match);
    tcase_add_test(tc, same_item_ids_on_two_queues_and_stale_waits);
    tcase_add_test(tc, condition_notify_wakes_the_right_waiters);
    tcase_add_test(tc, a_notify_matches_only_the_wakes_it_counted);
    tcase_add_test(tc, event_set_fans_out_and_set_spans);
    tcase_add_test(tc, barrier_generations);
    tcase_add_test(tc, semaphore_permits_series);
    tcase_add_test(tc, rlock_depth_and_rwlock_readers);
    tcase_add_test(tc, counter_lost_updates_and_stale_reads);
    tcase_add_test(tc, spawn_join_and_killed_daemons);
    tcase_add_test(tc, future_lifecycle);
    tcase_add_test(tc, idle_pool_worker);
    tcase_add_test(tc, local_set_task_done_and_names);
    tcase_add_test(tc, stats_for_the_new_kinds);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
