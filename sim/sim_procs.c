/* Processes: what a run on a platform of processes adds to a unit's life
 * (the platform makes and reaps the processes; sim_platform.h).
 *
 *   - proc_launch: a unit's process is made when the unit begins, from the
 *     process of the unit that starts it (main for the units that start with
 *     the run): it has that process's pipe ends, as a fork has;
 *   - proc_ended (main's process, on the platform's reaper thread): a unit's
 *     process has ended. Its PROC_EXIT (exit code or killing signal) goes
 *     into its own ring, which nobody else writes any more; when its entry
 *     never returned (killed, crashed) it counts as exited from then on:
 *     joiners and the watchdog wake, and whatever it held stays held;
 *   - the steps of processes: exit N (os._exit: nothing it holds is given
 *     back), crash (death by SIGSEGV mid-step), terminate and kill (SIGTERM,
 *     SIGKILL to every live instance of an actor);
 *   - pickling, and the flush of a process's queue feeders before it exits.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

/* The process a unit's descriptors belong to: a unit index, or r->nunits for main. */
static uint32_t proc_of(const rt *r, const rt_unit *u) {
    if (!u) return r->nunits;
    if (u->pkind == SIM_PU_PROCESS) return u->index;
    return u->host == UINT32_MAX ? r->nunits : u->host;
}

int proc_launch(rt *r, rt_unit *by, rt_unit *child, sim_pos pos) {
    uint32_t from = proc_of(r, by);
    child->launcher = by ? by->index : UINT32_MAX;
    if (child->pkind == SIM_PU_THREAD) child->host = from == r->nunits ? UINT32_MAX : from;
    else pipes_inherit(r, child->index, from);
    sim_punit *bpu = by ? by->pu : r->ops->main_unit(r->plat);
    diag d;
    diag_clear(&d);
    int rc = r->ops->unit_launch(r->plat, bpu, child->pu, &d);
    if (!rc) return 0;
    if (child->pkind == SIM_PU_PROCESS) pipes_process_gone(r, child->index, bpu);
    char msg[700];
    snprintf(msg, sizeof msg, "%s", d.msg);
    if (by) rt_error_at(by, pos, msg);
    else rt_error_main(r, msg);
    return -1;
}

void proc_ended(void *ctx, sim_punit *pu) {
    rt *r = atomic_load_explicit((rt *_Atomic *)ctx, memory_order_acquire);
    if (!r) return;
    rt_unit *u = NULL;
    for (uint32_t i = 0; i < r->nunits && !u; i++)
        if (r->units[i].pu == pu) u = &r->units[i];
    if (!u || atomic_exchange(&u->ended, 1)) return;
    sim_punit *self = r->ops->main_unit(r->plat);
    int code = 0, sig = 0;
    uint64_t when = 0;
    r->ops->unit_status(r->plat, pu, &code, &sig, &when);
    /* its process is gone: main is the only writer of its ring now */
    bool done = atomic_load(&u->state) == US_DONE;
    if (!done && atomic_load(&u->killed)) trc_emit(u->ring, TRC_EV_DAEMON_KILLED, 0, 0, u->index, 0);
    trc_emit(u->ring, TRC_EV_PROC_EXIT, 0, sig ? TRC_PROC_SIGNALED : TRC_PROC_EXITED, (uint64_t)(sig ? sig : code), 0);
    if (u->pkind == SIM_PU_PROCESS) pipes_process_gone(r, u->index, self);
    if (done) return;
    /* its entry never returned: killed or crashed. It has exited now, holding what it held */
    atomic_store(&u->died, 1);
    atomic_store(&u->t_exit, when);
    r->ops->mon_lock(r->plat, self, r->mon);
    rt_set_state(u, US_DONE);
    r->exits++;
    r->ops->mon_wake(r->plat, r->mon, RT_CH_EXIT, true);
    r->ops->mon_unlock(r->plat, self, r->mon);
}

