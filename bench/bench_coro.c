/* Coroutines backend figures, side by side in one run. Prints; asserts nothing.
 *
 *   bench_coro [hand-overs] [idle-tasks]          (defaults 1,000,000 and 10,000)
 *
 *  1. Switching: the bare fiber round trip (resume + yield: our switch twice)
 *     against a hand-over between two tasks through their event loop (a task
 *     yields, the loop takes the next one off its ready list and resumes it:
 *     two switches and the list), and asyncio's hand-over (asyncio.sleep(0)
 *     between two tasks) in python3 on the same machine. CPU time of the thread
 *     that runs them, medians of 5 trials.
 *  2. A loop iteration: one task yielding alone, so every hand-over is a whole
 *     tick (inbox, deadlines, the tick, the resume); and `sleep 0` in a
 *     scenario run through the whole runtime, recorded (four events a tick).
 *  3. Memory per idle task: N tasks parked for good, platform alone; the same
 *     through the runtime, recorded (each unit has its recorder ring and
 *     record); N pthreads parked on a condition variable (the anchor); asyncio
 *     tasks awaiting an Event in python3.
 *  4. Scenarios 24 (gather vs sequential) and 25 (semaphore waves and rate
 *     limiters) in weft, real clock, and the same workloads in asyncio: at
 *     their bundled unit (the sleeps dominate: makespans should agree) and at a
 *     unit 100 times smaller (where each one's own overhead shows).
 * `uptime` is printed first: the machine is shared; compare within one run. */
#include "sim/sim.h"
#include "sim/sim_platform.h"
#include "sim/sim_plat_fiber.h"
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WEFT_SOURCE_DIR
#define WEFT_SOURCE_DIR "."
#endif

static const sim_plat_ops *ops = &sim_plat_coro;

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

/* ---- 1 and 2: switching and ticks ---------------------------------------------------------- */

static void *bare_fn(sim_fiber *self, void *first) {
    (void)self;
    (void)first;
    for (;;) sim_fiber_yield(NULL, NULL);
    return NULL;
}

static double bare_round_trip(uint64_t n) {
    sim_fiber *f;
    if (sim_fiber_create(&f, &(sim_fiber_desc){ .fn = bare_fn })) return -1;
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) sim_fiber_resume(f, NULL, NULL);
    double r = (double)(cpu_ns() - t0) / (double)n;
    sim_fiber_destroy(f);
    return r;
}

typedef struct yielder { sim_plat *p; sim_punit *pu; uint64_t n; uint64_t cpu; } yielder;

static void yield_loop(void *arg) {
    yielder *y = arg;
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < y->n; i++) ops->yield(y->p, y->pu);
    y->cpu = cpu_ns() - t0;
}

/* k tasks on one loop, each yielding n times: CPU ns per hand-over (the loop's thread). */
static double hand_overs(int k, uint64_t n) {
    sim_plat *p;
    diag d;
    if (ops->create(&p, &(sim_plat_desc){ .loops = 1 }, &d)) return -1;
    yielder y[8] = { 0 };
    for (int i = 0; i < k; i++) {
        y[i] = (yielder){ .p = p, .n = n };
        if (ops->unit_start(p, &y[i].pu, &(sim_unit_start){ .entry = yield_loop, .arg = &y[i], .name = "y", .loop = 0 }, &d))
            return -1;
    }
    for (int i = 0; i < k; i++) ops->unit_join(p, y[i].pu);
    ops->destroy(p);
    /* every task's CPU clock is the loop thread's: the last one to finish saw (nearly) all of it */
    uint64_t most = 0;
    for (int i = 0; i < k; i++) if (y[i].cpu > most) most = y[i].cpu;
    return (double)most / (double)(n * (uint64_t)k);
}

/* A scenario through the whole runtime (real clock, recorded): wall ns of its run. */
static uint64_t run_scenario(const char *path_or_text, bool is_text, const sim_define *defs, uint32_t ndefs,
                             bool virtual_clock, uint32_t *end) {
    diag d;
    diag_clear(&d);
    sim_program *prog;
    int rc = is_text ? sim_parse(&prog, "bench.scn", path_or_text, defs, ndefs, &d)
                     : sim_parse_file(&prog, path_or_text, defs, ndefs, &d);
    if (rc) { fprintf(stderr, "bench_coro: %s:%d:%d: %s\n", path_or_text, d.line, d.col, d.msg); return 0; }
    char out[64];
    snprintf(out, sizeof out, "/tmp/bench_coro_%d.weft", (int)getpid());
    sim_result res;
    rc = sim_run(&res, prog, &(sim_desc){ .out_path = out, .virtual_clock = virtual_clock }, &d);
    sim_program_free(prog);
    unlink(out);
    if (rc) { fprintf(stderr, "bench_coro: %s\n", d.msg); return 0; }
    if (end) *end = res.end_reason;
    return res.wall_ns;
}

