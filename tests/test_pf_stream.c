/* The owner sink and the streamed Perfetto export.
 *
 * Model: on hand-built runs (a contended lock, an rlock taken three deep, an
 * rwlock's writers among readers, a lost ACQUIRE, a lost RELEASE, a deadlock,
 * a file cut inside a chunk, a multi-run file) the ownerships an owner sink
 * receives are, in order, the owners a build without a sink stores; every
 * other part of the model is the same (owner counts, held time, repairs,
 * acquisitions, hand-offs, depth series, unit spans, warnings), and so is the
 * wait-for graph at the end (its holders come from the hold probes then).
 *
 * Export: the streamed trace (trc_pf_stream, owner slices written as the
 * model is built) is the same trace as trc_export_perfetto's from stored
 * owners (tests/pfcmp.h: packets per sequence, decoded events per track), its
 * descriptors come before their events, and decoded, its owner slices have
 * the owners' names and times, an rlock's depth slices nest, and the owner
 * sequence's first packet clears its incremental state.
 *
 * Helper thread (trc_pf_side.c): a run with many counter samples (a queue's
 * depth) exported with the samples encoded on the helper is the same trace
 * as on one thread (pfcmp, decoded), its bytes are the same on every export
 * and differ from the one-thread file only in where the blocks go; a write
 * that fails at any point (the writer's blocks or the helper's) fails the
 * export with ERR_IO, and returns (no thread left waiting). */
#include "testutil.h"
#include "pbdec.h"
#include "pfcmp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>

#define MS 1000000ull

/* ---- a sink that keeps what it gets --------------------------------------- */

typedef struct got {
    trc_owner_span *s; size_t n, cap;
    uint32_t *obj;
    size_t level_seen_bad;   /* spans whose end the level series had not reached (rlocks) */
} got;

static int keep_sink(void *ctx, const trc_model *m, uint32_t ob, const trc_owner_span *s) {
    got *g = ctx;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->s = realloc(g->s, g->cap * sizeof *g->s);
        g->obj = realloc(g->obj, g->cap * sizeof *g->obj);
    }
    g->s[g->n] = *s;
    g->obj[g->n++] = ob;
    ck_assert_ptr_null(m->objects[ob].owners);   /* nothing stored */
    return 0;
}

static void model_same(const trc_model *a, const trc_model *b) {
    const trc_run *run = a->run;
    ck_assert_uint_eq(a->makespan, b->makespan);
    ck_assert_uint_eq(a->nflows, b->nflows);
    ck_assert_uint_eq(a->warnings_total, b->warnings_total);
    ck_assert_uint_eq(a->lost, b->lost);
    for (size_t k = 0; k < a->nwarnings; k++) ck_assert_str_eq(a->warnings[k].msg, b->warnings[k].msg);
    for (size_t k = 0; k < a->nflows; k++) {   /* field by field: a flow has padding */
        const trc_flow *x = &a->flows[k], *y = &b->flows[k];
        ck_assert(x->id == y->id && x->t0 == y->t0 && x->t1 == y->t1 && x->u0 == y->u0 && x->u1 == y->u1 &&
                  x->obj == y->obj && x->kind == y->kind && x->item == y->item && x->ev0 == y->ev0 &&
                  x->ev1 == y->ev1 && x->has_value == y->has_value && x->value == y->value);
    }
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *x = &a->units[u], *y = &b->units[u];
        ck_assert_uint_eq(x->nspans, y->nspans);
        ck_assert(!x->nspans || !memcmp(x->spans, y->spans, x->nspans * sizeof *x->spans));
        ck_assert(!memcmp(x->t_state, y->t_state, sizeof x->t_state));
        ck_assert_uint_eq(x->hold_obj, 0);   /* no sink: no probes (the stored owners answer) */
    }
    for (uint32_t o = 0; o < run->nobjects; o++) {
        const trc_object_track *x = &a->objects[o], *y = &b->objects[o];
        ck_assert_uint_eq(x->nowners, y->nowners);
        ck_assert_uint_eq(x->t_held, y->t_held);
        ck_assert_uint_eq(x->repairs, y->repairs);
        ck_assert_uint_eq(x->acquires, y->acquires);
        ck_assert_uint_eq(x->shared_acquires, y->shared_acquires);
        ck_assert_uint_eq(x->handoffs, y->handoffs);
        ck_assert_uint_eq(x->waits, y->waits);
        ck_assert_uint_eq(x->nlevel, y->nlevel);
        ck_assert(!x->nlevel || !memcmp(x->level, y->level, x->nlevel * sizeof *x->level));
        ck_assert_ptr_null(y->owners);
        ck_assert_ptr_null(y->owners_held);
    }
}

