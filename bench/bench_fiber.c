/* Fiber figures: the context switch round trip and the memory of idle fibers.
 * Prints figures; asserts nothing.
 *
 *   bench_fiber [round-trips-per-trial] [idle-fibers]
 *
 * Round trip (resume a fiber, it yields back), side by side in one run:
 *   - call:        an indirect call through a volatile function pointer (the floor)
 *   - fiber:       sim_fiber_resume + sim_fiber_yield (our switch, twice)
 *   - own FP env:  the same with a fiber created with own_fp_env (its MXCSR
 *                  and x87 control word, or FPCR, saved and loaded in C at
 *                  each switch: what the opt-in costs)
 *   - bare switch: the assembly switch alone (sim__fiber_jump there and back,
 *                  none of the library's bookkeeping: the bare minimum a
 *                  switch of callee-saved registers costs here; x86-64 only)
 *   - swapcontext: the same ping-pong with ucontext (glibc saves the signal
 *                  mask with a sigprocmask system call at each switch)
 * Trials alternate between the three; medians and minimums of 9 trials. Times
 * are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: system time included,
 * time spent preempted by other processes not), so that a shared machine
 * does not inflate them; the wall-clock medians are printed too.
 *
 * Memory: resident set before and after creating N fibers (default 10,000,
 * default 64 KiB stacks) and running each to its first yield, per fiber; then
 * the same for pthreads blocked on a condition variable (1,000 of them, default
 * attributes) as an anchor. Also the cost of creating and destroying a fiber
 * whose stack is reused. */
#include "sim/sim_plat_fiber.h"
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#define TRIALS 9

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One trial's figures: ns per round trip in CPU time and in wall time. */
typedef struct fig { double cpu, wall; } fig;
#define TIMED(n, body) do { uint64_t c0_ = cpu_ns(), w0_ = clk_mono_ns(); body; \
    out.cpu = (double)(cpu_ns() - c0_) / (double)(n); out.wall = (double)(clk_mono_ns() - w0_) / (double)(n); } while (0)

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

//~ the floor: an indirect call

static void nothing(void) {
    __asm__ __volatile__("" ::: "memory");
}
static void (*volatile call_target)(void) = nothing;

static fig time_calls(uint64_t n) {
    fig out;
    TIMED(n, for (uint64_t i = 0; i < n; i++) call_target());
    return out;
}

//~ our fibers

static void *ping(sim_fiber *self, void *first) {
    for (;;) sim_fiber_yield(NULL, NULL);
    return NULL;
}

static fig time_fiber(sim_fiber *f, uint64_t n) {
    fig out;
    TIMED(n, for (uint64_t i = 0; i < n; i++) sim_fiber_resume(f, NULL, NULL));
    return out;
}

//~ the bare minimum: the assembly switch alone

#if defined(__x86_64__) && defined(__ELF__) && !defined(SIM_FIBER_UCONTEXT)
#define HAVE_BARE 1
/* The assembly's own entry points (sim_plat_fiber_x86_64.S; hidden, linked
 * statically). Its first frame, from the saved stack pointer up: r15 r14 r13
 * r12 rbx rbp, return address; the trampoline calls r13(r12). */
int sim__fiber_jump(void **save_sp, void *to_sp);
void sim__fiber_trampoline(void);
static void *bare_main_sp, *bare_other_sp;
static _Alignas(16) char bare_stack[64 * 1024];

static void bare_ping(void *arg) {
    (void)arg;
    for (;;) sim__fiber_jump(&bare_other_sp, bare_main_sp);
}

static void bare_init(void) {
    uint64_t *sp = (uint64_t *)(void *)(bare_stack + sizeof bare_stack) - 7;
    memset(sp, 0, 7 * sizeof *sp);
    sp[2] = (uint64_t)(uintptr_t)bare_ping;
    sp[6] = (uint64_t)(uintptr_t)sim__fiber_trampoline;
    bare_other_sp = sp;
}

static fig time_bare(uint64_t n) {
    fig out;
    TIMED(n, for (uint64_t i = 0; i < n; i++) sim__fiber_jump(&bare_main_sp, bare_other_sp));
    return out;
}
#else
static void bare_init(void) {}
static fig time_bare(uint64_t n) { (void)n; return (fig){ 0, 0 }; }
#endif

//~ swapcontext

static ucontext_t uc_main, uc_other;

