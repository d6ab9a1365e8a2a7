/* sim: the scenario language and the runtime that runs it on real threads.
 *
 *   sim_parse()  text -> sim_program (AST + declarations), errors with line:col
 *   sim_run()    sim_program -> one run recorded into a .weft (via traces/),
 *                on the platform of its backend (sim/sim_platform.h)
 *
 * Library code: never prints, never exits.
 */
#ifndef WEFT_SIM_H
#define WEFT_SIM_H

#include "traces/trc.h"

/* ---- limits (each has its own error) ---------------------------------- */
#define SIM_MAX_UNITS      4096
#define SIM_MAX_OBJECTS    4096
#define SIM_MAX_CAPACITY   (1 << 20)     /* queue capacity */
#define SIM_MAX_PARAMS     256
#define SIM_MAX_NESTING    64
#define SIM_MAX_EXPR_DEPTH 200
#define SIM_MAX_DURATION   (3600ull * 1000000000ull)  /* one step: an hour */
#define SIM_MAX_REPEAT     100000000ll
#define SIM_MAX_RLOCK_DEPTH 1000000     /* one unit's re-entries of one rlock */
#define SIM_MAX_CALLBACK_DEPTH 64      /* done-callbacks run inline inside done-callbacks */
#define SIM_MAX_RUN_STRINGS 65536      /* distinct texts made while running (local values...) */
#define SIM_DEFAULT_SWITCH_INTERVAL 5000000ull   /* the GIL's, as CPython's since 3.2: 5 ms */
#define SIM_MIN_SWITCH_INTERVAL 1000ull
#define SIM_MAX_SWITCH_INTERVAL 10000000000ull
#define SIM_MAX_PROCESSES  1024        /* units that are processes, on the processes backend */
#define SIM_MAX_MESSAGE    (64 << 20)   /* bytes of one message (send, item=) */
#define SIM_MAX_SHM        (1 << 30)    /* bytes of one shm segment */
#define SIM_MAX_RUN_UNITS 65000        /* units in all, with the tasks made while running (create_task) */
#define SIM_MIN_TASK_STACK 8192          /* task_stack (coroutines), bytes */
#define SIM_MAX_TASK_STACK (1ll << 30)

/* ---- values and expressions ------------------------------------------- */

typedef enum sim_type { SIM_T_INT = 1, SIM_T_DUR = 2 } sim_type;

typedef struct sim_pos { int line, col; } sim_pos;

typedef enum sim_expr_kind {
    SIM_E_NUM, SIM_E_DUR, SIM_E_PARAM, SIM_E_BIN, SIM_E_NEG, SIM_E_CALL,
    SIM_E_UNIFORM,   /* uniform a b: a <= v <= b, seeded per unit */
    SIM_E_EXP,       /* exp m: exponential with mean m */
    SIM_E_CHOICE,    /* choice a, b, c: one of them, equally likely */
    SIM_E_COUNTER,   /* the current value of a shared counter */
    SIM_E_LAST,      /* timed_out / ok: the outcome of the unit's last blocking step */
    SIM_E_INDEX,     /* the unit's index within its actor: 0 .. count-1 */
    SIM_E_ARG,       /* in a task: its argument; in map / as_completed bodies: the item's */
    SIM_E_LOCAL,     /* a thread-local value of the running unit (param: local index) */
    SIM_E_MAKESPAN,  /* expect only: this run's makespan, or (param: sweep param, a: value)
                        the makespan of the sweep's run with that value */
    SIM_E_NOT,       /* not a: 1 when a is 0, else 0 */
    SIM_E_SIZE,      /* size Q: the items in queue obj (Queue.qsize()) */
    SIM_E_ALIVE,     /* alive A: 1 while any instance of actor `param` runs (Thread.is_alive()) */
    SIM_E_LOST,      /* expect only: lost_updates C, the updates of counter obj that racy writes lost */
    SIM_E_VAR,       /* a plain variable's value (obj: the var): this process's copy, or the manager's */
    SIM_E_MEM,       /* expect only: resident_per_unit (op 'r') / virtual_per_unit (op 'v'), bytes, of this run
                        (param UINT32_MAX) or of the run param/SIM_DIM_BACKEND = a, as MAKESPAN */
    SIM_E_NEVER_AWAITED   /* expect only: tasks made and never awaited in this run */
} sim_expr_kind;

