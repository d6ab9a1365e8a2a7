/* The recorder.
 *
 * Design: every unit owns one single-producer/single-consumer ring of fixed
 * 32-byte events (trc_ring, see trc.h). trc_emit() is the hot path, always
 * inlined: a tick read with the CPU (TSC and the rseq cpu_id, or rdtscp; other
 * clocks through a call), a relaxed load of its own head, one test (CPU changed,
 * or head past a cached tail), a 32-byte store and a release store of head; it
 * reads one cache line of the ring besides the event's slot. No lock, no
 * shared cursor: two units never touch the same cache line. The recording
 * mode and the event limit are never looked at there.
 *
 * A background drain thread wakes every drain_period_us (or at once when a
 * producer rings ctl->kick: a ring past half full does, so the drain empties
 * it while the other half fills; see ring_next_mark), copies each ring's new events out (acquire on
 * head, release on tail), converts ticks to CLOCK_MONOTONIC ns and hands them
 * to the trc_writer, which writes them as checksummed chunks. When a pass found
 * a lot to do it goes again without sleeping, so a busy run is drained as fast
 * as the writer goes.
 *
 * A full ring (or the half-full mark, or a change of CPU: a CPU event goes
 * first) sends the producer to trc_emit_slow_ (not inlined, so the fast path
 * stays a few instructions):
 *  - complete mode (the default): the unit rings the drain and waits (a futex
 *    on its ring's tail_seq, bumped by the drain) until there is room, then
 *    writes FLUSH_BEGIN (when the wait began) and FLUSH_END (when it ended)
 *    before its event. The recording is complete and the wait is visible.
 *  - drop mode, or no drain running: the event is dropped and counted; the
 *    next event that fits is preceded by a LOST event carrying the count and
 *    the time of the first drop. After a drop tail_cache is set to "full", so
 *    the next emit comes back here and the LOST event is never skipped.
 *    Drops still pending when the recorder stops are written by the drain
 *    (LOST with aux 1): a unit's last losses are never silent.
 *
 * The drain counts what it has handed on; past desc.max_events it reports
 * TRC_REC_LIMIT through trc_recorder_status (the run's watchdog ends the run);
 * far past it (a run that cannot be stopped) it discards. After a write error
 * it keeps the rings moving without writing, so no producer waits for ever.
 *
 * Rings come from a pluggable allocator (a shared mapping for forked
 * children) and carry a copy of the recorder's time base, so every ring, in
 * any process, converts ticks the same way. Rings are created under a mutex
 * (unit start, not the hot path) and published through an atomic count, so
 * the drain thread picks up units created while it runs.
 *
 * Memory: at each pass the drain may sample the memory of the run's processes
 * (trc_mem.c); the samples are merged into the stream of the unit that carries
 * them at their place in time (drain_ring_merged).
 */
#include "traces/trc.h"
#include "traces/trc_mem_internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define MAX_RINGS 65536

struct trc_recorder {
    trc_recorder_desc desc;
    trc_ring_alloc alloc;
    clk_calib clk;
    trc_ring_ctl *ctl;
    pthread_mutex_t mu;             /* ring creation and writer access */
    trc_ring **rings;
    _Atomic uint32_t nrings;
    pthread_t thread;
    bool running;
    _Atomic int stop;
    int err;                        /* first writer error, sticky */
    diag err_diag;
    _Atomic int status;             /* 0, -ERR_LIMIT or -ERR_IO: for trc_recorder_status */
    _Atomic uint64_t drained;
    _Atomic uint64_t discarded;
    uint64_t drain_cpu_ns;          /* the drain thread's CPU time, when it ended */
    trc_event *scratch;             /* drain staging */
    size_t scratch_cap;
    trc_event *kept; size_t nkept, cap_kept;   /* no writer: events kept in memory */
    trc__memw *mem;                 /* memory samples (NULL: none); the drain's, under mu */
    trc_unit *units; size_t nunits, cap_units; /* declared while running, not written yet */
};

