/* render: the viewer. Reads a recording and its derived models (traces/), never sim/.
 *
 * Three parts, one way:
 *
 *   rdr_view     the view model: time window, zoom/pan, playhead, speed, hover,
 *                lane layout. Plain C, no SDL; fed with rdr_event (our own input
 *                events) and a time step. (render/rdr_view.c)
 *   rdr_build    immediate-mode UI: each frame, the view and the models become a
 *                draw list of rects, lines and text in pixels. Level of detail: the
 *                work per frame depends on the window width and the number of
 *                lanes, not on the size of the trace. (render/rdr_draw.c, rdr_lod.c)
 *   backends     render/rdr_sdl.c executes a draw list with SDL_Renderer and
 *                SDL2_ttf: in a window (rdr_view_run) or headless into memory
 *                (rdr_render_rgba, rdr_screenshot). render/rdr_png.c writes PNGs.
 *
 * Library code: never prints, never exits; functions return 0 or -ERR_xxx and fill
 * the diag. Thread: every function here is for one thread at a time (the one
 * that owns the view); the SDL ones for the thread that initialised SDL video.
 */
#ifndef WEFT_RDR_H
#define WEFT_RDR_H

#include "base/base.h"
#include "traces/trc.h"

/* ======================================================================
 * 1. Entry points
 * ====================================================================== */

enum rdr_theme_id { RDR_THEME_DARK = 0, RDR_THEME_LIGHT = 1, RDR_THEME__COUNT = 2 };

typedef struct rdr_view_desc {
    const trc_recording *rec;     /* may be NULL (several files: each model knows its run) */
    const trc_model *models; uint32_t nmodels;   /* one model per run; side by side on one time axis */
    int width, height;            /* 0 = 1280x720 */
    double at;                    /* playhead as a fraction of the time axis, 0..1; <0 = end (whole run) */
    double at_ns;                 /* with at_is_ns: the playhead at this relative time instead */
    bool at_is_ns;
    bool play;                    /* rdr_view_run: start playing (weft view opens at the start and plays) */
    bool stage;                   /* show the stage region beside the timeline (--stage) */
    bool whole;                   /* show the whole run even when its end is a long idle tail */
    int theme;                    /* rdr_theme_id */
    double scale;                 /* headless: pixels per layout unit (2 = a sharp PNG for a hi-dpi slide); 0 = 1 */
    const char *font_path;        /* NULL = $WEFT_FONT, else DejaVu Sans Mono/Sans under /usr/share/fonts */
    const char *title;            /* NULL = the first run's scenario title */
    /* optional initial window (relative ns); t_view1 <= t_view0 = the whole run (or its active part) */
    double t_view0, t_view1;
    bool ghost;                   /* draw the part after the playhead faintly instead of hiding it */
    /* rdr_view_run only: when set, the window opens at once with a progress bar and
     * this runs on a thread to fill models/nmodels (the fields above are ignored
     * until it returns 0); an error closes the window and is returned with d. */
    int (*load)(void *ud, const trc_model **models, uint32_t *nmodels, diag *d);
    void *load_ud;
    const char *load_what;        /* "big.weft (325 MB)": what the progress bar says it loads */
    /* The expectations that compare runs (expect makespan[P=1] > makespan[P=4] * 2), checked by
     * the caller on the models once they are known (the viewer cannot: render/ does not know the
     * scenario language): writes one line per failed one into report ("file:line:col: expect ...
     * does not hold: ...") and returns how many failed. NULL: not checked. Called from the thread
     * that builds the view (the loader's, for a window that loads behind a progress bar). */
    uint32_t (*relations)(const trc_model *models, uint32_t nmodels, char *report, size_t cap);
} rdr_view_desc;

/** Opens an SDL2 window and runs the viewer until it is closed (q, Esc, window
 *  close). Returns 0, or -ERR_RUNTIME / -ERR_IO (no display, no font) with d filled.
 *  Thread: the main thread (SDL video). */
int rdr_view_run(const rdr_view_desc *desc, diag *d);

/** Headless: renders one frame at desc->at with the SDL software renderer into
 *  `pixels` (width*height ARGB8888, row-major, no padding). Needs no display and
 *  no video subsystem. */
int rdr_render_rgba(const rdr_view_desc *desc, uint32_t *pixels, diag *d);

/** Headless: renders one frame and writes it as a PNG (RGB, 8 bit), at
 *  desc->scale pixels per layout unit. */
int rdr_screenshot(const rdr_view_desc *desc, const char *png_path, diag *d);

/* The animation as frames: from desc's playhead (the start unless desc->at says
 * otherwise), playing as the window would at its default speed, until the end,
 * then hold_s more seconds of the last frame. Each frame goes to `frame`
 * (pixels ARGB8888, w x h device pixels, row-major); a non-zero return stops. */
typedef struct rdr_frames_desc {
    double fps;                   /* 1..240 */
    double hold_s;                /* 0 = 1 s */
    uint32_t max_frames;          /* 0 = 36000 */
    int (*frame)(void *ud, const uint32_t *argb, int w, int h, uint32_t index, diag *d);
    void *ud;
} rdr_frames_desc;
int rdr_frames(const rdr_view_desc *desc, const rdr_frames_desc *fd, diag *d);

/* A headless canvas kept across frames (benchmarks, tests, batch screenshots):
 * an SDL software renderer on a width x height ARGB8888 buffer, the fonts and
 * the text-texture cache.
 *  1. rdr_canvas_open  2. per frame: rdr_canvas_frame (or rdr_build with
 *  rdr_canvas_metrics, then rdr_canvas_submit)  3. rdr_canvas_pixels  4. rdr_canvas_close */
