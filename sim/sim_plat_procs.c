/* The processes platform: a process per unit (multiprocessing.Process).
 *
 * DESIGN
 *   Memory. create() makes one memfd (nothing to unlink, nothing left behind
 *   whatever happens to weft) and maps it MAP_SHARED, followed by a small
 *   MAP_PRIVATE region, both at addresses chosen before any unit exists:
 *
 *     [ shared: this platform, run memory (objects, units, rings, ...) ][ private ]
 *
 *   Run memory (alloc) is a bump allocator in the shared part: the same
 *   bytes at the same address in every process, so the runtime's pointers
 *   work everywhere. The private part holds, per process, this platform's
 *   table of functions (the runtime calls through the copy at one address,
 *   which each process fills with its own functions: a spawned worker is
 *   another load of the binary) and alloc_private's blocks (plain variables:
 *   a fork copies them, a spawned process starts from zeros).
 *
 *   Units. unit_start only prepares a unit; unit_launch makes it:
 *     - a process forked from main (the units that start with the run), or
 *       from the unit that starts it (spawn, a pool's submitter), so that it
 *       inherits that process's memory and descriptors as they are. A unit's
 *       process forks twice (the middle one exits at once) so that the new
 *       process is main's child: main is a child subreaper;
 *     - spawned (start_method spawn): the same, then an exec of the weft
 *       worker, which maps the run again at the same addresses
 *       (sim_plat_procs_attach);
 *     - a thread inside the launcher's process (a thread pool's worker).
 *   Every unit process sets the parent-death signal (SIGKILL) once main is
 *   its parent, so no unit outlives weft, even a weft killed with SIGKILL;
 *   ignores SIGINT (main ends the run cleanly on Ctrl-C) and SIGPIPE (a
 *   write to a closed pipe fails with EPIPE, as in Python); dumps no core.
 *
 *   Reaping. A thread of main's process (the reaper) waits for any child to
 *   end (waitid without reaping first, so it knows whose it is), reaps it,
 *   records its exit code or signal and the time, and calls the runtime's
 *   on_end: a process killed or crashed is known at once. unit_join waits
 *   for the reaper; a process that does not end within a grace time of the
 *   run's end is killed.
 *
 *   Monitors. A process-shared robust mutex (a unit killed while it holds one
 *   leaves it to the next locker, who makes it consistent) and, per channel,
 *   a futex sequence word: mon_wait reads the word, releases the mutex and
 *   sleeps on the word; mon_wake bumps it and wakes one or all sleepers. No
 *   condition variable: a process killed while it waits would wedge a
 *   process-shared pthread condition variable for everyone else.
 *
 *   Descriptors. fd_wait releases the monitor and waits in ppoll(), with the
 *   wake signal (SIGURG, blocked otherwise) unblocked for the call; it
 *   registers the waiter on the monitor first, so a mon_wake of its channel
 *   (and the end of the run) sends it the signal: a wake that comes before
 *   the ppoll stays pending and ends it at once.
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#include "sim/sim_platform.h"
#include "sim/sim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAKE_SIG SIGURG
#define MIN_SHARED (64u << 20)
#define PRIV_PAGE 4096u
#define GRACE_NS 2000000000ull       /* after the run's end, a unit's process gets this long to end */
#define GIVE_UP_NS 10000000000ull    /* ... and this long after a SIGKILL */

enum { PU_PREPARED = 0, PU_LAUNCHED = 1, PU_ENDED = 2 };

typedef struct pr_chan { _Atomic uint32_t seq; _Atomic uint32_t waiters; } pr_chan;

struct sim_mon {
    pthread_mutex_t mu;              /* process-shared, robust */
    unsigned nchan;
    struct sim_punit *fdw;           /* units in fd_wait on it (guarded by mu) */
    pr_chan ch[];
};

struct sim_punit {
    void (*entry)(void *);           /* valid in the processes forked from main's binary */
    void *arg;
    char name[16];
    uint8_t kind, start;
    uint32_t index;                  /* in the platform's table; UINT32_MAX for main */
    _Atomic int32_t pid, tid;        /* thread units: the pid of their process */
    _Atomic uint32_t state;          /* PU_*: a futex word (unit_join waits on it) */
    _Atomic int returned;            /* its entry returned */
    _Atomic int code;                /* the exit code once the entry returns */
    int exit_code, sig;              /* how it ended (the reaper, before PU_ENDED) */
    uint64_t t_end;
    _Atomic int exec_errno;          /* spawn: the exec failed */
    struct sim_punit *host;          /* thread units: the process unit they run in (NULL: main's) */
    _Atomic uint32_t hosted;         /* process units: their thread units still running (a futex word) */
    struct sim_punit *fdw_next;      /* fd_wait: the next waiter on the same monitor */
    unsigned fdw_ch;
    pthread_t thread;                /* thread units, in their process */
};

