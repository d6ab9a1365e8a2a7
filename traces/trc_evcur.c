/* A run's events where they are: in the file, read in time order.
 *
 * The reader notes, for each EVENTS chunk, its segments: consecutive events of
 * one stream. A stream is one unit's events whose times never go back; linked,
 * its segments make a chain through the file. The recorder drains every
 * unit's buffer in order, so a unit's events are one stream, except what it
 * writes after the run about a unit (the kernel's context switches, in time
 * order): each unit's second stream. Reading a run in time order is a merge
 * of its streams (a heap keyed by (time, file offset), so events at one time
 * keep their file order: the same order as a stable sort of the file by time).
 * The merge takes from one stream as long as it stays first, and hands back
 * to the kernel the pages that every stream has passed, so reading a
 * recording of any size costs a few pages and the segment list (16 bytes per
 * segment, a segment being a drained batch: hundreds or thousands of events).
 *
 * A file whose units go back in time more than EVSRC_MAX_STREAMS times (not
 * one the recorder made) is read through an index sorted by (time, offset)
 * instead: 16 bytes per event. A run built in memory is read from run->events.
 *
 * Read-ahead: on a run of more than a few chunks, a thread of the cursor's own
 * (base_thread.c) does the reading, the merge and the decoding into batches
 * while the consumer works on the batch it has: EVCUR_SLOTS batch buffers,
 * allocated once and reused in turn, handed over through a handoff (each side
 * waits on a condition variable, never spins). The thread alone touches the
 * merge's state (streams, heap, windows, index, what was handed back to the
 * kernel); the consumer alone the batch it holds, its index and offsets. The
 * batches are the ones the cursor makes without the thread, in the same order
 * and size, so indices and offsets are the same whichever way it reads.
 * Closing in the middle cancels the hand-over (the thread stops at its next
 * batch, or at once if it waits for a free buffer) and joins the thread. When
 * no thread can be made, or WEFT_READ_AHEAD=0 (trc_evcur_ahead_default), the
 * consumer does it all itself.
 */
#include "traces/trc_format.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cursor ------------------------------------------------------------ */

#define EVCUR_BATCH 4096u
#define EVCUR_ARRAY_BATCH 65536u
#define EVCUR_SLOTS 4u                   /* read-ahead: batch buffers in turn */
#define EVCUR_AHEAD_MIN (2u * 65536u)    /* read-ahead: from two full chunks of events */
#define EVCUR_RELEASE (8u << 20)

enum { CUR_ARRAY, CUR_MERGE, CUR_INDEX };

/* A stream's place in its chain: off is its next event in the file, ev the
 * same bytes in memory: in its window (when the file is read with pread, the
 * window holds the file's bytes [woff, woff + wn)) or in the mapping. */
typedef struct strm {
    uint64_t t, off;
    uint32_t seg, left;
    const uint8_t *ev;
    uint8_t *win;
    uint64_t woff;
    size_t wn;
    bool shared;             /* ev is in the shared window, [woff, woff + wn) is its range */
} strm;
#define EVCUR_WINDOWS_MAX 1024u            /* more streams: read through the mapping */
#define EVCUR_WINDOW_MIN 4096u
#define EVCUR_WINDOW_MAX (64u << 10)
#define EVCUR_WINDOWS_TOTAL (4u << 20)     /* all the streams' windows together */
/* The streams of a recorder's file advance through it together (its units'
 * drained batches interleave in time order), so one window shared by the
 * streams whose next events are near each other reads their bytes once, in
 * big reads; a stream's own window, read at its offset, also holds the other
 * streams' batches. A stream too far from the others for the shared window
 * uses its own. 1 MiB: the window stays in the cache (with 8 MiB the 10 M-event
 * lock recording was read 1.0 GB instead of 1.4 GB, but took more CPU time). */
#define EVCUR_SHARED (1u << 20)
typedef struct ixent { uint64_t t, off; } ixent;

