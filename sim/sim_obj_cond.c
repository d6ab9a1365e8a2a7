/* Conditions, events and barriers: monitors whose waiters all wake together
 * and then decide, each by itself, whether the change was for them.
 *
 * A condition keeps its waiters in arrival order with a `notified` mark:
 * notify marks the earliest unmarked waiters (FIFO, as Python's Condition
 * does), so who wakes is decided by the notifier, not by the platform's
 * wake order. An event counts its sets, so a waiter wakes for a set that
 * happened while it waited even if a clear followed. A barrier counts its
 * generations, so a waiter passes when its own generation opens.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- events ----------------------------------------------------------- */

int obj_event_wait(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    int out = TRC_OUT_OK;
    if (!o->value) {
        uint64_t seq0 = o->seq;
        o->waiting++;
        rt_begin_wait(u, oi, TRC_OP_EVENT_WAIT, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, 0, o->seq != seq0, deadline, out);
        o->waiting--;
        rt_end_wait(u, oi, out, out == TRC_OUT_OK ? (uint32_t)o->seq : 0);
    }
    u->timed_out = out == TRC_OUT_TIMEOUT;
    rt_unlock(u, o->mon);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

void obj_event_set(rt_unit *u, uint32_t oi, bool set) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    if (set) {
        o->value = 1;
        o->seq++;
        o->set_t = rt_now(u->r);   /* for the watchdog: a waiter that came after a set and a clear missed it */
        o->setter = u->index;
        trc_emit_sync(u->ring, TRC_EV_SET, o->id, 0, o->seq, o->waiting);
        if (o->waiting) rt_wake(u->r, o->mon, 0, true);
    } else {
        o->value = 0;
        o->clear_t = rt_now(u->r);
        trc_emit_sync(u->ring, TRC_EV_CLEAR, o->id, 0, 0, 0);
    }
    rt_unlock(u, o->mon);
}

/* ---- conditions --------------------------------------------------------- */

static rt_waiter *my_record(rt_obj *o, uint32_t unit) {
    for (size_t i = 0; i < o->nwaiters; i++)
        if (o->waiters[i].unit == unit) return &o->waiters[i];
    BUG("waiter record of unit %u is missing", unit);
}

/* One wait on a condition whose lock u holds: 0 notified, 1 timed out, -1 aborted. */
int obj_cond_wait(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    uint32_t li = o->decl->lock;
    rt_lock(u, o->mon);
    if (!RT_GROW(r, o->waiters, o->nwaiters + 1, o->cap_waiters)) {
        rt_unlock(u, o->mon);
        rt_out_of_memory(u, o->decl->pos);
        return -1;
    }
    o->waiters[o->nwaiters++] = (rt_waiter){ .unit = u->index };
    rt_begin_wait(u, oi, TRC_OP_COND_WAIT, deadline, 0);
    rt_unlock(u, o->mon);
    int64_t depth = obj_lock_release_all(u, li);
    rt_lock(u, o->mon);
    /* find our record again each time: other waiters leaving move records around */
    int out;
    RT_WAIT_UNTIL(u, o->mon, 0, my_record(o, u->index)->notified, deadline, out);
    rt_waiter *w = my_record(o, u->index);
    uint64_t seq = w->notified ? w->seq : 0;
    if (w->notified) out = TRC_OUT_OK;   /* a notify that raced the timeout wins */
    /* leave the list keeping the others in arrival order: notify wakes the earliest first */
    size_t wi = (size_t)(w - o->waiters);
    memmove(w, w + 1, (o->nwaiters - wi - 1) * sizeof *w);
    o->nwaiters--;
    rt_end_wait(u, oi, out, (uint32_t)seq);
    rt_unlock(u, o->mon);
    if (obj_lock_restore(u, li, depth)) return -1;
    u->timed_out = out == TRC_OUT_TIMEOUT;
    return out == TRC_OUT_OK ? 0 : out == TRC_OUT_TIMEOUT ? 1 : -1;
}

