/* Recorder cost per event, on one thread and on two at once, against an
 * uninstrumented baseline of the same loop; then the drain's throughput.
 * Prints figures; asserts nothing.
 *
 *   bench_recorder [events-per-trial] [file for the drain test]
 *
 * Drain throughput: 1, 2 and 4 units emit as fast as they can through the
 * default 64K-event rings in complete mode (a full ring waits for the drain),
 * the drain writes checksummed chunks to a real file (default: a temporary
 * file in /tmp); figures: events per second through the whole pipeline, from
 * the first emit to the last byte written, and how long units waited for it.
 *
 * Each trial runs a loop of N iterations of a little integer work, once plain
 * and once with trc_emit() per iteration, with the drain thread running as in
 * a real run. cost = (instrumented - plain) / N. Medians over 9 trials. The
 * anchor, in the same trials: the same loop with a bare rdtsc and a 32-byte
 * store into an array as large as the ring (no ring, no CPU, no test), the
 * least an event can cost; read the cost against it (issue 7: 8.3 ns against
 * 8.1). A file of "-" skips the drain test (for comparing the emit cost alone,
 * run after run). */
#include "traces/trc.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint64_t sink;

static uint64_t work(uint64_t x) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return x;
}

typedef struct job {
    trc_ring *ring; uint64_t n; int instrumented; uint64_t ns; pthread_barrier_t *bar;
    trc_event *bare; uint64_t bare_mask;   /* the anchor's array (instrumented == 3) */
} job;

/* The anchor's event: the tick and a 32-byte store, nothing else. */
static inline void bare_emit(trc_event *e, uint64_t x) {
#if defined(__x86_64__)
    uint64_t t = clk_rdtsc();
#else
    uint64_t t = clk_mono_ns();
#endif
    *e = (trc_event){ .t = t, .arg = x, .kind = TRC_EV_MARK };
}

static void *loop(void *arg) {
    job *j = arg;
    uint64_t x = 88172645463325252ull;
    if (j->bar) pthread_barrier_wait(j->bar);
    uint64_t t0 = clk_mono_ns();
    if (j->instrumented == 1) {
        for (uint64_t i = 0; i < j->n; i++) {
            x = work(x);
            trc_emit(j->ring, TRC_EV_MARK, 0, 0, x, 0);
        }
    } else if (j->instrumented == 2) {
        for (uint64_t i = 0; i < j->n; i++) {
            x = work(x);
            trc_emit_sync(j->ring, TRC_EV_MARK, 0, 0, x, 0);
        }
    } else if (j->instrumented == 3) {
        trc_event *bare = j->bare;
        for (uint64_t i = 0; i < j->n; i++) {
            x = work(x);
            bare_emit(&bare[i & j->bare_mask], x);
        }
    } else {
        for (uint64_t i = 0; i < j->n; i++) {
            x = work(x);
            __asm__ __volatile__("" : "+r"(x));
        }
    }
    j->ns = clk_mono_ns() - t0;
    atomic_fetch_add(&sink, x);
    return NULL;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Waits until the drain thread has emptied the rings. */
static void wait_drained(trc_ring **rings, int n) {
    for (int i = 0; i < n; i++)
        while (atomic_load(&rings[i]->tail) != atomic_load(&rings[i]->head)) {
            struct timespec ts = { 0, 200000 };
            nanosleep(&ts, NULL);
        }
}

static const char *cpu_mode_name(const clk_calib *c) {
    return c->cpu_mode == CLK_CPU_RDTSCP ? "rdtscp" : c->cpu_mode == CLK_CPU_RSEQ ? "rseq cpu_id"
         : c->cpu_mode == CLK_CPU_GETCPU ? "sched_getcpu" : "none";
}

/* Runs `threads` loops at once; returns the mean per-iteration ns per thread. */
static trc_event *bare_bufs[2];
static uint64_t bare_mask;

static double trial(trc_recorder *r, trc_ring **rings, int threads, uint64_t n, int instr, uint64_t *lost) {
    pthread_t th[2];
    job jobs[2];
    pthread_barrier_t bar;
    wait_drained(rings, 2);
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job){ rings[i], n, instr, 0, &bar, bare_bufs[i], bare_mask };
        pthread_create(&th[i], NULL, loop, &jobs[i]);
    }
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        sum += (double)jobs[i].ns / (double)n;
    }
    pthread_barrier_destroy(&bar);
    *lost = trc_recorder_lost(r);
    return sum / threads;
}

