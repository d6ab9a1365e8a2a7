/* The reader's pre-scan of EVENTS chunks (traces/trc_file_scan.c): a file
 * read with it (with and without its helper thread) gives the same recording
 * as the walk that reads every chunk itself: the same runs, counts, segments,
 * events in the same order, and on a damaged file the same stop at the same
 * byte with the same words. White-box: it compares the segment lists. */
#include "testutil.h"
#include "traces/trc_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1000000000ull
#define REQUIRE(c) do { if (!(c)) ck_abort_msg("line %d: %s", __LINE__, #c); } while (0)

/* ---- trc_evsrc_add_pieces against trc_evsrc_add --------------------------- */

/* The pieces of n events as the pre-scan defines them: a new piece at the
 * first event, where the unit changes and where the time goes back. */
static uint32_t pieces_of(const uint8_t *ev, uint32_t n, f_piece *p) {
    uint32_t np = 0;
    for (uint32_t i = 0; i < n; i++, ev += F_EV_SIZE) {
        uint64_t t = ld_u64le(ev);
        uint32_t u = ld_u32le(ev + 16);
        if (!np || u != p[np - 1].unit || t < p[np - 1].t_last)
            p[np++] = (f_piece){ .t_first = t, .unit = u, .first = i };
        p[np - 1].n++;
        p[np - 1].t_last = t;
    }
    return np;
}

static void same_src(const trc_evsrc *a, const trc_evsrc *b) {
    ck_assert_uint_eq(a->nevents, b->nevents);
    ck_assert_uint_eq(a->nunits, b->nunits);
    ck_assert_uint_eq(a->nsegs, b->nsegs);
    ck_assert_uint_eq(a->nstreams, b->nstreams);
    ck_assert_int_eq(a->unordered, b->unordered);
    ck_assert_int_eq(memcmp(a->segs, b->segs, a->nsegs * sizeof *a->segs), 0);
    ck_assert_int_eq(memcmp(a->cur, b->cur, a->nunits * sizeof *a->cur), 0);
    if (a->nstreams) {
        ck_assert_int_eq(memcmp(a->first, b->first, a->nstreams * sizeof *a->first), 0);
        ck_assert_int_eq(memcmp(a->last, b->last, a->nstreams * sizeof *a->last), 0);
        ck_assert_int_eq(memcmp(a->last_t, b->last_t, a->nstreams * sizeof *a->last_t), 0);
    }
}

START_TEST(test_pieces_make_the_same_segments) {
    /* chunks of random events: runs of one unit, times that mostly go on and
     * sometimes go back (a unit's second stream), a unit declared late */
    enum { CHUNKS = 60, MAXN = 3000, UNITS = 6 };
    uint8_t *ev = xmalloc((size_t)MAXN * F_EV_SIZE);
    f_piece *p = xmalloc(MAXN * sizeof *p);
    trc_backing back = { .p = (const uint8_t *)"", .n = 0, .fd = -1 };
    trc_evsrc *a = trc_evsrc_new(&back, 4), *b = trc_evsrc_new(&back, 4);
    uint64_t s = 0x9e3779b97f4a7c15ull, t[UNITS] = { 0 };
    uint64_t off = 4096;
    for (int c = 0; c < CHUNKS; c++) {
        if (c == 20) {
            trc_evsrc_units(a, UNITS);
            trc_evsrc_units(b, UNITS);
        }
        uint32_t nu = c < 20 ? 4 : UNITS;
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        uint32_t n = 1 + (uint32_t)(s % MAXN), u = 0, run = 0;
        for (uint32_t i = 0; i < n; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            if (!run) { u = (uint32_t)(s >> 20) % nu; run = 1 + (uint32_t)(s >> 40) % 200; }
            run--;
            if (s % 97 == 0) t[u] -= s % 5000;    /* back in time */
            else t[u] += s % 3;                   /* equal times too */
            uint8_t *q = ev + (size_t)i * F_EV_SIZE;
            memset(q, 0, F_EV_SIZE);
            wr_u64le(q, T0 + t[u] + (uint64_t)c * 1000);
            wr_u32le(q + 16, u);
        }
        trc_evsrc_add(a, ev, off, n);
        uint32_t np = pieces_of(ev, n, p);
        REQUIRE(b->nstreams + np < EVSRC_MAX_STREAMS);
        trc_evsrc_add_pieces(b, p, np, off, n);
        off += (uint64_t)n * F_EV_SIZE + 40;
    }
    ck_assert_uint_gt(a->nstreams, UNITS);   /* some units went back in time */
    same_src(a, b);
    trc_evsrc_free(a);
    trc_evsrc_free(b);
    free(p);
    free(ev);
}
END_TEST

