/* sim_platform.h: the seam between the runtime and what it runs on.
 *
 * The runtime (the interpreter, every object's semantics, futures and pools,
 * the watchdog, the expectations, the recording of every step) is written
 * once. What differs between backends is behind this interface:
 *
 *      sim_interp.c  sim_obj_*.c  sim_pool.c  sim_units.c  sim_watchdog.c ...
 *      (object code: waits only on monitors, allocates run-shared state here)
 *                                  │
 *   ═══════════════════════════ sim_plat_ops ═══════════════════════════════
 *          │                    │                      │                 │
 *    sim_plat_threads.c   sim_plat_test.c        (processes)       (coroutines)
 *    a pthread per unit   one unit at a time,    fork per unit;    a stackful task
 *    mutex + condvar      a baton; waiter lists  robust pshared    per unit on a
 *    per monitor          and a virtual clock    mutex + condvar   loop; waiting
 *    process heap         process heap           in a MAP_SHARED   parks the task;
 *    CLOCK_MONOTONIC      virtual ns             arena made        executor workers
 *                                                before the fork   on real threads
 *
 * Who is who
 *   main   the thread that calls sim_run(). It creates the platform, the
 *          monitors and the units, then runs the watchdog, then joins the
 *          units and destroys the platform. It has a unit record of its own
 *          (main_unit) so that it can wait on monitors like any unit.
 *   unit   an actor instance or a pool worker: a thread, a process or a task.
 *          Its entry function runs on it; every call that takes `self` is made
 *          by that unit (or main, with main's record) about itself.
 *
 * Monitors
 *   Every object is a monitor: a lock and a few wait channels (a queue has
 *   "not empty", "not full" and "joined"). The object code holds the lock
 *   while it reads or changes the object, and waits on a channel for the
 *   object to change:
 *
 *       mon_lock(m)
 *       while (!ready && !halted && !past the deadline) mon_wait(m, ch, deadline)
 *       ... change the object; mon_wake(m, other_ch, all?) ...
 *       mon_unlock(m)
 *
 *   A wait may return spuriously; the caller always re-checks. The runtime
 *   never holds a monitor across anything that waits other than mon_wait on
 *   that same monitor, and never holds two monitors at once while waiting:
 *   a platform may rely on it (the test platform checks it).
 *
 *   The end of a run needs no slices: to stop a unit the runtime raises the
 *   unit's halt flag, then takes the monitor the unit last said it waits on
 *   and wakes every channel of it (SIM_MON_EVERY). Because a waiting unit
 *   publishes that monitor and reads its halt flag while it holds the
 *   monitor, the wake cannot be lost. Sleeping and the start signal are
 *   waits on the unit's own monitor, so they end the same way.
 *
 *   The plain lock's and rlock's owner word is taken with a C11 atomic
 *   compare-and-swap when it is free and the monitor is used only to wait
 *   for it: run memory must hold lock-free atomics that every unit sees
 *   (the heap for threads and tasks; a shared mapping for processes, where
 *   lock-free atomics are address-free).
 *
 *   A monitor may have waiters of different kinds on one platform (the
 *   coroutines backend: a task awaiting a future that an executor thread
 *   completes). mon_wait is called on the waiting unit and waits the way that
 *   unit waits (park the task, or block the thread); mon_wake must reach
 *   every waiter whatever its kind. The object code does not know which.
 *
 * Memory
 *   Every piece of state that more than one unit reads (objects and their
 *   waiter lists, futures and callback lists, unit records, run-time
 *   strings, the run's flags) is allocated with alloc/resize, never with
 *   malloc: on the processes platform that memory is a shared mapping made
 *   before the first fork, at the same address in every process, so
 *   pointers into it stay valid. A unit's private state (its thread-local
 *   values, its future slots) may live on the ordinary heap.
 *
 * Time
 *   now() is the clock of the run and of its recording: CLOCK_MONOTONIC, or
 *   a virtual clock. A platform with a virtual clock returns its counter from
 *   clock_source() and the recorder stamps events with it. Deadlines are
 *   absolute times of now(); 0 means "no deadline".
 *
 * Abort and timeout
 *   The platform knows neither an abort nor a step's timeout. A timeout is a
 *   deadline given to mon_wait (which returns 1 once now() >= deadline) or
 *   the ns given to compute. An abort (the run ends, a daemon is cut off) is
 *   the runtime's halt flag plus a wake of the monitor the unit waits on:
 *   mon_wait returns 0 and the runtime sees the flag; compute watches the
 *   flag (or waits on `own`, which the runtime wakes too) and returns the CPU
 *   time burnt so far. unit_join waits only for units the runtime has
 *   halted first, and yield and spin return as soon as others have run, so
 *   no platform needs a cancellation of its own.
 *
 * Units that die
 *   A thread cannot die alone, but a process can (killed, crashed). The
 *   watchdog asks unit_alive() at every check; a unit that died is then
 *   treated as exited without an exit event, and whatever it held stays
 *   held: a plain lock's owner is object state, not the monitor's lock, so a
 *   lock held by a dead process stays held and the watchdog's report says
 *   "held by X, which died". A monitor's own lock held by a unit that dies
 *   (killed inside a step) is made consistent by the platform's next
 *   mon_lock (robust mutexes): the object code changes an object only in
 *   short sections under that lock.
 *
 * Errors
 *   create and unit_start return 0 or -ERR_xxx with the diag filled. The
 *   other calls cannot fail in a way the runtime could act on: alloc and
 *   resize return NULL when the run's memory is exhausted (the runtime then
 *   ends the run with an error naming the step); a broken invariant (a
 *   monitor unlocked by a unit that does not hold it) is a BUG().
 */
