/* The coroutines platform's process units: a process pool's workers
 * (run_in_executor on a ProcessPoolExecutor). Such a run has its memory in
 * one shared mapping (sim_plat_coro_mem.c), its monitors' mutexes and its
 * units' condition variables process-shared, so a worker process waits and
 * wakes exactly as an executor thread does: on its own condition variable,
 * and a task it wakes goes through its loop's inbox (a shared list and the
 * loop's eventfd, inherited by the fork).
 *
 *   start    fork() from the caller's thread (main, when the run's units are
 *            made, before the others: the loops are idle then), at once: the
 *            runtime makes the unit wait for the run's start on its own
 *            monitor. The child takes the parent-death signal (SIGKILL: no
 *            worker outlives weft, even one killed with SIGKILL), ignores
 *            SIGINT (main ends the run) and SIGPIPE, runs entry(arg), counts
 *            itself out and _exits (no atexit handler, no stdio buffer of the
 *            parent flushed twice)
 *   alive    its entry returned, or the process is still there (waitid
 *            without reaping): a worker killed from outside is seen at once
 *   join     reaps it: the runtime halted it first, so it ends at once; one
 *            that does not within GRACE_NS is killed (SIGKILL) and reaped
 *
 * An event loop in a process of its own (own_loop=process) is forked the
 * same way when its first task is started, and runs the loop
 * (co_loop_main) on the child's main thread: its tasks are fibers of that
 * process, made there (a task started from another process goes through the
 * loop's start list, as one from another thread does). The loop ends once it
 * is closed and its tasks are gone; close reaps it as join reaps a unit.
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#include "sim/sim_plat_coro_internal.h"
#include "sim/sim.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_NS 2000000000ull

static void child_main(co_plat *p, sim_punit *u, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);   /* weft is gone already */
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit nocore = { 0, 0 };
    setrlimit(RLIMIT_CORE, &nocore);
    char name[16];
    snprintf(name, sizeof name, "%.15s", u->name);
    prctl(PR_SET_NAME, name);
    atomic_store(&u->tid, (int32_t)getpid());
    u->entry(u->arg);
    atomic_store(&u->done, 1);
    if (co_active_sub_one(p)) co_poke_main(p);
    _exit(0);
}

int co_proc_start(co_plat *p, sim_punit *u, diag *d) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return diag_set(d, ERR_LIMIT, "cannot fork the process of %s: %s", u->name, strerror(errno));
    if (pid == 0) child_main(p, u, parent);   /* never returns */
    atomic_store(&u->pid, (int32_t)pid);
    atomic_store(&u->tid, (int32_t)pid);
    return 0;
}

bool co_proc_alive(const sim_punit *u) {
    if (atomic_load(&u->done)) return true;   /* its entry returned: it ends as it should */
    if (atomic_load(&u->reaped)) return false;
    siginfo_t si = { 0 };
    if (waitid(P_PID, (id_t)atomic_load(&u->pid), &si, WEXITED | WNOHANG | WNOWAIT)) return errno == EINTR;
    return si.si_pid == 0 || atomic_load(&u->done);   /* ended: alive only if its entry returned */
}

static void reap(pid_t pid) {
    uint64_t t0 = clk_mono_ns();
    bool killed = false;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, killed ? 0 : WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) break;
        if (r < 0 && errno == EINTR) continue;
        if (!killed && clk_mono_ns() - t0 > GRACE_NS) {
            kill(pid, SIGKILL);
            killed = true;
            continue;
        }
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
}

void co_proc_join(sim_punit *u) {
    pid_t pid = (pid_t)atomic_load(&u->pid);
    if (pid <= 0 || atomic_load(&u->reaped)) return;
    reap(pid);
    atomic_store(&u->reaped, 1);
}

/* A loop in a process of its own: the child runs the loop on its main thread until the
 * loop is closed and its tasks are gone, then _exits. Forked from main (the runtime
 * starts such loops' tasks first, while the other loops are idle). */
int co_loop_proc_start(co_loop *l, diag *d) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return diag_set(d, ERR_LIMIT, "cannot fork the process of event loop %u: %s", l->index, strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        struct rlimit nocore = { 0, 0 };
        setrlimit(RLIMIT_CORE, &nocore);
        atomic_store(&l->pid, (int32_t)getpid());
        co_loop_main(l);
        _exit(0);
    }
    atomic_store(&l->pid, (int32_t)pid);
    l->has_thread = false;
    return 0;
}

void co_loop_proc_join(co_loop *l) {
    pid_t pid = (pid_t)atomic_load(&l->pid);
    if (pid > 0) reap(pid);
    atomic_store(&l->pid, 0);
}
