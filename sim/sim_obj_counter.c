/* Counters: `incr C [by N]` atomic, locked (under a lock object) or racy (a
 * real read, a gap, then a write that overwrites what others did in the gap).
 *
 * A counter is a 64-bit signed integer, as every value is: an increment that
 * would leave that range is a run-time error at the step, like an overflow in
 * `let`, in every mode. The racy mode's count of lost updates saturates.
 *
 * A counter `managed by` a manager reads and writes through requests to it
 * (sim_manager.c): atomic is one request (add), racy and locked are a get
 * and a set, like a proxy's `value += 1`.
 */
#include "sim/sim_gil.h"

#include <stdio.h>

static int overflow(rt_unit *u, const sim_stmt *s, const rt_obj *o, int64_t v, int64_t by) {
    char msg[256];
    snprintf(msg, sizeof msg, "arithmetic overflow: counter '%s' is %lld, and %lld more does not fit in 64 bits",
             o->decl->name, (long long)v, (long long)by);
    trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
    rt_error(u, s, msg);
    return -1;
}

/* Adds d to the lost-update total, saturating at the int64 range. */
static void add_lost(rt_obj *o, int64_t d) {
    uint64_t cur = atomic_load_explicit(&o->lost, memory_order_relaxed);
    for (;;) {
        int64_t sum;
        if (__builtin_add_overflow((int64_t)cur, d, &sum)) sum = d > 0 ? INT64_MAX : INT64_MIN;
        if (atomic_compare_exchange_weak(&o->lost, &cur, (uint64_t)sum)) return;
    }
}

/* A managed counter's get, and its set (which answers the value it replaced). 0, or -1: halted. */
static int mgr_get(rt_unit *u, uint32_t oi, int64_t *v) { return manager_request(u, oi, TRC_MGR_GET, 0, v); }
static int mgr_set(rt_unit *u, uint32_t oi, int64_t v, int64_t *old) {
    return manager_request(u, oi, TRC_MGR_SET, v, old);
}

int obj_incr(rt_unit *u, const sim_stmt *s, uint32_t oi, uint32_t li) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    int64_t by = 1, v;
    if (s->expr && rt_ev(u, s->expr, &by)) return -1;
    bool managed = o->decl->manager != 0;
    if (managed && s->mode == SIM_INCR_ATOMIC) {
        if (manager_request(u, oi, TRC_MGR_ADD, by, &v)) return -1;
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_ATOMIC, (uint64_t)v, 0);
        return 0;
    }
    switch (s->mode) {
    case SIM_INCR_ATOMIC: {
        int64_t cur = atomic_load_explicit(&o->counter, memory_order_relaxed);
        do {
            if (__builtin_add_overflow(cur, by, &v)) return overflow(u, s, o, cur, by);
        } while (!atomic_compare_exchange_weak(&o->counter, &cur, v));
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_ATOMIC, (uint64_t)v, 0);
        return 0;
    }
    case SIM_INCR_LOCKED: {
        if (obj_lock(u, li, 0)) return -1;
        int64_t cur = atomic_load(&o->counter), old;
        if (managed && mgr_get(u, oi, &cur)) return -1;
        if (__builtin_add_overflow(cur, by, &v)) {
            obj_unlock(u, li, s);
            return overflow(u, s, o, cur, by);
        }
        if (managed) {
            if (mgr_set(u, oi, v, &old)) return -1;
        } else {
            atomic_store(&o->counter, v);
        }
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_LOCKED, (uint64_t)v, 0);
        return obj_unlock(u, li, s);
    }
    case SIM_INCR_RACY: {
        /* a real read-modify-write with a gap: updates made by others in the gap are overwritten */
        int64_t read = atomic_load(&o->counter);
        if (managed && mgr_get(u, oi, &read)) return -1;
        trc_emit_sync(u->ring, TRC_EV_COUNTER_READ, o->id, 0, (uint64_t)read, 0);
        if (__builtin_add_overflow(read, by, &v)) return overflow(u, s, o, read, by);
        if (s->window) {
            uint64_t ns;
            if (rt_ev_dur(u, s->window, &ns)) return -1;
            /* the gap is a wait on the unit's own monitor: the end of the run cuts it short */
            uint64_t deadline = rt_now(r) + ns;
            rt_lock(u, u->mon);
            while (rt_wait(u, u->mon, 0, deadline) == RT_AGAIN) {}
            rt_unlock(u, u->mon);
            if (rt_stopping(u) || gil_check(u)) return -1;   /* the window let the GIL go: the write needs it */
        } else {
            r->ops->yield(r->plat, u->pu);
        }
        /* the write replaces whatever others did in the gap: that net change is lost */
        int64_t before;
        if (managed) {
            if (mgr_set(u, oi, v, &before)) return -1;
        } else {
            before = atomic_exchange(&o->counter, v);
        }
        /* signed: a stale write can also put back what an earlier one dropped; the sum
         * over all writes is exactly the updates lost */
        int64_t lost;
        if (__builtin_sub_overflow(before, read, &lost)) lost = before > read ? INT64_MAX : INT64_MIN;
        add_lost(o, lost);
        int32_t shown = lost > INT32_MAX ? INT32_MAX : lost < INT32_MIN ? INT32_MIN : (int32_t)lost;
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_RACY, (uint64_t)v, (uint32_t)shown);
        return 0;
    }
    }
    return 0;
}
