/* The view model: what part of which runs is on screen, where each lane is,
 * and how input moves it. Plain C: no SDL, no drawing. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

//~ layout

static size_t rdr_utf8_len(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static bool rdr_run_alert(const trc_run *r) {
    return r->end_reason == TRC_END_DEADLOCK || r->end_reason == TRC_END_STUCK ||
           r->end_reason == TRC_END_TIMEOUT || r->end_reason == TRC_END_ERROR;
}

/* The process unit whose process thread unit u runs in (TRC_START_THREAD), or UINT32_MAX. */
static uint32_t rdr_hosted(const trc_model *m, uint32_t u) {
    const trc_unit_track *ut = &m->units[u];
    if (!ut->pid || ut->start_method != TRC_START_THREAD) return UINT32_MAX;
    for (uint32_t k = 0; k < m->run->nunits; k++)
        if (k != u && m->units[k].pid == ut->pid && m->units[k].start_method != TRC_START_THREAD) return k;
    return UINT32_MAX;
}

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
        if (v->nmodels > 1) {
            ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_RUN, .run = r, .y = y, .h = RDR_RUN_ROW_H }));
            y += RDR_RUN_ROW_H;
        }
        const trc_model *m = &v->models[r];
        /* grouped by process: a thread that runs inside a unit's process (a thread pool's worker on
         * the processes backend) comes right after that process's lane */
        for (uint32_t u = 0; u < run->nunits; u++) {
            if (rdr_hosted(m, u) != UINT32_MAX) continue;
            bool hosts = m->units[u].pid && m->units[u].start_method != TRC_START_THREAD;
            for (uint32_t k = 0, first = 1; k < run->nunits; first = 0) {
                uint32_t id = first ? u : k++;
                if (!first && (id == u || !hosts || rdr_hosted(m, id) != u)) continue;
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_UNIT, .run = r, .id = id, .y = y, .h = unit_h }));
                y += unit_h;
                size_t len = rdr_utf8_len(run->units[id].name ? run->units[id].name : "") + (m->units[id].pid ? 8 : 0);
                if (len > longest) longest = len;
            }
        }
        for (uint32_t o = 0; o < run->nobjects; o++) {   /* pools: a summary row, then the future lanes */
            const trc_object *ob = &run->objects[o];
            if (ob->kind != TRC_OBJ_POOL) continue;
            int ph = queue_h * 3 / 4;
            v->pool_row[r][o] = (int32_t)n;
            ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_POOL, .run = r, .id = ob->id, .y = y, .h = ph }));
            y += ph;
            uint32_t lanes = m->objects[o].future_lanes;
            int lh = rdr_future_lane_h(unit_h, lanes);
            uint32_t shown = lanes > RDR_MAX_FUTURE_LANES ? RDR_MAX_FUTURE_LANES - 1 : lanes;
            for (uint32_t k = 0; k < shown; k++) {
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_FUTURE, .run = r, .id = ob->id, .lane = k, .y = y,
                                                   .h = lh }));
                y += lh;
            }
            if (shown < lanes) {   /* the rest are counted by the pool row, not drawn one by one */
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = RDR_ROW_FUTURE, .run = r, .id = ob->id, .lane = RDR_LANE_MORE,
                                                   .y = y, .h = unit_h }));
                y += unit_h;
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
                int h = pass == 0 ? queue_h : unit_h;
                ARR_PUSH(rows, n, cap, ((rdr_row){ .kind = pass == 0 ? RDR_ROW_LEVEL : RDR_ROW_OWNER, .run = r,
                                                   .id = ob->id, .y = y, .h = h }));
                y += h;
                size_t len = rdr_utf8_len(ob->name ? ob->name : "") + 8;
                if (len > longest) longest = len;
            }
        }
        y += RDR_GROUP_GAP;
    }
    L->rows = rows;
    L->nrows = (uint32_t)n;
    L->content_h = y;
    int lw = (int)longest * RDR_CHAR_W + 28;
    if (lw < 120) lw = 120;
    if (lw > 260) lw = 260;
    if (lw > L->width / 3) lw = L->width / 3;
    L->label_w = lw;
}

