/* Over the unit lanes: the names of slices ("get jobs", "sleep"), the waits a
 * run ended in (stuck, deadlocked) and their cycle, timed-out waits, the
 * selection and the search's matches.
 *
 * Slice labels: every visible lane offers its slices wide enough for a label;
 * the widest are labelled first, and a label never covers another. The slice a
 * stuck or deadlocked unit ended in is always labelled, whatever the zoom. On a
 * lane with too many slices in view to walk, the wide ones are found through a
 * per-block maximum of span lengths: a label needs 3 characters of width, so at
 * most plot_w / 24 of them fit a lane, and only the blocks that hold one are read. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rdr_lbl {
    int row;                    /* index in lay.rows */
    const trc_span *sp;
    int x0, x1;                 /* the visible part, px */
    uint8_t forced;             /* 1: the wait a stuck unit ended in */
};

enum { RDR_LBL_WALK = 512, RDR_LBL_MAX = 4000, RDR_LBL_DRAWN = 400 };

static int rdr_lbl_cmp(const void *a, const void *b) {
    const struct rdr_lbl *x = a, *y = b;
    if (x->forced != y->forced) return x->forced > y->forced ? -1 : 1;
    int wx = x->x1 - x->x0, wy = y->x1 - y->x0;
    if (wx != wy) return wx > wy ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row ? 1 : x->x0 - y->x0;
}

static bool rdr_labelled_state(unsigned s) { return s == TRC_ST_BLOCKED || s == TRC_ST_SLEEP; }

/* The wait unit u of run r ended in, if it was stuck there (else NULL). */
static const trc_wait_edge *rdr_stuck_edge(const rdr_view *v, uint32_t r, uint32_t u) {
    const trc_waitfor *wf = &v->info[r].wf;
    for (size_t i = 0; i < wf->nwaits; i++)
        if (wf->waits[i].unit == u) return &wf->waits[i];
    return NULL;
}

static void rdr_lbl_add(rdr_ctx *cx, size_t *n, int row, const trc_span *sp, double b, bool forced) {
    rdr_view *v = cx->v;
    if (*n >= RDR_LBL_MAX) return;
    double s0 = fmax((double)sp->t0, v->t0), s1 = fmin((double)sp->t1, b);
    if (!(s1 > s0)) return;
    int x0 = (int)rdr_view_x_of(v, s0), x1 = (int)rdr_view_x_of(v, s1);
    if (!forced && x1 - x0 < 3 * RDR_CHAR_W + 7) return;
    ARR_GROW(v->lbls, *n + 1, v->lbls_cap);
    v->lbls[(*n)++] = (struct rdr_lbl){ .row = row, .sp = sp, .x0 = x0, .x1 = x1, .forced = forced };
}

/* The candidates of one lane: its slices in [t0, b) wide enough for a label. */
static void rdr_lane_candidates(rdr_ctx *cx, size_t *n, int ri, double b) {
    rdr_view *v = cx->v;
    const rdr_row *row = &v->lay.rows[ri];
    const trc_model *m = &v->models[row->run];
    const trc_unit_track *ut = &m->units[row->id];
    if (b > v->t1) b = v->t1;
    if (!(b > v->t0) || !ut->nspans) return;
    size_t ia = trc_model_span_lower(ut, v->t0 > 0 ? (uint64_t)v->t0 : 0);
    size_t ib = trc_model_span_lower(ut, (uint64_t)ceil(b));
    if (ib < ut->nspans && (double)ut->spans[ib].t0 < b) ib++;
    /* stuck only once nothing else happens in the run (no spoiler while it plays) */
    const trc_wait_edge *stuck = cx->reveal >= (double)v->info[row->run].t_active ? rdr_stuck_edge(v, row->run, row->id) : NULL;
    if (stuck) {
        const trc_span *sp = trc_model_span_at(m, row->id, stuck->since);
        if (sp && sp->state == TRC_ST_BLOCKED) rdr_lbl_add(cx, n, ri, sp, b, true);
    }
    double min_dur = (3 * RDR_CHAR_W + 7) * cx->npp;
    if (ib - ia <= RDR_LBL_WALK) {
        for (size_t i = ia; i < ib; i++) {
            const trc_span *sp = &ut->spans[i];
            if (!rdr_labelled_state(sp->state) || (stuck && sp->t0 == stuck->since)) continue;
            rdr_lbl_add(cx, n, ri, sp, b, false);
        }
        return;
    }
    const uint64_t *bmax = rdr_lod_bmax(rdr_lod_of(v, row->run), row->id);
    if (!bmax) return;
    for (size_t k = ia / RDR_LBL_BLOCK; k * RDR_LBL_BLOCK < ib && *n < RDR_LBL_MAX; k++) {
        if ((double)bmax[k] < min_dur) continue;
        size_t e = (k + 1) * RDR_LBL_BLOCK < ib ? (k + 1) * RDR_LBL_BLOCK : ib;
        for (size_t i = k * RDR_LBL_BLOCK > ia ? k * RDR_LBL_BLOCK : ia; i < e; i++) {
            const trc_span *sp = &ut->spans[i];
            if (!rdr_labelled_state(sp->state) || (double)(sp->t1 - sp->t0) < min_dur) continue;
            if (stuck && sp->t0 == stuck->since) continue;
            rdr_lbl_add(cx, n, ri, sp, b, false);
        }
    }
}

