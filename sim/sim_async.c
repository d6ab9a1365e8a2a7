/* Tasks, as asyncio has them: create_task, await, gather, wait_for, cancel
 * (delivered at the task's next await point, where a `finally` block then
 * runs), as_completed and done-callbacks (sim_pool.c serves them for tasks
 * too), and the report of tasks never awaited.
 *
 * A task made at run time is a unit of its own: a task on its maker's loop
 * on the coroutines backend, a thread on threads (create_task is then
 * threading.Thread(...).start(), await a join, gather a start-and-join,
 * wait_for a join with a timeout that leaves the thread running, and cancel
 * fails: a running thread cannot be cancelled). Its handle is an rt_fut
 * (pool UINT32_MAX, worker = the task's unit) guarded by rt.fmon like every
 * future, so as_completed, result, cancel and on_done take either.
 *
 * Awaiting a task is recorded as a join (WAIT_BEGIN op JOIN with the task's
 * unit, JOINED after it ended): the model draws the flow from the task's exit
 * to its awaiter and the watchdog follows the edge (a cycle of awaits is a
 * deadlock; a chain of awaits ending on an empty queue is stuck).
 *
 * Failures: a task that raised keeps its error in its handle, and `await`,
 * `result`, `wait_for` and a gather without return_exceptions raise it again
 * in the awaiter (as asyncio does; the error is then retrieved). A task
 * cancelled gives its awaiter `ok` = 0 (asyncio would raise CancelledError),
 * and so does a gather without return_exceptions at the first child that is
 * cancelled. With return_exceptions the gather's body sees `ok` = 0 for a
 * child that failed either way, and its error counts as retrieved.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool finished(const rt_fut *f) { return f->state == FS_DONE || f->state == FS_CANCELLED; }
static bool failed(const rt_fut *f) { return f->state == FS_CANCELLED || f->outcome != TRC_OUT_OK; }
static bool raised(const rt_fut *f) { return f->state == FS_DONE && f->outcome == TRC_OUT_ERROR; }

/* The task's error raised again in u (fmon held by the caller when it read f): it is retrieved. */
static int reraise(rt_unit *u, rt_fut *f, sim_pos pos) {
    return rt_raise(u, pos, TRC_RAISE_FUTURE, UINT32_MAX, (uint32_t)f->id, f->err, f->err_id);
}

/* ---- making a task ----------------------------------------------------------------- */

static void init_created(rt_unit *u, rt_unit *c, uint32_t idx, uint32_t task, int64_t arg) {
    rt *r = u->r;
    const sim_program *p = r->prog;
    c->r = r;
    c->index = idx;
    c->pool = UINT32_MAX;
    c->launcher = c->host = c->manager = UINT32_MAX;   /* no process of its own, no manager's server */
    c->reply_rfd = c->reply_wfd = -1;
    c->rng = r->desc->seed ^ (0x9E3779B97F4A7C15ull * (idx + 1));
    /* the heap of the process that makes it, or run memory when tasks are made in other processes
     * too (a loop of its own process): main frees them at the end (rt_teardown) */
    c->locals = r->coro_procs ? rt_alloc(r, (p->nlocals + 1) * sizeof *c->locals) : xcalloc(p->nlocals + 1, sizeof *c->locals);
    for (uint32_t i = 0; i < p->nlocals; i++)   /* a task starts with a copy of its maker's context */
        if (p->local_ctx && p->local_ctx[i]) c->locals[i] = u->locals[i];
    c->tls = r->coro ? u->tls : c->locals;      /* a new thread has its own thread-locals */
    c->slots = r->coro_procs ? rt_alloc(r, (p->nfuts + 1) * sizeof *c->slots) : xcalloc(p->nfuts + 1, sizeof *c->slots);
    c->body = p->tasks[task].body;
    c->arg = arg;
    c->index_in_actor = r->created_per_task[task]++;
    c->created = true;
    c->gil = u->gil;   /* the GIL of its maker's process (a task on a loop takes the loop thread's) */
    c->loop = u->loop;
    c->tkind = r->coro ? TRC_UNIT_TASK : TRC_UNIT_THREAD;
    c->parent = r->coro && u->loop != UINT32_MAX ? u->r->loop_unit0 + u->loop : UINT32_MAX;
    c->state = US_RUNNING;
    c->start_req = 1;
    snprintf(c->name, sizeof c->name, "%s.%lld", p->tasks[task].name, (long long)c->index_in_actor);
}