struct trc_evcur {
    const trc_run *run;
    const trc_evsrc *src;
    int mode;
    /* the consumer's */
    uint64_t pos;            /* events given out before the last batch */
    size_t nbatch;
    const trc_event *batch;
    const uint64_t *boff;    /* the last batch's file offsets */
    /* read-ahead (q NULL: none): slot k's batch is buf + k * cap, its
     * offsets off + k * cap, its size sn[k] */
    handoff *q;
    bg_thread *th;
    size_t sn[EVCUR_SLOTS];
    /* the producer's: the consumer's own thread, or the read-ahead thread */
    uint64_t fed;            /* events put in batches so far */
    /* merge */
    strm *st;
    uint8_t *sh;             /* the shared window: the file's [sh_off, sh_off + sh_n) (NULL: none) */
    uint64_t sh_off;
    size_t sh_n;
    uint8_t *windows;        /* the streams' windows, wsize bytes each (NULL: the mapping) */
    size_t wsize;
    uint32_t *heap, nheap;
    uint64_t released, since, populated;
    /* index */
    ixent *ix;
    size_t cap;              /* of buf and off: a batch, or fewer for a small run */
    trc_event *buf;
    uint64_t *off;
};

static inline bool strm_lt(const strm *a, const strm *b) { return a->t < b->t || (a->t == b->t && a->off < b->off); }

static void heap_down(trc_evcur *c, uint32_t i) {
    uint32_t *h = c->heap, n = c->nheap, v = h[i];
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        if (l + 1 < n && strm_lt(&c->st[h[l + 1]], &c->st[h[l]])) l++;
        if (!strm_lt(&c->st[h[l]], &c->st[v])) break;
        h[i] = h[l];
        i = l;
    }
    h[i] = v;
}

static bool in_shared(const trc_evcur *c, uint64_t off) {
    return c->sh_n && off >= c->sh_off && off + F_EV_SIZE <= c->sh_off + c->sh_n;
}

static void strm_to_shared(const trc_evcur *c, strm *x) {
    x->shared = true;
    x->woff = c->sh_off;
    x->wn = c->sh_n;
    x->ev = c->sh + (x->off - c->sh_off);
}

/* Reads the shared window again from the lowest next event of the streams
 * using it and x, if x's next event then falls in it; the streams whose next
 * events it no longer holds read their own windows. */
static void strm_own(const trc_evcur *c, strm *x);
static bool shared_slide(trc_evcur *c, strm *x) {
    const trc_backing *b = c->src->back;
    uint64_t lo = x->off;
    for (uint32_t i = 0; i < c->nheap; i++) {
        const strm *y = &c->st[c->heap[i]];
        if (y != x && y->shared && y->off < lo) lo = y->off;
    }
    lo &= ~(uint64_t)4095;
    if (x->off + F_EV_SIZE - lo > EVCUR_SHARED) return false;
    size_t n = b->n - lo < EVCUR_SHARED ? (size_t)(b->n - lo) : EVCUR_SHARED;
    /* what the window holds from lo on moves to its front (a copy in the
     * cache); only the rest is read from the file */
    size_t kept = 0;
    if (c->sh_n && lo >= c->sh_off && lo < c->sh_off + c->sh_n) {
        kept = (size_t)(c->sh_off + c->sh_n - lo);
        if (kept > n) kept = n;
        memmove(c->sh, c->sh + (lo - c->sh_off), kept);
    }
    if (n > kept) trc_backing_read(b, c->sh + kept, n - kept, lo + kept);
    c->sh_off = lo;
    c->sh_n = n;
    for (uint32_t i = 0; i < c->nheap; i++) {
        strm *y = &c->st[c->heap[i]];
        if (y == x || !y->shared) continue;
        if (in_shared(c, y->off)) strm_to_shared(c, y);
        else strm_own(c, y);
    }
    return true;
}

/* Reads x's own window at x->off. */
static void strm_own(const trc_evcur *c, strm *x) {
    const trc_backing *b = c->src->back;
    size_t n = b->n - x->off < c->wsize ? (size_t)(b->n - x->off) : c->wsize;   /* >= one event: checked */
    trc_backing_read(b, x->win, n, x->off);
    x->shared = false;
    x->woff = x->off;
    x->wn = n;
    x->ev = x->win;
}

/* Points x->ev at the event at x->off, reading a window again when the
 * event is not all in x's: the shared window when it can, else x's own. */
