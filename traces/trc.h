/* traces: the event model, the recording, the derived model and the exporters.
 *
 * This is the one public header of the traces layer. sim/ writes recordings
 * through it; render/ and cli/ read them through it. Nothing here knows how a
 * recording was produced.
 *
 * Times: events carry CLOCK_MONOTONIC ns (the same clock in every process).
 * The derived model (trc_model) uses ns relative to the run's start.
 */
#ifndef WEFT_TRC_H
#define WEFT_TRC_H

#include <stdatomic.h>
#include <stdio.h>
#include "base/base.h"

/* ======================================================================
 * 1. Event model
 * ====================================================================== */

/* Event kinds are numbered once and never reused. Fields per kind:
 *   obj  the object involved (0 = none; object ids start at 1)
 *   aux  small code (an op, an outcome, a reason)
 *   arg  64-bit payload (item id, count, string id, duration)
 *   extra 32-bit payload (queue depth after the step, ...) */
#define TRC_EV_MAP(X)                                                                 \
    X(UNIT_START,     1, "unit_start")     /* aux: 0 */                               \
    X(UNIT_EXIT,      2, "unit_exit")      /* aux: trc_exit_reason */                 \
    X(COMPUTE_BEGIN,  3, "compute_begin")  /* arg: requested CPU ns */                \
    X(COMPUTE_END,    4, "compute_end")    /* arg: CPU ns actually burnt */           \
    X(SLEEP_BEGIN,    5, "sleep_begin")    /* arg: requested ns */                    \
    X(SLEEP_END,      6, "sleep_end")                                                 \
    X(WAIT_BEGIN,     7, "wait_begin")     /* obj, aux: trc_op the unit blocks in */  \
    X(WAIT_END,       8, "wait_end")       /* obj, aux: trc_outcome */                \
    X(ACQUIRE,        9, "acquire")        /* obj: unit now owns it; arg: depth */    \
    X(RELEASE,       10, "release")        /* obj; arg: depth left */                 \
    X(PUT,           11, "put")            /* obj, arg: item id, extra: depth after */\
    X(GET,           12, "get")            /* obj, arg: item id, extra: depth after */\
    X(MARK,          13, "mark")           /* arg: string index in run->strings */    \
    X(LOST,          14, "lost")           /* arg: events this unit dropped since its \
                                              previous event (drop mode); t: the first\
                                              drop (older files: the next event's t);  \
                                              aux 1: written by the recorder at stop */\
    X(ERROR,         15, "error")          /* arg: string index, obj: object */       \
    X(NOTIFY,        16, "notify")         /* obj: condition; arg: notify seq (per   \
                                              object, from 1); extra: waiters woken */\
    X(SET,           17, "set")            /* obj: event; arg: set seq; extra: woken */\
    X(CLEAR,         18, "clear")          /* obj: event */                           \
    X(BARRIER_ARRIVE,19, "barrier_arrive") /* obj; extra: arrived in this generation */\
    X(BARRIER_OPEN,  20, "barrier_open")   /* obj; arg: generation opened (from 1) */ \
    X(COUNTER_READ,  21, "counter_read")   /* obj: counter; arg: value read (i64) */  \
    X(COUNTER_WRITE, 22, "counter_write")  /* obj; arg: value written (i64);          \
                                              aux: trc_counter_mode; extra (int32):   \
                                              the net change by others that this racy \
                                              write replaced; summed: updates lost */ \
    X(SPAWN,         23, "spawn")          /* arg: child unit */                      \
    X(JOINED,        24, "joined")         /* arg: the unit that was joined */        \
    X(SUBMIT,        25, "submit")         /* obj: pool; arg: future id (from 1);     \
                                              extra: the task's name, string index + 1 \
                                              (0 = not recorded) */                   \
    X(TASK_START,    26, "task_start")     /* obj: pool; arg: future id */            \
    X(TASK_DONE,     27, "task_done")      /* obj: pool; arg: future id; aux: trc_outcome;\
                                              extra: ERROR: its text's string index + 1 */\
    X(CANCEL,        28, "cancel")         /* obj: pool; arg: future id; aux: 1 = it  \
                                              was pending and is now cancelled */     \
    X(CALLBACK,      29, "callback")       /* obj: pool; arg: future id (runs on the  \
                                              worker, after waiters wake) */          \
    X(RESULT,        30, "result")         /* obj: pool; arg: future id; aux: outcome */\
    X(QUEUE_TASK_DONE,31, "queue_task_done") /* obj: queue; extra: unfinished left */ \
    X(LOCAL_SET,     32, "local_set")      /* arg: string index of "name=value" */    \
    X(DAEMON_KILLED, 33, "daemon_killed")  /* a daemon unit cut off at exit */      \
    X(FLUSH_BEGIN,   34, "flush_begin")    /* the unit's ring was full: it waits for  \
                                              the recorder's drain (complete mode) */ \
    X(FLUSH_END,     35, "flush_end")      /* room again: the unit goes on */          \
    X(ITEM_VALUE,    40, "item_value")     /* obj: queue; arg: the value (i64) of the \
                                              item this unit puts next: it comes just  \
                                              before its PUT (items put without a     \
                                              value have none) */                     \
    X(RAISE,         41, "raise")          /* an error raised in this unit: arg: its   \
                                              text's string index; aux: trc_raise_how;  \
                                              obj: the object that raised it (0 none);  \
                                              extra: FUTURE: the future id */          \
    X(CAUGHT,        42, "caught")         /* an except clause caught the error: arg:  \
                                              its text's string index */              \
    X(YIELD,         43, "yield")          /* the unit gave the processor away */      \
    X(BARRIER_BROKEN,44, "barrier_broken") /* obj: barrier; aux: 0 a waiter timed out, \
                                              1 abort, 2 reset (empty and whole again);\
                                              extra: waiters released with the error */\
    X(COUNTER_READS, 45, "counter_reads")  /* obj: counter; arg: times this unit read  \
                                              it in expressions (written at its exit) */  \
    /* processes (48-63; 34-47 are left to the recorder and the language) */         \
    X(PROC_START,    48, "proc_start")     /* the unit's process begins (its first   \
                                              event): arg: pid; extra: the pid that   \
                                              launched it; aux: trc_start_method */   \
    X(PROC_EXIT,     49, "proc_exit")      /* its process ended and was reaped       \
                                              (written by the parent after it died): \
                                              aux: trc_proc_end; arg: exit code or    \
                                              signal number */                        \
    X(SIGNAL,        50, "signal")         /* arg: the unit signalled; aux: signal   \
                                              (terminate 15, kill 9) */               \
    X(SEND,          51, "send")           /* obj: pipe; arg: message id (per pipe,  \
                                              from 1); extra: bytes */                \
    X(RECV,          52, "recv")           /* obj: pipe; arg: message id (0 at end of\
                                              file); extra: bytes; aux 1: end of file */\
    X(PIPE_CLOSE,    53, "pipe_close")     /* obj: pipe; aux: trc_pipe_end closed     \
                                              by this unit's process */               \
    X(POLL,          54, "poll")           /* obj: pipe; aux 1: ready */              \
    X(SHM_WRITE,     55, "shm_write")      /* obj: shm; arg: offset; extra: bytes     \
                                              (at the end of the write) */            \
    X(SHM_READ,      56, "shm_read")       /* obj: shm; arg: offset; extra: bytes;    \
                                              aux 1: torn (parts of two writes) */    \
    X(SHM_UNLINK,    57, "shm_unlink")     /* obj: shm */                             \
    X(VAR_SET,       58, "var_set")        /* obj: var; arg: value (i64): this unit's \
                                              process's copy, or the managed value */ \
    X(REQUEST,       59, "request")        /* obj: a managed object; arg: request id  \
                                              (unique in the run); aux: trc_mgr_op */ \
    X(SERVE,         60, "serve")          /* on the manager's lane: obj, arg, aux as \
                                              the REQUEST; extra: the client unit */  \
    X(REPLY,         61, "reply")          /* obj; arg: request id; aux: trc_mgr_op   \
                                              (the client has the reply) */           \
    /* the GIL (sim/sim_gil.c): obj is the GIL's object (kind TRC_OBJ_GIL) */          \
    X(GIL_REQUEST,   64, "gil_request")    /* the unit waits for the GIL; arg: the    \
                                              holder then (a unit index) */            \
    X(GIL_ACQUIRE,   65, "gil_acquire")    /* the unit holds the GIL; arg: ns it      \
                                              waited (0: it was free); extra: the unit \
                                              that held it last + 1 (0 = none) */      \
    X(GIL_DROP,      66, "gil_drop")       /* the unit lets the GIL go; aux:          \
                                              trc_gil_drop; arg: ns it held it */      \
    X(GIL_DROP_REQUEST,67, "gil_drop_request") /* a waiter, after a switch interval    \
                                              with no switch, asks the holder to drop  \
                                              it; arg: the holder (a unit index) */    \
    /* what the kernel did (sim/sim_plat_sched.c, and the recorder's CPU numbers) */   \
    X(CPU,           68, "cpu")            /* the unit's events from here on run on   \
                                              CPU arg; extra: the CPU before + 1       \
                                              (0 = first sight): a migration */        \
    X(SCHED_SWITCH,  69, "sched_switch")   /* from the kernel (perf context-switch    \
                                              records): aux: trc_sched_switch; arg:    \
                                              the CPU */                               \
    X(SCHED_COUNTS,  70, "sched_counts")   /* at the unit's exit: arg: voluntary      \
                                              context switches, extra: involuntary     \
                                              ones (getrusage); aux: 1 = the kernel    \
                                              refused perf events for this run, so     \
                                              these counts and the computes' CPU time  \
                                              are all the scheduling there is */       \
    /* coroutines (72-75): tasks on event loops */                                    \
    X(READY,         72, "ready")          /* a task can run again and waits for its \
                                              loop: woken, or its deadline came; arg:\
                                              how late the loop fired the deadline   \
                                              (ns, 0 for a wake); extra: the loop    \
                                              unit */                                \
    X(LOOP_TICK,     73, "loop_tick")      /* on a loop unit: one iteration; extra:  \
                                              tasks ready (run in it); aux: deadlines\
                                              fired since the last tick; arg: the    \
                                              latest one's lag (ns; 0: none fired) */ \
    X(TASK_CANCEL,   74, "task_cancel")    /* cancel of a task: arg its unit; aux 1: \
                                              it will be cancelled at its next await \
                                              (0: it had ended, or is a thread) */    \
    X(CANCELLED,     75, "cancelled")      /* CancelledError delivered to this unit  \
                                              at its await point: obj, aux (trc_op)  \
                                              of the wait (0: a sleep); arg: 1 a     \
                                              cancel step, 2 the loop closing */ \
    /* memory of the run's processes (trc_mem.c: sampled by the recorder's drain) */ \
    X(MEM_RESIDENT,  76, "mem_resident")   /* arg: resident bytes of a process; extra: \
                                              its pid; aux: trc_mem_flags. unit: the   \
                                              process's unit, or the unit that carries \
                                              the run's own process (TRC_MEM_MAIN) */  \
    X(MEM_VIRTUAL,   77, "mem_virtual")    /* arg: virtual bytes of the same process,  \
                                              sampled with the MEM_RESIDENT just before \
                                              it (same t, unit, extra and aux) */

