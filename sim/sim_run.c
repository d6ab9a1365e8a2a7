/* The threads backend.
 *
 * Every actor instance is a real pthread, named after its unit. Locks are
 * pthread mutexes (error-checking, so a unit re-acquiring its own lock is seen
 * rather than undefined); queues are bounded blocking queues built on a pthread
 * mutex and two condition variables. A step that would block first tries
 * without blocking; only when it must wait is a WAIT_BEGIN recorded, then the
 * wait, then WAIT_END with its outcome, then the step's own event (ACQUIRE,
 * PUT, GET). Every unit records into its own recorder ring.
 *
 * All waits are sliced (20 ms timed waits) so the watchdog can end a run that
 * cannot finish: every slice checks the run's abort flag.
 *
 * The watchdog (the calling thread) polls every 10 ms. It keeps, per unit, an
 * atomically published "what am I doing" word (state, object, since) and per
 * lock the owner, and from those builds the wait-for graph:
 *   - a cycle unit -> lock -> owner -> ... -> unit that stays unchanged for
 *     100 ms is a deadlock;
 *   - every live unit blocked and no step completed for `stall_ns` is a stall
 *     (stuck units, e.g. a consumer waiting for an item that never comes);
 *   - the run's timeout, or an interrupt from the caller.
 * It then writes a report (who waits for what, since when), raises the abort
 * flag, and every unit ends at its next wait slice or compute slice with an
 * ABORTED outcome. The recording keeps everything up to that point.
 */
#include "sim/sim.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define WAIT_SLICE_NS 20000000ull
#define POLL_NS       10000000ull
#define CYCLE_CONFIRM_NS 100000000ull

enum { US_RUNNING = 0, US_COMPUTE, US_SLEEP, US_BLOCKED, US_DONE, US_NEW /* spawned or pool worker, not started */ };

typedef struct rt_unit rt_unit;
typedef struct rt rt;

typedef struct rt_lock {              /* lock: a pthread mutex */
    pthread_mutex_t mu;
    _Atomic int64_t owner;           /* unit index, -1 = free */
} rt_lock;

typedef struct rt_queue {
    uint64_t *items;                 /* ring of item ids */
    int64_t cap, head, count;
    uint64_t next_item;
    uint32_t kind;                   /* trc_queue_kind */
    int64_t *prio;                   /* priority queues: the items' priorities (items[] is then a heap) */
    int64_t unfinished;              /* puts not yet matched by a task_done */
} rt_queue;

typedef struct rt_waiter { uint32_t unit; uint64_t seq; bool notified; } rt_waiter;

/* A future: every field is guarded by rt.fmu. */
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
    uint32_t *cbs; size_t ncbs, cap_cbs;   /* done-callbacks: task indexes, in registration order */
    bool yielded;                    /* as_completed handed it to its submitter */
    struct rt_fut *next;             /* the pool's queue */
} rt_fut;

/* Every object but the plain lock is a monitor: one mutex, one condition variable. */
typedef struct rt_obj {
    const sim_object *decl;
    uint32_t id;                     /* trc object id (1-based) */
    rt_lock lock;                    /* SIM_OBJ_LOCK */
    pthread_mutex_t mu;              /* the others */
    pthread_cond_t cv, cv2;          /* queue: cv = not empty, cv2 = not full */
    rt_queue queue;
    _Atomic int64_t owner;           /* rlock */
    int64_t depth;                   /* rlock */
    int64_t value;                   /* semaphore: free permits; event: flag; barrier: arrived */
    uint64_t seq;                    /* event: set count; condition: notify count; barrier: generation */
    uint32_t waiting;                /* event: units waiting */
    rt_waiter *waiters; size_t nwaiters, cap_waiters;   /* condition: FIFO of waiters */
    _Atomic int64_t counter;         /* counter value */
    _Atomic uint64_t lost;           /* counter: updates overwritten by racy writes */
    /* pools (guarded by rt.fmu; cv: work or shutdown for the workers) */
    rt_fut *qhead, *qtail;
    uint32_t queued, idle, started;
    uint64_t next_id;
    bool shut;
    pthread_cond_t cv3;              /* queue: joiners */
    uint32_t *readers; size_t nreaders, cap_readers;   /* rwlock: units holding it for reading */
    uint32_t writers_waiting;        /* rwlock */
} rt_obj;

struct rt_unit {
    _Alignas(64) _Atomic uint64_t steps;   /* completed steps; only this unit writes it */
    rt *r;
    uint32_t index;
    int64_t index_in_actor;
    const sim_actor *actor;
    char name[96];
    trc_ring *ring;
    pthread_t thread;
    _Atomic int state;               /* US_* */
    _Atomic uint32_t wait_obj;       /* object index + 1 while blocked */
    _Atomic int wait_op;
    _Atomic uint64_t wait_since;     /* mono ns */
    _Atomic uint64_t wait_deadline;  /* mono ns; 0 = waits forever */
    int tid;
    uint64_t rng;
    bool timed_out;                  /* the last blocking step timed out (or failed: ok is false) */
    bool autostart;                  /* starts with the run (else: spawned, or a pool worker) */
    bool daemon;
    uint32_t pool;                   /* pool workers: the pool's object index; UINT32_MAX otherwise */
    _Atomic int start_req;           /* spawned / started by its pool */
    _Atomic int halt;                /* stop now: the run is aborted, or the daemon is cut off */
    _Atomic int killed;              /* a daemon cut off at exit */
    _Atomic uint64_t wait_arg;       /* JOIN: the unit joined */
    _Atomic(rt_fut *) wait_fut;      /* RESULT: the future waited for */
    int64_t arg;                     /* the running task's or item's arg */
    int64_t *locals;                 /* thread-local values */
    uint32_t cb_depth;               /* done-callbacks running inline, one inside another */
    rt_fut **slots;                  /* future slots (submit ... as F) */
    rt_fut **mine; size_t nmine, cap_mine;   /* futures it submitted, for as_completed */
    _Atomic uint64_t t_exit;         /* mono ns */
};

struct rt {
    const sim_program *prog;
    const sim_desc *desc;
    rt_obj *objs;
    rt_unit *units;
    uint32_t nunits;
    _Atomic int abort;
    pthread_mutex_t go_mu;
    pthread_cond_t go_cv;            /* start signal, and abortable sleeps */
    bool go;
    uint32_t ready;                  /* threads waiting for go */
    _Atomic int error_set;
    char error[1024];                /* a runtime misuse (unlock not held) */
    /* pools and futures */
    pthread_mutex_t fmu;
    pthread_cond_t fcv;              /* a future finished or was cancelled */
    rt_fut **futs; size_t nfuts, cap_futs;
    uint64_t done_seq;
    _Atomic uint64_t *task_done_t;   /* per task: its last completion (mono ns) */
    uint32_t *task_str;              /* per task: its name's string index (SUBMIT extra - 1) */
    _Atomic uint64_t *mark_t;        /* per mark text: its first occurrence (mono ns) */
    pthread_mutex_t exit_mu;
    pthread_cond_t exit_cv;          /* a unit exited */
    bool exiting;                    /* every non-daemon actor is done: pools shut down, daemons next */
    bool killing;
    /* strings made while running (LOCAL_SET texts), written after the run */
    pthread_mutex_t str_mu;
    char **strs; size_t nstrs, cap_strs;
    uint32_t *slots; size_t nslots;  /* hash of strs: index + 1, 0 = free */
    trc_recorder *rec;               /* the watchdog ends the run on a write error or the event limit */
};

static void deadline_after(struct timespec *ts, uint64_t ns, clockid_t clk) {
    clock_gettime(clk, ts);
    uint64_t t = (uint64_t)ts->tv_nsec + ns;
    ts->tv_sec += (time_t)(t / 1000000000ull);
    ts->tv_nsec = (long)(t % 1000000000ull);
}

static struct timespec mono_ts(uint64_t ns) {
    return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
}

static bool aborted(rt *r) { return atomic_load_explicit(&r->abort, memory_order_relaxed) != 0; }
static bool halted(rt_unit *u) { return atomic_load_explicit(&u->halt, memory_order_relaxed) != 0; }

/* Ends the run: every unit stops at its next check (waits are sliced, burns poll). */
static void stop_all(rt *r) {
    atomic_store(&r->abort, 1);
    for (uint32_t i = 0; i < r->nunits; i++) atomic_store(&r->units[i].halt, 1);
    pthread_mutex_lock(&r->go_mu);
    pthread_cond_broadcast(&r->go_cv);
    pthread_mutex_unlock(&r->go_mu);
}

/* A string made at run time; its index follows the program's own strings. */
/* Its slot in the hash of run-time strings (mu held): the one holding s, or a free one. */
static uint32_t *str_slot(rt *r, const char *s) {
    size_t mask = r->nslots - 1, h = (size_t)fnv1a64(s, strlen(s));
    for (;; h++) {
        uint32_t *sl = &r->slots[h & mask];
        if (!*sl || !strcmp(r->strs[*sl - 1], s)) return sl;
    }
}

static uint32_t intern(rt *r, const char *s) {
    pthread_mutex_lock(&r->str_mu);
    if (r->nstrs * 2 >= r->nslots) {   /* keep the hash at most half full */
        size_t n = r->nslots ? r->nslots * 2 : 64;
        free(r->slots);
        r->slots = xcalloc(n, sizeof *r->slots);
        r->nslots = n;
        for (size_t i = 0; i < r->nstrs; i++) *str_slot(r, r->strs[i]) = (uint32_t)i + 1;
    }
    uint32_t *sl = str_slot(r, s);
    if (!*sl && r->nstrs >= SIM_MAX_RUN_STRINGS) sl = str_slot(r, s = "(more distinct texts than weft keeps)");
    if (!*sl) {
        ARR_PUSH(r->strs, r->nstrs, r->cap_strs, xstrdup(s));
        *sl = (uint32_t)r->nstrs;
    }
    uint32_t id = r->prog->nstrings + *sl - 1;
    pthread_mutex_unlock(&r->str_mu);
    return id;
}

static void set_state(rt_unit *u, int st) { atomic_store_explicit(&u->state, st, memory_order_release); }

/* A wait's deadline (mono ns) from a step's timeout, or 0 for none. */
static uint64_t deadline_of(uint64_t timeout_ns, bool has) {
    return has ? clk_mono_ns() + timeout_ns : 0;
}

static void begin_wait_arg(rt_unit *u, uint32_t oi, int op, uint64_t deadline, uint64_t arg) {
    atomic_store_explicit(&u->wait_obj, oi == UINT32_MAX ? 0 : oi + 1, memory_order_relaxed);
    atomic_store_explicit(&u->wait_arg, arg, memory_order_relaxed);
    atomic_store_explicit(&u->wait_op, op, memory_order_relaxed);
    atomic_store_explicit(&u->wait_deadline, deadline, memory_order_relaxed);
    atomic_store_explicit(&u->wait_since, clk_mono_ns(), memory_order_relaxed);
    set_state(u, US_BLOCKED);
    trc_emit(u->ring, TRC_EV_WAIT_BEGIN, oi == UINT32_MAX ? 0 : u->r->objs[oi].id, (uint16_t)op, arg, 0);
}

static void begin_wait(rt_unit *u, uint32_t oi, int op, uint64_t deadline) { begin_wait_arg(u, oi, op, deadline, 0); }

static void end_wait(rt_unit *u, uint32_t oi, int outcome, uint32_t extra) {
    trc_emit_sync(u->ring, TRC_EV_WAIT_END, oi == UINT32_MAX ? 0 : u->r->objs[oi].id, (uint16_t)outcome, 0, extra);
    set_state(u, US_RUNNING);
    atomic_store_explicit(&u->wait_obj, 0, memory_order_relaxed);
    u->timed_out = outcome == TRC_OUT_TIMEOUT;
}

static void runtime_error_at(rt *r, rt_unit *u, sim_pos pos, const char *msg) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&r->error_set, &expected, 1))
        snprintf(r->error, sizeof r->error, "%s:%d:%d: %s (in %s)", r->prog->path, pos.line, pos.col, msg, u->name);
    stop_all(r);
}

static void runtime_error(rt *r, rt_unit *u, const sim_stmt *s, const char *msg) { runtime_error_at(r, u, s->pos, msg); }

static int64_t counter_value(void *user, uint32_t obj) {
    rt *r = user;
    return atomic_load_explicit(&r->objs[obj].counter, memory_order_acquire);
}

/* Evaluates an expression for unit u; a runtime error (division by zero...) ends the run. */
static int ev(rt_unit *u, const sim_expr *e, int64_t *out) {
    if (e->is_const) {   /* every step's expression was folded by the parser (check_stmts) */
        *out = e->value;
        return 0;
    }
    sim_eval_ctx ctx = { .rng = &u->rng, .counter = counter_value, .user = u->r, .last_timed_out = u->timed_out,
                         .index = u->index_in_actor, .arg = u->arg, .locals = u->locals };
    diag d;
    int rc = sim_eval(e, u->r->prog, &ctx, out, &d);
    if (rc) runtime_error_at(u->r, u, (sim_pos){ d.line, d.col }, d.msg);
    return rc;
}

