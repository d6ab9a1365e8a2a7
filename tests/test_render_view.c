/* render/: the view model's newer parts (no SDL): the playback clock (opens at
 * the start, jumps over a watchdog's idle tail, stops at the end), selection
 * and the details it opens, search with next and previous, flow modes, the
 * toggles, folding runs; the header's notes naming a deadlock's cycle; the
 * expected counter values read from the scenario; counters at the ends of
 * int64 drawn without overflow; and the wait-for graph they rest on. */
#include "testutil.h"
#include "render/rdr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull

static bool dl_has_text(const rdr_drawlist *dl, const char *needle) {
    for (size_t i = 0; i < dl->n; i++)
        if (dl->cmds[i].kind == RDR_CMD_TEXT && strstr(dl->text + dl->cmds[i].text, needle)) return true;
    if (getenv("WEFT_DUMP_TEXT")) {
        fprintf(stderr, "no '%s' among:\n", needle);
        for (size_t i = 0; i < dl->n; i++)
            if (dl->cmds[i].kind == RDR_CMD_TEXT) fprintf(stderr, "  [%s]\n", dl->text + dl->cmds[i].text);
    }
    return false;
}

static void key(rdr_view *v, uint16_t k, uint32_t ch, uint8_t mods) {
    rdr_view_event(v, &(rdr_event){ .kind = RDR_EV_KEY, .key = k, .ch = ch, .mods = mods });
}
static void chr(rdr_view *v, char c) { key(v, RDR_KEY_CHAR, (uint32_t)c, 0); }

//~ fixtures

/* A deadlock: alice takes a then waits for b; bob takes b then waits for a; at
 * 10 ms nothing moves any more; the watchdog ends the run at 200 ms. */
typedef struct dl_fix { trc_recording *rec; trc_model m; uint32_t alice, bob, a, b; } dl_fix;

static void dl_make(dl_fix *f) {
    run_builder rb;
    rb_init(&rb, "two locks");
    f->alice = rb_unit(&rb, "alice");
    f->bob = rb_unit(&rb, "bob");
    f->a = rb_obj(&rb, TRC_OBJ_LOCK, "a", 0);
    f->b = rb_obj(&rb, TRC_OBJ_LOCK, "b", 0);
    rb_ev(&rb, 0, f->alice, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, f->bob, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, f->alice, TRC_EV_ACQUIRE, f->a, 0, 1, 0);
    rb_ev(&rb, 2 * MS, f->bob, TRC_EV_ACQUIRE, f->b, 0, 1, 0);
    rb_ev(&rb, 5 * MS, f->alice, TRC_EV_WAIT_BEGIN, f->b, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 10 * MS, f->bob, TRC_EV_WAIT_BEGIN, f->a, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 200 * MS, f->alice, TRC_EV_WAIT_END, f->b, TRC_OUT_ABORTED, 0, 0);
    rb_ev(&rb, 200 * MS, f->bob, TRC_EV_WAIT_END, f->a, TRC_OUT_ABORTED, 0, 0);
    rb_ev(&rb, 200 * MS, f->alice, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    rb_ev(&rb, 200 * MS, f->bob, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    f->rec = rb_finish(&rb, 200 * MS);
    f->rec->runs[0].end_reason = TRC_END_DEADLOCK;
    f->rec->runs[0].report = "deadlock: a cycle of 2 unit(s) waiting for each other";
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&f->m, &f->rec->runs[0], &d), 0);
}

static void dl_free(dl_fix *f) {
    trc_model_release(&f->m);
    trc_recording_free(f->rec);
}

static void dl_view(dl_fix *f, rdr_view *v, double at, bool play) {
    rdr_view_desc desc = { .rec = f->rec, .models = &f->m, .nmodels = 1, .width = 1000, .height = 500, .at = at, .play = play };
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(v, &desc, &d), 0);
}

//~ wait-for graph

START_TEST(test_waitfor_cycle) {
    dl_fix f;
    dl_make(&f);
    trc_waitfor wf;
    ck_assert_int_eq(trc_waitfor_end(&wf, &f.m), 0);
    ck_assert_uint_eq(wf.nwaits, 2);
    ck_assert_uint_eq(wf.waits[0].unit, f.alice);
    ck_assert_uint_eq(wf.waits[0].obj, f.b);
    ck_assert_uint_eq(wf.waits[0].holder, f.bob);
    ck_assert_uint_eq(wf.waits[0].since, 5 * MS);
    ck_assert_uint_eq(wf.waits[1].holder, f.alice);
    ck_assert(wf.waits[0].in_cycle && wf.waits[1].in_cycle);
    ck_assert_uint_eq(wf.ncycle, 2);
    ck_assert(wf.cycle[0] != wf.cycle[1]);
    trc_waitfor_release(&wf);
    dl_free(&f);
}
END_TEST

