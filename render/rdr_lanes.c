/* Lane rows: unit states, lock owners, level tracks, their labels in the names
 * column, and the lane area as a whole (rdr_lanes). */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ lanes

rdr_cols rdr_cols_of(const rdr_ctx *cx, double a, double b) {
    const rdr_view *v = cx->v;
    rdr_cols c = { .wt0 = v->t0, .npp = cx->npp, .ncol = v->lay.plot_w, .a = a, .b = b };
    if (c.a < v->t0) c.a = v->t0;
    if (c.b > v->t1) c.b = v->t1;
    if (c.a < 0) c.a = 0;
    return c;
}

static void rdr_bucket_rect(rdr_view *v, int b, int x, int y, int w, int h, uint32_t color) {
    struct rdr_buckets *bk = v->buckets;
    ARR_GROW(bk->c[b], bk->n[b] + 1, bk->cap[b]);
    bk->c[b][bk->n[b]++] = (rdr_cmd){ .kind = RDR_CMD_RECT, .color = color, .x = x, .y = y, .w = w, .h = h };
}

static void rdr_bucket_flush(rdr_ctx *cx) {
    struct rdr_buckets *bk = cx->v->buckets;
    rdr_drawlist *dl = cx->dl;
    for (int b = 0; b < RDR_NBUCKETS; b++) {
        if (!bk->n[b]) continue;
        ARR_GROW(dl->cmds, dl->n + bk->n[b], dl->cap);
        memcpy(dl->cmds + dl->n, bk->c[b], bk->n[b] * sizeof *bk->c[b]);
        dl->n += bk->n[b];
        bk->n[b] = 0;
    }
}

/* Emits the unit lane's columns as merged rects, into the colour buckets. A
 * column that mixes states gets a strip at the bottom in the colour of the
 * next one (minority): at the whole-run zoom of a big run, the short sleeps
 * between computes still show. */
static void rdr_unit_cols(rdr_ctx *cx, uint32_t run, uint32_t u, int y, int h, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod_unit(rdr_lod_of(v, run), u, &c, cx->keys, ghost ? NULL : cx->minor, cx->acc, cx->dl);
    int x0 = v->lay.plot_x;
    int start = 0;
    uint32_t lane = cx->th->lane;
    for (int col = 1; col <= c.ncol; col++) {
        if (col < c.ncol && cx->keys[col] == cx->keys[start]) continue;
        int k = cx->keys[start];
        if (k >= 0) {
            uint32_t colr = ghost ? rdr_mix(lane, rdr_state_color((unsigned)k), 0.22) : rdr_state_color((unsigned)k);
            int bi = k + (ghost ? TRC_ST__COUNT : 0);
            if (k == TRC_ST_DONE) rdr_bucket_rect(v, bi, x0 + start, y + h / 2 - 3, col - start, 6, colr);
            else if (k == TRC_ST_IDLE) rdr_bucket_rect(v, bi, x0 + start, y + h / 4, col - start, h - h / 2, colr);
            else rdr_bucket_rect(v, bi, x0 + start, y, col - start, h, colr);
            cx->dl->lane_rects++;
        }
        start = col;
    }
    if (ghost) return;
    int sh = h / 4 > 2 ? h / 4 : 2;
    start = 0;
    for (int col = 1; col <= c.ncol; col++) {
        if (col < c.ncol && cx->minor[col] == cx->minor[start]) continue;
        int k = cx->minor[start];
        if (k >= 0) {
            rdr_bucket_rect(v, 2 * TRC_ST__COUNT + k, x0 + start, y + h - sh, col - start, sh, rdr_state_color((unsigned)k));
            cx->dl->lane_rects++;
        }
        start = col;
    }
}

const char *rdr_obj_name(const trc_run *run, uint32_t obj) {
    if (!obj || obj > run->nobjects) return "?";
    return run->objects[obj - 1].name ? run->objects[obj - 1].name : "?";
}

/* Short names of object kinds for the names column. */
const char *rdr_kind_tag(uint32_t kind) {
    switch (kind) {
    case TRC_OBJ_LOCK: return "lock";
    case TRC_OBJ_RLOCK: return "rlock";
    case TRC_OBJ_SEMAPHORE: return "sem";
    case TRC_OBJ_EVENT: return "event";
    case TRC_OBJ_BARRIER: return "barrier";
    case TRC_OBJ_RWLOCK: return "rwlock";
    case TRC_OBJ_COUNTER: return "counter";
    case TRC_OBJ_QUEUE: return "queue";
    case TRC_OBJ_PIPE: return "pipe";
    default: return trc_obj_kind_name(kind);
    }
}

/* What a blocked span waits for: "L", "put jobs", "join worker.1", "wait ready". */
void rdr_blocked_text(const trc_model *m, const trc_span *sp, char *full, size_t cap, const char **shortl) {
    const trc_run *run = m->run;
    if (sp->op == TRC_OP_JOIN && !sp->obj) {
        *shortl = sp->target < run->nunits && run->units[sp->target].name ? run->units[sp->target].name : "?";
        snprintf(full, cap, "join %s", *shortl);
    } else if (sp->op == TRC_OP_RESULT && !sp->obj) {
        *shortl = "result";
        snprintf(full, cap, "result #%llu", (unsigned long long)sp->target);
    } else if (sp->op == TRC_OP_RESULT) {
        *shortl = "result";
        snprintf(full, cap, "result #%llu", (unsigned long long)sp->target);
    } else if (sp->op == TRC_OP_LOCK || sp->op == TRC_OP_NONE) {
        *shortl = rdr_obj_name(run, sp->obj);
        snprintf(full, cap, "%s", *shortl);
    } else {
        *shortl = rdr_obj_name(run, sp->obj);
        snprintf(full, cap, "%s %s", trc_op_name(sp->op), *shortl);
    }
}

