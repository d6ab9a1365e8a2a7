/* render internals: shared by the .c files of render/ only, never included from outside. */
#ifndef WEFT_RDR_INTERNAL_H
#define WEFT_RDR_INTERNAL_H

#include "render/rdr.h"

/* Row heights and bands of the layout (px). */
enum {
    RDR_HEADER_H = 48,          /* title line + legend/status line */
    RDR_ALERT_H = 18,           /* per note line (deadlock, stuck, lost events) under them */
    RDR_RULER_H = 36,           /* tick labels, then a band for the playhead and hover tags */
    RDR_FOOTER_H = 22,
    RDR_RUN_ROW_H = 24,
    RDR_PROC_ROW_H = 20,        /* a process group's header row, unfolded (folded: as tall as a unit lane) */
    RDR_UNIT_ROW_H = 20,        /* unit and lock rows; up to 36 when everything fits */
    RDR_QUEUE_ROW_H = 40,       /* up to 48 when everything fits */
    RDR_GROUP_GAP = 8,
    RDR_MIN_WINDOW_NS = 64,
    RDR_DETAILS_LINES = 7,      /* the selection's details panel */
    RDR_MAX_NOTES = 4,          /* header note lines at most */
};

/* ---- layout (rdr_layout.c) and header notes (rdr_notes.c) ---- */
void rdr_clamp_scroll(rdr_view *v);
void rdr_relayout(rdr_view *v);                 /* after a change that adds or removes bands or rows */
int rdr_view_row_index_at(const rdr_view *v, int y);   /* -1 if none */
void rdr_scroll_to_row(rdr_view *v, int i);
/* rdr_view.c */
void rdr_show_time(rdr_view *v, double t);      /* pans so that t is in view */
bool rdr_sel_slice(const rdr_view *v, double *a, double *b);   /* the selected slice's time range */
bool rdr_contains_ci(const char *hay, const char *needle);      /* ASCII case-insensitive */
typedef struct rdr_note { uint32_t run; bool alert; char text[512]; } rdr_note;
/* The header's notes, at most max: verdicts that name units and objects, lost events. */
int rdr_notes(const rdr_view *v, rdr_note *out, int max);

/* ---- process groups of lanes (rdr_groups.c) ----
 * host[u]: the process (or event loop) unit whose group u's lane is in, u itself
 * for the head, UINT32_MAX when u's lane stands alone; a group's units are
 * members[off[h] .. off[h + 1]), the head first, then in unit order. */
typedef struct rdr_groups {
    uint32_t *host;
    uint8_t *folded;            /* per head */
    uint32_t *off, *members;
    uint32_t ngroups;
} rdr_groups;
rdr_groups *rdr_groups_new(const trc_model *m);
void rdr_groups_free(rdr_groups *g);

/* ---- expected counter values, read from the scenario's expect lines (rdr_expect.c) ---- */
typedef struct rdr_expect_one { bool has; int64_t value; char op[3]; } rdr_expect_one;
struct rdr_expect { rdr_expect_one *obj; };      /* per object (counters), index = id - 1 */
struct rdr_expect *rdr_expect_new(const trc_run *run);
void rdr_expect_free(struct rdr_expect *e, const trc_run *run);

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
    uint64_t *bmax;                     /* the longest span per block of RDR_LBL_BLOCK spans (labels), or NULL */
} rdr_spanidx;
enum { RDR_LBL_BLOCK = 64 };

/* A level series' index for column maxima (rdr_lod.c): blocks of
 * TRC_LEVEL_BLK_STEP samples, blk[k] = (time of the block's first sample, the
 * block's max), the model's (trc_object_track.level_blk, kept as it pushed the
 * samples: no pass over millions of them here) or made here on first need for
 * a series without it; and a max segment tree over the blocks (16 bytes per 64
 * samples, where a tree over the samples took 16 bytes per sample). */