/* ---- futex (Linux); elsewhere a short sleep ------------------------------ */

static void fx_wait(_Atomic uint32_t *w, uint32_t seen, uint64_t ns) {
#if defined(__linux__)
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    /* not FUTEX_PRIVATE: the word may be in a mapping shared with other processes */
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, seen, &ts, NULL, 0);
#else
    (void)w; (void)seen;
    struct timespec ts = { 0, (long)(ns < 50000 ? ns : 50000) };
    nanosleep(&ts, NULL);
#endif
}

static void fx_wake(_Atomic uint32_t *w) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#else
    (void)w;
#endif
}

/* ---- the producer's slow path --------------------------------------------- */

static void ring_put(trc_ring *r, uint64_t h, uint64_t t, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
                     uint32_t extra) {
    r->ev[h & r->mask] = (trc_event){ .t = t, .arg = arg, .unit = r->unit, .obj = obj, .kind = kind, .aux = aux,
                                      .extra = extra };
}

/* Waits until `need` slots are free or the drain is gone. Returns true when there is room. */
static bool ring_wait_room(trc_ring *r, uint64_t h, uint64_t need) {
    uint64_t cap = (uint64_t)r->mask + 1;
    bool room = false;
    atomic_store(&r->waiting, 1);
    for (;;) {
        uint32_t seq = atomic_load(&r->tail_seq);
        r->tail_cache = atomic_load(&r->tail);
        if (h + need - r->tail_cache <= cap) { room = true; break; }
        if (!r->ctl || !atomic_load(&r->ctl->live)) break;
        atomic_fetch_add(&r->ctl->kick, 1);
        fx_wake(&r->ctl->kick);
        fx_wait(&r->tail_seq, seq, 2000000);   /* 2 ms: a lost wake-up costs no more */
    }
    atomic_store(&r->waiting, 0);
    return room;
}

/* The half-full mark. The fast path compares head against tail_cache, a lower
 * bound of tail; setting it half a ring below the real tail sends the producer
 * here once the ring is half full, at no cost to the fast path. The unit then
 * rings the drain (one futex wake per half ring) and goes on without waiting:
 * the drain empties the ring while the other half fills, so a producer faster
 * than the drain's timer rarely finds it full. */
static void ring_next_mark(trc_ring *r, uint64_t h) {
    uint64_t half = ((uint64_t)r->mask + 1) / 2;
    if (h - r->tail_cache <= half) r->tail_cache -= half;   /* next stop: past half full */
    /* else: past half (and the drain rung): next stop when full */
}

static void ring_kick_half(trc_ring *r) {
    if (!r->ctl || !atomic_load_explicit(&r->ctl->live, memory_order_relaxed)) return;
    atomic_fetch_add(&r->ctl->kick, 1);
    fx_wake(&r->ctl->kick);
}

/* The event, with a full ring or at the half-full mark. */
static void ring_emit(trc_ring *r, bool ordered, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
                      uint32_t extra) {
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t cap = (uint64_t)r->mask + 1;
    uint64_t need = 1 + (r->lost_pending ? 1 : 0);
    r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
    bool flushed = false;
    uint64_t f0 = 0, f1 = 0;
    if (h + need - r->tail_cache > cap) {
        bool can_wait = r->mode == TRC_REC_COMPLETE && r->ctl && atomic_load(&r->ctl->live);
        if (can_wait && need + 2 <= cap) {
            f0 = clk_ticks(&r->clk);
            if (ring_wait_room(r, h, need + 2)) {
                f1 = clk_ticks(&r->clk);
                flushed = true;
                r->flushes++;
                r->flush_ticks += f1 - f0;
            }
        }
        if (!flushed) {
            if (!r->lost_pending) r->lost_since = clk_ticks(&r->clk);
            r->lost_pending++;
            r->lost_total++;
            r->tail_cache = h - cap;   /* "full": the next emit comes back here */
            return;
        }
    }
    if (!flushed && r->lost_pending == 0 && h + need - r->tail_cache > cap / 2) ring_kick_half(r);
    if (flushed) {
        ring_put(r, h++, f0, TRC_EV_FLUSH_BEGIN, 0, 0, 0, 0);
        ring_put(r, h++, f1, TRC_EV_FLUSH_END, 0, 0, 0, 0);
    }
    if (r->lost_pending) {
        ring_put(r, h++, r->lost_since, TRC_EV_LOST, 0, 0, r->lost_pending, 0);
        r->lost_pending = 0;
    }
    uint64_t now = ordered ? clk_ticks_ordered(&r->clk) : clk_ticks(&r->clk);
    ring_put(r, h++, now, kind, obj, aux, arg, extra);
    ring_next_mark(r, h);
    atomic_store_explicit(&r->head, h, memory_order_release);
}