/* A duration or count from the program, checked like the parser checks constants. */
static int ev_dur(rt_unit *u, const sim_expr *e, uint64_t *out) {
    int64_t v;
    if (ev(u, e, &v)) return -1;
    if (v < 0 || (uint64_t)v > SIM_MAX_DURATION) {
        char msg[128];
        snprintf(msg, sizeof msg, v < 0 ? "duration is negative (%lld ns)" : "duration %lld ns is longer than 1 hour",
                 (long long)v);
        runtime_error_at(u->r, u, e->pos, msg);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int timeout_of(rt_unit *u, const sim_stmt *s, uint64_t *deadline) {
    *deadline = 0;
    if (!s->timeout) return 0;
    uint64_t ns;
    if (ev_dur(u, s->timeout, &ns)) return -1;
    *deadline = deadline_of(ns, true);
    return 0;
}

/* One slice of a wait on cv (mu held): returns -1 to check again, or how the wait
 * ends (TRC_OUT_ABORTED when the unit must stop, TRC_OUT_TIMEOUT at the deadline;
 * 0 = no deadline). Slices keep every wait responsive to the end of the run. */
static int wait_slice(rt_unit *u, pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t deadline) {
    if (halted(u)) return TRC_OUT_ABORTED;
    uint64_t now = clk_mono_ns();
    if (deadline && now >= deadline) return TRC_OUT_TIMEOUT;
    uint64_t until = now + WAIT_SLICE_NS;
    if (deadline && deadline < until) until = deadline;
    struct timespec ts = mono_ts(until);
    pthread_cond_timedwait(cv, mu, &ts);
    return -1;
}

/* Waits on cv until `ready` or the deadline (0 = none) or abort. Returns the outcome. */
#define MONITOR_WAIT(o, cvp, ready, deadline)                                                  \
    ({                                                                                         \
        int out_ = TRC_OUT_OK;                                                                 \
        while (!(ready)) {                                                                     \
            int s_ = wait_slice(u, (cvp), &(o)->mu, (deadline));                               \
            if (s_ >= 0) { out_ = s_; break; }                                                 \
        }                                                                                      \
        out_;                                                                                  \
    })

/* ---- locks, rlocks, semaphores ------------------------------------------ */

/* Returns 0 acquired, 1 timed out, -1 aborted. */
static int do_lock(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    switch (o->decl->kind) {
    case SIM_OBJ_LOCK: {
        rt_lock *l = &o->lock;
        if (pthread_mutex_trylock(&l->mu) != 0) {
            begin_wait(u, oi, TRC_OP_LOCK, deadline);
            for (;;) {
                if (halted(u)) { end_wait(u, oi, TRC_OUT_ABORTED, 0); return -1; }
                uint64_t now = clk_mono_ns();
                if (deadline && now >= deadline) { end_wait(u, oi, TRC_OUT_TIMEOUT, 0); return 1; }
                if (atomic_load_explicit(&l->owner, memory_order_relaxed) == (int64_t)u->index) {
                    /* re-acquiring a lock we hold: a self-deadlock, shown as a wait that never ends */
                    struct timespec sl = { 0, (long)WAIT_SLICE_NS };
                    nanosleep(&sl, NULL);
                    continue;
                }
                struct timespec ts;
                uint64_t slice = WAIT_SLICE_NS;
                if (deadline && deadline - now < slice) slice = deadline - now;
                deadline_after(&ts, slice, CLOCK_REALTIME);
                int rc = pthread_mutex_timedlock(&l->mu, &ts);
                if (rc == 0) break;
                if (rc != ETIMEDOUT && rc != EDEADLK) BUG("pthread_mutex_timedlock: %s", strerror(rc));
            }
            atomic_store_explicit(&l->owner, u->index, memory_order_release);
            end_wait(u, oi, TRC_OUT_OK, 0);
        } else {
            atomic_store_explicit(&l->owner, u->index, memory_order_release);
        }
        u->timed_out = false;
        trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, 1, 0);
        return 0;
    }
    case SIM_OBJ_RLOCK: {
        pthread_mutex_lock(&o->mu);
        if (atomic_load(&o->owner) == (int64_t)u->index) {
            o->depth++;
        } else {
            int out = TRC_OUT_OK;
            if (atomic_load(&o->owner) >= 0) {
                begin_wait(u, oi, TRC_OP_LOCK, deadline);
                out = MONITOR_WAIT(o, &o->cv, atomic_load(&o->owner) < 0, deadline);
                end_wait(u, oi, out, 0);
            }
            if (out != TRC_OUT_OK) {
                pthread_mutex_unlock(&o->mu);
                return out == TRC_OUT_TIMEOUT ? 1 : -1;
            }
            atomic_store(&o->owner, u->index);
            o->depth = 1;
        }
        u->timed_out = false;
        trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, (uint64_t)o->depth, 0);
        pthread_mutex_unlock(&o->mu);
        return 0;
    }
    case SIM_OBJ_SEMAPHORE: {
        pthread_mutex_lock(&o->mu);
        int out = TRC_OUT_OK;
        if (o->value == 0) {
            begin_wait(u, oi, TRC_OP_ACQUIRE_PERMIT, deadline);
            out = MONITOR_WAIT(o, &o->cv, o->value > 0, deadline);
            end_wait(u, oi, out, 0);
        }
        if (out != TRC_OUT_OK) {
            pthread_mutex_unlock(&o->mu);
            return out == TRC_OUT_TIMEOUT ? 1 : -1;
        }
        o->value--;
        u->timed_out = false;
        trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, 1, (uint32_t)(o->decl->cap_value - o->value));
        pthread_mutex_unlock(&o->mu);
        return 0;
    }
    default: BUG("lock on a %d", o->decl->kind);
    }
}

static int do_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    char msg[256];
    switch (o->decl->kind) {
    case SIM_OBJ_LOCK: {
        rt_lock *l = &o->lock;
        if (atomic_load_explicit(&l->owner, memory_order_acquire) != (int64_t)u->index) break;
        trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, 0, 0);
        atomic_store_explicit(&l->owner, -1, memory_order_release);
        pthread_mutex_unlock(&l->mu);
        return 0;
    }
    case SIM_OBJ_RLOCK:
        pthread_mutex_lock(&o->mu);
        if (atomic_load(&o->owner) != (int64_t)u->index) { pthread_mutex_unlock(&o->mu); break; }
        o->depth--;
        trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, (uint64_t)o->depth, 0);
        if (o->depth == 0) {
            atomic_store(&o->owner, -1);
            pthread_cond_signal(&o->cv);
        }
        pthread_mutex_unlock(&o->mu);
        return 0;
    case SIM_OBJ_SEMAPHORE:
        /* like Python's Semaphore, a release needs no matching acquire */
        pthread_mutex_lock(&o->mu);
        o->value++;
        trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, 0,
                 (uint32_t)(o->decl->cap_value > o->value ? o->decl->cap_value - o->value : 0));
        pthread_cond_signal(&o->cv);
        pthread_mutex_unlock(&o->mu);
        return 0;
    default: BUG("unlock on a %d", o->decl->kind);
    }
    trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
    snprintf(msg, sizeof msg, "unlock of %s '%s', which this unit does not hold",
             o->decl->kind == SIM_OBJ_LOCK ? "lock" : "rlock", o->decl->name);
    runtime_error(r, u, s, msg);
    return -1;
}

static bool holds(rt_unit *u, uint32_t oi) {
    rt_obj *o = &u->r->objs[oi];
    if (o->decl->kind == SIM_OBJ_LOCK) return atomic_load(&o->lock.owner) == (int64_t)u->index;
    return atomic_load(&o->owner) == (int64_t)u->index;
}

/* ---- queue kinds, nowait, task_done and join ----------------------------- */

/* A priority queue is a binary min-heap on (priority, item id); item ids grow
 * with every put, so items of equal priority leave in the order they came. */
static bool q_before(int64_t pa, uint64_t ia, int64_t pb, uint64_t ib) { return pa < pb || (pa == pb && ia < ib); }

static void q_push(rt_queue *q, uint64_t item, int64_t prio) {
    if (q->kind != TRC_QUEUE_PRIORITY) {
        q->items[(q->head + q->count) % q->cap] = item;
        q->count++;
        return;
    }
    int64_t i = q->count++;
    while (i > 0) {
        int64_t up = (i - 1) / 2;
        if (!q_before(prio, item, q->prio[up], q->items[up])) break;
        q->items[i] = q->items[up];
        q->prio[i] = q->prio[up];
        i = up;
    }
    q->items[i] = item;
    q->prio[i] = prio;
}

/* fifo: the oldest item; lifo: the newest; priority: the lowest priority. */
static uint64_t q_pop(rt_queue *q) {
    if (q->kind == TRC_QUEUE_LIFO) {
        q->count--;
        return q->items[(q->head + q->count) % q->cap];
    }
    if (q->kind != TRC_QUEUE_PRIORITY) {
        uint64_t item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        return item;
    }
    uint64_t top = q->items[0];
    int64_t n = --q->count;
    uint64_t last = q->items[n];
    int64_t lp = q->prio[n], i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && q_before(q->prio[c + 1], q->items[c + 1], q->prio[c], q->items[c])) c++;
        if (!q_before(q->prio[c], q->items[c], lp, last)) break;
        q->items[i] = q->items[c];
        q->prio[i] = q->prio[c];
        i = c;
    }
    q->items[i] = last;
    q->prio[i] = lp;
    return top;
}

static void queue_init_kind(rt_obj *o) {
    o->queue.kind = o->decl->subkind;
    if (o->queue.kind == TRC_QUEUE_PRIORITY) o->queue.prio = xcalloc((size_t)o->queue.cap, sizeof *o->queue.prio);
}

/* put/get nowait on a full/empty queue: a wait that times out at once, so the
 * recording shows the Full/Empty moment; `ok` is then false. Called with o->mu held. */
static void queue_fail_now(rt_unit *u, uint32_t oi, int op) {
    begin_wait(u, oi, op, clk_mono_ns());
    end_wait(u, oi, TRC_OUT_TIMEOUT, 0);
}

