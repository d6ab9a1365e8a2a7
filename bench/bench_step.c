/* The interpreter's cost per step, through sim_run() on the threads backend.
 * Prints figures; asserts nothing.
 *
 *   bench_step [iterations-per-run] [runs] [ring-events] [case]
 *
 * Each case is a scenario whose units repeat a few cheap steps N times
 * (default 200000); the figures are the run's makespan divided by the steps
 * of its busiest unit (wall, so it includes starting the threads: noise at
 * this N), and the CPU time of the whole process (every unit, the recorder's
 * drain thread, the watchdog) divided by the steps of all units: on a loaded
 * machine the wall figure also counts the time a unit waited for a CPU, the
 * CPU figure does not. Medians (and the wall minimum) over R runs (default
 * 7), after one warm-up run. The recording goes to a temporary file, as
 * `weft run` writes it.
 *
 * Each unit's recorder ring holds 512K events (16 MiB) unless given, more
 * than a default run makes, so no event is dropped even when the drain
 * thread is starved (the `lost` column shows any). Each case runs in a
 * process of its own (a fork), whose heap is touched once up front (a
 * ballast, in blocks under glibc's 32 MiB mmap limit, then freed) and never
 * trimmed, so the rings reuse touched pages: on a VM whose first touch of a
 * page is slow (26 us here) a fresh ring costs that per 128 events, and the
 * figures would measure the host's page faults (`perf stat -e page-faults`:
 * the ballast's 25K, then a few hundred per run).
 *
 * Cases:
 *   if        `if 0 { }`: the interpreter alone (a constant condition, no event)
 *   mark      `mark "x"`: one event, no object
 *   incr      `incr c`: an atomic counter, one ordered event
 *   lock      `lock l; unlock l`, one unit (uncontended)
 *   put/get   `put q; get q`, one unit (uncontended)
 *   lock x2   two units doing `lock l; unlock l` on one lock (contended)
 *   put/get x2  a producer's `put q` and a consumer's `get q` (capacity 64) */
#include "sim/sim.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct bcase {
    const char *name;
    const char *text;          /* %lld: N */
    int units;
    int steps_per_iter;        /* of the busiest unit */
    int steps_total;           /* of all units, per iteration */
} bcase;

static const bcase cases[] = {
    { "if", "actor a { repeat %lld { if 0 { } } }\n", 1, 1, 1 },
    { "mark", "actor a { repeat %lld { mark \"x\" } }\n", 1, 1, 1 },
    { "incr", "counter c\nactor a { repeat %lld { incr c } }\n", 1, 1, 1 },
    { "lock/unlock", "lock l\nactor a { repeat %lld { lock l; unlock l } }\n", 1, 2, 2 },
    { "put/get", "queue q capacity=16\nactor a { repeat %lld { put q; get q } }\n", 1, 2, 2 },
    { "lock/unlock x2", "lock l\nactor a * 2 { repeat %lld { lock l; unlock l } }\n", 2, 2, 4 },
    { "put/get x2",
      "queue q capacity=64\nactor p { repeat %lld { put q } }\nactor c { repeat %lld { get q } }\n", 2, 1, 2 },
};

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One case, in a process of its own (so no case inherits another's heap). */
static int run_case(const bcase *bc, long long n, int runs, long long ring, const char *out) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);    /* big blocks from the heap, */
    mallopt(M_TRIM_THRESHOLD, INT32_MAX);   /* kept there when freed, */
    /* and touched once: in blocks under the mmap threshold, so they come from the heap */
    size_t ballast = 2 * (size_t)(ring ? ring : 65536) * sizeof(trc_event) + (64u << 20), nb = 0;
    char *blocks[64];
    for (size_t got = 0; got < ballast && nb < 64; got += 16u << 20) {
        blocks[nb] = malloc(16u << 20);
        if (blocks[nb]) memset(blocks[nb++], 1, 16u << 20);
    }
    while (nb) free(blocks[--nb]);
    char text[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(text, sizeof text, bc->text, n, n);   /* the texts are the table's above */
#pragma GCC diagnostic pop
    diag d;
    diag_clear(&d);
    sim_program *p;
    if (sim_parse(&p, "bench.scn", text, NULL, 0, &d)) {
        fprintf(stderr, "bench_step: %s: %d:%d: %s\n", bc->name, d.line, d.col, d.msg);
        return 1;
    }
    double ns[99], cpu[99];
    uint64_t events = 0, lost = 0;
    for (int r = -1; r < runs; r++) {   /* run -1: the warm-up */
        sim_result res;
        sim_desc desc = { .out_path = out, .ring_events = (uint32_t)ring };
        uint64_t c0 = cpu_ns();
        int rc = sim_run(&res, p, &desc, &d);
        uint64_t c1 = cpu_ns();
        if (rc || res.end_reason != TRC_END_OK) {
            fprintf(stderr, "bench_step: %s: the run failed: %s%s\n", bc->name, d.msg, res.report);
            return 1;
        }
        if (r < 0) continue;
        ns[r] = (double)res.wall_ns / ((double)n * bc->steps_per_iter);
        cpu[r] = (double)(c1 - c0) / ((double)n * bc->steps_total);
        events = res.events;
        lost += res.lost;
    }
    sim_program_free(p);
    qsort(ns, (size_t)runs, sizeof ns[0], cmp_d);
    qsort(cpu, (size_t)runs, sizeof cpu[0], cmp_d);
    printf("  %-16s %5d %10.1f %10.1f %10.1f %12llu %8llu\n", bc->name, bc->units, ns[runs / 2], ns[0], cpu[runs / 2],
           (unsigned long long)events, (unsigned long long)lost);
    fflush(stdout);
    unlink(out);
    return 0;
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 200000;
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    long long ring = argc > 3 ? atoll(argv[3]) : 1 << 19;
    if (n < 1 || runs < 1 || runs > 99 || ring < 0 || ring > (1 << 24) || (ring & (ring - 1))) {
        fprintf(stderr, "usage: bench_step [iterations-per-run] [runs (1-99)] [ring-events (a power of two)] [case]\n");
        return 2;
    }
    char out[64];
    snprintf(out, sizeof out, "/tmp/bench_step_%d.weft", (int)getpid());
    sim_calibrate();
    printf("bench_step: %lld iterations per run, median of %d runs, rings of %lld events (threads backend)\n", n, runs,
           ring ? ring : 65536);
    printf("  %-16s %5s %10s %10s %10s %12s %8s\n", "case", "units", "wall ns", "wall min", "CPU ns", "events/run",
           "lost");
    fflush(stdout);
    int status = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (argc > 4 && strcmp(argv[4], cases[c].name)) continue;
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) _exit(run_case(&cases[c], n, runs, ring, out));
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) status = 1;
    }
    return status;
}
