/* The event loops of a coroutines run, as the runtime sees them: which task
 * runs on which loop, the loops' own units in the recording, what their
 * hooks record, and the thread-locals a loop's tasks share.
 *
 * Units: the loops come first (indexes 0 .. nloops-1, so that every task's
 * parent in the recording is an earlier unit), then the actor instances and
 * pool workers (r->ubase past the parser's unit0), then the tasks made while
 * running. Loop 0 runs every actor without own_loop; each instance of an
 * own_loop actor is the first task of a loop of its own (a thread running
 * asyncio.run). Pool workers are threads (executors).
 *
 * A loop's lane in the recording (its hooks, on its own thread):
 *   LOOP_TICK          one iteration: tasks ready, deadlines fired, lag
 *   WAIT_BEGIN/END     op SELECT: nothing to run, waiting for a deadline, a wake or a descriptor
 *   COMPUTE_BEGIN/END  a task computes on the loop's thread: nothing else runs (extra: the task + 1)
 *   SLEEP_BEGIN/END    a task sleeps blocking (time.sleep): the same
 * and each task a READY when it becomes ready (late: how late its deadline
 * fired), so the time a task waits for its blocked loop shows.
 *
 * With the GIL on (sim_gil.h), the loop's unit holds it for its tasks: its
 * GIL events (request, acquire, drop) are on its lane, and it lets the GIL
 * go when it idles.
 *
 * Thread-locals (`local`) are per thread: every task of a loop shares its
 * loop's (the clobbering lesson of scenario 18); `context` variables are
 * per task.
 */
#include "sim/sim_internal.h"
#include "sim/sim_gil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_loop {
    atomic_flag busy;        /* the loop's hooks, and main's last words */
    bool begun, idle, closed;
    int blocked;             /* 0, or the event that began it: COMPUTE_BEGIN / SLEEP_BEGIN */
    uint32_t unit;
};

static void l_lock(struct rt_loop *l) {
    while (atomic_flag_test_and_set_explicit(&l->busy, memory_order_acquire)) {}
}
static void l_unlock(struct rt_loop *l) { atomic_flag_clear_explicit(&l->busy, memory_order_release); }

/* The loop's ring, opened with its UNIT_START at its first word after the run began (l locked). */
static trc_ring *l_ring(rt *r, struct rt_loop *l) {
    if (l->closed) return NULL;
    trc_ring *ring = r->units[l->unit].ring;
    if (!l->begun) {
        l->begun = true;
        trc_emit(ring, TRC_EV_UNIT_START, 0, 0, 0, 0);
    }
    return ring;
}

static void hk_ready(void *ctx, uint32_t loop, void *unit, uint64_t late) {
    rt *r = *(rt *const *)ctx;
    rt_unit *u = unit;
    if (!r || !atomic_load_explicit(&r->recording, memory_order_acquire) || !u->ring) return;
    /* a unit never started (spawned by no step, a pool worker never needed) is woken at the run's
     * end only to leave without an event: it was not ready to run anything (it showed as ready
     * until the end and counted as a unit that began) */
    if (!atomic_load(&u->start_req)) return;
    trc_emit(u->ring, TRC_EV_READY, 0, 0, late, r->loop_unit0 + loop);
}

static void hk_tick(void *ctx, uint32_t loop, uint32_t nready, uint32_t ntimers, uint64_t lag) {
    rt *r = *(rt *const *)ctx;
    if (!r || !atomic_load_explicit(&r->recording, memory_order_acquire)) return;
    struct rt_loop *l = &r->loops[loop];
    l_lock(l);
    trc_ring *ring = l_ring(r, l);
    if (ring) trc_emit(ring, TRC_EV_LOOP_TICK, 0, (uint16_t)(ntimers > 65535 ? 65535 : ntimers), lag, nready);
    l_unlock(l);
}

void async_loop_emit(rt *r, uint32_t loop, bool sync, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
                     uint32_t extra) {
    if (!atomic_load_explicit(&r->recording, memory_order_acquire)) return;
    struct rt_loop *l = &r->loops[loop];
    l_lock(l);
    trc_ring *ring = l_ring(r, l);
    if (ring && sync) trc_emit_sync(ring, kind, obj, aux, arg, extra);
    else if (ring) trc_emit(ring, kind, obj, aux, arg, extra);
    l_unlock(l);
}

static void hk_idle(void *ctx, uint32_t loop, bool begin) {
    rt *r = *(rt *const *)ctx;
    if (!r || !atomic_load_explicit(&r->recording, memory_order_acquire)) return;
    rt_unit *lu = &r->units[r->loop_unit0 + loop];
    if (begin && lu->gil_held) gil_release(lu, TRC_GIL_BLOCKING);   /* a thread in select() lets the GIL go */
    struct rt_loop *l = &r->loops[loop];
    l_lock(l);
    trc_ring *ring = l_ring(r, l);
    if (ring && begin && !l->idle) {
        trc_emit(ring, TRC_EV_WAIT_BEGIN, 0, TRC_OP_SELECT, 0, 0);
        l->idle = true;
    } else if (ring && !begin && l->idle) {
        trc_emit(ring, TRC_EV_WAIT_END, 0, TRC_OUT_OK, 0, 0);
        l->idle = false;
    }
    l_unlock(l);
}

