/* The coroutines platform: every actor instance is a task, a fiber of our
 * own context switch (sim_plat_fiber.h) run by an event loop
 * (sim_plat_coro_loop.c); an executor's workers are threads of their own; main
 * is the watchdog's thread. Waiting on a monitor parks a task (its loop runs
 * another one) or blocks a thread; a monitor's channel is one FIFO list of
 * waiters of either kind, and a wake reaches whichever it finds first.
 *
 *   monitor  a mutex, held only briefly (never across a switch: the runtime
 *            never holds one while it waits but in mon_wait), and per channel
 *            a list of waiters in the order they came
 *   wait     task: on the list, a deadline in its loop's heap, park; thread:
 *            on the list, its own condition variable (CLOCK_MONOTONIC)
 *   wake     unlinks the earliest waiters; a task on the waker's own loop is
 *            made ready at once, one of another loop goes through that loop's
 *            inbox; a thread is signalled
 *   compute  real CPU work on the unit's thread: for a task, the whole loop
 *            stops meanwhile (told to the runtime: hooks.blocked); with a
 *            virtual clock, the loop is busy until now + ns
 *   stall    a blocking sleep: the same without the CPU
 *   time     CLOCK_MONOTONIC, or the virtual clock
 *
 * Quiet: `active` counts the units that can run by themselves (started, not
 * ended, not waiting without a deadline). When it drops to 0, every unit
 * waits for a wake no one will send unless main does: main is told (its wait
 * returns) and the watchdog ends the run at once instead of waiting for a
 * stall to last.
 *
 * Under ThreadSanitizer a fiber holds a TSan context while it lives, and
 * there may be at most sim_fiber_running_limit() of them: a run may then have
 * that many tasks alive at once (less a margin), and one more is refused with
 * a clear error at its start.
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#include "sim/sim_plat_coro_internal.h"
#include "sim/sim.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TSAN_MARGIN 16

static co_plat *P(sim_plat *p) { return (co_plat *)p; }

uint64_t co_now(co_plat *p) { return p->virt ? atomic_load(&p->now) : clk_mono_ns(); }

/* ---- quiet ----------------------------------------------------------------------- */

/* Returns the new count. Leaving quiet bumps qgen. */
static int64_t active_add(co_plat *p, int64_t d) {
    int64_t n = atomic_fetch_add(&p->active, d) + d;
    if (d > 0 && n == d) atomic_fetch_add(&p->qgen, 1);
    if (n < 0) BUG("coroutines: %lld units active", (long long)n);
    return n;
}

void co_active_add(co_plat *p, int64_t d) { active_add(p, d); }
bool co_active_sub_one(co_plat *p) { return active_add(p, -1) == 0; }

/* Real time: main's wait returns (spuriously) once the platform is quiet. */
static void poke_main(co_plat *p) {
    if (p->virt) return;
    atomic_store(&p->poke, 1);                 /* seq_cst: before the monitor is read */
    sim_mon *m = atomic_load(&p->main.pub);    /* the monitor main waits on, if any */
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    pthread_cond_signal(&p->main.cv);
    pthread_mutex_unlock(&m->mu);
}

static uint64_t co_quiet(sim_plat *pl) {
    co_plat *p = P(pl);
    uint64_t g1 = atomic_load(&p->qgen);
    int64_t a = atomic_load(&p->active);
    uint64_t g2 = atomic_load(&p->qgen);
    return a == 0 && g1 == g2 ? g1 + 1 : 0;
}

/* ---- the platform's life ------------------------------------------------------------ */

void co_poke_main(co_plat *p) { poke_main(p); }

static void co_destroy(sim_plat *pl);

