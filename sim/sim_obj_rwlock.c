/* Readers-writer locks. A monitor: `owner` is the writer (-1 = none),
 * `readers` the units holding it for reading (one entry per read hold);
 * channel RW_CH_READERS wakes readers, RW_CH_WRITERS writers. With
 * prefer=writers a waiting writer holds back new readers; with
 * prefer=readers readers overtake waiting writers, which can starve.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

static bool rw_read_ready(const rt_obj *o) {
    return atomic_load_explicit(&o->owner, memory_order_relaxed) < 0 &&
           (o->decl->prefer == SIM_RW_READERS || o->writers_waiting == 0);
}

/* 0 acquired, 1 timed out, -1 aborted. */
int obj_read_lock(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    rt_lock(u, o->mon);
    int out = TRC_OUT_OK;
    if (!rw_read_ready(o)) {
        rt_begin_wait(u, oi, TRC_OP_READ_LOCK, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, RW_CH_READERS, rw_read_ready(o), deadline, out);
        rt_end_wait(u, oi, out, 0);
    }
    if (out != TRC_OUT_OK) {
        rt_unlock(u, o->mon);
        return out == TRC_OUT_TIMEOUT ? 1 : -1;
    }
    if (!RT_GROW(r, o->readers, o->nreaders + 1, o->cap_readers)) {
        rt_unlock(u, o->mon);
        rt_out_of_memory(u, o->decl->pos);
        return -1;
    }
    o->readers[o->nreaders++] = u->index;
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 1, 0, (uint32_t)o->nreaders);
    rt_unlock(u, o->mon);
    return 0;
}

int obj_write_lock(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    int out = TRC_OUT_OK;
    if (atomic_load_explicit(&o->owner, memory_order_relaxed) >= 0 || o->nreaders) {
        o->writers_waiting++;
        rt_begin_wait(u, oi, TRC_OP_WRITE_LOCK, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, RW_CH_WRITERS,
                      atomic_load_explicit(&o->owner, memory_order_relaxed) < 0 && !o->nreaders, deadline, out);
        o->writers_waiting--;
        rt_end_wait(u, oi, out, 0);
        if (out != TRC_OUT_OK) rt_wake(u->r, o->mon, RW_CH_READERS, true);   /* readers it held back may go */
    }
    if (out != TRC_OUT_OK) {
        rt_unlock(u, o->mon);
        return out == TRC_OUT_TIMEOUT ? 1 : -1;
    }
    atomic_store_explicit(&o->owner, u->index, memory_order_release);
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, 1, 0);
    rt_unlock(u, o->mon);
    return 0;
}

static int rw_misuse(rt_unit *u, uint32_t oi, const sim_stmt *s, const char *msg) {
    trc_emit(u->ring, TRC_EV_ERROR, u->r->objs[oi].id, 0, 0, 0);
    rt_error(u, s, msg);
    return -1;
}

int obj_read_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    size_t k = o->nreaders;
    while (k > 0 && o->readers[k - 1] != u->index) k--;
    if (!k) {
        bool writes = atomic_load_explicit(&o->owner, memory_order_relaxed) == (int64_t)u->index;
        rt_unlock(u, o->mon);
        char msg[256];
        snprintf(msg, sizeof msg, "read_unlock of rwlock '%s', which this unit does not hold for reading%s",
                 o->decl->name, writes ? " (it holds it for writing: use write_unlock)" : "");
        return rw_misuse(u, oi, s, msg);
    }
    memmove(&o->readers[k - 1], &o->readers[k], (o->nreaders - k) * sizeof *o->readers);
    o->nreaders--;
    trc_emit(u->ring, TRC_EV_RELEASE, o->id, 1, 0, (uint32_t)o->nreaders);
    if (!o->nreaders) rt_wake(u->r, o->mon, RW_CH_WRITERS, true);
    rt_unlock(u, o->mon);
    return 0;
}

int obj_write_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    if (atomic_load_explicit(&o->owner, memory_order_relaxed) != (int64_t)u->index) {
        bool reads = false;
        for (size_t k = 0; k < o->nreaders; k++) reads |= o->readers[k] == u->index;
        rt_unlock(u, o->mon);
        char msg[256];
        snprintf(msg, sizeof msg, "write_unlock of rwlock '%s', which this unit does not hold for writing%s",
                 o->decl->name, reads ? " (it holds it for reading: use read_unlock)" : "");
        return rw_misuse(u, oi, s, msg);
    }
    trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, 0, 0);
    atomic_store_explicit(&o->owner, -1, memory_order_release);
    rt_wake(u->r, o->mon, RW_CH_WRITERS, true);
    rt_wake(u->r, o->mon, RW_CH_READERS, true);
    rt_unlock(u, o->mon);
    return 0;
}