enum trc_ev_kind {
#define X(name, num, str) TRC_EV_##name = num,
    TRC_EV_MAP(X)
#undef X
    TRC_EV__MAX = 128  /* kinds 1..127 in use: 64-70 the GIL, 72-75 coroutines */
};

/* aux of MEM_RESIDENT and MEM_VIRTUAL */
enum trc_mem_flags {
    TRC_MEM_BASELINE = 1,   /* measured before the run's units were made (written at the first sample) */
    TRC_MEM_MAIN = 2,       /* the run's own process (weft's), not the process of the unit carrying it */
};
/* Facts of the machine rather than of the scenario: the kernel's scheduling
 * (CPU, SCHED_SWITCH, SCHED_COUNTS) and the memory samples. They are not a
 * unit's steps: they neither start it nor end a gap, and scrubbed dumps leave
 * them out. */
static inline bool trc_ev_is_machine(unsigned kind) {
    return kind == TRC_EV_CPU || kind == TRC_EV_SCHED_SWITCH || kind == TRC_EV_SCHED_COUNTS ||
           kind == TRC_EV_MEM_RESIDENT || kind == TRC_EV_MEM_VIRTUAL;
}
static inline bool trc_ev_is_mem(unsigned kind) { return kind == TRC_EV_MEM_RESIDENT || kind == TRC_EV_MEM_VIRTUAL; }

const char *trc_ev_name(unsigned kind);

/* What a unit blocks in (WAIT_BEGIN aux). */
/* WAIT_BEGIN's arg: for JOIN the unit waited for, for RESULT the future id. */
#define TRC_OP_MAP(X) \
    X(NONE, 0, "none") X(LOCK, 1, "lock") X(PUT, 2, "put") X(GET, 3, "get")       \
    X(ACQUIRE_PERMIT, 4, "acquire") X(COND_WAIT, 5, "wait") X(EVENT_WAIT, 6, "wait") \
    X(BARRIER, 7, "wait") X(JOIN, 8, "join") X(RESULT, 9, "result")                 \
    X(READ_LOCK, 10, "read lock") X(WRITE_LOCK, 11, "write lock") X(QUEUE_JOIN, 12, "join") \
    /* processes (32-47) */                                                              \
    X(RECV, 32, "recv") X(SEND, 33, "send") X(POLL, 34, "poll")                           \
    X(FLUSH, 35, "feeder flush") /* a process's exit waits for its queue feeder */       \
    X(REPLY, 36, "reply")        /* waits for a manager's reply */                   \
    X(SELECT, 20, "select")    /* an event loop with nothing to run waits (epoll) */
enum trc_op {
#define X(name, num, str) TRC_OP_##name = num,
    TRC_OP_MAP(X)
#undef X
};
const char *trc_op_name(unsigned op);

/* How a wait ended (WAIT_END aux). */
#define TRC_OUTCOME_MAP(X) \
    X(OK, 0, "ok") X(TIMEOUT, 1, "timed out") X(CANCELLED, 2, "cancelled") X(ABORTED, 3, "aborted") \
    X(ERROR, 4, "error")   /* a task raised; a result re-raises; a barrier broke under its waiter */
enum trc_outcome {
#define X(name, num, str) TRC_OUT_##name = num,
    TRC_OUTCOME_MAP(X)
#undef X
};
const char *trc_outcome_name(unsigned o);

/* Why a unit let the GIL go (GIL_DROP aux). */
#define TRC_GIL_DROP_MAP(X) \
    X(BLOCKING, 1, "blocking") /* a step that waits: sleep, lock, queue, condition, join, result... */ \
    X(INTERVAL, 2, "interval") /* asked to: a waiter waited a switch interval */                    \
    X(EXIT,     3, "exit")     /* the unit ended */                                                  \
    X(NATIVE,   4, "native")   /* `compute native`: C code that releases it */                      \
    X(YIELD,    5, "yield")    /* a step that gives the processor away */
enum trc_gil_drop {
#define X(name, num, str) TRC_GIL_##name = num,
    TRC_GIL_DROP_MAP(X)
#undef X
    TRC_GIL__COUNT = 6
};
const char *trc_gil_drop_name(unsigned r);

/* SCHED_SWITCH aux: the unit went on a CPU, or off it preempted (still
 * runnable: it wants a CPU and waits for one) or blocked (it waits for
 * something: a futex, a sleep, I/O). */
enum trc_sched_switch { TRC_SCHED_IN = 0, TRC_SCHED_OUT_PREEMPTED = 1, TRC_SCHED_OUT_BLOCKED = 2 };

enum trc_exit_reason { TRC_EXIT_DONE = 0, TRC_EXIT_ABORTED = 1, TRC_EXIT_KILLED = 2 /* daemon cut off */,
                       TRC_EXIT_ERROR = 3 /* an error it did not catch ended it (RAISE says which) */,
                       TRC_EXIT_CANCELLED = 4 /* a task ended by a cancellation */ };
/* RAISE aux: how the error came. */
enum trc_raise_how { TRC_RAISE_STEP = 0 /* a raise step */, TRC_RAISE_FUTURE = 1 /* result or map: the task's */,
                     TRC_RAISE_OBJECT = 2 /* an object: a broken barrier, a bounded semaphore over-released */ };
/* RELEASE aux for locks: 2 = released by a unit that did not hold it (a plain lock has
 * no owner in Python); extra: the holder's unit index + 1. */
#define TRC_RELEASE_FOREIGN 2
/* UNIT_EXIT's arg: the exit code of a unit's process (`exit N`), else 0. */
enum trc_start_method { TRC_START_FORK = 0, TRC_START_SPAWN = 1,
                        TRC_START_THREAD = 2 /* a thread in the process whose pid is PROC_START's arg */ };
enum trc_proc_end { TRC_PROC_EXITED = 0 /* arg: exit code */, TRC_PROC_SIGNALED = 1 /* arg: signal */ };
enum trc_pipe_end { TRC_PIPE_READ = 1, TRC_PIPE_WRITE = 2, TRC_PIPE_BOTH = 3 };
enum trc_mgr_op { TRC_MGR_GET = 1, TRC_MGR_SET = 2, TRC_MGR_ADD = 3 };
/* COMPUTE_BEGIN's aux: what the CPU time is for; obj: the object whose message it is,
 * extra: its bytes (PICKLE, UNPICKLE). */
enum trc_compute_kind { TRC_COMPUTE_WORK = 0, TRC_COMPUTE_PICKLE = 1, TRC_COMPUTE_UNPICKLE = 2 };
enum trc_counter_mode { TRC_CTR_ATOMIC = 0, TRC_CTR_LOCKED = 1, TRC_CTR_RACY = 2, TRC_CTR_SET = 3 };

/* WAIT_END's extra, for waits released by another unit: the seq of the NOTIFY
 * or SET, or the BARRIER_OPEN generation, that released it (0 = none). */

/* One event: 32 bytes, fixed size. */
typedef struct trc_event {
    uint64_t t;      /* CLOCK_MONOTONIC ns */
    uint64_t arg;
    uint32_t unit;   /* index into run->units */
    uint32_t obj;    /* object id (1-based index into run->objects), 0 = none */
    uint16_t kind;
    uint16_t aux;
    uint32_t extra;
} trc_event;
_Static_assert(sizeof(trc_event) == 32, "trc_event is 32 bytes");

/* ======================================================================
 * 2. Runs and recordings (in memory)
 * ====================================================================== */

enum trc_unit_kind { TRC_UNIT_THREAD = 1, TRC_UNIT_PROCESS = 2, TRC_UNIT_TASK = 3, TRC_UNIT_LOOP = 4 };
const char *trc_unit_kind_name(unsigned k);

typedef struct trc_unit {
    uint32_t id;          /* == index in run->units */
    uint32_t kind;        /* trc_unit_kind */
    uint32_t parent;      /* UINT32_MAX = none */
    int32_t pid, tid;     /* OS ids where real, else 0 */
    const char *name;     /* "producer.0" */
    const char *group;    /* the actor it was made from: "producer" */
} trc_unit;

/* Objects. ACQUIRE/RELEASE apply to locks, rlocks (arg: recursion depth after),
 * semaphores (extra: permits in use after) and rwlocks (aux: 1 = shared/read;
 * extra: readers holding it after). */
enum trc_obj_kind { TRC_OBJ_LOCK = 1, TRC_OBJ_QUEUE = 2, TRC_OBJ_RLOCK = 3, TRC_OBJ_SEMAPHORE = 4,
                    TRC_OBJ_CONDITION = 5, TRC_OBJ_EVENT = 6, TRC_OBJ_BARRIER = 7, TRC_OBJ_RWLOCK = 8,
                    TRC_OBJ_COUNTER = 9, TRC_OBJ_POOL = 10,
                    /* processes (16-23) */
                    TRC_OBJ_PIPE = 16, TRC_OBJ_SHM = 17 /* capacity: bytes */,
                    TRC_OBJ_VAR = 18 /* capacity: the initial value */, TRC_OBJ_MANAGER = 19,
                    TRC_OBJ_GIL = 24 /* capacity: the switch interval (ns); subkind: which GIL
                                        (0 for the threads of one process; per process on the
                                        processes backend) */ };