static int co_create(sim_plat **out, const sim_plat_desc *desc, diag *d) {
    co_arena *shm = NULL;
    if (desc->process_units && !desc->virtual_clock &&
        !(shm = co_arena_create(desc->shared_bytes + ((size_t)256 << 20), d)))
        return -ERR_RUNTIME;
    co_plat *p = shm ? co_arena_alloc(shm, sizeof *p) : xcalloc(1, sizeof *p);
    p->arena = shm;
    p->base.ops = &sim_plat_coro;
    p->virt = desc->virtual_clock;
    if (desc->hooks) p->hooks = *desc->hooks;
    p->stack = desc->task_stack ? desc->task_stack : SIM_PLAT_TASK_STACK;
    if (p->stack < SIM_FIBER_MIN_STACK || p->stack > SIM_FIBER_MAX_STACK) {
        if (shm) co_arena_destroy(shm); else free(p);
        return diag_set(d, ERR_LIMIT, "a task's stack must be %zu to %zu bytes, not %zu", SIM_FIBER_MIN_STACK,
                        SIM_FIBER_MAX_STACK, desc->task_stack);
    }
    size_t lim = sim_fiber_running_limit();
    p->max_tasks = lim ? (uint32_t)(lim > TSAN_MARGIN ? lim - TSAN_MARGIN : 1) : 0;
    pthread_condattr_init(&p->ca);
    pthread_condattr_setclock(&p->ca, CLOCK_MONOTONIC);
    pthread_mutexattr_init(&p->ma);
    if (shm) {   /* process units wait and wake on them too */
        pthread_condattr_setpshared(&p->ca, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setpshared(&p->ma, PTHREAD_PROCESS_SHARED);
    }
    pthread_mutex_init(&p->jmu, &p->ma);   /* a loop in another process ends tasks too */
    pthread_cond_init(&p->jcv, &p->ca);
    p->main.plat = p;
    p->main.kind = CU_MAIN;
    p->main.thread = pthread_self();
    p->main.tid = (int32_t)gettid();
    p->main.pid = (int32_t)getpid();   /* weft's process: every unit's but a process unit's */
    p->main.heap_at = CO_NO_HEAP;
    p->main.wfd = -1;
    memcpy(p->main.name, "main", 5);
    pthread_cond_init(&p->main.cv, &p->ca);
    atomic_store(&p->now, CO_VIRT_START);
    atomic_store(&p->stamp, CO_VIRT_START);
    *out = &p->base;
    /* The stacks' address space is reserved for the units the run announced (at least 16; at
     * most the pool's default 256 MiB a reservation; more reservations when tasks outgrow it):
     * a run's virtual memory then grows by what its tasks' stacks take, not by a fixed 256 MiB,
     * and the memory per task is the truth (resident: the pages a task touched) */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = page + ((p->stack ? p->stack : SIM_FIBER_DEFAULT_STACK) + page - 1) / page * page;
    size_t units = desc->max_units > 16 ? desc->max_units : 16;
    size_t reserve = units > ((size_t)256 << 20) / span ? ((size_t)256 << 20) / span * span : units * span;
    if (sim_fiber_pool_create(&p->pool, &(sim_fiber_pool_desc){ .reserve = reserve })) {
        co_destroy(&p->base);
        return diag_set(d, ERR_NOMEM, "cannot reserve the stacks of the tasks");
    }
    uint32_t n = desc->loops ? desc->loops : 1;
    p->loops = xcalloc(n, sizeof *p->loops);
    p->cap_agents = n;
    for (uint32_t i = 0; i < n; i++) {
        co_loop *l = co_loop_new(p, i, false, d);
        if (!l) { co_destroy(&p->base); return -ERR_LIMIT; }
        p->loops[p->nloops++] = l;
        p->nagents = p->nloops;
        l->in_process = shm && desc->loop_process && desc->loop_process[i];
        if (p->virt || l->in_process) continue;   /* a loop in a process: forked with its first task */
        int rc = co_loop_thread_start(l, d);
        if (rc) { co_destroy(&p->base); return rc; }
    }
    if (!p->virt && desc->computes) sim_calibrate();   /* before any unit burns CPU */
    return 0;
}

static void co_destroy(sim_plat *pl) {
    co_plat *p = P(pl);
    for (uint32_t i = 0; i < p->nagents; i++) co_loop_close(p->loops[i]);
    for (uint32_t i = 0; i < p->nagents; i++) co_loop_free(p->loops[i]);
    free(p->loops);
    if (p->pool && sim_fiber_pool_destroy(p->pool)) BUG("coroutines: task stacks still in use at the end of the run");
    pthread_cond_destroy(&p->main.cv);
    pthread_cond_destroy(&p->jcv);
    pthread_mutex_destroy(&p->jmu);
    pthread_condattr_destroy(&p->ca);
    pthread_mutexattr_destroy(&p->ma);
    co_arena *shm = p->arena;
    if (shm) co_arena_destroy(shm);   /* p lives in it */
    else free(p);
}

/* ---- memory: the heap ------------------------------------------------------------------ */

static void *co_alloc(sim_plat *p, size_t n) {
    return co_mem_alloc(P(p), n);
}

static void *co_resize(sim_plat *p, void *q, size_t old_n, size_t n) {
    if (P(p)->arena) return co_arena_resize(P(p)->arena, q, old_n, n);
    char *nq = realloc(q, n ? n : 1);
    if (nq && n > old_n) memset(nq + old_n, 0, n - old_n);
    return nq;
}

static void co_release(sim_plat *p, void *q, size_t n) {
    (void)n;
    co_mem_free(P(p), q);
}

/* ---- units ----------------------------------------------------------------------------------- */

static sim_punit *co_main_unit(sim_plat *pl) { return &P(pl)->main; }

static void *thread_main(void *arg) {
    sim_punit *u = arg;
    char name[16];
    snprintf(name, sizeof name, "%.15s", u->name);
    pthread_setname_np(pthread_self(), name);
    atomic_store(&u->tid, (int32_t)gettid());
    u->entry(u->arg);
    active_add(u->plat, -1);
    atomic_store(&u->done, 1);
    if (!atomic_load(&u->plat->active)) poke_main(u->plat);
    return NULL;
}

void co_task_ended(co_loop *l, sim_punit *u) {
    co_plat *p = l->plat;
    atomic_fetch_sub(&p->live_tasks, 1);
    bool quiet = active_add(p, -1) == 0;
    if (p->virt) {
        atomic_store(&u->done, 1);
        if (p->main_join == u) p->main_woken = true;
        return;
    }
    pthread_mutex_lock(&p->jmu);
    atomic_store(&u->done, 1);
    pthread_cond_broadcast(&p->jcv);
    pthread_mutex_unlock(&p->jmu);
    if (quiet) poke_main(p);
}

static int co_unit_start(sim_plat *pl, sim_punit **out, const sim_unit_start *how, diag *d) {
    co_plat *p = P(pl);
    sim_punit *u = co_mem_alloc(p, sizeof *u);
    if (!u) return diag_set(d, ERR_NOMEM, "out of the run's shared memory for %s", how->name);
    u->plat = p;
    u->entry = how->entry;
    u->arg = how->arg;
    u->heap_at = CO_NO_HEAP;
    u->wfd = -1;
    size_t l = strnlen(how->name, sizeof u->name - 1);
    memcpy(u->name, how->name, l);
    u->kind = how->loop != SIM_UNIT_OWN_THREAD ? CU_TASK : how->kind == SIM_PU_PROCESS && p->arena ? CU_PROC : CU_THREAD;
    pthread_cond_init(&u->cv, &p->ca);
    *out = u;
    co_loop *lp = NULL;
    if (u->kind == CU_TASK) {
        if (how->loop >= p->nloops) BUG("coroutines: task %s on loop %u of %u", u->name, how->loop, p->nloops);
        lp = p->loops[how->loop];
    } else if (p->virt) {   /* a thread is an agent of its own: a loop with one unit */
        lp = co_loop_new(p, p->nagents, true, d);
        ARR_GROW(p->loops, p->nagents + 1, p->cap_agents);
        p->loops[p->nagents++] = lp;
    }
    if (lp && p->max_tasks && atomic_fetch_add(&p->live_tasks, 1) >= p->max_tasks) {
        atomic_fetch_sub(&p->live_tasks, 1);
        pthread_cond_destroy(&u->cv);
        co_mem_free(p, u);
        *out = NULL;
        return diag_set(d, ERR_LIMIT, "cannot start task %s: a ThreadSanitizer build runs at most %u tasks at once",
                        how->name, p->max_tasks);
    }
    if (lp && !p->max_tasks) atomic_fetch_add(&p->live_tasks, 1);
    active_add(p, 1);
    int rc = 0;
    if (u->kind == CU_PROC) {
        if (!(rc = co_proc_start(p, u, d))) return 0;
    } else if (!lp) {
        pthread_attr_t ta;
        pthread_attr_init(&ta);
        pthread_attr_setstacksize(&ta, 256 * 1024);
        int e = pthread_create(&u->thread, &ta, thread_main, u);
        pthread_attr_destroy(&ta);
        if (!e) { u->has_thread = true; return 0; }
        rc = diag_set(d, ERR_LIMIT, "cannot create the thread of %s: %s", how->name, strerror(e));
    } else if (lp->in_process && !atomic_load(&lp->pid) && (rc = co_loop_proc_start(lp, d))) {
        atomic_fetch_sub(&p->live_tasks, 1);
    } else {
        int frc = p->virt || co_on_loop(lp) ? co_task_create(lp, u) : co_task_create_remote(lp, u);
        if (!frc) return 0;
        atomic_fetch_sub(&p->live_tasks, 1);
        rc = diag_set(d, ERR_LIMIT, "cannot start task %s (a stack of %zu bytes): %s", how->name, p->stack,
                      sim_fiber_result_str(frc));
    }
    active_add(p, -1);
    pthread_cond_destroy(&u->cv);
    co_mem_free(p, u);
    *out = NULL;
    return rc;
}

static void co_unit_ids(sim_plat *p, const sim_punit *u, int32_t *pid, int32_t *tid) {
    *pid = u->kind == CU_PROC                          ? atomic_load(&u->pid)
           : u->loop && atomic_load(&u->loop->pid) ? atomic_load(&u->loop->pid)   /* its loop's process */
                                                    : atomic_load(&((const co_plat *)p)->main.pid);
    *tid = atomic_load(&u->tid);
    if (!*tid && u->loop) *tid = atomic_load(&u->loop->tid);
    if (!*tid) *tid = ((const co_plat *)p)->main.tid;
}

static void co_unit_join(sim_plat *pl, sim_punit *u) {
    co_plat *p = P(pl);
    if (!u) return;
    if (u->kind == CU_PROC) {
        co_proc_join(u);
    } else if (u->has_thread) {
        pthread_join(u->thread, NULL);
    } else if (p->virt) {
        while (!atomic_load(&u->done)) {
            p->main_join = u;
            p->main_woken = false;
            if (!co_vrun(p, 0) && !atomic_load(&u->done))
                BUG("coroutines: %s can never end, yet it was halted", u->name);
        }
        p->main_join = NULL;
        p->main_woken = false;
    } else {
        pthread_mutex_lock(&p->jmu);
        while (!atomic_load(&u->done)) pthread_cond_wait(&p->jcv, &p->jmu);
        pthread_mutex_unlock(&p->jmu);
    }
    pthread_cond_destroy(&u->cv);
    co_mem_free(p, u);
}

static bool co_unit_alive(sim_plat *p, const sim_punit *u) {
    (void)p;
    return u->kind != CU_PROC || co_proc_alive(u);
}

/* ---- monitors ---------------------------------------------------------------------------------- */

static sim_mon *co_mon_new(sim_plat *p, unsigned nchan) {
    if (nchan > SIM_MON_MAX_CHANNELS) return NULL;
    sim_mon *m = co_mem_alloc(P(p), sizeof *m + nchan * sizeof m->ch[0]);
    if (!m) return NULL;
    pthread_mutex_init(&m->mu, &P(p)->ma);
    m->nchan = nchan;
    return m;
}

static void co_mon_free(sim_plat *p, sim_mon *m) {
    pthread_mutex_destroy(&m->mu);
    co_mem_free(P(p), m);
}

static void co_mon_lock(sim_plat *p, sim_punit *self, sim_mon *m) {
    (void)p;
    (void)self;
    int e = pthread_mutex_lock(&m->mu);
    if (e) BUG("pthread_mutex_lock: %s", strerror(e));
}

static void co_mon_unlock(sim_plat *p, sim_punit *self, sim_mon *m) {
    (void)p;
    (void)self;
    int e = pthread_mutex_unlock(&m->mu);
    if (e) BUG("pthread_mutex_unlock: %s", strerror(e));
}

static void enlist(sim_punit *self, sim_mon *m, unsigned ch) {
    if (ch >= m->nchan) BUG("wait on channel %u of a monitor with %u", ch, m->nchan);
    self->wmon = m;
    self->wch = ch;
    self->wnext = NULL;
    self->wprev = m->ch[ch].tail;
    if (m->ch[ch].tail) m->ch[ch].tail->wnext = self; else m->ch[ch].head = self;
    m->ch[ch].tail = self;
}

void co_unlink(sim_punit *w) {
    sim_mon *m = w->wmon;
    if (!m) return;
    if (w->wprev) w->wprev->wnext = w->wnext; else m->ch[w->wch].head = w->wnext;
    if (w->wnext) w->wnext->wprev = w->wprev; else m->ch[w->wch].tail = w->wprev;
    w->wnext = w->wprev = NULL;
    w->wmon = NULL;
}

/* A unit on a loop (a task; with a virtual clock, any unit but main) waits: it parks. */
static int task_wait(co_plat *p, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline) {
    co_loop *l = self->loop;
    enlist(self, m, ch);
    self->wseq = atomic_fetch_add(&p->wseq, 1) + 1;
    bool quiet = false;
    if (deadline) {
        self->tmon = m;
        co_timer_add(l, self, deadline, self->wseq);
    } else {
        self->forever = true;
        quiet = active_add(p, -1) == 0;
    }
    self->tstate = CT_PARKED;
    pthread_mutex_unlock(&m->mu);
    if (quiet) poke_main(p);
    co_park(self);
    pthread_mutex_lock(&m->mu);
    if (self->heap_at != CO_NO_HEAP) co_timer_remove(l, self);
    return deadline && co_now(p) >= deadline;
}

/* A thread (or main) waits on its own condition variable. */
static int thread_wait(co_plat *p, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline) {
    enlist(self, m, ch);
    bool is_main = self == &p->main;
    if (!deadline && !is_main) {
        self->forever = true;
        if (active_add(p, -1) == 0) {
            pthread_mutex_unlock(&m->mu);
            poke_main(p);
            pthread_mutex_lock(&m->mu);
        }
    }
    if (is_main) atomic_store(&self->pub, m);   /* seq_cst: before the poke is read */
    struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ull), .tv_nsec = (long)(deadline % 1000000000ull) };
    while (self->wmon == m) {
        if (is_main && atomic_exchange(&p->poke, 0)) { co_unlink(self); break; }
        if (!deadline) {
            pthread_cond_wait(&self->cv, &m->mu);
        } else if (pthread_cond_timedwait(&self->cv, &m->mu, &ts) == ETIMEDOUT && self->wmon == m) {
            co_unlink(self);
            break;
        }
    }
    if (is_main) atomic_store(&self->pub, NULL);
    return deadline && co_now(p) >= deadline;
}

