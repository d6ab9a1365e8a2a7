/* Pools and futures, as ThreadPoolExecutor has them: submit, result with a
 * timeout, cancel (only while pending), done-callbacks (run by the worker
 * after the waiters wake, or at once by the caller when the future is done
 * already), map (results in input order), as_completed (completion order),
 * shutdown(wait=yes|no); workers start lazily and take tasks until their
 * pool is shut down and drained.
 *
 * One monitor (rt.fmon) guards every future and every pool's queue, because
 * as_completed waits on futures of any pool at once. Channel F_CH_DONE wakes
 * whoever waits for a future; each pool's workers wait on its own channel.
 * Futures and their callback lists are run memory: any unit may read them.
 *
 * A task that raises finishes its future with the error (TASK_DONE outcome
 * ERROR, extra its text's string index + 1); result and map raise it again in
 * the caller, as_completed hands the future over with `ok` false (as if the
 * body looked at f.exception()); a done-callback's error is recorded and
 * logged, and the worker goes on, as Python's executor does.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fut_finished(const rt_fut *f) { return f->state == FS_DONE || f->state == FS_CANCELLED; }

/* Runs callbacks (task indexes) of future f on unit u; `arg` is the future's. */
static int run_callbacks(rt_unit *u, const rt_fut *f, uint32_t pool_id, const uint32_t *cbs, size_t n) {
    if (n && u->cb_depth >= SIM_MAX_CALLBACK_DEPTH) {
        char msg[256];
        snprintf(msg, sizeof msg, "done-callbacks nested more than %d deep (task '%s' adds itself to a finished future?)",
                 SIM_MAX_CALLBACK_DEPTH, u->r->prog->tasks[cbs[0]].name);
        rt_error_at(u, u->r->prog->tasks[cbs[0]].pos, msg);
        return -1;
    }
    u->cb_depth++;
    int rc = 0;
    rt *r = u->r;
    for (size_t i = 0; i < n && !rc; i++) {
        trc_emit(u->ring, TRC_EV_CALLBACK, pool_id, 0, f->id, 0);
        int64_t saved = u->arg;
        u->arg = f->arg;
        int b = exec_block(u, r->prog->tasks[cbs[i]].body);
        u->arg = saved;
        if (b == XR_STOP) rc = -1;
        if (b == XR_RAISE) {   /* "exception calling callback for <Future>": logged, and on */
            r->ops->mon_lock(r->plat, u->pu, r->smon);
            rt_rep(r->warnings, sizeof r->warnings, "%s:%d:%d: warning: a done-callback (task '%s') of future #%llu of pool '%s' "
                   "raised an error, logged and ignored: %s\n", r->prog->path, u->exc_pos.line, u->exc_pos.col,
                   r->prog->tasks[cbs[i]].name, (unsigned long long)f->id, r->prog->objects[f->pool].name, u->exc);
            r->ops->mon_unlock(r->plat, u->pu, r->smon);
            u->exc = NULL;
        }
    }
    u->cb_depth--;
    return rc;
}

/* Takes f's callbacks out of it (fmon held): the caller runs them, then frees them. */
static uint32_t *take_callbacks(rt_fut *f, size_t *n, size_t *cap) {
    uint32_t *cbs = f->cbs;
    *n = f->ncbs;
    *cap = f->cap_cbs;
    f->cbs = NULL;
    f->ncbs = f->cap_cbs = 0;
    return cbs;
}

/* Queues a task on a pool; starts a worker when none is idle (workers start lazily, as
 * ThreadPoolExecutor's do). Returns the future, or NULL when the pool is shut down
 * (timed_out set) or run memory is exhausted (the run ends). */
