/* The .weft file: a streaming writer and a validating, crash-tolerant reader.
 *
 * FORMAT, version 1.0. All integers little-endian. CRC = CRC-32 (IEEE, base's
 * crc32_update starting from 0).
 *
 *   offset 0 ┌──────────────────────────── file header (32 bytes) ──┐
 *            │  0 magic "WEFTREC\n"      8 u16 major = 1            │
 *            │ 10 u16 minor = 0         12 u32 header_size = 32     │
 *            │ 16 u64 reserved (0)      24 u32 reserved (0)         │
 *            │ header_size-4: u32 CRC of bytes [0, header_size-4)   │
 *   32       ├──────────────────────────── chunk 0 ─────────────────┤
 *            │ chunk header (32 bytes):                              │
 *            │  0 u32 magic "WCHK"   4 u16 type   6 u16 flags (0)    │
 *            │  8 u32 run index     12 u32 seq (chunk number, 0..)   │
 *            │ 16 u64 payload length                                 │
 *            │ 24 u32 payload CRC   28 u32 CRC of header bytes 0..27 │
 *            │ payload (length bytes, no padding)                    │
 *            ├──────────────────────────── chunk 1 ... chunk N-1 ───┤
 *            ├──────────────────────────── chunk N: SECTIONS ───────┤
 *            ├──────────────────────────── trailer (24 bytes) ──────┤
 *            │  0 magic "WEFTEND\n"  8 u64 offset of the SECTIONS chunk │
 *            │ 16 u32 N (entries)   20 u32 CRC of trailer bytes 0..19 │
 *            └───────────────────────────────────────────────────────┘
 *
 * Chunks are contiguous: chunk k+1 starts right after chunk k's payload.
 * Strings (str) are u32 length + bytes, no NUL inside, not terminated.
 *
 *   type  name       run        payload
 *   1     RUN_BEGIN  new index  str scenario, str source_path, str source_text,
 *                               u64 source_hash, str backend, u64 seed,
 *                               str machine, u32 cores, u64 t_start,
 *                               u32 nparams, nparams x {str name, i64 value,
 *                               u8 is_duration (0|1)}
 *   2     UNITS      open run   u32 first id (= units so far), u32 n,
 *                               n x {u32 id, u32 kind, u32 parent, i32 pid,
 *                               i32 tid, str name, str group}
 *   3     OBJECTS    open run   u32 first id (= objects so far + 1), u32 n,
 *                               n x {u32 id, u32 kind, str name, i64 capacity, u32 subkind, u32 related}
 *   4     STRING     open run   u32 index, str text
 *   5     EVENTS     open run   u32 n (1..65536), u32 reserved (0),
 *                               n x 32-byte trc_event {u64 t, u64 arg, u32 unit,
 *                               u32 obj, u16 kind, u16 aux, u32 extra}
 *   6     RUN_END    open run   u64 t_end, u32 end_reason, str report
 *   7     SECTIONS   UINT32_MAX u32 N, u32 reserved (0), N x {u16 type,
 *                               u16 flags, u32 run, u64 chunk offset,
 *                               u64 payload length} for chunks 0..N-1
 *
 * A file is: header, then per run RUN_BEGIN (run index = number of runs
 * before it), any mix of UNITS/OBJECTS/STRING/EVENTS of that run, RUN_END;
 * then SECTIONS and the trailer, written at close. A run without RUN_END
 * (writer closed early or died) loads as TRC_END_UNFINISHED with t_end = its
 * last event time.
 *
 * Rules the reader checks (and the writer refuses to break):
 *  - unit ids are their index; a unit's parent is UINT32_MAX or an earlier
 *    unit (so parent chains always end); object ids are index + 1;
 *  - an event's unit < units declared so far, obj <= objects declared so far,
 *    1 <= kind < TRC_EV__MAX; objects' capacity >= 0 (but counters'), related <= number of objects;
 *  - a string index is defined once and is < (strings defined so far + 65536);
 *    gaps read as "";
 *  - names (scenario, paths, backend, machine, unit/object/param names) are at
 *    most 64 KiB, texts (source, report, STRING) at most 64 MiB, a payload at
 *    most 256 MiB; end_reason <= TRC_END__LAST (6, interrupted).
 *
 * Versions: a reader accepts its major version and any minor. Magic and
 * version are checked before the header CRC (a new major version may change
 * everything after them). Unknown chunk types are skipped (their CRCs still
 * checked); bytes after a known payload are an error unless the file's minor
 * version is newer than the reader's.
 *
 * Writing: events are encoded straight into one EVENTS payload of up to 65536
 * events; a full one is written and fflush()ed, trc_writer_flush writes a
 * partial one. A writer is not thread-safe: one thread at a time.
 *
 * Reading: if the trailer is intact, the SECTIONS chunk it points to is read
 * first and the chunks are walked through it (every entry must agree with the
 * chunk it names, and the table gives exact event counts per run). Otherwise
 * the chunks are walked one after the other from the header. Either way the
 * first chunk that is cut short, fails a CRC or breaks a rule ends reading:
 * the runs read before it are kept and rec->truncated says where and why. If
 * no run could be read at all, loading fails with the byte offset and the
 * reason in the diag.
 */
#include "traces/trc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define F_MAGIC "WEFTREC\n"
#define F_END_MAGIC "WEFTEND\n"
#define F_CHUNK_MAGIC 0x4b484357u /* "WCHK" */
#define F_MAJOR 1
#define F_MINOR 0
#define F_HDR_SIZE 32u
#define F_HDR_MAX 4096u
#define F_CHUNK_HDR 32u
#define F_TRAILER 24u
#define F_SECT_ENTRY 24u
#define F_EV_SIZE 32u
#define F_EV_PER_CHUNK 65536u
#define F_MAX_NAME (64u * 1024)
#define F_MAX_TEXT (64u * 1024 * 1024)
#define F_MAX_PAYLOAD (256ull * 1024 * 1024)
#define F_MAX_UNITS (1u << 24)
#define F_MAX_OBJECTS (1u << 24)
#define F_MAX_PARAMS 65536u
#define F_MAX_RUNS (1u << 24)
#define F_STRING_GAP 65536u
#define F_SPLIT_BYTES (16u * 1024 * 1024) /* UNITS/OBJECTS chunks are split past this */
#define F_NO_RUN UINT32_MAX

enum { CH_RUN_BEGIN = 1, CH_UNITS = 2, CH_OBJECTS = 3, CH_STRING = 4, CH_EVENTS = 5, CH_RUN_END = 6,
       CH_SECTIONS = 7 };

static const char *ch_name(unsigned t) {
    switch (t) {
    case CH_RUN_BEGIN: return "RUN_BEGIN";
    case CH_UNITS: return "UNITS";
    case CH_OBJECTS: return "OBJECTS";
    case CH_STRING: return "STRING";
    case CH_EVENTS: return "EVENTS";
    case CH_RUN_END: return "RUN_END";
    case CH_SECTIONS: return "SECTIONS";
    default: return "unknown type";
    }
}

typedef unsigned long long ull;

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

