/* The interpreter: runs a block of steps for one unit, with the run-time
 * values of expressions, control flow (repeat, loop, if, break), the steps
 * that need no object (compute, sleep, mark, let) and the dispatch of every
 * other step to its object's code.
 *
 * Every step is a point where the run can end: a halted unit stops before
 * its next step and at every iteration of a repeat or a loop, even one whose
 * body has no step at all. A loop iteration that did not wait spins: a
 * cooperative platform then lets the other units (and its watchdog) run, so
 * a spinning unit cannot hold the run past its timeout; threads are
 * preempted anyway (and an empty loop yields, as it always did).
 */
#include "sim/sim_gil.h"

#include <stdio.h>

/* A counter or a var read in an expression: counted per unit (private, in its own process's heap),
 * recorded at its exit as COUNTER_READS, so the stats count reads without an event per read. The
 * value as the unit reads it: a managed one is a request to its manager, a var this process's copy. */
static int64_t counter_value(void *user, uint32_t obj) {
    rt_unit *u = user;
    size_t i = u->nrd;
    while (i > 0 && u->rd_obj[i - 1] != obj) i--;
    if (i) {
        u->rd_n[i - 1]++;
    } else {
        ARR_GROW(u->rd_obj, u->nrd + 1, u->cap_rd);
        ARR_GROW(u->rd_n, u->nrd + 1, u->cap_rdn);
        u->rd_obj[u->nrd] = obj;
        u->rd_n[u->nrd++] = 1;
    }
    return obj_value(u, obj);
}

static int64_t queue_size(void *user, uint32_t obj) {
    rt_unit *u = user;
    return atomic_load_explicit(&u->r->objs[obj].queue.size, memory_order_relaxed);
}

/* Thread.is_alive() of any instance: started (with the run, spawned) and not yet exited. */
static bool actor_alive(void *user, uint32_t actor) {
    rt *r = ((rt_unit *)user)->r;
    const sim_actor *a = &r->prog->actors[actor];
    for (int64_t k = 0; k < a->count_value; k++) {
        int st = atomic_load_explicit(&r->units[r->ubase + a->unit0 + (uint32_t)k].state, memory_order_acquire);
        if (st != US_DONE && st != US_NEW) return true;
    }
    return false;
}

/* Evaluates an expression for unit u; a runtime error (division by zero...) ends the run. */
int rt_ev(rt_unit *u, const sim_expr *e, int64_t *out) {
    if (e->is_const) {   /* every step's expression was folded by the parser (check_stmts) */
        *out = e->value;
        return 0;
    }
    sim_eval_ctx ctx = { .rng = &u->rng, .counter = counter_value, .user = u, .last_timed_out = u->timed_out,
                         .index = u->index_in_actor, .arg = u->arg, .locals = u->locals,
                         .tls = u->tls != u->locals ? u->tls : NULL, .qsize = queue_size, .alive = actor_alive };
    diag d;
    int rc = sim_eval(e, u->r->prog, &ctx, out, &d);
    if (rc) rt_error_at(u, (sim_pos){ d.line, d.col }, d.msg);
    return rc;
}

int rt_element(rt_unit *u, uint32_t base, const sim_expr *index, uint32_t *out) {
    *out = base;
    if (!index) return 0;
    int64_t v;
    if (rt_ev(u, index, &v)) return -1;
    diag d;
    if (sim_element(u->r->prog, base, v, index->start, out, &d)) {
        rt_error_at(u, index->start, d.msg);
        return -1;
    }
    return 0;
}