static int bench(uint64_t n, const char *label) {
    trc_recorder *r;
    trc_writer *w;
    diag d;
    /* the drain thread writes real chunks (to /dev/null), as in a run */
    if (trc_writer_open(&w, "/dev/null", &d) ||
        trc_writer_run_begin(w, &(trc_run){ .scenario = "bench", .backend = "threads", .nunits = 2,
                                            .units = (trc_unit[]){ { .id = 0, .name = "a", .group = "a", .kind = 1, .parent = UINT32_MAX },
                                                                   { .id = 1, .name = "b", .group = "b", .kind = 1, .parent = UINT32_MAX } } },
                             &d) < 0) {
        fprintf(stderr, "bench_recorder: %s\n", d.msg);
        return 1;
    }
    /* rings that hold a whole trial (64K events, the default, for 50K), so no event is dropped and none
     * takes the cheap drop path; the drain thread empties them between trials */
    uint32_t ring = 1;
    while (ring < n + n / 4) ring <<= 1;
    if (trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = ring, .drain_period_us = 1000, .writer = w }, &d)) {
        fprintf(stderr, "bench_recorder: %s\n", d.msg);
        return 1;
    }
    trc_ring *rings[2] = { trc_recorder_ring(r, 0), trc_recorder_ring(r, 1) };
    for (int i = 0; i < 2; i++) bare_bufs[i] = calloc(ring, sizeof(trc_event));   /* as large as a ring */
    bare_mask = ring - 1;
    trc_recorder_start(r, &d);
    uint64_t warm;
    trial(r, rings, 2, n, 1, &warm);   /* touch the rings' pages once */
    trial(r, rings, 2, n, 3, &warm);
    printf("%s: recorder cost per event (%llu events per trial, %u-event rings, median of 9; clock: %s; "
           "CPU: %s)\n", label, (unsigned long long)n, ring,
           trc_recorder_clock(r)->tsc ? "TSC mapped to CLOCK_MONOTONIC" : "clock_gettime(CLOCK_MONOTONIC)",
           cpu_mode_name(trc_recorder_clock(r)));
    double one = 0;
    for (int threads = 1; threads <= 2; threads++) {
        double base[9], inst[9], cost[9], sync[9], bare[9];
        uint64_t lost = 0;
        for (int t = 0; t < 9; t++) {
            base[t] = trial(r, rings, threads, n, 0, &lost);
            inst[t] = trial(r, rings, threads, n, 1, &lost);
            sync[t] = trial(r, rings, threads, n, 2, &lost) - base[t];
            bare[t] = trial(r, rings, threads, n, 3, &lost) - base[t];
            cost[t] = inst[t] - base[t];
        }
        qsort(base, 9, sizeof *base, cmp_d);
        qsort(inst, 9, sizeof *inst, cmp_d);
        qsort(cost, 9, sizeof *cost, cmp_d);
        qsort(sync, 9, sizeof *sync, cmp_d);
        qsort(bare, 9, sizeof *bare, cmp_d);
        printf("  %d thread%s: baseline %.2f ns/iter, instrumented %.2f ns/iter, cost %.2f ns/event "
               "(min %.2f, max %.2f), lost so far %llu\n",
               threads, threads > 1 ? "s" : " ", base[4], inst[4], cost[4], cost[0], cost[8], (unsigned long long)lost);
        printf("  %d thread%s: trc_emit_sync (fenced, after acquisitions): %.2f ns/event\n", threads, threads > 1 ? "s" : " ",
               sync[4]);
        printf("  %d thread%s: anchor, a bare rdtsc and a 32-byte store: %.2f ns/event (min %.2f, max %.2f); "
               "trc_emit / anchor %.2f\n", threads, threads > 1 ? "s" : " ", bare[4], bare[0], bare[8],
               bare[4] > 0 ? cost[4] / bare[4] : 0.0);
        /* A burst past half a ring wakes the drain (complete mode keeps up that way: trc_recorder.c),
         * which then converts and writes while the burst goes on; on a small machine it takes a CPU from
         * the units (or, pinned with them, their CPU). The same loop in bursts under the half-full mark
         * leaves the drain asleep: the emit path alone. */
        uint64_t nq = ring / 2 - 1;
        if (nq < n) {
            double quiet[9];
            for (int t = 0; t < 9; t++) {
                double b = trial(r, rings, threads, nq, 0, &lost);
                quiet[t] = trial(r, rings, threads, nq, 1, &lost) - b;
            }
            qsort(quiet, 9, sizeof *quiet, cmp_d);
            printf("  %d thread%s: bursts of %llu events (under the half-full mark: the drain sleeps through them): "
                   "cost %.2f ns/event (min %.2f, max %.2f)\n", threads, threads > 1 ? "s" : " ", (unsigned long long)nq,
                   quiet[4], quiet[0], quiet[8]);
        }
        if (threads == 1) one = cost[4];
        else printf("  two threads / one thread per-event cost: %.2f\n", one > 0 ? cost[4] / one : 0.0);
    }
    trc_recorder_stop(r, &d);
    printf("  events drained and written: %llu, lost: %llu\n", (unsigned long long)trc_recorder_drained(r),
           (unsigned long long)trc_recorder_lost(r));
    trc_recorder_free(r);
    trc_writer_close(w, &d);
    for (int i = 0; i < 2; i++) free(bare_bufs[i]);
    return 0;
}

