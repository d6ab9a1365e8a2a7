/* Stats and diff on hand-built runs with known answers: waits per object with
 * nearest-rank percentiles, lock contention, time-weighted queue depth,
 * throughput, CPU, recorder flushes, lost events, actor groups; diff's rows
 * matched by name (and by group when unit counts differ), its summary, and the
 * --fail-if grammar. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US 1000ull
#define MS 1000000ull

enum { EV_FLUSH_BEGIN = TRC_EV_FLUSH_BEGIN, EV_FLUSH_END = TRC_EV_FLUSH_END };

typedef struct hand { trc_recording *rec; trc_model m; trc_stats s; uint32_t Q, L; } hand;

/* p0 (producer) fills Q (capacity 2) and blocks on it 1..wait_end ms; c0 and c1
 * (consumer) contend for L; c0 gets the three items; extra_consumers more
 * consumers that only start and exit. The run ends at end ms. */
static void build(hand *h, uint64_t wait_end, uint64_t end, int extra_consumers) {
    run_builder b;
    rb_init(&b, "hand");
    uint32_t p0 = rb_unit(&b, "p0"), c0 = rb_unit(&b, "c0"), c1 = rb_unit(&b, "c1");
    h->Q = rb_obj(&b, TRC_OBJ_QUEUE, "Q", 2);
    h->L = rb_obj(&b, TRC_OBJ_LOCK, "L", 0);
    uint32_t Q = h->Q, L = h->L;
    uint32_t extra[4];
    for (int i = 0; i < extra_consumers; i++) {
        char n[16];
        snprintf(n, sizeof n, "c%d", 2 + i);
        extra[i] = rb_unit(&b, n);
    }
    b.run->units[p0].group = "producer";
    for (uint32_t u = 1; u < b.run->nunits; u++) b.run->units[u].group = "consumer";
    for (uint32_t u = 0; u < b.run->nunits; u++) rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, p0, TRC_EV_COMPUTE_BEGIN, 0, 0, 1 * MS, 0);
    rb_ev(&b, 0, c1, TRC_EV_ACQUIRE, L, 0, 1, 0);
    rb_ev(&b, 500 * US, c1, EV_FLUSH_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 700 * US, c1, EV_FLUSH_END, 0, 0, 0, 0);
    for (int i = 0; i < extra_consumers; i++) rb_ev(&b, 1 * MS, extra[i], TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 1 * MS, p0, TRC_EV_COMPUTE_END, 0, 0, 900 * US, 0);
    rb_ev(&b, 1 * MS, p0, TRC_EV_PUT, Q, 0, 1, 1);
    rb_ev(&b, 1 * MS, p0, TRC_EV_PUT, Q, 0, 2, 2);
    rb_ev(&b, 1 * MS, p0, TRC_EV_WAIT_BEGIN, Q, TRC_OP_PUT, 0, 0);
    rb_ev(&b, 1 * MS, c0, TRC_EV_WAIT_BEGIN, L, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 2 * MS, c1, TRC_EV_RELEASE, L, 0, 0, 0);
    rb_ev(&b, 2 * MS, c0, TRC_EV_WAIT_END, L, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 2 * MS, c0, TRC_EV_ACQUIRE, L, 0, 1, 0);
    rb_ev(&b, 2200 * US, c1, TRC_EV_WAIT_BEGIN, L, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 2500 * US, c0, TRC_EV_RELEASE, L, 0, 0, 0);
    rb_ev(&b, 2500 * US, c1, TRC_EV_WAIT_END, L, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 2500 * US, c1, TRC_EV_ACQUIRE, L, 0, 1, 0);
    rb_ev(&b, 3 * MS, c1, TRC_EV_RELEASE, L, 0, 0, 0);
    rb_ev(&b, 3 * MS, c1, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, 3 * MS, c0, TRC_EV_GET, Q, 0, 1, 1);
    rb_ev(&b, wait_end, p0, TRC_EV_WAIT_END, Q, TRC_OUT_OK, 0, 0);
    rb_ev(&b, wait_end, p0, TRC_EV_PUT, Q, 0, 3, 2);
    rb_ev(&b, wait_end + 1 * MS, p0, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    rb_ev(&b, wait_end + 3 * MS, c0, TRC_EV_LOST, 0, 0, 5, 0);
    rb_ev(&b, wait_end + 3 * MS, c0, TRC_EV_GET, Q, 0, 2, 1);
    rb_ev(&b, wait_end + 4 * MS, c0, TRC_EV_GET, Q, 0, 3, 0);
    rb_ev(&b, wait_end + 5 * MS, c0, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    b.run->lost = 5;
    h->rec = rb_finish(&b, end);
    diag d = { 0 };
    ck_assert_msg(trc_model_build(&h->m, &h->rec->runs[0], &d) == 0, "model: %s", d.msg);
    ck_assert_int_eq(trc_stats_build(&h->s, &h->m), 0);
}

static void hand_free(hand *h) {
    trc_stats_release(&h->s);
    trc_model_release(&h->m);
    trc_recording_free(h->rec);
}

static void dist_is(const trc_dist *d, uint64_t n, uint64_t total, uint64_t p50, uint64_t p95, uint64_t max) {
    ck_assert_uint_eq(d->n, n);
    ck_assert_uint_eq(d->total, total);
    ck_assert_uint_eq(d->p50, p50);
    ck_assert_uint_eq(d->p95, p95);
    ck_assert_uint_eq(d->max, max);
}

START_TEST(figures_of_a_hand_built_run) {
    hand h;
    build(&h, 3 * MS, 10 * MS, 0);
    const trc_stats *s = &h.s;
    ck_assert_uint_eq(s->makespan, 10 * MS);
    /* waits: p0 on Q 2 ms, c0 on L 1 ms, c1 on L 0.3 ms; nearest rank: p50 the 2nd, p95 the 3rd */
    dist_is(&s->wait, 3, 3300 * US, 1 * MS, 2 * MS, 2 * MS);
    dist_is(&s->objects[h.L - 1].wait, 2, 1300 * US, 300 * US, 1 * MS, 1 * MS);
    dist_is(&s->objects[h.Q - 1].wait, 1, 2 * MS, 2 * MS, 2 * MS, 2 * MS);
    dist_is(&s->units[0].wait, 1, 2 * MS, 2 * MS, 2 * MS, 2 * MS);
    dist_is(&s->units[2].wait, 1, 300 * US, 300 * US, 300 * US, 300 * US);
    /* the lock: 3 acquisitions, 2 of them waited; held 2 + 0.5 + 0.5 ms */
    const trc_obj_stats *L = &s->objects[h.L - 1];
    ck_assert_uint_eq(L->acquisitions, 3);
    ck_assert_uint_eq(L->contended, 2);
    ck_assert(fabs(L->contention - 2.0 / 3) < 1e-9);
    ck_assert_uint_eq(L->held_ns, 3 * MS);
    ck_assert(fabs(L->held_share - 0.3) < 1e-9);
    /* the queue: depth 0 (1 ms), 2 (2 ms), 2 (3 ms), 1 (1 ms), 0 (3 ms) */
    const trc_obj_stats *Q = &s->objects[h.Q - 1];
    ck_assert(fabs(Q->depth_mean - 1.1) < 1e-9);
    ck_assert_int_eq(Q->depth_p50, 1);
    ck_assert_int_eq(Q->depth_p95, 2);
    ck_assert_int_eq(Q->depth_max, 2);
    ck_assert_uint_eq(Q->full_ns, 5 * MS);
    ck_assert_uint_eq(Q->empty_ns, 4 * MS);
    ck_assert_uint_eq(Q->puts, 3);
    ck_assert_uint_eq(Q->gets, 3);
    ck_assert(fabs(Q->items_per_s - 300) < 1e-6);
    ck_assert_uint_eq(s->items, 3);
    /* CPU, flushes, lost events, states */
    ck_assert_uint_eq(s->cpu_ns, 900 * US);
    ck_assert_uint_eq(s->units[0].cpu_ns, 900 * US);
    ck_assert_uint_eq(s->flush_ns, 200 * US);
    ck_assert_uint_eq(s->flushes, 1);
    ck_assert_uint_eq(s->units[2].flush_ns, 200 * US);
    ck_assert_uint_eq(s->lost, 5);
    ck_assert_uint_eq(s->units[1].lost, 5);
    ck_assert_uint_eq(s->units[0].t_state[TRC_ST_COMPUTE], 1 * MS);
    ck_assert_uint_eq(s->units[0].t_state[TRC_ST_BLOCKED], 2 * MS);
    ck_assert_uint_eq(s->units[0].life_ns, 4 * MS);
    /* groups: the producer alone, the two consumers together */
    ck_assert_uint_eq(s->ngroups, 2);
    ck_assert_str_eq(s->groups[0].name, "producer");
    ck_assert_str_eq(s->groups[1].name, "consumer");
    ck_assert_uint_eq(s->groups[1].nunits, 2);
    dist_is(&s->groups[1].wait, 2, 1300 * US, 300 * US, 1 * MS, 1 * MS);
    dist_is(&s->groups[1].obj_wait[h.L - 1], 2, 1300 * US, 300 * US, 1 * MS, 1 * MS);
    ck_assert_uint_eq(s->groups[1].obj_wait[h.Q - 1].n, 0);
    ck_assert_uint_eq(s->groups[0].obj_wait[h.Q - 1].total, 2 * MS);
    ck_assert_uint_eq(s->groups[1].t_state[TRC_ST_BLOCKED], 1300 * US);

    /* the text and the JSON show them */
    buf t = { 0 };
    trc_stats_text(&t, &h.m);
    buf_u8(&t, 0);
    const char *txt = (const char *)t.p;
    static const char *const want[] = { "waits on", "1.30 ms", "300 us", "2 of 3 acquisitions waited (67%)",
                                        "items/s", "300.0", "1.10", "50%", "40%", "throughput: 3 items in 10.0 ms",
                                        "recorder flush: units waited 200 us for the recorder's full buffers (1 wait,", "consumer (x2)",
                                        "WARNING: 5 events were lost" };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(txt, want[i]), "stats text lacks '%s':\n%s", want[i], txt);
    buf j = { 0 };
    trc_stats_json(&j, &h.m, 1);
    buf_u8(&j, 0);
    const char *js = (const char *)j.p;
    static const char *const wantj[] = {
        "\"schema\":\"weft-stats\",\"version\":1",
        "\"wait\":{\"count\":3,\"total_ns\":3300000,\"p50_ns\":1000000,\"p95_ns\":2000000,\"max_ns\":2000000}",
        "\"depth\":{\"mean\":1.1,\"p50\":1,\"p95\":2,\"max\":2,\"full_ns\":5000000,\"empty_ns\":4000000}",
        "\"contended\":2,\"contention\":0.666667", "\"flush_ns\":200000,\"flushes\":1", "\"cpu_ns\":900000",
        "\"waits_on\":[{\"object\":\"L\",\"wait\":{\"count\":2,\"total_ns\":1300000", "\"items_per_s\":300",
    };
    for (size_t i = 0; i < sizeof wantj / sizeof *wantj; i++)
        ck_assert_msg(strstr(js, wantj[i]), "stats JSON lacks '%s':\n%s", wantj[i], js);
    free(t.p);
    free(j.p);
    hand_free(&h);
}
END_TEST