typedef struct sim_expr {
    sim_expr_kind kind;
    sim_pos pos;            /* an operator's, a value's, a function's name */
    sim_pos start;          /* where the whole expression begins (a binary one: at its left operand) */
    sim_type type;          /* checked at parse time */
    int64_t value;          /* NUM, DUR (ns) */
    uint32_t param;         /* PARAM: index; LOCAL: local index; MAKESPAN: param, SIM_DIM_BACKEND or UINT32_MAX */
    int op;                 /* BIN: '+','-','*','/','%','<','>','l'(<=),'g'(>=),'=','!','&'(and),'|'(or) */
    const char *fn;         /* CALL: "min" / "max"; LAST: "timed_out" / "ok" */
    struct sim_expr *a, *b;
    struct sim_expr **items; uint32_t nitems;   /* CHOICE */
    uint32_t obj;           /* COUNTER, SIZE, LOST, VAR: object index (of element 0 when `index` is set) */
    struct sim_expr *index; /* COUNTER, SIZE, LOST, VAR on an array: the element, `c[index]` (NULL: a plain object) */
    bool is_const;          /* no random, counter or last-step parts: folded at parse time */
} sim_expr;

/* ---- declarations ------------------------------------------------------ */

typedef struct sim_param {
    const char *name;
    sim_pos pos;
    sim_expr *expr;
    int64_t value;          /* evaluated (after -D overrides) */
    sim_type type;
    bool overridden;
} sim_param;

/* The errors weft raises itself (an `except "TEXT"` clause matches them), as Python names them. */
#define SIM_ERR_BROKEN_BARRIER "BrokenBarrierError"
#define SIM_ERR_BOUNDED "ValueError: Semaphore released too many times"
#define SIM_ERR_UNLOCKED "RuntimeError: release unlocked lock"
#define SIM_ERR_UNACQUIRED "RuntimeError: cannot release un-acquired lock"

/* Values match enum trc_obj_kind. */
typedef enum sim_obj_kind { SIM_OBJ_LOCK = 1, SIM_OBJ_QUEUE = 2, SIM_OBJ_RLOCK = 3, SIM_OBJ_SEMAPHORE = 4,
                            SIM_OBJ_CONDITION = 5, SIM_OBJ_EVENT = 6, SIM_OBJ_BARRIER = 7,
                            SIM_OBJ_COUNTER = 9, SIM_OBJ_POOL = 10,
                            SIM_OBJ_RWLOCK = 8,
                            SIM_OBJ_PIPE = 16,      /* a real pipe(2): send/recv/poll/close */
                            SIM_OBJ_SHM = 17,       /* a shared memory segment: cap_value = bytes */
                            SIM_OBJ_VAR = 18,       /* a plain variable: cap_value = its initial value */
                            SIM_OBJ_MANAGER = 19    /* a server (a unit of its own) for `managed by` objects */
                          } sim_obj_kind;
#define SIM_OBJ__MAX 20

/* The backends (sim_backend.c names them). */
typedef enum sim_backend { SIM_BACKEND_THREADS = 1, SIM_BACKEND_PROCESSES = 2, SIM_BACKEND_COROUTINES = 3 } sim_backend;
#define SIM_BACKEND__MAX 4
/* The name of a backend ("threads"), or NULL. */
const char *sim_backend_name(unsigned b);
/* A backend by name: its id, or 0. */
unsigned sim_backend_by_name(const char *name, size_t len);
/* makespan[backend=NAME] selects a run by backend: the expression's param is this. */
#define SIM_DIM_BACKEND (UINT32_MAX - 1)

/* Process pools and units (sim_object.pool_kind, start). */
enum { SIM_POOL_THREADS = 0, SIM_POOL_PROCESSES = 1 };
enum { SIM_START_DEFAULT = 0, SIM_STARTM_FORK = 1, SIM_STARTM_SPAWN = 2 };

/* Which side an rwlock lets in first when both wait (sim_object.prefer). */
typedef enum sim_rw_prefer {
    SIM_RW_WRITERS = 0,     /* a waiting writer holds back new readers */
    SIM_RW_READERS = 1      /* readers overtake waiting writers: writers can starve */
} sim_rw_prefer;