static void strm_at(trc_evcur *c, strm *x) {
    const trc_backing *b = c->src->back;
    if (!x->win) {
        x->ev = b->p + x->off;
        return;
    }
    if (x->off < x->woff || x->off + F_EV_SIZE > x->woff + x->wn) {
        if (c->sh && (in_shared(c, x->off) || shared_slide(c, x))) {
            strm_to_shared(c, x);
            return;
        }
        strm_own(c, x);
        return;
    }
    x->ev = (x->shared ? c->sh : x->win) + (x->off - x->woff);
}

static void merge_open(trc_evcur *c) {
    const trc_evsrc *s = c->src;
    c->st = xcalloc(s->nstreams ? s->nstreams : 1, sizeof *c->st);
    c->heap = xcalloc(s->nstreams ? s->nstreams : 1, sizeof *c->heap);
    if (s->back->fd >= 0 && s->nstreams && s->nstreams <= EVCUR_WINDOWS_MAX) {
        size_t w = EVCUR_WINDOWS_TOTAL / s->nstreams;
        w = w < EVCUR_WINDOW_MIN ? EVCUR_WINDOW_MIN : w > EVCUR_WINDOW_MAX ? EVCUR_WINDOW_MAX : w & ~(size_t)4095;
        c->windows = malloc(w * s->nstreams);   /* no memory: the mapping serves */
        c->wsize = c->windows ? w : 0;
        if (c->windows && s->nstreams > 1) c->sh = malloc(EVCUR_SHARED);   /* none: each its own */
    }
    for (uint32_t k = 0; k < s->nstreams; k++) {
        uint32_t g = s->first[k];
        if (g == SEG_NONE) continue;
        strm *x = &c->st[k];
        x->seg = g;
        x->off = s->segs[g].off;
        x->left = s->segs[g].n;
        if (c->windows) x->win = c->windows + (size_t)k * c->wsize;
        strm_at(c, x);
        x->t = ld_u64le(x->ev);
        c->heap[c->nheap++] = k;
    }
    for (uint32_t i = c->nheap / 2; i-- > 0;) heap_down(c, i);
}

/* Moves x to its stream's next event; false at the end of its chain. */
static inline bool strm_step(trc_evcur *c, strm *x) {
    if (--x->left) {
        x->off += F_EV_SIZE;
        if (!x->win || x->off + F_EV_SIZE <= x->woff + x->wn) x->ev += F_EV_SIZE;
        else strm_at(c, x);
    } else {
        const trc_evsrc *s = c->src;
        uint32_t k = s->segs[x->seg].next;
        if (k == SEG_NONE) return false;
        x->seg = k;
        x->off = s->segs[k].off;
        x->left = s->segs[k].n;
        strm_at(c, x);
    }
    x->t = ld_u64le(x->ev);
    return true;
}

static size_t merge_fill(trc_evcur *c, trc_event *out, uint64_t *off) {
    const trc_evsrc *s = c->src;
    size_t n = 0;
    while (n < c->cap && c->nheap) {
        uint32_t u = c->heap[0];
        strm *x = &c->st[u];
        /* the best of the others: the smaller of the root's children */
        const strm *y = NULL;
        if (c->nheap > 1) {
            y = &c->st[c->heap[1]];
            if (c->nheap > 2 && strm_lt(&c->st[c->heap[2]], y)) y = &c->st[c->heap[2]];
        }
        bool live = true;
        do {
            f_load_event(&out[n], x->ev);
            off[n++] = x->off;
            live = strm_step(c, x);
        } while (live && n < c->cap && (!y || strm_lt(x, y)));
        if (!live) c->heap[0] = c->heap[--c->nheap];
        if (c->nheap) heap_down(c, 0);
    }
    /* hand back the pages every unit has passed, map the ones ahead */
    c->since += n;
    if (c->since >= EVCUR_RELEASE / F_EV_SIZE / 4 && s->back->mapped && !c->windows) {
        c->since = 0;
        uint64_t lo = s->back->n;
        for (uint32_t i = 0; i < c->nheap; i++)
            if (c->st[c->heap[i]].off < lo) lo = c->st[c->heap[i]].off;
        if (lo > c->released + EVCUR_RELEASE) {
            trc_backing_release(s->back, c->released, lo);
            c->released = lo & ~(uint64_t)4095;
        }
        /* ahead of the stream furthest behind: the others are further on,
         * maybe much further (a unit's second stream is near the file's end) */
        if (c->nheap && lo + EVCUR_RELEASE / 2 > c->populated) {
            uint64_t from = c->populated > lo ? c->populated : lo;
            c->populated = lo + EVCUR_RELEASE;
            trc_backing_populate(s->back, from, c->populated);
        }
    }
    return n;
}