/* Taller rows when they all fit: a small run reads better with room to breathe. */
static void rdr_layout_fit(rdr_view *v) {
    static const int sizes[][2] = { { 28, 56 }, { 24, 48 }, { RDR_UNIT_ROW_H, RDR_QUEUE_ROW_H } };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        rdr_layout_rows(v, sizes[i][0], sizes[i][1]);
        if (v->lay.content_h <= v->lay.lanes_h) return;
    }
}

static void rdr_layout_bands(rdr_view *v) {
    rdr_layout *L = &v->lay;
    bool alert = false;
    for (uint32_t r = 0; r < v->nmodels; r++) alert |= rdr_run_alert(v->models[r].run);
    L->header_h = RDR_HEADER_H + (alert ? RDR_ALERT_H : 0);
    L->ruler_y = L->header_h;
    L->ruler_h = RDR_RULER_H;
    L->lanes_y = L->ruler_y + L->ruler_h;
    L->footer_h = RDR_FOOTER_H;
    L->footer_y = L->height - L->footer_h;
    L->lanes_h = L->footer_y - L->lanes_y;
    if (L->lanes_h < 0) L->lanes_h = 0;
}

static void rdr_clamp_scroll(rdr_view *v) {
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
    L->plot_w = L->width - L->plot_x - 14;
    if (L->plot_w < 16) L->plot_w = 16;
    rdr_clamp_scroll(v);
}

//~ init / release

int rdr_view_init(rdr_view *v, const rdr_view_desc *desc, diag *d) {
    memset(v, 0, sizeof *v);
    if (!desc || !desc->models || !desc->nmodels)
        return diag_set(d, ERR_USAGE, "nothing to view: no runs");
    for (uint32_t r = 0; r < desc->nmodels; r++)
        if (!desc->models[r].run)
            return diag_set(d, ERR_USAGE, "run %u has no model", r + 1);
    if ((desc->width && (desc->width < 64 || desc->width > 16384)) ||
        (desc->height && (desc->height < 64 || desc->height > 16384)))
        return diag_set(d, ERR_USAGE, "view size %dx%d out of range (64..16384)", desc->width, desc->height);
    v->rec = desc->rec;
    v->models = desc->models;
    v->nmodels = desc->nmodels;
    v->title = desc->title ? desc->title : desc->models[0].run->scenario;
    if (!v->title) v->title = "";
    uint64_t total = 1;
    for (uint32_t r = 0; r < v->nmodels; r++)
        if (v->models[r].makespan > total) total = v->models[r].makespan;
    v->total = total;
    v->show_flows = true;
    v->ghost = desc->ghost;
    v->lod = xcalloc(v->nmodels, sizeof *v->lod);
    v->pool_row = xcalloc(v->nmodels, sizeof *v->pool_row);
    for (uint32_t r = 0; r < v->nmodels; r++) {
        uint32_t no = v->models[r].run->nobjects;
        v->pool_row[r] = xcalloc(no ? no : 1, sizeof **v->pool_row);
    }
    v->flow_maxdur = xcalloc(v->nmodels, sizeof *v->flow_maxdur);
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_model *m = &v->models[r];
        for (size_t i = 0; i < m->nflows; i++) {
            uint64_t dur = m->flows[i].t1 > m->flows[i].t0 ? m->flows[i].t1 - m->flows[i].t0 : 0;
            if (dur > v->flow_maxdur[r]) v->flow_maxdur[r] = dur;
        }
    }
    /* playback takes about 10 s at the default speed, in powers of two */
    double secs = (double)total / 1e9;
    v->speed = pow(2.0, round(log2(secs / 10.0)));
    if (v->speed > 1.0) v->speed = 1.0;
    v->lay.width = desc->width > 0 ? desc->width : 1280;
    v->lay.height = desc->height > 0 ? desc->height : 720;
    rdr_view_resize(v, v->lay.width, v->lay.height);
    v->t0 = 0;
    v->t1 = (double)total;
    if (desc->t_view1 > desc->t_view0) rdr_view_set_window(v, desc->t_view0, desc->t_view1);
    rdr_view_set_playhead(v, desc->at < 0 ? (double)total : (desc->at > 1 ? 1.0 : desc->at) * (double)total);
    v->mouse_x = v->mouse_y = -1;
    return 0;
}

