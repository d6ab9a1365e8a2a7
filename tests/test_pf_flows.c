/* Flows between processes and the streamed flow writers of the Perfetto
 * export: runs built by hand, their model's flows checked exactly, then
 * exported into memory and decoded with our own decoder (pbdec): every flow
 * of the model is one outgoing id at its start and one terminating id at its
 * end, on the right units' tracks at the right times, whatever order the
 * flows end in. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pbdec.h"
#include "testutil.h"

#define T0 1000000000ull   /* testutil's run start; a one-run trace keeps it */

typedef struct exported {
    trc_recording *rec;
    trc_model m;
    char *data;
    size_t n;
    pb_trace tr;
} exported;

static void export_decode(exported *x, trc_recording *rec) {
    memset(x, 0, sizeof *x);
    x->rec = rec;
    diag d = { 0 };
    ck_assert_msg(trc_model_build(&x->m, &rec->runs[0], &d) == 0, "model: %s", d.msg);
    FILE *f = open_memstream(&x->data, &x->n);
    ck_assert_ptr_nonnull(f);
    int rc = trc_export_perfetto(f, rec, &x->m, &d);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_msg(rc == 0, "export: %s", d.msg);
    ck_assert_msg(pb_decode(&x->tr, (const uint8_t *)x->data, x->n) == 0, "decode: %s", x->tr.err);
}

static void exported_free(exported *x) {
    pb_free(&x->tr);
    free(x->data);
    trc_model_release(&x->m);
    trc_recording_free(x->rec);
}

/* The one event carrying flow id `id` as outgoing (or terminating). */
static const pb_event *flow_end(const pb_trace *t, uint64_t id, bool terminating) {
    const pb_event *found = NULL;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        size_t n = terminating ? e->ntflows : e->nflows;
        const uint64_t *v = terminating ? e->tflows : e->flows;
        for (size_t k = 0; k < n; k++)
            if (v[k] == id) {
                ck_assert_msg(!found, "flow %llu twice", (unsigned long long)id);
                found = e;
            }
    }
    return found;
}

static const char *track_name(const pb_trace *t, const pb_event *e) {
    const pb_track *k = pb_track_by_uuid(t, e->track);
    ck_assert_ptr_nonnull(k);
    return k->name;
}

/* Every model flow is in the trace with the model's id (one run: base 0), an
 * instant at each end on its units' tracks at its times, the start first in
 * trace_processor's order; and the trace has no other flow. Timestamps never
 * go back on a sequence. Returns the number of flows. */
static size_t check_flows_match_model(const exported *x) {
    const pb_trace *t = &x->tr;
    const trc_run *run = &x->rec->runs[0];
    for (size_t i = 0; i < x->m.nflows; i++) {
        const trc_flow *f = &x->m.flows[i];
        const pb_event *a = flow_end(t, f->id, false), *b = flow_end(t, f->id, true);
        ck_assert_msg(a && b, "flow %llu (%s) not in the trace", (unsigned long long)f->id, trc_flow_kind_name(f->kind));
        ck_assert_int_eq(a->type, PB_TE_INSTANT);
        ck_assert_int_eq(b->type, PB_TE_INSTANT);
        ck_assert_uint_eq(a->ts, T0 + f->t0);
        ck_assert_uint_eq(b->ts, T0 + f->t1);
        ck_assert_str_eq(track_name(t, a), run->units[f->u0].name);
        ck_assert_str_eq(track_name(t, b), run->units[f->u1].name);
        ck_assert(b->ts > a->ts || b->packet > a->packet);
    }
    size_t n = 0;
    uint64_t last[256] = { 0 };
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        ck_assert_uint_lt(e->seq, 256);
        ck_assert_uint_ge(e->ts, last[e->seq]);
        last[e->seq] = e->ts;
        n += e->nflows;
        for (size_t k = 0; k < e->nflows; k++) ck_assert_uint_le(e->flows[k], x->m.nflows);
    }
    ck_assert_uint_eq(n, x->m.nflows);
    return n;
}

static const pb_event *instant_at(const pb_trace *t, const char *track, const char *name, uint64_t rel) {
    const pb_track *k = pb_track_by_name(t, track);
    ck_assert_msg(k, "no track '%s'", track);
    const pb_event *found = NULL;
    for (size_t i = 0; i < t->nevents; i++) {
        const pb_event *e = &t->events[i];
        if (e->track != k->uuid || e->type != PB_TE_INSTANT || e->ts != T0 + rel || !e->name || strcmp(e->name, name))
            continue;
        ck_assert_msg(!found, "two instants '%s' at %llu on %s", name, (unsigned long long)rel, track);
        found = e;
    }
    ck_assert_msg(found, "no instant '%s' at %llu on %s", name, (unsigned long long)rel, track);
    return found;
}