/* Objects served by a manager (counters, vars) have `related` = the manager's object id.
 * Queues on processes: capacity as ever; subkind as ever. */
enum trc_queue_kind { TRC_QUEUE_FIFO = 0, TRC_QUEUE_LIFO = 1, TRC_QUEUE_PRIORITY = 2 };
const char *trc_obj_kind_name(unsigned k);

typedef struct trc_object {
    uint32_t id;          /* 1-based; == index + 1 in run->objects */
    uint32_t kind;        /* trc_obj_kind */
    const char *name;
    int64_t capacity;     /* queues: max depth (0 = unbounded); semaphores: permits;
                             barriers: parties; pools: workers */
    uint32_t subkind;     /* queues: trc_queue_kind */
    uint32_t related;     /* conditions: the lock's object id; 0 = none */
} trc_object;

typedef struct trc_param { const char *name; int64_t value; bool is_duration; } trc_param;
/* A param's value as text: a duration ("5 ms"), a number, or for the GIL's
 * switch (`gil`, 1 or 0) "on" or "off". Returns out. */
const char *trc_param_value(char *out, size_t cap, const trc_param *p);

enum trc_run_end { TRC_END_OK = 0, TRC_END_DEADLOCK = 1, TRC_END_STUCK = 2, TRC_END_TIMEOUT = 3,
                   TRC_END_ERROR = 4, TRC_END_UNFINISHED = 5 /* no RUN_END chunk: cut short */,
                   TRC_END_INTERRUPTED = 6 /* ended early on request (Ctrl-C, SIGTERM, SIGHUP) */,
                   TRC_END_LIMIT = 7 /* the recording reached its event limit (--max-events) */,
                   TRC_END__LAST = TRC_END_LIMIT, TRC_END__MAX = TRC_END__LAST };
const char *trc_run_end_name(unsigned e);

typedef struct trc_evsrc trc_evsrc;   /* where a loaded run's events are in the file */

typedef struct trc_run {
    /* metadata */
    const char *scenario;      /* the scenario's title */
    const char *source_path;
    const char *source_text;   /* the whole scenario text, for reproducing */
    uint64_t source_hash;
    const char *backend;       /* "threads" */
    uint64_t seed;
    trc_param *params; uint32_t nparams;
    const char *machine;       /* "2 cores, Linux 6.1, <cpu model>" */
    uint32_t cores;
    uint64_t t_start, t_end;   /* CLOCK_MONOTONIC ns; t_end from RUN_END or last event */
    uint64_t t_last;           /* a loaded run: its latest event's t (0: no event), known before its
                                  events are read (the reader scans them); 0 for a run built in memory */
    /* tables */
    trc_unit *units; uint32_t nunits;
    trc_object *objects; uint32_t nobjects;
    const char **strings; uint32_t nstrings;  /* marks, error texts */
    trc_event *events; size_t nevents;        /* sorted by t (stable); NULL for a recording opened
                                                 without TRC_LOAD_EVENTS: see src */
    /* A loaded run's events stay in the file until asked for: src says where
     * they are (NULL for a run built in memory). Read them in time order with
     * a trc_evcur, or put them in `events` with trc_run_load_events. */
    trc_evsrc *src;
    bool cut;                  /* the file ends inside this run (no RUN_END): events after the
                                  last ones here may be missing */
    /* end of run */
    uint32_t end_reason;       /* trc_run_end */
    const char *report;        /* deadlock / stuck report, may be "" */
    uint64_t lost;             /* sum of LOST events */
} trc_run;

typedef struct trc_recording {
    trc_run *runs; uint32_t nruns;
    arena mem;                 /* owns every string and table */
    struct trc_backing *backing;  /* the file's bytes (mapped), while events are read from it */
    /* set by the reader when the file was cut short: everything up to
     * `truncated_at` was recovered; `truncated_why` says what was wrong there */
    bool truncated;
    uint64_t truncated_at;
    char truncated_why[256];
} trc_recording;

void trc_recording_free(trc_recording *rec);

/* ======================================================================
 * 3. The .weft file (spec in traces/trc_format.h's header comment)
 * ====================================================================== */

/* The first 8 bytes of every .weft file (whatever its version). */
#define TRC_FILE_MAGIC "WEFTREC\n"

typedef struct trc_writer trc_writer;

/* Streaming writer. The first error sticks; every call after it returns it. */
int trc_writer_open(trc_writer **out, const char *path, diag *d);
/* Starts a run: writes its metadata, units and objects. Units and objects are
 * taken from `run`; its events are ignored. Returns the run index. */
int trc_writer_run_begin(trc_writer *w, const trc_run *run, diag *d);
/* Adds units (e.g. spawned later) to the current run. */
int trc_writer_units(trc_writer *w, const trc_unit *units, uint32_t n, diag *d);
int trc_writer_string(trc_writer *w, uint32_t index, const char *s, diag *d);
/* Appends events of the current run. Buffered; a chunk is written per 64K events. */
int trc_writer_events(trc_writer *w, const trc_event *ev, size_t n, diag *d);
/* The same without a copy (the recorder's drain): room in the open EVENTS
 * payload for *n (>= 1) events, to be filled and then committed (checked like
 * trc_writer_events; a full payload is written). NULL when the writer has
 * failed, is outside a run, or on a big-endian machine (use trc_writer_events). */
trc_event *trc_writer_event_room(trc_writer *w, size_t *n);
int trc_writer_event_commit(trc_writer *w, size_t k, diag *d);
/* Flushes buffered events as a chunk and fflush()es, so a crash keeps them. */
int trc_writer_flush(trc_writer *w, diag *d);
int trc_writer_run_end(trc_writer *w, uint64_t t_end, uint32_t end_reason, const char *report, diag *d);
/* Writes the section table and trailer and closes. Frees w even on error. */
int trc_writer_close(trc_writer *w, diag *d);

/* Convenience: writes a whole in-memory recording. */
int trc_recording_save(const trc_recording *rec, const char *path, diag *d);

/* Reads and validates a recording. On corruption past a valid prefix it returns
 * 0 with rec->truncated set; on a file with no usable run it returns an error
 * with d->offset set to the byte where reading failed and d->msg saying what
 * was being read. Any input: a regular file is mapped; a pipe, a FIFO or
 * /dev/stdin is read as it comes (a FIFO with no writer is an empty file);
 * a directory, or a file that does not start like a recording, is refused
 * before anything else is read.
 *
 * trc_recording_open leaves the events in the file (run->events NULL, run->src
 * set): memory does not grow with the number of events. With TRC_LOAD_EVENTS
 * every run's events are also put in memory, sorted (32 bytes each).
 * trc_recording_load is open with TRC_LOAD_EVENTS; load_mem reads a copy of
 * data the same way. */
enum trc_load_flags { TRC_LOAD_EVENTS = 1 };
int trc_recording_open(trc_recording **out, const char *path, unsigned flags, diag *d);
int trc_recording_load(trc_recording **out, const char *path, diag *d);
int trc_recording_load_mem(trc_recording **out, const void *data, size_t n, const char *name, diag *d);
/* Puts a loaded run's events in run->events (sorted by time, stable). */
int trc_run_load_events(trc_run *run, diag *d);

/* A run's events in time order, batch by batch, wherever they are: in
 * run->events, or in the file (merged from each unit's chain of segments,
 * handing the pages it has passed back to the kernel). From the file, a run of
 * 131072 events (two full chunks) or more is read ahead by a thread of the cursor's
 * own while the caller works on the batch it has (the same batches, indices
 * and offsets as without it; see trc_evcur.c). A cursor is used by one
 * thread at a time. */
typedef struct trc_evcur trc_evcur;
int trc_evcur_open(trc_evcur **out, const trc_run *run, diag *d);
/* open with the read-ahead chosen: AUTO (as trc_evcur_open: on for a big run
 * read from a file, unless turned off), ON (for any run read from a file,
 * tiny ones too), OFF (the caller's thread does it all). Whatever is asked,
 * a thread that cannot be made means none. */
enum { TRC_AHEAD_AUTO = 0, TRC_AHEAD_ON = 1, TRC_AHEAD_OFF = 2 };
int trc_evcur_open_ahead(trc_evcur **out, const trc_run *run, int ahead, diag *d);
/* What AUTO does in this process: on unless the environment says
 * WEFT_READ_AHEAD=0 (read at the first open), or as set here. */
void trc_evcur_ahead_default(bool on);
/* Whether c reads ahead in a thread of its own. */
bool trc_evcur_reads_ahead(const trc_evcur *c);
/* The next batch (at most a few thousand events); 0 at the end. */
size_t trc_evcur_next(trc_evcur *c, const trc_event **ev);
/* The index in the run's time order of the last batch's first event. */
uint64_t trc_evcur_index(const trc_evcur *c);
/* The byte offset in the file of event k of the last batch; false when the
 * events do not come from a file. */
bool trc_evcur_offset(const trc_evcur *c, size_t k, uint64_t *off);
void trc_evcur_close(trc_evcur *c);

/* ======================================================================
 * 4. Recorder: per-unit lock-free rings, drained by a background writer
 * ====================================================================== */

/* What a unit does when its ring is full. */
enum trc_rec_mode {
    TRC_REC_COMPLETE = 0,   /* wait for the drain; the wait is recorded as FLUSH_BEGIN/FLUSH_END */
    TRC_REC_DROP = 1        /* never wait: drop the event, count it, write a LOST event later */
};

/* The drain's doorbell, shared by every ring of a recorder (it lives in memory
 * from the ring allocator, so rings in a mapping shared with forked children
 * can ring it too). */
typedef struct trc_ring_ctl {
    _Atomic uint32_t kick;       /* futex word: a producer waits for room */
    _Atomic uint32_t live;       /* the drain thread runs: waiting for it makes sense */
} trc_ring_ctl;

/* Single-producer single-consumer ring of events, one per unit. The unit is the
 * only writer of head and of the producer fields, the drain thread the only
 * writer of tail. The first cache line holds all the fast path reads. */