#ifndef WEFT_SIM_PLATFORM_H
#define WEFT_SIM_PLATFORM_H

#include "base/base.h"

typedef struct sim_plat sim_plat;          /* one per run; the platform's struct embeds it first */
typedef struct sim_plat_ops sim_plat_ops;
typedef struct sim_mon sim_mon;            /* opaque: a monitor */
typedef struct sim_punit sim_punit;        /* opaque: a unit as its platform knows it */

struct sim_plat { const sim_plat_ops *ops; };

/* mon_wake's channel that means every channel of the monitor. */
#define SIM_MON_EVERY (~0u)
/* The most channels a monitor can have. */
#define SIM_MON_MAX_CHANNELS 4096u

/* What a platform with event loops (coroutines) tells the runtime while it
 * runs, so that the loops themselves are recorded. Every call is made on the
 * loop's own thread (with a virtual clock: the thread that runs every loop),
 * never while a task of that loop runs in between, so a loop's calls never
 * overlap. `unit` is the `arg` a unit was started with. */
typedef struct sim_plat_hooks {
    void *ctx;
    /* A task of `loop` became ready to run: woken (late_ns 0), or its
     * deadline came (late_ns: how much later than the deadline the loop got
     * to it, e.g. because a task blocked the loop). */
    void (*ready)(void *ctx, uint32_t loop, void *unit, uint64_t late_ns);
    /* One iteration of `loop`: `nready` tasks are ready and run now;
     * `ntimers` deadlines came since the last one, the latest of them `lag_ns`
     * late (0 when none). */
    void (*tick)(void *ctx, uint32_t loop, uint32_t nready, uint32_t ntimers, uint64_t lag_ns);
    /* The loop has nothing to run and waits for a deadline, a wake or a file
     * descriptor (begin), or goes on (end). */
    void (*idle)(void *ctx, uint32_t loop, bool begin);
    /* Task `unit` blocks the whole loop (begin: a compute or a blocking sleep
     * on the loop's thread; no other task runs until end). */
    void (*blocked)(void *ctx, uint32_t loop, void *unit, bool begin);
} sim_plat_hooks;

typedef struct sim_plat_desc {
    uint32_t max_units;        /* units the run will start (unit_start calls) */
    uint32_t max_monitors;     /* monitors it will make (mon_new calls), for platforms that size up front */
    size_t shared_bytes;       /* a hint for the shared memory a run needs at start (processes) */
    size_t private_bytes;      /* the memory alloc_private will be asked for (processes) */
    /* Platforms whose units are processes: called in main's process (on a
     * thread of the platform's) once a unit's process (or the process that
     * hosts a thread unit) has ended and been reaped, whether its entry
     * returned or not; unit_status then says how it ended. */
    void (*on_end)(void *ctx, sim_punit *u);
    void *ctx;
    /* The weft executable that `start_method spawn` runs (exec) in its worker
     * mode; NULL: spawn is refused (unit_launch says so). Copied. */
    const char *worker_exe;
    /* coroutines: the event loops (each on a thread of its own; 0 = 1), the
     * stack of each task (0 = SIM_PLAT_TASK_STACK), a virtual clock (every
     * loop and every unit then runs on main's thread, deterministically), and
     * what the loops tell the runtime (NULL: nothing). Others ignore them. */
    uint32_t loops;
    size_t task_stack;
    bool virtual_clock;
    const sim_plat_hooks *hooks;
    /* coroutines: some units are processes of their own (kind SIM_PU_PROCESS,
     * loop SIM_UNIT_OWN_THREAD: a process pool's workers), so the run's memory
     * is one shared mapping of about shared_bytes. Real time only. */
    bool process_units;
    /* coroutines: loop_process[l] (loops entries; NULL: none) says loop l runs in a
     * process of its own, forked from main's when its first task is started (so before
     * that, main starts the tasks of such loops first); needs process_units. Copied. */
    const bool *loop_process;
    bool computes;             /* the program has a compute step: calibrate the burn loop first (else
                                  skip it: a cached calibration is cheap, a fresh one ~50 ms) */
} sim_plat_desc;