/* Whether unit u has a mark in [ta, tb] (its label would cover a name there). */
bool rdr_mark_in(const trc_model *m, uint32_t u, double ta, double tb) {
    size_t a = 0, b = m->nmarks;
    while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->marks[mid].t < ta) a = mid + 1; else b = mid; }
    for (size_t i = a, n = 0; i < m->nmarks && (double)m->marks[i].t <= tb && n < 64; i++, n++)
        if (m->marks[i].unit == u) return true;
    a = 0, b = m->ninstants;   /* thread-local sets are labelled too */
    while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->instants[mid].t < ta) a = mid + 1; else b = mid; }
    for (size_t i = a, n = 0; i < m->ninstants && (double)m->instants[i].t <= tb && n < 64; i++, n++)
        if (m->instants[i].unit == u && m->instants[i].kind == TRC_EV_LOCAL_SET) return true;
    return false;
}

/* Under an owner track: how many units wait for the object (a bar per column,
 * one step per waiter, in the blocked colour). */
static void rdr_owner_waiters(rdr_ctx *cx, uint32_t run, uint32_t obj, int y, int hmax, double reveal) {
    rdr_view *v = cx->v;
    if (hmax < 2) return;
    rdr_cols c = rdr_cols_of(cx, 0, reveal);
    if (!(c.b > c.a)) return;
    rdr_lod_waiters(rdr_lod_of(v, run), obj, &c, cx->vals, cx->dl);
    int x0 = v->lay.plot_x, start = 0;
    uint32_t col = rdr_state_color(TRC_ST_BLOCKED);
    for (int k = 1; k <= c.ncol; k++) {
        if (k < c.ncol && cx->vals[k] == cx->vals[start]) continue;
        int64_t n = cx->vals[start];
        if (n > 0 && n != RDR_NO_VALUE) {
            int h = n * 2 < hmax ? (int)n * 2 : hmax;
            rdr_dl_rect(cx->dl, x0 + start, y + 1, k - start, h, col);
        }
        start = k;
    }
}

/* Owner tracks: coloured by who holds (or set) the object, with its name when it fits. */
static void rdr_owner_cols(rdr_ctx *cx, uint32_t run, uint32_t obj, int y, int h, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod_owner(rdr_lod_of(v, run), obj, &c, cx->okeys, cx->dl);
    int x0 = v->lay.plot_x, start = 0;
    for (int col = 1; col <= c.ncol; col++) {
        if (col < c.ncol && cx->okeys[col] == cx->okeys[start]) continue;
        uint32_t k = cx->okeys[start];
        if (k) {
            uint32_t colr = rdr_owner_color((k & ~RDR_OWNER_PART) - 1);
            if (ghost) colr = rdr_mix(cx->th->lane, colr, 0.22);
            if (k & RDR_OWNER_PART) rdr_dl_rect(cx->dl, x0 + start, y + h / 3, col - start, h - 2 * (h / 3), colr);
            else rdr_dl_rect(cx->dl, x0 + start, y, col - start, h, colr);
        }
        start = col;
    }
    if (ghost) return;
    size_t n;
    const trc_owner_span *ow = rdr_owners(&v->models[run], obj, &n);
    size_t ia = rdr_owner_lower(ow, n, (uint64_t)c.a);
    size_t ib = rdr_owner_lower(ow, n, (uint64_t)ceil(c.b));
    if (ib - ia > (size_t)v->lay.plot_w / 24) return;
    const trc_run *r = v->models[run].run;
    for (size_t i = ia; i < n && (double)ow[i].t0 < c.b; i++) {
        const trc_owner_span *sp = &ow[i];
        double s0 = (double)sp->t0 > c.a ? (double)sp->t0 : c.a;
        double s1 = (double)sp->t1 < c.b ? (double)sp->t1 : c.b;
        int lx0 = (int)rdr_view_x_of(v, s0) + 4, lx1 = (int)rdr_view_x_of(v, s1) - 3;
        if (lx1 - lx0 < 3 * RDR_CHAR_W || sp->owner >= r->nunits || !r->units[sp->owner].name) continue;
        const char *nm = r->units[sp->owner].name;
        if (rdr_tw(cx, RDR_FONT_REGULAR, nm, strlen(nm)) <= lx1 - lx0)
            rdr_text(cx, lx0, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, cx->th->on_pastel, nm);
    }
}


int rdr_level_y(const rdr_scale *sc, int64_t v) {
    /* in double: a counter may hold any int64, and v - lo may not fit one */
    double h = ((double)v - (double)sc->lo) * sc->px_per;
    if (!(h < sc->hmax)) h = sc->hmax;   /* also NaN */
    if (h < 0) h = 0;
    return sc->base - (int)lround(h);
}

