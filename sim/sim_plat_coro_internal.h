/* The coroutines platform's parts (sim_plat_coro*.c). Never included outside
 * sim/.
 *
 *   sim_plat_coro.c        the ops: units, monitors, time, compute
 *   sim_plat_coro_loop.c   an event loop: the ready list (FIFO), the deadline
 *                          heap, epoll, the wakes from other threads; and, with
 *                          a virtual clock, the scheduler that runs every loop
 *                          on main's thread
 *
 * Who runs where
 *   real time: each loop is a thread of its own that resumes its tasks
 *   (fibers, sim_plat_fiber.h) one at a time; executor workers are threads of
 *   their own; main (the watchdog) is a thread. Monitors are a mutex and FIFO
 *   lists of waiters of any kind: a task waiting parks (back to its loop), a
 *   thread waiting sleeps on its own condition variable, and a wake reaches
 *   either (a task woken from another thread goes through its loop's inbox
 *   and an eventfd).
 *   virtual clock: every loop, and every unit that would be a thread (each an
 *   "agent" of its own, a loop with one unit and its own CPU), runs on main's
 *   thread; main's waits run the scheduler, which advances the clock only
 *   when nothing can run. Same order of calls, same run.
 */
#ifndef WEFT_SIM_PLAT_CORO_INTERNAL_H
#define WEFT_SIM_PLAT_CORO_INTERNAL_H

#include "sim/sim_platform.h"
#include "sim/sim_plat_fiber.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

enum { CU_TASK = 1, CU_THREAD, CU_MAIN, CU_PROC };   /* CU_PROC: a process of its own (sim_plat_coro_proc.c) */
/* A task's state, on its loop's thread. */
enum { CT_NEW = 0, CT_READY, CT_RUNNING, CT_PARKED, CT_DONE };

#define CO_NO_HEAP SIZE_MAX
#define CO_VIRT_START 1000000000ull   /* the virtual clock starts at 1 s: no time is 0 */

typedef struct co_loop co_loop;
typedef struct co_plat co_plat;
typedef struct co_arena co_arena;

struct sim_punit {
    co_plat *plat;
    int kind;                        /* CU_* */
    void (*entry)(void *);
    void *arg;
    char name[48];
    _Atomic int32_t tid;
    /* waiting on a channel: guarded by that monitor's mutex */
    sim_mon *wmon;                   /* NULL: not on a channel */
    unsigned wch;
    sim_punit *wnext, *wprev;
    uint64_t wseq;                   /* its wait's number (deadlines of equal time fire in this order) */
    bool forever;                    /* waits without a deadline: counted out of plat->active */
    /* a thread (real time) or main */
    pthread_t thread;
    bool has_thread;
    pthread_cond_t cv;
    _Atomic(sim_mon *) pub;          /* main, real time: the monitor it waits on now (for a poke) */
    /* a task (and, with a virtual clock, every unit but main) */
    co_loop *loop;
    sim_fiber *fiber;
    int tstate;                      /* CT_*: touched on the loop's thread only */
    sim_punit *rnext;                /* ready list, inbox, start list */
    sim_mon *tmon;                   /* the monitor of its pending deadline */
    uint64_t deadline;               /* its pending deadline */
    uint64_t tseq;                   /* the wait its deadline belongs to */
    size_t heap_at;                  /* in loop->heap, or CO_NO_HEAP */
    bool blocker;                    /* virtual clock: its compute keeps the loop busy */
    /* fd_wait */
    int wfd;                         /* watched (registered with the loop's epoll), or -1 */
    bool wfd_dup;                    /* wfd is a duplicate (the loop watched the fd for another task) */
    unsigned wfd_events;             /* what it waits for */
    _Atomic unsigned wfd_ready;      /* what came */
    int start_rc;                    /* a start request's answer (SIM_FIBER_*) */
    _Atomic int start_done;
    _Atomic int done;                /* its entry returned (a task: its fiber is gone too) */
    /* a process (CU_PROC) */
    _Atomic int32_t pid;
    _Atomic int reaped;              /* main reaped it (unit_join) */
};

