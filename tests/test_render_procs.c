/* render/: processes in the viewer. The timeline's process groups (a header
 * row per process that hosts other units, its lanes under it, folded by a
 * click, by x and shift+x, unfolded by a search, a stacked bar of its units'
 * states while folded, a layout that does not move while playing). The
 * stage's process boxes (a process with its threads in one box, one alone in
 * its own), a pipe's tube from the sender's box to the receiver's, its
 * messages at their place along it at a time t (never received: at the end),
 * and the pixels of a headless render: a box's border, a token in the tube. A
 * deadlocked recording opened lazily from a file renders. */
#include "testutil.h"
#include "render/rdr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ull

static void key(rdr_view *v, uint32_t ch, uint8_t mods) {
    rdr_view_event(v, &(rdr_event){ .kind = RDR_EV_KEY, .key = RDR_KEY_CHAR, .ch = ch, .mods = mods });
}
static void click(rdr_view *v, int x, int y) {
    rdr_view_event(v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = x, .y = y });
    rdr_view_event(v, &(rdr_event){ .kind = RDR_EV_DOWN, .x = x, .y = y, .button = 1 });
    rdr_view_event(v, &(rdr_event){ .kind = RDR_EV_UP, .x = x, .y = y, .button = 1 });
}

//~ fixture

/* Process "main" (pid 100) runs threads t.0 and t.1 (pid 100, started as
 * threads); process "child" (pid 101) is alone. From 10 to 30 ms t.0 is
 * blocked on lock L (held by t.1), main sleeps from 5 to 40 ms; t.1 computes
 * from 10 to 20 ms. main sends three messages through pipe p to child: #1
 * sent at 20 ms, received at 30 ms; #2 sent at 40 ms, received at 60 ms; #3
 * sent at 70 ms, never received. All exit at 80 ms. */
typedef struct pfix { trc_recording *rec; trc_model m; uint32_t main, t0, t1, child, lock, pipe; } pfix;

static void pfix_make(pfix *f) {
    run_builder rb;
    rb_init(&rb, "processes");
    f->main = rb_unit(&rb, "main");
    f->t0 = rb_unit(&rb, "t.0");
    f->t1 = rb_unit(&rb, "t.1");
    f->child = rb_unit(&rb, "child");
    f->lock = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
    f->pipe = rb_obj(&rb, TRC_OBJ_PIPE, "p", 0);
    rb.run->backend = "processes";
    rb.run->units[f->main].kind = rb.run->units[f->child].kind = TRC_UNIT_PROCESS;
    rb_ev(&rb, 0, f->main, TRC_EV_PROC_START, 0, TRC_START_FORK, 100, 1);
    rb_ev(&rb, 0, f->main, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, f->child, TRC_EV_PROC_START, 0, TRC_START_FORK, 101, 1);
    rb_ev(&rb, 0, f->child, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, f->t0, TRC_EV_PROC_START, 0, TRC_START_THREAD, 100, 100);
    rb_ev(&rb, 1 * MS, f->t0, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, f->t1, TRC_EV_PROC_START, 0, TRC_START_THREAD, 100, 100);
    rb_ev(&rb, 1 * MS, f->t1, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 5 * MS, f->main, TRC_EV_SLEEP_BEGIN, 0, 0, 35 * MS, 0);
    rb_ev(&rb, 9 * MS, f->t1, TRC_EV_ACQUIRE, f->lock, 0, 1, 0);
    rb_ev(&rb, 10 * MS, f->t0, TRC_EV_WAIT_BEGIN, f->lock, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 10 * MS, f->t1, TRC_EV_COMPUTE_BEGIN, 0, 0, 10 * MS, 0);
    rb_ev(&rb, 20 * MS, f->t1, TRC_EV_COMPUTE_END, 0, 0, 10 * MS, 0);
    rb_ev(&rb, 20 * MS, f->child, TRC_EV_WAIT_BEGIN, f->pipe, TRC_OP_RECV, 0, 0);
    rb_ev(&rb, 20 * MS, f->main, TRC_EV_SEND, f->pipe, 0, 1, 100);
    rb_ev(&rb, 30 * MS, f->t1, TRC_EV_RELEASE, f->lock, 0, 0, 0);
    rb_ev(&rb, 30 * MS, f->t0, TRC_EV_WAIT_END, f->lock, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 30 * MS, f->t0, TRC_EV_ACQUIRE, f->lock, 0, 1, 0);
    rb_ev(&rb, 30 * MS, f->child, TRC_EV_WAIT_END, f->pipe, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 30 * MS, f->child, TRC_EV_RECV, f->pipe, 0, 1, 100);
    rb_ev(&rb, 31 * MS, f->t0, TRC_EV_RELEASE, f->lock, 0, 0, 0);
    rb_ev(&rb, 40 * MS, f->main, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rb_ev(&rb, 40 * MS, f->main, TRC_EV_SEND, f->pipe, 0, 2, 100);
    rb_ev(&rb, 41 * MS, f->child, TRC_EV_WAIT_BEGIN, f->pipe, TRC_OP_RECV, 0, 0);
    rb_ev(&rb, 60 * MS, f->child, TRC_EV_WAIT_END, f->pipe, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 60 * MS, f->child, TRC_EV_RECV, f->pipe, 0, 2, 100);
    rb_ev(&rb, 70 * MS, f->main, TRC_EV_SEND, f->pipe, 0, 3, 100);
    for (uint32_t u = 0; u < 4; u++) rb_ev(&rb, 80 * MS, u, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    f->rec = rb_finish(&rb, 80 * MS);
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(&f->m, &f->rec->runs[0], &d), 0);
}

static void pfix_free(pfix *f) {
    trc_model_release(&f->m);
    trc_recording_free(f->rec);
}

static void pfix_view(pfix *f, rdr_view *v, int w, int h, double at) {
    rdr_view_desc desc = { .rec = f->rec, .models = &f->m, .nmodels = 1, .width = w, .height = h, .at = at };
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(v, &desc, &d), 0);
}

