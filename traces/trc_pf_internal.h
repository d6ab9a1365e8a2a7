/* The Perfetto writer's internals, shared by traces/trc_perfetto.c (the
 * driver) and traces/trc_pf_*.c (one concern each):
 *   trc_pf_out.c       the output block and the generic event packet
 *   trc_pf_intern.c    interned names (fixed and made up at export time)
 *   trc_pf_tracks.c    track descriptors: processes, threads, object tracks, ids
 *   trc_pf_units.c     per-unit sequences: lifetime, state slices; marks, losses
 *   trc_pf_flows.c     the item and hand-off flows' ends, one sequence in time order
 *   trc_pf_pending.c   flows started and not yet ended, by end time (the flow writers' sweep)
 *   trc_pf_instants.c  the textbook's point events and the flows between them
 *   trc_pf_objects.c   per-object sequences: counters, owner slices, event set spans
 *   trc_pf_futures.c   a pool's futures on lanes
 *   trc_pf_side.c      the counter sample sequences encoded on a helper thread
 *   trc_pf_ends.c      a deadlock or stuck end: instants on the units involved
 * The format: shared/perfetto/SPEC.md; what a trace holds: trc_perfetto.c. */
#ifndef WEFT_TRC_PF_INTERNAL_H
#define WEFT_TRC_PF_INTERNAL_H

#include "traces/trc.h"

#include <string.h>

#define PF_BLOCK (1u << 20)          /* output block, flushed when full */
#define PF_PAD 64u                   /* bytes allocated past the block's capacity (word stores: pb_var, pf_tpl_put) */
#define PF_SYNTH_ID0 (1u << 30)      /* synthetic pids/tids start here */
#define PF_INT63 ((uint64_t)INT64_MAX)

/* ---- the output block and the protobuf primitives ---------------------- */

typedef struct pf_out {
    FILE *f;
    uint8_t *buf;
    size_t n, cap;
    int err;             /* sticky -ERR_xxx */
    int err_no;
    struct pf_side *side;   /* the writer's: a helper's blocks, one written after each block of its own */
    struct pf_side *prod;   /* the helper's: its full blocks go to the writer (f is NULL) */
} pf_out;

bool pf_flush(pf_out *o);
bool pf_need_slow(pf_out *o, size_t bound);

/* Room for `bound` more bytes. Called only between packets. */
static inline bool pf_need(pf_out *o, size_t bound) {
    return o->cap - o->n >= bound || pf_need_slow(o, bound);
}

/* A varint. Up to 56 bits, its bytes are made in a register (each 7-bit
 * group spread to a byte, the continuation bits or'ed in) and stored as one
 * 8-byte word: the block has PF_PAD bytes past its capacity for that store. */
static inline uint8_t *pb_var(uint8_t *p, uint64_t v) {
    if (v < 0x80) { *p = (uint8_t)v; return p + 1; }
    while (v >= (1ull << 56)) { *p++ = (uint8_t)(v | 0x80); v >>= 7; }
    unsigned n = ((unsigned)(64 - __builtin_clzll(v | 1)) + 6) / 7;   /* bytes: 1..8 */
    uint64_t x = (v & 0xFFFFFFFull) | ((v & 0xFFFFFFF0000000ull) << 4);
    x = (x & 0x00003FFF00003FFFull) | ((x & 0x0FFFC0000FFFC000ull) << 2);
    x = (x & 0x007F007F007F007Full) | ((x & 0x3F803F803F803F80ull) << 1);
    x |= 0x8080808080808080ull & ((1ull << (8 * (n - 1))) - 1);
    wr_u64le(p, x);
    return p + n;
}

static inline uint8_t *pb_fixed64(uint8_t *p, uint64_t v) {
    wr_u64le(p, v);
    return p + 8;
}

