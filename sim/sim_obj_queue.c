/* Queues: fifo, lifo and priority kinds, a capacity, put/get with a timeout
 * or nowait, task_done and join. One monitor per queue with three channels:
 * not empty (getters), not full (putters), joined (joiners).
 *
 * A priority queue is a binary min-heap on (priority, item id); item ids grow
 * with every put, so items of equal priority leave in the order they came.
 *
 * An item may carry a value (put Q value=EXPR): it travels beside the item
 * (vals[]), is recorded as ITEM_VALUE just before the PUT, and a get hands it
 * to the getter (get Q as X). `size` mirrors count for `size Q`, read without
 * the monitor.
 *
 * On processes a queue is a multiprocessing.Queue (FIFO only): each item is
 * pickled by its putter and unpickled by its getter (pickle=D, item=BYTES,
 * recorded), and only the first max_fed items (what the 64 KiB pipe under a
 * multiprocessing.Queue holds) are in the pipe; the rest wait in their
 * putters' feeder threads, and a process cannot exit before its feeder has
 * put everything in the pipe (proc_flush_feeders): "join a process before
 * draining its queue" hangs, as in Python.
 */
#include "sim/sim_internal.h"

#include <stdio.h>

static bool q_before(int64_t pa, uint64_t ia, int64_t pb, uint64_t ib) {
    ia &= ~Q_HAS_VALUE;
    ib &= ~Q_HAS_VALUE;
    return pa < pb || (pa == pb && ia < ib);
}

static void q_push(rt_queue *q, uint64_t item, int64_t prio, int64_t val) {
    if (q->kind != TRC_QUEUE_PRIORITY) {
        int64_t at = (q->head + q->count) % q->cap;
        q->items[at] = item;
        q->vals[at] = val;
        q->count++;
        return;
    }
    int64_t i = q->count++;
    while (i > 0) {
        int64_t up = (i - 1) / 2;
        if (!q_before(prio, item, q->prio[up], q->items[up])) break;
        q->items[i] = q->items[up];
        q->prio[i] = q->prio[up];
        q->vals[i] = q->vals[up];
        i = up;
    }
    q->items[i] = item;
    q->prio[i] = prio;
    q->vals[i] = val;
}

/* fifo: the oldest item; lifo: the newest; priority: the lowest priority. */
static uint64_t q_pop(rt_queue *q, int64_t *val) {
    if (q->kind == TRC_QUEUE_LIFO) {
        q->count--;
        int64_t at = (q->head + q->count) % q->cap;
        *val = q->vals[at];
        return q->items[at];
    }
    if (q->kind != TRC_QUEUE_PRIORITY) {
        uint64_t item = q->items[q->head];
        *val = q->vals[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        return item;
    }
    uint64_t top = q->items[0];
    *val = q->vals[0];
    int64_t n = --q->count;
    uint64_t last = q->items[n];
    int64_t lp = q->prio[n], lv = q->vals[n], i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && q_before(q->prio[c + 1], q->items[c + 1], q->prio[c], q->items[c])) c++;
        if (!q_before(q->prio[c], q->items[c], lp, last)) break;
        q->items[i] = q->items[c];
        q->prio[i] = q->prio[c];
        q->vals[i] = q->vals[c];
        i = c;
    }
    q->items[i] = last;
    q->prio[i] = lp;
    q->vals[i] = lv;
    return top;
}

/* The pipe under a multiprocessing.Queue: 64 KiB. */
#define MPQ_PIPE_BYTES 65536
#define MPQ_ITEM_BYTES 64   /* an item's size when the queue does not say (a small pickled object) */

int obj_queue_init(rt *r, rt_obj *o) {
    rt_queue *q = &o->queue;
    q->cap = o->decl->cap_value;
    q->kind = o->decl->subkind;
    q->items = rt_alloc(r, (size_t)q->cap * sizeof *q->items);
    q->vals = rt_alloc(r, (size_t)q->cap * sizeof *q->vals);
    if (q->kind == TRC_QUEUE_PRIORITY) q->prio = rt_alloc(r, (size_t)q->cap * sizeof *q->prio);
    if (r->procs) {
        int64_t item = o->decl->item ? o->decl->item_value : MPQ_ITEM_BYTES;
        q->max_fed = item > 0 && item < MPQ_PIPE_BYTES ? MPQ_PIPE_BYTES / item : 1;
        q->owner = rt_alloc(r, (size_t)q->cap * sizeof *q->owner);
        if (!q->owner) return -ERR_NOMEM;
    }
    return q->items && q->vals && (q->kind != TRC_QUEUE_PRIORITY || q->prio) ? 0 : -ERR_NOMEM;
}

/* processes: whether unit ui still has an item in its feeder (behind the first max_fed). Monitor held. */
bool obj_queue_unfed(const rt_obj *o, uint32_t ui, int64_t *n) {
    const rt_queue *q = &o->queue;
    *n = 0;
    if (!q->owner) return false;
    for (int64_t k = q->max_fed; k < q->count; k++)
        if (q->owner[(q->head + k) % q->cap] == ui) (*n)++;
    return *n > 0;
}

/* A multiprocessing.Queue's message is pickled by its sender, unpickled by its receiver. */
static void mpq_pickle(rt_unit *u, uint32_t oi, int kind) {
    const sim_object *d = u->r->objs[oi].decl;
    if (!u->r->procs || (!d->pickle && !d->item)) return;
    proc_pickle(u, oi, kind, (uint64_t)d->pickle_value, d->item ? d->item_value : MPQ_ITEM_BYTES);
}