static void put_u16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint16_t ld_u16le(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void set_file(diag *d, const char *name) {
    if (d && name) snprintf(d->file, sizeof d->file, "%s", name);
}

/* ======================================================================
 * Writer
 * ====================================================================== */

typedef struct sect_entry { uint64_t off, len; uint32_t run; uint16_t type; } sect_entry;

struct trc_writer {
    FILE *f;
    char path[256];
    int err;                 /* sticky ERR_xxx, 0 = fine */
    char errmsg[512];
    uint64_t off;            /* bytes written so far */
    sect_entry *sect; size_t nsect, cap_sect;
    uint32_t nruns;
    bool run_open;
    uint32_t run;            /* index of the open run */
    uint32_t nunits, nobjects;
    uint8_t *strdef; size_t cap_strdef;  /* bitmap of defined string indices */
    uint32_t nstrdef;
    uint8_t *evpay;          /* EVENTS payload being filled: 8 + 32 x nev bytes */
    uint32_t nev;
    buf pay;                 /* scratch payload */
};

__attribute__((format(printf, 4, 5)))
static int w_fail(trc_writer *w, diag *d, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
    va_end(ap);
    w->err = code;
    set_file(d, w->path);
    return diag_set(d, code, "%s", w->errmsg);
}

static int w_check(trc_writer *w, diag *d) {
    if (!w) return diag_set(d, ERR_USAGE, "no writer");
    if (w->err) {
        set_file(d, w->path);
        return diag_set(d, w->err, "%s", w->errmsg);
    }
    return 0;
}

static int w_need_run(trc_writer *w, diag *d, const char *what) {
    if (!w->run_open) return w_fail(w, d, ERR_USAGE, "%s outside a run (no run_begin, or after run_end)", what);
    return 0;
}

static int w_write(trc_writer *w, diag *d, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, w->f) != n)
        return w_fail(w, d, ERR_IO, "cannot write '%s' at byte %llu: %s", w->path, (ull)w->off, strerror(errno));
    w->off += n;
    return 0;
}

static int w_chunk(trc_writer *w, diag *d, uint16_t type, uint32_t run, const void *payload, size_t len) {
    if (len > F_MAX_PAYLOAD)
        return w_fail(w, d, ERR_LIMIT, "%s chunk of %zu bytes is over the %llu-byte limit", ch_name(type), len,
                      (ull)F_MAX_PAYLOAD);
    uint8_t h[F_CHUNK_HDR];
    wr_u32le(h, F_CHUNK_MAGIC);
    put_u16le(h + 4, type);
    put_u16le(h + 6, 0);
    wr_u32le(h + 8, run);
    wr_u32le(h + 12, (uint32_t)w->nsect);
    wr_u64le(h + 16, len);
    wr_u32le(h + 24, crc32_update(0, payload, len));
    wr_u32le(h + 28, crc32_update(0, h, 28));
    uint64_t at = w->off;
    int rc = w_write(w, d, h, sizeof h);
    if (!rc) rc = w_write(w, d, payload, len);
    if (rc) return rc;
    ARR_GROW(w->sect, w->nsect + 1, w->cap_sect);
    w->sect[w->nsect++] = (sect_entry){ .off = at, .len = len, .run = run, .type = type };
    return 0;
}

static int w_fflush(trc_writer *w, diag *d) {
    if (fflush(w->f) != 0) return w_fail(w, d, ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
    return 0;
}

static int w_flush_events(trc_writer *w, diag *d) {
    if (!w->nev) return 0;
    wr_u32le(w->evpay, w->nev);
    wr_u32le(w->evpay + 4, 0);
    int rc = w_chunk(w, d, CH_EVENTS, w->run, w->evpay, 8 + (size_t)w->nev * F_EV_SIZE);
    w->nev = 0;
    return rc;
}

int trc_writer_open(trc_writer **out, const char *path, diag *d) {
    *out = NULL;
    FILE *f = fopen(path, "wb");
    if (!f) {
        set_file(d, path);
        return diag_set(d, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    }
    trc_writer *w = xcalloc(1, sizeof *w);
    w->f = f;
    snprintf(w->path, sizeof w->path, "%s", path);
    w->evpay = xmalloc(8 + (size_t)F_EV_PER_CHUNK * F_EV_SIZE);
    uint8_t h[F_HDR_SIZE] = { 0 };
    memcpy(h, F_MAGIC, 8);
    put_u16le(h + 8, F_MAJOR);
    put_u16le(h + 10, F_MINOR);
    wr_u32le(h + 12, F_HDR_SIZE);
    wr_u32le(h + F_HDR_SIZE - 4, crc32_update(0, h, F_HDR_SIZE - 4));
    int rc = w_write(w, d, h, sizeof h);
    if (rc) {
        trc_writer_close(w, NULL);
        return rc;
    }
    *out = w;
    return 0;
}

static int w_check_units(trc_writer *w, diag *d, const trc_unit *u, uint32_t n) {
    if (n && !u) return w_fail(w, d, ERR_USAGE, "units: NULL array");
    if (n > F_MAX_UNITS - w->nunits) return w_fail(w, d, ERR_LIMIT, "more than %u units in a run", F_MAX_UNITS);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = w->nunits + i;
        if (u[i].id != id) return w_fail(w, d, ERR_USAGE, "unit '%s' has id %u but is unit %u", u[i].name ? u[i].name : "", u[i].id, id);
        if (u[i].parent != UINT32_MAX && u[i].parent >= id)
            return w_fail(w, d, ERR_USAGE, "unit %u's parent %u is not an earlier unit", id, u[i].parent);
        if (slen(u[i].name) > F_MAX_NAME || slen(u[i].group) > F_MAX_NAME)
            return w_fail(w, d, ERR_LIMIT, "unit %u: name longer than %u bytes", id, F_MAX_NAME);
    }
    return 0;
}

static int w_check_objects(trc_writer *w, diag *d, const trc_object *o, uint32_t n) {
    if (n && !o) return w_fail(w, d, ERR_USAGE, "objects: NULL array");
    if (n > F_MAX_OBJECTS) return w_fail(w, d, ERR_LIMIT, "more than %u objects in a run", F_MAX_OBJECTS);
    for (uint32_t i = 0; i < n; i++) {
        if (o[i].id != i + 1) return w_fail(w, d, ERR_USAGE, "object %u has id %u, expected %u", i, o[i].id, i + 1);
        if (o[i].capacity < 0 && o[i].kind != TRC_OBJ_COUNTER) return w_fail(w, d, ERR_USAGE, "object %u has capacity %lld", o[i].id, (long long)o[i].capacity);
        if (slen(o[i].name) > F_MAX_NAME)
            return w_fail(w, d, ERR_LIMIT, "object %u: name longer than %u bytes", o[i].id, F_MAX_NAME);
    }
    return 0;
}

/* Writes checked units as UNITS chunks, split so none gets too big. */
static int w_put_units(trc_writer *w, diag *d, const trc_unit *u, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        buf *b = &w->pay;
        b->n = 0;
        buf_u32(b, w->nunits);
        buf_u32(b, 0);
        uint32_t k = 0;
        while (i < n && k < F_EV_PER_CHUNK && b->n < F_SPLIT_BYTES) {
            const trc_unit *x = &u[i++];
            buf_u32(b, x->id);
            buf_u32(b, x->kind);
            buf_u32(b, x->parent);
            buf_u32(b, (uint32_t)x->pid);
            buf_u32(b, (uint32_t)x->tid);
            buf_str(b, x->name);
            buf_str(b, x->group);
            k++;
        }
        wr_u32le(b->p + 4, k);
        int rc = w_chunk(w, d, CH_UNITS, w->run, b->p, b->n);
        if (rc) return rc;
        w->nunits += k;
    }
    return 0;
}

static int w_put_objects(trc_writer *w, diag *d, const trc_object *o, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        buf *b = &w->pay;
        b->n = 0;
        buf_u32(b, w->nobjects + 1);
        buf_u32(b, 0);
        uint32_t k = 0;
        while (i < n && k < F_EV_PER_CHUNK && b->n < F_SPLIT_BYTES) {
            const trc_object *x = &o[i++];
            buf_u32(b, x->id);
            buf_u32(b, x->kind);
            buf_str(b, x->name);
            buf_i64(b, x->capacity);
            buf_u32(b, x->subkind);
            buf_u32(b, x->related);
            k++;
        }
        wr_u32le(b->p + 4, k);
        int rc = w_chunk(w, d, CH_OBJECTS, w->run, b->p, b->n);
        if (rc) return rc;
        w->nobjects += k;
    }
    return 0;
}

