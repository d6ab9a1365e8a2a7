/* Over the lanes: flows, marks, point-event glyphs, killed daemons. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rdr_flows(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    int top = v->lay.lanes_y, bot = v->lay.lanes_y + v->lay.lanes_h;
    size_t budget = 600;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        rdr_at_run(cx, r);
        const trc_model *m = &v->models[r];
        if (!m->nflows) continue;
        double lo = v->t0 - (double)v->flow_maxdur[r];
        double hi = fmin(v->t1, cx->reveal);
        size_t a = 0, b = m->nflows;   /* first flow with t0 >= lo */
        while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->flows[mid].t0 < lo) a = mid + 1; else b = mid; }
        size_t e = a, n = m->nflows;   /* first flow with t0 > hi */
        b = n;
        while (e < b) { size_t mid = e + (b - e) / 2; if ((double)m->flows[mid].t0 <= hi) e = mid + 1; else b = mid; }
        /* the selected unit's or object's flows stand out; when there are too many
         * to read, only they are drawn (and the status bar says why) */
        bool sel_unit = v->sel.kind == RDR_ROW_UNIT && v->sel.run == r;
        bool sel_obj = v->sel.kind && v->sel.kind != RDR_ROW_UNIT && v->sel.kind != RDR_ROW_RUN && v->sel.run == r;
        bool dense = e - a > (size_t)v->lay.plot_w / 3;
        bool only_sel = v->flows == RDR_FLOWS_SELECTED || dense;
        if (dense) cx->flows_dense = true;
        if (only_sel && !sel_unit && !sel_obj) continue;
        size_t scanned = 0;
        for (size_t i = a; i < e && budget && scanned < 200000; i++, scanned++) {
            const trc_flow *f = &m->flows[i];
            if ((double)f->t1 < v->t0 || (double)f->t1 > cx->reveal || f->u0 == f->u1) continue;
            if (f->u0 >= m->run->nunits || f->u1 >= m->run->nunits) continue;
            bool mine = (sel_unit && (f->u0 == v->sel.id || f->u1 == v->sel.id)) || (sel_obj && f->obj == v->sel.id);
            if (only_sel && !mine) continue;
            int ri0 = rdr_view_unit_row(v, r, f->u0), ri1 = rdr_view_unit_row(v, r, f->u1);
            if (ri0 < 0 || ri1 < 0) continue;
            const rdr_row *r0 = &v->lay.rows[ri0], *r1 = &v->lay.rows[ri1];
            int y0 = v->lay.lanes_y + r0->y - v->scroll_y + r0->h / 2;
            int y1 = v->lay.lanes_y + r1->y - v->scroll_y + r1->h / 2;
            if ((y0 < top && y1 < top) || (y0 >= bot && y1 >= bot)) continue;
            bool in0 = (double)f->t0 >= v->t0 && (double)f->t0 <= v->t1;
            bool in1 = (double)f->t1 >= v->t0 && (double)f->t1 <= v->t1;
            if (!in0 && !in1) continue;   /* passing through: a line across lanes says nothing */
            double fx0 = rdr_view_x_of(v, (double)f->t0), fx1 = rdr_view_x_of(v, (double)f->t1);
            double fy0 = y0, fy1 = y1, lim0 = v->lay.plot_x - 2, lim1 = v->lay.plot_x + v->lay.plot_w + 2;
            if (fx0 < lim0 && fx1 > fx0) { fy0 += (fy1 - fy0) * (lim0 - fx0) / (fx1 - fx0); fx0 = lim0; }
            if (fx1 > lim1 && fx1 > fx0) { fy1 -= (fy1 - fy0) * (fx1 - lim1) / (fx1 - fx0); fx1 = lim1; }
            int x0 = (int)lround(fx0), x1 = (int)lround(fx1);
            y0 = (int)lround(fy0);
            bool head = in1;
            y1 = (int)lround(fy1);
            bool faded = (sel_unit || sel_obj) && !mine;
            uint32_t col = (rdr_flow_color(f->kind) & 0xffffffu) | (faded ? 0x38000000u : mine ? 0xf0000000u : 0xa0000000u);
            double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
            if (rdr_flow_dashed(f->kind) && len > 12) {   /* 6 px on, 4 off */
                for (double d = 0; d < len; d += 10) {
                    double de = fmin(d + 6, len);
                    rdr_dl_line(cx->dl, x0 + (int)lround(dx * d / len), y0 + (int)lround(dy * d / len),
                                x0 + (int)lround(dx * de / len), y0 + (int)lround(dy * de / len), col);
                }
            } else {
                rdr_dl_line(cx->dl, x0, y0, x1, y1, col);
            }
            if (len < 4 || !head) continue;
            dx /= len; dy /= len;
            for (int s = -1; s <= 1; s += 2) {   /* arrow head: two strokes at +-28 degrees */
                double ca = cos(0.49), sa = sin(0.49) * s;
                double hx = -(dx * ca - dy * sa) * 7, hy = -(dx * sa + dy * ca) * 7;
                rdr_dl_line(cx->dl, x1, y1, x1 + (int)lround(hx), y1 + (int)lround(hy), col);
            }
            budget--;
        }
    }
}