static int do_task_done(rt_unit *u, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[s->obj];
    pthread_mutex_lock(&o->mu);
    if (o->queue.unfinished <= 0) {
        pthread_mutex_unlock(&o->mu);
        char msg[256];
        snprintf(msg, sizeof msg, "task_done on queue '%s' called more times than items were put into it",
                 o->decl->name);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
        runtime_error(u->r, u, s, msg);
        return -1;
    }
    o->queue.unfinished--;
    trc_emit_sync(u->ring, TRC_EV_QUEUE_TASK_DONE, o->id, 0, 0, (uint32_t)o->queue.unfinished);
    if (!o->queue.unfinished) pthread_cond_broadcast(&o->cv3);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

/* Waits until every item put has had its task_done. 0, or -1 aborted (a timeout sets timed_out). */
static int do_queue_join(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    pthread_mutex_lock(&o->mu);
    int out = TRC_OUT_OK;
    if (o->queue.unfinished > 0) {
        begin_wait(u, oi, TRC_OP_QUEUE_JOIN, deadline);
        out = MONITOR_WAIT(o, &o->cv3, o->queue.unfinished == 0, deadline);
        end_wait(u, oi, out, 0);
    }
    u->timed_out = out == TRC_OUT_TIMEOUT;
    pthread_mutex_unlock(&o->mu);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

/* ---- rwlocks --------------------------------------------------------------- *
 * A monitor: o->owner is the writer (-1 = none), o->readers the units holding it
 * for reading (one entry per read hold), cv wakes readers, cv2 writers. With
 * prefer=writers a waiting writer holds back new readers. */

static bool rw_read_ready(const rt_obj *o) {
    return atomic_load(&o->owner) < 0 && (o->decl->prefer == SIM_RW_READERS || o->writers_waiting == 0);
}

/* 0 acquired, 1 timed out, -1 aborted. */
static int do_read_lock(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    pthread_mutex_lock(&o->mu);
    int out = TRC_OUT_OK;
    if (!rw_read_ready(o)) {
        begin_wait(u, oi, TRC_OP_READ_LOCK, deadline);
        out = MONITOR_WAIT(o, &o->cv, rw_read_ready(o), deadline);
        end_wait(u, oi, out, 0);
    }
    if (out != TRC_OUT_OK) {
        pthread_mutex_unlock(&o->mu);
        return out == TRC_OUT_TIMEOUT ? 1 : -1;
    }
    ARR_PUSH(o->readers, o->nreaders, o->cap_readers, u->index);
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 1, 0, (uint32_t)o->nreaders);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

static int do_write_lock(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    pthread_mutex_lock(&o->mu);
    int out = TRC_OUT_OK;
    if (atomic_load(&o->owner) >= 0 || o->nreaders) {
        o->writers_waiting++;
        begin_wait(u, oi, TRC_OP_WRITE_LOCK, deadline);
        out = MONITOR_WAIT(o, &o->cv2, atomic_load(&o->owner) < 0 && !o->nreaders, deadline);
        o->writers_waiting--;
        end_wait(u, oi, out, 0);
        if (out != TRC_OUT_OK) pthread_cond_broadcast(&o->cv);   /* readers it held back may go */
    }
    if (out != TRC_OUT_OK) {
        pthread_mutex_unlock(&o->mu);
        return out == TRC_OUT_TIMEOUT ? 1 : -1;
    }
    atomic_store(&o->owner, u->index);
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_ACQUIRE, o->id, 0, 1, 0);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

static int rw_misuse(rt_unit *u, const sim_stmt *s, const char *msg) {
    trc_emit(u->ring, TRC_EV_ERROR, u->r->objs[s->obj].id, 0, 0, 0);
    runtime_error(u->r, u, s, msg);
    return -1;
}

static int do_read_unlock(rt_unit *u, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[s->obj];
    pthread_mutex_lock(&o->mu);
    size_t k = o->nreaders;
    while (k > 0 && o->readers[k - 1] != u->index) k--;
    if (!k) {
        bool writes = atomic_load(&o->owner) == (int64_t)u->index;
        pthread_mutex_unlock(&o->mu);
        char msg[256];
        snprintf(msg, sizeof msg, "read_unlock of rwlock '%s', which this unit does not hold for reading%s",
                 o->decl->name, writes ? " (it holds it for writing: use write_unlock)" : "");
        return rw_misuse(u, s, msg);
    }
    memmove(&o->readers[k - 1], &o->readers[k], (o->nreaders - k) * sizeof *o->readers);
    o->nreaders--;
    trc_emit(u->ring, TRC_EV_RELEASE, o->id, 1, 0, (uint32_t)o->nreaders);
    if (!o->nreaders) pthread_cond_broadcast(&o->cv2);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

static int do_write_unlock(rt_unit *u, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[s->obj];
    pthread_mutex_lock(&o->mu);
    if (atomic_load(&o->owner) != (int64_t)u->index) {
        bool reads = false;
        for (size_t k = 0; k < o->nreaders; k++) reads |= o->readers[k] == u->index;
        pthread_mutex_unlock(&o->mu);
        char msg[256];
        snprintf(msg, sizeof msg, "write_unlock of rwlock '%s', which this unit does not hold for writing%s",
                 o->decl->name, reads ? " (it holds it for reading: use read_unlock)" : "");
        return rw_misuse(u, s, msg);
    }
    trc_emit(u->ring, TRC_EV_RELEASE, o->id, 0, 0, 0);
    atomic_store(&o->owner, -1);
    pthread_cond_broadcast(&o->cv2);
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

/* ---- queues -------------------------------------------------------------- */

static int do_put(rt_unit *u, uint32_t oi, uint64_t deadline, int64_t prio, bool nowait) {
    rt_obj *o = &u->r->objs[oi];
    rt_queue *q = &o->queue;
    pthread_mutex_lock(&o->mu);
    if (q->count == q->cap && nowait) {
        queue_fail_now(u, oi, TRC_OP_PUT);
        pthread_mutex_unlock(&o->mu);
        return 1;
    }
    if (q->count == q->cap) {
        begin_wait(u, oi, TRC_OP_PUT, deadline);
        int out = MONITOR_WAIT(o, &o->cv2, q->count < q->cap, deadline);
        end_wait(u, oi, out, 0);
        if (out != TRC_OUT_OK) {
            pthread_mutex_unlock(&o->mu);
            return out == TRC_OUT_TIMEOUT ? 1 : -1;
        }
    }
    uint64_t item = ++q->next_item;
    q_push(q, item, prio);
    q->unfinished++;
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_PUT, o->id, 0, item, (uint32_t)q->count);
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

static int do_get(rt_unit *u, uint32_t oi, uint64_t deadline, bool nowait) {
    rt_obj *o = &u->r->objs[oi];
    rt_queue *q = &o->queue;
    pthread_mutex_lock(&o->mu);
    if (q->count == 0 && nowait) {
        queue_fail_now(u, oi, TRC_OP_GET);
        pthread_mutex_unlock(&o->mu);
        return 1;
    }
    if (q->count == 0) {
        begin_wait(u, oi, TRC_OP_GET, deadline);
        int out = MONITOR_WAIT(o, &o->cv, q->count > 0, deadline);
        end_wait(u, oi, out, 0);
        if (out != TRC_OUT_OK) {
            pthread_mutex_unlock(&o->mu);
            return out == TRC_OUT_TIMEOUT ? 1 : -1;
        }
    }
    uint64_t item = q_pop(q);
    u->timed_out = false;
    trc_emit_sync(u->ring, TRC_EV_GET, o->id, 0, item, (uint32_t)q->count);
    pthread_cond_signal(&o->cv2);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

/* ---- events, conditions, barriers --------------------------------------- */

static int do_event_wait(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    pthread_mutex_lock(&o->mu);
    int out = TRC_OUT_OK;
    if (!o->value) {
        uint64_t seq0 = o->seq;
        o->waiting++;
        begin_wait(u, oi, TRC_OP_EVENT_WAIT, deadline);
        out = MONITOR_WAIT(o, &o->cv, o->seq != seq0, deadline);
        o->waiting--;
        end_wait(u, oi, out, out == TRC_OUT_OK ? (uint32_t)o->seq : 0);
    }
    u->timed_out = out == TRC_OUT_TIMEOUT;
    pthread_mutex_unlock(&o->mu);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

static void do_event_set(rt_unit *u, uint32_t oi, bool set) {
    rt_obj *o = &u->r->objs[oi];
    pthread_mutex_lock(&o->mu);
    if (set) {
        o->value = 1;
        o->seq++;
        trc_emit_sync(u->ring, TRC_EV_SET, o->id, 0, o->seq, o->waiting);
        pthread_cond_broadcast(&o->cv);
    } else {
        o->value = 0;
        trc_emit_sync(u->ring, TRC_EV_CLEAR, o->id, 0, 0, 0);
    }
    pthread_mutex_unlock(&o->mu);
}

/* Releases the condition's lock fully (an rlock at any depth) and returns the depth to restore. */
static int64_t cond_release_lock(rt_unit *u, uint32_t li) {
    rt_obj *l = &u->r->objs[li];
    if (l->decl->kind == SIM_OBJ_LOCK) {
        trc_emit(u->ring, TRC_EV_RELEASE, l->id, 0, 0, 0);
        atomic_store(&l->lock.owner, -1);
        pthread_mutex_unlock(&l->lock.mu);
        return 1;
    }
    pthread_mutex_lock(&l->mu);
    int64_t depth = l->depth;
    l->depth = 0;
    trc_emit(u->ring, TRC_EV_RELEASE, l->id, 0, 0, 0);
    atomic_store(&l->owner, -1);
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return depth;
}

static int cond_reacquire_lock(rt_unit *u, uint32_t li, int64_t depth) {
    if (do_lock(u, li, 0) != 0) return -1;
    rt_obj *l = &u->r->objs[li];
    if (l->decl->kind == SIM_OBJ_RLOCK && depth > 1) {
        pthread_mutex_lock(&l->mu);
        l->depth = depth;
        pthread_mutex_unlock(&l->mu);
    }
    return 0;
}

static rt_waiter *my_record(rt_obj *o, uint32_t unit) {
    for (size_t i = 0; i < o->nwaiters; i++)
        if (o->waiters[i].unit == unit) return &o->waiters[i];
    BUG("waiter record of unit %u is missing", unit);
}

/* One wait on a condition: 0 notified, 1 timed out, -1 aborted. */
static int cond_wait_once(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    uint32_t li = o->decl->lock;
    pthread_mutex_lock(&o->mu);
    ARR_GROW(o->waiters, o->nwaiters + 1, o->cap_waiters);
    size_t slot = o->nwaiters++;
    o->waiters[slot] = (rt_waiter){ .unit = u->index };
    begin_wait(u, oi, TRC_OP_COND_WAIT, deadline);
    pthread_mutex_unlock(&o->mu);
    int64_t depth = cond_release_lock(u, li);
    pthread_mutex_lock(&o->mu);
    /* find our record again each time: other waiters leaving move records around */
    int out = MONITOR_WAIT(o, &o->cv, my_record(o, u->index)->notified, deadline);
    rt_waiter *w = my_record(o, u->index);
    uint64_t seq = w->notified ? w->seq : 0;
    if (w->notified) out = TRC_OUT_OK;   /* a notify that raced the timeout wins */
    /* leave the list keeping the others in arrival order: notify wakes the earliest first */
    size_t wi = (size_t)(w - o->waiters);
    memmove(w, w + 1, (o->nwaiters - wi - 1) * sizeof *w);
    o->nwaiters--;
    end_wait(u, oi, out, (uint32_t)seq);
    pthread_mutex_unlock(&o->mu);
    if (cond_reacquire_lock(u, li, depth)) return -1;
    u->timed_out = out == TRC_OUT_TIMEOUT;
    return out == TRC_OUT_OK ? 0 : out == TRC_OUT_TIMEOUT ? 1 : -1;
}

static int do_notify(rt_unit *u, uint32_t oi, int64_t n, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[oi];
    if (!holds(u, o->decl->lock)) {
        char msg[256];
        snprintf(msg, sizeof msg, "notify on condition '%s' without holding its lock '%s'", o->decl->name,
                 u->r->objs[o->decl->lock].decl->name);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, 0, 0);
        runtime_error(u->r, u, s, msg);
        return -1;
    }
    pthread_mutex_lock(&o->mu);
    o->seq++;
    uint32_t woken = 0;
    /* FIFO: the earliest waiters first, as Python's Condition does */
    for (size_t i = 0; i < o->nwaiters && (n < 0 || woken < n); i++) {
        if (o->waiters[i].notified) continue;
        o->waiters[i].notified = true;
        o->waiters[i].seq = o->seq;
        woken++;
    }
    trc_emit_sync(u->ring, TRC_EV_NOTIFY, o->id, 0, o->seq, woken);
    if (woken) pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

static int do_barrier(rt_unit *u, uint32_t oi, uint64_t deadline) {
    rt_obj *o = &u->r->objs[oi];
    pthread_mutex_lock(&o->mu);
    uint64_t gen = o->seq;
    o->value++;
    trc_emit_sync(u->ring, TRC_EV_BARRIER_ARRIVE, o->id, 0, 0, (uint32_t)o->value);
    int out = TRC_OUT_OK;
    if (o->value >= o->decl->cap_value) {
        o->value = 0;
        o->seq++;
        trc_emit_sync(u->ring, TRC_EV_BARRIER_OPEN, o->id, 0, o->seq, 0);
        pthread_cond_broadcast(&o->cv);
    } else {
        begin_wait(u, oi, TRC_OP_BARRIER, deadline);
        out = MONITOR_WAIT(o, &o->cv, o->seq != gen, deadline);
        if (out != TRC_OUT_OK && o->seq == gen) o->value--;   /* leave without passing */
        end_wait(u, oi, out, out == TRC_OUT_OK ? (uint32_t)o->seq : 0);
    }
    u->timed_out = out == TRC_OUT_TIMEOUT;
    pthread_mutex_unlock(&o->mu);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

/* ---- counters ------------------------------------------------------------ */

static int do_incr(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    rt_obj *o = &r->objs[s->obj];
    int64_t by = 1;
    if (s->expr && ev(u, s->expr, &by)) return -1;
    switch (s->mode) {
    case SIM_INCR_ATOMIC: {
        int64_t v = atomic_fetch_add(&o->counter, by) + by;
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_ATOMIC, (uint64_t)v, 0);
        return 0;
    }
    case SIM_INCR_LOCKED: {
        int rc = do_lock(u, s->lock, 0);
        if (rc) return -1;
        int64_t v = atomic_load(&o->counter) + by;
        atomic_store(&o->counter, v);
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_LOCKED, (uint64_t)v, 0);
        return do_unlock(u, s->lock, s);
    }
    case SIM_INCR_RACY: {
        /* a real read-modify-write with a gap: updates made by others in the gap are overwritten */
        int64_t v = atomic_load(&o->counter);
        trc_emit_sync(u->ring, TRC_EV_COUNTER_READ, o->id, 0, (uint64_t)v, 0);
        if (s->window) {
            uint64_t ns;
            if (ev_dur(u, s->window, &ns)) return -1;
            struct timespec ts = mono_ts(ns);
            nanosleep(&ts, NULL);
        } else {
            sched_yield();
        }
        /* the write replaces whatever others did in the gap: that net change is lost */
        int64_t before = atomic_exchange(&o->counter, v + by);
        /* signed: a stale write can also put back what an earlier one dropped; the sum
         * over all writes is exactly the updates lost */
        int64_t lost = before - v;
        if (lost > INT32_MAX) lost = INT32_MAX;
        if (lost < INT32_MIN) lost = INT32_MIN;
        atomic_fetch_add(&o->lost, (uint64_t)lost);
        trc_emit_sync(u->ring, TRC_EV_COUNTER_WRITE, o->id, TRC_CTR_RACY, (uint64_t)(v + by), (uint32_t)(int32_t)lost);
        return 0;
    }
    }
    return 0;
}

/* ---- sleeping ------------------------------------------------------------- */

static int do_sleep(rt_unit *u, uint64_t ns) {
    rt *r = u->r;
    set_state(u, US_SLEEP);
    trc_emit(u->ring, TRC_EV_SLEEP_BEGIN, 0, 0, ns, 0);
    struct timespec ts;
    deadline_after(&ts, ns, CLOCK_MONOTONIC);
    pthread_mutex_lock(&r->go_mu);
    while (!halted(u)) {
        if (pthread_cond_timedwait(&r->go_cv, &r->go_mu, &ts) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&r->go_mu);
    trc_emit(u->ring, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    set_state(u, US_RUNNING);
    return halted(u) ? -1 : 0;
}

/* ---- units: spawn, join, thread-locals ------------------------------------ */

enum { XR_OK = 0, XR_BREAK = 1, XR_STOP = -1 };

/* An rlock re-entered SIM_MAX_RLOCK_DEPTH times by its owner is an error, not an overflow. */
static bool rlock_too_deep(rt_unit *u, const sim_stmt *s) {
    rt_obj *o = &u->r->objs[s->obj];
    if (o->decl->kind != SIM_OBJ_RLOCK || atomic_load(&o->owner) != (int64_t)u->index || o->depth < SIM_MAX_RLOCK_DEPTH)
        return false;
    char msg[256];
    snprintf(msg, sizeof msg, "rlock '%s' taken %d times by the same unit without a release: weft's limit",
             o->decl->name, SIM_MAX_RLOCK_DEPTH);
    runtime_error(u->r, u, s, msg);
    return true;
}

static int exec_block(rt_unit *u, const sim_stmt *s);

/* Lets unit `child` begin (it waits in unit_main until then). The starter records the SPAWN. */
static void start_unit(rt_unit *starter, rt_unit *child) {
    rt *r = starter->r;
    trc_emit(starter->ring, TRC_EV_SPAWN, 0, 0, child->index, 0);
    set_state(child, US_RUNNING);
    pthread_mutex_lock(&r->go_mu);
    atomic_store(&child->start_req, 1);
    pthread_cond_broadcast(&r->go_cv);
    pthread_mutex_unlock(&r->go_mu);
}

static int do_spawn(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    const sim_actor *a = &r->prog->actors[s->actor];
    for (int64_t k = 0; k < a->count_value; k++) {
        rt_unit *c = &r->units[a->unit0 + k];
        if (atomic_load(&c->start_req)) {
            char msg[256];
            snprintf(msg, sizeof msg, "actor '%s' was already started: a thread can be started only once", a->name);
            runtime_error(r, u, s, msg);
            return -1;
        }
        start_unit(u, c);
    }
    return 0;
}

/* join ACTOR [timeout=D]: waits for every instance to exit. A timeout leaves them running. */
static int do_join(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt *r = u->r;
    const sim_actor *a = &r->prog->actors[s->actor];
    u->timed_out = false;
    for (int64_t k = 0; k < a->count_value; k++) {
        rt_unit *c = &r->units[a->unit0 + k];
        if (!c->autostart && !atomic_load(&c->start_req)) {
            char msg[256];
            snprintf(msg, sizeof msg, "join of %s, which was never started (spawn %s first)", c->name, a->name);
            runtime_error(r, u, s, msg);
            return -1;
        }
        pthread_mutex_lock(&r->exit_mu);
        if (atomic_load(&c->state) != US_DONE) {
            begin_wait_arg(u, UINT32_MAX, TRC_OP_JOIN, deadline, c->index);
            int out = TRC_OUT_OK;
            while (atomic_load(&c->state) != US_DONE) {
                int sl = wait_slice(u, &r->exit_cv, &r->exit_mu, deadline);
                if (sl >= 0) { out = sl; break; }
            }
            pthread_mutex_unlock(&r->exit_mu);
            if (out == TRC_OUT_OK && halted(u)) out = TRC_OUT_ABORTED;   /* it ended because the run did */
            end_wait(u, UINT32_MAX, out, 0);
            if (out == TRC_OUT_ABORTED) return -1;
            if (out == TRC_OUT_TIMEOUT) return 0;   /* timed_out: the rest are not joined either */
        } else {
            pthread_mutex_unlock(&r->exit_mu);
        }
        trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, c->index, 0);
    }
    return 0;
}

static void do_let(rt_unit *u, const sim_stmt *s, int64_t v) {
    u->locals[s->local] = v;
    char text[192];
    snprintf(text, sizeof text, "%s=%lld", u->r->prog->locals[s->local].name, (long long)v);
    trc_emit(u->ring, TRC_EV_LOCAL_SET, 0, 0, intern(u->r, text), 0);
}

/* ---- pools and futures ------------------------------------------------------ */

static bool fut_finished(const rt_fut *f) { return f->state == FS_DONE || f->state == FS_CANCELLED; }

/* Runs callbacks (task indexes) of future f on unit u; `arg` is the future's. */
static int run_callbacks(rt_unit *u, const rt_fut *f, uint32_t pool_id, const uint32_t *cbs, size_t n) {
    if (n && u->cb_depth >= SIM_MAX_CALLBACK_DEPTH) {
        char msg[256];
        snprintf(msg, sizeof msg, "done-callbacks nested more than %d deep (task '%s' adds itself to a finished future?)",
                 SIM_MAX_CALLBACK_DEPTH, u->r->prog->tasks[cbs[0]].name);
        runtime_error_at(u->r, u, u->r->prog->tasks[cbs[0]].pos, msg);
        return -1;
    }
    u->cb_depth++;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        trc_emit(u->ring, TRC_EV_CALLBACK, pool_id, 0, f->id, 0);
        int64_t saved = u->arg;
        u->arg = f->arg;
        int b = exec_block(u, u->r->prog->tasks[cbs[i]].body);
        u->arg = saved;
        if (b == XR_STOP) rc = -1;
    }
    u->cb_depth--;
    return rc;
}

/* Queues a task on a pool; starts a worker when none is idle (workers start lazily, as
 * ThreadPoolExecutor's do). Returns the future, or NULL when the pool is shut down. */
static rt_fut *submit(rt_unit *u, uint32_t oi, uint32_t task, int64_t arg) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    pthread_mutex_lock(&r->fmu);
    if (o->shut) {
        pthread_mutex_unlock(&r->fmu);
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0, intern(r, "submit after shutdown: the pool takes no new tasks (RuntimeError)"), 0);
        u->timed_out = true;
        return NULL;
    }
    rt_fut *f = xcalloc(1, sizeof *f);
    *f = (rt_fut){ .id = ++o->next_id, .pool = oi, .task = task, .arg = arg, .state = FS_PENDING, .submitter = u->index,
                   .worker = UINT32_MAX };
    ARR_PUSH(r->futs, r->nfuts, r->cap_futs, f);
    if (o->qtail) o->qtail->next = f; else o->qhead = f;
    o->qtail = f;
    o->queued++;
    trc_emit(u->ring, TRC_EV_SUBMIT, o->id, 0, f->id, r->task_str[task] + 1);
    if (o->queued > o->idle && o->started < (uint32_t)o->decl->cap_value)
        start_unit(u, &r->units[o->decl->unit0 + o->started++]);
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&r->fmu);
    u->timed_out = false;
    return f;
}

/* Waits (fmu held) until f finishes or the deadline; records the RESULT. Returns the outcome. */
static int await_result(rt_unit *u, rt_fut *f, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[f->pool];
    int out = TRC_OUT_OK;
    if (!fut_finished(f)) {
        atomic_store(&u->wait_fut, f);
        begin_wait_arg(u, f->pool, TRC_OP_RESULT, deadline, f->id);
        while (!fut_finished(f)) {
            int sl = wait_slice(u, &r->fcv, &r->fmu, deadline);
            if (sl >= 0) { out = sl; break; }
        }
        end_wait(u, f->pool, out, 0);
        atomic_store(&u->wait_fut, NULL);
    }
    if (out == TRC_OUT_OK) out = f->state == FS_CANCELLED ? TRC_OUT_CANCELLED : f->outcome;
    if (out != TRC_OUT_ABORTED) trc_emit_sync(u->ring, TRC_EV_RESULT, o->id, (uint16_t)out, f->id, 0);
    u->timed_out = out != TRC_OUT_OK;
    return out;
}

/* Cancels f if it is still pending (fmu held); returns whether it did. Callbacks to run
 * (on the caller, as Python does for a cancelled future) are returned in *cbs. */
static bool cancel_pending(rt_unit *u, rt_fut *f, uint32_t **cbs, size_t *ncbs) {
    rt *r = u->r;
    rt_obj *o = &r->objs[f->pool];
    bool ok = f->state == FS_PENDING;
    trc_emit(u->ring, TRC_EV_CANCEL, o->id, ok ? 1 : 0, f->id, 0);
    if (ok) {
        rt_fut **pp = &o->qhead, *prev = NULL;
        while (*pp && *pp != f) { prev = *pp; pp = &(*pp)->next; }
        if (*pp) {
            *pp = f->next;
            if (o->qtail == f) o->qtail = prev;
            o->queued--;
        }
        f->state = FS_CANCELLED;
        f->outcome = TRC_OUT_CANCELLED;
        f->done_seq = ++r->done_seq;
        *cbs = f->cbs; *ncbs = f->ncbs;
        f->cbs = NULL; f->ncbs = f->cap_cbs = 0;
        pthread_cond_broadcast(&r->fcv);
    }
    return ok;
}

static rt_fut *slot(rt_unit *u, const sim_stmt *s) {
    rt_fut *f = u->slots[s->fut];
    if (!f) {
        char msg[256];
        snprintf(msg, sizeof msg, "future '%s' has not been submitted (or its submit was rejected)",
                 u->r->prog->futs[s->fut].name);
        runtime_error(u->r, u, s, msg);
    }
    return f;
}

static int do_result(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt_fut *f = slot(u, s);
    if (!f) return -1;
    pthread_mutex_lock(&u->r->fmu);
    int out = await_result(u, f, deadline);
    pthread_mutex_unlock(&u->r->fmu);
    return out == TRC_OUT_ABORTED ? -1 : 0;
}

static int do_cancel(rt_unit *u, const sim_stmt *s) {
    rt_fut *f = slot(u, s);
    if (!f) return -1;
    uint32_t *cbs = NULL;
    size_t n = 0;
    pthread_mutex_lock(&u->r->fmu);
    bool ok = cancel_pending(u, f, &cbs, &n);
    pthread_mutex_unlock(&u->r->fmu);
    u->timed_out = !ok;
    int rc = run_callbacks(u, f, u->r->objs[f->pool].id, cbs, n);
    free(cbs);
    return rc;
}

static int do_on_done(rt_unit *u, const sim_stmt *s) {
    rt_fut *f = slot(u, s);
    if (!f) return -1;
    rt *r = u->r;
    pthread_mutex_lock(&r->fmu);
    if (!fut_finished(f)) {
        ARR_PUSH(f->cbs, f->ncbs, f->cap_cbs, s->task);
        pthread_mutex_unlock(&r->fmu);
        return 0;
    }
    pthread_mutex_unlock(&r->fmu);
    uint32_t cb = s->task;   /* already done: it runs now, on the caller */
    return run_callbacks(u, f, r->objs[f->pool].id, &cb, 1);
}

/* map POOL TASK N [timeout=D] { body }: every item is submitted up front; results come
 * back in input order, so the consumer waits on the slowest earlier item (head-of-line).
 * On a timeout the pending rest is cancelled, as Executor.map does. */
static int do_map(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt *r = u->r;
    int64_t n;
    if (ev(u, s->expr, &n)) return -1;
    if (n < 0 || n > SIM_MAX_CAPACITY) {
        runtime_error(r, u, s, n < 0 ? "map over a negative number of items" : "map over more items than weft's limit");
        return -1;
    }
    rt_fut **fs = xcalloc((size_t)n + 1, sizeof *fs);
    int64_t got = 0;
    for (int64_t i = 0; i < n; i++) {
        fs[i] = submit(u, s->obj, s->task, i);
        if (!fs[i]) { n = i; break; }   /* rejected: the pool is shut down */
    }
    bool rejected = u->timed_out;
    int rc = 0;
    for (int64_t i = 0; i < n && !rc; i++) {
        pthread_mutex_lock(&r->fmu);
        int out = await_result(u, fs[i], deadline);
        if (out == TRC_OUT_TIMEOUT) {
            for (int64_t k = i; k < n; k++) {
                uint32_t *cbs = NULL;
                size_t nc = 0;
                if (fs[k]->state == FS_PENDING) cancel_pending(u, fs[k], &cbs, &nc);
                free(cbs);   /* map's futures have no callbacks */
            }
        }
        pthread_mutex_unlock(&r->fmu);
        if (out == TRC_OUT_ABORTED) { rc = -1; break; }
        if (out == TRC_OUT_TIMEOUT) break;
        got++;
        int64_t saved = u->arg;
        u->arg = fs[i]->arg;
        int b = exec_block(u, s->body);
        u->arg = saved;
        if (b == XR_STOP) rc = -1;
        if (b == XR_BREAK) break;
    }
    u->timed_out = rejected || got < n;
    free(fs);
    return rc;
}

/* as_completed [timeout=D] { body }: the unit's futures not handed out yet, as they finish. */
static int do_as_completed(rt_unit *u, const sim_stmt *s, uint64_t deadline) {
    rt *r = u->r;
    int rc = 0;
    size_t n = u->nmine;   /* the futures submitted so far */
    u->timed_out = false;
    for (;;) {
        pthread_mutex_lock(&r->fmu);
        rt_fut *best = NULL, *pending = NULL;
        for (size_t i = 0; i < n; i++) {
            rt_fut *f = u->mine[i];
            if (f->yielded) continue;
            if (fut_finished(f)) { if (!best || f->done_seq < best->done_seq) best = f; }
            else if (!pending) pending = f;
        }
        if (!best && !pending) { pthread_mutex_unlock(&r->fmu); break; }
        if (!best) {
            /* wait for any of them: shown as a wait on the first one still pending */
            atomic_store(&u->wait_fut, pending);
            begin_wait_arg(u, pending->pool, TRC_OP_RESULT, deadline, pending->id);
            int out = TRC_OUT_OK;
            for (;;) {
                bool any = false;
                for (size_t i = 0; i < n && !any; i++) any = !u->mine[i]->yielded && fut_finished(u->mine[i]);
                if (any) break;
                int sl = wait_slice(u, &r->fcv, &r->fmu, deadline);
                if (sl >= 0) { out = sl; break; }
            }
            end_wait(u, pending->pool, out, 0);
            atomic_store(&u->wait_fut, NULL);
            pthread_mutex_unlock(&r->fmu);
            if (out == TRC_OUT_ABORTED) return -1;
            if (out == TRC_OUT_TIMEOUT) { u->timed_out = true; return 0; }
            continue;
        }
        best->yielded = true;
        int out = best->state == FS_CANCELLED ? TRC_OUT_CANCELLED : best->outcome;
        trc_emit_sync(u->ring, TRC_EV_RESULT, r->objs[best->pool].id, (uint16_t)out, best->id, 0);
        pthread_mutex_unlock(&r->fmu);
        int64_t saved = u->arg;
        u->arg = best->arg;
        int b = exec_block(u, s->body);
        u->arg = saved;
        if (b == XR_STOP) { rc = -1; break; }
        if (b == XR_BREAK) break;
    }
    return rc;
}

/* shutdown POOL wait=yes|no: no new tasks; queued ones still run. wait=yes also waits
 * until every worker has exited. */
static int do_shutdown(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    rt_obj *o = &r->objs[s->obj];
    char text[160];
    snprintf(text, sizeof text, "shutdown(wait=%s) of pool '%s'", s->wait ? "True" : "False", o->decl->name);
    trc_emit(u->ring, TRC_EV_MARK, 0, 0, intern(r, text), 0);
    pthread_mutex_lock(&r->fmu);
    o->shut = true;
    pthread_cond_broadcast(&o->cv);
    uint32_t started = o->started;   /* final: a shut pool starts no worker */
    pthread_mutex_unlock(&r->fmu);
    u->timed_out = false;
    if (!s->wait) return 0;
    /* wait=yes joins the workers, as ThreadPoolExecutor.shutdown(wait=True) does */
    const rt_unit *w0 = &r->units[o->decl->unit0];
    int out = TRC_OUT_OK;
    pthread_mutex_lock(&r->exit_mu);
    bool all = true;
    for (uint32_t k = 0; k < started; k++) all &= atomic_load(&w0[k].state) == US_DONE;
    if (!all) {
        begin_wait_arg(u, s->obj, TRC_OP_JOIN, 0, 0);
        for (;;) {
            all = true;
            for (uint32_t k = 0; k < started; k++) all &= atomic_load(&w0[k].state) == US_DONE;
            if (all) break;
            int sl = wait_slice(u, &r->exit_cv, &r->exit_mu, 0);
            if (sl >= 0) { out = sl; break; }
        }
        pthread_mutex_unlock(&r->exit_mu);
        end_wait(u, s->obj, out, 0);
    } else {
        pthread_mutex_unlock(&r->exit_mu);
    }
    if (out == TRC_OUT_ABORTED) return -1;
    for (uint32_t k = 0; k < started; k++) trc_emit_sync(u->ring, TRC_EV_JOINED, 0, 0, w0[k].index, 0);
    return 0;
}

/* A pool worker: takes tasks until the pool is shut down and drained. */
static int worker_loop(rt_unit *u) {
    rt *r = u->r;
    rt_obj *o = &r->objs[u->pool];
    int rc = 0;
    bool idle = false;   /* counted in o->idle: a submit finding it idle starts no new worker */
    pthread_mutex_lock(&r->fmu);
    for (;;) {
        bool waiting = false;
        int out = TRC_OUT_OK;
        if (!idle) { idle = true; o->idle++; }
        while (!o->qhead && !o->shut) {
            if (!waiting) { waiting = true; begin_wait_arg(u, u->pool, TRC_OP_GET, 0, 0); }
            int sl = wait_slice(u, &o->cv, &r->fmu, 0);
            if (sl >= 0) { out = sl; break; }
        }
        if (waiting) end_wait(u, u->pool, out, 0);
        if (out == TRC_OUT_ABORTED || halted(u)) { rc = -1; break; }
        if (!o->qhead) break;   /* shut down and drained */
        rt_fut *f = o->qhead;
        o->idle--;
        idle = false;
        o->qhead = f->next;
        if (!o->qhead) o->qtail = NULL;
        o->queued--;
        f->next = NULL;
        f->state = FS_RUNNING;
        f->worker = u->index;
        trc_emit_sync(u->ring, TRC_EV_TASK_START, o->id, 0, f->id, 0);
        pthread_mutex_unlock(&r->fmu);

        u->arg = f->arg;
        int b = exec_block(u, r->prog->tasks[f->task].body);
        u->arg = 0;

        pthread_mutex_lock(&r->fmu);
        int outcome = b == XR_STOP ? TRC_OUT_ABORTED : TRC_OUT_OK;
        trc_emit(u->ring, TRC_EV_TASK_DONE, o->id, (uint16_t)outcome, f->id, 0);
        f->state = FS_DONE;
        f->outcome = outcome;
        f->done_seq = ++r->done_seq;
        uint64_t now = clk_mono_ns();
        if (atomic_load(&r->task_done_t[f->task]) < now) atomic_store(&r->task_done_t[f->task], now);
        pthread_cond_broadcast(&r->fcv);   /* waiters wake first, then the callbacks run */
        uint32_t *cbs = f->cbs;
        size_t ncbs = f->ncbs;
        f->cbs = NULL; f->ncbs = f->cap_cbs = 0;
        /* idle again once the future is done and its callbacks have run (as ThreadPoolExecutor's
         * workers are): with none, before its waiters can submit again */
        if (!ncbs) { idle = true; o->idle++; }
        pthread_mutex_unlock(&r->fmu);
        if (b == XR_STOP) { free(cbs); rc = -1; pthread_mutex_lock(&r->fmu); break; }
        rc = run_callbacks(u, f, o->id, cbs, ncbs);
        free(cbs);
        pthread_mutex_lock(&r->fmu);
        if (rc) break;
    }
    if (idle) o->idle--;
    pthread_cond_broadcast(&r->fcv);
    pthread_mutex_unlock(&r->fmu);
    return rc ? XR_STOP : XR_OK;
}

/* ---- the interpreter ----------------------------------------------------- */


static int exec_block(rt_unit *u, const sim_stmt *s);

/* The rwlock and queue steps of exec_block: XR_OK, XR_BREAK (a block's body broke out) or XR_STOP. */
static int exec_rwq_step(rt_unit *u, const sim_stmt *s) {
    uint64_t deadline = 0;
    int rc = 0;
    switch (s->kind) {
    case SIM_S_READ_LOCK: case SIM_S_WRITE_LOCK:
        if (timeout_of(u, s, &deadline)) return XR_STOP;
        rc = s->kind == SIM_S_READ_LOCK ? do_read_lock(u, s->obj, deadline) : do_write_lock(u, s->obj, deadline);
        if (rc == 1) rc = 0;          /* timed out: `timed_out` says so */
        break;
    case SIM_S_READ_UNLOCK: rc = do_read_unlock(u, s); break;
    case SIM_S_WRITE_UNLOCK: rc = do_write_unlock(u, s); break;
    case SIM_S_READ_BLOCK: case SIM_S_WRITE_BLOCK: {
        bool is_read = s->kind == SIM_S_READ_BLOCK;
        if (is_read ? do_read_lock(u, s->obj, 0) : do_write_lock(u, s->obj, 0)) return XR_STOP;
        int b = exec_block(u, s->body);
        if (b == XR_STOP) return XR_STOP;
        rc = is_read ? do_read_unlock(u, s) : do_write_unlock(u, s);
        if (!rc && b == XR_BREAK) return XR_BREAK;
        break;
    }
    case SIM_S_TASK_DONE: rc = do_task_done(u, s); break;
    case SIM_S_QUEUE_JOIN:
        if (timeout_of(u, s, &deadline)) return XR_STOP;
        rc = do_queue_join(u, s->obj, deadline);
        break;
    default: BUG("step %d is not an rwlock or queue step", s->kind);
    }
    return rc ? XR_STOP : XR_OK;
}

static int exec_block(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    for (; s; s = s->next) {
        if (halted(u)) return XR_STOP;
        int rc = 0;
        uint64_t deadline = 0, ns;
        int64_t v;
        switch (s->kind) {
        case SIM_S_COMPUTE: {
            if (ev_dur(u, s->expr, &ns)) return XR_STOP;
            set_state(u, US_COMPUTE);
            trc_emit(u->ring, TRC_EV_COMPUTE_BEGIN, 0, 0, ns, 0);
            uint64_t burnt = sim_burn(ns, &u->halt);
            trc_emit(u->ring, TRC_EV_COMPUTE_END, 0, 0, burnt, 0);
            set_state(u, US_RUNNING);
            break;
        }
        case SIM_S_SLEEP:
            if (ev_dur(u, s->expr, &ns)) return XR_STOP;
            rc = do_sleep(u, ns);
            break;
        case SIM_S_LOCK:
            if (rlock_too_deep(u, s) || timeout_of(u, s, &deadline)) return XR_STOP;
            rc = do_lock(u, s->obj, deadline);
            if (rc == 1) rc = 0;          /* timed out: `timed_out` says so */
            break;
        case SIM_S_UNLOCK: rc = do_unlock(u, s->obj, s); break;
        case SIM_S_LOCK_BLOCK:
            if (rlock_too_deep(u, s)) return XR_STOP;
            rc = do_lock(u, s->obj, 0);
            if (!rc) {
                int b = exec_block(u, s->body);
                if (b == XR_STOP) return XR_STOP;
                rc = do_unlock(u, s->obj, s);
                if (!rc && b == XR_BREAK) return XR_BREAK;
            }
            break;
        case SIM_S_PUT: case SIM_S_GET:
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            v = 0;
            if (s->priority && ev(u, s->priority, &v)) return XR_STOP;
            rc = s->kind == SIM_S_PUT ? do_put(u, s->obj, deadline, v, s->nowait)
                                      : do_get(u, s->obj, deadline, s->nowait);
            if (rc == 1) rc = 0;
            break;
        case SIM_S_REPEAT:
            if (ev(u, s->expr, &v)) return XR_STOP;
            if (v < 0 || v > SIM_MAX_REPEAT) {
                runtime_error(r, u, s, v < 0 ? "repeat count is negative" : "repeat count is larger than weft's limit");
                return XR_STOP;
            }
            for (int64_t i = 0; i < v; i++) {
                int b = exec_block(u, s->body);
                if (b == XR_STOP) return XR_STOP;
                if (b == XR_BREAK) break;
            }
            break;
        case SIM_S_LOOP:
            for (;;) {
                int b = exec_block(u, s->body);
                if (b == XR_STOP) return XR_STOP;
                if (b == XR_BREAK) break;
                if (!s->body) sched_yield();
            }
            break;
        case SIM_S_BREAK: return XR_BREAK;
        case SIM_S_IF: {
            if (ev(u, s->cond, &v)) return XR_STOP;
            int b = exec_block(u, v ? s->body : s->orelse);
            if (b != XR_OK) return b;
            break;
        }
        case SIM_S_WAIT: {
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            sim_obj_kind k = r->objs[s->obj].decl->kind;
            if (k == SIM_OBJ_EVENT) rc = do_event_wait(u, s->obj, deadline);
            else if (k == SIM_OBJ_BARRIER) rc = do_barrier(u, s->obj, deadline);
            else {
                const rt_obj *o = &r->objs[s->obj];
                if (!holds(u, o->decl->lock)) {
                    char msg[256];
                    snprintf(msg, sizeof msg, "wait on condition '%s' without holding its lock '%s'", o->decl->name,
                             r->objs[o->decl->lock].decl->name);
                    runtime_error(r, u, s, msg);
                    return XR_STOP;
                }
                rc = cond_wait_once(u, s->obj, deadline);
                if (rc == 1) rc = 0;
            }
            break;
        }
        case SIM_S_WAIT_FOR: {
            const rt_obj *o = &r->objs[s->obj];
            if (!holds(u, o->decl->lock)) {
                char msg[256];
                snprintf(msg, sizeof msg, "wait_for on condition '%s' without holding its lock '%s'", o->decl->name,
                         r->objs[o->decl->lock].decl->name);
                runtime_error(r, u, s, msg);
                return XR_STOP;
            }
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            /* while not predicate: wait (re-checked after every wake-up, as Python's wait_for does) */
            for (;;) {
                if (ev(u, s->cond, &v)) return XR_STOP;
                if (v) { u->timed_out = false; break; }
                rc = cond_wait_once(u, s->obj, deadline);
                if (rc < 0) break;
                if (rc == 1) {
                    if (ev(u, s->cond, &v)) return XR_STOP;
                    u->timed_out = !v;
                    rc = 0;
                    break;
                }
            }
            break;
        }
        case SIM_S_NOTIFY:
            v = 1;
            if (s->expr && ev(u, s->expr, &v)) return XR_STOP;
            rc = do_notify(u, s->obj, v, s);
            break;
        case SIM_S_NOTIFY_ALL: rc = do_notify(u, s->obj, -1, s); break;
        case SIM_S_SET: do_event_set(u, s->obj, true); break;
        case SIM_S_CLEAR: do_event_set(u, s->obj, false); break;
        case SIM_S_INCR: rc = do_incr(u, s); break;
        case SIM_S_MARK: {
            trc_emit(u->ring, TRC_EV_MARK, 0, 0, s->text_id, 0);
            if (!atomic_load_explicit(&r->mark_t[s->text_id], memory_order_relaxed)) {   /* the first one only */
                uint64_t zero = 0;
                atomic_compare_exchange_strong(&r->mark_t[s->text_id], &zero, clk_mono_ns());
            }
            break;
        }
        case SIM_S_SPAWN: rc = do_spawn(u, s); break;
        case SIM_S_JOIN:
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            rc = do_join(u, s, deadline);
            break;
        case SIM_S_LET:
            if (ev(u, s->expr, &v)) return XR_STOP;
            do_let(u, s, v);
            break;
        case SIM_S_SUBMIT: {
            v = 0;
            if (s->expr && ev(u, s->expr, &v)) return XR_STOP;
            rt_fut *f = submit(u, s->obj, s->task, v);
            if (f) ARR_PUSH(u->mine, u->nmine, u->cap_mine, f);
            if (s->fut != UINT32_MAX) u->slots[s->fut] = f;
            break;
        }
        case SIM_S_RESULT:
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            rc = do_result(u, s, deadline);
            break;
        case SIM_S_CANCEL: rc = do_cancel(u, s); break;
        case SIM_S_ON_DONE: rc = do_on_done(u, s); break;
        case SIM_S_MAP:
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            rc = do_map(u, s, deadline);
            break;
        case SIM_S_AS_COMPLETED:
            if (timeout_of(u, s, &deadline)) return XR_STOP;
            rc = do_as_completed(u, s, deadline);
            break;
        case SIM_S_SHUTDOWN: rc = do_shutdown(u, s); break;
        case SIM_S_READ_LOCK: case SIM_S_READ_UNLOCK: case SIM_S_WRITE_LOCK: case SIM_S_WRITE_UNLOCK:
        case SIM_S_READ_BLOCK: case SIM_S_WRITE_BLOCK: case SIM_S_TASK_DONE: case SIM_S_QUEUE_JOIN: {
            int b = exec_rwq_step(u, s);
            if (b != XR_OK) return b;
            break;
        }
        }
        if (rc) return XR_STOP;
        atomic_store_explicit(&u->steps, atomic_load_explicit(&u->steps, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    return XR_OK;
}

static void *unit_main(void *arg) {
    rt_unit *u = arg;
    rt *r = u->r;
    char tname[16];
    size_t tl = strnlen(u->name, sizeof tname - 1);
    memcpy(tname, u->name, tl);
    tname[tl] = 0;
    pthread_setname_np(pthread_self(), tname);
    u->tid = (int)gettid();
    pthread_mutex_lock(&r->go_mu);
    r->ready++;
    pthread_cond_broadcast(&r->go_cv);
    /* spawned units and pool workers wait for their start; at the run's end the ones
     * never started leave without an event */
    while (!aborted(r) && !(r->go && (u->autostart || atomic_load(&u->start_req))))
        pthread_cond_wait(&r->go_cv, &r->go_mu);
    pthread_mutex_unlock(&r->go_mu);
    if (aborted(r)) {
        set_state(u, US_DONE);
        return NULL;
    }
    trc_emit_sync(u->ring, TRC_EV_UNIT_START, 0, 0, 0, 0);
    int rc = u->pool != UINT32_MAX ? worker_loop(u) : exec_block(u, u->actor->body);
    uint16_t why = rc == XR_STOP ? TRC_EXIT_ABORTED : TRC_EXIT_DONE;
    if (atomic_load(&u->killed)) {
        trc_emit(u->ring, TRC_EV_DAEMON_KILLED, 0, 0, u->index, 0);
        why = TRC_EXIT_KILLED;
    }
    trc_emit(u->ring, TRC_EV_UNIT_EXIT, 0, why, 0, 0);
    atomic_store(&u->t_exit, clk_mono_ns());
    pthread_mutex_lock(&r->exit_mu);
    set_state(u, US_DONE);
    pthread_cond_broadcast(&r->exit_cv);
    pthread_mutex_unlock(&r->exit_mu);
    atomic_store_explicit(&u->steps, atomic_load_explicit(&u->steps, memory_order_relaxed) + 1, memory_order_relaxed);
    return NULL;
}

/* ---- watchdog ------------------------------------------------------------ */

static const char *op_verb(int op) {
    switch (op) {
    case TRC_OP_LOCK: return "to acquire";
    case TRC_OP_PUT: return "to put into queue";
    case TRC_OP_GET: return "to get from queue";
    case TRC_OP_ACQUIRE_PERMIT: return "for a permit of semaphore";
    case TRC_OP_COND_WAIT: return "to be notified on condition";
    case TRC_OP_EVENT_WAIT: return "for event";
    case TRC_OP_BARRIER: return "at barrier";
    case TRC_OP_JOIN: return "to join";
    case TRC_OP_RESULT: return "for a result of pool";
    default: return "on";
    }
}

static void rep(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rep(char *out, size_t cap, const char *fmt, ...) {
    size_t n = strlen(out);
    if (n + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

static int64_t owner_of(rt_obj *o) {
    if (o->decl->kind == SIM_OBJ_LOCK) return atomic_load(&o->lock.owner);
    if (o->decl->kind == SIM_OBJ_RLOCK) return atomic_load(&o->owner);
    if (o->decl->kind == SIM_OBJ_RWLOCK) return atomic_load(&o->owner);   /* its writer */
    return -1;
}

/* describe_wait's line for a wait on an rwlock or a queue join. */
static void describe_rwq_wait(rt *r, uint32_t i, rt_obj *o, int op, const char *when, char *out, size_t cap) {
    rt_unit *u = &r->units[i];
    if (op == TRC_OP_QUEUE_JOIN) {
        pthread_mutex_lock(&o->mu);
        int64_t left = o->queue.unfinished;
        pthread_mutex_unlock(&o->mu);
        rep(out, cap, "  %s waits for queue '%s' to be joined since %s: %lld task%s unfinished, no live unit will call "
                      "task_done\n", u->name, o->decl->name, when, (long long)left, left == 1 ? "" : "s");
        return;
    }
    bool wr = op == TRC_OP_WRITE_LOCK;
    rep(out, cap, "  %s waits for %s lock '%s' since %s", u->name, wr ? "write" : "read", o->decl->name, when);
    pthread_mutex_lock(&o->mu);
    int64_t w = atomic_load(&o->owner);
    if (w == (int64_t)i) {
        rep(out, cap, ", which it holds itself for writing (an rwlock is not re-entrant)");
    } else if (w >= 0) {
        rep(out, cap, ", held by writer %s%s", r->units[w].name,
            atomic_load(&r->units[w].state) == US_DONE ? ", which has exited" : "");
    } else if (o->nreaders) {
        uint32_t shown = 0, distinct = 0;
        for (size_t k = 0; k < o->nreaders; k++) {
            bool seen = false;
            for (size_t j = 0; j < k; j++) seen |= o->readers[j] == o->readers[k];
            if (seen) continue;
            distinct++;
            if (shown == 8) continue;
            uint32_t ri = o->readers[k];
            rep(out, cap, "%s%s%s", shown ? ", " : ", held by readers ", r->units[ri].name,
                ri == i ? " (itself: a read lock cannot be upgraded to a write lock)"
                : atomic_load(&r->units[ri].state) == US_DONE ? " (exited)" : "");
            shown++;
        }
        if (distinct > shown) rep(out, cap, " and %u more", distinct - shown);
    }
    if (!wr && w < 0) {   /* held back by waiting writers (prefer=writers) */
        uint32_t oi = (uint32_t)(o - r->objs), n = 0;
        for (uint32_t k = 0; k < r->nunits; k++) {
            rt_unit *v = &r->units[k];
            if (atomic_load(&v->state) != US_BLOCKED || atomic_load(&v->wait_obj) != oi + 1 ||
                atomic_load(&v->wait_op) != TRC_OP_WRITE_LOCK)
                continue;
            if (n < 8) rep(out, cap, "%s%s", n ? ", " : ", behind waiting writers (writers go first): ", v->name);
            n++;
        }
    }
    pthread_mutex_unlock(&o->mu);
    rep(out, cap, "\n");
}

/* Describes why unit i waits, in one line. */
static void describe_wait(rt *r, uint32_t i, uint64_t t0, char *out, size_t cap) {
    rt_unit *u = &r->units[i];
    if (atomic_load(&u->state) != US_BLOCKED) return;
    uint32_t wo = atomic_load(&u->wait_obj);
    int op = atomic_load(&u->wait_op);
    uint64_t since = atomic_load(&u->wait_since);
    char when[32];
    fmt_dur(when, sizeof when, since > t0 ? since - t0 : 0);
    if (op == TRC_OP_JOIN && !wo) {
        uint64_t c = atomic_load(&u->wait_arg);
        rt_unit *cu = c < r->nunits ? &r->units[c] : NULL;
        rep(out, cap, "  %s waits to join %s since %s%s\n", u->name, cu ? cu->name : "?", when,
            cu && atomic_load(&cu->state) == US_BLOCKED ? ", which is blocked itself" : "");
        return;
    }
    if (!wo) return;
    rt_obj *o = &r->objs[wo - 1];
    if (o->decl->kind == SIM_OBJ_POOL) {
        if (op == TRC_OP_GET) {
            rep(out, cap, "  %s (a worker of pool '%s') waits for a task since %s (idle)\n", u->name, o->decl->name, when);
        } else if (op == TRC_OP_JOIN) {
            rep(out, cap, "  %s waits for pool '%s' to shut down since %s\n", u->name, o->decl->name, when);
        } else {
            pthread_mutex_lock(&r->fmu);
            rt_fut *f = atomic_load(&u->wait_fut);
            char what[160] = "";
            if (f && f->state == FS_RUNNING)
                snprintf(what, sizeof what, ", running on %s", r->units[f->worker].name);
            else if (f && f->state == FS_PENDING)
                snprintf(what, sizeof what, ", still pending: %u queued, %u of %lld workers started", o->queued, o->started,
                         (long long)o->decl->cap_value);
            rep(out, cap, "  %s waits for the result of future #%llu of pool '%s' (task '%s') since %s%s\n", u->name,
                f ? (unsigned long long)f->id : 0ull, o->decl->name, f ? r->prog->tasks[f->task].name : "?", when, what);
            pthread_mutex_unlock(&r->fmu);
        }
        return;
    }
    if (o->decl->kind == SIM_OBJ_RWLOCK || op == TRC_OP_QUEUE_JOIN) {
        describe_rwq_wait(r, i, o, op, when, out, cap);
        return;
    }
    const char *kind = o->decl->kind == SIM_OBJ_LOCK ? "lock " : o->decl->kind == SIM_OBJ_RLOCK ? "rlock " : "";
    rep(out, cap, "  %s waits %s %s'%s' since %s", u->name, op_verb(op), kind, o->decl->name, when);
    switch (o->decl->kind) {
    case SIM_OBJ_LOCK: case SIM_OBJ_RLOCK: {
        int64_t ow = owner_of(o);
        if (ow == (int64_t)i) rep(out, cap, ", which it holds itself (a lock is not re-entrant)");
        else if (ow >= 0) {
            rt_unit *w = &r->units[ow];
            rep(out, cap, ", held by %s%s", w->name, atomic_load(&w->state) == US_DONE ? ", which has exited" : "");
        }
        break;
    }
    case SIM_OBJ_QUEUE: {
        pthread_mutex_lock(&o->mu);
        int64_t c = o->queue.count, cp = o->queue.cap;
        pthread_mutex_unlock(&o->mu);
        rep(out, cap, op == TRC_OP_GET ? " (empty: no live unit will put)" : " (full: %lld of %lld, no live unit will get)",
            (long long)c, (long long)cp);
        break;
    }
    case SIM_OBJ_SEMAPHORE: rep(out, cap, " (no permit free, none will be released)"); break;
    case SIM_OBJ_CONDITION: rep(out, cap, " (no live unit will notify)"); break;
    case SIM_OBJ_EVENT: rep(out, cap, " (not set; no live unit will set it)"); break;
    case SIM_OBJ_BARRIER: {
        pthread_mutex_lock(&o->mu);
        int64_t arrived = o->value;
        pthread_mutex_unlock(&o->mu);
        rep(out, cap, " (%lld of %lld parties arrived)", (long long)arrived, (long long)o->decl->cap_value);
        break;
    }
    default: break;
    }
    rep(out, cap, "\n");
}

/* The unit that blocked unit i waits for, or -1: a lock's or rlock's owner, the unit
 * it joins, the worker running the future it waits for. Waits with a timeout end by
 * themselves and are no edge. */
static int64_t waits_for(rt *r, uint32_t i) {
    rt_unit *u = &r->units[i];
    if (atomic_load(&u->state) != US_BLOCKED || atomic_load(&u->wait_deadline)) return -1;
    uint32_t wo = atomic_load(&u->wait_obj);
    int op = atomic_load(&u->wait_op);
    if (op == TRC_OP_JOIN && !wo) {
        uint64_t c = atomic_load(&u->wait_arg);
        return c < r->nunits && atomic_load(&r->units[c].state) != US_DONE ? (int64_t)c : -1;
    }
    if (!wo) return -1;
    rt_obj *o = &r->objs[wo - 1];
    if (o->decl->kind == SIM_OBJ_POOL) {
        if (op != TRC_OP_RESULT) return -1;
        pthread_mutex_lock(&r->fmu);
        rt_fut *f = atomic_load(&u->wait_fut);
        int64_t w = f && f->state == FS_RUNNING ? (int64_t)f->worker : -1;
        pthread_mutex_unlock(&r->fmu);
        return w;
    }
    return owner_of(o);
}

/* Finds a wait-for cycle through unit `start`; fills chain[] and returns its length, or 0. */
static uint32_t find_cycle(rt *r, uint32_t start, uint32_t *chain) {
    uint32_t n = 0, cur = start;
    for (uint32_t steps = 0; steps <= r->nunits; steps++) {
        int64_t ow = waits_for(r, cur);
        if (ow < 0) return 0;
        chain[n++] = cur;
        if ((uint32_t)ow == start) return n;
        for (uint32_t k = 0; k < n; k++)
            if (chain[k] == (uint32_t)ow) return 0;   /* a cycle not through start */
        cur = (uint32_t)ow;
    }
    return 0;
}

/* Every non-daemon actor is done: shut the pools down (their queued tasks still run),
 * as interpreter exit does; once only daemons are left, cut them off. */
static void exit_phase(rt *r, uint32_t live_main, uint32_t live_nondaemon) {
    if (!live_main && !r->exiting) {
        r->exiting = true;
        pthread_mutex_lock(&r->fmu);
        for (uint32_t i = 0; i < r->prog->nobjects; i++)
            if (r->objs[i].decl->kind == SIM_OBJ_POOL) {
                r->objs[i].shut = true;
                pthread_cond_broadcast(&r->objs[i].cv);
            }
        pthread_mutex_unlock(&r->fmu);
    }
    if (r->exiting && !live_nondaemon && !r->killing) {
        r->killing = true;
        for (uint32_t i = 0; i < r->nunits; i++) {
            rt_unit *u = &r->units[i];
            int st = atomic_load(&u->state);
            if (u->daemon && st != US_DONE && st != US_NEW) {
                atomic_store(&u->killed, 1);
                atomic_store(&u->halt, 1);
            }
        }
        pthread_mutex_lock(&r->go_mu);
        pthread_cond_broadcast(&r->go_cv);
        pthread_mutex_unlock(&r->go_mu);
    }
}

static uint32_t watch(rt *r, uint64_t t0, char *report, size_t cap) {
    uint64_t timeout = r->desc->timeout_ns ? r->desc->timeout_ns : 60ull * 1000000000ull;
    uint64_t stall = r->desc->stall_ns ? r->desc->stall_ns : 300ull * 1000000ull;
    uint64_t last_progress = UINT64_MAX, last_change = clk_mono_ns();
    uint32_t *chain = xcalloc(r->nunits + 1, sizeof *chain);
    uint64_t cycle_sig = 0, cycle_seen_at = 0;
    uint32_t verdict = TRC_END_OK;
    for (;;) {
        /* polls, and wakes at once when a unit exits (so the run ends with its last unit) */
        pthread_mutex_lock(&r->exit_mu);
        struct timespec sl = mono_ts(clk_mono_ns() + POLL_NS);
        pthread_cond_timedwait(&r->exit_cv, &r->exit_mu, &sl);
        pthread_mutex_unlock(&r->exit_mu);
        uint64_t now = clk_mono_ns();
        uint32_t live = 0, blocked = 0, live_main = 0, live_nondaemon = 0;
        for (uint32_t i = 0; i < r->nunits; i++) {
            rt_unit *ui = &r->units[i];
            int st = atomic_load(&ui->state);
            if (st == US_NEW) continue;   /* never started: cannot make progress */
            if (st != US_DONE) {
                live++;
                if (!ui->daemon) live_nondaemon++;
                if (!ui->daemon && ui->pool == UINT32_MAX) live_main++;
            }
            /* blocked for good: a wait without a timeout */
            if (st == US_BLOCKED && !atomic_load(&r->units[i].wait_deadline)) blocked++;
        }
        if (atomic_load(&r->error_set)) { verdict = TRC_END_ERROR; snprintf(report, cap, "%s\n", r->error); break; }
        if (!live) break;
        diag rdg;
        int rs = r->rec ? trc_recorder_status(r->rec, &rdg) : 0;
        if (rs == -ERR_IO) {
            verdict = TRC_END_ERROR;
            snprintf(report, cap, "the recording could not be written (%s): the run was stopped at once; what was "
                     "written before is kept\n", rdg.msg);
            break;
        }
        if (rs == -ERR_LIMIT) {
            verdict = TRC_END_LIMIT;
            snprintf(report, cap, "%s: the run was stopped after %.3f s; the recording is kept\n", rdg.msg,
                     (double)(now - t0) / 1e9);
            break;
        }
        exit_phase(r, live_main, live_nondaemon);
        if (r->desc->interrupt && atomic_load(r->desc->interrupt)) {
            verdict = TRC_END_ERROR;
            snprintf(report, cap, "interrupted after %.3f s\n", (double)(now - t0) / 1e9);
            break;
        }
        if (now - t0 > timeout) {
            verdict = TRC_END_TIMEOUT;
            snprintf(report, cap, "the run did not finish within %.1f s; %u unit(s) still live\n",
                     (double)timeout / 1e9, live);
            for (uint32_t i = 0; i < r->nunits; i++) describe_wait(r, i, t0, report, cap);
            break;
        }
        uint64_t p = 0;   /* progress: the sum of every unit's own step count */
        for (uint32_t i = 0; i < r->nunits; i++) p += atomic_load_explicit(&r->units[i].steps, memory_order_relaxed);
        if (p != last_progress) { last_progress = p; last_change = now; }
        /* deadlock: a lock cycle, unchanged for CYCLE_CONFIRM_NS */
        uint32_t clen = 0;
        for (uint32_t i = 0; i < r->nunits && !clen; i++) clen = find_cycle(r, i, chain);
        if (clen) {
            uint64_t sig = 1469598103934665603ull;
            uint32_t lo = 0;
            for (uint32_t k = 1; k < clen; k++) if (chain[k] < chain[lo]) lo = k;
            for (uint32_t k = 0; k < clen; k++) {
                uint32_t ui = chain[(lo + k) % clen];
                sig = (sig ^ ui) * 1099511628211ull;
                sig = (sig ^ atomic_load(&r->units[ui].wait_since)) * 1099511628211ull;
            }
            if (sig != cycle_sig) { cycle_sig = sig; cycle_seen_at = now; }
            else if (now - cycle_seen_at >= CYCLE_CONFIRM_NS) {
                verdict = TRC_END_DEADLOCK;
                snprintf(report, cap, "deadlock: a cycle of %u unit(s) waiting for each other\n", clen);
                for (uint32_t k = 0; k < clen; k++) describe_wait(r, chain[(lo + k) % clen], t0, report, cap);
                bool others = false;
                for (uint32_t i = 0; i < r->nunits; i++) {
                    bool in = false;
                    for (uint32_t k = 0; k < clen; k++) in |= chain[k] == i;
                    if (!in && atomic_load(&r->units[i].state) == US_BLOCKED) {
                        if (!others) rep(report, cap, "also blocked:\n");
                        others = true;
                        describe_wait(r, i, t0, report, cap);
                    }
                }
                break;
            }
        } else {
            cycle_sig = 0;
        }
        /* stall: every live unit blocked, nothing completed for `stall` */
        if (blocked == live && now - last_change >= stall) {
            verdict = TRC_END_STUCK;
            snprintf(report, cap, "stuck: all %u live unit(s) blocked with no progress for %.0f ms\n", live,
                     (double)(now - last_change) / 1e6);
            for (uint32_t i = 0; i < r->nunits; i++) describe_wait(r, i, t0, report, cap);
            break;
        }
    }
    free(chain);
    if (verdict == TRC_END_OK && atomic_load(&r->error_set)) {
        verdict = TRC_END_ERROR;
        snprintf(report, cap, "%s\n", r->error);
    }
    /* ends the run: stops the units still blocked, and lets the ones never started leave */
    stop_all(r);
    return verdict;
}

/* ---- run ------------------------------------------------------------------ */

static void machine_info(char *out, size_t cap, uint32_t *cores) {
    struct utsname un;
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ') c++;
                    c[strcspn(c, "\n")] = 0;
                    snprintf(model, sizeof model, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    *cores = n > 0 ? (uint32_t)n : 1;
    if (uname(&un) == 0) snprintf(out, cap, "%u cores, %s %s, %s", *cores, un.sysname, un.release, model);
    else snprintf(out, cap, "%u cores, %s", *cores, model);
}

static bool compare(int op, int64_t a, int64_t b) {
    switch (op) {
    case '<': return a < b;
    case '>': return a > b;
    case 'l': return a <= b;
    case 'g': return a >= b;
    case '=': return a == b;
    default: return a != b;
    }
}

static const char *op_text(int op) {
    switch (op) {
    case '<': return "<";
    case '>': return ">";
    case 'l': return "<=";
    case 'g': return ">=";
    case '=': return "==";
    default: return "!=";
    }
}

static bool this_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    const sim_result *res = user;
    (void)value;
    if (param != UINT32_MAX) return false;
    *out = (int64_t)res->wall_ns;
    return true;
}

/* When an `expect order` item happened (mono ns), or 0 if it never did. */
static uint64_t order_time(const rt *r, const sim_order_item *it) {
    const sim_program *p = r->prog;
    if (it->kind == SIM_ORD_MARK) return atomic_load(&r->mark_t[it->id]);
    if (it->kind == SIM_ORD_TASK) return atomic_load(&r->task_done_t[it->id]);
    const sim_actor *a = &p->actors[it->id];
    uint64_t t = 0;
    for (int64_t k = 0; k < a->count_value; k++) {
        const rt_unit *u = &r->units[a->unit0 + k];
        uint64_t x = atomic_load(&u->t_exit);
        if (!x || atomic_load(&u->killed)) return 0;   /* never exited on its own */
        if (x > t) t = x;
    }
    return t;
}

static const char *order_name(const sim_program *p, const sim_order_item *it) {
    return it->kind == SIM_ORD_MARK ? p->strings[it->id] : it->kind == SIM_ORD_TASK ? p->tasks[it->id].name
                                                                                   : p->actors[it->id].name;
}

static void check_expectations(sim_result *res, const sim_program *prog, const rt *r, uint32_t end) {
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        char fail[512] = "";
        if (x->kind == SIM_X_NO_DEADLOCK && (end == TRC_END_DEADLOCK || end == TRC_END_STUCK))
            snprintf(fail, sizeof fail, "%s", end == TRC_END_DEADLOCK ? "expect no_deadlock: the run deadlocked"
                                                                      : "expect no_deadlock: units were stuck forever");
        else if (x->kind == SIM_X_ALL_DONE && end != TRC_END_OK)
            snprintf(fail, sizeof fail, "expect all_done: not every unit finished");
        else if (x->kind == SIM_X_DEADLOCK && end != TRC_END_DEADLOCK)
            snprintf(fail, sizeof fail, "expect deadlock: the run did not deadlock");
        else if (x->kind == SIM_X_STUCK && end != TRC_END_STUCK)
            snprintf(fail, sizeof fail, "expect stuck: no unit was stuck forever");
        else if (x->kind == SIM_X_COUNTER || x->kind == SIM_X_LOST_UPDATES) {
            const rt_obj *o = &r->objs[x->obj];
            int64_t got = x->kind == SIM_X_COUNTER ? atomic_load(&o->counter) : (int64_t)atomic_load(&o->lost);
            int64_t want = 0;
            sim_eval(x->value, prog, NULL, &want, NULL);
            if (!compare(x->op, got, want))
                snprintf(fail, sizeof fail, "expect %s %s %s %lld: it is %lld",
                         x->kind == SIM_X_COUNTER ? "counter" : "lost_updates", o->decl->name, op_text(x->op),
                         (long long)want, (long long)got);
        } else if (x->kind == SIM_X_RELATION && !x->across_runs) {
            sim_eval_ctx ctx = { .makespan = this_makespan, .user = res };
            int64_t v = 0;
            diag ed;
            if (sim_eval(x->value, prog, &ctx, &v, &ed)) snprintf(fail, sizeof fail, "expect: %.400s", ed.msg);
            else if (!v) {
                char ms[32];
                fmt_dur(ms, sizeof ms, res->wall_ns);
                snprintf(fail, sizeof fail, "expect at column %d does not hold: the makespan was %s", x->pos.col, ms);
            }
        } else if (x->kind == SIM_X_ORDER) {
            for (uint32_t k = 0; k + 1 < x->nitems && !fail[0]; k++) {
                const sim_order_item *a = &x->items[k], *b = &x->items[k + 1];
                uint64_t ta = order_time(r, a), tb = order_time(r, b);
                if (!ta || !tb)
                    snprintf(fail, sizeof fail, "expect order: '%s' never %s", order_name(prog, !ta ? a : b),
                             (!ta ? a : b)->kind == SIM_ORD_MARK ? "happened" : (!ta ? a : b)->kind == SIM_ORD_TASK
                             ? "completed" : "finished");
                else if (ta >= tb) {
                    char gap[32];
                    fmt_dur(gap, sizeof gap, ta - tb);
                    snprintf(fail, sizeof fail, "expect order: '%s' came %s after '%s'", order_name(prog, a), gap,
                             order_name(prog, b));
                }
            }
        }
        if (fail[0]) {
            res->expect_failed++;
            rep(res->expect_report, sizeof res->expect_report, "%s:%d:%d: %s (run ended: %s)\n", prog->path,
                x->pos.line, x->pos.col, fail, trc_run_end_name(end));
        }
    }
}

int sim_run(sim_result *res, const sim_program *prog, const sim_desc *desc, diag *d) {
    memset(res, 0, sizeof *res);
    if (!desc->out_path && !desc->writer) return diag_set(d, ERR_USAGE, "no output path for the recording");
    const char *backend = desc->backend ? desc->backend : prog->backend;
    if (strcmp(backend, "threads"))
        return diag_set(d, ERR_UNSUPPORTED, "backend '%s' is not available in this version of weft (use threads)", backend);
    if (sim_program_computes(prog)) sim_calibrate();

    rt *r = xcalloc(1, sizeof *r);
    r->prog = prog;
    r->desc = desc;
    r->nunits = prog->nunits;
    pthread_mutex_init(&r->go_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->go_cv, &ca);
    pthread_mutex_init(&r->fmu, NULL);
    pthread_cond_init(&r->fcv, &ca);
    pthread_mutex_init(&r->exit_mu, NULL);
    pthread_cond_init(&r->exit_cv, &ca);
    pthread_mutex_init(&r->str_mu, NULL);
    r->task_done_t = xcalloc(prog->ntasks + 1, sizeof *r->task_done_t);
    r->mark_t = xcalloc(prog->nstrings + 1, sizeof *r->mark_t);
    r->task_str = xcalloc(prog->ntasks + 1, sizeof *r->task_str);
    for (uint32_t i = 0; i < prog->ntasks; i++) r->task_str[i] = intern(r, prog->tasks[i].name);

    /* objects */
    r->objs = xcalloc(prog->nobjects ? prog->nobjects : 1, sizeof *r->objs);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        o->decl = &prog->objects[i];
        o->id = i + 1;
        if (o->decl->kind == SIM_OBJ_LOCK) {
            pthread_mutex_init(&o->lock.mu, &ma);
            o->lock.owner = -1;
            continue;
        }
        pthread_mutex_init(&o->mu, NULL);
        pthread_cond_init(&o->cv, &ca);
        pthread_cond_init(&o->cv2, &ca);
        pthread_cond_init(&o->cv3, &ca);
        o->owner = -1;
        switch (o->decl->kind) {
        case SIM_OBJ_QUEUE:
            o->queue.cap = o->decl->cap_value;
            o->queue.items = xcalloc((size_t)o->queue.cap, sizeof *o->queue.items);
            queue_init_kind(o);
            break;
        case SIM_OBJ_SEMAPHORE: o->value = o->decl->cap_value; break;
        case SIM_OBJ_COUNTER: o->counter = o->decl->cap_value; break;
        default: break;
        }
    }
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);

    /* the run's tables */
    arena tmp = { 0 };
    trc_run run = { 0 };
    char machine[512];
    machine_info(machine, sizeof machine, &run.cores);
    run.scenario = prog->title;
    run.source_path = prog->path;
    run.source_text = prog->text;
    run.source_hash = fnv1a64(prog->text, strlen(prog->text));
    run.backend = backend;
    run.seed = desc->seed;
    run.machine = machine;
    run.nparams = prog->nparams;
    run.params = arena_push(&tmp, sizeof *run.params * (prog->nparams + 1));
    for (uint32_t i = 0; i < prog->nparams; i++)
        run.params[i] = (trc_param){ prog->params[i].name, prog->params[i].value, prog->params[i].type == SIM_T_DUR };
    run.nunits = r->nunits;
    run.units = arena_push(&tmp, sizeof *run.units * (r->nunits + 1));
    /* each unit's step counter sits on its own cache line: rt_unit is 64-byte aligned */
    size_t ubytes = ((r->nunits + 1) * sizeof *r->units + 63) & ~(size_t)63;
    r->units = aligned_alloc(64, ubytes);
    if (!r->units) BUG("out of memory for %u units", r->nunits);
    memset(r->units, 0, ubytes);
    size_t nlocals = prog->nlocals, nslots = prog->nfuts;
    for (uint32_t ui = 0; ui < r->nunits; ui++) {
        rt_unit *u = &r->units[ui];
        u->r = r;
        u->index = ui;
        u->pool = UINT32_MAX;
        u->rng = desc->seed ^ (0x9E3779B97F4A7C15ull * (ui + 1));   /* same seed, same decisions */
        u->locals = xcalloc(nlocals + 1, sizeof *u->locals);
        u->slots = xcalloc(nslots + 1, sizeof *u->slots);
    }
    for (uint32_t a = 0; a < prog->nactors; a++) {
        const sim_actor *ac = &prog->actors[a];
        for (int64_t k = 0; k < ac->count_value; k++) {
            uint32_t ui = ac->unit0 + (uint32_t)k;
            rt_unit *u = &r->units[ui];
            u->actor = ac;
            u->index_in_actor = k;
            u->autostart = !ac->spawned;
            u->daemon = ac->daemon;
            u->state = u->autostart ? US_RUNNING : US_NEW;
            snprintf(u->name, sizeof u->name, "%s.%lld", ac->name, (long long)k);
            run.units[ui] = (trc_unit){ .id = ui, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX,
                                        .pid = (int32_t)getpid(), .name = u->name, .group = ac->name };
        }
    }
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        const sim_object *o = &prog->objects[i];
        if (o->kind != SIM_OBJ_POOL) continue;
        for (int64_t k = 0; k < o->cap_value; k++) {
            uint32_t ui = o->unit0 + (uint32_t)k;
            rt_unit *u = &r->units[ui];
            u->pool = i;
            u->index_in_actor = k;
            u->state = US_NEW;
            snprintf(u->name, sizeof u->name, "%s.%lld", o->name, (long long)k);
            run.units[ui] = (trc_unit){ .id = ui, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX,
                                        .pid = (int32_t)getpid(), .name = u->name, .group = o->name };
        }
    }
    run.nobjects = prog->nobjects;
    run.objects = arena_push(&tmp, sizeof *run.objects * (prog->nobjects + 1));
    for (uint32_t i = 0; i < prog->nobjects; i++)
        run.objects[i] = (trc_object){ .id = i + 1, .kind = (uint32_t)prog->objects[i].kind,   /* same numbers */
                                       .name = prog->objects[i].name, .capacity = prog->objects[i].cap_value,
                                       .related = prog->objects[i].kind == SIM_OBJ_CONDITION ? prog->objects[i].lock + 1 : 0 };
    for (uint32_t i = 0; i < prog->nobjects; i++) run.objects[i].subkind = prog->objects[i].subkind;   /* queues */

    trc_writer *w = desc->writer;
    trc_recorder *rec = NULL;
    int rc = w ? 0 : trc_writer_open(&w, desc->out_path, d);
    if (rc) goto out;
    trc_recorder_desc rcd = sim_record_desc(prog, desc);
    rcd.writer = w;
    rc = trc_recorder_create(&rec, &rcd, d);
    if (rc) goto out;
    r->rec = rec;
    for (uint32_t i = 0; i < r->nunits; i++) {
        r->units[i].ring = trc_recorder_ring(rec, i);
        if (!r->units[i].ring) { rc = diag_set(d, ERR_NOMEM, "cannot allocate the recorder buffer of %s", r->units[i].name); goto out; }
    }

    /* threads: created first, released together */
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, 256 * 1024);
    for (uint32_t i = 0; i < r->nunits; i++) {
        int e = pthread_create(&r->units[i].thread, &ta, unit_main, &r->units[i]);
        if (e) {
            atomic_store(&r->abort, 1);
            pthread_mutex_lock(&r->go_mu);
            pthread_cond_broadcast(&r->go_cv);
            pthread_mutex_unlock(&r->go_mu);
            for (uint32_t k = 0; k < i; k++) pthread_join(r->units[k].thread, NULL);
            pthread_attr_destroy(&ta);
            rc = diag_set(d, ERR_LIMIT, "cannot create thread %u of %u (%s): %s", i + 1, r->nunits, r->units[i].name,
                          strerror(e));
            goto out;
        }
    }
    pthread_attr_destroy(&ta);
    /* every thread is ready: now the run begins */
    pthread_mutex_lock(&r->go_mu);
    while (r->ready < r->nunits) pthread_cond_wait(&r->go_cv, &r->go_mu);
    pthread_mutex_unlock(&r->go_mu);
    for (uint32_t i = 0; i < r->nunits; i++) run.units[i].tid = r->units[i].tid;
    run.t_start = clk_mono_ns();
    rc = trc_writer_run_begin(w, &run, d);
    if (rc >= 0) {
        rc = 0;
        for (uint32_t i = 0; i < prog->nstrings && !rc; i++) rc = trc_writer_string(w, i, prog->strings[i], d);
    }
    if (!rc) rc = trc_recorder_start(rec, d);
    if (rc) {
        atomic_store(&r->abort, 1);
        pthread_mutex_lock(&r->go_mu);
        pthread_cond_broadcast(&r->go_cv);
        pthread_mutex_unlock(&r->go_mu);
        for (uint32_t i = 0; i < r->nunits; i++) pthread_join(r->units[i].thread, NULL);
        goto out;
    }
    uint64_t t0 = run.t_start;
    pthread_mutex_lock(&r->go_mu);
    r->go = true;
    pthread_cond_broadcast(&r->go_cv);
    pthread_mutex_unlock(&r->go_mu);

    uint32_t end = r->nunits ? watch(r, t0, res->report, sizeof res->report) : TRC_END_OK;
    for (uint32_t i = 0; i < r->nunits; i++) pthread_join(r->units[i].thread, NULL);
    uint64_t t_end = clk_mono_ns();
    res->wall_ns = t_end - t0;
    res->end_reason = end;

    rc = trc_recorder_stop(rec, d);
    res->lost = trc_recorder_lost(rec);
    res->events = trc_recorder_drained(rec);
    res->discarded = trc_recorder_discarded(rec);
    trc_recorder_flushes(rec, &res->flushes, &res->flush_ns);
    for (size_t i = 0; i < r->nstrs && !rc; i++) rc = trc_writer_string(w, prog->nstrings + (uint32_t)i, r->strs[i], d);
    if (!rc) rc = trc_writer_run_end(w, t_end, end, res->report, d);
    check_expectations(res, prog, r, end);

out:
    if (rec) trc_recorder_free(rec);
    if (w && !desc->writer) {
        diag cd;
        int crc = trc_writer_close(w, &cd);
        if (!rc && crc) { rc = crc; if (d) *d = cd; }
    }
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind == SIM_OBJ_LOCK) {
            if (atomic_load(&o->lock.owner) < 0) pthread_mutex_destroy(&o->lock.mu);
        } else {
            pthread_mutex_destroy(&o->mu);
            pthread_cond_destroy(&o->cv);
            pthread_cond_destroy(&o->cv2);
            pthread_cond_destroy(&o->cv3);
            free(o->queue.items);
            free(o->queue.prio);
            free(o->readers);
            free(o->waiters);
        }
    }
    pthread_mutex_destroy(&r->go_mu);
    pthread_cond_destroy(&r->go_cv);
    pthread_mutex_destroy(&r->fmu);
    pthread_cond_destroy(&r->fcv);
    pthread_mutex_destroy(&r->exit_mu);
    pthread_cond_destroy(&r->exit_cv);
    pthread_mutex_destroy(&r->str_mu);
    for (size_t i = 0; i < r->nfuts; i++) { free(r->futs[i]->cbs); free(r->futs[i]); }
    free(r->futs);
    for (size_t i = 0; i < r->nstrs; i++) free(r->strs[i]);
    free(r->strs);
    free(r->slots);
    for (uint32_t i = 0; i < r->nunits; i++) { free(r->units[i].locals); free(r->units[i].slots); free(r->units[i].mine); }
    free((void *)r->task_done_t);
    free((void *)r->mark_t);
    free(r->task_str);
    free(r->objs);
    free(r->units);
    free(r);
    arena_release(&tmp);
    return rc;
}

/* ---- expectations across the runs of a sweep ---------------------------- */

typedef struct sweep_ctx { uint32_t param; const int64_t *values; const uint64_t *makespans; uint32_t n; } sweep_ctx;

static bool sweep_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    const sweep_ctx *c = user;
    if (param == UINT32_MAX || param != c->param) return false;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->values[i] == value) { *out = (int64_t)c->makespans[i]; return true; }
    return false;
}