int trc_writer_run_begin(trc_writer *w, const trc_run *run, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if (!run) return w_fail(w, d, ERR_USAGE, "run_begin: no run");
    if (w->run_open) return w_fail(w, d, ERR_USAGE, "run_begin: run %u is still open (call run_end first)", w->run);
    if (w->nruns >= F_MAX_RUNS) return w_fail(w, d, ERR_LIMIT, "more than %u runs in one file", F_MAX_RUNS);
    if (run->nparams > F_MAX_PARAMS) return w_fail(w, d, ERR_LIMIT, "more than %u parameters", F_MAX_PARAMS);
    if (run->nparams && !run->params) return w_fail(w, d, ERR_USAGE, "run_begin: NULL params");
    if (slen(run->scenario) > F_MAX_NAME || slen(run->source_path) > F_MAX_NAME || slen(run->backend) > F_MAX_NAME ||
        slen(run->machine) > F_MAX_NAME)
        return w_fail(w, d, ERR_LIMIT, "run metadata: a name is longer than %u bytes", F_MAX_NAME);
    if (slen(run->source_text) > F_MAX_TEXT)
        return w_fail(w, d, ERR_LIMIT, "scenario text longer than %u bytes", F_MAX_TEXT);
    for (uint32_t i = 0; i < run->nparams; i++)
        if (slen(run->params[i].name) > F_MAX_NAME)
            return w_fail(w, d, ERR_LIMIT, "parameter %u: name longer than %u bytes", i, F_MAX_NAME);
    w->nunits = 0;
    if ((rc = w_check_units(w, d, run->units, run->nunits))) return rc;
    if ((rc = w_check_objects(w, d, run->objects, run->nobjects))) return rc;

    buf *b = &w->pay;
    b->n = 0;
    buf_str(b, run->scenario);
    buf_str(b, run->source_path);
    buf_str(b, run->source_text);
    buf_u64(b, run->source_hash);
    buf_str(b, run->backend);
    buf_u64(b, run->seed);
    buf_str(b, run->machine);
    buf_u32(b, run->cores);
    buf_u64(b, run->t_start);
    buf_u32(b, run->nparams);
    for (uint32_t i = 0; i < run->nparams; i++) {
        buf_str(b, run->params[i].name);
        buf_i64(b, run->params[i].value);
        buf_u8(b, run->params[i].is_duration ? 1 : 0);
    }
    w->run = w->nruns;
    if ((rc = w_chunk(w, d, CH_RUN_BEGIN, w->run, b->p, b->n))) return rc;
    w->nruns++;
    w->run_open = true;
    w->nunits = w->nobjects = 0;
    w->nstrdef = 0;
    if (w->strdef) memset(w->strdef, 0, w->cap_strdef);
    w->nev = 0;
    if ((rc = w_put_units(w, d, run->units, run->nunits))) return rc;
    if ((rc = w_put_objects(w, d, run->objects, run->nobjects))) return rc;
    return (int)w->run;
}

int trc_writer_units(trc_writer *w, const trc_unit *units, uint32_t n, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "units"))) return rc;
    if ((rc = w_check_units(w, d, units, n))) return rc;
    return w_put_units(w, d, units, n);
}

int trc_writer_string(trc_writer *w, uint32_t index, const char *s, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "string"))) return rc;
    if (index >= w->nstrdef + F_STRING_GAP)
        return w_fail(w, d, ERR_LIMIT, "string index %u: more than %u past the %u strings defined", index,
                      F_STRING_GAP, w->nstrdef);
    size_t byte = index / 8;
    if (byte >= w->cap_strdef) {
        size_t old = w->cap_strdef;
        ARR_GROW(w->strdef, byte + 1, w->cap_strdef);
        memset(w->strdef + old, 0, w->cap_strdef - old);
    }
    if (w->strdef[byte] & (1u << (index % 8))) return w_fail(w, d, ERR_USAGE, "string %u written twice", index);
    size_t len = slen(s);
    if (len > F_MAX_TEXT) return w_fail(w, d, ERR_LIMIT, "string %u longer than %u bytes", index, F_MAX_TEXT);
    buf *b = &w->pay;
    b->n = 0;
    buf_u32(b, index);
    buf_str(b, s);
    if ((rc = w_chunk(w, d, CH_STRING, w->run, b->p, b->n))) return rc;
    w->strdef[byte] |= (uint8_t)(1u << (index % 8));
    w->nstrdef++;
    return 0;
}

int trc_writer_events(trc_writer *w, const trc_event *ev, size_t n, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "events"))) return rc;
    if (n && !ev) return w_fail(w, d, ERR_USAGE, "events: NULL array");
    for (size_t i = 0; i < n; i++) {
        const trc_event *e = &ev[i];
        if (e->kind == 0 || e->kind >= TRC_EV__MAX)
            return w_fail(w, d, ERR_USAGE, "event %zu has kind %u (valid: 1..%d)", i, e->kind, TRC_EV__MAX - 1);
        if (e->unit >= w->nunits)
            return w_fail(w, d, ERR_USAGE, "event %zu (%s) names unit %u of %u", i, trc_ev_name(e->kind), e->unit,
                          w->nunits);
        if (e->obj > w->nobjects)
            return w_fail(w, d, ERR_USAGE, "event %zu (%s) names object %u of %u", i, trc_ev_name(e->kind), e->obj,
                          w->nobjects);
        uint8_t *p = w->evpay + 8 + (size_t)w->nev * F_EV_SIZE;
        wr_u64le(p, e->t);
        wr_u64le(p + 8, e->arg);
        wr_u32le(p + 16, e->unit);
        wr_u32le(p + 20, e->obj);
        put_u16le(p + 24, e->kind);
        put_u16le(p + 26, e->aux);
        wr_u32le(p + 28, e->extra);
        if (++w->nev == F_EV_PER_CHUNK) {
            if ((rc = w_flush_events(w, d))) return rc;
            if ((rc = w_fflush(w, d))) return rc;
        }
    }
    return 0;
}

int trc_writer_flush(trc_writer *w, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_flush_events(w, d))) return rc;
    return w_fflush(w, d);
}

int trc_writer_run_end(trc_writer *w, uint64_t t_end, uint32_t end_reason, const char *report, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "run_end"))) return rc;
    if (end_reason > TRC_END__LAST) return w_fail(w, d, ERR_USAGE, "run_end: unknown end reason %u", end_reason);
    if (slen(report) > F_MAX_TEXT) return w_fail(w, d, ERR_LIMIT, "run report longer than %u bytes", F_MAX_TEXT);
    if ((rc = w_flush_events(w, d))) return rc;
    buf *b = &w->pay;
    b->n = 0;
    buf_u64(b, t_end);
    buf_u32(b, end_reason);
    buf_str(b, report);
    if ((rc = w_chunk(w, d, CH_RUN_END, w->run, b->p, b->n))) return rc;
    w->run_open = false;
    return w_fflush(w, d);
}

static int w_finish(trc_writer *w, diag *d) {
    int rc = w_flush_events(w, d);  /* a run still open stays unfinished: no RUN_END */
    if (rc) return rc;
    buf *b = &w->pay;
    b->n = 0;
    uint32_t n = (uint32_t)w->nsect;
    buf_u32(b, n);
    buf_u32(b, 0);
    for (size_t i = 0; i < w->nsect; i++) {
        buf_u16(b, w->sect[i].type);
        buf_u16(b, 0);
        buf_u32(b, w->sect[i].run);
        buf_u64(b, w->sect[i].off);
        buf_u64(b, w->sect[i].len);
    }
    uint64_t table_off = w->off;
    if ((rc = w_chunk(w, d, CH_SECTIONS, F_NO_RUN, b->p, b->n))) return rc;
    uint8_t t[F_TRAILER];
    memcpy(t, F_END_MAGIC, 8);
    wr_u64le(t + 8, table_off);
    wr_u32le(t + 16, n);
    wr_u32le(t + 20, crc32_update(0, t, 20));
    if ((rc = w_write(w, d, t, sizeof t))) return rc;
    return w_fflush(w, d);
}

