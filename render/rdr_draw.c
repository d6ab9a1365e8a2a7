/* The frame: view + models -> draw list, immediate mode. No SDL here.
 *
 * Phases, top to bottom of the screen, back to front:
 *   background, lane rows (backgrounds, grid, state columns, object tracks,
 *   labels), flows and marks, playhead, header, ruler, footer, hover tooltip.
 * Everything after the playhead is hidden (or ghosted with 'g'), so playing
 * the playhead makes the run unfold. Per-frame cost is bounded by the window
 * size and the number of visible rows (see rdr_lod.c).
 */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ draw list

void rdr_drawlist_reset(rdr_drawlist *dl) {
    dl->n = 0;
    dl->ntext = 0;
    dl->lane_rects = dl->spans_visited = dl->dense_columns = 0;
}

void rdr_drawlist_free(rdr_drawlist *dl) {
    free(dl->cmds);
    free(dl->text);
    memset(dl, 0, sizeof *dl);
}

static rdr_cmd *rdr_dl_push(rdr_drawlist *dl, uint8_t kind) {
    ARR_GROW(dl->cmds, dl->n + 1, dl->cap);
    rdr_cmd *c = &dl->cmds[dl->n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

void rdr_dl_rect(rdr_drawlist *dl, int x, int y, int w, int h, uint32_t color) {
    if (w <= 0 || h <= 0) return;
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_RECT);
    c->x = x; c->y = y; c->w = w; c->h = h; c->color = color;
}

void rdr_dl_line(rdr_drawlist *dl, int x0, int y0, int x1, int y1, uint32_t color) {
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_LINE);
    c->x = x0; c->y = y0; c->w = x1 - x0; c->h = y1 - y0; c->color = color;
}

void rdr_dl_text(rdr_drawlist *dl, int x, int y, int font, uint32_t color, const char *s, size_t len) {
    if (!len) return;
    if (len > 0xffff) len = 0xffff;
    ARR_GROW(dl->text, dl->ntext + len + 1, dl->cap_text);
    memcpy(dl->text + dl->ntext, s, len);
    dl->text[dl->ntext + len] = 0;
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_TEXT);
    c->x = x; c->y = y; c->font = (uint8_t)font; c->color = color;
    c->text = (uint32_t)dl->ntext; c->len = (uint16_t)len;
    dl->ntext += len + 1;
}

void rdr_dl_clip(rdr_drawlist *dl, int x, int y, int w, int h) {
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_CLIP);
    c->x = x; c->y = y; c->w = w; c->h = h;
}

//~ theme

static const uint32_t rdr_state_cols[TRC_ST__COUNT] = {
    [TRC_ST_RUNNING] = 0xfff0e442u,   /* yellow */
    [TRC_ST_COMPUTE] = 0xff009e73u,   /* bluish green */
    [TRC_ST_BLOCKED] = 0xffd55e00u,   /* vermillion */
    [TRC_ST_SLEEP] = 0xff56b4e9u,     /* sky blue */
    [TRC_ST_DONE] = 0xff5a6170u,      /* grey */
};

uint32_t rdr_state_color(unsigned state) {
    return state < TRC_ST__COUNT ? rdr_state_cols[state] : 0xffff00ffu;
}

uint32_t rdr_state_ghost_color(unsigned state) {
    return rdr_mix(RDR_COL_LANE, rdr_state_color(state), 0.22);
}

uint32_t rdr_owner_color(uint32_t unit) {
    /* pastel, so an owner never reads as a state (the states are saturated) */
    static const uint32_t pal[] = { 0xff8f9fe0u, 0xffe0a0c8u, 0xff90d8c8u, 0xffd0c490u,
                                    0xffbc9ae0u, 0xff9cc4e0u, 0xffe0b098u, 0xffb4dc98u };
    return pal[unit % (sizeof pal / sizeof pal[0])];
}

static const uint32_t rdr_fut_cols[RDR_FK__COUNT] = {
    [RDR_FK_PENDING] = RDR_COL_FUT_PENDING,
    [RDR_FK_RUNNING] = RDR_COL_FUT_RUNNING,
    [RDR_FK_DONE] = RDR_COL_FUT_DONE,
    [RDR_FK_CANCELLED] = RDR_COL_FUT_CANCELLED,
    [RDR_FK_FAILED] = RDR_COL_FUT_FAILED,
};

uint32_t rdr_future_color(unsigned key) {
    return key < RDR_FK__COUNT ? rdr_fut_cols[key] : 0xffff00ffu;
}

uint32_t rdr_flow_color(unsigned kind) {
    switch (kind) {
    case TRC_FLOW_ITEM: return RDR_COL_FLOW_ITEM;
    case TRC_FLOW_HANDOFF: return RDR_COL_FLOW_HAND;
    case TRC_FLOW_SPAWN: return 0xff9be39bu;      /* green, dashed */
    case TRC_FLOW_JOIN: return 0xffb4bcd8u;       /* grey-blue, dashed */
    case TRC_FLOW_SUBMIT: return 0xffe8b85au;     /* amber: into the queue */
    case TRC_FLOW_TASK: return 0xff6fb0f0u;       /* blue: the run */
    case TRC_FLOW_CALLBACK: return 0xff3fcf8eu;   /* green, dashed */
    case TRC_FLOW_RESULT: return 0xff8ff0c4u;     /* mint: the outcome handed over */
    case TRC_FLOW_MESSAGE: return 0xfff0a04bu;    /* orange: bytes through a pipe */
    case TRC_FLOW_REQUEST: return 0xffc59af0u;    /* violet: a manager's request ... */
    case TRC_FLOW_REPLY: return 0xffe2c8ffu;      /* ... and its reply */
    case TRC_FLOW_SIGNAL: return RDR_COL_ALERT;   /* a signal that killed */
    default: return RDR_COL_FLOW_WAKE;            /* notify, set, barrier */
    }
}

static bool rdr_flow_dashed(unsigned kind) {
    return kind == TRC_FLOW_SPAWN || kind == TRC_FLOW_JOIN || kind == TRC_FLOW_CALLBACK;
}

//~ text helpers

typedef struct rdr_ctx {
    rdr_view *v;
    rdr_drawlist *dl;
    const rdr_text_metrics *tm;
    int line_h;
    double npp;                 /* ns per pixel */
    double reveal;              /* the playhead: nothing after it is drawn in colour */
    int8_t *keys;
    float *acc;
    uint32_t *okeys;
    int64_t *vals;
} rdr_ctx;

static int rdr_tw(const rdr_ctx *cx, int font, const char *s, size_t len) {
    if (cx->tm && cx->tm->measure) return cx->tm->measure(cx->tm->ud, font, s, len);
    int n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n * RDR_CHAR_W;
}

/* Draws s at (x, y), cut with an ellipsis to fit max_w; returns the width drawn. */
static int rdr_text_fit(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s, int max_w) {
    size_t len = strlen(s);
    int w = rdr_tw(cx, font, s, len);
    if (w <= max_w) {
        rdr_dl_text(cx->dl, x, y, font, col, s, len);
        return w;
    }
    static const char ell[] = "\xe2\x80\xa6";
    int ew = rdr_tw(cx, font, ell, 3);
    char tmp[256];
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80) len--;   /* whole code points */
        if (rdr_tw(cx, font, s, len) + ew <= max_w) break;
    }
    if (!len) return 0;
    if (len > sizeof tmp - 4) len = sizeof tmp - 4;
    memcpy(tmp, s, len);
    memcpy(tmp + len, ell, 4);
    rdr_dl_text(cx->dl, x, y, font, col, tmp, len + 3);
    return rdr_tw(cx, font, tmp, len + 3);
}

static int rdr_text(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s) {
    size_t len = strlen(s);
    rdr_dl_text(cx->dl, x, y, font, col, s, len);
    return rdr_tw(cx, font, s, len);
}

static void rdr_fmt_dur(char *out, size_t cap, double ns) {
    const char *u = "ns";
    double v = ns;
    if (ns >= 1e9) { v = ns / 1e9; u = "s"; }
    else if (ns >= 1e6) { v = ns / 1e6; u = "ms"; }
    else if (ns >= 1e3) { v = ns / 1e3; u = "\xc2\xb5s"; }
    if (u[0] == 'n') snprintf(out, cap, "%.0f ns", v);
    else if (v >= 100) snprintf(out, cap, "%.0f %s", v, u);
    else if (v >= 10) snprintf(out, cap, "%.1f %s", v, u);
    else snprintf(out, cap, "%.2f %s", v, u);
}

double rdr_tick_step(double ns_per_px, double min_px) {
    double raw = ns_per_px * min_px;
    if (!(raw > 1)) return 1;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

void rdr_fmt_time(char *out, size_t cap, double t, double step, double tmax) {
    double unit = 1;
    const char *name = "ns";
    double mag = fmax(fabs(tmax), step);
    if (mag >= 1e9) { unit = 1e9; name = "s"; }
    else if (mag >= 1e6) { unit = 1e6; name = "ms"; }
    else if (mag >= 1e3) { unit = 1e3; name = "\xc2\xb5s"; }
    double q = step / unit;
    int dec = q >= 1 ? 0 : (int)ceil(-log10(q) - 1e-9);
    if (dec > 9) dec = 9;
    double val = t / unit;
    if (fabs(val) < 0.5 * pow(10, -dec)) val = 0;   /* no "-0" */
    snprintf(out, cap, "%.*f %s", dec, val, name);
}

static const char *rdr_speed_str(char *out, size_t cap, double s) {
    if (s >= 1) snprintf(out, cap, "%g\xc3\x97", s);
    else snprintf(out, cap, "1/%g\xc3\x97", 1 / s);
    return out;
}

/* Major tick step: at least 110 px, and room for the widest label. */
static double rdr_ruler_step(const rdr_ctx *cx) {
    const rdr_view *v = cx->v;
    double step = rdr_tick_step(cx->npp, 110);
    char s[64];
    rdr_fmt_time(s, sizeof s, v->t1, step, v->t1);
    int w = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s)) + 24;
    if (w > 110) step = rdr_tick_step(cx->npp, w);
    return step;
}

