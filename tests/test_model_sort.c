/* The model's flow sort (traces/trc_model_sort.c): against qsort on random
 * inputs and on orders built to defeat it (reversed, sawtooth, a run of high
 * flows, low flows at the end, equal t0 with ids out of order, a LIFO queue's
 * items), each checked flow by flow, every field carried along; and the order
 * the builder makes on a busy queue (items with hand-offs among them) sorted
 * with little extra memory. */
#include "testutil.h"
#include "traces/trc_model_internal.h"

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
    trc__flows_sort(v, n);
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

int main(void) {
    Suite *s = suite_create("model_sort");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, random_against_qsort);
    tcase_add_test(tc, nearly_sorted_against_qsort);
    tcase_add_test(tc, adversarial_orders);
    tcase_add_test(tc, busy_queue_order);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