/* The depth percentiles as they were first computed: every (value, time) of
 * the series copied and sorted by value, then walked up to 50 % and 95 % of the
 * run's time. The stats compute them without the copy when the values are few
 * (a histogram) and with it when they are not: both must agree to the value. */
typedef struct ref_lvl { int64_t v; uint64_t dur; } ref_lvl;
static int ref_cmp(const void *a, const void *b) {
    int64_t x = ((const ref_lvl *)a)->v, y = ((const ref_lvl *)b)->v;
    return x < y ? -1 : x > y;
}
static void ref_depth(const trc_sample *s, size_t n, uint64_t makespan, int64_t *p50, int64_t *p95) {
    ref_lvl *l = calloc(n, sizeof *l);
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = s[i].t, t1 = i + 1 < n ? s[i + 1].t : makespan;
        if (t0 > makespan) t0 = makespan;
        if (t1 > makespan) t1 = makespan;
        if (t1 < t0) t1 = t0;
        if (t1 - t0) l[nl++] = (ref_lvl){ s[i].v, t1 - t0 };
    }
    qsort(l, nl, sizeof *l, ref_cmp);
    uint64_t acc = 0;
    bool got50 = false;
    *p50 = *p95 = 0;
    for (size_t i = 0; i < nl; i++) {
        acc += l[i].dur;
        if (!got50 && (double)acc >= 0.5 * (double)makespan) { *p50 = l[i].v; got50 = true; }
        if ((double)acc >= 0.95 * (double)makespan) { *p95 = l[i].v; break; }
    }
    free(l);
}

