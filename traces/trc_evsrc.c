/* A run's events where they are: in the file, read in time order.
 *
 * The reader notes, for each EVENTS chunk, its segments: consecutive events of
 * one unit. Linked per unit, they make each unit's chain of events through the
 * file. The recorder drains every unit's buffer in order, so each chain is in
 * time order, and reading a run in time order is a merge of its units' chains
 * (a heap of units keyed by (time, file offset), so events at one time keep
 * their file order: the same order as a stable sort of the file by time). The
 * merge takes from one unit as long as it stays first, and hands back to the
 * kernel the pages that every unit has passed, so reading a recording of any
 * size costs a few pages and the segment list (16 bytes per segment, a
 * segment being a drained batch: hundreds or thousands of events).
 *
 * A file whose units go back in time (not one the recorder made) is read
 * through an index sorted by (time, offset) instead: 16 bytes per event.
 * A run built in memory is read from run->events.
 */
#include "traces/trc_format.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- the file's bytes --------------------------------------------------- */

void trc_backing_release(const trc_backing *b, uint64_t from, uint64_t to) {
    if (!b || !b->mapped) return;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    from = (from + pg - 1) & ~(pg - 1);
    if (to > b->n) to = b->n;
    to &= ~(pg - 1);
    if (to > from) madvise((void *)(b->p + from), (size_t)(to - from), MADV_DONTNEED);
}

void trc_backing_populate(const trc_backing *b, uint64_t from, uint64_t to) {
#ifdef MADV_POPULATE_READ
    if (!b || !b->mapped) return;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    from &= ~(pg - 1);
    if (to > b->n) to = b->n;
    if (to > from) madvise((void *)(b->p + from), (size_t)(to - from), MADV_POPULATE_READ);
#else
    (void)b; (void)from; (void)to;
#endif
}

void trc_backing_free(trc_backing *b) {
    if (!b) return;
    if (b->mapped) munmap((void *)b->p, b->n);
    else free((void *)b->p);
    free(b);
}

/* ---- segments ------------------------------------------------------------ */

trc_evsrc *trc_evsrc_new(const trc_backing *back, uint32_t nunits) {
    trc_evsrc *s = xcalloc(1, sizeof *s);
    s->back = back;
    trc_evsrc_units(s, nunits);
    return s;
}

void trc_evsrc_units(trc_evsrc *s, uint32_t nunits) {
    if (nunits <= s->nunits) return;
    s->first = xrealloc(s->first, (size_t)nunits * sizeof *s->first);
    s->last = xrealloc(s->last, (size_t)nunits * sizeof *s->last);
    s->last_t = xrealloc(s->last_t, (size_t)nunits * sizeof *s->last_t);
    for (uint32_t u = s->nunits; u < nunits; u++) {
        s->first[u] = s->last[u] = SEG_NONE;
        s->last_t[u] = 0;
    }
    s->nunits = nunits;
}

void trc_evsrc_add(trc_evsrc *s, const uint8_t *ev, uint64_t off, uint32_t n) {
    uint32_t cur = UINT32_MAX;   /* the unit of the segment being extended */
    trc_seg *seg = NULL;
    for (uint32_t i = 0; i < n; i++, ev += F_EV_SIZE) {
        uint64_t t = ld_u64le(ev);
        uint32_t u = ld_u32le(ev + 16);   /* < nunits: checked by the reader */
        if (u != cur) {
            if (s->nsegs >= SEG_NONE - 1) BUG("more than 2^32 segments");
            ARR_GROW(s->segs, s->nsegs + 1, s->cap_segs);
            uint32_t k = (uint32_t)s->nsegs++;
            seg = &s->segs[k];
            *seg = (trc_seg){ .off = off + (uint64_t)i * F_EV_SIZE, .n = 0, .next = SEG_NONE };
            if (s->last[u] != SEG_NONE) s->segs[s->last[u]].next = k;
            else s->first[u] = k;
            s->last[u] = k;
            cur = u;
        }
        seg->n++;
        if (t < s->last_t[u]) s->unordered = true;
        s->last_t[u] = t;
    }
    s->nevents += n;
}

void trc_evsrc_free(trc_evsrc *s) {
    if (!s) return;
    free(s->segs);
    free(s->first);
    free(s->last);
    free(s->last_t);
    free(s);
}

/* ---- the cursor ------------------------------------------------------------ */

