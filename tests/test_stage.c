/* The stage model (render/rdr_stage.c): the state of objects and units at a
 * time t, on hand-built recordings with known answers and on real runs. */
#include "testutil.h"
#include "render/rdr.h"

#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define US 1000ull

typedef struct built { trc_recording *rec; trc_model m; rdr_stage_model *sm; rdr_stage_state st; } built;

static void built_model(built *b, run_builder *rb, uint64_t end) {
    b->rec = rb_finish(rb, end);
    diag d = { 0 };
    ck_assert_msg(trc_model_build(&b->m, &b->rec->runs[0], &d) == 0, "model: %s", d.msg);
    b->sm = rdr_stage_model_new(&b->m);
    memset(&b->st, 0, sizeof b->st);
}

static void built_free(built *b) {
    rdr_stage_state_release(&b->st);
    rdr_stage_model_free(b->sm);
    trc_model_release(&b->m);
    trc_recording_free(b->rec);
}

static const rdr_stage_tok *tok_of(const rdr_stage_state *st, uint32_t obj, uint64_t item) {
    const rdr_stage_obj *so = &st->objs[obj - 1];
    for (size_t i = 0; i < so->ntok; i++)
        if (st->toks[so->tok0 + i].item == item) return &st->toks[so->tok0 + i];
    return NULL;
}

//~ queues

/* P puts items 1, 2, 3 at 10, 11, 12 ms into Q (capacity 3, so it is full);
 * P then blocks putting a 4th from 13 ms. C gets 1 at 20 ms (P's put of 4
 * goes through at 20 ms), 2 at 30 ms; 3 and 4 are never got. */