//~ scratch

static void rdr_scratch(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    if (!v->buckets) v->buckets = xcalloc(1, sizeof *v->buckets);
    size_t n = (size_t)v->lay.plot_w + 8;
    size_t need = n * (sizeof(float) * TRC_ST__COUNT + sizeof(int64_t) + sizeof(uint32_t) + 1) + 64;
    if (v->scratch_cap < need) {
        free(v->scratch);
        v->scratch = xmalloc(need);
        v->scratch_cap = need;
    }
    char *p = v->scratch;
    cx->vals = (int64_t *)(void *)p; p += n * sizeof(int64_t);
    cx->acc = (float *)(void *)p; p += n * sizeof(float) * TRC_ST__COUNT;
    cx->okeys = (uint32_t *)(void *)p; p += n * sizeof(uint32_t);
    cx->keys = (int8_t *)p;
    v->nclaims = 0;
}

/* Claims [x0, x1) of row ri for a label: false if a label drawn earlier this frame is there.
 * Labels are few per frame (each kind has its own budget), so a list will do. */
static bool rdr_claim_text(rdr_ctx *cx, int ri, int x0, int x1) {
    rdr_view *v = cx->v;
    for (size_t i = 0; i < v->nclaims; i++) {
        const struct rdr_claim *c = &v->claims[i];
        if (c->row == ri && x0 < c->x1 + 4 && c->x0 < x1 + 4) return false;
    }
    ARR_PUSH(v->claims, v->nclaims, v->claims_cap, ((struct rdr_claim){ ri, x0, x1 }));
    return true;
}

static rdr_lod *rdr_lod_of(rdr_view *v, uint32_t run) {
    if (!v->lod[run]) v->lod[run] = rdr_lod_new(&v->models[run]);
    return v->lod[run];
}

//~ lanes

static rdr_cols rdr_cols_of(const rdr_ctx *cx, double a, double b) {
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

/* Emits the unit lane's columns as merged rects, into the colour buckets. */
static void rdr_unit_cols(rdr_ctx *cx, uint32_t run, uint32_t u, int y, int h, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod_unit(rdr_lod_of(v, run), u, &c, cx->keys, cx->acc, cx->dl);
    int x0 = v->lay.plot_x;
    int start = 0;
    for (int col = 1; col <= c.ncol; col++) {
        if (col < c.ncol && cx->keys[col] == cx->keys[start]) continue;
        int k = cx->keys[start];
        if (k >= 0) {
            uint32_t colr = ghost ? rdr_state_ghost_color((unsigned)k) : rdr_state_color((unsigned)k);
            int bi = k + (ghost ? TRC_ST__COUNT : 0);
            if (k == TRC_ST_DONE) rdr_bucket_rect(v, bi, x0 + start, y + h / 2 - 3, col - start, 6, colr);
            else rdr_bucket_rect(v, bi, x0 + start, y, col - start, h, colr);
            cx->dl->lane_rects++;
        }
        start = col;
    }
}

static const char *rdr_obj_name(const trc_run *run, uint32_t obj) {
    if (!obj || obj > run->nobjects) return "?";
    return run->objects[obj - 1].name ? run->objects[obj - 1].name : "?";
}

/* Short names of object kinds for the names column. */
static const char *rdr_kind_tag(uint32_t kind) {
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
static void rdr_blocked_text(const trc_model *m, const trc_span *sp, char *full, size_t cap, const char **shortl) {
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
static bool rdr_mark_in(const trc_model *m, uint32_t u, double ta, double tb) {
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

/* Names inside wide blocked spans ("L", "put jobs"): only when few spans are visible. */
static void rdr_unit_span_labels(rdr_ctx *cx, uint32_t run, uint32_t u, int y, int h, double b) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[run];
    const trc_unit_track *ut = &m->units[u];
    if (b > v->t1) b = v->t1;
    size_t ia = trc_model_span_lower(ut, v->t0 > 0 ? (uint64_t)v->t0 : 0);
    size_t ib = trc_model_span_lower(ut, (uint64_t)ceil(b));
    if (ib - ia > (size_t)v->lay.plot_w / 24) return;
    for (size_t i = ia; i < ut->nspans && (double)ut->spans[i].t0 < b; i++) {
        const trc_span *sp = &ut->spans[i];
        if (sp->state != TRC_ST_BLOCKED && sp->state != TRC_ST_SLEEP) continue;
        double s0 = (double)sp->t0 > v->t0 ? (double)sp->t0 : v->t0;
        double s1 = (double)sp->t1 < b ? (double)sp->t1 : b;
        int x0 = (int)rdr_view_x_of(v, s0) + 4, x1 = (int)rdr_view_x_of(v, s1) - 3;
        if (x1 - x0 < 3 * RDR_CHAR_W) continue;
        char s[160];
        const char *shortl = "sleep";
        if (sp->state == TRC_ST_SLEEP) snprintf(s, sizeof s, "sleep");
        else rdr_blocked_text(m, sp, s, sizeof s, &shortl);
        uint32_t tc = sp->state == TRC_ST_BLOCKED ? 0xfffff4eeu : 0xff0d1a26u;
        int ty = y + (h - cx->line_h) / 2;
        const char *txt = NULL;
        if (rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s)) <= x1 - x0) txt = s;
        else if (sp->state == TRC_ST_BLOCKED && rdr_tw(cx, RDR_FONT_REGULAR, shortl, strlen(shortl)) <= x1 - x0)
            txt = shortl;
        if (!txt) continue;
        double te = rdr_view_t_at(v, x0 + rdr_tw(cx, RDR_FONT_REGULAR, txt, strlen(txt)));
        if (rdr_mark_in(m, u, rdr_view_t_at(v, x0 - 4) - 8 * cx->npp, te)) continue;   /* a mark's label goes there */
        rdr_text(cx, x0, ty, RDR_FONT_REGULAR, tc, txt);
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
            uint32_t colr = rdr_owner_color(k - 1);
            if (ghost) colr = rdr_mix(RDR_COL_LANE, colr, 0.22);
            rdr_dl_rect(cx->dl, x0 + start, y, col - start, h, colr);
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
            rdr_text(cx, lx0, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, 0xff111318u, nm);
    }
}

/* Level tracks: a filled step graph between the zero line and the value. */
typedef struct rdr_scale { int base; double px_per; int64_t lo; int hmax; } rdr_scale;

static int rdr_level_y(const rdr_scale *sc, int64_t v) {
    int h = (int)lround((double)(v - sc->lo) * sc->px_per);
    if (h > sc->hmax) h = sc->hmax;
    if (h < 0) h = 0;
    return sc->base - h;
}

/* Draws the column values in cx->vals (of c) as a filled step graph. */
static void rdr_level_draw(rdr_ctx *cx, const rdr_cols *cp, const rdr_scale *sc, uint32_t fill, uint32_t edge) {
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
    uint32_t fill = ghost ? rdr_mix(RDR_COL_LANE, RDR_COL_QUEUE, 0.22) : RDR_COL_QUEUE;
    uint32_t edge = ghost ? rdr_mix(RDR_COL_LANE, RDR_COL_QUEUE_EDGE, 0.3) : RDR_COL_QUEUE_EDGE;
    rdr_level_draw(cx, &c, sc, fill, edge);
}

//~ pools and futures

/* The pool's summary: futures live (queued or running) as an amber step graph,
 * the running ones over it in blue; the worker count as a dashed line. */
static void rdr_pool_cols(rdr_ctx *cx, uint32_t run, uint32_t obj, const rdr_scale *sc, double a, double b, bool ghost) {
    rdr_view *v = cx->v;
    rdr_cols c = rdr_cols_of(cx, a, b);
    if (!(c.b > c.a)) return;
    rdr_lod *l = rdr_lod_of(v, run);
    double g = ghost ? 0.22 : 1.0;
    rdr_lod_pool_level(l, obj, true, &c, cx->vals, cx->dl);
    rdr_level_draw(cx, &c, sc, rdr_mix(RDR_COL_LANE, RDR_COL_FUT_PENDING, g), rdr_mix(RDR_COL_LANE, 0xffe8c27au, g));
    rdr_lod_pool_level(l, obj, false, &c, cx->vals, cx->dl);
    rdr_level_draw(cx, &c, sc, rdr_mix(RDR_COL_LANE, RDR_COL_FUT_RUNNING, g), rdr_mix(RDR_COL_LANE, 0xff9cc8f4u, g));
}

static void rdr_pool_scale(rdr_ctx *cx, const rdr_row *row, int y, rdr_scale *sc) {
    const trc_model *m = &cx->v->models[row->run];
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(cx->v, row->run), row->id);
    int64_t hi = m->run->objects[row->id - 1].capacity;
    if (p && p->max_live > hi) hi = p->max_live;
    if (hi < 1) hi = 1;
    *sc = (rdr_scale){ .base = y + row->h - 4, .hmax = row->h - 8, .lo = 0 };
    sc->px_per = (double)sc->hmax / (double)hi;
}