rt_fut *async_create(rt_unit *u, uint32_t task, int64_t arg, sim_pos pos) {
    rt *r = u->r;
    const sim_plat_ops *ops = r->ops;
    if (r->coro && u->loop == UINT32_MAX) {
        rt_error_at(u, pos, "create_task in a task a pool's worker runs: an executor's thread has no event loop");
        return NULL;
    }
    /* the handle first: on threads the task may end before this returns */
    rt_fut *f = rt_alloc(r, sizeof *f);
    rt_lock(u, r->fmon);
    if (!f || !RT_GROW(r, r->futs, r->nfuts + 1, r->cap_futs)) {
        rt_unlock(u, r->fmon);
        rt_release(r, f, sizeof *f);
        rt_out_of_memory(u, pos);
        return NULL;
    }
    *f = (rt_fut){ .pool = UINT32_MAX, .task = task, .arg = arg, .state = FS_PENDING, .submitter = u->index,
                   .worker = UINT32_MAX, .made_at = pos };
    r->futs[r->nfuts++] = f;
    rt_unlock(u, r->fmon);

    rt_lock(u, r->mon);
    if (rt_aborted(r)) {   /* the run is ending: no new unit */
        rt_unlock(u, r->mon);
        return NULL;
    }
    uint32_t idx = r->nunits;
    if (idx >= r->cap_units) {
        rt_unlock(u, r->mon);
        char msg[256];
        snprintf(msg, sizeof msg, "create_task: more than %u units in one run (weft's limit)", r->cap_units);
        rt_error_at(u, pos, msg);
        return NULL;
    }
    rt_unit *c = &r->units[idx];
    init_created(u, c, idx, task, arg);
    if (!c->locals || !c->slots) {
        rt_unlock(u, r->mon);
        rt_created_free(r, c);
        memset(c, 0, sizeof *c);
        rt_out_of_memory(u, pos);
        return NULL;
    }
    f->worker = idx;
    f->id = idx;
    c->handle = f;
    char err[256] = "";
    diag d;
    diag_clear(&d);
    trc_unit tu = { .id = idx, .kind = c->tkind, .parent = c->parent, .name = c->name,
                    .group = r->prog->tasks[task].name };
    if (!(c->mon = ops->mon_new(r->plat, 1)) || !(c->ring = trc_recorder_unit(r->rec, &tu))) {
        rt_unlock(u, r->mon);   /* the id is not used: nothing of it was recorded */
        if (c->mon) ops->mon_free(r->plat, c->mon);
        rt_created_free(r, c);
        memset(c, 0, sizeof *c);
        rt_out_of_memory(u, pos);
        return NULL;
    }
    rt_count_start(r, c);
    if (ops->unit_start(r->plat, &c->pu, &(sim_unit_start){ .entry = unit_main, .arg = c, .name = c->name,
                                                             .loop = c->loop }, &d))
        snprintf(err, sizeof err, "create_task: %.200s", d.msg);
    else
        trc_emit(u->ring, TRC_EV_SPAWN, 0, 0, idx, 0);
    if (err[0] && !c->pu) c->state = US_DONE;   /* never started: its id is used all the same */
    atomic_store(&r->nunits, idx + 1);
    rt_unlock(u, r->mon);
    if (err[0]) {
        rt_error_at(u, pos, err);
        return NULL;
    }
    return f;
}

/* ---- the end of a task -------------------------------------------------------------- */