typedef struct sim_object {
    const char *name;
    sim_pos pos;
    sim_obj_kind kind;
    sim_expr *capacity;     /* queues: capacity; semaphores: permits; barriers: parties; counters: initial
                               value; pools: workers */
    int64_t cap_value;      /* evaluated */
    uint32_t lock;          /* conditions: object index of their lock */
    uint32_t unit0;         /* pools: the unit index of the first worker (set when the units are counted) */
    uint32_t subkind;       /* queues: trc_queue_kind (fifo, lifo, priority); semaphores: 1 = bounded */
    sim_expr *prefer_expr;  /* rwlocks: prefer=EXPR (NULL: a keyword or the default) */
    uint32_t prefer;        /* rwlocks: sim_rw_prefer */
    /* processes */
    uint32_t manager;       /* counters, vars: the manager serving it (object index + 1), 0: none */
    sim_expr *manager_index;/* `managed by M[EXPR]`: a constant index (made part of `manager` with the arrays) */
    sim_expr *item;         /* queues, pools: item=BYTES, the size of one message (NULL: the default) */
    sim_expr *pickle;       /* queues, pools: pickle=D, the CPU time to serialise one message (NULL: 0) */
    int64_t item_value, pickle_value;   /* evaluated */
    uint32_t pool_kind;     /* pools: SIM_POOL_* (kind=threads|processes) */
    uint32_t start;         /* pools: SIM_START_* (start=fork|spawn) */
    sim_pos opt_pos;        /* the first process option (item=, pickle=, kind=processes, managed by): for the
                               backend checks */
    /* Arrays: `lock fork[5]` declares five objects, fork[0] .. fork[4]. Once
     * parsed, prog->objects holds every element as an object of its own (named
     * "fork[3]"), and every reference is to an element: a step's constant index
     * is folded into its object, any other index is added when the step runs
     * (checked against `size`). */
    sim_expr *size_expr;    /* the declaration's [SIZE]; NULL: not an array */
    int64_t size;           /* elements of its array (1: not an array) */
    uint32_t elem0;         /* after parsing: the object index of element 0 of its array (itself if none) */
    const char *array;      /* after parsing: the array's name ("fork"); NULL: not an array */
    sim_expr *lock_index;   /* conditions: lock=L[EXPR], a constant index (NULL: none) */
    bool lock_each;         /* conditions: `condition cv[n] lock=L` with L an array of n: cv[k] binds L[k] */
    sim_expr **inits; uint32_t ninits;   /* counter arrays: `= v0, v1, ...`, one per element (NULL: `capacity` for all) */
} sim_object;

/* ---- statements -------------------------------------------------------- */

typedef enum sim_stmt_kind {
    SIM_S_COMPUTE, SIM_S_SLEEP, SIM_S_LOCK, SIM_S_UNLOCK, SIM_S_LOCK_BLOCK,
    SIM_S_PUT, SIM_S_GET, SIM_S_REPEAT, SIM_S_MARK,
    SIM_S_IF, SIM_S_LOOP, SIM_S_BREAK,
    SIM_S_WAIT,         /* event, condition or barrier */
    SIM_S_WAIT_FOR,     /* condition with a predicate */
    SIM_S_NOTIFY,       /* expr = how many (NULL: 1) */
    SIM_S_NOTIFY_ALL,
    SIM_S_SET, SIM_S_CLEAR,
    SIM_S_INCR,         /* expr = by how much; mode, lock */
    SIM_S_SPAWN,        /* actor: start every instance of a `spawned` actor */
    SIM_S_JOIN,         /* actor; timeout */
    SIM_S_LET,          /* local = expr (a thread-local value) */
    SIM_S_SUBMIT,       /* obj: pool; task; expr: arg (NULL = 0); fut: slot bound by `as` (UINT32_MAX none) */
    SIM_S_RESULT,       /* fut; timeout */
    SIM_S_CANCEL,       /* fut */
    SIM_S_ON_DONE,      /* fut; task: the callback */
    SIM_S_MAP,          /* obj: pool; task; expr: how many items; timeout; body: per result, in input order */
    SIM_S_AS_COMPLETED, /* timeout; body: per future of this unit, in completion order */
    SIM_S_SHUTDOWN,     /* obj: pool; wait */
    SIM_S_READ_LOCK, SIM_S_READ_UNLOCK,     /* rwlocks: shared */
    SIM_S_WRITE_LOCK, SIM_S_WRITE_UNLOCK,   /* rwlocks: exclusive */
    SIM_S_READ_BLOCK, SIM_S_WRITE_BLOCK,    /* read X { ... }, write X { ... } */
    SIM_S_TASK_DONE,    /* queue: one item fully processed */
    SIM_S_QUEUE_JOIN,   /* queue: wait until every item put has had its task_done */
    /* processes (sim_stmt_procs.c) */
    SIM_S_SEND,         /* pipe; expr: bytes (NULL: the default); timeout */
    SIM_S_RECV,         /* pipe; timeout */
    SIM_S_POLL,         /* pipe; timeout (NULL: do not wait) */
    SIM_S_CLOSE,        /* pipe; end: trc_pipe_end */
    SIM_S_SHM_WRITE,    /* shm; offset, len; window: the gap halfway (NULL: none) */
    SIM_S_SHM_READ,     /* shm; offset, len */
    SIM_S_UNLINK,       /* shm */
    SIM_S_ASSIGN,       /* let VAR = expr: obj (a var), expr */
    SIM_S_EXIT,         /* exit [expr]: the unit's process exits with that code */
    SIM_S_CRASH,        /* the unit's process dies by a signal (SIGSEGV) */
    SIM_S_TERMINATE,    /* actor: SIGTERM to every live instance (terminate) */
    SIM_S_KILL,         /* actor: SIGKILL to every live instance */
    /* tasks (sim_async.c): asyncio's create_task, await, gather, wait_for; a thread on threads */
    SIM_S_CREATE_TASK,  /* task; expr: arg (NULL = 0); fut: slot bound by `as` (UINT32_MAX none) */
    SIM_S_AWAIT,        /* fut: a task or a future of a pool */
    SIM_S_GATHER,       /* futs[nfuts] (none: every task this unit made and nobody awaited), or
                           task * expr (made here); body per result; timeout; return_exceptions */
    SIM_S_AWAIT_FOR,    /* wait_for F timeout=D: F is cancelled when the time runs out */
    SIM_S_RAISE,        /* text: the error (NULL: raise again the error an enclosing except handles) */
    SIM_S_TRY,          /* body; handlers: the except clauses; final: the finally block (NULL: none);
                           finally runs on a task's cancellation too */
    SIM_S_EXCEPT,       /* one except clause (in a TRY's handlers, linked by next): text to match (NULL:
                           every error); body */
    SIM_S_YIELD,        /* give the processor (the GIL, with the GIL model) to the others */
    SIM_S_ABORT,        /* barrier: break it (every waiter and later arrival gets BrokenBarrierError) */
    SIM_S_RESET,        /* barrier: back to empty and whole (its waiters get BrokenBarrierError) */
    SIM_S_TIMER_CANCEL  /* actor: a timer, which will not fire if it has not yet */
} sim_stmt_kind;