void trc_emit_slow_(trc_ring *r, bool ordered, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
                    uint32_t extra) {
    /* the CPU once more (the fast path's may be stale by now): a change is
     * recorded by a CPU event before the event, as the slow path writes */
    uint32_t cpu = clk_ticks_cpu_any(&r->clk, false, r->cpu).cpu;
    if (cpu != r->cpu) {
        uint32_t before = r->cpu;
        r->cpu = cpu;
        if (cpu != UINT32_MAX) ring_emit(r, false, TRC_EV_CPU, 0, 0, cpu, before == UINT32_MAX ? 0 : before + 1);
    }
    ring_emit(r, ordered, kind, obj, aux, arg, extra);
}

/* ---- the recorder ---------------------------------------------------------- */

static void *heap_alloc(void *ctx, size_t bytes) {
    (void)ctx;
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);   /* not cleared: 2 MB of page faults per unit */
}

static void heap_free(void *ctx, void *p, size_t bytes) {
    (void)ctx; (void)bytes;
    free(p);
}

static size_t ring_bytes(const trc_recorder *r) {
    return (sizeof(trc_ring) + (size_t)r->desc.ring_events * sizeof(trc_event) + 63) & ~(size_t)63;
}

/* The recorder's own blocks: in alloc's memory when other processes declare units (cross_process). */
static bool cross(const trc_recorder_desc *desc) { return desc->cross_process && desc->alloc; }

static void *own_alloc(const trc_recorder *r, size_t n) {
    if (!cross(&r->desc)) return xcalloc(1, n);
    void *q = r->alloc.alloc(r->alloc.ctx, n);
    if (q) memset(q, 0, n);
    return q;
}

static void own_free(const trc_recorder *r, void *q, size_t n) {
    if (!q) return;
    if (cross(&r->desc)) r->alloc.free(r->alloc.ctx, q, n);
    else free(q);
}

static char *own_strdup(const trc_recorder *r, const char *s) {
    size_t n = strlen(s) + 1;
    char *q = own_alloc(r, n);
    if (q) memcpy(q, s, n);
    return q;
}

