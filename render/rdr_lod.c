/* Level of detail: every lane becomes one key per pixel column.
 *
 * Two ways to fill the columns of a lane, chosen per lane and per frame:
 *  - walk: binary-search the first span in the window (trc_model_span_lower)
 *    and walk the spans that overlap it, adding each one's share of time to the
 *    columns it touches. Cost: spans in the window + columns.
 *  - dense: when there are more spans than a few per column, resolve each column
 *    from a prefix sum of time per state (built once per lane, on first need):
 *    the time of state s in [ta, tb) is F_s(tb) - F_s(ta), each F one binary
 *    search. Cost: columns * log(spans), whatever the zoom.
 * A column's key is the state holding the most time in it ("nothing" competes
 * too, so a lane that starts mid-column does not grow a pixel early).
 * Locks (key: owner) and queues (value: the deepest depth in the column) work
 * the same way with their own index (held-time prefix sums, a max segment tree).
 */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { RDR_WALK_PER_COL = 3 };   /* walk while spans <= 3 per visible column */

rdr_lod *rdr_lod_new(const trc_model *m) {
    rdr_lod *l = xcalloc(1, sizeof *l);
    uint32_t nu = m->run->nunits, no = m->run->nobjects;
    l->m = m;
    l->ucum = xcalloc(nu ? nu : 1, sizeof *l->ucum);
    l->ugrid = xcalloc(nu ? nu : 1, sizeof *l->ugrid);
    l->lcum = xcalloc(no ? no : 1, sizeof *l->lcum);
    l->qseg = xcalloc(no ? no : 1, sizeof *l->qseg);
    l->tried = xcalloc((size_t)nu + no + 1, 1);
    l->range = xcalloc(no ? no : 1, sizeof *l->range);
    l->has_range = xcalloc(no ? no : 1, 1);
    return l;
}

void rdr_lod_free(rdr_lod *l) {
    if (!l) return;
    for (uint32_t u = 0; u < l->m->run->nunits; u++) { free(l->ucum[u]); free(l->ugrid[u].g); }
    free(l->ugrid);
    for (uint32_t o = 0; o < l->m->run->nobjects; o++) { free(l->lcum[o]); free(l->qseg[o]); }
    free(l->ucum);
    free(l->lcum);
    free(l->qseg);
    free(l->tried);
    free(l->range);
    free(l->has_range);
    free(l);
}

size_t rdr_owner_lower(const trc_owner_span *o, size_t n, uint64_t t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o[mid].t1 <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

size_t rdr_sample_lower(const trc_sample *s, size_t n, uint64_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].t < x) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Galloping searches: the column boundaries of a lane only grow, so each
 * search starts from the previous answer and doubles its step: a few probes
 * near memory already in cache instead of a cold binary search per column. */
#define RDR_GALLOP(name, T, FIELD, CMP_PASSES)                                     \
    static size_t name(const T *a, size_t n, size_t from, uint64_t x) {             \
        if (from >= n || !(CMP_PASSES(a[from].FIELD, x))) return from;               \
        size_t lo = from, step = 1, hi;                                              \
        for (;;) {                                                                   \
            hi = lo + step;                                                          \
            if (hi >= n) { hi = n; break; }                                          \
            if (!(CMP_PASSES(a[hi].FIELD, x))) break;                                \
            lo = hi;                                                                 \
            step *= 2;                                                               \
        }                                                                            \
        lo++;                                                                        \
        while (lo < hi) {                                                            \
            size_t mid = lo + (hi - lo) / 2;                                         \
            if (CMP_PASSES(a[mid].FIELD, x)) lo = mid + 1; else hi = mid;            \
        }                                                                            \
        return lo;                                                                   \
    }
#define RDR_LE(v, x) ((v) <= (x))
#define RDR_LT(v, x) ((v) < (x))
RDR_GALLOP(rdr_gallop_span, trc_span, t1, RDR_LE)          /* first span with t1 > x */
RDR_GALLOP(rdr_gallop_owner, trc_owner_span, t1, RDR_LE)   /* first owner span with t1 > x */
RDR_GALLOP(rdr_gallop_sample, trc_sample, t, RDR_LT)       /* first sample with t >= x */

static uint64_t rdr_floor_t(double t) { return t <= 0 ? 0 : (uint64_t)t; }
static uint64_t rdr_ceil_t(double t) { return t <= 0 ? 0 : (uint64_t)ceil(t); }