/* Draws the column values in cx->vals (of c) as a filled step graph. */
void rdr_level_draw(rdr_ctx *cx, const rdr_cols *cp, const rdr_scale *sc, uint32_t fill, uint32_t edge) {
    rdr_view *v = cx->v;
    rdr_cols c = *cp;
    int x0 = v->lay.plot_x, start = 0, prev_y = INT32_MIN;
    int y_zero = rdr_level_y(sc, 0);
    for (int col = 1; col <= c.ncol; col++) {
        if (col < c.ncol && cx->vals[col] == cx->vals[start]) continue;
        int64_t val = cx->vals[start];
        if (val != RDR_NO_VALUE) {
            int yv = rdr_level_y(sc, val);
            if (val != 0 && yv == y_zero) yv += val > 0 ? -1 : 1;   /* a non-zero value always shows */
            int top = yv < y_zero ? yv : y_zero, bot = yv < y_zero ? y_zero : yv;
            rdr_dl_rect(cx->dl, x0 + start, top, col - start, bot - top, fill);
            rdr_dl_rect(cx->dl, x0 + start, yv - 1, col - start, 1, edge);
            if (prev_y != INT32_MIN && prev_y != yv) {   /* the step's riser */
                int lo = prev_y < yv ? prev_y : yv, hi = prev_y < yv ? yv : prev_y;
                rdr_dl_rect(cx->dl, x0 + start, lo - 1, 1, hi - lo + 1, edge);
            }
            prev_y = yv;
        } else {
            prev_y = INT32_MIN;
        }
        start = col;
    }
}

static void rdr_level_cols(rdr_ctx *cx, uint32_t run, uint32_t obj, const rdr_scale *sc, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod_level(rdr_lod_of(v, run), obj, &c, cx->vals, cx->dl);
    uint32_t fill = ghost ? rdr_mix(cx->th->lane, cx->th->queue, 0.22) : cx->th->queue;
    uint32_t edge = ghost ? rdr_mix(cx->th->lane, cx->th->queue_edge, 0.3) : cx->th->queue_edge;
    rdr_level_draw(cx, &c, sc, fill, edge);
}


bool rdr_has_capacity(const trc_object *ob) {
    return ob->capacity > 0 &&
           (ob->kind == TRC_OBJ_QUEUE || ob->kind == TRC_OBJ_SEMAPHORE || ob->kind == TRC_OBJ_BARRIER);
}

/* "depth 3/4", "in use 2/3", "arrived 1/4", "value -7", "readers 2" */
void rdr_level_text(char *s, size_t cap, const trc_object *ob, int64_t v) {
    const char *what = ob->kind == TRC_OBJ_QUEUE ? "depth" : ob->kind == TRC_OBJ_SEMAPHORE ? "in use"
                     : ob->kind == TRC_OBJ_BARRIER ? "arrived" : ob->kind == TRC_OBJ_RWLOCK ? "readers"
                     : ob->kind == TRC_OBJ_PIPE ? "bytes in it" : "value";
    if (rdr_has_capacity(ob)) snprintf(s, cap, "%s %lld/%lld", what, (long long)v, (long long)ob->capacity);
    else snprintf(s, cap, "%s %lld", what, (long long)v);
}

//~ counters: one scale per run, the expected value, lost updates

/* The value without lost updates: the final value plus what racy writes lost
 * (false when nothing was lost, or it does not fit an int64). */
static bool rdr_counter_ideal(const trc_object_track *ot, int64_t *out) {
    if (!ot->lost_updates || !ot->has_value) return false;
    return !__builtin_add_overflow(ot->final_value, (int64_t)ot->lost_updates, out);
}

/* Counters of one run share a scale, so a racy counter that ends at 301 draws
 * lower than a locked one that ends at 1000; the expected values and the
 * values without lost updates are on it too. */
void rdr_counter_range(rdr_ctx *cx, uint32_t run, int64_t *lo, int64_t *hi) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[run];
    const struct rdr_expect *x = v->expect[run];
    int64_t a = 0, b = 1;
    bool any = false;
    for (uint32_t o = 1; o <= m->run->nobjects; o++) {
        if (m->run->objects[o - 1].kind != TRC_OBJ_COUNTER) continue;
        int64_t l, h, ideal;
        rdr_lod_level_range(rdr_lod_of(v, run), o, &l, &h);
        if (!any || l < a) a = l;
        if (!any || h > b) b = h;
        any = true;
        if (x && x->obj[o - 1].has) {
            if (x->obj[o - 1].value < a) a = x->obj[o - 1].value;
            if (x->obj[o - 1].value > b) b = x->obj[o - 1].value;
        }
        if (rdr_counter_ideal(&m->objects[o - 1], &ideal)) {
            if (ideal < a) a = ideal;
            if (ideal > b) b = ideal;
        }
    }
    if (a > 0) a = 0;
    if (b <= a) { if (a < INT64_MAX) b = a + 1; else a = b - 1; }
    *lo = a;
    *hi = b;
}