/* Stuck without a cycle: a waiter on an empty queue has no holder; a unit whose
 * wait timed out before the end is not stuck; a self-deadlock is a cycle of one. */
START_TEST(test_waitfor_stuck_and_self) {
    run_builder rb;
    rb_init(&rb, "stuck");
    uint32_t c = rb_unit(&rb, "consumer"), t = rb_unit(&rb, "patient"), s = rb_unit(&rb, "self");
    uint32_t q = rb_obj(&rb, TRC_OBJ_QUEUE, "jobs", 2), l = rb_obj(&rb, TRC_OBJ_LOCK, "m", 0);
    rb_ev(&rb, 1 * MS, c, TRC_EV_WAIT_BEGIN, q, TRC_OP_GET, 0, 0);
    rb_ev(&rb, 1 * MS, t, TRC_EV_WAIT_BEGIN, q, TRC_OP_GET, 0, 0);
    rb_ev(&rb, 3 * MS, t, TRC_EV_WAIT_END, q, TRC_OUT_TIMEOUT, 0, 0);
    rb_ev(&rb, 4 * MS, s, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 5 * MS, s, TRC_EV_WAIT_BEGIN, l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 50 * MS, c, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    rb_ev(&rb, 50 * MS, s, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_ABORTED, 0, 0);
    rb_ev(&rb, 50 * MS, t, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&rb, 50 * MS);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    trc_waitfor wf;
    trc_waitfor_end(&wf, &m);
    ck_assert_uint_eq(wf.nwaits, 2);
    ck_assert_uint_eq(wf.waits[0].unit, c);
    ck_assert_uint_eq(wf.waits[0].holder, UINT32_MAX);
    ck_assert(!wf.waits[0].in_cycle);
    ck_assert_uint_eq(wf.waits[1].unit, s);
    ck_assert_uint_eq(wf.waits[1].holder, s);
    ck_assert_uint_eq(wf.ncycle, 1);
    ck_assert_uint_eq(wf.cycle[0], s);
    trc_waitfor_release(&wf);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

//~ notes, the idle tail, playback

START_TEST(test_deadlock_named_and_tail) {
    dl_fix f;
    dl_make(&f);
    rdr_view v;
    dl_view(&f, &v, -1, false);
    /* the view fits where things happen (10 ms plus a margin), not the 190 ms of waiting */
    ck_assert(v.t_tail < 20.0 * MS && v.t_tail > 10.0 * MS);
    ck_assert(v.t0 == 0 && v.t1 == v.t_tail);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    /* the note names the cycle's units and locks, once each way, no word repeated */
    ck_assert(dl_has_text(&dl, "DEADLOCK: alice waits for lock b, held by bob; bob waits for lock a, held by alice"));
    ck_assert(!dl_has_text(&dl, "DEADLOCK: deadlock"));
    /* the lanes say it too, and the tail is announced */
    ck_assert(dl_has_text(&dl, "deadlock: waits for lock b, held by bob"));
    ck_assert(dl_has_text(&dl, "more with nothing happening"));
    /* '0' shows it all, 'r' comes back */
    chr(&v, '0');
    ck_assert(v.t1 == 200.0 * MS);
    chr(&v, 'r');
    ck_assert(v.t1 == v.t_tail);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    /* --whole: the whole run from the start */
    rdr_view_desc desc = { .rec = f.rec, .models = &f.m, .nmodels = 1, .width = 1000, .height = 500, .at = -1, .whole = true };
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    ck_assert(v.t1 == 200.0 * MS && v.t_tail == 200.0 * MS);
    rdr_view_release(&v);
    dl_free(&f);
}
END_TEST

START_TEST(test_playback_clock) {
    dl_fix f;
    dl_make(&f);
    rdr_view v;
    dl_view(&f, &v, 0, true);
    ck_assert(v.playing && v.playhead == 0);
    /* the visible part plays in a few seconds (a power of two of speed) */
    double secs = (v.t1 - v.t0) / 1e9 / v.speed;
    ck_assert_msg(secs >= 3 && secs <= 12, "%.2f s", secs);
    ck_assert(rdr_view_tick(&v, 0.5));
    ck_assert(fabs(v.playhead - 0.5e9 * v.speed) < 1);
    /* past where things happen, it jumps to the end and stops: the end shows at once */
    for (int i = 0; i < 100 && v.playing; i++) rdr_view_tick(&v, 0.25);
    ck_assert(!v.playing);
    ck_assert(v.playhead == 200.0 * MS);
    ck_assert(v.t1 <= v.t_tail + 1);   /* the view did not scroll into the idle tail */
    /* space at the end plays again from the start */
    key(&v, RDR_KEY_SPACE, 0, 0);
    ck_assert(v.playing && v.playhead == 0);
    /* not asked to play: still */
    rdr_view_release(&v);
    dl_view(&f, &v, 0, false);
    ck_assert(!v.playing && !rdr_view_tick(&v, 1));
    rdr_view_release(&v);
    dl_free(&f);
}
END_TEST

//~ selection, details, search, modes

START_TEST(test_select_details_step_zoom) {
    dl_fix f;
    dl_make(&f);
    rdr_view v;
    dl_view(&f, &v, -1, false);
    int y0, y1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f.alice, &y0, &y1), 0);
    int lanes_h = v.lay.lanes_h;
    /* a click (press and release without moving) on alice's lane at 7 ms */
    int x = (int)lround(rdr_view_x_of(&v, 7.0 * MS));
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_DOWN, .x = x, .y = (y0 + y1) / 2, .button = 1 });
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_UP, .x = x, .y = (y0 + y1) / 2, .button = 1 });
    ck_assert_int_eq(v.sel.kind, RDR_ROW_UNIT);
    ck_assert_uint_eq(v.sel.id, f.alice);
    ck_assert(fabs(v.sel.t - 7.0 * MS) < 0.1 * MS);
    ck_assert_int_gt(v.lay.details_h, 0);   /* the panel opened, the lanes made room */
    ck_assert_int_lt(v.lay.lanes_h, lanes_h);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "blocked on lock b"));
    ck_assert(dl_has_text(&dl, "still waiting when the run ended: bob held it, in a cycle of waits (a deadlock)"));
    ck_assert(dl_has_text(&dl, "selected: alice"));
    /* z zooms to the slice under the selection: alice runs 0 .. 5 ms, with a margin */
    const rdr_row *row = rdr_view_row_at(&v, (y0 + y1) / 2);
    ck_assert_ptr_nonnull(row);
    rdr_view_select(&v, (int)(row - v.lay.rows), 3.0 * MS);
    chr(&v, 'z');
    ck_assert(v.t0 == 0 && v.t1 > 5.0 * MS && v.t1 <= 6.5 * MS);   /* 5 ms and 15% each side, kept inside the run */
    /* left/right step through alice's state changes only: 1 ms is bob's, not hers */
    rdr_view_set_playhead(&v, 0);
    key(&v, RDR_KEY_RIGHT, 0, 0);
    ck_assert(v.playhead == 5.0 * MS);   /* alice: running until her wait at 5 ms */
    key(&v, RDR_KEY_RIGHT, 0, 0);
    ck_assert(v.playhead == 200.0 * MS);
    /* Esc clears the selection first (and the panel closes), then quits */
    key(&v, RDR_KEY_ESC, 0, 0);
    ck_assert_int_eq(v.sel.kind, 0);
    ck_assert_int_eq(v.lay.details_h, 0);
    ck_assert(!v.quit);
    key(&v, RDR_KEY_ESC, 0, 0);
    ck_assert(v.quit);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    dl_free(&f);
}
END_TEST