rt_fut *pool_submit(rt_unit *u, uint32_t oi, uint32_t task, int64_t arg, sim_pos pos) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    /* a process pool's task is pickled by its submitter */
    if (o->decl->pool_kind == SIM_POOL_PROCESSES && !o->shut)
        proc_pickle(u, oi, TRC_COMPUTE_PICKLE, (uint64_t)o->decl->pickle_value, o->decl->item_value);
    rt_unit *launch = NULL;
    rt_lock(u, r->fmon);
    if (o->shut) {
        rt_unlock(u, r->fmon);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0,
                 rt_intern(r, u->pu, "submit after shutdown: the pool takes no new tasks (RuntimeError)"), 0);
        u->timed_out = true;
        return NULL;
    }
    rt_fut *f = rt_alloc(r, sizeof *f);
    if (!f || !RT_GROW(r, r->futs, r->nfuts + 1, r->cap_futs)) {
        rt_unlock(u, r->fmon);
        rt_release(r, f, sizeof *f);
        rt_out_of_memory(u, pos);
        return NULL;
    }
    *f = (rt_fut){ .id = ++o->next_id, .pool = oi, .task = task, .arg = arg, .state = FS_PENDING, .submitter = u->index,
                   .worker = UINT32_MAX };
    r->futs[r->nfuts++] = f;
    if (o->qtail) o->qtail->next = f; else o->qhead = f;
    o->qtail = f;
    o->queued++;
    trc_emit(u->ring, TRC_EV_SUBMIT, o->id, 0, f->id, r->task_str[task] + 1);
    if (o->queued > o->idle && o->started < (uint32_t)o->decl->cap_value) {
        launch = &r->units[r->ubase + o->decl->unit0 + o->started++];
        unit_start(u, launch);
    }
    rt_wake(r, r->fmon, o->pool_ch, false);
    rt_unlock(u, r->fmon);
    u->timed_out = false;
    /* a worker process is made from the submitter's (with no monitor held) */
    if (launch && r->procs) proc_launch(r, u, launch, pos);
    return f;
}

/* Waits (fmon held) until f finishes or the deadline; records the RESULT. Returns the outcome. */
static int await_result(rt_unit *u, rt_fut *f, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[f->pool];
    int out = TRC_OUT_OK;
    if (!fut_finished(f)) {
        atomic_store(&u->wait_fut, f);
        rt_begin_wait(u, f->pool, TRC_OP_RESULT, deadline, f->id);
        RT_WAIT_UNTIL(u, r->fmon, F_CH_DONE, fut_finished(f), deadline, out);
        rt_end_wait(u, f->pool, out, 0);
        atomic_store(&u->wait_fut, NULL);
    }
    if (out == TRC_OUT_OK) out = f->state == FS_CANCELLED ? TRC_OUT_CANCELLED : f->outcome;
    if (out != TRC_OUT_ABORTED) trc_emit_sync(u->ring, TRC_EV_RESULT, o->id, (uint16_t)out, f->id, 0);
    u->timed_out = out != TRC_OUT_OK;
    return out;
}

/* Cancels f if it is still pending (fmon held); returns whether it did. Callbacks to run
 * (on the caller, as Python does for a cancelled future) are returned in *cbs. */
static bool cancel_pending(rt_unit *u, rt_fut *f, uint32_t **cbs, size_t *ncbs, size_t *cap) {
    rt *r = u->r;
    rt_obj *o = &r->objs[f->pool];
    bool ok = f->state == FS_PENDING;
    trc_emit(u->ring, TRC_EV_CANCEL, o->id, ok ? 1 : 0, f->id, 0);
    if (ok) {
        rt_fut **pp = &o->qhead, *prev = NULL;
        while (*pp && *pp != f) { prev = *pp; pp = &(*pp)->next; }
        if (*pp) {
            *pp = f->next;
            if (o->qtail == f) o->qtail = prev;
            o->queued--;
        }
        f->state = FS_CANCELLED;
        f->outcome = TRC_OUT_CANCELLED;
        f->done_seq = ++r->done_seq;
        *cbs = take_callbacks(f, ncbs, cap);
        rt_wake(r, r->fmon, F_CH_DONE, true);
    }
    return ok;
}

static rt_fut *slot(rt_unit *u, const sim_stmt *s) {
    rt_fut *f = u->slots[s->fut];
    if (!f) {
        char msg[256];
        snprintf(msg, sizeof msg, "future '%s' has not been submitted (or its submit was rejected)",
                 u->r->prog->futs[s->fut].name);
        rt_error(u, s, msg);
    }
    return f;
}

/* The task's error, raised again in u (fmon held by the caller when it read f). */
static int reraise(rt_unit *u, const rt_fut *f, sim_pos pos) {
    return rt_raise(u, pos, TRC_RAISE_FUTURE, f->pool, (uint32_t)f->id, f->err, f->err_id);
}