/* A dashed horizontal line at value val across the plot, with a label at its right end. */
static void rdr_value_line(rdr_ctx *cx, const rdr_scale *sc, int64_t val, uint32_t col, const char *label, int row_y) {
    rdr_view *v = cx->v;
    int cy = rdr_level_y(sc, val) - 1;
    for (int x = 0; x < v->lay.plot_w; x += 7)
        rdr_dl_rect(cx->dl, v->lay.plot_x + x, cy, x + 4 <= v->lay.plot_w ? 4 : v->lay.plot_w - x, 2, col);
    int tw = rdr_tw(cx, RDR_FONT_REGULAR, label, strlen(label));
    int lx = v->lay.plot_x + v->lay.plot_w - tw - 6, ly = cy - cx->line_h + 1;
    if (ly < row_y) ly = cy + 3;
    if (!rdr_label_free(cx, lx - 3, ly, tw + 6, cx->line_h)) return;   /* a box only with its text */
    rdr_dl_rect(cx->dl, lx - 3, ly, tw + 6, cx->line_h, cx->th->label_bg);
    rdr_text(cx, lx, ly, RDR_FONT_REGULAR, col, label);
}

void rdr_counter_marks(rdr_ctx *cx, const rdr_row *row, int y, const rdr_scale *sc, double reveal) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_object_track *ot = &m->objects[row->id - 1];
    const struct rdr_expect *x = v->expect[row->run];
    char s[96];
    int64_t ideal;
    bool has_exp = x && x->obj[row->id - 1].has;
    bool has_ideal = rdr_counter_ideal(ot, &ideal);
    if (has_exp && has_ideal && x->obj[row->id - 1].op[0] != '=') has_exp = false;   /* a bound: the lost updates say more */
    if (has_exp) {
        const rdr_expect_one *e = &x->obj[row->id - 1];
        if (e->op[0] == '=') snprintf(s, sizeof s, "expected %lld", (long long)e->value);
        else snprintf(s, sizeof s, "expect %s %lld", e->op, (long long)e->value);
        rdr_value_line(cx, sc, e->value, cx->th->text, s, y);
    }
    if (has_ideal && !(has_exp && x->obj[row->id - 1].value == ideal)) {
        snprintf(s, sizeof s, "%lld without the lost updates", (long long)ideal);
        rdr_value_line(cx, sc, ideal, cx->th->alert, s, y);
    }
    if (!ot->lost_updates) return;
    /* a red tick under each racy write that lost updates (one per pixel at most) */
    double hi = fmin(v->t1, reveal);
    size_t a = 0, b = m->ninstants;
    while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->instants[mid].t < v->t0) a = mid + 1; else b = mid; }
    int last_x = INT32_MIN;
    for (size_t i = a, n = 0; i < m->ninstants && (double)m->instants[i].t <= hi && n < 200000; i++, n++) {
        const trc_instant *in = &m->instants[i];
        if (in->kind != TRC_EV_COUNTER_WRITE || in->obj != row->id || (int32_t)in->extra <= 0) continue;
        int px = (int)lround(rdr_view_x_of(v, (double)in->t));
        if (px == last_x) continue;
        last_x = px;
        rdr_dl_rect(cx->dl, px, y + row->h - 7, 1, 6, cx->th->alert);
    }
}

