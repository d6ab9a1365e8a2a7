/* A unit's life: it is started by its platform before the run begins, says
 * it is ready, waits on its own monitor until it may start (at the run's
 * start, when spawned, or when its pool needs a worker), runs its actor's
 * body or its pool's worker loop, and exits. Also the steps that start and
 * join other units: spawn and join.
 */
#include "sim/sim_gil.h"

#include <stdio.h>
#include <stdlib.h>

/* A timer (threading.Timer): waits its delay on its own monitor, then runs its body
 * unless cancelled first. The wait is recorded as a sleep. */
static int timer_run(rt_unit *u) {
    rt *r = u->r;
    uint64_t ns;
    if (rt_ev_dur(u, u->actor->delay, &ns)) return XR_STOP;
    rt_set_state(u, US_SLEEP);
    trc_emit(u->ring, TRC_EV_SLEEP_BEGIN, 0, 0, ns, 0);
    uint64_t deadline = rt_now(r) + ns;
    rt_lock(u, u->mon);
    while (!atomic_load(&u->timer_fate) && rt_wait(u, u->mon, 0, deadline) == RT_AGAIN) {}
    bool cancelled = atomic_load(&u->timer_fate) == TIMER_CANCELLED;
    if (!cancelled && !rt_halted(u)) atomic_store(&u->timer_fate, TIMER_FIRED);   /* too late to cancel now */
    rt_unlock(u, u->mon);
    trc_emit(u->ring, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rt_set_state(u, US_RUNNING);
    if (rt_halted(u)) return XR_STOP;
    if (cancelled) {
        trc_emit(u->ring, TRC_EV_MARK, 0, 0, rt_intern(r, u->pu, "cancelled: the timer does not fire"), 0);
        return XR_OK;
    }
    return exec_block(u, u->actor->body);
}

/* A unit that keeps the run going: an actor instance (a created thread on threads) that is not
 * a daemon; not a pool worker, not a task made while running on coroutines (cancelled at the end). */
static bool keeps_run(const rt *r, const rt_unit *u) {
    return !u->daemon && u->pool == UINT32_MAX && !(u->created && r->coro);
}

void rt_count_start(rt *r, const rt_unit *u) {
    atomic_fetch_add(&r->nstarted, 1);
    if (keeps_run(r, u)) atomic_fetch_add(&r->live_main, 1);
}

void unit_main(void *arg) {
    rt_unit *u = arg;
    rt *r = u->r;
    rt_lock(u, r->mon);
    r->ready++;
    rt_wake(r, r->mon, RT_CH_READY, true);
    rt_unlock(u, r->mon);
    /* spawned units and pool workers wait for their start; at the run's end the ones
     * never started leave without an event */
    rt_lock(u, u->mon);
    while (!atomic_load(&u->start_req) && rt_wait(u, u->mon, 0, 0) == RT_AGAIN) {}
    rt_unlock(u, u->mon);
    if (rt_aborted(r) || !atomic_load(&u->start_req)) {
        rt_set_state(u, US_DONE);
        return;
    }
    u->nwaits = 0;
    if (r->procs || (r->coro_procs && u->pool != UINT32_MAX && u->pkind == SIM_PU_PROCESS)) {
        /* its process: its pid, and the pid of the one that made it */
        int32_t pid, tid, lpid = 0, ltid;
        r->ops->unit_ids(r->plat, u->pu, &pid, &tid);
        sim_punit *lp = u->launcher == UINT32_MAX ? r->ops->main_unit(r->plat) : r->units[u->launcher].pu;
        r->ops->unit_ids(r->plat, lp, &lpid, &ltid);
        uint16_t how = u->pkind == SIM_PU_THREAD ? TRC_START_THREAD
                     : u->start == SIM_START_SPAWN ? TRC_START_SPAWN : TRC_START_FORK;
        trc_emit_sync(u->ring, TRC_EV_PROC_START, 0, how, (uint64_t)pid, (uint32_t)lpid);
    }
    trc_emit_sync(u->ring, TRC_EV_UNIT_START, 0, 0, 0, 0);
    gil_bind(u);   /* its process's GIL, on the processes backend */
    int rc, by;
    if (u->manager != UINT32_MAX) {
        rc = manager_serve(u);
    } else if (u->pool != UINT32_MAX) {
        rc = pool_worker_loop(u);
    } else if (u->created && (by = atomic_exchange(&u->cancel_req, 0))) {
        /* cancelled before its first step: its body never runs (asyncio never starts the coroutine) */
        u->cancelled = true;
        u->cancel_by = by;
        trc_emit(u->ring, TRC_EV_CANCELLED, 0, 0, (uint64_t)by, 0);
        rc = XR_STOP;
    } else if (!u->created && u->actor->delay) {
        rc = timer_run(u);
    } else {
        rc = exec_block(u, u->body);
    }
    if (u->exited) rc = XR_OK;   /* `exit N`: a normal end, with its code */
    /* a process waits for its queues' feeders before it exits (mp.Queue) */
    if (rc != XR_STOP && r->procs && u->pkind == SIM_PU_PROCESS && proc_flush_feeders(u)) rc = XR_STOP;
    gil_release(u, TRC_GIL_EXIT);
    sched_unit_end(u);
    uint16_t why = rc == XR_RAISE                         ? TRC_EXIT_ERROR
                   : rc != XR_STOP                        ? TRC_EXIT_DONE
                   : u->cancelled && !rt_halted(u)        ? TRC_EXIT_CANCELLED
                                                          : TRC_EXIT_ABORTED;
    /* "Exception in thread": the unit dies, the run goes on; a created task's error goes
     * to its handle instead (warned about at the end only if nobody retrieved it) */
    if (rc == XR_RAISE && !u->handle) atomic_store(&u->failed, 1);
    /* a process that dies of an error exits with code 1, as Python's does */
    if (rc == XR_RAISE && r->procs && u->pkind == SIM_PU_PROCESS && !u->exit_code) u->exit_code = 1;
    for (size_t i = 0; i < u->nrd; i++)   /* its counter reads, counted while it ran */
        trc_emit(u->ring, TRC_EV_COUNTER_READS, r->objs[u->rd_obj[i]].id, 0, u->rd_n[i], 0);
    free(u->rd_obj);   /* its own heap's: freed where it was made */
    free(u->rd_n);
    u->rd_obj = NULL;
    u->rd_n = NULL;
    u->nrd = 0;
    if (atomic_load(&u->killed)) {
        trc_emit(u->ring, TRC_EV_DAEMON_KILLED, 0, 0, u->index, 0);
        why = TRC_EXIT_KILLED;
    }
    if (u->handle) async_task_end(u, rc);   /* its awaiters wake, its done-callbacks run */
    trc_emit(u->ring, TRC_EV_UNIT_EXIT, 0, why, (uint64_t)(int64_t)u->exit_code, 0);
    atomic_store(&u->t_exit, rt_stamp(r));
    rt_lock(u, r->mon);
    rt_set_state(u, US_DONE);
    if (keeps_run(r, u)) atomic_fetch_sub(&r->live_main, 1);
    r->exits++;
    rt_wake(r, r->mon, RT_CH_EXIT, true);
    rt_unlock(u, r->mon);
    atomic_store_explicit(&u->steps, atomic_load_explicit(&u->steps, memory_order_relaxed) + 1, memory_order_relaxed);
    if (u->exit_code && r->ops->unit_exit_code) r->ops->unit_exit_code(r->plat, u->pu, u->exit_code);
}

/* Lets unit `child` begin (it waits in unit_main until then). The starter records the SPAWN. */
void unit_start(rt_unit *starter, rt_unit *child) {
    trc_emit(starter->ring, TRC_EV_SPAWN, 0, 0, child->index, 0);
    rt_set_state(child, US_RUNNING);
    rt_count_start(starter->r, child);
    rt_lock(starter, child->mon);
    atomic_store(&child->start_req, 1);
    rt_wake(starter->r, child->mon, 0, true);
    rt_unlock(starter, child->mon);
}

int unit_spawn(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    const sim_actor *a = &r->prog->actors[s->actor];
    for (int64_t k = 0; k < a->count_value; k++) {
        rt_unit *c = &r->units[r->ubase + a->unit0 + k];
        if (atomic_load(&c->start_req)) {
            char msg[256];
            snprintf(msg, sizeof msg, "actor '%s' was already started: a %s can be started only once", a->name,
                     r->procs ? "process" : "thread");
            rt_error(u, s, msg);
            return -1;
        }
        unit_start(u, c);
        if (r->procs && proc_launch(r, u, c, s->pos)) return -1;
    }
    return 0;
}

int unit_timer_cancel(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    const sim_actor *a = &r->prog->actors[s->actor];
    rt_unit *t = &r->units[r->ubase + a->unit0];
    /* Timer.cancel(): stops it if it has not fired yet (waiting, or not even started) */
    rt_lock(u, t->mon);
    bool waiting = atomic_load(&t->timer_fate) != TIMER_FIRED;
    if (waiting) atomic_store(&t->timer_fate, TIMER_CANCELLED);
    rt_wake(r, t->mon, 0, true);
    rt_unlock(u, t->mon);
    char text[160];
    snprintf(text, sizeof text, waiting ? "cancel timer '%s': it will not fire" : "cancel timer '%s': too late, it fired",
             a->name);
    trc_emit(u->ring, TRC_EV_MARK, 0, 0, rt_intern(r, u->pu, text), 0);
    u->timed_out = !waiting;
    return 0;
}

/* join ACTOR [timeout=D]: waits for every instance to exit. A timeout leaves them running. */
int unit_join(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt *r = u->r;
    const sim_actor *a = &r->prog->actors[s->actor];
    u->timed_out = false;
    for (int64_t k = 0; k < a->count_value; k++) {
        rt_unit *c = &r->units[r->ubase + a->unit0 + k];
        if (!c->autostart && !atomic_load(&c->start_req)) {
            char msg[256];
            snprintf(msg, sizeof msg, "join of %s, which was never started (spawn %s first)", c->name, a->name);
            rt_error(u, s, msg);
            return -1;
        }
        rt_lock(u, r->mon);
        if (atomic_load(&c->state) != US_DONE) {
            rt_begin_wait(u, UINT32_MAX, TRC_OP_JOIN, deadline, c->index);
            int out;
            RT_WAIT_UNTIL(u, r->mon, RT_CH_EXIT, atomic_load(&c->state) == US_DONE, deadline, out);
            rt_unlock(u, r->mon);
            if (out == TRC_OUT_OK && rt_halted(u)) out = TRC_OUT_ABORTED;   /* it ended because the run did */
            rt_end_wait(u, UINT32_MAX, out, 0);
            if (out == TRC_OUT_ABORTED || u->cancelled) return -1;
            if (out == TRC_OUT_TIMEOUT) return 0;   /* timed_out: the rest are not joined either */
        } else {
            rt_unlock(u, r->mon);
        }
        trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, c->index, 0);
    }
    return 0;
}