int pool_result(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt_fut *f = slot(u, s);
    if (!f) return -1;
    if (rt_fut_is_task(f)) return async_result(u, f, deadline, s->pos);   /* a task's (sim_async.c) */
    rt_lock(u, u->r->fmon);
    int out = await_result(u, f, deadline);
    if (out == TRC_OUT_ERROR) f->retrieved = true;
    rt_unlock(u, u->r->fmon);
    if (out == TRC_OUT_ERROR) return reraise(u, f, s->pos);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

int pool_cancel(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    rt_fut *f = slot(u, s);
    if (!f) return -1;
    if (rt_fut_is_task(f)) return async_cancel(u, f);   /* delivered at its next await (sim_async.c) */
    uint32_t *cbs = NULL;
    size_t n = 0, cap = 0;
    rt_lock(u, r->fmon);
    bool ok = cancel_pending(u, f, &cbs, &n, &cap);
    rt_unlock(u, r->fmon);
    u->timed_out = !ok;
    int rc = run_callbacks(u, f, r->objs[f->pool].id, cbs, n);
    rt_release(r, cbs, cap * sizeof *cbs);
    return rc;
}

int pool_on_done(rt_unit *u, const sim_stmt *s) {
    rt_fut *f = slot(u, s);
    if (!f) return -1;
    rt *r = u->r;
    rt_lock(u, r->fmon);
    if (!fut_finished(f)) {
        bool ok = RT_GROW(r, f->cbs, f->ncbs + 1, f->cap_cbs);
        if (ok) f->cbs[f->ncbs++] = s->task;
        rt_unlock(u, r->fmon);
        if (!ok) rt_out_of_memory(u, s->pos);
        return ok ? 0 : -1;
    }
    rt_unlock(u, r->fmon);
    uint32_t cb = s->task;   /* already done: it runs now, on the caller */
    return run_callbacks(u, f, rt_obj_id(r, f->pool), &cb, 1);
}

/* map POOL TASK N [timeout=D] { body }: every item is submitted up front; results come
 * back in input order, so the consumer waits on the slowest earlier item (head-of-line).
 * On a timeout, an error, or a block that breaks out or raises, the pending rest is
 * cancelled, as Executor.map's iterator does when it stops early. */
int pool_map(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    int64_t n;
    if (rt_ev(u, s->expr, &n)) return -1;
    if (n < 0 || n > SIM_MAX_CAPACITY) {
        rt_error(u, s, n < 0 ? "map over a negative number of items" : "map over more items than weft's limit");
        return -1;
    }
    rt_fut **fs = xcalloc((size_t)n + 1, sizeof *fs);   /* private to this step */
    int64_t got = 0;
    for (int64_t i = 0; i < n; i++) {
        fs[i] = pool_submit(u, oi, s->task, i, s->pos);
        if (!fs[i]) { n = i; break; }   /* rejected: the pool is shut down */
    }
    bool rejected = u->timed_out;
    int rc = rt_halted(u) ? -1 : 0;
    int64_t i;
    for (i = 0; i < n && !rc; i++) {
        rt_lock(u, r->fmon);
        int out = await_result(u, fs[i], deadline);
        if (out == TRC_OUT_ERROR) fs[i]->retrieved = true;
        if (out == TRC_OUT_TIMEOUT || out == TRC_OUT_ERROR) {   /* as map's iterator: the pending rest is cancelled */
            for (int64_t k = i; k < n; k++) {
                uint32_t *cbs = NULL;
                size_t nc = 0, cap = 0;
                if (fs[k]->state == FS_PENDING) cancel_pending(u, fs[k], &cbs, &nc, &cap);
                rt_release(r, cbs, cap * sizeof *cbs);   /* map's futures have no callbacks */
            }
        }
        rt_unlock(u, r->fmon);
        if (out == TRC_OUT_ABORTED) { rc = -1; break; }
        if (out == TRC_OUT_TIMEOUT) break;
        if (out == TRC_OUT_ERROR) { rc = reraise(u, fs[i], s->pos); break; }
        got++;
        int64_t saved = u->arg;
        u->arg = fs[i]->arg;
        int b = exec_block(u, s->body);
        u->arg = saved;
        if (b == XR_STOP) rc = -1;
        if (b == XR_RAISE) rc = XR_RAISE;
        if (b != XR_OK) break;
    }
    if (i < n && rc != -1 && !rt_halted(u)) {
        /* the block broke out or raised: as a map iterator closed early (its finally), the
         * items still queued are cancelled; the running ones run on */
        rt_lock(u, r->fmon);
        for (int64_t k = i + 1; k < n; k++) {
            uint32_t *cbs = NULL;
            size_t nc = 0, cap = 0;
            if (fs[k]->state == FS_PENDING) cancel_pending(u, fs[k], &cbs, &nc, &cap);
            rt_release(r, cbs, cap * sizeof *cbs);
        }
        rt_unlock(u, r->fmon);
    }
    if (rc != XR_RAISE) u->timed_out = rejected || got < n;
    free(fs);
    return rc;
}

/* as_completed [timeout=D] { body }: the unit's futures not handed out yet, as they finish. */
int pool_as_completed(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt *r = u->r;
    int rc = 0;
    size_t n = u->nmine;   /* the futures submitted so far */
    u->timed_out = false;
    for (;;) {
        rt_lock(u, r->fmon);
        rt_fut *best = NULL, *pending = NULL;
        for (size_t i = 0; i < n; i++) {
            rt_fut *f = u->mine[i];
            if (f->yielded) continue;
            if (fut_finished(f)) { if (!best || f->done_seq < best->done_seq) best = f; }
            else if (!pending) pending = f;
        }
        if (!best && !pending) { rt_unlock(u, r->fmon); break; }
        if (!best) {
            /* wait for any of them: shown as a wait on the first one still pending (a task's: a join) */
            if (rt_fut_is_task(pending)) {
                rt_begin_wait(u, UINT32_MAX, TRC_OP_JOIN, deadline, pending->worker);
            } else {
                atomic_store(&u->wait_fut, pending);
                rt_begin_wait(u, pending->pool, TRC_OP_RESULT, deadline, pending->id);
            }
            int out = TRC_OUT_OK;
            for (;;) {
                bool any = false;
                for (size_t i = 0; i < n && !any; i++) any = !u->mine[i]->yielded && fut_finished(u->mine[i]);
                if (any) break;
                int sl = rt_wait(u, r->fmon, F_CH_DONE, deadline);
                if (sl != RT_AGAIN) { out = sl; break; }
            }
            rt_end_wait(u, rt_fut_is_task(pending) ? UINT32_MAX : pending->pool, out, 0);
            atomic_store(&u->wait_fut, NULL);
            rt_unlock(u, r->fmon);
            if (out == TRC_OUT_ABORTED) return -1;
            if (out == TRC_OUT_TIMEOUT) { u->timed_out = true; return 0; }
            continue;
        }
        best->yielded = true;
        best->awaited = true;
        int out = best->state == FS_CANCELLED ? TRC_OUT_CANCELLED : best->outcome;
        if (out == TRC_OUT_ERROR) best->retrieved = true;   /* the body sees it: `ok` is false */
        if (rt_fut_is_task(best)) {   /* `ok` in the body: the task ended well */
            trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, best->worker, 0);
            u->timed_out = out != TRC_OUT_OK;
        } else {
            trc_emit_sync(u->ring, TRC_EV_RESULT, r->objs[best->pool].id, (uint16_t)out, best->id, 0);
        }
        rt_unlock(u, r->fmon);
        int64_t saved = u->arg;
        u->arg = best->arg;
        u->timed_out = out != TRC_OUT_OK;
        int b = exec_block(u, s->body);
        u->arg = saved;
        if (b == XR_STOP) { rc = -1; break; }
        if (b == XR_RAISE) { rc = XR_RAISE; break; }
        if (b == XR_BREAK) break;
    }
    return rc;
}