/* Virtual clock: main's wait runs the scheduler until main is woken, the deadline or quiet. */
static int main_vwait(co_plat *p, sim_mon *m, unsigned ch, uint64_t deadline) {
    sim_punit *self = &p->main;
    enlist(self, m, ch);
    p->main_woken = false;
    pthread_mutex_unlock(&m->mu);
    co_vrun(p, deadline);
    pthread_mutex_lock(&m->mu);
    co_unlink(self);   /* a deadline, or quiet: still on the channel */
    p->main_woken = false;
    return deadline && co_now(p) >= deadline;
}

static int co_mon_wait(sim_plat *pl, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline) {
    co_plat *p = P(pl);
    if (self->loop) return task_wait(p, self, m, ch, deadline);
    if (p->virt && self == &p->main) return main_vwait(p, m, ch, deadline);
    return thread_wait(p, self, m, ch, deadline);
}

static void wake_one(co_plat *p, sim_punit *w) {
    co_unlink(w);
    if (w->forever) {
        w->forever = false;
        active_add(p, 1);
    }
    if (!w->loop) {
        if (p->virt && w == &p->main) p->main_woken = true;
        else pthread_cond_signal(&w->cv);
    } else if (p->virt || co_on_loop(w->loop)) {
        co_make_ready(w->loop, w, 0);
    } else {
        co_inbox_push(w->loop, w);
    }
}

