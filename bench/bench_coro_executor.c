/* run_in_executor figures, side by side in one run. Prints; asserts nothing.
 *
 *   bench_coro_executor [round-trips]          (default 2,000)
 *
 *  1. A round trip through an executor: a task submits an empty task to a pool
 *     and awaits it, N times in a row (submit, a worker takes it, runs it,
 *     finishes the future, the task is woken through its loop's inbox), on a
 *     thread pool and on a process pool (the worker a forked process, the
 *     wake crossing processes), through the whole runtime, recorded. Per
 *     round trip: (wall(2N) - wall(N)) / N, so the run's fixed costs (the
 *     platform, the forks, the recorder) cancel; the median of 5.
 *  2. The anchors, measured in the same run: a pipe ping-pong between two
 *     threads and between two processes (one byte each way: two writes, two
 *     reads, two wake-ups per round trip), the bare cost of handing a turn to
 *     another thread or process on this machine.
 * `uptime` is printed first: the machine is shared; compare within one run. */
#include "sim/sim.h"
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

/* Wall ns of one recorded run of the round-trip scenario on a pool of `kind`. */
static uint64_t run_trips(const char *kind, long n) {
    char text[512];
    snprintf(text, sizeof text,
             "backend coroutines\npool p workers=1 kind=%s\ntask nop { }\n"
             "actor main { repeat %ld { submit p nop as f; await f } }\nexpect all_done\n", kind, n);
    diag d;
    diag_clear(&d);
    sim_program *prog;
    if (sim_parse(&prog, "bench.scn", text, NULL, 0, &d)) {
        fprintf(stderr, "bench_coro_executor: %d:%d: %s\n", d.line, d.col, d.msg);
        exit(1);
    }
    char out[64];
    snprintf(out, sizeof out, "/tmp/bench_coro_executor_%d.weft", (int)getpid());
    sim_result res;
    int rc = sim_run(&res, prog, &(sim_desc){ .out_path = out, .timeout_ns = 120000000000ull }, &d);
    sim_program_free(prog);
    unlink(out);
    if (rc || res.end_reason != TRC_END_OK) {
        fprintf(stderr, "bench_coro_executor: the run on kind=%s failed: %s\n", kind, rc ? d.msg : "not ok");
        exit(1);
    }
    return res.wall_ns;
}

static double per_trip(const char *kind, long n) {
    double v[5];
    for (int i = 0; i < 5; i++) {
        uint64_t a = run_trips(kind, n), b = run_trips(kind, 2 * n);
        v[i] = b > a ? (double)(b - a) / (double)n : 0;
    }
    return median(v, 5);
}

/* ---- anchors: pipe ping-pong ------------------------------------------------------------- */

typedef struct pp { int in, out; long n; } pp;

static void *echo(void *arg) {
    pp *e = arg;
    char c;
    for (long i = 0; i < e->n; i++)
        if (read(e->in, &c, 1) != 1 || write(e->out, &c, 1) != 1) break;
    return NULL;
}

static double ping_pong(bool process, long n) {
    int ab[2], ba[2];
    if (pipe(ab) || pipe(ba)) { perror("pipe"); exit(1); }
    pp e = { ab[0], ba[1], n };
    pthread_t t;
    pid_t pid = 0;
    if (process) {
        pid = fork();
        if (pid == 0) {
            echo(&e);
            _exit(0);
        }
    } else {
        pthread_create(&t, NULL, echo, &e);
    }
    char c = 'x';
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) break;
    uint64_t t1 = now_ns();
    if (process) waitpid(pid, NULL, 0);
    else pthread_join(t, NULL);
    close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
    return (double)(t1 - t0) / (double)n;
}

static double ping_pong_med(bool process, long n) {
    double v[5];
    for (int i = 0; i < 5; i++) v[i] = ping_pong(process, n);
    return median(v, 5);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000;
    if (n < 10) n = 10;
    fflush(stdout);
    if (system("uptime")) {}
    printf("run_in_executor round trips (submit + await of an empty task), %ld and %ld in a row, median of 5:\n", n, 2 * n);
    double th = per_trip("threads", n), pr = per_trip("processes", n);
    double a_th = ping_pong_med(false, 20000), a_pr = ping_pong_med(true, 20000);
    printf("  %-44s %10.1f us\n", "thread pool (executor thread)", th / 1000);
    printf("  %-44s %10.1f us\n", "process pool (forked worker)", pr / 1000);
    printf("  %-44s %10.1f us\n", "anchor: pipe ping-pong, two threads", a_th / 1000);
    printf("  %-44s %10.1f us\n", "anchor: pipe ping-pong, two processes", a_pr / 1000);
    printf("  process pool / thread pool: %.2fx; each over its anchor: threads %.1fx, processes %.1fx\n",
           th > 0 ? pr / th : 0, a_th > 0 ? th / a_th : 0, a_pr > 0 ? pr / a_pr : 0);
    return 0;
}
