/* Are two Perfetto traces the same trace? See pfcmp.h. */
#include "pfcmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbdec.h"

static int say(char *why, size_t cap, int rc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- packets per sequence --------------------------------------------------- */

static bool rd_var(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    uint64_t x = 0;
    for (int s = 0; s < 64 && *p < end; s += 7) {
        uint8_t c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80)) { *v = x; return true; }
    }
    return false;
}

static uint64_t mix(uint64_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
    return h;
}

static uint64_t fin(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdull; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ull; k ^= k >> 33;
    return k;
}

typedef struct seqsum { uint64_t id, n, h; } seqsum;
typedef struct pktsum {
    seqsum *s; size_t ns, cap;     /* by sequence id (open addressing on id) */
    uint64_t loose_n, loose_sum, loose_xor;   /* packets without a sequence: a multiset hash */
    size_t packets;
} pktsum;

static seqsum *seq_slot(pktsum *t, uint64_t id) {
    if ((t->ns + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        seqsum *v = calloc(cap, sizeof *v);
        if (!v) abort();
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->s[i].id) continue;
            size_t j = fin(t->s[i].id) & (cap - 1);
            while (v[j].id) j = (j + 1) & (cap - 1);
            v[j] = t->s[i];
        }
        free(t->s);
        t->s = v;
        t->cap = cap;
    }
    size_t j = fin(id) & (t->cap - 1);
    while (t->s[j].id && t->s[j].id != id) j = (j + 1) & (t->cap - 1);
    if (!t->s[j].id) { t->s[j].id = id; t->s[j].h = 0xcbf29ce484222325ull; t->ns++; }
    return &t->s[j];
}

static int sum_packets(pktsum *t, const uint8_t *d, size_t n, const char *which, char *why, size_t cap) {
    const uint8_t *p = d, *end = d + n;
    while (p < end) {
        uint64_t key, len;
        size_t at = (size_t)(p - d);
        if (!rd_var(&p, end, &key) || key != 0x0a || !rd_var(&p, end, &len) || len > (uint64_t)(end - p))
            return say(why, cap, -1, "%s: byte %zu: not a packet", which, at);
        const uint8_t *q = p, *qe = p + len;
        p = qe;
        uint64_t h = 0xcbf29ce484222325ull, seq = 0;
        while (q < qe) {   /* the packet's fields but its sequence id, in order */
            const uint8_t *f0 = q;
            uint64_t k, v;
            if (!rd_var(&q, qe, &k)) return say(why, cap, -1, "%s: byte %zu: bad field", which, at);
            switch (k & 7) {
            case 0: if (!rd_var(&q, qe, &v)) return say(why, cap, -1, "%s: byte %zu: bad varint", which, at); break;
            case 1: if (qe - q < 8) return say(why, cap, -1, "%s: byte %zu: short fixed64", which, at); q += 8; break;
            case 2:
                if (!rd_var(&q, qe, &v) || v > (uint64_t)(qe - q)) return say(why, cap, -1, "%s: byte %zu: bad length", which, at);
                q += v;
                break;
            case 5: if (qe - q < 4) return say(why, cap, -1, "%s: byte %zu: short fixed32", which, at); q += 4; break;
            default: return say(why, cap, -1, "%s: byte %zu: wire type %u", which, at, (unsigned)(k & 7));
            }
            if (k >> 3 == 10 && (k & 7) == 0) { seq = v; continue; }
            h = mix(h, f0, (size_t)(q - f0));
        }
        t->packets++;
        if (!seq) {
            t->loose_n++;
            t->loose_sum += fin(h);
            t->loose_xor ^= fin(h ^ 0x5bd1e995ull);
            continue;
        }
        seqsum *s = seq_slot(t, seq);
        s->n++;
        s->h = fin(s->h ^ h) + s->n;
    }
    return 0;
}

static int cmp_seqsum(const void *a, const void *b) {
    const seqsum *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->n < y->n ? -1 : x->n > y->n;
}

static size_t seq_list(pktsum *t) {   /* the used slots first, sorted by (hash, count) */
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++) if (t->s[i].id) t->s[k++] = t->s[i];
    qsort(t->s, k, sizeof *t->s, cmp_seqsum);
    return k;
}