#define EVCUR_BATCH 4096u
#define EVCUR_ARRAY_BATCH 65536u
#define EVCUR_RELEASE (8u << 20)

enum { CUR_ARRAY, CUR_MERGE, CUR_INDEX };

typedef struct strm { uint64_t t, off; uint32_t seg, left; } strm;   /* a unit's place in its chain */
typedef struct ixent { uint64_t t, off; } ixent;

struct trc_evcur {
    const trc_run *run;
    const trc_evsrc *src;
    int mode;
    uint64_t pos;            /* events given out before the last batch */
    size_t nbatch;
    const trc_event *batch;
    /* merge */
    strm *st;
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

static void merge_open(trc_evcur *c) {
    const trc_evsrc *s = c->src;
    c->st = xcalloc(s->nunits ? s->nunits : 1, sizeof *c->st);
    c->heap = xcalloc(s->nunits ? s->nunits : 1, sizeof *c->heap);
    for (uint32_t u = 0; u < s->nunits; u++) {
        uint32_t k = s->first[u];
        if (k == SEG_NONE) continue;
        strm *x = &c->st[u];
        x->seg = k;
        x->off = s->segs[k].off;
        x->left = s->segs[k].n;
        x->t = ld_u64le(s->back->p + x->off);
        c->heap[c->nheap++] = u;
    }
    for (uint32_t i = c->nheap / 2; i-- > 0;) heap_down(c, i);
}

/* Moves x to its unit's next event; false at the end of its chain. */
static inline bool strm_step(const trc_evsrc *s, strm *x) {
    if (--x->left) {
        x->off += F_EV_SIZE;
    } else {
        uint32_t k = s->segs[x->seg].next;
        if (k == SEG_NONE) return false;
        x->seg = k;
        x->off = s->segs[k].off;
        x->left = s->segs[k].n;
    }
    x->t = ld_u64le(s->back->p + x->off);
    return true;
}

static size_t merge_fill(trc_evcur *c) {
    const trc_evsrc *s = c->src;
    const uint8_t *base = s->back->p;
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
            f_load_event(&c->buf[n], base + x->off);
            c->off[n++] = x->off;
            live = strm_step(s, x);
        } while (live && n < c->cap && (!y || strm_lt(x, y)));
        if (!live) c->heap[0] = c->heap[--c->nheap];
        if (c->nheap) heap_down(c, 0);
    }
    /* hand back the pages every unit has passed, map the ones ahead */
    c->since += n;
    if (c->since >= EVCUR_RELEASE / F_EV_SIZE / 4 && s->back->mapped) {
        c->since = 0;
        uint64_t lo = s->back->n, hi = 0;
        for (uint32_t i = 0; i < c->nheap; i++) {
            uint64_t off = c->st[c->heap[i]].off;
            if (off < lo) lo = off;
            if (off > hi) hi = off;
        }
        if (lo > c->released + EVCUR_RELEASE) {
            trc_backing_release(s->back, c->released, lo);
            c->released = lo & ~(uint64_t)4095;
        }
        if (c->nheap && hi + EVCUR_RELEASE / 2 > c->populated) {
            uint64_t from = c->populated > lo ? c->populated : lo;
            c->populated = hi + EVCUR_RELEASE;
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

static size_t index_fill(trc_evcur *c) {
    uint64_t at = c->pos + c->nbatch;
    size_t n = 0;
    while (n < c->cap && at + n < c->src->nevents) {
        uint64_t off = c->ix[at + n].off;
        f_load_event(&c->buf[n], c->src->back->p + off);
        c->off[n++] = off;
    }
    return n;
}

int trc_evcur_open(trc_evcur **out, const trc_run *run, diag *d) {
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
    case CUR_MERGE:
        n = merge_fill(c);
        c->batch = c->buf;
        break;
    default:
        c->nbatch = 0;   /* index_fill reads from pos */
        n = index_fill(c);
        c->batch = c->buf;
        break;
    }
    c->nbatch = n;
    *ev = c->batch;
    return n;
}

uint64_t trc_evcur_index(const trc_evcur *c) { return c->pos; }

bool trc_evcur_offset(const trc_evcur *c, size_t k, uint64_t *off) {
    if (c->mode == CUR_ARRAY || k >= c->nbatch) return false;
    *off = c->off[k];
    return true;
}

void trc_evcur_close(trc_evcur *c) {
    if (!c) return;
    if (c->src) trc_backing_release(c->src->back, 0, c->src->back->n);
    free(c->st);
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