static void make_queue(built *b, uint32_t qkind, uint32_t *p, uint32_t *c, uint32_t *q) {
    run_builder rb;
    rb_init(&rb, "queue");
    *p = rb_unit(&rb, "P");
    *c = rb_unit(&rb, "C");
    *q = rb_obj(&rb, TRC_OBJ_QUEUE, "Q", 3);
    rb.run->objects[*q - 1].subkind = qkind;
    rb_ev(&rb, 0, *p, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, *c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, *c, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
    rb_ev(&rb, 10 * MS, *p, TRC_EV_PUT, *q, 0, 1, 1);
    rb_ev(&rb, 11 * MS, *p, TRC_EV_PUT, *q, 0, 2, 2);
    rb_ev(&rb, 12 * MS, *p, TRC_EV_PUT, *q, 0, 3, 3);
    rb_ev(&rb, 13 * MS, *p, TRC_EV_WAIT_BEGIN, *q, TRC_OP_PUT, 0, 0);
    rb_ev(&rb, 20 * MS, *c, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rb_ev(&rb, 20 * MS, *c, TRC_EV_GET, *q, 0, qkind == TRC_QUEUE_LIFO ? 3 : 1, 2);
    rb_ev(&rb, 20 * MS, *p, TRC_EV_WAIT_END, *q, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 20 * MS, *p, TRC_EV_PUT, *q, 0, 4, 3);
    rb_ev(&rb, 30 * MS, *c, TRC_EV_GET, *q, 0, qkind == TRC_QUEUE_LIFO ? 4 : 2, 2);
    rb_ev(&rb, 40 * MS, *p, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 40 * MS, *c, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built_model(b, &rb, 50 * MS);
}

START_TEST(test_queue_slots_fifo) {
    built b;
    uint32_t p, c, q;
    make_queue(&b, TRC_QUEUE_FIFO, &p, &c, &q);
    rdr_stage_state *st = &b.st;
    rdr_stage_state_at(b.sm, st, 5 * MS, 0);
    ck_assert_int_eq(st->objs[q - 1].level, 0);
    ck_assert_uint_eq(st->objs[q - 1].ntok, 0);

    rdr_stage_state_at(b.sm, st, 15 * MS, 0);
    const rdr_stage_obj *so = &st->objs[q - 1];
    ck_assert_int_eq(so->level, 3);
    ck_assert(so->full);
    ck_assert_uint_eq(so->ntok, 3);
    for (uint64_t it = 1; it <= 3; it++) {   /* the oldest at the exit */
        const rdr_stage_tok *tk = tok_of(st, q, it);
        ck_assert_ptr_nonnull(tk);
        ck_assert_uint_eq(tk->slot, it - 1);
        ck_assert_uint_eq(tk->producer, p);
        ck_assert(tk->in == 1.0f && tk->out == 0.0f && tk->pass < 0);
    }
    ck_assert_uint_eq(tok_of(st, q, 1)->consumer, c);
    ck_assert_uint_eq(tok_of(st, q, 3)->consumer, RDR_STAGE_NONE);   /* never got */
    /* the producer waits at the put side of the full queue */
    ck_assert_uint_eq(so->nwait, 1);
    ck_assert_uint_eq(so->nwait_put, 1);
    ck_assert_uint_eq(st->units[p].place, RDR_PLACE_WAIT);
    ck_assert_uint_eq(st->units[p].obj, q);
    ck_assert_uint_eq(st->units[p].op, TRC_OP_PUT);
    ck_assert_uint_eq(st->units[p].rank, 0);
    ck_assert_uint_eq(st->units[p].state, TRC_ST_BLOCKED);
    ck_assert_uint_eq(st->units[c].place, RDR_PLACE_HOME);
    ck_assert_uint_eq(st->units[c].state, TRC_ST_SLEEP);

    /* after the first get: 2 and 3 moved up, 4 went in behind them */
    rdr_stage_state_at(b.sm, st, 25 * MS, 0);
    so = &st->objs[q - 1];
    ck_assert_int_eq(so->level, 3);
    ck_assert_ptr_null(tok_of(st, q, 1));
    ck_assert_uint_eq(tok_of(st, q, 2)->slot, 0);
    ck_assert_uint_eq(tok_of(st, q, 3)->slot, 1);
    ck_assert_uint_eq(tok_of(st, q, 4)->slot, 2);
    ck_assert_uint_eq(so->nwait, 0);
    ck_assert_uint_eq(st->units[p].place, RDR_PLACE_HOME);

    /* at the end: 3 and 4 stay in the queue forever */
    rdr_stage_state_at(b.sm, st, 50 * MS, 0);
    ck_assert_int_eq(st->objs[q - 1].level, 2);
    ck_assert_uint_eq(tok_of(st, q, 3)->slot, 0);
    ck_assert_uint_eq(tok_of(st, q, 4)->slot, 1);
    ck_assert(st->units[p].exited);
    ck_assert_uint_eq(st->units[p].state, TRC_ST_DONE);
    built_free(&b);
}
END_TEST

START_TEST(test_queue_slots_lifo_and_flight) {
    built b;
    uint32_t p, c, q;
    make_queue(&b, TRC_QUEUE_LIFO, &p, &c, &q);
    rdr_stage_state *st = &b.st;
    rdr_stage_state_at(b.sm, st, 15 * MS, 0);
    /* a stack: the newest at the exit */
    ck_assert_uint_eq(tok_of(st, q, 3)->slot, 0);
    ck_assert_uint_eq(tok_of(st, q, 2)->slot, 1);
    ck_assert_uint_eq(tok_of(st, q, 1)->slot, 2);
    rdr_stage_state_at(b.sm, st, 25 * MS, 0);   /* 3 was got; 4 went on top */
    ck_assert_ptr_null(tok_of(st, q, 3));
    ck_assert_uint_eq(tok_of(st, q, 4)->slot, 0);
    ck_assert_uint_eq(tok_of(st, q, 2)->slot, 1);
    ck_assert_uint_eq(tok_of(st, q, 1)->slot, 2);

    /* animation: 2 ms a move, so a flight takes 0.7 ms. Item 1, put at 10 ms,
     * is half way in at 10.35 ms */
    uint64_t flight = (uint64_t)(2 * MS * RDR_STAGE_FLIGHT);
    rdr_stage_state_at(b.sm, st, 10 * MS + flight / 2, 2 * MS);
    const rdr_stage_tok *tk = tok_of(st, q, 1);
    ck_assert_ptr_nonnull(tk);
    ck_assert(tk->in > 0.49f && tk->in < 0.51f);
    ck_assert(tk->pass < 0);
    /* item 4 (put 20 ms, got 30 ms) flies out to C in the last 0.7 ms */
    rdr_stage_state_at(b.sm, st, 30 * MS - flight / 4, 2 * MS);
    tk = tok_of(st, q, 4);
    ck_assert_ptr_nonnull(tk);
    ck_assert(tk->out > 0.74f && tk->out < 0.76f);
    rdr_stage_state_at(b.sm, st, 30 * MS - flight - 1, 2 * MS);
    ck_assert(tok_of(st, q, 4)->out == 0.0f);
    ck_assert_uint_eq(tk->consumer, c);
    /* with 30 ms moves, item 3 (in the queue 12 -> 20 ms) passes through: it
     * is still flying to C after its get */
    rdr_stage_state_at(b.sm, st, 21 * MS, 30 * MS);
    tk = tok_of(st, q, 3);
    ck_assert_ptr_nonnull(tk);
    ck_assert_uint_eq(tk->slot, RDR_STAGE_NONE);
    ck_assert(tk->pass > 0.29f && tk->pass < 0.31f);
    built_free(&b);
}
END_TEST

//~ locks

/* A holds L 0-50 ms. B waits from 10 ms, D from 15, C from 20; B gets it at 50,
 * D at 60, C at 70. */
START_TEST(test_lock_holder_and_waiters) {
    run_builder rb;
    rb_init(&rb, "lock");
    uint32_t a = rb_unit(&rb, "A"), bb = rb_unit(&rb, "B"), c = rb_unit(&rb, "C"), d = rb_unit(&rb, "D");
    uint32_t l = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
    for (uint32_t u = 0; u < 4; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, a, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 10 * MS, bb, TRC_EV_WAIT_BEGIN, l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 15 * MS, d, TRC_EV_WAIT_BEGIN, l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 20 * MS, c, TRC_EV_WAIT_BEGIN, l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 50 * MS, a, TRC_EV_RELEASE, l, 0, 0, 0);
    rb_ev(&rb, 50 * MS, bb, TRC_EV_WAIT_END, l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 50 * MS, bb, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 60 * MS, bb, TRC_EV_RELEASE, l, 0, 0, 0);
    rb_ev(&rb, 60 * MS, d, TRC_EV_WAIT_END, l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 60 * MS, d, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 70 * MS, d, TRC_EV_RELEASE, l, 0, 0, 0);
    rb_ev(&rb, 70 * MS, c, TRC_EV_WAIT_END, l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 70 * MS, c, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 80 * MS, c, TRC_EV_RELEASE, l, 0, 0, 0);
    for (uint32_t u = 0; u < 4; u++) rb_ev(&rb, 90 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built b;
    built_model(&b, &rb, 100 * MS);
    rdr_stage_state *st = &b.st;

    rdr_stage_state_at(b.sm, st, 30 * MS, 0);
    const rdr_stage_obj *so = &st->objs[l - 1];
    ck_assert_uint_eq(so->holder, a);
    ck_assert_uint_eq(so->held_since, 0);
    ck_assert_uint_eq(so->nwait, 3);
    ck_assert_uint_eq(so->nwaitl, 3);
    ck_assert_uint_eq(st->who[so->wait0 + 0].unit, bb);   /* in the order they came */
    ck_assert_uint_eq(st->who[so->wait0 + 1].unit, d);
    ck_assert_uint_eq(st->who[so->wait0 + 2].unit, c);
    ck_assert_uint_eq(st->units[bb].rank, 0);
    ck_assert_uint_eq(st->units[d].rank, 1);
    ck_assert_uint_eq(st->units[c].rank, 2);
    for (uint32_t u = 1; u < 4; u++) {
        ck_assert_uint_eq(st->units[u].holder, a);
        ck_assert_uint_eq(st->units[u].place, RDR_PLACE_WAIT);
    }
    ck_assert_uint_eq(st->counts[TRC_ST_BLOCKED], 3);
    ck_assert_uint_eq(st->ncycle, 0);

    rdr_stage_state_at(b.sm, st, 65 * MS, 0);
    so = &st->objs[l - 1];
    ck_assert_uint_eq(so->holder, d);
    ck_assert_uint_eq(so->nwait, 1);
    ck_assert_uint_eq(st->who[so->wait0].unit, c);
    ck_assert_uint_eq(st->units[c].rank, 0);

    rdr_stage_state_at(b.sm, st, 85 * MS, 0);
    ck_assert_uint_eq(st->objs[l - 1].holder, RDR_STAGE_NONE);
    ck_assert_uint_eq(st->objs[l - 1].nwait, 0);

    /* walking: B set off for the lock at 10 ms; with 4 ms moves it is a quarter of the way at 11 ms */
    rdr_stage_state_at(b.sm, st, 11 * MS, 4 * MS);
    ck_assert_uint_eq(st->units[bb].from_place, RDR_PLACE_HOME);
    ck_assert_uint_eq(st->units[bb].place, RDR_PLACE_WAIT);
    ck_assert(st->units[bb].walk > 0.24f && st->units[bb].walk < 0.26f);
    ck_assert(st->units[a].walk == 1.0f);
    /* and back home after getting it at 50 ms */
    rdr_stage_state_at(b.sm, st, 52 * MS, 4 * MS);
    ck_assert_uint_eq(st->units[bb].place, RDR_PLACE_HOME);
    ck_assert_uint_eq(st->units[bb].from_place, RDR_PLACE_WAIT);
    ck_assert_uint_eq(st->units[bb].from_obj, l);
    ck_assert(st->units[bb].walk > 0.49f && st->units[bb].walk < 0.51f);
    built_free(&b);
}
END_TEST

/* An rlock taken twice, a semaphore of 2 with a third unit waiting, an rwlock
 * with two readers inside and a writer waiting. */
START_TEST(test_rlock_semaphore_rwlock) {
    run_builder rb;
    rb_init(&rb, "kinds");
    uint32_t a = rb_unit(&rb, "A"), bb = rb_unit(&rb, "B"), c = rb_unit(&rb, "C");
    uint32_t r = rb_obj(&rb, TRC_OBJ_RLOCK, "R", 0);
    uint32_t s = rb_obj(&rb, TRC_OBJ_SEMAPHORE, "S", 2);
    uint32_t w = rb_obj(&rb, TRC_OBJ_RWLOCK, "W", 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, a, TRC_EV_ACQUIRE, r, 0, 1, 0);
    rb_ev(&rb, 2 * MS, a, TRC_EV_ACQUIRE, r, 0, 2, 0);
    rb_ev(&rb, 3 * MS, a, TRC_EV_ACQUIRE, s, 0, 1, 1);
    rb_ev(&rb, 4 * MS, bb, TRC_EV_ACQUIRE, s, 0, 1, 2);
    rb_ev(&rb, 5 * MS, c, TRC_EV_WAIT_BEGIN, s, TRC_OP_ACQUIRE_PERMIT, 0, 0);
    rb_ev(&rb, 6 * MS, a, TRC_EV_ACQUIRE, w, 1, 0, 1);
    rb_ev(&rb, 7 * MS, bb, TRC_EV_ACQUIRE, w, 1, 0, 2);
    rb_ev(&rb, 10 * MS, a, TRC_EV_RELEASE, r, 0, 1, 0);
    rb_ev(&rb, 20 * MS, a, TRC_EV_RELEASE, r, 0, 0, 0);
    rb_ev(&rb, 30 * MS, bb, TRC_EV_RELEASE, s, 0, 0, 1);
    rb_ev(&rb, 30 * MS, c, TRC_EV_WAIT_END, s, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 30 * MS, c, TRC_EV_ACQUIRE, s, 0, 1, 2);
    rb_ev(&rb, 31 * MS, c, TRC_EV_WAIT_BEGIN, w, TRC_OP_WRITE_LOCK, 0, 0);
    rb_ev(&rb, 40 * MS, a, TRC_EV_RELEASE, w, 1, 0, 1);
    rb_ev(&rb, 41 * MS, bb, TRC_EV_RELEASE, w, 1, 0, 0);
    rb_ev(&rb, 41 * MS, c, TRC_EV_WAIT_END, w, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 41 * MS, c, TRC_EV_ACQUIRE, w, 0, 1, 0);
    rb_ev(&rb, 45 * MS, c, TRC_EV_RELEASE, w, 0, 0, 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 50 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built b;
    built_model(&b, &rb, 60 * MS);
    rdr_stage_state *st = &b.st;

    rdr_stage_state_at(b.sm, st, 8 * MS, 0);
    ck_assert_uint_eq(st->objs[r - 1].holder, a);
    ck_assert_int_eq(st->objs[r - 1].level, 2);                  /* depth */
    ck_assert_int_eq(st->objs[s - 1].level, 2);                  /* permits in use */
    ck_assert_uint_eq(st->objs[s - 1].nhold, 2);
    ck_assert_uint_eq(st->who[st->objs[s - 1].hold0].unit, a);
    ck_assert_uint_eq(st->who[st->objs[s - 1].hold0 + 1].unit, bb);
    ck_assert_uint_eq(st->objs[s - 1].nwait, 1);
    ck_assert_uint_eq(st->who[st->objs[s - 1].wait0].unit, c);
    ck_assert_int_eq(st->objs[w - 1].level, 2);                  /* readers inside */
    ck_assert_uint_eq(st->objs[w - 1].nhold, 2);
    ck_assert_uint_eq(st->objs[w - 1].holder, RDR_STAGE_NONE);   /* no writer */

    rdr_stage_state_at(b.sm, st, 15 * MS, 0);
    ck_assert_int_eq(st->objs[r - 1].level, 1);

    rdr_stage_state_at(b.sm, st, 35 * MS, 0);
    ck_assert_uint_eq(st->objs[s - 1].nhold, 2);                 /* A and now C */
    ck_assert_uint_eq(st->who[st->objs[s - 1].hold0].unit, a);
    ck_assert_uint_eq(st->who[st->objs[s - 1].hold0 + 1].unit, c);
    ck_assert_uint_eq(st->objs[w - 1].nwait, 1);                 /* the writer waits for the readers */
    ck_assert_uint_eq(st->who[st->objs[w - 1].wait0].op, TRC_OP_WRITE_LOCK);

    rdr_stage_state_at(b.sm, st, 40 * MS + 500 * US, 0);         /* one reader left: it holds C back */
    ck_assert_uint_eq(st->objs[w - 1].nhold, 1);
    ck_assert_uint_eq(st->units[c].holder, bb);

    rdr_stage_state_at(b.sm, st, 42 * MS, 0);
    ck_assert_uint_eq(st->objs[w - 1].holder, c);
    ck_assert_uint_eq(st->objs[w - 1].nhold, 0);
    built_free(&b);
}
END_TEST

//~ conditions, events, barriers

START_TEST(test_barrier_event_condition) {
    run_builder rb;
    rb_init(&rb, "sync");
    uint32_t a = rb_unit(&rb, "A"), bb = rb_unit(&rb, "B"), c = rb_unit(&rb, "C");
    uint32_t bar = rb_obj(&rb, TRC_OBJ_BARRIER, "gate", 3);
    uint32_t ev = rb_obj(&rb, TRC_OBJ_EVENT, "go", 0);
    uint32_t m = rb_obj(&rb, TRC_OBJ_LOCK, "m", 0);
    uint32_t cv = rb_obj(&rb, TRC_OBJ_CONDITION, "cv", 0);
    rb.run->objects[cv - 1].related = m;
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 10 * MS, a, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 1);
    rb_ev(&rb, 10 * MS, a, TRC_EV_WAIT_BEGIN, bar, TRC_OP_BARRIER, 0, 0);
    rb_ev(&rb, 20 * MS, bb, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 2);
    rb_ev(&rb, 20 * MS, bb, TRC_EV_WAIT_BEGIN, bar, TRC_OP_BARRIER, 0, 0);
    rb_ev(&rb, 30 * MS, c, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 3);
    rb_ev(&rb, 30 * MS, c, TRC_EV_BARRIER_OPEN, bar, 0, 1, 0);
    rb_ev(&rb, 30 * MS, a, TRC_EV_WAIT_END, bar, TRC_OUT_OK, 0, 1);
    rb_ev(&rb, 30 * MS, bb, TRC_EV_WAIT_END, bar, TRC_OUT_OK, 0, 1);
    /* A waits for go; C sets it at 40 ms. B waits on cv (releasing m); C
     * notifies at 50 ms holding m; B wakes at 51 ms and blocks on m until C
     * releases it at 55 ms */
    rb_ev(&rb, 32 * MS, a, TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
    rb_ev(&rb, 33 * MS, bb, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&rb, 34 * MS, bb, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&rb, 34 * MS, bb, TRC_EV_RELEASE, m, 0, 0, 0);
    rb_ev(&rb, 40 * MS, c, TRC_EV_SET, ev, 0, 1, 1);
    rb_ev(&rb, 40 * MS, a, TRC_EV_WAIT_END, ev, TRC_OUT_OK, 0, 1);
    rb_ev(&rb, 45 * MS, c, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&rb, 50 * MS, c, TRC_EV_NOTIFY, cv, 0, 1, 1);
    rb_ev(&rb, 51 * MS, bb, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1);
    rb_ev(&rb, 51 * MS, bb, TRC_EV_WAIT_BEGIN, m, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 55 * MS, c, TRC_EV_RELEASE, m, 0, 0, 0);
    rb_ev(&rb, 55 * MS, bb, TRC_EV_WAIT_END, m, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 55 * MS, bb, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&rb, 56 * MS, bb, TRC_EV_RELEASE, m, 0, 0, 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 60 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built b;
    built_model(&b, &rb, 70 * MS);
    rdr_stage_state *st = &b.st;

    rdr_stage_state_at(b.sm, st, 15 * MS, 0);
    ck_assert_int_eq(st->objs[bar - 1].level, 1);
    ck_assert_uint_eq(st->objs[bar - 1].nwait, 1);
    rdr_stage_state_at(b.sm, st, 25 * MS, 0);
    ck_assert_int_eq(st->objs[bar - 1].level, 2);                /* 2 of 3 arrived */
    ck_assert_uint_eq(st->objs[bar - 1].nwait, 2);
    ck_assert_uint_eq(st->who[st->objs[bar - 1].wait0 + 1].unit, bb);
    ck_assert(!st->objs[ev - 1].set);
    rdr_stage_state_at(b.sm, st, 31 * MS, 2 * MS);
    ck_assert_int_eq(st->objs[bar - 1].level, 0);                /* open, reset */
    ck_assert_uint_eq(st->objs[bar - 1].nwait, 0);
    ck_assert_uint_eq(st->objs[bar - 1].pulse_kind, TRC_EV_BARRIER_OPEN);
    ck_assert(st->objs[bar - 1].pulse > 0.49f && st->objs[bar - 1].pulse < 0.51f);

    rdr_stage_state_at(b.sm, st, 38 * MS, 0);
    ck_assert(!st->objs[ev - 1].set);
    ck_assert_uint_eq(st->objs[ev - 1].nwait, 1);
    ck_assert_uint_eq(st->units[a].obj, ev);
    rdr_stage_state_at(b.sm, st, 41 * MS, 0);
    ck_assert(st->objs[ev - 1].set);
    ck_assert_uint_eq(st->objs[ev - 1].holder, c);               /* who set it */
    ck_assert_uint_eq(st->objs[ev - 1].pulse_kind, TRC_EV_SET);

    /* the waiting room, the notified waiter, its walk to the lock */
    rdr_stage_state_at(b.sm, st, 48 * MS, 0);
    ck_assert_uint_eq(st->objs[cv - 1].nwait, 1);
    ck_assert_uint_eq(st->units[bb].place, RDR_PLACE_WAIT);
    ck_assert_uint_eq(st->units[bb].obj, cv);
    ck_assert(!st->units[bb].notified);
    rdr_stage_state_at(b.sm, st, 50 * MS + 500 * US, 0);
    ck_assert(st->units[bb].notified);
    ck_assert_uint_eq(st->objs[cv - 1].pulse_kind, TRC_EV_NOTIFY);
    ck_assert_uint_eq(st->objs[cv - 1].pulse_unit, c);
    ck_assert_uint_eq(st->objs[cv - 1].pulse_woken, 1);
    rdr_stage_state_at(b.sm, st, 52 * MS, 2 * MS);
    ck_assert(!st->units[bb].notified);
    ck_assert_uint_eq(st->units[bb].obj, m);
    ck_assert_uint_eq(st->units[bb].from_obj, cv);             /* walking out of the room */
    ck_assert(st->units[bb].walk > 0.49f && st->units[bb].walk < 0.51f);
    ck_assert_uint_eq(st->units[bb].holder, c);
    built_free(&b);
}
END_TEST

//~ deadlocks

START_TEST(test_deadlock_ring) {
    run_builder rb;
    rb_init(&rb, "ring");
    uint32_t a = rb_unit(&rb, "A"), bb = rb_unit(&rb, "B"), c = rb_unit(&rb, "C");
    uint32_t l1 = rb_obj(&rb, TRC_OBJ_LOCK, "L1", 0), l2 = rb_obj(&rb, TRC_OBJ_LOCK, "L2", 0);
    uint32_t l3 = rb_obj(&rb, TRC_OBJ_LOCK, "L3", 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, a, TRC_EV_ACQUIRE, l1, 0, 1, 0);
    rb_ev(&rb, 2 * MS, bb, TRC_EV_ACQUIRE, l2, 0, 1, 0);
    rb_ev(&rb, 3 * MS, c, TRC_EV_ACQUIRE, l3, 0, 1, 0);
    rb_ev(&rb, 10 * MS, a, TRC_EV_WAIT_BEGIN, l2, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 11 * MS, bb, TRC_EV_WAIT_BEGIN, l3, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 12 * MS, c, TRC_EV_WAIT_BEGIN, l1, TRC_OP_LOCK, 0, 0);
    built b;
    built_model(&b, &rb, 100 * MS);
    rdr_stage_state *st = &b.st;
    rdr_stage_state_at(b.sm, st, 11 * MS + 500 * US, 0);   /* not closed yet */
    ck_assert_uint_eq(st->ncycle, 0);
    ck_assert_uint_eq(st->units[a].holder, bb);
    ck_assert_uint_eq(st->units[bb].holder, c);
    ck_assert(!st->units[a].in_cycle);
    rdr_stage_state_at(b.sm, st, 50 * MS, 0);
    ck_assert_uint_eq(st->ncycle, 3);
    for (size_t i = 0; i < 3; i++) {   /* each waits for the next */
        uint32_t u = st->cycle[i], nxt = st->cycle[(i + 1) % 3];
        ck_assert_uint_eq(st->units[u].holder, nxt);
        ck_assert(st->units[u].in_cycle);
    }
    rdr_stage_state_at(b.sm, st, 100 * MS, 0);   /* at the very end too */
    ck_assert_uint_eq(st->ncycle, 3);
    built_free(&b);
}
END_TEST

//~ pools

START_TEST(test_pool_workers_and_queue) {
    run_builder rb;
    rb_init(&rb, "pool");
    uint32_t mn = rb_unit(&rb, "main"), w0 = rb_unit(&rb, "p.0"), w1 = rb_unit(&rb, "p.1");
    uint32_t p = rb_obj(&rb, TRC_OBJ_POOL, "p", 2);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, w0, TRC_EV_WAIT_BEGIN, p, TRC_OP_GET, 0, 0);
    rb_ev(&rb, 0, w1, TRC_EV_WAIT_BEGIN, p, TRC_OP_GET, 0, 0);
    for (uint64_t f = 1; f <= 4; f++) rb_ev(&rb, f * MS, mn, TRC_EV_SUBMIT, p, 0, f, 0);
    rb_ev(&rb, 5 * MS, mn, TRC_EV_WAIT_BEGIN, p, TRC_OP_RESULT, 4, 0);
    rb_ev(&rb, 6 * MS, w0, TRC_EV_WAIT_END, p, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 6 * MS, w0, TRC_EV_TASK_START, p, 0, 1, 0);
    rb_ev(&rb, 7 * MS, w1, TRC_EV_WAIT_END, p, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 7 * MS, w1, TRC_EV_TASK_START, p, 0, 2, 0);
    rb_ev(&rb, 20 * MS, w0, TRC_EV_TASK_DONE, p, TRC_OUT_OK, 1, 0);
    rb_ev(&rb, 20 * MS, w0, TRC_EV_TASK_START, p, 0, 3, 0);
    rb_ev(&rb, 21 * MS, w1, TRC_EV_TASK_DONE, p, TRC_OUT_OK, 2, 0);
    rb_ev(&rb, 21 * MS, w1, TRC_EV_TASK_START, p, 0, 4, 0);
    rb_ev(&rb, 30 * MS, w0, TRC_EV_TASK_DONE, p, TRC_OUT_OK, 3, 0);
    rb_ev(&rb, 30 * MS, w0, TRC_EV_WAIT_BEGIN, p, TRC_OP_GET, 0, 0);
    rb_ev(&rb, 31 * MS, w1, TRC_EV_TASK_DONE, p, TRC_OUT_OK, 4, 0);
    rb_ev(&rb, 31 * MS, mn, TRC_EV_WAIT_END, p, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 31 * MS, mn, TRC_EV_RESULT, p, TRC_OUT_OK, 4, 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&rb, 40 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built b;
    built_model(&b, &rb, 50 * MS);
    rdr_stage_state *st = &b.st;
    ck_assert_uint_eq(rdr_stage_pool_of(b.sm, w0), p);
    ck_assert_uint_eq(rdr_stage_pool_of(b.sm, w1), p);
    ck_assert_uint_eq(rdr_stage_pool_of(b.sm, mn), 0);

    rdr_stage_state_at(b.sm, st, 4 * MS + 500 * US, 0);
    const rdr_stage_obj *so = &st->objs[p - 1];
    ck_assert_uint_eq(so->queued, 4);
    ck_assert_uint_eq(so->running, 0);
    ck_assert_uint_eq(so->nfutl, 4);
    ck_assert_uint_eq(b.m.futures[st->futs[so->fut0]].id, 1);   /* the oldest first */
    ck_assert_uint_eq(st->units[w0].state, TRC_ST_IDLE);
    ck_assert_uint_eq(st->units[w0].place, RDR_PLACE_HOME);     /* idle at home in its pool */
    ck_assert_uint_eq(st->units[w0].obj, p);

    rdr_stage_state_at(b.sm, st, 10 * MS, 0);
    so = &st->objs[p - 1];
    ck_assert_uint_eq(so->queued, 2);
    ck_assert_uint_eq(so->running, 2);
    ck_assert_uint_eq(st->units[w0].future, 1);
    ck_assert_uint_eq(st->units[w1].future, 2);
    ck_assert_uint_eq(st->units[mn].place, RDR_PLACE_WAIT);      /* waiting for the result of #4 */
    ck_assert_uint_eq(st->units[mn].holder, RDR_STAGE_NONE);     /* #4 is not running yet */

    rdr_stage_state_at(b.sm, st, 25 * MS, 0);
    so = &st->objs[p - 1];
    ck_assert_uint_eq(so->queued, 0);
    ck_assert_uint_eq(so->done, 2);
    ck_assert_uint_eq(st->units[w1].future, 4);
    ck_assert_uint_eq(st->units[mn].holder, w1);                 /* #4 runs on p.1 */

    rdr_stage_state_at(b.sm, st, 35 * MS, 0);
    ck_assert_uint_eq(st->objs[p - 1].done, 4);
    ck_assert_uint_eq(st->units[w0].future, 0);
    built_free(&b);
}
END_TEST

//~ real runs

/* A real producer/consumer run: at many times, the tokens listed agree with
 * the depth the model keeps, each slot is used once, and every unit waiting at
 * the queue is listed on its side. */
START_TEST(test_real_queue_consistent) {
    tu_ran r;
    tu_run_text(&r, "stage_pc",
                "queue jobs capacity=3\n"
                "actor producer * 2 { repeat 20 { compute 100us; put jobs } }\n"
                "actor consumer { repeat 40 { get jobs; sleep 300us } }\n",
                NULL, 0);
    rdr_stage_model *sm = rdr_stage_model_new(&r.m);
    rdr_stage_state st = { 0 };
    uint32_t q = 1;
    ck_assert_uint_eq(r.run->objects[q - 1].kind, TRC_OBJ_QUEUE);
    const trc_object_track *ot = &r.m.objects[q - 1];
    bool seen_full = false;
    for (int i = 0; i <= 200; i++) {
        uint64_t t = r.m.makespan * (uint64_t)i / 200;
        rdr_stage_state_at(sm, &st, t, 0);
        const rdr_stage_obj *so = &st.objs[q - 1];
        int64_t depth = trc_sample_at(ot->depth, ot->ndepth, t);
        ck_assert_int_eq(so->level, depth);
        ck_assert_uint_eq(so->ntok, (size_t)depth);
        uint32_t used = 0;
        for (size_t k = 0; k < so->ntok; k++) {
            const rdr_stage_tok *tk = &st.toks[so->tok0 + k];
            ck_assert_uint_lt(tk->slot, (uint32_t)depth);
            ck_assert(!(used & (1u << tk->slot)));
            used |= 1u << tk->slot;
            ck_assert_str_eq(r.run->units[tk->producer].group, "producer");
        }
        if (so->full) seen_full = true;
        uint32_t put = 0, get = 0;
        for (uint32_t u = 0; u < r.run->nunits; u++) {
            const rdr_stage_unit *su = &st.units[u];
            if (su->place != RDR_PLACE_WAIT || su->obj != q) continue;
            if (su->op == TRC_OP_PUT) { put++; ck_assert_str_eq(r.run->units[u].group, "producer"); }
            else { get++; ck_assert_str_eq(r.run->units[u].group, "consumer"); }
        }
        ck_assert_uint_eq(so->nwait_put, put);
        ck_assert_uint_eq(so->nwait, put + get);
    }
    ck_assert(seen_full);   /* two producers outpace one slow consumer */
    rdr_stage_state_release(&st);
    rdr_stage_model_free(sm);
    tu_ran_free(&r);
}
END_TEST

START_TEST(test_real_deadlock_ring) {
    tu_ran r;
    tu_run_text(&r, "stage_dl",
                "lock a\nlock b\nbarrier both 2\n"
                "actor alice { lock a; compute 1ms; wait both; lock b; unlock b; unlock a }\n"
                "actor bob { lock b; compute 1ms; wait both; lock a; unlock a; unlock b }\n",
                NULL, 0);
    ck_assert_uint_eq(r.run->end_reason, TRC_END_DEADLOCK);
    rdr_stage_model *sm = rdr_stage_model_new(&r.m);
    rdr_stage_state st = { 0 };
    /* just before the watchdog ends it: both wait, each for the other */
    trc_waitfor wf;
    ck_assert_int_eq(trc_waitfor_end(&wf, &r.m), 0);
    ck_assert_uint_eq(wf.ncycle, 2);
    uint64_t t = wf.waits[0].until - 1;
    for (size_t i = 0; i < wf.nwaits; i++)
        if (wf.waits[i].until - 1 < t) t = wf.waits[i].until - 1;
    rdr_stage_state_at(sm, &st, t, 0);
    ck_assert_uint_eq(st.ncycle, 2);
    uint32_t alice = st.cycle[0] == 0 ? 0 : 1, bob = 1 - alice;
    ck_assert_str_eq(r.run->units[alice].group, "alice");
    ck_assert_uint_eq(st.units[alice].holder, bob);
    ck_assert_uint_eq(st.units[bob].holder, alice);
    ck_assert_str_eq(r.run->objects[st.units[alice].obj - 1].name, "b");
    ck_assert_uint_eq(st.objs[st.units[alice].obj - 1].holder, bob);
    trc_waitfor_release(&wf);
    rdr_stage_state_release(&st);
    rdr_stage_model_free(sm);
    tu_ran_free(&r);
}
END_TEST

static Suite *stage_suite(void) {
    Suite *s = suite_create("stage");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_queue_slots_fifo);
    tcase_add_test(tc, test_queue_slots_lifo_and_flight);
    tcase_add_test(tc, test_lock_holder_and_waiters);
    tcase_add_test(tc, test_rlock_semaphore_rwlock);
    tcase_add_test(tc, test_barrier_event_condition);
    tcase_add_test(tc, test_deadlock_ring);
    tcase_add_test(tc, test_pool_workers_and_queue);
    tcase_add_test(tc, test_real_queue_consistent);
    tcase_add_test(tc, test_real_deadlock_ring);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(stage_suite()); }