/* One future lane: columns keyed by the state of the future there. */
static void rdr_future_cols(rdr_ctx *cx, const rdr_row *row, int y, int h, double a, double b, bool ghost) {
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
            if (ghost) colr = rdr_mix(RDR_COL_LANE, colr, 0.22);
            rdr_dl_rect(cx->dl, x0 + start, y, col - start, h, colr);
            cx->dl->lane_rects++;
        }
        start = col;
    }
}

/* A cross (two 2-px strokes) centred on (x, y), half-size r. */
static void rdr_cross(rdr_drawlist *dl, int x, int y, int r, uint32_t col) {
    for (int d = 0; d < 2; d++) {
        rdr_dl_line(dl, x - r + d, y - r, x + r + d, y + r, col);
        rdr_dl_line(dl, x - r + d, y + r, x + r + d, y - r, col);
    }
}

static const char *rdr_unit_name(const trc_run *run, uint32_t u) {
    return u < run->nunits && run->units[u].name ? run->units[u].name : "?";
}

/* Over a future lane, when few futures are in view: the end caps (green ok, red
 * failed), the cancel cross, and "#id" (with the worker) where the bar is wide. */
static void rdr_future_details(rdr_ctx *cx, int ri, const rdr_row *row, int y, int h, double b) {
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
        if (f->worker != UINT32_MAX && f->t_start != TRC_T_NONE && (double)f->t_start <= b) {
            char s2[160];
            snprintf(s2, sizeof s2, "#%llu on %s", (unsigned long long)f->id, rdr_unit_name(m->run, f->worker));
            int tw2 = rdr_tw(cx, RDR_FONT_REGULAR, s2, strlen(s2));
            if (tw2 + 6 <= x1 - x0) { memcpy(s, s2, sizeof s); tw = tw2; }
        }
        if (rdr_claim_text(cx, ri, x0 + 3, x0 + 3 + tw))
            rdr_text(cx, x0 + 3, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, 0xfff4f6fau, s);
    }
}

static bool rdr_has_capacity(const trc_object *ob) {
    return ob->capacity > 0 &&
           (ob->kind == TRC_OBJ_QUEUE || ob->kind == TRC_OBJ_SEMAPHORE || ob->kind == TRC_OBJ_BARRIER);
}

/* "depth 3/4", "in use 2/3", "arrived 1/4", "value -7", "readers 2" */
static void rdr_level_text(char *s, size_t cap, const trc_object *ob, int64_t v) {
    const char *what = ob->kind == TRC_OBJ_QUEUE ? "depth" : ob->kind == TRC_OBJ_SEMAPHORE ? "in use"
                     : ob->kind == TRC_OBJ_BARRIER ? "arrived" : ob->kind == TRC_OBJ_RWLOCK ? "readers"
                     : ob->kind == TRC_OBJ_PIPE ? "bytes in it" : "value";
    if (rdr_has_capacity(ob)) snprintf(s, cap, "%s %lld/%lld", what, (long long)v, (long long)ob->capacity);
    else snprintf(s, cap, "%s %lld", what, (long long)v);
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
        rdr_text_fit(cx, 8, ty, RDR_FONT_BOLD, RDR_COL_TEXT, s, lw - 10);
        break;
    case RDR_ROW_UNIT: {
        const trc_unit_track *ut = &m->units[row->id];
        const trc_span *sp = ut->nspans ? trc_model_span_at(m, row->id, at) : NULL;
        if (cx->reveal >= (double)m->makespan && ut->exited) sp = NULL;
        int sx = 8;
        if (sp && (double)sp->t0 <= cx->reveal)
            rdr_dl_rect(cx->dl, sx, y + 4, 4, row->h - 8, rdr_state_color(sp->state));
        else if (ut->exited && (double)ut->t_exit <= cx->reveal)
            rdr_dl_rect(cx->dl, sx, y + 4, 4, row->h - 8, rdr_state_color(TRC_ST_DONE));
        const char *name = run->units[row->id].name ? run->units[row->id].name : "?";
        uint32_t tc = ut->aborted || (ut->died && !ut->killed) ? RDR_COL_ALERT : ut->killed ? RDR_COL_TEXT_DIM
                    : RDR_COL_TEXT;
        int nx = 18 + rdr_text_fit(cx, 18, ty, RDR_FONT_REGULAR, tc, name, lw - 22);
        if (ut->pid > 0 && nx + 6 * RDR_CHAR_W < lw) {   /* processes: the pid its process had */
            snprintf(s, sizeof s, "%d", (int)ut->pid);
            rdr_text_fit(cx, nx + RDR_CHAR_W, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, lw - nx - RDR_CHAR_W - 4);
        }
        break;
    }
    case RDR_ROW_POOL: {
        const trc_object *ob = &run->objects[row->id - 1];
        const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
        int x = 18;
        ty = y + 3;
        x += rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, RDR_COL_TEXT, ob->name ? ob->name : "?", lw - 22 - 5 * RDR_CHAR_W);
        rdr_text(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, "pool");
        int64_t busy = p ? trc_sample_at(p->busy, p->nbusy, at) : 0, live = p ? trc_sample_at(p->live, p->nlive, at) : 0;
        if (cx->reveal >= (double)m->makespan) busy = live = 0;
        snprintf(s, sizeof s, "%lld/%lld busy, %lld queued", (long long)busy, (long long)ob->capacity,
                 (long long)(live - busy));
        if (row->h >= 2 * cx->line_h + 2) rdr_text_fit(cx, 18, ty + cx->line_h, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, lw - 22);
        rdr_dl_rect(cx->dl, 8, y + 5, 4, row->h - 10, busy ? RDR_COL_FUT_RUNNING : live ? RDR_COL_FUT_PENDING : RDR_COL_GRID);
        break;
    }
    case RDR_ROW_FUTURE: {
        const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
        if (p && row->lane == RDR_LANE_MORE) {
            snprintf(s, sizeof s, "+%u lanes", p->nlanes - (RDR_MAX_FUTURE_LANES - 1));
            rdr_text_fit(cx, 34, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, lw - 38);
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
        if (k >= 0) snprintf(s, sizeof s, "#%llu %s", (unsigned long long)f->id, kn[k]);
        else snprintf(s, sizeof s, "lane %u", row->lane + 1);
        rdr_text_fit(cx, 34, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, lw - 38);
        break;
    }
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
            x += rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, RDR_COL_TEXT, ob->name ? ob->name : "?", lw - 22 - tagw);
            rdr_text(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, tag);
            rdr_level_text(s, sizeof s, ob, trc_sample_at(smp, n, at));
            rdr_text_fit(cx, 18, ty + cx->line_h, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, lw - 22);
            rdr_dl_rect(cx->dl, 8, y + 5, 4, row->h - 10, RDR_COL_QUEUE);
        } else {
            x += rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, RDR_COL_TEXT, ob->name ? ob->name : "?", lw - 22 - tagw);
            rdr_text(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, tag);
            size_t n;
            const trc_owner_span *ow = rdr_owners(m, row->id, &n);
            size_t i = rdr_owner_lower(ow, n, at);
            bool held = i < n && (double)ow[i].t0 <= cx->reveal && cx->reveal < (double)m->makespan;
            rdr_dl_rect(cx->dl, 8, y + 4, 4, row->h - 8, held ? rdr_owner_color(ow[i].owner) : RDR_COL_GRID);
        }
        break;
    }
    default: break;
    }
}

/* Gap above and below a bar: 2 px in 20 px rows, 4 px in 28 px rows. */
static int rdr_bar_pad(int h) { return h >= 16 ? (h - 12) / 4 : 1; }

