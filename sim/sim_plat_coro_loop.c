/* An event loop of the coroutines platform, as asyncio's is: a FIFO list of
 * ready tasks, a heap of deadlines, epoll for file descriptors. No
 * priorities: a task runs when its turn in the list comes (asyncio has none
 * either, whatever the textbook says).
 *
 * One iteration (a tick), as asyncio's _run_once:
 *   1. the wakes other threads left in the inbox, and the tasks they asked to
 *      create, become ready (in the order they came);
 *   2. every deadline that has come makes its task ready (earliest first; at
 *      one time, in the order the waits began), and how late the loop got to
 *      it is the loop's lag;
 *   3. the tasks ready now (and only those: a task made ready while they run
 *      waits for the next tick) run one after the other, each until it waits
 *      again or ends;
 *   4. with nothing ready, the loop waits in epoll_wait for the inbox's
 *      eventfd, the timerfd armed at the earliest deadline (ns precision) and
 *      the file descriptors tasks wait for.
 * A task runs on a fiber of the loop's thread: resumed by the loop, it parks
 * by giving the loop back (co_park). Only the loop's thread touches its ready
 * list and heap.
 *
 * With a virtual clock there are no loop threads: co_vrun, called from
 * main's waits, runs every agent (each loop, and one per unit that would be a
 * thread) on main's thread, one tick of each in turn, and moves the clock to
 * the next deadline only when nothing is ready. A compute (or a blocking
 * sleep, or a spinning iteration) keeps its agent busy: nothing else of it
 * runs until the clock gets there, and deadlines that came meanwhile fire
 * late, as on a real loop blocked by a task.
 */
#include "sim/sim_plat_coro_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TAG_INBOX 1u
#define TAG_TIMER 2u

static _Thread_local co_loop *tl_loop;

bool co_on_loop(const co_loop *l) { return tl_loop == l; }

/* ---- the deadline heap: (deadline, seq), u->heap_at kept --------------------- */

static bool t_less(const co_timer *a, const co_timer *b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void h_set(co_loop *l, size_t i, co_timer t) {
    l->heap[i] = t;
    t.u->heap_at = i;
}

static void h_up(co_loop *l, size_t i) {
    co_timer t = l->heap[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!t_less(&t, &l->heap[up])) break;
        h_set(l, i, l->heap[up]);
        i = up;
    }
    h_set(l, i, t);
}

static void h_down(co_loop *l, size_t i) {
    co_timer t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap) break;
        if (c + 1 < l->nheap && t_less(&l->heap[c + 1], &l->heap[c])) c++;
        if (!t_less(&l->heap[c], &t)) break;
        h_set(l, i, l->heap[c]);
        i = c;
    }
    h_set(l, i, t);
}

void co_timer_add(co_loop *l, sim_punit *u, uint64_t deadline, uint64_t seq) {
    if (u->heap_at != CO_NO_HEAP) co_timer_remove(l, u);
    ARR_GROW(l->heap, l->nheap + 1, l->cap_heap);
    u->deadline = deadline;
    u->tseq = seq;
    l->heap[l->nheap] = (co_timer){ deadline, seq, u };
    u->heap_at = l->nheap++;
    h_up(l, u->heap_at);
}

void co_timer_remove(co_loop *l, sim_punit *u) {
    size_t i = u->heap_at;
    if (i == CO_NO_HEAP) return;
    u->heap_at = CO_NO_HEAP;
    co_timer last = l->heap[--l->nheap];
    if (i == l->nheap) return;
    h_set(l, i, last);
    h_up(l, i);
    h_down(l, last.u->heap_at);
}

static co_timer h_pop(co_loop *l) {
    co_timer t = l->heap[0];
    co_timer_remove(l, t.u);
    return t;
}

/* ---- ready list --------------------------------------------------------------- */