/* Each process's own copy, at the same address in every process. */
typedef struct pr_priv {
    sim_plat_ops ops;
    size_t used;                     /* alloc_private's bump (main, before any launch) */
} pr_priv;

typedef struct pr_plat {
    sim_plat base;                   /* base.ops points into the private part */
    int memfd;
    char *map; size_t map_size;      /* the shared part; this struct is at its start */
    _Atomic size_t used;             /* run memory's bump */
    char *priv; size_t priv_size;
    int32_t main_pid;
    struct sim_punit main;
    sim_punit **units;               /* unit_start order (main's process) */
    _Atomic uint32_t nunits;         /* published after units[] (the reaper reads it) */
    uint32_t max_units;
    _Atomic uint32_t launch_seq;     /* a futex word: bumped at each launch (the reaper waits for children) */
    _Atomic int reaper_stop;
    pthread_t reaper;
    bool reaper_on;
    int old_subreaper;
    void (*on_end)(void *, sim_punit *);   /* main's process only */
    void *ctx;
    char worker_exe[PATH_MAX];
} pr_plat;

/* ---- futexes and signals ----------------------------------------------------------- */

static void fx_wait(_Atomic uint32_t *w, uint32_t seen, uint64_t deadline) {
    struct timespec ts, *tsp = NULL;
    if (deadline) {
        ts.tv_sec = (time_t)(deadline / 1000000000ull);
        ts.tv_nsec = (long)(deadline % 1000000000ull);
        tsp = &ts;
    }
    /* not private: the word may be in the shared mapping; absolute CLOCK_MONOTONIC */
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_BITSET, seen, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void fx_wake(_Atomic uint32_t *w, int n) { syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, n, NULL, NULL, 0); }

static void on_wake_sig(int sig) { (void)sig; }

/* The wake signal: a handler that does nothing (so that it interrupts ppoll),
 * blocked on the calling thread except inside fd_wait. */
static void wake_sig_setup(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake_sig;
    sigemptyset(&sa.sa_mask);
    sigaction(WAKE_SIG, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, WAKE_SIG);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
}

/* ---- the platform's life ------------------------------------------------------------ */

static void *reaper_main(void *arg);

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* Processes of the calling user (with their threads): what RLIMIT_NPROC counts. */
static unsigned long user_tasks(void) {
    unsigned long n = 0;
    uid_t me = getuid();
    DIR *d = opendir("/proc");
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        bool mine = false;
        unsigned long threads = 1;
        while (fgets(line, sizeof line, f)) {
            unsigned long ruid;
            if (sscanf(line, "Uid: %lu", &ruid) == 1) mine = ruid == me;
            else sscanf(line, "Threads: %lu", &threads);
        }
        fclose(f);
        if (mine) n += threads;
    }
    closedir(d);
    return n;
}