static void co_mon_wake(sim_plat *pl, sim_mon *m, unsigned ch, bool all) {
    co_plat *p = P(pl);
    if (ch == SIM_MON_EVERY) {
        for (unsigned i = 0; i < m->nchan; i++)
            while (m->ch[i].head) wake_one(p, m->ch[i].head);
        return;
    }
    if (ch >= m->nchan) BUG("wake on channel %u of a monitor with %u", ch, m->nchan);
    while (m->ch[ch].head) {
        wake_one(p, m->ch[ch].head);
        if (!all) return;
    }
}

/* ---- time and the processor ------------------------------------------------------------------- */

static uint64_t co_now_op(sim_plat *pl) { return co_now(P(pl)); }

static const _Atomic uint64_t *co_clock_source(sim_plat *pl) {
    co_plat *p = P(pl);
    return p->virt ? &p->stamp : NULL;
}

/* The unit's processor is busy for ns: a loop blocked by its task (hooks), or a thread. */
static uint64_t busy(co_plat *p, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt, bool cpu) {
    co_loop *l = self->loop;
    bool hook = l && !l->is_thread && p->hooks.blocked;
    if (hook) CO_HOOK(p, p->hooks.blocked(p->hooks.ctx, l->index, self->arg, true));
    uint64_t t0 = co_now(p), done = 0;
    if (p->virt) {
        uint64_t deadline = t0 + ns;
        pthread_mutex_lock(&own->mu);
        while (!atomic_load(halt) && co_now(p) < deadline) {
            l->busy_until = deadline;
            self->blocker = true;
            task_wait(p, self, own, 0, deadline);
            self->blocker = false;
        }
        l->busy_until = 0;
        pthread_mutex_unlock(&own->mu);
        done = co_now(p) - t0;
    } else if (cpu) {
        done = sim_burn(ns, halt);
    } else {
        uint64_t deadline = t0 + ns;
        for (;;) {   /* a blocking sleep: the thread itself sleeps, in slices that watch *halt */
            uint64_t now = co_now(p);
            if (now >= deadline || atomic_load(halt)) break;
            uint64_t left = deadline - now, slice = left < 1000000 ? left : 1000000;
            struct timespec ts = { 0, (long)slice };
            nanosleep(&ts, NULL);
        }
        done = co_now(p) - t0;
    }
    if (hook) CO_HOOK(p, p->hooks.blocked(p->hooks.ctx, l->index, self->arg, false));
    return done;
}