typedef struct rdr_lvlidx {
    const trc_sample *blk; size_t nblk;
    trc_sample *own;                    /* blk, when made here */
    int64_t *seg;                       /* 2 * nblk entries; NULL until built */
    bool tried;                         /* building failed (no memory) */
} rdr_lvlidx;

/* A pool's futures laid out for drawing, built once on first need: per lane the
 * futures (in time order) and their states as spans (state = rdr_fut_key), and
 * the pool's step series of futures running and futures live (running + queued). */
typedef struct rdr_pool_lod {
    uint32_t nlanes;
    trc_span *segs; size_t *soff;       /* lane k: segs[soff[k] .. soff[k + 1]) */
    rdr_spanidx *idx;                   /* per lane */
    uint32_t *futs; size_t *foff;       /* lane k: futs[foff[k] .. foff[k + 1]), indexes into m->futures */
    trc_sample *busy, *live; size_t nbusy, nlive;
    rdr_lvlidx idx_busy, idx_live;      /* their indexes, built on first need */
    int64_t max_live;
    uint32_t *by_id;                    /* the pool's futures (indexes into m->futures) by id */
} rdr_pool_lod;
_Static_assert((int)RDR_FK__COUNT <= (int)TRC_ST__COUNT, "future keys share the per-state column buffers");

struct rdr_lod {
    const trc_model *m;
    rdr_spanidx *uidx;                  /* per unit */
    rdr_pool_lod **pools;               /* per object (pools), NULL until built */
    uint64_t **lcum;                    /* per object (locks): held time in owners[0..i) */
    rdr_lvlidx *qidx;                   /* per object (levels) */
    uint8_t *tried;                     /* per unit + per object: index building failed (no memory) */
    int64_t (*range)[2];                /* per object (levels): lowest and highest value to draw */
    uint8_t *has_range;
    /* per object: units blocked on it over time (a step series), built on first need for all objects */
    trc_sample **waiters; size_t *nwaiters; rdr_lvlidx *widx; bool waiters_built;
    /* timed-out waits, per unit: the times their spans ended (sorted), built on first need */
    uint64_t **timeouts; size_t *ntimeouts; bool timeouts_built;
    uint8_t *owns;                      /* per unit: it holds (or set) some object at some time */
    /* counters: the racy writes that lost updates, per object: (time, updates lost up to it), built on first need */
    trc_sample **lost; size_t *nlost; bool lost_built;
};

/* Level of detail helpers for labels and markers (rdr_lod.c). */
const uint64_t *rdr_lod_bmax(rdr_lod *l, uint32_t u);       /* NULL if no memory */
void rdr_lod_waiters(rdr_lod *l, uint32_t obj, const rdr_cols *c, int64_t *vals, rdr_drawlist *st);
const uint64_t *rdr_lod_timeouts(rdr_lod *l, uint32_t u, size_t *n);
bool rdr_lod_owns(rdr_lod *l, uint32_t u);
/* Updates counter obj lost by racy writes up to time t (the writes that lost some). */
int64_t rdr_lod_lost_at(rdr_lod *l, uint32_t obj, uint64_t t);

rdr_lod *rdr_lod_new(const trc_model *m);
void rdr_lod_free(rdr_lod *l);

