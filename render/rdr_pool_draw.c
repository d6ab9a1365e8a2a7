/* Pools and futures: the pool's running/queued summary and the future lanes. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ pools and futures

/* The pool's summary: futures live (queued or running) as an amber step graph,
 * the running ones over it in blue; the worker count as a dashed line. */
void rdr_pool_cols(rdr_ctx *cx, uint32_t run, uint32_t obj, const rdr_scale *sc, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod *l = rdr_lod_of(v, run);
    double g = ghost ? 0.22 : 1.0;
    rdr_lod_pool_level(l, obj, true, &c, cx->vals, cx->dl);
    rdr_level_draw(cx, &c, sc, rdr_mix(cx->th->lane, RDR_COL_FUT_PENDING, g), rdr_mix(cx->th->lane, 0xffe8c27au, g));
    rdr_lod_pool_level(l, obj, false, &c, cx->vals, cx->dl);
    rdr_level_draw(cx, &c, sc, rdr_mix(cx->th->lane, RDR_COL_FUT_RUNNING, g), rdr_mix(cx->th->lane, 0xff9cc8f4u, g));
}

void rdr_pool_scale(rdr_ctx *cx, const rdr_row *row, int y, rdr_scale *sc) {
    const trc_model *m = &cx->v->models[row->run];
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(cx->v, row->run), row->id);
    int64_t hi = m->run->objects[row->id - 1].capacity;
    if (p && p->max_live > hi) hi = p->max_live;
    if (hi < 1) hi = 1;
    *sc = (rdr_scale){ .base = y + row->h - 4, .hmax = row->h - 8, .lo = 0 };
    sc->px_per = (double)sc->hmax / (double)hi;
}

/* One future lane: columns keyed by the state of the future there. */
void rdr_future_cols(rdr_ctx *cx, const rdr_row *row, int y, int h, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod_future(rdr_lod_of(v, row->run), row->id, row->lane, &c, cx->keys, cx->acc, cx->dl);
    int x0 = v->lay.plot_x, start = 0;
    for (int col = 1; col <= c.ncol; col++) {
        if (col < c.ncol && cx->keys[col] == cx->keys[start]) continue;
        int k = cx->keys[start];
        if (k >= 0) {
            uint32_t colr = rdr_future_color((unsigned)k);
            if (ghost) colr = rdr_mix(cx->th->lane, colr, 0.22);
            rdr_dl_rect(cx->dl, x0 + start, y, col - start, h, colr);
            cx->dl->lane_rects++;
        }
        start = col;
    }
}

/* A cross (two 2-px strokes) centred on (x, y), half-size r. */
void rdr_cross(rdr_drawlist *dl, int x, int y, int r, uint32_t col) {
    for (int d = 0; d < 2; d++) {
        rdr_dl_line(dl, x - r + d, y - r, x + r + d, y + r, col);
        rdr_dl_line(dl, x - r + d, y + r, x + r + d, y - r, col);
    }
}

const char *rdr_unit_name(const trc_run *run, uint32_t u) {
    return u < run->nunits && run->units[u].name ? run->units[u].name : "?";
}

/* Over a future lane, when few futures are in view: the end caps (green ok, red
 * failed), the cancel cross, and "#id" (with the worker) where the bar is wide. */
void rdr_future_details(rdr_ctx *cx, int ri, const rdr_row *row, int y, int h, double b) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
    if (b > v->t1) b = v->t1;
    if (!p || row->lane >= p->nlanes || !(b > v->t0)) return;
    const uint32_t *futs = p->futs + p->foff[row->lane];
    size_t n = p->foff[row->lane + 1] - p->foff[row->lane];
    size_t ia = rdr_future_lower(m, futs, n, v->t0 > 0 ? (uint64_t)v->t0 : 0);
    size_t ib = rdr_future_lower(m, futs, n, (uint64_t)ceil(b));
    if (ib - ia > (size_t)v->lay.plot_w / 6) return;   /* a column per future or less: the colours say it all */
    bool text = h >= cx->line_h;
    int xmax = v->lay.plot_x + v->lay.plot_w;
    for (size_t i = ia; i < n && (double)m->futures[futs[i]].t_begin < b; i++) {
        const trc_future *f = &m->futures[futs[i]];
        double s0 = fmax((double)f->t_begin, v->t0), s1 = fmin((double)f->t_end, b);
        int x0 = (int)lround(rdr_view_x_of(v, s0)), x1 = (int)lround(rdr_view_x_of(v, s1));
        if (f->t_done != TRC_T_NONE && (double)f->t_done <= b && (double)f->t_done >= v->t0 && x1 - x0 >= 4) {
            int xd = (int)lround(rdr_view_x_of(v, (double)f->t_done));
            rdr_dl_rect(cx->dl, xd - 2, y, 2, h, f->outcome == TRC_OUT_OK ? RDR_COL_FUT_DONE : RDR_COL_FUT_FAILED);
        }
        if (f->cancelled && (double)f->t_cancel <= b && (double)f->t_cancel >= v->t0) {
            int xc = (int)lround(rdr_view_x_of(v, (double)f->t_cancel));
            rdr_dl_rect(cx->dl, xc, y, 3, h, RDR_COL_FUT_CANCELLED);
            int r = h >= 12 ? 3 : 2;
            rdr_cross(cx->dl, xc + 5 + r, y + h / 2, r, RDR_COL_FUT_CANCELLED);
            x1 = xc + 7 + 2 * r;
            if (text) {   /* after the cross, up to the next future on the lane */
                double nt = i + 1 < n ? (double)m->futures[futs[i + 1]].t_begin : (double)v->total;
                int lim = (int)fmin(rdr_view_x_of(v, nt), xmax) - 4;
                char s[48];
                snprintf(s, sizeof s, "#%llu cancelled", (unsigned long long)f->id);
                int tw = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
                if (x1 + 2 + tw <= lim && rdr_claim_text(cx, ri, x1 + 2, x1 + 2 + tw))
                    rdr_text(cx, x1 + 2, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, RDR_COL_FUT_CANCELLED, s);
            }
            continue;
        }
        if (!text || x1 - x0 < 3 * RDR_CHAR_W) continue;
        char s[160];
        snprintf(s, sizeof s, "#%llu", (unsigned long long)f->id);
        int tw = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
        if (tw + 6 > x1 - x0) continue;
        /* the longest that fits: "#3 fetch on pool.1", "#3 fetch", "#3 on pool.1", "#3" */
        bool started = f->worker != UINT32_MAX && f->t_start != TRC_T_NONE && (double)f->t_start <= b;
        char opts[3][160];
        int no = 0;
        if (f->task && started)
            snprintf(opts[no++], sizeof opts[0], "#%llu %s on %s", (unsigned long long)f->id, f->task, rdr_unit_name(m->run, f->worker));
        if (f->task) snprintf(opts[no++], sizeof opts[0], "#%llu %s", (unsigned long long)f->id, f->task);
        if (started) snprintf(opts[no++], sizeof opts[0], "#%llu on %s", (unsigned long long)f->id, rdr_unit_name(m->run, f->worker));
        for (int k = 0; k < no; k++) {
            int tw2 = rdr_tw(cx, RDR_FONT_REGULAR, opts[k], strlen(opts[k]));
            if (tw2 + 6 <= x1 - x0) { memcpy(s, opts[k], sizeof s); tw = tw2; break; }
        }
        if (rdr_claim_text(cx, ri, x0 + 3, x0 + 3 + tw))
            rdr_text(cx, x0 + 3, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, 0xfff4f6fau, s);
    }
}