typedef struct rdr_canvas rdr_canvas;
typedef struct rdr_view rdr_view;
/** A label drawn in a frame: its rectangle in layout pixels, its layer (0: the
 *  frame, 1: an overlay on its own panel) and its text's start. */
typedef struct rdr_label_rect { int x, y, w, h; int layer; char text[24]; } rdr_label_rect;
typedef struct rdr_drawlist rdr_drawlist;
typedef struct rdr_text_metrics rdr_text_metrics;
int rdr_canvas_open(rdr_canvas **out, int width, int height, const char *font_path, diag *d);
/** The same with `scale` device pixels per layout unit (text rasterised at that size). */
int rdr_canvas_open_scaled(rdr_canvas **out, int width, int height, double scale, const char *font_path, diag *d);
void rdr_canvas_size(const rdr_canvas *c, int *pixel_w, int *pixel_h);
/** Text measuring for rdr_build, backed by the canvas's fonts. */
const rdr_text_metrics *rdr_canvas_metrics(rdr_canvas *c);
/** Executes a draw list into the canvas's pixels. */
void rdr_canvas_submit(rdr_canvas *c, const rdr_drawlist *dl);
/** Builds v's frame (resizing v to the canvas first if needed) and submits it. */
void rdr_canvas_frame(rdr_canvas *c, rdr_view *v);
const uint32_t *rdr_canvas_pixels(const rdr_canvas *c);   /* pixel_w*pixel_h ARGB8888 */
/** How many text textures were rasterised so far (the cache's misses). */
size_t rdr_canvas_rasterised(const rdr_canvas *c);
void rdr_canvas_close(rdr_canvas *c);

/* ======================================================================
 * 2. Theme: colours (ARGB8888) the tests and the legend share
 * ====================================================================== */

#define RDR_FONT_PX      13
#define RDR_CHAR_W       8      /* nominal advance of DejaVu Sans Mono at 13 px */
#define RDR_LINE_H       16

/* Colour-blind friendly state colours (Okabe-Ito). */
uint32_t rdr_state_color(unsigned state);     /* trc_state */
uint32_t rdr_state_ghost_color(unsigned state);   /* the faint "after the playhead" variant */
uint32_t rdr_owner_color(uint32_t unit);      /* owner tracks: the unit holding (or having set) it */
#define RDR_COL_BG         0xff15171cu
#define RDR_COL_LANE       0xff1c1f26u       /* lane background, even rows */
#define RDR_COL_LANE_ALT   0xff20232bu       /* lane background, odd rows */
#define RDR_COL_PANEL      0xff1f222au       /* header, ruler, footer */
#define RDR_COL_TEXT       0xffd8dce4u
#define RDR_COL_TEXT_DIM   0xff8a909cu
#define RDR_COL_GRID       0xff2a2e37u
#define RDR_COL_PLAYHEAD   0xfff2f2f2u
#define RDR_COL_ALERT      0xffff5a52u
#define RDR_COL_QUEUE      0xffb07ad0u       /* level tracks: the area under the step graph */
#define RDR_COL_QUEUE_EDGE 0xffe0b8f5u       /* level tracks: the step line */
#define RDR_COL_CAPACITY   0xffe8e8e8u
#define RDR_COL_FLOW_ITEM  0xffe0b8f5u
#define RDR_COL_FLOW_HAND  0xffc8ccd4u
#define RDR_COL_FLOW_WAKE  0xff9fd3f0u       /* notify, set, barrier, spawn, join, pool flows */
#define RDR_COL_MARK       0xfffff2a8u

/* Futures (pool tracks): the state of a future over its life. The queued part is
 * a dull amber (waiting, not running), the run a strong blue, the end a short cap
 * in green (ok) or red (the task failed); a future cancelled while queued is
 * reddish purple from the cancel on, with a cross. */
enum rdr_fut_key { RDR_FK_PENDING = 0, RDR_FK_RUNNING = 1, RDR_FK_DONE = 2, RDR_FK_CANCELLED = 3, RDR_FK_FAILED = 4,
                   RDR_FK__COUNT = 5 };
#define RDR_COL_FUT_PENDING   0xff9a7b3cu
#define RDR_COL_FUT_RUNNING   0xff2f7fd0u
#define RDR_COL_FUT_DONE      0xff3fcf8eu
#define RDR_COL_FUT_CANCELLED 0xffcc79a7u
#define RDR_COL_FUT_FAILED    0xffff5a52u
uint32_t rdr_future_color(unsigned key);      /* rdr_fut_key */
/* Flows by kind (trc_flow_kind): each kind its own colour; spawn, join and
 * callback flows are dashed. */
uint32_t rdr_flow_color(unsigned kind);
#define RDR_COL_KILLED     0xffff5a52u       /* a daemon cut off at the run's end */
#define RDR_COL_LOCAL      0xffc8e68cu       /* thread-local sets */

/* ======================================================================
 * 3. The view model (no SDL)
 * ====================================================================== */

/* Rows: per run (a title row when there are several runs), one lane per unit,
 * grouped by process: a process that hosts other units (its threads on the
 * processes backend) gets a PROC header row (id: the process's unit; its name,
 * pid and a stacked bar of its units' states), then its own lane and those of
 * its units; folded (rdr_view_fold), only the header is left, as tall as a lane.
 * A process with no other unit in it is its lane (the lane shows its pid). Then
 * per pool a POOL row (futures running and queued, the workers as a
 * capacity line) and one FUTURE row per future lane (trc_object_track.future_lanes),
 * then a LEVEL track (step graph, capacity line) per queue (depth), semaphore
 * (permits in use), barrier (units arrived), counter (value) and rwlock
 * (readers), then an OWNER track per lock, rlock, rwlock (the writer) and event
 * (set, coloured by who set it). An rwlock has both. */
