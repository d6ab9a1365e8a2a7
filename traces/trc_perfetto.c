/* Perfetto export: a native protobuf TracePacket stream (Trace = repeated
 * TracePacket packet = 1), written by our own streaming encoder.
 * Format reference: shared/perfetto/SPEC.md; traps: shared/perfetto/PITFALLS.md.
 *
 * What the trace holds (everything comes from the derived model, so it agrees
 * with the viewer and the stats):
 *
 *  - A descriptor for uuid 0 asks for EXPLICIT process and thread ordering, so
 *    runs appear in recording order and units in unit order (v57+; ignored by
 *    older UIs).
 *  - Run r is one process track, "<scenario> (<backend>)"; with several runs it
 *    is "run N: <scenario> (<backend>, <params that differ between runs>)". Its
 *    pid is the units' real pid when they all share one that no earlier run
 *    used, else a synthetic pid. Synthetic ids count up from 2^30, above any
 *    Linux pid (PID_MAX_LIMIT is 2^22), so they never collide with real ones.
 *  - Every unit is a thread track of its run's process: tid = the unit's real
 *    tid, else its real pid (a process unit), else synthetic; a tid is never
 *    used twice in one trace (SPEC 3.3: globally unique tids). Coroutine tasks
 *    are not OS threads: each is a custom track (merge behaviour NONE) under a
 *    group "tasks on <loop>" shown next to its loop's thread (SPEC 4.6).
 *  - On a unit's track: one lifetime slice named after the unit (from its first
 *    event to its exit, arg "exit"), and nested in it one slice per model span:
 *    "computing", "sleeping", "blocked on <obj> (<op>)" (args "object" and
 *    "outcome"; a RESULT wait adds "future"; a JOIN wait is "blocked on
 *    <unit> (join)"), "ready" (a task that can run, waiting for its loop).
 *    RUNNING is the gap inside the lifetime slice (it is half the spans and
 *    would double the trace for no information); DONE and a pool worker's idle
 *    wait are omitted. A daemon cut off at exit has "exit" = "killed (...)".
 *  - An event loop's track has "idle" while it waits in select and "blocked by
 *    <task> (computing|sleeping)" while a task stops it; under it, counter
 *    tracks "<loop> ready" (tasks ready at each iteration) and "<loop> lag"
 *    (ns: how late its deadlines fired), and the tasks' group. "cancel <task>"
 *    and "cancelled ..." instants say where a cancellation was asked and
 *    where it was delivered.
 *  - A queue is a counter track "<q> depth" (unit "items") under the process,
 *    with one sample per model depth sample (the first is 0 at the run start).
 *  - A lock is a custom track "<m> owner" under the process, one slice per
 *    ownership named after the owning unit. An owner is a category, not a
 *    quantity, so slices (SPEC 3.4: slices for intervals, counters for values);
 *    a counter of unit ids would read as nonsense numbers. An rlock's slice
 *    says how deep it went ("a (depth 3)") and nests slices "depth 2",
 *    "depth 3" for the times it was held that deep; an rwlock's writers are
 *    "<rw> writer" the same way.
 *  - Quantities are counter tracks under the process: "<s> permits in use"
 *    (semaphores), "<rw> readers", "<c> value" (counters), "<b> arrived"
 *    (barriers), one sample per model level sample. An event's set state is
 *    a slice track "<e> set", one slice "set by <unit>" per SET..CLEAR.
 *  - A pool's futures are slices "future <id>" (args "future", "outcome")
 *    from the first of submit/start/cancel/done to done, cancel or callback
 *    (the run's end if never finished), with nested "pending" and "running"
 *    and instants "cancelled" and "callback". Futures overlap, so they go on
 *    lanes (a future takes the lane that freed first), each lane a custom
 *    track "<pool> futures" merged by key into one visual track (SPEC 4.7:
 *    one track per concurrent operation, same lane in the UI).
 *  - Flows (SPEC 3.5, 4.4, 4.5): each model flow becomes two instants on the
 *    units' tracks: "put q" (flow_ids) -> "get q" (terminating_flow_ids), both
 *    with arg "item", for TRC_FLOW_ITEM; "release m" -> "acquire m" for
 *    TRC_FLOW_HANDOFF. Instants exist exactly at t0 and t1 (flows bind to
 *    slices, and the state slices are not there at those times: a put happens
 *    while RUNNING). Flow ids are namespaced per run: base(run) + model id.
 *  - Marks are instants on their unit's track, named by the mark text.
 *  - The textbook's point events are instants on their unit's track: "notify
 *    cv", "set e", "clear e", "open b", "spawn w", "joined w", "submit p",
 *    "start p", "done p", "cancel p", "callback p", "result p", "lost update
 *    c", "task_done q", "killed (daemon)", a LOCAL_SET's text; with args (seq,
 *    woken, generation, future, outcome, value, lost, unfinished). The flows
 *    of the kinds after HANDOFF (notify/set/barrier -> each waiter's "wake"
 *    or "pass", spawn -> "spawned by", "exit" -> joined, submit -> start ->
 *    done -> callback and result) connect these instants: one instant per
 *    event, carrying every flow id that starts or ends there (a notify_all
 *    fans out from one instant).
 *
 * Times: ts = origin + model relative time, with origin = the earliest
 * t_start of the recording's runs. A one-run recording is thus in
 * CLOCK_MONOTONIC ns; in a multi-run recording every run starts at the same
 * point so runs line up for comparison (SPEC 4.8); a run's description says by
 * how much it was shifted. timestamp_clock_id stays unset (SPEC 3.2).
 *
 * Sequences (SPEC 3.1: one per writer, each in time order): per run, one for
 * the outgoing flow ends (first in the file), one for the instants of the
 * textbook events, one per unit (its lifetime and state slices merged with
 * its incoming flow ends: at equal times END, then the instant, then BEGIN),
 * one for the marks, and per object one per track. trace_processor sorts by
 * (timestamp, file position), so with the outgoing ends written first a flow
 * starts before it terminates even when both ends share a nanosecond; in the
 * instants' sequence, which holds both ends of its flows, instants at one
 * nanosecond are ordered by stage (a flow's destination is a stage above its
 * source), which does the same. Writing stream after stream needs no merge,
 * which is what keeps the export fast. The first packet of every sequence
 * sets SEQ_INCREMENTAL_STATE_CLEARED|NEEDS and first_packet_on_sequence;
 * interned names (event names, annotation names and string values) are
 * defined lazily in the packet of the sequence that first uses them; every
 * packet that uses one sets NEEDS. Descriptors come before the run's events,
 * without a sequence id.
 *
 * Encoding: packets go straight into one output block (flushed with fwrite
 * when full). Nested lengths reserve one byte and are fixed up when the
 * message closes; the rare message of 128 bytes or more is moved up by the
 * extra varint bytes, so every length is minimal. */
#include "traces/trc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PF_BLOCK (1u << 20)          /* output block, flushed when full */
#define PF_SYNTH_ID0 (1u << 30)      /* synthetic pids/tids start here */
#define PF_INT63 ((uint64_t)INT64_MAX)

/* ---- the output block and the protobuf primitives ---------------------- */

typedef struct pf_out {
    FILE *f;
    uint8_t *buf;
    size_t n, cap;
    int err;             /* sticky -ERR_xxx */
    int err_no;
} pf_out;

static bool pf_flush(pf_out *o) {
    if (o->err) return false;
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) {
        o->err = -ERR_IO;
        o->err_no = errno;
        return false;
    }
    o->n = 0;
    return true;
}

static bool pf_need_slow(pf_out *o, size_t bound) {
    if (!pf_flush(o)) return false;
    if (bound > o->cap) {
        size_t cap = o->cap * 2 > bound ? o->cap * 2 : bound;
        uint8_t *p = realloc(o->buf, cap);
        if (!p) { o->err = -ERR_NOMEM; return false; }
        o->buf = p;
        o->cap = cap;
    }
    return true;
}

/* Room for `bound` more bytes. Called only between packets. */
static inline bool pf_need(pf_out *o, size_t bound) {
    return o->cap - o->n >= bound || pf_need_slow(o, bound);
}

static inline uint8_t *pb_var(uint8_t *p, uint64_t v) {
    while (v >= 0x80) { *p++ = (uint8_t)(v | 0x80); v >>= 7; }
    *p++ = (uint8_t)v;
    return p;
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

static uint8_t *pb_close_long(uint8_t *len_at, uint8_t *end, size_t len) {
    uint8_t tmp[10];
    size_t k = (size_t)(pb_var(tmp, len) - tmp);
    memmove(len_at + k, len_at + 1, len);
    memcpy(len_at, tmp, k);
    return end + k - 1;
}

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
    DA_NAME_IID = 0x08, DA_UINT = 0x18, DA_INT = 0x20,
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
enum { MERGE_NONE = 2, MERGE_BY_KEY = 3, ORDER_EXPLICIT = 3, COUNTER_UNIT_TIME_NS = 1, COUNTER_UNIT_COUNT = 2 };

/* ---- a small set of used ids ------------------------------------------- */

typedef struct pf_idset { uint64_t *k; size_t cap, n; } pf_idset;

static uint64_t pf_mix(uint64_t k) {
    k ^= k >> 31; k *= 0x9e3779b97f4a7c15ull; k ^= k >> 29;
    return k;
}

static bool pf_idset_has(const pf_idset *s, uint64_t key) {
    if (!s->cap) return false;
    for (size_t i = pf_mix(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->k[i] == key) return true;
        if (!s->k[i]) return false;
    }
}

static bool pf_idset_add(pf_idset *s, uint64_t key) {   /* key != 0 */
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *k = calloc(cap, sizeof *k);
        if (!k) return false;
        for (size_t j = 0; j < s->cap; j++) {
            if (!s->k[j]) continue;
            size_t i = pf_mix(s->k[j]) & (cap - 1);
            while (k[i]) i = (i + 1) & (cap - 1);
            k[i] = s->k[j];
        }
        free(s->k);
        s->k = k;
        s->cap = cap;
    }
    size_t i = pf_mix(key) & (s->cap - 1);
    while (s->k[i] && s->k[i] != key) i = (i + 1) & (s->cap - 1);
    if (!s->k[i]) { s->k[i] = key; s->n++; }
    return true;
}

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
       DN_GENERATION = 8, DN_VALUE = 9, DN_LOST = 10, DN_UNFINISHED = 11, DN_DEPTH = 12, DN__COUNT = 13 };
static const char *const pf_dn_names[DN__COUNT] = { "", "object", "outcome", "item", "exit", "future", "seq",
                                                    "woken", "generation", "value", "lost", "unfinished", "depth" };
/* Interned annotation string values, iid: 1 + o object names, then 6 outcomes
 * (the last is "unknown"), then 7 exit texts. */
#define PF_OUTCOMES 6u
#define PF_OUTCOME_OF(aux) ((aux) < PF_OUTCOMES - 1 ? (aux) : PF_OUTCOMES - 1)
#define SV_OBJ(o) (1u + (o))
#define SV_OUTCOME(pr, k) (1u + (pr)->nobjects + (k))
#define SV_EXIT(pr, j) (1u + (pr)->nobjects + PF_OUTCOMES + (j))
static const char *const pf_exit_text[7] = { "exited", "aborted", "still running at the end",
                                             "killed (a daemon cut off at exit)", "died of an error it did not catch",
                                             "unknown (its last events were lost)", "cancelled" };
