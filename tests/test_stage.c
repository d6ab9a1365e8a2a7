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
        ck_assert(tk->phase == RDR_TOK_IN);
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
     * is half way from P to its slot 0.35 ms before; at the put it is in. */
    uint64_t flight = (uint64_t)(2 * MS * RDR_STAGE_FLIGHT);
    rdr_stage_state_at(b.sm, st, 10 * MS - flight / 2, 2 * MS);
    const rdr_stage_tok *tk = tok_of(st, q, 1);
    ck_assert_ptr_nonnull(tk);
    ck_assert_uint_eq(tk->phase, RDR_TOK_ARRIVING);
    ck_assert(tk->fly > 0.49f && tk->fly < 0.51f);
    ck_assert_uint_eq(tk->producer, p);
    ck_assert_int_eq(st->objs[q - 1].level, 0);   /* not in the queue yet: the slots show the depth */
    rdr_stage_state_at(b.sm, st, 10 * MS, 2 * MS);
    ck_assert_uint_eq(tok_of(st, q, 1)->phase, RDR_TOK_IN);
    ck_assert_uint_eq(tok_of(st, q, 1)->slot, 0);
    /* item 2, put at 11 ms after item 1, lands in the next slot of a fifo; of this lifo, on top (slot 0) */
    rdr_stage_state_at(b.sm, st, 11 * MS - flight / 4, 2 * MS);
    ck_assert_uint_eq(tok_of(st, q, 2)->phase, RDR_TOK_ARRIVING);
    ck_assert_uint_eq(tok_of(st, q, 2)->slot, 0);
    /* item 4 (put 20 ms, got 30 ms) flies out to C after its get */
    rdr_stage_state_at(b.sm, st, 30 * MS + flight / 4, 2 * MS);
    tk = tok_of(st, q, 4);
    ck_assert_ptr_nonnull(tk);
    ck_assert_uint_eq(tk->phase, RDR_TOK_LEAVING);
    ck_assert(tk->fly > 0.24f && tk->fly < 0.26f);
    ck_assert_uint_eq(tk->consumer, c);
    rdr_stage_state_at(b.sm, st, 30 * MS + flight + 1, 2 * MS);
    ck_assert_ptr_null(tok_of(st, q, 4));
    /* the slots always hold the depth, whatever flies */
    for (uint64_t t = 0; t < 50 * MS; t += 100 * US) {
        rdr_stage_state_at(b.sm, st, t, 2 * MS);
        const rdr_stage_obj *so = &st->objs[q - 1];
        int64_t in = 0;
        for (size_t i = 0; i < so->ntok; i++) in += st->toks[so->tok0 + i].phase == RDR_TOK_IN;
        ck_assert_int_eq(in, so->level);
    }
    built_free(&b);
}
END_TEST

//~ locks

/* A holds L 0-50 ms. B waits from 10 ms, D from 15, C from 20; B gets it at 50,
 * D at 60, C at 70. */
