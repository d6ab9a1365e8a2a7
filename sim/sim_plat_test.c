/* The deterministic test platform: every unit is a real thread, but only the
 * one holding the baton runs; a virtual clock replaces real time. Tests run
 * the runtime's object code on it and assert exact orders and exact times.
 *
 * DESIGN
 *   Participants: main (the thread that created the platform) and one
 *   thread per unit. `cur` is the one that runs; every other one waits on
 *   its own condition variable until it is made `cur`. The baton passes
 *   only inside platform calls that wait (mon_wait, compute, yield, spin,
 *   unit_join) or when a unit's entry returns, always to the first
 *   participant of the ready list (FIFO):
 *
 *     ready list ──▶ runs until it waits ──▶ waiting on a monitor channel
 *          ▲                                   (FIFO), maybe until a deadline
 *          └──── mon_wake (earliest first), or its deadline comes ◀──┘
 *
 *   When no participant is ready, the clock jumps to the earliest deadline
 *   and the waiters due then become ready in the order they began to wait.
 *   A spinning participant (a loop iteration that did not wait) runs once
 *   per instant, after everything else that is ready: it lets time pass.
 *   Compute is time passing for its unit alone (every unit has a CPU of its
 *   own): a wait on the unit's own monitor until now + ns.
 *
 *   Events are stamped with the clock plus one ns per hand-over of the baton
 *   at the same instant: events of different units at one instant then keep
 *   their order in the recording (an unlock before the acquisition it
 *   allows), which the recorder, draining unit by unit, could not keep for
 *   equal times. Tests compare times in us; the run's own clock (now(), the
 *   deadlines, the makespan) is exact.
 *
 *   Since only `cur` runs, a monitor's lock is a record of its holder: taking
 *   one that is held means it was held across a switch, which the runtime
 *   never does (a BUG). The same order of calls gives the same run: no real
 *   time, no OS scheduling decision reaches the runtime.
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#include "sim/sim_platform.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T_START 1000000000ull   /* the virtual clock starts at 1 s, so no time is 0 */

enum { TP_READY = 1, TP_RUNNING, TP_WAIT, TP_SPIN, TP_JOIN, TP_DONE };

typedef struct tp_plat tp_plat;

struct sim_punit {
    tp_plat *plat;
    pthread_t thread;
    pthread_cond_t cv;
    int state;                       /* TP_* */
    void (*entry)(void *);
    void *arg;
    char name[16];
    int32_t tid;
    sim_mon *wmon;                   /* TP_WAIT: on this monitor's channel wch */
    unsigned wch;
    uint64_t deadline;               /* TP_WAIT: 0 = none */
    uint64_t wseq;                   /* when it began to wait (a counter) */
    uint64_t spun_at;                /* TP_SPIN: the instant it spun */
    struct sim_punit *wnext;         /* the next waiter of the same channel */
    struct sim_punit *qnext;         /* the next in the ready or spin list */
    struct sim_punit *joiner;        /* main, waiting in unit_join for it */
};

typedef struct tp_chan { sim_punit *head, *tail; } tp_chan;

struct sim_mon {
    sim_punit *holder;
    unsigned nchan;
    tp_chan ch[];
};

typedef struct tp_list { sim_punit *head, *tail; } tp_list;

struct tp_plat {
    sim_plat base;
    pthread_mutex_t mu;              /* the baton's hand-over */
    _Atomic uint64_t now;            /* the virtual clock (ns) */
    _Atomic uint64_t stamp;          /* the recorder's clock: now, plus 1 ns per hand-over at this instant */
    sim_punit *cur;                  /* the participant that runs */
    tp_list ready, spin;
    sim_punit **all; size_t nall, cap_all;   /* every unit started (freed with the platform) */
    sim_punit **due; size_t cap_due;         /* scratch: the waiters whose deadline came */
    uint64_t seq;
    sim_punit main;
};

static void q_push(tp_list *q, sim_punit *u) {
    u->qnext = NULL;
    if (q->tail) q->tail->qnext = u; else q->head = u;
    q->tail = u;
}

static sim_punit *q_pop(tp_list *q) {
    sim_punit *u = q->head;
    if (u) {
        q->head = u->qnext;
        if (!q->head) q->tail = NULL;
    }
    return u;
}

static void make_ready(tp_plat *p, sim_punit *u) {
    u->state = TP_READY;
    q_push(&p->ready, u);
}

/* Takes waiter w off its channel's list (mu held). */
static void unlink_waiter(sim_punit *w) {
    tp_chan *c = &w->wmon->ch[w->wch];
    sim_punit **pp = &c->head, *prev = NULL;
    while (*pp && *pp != w) { prev = *pp; pp = &(*pp)->wnext; }
    if (!*pp) BUG("test platform: waiter %s is not on its channel", w->name);
    *pp = w->wnext;
    if (c->tail == w) c->tail = prev;
    w->wnext = NULL;
    w->wmon = NULL;
}