#define SV__COUNT(pr) (1u + (pr)->nobjects + PF_OUTCOMES + 7u)

/* Names made up at export time ("notify cv", "spawn worker.1", "a (depth 3)"),
 * interned like the fixed ones with iids from dyn_base up. */
typedef struct pf_dyn {
    char *text; size_t ntext, cap_text;     /* NUL-terminated names, back to back */
    size_t *off; uint32_t n; size_t cap_off;
    uint32_t *slot; uint32_t cap_slot;      /* open addressing: index + 1, 0 = empty */
} pf_dyn;

/* Orders a unit's own packets at equal times: END, then incoming-flow instants, then BEGIN. */
enum { P_END = 0, P_IN = 1, P_BEGIN = 2 };
#define KEY(t, prio) ((t) << 2 | (prio))

typedef struct pf_run {
    pf_out *o;
    const trc_run *run;
    const trc_model *m;
    uint32_t nunits, nobjects;
    uint32_t seq;           /* the sequence being written */
    uint32_t *next_seq;     /* trace-wide sequence id counter */
    uint64_t origin;        /* added to every relative time */
    uint64_t uuid0;         /* process track; see the pf_uuid_* helpers */
    uint64_t flow_base;
    bool started;           /* first packet of the sequence written */
    size_t slack;           /* bound on one packet's size (marks add their text) */
    uint32_t *name_done;    /* per event-name iid: the sequence it was interned on */
    uint32_t *str_done;     /* per annotation string iid: likewise */
    uint32_t dn_done[DN__COUNT];
    struct pf_in *in;       /* incoming flow ends grouped by unit, sorted by time */
    size_t *in_off;         /* nunits + 2 */
    uint32_t dyn_base;      /* first iid of pf_dyn names */
    size_t name_cap;        /* entries of name_done */
    pf_dyn dyn;
    uint32_t *lane0;        /* per object: its first lane (global in the run) */
    uint32_t nlanes;        /* lanes of every pool */
    int nomem;              /* an allocation failed (sticky) */
} pf_run;

/* Starts a new sequence: its first packet clears incremental state, and
 * every interned string has to be defined again on it. */
static void pf_seq_begin(pf_run *pr) {
    pr->seq = (*pr->next_seq)++;
    pr->started = false;
}

/* uuids of a run: the process, its units, four per object, the task groups, the future lanes */
static uint64_t pf_uuid_unit(const pf_run *pr, uint32_t u) { return pr->uuid0 + 1 + u; }
static uint64_t pf_uuid_obj(const pf_run *pr, uint32_t o, uint32_t k) {
    return pr->uuid0 + 1 + pr->nunits + 4ull * o + k;
}
static uint64_t pf_uuid_depth(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 0); }
static uint64_t pf_uuid_owner(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 1); }
static uint64_t pf_uuid_level(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 2); }
static uint64_t pf_uuid_setspan(const pf_run *pr, uint32_t o) { return pf_uuid_obj(pr, o, 3); }
/* group of tasks whose loop is unit g (g == nunits: tasks without a loop) */
static uint64_t pf_uuid_group(const pf_run *pr, uint32_t g) {
    return pr->uuid0 + 1 + pr->nunits + 4ull * pr->nobjects + g;
}
static uint64_t pf_uuid_lane(const pf_run *pr, uint32_t lane) {
    return pr->uuid0 + 2 + 2ull * pr->nunits + 4ull * pr->nobjects + lane;
}
/* a loop's counters: k = 0 the tasks ready at each tick, 1 its lag */
static uint64_t pf_uuid_loop(const pf_run *pr, uint32_t u, uint32_t k) {
    return pr->uuid0 + 2 + 2ull * pr->nunits + 4ull * pr->nobjects + pr->nlanes + 2ull * u + k;
}
static uint64_t pf_uuid_count(uint32_t nunits, uint32_t nobjects, uint32_t nlanes) {
    return 2 + 4ull * nunits + 4ull * nobjects + nlanes;
}

static const char *pf_s(const char *s) { return s ? s : ""; }

static const char *pf_obj_name(const pf_run *pr, uint32_t o) { return pf_s(pr->run->objects[o].name); }

static uint64_t pf_str_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The iid of a made-up name (copied on first use); 0 when out of memory. */
static uint32_t pf_dyn_iid(pf_run *pr, const char *name) {
    pf_dyn *d = &pr->dyn;
    if (pr->nomem) return 0;
    if ((d->n + 1) * 2 > d->cap_slot) {
        uint32_t cap = d->cap_slot ? d->cap_slot * 2 : 64;
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!slot) { pr->nomem = 1; return 0; }
        for (uint32_t i = 0; i < d->n; i++) {
            uint32_t h = (uint32_t)pf_str_hash(d->text + d->off[i]) & (cap - 1);
            while (slot[h]) h = (h + 1) & (cap - 1);
            slot[h] = i + 1;
        }
        free(d->slot);
        d->slot = slot;
        d->cap_slot = cap;
    }
    uint32_t h = (uint32_t)pf_str_hash(name) & (d->cap_slot - 1);
    for (; d->slot[h]; h = (h + 1) & (d->cap_slot - 1))
        if (strcmp(d->text + d->off[d->slot[h] - 1], name) == 0) return pr->dyn_base + d->slot[h] - 1;
    size_t len = strlen(name) + 1;
    uint32_t iid = pr->dyn_base + d->n;
    if (iid + 1 > pr->name_cap) {
        size_t cap = pr->name_cap * 2 > (size_t)iid + 1 ? pr->name_cap * 2 : (size_t)iid + 1;
        uint32_t *nd = realloc(pr->name_done, cap * sizeof *nd);
        if (!nd) { pr->nomem = 1; return 0; }
        memset(nd + pr->name_cap, 0, (cap - pr->name_cap) * sizeof *nd);
        pr->name_done = nd;
        pr->name_cap = cap;
    }
    if (d->ntext + len > d->cap_text) {
        size_t cap = d->cap_text * 2 > d->ntext + len ? d->cap_text * 2 : d->ntext + len + 4096;
        char *t = realloc(d->text, cap);
        if (!t) { pr->nomem = 1; return 0; }
        d->text = t;
        d->cap_text = cap;
    }
    if (d->n + 1 > d->cap_off) {
        size_t cap = d->cap_off ? d->cap_off * 2 : 64;
        size_t *off = realloc(d->off, cap * sizeof *off);
        if (!off) { pr->nomem = 1; return 0; }
        d->off = off;
        d->cap_off = cap;
    }
    memcpy(d->text + d->ntext, name, len);
    d->off[d->n] = d->ntext;
    d->ntext += len;
    d->slot[h] = ++d->n;
    return iid;
}

static void pf_dyn_free(pf_dyn *d) {
    free(d->text);
    free(d->off);
    free(d->slot);
}