enum rdr_row_kind { RDR_ROW_RUN = 1, RDR_ROW_UNIT = 2, RDR_ROW_LEVEL = 3, RDR_ROW_OWNER = 4,
                    RDR_ROW_POOL = 5, RDR_ROW_FUTURE = 6, RDR_ROW_PROC = 7,
                    RDR_ROW_MEM = 8,   /* the run's memory (rdr_mem.c), last in its run, when recorded */
                    RDR_ROW_NOTSTARTED = 9,   /* one quiet line for the units that never started in the run
                                                 (no lane each): id is how many */
                    RDR_ROW_QUEUE = RDR_ROW_LEVEL, RDR_ROW_LOCK = RDR_ROW_OWNER };

/* One row of the lane area. y is in content coordinates (0 = top of the lane
 * area, before vertical scrolling). */
typedef struct rdr_row {
    uint8_t kind;       /* rdr_row_kind */
    uint32_t run;       /* index into the models */
    uint32_t id;        /* UNIT, PROC: unit index; LEVEL/OWNER/POOL/FUTURE: object id (1-based); RUN: 0;
                           NOTSTARTED: how many units never started */
    uint32_t lane;      /* FUTURE: the lane within its pool (trc_future.lane), or RDR_LANE_MORE;
                           PROC: the units in the group (the process's own included); else 0 */
    int y, h;
} rdr_row;

/* A pool shows at most RDR_MAX_FUTURE_LANES rows of futures: past that, the last
 * row (lane RDR_LANE_MORE) says how many lanes are not drawn; the pool row counts
 * their futures. */
#define RDR_MAX_FUTURE_LANES 48u
#define RDR_LANE_MORE UINT32_MAX

/* The window, top to bottom: header (title and verdict, legend, alert lines),
 * ruler, lanes, bottom panels (details of the selection, the compare table),
 * footer (status bar). The timeline takes [0, timeline_w); the stage, when
 * shown, the region [stage_x, width) from the ruler down to the footer. */
typedef struct rdr_layout {
    int width, height;
    int timeline_w;             /* the timeline's width (== width without the stage) */
    int header_h;               /* title, legend, status, alert lines */
    int alert_lines;            /* lines of the deadlock / stuck / lost-events note in the header */
    int ruler_y, ruler_h;
    int lanes_y, lanes_h;       /* the visible lane area on screen */
    int details_y, details_h;   /* the selection's details (0 high when nothing is selected) */
    int compare_y, compare_h;   /* the compare table (0 high when off) */
    int footer_y, footer_h;
    int stage_x, stage_y, stage_w, stage_h;   /* 0 wide when the stage is off */
    int label_w;                /* names column: x in [0, label_w) */
    int plot_x, plot_w;         /* time axis: x in [plot_x, plot_x + plot_w) */
    rdr_row *rows; uint32_t nrows;
    int content_h;              /* all rows */
} rdr_layout;

/* Per-model level-of-detail indexes, built lazily the first time a lane is
 * too dense to draw span by span (render/rdr_lod.c). */
typedef struct rdr_lod rdr_lod;

/* Input events, translated from SDL by the backend (or made by tests). */
enum rdr_ev_kind { RDR_EV_KEY = 1, RDR_EV_MOVE, RDR_EV_DOWN, RDR_EV_UP, RDR_EV_WHEEL, RDR_EV_RESIZE,
                   RDR_EV_LEAVE, RDR_EV_QUIT, RDR_EV_TEXT };
enum rdr_key { RDR_KEY_CHAR = 1 /* ch */, RDR_KEY_SPACE, RDR_KEY_PLUS, RDR_KEY_MINUS, RDR_KEY_HOME, RDR_KEY_END,
               RDR_KEY_LEFT, RDR_KEY_RIGHT, RDR_KEY_UP, RDR_KEY_DOWN, RDR_KEY_PGUP, RDR_KEY_PGDN, RDR_KEY_ESC,
               RDR_KEY_ENTER, RDR_KEY_BACKSPACE, RDR_KEY_TAB, RDR_KEY_F1 };
#define RDR_MOD_SHIFT 1u
#define RDR_MOD_CTRL  2u
typedef struct rdr_event {
    uint8_t kind;       /* rdr_ev_kind */
    uint8_t mods;       /* RDR_MOD_* */
    uint16_t key;       /* KEY: rdr_key */
    uint32_t ch;        /* KEY with RDR_KEY_CHAR: lower-case ASCII letter or digit, or one of / ? . , [ ] */
    int x, y;           /* MOVE/DOWN/UP/WHEEL: mouse position; RESIZE: new width, height */
    int button;         /* DOWN/UP: 1 = left, 2 = right, 3 = middle */
    double wheel;       /* WHEEL: notches, > 0 = away from the user (zoom in) */
    char text[32];      /* TEXT: typed UTF-8 (while searching) */
} rdr_event;

/* What a click selected: a row (a unit, an object track, a pool, a future lane)
 * and the time clicked; the details panel describes it. */
typedef struct rdr_sel {
    uint8_t kind;               /* rdr_row_kind, 0 = nothing */
    uint32_t run, id, lane;     /* as in rdr_row */
    double t;                   /* where it was clicked, in the run's relative ns */
} rdr_sel;

/* Flows: all of them, only those of the selected unit or object, or none ('f' cycles). */
enum rdr_flow_mode { RDR_FLOWS_ALL = 0, RDR_FLOWS_SELECTED = 1, RDR_FLOWS_OFF = 2 };

/* Per run, derived once at init for drawing: where the run stops doing anything
 * (a watchdog's wait follows), who was still waiting at the end and the cycle. */
