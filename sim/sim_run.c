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

enum { US_RUNNING = 0, US_COMPUTE, US_SLEEP, US_BLOCKED, US_DONE };

typedef struct rt_unit rt_unit;
typedef struct rt rt;

typedef struct rt_lock {
    pthread_mutex_t mu;
    _Atomic int64_t owner;           /* unit index, -1 = free */
} rt_lock;

typedef struct rt_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_full, not_empty;
    uint64_t *items;                 /* ring of item ids */
    int64_t cap, head, count;
    uint64_t next_item;
} rt_queue;

typedef struct rt_obj {
    const sim_object *decl;
    uint32_t id;                     /* trc object id (1-based) */
    rt_lock lock;
    rt_queue queue;
} rt_obj;

struct rt_unit {
    rt *r;
    uint32_t index;
    const sim_actor *actor;
    char name[96];
    trc_ring *ring;
    pthread_t thread;
    bool started;
    _Atomic int state;               /* US_* */
    _Atomic uint32_t wait_obj;       /* object index + 1 while blocked */
    _Atomic int wait_op;
    _Atomic uint64_t wait_since;     /* mono ns */
    int tid;
};

struct rt {
    const sim_program *prog;
    const sim_desc *desc;
    rt_obj *objs;
    rt_unit *units;
    uint32_t nunits;
    _Atomic int abort;
    _Atomic uint64_t progress;       /* completed steps, for stall detection */
    pthread_mutex_t go_mu;
    pthread_cond_t go_cv;            /* start signal, and abortable sleeps */
    bool go;
    uint32_t ready;                  /* threads waiting for go */
    _Atomic int error_set;
    char error[512];                 /* a runtime misuse (unlock not held) */
};

static void deadline_after(struct timespec *ts, uint64_t ns, clockid_t clk) {
    clock_gettime(clk, ts);
    uint64_t t = (uint64_t)ts->tv_nsec + ns;
    ts->tv_sec += (time_t)(t / 1000000000ull);
    ts->tv_nsec = (long)(t % 1000000000ull);
}

static bool aborted(rt *r) { return atomic_load_explicit(&r->abort, memory_order_relaxed) != 0; }

static void set_state(rt_unit *u, int st) { atomic_store_explicit(&u->state, st, memory_order_release); }

static void begin_wait(rt_unit *u, uint32_t oi, int op) {
    atomic_store_explicit(&u->wait_obj, oi + 1, memory_order_relaxed);
    atomic_store_explicit(&u->wait_op, op, memory_order_relaxed);
    atomic_store_explicit(&u->wait_since, clk_mono_ns(), memory_order_relaxed);
    set_state(u, US_BLOCKED);
    trc_emit(u->ring, TRC_EV_WAIT_BEGIN, u->r->objs[oi].id, (uint16_t)op, 0, 0);
}

static void end_wait(rt_unit *u, uint32_t oi, int outcome) {
    trc_emit(u->ring, TRC_EV_WAIT_END, u->r->objs[oi].id, (uint16_t)outcome, 0, 0);
    set_state(u, US_RUNNING);
    atomic_store_explicit(&u->wait_obj, 0, memory_order_relaxed);
}

static void runtime_error(rt *r, rt_unit *u, const sim_stmt *s, const char *msg) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&r->error_set, &expected, 1))
        snprintf(r->error, sizeof r->error, "%s:%d:%d: %s (in %s)", r->prog->path, s->pos.line, s->pos.col, msg, u->name);
    atomic_store(&r->abort, 1);
}

/* ---- steps -------------------------------------------------------------- */