static inline uint8_t *pb_str(uint8_t *p, const char *s, size_t n) {
    p = pb_var(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* A nested message: the caller wrote the tag; reserve one length byte. */
static inline uint8_t *pb_open(uint8_t *p, uint8_t **len_at) {
    *len_at = p;
    return p + 1;
}

uint8_t *pb_close_long(uint8_t *len_at, uint8_t *end, size_t len);

/* Writes the message length; returns the new end (moved if the length took more than a byte). */
static inline uint8_t *pb_close(uint8_t *len_at, uint8_t *end) {
    size_t len = (size_t)(end - len_at - 1);
    if (len < 0x80) { *len_at = (uint8_t)len; return end; }
    return pb_close_long(len_at, end, len);
}

/* ---- field tags (SPEC §2) ---------------------------------------------- */

enum {
    T_PACKET = 0x0a,
    /* TracePacket */
    TP_TIMESTAMP = 0x40, TP_SEQ_ID = 0x50, TP_SEQ_FLAGS = 0x68, TP_INTERNED = 0x62, TP_TRACK_EVENT = 0x5a,
    /* TrackDescriptor */
    TD_UUID = 0x08, TD_NAME = 0x12, TD_PROCESS = 0x1a, TD_THREAD = 0x22, TD_PARENT = 0x28, TD_COUNTER = 0x42,
    TD_CHILD_ORDERING = 0x58, TD_RANK = 0x60, TD_DESCRIPTION = 0x72, TD_MERGE = 0x78,
    /* ProcessDescriptor / ThreadDescriptor / CounterDescriptor */
    PD_PID = 0x08, PD_NAME = 0x32, THD_PID = 0x08, THD_TID = 0x10, THD_NAME = 0x2a,
    CD_UNIT = 0x18, CD_UNIT_NAME = 0x32, CD_SHARE_KEY = 0x3a,
    /* TrackEvent */
    TE_ANNOT = 0x22, TE_TYPE = 0x48, TE_NAME_IID = 0x50, TE_TRACK = 0x58,
    /* DebugAnnotation */
    DA_NAME_IID = 0x08, DA_UINT = 0x18, DA_INT = 0x20, DA_STRING = 0x32,
    /* InternedData and its entries */
    ID_EVENT_NAME = 0x12, ID_ANNOT_NAME = 0x1a, EN_IID = 0x08, EN_NAME = 0x12,
};
/* two-byte tags */
#define TP_TRACK_DESC_0 0xe2
#define TP_TRACK_DESC_1 0x03
#define TP_FIRST_ON_SEQ_0 0xb8
#define TP_FIRST_ON_SEQ_1 0x05
#define TD_PROCESS_ORDERING_0 0x98
#define TD_THREAD_ORDERING_0 0xa0
#define TD_MERGE_KEY_0 0x82
#define TD_MERGE_KEY_1 0x01
#define TE_NAME_0 0xba
#define TE_COUNTER_0 0xf0
#define TE_FLOW_0 0xf9
#define TE_FLOW_1 0x02
#define TE_TFLOW_0 0x81
#define TE_TFLOW_1 0x03
#define DA_STR_IID_0 0x88
#define ID_ANNOT_STR_0 0xea

enum { TYPE_BEGIN = 1, TYPE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };
enum { SEQ_CLEARED = 1, SEQ_NEEDS = 2 };
enum { MERGE_NONE = 2, MERGE_BY_KEY = 3, ORDER_EXPLICIT = 3, COUNTER_UNIT_TIME_NS = 1, COUNTER_UNIT_COUNT = 2,
       COUNTER_UNIT_SIZE_BYTES = 3 };

/* ---- a small set of used ids (trc_pf_tracks.c) --------------------------- */

typedef struct pf_idset { uint64_t *k; size_t cap, n; } pf_idset;
bool pf_idset_has(const pf_idset *s, uint64_t key);
bool pf_idset_add(pf_idset *s, uint64_t key);   /* key != 0 */

#define PF_KEY_PID(v) ((1ull << 40) | (uint32_t)(v))
#define PF_KEY_TID(v) ((2ull << 40) | (uint64_t)(v))

/* ---- per-run state ------------------------------------------------------ */

/* Interned event names, iid:
 *   1 .. TRC_ST__COUNT             state names (iid = state + 1)
 *   IID_UNIT(u)                    unit names (lifetime and owner slices)
 *   IID_OBJ(o, k)                  per object (0-based): k = 0..3 "blocked on X (<op k>)",
 *                                  k = 4 "put X", 5 "get X", 6 "release X", 7 "acquire X" */
#define IID_UNIT(pr, u) (1u + TRC_ST__COUNT + (u))
#define IID_OBJ(pr, o, k) (1u + TRC_ST__COUNT + (pr)->nunits + 8u * (o) + (k))
enum { K_PUT = 4, K_GET = 5, K_RELEASE = 6, K_ACQUIRE = 7 };
/* Interned debug annotation names. */
enum { DN_OBJECT = 1, DN_OUTCOME = 2, DN_ITEM = 3, DN_EXIT = 4, DN_FUTURE = 5, DN_SEQ = 6, DN_WOKEN = 7,
       DN_GENERATION = 8, DN_VALUE = 9, DN_LOST = 10, DN_UNFINISHED = 11, DN_DEPTH = 12,
       DN_OP = 13, DN_WAITS_FOR = 14, DN_CYCLE = 15, DN_WAITED = 16, DN_UNIT = 17, DN__COUNT = 18 };
extern const char *const pf_dn_names[DN__COUNT];
/* Interned annotation string values, iid: 1 + o object names, then 6 outcomes
 * (the last is "unknown"), then 6 exit texts. */
#define PF_OUTCOMES 6u
#define PF_OUTCOME_OF(aux) ((aux) < PF_OUTCOMES - 1 ? (aux) : PF_OUTCOMES - 1)
#define SV_OBJ(o) (1u + (o))
#define SV_OUTCOME(pr, k) (1u + (pr)->nobjects + (k))
#define SV_EXIT(pr, j) (1u + (pr)->nobjects + PF_OUTCOMES + (j))
extern const char *const pf_exit_text[7];
#define SV__COUNT(pr) (1u + (pr)->nobjects + PF_OUTCOMES + 7u)

/* Names made up at export time ("notify cv", "spawn worker.1", "a (depth 3)"),
 * interned like the fixed ones with iids from dyn_base up. */
typedef struct pf_dyn {
    char *text; size_t ntext, cap_text;     /* NUL-terminated names, back to back */
    size_t *off; uint32_t n; size_t cap_off;
    uint32_t *slot; uint32_t cap_slot;      /* open addressing: index + 1, 0 = empty */
} pf_dyn;


typedef struct pf_run {
    pf_out *o;
    const trc_run *run;
    const trc_model *m;
    uint32_t nunits, nobjects;
    uint32_t seq;           /* the sequence being written */
    uint32_t *next_seq;     /* trace-wide sequence id counter */
    uint64_t origin;        /* added to every relative time: 0 with several runs, else the run's start */
    uint64_t t_first;       /* the earliest start of the recording's runs (CLOCK_MONOTONIC ns) */
    uint64_t uuid0;         /* process track; see the pf_uuid_* helpers */
    uint64_t flow_base;
    bool started;           /* first packet of the sequence written */
    size_t slack;           /* bound on one packet's size (marks add their text) */
    uint32_t *name_done;    /* per event-name iid: the sequence it was interned on */
    uint32_t *str_done;     /* per annotation string iid: likewise */
    uint32_t dn_done[DN__COUNT];
    uint64_t *in_last;      /* per unit: 1 + the time of its last incoming item/hand-off flow end (0: none) */
    uint32_t dyn_base;      /* first iid of pf_dyn names */
    size_t name_cap;        /* entries of name_done */
    pf_dyn dyn;
    uint32_t *lane0;        /* per object: its first lane (global in the run) */
    uint32_t nlanes;        /* lanes of every pool */
    int nomem;              /* an allocation failed (sticky) */
    uint32_t pid;           /* the run's process (pf_desc_process) */
    struct pf_owner *own;   /* per object, when the owners are streamed from the model's sink; else NULL */
    bool samples_aside;     /* the counter sample sequences are the helper thread's (trc_pf_side.c) */
    uint64_t max_flow_id;   /* the model's largest flow id (pf_flows_last; 0 before it or without flows) */
} pf_run;

/* Starts a new sequence: its first packet clears incremental state, and
 * every interned string has to be defined again on it. */
static inline void pf_seq_begin(pf_run *pr) {
    pr->seq = (*pr->next_seq)++;
    pr->started = false;
}

/* uuids of a run: the process, its units, four per object, the task groups, the future lanes */
static inline uint64_t pf_uuid_unit(const pf_run *pr, uint32_t u) { return pr->uuid0 + 1 + u; }
static inline uint64_t pf_uuid_obj(const pf_run *pr, uint32_t o, uint32_t k) {
    return pr->uuid0 + 1 + pr->nunits + 4ull * o + k;
}
static inline uint64_t pf_uuid_depth(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 0); }
static inline uint64_t pf_uuid_owner(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 1); }
static inline uint64_t pf_uuid_level(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 2); }
static inline uint64_t pf_uuid_setspan(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 3); }
/* group of tasks whose loop is unit g (g == nunits: tasks without a loop) */
static inline uint64_t pf_uuid_group(const pf_run *pr, uint32_t g) {
    return pr->uuid0 + 1 + pr->nunits + 4ull * pr->nobjects + g;
}
static inline uint64_t pf_uuid_lane(const pf_run *pr, uint32_t lane) {
    return pr->uuid0 + 2 + 2ull * pr->nunits + 4ull * pr->nobjects + lane;
}
/* an event loop's counters: k = 0 the tasks ready at each tick, 1 its lag */
static inline uint64_t pf_uuid_loop(const pf_run *pr, uint32_t u, uint32_t k) {
    return pr->uuid0 + 2 + 2ull * pr->nunits + 4ull * pr->nobjects + pr->nlanes + 2ull * u + k;
}
/* the run's CPUs (k < ncpus), then its "units wanting a CPU" counter (k == ncpus) */
static inline uint64_t pf_uuid_cpu(const pf_run *pr, uint32_t k) {
    return pr->uuid0 + 2 + 4ull * pr->nunits + 4ull * pr->nobjects + pr->nlanes + k;
}
/* the memory of the run's process i (m->mem.procs): k 0 resident, 1 virtual */
static inline uint64_t pf_uuid_mem(const pf_run *pr, uint32_t i, uint32_t k) {
    return pf_uuid_cpu(pr, pr->m->sched.ncpus) + 1 + 2ull * i + k;
}
static inline uint64_t pf_uuid_count(uint32_t nunits, uint32_t nobjects, uint32_t nlanes, uint32_t ncpus, uint32_t nmem) {
    return 2 + 4ull * nunits + 4ull * nobjects + nlanes + ncpus + 1 + 2ull * nmem;
}