typedef struct rdr_run_info {
    double off;                 /* where the run starts on the time axis (0 when runs are aligned at their starts) */
    uint64_t t_tail;            /* relative ns: where the view fits it (its active part plus a margin, or its end) */
    uint64_t t_active;          /* relative ns of the last event before the run's end that is not its
                                   abort (== makespan when nothing idles at the end) */
    trc_waitfor wf;             /* the wait-for graph at the end */
    bool collapsed;             /* only its title row is shown */
} rdr_run_info;

/* Transparent on purpose: tests and the backend read it. Change it only through
 * the functions below. */
struct rdr_view {
    /* public, read-only */
    const trc_recording *rec;
    const trc_model *models; uint32_t nmodels;
    const char *title;
    uint64_t total;             /* the time axis: the longest makespan, ns (>= 1) */
    double t0, t1;              /* visible window, ns on the time axis (a run's relative ns plus its info[].off) */
    double playhead;            /* relative ns, 0..total */
    double speed;               /* playback: trace ns per wall-clock ns */
    double t_tail;              /* where every run has gone quiet until its end (a watchdog's wait);
                                   playback jumps from here to the end; == total when no run idles */
    bool playing;
    bool show_flows;            /* flows != RDR_FLOWS_OFF (kept for callers that only toggle) */
    uint8_t flows;              /* rdr_flow_mode */
    bool ghost;                 /* 'g': show the part after the playhead faintly */
    bool help;                  /* '?': the keys, over everything */
    bool compare;               /* 'c': the compare panel (several runs) */
    bool absolute;              /* 'l': runs on absolute time (when each ran) instead of aligned at their starts */
    bool show_stage;            /* 'o': the stage region beside the timeline */
    int theme;                  /* 't': rdr_theme_id */
    bool quit;
    int scroll_y;               /* vertical scroll of the lane area, px */
    int mouse_x, mouse_y; bool mouse_in;
    double frame_ms;            /* set by the backend: last frame's cost, shown in the footer */
    rdr_sel sel;                /* what was clicked last */
    bool searching;             /* '/': typing a name */
    char query[64];             /* the search text (UTF-8) */
    uint32_t nmatches, match;   /* rows matching it, the current one (index among them) */
    char toast[96];             /* a short message after a mode key ("flows: off") */
    double toast_s;             /* seconds it stays */
    rdr_run_info *info;         /* per model */
    rdr_layout lay;
    /* private */
    bool drag, scrub, zsel, pressed;
    int drag_x, drag_y, drag_scroll, zsel_x0, zsel_x1;
    double drag_t0;
    rdr_lod **lod;              /* one per model, NULL until needed */
    uint64_t *flow_maxdur;      /* per model: the longest flow, for window queries */
    void *scratch; size_t scratch_cap;   /* per-frame column buffers */
    struct rdr_buckets *buckets;         /* per-frame lane rects grouped by colour */
    struct rdr_claim *claims; size_t nclaims, claims_cap;   /* per frame: labels drawn over lanes (row, x range) */
    rdr_label_rect *labels; size_t nlabels, labels_cap;     /* per frame: every text drawn (rdr_view_labels) */
    struct rdr_lbl *lbls; size_t lbls_cap;              /* per frame: slice label candidates */
    int32_t **pool_row;                  /* per model, per object: index in lay.rows of its POOL row, or -1 */
    int32_t **unit_row;                  /* per model, per unit: index in lay.rows of its lane, or -1 */
    struct rdr_expect **expect;          /* per model: expected counter values from the scenario, or NULL */
    char *relations;                     /* the failed relations between runs, one a line (desc->relations), or NULL */
    uint32_t nrelations;                 /* how many failed */
    struct rdr_stage_view *stage;        /* the stage's models, layouts and states, built on first need */
    struct rdr_groups **groups;          /* per model: the process groups of lanes and which are folded */
};

/** The text of the last frame rdr_build made of v, one rectangle per label
 *  drawn, as drawn (cut to the clip it was drawn in). Labels of one layer never
 *  intersect: rdr_text and rdr_text_fit, through which every label of the
 *  timeline and the stage is drawn, shorten (with an ellipsis) or skip a label
 *  that would cover one drawn before it in the frame. Layer 1 is what is drawn
 *  over the frame on its own opaque panel (the hover tooltip, the help). */
const rdr_label_rect *rdr_view_labels(const rdr_view *v, size_t *n);
/** Adds label s at (x, y) (regular font, colour col, at most max_w wide) to
 *  the frame rdr_build last made of v into dl, by the label log's rules, as
 *  a label of `layer` drawn in the clip (cx, cy, cw, ch) (cw 0: none): an
 *  annotation on a frame. Returns the width drawn (0: none). */
int rdr_frame_label(rdr_view *v, rdr_drawlist *dl, const rdr_text_metrics *tm, int layer, int cx, int cy, int cw, int ch,
                    int x, int y, uint32_t col, const char *s, int max_w);

/** Fills v from desc: layout for desc->width x height, the whole run in view,
 *  the playhead at desc->at. Returns -ERR_USAGE if desc has no models. */
int rdr_view_init(rdr_view *v, const rdr_view_desc *desc, diag *d);
void rdr_view_release(rdr_view *v);
/** Builds what the first frames need and v builds on first use (the
 *  timeline's level-of-detail indexes, the stages' models), by making a frame
 *  at the end of the run and one at the playhead with nominal text metrics, so
 *  the window's first frame does not: the viewer's loader thread calls it
 *  after loading. Leaves v's window, playhead and stage layouts (laid out again
 *  with the real fonts) as they were. */
void rdr_view_warm(rdr_view *v);
/** Re-lays out the rows for a new window size. */
void rdr_view_resize(rdr_view *v, int width, int height);