static void rdr_row_content(rdr_ctx *cx, const rdr_row *row, int y) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    double end = (double)m->makespan;
    double reveal = cx->reveal < end ? cx->reveal : end;
    switch (row->kind) {
    case RDR_ROW_RUN: {   /* the run's title line, across the plot */
        const trc_run *run = m->run;
        char s[512], mk[32];
        rdr_fmt_dur(mk, sizeof mk, end);
        snprintf(s, sizeof s, "%s \xc2\xb7 %s \xc2\xb7 makespan %s \xc2\xb7 ended: ", run->backend ? run->backend : "?",
                 run->scenario ? run->scenario : "", mk);
        int ty = y + (row->h - cx->line_h) / 2, x = v->lay.plot_x + 4;
        int w = rdr_text_fit(cx, x, ty, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, v->lay.plot_w - 120);
        bool bad = run->end_reason != TRC_END_OK;
        rdr_text(cx, x + w, ty, bad ? RDR_FONT_BOLD : RDR_FONT_REGULAR, bad ? RDR_COL_ALERT : RDR_COL_TEXT_DIM,
                 trc_run_end_name(run->end_reason));
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
        rdr_owner_cols(cx, row->run, row->id, by, bh, 0, reveal, false);
        if (v->ghost) rdr_owner_cols(cx, row->run, row->id, by, bh, reveal, end, true);
        break;
    }
    case RDR_ROW_POOL: {
        rdr_scale sc;
        rdr_pool_scale(cx, row, y, &sc);
        rdr_dl_rect(cx->dl, v->lay.plot_x, rdr_level_y(&sc, 0), v->lay.plot_w, 1, RDR_COL_GRID);
        rdr_pool_cols(cx, row->run, row->id, &sc, 0, reveal, false);
        if (v->ghost) rdr_pool_cols(cx, row->run, row->id, &sc, reveal, end, true);
        int64_t workers = m->run->objects[row->id - 1].capacity;
        if (workers > 0) {   /* dashed worker line */
            int cy = rdr_level_y(&sc, workers) - 1;
            for (int x = 0; x < v->lay.plot_w; x += 10)
                rdr_dl_rect(cx->dl, v->lay.plot_x + x, cy, x + 6 <= v->lay.plot_w ? 6 : v->lay.plot_w - x, 1,
                            0xb0000000u | (RDR_COL_CAPACITY & 0xffffffu));
        }
        break;
    }
    case RDR_ROW_FUTURE: {
        if (row->lane == RDR_LANE_MORE) {
            rdr_text(cx, v->lay.plot_x + 6, y + (row->h - cx->line_h) / 2, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM,
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
        rdr_lod_level_range(rdr_lod_of(v, row->run), row->id, &lo, &hi);
        rdr_scale sc = { .base = y + row->h - 4, .hmax = row->h - 10, .lo = lo };
        sc.px_per = (double)sc.hmax / (double)(hi - lo);
        rdr_dl_rect(cx->dl, v->lay.plot_x, rdr_level_y(&sc, 0), v->lay.plot_w, 1, RDR_COL_GRID);
        rdr_level_cols(cx, row->run, row->id, &sc, 0, reveal, false);
        if (v->ghost) rdr_level_cols(cx, row->run, row->id, &sc, reveal, end, true);
        if (rdr_has_capacity(ob)) {   /* dashed capacity line */
            int cy = rdr_level_y(&sc, ob->capacity) - 1;
            for (int x = 0; x < v->lay.plot_w; x += 10)
                rdr_dl_rect(cx->dl, v->lay.plot_x + x, cy, x + 6 <= v->lay.plot_w ? 6 : v->lay.plot_w - x, 1,
                            0xb0000000u | (RDR_COL_CAPACITY & 0xffffffu));
        }
        break;
    }
    default: break;
    }
}

/* Rows of one run are consecutive; unit rows are found by a direct index. */
static void rdr_flows(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    int top = v->lay.lanes_y, bot = v->lay.lanes_y + v->lay.lanes_h;
    size_t budget = 600;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_model *m = &v->models[r];
        if (!m->nflows) continue;
        double lo = v->t0 - (double)v->flow_maxdur[r];
        double hi = fmin(v->t1, cx->reveal);
        size_t a = 0, b = m->nflows;   /* first flow with t0 >= lo */
        while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->flows[mid].t0 < lo) a = mid + 1; else b = mid; }
        size_t e = a, n = m->nflows;   /* first flow with t0 > hi */
        b = n;
        while (e < b) { size_t mid = e + (b - e) / 2; if ((double)m->flows[mid].t0 <= hi) e = mid + 1; else b = mid; }
        if (e - a > (size_t)v->lay.plot_w / 3) continue;   /* too dense to read: zoom in */
        int first = rdr_view_unit_row(v, r, 0);
        if (first < 0) continue;
        for (size_t i = a; i < e && budget; i++) {
            const trc_flow *f = &m->flows[i];
            if ((double)f->t1 < v->t0 || (double)f->t1 > cx->reveal || f->u0 == f->u1) continue;
            if (f->u0 >= m->run->nunits || f->u1 >= m->run->nunits) continue;
            const rdr_row *r0 = &v->lay.rows[first + (int)f->u0], *r1 = &v->lay.rows[first + (int)f->u1];
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
            uint32_t col = (rdr_flow_color(f->kind) & 0xffffffu) | 0xa0000000u;
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

static void rdr_marks(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    for (uint32_t r = 0; r < v->nmodels; r++) {
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
            rdr_dl_rect(cx->dl, x, y0, 1, y1 - y0, RDR_COL_MARK);
            rdr_dl_rect(cx->dl, x - 2, y0, 5, 2, RDR_COL_MARK);
            if (!labels || !mk->text) continue;
            int tw = rdr_tw(cx, RDR_FONT_REGULAR, mk->text, strlen(mk->text));
            int lx = x + 4, ly = y0 + (y1 - y0 - cx->line_h) / 2;
            if (!rdr_claim_text(cx, ri, lx - 1, lx + tw + 3)) continue;   /* no label over another */
            rdr_dl_rect(cx->dl, lx - 1, ly, tw + 4, cx->line_h, 0xd0101216u);
            rdr_text(cx, lx + 1, ly, RDR_FONT_REGULAR, RDR_COL_MARK, mk->text);
        }
    }
}

//~ point events: small glyphs on the unit lanes (centre x; top y unless said)

static void rdr_hrow(rdr_drawlist *dl, int cx_, int y, int w, uint32_t col) { rdr_dl_rect(dl, cx_ - w / 2, y, w, 1, col); }

#define RDR_GLYPH_BG 0xe0101216u

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

static bool rdr_instant_drawn(unsigned kind) {
    switch (kind) {
    case TRC_EV_SPAWN: case TRC_EV_JOINED: case TRC_EV_SUBMIT: case TRC_EV_RESULT: case TRC_EV_CANCEL:
    case TRC_EV_CALLBACK: case TRC_EV_LOCAL_SET: return true;
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
#define RDR_COL_CANCEL_LATE 0xffb8bcc6u   /* a cancel that found the future running or done */

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

static void rdr_instants(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (uint32_t r = 0; r < v->nmodels; r++) {
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
            case TRC_EV_PROC_EXIT:   /* a process killed: a red cross at its end; an exit code: a grey one */
                if (in->aux == TRC_PROC_SIGNALED || in->arg) {
                    rdr_glyph_cross(cx->dl, x, y0 + (row->h - 7) / 2, in->aux == TRC_PROC_SIGNALED ? RDR_COL_ALERT
                                                                                                  : RDR_COL_TEXT_DIM);
                }
                break;
            case TRC_EV_SIGNAL: rdr_glyph_dot(cx->dl, x, y1 - 7, RDR_COL_ALERT); break;
            case TRC_EV_SEND: rdr_glyph_tri_down(cx->dl, x, gy, rdr_flow_color(TRC_FLOW_MESSAGE)); break;
            case TRC_EV_RECV:
                if (in->aux) rdr_glyph_cross(cx->dl, x, gy, rdr_flow_color(TRC_FLOW_MESSAGE));   /* end of file */
                else rdr_glyph_tri_up(cx->dl, x, y1 - 3, rdr_flow_color(TRC_FLOW_MESSAGE));
                break;
            case TRC_EV_PIPE_CLOSE: rdr_glyph_cross(cx->dl, x, y1 - 7, RDR_COL_TEXT_DIM); break;
            case TRC_EV_SERVE: rdr_glyph_dot(cx->dl, x, gy + 3, rdr_flow_color(TRC_FLOW_REQUEST)); break;
            case TRC_EV_SHM_WRITE: rdr_glyph_tri_down(cx->dl, x, gy, RDR_COL_LOCAL); break;
            case TRC_EV_SHM_READ:
                if (in->aux) rdr_glyph_cross(cx->dl, x, gy, RDR_COL_ALERT);   /* torn */
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
                if (!rdr_claim_text(cx, ri, lx - 1, lx + tw + 3)) break;
                rdr_dl_rect(cx->dl, lx - 1, ly, tw + 4, cx->line_h, 0xd0101216u);
                rdr_text(cx, lx + 1, ly, RDR_FONT_REGULAR, RDR_COL_LOCAL, txt);
                break;
            }
            case TRC_EV_LOCAL_SET: {
                rdr_glyph_flag(cx->dl, x, gy, RDR_COL_LOCAL);
                if (!labels || !in->text) break;
                int tw = rdr_tw(cx, RDR_FONT_REGULAR, in->text, strlen(in->text));
                int lx = x + 9, ly = y0 + (row->h - cx->line_h) / 2;
                if (!rdr_claim_text(cx, ri, lx - 1, lx + tw + 3)) break;
                rdr_dl_rect(cx->dl, lx - 1, ly, tw + 4, cx->line_h, 0xd0101216u);
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
static void rdr_killed(rdr_ctx *cx, size_t first, size_t last, bool claim) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        if (row->kind != RDR_ROW_UNIT) continue;
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
        int a = y0 + 1, b = y0 + row->h / 3, c = y0 + 2 * row->h / 3, d = y1 - 2;
        rdr_dl_rect(cx->dl, x - 5, y0, 11, row->h, RDR_GLYPH_BG);
        for (int k = 0; k < 2; k++) {
            rdr_dl_line(cx->dl, x + k, a, x + 3 + k, b, RDR_COL_KILLED);
            rdr_dl_line(cx->dl, x + 3 + k, b, x - 3 + k, c, RDR_COL_KILLED);
            rdr_dl_line(cx->dl, x - 3 + k, c, x + k, d, RDR_COL_KILLED);
        }
        if (label) {
            rdr_dl_rect(cx->dl, lx - 2, ly, tw + 4, cx->line_h, RDR_GLYPH_BG);
            rdr_dl_text(cx->dl, lx, ly, RDR_FONT_BOLD, RDR_COL_KILLED, kl, sizeof kl - 1);
        }
    }
}

static void rdr_lanes(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_clip(cx->dl, 0, L->lanes_y, L->width, L->lanes_h);
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
        uint32_t bg = row->kind == RDR_ROW_RUN ? RDR_COL_PANEL : (i & 1) ? RDR_COL_LANE_ALT : RDR_COL_LANE;
        rdr_dl_rect(cx->dl, 0, y, L->width, row->h, bg);
    }
    /* grid at the ruler's major ticks */
    double step = rdr_ruler_step(cx);
    for (double t = ceil(v->t0 / step) * step; t <= v->t1; t += step) {
        int x = (int)lround(rdr_view_x_of(v, t));
        rdr_dl_rect(cx->dl, x, L->lanes_y, 1, L->lanes_h, RDR_COL_GRID);
    }
    /* contents, clipped to the plot */
    rdr_dl_clip(cx->dl, L->plot_x, L->lanes_y, L->plot_w, L->lanes_h);
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        rdr_row_content(cx, row, L->lanes_y + row->y - v->scroll_y);
    }
    rdr_bucket_flush(cx);
    for (size_t i = first; i < last; i++) {   /* names inside spans go over the bars */
        const rdr_row *row = &L->rows[i];
        const trc_model *m = &v->models[row->run];
        double reveal = cx->reveal < (double)m->makespan ? cx->reveal : (double)m->makespan;
        int y = L->lanes_y + row->y - v->scroll_y;
        if (row->kind == RDR_ROW_UNIT) {
            int pad = rdr_bar_pad(row->h);
            rdr_unit_span_labels(cx, row->run, row->id, y + pad, row->h - 2 * pad, reveal);
        } else if (row->kind == RDR_ROW_FUTURE) {
            int pad = row->h >= 12 ? 2 : 1;
            rdr_future_details(cx, (int)i, row, y + pad, row->h - 2 * pad, reveal);
        }
    }
    if (v->show_flows) rdr_flows(cx);
    rdr_killed(cx, first, last, true);
    rdr_marks(cx);
    rdr_instants(cx);
    rdr_killed(cx, first, last, false);
    /* labels, clipped to the names column */
    rdr_dl_clip(cx->dl, 0, L->lanes_y, L->label_w, L->lanes_h);
    for (size_t i = first; i < last; i++) {
        const rdr_row *row = &L->rows[i];
        rdr_row_label(cx, row, L->lanes_y + row->y - v->scroll_y);
    }
    rdr_dl_clip(cx->dl, 0, L->lanes_y, L->width, L->lanes_h);
    rdr_dl_rect(cx->dl, L->label_w, L->lanes_y, 1, L->lanes_h, RDR_COL_GRID);
    if (L->content_h > L->lanes_h) {   /* scroll bar */
        int bh = L->lanes_h * L->lanes_h / L->content_h;
        if (bh < 16) bh = 16;
        int by = L->lanes_y + (L->lanes_h - bh) * v->scroll_y / (L->content_h - L->lanes_h);
        rdr_dl_rect(cx->dl, L->width - 6, by, 4, bh, 0xff4a505cu);
    }
    rdr_dl_clip(cx->dl, 0, 0, 0, 0);
}