typedef enum sim_incr_mode { SIM_INCR_ATOMIC = 0, SIM_INCR_LOCKED = 1, SIM_INCR_RACY = 2 } sim_incr_mode;

typedef struct sim_stmt sim_stmt;
struct sim_stmt {
    sim_stmt_kind kind;
    sim_pos pos;
    sim_expr *expr;         /* duration or count */
    uint32_t obj;           /* object index (0-based into prog->objects) */
    const char *text;       /* MARK */
    uint32_t text_id;       /* MARK: string index in the run */
    sim_stmt *body;         /* REPEAT, LOCK_BLOCK, IF (then), LOOP: first child */
    sim_stmt *orelse;       /* IF: else branch */
    sim_expr *timeout;      /* lock/acquire, get/put, wait, wait_for: NULL = wait forever */
    sim_expr *cond;         /* IF, WAIT_FOR: the condition */
    sim_expr *window;       /* INCR racy: time between read and write (NULL: a yield) */
    uint32_t lock;          /* INCR locked: the lock's object index */
    sim_incr_mode mode;     /* INCR */
    uint32_t actor;         /* SPAWN, JOIN: actor index */
    uint32_t task;          /* SUBMIT, MAP, ON_DONE: task index */
    uint32_t fut;           /* SUBMIT (as), RESULT, CANCEL, ON_DONE: future slot; UINT32_MAX = none */
    uint32_t local;         /* LET, GET ... as X: the local; UINT32_MAX = none */
    bool wait;              /* SHUTDOWN wait=yes */
    sim_stmt *next;
    sim_expr *priority;     /* PUT on a priority queue: lowest first (NULL: 0) */
    bool nowait;            /* PUT, GET: never block; a full/empty queue makes the step fail */
    sim_expr *offset, *len; /* SHM_WRITE, SHM_READ: the range */
    uint32_t end;           /* CLOSE: trc_pipe_end */
    /* Object arrays: a step's object is `obj`, or when obj_index is set the element
     * obj + obj_index (obj is then element 0), chosen when the step runs. Steps
     * without an object have obj == UINT32_MAX. The same for INCR's `lock`. */
    sim_expr *obj_index;
    sim_expr *lock_index;
    sim_expr *value;        /* PUT: value=EXPR, the item's value (NULL: none, a get reads 0) */
    sim_stmt *handlers;     /* TRY: its except clauses (SIM_S_EXCEPT, linked by next) */
    sim_stmt *final;        /* TRY: its finally block */
    /* GET: `as X`, the local that receives the item's value (UINT32_MAX: none); LET: its local */
    bool blocking;          /* SLEEP: time.sleep inside a coroutine (the whole loop stops) */
    bool native;            /* COMPUTE native: C code that releases the GIL while it runs */
    bool return_exceptions; /* GATHER: failed children are results too; else the first failure ends it */
    uint32_t *futs; uint32_t nfuts;   /* GATHER: the future slots named */
};