START_TEST(test_search_and_modes) {
    dl_fix f;
    dl_make(&f);
    rdr_view v;
    dl_view(&f, &v, -1, false);
    chr(&v, '/');
    ck_assert(v.searching);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_TEXT, .text = "/" });   /* the '/' that opened it arrives as text too */
    ck_assert_str_eq(v.query, "");
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_TEXT, .text = "B" });
    /* "b": bob and lock b, case-insensitive */
    ck_assert_str_eq(v.query, "B");
    ck_assert_uint_eq(v.nmatches, 2);
    ck_assert_int_eq(v.sel.kind, RDR_ROW_UNIT);
    ck_assert_uint_eq(v.sel.id, f.bob);
    key(&v, RDR_KEY_ENTER, 0, 0);
    ck_assert(!v.searching);
    chr(&v, 'n');
    ck_assert_int_eq(v.sel.kind, RDR_ROW_OWNER);
    ck_assert_uint_eq(v.sel.id, f.b);
    key(&v, RDR_KEY_CHAR, 'n', RDR_MOD_SHIFT);   /* previous */
    ck_assert_int_eq(v.sel.kind, RDR_ROW_UNIT);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "search: B  (1 of 2"));
    /* flows: all -> only the selected -> off -> all, each said in the status bar */
    ck_assert_int_eq(v.flows, RDR_FLOWS_ALL);
    chr(&v, 'f');
    ck_assert_int_eq(v.flows, RDR_FLOWS_SELECTED);
    chr(&v, 'f');
    ck_assert_int_eq(v.flows, RDR_FLOWS_OFF);
    ck_assert(!v.show_flows);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "flows: off (f)"));
    chr(&v, 'f');
    ck_assert_int_eq(v.flows, RDR_FLOWS_ALL);
    /* help, theme, stage */
    chr(&v, '?');
    ck_assert(v.help);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "Keys and mouse"));
    key(&v, RDR_KEY_ESC, 0, 0);
    ck_assert(!v.help && !v.quit);
    chr(&v, 't');
    ck_assert_int_eq(v.theme, RDR_THEME_LIGHT);
    rdr_build(&v, &dl, NULL);
    ck_assert_uint_eq(dl.cmds[0].color, 0xfff7f7f4u);   /* the light background */
    int tw = v.lay.timeline_w;
    chr(&v, 'o');
    ck_assert(v.show_stage);
    ck_assert_int_gt(v.lay.stage_w, 0);
    ck_assert_int_eq(v.lay.timeline_w + v.lay.stage_w, v.lay.width);
    ck_assert_int_lt(v.lay.plot_x + v.lay.plot_w, v.lay.stage_x);
    ck_assert_int_lt(v.lay.timeline_w, tw);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "stage"));   /* the stage's title line (test_stage checks what it draws) */
    ck_assert(!dl_has_text(&dl, "not in this build yet"));
    /* c with one run: nothing to compare, and it says why */
    chr(&v, 'c');
    ck_assert(!v.compare);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    dl_free(&f);
}
END_TEST