int trc_writer_close(trc_writer *w, diag *d) {
    if (!w) return 0;
    int rc = w_check(w, d);
    if (!rc) rc = w_finish(w, d);
    if (fclose(w->f) != 0 && !rc) rc = w_fail(w, d, ERR_IO, "cannot close '%s': %s", w->path, strerror(errno));
    free(w->sect);
    free(w->strdef);
    free(w->evpay);
    buf_release(&w->pay);
    free(w);
    return rc;
}

int trc_recording_save(const trc_recording *rec, const char *path, diag *d) {
    trc_writer *w;
    int rc = trc_writer_open(&w, path, d);
    if (rc) return rc;
    for (uint32_t r = 0; r < rec->nruns && rc >= 0; r++) {
        const trc_run *run = &rec->runs[r];
        rc = trc_writer_run_begin(w, run, d);
        for (uint32_t i = 0; i < run->nstrings && rc >= 0; i++)
            if (run->strings[i]) rc = trc_writer_string(w, i, run->strings[i], d);
        if (rc >= 0) rc = trc_writer_events(w, run->events, run->nevents, d);
        if (rc >= 0) rc = trc_writer_run_end(w, run->t_end, run->end_reason, run->report, d);
    }
    if (rc < 0) {
        trc_writer_close(w, NULL);
        return rc;
    }
    return trc_writer_close(w, d);
}

/* ======================================================================
 * Reader
 * ====================================================================== */

typedef struct chunk_ref { uint64_t off, len; uint32_t run, seq; uint16_t type; } chunk_ref;

/* Why framing of one chunk failed. */
typedef struct ferr { int code; uint64_t at; char why[256]; } ferr;

typedef struct loader {
    const uint8_t *p;
    size_t n;
    uint16_t minor;
    uint32_t hsize;
    chunk_ref *ch; size_t nch, cap_ch;
    /* the first problem: reading stopped at stop_at (a chunk start), err_at is
     * the precise byte, why says what was read there */
    bool stopped;
    int code;
    uint64_t stop_at, err_at;
    char why[256];
    /* building */
    trc_recording *rec;
    trc_run *runs; size_t cap_runs; uint32_t nruns;
    bool open;                       /* runs[nruns - 1] has no RUN_END yet */
    trc_unit *units; size_t cap_u;   /* of the open run */
    trc_object *objs; size_t cap_o;
    const char **strs; size_t cap_s; uint32_t nstrs, nstrdef;
    size_t evcap;
} loader;

__attribute__((format(printf, 4, 5)))
static void ferr_set(ferr *e, int code, uint64_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->why, sizeof e->why, fmt, ap);
    va_end(ap);
    e->code = code;
    e->at = at;
}

static void stop_with(loader *L, uint64_t stop_at, const ferr *e) {
    if (L->stopped) return;
    L->stopped = true;
    L->code = e->code ? e->code : ERR_FORMAT;
    L->stop_at = stop_at;
    L->err_at = e->at;
    snprintf(L->why, sizeof L->why, "%s", e->why);
}

__attribute__((format(printf, 5, 6)))
static void stop_fmt(loader *L, int code, uint64_t stop_at, uint64_t at, const char *fmt, ...) {
    ferr e = { .code = code, .at = at };
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.why, sizeof e.why, fmt, ap);
    va_end(ap);
    stop_with(L, stop_at, &e);
}

/* ---- framing: header, chunk headers, CRCs, section table, trailer ---- */

static bool read_header(loader *L) {
    rd r;
    rd_init(&r, L->p, L->n, 0);
    if (L->n == 0) {
        stop_fmt(L, ERR_FORMAT, 0, 0, "empty file: no .weft file header");
        return false;
    }
    const uint8_t *m = rd_bytes(&r, 8, "file header magic");
    if (!m || memcmp(m, F_MAGIC, 8) != 0) {
        if (!m && memcmp(L->p, F_MAGIC, L->n) == 0)
            stop_fmt(L, ERR_FORMAT, 0, L->n, "file ends inside the file header (%zu of %u bytes)", L->n, F_HDR_SIZE);
        else
            stop_fmt(L, ERR_FORMAT, 0, 0, "bad magic in file header: not a .weft recording");
        return false;
    }
    uint16_t major = rd_u16(&r, "file header version");
    uint16_t minor = rd_u16(&r, "file header version");
    uint32_t hsize = rd_u32(&r, "file header size");
    if (r.err) {
        stop_fmt(L, ERR_FORMAT, 0, r.err_offset, "file ends inside the file header (%zu of %u bytes)", L->n,
                 F_HDR_SIZE);
        return false;
    }
    if (major != F_MAJOR) {
        stop_fmt(L, ERR_VERSION, 0, 8, "unsupported version %u.%u (this weft reads %d.x)", major, minor, F_MAJOR);
        return false;
    }
    if (hsize < F_HDR_SIZE || hsize > F_HDR_MAX || hsize % 4) {
        stop_fmt(L, ERR_FORMAT, 0, 12, "bad file header size %u", hsize);
        return false;
    }
    if (L->n < hsize) {
        stop_fmt(L, ERR_FORMAT, 0, L->n, "file ends inside the file header (%zu of %u bytes)", L->n, hsize);
        return false;
    }
    if (crc32_update(0, L->p, hsize - 4) != ld_u32le(L->p + hsize - 4)) {
        stop_fmt(L, ERR_FORMAT, 0, 0, "file header CRC mismatch");
        return false;
    }
    L->minor = minor;
    L->hsize = hsize;
    return true;
}

/* Checks the chunk at `off` (expected number `seq`) whose bytes must end by
 * `limit`: header fields, header CRC, payload length and payload CRC. */
static bool frame_chunk(const loader *L, uint64_t off, uint64_t limit, uint32_t seq, chunk_ref *out, ferr *e) {
    const char *past = limit == L->n ? "file ends inside" : "section table starts inside";
    uint64_t room = limit - off;
    if (room < F_CHUNK_HDR) {
        ferr_set(e, ERR_FORMAT, limit, "%s chunk %u header (%llu of %u bytes)", past, seq, (ull)room, F_CHUNK_HDR);
        return false;
    }
    rd r;
    rd_init(&r, L->p + off, F_CHUNK_HDR, off);
    uint32_t magic = rd_u32(&r, "chunk magic");
    uint16_t type = rd_u16(&r, "chunk type");
    uint16_t flags = rd_u16(&r, "chunk flags");
    uint32_t run = rd_u32(&r, "chunk run");
    uint32_t sq = rd_u32(&r, "chunk number");
    uint64_t len = rd_u64(&r, "chunk length");
    uint32_t pcrc = rd_u32(&r, "chunk payload CRC");
    uint32_t hcrc = rd_u32(&r, "chunk header CRC");
    if (magic != F_CHUNK_MAGIC) {
        ferr_set(e, ERR_FORMAT, off, "bad magic in chunk %u header", seq);
        return false;
    }
    if (crc32_update(0, L->p + off, 28) != hcrc) {
        ferr_set(e, ERR_FORMAT, off, "chunk %u header CRC mismatch", seq);
        return false;
    }
    if (sq != seq) {
        ferr_set(e, ERR_FORMAT, off + 12, "chunk %u (%s) is numbered %u: a chunk is missing or repeated", seq,
                 ch_name(type), sq);
        return false;
    }
    if (flags) {
        ferr_set(e, ERR_UNSUPPORTED, off + 6, "chunk %u (%s) has unsupported flags 0x%x", seq, ch_name(type), flags);
        return false;
    }
    if (len > room - F_CHUNK_HDR) {
        ferr_set(e, ERR_FORMAT, off + F_CHUNK_HDR, "%s chunk %u (%s) payload (%llu of %llu bytes)", past, seq,
                 ch_name(type), (ull)(room - F_CHUNK_HDR), (ull)len);
        return false;
    }
    if (len > F_MAX_PAYLOAD) {
        ferr_set(e, ERR_FORMAT, off + 16, "chunk %u (%s) payload of %llu bytes is over the limit", seq, ch_name(type),
                 (ull)len);
        return false;
    }
    if (crc32_update(0, L->p + off + F_CHUNK_HDR, (size_t)len) != pcrc) {
        ferr_set(e, ERR_FORMAT, off + F_CHUNK_HDR, "chunk %u (%s) payload CRC mismatch", seq, ch_name(type));
        return false;
    }
    *out = (chunk_ref){ .off = off, .len = len, .run = run, .seq = seq, .type = type };
    return true;
}

