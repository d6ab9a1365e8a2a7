/* The .weft file format, shared by the writer (trc_file_write.c) and the
 * reader (trc_file_read.c, trc_backing.c, trc_evsrc.c, trc_evcur.c). Internal to traces/.
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
 *    most 256 MiB; end_reason <= TRC_END__MAX.
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
 * Reading (trc_file_read.c): a regular file is mapped and kept open; the
 * passes that go through it front to back read it with pread() into small
 * buffers they reuse (see trc_backing), never into one copy of the file; other
 * inputs (a pipe, /dev/stdin) are read chunk by chunk into memory, each chunk
 * header checked before its payload is read. The header and the first chunk
 * header are checked with pread() before anything is mapped, so a file that
 * is not a recording is refused after 64 bytes whatever its size. If the
 * trailer is intact, the SECTIONS chunk it points to is read first and the
 * chunks are walked through it (every entry must agree with the chunk it
 * names). Otherwise the chunks are walked one after the other from the header.
 * Each chunk is framed (header, CRCs) and parsed in one pass, and the pages
 * behind the pass are handed back to the kernel, so reading costs no resident
 * memory per event. The first chunk that is cut short, fails a CRC or breaks
 * a rule ends reading: the runs read before it are kept (the one being read
 * is marked cut) and rec->truncated says where and why. If no run could be
 * read at all, loading fails with the byte offset and the reason in the diag.
 *
 * Memory samples (MEM_RESIDENT 76, MEM_VIRTUAL 77, trc.h) are ordinary events
 * of the unit that carries them (weft's own process: the first unit, with
 * aux TRC_MEM_MAIN; a unit's process: that unit), extra = the pid sampled.
 * The recorder merges each into its unit's stream at its place in time, so
 * they keep the unit's events in time order like any other; a run holds a
 * pair (resident, then virtual, same time) per sample, and one pair with aux
 * TRC_MEM_BASELINE (weft's process before the units were made) at the time of
 * the first sample. No new chunk, no new version: a reader that knows no
 * memory skips kinds it has no use for.
 *
 * Events stay in the file: reading an EVENTS chunk checks every event and
 * notes its segments (runs of one unit's events). The recorder drains each
 * unit's buffer in order, so a unit's events are in time order through the
 * file, and a run's events are read in time order by merging its units'
 * segment chains (trc_evsrc.c, trc_evcur.c); events at equal times keep their file order.
 * Events a unit writes back in time (the kernel's context switches, written
 * after the run) start another chain of that unit; a file with too many of
 * those is read through a sorted index instead.
 */
#ifndef WEFT_TRC_FORMAT_H
#define WEFT_TRC_FORMAT_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "traces/trc.h"

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

