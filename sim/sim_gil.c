/* The GIL: CPython's global interpreter lock, modelled with one monitor per
 * process, so that the same scenario can run with it (`gil on`) and without
 * it (`gil off`: free-threaded Python) on real threads.
 *
 * DESIGN: the protocol (CPython's ceval_gil.c since 3.2, "the new GIL")
 *   CPython's GIL is a flag `locked` guarded by a mutex, a condition `cond`
 *   that waiters sleep on, a counter `switch_number` of changes of holder
 *   (take_gil counts one when the new holder is not `last_holder`) and, with
 *   FORCE_SWITCHING, a second condition `switch_cond`. weft keeps the same
 *   state in an rt_gil (holder, last, switches, drop_request) under one
 *   monitor whose channels are the two conditions:
 *
 *   take (take_gil)    under the monitor: if the GIL is free, take it. Else
 *                      record GIL_REQUEST and loop: remember `switches`, wait
 *                      on GIL_CH_TAKE until one switch interval (5 ms by
 *                      default) has passed; if the wait timed out, the GIL is
 *                      still held and no switch happened meanwhile
 *                      (`switches` unchanged), set drop_request
 *                      (GIL_DROP_REQUEST) and poke the holder. Each timeout
 *                      starts a new interval (COND_TIMED_WAIT in a loop); a
 *                      wake that is not for this waiter does not (CPython's
 *                      other waiters were never woken). Once free for it:
 *                      holder = self, switches++ if the holder changed, wake
 *                      GIL_CH_SWITCH (the dropper waits for that), and reset
 *                      drop_request (it was meant for the previous holder).
 *                      GIL_ACQUIRE.
 *   drop (drop_gil)    under the monitor: holder = -1, GIL_DROP with its
 *                      reason, wake one waiter of GIL_CH_TAKE (COND_SIGNAL).
 *                      When the drop answers a request (reason interval), the
 *                      dropper then waits on GIL_CH_SWITCH until another unit
 *                      has taken it: a waiter, not the holder, gets the GIL
 *                      (without this the holder, still running, would take it
 *                      straight back: the convoy CPython 3.2 fixed).
 *   which waiter       after a forced drop (interval) weft names the heir at
 *                      random among the waiters (the GIL's own seeded
 *                      generator) and only it may take the GIL. CPython
 *                      signals one waiter of `cond`, but the drop comes just
 *                      as the requester's interval ran out, and the other
 *                      waiters' intervals, started at the previous switches,
 *                      run out about then too: each wakes, finds `locked` 0
 *                      and takes it if it gets the mutex first. Which one
 *                      does is the kernel's doing, not FIFO: an I/O thread
 *                      back from a sleep behind K CPU-bound threads waits
 *                      K - 1/2 intervals on average (CPython 3.11 measured:
 *                      about 4 intervals with K = 4), where a FIFO hand-off
 *                      (what pthread_cond_signal gave weft before, with its
 *                      shorter hand-off) let it in at the first switch. A
 *                      drop for blocking wakes one waiter (no race: nobody's
 *                      interval runs out at that moment).
 *   the holder's check (the eval breaker): a holder looks at drop_request at
 *                      every step boundary and, inside `compute`, between the
 *                      slices of at most 25 us that the burn loop is made of
 *                      (CPython: between bytecodes, at jumps and calls). When
 *                      asked, it drops (interval) and takes the GIL again at
 *                      once, as a new waiter: with other CPU-bound threads it
 *                      waits an interval of its own, then asks in its turn.
 *   blocking steps     (sleep, lock, queue, condition, event, barrier, join,
 *                      result, a pool worker waiting for work, a racy
 *                      increment's window) release the GIL when the unit
 *                      really waits (rt_wait): a lock that is free is taken
 *                      without letting the GIL go, as CPython's acquire tries
 *                      first without releasing it. The unit takes it back
 *                      before its next step (the racy increment's write:
 *                      before the write), never inside the object's code,
 *                      which holds the object's monitor.
 *   compute native D   releases it for the compute (C code between
 *                      Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS).
 *   exit               releases it (reason exit).
 *
 *   What differs from CPython, and why: a blocking release does not wait for
 *   the switch even when a drop was requested (the unit goes on to wait
 *   anyway); the check inside compute is every 25 us of CPU at most instead of
 *   every few bytecodes (a hand-off request is answered within that); a step
 *   that waits releases the GIL only once it has to wait, and the step's own
 *   event (the lock acquired, the item got) comes before the GIL is taken
 *   back, where CPython would take the GIL first for code written in Python.
 *
 *   Who wakes whom: a waiter that asks for a drop sets RT_BRK_GIL in the
 *   holder's breaker word (the flag `compute` polls: sim_burn on threads)
 *   and wakes the holder's own monitor (a platform that models compute as a
 *   wait on it, the test platform, sees the flag then). A halt sets
 *   RT_BRK_HALT and wakes whatever the unit waits on, the GIL's monitor too.
 *
 *   Every wait here is on the GIL's monitor only, with no other monitor held,
 *   except the release inside rt_wait, which takes the GIL's monitor under
 *   the object's and never waits. Nothing takes an object's monitor while it
 *   holds the GIL's, so the order is always object -> GIL -> a unit's own.
 *
 *   One GIL per process: the GILs live in run memory and use only monitors,
 *   so the same code serves threads (one GIL for every unit), the processes
 *   backend (one per process) and the coroutines backend (the loop thread and
 *   the executor threads take it like any thread).
 */
