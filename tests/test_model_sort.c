/* The model's flow sort (traces/trc_model_sort.c): against qsort on random
 * inputs and on orders built to defeat it (reversed, sawtooth, a run of high
 * flows, low flows at the end, equal t0 with ids out of order, a LIFO queue's
 * items), each checked flow by flow, every field carried along; the order
 * the builder makes on a busy queue (items with hand-offs among them); and
 * the model's flows as built (set aside as they come, or all sorted at the
 * end when too many are out of order). */
#include "testutil.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int cmp_ref(const void *a, const void *b) {
    const trc_flow *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}

/* A flow whose every field follows from (t0, id), so that a flow torn apart or
 * mixed with another shows. */
static trc_flow mk(uint64_t t0, uint64_t id) {
    return (trc_flow){ .id = id, .t0 = t0, .t1 = t0 + id % 7, .u0 = (uint32_t)(id * 3), .u1 = (uint32_t)(id * 5),
                       .obj = (uint32_t)(id % 11), .kind = (uint32_t)(id % 15) + 1, .item = id ^ 0xabcdef,
                       .ev0 = id * 2, .ev1 = id * 2 + 1, .has_value = id % 2, .value = -(int64_t)id };
}

static bool same(const trc_flow *a, const trc_flow *b) {   /* field by field: padding is not compared */
    return a->id == b->id && a->t0 == b->t0 && a->t1 == b->t1 && a->u0 == b->u0 && a->u1 == b->u1 && a->obj == b->obj &&
           a->kind == b->kind && a->item == b->item && a->ev0 == b->ev0 && a->ev1 == b->ev1 &&
           a->has_value == b->has_value && a->value == b->value;
}

static void check_sorted_like_qsort(trc_flow *v, size_t n) {
    trc_flow *ref = malloc((n ? n : 1) * sizeof *ref);
    memcpy(ref, v, n * sizeof *v);
    qsort(ref, n, sizeof *ref, cmp_ref);
    trc_flows_sort(v, n);
    size_t bad = n;   /* one assertion per array: Check writes a note per assertion */
    for (size_t i = 0; i < n && bad == n; i++)
        if (!same(&v[i], &ref[i])) bad = i;
    if (bad < n)
        ck_abort_msg("flow %zu of %zu: t0 %llu id %llu, qsort has t0 %llu id %llu", bad, n,
                     (unsigned long long)v[bad].t0, (unsigned long long)v[bad].id, (unsigned long long)ref[bad].t0,
                     (unsigned long long)ref[bad].id);
    free(ref);
}

START_TEST(random_against_qsort) {
    for (int round = 0; round < 300; round++) {
        size_t n = rnd() % 2000;
        trc_flow *v = malloc((n ? n : 1) * sizeof *v);
        uint64_t span = 1 + rnd() % 50;   /* few distinct t0: ties broken by id */
        for (size_t i = 0; i < n; i++) v[i] = mk(rnd() % span, i + 1);
        for (size_t i = n; i > 1; i--) {   /* ids in any order too */
            size_t j = rnd() % i;
            uint64_t t = v[i - 1].id; v[i - 1].id = v[j].id; v[j].id = t;
        }
        check_sorted_like_qsort(v, n);
        free(v);
    }
}
END_TEST

/* Nearly sorted with k flows moved anywhere: the path that takes a few out. */
START_TEST(nearly_sorted_against_qsort) {
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rnd() % 5000, k = rnd() % (n / 8 + 2);
        trc_flow *v = malloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++) v[i] = mk(i * 10, i + 1);
        for (size_t c = 0; c < k; c++) v[rnd() % n].t0 = rnd() % (n * 10 + 20);
        check_sorted_like_qsort(v, n);
        free(v);
    }
}
END_TEST

START_TEST(adversarial_orders) {
    enum { N = 4099 };
    trc_flow *v = malloc(N * sizeof *v);
    for (int shape = 0; shape < 10; shape++) {
        for (size_t i = 0; i < N; i++) {
            uint64_t t;
            switch (shape) {
            case 0: t = N - i; break;                                   /* reversed */
            case 1: t = i % 64; break;                                  /* sawtooth */
            case 2: t = i < N / 2 ? i : N - i; break;                   /* organ pipe */
            case 3: t = i >= 10 && i < 40 ? 1000000 + i : i; break;     /* a run of high flows */
            case 4: t = i + 1 >= N - 50 ? N - i : 100 + i; break;       /* low flows at the end */
            case 5: t = 7; break;                                       /* one t0: ids decide */
            case 6: t = (i / 64) * 1000 + (63 - i % 64); break;         /* LIFO batches */
            case 7: t = i % 2 ? i : N + i; break;                       /* every other one high */
            case 8: t = i % 2 ? N - i : i; break;                       /* interleaved up and down */
            default: t = i == 0 ? N * 2 : i; break;                     /* one high flow first */
            }
            v[i] = mk(t, shape == 5 ? (uint64_t)(N - i) : i + 1);
        }
        check_sorted_like_qsort(v, N);
    }
    for (size_t n = 0; n < 6; n++) {   /* tiny ones */
        for (size_t i = 0; i < n; i++) v[i] = mk(n - i, i + 1);
        check_sorted_like_qsort(v, n);
    }
    free(v);
}
END_TEST

/* What the builder makes on a busy FIFO queue with a lock beside it: items
 * appended at their GET (t0: the PUT, up to 64 items earlier) and a hand-off
 * every so often (t0: the release just before). */