typedef struct sim_actor {
    const char *name;
    sim_pos pos;
    sim_expr *count;
    int64_t count_value;
    sim_stmt *body;
    bool daemon;            /* cut off when the last non-daemon unit exits */
    bool spawned;           /* started by a `spawn` step, not at the run's start */
    bool own_loop;          /* coroutines: each instance is the first task of an event loop of its own */
    bool loop_process;      /* ... that loop runs in a process of its own (own_loop=process) */
    sim_pos loop_pos;       /* where own_loop is */
    uint32_t unit0;         /* the unit index of instance 0 */
    uint32_t start;         /* processes: SIM_START_* (start=fork|spawn; default: the scenario's start_method) */
    sim_pos start_pos;
    sim_expr *delay;        /* a timer (`timer T 50ms { ... }`, threading.Timer): waits this long, then runs
                               its body unless cancelled; NULL for an actor */
} sim_actor;

/* A task: a body that pool workers run for `submit` and `map`, or a done-callback. */
typedef struct sim_task {
    const char *name;
    sim_pos pos;
    sim_stmt *body;
} sim_task;

typedef struct sim_name { const char *name; sim_pos pos; } sim_name;   /* locals, future slots */

/* `expect order A < B ...`: an actor (its last instance's exit), a task (its last
 * completion) or a mark text (its first occurrence). */
typedef enum sim_order_kind { SIM_ORD_ACTOR = 1, SIM_ORD_TASK, SIM_ORD_MARK } sim_order_kind;
typedef struct sim_order_item { sim_order_kind kind; uint32_t id; sim_pos pos; } sim_order_item;

typedef enum sim_expect_kind { SIM_X_NO_DEADLOCK = 1, SIM_X_ALL_DONE, SIM_X_DEADLOCK, SIM_X_STUCK,
                                SIM_X_COUNTER,      /* expect counter X <op> expr */
                                SIM_X_LOST_UPDATES, /* expect lost_updates X <op> expr */
                                SIM_X_RELATION,     /* expect expr: a condition over makespans; value */
                                SIM_X_ORDER,        /* expect order A < B < ...: items */
                                SIM_X_TORN_READS,   /* expect torn_reads SHM <op> expr */
                                SIM_X_EXITCODE      /* expect exitcode ACTOR <op> expr (obj: the actor; a
                                                       signal is -N, as Python's exitcode) */ } sim_expect_kind;
typedef struct sim_expect {
    sim_expect_kind kind;
    sim_pos pos;
    uint32_t obj;           /* TORN_READS: object; EXITCODE: actor */
    sim_expr *index;        /* TORN_READS on an array: a constant index (made part of obj with the arrays) */
    int op;                 /* comparison, as in sim_expr */
    sim_expr *value;
    bool across_runs;       /* RELATION: names a sweep run (makespan[p=v]) or reads memory; checked by sim_check_runs */
    bool per_run;           /* RELATION across runs: also reads this run's memory (resident_per_unit unselected):
                               checked once per run */
    bool off;               /* `expect ... if COND` and COND is false for this run's params: not checked */
    struct sim_expr *cond;  /* that COND (NULL: none), read once -D and the sweep have set the params */
    sim_order_item *items; uint32_t nitems;   /* ORDER */
    uint32_t on_backends;   /* `on B1, B2`: bit 1 << SIM_BACKEND_* per backend it applies to; 0: all */
} sim_expect;

/* `record ...`: how the scenario asks to be recorded (the command line overrides). */
typedef struct sim_record {
    bool said; sim_pos pos;
    bool mode_said; uint8_t mode;     /* trc_rec_mode */
    bool accept_losses;               /* lost events (drop mode) do not fail the run */
    int64_t ring;                     /* events per unit's ring; 0 = not said */
    bool max_events_said; int64_t max_events;   /* 0 = no limit */
} sim_record;