/** Screen x of relative time t (ns), and back. */
double rdr_view_x_of(const rdr_view *v, double t);
double rdr_view_t_at(const rdr_view *v, double x);
/** Screen y-range [*y0, *y1) of a row (kind, run, id as in rdr_row). Returns 0,
 *  or -ERR_USAGE if there is no such row. The range may be off screen. */
int rdr_view_row_span(const rdr_view *v, unsigned kind, uint32_t run, uint32_t id, int *y0, int *y1);
/** The same for lane `lane` of pool `pool` (RDR_ROW_FUTURE rows). */
int rdr_view_lane_span(const rdr_view *v, uint32_t run, uint32_t pool, uint32_t lane, int *y0, int *y1);
/** The row at screen y, or NULL. */
const rdr_row *rdr_view_row_at(const rdr_view *v, int y);

/** Zoom by `factor` (> 1 = in) keeping the time under screen x fixed. */
void rdr_view_zoom(rdr_view *v, double factor, double x);
/** Pan by dt ns (clamped to [0, total]). */
void rdr_view_pan(rdr_view *v, double dt);
/** Shows [t0, t1] (clamped). */
void rdr_view_set_window(rdr_view *v, double t0, double t1);
void rdr_view_set_playhead(rdr_view *v, double t);
/** Moves the playhead to the next (dir > 0) or previous state change of any unit,
 *  or only of the selected unit when a unit is selected. */
void rdr_view_step(rdr_view *v, int dir);
/** Selects row `row_index` of the layout at time t (a click does this); NULL-safe
 *  clear with rdr_view_select(v, -1, 0). */
void rdr_view_select(rdr_view *v, int row_index, double t);
/** Zooms to what is selected: the slice (span, ownership, future) under the
 *  selection's time, with a margin. Returns false if there is nothing to zoom to. */
bool rdr_view_zoom_selection(rdr_view *v);
/** Sets the search text and selects the first matching row (unit or object name
 *  containing it, case-insensitive for ASCII); returns how many rows match. */
uint32_t rdr_view_search(rdr_view *v, const char *query);
/** The next (dir > 0) or previous match of the search. */
void rdr_view_search_next(rdr_view *v, int dir);
/** Collapses or expands run r's rows (several runs). */
void rdr_view_collapse(rdr_view *v, uint32_t run, bool collapsed);
/** Process groups (rows of kind RDR_ROW_PROC): the process unit whose group
 *  unit u's lane is in (u itself for the process), or UINT32_MAX when u's lane
 *  stands alone. */
uint32_t rdr_view_group_of(const rdr_view *v, uint32_t run, uint32_t unit);
/** Folds (only the header row left, drawn as a stacked bar of its units'
 *  states) or unfolds the group of process unit `proc`; no-op for a unit that
 *  heads no group. Clears a selection that the fold hides. */
void rdr_view_fold(rdr_view *v, uint32_t run, uint32_t proc, bool folded);
bool rdr_view_folded(const rdr_view *v, uint32_t run, uint32_t proc);
/** Folds or unfolds every group of every run. Returns how many groups there are. */
uint32_t rdr_view_fold_all(rdr_view *v, bool folded);
/** Several runs: on absolute time (each where it ran) or aligned at their starts. */
void rdr_view_set_absolute(rdr_view *v, bool absolute);
/** A short message in the status bar for a few seconds. */
void rdr_view_toast(rdr_view *v, const char *msg);

/** Applies one input event. Sets v->quit on q, Esc or RDR_EV_QUIT. */
void rdr_view_event(rdr_view *v, const rdr_event *ev);
/** Advances playback by dt_s seconds of wall-clock time. Returns true if the
 *  frame changed (playing), i.e. the caller should redraw. */
bool rdr_view_tick(rdr_view *v, double dt_s);

/* ======================================================================
 * 4. Draw lists
 * ====================================================================== */

enum rdr_cmd_kind { RDR_CMD_RECT = 1, RDR_CMD_LINE = 2, RDR_CMD_TEXT = 3, RDR_CMD_CLIP = 4 };
enum rdr_font { RDR_FONT_REGULAR = 0, RDR_FONT_BOLD = 1 };

typedef struct rdr_cmd {
    uint8_t kind;       /* rdr_cmd_kind */
    uint8_t font;       /* TEXT: rdr_font */
    uint16_t len;       /* TEXT: bytes of UTF-8 at dl->text + text */
    uint32_t color;     /* ARGB8888; alpha < 255 blends */
    int32_t x, y, w, h; /* RECT, CLIP: the rect (CLIP with w == 0: no clip);
                           LINE: from (x, y) to (x + w, y + h); TEXT: top-left */
    uint32_t text;
} rdr_cmd;

/* One frame's drawing. Reused across frames: rdr_drawlist_reset keeps the memory
 * (the frame arena). */
struct rdr_drawlist {
    rdr_cmd *cmds; size_t n, cap;
    char *text; size_t ntext, cap_text;
    /* figures of the last build, for tests and the footer */
    size_t lane_rects;          /* rects emitted for unit lanes */
    size_t spans_visited;       /* spans looked at one by one */
    size_t dense_columns;       /* pixel columns resolved through the LOD index */
};

void rdr_drawlist_reset(rdr_drawlist *dl);
void rdr_drawlist_free(rdr_drawlist *dl);
void rdr_dl_rect(rdr_drawlist *dl, int x, int y, int w, int h, uint32_t color);
void rdr_dl_line(rdr_drawlist *dl, int x0, int y0, int x1, int y1, uint32_t color);
void rdr_dl_text(rdr_drawlist *dl, int x, int y, int font, uint32_t color, const char *s, size_t len);
void rdr_dl_clip(rdr_drawlist *dl, int x, int y, int w, int h);

