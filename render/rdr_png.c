/* PNG writer: 8-bit RGB, one IDAT chunk holding a zlib stream.
 *
 *   PNG    = signature, IHDR, IDAT, IEND; each chunk: u32be length, 4-byte type,
 *            data, u32be CRC-32 of type + data (base's crc32_update).
 *   image  = per row: a filter byte (0 none, 1 sub, 2 up: chosen per row by the
 *            smallest sum of |signed bytes|, the usual heuristic) + R,G,B per pixel.
 *   zlib   = 0x78 0x01, deflate blocks, Adler-32 (big-endian) of the image.
 *   deflate: RDR_PNG_STORED writes stored blocks of at most 65535 bytes;
 *            RDR_PNG_FAST writes one fixed-Huffman block (RFC 1951 3.2.6) with
 *            LZ77 matches from a hash chain. UI screenshots are mostly flat areas,
 *            which filtering turns into runs of zeros that match at distance 1..3.
 */
#include "render/rdr_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t rdr_adler32(uint32_t adler, const void *p, size_t n) {
    const uint8_t *b = p;
    uint32_t s1 = adler & 0xffff, s2 = adler >> 16;
    while (n) {
        size_t k = n < 5552 ? n : 5552;   /* the most bytes before s2 can overflow 32 bits */
        n -= k;
        while (k--) { s1 += *b++; s2 += s1; }
        s1 %= 65521;
        s2 %= 65521;
    }
    return s2 << 16 | s1;
}

static void rdr_be32(buf *b, uint32_t v) {
    uint8_t t[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    buf_put(b, t, 4);
}

static void rdr_chunk(buf *out, const char type[4], const uint8_t *data, size_t n) {
    rdr_be32(out, (uint32_t)n);
    size_t at = out->n;
    buf_put(out, type, 4);
    if (n) buf_put(out, data, n);
    rdr_be32(out, crc32_update(0, out->p + at, n + 4));
}

//~ filtering

static uint8_t *rdr_png_rows(const uint32_t *argb, int w, int h, size_t *out_n) {
    size_t stride = (size_t)w * 3;
    size_t n = (size_t)h * (stride + 1);
    uint8_t *raw = xmalloc(n);
    uint8_t *cur = xmalloc(stride), *prev = xcalloc(stride ? stride : 1, 1), *cand = xmalloc(stride);
    for (int y = 0; y < h; y++) {
        const uint32_t *px = argb + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            cur[3 * x] = (uint8_t)(px[x] >> 16);
            cur[3 * x + 1] = (uint8_t)(px[x] >> 8);
            cur[3 * x + 2] = (uint8_t)px[x];
        }
        uint8_t *row = raw + (size_t)y * (stride + 1);
        uint64_t best = UINT64_MAX;
        for (int f = 0; f <= 2; f++) {
            uint64_t cost = 0;
            for (size_t i = 0; i < stride; i++) {
                uint8_t v = cur[i];
                if (f == 1) v = (uint8_t)(v - (i >= 3 ? cur[i - 3] : 0));
                else if (f == 2) v = (uint8_t)(v - prev[i]);
                cand[i] = v;
                cost += v < 128 ? v : 256 - v;
            }
            if (cost < best) {
                best = cost;
                row[0] = (uint8_t)f;
                memcpy(row + 1, cand, stride);
            }
        }
        uint8_t *t = prev; prev = cur; cur = t;
    }
    free(cur);
    free(prev);
    free(cand);
    *out_n = n;
    return raw;
}

//~ deflate

typedef struct rdr_bits { buf *out; uint64_t acc; int n; } rdr_bits;

static void rdr_put_bits(rdr_bits *b, uint32_t v, int n) {   /* LSB first */
    b->acc |= (uint64_t)v << b->n;
    b->n += n;
    while (b->n >= 8) {
        buf_u8(b->out, (uint8_t)b->acc);
        b->acc >>= 8;
        b->n -= 8;
    }
}

static void rdr_put_huff(rdr_bits *b, uint32_t code, int n) {   /* Huffman codes go MSB first */
    uint32_t r = 0;
    for (int i = 0; i < n; i++) r |= ((code >> i) & 1u) << (n - 1 - i);
    rdr_put_bits(b, r, n);
}

static void rdr_lit(rdr_bits *b, unsigned v) {
    if (v < 144) rdr_put_huff(b, 0x30 + v, 8);
    else if (v < 256) rdr_put_huff(b, 0x190 + (v - 144), 9);
    else if (v < 280) rdr_put_huff(b, v - 256, 7);
    else rdr_put_huff(b, 0xc0 + (v - 280), 8);
}

static const uint16_t rdr_len_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                           35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t rdr_len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                           3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t rdr_dist_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                            193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
                                            6145, 8193, 12289, 16385, 24577 };
static const uint8_t rdr_dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                            6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static void rdr_match(rdr_bits *b, unsigned len, unsigned dist) {
    int i = 28;
    while (rdr_len_base[i] > len) i--;
    rdr_lit(b, 257 + (unsigned)i);
    if (rdr_len_extra[i]) rdr_put_bits(b, len - rdr_len_base[i], rdr_len_extra[i]);
    int j = 29;
    while (rdr_dist_base[j] > dist) j--;
    rdr_put_huff(b, (uint32_t)j, 5);
    if (rdr_dist_extra[j]) rdr_put_bits(b, dist - rdr_dist_base[j], rdr_dist_extra[j]);
}

enum { RDR_WSIZE = 32768, RDR_HBITS = 15, RDR_MAXCHAIN = 24, RDR_MINM = 3, RDR_MAXM = 258 };