/* The CPU of each event: the same loop on two recorders, one that reads the CPU with
 * the tick and one that does not (no_cpu), trials alternating between them. */
static int bench_cpu(uint64_t n) {
    trc_recorder *r[2];
    trc_ring *ring[2][2];
    diag d;
    uint32_t cap = 1;
    while (cap < n + n / 4) cap <<= 1;
    for (int k = 0; k < 2; k++) {
        if (trc_recorder_create(&r[k], &(trc_recorder_desc){ .ring_events = cap, .no_cpu = k == 1 }, &d)) {
            fprintf(stderr, "bench_recorder: %s\n", d.msg);
            return 1;
        }
        ring[k][0] = trc_recorder_ring(r[k], 0);
        ring[k][1] = trc_recorder_ring(r[k], 1);
        trc_recorder_start(r[k], &d);
    }
    printf("the CPU of each event (%s) against none, alternating trials, 1 thread, median of 15:\n",
           cpu_mode_name(trc_recorder_clock(r[0])));
    double c[2][15], s[2][15];
    uint64_t lost;
    for (int t = 0; t < 15; t++)
        for (int k = 0; k < 2; k++) {
            double base = trial(r[k], ring[k], 1, n, 0, &lost);
            c[k][t] = trial(r[k], ring[k], 1, n, 1, &lost) - base;
            s[k][t] = trial(r[k], ring[k], 1, n, 2, &lost) - base;
        }
    for (int k = 0; k < 2; k++) {
        qsort(c[k], 15, sizeof c[k][0], cmp_d);
        qsort(s[k], 15, sizeof s[k][0], cmp_d);
    }
    printf("  trc_emit: %.2f ns/event with the CPU, %.2f without (ratio %.2f)\n", c[0][7], c[1][7],
           c[1][7] > 0 ? c[0][7] / c[1][7] : 0.0);
    printf("  trc_emit_sync: %.2f ns/event with the CPU, %.2f without (ratio %.2f)\n", s[0][7], s[1][7],
           s[1][7] > 0 ? s[0][7] / s[1][7] : 0.0);
    for (int k = 0; k < 2; k++) {
        trc_recorder_stop(r[k], &d);
        trc_recorder_free(r[k]);
    }
    return 0;
}

typedef struct pjob { trc_ring *ring; uint64_t n; } pjob;

static void *produce(void *arg) {
    pjob *j = arg;
    for (uint64_t i = 0; i < j->n; i++) trc_emit(j->ring, TRC_EV_MARK, 0, 0, i, 0);
    return NULL;
}