static int cmp_packets(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, pfcmp_counts *c, char *why,
                       size_t cap) {
    pktsum x = { 0 }, y = { 0 };
    int rc = sum_packets(&x, a, na, "a", why, cap);
    if (!rc) rc = sum_packets(&y, b, nb, "b", why, cap);
    if (!rc) {
        c->packets_a = x.packets;
        c->packets_b = y.packets;
        size_t kx = seq_list(&x), ky = seq_list(&y);
        c->sequences_a = kx;
        c->sequences_b = ky;
        if (x.packets != y.packets) rc = say(why, cap, 1, "%zu packets against %zu", x.packets, y.packets);
        else if (kx != ky) rc = say(why, cap, 1, "%zu sequences against %zu", kx, ky);
        else if (x.loose_n != y.loose_n || x.loose_sum != y.loose_sum || x.loose_xor != y.loose_xor)
            rc = say(why, cap, 1, "the packets without a sequence differ (%llu against %llu)",
                     (unsigned long long)x.loose_n, (unsigned long long)y.loose_n);
        for (size_t i = 0; !rc && i < kx; i++)
            if (x.s[i].h != y.s[i].h || x.s[i].n != y.s[i].n)
                rc = say(why, cap, 1, "a sequence of a (%llu packets) has no equal in b",
                         (unsigned long long)x.s[i].n);
    }
    free(x.s);
    free(y.s);
    return rc;
}

/* ---- decoded ------------------------------------------------------------------ */

static int str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static const pb_trace *g_t;   /* for the sort below (single-threaded tools and tests) */
static int cmp_ev(const void *a, const void *b) {
    const pb_event *x = &g_t->events[*(const size_t *)a], *y = &g_t->events[*(const size_t *)b];
    if (x->track != y->track) return x->track < y->track ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->packet < y->packet ? -1 : x->packet > y->packet;
}

static size_t *ev_order(const pb_trace *t) {
    size_t *ix = malloc((t->nevents ? t->nevents : 1) * sizeof *ix);
    if (!ix) abort();
    for (size_t i = 0; i < t->nevents; i++) ix[i] = i;
    g_t = t;
    qsort(ix, t->nevents, sizeof *ix, cmp_ev);
    return ix;
}

static bool ann_eq(const pb_annot *a, const pb_annot *b) {
    if (!str_eq(a->name, b->name) || a->kind != b->kind) return false;
    switch (a->kind) {
    case PB_ANN_UINT: case PB_ANN_BOOL: return a->u == b->u;
    case PB_ANN_INT: return a->i == b->i;
    case PB_ANN_DOUBLE: return a->d == b->d;
    case PB_ANN_STR: return str_eq(a->s, b->s);
    default: return true;
    }
}

static bool ev_eq(const pb_event *a, const pb_event *b) {
    if (a->type != b->type || a->has_track != b->has_track || a->track != b->track || a->ts != b->ts) return false;
    if (!str_eq(a->name, b->name) || a->has_counter != b->has_counter || a->counter != b->counter) return false;
    if (a->nflows != b->nflows || a->ntflows != b->ntflows || a->nann != b->nann) return false;
    if (a->nflows && memcmp(a->flows, b->flows, a->nflows * sizeof *a->flows)) return false;
    if (a->ntflows && memcmp(a->tflows, b->tflows, a->ntflows * sizeof *a->tflows)) return false;
    for (size_t i = 0; i < a->nann; i++) if (!ann_eq(&a->ann[i], &b->ann[i])) return false;
    return true;
}

static bool track_eq(const pb_track *a, const pb_track *b) {
    return a->uuid == b->uuid && a->parent == b->parent && str_eq(a->name, b->name) &&
           str_eq(a->description, b->description) && a->is_process == b->is_process && a->is_thread == b->is_thread &&
           a->is_counter == b->is_counter && a->pid == b->pid && a->tid == b->tid &&
           str_eq(a->counter_unit_name, b->counter_unit_name) && a->has_rank == b->has_rank && a->rank == b->rank &&
           a->merge == b->merge && str_eq(a->merge_key, b->merge_key);
}