static uint64_t xs(uint64_t *r) {
    *r ^= *r << 13; *r ^= *r >> 7; *r ^= *r << 17;
    return *r;
}

START_TEST(depth_percentiles_agree_with_a_sort) {
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    int fast = 0, wide = 0;
    for (int round = 0; round < 400; round++) {
        int shape = round % 4;   /* 0, 1: few values (the histogram); 2: values spread wider than the samples; 3: int64 extremes */
        size_t n = 1 + xs(&rng) % (round < 8 ? 5 : 4000);
        trc_sample *s = calloc(n, sizeof *s);
        uint64_t t = 0;
        for (size_t i = 0; i < n; i++) {
            if (i) t += xs(&rng) % 4 == 0 ? 0 : xs(&rng) % 1000;   /* a quarter of the steps take no time */
            s[i].t = t;
            switch (shape) {
            case 0: s[i].v = (int64_t)(xs(&rng) % 40); break;
            case 1: s[i].v = (int64_t)(xs(&rng) % 200000) - 100000; break;   /* > 2^16 apart, fewer than the samples when n is big */
            case 2: s[i].v = (int64_t)(xs(&rng) % 1000000000000ull) - 500000000000ll; break;
            default: {
                uint64_t k = xs(&rng) % 3;
                s[i].v = k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : (int64_t)xs(&rng);
            }
            }
        }
        /* the run ends before, at or after the last sample */
        uint64_t makespan = t + (xs(&rng) % 3 == 0 ? 0 : xs(&rng) % 2000);
        if (xs(&rng) % 5 == 0 && t > 2) makespan = t / 2;
        if (!makespan) makespan = 1;
        trc_object ob = { .kind = TRC_OBJ_QUEUE, .name = "Q", .capacity = 20 };
        trc_run run = { .objects = &ob, .nobjects = 1 };
        trc_object_track ot = { .depth = s, .ndepth = n };
        trc_unit_track ut = { 0 };
        trc_model m = { .run = &run, .units = &ut, .objects = &ot, .makespan = makespan };
        trc_stats st;
        ck_assert_int_eq(trc_stats_build(&st, &m), 0);
        int64_t p50, p95;
        ref_depth(s, n, makespan, &p50, &p95);
        ck_assert_msg(st.objects[0].depth_p50 == p50 && st.objects[0].depth_p95 == p95,
                      "round %d (shape %d, %zu samples): p50 %lld p95 %lld, the sort says %lld %lld", round, shape, n,
                      (long long)st.objects[0].depth_p50, (long long)st.objects[0].depth_p95, (long long)p50, (long long)p95);
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (size_t i = 0; i < n; i++) { if (s[i].v < lo) lo = s[i].v; if (s[i].v > hi) hi = s[i].v; }
        if ((uint64_t)hi - (uint64_t)lo < (1u << 16) || (uint64_t)hi - (uint64_t)lo < n) fast++; else wide++;
        trc_stats_release(&st);
        free(s);
    }
    ck_assert_int_gt(fast, 100);   /* both ways were taken, many times */
    ck_assert_int_gt(wide, 100);
}
END_TEST

