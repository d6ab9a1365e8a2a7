/* base: the bottom layer. No project dependencies.
 *
 * Error codes from one table, a diagnostic struct that library code fills and
 * only cli/ prints, growable arrays, a bump arena, a byte buffer with a bounded
 * reader, the clock, CRC-32 and small string helpers.
 */
#ifndef WEFT_BASE_H
#define WEFT_BASE_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- errors ------------------------------------------------------------ */

#define ERR_MAP(X)                                         \
    X(NOMEM,    "out of memory")                           \
    X(IO,       "i/o error")                               \
    X(FORMAT,   "malformed recording")                     \
    X(VERSION,  "unsupported recording version")           \
    X(SCENARIO, "invalid scenario")                        \
    X(LIMIT,    "resource limit exceeded")                 \
    X(RUNTIME,  "runtime failure")                         \
    X(USAGE,    "invalid argument")                        \
    X(EXPECT,   "expectation failed")                      \
    X(UNSUPPORTED, "not supported")

enum {
    ERR_OK = 0,
#define X(name, str) ERR_##name,
    ERR__FIRST_MINUS_ONE = 0,
    ERR_MAP(X)
#undef X
};
/* Functions return 0 or -ERR_xxx. */
const char *err_str(int code);

/* A diagnostic: where and what. Only cli/ prints it. */
typedef struct diag {
    char file[256];   /* scenario or recording path, may be empty */
    uint64_t offset;  /* byte offset into a recording (has_offset) */
    int line, col;    /* 1-based position in a scenario (line > 0) */
    bool has_offset;
    char msg[512];
    char hint[512];   /* optional "did you mean ...", or the list of what may come */
    char snippet[256];/* the offending source line, if any */
} diag;

void diag_clear(diag *d);
/* Fill d->msg with a formatted message and return -code (for `return diag_set(...)`). */
int diag_set(diag *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int diag_setv(diag *d, int code, const char *fmt, va_list ap);

/* Broken invariants: abort with file and line. Never caught. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- memory ------------------------------------------------------------ */

void *xmalloc(size_t n);            /* aborts on failure: only for small, bounded sizes */
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Growable array: ARR_GROW(ptr, n_needed, cap). Overflow checked. */
void *arr_grow_(void *p, size_t need, size_t *cap, size_t elem);
/* The common case (room already) is a compare inline, not a call: need and cap
 * are evaluated twice, so they must have no side effects. */
#define ARR_GROW(p, need, cap) \
    ((need) <= (cap) ? (void)0 : (void)((p) = arr_grow_((p), (need), &(cap), sizeof *(p))))
#define ARR_PUSH(p, n, cap, v) do { ARR_GROW(p, (n) + 1, cap); (p)[(n)++] = (v); } while (0)

/* Bump arena for data with one lifetime (a loaded recording, a parsed scenario). */
typedef struct arena_block arena_block;
typedef struct arena { arena_block *head; size_t used_total; } arena;
void *arena_push(arena *a, size_t n);          /* zeroed, 16-byte aligned */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
void arena_release(arena *a);

/* ---- byte buffers ------------------------------------------------------ */

typedef struct buf { uint8_t *p; size_t n, cap; } buf;
void buf_reserve(buf *b, size_t extra);
void buf_put(buf *b, const void *src, size_t n);
void buf_u8(buf *b, uint8_t v);
void buf_u16(buf *b, uint16_t v);
void buf_u32(buf *b, uint32_t v);
void buf_u64(buf *b, uint64_t v);
void buf_i64(buf *b, int64_t v);
void buf_str(buf *b, const char *s);   /* u32 length + bytes, no NUL */
void buf_release(buf *b);

/* Bounded little-endian reader. The first failure sticks: after it every read
 * returns 0 and `err` names what was being read and where. */
typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
    uint64_t base;      /* file offset of p[0], for messages */
    bool err;
    uint64_t err_offset;
    const char *err_what;
} rd;
void rd_init(rd *r, const void *p, size_t n, uint64_t base);
uint8_t rd_u8(rd *r, const char *what);
uint16_t rd_u16(rd *r, const char *what);
uint32_t rd_u32(rd *r, const char *what);
uint64_t rd_u64(rd *r, const char *what);
int64_t rd_i64(rd *r, const char *what);
const void *rd_bytes(rd *r, size_t n, const char *what);
/* Reads a u32-prefixed string into the arena (NUL terminated). */
char *rd_str(rd *r, arena *a, size_t max_len, const char *what);

