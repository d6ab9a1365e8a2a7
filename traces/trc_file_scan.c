/* The pre-scan of a closed file's EVENTS chunks (trc_format.h, "the pre-scan
 * of EVENTS chunks"): each chunk read once, a piece at a time, into a small
 * buffer that stays in the cache, its CRC and its summary made from that
 * piece; every other chunk by a helper thread of its own (base_thread.c),
 * handed to the loader's walk through a handoff, in order. */
#include "traces/trc_format.h"

#include <stdatomic.h>
#include <stdlib.h>

#define SCAN_EVENTS 8191u                               /* events per read */
#define SCAN_BYTES (F_CHUNK_HDR + 8u + SCAN_EVENTS * F_EV_SIZE)   /* header, count, events: 256 KiB + 40 */
#define SCAN_MIN_CHUNK (64u << 10)  /* smaller chunks: read the old way, many to one window read */
#define SCAN_HELPER_BYTES (8u << 20) /* fewer bytes of chunks to scan: no helper thread */
#define SCAN_SLOTS 3u

/* Reads the chunk [off, off + F_CHUNK_HDR + len) into mem a piece at a time
 * and summarises it into o (o->clean false: the walk reads it itself). Its
 * checks are the stateless ones of trc_file_read.c's p_events, or stricter. */
static void scan_chunk(const trc_backing *b, uint64_t off, uint64_t len, uint8_t *mem, f_evscan *o) {
    o->clean = false;
    o->npieces = 0;
    uint64_t total = F_CHUNK_HDR + len;
    size_t k = total < SCAN_BYTES ? (size_t)total : SCAN_BYTES;
    trc_backing_read(b, mem, k, off);
    memcpy(o->hdr, mem, F_CHUNK_HDR);
    if (ld_u64le(mem + 16) != len || len < 8) return;
    uint32_t n = ld_u32le(mem + F_CHUNK_HDR), resv = ld_u32le(mem + F_CHUNK_HDR + 4);
    if (n == 0 || n > F_EV_PER_CHUNK || len != 8 + (uint64_t)n * F_EV_SIZE || resv) return;
    uint32_t crc = crc32_update(0, mem + F_CHUNK_HDR, k - F_CHUNK_HDR);
    const uint8_t *q = mem + F_CHUNK_HDR + 8;
    size_t m = (k - F_CHUNK_HDR - 8) / F_EV_SIZE;   /* events in this piece */
    uint64_t done = k;                              /* bytes of the chunk read */
    uint32_t max_unit = 0, max_obj = 0, np = 0;
    uint64_t lost = 0, t_max = 0, last = 0;
    uint32_t unit = 0;
    f_piece *pieces = o->pieces;
    /* the open piece is pieces[np - 1]: its n and t_last are set when it ends */
    for (uint32_t i = 0; i < n;) {
        for (size_t j = 0; j < m; j++, i++, q += F_EV_SIZE) {
            uint64_t t = ld_u64le(q);
            uint32_t u = ld_u32le(q + 16), obj = ld_u32le(q + 20);
            uint16_t kind = ld_u16le(q + 24);
            if (kind == 0 || kind >= TRC_EV__MAX) return;
            max_unit = u > max_unit ? u : max_unit;
            max_obj = obj > max_obj ? obj : max_obj;
            t_max = t > t_max ? t : t_max;
            if (kind == TRC_EV_LOST) {
                uint64_t s = lost + ld_u64le(q + 8);
                lost = s < lost ? UINT64_MAX : s;
            }
            if (u != unit || t < last || !np) {
                if (np) {
                    pieces[np - 1].n = i - pieces[np - 1].first;
                    pieces[np - 1].t_last = last;
                }
                if (np == F_SCAN_PIECES) return;
                pieces[np++] = (f_piece){ .t_first = t, .unit = u, .first = i };
                unit = u;
            }
            last = t;
        }
        if (i == n) break;
        k = total - done < SCAN_EVENTS * F_EV_SIZE ? (size_t)(total - done) : SCAN_EVENTS * F_EV_SIZE;
        trc_backing_read(b, mem, k, off + done);
        crc = crc32_update(crc, mem, k);
        done += k;
        q = mem;
        m = k / F_EV_SIZE;
    }
    pieces[np - 1].n = n - pieces[np - 1].first;   /* n >= 1: a piece is open */
    pieces[np - 1].t_last = last;
    o->crc = crc;
    o->n = n;
    o->max_unit = max_unit;
    o->max_obj = max_obj;
    o->npieces = np;
    o->lost = lost;
    o->t_max = t_max;
    o->clean = true;
}

struct f_prescan {
    const trc_backing *b;
    const sect_entry *table;
    uint32_t *list;              /* the chunks pre-scanned: list[i] odd i by the helper */
    size_t nlist, cap_list;
    uint32_t next;               /* the walk's place in list */
    uint8_t *buf;                /* the walk's read buffer */
    f_evscan mine;               /* the walk's own summary */
    /* the helper (q NULL: none) */
    handoff *q;
    bg_thread *th;
    uint8_t *hbuf;
    f_evscan slot[SCAN_SLOTS];
    uint32_t slot_seq[SCAN_SLOTS];
};