void rdr_span_labels(rdr_ctx *cx, size_t first, size_t last) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    size_t n = 0;
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        if (row->kind != RDR_ROW_UNIT) continue;
        rdr_at_run(cx, row->run);
        const trc_model *m = &v->models[row->run];
        rdr_lane_candidates(cx, &n, (int)i, fmin(cx->reveal, (double)m->makespan));
    }
    if (n > 1) qsort(v->lbls, n, sizeof *v->lbls, rdr_lbl_cmp);
    size_t drawn = 0;
    for (size_t k = 0; k < n && drawn < RDR_LBL_DRAWN; k++) {
        const struct rdr_lbl *lb = &v->lbls[k];
        const rdr_row *row = &L->rows[lb->row];
        rdr_at_run(cx, row->run);
        const trc_model *m = &v->models[row->run];
        const trc_span *sp = lb->sp;
        int pad = rdr_bar_pad(row->h);
        int y = L->lanes_y + row->y - v->scroll_y + pad, h = row->h - 2 * pad;
        char s[400], full[160];
        const char *shortl = "sleep";
        if (sp->state == TRC_ST_SLEEP) snprintf(full, sizeof full, "sleep");
        else rdr_blocked_text(m, sp, full, sizeof full, &shortl);
        int x0 = (lb->x0 > L->plot_x ? lb->x0 : L->plot_x) + 4, x1 = lb->x1 - 3;
        if (x1 > L->plot_x + L->plot_w - 2) x1 = L->plot_x + L->plot_w - 2;
        const char *opts[3] = { NULL, NULL, NULL };
        if (lb->forced) {
            const trc_wait_edge *e = rdr_stuck_edge(v, row->run, row->id);
            const char *word = e && e->in_cycle ? "deadlock" : "stuck";
            const char *kind = sp->obj && sp->obj <= m->run->nobjects ? rdr_kind_tag(m->run->objects[sp->obj - 1].kind) : "";
            bool lockish = sp->op == TRC_OP_LOCK || sp->op == TRC_OP_NONE;
            if (e && e->holder == e->unit)
                snprintf(s, sizeof s, "%s: waits for %s %s, which it holds itself", word, kind, full);
            else if (e && e->holder != UINT32_MAX && e->op != TRC_OP_JOIN)
                snprintf(s, sizeof s, "%s: waits %s %s%s%s, held by %s", word, lockish ? "for" : "in", lockish ? kind : "",
                         lockish ? " " : "", full, rdr_unit_name(m->run, e->holder));
            else snprintf(s, sizeof s, "%s: waits %s %s", word, lockish ? "for" : "in", full);
            opts[0] = s;
            opts[1] = full;
            opts[2] = shortl;
        } else {
            opts[0] = full;
            opts[1] = sp->state == TRC_ST_BLOCKED ? shortl : NULL;
        }
        const char *txt = NULL;
        int tw = 0;
        for (int o = 0; o < 3 && !txt; o++) {
            if (!opts[o]) continue;
            tw = rdr_tw(cx, lb->forced ? RDR_FONT_BOLD : RDR_FONT_REGULAR, opts[o], strlen(opts[o]));
            if (tw <= x1 - x0) txt = opts[o];
        }
        if (!txt && lb->forced) {   /* too narrow: it still gets its label, on a plate after the slice's start */
            txt = opts[0];
            tw = rdr_tw(cx, RDR_FONT_BOLD, txt, strlen(txt));
            x1 = x0 + tw;
        }
        if (!txt) continue;
        double te = rdr_view_t_at(v, x0 + tw);
        if (!lb->forced && rdr_mark_in(m, row->id, rdr_view_t_at(v, x0 - 4) - 8 * cx->npp, te)) continue;
        if (!rdr_claim_text(cx, lb->row, x0 - 2, x0 + tw + 2) && !lb->forced) continue;
        int ty = y + (h - cx->line_h) / 2;
        if (!rdr_label_free(cx, x0 - 3, ty, tw + 6, cx->line_h)) continue;   /* the label log: on another label */
        if (lb->forced && tw > lb->x1 - 3 - x0) rdr_dl_rect(cx->dl, x0 - 3, ty, tw + 6, cx->line_h, cx->th->alert_bg);
        uint32_t tc = sp->state == TRC_ST_BLOCKED ? 0xfffff4eeu : 0xff0d1a26u;
        rdr_text(cx, x0, ty, lb->forced ? RDR_FONT_BOLD : RDR_FONT_REGULAR, tc, txt);
        drawn++;
    }
}

