/* Perfetto export: build runs by hand, export into memory, decode with our own
 * decoder (pbdec) and check tracks, slices, counters and flows exactly; then
 * let the shared semantic checker judge a richer trace. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pbdec.h"
#include "testutil.h"

#define T0 1000000000ull   /* testutil's run start */
/* A run's start in the trace: its own start (T0) in a one-run recording, 0 with several runs. */
static uint64_t ts0 = T0;

/* ---- helpers ---------------------------------------------------------------- */

typedef struct exported {
    trc_recording *rec;
    trc_model *models;
    char *data;
    size_t n;
    pb_trace tr;
} exported;

static void set_strings(run_builder *b, const char *const *s, uint32_t n) {
    b->run->strings = arena_push(&b->rec->mem, sizeof(char *) * n);
    for (uint32_t i = 0; i < n; i++) b->run->strings[i] = arena_strdup(&b->rec->mem, s[i]);
    b->run->nstrings = n;
}

static trc_model *build_models(const trc_recording *rec) {
    trc_model *m = xcalloc(rec->nruns ? rec->nruns : 1, sizeof *m);
    for (uint32_t r = 0; r < rec->nruns; r++) {
        diag d = { 0 };
        int rc = trc_model_build(&m[r], &rec->runs[r], &d);
        ck_assert_msg(rc == 0, "model of run %u: %s", r, d.msg);
    }
    return m;
}

static int export_mem(const trc_recording *rec, const trc_model *m, char **data, size_t *n, diag *d) {
    FILE *f = open_memstream(data, n);
    ck_assert_ptr_nonnull(f);
    int rc = trc_export_perfetto(f, rec, m, d);
    ck_assert_int_eq(fclose(f), 0);
    return rc;
}

static void export_decode(exported *x, trc_recording *rec) {
    memset(x, 0, sizeof *x);
    x->rec = rec;
    x->models = build_models(rec);
    diag d = { 0 };
    int rc = export_mem(rec, x->models, &x->data, &x->n, &d);
    ck_assert_msg(rc == 0, "export: %s", d.msg);
    ck_assert_uint_gt(x->n, 0);
    ck_assert_int_eq((unsigned char)x->data[0], 0x0a);
    rc = pb_decode(&x->tr, (const uint8_t *)x->data, x->n);
    ck_assert_msg(rc == 0, "decode: %s", x->tr.err);
}

static void exported_free(exported *x, bool free_rec) {
    pb_free(&x->tr);
    free(x->data);
    for (uint32_t r = 0; r < x->rec->nruns; r++) trc_model_release(&x->models[r]);
    free(x->models);
    if (free_rec) trc_recording_free(x->rec);
}

/* The events in trace_processor's order: by timestamp, then file position
 * (the exporter writes one sequence per stream, so file order is not time order). */
static const pb_event **tp_order(const pb_trace *t) {
    const pb_event **v = xmalloc((t->nevents + 1) * sizeof *v);
    for (size_t i = 0; i < t->nevents; i++) v[i] = &t->events[i];
    for (size_t i = 1; i < t->nevents; i++) {     /* insertion sort: stable, and small inputs */
        const pb_event *x = v[i];
        size_t j = i;
        while (j > 0 && (v[j - 1]->ts > x->ts || (v[j - 1]->ts == x->ts && v[j - 1]->packet > x->packet))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    return v;
}

/* Slices of one track rebuilt from BEGIN/END/INSTANT in trace_processor's order. */
typedef struct slc { const char *name; uint64_t t0, t1; int depth; bool instant; const pb_event *ev; } slc;

static size_t slices_of(const pb_trace *t, uint64_t track, slc *out, size_t cap) {
    size_t n = 0, stack[64];
    int depth = 0;
    const pb_event **ord = tp_order(t);
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = ord[i];
        if (!e->has_track || e->track != track) continue;
        switch (e->type) {
        case PB_TE_BEGIN:
            ck_assert_uint_lt(n, cap);
            ck_assert_int_lt(depth, 64);
            out[n] = (slc){ e->name, e->ts, UINT64_MAX, depth, false, e };
            stack[depth++] = n++;
            break;
        case PB_TE_END:
            ck_assert_msg(depth > 0, "END without BEGIN on track %llu", (unsigned long long)track);
            ck_assert_ptr_null(e->name);   /* no name on END events */
            out[stack[--depth]].t1 = e->ts;
            break;
        case PB_TE_INSTANT:
            ck_assert_uint_lt(n, cap);
            out[n++] = (slc){ e->name, e->ts, e->ts, depth, true, e };
            break;
        default:
            ck_abort_msg("unexpected event type %d on slice track", e->type);
        }
    }
    free(ord);
    ck_assert_int_eq(depth, 0);
    return n;
}

typedef struct want_slc { const char *name; uint64_t t0, t1; int depth; bool instant; } want_slc;

static void check_slices(const pb_trace *t, uint64_t track, const want_slc *w, size_t nw) {
    slc got[64];
    size_t n = slices_of(t, track, got, 64);
    for (size_t i = 0; i < n && i < nw; i++) {
        ck_assert_msg(got[i].name && strcmp(got[i].name, w[i].name) == 0, "slice %zu: name '%s', want '%s'", i,
                      got[i].name ? got[i].name : "(null)", w[i].name);
        ck_assert_msg(got[i].t0 == ts0 + w[i].t0 && got[i].t1 == ts0 + w[i].t1,
                      "slice %zu '%s': [%llu, %llu], want [%llu, %llu]", i, w[i].name,
                      (unsigned long long)(got[i].t0 - ts0), (unsigned long long)(got[i].t1 - ts0),
                      (unsigned long long)w[i].t0, (unsigned long long)w[i].t1);
        ck_assert_msg(got[i].depth == w[i].depth, "slice %zu '%s': depth %d, want %d", i, w[i].name,
                      got[i].depth, w[i].depth);
        ck_assert_int_eq(got[i].instant, w[i].instant);
    }
    ck_assert_uint_eq(n, nw);
}

/* Timestamps never go back on a sequence; the first event of a sequence clears state. */
static void check_sequences(const pb_trace *t) {
    uint64_t last[64] = { 0 };
    bool seen[64] = { false };
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        ck_assert_uint_lt(e->seq, 64);
        if (!seen[e->seq]) {
            ck_assert_uint_eq(e->flags, 3);
            ck_assert(e->first_on_seq);
            seen[e->seq] = true;
        } else {
            ck_assert(!e->first_on_seq);
            ck_assert_uint_ge(e->ts, last[e->seq]);
        }
        last[e->seq] = e->ts;
        if (e->name_iid) ck_assert_uint_ne(e->flags & 2, 0);
    }
}

/* Every flow id starts exactly once and terminates exactly once, on these tracks. */
static const pb_event *flow_end(const pb_trace *t, uint64_t id, bool terminating) {
    const pb_event *found = NULL;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        size_t n = terminating ? e->ntflows : e->nflows;
        const uint64_t *v = terminating ? e->tflows : e->flows;
        for (size_t k = 0; k < n; k++) {
            if (v[k] != id) continue;
            ck_assert_msg(!found, "flow %llu appears twice as %s", (unsigned long long)id,
                          terminating ? "terminating" : "outgoing");
            found = e;
        }
    }
    return found;
}

static void check_all_flows_paired(const pb_trace *t, size_t want) {
    size_t n = 0;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        for (size_t k = 0; k < e->nflows; k++) {
            const pb_event *end = flow_end(t, e->flows[k], true);
            ck_assert_msg(end, "flow %llu never terminates", (unsigned long long)e->flows[k]);
            /* starts before it ends in trace_processor's order */
            ck_assert(end->ts > e->ts || (end->ts == e->ts && end->packet > e->packet));
            ck_assert(flow_end(t, e->flows[k], false) == e);
            n++;
        }
        for (size_t k = 0; k < e->ntflows; k++) ck_assert(flow_end(t, e->tflows[k], false));
    }
    ck_assert_uint_eq(n, want);
}

/* ---- the basic run: two threads, a contended lock with a hand-off, a queue ---- */

