#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------ */

const char *err_str(int code) {
    if (code < 0) code = -code;
    switch (code) {
    case ERR_OK: return "ok";
#define X(name, str) case ERR_##name: return str;
    ERR_MAP(X)
#undef X
    default: return "unknown error";
    }
}

void diag_clear(diag *d) {
    if (d) memset(d, 0, sizeof *d);
}

int diag_setv(diag *d, int code, const char *fmt, va_list ap) {
    if (d) vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    return -code;
}

int diag_set(diag *d, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = diag_setv(d, code, fmt, ap);
    va_end(ap);
    return r;
}

void bug_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "BUG: %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ---- memory ------------------------------------------------------------ */

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) BUG("out of memory allocating %zu bytes", n);
    return p;
}

void *xcalloc(size_t n, size_t sz) {
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) BUG("out of memory allocating %zu x %zu bytes", n, sz);
    return p;
}

void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) BUG("out of memory reallocating %zu bytes", n);
    return q;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

/* Big arrays (a model of millions of events) are filled once, front to back:
 * with transparent huge pages they take 512 times fewer page faults. A big
 * malloc block is a mapping of its own (glibc: the mapping starts 16 bytes
 * before it and is usable size + 16 bytes); the whole mapping is advised, so
 * it stays one mapping and realloc can still mremap it. Not under the
 * sanitizers, whose allocators lay blocks out otherwise. */
static void big_pages(void *p) {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    uintptr_t base = (uintptr_t)p - 16;
    size_t len = malloc_usable_size(p) + 16;
    /* only a block that is exactly its own mapping; a hint on anything else
     * would merely change how the kernel backs memory around it */
    if (base % 4096 || len % 4096) return;
    madvise((void *)base, len, MADV_HUGEPAGE);
#else
    (void)p;
#endif
}

void *arr_grow_(void *p, size_t need, size_t *cap, size_t elem) {
    if (need <= *cap) return p;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) BUG("array size overflow");
        nc *= 2;
    }
    if (nc > SIZE_MAX / elem) BUG("array size overflow");
    p = xrealloc(p, nc * elem);
    *cap = nc;
    if (nc * elem >= (8u << 20)) big_pages(p);
    return p;
}