/* ---- a file read with the pre-scan, and without ---------------------------- */

/* Run 0: units 0-3, then unit 4 declared in a second UNITS chunk after 10
 * chunks; 40 EVENTS chunks of 4 units' batches (a LOST event now and then),
 * one chunk whose 5000 events alternate units (more pieces than the pre-scan
 * keeps: the walk reads it itself), the units' second streams back in time.
 * Run 1: a few chunks, then one of BIG events. */
enum { BIG = 65535 };

static void write_file(const char *path) {
    run_builder rb;
    rb_init(&rb, "prescan");
    for (int u = 0; u < 5; u++) {
        char name[16];
        snprintf(name, sizeof name, "w.%d", u);
        rb_unit(&rb, name);
    }
    rb_obj(&rb, TRC_OBJ_LOCK, "m", 0);
    trc_recording *src = rb_finish(&rb, T0 + 10000000000ull);
    trc_run run = src->runs[0];
    run.nunits = 4;
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &run, &d), 0);
    enum { BATCH = 400 };
    trc_event *ev = xmalloc(5000 * sizeof *ev);
    uint64_t seq = 0;
    for (int c = 0; c < 40; c++) {
        if (c == 10) ck_assert_int_eq(trc_writer_units(w, src->runs[0].units + 4, 1, &d), 0);
        uint32_t nu = c < 10 ? 4 : 5;
        for (uint32_t u = 0; u < nu; u++) {
            for (int i = 0; i < BATCH; i++) {
                bool lost = i == 7 && u == (uint32_t)c % nu;
                ev[i] = (trc_event){ .t = T0 + (uint64_t)(c * BATCH + i) * 100 + u, .unit = u,
                                     .kind = lost ? TRC_EV_LOST : TRC_EV_MARK, .obj = i % 3 ? 1 : 0,
                                     .arg = lost ? 5 : seq++ };
            }
            ck_assert_int_eq(trc_writer_events(w, ev, BATCH, &d), 0);
        }
        ck_assert_int_eq(trc_writer_flush(w, &d), 0);
    }
    for (int i = 0; i < 5000; i++)   /* the second streams: back in time, units alternating */
        ev[i] = (trc_event){ .t = T0 + (uint64_t)i * 300 + 7, .unit = (uint32_t)i % 5, .kind = TRC_EV_SCHED_SWITCH,
                             .arg = seq++ };
    ck_assert_int_eq(trc_writer_events(w, ev, 5000, &d), 0);
    ck_assert_int_eq(trc_writer_flush(w, &d), 0);
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 9000000000ull, TRC_END_OK, "", &d), 0);
    run = src->runs[0];
    ck_assert_int_eq(trc_writer_run_begin(w, &run, &d), 1);
    for (int c = 0; c < 6; c++) {
        for (int i = 0; i < 700; i++)
            ev[i] = (trc_event){ .t = T0 + (uint64_t)(c * 700 + i) * 50, .unit = (uint32_t)i / 140,
                                 .kind = TRC_EV_MARK, .arg = seq++ };
        ck_assert_int_eq(trc_writer_events(w, ev, 700, &d), 0);
        ck_assert_int_eq(trc_writer_flush(w, &d), 0);
    }
    /* one chunk of BIG events (2 MiB): the pre-scan reads it in several pieces, its CRC
     * carried from one to the next */
    ev = xrealloc(ev, BIG * sizeof *ev);
    for (uint32_t i = 0; i < BIG; i++)
        ev[i] = (trc_event){ .t = T0 + 1000000000ull + (uint64_t)(i % (BIG / 5)) * 20, .unit = i / (BIG / 5) % 5,
                             .kind = TRC_EV_MARK, .arg = seq++ };
    ck_assert_int_eq(trc_writer_events(w, ev, BIG, &d), 0);
    ck_assert_int_eq(trc_writer_flush(w, &d), 0);
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 9000000000ull, TRC_END_OK, "", &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    free(ev);
    trc_recording_free(src);
}

