/* sim_internal.h: the runtime's shared structures, for the files of sim/ only.
 * Never included outside sim/ (the layering test checks it), and never by a
 * platform file (sim_plat_*): platforms know monitors and units, not objects.
 *
 * DESIGN
 *   A run is one `rt`, allocated from the platform (sim_platform.h) with
 *   everything its units share: the object table, the unit records, the
 *   futures, the run-time strings. Each unit runs unit_main() (sim_units.c)
 *   on its own thread, process or task: it waits on its own monitor for its
 *   start, runs its actor's body or its pool's worker loop through
 *   exec_block() (sim_interp.c), and records every step into its own
 *   recorder ring. Main runs the watchdog (sim_watchdog.c) until every unit
 *   has exited or the run must end, then halts every unit, joins them and
 *   checks the expectations (sim_expect.c).
 *
 *   Every object is a monitor (rt_obj.mon). A unit that must wait records
 *   WAIT_BEGIN, publishes what it waits for in its record (state, object,
 *   op, since, deadline: the watchdog reads these without locks), waits with
 *   rt_wait() until the object is ready, its deadline passes or it is
 *   halted, then records WAIT_END with the outcome and the step's own event.
 *
 *   Halting (the end of the run, a daemon cut off) sets the unit's halt flag
 *   and wakes the monitor it waits on (rt_halt): no wait is sliced.
 *
 *   A step's object is resolved once, in exec_block: an array's element
 *   (rt_element) is chosen there for every kind of step, so object code only
 *   ever sees an element index. An error a scenario raises (sim_errors.c)
 *   unwinds exec_block as XR_RAISE, with the error in the unit's own record:
 *   blocks release what they took, `finally` runs, an `except` may take it;
 *   XR_STOP (a halt) unwinds without running anything.
 */
#ifndef WEFT_SIM_INTERNAL_H
#define WEFT_SIM_INTERNAL_H

#include "sim/sim.h"
#include "sim/sim_platform.h"

#include <stdatomic.h>

/* A unit's state as the watchdog sees it. */
enum { US_RUNNING = 0, US_COMPUTE, US_SLEEP, US_BLOCKED, US_DONE, US_NEW /* spawned or pool worker, not started */ };

/* A timer's fate (rt_unit.timer_fate). */
enum { TIMER_PENDING = 0, TIMER_CANCELLED = 1, TIMER_FIRED = 2 };

/* What exec_block returns: XR_RAISE unwinds blocks (a lock block releases its lock,
 * a finally block runs) up to a matching except clause; XR_STOP ends the unit at
 * once (the run ends, a daemon is cut off): nothing more runs, not even finally.
 * Object code returns XR_RAISE too when a step raises (rt_raise). */
enum { XR_OK = 0, XR_BREAK = 1, XR_RAISE = 2, XR_STOP = -1 };

/* rt_wait: woken; check the condition again. */
#define RT_AGAIN (-1)

/* Channels of the run's monitor (rt.mon). */
enum { RT_CH_EXIT = 0,     /* a unit exited: joiners, shutdown(wait=yes), the watchdog */
       RT_CH_READY,        /* a unit is ready to start: main, before the run begins */
       RT_NCH };
/* An item id's mark: it was put with a value (ids never reach 2^63). */
#define Q_HAS_VALUE (1ull << 63)
/* Channels of a queue's monitor. */
enum { Q_CH_NOT_EMPTY = 0, Q_CH_NOT_FULL, Q_CH_JOINED, Q_CH_FED /* an item left the pipe: feeders move on */,
       Q_NCH };
/* Channels of an rwlock's monitor. */
enum { RW_CH_READERS = 0, RW_CH_WRITERS, RW_NCH };
/* Channels of a pipe's monitor: data (or end of file) may be there; room to write;
 * the message lock (one sender and one receiver at a time: a message is never cut). */
enum { P_CH_DATA = 0, P_CH_ROOM, P_CH_TURN, P_NCH };
/* Channel 0 of the futures monitor (rt.fmon): a future finished or was cancelled.
 * Channel 1 + k: work (or shutdown) for the workers of the k-th pool. */
enum { F_CH_DONE = 0 };

typedef struct rt_unit rt_unit;
typedef struct rt rt;
typedef struct rt_gil rt_gil;        /* sim_gil.h */