struct arena_block {
    arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *arena_push(arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 60000 ? n : 64 * 1024 - sizeof(arena_block);
        b = xmalloc(sizeof(arena_block) + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
    char *p = arena_push(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

void arena_release(arena *a) {
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used_total = 0;
}

/* ---- byte buffers ------------------------------------------------------ */

void buf_reserve(buf *b, size_t extra) {
    if (b->cap - b->n >= extra) return;
    size_t nc = b->cap ? b->cap : 256;
    while (nc - b->n < extra) {
        if (nc > SIZE_MAX / 2) BUG("buffer size overflow");
        nc *= 2;
    }
    b->p = xrealloc(b->p, nc);
    b->cap = nc;
}

void buf_put(buf *b, const void *src, size_t n) {
    if (!n) return;
    buf_reserve(b, n);
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

void buf_u8(buf *b, uint8_t v) { buf_put(b, &v, 1); }
void buf_u16(buf *b, uint16_t v) { uint8_t t[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; buf_put(b, t, 2); }
void buf_u32(buf *b, uint32_t v) { uint8_t t[4]; wr_u32le(t, v); buf_put(b, t, 4); }
void buf_u64(buf *b, uint64_t v) { uint8_t t[8]; wr_u64le(t, v); buf_put(b, t, 8); }
void buf_i64(buf *b, int64_t v) { buf_u64(b, (uint64_t)v); }
void buf_str(buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    buf_u32(b, (uint32_t)n);
    buf_put(b, s, n);
}
void buf_release(buf *b) { free(b->p); b->p = NULL; b->n = b->cap = 0; }

void rd_init(rd *r, const void *p, size_t n, uint64_t base) {
    memset(r, 0, sizeof *r);
    r->p = p;
    r->n = n;
    r->base = base;
}

const void *rd_bytes(rd *r, size_t n, const char *what) {
    if (r->err) return NULL;
    if (r->n - r->pos < n) {
        r->err = true;
        r->err_offset = r->base + r->pos;
        r->err_what = what;
        return NULL;
    }
    const void *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t rd_u8(rd *r, const char *what) { const uint8_t *p = rd_bytes(r, 1, what); return p ? p[0] : 0; }
uint16_t rd_u16(rd *r, const char *what) {
    const uint8_t *p = rd_bytes(r, 2, what);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}
uint32_t rd_u32(rd *r, const char *what) { const uint8_t *p = rd_bytes(r, 4, what); return p ? ld_u32le(p) : 0; }
uint64_t rd_u64(rd *r, const char *what) { const uint8_t *p = rd_bytes(r, 8, what); return p ? ld_u64le(p) : 0; }
int64_t rd_i64(rd *r, const char *what) { return (int64_t)rd_u64(r, what); }

char *rd_str(rd *r, arena *a, size_t max_len, const char *what) {
    size_t at = r->pos;
    uint32_t n = rd_u32(r, what);
    if (r->err) return NULL;
    if (n > max_len) {
        r->err = true;
        r->err_offset = r->base + at;
        r->err_what = what;
        return NULL;
    }
    const char *p = rd_bytes(r, n, what);
    if (!p) return NULL;
    if (memchr(p, 0, n)) {
        r->err = true;
        r->err_offset = r->base + at;
        r->err_what = what;
        return NULL;
    }
    return arena_strndup(a, p, n);
}

/* ---- checksums --------------------------------------------------------- */

static uint32_t crc_table[8][256];
static void crc_init_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

#include <pthread.h>
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
#include <immintrin.h>
/* CRC-32 by carry-less multiplication (Intel's "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ", the bit-reflected variant): four
 * 128-bit lanes are folded forward over 64-byte blocks, folded into one, and
 * reduced to 32 bits with a Barrett step. The constants are x^k mod P for the
 * fold distances, bit-reflected; they are checked against the table by the
 * file tests on random lengths and alignments. n is a multiple of 16, >= 64;
 * c is the running (inverted) CRC. */
/* Folds the 64 bytes a, b, e, f (the CRC so far, in a) with the n bytes at p
 * (a multiple of 16) and reduces them to the CRC. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t crc_fold_rest(__m128i a, __m128i b, __m128i e, __m128i f,
                                                                     const uint8_t *p, size_t n) {
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596ll, 0x0154442bd4ll);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009ell, 0x01751997d0ll);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124ll);
    const __m128i pmu = _mm_set_epi64x(0x01f7011641ll, 0x01db710641ll);
    const __m128i lo32 = _mm_setr_epi32(-1, 0, -1, 0);
#define FOLD(x, k, next) \
    x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), (next))
    while (n >= 64) {
        FOLD(a, k1k2, _mm_loadu_si128((const __m128i *)p));
        FOLD(b, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
        FOLD(e, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
        FOLD(f, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        n -= 64;
    }
    FOLD(a, k3k4, b);
    FOLD(a, k3k4, e);
    FOLD(a, k3k4, f);
    while (n >= 16) {
        FOLD(a, k3k4, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
#undef FOLD
    /* 128 -> 64 bits, then 64 -> 32 */
    __m128i t = _mm_clmulepi64_si128(a, k3k4, 0x10);
    a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
    t = _mm_srli_si128(a, 4);
    a = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(a, lo32), k5, 0x00), t);
    /* Barrett reduction */
    t = _mm_clmulepi64_si128(_mm_and_si128(a, lo32), pmu, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), pmu, 0x00);
    a = _mm_xor_si128(a, t);
    return (uint32_t)_mm_extract_epi32(a, 1);
}

__attribute__((target("pclmul,sse4.1"))) static uint32_t crc_fold(uint32_t c, const uint8_t *p, size_t n) {
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)c));
    return crc_fold_rest(a, _mm_loadu_si128((const __m128i *)(p + 16)), _mm_loadu_si128((const __m128i *)(p + 32)),
                         _mm_loadu_si128((const __m128i *)(p + 48)), p + 64, n - 64);
}