/* Decodes a SECTIONS payload into a malloc'd array of n entries. */
static sect_entry *parse_table(const loader *L, const chunk_ref *c, uint32_t *n, ferr *e) {
    rd r;
    rd_init(&r, L->p + c->off + F_CHUNK_HDR, (size_t)c->len, c->off + F_CHUNK_HDR);
    uint32_t cnt = rd_u32(&r, "section count");
    rd_u32(&r, "section table reserved field");
    if (r.err || c->len != 8 + (uint64_t)cnt * F_SECT_ENTRY) {
        ferr_set(e, ERR_FORMAT, c->off + F_CHUNK_HDR, "chunk %u (SECTIONS): %llu bytes cannot hold %u entries",
                 c->seq, (ull)c->len, cnt);
        return NULL;
    }
    if (cnt != c->seq) {
        ferr_set(e, ERR_FORMAT, c->off + F_CHUNK_HDR, "chunk %u (SECTIONS) lists %u chunks, expected %u", c->seq, cnt,
                 c->seq);
        return NULL;
    }
    sect_entry *t = xmalloc(sizeof *t * (cnt ? cnt : 1));
    for (uint32_t i = 0; i < cnt; i++) {
        t[i].type = rd_u16(&r, "section type");
        uint16_t flags = rd_u16(&r, "section flags");
        t[i].run = rd_u32(&r, "section run");
        t[i].off = rd_u64(&r, "section offset");
        t[i].len = rd_u64(&r, "section length");
        if (flags) {
            ferr_set(e, ERR_FORMAT, r.base + r.pos - 20, "section table entry %u has flags 0x%x", i, flags);
            free(t);
            return NULL;
        }
    }
    *n = cnt;
    return t;
}

static bool entry_agrees(const loader *L, const sect_entry *s, const chunk_ref *c, ferr *e) {
    if (s->off == c->off && s->type == c->type && s->run == c->run && s->len == c->len) return true;
    ferr_set(e, ERR_FORMAT, c->off,
             "section table entry %u (%s, run %u, %llu bytes at %llu) disagrees with chunk %u (%s, run %u, %llu bytes "
             "at %llu)",
             c->seq, ch_name(s->type), s->run, (ull)s->len, (ull)s->off, c->seq, ch_name(c->type), c->run, (ull)c->len,
             (ull)c->off);
    (void)L;
    return false;
}

/* Looks for an intact trailer and the section table it points to. */
static sect_entry *find_table(const loader *L, chunk_ref *tc, uint32_t *tn, char *why, size_t whycap) {
    size_t n = L->n;
    if (n < (size_t)L->hsize + F_CHUNK_HDR + F_TRAILER) {
        snprintf(why, whycap, "no trailer");
        return NULL;
    }
    const uint8_t *t = L->p + n - F_TRAILER;
    if (memcmp(t, F_END_MAGIC, 8) != 0) {
        snprintf(why, whycap, "no trailer (bad trailer magic)");
        return NULL;
    }
    if (crc32_update(0, t, 20) != ld_u32le(t + 20)) {
        snprintf(why, whycap, "trailer CRC mismatch");
        return NULL;
    }
    uint64_t off = ld_u64le(t + 8);
    uint32_t cnt = ld_u32le(t + 16);
    if (off < L->hsize || off > n - F_TRAILER - F_CHUNK_HDR) {
        snprintf(why, whycap, "trailer points to byte %llu, outside the chunks", (ull)off);
        return NULL;
    }
    ferr e = { 0 };
    if (!frame_chunk(L, off, n - F_TRAILER, cnt, tc, &e)) {
        snprintf(why, whycap, "section table unusable: %.150s", e.why);
        return NULL;
    }
    if (tc->type != CH_SECTIONS || tc->off + F_CHUNK_HDR + tc->len != n - F_TRAILER) {
        snprintf(why, whycap, "trailer points to chunk %u (%s), not to the section table", cnt, ch_name(tc->type));
        return NULL;
    }
    sect_entry *s = parse_table(L, tc, tn, &e);
    if (!s) snprintf(why, whycap, "section table unusable: %.150s", e.why);
    return s;
}

static void push_chunk(loader *L, const chunk_ref *c) {
    if (c->type == CH_SECTIONS) return;
    ARR_GROW(L->ch, L->nch + 1, L->cap_ch);
    L->ch[L->nch++] = *c;
}

/* Walks the chunks (via the section table when the trailer is intact) and
 * fills L->ch with every whole, checksum-valid chunk before the first bad one. */
static void frame_all(loader *L) {
    chunk_ref tc;
    uint32_t tn = 0;
    char twhy[200];
    ferr e = { 0 };
    uint64_t pos = L->hsize;
    sect_entry *table = find_table(L, &tc, &tn, twhy, sizeof twhy);
    if (table) {
        for (uint32_t i = 0; i < tn; i++) {
            chunk_ref c;
            if (table[i].off != pos) {
                stop_fmt(L, ERR_FORMAT, pos, pos, "section table entry %u puts chunk %u at byte %llu, but it is at %llu",
                         i, i, (ull)table[i].off, (ull)pos);
                break;
            }
            if (!frame_chunk(L, pos, tc.off, i, &c, &e)) { stop_with(L, pos, &e); break; }
            if (!entry_agrees(L, &table[i], &c, &e)) { stop_with(L, pos, &e); break; }
            if (c.type == CH_SECTIONS) {
                stop_fmt(L, ERR_FORMAT, pos, pos, "chunk %u is a second section table", i);
                break;
            }
            push_chunk(L, &c);
            pos += F_CHUNK_HDR + c.len;
        }
        if (!L->stopped && pos != tc.off)
            stop_fmt(L, ERR_FORMAT, pos, pos, "section table lists chunks up to byte %llu, but it starts at %llu",
                     (ull)pos, (ull)tc.off);
        free(table);
        return;
    }
    for (uint32_t seq = 0;; seq++) {
        chunk_ref c;
        if (pos == L->n) {
            if (seq == 0)
                stop_fmt(L, ERR_FORMAT, pos, pos, "file ends after the file header: no chunk in it");
            else
                stop_fmt(L, ERR_FORMAT, pos, pos, "file ends after chunk %u: no section table (not closed)", seq - 1);
            return;
        }
        if (seq == UINT32_MAX) {
            stop_fmt(L, ERR_FORMAT, pos, pos, "too many chunks");
            return;
        }
        if (!frame_chunk(L, pos, L->n, seq, &c, &e)) { stop_with(L, pos, &e); return; }
        if (c.type == CH_SECTIONS) {
            uint32_t cnt;
            sect_entry *s = parse_table(L, &c, &cnt, &e);
            if (!s) { stop_with(L, pos, &e); return; }
            for (uint32_t i = 0; i < cnt; i++)
                if (!entry_agrees(L, &s[i], &L->ch[i], &e)) {  /* cnt == seq == nch */
                    stop_with(L, pos, &e);
                    free(s);
                    return;
                }
            free(s);
            /* every chunk is in; what follows should have been the trailer */
            uint64_t end = pos + F_CHUNK_HDR + c.len, left = L->n - end;
            if (left < F_TRAILER)
                stop_fmt(L, ERR_FORMAT, end, L->n, "file ends inside the trailer (%llu of %u bytes)", (ull)left,
                         F_TRAILER);
            else if (left > F_TRAILER)
                stop_fmt(L, ERR_FORMAT, end, end + F_TRAILER, "%llu unexpected bytes after the trailer",
                         (ull)(left - F_TRAILER));
            else
                stop_fmt(L, ERR_FORMAT, end, end, "%s", twhy);
            return;
        }
        push_chunk(L, &c);
        pos += F_CHUNK_HDR + c.len;
    }
}