static inline const char *ch_name(unsigned t) {
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

static inline size_t slen(const char *s) { return s ? strlen(s) : 0; }

static inline void put_u16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline uint16_t ld_u16le(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline void set_file(diag *d, const char *name) {
    if (d && name) snprintf(d->file, sizeof d->file, "%s", name);
}

typedef struct sect_entry { uint64_t off, len; uint32_t run; uint16_t type; } sect_entry;

_Static_assert(offsetof(trc_event, t) == 0 && offsetof(trc_event, arg) == 8 && offsetof(trc_event, unit) == 16 &&
                   offsetof(trc_event, obj) == 20 && offsetof(trc_event, kind) == 24 && offsetof(trc_event, aux) == 26 &&
                   offsetof(trc_event, extra) == 28,
               "trc_event has the layout of an event in the file");

/* One event from the file (32 little-endian bytes). */
static inline void f_load_event(trc_event *e, const uint8_t *q) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(e, q, sizeof *e);
#else
    e->t = ld_u64le(q);
    e->arg = ld_u64le(q + 8);
    e->unit = ld_u32le(q + 16);
    e->obj = ld_u32le(q + 20);
    e->kind = ld_u16le(q + 24);
    e->aux = ld_u16le(q + 26);
    e->extra = ld_u32le(q + 28);
#endif
}

/* ---- the reader's side: where a run's events are (trc_backing.c, trc_evsrc.c) */

/* The bytes of a loaded file: a read-only mapping or an owned buffer. A
 * mapped file is also kept open (fd), and the passes that go through it front
 * to back (the loader, the merge) read it with pread() into small buffers
 * they reuse, rather than through the mapping: touching each page of a
 * mapping costs a page fault or a TLB miss per 4 KiB (several times the cost
 * of the copy on a virtual machine), a buffer that stays hot costs neither.
 * The mapping serves random access (the sorted index) and any read that
 * fails. */
typedef struct trc_backing {
    const uint8_t *p;
    size_t n;
    bool mapped;
    int fd;                 /* the mapped file, open for pread (-1: none) */
} trc_backing;
/* Reads [off, off + n) of b into dst (n > 0, within b): pread, or a copy from
 * the bytes when there is no file or pread fails. */
void trc_backing_read(const trc_backing *b, void *dst, size_t n, uint64_t off);
/* Hands the whole pages of [from, to) back to the kernel (a mapping only). */
void trc_backing_release(const trc_backing *b, uint64_t from, uint64_t to);
/* Maps the pages of [from, to) in one call, ahead of reading them (a mapping
 * only; where the kernel cannot, the reads fault them in one by one). */
void trc_backing_populate(const trc_backing *b, uint64_t from, uint64_t to);
void trc_backing_free(trc_backing *b);

/* Consecutive events of one stream in one EVENTS chunk. */
typedef struct trc_seg { uint64_t off; uint32_t n; uint32_t next; } trc_seg;
#define SEG_NONE UINT32_MAX
/* More streams than this (a file whose units go back in time again and
 * again): the run is read through a sorted index instead of a merge. */
#define EVSRC_MAX_STREAMS 65536u

/* A stream is a chain of segments of one unit whose times never go back: a
 * unit's events start one, and each event earlier than its unit's previous
 * one starts another (the kernel's context switches, written after the run,
 * are each unit's second stream). */
struct trc_evsrc {
    const trc_backing *back;
    uint64_t nevents;
    uint32_t nunits;
    uint32_t *cur;              /* per unit: its current stream (SEG_NONE: none yet) */
    trc_seg *segs; size_t nsegs, cap_segs;
    uint32_t nstreams; size_t cap_streams;
    uint32_t *first, *last;     /* per stream: its first and last segment */
    uint64_t *last_t;           /* per stream: the time of its last event so far */
    bool unordered;             /* too many streams: read through a sorted index */
    bool own_events;            /* run->events was filled by trc_run_load_events (malloc'd) */
};

/* A piece of an EVENTS payload: consecutive events of one unit whose times
 * never go back (the pre-scan's summary of a chunk, trc_file_scan.c). */
typedef struct f_piece { uint64_t t_first, t_last; uint32_t unit, first, n; } f_piece;

trc_evsrc *trc_evsrc_new(const trc_backing *back, uint32_t nunits);
/* Notes the events of one EVENTS payload (n events at file offset off, already
 * checked): the units' segment chains. */
void trc_evsrc_add(trc_evsrc *s, const uint8_t *ev, uint64_t off, uint32_t n);
/* The same from a payload's pieces (n events in all, the first at file offset
 * off): the same segments and streams as trc_evsrc_add of its bytes, provided
 * s is not unordered and stays so (nstreams + npieces < EVSRC_MAX_STREAMS). */
void trc_evsrc_add_pieces(trc_evsrc *s, const f_piece *p, uint32_t npieces, uint64_t off, uint32_t n);
/* Units declared after events began (spawned units). */
void trc_evsrc_units(trc_evsrc *s, uint32_t nunits);
void trc_evsrc_free(trc_evsrc *s);

/* ---- the pre-scan of EVENTS chunks (trc_file_scan.c) ----------------------
 * The loader's walk through a closed file (its section table intact) has
 * each EVENTS chunk read and summarised in one pass over reused buffers: the
 * payload CRC, and when the payload is a well-formed list of events (count
 * and length agree, reserved field 0, every kind valid, few enough pieces),
 * the highest unit and object it names, its LOST total, its latest time and
 * its pieces. A second thread (the pre-scan helper) summarises every other
 * such chunk while the walk does the rest, so the two cores share the read.
 * The walk still frames every chunk itself, in file order, from the summary's
 * copy of its header: a summary that is not clean, or a chunk that would fail
 * a check that depends on the walk's state, is read again by the walk the old
 * way, so every message and every stop is the same as without the pre-scan. */
#define F_SCAN_PIECES 4096u          /* more pieces: the walk reads the chunk itself */
typedef struct f_evscan {
    uint8_t hdr[F_CHUNK_HDR];        /* the chunk header as read */
    uint32_t crc;                    /* of the payload (header length == table length) */
    bool clean;                      /* the summary below holds (see above) */
    uint32_t n, max_unit, max_obj, npieces;
    uint64_t lost, t_max;
    f_piece *pieces;                 /* F_SCAN_PIECES */
} f_evscan;
typedef struct f_prescan f_prescan;
/* Whether the library's reading threads are wanted (WEFT_READ_AHEAD, or
 * trc_evcur_ahead_default): the cursor's read-ahead and the pre-scan helper. */
bool f_ahead_on(void);
/* On by default; off (WEFT_PRESCAN=0, or here: tests compare both ways) the
 * walk reads every chunk itself, as it did before the pre-scan. */
void f_prescan_enable(bool on);
/* For tests: the smallest chunk pre-scanned and the bytes of chunks from which a helper
 * thread shares the work (defaults 64 KiB and 8 MiB); and how many summaries the walk was
 * given since the last reset, in all and made by the helper. */
void f_prescan_tune(uint32_t min_chunk, uint64_t helper_bytes);
void f_prescan_counts(uint64_t *given, uint64_t *by_helper, bool reset);
/* Starts the pre-scan of table[0..n)'s EVENTS chunks that end by `limit`
 * (NULL: none worth it, or no memory; the walk reads every chunk itself). */
f_prescan *f_prescan_start(const trc_backing *b, const sect_entry *table, uint32_t n, uint64_t limit);
/* The summary of chunk `seq` (NULL: not pre-scanned, read it yourself); valid
 * until the next call. Chunks must be asked for in increasing order. */
const f_evscan *f_prescan_get(f_prescan *p, uint32_t seq);
/* Stops the helper (at once, if the walk stopped early) and frees it all. */
void f_prescan_free(f_prescan *p);

#endif