static int pr_create(sim_plat **out, const sim_plat_desc *desc, diag *d) {
    /* every unit may be a process: refused here, before anything is forked */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        unsigned long have = user_tasks();
        unsigned long room = rl.rlim_cur > have ? (unsigned long)rl.rlim_cur - have : 0;
        if (desc->max_units > room)
            return diag_set(d, ERR_LIMIT,
                            "the run needs up to %u processes, but RLIMIT_NPROC (ulimit -u) is %llu and this user has "
                            "%lu processes and threads already: room for %lu",
                            desc->max_units, (unsigned long long)rl.rlim_cur, have, room);
    }
    /* descriptors: pipes take two each; ask for what the hard limit allows */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t shared = round_up(desc->shared_bytes > MIN_SHARED ? desc->shared_bytes : MIN_SHARED, 2u << 20);
    size_t priv = round_up(PRIV_PAGE + desc->private_bytes + 4096, 4096);
    int fd = memfd_create("weft-run", MFD_CLOEXEC);
    if (fd < 0) return diag_set(d, ERR_RUNTIME, "cannot make the run's shared memory: memfd_create: %s", strerror(errno));
    if (ftruncate(fd, (off_t)shared) != 0) {
        int e = errno;
        close(fd);
        return diag_set(d, ERR_NOMEM, "cannot size the run's shared memory (%zu MiB): %s", shared >> 20, strerror(e));
    }
    /* one range for both parts, so that a spawned worker finds both free or neither */
    char *base = mmap(NULL, shared + priv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        int e = errno;
        close(fd);
        return diag_set(d, ERR_NOMEM, "cannot map the run's shared memory (%zu MiB): %s", shared >> 20, strerror(e));
    }
    if (mmap(base, shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
        mmap(base + shared, priv, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        int e = errno;
        munmap(base, shared + priv);
        close(fd);
        return diag_set(d, ERR_NOMEM, "cannot map the run's shared memory (%zu MiB): %s", shared >> 20, strerror(e));
    }
    pr_plat *p = (pr_plat *)base;
    pr_priv *pv = (pr_priv *)(base + shared);
    pv->ops = sim_plat_procs;
    pv->used = round_up(sizeof *pv, 64);
    p->base.ops = &pv->ops;
    p->memfd = fd;
    p->map = base;
    p->map_size = shared;
    p->priv = base + shared;
    p->priv_size = priv;
    atomic_store(&p->used, round_up(sizeof *p, 64));
    p->main_pid = (int32_t)getpid();
    p->main.index = UINT32_MAX;
    p->main.pid = p->main_pid;
    p->main.tid = (int32_t)gettid();
    p->main.state = PU_LAUNCHED;
    snprintf(p->main.name, sizeof p->main.name, "main");
    p->max_units = desc->max_units;
    p->units = (sim_punit **)(base + atomic_load(&p->used));
    atomic_fetch_add(&p->used, round_up(sizeof *p->units * (desc->max_units + 1), 64));
    p->on_end = desc->on_end;
    p->ctx = desc->ctx;
    if (desc->worker_exe) snprintf(p->worker_exe, sizeof p->worker_exe, "%s", desc->worker_exe);
    sim_calibrate();   /* before any fork: every unit inherits it */
    /* main adopts the units' processes whoever forks them, and reaps them */
    p->old_subreaper = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &p->old_subreaper);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int e = thread_start(&p->reaper, NULL, reaper_main, p);
    if (e) {
        prctl(PR_SET_CHILD_SUBREAPER, p->old_subreaper);
        munmap(base, shared + priv);
        close(fd);
        return diag_set(d, ERR_LIMIT, "cannot start the thread that reaps the units' processes: %s", strerror(e));
    }
    p->reaper_on = true;
    *out = &p->base;
    return 0;
}

static void pr_destroy(sim_plat *pl) {
    pr_plat *p = (pr_plat *)pl;
    if (p->reaper_on) {
        atomic_store(&p->reaper_stop, 1);
        atomic_fetch_add(&p->launch_seq, 1);
        fx_wake(&p->launch_seq, INT_MAX);
        pthread_join(p->reaper, NULL);
    }
    prctl(PR_SET_CHILD_SUBREAPER, p->old_subreaper);
    int fd = p->memfd;
    size_t total = p->map_size + p->priv_size;
    munmap(p->map, total);
    close(fd);
}

/* ---- memory ------------------------------------------------------------------------- */

static void *pr_alloc(sim_plat *pl, size_t n) {
    pr_plat *p = (pr_plat *)pl;
    size_t a = n >= 64 ? 64 : 16;
    size_t cur = atomic_load(&p->used);
    for (;;) {
        size_t start = round_up(cur, a), end = start + (n ? n : 1);
        if (end > p->map_size || end < start) return NULL;
        if (atomic_compare_exchange_weak(&p->used, &cur, end)) return p->map + start;   /* fresh: zeros */
    }
}

static void pr_release(sim_plat *pl, void *q, size_t n) {
    pr_plat *p = (pr_plat *)pl;
    if (!q) return;
    size_t start = (size_t)((char *)q - p->map), end = start + (n ? n : 1);
    /* the last block given out is taken back (and cleared); the others stay until the run ends */
    size_t cur = end;
    memset(q, 0, n);
    atomic_compare_exchange_strong(&p->used, &cur, start);
}