/* terminate A, kill A: the signal to every live instance of A (never started, or ended: nothing). */
static int signal_actor(rt_unit *u, const sim_stmt *s, int sig) {
    rt *r = u->r;
    const sim_actor *a = &r->prog->actors[s->actor];
    for (int64_t k = 0; k < a->count_value; k++) {
        rt_unit *c = &r->units[a->unit0 + (uint32_t)k];
        int st = atomic_load(&c->state);
        if (st == US_NEW || st == US_DONE) continue;
        trc_emit(u->ring, TRC_EV_SIGNAL, 0, (uint16_t)sig, c->index, 0);
        r->ops->unit_signal(r->plat, c->pu, sig);
    }
    return rt_halted(u) ? -1 : 0;
}

int proc_step(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt *r = u->r;
    uint64_t deadline = 0;
    switch (s->kind) {
    case SIM_S_SEND: case SIM_S_RECV: case SIM_S_POLL:
        if (rt_timeout_of(u, s, &deadline)) return -1;
        return s->kind == SIM_S_SEND ? obj_send(u, s, oi, deadline) : s->kind == SIM_S_RECV ? obj_recv(u, s, oi, deadline)
                                                                                       : obj_poll(u, s, oi, deadline);
    case SIM_S_CLOSE: return obj_close(u, s, oi);
    case SIM_S_SHM_WRITE: return obj_shm_write(u, s, oi);
    case SIM_S_SHM_READ: return obj_shm_read(u, s, oi);
    case SIM_S_UNLINK: return obj_shm_unlink(u, s, oi);
    case SIM_S_ASSIGN: return obj_assign(u, s, oi);
    case SIM_S_EXIT: {
        int64_t code = 0;
        if (s->expr && rt_ev(u, s->expr, &code)) return -1;
        if (code < 0 || code > 255) {
            rt_error(u, s, "an exit code must be 0..255");
            return -1;
        }
        u->exit_code = (int)code;
        u->exited = true;
        return -1;   /* the unit's body ends here; unit_main records a normal exit with the code */
    }
    case SIM_S_CRASH:
        r->ops->unit_crash(r->plat, u->pu, SIM_SIG_SEGV);
        return -1;   /* not reached */
    case SIM_S_TERMINATE: return signal_actor(u, s, SIM_SIG_TERM);
    case SIM_S_KILL: return signal_actor(u, s, SIM_SIG_KILL);
    default: BUG("step %d is not a process step", s->kind);
    }
}

void proc_pickle(rt_unit *u, uint32_t oi, int kind, uint64_t ns, int64_t bytes) {
    rt *r = u->r;
    rt_set_state(u, US_COMPUTE);
    trc_emit(u->ring, TRC_EV_COMPUTE_BEGIN, rt_obj_id(r, oi), (uint16_t)kind, ns, (uint32_t)bytes);
    uint64_t burnt = 0;
    if (ns) {
        atomic_store(&u->wait_mon, u->mon);
        u->nwaits++;
        burnt = r->ops->compute(r->plat, u->pu, u->mon, ns, &u->halt);
    }
    trc_emit(u->ring, TRC_EV_COMPUTE_END, rt_obj_id(r, oi), (uint16_t)kind, burnt, 0);
    rt_set_state(u, US_RUNNING);
}

int proc_flush_feeders(rt_unit *u) {
    rt *r = u->r;
    for (uint32_t oi = 0; oi < r->prog->nobjects; oi++) {
        rt_obj *o = &r->objs[oi];
        if (o->decl->kind != SIM_OBJ_QUEUE || !o->queue.owner) continue;
        int64_t n;
        rt_lock(u, o->mon);
        if (obj_queue_unfed(o, u->index, &n)) {
            int out = TRC_OUT_OK;
            o->queue.flushers++;
            rt_begin_wait(u, oi, TRC_OP_FLUSH, 0, (uint64_t)n);
            RT_WAIT_UNTIL(u, o->mon, Q_CH_FED, !obj_queue_unfed(o, u->index, &n), 0, out);
            o->queue.flushers--;
            rt_end_wait(u, oi, out, 0);
            if (out != TRC_OUT_OK) {
                rt_unlock(u, o->mon);
                return -1;
            }
        }
        rt_unlock(u, o->mon);
    }
    return 0;
}