static inline void wr_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void wr_u64le(uint8_t *p, uint64_t v) {
    wr_u32le(p, (uint32_t)v); wr_u32le(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t ld_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ld_u64le(const uint8_t *p) {
    return (uint64_t)ld_u32le(p) | (uint64_t)ld_u32le(p + 4) << 32;
}

/* ---- checksums, hashing ------------------------------------------------ */

uint32_t crc32_update(uint32_t crc, const void *p, size_t n);  /* start with 0 */
uint64_t fnv1a64(const void *p, size_t n);

/* ---- clock ------------------------------------------------------------- */

/* CLOCK_MONOTONIC in ns: the clock of every recording. */
uint64_t clk_mono_ns(void);
/* CPU time of the calling thread in ns. */
uint64_t clk_thread_cpu_ns(void);

/* Raw tick source for the recorder hot path: the TSC where it is invariant
 * (x86-64 with constant_tsc and nonstop_tsc), else CLOCK_MONOTONIC itself.
 * clk_calib maps ticks to CLOCK_MONOTONIC ns. */
typedef struct clk_calib {
    /* what the recorder's hot path reads (clk_ticks_cpu) first, in 16 bytes: a
     * ring keeps a copy of this struct right after its head, in one cache line */
    bool tsc;            /* ticks are TSC cycles; else ticks are ns */
    uint8_t cpu_mode;    /* CLK_CPU_*: how clk_ticks_cpu learns the CPU (set by clk_calibrate) */
    uint8_t read;        /* CLK_READ_*: tsc and cpu_mode in one byte (clk_cpu_set); 0 = the general case */
    intptr_t rseq_cpu;   /* CLK_CPU_RSEQ: the thread's rseq cpu_id, from the thread pointer */
    uint64_t tick0, ns0; /* a matching pair */
    double ns_per_tick;
    const _Atomic uint64_t *virt;   /* set (and tsc false): ticks are read from this virtual clock (ns) */
} clk_calib;
/* The CPU with the tick: rdtscp gives both at once (where the TSC is the
 * clock and the CPU has it); else a load of the cpu_id the kernel keeps in
 * the thread's rseq area (glibc >= 2.35 registers one per thread); else
 * sched_getcpu(); none with a virtual clock. */
enum { CLK_CPU_NONE = 0, CLK_CPU_RDTSCP = 1, CLK_CPU_RSEQ = 2, CLK_CPU_GETCPU = 3 };
/* The cases clk_ticks_cpu reads inline (x86-64 with the TSC); every other one
 * (no TSC, a virtual clock, sched_getcpu) goes through clk_ticks_cpu_any, a
 * call: those clocks cost a call or more anyway. 0 is the general case, so a
 * clk_calib built by hand is read correctly, only not inline. */
enum { CLK_READ_ANY = 0, CLK_READ_TSC = 1 /* no CPU */, CLK_READ_TSC_RSEQ = 2, CLK_READ_RDTSCP = 3 };
uint32_t clk_getcpu(void);   /* the calling thread's CPU, UINT32_MAX when unknown */
void clk_cpu_detect(clk_calib *c);   /* sets c's cpu_mode (base_cpu.c); both calibrations call it */
void clk_cpu_set(clk_calib *c, uint8_t cpu_mode);   /* sets cpu_mode (and read) by hand: CLK_CPU_NONE */
void clk_calibrate(clk_calib *c, bool allow_tsc);   /* takes about 10 ms with TSC */
/* The same, through the user's cache (base_clock.c): no sleep once this
 * machine has been calibrated, and precise over long baselines. */
void clk_calibrate_cached(clk_calib *c, bool allow_tsc);
static inline uint64_t clk_ticks(const clk_calib *c);
static inline uint64_t clk_ticks_to_ns(const clk_calib *c, uint64_t t) {
    if (!c->tsc) return t;
    int64_t d = (int64_t)(t - c->tick0);
    return (uint64_t)((int64_t)c->ns0 + (int64_t)((double)d * c->ns_per_tick));
}
#if defined(__x86_64__)
static inline uint64_t clk_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
/* rdtsc may execute before the instructions ahead of it: a timestamp taken
 * just after acquiring a lock could be read before the lock was taken, and so
 * before the previous owner's release. The lfence keeps it after them. (The
 * release side needs nothing: the tick is read before the release retires.) */
static inline uint64_t clk_rdtsc_ordered(void) {
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}
#endif
static inline uint64_t clk_ticks(const clk_calib *c) {
#if defined(__x86_64__)
    if (c->tsc) return clk_rdtsc();
#endif
    if (c->virt) return *c->virt;
    return clk_mono_ns();
}
static inline uint64_t clk_ticks_ordered(const clk_calib *c) {
#if defined(__x86_64__)
    if (c->tsc) return clk_rdtsc_ordered();
#endif
    if (c->virt) return *c->virt;
    return clk_mono_ns();
}

/* A tick (ordered: as clk_ticks_ordered) and the CPU it was read on (`cpu`,
 * given back as it is when the mode is CLK_CPU_NONE). rdtscp waits for the
 * instructions before it to execute, so its tick is always ordered.
 * This is the recorder's hot path (trc_emit): one test of c->read, then the
 * tick and, for rseq, one fs-relative load of the cpu_id the kernel keeps
 * current. The other clocks take a call (clk_ticks_cpu_any, base_cpu.c); the
 * pair comes back in two registers, so the CPU never goes through memory. */
typedef struct clk_tick_cpu { uint64_t t; uint32_t cpu; } clk_tick_cpu;
clk_tick_cpu clk_ticks_cpu_any(const clk_calib *c, bool ordered, uint32_t cpu);
__attribute__((always_inline)) static inline clk_tick_cpu clk_ticks_cpu(const clk_calib *c, bool ordered, uint32_t cpu) {
#if defined(__x86_64__)
    if (__builtin_expect(c->read == CLK_READ_TSC_RSEQ, 1)) {
        uint64_t t = ordered ? clk_rdtsc_ordered() : clk_rdtsc();
        uint32_t v;
        /* the thread pointer is %fs's base on x86-64: one load, not two */
        __asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(v) : "r"(c->rseq_cpu));
        return (clk_tick_cpu){ t, v };
    }
    if (c->read == CLK_READ_RDTSCP) {
        uint32_t lo, hi, aux;
        if (ordered) __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
        else __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        return (clk_tick_cpu){ (uint64_t)hi << 32 | lo, aux & 0xfff };   /* Linux keeps (node << 12) | cpu in TSC_AUX */
    }
    if (c->read == CLK_READ_TSC) return (clk_tick_cpu){ ordered ? clk_rdtsc_ordered() : clk_rdtsc(), cpu };
#endif
    return clk_ticks_cpu_any(c, ordered, cpu);
}
/* ---- the user's cache, this machine (base_cache.c) ---------------------- */

/* $XDG_CACHE_HOME/weft/<name> (else $HOME/.cache/weft/<name>); false if neither is known. */
bool cache_path(char *out, size_t cap, const char *name);
/* "key value" lines. get: false when absent; put: best effort, silent. */
bool cache_get(const char *name, const char *key, char *val, size_t cap);
void cache_put(const char *name, const char *key, const char *val);
const char *machine_key(void);        /* 16 hex digits: machine id, CPU model, CPU count */
const char *machine_cpu_model(void);  /* "" if unknown */
bool machine_tsc_invariant(void);     /* x86-64 with constant_tsc and nonstop_tsc */
void machine_boot_id(char *out, size_t cap);   /* "" if unknown */

/* ---- strings and files ------------------------------------------------- */

/* Opening input that may not be a file, without hanging: file_open_read opens
 * for reading (a FIFO without a writer does not block the open: it reads as
 * empty), fstat()s into *st and refuses a directory: an fd, or -ERR_IO with d
 * filled. file_read_full: read(2) until n bytes, the end or an error (-1). */
struct stat;
const char *file_kind_name(unsigned mode);
int file_open_read(const char *path, struct stat *st, diag *d);
long file_read_full(int fd, void *p, size_t n);
/* Reads a whole file into a malloc'ed, NUL-terminated buffer of at most max
 * bytes (not counting the NUL), opening it once:
 *  - a regular file larger than max is refused by its size, before any read;
 *  - a pipe, FIFO, device or terminal (/dev/stdin, /dev/zero) is read until its
 *    end and refused as soon as more than max bytes have come;
 *  - a directory is refused.
 * Returns 0, -ERR_IO (cannot open or read; a directory), -ERR_LIMIT (too
 * large) or -ERR_NOMEM, with d->msg naming the file. Opening a FIFO waits for
 * its writer, as for any reader. */
int file_read_max(const char *path, size_t max, char **out, size_t *len, diag *d);
/* file_read_max with FILE_READ_MAX. */
#define FILE_READ_MAX ((size_t)1 << 30)
int file_read_all(const char *path, char **out, size_t *len, diag *d);
/* Reads fd until its end into a malloc'ed, NUL-terminated buffer that starts
 * with the nhead bytes at head (read before, e.g. by a probe); refuses with
 * -ERR_LIMIT as soon as the whole would pass max bytes, without reading
 * further. size_hint (0 = unknown) sizes the first allocation. name is for
 * messages. fd is left open. */
int fd_read_max(int fd, const char *name, const void *head, size_t nhead, size_t size_hint, size_t max, char **out,
                size_t *len, diag *d);
/* "16 MiB", "1.5 KiB", "200 bytes": a byte count for messages. */
void fmt_bytes(char *out, size_t cap, uint64_t n);
int str_edit_distance(const char *a, const char *b);
/* Formats a duration in ns with a unit that keeps 3 significant digits: "1.25 ms". */
void fmt_dur(char *out, size_t cap, uint64_t ns);
bool str_eq(const char *a, const char *b);

/* ---- fork (base_fork.c) ------------------------------------------------- */

#include <pthread.h>
/* Holds mu across every fork() of the process while registered (on), so a
 * fork never happens while the thread that allocates under mu is inside the
 * allocator (see base_fork.c). false when the table of 16 is full. */
bool fork_guard(pthread_mutex_t *mu, bool on);
/* pthread_create that returns once the thread runs fn (its start's own
 * allocations done): for a thread a fork may follow at once. */
int thread_start(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

/* ---- threads (base_thread.c) -------------------------------------------- */

/* A background thread of the library's own (the event cursor's read-ahead):
 * it runs fn(arg) with every signal blocked, so signals still go to the
 * program's threads. start: 0, or -ERR_RUNTIME (no thread could be made: the
 * caller does the work itself) or -ERR_NOMEM. join waits for fn to return and
 * frees t (NULL: nothing). */
typedef struct bg_thread bg_thread;
int bg_thread_start(bg_thread **out, void (*fn)(void *), void *arg);
void bg_thread_join(bg_thread *t);

/* A hand-over of n numbered slots (0..n-1, buffers the caller keeps) from one
 * producer thread to one consumer thread, in order. Both sides wait on a
 * condition variable when they must (never spinning); the mutex inside orders
 * what the producer wrote into a slot before the consumer reads it.
 *   producer: s = handoff_put_begin(h) waits for a free slot (-1: the consumer
 *             cancelled, stop), fills slot s, handoff_put_end(h) makes it
 *             ready; handoff_close(h) when nothing more comes.
 *   consumer: s = handoff_get(h) gives back the slot it held (if any) and
 *             waits for the next ready one; -1 once closed and all taken.
 *             handoff_cancel(h) gives back the slot held and stops the
 *             producer (a put_begin waiting returns -1).
 * new: NULL without memory (or n == 0). free: once both sides are done. */
typedef struct handoff handoff;
handoff *handoff_new(unsigned n);
int handoff_put_begin(handoff *h);
void handoff_put_end(handoff *h);
void handoff_close(handoff *h);
int handoff_get(handoff *h);
void handoff_cancel(handoff *h);
void handoff_free(handoff *h);

/* ---- a file written behind (base_wbehind.c) ------------------------------ */

/* Opens path for writing ("wb", created or emptied) as a FILE whose bytes a
 * background thread writes to the file while the caller goes on making more
 * (a few MiB of buffers: the caller waits when they are all being written).
 * A write error (ENOSPC, EIO) fails a later fwrite/fflush, or fclose, with
 * its errno; fclose waits for every byte and returns 0 only if all were
 * written. NULL (errno set) when the file cannot be opened; when no thread can
 * be made it is an ordinary FILE. Meant for regular files (weft writes pipes
 * and devices with a plain fopen). */
FILE *file_open_behind(const char *path);

/* ---- UTF-8 (base_utf8.c) ------------------------------------------------ */

/* Decodes the character at s (at most n bytes): returns its length (1..4) and
 * sets *cp, or returns 0 when the bytes are not valid UTF-8 (a stray
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or cut
 * short by n). */
int utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Writes cp as UTF-8 into out (4 bytes at most); returns the length. */
int utf8_encode(uint32_t cp, char out[4]);
/* The longest prefix of s[0..n) that does not end inside a character: where
 * to cut a valid UTF-8 text so that it stays valid. */
size_t utf8_cut(const char *s, size_t n);
/* The terminal columns a character takes: 2 for East Asian wide and
 * full-width characters (CJK, kana, hangul, full-width forms, most emoji),
 * 0 for combining marks and zero-width characters, 1 otherwise. */
int uc_width(uint32_t cp);
/* The columns the first `chars` characters of s take on a terminal (an
 * invalid byte counts as one column). */
int utf8_columns(const char *s, int chars);

#endif