void rdr_marks(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        rdr_at_run(cx, r);
        const trc_model *m = &v->models[r];
        size_t a = 0, b = m->nmarks;
        while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->marks[mid].t < v->t0) a = mid + 1; else b = mid; }
        double hi = fmin(v->t1, cx->reveal);
        size_t e = a;   /* first mark after hi */
        b = m->nmarks;
        while (e < b) { size_t mid = e + (b - e) / 2; if ((double)m->marks[mid].t <= hi) e = mid + 1; else b = mid; }
        if (e - a > (size_t)v->lay.plot_w / 6) continue;   /* a hedge of ticks says nothing: zoom in */
        bool labels = e - a <= 60;
        for (size_t i = a; i < e; i++) {
            const trc_mark *mk = &m->marks[i];
            int ri = rdr_view_unit_row(v, r, mk->unit);
            if (ri < 0) continue;
            int y0 = v->lay.lanes_y + v->lay.rows[ri].y - v->scroll_y, y1 = y0 + v->lay.rows[ri].h;
            if (y1 <= v->lay.lanes_y || y0 >= v->lay.lanes_y + v->lay.lanes_h) continue;
            int x = (int)lround(rdr_view_x_of(v, (double)mk->t));
            rdr_dl_rect(cx->dl, x, y0, 1, y1 - y0, cx->th->mark);
            rdr_dl_rect(cx->dl, x - 2, y0, 5, 2, cx->th->mark);
            if (!labels || !mk->text) continue;
            int tw = rdr_tw(cx, RDR_FONT_REGULAR, mk->text, strlen(mk->text));
            int lx = x + 4, ly = y0 + (y1 - y0 - cx->line_h) / 2;
            if (!rdr_label_free(cx, lx - 1, ly, tw + 4, cx->line_h)) continue;
            if (!rdr_claim_text(cx, ri, lx - 1, lx + tw + 3)) continue;   /* no label over another */
            rdr_dl_rect(cx->dl, lx - 1, ly, tw + 4, cx->line_h, cx->th->label_bg);
            rdr_text(cx, lx + 1, ly, RDR_FONT_REGULAR, cx->th->mark, mk->text);
        }
    }
}

//~ point events: small glyphs on the unit lanes (centre x; top y unless said)

static void rdr_hrow(rdr_drawlist *dl, int cx_, int y, int w, uint32_t col) { rdr_dl_rect(dl, cx_ - w / 2, y, w, 1, col); }