static void prescan_main(void *arg) {
    f_prescan *p = arg;
    for (uint32_t i = 1; i < p->nlist; i += 2) {
        int k = handoff_put_begin(p->q);
        if (k < 0) break;   /* the walk stopped */
        const sect_entry *e = &p->table[p->list[i]];
        scan_chunk(p->b, e->off, e->len, p->hbuf, &p->slot[k]);
        p->slot_seq[k] = p->list[i];
        handoff_put_end(p->q);
    }
    handoff_close(p->q);
}

static _Atomic int prescan_on = -1;   /* -1: not decided yet (WEFT_PRESCAN) */

void f_prescan_enable(bool on) { atomic_store(&prescan_on, on); }

static _Atomic uint32_t min_chunk = SCAN_MIN_CHUNK;
static _Atomic uint64_t helper_bytes = SCAN_HELPER_BYTES, n_given, n_helped;

void f_prescan_tune(uint32_t chunk, uint64_t bytes) {
    atomic_store(&min_chunk, chunk);
    atomic_store(&helper_bytes, bytes);
}

void f_prescan_counts(uint64_t *given, uint64_t *by_helper, bool reset) {
    *given = reset ? atomic_exchange(&n_given, 0) : atomic_load(&n_given);
    *by_helper = reset ? atomic_exchange(&n_helped, 0) : atomic_load(&n_helped);
}

static bool prescan_wanted(void) {
    int v = atomic_load(&prescan_on);
    if (v < 0) {
        const char *e = getenv("WEFT_PRESCAN");
        v = !(e && !strcmp(e, "0"));
        atomic_store(&prescan_on, v);
    }
    return v;
}

f_prescan *f_prescan_start(const trc_backing *b, const sect_entry *table, uint32_t n, uint64_t limit) {
    if (b->fd < 0 || !prescan_wanted()) return NULL;   /* bytes in memory: the walk reads them where they are */
    f_prescan *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->b = b;
    p->table = table;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        const sect_entry *e = &table[i];
        /* a small chunk is cheaper the old way: one pread per chunk and a hand-over cost more
         * than the window reads that take many small chunks at once (16-event chunks: 3-4x) */
        if (e->type != CH_EVENTS || e->off > limit || limit - e->off < F_CHUNK_HDR ||
            e->len > limit - e->off - F_CHUNK_HDR || e->len > 8 + (uint64_t)F_EV_PER_CHUNK * F_EV_SIZE ||
            e->len < atomic_load_explicit(&min_chunk, memory_order_relaxed))
            continue;
        bytes += e->len;
        ARR_PUSH(p->list, p->nlist, p->cap_list, i);
    }
    p->buf = malloc(SCAN_BYTES);
    p->mine.pieces = malloc(F_SCAN_PIECES * sizeof *p->mine.pieces);
    if (!p->nlist || !p->buf || !p->mine.pieces) { f_prescan_free(p); return NULL; }
    if (bytes < atomic_load_explicit(&helper_bytes, memory_order_relaxed) || !f_ahead_on()) return p;
    p->hbuf = malloc(SCAN_BYTES);
    bool ok = p->hbuf != NULL;
    for (unsigned k = 0; k < SCAN_SLOTS && ok; k++)
        ok = (p->slot[k].pieces = malloc(F_SCAN_PIECES * sizeof *p->slot[k].pieces)) != NULL;
    if (ok) p->q = handoff_new(SCAN_SLOTS);
    if (p->q && bg_thread_start(&p->th, prescan_main, p)) {
        handoff_free(p->q);
        p->q = NULL;
    }
    return p;   /* without a helper (no memory, no thread): the walk scans every chunk itself */
}

const f_evscan *f_prescan_get(f_prescan *p, uint32_t seq) {
    while (p->next < p->nlist && p->list[p->next] <= seq) {
        uint32_t i = p->next++;
        const f_evscan *s;
        if (p->q && i % 2) {
            int k = handoff_get(p->q);
            if (k < 0) return NULL;   /* cannot happen: the helper scans every odd one */
            if (p->slot_seq[k] != p->list[i]) BUG("pre-scan out of order");
            s = &p->slot[k];
        } else {
            if (p->list[i] != seq) continue;   /* passed over: not scanned */
            const sect_entry *e = &p->table[seq];
            scan_chunk(p->b, e->off, e->len, p->buf, &p->mine);
            s = &p->mine;
        }
        if (p->list[i] == seq) {
            atomic_fetch_add_explicit(&n_given, 1, memory_order_relaxed);
            if (s != &p->mine) atomic_fetch_add_explicit(&n_helped, 1, memory_order_relaxed);
            return s;
        }
    }
    return NULL;
}

void f_prescan_free(f_prescan *p) {
    if (!p) return;
    if (p->q) {
        handoff_cancel(p->q);
        bg_thread_join(p->th);
        handoff_free(p->q);
    }
    for (unsigned k = 0; k < SCAN_SLOTS; k++) free(p->slot[k].pieces);
    free(p->mine.pieces);
    free(p->hbuf);
    free(p->buf);
    free(p->list);
    free(p);
}