typedef struct trc_ring {
    _Alignas(64) _Atomic uint64_t head;
    uint64_t tail_cache;         /* producer's last view of tail (a lower bound of it) */
    uint32_t mask;               /* capacity - 1 */
    uint32_t unit;
    uint32_t cpu;                /* producer: the CPU of its last event (UINT32_MAX: none yet) */
    clk_calib clk;               /* the recorder's time base (a copy: shared by every ring); its
                                    first 16 bytes are read by every emit, in this cache line */
    /* producer only, slow path */
    _Alignas(64) uint64_t lost_pending;   /* events dropped, not yet reported by a LOST event */
    uint64_t lost_since;         /* tick of the first of them */
    uint64_t lost_total;
    uint64_t flushes, flush_ticks;        /* waits for the drain, and their total length */
    trc_ring_ctl *ctl;
    uint8_t mode;                /* trc_rec_mode */
    _Alignas(64) _Atomic uint64_t tail;
    _Atomic uint32_t tail_seq;   /* futex word: bumped after tail moves while `waiting` */
    _Atomic uint32_t waiting;    /* the producer waits for room */
    uint64_t discarded;          /* drain only: drained but not written (write error, far past the
                                    limit), not yet reported by a LOST event */
    uint64_t discarded_since;    /* ns of the first of them */
    _Alignas(64) trc_event ev[];
} trc_ring;
/* Every emit reads head, tail_cache, mask, unit, cpu and clk's read mode and
 * rseq offset: one cache line (and the event's slot). */
_Static_assert(offsetof(trc_ring, clk) + offsetof(clk_calib, tick0) <= 64,
               "the emit path's fields are in the ring's first cache line");

/* Where rings live. The default is the process heap; the processes backend
 * gives a mapping shared with its children (the parent drains). alloc returns
 * 64-byte aligned memory (need not be cleared) or NULL. */
typedef struct trc_ring_alloc {
    void *(*alloc)(void *ctx, size_t bytes);
    void (*free)(void *ctx, void *p, size_t bytes);
    void *ctx;
} trc_ring_alloc;

typedef struct trc_recorder trc_recorder;

typedef struct trc_recorder_desc {
    uint32_t ring_events;        /* per unit, power of two >= 4; 0 = TRC_RING_DEFAULT */
    uint32_t drain_period_us;    /* 0 = 1000 */
    bool no_tsc;                 /* force clock_gettime timestamps */
    uint8_t mode;                /* trc_rec_mode */
    uint64_t max_events;         /* the drain reports TRC_REC_LIMIT after this many (0 = no limit) */
    bool no_cpu;                 /* do not record the CPU of events (CPU events) */
    trc_writer *writer;          /* events go here (may be NULL: kept in memory only) */
    const trc_ring_alloc *alloc; /* NULL = heap */
    const clk_calib *clock;      /* a time base to share (NULL = calibrate, see clk_calibrate_cached) */
    const _Atomic uint64_t *virtual_clock;   /* stamp events with this clock (ns) instead of the real one */
    /* memory samples (MEM_RESIDENT, MEM_VIRTUAL; traces/trc_mem.c): the drain reads
     * /proc/PID/statm of each process of the run about every mem_period_us (0 = 10 ms;
     * longer when there are many processes: sampling takes at most ~5% of the drain's
     * time) and records a sample when it changed by a page-sized step or more (64 KiB or
     * 1/64 resident, 1 MiB or 1/64 virtual). Off with a virtual clock, or no_mem. */
    uint32_t mem_period_us;
    bool no_mem;
    /* Units may be declared (trc_recorder_unit, trc_recorder_ring) by processes forked
     * from this one after the recorder was made (tasks made on an event loop in a process
     * of its own): the recorder itself, its table of rings and the units declared while
     * running are then in alloc's memory (which must be shared with those processes),
     * and its mutex is process-shared. Needs alloc. */
    bool cross_process;
} trc_recorder_desc;
#define TRC_RING_DEFAULT 65536u
#define TRC_RING_MAX (1u << 24)

int trc_recorder_create(trc_recorder **out, const trc_recorder_desc *desc, diag *d);
/* Creates the ring of one unit (not on a hot path). NULL when out of memory. */
trc_ring *trc_recorder_ring(trc_recorder *r, uint32_t unit);
/* A unit made while the run goes on (a task made by create_task): declares it in
 * the recording (written before any of its events) and creates its ring. `u` is
 * copied; u->id must be the next unit id. NULL when out of memory. Thread: any. */
trc_ring *trc_recorder_unit(trc_recorder *r, const trc_unit *u);
const clk_calib *trc_recorder_clock(trc_recorder *r);
/* Starts/stops the background drain thread. stop drains everything left and
 * writes the LOST events still pending in each ring (a unit's last drops,
 * aux 1; events the drain could not write, aux 2); call it after the
 * producers have finished. */
int trc_recorder_start(trc_recorder *r, diag *d);
int trc_recorder_stop(trc_recorder *r, diag *d);
/* For a watchdog, cheap: 0 while recording is fine; -ERR_LIMIT once max_events
 * were drained; -ERR_IO (d says what) once a write failed: the drain then keeps
 * the rings moving without writing, so nobody waits for it, and counts what it
 * discards. */
int trc_recorder_status(trc_recorder *r, diag *d);
/* Events drained so far if no writer was given (for tests), and totals. */
const trc_event *trc_recorder_events(trc_recorder *r, size_t *n);
uint64_t trc_recorder_lost(trc_recorder *r);        /* dropped by producers (drop mode, or no drain) */
uint64_t trc_recorder_discarded(trc_recorder *r);   /* drained but not written (after a write error) */
uint64_t trc_recorder_drained(trc_recorder *r);     /* events handed on so far */
/* Waits for the drain (complete mode): how many, and their total ns. */
void trc_recorder_flushes(trc_recorder *r, uint64_t *count, uint64_t *ns);
/* CPU time the drain thread used, once stopped (for benchmarks: its cost per event). */
uint64_t trc_recorder_drain_cpu_ns(const trc_recorder *r);
void trc_recorder_free(trc_recorder *r);

/* Memory of one process: resident and virtual bytes (/proc/PID/statm). */
typedef struct trc_mem_sample { uint64_t resident, virt; } trc_mem_sample;
/* Reads it: pid 0 = the calling process. 0, or -ERR_IO (no such process, no
 * /proc: d says which). Thread: any. */
int trc_mem_read(int32_t pid, trc_mem_sample *out, diag *d);
/* Memory samples of the run's own process (the caller's), carried by `unit`'s
 * events with aux TRC_MEM_MAIN; `baseline` (may be NULL) was read before the
 * units were made and is written with the first sample (TRC_MEM_BASELINE).
 * Processes of units are found by themselves: a PROC_START (fork or spawn)
 * that the drain hands on starts the samples of its pid, carried by its unit;
 * its PROC_EXIT ends them. Call before trc_recorder_start. Thread: the
 * recorder's owner. */
void trc_recorder_mem_main(trc_recorder *r, uint32_t unit, const trc_mem_sample *baseline);
/* No more samples from now on (call before taking the run's end time, so no
 * sample is later than the run's end). Thread: the recorder's owner. */
void trc_recorder_mem_end(trc_recorder *r);
/* Memory sampling so far: passes, processes read, and the drain's CPU ns spent reading. */
void trc_recorder_mem_cost(trc_recorder *r, uint64_t *passes, uint64_t *reads, uint64_t *ns);

/* The slow path of trc_emit, not inlined: a full ring (waits for the drain or
 * drops), the half-full mark (rings the drain), or a change of CPU (a CPU event
 * goes first). */
void trc_emit_slow_(trc_ring *r, bool ordered, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
                    uint32_t extra);

/* The hot path: no lock, no syscall, no call. trc_emit_sync() is for events that
 * follow an acquisition (a lock taken, an item got, a wake-up): its timestamp is
 * read strictly after the acquiring instruction, so it never lands before the
 * release it follows (costs one lfence). The CPU comes with the tick (the rseq
 * area's cpu_id, or rdtscp). Everything unusual goes to trc_emit_slow_ through
 * one test: the CPU changed (a CPU event goes first), or head passed tail_cache
 * (a full ring, or the half-full mark: see trc_recorder.c). The mode (complete
 * or drop) and the event limit are never looked at here: the slow path reads
 * the mode, the drain counts the events. Always inlined: a call and its saved
 * registers cost as much as the rest (weft's sim and bench_recorder had
 * out-of-line copies of this function). */
__attribute__((always_inline)) static inline void trc_emit_(trc_ring *r, bool ordered, uint16_t kind, uint32_t obj,
                                                             uint16_t aux, uint64_t arg, uint32_t extra) {
    clk_tick_cpu now = clk_ticks_cpu(&r->clk, ordered, r->cpu);
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (__builtin_expect((now.cpu != r->cpu) | (h - r->tail_cache > r->mask), 0)) {
        trc_emit_slow_(r, ordered, kind, obj, aux, arg, extra);
        return;
    }
    trc_event *e = &r->ev[h & r->mask];
    e->t = now.t;
    e->arg = arg;
    e->unit = r->unit;
    e->obj = obj;
    e->kind = kind;
    e->aux = aux;
    e->extra = extra;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
}
static inline void trc_emit(trc_ring *r, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg, uint32_t extra) {
    trc_emit_(r, false, kind, obj, aux, arg, extra);
}
static inline void trc_emit_sync(trc_ring *r, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg, uint32_t extra) {
    trc_emit_(r, true, kind, obj, aux, arg, extra);
}

/* ======================================================================
 * 5. Derived model: one analysis feeds the viewer, stats and exporters
 * ====================================================================== */

/* Unit states, in drawing order of the legend. */
#define TRC_STATE_MAP(X)                              \
    X(RUNNING,  0, "running")   /* between steps */   \
    X(COMPUTE,  1, "computing")                       \
    X(BLOCKED,  2, "blocked")   /* span.obj says on what */ \
    X(SLEEP,    3, "sleeping")                        \
    X(DONE,     4, "done")                            \
    X(IDLE,     5, "idle")      /* a pool worker waiting for a task (WAIT_BEGIN op GET \
                                   on its pool), an event loop with nothing to run     \
                                   (op SELECT): not contention */                      \
    X(FLUSH,    6, "recorder flush") /* waiting for the recorder's drain (a full buffer): \
                                        the recording's cost, not the scenario's */      \
    X(UNKNOWN,  7, "unknown")   /* events of the unit were lost (or the file was cut): \
                                   from the gap to its next event, nothing is known */ \
    X(READY,    8, "ready")     /* a task that can run again waits for its loop (the  \
                                   loop runs another task, or a task blocks it): from  \
                                   READY (moved back by its arg, how late) to its next \
                                   event */ \
    X(GIL_WAIT, 9, "waiting for the GIL") /* from GIL_REQUEST to GIL_ACQUIRE: ready to run \
                                   Python code, another unit holds the GIL */ \
    X(RUNNABLE, 10, "runnable")  /* the kernel preempted it: it wants a CPU and waits \
                                   for one (SCHED_SWITCH out preempted -> in) */