/* Builds run r with and without a sink and compares; returns how many ownerships the sink got. */
static size_t sink_matches(const trc_run *run) {
    trc_model a, b;
    diag d;
    ck_assert_msg(trc_model_build(&a, run, &d) == 0, "%s", d.msg);
    got g = { 0 };
    trc_model_opts o = { .owner_sink = keep_sink, .sink_ctx = &g };
    ck_assert_msg(trc_model_build_opts(&b, run, &o, &d) == 0, "%s", d.msg);
    model_same(&a, &b);
    /* in time order per object, and exactly the stored owners */
    size_t total = 0;
    for (uint32_t ob = 0; ob < run->nobjects; ob++) {
        const trc_object_track *ot = &a.objects[ob];
        size_t k = 0;
        for (size_t i = 0; i < g.n; i++) {
            if (g.obj[i] != ob) continue;
            ck_assert_uint_lt(k, ot->nowners);
            ck_assert_msg(!memcmp(&g.s[i], &ot->owners[k], sizeof g.s[i]),
                          "object %u ownership %zu: [%llu,%llu) %u against the stored [%llu,%llu) %u", ob, k,
                          (unsigned long long)g.s[i].t0, (unsigned long long)g.s[i].t1, g.s[i].owner,
                          (unsigned long long)ot->owners[k].t0, (unsigned long long)ot->owners[k].t1,
                          ot->owners[k].owner);
            k++;
        }
        ck_assert_uint_eq(k, ot->nowners);
        total += k;
    }
    ck_assert_uint_eq(total, g.n);
    /* the wait-for graph at the end: the same from the hold probes */
    trc_waitfor wa, wb;
    ck_assert_int_eq(trc_waitfor_end(&wa, &a), 0);
    ck_assert_int_eq(trc_waitfor_end(&wb, &b), 0);
    ck_assert_uint_eq(wa.nwaits, wb.nwaits);
    ck_assert_uint_eq(wa.ncycle, wb.ncycle);
    for (size_t i = 0; i < wa.nwaits; i++) {   /* field by field: the edges have padding */
        const trc_wait_edge *x = &wa.waits[i], *y = &wb.waits[i];
        ck_assert_uint_eq(x->unit, y->unit);
        ck_assert_uint_eq(x->obj, y->obj);
        ck_assert_uint_eq(x->op, y->op);
        ck_assert_uint_eq(x->in_cycle, y->in_cycle);
        ck_assert_uint_eq(x->target, y->target);
        ck_assert_uint_eq(x->since, y->since);
        ck_assert_uint_eq(x->until, y->until);
        ck_assert_uint_eq(x->holder, y->holder);
    }
    for (size_t i = 0; i < wa.ncycle; i++) ck_assert_uint_eq(wa.cycle[i], wb.cycle[i]);
    trc_waitfor_release(&wa);
    trc_waitfor_release(&wb);
    free(g.s);
    free(g.obj);
    trc_model_release(&a);
    trc_model_release(&b);
    return total;
}

/* ---- exports, stored and streamed ------------------------------------------ */

static char *stored_export(const trc_recording *rec, size_t *n) {
    trc_model *m = calloc(rec->nruns ? rec->nruns : 1, sizeof *m);
    diag d;
    for (uint32_t r = 0; r < rec->nruns; r++) ck_assert_msg(trc_model_build(&m[r], &rec->runs[r], &d) == 0, "%s", d.msg);
    char *data = NULL;
    FILE *f = open_memstream(&data, n);
    ck_assert_msg(trc_export_perfetto(f, rec, m, &d) == 0, "%s", d.msg);
    fclose(f);
    for (uint32_t r = 0; r < rec->nruns; r++) trc_model_release(&m[r]);
    free(m);
    return data;
}

/* Each model the stream shows: its owners went to the sink, none stored. */
static void owners_not_stored(void *ctx, uint32_t r, const trc_model *m) {
    (void)r;
    ++*(uint32_t *)ctx;
    for (uint32_t ob = 0; ob < m->run->nobjects; ob++) ck_assert_ptr_null(m->objects[ob].owners);
}