//~ header, ruler, footer

static void rdr_header(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_rect(cx->dl, 0, 0, L->width, L->header_h, RDR_COL_PANEL);
    const trc_model *m0 = &v->models[0];
    const trc_run *r0 = m0->run;
    char s[512], mk[32], ph[32], tot[32], sp[32];
    int x = 12, y = 6;
    x += rdr_text_fit(cx, x, y, RDR_FONT_BOLD, RDR_COL_TEXT, v->title, L->width / 2);
    rdr_fmt_dur(mk, sizeof mk, (double)m0->makespan);
    if (v->nmodels == 1)
        snprintf(s, sizeof s, "  \xc2\xb7  %s  \xc2\xb7  makespan %s  \xc2\xb7  ended: %s", r0->backend ? r0->backend : "?",
                 mk, trc_run_end_name(r0->end_reason));
    else
        snprintf(s, sizeof s, "  \xc2\xb7  %u runs on one time axis", v->nmodels);
    /* status on the right */
    rdr_fmt_dur(ph, sizeof ph, v->playhead);
    rdr_fmt_dur(tot, sizeof tot, (double)v->total);
    char st[160];
    snprintf(st, sizeof st, "%s %s / %s   speed %s", v->playing ? "\xe2\x96\xb6" : "\xe2\x9d\x9a\xe2\x9d\x9a",
             ph, tot, rdr_speed_str(sp, sizeof sp, v->speed));
    int sw = rdr_tw(cx, RDR_FONT_REGULAR, st, strlen(st));
    rdr_text(cx, L->width - sw - 12, y, RDR_FONT_REGULAR, RDR_COL_TEXT, st);
    bool end_bad = v->nmodels == 1 && r0->end_reason != TRC_END_OK;
    if (end_bad) {
        /* the end reason in red */
        char a[256], b[64];
        snprintf(a, sizeof a, "  \xc2\xb7  %s  \xc2\xb7  makespan %s  \xc2\xb7  ended: ", r0->backend ? r0->backend : "?", mk);
        snprintf(b, sizeof b, "%s", trc_run_end_name(r0->end_reason));
        int room = L->width - sw - 24 - x;
        int w = rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, a, room);
        if (w < room) rdr_text_fit(cx, x + w, y, RDR_FONT_BOLD, RDR_COL_ALERT, b, room - w);
    } else {
        rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s, L->width - sw - 24 - x);
    }
    /* legend */
    y = 27;
    x = 12;
    for (unsigned st_i = 0; st_i < TRC_ST__COUNT; st_i++) {
        rdr_dl_rect(cx->dl, x, y + 3, 14, 10, rdr_state_color(st_i));
        x += 19;
        x += rdr_text(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT, trc_state_name(st_i)) + 14;
    }
    rdr_dl_rect(cx->dl, x, y + 3, 14, 10, RDR_COL_QUEUE);
    x += 19;
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, "depth/level") + 8;
    for (int i = 0; i < 3; i++) rdr_dl_rect(cx->dl, x + i * 5, y + 8, 3, 1, RDR_COL_CAPACITY);
    x += 19;
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, "capacity") + 14;
    bool futures = false;
    for (uint32_t r = 0; r < v->nmodels; r++) futures |= v->models[r].nfutures > 0;
    if (futures) {   /* the future lanes' states */
        x += rdr_text(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, "future:") + 8;
        static const struct { unsigned k; const char *name; } fl[] = {
            { RDR_FK_PENDING, "queued" }, { RDR_FK_RUNNING, "ran" }, { RDR_FK_DONE, "done" },
            { RDR_FK_CANCELLED, "cancelled" } };
        for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
            rdr_dl_rect(cx->dl, x, y + 3, 14, 10, rdr_future_color(fl[i].k));
            x += 19;
            x += rdr_text(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT, fl[i].name) + 12;
        }
    }
    rdr_dl_rect(cx->dl, x + 6, y + 1, 2, 14, RDR_COL_PLAYHEAD);
    x += 19;
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM,
                  futures ? "playhead" : v->ghost ? "playhead (after it: ghosted)" : "playhead (after it: hidden)");
    /* visible window, right */
    char w0[48], w1[48], ww_s[32];
    double win = v->t1 - v->t0;
    rdr_fmt_time(w0, sizeof w0, v->t0, win / 200, v->t1);
    rdr_fmt_time(w1, sizeof w1, v->t1, win / 200, v->t1);
    rdr_fmt_dur(ww_s, sizeof ww_s, win);
    snprintf(s, sizeof s, "view %s \xe2\x80\x93 %s (%s)", w0, w1, ww_s);
    int ww = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
    if (x + 24 < L->width - ww - 12) rdr_text(cx, L->width - ww - 12, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s);
    /* alert line: the first run that deadlocked / got stuck */
    if (L->header_h > RDR_HEADER_H) {
        for (uint32_t r = 0; r < v->nmodels; r++) {
            const trc_run *run = v->models[r].run;
            if (run->end_reason == TRC_END_OK || run->end_reason == TRC_END_UNFINISHED) continue;
            const char *rep = run->report && run->report[0] ? run->report : "(no report)";
            size_t len = strcspn(rep, "\n");
            char up[32];
            snprintf(up, sizeof up, "%s", trc_run_end_name(run->end_reason));
            for (char *p = up; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
            if (v->nmodels > 1) snprintf(s, sizeof s, "%s in run %u: %.*s", up, r + 1, (int)len, rep);
            else snprintf(s, sizeof s, "%s: %.*s", up, (int)len, rep);
            rdr_dl_rect(cx->dl, 0, RDR_HEADER_H - 2, L->width, RDR_ALERT_H, 0xff3a1d1fu);
            rdr_text_fit(cx, 12, RDR_HEADER_H, RDR_FONT_BOLD, RDR_COL_ALERT, s, L->width - 24);
            break;
        }
    }
    rdr_dl_rect(cx->dl, 0, L->header_h - 1, L->width, 1, RDR_COL_GRID);
}

static void rdr_ruler(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    int y = L->ruler_y, h = L->ruler_h;
    rdr_dl_rect(cx->dl, 0, y, L->width, h, RDR_COL_PANEL);
    rdr_dl_rect(cx->dl, 0, y + h - 1, L->width, 1, RDR_COL_GRID);
    rdr_text(cx, 12, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, "time");
    rdr_dl_clip(cx->dl, L->plot_x - 4, y, L->plot_w + 8, h);
    double step = rdr_ruler_step(cx);
    double mant = step / pow(10, floor(log10(step) + 1e-9));
    double minor = step / (mant > 1.5 && mant < 2.5 ? 4 : 5);
    if (minor / cx->npp >= 6)
        for (double t = ceil(v->t0 / minor) * minor; t <= v->t1; t += minor) {
            int x = (int)lround(rdr_view_x_of(v, t));
            rdr_dl_rect(cx->dl, x, y + h - 5, 1, 4, 0xff4a505cu);
        }
    char s[64];
    for (double t = ceil(v->t0 / step) * step; t <= v->t1; t += step) {
        int x = (int)lround(rdr_view_x_of(v, t));
        rdr_dl_rect(cx->dl, x, y + h - 10, 1, 9, 0xff7a808cu);
        rdr_fmt_time(s, sizeof s, t, step, v->t1);
        rdr_text(cx, x + 4, y + 3, RDR_FONT_REGULAR, RDR_COL_TEXT, s);
    }
    rdr_dl_clip(cx->dl, 0, 0, 0, 0);
}