static void rdr_glyph_tri_down(rdr_drawlist *dl, int x, int y, uint32_t col) {   /* submit: into the queue */
    rdr_hrow(dl, x, y - 1, 11, RDR_GLYPH_BG);
    for (int i = 0; i < 6; i++) rdr_hrow(dl, x, y + i, 11 - 2 * i, RDR_GLYPH_BG);
    for (int i = 0; i < 5; i++) rdr_hrow(dl, x, y + i, 9 - 2 * i, col);
}

static void rdr_glyph_tri_up(rdr_drawlist *dl, int x, int ybot, uint32_t col) {   /* joined */
    rdr_hrow(dl, x, ybot + 1, 11, RDR_GLYPH_BG);
    for (int i = 0; i < 6; i++) rdr_hrow(dl, x, ybot - i, 11 - 2 * i, RDR_GLYPH_BG);
    for (int i = 0; i < 5; i++) rdr_hrow(dl, x, ybot - i, 9 - 2 * i, col);
}

static void rdr_glyph_diamond(rdr_drawlist *dl, int x, int y, uint32_t col) {   /* result */
    for (int i = 0; i < 11; i++) rdr_hrow(dl, x, y + i, 11 - 2 * abs(i - 5), RDR_GLYPH_BG);
    for (int i = 1; i < 10; i++) rdr_hrow(dl, x, y + i, 9 - 2 * abs(i - 5), col);
}

static void rdr_glyph_plus(rdr_drawlist *dl, int x, int cy, uint32_t col) {   /* spawn */
    rdr_dl_rect(dl, x - 5, cy - 2, 11, 5, RDR_GLYPH_BG);
    rdr_dl_rect(dl, x - 2, cy - 5, 5, 11, RDR_GLYPH_BG);
    rdr_dl_rect(dl, x - 4, cy - 1, 9, 3, col);
    rdr_dl_rect(dl, x - 1, cy - 4, 3, 9, col);
}

static void rdr_glyph_dot(rdr_drawlist *dl, int x, int cy, uint32_t col) {   /* callback */
    rdr_dl_rect(dl, x - 4, cy - 2, 9, 5, RDR_GLYPH_BG);
    rdr_dl_rect(dl, x - 2, cy - 4, 5, 9, RDR_GLYPH_BG);
    rdr_dl_rect(dl, x - 3, cy - 1, 7, 3, col);
    rdr_dl_rect(dl, x - 1, cy - 3, 3, 7, col);
    rdr_dl_rect(dl, x - 2, cy - 2, 5, 5, col);
}

static void rdr_glyph_flag(rdr_drawlist *dl, int x, int y, uint32_t col) {   /* thread-local set */
    rdr_dl_rect(dl, x - 1, y - 1, 3, 12, RDR_GLYPH_BG);
    rdr_dl_rect(dl, x + 1, y - 1, 7, 7, RDR_GLYPH_BG);
    rdr_dl_rect(dl, x, y, 1, 10, col);
    rdr_dl_rect(dl, x + 1, y, 6, 5, col);
}

static void rdr_glyph_cross(rdr_drawlist *dl, int x, int y, uint32_t col) {   /* cancel */
    rdr_dl_rect(dl, x - 5, y - 1, 11, 11, RDR_GLYPH_BG);
    rdr_cross(dl, x - 1, y + 4, 3, col);
}

bool rdr_instant_drawn(unsigned kind) {
    switch (kind) {
    case TRC_EV_SPAWN: case TRC_EV_JOINED: case TRC_EV_SUBMIT: case TRC_EV_RESULT: case TRC_EV_CANCEL:
    case TRC_EV_CALLBACK: case TRC_EV_LOCAL_SET: case TRC_EV_ITEM_VALUE: case TRC_EV_RAISE: case TRC_EV_CAUGHT:
    case TRC_EV_RELEASE: case TRC_EV_BARRIER_BROKEN: return true;
    /* processes: a process's end, signals, messages, closes, shm accesses, var assignments */
    case TRC_EV_PROC_EXIT: case TRC_EV_SIGNAL: case TRC_EV_SEND: case TRC_EV_RECV: case TRC_EV_PIPE_CLOSE:
    case TRC_EV_SHM_WRITE: case TRC_EV_SHM_READ: case TRC_EV_SHM_UNLINK: case TRC_EV_VAR_SET: case TRC_EV_SERVE:
        return true;
    default: return false;
    }
}