/* ---- 3: memory --------------------------------------------------------------------------------- */

typedef struct parked { sim_plat *p; sim_punit *pu; sim_mon *m; _Atomic int *go; } parked;

static void park_forever(void *arg) {
    parked *k = arg;
    ops->mon_lock(k->p, k->pu, k->m);
    while (!atomic_load(k->go)) ops->mon_wait(k->p, k->pu, k->m, 0, 0);
    ops->mon_unlock(k->p, k->pu, k->m);
}

static double platform_bytes_per_task(int n) {
    sim_plat *p;
    diag d;
    if (ops->create(&p, &(sim_plat_desc){ .loops = 1 }, &d)) return -1;
    _Atomic int go = 0;
    sim_mon *m = ops->mon_new(p, 1);
    parked *k = calloc((size_t)n, sizeof *k);
    long before = rss_kib();
    for (int i = 0; i < n; i++) {
        k[i] = (parked){ .p = p, .m = m, .go = &go };
        if (ops->unit_start(p, &k[i].pu, &(sim_unit_start){ .entry = park_forever, .arg = &k[i], .name = "idle" }, &d)) {
            n = i;
            break;
        }
    }
    while (!ops->quiet(p)) usleep(1000);   /* every task parked */
    long after = rss_kib();
    sim_punit *self = ops->main_unit(p);
    ops->mon_lock(p, self, m);
    atomic_store(&go, 1);
    ops->mon_wake(p, m, 0, true);
    ops->mon_unlock(p, self, m);
    for (int i = 0; i < n; i++) ops->unit_join(p, k[i].pu);
    ops->mon_free(p, m);
    ops->destroy(p);
    free(k);
    return (double)(after - before) * 1024.0 / n;
}

typedef struct run_arg { const char *text; uint64_t wall; _Atomic int done; } run_arg;
static void *run_thread(void *arg) {
    run_arg *a = arg;
    a->wall = run_scenario(a->text, true, NULL, 0, false, NULL);
    atomic_store(&a->done, 1);
    return NULL;
}

/* n tasks parked on an event, through the runtime and the recorder: the highest resident
 * set sampled while the run goes on (every task made and parked), less the one before. */
static double runtime_bytes_per_task(int n) {
    char text[256];
    snprintf(text, sizeof text, "backend coroutines\nevent go\ntask idle { wait go }\n"
                                "actor main { repeat %d { create_task idle }\n sleep 1s\n set go\n gather }\n", n);
    run_scenario("backend coroutines\ntask t { sleep 1ms }\nactor main { gather t * 100 }\n", true, NULL, 0, false, NULL);
    long before = rss_kib(), peak = before;
    run_arg a = { .text = text };
    pthread_t th;
    pthread_create(&th, NULL, run_thread, &a);
    while (!atomic_load(&a.done)) {
        long now = rss_kib();
        if (now > peak) peak = now;
        usleep(20000);
    }
    pthread_join(th, NULL);
    return (double)(peak - before) * 1024.0 / n;
}

static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcv = PTHREAD_COND_INITIALIZER;
static int tgo;
static void *thread_park(void *arg) {
    (void)arg;
    pthread_mutex_lock(&tmu);
    while (!tgo) pthread_cond_wait(&tcv, &tmu);
    pthread_mutex_unlock(&tmu);
    return NULL;
}

static double thread_bytes(int n) {
    pthread_t *t = calloc((size_t)n, sizeof *t);
    long before = rss_kib();
    int made = 0;
    for (; made < n; made++)
        if (pthread_create(&t[made], NULL, thread_park, NULL)) break;
    usleep(200000);
    long after = rss_kib();
    pthread_mutex_lock(&tmu);
    tgo = 1;
    pthread_cond_broadcast(&tcv);
    pthread_mutex_unlock(&tmu);
    for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
    free(t);
    return made ? (double)(after - before) * 1024.0 / made : -1;
}

/* ---- asyncio -------------------------------------------------------------------------------------- */

/* Runs the python side and returns the value printed after `key`, or -1. */
static double py(const char *args, const char *key) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s/bench/bench_coro_asyncio.py' %s 2>/dev/null", WEFT_SOURCE_DIR, args);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[256];
    double v = -1;
    while (fgets(line, sizeof line, f)) {
        char k[64];
        double x;
        if (sscanf(line, "%63s %lf", k, &x) == 2 && !strcmp(k, key)) v = x;
    }
    pclose(f);
    return v;
}