static trc_recording *basic_run(void) {
    run_builder b;
    rb_init(&b, "Lock and queue");
    uint32_t A = rb_unit(&b, "producer"), B = rb_unit(&b, "consumer");
    uint32_t m = rb_obj(&b, TRC_OBJ_LOCK, "m", 0), q = rb_obj(&b, TRC_OBJ_QUEUE, "q", 4);
    static const char *const strs[] = { "halfway" };
    set_strings(&b, strs, 1);
    rb_ev(&b, 0, A, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, B, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 100, A, TRC_EV_COMPUTE_BEGIN, 0, 0, 200, 0);
    rb_ev(&b, 300, A, TRC_EV_COMPUTE_END, 0, 0, 200, 0);
    rb_ev(&b, 300, A, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&b, 400, B, TRC_EV_WAIT_BEGIN, m, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 500, A, TRC_EV_PUT, q, 0, 7, 1);
    rb_ev(&b, 600, A, TRC_EV_RELEASE, m, 0, 0, 0);
    rb_ev(&b, 650, B, TRC_EV_WAIT_END, m, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 650, B, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&b, 700, B, TRC_EV_GET, q, 0, 7, 0);
    rb_ev(&b, 800, B, TRC_EV_RELEASE, m, 0, 0, 0);
    rb_ev(&b, 900, A, TRC_EV_SLEEP_BEGIN, 0, 0, 300, 0);
    rb_ev(&b, 1000, A, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&b, 1100, B, TRC_EV_WAIT_BEGIN, q, TRC_OP_GET, 0, 0);
    rb_ev(&b, 1200, A, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    /* put and get at the very same nanosecond: the flow must still start first */
    rb_ev(&b, 1300, A, TRC_EV_PUT, q, 0, 8, 1);
    rb_ev(&b, 1300, B, TRC_EV_WAIT_END, q, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 1300, B, TRC_EV_GET, q, 0, 8, 0);
    rb_ev(&b, 1400, A, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 1500, B, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    return rb_finish(&b, 2000);
}

START_TEST(test_track_tree) {
    exported x;
    export_decode(&x, basic_run());
    const pb_trace *t = &x.tr;
    const pb_track *proc = pb_track_by_name(t, "Lock and queue (threads)");
    ck_assert_ptr_nonnull(proc);
    ck_assert(proc->is_process);
    ck_assert_int_gt(proc->pid, 0);
    ck_assert_uint_ne(proc->uuid, 0);
    ck_assert_uint_eq(proc->parent, 0);
    ck_assert_ptr_nonnull(proc->description);

    const pb_track *A = pb_track_by_name(t, "producer"), *B = pb_track_by_name(t, "consumer");
    ck_assert_ptr_nonnull(A);
    ck_assert_ptr_nonnull(B);
    ck_assert(A->is_thread && B->is_thread);
    ck_assert_int_eq(A->pid, proc->pid);
    ck_assert_int_eq(B->pid, proc->pid);
    ck_assert_int_gt(A->tid, 0);
    ck_assert_int_gt(B->tid, 0);
    ck_assert_int_ne(A->tid, B->tid);
    ck_assert_int_ne(A->tid, proc->pid);
    ck_assert_uint_eq(A->parent, 0);   /* thread tracks are roots */
    ck_assert_uint_eq(B->parent, 0);
    ck_assert(A->has_rank && B->has_rank && A->rank < B->rank);

    const pb_track *qd = pb_track_by_name(t, "q depth");
    ck_assert_ptr_nonnull(qd);
    ck_assert(qd->is_counter);
    ck_assert_uint_eq(qd->parent, proc->uuid);
    ck_assert_str_eq(qd->counter_unit_name, "items");
    const pb_track *mo = pb_track_by_name(t, "m owner");
    ck_assert_ptr_nonnull(mo);
    ck_assert(!mo->is_counter && !mo->is_thread && !mo->is_process);
    ck_assert_uint_eq(mo->parent, proc->uuid);
    ck_assert_ptr_null(pb_track_by_name(t, "m depth"));
    ck_assert_ptr_null(pb_track_by_name(t, "q owner"));

    /* uuid 0 carries only the ordering; every uuid is unique (pbdec enforces it) */
    const pb_track *root = pb_track_by_uuid(t, 0);
    ck_assert_ptr_nonnull(root);
    ck_assert(!root->is_process && !root->is_thread && !root->name);
    ck_assert_uint_eq(t->ntracks, 6);
    /* every descriptor comes before the first event */
    ck_assert_uint_eq(t->events[0].packet, t->ntracks);
    exported_free(&x, true);
}
END_TEST

START_TEST(test_thread_slices) {
    exported x;
    export_decode(&x, basic_run());
    const pb_trace *t = &x.tr;
    check_sequences(t);
    const want_slc wa[] = {
        { "producer", 0, 1400, 0, false },
        { "computing", 100, 300, 1, false },
        { "put q", 500, 500, 1, true },
        { "release m", 600, 600, 1, true },
        { "sleeping", 900, 1200, 1, false },
        { "halfway", 1000, 1000, 2, true },
        { "put q", 1300, 1300, 1, true },
    };
    check_slices(t, pb_track_by_name(t, "producer")->uuid, wa, sizeof wa / sizeof *wa);
    const want_slc wb[] = {
        { "consumer", 0, 1500, 0, false },
        { "blocked on m (lock)", 400, 650, 1, false },
        { "acquire m", 650, 650, 1, true },
        { "get q", 700, 700, 1, true },
        { "blocked on q (get)", 1100, 1300, 1, false },
        { "get q", 1300, 1300, 1, true },
    };
    check_slices(t, pb_track_by_name(t, "consumer")->uuid, wb, sizeof wb / sizeof *wb);
    const want_slc wm[] = {
        { "producer", 300, 600, 0, false },
        { "consumer", 650, 800, 0, false },
    };
    check_slices(t, pb_track_by_name(t, "m owner")->uuid, wm, sizeof wm / sizeof *wm);

    /* arguments of the blocked slice and the lifetime */
    slc s[64];
    size_t n = slices_of(t, pb_track_by_name(t, "consumer")->uuid, s, 64);
    ck_assert_uint_ge(n, 2);
    const pb_annot *a = pb_event_annot(s[1].ev, "object");
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->kind, PB_ANN_STR);
    ck_assert_str_eq(a->s, "m");
    a = pb_event_annot(s[1].ev, "outcome");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->s, "ok");
    a = pb_event_annot(s[0].ev, "exit");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->s, "exited");
    a = pb_event_annot(s[3].ev, "item");
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->kind, PB_ANN_UINT);
    ck_assert_uint_eq(a->u, 7);
    exported_free(&x, true);
}
END_TEST

START_TEST(test_queue_counter) {
    exported x;
    export_decode(&x, basic_run());
    const pb_trace *t = &x.tr;
    uint64_t qd = pb_track_by_name(t, "q depth")->uuid;
    const uint64_t wt[] = { 0, 500, 700, 1300, 1300 };
    const int64_t wv[] = { 0, 1, 0, 1, 0 };
    size_t n = 0;
    const pb_event **ord = tp_order(t);
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = ord[i];
        if (e->type == PB_TE_COUNTER) ck_assert_uint_eq(e->track, qd);
        if (e->track != qd) continue;
        ck_assert_int_eq(e->type, PB_TE_COUNTER);
        ck_assert(e->has_counter);
        ck_assert_uint_lt(n, 5);
        ck_assert_uint_eq(e->ts, T0 + wt[n]);
        ck_assert_int_eq(e->counter, wv[n]);
        n++;
    }
    ck_assert_uint_eq(n, 5);
    free(ord);
    exported_free(&x, true);
}
END_TEST

START_TEST(test_flows) {
    exported x;
    export_decode(&x, basic_run());
    const pb_trace *t = &x.tr;
    uint64_t A = pb_track_by_name(t, "producer")->uuid, B = pb_track_by_name(t, "consumer")->uuid;
    check_all_flows_paired(t, 3);
    /* which flows: put q@500 -> get q@700, release m@600 -> acquire m@650, put q@1300 -> get q@1300 */
    struct { const char *from, *to; uint64_t t0, t1; } want[] = {
        { "put q", "get q", 500, 700 },
        { "release m", "acquire m", 600, 650 },
        { "put q", "get q", 1300, 1300 },
    };
    size_t found = 0;
    const pb_event **ord = tp_order(t);
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = ord[i];
        for (size_t k = 0; k < e->nflows; k++) {
            const pb_event *end = flow_end(t, e->flows[k], true);
            ck_assert_int_eq(e->type, PB_TE_INSTANT);
            ck_assert_int_eq(end->type, PB_TE_INSTANT);
            ck_assert_uint_eq(e->track, A);
            ck_assert_uint_eq(end->track, B);
            ck_assert_uint_lt(e->packet, end->packet);   /* the start comes first, even at equal times */
            ck_assert_uint_ne(e->flows[k], 0);
            ck_assert_str_eq(e->name, want[found].from);
            ck_assert_str_eq(end->name, want[found].to);
            ck_assert_uint_eq(e->ts, T0 + want[found].t0);
            ck_assert_uint_eq(end->ts, T0 + want[found].t1);
            found++;
        }
    }
    ck_assert_uint_eq(found, 3);
    free(ord);
    exported_free(&x, true);
}
END_TEST

/* ---- two runs in one recording --------------------------------------------------- */

static trc_recording *one_run(const char *backend, int64_t capacity, int32_t pid, uint64_t shift) {
    run_builder b;
    rb_init(&b, "Two runs");
    uint32_t A = rb_unit(&b, "worker.0"), B = rb_unit(&b, "worker.1");
    b.run->units[A].pid = b.run->units[B].pid = pid;
    b.run->units[A].tid = pid + 1;
    b.run->units[B].tid = pid + 2;
    uint32_t q = rb_obj(&b, TRC_OBJ_QUEUE, "jobs", capacity);
    rb_ev(&b, 0, A, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 10, B, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 20, B, TRC_EV_WAIT_BEGIN, q, TRC_OP_GET, 0, 0);
    rb_ev(&b, 50, A, TRC_EV_PUT, q, 0, 1, 1);
    rb_ev(&b, 60, B, TRC_EV_WAIT_END, q, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 60, B, TRC_EV_GET, q, 0, 1, 0);
    rb_ev(&b, 70, B, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 90, B, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    rb_ev(&b, 100, A, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 110, B, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 120);
    trc_run *r = &rec->runs[0];
    r->backend = backend;
    r->params = arena_push(&rec->mem, sizeof *r->params * 2);
    r->params[0] = (trc_param){ "items", 10, false };
    r->params[1] = (trc_param){ "capacity", capacity, false };
    r->nparams = 2;
    r->t_start += shift;
    r->t_end += shift;
    for (size_t i = 0; i < r->nevents; i++) r->events[i].t += shift;
    return rec;
}

START_TEST(test_two_runs) {
    trc_recording *r1 = one_run("threads", 4, 4242, 0), *r2 = one_run("processes", 8, 4242, 5000000000ull);
    trc_recording *rec = xcalloc(1, sizeof *rec);
    rec->runs = arena_push(&rec->mem, 2 * sizeof *rec->runs);
    rec->runs[0] = r1->runs[0];
    rec->runs[1] = r2->runs[0];
    rec->nruns = 2;
    exported x;
    export_decode(&x, rec);
    const pb_trace *t = &x.tr;
    check_sequences(t);
    check_all_flows_paired(t, 2);

    const pb_track *p1 = pb_track_by_name(t, "run 1: Two runs (threads, capacity=4)");
    const pb_track *p2 = pb_track_by_name(t, "run 2: Two runs (processes, capacity=8)");
    ck_assert_ptr_nonnull(p1);
    ck_assert_ptr_nonnull(p2);
    ck_assert(p1->is_process && p2->is_process);
    ck_assert_int_ne(p1->pid, p2->pid);
    ck_assert_int_eq(p1->pid, 4242);             /* real pid when unused */
    ck_assert(p1->has_rank && p2->has_rank && p1->rank < p2->rank);
    ck_assert_ptr_nonnull(strstr(p2->description, "shifted"));

    /* each run's threads belong to its own process; tids are never reused */
    size_t per_run[2] = { 0, 0 };
    int64_t tids[8];
    size_t ntids = 0;
    for (size_t i = 0; i < t->ntracks; i++) {
        const pb_track *k = &t->tracks[i];
        if (k->is_thread) {
            ck_assert(k->pid == p1->pid || k->pid == p2->pid);
            per_run[k->pid == p2->pid]++;
            for (size_t j = 0; j < ntids; j++) ck_assert_int_ne(tids[j], k->tid);
            tids[ntids++] = k->tid;
            if (k->pid == p1->pid) ck_assert(k->tid == 4243 || k->tid == 4244);
            else ck_assert(k->tid != 4243 && k->tid != 4244);
        } else if (k->is_counter) {
            ck_assert(k->parent == p1->uuid || k->parent == p2->uuid);
        }
    }
    ck_assert_uint_eq(per_run[0], 2);
    ck_assert_uint_eq(per_run[1], 2);

    /* a run's events are on its own tracks and sequences; both runs start at
     * 0, so they line up */
    uint32_t run_of_seq[64] = { 0 };
    uint64_t first_ts[2] = { UINT64_MAX, UINT64_MAX };
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        const pb_track *k = pb_track_by_uuid(t, e->track);
        ck_assert_ptr_nonnull(k);
        uint64_t owner_pid = k->is_thread ? (uint64_t)k->pid : (uint64_t)pb_track_by_uuid(t, k->parent)->pid;
        int r = owner_pid == (uint64_t)p2->pid;
        ck_assert_uint_lt(e->seq, 64);
        if (!run_of_seq[e->seq]) run_of_seq[e->seq] = (uint32_t)r + 1;
        ck_assert_uint_eq(run_of_seq[e->seq], (uint32_t)r + 1);
        if (e->ts < first_ts[r]) first_ts[r] = e->ts;
    }
    ck_assert_uint_eq(first_ts[0], 0);
    ck_assert_uint_eq(first_ts[1], 0);
    ts0 = 0;
    /* same slices in both runs, on different tracks */
    const want_slc w[] = {
        { "worker.1", 10, 110, 0, false },
        { "blocked on jobs (get)", 20, 60, 1, false },
        { "get jobs", 60, 60, 1, true },
        { "computing", 70, 90, 1, false },
    };
    for (size_t i = 0; i < t->ntracks; i++)
        if (t->tracks[i].is_thread && strcmp(t->tracks[i].name, "worker.1") == 0)
            check_slices(t, t->tracks[i].uuid, w, sizeof w / sizeof *w);

    ts0 = T0;
    exported_free(&x, false);
    trc_recording_free(rec);
    trc_recording_free(r1);
    trc_recording_free(r2);
}
END_TEST