typedef struct rt_queue {
    uint64_t *items;                 /* ring of item ids; Q_HAS_VALUE marks an item put with value= */
    int64_t *vals;                   /* the items' values, beside items[] */
    _Atomic int64_t size;            /* count, for `size Q` (written under the monitor, read without) */
    uint32_t *owner;                 /* processes: per slot, the unit that put the item (its feeder) */
    int64_t max_fed;                 /* processes: items the pipe holds (64 KiB / item bytes, at least 1);
                                        the items behind them wait in their putters' feeders */
    int64_t cap, head, count;
    uint64_t next_item;
    uint32_t kind;                   /* trc_queue_kind */
    int64_t *prio;                   /* priority queues: the items' priorities (items[] is then a heap) */
    int64_t unfinished;              /* puts not yet matched by a task_done */
    uint32_t getters, putters;       /* units waiting to get / to put */
    uint32_t flushers;               /* processes: units whose exit waits for their feeder */
} rt_queue;

typedef struct rt_waiter { uint32_t unit; uint64_t seq; bool notified; } rt_waiter;

/* A future: every field is guarded by rt.fmon. */
enum { FS_PENDING = 1, FS_RUNNING, FS_DONE, FS_CANCELLED };
typedef struct rt_fut {
    uint64_t id;                     /* per pool, from 1 (SUBMIT arg) */
    uint32_t pool;                   /* object index */
    uint32_t task;
    int64_t arg;
    int state;                       /* FS_* */
    int outcome;                     /* trc_outcome once done */
    uint32_t submitter, worker;
    uint64_t done_seq;               /* completion order, from 1 */
    uint32_t *cbs; size_t ncbs, cap_cbs;   /* done-callbacks: task indexes, in registration order (run memory) */
    bool yielded;                    /* as_completed handed it to its submitter */
    const char *err; uint32_t err_id; sim_pos err_pos;   /* outcome ERROR: the task's error, where raised */
    bool retrieved;                  /* its error was handed to someone (result, map, as_completed) */
    struct rt_fut *next;             /* the pool's queue */
    /* a task's handle (create_task): pool is UINT32_MAX, worker is the task's unit */
    bool awaited;                    /* its result was taken (await, gather, wait_for, result, as_completed) */
    sim_pos made_at;                 /* the create_task (or gather) step that made it */
} rt_fut;
static inline bool rt_fut_is_task(const rt_fut *f) { return f->pool == UINT32_MAX; }

/* An object: a monitor and what it guards. */
typedef struct rt_obj {
    const sim_object *decl;
    uint32_t id;                     /* trc object id (1-based) */
    sim_mon *mon;                    /* every kind but counters and pools (pools use rt.fmon) */
    _Atomic int64_t owner;           /* lock, rlock: the holder; rwlock: the writer; -1 = none; -2: a
                                        plain lock being released by a unit that does not hold it */
    int64_t depth;                   /* lock, rlock: its owner's holds (only the owner touches it) */
    _Atomic uint32_t nwait;          /* lock, rlock, semaphore: units waiting */
    rt_queue queue;
    int64_t value;                   /* semaphore: free permits; event: flag; barrier: arrived */
    uint64_t seq;                    /* event: set count; condition: notify count; barrier: generation */
    uint32_t waiting;                /* event: units waiting */
    uint64_t set_t, clear_t;         /* event: when it was last set and last cleared (run clock; 0: never) */
    uint32_t setter;                 /* event: the unit that last set it */
    rt_waiter *waiters; size_t nwaiters, cap_waiters;   /* condition: FIFO of waiters */
    _Atomic int64_t counter;         /* counter value */
    _Atomic uint64_t lost;           /* counter: updates overwritten by racy writes (an int64, saturated) */
    /* pools (guarded by rt.fmon) */
    unsigned pool_ch;                /* its workers' channel of rt.fmon */
    rt_fut *qhead, *qtail;
    uint32_t queued, idle, started;
    uint64_t next_id;
    bool shut;
    uint32_t *readers; size_t nreaders, cap_readers;   /* rwlock: units holding it for reading */
    uint32_t writers_waiting;        /* rwlock */
    /* processes (sim_obj_pipe.c, sim_obj_shm.c, sim_obj_var.c, sim_manager.c) */
    int rfd, wfd;                    /* pipe, manager (its request pipe): the descriptors */
    uint8_t *holds;                  /* pipe: per process (a unit index; nunits = main), the ends its
                                        descriptor table has open (trc_pipe_end bits; guarded by mon) */
    uint64_t next_msg;               /* pipe: SEND ids (guarded by mon) */
    int64_t sender, receiver;        /* pipe: the unit writing / reading a message now, -1: none (mon) */
    _Atomic uint64_t *shm;           /* shm: the segment, in words (cap_value bytes, rounded up to 8) */
    _Atomic uint64_t stamps;         /* shm: writes so far (each stamps its words with its number) */
    _Atomic uint64_t torn;           /* shm: reads that saw parts of two writes */
    _Atomic int unlinked;            /* shm */
    _Atomic int64_t *var;            /* var: its value; every process has its own copy (alloc_private) */
    uint32_t server;                 /* manager: its server unit */
    int64_t final;                   /* managed counters and vars: the value the server had at its end */
    _Atomic int final_set;
    bool broken;                     /* barrier: broken (abort, a waiter's timeout) until reset */
    uint64_t breaks;                 /* barrier: breaks and resets so far (its waiters see one happen) */
} rt_obj;