int trc_recorder_create(trc_recorder **out, const trc_recorder_desc *desc, diag *d) {
    *out = NULL;
    uint32_t ring_events = desc->ring_events ? desc->ring_events : TRC_RING_DEFAULT;
    if (ring_events & (ring_events - 1) || ring_events < 4 || ring_events > TRC_RING_MAX)
        return diag_set(d, ERR_USAGE, "recorder ring size %u is not a power of two between 4 and %u",
                        desc->ring_events, TRC_RING_MAX);
    if (desc->mode > TRC_REC_DROP) return diag_set(d, ERR_USAGE, "unknown recording mode %u", desc->mode);
    trc_recorder *r;
    if (cross(desc)) {
        if (!(r = desc->alloc->alloc(desc->alloc->ctx, sizeof *r)))
            return diag_set(d, ERR_NOMEM, "cannot allocate the recorder in the run's shared memory");
        memset(r, 0, sizeof *r);
    } else {
        r = xcalloc(1, sizeof *r);
    }
    r->desc = *desc;
    r->desc.ring_events = ring_events;
    if (!r->desc.drain_period_us) r->desc.drain_period_us = 1000;
    r->alloc = desc->alloc ? *desc->alloc : (trc_ring_alloc){ heap_alloc, heap_free, NULL };
    if (desc->virtual_clock) r->clk = (clk_calib){ .ns_per_tick = 1.0, .virt = desc->virtual_clock };
    else if (desc->clock) r->clk = *desc->clock;
    else clk_calibrate_cached(&r->clk, !desc->no_tsc);
    if (desc->no_cpu) clk_cpu_set(&r->clk, CLK_CPU_NONE);
    r->ctl = r->alloc.alloc(r->alloc.ctx, sizeof *r->ctl);
    if (!r->ctl) {
        own_free(r, r, sizeof *r);
        return diag_set(d, ERR_NOMEM, "cannot allocate the recorder's control block");
    }
    memset(r->ctl, 0, sizeof *r->ctl);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    if (cross(desc)) pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&r->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    r->rings = own_alloc(r, MAX_RINGS * sizeof *r->rings);
    if (!r->rings) {
        r->alloc.free(r->alloc.ctx, r->ctl, sizeof *r->ctl);
        pthread_mutex_destroy(&r->mu);
        own_free(r, r, sizeof *r);   /* only a shared one can fail */
        return diag_set(d, ERR_NOMEM, "cannot allocate the recorder's table of rings");
    }
    if (!desc->no_mem && !desc->virtual_clock) r->mem = trc__memw_new(desc->mem_period_us);
    *out = r;
    return 0;
}

const clk_calib *trc_recorder_clock(trc_recorder *r) { return &r->clk; }