struct sim_mon {
    pthread_mutex_t mu;
    unsigned nchan;
    struct { sim_punit *head, *tail; } ch[];
};

typedef struct co_timer { uint64_t deadline, seq; sim_punit *u; } co_timer;

struct co_loop {
    co_plat *plat;
    uint32_t index;                  /* the runtime's loop number; thread agents follow the loops */
    bool is_thread;                  /* virtual clock: the agent of one unit that would be a thread */
    pthread_t thread;
    bool has_thread;
    _Atomic int32_t tid;
    int epfd, evfd, tfd;             /* real time: epoll, the inbox's eventfd, the deadline timerfd */
    uint32_t nfds;                   /* file descriptors of tasks watched */
    /* loop thread only */
    sim_punit *rhead, *rtail;
    uint32_t nready;
    co_timer *heap; size_t nheap, cap_heap;
    uint32_t ntasks;                 /* tasks whose fiber exists */
    uint32_t todo;                   /* of the current tick, not run yet */
    uint32_t fired;                  /* deadlines that came since the last tick */
    uint64_t lag;                    /* the latest of them */
    sim_punit *cur;                  /* the task running */
    uint64_t busy_until;             /* virtual clock: a compute keeps it busy until then */
    bool vidle;                      /* virtual clock: told the runtime it waits (hooks.idle) */
    sim_punit *blocker;
    sim_punit *hold;                 /* the task whose waits hold the loop (co_hold): nothing else runs */
    bool hold_ready;                 /* ... and it is ready (it is kept out of the ready list) */
    /* from other threads */
    _Atomic int ipending;            /* the inbox has something (read without the lock first) */
    pthread_mutex_t imu;
    sim_punit *ihead, *itail;        /* woken tasks */
    sim_punit *shead, *stail;        /* tasks to create (unit_start from another thread) */
    _Atomic int closing;
    /* a loop in a process of its own (desc.loop_process): forked at its first task's start */
    bool in_process;
    _Atomic int32_t pid;             /* its process, once forked (0: not yet) */
};

struct co_plat {
    sim_plat base;
    bool virt;
    sim_plat_hooks hooks;
    size_t stack;
    sim_fiber_pool *pool;
    co_loop **loops; uint32_t nloops, nagents; size_t cap_agents;   /* loops, then (virtual) thread agents */
    sim_punit main;
    pthread_condattr_t ca;           /* process-shared with an arena */
    pthread_mutexattr_t ma;          /* the same */
    co_arena *arena;                 /* some units are processes: everything here is in it (else NULL: the heap) */
    pthread_mutex_t jmu;             /* unit_join's wait for a task's end */
    pthread_cond_t jcv;
    _Atomic uint64_t wseq;
    _Atomic int64_t active;          /* units that can run by themselves (see quiet) */
    _Atomic uint64_t qgen;           /* bumped each time the platform leaves quiet */
    _Atomic uint32_t live_tasks;     /* for the ThreadSanitizer limit */
    _Atomic int poke;                /* real time: main's wait returns, the platform became quiet */
    uint32_t max_tasks;              /* 0: no limit */
    /* virtual clock (main's thread) */
    _Atomic uint64_t now;
    _Atomic uint64_t stamp;          /* the recorder's clock: now plus 1 ns per hand-over at one instant */
    bool main_woken;
    uint64_t main_deadline;          /* main's wait: 0 none */
    sim_punit *main_join;            /* unit_join: the unit main waits for */
    uint64_t handovers;
};

/* Virtual clock: the recorder's clock moves 1 ns past the last event, so events of
 * different units at one instant keep one order whatever the recorder's draining does
 * (each hand-over, and each word to the runtime on another unit's behalf, gets its own). */