static int row_index(const rdr_view *v, unsigned kind, uint32_t id) {
    for (uint32_t i = 0; i < v->lay.nrows; i++)
        if (v->lay.rows[i].kind == kind && v->lay.rows[i].id == id) return (int)i;
    return -1;
}

/* The screen y of the middle of row i. */
static int row_mid(const rdr_view *v, int i) {
    return v->lay.lanes_y + v->lay.rows[i].y - v->scroll_y + v->lay.rows[i].h / 2;
}

//~ timeline: groups and folding

START_TEST(test_groups_rows) {
    pfix f;
    pfix_make(&f);
    ck_assert_int_eq(f.m.units[f.t0].pid, 100);
    ck_assert_int_eq(f.m.units[f.t0].start_method, TRC_START_THREAD);
    rdr_view v;
    pfix_view(&f, &v, 1000, 500, 0.5);
    ck_assert_uint_eq(rdr_view_group_of(&v, 0, f.main), f.main);
    ck_assert_uint_eq(rdr_view_group_of(&v, 0, f.t0), f.main);
    ck_assert_uint_eq(rdr_view_group_of(&v, 0, f.t1), f.main);
    ck_assert_uint_eq(rdr_view_group_of(&v, 0, f.child), UINT32_MAX);   /* alone: its lane is the process */
    /* the header, then main's lane and its threads', then child */
    const rdr_row *r = v.lay.rows;
    ck_assert_uint_ge(v.lay.nrows, 5);
    ck_assert_uint_eq(r[0].kind, RDR_ROW_PROC);
    ck_assert_uint_eq(r[0].id, f.main);
    ck_assert_uint_eq(r[0].lane, 3);
    uint32_t want[] = { f.main, f.t0, f.t1, f.child };
    for (int k = 0; k < 4; k++) {
        ck_assert_uint_eq(r[1 + k].kind, RDR_ROW_UNIT);
        ck_assert_uint_eq(r[1 + k].id, want[k]);
        ck_assert_int_eq(r[1 + k].y, r[k].y + r[k].h);   /* packed, top to bottom */
    }
    ck_assert_int_lt(r[0].h, r[1].h + 1);   /* open: a header line, not a lane */
    ck_assert(!rdr_view_folded(&v, 0, f.main));
    ck_assert(!rdr_view_folded(&v, 0, f.child));
    /* the header names the process and its pid */
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    bool name = false, pid = false;
    for (size_t i = 0; i < dl.n; i++) {
        if (dl.cmds[i].kind != RDR_CMD_TEXT) continue;
        const char *s = dl.text + dl.cmds[i].text;
        int y = dl.cmds[i].y, y0 = v.lay.lanes_y + r[0].y;
        if (y < y0 - 4 || y >= y0 + r[0].h) continue;
        if (!strncmp(s, "main", dl.cmds[i].len) && dl.cmds[i].len == 4) name = true;
        if (strstr(s, "pid 100") && strstr(s, "3 units")) pid = true;
    }
    ck_assert(name);
    ck_assert(pid);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    pfix_free(&f);
}
END_TEST