/* ---- a richer run for the semantic checker ------------------------------------------ */

static trc_recording *rich_run(void) {
    run_builder b;
    rb_init(&b, "Everything at once");
    char longname[201];
    memset(longname, 'x', 200);
    longname[200] = 0;
    uint32_t L = rb_unit(&b, "loop");
    uint32_t T1 = rb_unit(&b, "task.1"), T2 = rb_unit(&b, "task.1");   /* same name on purpose */
    uint32_t W = rb_unit(&b, longname), I = rb_unit(&b, "idle"), Z = rb_unit(&b, "never");
    b.run->units[T1].kind = b.run->units[T2].kind = TRC_UNIT_TASK;
    b.run->units[T1].parent = b.run->units[T2].parent = L;
    b.run->units[L].kind = TRC_UNIT_LOOP;
    (void)Z;
    char objname[151];
    memset(objname, 'o', 150);
    objname[150] = 0;
    uint32_t m = rb_obj(&b, TRC_OBJ_LOCK, objname, 0), q = rb_obj(&b, TRC_OBJ_QUEUE, "q", 0);
    static const char *const strs[] = { "a mark", "" };
    set_strings(&b, strs, 2);
    for (uint32_t u = 0; u < 5; u++) rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 5, W, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&b, 6, W, TRC_EV_ACQUIRE, m, 0, 2, 0);       /* recursive */
    rb_ev(&b, 7, T1, TRC_EV_WAIT_BEGIN, m, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 8, W, TRC_EV_RELEASE, m, 0, 1, 0);
    rb_ev(&b, 9, T1, TRC_EV_WAIT_END, m, TRC_OUT_TIMEOUT, 0, 0);
    rb_ev(&b, 10, W, TRC_EV_RELEASE, m, 0, 0, 0);
    rb_ev(&b, 10, T2, TRC_EV_WAIT_BEGIN, m, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 10, T2, TRC_EV_WAIT_END, m, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 10, T2, TRC_EV_ACQUIRE, m, 0, 1, 0);
    rb_ev(&b, 10, T2, TRC_EV_RELEASE, m, 0, 0, 0);      /* zero-length ownership */
    rb_ev(&b, 11, T2, TRC_EV_PUT, q, 0, 1, 1);
    rb_ev(&b, 11, T2, TRC_EV_PUT, q, 0, 2, 2);
    rb_ev(&b, 12, L, TRC_EV_GET, q, 0, 2, 1);           /* LIFO: gets out of put order */
    rb_ev(&b, 13, L, TRC_EV_GET, q, 0, 1, 0);
    rb_ev(&b, 13, L, TRC_EV_PUT, q, 0, 3, 1);           /* never got */
    rb_ev(&b, 14, L, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&b, 14, L, TRC_EV_MARK, 0, 0, 1, 0);
    rb_ev(&b, 15, W, TRC_EV_WAIT_BEGIN, q, TRC_OP_PUT, 0, 0);
    rb_ev(&b, 16, I, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 20, T1, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 30, T1, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);   /* exits while sleeping */
    rb_ev(&b, 40, T2, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 50, W, TRC_EV_WAIT_END, q, TRC_OUT_CANCELLED, 0, 0);
    return rb_finish(&b, 100);                          /* I still computing, W/L running */
}

START_TEST(test_rich_decodes) {
    exported x;
    export_decode(&x, rich_run());
    const pb_trace *t = &x.tr;
    check_sequences(t);
    check_all_flows_paired(t, 3);   /* 2 items and the hand-off W -> T2 (T1 gave up before) */
    /* tasks: custom tracks under a group next to the loop's thread */
    const pb_track *g = pb_track_by_name(t, "tasks on loop");
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(g->parent, pb_track_by_name(t, "loop")->uuid);
    size_t ntasks = 0;
    for (size_t i = 0; i < t->ntracks; i++) {
        if (!t->tracks[i].name || strcmp(t->tracks[i].name, "task.1") != 0) continue;
        ck_assert(!t->tracks[i].is_thread);
        ck_assert_uint_eq(t->tracks[i].parent, g->uuid);
        ck_assert_int_eq(t->tracks[i].merge, 2);
        ntasks++;
    }
    ck_assert_uint_eq(ntasks, 2);
    /* long names survive the length fix-ups */
    char want[200] = "blocked on ";
    memset(want + 11, 'o', 150);
    strcpy(want + 161, " (lock)");
    bool seen_long = false;
    for (size_t i = 0; i < t->nevents; i++) seen_long |= t->events[i].name && !strcmp(t->events[i].name, want);
    ck_assert(seen_long);
    ck_assert_ptr_nonnull(pb_track_by_name(t, x.rec->runs[0].units[3].name));
    /* the unit with no events has no slices; the idle one is still computing at the end */
    slc s[64];
    ck_assert_uint_eq(slices_of(t, pb_track_by_name(t, "never")->uuid, s, 64), 0);
    size_t n = slices_of(t, pb_track_by_name(t, "idle")->uuid, s, 64);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(s[0].name, "idle");
    ck_assert_str_eq(pb_event_annot(s[0].ev, "exit")->s, "still running at the end");
    ck_assert_uint_eq(s[1].t1, T0 + 100);
    exported_free(&x, true);
}
END_TEST

static void run_checker(const char *path) {
    const char *checker = WEFT_SOURCE_DIR "/../shared/perfetto/check_semantics.py";
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP: python3 not found, check_semantics.py not run on %s\n", path);
        return;
    }
    if (access(checker, R_OK) != 0) {
        fprintf(stderr, "SKIP: %s not found\n", checker);
        return;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 '%s' --strict --max-msgs 20 '%s'", checker, path);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "check_semantics.py --strict failed on %s", path);
}

static void export_file(trc_recording *rec, const char *path) {
    trc_model *m = build_models(rec);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    diag d = { 0 };
    ck_assert_msg(trc_export_perfetto(f, rec, m, &d) == 0, "export: %s", d.msg);
    ck_assert_int_eq(fclose(f), 0);
    for (uint32_t r = 0; r < rec->nruns; r++) trc_model_release(&m[r]);
    free(m);
}

START_TEST(test_semantic_checker) {
    trc_recording *a = basic_run(), *b = rich_run();
    export_file(a, tmp_path("basic.pftrace"));
    run_checker(tmp_path("basic.pftrace"));
    export_file(b, tmp_path("rich.pftrace"));
    run_checker(tmp_path("rich.pftrace"));
    /* both in one recording: two processes, two sequences */
    trc_recording *rec = xcalloc(1, sizeof *rec);
    rec->runs = arena_push(&rec->mem, 2 * sizeof *rec->runs);
    rec->runs[0] = a->runs[0];
    rec->runs[1] = b->runs[0];
    rec->nruns = 2;
    export_file(rec, tmp_path("both.pftrace"));
    run_checker(tmp_path("both.pftrace"));
    trc_recording_free(rec);
    trc_recording_free(a);
    trc_recording_free(b);
}
END_TEST


/* ---- the textbook vocabulary ------------------------------------------------------------ */

