/* The layout: bands of the window (header, ruler, lanes, panels, footer, the
 * stage beside them) and the rows of the lane area. Plain C, no drawing. */
#include "render/rdr_internal.h"

#include <stdlib.h>
#include <string.h>

static size_t rdr_utf8_len(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

//~ rows

static void rdr_layout_rows(rdr_view *v, int unit_h, int queue_h) {
    rdr_layout *L = &v->lay;
    size_t n = 0, cap = 0;
    rdr_row *rows = NULL;
    free(L->rows);
    int y = 0;
    size_t longest = 10;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_run *run = v->models[r].run;
        for (uint32_t o = 0; o < run->nobjects; o++) v->pool_row[r][o] = -1;
        for (uint32_t u = 0; u < run->nunits; u++) v->unit_row[r][u] = -1;
        if (v->nmodels > 1) {
            ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_RUN, .run = r, .y = y, .h = RDR_RUN_ROW_H }));
            y += RDR_RUN_ROW_H;
            if (v->info[r].collapsed) continue;
        }
        const trc_model *m = &v->models[r];
        /* grouped by process: a process that hosts other units (its threads, an event loop's
         * tasks) gets a header row, then its own lane and theirs; folded, the header alone */
        const rdr_groups *g = v->groups[r];
        uint32_t never = 0;   /* units that never started: no lane each, one line after the lanes */
        for (uint32_t u = 0; u < run->nunits; u++) {
            uint32_t h = g->host[u];
            if (h != UINT32_MAX && h != u) continue;   /* under its head */
            uint32_t k0 = h == u ? g->off[u] : 0, k1 = h == u ? g->off[u + 1] : 1;
            if (h == u) {
                bool folded = g->folded[u];
                int hh = folded ? unit_h : RDR_PROC_ROW_H;
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_PROC, .run = r, .id = u, .lane = k1 - k0, .y = y,
                                                   .h = hh }));
                y += hh;
                size_t len = rdr_utf8_len(run->units[u].name ? run->units[u].name : "") + 22;   /* "  pid 31746 · 3 units" */
                if (len > longest) longest = len;
                if (folded) continue;
            }
            for (uint32_t k = k0; k < k1; k++) {
                uint32_t id = h == u ? g->members[k] : u;
                if (!m->units[id].nspans && id != h) {
                    never++;
                    continue;
                }
                v->unit_row[r][id] = (int32_t)n;
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_UNIT, .run = r, .id = id, .y = y, .h = unit_h }));
                y += unit_h;
                size_t len = rdr_utf8_len(run->units[id].name ? run->units[id].name : "") + (m->units[id].pid ? 8 : 0) +
                             (h == u ? 2 : 0);
                if (len > longest) longest = len;
            }
        }
        if (never) {
            int qh = unit_h < RDR_UNIT_ROW_H + 4 ? unit_h : RDR_UNIT_ROW_H + 4;
            ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_NOTSTARTED, .run = r, .id = never, .y = y, .h = qh }));
            y += qh;
            if (longest < 22) longest = 22;   /* "20 units never started" */
        }
        for (uint32_t o = 0; o < run->nobjects; o++) {   /* pools: a summary row, then the future lanes */
            const trc_object *ob = &run->objects[o];
            if (ob->kind != TRC_OBJ_POOL) continue;
            int ph = queue_h * 3 / 4;
            v->pool_row[r][o] = (int32_t)n;
            ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_POOL, .run = r, .id = ob->id, .y = y, .h = ph }));
            y += ph;
            uint32_t lanes = m->objects[o].future_lanes;
            int lh = rdr_future_lane_h(unit_h > 28 ? 28 : unit_h, lanes);
            uint32_t shown = lanes > RDR_MAX_FUTURE_LANES ? RDR_MAX_FUTURE_LANES - 1 : lanes;
            for (uint32_t k = 0; k < shown; k++) {
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_FUTURE, .run = r, .id = ob->id, .lane = k, .y = y,
                                                   .h = lh }));
                y += lh;
            }
            if (shown < lanes) {   /* the rest are counted by the pool row, not drawn one by one */
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_FUTURE, .run = r, .id = ob->id, .lane = RDR_LANE_MORE,
                                                   .y = y, .h = RDR_UNIT_ROW_H }));
                y += RDR_UNIT_ROW_H;
            }
            size_t len = rdr_utf8_len(ob->name ? ob->name : "") + 8;
            if (len < 20) len = 20;   /* "2/4 busy, 13 queued" */
            if (len > longest) longest = len;
        }
        for (int pass = 0; pass < 2; pass++) {   /* level tracks, then owner tracks */
            for (uint32_t o = 0; o < run->nobjects; o++) {
                const trc_object *ob = &run->objects[o];
                bool want = pass == 0 ? rdr_has_level(ob->kind) : rdr_has_owner(ob->kind);
                if (!want) continue;
                int h = pass == 0 ? queue_h : (unit_h > 28 ? 28 : unit_h) + 6;
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = pass == 0 ? RDR_ROW_LEVEL : RDR_ROW_OWNER, .run = r,
                                                   .id = ob->id, .y = y, .h = h }));
                y += h;
                size_t len = rdr_utf8_len(ob->name ? ob->name : "") + 8;
                if (pass == 0 && ob->kind == TRC_OBJ_COUNTER && m->objects[o].lost_updates && len < 21)
                    len = 21;   /* "value 301 · 699 lost" */
                if (pass == 1 && len < 18) len = 18;   /* "held by consumer.0" */
                if (len > longest) longest = len;
            }
        }
        if (m->mem.n) {   /* the run's memory, when it was recorded */
            ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_MEM, .run = r, .y = y, .h = queue_h }));
            y += queue_h;
        }
        y += RDR_GROUP_GAP;
    }
    L->rows = rows;
    L->nrows = (uint32_t)n;
    L->content_h = y;
    int lw = (int)longest * RDR_CHAR_W + 34;
    if (lw < 120) lw = 120;
    if (lw > 260) lw = 260;
    if (lw > L->timeline_w / 3) lw = L->timeline_w / 3;
    L->label_w = lw;
}

