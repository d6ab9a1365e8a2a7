/* render internals: shared by the .c files of render/ only, never included from outside. */
#ifndef WEFT_RDR_INTERNAL_H
#define WEFT_RDR_INTERNAL_H

#include "render/rdr.h"

/* Row heights and bands of the layout (px). */
enum {
    RDR_HEADER_H = 48,          /* title line + legend/status line */
    RDR_ALERT_H = 20,           /* extra header line when a run deadlocked or got stuck */
    RDR_RULER_H = 28,
    RDR_FOOTER_H = 22,
    RDR_RUN_ROW_H = 24,
    RDR_UNIT_ROW_H = 20,        /* unit and lock rows; 24 or 28 when everything fits */
    RDR_QUEUE_ROW_H = 44,       /* 48 or 56 when everything fits */
    RDR_GROUP_GAP = 8,
    RDR_MIN_WINDOW_NS = 64,
};

/* Future lanes: as tall as unit lanes less a little while a pool has few, then
 * thin strips (no text) so a pool with hundreds of lanes stays scrollable. */
static inline int rdr_future_lane_h(int unit_h, uint32_t lanes) {
    return lanes <= 8 ? unit_h - 4 : lanes <= 24 ? 12 : 8;
}

/* ---- level of detail (rdr_lod.c) ----
 * Every lane is drawn as pixel columns. A column gets one key (a state, an
 * owner, a depth). When a lane has few spans in the window they are walked one
 * by one; when it has more than a few per column, each column is resolved
 * through a prefix-sum index in O(log n), so the cost of a frame is bounded by
 * the window width, not by the trace. */

typedef struct rdr_cols {
    double wt0, npp;            /* time of column 0's left edge, ns per column */
    int ncol;
    double a, b;                /* only this time range counts (window ∩ [0, playhead]) */
} rdr_cols;

/* A unit's time per state on a uniform grid: g[j][s] = time in state s before
 * t0 + j * w. Far out, a column spans several cells, so it is resolved with two
 * direct lookups (interpolating inside a cell) and memory is read in order. */
typedef struct rdr_grid { uint64_t t0; double w; uint32_t n; uint64_t (*g)[TRC_ST__COUNT]; } rdr_grid;

/* The indexes of one lane of spans (a unit's states, a future lane's states):
 * time per state in spans[0..i), and the grid; built on first need. */
typedef struct rdr_spanidx {
    uint64_t (*cum)[TRC_ST__COUNT];
    rdr_grid grid;                      /* g == NULL until built */
    bool tried;                         /* building cum failed (no memory) */
} rdr_spanidx;

/* A pool's futures laid out for drawing, built once on first need: per lane the
 * futures (in time order) and their states as spans (state = rdr_fut_key), and
 * the pool's step series of futures running and futures live (running + queued). */
typedef struct rdr_pool_lod {
    uint32_t nlanes;
    trc_span *segs; size_t *soff;       /* lane k: segs[soff[k] .. soff[k + 1]) */
    rdr_spanidx *idx;                   /* per lane */
    uint32_t *futs; size_t *foff;       /* lane k: futs[foff[k] .. foff[k + 1]), indexes into m->futures */
    trc_sample *busy, *live; size_t nbusy, nlive;
    int64_t *seg_busy, *seg_live;       /* max segment trees, NULL until needed */
    uint8_t tried_busy, tried_live;
    int64_t max_live;
    uint32_t *by_id;                    /* the pool's futures (indexes into m->futures) by id */
} rdr_pool_lod;
_Static_assert((int)RDR_FK__COUNT <= (int)TRC_ST__COUNT, "future keys share the per-state column buffers");

struct rdr_lod {
    const trc_model *m;
    rdr_spanidx *uidx;                  /* per unit */
    rdr_pool_lod **pools;               /* per object (pools), NULL until built */
    uint64_t **lcum;                    /* per object (locks): held time in owners[0..i) */
    int64_t **qseg;                     /* per object (levels): max segment tree, 2n entries */
    uint8_t *tried;                     /* per unit + per object: index building failed (no memory) */
    int64_t (*range)[2];                /* per object (levels): lowest and highest value to draw */
    uint8_t *has_range;
};

rdr_lod *rdr_lod_new(const trc_model *m);
void rdr_lod_free(rdr_lod *l);

