/* The event cursor's read-ahead (traces/trc_evcur.c) and the hand-over under
 * it (base/base_thread.c): read ahead by a thread, a run gives the same
 * batches, events, indices and offsets as read by the caller alone; a file
 * cut or broken in the middle gives the same model, warnings (event index,
 * byte offset, text) and all; closing early, with the producer waiting for a
 * free buffer, stops and joins it; tiny runs and empty ones. Run under ASan
 * and TSan too (build-asan, build-tsan). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define T0 1000000000ull

/* Writes a recording of `units` units and one lock: each unit's events in
 * batches of `per` (as the recorder drains them), the batches of the units
 * interleaved; every unit also writes, after the run's events, a second stream
 * of MARKs back in time (as the kernel's switches are written). `nev` events
 * per unit in the first stream. Now and then a unit takes the lock while
 * another holds it: the model repairs that with a warning naming the event's
 * index and byte offset. */
static void write_rec(const char *path, uint32_t units, uint32_t nev, uint32_t per, uint32_t back) {
    run_builder rb;
    rb_init(&rb, "evcur");
    char name[32];
    for (uint32_t u = 0; u < units; u++) {
        snprintf(name, sizeof name, "w.%u", u);
        rb_unit(&rb, name);
    }
    uint32_t m = rb_obj(&rb, TRC_OBJ_LOCK, "m", 0);
    trc_recording *shape = rb_finish(&rb, 0);
    trc_run run = shape->runs[0];
    run.t_start = T0;
    diag d;
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &run, &d), 0);
    trc_event *ev = xmalloc(sizeof *ev * (per > back ? per : back));
    for (uint32_t start = 0; start < nev; start += per)
        for (uint32_t u = 0; u < units; u++) {
            size_t k = 0;
            for (uint32_t i = start; i < nev && i < start + per; i++) {
                uint64_t t = T0 + 10 + (uint64_t)i * 20 + u % 3;   /* equal times across units: file order */
                uint16_t kind = i % 2 ? TRC_EV_RELEASE : TRC_EV_ACQUIRE;
                if (i % 4 >= 2 || (i / 4) % 125) kind = TRC_EV_MARK;   /* mostly marks; all units take the lock at once */
                ev[k++] = (trc_event){ .t = t, .unit = u, .obj = kind == TRC_EV_MARK ? 0 : m, .kind = kind,
                                       .arg = kind == TRC_EV_ACQUIRE ? 1 : (uint64_t)i };
            }
            if (k) ck_assert_int_eq(trc_writer_events(w, ev, k, &d), 0);
        }
    for (uint32_t u = 0; u < units; u++) {   /* each unit's second stream: back in time */
        for (uint32_t i = 0; i < back; i++)
            ev[i] = (trc_event){ .t = T0 + 15 + (uint64_t)i * 20 * (nev / (back ? back : 1)), .unit = u,
                                 .kind = TRC_EV_MARK, .arg = 7 };
        if (back) ck_assert_int_eq(trc_writer_events(w, ev, back, &d), 0);
    }
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 20ull * nev + 100, TRC_END_OK, "", &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    free(ev);
    trc_recording_free(shape);
}

/* Everything a cursor gives, batch by batch. */
typedef struct seen {
    size_t nb;
    size_t *len;
    uint64_t *index;
    trc_event *ev;
    uint64_t *off;
    size_t n;
    bool ahead;
} seen;

static void read_all(seen *s, const trc_run *run, int ahead) {
    memset(s, 0, sizeof *s);
    diag d;
    trc_evcur *c;
    ck_assert_int_eq(trc_evcur_open_ahead(&c, run, ahead, &d), 0);
    s->ahead = trc_evcur_reads_ahead(c);
    size_t cap_b = 0, cap_e = 0, cap_o = 0, cap_i = 0;
    const trc_event *b;
    size_t k;
    while ((k = trc_evcur_next(c, &b)) > 0) {
        ARR_PUSH(s->len, s->nb, cap_b, k);
        s->nb--;
        ARR_PUSH(s->index, s->nb, cap_i, trc_evcur_index(c));
        ARR_GROW(s->ev, s->n + k, cap_e);
        ARR_GROW(s->off, s->n + k, cap_o);
        memcpy(s->ev + s->n, b, k * sizeof *b);
        for (size_t i = 0; i < k; i++)
            if (!trc_evcur_offset(c, i, &s->off[s->n + i])) s->off[s->n + i] = UINT64_MAX;
        s->n += k;
    }
    uint64_t o;
    ck_assert(!trc_evcur_offset(c, 0, &o));   /* after the end: no batch */
    ck_assert_uint_eq(trc_evcur_next(c, &b), 0);   /* and it stays at the end */
    trc_evcur_close(c);
}