static void r_push(co_loop *l, sim_punit *u, bool front) {
    u->rnext = NULL;
    if (front) {
        u->rnext = l->rhead;
        l->rhead = u;
        if (!l->rtail) l->rtail = u;
    } else {
        if (l->rtail) l->rtail->rnext = u; else l->rhead = u;
        l->rtail = u;
    }
    l->nready++;
}

static sim_punit *r_pop(co_loop *l) {
    sim_punit *u = l->rhead;
    if (!u) return NULL;
    l->rhead = u->rnext;
    if (!l->rhead) l->rtail = NULL;
    u->rnext = NULL;
    l->nready--;
    return u;
}

void co_make_ready(co_loop *l, sim_punit *u, uint64_t late) {
    co_plat *p = l->plat;
    if (l->hold == u) {   /* the loop waits for it alone: it runs next, whatever else is ready */
        u->tstate = CT_READY;
        l->hold_ready = true;
        if (!l->is_thread && p->hooks.ready) CO_HOOK(p, p->hooks.ready(p->hooks.ctx, l->index, u->arg, late));
        return;
    }
    bool front = u->blocker;   /* a compute that ends goes on before anything else */
    u->tstate = CT_READY;
    if (u->blocker) {
        l->busy_until = 0;
        if (l->todo || l->nready) l->todo++;
    }
    r_push(l, u, front);
    if (!l->is_thread && p->hooks.ready) CO_HOOK(p, p->hooks.ready(p->hooks.ctx, l->index, u->arg, late));
}

/* ---- the inbox (other threads) --------------------------------------------------- */

static void ev_signal(co_loop *l) {
    uint64_t one = 1;
    while (write(l->evfd, &one, sizeof one) < 0 && errno == EINTR) {}
}

void co_inbox_push(co_loop *l, sim_punit *u) {
    pthread_mutex_lock(&l->imu);
    bool was_empty = !l->ihead && !l->shead;
    u->rnext = NULL;
    if (l->itail) l->itail->rnext = u; else l->ihead = u;
    l->itail = u;
    atomic_store_explicit(&l->ipending, 1, memory_order_release);
    pthread_mutex_unlock(&l->imu);
    if (was_empty) ev_signal(l);
}

static void *task_main(sim_fiber *self, void *first) {
    (void)first;
    sim_punit *u = sim_fiber_arg(self);
    atomic_store(&u->tid, atomic_load(&u->loop->tid));
    u->entry(u->arg);
    return NULL;
}

int co_task_create(co_loop *l, sim_punit *u) {
    co_plat *p = l->plat;
    u->loop = l;
    sim_fiber_desc fd = { .fn = task_main, .arg = u, .name = u->name, .stack_size = p->stack, .pool = p->pool };
    int rc = sim_fiber_create(&u->fiber, &fd);
    if (rc) {
        u->loop = NULL;
        u->fiber = NULL;
        return rc;
    }
    l->ntasks++;
    co_make_ready(l, u, 0);
    return 0;
}

int co_task_create_remote(co_loop *l, sim_punit *u) {
    co_plat *p = l->plat;
    pthread_mutex_lock(&l->imu);
    bool was_empty = !l->ihead && !l->shead;
    u->rnext = NULL;
    if (l->stail) l->stail->rnext = u; else l->shead = u;
    l->stail = u;
    atomic_store_explicit(&l->ipending, 1, memory_order_release);
    pthread_mutex_unlock(&l->imu);
    if (was_empty) ev_signal(l);
    pthread_mutex_lock(&p->jmu);
    while (!atomic_load(&u->start_done)) pthread_cond_wait(&p->jcv, &p->jmu);
    pthread_mutex_unlock(&p->jmu);
    return u->start_rc;
}

/* The eventfd is read only when epoll says it was written (wait_events): an iteration with an
 * empty inbox costs one atomic load, no system call. */