static void make_lock(built *b, uint32_t *a, uint32_t *bb, uint32_t *c, uint32_t *d, uint32_t *l) {
    run_builder rb;
    rb_init(&rb, "lock");
    *a = rb_unit(&rb, "A"); *bb = rb_unit(&rb, "B"); *c = rb_unit(&rb, "C"); *d = rb_unit(&rb, "D");
    *l = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
    for (uint32_t u = 0; u < 4; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, *a, TRC_EV_ACQUIRE, *l, 0, 1, 0);
    rb_ev(&rb, 10 * MS, *bb, TRC_EV_WAIT_BEGIN, *l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 15 * MS, *d, TRC_EV_WAIT_BEGIN, *l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 20 * MS, *c, TRC_EV_WAIT_BEGIN, *l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 50 * MS, *a, TRC_EV_RELEASE, *l, 0, 0, 0);
    rb_ev(&rb, 50 * MS, *bb, TRC_EV_WAIT_END, *l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 50 * MS, *bb, TRC_EV_ACQUIRE, *l, 0, 1, 0);
    rb_ev(&rb, 60 * MS, *bb, TRC_EV_RELEASE, *l, 0, 0, 0);
    rb_ev(&rb, 60 * MS, *d, TRC_EV_WAIT_END, *l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 60 * MS, *d, TRC_EV_ACQUIRE, *l, 0, 1, 0);
    rb_ev(&rb, 70 * MS, *d, TRC_EV_RELEASE, *l, 0, 0, 0);
    rb_ev(&rb, 70 * MS, *c, TRC_EV_WAIT_END, *l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 70 * MS, *c, TRC_EV_ACQUIRE, *l, 0, 1, 0);
    rb_ev(&rb, 80 * MS, *c, TRC_EV_RELEASE, *l, 0, 0, 0);
    for (uint32_t u = 0; u < 4; u++) rb_ev(&rb, 90 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built_model(b, &rb, 100 * MS);
}

START_TEST(test_lock_holder_and_waiters) {
    built b;
    uint32_t a, bb, c, d, l;
    make_lock(&b, &a, &bb, &c, &d, &l);
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
    /* a pulse fades with the playhead's own time, also past the run's end (70 ms),
     * where the state is the last nanosecond's: it does not stay lit for ever */
    rdr_stage_state_at(b.sm, st, 65 * MS, 30 * MS);
    ck_assert_uint_eq(st->objs[cv - 1].pulse_kind, TRC_EV_NOTIFY);
    ck_assert(st->objs[cv - 1].pulse > 0.49f && st->objs[cv - 1].pulse < 0.51f);
    rdr_stage_state_at(b.sm, st, 200 * MS, 30 * MS);
    ck_assert(st->objs[cv - 1].pulse == 0.0f);
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



//~ the interval index, against a brute force

/* 40 units each wait on one event many times at random; at random times the
 * waiters counted and listed (oldest first, cut at RDR_STAGE_LIST) are what a
 * scan of every wait says. */
START_TEST(test_waiters_brute_force) {
    run_builder rb;
    rb_init(&rb, "random waits");
    enum { NU = 40, NW = 60 };
    char name[16];
    for (int u = 0; u < NU; u++) {
        snprintf(name, sizeof name, "u%d", u);
        rb_unit(&rb, name);
    }
    uint32_t e = rb_obj(&rb, TRC_OBJ_EVENT, "e", 0);
    /* per unit: NW waits [t0, t1), apart; then sort all events by time */
    typedef struct w { uint64_t t0, t1; uint32_t u; } w;
    static w waits[NU * NW];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    size_t nw = 0;
    for (uint32_t u = 0; u < NU; u++) {
        uint64_t t = 10;
        for (int k = 0; k < NW; k++) {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            t += 1 + seed % 5000;
            uint64_t len = 1 + (seed >> 20) % 20000;
            waits[nw++] = (w){ t, t + len, u };
            t += len;
        }
    }
    typedef struct ev { uint64_t t; uint32_t u; bool end; } ev;
    static ev evs[NU * NW * 2];
    size_t ne = 0;
    for (size_t i = 0; i < nw; i++) {
        evs[ne++] = (ev){ waits[i].t0, waits[i].u, false };
        evs[ne++] = (ev){ waits[i].t1, waits[i].u, true };
    }
    for (size_t i = 1; i < ne; i++) {   /* insertion sort by time, ends before begins at the same time */
        ev x = evs[i];
        size_t j = i;
        while (j > 0 && (evs[j - 1].t > x.t || (evs[j - 1].t == x.t && !evs[j - 1].end && x.end))) { evs[j] = evs[j - 1]; j--; }
        evs[j] = x;
    }
    for (uint32_t u = 0; u < NU; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    uint64_t last = 0;
    for (size_t i = 0; i < ne; i++) {
        rb_ev(&rb, evs[i].t, evs[i].u, evs[i].end ? TRC_EV_WAIT_END : TRC_EV_WAIT_BEGIN, e,
              evs[i].end ? TRC_OUT_TIMEOUT : TRC_OP_EVENT_WAIT, 0, 0);
        last = evs[i].t;
    }
    built b;
    built_model(&b, &rb, last + 10);
    uint64_t max_live = 0;
    for (int probe = 0; probe < 400; probe++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        uint64_t t = seed % (last + 1);
        rdr_stage_state_at(b.sm, &b.st, t, 0);
        /* brute force: the waits containing t, oldest first */
        w live[NU];
        size_t nl = 0;
        for (size_t i = 0; i < nw; i++)
            if (waits[i].t0 <= t && t < waits[i].t1) live[nl++] = waits[i];
        for (size_t i = 1; i < nl; i++) {
            w x = live[i];
            size_t j = i;
            while (j > 0 && (live[j - 1].t0 > x.t0 ||
                             (live[j - 1].t0 == x.t0 && (live[j - 1].t1 > x.t1 || (live[j - 1].t1 == x.t1 && live[j - 1].u > x.u))))) {
                live[j] = live[j - 1];
                j--;
            }
            live[j] = x;
        }
        if (nl > max_live) max_live = nl;
        const rdr_stage_obj *so = &b.st.objs[e - 1];
        ck_assert_uint_eq(so->nwait, nl);
        ck_assert_uint_eq(so->nwaitl, nl < RDR_STAGE_LIST ? nl : RDR_STAGE_LIST);
        for (size_t i = 0; i < so->nwaitl; i++) {
            ck_assert_msg(b.st.who[so->wait0 + i].unit == live[i].u, "t %llu waiter %zu: u%u since %llu, brute u%u since %llu",
                          (unsigned long long)t, i, b.st.who[so->wait0 + i].unit,
                          (unsigned long long)b.st.who[so->wait0 + i].since, live[i].u, (unsigned long long)live[i].t0);
            ck_assert_uint_eq(b.st.who[so->wait0 + i].since, live[i].t0);
            ck_assert_uint_eq(b.st.units[live[i].u].rank, i);
        }
    }
    ck_assert_uint_gt(max_live, 3);
    ck_assert_uint_ge(rdr_stage_max_waiters(b.sm, e), max_live);
    built_free(&b);
}
END_TEST

//~ headless renders

typedef struct shot {
    rdr_canvas *c;
    rdr_view v;
    rdr_stage_layout L;
    int ox, oy, W, H;
    const uint32_t *px;
} shot;

/* speed: the view's playback speed, which sets how long stage animations
 * last (0: the view's default; tiny: no animation, everything in place). */
static void shot_take_at_speed(shot *s, built *b, uint64_t t, int theme, double speed);
static void shot_take(shot *s, built *b, uint64_t t, int theme) { shot_take_at_speed(s, b, t, theme, 0); }

static void shot_take_at_speed(shot *s, built *b, uint64_t t, int theme, double speed) {
    memset(s, 0, sizeof *s);
    diag d = { 0 };
    s->W = 1400;
    s->H = 800;
    rdr_view_desc desc = { .rec = b->rec, .models = &b->m, .nmodels = 1, .width = s->W, .height = s->H, .stage = true,
                           .at_is_ns = true, .at_ns = (double)t, .theme = theme };
    ck_assert_msg(rdr_canvas_open(&s->c, s->W, s->H, NULL, &d) == 0, "%s", d.msg);
    ck_assert_msg(rdr_view_init(&s->v, &desc, &d) == 0, "%s", d.msg);
    if (speed > 0) s->v.speed = speed;
    rdr_canvas_frame(s->c, &s->v);
    int w, h;
    ck_assert(rdr_stage_rect(&s->v, 0, &s->ox, &s->oy, &w, &h));
    rdr_stage_layout_build(&s->L, b->sm, &s->v.info[0].wf, w, h, rdr_canvas_metrics(s->c));
    s->px = rdr_canvas_pixels(s->c);
}

static void shot_free(shot *s) {
    rdr_stage_layout_release(&s->L);
    rdr_view_release(&s->v);
    rdr_canvas_close(s->c);
}

static uint32_t px(const shot *s, int x, int y) {
    ck_assert(x >= 0 && y >= 0 && x < s->W && y < s->H);
    return s->px[(size_t)y * (size_t)s->W + (size_t)x] | 0xff000000u;
}

#define COL_QUEUE_TOKEN 0xffe0b8f5u   /* the dark theme's queue_edge: an item */
#define COL_CELL_DARK   RDR_COL_LANE  /* a cell's background, dark theme */

/* The centre of a queue's slot k (slot 0, the exit, on the right) and the
 * inner top-left of the token drawn there. */
static void slot_px(const shot *s, const rdr_stage_cell *ce, int k, int *cx, int *cy, int *tx, int *ty) {
    *cx = s->ox + ce->px + (ce->nslots - 1 - k) * ce->slot_w + ce->slot_w / 2 + 1;
    *cy = s->oy + ce->py + (s->L.fig + 6) / 2;
    int sz = ce->slot_w - 6;
    if (sz > s->L.fig * 3 / 5) sz = s->L.fig * 3 / 5;
    if (sz < 5) sz = 5;
    *tx = *cx - sz / 2 + 1;
    *ty = *cy - sz / 2 + 1;
}

START_TEST(test_render_queue_slots) {
    built b;
    uint32_t p, c, q;
    make_queue(&b, TRC_QUEUE_FIFO, &p, &c, &q);
    /* at 35 ms items 3 and 4 sit in slots 0 and 1; slot 2 is empty */
    shot s;
    shot_take(&s, &b, 35 * MS, RDR_THEME_DARK);
    const rdr_stage_cell *ce = &s.L.cells[q - 1];
    ck_assert(ce->shown);
    ck_assert_int_eq(ce->nslots, 3);
    int cx, cy, tx, ty;
    for (int k = 0; k < 2; k++) {
        slot_px(&s, ce, k, &cx, &cy, &tx, &ty);
        ck_assert_msg(px(&s, tx, ty) == COL_QUEUE_TOKEN, "slot %d: %08x", k, px(&s, tx, ty));
    }
    slot_px(&s, ce, 2, &cx, &cy, &tx, &ty);
    ck_assert_msg(px(&s, tx, ty) == COL_CELL_DARK, "empty slot: %08x", px(&s, tx, ty));
    ck_assert_msg(px(&s, s.ox + ce->px + 1, s.oy + ce->py) != RDR_COL_ALERT, "not full: no red frame");
    shot_free(&s);

    /* at 17 ms it is full: three tokens, red slot frames, P waiting on the put side
     * (since 13 ms: it has walked there) */
    shot_take(&s, &b, 17 * MS, RDR_THEME_DARK);
    ce = &s.L.cells[q - 1];
    for (int k = 0; k < 3; k++) {
        slot_px(&s, ce, k, &cx, &cy, &tx, &ty);
        ck_assert_uint_eq(px(&s, tx, ty), COL_QUEUE_TOKEN);
    }
    ck_assert_uint_eq(px(&s, s.ox + ce->px + 2, s.oy + ce->py), RDR_COL_ALERT);
    ck_assert_int_ge(ce->nl, 1);
    /* the producer's body, blocked, at the first place of the put line */
    ck_assert_uint_eq(px(&s, s.ox + ce->lx, s.oy + ce->ly - 3), rdr_state_color(TRC_ST_BLOCKED));
    /* and its home is empty: no body colour there */
    ck_assert(px(&s, s.ox + s.L.home_x[p], s.oy + s.L.home_y[p] - 3) != rdr_state_color(TRC_ST_BLOCKED));
    shot_free(&s);
    built_free(&b);
}
END_TEST

START_TEST(test_render_padlock) {
    built b;
    uint32_t a, bb, c, d, l;
    make_lock(&b, &a, &bb, &c, &d, &l);
    for (int theme = 0; theme < RDR_THEME__COUNT; theme++) {
        shot s;
        shot_take(&s, &b, 30 * MS, theme);
        const rdr_stage_cell *ce = &s.L.cells[l - 1];
        ck_assert(ce->shown);
        int fig = s.L.fig, pad = fig * 4 / 5 < 12 ? 12 : fig * 4 / 5;
        /* the holder's colour fills the padlock's body and its name chip */
        int bx = s.ox + ce->px + 2, by = s.oy + ce->py + 2 + fig - 2;
        ck_assert_msg(px(&s, bx, by) == rdr_owner_color(a), "padlock body %08x", px(&s, bx, by));
        int chx = s.ox + ce->px + pad + 6 + 1, chy = s.oy + ce->py + 2 + fig - 2;
        ck_assert_uint_eq(px(&s, chx, chy), rdr_owner_color(a));
        /* the waiters in the order they came: B, D, C, each a blocked body under its own head */
        uint32_t order[3] = { bb, d, c };
        int hr = fig / 5 < 2 ? 2 : fig / 5;
        for (int k = 0; k < 3; k++) {
            int x = s.ox + ce->lx + k * ce->ldx, y = s.oy + ce->ly;
            ck_assert_msg(px(&s, x, y - 3) == rdr_state_color(TRC_ST_BLOCKED), "waiter %d body %08x", k, px(&s, x, y - 3));
            ck_assert_msg(px(&s, x, y - fig + hr) == rdr_owner_color(order[k]), "waiter %d head %08x", k,
                          px(&s, x, y - fig + hr));
        }
        shot_free(&s);
    }
    /* at 65 ms D holds it and only C waits */
    shot s;
    shot_take(&s, &b, 65 * MS, RDR_THEME_DARK);
    const rdr_stage_cell *ce = &s.L.cells[l - 1];
    int fig = s.L.fig, hr = fig / 5 < 2 ? 2 : fig / 5;
    ck_assert_uint_eq(px(&s, s.ox + ce->px + 2, s.oy + ce->py + fig), rdr_owner_color(d));
    ck_assert_uint_eq(px(&s, s.ox + ce->lx, s.oy + ce->ly - fig + hr), rdr_owner_color(c));
    ck_assert(px(&s, s.ox + ce->lx + ce->ldx, s.oy + ce->ly - 3) != rdr_state_color(TRC_ST_BLOCKED));
    shot_free(&s);
    built_free(&b);
}
END_TEST

static void make_ring_ended(built *b, bool aborted);
static void make_ring(built *b) { make_ring_ended(b, false); }

/* aborted: the watchdog ends both waits and units at 90 ms, as weft run does */
static void make_ring_ended(built *b, bool aborted) {
    run_builder rb;
    rb_init(&rb, "ring");
    uint32_t a = rb_unit(&rb, "A"), bb = rb_unit(&rb, "B");
    uint32_t l1 = rb_obj(&rb, TRC_OBJ_LOCK, "L1", 0), l2 = rb_obj(&rb, TRC_OBJ_LOCK, "L2", 0);
    rb_obj(&rb, TRC_OBJ_EVENT, "unrelated", 0);
    rb_ev(&rb, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, bb, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, a, TRC_EV_ACQUIRE, l1, 0, 1, 0);
    rb_ev(&rb, 2 * MS, bb, TRC_EV_ACQUIRE, l2, 0, 1, 0);
    rb_ev(&rb, 10 * MS, a, TRC_EV_WAIT_BEGIN, l2, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 11 * MS, bb, TRC_EV_WAIT_BEGIN, l1, TRC_OP_LOCK, 0, 0);
    if (aborted) {
        rb_ev(&rb, 90 * MS, a, TRC_EV_WAIT_END, l2, TRC_OUT_ABORTED, 0, 0);
        rb_ev(&rb, 90 * MS, a, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
        rb_ev(&rb, 90 * MS, bb, TRC_EV_WAIT_END, l1, TRC_OUT_ABORTED, 0, 0);
        rb_ev(&rb, 90 * MS, bb, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
        rb.run->end_reason = TRC_END_DEADLOCK;
    }
    built_model(b, &rb, 100 * MS);
}

START_TEST(test_render_deadlock_ring) {
    built b;
    make_ring(&b);
    b.rec->runs[0].end_reason = TRC_END_DEADLOCK;
    shot s;
    shot_take(&s, &b, 50 * MS, RDR_THEME_DARK);
    uint32_t alert = RDR_COL_ALERT;
    for (uint32_t o = 1; o <= 3; o++) {
        const rdr_stage_cell *ce = &s.L.cells[o - 1];
        uint32_t edge = px(&s, s.ox + ce->x, s.oy + ce->y + ce->h / 2);
        if (o < 3) ck_assert_msg(edge == alert, "lock %u frame %08x", o, edge);
        else ck_assert_msg(edge != alert, "the event is no part of the ring");
    }
    /* the two locks of the cycle are laid out first, next to each other */
    ck_assert_uint_eq(s.L.order[0] + s.L.order[1], 3);
    ck_assert_uint_eq(s.L.order[2], 3);
    shot_free(&s);
    /* before the ring closes: no red frame */
    shot_take(&s, &b, 10 * MS + 500 * US, RDR_THEME_DARK);
    const rdr_stage_cell *ce = &s.L.cells[0];
    ck_assert(px(&s, s.ox + ce->x, s.oy + ce->y + ce->h / 2) != alert);
    shot_free(&s);
    built_free(&b);

    /* ended by the watchdog: at the very end the stage still shows the ring,
     * as it was stuck, not the units the aborts ended */
    make_ring_ended(&b, true);
    shot_take(&s, &b, 100 * MS, RDR_THEME_DARK);
    for (uint32_t o = 1; o <= 2; o++) {
        ce = &s.L.cells[o - 1];
        ck_assert_uint_eq(px(&s, s.ox + ce->x, s.oy + ce->y + ce->h / 2), alert);
        /* its waiter: a blocked body at the first place of its line */
        ck_assert_uint_eq(px(&s, s.ox + ce->lx, s.oy + ce->ly - 3), rdr_state_color(TRC_ST_BLOCKED));
    }
    shot_free(&s);
    built_free(&b);
}
END_TEST

/* Nothing jumps: the names of the objects and the labels of the units are
 * drawn at the same places at any time. */
static size_t find_text(const rdr_drawlist *dl, const char *s, int x0, int y0, int x1, int y1, int *x, int *y) {
    size_t n = 0;
    for (size_t i = 0; i < dl->n; i++) {
        const rdr_cmd *c = &dl->cmds[i];
        if (c->kind != RDR_CMD_TEXT || strcmp(dl->text + c->text, s)) continue;
        if (c->x < x0 || c->x >= x1 || c->y < y0 || c->y >= y1) continue;
        if (!n) { *x = c->x; *y = c->y; }
        n++;
    }
    return n;
}

START_TEST(test_layout_stable) {
    built b;
    uint32_t p, c, q;
    make_queue(&b, TRC_QUEUE_FIFO, &p, &c, &q);
    shot s;
    shot_take(&s, &b, 0, RDR_THEME_DARK);
    const rdr_text_metrics *tm = rdr_canvas_metrics(s.c);
    rdr_drawlist dl[4] = { 0 };
    uint64_t times[4] = { 1 * MS, 15 * MS, 25 * MS, 50 * MS };
    for (int i = 0; i < 4; i++) {
        rdr_view_set_playhead(&s.v, (double)times[i]);
        rdr_build(&s.v, &dl[i], tm);
    }
    int x0 = s.ox, y0 = s.oy, x1 = s.ox + s.L.w, y1 = s.oy + s.L.h;
    int nx, ny, x, y;
    ck_assert_uint_eq(find_text(&dl[0], "Q", x0, y0, x1, y1, &nx, &ny), 1);
    for (int i = 1; i < 4; i++) {
        ck_assert_uint_eq(find_text(&dl[i], "Q", x0, y0, x1, y1, &x, &y), 1);
        ck_assert_int_eq(x, nx);
        ck_assert_int_eq(y, ny);
    }
    for (uint32_t u = 0; u < 2; u++) {   /* the labels under the homes, where the layout put them */
        ck_assert(s.L.home_label[u]);
        for (int i = 0; i < 4; i++) {
            int hy = s.oy + s.L.home_y[u] + 2;
            ck_assert_msg(find_text(&dl[i], s.L.label[u], x0, hy, x1, hy + 1, &x, &y) >= 1, "label %s at frame %d",
                          s.L.label[u], i);
            int cx = x + rdr_canvas_metrics(s.c)->measure(rdr_canvas_metrics(s.c)->ud, RDR_FONT_REGULAR, s.L.label[u],
                                                           strlen(s.L.label[u])) / 2;
            ck_assert_int_le(abs(cx - (s.ox + s.L.home_x[u])), 1);
        }
    }
    /* and the layout itself does not depend on the state: built again, the same */
    rdr_stage_layout L2;
    int w, h, ox, oy;
    ck_assert(rdr_stage_rect(&s.v, 0, &ox, &oy, &w, &h));
    rdr_stage_layout_build(&L2, b.sm, &s.v.info[0].wf, w, h, tm);
    ck_assert_int_eq(L2.fig, s.L.fig);
    for (uint32_t o = 0; o < b.m.run->nobjects; o++) {
        ck_assert_int_eq(L2.cells[o].x, s.L.cells[o].x);
        ck_assert_int_eq(L2.cells[o].y, s.L.cells[o].y);
        ck_assert_int_eq(L2.cells[o].lx, s.L.cells[o].lx);
    }
    rdr_stage_layout_release(&L2);
    for (int i = 0; i < 4; i++) rdr_drawlist_free(&dl[i]);
    shot_free(&s);
    built_free(&b);
}
END_TEST

/* Past what figures can show: 500 units by actor, a queue of 1,000 as a fill
 * bar, a pool of 4,000 futures by counts; 20 objects at 1280x720. */
START_TEST(test_layout_summarises) {
    run_builder rb;
    rb_init(&rb, "big");
    char name[32];
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "w.%d", i);
        uint32_t u = rb_unit(&rb, name);
        rb.run->units[u].group = "w";
    }
    uint32_t mn = rb_unit(&rb, "main");
    uint32_t wk[4];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "p.%d", i);
        wk[i] = rb_unit(&rb, name);
        rb.run->units[wk[i]].group = "p";
    }
    uint32_t q = rb_obj(&rb, TRC_OBJ_QUEUE, "big_q", 1000);
    uint32_t p = rb_obj(&rb, TRC_OBJ_POOL, "p", 4);
    uint32_t l = rb_obj(&rb, TRC_OBJ_LOCK, "m", 0);
    for (int i = 0; i < 17; i++) {
        snprintf(name, sizeof name, "c%d", i);
        rb_obj(&rb, i % 2 ? TRC_OBJ_COUNTER : TRC_OBJ_EVENT, name, 0);
    }
    for (uint32_t u = 0; u < rb.run->nunits; u++) rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1, wk[0], TRC_EV_ACQUIRE, l, 0, 1, 0);
    for (int i = 0; i < 300; i++) rb_ev(&rb, 10 + (uint64_t)i, (uint32_t)i, TRC_EV_WAIT_BEGIN, l, TRC_OP_LOCK, 0, 0);
    for (uint64_t f = 1; f <= 4000; f++) rb_ev(&rb, 1000 + f, mn, TRC_EV_SUBMIT, p, 0, f, 0);
    for (int i = 0; i < 4; i++) rb_ev(&rb, 6000 + (uint64_t)i, wk[i], TRC_EV_TASK_START, p, 0, (uint64_t)i + 1, 0);
    for (uint64_t it = 1; it <= 600; it++) rb_ev(&rb, 7000 + it, mn, TRC_EV_PUT, q, 0, it, (uint32_t)it);
    built b;
    built_model(&b, &rb, 1 * MS);
    rdr_stage_layout L;
    rdr_stage_layout_build(&L, b.sm, NULL, 512, 640, NULL);
    ck_assert(L.summary);
    ck_assert_uint_eq(L.hidden, 0);
    ck_assert(L.cells[q - 1].shown);
    ck_assert_int_eq(L.cells[q - 1].nslots, 0);   /* a fill bar */
    ck_assert(L.cells[p - 1].shown);
    ck_assert_int_eq(L.cells[p - 1].nslots, 4);   /* its 4 workers */
    for (int i = 0; i < 4; i++) ck_assert_int_ge(L.home_x[wk[i]], 0);
    ck_assert_int_lt(L.home_x[0], 0);             /* summarised: no figure at home */
    for (uint32_t o = 0; o < b.m.run->nobjects; o++) {   /* inside the rectangle, never overlapping */
        const rdr_stage_cell *ce = &L.cells[o];
        ck_assert(ce->x >= 0 && ce->y >= L.objects_y && ce->x + ce->w <= L.w && ce->y + ce->h <= L.h);
        for (uint32_t k = o + 1; k < b.m.run->nobjects; k++) {
            const rdr_stage_cell *o2 = &L.cells[k];
            ck_assert(ce->x + ce->w <= o2->x || o2->x + o2->w <= ce->x || ce->y + ce->h <= o2->y || o2->y + o2->h <= ce->y);
        }
    }
    rdr_stage_state_at(b.sm, &b.st, 1 * MS - 1, 0);
    ck_assert_uint_eq(b.st.objs[p - 1].queued, 3996);
    ck_assert_uint_eq(b.st.objs[p - 1].running, 4);
    ck_assert_uint_le(b.st.objs[p - 1].nfutl, RDR_STAGE_LIST);
    ck_assert_uint_eq(b.st.objs[q - 1].level, 600);
    ck_assert_uint_le(b.st.objs[q - 1].ntok, RDR_STAGE_LIST);
    ck_assert_uint_eq(b.st.objs[l - 1].nwait, 300);
    ck_assert_uint_eq(b.st.objs[l - 1].nwaitl, RDR_STAGE_LIST);
    ck_assert_uint_eq(b.st.counts[TRC_ST_BLOCKED], 300);

    /* drawn at 1280x720: the actors' counts by state, the pool's by numbers */
    rdr_canvas *c;
    diag d = { 0 };
    ck_assert_int_eq(rdr_canvas_open(&c, 1280, 720, NULL, &d), 0);
    rdr_view v;
    rdr_view_desc desc = { .rec = b.rec, .models = &b.m, .nmodels = 1, .width = 1280, .height = 720, .stage = true, .at = 1 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, rdr_canvas_metrics(c));
    int x, y;
    ck_assert_uint_ge(find_text(&dl, "w \xc3\x97" "500", v.lay.stage_x, 0, v.lay.width, v.lay.height, &x, &y), 1);
    ck_assert_uint_ge(find_text(&dl, "3996 queued", v.lay.stage_x, 0, v.lay.width, v.lay.height, &x, &y), 1);
    ck_assert_uint_ge(find_text(&dl, "600 / 1000", v.lay.stage_x, 0, v.lay.width, v.lay.height, &x, &y), 1);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    rdr_canvas_close(c);
    rdr_stage_layout_release(&L);
    built_free(&b);
}
END_TEST