/* printf into a name, then intern it. */
static uint32_t pf_dyn_fmt(pf_run *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static uint32_t pf_dyn_fmt(pf_run *pr, const char *fmt, ...) {
    char name[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return pf_dyn_iid(pr, name);
}

/* ---- interned strings ---------------------------------------------------- */

static uint8_t *pf_name_text(const pf_run *pr, uint8_t *p, uint32_t iid) {
    uint8_t *len_at;
    p = pb_open(p, &len_at);
    const char *a = NULL;
    if (iid >= pr->dyn_base) {
        a = pr->dyn.text + pr->dyn.off[iid - pr->dyn_base];
    } else if (iid <= TRC_ST__COUNT) {
        a = trc_state_name(iid - 1);
    } else if (iid < IID_OBJ(pr, 0, 0)) {
        a = pf_s(pr->run->units[iid - IID_UNIT(pr, 0)].name);
    } else {
        uint32_t rel = iid - IID_OBJ(pr, 0, 0), o = rel / 8, k = rel % 8;
        static const char *const verb[8] = { "blocked on ", "blocked on ", "blocked on ", "blocked on ",
                                             "put ", "get ", "release ", "acquire " };
        size_t n = strlen(verb[k]);
        memcpy(p, verb[k], n);
        p += n;
        const char *on = pf_obj_name(pr, o);
        n = strlen(on);
        memcpy(p, on, n);
        p += n;
        if (k >= 1 && k <= 3) {
            const char *op = trc_op_name(k);
            *p++ = ' ';
            *p++ = '(';
            n = strlen(op);
            memcpy(p, op, n);
            p += n;
            *p++ = ')';
        }
    }
    if (a) {
        size_t n = strlen(a);
        memcpy(p, a, n);
        p += n;
    }
    return pb_close(len_at, p);
}

static uint8_t *pf_intern_name(const pf_run *pr, uint8_t *p, uint32_t iid) {
    uint8_t *len_at;
    *p++ = ID_EVENT_NAME;
    p = pb_open(p, &len_at);
    *p++ = EN_IID;
    p = pb_var(p, iid);
    *p++ = EN_NAME;
    p = pf_name_text(pr, p, iid);
    return pb_close(len_at, p);
}

static uint8_t *pf_intern_dn(uint8_t *p, uint32_t iid) {
    uint8_t *len_at;
    *p++ = ID_ANNOT_NAME;
    p = pb_open(p, &len_at);
    *p++ = EN_IID;
    p = pb_var(p, iid);
    *p++ = EN_NAME;
    p = pb_str(p, pf_dn_names[iid], strlen(pf_dn_names[iid]));
    return pb_close(len_at, p);
}

static uint8_t *pf_intern_sv(const pf_run *pr, uint8_t *p, uint32_t iid) {
    const char *s;
    if (iid < SV_OUTCOME(pr, 0)) s = pf_obj_name(pr, iid - SV_OBJ(0));
    else if (iid < SV_EXIT(pr, 0)) s = trc_outcome_name(iid - SV_OUTCOME(pr, 0));
    else s = pf_exit_text[iid - SV_EXIT(pr, 0)];
    uint8_t *len_at;
    *p++ = ID_ANNOT_STR_0;
    *p++ = 0x01;
    p = pb_open(p, &len_at);
    *p++ = EN_IID;
    p = pb_var(p, iid);
    *p++ = EN_NAME;          /* InternedString.str = 2, same tag */
    p = pb_str(p, s, strlen(s));
    return pb_close(len_at, p);
}

/* ---- event packets ------------------------------------------------------- */

/* One slice/instant/counter event. Annotations: up to two, each a uint value
 * or an interned string value. */
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
    struct { uint8_t dn; bool str, sint; uint64_t v; } ann[3];   /* sint: v is an int64 */
} pf_ev;

static uint8_t *pf_event(pf_run *pr, uint8_t *p, const pf_ev *e) {
    uint8_t *pkt_len, *len_at;
    bool uses_iids = e->name_iid || e->nann;
    *p++ = T_PACKET;
    p = pb_open(p, &pkt_len);
    *p++ = TP_TIMESTAMP;
    p = pb_var(p, pr->origin + e->rel);
    *p++ = TP_SEQ_ID;
    p = pb_var(p, pr->seq);
    if (!pr->started) {
        pr->started = true;
        *p++ = TP_SEQ_FLAGS;
        *p++ = SEQ_CLEARED | SEQ_NEEDS;
        *p++ = TP_FIRST_ON_SEQ_0;
        *p++ = TP_FIRST_ON_SEQ_1;
        *p++ = 1;
    } else if (uses_iids) {
        *p++ = TP_SEQ_FLAGS;
        *p++ = SEQ_NEEDS;
    }
    if (uses_iids) {
        bool need = e->name_iid && pr->name_done[e->name_iid] != pr->seq;
        for (unsigned i = 0; i < e->nann; i++)
            need |= pr->dn_done[e->ann[i].dn] != pr->seq || (e->ann[i].str && pr->str_done[e->ann[i].v] != pr->seq);
        if (need) {
            *p++ = TP_INTERNED;
            p = pb_open(p, &len_at);
            if (e->name_iid && pr->name_done[e->name_iid] != pr->seq) {
                pr->name_done[e->name_iid] = pr->seq;
                p = pf_intern_name(pr, p, e->name_iid);
            }
            for (unsigned i = 0; i < e->nann; i++) {
                if (pr->dn_done[e->ann[i].dn] != pr->seq) {
                    pr->dn_done[e->ann[i].dn] = pr->seq;
                    p = pf_intern_dn(p, e->ann[i].dn);
                }
            }
            for (unsigned i = 0; i < e->nann; i++) {
                if (e->ann[i].str && pr->str_done[e->ann[i].v] != pr->seq) {
                    pr->str_done[e->ann[i].v] = pr->seq;
                    p = pf_intern_sv(pr, p, (uint32_t)e->ann[i].v);
                }
            }
            p = pb_close(len_at, p);
        }
    }
    *p++ = TP_TRACK_EVENT;
    uint8_t *te_len;
    p = pb_open(p, &te_len);
    *p++ = TE_TYPE;
    *p++ = e->type;
    *p++ = TE_TRACK;
    p = pb_var(p, e->track);
    if (e->name_iid) {
        *p++ = TE_NAME_IID;
        p = pb_var(p, e->name_iid);
    } else if (e->name) {
        *p++ = TE_NAME_0;
        *p++ = 0x01;
        p = pb_str(p, e->name, strlen(e->name));
    }
    for (unsigned i = 0; i < e->nann; i++) {
        *p++ = TE_ANNOT;
        p = pb_open(p, &len_at);
        *p++ = DA_NAME_IID;
        *p++ = e->ann[i].dn;
        if (e->ann[i].str) {
            *p++ = DA_STR_IID_0;
            *p++ = 0x01;
        } else if (e->ann[i].sint) {
            *p++ = DA_INT;
        } else {
            *p++ = DA_UINT;
        }
        p = pb_var(p, e->ann[i].v);
        p = pb_close(len_at, p);
    }
    if (e->type == TYPE_COUNTER) {
        *p++ = TE_COUNTER_0;
        *p++ = 0x01;
        p = pb_var(p, (uint64_t)e->counter);
    }
    if (e->flow_out) {
        *p++ = TE_FLOW_0;
        *p++ = TE_FLOW_1;
        p = pb_fixed64(p, e->flow_out);
    }
    if (e->flow_in) {
        *p++ = TE_TFLOW_0;
        *p++ = TE_TFLOW_1;
        p = pb_fixed64(p, e->flow_in);
    }
    for (uint32_t i = 0; i < e->nfouts; i++) {
        *p++ = TE_FLOW_0;
        *p++ = TE_FLOW_1;
        p = pb_fixed64(p, e->fouts[i]);
    }
    for (uint32_t i = 0; i < e->nfins; i++) {
        *p++ = TE_TFLOW_0;
        *p++ = TE_TFLOW_1;
        p = pb_fixed64(p, e->fins[i]);
    }
    p = pb_close(te_len, p);
    return pb_close(pkt_len, p);
}

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

/* ---- descriptors --------------------------------------------------------- */

static uint8_t *pf_td_open(uint8_t *p, uint8_t **pkt_len, uint8_t **td_len, uint64_t uuid) {
    *p++ = T_PACKET;
    p = pb_open(p, pkt_len);
    *p++ = TP_TRACK_DESC_0;
    *p++ = TP_TRACK_DESC_1;
    p = pb_open(p, td_len);
    *p++ = TD_UUID;
    return pb_var(p, uuid);
}

static uint8_t *pf_td_close(uint8_t *p, uint8_t *pkt_len, uint8_t *td_len) {
    p = pb_close(td_len, p);
    return pb_close(pkt_len, p);
}

static uint8_t *pf_field_str(uint8_t *p, uint8_t tag, const char *s) {
    *p++ = tag;
    return pb_str(p, s, strlen(s));
}

/* The ordering descriptor for uuid 0 (processes and threads in explicit rank order). */
static void pf_root_descriptor(pf_out *o) {
    if (!pf_need(o, 64)) return;
    uint8_t *p = o->buf + o->n, *pkt_len, *td_len;
    p = pf_td_open(p, &pkt_len, &td_len, 0);
    *p++ = TD_PROCESS_ORDERING_0;
    *p++ = 0x01;
    *p++ = 1;
    *p++ = TD_THREAD_ORDERING_0;
    *p++ = 0x01;
    *p++ = 1;
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);
}

typedef struct pf_ids {
    pf_idset used;
    uint32_t next;          /* next synthetic id */
} pf_ids;

static uint32_t pf_id_synth(pf_ids *ids) {
    while (pf_idset_has(&ids->used, PF_KEY_PID(ids->next)) || pf_idset_has(&ids->used, PF_KEY_TID(ids->next)))
        ids->next++;
    return ids->next++;
}

/* Appends " name=value" for every parameter of run r whose value is not the
 * same in every run of the recording. */
static size_t pf_varying_params(char *out, size_t cap, const trc_recording *rec, uint32_t r) {
    size_t n = 0;
    const trc_run *run = &rec->runs[r];
    out[0] = 0;
    for (uint32_t i = 0; i < run->nparams && n + 1 < cap; i++) {
        const trc_param *pa = &run->params[i];
        bool varies = false;
        for (uint32_t r2 = 0; r2 < rec->nruns && !varies; r2++) {
            const trc_run *o = &rec->runs[r2];
            bool found = false;
            for (uint32_t j = 0; j < o->nparams; j++) {
                if (str_eq(o->params[j].name, pa->name)) { found = o->params[j].value == pa->value; break; }
            }
            varies = !found;
        }
        if (!varies) continue;
        char val[32];
        if (pa->is_duration && pa->value >= 0) fmt_dur(val, sizeof val, (uint64_t)pa->value);
        else snprintf(val, sizeof val, "%" PRId64, pa->value);
        int k = snprintf(out + n, cap - n, ", %s=%s", pf_s(pa->name), val);
        if (k < 0) break;
        n += (size_t)k < cap - n ? (size_t)k : cap - n - 1;
    }
    return n;
}

/* A custom track under the run's process named "<object><suffix>": a counter
 * track when unit is given (CounterDescriptor unit COUNT, unit_name, y-axis
 * share key), else a slice track. merge: MERGE_NONE, or MERGE_BY_KEY with the
 * track's name as the key. */
static void pf_desc_track(pf_run *pr, uint64_t uuid, uint32_t ob, const char *suffix, const char *unit,
                          const char *share, const char *desc, int merge) {
    pf_out *o = pr->o;
    const char *oname = pf_obj_name(pr, ob);
    size_t on = strlen(oname), sn = strlen(suffix);
    if (!pf_need(o, 160 + 2 * (on + sn) + strlen(desc) + (unit ? strlen(unit) : 0) + (share ? strlen(share) : 0))) return;
    uint8_t *pkt_len, *td_len, *len_at;
    uint8_t *p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, uuid);
    *p++ = TD_PARENT;
    p = pb_var(p, pr->uuid0);
    *p++ = TD_NAME;
    p = pb_open(p, &len_at);
    memcpy(p, oname, on);
    memcpy(p + on, suffix, sn);
    p = pb_close(len_at, p + on + sn);
    if (unit) {
        *p++ = TD_COUNTER;
        p = pb_open(p, &len_at);
        *p++ = CD_UNIT;
        *p++ = COUNTER_UNIT_COUNT;
        p = pf_field_str(p, CD_UNIT_NAME, unit);
        if (share) p = pf_field_str(p, CD_SHARE_KEY, share);
        p = pb_close(len_at, p);
    }
    *p++ = TD_MERGE;
    *p++ = (uint8_t)merge;
    if (merge == MERGE_BY_KEY) {
        *p++ = TD_MERGE_KEY_0;
        *p++ = TD_MERGE_KEY_1;
        p = pb_open(p, &len_at);
        memcpy(p, oname, on);
        memcpy(p + on, suffix, sn);
        p = pb_close(len_at, p + on + sn);
    }
    p = pf_field_str(p, TD_DESCRIPTION, desc);
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);
}