/* Taller unit rows when they all fit: a small run reads better with room to
 * breathe. Level tracks grow less: the lanes are what matters. */
static void rdr_layout_fit(rdr_view *v) {
    static const int sizes[][2] = { { 56, 64 }, { 48, 58 }, { 42, 52 }, { 36, 48 }, { 30, 46 }, { 26, 44 }, { 22, 42 }, { RDR_UNIT_ROW_H, 40 } };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        rdr_layout_rows(v, sizes[i][0], sizes[i][1]);
        if (v->lay.content_h <= v->lay.lanes_h) return;
    }
}

//~ bands

static void rdr_layout_bands(rdr_view *v) {
    rdr_layout *L = &v->lay;
    rdr_note notes[RDR_MAX_NOTES];
    L->alert_lines = rdr_notes(v, notes, RDR_MAX_NOTES);
    L->header_h = RDR_HEADER_H + L->alert_lines * RDR_ALERT_H;
    L->stage_w = 0;
    L->timeline_w = L->width;
    if (v->show_stage) {
        int sw = L->width * 2 / 5;
        if (sw < 320) sw = 320;
        if (L->width - sw >= 400) {
            L->stage_w = sw;
            L->timeline_w = L->width - sw;
        }
    }
    L->ruler_y = L->header_h;
    L->ruler_h = RDR_RULER_H;
    L->lanes_y = L->ruler_y + L->ruler_h;
    L->footer_h = RDR_FOOTER_H;
    L->footer_y = L->height - L->footer_h;
    int room = L->footer_y - L->lanes_y;
    L->compare_h = v->compare && v->nmodels > 1 ? (int)(v->nmodels + 2) * RDR_LINE_H + 12 : 0;
    if (L->compare_h > room / 3) L->compare_h = room / 3;
    L->details_h = v->sel.kind ? RDR_DETAILS_LINES * RDR_LINE_H + 12 : 0;
    if (L->details_h > room / 3) L->details_h = room / 3;
    L->compare_y = L->footer_y - L->compare_h;
    L->details_y = L->compare_y - L->details_h;
    L->lanes_h = L->details_y - L->lanes_y;
    if (L->lanes_h < 0) L->lanes_h = 0;
    L->stage_x = L->timeline_w;
    L->stage_y = L->ruler_y;
    L->stage_h = L->footer_y - L->ruler_y;
}