#include "sim/sim_gil.h"

#include <stdio.h>
#include <string.h>

/* Which GILs a run has. Threads: one for every unit. The test platform with
 * sim_desc.gil_per_unit: one per unit. The processes backend: one per process
 * unit (a pool's or a timer's thread takes its host process's, gil_bind) and
 * one for main's process (the threads it starts itself), last; the threads'
 * own indices have none, so nothing lists a GIL no process could use. */
static bool gil_own(const rt *r, uint32_t ui) {
    return r->desc->gil_per_unit || (r->procs && r->units[ui].pkind == SIM_PU_PROCESS) ||
           (r->coro_procs && r->units[ui].pool != UINT32_MAX && r->units[ui].pkind == SIM_PU_PROCESS);
}

/* The run's units live in several processes, each with its GIL (main's last): the processes
 * backend, and coroutines with a process pool (run_in_executor: its workers' GILs, and main's
 * process's for the loops and the executor threads). */
static bool gil_processes(const rt *r) { return r->procs || r->coro_procs; }

void gil_bind(rt_unit *u) {
    rt *r = u->r;
    if (!r->gils || !r->procs || u->pkind == SIM_PU_PROCESS) return;
    /* a thread: its host's GIL (the host bound its own before it could start the thread) */
    u->gil = u->host == UINT32_MAX ? &r->gils[r->ngils - 1] : r->units[u->host].gil;
}

/* A GIL's name: "GIL" when the run has one; "GIL of NAME" (its process's unit) when each
 * process has its own, "GIL of the main process" for main's. */
static void gil_name(const rt *r, rt_gil *g, uint32_t ui) {
    if (!gil_processes(r) && !r->desc->gil_per_unit) snprintf(g->name, sizeof g->name, "GIL");
    else snprintf(g->name, sizeof g->name, "GIL of %s", ui < r->nunits ? r->units[ui].name : "the main process");
}

int gil_setup(rt *r) {
    uint64_t interval;
    if (!sim_program_gil(r->prog, &interval) || !r->nunits) return 0;
    uint32_t n = 0;
    for (uint32_t ui = 0; ui < r->nunits; ui++) n += gil_own(r, ui);
    if (gil_processes(r)) n++;          /* main's process */
    if (!n) n = 1;                      /* threads: one for all */
    r->gils = rt_alloc(r, n * sizeof *r->gils);
    if (!r->gils) return -1;
    r->ngils = n;
    uint32_t k = 0;
    for (uint32_t ui = 0; ui <= r->nunits && k < n; ui++) {
        if (ui < r->nunits && !gil_own(r, ui)) continue;
        if (ui == r->nunits && !gil_processes(r) && k) break;   /* the per-unit GILs are all made */
        rt_gil *g = &r->gils[k];
        g->mon = r->ops->mon_new(r->plat, GIL_NCH);
        if (!g->mon) return -1;
        g->obj = r->prog->nobjects + 1 + k;   /* after the program's objects */
        g->domain = n == 1 && !gil_processes(r) ? 0 : ui;   /* the process (unit index; nunits: main's) */
        g->interval = interval;
        g->last = -1;
        g->heir = -1;
        g->rng = r->desc->seed ^ (0xD1B54A32D192ED03ull * (k + 1));   /* same seed, same hand-offs */
        g->wl = rt_alloc(r, (r->nunits + 1) * sizeof *g->wl);
        if (!g->wl) return -1;
        atomic_store(&g->holder, -1);
        gil_name(r, g, ui);
        if (ui < r->nunits) r->units[ui].gil = g;
        k++;
    }
    for (uint32_t ui = 0; ui < r->nunits; ui++)
        if (!r->units[ui].gil) r->units[ui].gil = &r->gils[gil_processes(r) ? n - 1 : 0];   /* bound again once it runs */
    return 0;
}

void gil_teardown(rt *r) {
    for (uint32_t k = 0; k < r->ngils; k++) {
        if (r->gils[k].mon) r->ops->mon_free(r->plat, r->gils[k].mon);
        if (r->gils[k].wl) rt_release(r, r->gils[k].wl, (r->nunits + 1) * sizeof *r->gils[k].wl);
    }
    rt_release(r, r->gils, r->ngils * sizeof *r->gils);
    r->gils = NULL;
    r->ngils = 0;
}

