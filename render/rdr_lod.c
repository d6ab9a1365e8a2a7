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

enum { RDR_WALK_PER_COL = 3 };   /* owner and level tracks: walk while spans <= 3 per visible column */
/* Span lanes: walk while spans <= 32 per column (cheap: a few hundred thousand
 * spans a frame at most), else the grid when a column covers 4+ of its cells,
 * else walk up to 512 per column, and only past that build prefix sums (48
 * bytes a span, so only for the rare lane that needs them). The grid has a
 * cell per 8 spans (6 bytes a span). */
enum { RDR_SPAN_WALK = 32, RDR_SPAN_WALK_MAX = 512, RDR_GRID_SPANS = 8 };

static void rdr_lvlidx_free(rdr_lvlidx *ix) {
    free(ix->own);
    free(ix->seg);
}

rdr_lod *rdr_lod_new(const trc_model *m) {
    rdr_lod *l = xcalloc(1, sizeof *l);
    uint32_t nu = m->run->nunits, no = m->run->nobjects;
    l->m = m;
    l->uidx = xcalloc(nu ? nu : 1, sizeof *l->uidx);
    l->pools = xcalloc(no ? no : 1, sizeof *l->pools);
    l->lcum = xcalloc(no ? no : 1, sizeof *l->lcum);
    l->qidx = xcalloc(no ? no : 1, sizeof *l->qidx);
    l->tried = xcalloc((size_t)nu + no + 1, 1);
    l->range = xcalloc(no ? no : 1, sizeof *l->range);
    l->has_range = xcalloc(no ? no : 1, 1);
    return l;
}

