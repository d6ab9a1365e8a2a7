/* Shared memory segments (multiprocessing.shared_memory.SharedMemory): a
 * range of run memory (shared by every process) written and read in 8-byte
 * words for real.
 *
 * A write stamps every word of its range with its own number (taken from the
 * segment's counter); `gap=D` pauses halfway, as a writer that is preempted
 * or does two stores would. A read loads every word of its range and is
 * torn when they do not all carry the same stamp: it saw parts of two
 * writes. Words are atomics (relaxed), so a torn read is a lesson, not
 * undefined behaviour. A segment never unlinked is reported as leaked in
 * the run's report (Python's leaks it in /dev/shm); weft's segments are in
 * the run's memfd, so nothing is left behind either way.
 */
#include "sim/sim_internal.h"

#include <stdio.h>

int obj_shm_init(rt *r, rt_obj *o) {
    size_t words = ((size_t)o->decl->cap_value + 7) / 8;
    o->shm = rt_alloc(r, (words ? words : 1) * sizeof *o->shm);
    return o->shm ? 0 : -ERR_NOMEM;
}

/* The range of a write or read, checked: 0 with the first and last word, or -1 (a run-time error). */
static int shm_range(rt_unit *u, const sim_stmt *s, uint32_t oi, int64_t *off, int64_t *len, size_t *w0, size_t *w1) {
    const rt_obj *o = &u->r->objs[oi];
    if (rt_ev(u, s->offset, off) || rt_ev(u, s->len, len)) return -1;
    int64_t size = o->decl->cap_value;
    if (*off < 0 || *len < 1 || *off > size || *len > size - *off) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s of %lld bytes at offset %lld is outside shm '%s' (%lld bytes)",
                 s->kind == SIM_S_SHM_WRITE ? "a write" : "a read", (long long)*len, (long long)*off, o->decl->name,
                 (long long)size);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
        rt_error(u, s, msg);
        return -1;
    }
    *w0 = (size_t)*off / 8;
    *w1 = ((size_t)*off + (size_t)*len + 7) / 8;
    return 0;
}

int obj_shm_write(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    int64_t off, len;
    size_t w0, w1;
    if (shm_range(u, s, oi, &off, &len, &w0, &w1)) return -1;
    uint64_t gap = 0;
    if (s->window && rt_ev_dur(u, s->window, &gap)) return -1;
    uint64_t stamp = atomic_fetch_add(&o->stamps, 1) + 1;
    size_t half = gap ? w0 + (w1 - w0) / 2 : w1;
    for (size_t k = w0; k < half; k++) atomic_store_explicit(&o->shm[k], stamp, memory_order_relaxed);
    if (gap) {
        /* halfway: a pause on the unit's own monitor (the end of the run cuts it short) */
        rt_set_state(u, US_SLEEP);
        trc_emit(u->ring, TRC_EV_SLEEP_BEGIN, o->id, 0, gap, 0);
        uint64_t deadline = rt_now(r) + gap;
        rt_lock(u, u->mon);
        while (rt_wait(u, u->mon, 0, deadline) == RT_AGAIN) {}
        rt_unlock(u, u->mon);
        trc_emit(u->ring, TRC_EV_SLEEP_END, o->id, 0, 0, 0);
        rt_set_state(u, US_RUNNING);
        if (rt_halted(u)) return -1;
        for (size_t k = half; k < w1; k++) atomic_store_explicit(&o->shm[k], stamp, memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_release);
    trc_emit(u->ring, TRC_EV_SHM_WRITE, o->id, 0, (uint64_t)off, (uint32_t)len);
    return 0;
}

int obj_shm_read(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt_obj *o = &u->r->objs[oi];
    int64_t off, len;
    size_t w0, w1;
    if (shm_range(u, s, oi, &off, &len, &w0, &w1)) return -1;
    atomic_thread_fence(memory_order_acquire);
    uint64_t first = atomic_load_explicit(&o->shm[w0], memory_order_relaxed);
    bool torn = false;
    for (size_t k = w0 + 1; k < w1; k++) torn |= atomic_load_explicit(&o->shm[k], memory_order_relaxed) != first;
    if (torn) atomic_fetch_add(&o->torn, 1);
    trc_emit(u->ring, TRC_EV_SHM_READ, o->id, torn ? 1 : 0, (uint64_t)off, (uint32_t)len);
    u->timed_out = torn;   /* `ok` says whether the record read was whole */
    return 0;
}

int obj_shm_unlink(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt_obj *o = &u->r->objs[oi];
    if (atomic_exchange(&o->unlinked, 1)) {
        char msg[256];
        snprintf(msg, sizeof msg, "shm '%s' was unlinked already (FileNotFoundError)", o->decl->name);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
        rt_error(u, s, msg);
        return -1;
    }
    trc_emit(u->ring, TRC_EV_SHM_UNLINK, o->id, 0, 0, 0);
    return 0;
}

void shm_leaks(const rt *r, char *out, size_t cap) {
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        const rt_obj *o = &r->objs[i];
        if (o->decl->kind != SIM_OBJ_SHM || atomic_load(&o->unlinked)) continue;
        char size[32];
        int64_t b = o->decl->cap_value;
        if (b >= 1 << 20 && b % (1 << 20) == 0) snprintf(size, sizeof size, "%lld MiB", (long long)(b >> 20));
        else if (b >= 1024 && b % 1024 == 0) snprintf(size, sizeof size, "%lld KiB", (long long)(b >> 10));
        else snprintf(size, sizeof size, "%lld bytes", (long long)b);
        rt_rep(out, cap, "leaked: shm '%s' (%s) was never unlinked; Python would leave it in /dev/shm (its resource "
                         "tracker warns at exit); weft removed it\n", o->decl->name, size);
    }
}
