/* Locks, rlocks and semaphores: monitors with an owner (or a count of free
 * permits) and a channel of waiters.
 *
 * The plain lock is a monitor like the others: `owner` is object state (an
 * atomic word, taken by compare-and-swap when free), waiters wait on the
 * monitor, so a unit taking a lock it holds waits (a self-deadlock the
 * watchdog reports as a cycle of one), a lock held by a unit that exits (or
 * a process that dies) stays held, and the same code runs on every platform.
 * A release wakes one waiter; it takes the lock unless another unit gets
 * there first (as a pthread mutex or Python's Lock would let it).
 *
 * A plain lock has no owner in Python: any thread may release it, which is
 * how mutual exclusion gets broken (SCENARIOS.md 13). Here too: a unit that
 * does not hold it releases it (RELEASE aux TRC_RELEASE_FOREIGN, extra the
 * holder + 1); releasing it when nobody holds it raises Python's
 * RuntimeError, which the unit may catch. An rlock is released only by its
 * owner (else RuntimeError too). A bounded semaphore released past
 * its start raises ValueError in the releaser.
 */
#include "sim/sim_internal.h"

#include <stdio.h>

static int wait_outcome_rc(int out) { return out == TRC_OUT_OK ? 0 : out == TRC_OUT_TIMEOUT ? 1 : -1; }

/* lock and rlock: 0 acquired, 1 timed out, -1 aborted.
 *
 * The owner word is taken with a compare-and-swap, so an uncontended lock
 * costs what a mutex does; a unit that finds it held waits on the monitor,
 * counted in nwait. A release stores -1 and then wakes one waiter if nwait
 * says there is one. Both sides are sequentially consistent (a waiter counts
 * itself before it tries the owner word, a releaser frees the word before it
 * reads the count), so either the waiter's try succeeds or the releaser sees
 * it; and the releaser's wake is taken under the monitor, which the waiter
 * holds from its failed try until it waits: no wake-up is lost. `depth` is
 * read and written only by the owner. */
static int lock_owned(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    int64_t self = u->index, free_ = -1;
    if (o->decl->kind == SIM_OBJ_RLOCK && atomic_load_explicit(&o->owner, memory_order_relaxed) == self) {
        o->depth++;
    } else {
        if (!atomic_compare_exchange_strong(&o->owner, &free_, self)) {
            int out = TRC_OUT_OK;
            rt_lock(u, o->mon);
            atomic_fetch_add(&o->nwait, 1);
            rt_begin_wait(u, oi, TRC_OP_LOCK, deadline, 0);
            for (;;) {
                free_ = -1;
                if (atomic_compare_exchange_strong(&o->owner, &free_, self)) break;
                int sl = rt_wait(u, o->mon, 0, deadline);
                if (sl != RT_AGAIN) { out = sl; break; }
            }
            atomic_fetch_sub(&o->nwait, 1);
            rt_end_wait(u, oi, out, 0);
            rt_unlock(u, o->mon);
            if (out != TRC_OUT_OK) return wait_outcome_rc(out);
        }
        o->depth = 1;
    }
    u->timed_out = false;
    /* after the acquisition: the release this follows was recorded before it */
    trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, (uint64_t)o->depth, 0);
    return 0;
}

/* Frees a lock's or rlock's owner word and wakes one waiter, if any (the caller owns it). */
static void lock_free(rt_unit *u, rt_obj *o) {
    atomic_store(&o->owner, -1);
    if (atomic_load(&o->nwait)) {
        rt_lock(u, o->mon);
        rt_wake(u->r, o->mon, 0, false);
        rt_unlock(u, o->mon);
    }
}

static int semaphore_acquire(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    int out = TRC_OUT_OK;
    if (o->value == 0) {
        atomic_fetch_add_explicit(&o->nwait, 1, memory_order_relaxed);   /* under the monitor */
        rt_begin_wait(u, oi, TRC_OP_ACQUIRE_PERMIT, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, 0, o->value > 0, deadline, out);
        atomic_fetch_sub_explicit(&o->nwait, 1, memory_order_relaxed);
        rt_end_wait(u, oi, out, 0);
    }
    if (out != TRC_OUT_OK) {
        rt_unlock(u, o->mon);
        return wait_outcome_rc(out);
    }
    o->value--;
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, 1, (uint32_t)(o->decl->cap_value - o->value));
    rt_unlock(u, o->mon);
    return 0;
}