void rdr_clamp_scroll(rdr_view *v) {
    int max = v->lay.content_h - v->lay.lanes_h;
    if (max < 0) max = 0;
    if (v->scroll_y > max) v->scroll_y = max;
    if (v->scroll_y < 0) v->scroll_y = 0;
}

void rdr_view_resize(rdr_view *v, int width, int height) {
    v->lay.width = width > 64 ? width : 64;
    v->lay.height = height > 64 ? height : 64;
    rdr_layout_bands(v);
    rdr_layout_fit(v);
    rdr_layout *L = &v->lay;
    L->plot_x = L->label_w + 8;
    L->plot_w = L->timeline_w - L->plot_x - 14;
    if (L->plot_w < 16) L->plot_w = 16;
    rdr_clamp_scroll(v);
}

void rdr_relayout(rdr_view *v) { rdr_view_resize(v, v->lay.width, v->lay.height); }

//~ finding rows

int rdr_view_row_span(const rdr_view *v, unsigned kind, uint32_t run, uint32_t id, int *y0, int *y1) {
    for (uint32_t i = 0; i < v->lay.nrows; i++) {
        const rdr_row *r = &v->lay.rows[i];
        if (r->kind == kind && r->run == run && r->id == id) {
            *y0 = v->lay.lanes_y + r->y - v->scroll_y;
            *y1 = *y0 + r->h;
            return 0;
        }
    }
    return -ERR_USAGE;
}

int rdr_view_unit_row(const rdr_view *v, uint32_t run, uint32_t unit) {
    if (run >= v->nmodels || unit >= v->models[run].run->nunits) return -1;
    return v->unit_row[run][unit];
}

int rdr_view_lane_row(const rdr_view *v, uint32_t run, uint32_t pool, uint32_t lane) {
    if (run >= v->nmodels || !pool || pool > v->models[run].run->nobjects) return -1;
    int32_t pr = v->pool_row[run][pool - 1];
    if (pr < 0) return -1;
    size_t i = (size_t)pr + 1 + lane;
    if (i >= v->lay.nrows || v->lay.rows[i].kind != RDR_ROW_FUTURE || v->lay.rows[i].id != pool ||
        v->lay.rows[i].lane != lane)
        return -1;
    return (int)i;
}

int rdr_view_lane_span(const rdr_view *v, uint32_t run, uint32_t pool, uint32_t lane, int *y0, int *y1) {
    int i = rdr_view_lane_row(v, run, pool, lane);
    if (i < 0) return -ERR_USAGE;
    const rdr_row *r = &v->lay.rows[i];
    *y0 = v->lay.lanes_y + r->y - v->scroll_y;
    *y1 = *y0 + r->h;
    return 0;
}

int rdr_view_row_index_at(const rdr_view *v, int y) {
    if (y < v->lay.lanes_y || y >= v->lay.lanes_y + v->lay.lanes_h) return -1;
    int cy = y - v->lay.lanes_y + v->scroll_y;
    size_t lo = 0, hi = v->lay.nrows;   /* rows are sorted by y: last row with r.y <= cy */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->lay.rows[mid].y <= cy) lo = mid + 1; else hi = mid;
    }
    if (!lo) return -1;
    const rdr_row *r = &v->lay.rows[lo - 1];
    return cy < r->y + r->h ? (int)(lo - 1) : -1;
}

const rdr_row *rdr_view_row_at(const rdr_view *v, int y) {
    int i = rdr_view_row_index_at(v, y);
    return i < 0 ? NULL : &v->lay.rows[i];
}

/* Scrolls so that row i is in view. */
void rdr_scroll_to_row(rdr_view *v, int i) {
    if (i < 0 || (uint32_t)i >= v->lay.nrows) return;
    const rdr_row *r = &v->lay.rows[i];
    if (r->y < v->scroll_y) v->scroll_y = r->y;
    else if (r->y + r->h > v->scroll_y + v->lay.lanes_h) v->scroll_y = r->y + r->h - v->lay.lanes_h;
    rdr_clamp_scroll(v);
}
