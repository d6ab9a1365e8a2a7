/* The recorder.
 *
 * Design: every unit owns one single-producer/single-consumer ring of fixed
 * 32-byte events (trc_ring, see trc.h). trc_emit() is the hot path: a relaxed
 * load of its own head, a compare against a cached tail, a tick read (TSC or
 * vDSO clock_gettime: no syscall), a 32-byte store and a release store of head.
 * No lock, no shared cursor: two units never touch the same cache line.
 *
 * A background drain thread wakes every drain_period_us, copies each ring's
 * new events out (acquire on head, release on tail), converts ticks to
 * CLOCK_MONOTONIC ns and hands them to the trc_writer, which writes them as
 * checksummed chunks. When a ring is full the producer drops the event and
 * counts it; the next event that fits is preceded by a LOST event carrying the
 * count, so losses are never silent.
 *
 * Rings are created by trc_recorder_ring() under a mutex (unit start, not the
 * hot path) and published through an atomic count, so the drain thread can
 * pick up units created while it runs.
 */
#include "traces/trc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RINGS 65536

struct trc_recorder {
    trc_recorder_desc desc;
    clk_calib clk;
    pthread_mutex_t mu;             /* ring creation and writer access */
    trc_ring **rings;
    _Atomic uint32_t nrings;
    pthread_t thread;
    bool running;
    _Atomic int stop;
    int err;                        /* first writer error, sticky */
    diag err_diag;
    uint64_t drained;
    trc_event *scratch;             /* drain staging */
    size_t scratch_cap;
    trc_event *kept; size_t nkept, cap_kept;   /* no writer: events kept in memory */
    trc_unit *units; size_t nunits, cap_units; /* declared while running, not written yet */
};

int trc_recorder_create(trc_recorder **out, const trc_recorder_desc *desc, diag *d) {
    trc_recorder *r = xcalloc(1, sizeof *r);
    r->desc = *desc;
    if (!r->desc.ring_events) r->desc.ring_events = 65536;
    if (r->desc.ring_events & (r->desc.ring_events - 1) || r->desc.ring_events < 4) {
        free(r);
        return diag_set(d, ERR_USAGE, "recorder ring size %u is not a power of two >= 4", desc->ring_events);
    }
    if (!r->desc.drain_period_us) r->desc.drain_period_us = 1000;
    if (desc->virtual_clock) r->clk = (clk_calib){ .ns_per_tick = 1.0, .virt = desc->virtual_clock };
    else clk_calibrate(&r->clk, !desc->no_tsc);
    pthread_mutex_init(&r->mu, NULL);
    r->rings = xcalloc(MAX_RINGS, sizeof *r->rings);
    *out = r;
    return 0;
}

const clk_calib *trc_recorder_clock(trc_recorder *r) { return &r->clk; }

trc_ring *trc_recorder_ring(trc_recorder *r, uint32_t unit) {
    pthread_mutex_lock(&r->mu);
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_relaxed);
    trc_ring *ring = NULL;
    if (n < MAX_RINGS) {
        size_t bytes = sizeof(trc_ring) + (size_t)r->desc.ring_events * sizeof(trc_event);
        bytes = (bytes + 63) & ~(size_t)63;
        ring = aligned_alloc(64, bytes);
        if (ring) {
            memset(ring, 0, sizeof *ring);
            ring->clk = &r->clk;
            ring->unit = unit;
            ring->mask = r->desc.ring_events - 1;
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
    ARR_GROW(r->units, r->nunits + 1, r->cap_units);
    trc_unit c = *u;
    c.name = xstrdup(u->name ? u->name : "");
    c.group = xstrdup(u->group ? u->group : "");
    r->units[r->nunits++] = c;
    pthread_mutex_unlock(&r->mu);
    return ring;
}

/* Units declared while running go first: their events may come next. Called with r->mu held. */
static void write_units(trc_recorder *r, bool write) {
    if (!r->nunits) return;
    if (write && r->desc.writer && !r->err) r->err = trc_writer_units(r->desc.writer, r->units, (uint32_t)r->nunits, &r->err_diag);
    for (size_t i = 0; i < r->nunits; i++) {
        free((char *)r->units[i].name);
        free((char *)r->units[i].group);
    }
    r->nunits = 0;
}

/* Drains every ring once. Called with r->mu held. */
static void drain_once(trc_recorder *r) {
    write_units(r, true);
    uint32_t n = atomic_load_explicit(&r->nrings, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        trc_ring *ring = r->rings[i];
        uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
        if (head == tail) continue;
        size_t cnt = (size_t)(head - tail);
        ARR_GROW(r->scratch, cnt, r->scratch_cap);
        for (size_t k = 0; k < cnt; k++) {
            trc_event e = ring->ev[(tail + k) & ring->mask];
            e.t = clk_ticks_to_ns(&r->clk, e.t);
            r->scratch[k] = e;
        }
        atomic_store_explicit(&ring->tail, head, memory_order_release);
        r->drained += cnt;
        if (r->desc.writer) {
            if (!r->err) r->err = trc_writer_events(r->desc.writer, r->scratch, cnt, &r->err_diag);
        } else {
            ARR_GROW(r->kept, r->nkept + cnt, r->cap_kept);
            memcpy(r->kept + r->nkept, r->scratch, cnt * sizeof *r->scratch);
            r->nkept += cnt;
        }
    }
}

static void *drain_main(void *arg) {
    trc_recorder *r = arg;
    struct timespec ts = { 0, (long)r->desc.drain_period_us * 1000 };
    int ticks = 0;
    while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&r->mu);
        drain_once(r);
        /* make what we have durable about every 100 ms */
        if (r->desc.writer && ++ticks * r->desc.drain_period_us >= 100000) {
            ticks = 0;
            if (!r->err) r->err = trc_writer_flush(r->desc.writer, &r->err_diag);
        }
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

int trc_recorder_start(trc_recorder *r, diag *d) {
    if (r->running) return 0;
    atomic_store(&r->stop, 0);
    if (pthread_create(&r->thread, NULL, drain_main, r) != 0)
        return diag_set(d, ERR_RUNTIME, "cannot start the recorder's drain thread");
    r->running = true;
    return 0;
}

int trc_recorder_stop(trc_recorder *r, diag *d) {
    if (r->running) {
        atomic_store_explicit(&r->stop, 1, memory_order_release);
        pthread_join(r->thread, NULL);
        r->running = false;
    }
    pthread_mutex_lock(&r->mu);
    drain_once(r);
    if (r->desc.writer && !r->err) r->err = trc_writer_flush(r->desc.writer, &r->err_diag);
    int err = r->err;
    pthread_mutex_unlock(&r->mu);
    if (err && d) *d = r->err_diag;
    return err;
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

uint64_t trc_recorder_drained(trc_recorder *r) {
    pthread_mutex_lock(&r->mu);
    uint64_t n = r->drained;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void trc_recorder_free(trc_recorder *r) {
    if (!r) return;
    if (r->running) trc_recorder_stop(r, NULL);
    uint32_t n = atomic_load(&r->nrings);
    for (uint32_t i = 0; i < n; i++) free(r->rings[i]);
    free(r->rings);
    write_units(r, false);
    free(r->units);
    free(r->scratch);
    free(r->kept);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