struct rt_unit {
    _Alignas(64) _Atomic uint64_t steps;   /* completed steps; only this unit writes it */
    rt *r;
    sim_punit *pu;                   /* the unit as its platform knows it */
    sim_mon *mon;                    /* its own monitor: its start, its sleeps, a modelled compute */
    _Atomic(sim_mon *) wait_mon;     /* the monitor it waits on (or last waited on): rt_halt wakes it */
    uint64_t nwaits;                 /* rt_wait calls so far: a loop iteration without one spins */
    uint32_t index;
    int64_t index_in_actor;
    const sim_actor *actor;
    char name[96];
    trc_ring *ring;
    _Atomic int state;               /* US_* */
    _Atomic uint32_t wait_obj;       /* object index + 1 while blocked */
    _Atomic int wait_op;
    _Atomic uint64_t wait_since;     /* run clock ns */
    _Atomic uint64_t wait_deadline;  /* run clock ns; 0 = waits forever */
    uint64_t rng;
    bool timed_out;                  /* the last blocking step timed out (or failed: ok is false) */
    bool autostart;                  /* starts with the run (else: spawned, or a pool worker) */
    bool daemon;
    uint32_t pool;                   /* pool workers: the pool's object index; UINT32_MAX otherwise */
    _Atomic int start_req;           /* may start: at the run's start, spawned, or started by its pool */
    _Atomic int halt;                /* stop now: the run is aborted, or the daemon is cut off */
    _Atomic int killed;              /* a daemon cut off at exit */
    _Atomic int died;                /* ended without returning (a killed process): seen by the watchdog */
    _Atomic uint64_t wait_arg;       /* JOIN: the unit joined */
    _Atomic(rt_fut *) wait_fut;      /* RESULT: the future waited for */
    int64_t arg;                     /* the running task's or item's arg */
    int64_t *locals;                 /* thread-local values (private), and context variables */
    int64_t *tls;                    /* the thread-locals its thread shares: locals, or its loop's */
    const sim_stmt *body;            /* what it runs (an actor's body, a created task's); NULL: a pool worker */
    uint32_t loop;                   /* coroutines: the loop it runs on; UINT32_MAX: a thread of its own */
    uint32_t tkind, parent;          /* its kind and parent in the recording (trc_unit) */
    bool created;                    /* made at run time (create_task) */
    rt_fut *handle;                  /* created: the handle its awaiters wait on */
    _Atomic int cancel_req;          /* cancel asked: delivered at its next wait */
    bool cancelled;                  /* a cancellation was delivered: the unit unwinds (finally blocks run) */
    int cancel_by;                   /* what asked it: 1 a cancel step, 2 the loop closing (every actor done) */
    uint32_t cb_depth;               /* done-callbacks running inline, one inside another */
    rt_fut **slots;                  /* future slots (submit ... as F) (run memory, this unit's) */
    rt_fut **mine; size_t nmine, cap_mine;   /* futures it submitted, for as_completed (run memory, this unit's) */
    _Atomic uint64_t t_exit;         /* run clock ns */
    /* the GIL (sim_gil.h): its process's, NULL when the run has none */
    rt_gil *gil;
    bool gil_held;                   /* only this unit (a loop's: its thread) reads and writes it */
    _Atomic(struct rt_unit *) gil_cur;   /* a loop's unit: its task computing with the GIL (a drop request reaches it) */
    _Atomic int breaker;             /* RT_BRK_*: a compute stops early (halted, or asked to drop the GIL) */
    /* processes (sim_procs.c) */
    uint8_t pkind;                   /* SIM_PU_PROCESS or SIM_PU_THREAD (on a platform of processes) */
    uint8_t start;                   /* SIM_START_FORK or SIM_START_SPAWN */
    uint32_t launcher;               /* the unit whose process launched it; UINT32_MAX: main */
    uint32_t host;                   /* a thread unit's process: the launcher's (UINT32_MAX: main) */
    uint32_t manager;                /* a manager's server unit: the manager's object index; else UINT32_MAX */
    int exit_code;                   /* `exit N`: the code its process exits with */
    bool exited;                     /* it ran `exit` */
    int reply_rfd, reply_wfd;        /* its reply pipe from managers (-1: none) */
    uint64_t next_req;               /* requests it made to managers */
    _Atomic int ended;               /* its process's end was recorded (PROC_EXIT) */
    /* errors (private): the one being raised (XR_RAISE), and the one an except clause handles */
    const char *exc; uint32_t exc_id; sim_pos exc_pos;
    const char *handled; uint32_t handled_id; sim_pos handled_pos;
    _Atomic int failed;              /* it ended by an error it did not catch (exc says which) */
    _Atomic int timer_fate;          /* a timer: TIMER_* (changed under its own monitor) */
    /* counters read by expressions (private), written as COUNTER_READS at its exit */
    uint32_t *rd_obj; uint64_t *rd_n; size_t nrd, cap_rd, cap_rdn;
};