static int do_lock(rt_unit *u, uint32_t oi) {
    rt *r = u->r;
    rt_lock *l = &r->objs[oi].lock;
    int rc = pthread_mutex_trylock(&l->mu);
    if (rc != 0) {
        begin_wait(u, oi, TRC_OP_LOCK);
        for (;;) {
            if (aborted(r)) { end_wait(u, oi, TRC_OUT_ABORTED); return -1; }
            struct timespec ts;
            deadline_after(&ts, WAIT_SLICE_NS, CLOCK_REALTIME);
            if (atomic_load_explicit(&l->owner, memory_order_relaxed) == (int64_t)u->index) {
                /* re-acquiring a lock we hold: a self-deadlock, shown as a wait that never ends */
                struct timespec sl = { 0, (long)WAIT_SLICE_NS };
                nanosleep(&sl, NULL);
                continue;
            }
            rc = pthread_mutex_timedlock(&l->mu, &ts);
            if (rc == 0) break;
            if (rc != ETIMEDOUT && rc != EDEADLK) BUG("pthread_mutex_timedlock: %s", strerror(rc));
        }
        atomic_store_explicit(&l->owner, u->index, memory_order_release);
        end_wait(u, oi, TRC_OUT_OK);
    } else {
        atomic_store_explicit(&l->owner, u->index, memory_order_release);
    }
    trc_emit(u->ring, TRC_EV_ACQUIRE, r->objs[oi].id, 0, 1, 0);
    return 0;
}