/* A duration or count from the program, checked like the parser checks constants. */
int rt_ev_dur(rt_unit *u, const sim_expr *e, uint64_t *out) {
    int64_t v;
    if (rt_ev(u, e, &v)) return -1;
    if (v < 0 || (uint64_t)v > SIM_MAX_DURATION) {
        char msg[128];
        snprintf(msg, sizeof msg, v < 0 ? "duration is negative (%lld ns)" : "duration %lld ns is longer than 1 hour",
                 (long long)v);
        rt_error_at(u, e->pos, msg);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* A wait's deadline (run clock ns) from a step's timeout, or 0 for none. */
int rt_timeout_of(rt_unit *u, const sim_stmt *s, uint64_t *deadline) {
    *deadline = 0;
    if (!s->timeout) return 0;
    uint64_t ns;
    if (rt_ev_dur(u, s->timeout, &ns)) return -1;
    *deadline = rt_now(u->r) + ns;
    return 0;
}

/* ---- steps with no object ---------------------------------------------------- */

/* compute D: CPU work (with the GIL when the run has one); compute native D:
 * C code that lets the GIL go while it runs. */
static void do_compute(rt_unit *u, uint64_t ns, bool native) {
    rt *r = u->r;
    rt_set_state(u, US_COMPUTE);
    trc_emit(u->ring, TRC_EV_COMPUTE_BEGIN, 0, native, ns, 0);
    atomic_store(&u->wait_mon, u->mon);   /* a halt wakes a compute the platform models as a wait */
    u->nwaits++;
    if (native) gil_release(u, TRC_GIL_NATIVE);
    uint64_t burnt = u->gil && !native ? gil_compute(u, ns) : r->ops->compute(r->plat, u->pu, u->mon, ns, &u->halt);
    trc_emit(u->ring, TRC_EV_COMPUTE_END, 0, 0, burnt, 0);
    rt_set_state(u, US_RUNNING);
}

/* A sleep is a wait on the unit's own monitor until its deadline: a halt ends it at once (and a
 * cancel, on a task). `sleep 0` gives the processor away (a task lets the other ready tasks of
 * its loop run, as a sleep of 0 does in asyncio). A blocking sleep, aux 1, stops the unit's whole
 * processor on a platform that has one (coroutines: the loop, as time.sleep in a coroutine
 * does); elsewhere it is a sleep. */
static int do_sleep(rt_unit *u, uint64_t ns, bool blocking) {
    rt *r = u->r;
    rt_set_state(u, US_SLEEP);
    trc_emit(u->ring, TRC_EV_SLEEP_BEGIN, 0, blocking ? 1 : 0, ns, 0);
    if (blocking && r->ops->stall) {
        atomic_store(&u->wait_mon, u->mon);   /* a halt wakes the stall */
        u->nwaits++;
        gil_release(u, TRC_GIL_BLOCKING);     /* time.sleep lets the GIL go (a task's: its loop's) */
        r->ops->stall(r->plat, u->pu, u->mon, ns, &u->halt);
    } else {
        uint64_t deadline = rt_now(r) + ns;
        rt_lock(u, u->mon);
        while (rt_wait(u, u->mon, 0, deadline) == RT_AGAIN) {}
        rt_unlock(u, u->mon);
        if (!ns && !rt_stopping(u)) r->ops->yield(r->plat, u->pu);
    }
    trc_emit(u->ring, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rt_set_state(u, US_RUNNING);
    return rt_stopping(u) ? -1 : 0;
}

static void do_mark(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    trc_emit(u->ring, TRC_EV_MARK, 0, 0, s->text_id, 0);
    if (!atomic_load_explicit(&r->mark_t[s->text_id], memory_order_relaxed)) {   /* the first one only */
        uint64_t zero = 0;
        atomic_compare_exchange_strong(&r->mark_t[s->text_id], &zero, rt_stamp(r));
    }
}

/* A local's value: a context variable is the unit's (a task's) own, a thread-local its thread's
 * (on coroutines, its loop's: every task of the loop shares it). */
static void set_local(rt_unit *u, uint32_t li, int64_t v) {
    const uint8_t *is_ctx = u->r->prog->local_ctx;
    if (is_ctx && is_ctx[li]) u->locals[li] = v;
    else u->tls[li] = v;
}

static void do_let(rt_unit *u, const sim_stmt *s, int64_t v) {
    set_local(u, s->local, v);
    char text[192];
    snprintf(text, sizeof text, "%s=%lld", u->r->prog->locals[s->local].name, (long long)v);
    trc_emit(u->ring, TRC_EV_LOCAL_SET, 0, 0, rt_intern(u->r, u->pu, text), 0);
}

/* ---- control flow ---------------------------------------------------------------- */

static int exec_repeat(rt_unit *u, const sim_stmt *s) {
    int64_t v;
    if (rt_ev(u, s->expr, &v)) return XR_STOP;
    if (v < 0 || v > SIM_MAX_REPEAT) {
        rt_error(u, s, v < 0 ? "repeat count is negative" : "repeat count is larger than weft's limit");
        return XR_STOP;
    }
    for (int64_t i = 0; i < v; i++) {
        if (rt_halted(u)) return XR_STOP;
        int b = exec_block(u, s->body);
        if (b == XR_BREAK) break;
        if (b != XR_OK) return b;
    }
    return XR_OK;
}

static int exec_loop(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    for (;;) {
        if (rt_halted(u)) return XR_STOP;
        uint64_t waits = u->nwaits;
        int b = exec_block(u, s->body);
        if (b == XR_BREAK) break;
        if (b != XR_OK) return b;
        if (u->nwaits == waits) {
            if (!s->body) r->ops->yield(r->plat, u->pu);   /* an empty loop gives the processor away */
            r->ops->spin(r->plat, u->pu);
        }
    }
    return XR_OK;
}

/* The condition steps: wait (event, barrier, condition) and wait_for. */
static int exec_wait(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt *r = u->r;
    const rt_obj *o = &r->objs[oi];
    uint64_t deadline = 0;
    int64_t v;
    int rc;
    if (s->kind == SIM_S_WAIT && o->decl->kind != SIM_OBJ_CONDITION) {
        if (rt_timeout_of(u, s, &deadline)) return -1;
        return o->decl->kind == SIM_OBJ_EVENT ? obj_event_wait(u, oi, deadline) : obj_barrier(u, oi, deadline, s->pos);
    }
    if (!obj_holds(u, o->decl->lock)) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s on condition '%s' without holding its lock '%s'",
                 s->kind == SIM_S_WAIT ? "wait" : "wait_for", o->decl->name, r->objs[o->decl->lock].decl->name);
        rt_error(u, s, msg);
        return -1;
    }
    if (rt_timeout_of(u, s, &deadline)) return -1;
    if (s->kind == SIM_S_WAIT) {
        rc = obj_cond_wait(u, oi, deadline);
        return rc == 1 ? 0 : rc;
    }
    /* while not predicate: wait (re-checked after every wake-up, as Python's wait_for does) */
    for (;;) {
        if (rt_ev(u, s->cond, &v)) return -1;
        if (v) { u->timed_out = false; return 0; }
        rc = obj_cond_wait(u, oi, deadline);
        if (rc < 0) return rc;
        if (rc == 1) {
            if (rt_ev(u, s->cond, &v)) return -1;
            u->timed_out = !v;
            return 0;
        }
    }
}

/* The rwlock and queue steps: XR_OK, XR_BREAK (a block's body broke out) or XR_STOP. */
static int exec_rwq_step(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    uint64_t deadline = 0;
    int rc = 0;
    switch (s->kind) {
    case SIM_S_READ_LOCK: case SIM_S_WRITE_LOCK:
        if (rt_timeout_of(u, s, &deadline)) return XR_STOP;
        rc = s->kind == SIM_S_READ_LOCK ? obj_read_lock(u, oi, deadline) : obj_write_lock(u, oi, deadline);
        if (rc == 1) rc = 0;          /* timed out: `timed_out` says so */
        break;
    case SIM_S_READ_UNLOCK: rc = obj_read_unlock(u, oi, s); break;
    case SIM_S_WRITE_UNLOCK: rc = obj_write_unlock(u, oi, s); break;
    case SIM_S_READ_BLOCK: case SIM_S_WRITE_BLOCK: {
        bool is_read = s->kind == SIM_S_READ_BLOCK;
        if (is_read ? obj_read_lock(u, oi, 0) : obj_write_lock(u, oi, 0)) return XR_STOP;
        int b = exec_block(u, s->body);
        if (b == XR_STOP) {   /* a cancellation unwinding through the block gives the lock back */
            if (u->cancelled && !rt_halted(u)) is_read ? obj_read_unlock(u, oi, s) : obj_write_unlock(u, oi, s);
            return XR_STOP;
        }
        rc = is_read ? obj_read_unlock(u, oi, s) : obj_write_unlock(u, oi, s);   /* also on a break or an error */
        if (!rc && b != XR_OK) return b;
        break;
    }
    case SIM_S_TASK_DONE: rc = obj_task_done(u, oi, s); break;
    case SIM_S_QUEUE_JOIN:
        if (rt_timeout_of(u, s, &deadline)) return XR_STOP;
        rc = obj_queue_join(u, oi, deadline);
        break;
    default: BUG("step %d is not an rwlock or queue step", s->kind);
    }
    return rc ? XR_STOP : XR_OK;
}

/* The pool and future steps. */
static int exec_pool_step(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    uint64_t deadline = 0;
    int64_t v;
    switch (s->kind) {
    case SIM_S_SUBMIT: {
        v = 0;
        if (s->expr && rt_ev(u, s->expr, &v)) return -1;
        rt_fut *f = pool_submit(u, oi, s->task, v, s->pos);
        if (!f && rt_halted(u)) return -1;
        if (f && !RT_GROW(u->r, u->mine, u->nmine + 1, u->cap_mine)) {   /* run memory: this unit's */
            rt_out_of_memory(u, s->pos);
            return -1;
        }
        if (f) u->mine[u->nmine++] = f;
        if (s->fut != UINT32_MAX) u->slots[s->fut] = f;
        return 0;
    }
    case SIM_S_RESULT:
        if (rt_timeout_of(u, s, &deadline)) return -1;
        return pool_result(u, s, deadline);
    case SIM_S_CANCEL: return pool_cancel(u, s);
    case SIM_S_ON_DONE: return pool_on_done(u, s);
    case SIM_S_MAP:
        if (rt_timeout_of(u, s, &deadline)) return -1;
        return pool_map(u, s, oi, deadline);
    case SIM_S_AS_COMPLETED:
        if (rt_timeout_of(u, s, &deadline)) return -1;
        return pool_as_completed(u, s, deadline);
    case SIM_S_SHUTDOWN: return pool_shutdown(u, s, oi);
    default: BUG("step %d is not a pool step", s->kind);
    }
}

int exec_block(rt_unit *u, const sim_stmt *s) {
    for (; s; s = s->next) {
        if (rt_halted(u) || gil_check(u)) return XR_STOP;
        int rc = 0, b;
        uint64_t deadline = 0, ns;
        int64_t v;
        /* the step's object: an array's element is chosen here, for every kind of step */
        uint32_t oi = s->obj;
        if (s->obj_index && rt_element(u, s->obj, s->obj_index, &oi)) return XR_STOP;
        switch (s->kind) {
        case SIM_S_COMPUTE:
            if (rt_ev_dur(u, s->expr, &ns)) return XR_STOP;
            do_compute(u, ns, s->native);
            break;
        case SIM_S_SLEEP:
            if (rt_ev_dur(u, s->expr, &ns)) return XR_STOP;
            rc = do_sleep(u, ns, s->blocking);
            break;
        case SIM_S_LOCK:
            if (obj_rlock_too_deep(u, oi, s) || rt_timeout_of(u, s, &deadline)) return XR_STOP;
            rc = obj_lock(u, oi, deadline);
            if (rc == 1) rc = 0;          /* timed out: `timed_out` says so */
            break;
        case SIM_S_UNLOCK: rc = obj_unlock(u, oi, s); break;
        case SIM_S_LOCK_BLOCK:
            if (obj_rlock_too_deep(u, oi, s)) return XR_STOP;
            rc = obj_lock(u, oi, 0);
            if (!rc) {
                b = exec_block(u, s->body);
                if (b == XR_STOP) {   /* a cancellation unwinding through the block gives the lock back */
                    if (u->cancelled && !rt_halted(u)) obj_unlock(u, oi, s);
                    return XR_STOP;
                }
                rc = obj_unlock(u, oi, s);   /* as `with`: also on a break or an error */
                if (!rc && b != XR_OK) return b;
            }
            break;
        case SIM_S_PUT:
            if (rt_timeout_of(u, s, &deadline)) return XR_STOP;
            v = 0;
            if (s->priority && rt_ev(u, s->priority, &v)) return XR_STOP;
            int64_t val = 0;
            if (s->value && rt_ev(u, s->value, &val)) return XR_STOP;
            rc = obj_put(u, oi, deadline, v, s->nowait, s->value != NULL, val);
            if (rc == 1) rc = 0;
            break;
        case SIM_S_GET:
            if (rt_timeout_of(u, s, &deadline)) return XR_STOP;
            rc = obj_get(u, oi, deadline, s->nowait, &v);
            if (rc == 0 && s->local != UINT32_MAX) set_local(u, s->local, v);   /* get Q as X */
            if (rc == 1) rc = 0;
            break;
        case SIM_S_REPEAT:
            if ((b = exec_repeat(u, s)) != XR_OK) return b;
            break;
        case SIM_S_LOOP:
            if ((b = exec_loop(u, s)) != XR_OK) return b;
            break;
        case SIM_S_TRY:
            if ((b = exec_try(u, s)) != XR_OK) return b;
            break;
        case SIM_S_RAISE: return exec_raise(u, s);
        case SIM_S_EXCEPT: BUG("an except clause run as a step");
        case SIM_S_YIELD:
            trc_emit(u->ring, TRC_EV_YIELD, 0, 0, 0, 0);
            gil_release(u, TRC_GIL_YIELD);   /* Python's sleep of 0: a waiter may take it; the next step takes it back */
            u->r->ops->yield(u->r->plat, u->pu);
            break;
        case SIM_S_ABORT: case SIM_S_RESET: obj_barrier_break(u, oi, s->kind == SIM_S_RESET); break;
        case SIM_S_TIMER_CANCEL: rc = unit_timer_cancel(u, s); break;
        case SIM_S_BREAK: return XR_BREAK;
        case SIM_S_IF:
            if (rt_ev(u, s->cond, &v)) return XR_STOP;
            b = exec_block(u, v ? s->body : s->orelse);
            if (b != XR_OK) return b;
            break;
        case SIM_S_WAIT: case SIM_S_WAIT_FOR: rc = exec_wait(u, s, oi); break;
        case SIM_S_NOTIFY:
            v = 1;
            if (s->expr && rt_ev(u, s->expr, &v)) return XR_STOP;
            rc = obj_notify(u, oi, v, s);
            break;
        case SIM_S_NOTIFY_ALL: rc = obj_notify(u, oi, -1, s); break;
        case SIM_S_SET: obj_event_set(u, oi, true); break;
        case SIM_S_CLEAR: obj_event_set(u, oi, false); break;
        case SIM_S_INCR: {
            uint32_t li = s->lock;
            if (s->lock_index && rt_element(u, s->lock, s->lock_index, &li)) return XR_STOP;
            rc = obj_incr(u, s, oi, li);
            break;
        }
        case SIM_S_MARK: do_mark(u, s); break;
        case SIM_S_SPAWN: rc = unit_spawn(u, s); break;
        case SIM_S_JOIN:
            if (rt_timeout_of(u, s, &deadline)) return XR_STOP;
            rc = unit_join(u, s, deadline);
            break;
        case SIM_S_LET:
            if (rt_ev(u, s->expr, &v)) return XR_STOP;
            do_let(u, s, v);
            break;
        case SIM_S_SUBMIT: case SIM_S_RESULT: case SIM_S_CANCEL: case SIM_S_ON_DONE: case SIM_S_MAP:
        case SIM_S_AS_COMPLETED: case SIM_S_SHUTDOWN:
            rc = exec_pool_step(u, s, oi);
            break;
        case SIM_S_READ_LOCK: case SIM_S_READ_UNLOCK: case SIM_S_WRITE_LOCK: case SIM_S_WRITE_UNLOCK:
        case SIM_S_READ_BLOCK: case SIM_S_WRITE_BLOCK: case SIM_S_TASK_DONE: case SIM_S_QUEUE_JOIN:
            b = exec_rwq_step(u, s, oi);
            if (b != XR_OK) return b;
            break;
        case SIM_S_CREATE_TASK: case SIM_S_AWAIT: case SIM_S_GATHER: case SIM_S_AWAIT_FOR:
            rc = async_step(u, s);   /* sim_async.c */
            break;
        case SIM_S_SEND: case SIM_S_RECV: case SIM_S_POLL: case SIM_S_CLOSE: case SIM_S_SHM_WRITE: case SIM_S_SHM_READ:
        case SIM_S_UNLINK: case SIM_S_ASSIGN: case SIM_S_EXIT: case SIM_S_CRASH: case SIM_S_TERMINATE: case SIM_S_KILL:
            rc = proc_step(u, s, oi);   /* sim_procs.c */
            break;
        }
        if (rc == XR_RAISE) return XR_RAISE;
        if (rc) return XR_STOP;
        atomic_store_explicit(&u->steps, atomic_load_explicit(&u->steps, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    return XR_OK;
}