static void rdr_playhead(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (v->playhead < v->t0 || v->playhead > v->t1) return;
    int x = (int)lround(rdr_view_x_of(v, v->playhead));
    if (x >= L->plot_x + L->plot_w) x = L->plot_x + L->plot_w - 1;
    rdr_dl_rect(cx->dl, x - 1, L->ruler_y, 2, L->lanes_h + L->ruler_h, RDR_COL_PLAYHEAD);
    char s[48];
    rdr_fmt_dur(s, sizeof s, v->playhead);
    int tw = rdr_tw(cx, RDR_FONT_BOLD, s, strlen(s));
    int bx = x - tw / 2 - 5;
    if (bx + tw + 10 > L->width - 2) bx = L->width - 2 - tw - 10;
    if (bx < L->plot_x - 4) bx = L->plot_x - 4;
    rdr_dl_rect(cx->dl, bx, L->ruler_y + 5, tw + 10, cx->line_h + 2, RDR_COL_PLAYHEAD);
    rdr_text(cx, bx + 5, L->ruler_y + 6, RDR_FONT_BOLD, 0xff111318u, s);
}

static void rdr_footer(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_rect(cx->dl, 0, L->footer_y, L->width, L->footer_h, RDR_COL_PANEL);
    rdr_dl_rect(cx->dl, 0, L->footer_y, L->width, 1, RDR_COL_GRID);
    int y = L->footer_y + (L->footer_h - cx->line_h) / 2;
    char s[160];
    if (v->frame_ms > 0) {
        snprintf(s, sizeof s, "frame %.1f ms", v->frame_ms);
        int w = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
        rdr_text(cx, L->width - w - 12, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM, s);
    }
    rdr_text_fit(cx, 12, y, RDR_FONT_REGULAR, RDR_COL_TEXT_DIM,
                 "space play  +/- speed  \xe2\x86\x90/\xe2\x86\x92 step  home/end  wheel, w/s zoom  "
                 "drag, a/d pan  f flows  g ghost  0 fit  q quit",
                 L->width - 140);
}

//~ hover

enum { RDR_TIP_LINES = 8 };
typedef struct rdr_tip { char line[RDR_TIP_LINES][192]; int n; } rdr_tip;

static void rdr_tip_add(rdr_tip *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rdr_tip_add(rdr_tip *t, const char *fmt, ...) {
    if (t->n >= RDR_TIP_LINES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->line[t->n++], sizeof t->line[0], fmt, ap);
    va_end(ap);
}

static void rdr_span_times(char *out, size_t cap, double t0, double t1) {
    char a[32], b[32], d[32];
    rdr_fmt_dur(a, sizeof a, t0);
    rdr_fmt_dur(b, sizeof b, t1);
    rdr_fmt_dur(d, sizeof d, t1 - t0);
    snprintf(out, cap, "%s \xe2\x86\x92 %s  (%s)", a, b, d);
}

/* The instant (kind, obj, arg) at exactly t, aux == want_aux unless want_aux < 0; NULL if none. */
static const trc_instant *rdr_instant_at(const trc_model *m, uint64_t t, uint16_t kind, uint32_t obj, uint64_t arg,
                                         int want_aux, bool skip_timeouts) {
    size_t a = 0, b = m->ninstants;
    while (a < b) { size_t mid = a + (b - a) / 2; if (m->instants[mid].t < t) a = mid + 1; else b = mid; }
    for (size_t i = a, n = 0; i < m->ninstants && m->instants[i].t == t && n < 256; i++, n++) {
        const trc_instant *in = &m->instants[i];
        if (in->kind != kind || in->obj != obj || in->arg != arg) continue;
        if (want_aux >= 0 && in->aux != want_aux) continue;
        if (skip_timeouts && in->aux == TRC_OUT_TIMEOUT) continue;
        return in;
    }
    return NULL;
}

static const char *rdr_fut_state_word(const trc_future *f, uint64_t t) {
    switch (trc_future_state_at(f, t)) {
    case TRC_FUT_PENDING: return "still queued";
    case TRC_FUT_RUNNING: return "running";
    case TRC_FUT_FINISHED: return "done";
    case TRC_FUT_CANCELLED: return "cancelled";
    default: return "not submitted";
    }
}

/* One line about a point event: "submitted future #3 to pool p". */
static void rdr_instant_text(rdr_ctx *cx, uint32_t run, const trc_instant *in, char *out, size_t cap) {
    const trc_model *m = &cx->v->models[run];
    const trc_run *r = m->run;
    const char *pool = rdr_obj_name(r, in->obj);
    unsigned long long id = (unsigned long long)in->arg;
    const trc_future *f = in->obj ? rdr_future_find(rdr_lod_of(cx->v, run), in->obj, in->arg) : NULL;
    switch (in->kind) {
    case TRC_EV_SPAWN: snprintf(out, cap, "spawned %s", rdr_unit_name(r, (uint32_t)in->arg)); break;
    case TRC_EV_JOINED: snprintf(out, cap, "joined %s", rdr_unit_name(r, (uint32_t)in->arg)); break;
    case TRC_EV_SUBMIT: snprintf(out, cap, "submitted future #%llu to pool %s", id, pool); break;
    case TRC_EV_RESULT:
        if (in->aux == TRC_OUT_TIMEOUT)
            snprintf(out, cap, "result of future #%llu timed out (it was %s)", id, f ? rdr_fut_state_word(f, in->t) : "?");
        else snprintf(out, cap, "result of future #%llu: %s", id, trc_outcome_name(in->aux));
        break;
    case TRC_EV_CANCEL:
        if (in->aux == 1) snprintf(out, cap, "cancelled future #%llu (it was still queued)", id);
        else snprintf(out, cap, "cancel of future #%llu failed: it was %s", id, f ? rdr_fut_state_word(f, in->t) : "not queued");
        break;
    case TRC_EV_CALLBACK: snprintf(out, cap, "ran the done-callback of future #%llu", id); break;
    case TRC_EV_LOCAL_SET: snprintf(out, cap, "thread-local %s", in->text ? in->text : "?"); break;
    case TRC_EV_PROC_EXIT: {
        const char *sn = trc_signal_name((int)in->arg);
        if (in->aux == TRC_PROC_SIGNALED) snprintf(out, cap, "its process was killed by %s", sn ? sn : "a signal");
        else snprintf(out, cap, "its process exited with code %llu", id);
        break;
    }
    case TRC_EV_SIGNAL: {
        const char *sn = trc_signal_name((int)in->aux);
        snprintf(out, cap, "sent %s to %s", sn ? sn : "a signal", rdr_unit_name(r, (uint32_t)in->arg));
        break;
    }
    case TRC_EV_SEND: snprintf(out, cap, "sent message #%llu (%u bytes) into pipe %s", id, in->extra, pool); break;
    case TRC_EV_RECV:
        if (in->aux) snprintf(out, cap, "recv on pipe %s: end of file (every write end closed)", pool);
        else snprintf(out, cap, "received message #%llu (%u bytes) from pipe %s", id, in->extra, pool);
        break;
    case TRC_EV_PIPE_CLOSE:
        snprintf(out, cap, "closed the %s of pipe %s in its process", in->aux == TRC_PIPE_READ ? "read end"
                 : in->aux == TRC_PIPE_WRITE ? "write end" : "both ends", pool);
        break;
    case TRC_EV_SHM_WRITE: snprintf(out, cap, "wrote %u bytes at %llu of %s", in->extra, id, pool); break;
    case TRC_EV_SHM_READ:
        snprintf(out, cap, "read %u bytes at %llu of %s%s", in->extra, id, pool, in->aux ? ": TORN (parts of two writes)" : "");
        break;
    case TRC_EV_SHM_UNLINK: snprintf(out, cap, "unlinked %s", pool); break;
    case TRC_EV_VAR_SET: snprintf(out, cap, "%s = %lld (in this unit's process)", pool, (long long)(int64_t)in->arg); break;
    case TRC_EV_SERVE: snprintf(out, cap, "served a request on %s for %s", pool, rdr_unit_name(r, in->extra)); break;
    default: snprintf(out, cap, "%s", trc_ev_name(in->kind)); break;
    }
}

/* The drawn point event of unit u nearest to screen x (within 5 px), or NULL. */
static const trc_instant *rdr_instant_near(rdr_ctx *cx, uint32_t run, uint32_t u, int mx) {
    const rdr_view *v = cx->v;
    const trc_model *m = &v->models[run];
    double t = rdr_view_t_at(v, mx), lo = t - 5 * cx->npp, hi = fmin(t + 5 * cx->npp, cx->reveal);
    size_t a = 0, b = m->ninstants;
    while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->instants[mid].t < lo) a = mid + 1; else b = mid; }
    const trc_instant *best = NULL;
    double bd = 1e300;
    for (size_t i = a, n = 0; i < m->ninstants && (double)m->instants[i].t <= hi && n < 512; i++, n++) {
        const trc_instant *in = &m->instants[i];
        if (in->unit != u || !rdr_instant_drawn(in->kind)) continue;
        double d = fabs((double)in->t - t);
        if (d < bd) { bd = d; best = in; }
    }
    return best;
}