START_TEST(busy_queue_order) {
    enum { N = 200000 };
    trc_flow *v = malloc(N * sizeof *v);
    uint64_t put = 0, id = 1;
    uint64_t puts[64];
    size_t head = 0, fill = 0;
    size_t n = 0;
    for (uint64_t t = 1; n < N; t++) {
        if (fill < 64 && rnd() % 2) { puts[(head + fill) % 64] = t * 10; fill++; put++; continue; }
        if (fill && rnd() % 2) {
            v[n++] = mk(puts[head], id++);
            v[n - 1].t1 = t * 10;
            head = (head + 1) % 64;
            fill--;
        } else if (rnd() % 20 == 0) {
            v[n++] = mk(t * 10 - 3, id++);   /* a hand-off: released just now */
        }
    }
    (void)put;
    check_sorted_like_qsort(v, n);
    free(v);
}
END_TEST

/* The model's own flows, in (t0, id) order whatever order they closed in: a LIFO queue (every
 * item closes before the ones put earlier: the flows set aside outgrow a quarter and go back to
 * one array, sorted at the end), and two FIFO queues whose items wait 1 and 40 or 2000 puts long
 * (the slow queue's flows, one in eight, start before the fast one's made just before them:
 * moved in among the last ones, or set aside and merged back). */
static void check_model_flows(const trc_model *m, size_t want) {
    ck_assert_uint_eq(m->nflows, want);
    trc_flow *ref = malloc(m->nflows * sizeof *ref);
    memcpy(ref, m->flows, m->nflows * sizeof *ref);
    qsort(ref, m->nflows, sizeof *ref, cmp_ref);
    size_t bad = m->nflows;
    for (size_t i = 0; i < m->nflows && bad == m->nflows; i++)
        if (!same(&m->flows[i], &ref[i]) || m->flows[i].kind != TRC_FLOW_ITEM || m->flows[i].t0 > m->flows[i].t1) bad = i;
    ck_assert_msg(bad == m->nflows, "flow %zu out of order", bad);
    /* every flow made is there once: the ids are the ones handed out, each once (a flow lost
     * while another is doubled would still be in order) */
    uint64_t lo = UINT64_MAX;
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].id < lo) lo = m->flows[i].id;
    bool *seen = calloc(m->nflows ? m->nflows : 1, sizeof *seen);
    for (size_t i = 0; i < m->nflows; i++) {
        uint64_t k = m->flows[i].id - lo;
        ck_assert_msg(k < m->nflows && !seen[k], "flow id %" PRIu64 " out of range or twice", m->flows[i].id);
        seen[k] = true;
    }
    free(seen);
    free(ref);
}

START_TEST(model_flows_lifo) {
    enum { N = 30000 };
    run_builder b;
    rb_init(&b, "lifo");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    uint32_t q = rb_obj(&b, TRC_OBJ_QUEUE, "q", 0);
    b.run->objects[q - 1].subkind = TRC_QUEUE_LIFO;
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint64_t k = 1; k <= N; k++) rb_ev(&b, k * 10, a, TRC_EV_PUT, q, 0, k, (uint32_t)k);
    for (uint64_t k = N; k >= 1; k--) rb_ev(&b, (2 * N - k + 1) * 10, c, TRC_EV_GET, q, 0, k, (uint32_t)(k - 1));
    trc_recording *rec = rb_finish(&b, 3 * N * 10);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    check_model_flows(&m, N);
    ck_assert_uint_eq(m.flows[0].item, 1);
    ck_assert_uint_eq(m.flows[N - 1].item, N);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

static void two_fifos(uint64_t LAG) {
    enum { N = 20000 };
    run_builder b;
    rb_init(&b, "fifos");
    uint32_t a = rb_unit(&b, "a"), c = rb_unit(&b, "c");
    uint32_t fast = rb_obj(&b, TRC_OBJ_QUEUE, "fast", 0), slow = rb_obj(&b, TRC_OBJ_QUEUE, "slow", 0);
    rb_ev(&b, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, c, TRC_EV_UNIT_START, 0, 0, 0, 0);
    uint64_t t = 10;
    for (uint64_t k = 1; k <= N + LAG; k++, t += 10) {
        if (k <= N) {
            rb_ev(&b, t, a, TRC_EV_PUT, fast, 0, k, 1);
            rb_ev(&b, t + 1, c, TRC_EV_GET, fast, 0, k, 0);
            if (k % 8 == 0) rb_ev(&b, t + 2, a, TRC_EV_PUT, slow, 0, k, 1);   /* few: set aside, not mixed */
        }
        if (k > LAG && (k - LAG) % 8 == 0) rb_ev(&b, t + 3, c, TRC_EV_GET, slow, 0, k - LAG, 0);
    }
    trc_recording *rec = rb_finish(&b, t + 10);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    check_model_flows(&m, N + N / 8);
    trc_model_release(&m);
    trc_recording_free(rec);
}

START_TEST(model_flows_two_fifos) {
    two_fifos(40);     /* each slow flow's place is a few flows back: moved in there */
    two_fifos(2000);   /* far back: set aside, merged in at the end */
}
END_TEST

int main(void) {
    Suite *s = suite_create("model_sort");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, random_against_qsort);
    tcase_add_test(tc, nearly_sorted_against_qsort);
    tcase_add_test(tc, adversarial_orders);
    tcase_add_test(tc, busy_queue_order);
    tcase_add_test(tc, model_flows_lifo);
    tcase_add_test(tc, model_flows_two_fifos);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