/* sim_unit_start.loop for a unit that is a thread of its own (an executor's
 * worker on the coroutines platform; a process of its own with kind
 * SIM_PU_PROCESS and desc.process_units). */
#define SIM_UNIT_OWN_THREAD UINT32_MAX
/* The default stack of a task (coroutines). */
#define SIM_PLAT_TASK_STACK ((size_t)64 * 1024)

/* Units on a platform whose units are processes (sim_unit_start.kind). */
enum { SIM_PU_PROCESS = 0,      /* a process of its own (the default) */
       SIM_PU_THREAD = 1 };     /* a thread inside the process that launches it */
/* How a process unit begins (sim_unit_start.start). */
enum { SIM_START_FORK = 0,      /* fork: a copy of the launcher's memory and descriptors */
       SIM_START_SPAWN = 1 };   /* fork, then exec of the weft worker: a fresh process that
                                   attaches to the run (sim_plat_procs_worker) */
/* Signals a unit can send another (unit_signal) or die by (unit_crash). */
enum { SIM_SIG_KILL = 9, SIM_SIG_SEGV = 11, SIM_SIG_TERM = 15 };

/* How a unit starts: entry(arg) runs on the new unit. `name` names the thread
 * (or process, or task) for the OS tools and in messages; it is copied. kind
 * and start matter only to a platform whose units are processes. */
typedef struct sim_unit_start {
    void (*entry)(void *arg);
    void *arg;
    const char *name;
    uint8_t kind;              /* SIM_PU_* */
    uint8_t start;             /* SIM_START_* */
    /* coroutines: the event loop that runs this unit as a task (0 ..
     * desc.loops - 1), or SIM_UNIT_OWN_THREAD. Other platforms ignore it. */
    uint32_t loop;
} sim_unit_start;

struct sim_plat_ops {
    const char *name;            /* "threads", "test", ... */
    /* true: a unit keeps its processor until it waits (the test platform;
     * coroutines), so the interpreter offers it with spin() at every loop
     * iteration that did not wait; false: units are preempted. */
    bool cooperative;
    /* true: unit_start and mon_new may also be called by a unit while the
     * run goes on (a task or thread started at run time: create_task). */
    bool dynamic_units;

    /* ---- the platform's life ------------------------------------------- */

    /* Creates the platform of one run. Thread: main, first. */
    int (*create)(sim_plat **out, const sim_plat_desc *desc, diag *d);
    /* Frees the platform. The runtime has released every block and monitor
     * it made first (a platform with one arena may simply drop it). Thread:
     * main, last, after every unit_join. */
    void (*destroy)(sim_plat *p);

    /* ---- memory shared by the run's units ------------------------------ */

    /* n zeroed bytes, aligned for any type (max_align_t); NULL when the
     * run's shared memory is exhausted. Large blocks should cost nothing
     * until touched (the run's string table is sized for its limit). Thread:
     * any (processes: any process of the run). */
    void *(*alloc)(sim_plat *p, size_t n);
    /* Grows (or shrinks) a block from alloc to n bytes, keeping its content;
     * bytes past the old size are zeroed. NULL (and q untouched) on failure.
     * Thread: any. */
    void *(*resize)(sim_plat *p, void *q, size_t old_n, size_t n);
    /* Gives a block back (NULL is fine). Thread: any. */
    void (*release)(sim_plat *p, void *q, size_t n);

    /* ---- units --------------------------------------------------------- */

    /* main's own record. Thread: main. */
    sim_punit *(*main_unit)(sim_plat *p);
    /* Starts a unit: entry(arg) runs on it at once (the runtime makes it wait
     * for the run's start on its own monitor). *out is set before entry can
     * run. Thread: main, before the run begins; with dynamic_units also any
     * unit while the run goes on. -ERR_LIMIT when the OS refuses another
     * thread or process (or a task: no memory for its stack). */
    int (*unit_start)(sim_plat *p, sim_punit **out, const sim_unit_start *how, diag *d);
    /* The unit's OS process and thread ids (0 when it has none), valid once
     * its entry has begun. Thread: any. */
    void (*unit_ids)(sim_plat *p, const sim_punit *u, int32_t *pid, int32_t *tid);
    /* Waits until the unit's entry has returned and frees what unit_start
     * made. The runtime halts every unit first, so this never waits for long.
     * Thread: main. */
    void (*unit_join)(sim_plat *p, sim_punit *u);
    /* false once the unit has ended without returning from its entry (a
     * killed process); threads and tasks are always alive until they
     * return. Thread: main (the watchdog). */
    bool (*unit_alive)(sim_plat *p, const sim_punit *u);