static void uc_ping(void) {
    for (;;) swapcontext(&uc_other, &uc_main);
}

static fig time_swapcontext(uint64_t n) {
    fig out;
    TIMED(n, for (uint64_t i = 0; i < n; i++) swapcontext(&uc_main, &uc_other));
    return out;
}

//~ memory

static long resident_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, res = 0;
    int ok = fscanf(f, "%ld %ld", &size, &res) == 2;
    fclose(f);
    return ok ? res * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

static pthread_mutex_t idle_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle_ready, idle_go;

static void *idle_thread(void *arg) {
    pthread_mutex_lock(&idle_mu);
    idle_ready++;
    pthread_cond_broadcast(&idle_cv);
    while (!idle_go) pthread_cond_wait(&idle_cv, &idle_mu);
    pthread_mutex_unlock(&idle_mu);
    return NULL;
}

static double idle_threads_kib(int n) {
    pthread_t *t = calloc((size_t)n, sizeof *t);
    long before = resident_kib();
    int made = 0;
    for (; made < n; made++)
        if (pthread_create(&t[made], NULL, idle_thread, NULL) != 0) break;
    pthread_mutex_lock(&idle_mu);
    while (idle_ready < made) pthread_cond_wait(&idle_cv, &idle_mu);
    pthread_mutex_unlock(&idle_mu);
    long after = resident_kib();
    pthread_mutex_lock(&idle_mu);
    idle_go = 1;
    pthread_cond_broadcast(&idle_cv);
    pthread_mutex_unlock(&idle_mu);
    for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
    free(t);
    return made ? (double)(after - before) / made : 0;
}