static void seen_free(seen *s) {
    free(s->len);
    free(s->index);
    free(s->ev);
    free(s->off);
}

static void seen_eq(const seen *a, const seen *b) {
    ck_assert_uint_eq(a->nb, b->nb);
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->nb; i++) {
        ck_assert_uint_eq(a->len[i], b->len[i]);
        ck_assert_uint_eq(a->index[i], b->index[i]);
    }
    ck_assert_int_eq(memcmp(a->ev, b->ev, a->n * sizeof *a->ev), 0);
    ck_assert_int_eq(memcmp(a->off, b->off, a->n * sizeof *a->off), 0);
}

/* The cursor's events are the file's: in time order, each at its offset. */
static void seen_matches_file(const seen *s, const char *path) {
    char *raw;
    size_t nraw;
    diag d;
    ck_assert_int_eq(file_read_all(path, &raw, &nraw, &d), 0);
    uint64_t at = 0;
    for (size_t i = 0; i < s->nb; i++) {
        ck_assert_uint_eq(s->index[i], at);
        at += s->len[i];
    }
    for (size_t i = 0; i < s->n; i++) {
        ck_assert_uint_lt(s->off[i] + 32, nraw + 1);
        ck_assert_int_eq(memcmp(raw + s->off[i], &s->ev[i], 32), 0);
        if (i) ck_assert(s->ev[i].t > s->ev[i - 1].t || (s->ev[i].t == s->ev[i - 1].t && s->off[i] > s->off[i - 1]));
    }
    free(raw);
}

START_TEST(test_same_batches_as_plain) {
    /* 6 units, ~400K events in many chunks, two streams per unit */
    const char *path = tmp_path("multi.weft");
    write_rec(path, 6, 60000, 1500, 5000);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    const trc_run *run = &rec->runs[0];
    ck_assert_ptr_null(run->events);
    ck_assert_uint_eq(run->nevents, 6 * 65000);
    seen plain, ahead, autom;
    read_all(&plain, run, TRC_AHEAD_OFF);
    read_all(&ahead, run, TRC_AHEAD_ON);
    read_all(&autom, run, TRC_AHEAD_AUTO);
    ck_assert(!plain.ahead);
    ck_assert(ahead.ahead);
    ck_assert(autom.ahead);   /* more than two chunks of events */
    ck_assert_uint_gt(plain.nb, 50);
    seen_eq(&plain, &ahead);
    seen_eq(&plain, &autom);
    seen_matches_file(&ahead, path);
    ck_assert_uint_eq(ahead.n, run->nevents);
    seen_free(&plain);
    seen_free(&ahead);
    seen_free(&autom);
    /* the model is the same whichever way it reads, warnings and all */
    trc_model m0, m1;
    trc_evcur_ahead_default(false);
    ck_assert_int_eq(trc_model_build(&m0, run, &d), 0);
    trc_evcur_ahead_default(true);
    ck_assert_int_eq(trc_model_build(&m1, run, &d), 0);
    ck_assert_uint_gt(m0.nwarnings, 0);
    ck_assert(m0.warnings[0].has_offset);
    ck_assert_uint_eq(m0.warnings_total, m1.warnings_total);
    ck_assert_uint_eq(m0.nwarnings, m1.nwarnings);
    ck_assert_int_eq(memcmp(m0.warnings, m1.warnings, m0.nwarnings * sizeof *m0.warnings), 0);
    for (uint32_t u = 0; u < run->nunits; u++) {
        ck_assert_uint_eq(m0.units[u].nspans, m1.units[u].nspans);
        ck_assert_int_eq(memcmp(m0.units[u].spans, m1.units[u].spans, m0.units[u].nspans * sizeof *m0.units[u].spans), 0);
    }
    trc_model_release(&m0);
    trc_model_release(&m1);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_unordered_through_the_index) {
    /* a unit going back in time at every other event: more streams than the
     * merge takes, read through the sorted index, ahead or not */
    const char *path = tmp_path("zigzag.weft");
    run_builder rb;
    rb_init(&rb, "zigzag");
    rb_unit(&rb, "z");
    trc_recording *shape = rb_finish(&rb, 0);
    trc_run r = shape->runs[0];
    r.t_start = T0;
    diag d;
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &r, &d), 0);
    enum { N = 140000 };
    trc_event *ev = xmalloc(sizeof *ev * N);
    for (uint32_t i = 0; i < N; i++)
        ev[i] = (trc_event){ .t = T0 + 10 + (uint64_t)(i ^ 1) * 3, .kind = TRC_EV_MARK, .arg = i };
    ck_assert_int_eq(trc_writer_events(w, ev, N, &d), 0);
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 3ull * N + 100, TRC_END_OK, "", &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    free(ev);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    seen plain, ahead;
    read_all(&plain, &rec->runs[0], TRC_AHEAD_OFF);
    read_all(&ahead, &rec->runs[0], TRC_AHEAD_ON);
    ck_assert(ahead.ahead);
    ck_assert_uint_eq(plain.n, N);
    seen_eq(&plain, &ahead);
    seen_matches_file(&ahead, path);
    for (size_t i = 0; i < ahead.n; i++) ck_assert_uint_eq(ahead.ev[i].arg, i ^ 1);
    seen_free(&plain);
    seen_free(&ahead);
    trc_recording_free(rec);
    trc_recording_free(shape);
}
END_TEST