static void rdr_hover_unit(rdr_ctx *cx, const rdr_row *row, double t, bool in_plot, rdr_tip *tip) {
    const rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_unit *un = &m->run->units[row->id];
    const trc_unit_track *ut = &m->units[row->id];
    rdr_tip_add(tip, "%s  (%s)", un->name ? un->name : "?", trc_unit_kind_name(un->kind));
    char s[128];
    if (!in_plot) {   /* the names column: totals */
        double life = (double)(ut->t_exit > ut->t_start ? ut->t_exit - ut->t_start : 1);
        rdr_tip_add(tip, "computing %.0f%%  blocked %.0f%%  sleeping %.0f%%", 100.0 * (double)ut->t_state[TRC_ST_COMPUTE] / life,
                    100.0 * (double)ut->t_state[TRC_ST_BLOCKED] / life, 100.0 * (double)ut->t_state[TRC_ST_SLEEP] / life);
        rdr_tip_add(tip, "%u waits, %u marks%s", ut->waits, ut->marks, ut->aborted ? ", aborted" : ut->exited ? "" : ", never exited");
        return;
    }
    if (t > cx->reveal && !v->ghost) {
        rdr_tip_add(tip, "not reached yet (after the playhead)");
        return;
    }
    if (ut->killed && (double)ut->t_killed <= cx->reveal && fabs(rdr_view_x_of(v, (double)ut->t_killed) - v->mouse_x) <= 6) {
        rdr_fmt_dur(s, sizeof s, (double)ut->t_killed);
        rdr_tip_add(tip, "daemon: killed at %s, cut off when the run ended", s);
    }
    const trc_instant *in = rdr_instant_near(cx, row->run, row->id, v->mouse_x);
    if (in) {
        char what[160], at[32];
        rdr_instant_text(cx, row->run, in, what, sizeof what);
        rdr_fmt_dur(at, sizeof at, (double)in->t);
        rdr_tip_add(tip, "%s at %s", what, at);
    }
    const trc_span *sp = trc_model_span_at(m, row->id, (uint64_t)fmax(t, 0));
    if (!sp) {
        if (ut->exited && t >= (double)ut->t_exit) rdr_tip_add(tip, "done");
        else rdr_tip_add(tip, "not started");
        return;
    }
    if (sp->state == TRC_ST_BLOCKED) {
        const char *on = rdr_obj_name(m->run, sp->obj);
        const char *kind = sp->obj && sp->obj <= m->run->nobjects ? trc_obj_kind_name(m->run->objects[sp->obj - 1].kind) : "";
        char what[160];
        const char *shortl;
        if (!sp->obj && (sp->op == TRC_OP_JOIN || sp->op == TRC_OP_RESULT)) {
            rdr_blocked_text(m, sp, what, sizeof what, &shortl);
            rdr_tip_add(tip, "blocked in %s", what);
        } else if (sp->op == TRC_OP_RESULT) {
            rdr_tip_add(tip, "blocked in result of future #%llu of pool %s", (unsigned long long)sp->target, on);
        } else if (sp->op == TRC_OP_LOCK || sp->op == TRC_OP_NONE) {
            rdr_tip_add(tip, "blocked on %s %s", kind, on);
        } else {
            rdr_tip_add(tip, "blocked in %s on %s %s", trc_op_name(sp->op), kind, on);
        }
    } else {
        rdr_tip_add(tip, "%s", trc_state_name(sp->state));
    }
    rdr_span_times(s, sizeof s, (double)sp->t0, (double)sp->t1);
    rdr_tip_add(tip, "%s", s);
    if (sp->state == TRC_ST_BLOCKED && sp->outcome != TRC_OUT_OK) rdr_tip_add(tip, "wait %s", trc_outcome_name(sp->outcome));
}

/* "future #3 of pool p", who submitted it, how long it queued and ran and where,
 * its callback and who took its result. */
static void rdr_hover_future(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_run *r = m->run;
    const char *pool = rdr_obj_name(r, row->id);
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
    if (p && row->lane == RDR_LANE_MORE) {
        rdr_tip_add(tip, "pool %s: %u lanes", pool, p->nlanes);
        rdr_tip_add(tip, "lanes %u to %u are not drawn one by one", RDR_MAX_FUTURE_LANES, p->nlanes);
        rdr_tip_add(tip, "the pool row counts every future running or queued");
        return;
    }
    if (!p || row->lane >= p->nlanes) return;
    if (t > cx->reveal && !v->ghost) {
        rdr_tip_add(tip, "pool %s, lane %u", pool, row->lane + 1);
        rdr_tip_add(tip, "not reached yet (after the playhead)");
        return;
    }
    const uint32_t *futs = p->futs + p->foff[row->lane];
    size_t n = p->foff[row->lane + 1] - p->foff[row->lane];
    uint64_t tt = (uint64_t)fmax(t, 0);
    size_t i = rdr_future_lower(m, futs, n, tt);
    const trc_future *f = i < n && m->futures[futs[i]].t_begin <= tt ? &m->futures[futs[i]] : NULL;
    if (!f && i < n && fabs(rdr_view_x_of(v, (double)m->futures[futs[i]].t_begin) - v->mouse_x) <= 4)
        f = &m->futures[futs[i]];   /* a bar narrower than a pixel */
    if (!f && i > 0 && fabs(rdr_view_x_of(v, (double)m->futures[futs[i - 1]].t_end) - v->mouse_x) <= 4)
        f = &m->futures[futs[i - 1]];
    char a[32], b[32], c[32];
    if (!f) {
        rdr_tip_add(tip, "pool %s, lane %u", pool, row->lane + 1);
        rdr_fmt_dur(a, sizeof a, (double)tt);
        rdr_tip_add(tip, "no future here at %s", a);
        return;
    }
    unsigned long long id = (unsigned long long)f->id;
    if (f->task) rdr_tip_add(tip, "future #%llu of pool %s: task '%s'", id, pool, f->task);
    else rdr_tip_add(tip, "future #%llu of pool %s", id, pool);
    if (f->t_submit != TRC_T_NONE) {
        rdr_fmt_dur(a, sizeof a, (double)f->t_submit);
        rdr_tip_add(tip, "submitted by %s at %s", rdr_unit_name(r, f->submitter), a);
    }
    uint64_t q0 = f->t_submit != TRC_T_NONE ? f->t_submit : f->t_begin;
    if (f->cancelled) {
        const trc_instant *ci = rdr_instant_at(m, f->t_cancel, TRC_EV_CANCEL, f->pool, f->id, 1, false);
        rdr_fmt_dur(a, sizeof a, (double)(f->t_cancel - (f->t_cancel > q0 ? q0 : f->t_cancel)));
        rdr_fmt_dur(b, sizeof b, (double)f->t_cancel);
        rdr_tip_add(tip, "queued %s, then cancelled by %s at %s: never ran", a, ci ? rdr_unit_name(r, ci->unit) : "?", b);
    } else if (f->t_start != TRC_T_NONE) {
        rdr_fmt_dur(a, sizeof a, (double)(f->t_start > q0 ? f->t_start - q0 : 0));
        if (f->t_done != TRC_T_NONE) {
            rdr_fmt_dur(b, sizeof b, (double)(f->t_done - f->t_start));
            rdr_tip_add(tip, "queued %s, ran on %s %s, finished %s", a, rdr_unit_name(r, f->worker), b,
                        trc_outcome_name(f->outcome));
        } else {
            rdr_tip_add(tip, "queued %s, ran on %s, still running when the run ended", a, rdr_unit_name(r, f->worker));
        }
    } else {
        rdr_tip_add(tip, "still queued when the run ended: never ran");
    }
    if (f->t_callback != TRC_T_NONE) {
        rdr_fmt_dur(a, sizeof a, (double)f->t_callback);
        rdr_tip_add(tip, "callback on %s at %s", rdr_unit_name(r, f->callback_unit), a);
    }
    if (f->t_result != TRC_T_NONE) {
        const trc_instant *ri = rdr_instant_at(m, f->t_result, TRC_EV_RESULT, f->pool, f->id, -1, true);
        rdr_fmt_dur(a, sizeof a, (double)f->t_result);
        if (f->results > 1) snprintf(c, sizeof c, " (%u times)", f->results);
        else c[0] = 0;
        rdr_tip_add(tip, "result taken by %s at %s%s", ri ? rdr_unit_name(r, ri->unit) : "?", a, c);
    } else {
        rdr_tip_add(tip, "result never taken");
    }
    if (f->result_timeouts)
        rdr_tip_add(tip, "%u result wait%s timed out before it finished (red ticks)", f->result_timeouts,
                    f->result_timeouts > 1 ? "s" : "");
    int k = rdr_future_key_at(f, tt);
    static const char *const kn[RDR_FK__COUNT] = { "queued", "running", "done", "cancelled", "failed" };
    rdr_fmt_dur(a, sizeof a, (double)tt);
    rdr_tip_add(tip, "at %s: %s", a, k >= 0 ? kn[k] : "not submitted yet");
}