/* The same fold four 512-bit registers (256 bytes) at a time where the CPU
 * has VPCLMULQDQ (n >= 256, a multiple of 16): about four times the bytes per
 * cycle. The constants are x^(2048+32) and x^(2048-32) mod P, bit-reflected
 * and shifted left by one, as k1k2 is for 512. */
__attribute__((target("pclmul,sse4.1,avx512f,vpclmulqdq"))) static uint32_t crc_fold512(uint32_t c, const uint8_t *p,
                                                                                       size_t n) {
    const __m512i k2048 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01322d1430ll, 0x011542778all));
    const __m512i k512 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01c6e41596ll, 0x0154442bd4ll));
    __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)c)));
    __m512i x1 = _mm512_loadu_si512(p + 64), x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
    p += 256;
    n -= 256;
#define FOLD512(x, k, next) \
    x = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11), (next), 0x96)
    while (n >= 256) {
        FOLD512(x0, k2048, _mm512_loadu_si512(p));
        FOLD512(x1, k2048, _mm512_loadu_si512(p + 64));
        FOLD512(x2, k2048, _mm512_loadu_si512(p + 128));
        FOLD512(x3, k2048, _mm512_loadu_si512(p + 192));
        p += 256;
        n -= 256;
    }
    FOLD512(x0, k512, x1);
    FOLD512(x0, k512, x2);
    FOLD512(x0, k512, x3);
#undef FOLD512
    return crc_fold_rest(_mm512_extracti32x4_epi32(x0, 0), _mm512_extracti32x4_epi32(x0, 1),
                         _mm512_extracti32x4_epi32(x0, 2), _mm512_extracti32x4_epi32(x0, 3), p, n);
}

static bool crc_has_clmul, crc_has_vpclmul;
#endif