/* The model of path's run ahead and not: equal in their warnings and counts. */
static void models_agree(const char *path, bool want_cut) {
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    ck_assert(rec->truncated);
    const trc_run *run = &rec->runs[0];
    ck_assert(run->cut == want_cut);
    ck_assert_uint_ge(run->nevents, 2 * 65536);   /* enough for the read-ahead */
    seen plain, ahead;
    read_all(&plain, run, TRC_AHEAD_OFF);
    read_all(&ahead, run, TRC_AHEAD_ON);
    ck_assert(ahead.ahead);
    seen_eq(&plain, &ahead);
    seen_matches_file(&ahead, path);
    seen_free(&plain);
    seen_free(&ahead);
    trc_model m0, m1;
    trc_evcur_ahead_default(false);
    ck_assert_int_eq(trc_model_build(&m0, run, &d), 0);
    trc_evcur_ahead_default(true);
    ck_assert_int_eq(trc_model_build(&m1, run, &d), 0);
    ck_assert_uint_gt(m0.nwarnings, 0);
    ck_assert_uint_eq(m0.warnings_total, m1.warnings_total);
    ck_assert_uint_eq(m0.nwarnings, m1.nwarnings);
    bool cut_warned = false;
    for (size_t i = 0; i < m0.nwarnings; i++) {
        const trc_warning *a = &m0.warnings[i], *b = &m1.warnings[i];
        ck_assert_uint_eq(a->ev, b->ev);
        ck_assert_int_eq(a->has_offset, b->has_offset);
        ck_assert_uint_eq(a->offset, b->offset);
        ck_assert_str_eq(a->msg, b->msg);
        if (strstr(a->msg, "cut short")) cut_warned = true;
    }
    ck_assert(cut_warned == want_cut);
    ck_assert_uint_eq(m0.makespan, m1.makespan);
    trc_model_release(&m0);
    trc_model_release(&m1);
    trc_recording_free(rec);
}