static void *idle_fiber(sim_fiber *self, void *first) {
    sim_fiber_yield(NULL, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
    int nidle = argc > 2 ? atoi(argv[2]) : 10000;
    if (n == 0 || nidle <= 0) {
        fprintf(stderr, "usage: bench_fiber [round-trips-per-trial] [idle-fibers]\n");
        return 2;
    }
    char load[64] = "?";
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) { if (!fgets(load, sizeof load, lf)) load[0] = '\0'; fclose(lf); load[strcspn(load, "\n")] = '\0'; }
    printf("bench_fiber: switch %s, %llu round trips per trial, %d trials; load average %s\n",
           sim_fiber_backend(), (unsigned long long)n, TRIALS, load);

    //- round trips
    sim_fiber *f = NULL;
    int rc = sim_fiber_create(&f, &(sim_fiber_desc){ .fn = ping, .name = "ping",
                                                     .check_every_switch = SIM_FIBER_CHECK_OFF });
    if (rc) { fprintf(stderr, "bench_fiber: cannot create a fiber: %s\n", sim_fiber_result_str(rc)); return 1; }
    static char uc_stack[64 * 1024];
    getcontext(&uc_other);
    uc_other.uc_stack.ss_sp = uc_stack;
    uc_other.uc_stack.ss_size = sizeof uc_stack;
    uc_other.uc_link = NULL;
    makecontext(&uc_other, uc_ping, 0);

    bare_init();
    double call[TRIALS], fib[TRIALS], swc[TRIALS], callw[TRIALS], fibw[TRIALS], swcw[TRIALS];
    double bare[TRIALS], barew[TRIALS], own[TRIALS], ownw[TRIALS];
    sim_fiber *fo = NULL;
    rc = sim_fiber_create(&fo, &(sim_fiber_desc){ .fn = ping, .name = "ping-fp", .own_fp_env = true,
                                                  .check_every_switch = SIM_FIBER_CHECK_OFF });
    if (rc) { fprintf(stderr, "bench_fiber: cannot create a fiber: %s\n", sim_fiber_result_str(rc)); return 1; }
    time_calls(n / 10); time_fiber(f, n / 10); time_fiber(fo, n / 10); time_bare(n / 10); time_swapcontext(n / 1000);   /* warm up */
    for (int t = 0; t < TRIALS; t++) {
        fig a = time_calls(n), b = time_fiber(f, n), e = time_fiber(fo, n), d = time_bare(n);
        fig c = time_swapcontext(n / 100);  /* a system call each */
        call[t] = a.cpu; fib[t] = b.cpu; swc[t] = c.cpu; bare[t] = d.cpu; own[t] = e.cpu;
        callw[t] = a.wall; fibw[t] = b.wall; swcw[t] = c.wall; barew[t] = d.wall; ownw[t] = e.wall;
    }
    sim_fiber_destroy(fo);
    double *all[10] = { call, fib, swc, callw, fibw, swcw, bare, barew, own, ownw };
    for (int i = 0; i < 10; i++) qsort(all[i], TRIALS, sizeof *all[i], cmp_d);
    const int m = TRIALS / 2;
    printf("\nround trip (ns)     cpu median  cpu min   x call  wall median\n");
    printf("  indirect call       %8.2f %8.2f %8.1f %10.2f\n", call[m], call[0], 1.0, callw[m]);
    printf("  fiber resume+yield  %8.2f %8.2f %8.1f %10.2f\n", fib[m], fib[0], fib[m] / call[m], fibw[m]);
    printf("  own FP env          %8.2f %8.2f %8.1f %10.2f\n", own[m], own[0], own[m] / call[m], ownw[m]);
#if defined(HAVE_BARE)
    printf("  bare switch x2      %8.2f %8.2f %8.1f %10.2f\n", bare[m], bare[0], bare[m] / call[m], barew[m]);
#endif
    printf("  swapcontext x2      %8.2f %8.2f %8.1f %10.2f\n", swc[m], swc[0], swc[m] / call[m], swcw[m]);
    printf("  fiber is %.0fx faster than swapcontext\n", swc[m] / fib[m]);

    //- create + destroy with a reused stack
    double cd[TRIALS];
    for (int t = 0; t < TRIALS; t++) {
        int reps = 20000;
        uint64_t t0 = clk_mono_ns();
        for (int i = 0; i < reps; i++) {
            sim_fiber *g = NULL;
            if (sim_fiber_create(&g, &(sim_fiber_desc){ .fn = idle_fiber }) != 0) return 1;
            sim_fiber_resume(g, NULL, NULL);
            sim_fiber_resume(g, NULL, NULL);
            sim_fiber_destroy(g);
        }
        cd[t] = (double)(clk_mono_ns() - t0) / reps;
    }
    qsort(cd, TRIALS, sizeof *cd, cmp_d);
    printf("\ncreate + run to the end + destroy (stack reused): median %.0f ns, min %.0f ns\n", cd[TRIALS / 2], cd[0]);
    sim_fiber_destroy(f);

    //- memory
    sim_fiber_pool *pool = NULL;
    if (sim_fiber_pool_create(&pool, NULL) != 0) return 1;
    sim_fiber **idle = calloc((size_t)nidle, sizeof *idle);
    long before = resident_kib();
    uint64_t t0 = clk_mono_ns();
    for (int i = 0; i < nidle; i++) {
        char name[32];
        snprintf(name, sizeof name, "idle-%d", i);
        rc = sim_fiber_create(&idle[i], &(sim_fiber_desc){ .fn = idle_fiber, .name = name, .pool = pool });
        if (rc) { fprintf(stderr, "bench_fiber: fiber %d: %s\n", i, sim_fiber_result_str(rc)); return 1; }
    }
    uint64_t t1 = clk_mono_ns();
    long created = resident_kib();
    for (int i = 0; i < nidle; i++) sim_fiber_resume(idle[i], NULL, NULL);
    uint64_t t2 = clk_mono_ns();
    long started = resident_kib();
    sim_fiber_pool_stats st;
    sim_fiber_pool_get_stats(pool, &st);
    printf("\n%d idle fibers, 64 KiB stacks (address space reserved: %zu MiB in %zu mappings)\n",
           nidle, st.reserved >> 20, st.reservations);
    printf("  created:              %6.2f KiB resident per fiber (%.2f us each)\n",
           (double)(created - before) / nidle, (double)(t1 - t0) / nidle / 1000);
    printf("  started, at a yield:  %6.2f KiB resident per fiber (first run %.2f us each)\n",
           (double)(started - before) / nidle, (double)(t2 - t1) / nidle / 1000);
    for (int i = 0; i < nidle; i++) { sim_fiber_resume(idle[i], NULL, NULL); sim_fiber_destroy(idle[i]); }
    free(idle);
    sim_fiber_pool_destroy(pool);

    int nthreads = nidle < 1000 ? nidle : 1000;
    printf("  anchor: %d idle pthreads: %6.2f KiB resident per thread\n", nthreads, idle_threads_kib(nthreads));
    return 0;
}