static void *pr_resize(sim_plat *pl, void *q, size_t old_n, size_t n) {
    if (n <= old_n) {
        if (q && n < old_n) memset((char *)q + n, 0, old_n - n);
        return q ? q : pr_alloc(pl, n);
    }
    void *nq = pr_alloc(pl, n);
    if (!nq) return NULL;
    if (q) {
        memcpy(nq, q, old_n);
        pr_release(pl, q, old_n);
    }
    return nq;
}

static void *pr_alloc_private(sim_plat *pl, size_t n) {
    pr_plat *p = (pr_plat *)pl;
    pr_priv *pv = (pr_priv *)p->priv;
    size_t start = round_up(pv->used, 16), end = start + (n ? n : 1);
    if (end > p->priv_size) return NULL;
    pv->used = end;
    return p->priv + start;
}

static void pr_prefault(sim_plat *pl, void *q, size_t n) {
    (void)pl;
    uintptr_t a = (uintptr_t)q & ~(uintptr_t)4095, b = ((uintptr_t)q + n + 4095) & ~(uintptr_t)4095;
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    madvise((void *)a, b - a, MADV_POPULATE_WRITE);   /* Linux 5.14+; else the pages fault when touched */
}

/* ---- units -------------------------------------------------------------------------- */

static sim_punit *pr_main_unit(sim_plat *pl) { return &((pr_plat *)pl)->main; }

static int pr_unit_start(sim_plat *pl, sim_punit **out, const sim_unit_start *how, diag *d) {
    pr_plat *p = (pr_plat *)pl;
    uint32_t n = atomic_load_explicit(&p->nunits, memory_order_relaxed);
    if (n >= p->max_units) BUG("processes platform: more units than the %u announced", p->max_units);
    sim_punit *u = pr_alloc(pl, sizeof *u);
    if (!u) return diag_set(d, ERR_NOMEM, "out of shared memory for the unit %s", how->name);
    u->entry = how->entry;
    u->arg = how->arg;
    size_t l = strnlen(how->name, sizeof u->name - 1);
    memcpy(u->name, how->name, l);
    u->kind = how->kind;
    u->start = how->start;
    u->index = n;
    p->units[n] = u;
    atomic_store_explicit(&p->nunits, n + 1, memory_order_release);
    *out = u;
    return 0;
}

/* The end of a unit's process: its thread units first (they cannot outlive it). */
static void process_ended(pr_plat *p, sim_punit *u, int code, int sig) {
    uint64_t now = clk_mono_ns();
    uint32_t n = atomic_load_explicit(&p->nunits, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        sim_punit *v = p->units[i];
        if (v->kind != SIM_PU_THREAD || v->host != u || atomic_load(&v->state) == PU_ENDED) continue;
        v->exit_code = code;
        v->sig = sig;
        v->t_end = now;
        if (p->on_end) p->on_end(p->ctx, v);
        atomic_store(&v->state, PU_ENDED);
        fx_wake(&v->state, INT_MAX);
    }
    u->exit_code = code;
    u->sig = sig;
    u->t_end = now;
    if (p->on_end) p->on_end(p->ctx, u);
    atomic_store(&u->state, PU_ENDED);
    fx_wake(&u->state, INT_MAX);
}

static sim_punit *find_pid(pr_plat *p, int32_t pid) {
    uint32_t n = atomic_load_explicit(&p->nunits, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++)
        if (p->units[i]->kind == SIM_PU_PROCESS && atomic_load(&p->units[i]->pid) == pid) return p->units[i];
    return NULL;
}

