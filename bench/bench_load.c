/* Reading a big recording: what `weft stats`, `weft export` and the load
 * behind `weft view` cost in time and memory. Prints figures; asserts nothing.
 *
 *   bench_load FILE.weft            a real recording (e.g. made by weft run)
 *   bench_load --make N FILE.weft   first writes a synthetic one of N events
 *                                   (4 units taking and releasing one lock)
 *
 * Each phase runs in a child process of its own, three times, so that its peak
 * resident memory (getrusage ru_maxrss) is its own; the figures are medians.
 * The baseline is a child that only starts: bytes per event = (peak - baseline)
 * / events. Phases:
 *   open     the reader alone: header, every chunk's CRC, every event checked,
 *            three ways side by side: "old", without the pre-scan
 *            (WEFT_PRESCAN=0: the walk reads chunk by chunk, the anchor); "plain",
 *            the pre-scan on the caller's thread; "ahead", with its helper
 *   read     open + every event read in time order through the cursor, nothing
 *            done with them (the merge alone)
 *   model    open + the derived model (what view loads before its first frame)
 *   stats    open + model + the stats text
 *   export   open + model + the Perfetto trace, written to /dev/null (every
 *            model built first, owners stored: the way before the stream)
 *   stream   what weft export does: open, then run by run the model built
 *            with its owner slices streamed into the trace (trc_pf_stream),
 *            never stored, to /dev/null; "export" is its anchor
 * The phases that read the events run twice over: with the cursor's read-ahead
 * off (the caller's thread reads, merges and uses the events) and on (a
 * thread of the cursor's own reads and merges ahead), the runs of the two
 * alternating, side by side. "main cpu s" is the CPU time of the caller's
 * thread alone: with a second core free, what the wall time tends to.
 */
#include "traces/trc.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PH_BASE, PH_OPEN, PH_READ, PH_MODEL, PH_STATS, PH_EXPORT, PH_STREAM, PH__N };
static const char *const ph_name[PH__N] = { "baseline", "open", "read", "model", "stats", "export", "stream" };

typedef struct result { double wall_s, cpu_s, main_cpu_s; long rss_kb; uint64_t events; int ok; } result;

static uint64_t phase(int ph, const char *path, bool ahead) {
    if (ph == PH_BASE) return 0;
    trc_evcur_ahead_default(ahead);
    trc_recording *rec;
    diag d;
    diag_clear(&d);
    if (trc_recording_open(&rec, path, 0, &d)) {
        fprintf(stderr, "bench_load: %s: %s\n", path, d.msg);
        exit(2);
    }
    uint64_t events = 0;
    for (uint32_t r = 0; r < rec->nruns; r++) events += rec->runs[r].nevents;
    if (ph == PH_READ) {
        uint64_t sum = 0;
        for (uint32_t r = 0; r < rec->nruns; r++) {
            trc_evcur *c;
            if (trc_evcur_open(&c, &rec->runs[r], &d)) {
                fprintf(stderr, "bench_load: run %u: %s\n", r + 1, d.msg);
                exit(2);
            }
            const trc_event *b;
            size_t k;
            while ((k = trc_evcur_next(c, &b)) > 0) sum += b[k - 1].t;
            trc_evcur_close(c);
        }
        if (sum == 42) printf(" ");   /* keeps the loop */
    }
    if (ph == PH_STREAM) {
        FILE *f = fopen("/dev/null", "wb");
        if (!f || trc_export_perfetto_streamed(f, rec, NULL, NULL, NULL, &d)) {
            fprintf(stderr, "bench_load: stream: %s\n", d.msg);
            exit(2);
        }
        fclose(f);
    } else if (ph >= PH_MODEL) {
        trc_model *m = calloc(rec->nruns ? rec->nruns : 1, sizeof *m);
        for (uint32_t r = 0; r < rec->nruns; r++)
            if (trc_model_build(&m[r], &rec->runs[r], &d)) {
                fprintf(stderr, "bench_load: run %u: %s\n", r + 1, d.msg);
                exit(2);
            }
        if (ph == PH_STATS) {
            for (uint32_t r = 0; r < rec->nruns; r++) {
                buf b = { 0 };
                trc_stats_text(&b, &m[r]);
                buf_release(&b);
            }
        } else if (ph == PH_EXPORT) {
            FILE *f = fopen("/dev/null", "wb");
            if (!f || trc_export_perfetto(f, rec, m, &d)) {
                fprintf(stderr, "bench_load: export: %s\n", d.msg);
                exit(2);
            }
            fclose(f);
        }
        for (uint32_t r = 0; r < rec->nruns; r++) trc_model_release(&m[r]);
        free(m);
    }
    trc_recording_free(rec);
    return events;
}

