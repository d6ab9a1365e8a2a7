/* Test-side Perfetto protobuf decoder (see pbdec.h). Field numbers from
 * shared/perfetto/SPEC.md §2. */
#include "pbdec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct fld {
    uint32_t no;
    int wt;
    uint64_t v;             /* varint / fixed value */
    const uint8_t *s;       /* LEN payload */
    size_t n;
    size_t off;             /* offset of the key in the file */
} fld;

typedef struct dec {
    const uint8_t *base;
    pb_trace *t;
    bool failed;
} dec;

static void fail(dec *d, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(dec *d, size_t off, const char *fmt, ...) {
    if (d->failed) return;
    d->failed = true;
    int k = snprintf(d->t->err, sizeof d->t->err, "@0x%zx: ", off);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->t->err + k, sizeof d->t->err - (size_t)k, fmt, ap);
    va_end(ap);
}

static bool rd_var(dec *d, const uint8_t **p, const uint8_t *end, uint64_t *v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end) { fail(d, (size_t)(*p - d->base), "truncated varint"); return false; }
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1) { fail(d, (size_t)(*p - d->base), "varint overflows 64 bits"); return false; }
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *v = r; return true; }
    }
    fail(d, (size_t)(*p - d->base), "varint longer than 10 bytes");
    return false;
}

/* Next field of the message [*p, end). false at the end or on error (d->failed). */
static bool next_field(dec *d, const uint8_t **p, const uint8_t *end, fld *f) {
    if (d->failed || *p >= end) return false;
    f->off = (size_t)(*p - d->base);
    uint64_t key;
    if (!rd_var(d, p, end, &key)) return false;
    f->no = (uint32_t)(key >> 3);
    f->wt = (int)(key & 7);
    if (f->no == 0) { fail(d, f->off, "field number 0"); return false; }
    switch (f->wt) {
    case WT_VARINT:
        return rd_var(d, p, end, &f->v);
    case WT_I64:
        if (end - *p < 8) { fail(d, f->off, "truncated fixed64"); return false; }
        f->v = 0;
        for (int i = 7; i >= 0; i--) f->v = f->v << 8 | (*p)[i];
        *p += 8;
        return true;
    case WT_I32:
        if (end - *p < 4) { fail(d, f->off, "truncated fixed32"); return false; }
        f->v = (uint64_t)(*p)[0] | (uint64_t)(*p)[1] << 8 | (uint64_t)(*p)[2] << 16 | (uint64_t)(*p)[3] << 24;
        *p += 4;
        return true;
    case WT_LEN: {
        uint64_t n;
        if (!rd_var(d, p, end, &n)) return false;
        if (n > (uint64_t)(end - *p)) { fail(d, f->off, "length %llu past the end of the message",
                                             (unsigned long long)n); return false; }
        f->s = *p;
        f->n = (size_t)n;
        *p += n;
        return true;
    }
    default:
        fail(d, f->off, "unsupported wire type %d (field %u)", f->wt, f->no);
        return false;
    }
}

static bool want(dec *d, const fld *f, int wt, const char *what) {
    if (f->wt == wt) return true;
    fail(d, f->off, "%s (field %u) has wire type %d, expected %d", what, f->no, f->wt, wt);
    return false;
}