/* units x per events through the drain into `path`: events per second, median of 3. */
static int drain_bench(const char *path, int units, uint64_t per) {
    double rate[3], waited[3], cpu[3];
    uint64_t waits = 0;
    for (int t = 0; t < 3; t++) {
        trc_writer *w;
        diag d;
        trc_unit us[8];
        for (int i = 0; i < units; i++)
            us[i] = (trc_unit){ .id = (uint32_t)i, .name = "u", .group = "u", .kind = 1, .parent = UINT32_MAX };
        if (trc_writer_open(&w, path, &d) ||
            trc_writer_run_begin(w, &(trc_run){ .scenario = "drain", .backend = "threads", .nunits = (uint32_t)units,
                                                .units = us }, &d) < 0) {
            fprintf(stderr, "bench_recorder: %s\n", d.msg);
            return 1;
        }
        trc_recorder *r;
        if (trc_recorder_create(&r, &(trc_recorder_desc){ .writer = w }, &d)) {
            fprintf(stderr, "bench_recorder: %s\n", d.msg);
            return 1;
        }
        pjob jobs[8];
        pthread_t th[8];
        for (int i = 0; i < units; i++) jobs[i] = (pjob){ trc_recorder_ring(r, (uint32_t)i), per };
        trc_recorder_start(r, &d);
        uint64_t t0 = clk_mono_ns();
        for (int i = 0; i < units; i++) pthread_create(&th[i], NULL, produce, &jobs[i]);
        for (int i = 0; i < units; i++) pthread_join(th[i], NULL);
        if (trc_recorder_stop(r, &d)) fprintf(stderr, "bench_recorder: %s\n", d.msg);
        uint64_t t1 = clk_mono_ns();
        uint64_t fc, fns;
        trc_recorder_flushes(r, &fc, &fns);
        waits += fc;
        uint64_t total = trc_recorder_drained(r);
        rate[t] = (double)total / ((double)(t1 - t0) / 1e9) / 1e6;
        waited[t] = 100.0 * (double)fns / ((double)(t1 - t0) * units);
        cpu[t] = total ? (double)trc_recorder_drain_cpu_ns(r) / (double)total : 0;
        trc_recorder_free(r);
        trc_writer_close(w, &d);
    }
    qsort(rate, 3, sizeof *rate, cmp_d);
    qsort(waited, 3, sizeof *waited, cmp_d);
    qsort(cpu, 3, sizeof *cpu, cmp_d);
    printf("  %d unit%s x %llu events: %.1f M events/s through the drain into the file (median of 3, min %.1f, "
           "max %.1f); units waited for it %.0f%% of their time (%llu waits in all)\n", units, units > 1 ? "s" : " ",
           (unsigned long long)per, rate[1], rate[0], rate[2], waited[1], (unsigned long long)waits);
    printf("      the drain thread's CPU: %.1f ns per event (median), so %.0f M events/s on a core of its own\n", cpu[1],
           cpu[1] > 0 ? 1e3 / cpu[1] : 0.0);
    return 0;
}

int main(int argc, char **argv) {
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 50000;
    int rc = bench(n, "bursts that fit the default ring");
    if (!rc) rc = bench_cpu(n);
    if (!rc && argc <= 1) rc = bench(1000000, "streaming through 2M-event rings (memory bound)");
    char tmp[] = "/tmp/bench_recorder_XXXXXX";
    const char *path = argc > 2 ? argv[2] : NULL;
    if (rc || (path && !strcmp(path, "-"))) return rc;
    if (!path) {
        int fd = mkstemp(tmp);
        if (fd < 0) { perror("mkstemp"); return 1; }
        close(fd);
        path = tmp;
    }
    printf("drain throughput, complete mode, default rings (%u events), writing %s:\n", TRC_RING_DEFAULT, path);
    /* the anchor, in the same run: plain write(2) of as many bytes in 2 MiB blocks */
    {
        double r3[3];
        size_t blk = 2u << 20;
        char *b = calloc(1, blk);
        for (int t = 0; t < 3; t++) {
            FILE *f = fopen(path, "wb");
            uint64_t t0 = clk_mono_ns();
            for (uint64_t done = 0; f && done < 10000000ull * 32; done += blk) fwrite(b, 1, blk, f);
            if (f) fclose(f);
            r3[t] = 10.0 / ((double)(clk_mono_ns() - t0) / 1e9);
        }
        free(b);
        qsort(r3, 3, sizeof *r3, cmp_d);
        printf("  anchor: writing the same 320 MB with fwrite in 2 MiB blocks: %.1f M events' worth per second "
               "(median of 3)\n", r3[1]);
    }
    /* the disk's own speed: the same bytes with O_DIRECT (no page cache), as
     * dd oflag=direct does; 'refused' when the filesystem does not take it */
    {
        double r3[3];
        size_t blk = 2u << 20;
        void *b = NULL;
        bool ok = !posix_memalign(&b, 4096, blk);
        if (ok) memset(b, 0, blk);
        for (int t = 0; t < 3 && ok; t++) {
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
            uint64_t t0 = clk_mono_ns();
            for (uint64_t done = 0; fd >= 0 && ok && done < 10000000ull * 32; done += blk)
                ok = write(fd, b, blk) == (ssize_t)blk;
            if (fd < 0) ok = false;
            else close(fd);
            r3[t] = 10.0 / ((double)(clk_mono_ns() - t0) / 1e9);
        }
        free(b);
        if (ok) {
            qsort(r3, 3, sizeof *r3, cmp_d);
            printf("  anchor: the same 320 MB with O_DIRECT in 2 MiB blocks (the disk, no page cache): %.1f M events' "
                   "worth per second (median of 3)\n", r3[1]);
        } else {
            printf("  anchor: O_DIRECT refused on this file's filesystem\n");
        }
    }
    for (int units = 1; units <= 4 && !rc; units *= 2) rc = drain_bench(path, units, 10000000 / (uint64_t)units);
    if (path == tmp) unlink(tmp);
    return rc;
}