void gil_objects(const rt *r, trc_object *out) {
    for (uint32_t k = 0; k < r->ngils; k++) {
        const rt_gil *g = &r->gils[k];
        out[k] = (trc_object){ .id = g->obj, .kind = TRC_OBJ_GIL, .name = g->name, .capacity = (int64_t)g->interval,
                               .subkind = g->domain };
    }
}

/* A GIL event of u: on its own lane, or, when its loop holds the GIL for it, on the loop's. */
static void gil_emit(rt_unit *u, rt_unit *o, bool sync, uint16_t kind, uint32_t obj, uint64_t arg, uint32_t extra,
                     uint16_t aux) {
    if (o != u || o->tkind == TRC_UNIT_LOOP) async_loop_emit(u->r, o->loop, sync, kind, obj, aux, arg, extra);
    else if (sync) trc_emit_sync(u->ring, kind, obj, aux, arg, extra);
    else trc_emit(u->ring, kind, obj, aux, arg, extra);
}

/* A task that waits for the GIL (or hands it over) holds its loop meanwhile: a thread that
 * waits runs nothing else. Nothing for a unit with a thread of its own. */
static void gil_hold(rt_unit *u, rt_unit *o, bool on) {
    if (o != u && u->r->ops->hold) u->r->ops->hold(u->r->plat, u->pu, on);
}

static void poke_one(rt_unit *u, rt_unit *h) {
    atomic_fetch_or(&h->breaker, RT_BRK_GIL);
    rt_lock(u, h->mon);
    rt_wake(u->r, h->mon, 0, true);
    rt_unlock(u, h->mon);
}

/* Asks holder h to drop the GIL: the breaker flag its compute polls, and a wake
 * of its own monitor for a platform whose compute waits on it (a loop: its
 * task computing, if any; its other tasks see the loop's flag at their next
 * step). Called WITHOUT
 * g->mon: a unit may hold its own monitor when it lets the GIL go (gil_release
 * from a wait), so the lock order is a unit's monitor, then the GIL's; taking
 * h->mon under g->mon was an inversion (ThreadSanitizer found it). A holder
 * that dropped in between gets a spurious flag, which its next check clears. */
static void poke(rt_unit *u, rt_unit *h) {
    if (h->tkind != TRC_UNIT_LOOP) {
        poke_one(u, h);
        return;
    }
    atomic_fetch_or(&h->breaker, RT_BRK_GIL);
    rt_unit *t = atomic_load(&h->gil_cur);
    if (t) poke_one(u, t);
}

static void wl_add(rt_gil *g, uint32_t ui) { g->wl[g->nwl++] = ui; }

static void wl_remove(rt_gil *g, uint32_t ui) {
    for (uint32_t k = 0; k < g->nwl; k++)
        if (g->wl[k] == ui) {
            g->wl[k] = g->wl[--g->nwl];
            return;
        }
}

/* Whether u may take the GIL now: it is free and no other waiter was named its heir. */
static bool gil_free_for(const rt_gil *g, uint32_t ui) {
    return atomic_load_explicit(&g->holder, memory_order_relaxed) < 0 && (g->heir < 0 || g->heir == (int64_t)ui);
}

