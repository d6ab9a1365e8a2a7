/* render/: the view model (no SDL), the draw list and its level of detail,
 * headless pixels through the SDL software renderer, our PNG encoder (decoded
 * here by an independent little inflater), and the interactive loop on the
 * dummy video driver. */
#include "testutil.h"
#include "render/rdr.h"

#include <SDL.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ull

//~ fixtures

/* A computes 0-40 ms, then blocks on lock L (held by B 30-70 ms) until 70 ms,
 * holds L 70-80 ms, exits at 90 ms. B puts three items into queue Q at 20-22 ms
 * and gets them back at 60-62 ms. The run ends at 100 ms. */
typedef struct fixture { trc_recording *rec; trc_model m; uint32_t a, b, lock, q; } fixture;

static void fixture_make(fixture *f, uint32_t end_reason, const char *report) {
    run_builder rb;
    rb_init(&rb, "render fixture");
    f->a = rb_unit(&rb, "A");
    f->b = rb_unit(&rb, "B");
    f->lock = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
    f->q = rb_obj(&rb, TRC_OBJ_QUEUE, "Q", 4);
    rb_ev(&rb, 0, f->a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, f->b, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, f->a, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&rb, 5 * MS, f->a, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&rb, 20 * MS, f->b, TRC_EV_PUT, f->q, 0, 1, 1);
    rb_ev(&rb, 21 * MS, f->b, TRC_EV_PUT, f->q, 0, 2, 2);
    rb_ev(&rb, 22 * MS, f->b, TRC_EV_PUT, f->q, 0, 3, 3);
    rb_ev(&rb, 30 * MS, f->b, TRC_EV_ACQUIRE, f->lock, 0, 1, 0);
    rb_ev(&rb, 40 * MS, f->a, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    rb_ev(&rb, 40 * MS, f->a, TRC_EV_WAIT_BEGIN, f->lock, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 60 * MS, f->b, TRC_EV_GET, f->q, 0, 1, 2);
    rb_ev(&rb, 61 * MS, f->b, TRC_EV_GET, f->q, 0, 2, 1);
    rb_ev(&rb, 62 * MS, f->b, TRC_EV_GET, f->q, 0, 3, 0);
    rb_ev(&rb, 70 * MS, f->b, TRC_EV_RELEASE, f->lock, 0, 0, 0);
    rb_ev(&rb, 70 * MS, f->a, TRC_EV_WAIT_END, f->lock, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 70 * MS, f->a, TRC_EV_ACQUIRE, f->lock, 0, 1, 0);
    rb_ev(&rb, 80 * MS, f->a, TRC_EV_RELEASE, f->lock, 0, 0, 0);
    rb_ev(&rb, 90 * MS, f->a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 90 * MS, f->b, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    f->rec = rb_finish(&rb, 100 * MS);
    const char **strings = arena_push(&f->rec->mem, sizeof *strings);
    strings[0] = "phase 1";
    f->rec->runs[0].strings = strings;
    f->rec->runs[0].nstrings = 1;
    f->rec->runs[0].end_reason = end_reason;
    if (report) f->rec->runs[0].report = report;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&f->m, &f->rec->runs[0], &d), 0);
}

static void fixture_free(fixture *f) {
    trc_model_release(&f->m);
    trc_recording_free(f->rec);
}

static rdr_view_desc fixture_desc(fixture *f, double at) {
    return (rdr_view_desc){ .rec = f->rec, .models = &f->m, .nmodels = 1, .width = 1000, .height = 500, .at = at };
}

static uint32_t px_at(const uint32_t *px, int w, int x, int y) { return px[(size_t)y * (size_t)w + (size_t)x] | 0xff000000u; }

static uint32_t *render(const rdr_view_desc *desc) {
    uint32_t *px = xcalloc((size_t)desc->width * (size_t)desc->height, sizeof *px);
    diag d = { 0 };
    int rc = rdr_render_rgba(desc, px, &d);
    ck_assert_msg(rc == 0, "rdr_render_rgba: %s", d.msg);
    return px;
}

/* Lane middle of unit u and screen x of time t, from the same layout the renderer used. */
static void locate(const rdr_view_desc *desc, uint32_t kind, uint32_t id, int *y0, int *y1) {
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, desc, &d), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, kind, 0, id, y0, y1), 0);
    rdr_view_release(&v);
}

static int x_of(const rdr_view_desc *desc, double t) {
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, desc, &d), 0);
    int x = (int)floor(rdr_view_x_of(&v, t));
    rdr_view_release(&v);
    return x;
}

static bool is_state_color(uint32_t c) {
    for (unsigned s = 0; s < TRC_ST__COUNT; s++)
        if (c == rdr_state_color(s)) return true;
    return false;
}

//~ pixels

START_TEST(test_pixels_lane_states) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, -1);
    uint32_t *px = render(&desc);
    int y0, y1;
    locate(&desc, RDR_ROW_UNIT, f.a, &y0, &y1);
    int mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 20.0 * MS), mid), rdr_state_color(TRC_ST_COMPUTE));
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 55.0 * MS), mid), rdr_state_color(TRC_ST_BLOCKED));
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 75.0 * MS), mid), rdr_state_color(TRC_ST_RUNNING));
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 95.0 * MS), mid), rdr_state_color(TRC_ST_DONE));
    /* B holds L from 30 to 70 ms: the lock track is in B's owner colour there, A's at 75 ms */
    locate(&desc, RDR_ROW_LOCK, f.lock, &y0, &y1);
    mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 50.0 * MS), mid), rdr_owner_color(f.b));
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 77.0 * MS), mid), rdr_owner_color(f.a));
    ck_assert(px_at(px, desc.width, x_of(&desc, 20.0 * MS), mid) != rdr_owner_color(f.b));
    free(px);
    fixture_free(&f);
}
END_TEST

START_TEST(test_pixels_playhead_reveals) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, 0.3);   /* 30 ms */
    uint32_t *px = render(&desc);
    int y0, y1;
    locate(&desc, RDR_ROW_UNIT, f.a, &y0, &y1);
    int mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 20.0 * MS), mid), rdr_state_color(TRC_ST_COMPUTE));
    /* after the playhead: no state colour anywhere in A's lane */
    for (double t = 32.0 * MS; t < 100.0 * MS; t += 2.0 * MS) {
        int x = x_of(&desc, t);
        for (int y = y0; y < y1; y++)
            ck_assert_msg(!is_state_color(px_at(px, desc.width, x, y)), "state colour at %.0f ms, y %d", t / MS, y);
    }
    /* the queue's depth before the playhead is drawn, after it is not */
    locate(&desc, RDR_ROW_QUEUE, f.q, &y0, &y1);
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 25.0 * MS), y1 - 6), RDR_COL_QUEUE);
    ck_assert(px_at(px, desc.width, x_of(&desc, 45.0 * MS), y1 - 6) != RDR_COL_QUEUE);
    free(px);

    /* ghost mode: the future is drawn faintly, still not in state colours */
    desc.ghost = true;
    px = render(&desc);
    locate(&desc, RDR_ROW_UNIT, f.a, &y0, &y1);
    mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 55.0 * MS), mid), rdr_state_ghost_color(TRC_ST_BLOCKED));
    ck_assert(!is_state_color(rdr_state_ghost_color(TRC_ST_BLOCKED)));
    free(px);
    fixture_free(&f);
}
END_TEST

START_TEST(test_pixels_queue_depth) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, -1);
    uint32_t *px = render(&desc);
    int y0, y1;
    locate(&desc, RDR_ROW_QUEUE, f.q, &y0, &y1);
    int w = desc.width;
    /* depth 0 before 20 ms, 3 (of capacity 4) from 22 to 60 ms, 0 after 62 ms */
    ck_assert(px_at(px, w, x_of(&desc, 10.0 * MS), y1 - 6) != RDR_COL_QUEUE);
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 40.0 * MS), y1 - 6), RDR_COL_QUEUE);
    ck_assert(px_at(px, w, x_of(&desc, 80.0 * MS), y1 - 6) != RDR_COL_QUEUE);
    /* the height follows the depth: count filled pixels up the column */
    int h1 = 0, h3 = 0;
    int x1 = x_of(&desc, 20.5 * MS), x3 = x_of(&desc, 40.0 * MS);
    for (int y = y1 - 5; y > y0; y--) {
        if (px_at(px, w, x1, y) == RDR_COL_QUEUE) h1++;
        if (px_at(px, w, x3, y) == RDR_COL_QUEUE) h3++;
    }
    ck_assert_int_gt(h1, 0);
    ck_assert_int_gt(h3, 2 * h1);   /* depth 3 against depth 1 */
    ck_assert_int_lt(h3, y1 - y0 - 8);   /* below the capacity line */
    free(px);
    fixture_free(&f);
}
END_TEST

START_TEST(test_pixels_zoomed_window) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, -1);
    desc.t_view0 = 35.0 * MS;
    desc.t_view1 = 45.0 * MS;   /* the compute -> blocked edge at 40 ms in the middle */
    uint32_t *px = render(&desc);
    int y0, y1;
    locate(&desc, RDR_ROW_UNIT, f.a, &y0, &y1);
    int mid = (y0 + y1) / 2, xe = x_of(&desc, 40.0 * MS);
    ck_assert_uint_eq(px_at(px, desc.width, xe - 3, mid), rdr_state_color(TRC_ST_COMPUTE));
    ck_assert_uint_eq(px_at(px, desc.width, xe + 3, mid), rdr_state_color(TRC_ST_BLOCKED));
    free(px);
    fixture_free(&f);
}
END_TEST

//~ PNG: an independent decoder for what rdr_png_encode writes

typedef struct bitrd { const uint8_t *p; size_t n, pos; uint32_t bit; bool err; } bitrd;