/* put/get nowait on a full/empty queue: a wait that times out at once, so the
 * recording shows the Full/Empty moment; `ok` is then false. Monitor held. */
static void queue_fail_now(rt_unit *u, uint32_t oi, int op) {
    rt_begin_wait(u, oi, op, rt_now(u->r), 0);
    rt_end_wait(u, oi, TRC_OUT_TIMEOUT, 0);
}

/* 0 done, 1 timed out (or nowait failed), -1 aborted. */
int obj_put(rt_unit *u, uint32_t oi, uint64_t deadline, int64_t prio, bool nowait, bool has_val, int64_t val) {
    rt_obj *o = &u->r->objs[oi];
    rt_queue *q = &o->queue;
    mpq_pickle(u, oi, TRC_COMPUTE_PICKLE);
    if (rt_halted(u)) return -1;
    rt_lock(u, o->mon);
    if (q->count == q->cap && nowait) {
        queue_fail_now(u, oi, TRC_OP_PUT);
        rt_unlock(u, o->mon);
        return 1;
    }
    if (q->count == q->cap) {
        int out;
        q->putters++;
        rt_begin_wait(u, oi, TRC_OP_PUT, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, Q_CH_NOT_FULL, q->count < q->cap, deadline, out);
        q->putters--;
        rt_end_wait(u, oi, out, 0);
        if (out != TRC_OUT_OK) {
            rt_unlock(u, o->mon);
            return out == TRC_OUT_TIMEOUT ? 1 : -1;
        }
    }
    uint64_t item = ++q->next_item;
    if (q->owner) q->owner[(q->head + q->count) % q->cap] = u->index;
    q_push(q, item | (has_val ? Q_HAS_VALUE : 0), prio, has_val ? val : 0);
    atomic_store_explicit(&q->size, q->count, memory_order_relaxed);
    q->unfinished++;
    u->timed_out = false;
    if (has_val) {   /* the value first: the PUT that follows carries it */
        trc_emit_sync(u->ring, TRC_EV_ITEM_VALUE, o->id, 0, (uint64_t)val, 0);
        trc_emit(u->ring, TRC_EV_PUT, o->id, 0, item, (uint32_t)q->count);
    } else {
        trc_emit_sync(u->ring, TRC_EV_PUT, o->id, 0, item, (uint32_t)q->count);
    }
    if (q->getters) rt_wake(u->r, o->mon, Q_CH_NOT_EMPTY, false);
    rt_unlock(u, o->mon);
    return 0;
}

int obj_get(rt_unit *u, uint32_t oi, uint64_t deadline, bool nowait, int64_t *val) {
    rt_obj *o = &u->r->objs[oi];
    rt_queue *q = &o->queue;
    rt_lock(u, o->mon);
    if (q->count == 0 && nowait) {
        queue_fail_now(u, oi, TRC_OP_GET);
        rt_unlock(u, o->mon);
        return 1;
    }
    if (q->count == 0) {
        int out;
        q->getters++;
        rt_begin_wait(u, oi, TRC_OP_GET, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, Q_CH_NOT_EMPTY, q->count > 0, deadline, out);
        q->getters--;
        rt_end_wait(u, oi, out, 0);
        if (out != TRC_OUT_OK) {
            rt_unlock(u, o->mon);
            return out == TRC_OUT_TIMEOUT ? 1 : -1;
        }
    }
    uint64_t item = q_pop(q, val) & ~Q_HAS_VALUE;
    atomic_store_explicit(&q->size, q->count, memory_order_relaxed);
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_GET, o->id, 0, item, (uint32_t)q->count);
    if (q->putters) rt_wake(u->r, o->mon, Q_CH_NOT_FULL, false);
    if (q->flushers) rt_wake(u->r, o->mon, Q_CH_FED, true);
    rt_unlock(u, o->mon);
    mpq_pickle(u, oi, TRC_COMPUTE_UNPICKLE);
    return 0;
}

int obj_task_done(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    if (o->queue.unfinished <= 0) {
        rt_unlock(u, o->mon);
        char msg[256];
        snprintf(msg, sizeof msg, "task_done on queue '%s' called more times than items were put into it",
                 o->decl->name);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
        rt_error(u, s, msg);
        return -1;
    }
    o->queue.unfinished--;
    trc_emit_sync(u->ring, TRC_EV_QUEUE_TASK_DONE, o->id, 0, 0, (uint32_t)o->queue.unfinished);
    if (!o->queue.unfinished) rt_wake(u->r, o->mon, Q_CH_JOINED, true);
    rt_unlock(u, o->mon);
    return 0;
}

/* Waits until every item put has had its task_done. 0, or -1 aborted (a timeout sets timed_out). */
int obj_queue_join(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    rt_lock(u, o->mon);
    int out = TRC_OUT_OK;
    if (o->queue.unfinished > 0) {
        rt_begin_wait(u, oi, TRC_OP_QUEUE_JOIN, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, Q_CH_JOINED, o->queue.unfinished == 0, deadline, out);
        rt_end_wait(u, oi, out, 0);
    }
    u->timed_out = out == TRC_OUT_TIMEOUT;
    rt_unlock(u, o->mon);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}