trc_ring *trc_recorder_ring(trc_recorder *r, uint32_t unit) {
    pthread_mutex_lock(&r->mu);
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_relaxed);
    trc_ring *ring = NULL;
    if (n < MAX_RINGS) {
        ring = r->alloc.alloc(r->alloc.ctx, ring_bytes(r));
        if (ring) {
            memset(ring, 0, sizeof *ring);
            ring->clk = r->clk;
            ring->unit = unit;
            ring->cpu = UINT32_MAX;
            ring->mask = r->desc.ring_events - 1;
            ring->tail_cache = 0 - (uint64_t)(r->desc.ring_events / 2);   /* first stop: half full */
            ring->ctl = r->ctl;
            ring->mode = r->desc.mode;
            r->rings[n] = ring;
            atomic_store_explicit(&r->nrings, n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&r->mu);
    return ring;
}

trc_ring *trc_recorder_unit(trc_recorder *r, const trc_unit *u) {
    trc_ring *ring = trc_recorder_ring(r, u->id);
    if (!ring) return NULL;
    pthread_mutex_lock(&r->mu);
    if (!cross(&r->desc)) {
        ARR_GROW(r->units, r->nunits + 1, r->cap_units);
    } else if (r->nunits + 1 > r->cap_units) {   /* in the shared memory, for the drain of main's process */
        size_t cap = r->cap_units ? r->cap_units * 2 : 64;
        trc_unit *nu = own_alloc(r, cap * sizeof *nu);
        if (!nu) {
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        if (r->nunits) memcpy(nu, r->units, r->nunits * sizeof *nu);
        own_free(r, r->units, r->cap_units * sizeof *r->units);
        r->units = nu;
        r->cap_units = cap;
    }
    trc_unit c = *u;
    c.name = own_strdup(r, u->name ? u->name : "");
    c.group = own_strdup(r, u->group ? u->group : "");
    r->units[r->nunits++] = c;
    pthread_mutex_unlock(&r->mu);
    return ring;
}

/* Units declared while running go first: their events may come next. Called with r->mu held. */
static void write_units(trc_recorder *r, bool write) {
    if (!r->nunits) return;
    if (write && r->desc.writer && !r->err) r->err = trc_writer_units(r->desc.writer, r->units, (uint32_t)r->nunits, &r->err_diag);
    for (size_t i = 0; i < r->nunits; i++) {
        if (r->units[i].name) own_free(r, (char *)r->units[i].name, strlen(r->units[i].name) + 1);
        if (r->units[i].group) own_free(r, (char *)r->units[i].group, strlen(r->units[i].group) + 1);
    }
    r->nunits = 0;
}

/* Drops `cnt` drained events of ring: they are reported by a LOST event at stop. */
static void discard(trc_recorder *r, trc_ring *ring, const trc_event *ev, size_t cnt) {
    if (!cnt) return;
    if (!ring->discarded) ring->discarded_since = ev[0].t;
    ring->discarded += cnt;
    atomic_fetch_add_explicit(&r->discarded, cnt, memory_order_relaxed);
}

/* Hands `cnt` converted events of one ring on: to the writer, or kept in memory. */
static void deliver(trc_recorder *r, trc_ring *ring, const trc_event *ev, size_t cnt, bool always) {
    uint64_t done = atomic_load_explicit(&r->drained, memory_order_relaxed);
    uint64_t max = r->desc.max_events;
    /* far past the limit the run did not stop: keep the file bounded */
    if (max && !always && done >= max + max / 4 + (1u << 20)) {
        discard(r, ring, ev, cnt);
        return;
    }
    if (r->desc.writer) {
        if (r->err) {
            discard(r, ring, ev, cnt);
            return;
        }
        r->err = trc_writer_events(r->desc.writer, ev, cnt, &r->err_diag);
        if (r->err) {
            discard(r, ring, ev, cnt);   /* what of them made it into the file is not known */
            atomic_store(&r->status, -ERR_IO);
            return;
        }
    } else {
        ARR_GROW(r->kept, r->nkept + cnt, r->cap_kept);
        memcpy(r->kept + r->nkept, ev, cnt * sizeof *ev);
        r->nkept += cnt;
    }
    atomic_store_explicit(&r->drained, done + cnt, memory_order_relaxed);
    if (max && done + cnt >= max && !atomic_load(&r->status)) {
        int zero = 0;
        atomic_compare_exchange_strong(&r->status, &zero, -ERR_LIMIT);
    }
}

/* Copies cnt events of ring from tail on to dst, ticks converted to ns. */
static void convert(trc_recorder *r, const trc_ring *ring, uint64_t tail, size_t cnt, trc_event *dst) {
    /* the calibration in locals (dst may alias nothing the compiler can prove),
     * the ring in at most two straight runs, the memory check in its own pass */
    const clk_calib c = r->clk;
    size_t cap = (size_t)ring->mask + 1, done = 0;
    while (done < cnt) {
        size_t at = (size_t)((tail + done) & ring->mask);
        size_t run = cap - at < cnt - done ? cap - at : cnt - done;
        const trc_event *src = &ring->ev[at];
        trc_event *out = dst + done;
        if (c.tsc) {
            for (size_t k = 0; k < run; k++) {
                trc_event e = src[k];
                e.t = clk_ticks_to_ns(&c, e.t);   /* inline: the local copy keeps it out of the loop's loads */
                out[k] = e;
            }
        } else {
            memcpy(out, src, run * sizeof *out);
        }
        done += run;
    }
    if (r->mem)
        for (size_t k = 0; k < cnt; k++)
            if (trc__memw_wants(dst[k].kind)) trc__memw_note(r->mem, &dst[k]);   /* a process to sample, or gone */
}

/* Gives the ring's slots up to `tail` back to its producer (waking it if it waits). */
static void release_slots(trc_ring *ring, uint64_t tail) {
    atomic_store(&ring->tail, tail);   /* seq_cst: pairs with the producer's `waiting` */
    if (atomic_load(&ring->waiting)) {
        atomic_fetch_add(&ring->tail_seq, 1);
        fx_wake(&ring->tail_seq);
    }
}

/* The writer's fast path: events converted straight into its payload, the
 * ring's slots given back as soon as they are copied, before the payload is
 * written out. False when it cannot be used (then deliver() goes through the
 * scratch copy). */
static bool deliver_direct(trc_recorder *r, trc_ring *ring, uint64_t tail, size_t cnt) {
    uint64_t max = r->desc.max_events;
    uint64_t done = atomic_load_explicit(&r->drained, memory_order_relaxed);
    if (!r->desc.writer || r->err || (max && done >= max + max / 4 + (1u << 20))) return false;
    while (cnt) {
        size_t room;
        trc_event *dst = trc_writer_event_room(r->desc.writer, &room);
        if (!dst) return false;
        size_t k = cnt < room ? cnt : room;
        convert(r, ring, tail, k, dst);
        release_slots(ring, tail + k);   /* copied: the unit goes on while the payload is written */
        r->err = trc_writer_event_commit(r->desc.writer, k, &r->err_diag);   /* may write the payload */
        if (r->err) {
            discard(r, ring, dst, k);   /* what of them made it into the file is not known */
            atomic_store(&r->status, -ERR_IO);
            tail += k;
            cnt -= k;
            ARR_GROW(r->scratch, cnt, r->scratch_cap);
            convert(r, ring, tail, cnt, r->scratch);
            discard(r, ring, r->scratch, cnt);
            release_slots(ring, tail + cnt);
            return true;
        }
        done += k;
        atomic_store_explicit(&r->drained, done, memory_order_relaxed);
        tail += k;
        cnt -= k;
    }
    if (max && done >= max && !atomic_load(&r->status)) {
        int zero = 0;
        atomic_compare_exchange_strong(&r->status, &zero, -ERR_LIMIT);
    }
    return true;
}

/* The drained events of a ring whose unit carries memory samples: each
 * sample goes in before the first of the unit's events at or after its time;
 * samples later than all of them wait (trc_mem_internal.h). */
static void deliver_merged(trc_recorder *r, trc_ring *ring, const trc_event *ev, size_t cnt) {
    size_t k = 0;
    uint64_t ts;
    while (k < cnt && trc__memw_peek(r->mem, ring->unit, &ts)) {
        size_t j = k;
        while (j < cnt && ev[j].t < ts) j++;
        if (j > k) deliver(r, ring, ev + k, j - k, false);
        k = j;
        if (k == cnt) return;
        trc_event s = trc__memw_pop(r->mem, ring->unit);
        deliver(r, ring, &s, 1, false);
    }
    if (k < cnt) deliver(r, ring, ev + k, cnt - k, false);
}

static trc_ring *ring_of(trc_recorder *r, uint32_t unit) {
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_acquire);
    if (unit < n && r->rings[unit]->unit == unit) return r->rings[unit];
    for (uint32_t i = 0; i < n; i++)
        if (r->rings[i]->unit == unit) return r->rings[i];
    return NULL;
}

/* Memory samples taken before `before` (all of them: UINT64_MAX) that still
 * wait for an event of their unit: written now. */
static void deliver_settled(trc_recorder *r, uint64_t before) {
    if (!r->mem || !trc__memw_pending(r->mem)) return;
    uint32_t nu = trc__memw_units(r->mem);
    for (uint32_t u = 0; u < nu; u++) {
        uint64_t ts;
        trc_ring *ring = NULL;
        while (trc__memw_peek(r->mem, u, &ts) && ts < before) {
            trc_event s = trc__memw_pop(r->mem, u);
            if (!ring && !(ring = ring_of(r, u))) continue;   /* no such unit: dropped */
            deliver(r, ring, &s, 1, before == UINT64_MAX);
        }
    }
}

/* Drains every ring once; returns the most events taken from one ring.
 * Called with r->mu held. */
static uint64_t drain_once(trc_recorder *r) {
    write_units(r, true);
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_acquire);
    uint64_t most = 0;
    uint64_t ts;
    for (uint32_t i = 0; i < n; i++) {
        trc_ring *ring = r->rings[i];
        uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
        if (head == tail) continue;
        size_t cnt = (size_t)(head - tail);
        if (cnt > most) most = cnt;
        bool merge = r->mem && trc__memw_peek(r->mem, ring->unit, &ts);
        if (!merge && deliver_direct(r, ring, tail, cnt)) continue;
        ARR_GROW(r->scratch, cnt, r->scratch_cap);
        convert(r, ring, tail, cnt, r->scratch);
        release_slots(ring, head);
        if (merge) deliver_merged(r, ring, r->scratch, cnt);
        else deliver(r, ring, r->scratch, cnt, false);
    }
    return most;
}