/* Which tracks an object gets, and the series behind them. */
static inline bool rdr_has_level(uint32_t kind) {
    return kind == TRC_OBJ_QUEUE || kind == TRC_OBJ_SEMAPHORE || kind == TRC_OBJ_BARRIER ||
           kind == TRC_OBJ_COUNTER || kind == TRC_OBJ_RWLOCK || kind == TRC_OBJ_PIPE;
}
static inline bool rdr_has_owner(uint32_t kind) {
    return kind == TRC_OBJ_LOCK || kind == TRC_OBJ_RLOCK || kind == TRC_OBJ_RWLOCK || kind == TRC_OBJ_EVENT ||
           kind == TRC_OBJ_GIL;   /* the GIL's holder track, its waiters under it */
}
static inline const trc_sample *rdr_series(const trc_model *m, uint32_t obj, size_t *n) {
    const trc_object_track *ot = &m->objects[obj - 1];
    if (m->run->objects[obj - 1].kind == TRC_OBJ_QUEUE) { *n = ot->ndepth; return ot->depth; }
    *n = ot->nlevel;
    return ot->level;
}
/* The model's sparse max of that series (TRC_LEVEL_BLK_STEP); its own only if *nb == rdr_nblk(n). */
enum { RDR_BLK = TRC_LEVEL_BLK_STEP };
static inline size_t rdr_nblk(size_t n) { return (n + RDR_BLK - 1) / RDR_BLK; }
static inline const trc_sample *rdr_series_blk(const trc_model *m, uint32_t obj, size_t *nb) {
    const trc_object_track *ot = &m->objects[obj - 1];
    if (m->run->objects[obj - 1].kind == TRC_OBJ_QUEUE) { *nb = ot->ndepth_blk; return ot->depth_blk; }
    *nb = ot->nlevel_blk;
    return ot->level_blk;
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

/* Unit lane: keys[c] = the dominant trc_state of column c, or -1 (nothing);
 * minor[c] (may be NULL) = the next state when it holds a visible share of the
 * column (2 %), else -1. */
void rdr_lod_unit(rdr_lod *l, uint32_t u, const rdr_cols *c, int8_t *keys, int8_t *minor, float *acc, rdr_drawlist *stats);
/* Owner track: keys[c] = owner unit + 1, 0 = free / nothing; with
 * RDR_OWNER_PART when held for less than half the column (drawn thin: a short
 * hold stays visible at any zoom). */
#define RDR_OWNER_PART 0x80000000u
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
enum { RDR_NBUCKETS = 3 * TRC_ST__COUNT };   /* states, ghosted states, minority strips (drawn last) */
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

/* ---- one frame's drawing (rdr_draw.c and the rdr_*.c it calls) ---- */

/* Colours of the chrome and the lane area, per theme (rdr_theme.c). The state,
 * future and flow colours are the same in every theme (Okabe-Ito based,
 * colour-blind safe on dark and light backgrounds). */
typedef struct rdr_theme {
    uint32_t bg, lane, lane_alt, panel, text, text_dim, grid, playhead, playhead_text;
    uint32_t tick, tick_minor, capacity, mark, label_bg, tip_bg, tip_border, tag_bg, alert, alert_bg, note_bg;
    uint32_t sel, match, scroll, on_pastel, hover_line, queue, queue_edge;
} rdr_theme;
const rdr_theme *rdr_theme_of(int id);

typedef struct rdr_ctx {
    const rdr_theme *th;
    rdr_view *v;
    rdr_drawlist *dl;
    const rdr_text_metrics *tm;
    int line_h;
    int clip_x, clip_y, clip_w, clip_h;   /* the clip text is drawn in (rdr_clip); w 0 = none */
    int layer;                  /* 0: the frame; 1: an overlay on its own panel (hover, help) */
    double npp;                 /* ns per pixel */
    double reveal;              /* the playhead: nothing after it is drawn in colour */
    bool flows_dense;           /* set by rdr_flows: some flows were too dense to draw */
    /* the window and playhead on the time axis; rdr_at_run moves them into a run's own time */
    double ax_t0, ax_t1, ax_playhead, ax_reveal;
    int8_t *keys, *minor;
    float *acc;
    uint32_t *okeys;
    int64_t *vals;
} rdr_ctx;

/* Level tracks: a filled step graph between the zero line and the value. */
typedef struct rdr_scale { int base; double px_per; int64_t lo; int hmax; } rdr_scale;

#define RDR_GLYPH_BG 0xe0101216u
#define RDR_COL_CANCEL_LATE 0xffb8bcc6u   /* a cancel that found the future running or done */

/* rdr_draw.c */
bool rdr_claim_text(rdr_ctx *cx, int ri, int x0, int x1);
/* Drawing run r's content: the window, the playhead and cx->reveal in r's own
 * time (its offset on the axis taken off), so every model time maps to x as
 * is; rdr_at_axis puts them back. Setting, not adding: a loop may call it at
 * the top of every iteration and skip ahead with continue. */
void rdr_at_run(rdr_ctx *cx, uint32_t run);
void rdr_at_axis(rdr_ctx *cx);
rdr_lod *rdr_lod_of(rdr_view *v, uint32_t run);
/* rdr_theme.c */
bool rdr_flow_dashed(unsigned kind);
/* rdr_text.c */
int rdr_tw(const rdr_ctx *cx, int font, const char *s, size_t len);
int rdr_text_fit(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s, int max_w);
int rdr_text(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s);
/* Sets the clip of what follows (w or h 0: none), and the label log's idea of it. */
void rdr_clip(rdr_ctx *cx, int x, int y, int w, int h);
/* Would a label at [x, x+w) x [y, y+h) cover one drawn before it in this frame? */
bool rdr_label_free(const rdr_ctx *cx, int x, int y, int w, int h);
/* The width a label at x may take, at most w, before one drawn earlier; 0: none. */
int rdr_label_room(const rdr_ctx *cx, int x, int y, int w, int h);
/* Records a rectangle as taken by a label (or a picture a label must not cover). */
void rdr_label_take(rdr_ctx *cx, int x, int y, int w, int h, const char *s, size_t len);
void rdr_fmt_dur(char *out, size_t cap, double ns);
const char *rdr_speed_str(char *out, size_t cap, double s);
double rdr_ruler_step(const rdr_ctx *cx);
/* rdr_lanes.c */
rdr_cols rdr_cols_of(const rdr_ctx *cx, double a, double b);
const char *rdr_obj_name(const trc_run *run, uint32_t obj);
void rdr_blocked_text(const trc_model *m, const trc_span *sp, char *full, size_t cap, const char **shortl);
int rdr_level_y(const rdr_scale *sc, int64_t v);
void rdr_level_draw(rdr_ctx *cx, const rdr_cols *cp, const rdr_scale *sc, uint32_t fill, uint32_t edge);
bool rdr_has_capacity(const trc_object *ob);
void rdr_level_text(char *s, size_t cap, const trc_object *ob, int64_t v);
void rdr_lanes(rdr_ctx *cx);
/* rdr_mem.c: the memory row's label (lw: the label column's width), plot and hover text */
void rdr_mem_label(rdr_ctx *cx, const rdr_row *row, int y, int lw, double at);
void rdr_mem_content(rdr_ctx *cx, const rdr_row *row, int y, double reveal);
bool rdr_mark_in(const trc_model *m, uint32_t u, double ta, double tb);   /* a mark or local set of u in [ta, tb] */
int rdr_bar_pad(int h);
const char *rdr_kind_tag(uint32_t kind);        /* "lock", "sem", "queue" */                          /* the gap above and below a unit's bar */
/* The stacked state bar of a process group's units (rdr_group_draw.c). */
void rdr_group_cols(rdr_ctx *cx, const rdr_row *row, int y, int h, double reveal);
void rdr_group_label(rdr_ctx *cx, const rdr_row *row, int y);
/* rdr_labels.c */
void rdr_span_labels(rdr_ctx *cx, size_t first, size_t last);
void rdr_stuck(rdr_ctx *cx);
void rdr_timeouts(rdr_ctx *cx, size_t first, size_t last);
void rdr_row_marks(rdr_ctx *cx, size_t first, size_t last);
void rdr_counter_range(rdr_ctx *cx, uint32_t run, int64_t *lo, int64_t *hi);
void rdr_counter_marks(rdr_ctx *cx, const rdr_row *row, int y, const rdr_scale *sc, double reveal);
/* rdr_pool_draw.c */
void rdr_pool_cols(rdr_ctx *cx, uint32_t run, uint32_t obj, const rdr_scale *sc, double a, double b, bool ghost);
void rdr_pool_scale(rdr_ctx *cx, const rdr_row *row, int y, rdr_scale *sc);
void rdr_future_cols(rdr_ctx *cx, const rdr_row *row, int y, int h, double a, double b, bool ghost);
void rdr_cross(rdr_drawlist *dl, int x, int y, int r, uint32_t col);
const char *rdr_unit_name(const trc_run *run, uint32_t u);
void rdr_future_details(rdr_ctx *cx, int ri, const rdr_row *row, int y, int h, double b);
/* rdr_marks.c */
void rdr_flows(rdr_ctx *cx);
void rdr_marks(rdr_ctx *cx);
bool rdr_instant_drawn(unsigned kind);
void rdr_instants(rdr_ctx *cx);
void rdr_killed(rdr_ctx *cx, size_t first, size_t last, bool claim);
/* rdr_chrome.c */
void rdr_header(rdr_ctx *cx);
void rdr_ruler(rdr_ctx *cx);
void rdr_playhead(rdr_ctx *cx);
void rdr_footer(rdr_ctx *cx);
bool rdr_playhead_tag(rdr_ctx *cx, char *s, size_t cap, int *x, int *w);
void rdr_tail_note(rdr_ctx *cx);
void rdr_help(rdr_ctx *cx);
/* rdr_details.c */
void rdr_details(rdr_ctx *cx);
/* rdr_compare.c */
void rdr_compare(rdr_ctx *cx);
/* "2 threads workers=4": a run's number, backend and the parameters that differ between the runs */
void rdr_run_name(const rdr_view *v, uint32_t r, char *out, size_t cap);
/* ---- the stage (rdr_stage*.c): the objects as pictures beside the timeline ---- */
extern const bool rdr_stage_built;
enum { RDR_STAGE_MIN_WIDTH = 1600 };   /* the stage is on by default from this window width (when built) */
/* Draws the stage of every run into [x, x + w) x [y, y + h) (rdr_stage_frame.c). */
void rdr_stage(rdr_ctx *cx, int x, int y, int w, int h);
/* Frees the stages the view built (models, layouts, states); NULL-safe. */
void rdr_stage_view_free(rdr_view *v);
/* Per run: its stage model (built on first need), its layout for the size it
 * was last drawn at, and the state of the last frame. */
typedef struct rdr_stage_run {
    rdr_stage_model *sm;
    rdr_stage_layout lay;
    bool laid;
    int lw, lh, lline;          /* what lay was built for */
    rdr_stage_state st;
} rdr_stage_run;
struct rdr_stage_view { rdr_stage_run *runs; uint32_t n; };
/* Where things stand on a run's stage drawn at (ox, oy) (rdr_stage_place.c).
 * Queues' lines: side 1 puts, side 2 gets (and joins); place k of a line. */
typedef struct rdr_stage_geo { const rdr_stage_layout *L; const rdr_stage_state *st; const trc_run *run; int ox, oy; } rdr_stage_geo;
bool rdr_stage_line_spot(const rdr_stage_geo *g, uint32_t obj, int side, uint32_t k, int *x, int *y);
int rdr_stage_side(const rdr_stage_geo *g, uint32_t obj, uint8_t op);
bool rdr_stage_home(const rdr_stage_geo *g, uint32_t u, int *x, int *y);
/* A unit's figure's bottom centre now (walking included); false if it is not drawn. */
bool rdr_stage_unit_xy(const rdr_stage_geo *g, uint32_t u, int *x, int *y);
/* The tooltip of what the mouse points at on a run's stage, if anything (rdr_stage_hover.c). */
void rdr_stage_hover(rdr_ctx *cx, uint32_t run, const rdr_stage_layout *L, const rdr_stage_state *st, int ox, int oy);
/* Processes on the stage (rdr_stage_procs.c): pipes that get a tube, the
 * height of their band under the bench, the boxes and tubes of a layout. */
uint32_t rdr_stage_tube_count(const rdr_stage_model *sm);
int rdr_stage_tube_band(uint32_t ntubes, int fig);
void rdr_stage_procs_build(rdr_stage_layout *L, const rdr_stage_model *sm, const rdr_groups *pg, int band_y,
                           uint32_t ntubes);
/* ... drawn (rdr_stage_procs_draw.c): the boxes behind the figures; the tubes,
 * their messages and the managers' requests in front of them. */
void rdr_stage_boxes(rdr_ctx *cx, const rdr_stage_layout *L, const rdr_stage_state *st, const trc_run *run, int ox, int oy);
void rdr_stage_tubes(rdr_ctx *cx, const rdr_stage_layout *L, const rdr_stage_state *st, const trc_run *run, int ox, int oy);
/* Event loops on the stage (rdr_stage_loops_draw.c): their blocks and strips, behind the figures. */
void rdr_stage_loops(rdr_ctx *cx, const rdr_stage_layout *L, const rdr_stage_state *st, const trc_run *run, int ox, int oy);
/* Where a pipe's message token goes along a tube of len px with tokens of sz px: a
 * fraction 0..1, or < 0 when there is no room left for it (the tube is full). */
double rdr_stage_msg_at(const rdr_stage_tok *tk, int len, int sz);
/* A message token (pipes, requests): a small rounded square in the sender's colour. */
void rdr_stage_msg_token(rdr_drawlist *dl, int x, int y, int sz, uint32_t col, uint32_t edge);
/* The pictures of one run's stage at (x, y) (rdr_stage_draw.c). */
void rdr_stage_draw(rdr_ctx *cx, uint32_t run, const rdr_stage_model *sm, const rdr_stage_layout *L,
                    const rdr_stage_state *st, int x, int y);

/* Interval sets (rdr_stage_index.c): which intervals contain t, in O(log n + listed). */
enum { RDR_IV_BLOCK = 16 };
typedef struct rdr_iv { uint64_t t0, t1; uint32_t a, b; } rdr_iv;   /* [t0, t1); a, b: payload */
typedef struct rdr_ivset {
    rdr_iv *iv; size_t n;       /* sorted by t0 */
    uint64_t *t1s;              /* the ends, sorted */
    uint64_t *tree;             /* max end per block, a segment tree with leaves at [nb2, 2 nb2) */
    size_t nb2;
} rdr_ivset;
/* Takes iv (malloc'ed, n entries; sorted here). */
void rdr_ivset_build(rdr_ivset *s, rdr_iv *iv, size_t n);
int rdr_iv_cmp(const void *a, const void *b);   /* the order of the set: t0, t1, a, b */
/* Takes iv already in that order and t1s (their ends, sorted), both malloc'ed. */
void rdr_ivset_adopt(rdr_ivset *s, rdr_iv *iv, uint64_t *t1s, size_t n);
void rdr_ivset_release(rdr_ivset *s);
size_t rdr_ivset_upper(const rdr_ivset *s, uint64_t t);   /* first interval starting after t */
size_t rdr_ivset_count(const rdr_ivset *s, uint64_t t);   /* intervals with t0 <= t < t1 */
/* Up to max of them as indexes into s->iv, oldest start first (or newest first). */
size_t rdr_ivset_list(const rdr_ivset *s, uint64_t t, uint32_t *out, size_t max);
size_t rdr_ivset_list_newest(const rdr_ivset *s, uint64_t t, uint32_t *out, size_t max);
uint32_t rdr_ivset_max_live(const rdr_ivset *s);           /* the most live at once */
/* rdr_hover.c */
enum { RDR_TIP_LINES = 12 };
typedef struct rdr_tip { char line[RDR_TIP_LINES][192]; int n; } rdr_tip;
void rdr_tip_add(rdr_tip *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rdr_mem_describe(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip);   /* rdr_mem.c */
void rdr_span_times(char *out, size_t cap, double t0, double t1);
/* What row is at time t (in_plot: over the time axis, else over its name). */
void rdr_describe(rdr_ctx *cx, const rdr_row *row, double t, bool in_plot, rdr_tip *tip);
void rdr_hover(rdr_ctx *cx);

#endif