void rdr_lod_free(rdr_lod *l) {
    if (!l) return;
    for (uint32_t u = 0; u < l->m->run->nunits; u++) { free(l->uidx[u].cum); free(l->uidx[u].grid.g); free(l->uidx[u].bmax); }
    free(l->uidx);
    if (l->waiters)
        for (uint32_t o = 0; o < l->m->run->nobjects; o++) { free(l->waiters[o]); rdr_lvlidx_free(&l->widx[o]); }
    free(l->waiters); free(l->nwaiters); free(l->widx);
    if (l->timeouts)
        for (uint32_t u = 0; u < l->m->run->nunits; u++) free(l->timeouts[u]);
    free(l->timeouts); free(l->ntimeouts);
    free(l->owns);
    if (l->lost)
        for (uint32_t o = 0; o < l->m->run->nobjects; o++) free(l->lost[o]);
    free(l->lost); free(l->nlost);
    for (uint32_t o = 0; o < l->m->run->nobjects; o++) {
        free(l->lcum[o]);
        rdr_lvlidx_free(&l->qidx[o]);
        rdr_pool_lod *p = l->pools[o];
        if (!p) continue;
        for (uint32_t k = 0; k < p->nlanes; k++) { free(p->idx[k].cum); free(p->idx[k].grid.g); }
        free(p->segs); free(p->soff); free(p->idx); free(p->futs); free(p->foff);
        free(p->busy); free(p->live); rdr_lvlidx_free(&p->idx_busy); rdr_lvlidx_free(&p->idx_live); free(p->by_id);
        free(p);
    }
    free(l->pools);
    free(l->lcum);
    free(l->qidx);
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
RDR_GALLOP(rdr_gallop_span, trc_span, t1, RDR_LE)          /* first span with t1 > x */
RDR_GALLOP(rdr_gallop_owner, trc_owner_span, t1, RDR_LE)   /* first owner span with t1 > x */

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

//~ span lanes (units, future lanes)

size_t rdr_span_lower(const trc_span *sp, size_t n, uint64_t t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp[mid].t1 <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static const uint64_t (*rdr_span_cum(const trc_span *sp, size_t n, rdr_spanidx *ix))[TRC_ST__COUNT] {
    if (ix->cum || ix->tried) return (const uint64_t (*)[TRC_ST__COUNT])ix->cum;
    uint64_t (*cum)[TRC_ST__COUNT] = malloc((n + 1) * sizeof *cum);
    if (!cum) { ix->tried = true; return NULL; }
    memset(cum[0], 0, sizeof cum[0]);
    for (size_t i = 0; i < n; i++) {
        memcpy(cum[i + 1], cum[i], sizeof cum[0]);
        cum[i + 1][sp[i].state] += sp[i].t1 - sp[i].t0;
    }
    ix->cum = cum;
    return (const uint64_t (*)[TRC_ST__COUNT])cum;
}

/* The grid: one cell per 2 spans on average (at least 1024 cells). */
static const rdr_grid *rdr_span_grid(const trc_span *sp, size_t nsp, rdr_spanidx *ix) {
    rdr_grid *gr = &ix->grid;
    if (gr->g) return gr;
    if (!nsp) return NULL;
    uint64_t t0 = sp[0].t0, t1 = sp[nsp - 1].t1;
    size_t n = nsp / RDR_GRID_SPANS > 1024 ? nsp / RDR_GRID_SPANS : 1024;
    uint64_t (*g)[TRC_ST__COUNT] = calloc(n + 1, sizeof *g);
    if (!g) return NULL;
    double w = (double)(t1 - t0) / (double)n;
    if (w < 1) w = 1;
    /* time per state inside each cell, then a running sum */
    for (size_t i = 0; i < nsp; i++) {
        const trc_span *p = &sp[i];
        double a = (double)(p->t0 - t0), b = (double)(p->t1 - t0);
        size_t ca = (size_t)(a / w), cb = (size_t)(b / w);
        if (ca >= n) ca = n - 1;
        if (cb >= n) cb = n - 1;
        for (size_t c = ca; c <= cb; c++) {
            double lo = fmax(a, (double)c * w), hi = fmin(b, (double)(c + 1) * w);
            if (c == n - 1) hi = b;
            if (hi > lo) g[c + 1][p->state] += (uint64_t)llround(hi - lo);
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
static void rdr_span_F(const trc_span *sp, size_t n, const uint64_t (*cum)[TRC_ST__COUNT], double t,
                       double out[TRC_ST__COUNT], size_t *hint) {
    size_t i = rdr_gallop_span(sp, n, *hint, rdr_floor_t(t));
    *hint = i;
    for (int s = 0; s < TRC_ST__COUNT; s++) out[s] = (double)cum[i][s];
    if (i < n && t > (double)sp[i].t0) {
        double e = t < (double)sp[i].t1 ? t : (double)sp[i].t1;
        out[sp[i].state] += e - (double)sp[i].t0;
    }
}

/* The state with the most time among sums (its key), and the next one if it
 * holds at least RDR_MINOR_SHARE of the column (minor, else -1): a pixel that
 * mixes states shows that something else happens there. */
#define RDR_MINOR_SHARE 0.02
static inline void rdr_pick(const double *d, double span, int8_t *key, int8_t *minor) {
    double sum = 0, best = 0, second = 0;
    int k = -1, k2 = -1;
    for (int s = 0; s < TRC_ST__COUNT; s++) {
        sum += d[s];
        if (d[s] > best) { second = best; k2 = k; best = d[s]; k = s; }
        else if (d[s] > second) { second = d[s]; k2 = s; }
    }
    *key = (int8_t)(best > span - sum ? k : -1);
    if (minor) *minor = (int8_t)(*key >= 0 && k2 >= 0 && second >= RDR_MINOR_SHARE * span ? k2 : -1);
}

/* One lane of sorted, non-overlapping spans into column keys (the state with the most time). */
static void rdr_lod_spans(const trc_span *sp, size_t n, rdr_spanidx *ix, const rdr_cols *c, int8_t *keys, int8_t *minor,
                          float *acc, rdr_drawlist *st) {
    memset(keys, 0xff, (size_t)c->ncol);
    if (minor) memset(minor, 0xff, (size_t)c->ncol);
    int ca, cb;
    if (!n || !rdr_col_range(c, &ca, &cb)) return;
    size_t ia = rdr_span_lower(sp, n, rdr_floor_t(c->a));
    size_t ib = rdr_span_lower(sp, n, rdr_ceil_t(c->b));
    int ncols = cb - ca + 1;
    const uint64_t (*cum)[TRC_ST__COUNT] = NULL;
    const rdr_grid *gr = NULL;
    if (ib - ia > (size_t)ncols * RDR_SPAN_WALK) {
        /* far out (a column covers 4+ grid cells) the grid is exact enough: an
         * error of at most a cell at each edge of a column; else walk, or
         * prefix sums past RDR_SPAN_WALK_MAX */
        gr = rdr_span_grid(sp, n, ix);
        if (gr && c->npp < 4 * gr->w) gr = NULL;
        if (!gr && ib - ia > (size_t)ncols * RDR_SPAN_WALK_MAX) cum = rdr_span_cum(sp, n, ix);
    }

    if (!cum && !gr) {
        memset(acc + (size_t)ca * TRC_ST__COUNT, 0, sizeof(float) * (size_t)ncols * TRC_ST__COUNT);
        size_t i;
        for (i = ia; i < n && (double)sp[i].t0 < c->b; i++) {
            const trc_span *p = &sp[i];
            double s0 = (double)p->t0 > c->a ? (double)p->t0 : c->a;
            double s1 = (double)p->t1 < c->b ? (double)p->t1 : c->b;
            float *base = acc + p->state;
#define RDR_ADD_STATE(col, f) (base[(size_t)(col) * TRC_ST__COUNT] += (float)(f))
            RDR_SPREAD(c, s0, s1, RDR_ADD_STATE);
#undef RDR_ADD_STATE
        }
        st->spans_visited += i - ia;
        for (int col = ca; col <= cb; col++) {
            const float *a = acc + (size_t)col * TRC_ST__COUNT;
            double d[TRC_ST__COUNT];
            for (int s = 0; s < TRC_ST__COUNT; s++) d[s] = a[s];
            rdr_pick(d, 1.0, &keys[col], minor ? &minor[col] : NULL);
        }
        return;
    }

    double fa[TRC_ST__COUNT], fb[TRC_ST__COUNT];
    double ta, tb;
    size_t hint = ia;
    rdr_col_times(c, ca, &ta, &tb);
    if (gr) rdr_grid_F(gr, ta, fa);
    else rdr_span_F(sp, n, cum, ta, fa, &hint);
    for (int col = ca; col <= cb; col++) {
        rdr_col_times(c, col, &ta, &tb);
        if (gr) rdr_grid_F(gr, tb, fb);
        else rdr_span_F(sp, n, cum, tb, fb, &hint);
        double d[TRC_ST__COUNT];
        for (int s = 0; s < TRC_ST__COUNT; s++) d[s] = fb[s] - fa[s];
        rdr_pick(d, c->npp, &keys[col], minor ? &minor[col] : NULL);
        memcpy(fa, fb, sizeof fa);
    }
    st->dense_columns += (size_t)ncols;
}

void rdr_lod_unit(rdr_lod *l, uint32_t u, const rdr_cols *c, int8_t *keys, int8_t *minor, float *acc, rdr_drawlist *st) {
    const trc_unit_track *ut = &l->m->units[u];
    rdr_lod_spans(ut->spans, ut->nspans, &l->uidx[u], c, keys, minor, acc, st);
}

//~ owner tracks (locks, rlocks, rwlock writers, event set spans)

/* The held time before each RDR_OWNER_STEP-th owner span: cum[k] is the
 * time held in owners[0 .. k * RDR_OWNER_STEP). Sparse, so that a lock taken
 * millions of times costs half a byte per span instead of 8 (the first
 * frame of a big recording wrote and faulted in 40 MB for 5 M spans); a query
 * adds the at most RDR_OWNER_STEP - 1 spans since the last entry. The model
 * makes it for locks as it builds their owners (trc_object_track.owners_held:
 * no pass over millions of spans here); for event set spans, or a model made
 * without it, it is made here on first need. */
enum { RDR_OWNER_STEP = TRC_OWNER_HELD_STEP };

static const uint64_t *rdr_owner_cum(rdr_lod *l, uint32_t obj) {
    uint32_t o = obj - 1;
    uint8_t *tried = &l->tried[l->m->run->nunits + o];
    if (l->lcum[o] || *tried) return l->lcum[o];
    size_t n;
    const trc_owner_span *ow = rdr_owners(l->m, obj, &n);
    const trc_object_track *ot = &l->m->objects[o];
    if (ow == ot->owners && ot->owners_held && ot->nowners_held == (n + RDR_OWNER_STEP - 1) / RDR_OWNER_STEP) {
        uint64_t *cum = malloc((n / RDR_OWNER_STEP + 1) * sizeof *cum);
        if (!cum) { *tried = 1; return NULL; }
        memcpy(cum, ot->owners_held, ot->nowners_held * sizeof *cum);
        if (n % RDR_OWNER_STEP == 0) cum[n / RDR_OWNER_STEP] = ot->t_held;   /* the total: owners[0 .. n) */
        l->lcum[o] = cum;
        return cum;
    }
    uint64_t *cum = malloc((n / RDR_OWNER_STEP + 1) * sizeof *cum);
    if (!cum) { *tried = 1; return NULL; }
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % RDR_OWNER_STEP == 0) cum[i / RDR_OWNER_STEP] = h;
        h += ow[i].t1 - ow[i].t0;
    }
    if (n % RDR_OWNER_STEP == 0) cum[n / RDR_OWNER_STEP] = h;
    l->lcum[o] = cum;
    return cum;
}

/* Time held in owners[0 .. i). */
static uint64_t rdr_owner_held(const trc_owner_span *ow, const uint64_t *cum, size_t i) {
    uint64_t h = cum[i / RDR_OWNER_STEP];
    for (size_t j = i - i % RDR_OWNER_STEP; j < i; j++) h += ow[j].t1 - ow[j].t0;
    return h;
}

/* Blocks of a sorted series, each known by its first key (keys: the first block's,
 * then every stride bytes): the last block in [lo, nb) whose key is <= y, given
 * that block lo's is. Gallops from lo (the columns' boundaries only grow), then
 * bisects; the caller reads the samples of that one block. */
static size_t rdr_blk_last_le(const uint64_t *keys, size_t stride, size_t nb, size_t lo, uint64_t y) {
#define RDR_KEY(k) (*(const uint64_t *)((const unsigned char *)keys + (k) * stride))
    size_t step = 1, hi;
    for (;;) {
        hi = lo + step;
        if (hi >= nb) { hi = nb; break; }
        if (RDR_KEY(hi) > y) break;
        lo = hi;
        step *= 2;
    }
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (RDR_KEY(mid) <= y) lo = mid; else hi = mid;
    }
    return lo;
#undef RDR_KEY
}

/* The first owner span at or after from with t1 > x: with the model's block
 * times (t1 of every RDR_OWNER_STEP-th span) it gallops over those and reads
 * the spans of one block only, else over the spans. */
static size_t rdr_owner_next(const trc_owner_span *ow, size_t n, const uint64_t *bt1, size_t from, uint64_t x) {
    if (!bt1) return rdr_gallop_owner(ow, n, from, x);
    if (from >= n || ow[from].t1 > x) return from;
    size_t nb = (n + RDR_OWNER_STEP - 1) / RDR_OWNER_STEP;
    /* the last block whose first span ends at or before x (bt1[from / STEP] <= ow[from].t1 <= x) */
    size_t lo = rdr_blk_last_le(bt1, sizeof *bt1, nb, from / RDR_OWNER_STEP, x);
    size_t i = lo * RDR_OWNER_STEP > from ? lo * RDR_OWNER_STEP : from;
    size_t e = (lo + 1) * RDR_OWNER_STEP < n ? (lo + 1) * RDR_OWNER_STEP : n;
    while (i < e && ow[i].t1 <= x) i++;
    return i;
}

static double rdr_owner_H(const trc_owner_span *ow, size_t n, const uint64_t *cum, const uint64_t *bt1, double t,
                          size_t *hint) {
    size_t i = rdr_owner_next(ow, n, bt1, *hint, rdr_floor_t(t));
    *hint = i;
    double h = (double)rdr_owner_held(ow, cum, i);
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
    const uint64_t *cum = NULL, *bt1 = NULL;
    if (ib - ia > (size_t)ncols * RDR_WALK_PER_COL) {
        cum = rdr_owner_cum(l, obj);
        const trc_object_track *ot = &l->m->objects[obj - 1];
        if (ow == ot->owners && ot->owners_t1 && ot->nowners_held == (n + RDR_OWNER_STEP - 1) / RDR_OWNER_STEP)
            bt1 = ot->owners_t1;
    }

    if (!cum) {
        /* keys[] doubles as nothing here; the accumulators live in a small
         * rolling window: spans arrive in time order, so a column is final once
         * a span starts past it. */
        rdr_lock_acc cur = { 0 };
        int cur_col = -1;
        size_t i;
#define RDR_LOCK_FLUSH()                                                               \
        do {                                                                           \
            if (cur_col >= 0 && cur.held > 0) keys[cur_col] = cur.best | (cur.held >= 0.5f ? 0 : RDR_OWNER_PART); \
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
    double ha = rdr_owner_H(ow, n, cum, bt1, ta, &hint);
    for (int col = ca; col <= cb; col++) {
        rdr_col_times(c, col, &ta, &tb);
        size_t first = hint;   /* the first owner span ending after ta */
        double hb = rdr_owner_H(ow, n, cum, bt1, tb, &hint);
        if (hb - ha > 0 && first < n) keys[col] = (ow[first].owner + 1) | (hb - ha >= 0.5 * c->npp ? 0 : RDR_OWNER_PART);
        ha = hb;
    }
    st->dense_columns += (size_t)ncols;
}

//~ level tracks (queue depth, permits in use, barrier arrivals, counter values, readers)

void rdr_lod_level_range(rdr_lod *l, uint32_t obj, int64_t *lo, int64_t *hi) {
    uint32_t o = obj - 1;
    if (!l->has_range[o]) {
        const trc_object *ob = &l->m->run->objects[o];
        const trc_object_track *ot = &l->m->objects[o];
        size_t n, nb;
        const trc_sample *s = rdr_series(l->m, obj, &n);
        rdr_series_blk(l->m, obj, &nb);
        int64_t a = 0, b = 0;
        if (n && nb == rdr_nblk(n)) {   /* the model kept the extremes with its index */
            int64_t mn = ob->kind == TRC_OBJ_QUEUE ? 0 : ot->min_level;   /* a depth is never below 0 */
            int64_t mx = ob->kind == TRC_OBJ_QUEUE ? ot->max_depth : ot->max_level;
            if (mn < a) a = mn;
            if (mx > b) b = mx;
        } else {
            for (size_t i = 0; i < n; i++) {   /* once per object, not per frame */
                if (s[i].v < a) a = s[i].v;
                if (s[i].v > b) b = s[i].v;
            }
        }
        if ((ob->kind == TRC_OBJ_QUEUE || ob->kind == TRC_OBJ_SEMAPHORE || ob->kind == TRC_OBJ_BARRIER) &&
            ob->capacity > b)
            b = ob->capacity;
        if (b <= a) { if (a < INT64_MAX) b = a + 1; else a = b - 1; }   /* any int64: no overflow */
        l->range[o][0] = a;
        l->range[o][1] = b;
        l->has_range[o] = 1;
    }
    *lo = l->range[o][0];
    *hi = l->range[o][1];
}

/* The index of a series: the model's blocks (mblk, mnblk) when they are its
 * own, else made here; then the segment tree over them. NULL if no memory. */
static const rdr_lvlidx *rdr_lvl_index(const trc_sample *s, size_t n, const trc_sample *mblk, size_t mnblk,
                                       rdr_lvlidx *ix) {
    if (ix->seg) return ix;
    if (ix->tried || !n) return NULL;
    size_t nb = rdr_nblk(n);
    const trc_sample *blk = mblk;
    if (!blk || mnblk != nb) {
        trc_sample *own = malloc(nb * sizeof *own);
        if (!own) { ix->tried = true; return NULL; }
        for (size_t k = 0; k < nb; k++) {
            size_t i0 = k * RDR_BLK, e = i0 + RDR_BLK < n ? i0 + RDR_BLK : n;
            int64_t m = s[i0].v;
            for (size_t i = i0 + 1; i < e; i++) if (s[i].v > m) m = s[i].v;
            own[k] = (trc_sample){ s[i0].t, m };
        }
        ix->own = own;
        blk = own;
    }
    int64_t *seg = malloc(2 * nb * sizeof *seg);
    if (!seg) { free(ix->own); ix->own = NULL; ix->tried = true; return NULL; }
    for (size_t k = 0; k < nb; k++) seg[nb + k] = blk[k].v;
    for (size_t i = nb - 1; i >= 1; i--) seg[i] = seg[2 * i] > seg[2 * i + 1] ? seg[2 * i] : seg[2 * i + 1];
    ix->blk = blk;
    ix->nblk = nb;
    ix->seg = seg;
    return ix;
}

static int64_t rdr_seg_max(const int64_t *seg, size_t n, size_t lo, size_t hi) {
    int64_t m = INT64_MIN;
    for (lo += n, hi += n; lo < hi; lo >>= 1, hi >>= 1) {
        if (lo & 1) { if (seg[lo] > m) m = seg[lo]; lo++; }
        if (hi & 1) { hi--; if (seg[hi] > m) m = seg[hi]; }
    }
    return m;
}

/* The first sample at or after from with t >= x: galloping over the blocks'
 * first times (the column boundaries only grow), then inside one block, so a
 * column reads the samples of at most one block at each edge. */
static size_t rdr_lvl_lower(const trc_sample *s, size_t n, const rdr_lvlidx *ix, size_t from, uint64_t x) {
    if (from >= n || s[from].t >= x) return from;
    /* the last block that starts before x (blk[from / BLK].t <= s[from].t < x, so x >= 1) */
    size_t lo = rdr_blk_last_le(&ix->blk[0].t, sizeof *ix->blk, ix->nblk, from / RDR_BLK, x - 1);
    size_t i = lo * RDR_BLK > from ? lo * RDR_BLK : from, e = (lo + 1) * RDR_BLK < n ? (lo + 1) * RDR_BLK : n;
    while (i < e && s[i].t < x) i++;
    return i;
}

/* The max of s[j .. je), j < je: the partial blocks at both ends sample by sample, the whole ones from the tree. */
static int64_t rdr_lvl_max(const trc_sample *s, const rdr_lvlidx *ix, size_t j, size_t je) {
    size_t bj = (j + RDR_BLK - 1) / RDR_BLK, be = je / RDR_BLK;   /* whole blocks [bj, be) */
    int64_t m = INT64_MIN;
    if (bj >= be) {
        for (size_t i = j; i < je; i++) if (s[i].v > m) m = s[i].v;
        return m;
    }
    for (size_t i = j; i < bj * RDR_BLK; i++) if (s[i].v > m) m = s[i].v;
    int64_t w = rdr_seg_max(ix->seg, ix->nblk, bj, be);
    if (w > m) m = w;
    for (size_t i = be * RDR_BLK; i < je; i++) if (s[i].v > m) m = s[i].v;
    return m;
}

/* A step series into column maxima; its segment tree is built in *slot on first need. */
static void rdr_lod_series(const trc_sample *s, size_t n, const trc_sample *mblk, size_t mnblk, rdr_lvlidx *ix,
                           const rdr_cols *c, int64_t *vals, rdr_drawlist *st) {
    for (int i = 0; i < c->ncol; i++) vals[i] = RDR_NO_VALUE;
    int ca, cb;
    if (!n || !rdr_col_range(c, &ca, &cb)) return;
    double ta, tb;
    rdr_col_times(c, ca, &ta, &tb);
    size_t ia = rdr_sample_lower(s, n, rdr_ceil_t(ta));
    size_t ib = rdr_sample_lower(s, n, rdr_ceil_t(c->b));
    int ncols = cb - ca + 1;
    const rdr_lvlidx *seg = NULL;
    if (n > 2 && ib - ia > (size_t)ncols * RDR_WALK_PER_COL) seg = rdr_lvl_index(s, n, mblk, mnblk, ix);
    int64_t carried = ia ? s[ia - 1].v : 0;
    size_t j = ia;
    for (int col = ca; col <= cb; col++) {
        rdr_col_times(c, col, &ta, &tb);
        size_t je = j;
        if (seg) {
            je = rdr_lvl_lower(s, n, seg, j, rdr_ceil_t(tb));
        } else {
            while (je < n && (double)s[je].t < tb) je++;
        }
        int64_t m = carried;
        if (je > j) {
            int64_t r;
            if (seg) {
                r = rdr_lvl_max(s, seg, j, je);
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

void rdr_lod_level(rdr_lod *l, uint32_t obj, const rdr_cols *c, int64_t *vals, rdr_drawlist *st) {
    size_t n;
    const trc_sample *s = rdr_series(l->m, obj, &n);
    size_t nb;
    const trc_sample *blk = rdr_series_blk(l->m, obj, &nb);
    rdr_lod_series(s, n, blk, nb, &l->qidx[obj - 1], c, vals, st);
}

//~ pools: future lanes and the running / queued series

int rdr_future_key_at(const trc_future *f, uint64_t t) {
    switch (trc_future_state_at(f, t)) {
    case TRC_FUT_PENDING: return RDR_FK_PENDING;
    case TRC_FUT_RUNNING: return RDR_FK_RUNNING;
    case TRC_FUT_FINISHED: return f->outcome == TRC_OUT_OK ? RDR_FK_DONE : RDR_FK_FAILED;
    case TRC_FUT_CANCELLED: return RDR_FK_CANCELLED;
    default: return -1;
    }
}

/* The drawn states of f over [t_begin, t_end) as spans; returns how many (<= 5). */
static size_t rdr_future_segs(const trc_future *f, trc_span *out) {
    uint64_t pts[6];
    size_t np = 0;
    const uint64_t cand[4] = { f->t_submit, f->t_start, f->t_done, f->t_cancel };
    pts[np++] = f->t_begin;
    for (int i = 0; i < 4; i++)
        if (cand[i] != TRC_T_NONE && cand[i] > f->t_begin && cand[i] < f->t_end) pts[np++] = cand[i];
    pts[np++] = f->t_end;
    for (size_t i = 1; i < np; i++)   /* tiny: insertion sort */
        for (size_t j = i; j > 0 && pts[j - 1] > pts[j]; j--) { uint64_t x = pts[j]; pts[j] = pts[j - 1]; pts[j - 1] = x; }
    size_t n = 0;
    for (size_t i = 0; i + 1 < np; i++) {
        if (pts[i + 1] <= pts[i]) continue;
        int k = rdr_future_key_at(f, pts[i]);
        if (k < 0) continue;
        if (n && out[n - 1].state == k && out[n - 1].t1 == pts[i]) { out[n - 1].t1 = pts[i + 1]; continue; }
        out[n++] = (trc_span){ .t0 = pts[i], .t1 = pts[i + 1], .state = (uint8_t)k };
    }
    return n;
}

typedef struct rdr_delta { uint64_t t; int32_t live, busy; } rdr_delta;

static int rdr_delta_cmp(const void *a, const void *b) {
    const rdr_delta *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Sorting future indexes by a key, ties by index (qsort has no context argument). */
typedef struct rdr_keyed { uint64_t key; uint32_t i; } rdr_keyed;
static int rdr_keyed_cmp(const void *a, const void *b) {
    const rdr_keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}
static void rdr_sort_futs(const trc_model *m, uint32_t *idx, size_t n, bool by_id) {
    if (n < 2) return;
    rdr_keyed *k = xmalloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++) k[i] = (rdr_keyed){ by_id ? m->futures[idx[i]].id : m->futures[idx[i]].t_begin, idx[i] };
    qsort(k, n, sizeof *k, rdr_keyed_cmp);
    for (size_t i = 0; i < n; i++) idx[i] = k[i].i;
    free(k);
}

/* A step series from sorted deltas: one sample per distinct time, starting with (0, 0). */
static trc_sample *rdr_deltas_series(const rdr_delta *d, size_t n, bool live, size_t *out_n, int64_t *max) {
    trc_sample *s = xmalloc((n + 1) * sizeof *s);
    size_t k = 0;
    int64_t v = 0;
    s[k++] = (trc_sample){ 0, 0 };
    *max = 0;
    for (size_t i = 0; i < n; i++) {
        v += live ? d[i].live : d[i].busy;
        if (v > *max) *max = v;
        if (s[k - 1].t == d[i].t) s[k - 1].v = v;
        else s[k++] = (trc_sample){ d[i].t, v };
    }
    *out_n = k;
    return s;
}

const rdr_pool_lod *rdr_lod_pool(rdr_lod *l, uint32_t obj) {
    const trc_model *m = l->m;
    if (!obj || obj > m->run->nobjects || m->run->objects[obj - 1].kind != TRC_OBJ_POOL) return NULL;
    if (l->pools[obj - 1]) return l->pools[obj - 1];
    const trc_object_track *ot = &m->objects[obj - 1];
    rdr_pool_lod *p = xcalloc(1, sizeof *p);
    uint32_t nl = ot->future_lanes;
    size_t nf = ot->nfutures;
    p->nlanes = nl;
    p->foff = xcalloc((size_t)nl + 1, sizeof *p->foff);
    p->soff = xcalloc((size_t)nl + 1, sizeof *p->soff);
    p->idx = xcalloc(nl ? nl : 1, sizeof *p->idx);
    p->futs = xmalloc((nf ? nf : 1) * sizeof *p->futs);
    p->by_id = xmalloc((nf ? nf : 1) * sizeof *p->by_id);
    /* futures per lane (counting sort), each lane in begin order */
    for (size_t k = ot->future0; k < ot->future0 + nf; k++)
        if (m->futures[k].lane < nl) p->foff[m->futures[k].lane + 1]++;
    for (uint32_t k = 0; k < nl; k++) p->foff[k + 1] += p->foff[k];
    size_t *fill = xmalloc(((size_t)nl + 1) * sizeof *fill);
    memcpy(fill, p->foff, ((size_t)nl + 1) * sizeof *fill);
    for (size_t k = ot->future0; k < ot->future0 + nf; k++) {
        uint32_t ln = m->futures[k].lane;
        if (ln < nl) p->futs[fill[ln]++] = (uint32_t)k;
    }
    free(fill);
    for (uint32_t k = 0; k < nl; k++) rdr_sort_futs(m, p->futs + p->foff[k], p->foff[k + 1] - p->foff[k], false);
    for (size_t i = 0; i < nf; i++) p->by_id[i] = (uint32_t)(ot->future0 + i);
    rdr_sort_futs(m, p->by_id, nf, true);
    /* states as spans, lane by lane */
    size_t nlaned = nl ? p->foff[nl] : 0;
    p->segs = xmalloc((5 * nlaned + 1) * sizeof *p->segs);
    size_t ns = 0;
    for (uint32_t k = 0; k < nl; k++) {
        p->soff[k] = ns;
        for (size_t i = p->foff[k]; i < p->foff[k + 1]; i++) ns += rdr_future_segs(&m->futures[p->futs[i]], p->segs + ns);
    }
    p->soff[nl] = ns;
    /* running and live counts */
    rdr_delta *d = xmalloc((4 * nf + 1) * sizeof *d);
    size_t nd = 0;
    for (size_t k = ot->future0; k < ot->future0 + nf; k++) {
        const trc_future *f = &m->futures[k];
        if (f->t_begin == TRC_T_NONE) continue;
        uint64_t in = f->t_submit != TRC_T_NONE ? f->t_submit : f->t_begin;
        uint64_t out = f->cancelled ? f->t_cancel : f->t_done;   /* TRC_T_NONE: live to the end */
        if (out != TRC_T_NONE && out < in) out = in;
        d[nd++] = (rdr_delta){ in, 1, 0 };
        if (out != TRC_T_NONE) d[nd++] = (rdr_delta){ out, -1, 0 };
        if (f->t_start != TRC_T_NONE && !f->cancelled) {
            uint64_t r1 = f->t_done != TRC_T_NONE && f->t_done >= f->t_start ? f->t_done : TRC_T_NONE;
            d[nd++] = (rdr_delta){ f->t_start, 0, 1 };
            if (r1 != TRC_T_NONE) d[nd++] = (rdr_delta){ r1, 0, -1 };
        }
    }
    qsort(d, nd, sizeof *d, rdr_delta_cmp);
    int64_t mb;
    p->live = rdr_deltas_series(d, nd, true, &p->nlive, &p->max_live);
    p->busy = rdr_deltas_series(d, nd, false, &p->nbusy, &mb);
    free(d);
    l->pools[obj - 1] = p;
    return p;
}

size_t rdr_future_lower(const trc_model *m, const uint32_t *futs, size_t n, uint64_t t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->futures[futs[mid]].t_end <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

const trc_future *rdr_future_find(rdr_lod *l, uint32_t pool, uint64_t id) {
    const trc_model *m = l->m;
    if (!pool || pool > m->run->nobjects) return NULL;
    const trc_object_track *ot = &m->objects[pool - 1];
    if (id >= 1 && id <= ot->nfutures && m->futures[ot->future0 + id - 1].id == id) return &m->futures[ot->future0 + id - 1];
    const rdr_pool_lod *p = rdr_lod_pool(l, pool);
    if (!p) return NULL;
    size_t lo = 0, hi = ot->nfutures;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->futures[p->by_id[mid]].id < id) lo = mid + 1; else hi = mid;
    }
    return lo < ot->nfutures && m->futures[p->by_id[lo]].id == id ? &m->futures[p->by_id[lo]] : NULL;
}

void rdr_lod_future(rdr_lod *l, uint32_t obj, uint32_t lane, const rdr_cols *c, int8_t *keys, float *acc,
                    rdr_drawlist *st) {
    const rdr_pool_lod *p = rdr_lod_pool(l, obj);
    if (!p || lane >= p->nlanes) { memset(keys, 0xff, (size_t)c->ncol); return; }
    rdr_lod_spans(p->segs + p->soff[lane], p->soff[lane + 1] - p->soff[lane], &l->pools[obj - 1]->idx[lane], c, keys, NULL,
                  acc, st);
}

void rdr_lod_pool_level(rdr_lod *l, uint32_t obj, bool live, const rdr_cols *c, int64_t *vals, rdr_drawlist *st) {
    rdr_lod_pool(l, obj);
    rdr_pool_lod *p = l->pools[obj - 1];
    if (!p) { for (int i = 0; i < c->ncol; i++) vals[i] = RDR_NO_VALUE; return; }
    if (live) rdr_lod_series(p->live, p->nlive, NULL, 0, &p->idx_live, c, vals, st);
    else rdr_lod_series(p->busy, p->nbusy, NULL, 0, &p->idx_busy, c, vals, st);
}

//~ labels, waiters, timeouts, owners

const uint64_t *rdr_lod_bmax(rdr_lod *l, uint32_t u) {
    rdr_spanidx *ix = &l->uidx[u];
    if (ix->bmax) return ix->bmax;
    const trc_unit_track *ut = &l->m->units[u];
    size_t nb = (ut->nspans + RDR_LBL_BLOCK - 1) / RDR_LBL_BLOCK;
    uint64_t *b = malloc((nb ? nb : 1) * sizeof *b);
    if (!b) return NULL;
    for (size_t k = 0; k < nb; k++) {
        uint64_t m = 0;
        size_t e = (k + 1) * RDR_LBL_BLOCK < ut->nspans ? (k + 1) * RDR_LBL_BLOCK : ut->nspans;
        for (size_t i = k * RDR_LBL_BLOCK; i < e; i++)
            if (ut->spans[i].t1 - ut->spans[i].t0 > m) m = ut->spans[i].t1 - ut->spans[i].t0;
        b[k] = m;
    }
    ix->bmax = b;
    return b;
}

typedef struct rdr_wdelta { uint64_t t; int64_t d; } rdr_wdelta;

static bool rdr_waits_on(const trc_span *sp, uint32_t no) {
    return (sp->state == TRC_ST_BLOCKED || sp->state == TRC_ST_GIL_WAIT) && sp->obj && sp->obj <= no;
}

/* Merges the runs a[b[k] .. b[k + 1]) (each in time order) pairwise until one
 * is left; returns where it ended up (a or tmp). Ties keep no order: the series
 * takes the sum of all the changes at one time. */
static rdr_wdelta *rdr_merge_runs(rdr_wdelta *a, rdr_wdelta *tmp, size_t *b, size_t nr) {
    while (nr > 1) {
        size_t w = 0;
        for (size_t k = 0; k < nr; k += 2) {
            size_t lo = b[k], mid = b[k + 1], hi = k + 2 <= nr ? b[k + 2] : mid;
            size_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi) tmp[o++] = a[y].t < a[x].t ? a[y++] : a[x++];
            while (x < mid) tmp[o++] = a[x++];
            while (y < hi) tmp[o++] = a[y++];
            b[w++] = lo;
        }
        b[w] = b[nr];
        nr = w;
        rdr_wdelta *t = a; a = tmp; tmp = t;
    }
    return a;
}

/* Units blocked on each object over time, from every unit's spans, once: each
 * unit's waits are in time order already, so they are put in buckets by object
 * (unit by unit: one run per unit) and the runs merged, no sort. */
static void rdr_build_waiters(rdr_lod *l) {
    const trc_model *m = l->m;
    uint32_t no = m->run->nobjects, nu = m->run->nunits;
    l->waiters_built = true;
    l->waiters = xcalloc(no ? no : 1, sizeof *l->waiters);
    l->nwaiters = xcalloc(no ? no : 1, sizeof *l->nwaiters);
    l->widx = xcalloc(no ? no : 1, sizeof *l->widx);
    size_t *off = xcalloc((size_t)no + 2, sizeof *off);   /* object o's deltas: [off[o], off[o + 1]) */
    size_t *nruns = xcalloc((size_t)no + 1, sizeof *nruns);
    uint32_t *last = xcalloc((size_t)no + 1, sizeof *last);   /* the unit (+ 1) that wrote into o last */
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        for (size_t i = 0; i < ut->nspans; i++) {
            const trc_span *sp = &ut->spans[i];
            if (!rdr_waits_on(sp, no)) continue;
            off[sp->obj] += 2;
            if (last[sp->obj] != u + 1) { last[sp->obj] = u + 1; nruns[sp->obj]++; }
        }
    }
    size_t n = 0;
    for (uint32_t o = 1; o <= no; o++) {
        size_t c = off[o];
        off[o] = n;
        n += c;
    }
    off[no + 1] = n;
    rdr_wdelta *d = xmalloc((n ? n : 1) * sizeof *d), *tmp = xmalloc((n ? n : 1) * sizeof *tmp);
    size_t *fill = xmalloc(((size_t)no + 2) * sizeof *fill);
    memcpy(fill, off, ((size_t)no + 2) * sizeof *fill);
    /* the runs' starts, per object: rstart[roff[o] ..] */
    size_t *roff = xcalloc((size_t)no + 2, sizeof *roff), nr_all = 0;
    for (uint32_t o = 1; o <= no; o++) { roff[o] = nr_all; nr_all += nruns[o] + 1; }
    size_t *rstart = xmalloc((nr_all ? nr_all : 1) * sizeof *rstart), *rk = xcalloc((size_t)no + 1, sizeof *rk);
    memset(last, 0, ((size_t)no + 1) * sizeof *last);
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        for (size_t i = 0; i < ut->nspans; i++) {
            const trc_span *sp = &ut->spans[i];
            if (!rdr_waits_on(sp, no)) continue;
            uint32_t o = sp->obj;
            if (last[o] != u + 1) { last[o] = u + 1; rstart[roff[o] + rk[o]++] = fill[o]; }
            d[fill[o]++] = (rdr_wdelta){ sp->t0, 1 };
            d[fill[o]++] = (rdr_wdelta){ sp->t1, -1 };
        }
    }
    for (uint32_t o = 1; o <= no; o++) {
        size_t i = off[o], j = off[o + 1], k = 0;
        if (i == j) continue;
        size_t *b = &rstart[roff[o]];
        b[nruns[o]] = j;
        const rdr_wdelta *q = rdr_merge_runs(d, tmp, b, nruns[o]);
        trc_sample *s = xmalloc((j - i + 1) * sizeof *s);
        s[k++] = (trc_sample){ 0, 0 };
        int64_t v = 0;
        for (size_t x = i; x < j; x++) {
            v += q[x].d;
            if (s[k - 1].t == q[x].t) s[k - 1].v = v;
            else s[k++] = (trc_sample){ q[x].t, v };
        }
        l->waiters[o - 1] = s;
        l->nwaiters[o - 1] = k;
    }
    free(d); free(tmp); free(fill); free(off); free(nruns); free(last); free(roff); free(rstart); free(rk);
}

void rdr_lod_waiters(rdr_lod *l, uint32_t obj, const rdr_cols *c, int64_t *vals, rdr_drawlist *st) {
    if (!l->waiters_built) rdr_build_waiters(l);
    rdr_lod_series(l->waiters[obj - 1], l->nwaiters[obj - 1], NULL, 0, &l->widx[obj - 1], c, vals, st);
}

const uint64_t *rdr_lod_timeouts(rdr_lod *l, uint32_t u, size_t *n) {
    const trc_model *m = l->m;
    if (!l->timeouts_built) {
        l->timeouts_built = true;
        uint32_t nu = m->run->nunits;
        l->timeouts = xcalloc(nu ? nu : 1, sizeof *l->timeouts);
        l->ntimeouts = xcalloc(nu ? nu : 1, sizeof *l->ntimeouts);
        for (uint32_t k = 0; k < nu; k++) {
            const trc_unit_track *ut = &m->units[k];
            size_t cap = 0;
            for (size_t i = 0; i < ut->nspans; i++)
                if (ut->spans[i].state == TRC_ST_BLOCKED && ut->spans[i].outcome == TRC_OUT_TIMEOUT)
                    ARR_PUSH(l->timeouts[k], l->ntimeouts[k], cap, ut->spans[i].t1);
        }
    }
    *n = l->ntimeouts[u];
    return l->timeouts[u];
}

bool rdr_lod_owns(rdr_lod *l, uint32_t u) {
    const trc_model *m = l->m;
    if (m->owns_kept) return u < m->run->nunits && m->units[u].owns;   /* the model kept it: no pass over the owners */
    if (!l->owns) {
        l->owns = xcalloc(m->run->nunits ? m->run->nunits : 1, 1);
        uint32_t found = 0;   /* stop when every unit owns something: a lock of millions of spans */
        for (uint32_t o = 1; o <= m->run->nobjects && found < m->run->nunits; o++) {
            if (!rdr_has_owner(m->run->objects[o - 1].kind)) continue;
            size_t n;
            const trc_owner_span *ow = rdr_owners(m, o, &n);
            for (size_t i = 0; i < n && found < m->run->nunits; i++)
                if (ow[i].owner < m->run->nunits && !l->owns[ow[i].owner]) {
                    l->owns[ow[i].owner] = 1;
                    found++;
                }
        }
    }
    return u < m->run->nunits && l->owns[u];
}

int64_t rdr_lod_lost_at(rdr_lod *l, uint32_t obj, uint64_t t) {
    const trc_model *m = l->m;
    if (!obj || obj > m->run->nobjects) return 0;
    if (!l->lost_built) {
        l->lost_built = true;
        uint32_t no = m->run->nobjects;
        l->lost = xcalloc(no, sizeof *l->lost);
        l->nlost = xcalloc(no, sizeof *l->nlost);
        size_t *cap = xcalloc(no, sizeof *cap);
        int64_t *sum = xcalloc(no, sizeof *sum);
        for (size_t i = 0; i < m->ninstants; i++) {
            const trc_instant *in = &m->instants[i];
            if (in->kind != TRC_EV_COUNTER_WRITE || !in->obj || in->obj > no || (int32_t)in->extra <= 0) continue;
            uint32_t o = in->obj - 1;
            sum[o] += (int32_t)in->extra;
            ARR_PUSH(l->lost[o], l->nlost[o], cap[o], ((trc_sample){ in->t, sum[o] }));
        }
        free(cap);
        free(sum);
    }
    return trc_sample_at(l->lost[obj - 1], l->nlost[obj - 1], t);
}