/* ---- chunk payloads ---------------------------------------------------- */

typedef struct pctx {
    loader *L;
    const chunk_ref *c;
    rd r;
    bool bad;
} pctx;

__attribute__((format(printf, 3, 4)))
static void p_fail(pctx *x, uint64_t at, const char *fmt, ...) {
    if (x->bad) return;
    x->bad = true;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    stop_fmt(x->L, ERR_FORMAT, x->c->off, at, "chunk %u (%s): %s", x->c->seq, ch_name(x->c->type), msg);
}

static bool p_rd_ok(pctx *x) {
    if (x->bad) return false;
    if (x->r.err) {
        p_fail(x, x->r.err_offset, "payload ends inside %s", x->r.err_what);
        return false;
    }
    return true;
}

static uint64_t p_at(const pctx *x) { return x->r.base + x->r.pos; }

static const char *p_str(pctx *x, size_t max, const char *what) {
    if (!p_rd_ok(x)) return "";
    uint64_t at = p_at(x);
    uint32_t len = rd_u32(&x->r, what);
    if (!p_rd_ok(x)) return "";
    if (len > max) {
        p_fail(x, at, "%s is %u bytes long (limit %zu)", what, len, max);
        return "";
    }
    const char *s = rd_bytes(&x->r, len, what);
    if (!p_rd_ok(x)) return "";
    if (memchr(s, 0, len)) {
        p_fail(x, at, "%s contains a NUL byte", what);
        return "";
    }
    return arena_strndup(&x->L->rec->mem, s, len);
}

/* Bytes left in the payload, to bound counts. */
static size_t p_left(const pctx *x) { return x->r.n - x->r.pos; }

static bool p_end(pctx *x) {
    if (!p_rd_ok(x)) return false;
    if (x->r.pos != x->r.n && x->L->minor <= F_MINOR) {
        p_fail(x, p_at(x), "%zu unexpected bytes at the end of the payload", p_left(x));
        return false;
    }
    return true;
}

static bool p_in_open_run(pctx *x) {
    loader *L = x->L;
    if (!L->open) {
        if (L->nruns && x->c->run == L->nruns - 1)
            p_fail(x, x->c->off + 8, "belongs to run %u, which has ended", x->c->run);
        else
            p_fail(x, x->c->off + 8, "belongs to run %u, but no run is open", x->c->run);
        return false;
    }
    if (x->c->run != L->nruns - 1) {
        p_fail(x, x->c->off + 8, "belongs to run %u, but run %u is open", x->c->run, L->nruns - 1);
        return false;
    }
    return true;
}

static void p_run_begin(pctx *x, size_t evcap) {
    loader *L = x->L;
    if (L->open) {
        p_fail(x, x->c->off, "run %u has not ended", L->nruns - 1);
        return;
    }
    if (x->c->run != L->nruns) {
        p_fail(x, x->c->off + 8, "starts run %u, expected run %u", x->c->run, L->nruns);
        return;
    }
    arena *a = &L->rec->mem;
    trc_run run = { 0 };
    run.scenario = p_str(x, F_MAX_NAME, "scenario name");
    run.source_path = p_str(x, F_MAX_NAME, "source path");
    run.source_text = p_str(x, F_MAX_TEXT, "source text");
    run.source_hash = rd_u64(&x->r, "source hash");
    run.backend = p_str(x, F_MAX_NAME, "backend");
    run.seed = rd_u64(&x->r, "seed");
    run.machine = p_str(x, F_MAX_NAME, "machine");
    run.cores = rd_u32(&x->r, "cores");
    run.t_start = rd_u64(&x->r, "t_start");
    uint64_t at = p_at(x);
    uint32_t np = rd_u32(&x->r, "parameter count");
    if (!p_rd_ok(x)) return;
    if (np > F_MAX_PARAMS || np > p_left(x) / 13) {
        p_fail(x, at, "%u parameters cannot fit in %zu bytes", np, p_left(x));
        return;
    }
    run.params = arena_push(a, sizeof *run.params * (np ? np : 1));
    run.nparams = np;
    for (uint32_t i = 0; i < np && !x->bad; i++) {
        run.params[i].name = p_str(x, F_MAX_NAME, "parameter name");
        run.params[i].value = rd_i64(&x->r, "parameter value");
        at = p_at(x);
        uint8_t dur = rd_u8(&x->r, "parameter type");
        if (p_rd_ok(x) && dur > 1) p_fail(x, at, "parameter %u has type byte %u", i, dur);
        run.params[i].is_duration = dur == 1;
    }
    if (!p_end(x)) return;
    run.report = "";
    run.end_reason = TRC_END_UNFINISHED;
    run.events = arena_push(a, sizeof *run.events * (evcap ? evcap : 1));
    L->evcap = evcap;
    ARR_GROW(L->runs, (size_t)L->nruns + 1, L->cap_runs);
    L->runs[L->nruns++] = run;
    L->open = true;
    L->nstrs = L->nstrdef = 0;
}

static void p_units(pctx *x) {
    if (!p_in_open_run(x)) return;
    loader *L = x->L;
    trc_run *run = &L->runs[L->nruns - 1];
    uint64_t at = p_at(x);
    uint32_t first = rd_u32(&x->r, "first unit id");
    uint32_t n = rd_u32(&x->r, "unit count");
    if (!p_rd_ok(x)) return;
    if (first != run->nunits) {
        p_fail(x, at, "starts at unit %u, but the run has %u units", first, run->nunits);
        return;
    }
    if (n > p_left(x) / 28 || n > F_MAX_UNITS - run->nunits) {
        p_fail(x, at + 4, "%u units cannot fit in %zu bytes", n, p_left(x));
        return;
    }
    ARR_GROW(L->units, (size_t)run->nunits + n, L->cap_u);
    for (uint32_t i = 0; i < n; i++) {
        trc_unit *u = &L->units[first + i];
        at = p_at(x);
        u->id = rd_u32(&x->r, "unit id");
        u->kind = rd_u32(&x->r, "unit kind");
        u->parent = rd_u32(&x->r, "unit parent");
        u->pid = (int32_t)rd_u32(&x->r, "unit pid");
        u->tid = (int32_t)rd_u32(&x->r, "unit tid");
        u->name = p_str(x, F_MAX_NAME, "unit name");
        u->group = p_str(x, F_MAX_NAME, "unit group");
        if (!p_rd_ok(x)) return;
        if (u->id != first + i) {
            p_fail(x, at, "unit %u has id %u", first + i, u->id);
            return;
        }
        if (u->parent != UINT32_MAX && u->parent >= u->id) {
            p_fail(x, at + 8, "unit %u's parent %u is not an earlier unit", u->id, u->parent);
            return;
        }
    }
    if (!p_end(x)) return;
    run->nunits += n;
}