enum trc_state {
#define X(name, num, str) TRC_ST_##name = num,
    TRC_STATE_MAP(X)
#undef X
    TRC_ST__COUNT = 11
};
const char *trc_state_name(unsigned s);
bool trc_state_known(unsigned s);   /* one of TRC_STATE_MAP (the numbers have gaps) */

typedef struct trc_span {
    uint64_t t0, t1;        /* relative ns, t0 < t1 (t0 == t1 only never) */
    uint32_t obj;           /* BLOCKED: the object (0 for a JOIN wait, or a RESULT wait on no pool) */
    uint8_t state;          /* trc_state */
    uint8_t op;             /* BLOCKED: trc_op */
    uint8_t outcome;        /* BLOCKED: trc_outcome of the wait */
    uint8_t pad;
    uint64_t target;        /* BLOCKED: WAIT_BEGIN's arg: for JOIN the unit waited for, for RESULT
                               the future id; COMPUTE/SLEEP of a loop: the task blocking it + 1;
                               READY: the loop; 0 otherwise */
} trc_span;

/* What the kernel did with a unit (traces/trc_sched.c). From SCHED_SWITCH
 * events (perf context-switch records) when the run has them; else from the
 * computes' CPU time against their wall time and SCHED_COUNTS. */
typedef struct trc_cpu_span { uint64_t t0, t1; uint32_t cpu; uint32_t unit; } trc_cpu_span;
typedef struct trc_unit_sched {
    trc_cpu_span *oncpu; size_t noncpu;   /* kernel: on-CPU intervals (sorted), with their CPU */
    uint64_t t_oncpu;                     /* kernel: their total */
    uint64_t t_runnable;                  /* kernel: preempted, waiting for a CPU (the RUNNABLE state) */
    uint32_t preemptions;                 /* kernel: switches out while runnable (involuntary) */
    uint32_t blocks;                      /* kernel: switches out to wait (voluntary) */
    uint32_t migrations;                  /* a CPU other than the one before (CPU events, or on-CPU intervals) */
    uint32_t cpu_first, cpu_last;         /* UINT32_MAX: never seen */
    uint64_t vol, invol;                  /* SCHED_COUNTS: context switches by the end (getrusage) */
    bool has_counts;
    uint64_t compute_cpu;                 /* CPU ns burnt by its computes (COMPUTE_END args) */
    uint64_t compute_wall;                /* their wall time, less the GIL waits inside them: wall - cpu is
                                             the time a compute was runnable without a CPU */
} trc_unit_sched;
typedef struct trc_gap {
    uint64_t t0, t1;        /* relative ns, t0 <= t1 */
    uint64_t lost;          /* events lost in it */
    uint64_t ev;            /* the LOST event's index */
} trc_gap;

typedef struct trc_unit_track {
    trc_span *spans; size_t nspans;  /* sorted, non-overlapping, from start to run end */
    uint64_t t_start, t_exit;        /* relative ns; t_exit = run end if it never exited */
    bool exited, aborted;
    bool failed;                     /* it exited by an error it did not catch (UNIT_EXIT aux ERROR) */
    uint64_t t_state[TRC_ST__COUNT]; /* total time per state (DONE: after exit) */
    uint32_t waits;                  /* WAIT_BEGIN count */
    uint32_t marks;                  /* MARK count */
    /* daemons: `killed` when the unit exited with TRC_EXIT_KILLED or a DAEMON_KILLED
     * event names it (then exited is set by its UNIT_EXIT, aborted is not);
     * t_killed = the DAEMON_KILLED time, else its exit time */
    bool killed;
    uint64_t t_killed;
    /* spawn/join: the unit whose SPAWN named this one (UINT32_MAX = none) and when;
     * the first unit that JOINED it (UINT32_MAX = none) and when */
    uint32_t spawner, joiner;
    uint64_t t_spawn, t_joined;
    bool cancelled;                  /* a task ended by a cancellation (UNIT_EXIT TRC_EXIT_CANCELLED) */
    /* event loops (TRC_UNIT_LOOP, from LOOP_TICK): ticks, the tasks ready at each tick and the lag
     * of the deadlines fired (step series, relative ns; both empty for other units) */
    uint32_t ticks;
    struct trc_sample *ready_len; size_t nready_len;
    struct trc_sample *lag; size_t nlag;
    int64_t max_ready;
    uint64_t max_lag;
    trc_unit_sched sched;
    /* processes (PROC_START, PROC_EXIT): the unit's process, and how it ended */
    int32_t pid, ppid;               /* 0: none recorded */
    uint8_t start_method;            /* trc_start_method */
    bool proc_ended;                 /* a PROC_EXIT: its process was reaped */
    bool died;                       /* it ended without a UNIT_EXIT (killed, crashed): exited is set too */
    bool owns;                       /* an owner in some lock's, rlock's, rwlock's or the GIL's stored owners,
                                        or the setter of an event's set span (trc_model.owns_kept) */
    int32_t exit_code, exit_signal;  /* as PROC_EXIT said (exit_signal 0: it exited) */
    uint64_t t_proc_exit;            /* relative ns */
    /* the recording's own gaps: intervals where this unit's events were lost
     * (LOST events: from the first drop to its next recorded event, or the run's
     * end), in time order; the spans there are UNKNOWN */
    trc_gap *gaps; size_t ngaps;
    uint64_t lost;                   /* events lost, the sum over gaps */
    bool unknown_end;                /* its last events were lost, or the file ends before its exit */
    uint32_t flushes;                /* waits for the recorder (FLUSH spans); time: t_state[TRC_ST_FLUSH] */
    /* what the spans do not say, counted from its events for the stats */
    uint64_t cpu_ns;                 /* CPU burnt in compute steps: the sum of its COMPUTE_END args */
    uint32_t puts, gets;             /* its PUT and GET events (the items it put and got) */
    /* Its latest blocked span on a lock, rlock or rwlock ([hold_t0, hold_t1) on object hold_obj; 0:
     * none, or a later blocked span was on another kind) and the owner of that object at the span's
     * last nanosecond (TRC_UNIT_UNKNOWN: nobody known), found as the model is built, only when the
     * owners go to an owner sink (trc_model_opts): what trc_waitfor_end reads then. Without a sink
     * all four stay 0: the stored owners say who held what. */
    uint32_t hold_obj, holder;
    uint64_t hold_t0, hold_t1;
} trc_unit_track;

typedef struct trc_sample { uint64_t t; int64_t v; } trc_sample;  /* step function */
/* owner: a unit, or TRC_UNIT_UNKNOWN while lost events hide who held it */
typedef struct trc_owner_span { uint64_t t0, t1; uint32_t owner; uint32_t depth; } trc_owner_span;
#define TRC_UNIT_UNKNOWN UINT32_MAX
#define TRC_OWNER_HELD_STEP 16
#define TRC_LEVEL_BLK_STEP 64

/* Counters: every COUNTER_READ and COUNTER_WRITE, in time order. */
typedef struct trc_counter_op {
    uint64_t t;             /* relative ns */
    int64_t value;          /* read or written */
    uint32_t unit;
    int32_t lost;           /* writes: the net change by others this write replaced (COUNTER_WRITE
                               extra as int32; negative when it put back what a stale write dropped) */
    bool write;
    bool stale;             /* reads: another unit wrote the counter between this read and the
                               reader's next write of it (a read-modify-write that was overtaken) */
    uint8_t mode;           /* writes: trc_counter_mode */
} trc_counter_op;