static int do_unlock(rt_unit *u, uint32_t oi, const sim_stmt *s) {
    rt *r = u->r;
    rt_lock *l = &r->objs[oi].lock;
    if (atomic_load_explicit(&l->owner, memory_order_acquire) != (int64_t)u->index) {
        trc_emit(u->ring, TRC_EV_ERROR, r->objs[oi].id, 0, 0, 0);
        char msg[256];
        snprintf(msg, sizeof msg, "unlock of lock '%s', which this unit does not hold", r->objs[oi].decl->name);
        runtime_error(r, u, s, msg);
        return -1;
    }
    trc_emit(u->ring, TRC_EV_RELEASE, r->objs[oi].id, 0, 0, 0);
    atomic_store_explicit(&l->owner, -1, memory_order_release);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static int do_put(rt_unit *u, uint32_t oi) {
    rt *r = u->r;
    rt_queue *q = &r->objs[oi].queue;
    pthread_mutex_lock(&q->mu);
    if (q->count == q->cap) {
        begin_wait(u, oi, TRC_OP_PUT);
        while (q->count == q->cap) {
            if (aborted(r)) {
                pthread_mutex_unlock(&q->mu);
                end_wait(u, oi, TRC_OUT_ABORTED);
                return -1;
            }
            struct timespec ts;
            deadline_after(&ts, WAIT_SLICE_NS, CLOCK_MONOTONIC);
            pthread_cond_timedwait(&q->not_full, &q->mu, &ts);
        }
        end_wait(u, oi, TRC_OUT_OK);
    }
    uint64_t item = ++q->next_item;
    q->items[(q->head + q->count) % q->cap] = item;
    q->count++;
    trc_emit(u->ring, TRC_EV_PUT, r->objs[oi].id, 0, item, (uint32_t)q->count);
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

static int do_get(rt_unit *u, uint32_t oi) {
    rt *r = u->r;
    rt_queue *q = &r->objs[oi].queue;
    pthread_mutex_lock(&q->mu);
    if (q->count == 0) {
        begin_wait(u, oi, TRC_OP_GET);
        while (q->count == 0) {
            if (aborted(r)) {
                pthread_mutex_unlock(&q->mu);
                end_wait(u, oi, TRC_OUT_ABORTED);
                return -1;
            }
            struct timespec ts;
            deadline_after(&ts, WAIT_SLICE_NS, CLOCK_MONOTONIC);
            pthread_cond_timedwait(&q->not_empty, &q->mu, &ts);
        }
        end_wait(u, oi, TRC_OUT_OK);
    }
    uint64_t item = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    trc_emit(u->ring, TRC_EV_GET, r->objs[oi].id, 0, item, (uint32_t)q->count);
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

static int do_sleep(rt_unit *u, uint64_t ns) {
    rt *r = u->r;
    set_state(u, US_SLEEP);
    trc_emit(u->ring, TRC_EV_SLEEP_BEGIN, 0, 0, ns, 0);
    struct timespec ts;
    deadline_after(&ts, ns, CLOCK_MONOTONIC);
    int rc = 0;
    pthread_mutex_lock(&r->go_mu);
    while (!aborted(r)) {
        rc = pthread_cond_timedwait(&r->go_cv, &r->go_mu, &ts);
        if (rc == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&r->go_mu);
    trc_emit(u->ring, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    set_state(u, US_RUNNING);
    return aborted(r) ? -1 : 0;
}

static int exec_block(rt_unit *u, const sim_stmt *s) {
    rt *r = u->r;
    for (; s; s = s->next) {
        if (aborted(r)) return -1;
        int rc = 0;
        switch (s->kind) {
        case SIM_S_COMPUTE: {
            uint64_t ns = (uint64_t)s->expr->value;
            set_state(u, US_COMPUTE);
            trc_emit(u->ring, TRC_EV_COMPUTE_BEGIN, 0, 0, ns, 0);
            uint64_t burnt = sim_burn(ns, &r->abort);
            trc_emit(u->ring, TRC_EV_COMPUTE_END, 0, 0, burnt, 0);
            set_state(u, US_RUNNING);
            break;
        }
        case SIM_S_SLEEP: rc = do_sleep(u, (uint64_t)s->expr->value); break;
        case SIM_S_LOCK: rc = do_lock(u, s->obj); break;
        case SIM_S_UNLOCK: rc = do_unlock(u, s->obj, s); break;
        case SIM_S_LOCK_BLOCK:
            rc = do_lock(u, s->obj);
            if (!rc) rc = exec_block(u, s->body);
            if (!rc) rc = do_unlock(u, s->obj, s);
            break;
        case SIM_S_PUT: rc = do_put(u, s->obj); break;
        case SIM_S_GET: rc = do_get(u, s->obj); break;
        case SIM_S_REPEAT:
            for (int64_t i = 0; i < s->expr->value && !rc; i++) rc = exec_block(u, s->body);
            break;
        case SIM_S_MARK: trc_emit(u->ring, TRC_EV_MARK, 0, 0, s->text_id, 0); break;
        }
        if (rc) return rc;
        atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
    }
    return 0;
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
    while (!r->go && !aborted(r)) pthread_cond_wait(&r->go_cv, &r->go_mu);
    pthread_mutex_unlock(&r->go_mu);
    if (aborted(r)) { set_state(u, US_DONE); return NULL; }
    trc_emit(u->ring, TRC_EV_UNIT_START, 0, 0, 0, 0);
    int rc = exec_block(u, u->actor->body);
    trc_emit(u->ring, TRC_EV_UNIT_EXIT, 0, rc ? TRC_EXIT_ABORTED : TRC_EXIT_DONE, 0, 0);
    set_state(u, US_DONE);
    atomic_fetch_add_explicit(&r->progress, 1, memory_order_relaxed);
    return NULL;
}

/* ---- watchdog ------------------------------------------------------------ */

static const char *op_verb(int op) {
    switch (op) {
    case TRC_OP_LOCK: return "to acquire lock";
    case TRC_OP_PUT: return "to put into queue";
    case TRC_OP_GET: return "to get from queue";
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

/* Describes why unit i waits, in one line. */
static void describe_wait(rt *r, uint32_t i, uint64_t t0, char *out, size_t cap) {
    rt_unit *u = &r->units[i];
    uint32_t wo = atomic_load(&u->wait_obj);
    if (!wo) return;
    rt_obj *o = &r->objs[wo - 1];
    int op = atomic_load(&u->wait_op);
    uint64_t since = atomic_load(&u->wait_since);
    char when[32];
    fmt_dur(when, sizeof when, since > t0 ? since - t0 : 0);
    rep(out, cap, "  %s waits %s '%s' since %s", u->name, op_verb(op), o->decl->name, when);
    if (o->decl->kind == SIM_OBJ_LOCK) {
        int64_t ow = atomic_load(&o->lock.owner);
        if (ow == (int64_t)i) rep(out, cap, ", which it holds itself (a lock is not re-entrant)");
        else if (ow >= 0) {
            rt_unit *w = &r->units[ow];
            rep(out, cap, ", held by %s%s", w->name, atomic_load(&w->state) == US_DONE ? ", which has exited" : "");
        }
    } else {
        pthread_mutex_lock(&o->queue.mu);
        int64_t c = o->queue.count, cp = o->queue.cap;
        pthread_mutex_unlock(&o->queue.mu);
        rep(out, cap, op == TRC_OP_GET ? " (empty: no live unit will put)" : " (full: %lld of %lld, no live unit will get)",
            (long long)c, (long long)cp);
    }
    rep(out, cap, "\n");
}

/* Finds a lock cycle through unit `start`; fills chain[] and returns its length, or 0. */
static uint32_t find_cycle(rt *r, uint32_t start, uint32_t *chain) {
    uint32_t n = 0, cur = start;
    for (uint32_t steps = 0; steps <= r->nunits; steps++) {
        rt_unit *u = &r->units[cur];
        if (atomic_load(&u->state) != US_BLOCKED) return 0;
        uint32_t wo = atomic_load(&u->wait_obj);
        if (!wo || r->objs[wo - 1].decl->kind != SIM_OBJ_LOCK) return 0;
        int64_t ow = atomic_load(&r->objs[wo - 1].lock.owner);
        if (ow < 0) return 0;
        chain[n++] = cur;
        if ((uint32_t)ow == start) return n;
        for (uint32_t k = 0; k < n; k++)
            if (chain[k] == (uint32_t)ow) return 0;   /* a cycle not through start */
        cur = (uint32_t)ow;
    }
    return 0;
}

static uint32_t watch(rt *r, uint64_t t0, char *report, size_t cap) {
    uint64_t timeout = r->desc->timeout_ns ? r->desc->timeout_ns : 60ull * 1000000000ull;
    uint64_t stall = r->desc->stall_ns ? r->desc->stall_ns : 300ull * 1000000ull;
    uint64_t last_progress = atomic_load(&r->progress), last_change = clk_mono_ns();
    uint32_t *chain = xcalloc(r->nunits + 1, sizeof *chain);
    uint64_t cycle_sig = 0, cycle_seen_at = 0;
    uint32_t verdict = TRC_END_OK;
    for (;;) {
        struct timespec sl = { 0, (long)POLL_NS };
        nanosleep(&sl, NULL);
        uint64_t now = clk_mono_ns();
        uint32_t live = 0, blocked = 0;
        for (uint32_t i = 0; i < r->nunits; i++) {
            int st = atomic_load(&r->units[i].state);
            if (st != US_DONE) live++;
            if (st == US_BLOCKED) blocked++;
        }
        if (!live) break;
        if (atomic_load(&r->error_set)) { verdict = TRC_END_ERROR; snprintf(report, cap, "%s\n", r->error); break; }
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
        uint64_t p = atomic_load(&r->progress);
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
                snprintf(report, cap, "deadlock: a cycle of %u unit(s) waiting for each other's locks\n", clen);
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
    if (verdict != TRC_END_OK) {
        atomic_store(&r->abort, 1);
        pthread_mutex_lock(&r->go_mu);
        pthread_cond_broadcast(&r->go_cv);
        pthread_mutex_unlock(&r->go_mu);
    }
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

static void check_expectations(sim_result *res, const sim_program *prog, uint32_t end) {
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        const char *fail = NULL;
        if (x->kind == SIM_X_NO_DEADLOCK && (end == TRC_END_DEADLOCK || end == TRC_END_STUCK))
            fail = end == TRC_END_DEADLOCK ? "expect no_deadlock: the run deadlocked" : "expect no_deadlock: units were stuck forever";
        else if (x->kind == SIM_X_ALL_DONE && end != TRC_END_OK)
            fail = "expect all_done: not every unit finished";
        else if (x->kind == SIM_X_DEADLOCK && end != TRC_END_DEADLOCK)
            fail = "expect deadlock: the run did not deadlock";
        if (fail) {
            res->expect_failed++;
            rep(res->expect_report, sizeof res->expect_report, "%s:%d:%d: %s (run ended: %s)\n", prog->path,
                x->pos.line, x->pos.col, fail, trc_run_end_name(end));
        }
    }
}

int sim_run(sim_result *res, const sim_program *prog, const sim_desc *desc, diag *d) {
    memset(res, 0, sizeof *res);
    if (!desc->out_path) return diag_set(d, ERR_USAGE, "no output path for the recording");
    const char *backend = desc->backend ? desc->backend : prog->backend;
    if (strcmp(backend, "threads"))
        return diag_set(d, ERR_UNSUPPORTED, "backend '%s' is not available in this version of weft (use threads)", backend);
    sim_calibrate();

    rt *r = xcalloc(1, sizeof *r);
    r->prog = prog;
    r->desc = desc;
    r->nunits = prog->nunits;
    pthread_mutex_init(&r->go_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->go_cv, &ca);

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
        } else {
            pthread_mutex_init(&o->queue.mu, NULL);
            pthread_cond_init(&o->queue.not_full, &ca);
            pthread_cond_init(&o->queue.not_empty, &ca);
            o->queue.cap = o->decl->cap_value;
            o->queue.items = xcalloc((size_t)o->queue.cap, sizeof *o->queue.items);
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
    r->units = xcalloc(r->nunits + 1, sizeof *r->units);
    uint32_t ui = 0;
    for (uint32_t a = 0; a < prog->nactors; a++) {
        for (int64_t k = 0; k < prog->actors[a].count_value; k++, ui++) {
            rt_unit *u = &r->units[ui];
            u->r = r;
            u->index = ui;
            u->actor = &prog->actors[a];
            snprintf(u->name, sizeof u->name, "%s.%lld", prog->actors[a].name, (long long)k);
            run.units[ui] = (trc_unit){ .id = ui, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX,
                                        .pid = (int32_t)getpid(), .name = u->name, .group = prog->actors[a].name };
        }
    }
    run.nobjects = prog->nobjects;
    run.objects = arena_push(&tmp, sizeof *run.objects * (prog->nobjects + 1));
    for (uint32_t i = 0; i < prog->nobjects; i++)
        run.objects[i] = (trc_object){ .id = i + 1, .kind = prog->objects[i].kind == SIM_OBJ_LOCK ? TRC_OBJ_LOCK : TRC_OBJ_QUEUE,
                                       .name = prog->objects[i].name, .capacity = prog->objects[i].cap_value };

    trc_writer *w = NULL;
    trc_recorder *rec = NULL;
    int rc = trc_writer_open(&w, desc->out_path, d);
    if (rc) goto out;
    rc = trc_recorder_create(&rec, &(trc_recorder_desc){ .writer = w, .ring_events = desc->ring_events,
                                                         .no_tsc = desc->no_tsc }, d);
    if (rc) goto out;
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
        r->units[i].started = true;
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
    if (!rc) rc = trc_writer_run_end(w, t_end, end, res->report, d);
    check_expectations(res, prog, end);

out:
    if (rec) trc_recorder_free(rec);
    if (w) {
        diag cd;
        int crc = trc_writer_close(w, &cd);
        if (!rc && crc) { rc = crc; if (d) *d = cd; }
    }
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind == SIM_OBJ_LOCK) {
            if (atomic_load(&o->lock.owner) < 0) pthread_mutex_destroy(&o->lock.mu);
        } else {
            pthread_mutex_destroy(&o->queue.mu);
            pthread_cond_destroy(&o->queue.not_full);
            pthread_cond_destroy(&o->queue.not_empty);
            free(o->queue.items);
        }
    }
    pthread_mutex_destroy(&r->go_mu);
    pthread_cond_destroy(&r->go_cv);
    free(r->objs);
    free(r->units);
    free(r);
    arena_release(&tmp);
    return rc;
}