/* A kind this viewer does not know (a later backend's GIL, a pipe): a
 * labelled box with its waiters lined up beside it, never a crash. */
START_TEST(test_unknown_kind_is_a_box) {
    run_builder rb;
    rb_init(&rb, "future kinds");
    uint32_t a = rb_unit(&rb, "A"), bb = rb_unit(&rb, "B");
    uint32_t g = rb_obj(&rb, 42, "the_gil", 1);
    rb_ev(&rb, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, bb, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, a, TRC_EV_ACQUIRE, g, 0, 1, 0);
    rb_ev(&rb, 2 * MS, bb, TRC_EV_WAIT_BEGIN, g, 77, 0, 0);
    rb_ev(&rb, 8 * MS, a, TRC_EV_RELEASE, g, 0, 0, 0);
    rb_ev(&rb, 8 * MS, bb, TRC_EV_WAIT_END, g, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 9 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 9 * MS, bb, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    built b;
    built_model(&b, &rb, 10 * MS);
    rdr_stage_state_at(b.sm, &b.st, 5 * MS, 0);
    ck_assert_uint_eq(b.st.objs[g - 1].nwait, 1);
    ck_assert_uint_eq(b.st.units[bb].place, RDR_PLACE_WAIT);
    shot s;
    shot_take(&s, &b, 5 * MS, RDR_THEME_DARK);
    const rdr_stage_cell *ce = &s.L.cells[g - 1];
    ck_assert(ce->shown);
    ck_assert_int_ge(ce->nl, 1);
    rdr_drawlist dl = { 0 };
    rdr_build(&s.v, &dl, rdr_canvas_metrics(s.c));
    int x, y;
    ck_assert_uint_eq(find_text(&dl, "the_gil", s.ox + ce->x, s.oy + ce->y, s.ox + ce->x + ce->w, s.oy + ce->y + ce->h, &x, &y), 1);
    ck_assert_uint_eq(find_text(&dl, "object", s.ox + ce->px, s.oy + ce->py, s.ox + ce->x + ce->w, s.oy + ce->y + ce->h, &x, &y), 1);
    /* B waits in its line, a blocked body */
    ck_assert_uint_eq(px(&s, s.ox + ce->lx, s.oy + ce->ly - 3), rdr_state_color(TRC_ST_BLOCKED));
    rdr_drawlist_free(&dl);
    shot_free(&s);
    built_free(&b);
}
END_TEST


/* Pointing at the stage: a picture names its holder and its waiters in the
 * order they came; a figure says who it is and whom it waits for. */
START_TEST(test_stage_hover) {
    built b;
    uint32_t a, bb, c, d, l;
    make_lock(&b, &a, &bb, &c, &d, &l);
    shot s;
    shot_take(&s, &b, 30 * MS, RDR_THEME_DARK);
    const rdr_stage_cell *ce = &s.L.cells[l - 1];
    rdr_drawlist dl = { 0 };
    int x, y;
    rdr_view_event(&s.v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = s.ox + ce->x + 4, .y = s.oy + ce->y + ce->h - 3 });
    rdr_build(&s.v, &dl, rdr_canvas_metrics(s.c));
    ck_assert_uint_eq(find_text(&dl, "L (lock)", s.ox, 0, s.W, s.H, &x, &y), 1);
    ck_assert_uint_eq(find_text(&dl, "held by A", s.ox, 0, s.W, s.H, &x, &y), 1);
    ck_assert_uint_eq(find_text(&dl, "waiting, first come first: B, D, C", s.ox, 0, s.W, s.H, &x, &y), 1);
    /* the second in line */
    rdr_view_event(&s.v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = s.ox + ce->lx + ce->ldx, .y = s.oy + ce->ly - s.L.fig / 2 });
    rdr_build(&s.v, &dl, rdr_canvas_metrics(s.c));
    ck_assert_uint_eq(find_text(&dl, "D", s.ox, 0, s.W, s.H, &x, &y), 2);   /* its home label and the tip's title */
    ck_assert_uint_eq(find_text(&dl, "waits for A", s.ox, 0, s.W, s.H, &x, &y), 1);
    ck_assert_uint_eq(find_text(&dl, "number 2 in line", s.ox, 0, s.W, s.H, &x, &y), 1);
    /* nothing under the mouse: no tooltip */
    rdr_view_event(&s.v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = s.ox + s.L.w - 3, .y = s.oy + s.L.h - 3 });
    rdr_build(&s.v, &dl, rdr_canvas_metrics(s.c));
    ck_assert_uint_eq(find_text(&dl, "waits for A", s.ox, 0, s.W, s.H, &x, &y), 0);
    rdr_drawlist_free(&dl);
    shot_free(&s);
    built_free(&b);
}
END_TEST