typedef struct sim_program {
    arena mem;
    const char *path;
    const char *text;
    const char *title;
    const char *backend;      /* "threads" unless the scenario or caller says otherwise */
    uint32_t backends[SIM_BACKEND__MAX];  /* `backends a, b`: the runs by default (SIM_BACKEND_*) */
    uint32_t nbackends;
    sim_pos backend_pos;      /* where `backend`/`backends` was given (line 0: not given) */
    struct sim_expr *backend_if;   /* `backend B if EXPR` (NULL: none): this run is on B when EXPR is true */
    uint32_t backend_if_b;    /* that B (SIM_BACKEND_*): `weft check` checks it too */
    sim_pos backend_if_pos;
    struct sim_expr *backend_if2;  /* a second `backend B2 if EXPR2` (NULL: none), read when EXPR is false */
    uint32_t backend_if2_b;
    sim_pos backend_if2_pos;
    uint32_t start_method;    /* `start_method fork|spawn`: SIM_STARTM_* (SIM_START_DEFAULT: not given, fork) */
    sim_pos start_pos;
    sim_param *params;   uint32_t nparams;
    sim_object *objects; uint32_t nobjects;
    sim_actor *actors;   uint32_t nactors;
    sim_expect *expects; uint32_t nexpects;
    const char **strings; uint32_t nstrings;   /* mark texts */
    sim_task *tasks;     uint32_t ntasks;
    sim_name *locals;    uint32_t nlocals;     /* thread-local values and context variables */
    uint8_t *local_ctx;                        /* per local: 1 for a `context` variable (per task) */
    size_t task_stack;                         /* `stack N`: a task's stack (coroutines), 0 = default */
    sim_pos stack_pos;
    sim_name *futs;      uint32_t nfuts;       /* future slots named by `submit ... as F` */
    uint32_t sweep_param;     /* `sweep P = v1, v2`: param index, UINT32_MAX = none */
    int64_t *sweep_values; uint32_t nsweep;
    sim_expr **sweep_exprs;   /* the values as written (re-evaluated after -D) */
    sim_pos sweep_pos;
    uint32_t nunits;          /* actor instances and pool workers after evaluation */
    /* the GIL (sim/sim_gil_parse.c): the params named `gil` (on 1, off 0) and
     * `switch_interval` (a duration), UINT32_MAX when not declared */
    uint32_t gil_param, switch_param;
    sim_record record;
} sim_program;

/* Whether runs of p have a GIL, and its switch interval (5 ms unless p says). */
bool sim_program_gil(const sim_program *p, uint64_t *interval);

/* -D name=value overrides, applied before evaluation. `option` is how the
 * user gave it, for messages: "-D" when NULL, or e.g. "--sweep". */
typedef struct sim_define { const char *name; const char *value; const char *option; } sim_define;

/* Parses and checks a scenario. On error returns -ERR_SCENARIO (or -ERR_LIMIT)
 * with d->file/line/col/msg/snippet (and hint where one helps) filled. */
int sim_parse(sim_program **out, const char *path, const char *text, const sim_define *defs, uint32_t ndefs,
              diag *d);
/* The same from the len bytes of a file read by the caller (NUL-terminated
 * after them): refuses a recording and a text with a NUL byte, then parses. */
int sim_parse_bytes(sim_program **out, const char *path, const char *text, size_t len, const sim_define *defs,
                    uint32_t ndefs, diag *d);
/* Reads the file at path (at most SIM_MAX_SOURCE bytes, refused by its size
 * before reading when larger), then sim_parse_bytes. */
#define SIM_MAX_SOURCE ((size_t)16 << 20)
int sim_parse_file(sim_program **out, const char *path, const sim_define *defs, uint32_t ndefs, diag *d);
void sim_program_free(sim_program *p);
/* Fills d's file, line, col and snippet (the source line, safe to print under
 * a caret) for a place in p: for messages about a place found after parsing,
 * such as a run-time error. Thread: any. */
void sim_diag_at(diag *d, const sim_program *p, int line, int col);

/* ---- evaluation ---------------------------------------------------------- */