struct rt {
    const sim_program *prog;
    const sim_desc *desc;
    sim_plat *plat;
    const sim_plat_ops *ops;
    rt_obj *objs;
    rt_unit *units;                  /* cache-line aligned inside units_mem: each unit's step count has its line */
    void *units_mem;
    _Atomic uint32_t nunits;         /* grows while running with created tasks (under mon) */
    uint32_t cap_units;
    uint32_t nstatic;                /* actor instances and pool workers: prog->nunits */
    _Atomic int abort;
    sim_mon *mon;                    /* the run's monitor: RT_CH_* */
    uint64_t exits;                  /* units that have exited (guarded by mon) */
    _Atomic uint64_t nstarted;       /* units whose start was asked (rt_count_start) */
    _Atomic uint32_t live_main;      /* ... of them, the ones that keep the run going (actors, threads) not exited */
    uint32_t ready;                  /* units waiting for their start (guarded by mon) */
    _Atomic int error_set;           /* 0 none; 1 the first error is being written; 2 written */
    char error[1024];                /* a runtime misuse (unlock not held) */
    /* pools and futures */
    sim_mon *fmon;                   /* guards every future and every pool's queue */
    rt_fut **futs; size_t nfuts, cap_futs;
    uint64_t done_seq;
    uint64_t task_failures;          /* tasks (create_task) that ended cancelled or aborted (guarded by fmon) */
    _Atomic uint64_t *task_done_t;   /* per task: its last completion (run clock ns) */
    uint32_t *task_str;              /* per task: its name's string index (SUBMIT extra - 1) */
    _Atomic uint64_t *mark_t;        /* per mark text: its first occurrence (run clock ns) */
    rt_gil *gils; uint32_t ngils;    /* the GILs (sim_gil.c): none when the program has none */
    struct sim_sched *sched;         /* the kernel's context switches (sim_sched.c), NULL: none */
    int sched_mode;                  /* RT_SCHED_*: what the run knows of the kernel's scheduling */
    bool exiting;                    /* every non-daemon actor is done: pools shut down, daemons next */
    bool killing;
    /* coroutines (sim_async_loop.c) */
    bool coro;                       /* the coroutines platform: units are tasks on loops */
    uint32_t nloops, loop_unit0;     /* the loops and their units (the first units) */
    uint32_t ubase;                  /* the first actor instance: prog's unit0 + ubase is a unit's index */
    int64_t **loop_tls;              /* per loop: the thread-locals its tasks share */
    struct rt_loop *loops;           /* per loop: what its hooks recorded */
    _Atomic int recording;           /* the run has begun: the loops' hooks record */
    uint32_t *created_per_task;      /* per task: how many create_task made (their names: T#k) (under mon) */
    bool procs;                      /* units are processes (the platform launches them) */
    bool *loop_proc;                 /* coroutines: loop l runs in a process of its own (own_loop=process); NULL: none */
    bool coro_procs;                 /* coroutines with a process pool: its workers are processes (pkind
                                        SIM_PU_PROCESS; every other unit SIM_PU_THREAD), the run's memory shared */
    size_t prefaulted;               /* ring bytes made resident up front (main) */
    uint32_t nmanagers;
    /* strings made while running (LOCAL_SET texts), written after the run (guarded by smon) */
    sim_mon *smon;
    char warnings[1024];             /* done-callbacks that raised (guarded by smon) */
    const char **strs; size_t nstrs, cap_strs;
    const char *strs_overflow;       /* the text that stands in past SIM_MAX_RUN_STRINGS (run memory) */
    uint32_t *slots; size_t nslots;  /* hash of strs: index + 1, 0 = free */
    trc_recorder *rec;               /* the watchdog ends the run on a write error or the event limit */
};

/* ---- the platform, through the run --------------------------------------- */

static inline uint64_t rt_now(const rt *r) { return r->ops->now(r->plat); }
/* When something happened, for `expect order`: the run's clock, or on a virtual clock the
 * recorder's (1 ns per hand-over at one instant), so things at one instant keep their order. */