static uint32_t br_bits(bitrd *b, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        if (b->pos >= b->n) { b->err = true; return 0; }
        v |= (uint32_t)((b->p[b->pos] >> b->bit) & 1u) << i;
        if (++b->bit == 8) { b->bit = 0; b->pos++; }
    }
    return v;
}

/* Fixed-Huffman literal/length symbol: codes are read MSB first. */
static int br_fixed_lit(bitrd *b) {
    uint32_t code = 0;
    for (int len = 1; len <= 9; len++) {
        code = code << 1 | br_bits(b, 1);
        if (len == 7 && code <= 23) return 256 + (int)code;
        if (len == 8 && code >= 48 && code <= 191) return (int)code - 48;
        if (len == 8 && code >= 192 && code <= 199) return 280 + (int)code - 192;
        if (len == 9 && code >= 400) return 144 + (int)code - 400;
    }
    return -1;
}

/* Inflates stored and fixed-Huffman blocks (what our encoder writes). */
static bool inflate_simple(const uint8_t *in, size_t n, buf *out) {
    static const uint16_t lb[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
    static const uint8_t le[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
    static const uint16_t db[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
    static const uint8_t de[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
    bitrd b = { .p = in, .n = n };
    for (;;) {
        uint32_t final = br_bits(&b, 1), type = br_bits(&b, 2);
        if (type == 0) {
            if (b.bit) { b.bit = 0; b.pos++; }
            if (b.pos + 4 > n) return false;
            uint32_t len = in[b.pos] | (uint32_t)in[b.pos + 1] << 8, nlen = in[b.pos + 2] | (uint32_t)in[b.pos + 3] << 8;
            if ((len ^ 0xffffu) != nlen || b.pos + 4 + len > n) return false;
            buf_put(out, in + b.pos + 4, len);
            b.pos += 4 + len;
        } else if (type == 1) {
            for (;;) {
                int sym = br_fixed_lit(&b);
                if (sym < 0 || b.err) return false;
                if (sym < 256) { buf_u8(out, (uint8_t)sym); continue; }
                if (sym == 256) break;
                sym -= 257;
                if (sym >= 29) return false;
                uint32_t len = lb[sym] + br_bits(&b, le[sym]);
                uint32_t dc = 0;
                for (int i = 0; i < 5; i++) dc = dc << 1 | br_bits(&b, 1);
                if (dc >= 30) return false;
                uint32_t dist = db[dc] + br_bits(&b, de[dc]);
                if (dist > out->n) return false;
                for (uint32_t i = 0; i < len; i++) buf_u8(out, out->p[out->n - dist]);
            }
        } else {
            return false;   /* dynamic Huffman: our encoder never writes it */
        }
        if (b.err) return false;
        if (final) return true;
    }
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static uint8_t paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Checks the signature and every chunk CRC, then decodes to ARGB (alpha 0xff). */
static uint32_t *png_decode(const uint8_t *p, size_t n, int *w, int *h) {
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    ck_assert(n > 8 && memcmp(p, sig, 8) == 0);
    size_t pos = 8;
    buf idat = { 0 };
    bool ihdr = false, iend = false;
    while (pos + 12 <= n && !iend) {
        uint32_t len = be32(p + pos);
        ck_assert(pos + 12 + len <= n);
        const uint8_t *type = p + pos + 4, *data = p + pos + 8;
        ck_assert_uint_eq(crc32_update(0, type, len + 4), be32(data + len));
        if (!memcmp(type, "IHDR", 4)) {
            ck_assert_uint_eq(len, 13);
            *w = (int)be32(data);
            *h = (int)be32(data + 4);
            ck_assert_uint_eq(data[8], 8);
            ck_assert_uint_eq(data[9], 2);
            ck_assert_uint_eq(data[12], 0);
            ihdr = true;
        } else if (!memcmp(type, "IDAT", 4)) {
            buf_put(&idat, data, len);
        } else if (!memcmp(type, "IEND", 4)) {
            iend = true;
        }
        pos += 12 + len;
    }
    ck_assert(ihdr && iend && idat.n > 6);
    ck_assert_uint_eq((idat.p[0] * 256u + idat.p[1]) % 31u, 0);
    ck_assert_uint_eq(idat.p[0] & 0x0f, 8);   /* deflate */
    buf raw = { 0 };
    ck_assert(inflate_simple(idat.p + 2, idat.n - 6, &raw));
    ck_assert_uint_eq(be32(idat.p + idat.n - 4), rdr_adler32(1, raw.p, raw.n));
    size_t stride = (size_t)*w * 3;
    ck_assert_uint_eq(raw.n, (size_t)*h * (stride + 1));
    uint32_t *out = xcalloc((size_t)*w * (size_t)*h, sizeof *out);
    uint8_t *prev = xcalloc(stride, 1), *cur = xmalloc(stride);
    for (int y = 0; y < *h; y++) {
        const uint8_t *row = raw.p + (size_t)y * (stride + 1);
        uint8_t f = row[0];
        ck_assert_uint_le(f, 4);
        for (size_t i = 0; i < stride; i++) {
            int a = i >= 3 ? cur[i - 3] : 0, b = prev[i], c = i >= 3 ? prev[i - 3] : 0;
            int pr = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : paeth(a, b, c);
            cur[i] = (uint8_t)(row[1 + i] + pr);
        }
        for (int x = 0; x < *w; x++)
            out[(size_t)y * (size_t)*w + (size_t)x] =
                0xff000000u | (uint32_t)cur[3 * x] << 16 | (uint32_t)cur[3 * x + 1] << 8 | cur[3 * x + 2];
        uint8_t *t = prev; prev = cur; cur = t;
    }
    free(prev);
    free(cur);
    buf_release(&raw);
    buf_release(&idat);
    return out;
}

START_TEST(test_adler32) {
    ck_assert_uint_eq(rdr_adler32(1, "Wikipedia", 9), 0x11e60398u);
    ck_assert_uint_eq(rdr_adler32(1, "", 0), 1u);
    /* long input crosses the modulo batching */
    uint8_t *big = xmalloc(100000);
    for (int i = 0; i < 100000; i++) big[i] = 0xff;
    uint32_t s1 = 1, s2 = 0;
    for (int i = 0; i < 100000; i++) { s1 = (s1 + 0xff) % 65521; s2 = (s2 + s1) % 65521; }
    ck_assert_uint_eq(rdr_adler32(1, big, 100000), s2 << 16 | s1);
    free(big);
}
END_TEST

START_TEST(test_png_roundtrip) {
    int w = 97, h = 61;   /* odd sizes, > one stored block */
    uint32_t *img = xmalloc(sizeof *img * (size_t)(w * h));
    uint64_t r = 12345;
    for (int i = 0; i < w * h; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int x = i % w, y = i / w;
        /* flat areas, gradients and noise, so all filters and matches are used */
        img[i] = y < 20 ? 0xff203040u : y < 40 ? (uint32_t)(0xff000000u | (uint32_t)(x * 2) << 16 | (uint32_t)y << 8)
                                                : (uint32_t)(r >> 40) | 0xff000000u;
    }
    for (int level = RDR_PNG_STORED; level <= RDR_PNG_FAST; level++) {
        buf b = { 0 };
        rdr_png_encode(&b, img, w, h, level);
        int dw = 0, dh = 0;
        uint32_t *dec = png_decode(b.p, b.n, &dw, &dh);
        ck_assert_int_eq(dw, w);
        ck_assert_int_eq(dh, h);
        ck_assert_mem_eq(dec, img, sizeof *img * (size_t)(w * h));
        free(dec);
        buf_release(&b);
    }
    /* a big flat image compresses well with the fast level */
    uint32_t *flat = xcalloc(640 * 480, sizeof *flat);
    for (int i = 0; i < 640 * 480; i++) flat[i] = 0xff15171cu;
    buf b = { 0 };
    rdr_png_encode(&b, flat, 640, 480, RDR_PNG_FAST);
    ck_assert_uint_lt(b.n, 640 * 480 * 3 / 50);
    buf_release(&b);
    free(flat);
    free(img);
}
END_TEST

START_TEST(test_png_screenshot_matches_render) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, 0.6);
    const char *path = tmp_path("shot.png");
    diag d = { 0 };
    ck_assert_msg(rdr_screenshot(&desc, path, &d) == 0, "%s", d.msg);
    char *data;
    size_t n;
    ck_assert_int_eq(file_read_all(path, &data, &n, &d), 0);
    int w, h;
    uint32_t *dec = png_decode((const uint8_t *)data, n, &w, &h);
    ck_assert_int_eq(w, desc.width);
    ck_assert_int_eq(h, desc.height);
    uint32_t *px = render(&desc);
    for (int i = 0; i < w * h; i++) px[i] |= 0xff000000u;
    ck_assert_mem_eq(dec, px, sizeof *px * (size_t)(w * h));
    free(px);
    free(dec);
    free(data);
    /* write errors come back as codes with the path in the message */
    uint32_t one = 0xff000000u;
    ck_assert_int_eq(rdr_png_write("/nonexistent-dir/x.png", &one, 1, 1, RDR_PNG_FAST, &d), -ERR_IO);
    ck_assert(strstr(d.msg, "/nonexistent-dir/x.png"));
    ck_assert_int_eq(rdr_png_write(path, &one, 0, 1, RDR_PNG_FAST, &d), -ERR_USAGE);
    fixture_free(&f);
}
END_TEST

//~ view model (no SDL)

static void view_of(fixture *f, rdr_view *v, double at) {
    rdr_view_desc desc = fixture_desc(f, at);
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(v, &desc, &d), 0);
}

START_TEST(test_view_zoom_keeps_cursor_time) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view v;
    view_of(&f, &v, -1);
    ck_assert(v.t0 == 0 && v.t1 == 100.0 * MS);
    double x = v.lay.plot_x + v.lay.plot_w * 0.3;
    double t = rdr_view_t_at(&v, x);
    for (int i = 0; i < 12; i++) {
        rdr_view_zoom(&v, 1.7, x);
        ck_assert(fabs(rdr_view_t_at(&v, x) - t) < 1e-6 * t);
    }
    ck_assert(v.t1 - v.t0 < 100.0 * MS / 500);
    /* zooming at another point keeps that point */
    double x2 = v.lay.plot_x + v.lay.plot_w * 0.8, t2 = rdr_view_t_at(&v, x2);
    rdr_view_zoom(&v, 1 / 1.3, x2);
    ck_assert(fabs(rdr_view_t_at(&v, x2) - t2) < 1e-6 * t2);
    /* the mouse wheel goes through the same path */
    rdr_event ev = { .kind = RDR_EV_WHEEL, .x = (int)x2, .y = 200, .wheel = 2 };
    t2 = rdr_view_t_at(&v, (int)x2);
    rdr_view_event(&v, &ev);
    ck_assert(fabs(rdr_view_t_at(&v, (int)x2) - t2) < 1e-6 * t2);
    /* zooming out all the way clamps to the whole run */
    for (int i = 0; i < 40; i++) rdr_view_zoom(&v, 0.5, x);
    ck_assert(v.t0 == 0 && v.t1 == 100.0 * MS);
    /* and in all the way stops at the minimum window */
    for (int i = 0; i < 200; i++) rdr_view_zoom(&v, 4, x);
    ck_assert(v.t1 - v.t0 >= 63.9);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

START_TEST(test_view_pan_clamps) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view v;
    view_of(&f, &v, -1);
    rdr_view_set_window(&v, 40.0 * MS, 50.0 * MS);
    rdr_view_pan(&v, -1000.0 * MS);
    ck_assert(v.t0 == 0 && fabs(v.t1 - 10.0 * MS) < 1);
    rdr_view_pan(&v, 1000.0 * MS);
    ck_assert(v.t1 == 100.0 * MS && fabs(v.t0 - 90.0 * MS) < 1);
    /* drag: the time under the mouse follows the mouse */
    rdr_view_set_window(&v, 40.0 * MS, 50.0 * MS);
    int x = v.lay.plot_x + 100, y = v.lay.lanes_y + 5;
    double t = rdr_view_t_at(&v, x);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_DOWN, .x = x, .y = y, .button = 1 });
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = x + 50, .y = y });
    ck_assert(fabs(rdr_view_t_at(&v, x + 50) - t) < 1e-3 * t);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_UP, .x = x + 50, .y = y, .button = 1 });
    /* keys pan by a tenth of the window */
    double w = v.t1 - v.t0, t0 = v.t0;
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'd' });
    ck_assert(fabs(v.t0 - (t0 + 0.1 * w)) < 1);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_LEFT, .mods = RDR_MOD_SHIFT });
    ck_assert(fabs(v.t0 - t0) < 1);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