int obj_lock(rt_unit *u, uint32_t oi, uint64_t deadline) {
    switch (u->r->objs[oi].decl->kind) {
    case SIM_OBJ_LOCK: case SIM_OBJ_RLOCK: return lock_owned(u, oi, deadline);
    case SIM_OBJ_SEMAPHORE: return semaphore_acquire(u, oi, deadline);
    default: BUG("lock on a %d", u->r->objs[oi].decl->kind);
    }
}

/* A plain lock released by a unit that does not hold it: 0, or 1 when nobody holds it.
 * The word goes holder -> RELEASING -> free, and RELEASE is recorded in between: no
 * unit can take the lock (a compare-and-swap from free) before its release is
 * recorded, and its holder, unlocking it at the same time, finds it not held. */
#define LOCK_RELEASING (-2)
static int lock_release_foreign(rt_unit *u, rt_obj *o) {
    int64_t holder = atomic_load(&o->owner);
    for (;;) {
        if (holder < 0) return 1;
        if (atomic_compare_exchange_strong(&o->owner, &holder, LOCK_RELEASING)) break;
    }
    trc_emit(u->ring, TRC_EV_RELEASE, o->id, TRC_RELEASE_FOREIGN, 0, (uint32_t)holder + 1);
    lock_free(u, o);
    return 0;
}

int obj_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    switch (o->decl->kind) {
    case SIM_OBJ_LOCK: case SIM_OBJ_RLOCK:
        if (atomic_load_explicit(&o->owner, memory_order_relaxed) != (int64_t)u->index) {
            if (o->decl->kind == SIM_OBJ_LOCK && !lock_release_foreign(u, o)) return 0;
            break;
        }
        o->depth--;
        /* recorded while still held: the next ACQUIRE comes after it */
        trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, o->decl->kind == SIM_OBJ_RLOCK ? (uint64_t)o->depth : 0, 0);
        if (o->depth == 0) lock_free(u, o);
        return 0;
    case SIM_OBJ_SEMAPHORE:
        /* like Python's Semaphore, a release needs no matching acquire; a BoundedSemaphore's
         * does: one past its start raises ValueError */
        rt_lock(u, o->mon);
        if (o->decl->subkind == 1 && o->value >= o->decl->cap_value) {
            rt_unlock(u, o->mon);
            return rt_raise_text(u, s->pos, TRC_RAISE_OBJECT, oi, 0, SIM_ERR_BOUNDED);
        }
        o->value++;
        trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, 0,
                 (uint32_t)(o->decl->cap_value > o->value ? o->decl->cap_value - o->value : 0));
        if (atomic_load_explicit(&o->nwait, memory_order_relaxed)) rt_wake(r, o->mon, 0, false);
        rt_unlock(u, o->mon);
        return 0;
    default: BUG("unlock on a %d", o->decl->kind);
    }
    /* as Python: an error the unit may catch (the textbook's `except: pass` does) */
    return rt_raise_text(u, s->pos, TRC_RAISE_OBJECT, oi, 0,
                         o->decl->kind == SIM_OBJ_LOCK ? SIM_ERR_UNLOCKED : SIM_ERR_UNACQUIRED);
}

bool obj_holds(rt_unit *u, uint32_t oi) {
    return atomic_load_explicit(&u->r->objs[oi].owner, memory_order_acquire) == (int64_t)u->index;
}

/* An rlock re-entered SIM_MAX_RLOCK_DEPTH times by its owner is an error, not an overflow. */
bool obj_rlock_too_deep(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[oi];
    if (o->decl->kind != SIM_OBJ_RLOCK || !obj_holds(u, oi) || o->depth < SIM_MAX_RLOCK_DEPTH) return false;
    char msg[256];
    snprintf(msg, sizeof msg, "rlock '%s' taken %d times by the same unit without a release: weft's limit",
             o->decl->name, SIM_MAX_RLOCK_DEPTH);
    rt_error(u, s, msg);
    return true;
}

int64_t obj_lock_release_all(rt_unit *u, uint32_t li) {
    rt_obj *l = &u->r->objs[li];
    int64_t depth = l->depth;
    l->depth = 0;
    trc_emit(u->ring, TRC_EV_RELEASE, l->id, 0, 0, 0);
    lock_free(u, l);
    return depth;
}

int obj_lock_restore(rt_unit *u, uint32_t li, int64_t depth) {
    if (obj_lock(u, li, 0) != 0) return -1;
    rt_obj *l = &u->r->objs[li];
    if (l->decl->kind == SIM_OBJ_RLOCK && depth > 1) l->depth = depth;   /* its owner's own field */
    return 0;
}