static void rdr_row_label(rdr_ctx *cx, const rdr_row *row, int y) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_run *run = m->run;
    int lw = v->lay.label_w;
    int ty = y + (row->h - cx->line_h) / 2;
    char s[256];
    uint64_t at = (uint64_t)fmax(fmin(cx->reveal, (double)m->makespan), 0);
    switch (row->kind) {
    case RDR_ROW_RUN:
        snprintf(s, sizeof s, "run %u", row->run + 1);
        rdr_text_fit(cx, 8, ty, RDR_FONT_BOLD, cx->th->text, s, lw - 10);
        break;
    case RDR_ROW_PROC: rdr_group_label(cx, row, y); break;
    case RDR_ROW_UNIT: {
        const trc_unit_track *ut = &m->units[row->id];
        const trc_span *sp = ut->nspans ? trc_model_span_at(m, row->id, at) : NULL;
        if (cx->reveal >= (double)m->makespan && ut->exited) sp = NULL;
        int sx = 8;
        if (rdr_view_group_of(v, row->run, row->id) != UINT32_MAX) {   /* in a process group: indented under its header */
            rdr_dl_rect(cx->dl, 10, y, 1, row->h, cx->th->text_dim);
            sx = 16;
        }
        if (sp && (double)sp->t0 <= cx->reveal)
            rdr_dl_rect(cx->dl, sx, y + 4, 4, row->h - 8, rdr_state_color(sp->state));
        else if (ut->exited && (double)ut->t_exit <= cx->reveal)
            rdr_dl_rect(cx->dl, sx, y + 4, 4, row->h - 8, rdr_state_color(TRC_ST_DONE));
        const char *name = run->units[row->id].name ? run->units[row->id].name : "?";
        uint32_t tc = ut->aborted || (ut->died && !ut->killed) ? cx->th->alert : ut->killed ? cx->th->text_dim
                    : cx->th->text;
        bool chip = rdr_lod_owns(rdr_lod_of(v, row->run), row->id);
        int nx = sx + 10 + rdr_text_fit(cx, sx + 10, ty, RDR_FONT_REGULAR, tc, name, lw - sx - 14 - (chip ? 14 : 0));
        if (ut->pid > 0 && nx + 6 * RDR_CHAR_W < lw - (chip ? 14 : 0)) {   /* processes: its process's pid */
            snprintf(s, sizeof s, "%d", (int)ut->pid);
            rdr_text_fit(cx, nx + RDR_CHAR_W, ty, RDR_FONT_REGULAR, cx->th->text_dim, s,
                         lw - nx - RDR_CHAR_W - 4 - (chip ? 14 : 0));
        }
        /* its colour on the lock tracks: the key to who holds what */
        if (chip) rdr_dl_rect(cx->dl, lw - 14, y + row->h / 2 - 5, 8, 10, rdr_owner_color(row->id));
        break;
    }
    case RDR_ROW_POOL: {
        const trc_object *ob = &run->objects[row->id - 1];
        const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
        int x = 18;
        ty = y + 3;
        x += rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, cx->th->text, ob->name ? ob->name : "?", lw - 22 - 5 * RDR_CHAR_W);
        rdr_text(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, cx->th->text_dim, "pool");
        int64_t busy = p ? trc_sample_at(p->busy, p->nbusy, at) : 0, live = p ? trc_sample_at(p->live, p->nlive, at) : 0;
        if (cx->reveal >= (double)m->makespan) busy = live = 0;
        snprintf(s, sizeof s, "%lld/%lld busy, %lld queued", (long long)busy, (long long)ob->capacity,
                 (long long)(live - busy));
        if (row->h >= 2 * cx->line_h + 2) rdr_text_fit(cx, 18, ty + cx->line_h, RDR_FONT_REGULAR, cx->th->text_dim, s, lw - 22);
        rdr_dl_rect(cx->dl, 8, y + 5, 4, row->h - 10, busy ? RDR_COL_FUT_RUNNING : live ? RDR_COL_FUT_PENDING : cx->th->grid);
        break;
    }
    case RDR_ROW_FUTURE: {
        const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
        if (p && row->lane == RDR_LANE_MORE) {
            snprintf(s, sizeof s, "+%u lanes", p->nlanes - (RDR_MAX_FUTURE_LANES - 1));
            rdr_text_fit(cx, 34, ty, RDR_FONT_REGULAR, cx->th->text_dim, s, lw - 38);
            break;
        }
        if (!p || row->lane >= p->nlanes) break;
        const uint32_t *futs = p->futs + p->foff[row->lane];
        size_t n = p->foff[row->lane + 1] - p->foff[row->lane];
        size_t i = rdr_future_lower(m, futs, n, at);
        const trc_future *f = i < n && (double)m->futures[futs[i]].t_begin <= cx->reveal &&
                              cx->reveal < (double)m->makespan ? &m->futures[futs[i]] : NULL;
        int k = f ? rdr_future_key_at(f, at) : -1;
        if (k >= 0) rdr_dl_rect(cx->dl, 24, y + 3, 4, row->h - 6, rdr_future_color((unsigned)k));
        if (row->h < cx->line_h) break;
        static const char *const kn[RDR_FK__COUNT] = { "queued", "running", "done", "cancelled", "failed" };
        if (k >= 0 && f->task) snprintf(s, sizeof s, "#%llu %s %s", (unsigned long long)f->id, f->task, kn[k]);
        else if (k >= 0) snprintf(s, sizeof s, "#%llu %s", (unsigned long long)f->id, kn[k]);
        else snprintf(s, sizeof s, "lane %u", row->lane + 1);
        rdr_text_fit(cx, 34, ty, RDR_FONT_REGULAR, cx->th->text_dim, s, lw - 38);
        break;
    }
    case RDR_ROW_MEM: rdr_mem_label(cx, row, y, lw, at); break;
    case RDR_ROW_NOTSTARTED:   /* the units with no lane: quiet, the hover names them */
        snprintf(s, sizeof s, "%u unit%s never started", row->id, row->id == 1 ? "" : "s");
        rdr_text_fit(cx, 18, ty, RDR_FONT_REGULAR, cx->th->text_dim, s, lw - 22);
        break;
    case RDR_ROW_LEVEL:
    case RDR_ROW_OWNER: {
        const trc_object *ob = &run->objects[row->id - 1];
        const char *tag = rdr_kind_tag(ob->kind);
        int tagw = rdr_tw(cx, RDR_FONT_REGULAR, tag, strlen(tag)) + RDR_CHAR_W;
        int x = 18;
        if (row->kind == RDR_ROW_LEVEL) {
            ty = y + 4;
            size_t n;
            const trc_sample *smp = rdr_series(m, row->id, &n);
            x += rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, cx->th->text, ob->name ? ob->name : "?", lw - 22 - tagw);
            rdr_text(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, cx->th->text_dim, tag);
            rdr_level_text(s, sizeof s, ob, trc_sample_at(smp, n, at));
            const trc_object_track *ot = &m->objects[row->id - 1];
            if (ob->kind == TRC_OBJ_COUNTER && ot->lost_updates) {
                size_t sl = strlen(s);
                if (cx->reveal >= (double)m->makespan)
                    snprintf(s + sl, sizeof s - sl, " \xc2\xb7 %llu lost", (unsigned long long)ot->lost_updates);
                else
                    snprintf(s + sl, sizeof s - sl, " \xc2\xb7 %lld lost",
                             (long long)rdr_lod_lost_at(rdr_lod_of(v, row->run), row->id, at));
            }
            rdr_text_fit(cx, 18, ty + cx->line_h, RDR_FONT_REGULAR, cx->th->text_dim, s, lw - 22);
            rdr_dl_rect(cx->dl, 8, y + 5, 4, row->h - 10, cx->th->queue);
        } else {
            if (row->h >= 2 * cx->line_h) ty = y + (row->h - 2 * cx->line_h) / 2;
            x += rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, cx->th->text, ob->name ? ob->name : "?", lw - 22 - tagw);
            rdr_text(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, cx->th->text_dim, tag);
            size_t n;
            const trc_owner_span *ow = rdr_owners(m, row->id, &n);
            size_t i = rdr_owner_lower(ow, n, at);
            bool held = i < n && (double)ow[i].t0 <= cx->reveal &&
                        (cx->reveal < (double)m->makespan || ow[i].t1 >= m->makespan);   /* held to the end */
            rdr_dl_rect(cx->dl, 8, y + 4, 4, row->h - 8, held ? rdr_owner_color(ow[i].owner) : cx->th->grid);
            if (held) {   /* who holds it now, in words and in its colour: names do not always fit on the bar */
                const char *who = rdr_unit_name(run, ow[i].owner);
                bool event = ob->kind == TRC_OBJ_EVENT;
                snprintf(s, sizeof s, "%s %s", event ? "set by" : "held by", who);
                int w2 = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
                if (row->h >= 2 * cx->line_h && w2 + 30 <= lw) {
                    rdr_dl_rect(cx->dl, 18, ty + cx->line_h + 3, 8, 10, rdr_owner_color(ow[i].owner));
                    rdr_text_fit(cx, 30, ty + cx->line_h, RDR_FONT_REGULAR, cx->th->text_dim, s, lw - 34);
                }
            }
        }
        break;
    }
    default: break;
    }
}