static int pf_descriptors(pf_run *pr, const trc_recording *rec, uint32_t r, pf_ids *ids) {
    pf_out *o = pr->o;
    const trc_run *run = pr->run;
    const trc_model *m = pr->m;
    uint8_t *p, *pkt_len, *td_len, *len_at;

    /* the run's process */
    uint32_t pid = 0;
    int32_t real = run->nunits ? run->units[0].pid : 0;
    for (uint32_t u = 0; u < run->nunits && real > 0; u++)
        if (run->units[u].pid != real) real = 0;
    if (real > 0 && !pf_idset_has(&ids->used, PF_KEY_PID(real))) pid = (uint32_t)real;
    else pid = pf_id_synth(ids);
    if (!pf_idset_add(&ids->used, PF_KEY_PID(pid))) return -ERR_NOMEM;

    char name[768], params[512], desc[1024], shift[128] = "";
    pf_varying_params(params, sizeof params, rec, r);
    if (rec->nruns > 1)
        snprintf(name, sizeof name, "run %u: %s (%s%s)", r + 1, pf_s(run->scenario), pf_s(run->backend), params);
    else
        snprintf(name, sizeof name, "%s (%s%s)", pf_s(run->scenario), pf_s(run->backend), params);
    if (run->t_start != pr->origin) {
        char d1[32];
        fmt_dur(d1, sizeof d1, run->t_start - pr->origin);
        snprintf(shift, sizeof shift, "; times shifted back by %s to line up with run 1", d1);
    }
    char mk[32];
    fmt_dur(mk, sizeof mk, m->makespan);
    snprintf(desc, sizeof desc, "weft run %u of %u: backend %s, seed %" PRIu64 ", %s; makespan %s, ended %s%s%s",
             r + 1, rec->nruns, pf_s(run->backend), run->seed, pf_s(run->machine), mk,
             trc_run_end_name(run->end_reason), run->lost ? " (events were lost)" : "", shift);

    if (!pf_need(o, 128 + strlen(name) + strlen(desc))) return o->err;
    p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pr->uuid0);
    *p++ = TD_PROCESS;
    p = pb_open(p, &len_at);
    *p++ = PD_PID;
    p = pb_var(p, pid);
    p = pf_field_str(p, PD_NAME, name);
    p = pb_close(len_at, p);
    *p++ = TD_RANK;
    p = pb_var(p, r + 1);
    p = pf_field_str(p, TD_DESCRIPTION, desc);
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);

    /* units */
    uint8_t *group_done = calloc((size_t)run->nunits + 1, 1);
    if (!group_done) return -ERR_NOMEM;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit *un = &run->units[u];
        const char *uname = pf_s(un->name);
        if (un->kind == TRC_UNIT_TASK) {
            /* the loop: the nearest ancestor that is not a task */
            uint32_t g = un->parent, hops = 0;
            while (g < run->nunits && run->units[g].kind == TRC_UNIT_TASK && hops++ < run->nunits)
                g = run->units[g].parent;
            if (g >= run->nunits || run->units[g].kind == TRC_UNIT_TASK) g = run->nunits;
            if (!group_done[g]) {
                group_done[g] = 1;
                const char *lname = g < run->nunits ? pf_s(run->units[g].name) : "";
                if (!pf_need(o, 128 + strlen(lname))) break;
                p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_group(pr, g));
                *p++ = TD_PARENT;
                p = pb_var(p, g < run->nunits ? pf_uuid_unit(pr, g) : pr->uuid0);
                *p++ = TD_NAME;
                if (g < run->nunits) {
                    static const char pre[] = "tasks on ";
                    p = pb_open(p, &len_at);
                    memcpy(p, pre, sizeof pre - 1);
                    p += sizeof pre - 1;
                    memcpy(p, lname, strlen(lname));
                    p = pb_close(len_at, p + strlen(lname));
                } else {
                    p = pb_str(p, "tasks", 5);
                }
                *p++ = TD_CHILD_ORDERING;
                *p++ = ORDER_EXPLICIT;
                *p++ = TD_MERGE;
                *p++ = MERGE_NONE;
                p = pf_td_close(p, pkt_len, td_len);
                o->n = (size_t)(p - o->buf);
            }
            if (!pf_need(o, 128 + strlen(uname))) break;
            p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_unit(pr, u));
            *p++ = TD_PARENT;
            p = pb_var(p, pf_uuid_group(pr, g));
            p = pf_field_str(p, TD_NAME, uname);
            *p++ = TD_RANK;
            p = pb_var(p, u);
            *p++ = TD_MERGE;
            *p++ = MERGE_NONE;
            p = pf_td_close(p, pkt_len, td_len);
            o->n = (size_t)(p - o->buf);
            continue;
        }
        uint32_t tid = 0;
        int32_t rt = un->tid > 0 ? un->tid : un->pid > 0 ? un->pid : 0;
        if (rt > 0 && !pf_idset_has(&ids->used, PF_KEY_TID(rt))) tid = (uint32_t)rt;
        else tid = pf_id_synth(ids);
        if (!pf_idset_add(&ids->used, PF_KEY_TID(tid))) { free(group_done); return -ERR_NOMEM; }
        if (!pf_need(o, 128 + strlen(uname))) break;
        p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_unit(pr, u));
        *p++ = TD_THREAD;
        p = pb_open(p, &len_at);
        *p++ = THD_PID;
        p = pb_var(p, pid);
        *p++ = THD_TID;
        p = pb_var(p, tid);
        p = pf_field_str(p, THD_NAME, uname);
        p = pb_close(len_at, p);
        *p++ = TD_RANK;
        p = pb_var(p, u);
        p = pf_td_close(p, pkt_len, td_len);
        o->n = (size_t)(p - o->buf);
    }
    free(group_done);
    if (o->err) return o->err;

    /* event loops: counters of the tasks ready at each tick and of the lag, on the loop's track */
    for (uint32_t u = 0; u < run->nunits && !o->err; u++) {
        if (run->units[u].kind != TRC_UNIT_LOOP || !m->units[u].ticks) continue;
        static const char *const what[2][4] = {
            { " ready", "tasks", "ready tasks", "tasks ready to run at each iteration of the loop (its ready list)" },
            { " lag", "ns", "loop lag", "how late the loop fired the deadlines that came since its last iteration "
                                        "(a task blocking the loop makes it grow)" } };
        for (uint32_t k = 0; k < 2; k++) {
            const char *uname = pf_s(run->units[u].name);
            size_t un = strlen(uname), sn = strlen(what[k][0]);
            if (!pf_need(o, 256 + 2 * (un + sn) + strlen(what[k][3]))) break;
            p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_loop(pr, u, k));
            *p++ = TD_PARENT;
            p = pb_var(p, pf_uuid_unit(pr, u));
            *p++ = TD_NAME;
            p = pb_open(p, &len_at);
            memcpy(p, uname, un);
            memcpy(p + un, what[k][0], sn);
            p = pb_close(len_at, p + un + sn);
            *p++ = TD_COUNTER;
            p = pb_open(p, &len_at);
            *p++ = CD_UNIT;
            *p++ = k ? COUNTER_UNIT_TIME_NS : COUNTER_UNIT_COUNT;
            if (!k) p = pf_field_str(p, CD_UNIT_NAME, what[k][1]);
            p = pf_field_str(p, CD_SHARE_KEY, what[k][2]);
            p = pb_close(len_at, p);
            *p++ = TD_MERGE;
            *p++ = MERGE_NONE;
            p = pf_field_str(p, TD_DESCRIPTION, what[k][3]);
            p = pf_td_close(p, pkt_len, td_len);
            o->n = (size_t)(p - o->buf);
        }
    }
    if (o->err) return o->err;

    /* objects */
    for (uint32_t ob = 0; ob < run->nobjects && !o->err; ob++) {
        const trc_object *obj = &run->objects[ob];
        const trc_object_track *ot = &m->objects[ob];
        char d2[160];
        if (obj->kind == TRC_OBJ_QUEUE || ot->ndepth) {
            if (obj->capacity > 0) snprintf(d2, sizeof d2, "items in the queue; capacity %" PRId64, obj->capacity);
            else snprintf(d2, sizeof d2, "items in the queue; unbounded");
            pf_desc_track(pr, pf_uuid_depth(pr, ob), ob, " depth", "items", "queue depth", d2, MERGE_NONE);
        }
        if (obj->kind == TRC_OBJ_LOCK || obj->kind == TRC_OBJ_RLOCK || ot->nowners) {
            if (obj->kind == TRC_OBJ_RWLOCK)
                pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " writer", NULL, NULL,
                              "one slice per write ownership, named after the writer", MERGE_NONE);
            else if (obj->kind == TRC_OBJ_RLOCK)
                pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " owner", NULL, NULL,
                              "one slice per ownership, named after the owner (and the deepest recursion when "
                              "re-entered); nested slices 'depth N' while it is held N deep", MERGE_NONE);
            else
                pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " owner", NULL, NULL,
                              "one slice per ownership, named after the owner", MERGE_NONE);
        }
        if (ot->nlevel) {
            switch (obj->kind) {
            case TRC_OBJ_SEMAPHORE:
                snprintf(d2, sizeof d2, "permits taken; %" PRId64 " permits in all", obj->capacity);
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " permits in use", "permits", "permits in use", d2,
                              MERGE_NONE);
                break;
            case TRC_OBJ_RWLOCK:
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " readers", "readers", "readers",
                              "units holding it for reading", MERGE_NONE);
                break;
            case TRC_OBJ_COUNTER:
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " value", "value", NULL,
                              "the value after each write (from the first read if a read came first); "
                              "'lost update' instants mark writes that overwrote others", MERGE_NONE);
                break;
            case TRC_OBJ_BARRIER:
                snprintf(d2, sizeof d2, "units arrived in the current generation; %" PRId64 " parties",
                         obj->capacity);
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " arrived", "units", "arrived", d2, MERGE_NONE);
                break;
            default: break;
            }
        }
        if (obj->kind == TRC_OBJ_EVENT && ot->nset_spans)
            pf_desc_track(pr, pf_uuid_setspan(pr, ob), ob, " set", NULL, NULL,
                          "one slice from each SET to the next CLEAR, named after the unit that set it", MERGE_NONE);
        if (obj->kind == TRC_OBJ_POOL && ot->nfutures) {
            uint32_t nl = pr->lane0[ob + 1] - pr->lane0[ob];
            snprintf(d2, sizeof d2, "one slice per future, from submit to done (nested: pending, running), "
                                    "%" PRId64 " workers; %u lanes shown as one", obj->capacity, nl);
            for (uint32_t l = 0; l < nl; l++)
                pf_desc_track(pr, pf_uuid_lane(pr, pr->lane0[ob] + l), ob, " futures", NULL, NULL, d2, MERGE_BY_KEY);
        }
    }
    return o->err;
}

/* ---- the merge ------------------------------------------------------------ */

static inline bool pf_flow_ok(const pf_run *pr, const trc_flow *f) {
    return f->obj >= 1 && f->obj <= pr->nobjects && f->u0 < pr->nunits && f->u1 < pr->nunits &&
           (f->kind == TRC_FLOW_ITEM || f->kind == TRC_FLOW_HANDOFF);
}

static inline bool pf_span_shown(const trc_span *s) {
    return s->state != TRC_ST_RUNNING && s->state != TRC_ST_DONE && s->state < TRC_ST__COUNT;
}

/* An incoming flow end: its time (the sort key, kept here so sorting and
 * merging read memory in order) and its flow's index (16 bytes, not a copy of
 * the flow: a run with millions of items through a queue has as many flows). */
typedef struct pf_in { uint64_t t; uint64_t flow; } pf_in;

/* At equal times, the flows' order (a fixed one: the model's) decides. */
static inline bool pf_in_less(const pf_in *a, const pf_in *b) {
    return a->t < b->t || (a->t == b->t && a->flow < b->flow);
}

static int pf_cmp_in(const void *a, const void *b) {
    return pf_in_less(a, b) ? -1 : pf_in_less(b, a);
}

/* Sorts v by (t, id). The groups are almost sorted (flows come in t0 order;
 * an item's get can be overtaken by a later hand-off), so insertion sort,
 * with a budget of moves against adversarial inputs. */
static void pf_sort_in(pf_in *v, size_t n) {
    size_t budget = 16 * n + 64;
    for (size_t i = 1; i < n; i++) {
        if (!pf_in_less(&v[i], &v[i - 1])) continue;
        pf_in x = v[i];
        size_t j = i;
        while (j > 0 && pf_in_less(&x, &v[j - 1])) {
            v[j] = v[j - 1];
            j--;
            if (!budget--) {
                v[j] = x;
                qsort(v, n, sizeof *v, pf_cmp_in);
                return;
            }
        }
        v[j] = x;
    }
}

/* Incoming flow ends grouped by destination unit (counting sort), each group
 * by time: unit u's are in[in_off[u] .. in_off[u + 1]). */
static int pf_build_in(pf_run *pr) {
    const trc_model *m = pr->m;
    pr->in_off = calloc((size_t)pr->nunits + 2, sizeof *pr->in_off);
    pr->in = malloc((m->nflows ? m->nflows : 1) * sizeof *pr->in);
    if (!pr->in_off || !pr->in) return -ERR_NOMEM;
    for (size_t i = 0; i < m->nflows; i++)
        if (pf_flow_ok(pr, &m->flows[i])) pr->in_off[m->flows[i].u1 + 2]++;
    for (uint32_t u = 0; u < pr->nunits; u++) pr->in_off[u + 2] += pr->in_off[u + 1];
    /* in_off[u + 1] is now the start of unit u; filling advances it to the end of u */
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (pf_flow_ok(pr, f))
            pr->in[pr->in_off[f->u1 + 1]++] = (pf_in){ .t = f->t1, .flow = i };
    }
    for (uint32_t u = 0; u < pr->nunits; u++) pf_sort_in(pr->in + pr->in_off[u], pr->in_off[u + 1] - pr->in_off[u]);
    return 0;
}