START_TEST(every_state_of_the_model_is_a_figure) {
    /* the state table is TRC_STATE_MAP: each state's key in JSON, a diff row per state */
    unsigned n;
    const trc_state_info *t = trc_state_table(&n);
    ck_assert_uint_ge(n, 6);
    hand h;
    build(&h, 3 * MS, 10 * MS, 0);
    buf j = { 0 };
    trc_stats_json(&j, &h.m, 1);
    buf_u8(&j, 0);
    trc_diff d;
    trc_diff_build(&d, &h.s, &h.s);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_str_eq(trc_state_key(t[i].id), t[i].key);
        for (const char *k = t[i].key; *k; k++) ck_assert(!(*k >= 'A' && *k <= 'Z'));
        char key[64];
        snprintf(key, sizeof key, "\"%s\":", t[i].key);
        ck_assert_msg(strstr((const char *)j.p, key), "JSON lacks state %s", t[i].key);
        ck_assert_msg(trc_diff_find(&d, t[i].key), "diff lacks state %s", t[i].key);
    }
    ck_assert_str_eq(trc_state_key(TRC_ST_BLOCKED), "blocked");
    trc_diff_release(&d);
    free(j.p);
    hand_free(&h);
}
END_TEST

START_TEST(diff_of_two_hand_built_runs) {
    hand a, b;
    build(&a, 3 * MS, 10 * MS, 0);
    build(&b, 7 * MS, 20 * MS, 1);   /* p0 waits 6 ms instead of 2; a third consumer */
    trc_diff d;
    ck_assert_int_eq(trc_diff_build(&d, &a.s, &b.s), 0);
    const trc_diff_row *r = trc_diff_find(&d, "makespan");
    ck_assert_ptr_nonnull(r);
    ck_assert(r->has_a && r->has_b && r->a == 10.0 * MS && r->b == 20.0 * MS);
    r = trc_diff_find(&d, "object:Q.wait");
    ck_assert(r && r->a == 2.0 * MS && r->b == 6.0 * MS);
    r = trc_diff_find(&d, "group:producer.wait_on(Q)");
    ck_assert(r && r->a == 2.0 * MS && r->b == 6.0 * MS);
    r = trc_diff_find(&d, "group:consumer.units");
    ck_assert(r && r->a == 2 && r->b == 3);
    r = trc_diff_find(&d, "unit:c2.cpu");   /* only in B */
    ck_assert(r && !r->has_a && r->has_b);
    ck_assert_uint_eq(d.nonly_a, 0);
    ck_assert_uint_eq(d.nonly_b, 1);
    ck_assert_str_eq(d.only_b[0], "c2");
    r = trc_diff_find(&d, "object:L.contention");
    ck_assert(r && fabs(r->a - 2.0 / 3) < 1e-9 && fabs(r->b - 2.0 / 3) < 1e-9);
    ck_assert_ptr_null(trc_diff_find(&d, "object:nope.wait"));
    /* the summary: the makespan first, then the biggest change: the producer's wait on Q */
    ck_assert_uint_ge(d.nlines, 2);
    ck_assert_msg(strstr(d.lines[0], "2.0x longer (10.0 ms -> 20.0 ms)"), "%s", d.lines[0]);
    bool said = false;
    for (size_t i = 1; i < d.nlines; i++) said |= strstr(d.lines[i], "producer waited 3.0x longer on `Q` (2.00 ms -> 6.00 ms") != NULL;
    ck_assert_msg(said, "no line on the producer's wait: %s / %s", d.lines[1], d.nlines > 2 ? d.lines[2] : "");
    buf t = { 0 };
    trc_diff_text(&t, &d, "A", "B", false);
    buf_u8(&t, 0);
    ck_assert_msg(strstr((const char *)t.p, "only in B: c2"), "%s", t.p);
    ck_assert(strstr((const char *)t.p, "object:Q.wait "));

    /* --fail-if */
    static const struct { const char *cond; bool hit; } cases[] = {
        { "makespan > 1.5x", true },    { "makespan > 2.5x", false },   { "makespan>=2x", true },
        { "object:Q.wait > +3ms", true }, { "object:Q.wait > +5ms", false }, { "object:Q.wait >= +200%", true },
        { "object:Q.wait > +201%", false }, { "makespan < 25ms", true }, { "makespan < 0.02s", false },
        { "object:L.contention > 60%", true }, { "object:L.contention != 0.5", true }, { "object:L.contention != 0.6666666666666666", false },
        { "group:consumer.units == 3", true }, { "lost == 5", true }, { "lost > +0", false },
        { "makespan <= -1ms", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        trc_cond c;
        diag dg = { 0 };
        ck_assert_msg(trc_cond_parse(&c, cases[i].cond, &dg) == 0, "%s: %s", cases[i].cond, dg.msg);
        bool hit;
        char why[512];
        ck_assert_msg(trc_cond_eval(&c, &d, &hit, why, sizeof why, &dg) == 0, "%s: %s", cases[i].cond, dg.msg);
        ck_assert_msg(hit == cases[i].hit, "'%s' should %shold: %s", cases[i].cond, cases[i].hit ? "" : "not ", why);
    }
    static const char *const bad[] = { "makespan", "makespan > ", "> 1x", "makespan >> 1x", "makespan > 1.2y",
                                       "makespan > -1.2x", "makespan = 3" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        trc_cond c;
        diag dg = { 0 };
        ck_assert_msg(trc_cond_parse(&c, bad[i], &dg) != 0, "'%s' parsed", bad[i]);
        ck_assert(dg.msg[0]);
    }
    trc_cond c;
    diag dg = { 0 };
    ck_assert_int_eq(trc_cond_parse(&c, "object:Q.wiat > 1x", &dg), 0);
    bool hit;
    char why[256];
    ck_assert_int_ne(trc_cond_eval(&c, &d, &hit, why, sizeof why, &dg), 0);
    ck_assert_msg(strstr(dg.msg, "did you mean 'object:Q.wait'"), "%s", dg.msg);
    free(t.p);
    trc_diff_release(&d);
    hand_free(&a);
    hand_free(&b);
}
END_TEST

int main(void) {
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, figures_of_a_hand_built_run);
    tcase_add_test(tc, every_state_of_the_model_is_a_figure);
    tcase_add_test(tc, depth_percentiles_agree_with_a_sort);
    tcase_add_test(tc, diff_of_two_hand_built_runs);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
