/* The .weft reader: validating and crash-tolerant, and it never holds a
 * recording's events in memory unless asked to (the format and how it is read
 * are specified in trc_format.h). */
#include "traces/trc_format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ======================================================================
 * Reader
 * ====================================================================== */

typedef struct chunk_ref { uint64_t off, len; uint32_t run, seq; uint16_t type; } chunk_ref;

/* Why framing of one chunk failed. */
typedef struct ferr { int code; uint64_t at; char why[256]; } ferr;

typedef struct loader {
    const uint8_t *p;
    size_t n;
    const trc_backing *back;
    uint64_t released;               /* bytes before this were handed back to the kernel */
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
    uint64_t last_t;                 /* of the open run: its latest event */
    /* the chunks read with pread (a mapped file): [win_off, win_off + win_n)
     * of the file is in win */
    uint8_t *win; size_t cap_win, win_n;
    uint64_t win_off;
} loader;

#define F_READ_AHEAD (1u << 20)       /* read chunks a MiB at a time at least */
#define F_READ_MAX (16u << 20)        /* a bigger chunk is read through the mapping */

/* The file's bytes [off, off + n): from the window when they are all in it,
 * else from the mapping (the same bytes). */
static const uint8_t *bytes_at(const loader *L, uint64_t off, uint64_t n) {
    if (L->win_n && off >= L->win_off && n <= L->win_n && off - L->win_off <= L->win_n - n)
        return L->win + (off - L->win_off);
    return L->p + off;
}

static bool in_window(const loader *L, uint64_t from, uint64_t to) {
    return L->win_n && from >= L->win_off && to <= L->win_off + L->win_n;
}

/* Reads [from, to) into the window, and what follows up to F_READ_AHEAD. */
static void window_fill(loader *L, uint64_t from, uint64_t to) {
    uint64_t want = to - from;
    if (want < F_READ_AHEAD) want = L->n - from < F_READ_AHEAD ? L->n - from : F_READ_AHEAD;
    if (!want) return;
    if (want > L->cap_win) {
        free(L->win);
        L->win = malloc((size_t)want);
        L->cap_win = L->win ? (size_t)want : 0;
        L->win_n = 0;
        if (!L->win) return;   /* out of memory: the mapping serves */
    }
    trc_backing_read(L->back, L->win, (size_t)want, from);
    L->win_off = from;
    L->win_n = (size_t)want;
}

/* Brings the chunk at off (its header, then its payload as far as `limit`)
 * into the window before it is framed; for a file read with pread only. */
static void fetch_chunk(loader *L, uint64_t off, uint64_t limit) {
    if (!L->back || L->back->fd < 0 || off >= limit) return;
    uint64_t hend = limit - off < F_CHUNK_HDR ? limit : off + F_CHUNK_HDR;
    if (!in_window(L, off, hend) && hend - off == F_CHUNK_HDR) {
        /* its length first, so that a chunk longer than the read-ahead is read
         * once, from its header to its end (not a read-ahead, then all again) */
        uint8_t h[F_CHUNK_HDR];
        trc_backing_read(L->back, h, sizeof h, off);
        uint64_t len = ld_u64le(h + 16);
        if (len <= limit - hend && len <= F_READ_MAX && len > F_READ_AHEAD - F_CHUNK_HDR) {
            window_fill(L, off, hend + len);
            return;
        }
    }
    if (!in_window(L, off, hend)) window_fill(L, off, hend);
    if (hend - off < F_CHUNK_HDR) return;
    uint64_t len = ld_u64le(bytes_at(L, off + 16, 8));
    if (len > limit - hend || len > F_READ_MAX) return;   /* refused when framed, or read through the mapping */
    if (!in_window(L, off, hend + len)) window_fill(L, off, hend + len);
}

#define F_RELEASE_STEP (8u << 20)  /* hand read pages back every 8 MiB */