/* Each writer below starts its sequence, then writes packets in time order.
 * Every packet is preceded by pf_need(slack), so the pointer arithmetic on
 * the block stays in bounds. */
#define PF_BEGIN_PACKET(pr, extra)                          \
    do {                                                     \
        if (!pf_need((pr)->o, (pr)->slack + (extra))) return (pr)->o->err; \
    } while (0)

static void pf_put(pf_run *pr, const pf_ev *e) {
    pf_out *o = pr->o;
    o->n = (size_t)(pf_event(pr, o->buf + o->n, e) - o->buf);
}

/* One end of a flow, on unit u's track at relative time t. */
static void pf_flow_instant(pf_run *pr, uint32_t kind, uint32_t obj, uint32_t u, uint64_t t, uint64_t id,
                            uint64_t item_id, bool out, bool has_value, int64_t value) {
    uint32_t k = kind == TRC_FLOW_ITEM ? (out ? K_PUT : K_GET) : (out ? K_RELEASE : K_ACQUIRE);
    uint32_t iid = IID_OBJ(pr, obj - 1, k);
    uint64_t track = pf_uuid_unit(pr, u);
    bool item = kind == TRC_FLOW_ITEM;
    if (pr->started && pr->name_done[iid] == pr->seq && (!item || pr->dn_done[DN_ITEM] == pr->seq) && !has_value) {
        pf_out *o = pr->o;
        o->n = (size_t)(pf_instant_fast(pr, o->buf + o->n, track, t, iid, out, pr->flow_base + id, item, item_id) -
                        o->buf);
        return;
    }
    pf_ev e = { .type = TYPE_INSTANT, .track = track, .rel = t, .name_iid = iid };
    if (out) e.flow_out = pr->flow_base + id;
    else e.flow_in = pr->flow_base + id;
    if (item) {
        e.nann = 1;
        e.ann[0].dn = DN_ITEM;
        e.ann[0].v = item_id;
        if (has_value) {   /* put Q value=V: the item's value, on both ends */
            e.ann[1].dn = DN_VALUE;
            e.ann[1].sint = true;
            e.ann[1].v = (uint64_t)value;
            e.nann = 2;
        }
    }
    pf_put(pr, &e);
}

/* The outgoing ends of all flows of the run, on the source units' tracks. This
 * sequence comes first in the file: TP orders equal timestamps by file
 * position, so a flow always starts before it terminates. */
static int pf_seq_flows_out(pf_run *pr) {
    const trc_model *m = pr->m;
    pf_seq_begin(pr);
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (!pf_flow_ok(pr, f)) continue;
        PF_BEGIN_PACKET(pr, 0);
        pf_flow_instant(pr, f->kind, f->obj, f->u0, f->t0, f->id, f->item, true, f->has_value, f->value);
    }
    return 0;
}

/* The name of a blocked slice: "blocked on <object> (<op>)"; a join names the
 * unit waited for; an unknown object gives "blocked (<op>)". */
static uint32_t pf_blocked_iid(pf_run *pr, const trc_span *sp) {
    bool has_obj = sp->obj >= 1 && sp->obj <= pr->nobjects;
    if (has_obj && sp->op <= 3) return IID_OBJ(pr, sp->obj - 1, sp->op);
    const char *op = sp->op == TRC_OP_NONE ? NULL : trc_op_name(sp->op);
    const char *on = has_obj ? pf_obj_name(pr, sp->obj - 1)
                     : sp->op == TRC_OP_JOIN && sp->target < pr->nunits ? pf_s(pr->run->units[sp->target].name)
                                                                        : NULL;
    if (on && op) return pf_dyn_fmt(pr, "blocked on %s (%s)", on, op);
    if (on) return pf_dyn_fmt(pr, "blocked on %s", on);
    if (op) return pf_dyn_fmt(pr, "blocked (%s)", op);
    return TRC_ST_BLOCKED + 1u;
}

/* A unit's track: lifetime slice, state slices and incoming flow ends. */
static int pf_seq_unit(pf_run *pr, uint32_t u) {
    const trc_unit_track *ut = &pr->m->units[u];
    const trc_span *sp = ut->spans;
    const size_t nsp = ut->nspans;
    size_t j = pr->in_off[u];
    const size_t jend = pr->in_off[u + 1];
    if (!nsp && j == jend) return 0;
    pf_seq_begin(pr);
    pf_out *o = pr->o;
    const uint64_t track = pf_uuid_unit(pr, u);

    /* the lifetime: first event to exit, stretched over anything recorded after the exit */
    uint64_t life0 = 0, life1 = 0;
    if (nsp) {
        life0 = sp[0].t0 < ut->t_start ? sp[0].t0 : ut->t_start;
        life1 = ut->t_exit;
        for (size_t i = nsp; i-- > 0;) {
            if (sp[i].state == TRC_ST_DONE) continue;
            if (sp[i].t1 > life1) life1 = sp[i].t1;
            break;
        }
        if (j < jend && pr->in[jend - 1].t > life1) life1 = pr->in[jend - 1].t;
    }
    bool life = life1 > life0;
    if (life) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = life0, .name_iid = IID_UNIT(pr, u), .nann = 1 };
        e.ann[0].dn = DN_EXIT;
        e.ann[0].str = true;
        e.ann[0].v = SV_EXIT(pr, ut->killed ? 3 : ut->unknown_end ? 5 : !ut->exited ? 2 : ut->aborted ? 1 : ut->failed ? 4 : ut->cancelled ? 6 : 0);
        pf_put(pr, &e);
    }

    size_t i = 0;
    bool open = false;             /* span i's BEGIN is written, its END is next */
    while (i < nsp && !pf_span_shown(&sp[i])) i++;
    for (;;) {
        uint64_t ks = i < nsp ? (open ? KEY(sp[i].t1, P_END) : KEY(sp[i].t0, P_BEGIN)) : UINT64_MAX;
        uint64_t ki = j < jend ? KEY(pr->in[j].t, P_IN) : UINT64_MAX;
        if (ks == UINT64_MAX && ki == UINT64_MAX) break;
        PF_BEGIN_PACKET(pr, 0);
        if (ki < ks) {
            const trc_flow *fi = &pr->m->flows[pr->in[j++].flow];
            pf_flow_instant(pr, fi->kind, fi->obj, u, fi->t1, fi->id, fi->item, false, fi->has_value, fi->value);
        } else if (open) {
            if (pr->started) {
                o->n = (size_t)(pf_slice_fast(pr, o->buf + o->n, TYPE_END, track, sp[i].t1, 0) - o->buf);
            } else {
                pf_ev e = { .type = TYPE_END, .track = track, .rel = sp[i].t1 };
                pf_put(pr, &e);
            }
            open = false;
            i++;
            while (i < nsp && !pf_span_shown(&sp[i])) i++;
        } else {
            uint32_t iid = sp[i].state + 1u;
            if ((sp[i].state == TRC_ST_COMPUTE || sp[i].state == TRC_ST_SLEEP) && sp[i].target &&
                sp[i].target <= pr->nunits) {   /* a loop blocked by one of its tasks */
                iid = pf_dyn_fmt(pr, "blocked by %s (%s)", pf_s(pr->run->units[sp[i].target - 1].name),
                                 trc_state_name(sp[i].state));
                if (!iid) return -ERR_NOMEM;
            }
            if (sp[i].state != TRC_ST_BLOCKED && pr->started && iid < pr->name_cap && pr->name_done[iid] == pr->seq) {
                o->n = (size_t)(pf_slice_fast(pr, o->buf + o->n, TYPE_BEGIN, track, sp[i].t0, iid) - o->buf);
            } else {
                pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = sp[i].t0, .name_iid = iid };
                if (sp[i].state == TRC_ST_BLOCKED) {
                    e.name_iid = pf_blocked_iid(pr, &sp[i]);
                    if (!e.name_iid) return -ERR_NOMEM;
                    if (sp[i].obj >= 1 && sp[i].obj <= pr->nobjects) {
                        e.ann[e.nann].dn = DN_OBJECT;
                        e.ann[e.nann].str = true;
                        e.ann[e.nann++].v = SV_OBJ(sp[i].obj - 1);
                    }
                    e.ann[e.nann].dn = DN_OUTCOME;
                    e.ann[e.nann].str = true;
                    e.ann[e.nann++].v = SV_OUTCOME(pr, PF_OUTCOME_OF(sp[i].outcome));
                    if (sp[i].op == TRC_OP_RESULT) {
                        e.ann[e.nann].dn = DN_FUTURE;
                        e.ann[e.nann++].v = sp[i].target;
                    }
                }
                pf_put(pr, &e);
            }
            open = true;
        }
    }
    if (life) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_END, .track = track, .rel = life1 };
        pf_put(pr, &e);
    }
    return 0;
}

/* Marks, as instants on their units' tracks (model marks are in time order). */
static int pf_seq_marks(pf_run *pr) {
    const trc_model *m = pr->m;
    pf_seq_begin(pr);
    for (size_t i = 0; i < m->nmarks; i++) {
        const trc_mark *mk = &m->marks[i];
        if (mk->unit >= pr->nunits) continue;
        const char *text = pf_s(mk->text);
        PF_BEGIN_PACKET(pr, strlen(text));
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, mk->unit), .rel = mk->t, .name = text };
        pf_put(pr, &e);
    }
    return 0;
}

/* The recording's gaps: an instant "events lost" (arg "lost": how many) on the
 * unit's track where each gap begins; the gap itself is the unit's "unknown"
 * slice. */
typedef struct pf_gap { uint64_t t; uint64_t lost; uint32_t unit; } pf_gap;

static int pf_cmp_gap(const void *a, const void *b) {
    const pf_gap *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static int pf_seq_losses(pf_run *pr) {
    const trc_model *m = pr->m;
    size_t n = 0;
    for (uint32_t u = 0; u < pr->nunits; u++) n += m->units[u].ngaps;
    if (!n) return 0;
    pf_gap *g = malloc(n * sizeof *g);
    if (!g) return -ERR_NOMEM;
    n = 0;
    for (uint32_t u = 0; u < pr->nunits; u++)
        for (size_t k = 0; k < m->units[u].ngaps; k++)
            g[n++] = (pf_gap){ m->units[u].gaps[k].t0, m->units[u].gaps[k].lost, u };
    qsort(g, n, sizeof *g, pf_cmp_gap);
    pf_seq_begin(pr);
    uint32_t iid = pf_dyn_iid(pr, "events lost");
    int rc = pr->nomem ? -ERR_NOMEM : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        PF_BEGIN_PACKET(pr, 0);
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, g[i].unit), .rel = g[i].t, .name_iid = iid,
                    .nann = 1 };
        e.ann[0].dn = DN_LOST;
        e.ann[0].v = g[i].lost;
        pf_put(pr, &e);
    }
    free(g);
    return rc;
}