static uint64_t co_compute(sim_plat *pl, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt) {
    co_plat *p = P(pl);
    if (!self->loop) return sim_burn(ns, halt);
    return busy(p, self, own, ns, halt, true);
}

static void co_stall(sim_plat *pl, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt) {
    co_plat *p = P(pl);
    if (self->loop) {
        busy(p, self, own, ns, halt, false);
        return;
    }
    uint64_t deadline = co_now(p) + ns;   /* a thread: a timed wait that a halt ends */
    pthread_mutex_lock(&own->mu);
    while (!atomic_load(halt) && co_now(p) < deadline) thread_wait(p, self, own, 0, deadline);
    pthread_mutex_unlock(&own->mu);
}

/* A task lets the other ready tasks of its loop run first (asyncio.sleep(0)). */
static void co_yield(sim_plat *pl, sim_punit *self) {
    (void)pl;
    if (!self->loop) {
        sched_yield();
        return;
    }
    co_make_ready(self->loop, self, 0);
    co_park(self);
}

/* A loop iteration that did not wait. Real time: nothing (a task that spins
 * keeps its loop, as a Python loop without an await does; the watchdog can
 * still end it). Virtual clock: the loop stays blocked until time moves on
 * for the others. */
static void co_spin(sim_plat *pl, sim_punit *self) {
    co_plat *p = P(pl);
    if (!p->virt || !self->loop) return;
    co_loop *l = self->loop;
    l->busy_until = UINT64_MAX;
    l->blocker = self;
    self->tstate = CT_PARKED;
    co_park(self);
}