static void *reaper_main(void *arg) {
    pr_plat *p = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);   /* signals are main's business */
    while (!atomic_load(&p->reaper_stop)) {
        uint32_t seq = atomic_load(&p->launch_seq);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) != 0) {
            if (errno == EINTR) continue;
            /* no child now: until the next launch (or a while, to be sure) */
            fx_wait(&p->launch_seq, seq, clk_mono_ns() + 50000000ull);
            continue;
        }
        int32_t pid = si.si_pid;
        sim_punit *u = find_pid(p, pid);
        /* forked by main, it may end before main has written its pid */
        for (int k = 0; !u && k < 1000; k++) {
            struct timespec ts = { 0, 1000000 };
            nanosleep(&ts, NULL);
            u = find_pid(p, pid);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (!u) continue;   /* not a unit's: reaped all the same */
        process_ended(p, u, WIFEXITED(st) ? WEXITSTATUS(st) : 0, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
    return NULL;
}

/* In a new unit process, once main is its parent: what every unit process sets up. The
 * process begins with every signal blocked (pr_unit_launch blocks them around the fork), so
 * that a signal sent to it at once (terminate A just after A starts) finds the dispositions
 * set here, never a handler inherited from main's caller: mask (NULL: leave the mask) is the
 * mask to run with once they are set. */
static void child_setup(pr_plat *p, sim_punit *u, const sigset_t *mask) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != p->main_pid) _exit(127);   /* main ended before we could ask */
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    /* Ctrl-C and a hangup are main's to handle (it ends the run and takes the units with it); a
     * handler inherited from main's caller (weft's own, which removes its outputs on SIGABRT) must
     * not run here */
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    wake_sig_setup();
    prctl(PR_SET_NAME, u->name);
    if (mask) {
        sigset_t m = *mask;
        sigaddset(&m, WAKE_SIG);
        pthread_sigmask(SIG_SETMASK, &m, NULL);
    }
}

static _Noreturn void exec_worker(pr_plat *p, sim_punit *u) {
    char spec[256];
    snprintf(spec, sizeof spec, "%d:%" PRIxPTR ":%zx:%zx:%" PRIxPTR, p->memfd, (uintptr_t)p->map, p->map_size,
             p->priv_size, (uintptr_t)u);
    fcntl(p->memfd, F_SETFD, 0);   /* the worker maps it */
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    execl(p->worker_exe, u->name, "__worker", spec, (char *)NULL);
    atomic_store(&u->exec_errno, errno ? errno : ENOEXEC);
    _exit(127);
}

/* The body of a unit's process, from the fork (or the attach) to its exit. */
static _Noreturn void process_main(pr_plat *p, sim_punit *u) {
    u->entry(u->arg);
    /* a process waits for its threads before it exits, as Python's does */
    for (uint32_t h; (h = atomic_load(&u->hosted)) != 0;) fx_wait(&u->hosted, h, 0);
    atomic_store(&u->returned, 1);
    _exit(atomic_load(&u->code) & 255);
}

static _Noreturn void child_main(pr_plat *p, sim_punit *u, bool twice, const sigset_t *mask) {
    int32_t me = (int32_t)getpid();
    atomic_store(&u->pid, me);
    atomic_store(&u->tid, me);
    if (twice) {
        /* the middle process is exiting: then main (a subreaper) is our parent */
        while (getppid() != p->main_pid) {
            if (getppid() == 1) _exit(127);
            sched_yield();
        }
    }
    child_setup(p, u, mask);
    if (u->start == SIM_START_SPAWN) exec_worker(p, u);
    process_main(p, u);
}

static void *thread_main(void *arg) {
    sim_punit *u = arg;
    atomic_store(&u->tid, (int32_t)gettid());
    pthread_setname_np(pthread_self(), u->name);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, WAKE_SIG);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    u->entry(u->arg);
    atomic_store(&u->returned, 1);
    u->t_end = clk_mono_ns();
    atomic_store(&u->state, PU_ENDED);
    fx_wake(&u->state, INT_MAX);
    _Atomic uint32_t *hosted = u->host ? &u->host->hosted : NULL;
    if (hosted && atomic_fetch_sub(hosted, 1) == 1) fx_wake(hosted, INT_MAX);
    return NULL;
}

static int launch_thread(pr_plat *p, sim_punit *by, sim_punit *u, diag *d) {
    u->host = by == &p->main ? NULL : by;
    atomic_store(&u->pid, (int32_t)getpid());
    if (u->host) atomic_fetch_add(&u->host->hosted, 1);
    atomic_store(&u->state, PU_LAUNCHED);
    /* the wake signal needs its handler in this process */
    struct sigaction old;
    if (sigaction(WAKE_SIG, NULL, &old) == 0 && old.sa_handler != on_wake_sig) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_wake_sig;
        sigemptyset(&sa.sa_mask);
        sigaction(WAKE_SIG, &sa, NULL);
    }
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, 256 * 1024);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    int e = thread_start(&u->thread, &ta, thread_main, u);
    pthread_attr_destroy(&ta);
    if (e) {
        atomic_store(&u->state, PU_PREPARED);
        if (u->host) atomic_fetch_sub(&u->host->hosted, 1);
        return diag_set(d, ERR_LIMIT, "cannot create the thread of %s: %s", u->name, strerror(e));
    }
    return 0;
}