//~ the end of a run: stuck waits outlined, the cycle drawn

static void rdr_outline(rdr_drawlist *dl, int x0, int y0, int x1, int y1, uint32_t col) {
    rdr_dl_rect(dl, x0, y0, x1 - x0, 2, col);
    rdr_dl_rect(dl, x0, y1 - 2, x1 - x0, 2, col);
    rdr_dl_rect(dl, x0, y0, 2, y1 - y0, col);
    rdr_dl_rect(dl, x1 - 2, y0, 2, y1 - y0, col);
}

/* An arrow from (x, y0) to (x, y1), 2 px wide, head at y1. */
static void rdr_varrow(rdr_drawlist *dl, int x, int y0, int y1, uint32_t col) {
    int top = y0 < y1 ? y0 : y1, bot = y0 < y1 ? y1 : y0;
    rdr_dl_rect(dl, x - 1, top, 2, bot - top, col);
    int dir = y1 > y0 ? -1 : 1;
    for (int k = 0; k < 6; k++) rdr_dl_rect(dl, x - k, y1 + dir * (k + 1), 2 * k + 1, 1, col);
}

void rdr_stuck(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        rdr_at_run(cx, r);
        const trc_model *m = &v->models[r];
        const trc_waitfor *wf = &v->info[r].wf;
        double reveal = fmin(cx->reveal, (double)m->makespan);
        for (size_t i = 0; i < wf->nwaits && cx->reveal >= (double)v->info[r].t_active; i++) {
            const trc_wait_edge *e = &wf->waits[i];
            int ri = rdr_view_unit_row(v, r, e->unit);
            if (ri < 0 || (double)e->since > reveal) continue;
            double a = fmax((double)e->since, v->t0), b = fmin(fmin((double)e->until, reveal), v->t1);
            if (!(b >= a)) continue;
            const rdr_row *row = &L->rows[ri];
            int pad = rdr_bar_pad(row->h);
            int y0 = L->lanes_y + row->y - v->scroll_y + pad - 2, y1 = y0 + row->h - 2 * pad + 4;
            int x0 = (int)rdr_view_x_of(v, a), x1 = (int)ceil(rdr_view_x_of(v, b));
            if (x1 - x0 < 4) x1 = x0 + 4;
            rdr_outline(cx->dl, x0, y0, x1, y1, cx->th->alert);
        }
        /* the cycle, once every wait in it has begun: arrows from each waiter to
         * the unit holding what it waits for, side by side after the last wait began */
        if (!wf->ncycle) continue;
        double closed = 0;
        for (size_t i = 0; i < wf->nwaits; i++) if (wf->waits[i].in_cycle && (double)wf->waits[i].since > closed) closed = (double)wf->waits[i].since;
        if (closed > reveal || closed > v->t1) continue;
        /* near the right end of the view, clear of the labels that start at the waits */
        int xb = L->plot_x + L->plot_w - 12 * (int)wf->ncycle - 14;
        int xc = (int)rdr_view_x_of(v, fmax(closed, v->t0)) + 14;
        if (xb < xc) xb = xc;
        for (size_t k = 0; k < wf->ncycle; k++) {
            uint32_t a = wf->cycle[k], b = wf->cycle[(k + 1) % wf->ncycle];
            int ra = rdr_view_unit_row(v, r, a), rb = rdr_view_unit_row(v, r, b);
            if (ra < 0 || rb < 0) continue;
            int ya = L->lanes_y + L->rows[ra].y - v->scroll_y + L->rows[ra].h / 2;
            int yb = L->lanes_y + L->rows[rb].y - v->scroll_y + L->rows[rb].h / 2;
            int x = xb + 12 * (int)k;
            rdr_dl_rect(cx->dl, x - 3, ya - 3, 7, 7, cx->th->alert);   /* the waiter's end */
            if (a == b) {   /* waits for itself: a loop on its own lane */
                rdr_outline(cx->dl, x - 6, ya - 8, x + 8, ya + 8, cx->th->alert);
                continue;
            }
            rdr_varrow(cx->dl, x, ya, yb + (yb > ya ? -4 : 4), cx->th->alert);
        }
    }
}