/* take_gil. 0, or -1 when u is halted while it waits. Called without a monitor. */
static int gil_take(rt_unit *u) {
    rt *r = u->r;
    rt_gil *g = u->gil;
    rt_unit *o = gil_owner(u);   /* who takes it: u, or u's loop */
    rt_lock(u, g->mon);
    uint64_t t0 = 0;
    if (!gil_free_for(g, o->index)) {
        t0 = rt_now(r);
        int64_t h = atomic_load_explicit(&g->holder, memory_order_relaxed);
        gil_emit(u, o, false, TRC_EV_GIL_REQUEST, g->obj, (uint64_t)(h >= 0 ? h : g->heir), 0, 0);
        g->waiting++;
        wl_add(g, o->index);
        gil_hold(u, o, true);
        uint64_t saved = g->switches;
        uint64_t deadline = t0 + g->interval;
        while (!gil_free_for(g, o->index)) {
            int s = rt_wait(u, g->mon, GIL_CH_TAKE, deadline);
            if (s == TRC_OUT_ABORTED) {
                g->waiting--;
                wl_remove(g, o->index);
                if (g->heir == (int64_t)o->index) {   /* named, and gone: whoever comes first takes it */
                    g->heir = -1;
                    rt_wake(r, g->mon, GIL_CH_TAKE, true);
                }
                rt_wake(r, g->mon, GIL_CH_SWITCH, true);   /* a dropper waiting for this waiter goes on */
                gil_hold(u, o, false);
                rt_unlock(u, g->mon);
                return -1;
            }
            if (gil_free_for(g, o->index)) break;
            /* woken for another (the drop named another heir): CPython's waiters other than
             * the one signalled sleep on, their intervals running */
            if (s != TRC_OUT_TIMEOUT && rt_now(r) < deadline) continue;
            int64_t hh = atomic_load_explicit(&g->holder, memory_order_relaxed);
            if (hh >= 0 && g->switches == saved && !atomic_load(&g->drop_request)) {
                atomic_store(&g->drop_request, 1);
                gil_emit(u, o, false, TRC_EV_GIL_DROP_REQUEST, g->obj, (uint64_t)hh, 0, 0);
                rt_unlock(u, g->mon);
                poke(u, &r->units[hh]);
                rt_lock(u, g->mon);   /* the loop reads the holder again */
            }
            saved = g->switches;      /* a new interval */
            deadline = rt_now(r) + g->interval;
        }
        gil_hold(u, o, false);
        g->waiting--;
        wl_remove(g, o->index);
    }
    atomic_store_explicit(&g->holder, (int64_t)o->index, memory_order_relaxed);
    g->heir = -1;
    g->t_taken = rt_now(r);
    if (g->last != (int64_t)o->index) g->switches++;   /* switch_number: a change of holder */
    if (atomic_load(&g->drop_request)) atomic_store(&g->drop_request, 0);   /* meant for the one before */
    rt_wake(r, g->mon, GIL_CH_SWITCH, true);
    gil_emit(u, o, true, TRC_EV_GIL_ACQUIRE, g->obj, t0 ? g->t_taken - t0 : 0, g->last >= 0 ? (uint32_t)g->last + 1 : 0,
             0);
    g->last = o->index;
    rt_unlock(u, g->mon);
    o->gil_held = true;
    return 0;
}

void gil_release(rt_unit *u, int reason) {
    rt_unit *o = gil_owner(u);
    if (!o->gil_held) return;
    /* a task's end or its sleep of 0 leaves the GIL with its loop, which goes on running tasks */
    if (o != u && (reason == TRC_GIL_EXIT || reason == TRC_GIL_YIELD)) return;
    rt *r = u->r;
    rt_gil *g = u->gil;
    rt_lock(u, g->mon);
    uint64_t now = rt_now(r);
    atomic_store_explicit(&g->holder, -1, memory_order_relaxed);
    o->gil_held = false;
    gil_emit(u, o, false, TRC_EV_GIL_DROP, g->obj, now - g->t_taken, 0, (uint16_t)reason);
    bool forced = reason == TRC_GIL_INTERVAL && atomic_load(&g->drop_request);
    if (forced && g->nwl) {
        /* a forced switch: the waiters whose intervals run out about now compete with the one
         * signalled, and which wins is the kernel's doing: any of them, as likely */
        g->heir = g->wl[sim_rng_next(&g->rng) % g->nwl];
        rt_wake(r, g->mon, GIL_CH_TAKE, true);
    } else {
        rt_wake(r, g->mon, GIL_CH_TAKE, false);
    }
    if (forced) {
        /* FORCE_SWITCHING: wait until a waiter has it (or none is left) */
        atomic_store(&g->drop_request, 0);
        uint64_t sw = g->switches;
        gil_hold(u, o, true);
        while (g->switches == sw && g->waiting > 0)
            if (rt_wait(u, g->mon, GIL_CH_SWITCH, 0) != RT_AGAIN) break;
        gil_hold(u, o, false);
    }
    rt_unlock(u, g->mon);
}

int gil_check_slow(rt_unit *u) {
    rt_unit *o = gil_owner(u);
    if (!o->gil_held) return rt_halted(u) ? -1 : gil_take(u);
    atomic_fetch_and(&u->breaker, ~RT_BRK_GIL);
    if (o != u) atomic_fetch_and(&o->breaker, ~RT_BRK_GIL);
    rt_gil *g = u->gil;
    if (!atomic_load(&g->drop_request) ||
        atomic_load_explicit(&g->holder, memory_order_relaxed) != (int64_t)o->index)
        return 0;
    gil_release(u, TRC_GIL_INTERVAL);
    return rt_halted(u) ? -1 : gil_take(u);
}

uint64_t gil_compute(rt_unit *u, uint64_t ns) {
    rt *r = u->r;
    rt_unit *o = gil_owner(u);
    uint64_t burnt = 0;
    if (o != u) atomic_store(&o->gil_cur, u);   /* a drop request for the loop reaches this compute */
    while (burnt < ns && !rt_halted(u)) {
        if (gil_check(u)) break;
        burnt += r->ops->compute(r->plat, u->pu, u->mon, ns - burnt, &u->breaker);
    }
    if (o != u) atomic_store(&o->gil_cur, NULL);
    return burnt;
}