static void *drain_main(void *arg) {
    trc_recorder *r = arg;
    uint64_t period = (uint64_t)r->desc.drain_period_us * 1000;
    uint64_t since_flush = clk_mono_ns();
    uint64_t busy = (uint64_t)r->desc.ring_events / 4;
    bool again = true;   /* a first pass at once: units may have rung before this thread ran */
    uint32_t kick = atomic_load(&r->ctl->kick);
    while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
        if (!again) fx_wait(&r->ctl->kick, kick, period);
        /* read before the pass: a kick during it makes the next wait return at once (none is lost) */
        kick = atomic_load(&r->ctl->kick);
        pthread_mutex_lock(&r->mu);
        if (r->mem) trc__memw_poll(r->mem, clk_mono_ns());
        uint64_t most = drain_once(r);
        /* make what we have durable about every 100 ms */
        uint64_t now = clk_mono_ns();
        if (r->mem && now > TRC__MEM_SETTLE_NS) deliver_settled(r, now - TRC__MEM_SETTLE_NS);
        if (r->desc.writer && !r->err && now - since_flush >= 100000000ull) {
            since_flush = now;
            r->err = trc_writer_flush(r->desc.writer, &r->err_diag);
            if (r->err) atomic_store(&r->status, -ERR_IO);
        }
        pthread_mutex_unlock(&r->mu);
        again = most >= busy;   /* a ring was a quarter full: go again at once */
    }
    struct timespec ts;
    if (!clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) r->drain_cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return NULL;
}