typedef struct trc_object_track {
    trc_sample *depth; size_t ndepth;        /* queues: depth after each put/get, starts with (0,0) */
    trc_owner_span *owners; size_t nowners;  /* exclusive owners, sorted, never overlapping: locks and
                                                rlocks (depth = the deepest recursion of that ownership),
                                                rwlocks: the writers. Built with an owner sink
                                                (trc_model_opts): owners is NULL, nowners still counts */
    uint64_t *owners_held; size_t nowners_held;  /* a sparse prefix sum of owners for the viewer:
                                                owners_held[k] = time held in owners[0 .. k *
                                                TRC_OWNER_HELD_STEP); k < nowners_held */
    uint64_t *owners_t1;                     /* beside it: owners_t1[k] = owners[k * TRC_OWNER_HELD_STEP].t1,
                                                so the viewer finds a time's block without reading
                                                millions of spans; NULL in a model made without it */
    int64_t max_depth;                       /* queues */
    trc_sample *depth_blk; size_t ndepth_blk;  /* a sparse max of depth for the viewer (TRC_LEVEL_BLK_STEP) */
    uint32_t waits;                          /* units that blocked on it */
    uint32_t handoffs;                       /* owned kinds: HANDOFF flows (release -> a waiter's acquire) */
    uint32_t puts, gets;
    uint64_t t_held;                         /* locks, rlocks, rwlock writers: total time owned */
    uint32_t repairs;                        /* owner spans made up for lost events (TRC_UNIT_UNKNOWN) */

    /* One step series per object, whose meaning depends on the kind (empty for
     * the others):
     *   semaphore  permits in use (ACQUIRE/RELEASE extra), starts (0,0); capacity = permits
     *   rlock      recursion depth of the owner (ACQUIRE/RELEASE arg), starts (0,0)
     *   rwlock     readers holding it (ACQUIRE/RELEASE extra), starts (0,0)
     *   counter    its value after each write; starts with (0, v) when a read of v
     *              comes before the first write
     *   barrier    units arrived in the current generation (BARRIER_ARRIVE extra; 0
     *              again when it opens), starts (0,0)
     *   pipe       bytes in the pipe: each message's 16-byte header and body, from its
     *              SEND to its RECV; starts (0,0) */
    trc_sample *level; size_t nlevel;
    int64_t max_level;                       /* max of level: semaphores max permits in use, rlocks
                                                max depth, rwlocks max readers */
    int64_t min_level;                       /* min of level (kept with level_blk) */
    trc_sample *level_blk; size_t nlevel_blk;  /* a sparse max of level for the viewer: level_blk[k] =
                                                { level[k * TRC_LEVEL_BLK_STEP].t, the max of level[k *
                                                STEP .. (k + 1) * STEP) }. Kept as the samples are
                                                pushed (no pass over millions of them later); a series
                                                without it (a pipe's) has nlevel_blk != ceil(nlevel /
                                                STEP), and min_level is then not kept either */
    uint32_t acquires;                       /* ACQUIRE events: locks, rlocks (each level), semaphores
                                                (permits taken), rwlocks (reads and writes) */
    uint32_t shared_acquires;                /* rwlocks: read acquisitions */
    uint32_t timeouts;                       /* waits on it that timed out */
    /* conditions */
    uint32_t notifies;                       /* NOTIFY events */
    uint32_t woken;                          /* conditions, events: waiters woken (NOTIFY/SET extra) */
    /* events: set from a SET until the next CLEAR (or the run's end); owner = the
     * unit that set it, depth = the set seq */
    trc_owner_span *set_spans; size_t nset_spans;
    uint32_t sets, clears;
    uint64_t t_set;                          /* total time set */
    /* barriers */
    uint32_t arrivals, generations;          /* BARRIER_ARRIVE, BARRIER_OPEN events */
    uint32_t breaks;                         /* BARRIER_BROKEN events that broke it (not resets) */
    /* counters */
    trc_counter_op *cops; size_t ncops;
    uint32_t reads, writes;
    uint64_t lost_updates;                   /* signed sum of COUNTER_WRITE extra (exact) */
    uint32_t stale_reads;                    /* reads marked stale (see trc_counter_op) */
    int64_t final_value;                     /* the last value written, else read */
    bool has_value;                          /* a value was read or written */
    /* pools: their futures are m->futures[future0 .. future0 + nfutures), drawn on
     * future_lanes lanes (see trc_future.lane) */
    size_t future0, nfutures;
    uint32_t future_lanes;
    uint32_t rejected;                       /* pools: submits refused after shutdown (ERROR events on it) */
    uint32_t submitted, started, completed, failed, cancelled;  /* completed: TASK_DONE ok;
                                                failed: TASK_DONE with another outcome */
    uint32_t cancel_failed;                  /* CANCEL that found the future running or done */
    uint32_t callbacks, results;             /* CALLBACK, RESULT events */
    /* queues */
    uint32_t task_dones;                     /* QUEUE_TASK_DONE events */
    /* the GIL: owners, t_held, acquires and handoffs as a lock's (handoffs: a drop -> the
     * acquisition by a unit that waited for it); waits: GIL_REQUESTs */
    uint32_t gil_drops[TRC_GIL__COUNT];      /* GIL_DROPs by reason (trc_gil_drop) */
    uint32_t gil_drop_requests;
    uint64_t gil_wait_total, gil_wait_max;   /* GIL_REQUEST -> GIL_ACQUIRE */
    uint64_t gil_handoff_total, gil_handoff_max;   /* GIL_DROP -> the next holder's GIL_ACQUIRE, when it waited */
    /* processes: pipes, shm, vars, managers; queues' and pools' messages */
    uint64_t bytes;                          /* pipes: bytes sent; queues, pools: bytes pickled */
    uint64_t pickle_ns;                      /* queues, pools: CPU time pickling and unpickling */
    uint32_t pickles;                        /* ... and how many times */
    uint32_t sends, recvs, eofs, closes, polls;   /* pipes */
    uint32_t shm_writes, shm_reads, torn_reads;   /* shm */
    bool unlinked;                           /* shm: a SHM_UNLINK */
    uint32_t var_sets;                       /* vars: VAR_SET events (each unit's process has its own value
                                                on processes: the values are in the instants) */
    uint32_t requests;                       /* managed objects: REQUEST events; managers: SERVE events */
} trc_object_track;

enum trc_flow_kind { TRC_FLOW_ITEM = 1 /* put -> get of one item */,
                     TRC_FLOW_HANDOFF = 2 /* release -> next acquire by another unit (locks,
                                             rlocks, rwlock writers) */,
                     TRC_FLOW_NOTIFY = 3 /* NOTIFY -> WAIT_END of each waiter it woke (item: seq) */,
                     TRC_FLOW_SET = 4 /* SET -> WAIT_END of each waiter it released (item: seq) */,
                     TRC_FLOW_BARRIER = 5 /* BARRIER_OPEN -> WAIT_END of each waiter released
                                             (item: generation) */,
                     TRC_FLOW_SPAWN = 6 /* SPAWN -> the child's first event (item: child unit) */,
                     TRC_FLOW_JOIN = 7 /* the child's UNIT_EXIT -> JOINED in the joiner (item: child) */,
                     TRC_FLOW_SUBMIT = 8 /* SUBMIT -> TASK_START (item: future id) */,
                     TRC_FLOW_TASK = 9 /* TASK_START -> TASK_DONE (item: future id) */,
                     TRC_FLOW_CALLBACK = 10 /* TASK_DONE (or the CANCEL) -> CALLBACK (item: future id) */,
                     TRC_FLOW_RESULT = 11 /* TASK_DONE (or the CANCEL) -> each RESULT that got the
                                             outcome (item: future id) */,
                     /* processes */
                     TRC_FLOW_MESSAGE = 12 /* SEND -> the RECV of that message (item: message id) */,
                     TRC_FLOW_REQUEST = 13 /* REQUEST -> the manager's SERVE (item: request id) */,
                     TRC_FLOW_REPLY = 14 /* SERVE -> the client's REPLY (item: request id) */,
                     TRC_FLOW_SIGNAL = 15 /* SIGNAL -> the PROC_EXIT of the process it killed (item: the
                                             signal) */ };
#define TRC_FLOW__COUNT 16
const char *trc_flow_kind_name(unsigned k);
/* Names of the queue kinds ("fifo") and counter modes ("racy") of sections 1-2. */
const char *trc_queue_kind_name(unsigned k);
const char *trc_counter_mode_name(unsigned m);
/* "SIGKILL", "SIGTERM", ... or NULL for a signal without a name here. */
const char *trc_signal_name(int sig);

/* 72 bytes (a busy queue makes a flow per item: a million of them are 72 MB) */
typedef struct trc_flow {
    uint64_t id;            /* unique within the run, > 0 */
    uint64_t t0, t1;        /* relative ns, t0 <= t1 */
    uint32_t u0, u1;        /* from unit, to unit */
    uint32_t obj;           /* 0 for SPAWN and JOIN */
    uint16_t kind;          /* trc_flow_kind (< TRC_FLOW__COUNT) */
    bool has_value;         /* ITEM: the item was put with a value (ITEM_VALUE): value */
    uint64_t item;          /* ITEM: item id; see trc_flow_kind for the others */
    uint64_t ev0, ev1;      /* indexes in run->events of the events at both ends */
    int64_t value;          /* ITEM with has_value: the item's value */
} trc_flow;
_Static_assert(sizeof(trc_flow) == 72, "trc_flow is 72 bytes");

typedef struct trc_mark { uint64_t t; uint32_t unit; const char *text; } trc_mark;

/* Point events worth drawing, in time order: NOTIFY, SET, CLEAR, BARRIER_OPEN,
 * SPAWN, JOINED, SUBMIT, TASK_START, TASK_DONE, CANCEL, CALLBACK, RESULT,
 * QUEUE_TASK_DONE, LOCAL_SET, DAEMON_KILLED, COUNTER_WRITEs that lost
 * updates (extra > 0), RAISE, CAUGHT, BARRIER_BROKEN, the RELEASEs of
 * plain locks by units that did not hold them (aux TRC_RELEASE_FOREIGN),
 * TASK_CANCEL and CANCELLED, GIL_DROP_REQUESTs and GIL_DROPs answering one
 * (aux TRC_GIL_INTERVAL). Fields as in the event; text: LOCAL_SET's
 * string, RAISE's and CAUGHT's error text.
 * An item with a value gives ITEM_VALUE instants at its PUT (aux 0) and at its
 * GET (aux 1): obj the queue, arg the value, extra the item id (low 32 bits),
 * ev the PUT's or GET's index. For processes: PROC_EXIT, SIGNAL,
 * SEND, RECV, PIPE_CLOSE, POLL, SHM_WRITE, SHM_READ, SHM_UNLINK, VAR_SET,
 * REQUEST, SERVE, REPLY. */
typedef struct trc_instant {
    uint64_t t;             /* relative ns */
    uint64_t ev;            /* index in run->events */
    uint64_t arg;
    uint32_t unit, obj;
    uint16_t kind;          /* trc_ev_kind */
    uint16_t aux;
    uint32_t extra;
    const char *text;
} trc_instant;

/* A future's life, from a pool's SUBMIT/TASK_START/TASK_DONE/CANCEL/CALLBACK/RESULT
 * events. Times are relative ns, TRC_T_NONE when it never happened. */
#define TRC_T_NONE UINT64_MAX
enum trc_future_state { TRC_FUT_NONE = 0 /* not submitted yet */, TRC_FUT_PENDING = 1, TRC_FUT_RUNNING = 2,
                        TRC_FUT_FINISHED = 3, TRC_FUT_CANCELLED = 4 };
