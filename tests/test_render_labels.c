/* render/: labels never overlap. Every bundled scenario is run (on the virtual
 * clock where its backend has one, else for real), opened in the viewer at
 * 1280x720, 1920x1080 and 800x600, with and without the stage, with the
 * playhead at a quarter, half and the end of the run, and the frame's label
 * log (every text the timeline and the stage drew, as drawn, rdr_view_labels)
 * is read back: no two labels of one layer intersect, and the ruler's times
 * are whole ("40 ms", not "40" cut at the window's edge). The text is measured by
 * the real fonts (a headless canvas's metrics). The log's own rules (a label
 * shortened with an ellipsis before one drawn earlier, or skipped when one
 * covers its start) are checked on a hand-made frame first. */
#include "testutil.h"
#include "render/rdr.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool meet(const rdr_label_rect *a, const rdr_label_rect *b) {
    return a->layer == b->layer && a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Fails naming both labels when two of the last frame's labels intersect; returns how many were drawn. */
static size_t assert_no_overlap(const rdr_view *v, const char *what) {
    size_t n;
    const rdr_label_rect *l = rdr_view_labels(v, &n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(l[i].w > 0 && l[i].h > 0, "%s: empty label '%s'", what, l[i].text);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(!meet(&l[i], &l[j]), "%s: '%s' at %d,%d %dx%d overlaps '%s' at %d,%d %dx%d", what, l[i].text,
                          l[i].x, l[i].y, l[i].w, l[i].h, l[j].text, l[j].x, l[j].y, l[j].w, l[j].h);
    }
    return n;
}