/* What a non-constant expression needs at run time. */
typedef struct sim_eval_ctx {
    uint64_t *rng;              /* the unit's generator state (seeded from --seed and the unit) */
    int64_t (*counter)(void *user, uint32_t obj);
    void *user;
    bool last_timed_out;        /* the unit's last blocking step timed out */
    int64_t index;              /* the unit's index within its actor */
    int64_t arg;                /* the task's or the item's argument */
    const int64_t *locals;      /* the unit's own values of its locals (context variables, thread-locals) */
    const int64_t *tls;         /* the thread-locals its thread shares (NULL: in locals) */
    /* MAKESPAN: this run's (param UINT32_MAX) or the sweep run's with param = value;
     * returns false when there is no such run */
    bool (*makespan)(void *user, uint32_t param, int64_t value, int64_t *out);
    int64_t (*qsize)(void *user, uint32_t obj);      /* SIZE: the queue's items now */
    bool (*alive)(void *user, uint32_t actor);        /* ALIVE: any instance of the actor runs */
    int64_t (*lost)(void *user, uint32_t obj);        /* LOST: a counter's lost updates */
    /* MEM: per-unit memory (what 'r' resident, 'v' virtual) of this run or of the run selected
     * as for makespan; false with *why set when there is no such run or it has no samples */
    bool (*mem)(void *user, int what, uint32_t param, int64_t value, int64_t *out, const char **why);
    int64_t (*never_awaited)(void *user);            /* NEVER_AWAITED: tasks never awaited */
} sim_eval_ctx;

/* Evaluates e. ctx may be NULL for constant expressions. On error returns
 * -ERR_xxx with d's line/col set to the sub-expression at fault. */
int sim_eval(const sim_expr *e, const sim_program *p, sim_eval_ctx *ctx, int64_t *out, diag *d);
/* The element v of the array whose element 0 is object `base`: *out = base + v,
 * or -ERR_SCENARIO with d's line/col at pos and a message naming the index and
 * the array's size ("index 5 is out of range for 'fork': an array of 5 locks,
 * 0 to 4"). A plain object is an array of one. Thread: any. */
int sim_element(const sim_program *p, uint32_t base, int64_t v, sim_pos pos, uint32_t *out, diag *d);
uint64_t sim_rng_next(uint64_t *state);   /* splitmix64 */

/* ---- compute calibration ---------------------------------------------- */

/* Calibrates the CPU burn loop once per process (thread-safe): from the
 * user's cache, else measured (~50 ms) and cached per machine and CPU model. */
void sim_calibrate(void);
/* Whether the program has a compute step anywhere (only then is calibrating worth it). */
bool sim_program_computes(const sim_program *p);
/* Burns `ns` of CPU time on the calling thread; returns the CPU ns burnt.
 * Checks *abort (if non-NULL) about every 100 us and stops early when set. */
uint64_t sim_burn(uint64_t ns, const _Atomic int *abort);
double sim_burn_iters_per_us(void);

/* ---- running ------------------------------------------------------------ */

typedef struct sim_desc {
    const char *out_path;       /* the .weft to write (required) */
    const char *backend;        /* NULL = the scenario's */
    uint64_t seed;
    uint64_t timeout_ns;        /* whole run; 0 = 60 s */
    uint64_t stall_ns;          /* no progress for this long with every unit blocked = stuck; 0 = 300 ms */
    /* How to record; 0 leaves each to the scenario's `record` line (else the default). */
    uint32_t ring_events;       /* recorder ring per unit (rounded up to a power of two); default 64K */
    uint8_t record_mode;        /* 1 + trc_rec_mode: complete (wait for the drain) or drop; default complete */
    uint64_t max_events;        /* the run ends (TRC_END_LIMIT) once the recording holds this many;
                                   UINT64_MAX = no limit; default: none */
    bool no_tsc;
    const _Atomic int *interrupt; /* set (e.g. from a SIGINT handler) to end the run cleanly */
    trc_writer *writer;         /* append the run to this open recording (out_path is then unused) */
    /* The platform to run on (sim/sim_platform.h), e.g. &sim_plat_test for the
     * deterministic test platform; NULL = the backend's own. */
    const struct sim_plat_ops *platform;
    bool virtual_clock;         /* --clock virtual: a deterministic run on a virtual clock */
    /* With a GIL: one GIL per unit (each unit as its own process), for tests of
     * per-process GILs on a platform of threads. */
    bool gil_per_unit;
    /* Behave as if the kernel refused perf events: no context-switch records,
     * scheduling from the computes' CPU time and the switch counts (--no-perf). */
    bool no_perf;
    /* processes: the weft executable that `start_method spawn` execs (its
     * worker mode, `weft __worker`); NULL: spawn is refused at run time. */
    const char *worker_exe;
} sim_desc;