typedef struct opened { int rc; diag d; trc_recording *rec; } opened;

static opened open_as(const char *path, bool prescan, bool helper) {
    opened o;
    diag_clear(&o.d);
    f_prescan_enable(prescan);
    trc_evcur_ahead_default(helper);
    o.rc = trc_recording_open(&o.rec, path, 0, &o.d);
    f_prescan_enable(true);
    trc_evcur_ahead_default(true);
    return o;
}

/* Every event of run r in time order, through the cursor. */
static trc_event *events_of(const trc_run *r) {
    trc_event *all = xmalloc((r->nevents ? r->nevents : 1) * sizeof *all);
    trc_evcur *c;
    diag d;
    diag_clear(&d);
    ck_assert_int_eq(trc_evcur_open(&c, r, &d), 0);
    const trc_event *e;
    size_t k, at = 0;
    while ((k = trc_evcur_next(c, &e)) > 0) {
        REQUIRE(at + k <= r->nevents);
        memcpy(all + at, e, k * sizeof *e);
        at += k;
    }
    trc_evcur_close(c);
    ck_assert_uint_eq(at, r->nevents);
    return all;
}

static void same_open(const opened *a, const opened *b) {
    ck_assert_int_eq(a->rc, b->rc);
    if (a->rc) {
        ck_assert_str_eq(a->d.msg, b->d.msg);
        ck_assert_int_eq(a->d.has_offset, b->d.has_offset);
        ck_assert_uint_eq(a->d.offset, b->d.offset);
        return;
    }
    const trc_recording *x = a->rec, *y = b->rec;
    ck_assert_int_eq(x->truncated, y->truncated);
    ck_assert_uint_eq(x->truncated_at, y->truncated_at);
    ck_assert_str_eq(x->truncated_why, y->truncated_why);
    ck_assert_uint_eq(x->nruns, y->nruns);
    for (uint32_t i = 0; i < x->nruns; i++) {
        const trc_run *r = &x->runs[i], *s = &y->runs[i];
        ck_assert_uint_eq(r->nevents, s->nevents);
        ck_assert_uint_eq(r->lost, s->lost);
        ck_assert_uint_eq(r->t_last, s->t_last);
        ck_assert_uint_eq(r->t_end, s->t_end);
        ck_assert_uint_eq(r->end_reason, s->end_reason);
        ck_assert_int_eq(r->cut, s->cut);
        ck_assert_uint_eq(r->nunits, s->nunits);
        ck_assert_uint_eq(r->nobjects, s->nobjects);
        same_src(r->src, s->src);
        trc_event *e = events_of(r), *f = events_of(s);
        ck_assert_int_eq(memcmp(e, f, r->nevents * sizeof *e), 0);
        free(e);
        free(f);
    }
}

typedef struct tent { uint16_t type; uint32_t run; uint64_t off, len; } tent;

static size_t read_table(const uint8_t *p, size_t n, tent *out, size_t max) {
    const uint8_t *t = p + n - F_TRAILER;
    uint64_t off = ld_u64le(t + 8);
    uint32_t cnt = ld_u32le(t + 16);
    ck_assert_uint_le(cnt, max);
    for (uint32_t i = 0; i < cnt; i++) {
        const uint8_t *e = p + off + F_CHUNK_HDR + 8 + F_SECT_ENTRY * i;
        out[i] = (tent){ .type = ld_u16le(e), .run = ld_u32le(e + 4), .off = ld_u64le(e + 8), .len = ld_u64le(e + 16) };
    }
    return cnt;
}

static void fix_chunk(uint8_t *p, uint64_t off) {
    uint64_t len = ld_u64le(p + off + 16);
    wr_u32le(p + off + 24, crc32_update(0, p + off + F_CHUNK_HDR, len));
    wr_u32le(p + off + 28, crc32_update(0, p + off, 28));
}