//~ timed-out waits: a red tick where each gave up, at any zoom

void rdr_timeouts(rdr_ctx *cx, size_t first, size_t last) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        if (row->kind != RDR_ROW_UNIT) continue;
        rdr_at_run(cx, row->run);
        size_t n;
        const uint64_t *ts = rdr_lod_timeouts(rdr_lod_of(v, row->run), row->id, &n);
        if (!n) continue;
        double hi = fmin(v->t1, cx->reveal);
        size_t a = 0, b = n;
        while (a < b) { size_t mid = a + (b - a) / 2; if ((double)ts[mid] < v->t0) a = mid + 1; else b = mid; }
        int y = L->lanes_y + row->y - v->scroll_y;
        while (a < n && (double)ts[a] <= hi) {
            int x = (int)lround(rdr_view_x_of(v, (double)ts[a]));
            rdr_dl_rect(cx->dl, x - 1, y + 1, 3, 2, cx->th->alert);
            rdr_dl_rect(cx->dl, x - 1, y + 1, 2, row->h / 2, cx->th->alert);
            /* the next one at least a pixel further: dense lanes cost a column each */
            double next = rdr_view_t_at(v, x + 1);
            size_t lo = a + 1, hi2 = n;
            while (lo < hi2) { size_t mid = lo + (hi2 - lo) / 2; if ((double)ts[mid] < next) lo = mid + 1; else hi2 = mid; }
            a = lo;
        }
    }
}

//~ the selection and the search's matches

static bool rdr_row_is(const rdr_row *r, uint8_t kind, uint32_t run, uint32_t id, uint32_t lane) {
    return r->kind == kind && r->run == run && r->id == id && r->lane == lane;
}

void rdr_row_marks(rdr_ctx *cx, size_t first, size_t last) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        rdr_at_run(cx, row->run);
        int y = L->lanes_y + row->y - v->scroll_y;
        if (v->sel.kind && rdr_row_is(row, v->sel.kind, v->sel.run, v->sel.id, v->sel.lane)) {
            rdr_dl_rect(cx->dl, 0, y, 3, row->h, cx->th->sel);
            double a, b;
            if (rdr_sel_slice(v, &a, &b) && b > v->t0 && a < v->t1) {   /* the selected slice */
                int x0 = (int)rdr_view_x_of(v, fmax(a, v->t0)), x1 = (int)ceil(rdr_view_x_of(v, fmin(b, v->t1)));
                if (x1 - x0 < 3) x1 = x0 + 3;
                rdr_outline(cx->dl, x0, y + 1, x1, y + row->h - 1, cx->th->sel);
            }
        }
        if (v->query[0] && v->nmatches) {
            const trc_run *run = v->models[row->run].run;
            const char *nm = row->kind == RDR_ROW_UNIT ? run->units[row->id].name
                             : row->kind == RDR_ROW_LEVEL || row->kind == RDR_ROW_OWNER || row->kind == RDR_ROW_POOL
                                 ? run->objects[row->id - 1].name : NULL;
            if (nm && rdr_contains_ci(nm, v->query)) rdr_dl_rect(cx->dl, 3, y + 2, 3, row->h - 4, cx->th->match);
        }
    }
}