static int pr_unit_launch(sim_plat *pl, sim_punit *by, sim_punit *u, diag *d) {
    pr_plat *p = (pr_plat *)pl;
    if (atomic_load(&u->state) != PU_PREPARED) BUG("unit %s launched twice", u->name);
    if (u->kind == SIM_PU_THREAD) return launch_thread(p, by, u, d);
    if (u->start == SIM_START_SPAWN && !p->worker_exe[0])
        return diag_set(d, ERR_UNSUPPORTED, "%s: start_method spawn needs the weft executable to exec, and this run "
                        "was given none", u->name);
    atomic_store(&u->state, PU_LAUNCHED);
    bool from_main = getpid() == p->main_pid;
    /* the new process starts with every signal blocked until child_setup has set its own dispositions */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (from_main) {
        pid_t c = fork();
        if (c < 0) {
            int e = errno;
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            atomic_store(&u->state, PU_PREPARED);
            fx_wake(&u->state, INT_MAX);
            return diag_set(d, ERR_LIMIT, "cannot fork the process of %s: %s", u->name, strerror(e));
        }
        if (c == 0) child_main(p, u, false, &old);
        atomic_store(&u->pid, (int32_t)c);
    } else {
        /* forked twice: the grandchild, a copy of this process, is adopted by main */
        pid_t mid = fork();
        if (mid < 0) {
            int e = errno;
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            atomic_store(&u->state, PU_PREPARED);
            fx_wake(&u->state, INT_MAX);
            return diag_set(d, ERR_LIMIT, "cannot fork the process of %s: %s", u->name, strerror(e));
        }
        if (mid == 0) {
            pid_t c = fork();
            if (c < 0) _exit(1);
            if (c == 0) child_main(p, u, true, &old);
            atomic_store(&u->pid, (int32_t)c);
            _exit(0);
        }
        int st = 0;
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            atomic_store(&u->state, PU_PREPARED);
            fx_wake(&u->state, INT_MAX);
            return diag_set(d, ERR_LIMIT, "cannot fork the process of %s", u->name);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    atomic_fetch_add(&p->launch_seq, 1);
    fx_wake(&p->launch_seq, INT_MAX);
    return 0;
}

static void pr_unit_ids(sim_plat *pl, const sim_punit *u, int32_t *pid, int32_t *tid) {
    (void)pl;
    *pid = atomic_load(&u->pid);
    *tid = atomic_load(&u->tid);
}

static void pr_unit_join(sim_plat *pl, sim_punit *u) {
    pr_plat *p = (pr_plat *)pl;
    if (!u || atomic_load(&u->state) == PU_PREPARED) return;   /* never launched */
    uint64_t t0 = clk_mono_ns();
    bool killed = false;
    for (uint32_t s; (s = atomic_load(&u->state)) != PU_ENDED;) {
        uint64_t now = clk_mono_ns();
        if (!killed && now - t0 > GRACE_NS) {
            /* stuck past the run's end (in a call weft does not control): killed, then reaped */
            killed = true;
            sim_punit *victim = u->kind == SIM_PU_THREAD ? u->host : u;
            int32_t vp = victim ? atomic_load(&victim->pid) : 0;
            if (vp > 0 && vp != p->main_pid) kill(vp, SIGKILL);
        }
        if (killed && now - t0 > GRACE_NS + GIVE_UP_NS) return;
        fx_wait(&u->state, s, now + 100000000ull);
    }
}

static bool pr_unit_alive(sim_plat *pl, const sim_punit *u) {
    (void)pl;
    return !(atomic_load(&u->state) == PU_ENDED && !atomic_load(&u->returned));
}

static bool pr_unit_signal(sim_plat *pl, sim_punit *u, int sig) {
    pr_plat *p = (pr_plat *)pl;
    if (u->kind != SIM_PU_PROCESS) return false;
    /* launched but its pid not known yet (the fork is under way): the signal is for that process */
    int32_t pid = 0;
    uint32_t st;
    while ((st = atomic_load(&u->state)) == PU_LAUNCHED && (pid = atomic_load(&u->pid)) <= 0) sched_yield();
    if (st != PU_LAUNCHED) return false;
    return pid > 0 && pid != p->main_pid && kill(pid, sig) == 0;   /* never weft itself */
}

static void pr_unit_status(sim_plat *pl, const sim_punit *u, int *code, int *sig, uint64_t *when) {
    (void)pl;
    bool ended = u->t_end != 0;   /* set (with the status) before on_end, then PU_ENDED */
    *code = ended ? u->exit_code : 0;
    *sig = ended ? u->sig : 0;
    *when = ended ? u->t_end : 0;
}

static void pr_unit_exit_code(sim_plat *pl, sim_punit *self, int code) {
    (void)pl;
    atomic_store(&self->code, code);
}

/* The kernel's sigaction: SIG_DFL set under the sanitizers' own handlers. */
struct k_sigaction { void *handler; unsigned long flags; void *restorer; uint64_t mask; };

static void pr_unit_crash(sim_plat *pl, sim_punit *self, int sig) {
    (void)pl;
    (void)self;
    struct k_sigaction dfl = { 0 };
    syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), sig);
    syscall(SYS_kill, getpid(), SIGKILL);
    _exit(128 + sig);
}