/* b alone: descriptors before use and after their parents; the first packet of every sequence */
static int check_order(const pb_trace *t, char *why, size_t cap) {
    for (size_t i = 0; i < t->ntracks; i++) {
        const pb_track *k = &t->tracks[i];
        if (!k->parent) continue;
        const pb_track *p = pb_track_by_uuid(t, k->parent);
        if (!p) return say(why, cap, 1, "b: track %llu's parent %llu is never described", (unsigned long long)k->uuid,
                           (unsigned long long)k->parent);
        if (p->packet > k->packet)
            return say(why, cap, 1, "b: track %llu (packet %zu) is described before its parent (packet %zu)",
                       (unsigned long long)k->uuid, k->packet, p->packet);
    }
    uint32_t maxseq = 0;
    for (size_t i = 0; i < t->nevents; i++) if (t->events[i].seq > maxseq) maxseq = t->events[i].seq;
    uint8_t *seen = calloc((size_t)maxseq + 1, 1);
    if (!seen) abort();
    int rc = 0;
    for (size_t i = 0; i < t->nevents && !rc; i++) {
        const pb_event *e = &t->events[i];
        const pb_track *k = e->has_track ? pb_track_by_uuid(t, e->track) : NULL;
        if (!k) rc = say(why, cap, 1, "b: event in packet %zu on undescribed track %llu", e->packet, (unsigned long long)e->track);
        else if (k->packet > e->packet)
            rc = say(why, cap, 1, "b: track %llu is described (packet %zu) after its first event (packet %zu)",
                     (unsigned long long)k->uuid, k->packet, e->packet);
        else if (!seen[e->seq] && (!e->first_on_seq || (e->flags & 3) != 3))
            rc = say(why, cap, 1, "b: the first packet of sequence %u (packet %zu) does not clear its state", e->seq, e->packet);
        else if (seen[e->seq] && (e->first_on_seq || (e->flags & 1)))
            rc = say(why, cap, 1, "b: packet %zu clears sequence %u again", e->packet, e->seq);
        seen[e->seq] = 1;
    }
    free(seen);
    return rc;
}

static int cmp_decoded(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, pfcmp_counts *c, char *why,
                       size_t cap) {
    pb_trace x, y;
    if (pb_decode(&x, a, na)) { int rc = say(why, cap, -1, "a: %s", x.err); pb_free(&x); return rc; }
    if (pb_decode(&y, b, nb)) { int rc = say(why, cap, -1, "b: %s", y.err); pb_free(&x); pb_free(&y); return rc; }
    int rc = 0;
    if (x.ntracks != y.ntracks) rc = say(why, cap, 1, "%zu tracks against %zu", x.ntracks, y.ntracks);
    for (size_t i = 0; !rc && i < x.ntracks; i++) {
        const pb_track *k = pb_track_by_uuid(&y, x.tracks[i].uuid);
        if (!k || !track_eq(&x.tracks[i], k))
            rc = say(why, cap, 1, "track %llu (%s) differs", (unsigned long long)x.tracks[i].uuid,
                     x.tracks[i].name ? x.tracks[i].name : "?");
    }
    if (!rc && x.packet_loss != y.packet_loss) rc = say(why, cap, 1, "packet loss %llu against %llu",
                                                        (unsigned long long)x.packet_loss, (unsigned long long)y.packet_loss);
    if (!rc && x.nevents != y.nevents) rc = say(why, cap, 1, "%zu events against %zu", x.nevents, y.nevents);
    if (!rc) {
        size_t *ix = ev_order(&x), *iy = ev_order(&y);
        for (size_t i = 0; !rc && i < x.nevents; i++) {
            const pb_event *ea = &x.events[ix[i]], *eb = &y.events[iy[i]];
            if (!ev_eq(ea, eb))
                rc = say(why, cap, 1, "event %zu of the track-and-time order differs: track %llu ts %llu type %d %s "
                         "(a packet %zu) against track %llu ts %llu type %d %s (b packet %zu)", i,
                         (unsigned long long)ea->track, (unsigned long long)ea->ts, ea->type, ea->name ? ea->name : "-",
                         ea->packet, (unsigned long long)eb->track, (unsigned long long)eb->ts, eb->type,
                         eb->name ? eb->name : "-", eb->packet);
        }
        free(ix);
        free(iy);
    }
    if (!rc) rc = check_order(&y, why, cap);
    c->tracks = x.ntracks;
    c->events = x.nevents;
    pb_free(&x);
    pb_free(&y);
    return rc;
}

int pfcmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, bool decode, pfcmp_counts *c, char *why,
          size_t cap) {
    pfcmp_counts dummy;
    if (!c) c = &dummy;
    memset(c, 0, sizeof *c);
    why[0] = 0;
    int rc = cmp_packets(a, na, b, nb, c, why, cap);
    c->packets_same = rc == 0;
    if (rc < 0 || !decode) return rc;
    /* decoded: the decisive comparison (the packets may differ only in how names made up at export
     * time are numbered, which follows the order they are first used in) */
    return cmp_decoded(a, na, b, nb, c, why, cap);
}