/* Every kind of object from a real run, drawn at several times, in both themes,
 * from a big window down to a cramped one, one and three runs side by side:
 * the layout stays inside its rectangle and nothing breaks (ASan watches). */
START_TEST(test_render_every_kind_every_size) {
    tu_ran r;
    tu_run_text(&r, "stage_kinds",
                "lock m\nrlock rl\nsemaphore slots 2\nqueue q capacity=3\nqueue st capacity=2 kind=lifo\n"
                "rwlock table\nevent go\nbarrier gate 3\ncondition cv lock=m\ncounter n\npool p workers=2\n"
                "task job { sleep 200us }\n"
                "actor a * 3 { wait go; repeat 4 { lock m { incr n racy }; acquire slots { put q } }; wait gate;"
                " read table { sleep 100us } }\n"
                "actor b { sleep 1ms; set go; repeat 12 { get q }; lock rl { lock rl { put st; get st } };"
                " write table { sleep 100us }; lock m { notify_all cv } }\n"
                "actor c { lock m { wait cv timeout=20ms } }\n"
                "actor d { repeat 4 { submit p job }; as_completed { mark \"got\" } }\n",
                NULL, 0);
    static const int sizes[][2] = { { 1600, 900 }, { 1280, 720 }, { 800, 480 }, { 480, 320 } };   /* the last: no room for it */
    for (uint32_t nruns = 1; nruns <= 3; nruns += 2) {
        trc_model models[3] = { r.m, r.m, r.m };
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            rdr_canvas *c;
            diag d = { 0 };
            ck_assert_int_eq(rdr_canvas_open(&c, sizes[si][0], sizes[si][1], NULL, &d), 0);
            for (int theme = (int)(si + nruns) % 2; theme < RDR_THEME__COUNT; theme += 2) {   /* one theme per size, both over all */
                rdr_view v;
                rdr_view_desc desc = { .rec = r.rec, .models = models, .nmodels = nruns, .width = sizes[si][0],
                                       .height = sizes[si][1], .stage = true, .theme = theme, .at = 0 };
                ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
                for (int k = 0; k <= 5; k++) {
                    rdr_view_set_playhead(&v, v.total * k / 5);
                    rdr_canvas_frame(c, &v);
                }
                for (uint32_t run = 0; run < nruns && v.lay.stage_w; run++) {
                    int ox, oy, w, h;
                    ck_assert(rdr_stage_rect(&v, run, &ox, &oy, &w, &h));
                    rdr_stage_model *sm = rdr_stage_model_new(&r.m);
                    rdr_stage_layout L;
                    rdr_stage_layout_build(&L, sm, NULL, w, h, rdr_canvas_metrics(c));
                    uint32_t shown = 0;
                    for (uint32_t o = 0; o < r.run->nobjects; o++) {
                        const rdr_stage_cell *ce = &L.cells[o];
                        if (!ce->shown) continue;
                        shown++;
                        ck_assert(ce->x >= 0 && ce->y >= 0 && ce->x + ce->w <= L.w && ce->y + ce->h <= L.h);
                    }
                    ck_assert_uint_eq(shown + L.hidden, r.run->nobjects);
                    for (uint32_t u = 0; u < r.run->nunits; u++)
                        if (L.home_x[u] >= 0) ck_assert(L.home_x[u] < L.w && L.home_y[u] <= L.h);
                    rdr_stage_layout_release(&L);
                    rdr_stage_model_free(sm);
                }
                rdr_view_release(&v);
            }
            rdr_canvas_close(c);
        }
    }
    tu_ran_free(&r);
}
END_TEST