/* Two runs side by side: one axis, a compare panel with the best marked, runs fold. */
START_TEST(test_side_by_side) {
    dl_fix f1, f2;
    dl_make(&f1);
    dl_make(&f2);
    trc_model models[2] = { f1.m, f2.m };
    rdr_view_desc desc = { .models = models, .nmodels = 2, .width = 1000, .height = 600, .at = -1 };
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    ck_assert(v.compare);
    ck_assert_int_gt(v.lay.compare_h, 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "compare"));
    ck_assert(dl_has_text(&dl, "makespan"));
    ck_assert(dl_has_text(&dl, "run 2: DEADLOCK: alice waits for lock b"));
    int y0, y1, n = (int)v.lay.nrows;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_RUN, 0, 0, &y0, &y1), 0);
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_DOWN, .x = 400, .y = y0 + 3, .button = 1 });
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_UP, .x = 400, .y = y0 + 3, .button = 1 });
    ck_assert(v.info[0].collapsed);
    ck_assert_int_lt((int)v.lay.nrows, n);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, f1.alice, &y0, &y1), -ERR_USAGE);
    rdr_build(&v, &dl, NULL);   /* flows and marks of a folded run are skipped, not drawn at random rows */
    rdr_view_collapse(&v, 0, false);
    ck_assert_int_eq((int)v.lay.nrows, n);
    chr(&v, 'c');
    ck_assert(!v.compare && v.lay.compare_h == 0);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    dl_free(&f1);
    dl_free(&f2);
}
END_TEST

//~ counters

/* The scenario's expect lines give the expected values; counters share a scale;
 * values at the ends of int64 draw without overflow (run this under UBSan). */
START_TEST(test_counters_scale_expect_extremes) {
    run_builder rb;
    rb_init(&rb, "counters");
    uint32_t u = rb_unit(&rb, "w");
    uint32_t racy = rb_obj(&rb, TRC_OBJ_COUNTER, "racy", 0), safe = rb_obj(&rb, TRC_OBJ_COUNTER, "safe", 0);
    uint32_t big = rb_obj(&rb, TRC_OBJ_COUNTER, "big", 0);
    rb_ev(&rb, 1 * MS, u, TRC_EV_COUNTER_WRITE, safe, TRC_CTR_LOCKED, 500, 0);
    rb_ev(&rb, 2 * MS, u, TRC_EV_COUNTER_WRITE, racy, TRC_CTR_RACY, 200, 300);   /* 300 updates lost */
    rb_ev(&rb, 3 * MS, u, TRC_EV_COUNTER_WRITE, big, TRC_CTR_ATOMIC, (uint64_t)INT64_MIN, 0);
    rb_ev(&rb, 4 * MS, u, TRC_EV_COUNTER_WRITE, big, TRC_CTR_ATOMIC, (uint64_t)-1, 0);
    rb_ev(&rb, 5 * MS, u, TRC_EV_COUNTER_WRITE, big, TRC_CTR_ATOMIC, (uint64_t)INT64_MAX, 0);
    rb_ev(&rb, 6 * MS, u, TRC_EV_COUNTER_WRITE, big, TRC_CTR_ATOMIC, 12, 0);
    trc_recording *rec = rb_finish(&rb, 10 * MS);
    trc_param *params = arena_push(&rec->mem, sizeof *params);
    params[0] = (trc_param){ .name = "n", .value = 250 };
    rec->runs[0].params = params;
    rec->runs[0].nparams = 1;
    rec->runs[0].source_text = "counter racy\ncounter safe\n"
                               "expect counter safe == n * 2   # the locked one\n"
                               "expect counter racy < n * 2\n"
                               "expect counter big >= 3 ms\n";   /* a duration: not ours to draw */
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.objects[racy - 1].lost_updates, 300);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 600, .at = -1 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "expected 500"));
    ck_assert(dl_has_text(&dl, "500 without the lost updates"));   /* racy: 200 + 300 */
    ck_assert(dl_has_text(&dl, "300 lost"));
    ck_assert(!dl_has_text(&dl, "expect >= 3"));
    /* a pixel render too: every value of big is drawn, nothing overflows */
    uint32_t *px = xcalloc(1000 * 600, sizeof *px);
    ck_assert_int_eq(rdr_render_rgba(&desc, px, &d), 0);
    free(px);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    /* shared scale: the racy counter's 200 is drawn lower than the safe one's 500 */
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* Short holds stay visible at any zoom: a lock held 2 us every 2 ms over 1 s is
 * drawn as thin marks in its holder's colour at the whole-run zoom (not nothing). */