/* The log's rules, on a frame of a one-unit run with nominal metrics (8 px a character, 16 px a line). */
START_TEST(test_log_rules) {
    run_builder rb;
    rb_init(&rb, "labels");
    uint32_t u = rb_unit(&rb, "u");
    rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 10000000, u, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&rb, 10000000);
    diag d = { 0 };
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    rdr_view v;
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 800, .height = 600, .at = 1 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    assert_no_overlap(&v, "the frame");
    v.nlabels = 0;   /* the frame's own labels aside: the rules on an empty log */
    size_t n;
    const rdr_label_rect *l;
    const uint32_t col = 0xffffffffu;
    /* drawn whole where it is free */
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 0, 0, 0, 0, 0, 100, 100, col, "abcdefgh", 500), 64);
    l = rdr_view_labels(&v, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(l[0].x, 100); ck_assert_int_eq(l[0].w, 64); ck_assert_int_eq(l[0].h, RDR_LINE_H);
    /* running into it: cut with an ellipsis before it (6 characters and the ellipsis in 60 px) */
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 0, 0, 0, 0, 0, 40, 105, col, "0123456789", 200), 56);
    l = rdr_view_labels(&v, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[1].text, "012345\xe2\x80\xa6");
    /* starting on it: not drawn at all */
    size_t cmds = dl.n;
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 0, 0, 0, 0, 0, 120, 110, col, "x", 50), 0);
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 0, 0, 0, 0, 0, 98, 90, col, "xyz", 50), 0);
    ck_assert_uint_eq(dl.n, cmds);
    rdr_view_labels(&v, &n);
    ck_assert_uint_eq(n, 2);
    /* an overlay (layer 1) is on its own panel: it may cover the frame's labels */
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 1, 0, 0, 0, 0, 100, 100, col, "tip", 50), 24);
    /* at a clip's right edge: cut with an ellipsis, never mid-glyph; recorded as drawn */
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 0, 0, 200, 300, 100, 280, 220, col, "abcdef", 100), 16);
    l = rdr_view_labels(&v, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(l[3].text, "a\xe2\x80\xa6");
    ck_assert_int_eq(l[3].x + l[3].w, 296);
    /* cut to the clip it is drawn in: a label half below the clip is recorded by its visible half */
    ck_assert_int_eq(rdr_frame_label(&v, &dl, NULL, 0, 0, 200, 300, 100, 10, 292, col, "low", 100), 24);
    l = rdr_view_labels(&v, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(l[4].y, 292); ck_assert_int_eq(l[4].h, 8);
    assert_no_overlap(&v, "the rules");
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* review: at 640x400 a run's title line kept its makespan and end but cut its backend to
 * "threa\xe2\x80\xa6" / "c\xe2\x80\xa6" with room to spare: only the scenario's title is cut. */
START_TEST(test_small_window_keeps_the_backend) {
    char dir[] = "/tmp/weft_labels_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char scn[600], path[600], args[1400], out[4096];
    snprintf(scn, sizeof scn, "%s/t.scn", dir);
    snprintf(path, sizeof path, "%s/t.weft", dir);
    FILE *f = fopen(scn, "w");
    ck_assert_ptr_nonnull(f);
    fputs("scenario \"a title long enough to be cut in a small window, as bundled ones are\"\n"
          "backends threads, coroutines\ncounter c\nactor a { sleep 1ms; incr c }\nexpect all_done\n", f);
    fclose(f);
    int status = 0;
    snprintf(args, sizeof args, "run %s -q --clock virtual -o %s", scn, path);
    tu_weft_shell(out, sizeof out, &status, args);
    ck_assert_msg(status == 0, "%s", out);
    rdr_canvas *c;
    diag d = { 0 };
    ck_assert_msg(rdr_canvas_open(&c, 640, 400, NULL, &d) == 0, "%s", d.msg);
    trc_recording *rec = NULL;
    ck_assert_msg(trc_recording_open(&rec, path, 0, &d) == 0, "%s", d.msg);
    trc_model m[2];
    ck_assert_uint_eq(rec->nruns, 2);
    for (uint32_t r = 0; r < 2; r++) ck_assert_msg(trc_model_build(&m[r], &rec->runs[r], &d) == 0, "%s", d.msg);
    rdr_view v;
    rdr_view_desc desc = { .rec = rec, .models = m, .nmodels = 2, .width = 640, .height = 400, .at = 1 };
    ck_assert_msg(rdr_view_init(&v, &desc, &d) == 0, "%s", d.msg);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, rdr_canvas_metrics(c));
    size_t nl, titles = 0;
    const rdr_label_rect *l = rdr_view_labels(&v, &nl);
    for (size_t i = 0; i + 1 < nl; i++)
        if (!strncmp(l[i + 1].text, " \xc2\xb7 makespan ", 12)) {
            ck_assert_msg(!strncmp(l[i].text, "threads", 7) || !strncmp(l[i].text, "coroutines", 10),
                          "a run's backend is cut: '%s'", l[i].text);
            titles++;
        }
    ck_assert_uint_ge(titles, 1);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    for (uint32_t r = 0; r < 2; r++) trc_model_release(&m[r]);
    trc_recording_free(rec);
    rdr_canvas_close(c);
    unlink(path);
    unlink(scn);
    rmdir(dir);
}
END_TEST

START_TEST(test_every_scenario_no_overlap) {
    char dir[] = "/tmp/weft_labels_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char sdir[512];
    snprintf(sdir, sizeof sdir, "%s/scenarios", WEFT_SOURCE_DIR);
    DIR *dp = opendir(sdir);
    ck_assert_ptr_nonnull(dp);
    char *names[256];
    size_t nn = 0;
    for (struct dirent *e; (e = readdir(dp)) && nn < 256;) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".scn")) names[nn++] = strndup(e->d_name, len - 4);
    }
    closedir(dp);
    qsort(names, nn, sizeof *names, cmp_str);
    ck_assert_uint_ge(nn, 40);

    rdr_canvas *c;
    diag d = { 0 };
    ck_assert_msg(rdr_canvas_open(&c, 1920, 1080, NULL, &d) == 0, "%s", d.msg);
    const rdr_text_metrics *tm = rdr_canvas_metrics(c);
    static const int sizes[3][2] = { { 1280, 720 }, { 1920, 1080 }, { 800, 600 } };
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    const int nsizes = 1;   /* instrumented: every scenario, at 1280x720 only (the plain build does all three) */
#else
    const int nsizes = 3;