/* Gap above and below a bar: 2 px in 20 px rows, 4 px in 28 px rows. */
int rdr_bar_pad(int h) { return h >= 16 ? (h - 12) / 4 : 1; }

static void rdr_row_content(rdr_ctx *cx, const rdr_row *row, int y) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    double end = (double)m->makespan;
    double reveal = cx->reveal < end ? cx->reveal : end;
    switch (row->kind) {
    case RDR_ROW_RUN: {   /* the run's title line, across the plot */
        const trc_run *run = m->run;
        char s[512], mk[32], tail[96];
        rdr_fmt_dur(mk, sizeof mk, end);
        /* the facts first: what is cut, when the line is too long, is the scenario's title */
        snprintf(s, sizeof s, "%s \xc2\xb7 %s", run->backend ? run->backend : "?", run->scenario ? run->scenario : "");
        snprintf(tail, sizeof tail, " \xc2\xb7 makespan %s \xc2\xb7 ended: ", mk);
        const char *verdict = trc_run_end_name(run->end_reason);
        bool bad = run->end_reason != TRC_END_OK;
        int vf = bad ? RDR_FONT_BOLD : RDR_FONT_REGULAR;
        int tw = rdr_tw(cx, RDR_FONT_REGULAR, tail, strlen(tail)), vw = rdr_tw(cx, vf, verdict, strlen(verdict));
        int ty = y + (row->h - cx->line_h) / 2, x = v->lay.plot_x + 4;
        int room = v->lay.plot_w - 120 - tw - vw;
        const char *bk = run->backend ? run->backend : "?";
        int bw = rdr_tw(cx, RDR_FONT_REGULAR, bk, strlen(bk));
        if (room < bw + rdr_tw(cx, RDR_FONT_REGULAR, " \xc2\xb7 \xe2\x80\xa6", 6)) {
            /* no room for the title: the backend alone, whole (it was cut to "threa..." before the
             * margin kept at the right was touched), in that margin if need be */
            snprintf(s, sizeof s, "%s", bk);
            room = v->lay.plot_w - 8 - tw - vw < bw ? v->lay.plot_w - 8 - tw - vw : bw;
        }
        int w = rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, cx->th->text_dim, s, room);
        w += rdr_text(cx, x + w, ty, RDR_FONT_REGULAR, cx->th->text_dim, tail);
        rdr_text(cx, x + w, ty, vf, bad ? RDR_COL_ALERT : cx->th->text_dim, verdict);
        break;
    }
    case RDR_ROW_PROC: {   /* the stacked states of the group's units: a strip open, the whole row folded */
        int pad = rdr_bar_pad(row->h), bh = v->groups[row->run]->folded[row->id] ? row->h - 2 * pad : 6;
        rdr_group_cols(cx, row, y + row->h - pad - bh, bh, reveal);
        break;
    }
    case RDR_ROW_UNIT: {
        int pad = rdr_bar_pad(row->h), by = y + pad, bh = row->h - 2 * pad;
        rdr_unit_cols(cx, row->run, row->id, by, bh, 0, reveal, false);
        if (v->ghost) rdr_unit_cols(cx, row->run, row->id, by, bh, reveal, end, true);
        break;
    }
    case RDR_ROW_OWNER: {
        int pad = rdr_bar_pad(row->h) + 2, by = y + pad, bh = row->h - 2 * pad;
        rdr_owner_waiters(cx, row->run, row->id, by + bh, pad - 1, reveal);
        rdr_owner_cols(cx, row->run, row->id, by, bh, 0, reveal, false);
        if (v->ghost) rdr_owner_cols(cx, row->run, row->id, by, bh, reveal, end, true);
        break;
    }
    case RDR_ROW_POOL: {
        rdr_scale sc;
        rdr_pool_scale(cx, row, y, &sc);
        rdr_dl_rect(cx->dl, v->lay.plot_x, rdr_level_y(&sc, 0), v->lay.plot_w, 1, cx->th->grid);
        rdr_pool_cols(cx, row->run, row->id, &sc, 0, reveal, false);
        if (v->ghost) rdr_pool_cols(cx, row->run, row->id, &sc, reveal, end, true);
        int64_t workers = m->run->objects[row->id - 1].capacity;
        if (workers > 0) {   /* dashed worker line */
            int cy = rdr_level_y(&sc, workers) - 1;
            for (int x = 0; x < v->lay.plot_w; x += 10)
                rdr_dl_rect(cx->dl, v->lay.plot_x + x, cy, x + 6 <= v->lay.plot_w ? 6 : v->lay.plot_w - x, 1,
                            0xb0000000u | (cx->th->capacity & 0xffffffu));
        }
        break;
    }
    case RDR_ROW_FUTURE: {
        if (row->lane == RDR_LANE_MORE) {
            rdr_text(cx, v->lay.plot_x + 6, y + (row->h - cx->line_h) / 2, RDR_FONT_REGULAR, cx->th->text_dim,
                     "more futures at once than lanes drawn: the pool row above counts them all");
            break;
        }
        int pad = row->h >= 12 ? 2 : 1, by = y + pad, bh = row->h - 2 * pad;
        rdr_future_cols(cx, row, by, bh, 0, reveal, false);
        if (v->ghost) rdr_future_cols(cx, row, by, bh, reveal, end, true);
        break;
    }
    case RDR_ROW_LEVEL: {
        const trc_object *ob = &m->run->objects[row->id - 1];
        int64_t lo, hi;
        if (ob->kind == TRC_OBJ_COUNTER) rdr_counter_range(cx, row->run, &lo, &hi);
        else rdr_lod_level_range(rdr_lod_of(v, row->run), row->id, &lo, &hi);
        rdr_scale sc = { .base = y + row->h - 4, .hmax = row->h - 10, .lo = lo };
        sc.px_per = (double)sc.hmax / ((double)hi - (double)lo);
        rdr_dl_rect(cx->dl, v->lay.plot_x, rdr_level_y(&sc, 0), v->lay.plot_w, 1, cx->th->grid);
        rdr_level_cols(cx, row->run, row->id, &sc, 0, reveal, false);
        if (v->ghost) rdr_level_cols(cx, row->run, row->id, &sc, reveal, end, true);
        if (rdr_has_capacity(ob)) {   /* dashed capacity line */
            int cy = rdr_level_y(&sc, ob->capacity) - 1;
            for (int x = 0; x < v->lay.plot_w; x += 10)
                rdr_dl_rect(cx->dl, v->lay.plot_x + x, cy, x + 6 <= v->lay.plot_w ? 6 : v->lay.plot_w - x, 1,
                            0xb0000000u | (cx->th->capacity & 0xffffffu));
        }
        if (ob->kind == TRC_OBJ_COUNTER) rdr_counter_marks(cx, row, y, &sc, reveal);
        break;
    }
    case RDR_ROW_MEM: rdr_mem_content(cx, row, y, reveal); break;
    default: break;
    }
}