/* A step series as counter samples: a queue's depth, or an object's level. */
static int pf_seq_samples(pf_run *pr, uint64_t track, const trc_sample *v, size_t n) {
    pf_seq_begin(pr);
    for (size_t i = 0; i < n; i++) {
        PF_BEGIN_PACKET(pr, 0);
        if (pr->started) {
            pf_out *o = pr->o;
            o->n = (size_t)(pf_counter_fast(pr, o->buf + o->n, track, v[i].t, v[i].v) - o->buf);
            continue;
        }
        pf_ev e = { .type = TYPE_COUNTER, .track = track, .rel = v[i].t, .counter = v[i].v };
        pf_put(pr, &e);
    }
    return 0;
}

/* A BEGIN (name iid) or END on a slice track. */
static int pf_slice(pf_run *pr, uint8_t type, uint64_t track, uint64_t t, uint32_t iid) {
    if (type == TYPE_BEGIN && !iid) return -ERR_NOMEM;
    PF_BEGIN_PACKET(pr, 0);
    pf_out *o = pr->o;
    if (pr->started && (!iid || pr->name_done[iid] == pr->seq)) {
        o->n = (size_t)(pf_slice_fast(pr, o->buf + o->n, type, track, t, iid) - o->buf);
    } else {
        pf_ev e = { .type = type, .track = track, .rel = t, .name_iid = iid };
        pf_put(pr, &e);
    }
    return 0;
}

/* An owner track: one slice per ownership named after the owner. For an
 * rlock the name says the deepest recursion ("a (depth 3)") and nested
 * slices "depth N" cover the times it was held N deep, rebuilt from the
 * depth series (owners and depth samples come from the same events, in
 * order: an ownership is the samples from its 0 -> 1 to its -> 0). */
static int pf_seq_owner(pf_run *pr, uint32_t ob) {
    const trc_object_track *ot = &pr->m->objects[ob];
    bool rlock = pr->run->objects[ob].kind == TRC_OBJ_RLOCK;
    pf_seq_begin(pr);
    uint64_t track = pf_uuid_owner(pr, ob);
    size_t j = 0;
    int rc = 0;
    for (size_t i = 0; i < ot->nowners && !rc; i++) {
        const trc_owner_span *os = &ot->owners[i];
        if (os->owner >= pr->nunits) continue;
        uint32_t iid = IID_UNIT(pr, os->owner);
        if (rlock && os->depth > 1)
            iid = pf_dyn_fmt(pr, "%s (depth %u)", pf_s(pr->run->units[os->owner].name), os->depth);
        rc = pf_slice(pr, TYPE_BEGIN, track, os->t0, iid);
        int64_t open = 1;          /* slices open on the track: the ownership, then one per level above 1 */
        bool seen = false;
        while (rlock && !rc && j < ot->nlevel && ot->level[j].t <= os->t1) {
            const trc_sample *sm = &ot->level[j++];
            if (sm->v <= 0) {
                if (seen) break;   /* the end of this ownership */
                continue;          /* the series' initial 0 */
            }
            seen = true;
            uint64_t t = sm->t < os->t0 ? os->t0 : sm->t;
            for (; open > sm->v && !rc; open--) rc = pf_slice(pr, TYPE_END, track, t, 0);
            while (open < sm->v && open < 256 && !rc) {
                open++;
                rc = pf_slice(pr, TYPE_BEGIN, track, t, pf_dyn_fmt(pr, "depth %lld", (long long)open));
            }
        }
        for (; open > 0 && !rc; open--) rc = pf_slice(pr, TYPE_END, track, os->t1, 0);
    }
    return rc;
}

/* An event's set spans: one slice "set by <unit>" from SET to CLEAR. */
static int pf_seq_set(pf_run *pr, uint32_t ob) {
    const trc_object_track *ot = &pr->m->objects[ob];
    pf_seq_begin(pr);
    uint64_t track = pf_uuid_setspan(pr, ob);
    int rc = 0;
    for (size_t i = 0; i < ot->nset_spans && !rc; i++) {
        const trc_owner_span *sp = &ot->set_spans[i];
        const char *who = sp->owner < pr->nunits ? pf_s(pr->run->units[sp->owner].name) : "?";
        rc = pf_slice(pr, TYPE_BEGIN, track, sp->t0, pf_dyn_fmt(pr, "set by %s", who));
        if (!rc) rc = pf_slice(pr, TYPE_END, track, sp->t1, 0);
    }
    return rc;
}

/* ---- instants and the flows of the textbook vocabulary --------------------- */

/* Flows of the kinds after HANDOFF are drawn between instants on the units'
 * tracks, one instant per event: an event that ends some flows and starts
 * others (TASK_START, TASK_DONE) carries both lists, a notify_all carries one
 * outgoing id per waiter. All these instants, and the model's instants
 * (notify, set, clear, barrier open, cancel, lost-update writes, ...), are one
 * sequence in (time, stage) order, where a flow's destination has a higher
 * stage than its source when both share a nanosecond: so every flow starts
 * before it terminates in trace_processor's (timestamp, file position) order. */
static inline bool pf_new_flow(const pf_run *pr, const trc_flow *f) {
    const trc_run *run = pr->run;
    return f->kind > TRC_FLOW_HANDOFF && f->kind < TRC_FLOW__COUNT && f->u0 < pr->nunits && f->u1 < pr->nunits &&
           f->ev0 < run->nevents && f->ev1 < run->nevents && f->ev0 != f->ev1 && f->t0 <= f->t1;
}

/* role: 0 instant, 1 out, 2 in; t and unit: where the event is (the model has them: the events stay in the file) */
typedef struct pf_ent { uint64_t ev, t; uint32_t role, idx, unit; } pf_ent;
typedef struct pf_inst {
    uint64_t t, ev;
    uint32_t unit;
    uint32_t stage;
    size_t out0, in0;
    uint32_t nout, nin;
    uint32_t mi;          /* model instant index + 1, 0 = none */
    uint32_t fin, fout;   /* one incoming / outgoing flow index + 1, 0 = none */
} pf_inst;

static int pf_cmp_ent(const void *a, const void *b) {
    const pf_ent *x = a, *y = b;
    if (x->ev != y->ev) return x->ev < y->ev ? -1 : 1;
    if (x->role != y->role) return x->role < y->role ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int pf_cmp_inst(const void *a, const void *b) {
    const pf_inst *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->stage != y->stage) return x->stage < y->stage ? -1 : 1;
    return x->ev < y->ev ? -1 : x->ev > y->ev;
}

static const char *pf_obj_or(const pf_run *pr, uint32_t obj) {
    return obj >= 1 && obj <= pr->nobjects ? pf_obj_name(pr, obj - 1) : "?";
}

static const char *pf_unit_or(const pf_run *pr, uint64_t u) {
    return u < pr->nunits ? pf_s(pr->run->units[u].name) : "?";
}

/* The fields of an instant's event, from the model: its instant, else the
 * flows that end or start there (a wake is a WAIT_END whose extra is the
 * flow's seq, a join starts at the child's UNIT_EXIT). */
static void pf_inst_fields(const pf_run *pr, const pf_inst *in, trc_event *ev) {
    const trc_flow *fi = in->fin ? &pr->m->flows[in->fin - 1] : NULL;
    const trc_flow *fo = in->fout ? &pr->m->flows[in->fout - 1] : NULL;
    memset(ev, 0, sizeof *ev);
    ev->unit = in->unit;
    if (in->mi) {
        const trc_instant *mi = &pr->m->instants[in->mi - 1];
        ev->kind = mi->kind; ev->obj = mi->obj; ev->aux = mi->aux; ev->arg = mi->arg; ev->extra = mi->extra;
    } else if (fi && (fi->kind == TRC_FLOW_NOTIFY || fi->kind == TRC_FLOW_SET || fi->kind == TRC_FLOW_BARRIER)) {
        ev->kind = TRC_EV_WAIT_END; ev->obj = fi->obj; ev->extra = (uint32_t)fi->item;
    } else if (fo && fo->kind == TRC_FLOW_JOIN) {
        ev->kind = TRC_EV_UNIT_EXIT;
    }
}

/* Name and annotations of one instant. */
static void pf_inst_event(pf_run *pr, const pf_inst *in, pf_ev *e) {
    trc_event evf;
    pf_inst_fields(pr, in, &evf);
    const trc_event *ev = &evf;
    const trc_flow *fi = in->fin ? &pr->m->flows[in->fin - 1] : NULL;
    const trc_flow *fo = in->fout ? &pr->m->flows[in->fout - 1] : NULL;
    const char *on = pf_obj_or(pr, ev->obj);
#define ANN(d, val) do { e->ann[e->nann].dn = (d); e->ann[e->nann++].v = (val); } while (0)
#define ANN_STR(d, val) do { e->ann[e->nann].dn = (d); e->ann[e->nann].str = true; e->ann[e->nann++].v = (val); } while (0)
    uint32_t outcome = SV_OUTCOME(pr, PF_OUTCOME_OF(ev->aux));
    switch (ev->kind) {
    case TRC_EV_NOTIFY:
        e->name_iid = pf_dyn_fmt(pr, "notify %s", on); ANN(DN_SEQ, ev->arg); ANN(DN_WOKEN, ev->extra); break;
    case TRC_EV_SET:
        e->name_iid = pf_dyn_fmt(pr, "set %s", on); ANN(DN_SEQ, ev->arg); ANN(DN_WOKEN, ev->extra); break;
    case TRC_EV_CLEAR: e->name_iid = pf_dyn_fmt(pr, "clear %s", on); break;
    case TRC_EV_BARRIER_OPEN:
        e->name_iid = pf_dyn_fmt(pr, "open %s", on); ANN(DN_GENERATION, ev->arg); break;
    case TRC_EV_SPAWN: e->name_iid = pf_dyn_fmt(pr, "spawn %s", pf_unit_or(pr, ev->arg)); break;
    case TRC_EV_JOINED: e->name_iid = pf_dyn_fmt(pr, "joined %s", pf_unit_or(pr, ev->arg)); break;
    case TRC_EV_SUBMIT: e->name_iid = pf_dyn_fmt(pr, "submit %s", on); ANN(DN_FUTURE, ev->arg); break;
    case TRC_EV_TASK_START: e->name_iid = pf_dyn_fmt(pr, "start %s", on); ANN(DN_FUTURE, ev->arg); break;
    case TRC_EV_TASK_DONE:
        e->name_iid = pf_dyn_fmt(pr, "done %s", on); ANN(DN_FUTURE, ev->arg); ANN_STR(DN_OUTCOME, outcome); break;
    case TRC_EV_CANCEL:
        e->name_iid = pf_dyn_fmt(pr, ev->aux == 1 ? "cancel %s" : "cancel %s (too late)", on);
        ANN(DN_FUTURE, ev->arg);
        break;
    case TRC_EV_CALLBACK: e->name_iid = pf_dyn_fmt(pr, "callback %s", on); ANN(DN_FUTURE, ev->arg); break;
    case TRC_EV_RESULT:
        e->name_iid = pf_dyn_fmt(pr, "result %s", on); ANN(DN_FUTURE, ev->arg); ANN_STR(DN_OUTCOME, outcome); break;
    case TRC_EV_COUNTER_WRITE:
        e->name_iid = pf_dyn_fmt(pr, "lost update %s", on);
        e->ann[e->nann].sint = true;
        ANN(DN_VALUE, ev->arg);
        ANN(DN_LOST, ev->extra);   /* only writes with a positive (int32) extra get an instant */
        break;
    case TRC_EV_QUEUE_TASK_DONE:
        e->name_iid = pf_dyn_fmt(pr, "task_done %s", on); ANN(DN_UNFINISHED, ev->extra); break;
    case TRC_EV_LOCAL_SET: {
        const trc_instant *mi = in->mi ? &pr->m->instants[in->mi - 1] : NULL;
        e->name = mi && mi->text ? mi->text : "local";
        break;
    }
    case TRC_EV_DAEMON_KILLED: e->name_iid = pf_dyn_fmt(pr, "killed (daemon)"); break;
    case TRC_EV_TASK_CANCEL:
        e->name_iid = pf_dyn_fmt(pr, ev->aux == 1 ? "cancel %s" : "cancel %s (too late)", pf_unit_or(pr, ev->arg));
        break;
    case TRC_EV_CANCELLED:
        if (ev->obj) e->name_iid = pf_dyn_fmt(pr, "cancelled in %s %s", trc_op_name(ev->aux), on);
        else e->name_iid = pf_dyn_fmt(pr, ev->arg == 2 ? "cancelled (the loop closes)" : "cancelled");
        break;
    case TRC_EV_RAISE: case TRC_EV_CAUGHT: {
        const trc_instant *mi = in->mi ? &pr->m->instants[in->mi - 1] : NULL;
        e->name_iid = pf_dyn_fmt(pr, "%s %s", ev->kind == TRC_EV_RAISE ? "raise" : "caught", mi && mi->text ? mi->text : "?");
        break;
    }
    case TRC_EV_BARRIER_BROKEN:
        e->name_iid = pf_dyn_fmt(pr, ev->aux == 2 ? "reset %s" : "broken %s", on);
        ANN(DN_WOKEN, ev->extra);
        break;
    case TRC_EV_RELEASE:   /* only a foreign release of a plain lock is an instant */
        e->name_iid = pf_dyn_fmt(pr, "release %s held by %s", on, pf_unit_or(pr, ev->extra ? ev->extra - 1u : UINT64_MAX));
        break;
    case TRC_EV_WAIT_END:
        if (fi && fi->kind == TRC_FLOW_BARRIER) {
            e->name_iid = pf_dyn_fmt(pr, "pass %s", on); ANN(DN_GENERATION, ev->extra);
        } else {
            e->name_iid = pf_dyn_fmt(pr, "wake %s", on); ANN(DN_SEQ, ev->extra);
        }
        break;
    default:
        if (fi && fi->kind == TRC_FLOW_SPAWN) e->name_iid = pf_dyn_fmt(pr, "spawned by %s", pf_unit_or(pr, fi->u0));
        else if (fo && fo->kind == TRC_FLOW_JOIN) e->name_iid = pf_dyn_fmt(pr, "exit");
        else e->name_iid = pf_dyn_fmt(pr, "%s", ev->kind ? trc_ev_name(ev->kind) : "event");
        break;
    }
#undef ANN
#undef ANN_STR
}