static inline uint64_t rt_stamp(const rt *r) {
    const _Atomic uint64_t *c = r->ops->clock_source(r->plat);
    return c ? atomic_load(c) : rt_now(r);
}
static inline void rt_lock(rt_unit *u, sim_mon *m) { u->r->ops->mon_lock(u->r->plat, u->pu, m); }
static inline void rt_unlock(rt_unit *u, sim_mon *m) { u->r->ops->mon_unlock(u->r->plat, u->pu, m); }
static inline void rt_wake(rt *r, sim_mon *m, unsigned ch, bool all) { r->ops->mon_wake(r->plat, m, ch, all); }
void *rt_alloc(rt *r, size_t n);                 /* run memory, zeroed; NULL when exhausted */
void rt_release(rt *r, void *p, size_t n);
/* Grows *p (n elements of elem bytes, capacity *cap) to hold need: false when run memory is exhausted. */
bool rt_grow(rt *r, void **p, size_t need, size_t *cap, size_t elem);
#define RT_GROW(r, p, need, cap) rt_grow((r), (void **)&(p), (need), &(cap), sizeof *(p))

/* ---- waiting and stopping (sim_wait.c) ----------------------------------- */

static inline bool rt_aborted(const rt *r) { return atomic_load_explicit(&r->abort, memory_order_relaxed) != 0; }
static inline bool rt_halted(rt_unit *u) { return atomic_load_explicit(&u->halt, memory_order_relaxed) != 0; }
static inline void rt_set_state(rt_unit *u, int st) { atomic_store_explicit(&u->state, st, memory_order_release); }
static inline bool rt_error_ready(rt *r) { return atomic_load_explicit(&r->error_set, memory_order_acquire) == 2; }
static inline uint32_t rt_obj_id(const rt *r, uint32_t oi) { return oi == UINT32_MAX ? 0 : r->objs[oi].id; }

/* Publishes that u waits (on object oi, or UINT32_MAX for none) and records WAIT_BEGIN. */
void rt_begin_wait(rt_unit *u, uint32_t oi, int op, uint64_t deadline, uint64_t arg);
/* Records WAIT_END with its outcome and publishes that u runs again. */
void rt_end_wait(rt_unit *u, uint32_t oi, int outcome, uint32_t extra);
/* One wait of u on channel ch of monitor m, which u holds: RT_AGAIN when woken
 * (the caller checks its condition again), else how the wait ends:
 * TRC_OUT_ABORTED when u must stop, TRC_OUT_TIMEOUT once the deadline (0 = none)
 * has passed. */
int rt_wait(rt_unit *u, sim_mon *m, unsigned ch, uint64_t deadline);
/* rt_wait's twin for a descriptor: one wait of u (m held) until fd is ready for `events`, channel ch
 * of m is woken, or the deadline; the same outcomes. */
int rt_fd_wait(rt_unit *u, sim_mon *m, unsigned ch, int fd, short events, uint64_t deadline);
/* Waits (m held) until cond holds: out is TRC_OUT_OK, or how the wait ended. */
#define RT_WAIT_UNTIL(u, m, ch, cond, deadline, out)                          \
    do {                                                                      \
        (out) = TRC_OUT_OK;                                                   \
        while (!(cond)) {                                                     \
            int s_ = rt_wait((u), (m), (ch), (deadline));                     \
            if (s_ != RT_AGAIN) { (out) = s_; break; }                        \
        }                                                                     \
    } while (0)
/* Stops unit u at its next check, and wakes it if it waits. `by` is the caller's
 * platform record. The caller holds no monitor. */
void rt_halt(rt *r, rt_unit *u, sim_punit *by);
/* Ends the run: raises the abort flag and halts every unit. The caller holds no monitor. */
void rt_stop_all(rt *r, sim_punit *by);
/* A runtime error (misuse, a value out of range) at pos, in unit u: the first one
 * is kept and ends the run. The caller holds no monitor. */
void rt_error_at(rt_unit *u, sim_pos pos, const char *msg);
void rt_error(rt_unit *u, const sim_stmt *s, const char *msg);
/* The run's shared memory is exhausted: a runtime error at pos. */
void rt_out_of_memory(rt_unit *u, sim_pos pos);

/* ---- the interpreter (sim_interp.c) -------------------------------------- */

int exec_block(rt_unit *u, const sim_stmt *s);
/* The object a step works on: `base`, or with an index the element base + index
 * (an index out of range is a run-time error at the index, naming the unit). */