/* The k-th EVENTS chunk of run 0. */
static const tent *events_chunk(const tent *t, size_t cnt, int k) {
    for (size_t i = 0; i < cnt; i++)
        if (t[i].type == CH_EVENTS && t[i].run == 0 && k-- == 0) return &t[i];
    ck_abort_msg("no EVENTS chunk %d", k);
    return NULL;
}

enum { D_NONE, D_CRC, D_UNIT, D_KIND, D_OBJ, D_UNIT_EARLY, D_COUNT, D_RESV, D_LEN, D_TABLE, D_TRAILER, D_CRC_DEEP,
       D__N };
static const char *const dname[D__N] = { "intact", "payload CRC", "unit", "kind", "object", "unit before its UNITS",
                                         "event count", "reserved field", "header length", "section table",
                                         "trailer", "payload CRC past the first piece of a 2 MiB chunk" };

/* The biggest EVENTS chunk (run 1's last). */
static const tent *biggest_chunk(const tent *t, size_t cnt) {
    const tent *b = NULL;
    for (size_t i = 0; i < cnt; i++)
        if (t[i].type == CH_EVENTS && (!b || t[i].len > b->len)) b = &t[i];
    ck_assert_ptr_nonnull(b);
    return b;
}

START_TEST(test_same_recording_with_and_without_prescan) {
    const char *path = tmp_path("prescan.weft"), *copy = tmp_path("damaged.weft");
    write_file(path);
    char *raw;
    size_t n;
    diag d;
    diag_clear(&d);
    ck_assert_int_eq(file_read_all(path, &raw, &n, &d), 0);
    uint8_t *p = (uint8_t *)raw, *q = xmalloc(n);
    tent t[256];
    size_t cnt = read_table(p, n, t, 256);
    ck_assert_uint_ge(cnt, 50);
    uint64_t toff = ld_u64le(p + n - F_TRAILER + 8);
    uint64_t nev_chunks = 0;
    for (size_t i = 0; i < cnt; i++) nev_chunks += t[i].type == CH_EVENTS;
    for (int dmg = 0; dmg < D__N; dmg++) {
        memcpy(q, p, n);
        const tent *c = events_chunk(t, cnt, 12 + dmg);
        uint64_t ev = c->off + F_CHUNK_HDR + 8 + 123 * F_EV_SIZE;   /* an event inside it */
        switch (dmg) {
        case D_CRC: q[ev + 3] ^= 0x10; break;
        case D_UNIT: wr_u32le(q + ev + 16, 9); fix_chunk(q, c->off); break;
        case D_KIND: q[ev + 24] = 0; q[ev + 25] = 0; fix_chunk(q, c->off); break;
        case D_OBJ: wr_u32le(q + ev + 20, 2); fix_chunk(q, c->off); break;
        case D_UNIT_EARLY:   /* chunk 3 comes before unit 4 is declared */
            c = events_chunk(t, cnt, 3);
            wr_u32le(q + c->off + F_CHUNK_HDR + 8 + 5 * F_EV_SIZE + 16, 4);
            fix_chunk(q, c->off);
            break;
        case D_COUNT: wr_u32le(q + c->off + F_CHUNK_HDR, 3); fix_chunk(q, c->off); break;
        case D_RESV: wr_u32le(q + c->off + F_CHUNK_HDR + 4, 1); fix_chunk(q, c->off); break;
        case D_LEN: wr_u64le(q + c->off + 16, c->len + 32); fix_chunk(q, c->off); break;
        case D_TABLE: q[toff + F_CHUNK_HDR + 8 + 5 * F_SECT_ENTRY + 9] ^= 0x01; break;
        case D_TRAILER: q[n - F_TRAILER + 3] ^= 0x01; break;
        case D_CRC_DEEP:
            c = biggest_chunk(t, cnt);
            ck_assert_uint_gt(c->len, 1u << 20);
            q[c->off + F_CHUNK_HDR + (1u << 20) + 5] ^= 0x20;
            break;
        default: break;
        }
        FILE *f = fopen(copy, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(q, 1, n, f), n);
        ck_assert_int_eq(fclose(f), 0);
        /* every chunk pre-scanned (by default only those of 64 KiB or more), and a helper for
         * any number of bytes (by default 8 MiB): this file is small */
        f_prescan_tune(0, 0);
        uint64_t given, by_helper;
        f_prescan_counts(&given, &by_helper, true);
        opened full = open_as(copy, false, false);
        f_prescan_counts(&given, &by_helper, true);
        ck_assert_uint_eq(given, 0);   /* off: no summary */
        opened alone = open_as(copy, true, false);
        f_prescan_counts(&given, &by_helper, true);
        bool table_ok = dmg != D_TABLE && dmg != D_TRAILER;   /* else the walk goes chunk by chunk */
        ck_assert_msg(table_ok ? given >= 3 && by_helper == 0 : given == 0, "%s: %llu given, %llu by the helper", dname[dmg],
                      (unsigned long long)given, (unsigned long long)by_helper);
        if (dmg == D_NONE) ck_assert_uint_eq(given, nev_chunks);   /* every one */
        opened helped = open_as(copy, true, true);
        f_prescan_counts(&given, &by_helper, true);
        ck_assert_msg(table_ok ? given >= 3 && by_helper >= 1 : given == 0, "%s: %llu given, %llu by the helper", dname[dmg],
                      (unsigned long long)given, (unsigned long long)by_helper);
        if (dmg == D_NONE) ck_assert_uint_eq(given, nev_chunks);
        f_prescan_tune(64u << 10, 8u << 20);
        ck_assert_msg(full.rc == 0, "%s: %s", dname[dmg], full.d.msg);
        /* a damaged chunk stops the reading there, with the same words */
        ck_assert_msg(full.rec->truncated == (dmg != D_NONE), "%s", dname[dmg]);
        if (dmg == D_UNIT) ck_assert_ptr_nonnull(strstr(full.rec->truncated_why, "names unit 9 of 5"));
        if (dmg == D_UNIT_EARLY) ck_assert_ptr_nonnull(strstr(full.rec->truncated_why, "names unit 4 of 4"));
        if (dmg == D_CRC || dmg == D_CRC_DEEP)
            ck_assert_ptr_nonnull(strstr(full.rec->truncated_why, "payload CRC mismatch"));
        same_open(&full, &alone);
        same_open(&full, &helped);
        if (dmg == D_NONE) {
            ck_assert_uint_eq(full.rec->nruns, 2);
            ck_assert_uint_eq(full.rec->runs[0].lost, 40 * 5);
            ck_assert_uint_gt(full.rec->runs[0].src->nstreams, 5);   /* the second streams */
        }
        trc_recording_free(full.rec);
        trc_recording_free(alone.rec);
        trc_recording_free(helped.rec);
    }
    free(q);
    free(raw);
}
END_TEST

