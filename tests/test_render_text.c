/* render/: text in any script. Chinese names, marks and titles are drawn from
 * a fallback font glyph by glyph, not as the main font's missing-glyph box;
 * hi-dpi canvases rasterise text at device pixels. Headless (SDL software
 * renderer), checked by pixels. */
#include "testutil.h"
#include "render/rdr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MS 1000000ull

/* Renders `text` alone on a 200x40 canvas and returns a copy of its pixels. */
static uint32_t *text_pixels(const char *text, double scale, int *w, int *h) {
    rdr_canvas *c;
    diag d = { 0 };
    ck_assert_msg(rdr_canvas_open_scaled(&c, 200, 40, scale, NULL, &d) == 0, "%s", d.msg);
    rdr_drawlist dl = { 0 };
    rdr_dl_rect(&dl, 0, 0, 200, 40, 0xff000000u);
    rdr_dl_text(&dl, 10, 10, RDR_FONT_REGULAR, 0xffffffffu, text, strlen(text));
    rdr_canvas_submit(c, &dl);
    rdr_canvas_size(c, w, h);
    uint32_t *px = xmalloc(sizeof *px * (size_t)*w * (size_t)*h);
    memcpy(px, rdr_canvas_pixels(c), sizeof *px * (size_t)*w * (size_t)*h);
    rdr_drawlist_free(&dl);
    rdr_canvas_close(c);
    return px;
}

static size_t ink(const uint32_t *px, int w, int h) {
    size_t n = 0;
    for (int i = 0; i < w * h; i++) n += (px[i] & 0xffffffu) != 0;
    return n;
}

static size_t differ(const uint32_t *a, const uint32_t *b, int w, int h) {
    size_t n = 0;
    for (int i = 0; i < w * h; i++) n += (a[i] & 0xffffffu) != (b[i] & 0xffffffu);
    return n;
}