#endif
    static const double ats[3] = { 0.25, 0.5, 1.0 };
    size_t frames = 0, labels = 0, stages = 0, skipped = 0;
    char path[640], args[1024], out[4096];
    for (size_t s = 0; s < nn; s++) {
        snprintf(path, sizeof path, "%s/%s.weft", dir, names[s]);
        /* the virtual clock where the backend has one (quick and the same every time), else for real */
        snprintf(args, sizeof args, "run %s -q --clock virtual -o %s", names[s], path);
        int status = 0;
        tu_weft_shell(out, sizeof out, &status, args);
        if (status == 2) {
#if defined(__SANITIZE_THREAD__)
            /* processes (no virtual clock): TSan refuses threads in a forked process (as perfetto_semantics_on_processes) */
            free(names[s]);
            skipped++;
            continue;
#endif
            snprintf(args, sizeof args, "run %s -q -o %s", names[s], path);
            tu_weft_shell(out, sizeof out, &status, args);
        }
        ck_assert_msg(status == 0 || status == 1, "%s: weft run exited %d: %s", names[s], status, out);
        trc_recording *rec = NULL;
        ck_assert_msg(trc_recording_open(&rec, path, 0, &d) == 0, "%s: %s", names[s], d.msg);
        trc_model *m = calloc(rec->nruns, sizeof *m);
        for (uint32_t r = 0; r < rec->nruns; r++)
            ck_assert_msg(trc_model_build(&m[r], &rec->runs[r], &d) == 0, "%s: %s", names[s], d.msg);
        for (int z = 0; z < nsizes; z++)
            for (int st = 0; st < 2; st++) {
                rdr_view v;
                rdr_view_desc desc = { .rec = rec, .models = m, .nmodels = rec->nruns, .width = sizes[z][0],
                                       .height = sizes[z][1], .stage = st, .at = 1 };
                ck_assert_msg(rdr_view_init(&v, &desc, &d) == 0, "%s: %s", names[s], d.msg);
                rdr_drawlist dl = { 0 };
                for (int a = 0; a < 3; a++) {
                    rdr_view_set_playhead(&v, v.total * ats[a]);
                    rdr_build(&v, &dl, tm);
                    char what[256];
                    snprintf(what, sizeof what, "%s %dx%d stage %s at %.0f%%", names[s], sizes[z][0], sizes[z][1],
                             st ? "on" : "off", ats[a] * 100);
                    labels += assert_no_overlap(&v, what);
                    /* side by side, each run's title line keeps its facts (the scenario's title is what is cut) */
                    if (rec->nruns > 1) {
                        size_t nl, facts = 0;
                        const rdr_label_rect *l = rdr_view_labels(&v, &nl);
                        for (size_t i = 0; i < nl; i++) facts += !strncmp(l[i].text, " \xc2\xb7 makespan ", 12);
                        ck_assert_msg(facts >= 1, "%s: no run title shows its makespan and end", what);
                    }
                    /* the ruler's times are whole: "40 ms", never "40" cut at the edge */
                    size_t nl;
                    const rdr_label_rect *l = rdr_view_labels(&v, &nl);
                    for (size_t i = 0; i < nl; i++)
                        if (l[i].layer == 0 && l[i].x >= v.lay.plot_x - 4 && l[i].y >= v.lay.ruler_y &&
                            l[i].y + l[i].h <= v.lay.ruler_y + 20 && l[i].text[0] >= '0' && l[i].text[0] <= '9') {
                            size_t tl = strlen(l[i].text);
                            ck_assert_msg(tl > 2 && l[i].text[tl - 1] == 's', "%s: ruler label '%s' is cut", what, l[i].text);
                        }
                    stages += v.lay.stage_w > 0;
                    frames++;
                }
                rdr_drawlist_free(&dl);
                rdr_view_release(&v);
            }
        for (uint32_t r = 0; r < rec->nruns; r++) trc_model_release(&m[r]);
        free(m);
        trc_recording_free(rec);
        unlink(path);
        free(names[s]);
    }
    rdr_canvas_close(c);
    rmdir(dir);
    ck_assert_uint_le(skipped, nn / 2);
    ck_assert_uint_eq(frames, (nn - skipped) * 6 * (size_t)nsizes);
    ck_assert_uint_ge(stages, (nn - skipped) * 3 * (size_t)nsizes / 2);      /* the stage was on in the stage frames (most sizes fit it) */
    ck_assert_uint_ge(labels, frames * 10);     /* the frames had their labels */
}
END_TEST

static Suite *labels_suite(void) {
    Suite *s = suite_create("render_labels");
    TCase *tc = tcase_create("labels");
    tcase_set_timeout(tc, 850);
    tcase_add_test(tc, test_log_rules);
    tcase_add_test(tc, test_small_window_keeps_the_backend);
    tcase_add_test(tc, test_every_scenario_no_overlap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(labels_suite()); }