/* The columns [*ca, *cb] that meet [c->a, c->b); false if none. */
static bool rdr_col_range(const rdr_cols *c, int *ca, int *cb) {
    if (!(c->b > c->a) || c->ncol <= 0) return false;
    double fa = floor((c->a - c->wt0) / c->npp), fb = ceil((c->b - c->wt0) / c->npp) - 1;
    if (fa < 0) fa = 0;
    if (fb > c->ncol - 1) fb = c->ncol - 1;
    if (fb < fa) return false;
    *ca = (int)fa;
    *cb = (int)fb;
    return true;
}

static inline void rdr_col_times(const rdr_cols *c, int col, double *ta, double *tb) {
    *ta = c->wt0 + col * c->npp;
    *tb = *ta + c->npp;
    if (*ta < c->a) *ta = c->a;
    if (*tb > c->b) *tb = c->b;
}

/* Adds [s0, s1) (ns, already clipped) to the columns it touches, in column units,
 * calling ADD(col, fraction). */
#define RDR_SPREAD(c, s0, s1, ADD)                                                  \
    do {                                                                            \
        double f0_ = ((s0) - (c)->wt0) / (c)->npp, f1_ = ((s1) - (c)->wt0) / (c)->npp; \
        if (f0_ < 0) f0_ = 0;                                                       \
        if (f1_ > (c)->ncol) f1_ = (c)->ncol;                                       \
        if (f1_ <= f0_) break;                                                      \
        int c0_ = (int)f0_, c1_ = (int)ceil(f1_) - 1;                               \
        if (c1_ >= (c)->ncol) c1_ = (c)->ncol - 1;                                  \
        if (c0_ >= c1_) { ADD(c0_, f1_ - f0_); break; }                            \
        ADD(c0_, (c0_ + 1) - f0_);                                                  \
        for (int k_ = c0_ + 1; k_ < c1_; k_++) ADD(k_, 1.0);                        \
        ADD(c1_, f1_ - c1_);                                                        \
    } while (0)

//~ unit lanes

static const uint64_t (*rdr_unit_cum(rdr_lod *l, uint32_t u))[TRC_ST__COUNT] {
    if (l->ucum[u] || l->tried[u]) return (const uint64_t (*)[TRC_ST__COUNT])l->ucum[u];
    const trc_unit_track *ut = &l->m->units[u];
    uint64_t (*cum)[TRC_ST__COUNT] = malloc((ut->nspans + 1) * sizeof *cum);
    if (!cum) { l->tried[u] = 1; return NULL; }
    memset(cum[0], 0, sizeof cum[0]);
    for (size_t i = 0; i < ut->nspans; i++) {
        memcpy(cum[i + 1], cum[i], sizeof cum[0]);
        cum[i + 1][ut->spans[i].state] += ut->spans[i].t1 - ut->spans[i].t0;
    }
    l->ucum[u] = cum;
    return (const uint64_t (*)[TRC_ST__COUNT])cum;
}

/* The grid: one cell per 2 spans on average (at least 1024 cells). */
static const rdr_grid *rdr_unit_grid(rdr_lod *l, uint32_t u) {
    rdr_grid *gr = &l->ugrid[u];
    if (gr->g) return gr;
    const trc_unit_track *ut = &l->m->units[u];
    if (!ut->nspans) return NULL;
    uint64_t t0 = ut->spans[0].t0, t1 = ut->spans[ut->nspans - 1].t1;
    size_t n = ut->nspans / 2 > 1024 ? ut->nspans / 2 : 1024;
    uint64_t (*g)[TRC_ST__COUNT] = calloc(n + 1, sizeof *g);
    if (!g) return NULL;
    double w = (double)(t1 - t0) / (double)n;
    if (w < 1) w = 1;
    /* time per state inside each cell, then a running sum */
    for (size_t i = 0; i < ut->nspans; i++) {
        const trc_span *sp = &ut->spans[i];
        double a = (double)(sp->t0 - t0), b = (double)(sp->t1 - t0);
        size_t ca = (size_t)(a / w), cb = (size_t)(b / w);
        if (ca >= n) ca = n - 1;
        if (cb >= n) cb = n - 1;
        for (size_t c = ca; c <= cb; c++) {
            double lo = fmax(a, (double)c * w), hi = fmin(b, (double)(c + 1) * w);
            if (c == n - 1) hi = b;
            if (hi > lo) g[c + 1][sp->state] += (uint64_t)llround(hi - lo);
        }
    }
    for (size_t c = 1; c <= n; c++)
        for (int s = 0; s < TRC_ST__COUNT; s++) g[c][s] += g[c - 1][s];
    *gr = (rdr_grid){ .t0 = t0, .w = w, .n = (uint32_t)n, .g = g };
    return gr;
}