START_TEST(test_view_playback_keys) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view v;
    view_of(&f, &v, 0);
    ck_assert(v.playhead == 0 && !v.playing);
    double speed = v.speed;
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_PLUS });
    ck_assert(v.speed == 2 * speed);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_MINUS });
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_MINUS });
    ck_assert(v.speed == speed / 2);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_SPACE });
    ck_assert(v.playing);
    ck_assert(rdr_view_tick(&v, 0.5));
    ck_assert(fabs(v.playhead - 0.5e9 * v.speed) < 1);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_SPACE });
    ck_assert(!v.playing && !rdr_view_tick(&v, 0.5));
    /* playing past the end stops there */
    v.playing = true;
    rdr_view_tick(&v, 1e6);
    ck_assert(v.playhead == 100.0 * MS && !v.playing);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_HOME });
    ck_assert(v.playhead == 0);
    /* right/left step through state changes: 20 ms is the first (B puts at 20 ms
     * but that is no state change; A's compute ends at 40 ms) */
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_RIGHT });
    ck_assert_msg(v.playhead == 40.0 * MS, "playhead %f", v.playhead);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_RIGHT });
    ck_assert(v.playhead == 70.0 * MS);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_LEFT });
    ck_assert(v.playhead == 40.0 * MS);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_END });
    ck_assert(v.playhead == 100.0 * MS);
    /* ctrl+plus and w zoom, f and g toggle, 0 fits */
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_PLUS, .mods = RDR_MOD_CTRL });
    ck_assert(v.t1 - v.t0 < 100.0 * MS);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'w' });
    ck_assert(v.t1 - v.t0 < 100.0 * MS / 2);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = '0' });
    ck_assert(v.t0 == 0 && v.t1 == 100.0 * MS);
    bool flows = v.show_flows;
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'f' });
    ck_assert(v.show_flows != flows);
    /* scrubbing on the ruler moves the playhead */
    int x = (int)rdr_view_x_of(&v, 25.0 * MS);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_DOWN, .x = x, .y = v.lay.ruler_y + 5, .button = 1 });
    ck_assert(fabs(v.playhead - 25.0 * MS) < 0.5 * MS);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_UP, .x = x, .y = v.lay.ruler_y + 5, .button = 1 });
    ck_assert(!v.quit);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'q' });
    ck_assert(v.quit);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

START_TEST(test_view_layout_rows) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view v;
    view_of(&f, &v, -1);
    int a0, a1, b0, b1, q0, q1, l0, l1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.a, &a0, &a1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.b, &b0, &b1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_QUEUE, 0, f.q, &q0, &q1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_LOCK, 0, f.lock, &l0, &l1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 1, 0, &a0, &a1), -ERR_USAGE);
    rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.a, &a0, &a1);
    /* units first, then queue depth tracks, then lock owner tracks */
    ck_assert(a0 >= v.lay.lanes_y && a1 <= b0 && b1 <= q0 && q1 <= l0);
    ck_assert(q1 - q0 > a1 - a0);   /* the depth track is taller */
    const rdr_row *r = rdr_view_row_at(&v, (b0 + b1) / 2);
    ck_assert(r && r->kind == RDR_ROW_UNIT && r->id == f.b);
    ck_assert_ptr_null(rdr_view_row_at(&v, v.lay.ruler_y + 2));
    ck_assert(v.lay.plot_x > v.lay.label_w && v.lay.plot_x + v.lay.plot_w <= v.lay.width);
    /* sizes out of range are refused, not clamped behind the caller's back */
    rdr_view w;
    rdr_view_desc bad = fixture_desc(&f, -1);
    bad.width = 10;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&w, &bad, &d), -ERR_USAGE);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

START_TEST(test_ruler_format) {
    char s[64];
    rdr_fmt_time(s, sizeof s, 5.0 * MS, 5.0 * MS, 44.0 * MS);
    ck_assert_str_eq(s, "5 ms");
    rdr_fmt_time(s, sizeof s, 21988500, 500, 21992000);
    ck_assert_str_eq(s, "21.9885 ms");
    rdr_fmt_time(s, sizeof s, 1500000000, 500000000, 1740000000);
    ck_assert_str_eq(s, "1.5 s");
    rdr_fmt_time(s, sizeof s, 500, 100, 900);
    ck_assert_str_eq(s, "500 ns");
    rdr_fmt_time(s, sizeof s, 250000, 50000, 400000);
    ck_assert_str_eq(s, "250 \xc2\xb5s");
    ck_assert(rdr_tick_step(1000, 110) == 200000);   /* 110 us -> 200 us */
    ck_assert(rdr_tick_step(1, 110) == 200);
    ck_assert(rdr_tick_step(0.01, 110) == 2);
    ck_assert(rdr_tick_step(0.001, 110) == 1);
}
END_TEST

//~ draw list and level of detail (no SDL: stub text metrics)

static bool dl_has_text(const rdr_drawlist *dl, const char *needle) {
    for (size_t i = 0; i < dl->n; i++)
        if (dl->cmds[i].kind == RDR_CMD_TEXT && strstr(dl->text + dl->cmds[i].text, needle)) return true;
    if (getenv("WEFT_DUMP_TEXT")) {   /* debugging a failed assertion: what was drawn instead */
        fprintf(stderr, "no '%s' among:\n", needle);
        for (size_t i = 0; i < dl->n; i++)
            if (dl->cmds[i].kind == RDR_CMD_TEXT) fprintf(stderr, "  [%s]\n", dl->text + dl->cmds[i].text);
    }
    return false;
}