const char *trc_future_state_name(unsigned s);
typedef struct trc_future {
    uint64_t id;            /* the future id (SUBMIT arg) */
    uint32_t pool;          /* object id of its pool */
    uint32_t submitter;     /* UINT32_MAX = unknown (no SUBMIT) */
    const char *task;       /* the task's name (SUBMIT extra), NULL if not recorded */
    uint32_t worker;        /* the unit that ran it (TASK_START); UINT32_MAX = never started */
    uint32_t callback_unit; /* UINT32_MAX = no callback */
    uint64_t t_submit, t_start, t_done;  /* t_done: TASK_DONE */
    uint64_t t_cancel;      /* the CANCEL that cancelled it (aux 1) */
    uint64_t t_callback;    /* CALLBACK */
    uint64_t t_result;      /* the first RESULT that got its outcome (not a timeout) */
    uint8_t outcome;        /* TASK_DONE aux (trc_outcome); TRC_OUT_CANCELLED when cancelled */
    bool cancelled;         /* cancelled while pending */
    uint32_t results;       /* RESULT events that got its outcome */
    uint32_t result_timeouts;  /* RESULT events that timed out */
    /* For drawing: the future lives from t_begin (the first of submit, start, cancel,
     * done) to t_end (the last of done, cancel, callback; the run's end if it never
     * finished). `lane` is its row within its pool: futures on one lane never
     * overlap, a future takes the lane that became free first (the pool's
     * future_lanes lanes). UINT32_MAX and TRC_T_NONE when the future has none of
     * these events (only a RESULT was seen). */
    uint64_t t_begin, t_end;
    uint32_t lane;
} trc_future;
/* PENDING from submit, RUNNING from start, FINISHED from done, CANCELLED from
 * cancel; NONE before the first of them. */
unsigned trc_future_state_at(const trc_future *f, uint64_t t);

/* The run's scheduling as a whole (traces/trc_sched.c). */
enum trc_sched_source { TRC_SCHED_NONE = 0 /* no data: a virtual clock, or an old recording */,
                        TRC_SCHED_KERNEL = 1 /* perf context-switch records */,
                        TRC_SCHED_FALLBACK = 2 /* perf refused: CPU time vs wall time, switch counts */ };
typedef struct trc_cpu_track {
    trc_cpu_span *spans; size_t nspans;      /* the units on this CPU, sorted (kernel source) */
    uint64_t t_busy;
} trc_cpu_track;
typedef struct trc_sched {
    uint32_t source;                         /* trc_sched_source */
    uint32_t cores;                          /* the machine's (run->cores) */
    trc_cpu_track *cpus; uint32_t ncpus;     /* per CPU number seen (kernel), else none */
    /* units wanting a CPU: on one or runnable (kernel), or running / computing / runnable
     * by their states (fallback); a step series from (0, 0) */
    trc_sample *want; size_t nwant;
    int64_t max_want;
    uint64_t t_oversub;                      /* time more units wanted a CPU than there are cores */
    double avg_want;                         /* time-weighted mean of want over the run */
    uint32_t migrations, preemptions;        /* sums over the units */
    uint32_t cpu_events;                     /* CPU events: the recorder knew its CPU */
} trc_sched;
#define TRC_MAX_WARNINGS 1000
typedef struct trc_warning {
    uint64_t ev;            /* the event's index in the run's time order */
    uint64_t offset;        /* its byte offset in the file (has_offset) */
    bool has_offset;
    uint64_t t;             /* relative ns */
    uint32_t unit;
    char msg[232];
} trc_warning;

/* Memory of the run's processes (traces/trc_model_mem.c), from MEM_RESIDENT and
 * MEM_VIRTUAL. Bytes; times relative ns. */
typedef struct trc_mem_proc {
    int32_t pid;
    uint32_t unit;                           /* the unit that carried its samples */
    bool main;                               /* the run's own process (weft's) */
    char name[72];                           /* "weft (main)" for main, else its unit's name */
    trc_sample *resident, *virt; size_t n;   /* step series, one point per sample */
    bool has_base;                           /* a baseline: measured before the units were made */
    uint64_t base_resident, base_virt;
    uint64_t peak_resident, peak_virt;
} trc_mem_proc;
typedef struct trc_mem {
    trc_mem_proc *procs; uint32_t nprocs;    /* main first, then in order of first sample */
    /* every process together (each at its last sample), as a step series */
    trc_sample *resident, *virt; size_t n;
    uint64_t base_resident, base_virt;       /* the baseline: main's (the units' processes did not exist) */
    uint64_t peak_resident, peak_virt;       /* the most of the total over the run */
    uint32_t units_started;                  /* units that began (an event loop is the runtime's: not counted) */
    /* per unit: (peak - baseline) / units started; 0 when unit_unknown says why there is none */
    double unit_resident, unit_virt;
    /* NULL when the per-unit figures are known; else why not (a static string): no baseline, no unit
     * began, or one unit began (its growth cannot be told from the runtime's own: idle pool threads,
     * the recorder) */
    const char *unit_unknown;
    bool has_base;
} trc_mem;

typedef struct trc_model {
    const trc_run *run;
    uint64_t makespan;                 /* relative ns of the run's end */
    trc_unit_track *units;             /* run->nunits entries */
    trc_object_track *objects;         /* run->nobjects entries, index = obj id - 1 */
    trc_flow *flows; size_t nflows;    /* sorted by t0 (then id) */
    uint64_t flow_maxdur;              /* the longest flow's t1 - t0, for the viewer's window queries */
    bool owns_kept;                    /* trc_unit_track.owns is kept (a model made by trc_model_build) */
    trc_mark *marks; size_t nmarks;
    uint64_t unmatched_puts, unmatched_gets;  /* items put but never got, and vice versa */
    trc_instant *instants; size_t ninstants;  /* in time order */
    trc_future *futures; size_t nfutures;     /* grouped by pool (object order), by first event within */
    uint64_t unmatched_wakes;          /* WAIT_END naming a NOTIFY/SET/BARRIER_OPEN that is not there */
    uint64_t lost_updates;             /* sum over counters */
    trc_sched sched;
    trc_mem mem;                       /* the processes' memory (nprocs 0: not recorded) */
    uint64_t lost;                     /* events lost (LOST events), over all units */
    /* What the model had to make up: an ownership whose acquisition or release
     * was lost, a unit whose end is not in a cut file, an event before the run's
     * start. The first TRC_MAX_WARNINGS are kept; warnings_total counts all. */
    trc_warning *warnings; size_t nwarnings;
    uint64_t warnings_total;
} trc_model;

/* Builds the model of one run, from its events wherever they are (a loaded
 * run's are read from the file as they are needed). Never refuses a recording
 * with gaps: lost events make UNKNOWN spans and made-up owners, with warnings.
 * Fails only on a run built in memory whose events are out of time order or
 * name units or objects it does not have (d says which event and why), or out
 * of memory. */
int trc_model_build(trc_model *m, const trc_run *run, diag *d);
typedef struct trc_model_opts {
    void (*progress)(void *ctx, uint64_t done, uint64_t total);   /* events read so far (every 64K) */
    void *ctx;
    /* An owner sink (NULL: none): every ownership (trc_owner_span) of a lock, rlock, rwlock writer or
     * GIL is handed to it as it closes, in time order per object (obj: the object's index, id - 1),
     * including the made-up TRC_UNIT_UNKNOWN ones and those still open at the run's end, instead of
     * being stored: the model's owners and owners_held stay empty, while nowners, t_held, repairs,
     * acquires, handoffs and every other figure are what they would be without it. m is the model
     * being built: the sink may read the object's level series, which holds every sample up to the
     * span's end. A non-zero return (-ERR_xxx) stops the build, which then fails with it. The
     * viewer and stats keep the owners (no sink); the Perfetto export streams them (trc_pf_stream). */
    int (*owner_sink)(void *sink_ctx, const trc_model *m, uint32_t obj, const trc_owner_span *s);
    void *sink_ctx;
} trc_model_opts;
int trc_model_build_opts(trc_model *m, const trc_run *run, const trc_model_opts *opts, diag *d);
void trc_model_release(trc_model *m);
/* The model hands its processes' part (trc_model_procs.c) only the kinds that
 * part reads: true for those. For tests, trc_model_procs_mask_check hands
 * every other kind to that part anyway, on objects of several kinds: 0 when
 * none changed anything, else -1 with `why` naming the kind. */
bool trc_model_procs_reads(uint16_t kind);
int trc_model_procs_mask_check(char *why, size_t cap);
/* Sorts flows by (t0, id) (ids unique), as the model sorts the flows it could not keep in
 * order as they came (traces/trc_model_sort.c): adapted to nearly sorted input (the few flows
 * out of place are taken out, sorted alone and merged back, with memory for them only; past a
 * quarter of them, an in-place heap sort). Public for the tests. */
void trc_flows_sort(trc_flow *v, size_t n);
/* The span of unit u covering relative time t, or NULL. O(log n). */
const trc_span *trc_model_span_at(const trc_model *m, uint32_t u, uint64_t t);
/* First span index with t1 > t (binary search), for drawing a window. */
size_t trc_model_span_lower(const trc_unit_track *ut, uint64_t t);
/* Value of a step-function counter at time t. */
int64_t trc_sample_at(const trc_sample *s, size_t n, uint64_t t);

/* The wait-for graph at the run's end (traces/trc_waitfor.c): every unit whose
 * last state was a wait that never ended (it was aborted, or the run ended),
 * what it waited on and who held that, and the first cycle among them. */
typedef struct trc_wait_edge {
    uint32_t unit;          /* the waiting unit */
    uint32_t obj;           /* what it waits on (0: a join, or a result with no pool) */
    uint8_t op;             /* trc_op */
    bool in_cycle;
    uint64_t target;        /* JOIN: the unit; RESULT: the future id */
    uint64_t since, until;  /* relative ns: the wait's span */
    uint32_t holder;        /* the unit it waits for (owner, joined unit, worker); UINT32_MAX = none known */
} trc_wait_edge;
typedef struct trc_waitfor {
    trc_wait_edge *waits; size_t nwaits;   /* in unit order */
    uint32_t *cycle; size_t ncycle;        /* cycle[i] waits for cycle[(i + 1) % ncycle]; 1 = waits for itself */
} trc_waitfor;
int trc_waitfor_end(trc_waitfor *w, const trc_model *m);
void trc_waitfor_release(trc_waitfor *w);

/* ======================================================================
 * 6. Stats and exporters
 * ====================================================================== */

/* The unit states as a table (TRC_STATE_MAP in order; its numbers may have
 * gaps): what stats, diff and the exporters iterate, so a new state shows up
 * in them without code there. key: the lower-case enum name ("blocked"),
 * used in JSON and in diff's figures; name: trc_state_name. */
typedef struct trc_state_info { unsigned id; const char *key; const char *name; } trc_state_info;
const trc_state_info *trc_state_table(unsigned *n);