/* Where a unit's events were lost (the model's gaps): a hatch over the lane,
 * at least 5 px wide so that a gap of a few events stays visible at any zoom
 * (issue 7); the UNKNOWN state's colour under it runs to the unit's next event.
 * Gaps that fall in one pixel column are drawn once. */
static void rdr_gaps(rdr_ctx *cx, size_t first, size_t last) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    const int xmin = L->plot_x, xmax = L->plot_x + L->plot_w;
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        if (row->kind != RDR_ROW_UNIT) continue;
        rdr_at_run(cx, row->run);
        const trc_unit_track *ut = &v->models[row->run].units[row->id];
        if (!ut->ngaps) continue;
        int pad = rdr_bar_pad(row->h);
        int y = L->lanes_y + row->y - v->scroll_y + pad, h = row->h - 2 * pad;
        if (h < 3) continue;
        int drawn_to = INT32_MIN;
        for (size_t g = 0; g < ut->ngaps; g++) {
            const trc_gap *gp = &ut->gaps[g];
            double t0 = (double)gp->t0, t1 = (double)gp->t1;
            if (t0 > cx->reveal || t1 < v->t0 - 4 * cx->npp || t0 > v->t1) continue;
            double fx0 = rdr_view_x_of(v, t0), fx1 = rdr_view_x_of(v, t1);
            int xa = (int)floor(fx0), xb = (int)ceil(fx1);
            if (xb - xa < 5) { int mid = (xa + xb) / 2; xa = mid - 2; xb = mid + 3; }
            if (xa < xmin) xa = xmin;
            if (xb > xmax) xb = xmax;
            if (xa < drawn_to) xa = drawn_to;
            if (xb <= xa) continue;
            drawn_to = xb;
            rdr_dl_rect(cx->dl, xa, y, xb - xa, 1, RDR_COL_ALERT);
            rdr_dl_rect(cx->dl, xa, y + h - 1, xb - xa, 1, RDR_COL_ALERT);
            /* diagonals every 5 px, each clipped to [xa, xb) */
            for (int x = xa - h - (xa % 5 + 5) % 5; x < xb; x += 5) {
                int s0 = xa - x > 0 ? xa - x : 0, s1 = xb - 1 - x < h - 1 ? xb - 1 - x : h - 1;
                if (s0 > s1) continue;
                rdr_dl_line(cx->dl, x + s0, y + h - 1 - s0, x + s1, y + h - 1 - s1, RDR_COL_ALERT);
            }
        }
    }
}