uint32_t sim_check_sweep(const sim_program *prog, uint32_t param, const int64_t *values, const uint64_t *makespans,
                         uint32_t n, char *report, size_t cap) {
    sweep_ctx c = { param, values, makespans, n };
    uint32_t failed = 0;
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->kind != SIM_X_RELATION || !x->across_runs) continue;
        sim_eval_ctx ctx = { .makespan = sweep_makespan, .user = &c };
        int64_t v = 0;
        diag ed;
        char fail[512] = "";
        if (sim_eval(x->value, prog, &ctx, &v, &ed)) snprintf(fail, sizeof fail, "expect: %.400s", ed.msg);
        else if (!v) {
            size_t l = (size_t)snprintf(fail, sizeof fail, "expect does not hold: the makespans were");
            for (uint32_t k = 0; k < n && l < sizeof fail; k++) {
                char ms[32];
                fmt_dur(ms, sizeof ms, makespans[k]);
                l += (size_t)snprintf(fail + l, sizeof fail - l, "%s %s=%lld: %s", k ? "," : "", prog->params[param].name,
                                      (long long)values[k], ms);
            }
        }
        if (fail[0]) {
            failed++;
            rep(report, cap, "%s:%d:%d: %s\n", prog->path, x->pos.line, x->pos.col, fail);
        }
    }
    return failed;
}
