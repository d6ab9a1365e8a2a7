/* sim_gil.h: the GIL model (sim_gil.c), for the files of sim/ only.
 *
 * A run with `gil on` has one rt_gil per process (one for a threads run; one
 * per process unit on the processes backend): a monitor and what it guards,
 * in run memory, so it works in every process and on every platform. The
 * protocol is described at the top of sim_gil.c.
 *
 * Who calls what
 *   the interpreter   gil_check(u) before every step (takes the GIL if u has
 *                     not got it, honours a drop request), gil_compute(u, ns)
 *                     for `compute`, gil_release(u, TRC_GIL_NATIVE) around
 *                     `compute native`
 *   rt_wait           gil_release(u, TRC_GIL_BLOCKING) before a unit really
 *                     waits (the object's monitor may be held: the release
 *                     never waits)
 *   unit_main         gil_release(u, TRC_GIL_EXIT) at the unit's end
 *   rt_halt           sets RT_BRK_HALT in the unit's breaker
 */
#ifndef WEFT_SIM_GIL_H
#define WEFT_SIM_GIL_H

#include "sim/sim_internal.h"

/* The GIL's monitor channels: waiters for the GIL; a holder that was asked to
 * drop it, waiting for another unit to take it (CPython's FORCE_SWITCHING). */
enum { GIL_CH_TAKE = 0, GIL_CH_SWITCH, GIL_NCH };

/* rt_unit.breaker bits: why a compute stops early (CPython's eval breaker). */
enum { RT_BRK_HALT = 1, RT_BRK_GIL = 2 };

struct rt_gil {
    sim_mon *mon;                    /* GIL_CH_* */
    uint32_t obj;                    /* its object id in the recording */
    uint32_t domain;                 /* which process's GIL (trc_object.subkind) */
    uint64_t interval;               /* the switch interval, ns */
    _Atomic int64_t holder;          /* a unit index, -1: free (changed under mon; read by pokes) */
    _Atomic int drop_request;        /* a waiter asked the holder to drop it (set and reset under mon) */
    uint64_t switches;               /* changes of holder so far (mon): a drop request needs none in an interval */
    uint32_t waiting;                /* units in gil_take (mon) */
    uint64_t t_taken;                /* when the holder took it (run clock, mon) */
    int64_t last;                    /* the unit that held it last, -1: none (mon) */
    int64_t heir;                    /* after a forced drop: the waiter that gets it, -1: anyone (mon) */
    uint32_t *wl; uint32_t nwl;      /* the units in gil_take, in no order (mon) */
    uint64_t rng;                    /* picks the heir (mon): seeded, so a seed gives the same hand-offs */
    char name[112];                  /* "GIL", or "GIL of worker.2" when each process has one */
};

/* Makes the run's GILs (when its program has one) and gives each unit its
 * own. Thread: main, before any unit starts. -1 when run memory is exhausted. */
int gil_setup(rt *r);
/* On the processes backend: u's GIL is its process's (known once it runs). Thread: u. */
void gil_bind(rt_unit *u);
void gil_teardown(rt *r);
/* The recording's objects for the run's GILs: fills out[0 .. r->ngils). */
void gil_objects(const rt *r, trc_object *out);

/* Before a step: takes the GIL if u has not got it, or drops it and takes it
 * again if a waiter asked (the holder's check at a bytecode boundary).
 * 0, or -1 when u was halted while it waited (it then holds nothing).
 * Called without any monitor held. Thread: u. */
int gil_check_slow(rt_unit *u);
static inline int gil_check(rt_unit *u) {
    if (!u->gil) return 0;
    if (u->gil_held && !(atomic_load_explicit(&u->breaker, memory_order_relaxed) & RT_BRK_GIL)) return 0;
    return gil_check_slow(u);
}
/* Lets the GIL go (when u holds it) for `reason` (trc_gil_drop). Never waits
 * unless the reason is TRC_GIL_INTERVAL (then it waits, without any other
 * monitor held, until another unit took it). Thread: u. */
void gil_release(rt_unit *u, int reason);
/* `compute ns` with the GIL: burns ns of CPU in the slices between drop
 * requests, handing the GIL over at each. Returns the CPU ns burnt (less when
 * halted). Called without any monitor held. Thread: u. */
uint64_t gil_compute(rt_unit *u, uint64_t ns);

#endif