/* The loading screen the window shows while a recording loads (dl is reset
 * first; tm may be NULL): "loading WHAT ... SECS s" and a bar that moves. */
void rdr_loading_dl(rdr_drawlist *dl, const rdr_text_metrics *tm, int w, int h, const char *what, double secs);

/* Text measuring, provided by the backend. NULL measure = RDR_CHAR_W per code point. */
struct rdr_text_metrics {
    int (*measure)(void *ud, int font, const char *s, size_t len);   /* width in px */
    void *ud;
    int line_h;                 /* 0 = RDR_LINE_H */
};

/** Builds the frame of v into dl (reset first). Also resolves hover. */
void rdr_build(rdr_view *v, rdr_drawlist *dl, const rdr_text_metrics *tm);

/* ======================================================================
 * 6. The stage: the objects as pictures at the playhead's time
 *    (render/rdr_stage*.c)
 * ====================================================================== */

/* The stage model of one run: indexes built once from its trc_model so that
 * the state of every object and unit at any time t costs O(log n) per object
 * and unit plus what is listed (never work proportional to the whole trace).
 *  1. rdr_stage_model_new  2. per frame: rdr_stage_state_at  3. rdr_stage_model_free
 * The model keeps pointers into m (and m->run): they must outlive it. */
typedef struct rdr_stage_model rdr_stage_model;
rdr_stage_model *rdr_stage_model_new(const trc_model *m);
void rdr_stage_model_free(rdr_stage_model *sm);
const trc_model *rdr_stage_model_of(const rdr_stage_model *sm);
/** Units that waited on obj at the same time, at most, over the whole run. */
uint32_t rdr_stage_max_waiters(const rdr_stage_model *sm, uint32_t obj);
/** The event loop a task runs on (a unit), RDR_STAGE_NONE for a unit that is no task on a loop. */
uint32_t rdr_stage_loop_of(const rdr_stage_model *sm, uint32_t unit);
/** The pool a unit works for (object id), 0 if it is no pool worker. */
uint32_t rdr_stage_pool_of(const rdr_stage_model *sm, uint32_t unit);

/* Lists are cut at this many entries per object (waiters, holders, items,
 * futures); the counts are always whole. */
#define RDR_STAGE_LIST 48u
#define RDR_STAGE_NONE UINT32_MAX

/* Where a unit's figure stands. */
enum rdr_stage_place { RDR_PLACE_HOME = 0,   /* its home spot: running, computing, sleeping, idle
                                                 in its pool, or blocked on no object (a join) */
                       RDR_PLACE_WAIT = 1,   /* in the waiting line of an object (`obj`, `op`) */
                       RDR_PLACE_NONE = 2,   /* not started yet */
                       RDR_PLACE_READY = 3,  /* a task in its event loop's ready queue (rank: its place in
                                                it, 0 = the next to run) */
                       RDR_PLACE_RUN = 4 };  /* the task its event loop runs now */

typedef struct rdr_stage_unit {
    uint8_t state;          /* trc_state at t (DONE after its exit; RUNNING before its start) */
    uint8_t place;          /* rdr_stage_place */
    uint8_t op;             /* BLOCKED/IDLE: trc_op of the wait */
    uint8_t from_place;     /* where it walks from (place, obj, op): its place before this span */
    uint8_t from_op;
    bool started, exited, killed;
    bool in_cycle;          /* part of the wait-for cycle at t */
    bool notified;          /* waiting on a condition, notified, not yet woken up */
    uint32_t obj;           /* BLOCKED/IDLE: the object waited on (0 = none) */
    uint32_t from_obj;
    float walk;             /* 0..1: how far it has walked from `from` to its place (1 = there) */
    uint32_t rank;          /* PLACE_WAIT: its place in the object's line, in arrival order (0 = first);
                               queues count the put side and the get side apart */
    uint32_t holder;        /* blocked: the unit it waits for at t (a lock's owner, a joined unit,
                               the worker of an awaited future), RDR_STAGE_NONE = none known */
    uint64_t since;         /* relative ns its current state began */
    uint64_t target;        /* BLOCKED: JOIN the unit, RESULT the future id */
    /* event loops: the tasks in its ready queue at t, the task it runs (NONE: none) */
    uint32_t ready, running;
    /* pool workers: the future it runs at t (0 = none) and its task's name */
    uint64_t future;
    const char *task;
} rdr_stage_unit;

/* A unit at an object: a waiter (op, since) or a holder. */
typedef struct rdr_stage_who { uint32_t unit; uint8_t op; uint64_t since; } rdr_stage_who;

/* A queue's item at t. Slot 0 is the exit end (the next to leave: the oldest
 * of a fifo, the newest of a lifo, the next by priority). The slots hold
 * exactly the items in the queue at t (the depth): an item flies in from its
 * producer just before its put, landing as it is put, and flies out to its
 * consumer just after its get. */
enum rdr_tok_phase { RDR_TOK_IN = 0,        /* in its slot */
                     RDR_TOK_ARRIVING = 1,  /* flying from the producer to `slot`, where its put puts it */
                     RDR_TOK_LEAVING = 2,   /* got: flying from the exit to the consumer */
                     /* pipes: a message in the tube; `fly` how far it has travelled from the
                        sending end, over the animation time after its send (without animation:
                        over its whole time in the pipe, send to recv), `slot` its place in the
                        pipe from the receiving end (0: the next to be read); producer: the
                        sender, consumer: the receiver, NONE if never received. Drawn at the
                        lesser of the two: it travels until it reaches the back of those before
                        it, and waits there */
                     RDR_TOK_PIPE = 3,
                     /* a manager's request (client -> the manager's process) and its reply
                        (back), `fly` of the way (the state's reqs) */
                     RDR_TOK_REQUEST = 4, RDR_TOK_REPLY = 5 };