void async_task_end(rt_unit *u, int rc) {
    rt *r = u->r;
    rt_fut *f = u->handle;
    bool cancelled = u->cancelled && !rt_halted(u);
    rt_lock(u, r->fmon);
    f->state = cancelled ? FS_CANCELLED : FS_DONE;
    f->outcome = cancelled ? TRC_OUT_CANCELLED : rc == XR_STOP ? TRC_OUT_ABORTED : rc == XR_RAISE ? TRC_OUT_ERROR : TRC_OUT_OK;
    if (rc == XR_RAISE && !cancelled) {   /* the handle keeps the error for whoever awaits it */
        f->err = u->exc;
        f->err_id = u->exc_id;
        f->err_pos = u->exc_pos;
    }
    f->done_seq = ++r->done_seq;
    if (cancelled || rc != XR_OK) r->task_failures++;   /* gathers look for a failed child only then */
    if (!cancelled && rc == XR_OK) {
        uint64_t now = rt_stamp(r);
        if (atomic_load(&r->task_done_t[f->task]) < now) atomic_store(&r->task_done_t[f->task], now);
    }
    rt_wake(r, r->fmon, F_CH_DONE, true);
    uint32_t *cbs = f->cbs;
    size_t n = f->ncbs, cap = f->cap_cbs;
    f->cbs = NULL;
    f->ncbs = f->cap_cbs = 0;
    rt_unlock(u, r->fmon);
    /* done-callbacks run on the task once it is done (on its loop, before its awaiters resume) */
    if (n && !rt_halted(u)) {
        u->cancelled = false;
        u->cb_depth++;
        for (size_t i = 0; i < n && !rt_halted(u); i++) {
            trc_emit(u->ring, TRC_EV_CALLBACK, 0, 0, f->id, 0);
            u->arg = f->arg;
            if (exec_block(u, r->prog->tasks[cbs[i]].body) == XR_STOP) break;
        }
        u->cb_depth--;
        u->cancelled = cancelled;
    }
    rt_release(r, cbs, cap * sizeof *cbs);
}

/* ---- awaiting ------------------------------------------------------------------------ */

static bool request_cancel(rt *r, rt_fut *f, sim_punit *self, int by);

/* A task cancelled while it awaits a task cancels that one too (Task.cancel cancels the
 * future it waits on), unless the run is ending. */
static void pass_cancel_on(rt_unit *u, rt_fut *f) {
    if (!u->cancelled || rt_halted(u)) return;
    if (request_cancel(u->r, f, u->pu, 1)) trc_emit(u->ring, TRC_EV_TASK_CANCEL, 0, 1, f->worker, 0);
}

/* Waits (fmon held) until f is finished or the deadline: the outcome of the wait. */
static int wait_done(rt_unit *u, rt_fut *f, uint64_t deadline) {
    int out = TRC_OUT_OK;
    if (finished(f)) return out;
    rt_begin_wait(u, UINT32_MAX, TRC_OP_JOIN, deadline, f->worker);
    RT_WAIT_UNTIL(u, u->r->fmon, F_CH_DONE, finished(f), deadline, out);
    rt_end_wait(u, UINT32_MAX, out, 0);
    return out;
}

int async_result(rt_unit *u, rt_fut *f, uint64_t deadline, sim_pos pos) {
    rt *r = u->r;
    rt_lock(u, r->fmon);
    f->awaited = true;
    int out = wait_done(u, f, deadline);
    bool bad = finished(f) && failed(f);
    bool err = out == TRC_OUT_OK && raised(f);
    if (err) f->retrieved = true;
    rt_unlock(u, r->fmon);
    if (out == TRC_OUT_ABORTED) {
        pass_cancel_on(u, f);
        return -1;
    }
    if (out == TRC_OUT_TIMEOUT) {
        u->timed_out = true;
        return 0;
    }
    trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, f->worker, 0);
    if (err) return reraise(u, f, pos);
    u->timed_out = bad;
    return 0;
}

/* Asks task f to stop at its next await point; `by` 1 = a cancel step, 2 = the loop closes. */
static bool request_cancel(rt *r, rt_fut *f, sim_punit *self, int by) {
    rt_unit *c = &r->units[f->worker];
    r->ops->mon_lock(r->plat, self, r->fmon);
    bool live = !finished(f);
    r->ops->mon_unlock(r->plat, self, r->fmon);
    if (!live || !r->coro) return false;   /* a thread that runs cannot be cancelled */
    atomic_store(&c->cancel_req, by);      /* seq_cst: before wait_mon is read */
    sim_mon *m = atomic_load(&c->wait_mon);
    if (m) {
        r->ops->mon_lock(r->plat, self, m);
        r->ops->mon_wake(r->plat, m, SIM_MON_EVERY, true);
        r->ops->mon_unlock(r->plat, self, m);
    }
    return true;
}