START_TEST(test_draw_hover_tooltip) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view v;
    view_of(&f, &v, -1);
    int y0, y1;
    rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.a, &y0, &y1);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = (int)rdr_view_x_of(&v, 55.0 * MS), .y = (y0 + y1) / 2 });
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "blocked on lock L"));
    ck_assert(dl_has_text(&dl, "40.0 ms \xe2\x86\x92 70.0 ms  (30.0 ms)"));
    /* the lock track names its owner */
    rdr_view_row_span(&v, RDR_ROW_LOCK, 0, f.lock, &y0, &y1);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = (int)rdr_view_x_of(&v, 50.0 * MS), .y = (y0 + y1) / 2 });
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "held by B"));
    /* the queue track gives the depth */
    rdr_view_row_span(&v, RDR_ROW_QUEUE, 0, f.q, &y0, &y1);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = (int)rdr_view_x_of(&v, 40.0 * MS), .y = (y0 + y1) / 2 });
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "depth 3/4 at 40.0 ms"));
    /* header, legend and ruler are there */
    ck_assert(dl_has_text(&dl, "render fixture"));
    ck_assert(dl_has_text(&dl, "computing"));
    ck_assert(dl_has_text(&dl, "makespan 100 ms"));
    ck_assert(dl_has_text(&dl, "20 ms"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

static size_t dl_count(const rdr_drawlist *dl, uint8_t kind) {
    size_t n = 0;
    for (size_t i = 0; i < dl->n; i++) n += dl->cmds[i].kind == kind;
    return n;
}

START_TEST(test_draw_marks_and_flows) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    ck_assert_uint_eq(f.m.nmarks, 1);
    ck_assert_uint_eq(f.m.nflows, 4);   /* three items (B to itself) and L handed from B to A */
    rdr_view v;
    view_of(&f, &v, -1);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "phase 1"));
    /* the hand-off: a line from B's lane to A's at 70 ms plus a two-stroke head */
    int a0, a1, b0, b1;
    rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.a, &a0, &a1);
    rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.b, &b0, &b1);
    int x = (int)lround(rdr_view_x_of(&v, 70.0 * MS));
    bool shaft = false;
    for (size_t i = 0; i < dl.n; i++) {
        const rdr_cmd *c = &dl.cmds[i];
        if (c->kind == RDR_CMD_LINE && c->x == x && c->x + c->w == x && c->y == (b0 + b1) / 2 && c->y + c->h == (a0 + a1) / 2)
            shaft = true;
    }
    ck_assert(shaft);
    ck_assert_uint_eq(dl_count(&dl, RDR_CMD_LINE), 3);
    /* 'f' hides flows; before the playhead reaches them they are not drawn either */
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'f' });
    rdr_build(&v, &dl, NULL);
    ck_assert_uint_eq(dl_count(&dl, RDR_CMD_LINE), 0);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'f' });
    rdr_view_set_playhead(&v, 60.0 * MS);
    rdr_build(&v, &dl, NULL);
    ck_assert_uint_eq(dl_count(&dl, RDR_CMD_LINE), 0);
    rdr_view_set_playhead(&v, 4.0 * MS);
    rdr_build(&v, &dl, NULL);
    ck_assert(!dl_has_text(&dl, "phase 1"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

START_TEST(test_draw_deadlock_note) {
    fixture f;
    fixture_make(&f, TRC_END_DEADLOCK, "A waits for L held by B; B waits for M held by A\nsecond line");
    rdr_view v;
    view_of(&f, &v, -1);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    bool found = false;
    for (size_t i = 0; i < dl.n; i++) {
        const rdr_cmd *c = &dl.cmds[i];
        if (c->kind == RDR_CMD_TEXT && !strcmp(dl.text + c->text, "DEADLOCK: A waits for L held by B; B waits for M held by A")) {
            ck_assert_uint_eq(c->color, RDR_COL_ALERT);
            found = true;
        }
    }
    ck_assert(found);
    ck_assert(!dl_has_text(&dl, "second line"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    fixture_free(&f);
}
END_TEST

/* A lock taken tens of thousands of times: at the whole-run zoom its lane is
 * resolved from the model's sparse prefix sum of held time (owners_held, one
 * entry per TRC_OWNER_HELD_STEP spans), whose entries are the exact sums; the
 * pixels are the owners' colours where each holds it, and the same as from the
 * table the viewer makes itself for a model without one. Span counts with and
 * without a partial last step. */
START_TEST(test_lod_lock_sparse_prefix) {
    static const uint64_t counts[] = { 64 * 300 + 37, 64 * 300 };
    for (size_t k = 0; k < 2; k++) {
        uint64_t n = counts[k];
        run_builder rb;
        rb_init(&rb, "locked");
        uint32_t a = rb_unit(&rb, "a"), b = rb_unit(&rb, "b");
        uint32_t L = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
        rb_ev(&rb, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
        rb_ev(&rb, 0, b, TRC_EV_UNIT_START, 0, 0, 0, 0);
        for (uint64_t i = 0; i < n; i++) {   /* 2000 spans by a, 2000 by b, ...; held 900 of every 1000 ns */
            uint32_t u = (i / 2000) % 2 ? b : a;
            rb_ev(&rb, i * 1000 + 50, u, TRC_EV_ACQUIRE, L, 0, 1, 0);
            rb_ev(&rb, i * 1000 + 50 + 900 - (i % 7), u, TRC_EV_RELEASE, L, 0, 0, 0);
        }
        trc_recording *rec = rb_finish(&rb, n * 1000);
        trc_model m;
        diag d = { 0 };
        ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
        const trc_object_track *ot = &m.objects[L - 1];
        ck_assert_uint_eq(ot->nowners, n);
        ck_assert_uint_eq(ot->nowners_held, (n + TRC_OWNER_HELD_STEP - 1) / TRC_OWNER_HELD_STEP);
        uint64_t h = 0;
        for (size_t i = 0; i < ot->nowners; i++) {
            if (i % TRC_OWNER_HELD_STEP == 0) ck_assert_uint_eq(ot->owners_held[i / TRC_OWNER_HELD_STEP], h);
            h += ot->owners[i].t1 - ot->owners[i].t0;
        }
        ck_assert_uint_eq(h, ot->t_held);
        rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1200, .height = 300, .at = -1 };
        uint32_t *px = render(&desc);
        int y0, y1;
        locate(&desc, RDR_ROW_LOCK, L, &y0, &y1);
        int mid = (y0 + y1) / 2;
        ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 1000.0 * 1000), mid), rdr_owner_color(a));
        ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, 3000.0 * 1000), mid), rdr_owner_color(b));
        ck_assert_uint_eq(px_at(px, desc.width, x_of(&desc, ((double)n - 300) * 1000), mid),
                          rdr_owner_color((n - 300) / 2000 % 2 ? b : a));
        /* without the model's table: the viewer makes its own, to the same pixels */
        trc_model m2 = m;
        trc_object_track *obs = xcalloc(rec->runs[0].nobjects, sizeof *obs);
        memcpy(obs, m.objects, rec->runs[0].nobjects * sizeof *obs);
        obs[L - 1].owners_held = NULL;
        obs[L - 1].nowners_held = 0;
        m2.objects = obs;
        desc.models = &m2;
        uint32_t *px2 = render(&desc);
        ck_assert(memcmp(px, px2, sizeof *px * (size_t)desc.width * (size_t)desc.height) == 0);
        free(px2);
        free(obs);
        free(px);
        trc_model_release(&m);
        trc_recording_free(rec);
    }
}
END_TEST

/* Level tracks of tens of thousands of samples (a queue's depth, a counter
 * that goes below 0): the model keeps a sparse max per TRC_LEVEL_BLK_STEP
 * samples (level_blk, depth_blk: the first sample's time and the block's max)
 * and the series' extremes, and beside owners_held the t1 of every
 * TRC_OWNER_HELD_STEP-th owner span; the viewer resolves columns from them. The
 * pixels, at the whole run and zoomed in, are the same as from the indexes the
 * viewer makes itself for a model without them. Sample counts with and without
 * a partial last block. */
START_TEST(test_lod_level_block_index) {
    static const uint64_t counts[] = { 64 * 400 + 21, 64 * 400 };
    for (size_t k = 0; k < 2; k++) {
        uint64_t n = counts[k], rng = 77 + k;
        run_builder rb;
        rb_init(&rb, "levels");
        uint32_t a = rb_unit(&rb, "a"), b = rb_unit(&rb, "b");
        uint32_t Q = rb_obj(&rb, TRC_OBJ_QUEUE, "Q", 0), C = rb_obj(&rb, TRC_OBJ_COUNTER, "C", 0);
        uint32_t L = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
        rb_ev(&rb, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
        rb_ev(&rb, 0, b, TRC_EV_UNIT_START, 0, 0, 0, 0);
        uint32_t depth = 0;
        for (uint64_t i = 0; i < n; i++) {   /* a random walk of the depth, a counter swinging around 0, a lock */
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            bool put = depth == 0 || (depth < 500 && rng % 2);
            depth += put ? 1 : -1;
            rb_ev(&rb, i * 1000 + 10, put ? a : b, put ? TRC_EV_PUT : TRC_EV_GET, Q, 0, i + 1, depth);
            rb_ev(&rb, i * 1000 + 20, a, TRC_EV_COUNTER_WRITE, C, 0, (uint64_t)(int64_t)((int64_t)(rng % 2001) - 1000), 0);
            rb_ev(&rb, i * 1000 + 30, b, TRC_EV_ACQUIRE, L, 0, 1, 0);
            rb_ev(&rb, i * 1000 + 30 + 500 + rng % 400, b, TRC_EV_RELEASE, L, 0, 0, 0);
        }
        trc_recording *rec = rb_finish(&rb, n * 1000);
        trc_model m;
        diag d = { 0 };
        ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
        const trc_object_track *oq = &m.objects[Q - 1], *oc = &m.objects[C - 1], *ol = &m.objects[L - 1];
        const trc_sample *ser[2] = { oq->depth, oc->level }, *blk[2] = { oq->depth_blk, oc->level_blk };
        size_t ns[2] = { oq->ndepth, oc->nlevel }, nb[2] = { oq->ndepth_blk, oc->nlevel_blk };
        for (int q = 0; q < 2; q++) {
            ck_assert_uint_gt(ns[q], n / 2);
            ck_assert_uint_eq(nb[q], (ns[q] + TRC_LEVEL_BLK_STEP - 1) / TRC_LEVEL_BLK_STEP);
            for (size_t i = 0; i < nb[q]; i++) {
                int64_t mx = INT64_MIN;
                for (size_t j = i * TRC_LEVEL_BLK_STEP; j < ns[q] && j < (i + 1) * TRC_LEVEL_BLK_STEP; j++)
                    if (ser[q][j].v > mx) mx = ser[q][j].v;
                ck_assert_uint_eq(blk[q][i].t, ser[q][i * TRC_LEVEL_BLK_STEP].t);
                ck_assert_int_eq(blk[q][i].v, mx);
            }
        }
        int64_t lo = 0, hi = 0;
        for (size_t j = 0; j < oc->nlevel; j++) {
            if (j == 0 || oc->level[j].v < lo) lo = oc->level[j].v;
            if (j == 0 || oc->level[j].v > hi) hi = oc->level[j].v;
        }
        ck_assert_int_eq(oc->min_level, lo);
        ck_assert_int_eq(oc->max_level, hi);
        ck_assert_int_lt(lo, 0);
        ck_assert_uint_eq(ol->nowners, n);
        for (size_t i = 0; i < ol->nowners_held; i++) ck_assert_uint_eq(ol->owners_t1[i], ol->owners[i * TRC_OWNER_HELD_STEP].t1);
        ck_assert(m.units[b].owns && !m.units[a].owns && m.owns_kept);
        /* the same pixels without the model's indexes, at three zooms */
        trc_model m2 = m;
        trc_object_track *obs = xcalloc(rec->runs[0].nobjects, sizeof *obs);
        memcpy(obs, m.objects, rec->runs[0].nobjects * sizeof *obs);
        obs[Q - 1].depth_blk = NULL; obs[Q - 1].ndepth_blk = 0;
        obs[C - 1].level_blk = NULL; obs[C - 1].nlevel_blk = 0;
        obs[L - 1].owners_t1 = NULL;
        m2.objects = obs;
        m2.owns_kept = false;
        const double win[3][2] = { { 0, 0 }, { 1000.0 * (double)n / 3, 1000.0 * (double)n / 3 + 4e6 }, { 5e6, 5.3e6 } };
        for (int z = 0; z < 3; z++) {
            rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1200, .height = 400, .at = -1,
                                   .t_view0 = win[z][0], .t_view1 = win[z][1] };
            uint32_t *px = render(&desc);
            desc.models = &m2;
            uint32_t *px2 = render(&desc);
            ck_assert_msg(memcmp(px, px2, sizeof *px * (size_t)desc.width * (size_t)desc.height) == 0, "zoom %d", z);
            free(px2);
            free(px);
        }
        free(obs);
        trc_model_release(&m);
        trc_recording_free(rec);
    }
}
END_TEST