static trc_recording *textbook_run(void) {
    run_builder b;
    rb_init(&b, "Textbook");
    uint32_t M = rb_unit(&b, "main"), W1 = rb_unit(&b, "w1"), W2 = rb_unit(&b, "w2");
    uint32_t K = rb_unit(&b, "worker"), D = rb_unit(&b, "daemon");
    uint32_t L = rb_obj(&b, TRC_OBJ_LOCK, "L", 0), cv = rb_obj(&b, TRC_OBJ_CONDITION, "cv", 0);
    b.run->objects[cv - 1].related = L;
    uint32_t ev = rb_obj(&b, TRC_OBJ_EVENT, "ev", 0), bar = rb_obj(&b, TRC_OBJ_BARRIER, "bar", 3);
    uint32_t sem = rb_obj(&b, TRC_OBJ_SEMAPHORE, "sem", 2), R = rb_obj(&b, TRC_OBJ_RLOCK, "R", 0);
    uint32_t RW = rb_obj(&b, TRC_OBJ_RWLOCK, "RW", 0), N = rb_obj(&b, TRC_OBJ_COUNTER, "N", 0);
    uint32_t P = rb_obj(&b, TRC_OBJ_POOL, "P", 1), Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 0);
    static const char *const strs[] = { "name=main" };
    set_strings(&b, strs, 1);
    rb_ev(&b, 0, M, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, W2, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, K, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1, M, TRC_EV_SPAWN, 0, 0, W1, 0);
    rb_ev(&b, 1, M, TRC_EV_SPAWN, 0, 0, D, 0);
    rb_ev(&b, 2, W1, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 2, M, TRC_EV_LOCAL_SET, 0, 0, 0, 0);
    rb_ev(&b, 3, D, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 5, D, TRC_EV_SLEEP_BEGIN, 0, 0, 1000, 0);
    /* condition: one notify wakes two; w1's wake is recorded first at the same ns */
    rb_ev(&b, 10, W1, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 11, W2, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
    rb_ev(&b, 20, W1, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 20, M, TRC_EV_NOTIFY, cv, 0, 1, 2);
    rb_ev(&b, 25, W2, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, 1);
    /* event */
    rb_ev(&b, 30, W1, TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
    rb_ev(&b, 31, W2, TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
    rb_ev(&b, 35, M, TRC_EV_SET, ev, 0, 1, 2);
    rb_ev(&b, 36, W1, TRC_EV_WAIT_END, ev, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 37, W2, TRC_EV_WAIT_END, ev, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 40, M, TRC_EV_CLEAR, ev, 0, 0, 0);
    /* barrier of 3 */
    rb_ev(&b, 50, W1, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 1);
    rb_ev(&b, 50, W1, TRC_EV_WAIT_BEGIN, bar, TRC_OP_BARRIER, 0, 0);
    rb_ev(&b, 51, W2, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 2);
    rb_ev(&b, 51, W2, TRC_EV_WAIT_BEGIN, bar, TRC_OP_BARRIER, 0, 0);
    rb_ev(&b, 52, M, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 3);
    rb_ev(&b, 52, M, TRC_EV_BARRIER_OPEN, bar, 0, 1, 0);
    rb_ev(&b, 53, W1, TRC_EV_WAIT_END, bar, TRC_OUT_OK, 0, 1);
    rb_ev(&b, 53, W2, TRC_EV_WAIT_END, bar, TRC_OUT_OK, 0, 1);
    /* semaphore of 2 */
    rb_ev(&b, 60, W1, TRC_EV_ACQUIRE, sem, 0, 0, 1);
    rb_ev(&b, 61, W2, TRC_EV_ACQUIRE, sem, 0, 0, 2);
    rb_ev(&b, 62, M, TRC_EV_WAIT_BEGIN, sem, TRC_OP_ACQUIRE_PERMIT, 0, 0);
    rb_ev(&b, 65, W1, TRC_EV_RELEASE, sem, 0, 0, 1);
    rb_ev(&b, 66, M, TRC_EV_WAIT_END, sem, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 66, M, TRC_EV_ACQUIRE, sem, 0, 0, 2);
    rb_ev(&b, 67, W2, TRC_EV_RELEASE, sem, 0, 0, 1);
    rb_ev(&b, 68, M, TRC_EV_RELEASE, sem, 0, 0, 0);
    /* rlock, three deep */
    rb_ev(&b, 70, W1, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 71, W1, TRC_EV_ACQUIRE, R, 0, 2, 0);
    rb_ev(&b, 72, W1, TRC_EV_ACQUIRE, R, 0, 3, 0);
    rb_ev(&b, 73, W1, TRC_EV_RELEASE, R, 0, 2, 0);
    rb_ev(&b, 74, W1, TRC_EV_RELEASE, R, 0, 1, 0);
    rb_ev(&b, 75, W1, TRC_EV_RELEASE, R, 0, 0, 0);
    rb_ev(&b, 76, W2, TRC_EV_ACQUIRE, R, 0, 1, 0);
    rb_ev(&b, 77, W2, TRC_EV_RELEASE, R, 0, 0, 0);
    /* rwlock: two readers, then a writer */
    rb_ev(&b, 80, W1, TRC_EV_ACQUIRE, RW, 1, 0, 1);
    rb_ev(&b, 81, W2, TRC_EV_ACQUIRE, RW, 1, 0, 2);
    rb_ev(&b, 82, M, TRC_EV_WAIT_BEGIN, RW, TRC_OP_WRITE_LOCK, 0, 0);
    rb_ev(&b, 83, W1, TRC_EV_RELEASE, RW, 1, 0, 1);
    rb_ev(&b, 84, W2, TRC_EV_RELEASE, RW, 1, 0, 0);
    rb_ev(&b, 85, M, TRC_EV_WAIT_END, RW, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 85, M, TRC_EV_ACQUIRE, RW, 0, 1, 0);
    rb_ev(&b, 88, M, TRC_EV_RELEASE, RW, 0, 0, 0);
    /* racy counter: one lost update */
    rb_ev(&b, 90, W1, TRC_EV_COUNTER_READ, N, 0, 0, 0);
    rb_ev(&b, 91, W2, TRC_EV_COUNTER_READ, N, 0, 0, 0);
    rb_ev(&b, 92, W1, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 1, 0);
    rb_ev(&b, 93, W2, TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, 1, 1);
    /* pool: future 1 runs, its result wakes main, then its callback; future 2 is cancelled pending */
    rb_ev(&b, 100, M, TRC_EV_SUBMIT, P, 0, 1, 0);
    rb_ev(&b, 101, M, TRC_EV_SUBMIT, P, 0, 2, 0);
    rb_ev(&b, 102, K, TRC_EV_TASK_START, P, 0, 1, 0);
    rb_ev(&b, 103, M, TRC_EV_WAIT_BEGIN, P, TRC_OP_RESULT, 1, 0);
    rb_ev(&b, 104, W1, TRC_EV_CANCEL, P, 1, 2, 0);
    rb_ev(&b, 110, K, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 1, 0);
    rb_ev(&b, 111, M, TRC_EV_WAIT_END, P, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 111, M, TRC_EV_RESULT, P, TRC_OUT_OK, 1, 0);
    rb_ev(&b, 112, K, TRC_EV_CALLBACK, P, 0, 1, 0);
    /* future 3's whole life in one nanosecond, recorded backwards */
    rb_ev(&b, 120, K, TRC_EV_CALLBACK, P, 0, 3, 0);
    rb_ev(&b, 120, K, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 3, 0);
    rb_ev(&b, 120, K, TRC_EV_TASK_START, P, 0, 3, 0);
    rb_ev(&b, 120, M, TRC_EV_SUBMIT, P, 0, 3, 0);
    /* a queue's task_done */
    rb_ev(&b, 121, M, TRC_EV_PUT, Q, 0, 1, 1);
    rb_ev(&b, 122, W2, TRC_EV_GET, Q, 0, 1, 0);
    rb_ev(&b, 123, W2, TRC_EV_QUEUE_TASK_DONE, Q, 0, 0, 0);
    /* join w1; the daemon is cut off */
    rb_ev(&b, 125, M, TRC_EV_WAIT_BEGIN, 0, TRC_OP_JOIN, W1, 0);
    rb_ev(&b, 130, W1, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 131, M, TRC_EV_WAIT_END, 0, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 131, M, TRC_EV_JOINED, 0, 0, W1, 0);
    rb_ev(&b, 135, W2, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 138, K, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 140, D, TRC_EV_DAEMON_KILLED, 0, 0, 0, 0);
    rb_ev(&b, 140, D, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_KILLED, 0, 0);
    rb_ev(&b, 141, M, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    return rb_finish(&b, 150);
}

/* Samples of a counter track in trace_processor order. */
static void check_counter(const pb_trace *t, const char *track, const uint64_t *wt, const int64_t *wv, size_t nw) {
    const pb_track *k = pb_track_by_name(t, track);
    ck_assert_msg(k, "no track '%s'", track);
    ck_assert_msg(k->is_counter, "'%s' is not a counter track", track);
    const pb_event **ord = tp_order(t);
    size_t n = 0;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = ord[i];
        if (!e->has_track || e->track != k->uuid) continue;
        ck_assert_int_eq(e->type, PB_TE_COUNTER);
        ck_assert_uint_lt(n, nw);
        ck_assert_msg(e->ts == ts0 + wt[n] && e->counter == wv[n], "%s sample %zu: (%llu, %lld), want (%llu, %lld)",
                      track, n, (unsigned long long)(e->ts - ts0), (long long)e->counter, (unsigned long long)wt[n],
                      (long long)wv[n]);
        n++;
    }
    free(ord);
    ck_assert_uint_eq(n, nw);
}

/* The one instant named `name` at relative time t on a track. */
static const pb_event *instant_at(const pb_trace *t, const char *track, const char *name, uint64_t rel) {
    const pb_track *k = pb_track_by_name(t, track);
    ck_assert_msg(k, "no track '%s'", track);
    const pb_event *found = NULL;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        if (e->track != k->uuid || e->type != PB_TE_INSTANT || e->ts != ts0 + rel || !e->name || strcmp(e->name, name))
            continue;
        ck_assert_msg(!found, "two instants '%s' at %llu on %s", name, (unsigned long long)rel, track);
        found = e;
    }
    ck_assert_msg(found, "no instant '%s' at %llu on %s", name, (unsigned long long)rel, track);
    return found;
}

/* Does the flow `from` (an outgoing id of it) end at `to`? */
static bool flows_to(const pb_trace *t, const pb_event *from, const pb_event *to) {
    for (size_t k = 0; k < from->nflows; k++)
        for (size_t j = 0; j < to->ntflows; j++)
            if (from->flows[k] == to->tflows[j]) return true;
    return false;
}

static bool has_slice(const pb_trace *t, const char *track, const char *name, uint64_t t0, uint64_t t1, int depth) {
    slc s[64];
    size_t n = slices_of(t, pb_track_by_name(t, track)->uuid, s, 64);
    for (size_t i = 0; i < n; i++)
        if (s[i].name && !strcmp(s[i].name, name) && s[i].t0 == ts0 + t0 && s[i].t1 == ts0 + t1 && s[i].depth == depth)
            return true;
    return false;
}

START_TEST(test_textbook_tracks_and_counters) {
    exported x;
    export_decode(&x, textbook_run());
    const pb_trace *t = &x.tr;
    check_sequences(t);
    const pb_track *proc = pb_track_by_name(t, "Textbook (threads)");
    ck_assert_ptr_nonnull(proc);
    static const char *const counters[] = { "sem permits in use", "RW readers", "N value", "bar arrived" };
    static const char *const units[] = { "permits", "readers", "value", "units" };
    for (size_t i = 0; i < 4; i++) {
        const pb_track *k = pb_track_by_name(t, counters[i]);
        ck_assert_msg(k && k->is_counter, "%s", counters[i]);
        ck_assert_uint_eq(k->parent, proc->uuid);
        ck_assert_str_eq(k->counter_unit_name, units[i]);
        ck_assert_ptr_nonnull(k->description);
    }
    for (size_t i = 0; i < 3; i++) {
        static const char *const slicetracks[] = { "R owner", "RW writer", "ev set" };
        const pb_track *k = pb_track_by_name(t, slicetracks[i]);
        ck_assert_msg(k && !k->is_counter && !k->is_thread, "%s", slicetracks[i]);
        ck_assert_uint_eq(k->parent, proc->uuid);
    }
    /* no counter or owner track for what has none */
    ck_assert_ptr_null(pb_track_by_name(t, "cv owner"));
    ck_assert_ptr_null(pb_track_by_name(t, "sem owner"));
    ck_assert_ptr_null(pb_track_by_name(t, "R permits in use"));
    ck_assert_ptr_null(pb_track_by_name(t, "RW owner"));

    const uint64_t st[] = { 0, 60, 61, 65, 66, 67, 68 };
    const int64_t sv[] = { 0, 1, 2, 1, 2, 1, 0 };
    check_counter(t, "sem permits in use", st, sv, 7);
    const uint64_t rt[] = { 0, 80, 81, 83, 84 };
    const int64_t rv[] = { 0, 1, 2, 1, 0 };
    check_counter(t, "RW readers", rt, rv, 5);
    const uint64_t nt[] = { 0, 92, 93 };
    const int64_t nv[] = { 0, 1, 1 };
    check_counter(t, "N value", nt, nv, 3);
    const uint64_t bt[] = { 0, 50, 51, 52, 52 };
    const int64_t bv[] = { 0, 1, 2, 3, 0 };
    check_counter(t, "bar arrived", bt, bv, 5);

    /* rlock owner: the name says the depth, nested slices show it */
    const want_slc wr[] = {
        { "w1 (depth 3)", 70, 75, 0, false },
        { "depth 2", 71, 74, 1, false },
        { "depth 3", 72, 73, 2, false },
        { "w2", 76, 77, 0, false },
    };
    check_slices(t, pb_track_by_name(t, "R owner")->uuid, wr, 4);
    const want_slc ww[] = { { "main", 85, 88, 0, false } };
    check_slices(t, pb_track_by_name(t, "RW writer")->uuid, ww, 1);
    const want_slc we[] = { { "set by main", 35, 40, 0, false } };
    check_slices(t, pb_track_by_name(t, "ev set")->uuid, we, 1);

    /* blocked slices name what they wait for */
    ck_assert(has_slice(t, "main", "blocked on sem (acquire)", 62, 66, 1));
    ck_assert(has_slice(t, "main", "blocked on RW (write lock)", 82, 85, 1));
    ck_assert(has_slice(t, "main", "blocked on P (result)", 103, 111, 1));
    ck_assert(has_slice(t, "main", "blocked on w1 (join)", 125, 131, 1));
    ck_assert(has_slice(t, "w1", "blocked on cv (wait)", 10, 20, 1));
    ck_assert(has_slice(t, "w2", "blocked on bar (wait)", 51, 53, 1));
    slc s[64];
    size_t n = slices_of(t, pb_track_by_name(t, "main")->uuid, s, 64);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].name || strcmp(s[i].name, "blocked on P (result)")) continue;
        const pb_annot *a = pb_event_annot(s[i].ev, "future");
        ck_assert_ptr_nonnull(a);
        ck_assert_uint_eq(a->u, 1);
        ck_assert_str_eq(pb_event_annot(s[i].ev, "object")->s, "P");
        seen = true;
    }
    ck_assert(seen);
    /* the daemon: the spawn arrow's instant (written before the unit's slices,
     * so at depth 0 next to its lifetime), its lifetime and its sleep */
    const want_slc wd[] = {
        { "spawned by main", 3, 3, 0, true },
        { "daemon", 3, 140, 0, false },
        { "sleeping", 5, 140, 1, false },
        { "killed (daemon)", 140, 140, 2, true },
    };
    check_slices(t, pb_track_by_name(t, "daemon")->uuid, wd, 4);
    n = slices_of(t, pb_track_by_name(t, "daemon")->uuid, s, 64);
    ck_assert_str_eq(pb_event_annot(s[1].ev, "exit")->s, "killed (a daemon cut off at exit)");
    exported_free(&x, true);
}
END_TEST