/* mode: 0 plain, 1 read ahead; for PH_OPEN 0 without the pre-scan, 1 plain, 2 ahead. */
static result measure(int ph, const char *path, int mode) {
    int p[2];
    result res = { 0 };
    if (pipe(p)) return res;
    uint64_t t0 = clk_mono_ns();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (ph == PH_OPEN && mode == 0) setenv("WEFT_PRESCAN", "0", 1);   /* read once per process */
        bool ahead = ph == PH_OPEN ? mode == 2 : mode == 1;
        uint64_t ev = phase(ph, path, ahead);
        double main_cpu = (double)clk_thread_cpu_ns() / 1e9;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        result r = { .cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                              ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6,
                     .main_cpu_s = main_cpu, .rss_kb = ru.ru_maxrss, .events = ev, .ok = 1 };
        if (write(p[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &res, sizeof res) != (ssize_t)sizeof res) res.ok = 0;
    close(p[0]);
    waitpid(pid, NULL, 0);
    res.wall_s = (double)(clk_mono_ns() - t0) / 1e9;
    return res;
}

static int cmp_res(const void *a, const void *b) {
    const result *x = a, *y = b;
    return x->wall_s < y->wall_s ? -1 : x->wall_s > y->wall_s;
}

/* A synthetic recording: 4 units, each taking and releasing one lock, drained in batches like the recorder's. */
static int make(uint64_t n, const char *path) {
    trc_writer *w;
    diag d;
    trc_unit us[4];
    const char *names[4] = { "worker.0", "worker.1", "worker.2", "worker.3" };
    for (uint32_t i = 0; i < 4; i++)
        us[i] = (trc_unit){ .id = i, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX, .name = names[i], .group = "worker" };
    trc_object m = { .id = 1, .kind = TRC_OBJ_LOCK, .name = "m" };
    trc_run run = { .scenario = "synthetic locks", .backend = "threads", .units = us, .nunits = 4, .objects = &m,
                    .nobjects = 1, .t_start = 1000000000ull, .machine = "bench" };
    if (trc_writer_open(&w, path, &d) || trc_writer_run_begin(w, &run, &d) < 0) {
        fprintf(stderr, "bench_load: %s\n", d.msg);
        return 1;
    }
    enum { BATCH = 2000 };
    trc_event *b = malloc(BATCH * sizeof *b);
    uint64_t t = run.t_start, written = 0;
    uint32_t turn = 0;
    /* the lock goes round: unit u acquires at t, releases at t + 40; a batch per unit per "drain" */
    while (written < n) {
        for (uint32_t u = 0; u < 4 && written < n; u++) {
            size_t k = 0;
            for (uint64_t i = 0; i < BATCH / 2 && written + k + 2 <= n; i++) {
                uint64_t at = t + ((i * 4 + u) * 100);
                b[k++] = (trc_event){ .t = at, .unit = u, .obj = 1, .kind = TRC_EV_ACQUIRE, .arg = 1 };
                b[k++] = (trc_event){ .t = at + 40, .unit = u, .obj = 1, .kind = TRC_EV_RELEASE };
            }
            if (!k) { written = n; break; }
            if (trc_writer_events(w, b, k, &d)) { fprintf(stderr, "bench_load: %s\n", d.msg); return 1; }
            written += k;
        }
        t += (uint64_t)BATCH / 2 * 4 * 100;
        turn++;
    }
    free(b);
    if (trc_writer_run_end(w, t, TRC_END_OK, "", &d) || trc_writer_close(w, &d)) {
        fprintf(stderr, "bench_load: %s\n", d.msg);
        return 1;
    }
    printf("wrote %s: %llu synthetic events\n", path, (unsigned long long)n);
    return 0;
}

int main(int argc, char **argv) {
#ifdef M_MMAP_THRESHOLD
    /* as weft's own main (cli/main.c) does, so that the phases cost what weft's commands cost: big
     * arrays in mappings of their own, grown by mremap instead of copied on the heap (without it,
     * glibc raises the threshold when the reader frees a big block, and a model's arrays below it
     * are copied as they double and leave freed holes resident) */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    const char *path;
    if (argc == 4 && !strcmp(argv[1], "--make")) {
        if (make(strtoull(argv[2], NULL, 0), argv[3])) return 1;
        path = argv[3];
    } else if (argc == 2) {
        path = argv[1];
    } else {
        fprintf(stderr, "usage: bench_load FILE.weft | bench_load --make N FILE.weft\n");
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 2; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    result med[PH__N][3];   /* [phase][mode] */
    for (int ph = 0; ph < PH__N; ph++) {
        int modes = ph == PH_OPEN ? 3 : ph >= PH_READ ? 2 : 1;
        result r[3][3];
        for (int t = 0; t < 3; t++)
            for (int a = 0; a < modes; a++) r[a][t] = measure(ph, path, a);
        for (int a = 0; a < modes; a++) {
            qsort(r[a], 3, sizeof *r[a], cmp_res);
            med[ph][a] = r[a][1];
            if (!med[ph][a].ok) { fprintf(stderr, "bench_load: phase %s failed\n", ph_name[ph]); return 1; }
        }
        if (modes == 1) med[ph][1] = med[ph][0];
    }
    uint64_t n = med[PH_OPEN][1].events;
    printf("%s: %llu events, %.1f MB on disk (%.1f B/event); baseline process %ld KB\n", path, (unsigned long long)n,
           (double)size / 1e6, n ? (double)size / (double)n : 0.0, med[PH_BASE][0].rss_kb);
    printf("  %-13s %9s %9s %11s %12s %12s %14s\n", "phase", "wall s", "cpu s", "main cpu s", "M events/s",
           "peak RSS MB", "RSS B/event");
    for (int ph = PH_OPEN; ph < PH__N; ph++)
        for (int a = 0; a < (ph == PH_OPEN ? 3 : 2); a++) {
            const result *r = &med[ph][a];
            double per = n ? (double)(r->rss_kb - med[PH_BASE][0].rss_kb) * 1024.0 / (double)n : 0.0;
            char name[32];
            static const char *const open_mode[3] = { " (old)", " (plain)", " (ahead)" };
            snprintf(name, sizeof name, "%s%s", ph_name[ph],
                     ph == PH_OPEN ? open_mode[a] : a ? " (ahead)" : " (plain)");
            printf("  %-13s %9.3f %9.3f %11.3f %12.1f %12.1f %14.1f\n", name, r->wall_s, r->cpu_s, r->main_cpu_s,
                   r->wall_s > 0 ? (double)n / r->wall_s / 1e6 : 0.0, (double)r->rss_kb / 1024.0, per);
        }
    printf("  (M events/s by wall time of the whole phase, process start to exit; cpu s is user + system of the\n"
           "  process, main cpu s of the caller's thread alone; medians of 3, plain and ahead runs alternating)\n");
    return 0;
}