/* A file that shrinks after it was opened (another program truncates it): the events past the
 * new end read as zeros, which the model takes as damage (warnings), instead of a fault
 * (SIGBUS) on the mapping of bytes that are gone. */
START_TEST(test_file_shrunk_after_open) {
    const char *path = tmp_path("shrinks.weft");
    write_file(path);
    diag d;
    diag_clear(&d);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_open(&rec, path, 0, &d), 0);
    ck_assert_uint_eq(rec->nruns, 2);
    ck_assert_int_eq(truncate(path, 200000), 0);   /* inside run 0: run 1 is gone altogether */
    uint64_t warned = 0;
    for (size_t i = 0; i < rec->nruns; i++) {
        trc_model m;
        diag md;
        diag_clear(&md);
        if (trc_model_build(&m, &rec->runs[i], &md) == 0) {
            warned += m.warnings_total;
            trc_model_release(&m);
        }
    }
    ck_assert_uint_gt(warned, 0);
    trc_recording_free(rec);
}
END_TEST

static Suite *prescan_suite(void) {
    Suite *s = suite_create("prescan");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pieces_make_the_same_segments);
    tcase_add_test(tc, test_same_recording_with_and_without_prescan);
    tcase_add_test(tc, test_file_shrunk_after_open);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(prescan_suite()); }