static int pf_seq_instants(pf_run *pr) {
    const trc_model *m = pr->m;
    size_t nent = m->ninstants;
    for (size_t i = 0; i < m->nflows; i++) nent += pf_new_flow(pr, &m->flows[i]) ? 2 : 0;
    if (!nent) return 0;
    if (nent > UINT32_MAX || m->nflows >= UINT32_MAX || m->ninstants >= UINT32_MAX) return -ERR_LIMIT;
    pf_ent *ent = malloc(nent * sizeof *ent);
    pf_inst *ins = malloc(nent * sizeof *ins);
    uint64_t *fid = malloc(nent * sizeof *fid);         /* out ids then in ids, per instant */
    uint32_t *src = malloc((m->nflows ? m->nflows : 1) * sizeof *src), *dst = malloc((m->nflows ? m->nflows : 1) * sizeof *dst);
    int rc = 0;
    if (!ent || !ins || !fid || !src || !dst) { rc = -ERR_NOMEM; goto out; }
    size_t k = 0;
    for (size_t i = 0; i < m->ninstants; i++)   /* items' values ride on their put and get (pf_flow_instant) */
        if (m->instants[i].ev < pr->run->nevents && m->instants[i].unit < pr->nunits &&
            m->instants[i].kind != TRC_EV_ITEM_VALUE)
            ent[k++] = (pf_ent){ m->instants[i].ev, m->instants[i].t, 0, (uint32_t)i, m->instants[i].unit };
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (!pf_new_flow(pr, f)) continue;
        ent[k++] = (pf_ent){ f->ev0, f->t0, 1, (uint32_t)i, f->u0 };
        ent[k++] = (pf_ent){ f->ev1, f->t1, 2, (uint32_t)i, f->u1 };
    }
    nent = k;
    qsort(ent, nent, sizeof *ent, pf_cmp_ent);
    size_t nin = 0, nf = 0;
    for (size_t i = 0; i < nent;) {
        pf_inst *in = &ins[nin];
        *in = (pf_inst){ .ev = ent[i].ev, .t = ent[i].t, .unit = ent[i].unit };
        in->out0 = nf;
        for (; i < nent && ent[i].ev == in->ev; i++) {
            if (ent[i].role == 0) in->mi = ent[i].idx + 1;
            else if (ent[i].role == 1) {
                fid[nf++] = pr->flow_base + m->flows[ent[i].idx].id;
                in->nout++;
                src[ent[i].idx] = (uint32_t)nin;
                if (!in->fout) in->fout = ent[i].idx + 1;
            }
        }
        nin++;
    }
    /* second pass for the incoming ids, so each instant's ids are contiguous: out then in */
    for (size_t i = 0, j = 0; i < nin; i++) {
        pf_inst *in = &ins[i];
        while (j < nent && ent[j].ev < in->ev) j++;
        in->in0 = nf;
        for (; j < nent && ent[j].ev == in->ev; j++) {
            if (ent[j].role != 2) continue;
            fid[nf++] = pr->flow_base + m->flows[ent[j].idx].id;
            in->nin++;
            dst[ent[j].idx] = (uint32_t)i;
            if (!in->fin) in->fin = ent[j].idx + 1;
        }
    }
    /* stages: a flow within one nanosecond goes from a lower stage to a higher one */
    for (int pass = 0, changed = 1; changed && pass < 64; pass++) {
        changed = 0;
        for (size_t i = 0; i < m->nflows; i++) {
            const trc_flow *f = &m->flows[i];
            if (f->t0 != f->t1 || !pf_new_flow(pr, f)) continue;
            if (ins[dst[i]].stage <= ins[src[i]].stage) {
                ins[dst[i]].stage = ins[src[i]].stage + 1;
                changed = 1;
            }
        }
    }
    qsort(ins, nin, sizeof *ins, pf_cmp_inst);
    pf_seq_begin(pr);
    for (size_t i = 0; i < nin && !rc; i++) {
        const pf_inst *in = &ins[i];
        pf_ev e = { .type = TYPE_INSTANT, .track = pf_uuid_unit(pr, in->unit), .rel = in->t, .fouts = fid + in->out0,
                    .nfouts = in->nout, .fins = fid + in->in0, .nfins = in->nin };
        pf_inst_event(pr, in, &e);
        if (pr->nomem || (!e.name_iid && !e.name)) { rc = -ERR_NOMEM; break; }
        size_t extra = 10 * ((size_t)in->nout + in->nin) + (e.name ? strlen(e.name) : 0);
        if (!pf_need(pr->o, pr->slack + extra)) { rc = pr->o->err; break; }
        pf_put(pr, &e);
    }
out:
    free(ent);
    free(ins);
    free(fid);
    free(src);
    free(dst);
    return rc;
}

/* ---- futures: one slice per future on its pool's lanes ---------------------- */

/* The first lane (numbered through the run) of every pool's futures. */
static int pf_lanes(pf_run *pr) {
    const trc_model *m = pr->m;
    pr->lane0 = calloc((size_t)pr->nobjects + 1, sizeof *pr->lane0);
    if (!pr->lane0) return -ERR_NOMEM;
    uint64_t total = 0;
    for (uint32_t ob = 0; ob < pr->nobjects; ob++) {
        pr->lane0[ob] = (uint32_t)total;
        const trc_object_track *ot = &m->objects[ob];
        if (pr->run->objects[ob].kind == TRC_OBJ_POOL && ot->nfutures && ot->future0 + ot->nfutures <= m->nfutures)
            total += ot->future_lanes;
        if (total > UINT32_MAX / 2) return -ERR_LIMIT;
    }
    pr->lane0[pr->nobjects] = (uint32_t)total;
    pr->nlanes = (uint32_t)total;
    return 0;
}

/* What happens on a lane, sorted by (time, lane, order of making). */
enum { FE_BEGIN, FE_PENDING, FE_RUNNING, FE_END, FE_CANCELLED, FE_CALLBACK };
typedef struct pf_fev { uint64_t t; uint32_t lane; uint32_t gen; uint32_t what; size_t fut; } pf_fev;

static int pf_cmp_fev(const void *a, const void *b) {
    const pf_fev *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->lane != y->lane) return x->lane < y->lane ? -1 : 1;
    return x->gen < y->gen ? -1 : x->gen > y->gen;
}

/* A pool's futures: per future a slice "future <id>" from its first event to
 * done, cancel or callback (the run's end if it never finished), with nested
 * "pending" (submit -> start or cancel) and "running" (start -> done), and
 * instants "cancelled" and "callback". */
