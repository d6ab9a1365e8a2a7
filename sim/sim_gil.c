/* The GIL: CPython's global interpreter lock, modelled with one monitor per
 * process, so that the same scenario can run with it (`gil on`) and without
 * it (`gil off`: free-threaded Python) on real threads.
 *
 * DESIGN: the protocol (CPython's ceval_gil.c since 3.2, "the new GIL")
 *   CPython's GIL is a flag `locked` guarded by a mutex, a condition `cond`
 *   that waiters sleep on, a counter `switch_number` of acquisitions and, with
 *   FORCE_SWITCHING, a second condition `switch_cond`. weft keeps the same
 *   state in an rt_gil (holder, switches, drop_request) under one monitor
 *   whose channels are the two conditions:
 *
 *   take (take_gil)    under the monitor: if the GIL is free, take it. Else
 *                      record GIL_REQUEST and loop: remember `switches`, wait
 *                      on GIL_CH_TAKE for at most one switch interval (5 ms by
 *                      default); if the wait timed out, the GIL is still held
 *                      and no switch happened meanwhile (`switches` unchanged),
 *                      set drop_request (GIL_DROP_REQUEST) and poke the holder.
 *                      A wake-up or a switch starts a new interval. Once free:
 *                      holder = self, switches++, wake GIL_CH_SWITCH (the
 *                      dropper waits for that), and reset drop_request (it was
 *                      meant for the previous holder). GIL_ACQUIRE.
 *   drop (drop_gil)    under the monitor: holder = -1, GIL_DROP with its
 *                      reason, wake ONE waiter of GIL_CH_TAKE (cond signal).
 *                      When the drop answers a request (reason interval), the
 *                      dropper then waits on GIL_CH_SWITCH until another unit
 *                      has taken it: the waiter, not the holder, gets the GIL
 *                      (without this the holder, still running, would take it
 *                      straight back: the convoy CPython 3.2 fixed).
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

/* Which GIL unit ui uses: every unit of a threads run shares one. On the
 * processes backend each process has its own (gil_bind, once its process is
 * known): one per unit index, and the last for main's process. */
static uint32_t gil_domain(const rt *r, uint32_t ui) { return r->desc->gil_per_unit || r->procs ? ui : 0; }

void gil_bind(rt_unit *u) {
    rt *r = u->r;
    if (!r->gils || !r->procs) return;
    uint32_t k = u->pkind == SIM_PU_PROCESS ? u->index : u->host == UINT32_MAX ? r->nunits : u->host;
    u->gil = &r->gils[k < r->ngils ? k : r->ngils - 1];
}

int gil_setup(rt *r) {
    uint64_t interval;
    if (!sim_program_gil(r->prog, &interval) || !r->nunits) return 0;
    uint32_t n = 0;
    for (uint32_t ui = 0; ui < r->nunits; ui++)
        if (gil_domain(r, ui) + 1 > n) n = gil_domain(r, ui) + 1;
    if (r->procs) n = r->nunits + 1;   /* and main's process */
    r->gils = rt_alloc(r, n * sizeof *r->gils);
    if (!r->gils) return -1;
    r->ngils = n;
    for (uint32_t k = 0; k < n; k++) {
        rt_gil *g = &r->gils[k];
        g->mon = r->ops->mon_new(r->plat, GIL_NCH);
        if (!g->mon) return -1;
        g->obj = r->prog->nobjects + 1 + k;   /* after the program's objects */
        g->domain = k;
        g->interval = interval;
        g->last = -1;
        atomic_store(&g->holder, -1);
    }
    for (uint32_t ui = 0; ui < r->nunits; ui++) r->units[ui].gil = &r->gils[gil_domain(r, ui)];
    return 0;
}

void gil_teardown(rt *r) {
    for (uint32_t k = 0; k < r->ngils; k++)
        if (r->gils[k].mon) r->ops->mon_free(r->plat, r->gils[k].mon);
    rt_release(r, r->gils, r->ngils * sizeof *r->gils);
    r->gils = NULL;
    r->ngils = 0;
}

void gil_objects(const rt *r, trc_object *out) {
    for (uint32_t k = 0; k < r->ngils; k++) {
        const rt_gil *g = &r->gils[k];
        out[k] = (trc_object){ .id = g->obj, .kind = TRC_OBJ_GIL, .name = "GIL", .capacity = (int64_t)g->interval,
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

/* take_gil. 0, or -1 when u is halted while it waits. Called without a monitor. */
static int gil_take(rt_unit *u) {
    rt *r = u->r;
    rt_gil *g = u->gil;
    rt_unit *o = gil_owner(u);   /* who takes it: u, or u's loop */
    rt_lock(u, g->mon);
    uint64_t t0 = 0;
    int64_t h = atomic_load_explicit(&g->holder, memory_order_relaxed);
    if (h >= 0) {
        t0 = rt_now(r);
        gil_emit(u, o, false, TRC_EV_GIL_REQUEST, g->obj, (uint64_t)h, 0, 0);
        g->waiting++;
        gil_hold(u, o, true);
        while ((h = atomic_load_explicit(&g->holder, memory_order_relaxed)) >= 0) {
            uint64_t saved = g->switches;
            uint64_t deadline = rt_now(r) + g->interval;
            int s = rt_wait(u, g->mon, GIL_CH_TAKE, deadline);
            if (s == TRC_OUT_ABORTED) {
                g->waiting--;
                rt_wake(r, g->mon, GIL_CH_SWITCH, true);   /* a dropper waiting for this waiter goes on */
                gil_hold(u, o, false);
                rt_unlock(u, g->mon);
                return -1;
            }
            bool timed_out = s == TRC_OUT_TIMEOUT || rt_now(r) >= deadline;
            h = atomic_load_explicit(&g->holder, memory_order_relaxed);
            if (timed_out && h >= 0 && g->switches == saved && !atomic_load(&g->drop_request)) {
                atomic_store(&g->drop_request, 1);
                gil_emit(u, o, false, TRC_EV_GIL_DROP_REQUEST, g->obj, (uint64_t)h, 0, 0);
                rt_unlock(u, g->mon);
                poke(u, &r->units[h]);
                rt_lock(u, g->mon);   /* the loop reads the holder again */
            }
        }
        gil_hold(u, o, false);
        g->waiting--;
    }
    atomic_store_explicit(&g->holder, (int64_t)o->index, memory_order_relaxed);
    g->switches++;
    g->t_taken = rt_now(r);
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
    rt_wake(r, g->mon, GIL_CH_TAKE, false);
    if (reason == TRC_GIL_INTERVAL && atomic_load(&g->drop_request)) {
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