START_TEST(test_short_holds_visible) {
    run_builder rb;
    rb_init(&rb, "short holds");
    uint32_t u = rb_unit(&rb, "u");
    uint32_t l = rb_obj(&rb, TRC_OBJ_LOCK, "m", 0);
    for (uint64_t i = 0; i < 500; i++) {
        rb_ev(&rb, i * 2 * MS, u, TRC_EV_ACQUIRE, l, 0, 1, 0);
        rb_ev(&rb, i * 2 * MS + 2000, u, TRC_EV_RELEASE, l, 0, 0, 0);
    }
    trc_recording *rec = rb_finish(&rb, 1000 * MS);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 300, .at = -1 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int y0, y1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_OWNER, 0, l, &y0, &y1), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    size_t thin = 0;
    for (size_t i = 0; i < dl.n; i++) {
        const rdr_cmd *c = &dl.cmds[i];
        if (c->kind == RDR_CMD_RECT && c->color == rdr_owner_color(u) && c->y > y0 && c->y + c->h < y1 && c->x >= v.lay.plot_x)
            thin += (size_t)c->w;
    }
    ck_assert_uint_ge(thin, 400);   /* a hold every 2 ms, a pixel is ~1.1 ms: about every other column */
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* Lost events (issue 7): a gap of a few events in a 1 s run is a hatch at
 * least 5 px wide over the unit's lane, in the alert colour; a lane without
 * gaps has none. */
START_TEST(test_lost_events_hatch) {
    run_builder rb;
    rb_init(&rb, "gaps");
    uint32_t u = rb_unit(&rb, "lossy"), w = rb_unit(&rb, "whole");
    rb_ev(&rb, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, w, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 500 * MS, u, TRC_EV_LOST, 0, 0, 3, 0);
    rb_ev(&rb, 500 * MS + 2000, u, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&rb, 1000 * MS, u, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 1000 * MS, w, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&rb, 1000 * MS);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.units[u].ngaps, 1);
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 300, .at = -1 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int uy0, uy1, wy0, wy1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, u, &uy0, &uy1), 0);
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, w, &wy0, &wy1), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    int xmin = 1 << 30, xmax = -1, lines = 0, on_whole = 0;
    for (size_t i = 0; i < dl.n; i++) {
        const rdr_cmd *c = &dl.cmds[i];
        if (c->color != RDR_COL_ALERT || c->x < v.lay.plot_x) continue;
        if (c->y >= uy0 && c->y < uy1) {
            if (c->kind == RDR_CMD_LINE) lines++;
            if (c->x < xmin) xmin = c->x;
            if (c->x + (c->kind == RDR_CMD_RECT ? c->w : 0) > xmax) xmax = c->x + (c->kind == RDR_CMD_RECT ? c->w : 0);
        }
        if (c->y >= wy0 && c->y < wy1) on_whole++;
    }
    ck_assert_int_ge(lines, 1);                 /* diagonals */
    ck_assert_int_ge(xmax - xmin, 5);           /* 2 us of 1 s: still 5 px wide */
    int mid = v.lay.plot_x + v.lay.plot_w / 2;  /* the gap sits at half the run */
    ck_assert_int_le(abs((xmin + xmax) / 2 - mid), 8);
    ck_assert_int_eq(on_whole, 0);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* Runs on absolute time ('l'): the second run, which started 300 ms after the
 * first, is drawn 300 ms to the right; clicks and steps stay in its own time. */