static void crc_init(void) {
    crc_init_table();
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_has_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1") && !getenv("WEFT_CRC_TABLE");
    crc_has_vpclmul = crc_has_clmul && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq") &&
                      !getenv("WEFT_CRC_NO512");
#endif
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n) {
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
#if defined(__x86_64__)
    if (n >= 64 && crc_has_clmul) {
        size_t m = n & ~(size_t)15;
        crc = m >= 256 && crc_has_vpclmul ? crc_fold512(crc, p, m) : crc_fold(crc, p, m);
        p += m;
        n -= m;
    }
#endif
    while (n >= 8) {
        uint32_t a = ld_u32le(p) ^ crc, b = ld_u32le(p + 4);
        crc = crc_table[7][a & 0xff] ^ crc_table[6][(a >> 8) & 0xff] ^ crc_table[5][(a >> 16) & 0xff] ^
              crc_table[4][a >> 24] ^ crc_table[3][b & 0xff] ^ crc_table[2][(b >> 8) & 0xff] ^
              crc_table[1][(b >> 16) & 0xff] ^ crc_table[0][b >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint64_t fnv1a64(const void *data, size_t n) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
    return h;
}

/* ---- strings and files ------------------------------------------------- */

/* A file type for messages: "a directory", "a FIFO", ... */
const char *file_kind_name(unsigned mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISREG(mode)) return "a regular file";
    return "not a regular file";
}

int file_open_read(const char *path, struct stat *st, diag *d) {
    /* O_NONBLOCK: opening a FIFO that has no writer must not hang */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return diag_set(d, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return diag_set(d, ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    if (S_ISDIR(st->st_mode)) {
        close(fd);
        return diag_set(d, ERR_IO, "cannot read '%s': it is a directory", path);
    }
    /* back to blocking reads: a pipe with a writer is read as it comes */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

long file_read_full(int fd, void *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return got ? (long)got : -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    return (long)got;
}

void fmt_bytes(char *out, size_t cap, uint64_t n) {
    static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
    if (n < 1024) { snprintf(out, cap, "%llu bytes", (unsigned long long)n); return; }
    double v = (double)n / 1024;
    int u = 0;
    while (v >= 1024 && u < 3) { v /= 1024; u++; }
    if (v == (double)(uint64_t)v) snprintf(out, cap, "%.0f %s", v, units[u]);
    else snprintf(out, cap, "%.1f %s", v, units[u]);
}

int fd_read_max(int fd, const char *name, const void *head, size_t nhead, size_t size_hint, size_t max, char **out,
                size_t *len, diag *d) {
    *out = NULL;
    if (max > SIZE_MAX / 4) max = SIZE_MAX / 4;
    char lim[32];
    fmt_bytes(lim, sizeof lim, max);
    if (nhead > max) return diag_set(d, ERR_LIMIT, "cannot read '%s': it is larger than %s", name, lim);
    /* never more than max + 1 bytes of buffer: one byte past the limit tells "too large" */
    size_t cap = size_hint && size_hint < max ? size_hint + 1 : 65536;
    if (cap > max + 1) cap = max + 1;
    if (cap < nhead + 1) cap = nhead + 1;
    char *p = malloc(cap + 1);
    if (!p) return diag_set(d, ERR_NOMEM, "out of memory reading '%s'", name);
    if (nhead) memcpy(p, head, nhead);
    size_t n = nhead;
    for (;;) {
        if (n == cap) {
            if (cap > max) break;   /* holds max + 1 bytes: too large */
            size_t nc = cap > (max + 1) / 2 ? max + 1 : cap * 2;
            char *q = realloc(p, nc + 1);
            if (!q) {
                free(p);
                return diag_set(d, ERR_NOMEM, "out of memory reading '%s' (%zu bytes so far)", name, n);
            }
            p = q;
            cap = nc;
        }
        ssize_t r = read(fd, p + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(p);
            return diag_set(d, ERR_IO, "cannot read '%s': %s", name, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > max) {
        free(p);
        return diag_set(d, ERR_LIMIT, "cannot read '%s': it is larger than %s", name, lim);
    }
    p[n] = 0;
    *out = p;
    if (len) *len = n;
    return 0;
}

int file_read_max(const char *path, size_t max, char **out, size_t *len, diag *d) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return diag_set(d, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return diag_set(d, ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return diag_set(d, ERR_IO, "cannot read '%s': it is a directory", path);
    }
    size_t hint = 0;
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > max) {
            close(fd);
            char lim[32], size[32];
            fmt_bytes(lim, sizeof lim, max);
            fmt_bytes(size, sizeof size, (uint64_t)st.st_size);
            return diag_set(d, ERR_LIMIT, "cannot read '%s': it is larger than %s (%s)", path, lim, size);
        }
        hint = (size_t)st.st_size;
    }
    int rc = fd_read_max(fd, path, NULL, 0, hint, max, out, len, d);
    close(fd);
    return rc;
}

int file_read_all(const char *path, char **out, size_t *len, diag *d) {
    return file_read_max(path, FILE_READ_MAX, out, len, d);
}

int str_edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 1000;
    int prev[65], cur[65];
    for (size_t j = 0; j <= m; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            cur[j] = c;
        }
        memcpy(prev, cur, sizeof(int) * (m + 1));
    }
    return prev[m];
}

void fmt_dur(char *out, size_t cap, uint64_t ns) {
    double v = (double)ns;
    const char *u = "ns";
    if (ns >= 1000000000ull) { v /= 1e9; u = "s"; }
    else if (ns >= 1000000ull) { v /= 1e6; u = "ms"; }
    else if (ns >= 1000ull) { v /= 1e3; u = "us"; }
    if (u[0] == 'n' && u[1] == 's') snprintf(out, cap, "%llu ns", (unsigned long long)ns);
    else if (v >= 100) snprintf(out, cap, "%.0f %s", v, u);
    else if (v >= 10) snprintf(out, cap, "%.1f %s", v, u);
    else snprintf(out, cap, "%.2f %s", v, u);
}

bool str_eq(const char *a, const char *b) { return strcmp(a, b) == 0; }