/* Stable sort of the index by (t, off): a bottom-up merge sort. */
static bool ix_sort(ixent *v, size_t n) {
    ixent *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return false;
    ixent *a = v, *b = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) b[o++] = (a[j].t < a[i].t) ? a[j++] : a[i++];
            while (i < mid) b[o++] = a[i++];
            while (j < hi) b[o++] = a[j++];
        }
        ixent *t = a; a = b; b = t;
    }
    if (a != v) memcpy(v, a, n * sizeof *v);
    free(tmp);
    return true;
}

static bool index_open(trc_evcur *c) {
    const trc_evsrc *s = c->src;
    c->ix = malloc((s->nevents ? s->nevents : 1) * sizeof *c->ix);
    if (!c->ix) return false;
    size_t k = 0;
    for (size_t g = 0; g < s->nsegs; g++)   /* segments are in file order */
        for (uint32_t i = 0; i < s->segs[g].n; i++) {
            uint64_t off = s->segs[g].off + (uint64_t)i * F_EV_SIZE;
            c->ix[k++] = (ixent){ ld_u64le(s->back->p + off), off };
        }
    return ix_sort(c->ix, k);
}

static size_t index_fill(trc_evcur *c, trc_event *out, uint64_t *off) {
    uint64_t at = c->fed;
    size_t n = 0;
    while (n < c->cap && at + n < c->src->nevents) {
        uint64_t o = c->ix[at + n].off;
        f_load_event(&out[n], c->src->back->p + o);
        off[n++] = o;
    }
    return n;
}

/* The next batch of a file's run into buf and off: the producer's side. */
static size_t fill(trc_evcur *c, trc_event *out, uint64_t *off) {
    size_t n = c->mode == CUR_MERGE ? merge_fill(c, out, off) : index_fill(c, out, off);
    c->fed += n;
    return n;
}

/* ---- read-ahead ---------------------------------------------------------- */

/* -1: not decided yet (WEFT_READ_AHEAD); atomic: cursors are opened on any thread */
static _Atomic int ahead_default = -1;

void trc_evcur_ahead_default(bool on) { atomic_store(&ahead_default, on); }

static bool ahead_on(void) {
    int v = atomic_load(&ahead_default);
    if (v < 0) {
        const char *e = getenv("WEFT_READ_AHEAD");
        v = !(e && !strcmp(e, "0"));
        atomic_store(&ahead_default, v);
    }
    return v;
}

bool f_ahead_on(void) { return ahead_on(); }

static void ahead_main(void *p) {
    trc_evcur *c = p;
    for (;;) {
        int k = handoff_put_begin(c->q);
        if (k < 0) break;   /* the consumer closed the cursor */
        size_t n = fill(c, c->buf + (size_t)k * c->cap, c->off + (size_t)k * c->cap);
        if (!n) break;
        c->sn[k] = n;
        handoff_put_end(c->q);
    }
    handoff_close(c->q);
}

/* Starts the read-ahead; false (and none) when it cannot. */
static bool ahead_start(trc_evcur *c) {
    trc_event *evs = realloc(c->buf, EVCUR_SLOTS * c->cap * sizeof *evs);
    if (!evs) return false;
    c->buf = evs;
    uint64_t *off = realloc(c->off, EVCUR_SLOTS * c->cap * sizeof *off);
    if (!off) return false;
    c->off = off;
    c->q = handoff_new(EVCUR_SLOTS);
    if (!c->q) return false;
    if (bg_thread_start(&c->th, ahead_main, c)) {
        handoff_free(c->q);
        c->q = NULL;
        return false;
    }
    return true;
}

int trc_evcur_open(trc_evcur **out, const trc_run *run, diag *d) {
    return trc_evcur_open_ahead(out, run, TRC_AHEAD_AUTO, d);
}