static char *dupn(const uint8_t *s, size_t n) {
    char *r = malloc(n + 1);
    if (!r) abort();
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

static char *dups(const char *s) { return s ? dupn((const uint8_t *)s, strlen(s)) : NULL; }

/* ---- interning per sequence --------------------------------------------- */

typedef struct strtab { char **v; size_t n; } strtab;
enum { TAB_NAMES, TAB_DNAMES, TAB_SVALS, TAB__N };
typedef struct seqst { uint32_t seq; bool valid; strtab tab[TAB__N]; } seqst;
typedef struct seqs { seqst *v; size_t n; } seqs;

static void tab_clear(strtab *t) {
    for (size_t i = 0; i < t->n; i++) free(t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static seqst *seq_get(seqs *s, uint32_t seq) {
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].seq == seq) return &s->v[i];
    s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
    if (!s->v) abort();
    memset(&s->v[s->n], 0, sizeof s->v[s->n]);
    s->v[s->n].seq = seq;
    return &s->v[s->n++];
}

static void tab_set(dec *d, strtab *t, uint64_t iid, char *s, size_t off) {
    if (iid == 0) { fail(d, off, "interned entry with iid 0"); free(s); return; }
    if (iid > 1u << 24) { fail(d, off, "interned iid %llu is implausibly large", (unsigned long long)iid); free(s); return; }
    if (iid >= t->n) {
        t->v = realloc(t->v, (iid + 1) * sizeof *t->v);
        if (!t->v) abort();
        memset(t->v + t->n, 0, (iid + 1 - t->n) * sizeof *t->v);
        t->n = iid + 1;
    }
    if (t->v[iid] && strcmp(t->v[iid], s) != 0) {
        fail(d, off, "iid %llu redefined ('%s' -> '%s')", (unsigned long long)iid, t->v[iid], s);
        free(s);
        return;
    }
    free(t->v[iid]);
    t->v[iid] = s;
}

static const char *tab_get(dec *d, seqst *ss, int tab, uint64_t iid, size_t off) {
    if (!ss || !ss->valid) { fail(d, off, "iid %llu used on a sequence without cleared state", (unsigned long long)iid); return NULL; }
    strtab *t = &ss->tab[tab];
    if (iid == 0 || iid >= t->n || !t->v[iid]) {
        fail(d, off, "iid %llu is not defined (table %d, sequence %u)", (unsigned long long)iid, tab, ss->seq);
        return NULL;
    }
    return t->v[iid];
}

static void parse_interned(dec *d, seqst *ss, const uint8_t *p, const uint8_t *end) {
    fld f;
    while (next_field(d, &p, end, &f)) {
        int tab = f.no == 2 ? TAB_NAMES : f.no == 3 ? TAB_DNAMES : f.no == 29 ? TAB_SVALS : -1;
        if (tab < 0) continue;
        if (!want(d, &f, WT_LEN, "InternedData entry")) return;
        const uint8_t *q = f.s, *qe = f.s + f.n;
        fld g;
        uint64_t iid = 0;
        char *s = NULL;
        while (next_field(d, &q, qe, &g)) {
            if (g.no == 1 && want(d, &g, WT_VARINT, "iid")) iid = g.v;
            else if (g.no == 2 && want(d, &g, WT_LEN, "interned string")) { free(s); s = dupn(g.s, g.n); }
        }
        if (d->failed) { free(s); return; }
        if (!s) { fail(d, f.off, "interned entry without a string"); return; }
        tab_set(d, &ss->tab[tab], iid, s, f.off);
        d->t->interned_entries++;
    }
}

/* ---- descriptors ----------------------------------------------------------- */

static void parse_descriptor(dec *d, const uint8_t *p, const uint8_t *end) {
    pb_trace *t = d->t;
    pb_track k = { 0 };
    bool has_uuid = false;
    fld f;
    while (next_field(d, &p, end, &f)) {
        switch (f.no) {
        case 1: if (want(d, &f, WT_VARINT, "uuid")) { k.uuid = f.v; has_uuid = true; } break;
        case 5: if (want(d, &f, WT_VARINT, "parent_uuid")) k.parent = f.v; break;
        case 2: if (want(d, &f, WT_LEN, "name")) { free(k.name); k.name = dupn(f.s, f.n); } break;
        case 14: if (want(d, &f, WT_LEN, "description")) { free(k.description); k.description = dupn(f.s, f.n); } break;
        case 12: if (want(d, &f, WT_VARINT, "sibling_order_rank")) { k.has_rank = true; k.rank = (int32_t)f.v; } break;
        case 15: if (want(d, &f, WT_VARINT, "sibling_merge_behavior")) k.merge = (int)f.v; break;
        case 16: if (want(d, &f, WT_LEN, "sibling_merge_key")) { free(k.merge_key); k.merge_key = dupn(f.s, f.n); } break;
        case 8:
            if (!want(d, &f, WT_LEN, "counter")) break;
            k.is_counter = true;
            for (const uint8_t *q = f.s; ; ) {
                fld g;
                if (!next_field(d, &q, f.s + f.n, &g)) break;
                if (g.no == 6 && want(d, &g, WT_LEN, "unit_name")) { free(k.counter_unit_name); k.counter_unit_name = dupn(g.s, g.n); }
            }
            break;
        case 3:
        case 4: {
            if (!want(d, &f, WT_LEN, f.no == 3 ? "process" : "thread")) break;
            if (f.no == 3) k.is_process = true; else k.is_thread = true;
            bool has_pid = false, has_tid = false;
            for (const uint8_t *q = f.s; ; ) {
                fld g;
                if (!next_field(d, &q, f.s + f.n, &g)) break;
                if (g.no == 1 && want(d, &g, WT_VARINT, "pid")) { k.pid = (int32_t)g.v; has_pid = true; }
                else if (f.no == 4 && g.no == 2 && want(d, &g, WT_VARINT, "tid")) { k.tid = (int64_t)g.v; has_tid = true; }
                else if (((f.no == 3 && g.no == 6) || (f.no == 4 && g.no == 5)) && want(d, &g, WT_LEN, "name")) {
                    if (!k.name) k.name = dupn(g.s, g.n);
                }
            }
            if (!d->failed && (!has_pid || (f.no == 4 && !has_tid))) fail(d, f.off, "process/thread descriptor without pid/tid");
            break;
        }
        default: break;
        }
    }
    if (!d->failed && !has_uuid) fail(d, (size_t)(end - d->base), "TrackDescriptor without uuid");
    if (d->failed) { free(k.name); free(k.description); free(k.counter_unit_name); free(k.merge_key); return; }
    for (size_t i = 0; i < t->ntracks; i++) {
        if (t->tracks[i].uuid == k.uuid) {
            fail(d, (size_t)(p - d->base), "uuid %llu described twice", (unsigned long long)k.uuid);
            free(k.name); free(k.description); free(k.counter_unit_name); free(k.merge_key);
            return;
        }
    }
    t->tracks = realloc(t->tracks, (t->ntracks + 1) * sizeof *t->tracks);
    if (!t->tracks) abort();
    t->tracks[t->ntracks++] = k;
}

/* ---- track events ------------------------------------------------------------ */

static void push_u64(uint64_t **v, size_t *n, uint64_t x) {
    *v = realloc(*v, (*n + 1) * sizeof **v);
    if (!*v) abort();
    (*v)[(*n)++] = x;
}

static void parse_annot(dec *d, seqst *ss, pb_event *e, const uint8_t *p, const uint8_t *end) {
    pb_annot a = { 0 };
    fld f;
    while (next_field(d, &p, end, &f)) {
        switch (f.no) {
        case 1: if (want(d, &f, WT_VARINT, "annotation name_iid")) { const char *s = tab_get(d, ss, TAB_DNAMES, f.v, f.off); free(a.name); a.name = dups(s); } break;
        case 10: if (want(d, &f, WT_LEN, "annotation name")) { free(a.name); a.name = dupn(f.s, f.n); } break;
        case 2: if (want(d, &f, WT_VARINT, "bool_value")) { a.kind = PB_ANN_BOOL; a.u = f.v; } break;
        case 3: if (want(d, &f, WT_VARINT, "uint_value")) { a.kind = PB_ANN_UINT; a.u = f.v; } break;
        case 4: if (want(d, &f, WT_VARINT, "int_value")) { a.kind = PB_ANN_INT; a.i = (int64_t)f.v; } break;
        case 5: if (want(d, &f, WT_I64, "double_value")) { a.kind = PB_ANN_DOUBLE; memcpy(&a.d, &f.v, 8); } break;
        case 6: if (want(d, &f, WT_LEN, "string_value")) { a.kind = PB_ANN_STR; free(a.s); a.s = dupn(f.s, f.n); } break;
        case 17: if (want(d, &f, WT_VARINT, "string_value_iid")) { a.kind = PB_ANN_STR; free(a.s); a.s = dups(tab_get(d, ss, TAB_SVALS, f.v, f.off)); } break;
        default: break;
        }
    }
    e->ann = realloc(e->ann, (e->nann + 1) * sizeof *e->ann);
    if (!e->ann) abort();
    e->ann[e->nann++] = a;
}

static void parse_event(dec *d, seqst *ss, pb_event *e, const uint8_t *p, const uint8_t *end) {
    fld f;
    while (next_field(d, &p, end, &f)) {
        switch (f.no) {
        case 9: if (want(d, &f, WT_VARINT, "type")) e->type = (int)f.v; break;
        case 11: if (want(d, &f, WT_VARINT, "track_uuid")) { e->has_track = true; e->track = f.v; } break;
        case 23: if (want(d, &f, WT_LEN, "name")) { free(e->name); e->name = dupn(f.s, f.n); } break;
        case 10:
            if (want(d, &f, WT_VARINT, "name_iid")) {
                e->name_iid = f.v;
                free(e->name);
                e->name = dups(tab_get(d, ss, TAB_NAMES, f.v, f.off));
            }
            break;
        case 30: if (want(d, &f, WT_VARINT, "counter_value")) { e->has_counter = true; e->counter = (int64_t)f.v; } break;
        case 47: if (want(d, &f, WT_I64, "flow_ids")) push_u64(&e->flows, &e->nflows, f.v); break;
        case 48: if (want(d, &f, WT_I64, "terminating_flow_ids")) push_u64(&e->tflows, &e->ntflows, f.v); break;
        case 36: case 42: fail(d, f.off, "deprecated varint flow ids (field %u)", f.no); break;
        case 4: if (want(d, &f, WT_LEN, "debug_annotations")) parse_annot(d, ss, e, f.s, f.s + f.n); break;
        default: break;
        }
    }
}

static void free_event(pb_event *e) {
    free(e->name);
    free(e->flows);
    free(e->tflows);
    for (size_t i = 0; i < e->nann; i++) { free(e->ann[i].name); free(e->ann[i].s); }
    free(e->ann);
}

/* TraceStats: the buffer stats' trace_writer_packet_loss, summed. */
static void parse_trace_stats(dec *d, const uint8_t *p, const uint8_t *end) {
    fld f;
    while (next_field(d, &p, end, &f)) {
        if (f.no != 1 || !want(d, &f, WT_LEN, "buffer_stats")) continue;
        const uint8_t *q = f.s, *qe = f.s + f.n;
        fld g;
        while (next_field(d, &q, qe, &g))
            if (g.no == 19 && want(d, &g, WT_VARINT, "trace_writer_packet_loss")) d->t->packet_loss += g.v;
    }
}

static void parse_packet(dec *d, seqs *sq, size_t idx, const uint8_t *p, const uint8_t *end) {
    const uint8_t *te = NULL, *te_end = NULL, *td = NULL, *td_end = NULL, *id = NULL, *id_end = NULL;
    bool has_ts = false, has_seq = false, first = false;
    uint64_t ts = 0, seq = 0, flags = 0;
    size_t off = (size_t)(p - d->base);
    fld f;
    while (next_field(d, &p, end, &f)) {
        switch (f.no) {
        case 8: if (want(d, &f, WT_VARINT, "timestamp")) { has_ts = true; ts = f.v; } break;
        case 10: if (want(d, &f, WT_VARINT, "trusted_packet_sequence_id")) { has_seq = true; seq = f.v; } break;
        case 13: if (want(d, &f, WT_VARINT, "sequence_flags")) flags = f.v; break;
        case 87: if (want(d, &f, WT_VARINT, "first_packet_on_sequence")) first = f.v != 0; break;
        case 11: if (want(d, &f, WT_LEN, "track_event")) { te = f.s; te_end = f.s + f.n; } break;
        case 60: if (want(d, &f, WT_LEN, "track_descriptor")) { td = f.s; td_end = f.s + f.n; } break;
        case 12: if (want(d, &f, WT_LEN, "interned_data")) { id = f.s; id_end = f.s + f.n; } break;
        case 58: fail(d, f.off, "timestamp_clock_id is set"); break;
        case 35: if (want(d, &f, WT_LEN, "trace_stats")) parse_trace_stats(d, f.s, f.s + f.n); break;
        default: break;
        }
    }
    if (d->failed) return;
    seqst *ss = NULL;
    if (has_seq) {
        if (seq == 0) { fail(d, off, "sequence id 0"); return; }
        ss = seq_get(sq, (uint32_t)seq);
        if (flags & 1) {
            for (int i = 0; i < TAB__N; i++) tab_clear(&ss->tab[i]);
            ss->valid = true;
        }
        if ((flags & 2) && !ss->valid) { fail(d, off, "NEEDS_INCREMENTAL_STATE before CLEARED on sequence %u", (unsigned)seq); return; }
    } else if (flags || id) {
        fail(d, off, "sequence flags or interned data without a sequence id");
        return;
    }
    if (id) {
        if (!ss->valid) { fail(d, off, "interned data before CLEARED on sequence %u", (unsigned)seq); return; }
        parse_interned(d, ss, id, id_end);
    }
    if (td) {
        size_t before = d->t->ntracks;
        parse_descriptor(d, td, td_end);
        if (!d->failed && d->t->ntracks > before) d->t->tracks[d->t->ntracks - 1].packet = idx;
    }
    if (te) {
        if (!has_seq) { fail(d, off, "track event without a sequence id"); return; }
        if (!has_ts) { fail(d, off, "track event without a timestamp"); return; }
        pb_event e = { .packet = idx, .ts = ts, .seq = (uint32_t)seq, .flags = (uint32_t)flags, .first_on_seq = first };
        parse_event(d, ss, &e, te, te_end);
        if (d->failed) { free_event(&e); return; }
        if (!e.type) { fail(d, off, "track event without a type"); free_event(&e); return; }
        pb_trace *t = d->t;
        if (t->nevents % 1024 == 0) {
            t->events = realloc(t->events, (t->nevents + 1024) * sizeof *t->events);
            if (!t->events) abort();
        }
        t->events[t->nevents++] = e;
    }
}

int pb_decode(pb_trace *t, const uint8_t *data, size_t n) {
    memset(t, 0, sizeof *t);
    dec d = { .base = data, .t = t };
    seqs sq = { 0 };
    const uint8_t *p = data, *end = data + n;
    fld f;
    while (next_field(&d, &p, end, &f)) {
        if (f.no != 1 || f.wt != WT_LEN) { fail(&d, f.off, "top-level field %u wire type %d is not a packet", f.no, f.wt); break; }
        parse_packet(&d, &sq, t->npackets++, f.s, f.s + f.n);
    }
    for (size_t i = 0; i < sq.n; i++)
        for (int k = 0; k < TAB__N; k++) tab_clear(&sq.v[i].tab[k]);
    free(sq.v);
    return d.failed ? -1 : 0;
}

void pb_free(pb_trace *t) {
    for (size_t i = 0; i < t->ntracks; i++) {
        free(t->tracks[i].name);
        free(t->tracks[i].description);
        free(t->tracks[i].counter_unit_name);
        free(t->tracks[i].merge_key);
    }
    free(t->tracks);
    for (size_t i = 0; i < t->nevents; i++) free_event(&t->events[i]);
    free(t->events);
    memset(t, 0, sizeof *t);
}

const pb_track *pb_track_by_uuid(const pb_trace *t, uint64_t uuid) {
    for (size_t i = 0; i < t->ntracks; i++)
        if (t->tracks[i].uuid == uuid) return &t->tracks[i];
    return NULL;
}

const pb_track *pb_track_by_name(const pb_trace *t, const char *name) {
    for (size_t i = 0; i < t->ntracks; i++)
        if (t->tracks[i].name && strcmp(t->tracks[i].name, name) == 0) return &t->tracks[i];
    return NULL;
}

const pb_annot *pb_event_annot(const pb_event *e, const char *name) {
    for (size_t i = 0; i < e->nann; i++)
        if (e->ann[i].name && strcmp(e->ann[i].name, name) == 0) return &e->ann[i];
    return NULL;
}