int rt_element(rt_unit *u, uint32_t base, const sim_expr *index, uint32_t *out);
int rt_ev(rt_unit *u, const sim_expr *e, int64_t *out);
int rt_ev_dur(rt_unit *u, const sim_expr *e, uint64_t *out);
/* Raises an error in u: records RAISE (how: trc_raise_how, obj: object index or
 * UINT32_MAX, extra: a future id), makes it u's error in flight and returns
 * XR_RAISE. text lives as long as the run; id is its string index. */
int rt_raise(rt_unit *u, sim_pos pos, uint16_t how, uint32_t oi, uint32_t extra, const char *text, uint32_t id);
/* The same for a text known only now (interned). */
int rt_raise_text(rt_unit *u, sim_pos pos, uint16_t how, uint32_t oi, uint32_t extra, const char *text);
/* Whether an `except PATTERN` catches an error: the same text, or a text that
 * starts with PATTERN and ':' (`except "ValueError"` catches "ValueError: ..."). */
bool rt_error_matches(const char *text, const char *pattern);
/* The text of run string `id` (a program string or one made while running). */
const char *rt_string(rt *r, uint32_t id);
/* The steps (sim_errors.c): raise, and try/except/finally. */
int exec_raise(rt_unit *u, const sim_stmt *s);
int exec_try(rt_unit *u, const sim_stmt *s);
/* After the run: what Python would print about errors the run survived. Thread: main. */
void rt_warnings(rt *r, sim_result *res);
int rt_timeout_of(rt_unit *u, const sim_stmt *s, uint64_t *deadline);

/* ---- objects (sim_obj_*.c) ---------------------------------------------- */

/* lock, rlock, semaphore: 0 acquired, 1 timed out, -1 aborted. */
int obj_lock(rt_unit *u, uint32_t oi, uint64_t deadline);
/* 0, or XR_RAISE: a lock nobody holds, an rlock this unit does not hold, a bounded
 * semaphore released past its start. */
int obj_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s);
bool obj_holds(rt_unit *u, uint32_t oi);
bool obj_rlock_too_deep(rt_unit *u, uint32_t oi, const sim_stmt *s);
/* A condition's lock, released fully while it waits: the depth to restore, then restored. */
int64_t obj_lock_release_all(rt_unit *u, uint32_t li);
int obj_lock_restore(rt_unit *u, uint32_t li, int64_t depth);

/* put: `val` is the item's value when has_val; get: *val gets the value (0 for an item put without one). */
int obj_put(rt_unit *u, uint32_t oi, uint64_t deadline, int64_t prio, bool nowait, bool has_val, int64_t val);
int obj_get(rt_unit *u, uint32_t oi, uint64_t deadline, bool nowait, int64_t *val);
int obj_task_done(rt_unit *u, uint32_t oi, const sim_stmt *s);
int obj_queue_join(rt_unit *u, uint32_t oi, uint64_t deadline);
int obj_queue_init(rt *r, rt_obj *o);
/* processes: whether unit ui still has items in its feeder (*n of them). Monitor held. */
bool obj_queue_unfed(const rt_obj *o, uint32_t ui, int64_t *n);

int obj_event_wait(rt_unit *u, uint32_t oi, uint64_t deadline);
void obj_event_set(rt_unit *u, uint32_t oi, bool set);
int obj_cond_wait(rt_unit *u, uint32_t oi, uint64_t deadline);
int obj_notify(rt_unit *u, uint32_t oi, int64_t n, const sim_stmt *s);
/* 0 passed (or timed out, which breaks it: then XR_RAISE), -1 aborted, XR_RAISE broken. */
int obj_barrier(rt_unit *u, uint32_t oi, uint64_t deadline, sim_pos pos);
/* abort (broken = true) or reset (whole again): its waiters get BrokenBarrierError. */
void obj_barrier_break(rt_unit *u, uint32_t oi, bool reset);

int obj_read_lock(rt_unit *u, uint32_t oi, uint64_t deadline);
int obj_write_lock(rt_unit *u, uint32_t oi, uint64_t deadline);
int obj_read_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s);
int obj_write_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s);

/* oi: the counter; li: INCR locked's lock */
int obj_incr(rt_unit *u, const sim_stmt *s, uint32_t oi, uint32_t li);

/* ---- processes: objects and steps (sim_obj_pipe.c, sim_obj_shm.c, sim_obj_var.c, sim_manager.c,
 *      sim_procs.c) ----------------------------------------------------------------------------- */

int obj_pipe_init(rt *r, rt_obj *o);
void obj_pipe_free(rt *r, rt_obj *o);
int obj_send(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline);
int obj_recv(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline);
int obj_poll(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline);
int obj_close(rt_unit *u, const sim_stmt *s, uint32_t oi);
/* Process units: the pipe ends a new process has (its launcher's), given before it is made. */
void pipes_inherit(rt *r, uint32_t child, uint32_t launcher);
/* A process (a unit index, or main: r->nunits) closes every end it has (main once it has
 * launched the units that start with the run; a spawned worker the ends its body never uses). */