START_TEST(test_absolute_time) {
    dl_fix f1, f2;
    dl_make(&f1);
    dl_make(&f2);
    f2.rec->runs[0].t_start += 300 * MS;   /* the model's relative times stay; only the axis moves */
    trc_model models[2] = { f1.m, f2.m };
    rdr_view_desc desc = { .models = models, .nmodels = 2, .width = 1000, .height = 600, .at = -1 };
    rdr_view v;
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    ck_assert(!v.absolute && v.total == 200 * MS);
    chr(&v, 'l');
    ck_assert(v.absolute);
    ck_assert(v.info[1].off == 300.0 * MS && v.info[0].off == 0);
    ck_assert_uint_eq(v.total, 500 * MS);
    rdr_view_set_window(&v, 0, 500.0 * MS);
    rdr_view_set_playhead(&v, 500.0 * MS);
    int y0, y1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 1, f2.alice, &y0, &y1), 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    /* run 2's alice: blocked from its 5 ms, which is 305 ms on the axis */
    int first_x = INT32_MAX;
    for (size_t i = 0; i < dl.n; i++) {
        const rdr_cmd *c = &dl.cmds[i];
        if (c->kind == RDR_CMD_RECT && c->color == rdr_state_color(TRC_ST_BLOCKED) && c->y > y0 && c->y + c->h < y1 &&
            c->h > (y1 - y0) / 2 && c->x < first_x)
            first_x = c->x;
    }
    int want = (int)rdr_view_x_of(&v, 305.0 * MS);
    ck_assert_msg(abs(first_x - want) <= 1, "blocked from x %d, want %d", first_x, want);
    /* a click on it at 320 ms on the axis selects its 20 ms */
    int x = (int)lround(rdr_view_x_of(&v, 320.0 * MS));
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_DOWN, .x = x, .y = (y0 + y1) / 2, .button = 1 });
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_UP, .x = x, .y = (y0 + y1) / 2, .button = 1 });
    ck_assert_uint_eq(v.sel.run, 1);
    ck_assert(fabs(v.sel.t - 20.0 * MS) < 1.0 * MS);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "blocked on lock b"));
    /* its steps too: from 300 ms on the axis (its start) the next change of alice is its 5 ms */
    rdr_view_set_playhead(&v, 300.0 * MS);
    key(&v, RDR_KEY_RIGHT, 0, 0);
    ck_assert(fabs(v.playhead - 305.0 * MS) < 1);   /* alice runs until her wait at 5 ms */
    ck_assert(fabs(v.sel.t - 5.0 * MS) < 1);       /* the details follow, in her run's time */
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    dl_free(&f1);
    dl_free(&f2);
}
END_TEST

/* rdr_view_warm (what weft view's loader thread does before the first frame)
 * changes nothing a frame shows: the warmed view's first frame, with the real
 * fonts and the stage, is the cold view's, command for command; its window,
 * playhead and playing state are as they were. */
/* fix6: units that never started in a run (a spawned actor the mode never spawned) get no lane
 * each: one quiet line says how many (20 empty lanes sat above `main` in io_bound's mode 0) */
START_TEST(test_never_started_units_folded) {
    run_builder rb;
    rb_init(&rb, "never started");
    uint32_t req[3];
    for (int i = 0; i < 3; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "request.%d", i);
        req[i] = rb_unit(&rb, nm);
    }
    uint32_t main_u = rb_unit(&rb, "main");
    rb_ev(&rb, 0, main_u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 5 * MS, main_u, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&rb, 5 * MS);
    trc_model m;
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    rdr_view v;
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1000, .height = 500, .at = 5 * MS };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int y0, y1, mr = -1;
    for (int i = 0; i < 3; i++) ck_assert_int_ne(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, req[i], &y0, &y1), 0);
    for (uint32_t i = 0; i < v.lay.nrows; i++)
        if (v.lay.rows[i].kind == RDR_ROW_UNIT && v.lay.rows[i].id == main_u) mr = (int)i;
    ck_assert_int_ge(mr, 0);
    /* main's lane first, the line after it */
    uint32_t quiet = 0;
    for (uint32_t i = 0; i < v.lay.nrows; i++)
        if (v.lay.rows[i].kind == RDR_ROW_NOTSTARTED) {
            quiet++;
            ck_assert_uint_eq(v.lay.rows[i].id, 3);
            ck_assert_int_gt((int)i, mr);
        }
    ck_assert_uint_eq(quiet, 1);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    size_t nl;
    const rdr_label_rect *l = rdr_view_labels(&v, &nl);
    bool said = false;
    for (size_t i = 0; i < nl; i++) {
        said |= !strcmp(l[i].text, "3 units never started");
        ck_assert_msg(strncmp(l[i].text, "request.", 8), "a lane for %s", l[i].text);
    }
    ck_assert_msg(said, "no line says the units never started");
    /* the hover over the line names them */
    const rdr_row *row = NULL;
    for (uint32_t i = 0; i < v.lay.nrows; i++)
        if (v.lay.rows[i].kind == RDR_ROW_NOTSTARTED) row = &v.lay.rows[i];
    ck_assert_ptr_nonnull(row);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_warm_same_frame) {
    dl_fix f;
    dl_make(&f);
    rdr_canvas *c;
    diag d = { 0 };
    ck_assert_msg(rdr_canvas_open(&c, 1400, 700, NULL, &d) == 0, "%s", d.msg);
    const rdr_text_metrics *tm = rdr_canvas_metrics(c);
    rdr_view cold, warm;
    rdr_view_desc desc = { .rec = f.rec, .models = &f.m, .nmodels = 1, .width = 1400, .height = 700, .at = 0.3,
                           .stage = true, .play = true };
    ck_assert_int_eq(rdr_view_init(&cold, &desc, &d), 0);
    ck_assert_int_eq(rdr_view_init(&warm, &desc, &d), 0);
    warm.playing = cold.playing = true;
    rdr_view_warm(&warm);
    ck_assert(warm.playing);
    ck_assert(warm.playhead == cold.playhead && warm.t0 == cold.t0 && warm.t1 == cold.t1);
    rdr_drawlist a = { 0 }, b = { 0 };
    rdr_build(&cold, &a, tm);
    rdr_build(&warm, &b, tm);
    ck_assert_uint_gt(a.n, 50);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_uint_eq(a.ntext, b.ntext);
    ck_assert_int_eq(memcmp(a.cmds, b.cmds, a.n * sizeof *a.cmds), 0);
    ck_assert_int_eq(memcmp(a.text, b.text, a.ntext), 0);
    ck_assert_uint_gt(warm.lay.stage_w, 0);
    rdr_drawlist_free(&a);
    rdr_drawlist_free(&b);
    rdr_view_release(&cold);
    rdr_view_release(&warm);
    rdr_canvas_close(c);
    dl_free(&f);
}
END_TEST