static void p_objects(pctx *x) {
    if (!p_in_open_run(x)) return;
    loader *L = x->L;
    trc_run *run = &L->runs[L->nruns - 1];
    uint64_t at = p_at(x);
    uint32_t first = rd_u32(&x->r, "first object id");
    uint32_t n = rd_u32(&x->r, "object count");
    if (!p_rd_ok(x)) return;
    if (first != run->nobjects + 1) {
        p_fail(x, at, "starts at object %u, but the run has %u objects", first, run->nobjects);
        return;
    }
    if (n > p_left(x) / 20 || n > F_MAX_OBJECTS - run->nobjects) {
        p_fail(x, at + 4, "%u objects cannot fit in %zu bytes", n, p_left(x));
        return;
    }
    ARR_GROW(L->objs, (size_t)run->nobjects + n, L->cap_o);
    for (uint32_t i = 0; i < n; i++) {
        trc_object *o = &L->objs[run->nobjects + i];
        at = p_at(x);
        o->id = rd_u32(&x->r, "object id");
        o->kind = rd_u32(&x->r, "object kind");
        o->name = p_str(x, F_MAX_NAME, "object name");
        o->capacity = rd_i64(&x->r, "object capacity");
        o->subkind = rd_u32(&x->r, "object subkind");
        o->related = rd_u32(&x->r, "object related");
        if (!p_rd_ok(x)) return;
        if (o->id != first + i) {
            p_fail(x, at, "object %u has id %u", first + i, o->id);
            return;
        }
        if (o->capacity < 0 && o->kind != TRC_OBJ_COUNTER) {
            p_fail(x, p_at(x) - 16, "object %u has capacity %lld", o->id, (long long)o->capacity);
            return;
        }
        if (o->related > run->nobjects + n) {
            p_fail(x, p_at(x) - 4, "object %u names related object %u", o->id, o->related);
            return;
        }
    }
    if (!p_end(x)) return;
    run->nobjects += n;
}

static void p_string(pctx *x) {
    if (!p_in_open_run(x)) return;
    loader *L = x->L;
    uint64_t at = p_at(x);
    uint32_t index = rd_u32(&x->r, "string index");
    const char *s = p_str(x, F_MAX_TEXT, "string text");
    if (!p_end(x)) return;
    if (index >= L->nstrdef + F_STRING_GAP) {
        p_fail(x, at, "string index %u is too far past the %u strings defined", index, L->nstrdef);
        return;
    }
    if (index < L->nstrs && L->strs[index]) {
        p_fail(x, at, "string %u is defined twice", index);
        return;
    }
    if (index >= L->nstrs) {
        ARR_GROW(L->strs, (size_t)index + 1, L->cap_s);
        for (uint32_t i = L->nstrs; i <= index; i++) L->strs[i] = NULL;
        L->nstrs = index + 1;
    }
    L->strs[index] = s;
    L->nstrdef++;
}

static void p_events(pctx *x) {
    if (!p_in_open_run(x)) return;
    loader *L = x->L;
    trc_run *run = &L->runs[L->nruns - 1];
    uint64_t at = p_at(x);
    uint32_t n = rd_u32(&x->r, "event count");
    uint32_t resv = rd_u32(&x->r, "events reserved field");
    if (!p_rd_ok(x)) return;
    if (n == 0 || n > F_EV_PER_CHUNK || x->c->len != 8 + (uint64_t)n * F_EV_SIZE) {
        p_fail(x, at, "%llu bytes cannot hold %u events (1..%u of %u bytes)", (ull)x->c->len, n, F_EV_PER_CHUNK,
               F_EV_SIZE);
        return;
    }
    if (resv && L->minor <= F_MINOR) {
        p_fail(x, at + 4, "reserved field is %u", resv);
        return;
    }
    if (run->nevents + n > L->evcap) {  /* cannot happen: evcap counts every EVENTS chunk */
        p_fail(x, at, "more events than the chunk lengths allow");
        return;
    }
    const uint8_t *q = rd_bytes(&x->r, (size_t)n * F_EV_SIZE, "events");
    if (!p_rd_ok(x)) return;
    trc_event *out = &run->events[run->nevents];
    for (uint32_t i = 0; i < n; i++, q += F_EV_SIZE) {
        trc_event *e = &out[i];
        e->t = ld_u64le(q);
        e->arg = ld_u64le(q + 8);
        e->unit = ld_u32le(q + 16);
        e->obj = ld_u32le(q + 20);
        e->kind = ld_u16le(q + 24);
        e->aux = ld_u16le(q + 26);
        e->extra = ld_u32le(q + 28);
        uint64_t eat = at + 8 + (uint64_t)i * F_EV_SIZE;
        if (e->kind == 0 || e->kind >= TRC_EV__MAX) {
            p_fail(x, eat + 24, "event %u has kind %u (valid: 1..%d)", i, e->kind, TRC_EV__MAX - 1);
            return;
        }
        if (e->unit >= run->nunits) {
            p_fail(x, eat + 16, "event %u (%s) names unit %u of %u", i, trc_ev_name(e->kind), e->unit, run->nunits);
            return;
        }
        if (e->obj > run->nobjects) {
            p_fail(x, eat + 20, "event %u (%s) names object %u of %u", i, trc_ev_name(e->kind), e->obj,
                   run->nobjects);
            return;
        }
    }
    run->nevents += n;
}

/* Stable sort by time. Recordings are made of runs already in order (one
 * per drained batch of a unit's buffer), so the natural ascending runs are
 * merged in one pass through a heap ordered by (time, run number): equal
 * times keep their run order, hence the sort is stable. With very many runs
 * (noise rather than batches) a bottom-up merge sort does it instead. */
typedef struct mrg_node { uint64_t t; uint32_t run; } mrg_node;

static bool mrg_lt(const mrg_node *a, const mrg_node *b) { return a->t < b->t || (a->t == b->t && a->run < b->run); }

static void mrg_down(mrg_node *h, size_t k, size_t i) {
    mrg_node v = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= k) break;
        if (c + 1 < k && mrg_lt(&h[c + 1], &h[c])) c++;
        if (!mrg_lt(&h[c], &v)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

static int sort_by_heap(trc_event *ev, size_t n, size_t k) {
    trc_event *src = malloc(n * sizeof *src);
    size_t *st = malloc((k + 1) * sizeof *st), *cur = malloc(k * sizeof *cur);
    mrg_node *h = malloc(k * sizeof *h);
    if (!src || !st || !cur || !h) {
        free(src); free(st); free(cur); free(h);
        return -ERR_NOMEM;
    }
    memcpy(src, ev, n * sizeof *ev);
    size_t r = 0;
    st[r++] = 0;
    for (size_t i = 1; i < n; i++)
        if (src[i].t < src[i - 1].t) st[r++] = i;
    st[k] = n;
    for (r = 0; r < k; r++) {
        cur[r] = st[r];
        h[r] = (mrg_node){ src[st[r]].t, (uint32_t)r };
    }
    for (size_t i = k / 2; i-- > 0;) mrg_down(h, k, i);
    for (size_t o = 0; o < n; o++) {
        uint32_t x = h[0].run;
        ev[o] = src[cur[x]++];
        if (cur[x] < st[x + 1]) h[0].t = src[cur[x]].t;
        else h[0] = h[--k];
        if (k > 1) mrg_down(h, k, 0);
    }
    free(src); free(st); free(cur); free(h);
    return 0;
}

static int sort_by_merging(trc_event *ev, size_t n) {
    enum { BLK = 32 };
    for (size_t b = 0; b < n; b += BLK) {
        size_t e = b + BLK < n ? b + BLK : n;
        for (size_t k = b + 1; k < e; k++) {
            trc_event v = ev[k];
            size_t j = k;
            while (j > b && ev[j - 1].t > v.t) { ev[j] = ev[j - 1]; j--; }
            ev[j] = v;
        }
    }
    if (n <= BLK) return 0;
    trc_event *tmp = malloc(n * sizeof *tmp);
    if (!tmp) return -ERR_NOMEM;
    trc_event *src = ev, *dst = tmp;
    for (size_t w = BLK; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            if (mid == hi || src[mid - 1].t <= src[mid].t) {
                memcpy(dst + lo, src + lo, (hi - lo) * sizeof *src);
                continue;
            }
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) dst[o++] = src[b].t < src[a].t ? src[b++] : src[a++];
            while (a < mid) dst[o++] = src[a++];
            while (b < hi) dst[o++] = src[b++];
        }
        trc_event *t = src; src = dst; dst = t;
    }
    if (src != ev) memcpy(ev, src, n * sizeof *ev);
    free(tmp);
    return 0;
}