static void rdr_grid_F(const rdr_grid *gr, double t, double out[TRC_ST__COUNT]) {
    double f = (t - (double)gr->t0) / gr->w;
    if (f <= 0) f = 0;
    if (f >= gr->n) f = gr->n;
    size_t j = (size_t)f;
    if (j >= gr->n) { for (int s = 0; s < TRC_ST__COUNT; s++) out[s] = (double)gr->g[gr->n][s]; return; }
    double k = f - (double)j;
    for (int s = 0; s < TRC_ST__COUNT; s++)
        out[s] = (double)gr->g[j][s] + k * (double)(gr->g[j + 1][s] - gr->g[j][s]);
}

/* Time per state in spans before t. */
static void rdr_unit_F(const trc_unit_track *ut, const uint64_t (*cum)[TRC_ST__COUNT], double t,
                       double out[TRC_ST__COUNT], size_t *hint) {
    size_t i = rdr_gallop_span(ut->spans, ut->nspans, *hint, rdr_floor_t(t));
    *hint = i;
    for (int s = 0; s < TRC_ST__COUNT; s++) out[s] = (double)cum[i][s];
    if (i < ut->nspans && t > (double)ut->spans[i].t0) {
        double e = t < (double)ut->spans[i].t1 ? t : (double)ut->spans[i].t1;
        out[ut->spans[i].state] += e - (double)ut->spans[i].t0;
    }
}

void rdr_lod_unit(rdr_lod *l, uint32_t u, const rdr_cols *c, int8_t *keys, float *acc, rdr_drawlist *st) {
    const trc_unit_track *ut = &l->m->units[u];
    memset(keys, 0xff, (size_t)c->ncol);
    int ca, cb;
    if (!ut->nspans || !rdr_col_range(c, &ca, &cb)) return;
    size_t ia = trc_model_span_lower(ut, rdr_floor_t(c->a));
    size_t ib = trc_model_span_lower(ut, rdr_ceil_t(c->b));
    int ncols = cb - ca + 1;
    const uint64_t (*cum)[TRC_ST__COUNT] = NULL;
    const rdr_grid *gr = NULL;
    if (ib - ia > (size_t)ncols * RDR_WALK_PER_COL) {
        /* far out (a column covers 4+ grid cells) the grid is exact enough: an
         * error of at most a cell at each edge of a column; else prefix sums */
        gr = rdr_unit_grid(l, u);
        if (gr && c->npp < 4 * gr->w) gr = NULL;
        if (!gr) cum = rdr_unit_cum(l, u);
    }

    if (!cum && !gr) {
        memset(acc + (size_t)ca * TRC_ST__COUNT, 0, sizeof(float) * (size_t)ncols * TRC_ST__COUNT);
        size_t i;
        for (i = ia; i < ut->nspans && (double)ut->spans[i].t0 < c->b; i++) {
            const trc_span *sp = &ut->spans[i];
            double s0 = (double)sp->t0 > c->a ? (double)sp->t0 : c->a;
            double s1 = (double)sp->t1 < c->b ? (double)sp->t1 : c->b;
            float *base = acc + sp->state;
#define RDR_ADD_STATE(col, f) (base[(size_t)(col) * TRC_ST__COUNT] += (float)(f))
            RDR_SPREAD(c, s0, s1, RDR_ADD_STATE);
#undef RDR_ADD_STATE
        }
        st->spans_visited += i - ia;
        for (int col = ca; col <= cb; col++) {
            const float *a = acc + (size_t)col * TRC_ST__COUNT;
            float sum = 0, best = 0;
            int k = -1;
            for (int s = 0; s < TRC_ST__COUNT; s++) {
                sum += a[s];
                if (a[s] > best) { best = a[s]; k = s; }
            }
            keys[col] = (int8_t)(best > 1.0f - sum ? k : -1);
        }
        return;
    }

    double fa[TRC_ST__COUNT], fb[TRC_ST__COUNT];
    double ta, tb;
    size_t hint = ia;
    rdr_col_times(c, ca, &ta, &tb);
    if (gr) rdr_grid_F(gr, ta, fa);
    else rdr_unit_F(ut, cum, ta, fa, &hint);
    for (int col = ca; col <= cb; col++) {
        rdr_col_times(c, col, &ta, &tb);
        if (gr) rdr_grid_F(gr, tb, fb);
        else rdr_unit_F(ut, cum, tb, fb, &hint);
        double sum = 0, best = 0;
        int k = -1;
        for (int s = 0; s < TRC_ST__COUNT; s++) {
            double d = fb[s] - fa[s];
            sum += d;
            if (d > best) { best = d; k = s; }
        }
        keys[col] = (int8_t)(best > c->npp - sum ? k : -1);
        memcpy(fa, fb, sizeof fa);
    }
    st->dense_columns += (size_t)ncols;
}