static unsigned co_fd_wait(sim_plat *pl, sim_punit *self, sim_mon *own, int fd, unsigned events, uint64_t deadline,
                           const _Atomic int *halt) {
    co_plat *p = P(pl);
    if (self->loop && !p->virt) {
        pthread_mutex_lock(&own->mu);
        if (atomic_load(halt)) { pthread_mutex_unlock(&own->mu); return 0; }
        if (co_fd_watch(self->loop, self, fd, events)) {
            pthread_mutex_unlock(&own->mu);
            return events;   /* not a file epoll can watch (a regular file): always ready */
        }
        enlist(self, own, 0);
        self->wseq = atomic_fetch_add(&p->wseq, 1) + 1;
        self->tmon = own;
        if (deadline) co_timer_add(self->loop, self, deadline, self->wseq);
        self->tstate = CT_PARKED;
        pthread_mutex_unlock(&own->mu);
        co_park(self);
        pthread_mutex_lock(&own->mu);
        if (self->heap_at != CO_NO_HEAP) co_timer_remove(self->loop, self);
        co_unlink(self);
        unsigned got = atomic_load(&self->wfd_ready);
        pthread_mutex_unlock(&own->mu);
        co_fd_unwatch(self->loop, self);
        return got;
    }
    /* a thread (or any unit with a virtual clock, which then blocks its loop): poll in slices */
    short pe = (short)(((events & SIM_FD_READ) ? POLLIN : 0) | ((events & SIM_FD_WRITE) ? POLLOUT : 0));
    for (;;) {
        if (atomic_load(halt)) return 0;
        uint64_t now = co_now(p);
        if (deadline && now >= deadline && !p->virt) return 0;
        int ms = 10;
        if (deadline && !p->virt && (deadline - now) / 1000000 < 10) ms = (int)((deadline - now + 999999) / 1000000);
        struct pollfd pf = { .fd = fd, .events = pe };
        int n = poll(&pf, 1, ms);
        if (n > 0) {
            unsigned got = 0;
            if (pf.revents & (POLLIN | POLLHUP | POLLERR)) got |= events & SIM_FD_READ;
            if (pf.revents & (POLLOUT | POLLHUP | POLLERR)) got |= events & SIM_FD_WRITE;
            return got ? got : events;
        }
        if (n < 0 && errno != EINTR) return events;
        if (p->virt && deadline) return 0;   /* virtual time does not pass while a descriptor is polled */
    }
}