/* ---- monitors ---------------------------------------------------------------------- */

static sim_mon *pr_mon_new(sim_plat *pl, unsigned nchan) {
    if (nchan > SIM_MON_MAX_CHANNELS) return NULL;
    sim_mon *m = pr_alloc(pl, sizeof *m + nchan * sizeof m->ch[0]);
    if (!m) return NULL;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m->mu, &a);
    pthread_mutexattr_destroy(&a);
    m->nchan = nchan;
    return m;
}

static void pr_mon_free(sim_plat *p, sim_mon *m) {
    /* a process-shared mutex holds nothing outside the mapping, which goes with the run */
    (void)p;
    (void)m;
}

static void pr_mon_lock(sim_plat *p, sim_punit *self, sim_mon *m) {
    (void)p;
    (void)self;
    int e = pthread_mutex_lock(&m->mu);
    if (e == EOWNERDEAD) e = pthread_mutex_consistent(&m->mu);   /* its holder died: the object code keeps it whole */
    if (e) BUG("pthread_mutex_lock: %s", strerror(e));
}

static void pr_mon_unlock(sim_plat *p, sim_punit *self, sim_mon *m) {
    (void)p;
    (void)self;
    int e = pthread_mutex_unlock(&m->mu);
    if (e) BUG("pthread_mutex_unlock: %s", strerror(e));
}

static int pr_mon_wait(sim_plat *p, sim_punit *self, sim_mon *m, unsigned ch, uint64_t deadline) {
    if (ch >= m->nchan) BUG("wait on channel %u of a monitor with %u", ch, m->nchan);
    pr_chan *c = &m->ch[ch];
    uint32_t seq = atomic_load(&c->seq);
    atomic_fetch_add(&c->waiters, 1);
    pr_mon_unlock(p, self, m);
    fx_wait(&c->seq, seq, deadline);
    pr_mon_lock(p, self, m);
    atomic_fetch_sub(&c->waiters, 1);
    return deadline && clk_mono_ns() >= deadline;
}

static void signal_waiter(sim_punit *w) {
    int32_t pid = atomic_load(&w->pid), tid = atomic_load(&w->tid);
    if (pid > 0 && tid > 0) syscall(SYS_tgkill, pid, tid, WAKE_SIG);
}

static void pr_mon_wake(sim_plat *p, sim_mon *m, unsigned ch, bool all) {
    (void)p;
    if (ch != SIM_MON_EVERY && ch >= m->nchan) BUG("wake on channel %u of a monitor with %u", ch, m->nchan);
    unsigned lo = ch == SIM_MON_EVERY ? 0 : ch, hi = ch == SIM_MON_EVERY ? m->nchan : ch + 1;
    for (unsigned i = lo; i < hi; i++) {
        pr_chan *c = &m->ch[i];
        if (!atomic_load(&c->waiters)) continue;
        atomic_fetch_add(&c->seq, 1);
        fx_wake(&c->seq, all || ch == SIM_MON_EVERY ? INT_MAX : 1);
    }
    for (sim_punit *w = m->fdw; w; w = w->fdw_next)
        if (ch == SIM_MON_EVERY || w->fdw_ch == ch) signal_waiter(w);
}