/* One unit, 1M spans of 1.5 us computing + 0.5 us running: far below a pixel. */
START_TEST(test_lod_merges_subpixel_spans) {
    run_builder rb;
    rb_init(&rb, "dense");
    uint32_t u = rb_unit(&rb, "busy");
    rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    const uint64_t n = 500000;
    for (uint64_t i = 0; i < n; i++) {
        rb_ev(&rb, i * 2000 + 500, u, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
        rb_ev(&rb, i * 2000 + 2000, u, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    }
    trc_recording *rec = rb_finish(&rb, n * 2000);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_ge(m.units[u].nspans, 2 * n - 1);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1200, .height = 300, .at = -1 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    for (int zoom = 0; zoom < 3; zoom++) {   /* whole run, then 1/20, then 1/400 */
        rdr_build(&v, &dl, NULL);
        ck_assert_uint_gt(dl.lane_rects, 0);
        ck_assert_uint_le(dl.lane_rects, (size_t)v.lay.plot_w);
        ck_assert_uint_lt(dl.spans_visited, 8 * (size_t)v.lay.plot_w);   /* never the whole trace */
        int y0, y1;
        rdr_view_row_span(&v, RDR_ROW_UNIT, 0, u, &y0, &y1);
        size_t covered = 0, minority = 0;
        for (size_t i = 0; i < dl.n; i++) {
            const rdr_cmd *c = &dl.cmds[i];
            if (c->kind != RDR_CMD_RECT || c->y <= y0 || c->y + c->h >= y1 || c->x < v.lay.plot_x) continue;
            if (c->h <= (y1 - y0) / 2) {   /* the strip at the bottom: the 25% running shows there */
                ck_assert_uint_eq(c->color, rdr_state_color(TRC_ST_RUNNING));
                minority += (size_t)c->w;
                continue;
            }
            if (c->color == rdr_state_color(TRC_ST_COMPUTE)) covered += (size_t)c->w;
            ck_assert(c->color != rdr_state_color(TRC_ST_RUNNING));   /* 75% computing wins every column */
        }
        ck_assert_uint_ge(covered, (size_t)v.lay.plot_w - 2);
        ck_assert_uint_ge(minority, (size_t)v.lay.plot_w - 2);   /* every column mixes both */
        if (zoom == 0) ck_assert_uint_gt(dl.dense_columns, 0);
        rdr_view_zoom(&v, 20, v.lay.plot_x + v.lay.plot_w / 2.0);
    }
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* Columns show the state that holds most of their time, whichever path resolved
 * them (the grid far out, prefix sums in between, the walk up close). The lane
 * alternates 200 ms stretches of 100 us periods: 80 us blocked + 20 us sleeping,
 * then 20 us blocked + 80 us sleeping. A column of two periods or more is 53%+
 * one state; up close every span is seen as it is. */
START_TEST(test_lod_dominant_state) {
    run_builder rb;
    rb_init(&rb, "pattern");
    uint32_t u = rb_unit(&rb, "u");
    uint32_t o = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
    rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    const uint64_t period = 100000, stretch = 2000;
    for (uint64_t i = 0; i < 10 * stretch; i++) {
        uint64_t t = i * period, split = (i / stretch) % 2 == 0 ? 80000 : 20000;
        rb_ev(&rb, t, u, TRC_EV_WAIT_BEGIN, o, TRC_OP_LOCK, 0, 0);
        rb_ev(&rb, t + split, u, TRC_EV_WAIT_END, o, TRC_OUT_OK, 0, 0);
        rb_ev(&rb, t + split, u, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
        rb_ev(&rb, t + period, u, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    }
    trc_recording *rec = rb_finish(&rb, 10 * stretch * period);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 300, .at = -1 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    int y0, y1;
    rdr_view_row_span(&v, RDR_ROW_UNIT, 0, u, &y0, &y1);
    size_t dense = 0, walked = 0, checked = 0;
    for (int zoom = 0; zoom < 7; zoom++) {
        rdr_build(&v, &dl, NULL);
        dense += dl.dense_columns;
        walked += dl.spans_visited;
        double npp = (v.t1 - v.t0) / v.lay.plot_w;
        for (size_t i = 0; i < dl.n; i++) {
            const rdr_cmd *c = &dl.cmds[i];
            if (c->kind != RDR_CMD_RECT || c->y <= y0 || c->y + c->h >= y1 || c->x < v.lay.plot_x) continue;
            bool strip = c->h <= (y1 - y0) / 2;   /* the minority at the bottom of a mixed column */
            for (int x = c->x; x < c->x + c->w; x++) {
                double ta = rdr_view_t_at(&v, x), tb = rdr_view_t_at(&v, x + 1);
                uint64_t sa = (uint64_t)ta / (stretch * period), sb = (uint64_t)tb / (stretch * period);
                if (sa != sb) continue;   /* a column across two stretches */
                uint32_t want;
                if (npp >= 2.0 * period) {
                    want = rdr_state_color((sa % 2 == 0) != strip ? TRC_ST_BLOCKED : TRC_ST_SLEEP);
                } else if (strip) {
                    continue;   /* up close a column may straddle two spans: either may be the minority */
                } else {
                    /* up close: a column inside one span has that span's state */
                    const trc_span *s0 = trc_model_span_at(&m, u, (uint64_t)ceil(ta));
                    const trc_span *s1 = trc_model_span_at(&m, u, (uint64_t)tb - 1);
                    if (!s0 || s0 != s1) continue;
                    want = rdr_state_color(s0->state);
                }
                ck_assert_msg(c->color == want, "zoom %d x %d: %08x, want %08x", zoom, x, c->color, want);
                checked++;
            }
        }
        rdr_view_zoom(&v, 4, v.lay.plot_x + v.lay.plot_w * 0.37);
    }
    ck_assert_uint_gt(dense, 0);
    ck_assert_uint_gt(walked, 0);
    ck_assert_uint_gt(checked, 1000);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* The other object kinds get level tracks (semaphore permits, barrier arrivals,
 * counter values, rwlock readers) or owner tracks (rwlock writer, event set). */
START_TEST(test_object_kinds_tracks) {
    run_builder rb;
    rb_init(&rb, "kinds");
    uint32_t a = rb_unit(&rb, "A"), b = rb_unit(&rb, "B");
    uint32_t sem = rb_obj(&rb, TRC_OBJ_SEMAPHORE, "S", 2), ev = rb_obj(&rb, TRC_OBJ_EVENT, "E", 0);
    uint32_t ctr = rb_obj(&rb, TRC_OBJ_COUNTER, "C", 0), rw = rb_obj(&rb, TRC_OBJ_RWLOCK, "W", 0);
    uint32_t bar = rb_obj(&rb, TRC_OBJ_BARRIER, "R", 2);
    rb_ev(&rb, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, b, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 5 * MS, a, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 1);
    rb_ev(&rb, 8 * MS, b, TRC_EV_BARRIER_ARRIVE, bar, 0, 0, 2);
    rb_ev(&rb, 8 * MS, b, TRC_EV_BARRIER_OPEN, bar, 0, 1, 0);
    rb_ev(&rb, 10 * MS, a, TRC_EV_ACQUIRE, sem, 0, 0, 1);
    rb_ev(&rb, 10 * MS, a, TRC_EV_COUNTER_WRITE, ctr, TRC_CTR_ATOMIC, 5, 0);
    rb_ev(&rb, 15 * MS, a, TRC_EV_ACQUIRE, rw, 0, 0, 0);
    rb_ev(&rb, 20 * MS, b, TRC_EV_ACQUIRE, sem, 0, 0, 2);
    rb_ev(&rb, 25 * MS, a, TRC_EV_RELEASE, rw, 0, 0, 0);
    rb_ev(&rb, 30 * MS, a, TRC_EV_SET, ev, 0, 1, 0);
    rb_ev(&rb, 35 * MS, b, TRC_EV_ACQUIRE, rw, 1, 0, 1);
    rb_ev(&rb, 40 * MS, b, TRC_EV_COUNTER_WRITE, ctr, TRC_CTR_ATOMIC, (uint64_t)(int64_t)-3, 0);
    rb_ev(&rb, 45 * MS, b, TRC_EV_RELEASE, rw, 1, 0, 0);
    rb_ev(&rb, 50 * MS, a, TRC_EV_RELEASE, sem, 0, 0, 1);
    rb_ev(&rb, 60 * MS, b, TRC_EV_RELEASE, sem, 0, 0, 0);
    rb_ev(&rb, 62 * MS, a, TRC_EV_WAIT_BEGIN, 0, TRC_OP_JOIN, b, 0);
    rb_ev(&rb, 70 * MS, b, TRC_EV_CLEAR, ev, 0, 0, 0);
    rb_ev(&rb, 80 * MS, b, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 80 * MS, a, TRC_EV_WAIT_END, 0, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 80 * MS, a, TRC_EV_JOINED, 0, 0, b, 0);
    rb_ev(&rb, 90 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&rb, 100 * MS);
    trc_model m;
    diag d = { 0 };
    ck_assert_msg(trc_model_build(&m, &rec->runs[0], &d) == 0, "%s", d.msg);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 600, .at = -1 };
    uint32_t *px = render(&desc);
    int w = desc.width, y0, y1;
    /* rows: levels for S, C, W, R; owners for E and W */
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_LEVEL, 0, ev, &y0, &y1), -ERR_USAGE);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_OWNER, 0, sem, &y0, &y1), -ERR_USAGE);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_LEVEL, 0, bar, &y0, &y1), 0);
    /* semaphore: 2 of 2 permits at 30 ms fill twice as high as 1 at 55 ms */
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_LEVEL, 0, sem, &y0, &y1), 0);
    int h2 = 0, h1 = 0, x2 = x_of(&desc, 30.0 * MS), x1 = x_of(&desc, 55.0 * MS);
    for (int y = y0; y < y1; y++) {
        h2 += px_at(px, w, x2, y) == RDR_COL_QUEUE;
        h1 += px_at(px, w, x1, y) == RDR_COL_QUEUE;
    }
    ck_assert_int_gt(h1, 3);
    ck_assert_int_le(abs(h2 - 2 * h1), 2);
    /* counter: 5 above its zero line at 20 ms, -3 below it at 45 ms */
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_LEVEL, 0, ctr, &y0, &y1), 0);
    int above = 0, below = 0, xa = x_of(&desc, 20.0 * MS), xb = x_of(&desc, 45.0 * MS), zero = -1;
    for (int y = y0; y < y1; y++)   /* the zero line is the grid-coloured row across the plot */
        if (px_at(px, w, x_of(&desc, 5.0 * MS), y) == RDR_COL_GRID) zero = y;
    ck_assert_int_gt(zero, y0);
    for (int y = y0; y < zero; y++) above += px_at(px, w, xa, y) == RDR_COL_QUEUE;
    for (int y = zero + 1; y < y1; y++) below += px_at(px, w, xb, y) == RDR_COL_QUEUE;
    ck_assert_int_gt(above, 3);
    ck_assert_int_gt(below, 1);
    /* event: set by A from 30 to 70 ms; rwlock: written by A from 15 to 25 ms */
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_OWNER, 0, ev, &y0, &y1), 0);
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 50.0 * MS), (y0 + y1) / 2), rdr_owner_color(a));
    ck_assert(px_at(px, w, x_of(&desc, 80.0 * MS), (y0 + y1) / 2) != rdr_owner_color(a));
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_OWNER, 0, rw, &y0, &y1), 0);
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 20.0 * MS), (y0 + y1) / 2), rdr_owner_color(a));
    /* tooltips name what each track means */
    rdr_drawlist dl = { 0 };
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_LEVEL, 0, sem, &y0, &y1), 0);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = x2, .y = (y0 + y1) / 2 });
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "in use 2/2 at 30.0 ms"));
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_OWNER, 0, ev, &y0, &y1), 0);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = x1, .y = (y0 + y1) / 2 });
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "set by A"));
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, a, &y0, &y1), 0);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = x_of(&desc, 70.0 * MS), .y = (y0 + y1) / 2 });
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "blocked in join B"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    free(px);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