static void take_inbox(co_loop *l) {
    co_plat *p = l->plat;
    if (!atomic_load_explicit(&l->ipending, memory_order_acquire)) return;
    pthread_mutex_lock(&l->imu);
    atomic_store_explicit(&l->ipending, 0, memory_order_relaxed);
    sim_punit *w = l->ihead, *s = l->shead;
    l->ihead = l->itail = l->shead = l->stail = NULL;
    pthread_mutex_unlock(&l->imu);
    while (s) {
        sim_punit *next = s->rnext;
        s->start_rc = co_task_create(l, s);
        pthread_mutex_lock(&p->jmu);
        atomic_store(&s->start_done, 1);
        pthread_cond_broadcast(&p->jcv);
        pthread_mutex_unlock(&p->jmu);
        s = next;
    }
    while (w) {
        sim_punit *next = w->rnext;
        co_make_ready(l, w, 0);
        w = next;
    }
}

/* ---- deadlines and running ------------------------------------------------------------ */

/* A loop held by a task (co_hold): only that task's deadline fires; the others come late. */
static void fire_hold(co_loop *l, uint64_t now) {
    sim_punit *u = l->hold;
    if (u->heap_at == CO_NO_HEAP || u->deadline > now) return;
    uint64_t seq = u->tseq;
    co_timer_remove(l, u);
    sim_mon *m = u->tmon;
    pthread_mutex_lock(&m->mu);
    if (u->wmon == m && u->wseq == seq) {
        co_unlink(u);
        co_make_ready(l, u, 0);
    }
    pthread_mutex_unlock(&m->mu);
}

/* Every deadline that has come (unless a compute keeps the loop busy): its task is ready. */
static void fire_due(co_loop *l, uint64_t now) {
    if (l->hold) {
        fire_hold(l, now);
        return;
    }
    if (l->busy_until > now) return;
    l->busy_until = 0;
    while (l->nheap && l->heap[0].deadline <= now) {
        co_timer t = h_pop(l);
        sim_punit *u = t.u;
        sim_mon *m = u->tmon;
        pthread_mutex_lock(&m->mu);
        if (u->wmon == m && u->wseq == t.seq) {   /* still waiting: no wake got there first */
            co_unlink(u);
            uint64_t late = now - t.deadline;
            if (!u->blocker) {
                l->fired++;
                if (late > l->lag) l->lag = late;
            }
            co_make_ready(l, u, u->blocker ? 0 : late);
        }
        pthread_mutex_unlock(&m->mu);
    }
}

/* Resumes u until it parks or ends. */
static void run_task(co_loop *l, sim_punit *u) {
    co_plat *p = l->plat;
    l->cur = u;
    u->tstate = CT_RUNNING;
    co_vstamp(p);
    int rc = sim_fiber_resume(u->fiber, NULL, NULL);
    if (rc) BUG("coroutines: cannot resume task %s: %s", u->name, sim_fiber_result_str(rc));
    l->cur = NULL;
    co_vstamp(p);   /* what comes next (another unit, main at the run's end) is after what u recorded */
    if (sim_fiber_state_of(u->fiber) != SIM_FIBER_DEAD) return;
    size_t stack = sim_fiber_stack_size(u->fiber);
    rc = sim_fiber_destroy(u->fiber);
    if (rc == SIM_FIBER_ECANARY)
        BUG("stack overflow in task '%s' (stack of %zu bytes): its canary was overwritten", u->name, stack);
    if (rc) BUG("coroutines: cannot free task %s: %s", u->name, sim_fiber_result_str(rc));
    u->fiber = NULL;
    u->tstate = CT_DONE;
    if (!--l->ntasks && !l->is_thread && p->hooks.idle && !l->vidle) {
        /* its last task: the loop idles until it closes (its last word: main may free the run after) */
        l->vidle = true;
        CO_HOOK(p, p->hooks.idle(p->hooks.ctx, l->index, true));
    }
    co_task_ended(l, u);
}

