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
        ck_assert_msg(got[i].t0 == T0 + w[i].t0 && got[i].t1 == T0 + w[i].t1,
                      "slice %zu '%s': [%llu, %llu], want [%llu, %llu]", i, w[i].name,
                      (unsigned long long)(got[i].t0 - T0), (unsigned long long)(got[i].t1 - T0),
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
     * the same origin (the earliest start) so they line up */
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
    ck_assert_uint_eq(first_ts[0], T0);
    ck_assert_uint_eq(first_ts[1], T0);
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
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