int obj_notify(rt_unit *u, uint32_t oi, int64_t n, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[oi];
    if (!obj_holds(u, o->decl->lock)) {
        char msg[256];
        snprintf(msg, sizeof msg, "notify on condition '%s' without holding its lock '%s'", o->decl->name,
                 u->r->objs[o->decl->lock].decl->name);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
        rt_error(u, s, msg);
        return -1;
    }
    rt_lock(u, o->mon);
    o->seq++;
    uint32_t woken = 0;
    /* FIFO: the earliest waiters first, as Python's Condition does */
    for (size_t i = 0; i < o->nwaiters && (n < 0 || woken < n); i++) {
        if (o->waiters[i].notified) continue;
        o->waiters[i].notified = true;
        o->waiters[i].seq = o->seq;
        woken++;
    }
    trc_emit_sync(u->ring, TRC_EV_NOTIFY, o->id, 0, o->seq, woken);
    if (woken) rt_wake(u->r, o->mon, 0, true);
    rt_unlock(u, o->mon);
    return 0;
}

/* ---- barriers -------------------------------------------------------------
 *
 * As Python's Barrier: a waiter whose timeout runs out breaks the barrier, and
 * so does `abort b`: every unit waiting then gets BrokenBarrierError, and so
 * does every later arrival, until `reset b` mends it (its own waiters, if any,
 * get the error too). `breaks` counts breaks and resets, so a waiter sees one
 * that happened while it waited even if a reset followed.
 */

static uint32_t barrier_waiting(const rt_obj *o) { return (uint32_t)o->value; }

/* Breaks (or resets) the barrier, monitor held: its waiters leave with the error. */
static void barrier_break_locked(rt_unit *u, rt_obj *o, uint16_t why) {
    uint32_t released = barrier_waiting(o);
    o->value = 0;
    o->breaks++;
    o->broken = why != 2;
    trc_emit_sync(u->ring, TRC_EV_BARRIER_BROKEN, o->id, why, 0, released);
    rt_wake(u->r, o->mon, 0, true);
}

int obj_barrier(rt_unit *u, uint32_t oi, uint64_t deadline, sim_pos pos) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    if (o->broken) {   /* a later arrival: the error at once */
        rt_unlock(u, o->mon);
        u->timed_out = false;
        return rt_raise_text(u, pos, TRC_RAISE_OBJECT, oi, 0, SIM_ERR_BROKEN_BARRIER);
    }
    uint64_t gen = o->seq, breaks = o->breaks;
    o->value++;
    trc_emit_sync(u->ring, TRC_EV_BARRIER_ARRIVE, o->id, 0, 0, (uint32_t)o->value);
    int out = TRC_OUT_OK;
    bool broke = false;
    if (o->value >= o->decl->cap_value) {
        o->value = 0;
        o->seq++;
        trc_emit_sync(u->ring, TRC_EV_BARRIER_OPEN, o->id, 0, o->seq, 0);
        rt_wake(u->r, o->mon, 0, true);
    } else {
        rt_begin_wait(u, oi, TRC_OP_BARRIER, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, 0, o->seq != gen || o->breaks != breaks, deadline, out);
        if (out == TRC_OUT_OK && o->seq == gen) {
            broke = true;                       /* broken or reset while it waited */
            out = TRC_OUT_ERROR;
        } else if (out == TRC_OUT_TIMEOUT && o->seq == gen && o->breaks == breaks) {
            broke = true;                       /* its timeout breaks the barrier for everyone */
            o->value--;
            rt_end_wait(u, oi, TRC_OUT_TIMEOUT, 0);
            barrier_break_locked(u, o, 0);
            rt_unlock(u, o->mon);
            u->timed_out = true;
            return rt_raise_text(u, pos, TRC_RAISE_OBJECT, oi, 0, SIM_ERR_BROKEN_BARRIER);
        } else if (out == TRC_OUT_TIMEOUT) {
            out = o->seq != gen ? TRC_OUT_OK : TRC_OUT_ERROR;   /* it opened, or broke, as time ran out */
            broke = out == TRC_OUT_ERROR;
        } else if (out == TRC_OUT_ABORTED && o->seq == gen && o->breaks == breaks) {
            o->value--;                         /* leave without passing */
        }
        rt_end_wait(u, oi, out, out == TRC_OUT_OK ? (uint32_t)o->seq : 0);
    }
    u->timed_out = false;
    rt_unlock(u, o->mon);
    if (broke) return rt_raise_text(u, pos, TRC_RAISE_OBJECT, oi, 0, SIM_ERR_BROKEN_BARRIER);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

void obj_barrier_break(rt_unit *u, uint32_t oi, bool reset) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    barrier_break_locked(u, o, reset ? 2 : 1);
    rt_unlock(u, o->mon);
}