    /* ---- monitors ------------------------------------------------------ */

    /* A monitor with nchan wait channels (0 .. SIM_MON_MAX_CHANNELS; 0 is a
     * plain lock). NULL when the run's memory is exhausted. Thread: main,
     * before any unit starts; with dynamic_units also any unit. */
    sim_mon *(*mon_new)(sim_plat *p, unsigned nchan);
    void (*mon_free)(sim_plat *p, sim_mon *m);   /* Thread: main, after every unit_join */
    /* Takes / gives back the monitor's lock. Held briefly: never across a
     * wait other than mon_wait. Not re-entrant. Thread: any (self). */
    void (*mon_lock)(sim_plat *p, sim_punit *self, sim_mon *m);
    void (*mon_unlock)(sim_plat *p, sim_punit *self, sim_mon *m);
    /* With the lock held: releases it, waits on channel ch until woken or
     * until now() >= deadline (0: no deadline), takes it back. May return
     * spuriously. Returns 1 when the deadline has passed, else 0. On the
     * cooperative platforms this is where other units run. Thread: self. */
    int (*mon_wait)(sim_plat *p, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline);
    /* With the lock held: wakes the earliest waiter of channel ch (all:
     * every waiter of ch; ch = SIM_MON_EVERY: every waiter of every channel).
     * A waiter woken is one that entered mon_wait before this call; waking
     * an empty channel does nothing. Thread: any. */
    void (*mon_wake)(sim_plat *p, sim_mon *m, unsigned ch, bool all);

    /* ---- time and the processor ---------------------------------------- */

    /* The run's clock, in ns. Thread: any. */
    uint64_t (*now)(sim_plat *p);
    /* The counter the recorder reads for timestamps (ns), or NULL for the
     * real clock. Thread: main. */
    const _Atomic uint64_t *(*clock_source)(sim_plat *p);
    /* Burns ns of CPU on self (`compute`), stopping early once *halt is set.
     * `own` is self's own monitor, which the runtime wakes when it sets
     * *halt: a platform that models CPU time (the test platform) waits on it.
     * Returns the CPU ns burnt. Called without any monitor held. Thread: self. */
    uint64_t (*compute)(sim_plat *p, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt);
    /* Lets other runnable units run first (a racy increment's gap). Time does
     * not pass for it. Called without any monitor held. Thread: self. */
    void (*yield)(sim_plat *p, sim_punit *self);
    /* A loop iteration that did not wait: threads need nothing (they are
     * preempted); the cooperative platforms let every other unit run and,
     * when none can, let time pass to the next deadline, so that a spinning
     * loop is at worst an idle CPU and the run's timeout still comes.
     * Called without any monitor held. Thread: self. */
    void (*spin)(sim_plat *p, sim_punit *self);

    /* ---- descriptors ----------------------------------------------------- */

    /* With m held: releases it, waits until descriptor fd is ready for
     * `events` (POLLIN, POLLOUT as poll(2) has them; hang-up and errors count
     * as ready), until channel ch of m is woken (mon_wake reaches this waiter
     * as it reaches mon_wait's, and so does the end of the run) or until
     * now() >= deadline (0: none); takes m back. May return spuriously.
     * Returns 1 when the deadline has passed, else 0. NULL: the platform has
     * no descriptors to wait on. Thread: self. */
    int (*fd_wait)(sim_plat *p, sim_punit *self, sim_mon *m, unsigned ch, int fd, short events, uint64_t deadline);

    /* ---- units that are processes (NULL on the other platforms) ----------- */

