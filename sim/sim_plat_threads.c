/* The threads platform: a pthread per unit (256 KiB stack, named after the
 * unit), a pthread mutex and one condition variable per channel for each
 * monitor (CLOCK_MONOTONIC for deadlines), the process heap for run memory,
 * CLOCK_MONOTONIC as the run's clock, sim_burn() for CPU work and
 * sched_yield() to give the processor away (spin: nothing, threads are
 * preempted). A wait for a descriptor is a ppoll() with the wake signal
 * (SIGURG, blocked otherwise) unblocked: the waiter is registered on the
 * monitor first, and mon_wake of its channel sends it the signal.
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#include "sim/sim_platform.h"
#include "sim/sim.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sim_mon {
    pthread_mutex_t mu;
    unsigned nchan;
    struct sim_punit *fdw;           /* units in fd_wait on it (guarded by mu) */
    pthread_cond_t cv[];
};

struct sim_punit {
    pthread_t thread;
    void (*entry)(void *);
    void *arg;
    char name[16];
    _Atomic int32_t tid;
    struct sim_punit *fdw_next;      /* fd_wait: the next waiter on the same monitor */
    unsigned fdw_ch;
};

#define WAKE_SIG SIGURG

static void on_wake_sig(int sig) { (void)sig; }

typedef struct th_plat {
    sim_plat base;
    pthread_condattr_t ca;      /* CLOCK_MONOTONIC */
    struct sim_punit main;      /* main: only its ids */
} th_plat;

static int th_create(sim_plat **out, const sim_plat_desc *desc, diag *d) {
    (void)d;
    th_plat *p = xcalloc(1, sizeof *p);
    p->base.ops = &sim_plat_threads;
    pthread_condattr_init(&p->ca);
    pthread_condattr_setclock(&p->ca, CLOCK_MONOTONIC);
    p->main.thread = pthread_self();
    p->main.tid = (int32_t)gettid();
    /* the wake signal of fd_wait: a handler that does nothing, so that it ends a ppoll */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake_sig;
    sigemptyset(&sa.sa_mask);
    sigaction(WAKE_SIG, &sa, NULL);
    if (desc->computes) sim_calibrate();   /* before any unit burns CPU */
    *out = &p->base;
    return 0;
}

static void th_destroy(sim_plat *pl) {
    th_plat *p = (th_plat *)pl;
    pthread_condattr_destroy(&p->ca);
    free(p);
}

/* ---- memory: the heap ------------------------------------------------------------ */

static void *th_alloc(sim_plat *p, size_t n) {
    (void)p;
    return calloc(1, n ? n : 1);   /* zero pages come from the kernel untouched */
}

static void *th_resize(sim_plat *p, void *q, size_t old_n, size_t n) {
    (void)p;
    char *nq = realloc(q, n ? n : 1);
    if (nq && n > old_n) memset(nq + old_n, 0, n - old_n);
    return nq;
}

static void th_release(sim_plat *p, void *q, size_t n) {
    (void)p;
    (void)n;
    free(q);
}

/* ---- units ------------------------------------------------------------------- */

static sim_punit *th_main_unit(sim_plat *pl) { return &((th_plat *)pl)->main; }

static void *trampoline(void *arg) {
    sim_punit *u = arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, WAKE_SIG);
    pthread_sigmask(SIG_BLOCK, &s, NULL);   /* delivered only inside fd_wait */
    pthread_setname_np(pthread_self(), u->name);
    atomic_store(&u->tid, (int32_t)gettid());
    u->entry(u->arg);
    return NULL;
}

static int th_unit_start(sim_plat *p, sim_punit **out, const sim_unit_start *how, diag *d) {
    (void)p;
    sim_punit *u = xcalloc(1, sizeof *u);
    u->entry = how->entry;
    u->arg = how->arg;
    size_t l = strnlen(how->name, sizeof u->name - 1);
    memcpy(u->name, how->name, l);
    *out = u;
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, 256 * 1024);
    int e = pthread_create(&u->thread, &ta, trampoline, u);
    pthread_attr_destroy(&ta);
    if (e) {
        *out = NULL;
        free(u);
        return diag_set(d, ERR_LIMIT, "cannot create the thread of %s: %s", how->name, strerror(e));
    }
    return 0;
}

static void th_unit_ids(sim_plat *p, const sim_punit *u, int32_t *pid, int32_t *tid) {
    (void)p;
    *pid = (int32_t)getpid();
    *tid = atomic_load(&u->tid);
}

static void th_unit_join(sim_plat *p, sim_punit *u) {
    (void)p;
    if (!u) return;
    pthread_join(u->thread, NULL);
    free(u);
}

static bool th_unit_alive(sim_plat *p, const sim_punit *u) {
    (void)p;
    (void)u;
    return true;   /* a thread cannot die alone: it ends the process */
}

/* ---- monitors ------------------------------------------------------------------ */

static sim_mon *th_mon_new(sim_plat *pl, unsigned nchan) {
    th_plat *p = (th_plat *)pl;
    if (nchan > SIM_MON_MAX_CHANNELS) return NULL;
    sim_mon *m = malloc(sizeof *m + nchan * sizeof m->cv[0]);
    if (!m) return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->nchan = nchan;
    m->fdw = NULL;
    for (unsigned i = 0; i < nchan; i++) pthread_cond_init(&m->cv[i], &p->ca);
    return m;
}