typedef struct sim_result {
    uint32_t end_reason;        /* trc_run_end */
    char report[4096];          /* deadlock or stuck report, "" if none */
    /* errors the run survived, one per line with file:line:col, as Python would print
     * them: a thread that died of an error it did not catch ("Exception in thread"),
     * a future's error never retrieved, a done-callback that raised */
    char warnings[2048];
    uint64_t wall_ns;
    uint64_t events, lost;      /* events recorded; dropped (drop mode) */
    uint64_t discarded;         /* drained but not written (after a write error or far past the limit) */
    uint64_t flushes, flush_ns; /* waits for the recorder (complete mode) and their total time */
    uint32_t expect_failed;     /* number of failed expect clauses (those within this run) */
    char expect_report[2048];   /* one line per failed expectation */
    char note[512];             /* said once per run, "" if nothing: e.g. the kernel refused perf
                                   events, so scheduling comes from CPU times and switch counts */
    uint64_t mem_passes, mem_reads, mem_ns;   /* memory sampling: passes, statm reads, the drain's ns */
} sim_result;

/* The recorder's settings for a run of p (sim_needs.c): d's, else the
 * scenario's `record` line, else the defaults. */
trc_recorder_desc sim_record_desc(const sim_program *p, const sim_desc *d);

/* Runs the program once and writes the recording. Returns 0 when the run was
 * carried out and recorded (even if it deadlocked: see out->end_reason and the
 * expectations); an error only when it could not run or record. */
int sim_run(sim_result *out, const sim_program *prog, const sim_desc *desc, diag *d);

/* The worker mode of `start_method spawn` (`weft __worker SPEC`): in a process
 * that the processes backend exec'd, re-reads the run's scenario, attaches to
 * the run and runs its unit; the process then exits as the unit's process
 * does. Returns only on failure (d says why). Thread: main, at once. */
int sim_worker_main(const char *spec, diag *d);

/* ---- several runs in one command (sim_runs.c) ---------------------------- */

/* One run of a multi-run: the backend it ran on and the value of the swept
 * param (param UINT32_MAX: none). `weft run --backend a,b --sweep P=...`
 * runs every backend with every value, in that order, into one recording. */
typedef struct sim_run_key {
    uint32_t backend;           /* SIM_BACKEND_* */
    uint32_t param;
    int64_t value;
} sim_run_key;
/* The backends to run: `list` (a comma-separated --backend) or else the
 * scenario's `backends`/`backend`. Fills out[] (at most SIM_BACKEND__MAX,
 * no repeats) and returns how many, or -ERR_USAGE with d saying which name
 * is unknown. */
int sim_backends_of(const sim_program *prog, const char *list, uint32_t *out, diag *d);
/* Checks the expectations that compare runs (makespan[K=V], K a param or
 * `backend`) over the runs keys[0..n) with their makespans. A selector that
 * matches no run, or several, fails and says so. Appends one line per failure
 * to report; returns how many failed. */
/* A run's memory per unit, from its recording's samples (trc_mem): known is false when the run
 * has none (--clock virtual, --no-mem, a recording not read back: why says which). prog: the
 * run's program (its `expect ... if` are decided by its params). */
typedef struct sim_run_mem {
    const sim_program *prog;
    bool known;
    const char *why;
    double resident, virt;      /* bytes per unit: (peak - baseline) / units started */
} sim_run_mem;
/* mems may be NULL (nothing known of memory). */
uint32_t sim_check_runs(const sim_program *prog, const sim_run_key *keys, const uint64_t *makespans,
                        const sim_run_mem *mems, uint32_t n, char *report, size_t cap);

/* Before anything runs: every run selector ([P=v], [backend=B]) of an expectation that compares
 * runs names exactly one of the runs keys[0..n) (within each backend's when a value runs on
 * several, as sim_check_runs evaluates it; `on` applied). -ERR_SCENARIO with d at the first that
 * names none or several (file:line:col, what the runs are, a hint); 0 when all do. (sim_select_check.c) */
int sim_check_selectors(const sim_program *prog, const sim_run_key *keys, uint32_t n, diag *d);

/* The expectations no run checked: those whose `on` names no backend the runs ran on, or
 * whose `if` held for no run. progs[k] is run k's program (its `if`s decided by its
 * params), backends[k] its backend (SIM_BACKEND_*). Appends a warning line per such
 * expectation (file:line:col) to report; returns how many. (sim_unchecked.c) */
uint32_t sim_expects_unchecked(const sim_program *const *progs, const uint32_t *backends, uint32_t n, char *report,
                               size_t cap);

/* ---- backends: what each construct means on each (sim_backend_check.c) ---- */

/* Whether the program can run on backend b: every construct it uses has a
 * meaning there. -ERR_SCENARIO with d at the first construct that has none
 * (file:line:col, what to use instead), or -ERR_LIMIT past a backend's limit
 * (more processes than SIM_MAX_PROCESSES). */
int sim_check_backend(const sim_program *prog, unsigned b, diag *d);

#endif