static bool flows_to(const pb_event *from, const pb_event *to) {
    for (size_t k = 0; k < from->nflows; k++)
        for (size_t j = 0; j < to->ntflows; j++)
            if (from->flows[k] == to->tflows[j]) return true;
    return false;
}

static const trc_flow *nth_flow(const trc_model *m, uint32_t kind, size_t nth) {
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].kind == kind && !nth--) return &m->flows[i];
    ck_abort_msg("no flow of kind %s", trc_flow_kind_name(kind));
    return NULL;
}

static size_t count_kind(const trc_model *m, uint32_t kind) {
    size_t n = 0;
    for (size_t i = 0; i < m->nflows; i++) n += m->flows[i].kind == kind;
    return n;
}

static void flow_is(const trc_flow *f, uint32_t u0, uint32_t u1, uint64_t t0, uint64_t t1, uint32_t obj, uint64_t item) {
    ck_assert_uint_eq(f->u0, u0);
    ck_assert_uint_eq(f->u1, u1);
    ck_assert_uint_eq(f->t0, t0);
    ck_assert_uint_eq(f->t1, t1);
    ck_assert_uint_eq(f->obj, obj);
    ck_assert_uint_eq(f->item, item);
}

/* ---- processes: a pipe, a queue, a manager and a process pool ------------------ */

enum { U_MAIN, U_PROD, U_CONS, U_MGR, U_WORKER };