static void rdr_hover_pool(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_object *ob = &m->run->objects[row->id - 1];
    const trc_object_track *ot = &m->objects[row->id - 1];
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
    rdr_tip_add(tip, "%s  (pool, %lld workers)", ob->name ? ob->name : "?", (long long)ob->capacity);
    uint64_t tt = (uint64_t)fmax(t, 0);
    char at[32];
    rdr_fmt_dur(at, sizeof at, (double)tt);
    if (p && (t <= cx->reveal || v->ghost)) {
        int64_t busy = trc_sample_at(p->busy, p->nbusy, tt), live = trc_sample_at(p->live, p->nlive, tt);
        rdr_tip_add(tip, "%lld running, %lld queued at %s", (long long)busy, (long long)(live - busy), at);
    } else {
        rdr_tip_add(tip, "not reached yet (after the playhead)");
    }
    rdr_tip_add(tip, "%u submitted: %u done ok, %u failed, %u cancelled", ot->submitted, ot->completed, ot->failed,
                ot->cancelled);
    if (ot->cancel_failed) rdr_tip_add(tip, "%u cancel%s came too late (already running or done)", ot->cancel_failed,
                                       ot->cancel_failed > 1 ? "s" : "");
    rdr_tip_add(tip, "%u callbacks, %u results taken", ot->callbacks, ot->results);
}

static void rdr_hover_obj(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    const rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_object *ob = &m->run->objects[row->id - 1];
    const trc_object_track *ot = &m->objects[row->id - 1];
    const char *name = ob->name ? ob->name : "?";
    char s[128], at[32];
    uint64_t tt = (uint64_t)fmax(t, 0);
    rdr_fmt_dur(at, sizeof at, (double)tt);
    bool seen = t <= cx->reveal || v->ghost;
    if (row->kind == RDR_ROW_LEVEL) {
        if (rdr_has_capacity(ob))
            rdr_tip_add(tip, "%s  (%s, %s %lld)", name, trc_obj_kind_name(ob->kind),
                        ob->kind == TRC_OBJ_QUEUE ? "capacity" : ob->kind == TRC_OBJ_SEMAPHORE ? "permits" : "parties",
                        (long long)ob->capacity);
        else if (ob->kind == TRC_OBJ_QUEUE) rdr_tip_add(tip, "%s  (queue, unbounded)", name);
        else rdr_tip_add(tip, "%s  (%s)", name, trc_obj_kind_name(ob->kind));
        if (seen) {
            size_t n;
            const trc_sample *smp = rdr_series(m, row->id, &n);
            rdr_level_text(s, sizeof s, ob, trc_sample_at(smp, n, tt));
            rdr_tip_add(tip, "%s at %s", s, at);
        } else {
            rdr_tip_add(tip, "not reached yet (after the playhead)");
        }
        switch (ob->kind) {
        case TRC_OBJ_QUEUE:
            rdr_tip_add(tip, "max depth %lld, %u puts, %u gets, %u waits", (long long)ot->max_depth, ot->puts, ot->gets,
                        ot->waits);
            break;
        case TRC_OBJ_SEMAPHORE:
            rdr_tip_add(tip, "at most %lld in use, %u acquires, %u waits, %u timeouts", (long long)ot->max_level,
                        ot->acquires, ot->waits, ot->timeouts);
            break;
        case TRC_OBJ_BARRIER:
            rdr_tip_add(tip, "%u arrivals, %u generations opened", ot->arrivals, ot->generations);
            break;
        case TRC_OBJ_COUNTER:
            rdr_tip_add(tip, "%u writes, %u reads, %llu lost updates, final %lld", ot->writes, ot->reads,
                        (unsigned long long)ot->lost_updates, (long long)ot->final_value);
            break;
        case TRC_OBJ_RWLOCK:
            rdr_tip_add(tip, "%u reads of %u acquires, at most %lld readers", ot->shared_acquires, ot->acquires,
                        (long long)ot->max_level);
            break;
        default: break;
        }
        return;
    }
    bool event = ob->kind == TRC_OBJ_EVENT;
    rdr_tip_add(tip, "%s  (%s)", name, trc_obj_kind_name(ob->kind));
    if (!seen) {
        rdr_tip_add(tip, "not reached yet (after the playhead)");
    } else {
        size_t n;
        const trc_owner_span *ow = rdr_owners(m, row->id, &n);
        size_t i = rdr_owner_lower(ow, n, tt);
        if (i < n && (double)ow[i].t0 <= t) {
            const trc_owner_span *o = &ow[i];
            const char *who = o->owner < m->run->nunits ? m->run->units[o->owner].name : "?";
            if (event) rdr_tip_add(tip, "set by %s", who);
            else if (ob->kind == TRC_OBJ_RWLOCK) rdr_tip_add(tip, "written by %s", who);
            else if (ob->kind == TRC_OBJ_RLOCK && o->depth > 1) rdr_tip_add(tip, "held by %s (depth up to %u)", who, o->depth);
            else rdr_tip_add(tip, "held by %s", who);
            rdr_span_times(s, sizeof s, (double)o->t0, (double)o->t1);
            rdr_tip_add(tip, "%s", s);
        } else {
            rdr_tip_add(tip, "%s at %s", event ? "clear" : "free", at);
        }
    }
    double mk = (double)(m->makespan ? m->makespan : 1);
    if (event)
        rdr_tip_add(tip, "set %.0f%% of the run, %u sets, %u clears, %u woken", 100.0 * (double)ot->t_set / mk, ot->sets,
                    ot->clears, ot->woken);
    else
        rdr_tip_add(tip, "held %.0f%% of the run, %u acquires, %u waits", 100.0 * (double)ot->t_held / mk, ot->acquires,
                    ot->waits);
}

static void rdr_hover(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (!v->mouse_in || v->drag) return;
    int mx = v->mouse_x, my = v->mouse_y;
    bool in_plot = mx >= L->plot_x && mx < L->plot_x + L->plot_w;
    rdr_tip tip = { .n = 0 };
    double t = rdr_view_t_at(v, mx);
    if (in_plot && my >= L->ruler_y && my < L->footer_y) {
        int x = mx;
        rdr_dl_rect(cx->dl, x, L->lanes_y, 1, L->lanes_h, 0x60ffffffu);
        char s[48];
        rdr_fmt_dur(s, sizeof s, fmax(t, 0));
        int tw = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
        rdr_dl_rect(cx->dl, x - tw / 2 - 4, L->ruler_y + L->ruler_h - cx->line_h - 2, tw + 8, cx->line_h + 2, 0xff3a3f4au);
        rdr_text(cx, x - tw / 2, L->ruler_y + L->ruler_h - cx->line_h - 1, RDR_FONT_REGULAR, RDR_COL_TEXT, s);
    }
    const rdr_row *row = rdr_view_row_at(v, my);
    if (!row || mx < 0 || mx >= L->plot_x + L->plot_w) return;
    switch (row->kind) {
    case RDR_ROW_UNIT: rdr_hover_unit(cx, row, t, in_plot, &tip); break;
    case RDR_ROW_LEVEL: case RDR_ROW_OWNER: if (in_plot) rdr_hover_obj(cx, row, t, &tip); break;
    case RDR_ROW_POOL: rdr_hover_pool(cx, row, t, &tip); break;
    case RDR_ROW_FUTURE: if (in_plot) rdr_hover_future(cx, row, t, &tip); break;
    case RDR_ROW_RUN: {
        const trc_run *run = v->models[row->run].run;
        rdr_tip_add(&tip, "run %u: %s", row->run + 1, run->scenario ? run->scenario : "");
        rdr_tip_add(&tip, "backend %s, seed %llu", run->backend ? run->backend : "?", (unsigned long long)run->seed);
        if (run->machine) rdr_tip_add(&tip, "%s", run->machine);
        break;
    }
    default: break;
    }
    if (!tip.n) return;
    int w = 0;
    for (int i = 0; i < tip.n; i++) {
        int lw = rdr_tw(cx, i ? RDR_FONT_REGULAR : RDR_FONT_BOLD, tip.line[i], strlen(tip.line[i]));
        if (lw > w) w = lw;
    }
    w += 16;
    int h = tip.n * cx->line_h + 10;
    int x = mx + 16, y = my + 16;
    if (x + w > L->width - 4) x = mx - w - 8;
    if (y + h > L->height - 4) y = my - h - 8;
    if (x < 4) x = 4;
    if (y < 4) y = 4;
    rdr_dl_rect(cx->dl, x + 2, y + 2, w, h, 0x80000000u);
    rdr_dl_rect(cx->dl, x, y, w, h, 0xff5a606cu);
    rdr_dl_rect(cx->dl, x + 1, y + 1, w - 2, h - 2, 0xff272a32u);
    for (int i = 0; i < tip.n; i++)
        rdr_text(cx, x + 8, y + 5 + i * cx->line_h, i ? RDR_FONT_REGULAR : RDR_FONT_BOLD, i ? RDR_COL_TEXT : 0xffffffffu,
                 tip.line[i]);
}

//~ the frame

void rdr_build(rdr_view *v, rdr_drawlist *dl, const rdr_text_metrics *tm) {
    rdr_drawlist_reset(dl);
    rdr_ctx cx = { .v = v, .dl = dl, .tm = tm, .line_h = tm && tm->line_h ? tm->line_h : RDR_LINE_H };
    cx.npp = (v->t1 - v->t0) / v->lay.plot_w;
    cx.reveal = v->playhead;
    rdr_scratch(&cx);
    rdr_dl_rect(dl, 0, 0, v->lay.width, v->lay.height, RDR_COL_BG);
    rdr_lanes(&cx);
    rdr_header(&cx);
    rdr_ruler(&cx);
    rdr_playhead(&cx);
    rdr_footer(&cx);
    rdr_hover(&cx);
}