//~ pools, futures and point events

/* Pool P (2 workers W0, W1) fed by M:
 *   #1 submitted 10 ms, runs on W0 20-50 ms, callback on W0 at 51 ms; M's cancel at
 *      25 ms comes too late, M's result wait times out at 35 ms, M takes it at 55 ms
 *   #2 submitted 10 ms, runs on W1 20-40 ms
 *   #3 submitted 10 ms, runs on W1 40-70 ms
 *   #4 submitted 12 ms, cancelled by M at 30 ms while queued
 * M spawns the daemon D at 1 ms (it starts at 2 ms) and sets a thread-local at
 * 60 ms; D is killed when the run ends at 90 ms. */
typedef struct pool_fixture { trc_recording *rec; trc_model m; uint32_t main, w0, w1, d, pool; } pool_fixture;

static void pool_fixture_make(pool_fixture *f) {
    run_builder rb;
    rb_init(&rb, "pool fixture");
    f->main = rb_unit(&rb, "M");
    f->w0 = rb_unit(&rb, "W0");
    f->w1 = rb_unit(&rb, "W1");
    f->d = rb_unit(&rb, "D");
    f->pool = rb_obj(&rb, TRC_OBJ_POOL, "P", 2);
    uint32_t M = f->main, P = f->pool;
    rb_ev(&rb, 0, M, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, M, TRC_EV_SPAWN, 0, 0, f->d, 0);
    rb_ev(&rb, 2 * MS, f->d, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 2 * MS, f->d, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
    rb_ev(&rb, 5 * MS, f->w0, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 5 * MS, f->w1, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 10 * MS, M, TRC_EV_SUBMIT, P, 0, 1, 0);
    rb_ev(&rb, 10 * MS, M, TRC_EV_SUBMIT, P, 0, 2, 0);
    rb_ev(&rb, 10 * MS, M, TRC_EV_SUBMIT, P, 0, 3, 0);
    rb_ev(&rb, 12 * MS, M, TRC_EV_SUBMIT, P, 0, 4, 0);
    rb_ev(&rb, 20 * MS, f->w0, TRC_EV_TASK_START, P, 0, 1, 0);
    rb_ev(&rb, 20 * MS, f->w1, TRC_EV_TASK_START, P, 0, 2, 0);
    rb_ev(&rb, 25 * MS, M, TRC_EV_CANCEL, P, 0, 1, 0);
    rb_ev(&rb, 30 * MS, M, TRC_EV_CANCEL, P, 1, 4, 0);
    rb_ev(&rb, 32 * MS, M, TRC_EV_WAIT_BEGIN, P, TRC_OP_RESULT, 1, 0);
    rb_ev(&rb, 35 * MS, M, TRC_EV_WAIT_END, P, TRC_OUT_TIMEOUT, 0, 0);
    rb_ev(&rb, 35 * MS, M, TRC_EV_RESULT, P, TRC_OUT_TIMEOUT, 1, 0);
    rb_ev(&rb, 40 * MS, f->w1, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 2, 0);
    rb_ev(&rb, 40 * MS, f->w1, TRC_EV_TASK_START, P, 0, 3, 0);
    rb_ev(&rb, 50 * MS, f->w0, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 1, 0);
    rb_ev(&rb, 51 * MS, f->w0, TRC_EV_CALLBACK, P, 0, 1, 0);
    rb_ev(&rb, 55 * MS, M, TRC_EV_RESULT, P, TRC_OUT_OK, 1, 0);
    rb_ev(&rb, 60 * MS, M, TRC_EV_LOCAL_SET, 0, 0, 1, 0);
    rb_ev(&rb, 70 * MS, f->w1, TRC_EV_TASK_DONE, P, TRC_OUT_OK, 3, 0);
    rb_ev(&rb, 80 * MS, f->w0, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 80 * MS, f->w1, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 90 * MS, f->d, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rb_ev(&rb, 90 * MS, f->d, TRC_EV_DAEMON_KILLED, 0, 0, f->d, 0);
    rb_ev(&rb, 90 * MS, f->d, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_KILLED, 0, 0);
    rb_ev(&rb, 95 * MS, M, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    f->rec = rb_finish(&rb, 100 * MS);
    const char **strings = arena_push(&f->rec->mem, 2 * sizeof *strings);
    strings[0] = "?";
    strings[1] = "user=7";
    f->rec->runs[0].strings = strings;
    f->rec->runs[0].nstrings = 2;
    diag d = { 0 };
    ck_assert_msg(trc_model_build(&f->m, &f->rec->runs[0], &d) == 0, "%s", d.msg);
}

static void pool_fixture_free(pool_fixture *f) {
    trc_model_release(&f->m);
    trc_recording_free(f->rec);
}

static rdr_view_desc pool_desc(pool_fixture *f, double at) {
    return (rdr_view_desc){ .rec = f->rec, .models = &f->m, .nmodels = 1, .width = 1000, .height = 600, .at = at };
}

/* The lane of future id of the fixture's pool. */
static uint32_t lane_of(const pool_fixture *f, uint64_t id) {
    const trc_object_track *ot = &f->m.objects[f->pool - 1];
    for (size_t k = ot->future0; k < ot->future0 + ot->nfutures; k++)
        if (f->m.futures[k].id == id) return f->m.futures[k].lane;
    ck_abort_msg("no future #%llu", (unsigned long long)id);
    return 0;
}

static void lane_rows(const rdr_view_desc *desc, const pool_fixture *f, uint64_t id, int *y0, int *y1) {
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, desc, &d), 0);
    ck_assert_int_eq(rdr_view_lane_span(&v, 0, f->pool, lane_of(f, id), y0, y1), 0);
    rdr_view_release(&v);
}

/* Whether colour c appears in the rect [x0, x1] x [y0, y1). */
static bool has_color(const uint32_t *px, int w, int x0, int x1, int y0, int y1, uint32_t c) {
    for (int y = y0; y < y1; y++)
        for (int x = x0; x <= x1; x++)
            if (px_at(px, w, x, y) == c) return true;
    return false;
}

START_TEST(test_pool_layout_rows) {
    pool_fixture f;
    pool_fixture_make(&f);
    ck_assert_uint_eq(f.m.objects[f.pool - 1].future_lanes, 4);
    rdr_view_desc desc = pool_desc(&f, -1);
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int u0, u1, p0, p1, l0, l1, prev = 0;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.d, &u0, &u1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_POOL, 0, f.pool, &p0, &p1), 0);
    ck_assert_int_le(u1, p0);   /* the pool group follows the units */
    prev = p1;
    for (uint32_t k = 0; k < 4; k++) {   /* then one row per future lane, in order */
        ck_assert_int_eq(rdr_view_lane_span(&v, 0, f.pool, k, &l0, &l1), 0);
        ck_assert_int_eq(l0, prev);
        ck_assert_int_ge(l1 - l0, 12);
        const rdr_row *r = rdr_view_row_at(&v, (l0 + l1) / 2);
        ck_assert(r && r->kind == RDR_ROW_FUTURE && r->id == f.pool && r->lane == k);
        prev = l1;
    }
    ck_assert_int_eq(rdr_view_lane_span(&v, 0, f.pool, 4, &l0, &l1), -ERR_USAGE);
    ck_assert_int_eq(rdr_view_lane_span(&v, 0, 1 /* no pool: M's id is a unit */ + 5, 0, &l0, &l1), -ERR_USAGE);
    rdr_view_release(&v);
    pool_fixture_free(&f);
}
END_TEST