typedef struct rdr_stage_tok {
    uint64_t item;
    uint32_t producer;      /* the unit that put it */
    uint32_t consumer;      /* the unit that got it; RDR_STAGE_NONE: never got in the recording */
    uint32_t slot;          /* IN: its slot; ARRIVING: the slot it lands in; LEAVING: 0 */
    uint8_t phase;          /* rdr_tok_phase */
    float fly;              /* ARRIVING, LEAVING: 0..1 along the flight */
} rdr_stage_tok;

typedef struct rdr_stage_obj {
    uint32_t kind;          /* trc_obj_kind */
    uint32_t holder;        /* lock, rlock, rwlock: the (writing) owner; event: who set it; NONE = free */
    uint64_t held_since;
    int64_t level;          /* queue depth; rlock depth; semaphore permits in use; rwlock readers;
                               barrier units arrived; counter value; pool futures queued */
    bool set;               /* events: the flag is up */
    bool full;              /* queues: depth == capacity (> 0) */
    uint32_t nwait;         /* units waiting on it at t */
    uint32_t nwait_put;     /* queues: of them, waiting to put (the rest wait to get or join) */
    size_t wait0, nwaitl;   /* waiters listed: who[wait0 .. + nwaitl), in arrival order */
    uint32_t nhold;         /* semaphores: permits held by units; rwlocks: readers inside */
    size_t hold0, nholdl;   /* those listed: who[hold0 .. + nholdl), oldest first */
    size_t tok0, ntok;      /* queues: toks[tok0 .. + ntok) */
    /* the last notify / set / clear / barrier opening at or before t */
    float pulse;            /* 1 = it happened now, fading to 0 over the animation time */
    uint16_t pulse_kind;    /* trc_ev_kind, 0 = none yet */
    uint32_t pulse_unit, pulse_woken;
    /* pools */
    uint32_t running, queued, done, failed, cancelled;
    size_t fut0, nfutl;     /* queued futures listed (oldest first): futs[fut0 .. + nfutl), indexes
                               into m->futures */
    /* counters */
    int64_t lost;           /* updates lost by racy writes up to t */
    uint32_t writes;        /* writes up to t */
    /* pipes: messages in it at t (level: their bytes); toks[tok0 .. + ntok) lists them, oldest first */
    uint32_t msgs;
    /* the GIL: its token goes from the last holder (passed_from) to the holder,
     * pass from 0 to 1 over the animation time after the hand-over (1: arrived) */
    uint32_t passed_from;
    float pass;
} rdr_stage_obj;

/* The state at one time: filled by rdr_stage_state_at, reused across frames
 * (zero it before the first call; rdr_stage_state_release frees it). */
typedef struct rdr_stage_state {
    uint64_t t, anim;
    rdr_stage_unit *units; uint32_t nunits;
    rdr_stage_obj *objs; uint32_t nobjs;           /* index = object id - 1 */
    rdr_stage_who *who; size_t nwho, cap_who;
    rdr_stage_tok *toks; size_t ntoks, cap_toks;
    uint32_t *futs; size_t nfuts, cap_futs;
    uint32_t *cycle; size_t ncycle;                /* a wait-for cycle at t: cycle[i] waits for cycle[i + 1] */
    size_t req0, nreq;                             /* managers' requests and replies in flight: toks[req0 .. + nreq) */
    uint32_t counts[TRC_ST__COUNT + 1];            /* live units per state; [TRC_ST__COUNT]: not started */
    /* private */
    uint32_t *scratch; size_t cap_scratch;
} rdr_stage_state;

/* A flight into or out of a queue takes this share of the animation time. */
#define RDR_STAGE_FLIGHT 0.35
/** The state of every unit and object at relative time t. anim_ns is how long
 *  (in trace time) a move or a flight takes on screen: walks, items flying,
 *  pulses fade over it (0 = no animation: everything is where it is at t). */
void rdr_stage_state_at(const rdr_stage_model *sm, rdr_stage_state *st, uint64_t t, uint64_t anim_ns);
void rdr_stage_state_release(rdr_stage_state *st);

/* The stage's layout of one run in a w x h rectangle (render/rdr_stage_layout.c).
 * Computed once per run and size, from all the run's units and objects and
 * never from a time, so nothing moves while the playhead does; the waiting
 * lines have their places from the start. Coordinates are relative to the
 * rectangle's top-left. */
typedef struct rdr_stage_cell {
    uint32_t obj;               /* object id */
    bool shown;                 /* false: no room for it (counted in `hidden`) */
    int x, y, w, h;             /* the cell: a name line, then the picture and its waiting line */
    int px, py, pw, ph;         /* the picture */
    int nslots, slot_w;         /* queues: slots drawn (0 = a fill bar); semaphores: permits drawn;
                                   pools: workers drawn; barriers: places at the gate */
    int qx, qy, qn;             /* pools: the queued futures' row (qn tokens of slot_w from (qx, qy)) */
    /* waiting lines: place k < nl stands at (lx + k * ldx, ly) (a figure's bottom centre) */
    int lx, ly, ldx, nl;
    int lx2, ly2, ldx2, nl2;    /* queues: the get side (lx.. is the put side) */
} rdr_stage_cell;

typedef struct rdr_stage_group {  /* the units of one actor on the bench (or of one process and its threads) */
    const char *name;
    uint32_t n;                 /* its units */
    int x, y, w, h;             /* its block; summary: its row */
    bool header;                /* its name is drawn above its figures ("consumer ×3") */
    int32_t proc;               /* the units of process unit `proc` (with its threads): its box is the
                                   block and its name line says the process; -1 = an actor's units */
    int spot;                   /* the width of a unit's place in the block */
} rdr_stage_group;