static void hk_blocked(void *ctx, uint32_t loop, void *unit, bool begin) {
    rt *r = *(rt *const *)ctx;
    rt_unit *u = unit;
    if (!r || !atomic_load_explicit(&r->recording, memory_order_acquire)) return;
    struct rt_loop *l = &r->loops[loop];
    l_lock(l);
    trc_ring *ring = l_ring(r, l);
    if (ring && begin && !l->blocked) {
        l->blocked = atomic_load(&u->state) == US_COMPUTE ? TRC_EV_COMPUTE_BEGIN : TRC_EV_SLEEP_BEGIN;
        trc_emit(ring, (uint16_t)l->blocked, 0, 0, 0, u->index + 1);
    } else if (ring && !begin && l->blocked) {
        trc_emit(ring, l->blocked == TRC_EV_COMPUTE_BEGIN ? TRC_EV_COMPUTE_END : TRC_EV_SLEEP_END, 0, 0, 0, u->index + 1);
        l->blocked = 0;
    }
    l_unlock(l);
}

/* ctx is the address of the run's pointer (the platform is made before the run). */
void async_hooks(rt **r, sim_plat_hooks *out) {
    *out = (sim_plat_hooks){ .ctx = r, .ready = hk_ready, .tick = hk_tick, .idle = hk_idle, .blocked = hk_blocked };
}

/* ---- setup ------------------------------------------------------------------------ */

/* How many loops a program needs on coroutines: one for the actors without own_loop (if
 * any), one per instance of an own_loop actor. */
static uint32_t count_loops(const sim_program *p) {
    uint32_t n = 0;
    bool shared = false;
    for (uint32_t a = 0; a < p->nactors; a++) {
        if (p->actors[a].own_loop) n += (uint32_t)p->actors[a].count_value;
        else shared |= p->actors[a].count_value > 0;
    }
    return n + (shared || !n ? 1 : 0);
}

uint32_t async_nloops(const sim_program *p) { return count_loops(p); }

/* The same numbering as async_loops_setup: loop 0 the shared one (when it exists), then one per
 * instance of an own_loop actor, in order. */
const sim_actor *async_loop_processes(const sim_program *p, bool *out) {
    uint32_t n = count_loops(p);
    memset(out, 0, n * sizeof *out);
    bool shared = false;
    for (uint32_t a = 0; a < p->nactors; a++) shared |= !p->actors[a].own_loop && p->actors[a].count_value > 0;
    uint32_t next = shared ? 1 : 0;
    const sim_actor *first = NULL;
    for (uint32_t a = 0; a < p->nactors; a++) {
        const sim_actor *ac = &p->actors[a];
        if (!ac->own_loop) continue;
        for (int64_t k = 0; k < ac->count_value; k++, next++) {
            if (next < n && ac->loop_process) out[next] = true;
            if (ac->loop_process && !first) first = ac;
        }
    }
    return first;
}

int async_loops_setup(rt *r, diag *d) {
    const sim_program *p = r->prog;
    r->loops = rt_alloc(r, (r->nloops + 1) * sizeof *r->loops);
    r->loop_tls = rt_alloc(r, (r->nloops + 1) * sizeof *r->loop_tls);
    if (!r->loops || !r->loop_tls) return diag_set(d, ERR_NOMEM, "out of memory for the event loops");
    bool shared = false;
    for (uint32_t a = 0; a < p->nactors; a++) shared |= !p->actors[a].own_loop && p->actors[a].count_value > 0;
    uint32_t next = shared ? 1 : 0;   /* loop 0 is the shared one, when it exists (a lone own_loop actor: its loop is 0) */
    for (uint32_t l = 0; l < r->nloops; l++) {
        atomic_flag_clear(&r->loops[l].busy);
        r->loops[l].unit = r->loop_unit0 + l;
        r->loop_tls[l] = xcalloc(p->nlocals + 1, sizeof *r->loop_tls[l]);
        rt_unit *lu = &r->units[r->loop_unit0 + l];
        lu->tkind = TRC_UNIT_LOOP;
        lu->state = US_NEW;   /* not a unit the platform runs: the watchdog leaves it out */
        lu->loop = l;
    }
    for (uint32_t l = 0; l < r->nloops; l++) snprintf(r->units[r->loop_unit0 + l].name, sizeof r->units[0].name, "loop");
    for (uint32_t a = 0; a < p->nactors; a++) {
        const sim_actor *ac = &p->actors[a];
        for (int64_t k = 0; k < ac->count_value; k++) {
            rt_unit *u = &r->units[r->ubase + ac->unit0 + (uint32_t)k];
            u->loop = ac->own_loop ? next++ : 0;
            u->tkind = TRC_UNIT_TASK;
            u->parent = r->loop_unit0 + u->loop;
            u->tls = r->loop_tls[u->loop];
            rt_unit *lu = &r->units[u->parent];
            if (ac->own_loop) {
                char name[sizeof lu->name];
                snprintf(name, sizeof name, "loop %.80s", u->name);
                memcpy(lu->name, name, sizeof name);
            }
        }
    }
    return 0;
}

void async_loops_end(rt *r) {
    for (uint32_t l = 0; l < r->nloops; l++) {
        struct rt_loop *lp = &r->loops[l];
        l_lock(lp);
        if (lp->begun && !lp->closed) {
            trc_ring *ring = r->units[lp->unit].ring;
            if (lp->idle) trc_emit(ring, TRC_EV_WAIT_END, 0, TRC_OUT_OK, 0, 0);
            if (lp->blocked)
                trc_emit(ring, lp->blocked == TRC_EV_COMPUTE_BEGIN ? TRC_EV_COMPUTE_END : TRC_EV_SLEEP_END, 0, 0, 0, 0);
            trc_emit(ring, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
        }
        lp->closed = true;
        l_unlock(lp);
    }
}

void async_loops_teardown(rt *r) {
    if (r->loop_tls)
        for (uint32_t l = 0; l < r->nloops; l++) free(r->loop_tls[l]);
    rt_release(r, r->loop_tls, (r->nloops + 1) * sizeof *r->loop_tls);
    rt_release(r, r->loops, (r->nloops + 1) * sizeof *r->loops);
}