void pipes_close_all(rt *r, uint32_t proc, sim_punit *self, const bool *keep_read, const bool *keep_write);
/* A unit's process has ended: it holds no end any more. */
void pipes_process_gone(rt *r, uint32_t proc, sim_punit *by);
/* The units (processes) that hold end `end` of pipe oi, for the watchdog. */
uint32_t pipe_holders(rt *r, uint32_t oi, unsigned end, uint32_t *out, uint32_t cap);

int obj_shm_init(rt *r, rt_obj *o);
int obj_shm_write(rt_unit *u, const sim_stmt *s, uint32_t oi);
int obj_shm_read(rt_unit *u, const sim_stmt *s, uint32_t oi);
int obj_shm_unlink(rt_unit *u, const sim_stmt *s, uint32_t oi);
/* Segments never unlinked: a line each for the run's report. */
void shm_leaks(const rt *r, char *out, size_t cap);

int obj_var_init(rt *r, rt_obj *o);
int obj_assign(rt_unit *u, const sim_stmt *s, uint32_t oi);
/* The value of a var or a counter as unit u reads it (a managed one asks its manager). */
int64_t obj_value(rt_unit *u, uint32_t oi);

/* Managers: the server's loop, and a client's request (0 with *out, or -1: the run ends). */
int manager_serve(rt_unit *u);
int manager_request(rt_unit *u, uint32_t oi, int op, int64_t value, int64_t *out);
int manager_init(rt *r);
void manager_free(rt *r);

/* The steps of processes (sim_procs.c): pipes, shm, vars, exit, crash, terminate, kill. */
int proc_step(rt_unit *u, const sim_stmt *s, uint32_t oi);
/* Pickling: CPU time for one message of object oi, recorded (aux: trc_compute_kind). */
void proc_pickle(rt_unit *u, uint32_t oi, int kind, uint64_t ns, int64_t bytes);
/* A unit's process ends: its queue feeders flush first (mp.Queue), recorded as a wait. */
int proc_flush_feeders(rt_unit *u);
/* The platform's on_end (main's process): a unit's process has ended. */
void proc_ended(void *ctx, sim_punit *pu);
/* Launches unit `child` from `by` (processes); a runtime error (the run ends) when the OS refuses. */
int proc_launch(rt *r, rt_unit *by, rt_unit *child, sim_pos pos);

/* ---- units (sim_units.c) -------------------------------------------------- */

void unit_main(void *arg);
/* u's start is asked (start_req set): counted for the watchdog. */
void rt_count_start(rt *r, const rt_unit *u);
/* Lets `child` begin; on a platform of processes the caller then launches it (proc_launch), with no
 * monitor held. */
void unit_start(rt_unit *starter, rt_unit *child);
int unit_spawn(rt_unit *u, const sim_stmt *s);
int unit_join(rt_unit *u, const sim_stmt *s, uint64_t deadline);
/* cancel T: a timer that has not fired will not (ok says whether it had not). */
int unit_timer_cancel(rt_unit *u, const sim_stmt *s);

/* ---- pools and futures (sim_pool.c) -------------------------------------- */

rt_fut *pool_submit(rt_unit *u, uint32_t oi, uint32_t task, int64_t arg, sim_pos pos);
int pool_result(rt_unit *u, const sim_stmt *s, uint64_t deadline);
int pool_cancel(rt_unit *u, const sim_stmt *s);
int pool_on_done(rt_unit *u, const sim_stmt *s);
int pool_map(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline);
int pool_as_completed(rt_unit *u, const sim_stmt *s, uint64_t deadline);
int pool_shutdown(rt_unit *u, const sim_stmt *s, uint32_t oi);
int pool_worker_loop(rt_unit *u);
/* Every non-daemon actor is done: no pool takes new work (queued tasks still run). Thread: main. */
void pool_shut_all(rt *r, sim_punit *by);

/* ---- tasks (sim_async.c) and loops (sim_async_loop.c) ------------------------ */

/* create_task T [arg] [as F]: makes and starts a task (a thread on threads). NULL when it
 * could not (the run is ending, or an error was raised). */