#define F_HEAP_MAX_RUNS 65536u

static int sort_events(trc_event *ev, size_t n) {
    size_t k = 1;
    for (size_t i = 1; i < n; i++) k += ev[i].t < ev[i - 1].t;
    if (k == 1) return 0;
    if (k <= F_HEAP_MAX_RUNS) return sort_by_heap(ev, n, k);
    return sort_by_merging(ev, n);
}

/* Moves the open run's tables into the arena, sorts its events, sums lost. */
static int finish_run(loader *L) {
    if (!L->open) return 0;
    L->open = false;
    arena *a = &L->rec->mem;
    trc_run *run = &L->runs[L->nruns - 1];
    run->units = arena_push(a, sizeof *run->units * (run->nunits ? run->nunits : 1));
    if (run->nunits) memcpy(run->units, L->units, sizeof *run->units * run->nunits);
    run->objects = arena_push(a, sizeof *run->objects * (run->nobjects ? run->nobjects : 1));
    if (run->nobjects) memcpy(run->objects, L->objs, sizeof *run->objects * run->nobjects);
    run->nstrings = L->nstrs;
    run->strings = arena_push(a, sizeof *run->strings * (L->nstrs ? L->nstrs : 1));
    for (uint32_t i = 0; i < L->nstrs; i++) run->strings[i] = L->strs[i] ? L->strs[i] : "";
    int rc = sort_events(run->events, run->nevents);
    if (rc) return rc;
    run->lost = 0;
    for (size_t i = 0; i < run->nevents; i++)
        if (run->events[i].kind == TRC_EV_LOST) {
            uint64_t s = run->lost + run->events[i].arg;
            run->lost = s < run->lost ? UINT64_MAX : s;
        }
    if (run->end_reason == TRC_END_UNFINISHED && !run->t_end)
        run->t_end = run->nevents ? run->events[run->nevents - 1].t : run->t_start;
    return 0;
}

static int p_run_end(pctx *x) {
    if (!p_in_open_run(x)) return 0;
    loader *L = x->L;
    trc_run *run = &L->runs[L->nruns - 1];
    uint64_t t_end = rd_u64(&x->r, "t_end");
    uint64_t at = p_at(x);
    uint32_t reason = rd_u32(&x->r, "end reason");
    const char *report = p_str(x, F_MAX_TEXT, "report");
    if (!p_end(x)) return 0;
    if (reason > TRC_END__LAST) {
        p_fail(x, at, "unknown end reason %u", reason);
        return 0;
    }
    run->t_end = t_end;
    run->end_reason = reason;
    run->report = report;
    return finish_run(L);
}

static void free_loader(loader *L) {
    free(L->ch);
    free(L->runs);
    free(L->units);
    free(L->objs);
    free(L->strs);
}

int trc_recording_load_mem(trc_recording **out, const void *data, size_t n, const char *name, diag *d) {
    *out = NULL;
    loader L = { .p = data, .n = n };
    if (!n) L.p = (const uint8_t *)"";
    L.rec = xcalloc(1, sizeof *L.rec);
    int rc = 0;
    if (read_header(&L)) frame_all(&L);

    /* events per run, from the chunk lengths, so each run's array is allocated once */
    size_t *evcap = xcalloc(L.nch ? L.nch : 1, sizeof *evcap);
    size_t begin = SIZE_MAX;
    for (size_t i = 0; i < L.nch; i++) {
        const chunk_ref *c = &L.ch[i];
        if (c->type == CH_RUN_BEGIN) begin = i;
        else if (c->type == CH_EVENTS && begin != SIZE_MAX && c->run == L.ch[begin].run && c->len >= 8)
            evcap[begin] += (size_t)((c->len - 8) / F_EV_SIZE);
    }
    for (size_t i = 0; i < L.nch && !rc; i++) {
        pctx x = { .L = &L, .c = &L.ch[i] };
        rd_init(&x.r, L.p + x.c->off + F_CHUNK_HDR, (size_t)x.c->len, x.c->off + F_CHUNK_HDR);
        switch (x.c->type) {
        case CH_RUN_BEGIN: p_run_begin(&x, evcap[i]); break;
        case CH_UNITS: p_units(&x); break;
        case CH_OBJECTS: p_objects(&x); break;
        case CH_STRING: p_string(&x); break;
        case CH_EVENTS: p_events(&x); break;
        case CH_RUN_END: rc = p_run_end(&x); break;
        default: break;  /* a newer writer's chunk: skipped */
        }
        if (x.bad) break;
    }
    free(evcap);
    if (!rc) rc = finish_run(&L);
    if (rc) {
        set_file(d, name);
        if (d) d->has_offset = false;
        rc = diag_set(d, -rc, "out of memory loading the recording");
    } else if (L.nruns == 0 && L.stopped) {
        set_file(d, name);
        if (d) {
            d->has_offset = true;
            d->offset = L.err_at;
        }
        rc = diag_set(d, L.code, "%s", L.why);
    }
    if (rc) {
        free_loader(&L);
        trc_recording_free(L.rec);
        return rc;
    }
    trc_recording *rec = L.rec;
    rec->nruns = L.nruns;
    rec->runs = arena_push(&rec->mem, sizeof *rec->runs * (L.nruns ? L.nruns : 1));
    if (L.nruns) memcpy(rec->runs, L.runs, sizeof *rec->runs * L.nruns);
    if (L.stopped) {
        rec->truncated = true;
        rec->truncated_at = L.stop_at;
        snprintf(rec->truncated_why, sizeof rec->truncated_why, "%s", L.why);
    }
    free_loader(&L);
    *out = rec;
    return 0;
}

int trc_recording_load(trc_recording **out, const char *path, diag *d) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_file(d, path);
        return diag_set(d, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    struct stat st;
    size_t cap = 1 << 16, n = 0;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            set_file(d, path);
            return diag_set(d, ERR_IO, "cannot read '%s': it is a directory", path);
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX / 2) cap = (size_t)st.st_size + 1;
    }
    uint8_t *p = malloc(cap);
    while (p) {
        n += fread(p + n, 1, cap - n, f);
        if (n < cap) break;  /* end of file (or an error, checked below) */
        uint8_t *q = cap <= SIZE_MAX / 2 ? realloc(p, cap * 2) : NULL;
        if (!q) free(p);
        p = q;
        cap *= 2;
    }
    if (!p) {
        fclose(f);
        set_file(d, path);
        return diag_set(d, ERR_NOMEM, "out of memory reading '%s'", path);
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(p);
        set_file(d, path);
        return diag_set(d, ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    fclose(f);
    int rc = trc_recording_load_mem(out, p, n, path, d);
    free(p);
    return rc;
}

void trc_recording_free(trc_recording *rec) {
    if (!rec) return;
    arena_release(&rec->mem);
    free(rec);
}