/* A distribution of durations (ns): count, sum, nearest-rank p50 and p95, max. */
typedef struct trc_dist { uint64_t n, total, p50, p95, max; } trc_dist;

/* Stats of one run (traces/trc_stats.c), read off the model. */
typedef struct trc_unit_stats {
    uint64_t life_ns;                 /* start to exit (or the run's end) */
    uint64_t cpu_ns;                  /* CPU burnt in compute steps (COMPUTE_END arg) */
    uint64_t t_state[TRC_ST__COUNT];  /* indexed by state id */
    trc_dist wait;                    /* its blocked waits, on any object */
    uint32_t timeouts;                /* waits that timed out */
    uint64_t lost;                    /* its events lost (trc_unit_track.lost) */
    uint64_t flush_ns; uint32_t flushes;   /* waits for the recorder (its FLUSH time and spans) */
    uint32_t puts, gets;
} trc_unit_stats;

typedef struct trc_obj_stats {
    trc_dist wait;                    /* blocked waits on it (all units) */
    uint32_t timeouts;
    /* owned kinds (locks, rlocks, rwlock writers): contention */
    uint64_t held_ns; double held_share;   /* of the makespan */
    uint32_t acquisitions, contended;      /* contended: acquisitions that had to wait */
    double contention;                     /* contended / acquisitions (0 when none) */
    /* queues (time-weighted over the run) */
    uint32_t puts, gets;
    double depth_mean; int64_t depth_p50, depth_p95, depth_max;
    uint64_t full_ns, empty_ns;            /* depth == capacity (bounded), depth == 0 */
    double items_per_s;                    /* gets per second of makespan */
} trc_obj_stats;

/* Units of one actor (trc_unit.group) together. */
typedef struct trc_group_stats {
    const char *name;
    uint32_t nunits;
    uint64_t cpu_ns;
    uint64_t t_state[TRC_ST__COUNT];
    trc_dist wait;                    /* all its waits */
    trc_dist *obj_wait;               /* nobjects entries: its waits per object */
} trc_group_stats;

typedef struct trc_stats {
    const trc_model *m;
    uint64_t makespan, cpu_ns, lost, flush_ns;
    uint32_t flushes;
    uint64_t t_state[TRC_ST__COUNT];  /* summed over units */
    trc_dist wait;                    /* every blocked wait */
    uint64_t items;                   /* items got from queues */
    double items_per_s;
    trc_unit_stats *units;            /* run->nunits */
    trc_obj_stats *objects;           /* run->nobjects, index = obj id - 1 */
    trc_group_stats *groups; uint32_t ngroups;   /* in order of first unit */
    arena mem;
} trc_stats;

/* Everything from the model (the events are not read again). Returns 0. */
int trc_stats_build(trc_stats *s, const trc_model *m);
void trc_stats_release(trc_stats *s);
/* key of state s ("blocked"), "" if s is not a state */
const char *trc_state_key(unsigned s);

/* Prints nothing: fills text into a caller buffer (cli/ prints it). */
void trc_stats_text(buf *out, const trc_model *m);
/* JSON following docs/schema/stats-1.json */
void trc_stats_json(buf *out, const trc_model *models, uint32_t nruns);
/* Several runs (backends, sweep values) side by side: one line each. Nothing for one run. */
void trc_stats_runs_text(buf *out, const trc_model *models, uint32_t nruns);

/* diff (traces/trc_diff.c): the figures of two runs side by side. A figure is
 * named by its path: "makespan", "blocked" (a state's key), or
 * SCOPE ":" NAME "." FIGURE with SCOPE unit, group or object
 * ("object:jobs.wait", "group:consumer.blocked"). */
enum trc_fig_unit { TRC_FIG_NS = 0, TRC_FIG_COUNT = 1, TRC_FIG_RATE = 2 /* per second */,
                    TRC_FIG_SHARE = 3 /* 0..1 */, TRC_FIG_LEVEL = 4 /* a depth */,
                    TRC_FIG_BYTES = 5 /* memory */ };
typedef struct trc_diff_row {
    const char *path;                 /* "object:jobs.wait" */
    const char *scope, *name, *figure;   /* "object", "jobs", "wait"; scope "run" and name "" at run level */
    uint8_t unit;                     /* trc_fig_unit */
    bool has_a, has_b;                /* the figure exists in that run */
    bool na_a, na_b;                  /* it does not, because it cannot be told there (memory per unit with
                                         one unit begun): "n/a", not "-" */
    double a, b;
} trc_diff_row;
typedef struct trc_diff {
    trc_diff_row *rows; size_t nrows;
    const char **lines; size_t nlines;   /* plain-language: what changed most */
    const char **only_a, **only_b;       /* unit and object names found on one side only */
    size_t nonly_a, nonly_b;
    arena mem;
} trc_diff;
int trc_diff_build(trc_diff *d, const trc_stats *a, const trc_stats *b);
void trc_diff_release(trc_diff *d);
const trc_diff_row *trc_diff_find(const trc_diff *d, const char *path);
/* text table (all rows, or only those that changed when `changed_only`) */
void trc_diff_text(buf *out, const trc_diff *d, const char *label_a, const char *label_b, bool changed_only);

/* --fail-if conditions: FIGURE OP VALUE, OP one of > >= < <= == !=, VALUE a
 * ratio of B to A ("1.2x"), a relative change ("+20%"), a signed delta
 * ("+5ms", "-3") or a plain value of B ("50ms", "0.9", "3"); times take ns,
 * us, ms or s. */
typedef struct trc_cond {
    char path[160];
    char op[3];
    enum { TRC_COND_RATIO, TRC_COND_PERCENT, TRC_COND_DELTA, TRC_COND_VALUE } kind;
    double v;
    const char *text;                 /* as given */
} trc_cond;
int trc_cond_parse(trc_cond *c, const char *text, diag *d);
/* 0 with *hit set (and `why` filled when hit), or -ERR_USAGE when the figure is unknown. */
int trc_cond_eval(const trc_cond *c, const trc_diff *d, bool *hit, char *why, size_t cap, diag *dg);
/* diff JSON following docs/schema/diff-1.json; pairs: n diffs with their labels */
void trc_diff_json(buf *out, const trc_diff *const *diffs, const char *const *labels_a, const char *const *labels_b,
                   size_t n, const trc_cond *conds, const bool *hits, size_t nconds);

/* Perfetto protobuf TracePacket stream (traces/trc_perfetto.c). One model per run. */
int trc_export_perfetto(FILE *out, const trc_recording *rec, const trc_model *models, diag *d);
/* The same run by run, so that only one run's model is alive at a time and the owner slices are
 * written as that model is built (its owner sink) instead of being stored in it:
 *     trc_pf_stream *s;
 *     trc_pf_stream_begin(&s, out, rec, d);
 *     for each run r, in order:
 *         trc_model_opts o = { ... };
 *         trc_pf_stream_run_begin(s, r, &o, d);      (sets o.owner_sink and o.sink_ctx)
 *         trc_model_build_opts(&m, &rec->runs[r], &o, d);
 *         trc_pf_stream_run_end(s, &m, d);           (the rest of the run, from its model)
 *         trc_model_release(&m);
 *     trc_pf_stream_end(s, d);                       (the trailer; frees s)
 * With opts NULL, run_begin sets no sink and run_end writes the owners the model stored. A begin
 * that fails leaves *s NULL (nothing to free). After a failure every call fails the same way; trc_pf_stream_free(s) drops a stream not ended. The
 * trace holds the same packets as trc_export_perfetto's; only the owner sequences come earlier
 * in the file (and their sequence ids differ). */
typedef struct trc_pf_stream trc_pf_stream;
int trc_pf_stream_begin(trc_pf_stream **s, FILE *out, const trc_recording *rec, diag *d);
int trc_pf_stream_run_begin(trc_pf_stream *s, uint32_t r, trc_model_opts *opts, diag *d);
int trc_pf_stream_run_end(trc_pf_stream *s, const trc_model *m, diag *d);
int trc_pf_stream_end(trc_pf_stream *s, diag *d);
void trc_pf_stream_free(trc_pf_stream *s);
/* 0 while the stream is sound; else its failure (-ERR_xxx), said in d */
int trc_pf_stream_error(trc_pf_stream *s, diag *d);
/* The loop above, as weft export runs it: every run in turn, on_model (NULL: none) shown each
 * model before it goes (the CLI prints its warnings). When a run's model cannot be built, d says
 * why and *failed_run (NULL: not wanted) is that run, else UINT32_MAX; a failure of the stream
 * itself (writing) comes first. */
typedef void (*trc_pf_model_fn)(void *ctx, uint32_t r, const trc_model *m);
int trc_export_perfetto_streamed(FILE *out, const trc_recording *rec, trc_pf_model_fn on_model, void *ctx,
                                 uint32_t *failed_run, diag *d);

/* A run whose counter samples (queue depths, levels, an event loop's series) number at least
 * this many has them encoded on a helper thread while the rest is encoded (trc_pf_side.c);
 * the trace is then the same trace with those sequences' packets interleaved by blocks of
 * 1 MiB (deterministic bytes). Default 1 << 20, or WEFT_PF_HELPER's (0, off, a number); 0
 * always, SIZE_MAX never (for tests and benches). Returns the previous value. Not thread-safe:
 * set it before exporting. */
size_t trc_pf_helper_min(size_t samples);

/* Progress of a long export: called now and then with the fraction done (0..1). */
typedef void (*trc_progress_fn)(void *ud, double done);

/* Chrome JSON trace event format (traces/trc_json.c): one process per run,
 * one thread per unit, complete events for the states, instants, counters for
 * queue depths, flows as s/f events. */
int trc_export_json(FILE *out, const trc_recording *rec, const trc_model *models, trc_progress_fn progress, void *ud,
                    diag *d);
/* A stable text dump (traces/trc_text.c): the run's header (no machine, no
 * absolute time), its units and objects, then every event with its time
 * relative to the run's start; with `scrub`, no times: each unit's events in
 * its own order (stable across runs of a deterministic scenario). */
int trc_export_text(FILE *out, const trc_recording *rec, const trc_model *models, bool scrub, trc_progress_fn progress,
                    void *ud, diag *d);

#endif