/* A task's waits hold its loop from now on (the loop thread waits for the GIL): nothing else of
 * the loop runs until hold(off); a wait of a unit with a thread of its own holds it anyway. */
static void co_hold(sim_plat *pl, sim_punit *self, bool on) {
    (void)pl;
    co_loop *l = self->loop;
    if (!l || l->is_thread) return;
    if (on && l->hold && l->hold != self) BUG("coroutines: task %s holds loop %u, held by %s", self->name, l->index, l->hold->name);
    l->hold = on ? self : NULL;
    l->hold_ready = false;
}

const sim_plat_ops sim_plat_coro = {
    .name = "coroutines",
    .cooperative = true,
    .dynamic_units = true,
    .create = co_create,
    .destroy = co_destroy,
    .alloc = co_alloc,
    .resize = co_resize,
    .release = co_release,
    .main_unit = co_main_unit,
    .unit_start = co_unit_start,
    .unit_ids = co_unit_ids,
    .unit_join = co_unit_join,
    .unit_alive = co_unit_alive,
    .mon_new = co_mon_new,
    .mon_free = co_mon_free,
    .mon_lock = co_mon_lock,
    .mon_unlock = co_mon_unlock,
    .mon_wait = co_mon_wait,
    .mon_wake = co_mon_wake,
    .now = co_now_op,
    .clock_source = co_clock_source,
    .compute = co_compute,
    .yield = co_yield,
    .spin = co_spin,
    .stall = co_stall,
    .quiet = co_quiet,
    .fd_park = co_fd_wait,
    .hold = co_hold,
};