static uint32_t rdr_result_color(unsigned outcome) {
    switch (outcome) {
    case TRC_OUT_OK: return rdr_flow_color(TRC_FLOW_RESULT);
    case TRC_OUT_CANCELLED: return RDR_COL_FUT_CANCELLED;
    default: return RDR_COL_ALERT;   /* timed out, aborted */
    }
}

/* A tick across future f's lane at t: a result wait that timed out (red), a
 * cancel that came too late (grey). */
static void rdr_future_tick(rdr_ctx *cx, uint32_t run, const trc_future *f, uint64_t t, uint32_t col) {
    rdr_view *v = cx->v;
    if (f->lane == UINT32_MAX || t < f->t_begin || t > f->t_end) return;
    int ri = rdr_view_lane_row(v, run, f->pool, f->lane);
    if (ri < 0) return;
    const rdr_row *row = &v->lay.rows[ri];
    int y0 = v->lay.lanes_y + row->y - v->scroll_y, y1 = y0 + row->h;
    if (y1 <= v->lay.lanes_y || y0 >= v->lay.lanes_y + v->lay.lanes_h) return;
    int x = (int)lround(rdr_view_x_of(v, (double)t));
    rdr_dl_rect(cx->dl, x - 2, y0, 4, y1 - y0, RDR_GLYPH_BG);
    rdr_dl_rect(cx->dl, x - 1, y0, 2, y1 - y0, col);
    rdr_dl_rect(cx->dl, x - 3, y0, 7, 2, col);
    rdr_dl_rect(cx->dl, x - 3, y1 - 2, 7, 2, col);
}

