/* Where a run's events are in the file: the reader notes, for each EVENTS
 * chunk, its segments (consecutive events of one stream). A stream is one
 * unit's events whose times never go back; linked, its segments make a chain
 * through the file. The cursor (trc_evcur.c) reads a run in time order by
 * merging its streams. */
#include "traces/trc_format.h"

#include <stdlib.h>

/* ---- segments ------------------------------------------------------------ */

trc_evsrc *trc_evsrc_new(const trc_backing *back, uint32_t nunits) {
    trc_evsrc *s = xcalloc(1, sizeof *s);
    s->back = back;
    trc_evsrc_units(s, nunits);
    return s;
}

void trc_evsrc_units(trc_evsrc *s, uint32_t nunits) {
    if (nunits <= s->nunits) return;
    s->cur = xrealloc(s->cur, (size_t)nunits * sizeof *s->cur);
    for (uint32_t u = s->nunits; u < nunits; u++) s->cur[u] = SEG_NONE;
    s->nunits = nunits;
}

/* A new stream for unit u (stream 0 again when there are too many). */
static uint32_t stream_new(trc_evsrc *s, uint32_t u) {
    if (s->nstreams >= EVSRC_MAX_STREAMS) {   /* read through the index, which ignores streams */
        s->unordered = true;
        return s->cur[u] = 0;
    }
    if (s->nstreams >= s->cap_streams) {
        size_t cap = s->cap_streams ? 2 * s->cap_streams : 16;
        s->first = xrealloc(s->first, cap * sizeof *s->first);
        s->last = xrealloc(s->last, cap * sizeof *s->last);
        s->last_t = xrealloc(s->last_t, cap * sizeof *s->last_t);
        s->cap_streams = cap;
    }
    uint32_t k = s->nstreams++;
    s->first[k] = s->last[k] = SEG_NONE;
    s->last_t[k] = 0;
    s->cur[u] = k;
    return k;
}

/* Opens a segment of n events at off for unit u, whose first event is at time
 * t: on the unit's current stream, or a new one where the time goes back. Its
 * stream goes to *stream; returns the segment. */
static uint32_t seg_open(trc_evsrc *s, uint32_t u, uint64_t t, uint64_t off, uint32_t n, uint32_t *stream) {
    uint32_t j = s->cur[u];
    if (j == SEG_NONE || t < s->last_t[j]) j = stream_new(s, u);
    if (s->nsegs >= SEG_NONE - 1) BUG("more than 2^32 segments");
    ARR_GROW(s->segs, s->nsegs + 1, s->cap_segs);
    uint32_t g = (uint32_t)s->nsegs++;
    s->segs[g] = (trc_seg){ .off = off, .n = n, .next = SEG_NONE };
    if (s->last[j] != SEG_NONE) s->segs[s->last[j]].next = g;
    else s->first[j] = g;
    s->last[j] = g;
    *stream = j;
    return g;
}

void trc_evsrc_add(trc_evsrc *s, const uint8_t *ev, uint64_t off, uint32_t n) {
    uint32_t k = SEG_NONE;   /* the stream of the segment being extended: none, as a */
    trc_seg *seg = NULL;     /* segment never spans two chunks */
    uint64_t last = 0;       /* the time of its last event */
    for (uint32_t i = 0; i < n; i++, ev += F_EV_SIZE) {
        uint64_t t = ld_u64le(ev);
        uint32_t u = ld_u32le(ev + 16);   /* < nunits: checked by the reader */
        if (!seg || s->cur[u] != k || t < last) {
            if (k != SEG_NONE) s->last_t[k] = last;
            uint32_t g = seg_open(s, u, t, off + (uint64_t)i * F_EV_SIZE, 0, &k);   /* may move segs */
            seg = &s->segs[g];
        }
        seg->n++;
        last = t;
    }
    if (k != SEG_NONE) s->last_t[k] = last;
    s->nevents += n;
}

/* A piece is what trc_evsrc_add makes one segment of: it starts a segment at
 * a chunk's first event, where the unit changes (units never share a stream
 * while s is not unordered) and where the time goes back; within a piece it
 * only extends the segment. So the same steps, once per piece. */
void trc_evsrc_add_pieces(trc_evsrc *s, const f_piece *p, uint32_t npieces, uint64_t off, uint32_t n) {
    uint32_t k = SEG_NONE;
    uint64_t last = 0;
    for (uint32_t i = 0; i < npieces; i++) {
        if (k != SEG_NONE) s->last_t[k] = last;
        seg_open(s, p[i].unit, p[i].t_first, off + (uint64_t)p[i].first * F_EV_SIZE, p[i].n, &k);
        last = p[i].t_last;
    }
    if (k != SEG_NONE) s->last_t[k] = last;
    s->nevents += n;
}

void trc_evsrc_free(trc_evsrc *s) {
    if (!s) return;
    free(s->segs);
    free(s->cur);
    free(s->first);
    free(s->last);
    free(s->last_t);
    free(s);
}