static int pr_fd_wait(sim_plat *p, sim_punit *self, sim_mon *m, unsigned ch, int fd, short events, uint64_t deadline) {
    if (ch >= m->nchan) BUG("fd wait on channel %u of a monitor with %u", ch, m->nchan);
    self->fdw_ch = ch;
    self->fdw_next = m->fdw;
    m->fdw = self;
    pr_mon_unlock(p, self, m);
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
    pr_mon_lock(p, self, m);
    for (sim_punit **pp = &m->fdw; *pp; pp = &(*pp)->fdw_next)
        if (*pp == self) { *pp = self->fdw_next; break; }
    self->fdw_next = NULL;
    return deadline && clk_mono_ns() >= deadline;
}

/* ---- time and the processor --------------------------------------------------------- */

static uint64_t pr_now(sim_plat *p) {
    (void)p;
    return clk_mono_ns();
}

static const _Atomic uint64_t *pr_clock_source(sim_plat *p) {
    (void)p;
    return NULL;
}

static uint64_t pr_compute(sim_plat *p, sim_punit *self, sim_mon *own, uint64_t ns, const _Atomic int *halt) {
    (void)p;
    (void)self;
    (void)own;
    return sim_burn(ns, halt);
}

static void pr_yield(sim_plat *p, sim_punit *self) {
    (void)p;
    (void)self;
    sched_yield();
}

static void pr_spin(sim_plat *p, sim_punit *self) {
    (void)p;
    (void)self;
}

/* ---- the spawned worker ------------------------------------------------------------- */

int sim_plat_procs_worker(const char *spec, void (*entry)(void *arg), diag *d) {
    int fd;
    uintptr_t addr, uaddr;
    size_t size, psize;
    if (sscanf(spec, "%d:%" SCNxPTR ":%zx:%zx:%" SCNxPTR, &fd, &addr, &size, &psize, &uaddr) != 5)
        return diag_set(d, ERR_USAGE, "not a worker's attach spec: '%s'", spec);
    char *base = (char *)addr;
    if (mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0) != base)
        return diag_set(d, ERR_RUNTIME, "cannot map the run's shared memory at %p in the spawned process: %s",
                        (void *)base, strerror(errno));
    if (mmap(base + size, psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
        base + size) {
        int e = errno;
        munmap(base, size);
        return diag_set(d, ERR_RUNTIME, "cannot map the run's private memory in the spawned process: %s", strerror(e));
    }
    close(fd);
    pr_plat *p = (pr_plat *)base;
    pr_priv *pv = (pr_priv *)(base + size);
    pv->ops = sim_plat_procs;   /* this process's own functions, where the runtime looks for them */
    pv->used = round_up(sizeof *pv, 64);
    sim_punit *u = (sim_punit *)uaddr;
    if ((char *)u < base || (char *)u + sizeof *u > base + size)
        return diag_set(d, ERR_USAGE, "the worker's unit is not in the run's memory");
    if (getppid() != p->main_pid) return diag_set(d, ERR_RUNTIME, "the run that spawned this worker has ended");
    child_setup(p, u, NULL);
    u->entry = entry;   /* this process's */
    process_main(p, u);
}
const sim_plat_ops sim_plat_procs = {
    .name = "processes",
    .cooperative = false,
    .create = pr_create,
    .destroy = pr_destroy,
    .alloc = pr_alloc,
    .resize = pr_resize,
    .release = pr_release,
    .main_unit = pr_main_unit,
    .unit_start = pr_unit_start,
    .unit_ids = pr_unit_ids,
    .unit_join = pr_unit_join,
    .unit_alive = pr_unit_alive,
    .mon_new = pr_mon_new,
    .mon_free = pr_mon_free,
    .mon_lock = pr_mon_lock,
    .mon_unlock = pr_mon_unlock,
    .mon_wait = pr_mon_wait,
    .mon_wake = pr_mon_wake,
    .now = pr_now,
    .clock_source = pr_clock_source,
    .compute = pr_compute,
    .yield = pr_yield,
    .spin = pr_spin,
    .fd_wait = pr_fd_wait,
    .unit_launch = pr_unit_launch,
    .unit_signal = pr_unit_signal,
    .unit_status = pr_unit_status,
    .unit_exit_code = pr_unit_exit_code,
    .unit_crash = pr_unit_crash,
    .alloc_private = pr_alloc_private,
    .prefault = pr_prefault,
};