START_TEST(test_textbook_instants_and_flows) {
    exported x;
    export_decode(&x, textbook_run());
    const pb_trace *t = &x.tr;
    /* notify x2, set x2, barrier x2, spawn x2, join, submit x2, task x2, callback x2, result, and an item */
    check_all_flows_paired(t, 17);
    ck_assert_uint_eq(x.models[0].nflows, 17);
    ck_assert_uint_eq(pb_event_annot(instant_at(t, "w2", "task_done Q", 123), "unfinished")->u, 0);
    /* one notify instant fans out to both waiters */
    const pb_event *no = instant_at(t, "main", "notify cv", 20);
    ck_assert_uint_eq(no->nflows, 2);
    ck_assert_uint_eq(pb_event_annot(no, "seq")->u, 1);
    ck_assert_uint_eq(pb_event_annot(no, "woken")->u, 2);
    const pb_event *k1 = instant_at(t, "w1", "wake cv", 20), *k2 = instant_at(t, "w2", "wake cv", 25);
    ck_assert(flows_to(t, no, k1) && flows_to(t, no, k2));
    ck_assert_uint_lt(no->packet, k1->packet);   /* same ns: the notify comes first */
    const pb_event *se = instant_at(t, "main", "set ev", 35);
    ck_assert_uint_eq(se->nflows, 2);
    ck_assert(flows_to(t, se, instant_at(t, "w1", "wake ev", 36)));
    ck_assert(flows_to(t, se, instant_at(t, "w2", "wake ev", 37)));
    instant_at(t, "main", "clear ev", 40);
    const pb_event *op = instant_at(t, "main", "open bar", 52);
    ck_assert_uint_eq(pb_event_annot(op, "generation")->u, 1);
    ck_assert(flows_to(t, op, instant_at(t, "w1", "pass bar", 53)));
    ck_assert(flows_to(t, op, instant_at(t, "w2", "pass bar", 53)));
    /* spawn and join */
    ck_assert(flows_to(t, instant_at(t, "main", "spawn w1", 1), instant_at(t, "w1", "spawned by main", 2)));
    ck_assert(flows_to(t, instant_at(t, "main", "spawn daemon", 1), instant_at(t, "daemon", "spawned by main", 3)));
    ck_assert(flows_to(t, instant_at(t, "w1", "exit", 130), instant_at(t, "main", "joined w1", 131)));
    /* the chain of future 1: submit -> start -> done -> result and callback */
    const pb_event *sub = instant_at(t, "main", "submit P", 100), *sta = instant_at(t, "worker", "start P", 102);
    const pb_event *don = instant_at(t, "worker", "done P", 110), *res = instant_at(t, "main", "result P", 111);
    const pb_event *cb = instant_at(t, "worker", "callback P", 112);
    ck_assert(flows_to(t, sub, sta) && flows_to(t, sta, don) && flows_to(t, don, res) && flows_to(t, don, cb));
    ck_assert_uint_eq(sta->nflows, 1);
    ck_assert_uint_eq(sta->ntflows, 1);              /* one instant ends a flow and starts the next */
    ck_assert_uint_eq(don->nflows, 2);
    ck_assert_uint_eq(pb_event_annot(sub, "future")->u, 1);
    ck_assert_str_eq(pb_event_annot(don, "outcome")->s, "ok");
    const pb_event *can = instant_at(t, "w1", "cancel P", 104);
    ck_assert_uint_eq(pb_event_annot(can, "future")->u, 2);
    /* future 3 in one nanosecond: the chain is still in order in the file */
    const pb_event *s3 = instant_at(t, "main", "submit P", 120), *t3 = instant_at(t, "worker", "start P", 120);
    const pb_event *d3 = instant_at(t, "worker", "done P", 120), *c3 = instant_at(t, "worker", "callback P", 120);
    ck_assert(flows_to(t, s3, t3) && flows_to(t, t3, d3) && flows_to(t, d3, c3));
    ck_assert(s3->packet < t3->packet && t3->packet < d3->packet && d3->packet < c3->packet);
    /* the lost update, the kill, the local */
    const pb_event *lu = instant_at(t, "w2", "lost update N", 93);
    ck_assert_int_eq(pb_event_annot(lu, "value")->kind, PB_ANN_INT);
    ck_assert_int_eq(pb_event_annot(lu, "value")->i, 1);
    ck_assert_uint_eq(pb_event_annot(lu, "lost")->u, 1);
    instant_at(t, "daemon", "killed (daemon)", 140);
    instant_at(t, "main", "name=main", 2);
    exported_free(&x, true);
}
END_TEST

START_TEST(test_textbook_futures) {
    exported x;
    export_decode(&x, textbook_run());
    const pb_trace *t = &x.tr;
    const pb_track *proc = pb_track_by_name(t, "Textbook (threads)");
    /* lanes: futures 1 and 2 overlap, future 3 reuses the lane of 2 */
    const pb_track *lanes[4];
    size_t nl = 0;
    for (size_t i = 0; i < t->ntracks; i++) {
        const pb_track *k = &t->tracks[i];
        if (!k->name || strcmp(k->name, "P futures")) continue;
        ck_assert_uint_lt(nl, 4);
        ck_assert(!k->is_counter && !k->is_thread);
        ck_assert_uint_eq(k->parent, proc->uuid);
        ck_assert_int_eq(k->merge, 3);                /* merged by key: one lane in the UI */
        ck_assert_str_eq(k->merge_key, "P futures");
        lanes[nl++] = k;
    }
    ck_assert_uint_eq(nl, 2);
    const want_slc l0[] = {
        { "future 1", 100, 112, 0, false },
        { "pending", 100, 102, 1, false },
        { "running", 102, 110, 1, false },
        { "callback", 112, 112, 1, true },
    };
    const want_slc l1[] = {
        { "future 2", 101, 104, 0, false },
        { "pending", 101, 104, 1, false },
        { "cancelled", 104, 104, 1, true },
        { "future 3", 120, 120, 0, false },
        { "callback", 120, 120, 1, true },
    };
    check_slices(t, lanes[0]->uuid, l0, 4);
    check_slices(t, lanes[1]->uuid, l1, 5);
    slc s[16];
    slices_of(t, lanes[1]->uuid, s, 16);
    ck_assert_str_eq(pb_event_annot(s[0].ev, "outcome")->s, "cancelled");
    ck_assert_uint_eq(pb_event_annot(s[0].ev, "future")->u, 2);
    exported_free(&x, true);
}
END_TEST

START_TEST(test_textbook_semantic_checker) {
    trc_recording *a = textbook_run(), *b = rich_run();
    export_file(a, tmp_path("textbook.pftrace"));
    run_checker(tmp_path("textbook.pftrace"));
    /* with another run: uuids, sequences and flow ids stay apart */
    trc_recording *rec = xcalloc(1, sizeof *rec);
    rec->runs = arena_push(&rec->mem, 2 * sizeof *rec->runs);
    rec->runs[0] = b->runs[0];
    rec->runs[1] = a->runs[0];
    rec->nruns = 2;
    export_file(rec, tmp_path("textbook2.pftrace"));
    run_checker(tmp_path("textbook2.pftrace"));
    exported x;
    export_decode(&x, rec);
    check_sequences(&x.tr);
    check_all_flows_paired(&x.tr, 3 + 17);
    exported_free(&x, false);
    trc_recording_free(rec);
    trc_recording_free(a);
    trc_recording_free(b);
}
END_TEST


/* ---- random textbook runs: many events at the very same nanosecond -------------------- */

typedef struct rq_ev { uint64_t t; size_t order; trc_event e; } rq_ev;
typedef struct rgen {
    run_builder b;
    uint64_t rng, t;
    rq_ev *ev;
    size_t n, cap;
} rgen;

static uint32_t rg(rgen *g, uint32_t n) {
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng % n);
}

/* Queues an event at relative time t; they are sorted (stably) by time at the end. */
static void rq(rgen *g, uint64_t t, uint32_t unit, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
               uint32_t extra) {
    ARR_GROW(g->ev, g->n + 1, g->cap);
    g->ev[g->n] = (rq_ev){ .t = t, .order = g->n,
                           .e = { .arg = arg, .unit = unit, .obj = obj, .kind = kind, .aux = aux, .extra = extra } };
    g->n++;
}