int async_cancel(rt_unit *u, rt_fut *f) {
    bool will = request_cancel(u->r, f, u->pu, 1);
    trc_emit(u->ring, TRC_EV_TASK_CANCEL, 0, will, f->worker, 0);
    u->timed_out = !will;
    return 0;
}

void async_cancel_rest(rt *r, sim_punit *by) {
    for (uint32_t i = 0; i < r->nunits; i++) {
        rt_unit *c = &r->units[i];
        if (c->created && c->handle && atomic_load(&c->state) != US_DONE) request_cancel(r, c->handle, by, 2);
    }
}

/* wait_for F timeout=D: a task is cancelled when the time runs out (and waited for until the
 * cancellation has ended it, as asyncio.wait_for does); a future of a pool is cancelled only if
 * it has not started, so its worker keeps running. */
static int await_for(rt_unit *u, const sim_stmt *s, rt_fut *f) {
    rt *r = u->r;
    uint64_t deadline;
    if (rt_timeout_of(u, s, &deadline)) return -1;
    if (!rt_fut_is_task(f)) {
        int rc = pool_result(u, s, deadline);
        if (rc) return rc == XR_RAISE ? XR_RAISE : -1;
        rt_lock(u, r->fmon);
        bool late = !finished(f);
        rt_unlock(u, r->fmon);
        if (late) {
            pool_cancel(u, s);   /* records the cancel; a running worker goes on */
            u->timed_out = true;
        }
        return 0;
    }
    rt_lock(u, r->fmon);
    f->awaited = true;
    int out = wait_done(u, f, deadline);
    rt_unlock(u, r->fmon);
    if (out == TRC_OUT_ABORTED) {
        pass_cancel_on(u, f);
        return -1;
    }
    if (out == TRC_OUT_TIMEOUT) {
        if (async_cancel(u, f)) return -1;
        if (!u->timed_out) {   /* the cancel reached it: wait until it has ended */
            rt_lock(u, r->fmon);
            out = wait_done(u, f, 0);
            rt_unlock(u, r->fmon);
            if (out == TRC_OUT_ABORTED) return -1;
            trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, f->worker, 0);
        }
        u->timed_out = true;
        return 0;
    }
    rt_lock(u, r->fmon);
    bool bad = failed(f);
    bool err = raised(f);
    if (err) f->retrieved = true;
    rt_unlock(u, r->fmon);
    trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, f->worker, 0);
    if (err) return reraise(u, f, s->pos);
    u->timed_out = bad;
    return 0;
}

/* gather: every child finished (in any order), or with return_exceptions unset the first that
 * fails, or the deadline. The body then runs per child in the order they were made. */