START_TEST(test_pixels_future_states) {
    pool_fixture f;
    pool_fixture_make(&f);
    rdr_view_desc desc = pool_desc(&f, -1);
    uint32_t *px = render(&desc);
    int w = desc.width, y0, y1, mid;
    /* #1: queued 10-20 ms, running 20-50 ms, a green cap where it finished */
    lane_rows(&desc, &f, 1, &y0, &y1);
    mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 15.0 * MS), y0 + 3), RDR_COL_FUT_PENDING);   /* above "#1 on W0" */
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 30.0 * MS), mid), RDR_COL_FUT_RUNNING);
    ck_assert(RDR_COL_FUT_PENDING != RDR_COL_FUT_RUNNING);
    ck_assert(has_color(px, w, x_of(&desc, 50.0 * MS) - 3, x_of(&desc, 50.0 * MS) + 1, y0, y1, RDR_COL_FUT_DONE));
    /* the result wait that timed out at 35 ms: a red tick across #1's bar */
    ck_assert(has_color(px, w, x_of(&desc, 35.0 * MS) - 2, x_of(&desc, 35.0 * MS) + 2, y0, y1, RDR_COL_ALERT));
    ck_assert(!has_color(px, w, x_of(&desc, 28.0 * MS), x_of(&desc, 32.0 * MS), y0, y1, RDR_COL_ALERT));
    /* nothing on the lane before the submit */
    ck_assert(!has_color(px, w, x_of(&desc, 2.0 * MS), x_of(&desc, 8.0 * MS), y0, y1, RDR_COL_FUT_PENDING));
    /* #3 queued until 40 ms (both workers busy), then running until 70 ms */
    lane_rows(&desc, &f, 3, &y0, &y1);
    mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 30.0 * MS), mid), RDR_COL_FUT_PENDING);
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 60.0 * MS), mid), RDR_COL_FUT_RUNNING);
    /* #4 cancelled while queued: the cancel colour at 30 ms, never the running colour */
    lane_rows(&desc, &f, 4, &y0, &y1);
    mid = (y0 + y1) / 2;
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 20.0 * MS), mid), RDR_COL_FUT_PENDING);
    ck_assert(has_color(px, w, x_of(&desc, 30.0 * MS) - 1, x_of(&desc, 30.0 * MS) + 3, y0, y1, RDR_COL_FUT_CANCELLED));
    ck_assert(!has_color(px, w, x_of(&desc, 12.0 * MS), x_of(&desc, 100.0 * MS) - 1, y0, y1, RDR_COL_FUT_RUNNING));
    /* the pool row: two running (blue) at 30 ms, none at 90 ms */
    locate(&desc, RDR_ROW_POOL, f.pool, &y0, &y1);
    ck_assert(has_color(px, w, x_of(&desc, 30.0 * MS), x_of(&desc, 30.0 * MS), y0, y1, RDR_COL_FUT_RUNNING));
    ck_assert(!has_color(px, w, x_of(&desc, 90.0 * MS), x_of(&desc, 90.0 * MS), y0, y1, RDR_COL_FUT_RUNNING));
    /* the daemon's lane: a red cut where it was killed, and "killed" */
    locate(&desc, RDR_ROW_UNIT, f.d, &y0, &y1);
    ck_assert(has_color(px, w, x_of(&desc, 90.0 * MS) - 4, x_of(&desc, 90.0 * MS) + 4, y0, y1, RDR_COL_KILLED));
    ck_assert(!has_color(px, w, x_of(&desc, 40.0 * MS), x_of(&desc, 80.0 * MS), y0, y1, RDR_COL_KILLED));
    free(px);
    pool_fixture_free(&f);
}
END_TEST

START_TEST(test_pixels_futures_follow_playhead) {
    pool_fixture f;
    pool_fixture_make(&f);
    rdr_view_desc desc = pool_desc(&f, 0.25);   /* 25 ms: #3 queued, #4 not cancelled yet */
    uint32_t *px = render(&desc);
    int w = desc.width, y0, y1;
    lane_rows(&desc, &f, 3, &y0, &y1);
    ck_assert_uint_eq(px_at(px, w, x_of(&desc, 22.0 * MS), (y0 + y1) / 2), RDR_COL_FUT_PENDING);
    ck_assert(!has_color(px, w, x_of(&desc, 27.0 * MS), x_of(&desc, 99.0 * MS), y0, y1, RDR_COL_FUT_RUNNING));
    lane_rows(&desc, &f, 4, &y0, &y1);
    ck_assert(!has_color(px, w, x_of(&desc, 12.0 * MS), x_of(&desc, 99.0 * MS), y0, y1, RDR_COL_FUT_CANCELLED));
    locate(&desc, RDR_ROW_UNIT, f.d, &y0, &y1);
    ck_assert(!has_color(px, w, x_of(&desc, 85.0 * MS), x_of(&desc, 95.0 * MS), y0, y1, RDR_COL_KILLED));
    free(px);
    pool_fixture_free(&f);
}
END_TEST

static void hover(rdr_view *v, rdr_drawlist *dl, double t, int y) {
    rdr_view_event(v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = (int)lround(rdr_view_x_of(v, t)), .y = y });
    rdr_build(v, dl, NULL);
}

START_TEST(test_draw_future_tooltips) {
    pool_fixture f;
    pool_fixture_make(&f);
    rdr_view_desc desc = pool_desc(&f, -1);
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    int y0, y1;
    ck_assert_int_eq(rdr_view_lane_span(&v, 0, f.pool, lane_of(&f, 1), &y0, &y1), 0);
    hover(&v, &dl, 30.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "future #1 of pool P"));
    ck_assert(dl_has_text(&dl, "submitted by M at 10.0 ms"));
    ck_assert(dl_has_text(&dl, "queued 10.0 ms, ran on W0 30.0 ms, finished ok"));
    ck_assert(dl_has_text(&dl, "callback on W0 at 51.0 ms"));
    ck_assert(dl_has_text(&dl, "result taken by M at 55.0 ms"));
    ck_assert(dl_has_text(&dl, "1 result wait timed out"));
    ck_assert(dl_has_text(&dl, "at 30.0 ms: running"));
    ck_assert_int_eq(rdr_view_lane_span(&v, 0, f.pool, lane_of(&f, 4), &y0, &y1), 0);
    hover(&v, &dl, 20.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "future #4 of pool P"));
    ck_assert(dl_has_text(&dl, "cancelled by M at 30.0 ms: never ran"));
    ck_assert(dl_has_text(&dl, "result never taken"));
    /* the pool row counts its futures */
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_POOL, 0, f.pool, &y0, &y1), 0);
    rdr_view_set_window(&v, 25.0 * MS, 35.0 * MS);   /* a pixel is ~12 us: the time reads 30.0 ms */
    /* the first pixel whose time is 30 ms or later: the cancel at 30 ms has happened */
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = (int)ceil(rdr_view_x_of(&v, 30.0 * MS) - 1e-9), .y = (y0 + y1) / 2 });
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "2 running, 1 queued at 30.0 ms"));
    ck_assert(dl_has_text(&dl, "4 submitted: 3 done ok, 0 failed, 1 cancelled"));
    ck_assert(dl_has_text(&dl, "1 cancel came too late"));
    rdr_view_set_window(&v, 0, 100.0 * MS);
    /* point events on M's lane name themselves */
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.main, &y0, &y1), 0);
    hover(&v, &dl, 12.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "submitted future #4 to pool P at 12.0 ms"));
    hover(&v, &dl, 25.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "cancel of future #1 failed: it was running"));
    hover(&v, &dl, 35.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "result of future #1 timed out (it was running)"));
    hover(&v, &dl, 60.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "thread-local user=7"));
    ck_assert(dl_has_text(&dl, "user=7"));   /* few events in view: the label is drawn too */
    hover(&v, &dl, 1.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "spawned D"));
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.d, &y0, &y1), 0);
    hover(&v, &dl, 90.0 * MS, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "daemon: killed at 90.0 ms"));
    ck_assert(dl_has_text(&dl, "killed"));
    /* the legend has the future states */
    ck_assert(dl_has_text(&dl, "queued"));
    ck_assert(dl_has_text(&dl, "cancelled"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    pool_fixture_free(&f);
}
END_TEST

static size_t dl_lines_of(const rdr_drawlist *dl, uint32_t color) {
    size_t n = 0;
    for (size_t i = 0; i < dl->n; i++) n += dl->cmds[i].kind == RDR_CMD_LINE && dl->cmds[i].color == color;
    return n;
}

START_TEST(test_draw_flow_kinds) {
    /* every flow kind its own colour */
    static const unsigned kinds[] = { TRC_FLOW_ITEM, TRC_FLOW_HANDOFF, TRC_FLOW_NOTIFY, TRC_FLOW_SPAWN, TRC_FLOW_JOIN,
                                      TRC_FLOW_SUBMIT, TRC_FLOW_TASK, TRC_FLOW_CALLBACK, TRC_FLOW_RESULT };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        for (size_t j = i + 1; j < sizeof kinds / sizeof kinds[0]; j++)
            ck_assert_msg(rdr_flow_color(kinds[i]) != rdr_flow_color(kinds[j]), "flow kinds %u and %u", kinds[i], kinds[j]);
    pool_fixture f;
    pool_fixture_make(&f);
    rdr_view_desc desc = pool_desc(&f, -1);
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    uint32_t sub = (rdr_flow_color(TRC_FLOW_SUBMIT) & 0xffffffu) | 0xa0000000u;
    uint32_t res = (rdr_flow_color(TRC_FLOW_RESULT) & 0xffffffu) | 0xa0000000u;
    uint32_t spawn = (rdr_flow_color(TRC_FLOW_SPAWN) & 0xffffffu) | 0xa0000000u;
    ck_assert_uint_ge(dl_lines_of(&dl, sub), 3);     /* M -> W0 and M -> W1 (twice), with heads */
    ck_assert_uint_ge(dl_lines_of(&dl, res), 1);     /* W0's done -> M's result */
    ck_assert_uint_ge(dl_lines_of(&dl, spawn), 4);   /* M -> D, dashed: several strokes */
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = 'f' });
    rdr_build(&v, &dl, NULL);
    ck_assert_uint_eq(dl_lines_of(&dl, sub) + dl_lines_of(&dl, res) + dl_lines_of(&dl, spawn), 0);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    pool_fixture_free(&f);
}
END_TEST