int main(int argc, char **argv) {
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int idle = argc > 2 ? atoi(argv[2]) : 10000;
    FILE *up = popen("uptime", "r");
    char line[256];
    if (up && fgets(line, sizeof line, up)) printf("machine: %s", line);
    if (up) pclose(up);
    printf("fiber switch: %s; ThreadSanitizer task limit: %zu (0: none)\n\n", sim_fiber_backend(),
           sim_fiber_running_limit());

    double bare[5], two[5], one[5];
    for (int t = 0; t < 5; t++) {
        bare[t] = bare_round_trip(n);
        two[t] = hand_overs(2, n / 2);
        one[t] = hand_overs(1, n / 2);
    }
    double mb = median(bare, 5), m2 = median(two, 5), m1 = median(one, 5);
    double pyswitch = py("switches 200000", "switch_ns");
    printf("1. switching (CPU ns, median of 5)\n");
    printf("   bare fiber round trip (resume + yield)           %8.1f ns\n", mb);
    printf("   hand-over between two tasks through the loop     %8.1f ns   (%.1fx the bare round trip)\n", m2, m2 / mb);
    printf("   task -> loop -> task -> loop -> task round trip  %8.1f ns\n", 2 * m2);
    printf("   asyncio hand-over (sleep(0) between two tasks)   %8.1f ns   (%.0fx ours)\n", pyswitch,
           pyswitch > 0 ? pyswitch / m2 : 0);

    char text[256];
    uint64_t iters = 200000;
    snprintf(text, sizeof text, "backend coroutines\nactor a { repeat %llu { sleep 0ms } }\n", (unsigned long long)iters);
    uint64_t w = run_scenario(text, true, NULL, 0, false, NULL);
    printf("\n2. a loop iteration\n");
    printf("   one task yielding alone: a whole tick            %8.1f ns\n", m1);
    printf("   `sleep 0` through the runtime, recorded          %8.1f ns   (wall; 4 events a tick)\n",
           w ? (double)w / (double)iters : -1.0);

    double pb = platform_bytes_per_task(idle);
    double rb = runtime_bytes_per_task(idle);
    double tb = thread_bytes(1000);
    double pyb = py("memory 10000", "bytes_per_task");
    printf("\n3. resident memory per idle unit (%d tasks)\n", idle);
    printf("   task, platform alone (fiber, 64 KiB stack)       %8.0f bytes\n", pb);
    printf("   task through the runtime, recorded               %8.0f bytes   (+ its unit record and ring)\n", rb);
    printf("   pthread parked on a condition variable           %8.0f bytes   (1,000 threads)\n", tb);
    printf("   asyncio task awaiting an Event (python3)         %8.0f bytes\n", pyb);

    printf("\n4. scenarios 24 and 25: weft (coroutines, real clock) vs asyncio\n");
    static const char *const units[2] = { "100ms", "1ms" };
    static const char *const pyunits[2] = { "0.1", "0.001" };
    static const char *const intervals[2] = { "100ms", "1ms" };
    for (int k = 0; k < 2; k++) {
        sim_define dg = { .name = "unit", .value = units[k] };
        uint64_t g = run_scenario(WEFT_SOURCE_DIR "/scenarios/async_gather_vs_sequential.scn", false, &dg, 1, false, NULL);
        sim_define ds[2] = { { .name = "unit", .value = units[k] }, { .name = "interval", .value = intervals[k] } };
        uint64_t s = run_scenario(WEFT_SOURCE_DIR "/scenarios/async_semaphore_rate_limit.scn", false, ds, 2, false, NULL);
        char a1[64], a2[64];
        snprintf(a1, sizeof a1, "gather %s", pyunits[k]);
        snprintf(a2, sizeof a2, "semaphore %s %s", pyunits[k], pyunits[k]);
        double pg = py(a1, "makespan_s"), ps = py(a2, "makespan_s");
        printf("   unit %-6s  24 gather vs sequential: weft %8.2f ms, asyncio %8.2f ms (nominal %s)\n", units[k],
               (double)g / 1e6, pg * 1e3, k ? "10 ms" : "1 s");
        printf("                25 semaphore, limiters:   weft %8.2f ms, asyncio %8.2f ms (nominal %s)\n",
               (double)s / 1e6, ps * 1e3, k ? "8 ms + 10 ms requests" : "800 ms");
    }
    return 0;
}