START_TEST(test_error_mid_file) {
    const char *path = tmp_path("broken.weft");
    write_rec(path, 4, 120000, 2000, 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    /* a byte flipped in the middle: that chunk's CRC fails, reading stops there */
    char *raw;
    size_t n;
    diag d;
    ck_assert_int_eq(file_read_all(path, &raw, &n, &d), 0);
    const char *bad = tmp_path("badcrc.weft");
    raw[n / 2] ^= 0x40;
    FILE *f = fopen(bad, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(raw, 1, n, f), n);
    fclose(f);
    models_agree(bad, true);
    /* cut in the middle of a chunk */
    const char *cut = tmp_path("cut.weft");
    raw[n / 2] ^= 0x40;
    f = fopen(cut, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(raw, 1, n / 2 + 1000, f), n / 2 + 1000);
    fclose(f);
    models_agree(cut, true);
    free(raw);
}
END_TEST

START_TEST(test_early_close) {
    const char *path = tmp_path("early.weft");
    write_rec(path, 4, 100000, 3000, 100);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    const trc_run *run = &rec->runs[0];
    const trc_event *b;
    /* closed at once, before a batch was taken */
    trc_evcur *c;
    ck_assert_int_eq(trc_evcur_open_ahead(&c, run, TRC_AHEAD_ON, &d), 0);
    ck_assert(trc_evcur_reads_ahead(c));
    trc_evcur_close(c);
    /* one batch taken, then time for the producer to fill every buffer and
     * wait for a free one; closed while it waits */
    ck_assert_int_eq(trc_evcur_open_ahead(&c, run, TRC_AHEAD_ON, &d), 0);
    ck_assert_uint_gt(trc_evcur_next(c, &b), 0);
    ck_assert_uint_eq(b[0].t, T0 + 10);
    nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
    trc_evcur_close(c);
    /* a few batches, closed in the middle (as a consumer that stops on an error) */
    ck_assert_int_eq(trc_evcur_open_ahead(&c, run, TRC_AHEAD_ON, &d), 0);
    for (int i = 0; i < 7; i++) ck_assert_uint_gt(trc_evcur_next(c, &b), 0);
    ck_assert_uint_eq(trc_evcur_index(c), 6 * 4096);
    trc_evcur_close(c);
    trc_evcur_close(NULL);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_tiny_runs) {
    /* 1, 3 and 5000 events, and a run with none: the same ahead or not */
    static const uint32_t sizes[] = { 1, 3, 5000 };
    for (size_t s = 0; s < 3; s++) {
        const char *path = tmp_path("tiny.weft");
        write_rec(path, 1, sizes[s], 1000, 0);
        trc_recording *rec;
        diag d;
        ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
        seen plain, ahead, autom;
        read_all(&plain, &rec->runs[0], TRC_AHEAD_OFF);
        read_all(&ahead, &rec->runs[0], TRC_AHEAD_ON);
        read_all(&autom, &rec->runs[0], TRC_AHEAD_AUTO);
        ck_assert(ahead.ahead);
        ck_assert(!autom.ahead);   /* too small to be worth a thread */
        ck_assert_uint_eq(plain.n, sizes[s]);
        seen_eq(&plain, &ahead);
        seen_eq(&plain, &autom);
        seen_matches_file(&ahead, path);
        seen_free(&plain);
        seen_free(&ahead);
        seen_free(&autom);
        trc_recording_free(rec);
    }
    /* a run without events */
    const char *path = tmp_path("empty.weft");
    write_rec(path, 2, 0, 1000, 0);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    ck_assert_uint_eq(rec->runs[0].nevents, 0);
    seen ahead;
    read_all(&ahead, &rec->runs[0], TRC_AHEAD_ON);
    ck_assert_uint_eq(ahead.n, 0);
    ck_assert_uint_eq(ahead.nb, 0);
    seen_free(&ahead);
    trc_recording_free(rec);
    /* a run built in memory: never a thread */
    run_builder rb;
    rb_init(&rb, "mem");
    uint32_t u = rb_unit(&rb, "a");
    rb_ev(&rb, 5, u, TRC_EV_MARK, 0, 0, 0, 0);
    trc_recording *mem = rb_finish(&rb, 10);
    trc_evcur *c;
    ck_assert_int_eq(trc_evcur_open_ahead(&c, &mem->runs[0], TRC_AHEAD_ON, &d), 0);
    ck_assert(!trc_evcur_reads_ahead(c));
    const trc_event *b;
    ck_assert_uint_eq(trc_evcur_next(c, &b), 1);
    trc_evcur_close(c);
    trc_recording_free(mem);
}
END_TEST

/* ---- the hand-over alone ------------------------------------------------- */

typedef struct prod { handoff *h; uint64_t slot[3]; uint64_t upto, made; } prod;

static void prod_main(void *p) {
    prod *x = p;
    for (uint64_t v = 0; v < x->upto; v++) {
        int k = handoff_put_begin(x->h);
        if (k < 0) break;
        x->slot[k] = v;
        x->made = v + 1;
        handoff_put_end(x->h);
    }
    handoff_close(x->h);
}

START_TEST(test_handoff_order_and_cancel) {
    /* every value, in order, through 3 slots */
    prod x = { .h = handoff_new(3), .upto = 20000 };
    ck_assert_ptr_nonnull(x.h);
    bg_thread *t;
    ck_assert_int_eq(bg_thread_start(&t, prod_main, &x), 0);
    uint64_t want = 0;
    int k;
    while ((k = handoff_get(x.h)) >= 0) ck_assert_uint_eq(x.slot[k], want++);
    ck_assert_uint_eq(want, 20000);
    ck_assert_int_eq(handoff_get(x.h), -1);
    bg_thread_join(t);
    handoff_free(x.h);
    /* cancelled after two: the producer, waiting for a slot, stops */
    prod y = { .h = handoff_new(3), .upto = UINT64_MAX };
    ck_assert_int_eq(bg_thread_start(&t, prod_main, &y), 0);
    ck_assert_int_eq(handoff_get(y.h), 0);
    ck_assert_int_eq(handoff_get(y.h), 1);
    nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
    handoff_cancel(y.h);
    bg_thread_join(t);
    ck_assert_uint_le(y.made, 5);   /* 2 taken, 3 slots: it never got past them */
    handoff_free(y.h);
    ck_assert_ptr_null(handoff_new(0));
    bg_thread_join(NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("evcur");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_same_batches_as_plain);
    tcase_add_test(tc, test_unordered_through_the_index);
    tcase_add_test(tc, test_error_mid_file);
    tcase_add_test(tc, test_early_close);
    tcase_add_test(tc, test_tiny_runs);
    tcase_add_test(tc, test_handoff_order_and_cancel);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