rt_fut *async_create(rt_unit *u, uint32_t task, int64_t arg, sim_pos pos);
int async_step(rt_unit *u, const sim_stmt *s);        /* CREATE_TASK, AWAIT, GATHER, AWAIT_FOR, TRY */
/* A handle's result, for result F [timeout]: waits (without cancelling it on a timeout). */
int async_result(rt_unit *u, rt_fut *f, uint64_t deadline, sim_pos pos);   /* 0, -1, or XR_RAISE: the task raised */
int async_cancel(rt_unit *u, rt_fut *f);              /* cancel F on a task */
/* A created task ends (on itself): its handle is done, its awaiters wake, its callbacks run. */
void async_task_end(rt_unit *u, int rc);
/* Every actor is done: the tasks still running are cancelled, as asyncio.run does. Thread: main. */
void async_cancel_rest(rt *r, sim_punit *by);
/* After the run: tasks never awaited, errors never retrieved (lines for the report). */
void async_report(rt *r, char *out, size_t cap);
/* How many tasks the report names as never awaited (expect never_awaited). */
uint32_t async_never_awaited(const rt *r);
/* The loops' units, hooks and shared thread-locals (sim_async_loop.c). */
int async_loops_setup(rt *r, diag *d);
void async_loops_teardown(rt *r);
void async_hooks(rt **r, sim_plat_hooks *out);   /* the hooks read *r (NULL: not yet) */
uint32_t async_nloops(const sim_program *p);       /* the loops a coroutines run of p has */
/* out[l] (async_nloops entries): loop l runs in a process of its own (own_loop=process); returns
 * the first actor with own_loop=process (NULL: none) */
const sim_actor *async_loop_processes(const sim_program *p, bool *out);
void async_loops_end(rt *r);                          /* the loops' UNIT_EXIT, after the units are joined */
/* An event on loop `loop`'s own lane (its GIL events: the loop's thread holds the GIL for its
 * tasks). Thread: the loop's (a task of it, or its hooks). */
void async_loop_emit(rt *r, uint32_t loop, bool sync, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
                     uint32_t extra);
/* Checks that every construct of the program means something on `backend`. */
int async_backend_check(const sim_program *p, const char *backend, diag *d);
void rt_created_free(rt *r, rt_unit *u);           /* a created unit's locals and slots (sim_runtime.c) */
bool async_program_creates(const sim_program *p);    /* it makes units at run time */

static inline bool rt_stopping(rt_unit *u) { return rt_halted(u) || u->cancelled; }

/* ---- texts (sim_text.c) ---------------------------------------------------- */

/* A string made at run time: its index follows the program's own strings. */
uint32_t rt_intern(rt *r, sim_punit *self, const char *s);
int rt_strings_init(rt *r);
void rt_strings_free(rt *r);
/* Appends a formatted line to a report (truncated at cap). */
void rt_rep(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- what the kernel did (sim_sched.c over sim_plat_sched.c) ------------------ */

enum { RT_SCHED_NONE = 0 /* a virtual clock */, RT_SCHED_KERNEL = 1 /* perf context switches */,
       RT_SCHED_FALLBACK = 2 /* perf refused: CPU time vs wall time and switch counts */ };
/* Before the units start: opens the kernel's context-switch records when the run
 * is on a real clock; a refusal is said in res->note (once). Thread: main. */
void sched_begin(rt *r, sim_result *res);
/* At a unit's end: its switch counts (SCHED_COUNTS). Thread: u. */
void sched_unit_end(rt_unit *u);
/* After the recorder stopped: the context switches of the run's units as
 * SCHED_SWITCH events of the run (run: its t_start and the units' tids).
 * Thread: main. */
int sched_end(rt *r, trc_writer *w, const trc_run *run, uint64_t t_end, sim_result *res, diag *d);
/* ---- the program in run memory (sim_prog_clone.c) ------------------------------ */

/* A deep copy of p in run memory (every process maps it at one address: a spawned process can use
 * it), or NULL when run memory is exhausted. Thread: main, before any unit begins. */
const sim_program *sim__program_clone(rt *r, const sim_program *p);

/* ---- the run's error, from main ----------------------------------------------- */

/* An error found by main (a unit's process could not be made): the first one is kept and ends the run. */
void rt_error_main(rt *r, const char *msg);

/* ---- the watchdog and the expectations ------------------------------------- */

/* Runs on main until the run ends; writes the report; returns the trc_run_end. */
uint32_t watchdog_run(rt *r, uint64_t t0, char *report, size_t cap);
/* The text of expectation at pos as written (sim_expect.c): for its failure's line. */
void expect_text(const sim_program *p, sim_pos pos, char *out, size_t cap);
void expect_check(sim_result *res, const sim_program *prog, const rt *r, uint32_t end);

/* sim_runs.c: does the expression select a run by its backend (makespan[backend=B])? */
bool sim_expr_names_backend(const sim_expr *e);
/* sim_runs.c: does a value of the swept param run more than once (a sweep on several backends)? */
bool sim_runs_repeat_values(const sim_run_key *keys, uint32_t n);

#endif