static int gather(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    uint64_t deadline;
    if (rt_timeout_of(u, s, &deadline)) return -1;
    rt_fut **fs = NULL;
    size_t n = 0, cap = 0;
    if (s->task != UINT32_MAX) {
        int64_t cnt;
        if (rt_ev(u, s->expr, &cnt)) return -1;
        if (cnt < 0 || cnt > SIM_MAX_RUN_UNITS) {
            rt_error(u, s, cnt < 0 ? "gather of a negative number of tasks" : "gather of more tasks than weft's limit");
            return -1;
        }
        for (int64_t i = 0; i < cnt; i++) {
            rt_fut *f = async_create(u, s->task, i, s->pos);
            if (!f) { free(fs); return -1; }
            ARR_PUSH(fs, n, cap, f);
        }
    } else if (s->nfuts) {
        for (uint32_t i = 0; i < s->nfuts; i++) {
            rt_fut *f = u->slots[s->futs[i]];
            if (!f) {
                char msg[256];
                snprintf(msg, sizeof msg, "task '%s' has not been made (create_task ... as %s)",
                         r->prog->futs[s->futs[i]].name, r->prog->futs[s->futs[i]].name);
                rt_error(u, s, msg);
                free(fs);
                return -1;
            }
            ARR_PUSH(fs, n, cap, f);
        }
    } else {   /* every task this unit made that nobody has awaited yet */
        rt_lock(u, r->fmon);
        for (size_t i = 0; i < u->nmine; i++)
            if (rt_fut_is_task(u->mine[i]) && !u->mine[i]->awaited && !u->mine[i]->yielded) ARR_PUSH(fs, n, cap, u->mine[i]);
        rt_unlock(u, r->fmon);
    }
    int out = TRC_OUT_OK;
    bool waiting = false, bad = false;
    size_t first = 0;
    uint64_t failures = UINT64_MAX;   /* r->task_failures when last looked */
    rt_lock(u, r->fmon);
    for (size_t i = 0; i < n; i++) fs[i]->awaited = true;
    for (;;) {
        while (first < n && finished(fs[first])) bad |= failed(fs[first++]);
        if (!s->return_exceptions && failures != r->task_failures) {   /* a task failed since: one of ours? */
            failures = r->task_failures;
            for (size_t i = first; i < n && !bad; i++) bad = finished(fs[i]) && failed(fs[i]);
        }
        if (first == n || (bad && !s->return_exceptions)) break;
        if (!waiting) {
            waiting = true;
            rt_begin_wait(u, UINT32_MAX, TRC_OP_JOIN, deadline, fs[first]->worker);
        }
        int sl = rt_wait(u, r->fmon, F_CH_DONE, deadline);
        if (sl != RT_AGAIN) { out = sl; break; }
    }
    if (waiting) rt_end_wait(u, UINT32_MAX, out, 0);
    rt_unlock(u, r->fmon);
    int rc = 0;
    if (out == TRC_OUT_ABORTED) {   /* cancelling the gather cancels its children */
        for (size_t i = 0; i < n; i++) pass_cancel_on(u, fs[i]);
        rc = -1;
    } else if (out == TRC_OUT_TIMEOUT) {
        /* wait_for(gather(...)) cancels the children still running, and waits for them */
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            rt_lock(u, r->fmon);
            bool live = !finished(fs[i]);
            rt_unlock(u, r->fmon);
            if (live && request_cancel(r, fs[i], u->pu, 1)) {
                trc_emit(u->ring, TRC_EV_TASK_CANCEL, 0, 1, fs[i]->worker, 0);
                any = true;
            }
        }
        for (size_t i = 0; any && i < n && !rc; i++) {
            rt_lock(u, r->fmon);
            if (wait_done(u, fs[i], 0) == TRC_OUT_ABORTED) rc = -1;
            rt_unlock(u, r->fmon);
        }
        u->timed_out = true;
    } else if (bad && !s->return_exceptions) {
        /* the first failure ends the gather; the others keep running. An error (the first
         * to have happened) is raised again here; a cancellation gives ok 0 */
        rt_fut *e = NULL;
        rt_lock(u, r->fmon);
        for (size_t i = 0; i < n; i++)
            if (raised(fs[i]) && (!e || fs[i]->done_seq < e->done_seq)) e = fs[i];
        if (e) e->retrieved = true;
        rt_unlock(u, r->fmon);
        if (e) {
            free(fs);
            return reraise(u, e, s->pos);
        }
        u->timed_out = true;
    } else {
        rt_lock(u, r->fmon);
        for (size_t i = 0; i < n; i++)   /* return_exceptions: the errors are returned as values */
            if (raised(fs[i])) fs[i]->retrieved = true;
        rt_unlock(u, r->fmon);
        for (size_t i = 0; i < n; i++) trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, fs[i]->worker, 0);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!s->body) break;
            int64_t saved = u->arg;
            u->arg = fs[i]->arg;
            rt_lock(u, r->fmon);
            u->timed_out = failed(fs[i]);
            rt_unlock(u, r->fmon);
            int b = exec_block(u, s->body);
            u->arg = saved;
            if (b == XR_STOP) rc = -1;
            if (b == XR_RAISE) rc = XR_RAISE;
            if (b == XR_BREAK) break;
        }
        if (!rc) u->timed_out = false;
    }
    free(fs);
    return rc;
}