static inline const char *pf_s(const char *s) { return s ? s : ""; }

static inline const char *pf_obj_name(const pf_run *pr, uint32_t o) { return pf_s(pr->run->objects[o].name); }

/* ---- interning (trc_pf_intern.c) ------------------------------------------ */

uint32_t pf_dyn_iid(pf_run *pr, const char *name);
void pf_dyn_free(pf_dyn *d);
uint32_t pf_dyn_fmt(pf_run *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint8_t *pf_intern_name(const pf_run *pr, uint8_t *p, uint32_t iid);
uint8_t *pf_intern_dn(uint8_t *p, uint32_t iid);
uint8_t *pf_intern_sv(const pf_run *pr, uint8_t *p, uint32_t iid);

/* ---- event packets ------------------------------------------------------- */

/* One slice/instant/counter event. Annotations: up to six, each a uint or
 * int value, an interned string value (str: v is its iid) or an inline string
 * (text; the caller adds its length to the packet's bound). */
typedef struct pf_ev {
    uint8_t type;
    uint8_t nann;
    uint32_t name_iid;        /* 0: none (END, COUNTER, or inline name) */
    const char *name;         /* inline name (marks) */
    uint64_t track, rel;
    uint64_t flow_out, flow_in;   /* 0 = none */
    const uint64_t *fouts, *fins; /* more flow ids (already based) */
    uint32_t nfouts, nfins;
    int64_t counter;
    struct { uint8_t dn; bool str, sint; uint64_t v; const char *text; } ann[6];   /* sint: v is an int64 */
} pf_ev;

uint8_t *pf_event(pf_run *pr, uint8_t *p, const pf_ev *e);

/* The fast paths write short packets: TracePacket{timestamp, sequence id,
 * [NEEDS_INCREMENTAL_STATE], TrackEvent{type, track, ...}} whose two lengths
 * stay under 128 by construction, so each is one byte, patched at the end. */
static inline uint8_t *pf_fast_open(pf_run *pr, uint8_t *p, uint64_t rel, bool needs, uint8_t type, uint64_t track,
                                    uint8_t **pkt_len, uint8_t **te_len) {
    *p = T_PACKET;
    *pkt_len = p + 1;
    p += 2;
    *p++ = TP_TIMESTAMP;
    p = pb_var(p, pr->origin + rel);
    *p++ = TP_SEQ_ID;
    p = pb_var(p, pr->seq);
    if (needs) {
        *p++ = TP_SEQ_FLAGS;
        *p++ = SEQ_NEEDS;
    }
    *p++ = TP_TRACK_EVENT;
    *te_len = p++;
    *p++ = TE_TYPE;
    *p++ = type;
    *p++ = TE_TRACK;
    return pb_var(p, track);
}

static inline uint8_t *pf_fast_close(uint8_t *p, uint8_t *pkt_len, uint8_t *te_len) {
    *te_len = (uint8_t)(p - te_len - 1);
    *pkt_len = (uint8_t)(p - pkt_len - 1);
    return p;
}

/* The hot path: a slice END or a BEGIN with an already interned name and no args. */
static inline uint8_t *pf_slice_fast(pf_run *pr, uint8_t *p, uint8_t type, uint64_t track, uint64_t rel,
                                     uint32_t iid) {
    uint8_t *pkt_len, *te_len;
    p = pf_fast_open(pr, p, rel, iid != 0, type, track, &pkt_len, &te_len);
    if (iid) {
        *p++ = TE_NAME_IID;
        p = pb_var(p, iid);
    }
    return pf_fast_close(p, pkt_len, te_len);
}

/* The bytes of a pf_slice_fast packet after its timestamp, made once for a
 * run of packets on one track (same type, name and sequence): each packet is
 * then its header, its timestamp and a fixed-size copy of these. */
typedef struct pf_tpl { uint8_t b[64]; uint8_t n; } pf_tpl;

/* An owner track being written (trc_pf_objects.c): its sequence, the
 * packets of a lock's BEGIN (for owner tb_owner) and END, and for an rlock
 * the next sample of its depth series. */
typedef struct pf_owner {
    uint32_t seq;
    bool started, begun;
    bool desc;              /* its descriptor is written (streamed: before its first slice) */
    uint32_t tb_owner;
    size_t j;
    pf_tpl tb, te;
    pf_idset names;         /* the name iids interned on its sequence */
} pf_owner;


static inline void pf_tpl_make(const pf_run *pr, pf_tpl *t, uint8_t type, uint64_t track, uint32_t iid) {
    uint8_t *p = t->b, *te;
    *p++ = TP_SEQ_ID;
    p = pb_var(p, pr->seq);
    if (iid) {
        *p++ = TP_SEQ_FLAGS;
        *p++ = SEQ_NEEDS;
    }
    *p++ = TP_TRACK_EVENT;
    te = p++;
    *p++ = TE_TYPE;
    *p++ = type;
    *p++ = TE_TRACK;
    p = pb_var(p, track);
    if (iid) {
        *p++ = TE_NAME_IID;
        p = pb_var(p, iid);
    }
    *te = (uint8_t)(p - te - 1);
    t->n = (uint8_t)(p - t->b);   /* at most 29 */
}

/* The same packet as pf_slice_fast(pr, p, type, track, rel, iid) for t made of them. */
static inline uint8_t *pf_tpl_put(const pf_run *pr, uint8_t *p, const pf_tpl *t, uint64_t rel) {
    p[0] = T_PACKET;
    p[2] = TP_TIMESTAMP;
    uint8_t *q = pb_var(p + 3, pr->origin + rel);
    memcpy(q, t->b, 32);
    q += t->n;
    p[1] = (uint8_t)(q - p - 2);
    return q;
}

/* A flow end whose name (and "item" annotation name) is already interned. */
static inline uint8_t *pf_instant_fast(pf_run *pr, uint8_t *p, uint64_t track, uint64_t rel, uint32_t iid,
                                       bool out, uint64_t flow, bool has_item, uint64_t item) {
    uint8_t *pkt_len, *te_len;
    p = pf_fast_open(pr, p, rel, true, TYPE_INSTANT, track, &pkt_len, &te_len);
    *p++ = TE_NAME_IID;
    p = pb_var(p, iid);
    if (has_item) {
        uint8_t *a_len;
        *p++ = TE_ANNOT;
        a_len = p++;
        *p++ = DA_NAME_IID;
        *p++ = DN_ITEM;
        *p++ = DA_UINT;
        p = pb_var(p, item);
        *a_len = (uint8_t)(p - a_len - 1);
    }
    *p++ = out ? TE_FLOW_0 : TE_TFLOW_0;
    *p++ = out ? TE_FLOW_1 : TE_TFLOW_1;
    p = pb_fixed64(p, flow);
    return pf_fast_close(p, pkt_len, te_len);
}

/* A counter sample on a sequence that has started. */
static inline uint8_t *pf_counter_fast(pf_run *pr, uint8_t *p, uint64_t track, uint64_t rel, int64_t v) {
    uint8_t *pkt_len, *te_len;
    p = pf_fast_open(pr, p, rel, false, TYPE_COUNTER, track, &pkt_len, &te_len);
    *p++ = TE_COUNTER_0;
    *p++ = 0x01;
    p = pb_var(p, (uint64_t)v);
    return pf_fast_close(p, pkt_len, te_len);
}

/* Each writer below starts its sequence, then writes packets in time order.
 * Every packet is preceded by pf_need(slack), so the pointer arithmetic on
 * the block stays in bounds. */
#define PF_BEGIN_PACKET(pr, extra)                          \
    do {                                                     \
        if (!pf_need((pr)->o, (pr)->slack + (extra))) return (pr)->o->err; \
    } while (0)

static inline void pf_put(pf_run *pr, const pf_ev *e) {
    pf_out *o = pr->o;
    o->n = (size_t)(pf_event(pr, o->buf + o->n, e) - o->buf);
}

static inline bool pf_flow_ok(const pf_run *pr, const trc_flow *f) {
    return f->obj >= 1 && f->obj <= pr->nobjects && f->u0 < pr->nunits && f->u1 < pr->nunits &&
           f->t0 <= f->t1 && (f->kind == TRC_FLOW_ITEM || f->kind == TRC_FLOW_HANDOFF);
}

static inline bool pf_span_shown(const trc_span *s) {
    return s->state != TRC_ST_RUNNING && s->state != TRC_ST_DONE && s->state < TRC_ST__COUNT;
}

/* Flows in flight during a sweep in start order: their ends by (time, flow
 * index), a min-heap (trc_pf_pending.c). It holds only the flows that have
 * started and not ended at the sweep's time, never all of them. */
typedef struct pf_pend { uint64_t t; uint64_t flow; } pf_pend;
typedef struct pf_pending { pf_pend *v; size_t n, cap, peak; } pf_pending;
int pf_pending_push(pf_pending *h, uint64_t t, uint64_t flow);   /* -ERR_NOMEM */
pf_pend pf_pending_pop(pf_pending *h);                           /* h->n > 0 */
static inline const pf_pend *pf_pending_top(const pf_pending *h) { return h->n ? &h->v[0] : NULL; }
void pf_pending_free(pf_pending *h);

/* ---- the helper thread (trc_pf_side.c) ------------------------------------ */

/* A counter sample sequence: its track and samples. */
typedef struct pf_job { uint64_t track; const trc_sample *v; size_t n; uint32_t seq; } pf_job;
/* Starts encoding jobs[0..n) on a helper thread when their samples are many (trc_pf_helper_min):
 * their sequence ids are taken now, in order; returns 1 when it runs (the jobs are then its),
 * 0 when the caller writes them itself, or -ERR_NOMEM. */
int pf_side_start(pf_run *pr, pf_job *jobs, size_t n);
/* Writes the helper's remaining blocks and ends it; stop (a failure): ends it without them.
 * 0, or the helper's failure. */
int pf_side_end(pf_run *pr, bool stop);
void pf_side_take(pf_out *o);      /* the writer: one of the helper's blocks, if it has more */
bool pf_side_put(pf_out *o);       /* the helper: its block is full, hand it over */

/* ---- descriptors (trc_pf_tracks.c) ------------------------------------------ */

typedef struct pf_ids {
    pf_idset used;
    uint32_t next;          /* next synthetic id */
} pf_ids;

void pf_root_descriptor(pf_out *o);
/* The run's process track (before its model is built: mk is its makespan, known from the file),
 * then, once it is built, every other track of the run but the owner tracks already described. */
int pf_desc_process(pf_run *pr, const trc_recording *rec, uint32_t r, pf_ids *ids, uint64_t mk);
int pf_descriptors(pf_run *pr, pf_ids *ids);
void pf_desc_owner(pf_run *pr, uint32_t ob);   /* an object's owner (holder, writer) track */

/* ---- the sequences ---------------------------------------------------------- */

int pf_seq_unit(pf_run *pr, uint32_t u);           /* trc_pf_units.c */
int pf_seq_marks(pf_run *pr);
int pf_seq_losses(pf_run *pr);
void pf_flow_instant(pf_run *pr, uint32_t kind, uint32_t obj, uint32_t u, uint64_t t, uint64_t id,
                     uint64_t item_id, bool out, bool has_value, int64_t value);   /* trc_pf_flows.c */
int pf_flows_last(pf_run *pr);
int pf_seq_flows(pf_run *pr);
int pf_seq_instants(pf_run *pr);                   /* trc_pf_instants.c */
int pf_slice(pf_run *pr, uint8_t type, uint64_t track, uint64_t t, uint32_t iid);   /* trc_pf_objects.c */
int pf_seq_samples(pf_run *pr, uint64_t track, const trc_sample *v, size_t n);
int pf_samples_on(pf_run *pr, uint32_t seq, uint64_t track, const trc_sample *v, size_t n);   /* sequence seq */
int pf_seq_owner(pf_run *pr, uint32_t ob);
/* trc_model_opts.owner_sink with ctx = the pf_run: an owner slice as the model closes it */
int pf_owner_sink(void *ctx, const trc_model *m, uint32_t ob, const trc_owner_span *os);
int pf_seq_set(pf_run *pr, uint32_t ob);
int pf_lanes(pf_run *pr);                          /* trc_pf_futures.c */
int pf_seq_futures(pf_run *pr, uint32_t ob);
int pf_seq_ends(pf_run *pr);                       /* trc_pf_ends.c */
/* A track of the run's process that belongs to no object: a counter when unit is given. */
void pf_desc_plain(pf_run *pr, uint64_t uuid, const char *name, const char *unit, const char *desc);   /* trc_pf_tracks.c */
/* The same with the counter's unit given (COUNTER_UNIT_*). */
void pf_desc_counter(pf_run *pr, uint64_t uuid, const char *name, int cunit, const char *unit, const char *desc);
void pf_desc_mem(pf_run *pr);                      /* trc_pf_mem.c */
int pf_seq_mem(pf_run *pr);
void pf_desc_sched(pf_run *pr);                    /* trc_pf_sched.c */
int pf_seq_sched(pf_run *pr);

#endif