//~ relations between runs

/* cli/cli_relations.c (built into this test): the expectations comparing runs, checked on models */
uint32_t view_relations(const trc_model *models, uint32_t n, char *report, size_t cap);

static uint32_t one_failed(const trc_model *models, uint32_t n, char *report, size_t cap) {
    (void)models; (void)n;
    snprintf(report, cap, "s.scn:7:1: expect makespan[backend=threads] < 1ms does not hold\n");
    return 1;
}

static uint32_t none_failed(const trc_model *models, uint32_t n, char *report, size_t cap) {
    (void)models; (void)n; (void)report; (void)cap;
    return 0;
}

/* Writes scenario text as NAME.scn, runs it on the virtual clock (with `more` arguments) into
 * NAME.weft, which must fail an expectation (exit 1; its output in out), and reads back its two
 * runs' models. */
static trc_recording *two_runs_failing(const char *name, const char *text, const char *more, char *out, size_t cap,
                                       trc_model models[2]) {
    char scn[64], recn[64];
    snprintf(scn, sizeof scn, "%s.scn", name);
    snprintf(recn, sizeof recn, "%s.weft", name);
    const char *sp = tmp_path(scn), *rec = tmp_path(recn);
    FILE *f = fopen(sp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    char args[2048];
    int status;
    snprintf(args, sizeof args, "run %s -o %s -q --clock virtual %s", sp, rec, more);
    tu_weft_shell(out, cap, &status, args);
    ck_assert_msg(status == 1, "%d: %s", status, out);
    trc_recording *r;
    diag d = { 0 };
    ck_assert_int_eq(trc_recording_load(&r, rec, &d), 0);
    ck_assert_uint_eq(r->nruns, 2);
    for (uint32_t i = 0; i < 2; i++) ck_assert_int_eq(trc_model_build(&models[i], &r->runs[i], &d), 0);
    return r;
}

/* A sweep whose relation did not hold (makespan[P=1] > makespan[P=4] * 2 on a virtual clock: both
 * 2 ms): the header said "all ok"; it counts the failed expectation and a note quotes it, with
 * the figures `weft run` gave. Runs that deadlocked and a relation: both said. */
START_TEST(test_failed_relation_in_header) {
    char out[4096];
    trc_model models[2];
    trc_recording *r = two_runs_failing("rel", "param P = 1\nsweep P = 1, 4\nactor w * P { sleep 2ms }\n"
                                        "expect makespan[P=1] > makespan[P=4] * 2\nexpect makespan[P=4] <= makespan[P=1]\n",
                                        "", out, sizeof out, models);
    ck_assert_msg(strstr(out, ":4:1: expect makespan[P=1] > makespan[P=4] * 2 does not hold"), "%s", out);
    diag d = { 0 };
    /* checked on the models read back: the one failure, as `weft run` said it (line 5 holds) */
    char report[2048] = "";
    uint32_t nf = view_relations(models, 2, report, sizeof report);
    ck_assert_msg(nf == 1, "%u: %s", nf, report);
    ck_assert_msg(strstr(report, ":4:1: expect makespan[P=1] > makespan[P=4] * 2 does not hold: the makespans were "
                                 "P=1: 2.00 ms, P=4: 2.00 ms\n"), "%s", report);
    ck_assert_msg(!strstr(report, ":5:"), "%s", report);
    /* one run alone names no P=4: that is said too, not passed over */
    report[0] = 0;
    ck_assert_uint_eq(view_relations(models, 1, report, sizeof report), 2);
    ck_assert_msg(strstr(report, "no run with P=4"), "%s", report);
    rdr_view_desc desc = { .models = models, .nmodels = 2, .width = 1400, .height = 600, .at = -1,
                           .relations = view_relations };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    ck_assert_uint_eq(v.nrelations, 1);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "all ended ok, 1 expectation failed"));
    ck_assert(!dl_has_text(&dl, "all ok"));
    ck_assert(dl_has_text(&dl, "EXPECTATION FAILED (line 4): expect makespan[P=1] > makespan[P=4] * 2 does not hold: "
                               "the makespans were P=1: 2.00 ms, P=4: 2.00 ms"));
    rdr_view_release(&v);
    /* nothing failed: "all ok" and no note */
    desc.relations = none_failed;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "all ok"));
    ck_assert(!dl_has_text(&dl, "EXPECTATION FAILED"));
    rdr_view_release(&v);
    for (uint32_t i = 0; i < 2; i++) trc_model_release(&models[i]);
    trc_recording_free(r);
    /* a run that deadlocked and a failed relation: the header says both */
    dl_fix f1;
    dl_make(&f1);
    rdr_view_desc d1 = { .rec = f1.rec, .models = &f1.m, .nmodels = 1, .width = 1400, .height = 500, .at = -1,
                         .relations = one_failed };
    ck_assert_int_eq(rdr_view_init(&v, &d1, &d), 0);
    rdr_build(&v, &dl, NULL);
    ck_assert(dl_has_text(&dl, "deadlock, 1 expectation failed"));
    ck_assert(dl_has_text(&dl, "DEADLOCK: alice waits for lock b"));
    ck_assert(dl_has_text(&dl, "EXPECTATION FAILED (line 7): expect makespan[backend=threads] < 1ms does not hold"));
    rdr_view_release(&v);
    rdr_drawlist_free(&dl);
    dl_free(&f1);
}
END_TEST