static int pf_seq_futures(pf_run *pr, uint32_t ob) {
    const trc_model *m = pr->m;
    const trc_object_track *ot = &m->objects[ob];
    if (ot->future0 + ot->nfutures > m->nfutures) return 0;
    pf_fev *v = malloc(ot->nfutures * 10 * sizeof *v);
    if (!v) return -ERR_NOMEM;
    size_t *ord = malloc(ot->nfutures * sizeof *ord);
    if (!ord) { free(v); return -ERR_NOMEM; }
    /* in begin order, stable (the order the model gave out the lanes in), so a
     * lane's futures are made in order and a future that ends when the next
     * one on its lane begins is closed first */
    for (size_t i = 0; i < ot->nfutures; i++) {
        size_t x = ot->future0 + i, j = i;
        while (j > 0 && m->futures[ord[j - 1]].t_begin > m->futures[x].t_begin) { ord[j] = ord[j - 1]; j--; }
        ord[j] = x;
    }
    size_t n = 0;
    uint32_t gen = 0;
    /* each END record closes the innermost open slice: pending/running are
     * closed before the next one opens, and the future's own slice last */
    for (size_t i = 0; i < ot->nfutures; i++) {
        size_t k = ord[i];
        const trc_future *f = &m->futures[k];
        uint32_t lane = f->lane;
        if (lane >= ot->future_lanes || f->t_begin == TRC_T_NONE || f->t_end < f->t_begin) continue;
        uint64_t b = f->t_begin, e = f->t_end;
        v[n++] = (pf_fev){ b, lane, gen++, FE_BEGIN, k };
        uint64_t run0 = f->t_start != TRC_T_NONE && f->t_start >= b && f->t_start <= e ? f->t_start : TRC_T_NONE;
        uint64_t stop = f->cancelled && f->t_cancel != TRC_T_NONE ? f->t_cancel : TRC_T_NONE;
        if (f->t_submit != TRC_T_NONE) {
            uint64_t p1 = run0 != TRC_T_NONE ? run0 : stop != TRC_T_NONE ? stop : e;
            if (p1 > e) p1 = e;
            if (p1 > f->t_submit) {
                v[n++] = (pf_fev){ f->t_submit, lane, gen++, FE_PENDING, k };
                v[n++] = (pf_fev){ p1, lane, gen++, FE_END, k };
            }
        }
        if (run0 != TRC_T_NONE) {
            uint64_t r1 = f->t_done != TRC_T_NONE && f->t_done >= run0 && f->t_done <= e ? f->t_done : e;
            if (r1 > run0) {
                v[n++] = (pf_fev){ run0, lane, gen++, FE_RUNNING, k };
                v[n++] = (pf_fev){ r1, lane, gen++, FE_END, k };
            }
        }
        if (stop != TRC_T_NONE && stop >= b && stop <= e) v[n++] = (pf_fev){ stop, lane, gen++, FE_CANCELLED, k };
        if (f->t_callback != TRC_T_NONE && f->t_callback >= b && f->t_callback <= e)
            v[n++] = (pf_fev){ f->t_callback, lane, gen++, FE_CALLBACK, k };
        v[n++] = (pf_fev){ e, lane, gen++, FE_END, k };
    }
    free(ord);
    qsort(v, n, sizeof *v, pf_cmp_fev);
    pf_seq_begin(pr);
    int rc = 0;
    uint32_t iid_pending = pf_dyn_iid(pr, "pending"), iid_running = pf_dyn_iid(pr, "running");
    uint32_t iid_cancel = pf_dyn_iid(pr, "cancelled"), iid_cb = pf_dyn_iid(pr, "callback");
    if (pr->nomem) rc = -ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const pf_fev *x = &v[i];
        const trc_future *f = &m->futures[x->fut];
        uint64_t track = pf_uuid_lane(pr, pr->lane0[ob] + x->lane);
        switch (x->what) {
        case FE_BEGIN: {
            char name[48];
            snprintf(name, sizeof name, "future %" PRIu64, f->id);
            if (!pf_need(pr->o, pr->slack + sizeof name)) { rc = pr->o->err; break; }
            pf_ev e = { .type = TYPE_BEGIN, .track = track, .rel = x->t, .name = name, .nann = 1 };
            e.ann[0].dn = DN_FUTURE;
            e.ann[0].v = f->id;
            if (f->t_done != TRC_T_NONE || f->cancelled) {
                e.ann[1].dn = DN_OUTCOME;
                e.ann[1].str = true;
                e.ann[1].v = SV_OUTCOME(pr, PF_OUTCOME_OF(f->outcome));
                e.nann = 2;
            }
            pf_put(pr, &e);
            break;
        }
        case FE_PENDING: rc = pf_slice(pr, TYPE_BEGIN, track, x->t, iid_pending); break;
        case FE_RUNNING: rc = pf_slice(pr, TYPE_BEGIN, track, x->t, iid_running); break;
        case FE_END: rc = pf_slice(pr, TYPE_END, track, x->t, 0); break;
        default: {
            PF_BEGIN_PACKET(pr, 0);
            pf_ev e = { .type = TYPE_INSTANT, .track = track, .rel = x->t,
                        .name_iid = x->what == FE_CANCELLED ? iid_cancel : iid_cb };
            pf_put(pr, &e);
            break;
        }
        }
    }
    free(v);
    return rc;
}

static int pf_events(pf_run *pr) {
    const trc_model *m = pr->m;
    int rc = pf_build_in(pr);
    if (!rc && m->nflows) rc = pf_seq_flows_out(pr);
    if (!rc) rc = pf_seq_instants(pr);
    for (uint32_t u = 0; u < pr->nunits && !rc; u++) rc = pf_seq_unit(pr, u);
    for (uint32_t u = 0; u < pr->nunits && !rc; u++) {   /* event loops' counters */
        const trc_unit_track *ut = &m->units[u];
        if (pr->run->units[u].kind != TRC_UNIT_LOOP || !ut->ticks) continue;
        rc = pf_seq_samples(pr, pf_uuid_loop(pr, u, 0), ut->ready_len, ut->nready_len);
        if (!rc && ut->nlag) rc = pf_seq_samples(pr, pf_uuid_loop(pr, u, 1), ut->lag, ut->nlag);
    }
    if (!rc && m->nmarks) rc = pf_seq_marks(pr);
    if (!rc) rc = pf_seq_losses(pr);
    for (uint32_t ob = 0; ob < pr->nobjects && !rc; ob++) {
        const trc_object_track *ot = &m->objects[ob];
        uint32_t kind = pr->run->objects[ob].kind;
        if (ot->ndepth) rc = pf_seq_samples(pr, pf_uuid_depth(pr, ob), ot->depth, ot->ndepth);
        if (!rc && ot->nowners) rc = pf_seq_owner(pr, ob);
        if (!rc && ot->nlevel &&
            (kind == TRC_OBJ_SEMAPHORE || kind == TRC_OBJ_RWLOCK || kind == TRC_OBJ_COUNTER || kind == TRC_OBJ_BARRIER))
            rc = pf_seq_samples(pr, pf_uuid_level(pr, ob), ot->level, ot->nlevel);
        if (!rc && kind == TRC_OBJ_EVENT && ot->nset_spans) rc = pf_seq_set(pr, ob);
        if (!rc && kind == TRC_OBJ_POOL && ot->nfutures) rc = pf_seq_futures(pr, ob);
        if (!rc && pr->nomem) rc = -ERR_NOMEM;
    }
    return rc ? rc : pr->o->err;
}

/* ---- entry point ---------------------------------------------------------- */

static size_t pf_max_name(const trc_run *run) {
    size_t mx = 32;
    for (uint32_t u = 0; u < run->nunits; u++) {
        size_t n = strlen(pf_s(run->units[u].name));
        if (n > mx) mx = n;
    }
    for (uint32_t o = 0; o < run->nobjects; o++) {
        size_t n = strlen(pf_s(run->objects[o].name));
        if (n > mx) mx = n;
    }
    return mx;
}

int trc_export_perfetto(FILE *out, const trc_recording *rec, const trc_model *models, diag *d) {
    if (!out || !rec || (rec->nruns && !models))
        return diag_set(d, ERR_USAGE, "trc_export_perfetto: missing output, recording or models");
    uint64_t origin = UINT64_MAX;
    for (uint32_t r = 0; r < rec->nruns; r++) {
        if (models[r].run != &rec->runs[r])
            return diag_set(d, ERR_USAGE, "trc_export_perfetto: model %u is not the model of run %u", r, r);
        if (rec->runs[r].t_start < origin) origin = rec->runs[r].t_start;
    }
    for (uint32_t r = 0; r < rec->nruns; r++) {
        uint64_t mk = models[r].makespan;
        if (mk >= (1ull << 60) || origin > PF_INT63 - mk)
            return diag_set(d, ERR_LIMIT, "run %u: times do not fit in a Perfetto timestamp (start %" PRIu64
                            " ns, makespan %" PRIu64 " ns)", r + 1, origin, mk);
    }

    pf_out o = { .f = out, .cap = PF_BLOCK };
    o.buf = malloc(o.cap);
    if (!o.buf) return diag_set(d, ERR_NOMEM, "perfetto export: no memory for the output block");
    pf_ids ids = { .next = PF_SYNTH_ID0 };
    pf_root_descriptor(&o);

    uint64_t uuid = 1, flow_base = 0;
    uint32_t next_seq = 1;
    int rc = o.err;
    for (uint32_t r = 0; r < rec->nruns && !rc; r++) {
        const trc_run *run = &rec->runs[r];
        const trc_model *m = &models[r];
        pf_run pr = { .o = &o, .run = run, .m = m, .nunits = run->nunits, .nobjects = run->nobjects,
                      .next_seq = &next_seq, .origin = origin, .uuid0 = uuid, .flow_base = flow_base };
        /* a packet holds at most a few names of objects or units with a few words around them */
        pr.slack = 512 + 4 * (pf_max_name(run) + 64);
        size_t nnames = 1 + TRC_ST__COUNT + (size_t)run->nunits + 8 * (size_t)run->nobjects;
        if (nnames >= UINT32_MAX / 2) rc = -ERR_LIMIT;
        pr.dyn_base = (uint32_t)nnames;
        pr.name_cap = nnames + 64;
        pr.name_done = rc ? NULL : calloc(pr.name_cap, sizeof *pr.name_done);
        pr.str_done = calloc(SV__COUNT(&pr), sizeof *pr.str_done);
        if (!rc && (!pr.name_done || !pr.str_done)) rc = -ERR_NOMEM;
        if (!rc) rc = pf_lanes(&pr);
        if (!rc) rc = pf_descriptors(&pr, rec, r, &ids);
        if (!rc) rc = pf_events(&pr);
        free(pr.name_done);
        free(pr.str_done);
        free(pr.in);
        free(pr.in_off);
        free(pr.lane0);
        pf_dyn_free(&pr.dyn);
        uuid += pf_uuid_count(run->nunits, run->nobjects, pr.nlanes);
        uint64_t max_id = 0;
        for (size_t i = 0; i < m->nflows; i++)
            if (m->flows[i].id > max_id) max_id = m->flows[i].id;
        flow_base += max_id;
    }
    /* losses, as Perfetto reports its own: a TraceStats packet whose buffer
     * stats count them (trace_processor's stat traced_buf_trace_writer_packet_loss,
     * a data loss the UI flags); the count is of events lost */
    uint64_t lost = 0;
    for (uint32_t r = 0; r < rec->nruns; r++) lost += models[r].lost;
    if (!rc && lost && pf_need(&o, 32)) {
        uint8_t *p = o.buf + o.n, *pkt, *st, *bs;
        *p++ = 0x0a;                      /* Trace.packet */
        p = pb_open(p, &pkt);
        *p++ = 0x9a; *p++ = 0x02;         /* TracePacket.trace_stats = 35 */
        p = pb_open(p, &st);
        *p++ = 0x0a;                      /* TraceStats.buffer_stats = 1 */
        p = pb_open(p, &bs);
        *p++ = 0x98; *p++ = 0x01;         /* BufferStats.trace_writer_packet_loss = 19 */
        p = pb_var(p, lost);
        p = pb_close(bs, p);
        p = pb_close(st, p);
        p = pb_close(pkt, p);
        o.n = (size_t)(p - o.buf);
    }
    if (!rc) { pf_flush(&o); rc = o.err; }
    free(o.buf);
    free(ids.used.k);
    if (rc == -ERR_IO)
        return diag_set(d, ERR_IO, "cannot write the Perfetto trace: %s", strerror(o.err_no ? o.err_no : EIO));
    if (rc == -ERR_NOMEM) return diag_set(d, ERR_NOMEM, "perfetto export: out of memory");
    if (rc) return diag_set(d, -rc, "perfetto export failed: %s", err_str(rc));
    return 0;
}