int trc_recorder_start(trc_recorder *r, diag *d) {
    if (r->running) return 0;
    atomic_store(&r->stop, 0);
    atomic_store(&r->ctl->live, 1);
    if (r->mem) {   /* the first memory sample: the units that exist now are all in it */
        pthread_mutex_lock(&r->mu);
        trc__memw_poll(r->mem, clk_mono_ns());
        pthread_mutex_unlock(&r->mu);
    }
    fork_guard(&r->mu, true);   /* no fork in the middle of a drain pass (base_fork.c) */
    if (thread_start(&r->thread, NULL, drain_main, r) != 0) {
        fork_guard(&r->mu, false);
        atomic_store(&r->ctl->live, 0);
        return diag_set(d, ERR_RUNTIME, "cannot start the recorder's drain thread");
    }
    r->running = true;
    return 0;
}

/* The LOST events still pending in the rings (their producers are done):
 * drops (aux 1), then what the drain could not write (aux 2). */
static void flush_pending_losses(trc_recorder *r) {
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        trc_ring *ring = r->rings[i];
        if (ring->lost_pending) {
            trc_event e = { .t = clk_ticks_to_ns(&r->clk, ring->lost_since), .arg = ring->lost_pending,
                            .unit = ring->unit, .kind = TRC_EV_LOST, .aux = 1 };
            ring->lost_pending = 0;
            if (ring->discarded && ring->discarded_since < e.t) e.t = ring->discarded_since;
            e.arg += ring->discarded;
            if (ring->discarded) e.aux = 2;
            ring->discarded = 0;
            deliver(r, ring, &e, 1, true);
        } else if (ring->discarded) {
            trc_event e = { .t = ring->discarded_since, .arg = ring->discarded, .unit = ring->unit,
                            .kind = TRC_EV_LOST, .aux = 2 };
            ring->discarded = 0;
            deliver(r, ring, &e, 1, true);
        }
    }
}