void rdr_view_release(rdr_view *v) {
    if (v->lod)
        for (uint32_t r = 0; r < v->nmodels; r++) rdr_lod_free(v->lod[r]);
    free(v->lod);
    if (v->pool_row)
        for (uint32_t r = 0; r < v->nmodels; r++) free(v->pool_row[r]);
    free(v->pool_row);
    free(v->flow_maxdur);
    free(v->lay.rows);
    free(v->scratch);
    free(v->claims);
    if (v->buckets)
        for (int i = 0; i < RDR_NBUCKETS; i++) free(v->buckets->c[i]);
    free(v->buckets);
    memset(v, 0, sizeof *v);
}

//~ coordinates

double rdr_view_x_of(const rdr_view *v, double t) {
    return v->lay.plot_x + (t - v->t0) / (v->t1 - v->t0) * v->lay.plot_w;
}

double rdr_view_t_at(const rdr_view *v, double x) {
    return v->t0 + (x - v->lay.plot_x) / v->lay.plot_w * (v->t1 - v->t0);
}

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
    /* rows of a run are consecutive, its units first and in order */
    size_t lo = 0, hi = v->lay.nrows;   /* first row of the run */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->lay.rows[mid].run < run) lo = mid + 1; else hi = mid;
    }
    if (lo < v->lay.nrows && v->lay.rows[lo].kind == RDR_ROW_RUN) lo++;
    size_t i = lo + unit;
    if (i >= v->lay.nrows || v->lay.rows[i].kind != RDR_ROW_UNIT || v->lay.rows[i].id != unit) return -1;
    return (int)i;
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

const rdr_row *rdr_view_row_at(const rdr_view *v, int y) {
    if (y < v->lay.lanes_y || y >= v->lay.lanes_y + v->lay.lanes_h) return NULL;
    int cy = y - v->lay.lanes_y + v->scroll_y;
    size_t lo = 0, hi = v->lay.nrows;   /* rows are sorted by y: last row with r.y <= cy */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->lay.rows[mid].y <= cy) lo = mid + 1; else hi = mid;
    }
    if (!lo) return NULL;
    const rdr_row *r = &v->lay.rows[lo - 1];
    return cy < r->y + r->h ? r : NULL;
}

//~ window and playhead

void rdr_view_set_window(rdr_view *v, double t0, double t1) {
    double total = (double)v->total;
    double w = t1 - t0;
    double minw = RDR_MIN_WINDOW_NS < total ? RDR_MIN_WINDOW_NS : total;
    if (!(w >= minw)) w = minw;   /* also catches NaN */
    if (w > total) w = total;
    if (!(t0 >= 0)) t0 = 0;   /* also NaN */
    if (t0 + w > total) t0 = total - w;
    v->t0 = t0;
    v->t1 = t0 + w;
}

void rdr_view_zoom(rdr_view *v, double factor, double x) {
    if (!(factor > 0)) return;
    double px = x - v->lay.plot_x;
    if (px < 0) px = 0;
    if (px > v->lay.plot_w) px = v->lay.plot_w;
    double frac = px / v->lay.plot_w;
    double anchor = v->t0 + frac * (v->t1 - v->t0);
    double w = (v->t1 - v->t0) / factor;
    double total = (double)v->total;
    double minw = RDR_MIN_WINDOW_NS < total ? RDR_MIN_WINDOW_NS : total;
    if (w < minw) w = minw;
    if (w > total) w = total;
    rdr_view_set_window(v, anchor - frac * w, anchor - frac * w + w);
}