static void start_tick(co_loop *l) {
    co_plat *p = l->plat;
    if (l->vidle) {   /* virtual clock: the wait the loop was told to be in ends here */
        l->vidle = false;
        if (p->hooks.idle) CO_HOOK(p, p->hooks.idle(p->hooks.ctx, l->index, false));
    }
    l->todo = l->nready;
    if (!l->is_thread && p->hooks.tick) CO_HOOK(p, p->hooks.tick(p->hooks.ctx, l->index, l->nready, l->fired, l->lag));
    l->fired = 0;
    l->lag = 0;
}

void co_park(sim_punit *self) {
    int rc = sim_fiber_yield(NULL, NULL);
    if (rc == SIM_FIBER_ECANARY)
        BUG("stack overflow in task '%s' (stack of %zu bytes): its canary was overwritten", self->name,
            self->fiber ? sim_fiber_stack_size(self->fiber) : (size_t)0);
    if (rc) BUG("coroutines: task %s cannot give its loop back: %s", self->name, sim_fiber_result_str(rc));
}

/* ---- file descriptors (real time) --------------------------------------------------------- */

int co_fd_watch(co_loop *l, sim_punit *u, int fd, unsigned events) {
    struct epoll_event ev = { .events = EPOLLONESHOT | ((events & SIM_FD_READ) ? EPOLLIN | EPOLLRDHUP : 0u) |
                                        ((events & SIM_FD_WRITE) ? EPOLLOUT : 0u),
                              .data.ptr = u };
    int wfd = fd;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        if (errno != EEXIST) return -errno;
        /* another task of the loop watches it already: watch a duplicate (its own entry) */
        wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (wfd < 0) return -errno;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, wfd, &ev)) {
            int e = errno;
            close(wfd);
            return -e;
        }
        u->wfd_dup = true;
    }
    u->wfd = wfd;
    u->wfd_events = events;
    atomic_store(&u->wfd_ready, 0);
    l->nfds++;
    return 0;
}

void co_fd_unwatch(co_loop *l, sim_punit *u) {
    if (u->wfd < 0) return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, u->wfd, NULL);
    if (u->wfd_dup) close(u->wfd);
    u->wfd_dup = false;
    u->wfd = -1;
    l->nfds--;
}

static void fd_came(co_loop *l, sim_punit *u, uint32_t events) {
    unsigned got = 0;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) got |= u->wfd_events & SIM_FD_READ;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) got |= u->wfd_events & SIM_FD_WRITE;
    if (!got) got = u->wfd_events;
    sim_mon *m = u->tmon;
    pthread_mutex_lock(&m->mu);
    if (u->wmon == m) {
        atomic_store(&u->wfd_ready, got);
        co_unlink(u);
        co_make_ready(l, u, 0);
    }
    pthread_mutex_unlock(&m->mu);
}

/* Nothing ready: waits for the inbox, the earliest deadline or a file descriptor. */
static void wait_events(co_loop *l) {
    co_plat *p = l->plat;
    /* held by a task: its deadline alone (the others are late already, or will be) */
    uint64_t d = l->hold ? (l->hold->heap_at != CO_NO_HEAP ? l->hold->deadline : 0) : l->nheap ? l->heap[0].deadline : 0;
    if (d) {
        struct itimerspec its = { .it_value = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) } };
        timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    }
    /* hooks only while the loop has tasks: once the last one ended, main may be freeing the run;
     * a loop held by a task is not idle (its thread waits for that task's wake) */
    bool hook = !l->is_thread && p->hooks.idle && l->ntasks && !l->hold;
    if (hook) CO_HOOK(p, p->hooks.idle(p->hooks.ctx, l->index, true));
    struct epoll_event evs[32];
    int n;
    do n = epoll_wait(l->epfd, evs, 32, -1);
    while (n < 0 && errno == EINTR);
    if (hook) CO_HOOK(p, p->hooks.idle(p->hooks.ctx, l->index, false));
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == TAG_INBOX) {   /* the inbox itself is taken by take_inbox */
            uint64_t v;
            while (read(l->evfd, &v, sizeof v) < 0 && errno == EINTR) {}
            continue;
        }
        if (evs[i].data.u64 == TAG_TIMER) {
            uint64_t v;
            while (read(l->tfd, &v, sizeof v) < 0 && errno == EINTR) {}
            continue;
        }
        fd_came(l, evs[i].data.ptr, evs[i].events);
    }
    if (d) {
        struct itimerspec off = { 0 };
        timerfd_settime(l->tfd, 0, &off, NULL);
    }
}