/* Processes (runs with real processes): a box per process around its units'
 * figures (a process hosting threads: around its block on the bench; a pool's
 * worker process: around its place in the pool), and per pipe a tube from the
 * box of the process that sends into it most to the box of the one that
 * receives most, through a band under the bench. */
typedef struct rdr_stage_proc {
    uint32_t unit;              /* the process's own unit */
    int32_t pid;
    uint32_t nunits;            /* units in it (its threads included) */
    bool manager;               /* it serves a manager's requests */
    bool group;                 /* it has a block of its own on the bench, with a name line */
    int x, y, w, h;             /* the box */
} rdr_stage_proc;

typedef struct rdr_stage_tube {
    uint32_t obj;               /* the pipe */
    uint32_t from, to;          /* process boxes (indexes into procs) at the sending and receiving ends */
    int npts;                   /* its centre line: (px[i], py[i]), from the sending end to the receiving one */
    int px[4], py[4];
    int len;                    /* its length in px */
} rdr_stage_tube;

/* An event loop (coroutines): its block on the bench holds it and its tasks
 * at home, over a strip with the spot of the task it runs and its ready
 * queue, the tasks lined up in the order they became ready. */
typedef struct rdr_stage_loop {
    uint32_t unit;              /* the loop's unit */
    int x, y, w, h;             /* the strip */
    int run_x, run_y;           /* the running task's figure: bottom centre */
    int lx, ly, ldx, nl;        /* ready place k < nl stands at (lx + k * ldx, ly) */
} rdr_stage_loop;

/** The point a fraction s (0..1) along a tube's centre line. */
void rdr_stage_tube_point(const rdr_stage_tube *tb, double s, int *x, int *y);

typedef struct rdr_stage_layout {
    int w, h;                   /* what it was laid out for */
    int fig, fig_w;             /* a figure's height and width */
    int line_h;
    int title_h;                /* the run's title line */
    bool summary;               /* too many units for figures: a row per actor, counts by state */
    int bench_y, bench_h;
    int *home_x, *home_y;       /* per unit: its figure's bottom centre at home; -1 = none (summary) */
    bool *home_label;           /* per unit: its label fits under its home */
    const char **label;         /* per unit: "3" for consumer.3 under a header, else its name */
    uint32_t *group_of;         /* per unit: its group */
    rdr_stage_group *groups; uint32_t ngroups;
    rdr_stage_cell *cells;      /* per object, index = id - 1 */
    uint32_t *order; uint32_t nshown;   /* the shown cells' objects, in layout order */
    uint32_t hidden;            /* objects with no room */
    int objects_y;              /* where the object grid starts */
    /* processes: empty when the run has none (threads) or in summary */
    rdr_stage_proc *procs; uint32_t nprocs;
    int32_t *proc_of;           /* per unit: index into procs of its box, -1 = none */
    rdr_stage_tube *tubes; uint32_t ntubes;
    int tube_w;                 /* a tube's thickness */
    int32_t *tube_of;           /* per object: index into tubes, -1 = none */
    /* event loops (empty in summary) */
    rdr_stage_loop *loops; uint32_t nloops;
    int32_t *loop_of;           /* per unit: index into loops of its loop (a loop's and its tasks'), -1 = none */
} rdr_stage_layout;

/** Lays out run sm in w x h. wf (may be NULL): the run's wait-for graph at its
 *  end, whose cycle's objects are placed side by side. tm: text measuring
 *  (NULL = RDR_CHAR_W per code point). */
void rdr_stage_layout_build(rdr_stage_layout *L, const rdr_stage_model *sm, const trc_waitfor *wf, int w, int h,
                            const rdr_text_metrics *tm);
void rdr_stage_layout_release(rdr_stage_layout *L);
/** Where run r's stage is drawn in v's frame: the layout's origin (x, y) and the
 *  size it is laid out for (w, h). Returns false when the stage is not shown. */
bool rdr_stage_rect(const rdr_view *v, uint32_t r, int *x, int *y, int *w, int *h);
/** How long a move takes on v's stage, in trace ns, at its playback speed (the
 *  anim_ns its frames pass to rdr_stage_state_at). */
uint64_t rdr_stage_anim_ns(const rdr_view *v);

/* ======================================================================
 * 5. PNG (render/rdr_png.c): our own encoder, zlib stored or fixed-Huffman blocks
 * ====================================================================== */

enum rdr_png_level { RDR_PNG_STORED = 0, RDR_PNG_FAST = 1 /* LZ77 + fixed Huffman */ };

/** Encodes ARGB8888 pixels (alpha ignored) as an RGB PNG appended to out. */
void rdr_png_encode(buf *out, const uint32_t *argb, int width, int height, int level);
int rdr_png_write(const char *path, const uint32_t *argb, int width, int height, int level, diag *d);
uint32_t rdr_adler32(uint32_t adler, const void *p, size_t n);   /* start with 1 */

/* ---- small helpers shared by the layer (and handy in tests) ---- */

/** Formats relative ns t for a ruler whose ticks are `step` ns apart and whose
 *  largest visible time is tmax: the unit follows tmax, the decimals the step
 *  ("21.9885 ms" deep in a 44 ms run, "5 ms" when it is all in view). */
void rdr_fmt_time(char *out, size_t cap, double t, double step, double tmax);
/** The 1-2-5 tick step giving ticks at least min_px apart at ns_per_px. */
double rdr_tick_step(double ns_per_px, double min_px);

#endif