static void th_mon_free(sim_plat *p, sim_mon *m) {
    (void)p;
    pthread_mutex_destroy(&m->mu);
    for (unsigned i = 0; i < m->nchan; i++) pthread_cond_destroy(&m->cv[i]);
    free(m);
}

static void th_mon_lock(sim_plat *p, sim_punit *self, sim_mon *m) {
    (void)p;
    (void)self;
    int e = pthread_mutex_lock(&m->mu);
    if (e) BUG("pthread_mutex_lock: %s", strerror(e));
}

static void th_mon_unlock(sim_plat *p, sim_punit *self, sim_mon *m) {
    (void)p;
    (void)self;
    int e = pthread_mutex_unlock(&m->mu);
    if (e) BUG("pthread_mutex_unlock: %s", strerror(e));
}

static int th_mon_wait(sim_plat *p, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline) {
    (void)p;
    (void)self;
    if (ch >= m->nchan) BUG("wait on channel %u of a monitor with %u", ch, m->nchan);
    if (!deadline) {
        pthread_cond_wait(&m->cv[ch], &m->mu);
        return 0;
    }
    struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ull), .tv_nsec = (long)(deadline % 1000000000ull) };
    return pthread_cond_timedwait(&m->cv[ch], &m->mu, &ts) == ETIMEDOUT;
}

static void th_mon_wake(sim_plat *p, sim_mon *m, unsigned ch, bool all) {
    (void)p;
    for (sim_punit *w = m->fdw; w; w = w->fdw_next)
        if (ch == SIM_MON_EVERY || w->fdw_ch == ch) pthread_kill(w->thread, WAKE_SIG);
    if (ch == SIM_MON_EVERY) {
        for (unsigned i = 0; i < m->nchan; i++) pthread_cond_broadcast(&m->cv[i]);
        return;
    }
    if (ch >= m->nchan) BUG("wake on channel %u of a monitor with %u", ch, m->nchan);
    if (all) pthread_cond_broadcast(&m->cv[ch]);
    else pthread_cond_signal(&m->cv[ch]);
}

static int th_fd_wait(sim_plat *p, sim_punit *self, sim_mon *m, unsigned ch, int fd, short events, uint64_t deadline) {
    (void)p;
    if (ch >= m->nchan) BUG("fd wait on channel %u of a monitor with %u", ch, m->nchan);
    self->fdw_ch = ch;
    self->fdw_next = m->fdw;
    m->fdw = self;
    pthread_mutex_unlock(&m->mu);
    struct timespec ts, *tsp = NULL;
    if (deadline) {
        uint64_t now = clk_mono_ns(), left = deadline > now ? deadline - now : 0;
        ts.tv_sec = (time_t)(left / 1000000000ull);
        ts.tv_nsec = (long)(left % 1000000000ull);
        tsp = &ts;
    }
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    sigdelset(&mask, WAKE_SIG);
    struct pollfd pf = { .fd = fd, .events = events };
    ppoll(&pf, 1, tsp, &mask);
    int e = pthread_mutex_lock(&m->mu);
    if (e) BUG("pthread_mutex_lock: %s", strerror(e));
    for (sim_punit **pp = &m->fdw; *pp; pp = &(*pp)->fdw_next)
        if (*pp == self) { *pp = self->fdw_next; break; }
    self->fdw_next = NULL;
    return deadline && clk_mono_ns() >= deadline;
}

/* ---- time and the processor ---------------------------------------------------- */

static uint64_t th_now(sim_plat *p) {
    (void)p;
    return clk_mono_ns();
}

static const _Atomic uint64_t *th_clock_source(sim_plat *p) {
    (void)p;
    return NULL;
}

static uint64_t th_compute(sim_plat *p, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt) {
    (void)p;
    (void)self;
    (void)own;
    return sim_burn(ns, halt);
}

static void th_yield(sim_plat *p, sim_punit *self) {
    (void)p;
    (void)self;
    sched_yield();
}

/* Threads are preempted: a spinning loop needs nothing to let the others run. */
static void th_spin(sim_plat *p, sim_punit *self) {
    (void)p;
    (void)self;
}

const sim_plat_ops sim_plat_threads = {
    .name = "threads",
    .cooperative = false,
    .dynamic_units = true,
    .create = th_create,
    .destroy = th_destroy,
    .alloc = th_alloc,
    .resize = th_resize,
    .release = th_release,
    .main_unit = th_main_unit,
    .unit_start = th_unit_start,
    .unit_ids = th_unit_ids,
    .unit_join = th_unit_join,
    .unit_alive = th_unit_alive,
    .mon_new = th_mon_new,
    .mon_free = th_mon_free,
    .mon_lock = th_mon_lock,
    .mon_unlock = th_mon_unlock,
    .mon_wait = th_mon_wait,
    .mon_wake = th_mon_wake,
    .fd_wait = th_fd_wait,
    .now = th_now,
    .clock_source = th_clock_source,
    .compute = th_compute,
    .yield = th_yield,
    .spin = th_spin,
};