START_TEST(test_fold_click_keys_search) {
    pfix f;
    pfix_make(&f);
    rdr_view v;
    pfix_view(&f, &v, 1000, 500, 0.5);
    int hdr = row_index(&v, RDR_ROW_PROC, f.main);
    ck_assert_int_ge(hdr, 0);
    int unit_h = v.lay.rows[row_index(&v, RDR_ROW_UNIT, f.child)].h;
    /* a click on the header folds: the header alone, as tall as a lane; child moves up */
    click(&v, 40, row_mid(&v, hdr));
    ck_assert(rdr_view_folded(&v, 0, f.main));
    ck_assert_int_eq(row_index(&v, RDR_ROW_UNIT, f.t0), -1);
    ck_assert_int_eq(row_index(&v, RDR_ROW_UNIT, f.main), -1);
    ck_assert_int_eq(v.lay.rows[0].kind, RDR_ROW_PROC);
    ck_assert_int_eq(v.lay.rows[0].h, unit_h);
    ck_assert_uint_eq(v.lay.rows[1].id, f.child);
    ck_assert_int_eq(v.lay.rows[1].y, v.lay.rows[0].h);
    const rdr_row *hit = rdr_view_row_at(&v, row_mid(&v, 0));
    ck_assert_ptr_nonnull(hit);
    ck_assert_uint_eq(hit->kind, RDR_ROW_PROC);
    /* again: open */
    click(&v, 40, row_mid(&v, 0));
    ck_assert(!rdr_view_folded(&v, 0, f.main));
    ck_assert_int_ge(row_index(&v, RDR_ROW_UNIT, f.t1), 0);
    /* x folds the group of the selected unit, and the selection (now hidden) goes */
    int t1 = row_index(&v, RDR_ROW_UNIT, f.t1);
    click(&v, v.lay.plot_x + 20, row_mid(&v, t1));
    ck_assert_uint_eq(v.sel.kind, RDR_ROW_UNIT);
    ck_assert_uint_eq(v.sel.id, f.t1);
    key(&v, 'x', 0);
    ck_assert(rdr_view_folded(&v, 0, f.main));
    ck_assert_uint_eq(v.sel.kind, 0);
    /* x with the mouse on the header opens it */
    rdr_view_event(&v, &(rdr_event){ .kind = RDR_EV_MOVE, .x = 40, .y = row_mid(&v, 0) });
    key(&v, 'x', 0);
    ck_assert(!rdr_view_folded(&v, 0, f.main));
    /* shift+x folds all, and again opens all */
    key(&v, 'x', RDR_MOD_SHIFT);
    ck_assert(rdr_view_folded(&v, 0, f.main));
    key(&v, 'x', RDR_MOD_SHIFT);
    ck_assert(!rdr_view_folded(&v, 0, f.main));
    ck_assert_uint_eq(rdr_view_fold_all(&v, true), 1);
    /* a search for a unit in a folded group opens it and selects the unit */
    ck_assert_uint_eq(rdr_view_search(&v, "t.0"), 1);
    ck_assert(!rdr_view_folded(&v, 0, f.main));
    ck_assert_uint_eq(v.sel.kind, RDR_ROW_UNIT);
    ck_assert_uint_eq(v.sel.id, f.t0);
    /* folding a unit that heads nothing does nothing */
    rdr_view_fold(&v, 0, f.child, true);
    ck_assert(!rdr_view_folded(&v, 0, f.child));
    ck_assert_int_ge(row_index(&v, RDR_ROW_UNIT, f.child), 0);
    rdr_view_release(&v);
    pfix_free(&f);
}
END_TEST