void rdr_instants(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        rdr_at_run(cx, r);
        const trc_model *m = &v->models[r];
        if (!m->ninstants) continue;
        double slop = 6 * cx->npp, lo = v->t0 - slop, hi = fmin(v->t1 + slop, cx->reveal);
        size_t a = 0, b = m->ninstants;
        while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->instants[mid].t < lo) a = mid + 1; else b = mid; }
        size_t e = a;
        b = m->ninstants;
        while (e < b) { size_t mid = e + (b - e) / 2; if ((double)m->instants[mid].t <= hi) e = mid + 1; else b = mid; }
        if (e - a > (size_t)L->plot_w / 3) continue;   /* a glyph per pixel or two reads as noise: zoom in */
        bool labels = e - a <= 120;
        rdr_lod *l = rdr_lod_of(v, r);
        for (size_t i = a; i < e; i++) {
            const trc_instant *in = &m->instants[i];
            if (!rdr_instant_drawn(in->kind)) continue;
            int x = (int)lround(rdr_view_x_of(v, (double)in->t));
            if (in->kind == TRC_EV_RESULT && in->aux == TRC_OUT_TIMEOUT) {
                const trc_future *f = rdr_future_find(l, in->obj, in->arg);
                if (f) rdr_future_tick(cx, r, f, in->t, RDR_COL_ALERT);
            } else if (in->kind == TRC_EV_CANCEL && in->aux != 1) {
                const trc_future *f = rdr_future_find(l, in->obj, in->arg);
                if (f) rdr_future_tick(cx, r, f, in->t, RDR_COL_CANCEL_LATE);
            }
            int ri = rdr_view_unit_row(v, r, in->unit);
            if (ri < 0) continue;
            const rdr_row *row = &L->rows[ri];
            int y0 = L->lanes_y + row->y - v->scroll_y, y1 = y0 + row->h;
            if (y1 <= L->lanes_y || y0 >= L->lanes_y + L->lanes_h) continue;
            /* slots: what goes into or comes out of a pool on top, units and callbacks at the bottom */
            int gy = y0 + 2;
            switch (in->kind) {
            case TRC_EV_SPAWN: rdr_glyph_plus(cx->dl, x, y1 - 7, rdr_flow_color(TRC_FLOW_SPAWN)); break;
            case TRC_EV_JOINED: rdr_glyph_tri_up(cx->dl, x, y1 - 3, rdr_flow_color(TRC_FLOW_JOIN)); break;
            case TRC_EV_SUBMIT: rdr_glyph_tri_down(cx->dl, x, gy, rdr_flow_color(TRC_FLOW_SUBMIT)); break;
            case TRC_EV_RESULT: rdr_glyph_diamond(cx->dl, x, gy, rdr_result_color(in->aux)); break;
            case TRC_EV_CANCEL:
                rdr_glyph_cross(cx->dl, x, gy, in->aux == 1 ? RDR_COL_FUT_CANCELLED : RDR_COL_CANCEL_LATE);
                break;
            case TRC_EV_CALLBACK: rdr_glyph_dot(cx->dl, x, y1 - 7, rdr_flow_color(TRC_FLOW_CALLBACK)); break;
            case TRC_EV_ITEM_VALUE: rdr_glyph_dot(cx->dl, x, gy + 2, rdr_flow_color(TRC_FLOW_ITEM)); break;
            case TRC_EV_PROC_EXIT:   /* a process killed: a red cross at its end; an exit code: a grey one */
                if (in->aux == TRC_PROC_SIGNALED || in->arg)
                    rdr_glyph_cross(cx->dl, x, y0 + (row->h - 7) / 2,
                                    in->aux == TRC_PROC_SIGNALED ? cx->th->alert : cx->th->text_dim);
                break;
            case TRC_EV_SIGNAL: rdr_glyph_dot(cx->dl, x, y1 - 7, cx->th->alert); break;
            case TRC_EV_SEND: rdr_glyph_tri_down(cx->dl, x, gy, rdr_flow_color(TRC_FLOW_MESSAGE)); break;
            case TRC_EV_RECV:
                if (in->aux) rdr_glyph_cross(cx->dl, x, gy, rdr_flow_color(TRC_FLOW_MESSAGE));   /* end of file */
                else rdr_glyph_tri_up(cx->dl, x, y1 - 3, rdr_flow_color(TRC_FLOW_MESSAGE));
                break;
            case TRC_EV_PIPE_CLOSE: rdr_glyph_cross(cx->dl, x, y1 - 7, cx->th->text_dim); break;
            case TRC_EV_SERVE: rdr_glyph_dot(cx->dl, x, gy + 3, rdr_flow_color(TRC_FLOW_REQUEST)); break;
            case TRC_EV_SHM_WRITE: rdr_glyph_tri_down(cx->dl, x, gy, RDR_COL_LOCAL); break;
            case TRC_EV_SHM_READ:
                if (in->aux) rdr_glyph_cross(cx->dl, x, gy, cx->th->alert);   /* torn */
                else rdr_glyph_tri_up(cx->dl, x, y1 - 3, RDR_COL_LOCAL);
                break;
            case TRC_EV_SHM_UNLINK: rdr_glyph_cross(cx->dl, x, y1 - 7, RDR_COL_LOCAL); break;
            case TRC_EV_VAR_SET: {
                /* the value this unit's process has now: a label, like a thread-local's */
                rdr_glyph_flag(cx->dl, x, gy, RDR_COL_LOCAL);
                if (!labels) break;
                char txt[96];
                snprintf(txt, sizeof txt, "%s=%lld", rdr_obj_name(m->run, in->obj), (long long)(int64_t)in->arg);
                int tw = rdr_tw(cx, RDR_FONT_REGULAR, txt, strlen(txt));
                int lx = x + 9, ly = y0 + (row->h - cx->line_h) / 2;
                if (!rdr_label_free(cx, lx - 1, ly, tw + 4, cx->line_h) || !rdr_claim_text(cx, ri, lx - 1, lx + tw + 3)) break;
                rdr_dl_rect(cx->dl, lx - 1, ly, tw + 4, cx->line_h, cx->th->label_bg);
                rdr_text(cx, lx + 1, ly, RDR_FONT_REGULAR, RDR_COL_LOCAL, txt);
                break;
            }
            case TRC_EV_RAISE: case TRC_EV_RELEASE: case TRC_EV_BARRIER_BROKEN:   /* an error; mutual exclusion broken */
                rdr_glyph_cross(cx->dl, x, gy, RDR_COL_ALERT);
                break;
            case TRC_EV_CAUGHT: rdr_glyph_diamond(cx->dl, x, gy, RDR_COL_ALERT); break;
            case TRC_EV_LOCAL_SET: {
                rdr_glyph_flag(cx->dl, x, gy, RDR_COL_LOCAL);
                if (!labels || !in->text) break;
                int tw = rdr_tw(cx, RDR_FONT_REGULAR, in->text, strlen(in->text));
                int lx = x + 9, ly = y0 + (row->h - cx->line_h) / 2;
                if (!rdr_label_free(cx, lx - 1, ly, tw + 4, cx->line_h) || !rdr_claim_text(cx, ri, lx - 1, lx + tw + 3)) break;
                rdr_dl_rect(cx->dl, lx - 1, ly, tw + 4, cx->line_h, cx->th->label_bg);
                rdr_text(cx, lx + 1, ly, RDR_FONT_REGULAR, RDR_COL_LOCAL, in->text);
                break;
            }
            default: break;
            }
        }
    }
}