static bool workers_done(const rt *r, const rt_obj *o, uint32_t started) {
    const rt_unit *w0 = &r->units[r->ubase + o->decl->unit0];
    for (uint32_t k = 0; k < started; k++)
        if (atomic_load(&w0[k].state) != US_DONE) return false;
    return true;
}

/* shutdown POOL wait=yes|no: no new tasks; queued ones still run. wait=yes also waits
 * until every worker has exited. */
int pool_shutdown(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    char text[160];
    snprintf(text, sizeof text, "shutdown(wait=%s) of pool '%s'", s->wait ? "True" : "False", o->decl->name);
    trc_emit(u->ring, TRC_EV_MARK, 0, 0, rt_intern(r, u->pu, text), 0);
    rt_lock(u, r->fmon);
    o->shut = true;
    rt_wake(r, r->fmon, o->pool_ch, true);
    uint32_t started = o->started;   /* final: a shut pool starts no worker */
    rt_unlock(u, r->fmon);
    u->timed_out = false;
    if (!s->wait) return 0;
    /* wait=yes joins the workers, as ThreadPoolExecutor.shutdown(wait=True) does */
    int out = TRC_OUT_OK;
    rt_lock(u, r->mon);
    if (!workers_done(r, o, started)) {
        rt_begin_wait(u, oi, TRC_OP_JOIN, 0, 0);
        RT_WAIT_UNTIL(u, r->mon, RT_CH_EXIT, workers_done(r, o, started), 0, out);
        rt_unlock(u, r->mon);
        rt_end_wait(u, oi, out, 0);
    } else {
        rt_unlock(u, r->mon);
    }
    if (out == TRC_OUT_ABORTED) return -1;
    const rt_unit *w0 = &r->units[r->ubase + o->decl->unit0];
    for (uint32_t k = 0; k < started; k++) trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, w0[k].index, 0);
    return 0;
}