//~ owner tracks (locks, rlocks, rwlock writers, event set spans)

static const uint64_t *rdr_owner_cum(rdr_lod *l, uint32_t obj) {
    uint32_t o = obj - 1;
    uint8_t *tried = &l->tried[l->m->run->nunits + o];
    if (l->lcum[o] || *tried) return l->lcum[o];
    size_t n;
    const trc_owner_span *ow = rdr_owners(l->m, obj, &n);
    uint64_t *cum = malloc((n + 1) * sizeof *cum);
    if (!cum) { *tried = 1; return NULL; }
    cum[0] = 0;
    for (size_t i = 0; i < n; i++) cum[i + 1] = cum[i] + (ow[i].t1 - ow[i].t0);
    l->lcum[o] = cum;
    return cum;
}

static double rdr_owner_H(const trc_owner_span *ow, size_t n, const uint64_t *cum, double t, size_t *hint) {
    size_t i = rdr_gallop_owner(ow, n, *hint, rdr_floor_t(t));
    *hint = i;
    double h = (double)cum[i];
    if (i < n && t > (double)ow[i].t0) {
        double e = t < (double)ow[i].t1 ? t : (double)ow[i].t1;
        h += e - (double)ow[i].t0;
    }
    return h;
}

typedef struct rdr_lock_acc { uint32_t cur, best; float cur_f, best_f, held; } rdr_lock_acc;

void rdr_lod_owner(rdr_lod *l, uint32_t obj, const rdr_cols *c, uint32_t *keys, rdr_drawlist *st) {
    size_t n;
    const trc_owner_span *ow = rdr_owners(l->m, obj, &n);
    memset(keys, 0, sizeof *keys * (size_t)c->ncol);
    int ca, cb;
    if (!n || !rdr_col_range(c, &ca, &cb)) return;
    size_t ia = rdr_owner_lower(ow, n, rdr_floor_t(c->a));
    size_t ib = rdr_owner_lower(ow, n, rdr_ceil_t(c->b));
    int ncols = cb - ca + 1;
    const uint64_t *cum = NULL;
    if (ib - ia > (size_t)ncols * RDR_WALK_PER_COL) cum = rdr_owner_cum(l, obj);

    if (!cum) {
        /* keys[] doubles as nothing here; the accumulators live in a small
         * rolling window: spans arrive in time order, so a column is final once
         * a span starts past it. */
        rdr_lock_acc cur = { 0 };
        int cur_col = -1;
        size_t i;
#define RDR_LOCK_FLUSH()                                                               \
        do {                                                                           \
            if (cur_col >= 0 && cur.held >= 0.5f) keys[cur_col] = cur.best;            \
        } while (0)
#define RDR_ADD_OWNER(col, f)                                                          \
        do {                                                                           \
            if ((col) != cur_col) { RDR_LOCK_FLUSH(); cur = (rdr_lock_acc){ 0 }; cur_col = (col); } \
            float f_ = (float)(f);                                                     \
            cur.held += f_;                                                            \
            if (cur.cur == key) cur.cur_f += f_; else { cur.cur = key; cur.cur_f = f_; } \
            if (cur.cur_f > cur.best_f) { cur.best_f = cur.cur_f; cur.best = cur.cur; } \
        } while (0)
        for (i = ia; i < n && (double)ow[i].t0 < c->b; i++) {
            const trc_owner_span *sp = &ow[i];
            uint32_t key = sp->owner + 1;
            double s0 = (double)sp->t0 > c->a ? (double)sp->t0 : c->a;
            double s1 = (double)sp->t1 < c->b ? (double)sp->t1 : c->b;
            RDR_SPREAD(c, s0, s1, RDR_ADD_OWNER);
        }
        RDR_LOCK_FLUSH();
#undef RDR_ADD_OWNER
#undef RDR_LOCK_FLUSH
        st->spans_visited += i - ia;
        return;
    }

    double ta, tb;
    size_t hint = ia;
    rdr_col_times(c, ca, &ta, &tb);
    double ha = rdr_owner_H(ow, n, cum, ta, &hint);
    for (int col = ca; col <= cb; col++) {
        rdr_col_times(c, col, &ta, &tb);
        size_t first = hint;   /* the first owner span ending after ta */
        double hb = rdr_owner_H(ow, n, cum, tb, &hint);
        if (hb - ha >= 0.5 * c->npp && first < n) keys[col] = ow[first].owner + 1;
        ha = hb;
    }
    st->dense_columns += (size_t)ncols;
}