    /* A platform whose units are processes creates a unit when it begins, not
     * at unit_start (which only prepares it): the runtime calls unit_launch
     * when it lets the unit begin, from the unit that starts it (`by`; main
     * for the units that start with the run). A process unit is forked from
     * by's process (its memory and descriptors as they are now) or spawned
     * (SIM_START_SPAWN); a thread unit is a thread in by's process. main's
     * process is the parent of every unit process (it reaps them). Units
     * never launched are never created. -ERR_LIMIT (d says why) when the OS
     * refuses. Thread: by. */
    int (*unit_launch)(sim_plat *p, sim_punit *by, sim_punit *u, diag *d);
    /* Sends signal sig (SIM_SIG_*) to u's process; false when it has no
     * process (never launched, or ended). Thread: any. */
    bool (*unit_signal)(sim_plat *p, sim_punit *u, int sig);
    /* How u's process ended (valid once on_end ran for u, or unit_alive said
     * false): its exit code, or the signal that killed it (0: none), and when
     * (run clock ns; 0 when it has not ended). Thread: any. */
    void (*unit_status)(sim_plat *p, const sim_punit *u, int *code, int *sig, uint64_t *when);
    /* The code self's process exits with once its entry returns (`exit N`).
     * Thread: self. */
    void (*unit_exit_code)(sim_plat *p, sim_punit *self, int code);
    /* self's process dies now, killed by signal sig (`crash`). Never returns.
     * Thread: self. */
    void (*unit_crash)(sim_plat *p, sim_punit *self, int sig);
    /* n zeroed bytes of memory of which every process has its own copy
     * (plain variables), at the same address in every process: a fork copies
     * the launcher's, a spawned process starts from zeros. NULL: the
     * platform's units share everything (use alloc). Thread: main, before any
     * unit is launched. */
    void *(*alloc_private)(sim_plat *p, size_t n);
    /* Makes n bytes of run memory at q resident now, where a first touch
     * costs a page fault each (shared memory gets no huge pages): a
     * recorder ring, so that a unit's events do not pay for its pages. NULL:
     * nothing to do. Thread: main, before any unit is launched. */
    void (*prefault)(sim_plat *p, void *q, size_t n);

    /* ---- optional (NULL: the platform has none) ------------------------- */

    /* A blocking sleep, `time.sleep` inside a coroutine: self's processor
     * stops for ns without computing (coroutines: the whole loop stops),
     * stopping early once *halt is set (`own` is woken then, as for compute).
     * NULL: the runtime sleeps as usual. Called without any monitor held.
     * Thread: self. */
    void (*stall)(sim_plat *p, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt);
    /* 0 while some unit (main aside) can still run by itself: it runs, is
     * ready, or waits with a deadline or for a file descriptor. Otherwise
     * every unit waits without a deadline or has returned, so nothing happens
     * until main wakes one: a number then, the same until a unit is woken.
     * When the platform becomes quiet while main waits, main's wait returns
     * (spuriously). Thread: main. */
    uint64_t (*quiet)(sim_plat *p);
    /* (fd_park) Waits until fd is ready (events: SIM_FD_READ | SIM_FD_WRITE) or until
     * now() >= deadline (0: none) or *halt is set (`own` is woken then).
     * Returns the events that are ready, 0 on the deadline or a halt.
     * Coroutines: the task parks and the loop watches fd with epoll. Called
     * without any monitor held. Thread: self. */
    unsigned (*fd_park)(sim_plat *p, sim_punit *self, sim_mon *own, int fd, unsigned events, uint64_t deadline,
                        const _Atomic int *halt);
    /* (on) From now until hold(off), self's waits hold its whole processor, as
     * a thread's do: coroutines, the loop runs no other task meanwhile (its
     * thread waits for the GIL, say); the tasks that become ready wait. NULL,
     * or a unit with a processor of its own: nothing to do. Thread: self. */
    void (*hold)(sim_plat *p, sim_punit *self, bool on);
};

#define SIM_FD_READ 1u
#define SIM_FD_WRITE 2u

/* The platforms weft has. */
extern const sim_plat_ops sim_plat_threads;   /* sim_plat_threads.c */
extern const sim_plat_ops sim_plat_test;      /* sim_plat_test.c: deterministic, virtual clock */
extern const sim_plat_ops sim_plat_coro;      /* sim_plat_coro.c: tasks on event loops (desc.virtual_clock) */
extern const sim_plat_ops sim_plat_procs;     /* sim_plat_procs.c: a process per unit */

/* The processes platform's worker mode (a unit begun with SIM_START_SPAWN):
 * in the fresh process that the platform exec'd, attaches to the run that
 * `spec` (from the worker's command line) names: maps the run's memory at
 * its address, takes the unit's process over (its name, its signals, the
 * parent-death signal), then runs entry(arg) with the arg the unit was
 * started with, and ends the process as a unit's process ends. Returns only
 * when it cannot attach (-ERR_xxx with d filled: the run is gone, or its
 * memory cannot be mapped here). Thread: the worker's main thread, first. */
int sim_plat_procs_worker(const char *spec, void (*entry)(void *arg), diag *d);

#endif