void rdr_view_pan(rdr_view *v, double dt) {
    rdr_view_set_window(v, v->t0 + dt, v->t1 + dt);
}

static void rdr_show_time(rdr_view *v, double t) {
    double w = v->t1 - v->t0;
    if (t < v->t0 || t > v->t1) rdr_view_set_window(v, t - w / 2, t + w / 2);
}

void rdr_view_set_playhead(rdr_view *v, double t) {
    if (!(t >= 0)) t = 0;
    if (t > (double)v->total) t = (double)v->total;
    v->playhead = t;
}

void rdr_view_step(rdr_view *v, int dir) {
    double t = v->playhead;
    double best = dir > 0 ? (double)v->total : 0;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_model *m = &v->models[r];
        for (uint32_t u = 0; u < m->run->nunits; u++) {
            const trc_unit_track *ut = &m->units[u];
            if (!ut->nspans) continue;
            if (dir > 0) {
                size_t i = trc_model_span_lower(ut, (uint64_t)floor(t));
                if (i >= ut->nspans) continue;
                double c = (double)ut->spans[i].t0 > t ? (double)ut->spans[i].t0 : (double)ut->spans[i].t1;
                if (c > t && c < best) best = c;
            } else {
                uint64_t tc = (uint64_t)ceil(t);
                if (!tc) continue;
                size_t i = trc_model_span_lower(ut, tc - 1);
                double c = -1;
                if (i < ut->nspans && (double)ut->spans[i].t0 < t) c = (double)ut->spans[i].t0;
                else if (i > 0) c = (double)ut->spans[i - 1].t1;
                if (c >= 0 && c < t && c > best) best = c;
            }
        }
    }
    rdr_view_set_playhead(v, best);
    rdr_show_time(v, v->playhead);
}

static double rdr_key_anchor(const rdr_view *v) {
    if (v->playhead >= v->t0 && v->playhead <= v->t1) return rdr_view_x_of(v, v->playhead);
    return v->lay.plot_x + v->lay.plot_w / 2.0;
}

//~ input

static void rdr_key(rdr_view *v, const rdr_event *ev) {
    double w = v->t1 - v->t0;
    bool ctrl = ev->mods & RDR_MOD_CTRL, shift = ev->mods & RDR_MOD_SHIFT;
    switch (ev->key) {
    case RDR_KEY_SPACE:
        if (!v->playing && v->playhead >= (double)v->total) v->playhead = 0;
        v->playing = !v->playing;
        if (v->playing) rdr_show_time(v, v->playhead);
        break;
    case RDR_KEY_PLUS:
        if (ctrl) rdr_view_zoom(v, 1.5, rdr_key_anchor(v));
        else if (v->speed < 1024) v->speed *= 2;
        break;
    case RDR_KEY_MINUS:
        if (ctrl) rdr_view_zoom(v, 1 / 1.5, rdr_key_anchor(v));
        else if (v->speed > 1.0 / (1 << 30)) v->speed /= 2;
        break;
    case RDR_KEY_HOME: rdr_view_set_playhead(v, 0); rdr_show_time(v, 0); break;
    case RDR_KEY_END: rdr_view_set_playhead(v, (double)v->total); rdr_show_time(v, (double)v->total); break;
    case RDR_KEY_LEFT: if (shift) rdr_view_pan(v, -0.1 * w); else rdr_view_step(v, -1); break;
    case RDR_KEY_RIGHT: if (shift) rdr_view_pan(v, 0.1 * w); else rdr_view_step(v, 1); break;
    case RDR_KEY_UP: v->scroll_y -= RDR_UNIT_ROW_H; break;
    case RDR_KEY_DOWN: v->scroll_y += RDR_UNIT_ROW_H; break;
    case RDR_KEY_PGUP: v->scroll_y -= v->lay.lanes_h * 9 / 10; break;
    case RDR_KEY_PGDN: v->scroll_y += v->lay.lanes_h * 9 / 10; break;
    case RDR_KEY_ESC: v->quit = true; break;
    case RDR_KEY_CHAR:
        switch (ev->ch) {
        case 'q': v->quit = true; break;
        case 'w': rdr_view_zoom(v, 1.5, rdr_key_anchor(v)); break;
        case 's': rdr_view_zoom(v, 1 / 1.5, rdr_key_anchor(v)); break;
        case 'a': rdr_view_pan(v, -0.1 * w); break;
        case 'd': rdr_view_pan(v, 0.1 * w); break;
        case 'f': v->show_flows = !v->show_flows; break;
        case 'g': v->ghost = !v->ghost; break;
        case '0': case 'r': rdr_view_set_window(v, 0, (double)v->total); break;
        default: break;
        }
        break;
    default: break;
    }
    rdr_clamp_scroll(v);
}