static void rdr_deflate_fixed(buf *out, const uint8_t *d, size_t n) {
    rdr_bits b = { .out = out };
    rdr_put_bits(&b, 1, 1);   /* BFINAL */
    rdr_put_bits(&b, 1, 2);   /* BTYPE = fixed Huffman */
    int32_t *head = xmalloc(sizeof(int32_t) << RDR_HBITS);
    int32_t *prev = xmalloc(sizeof(int32_t) * RDR_WSIZE);
    memset(head, 0xff, sizeof(int32_t) << RDR_HBITS);
    size_t i = 0;
#define RDR_HASH(p) ((((uint32_t)(p)[0] << 16 | (uint32_t)(p)[1] << 8 | (p)[2]) * 2654435761u) >> (32 - RDR_HBITS))
#define RDR_INSERT(pos)                                                        \
    do {                                                                       \
        uint32_t h_ = RDR_HASH(d + (pos));                                     \
        prev[(pos) & (RDR_WSIZE - 1)] = head[h_];                              \
        head[h_] = (int32_t)(pos);                                             \
    } while (0)
    while (i < n) {
        unsigned best_len = 0, best_dist = 0;
        if (i + RDR_MINM <= n) {
            size_t maxm = n - i < RDR_MAXM ? n - i : RDR_MAXM;
            int32_t cand = head[RDR_HASH(d + i)];
            for (int chain = 0; cand >= 0 && chain < RDR_MAXCHAIN; chain++) {
                size_t c = (size_t)cand;
                if (i - c > RDR_WSIZE - 1) break;
                if (d[c + best_len] == d[i + best_len] || best_len == 0) {
                    size_t k = 0;
                    while (k < maxm && d[c + k] == d[i + k]) k++;
                    if (k > best_len) {
                        best_len = (unsigned)k;
                        best_dist = (unsigned)(i - c);
                        if (k == maxm) break;
                    }
                }
                int32_t nx = prev[c & (RDR_WSIZE - 1)];
                if (nx >= cand) break;   /* the slot was reused: the chain is stale */
                cand = nx;
            }
            RDR_INSERT(i);
        }
        if (best_len >= RDR_MINM) {
            rdr_match(&b, best_len, best_dist);
            size_t end = i + best_len;
            for (i++; i < end; i++)
                if (i + RDR_MINM <= n) RDR_INSERT(i);
        } else {
            rdr_lit(&b, d[i]);
            i++;
        }
    }
#undef RDR_INSERT
#undef RDR_HASH
    rdr_lit(&b, 256);
    if (b.n) rdr_put_bits(&b, 0, 8 - b.n);
    free(head);
    free(prev);
}

static void rdr_deflate_stored(buf *out, const uint8_t *d, size_t n) {
    size_t i = 0;
    do {
        size_t k = n - i < 65535 ? n - i : 65535;
        buf_u8(out, i + k == n ? 1 : 0);
        buf_u16(out, (uint16_t)k);
        buf_u16(out, (uint16_t)~k);
        if (k) buf_put(out, d + i, k);
        i += k;
    } while (i < n);
}

//~ PNG

void rdr_png_encode(buf *out, const uint32_t *argb, int width, int height, int level) {
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    buf_put(out, sig, 8);
    uint8_t ihdr[13];
    uint32_t w = (uint32_t)width, h = (uint32_t)height;
    ihdr[0] = (uint8_t)(w >> 24); ihdr[1] = (uint8_t)(w >> 16); ihdr[2] = (uint8_t)(w >> 8); ihdr[3] = (uint8_t)w;
    ihdr[4] = (uint8_t)(h >> 24); ihdr[5] = (uint8_t)(h >> 16); ihdr[6] = (uint8_t)(h >> 8); ihdr[7] = (uint8_t)h;
    ihdr[8] = 8;    /* bit depth */
    ihdr[9] = 2;    /* colour type: RGB */
    ihdr[10] = 0;   /* deflate */
    ihdr[11] = 0;   /* adaptive filtering */
    ihdr[12] = 0;   /* no interlace */
    rdr_chunk(out, "IHDR", ihdr, sizeof ihdr);

    size_t n;
    uint8_t *raw = rdr_png_rows(argb, width, height, &n);
    buf z = { 0 };
    buf_u8(&z, 0x78);
    buf_u8(&z, 0x01);
    if (level == RDR_PNG_STORED) rdr_deflate_stored(&z, raw, n);
    else rdr_deflate_fixed(&z, raw, n);
    rdr_be32(&z, rdr_adler32(1, raw, n));
    free(raw);
    rdr_chunk(out, "IDAT", z.p, z.n);
    buf_release(&z);
    rdr_chunk(out, "IEND", NULL, 0);
}

int rdr_png_write(const char *path, const uint32_t *argb, int width, int height, int level, diag *d) {
    if (width <= 0 || height <= 0) return diag_set(d, ERR_USAGE, "%s: empty image", path);
    buf b = { 0 };
    rdr_png_encode(&b, argb, width, height, level);
    FILE *f = fopen(path, "wb");
    if (!f) {
        int e = errno;
        buf_release(&b);
        return diag_set(d, ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    size_t wr = fwrite(b.p, 1, b.n, f);
    int bad = wr != b.n || ferror(f);
    int e = errno;
    if (fclose(f) != 0 && !bad) { bad = 1; e = errno; }
    buf_release(&b);
    if (bad) return diag_set(d, ERR_IO, "cannot write '%s': %s", path, strerror(e));
    return 0;
}