/* A real run drawn: the tokens in the queue's slots are as many as its depth. */
START_TEST(test_render_real_queue) {
    tu_ran r;
    tu_run_text(&r, "stage_pc_render",
                "queue jobs capacity=4\n"
                "actor producer * 2 { repeat 15 { compute 100us; put jobs } }\n"
                "actor consumer { repeat 30 { get jobs; sleep 400us } }\n",
                NULL, 0);
    built b = { .rec = NULL };
    b.sm = rdr_stage_model_new(&r.m);
    b.rec = r.rec;
    b.m = r.m;
    for (int i = 1; i < 10; i++) {
        uint64_t t = r.m.makespan * (uint64_t)i / 10;
        shot s;
        shot_take_at_speed(&s, &b, t, RDR_THEME_DARK, 1e-12);   /* no animation: every item in its slot */
        ck_assert_uint_eq(rdr_stage_anim_ns(&s.v), 0);
        rdr_stage_state_at(b.sm, &b.st, t, 0);
        const rdr_stage_obj *so = &b.st.objs[0];
        const rdr_stage_cell *ce = &s.L.cells[0];
        int full = 0, cx, cy, tx, ty;
        for (int k = 0; k < ce->nslots; k++) {
            slot_px(&s, ce, k, &cx, &cy, &tx, &ty);
            bool tok = px(&s, tx, ty) == COL_QUEUE_TOKEN;
            ck_assert_msg(tok == (k < so->level), "t %llu slot %d: token %d, depth %lld", (unsigned long long)t, k, tok,
                          (long long)so->level);
            full += tok;
        }
        ck_assert_int_eq(full, so->level);
        shot_free(&s);
    }
    rdr_stage_state_release(&b.st);
    rdr_stage_model_free(b.sm);
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
    tcase_add_test(tc, test_waiters_brute_force);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("render");
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_render_queue_slots);
    tcase_add_test(tr, test_render_padlock);
    tcase_add_test(tr, test_render_deadlock_ring);
    tcase_add_test(tr, test_layout_stable);
    tcase_add_test(tr, test_layout_summarises);
    tcase_add_test(tr, test_render_real_queue);
    tcase_add_test(tr, test_unknown_kind_is_a_box);
    tcase_add_test(tr, test_stage_hover);
    tcase_add_test(tr, test_render_every_kind_every_size);
    suite_add_tcase(s, tr);
    return s;
}

int main(void) { return run_suite(stage_suite()); }