/* A relation whose `if` reads a param given to `weft run` with -D (not the one the runs vary):
 * read back, each run's program is parsed with every value it recorded, so the viewer checks
 * what `weft run` checked (it used to re-apply only the varied param: B fell back to 0, the
 * expectation was off and the header said nothing). */
START_TEST(test_relation_if_reads_a_define) {
    char out[4096];
    trc_model models[2];
    trc_recording *r = two_runs_failing("relb", "param P = 1\nparam B = 0\nsweep P = 1, 2\nactor w * P { sleep 2ms }\n"
                                        "expect resident_per_unit < 1MiB if B > 0\n", "-D B=1", out, sizeof out, models);
    char report[2048] = "";
    uint32_t nf = view_relations(models, 2, report, sizeof report);
    ck_assert_msg(nf == 2, "%u: %s", nf, report);
    ck_assert_msg(strstr(report, ":5:1: expect resident_per_unit < 1MiB if B > 0 (on P=1): resident_per_unit cannot be "
                                 "checked"), "%s", report);
    ck_assert_msg(strstr(report, "(on P=2)"), "%s", report);
    for (uint32_t i = 0; i < 2; i++) trc_model_release(&models[i]);
    trc_recording_free(r);
}
END_TEST

static Suite *view_suite(void) {
    Suite *s = suite_create("render_view");
    TCase *tc = tcase_create("view");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_waitfor_cycle);
    tcase_add_test(tc, test_waitfor_stuck_and_self);
    tcase_add_test(tc, test_deadlock_named_and_tail);
    tcase_add_test(tc, test_playback_clock);
    tcase_add_test(tc, test_select_details_step_zoom);
    tcase_add_test(tc, test_search_and_modes);
    tcase_add_test(tc, test_side_by_side);
    tcase_add_test(tc, test_counters_scale_expect_extremes);
    tcase_add_test(tc, test_short_holds_visible);
    tcase_add_test(tc, test_lost_events_hatch);
    tcase_add_test(tc, test_absolute_time);
    tcase_add_test(tc, test_warm_same_frame);
    tcase_add_test(tc, test_never_started_units_folded);
    tcase_add_test(tc, test_failed_relation_in_header);
    tcase_add_test(tc, test_relation_if_reads_a_define);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(view_suite()); }