/* The colour of the rect covering (x, y) drawn last, or 0. */
static uint32_t rect_at(const rdr_drawlist *dl, int x, int y) {
    uint32_t c = 0;
    for (size_t i = 0; i < dl->n; i++) {
        const rdr_cmd *k = &dl->cmds[i];
        if (k->kind == RDR_CMD_RECT && x >= k->x && x < k->x + k->w && y >= k->y && y < k->y + k->h) c = k->color;
    }
    return c;
}

START_TEST(test_folded_stacked_bar) {
    pfix f;
    pfix_make(&f);
    rdr_view v;
    pfix_view(&f, &v, 1000, 600, 1.0);
    rdr_view_set_window(&v, 0, 80 * MS);
    rdr_view_fold(&v, 0, f.main, true);
    int hdr = row_index(&v, RDR_ROW_PROC, f.main);
    ck_assert_int_eq(hdr, 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    const rdr_row *r = &v.lay.rows[hdr];
    int y0 = v.lay.lanes_y + r->y - v.scroll_y, h = r->h;
    /* at 15 ms: main sleeps, t.0 is blocked, t.1 computes: a third each, stacked
     * bottom up as computing, blocked, sleeping */
    int x = (int)lround(rdr_view_x_of(&v, 15.0 * MS));
    int pad = h >= 16 ? (h - 12) / 4 : 1, bh = h - 2 * pad, top = y0 + pad;
    ck_assert_uint_eq(rect_at(&dl, x, top + bh - 2), rdr_state_color(TRC_ST_COMPUTE));
    ck_assert_uint_eq(rect_at(&dl, x, top + bh / 2), rdr_state_color(TRC_ST_BLOCKED));
    ck_assert_uint_eq(rect_at(&dl, x, top + 1), rdr_state_color(TRC_ST_SLEEP));
    /* at 35 ms: main still sleeps, the threads run: two thirds running */
    x = (int)lround(rdr_view_x_of(&v, 35.0 * MS));
    ck_assert_uint_eq(rect_at(&dl, x, top + bh - 2), rdr_state_color(TRC_ST_RUNNING));
    ck_assert_uint_eq(rect_at(&dl, x, top + bh / 2), rdr_state_color(TRC_ST_RUNNING));
    ck_assert_uint_eq(rect_at(&dl, x, top + 1), rdr_state_color(TRC_ST_SLEEP));
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    pfix_free(&f);
}
END_TEST

START_TEST(test_layout_stable_while_playing) {
    pfix f;
    pfix_make(&f);
    rdr_view v;
    rdr_view_desc desc = { .rec = f.rec, .models = &f.m, .nmodels = 1, .width = 1600, .height = 700, .at = 0, .play = true,
                           .stage = true };
    diag d = { 0 };
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    rdr_view_fold(&v, 0, f.main, true);
    uint32_t n = v.lay.nrows;
    rdr_row *before = xmalloc(n * sizeof *before);
    memcpy(before, v.lay.rows, n * sizeof *before);
    rdr_drawlist dl = { 0 };
    for (int k = 0; k < 40 && v.playing; k++) {
        rdr_view_tick(&v, 0.25);
        rdr_build(&v, &dl, NULL);
        ck_assert_uint_eq(v.lay.nrows, n);
        ck_assert_int_eq(memcmp(v.lay.rows, before, n * sizeof *before), 0);
    }
    ck_assert(!v.playing);   /* it played to the end */
    free(before);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    pfix_free(&f);
}
END_TEST

//~ the stage: boxes, tubes, messages

typedef struct stg { rdr_stage_model *sm; rdr_stage_layout L; rdr_stage_state st; } stg;

static void stg_make(stg *s, const pfix *f, int w, int h) {
    memset(s, 0, sizeof *s);
    s->sm = rdr_stage_model_new(&f->m);
    rdr_stage_layout_build(&s->L, s->sm, NULL, w, h, NULL);
}

static void stg_free(stg *s) {
    rdr_stage_state_release(&s->st);
    rdr_stage_layout_release(&s->L);
    rdr_stage_model_free(s->sm);
}

static bool inside(const rdr_stage_proc *P, int x, int y) {
    return x > P->x && x < P->x + P->w - 1 && y > P->y && y < P->y + P->h - 1;
}

START_TEST(test_stage_boxes_and_tube) {
    pfix f;
    pfix_make(&f);
    stg s;
    stg_make(&s, &f, 700, 600);
    const rdr_stage_layout *L = &s.L;
    ck_assert(!L->summary);
    ck_assert_uint_eq(L->nprocs, 2);
    int32_t bm = L->proc_of[f.main], bc = L->proc_of[f.child];
    ck_assert_int_ge(bm, 0);
    ck_assert_int_ge(bc, 0);
    ck_assert_int_ne(bm, bc);
    ck_assert_int_eq(L->proc_of[f.t0], bm);   /* threads are in their process's box */
    ck_assert_int_eq(L->proc_of[f.t1], bm);
    const rdr_stage_proc *PM = &L->procs[bm], *PC = &L->procs[bc];
    ck_assert_uint_eq(PM->unit, f.main);
    ck_assert_int_eq(PM->pid, 100);
    ck_assert(PM->group);
    ck_assert_uint_eq(PM->nunits, 3);
    ck_assert(!PC->group);
    ck_assert_uint_eq(PC->nunits, 1);
    /* every figure's home (bottom centre) and its head are in its box; the boxes do not overlap */
    uint32_t us[] = { f.main, f.t0, f.t1 };
    for (int k = 0; k < 3; k++) {
        ck_assert(inside(PM, L->home_x[us[k]], L->home_y[us[k]] - 1));
        ck_assert(inside(PM, L->home_x[us[k]], L->home_y[us[k]] - L->fig + 1));
    }
    ck_assert(inside(PC, L->home_x[f.child], L->home_y[f.child] - 1));
    ck_assert(PM->x + PM->w <= PC->x || PC->x + PC->w <= PM->x || PM->y + PM->h <= PC->y || PC->y + PC->h <= PM->y);
    /* the pipe: a tube from main's box (the sender) down into the band, across, up into child's box */
    ck_assert_uint_eq(L->ntubes, 1);
    ck_assert_int_eq(L->tube_of[f.pipe - 1], 0);
    ck_assert_int_eq(L->tube_of[f.lock - 1], -1);
    const rdr_stage_tube *tb = &L->tubes[0];
    ck_assert_uint_eq(tb->obj, f.pipe);
    ck_assert_uint_eq(tb->from, (uint32_t)bm);
    ck_assert_uint_eq(tb->to, (uint32_t)bc);
    ck_assert_int_eq(tb->npts, 4);
    ck_assert_int_eq(tb->py[0], PM->y + PM->h);   /* leaves from the bottom of the sender's box */
    ck_assert(tb->px[0] > PM->x && tb->px[0] < PM->x + PM->w);
    ck_assert_int_eq(tb->py[3], PC->y + PC->h);   /* enters the bottom of the receiver's box */
    ck_assert(tb->px[3] > PC->x && tb->px[3] < PC->x + PC->w);
    ck_assert_int_gt(tb->py[1], PM->y + PM->h);   /* the band is under both boxes ... */
    ck_assert_int_gt(tb->py[1], PC->y + PC->h);
    ck_assert_int_eq(tb->py[1], tb->py[2]);
    ck_assert_int_lt(tb->py[1], L->objects_y);    /* ... and over the objects */
    ck_assert_int_eq(tb->len, abs(tb->py[1] - tb->py[0]) + abs(tb->px[2] - tb->px[1]) + abs(tb->py[3] - tb->py[2]));
    int x, y;
    rdr_stage_tube_point(tb, 0, &x, &y);
    ck_assert_int_eq(x, tb->px[0]);
    ck_assert_int_eq(y, tb->py[0]);
    rdr_stage_tube_point(tb, 1, &x, &y);
    ck_assert_int_eq(x, tb->px[3]);
    ck_assert_int_eq(y, tb->py[3]);
    rdr_stage_tube_point(tb, 0.5, &x, &y);   /* half its length along: on the band */
    int down = tb->py[1] - tb->py[0];
    if (tb->len / 2 > down && tb->len / 2 < tb->len - (tb->py[2] - tb->py[3])) {
        ck_assert_int_eq(y, tb->py[1]);
        ck_assert_int_eq(abs(x - tb->px[1]), tb->len / 2 - down);
    }
    /* the layout is the same whatever the time: it comes from the whole run */
    rdr_stage_layout L2;
    rdr_stage_layout_build(&L2, s.sm, NULL, 700, 600, NULL);
    ck_assert_int_eq(memcmp(L2.procs, L->procs, L->nprocs * sizeof *L->procs), 0);
    ck_assert_int_eq(memcmp(L2.tubes, L->tubes, L->ntubes * sizeof *L->tubes), 0);
    rdr_stage_layout_release(&L2);
    stg_free(&s);
    pfix_free(&f);
}
END_TEST

START_TEST(test_stage_messages_at_t) {
    pfix f;
    pfix_make(&f);
    stg s;
    stg_make(&s, &f, 700, 600);
    const rdr_stage_obj *so = NULL;
    /* 25 ms: #1 half way from its send (20) to its recv (30) */
    rdr_stage_state_at(s.sm, &s.st, 25 * MS, 0);
    so = &s.st.objs[f.pipe - 1];
    ck_assert_uint_eq(so->msgs, 1);
    ck_assert_uint_eq(so->ntok, 1);
    const rdr_stage_tok *tk = &s.st.toks[so->tok0];
    ck_assert_uint_eq(tk->phase, RDR_TOK_PIPE);
    ck_assert_uint_eq(tk->item, 1);
    ck_assert_uint_eq(tk->producer, f.main);
    ck_assert_uint_eq(tk->consumer, f.child);
    ck_assert_float_eq_tol(tk->fly, 0.5, 1e-6);
    ck_assert_int_eq(so->level, 116);   /* its bytes and its 16-byte header */
    /* 35 ms: nothing in the pipe */
    rdr_stage_state_at(s.sm, &s.st, 35 * MS, 0);
    ck_assert_uint_eq(s.st.objs[f.pipe - 1].msgs, 0);
    ck_assert_uint_eq(s.st.objs[f.pipe - 1].ntok, 0);
    /* 55 ms: #2 three quarters of the way (40 -> 60) */
    rdr_stage_state_at(s.sm, &s.st, 55 * MS, 0);
    so = &s.st.objs[f.pipe - 1];
    ck_assert_uint_eq(so->ntok, 1);
    ck_assert_uint_eq(s.st.toks[so->tok0].item, 2);
    ck_assert_float_eq_tol(s.st.toks[so->tok0].fly, 0.75, 1e-6);
    /* 75 ms: #3 was never received: it waits at the receiving end, first in line */
    rdr_stage_state_at(s.sm, &s.st, 75 * MS, 0);
    so = &s.st.objs[f.pipe - 1];
    ck_assert_uint_eq(so->msgs, 1);
    tk = &s.st.toks[so->tok0];
    ck_assert_uint_eq(tk->item, 3);
    ck_assert_uint_eq(tk->consumer, RDR_STAGE_NONE);
    ck_assert_uint_eq(tk->slot, 0);
    ck_assert_float_eq_tol(tk->fly, 1.0, 1e-6);
    /* the state is the same when asked again in another order (no hidden history) */
    rdr_stage_state_at(s.sm, &s.st, 25 * MS, 0);
    ck_assert_float_eq_tol(s.st.toks[s.st.objs[f.pipe - 1].tok0].fly, 0.5, 1e-6);
    stg_free(&s);
    pfix_free(&f);
}
END_TEST

START_TEST(test_stage_pixels_box_and_token) {
    pfix f;
    pfix_make(&f);
    diag d = { 0 };
    const int W = 1500, H = 800;
    rdr_canvas *c = NULL;
    ck_assert_msg(rdr_canvas_open(&c, W, H, NULL, &d) == 0, "%s", d.msg);
    rdr_view v;
    rdr_view_desc desc = { .rec = f.rec, .models = &f.m, .nmodels = 1, .width = W, .height = H, .stage = true,
                           .at_is_ns = true, .at_ns = 25.0 * MS };
    ck_assert_msg(rdr_view_init(&v, &desc, &d) == 0, "%s", d.msg);
    v.speed = 1e-9;   /* no animation: everything where it is at 25 ms */
    rdr_canvas_frame(c, &v);
    int ox, oy, w, h;
    ck_assert(rdr_stage_rect(&v, 0, &ox, &oy, &w, &h));
    stg s = { 0 };
    s.sm = rdr_stage_model_new(&f.m);
    rdr_stage_layout_build(&s.L, s.sm, &v.info[0].wf, w, h, rdr_canvas_metrics(c));
    const uint32_t *px = rdr_canvas_pixels(c);
#define PX(x, y) (px[(size_t)(y) * (size_t)W + (size_t)(x)] | 0xff000000u)
    ck_assert_uint_eq(s.L.nprocs, 2);
    /* the boxes' borders: both processes live at 25 ms, so drawn in the dim text colour */
    for (uint32_t i = 0; i < s.L.nprocs; i++) {
        const rdr_stage_proc *P = &s.L.procs[i];
        int bx = ox + P->x, by = oy + P->y + P->h / 2;
        ck_assert_msg(PX(bx, by) == RDR_COL_TEXT_DIM, "box %u left edge: %08x", i, PX(bx, by));
        ck_assert_msg(PX(bx + P->w - 1, by) == RDR_COL_TEXT_DIM, "box %u right edge: %08x", i, PX(bx + P->w - 1, by));
        ck_assert_msg(PX(ox + P->x + P->w / 2, oy + P->y) == RDR_COL_TEXT_DIM, "box %u top", i);
    }
    /* message #1 half way along the tube, in its sender's colour */
    const rdr_stage_tube *tb = &s.L.tubes[0];
    int x, y;
    rdr_stage_tube_point(tb, 0.5, &x, &y);
    ck_assert_msg(PX(ox + x, oy + y) == rdr_owner_color(f.main), "token at (%d,%d): %08x", x, y, PX(ox + x, oy + y));
    /* and nothing at the quarter: the tube's inside */
    int qx, qy;
    rdr_stage_tube_point(tb, 0.2, &qx, &qy);
    ck_assert_msg(PX(ox + qx, oy + qy) == RDR_COL_LANE, "empty tube: %08x", PX(ox + qx, oy + qy));
#undef PX
    rdr_stage_layout_release(&s.L);
    rdr_stage_model_free(s.sm);
    rdr_view_release(&v);
    rdr_canvas_close(c);
    pfix_free(&f);
}
END_TEST

/* weft view of a deadlocked run's file (opened lazily: the events stay in the
 * file) fits the active part and draws its stage. It crashed once. */
START_TEST(test_lazy_deadlock_file) {
    char dir[] = "/tmp/weft_procs_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], args[768], out[4096];
    snprintf(path, sizeof path, "%s/dl.weft", dir);
    snprintf(args, sizeof args, "run %s/scenarios/deadlock_lock_ordering.scn -o %s", WEFT_SOURCE_DIR, path);
    int status = 0;
    tu_weft_shell(out, sizeof out, &status, args);
    trc_recording *rec = NULL;
    diag d = { 0 };
    ck_assert_msg(trc_recording_open(&rec, path, 0, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(rec->runs[0].end_reason, TRC_END_DEADLOCK);
    ck_assert_ptr_null(rec->runs[0].events);
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    rdr_view v;
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1700, .height = 700, .stage = true, .at = -1 };
    ck_assert_msg(rdr_view_init(&v, &desc, &d) == 0, "%s", d.msg);
    ck_assert_uint_lt(v.info[0].t_active, m.makespan);   /* the watchdog's wait is not activity */
    ck_assert_uint_gt(v.info[0].t_active, 0);
    rdr_drawlist dl = { 0 };
    rdr_build(&v, &dl, NULL);
    ck_assert_uint_gt(dl.n, 0);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    trc_model_release(&m);
    trc_recording_free(rec);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *procs_suite(void) {
    Suite *s = suite_create("render_procs");
    TCase *tc = tcase_create("timeline");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_groups_rows);
    tcase_add_test(tc, test_fold_click_keys_search);
    tcase_add_test(tc, test_folded_stacked_bar);
    tcase_add_test(tc, test_layout_stable_while_playing);
    suite_add_tcase(s, tc);
    tc = tcase_create("stage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_stage_boxes_and_tube);
    tcase_add_test(tc, test_stage_messages_at_t);
    tcase_add_test(tc, test_stage_pixels_box_and_token);
    tcase_add_test(tc, test_lazy_deadlock_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(procs_suite()); }