/* Daemons cut off when the run ended: a red zig-zag cut across the lane, "killed".
 * Called twice: first to reserve the label's place (it wins over marks), then
 * to draw over everything else. */
void rdr_killed(rdr_ctx *cx, size_t first, size_t last, bool claim) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        if (row->kind != RDR_ROW_UNIT) continue;
        rdr_at_run(cx, row->run);
        const trc_unit_track *ut = &v->models[row->run].units[row->id];
        if (!ut->killed) continue;
        double t = (double)ut->t_killed;
        if (t > cx->reveal || t < v->t0 - 8 * cx->npp || t > v->t1) continue;
        int x = (int)lround(rdr_view_x_of(v, t));
        int y0 = L->lanes_y + row->y - v->scroll_y, y1 = y0 + row->h;
        static const char kl[] = "killed";
        int tw = rdr_tw(cx, RDR_FONT_BOLD, kl, sizeof kl - 1);
        int lx = x + 8, ly = y0 + (row->h - cx->line_h) / 2;
        bool label = lx + tw <= L->plot_x + L->plot_w;
        if (claim) {
            rdr_claim_text(cx, (int)i, x - 6, label ? lx + tw + 2 : x + 6);
            continue;
        }
        if (label && !rdr_label_free(cx, lx - 2, ly, tw + 4, cx->line_h)) label = false;   /* the label log: taken */
        int a = y0 + 1, b = y0 + row->h / 3, c = y0 + 2 * row->h / 3, d = y1 - 2;
        rdr_dl_rect(cx->dl, x - 5, y0, 11, row->h, RDR_GLYPH_BG);
        for (int k = 0; k < 2; k++) {
            rdr_dl_line(cx->dl, x + k, a, x + 3 + k, b, RDR_COL_KILLED);
            rdr_dl_line(cx->dl, x + 3 + k, b, x - 3 + k, c, RDR_COL_KILLED);
            rdr_dl_line(cx->dl, x - 3 + k, c, x + k, d, RDR_COL_KILLED);
        }
        if (label) {
            rdr_dl_rect(cx->dl, lx - 2, ly, tw + 4, cx->line_h, RDR_GLYPH_BG);
            rdr_text(cx, lx, ly, RDR_FONT_BOLD, RDR_COL_KILLED, kl);
        }
    }
}