void rdr_lanes(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_clip(cx, 0, L->lanes_y, L->timeline_w, L->lanes_h);
    /* first visible row */
    size_t lo = 0, hi = L->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->rows[mid].y + L->rows[mid].h <= v->scroll_y) lo = mid + 1; else hi = mid;
    }
    size_t first = lo, last = lo;
    while (last < L->nrows && L->rows[last].y < v->scroll_y + L->lanes_h) last++;
    /* backgrounds */
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        int y = L->lanes_y + row->y - v->scroll_y;
        uint32_t bg = row->kind == RDR_ROW_RUN || row->kind == RDR_ROW_PROC ? cx->th->panel
                    : (i & 1) ? cx->th->lane_alt : cx->th->lane;
        rdr_dl_rect(cx->dl, 0, y, L->timeline_w, row->h, bg);
    }
    /* grid at the ruler's major ticks */
    double step = rdr_ruler_step(cx);
    for (double t = ceil(v->t0 / step) * step; t <= v->t1; t += step) {
        int x = (int)lround(rdr_view_x_of(v, t));
        rdr_dl_rect(cx->dl, x, L->lanes_y, 1, L->lanes_h, cx->th->grid);
    }
    /* contents, clipped to the plot */
    rdr_clip(cx, L->plot_x, L->lanes_y, L->plot_w, L->lanes_h);
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        rdr_at_run(cx, row->run);
        rdr_row_content(cx, row, L->lanes_y + row->y - v->scroll_y);
    }
    rdr_at_axis(cx);
    rdr_bucket_flush(cx);
    rdr_gaps(cx, first, last);
    rdr_at_axis(cx);
    rdr_timeouts(cx, first, last);
    rdr_at_axis(cx);
    for (size_t i = first; i < last; i++) {   /* future lanes' caps and names */
        const rdr_row *row = &L->rows[i];
        rdr_at_run(cx, row->run);
        const trc_model *m = &v->models[row->run];
        double reveal = cx->reveal < (double)m->makespan ? cx->reveal : (double)m->makespan;
        int y = L->lanes_y + row->y - v->scroll_y;
        if (row->kind == RDR_ROW_FUTURE) {
            int pad = row->h >= 12 ? 2 : 1;
            rdr_future_details(cx, (int)i, row, y + pad, row->h - 2 * pad, reveal);
        }
    }
    rdr_at_axis(cx);
    /* each of these moves into a run's time as it goes, and back to the axis after */
    rdr_span_labels(cx, first, last);   /* names inside slices go over the bars, widest first */
    rdr_at_axis(cx);
    if (v->flows != RDR_FLOWS_OFF) rdr_flows(cx);
    rdr_at_axis(cx);
    rdr_stuck(cx);
    rdr_at_axis(cx);
    rdr_killed(cx, first, last, true);
    rdr_at_axis(cx);
    rdr_marks(cx);
    rdr_at_axis(cx);
    rdr_instants(cx);
    rdr_at_axis(cx);
    rdr_killed(cx, first, last, false);
    rdr_at_axis(cx);
    rdr_row_marks(cx, first, last);
    rdr_at_axis(cx);
    /* labels, clipped to the names column */
    rdr_clip(cx, 0, L->lanes_y, L->label_w, L->lanes_h);
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        rdr_at_run(cx, row->run);
        rdr_row_label(cx, row, L->lanes_y + row->y - v->scroll_y);
    }
    rdr_at_axis(cx);
    rdr_clip(cx, 0, L->lanes_y, L->timeline_w, L->lanes_h);
    rdr_dl_rect(cx->dl, L->label_w, L->lanes_y, 1, L->lanes_h, cx->th->grid);
    if (L->content_h > L->lanes_h) {   /* scroll bar */
        int bh = L->lanes_h * L->lanes_h / L->content_h;
        if (bh < 16) bh = 16;
        int by = L->lanes_y + (L->lanes_h - bh) * v->scroll_y / (L->content_h - L->lanes_h);
        rdr_dl_rect(cx->dl, L->timeline_w - 6, by, 4, bh, cx->th->scroll);
    }
    rdr_clip(cx, 0, 0, 0, 0);
}