/* Which tracks an object gets, and the series behind them. */
static inline bool rdr_has_level(uint32_t kind) {
    return kind == TRC_OBJ_QUEUE || kind == TRC_OBJ_SEMAPHORE || kind == TRC_OBJ_BARRIER ||
           kind == TRC_OBJ_COUNTER || kind == TRC_OBJ_RWLOCK || kind == TRC_OBJ_PIPE;
}
static inline bool rdr_has_owner(uint32_t kind) {
    return kind == TRC_OBJ_LOCK || kind == TRC_OBJ_RLOCK || kind == TRC_OBJ_RWLOCK || kind == TRC_OBJ_EVENT;
}
static inline const trc_sample *rdr_series(const trc_model *m, uint32_t obj, size_t *n) {
    const trc_object_track *ot = &m->objects[obj - 1];
    if (m->run->objects[obj - 1].kind == TRC_OBJ_QUEUE) { *n = ot->ndepth; return ot->depth; }
    *n = ot->nlevel;
    return ot->level;
}
static inline const trc_owner_span *rdr_owners(const trc_model *m, uint32_t obj, size_t *n) {
    const trc_object_track *ot = &m->objects[obj - 1];
    if (m->run->objects[obj - 1].kind == TRC_OBJ_EVENT) { *n = ot->nset_spans; return ot->set_spans; }
    *n = ot->nowners;
    return ot->owners;
}
/* The value range a level track spans: [0, capacity or max] for queues,
 * semaphores and barriers; counters may go below 0. Computed once per object. */
void rdr_lod_level_range(rdr_lod *l, uint32_t obj, int64_t *lo, int64_t *hi);

/* Unit lane: keys[c] = the dominant trc_state of column c, or -1 (nothing). */
void rdr_lod_unit(rdr_lod *l, uint32_t u, const rdr_cols *c, int8_t *keys, float *acc, rdr_drawlist *stats);
/* Owner track: keys[c] = owner unit + 1, 0 = free / nothing. */
void rdr_lod_owner(rdr_lod *l, uint32_t obj, const rdr_cols *c, uint32_t *keys, rdr_drawlist *stats);
/* Level track: vals[c] = the highest value during column c, RDR_NO_VALUE = nothing. */
#define RDR_NO_VALUE INT64_MIN
void rdr_lod_level(rdr_lod *l, uint32_t obj, const rdr_cols *c, int64_t *vals, rdr_drawlist *stats);

/* Pools: the lanes and series of pool obj (NULL if it is no pool, or no memory). */
const rdr_pool_lod *rdr_lod_pool(rdr_lod *l, uint32_t obj);
/* Future lane: keys[c] = the dominant rdr_fut_key of column c, or -1 (nothing). */
void rdr_lod_future(rdr_lod *l, uint32_t obj, uint32_t lane, const rdr_cols *c, int8_t *keys, float *acc,
                    rdr_drawlist *stats);
/* Pool summary: vals[c] = the most futures running (live: running or queued) during column c. */
void rdr_lod_pool_level(rdr_lod *l, uint32_t obj, bool live, const rdr_cols *c, int64_t *vals, rdr_drawlist *stats);
/* First span with t1 > t; first future of lane k (futs[a..b)) with t_end > t. */
size_t rdr_span_lower(const trc_span *sp, size_t n, uint64_t t);
size_t rdr_future_lower(const trc_model *m, const uint32_t *futs, size_t n, uint64_t t);
/* The future (pool, id) in m->futures, or NULL. O(1) for ids in submit order, else O(log n). */
const trc_future *rdr_future_find(rdr_lod *l, uint32_t pool, uint64_t id);
/* rdr_fut_key of a future at time t, -1 before it began. */
int rdr_future_key_at(const trc_future *f, uint64_t t);

/* Index in v->lay.rows of a unit's lane, in O(log rows); -1 if none. */
int rdr_view_unit_row(const rdr_view *v, uint32_t run, uint32_t unit);
/* Index in v->lay.rows of lane `lane` of pool `pool`, in O(1); -1 if none. */
int rdr_view_lane_row(const rdr_view *v, uint32_t run, uint32_t pool, uint32_t lane);

/* First owner span with t1 > t. */
size_t rdr_owner_lower(const trc_owner_span *o, size_t n, uint64_t t);
/* First sample with t >= x. */
size_t rdr_sample_lower(const trc_sample *s, size_t n, uint64_t x);

/* Unit-lane rects of one frame, grouped by colour (state, then ghost state) so
 * the backend gets a few long batches instead of thousands of colour changes.
 * Lanes never overlap, so the order between colours does not matter. */
enum { RDR_NBUCKETS = 2 * TRC_ST__COUNT };
struct rdr_buckets { rdr_cmd *c[RDR_NBUCKETS]; size_t n[RDR_NBUCKETS], cap[RDR_NBUCKETS]; };

/* A label's place on a lane, so the next one does not cover it. */
struct rdr_claim { int row, x0, x1; };

/* ---- colour helpers ---- */
static inline uint32_t rdr_mix(uint32_t a, uint32_t b, double f) {   /* f = weight of b */
    uint32_t out = 0xff000000u;
    for (int sh = 0; sh < 24; sh += 8) {
        double ca = (a >> sh) & 0xff, cb = (b >> sh) & 0xff;
        out |= (uint32_t)(ca + (cb - ca) * f + 0.5) << sh;
    }
    return out;
}

#endif