/* Real time: the loop's thread (or the main thread of its process). */
void *co_loop_main(void *arg) {
    co_loop *l = arg;
    co_plat *p = l->plat;
    tl_loop = l;
    atomic_store(&l->tid, (int32_t)gettid());
    char name[16];
    snprintf(name, sizeof name, "loop %u", l->index);
    pthread_setname_np(pthread_self(), name);
    for (;;) {
        take_inbox(l);
        if (l->nfds) {   /* file descriptors are polled every tick, as asyncio's select(0) does */
            struct epoll_event evs[32];
            int n = epoll_wait(l->epfd, evs, 32, 0);
            for (int i = 0; i < n; i++)
                if (evs[i].data.u64 != TAG_INBOX && evs[i].data.u64 != TAG_TIMER) fd_came(l, evs[i].data.ptr, evs[i].events);
        }
        if (l->nheap) fire_due(l, co_now(p));
        if (l->hold) {   /* a task holds the loop: it alone runs, when it is woken */
            if (l->hold_ready) {
                l->hold_ready = false;
                run_task(l, l->hold);
            } else {
                wait_events(l);
            }
            continue;
        }
        if (!l->todo) {   /* a new tick (else the rest of one a held task interrupted) */
            if (!l->nready) {
                if (atomic_load(&l->closing) && !l->ntasks) break;
                wait_events(l);
                continue;
            }
            start_tick(l);
        }
        while (l->todo && l->nready && !l->hold) {
            l->todo--;
            run_task(l, r_pop(l));
        }
        if (!l->nready) l->todo = 0;
    }
    return NULL;
}

/* ---- the loop's life ------------------------------------------------------------------ */

co_loop *co_loop_new(co_plat *p, uint32_t index, bool is_thread, diag *d) {
    co_loop *l = co_mem_alloc(p, sizeof *l);   /* process units push to its inbox too */
    if (!l) {
        diag_set(d, ERR_NOMEM, "out of the run's shared memory for event loop %u", index);
        return NULL;
    }
    l->plat = p;
    l->index = index;
    l->is_thread = is_thread;
    l->epfd = l->evfd = l->tfd = -1;
    pthread_mutex_init(&l->imu, &p->ma);
    if (p->virt) return l;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct epoll_event ei = { .events = EPOLLIN, .data.u64 = TAG_INBOX }, et = { .events = EPOLLIN, .data.u64 = TAG_TIMER };
    if (l->epfd < 0 || l->evfd < 0 || l->tfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ei) ||
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &et)) {
        int e = errno;
        co_loop_free(l);
        diag_set(d, ERR_LIMIT, "cannot make event loop %u: %s", index, strerror(e));
        return NULL;
    }
    return l;
}

int co_loop_thread_start(co_loop *l, diag *d) {
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, 256 * 1024);
    int e = pthread_create(&l->thread, &ta, co_loop_main, l);
    pthread_attr_destroy(&ta);
    if (e) return diag_set(d, ERR_LIMIT, "cannot create the thread of event loop %u: %s", l->index, strerror(e));
    l->has_thread = true;
    return 0;
}

void co_loop_close(co_loop *l) {
    if (l->in_process && atomic_load(&l->pid)) {   /* it ends once its tasks are gone: reaped */
        atomic_store(&l->closing, 1);
        ev_signal(l);
        co_loop_proc_join(l);
        return;
    }
    if (!l->has_thread) return;
    atomic_store(&l->closing, 1);
    ev_signal(l);
    pthread_join(l->thread, NULL);
    l->has_thread = false;
}