static int cmp_rq(const void *a, const void *b) {
    const rq_ev *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Distinct units from 0..nw-1 into u[0..k). */
static void pick(rgen *g, uint32_t nw, uint32_t *u, uint32_t k) {
    for (uint32_t i = 0; i < k; i++) {
        bool again;
        do {
            u[i] = rg(g, nw);
            again = false;
            for (uint32_t j = 0; j < i; j++) again |= u[j] == u[i];
        } while (again);
    }
}

/* Steps of the textbook one after another, each over a few nanoseconds, and
 * the next one starting where the last ended or just after: lots of events
 * share a nanosecond, in both orders of cause and effect. */
static trc_recording *random_textbook_run(uint64_t seed, uint32_t steps) {
    rgen g = { .rng = seed * 0x9E3779B97F4A7C15ull + 1 };
    rb_init(&g.b, "Random textbook");
    enum { NW = 6, NC = 8 };
    for (uint32_t u = 0; u < NW; u++) {
        char name[16];
        snprintf(name, sizeof name, "w%u", u);
        rb_unit(&g.b, name);
    }
    for (uint32_t u = 0; u < NC; u++) {
        char name[16];
        snprintf(name, sizeof name, "child%u", u);
        rb_unit(&g.b, name);
    }
    uint32_t L = rb_obj(&g.b, TRC_OBJ_LOCK, "L", 0), cv = rb_obj(&g.b, TRC_OBJ_CONDITION, "cv", 0);
    g.b.run->objects[cv - 1].related = L;
    uint32_t ev = rb_obj(&g.b, TRC_OBJ_EVENT, "ev", 0), bar = rb_obj(&g.b, TRC_OBJ_BARRIER, "bar", 2);
    uint32_t sem = rb_obj(&g.b, TRC_OBJ_SEMAPHORE, "sem", 3), R = rb_obj(&g.b, TRC_OBJ_RLOCK, "R", 0);
    uint32_t RW = rb_obj(&g.b, TRC_OBJ_RWLOCK, "RW", 0), N = rb_obj(&g.b, TRC_OBJ_COUNTER, "N", 0);
    uint32_t P = rb_obj(&g.b, TRC_OBJ_POOL, "P", 2);
    uint64_t seq_cv = 0, seq_ev = 0, gen = 0, fut = 0;
    int64_t val = 0;
    uint32_t child = 0;
    uint64_t t = 0;
    for (uint32_t u = 0; u < NW; u++) rq(&g, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint32_t s = 0; s < steps; s++) {
        uint32_t u[4];
        uint64_t d = 0;
        switch (rg(&g, 10)) {
        case 0: {   /* notify wakes 1..3 waiters, sometimes recorded before the notify */
            uint32_t k = 1 + rg(&g, 3);
            pick(&g, NW, u, k + 1);
            for (uint32_t i = 1; i <= k; i++) rq(&g, t, u[i], TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
            uint64_t tn = t + rg(&g, 2);
            bool late = rg(&g, 2);
            if (!late) rq(&g, tn, u[0], TRC_EV_NOTIFY, cv, 0, ++seq_cv, k);
            else ++seq_cv;
            for (uint32_t i = 1; i <= k; i++) rq(&g, tn + rg(&g, 2), u[i], TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, (uint32_t)seq_cv);
            if (late) rq(&g, tn, u[0], TRC_EV_NOTIFY, cv, 0, seq_cv, k);
            d = 3;
            break;
        }
        case 1: {   /* set releases waiters; maybe a clear */
            uint32_t k = 1 + rg(&g, 2);
            pick(&g, NW, u, k + 1);
            for (uint32_t i = 1; i <= k; i++) rq(&g, t, u[i], TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
            rq(&g, t + 1, u[0], TRC_EV_SET, ev, 0, ++seq_ev, k);
            for (uint32_t i = 1; i <= k; i++) rq(&g, t + 1 + rg(&g, 2), u[i], TRC_EV_WAIT_END, ev, TRC_OUT_OK, 0, (uint32_t)seq_ev);
            if (rg(&g, 2)) rq(&g, t + 2, u[0], TRC_EV_CLEAR, ev, 0, 0, 0);
            d = 3;
            break;
        }
        case 2:     /* a barrier of two */
            pick(&g, NW, u, 2);
            rq(&g, t, u[0], TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 1);
            rq(&g, t, u[0], TRC_EV_WAIT_BEGIN, bar, TRC_OP_BARRIER, 0, 0);
            rq(&g, t + rg(&g, 2), u[1], TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 2);
            rq(&g, t + 1, u[1], TRC_EV_BARRIER_OPEN, bar, 0, ++gen, 0);
            rq(&g, t + 1 + rg(&g, 2), u[0], TRC_EV_WAIT_END, bar, TRC_OUT_OK, 0, (uint32_t)gen);
            d = 3;
            break;
        case 3:     /* permits */
            pick(&g, NW, u, 3);
            for (uint32_t i = 0; i < 3; i++) rq(&g, t + i / 2, u[i], TRC_EV_ACQUIRE, sem, 0, 0, i + 1);
            for (uint32_t i = 0; i < 3; i++) rq(&g, t + 2, u[i], TRC_EV_RELEASE, sem, 0, 0, 2 - i);
            d = 2;
            break;
        case 4: {   /* rlock, re-entered, then handed to a waiter */
            pick(&g, NW, u, 2);
            uint32_t depth = 1 + rg(&g, 4);
            rq(&g, t, u[1], TRC_EV_WAIT_BEGIN, R, TRC_OP_LOCK, 0, 0);
            for (uint32_t k = 1; k <= depth; k++) rq(&g, t + rg(&g, 2), u[0], TRC_EV_ACQUIRE, R, 0, k, 0);
            for (uint32_t k = depth; k-- > 0;) rq(&g, t + 1, u[0], TRC_EV_RELEASE, R, 0, k, 0);
            rq(&g, t + 1 + rg(&g, 2), u[1], TRC_EV_WAIT_END, R, TRC_OUT_OK, 0, 0);
            rq(&g, t + 2, u[1], TRC_EV_ACQUIRE, R, 0, 1, 0);
            rq(&g, t + 2 + rg(&g, 2), u[1], TRC_EV_RELEASE, R, 0, 0, 0);
            d = 4;
            break;
        }
        case 5:     /* two readers, then a writer */
            pick(&g, NW, u, 3);
            rq(&g, t, u[0], TRC_EV_ACQUIRE, RW, 1, 0, 1);
            rq(&g, t, u[1], TRC_EV_ACQUIRE, RW, 1, 0, 2);
            rq(&g, t, u[2], TRC_EV_WAIT_BEGIN, RW, TRC_OP_WRITE_LOCK, 0, 0);
            rq(&g, t + 1, u[0], TRC_EV_RELEASE, RW, 1, 0, 1);
            rq(&g, t + 1, u[1], TRC_EV_RELEASE, RW, 1, 0, 0);
            rq(&g, t + 1, u[2], TRC_EV_WAIT_END, RW, TRC_OUT_OK, 0, 0);
            rq(&g, t + 1, u[2], TRC_EV_ACQUIRE, RW, 0, 1, 0);
            rq(&g, t + 1 + rg(&g, 2), u[2], TRC_EV_RELEASE, RW, 0, 0, 0);
            d = 3;
            break;
        case 6:     /* a racy increment that may lose an update */
            pick(&g, NW, u, 2);
            rq(&g, t, u[0], TRC_EV_COUNTER_READ, N, 0, (uint64_t)val, 0);
            rq(&g, t, u[1], TRC_EV_COUNTER_READ, N, 0, (uint64_t)val, 0);
            rq(&g, t + 1, u[0], TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, (uint64_t)(val + 1), 0);
            rq(&g, t + 1, u[1], TRC_EV_COUNTER_WRITE, N, TRC_CTR_RACY, (uint64_t)(val + 1), 1);
            val++;
            d = 2;
            break;
        case 7:
        case 8: {   /* futures: some in one nanosecond, some cancelled, results and callbacks */
            pick(&g, NW, u, 3);
            uint32_t k = 1 + rg(&g, 3);
            for (uint32_t i = 0; i < k; i++) {
                uint64_t id = ++fut, ts = t + rg(&g, 2);
                uint32_t shape = rg(&g, 4);
                if (shape == 0) {          /* cancelled while pending; result() says so */
                    rq(&g, ts, u[0], TRC_EV_SUBMIT, P, 0, id, 0);
                    rq(&g, ts + 1, u[2], TRC_EV_CANCEL, P, 1, id, 0);
                    rq(&g, ts + 1 + rg(&g, 2), u[0], TRC_EV_RESULT, P, TRC_OUT_CANCELLED, id, 0);
                } else if (shape == 1) {   /* its whole life in one nanosecond, recorded backwards */
                    rq(&g, ts, u[1], TRC_EV_CALLBACK, P, 0, id, 0);
                    rq(&g, ts, u[0], TRC_EV_RESULT, P, TRC_OUT_OK, id, 0);
                    rq(&g, ts, u[1], TRC_EV_TASK_DONE, P, TRC_OUT_OK, id, 0);
                    rq(&g, ts, u[1], TRC_EV_TASK_START, P, 0, id, 0);
                    rq(&g, ts, u[0], TRC_EV_SUBMIT, P, 0, id, 0);
                } else {                   /* runs; the waiter wakes; the callback comes after */
                    rq(&g, ts, u[0], TRC_EV_SUBMIT, P, 0, id, 0);
                    rq(&g, ts + rg(&g, 2), u[1], TRC_EV_TASK_START, P, 0, id, 0);
                    rq(&g, ts + 2, u[1], TRC_EV_TASK_DONE, P, shape == 2 ? TRC_OUT_OK : TRC_OUT_ABORTED, id, 0);
                    rq(&g, ts + 2 + rg(&g, 2), u[0], TRC_EV_RESULT, P, shape == 2 ? TRC_OUT_OK : TRC_OUT_ABORTED, id, 0);
                    if (rg(&g, 2)) rq(&g, ts + 3, u[1], TRC_EV_CALLBACK, P, 0, id, 0);
                }
            }
            d = 5;
            break;
        }
        default:    /* spawn a child; join it, or leave it to be killed at the end */
            if (child >= NC) break;
            pick(&g, NW, u, 1);
            {
                uint32_t c = NW + child++;
                rq(&g, t, u[0], TRC_EV_SPAWN, 0, 0, c, 0);
                rq(&g, t + rg(&g, 2), c, TRC_EV_UNIT_START, 0, 0, 0, 0);
                if (rg(&g, 3)) {
                    rq(&g, t + 1, u[0], TRC_EV_WAIT_BEGIN, 0, TRC_OP_JOIN, c, 0);
                    rq(&g, t + 2, c, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
                    rq(&g, t + 2 + rg(&g, 2), u[0], TRC_EV_WAIT_END, 0, TRC_OUT_OK, 0, 0);
                    rq(&g, t + 3, u[0], TRC_EV_JOINED, 0, 0, c, 0);
                } else {
                    rq(&g, t + 1, c, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
                }
            }
            d = 4;
            break;
        }
        t += d + rg(&g, 2) - 1;   /* the next step may start in the nanosecond this one ended */
    }
    t += 5;
    for (uint32_t c = NW; c < NW + child; c++) {
        bool exited = false;
        for (size_t i = 0; i < g.n; i++) exited |= g.ev[i].e.unit == c && g.ev[i].e.kind == TRC_EV_UNIT_EXIT;
        if (exited) continue;
        rq(&g, t, c, TRC_EV_DAEMON_KILLED, 0, 0, 0, 0);
        rq(&g, t, c, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_KILLED, 0, 0);
    }
    qsort(g.ev, g.n, sizeof *g.ev, cmp_rq);
    for (size_t i = 0; i < g.n; i++) {
        const trc_event *e = &g.ev[i].e;
        rb_ev(&g.b, g.ev[i].t, e->unit, e->kind, e->obj, e->aux, e->arg, e->extra);
    }
    free(g.ev);
    return rb_finish(&g.b, t + 10);
}

START_TEST(test_textbook_random) {
    for (uint64_t seed = 1; seed <= 4; seed++) {
        trc_recording *rec = random_textbook_run(seed, 400);
        exported x;
        export_decode(&x, rec);
        const trc_model *m = &x.models[0];
        ck_assert_uint_gt(m->nflows, 100);
        ck_assert_uint_eq(m->unmatched_wakes, 0);
        check_sequences(&x.tr);
        check_all_flows_paired(&x.tr, m->nflows);   /* every model flow is an arrow, starting first */
        /* futures never overlap on a lane */
        for (size_t i = 0; i < m->nfutures; i++)
            for (size_t j = i + 1; j < m->nfutures; j++) {
                const trc_future *a = &m->futures[i], *b = &m->futures[j];
                if (a->pool != b->pool || a->lane != b->lane || a->lane == UINT32_MAX) continue;
                ck_assert(a->t_end <= b->t_begin || b->t_end <= a->t_begin);
            }
        if (seed == 1) {
            export_file(rec, tmp_path("random.pftrace"));
            run_checker(tmp_path("random.pftrace"));
        }
        exported_free(&x, true);
    }
}
END_TEST

/* ---- edges and errors ------------------------------------------------------------------ */

START_TEST(test_deterministic) {
    trc_recording *rec = rich_run();
    trc_model *m = build_models(rec);
    char *d1 = NULL, *d2 = NULL;
    size_t n1 = 0, n2 = 0;
    diag d = { 0 };
    ck_assert_int_eq(export_mem(rec, m, &d1, &n1, &d), 0);
    ck_assert_int_eq(export_mem(rec, m, &d2, &n2, &d), 0);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(d1, d2, n1) == 0);
    free(d1);
    free(d2);
    trc_model_release(&m[0]);
    free(m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_empty) {
    trc_recording rec = { 0 };
    char *data = NULL;
    size_t n = 0;
    diag d = { 0 };
    ck_assert_int_eq(export_mem(&rec, NULL, &data, &n, &d), 0);
    pb_trace t;
    ck_assert_int_eq(pb_decode(&t, (const uint8_t *)data, n), 0);
    ck_assert_uint_eq(t.npackets, 1);
    ck_assert_uint_eq(t.nevents, 0);
    pb_free(&t);
    free(data);

    /* a run without events or objects: descriptors only (built by hand: rb_finish
     * memcpy()s from the NULL event/object arrays of such a run) */
    trc_recording *r = xcalloc(1, sizeof *r);
    r->runs = arena_push(&r->mem, sizeof *r->runs);
    r->nruns = 1;
    trc_run *run = r->runs;
    run->scenario = "Nothing";
    run->backend = "threads";
    run->t_start = run->t_end = T0;
    run->units = arena_push(&r->mem, sizeof *run->units);
    run->units[0] = (trc_unit){ .id = 0, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX, .name = "u", .group = "u" };
    run->nunits = 1;
    /* its model, by hand too: trc_model_build() passes a NULL flows array to
     * qsort() when a run has no flows, which UBSan rejects */
    trc_model m = { .run = run, .units = xcalloc(1, sizeof *m.units), .objects = xcalloc(1, sizeof *m.objects) };
    ck_assert_int_eq(export_mem(r, &m, &data, &n, &d), 0);
    ck_assert_int_eq(pb_decode(&t, (const uint8_t *)data, n), 0);
    ck_assert_uint_eq(t.nevents, 0);
    const pb_track *u = pb_track_by_name(&t, "u");
    ck_assert_ptr_nonnull(u);
    ck_assert(u->is_thread);
    ck_assert_ptr_nonnull(pb_track_by_name(&t, "Nothing (threads)"));
    pb_free(&t);
    free(data);
    trc_model_release(&m);
    trc_recording_free(r);
}
END_TEST

START_TEST(test_errors) {
    trc_recording *rec = basic_run();
    trc_model *m = build_models(rec);
    diag d = { 0 };
    /* a model of another run */
    trc_model wrong = m[0];
    wrong.run = NULL;
    char *data = NULL;
    size_t n = 0;
    ck_assert_int_eq(export_mem(rec, &wrong, &data, &n, &d), -ERR_USAGE);
    ck_assert(strstr(d.msg, "model") != NULL);
    free(data);
    /* a stream that cannot be written */
    FILE *f = fopen("/dev/null", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(trc_export_perfetto(f, rec, m, &d), -ERR_IO);
    ck_assert(strstr(d.msg, "cannot write") != NULL);
    fclose(f);
    trc_model_release(&m[0]);
    free(m);
    trc_recording_free(rec);
}
END_TEST

/* ---- how a run ended: deadlock and stuck instants ---------------------------------------- */

/* a and b deadlock on two locks; c waits for an event nobody sets; d joins c. */
static trc_recording *deadlock_run(void) {
    run_builder b;
    rb_init(&b, "Ends");
    uint32_t A = rb_unit(&b, "a"), B = rb_unit(&b, "b"), C = rb_unit(&b, "c"), D = rb_unit(&b, "d");
    uint32_t m1 = rb_obj(&b, TRC_OBJ_LOCK, "m1", 0), m2 = rb_obj(&b, TRC_OBJ_LOCK, "m2", 0);
    uint32_t ev = rb_obj(&b, TRC_OBJ_EVENT, "go", 0);
    for (uint32_t u = A; u <= D; u++) rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 100, A, TRC_EV_ACQUIRE, m1, 0, 1, 0);
    rb_ev(&b, 150, B, TRC_EV_ACQUIRE, m2, 0, 1, 0);
    rb_ev(&b, 200, A, TRC_EV_WAIT_BEGIN, m2, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 250, B, TRC_EV_WAIT_BEGIN, m1, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 300, C, TRC_EV_WAIT_BEGIN, ev, TRC_OP_EVENT_WAIT, 0, 0);
    rb_ev(&b, 400, D, TRC_EV_WAIT_BEGIN, 0, TRC_OP_JOIN, C, 0);
    trc_recording *rec = rb_finish(&b, 5000);
    rec->runs[0].end_reason = TRC_END_DEADLOCK;
    return rec;
}

static const char *annot_str(const pb_event *e, const char *name) {
    const pb_annot *a = pb_event_annot(e, name);
    ck_assert_msg(a, "no annotation '%s' on '%s'", name, e->name ? e->name : "?");
    ck_assert_int_eq(a->kind, PB_ANN_STR);
    return a->s;
}

static uint64_t annot_uint(const pb_event *e, const char *name) {
    const pb_annot *a = pb_event_annot(e, name);
    ck_assert_msg(a, "no annotation '%s' on '%s'", name, e->name ? e->name : "?");
    ck_assert_int_eq(a->kind, PB_ANN_UINT);
    return a->u;
}

/* The runtime aborts a deadlocked pair; the kernel preempts one of them on its
 * way out (a RUNNABLE span cut out of the running after the aborted wait): the
 * pair is still the cycle it was (CI once saw no cycle here). */
START_TEST(test_deadlock_cycle_survives_preemption) {
    run_builder b;
    rb_init(&b, "Preempted");
    uint32_t A = rb_unit(&b, "a"), B = rb_unit(&b, "b");
    uint32_t m1 = rb_obj(&b, TRC_OBJ_LOCK, "m1", 0), m2 = rb_obj(&b, TRC_OBJ_LOCK, "m2", 0);
    for (uint32_t u = A; u <= B; u++) rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1, A, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 2, B, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 1, 0);
    rb_ev(&b, 100, A, TRC_EV_ACQUIRE, m1, 0, 1, 0);
    rb_ev(&b, 150, B, TRC_EV_ACQUIRE, m2, 0, 1, 0);
    rb_ev(&b, 200, A, TRC_EV_WAIT_BEGIN, m2, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 210, A, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_BLOCKED, 0, 0);
    rb_ev(&b, 250, B, TRC_EV_WAIT_BEGIN, m1, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 260, B, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_BLOCKED, 1, 0);
    rb_ev(&b, 4000, A, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 4010, A, TRC_EV_WAIT_END, m2, TRC_OUT_ABORTED, 0, 0);
    rb_ev(&b, 4020, A, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_OUT_PREEMPTED, 0, 0);
    rb_ev(&b, 4300, A, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 0, 0);
    rb_ev(&b, 4310, A, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    rb_ev(&b, 4400, B, TRC_EV_SCHED_SWITCH, 0, TRC_SCHED_IN, 1, 0);
    rb_ev(&b, 4410, B, TRC_EV_WAIT_END, m1, TRC_OUT_ABORTED, 0, 0);
    rb_ev(&b, 4420, B, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    trc_recording *rec = rb_finish(&b, 5000);
    rec->runs[0].end_reason = TRC_END_DEADLOCK;
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    bool runnable = false;   /* the preemption is in the model, after the abort */
    for (size_t i = 0; i < m.units[A].nspans; i++)
        if (m.units[A].spans[i].state == TRC_ST_RUNNABLE) runnable = m.units[A].spans[i].t0 >= 4010;
    ck_assert(runnable);
    trc_waitfor w;
    ck_assert_int_eq(trc_waitfor_end(&w, &m), 0);
    ck_assert_uint_eq(w.nwaits, 2);
    ck_assert_uint_eq(w.ncycle, 2);
    ck_assert_uint_eq(w.waits[0].holder, B);
    ck_assert_uint_eq(w.waits[1].holder, A);
    trc_waitfor_release(&w);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_deadlock_instants) {
    exported x;
    export_decode(&x, deadlock_run());
    const pb_trace *t = &x.tr;
    check_sequences(t);
    trc_waitfor w;
    ck_assert_int_eq(trc_waitfor_end(&w, &x.models[0]), 0);
    ck_assert_uint_eq(w.nwaits, 4);
    ck_assert_uint_eq(w.ncycle, 2);
    uint64_t end = w.waits[0].until;   /* every wait lasts to the run's end */
    trc_waitfor_release(&w);

    const pb_event *da = instant_at(t, "a", "deadlock", end), *db = instant_at(t, "b", "deadlock", end);
    ck_assert_str_eq(annot_str(da, "object"), "m2");
    ck_assert_str_eq(annot_str(da, "op"), "lock");
    ck_assert_str_eq(annot_str(da, "waits for"), "b");
    ck_assert_str_eq(annot_str(da, "cycle"), "a -> b -> a");
    ck_assert_uint_eq(annot_uint(da, "waited"), end - 200);
    ck_assert_str_eq(annot_str(db, "object"), "m1");
    ck_assert_str_eq(annot_str(db, "waits for"), "a");
    ck_assert_str_eq(annot_str(db, "cycle"), "a -> b -> a");
    ck_assert_uint_eq(annot_uint(db, "waited"), end - 250);

    const pb_event *sc = instant_at(t, "c", "stuck", end), *sd = instant_at(t, "d", "stuck", end);
    ck_assert_str_eq(annot_str(sc, "object"), "go");
    ck_assert_str_eq(annot_str(sc, "op"), "wait");
    ck_assert_str_eq(annot_str(sc, "waits for"), "nobody known");
    ck_assert_ptr_null(pb_event_annot(sc, "cycle"));
    ck_assert_ptr_null(pb_event_annot(sd, "object"));
    ck_assert_str_eq(annot_str(sd, "op"), "join");
    ck_assert_str_eq(annot_str(sd, "waits for"), "c");
    ck_assert_str_eq(annot_str(sd, "unit"), "c");
    ck_assert_ptr_null(pb_event_annot(sd, "cycle"));

    /* each sits inside its unit's blocked slice (depth 2: lifetime, blocked), at its last nanosecond */
    const char *units[] = { "a", "b", "c", "d" };
    const char *blocked[] = { "blocked on m2 (lock)", "blocked on m1 (lock)", "blocked on go (wait)", "blocked on c (join)" };
    for (int i = 0; i < 4; i++) {
        slc s[16];
        size_t n = slices_of(t, pb_track_by_name(t, units[i])->uuid, s, 16);
        size_t k = 0, nb = 0;
        for (size_t j = 0; j < n; j++) {
            if (s[j].instant && (!strcmp(s[j].name, "deadlock") || !strcmp(s[j].name, "stuck"))) {
                k++;
                ck_assert_int_eq(s[j].depth, 2);
            }
            if (!s[j].instant && !strcmp(s[j].name, blocked[i])) {
                nb++;
                ck_assert_uint_eq(s[j].t1, T0 + end);
            }
        }
        ck_assert_msg(k == 1 && nb == 1, "unit %s: %zu end instants, %zu blocked slices", units[i], k, nb);
    }
    export_file(x.rec, tmp_path("ends.pftrace"));
    run_checker(tmp_path("ends.pftrace"));
    exported_free(&x, true);
}
END_TEST

/* A run that ended well has no end instants. */
START_TEST(test_no_end_instants) {
    exported x;
    export_decode(&x, basic_run());
    for (size_t i = 0; i < x.tr.nevents; i++) {
        const pb_event *e = &x.tr.events[i];
        ck_assert(!e->name || (strcmp(e->name, "deadlock") && strcmp(e->name, "stuck")));
    }
    exported_free(&x, true);
}
END_TEST

/* ---- a deep, long and flow-heavy recording ------------------------------------------------ */

#define DEEP 200       /* rlock recursion */
#define ITEMS 2000     /* items through the queue, each a flow */

static trc_recording *heavy_run(void) {
    run_builder b;
    rb_init(&b, "Deep, long, flow-heavy");
    uint32_t P = rb_unit(&b, "producer"), C = rb_unit(&b, "consumer");
    uint32_t q = rb_obj(&b, TRC_OBJ_QUEUE, "q", 0), R = rb_obj(&b, TRC_OBJ_RLOCK, "R", 0);
    uint32_t m = rb_obj(&b, TRC_OBJ_LOCK, "m", 0);
    rb_ev(&b, 0, P, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, C, TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint32_t d = 1; d <= DEEP; d++) rb_ev(&b, 10 + d, P, TRC_EV_ACQUIRE, R, 0, d, 0);
    for (uint32_t d = DEEP; d-- > 0;) rb_ev(&b, 10 + 2 * DEEP - d, P, TRC_EV_RELEASE, R, 0, d, 0);
    uint64_t t = 1000;
    for (uint64_t i = 1; i <= ITEMS; i++, t += 20) {
        rb_ev(&b, t, P, TRC_EV_PUT, q, 0, i, 1);
        if (i % 2) {   /* the consumer waits for every other item: put and get in one nanosecond */
            rb_ev(&b, t, C, TRC_EV_WAIT_END, q, TRC_OUT_OK, 0, 0);
            rb_ev(&b, t, C, TRC_EV_GET, q, 0, i, 0);
        } else {
            rb_ev(&b, t + 5, C, TRC_EV_GET, q, 0, i, 0);
        }
        /* a contended lock handed over every time */
        rb_ev(&b, t + 6, P, TRC_EV_ACQUIRE, m, 0, 1, 0);
        rb_ev(&b, t + 7, C, TRC_EV_WAIT_BEGIN, m, TRC_OP_LOCK, 0, 0);
        rb_ev(&b, t + 8, P, TRC_EV_RELEASE, m, 0, 0, 0);
        rb_ev(&b, t + 9, C, TRC_EV_WAIT_END, m, TRC_OUT_OK, 0, 0);
        rb_ev(&b, t + 9, C, TRC_EV_ACQUIRE, m, 0, 1, 0);
        rb_ev(&b, t + 10, C, TRC_EV_RELEASE, m, 0, 0, 0);
        if (i % 2) rb_ev(&b, t + 19, C, TRC_EV_WAIT_BEGIN, q, TRC_OP_GET, 0, 0);
    }
    rb_ev(&b, t, P, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, t + 30, C, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    return rb_finish(&b, t + 100);
}

static int cmp_ts_id(const void *a, const void *b) {
    const uint64_t *x = a, *y = b;   /* (id, ts, packet) */
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : 0;
}

START_TEST(test_deep_long_flow_heavy) {
    exported x;
    export_decode(&x, heavy_run());
    const pb_trace *t = &x.tr;
    check_sequences(t);
    /* every flow: one start, one end, the start first in trace_processor's order */
    size_t nout = 0, nin = 0;
    for (size_t i = 0; i < t->nevents; i++) { nout += t->events[i].nflows; nin += t->events[i].ntflows; }
    ck_assert_uint_eq(nout, 2 * ITEMS);   /* an item and a hand-off per round */
    ck_assert_uint_eq(nin, 2 * ITEMS);
    uint64_t *o = xmalloc(3 * nout * sizeof *o), *in = xmalloc(3 * nin * sizeof *in);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        for (size_t k = 0; k < e->nflows; k++, a++) { o[3 * a] = e->flows[k]; o[3 * a + 1] = e->ts; o[3 * a + 2] = e->packet; }
        for (size_t k = 0; k < e->ntflows; k++, b++) { in[3 * b] = e->tflows[k]; in[3 * b + 1] = e->ts; in[3 * b + 2] = e->packet; }
    }
    qsort(o, nout, 3 * sizeof *o, cmp_ts_id);
    qsort(in, nin, 3 * sizeof *in, cmp_ts_id);
    for (size_t i = 0; i < nout; i++) {
        ck_assert_uint_eq(o[3 * i], in[3 * i]);
        if (i) ck_assert_uint_ne(o[3 * i], o[3 * i - 3]);
        ck_assert(in[3 * i + 1] > o[3 * i + 1] || (in[3 * i + 1] == o[3 * i + 1] && in[3 * i + 2] > o[3 * i + 2]));
    }
    free(o);
    free(in);
    /* the rlock's owner track nests DEEP slices, the outer one named with the depth */
    const pb_track *rt = pb_track_by_name(t, "R owner");
    ck_assert_ptr_nonnull(rt);
    /* (the track is one sequence, in time order: file order is trace_processor's order here) */
    int depth = 0, max_depth = 0;
    size_t begins = 0;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        if (e->track != rt->uuid) continue;
        if (e->type == PB_TE_BEGIN) {
            if (!begins++) ck_assert_str_eq(e->name, "producer (depth 200)");
            else {
                char want[32];
                snprintf(want, sizeof want, "depth %d", depth + 1);
                ck_assert_str_eq(e->name, want);
            }
            if (++depth > max_depth) max_depth = depth;
        } else if (e->type == PB_TE_END) {
            ck_assert_int_gt(depth--, 0);
        }
    }
    ck_assert_int_eq(depth, 0);
    ck_assert_int_eq(max_depth, DEEP);
    ck_assert_uint_eq(begins, DEEP);
    /* the queue's depth: a sample per put and per get, after the initial 0 */
    const pb_track *qt = pb_track_by_name(t, "q depth");
    ck_assert_ptr_nonnull(qt);
    size_t samples = 0;
    for (size_t i = 0; i < t->nevents; i++) samples += t->events[i].track == qt->uuid && t->events[i].type == PB_TE_COUNTER;
    ck_assert_uint_eq(samples, 1 + 2 * ITEMS);
    export_file(x.rec, tmp_path("heavy.pftrace"));
    run_checker(tmp_path("heavy.pftrace"));
    exported_free(&x, true);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("perfetto");
    TCase *tc = tcase_create("export");
    tcase_add_test(tc, test_track_tree);
    tcase_add_test(tc, test_thread_slices);
    tcase_add_test(tc, test_queue_counter);
    tcase_add_test(tc, test_flows);
    tcase_add_test(tc, test_two_runs);
    tcase_add_test(tc, test_rich_decodes);
    tcase_add_test(tc, test_semantic_checker);
    tcase_add_test(tc, test_textbook_tracks_and_counters);
    tcase_add_test(tc, test_textbook_instants_and_flows);
    tcase_add_test(tc, test_textbook_futures);
    tcase_add_test(tc, test_textbook_semantic_checker);
    tcase_add_test(tc, test_textbook_random);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_deadlock_instants);
    tcase_add_test(tc, test_deadlock_cycle_survives_preemption);
    tcase_add_test(tc, test_no_end_instants);
    tcase_add_test(tc, test_deep_long_flow_heavy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
