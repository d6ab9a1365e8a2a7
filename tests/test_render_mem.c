/* The viewer's memory row (render/rdr_mem.c): a run with memory samples has
 * one, last in its run, whose step graph follows the resident total (pixels
 * of a headless render); a run without has none. */
#include "testutil.h"
#include "render/rdr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define MIB (1024ull * 1024)

static trc_recording *mem_run(bool with_mem, trc_model *m) {
    run_builder rb;
    rb_init(&rb, "memory row");
    uint32_t a = rb_unit(&rb, "A");
    if (with_mem) {
        rb_ev(&rb, 0, a, TRC_EV_MEM_RESIDENT, 0, TRC_MEM_MAIN | TRC_MEM_BASELINE, 5 * MIB, 42);
        rb_ev(&rb, 0, a, TRC_EV_MEM_VIRTUAL, 0, TRC_MEM_MAIN | TRC_MEM_BASELINE, 50 * MIB, 42);
        rb_ev(&rb, 0, a, TRC_EV_MEM_RESIDENT, 0, TRC_MEM_MAIN, 10 * MIB, 42);
        rb_ev(&rb, 0, a, TRC_EV_MEM_VIRTUAL, 0, TRC_MEM_MAIN, 60 * MIB, 42);
    }
    rb_ev(&rb, 1 * MS, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    if (with_mem) {
        rb_ev(&rb, 50 * MS, a, TRC_EV_MEM_RESIDENT, 0, TRC_MEM_MAIN, 40 * MIB, 42);
        rb_ev(&rb, 50 * MS, a, TRC_EV_MEM_VIRTUAL, 0, TRC_MEM_MAIN, 90 * MIB, 42);
    }
    rb_ev(&rb, 90 * MS, a, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&rb, 100 * MS);
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(m, &rec->runs[0], &d), 0);
    return rec;
}

static uint32_t px_at(const uint32_t *px, int w, int x, int y) { return px[(size_t)y * (size_t)w + (size_t)x] | 0xff000000u; }

START_TEST(memory_row_follows_the_resident_total) {
    trc_model m;
    trc_recording *rec = mem_run(true, &m);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 500, .at = -1 };
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int y0, y1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_MEM, 0, 0, &y0, &y1), 0);
    int xa = (int)floor(rdr_view_x_of(&v, 25.0 * MS)), xb = (int)floor(rdr_view_x_of(&v, 75.0 * MS));
    rdr_view_release(&v);
    uint32_t *px = xcalloc((size_t)desc.width * (size_t)desc.height, sizeof *px);
    ck_assert_msg(rdr_render_rgba(&desc, px, &d) == 0, "%s", d.msg);
    /* 10 MiB before 50 ms, 40 MiB (the peak: the row's full height) after: count filled pixels up a column */
    int ha = 0, hb = 0;
    for (int y = y1 - 5; y > y0; y--) {
        if (px_at(px, desc.width, xa, y) == RDR_COL_QUEUE) ha++;
        if (px_at(px, desc.width, xb, y) == RDR_COL_QUEUE) hb++;
    }
    ck_assert_int_gt(ha, 0);
    ck_assert_int_gt(hb, 3 * ha);   /* 40 MiB against 10 MiB */
    free(px);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(no_memory_no_row) {
    trc_model m;
    trc_recording *rec = mem_run(false, &m);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 500, .at = -1 };
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int y0, y1;
    ck_assert_int_ne(rdr_view_row_span(&v, RDR_ROW_MEM, 0, 0, &y0, &y1), 0);
    for (uint32_t i = 0; i < v.lay.nrows; i++) ck_assert_uint_ne(v.lay.rows[i].kind, RDR_ROW_MEM);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* fix6: in a narrow label column (short unit names) the row's label read "3.1 MiB resi…": every
 * label in it is whole, and the figure is there with what it is */
START_TEST(memory_label_is_whole_in_a_narrow_column) {
    trc_model m;
    trc_recording *rec = mem_run(true, &m);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 500, .at = 60.0 * MS };
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    ck_assert_int_le(v.lay.label_w, 130);   /* the narrow column */
    int y0, y1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_MEM, 0, 0, &y0, &y1), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    size_t nl;
    const rdr_label_rect *l = rdr_view_labels(&v, &nl);
    bool figure = false, what = false;
    for (size_t i = 0; i < nl; i++) {
        if (l[i].y < y0 || l[i].y >= y1 || l[i].x >= v.lay.label_w) continue;
        ck_assert_msg(!strstr(l[i].text, "\xe2\x80\xa6"), "cut: '%s'", l[i].text);
        figure |= strstr(l[i].text, "40 MiB") != NULL;
        what |= strstr(l[i].text, "resident") != NULL;
    }
    ck_assert_msg(figure && what, "the resident figure and its name");
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    Suite *s = suite_create("render_mem");
    TCase *tc = tcase_create("mem");
    tcase_add_test(tc, memory_row_follows_the_resident_total);
    tcase_add_test(tc, no_memory_no_row);
    tcase_add_test(tc, memory_label_is_whole_in_a_narrow_column);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