void pool_shut_all(rt *r, sim_punit *by) {
    r->ops->mon_lock(r->plat, by, r->fmon);
    for (uint32_t i = 0; i < r->prog->nobjects; i++)
        if (r->objs[i].decl->kind == SIM_OBJ_POOL) {
            r->objs[i].shut = true;
            r->ops->mon_wake(r->plat, r->fmon, r->objs[i].pool_ch, true);
        }
    r->ops->mon_unlock(r->plat, by, r->fmon);
}

/* A pool worker: takes tasks until the pool is shut down and drained. */
int pool_worker_loop(rt_unit *u) {
    rt *r = u->r;
    rt_obj *o = &r->objs[u->pool];
    int rc = 0;
    bool idle = false;   /* counted in o->idle: a submit finding it idle starts no new worker */
    rt_lock(u, r->fmon);
    for (;;) {
        bool waiting = false;
        int out = TRC_OUT_OK;
        if (!idle) { idle = true; o->idle++; }
        while (!o->qhead && !o->shut) {
            if (!waiting) { waiting = true; rt_begin_wait(u, u->pool, TRC_OP_GET, 0, 0); }
            int sl = rt_wait(u, r->fmon, o->pool_ch, 0);
            if (sl != RT_AGAIN) { out = sl; break; }
        }
        if (waiting) rt_end_wait(u, u->pool, out, 0);
        if (out == TRC_OUT_ABORTED || rt_halted(u)) { rc = -1; break; }
        if (!o->qhead) break;   /* shut down and drained */
        rt_fut *f = o->qhead;
        o->idle--;
        idle = false;
        o->qhead = f->next;
        if (!o->qhead) o->qtail = NULL;
        o->queued--;
        f->next = NULL;
        f->state = FS_RUNNING;
        f->worker = u->index;
        trc_emit_sync(u->ring, TRC_EV_TASK_START, o->id, 0, f->id, 0);
        rt_unlock(u, r->fmon);

        u->arg = f->arg;
        int b = exec_block(u, r->prog->tasks[f->task].body);
        u->arg = 0;
        /* a process pool's result is pickled by the worker */
        if (b != XR_STOP && o->decl->pool_kind == SIM_POOL_PROCESSES)
            proc_pickle(u, u->pool, TRC_COMPUTE_PICKLE, (uint64_t)o->decl->pickle_value, o->decl->item_value);

        rt_lock(u, r->fmon);
        int outcome = b == XR_STOP ? TRC_OUT_ABORTED : b == XR_RAISE ? TRC_OUT_ERROR : TRC_OUT_OK;
        trc_emit(u->ring, TRC_EV_TASK_DONE, o->id, (uint16_t)outcome, f->id, b == XR_RAISE ? u->exc_id + 1 : 0);
        if (b == XR_RAISE) {   /* the future keeps the error; the worker goes on */
            f->err = u->exc;
            f->err_id = u->exc_id;
            f->err_pos = u->exc_pos;
            u->exc = NULL;
            b = XR_OK;
        }
        f->state = FS_DONE;
        f->outcome = outcome;
        f->done_seq = ++r->done_seq;
        uint64_t now = rt_stamp(r);
        if (atomic_load(&r->task_done_t[f->task]) < now) atomic_store(&r->task_done_t[f->task], now);
        rt_wake(r, r->fmon, F_CH_DONE, true);   /* waiters wake first, then the callbacks run */
        size_t ncbs, cap;
        uint32_t *cbs = take_callbacks(f, &ncbs, &cap);
        /* idle again once the future is done and its callbacks have run (as ThreadPoolExecutor's
         * workers are): with none, before its waiters can submit again */
        if (!ncbs) { idle = true; o->idle++; }
        rt_unlock(u, r->fmon);
        if (b == XR_STOP) {
            rt_release(r, cbs, cap * sizeof *cbs);
            rc = -1;
            rt_lock(u, r->fmon);
            break;
        }
        rc = run_callbacks(u, f, o->id, cbs, ncbs);
        rt_release(r, cbs, cap * sizeof *cbs);
        rt_lock(u, r->fmon);
        if (rc) break;
    }
    if (idle) o->idle--;
    rt_wake(r, r->fmon, F_CH_DONE, true);
    rt_unlock(u, r->fmon);
    return rc ? XR_STOP : XR_OK;
}