static inline void co_vstamp(co_plat *p) {
    if (!p->virt) return;
    uint64_t now = atomic_load(&p->now), st = atomic_load(&p->stamp) + 1;
    atomic_store(&p->stamp, st > now ? st : now);
}
#define CO_HOOK(p, call) do { co_vstamp(p); call; co_vstamp(p); } while (0)

/* ---- sim_plat_coro_loop.c -------------------------------------------------- */

co_loop *co_loop_new(co_plat *p, uint32_t index, bool is_thread, diag *d);
void co_loop_free(co_loop *l);
int co_loop_thread_start(co_loop *l, diag *d);
void *co_loop_main(void *arg);                   /* real time: the loop itself, on its thread (or process) */
void co_loop_close(co_loop *l);                  /* real time: ask it to end once its tasks are gone, and join */
/* Creates u's fiber on the calling thread (the loop's) and makes it ready: 0 or SIM_FIBER_*. */
int co_task_create(co_loop *l, sim_punit *u);
/* Real time, from another thread: asks the loop to create u's fiber and waits for the answer. */
int co_task_create_remote(co_loop *l, sim_punit *u);
/* u (a task of l, parked or new) becomes ready; hooks the runtime. On l's thread. */
void co_make_ready(co_loop *l, sim_punit *u, uint64_t late);
/* A task woken by another thread: through l's inbox. */
void co_inbox_push(co_loop *l, sim_punit *u);
bool co_on_loop(const co_loop *l);               /* the caller runs on l's thread */
void co_timer_add(co_loop *l, sim_punit *u, uint64_t deadline, uint64_t seq);
void co_timer_remove(co_loop *l, sim_punit *u);
/* The running task gives its loop back; returns when it is resumed. */
void co_park(sim_punit *self);
/* fd_wait's registration (real time). */
int co_fd_watch(co_loop *l, sim_punit *u, int fd, unsigned events);
void co_fd_unwatch(co_loop *l, sim_punit *u);
/* Virtual clock: runs the agents until main is woken, now() >= until (0: no
 * deadline) or nothing can happen without main (returns false then). */
bool co_vrun(co_plat *p, uint64_t until);

/* ---- sim_plat_coro_mem.c: memory shared with the process units ---------------------- */

co_arena *co_arena_create(size_t size, diag *d);
void co_arena_destroy(co_arena *a);
void *co_arena_alloc(co_arena *a, size_t n);            /* zeroed; NULL when full */
void co_arena_free(co_arena *a, void *q);
void *co_arena_resize(co_arena *a, void *q, size_t old_n, size_t n);
/* The platform's own records: from the arena when there is one, else the heap (zeroed). */
static inline void *co_mem_alloc(co_plat *p, size_t n) {
    return p->arena ? co_arena_alloc(p->arena, n) : calloc(1, n ? n : 1);
}
static inline void co_mem_free(co_plat *p, void *q) {
    if (p->arena) co_arena_free(p->arena, q); else free(q);
}

/* ---- sim_plat_coro_proc.c: process units --------------------------------------------- */

int co_proc_start(co_plat *p, sim_punit *u, diag *d);   /* forks u's process, which runs its entry */
bool co_proc_alive(const sim_punit *u);
void co_proc_join(sim_punit *u);                        /* reaps it (kills it after a grace time) */
int co_loop_proc_start(co_loop *l, diag *d);            /* forks l's process, which runs the loop */
void co_loop_proc_join(co_loop *l);                     /* after closing: reaps it (kills it after a grace time) */

/* ---- sim_plat_coro.c -------------------------------------------------------- */

uint64_t co_now(co_plat *p);
void co_active_add(co_plat *p, int64_t d);      /* leaving or entering quiet */
bool co_active_sub_one(co_plat *p);              /* a unit ended: true when the platform became quiet */
void co_poke_main(co_plat *p);                   /* real time: main's wait returns (quiet) */
/* Takes w off its channel (its monitor's mutex held). */
void co_unlink(sim_punit *w);
/* A task ended: its loop counts it out and lets a joiner know (on the loop's thread). */
void co_task_ended(co_loop *l, sim_punit *u);

#endif