static int by_wseq(const void *a, const void *b) {
    uint64_t x = (*(sim_punit *const *)a)->wseq, y = (*(sim_punit *const *)b)->wseq;
    return x < y ? -1 : x > y;
}

static bool waits_until(const sim_punit *u) { return u->state == TP_WAIT && u->deadline; }

/* Every participant whose deadline has come becomes ready, in the order they began to wait. */
static void wake_due(tp_plat *p) {
    uint64_t now = atomic_load(&p->now);
    size_t n = 0;
    for (size_t i = 0; i <= p->nall; i++) {
        sim_punit *u = i < p->nall ? p->all[i] : &p->main;
        if (!waits_until(u) || u->deadline > now) continue;
        ARR_GROW(p->due, n + 1, p->cap_due);
        p->due[n++] = u;
    }
    qsort(p->due, n, sizeof *p->due, by_wseq);
    for (size_t i = 0; i < n; i++) {
        if (p->due[i]->wmon) unlink_waiter(p->due[i]);
        make_ready(p, p->due[i]);
    }
}

/* The participant to run next (mu held), or NULL when none ever can. */
static sim_punit *pick(tp_plat *p) {
    for (;;) {
        sim_punit *u = q_pop(&p->ready);
        if (u) return u;
        uint64_t now = atomic_load(&p->now);
        if (p->spin.head && p->spin.head->spun_at < now) return q_pop(&p->spin);
        uint64_t next = UINT64_MAX;
        if (waits_until(&p->main)) next = p->main.deadline;
        for (size_t i = 0; i < p->nall; i++)
            if (waits_until(p->all[i]) && p->all[i]->deadline < next) next = p->all[i]->deadline;
        if (next != UINT64_MAX) {
            if (next > now) {
                atomic_store(&p->now, next);
                uint64_t st = atomic_load(&p->stamp) + 1;
                atomic_store(&p->stamp, st > next ? st : next);
            }
            wake_due(p);
            continue;
        }
        return q_pop(&p->spin);   /* only spinners are left: time cannot pass for them */
    }
}

/* Hands the baton on and waits until it comes back (mu held; self's state is set). */
static void pass(tp_plat *p, sim_punit *self) {
    sim_punit *next = pick(p);
    if (!next) BUG("test platform: every participant waits for ever (%s last)", self->name);
    next->state = TP_RUNNING;
    p->cur = next;
    if (next == self) return;
    atomic_fetch_add(&p->stamp, 1);
    pthread_cond_signal(&next->cv);
    while (p->cur != self) pthread_cond_wait(&self->cv, &p->mu);
}

static void check_cur(tp_plat *p, sim_punit *self, const char *what) {
    if (p->cur != self) BUG("test platform: %s by %s, which does not hold the baton", what, self->name);
}

/* ---- the platform's life ------------------------------------------------------- */

static int tp_create(sim_plat **out, const sim_plat_desc *desc, diag *d) {
    (void)desc;
    (void)d;
    tp_plat *p = xcalloc(1, sizeof *p);
    p->base.ops = &sim_plat_test;
    pthread_mutex_init(&p->mu, NULL);
    atomic_store(&p->now, T_START);
    atomic_store(&p->stamp, T_START);
    pthread_cond_init(&p->main.cv, NULL);
    p->main.thread = pthread_self();
    p->main.tid = (int32_t)gettid();
    p->main.state = TP_RUNNING;
    memcpy(p->main.name, "main", 5);
    p->cur = &p->main;
    *out = &p->base;
    return 0;
}

static void tp_destroy(sim_plat *pl) {
    tp_plat *p = (tp_plat *)pl;
    for (size_t i = 0; i < p->nall; i++) free(p->all[i]);
    pthread_cond_destroy(&p->main.cv);
    pthread_mutex_destroy(&p->mu);
    free(p->all);
    free(p->due);
    free(p);
}

/* ---- memory: the heap ---------------------------------------------------------- */

static void *tp_alloc(sim_plat *p, size_t n) {
    (void)p;
    return calloc(1, n ? n : 1);   /* zero pages come from the kernel untouched */
}

static void *tp_resize(sim_plat *p, void *q, size_t old_n, size_t n) {
    (void)p;
    char *nq = realloc(q, n ? n : 1);
    if (nq && n > old_n) memset(nq + old_n, 0, n - old_n);
    return nq;
}

static void tp_release(sim_plat *p, void *q, size_t n) {
    (void)p;
    (void)n;
    free(q);
}

/* ---- units ------------------------------------------------------------------------- */