static char *streamed_export(const trc_recording *rec, size_t *n) {
    char *data = NULL;
    FILE *f = open_memstream(&data, n);
    diag d;
    uint32_t seen = 0, failed;
    ck_assert_msg(trc_export_perfetto_streamed(f, rec, owners_not_stored, &seen, &failed, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(seen, rec->nruns);
    ck_assert_uint_eq(failed, UINT32_MAX);
    fclose(f);
    return data;
}

/* The streamed trace is the stored one's; returns it decoded (the caller frees both). */
static char *export_matches(const trc_recording *rec, pb_trace *t) {
    size_t na, nb;
    char *a = stored_export(rec, &na), *b = streamed_export(rec, &nb);
    char why[512];
    pfcmp_counts c;
    int rc = pfcmp((const uint8_t *)a, na, (const uint8_t *)b, nb, true, &c, why, sizeof why);
    if (rc) {   /* both kept for a look: pfequiv, check_semantics.py */
        FILE *f = fopen(tmp_path("stored.pftrace"), "wb");
        fwrite(a, 1, na, f);
        fclose(f);
        f = fopen(tmp_path("streamed.pftrace"), "wb");
        fwrite(b, 1, nb, f);
        fclose(f);
    }
    ck_assert_msg(rc == 0, "streamed export differs: %s (both in %s)", why, tmp_path(""));
    free(a);
    memset(t, 0, sizeof *t);
    ck_assert_msg(pb_decode(t, (const uint8_t *)b, nb) == 0, "%s", t->err);
    return b;
}

/* The events on the track named `name`, in file order (one sequence writes a track). */
static size_t track_events(const pb_trace *t, const char *name, const pb_event **out, size_t cap) {
    const pb_track *k = pb_track_by_name(t, name);
    ck_assert_msg(k != NULL, "no track %s", name);
    size_t n = 0;
    for (size_t i = 0; i < t->nevents; i++)
        if (t->events[i].track == k->uuid && n < cap) out[n++] = &t->events[i];
    return n;
}

static void ev_is(const pb_event *e, int type, const char *name, uint64_t ts) {
    ck_assert_msg(e->type == type && e->ts == ts && ((!name && !e->name) || (name && e->name && !strcmp(name, e->name))),
                  "event %d %s at %llu, expected %d %s at %llu", e->type, e->name ? e->name : "-",
                  (unsigned long long)e->ts, type, name ? name : "-", (unsigned long long)ts);
}

/* ---- the runs ------------------------------------------------------------------ */

/* x and y take A in turn, y waiting for it (a hand-off), twice */
static trc_recording *lock_run(void) {
    run_builder b;
    rb_init(&b, "lock");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint64_t k = 0; k < 2; k++) {
        uint64_t t = k * 10 * MS;
        rb_ev(&b, t + 1 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
        rb_ev(&b, t + 2 * MS, y, TRC_EV_WAIT_BEGIN, A, TRC_OP_LOCK, 0, 0);
        rb_ev(&b, t + 3 * MS, x, TRC_EV_RELEASE, A, 0, 0, 0);
        rb_ev(&b, t + 3 * MS, y, TRC_EV_WAIT_END, A, TRC_OUT_OK, 0, 0);
        rb_ev(&b, t + 3 * MS, y, TRC_EV_ACQUIRE, A, 0, 1, 0);
        rb_ev(&b, t + 5 * MS, y, TRC_EV_RELEASE, A, 0, 0, 0);
    }
    rb_ev(&b, 30 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 30 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 31 * MS);
}

/* x takes R three deep (1, 2, 3 ms), lets go to 1 (4, 5 ms), to 0 at 6 ms; y then holds it 7-8 ms */
static trc_recording *rlock_run(void) {
    run_builder b;
    rb_init(&b, "rlock");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t R = rb_obj(&b, TRC_OBJ_RLOCK, "R", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 3 * MS, x, TRC_EV_ACQUIRE, R, 0, 3, 0);
    rb_ev(&b, 4 * MS, x, TRC_EV_RELEASE, R, 0, 2, 0);
    rb_ev(&b, 5 * MS, x, TRC_EV_RELEASE, R, 0, 1, 0);
    rb_ev(&b, 6 * MS, x, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 7 * MS, y, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 8 * MS, y, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 9 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 9 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 10 * MS);
}

/* W: readers r1, r2 (aux 1, extra: readers), then writer w 3-4 ms, reader again, writer 6-7 ms */
static trc_recording *rwlock_run(void) {
    run_builder b;
    rb_init(&b, "rwlock");
    uint32_t r1 = rb_unit(&b, "r1"), r2 = rb_unit(&b, "r2"), w = rb_unit(&b, "w");
    uint32_t W = rb_obj(&b, TRC_OBJ_RWLOCK, "W", 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, r1, TRC_EV_ACQUIRE, W, 1, 0, 1);
    rb_ev(&b, 1 * MS, r2, TRC_EV_ACQUIRE, W, 1, 0, 2);
    rb_ev(&b, 2 * MS, r1, TRC_EV_RELEASE, W, 1, 0, 1);
    rb_ev(&b, 2 * MS, r2, TRC_EV_RELEASE, W, 1, 0, 0);
    rb_ev(&b, 3 * MS, w, TRC_EV_ACQUIRE, W, 0, 1, 0);
    rb_ev(&b, 4 * MS, w, TRC_EV_RELEASE, W, 0, 0, 0);
    rb_ev(&b, 5 * MS, r1, TRC_EV_ACQUIRE, W, 1, 0, 1);
    rb_ev(&b, 5 * MS + 1, r1, TRC_EV_RELEASE, W, 1, 0, 0);
    rb_ev(&b, 6 * MS, w, TRC_EV_ACQUIRE, W, 0, 1, 0);
    rb_ev(&b, 7 * MS, w, TRC_EV_RELEASE, W, 0, 0, 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&b, 8 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 9 * MS);
}

/* x holds A 1-2 ms; y's events from 3 ms are lost (its ACQUIRE of A among them); y releases A at 5 ms */
static trc_recording *lost_acquire_run(void) {
    run_builder b;
    rb_init(&b, "lost acquire");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y"), z = rb_unit(&b, "z");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 3 * MS, y, TRC_EV_LOST, 0, 0, 5, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 6 * MS, z, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 7 * MS, z, TRC_EV_RELEASE, A, 0, 0, 0);
    for (uint32_t u = 0; u < 3; u++) rb_ev(&b, 8 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 9 * MS);
}

/* x takes A at 1 ms, its events from 2 ms are lost (its RELEASE among them); y waits from 3 ms,
 * takes A at 5 ms; R (an rlock) loses x's release the same way while x holds it two deep */
static trc_recording *lost_release_run(void) {
    run_builder b;
    rb_init(&b, "lost release");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0), R = rb_obj(&b, TRC_OBJ_RLOCK, "R", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 1 * MS + 5, x, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_LOST, 0, 0, 3, 0);
    rb_ev(&b, 3 * MS, y, TRC_EV_WAIT_BEGIN, A, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_WAIT_END, A, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 6 * MS, y, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 6 * MS, y, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 7 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 7 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 8 * MS);
}

/* R's release by x is missing with no LOST event (an inconsistent file): x holds R two deep, its
 * last event at 5 ms, y takes R at 5 ms: x's ownership is cut at 5 ms, the very time of y's depth
 * sample, which the streamed rlock slices must see as the stored ones do */
static trc_recording *rlock_cut_at_acquire_run(void) {
    run_builder b;
    rb_init(&b, "rlock cut");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t R = rb_obj(&b, TRC_OBJ_RLOCK, "R", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 5 * MS, x, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 6 * MS, y, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 7 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 7 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 8 * MS);
    rec->runs[0].strings = arena_push(&rec->mem, sizeof(char *));
    rec->runs[0].strings[0] = "m";
    rec->runs[0].nstrings = 1;
    return rec;
}

/* x holds A and waits for B, y holds B and waits for A, until the run ends (no exit) */
static trc_recording *deadlock_run(void) {
    run_builder b;
    rb_init(&b, "deadlock");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0), B = rb_obj(&b, TRC_OBJ_LOCK, "B", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 1 * MS, y, TRC_EV_ACQUIRE, B, 0, 1, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_WAIT_BEGIN, B, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 2 * MS, y, TRC_EV_WAIT_BEGIN, A, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 3 * MS, x, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    return rb_finish(&b, 4 * MS);
}

/* ---- tests ----------------------------------------------------------------------- */

START_TEST(sink_lock) {
    trc_recording *rec = lock_run();
    ck_assert_uint_eq(sink_matches(&rec->runs[0]), 4);
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    uint64_t t0 = rec->runs[0].t_start;
    const pb_event *e[16];
    ck_assert_uint_eq(track_events(&t, "A owner", e, 16), 8);
    ev_is(e[0], PB_TE_BEGIN, "x", t0 + 1 * MS);
    ev_is(e[1], PB_TE_END, NULL, t0 + 3 * MS);
    ev_is(e[2], PB_TE_BEGIN, "y", t0 + 3 * MS);
    ev_is(e[3], PB_TE_END, NULL, t0 + 5 * MS);
    ev_is(e[4], PB_TE_BEGIN, "x", t0 + 11 * MS);
    ev_is(e[7], PB_TE_END, NULL, t0 + 15 * MS);
    /* its sequence: the first packet clears and needs its state, is first on it, and interns "x" */
    ck_assert(e[0]->first_on_seq);
    ck_assert_uint_eq(e[0]->flags, 3);
    ck_assert_uint_eq(e[2]->flags, 2);   /* a name: NEEDS */
    ck_assert(!e[2]->first_on_seq);
    ck_assert_uint_eq(e[1]->seq, e[0]->seq);
    for (size_t i = 0; i < t.nevents; i++)   /* the owner sequence is A's track alone */
        if (t.events[i].seq == e[0]->seq) ck_assert_uint_eq(t.events[i].track, e[0]->track);
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(sink_rlock_depth) {
    trc_recording *rec = rlock_run();
    ck_assert_uint_eq(sink_matches(&rec->runs[0]), 2);
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    uint64_t t0 = rec->runs[0].t_start;
    const pb_event *e[16];
    ck_assert_uint_eq(track_events(&t, "R owner", e, 16), 8);
    ev_is(e[0], PB_TE_BEGIN, "x (depth 3)", t0 + 1 * MS);
    ev_is(e[1], PB_TE_BEGIN, "depth 2", t0 + 2 * MS);
    ev_is(e[2], PB_TE_BEGIN, "depth 3", t0 + 3 * MS);
    ev_is(e[3], PB_TE_END, NULL, t0 + 4 * MS);   /* depth 3 ends */
    ev_is(e[4], PB_TE_END, NULL, t0 + 5 * MS);   /* depth 2 */
    ev_is(e[5], PB_TE_END, NULL, t0 + 6 * MS);   /* the ownership */
    ev_is(e[6], PB_TE_BEGIN, "y", t0 + 7 * MS);
    ev_is(e[7], PB_TE_END, NULL, t0 + 8 * MS);
    ck_assert(e[0]->first_on_seq);
    ck_assert_uint_eq(e[0]->flags, 3);
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(sink_rwlock_writers) {
    trc_recording *rec = rwlock_run();
    ck_assert_uint_eq(sink_matches(&rec->runs[0]), 2);   /* the writer's two, not the readers' */
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    uint64_t t0 = rec->runs[0].t_start;
    const pb_event *e[16];
    ck_assert_uint_eq(track_events(&t, "W writer", e, 16), 4);
    ev_is(e[0], PB_TE_BEGIN, "w", t0 + 3 * MS);
    ev_is(e[1], PB_TE_END, NULL, t0 + 4 * MS);
    ev_is(e[2], PB_TE_BEGIN, "w", t0 + 6 * MS);
    ev_is(e[3], PB_TE_END, NULL, t0 + 7 * MS);
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(sink_lost_acquire_and_release) {
    trc_recording *rec = lost_acquire_run();
    ck_assert_uint_eq(sink_matches(&rec->runs[0]), 3);   /* x, unknown (y's gap), z */
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    const pb_event *e[16];
    ck_assert_uint_eq(track_events(&t, "A owner", e, 16), 4);   /* nobody's ownership has no slice */
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
    rec = lost_release_run();
    ck_assert_uint_ge(sink_matches(&rec->runs[0]), 4);
    bytes = export_matches(rec, &t);
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(sink_rlock_cut_at_an_acquire) {
    trc_recording *rec = rlock_cut_at_acquire_run();
    ck_assert_uint_eq(sink_matches(&rec->runs[0]), 2);
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(sink_deadlock_holders) {
    trc_recording *rec = deadlock_run();
    sink_matches(&rec->runs[0]);   /* compares the wait-for graphs too */
    trc_model m;
    diag d;
    got g = { 0 };
    trc_model_opts o = { .owner_sink = keep_sink, .sink_ctx = &g };
    ck_assert_int_eq(trc_model_build_opts(&m, &rec->runs[0], &o, &d), 0);
    trc_waitfor w;
    ck_assert_int_eq(trc_waitfor_end(&w, &m), 0);
    ck_assert_uint_eq(w.nwaits, 2);
    ck_assert_uint_eq(w.waits[0].holder, 1);   /* x waits for B, held by y */
    ck_assert_uint_eq(w.waits[1].holder, 0);   /* y waits for A, held by x (until the end) */
    ck_assert_uint_eq(w.ncycle, 2);
    trc_waitfor_release(&w);
    trc_model_release(&m);
    free(g.s);
    free(g.obj);
    pb_trace t;
    char *bytes = export_matches(rec, &t);   /* the deadlock instants name the same holders */
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

/* A file of n lock rounds by three units, saved; returns its path. */
static const char *write_locks(const char *name, uint64_t rounds) {
    run_builder b;
    rb_init(&b, "locks");
    uint32_t u[3] = { rb_unit(&b, "a"), rb_unit(&b, "b"), rb_unit(&b, "c") };
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    for (int k = 0; k < 3; k++) rb_ev(&b, 0, u[k], TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint64_t i = 0; i < rounds; i++) {
        rb_ev(&b, 1000 + i * 10, u[i % 3], TRC_EV_ACQUIRE, A, 0, 1, 0);
        rb_ev(&b, 1000 + i * 10 + 5, u[i % 3], TRC_EV_RELEASE, A, 0, 0, 0);
    }
    for (int k = 0; k < 3; k++) rb_ev(&b, 1000 + rounds * 10 + 5, u[k], TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 1000 + rounds * 10 + 10);
    const char *path = tmp_path(name);
    diag d;
    ck_assert_int_eq(trc_recording_save(rec, path, &d), 0);
    trc_recording_free(rec);
    return path;
}

START_TEST(sink_file_cut_inside_a_chunk) {
    /* 100k rounds (200k events, four chunks), the file cut in its third chunk: the owners read
     * from the file stream the same way, the last one held at the cut is closed there */
    const char *path = write_locks("locks.weft", 100000);
    char *data;
    size_t n;
    diag d;
    ck_assert_int_eq(file_read_all(path, &data, &n, &d), 0);
    const char *cpath = tmp_path("locks-cut.weft");
    FILE *f = fopen(cpath, "wb");
    size_t cut_at = n * 3 / 5 + 13;
    ck_assert_uint_eq(fwrite(data, 1, cut_at, f), cut_at);
    fclose(f);
    free(data);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_open(&rec, cpath, 0, &d), 0);
    ck_assert(rec->truncated && rec->runs[0].cut);
    ck_assert_ptr_nonnull(rec->runs[0].src);
    ck_assert_uint_gt(sink_matches(&rec->runs[0]), 1000);
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(stream_multi_run_file) {
    /* two runs in one file (the lock and the rlock runs): each run's model is built and written in
     * turn; the trace is the stored export's */
    trc_recording *a = lock_run(), *b = rlock_run();
    trc_run runs[2] = { a->runs[0], b->runs[0] };
    runs[1].t_start += 100 * MS;   /* a later start: times shift (multi-run origin 0) */
    for (size_t i = 0; i < runs[1].nevents; i++) runs[1].events[i].t += 100 * MS;
    trc_recording two = { .runs = runs, .nruns = 2 };
    const char *path = tmp_path("two.weft");
    diag d;
    ck_assert_msg(trc_recording_save(&two, path, &d) == 0, "%s", d.msg);
    trc_recording_free(a);
    trc_recording_free(b);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    ck_assert_uint_eq(rec->nruns, 2);
    for (uint32_t r = 0; r < 2; r++) sink_matches(&rec->runs[r]);
    pb_trace t;
    char *bytes = export_matches(rec, &t);
    const pb_event *e[16];
    ck_assert_uint_eq(track_events(&t, "R owner", e, 16), 8);
    ev_is(e[0], PB_TE_BEGIN, "x (depth 3)", 1 * MS);   /* run 2 from 0 */
    pb_free(&t);
    free(bytes);
    trc_recording_free(rec);
}
END_TEST

START_TEST(stream_makespan_known_before) {
    /* the process track is described before the model is built, with the makespan the model then
     * has: a loaded run's latest event (t_last) is known from the reader */
    const char *path = write_locks("locks2.weft", 1000);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    const trc_run *run = &rec->runs[0];
    ck_assert_uint_eq(run->t_last, run->t_start + 1000 + 1000 * 10 + 5);
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, run, &d), 0);
    uint64_t last = run->t_end > run->t_last ? run->t_end : run->t_last;
    ck_assert_uint_eq(m.makespan, last - run->t_start);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

static int failing_sink(void *ctx, const trc_model *m, uint32_t ob, const trc_owner_span *s) {
    (void)m; (void)ob; (void)s;
    return ++*(int *)ctx == 2 ? -ERR_IO : 0;
}

START_TEST(sink_failure_stops_the_build) {
    trc_recording *rec = lock_run();
    int calls = 0;
    trc_model_opts o = { .owner_sink = failing_sink, .sink_ctx = &calls };
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build_opts(&m, &rec->runs[0], &o, &d), -ERR_IO);
    ck_assert_int_eq(calls, 2);   /* never called again after its failure */
    ck_assert_ptr_null(m.units);   /* released */
    trc_recording_free(rec);
}
END_TEST

/* A model whose owners went to a sink of someone else's holds no owner slices: the export
 * refuses it (naming the object) instead of describing the lock's track with nothing on it. */
START_TEST(foreign_sink_model_refused) {
    trc_recording *rec = lock_run();
    got g = { 0 };
    trc_model_opts o = { .owner_sink = keep_sink, .sink_ctx = &g };
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build_opts(&m, &rec->runs[0], &o, &d), 0);
    ck_assert_uint_eq(g.n, 4);
    char *bytes = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&bytes, &n);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(trc_export_perfetto(f, rec, &m, &d), -ERR_USAGE);
    ck_assert_msg(strstr(d.msg, "holds no owner slices of 'A'"), "%s", d.msg);
    fclose(f);
    free(bytes);
    free(g.s);
    free(g.obj);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST


/* ---- the helper thread ------------------------------------------------------ */

/* p puts n items into Q (depth 1, 2, then back), c gets them; x and p take lock A in between:
 * about 4n counter samples (Q's depth) and n flows: several blocks of each thread. */
static trc_recording *queue_run(uint32_t n) {
    run_builder b;
    rb_init(&b, "queue");
    uint32_t p = rb_unit(&b, "p"), c = rb_unit(&b, "c");
    uint32_t Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 0), A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    rb_ev(&b, 0, p, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint64_t k = 0; k < n; k++) {
        uint64_t t = 1000 + k * 1000;
        rb_ev(&b, t, p, TRC_EV_PUT, Q, 0, 2 * k + 1, 1);
        rb_ev(&b, t + 100, p, TRC_EV_PUT, Q, 0, 2 * k + 2, 2);
        rb_ev(&b, t + 200, c, TRC_EV_GET, Q, 0, 2 * k + 1, 1);
        rb_ev(&b, t + 300, c, TRC_EV_GET, Q, 0, 2 * k + 2, 0);
        rb_ev(&b, t + 400, p, TRC_EV_ACQUIRE, A, 0, 1, 0);
        rb_ev(&b, t + 500, p, TRC_EV_RELEASE, A, 0, 0, 0);
    }
    uint64_t end = 1000 + (uint64_t)n * 1000;
    rb_ev(&b, end, p, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, end, c, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, end + 1);
}

START_TEST(side_same_trace) {
    trc_recording *rec = queue_run(20000);
    size_t was = trc_pf_helper_min(SIZE_MAX);
    size_t n1, n2, n3, n4, n5;
    char *one = stored_export(rec, &n1);   /* one thread */
    trc_pf_helper_min(0);
    char *two = stored_export(rec, &n2), *again = stored_export(rec, &n3);
    char *st = streamed_export(rec, &n4);
    trc_pf_helper_min(SIZE_MAX);
    char *st1 = streamed_export(rec, &n5);
    trc_pf_helper_min(was);
    ck_assert_uint_gt(n1, 4u << 20);   /* several blocks of each thread */
    /* deterministic: the same bytes on every export */
    ck_assert_uint_eq(n2, n3);
    ck_assert(!memcmp(two, again, n2));
    /* the helper ran: the same bytes in another order */
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(one, two, n1) != 0);
    char why[512];
    pfcmp_counts c;
    int rc = pfcmp((const uint8_t *)one, n1, (const uint8_t *)two, n2, true, &c, why, sizeof why);
    ck_assert_msg(rc == 0, "two threads against one: %s", why);
    ck_assert_uint_gt(c.events, 4 * 20000);
    rc = pfcmp((const uint8_t *)st1, n5, (const uint8_t *)st, n4, true, &c, why, sizeof why);
    ck_assert_msg(rc == 0, "streamed, two threads against one: %s", why);
    /* decoded: Q's depth is every sample, in order */
    pb_trace t;
    memset(&t, 0, sizeof t);
    ck_assert_msg(pb_decode(&t, (const uint8_t *)two, n2) == 0, "%s", t.err);
    const pb_track *k = pb_track_by_name(&t, "Q depth");
    ck_assert_ptr_nonnull(k);
    size_t ns = 0;
    int64_t prev_t = -1;
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        if (e->track != k->uuid) continue;
        ck_assert_int_eq(e->type, PB_TE_COUNTER);
        ck_assert_int_ge((int64_t)e->ts, prev_t);
        prev_t = (int64_t)e->ts;
        ns++;
    }
    ck_assert_uint_eq(ns, 1 + 4 * 20000);   /* 0 at the start, then one per put and get */
    pb_free(&t);
    /* small runs, the helper forced: every block of its after the descriptors of its tracks */
    trc_recording *small[] = { rwlock_run(), queue_run(3), lock_run() };
    for (int i = 0; i < 3; i++) {
        size_t m1, m2;
        trc_pf_helper_min(SIZE_MAX);
        char *a = stored_export(small[i], &m1);
        trc_pf_helper_min(0);
        char *b = stored_export(small[i], &m2);
        rc = pfcmp((const uint8_t *)a, m1, (const uint8_t *)b, m2, true, &c, why, sizeof why);
        ck_assert_msg(rc == 0, "small run %d, two threads against one: %s", i, why);
        free(b);
        b = streamed_export(small[i], &m2);
        rc = pfcmp((const uint8_t *)a, m1, (const uint8_t *)b, m2, true, &c, why, sizeof why);
        ck_assert_msg(rc == 0, "small run %d, streamed, two threads against one: %s", i, why);
        free(a);
        free(b);
        trc_recording_free(small[i]);
    }
    trc_pf_helper_min(was);
    free(one);
    free(two);
    free(again);
    free(st);
    free(st1);
    trc_recording_free(rec);
}
END_TEST

/* A pipe whose reader (a child process) takes `at` bytes and goes: the writes after fail (EPIPE). */
static FILE *pipe_taking(size_t at, pid_t *child) {
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    *child = fork();
    ck_assert_int_ge(*child, 0);
    if (*child == 0) {
        close(p[1]);
        static char sink[1 << 16];
        while (at) {
            ssize_t k = read(p[0], sink, at < sizeof sink ? at : sizeof sink);
            if (k <= 0) break;
            at -= (size_t)k;
        }
        _exit(0);
    }
    close(p[0]);
    FILE *f = fdopen(p[1], "wb");
    ck_assert_ptr_nonnull(f);
    return f;
}

START_TEST(side_write_error) {
    signal(SIGPIPE, SIG_IGN);
    trc_recording *rec = queue_run(20000);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    size_t was = trc_pf_helper_min(0), total;
    free(stored_export(rec, &total));
    /* failing at every MiB or so: in a block of the writer's or the helper's, or at the start */
    for (size_t at = 0; at + (256u << 10) < total; at += (1u << 20) - 4096) {
        for (int way = 0; way < 2; way++) {
            pid_t child;
            FILE *f = pipe_taking(at, &child);
            int rc = way ? trc_export_perfetto_streamed(f, rec, NULL, NULL, NULL, &d) : trc_export_perfetto(f, rec, &m, &d);
            ck_assert_msg(rc == -ERR_IO, "failing after %zu of %zu bytes (%s): %d", at, total,
                          way ? "streamed" : "stored", rc);
            ck_assert_msg(strstr(d.msg, "cannot write the Perfetto trace"), "%s", d.msg);
            fclose(f);
            waitpid(child, NULL, 0);
        }
    }
    trc_pf_helper_min(was);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pf_stream");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sink_lock);
    tcase_add_test(tc, sink_rlock_depth);
    tcase_add_test(tc, sink_rwlock_writers);
    tcase_add_test(tc, sink_lost_acquire_and_release);
    tcase_add_test(tc, sink_rlock_cut_at_an_acquire);
    tcase_add_test(tc, sink_deadlock_holders);
    tcase_add_test(tc, sink_file_cut_inside_a_chunk);
    tcase_add_test(tc, stream_multi_run_file);
    tcase_add_test(tc, stream_makespan_known_before);
    tcase_add_test(tc, sink_failure_stops_the_build);
    tcase_add_test(tc, foreign_sink_model_refused);
    /* traces of several MiB, decoded: minutes under the sanitizers */
    TCase *th = tcase_create("helper");
    tcase_set_timeout(th, 900);
    tcase_add_test(th, side_same_trace);
    tcase_add_test(th, side_write_error);
    suite_add_tcase(s, th);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