static rt_fut *slot_of(rt_unit *u, const sim_stmt *s) {
    rt_fut *f = u->slots[s->fut];
    if (!f) {
        char msg[256];
        snprintf(msg, sizeof msg, "'%s' has not been made (create_task ... as %s, or submit ... as %s)",
                 u->r->prog->futs[s->fut].name, u->r->prog->futs[s->fut].name, u->r->prog->futs[s->fut].name);
        rt_error(u, s, msg);
    }
    return f;
}

int async_step(rt_unit *u, const sim_stmt *s) {
    rt_fut *f;
    int rc;
    switch (s->kind) {
    case SIM_S_CREATE_TASK: {
        int64_t v = 0;
        if (s->expr && rt_ev(u, s->expr, &v)) return -1;
        f = async_create(u, s->task, v, s->pos);
        if (!f) return -1;
        if (!RT_GROW(u->r, u->mine, u->nmine + 1, u->cap_mine)) {   /* run memory, as submit's (sim_interp.c) */
            rt_out_of_memory(u, s->pos);
            return -1;
        }
        u->mine[u->nmine++] = f;
        if (s->fut != UINT32_MAX) u->slots[s->fut] = f;
        u->timed_out = false;
        return 0;
    }
    case SIM_S_AWAIT:
        if (!(f = slot_of(u, s))) return -1;
        if (rt_fut_is_task(f)) return async_result(u, f, 0, s->pos);
        if ((rc = pool_result(u, s, 0))) {   /* run_in_executor: the task parks, the worker runs */
            if (rc == XR_RAISE) return XR_RAISE;   /* the worker's error, raised here */
            if (u->cancelled && !rt_halted(u)) {   /* a cancelled awaiter cancels the future (if it is pending) */
                u->cancelled = false;
                pool_cancel(u, s);
                u->cancelled = true;
            }
            return -1;
        }
        return 0;
    case SIM_S_AWAIT_FOR:
        if (!(f = slot_of(u, s))) return -1;
        return await_for(u, s, f);
    case SIM_S_GATHER: return gather(u, s);
    default: BUG("step %d is not a step of tasks", s->kind);
    }
}

/* ---- the report --------------------------------------------------------------------- */

/* A task the report names as never awaited (an error nobody retrieved is rt_warnings'). */
static bool never_awaited(const rt_fut *f) {
    return rt_fut_is_task(f) && f->worker != UINT32_MAX && !f->awaited && !(raised(f) && !f->retrieved);
}

uint32_t async_never_awaited(const rt *r) {
    uint32_t n = 0;
    for (size_t i = 0; i < r->nfuts; i++) n += never_awaited(r->futs[i]);
    return n;
}

void async_report(rt *r, char *out, size_t cap) {
    uint32_t shown = 0, more = 0;
    for (size_t i = 0; i < r->nfuts; i++) {
        const rt_fut *f = r->futs[i];
        if (!never_awaited(f)) continue;
        const rt_unit *c = &r->units[f->worker];
        if (shown == 8) { more++; continue; }
        if (!shown) rt_rep(out, cap, "warnings:\n");
        shown++;
        if (f->outcome == TRC_OUT_ERROR)   /* retrieved by as_completed */
            rt_rep(out, cap, "  task %s (made at line %d) was never awaited\n", c->name, f->made_at.line);
        else if (c->cancel_by == 2)
            rt_rep(out, cap, "  task %s (made at line %d) was never awaited: still running when every actor had "
                             "finished, it was cancelled (as asyncio.run does)\n", c->name, f->made_at.line);
        else
            rt_rep(out, cap, "  task %s (made at line %d) was never awaited (no await, gather, wait_for, result or "
                             "as_completed took its result)\n", c->name, f->made_at.line);
    }
    if (more) rt_rep(out, cap, "  and %u more task%s never awaited\n", more, more == 1 ? "" : "s");
}