static bool have_cjk_font(void) {
    static const char *known[] = { "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                                   "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc" };
    struct stat st;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (stat(known[i], &st) == 0) return true;
    return false;
}

/* Two different Chinese characters: without a fallback both are the main
 * font's missing-glyph box (the same pixels); with it they are two glyphs,
 * and neither is the box. */
START_TEST(test_cjk_not_boxes) {
    if (!have_cjk_font()) {
        fprintf(stderr, "test_cjk_not_boxes: skipped: no CJK font (tools/setup.sh installs fonts-wqy-microhei)\n");
        return;
    }
    int w, h;
    setenv("WEFT_FONT_FALLBACK", "", 1);   /* no fallback: boxes */
    uint32_t *box1 = text_pixels("\xe4\xbb\xbb", 1, &w, &h);   /* 任 */
    uint32_t *box2 = text_pixels("\xe5\x8a\xa1", 1, &w, &h);   /* 务 */
    ck_assert_uint_gt(ink(box1, w, h), 0);
    ck_assert_uint_eq(differ(box1, box2, w, h), 0);   /* the same box for both */
    unsetenv("WEFT_FONT_FALLBACK");
    uint32_t *g1 = text_pixels("\xe4\xbb\xbb", 1, &w, &h);
    uint32_t *g2 = text_pixels("\xe5\x8a\xa1", 1, &w, &h);
    ck_assert_uint_gt(ink(g1, w, h), 20);
    ck_assert_uint_gt(differ(g1, g2, w, h), 20);      /* two different glyphs */
    ck_assert_uint_gt(differ(g1, box1, w, h), 20);    /* and not the box */
    /* mixed text: the Latin part from the main font, the Chinese from the fallback */
    uint32_t *mixed = text_pixels("queue \xe4\xbb\xbb\xe5\x8a\xa1", 1, &w, &h);
    uint32_t *latin = text_pixels("queue ", 1, &w, &h);
    ck_assert_uint_gt(ink(mixed, w, h), ink(latin, w, h) + 20);
    free(box1); free(box2); free(g1); free(g2); free(mixed); free(latin);
}
END_TEST

/* Measuring follows the glyphs drawn: a Chinese label is as wide as it is drawn. */
START_TEST(test_cjk_measure_matches) {
    if (!have_cjk_font()) return;
    rdr_canvas *c;
    diag d = { 0 };
    ck_assert_int_eq(rdr_canvas_open(&c, 300, 40, NULL, &d), 0);
    const rdr_text_metrics *tm = rdr_canvas_metrics(c);
    const char *s = "\xe4\xbb\xbb\xe5\x8a\xa1 jobs";
    int mw = tm->measure(tm->ud, RDR_FONT_REGULAR, s, strlen(s));
    rdr_drawlist dl = { 0 };
    rdr_dl_rect(&dl, 0, 0, 300, 40, 0xff000000u);
    rdr_dl_text(&dl, 10, 10, RDR_FONT_REGULAR, 0xffffffffu, s, strlen(s));
    rdr_canvas_submit(c, &dl);
    int pw, ph, right = 0;
    rdr_canvas_size(c, &pw, &ph);
    const uint32_t *px = rdr_canvas_pixels(c);
    for (int y = 0; y < ph; y++)
        for (int x = 0; x < pw; x++)
            if ((px[y * pw + x] & 0xffffffu) && x > right) right = x;
    ck_assert_int_le(right, 10 + mw + 1);
    ck_assert_int_ge(right, 10 + mw - 12);   /* the last glyph's ink ends near the measured width */
    rdr_drawlist_free(&dl);
    rdr_canvas_close(c);
}
END_TEST

/* A mark in Chinese on a unit's lane: its label is drawn (in the mark colour) with glyphs. */
START_TEST(test_cjk_mark_on_lane) {
    if (!have_cjk_font()) return;
    run_builder rb;
    rb_init(&rb, "\xe7\x94\x9f\xe4\xba\xa7\xe8\x80\x85\xe5\x92\x8c\xe6\xb6\x88\xe8\xb4\xb9\xe8\x80\x85");   /* 生产者和消费者 */
    uint32_t u = rb_unit(&rb, "\xe7\x94\x9f\xe4\xba\xa7\xe8\x80\x85.0");
    rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 10 * MS, u, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&rb, 90 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&rb, 100 * MS);
    const char **strings = arena_push(&rec->mem, sizeof *strings);
    strings[0] = "\xe4\xbb\xbb\xe5\x8a\xa1\xe5\xae\x8c\xe6\x88\x90";   /* 任务完成 */
    rec->runs[0].strings = strings;
    rec->runs[0].nstrings = 1;
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 800, .height = 300, .at = -1 };
    uint32_t *px = xcalloc(800 * 300, sizeof *px);
    ck_assert_int_eq(rdr_render_rgba(&desc, px, &d), 0);
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int y0, y1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, u, &y0, &y1), 0);
    int x = (int)rdr_view_x_of(&v, 10.0 * MS) + 6;
    /* the label's pixels, just right of the mark: several columns with ink in the mark's colour family */
    size_t inked_cols = 0;
    for (int cx = x; cx < x + 60; cx++) {
        bool any = false;
        for (int y = y0; y < y1; y++) {
            uint32_t c = px[y * 800 + cx];
            int r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
            if (r > 160 && g > 150 && b < r) any = true;   /* the pale yellow of marks, anti-aliased */
        }
        inked_cols += any;
    }
    ck_assert_uint_gt(inked_cols, 20);
    rdr_view_release(&v);
    free(px);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* A 2x canvas has twice the pixels, text rasterised at 2x (more ink than the 1x
 * text scaled), the layout unchanged. */
START_TEST(test_scaled_canvas) {
    int w1, h1, w2, h2;
    uint32_t *a = text_pixels("weft 12 ms", 1, &w1, &h1);
    uint32_t *b = text_pixels("weft 12 ms", 2, &w2, &h2);
    ck_assert_int_eq(w2, 2 * w1);
    ck_assert_int_eq(h2, 2 * h1);
    size_t ia = ink(a, w1, h1), ib = ink(b, w2, h2);
    ck_assert_uint_gt(ib, 3 * ia);   /* about 4x the area */
    ck_assert_uint_lt(ib, 6 * ia);
    free(a);
    free(b);
}
END_TEST

static Suite *text_suite(void) {
    Suite *s = suite_create("render_text");
    TCase *tc = tcase_create("text");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cjk_not_boxes);
    tcase_add_test(tc, test_cjk_measure_matches);
    tcase_add_test(tc, test_cjk_mark_on_lane);
    tcase_add_test(tc, test_scaled_canvas);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(text_suite()); }