//~ level tracks (queue depth, permits in use, barrier arrivals, counter values, readers)

void rdr_lod_level_range(rdr_lod *l, uint32_t obj, int64_t *lo, int64_t *hi) {
    uint32_t o = obj - 1;
    if (!l->has_range[o]) {
        const trc_object *ob = &l->m->run->objects[o];
        size_t n;
        const trc_sample *s = rdr_series(l->m, obj, &n);
        int64_t a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {   /* once per object, not per frame */
            if (s[i].v < a) a = s[i].v;
            if (s[i].v > b) b = s[i].v;
        }
        if ((ob->kind == TRC_OBJ_QUEUE || ob->kind == TRC_OBJ_SEMAPHORE || ob->kind == TRC_OBJ_BARRIER) &&
            ob->capacity > b)
            b = ob->capacity;
        if (b <= a) b = a + 1;
        l->range[o][0] = a;
        l->range[o][1] = b;
        l->has_range[o] = 1;
    }
    *lo = l->range[o][0];
    *hi = l->range[o][1];
}

static const int64_t *rdr_level_seg(rdr_lod *l, uint32_t obj) {
    uint32_t o = obj - 1;
    uint8_t *tried = &l->tried[l->m->run->nunits + o];
    if (l->qseg[o] || *tried) return l->qseg[o];
    size_t n;
    const trc_sample *s = rdr_series(l->m, obj, &n);
    int64_t *seg = malloc(2 * n * sizeof *seg);
    if (!seg) { *tried = 1; return NULL; }
    for (size_t i = 0; i < n; i++) seg[n + i] = s[i].v;
    for (size_t i = n - 1; i >= 1; i--) seg[i] = seg[2 * i] > seg[2 * i + 1] ? seg[2 * i] : seg[2 * i + 1];
    l->qseg[o] = seg;
    return seg;
}

static int64_t rdr_seg_max(const int64_t *seg, size_t n, size_t lo, size_t hi) {
    int64_t m = INT64_MIN;
    for (lo += n, hi += n; lo < hi; lo >>= 1, hi >>= 1) {
        if (lo & 1) { if (seg[lo] > m) m = seg[lo]; lo++; }
        if (hi & 1) { hi--; if (seg[hi] > m) m = seg[hi]; }
    }
    return m;
}

void rdr_lod_level(rdr_lod *l, uint32_t obj, const rdr_cols *c, int64_t *vals, rdr_drawlist *st) {
    size_t n;
    const trc_sample *s = rdr_series(l->m, obj, &n);
    for (int i = 0; i < c->ncol; i++) vals[i] = RDR_NO_VALUE;
    int ca, cb;
    if (!n || !rdr_col_range(c, &ca, &cb)) return;
    double ta, tb;
    rdr_col_times(c, ca, &ta, &tb);
    size_t ia = rdr_sample_lower(s, n, rdr_ceil_t(ta));
    size_t ib = rdr_sample_lower(s, n, rdr_ceil_t(c->b));
    int ncols = cb - ca + 1;
    const int64_t *seg = NULL;
    if (n > 2 && ib - ia > (size_t)ncols * RDR_WALK_PER_COL) seg = rdr_level_seg(l, obj);
    int64_t carried = ia ? s[ia - 1].v : 0;
    size_t j = ia;
    for (int col = ca; col <= cb; col++) {
        rdr_col_times(c, col, &ta, &tb);
        size_t je = j;
        if (seg) {
            je = rdr_gallop_sample(s, n, j, rdr_ceil_t(tb));
        } else {
            while (je < n && (double)s[je].t < tb) je++;
        }
        int64_t m = carried;
        if (je > j) {
            int64_t r;
            if (seg) {
                r = rdr_seg_max(seg, n, j, je);
            } else {
                r = s[j].v;
                for (size_t k = j + 1; k < je; k++) if (s[k].v > r) r = s[k].v;
            }
            if (r > m) m = r;
            carried = s[je - 1].v;
        }
        vals[col] = m;
        j = je;
    }
    if (seg) st->dense_columns += (size_t)ncols;
    else st->spans_visited += ib - ia;
}