/* A pool with 100k futures: one worker, back to back, each queued a little. The
 * lane is drawn by columns (no per-future work at full view) and point events
 * too dense to read are left out, so the draw list stays the size of the window. */
START_TEST(test_lod_many_futures) {
    run_builder rb;
    rb_init(&rb, "many futures");
    uint32_t m0 = rb_unit(&rb, "M"), w = rb_unit(&rb, "W");
    uint32_t P = rb_obj(&rb, TRC_OBJ_POOL, "P", 1);
    rb_ev(&rb, 0, m0, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, w, TRC_EV_UNIT_START, 0, 0, 0, 0);
    enum { N = 100000 };
    for (uint64_t i = 1; i <= N; i++) {
        uint64_t t = i * 1000;
        rb_ev(&rb, t, m0, TRC_EV_SUBMIT, P, 0, i, 0);
        rb_ev(&rb, t + 300, w, TRC_EV_TASK_START, P, 0, i, 0);
        rb_ev(&rb, t + 900, w, TRC_EV_TASK_DONE, P, TRC_OUT_OK, i, 0);
    }
    trc_recording *rec = rb_finish(&rb, (N + 2) * 1000ull);
    trc_model m;
    diag d = { 0 };
    ck_assert_msg(trc_model_build(&m, &rec->runs[0], &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(m.objects[P - 1].future_lanes, 1);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 400, .at = -1 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert_uint_gt(dl.dense_columns, 0);
    ck_assert_uint_lt(dl.spans_visited, 5000);
    ck_assert_uint_lt(dl.n, 8000);
    /* zoomed in on five futures: bars with labels, caps and the submit glyphs */
    rdr_view_set_window(&v, 1500.0, 6500.0);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "#3 on W"));
    ck_assert_uint_lt(dl.n, 2000);
    int y0, y1;
    ck_assert_int_eq(rdr_view_lane_span(&v, 0, P, 0, &y0, &y1), 0);
    hover(&v, &dl, 3500.0, (y0 + y1) / 2);
    ck_assert(dl_has_text(&dl, "future #3 of pool P"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

//~ the SDL backend

START_TEST(test_canvas_text_cache) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, 0.5);
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_canvas *c;
    ck_assert_msg(rdr_canvas_open(&c, desc.width, desc.height, NULL, &d) == 0, "%s", d.msg);
    rdr_canvas_frame(c, &v);
    size_t first = rdr_canvas_rasterised(c);
    ck_assert_uint_gt(first, 10);
    for (int i = 0; i < 5; i++) rdr_canvas_frame(c, &v);
    ck_assert_uint_eq(rdr_canvas_rasterised(c), first);   /* same frame: every label from the cache */
    rdr_canvas_close(c);
    rdr_view_release(&v);
    /* a missing font is an error with a message, not a crash */
    desc.font_path = "/nonexistent/font.ttf";
    uint32_t *px = xcalloc((size_t)desc.width * (size_t)desc.height, sizeof *px);
    ck_assert_int_eq(rdr_render_rgba(&desc, px, &d), -ERR_IO);
    ck_assert(strstr(d.msg, "/nonexistent/font.ttf"));
    free(px);
    fixture_free(&f);
}
END_TEST

START_TEST(test_multi_run_layout) {
    fixture f1, f2;
    fixture_make(&f1, TRC_END_OK, NULL);
    fixture_make(&f2, TRC_END_STUCK, "B stuck on L");
    /* two runs side by side need one recording with both runs: make a shallow one */
    trc_recording rec = { 0 };
    trc_run runs[2] = { f1.rec->runs[0], f2.rec->runs[0] };
    rec.runs = runs;
    rec.nruns = 2;
    trc_model models[2] = { f1.m, f2.m };
    rdr_view_desc desc = { .rec = &rec, .models = models, .nmodels = 2, .width = 900, .height = 600, .at = -1 };
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int r0, r1, a0, a1, b0, b1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_RUN, 0, 0, &r0, &r1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, 0, &a0, &a1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 1, 0, &b0, &b1), 0);
    ck_assert(r1 <= a0 && a1 < b0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "run 2: STUCK: B stuck on L"));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    uint32_t *px = render(&desc);
    free(px);
    fixture_free(&f1);
    fixture_free(&f2);
}
END_TEST

/* The interactive loop on SDL's dummy video driver: a helper thread pushes input
 * (SDL_PushEvent is thread-safe) and finally a quit; the loop must draw, react
 * and return. */
static void *push_events(void *arg) {
    (void)arg;
    for (int i = 0; i < 500 && !SDL_WasInit(SDL_INIT_VIDEO); i++) usleep(10000);
    usleep(200000);
    SDL_Event e;
    static const SDL_Keycode keys[] = { SDLK_SPACE, SDLK_d, SDLK_w, SDLK_RIGHT, SDLK_f, SDLK_g, SDLK_EQUALS };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        memset(&e, 0, sizeof e);
        e.type = SDL_KEYDOWN;
        e.key.keysym.sym = keys[i];
        SDL_PushEvent(&e);
        usleep(30000);
    }
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEMOTION;
    e.motion.x = 500;
    e.motion.y = 120;
    SDL_PushEvent(&e);
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEWHEEL;
    e.wheel.y = 1;
    SDL_PushEvent(&e);
    usleep(100000);
    memset(&e, 0, sizeof e);
    e.type = SDL_QUIT;
    SDL_PushEvent(&e);
    return NULL;
}

START_TEST(test_interactive_dummy_driver) {
    fixture f;
    fixture_make(&f, TRC_END_OK, NULL);
    rdr_view_desc desc = fixture_desc(&f, 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, push_events, NULL), 0);
    diag d = { 0 };
    int rc = rdr_view_run(&desc, &d);
    pthread_join(th, NULL);
    ck_assert_msg(rc == 0, "rdr_view_run: %s", d.msg);
    SDL_Quit();
    fixture_free(&f);
}
END_TEST

static Suite *render_suite(void) {
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("pixels");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pixels_lane_states);
    tcase_add_test(tc, test_pixels_playhead_reveals);
    tcase_add_test(tc, test_pixels_queue_depth);
    tcase_add_test(tc, test_pixels_zoomed_window);
    tcase_add_test(tc, test_pool_layout_rows);
    tcase_add_test(tc, test_pixels_future_states);
    tcase_add_test(tc, test_pixels_futures_follow_playhead);
    suite_add_tcase(s, tc);
    tc = tcase_create("png");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_adler32);
    tcase_add_test(tc, test_png_roundtrip);
    tcase_add_test(tc, test_png_screenshot_matches_render);
    suite_add_tcase(s, tc);
    tc = tcase_create("view");
    tcase_add_test(tc, test_view_zoom_keeps_cursor_time);
    tcase_add_test(tc, test_view_pan_clamps);
    tcase_add_test(tc, test_view_playback_keys);
    tcase_add_test(tc, test_view_layout_rows);
    tcase_add_test(tc, test_ruler_format);
    suite_add_tcase(s, tc);
    tc = tcase_create("draw");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_draw_hover_tooltip);
    tcase_add_test(tc, test_draw_marks_and_flows);
    tcase_add_test(tc, test_draw_deadlock_note);
    tcase_add_test(tc, test_lod_merges_subpixel_spans);
    tcase_add_test(tc, test_lod_lock_sparse_prefix);
    tcase_add_test(tc, test_lod_level_block_index);
    tcase_add_test(tc, test_lod_dominant_state);
    tcase_add_test(tc, test_object_kinds_tracks);
    tcase_add_test(tc, test_draw_future_tooltips);
    tcase_add_test(tc, test_draw_flow_kinds);
    tcase_add_test(tc, test_lod_many_futures);
    suite_add_tcase(s, tc);
    tc = tcase_create("sdl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_canvas_text_cache);
    tcase_add_test(tc, test_multi_run_layout);
    tcase_add_test(tc, test_interactive_dummy_driver);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(render_suite()); }