int trc_evcur_open_ahead(trc_evcur **out, const trc_run *run, int ahead, diag *d) {
    *out = NULL;
    trc_evcur *c = calloc(1, sizeof *c);
    if (!c) return diag_set(d, ERR_NOMEM, "out of memory reading the events");
    c->run = run;
    c->src = run->src;
    if (c->src) {
        c->cap = c->src->nevents < EVCUR_BATCH ? (size_t)c->src->nevents : EVCUR_BATCH;
        if (!c->cap) c->cap = 1;
        c->buf = malloc(c->cap * sizeof *c->buf);
        c->off = malloc(c->cap * sizeof *c->off);
        if (!c->buf || !c->off) {
            trc_evcur_close(c);
            return diag_set(d, ERR_NOMEM, "out of memory reading the events");
        }
    }
    if (!c->src) {
        c->mode = CUR_ARRAY;
    } else if (!c->src->unordered) {
        c->mode = CUR_MERGE;
        merge_open(c);
    } else {
        c->mode = CUR_INDEX;
        if (!index_open(c)) {
            trc_evcur_close(c);
            return diag_set(d, ERR_NOMEM, "out of memory sorting %llu events", (unsigned long long)run->nevents);
        }
    }
    if (c->src && (ahead == TRC_AHEAD_ON || (ahead == TRC_AHEAD_AUTO && ahead_on() &&
                                               c->src->nevents >= EVCUR_AHEAD_MIN)))
        ahead_start(c);   /* or not: the cursor reads itself */
    *out = c;
    return 0;
}

size_t trc_evcur_next(trc_evcur *c, const trc_event **ev) {
    c->pos += c->nbatch;
    size_t n = 0;
    switch (c->mode) {
    case CUR_ARRAY:
        n = c->run->nevents - c->pos < EVCUR_ARRAY_BATCH ? (size_t)(c->run->nevents - c->pos) : EVCUR_ARRAY_BATCH;
        c->batch = c->run->events + c->pos;
        break;
    default:
        if (c->q) {
            int k = handoff_get(c->q);
            if (k >= 0) {
                n = c->sn[k];
                c->batch = c->buf + (size_t)k * c->cap;
                c->boff = c->off + (size_t)k * c->cap;
            }
        } else {
            n = fill(c, c->buf, c->off);
            c->batch = c->buf;
            c->boff = c->off;
        }
        break;
    }
    c->nbatch = n;
    *ev = c->batch;
    return n;
}

uint64_t trc_evcur_index(const trc_evcur *c) { return c->pos; }

bool trc_evcur_reads_ahead(const trc_evcur *c) { return c->q != NULL; }

bool trc_evcur_offset(const trc_evcur *c, size_t k, uint64_t *off) {
    if (c->mode == CUR_ARRAY || k >= c->nbatch) return false;
    *off = c->boff[k];
    return true;
}

void trc_evcur_close(trc_evcur *c) {
    if (!c) return;
    if (c->q) {
        handoff_cancel(c->q);
        bg_thread_join(c->th);
        handoff_free(c->q);
    }
    if (c->src) trc_backing_release(c->src->back, 0, c->src->back->n);
    free(c->st);
    free(c->windows);
    free(c->sh);
    free(c->heap);
    free(c->ix);
    free(c->buf);
    free(c->off);
    free(c);
}

/* ---- all of a run's events in memory ------------------------------------- */

int trc_run_load_events(trc_run *run, diag *d) {
    if (run->events || !run->src) return 0;
    trc_event *ev = malloc((run->src->nevents ? run->src->nevents : 1) * sizeof *ev);
    if (!ev) return diag_set(d, ERR_NOMEM, "out of memory for %llu events", (unsigned long long)run->src->nevents);
    trc_evcur *c;
    int rc = trc_evcur_open(&c, run, d);
    if (rc) { free(ev); return rc; }
    size_t n = 0, k;
    const trc_event *b;
    while ((k = trc_evcur_next(c, &b)) > 0) {
        memcpy(ev + n, b, k * sizeof *b);
        n += k;
    }
    trc_evcur_close(c);
    run->events = ev;
    run->nevents = n;
    run->src->own_events = true;
    return 0;
}