static trc_recording *procs_run(uint32_t *p, uint32_t *q, uint32_t *c, uint32_t *pool) {
    run_builder b;
    rb_init(&b, "Processes");
    b.run->backend = "processes";
    const char *names[] = { "main", "producer", "consumer", "m", "worker" };
    for (int u = 0; u < 5; u++) {
        rb_unit(&b, names[u]);
        b.run->units[u].kind = TRC_UNIT_PROCESS;
        b.run->units[u].pid = 4000 + u;
    }
    *p = rb_obj(&b, TRC_OBJ_PIPE, "p", 0);
    *q = rb_obj(&b, TRC_OBJ_QUEUE, "q", 4);
    uint32_t mgr = rb_obj(&b, TRC_OBJ_MANAGER, "M", 0);
    *c = rb_obj(&b, TRC_OBJ_COUNTER, "c", 0);
    b.run->objects[*c - 1].related = mgr;
    *pool = rb_obj(&b, TRC_OBJ_POOL, "P", 1);
    for (uint32_t u = 0; u < 5; u++) {
        rb_ev(&b, 1 + u, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
        rb_ev(&b, 1 + u, u, TRC_EV_PROC_START, 0, TRC_START_FORK, 4000 + u, 4000);
    }
    /* two messages through the pipe (the second sent and received in one ns), then end of file */
    rb_ev(&b, 10, U_PROD, TRC_EV_SEND, *p, 0, 1, 100);
    rb_ev(&b, 20, U_CONS, TRC_EV_RECV, *p, 0, 1, 100);
    rb_ev(&b, 30, U_PROD, TRC_EV_SEND, *p, 0, 2, 50);
    rb_ev(&b, 30, U_CONS, TRC_EV_RECV, *p, 0, 2, 50);
    rb_ev(&b, 31, U_PROD, TRC_EV_PIPE_CLOSE, *p, TRC_PIPE_WRITE, 0, 0);
    rb_ev(&b, 40, U_CONS, TRC_EV_RECV, *p, 1, 0, 0);
    /* an item through the queue between the two processes */
    rb_ev(&b, 50, U_PROD, TRC_EV_PUT, *q, 0, 7, 1);
    rb_ev(&b, 60, U_CONS, TRC_EV_GET, *q, 0, 7, 0);
    /* a managed add: request -> the manager serves it -> the reply */
    rb_ev(&b, 70, U_CONS, TRC_EV_REQUEST, *c, TRC_MGR_ADD, 5, 0);
    rb_ev(&b, 70, U_CONS, TRC_EV_WAIT_BEGIN, *c, TRC_OP_REPLY, 0, 0);
    rb_ev(&b, 72, U_MGR, TRC_EV_SERVE, *c, TRC_MGR_ADD, 5, U_CONS);
    rb_ev(&b, 75, U_CONS, TRC_EV_WAIT_END, *c, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 75, U_CONS, TRC_EV_REPLY, *c, TRC_MGR_ADD, 5, 0);
    /* the executor hand-off: main submits, the worker process runs it, main gets the result */
    rb_ev(&b, 80, U_MAIN, TRC_EV_SUBMIT, *pool, 0, 1, 0);
    rb_ev(&b, 85, U_WORKER, TRC_EV_TASK_START, *pool, 0, 1, 0);
    rb_ev(&b, 90, U_WORKER, TRC_EV_TASK_DONE, *pool, TRC_OUT_OK, 1, 0);
    rb_ev(&b, 95, U_MAIN, TRC_EV_RESULT, *pool, TRC_OUT_OK, 1, 0);
    for (uint32_t u = 0; u < 5; u++) rb_ev(&b, 100 + u, u, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    return rb_finish(&b, 110);
}

START_TEST(test_procs_model_flows) {
    uint32_t p, q, c, pool;
    trc_recording *rec = procs_run(&p, &q, &c, &pool);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    /* send -> recv, per message id; the end of file is no message */
    ck_assert_uint_eq(count_kind(&m, TRC_FLOW_MESSAGE), 2);
    flow_is(nth_flow(&m, TRC_FLOW_MESSAGE, 0), U_PROD, U_CONS, 10, 20, p, 1);
    flow_is(nth_flow(&m, TRC_FLOW_MESSAGE, 1), U_PROD, U_CONS, 30, 30, p, 2);
    ck_assert_uint_eq(count_kind(&m, TRC_FLOW_ITEM), 1);
    flow_is(nth_flow(&m, TRC_FLOW_ITEM, 0), U_PROD, U_CONS, 50, 60, q, 7);
    /* request -> serve on the manager's lane -> reply, by request id */
    ck_assert_uint_eq(count_kind(&m, TRC_FLOW_REQUEST), 1);
    ck_assert_uint_eq(count_kind(&m, TRC_FLOW_REPLY), 1);
    flow_is(nth_flow(&m, TRC_FLOW_REQUEST, 0), U_CONS, U_MGR, 70, 72, c, 5);
    flow_is(nth_flow(&m, TRC_FLOW_REPLY, 0), U_MGR, U_CONS, 72, 75, c, 5);
    /* submit -> start on the worker process -> done -> result back in main */
    flow_is(nth_flow(&m, TRC_FLOW_SUBMIT, 0), U_MAIN, U_WORKER, 80, 85, pool, 1);
    flow_is(nth_flow(&m, TRC_FLOW_TASK, 0), U_WORKER, U_WORKER, 85, 90, pool, 1);
    flow_is(nth_flow(&m, TRC_FLOW_RESULT, 0), U_WORKER, U_MAIN, 90, 95, pool, 1);
    ck_assert_uint_eq(m.nflows, 8);   /* 2 messages, an item, a request and its reply, submit, task, result */
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_procs_exported_flows) {
    uint32_t p, q, c, pool;
    exported x;
    export_decode(&x, procs_run(&p, &q, &c, &pool));
    const pb_trace *t = &x.tr;
    ck_assert_uint_eq(check_flows_match_model(&x), 8);
    const pb_event *s1 = instant_at(t, "producer", "send p (100 bytes)", 10);
    const pb_event *r1 = instant_at(t, "consumer", "recv p (100 bytes)", 20);
    ck_assert(flows_to(s1, r1));
    ck_assert_uint_eq(s1->flows[0], nth_flow(&x.m, TRC_FLOW_MESSAGE, 0)->id);
    const pb_event *s2 = instant_at(t, "producer", "send p (50 bytes)", 30);
    const pb_event *r2 = instant_at(t, "consumer", "recv p (50 bytes)", 30);
    ck_assert(flows_to(s2, r2));
    ck_assert_uint_lt(s2->packet, r2->packet);   /* one ns: the send comes first */
    const pb_event *eof = instant_at(t, "consumer", "recv p: end of file", 40);
    ck_assert_uint_eq(eof->ntflows, 0);
    const pb_event *put = instant_at(t, "producer", "put q", 50), *get = instant_at(t, "consumer", "get q", 60);
    ck_assert(flows_to(put, get));
    ck_assert_uint_eq(pb_event_annot(put, "item")->u, 7);
    ck_assert_uint_eq(pb_event_annot(get, "item")->u, 7);
    const pb_event *rq = instant_at(t, "consumer", "request c", 70), *sv = instant_at(t, "m", "serve c for consumer", 72);
    const pb_event *rp = instant_at(t, "consumer", "reply c", 75);
    ck_assert(flows_to(rq, sv) && flows_to(sv, rp));
    ck_assert_uint_eq(sv->nflows, 1);
    ck_assert_uint_eq(sv->ntflows, 1);   /* one instant ends the request and starts the reply */
    const pb_event *sub = instant_at(t, "main", "submit P", 80), *sta = instant_at(t, "worker", "start P", 85);
    const pb_event *don = instant_at(t, "worker", "done P", 90), *res = instant_at(t, "main", "result P", 95);
    ck_assert(flows_to(sub, sta) && flows_to(sta, don) && flows_to(don, res));
    exported_free(&x);
}
END_TEST

/* ---- the sweep: flows that end in any order, many in flight ----------------------- */

/* Producers put N items into an unbounded queue; consumers get them back in a
 * scrambled order (the last put first, then by a stride), so item flows end in
 * an order unrelated to their starts; meanwhile a lock is handed between
 * units at times that tie with gets, and condition notifies wake waiters at
 * times that tie with other flows' ends. */
static trc_recording *scrambled_run(size_t nitems) {
    run_builder b;
    rb_init(&b, "Scrambled");
    uint32_t u[4];
    const char *names[] = { "p0", "p1", "c0", "c1" };
    for (int i = 0; i < 4; i++) u[i] = rb_unit(&b, names[i]);
    uint32_t q = rb_obj(&b, TRC_OBJ_QUEUE, "q", 0), m = rb_obj(&b, TRC_OBJ_LOCK, "m", 0);
    uint32_t cv = rb_obj(&b, TRC_OBJ_CONDITION, "cv", 0);
    for (int i = 0; i < 4; i++) rb_ev(&b, 1, u[i], TRC_EV_UNIT_START, 0, 0, 0, 0);
    uint64_t t = 10;
    for (size_t i = 1; i <= nitems; i++, t += 2) rb_ev(&b, t, u[i % 2], TRC_EV_PUT, q, 0, i, (uint32_t)i);
    /* gets: a permutation of 1..n (stride 7 over n, n not a multiple of 7) */
    size_t depth = nitems;
    uint64_t seq = 0;
    for (size_t k = 0; k < nitems; k++, t += 3) {
        size_t item = (k * 7) % nitems + 1;
        uint32_t who = u[2 + k % 2], other = u[2 + (k + 1) % 2];
        bool hand = k % 5 == 0, wake = !hand && k % 7 == 3;
        if (hand) {   /* a lock handed over in the ns of this get */
            rb_ev(&b, t - 2, other, TRC_EV_ACQUIRE, m, 0, 1, 0);
            rb_ev(&b, t - 1, who, TRC_EV_WAIT_BEGIN, m, TRC_OP_LOCK, 0, 0);
            rb_ev(&b, t, other, TRC_EV_RELEASE, m, 0, 0, 0);
            rb_ev(&b, t, who, TRC_EV_WAIT_END, m, TRC_OUT_OK, 0, 0);
            rb_ev(&b, t, who, TRC_EV_ACQUIRE, m, 0, 1, 0);
        } else if (wake) {   /* a notify waking the other consumer in the same ns */
            rb_ev(&b, t - 1, other, TRC_EV_WAIT_BEGIN, cv, TRC_OP_COND_WAIT, 0, 0);
            rb_ev(&b, t, who, TRC_EV_NOTIFY, cv, 0, ++seq, 1);
            rb_ev(&b, t, other, TRC_EV_WAIT_END, cv, TRC_OUT_OK, 0, (uint32_t)seq);
        }
        rb_ev(&b, t, who, TRC_EV_GET, q, 0, item, (uint32_t)--depth);
        if (hand) rb_ev(&b, t + 1, who, TRC_EV_RELEASE, m, 0, 0, 0);
    }
    for (int i = 0; i < 4; i++) rb_ev(&b, t + 10, u[i], TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    return rb_finish(&b, t + 20);
}

START_TEST(test_sweep_scrambled) {
    const size_t n = 500;
    exported x;
    export_decode(&x, scrambled_run(n));
    ck_assert_uint_eq(count_kind(&x.m, TRC_FLOW_ITEM), n);
    ck_assert_uint_eq(count_kind(&x.m, TRC_FLOW_HANDOFF), n / 5);
    size_t wakes = 0;
    for (size_t k = 0; k < n; k++) wakes += k % 5 != 0 && k % 7 == 3;
    ck_assert_uint_eq(count_kind(&x.m, TRC_FLOW_NOTIFY), wakes);
    ck_assert_uint_eq(check_flows_match_model(&x), x.m.nflows);
    /* the semantic checker agrees (written to a file for it) */
    FILE *f = fopen(tmp_path("scrambled.pftrace"), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(x.data, 1, x.n, f), x.n);
    ck_assert_int_eq(fclose(f), 0);
    const char *checker = WEFT_SOURCE_DIR "/../shared/perfetto/check_semantics.py";
    if (system("command -v python3 >/dev/null 2>&1") == 0 && access(checker, R_OK) == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "python3 '%s' --strict --quiet '%s'", checker, tmp_path("scrambled.pftrace"));
        int st = system(cmd);
        ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "check_semantics.py --strict failed");
    } else {
        fprintf(stderr, "SKIP: python3 or %s missing: the checker was not run\n", checker);
    }
    exported_free(&x);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("pf_flows");
    TCase *tc = tcase_create("flows");
    tcase_add_test(tc, test_procs_model_flows);
    tcase_add_test(tc, test_procs_exported_flows);
    tcase_add_test(tc, test_sweep_scrambled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(suite()); }
