/* How a unit waits on a monitor, and how the end of a run reaches it.
 *
 * A waiting unit holds the monitor, publishes it in its record (wait_mon),
 * then reads its halt flag, then waits. A halter raises the flag, then reads
 * wait_mon and wakes every channel of that monitor under its lock. Both
 * sides use sequentially consistent accesses, so either the waiter sees the
 * flag before it waits, or the halter sees the monitor and its wake (taken
 * under the lock the waiter holds until it waits) reaches it. No wait needs a
 * slice to notice the end of the run.
 */
#include "sim/sim_gil.h"

#include <stdio.h>
#include <string.h>

void *rt_alloc(rt *r, size_t n) { return r->ops->alloc(r->plat, n ? n : 1); }

void rt_release(rt *r, void *p, size_t n) {
    if (p) r->ops->release(r->plat, p, n);
}

bool rt_grow(rt *r, void **p, size_t need, size_t *cap, size_t elem) {
    if (need <= *cap) return true;
    size_t n = *cap ? *cap : 4;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem) return false;
        n *= 2;
    }
    void *q = *p ? r->ops->resize(r->plat, *p, *cap * elem, n * elem) : r->ops->alloc(r->plat, n * elem);
    if (!q) return false;
    *p = q;
    *cap = n;
    return true;
}

void rt_begin_wait(rt_unit *u, uint32_t oi, int op, uint64_t deadline, uint64_t arg) {
    atomic_store_explicit(&u->wait_obj, oi == UINT32_MAX ? 0 : oi + 1, memory_order_relaxed);
    atomic_store_explicit(&u->wait_arg, arg, memory_order_relaxed);
    atomic_store_explicit(&u->wait_op, op, memory_order_relaxed);
    atomic_store_explicit(&u->wait_deadline, deadline, memory_order_relaxed);
    atomic_store_explicit(&u->wait_since, rt_now(u->r), memory_order_relaxed);
    rt_set_state(u, US_BLOCKED);
    trc_emit(u->ring, TRC_EV_WAIT_BEGIN, rt_obj_id(u->r, oi), (uint16_t)op, arg, 0);
}

void rt_end_wait(rt_unit *u, uint32_t oi, int outcome, uint32_t extra) {
    if (outcome == TRC_OUT_ABORTED && u->cancelled && !rt_halted(u)) outcome = TRC_OUT_CANCELLED;
    trc_emit_sync(u->ring, TRC_EV_WAIT_END, rt_obj_id(u->r, oi), (uint16_t)outcome, 0, extra);
    rt_set_state(u, US_RUNNING);
    atomic_store_explicit(&u->wait_obj, 0, memory_order_relaxed);
    u->timed_out = outcome == TRC_OUT_TIMEOUT;
}

int rt_wait(rt_unit *u, sim_mon *m, unsigned ch, uint64_t deadline) {
    rt *r = u->r;
    atomic_store(&u->wait_mon, m);                 /* seq_cst: before the halt flag is read */
    if (atomic_load(&u->halt)) return TRC_OUT_ABORTED;
    int by;
    if (atomic_load(&u->cancel_req) && (by = atomic_exchange(&u->cancel_req, 0))) {
        /* a cancel (of a task) is delivered here, at an await point: the unit unwinds as if
         * aborted (u->cancelled says why; finally blocks run on the way) */
        u->cancelled = true;
        u->cancel_by = by;
        int st = atomic_load(&u->state);
        uint32_t wo = st == US_BLOCKED ? atomic_load(&u->wait_obj) : 0;
        trc_emit(u->ring, TRC_EV_CANCELLED, wo ? r->objs[wo - 1].id : 0,
                 (uint16_t)(st == US_BLOCKED ? atomic_load(&u->wait_op) : 0), (uint64_t)by, 0);
        return TRC_OUT_ABORTED;
    }
    if (deadline && rt_now(r) >= deadline) return TRC_OUT_TIMEOUT;
    if (u->gil_held) gil_release(u, TRC_GIL_BLOCKING);   /* it really waits now: the GIL goes (m may be held) */
    u->nwaits++;
    r->ops->mon_wait(r->plat, u->pu, m, ch, deadline);
    return RT_AGAIN;
}

int rt_fd_wait(rt_unit *u, sim_mon *m, unsigned ch, int fd, short events, uint64_t deadline) {
    rt *r = u->r;
    atomic_store(&u->wait_mon, m);                 /* seq_cst: before the halt flag is read */
    if (atomic_load(&u->halt)) return TRC_OUT_ABORTED;
    if (deadline && rt_now(r) >= deadline) return TRC_OUT_TIMEOUT;
    u->nwaits++;
    r->ops->fd_wait(r->plat, u->pu, m, ch, fd, events, deadline);
    return RT_AGAIN;
}

void rt_halt(rt *r, rt_unit *u, sim_punit *by) {
    atomic_store(&u->halt, 1);                     /* seq_cst: before wait_mon is read */
    atomic_fetch_or(&u->breaker, RT_BRK_HALT);     /* a compute with the GIL polls this word */
    sim_mon *m = atomic_load(&u->wait_mon);
    if (!m) return;
    r->ops->mon_lock(r->plat, by, m);
    r->ops->mon_wake(r->plat, m, SIM_MON_EVERY, true);
    r->ops->mon_unlock(r->plat, by, m);
}

void rt_stop_all(rt *r, sim_punit *by) {
    /* under the run's monitor: a unit made while running (create_task) is made before the
     * flag (and halted below) or not at all */
    r->ops->mon_lock(r->plat, by, r->mon);
    atomic_store(&r->abort, 1);
    r->ops->mon_unlock(r->plat, by, r->mon);
    for (uint32_t i = 0; i < r->nunits; i++) rt_halt(r, &r->units[i], by);
}

void rt_error_at(rt_unit *u, sim_pos pos, const char *msg) {
    rt *r = u->r;
    int expected = 0;
    if (atomic_compare_exchange_strong(&r->error_set, &expected, 1)) {   /* the first error is kept */
        snprintf(r->error, sizeof r->error, "%s:%d:%d: %s (in %s)", r->prog->path, pos.line, pos.col, msg, u->name);
        atomic_store_explicit(&r->error_set, 2, memory_order_release);    /* the text may be read now */
    }
    rt_stop_all(r, u->pu);
}

void rt_error(rt_unit *u, const sim_stmt *s, const char *msg) { rt_error_at(u, s->pos, msg); }

void rt_error_main(rt *r, const char *msg) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&r->error_set, &expected, 1)) {
        snprintf(r->error, sizeof r->error, "%s: %s", r->prog->path, msg);
        atomic_store_explicit(&r->error_set, 2, memory_order_release);
    }
    rt_stop_all(r, r->ops->main_unit(r->plat));
}

void rt_out_of_memory(rt_unit *u, sim_pos pos) {
    rt_error_at(u, pos, "out of memory for the run's shared state");
}