static sim_punit *tp_main_unit(sim_plat *pl) { return &((tp_plat *)pl)->main; }

static void *unit_thread(void *arg) {
    sim_punit *u = arg;
    tp_plat *p = u->plat;
    pthread_mutex_lock(&p->mu);
    u->tid = (int32_t)gettid();
    while (p->cur != u) pthread_cond_wait(&u->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    u->entry(u->arg);
    /* its entry returned: the baton goes on, and this thread ends */
    pthread_mutex_lock(&p->mu);
    check_cur(p, u, "an exit");
    u->state = TP_DONE;
    if (u->joiner && u->joiner->state == TP_JOIN) make_ready(p, u->joiner);
    sim_punit *next = pick(p);
    if (!next) BUG("test platform: nobody left to run after %s", u->name);
    next->state = TP_RUNNING;
    p->cur = next;
    atomic_fetch_add(&p->stamp, 1);
    pthread_cond_signal(&next->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int tp_unit_start(sim_plat *pl, sim_punit **out, const sim_unit_start *how, diag *d) {
    tp_plat *p = (tp_plat *)pl;
    if (!p->cur) BUG("test platform: a unit start with nobody holding the baton");   /* main, or a unit (create_task) */
    sim_punit *u = xcalloc(1, sizeof *u);
    pthread_cond_init(&u->cv, NULL);
    u->entry = how->entry;
    u->arg = how->arg;
    size_t l = strnlen(how->name, sizeof u->name - 1);
    memcpy(u->name, how->name, l);
    u->plat = p;
    *out = u;
    pthread_mutex_lock(&p->mu);
    ARR_PUSH(p->all, p->nall, p->cap_all, u);
    make_ready(p, u);
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, 256 * 1024);
    int e = pthread_create(&u->thread, &ta, unit_thread, u);
    pthread_attr_destroy(&ta);
    if (e) {   /* take it back out of the list and the table */
        p->ready.head = p->ready.tail = NULL;
        for (size_t i = 0; i < p->nall - 1; i++)
            if (p->all[i]->state == TP_READY) q_push(&p->ready, p->all[i]);
        p->nall--;
        pthread_mutex_unlock(&p->mu);
        pthread_cond_destroy(&u->cv);
        free(u);
        *out = NULL;
        return diag_set(d, ERR_LIMIT, "cannot create the thread of %s: %s", how->name, strerror(e));
    }
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static void tp_unit_ids(sim_plat *p, const sim_punit *u, int32_t *pid, int32_t *tid) {
    (void)p;
    *pid = (int32_t)getpid();
    *tid = u->tid;
}

static void tp_unit_join(sim_plat *pl, sim_punit *u) {
    tp_plat *p = (tp_plat *)pl;
    if (!u) return;
    sim_punit *self = &p->main;
    pthread_mutex_lock(&p->mu);
    check_cur(p, self, "a join");
    while (u->state != TP_DONE) {
        u->joiner = self;
        self->state = TP_JOIN;
        pass(p, self);
    }
    pthread_mutex_unlock(&p->mu);
    pthread_join(u->thread, NULL);
    pthread_cond_destroy(&u->cv);   /* the record stays in p->all (DONE) until tp_destroy */
}

static bool tp_unit_alive(sim_plat *p, const sim_punit *u) {
    (void)p;
    (void)u;
    return true;
}

/* ---- monitors ------------------------------------------------------------------------ */

static sim_mon *tp_mon_new(sim_plat *p, unsigned nchan) {
    (void)p;
    if (nchan > SIM_MON_MAX_CHANNELS) return NULL;
    sim_mon *m = calloc(1, sizeof *m + nchan * sizeof m->ch[0]);
    if (m) m->nchan = nchan;
    return m;
}

static void tp_mon_free(sim_plat *p, sim_mon *m) {
    (void)p;
    free(m);
}

static void tp_mon_lock(sim_plat *pl, sim_punit *self, sim_mon *m) {
    check_cur((tp_plat *)pl, self, "a monitor lock");
    if (m->holder) BUG("test platform: %s takes a monitor %s holds (held across a switch?)", self->name, m->holder->name);
    m->holder = self;
}

static void tp_mon_unlock(sim_plat *pl, sim_punit *self, sim_mon *m) {
    check_cur((tp_plat *)pl, self, "a monitor unlock");
    if (m->holder != self) BUG("test platform: %s gives back a monitor it does not hold", self->name);
    m->holder = NULL;
}

static int tp_mon_wait(sim_plat *pl, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline) {
    tp_plat *p = (tp_plat *)pl;
    check_cur(p, self, "a monitor wait");
    if (m->holder != self) BUG("test platform: %s waits on a monitor it does not hold", self->name);
    if (ch >= m->nchan) BUG("wait on channel %u of a monitor with %u", ch, m->nchan);
    pthread_mutex_lock(&p->mu);
    m->holder = NULL;
    self->wmon = m;
    self->wch = ch;
    self->deadline = deadline;
    self->wseq = ++p->seq;
    self->wnext = NULL;
    tp_chan *c = &m->ch[ch];
    if (c->tail) c->tail->wnext = self; else c->head = self;
    c->tail = self;
    self->state = TP_WAIT;
    pass(p, self);
    if (self->wmon) BUG("test platform: %s runs while still on a channel", self->name);
    if (m->holder) BUG("test platform: a monitor %s waited on is held by %s", self->name, m->holder->name);
    m->holder = self;
    int timed = deadline && atomic_load(&p->now) >= deadline;
    pthread_mutex_unlock(&p->mu);
    return timed;
}

static void wake_chan(tp_plat *p, tp_chan *c, bool all) {
    while (c->head) {
        sim_punit *w = c->head;
        c->head = w->wnext;
        if (!c->head) c->tail = NULL;
        w->wnext = NULL;
        w->wmon = NULL;
        make_ready(p, w);
        if (!all) return;
    }
}

static void tp_mon_wake(sim_plat *pl, sim_mon *m, unsigned ch, bool all) {
    tp_plat *p = (tp_plat *)pl;
    pthread_mutex_lock(&p->mu);
    if (ch == SIM_MON_EVERY) {
        for (unsigned i = 0; i < m->nchan; i++) wake_chan(p, &m->ch[i], true);
    } else {
        if (ch >= m->nchan) BUG("wake on channel %u of a monitor with %u", ch, m->nchan);
        wake_chan(p, &m->ch[ch], all);
    }
    pthread_mutex_unlock(&p->mu);
}

/* ---- time and the processor ------------------------------------------------------------ */

static uint64_t tp_now(sim_plat *pl) { return atomic_load(&((tp_plat *)pl)->now); }

static const _Atomic uint64_t *tp_clock_source(sim_plat *pl) { return &((tp_plat *)pl)->stamp; }

static uint64_t tp_compute(sim_plat *pl, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt) {
    uint64_t t0 = tp_now(pl), deadline = t0 + ns;
    tp_mon_lock(pl, self, own);
    while (!atomic_load(halt) && tp_now(pl) < deadline) tp_mon_wait(pl, self, own, 0, deadline);
    tp_mon_unlock(pl, self, own);
    return tp_now(pl) - t0;
}

static void tp_yield(sim_plat *pl, sim_punit *self) {
    tp_plat *p = (tp_plat *)pl;
    check_cur(p, self, "a yield");
    pthread_mutex_lock(&p->mu);
    make_ready(p, self);
    pass(p, self);
    pthread_mutex_unlock(&p->mu);
}

static void tp_spin(sim_plat *pl, sim_punit *self) {
    tp_plat *p = (tp_plat *)pl;
    check_cur(p, self, "a spin");
    pthread_mutex_lock(&p->mu);
    self->state = TP_SPIN;
    self->spun_at = atomic_load(&p->now);
    q_push(&p->spin, self);
    pass(p, self);
    pthread_mutex_unlock(&p->mu);
}

/* A descriptor is ready now, or the unit waits on the channel: whoever writes, reads or closes
 * wakes it (the runtime does, on the cooperative platforms), and nothing else runs meanwhile. */
static int tp_fd_wait(sim_plat *pl, sim_punit *self, sim_mon *m, unsigned ch, int fd, short events, uint64_t deadline) {
    struct pollfd pf = { .fd = fd, .events = events };
    if (poll(&pf, 1, 0) > 0) return 0;
    return tp_mon_wait(pl, self, m, ch, deadline);
}

const sim_plat_ops sim_plat_test = {
    .name = "test",
    .cooperative = true,
    .dynamic_units = true,
    .create = tp_create,
    .destroy = tp_destroy,
    .alloc = tp_alloc,
    .resize = tp_resize,
    .release = tp_release,
    .main_unit = tp_main_unit,
    .unit_start = tp_unit_start,
    .unit_ids = tp_unit_ids,
    .unit_join = tp_unit_join,
    .unit_alive = tp_unit_alive,
    .mon_new = tp_mon_new,
    .mon_free = tp_mon_free,
    .mon_lock = tp_mon_lock,
    .mon_unlock = tp_mon_unlock,
    .mon_wait = tp_mon_wait,
    .fd_wait = tp_fd_wait,
    .mon_wake = tp_mon_wake,
    .now = tp_now,
    .clock_source = tp_clock_source,
    .compute = tp_compute,
    .yield = tp_yield,
    .spin = tp_spin,
};