int trc_recorder_stop(trc_recorder *r, diag *d) {
    atomic_store(&r->ctl->live, 0);
    if (r->running) {
        atomic_store_explicit(&r->stop, 1, memory_order_release);
        atomic_fetch_add(&r->ctl->kick, 1);
        fx_wake(&r->ctl->kick);
        pthread_join(r->thread, NULL);
        r->running = false;
        fork_guard(&r->mu, false);
    }
    pthread_mutex_lock(&r->mu);
    drain_once(r);
    deliver_settled(r, UINT64_MAX);   /* the producers are done: nothing of theirs comes after */
    flush_pending_losses(r);
    if (r->desc.writer && !r->err) {
        r->err = trc_writer_flush(r->desc.writer, &r->err_diag);
        if (r->err) atomic_store(&r->status, -ERR_IO);
    }
    int err = r->err;
    if (err && d) *d = r->err_diag;
    pthread_mutex_unlock(&r->mu);
    return err;
}

int trc_recorder_status(trc_recorder *r, diag *d) {
    int s = atomic_load(&r->status);
    if (s == -ERR_IO && d) {
        pthread_mutex_lock(&r->mu);
        *d = r->err_diag;
        pthread_mutex_unlock(&r->mu);
    } else if (s == -ERR_LIMIT) {
        diag_set(d, ERR_LIMIT, "the recording reached %llu events (--max-events)",
                 (unsigned long long)r->desc.max_events);
    }
    return s;
}

const trc_event *trc_recorder_events(trc_recorder *r, size_t *n) {
    *n = r->nkept;
    return r->kept;
}

uint64_t trc_recorder_lost(trc_recorder *r) {
    uint64_t total = 0;
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) total += r->rings[i]->lost_total;
    return total;
}

uint64_t trc_recorder_discarded(trc_recorder *r) { return atomic_load(&r->discarded); }

uint64_t trc_recorder_drained(trc_recorder *r) { return atomic_load(&r->drained); }

uint64_t trc_recorder_drain_cpu_ns(const trc_recorder *r) { return r->drain_cpu_ns; }

void trc_recorder_flushes(trc_recorder *r, uint64_t *count, uint64_t *ns) {
    uint64_t c = 0, t = 0;
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        c += r->rings[i]->flushes;
        t += r->rings[i]->flush_ticks;
    }
    if (count) *count = c;
    if (ns) *ns = r->clk.tsc ? (uint64_t)((double)t * r->clk.ns_per_tick) : t;
}

void trc_recorder_free(trc_recorder *r) {
    if (!r) return;
    if (r->running) trc_recorder_stop(r, NULL);
    uint32_t n = atomic_load(&r->nrings);
    size_t rb = ring_bytes(r);
    for (uint32_t i = 0; i < n; i++) r->alloc.free(r->alloc.ctx, r->rings[i], rb);
    r->alloc.free(r->alloc.ctx, r->ctl, sizeof *r->ctl);
    own_free(r, r->rings, MAX_RINGS * sizeof *r->rings);
    write_units(r, false);
    own_free(r, r->units, r->cap_units * sizeof *r->units);
    free(r->scratch);
    free(r->kept);
    trc__memw_free(r->mem);
    pthread_mutex_destroy(&r->mu);
    own_free(r, r, sizeof *r);
}

/* ---- memory samples (trc_mem.c) -------------------------------------------- */

void trc_recorder_mem_main(trc_recorder *r, uint32_t unit, const trc_mem_sample *baseline) {
    if (!r->mem) return;
    pthread_mutex_lock(&r->mu);
    trc__memw_main(r->mem, unit, baseline);
    pthread_mutex_unlock(&r->mu);
}

void trc_recorder_mem_end(trc_recorder *r) {
    if (!r->mem) return;
    pthread_mutex_lock(&r->mu);   /* a pass under way finishes first: no sample after this */
    trc__memw_end(r->mem);
    pthread_mutex_unlock(&r->mu);
}

void trc_recorder_mem_cost(trc_recorder *r, uint64_t *passes, uint64_t *reads, uint64_t *ns) {
    pthread_mutex_lock(&r->mu);
    trc__memw_cost(r->mem, passes, reads, ns);
    pthread_mutex_unlock(&r->mu);
}