void rdr_view_event(rdr_view *v, const rdr_event *ev) {
    const rdr_layout *L = &v->lay;
    switch (ev->kind) {
    case RDR_EV_KEY: rdr_key(v, ev); break;
    case RDR_EV_MOVE:
        v->mouse_x = ev->x; v->mouse_y = ev->y; v->mouse_in = true;
        if (v->scrub) {
            rdr_view_set_playhead(v, rdr_view_t_at(v, ev->x));
        } else if (v->drag) {
            double npp = (v->t1 - v->t0) / L->plot_w;
            double w = v->t1 - v->t0;
            double t0 = v->drag_t0 - (ev->x - v->drag_x) * npp;
            rdr_view_set_window(v, t0, t0 + w);
            v->scroll_y = v->drag_scroll - (ev->y - v->drag_y);
            rdr_clamp_scroll(v);
        }
        break;
    case RDR_EV_DOWN:
        v->mouse_x = ev->x; v->mouse_y = ev->y; v->mouse_in = true;
        if (ev->button != 1) break;
        if (ev->y >= L->ruler_y && ev->y < L->ruler_y + L->ruler_h && ev->x >= L->plot_x) {
            v->scrub = true;
            rdr_view_set_playhead(v, rdr_view_t_at(v, ev->x));
        } else if (ev->y >= L->lanes_y && ev->y < L->footer_y) {
            v->drag = true;
            v->drag_x = ev->x; v->drag_y = ev->y;
            v->drag_t0 = v->t0;
            v->drag_scroll = v->scroll_y;
        }
        break;
    case RDR_EV_UP:
        if (ev->button == 1) v->drag = v->scrub = false;
        break;
    case RDR_EV_WHEEL:
        v->mouse_x = ev->x; v->mouse_y = ev->y;
        if (ev->mods & RDR_MOD_SHIFT) {
            v->scroll_y -= (int)(ev->wheel * 3 * RDR_UNIT_ROW_H);
            rdr_clamp_scroll(v);
        } else {
            rdr_view_zoom(v, pow(1.25, ev->wheel), ev->x);
        }
        break;
    case RDR_EV_RESIZE: rdr_view_resize(v, ev->x, ev->y); break;
    case RDR_EV_LEAVE: v->mouse_in = false; v->drag = v->scrub = false; break;
    case RDR_EV_QUIT: v->quit = true; break;
    default: break;
    }
}

bool rdr_view_tick(rdr_view *v, double dt_s) {
    if (!v->playing) return false;
    double before = v->playhead;
    bool followed = before >= v->t0 && before <= v->t1;
    rdr_view_set_playhead(v, before + dt_s * 1e9 * v->speed);
    if (v->playhead >= (double)v->total) v->playing = false;
    double w = v->t1 - v->t0;
    if (followed && v->playhead > v->t0 + 0.9 * w) rdr_view_set_window(v, v->playhead - 0.9 * w, v->playhead + 0.1 * w);
    return true;
}