static void release_behind(loader *L, uint64_t pos) {
    if (L->back && L->back->fd >= 0) return;   /* read with pread: nothing mapped */
    if (pos - L->released >= F_RELEASE_STEP) {
        trc_backing_release(L->back, L->released, pos);
        L->released = pos & ~(uint64_t)4095;
    }
}

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
 * `limit`: header fields, header CRC, payload length and payload CRC. The
 * header is read from the file, or is hdr (the same bytes, pre-scanned, with
 * the payload's CRC in *pcrc_read: the payload is then not read here). */
static bool frame_chunk_as(const loader *L, uint64_t off, uint64_t limit, uint32_t seq, const uint8_t *hdr,
                           const uint32_t *pcrc_read, chunk_ref *out, ferr *e) {
    const char *past = limit == L->n ? "file ends inside" : "section table starts inside";
    uint64_t room = limit - off;
    if (room < F_CHUNK_HDR) {
        ferr_set(e, ERR_FORMAT, limit, "%s chunk %u header (%llu of %u bytes)", past, seq, (ull)room, F_CHUNK_HDR);
        return false;
    }
    rd r;
    const uint8_t *h = hdr ? hdr : bytes_at(L, off, F_CHUNK_HDR);
    rd_init(&r, h, F_CHUNK_HDR, off);
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
    if (crc32_update(0, h, 28) != hcrc) {
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
    if ((pcrc_read ? *pcrc_read : crc32_update(0, bytes_at(L, off + F_CHUNK_HDR, len), (size_t)len)) != pcrc) {
        ferr_set(e, ERR_FORMAT, off + F_CHUNK_HDR, "chunk %u (%s) payload CRC mismatch", seq, ch_name(type));
        return false;
    }
    *out = (chunk_ref){ .off = off, .len = len, .run = run, .seq = seq, .type = type };
    return true;
}

static bool frame_chunk(const loader *L, uint64_t off, uint64_t limit, uint32_t seq, chunk_ref *out, ferr *e) {
    return frame_chunk_as(L, off, limit, seq, NULL, NULL, out, e);
}

/* Decodes a SECTIONS payload into a malloc'd array of n entries. */
static sect_entry *parse_table(const loader *L, const chunk_ref *c, uint32_t *n, ferr *e) {
    rd r;
    rd_init(&r, bytes_at(L, c->off + F_CHUNK_HDR, c->len), (size_t)c->len, c->off + F_CHUNK_HDR);
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

static void p_run_begin(pctx *x) {
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
    run.events = NULL;
    run.src = trc_evsrc_new(L->back, 0);
    run.cut = true;   /* until its RUN_END */
    L->last_t = 0;
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
    trc_evsrc_units(run->src, run->nunits);
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
        if (o->capacity < 0 && o->kind != TRC_OBJ_COUNTER && o->kind != TRC_OBJ_VAR) {
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

/* The checks below have twins for pre-scanned chunks: the stateless ones in
 * trc_file_scan.c's scan_chunk (which leaves any doubtful chunk to this
 * function), the ones that need the walk's state in events_scanned. A check
 * added here goes there too; test_prescan compares both ways on damaged files. */
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
    const uint8_t *q0 = rd_bytes(&x->r, (size_t)n * F_EV_SIZE, "events");
    if (!p_rd_ok(x)) return;
    const uint8_t *q = q0;
    uint32_t nunits = run->nunits, nobjects = run->nobjects;
    uint64_t lost = run->lost, last = L->last_t;
    for (uint32_t i = 0; i < n; i++, q += F_EV_SIZE) {
        uint64_t t = ld_u64le(q);
        uint32_t unit = ld_u32le(q + 16), obj = ld_u32le(q + 20);
        uint16_t kind = ld_u16le(q + 24);
        uint64_t eat = at + 8 + (uint64_t)i * F_EV_SIZE;
        if (kind == 0 || kind >= TRC_EV__MAX) {
            p_fail(x, eat + 24, "event %u has kind %u (valid: 1..%d)", i, kind, TRC_EV__MAX - 1);
            return;
        }
        if (unit >= nunits) {
            p_fail(x, eat + 16, "event %u (%s) names unit %u of %u", i, trc_ev_name(kind), unit, nunits);
            return;
        }
        if (obj > nobjects) {
            p_fail(x, eat + 20, "event %u (%s) names object %u of %u", i, trc_ev_name(kind), obj, nobjects);
            return;
        }
        if (kind == TRC_EV_LOST) {
            uint64_t s = lost + ld_u64le(q + 8);
            lost = s < lost ? UINT64_MAX : s;
        }
        if (t > last) last = t;
    }
    run->lost = lost;
    L->last_t = last;
    run->t_last = last;
    trc_evsrc_add(run->src, q0, at + 8, n);
    run->nevents += n;
}

/* Moves the open run's tables into the arena. */
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
    if (run->end_reason == TRC_END_UNFINISHED && !run->t_end)
        run->t_end = run->nevents ? L->last_t : run->t_start;
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
    if (reason > TRC_END__MAX) {
        p_fail(x, at, "unknown end reason %u", reason);
        return 0;
    }
    run->t_end = t_end;
    run->cut = false;
    run->end_reason = reason;
    run->report = report;
    return finish_run(L);
}

/* ---- the walk: frame and parse each chunk in one pass ------------------- */

/* Maps the chunk at off (its header says how long it is) before it is framed. */
static void populate_chunk(loader *L, uint64_t off) {
    if (off + F_CHUNK_HDR > L->n || (L->back && L->back->fd >= 0)) return;
    uint64_t len = ld_u64le(L->p + off + 16);
    uint64_t end = len > L->n - off - F_CHUNK_HDR ? L->n : off + F_CHUNK_HDR + len;
    trc_backing_populate(L->back, off + F_CHUNK_HDR, end);
}

/* An EVENTS chunk from its pre-scan summary, when every check p_events makes
 * of it passes (the summary's own, and those against the open run: its units,
 * objects and streams): what p_events does, without its bytes. False: the
 * walk reads the chunk and p_events says what is wrong. */
static bool events_scanned(loader *L, const chunk_ref *c, const f_evscan *sc) {
    if (!L->open || c->run != L->nruns - 1) return false;
    trc_run *run = &L->runs[L->nruns - 1];
    if (sc->max_unit >= run->nunits || sc->max_obj > run->nobjects) return false;
    if (run->src->unordered || run->src->nstreams + sc->npieces >= EVSRC_MAX_STREAMS) return false;
    ARR_GROW(L->ch, L->nch + 1, L->cap_ch);
    L->ch[L->nch++] = *c;
    uint64_t lost = run->lost + sc->lost;
    run->lost = lost < run->lost ? UINT64_MAX : lost;
    if (sc->t_max > L->last_t) L->last_t = sc->t_max;
    run->t_last = L->last_t;
    trc_evsrc_add_pieces(run->src, sc->pieces, sc->npieces, c->off + F_CHUNK_HDR + 8, sc->n);
    run->nevents += sc->n;
    release_behind(L, c->off + F_CHUNK_HDR + c->len);
    return true;
}

/* Parses one framed chunk. False when reading must stop there. */
static bool process_chunk(loader *L, const chunk_ref *c, int *rc) {
    ARR_GROW(L->ch, L->nch + 1, L->cap_ch);
    L->ch[L->nch++] = *c;
    pctx x = { .L = L, .c = c };
    rd_init(&x.r, bytes_at(L, c->off + F_CHUNK_HDR, c->len), (size_t)c->len, c->off + F_CHUNK_HDR);
    switch (c->type) {
    case CH_RUN_BEGIN: p_run_begin(&x); break;
    case CH_UNITS: p_units(&x); break;
    case CH_OBJECTS: p_objects(&x); break;
    case CH_STRING: p_string(&x); break;
    case CH_EVENTS: p_events(&x); break;
    case CH_RUN_END: *rc = p_run_end(&x); break;
    default: break;  /* a newer writer's chunk: skipped */
    }
    release_behind(L, c->off + F_CHUNK_HDR + c->len);
    return !x.bad && !*rc;
}

/* Walks the chunks (via the section table when the trailer is intact),
 * framing and parsing each, until the end or the first bad one. */
static int walk(loader *L) {
    chunk_ref tc;
    uint32_t tn = 0;
    char twhy[200];
    ferr e = { 0 };
    int rc = 0;
    uint64_t pos = L->hsize;
    sect_entry *table = find_table(L, &tc, &tn, twhy, sizeof twhy);
    if (table) {
        trc_backing_release(L->back, tc.off, L->n);   /* the table is read: its pages go back */
        f_prescan *ps = f_prescan_start(L->back, table, tn, tc.off);
        for (uint32_t i = 0; i < tn; i++) {
            chunk_ref c;
            if (table[i].off != pos) {
                stop_fmt(L, ERR_FORMAT, pos, pos, "section table entry %u puts chunk %u at byte %llu, but it is at %llu",
                         i, i, (ull)table[i].off, (ull)pos);
                break;
            }
            const f_evscan *sc = ps && table[i].type == CH_EVENTS ? f_prescan_get(ps, i) : NULL;
            if (sc && sc->clean) {   /* framed from the pre-scan; the same checks in the same order */
                if (!frame_chunk_as(L, pos, tc.off, i, sc->hdr, &sc->crc, &c, &e)) { stop_with(L, pos, &e); break; }
                if (!entry_agrees(L, &table[i], &c, &e)) { stop_with(L, pos, &e); break; }
                if (!events_scanned(L, &c, sc)) {
                    fetch_chunk(L, pos, tc.off);
                    if (!process_chunk(L, &c, &rc)) break;
                }
                pos += F_CHUNK_HDR + c.len;
                continue;
            }
            populate_chunk(L, pos);
            fetch_chunk(L, pos, tc.off);
            if (!frame_chunk(L, pos, tc.off, i, &c, &e)) { stop_with(L, pos, &e); break; }
            if (!entry_agrees(L, &table[i], &c, &e)) { stop_with(L, pos, &e); break; }
            if (c.type == CH_SECTIONS) {
                stop_fmt(L, ERR_FORMAT, pos, pos, "chunk %u is a second section table", i);
                break;
            }
            if (!process_chunk(L, &c, &rc)) break;
            pos += F_CHUNK_HDR + c.len;
        }
        f_prescan_free(ps);
        if (!L->stopped && !rc && pos != tc.off)
            stop_fmt(L, ERR_FORMAT, pos, pos, "section table lists chunks up to byte %llu, but it starts at %llu",
                     (ull)pos, (ull)tc.off);
        free(table);
        return rc;
    }
    for (uint32_t seq = 0;; seq++) {
        chunk_ref c;
        if (pos == L->n) {
            if (seq == 0)
                stop_fmt(L, ERR_FORMAT, pos, pos, "file ends after the file header: no chunk in it");
            else
                stop_fmt(L, ERR_FORMAT, pos, pos, "file ends after chunk %u: no section table (not closed)", seq - 1);
            return rc;
        }
        if (seq == UINT32_MAX) {
            stop_fmt(L, ERR_FORMAT, pos, pos, "too many chunks");
            return rc;
        }
        populate_chunk(L, pos);
        fetch_chunk(L, pos, L->n);
        if (!frame_chunk(L, pos, L->n, seq, &c, &e)) { stop_with(L, pos, &e); return rc; }
        if (c.type == CH_SECTIONS) {
            uint32_t cnt;
            sect_entry *s = parse_table(L, &c, &cnt, &e);
            if (!s) { stop_with(L, pos, &e); return rc; }
            for (uint32_t i = 0; i < cnt; i++)
                if (!entry_agrees(L, &s[i], &L->ch[i], &e)) {  /* cnt == seq == nch */
                    stop_with(L, pos, &e);
                    free(s);
                    return rc;
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
            return rc;
        }
        if (!process_chunk(L, &c, &rc)) return rc;
        pos += F_CHUNK_HDR + c.len;
    }
}

static void free_loader(loader *L) {
    free(L->win);
    free(L->ch);
    free(L->runs);
    free(L->units);
    free(L->objs);
    free(L->strs);
}

static void free_runs_src(trc_run *runs, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        trc_evsrc_free(runs[i].src);
        runs[i].src = NULL;
    }
}

/* Reads a recording from its bytes (which `back` owns and the recording keeps). */
static int load_backing(trc_recording **out, trc_backing *back, const char *name, unsigned flags, diag *d) {
    *out = NULL;
    loader L = { .p = back->p, .n = back->n, .back = back };
    if (!L.n) L.p = (const uint8_t *)"";
    L.rec = xcalloc(1, sizeof *L.rec);
    L.rec->backing = back;
    int rc = 0;
    if (read_header(&L)) rc = walk(&L);
    if (!rc) rc = finish_run(&L);
    trc_backing_release(back, 0, back->n);
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
    trc_recording *rec = L.rec;
    if (!rc) {
        rec->nruns = L.nruns;
        rec->runs = arena_push(&rec->mem, sizeof *rec->runs * (L.nruns ? L.nruns : 1));
        if (L.nruns) memcpy(rec->runs, L.runs, sizeof *rec->runs * L.nruns);
        if (L.stopped) {
            rec->truncated = true;
            rec->truncated_at = L.stop_at;
            snprintf(rec->truncated_why, sizeof rec->truncated_why, "%s", L.why);
        }
        for (uint32_t i = 0; i < rec->nruns && !rc && (flags & TRC_LOAD_EVENTS); i++) {
            rc = trc_run_load_events(&rec->runs[i], d);
            if (rc) set_file(d, name);
        }
    } else {
        free_runs_src(L.runs, L.nruns);
    }
    free_loader(&L);
    if (rc) {
        trc_recording_free(rec);
        return rc;
    }
    *out = rec;
    return 0;
}

/* ---- inputs: a mapped file, a stream read chunk by chunk, a copy ---------- */

static trc_backing *backing_buffer(uint8_t *p, size_t n) {
    trc_backing *b = xcalloc(1, sizeof *b);
    b->p = p;
    b->n = n;
    b->fd = -1;
    return b;
}

int trc_recording_load_mem(trc_recording **out, const void *data, size_t n, const char *name, diag *d) {
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) {
        *out = NULL;
        set_file(d, name);
        return diag_set(d, ERR_NOMEM, "out of memory reading '%s'", name ? name : "");
    }
    if (n) memcpy(copy, data, n);
    return load_backing(out, backing_buffer(copy, n), name, TRC_LOAD_EVENTS, d);
}

/* Checks the file header and the first chunk header (the first 64 bytes as
 * far as they go), so that what is not a recording is refused before the rest
 * is looked at. */
static int sniff(const uint8_t *p, size_t n, const char *path, diag *d) {
    loader L = { .p = n ? p : (const uint8_t *)"", .n = n };
    if (!read_header(&L)) {
        set_file(d, path);
        if (d) { d->has_offset = true; d->offset = L.err_at; }
        return diag_set(d, L.code, "%s", L.why);
    }
    if (n >= (size_t)L.hsize + F_CHUNK_HDR) {
        const uint8_t *h = p + L.hsize;
        if (ld_u32le(h) != F_CHUNK_MAGIC || crc32_update(0, h, 28) != ld_u32le(h + 28)) {
            set_file(d, path);
            if (d) { d->has_offset = true; d->offset = L.hsize; }
            return diag_set(d, ERR_FORMAT, ld_u32le(h) != F_CHUNK_MAGIC ? "bad magic in chunk 0 header"
                                                                         : "chunk 0 header CRC mismatch");
        }
    }
    return 0;
}

#define F_STREAM_MAX ((uint64_t)4 << 30)   /* a recording read from a pipe: at most 4 GiB */

/* Reads a recording from a pipe, a FIFO or a device, chunk by chunk: every
 * chunk header is checked before its payload is read, and reading stops at
 * the first one that is wrong (the loader then says what). */
static int read_stream(int fd, const char *path, trc_backing **out, diag *d) {
    buf b = { 0 };
    buf_reserve(&b, F_HDR_SIZE + F_CHUNK_HDR);
    long k = file_read_full(fd, b.p, F_HDR_SIZE + F_CHUNK_HDR);
    if (k < 0) {
        buf_release(&b);
        set_file(d, path);
        return diag_set(d, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    }
    b.n = (size_t)k;
    int rc = sniff(b.p, b.n, path, d);
    if (rc) { buf_release(&b); return rc; }
    uint32_t hsize = b.n >= 16 ? ld_u32le(b.p + 12) : F_HDR_SIZE;
    uint64_t pos = hsize;   /* the next chunk's start */
    bool more = b.n == F_HDR_SIZE + F_CHUNK_HDR;
    while (more) {
        /* b holds [0, pos + F_CHUNK_HDR) when the loop begins, pos < b.n */
        if (b.n < pos + F_CHUNK_HDR) {
            size_t want = (size_t)(pos + F_CHUNK_HDR - b.n);
            buf_reserve(&b, want);
            k = file_read_full(fd, b.p + b.n, want);
            if (k <= 0) break;
            b.n += (size_t)k;
            if ((size_t)k < want) break;
        }
        const uint8_t *h = b.p + pos;
        if (ld_u32le(h) != F_CHUNK_MAGIC || crc32_update(0, h, 28) != ld_u32le(h + 28)) break;
        uint64_t len = ld_u64le(h + 16);
        if (len > F_MAX_PAYLOAD) break;
        if (pos + F_CHUNK_HDR + len + F_TRAILER + 1 > F_STREAM_MAX) {
            buf_release(&b);
            set_file(d, path);
            return diag_set(d, ERR_LIMIT, "'%s' is not a regular file and is larger than %llu bytes: save the "
                            "recording to a file and read that", path, (ull)F_STREAM_MAX);
        }
        bool sections = ld_u16le(h + 4) == CH_SECTIONS;
        /* the payload, then the next chunk header (or the trailer and one more byte) */
        size_t want = (size_t)len + (sections ? F_TRAILER + 1 : F_CHUNK_HDR);
        buf_reserve(&b, want);
        k = file_read_full(fd, b.p + b.n, want);
        if (k < 0) {
            buf_release(&b);
            set_file(d, path);
            return diag_set(d, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        }
        b.n += (size_t)k;
        if (sections || (size_t)k < want) break;
        pos += F_CHUNK_HDR + len;
    }
    *out = backing_buffer(b.p, b.n);
    return 0;
}

int trc_recording_open(trc_recording **out, const char *path, unsigned flags, diag *d) {
    *out = NULL;
    struct stat st;
    int fd = file_open_read(path, &st, d);
    if (fd < 0) {
        set_file(d, path);
        return fd;
    }
    trc_backing *back = NULL;
    int rc = 0;
    if (S_ISREG(st.st_mode)) {
        uint8_t head[F_HDR_SIZE + F_CHUNK_HDR];
        ssize_t k = pread(fd, head, sizeof head, 0);
        if (k < 0) {
            rc = diag_set(d, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            set_file(d, path);
        }
        if (!rc) rc = sniff(head, (size_t)k, path, d);
        if (!rc && (uint64_t)st.st_size > SIZE_MAX / 2) {
            rc = diag_set(d, ERR_LIMIT, "'%s' is too large to read (%llu bytes)", path, (ull)st.st_size);
            set_file(d, path);
        }
        if (!rc) {
            size_t n = (size_t)st.st_size;
            void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                rc = diag_set(d, errno == ENOMEM ? ERR_NOMEM : ERR_IO, "cannot map '%s' (%llu bytes): %s", path,
                              (ull)n, strerror(errno));
                set_file(d, path);
            } else {
                back = xcalloc(1, sizeof *back);
                back->p = p;
                back->n = n;
                back->mapped = true;
                back->fd = fd;   /* kept for pread: closed with the backing */
                fd = -1;
            }
        }
    } else if (isatty(fd)) {
        rc = diag_set(d, ERR_IO, "cannot read a recording from '%s': it is a terminal", path);
        set_file(d, path);
    } else {
        rc = read_stream(fd, path, &back, d);
    }
    if (fd >= 0) close(fd);
    if (rc) return rc;
    return load_backing(out, back, path, flags, d);
}

int trc_recording_load(trc_recording **out, const char *path, diag *d) {
    return trc_recording_open(out, path, TRC_LOAD_EVENTS, d);
}

void trc_recording_free(trc_recording *rec) {
    if (!rec) return;
    for (uint32_t i = 0; i < rec->nruns; i++)
        if (rec->runs[i].src && rec->runs[i].src->own_events) free(rec->runs[i].events);
    free_runs_src(rec->runs, rec->nruns);
    trc_backing_free(rec->backing);
    arena_release(&rec->mem);
    free(rec);
}