void co_loop_free(co_loop *l) {
    if (!l) return;
    if (l->epfd >= 0) close(l->epfd);
    if (l->evfd >= 0) close(l->evfd);
    if (l->tfd >= 0) close(l->tfd);
    pthread_mutex_destroy(&l->imu);
    if (!l->in_process) free(l->heap);   /* a loop's process had its deadline heap in its own memory */
    co_mem_free(l->plat, l);
}

/* ---- the virtual clock's scheduler (main's thread) ---------------------------------------------- */

/* When agent l next has something to do by itself (UINT64_MAX: never). */
static uint64_t agent_next(const co_loop *l) {
    if (l->hold) return l->hold->heap_at != CO_NO_HEAP ? l->hold->deadline : UINT64_MAX;
    if (l->busy_until) return l->busy_until;
    return l->nheap ? l->heap[0].deadline : UINT64_MAX;
}

/* How many units are ready to run, over every agent. */
static uint64_t ready_count(const co_plat *p) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->nagents; i++) n += p->loops[i]->nready + p->loops[i]->hold_ready;
    return n;
}

bool co_vrun(co_plat *p, uint64_t until) {
    for (;;) {
        if (p->main_woken) return true;
        uint64_t now = atomic_load(&p->now);
        if (until && now >= until) return true;
        bool ran = false, spinning = false;
        for (uint32_t i = 0; i < p->nagents; i++) {
            co_loop *l = p->loops[i];
            fire_due(l, now);
            if (l->hold) {   /* a task holds the loop: it alone runs, when it is woken */
                if (l->hold_ready) {
                    l->hold_ready = false;
                    run_task(l, l->hold);
                    ran = true;
                    if (p->main_woken) return true;
                }
                continue;
            }
            if (l->busy_until > now) continue;
            if (!l->todo && l->nready) start_tick(l);
            while (l->todo && l->nready && !(l->busy_until > now) && !l->hold) {
                l->todo--;
                run_task(l, r_pop(l));
                ran = true;
                if (p->main_woken) return true;
            }
            if (!l->nready) l->todo = 0;
            spinning |= l->busy_until == UINT64_MAX;
        }
        if (ran) continue;
        /* nothing ready: time passes to the next deadline (a spinning loop lets it) */
        uint64_t next = UINT64_MAX;
        for (uint32_t i = 0; i < p->nagents; i++) {
            uint64_t t = agent_next(p->loops[i]);
            if (t != UINT64_MAX && t < next) next = t;
        }
        if (next == UINT64_MAX && !spinning) return false;   /* quiet: nothing happens until main wakes a unit */
        if (until && until < next) next = until;
        if (next == UINT64_MAX) next = now;                   /* only spinners: they go on at this instant */
        if (next > now) {
            uint64_t readied = ready_count(p);
            for (uint32_t i = 0; i < p->nloops; i++) {   /* the loops with nothing to do wait, as in epoll */
                co_loop *l = p->loops[i];
                if (l->vidle || l->nready || l->busy_until || l->hold || !l->ntasks || !p->hooks.idle) continue;
                l->vidle = true;
                CO_HOOK(p, p->hooks.idle(p->hooks.ctx, l->index, true));
            }
            /* a loop that waits lets the GIL go: a thread waiting for it runs now, not later */
            if (ready_count(p) != readied || p->main_woken) continue;
            atomic_store(&p->now, next);
            uint64_t st = atomic_load(&p->stamp) + 1;
            atomic_store(&p->stamp, st > next ? st : next);
        }
        for (uint32_t i = 0; i < p->nagents; i++) {   /* spinners go on once time has passed */
            co_loop *l = p->loops[i];
            if (l->busy_until == UINT64_MAX && l->blocker) {
                sim_punit *s = l->blocker;
                l->blocker = NULL;
                s->blocker = true;
                co_make_ready(l, s, 0);
                s->blocker = false;
            }
        }
    }
}
