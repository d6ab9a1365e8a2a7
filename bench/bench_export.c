/* Perfetto export throughput.
 *
 *   bench_export [events (default 2000000)] [units (default 16)] [repetitions (default 7)] [out.pftrace]
 *
 * Synthesizes one large run with a consistent little schedule (units compute,
 * take a contended lock, producers put items into a queue that consumers get,
 * sleep; a mark now and then), builds its model, then exports it several
 * times to /dev/null and to memory (open_memstream) and prints the median
 * wall time and CPU time of the calling thread (the CPU figure is steadier on
 * a busy machine), input events per second and output MB/s; then the
 * export's own memory: the peak resident set during one export to /dev/null
 * above the resident set before it (Linux: VmHWM reset through
 * /proc/self/clear_refs), and the whole process's peak. Run it at 1 M and
 * 10 M events to see whether the export's memory grows with the recording.
 * Then the whole of it as weft export does it, side by side, reps times each
 * alternately: the model built with its owners stored and then exported (the
 * anchor), and the model built with an owner sink that writes the owner
 * slices as it goes (trc_pf_stream), to /dev/null: median wall and CPU time,
 * and the peak RSS of each (in a child process of its own) above its start.
 * Prints figures only; never fails on time.
 *
 *   bench_export --weft FILE.weft [repetitions (default 5)] [OUT.pftrace]
 *
 * The encoding alone on a real recording: every run's model built first
 * (owners stored), then the whole trace exported reps times to /dev/null and
 * to OUT (default /tmp/bench_export.pftrace, a real file: the kernel's copy
 * of the bytes counts, as in weft export -o), alternating with the anchor:
 * the same number of bytes written to OUT from a buffer in blocks of 1 MB
 * (what writing the trace costs with no encoding); each also with the
 * helper thread off (trc_pf_helper_min(SIZE_MAX)), and the streamed export
 * (what weft export does) beside its model alone. Median wall time, the
 * process's CPU time (every thread), the calling thread's CPU time (what the
 * wall time tends to with a core free for the helper). OUT is removed at the end. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "traces/trc.h"

typedef struct gen {
    trc_event *ev;
    size_t n, cap;
    uint64_t t;
    uint64_t rng;
} gen;

static uint32_t rnd(gen *g, uint32_t n) {
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng % n);
}

static void emit(gen *g, uint32_t unit, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg, uint32_t extra) {
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1 << 20;
        g->ev = xrealloc(g->ev, g->cap * sizeof *g->ev);
    }
    g->t += 1 + rnd(g, 400);
    g->ev[g->n++] = (trc_event){ .t = g->t, .arg = arg, .unit = unit, .obj = obj, .kind = kind, .aux = aux,
                                 .extra = extra };
}

enum { ST_COMPUTE, ST_COMPUTE_END, ST_LOCK, ST_LOCK_WAIT, ST_RELEASE, ST_QUEUE, ST_QUEUE_WAIT, ST_SLEEP,
       ST_SLEEP_END };
#define LOCK 1
#define QUEUE 2

static trc_recording *synth(size_t want, uint32_t nunits) {
    trc_recording *rec = xcalloc(1, sizeof *rec);
    rec->runs = arena_push(&rec->mem, sizeof *rec->runs);
    rec->nruns = 1;
    trc_run *run = rec->runs;
    run->scenario = "bench: lock + queue";
    run->source_path = run->source_text = run->machine = run->report = "";
    run->backend = "threads";
    run->units = arena_push(&rec->mem, nunits * sizeof *run->units);
    run->nunits = nunits;
    for (uint32_t u = 0; u < nunits; u++) {
        char name[32];
        snprintf(name, sizeof name, "%s.%u", u % 2 ? "consumer" : "producer", u / 2);
        run->units[u] = (trc_unit){ .id = u, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX,
                                    .name = arena_strdup(&rec->mem, name), .group = "" };
    }
    run->objects = arena_push(&rec->mem, 2 * sizeof *run->objects);
    run->objects[0] = (trc_object){ .id = LOCK, .kind = TRC_OBJ_LOCK, .name = "m" };
    run->objects[1] = (trc_object){ .id = QUEUE, .kind = TRC_OBJ_QUEUE, .name = "jobs" };
    run->nobjects = 2;
    static const char *strings[] = { "checkpoint" };
    run->strings = strings;
    run->nstrings = 1;

    gen g = { .t = 1000000000ull, .rng = 0x9e3779b97f4a7c15ull };
    run->t_start = g.t;
    uint8_t *st = xcalloc(nunits, 1);
    bool lock_held = false;
    uint64_t puts = 0, gets = 0;
    for (uint32_t u = 0; u < nunits; u++) emit(&g, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    while (g.n < want) {
        uint32_t u = rnd(&g, nunits);
        switch (st[u]) {
        case ST_COMPUTE: emit(&g, u, TRC_EV_COMPUTE_BEGIN, 0, 0, 1000, 0); st[u] = ST_COMPUTE_END; break;
        case ST_COMPUTE_END: emit(&g, u, TRC_EV_COMPUTE_END, 0, 0, 1000, 0); st[u] = ST_LOCK; break;
        case ST_LOCK:
            if (!lock_held) { emit(&g, u, TRC_EV_ACQUIRE, LOCK, 0, 1, 0); lock_held = true; st[u] = ST_RELEASE; }
            else { emit(&g, u, TRC_EV_WAIT_BEGIN, LOCK, TRC_OP_LOCK, 0, 0); st[u] = ST_LOCK_WAIT; }
            break;
        case ST_LOCK_WAIT:
            if (lock_held) break;
            emit(&g, u, TRC_EV_WAIT_END, LOCK, TRC_OUT_OK, 0, 0);
            emit(&g, u, TRC_EV_ACQUIRE, LOCK, 0, 1, 0);
            lock_held = true;
            st[u] = ST_RELEASE;
            break;
        case ST_RELEASE: emit(&g, u, TRC_EV_RELEASE, LOCK, 0, 0, 0); lock_held = false; st[u] = ST_QUEUE; break;
        case ST_QUEUE:
            if (u % 2 == 0) {
                puts++;
                emit(&g, u, TRC_EV_PUT, QUEUE, 0, puts, (uint32_t)(puts - gets));
                st[u] = ST_SLEEP;
            } else if (puts > gets) {
                gets++;
                emit(&g, u, TRC_EV_GET, QUEUE, 0, gets, (uint32_t)(puts - gets));
                st[u] = ST_SLEEP;
            } else {
                emit(&g, u, TRC_EV_WAIT_BEGIN, QUEUE, TRC_OP_GET, 0, 0);
                st[u] = ST_QUEUE_WAIT;
            }
            break;
        case ST_QUEUE_WAIT:
            if (puts == gets) break;
            emit(&g, u, TRC_EV_WAIT_END, QUEUE, TRC_OUT_OK, 0, 0);
            gets++;
            emit(&g, u, TRC_EV_GET, QUEUE, 0, gets, (uint32_t)(puts - gets));
            st[u] = ST_SLEEP;
            break;
        case ST_SLEEP:
            if (rnd(&g, 64) == 0) emit(&g, u, TRC_EV_MARK, 0, 0, 0, 0);
            emit(&g, u, TRC_EV_SLEEP_BEGIN, 0, 0, 500, 0);
            st[u] = ST_SLEEP_END;
            break;
        default: emit(&g, u, TRC_EV_SLEEP_END, 0, 0, 0, 0); st[u] = ST_COMPUTE; break;
        }
    }
    free(st);
    run->events = g.ev;
    run->nevents = g.n;
    run->t_end = g.t + 1000;
    return rec;
}

static double clock_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A /proc/self/status field in kB, or -1. */
static long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') { v = strtol(line + n + 1, NULL, 10); break; }
    fclose(f);
    return v;
}

/* Resets VmHWM to the current resident set (Linux 4.0+); false if it cannot. */
static bool reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* The model built and exported: way 0 with its owners stored (the anchor), way 1 streamed
 * (trc_pf_stream: the owner slices written from the model's owner sink). */
static int model_export(const trc_recording *rec, FILE *out, int way, diag *d) {
    trc_model m2;
    int rc;
    if (way == 0) {
        rc = trc_model_build(&m2, &rec->runs[0], d);
        if (!rc) {
            rc = trc_export_perfetto(out, rec, &m2, d);
            trc_model_release(&m2);
        }
    } else {
        rc = trc_export_perfetto_streamed(out, rec, NULL, NULL, NULL, d);
    }
    fflush(out);
    return rc;
}

static int null_sink(void *ctx, const trc_model *m, uint32_t ob, const trc_owner_span *os) {
    (void)ctx; (void)m; (void)ob; (void)os;
    return 0;
}

static double pcpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* One export of rec into path (stored models ms, or streamed when ms is NULL), timed: wall
 * time, the calling thread's CPU and the process's. */
static int timed_export(const char *path, const trc_recording *rec, const trc_model *ms, double *wall, double *cpu,
                        double *pcpu, diag *d) {
    FILE *f = fopen(path, "wb");
    double t0 = now_s(), c0 = pcpu_s(), m0 = cpu_s();
    int rc = !f ? diag_set(d, ERR_IO, "cannot open %s", path)
         : ms ? trc_export_perfetto(f, rec, ms, d) : trc_export_perfetto_streamed(f, rec, NULL, NULL, NULL, d);
    if (f && fclose(f) && !rc) rc = diag_set(d, ERR_IO, "cannot write %s", path);
    *wall = now_s() - t0;
    *cpu = cpu_s() - m0;
    *pcpu = pcpu_s() - c0;
    return rc;
}

static int bench_weft(int argc, char **argv) {
    const char *path = argv[2];
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    const char *outp = argc > 4 ? argv[4] : "/tmp/bench_export.pftrace";
    if (reps < 1) reps = 1;
    if (reps > 64) reps = 64;
    trc_recording *rec;
    diag d = { 0 };
    if (trc_recording_open(&rec, path, 0, &d)) { fprintf(stderr, "bench_export: %s: %s\n", path, d.msg); return 1; }
    trc_model *ms = calloc(rec->nruns ? rec->nruns : 1, sizeof *ms);
    uint64_t nev = 0;
    double t0 = now_s();
    for (uint32_t r = 0; r < rec->nruns; r++) {
        nev += rec->runs[r].nevents;
        if (trc_model_build(&ms[r], &rec->runs[r], &d)) { fprintf(stderr, "bench_export: model: %s\n", d.msg); return 1; }
    }
    printf("%s: %u runs, %llu events, models built in %.0f ms\n", path, rec->nruns, (unsigned long long)nev,
           (now_s() - t0) * 1e3);
    double tn[64], cn[64], tf[64], cf[64], ta[64], ca[64], tm[64], cm[64], ts[64], cs[64], t1[64], c1[64], s1[64], sc1[64];
    double mn[64], mf[64], ma[64], mm[64], ms_[64], mo1[64], ms1[64];
    double mc0;
    long bytes = 0;
    for (int i = 0; i < reps; i++) {
        if (timed_export("/dev/null", rec, ms, &tn[i], &mn[i], &cn[i], &d) ||
            timed_export(outp, rec, ms, &tf[i], &mf[i], &cf[i], &d)) {
            fprintf(stderr, "bench_export: %s\n", d.msg);
            return 1;
        }
        FILE *g = fopen(outp, "rb");
        if (g) { fseek(g, 0, SEEK_END); bytes = ftell(g); fclose(g); }
        /* the same on one thread (the helper off), stored and streamed */
        size_t was = trc_pf_helper_min(SIZE_MAX);
        if (timed_export(outp, rec, ms, &t1[i], &mo1[i], &c1[i], &d) ||
            timed_export(outp, rec, NULL, &s1[i], &ms1[i], &sc1[i], &d)) {
            fprintf(stderr, "bench_export: %s\n", d.msg);
            return 1;
        }
        trc_pf_helper_min(was);
        /* what weft export does: run by run the model, its owners streamed into the trace */
        if (timed_export(outp, rec, NULL, &ts[i], &ms_[i], &cs[i], &d)) {
            fprintf(stderr, "bench_export: streamed: %s\n", d.msg);
            return 1;
        }
        /* the model alone, as the stream builds it (with an owner sink that keeps nothing) */
        t0 = now_s();
        double c0 = pcpu_s();
        mc0 = cpu_s();
        for (uint32_t r = 0; r < rec->nruns; r++) {
            trc_model m1;
            trc_model_opts mo = { .owner_sink = null_sink };
            if (trc_model_build_opts(&m1, &rec->runs[r], &mo, &d)) { fprintf(stderr, "bench_export: %s\n", d.msg); return 1; }
            trc_model_release(&m1);
        }
        tm[i] = now_s() - t0;
        mm[i] = cpu_s() - mc0;
        cm[i] = pcpu_s() - c0;
        /* the anchor: the same bytes, no encoding */
        static char blk[1 << 20];
        memset(blk, 0x5a, sizeof blk);
        FILE *f = fopen(outp, "wb");
        t0 = now_s();
        c0 = pcpu_s();
        mc0 = cpu_s();
        for (long left = bytes; f && left > 0; left -= (long)sizeof blk)
            fwrite(blk, 1, left < (long)sizeof blk ? (size_t)left : sizeof blk, f);
        if (f) fclose(f);
        ta[i] = now_s() - t0;
        ma[i] = cpu_s() - mc0;
        ca[i] = pcpu_s() - c0;
    }
    remove(outp);
    printf("trace: %ld bytes (%.1f bytes per event)\n", bytes, (double)bytes / (double)nev);
    struct { const char *what; double *t, *c, *mc; } rows[] = {
        { "export to /dev/null      ", tn, cn, mn }, { "export to a file         ", tf, cf, mf },
        { "export to a file, 1 thread", t1, c1, mo1 }, { "anchor: write the bytes  ", ta, ca, ma },
        { "streamed (weft export)   ", ts, cs, ms_ }, { "streamed, 1 thread       ", s1, sc1, ms1 },
        { "its model, sink no-op    ", tm, cm, mm } };
    for (int k = 0; k < 7; k++) {
        double x = median(rows[k].t, reps);
        printf("%s median %6.1f ms wall, %6.1f ms cpu, %6.1f ms main thread's cpu of %d: %5.1f M events/s\n",
               rows[k].what, x * 1e3, median(rows[k].c, reps) * 1e3, median(rows[k].mc, reps) * 1e3, reps,
               (double)nev / x / 1e6);
    }
    for (uint32_t r = 0; r < rec->nruns; r++) trc_model_release(&ms[r]);
    free(ms);
    trc_recording_free(rec);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "--weft")) return bench_weft(argc, argv);
    size_t want = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    uint32_t nunits = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 16;
    int reps = argc > 3 ? atoi(argv[3]) : 7;
    if (nunits < 2) nunits = 2;
    if (reps < 1) reps = 1;
    if (reps > 64) reps = 64;

    double t0 = now_s();
    trc_recording *rec = synth(want, nunits);
    double t_synth = now_s() - t0;
    trc_model m;
    diag d = { 0 };
    t0 = now_s();
    if (trc_model_build(&m, &rec->runs[0], &d)) {
        fprintf(stderr, "bench_export: model: %s\n", d.msg);
        return 1;
    }
    double t_model = now_s() - t0;
    size_t spans = 0;
    for (uint32_t u = 0; u < nunits; u++) spans += m.units[u].nspans;
    size_t nev = rec->runs[0].nevents;
    printf("run: %zu events, %u units, %zu spans, %zu flows, %zu marks (synthesized in %.0f ms, model built in %.0f ms)\n",
           nev, nunits, spans, m.nflows, m.nmarks, t_synth * 1e3, t_model * 1e3);

    {   /* the export's own memory: first, before earlier exports leave freed memory resident */
        long peak_all = status_kb("VmHWM");
        bool reset = reset_peak();
        long before = status_kb("VmRSS");
        FILE *f = fopen("/dev/null", "wb");
        if (!f || trc_export_perfetto(f, rec, &m, &d)) { fprintf(stderr, "bench_export: export: %s\n", d.msg); return 1; }
        fclose(f);
        long after = status_kb("VmHWM");
        if (reset && before >= 0 && after >= 0)
            printf("export memory: peak RSS %.1f MB above the %.1f MB before it (%.1f bytes per input event); "
                   "process peak %.1f MB\n", (double)(after - before) / 1024, (double)before / 1024,
                   (double)(after - before) * 1024 / (double)nev, (double)peak_all / 1024);
        else
            printf("export memory: cannot reset the peak RSS here; process peak %.1f MB\n", (double)peak_all / 1024);
    }
    /* to memory: also gives the output size */
    double tm[64], cm[64], tn[64], cn[64];
    size_t bytes = 0;
    for (int i = 0; i < reps; i++) {
        char *data = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&data, &n);
        t0 = now_s();
        double c0 = cpu_s();
        int rc = trc_export_perfetto(f, rec, &m, &d);
        fflush(f);
        cm[i] = cpu_s() - c0;
        tm[i] = now_s() - t0;
        fclose(f);
        if (rc) { fprintf(stderr, "bench_export: export: %s\n", d.msg); return 1; }
        bytes = n;
        free(data);
    }
    FILE *null = fopen("/dev/null", "wb");
    if (!null) { perror("/dev/null"); return 1; }
    for (int i = 0; i < reps; i++) {
        t0 = now_s();
        double c0 = cpu_s();
        int rc = trc_export_perfetto(null, rec, &m, &d);
        fflush(null);
        cn[i] = cpu_s() - c0;
        tn[i] = now_s() - t0;
        if (rc) { fprintf(stderr, "bench_export: export: %s\n", d.msg); return 1; }
    }
    fclose(null);
    printf("trace: %zu bytes (%.1f bytes per input event)\n", bytes, (double)bytes / (double)nev);
    struct { const char *what; double *t; } rows[] = {
        { "/dev/null, wall", tn }, { "/dev/null, cpu ", cn }, { "memory,    wall", tm }, { "memory,    cpu ", cm } };
    for (int k = 0; k < 4; k++) {
        double x = median(rows[k].t, reps);
        printf("export to %s: median %6.1f ms of %d: %5.1f M events/s, %5.0f MB/s\n", rows[k].what, x * 1e3, reps,
               (double)nev / x / 1e6, (double)bytes / x / 1e6);
    }
    {   /* model + export, stored (the anchor) against streamed, alternately; the peak RSS of each in a
         * child process of its own (in this one, each would reuse the heap the other freed) */
        double ts[64], cs[64], tw[64], cw[64];
        long peak[2] = { -1, -1 };
        FILE *null2 = fopen("/dev/null", "wb");
        for (int way = 0; way < 2; way++) {
            int p[2];
            if (pipe(p)) break;
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                close(p[0]);
                long v = -1;
                bool reset = reset_peak();
                long before = status_kb("VmRSS");
                if (!model_export(rec, null2, way, &d)) {
                    long after = status_kb("VmHWM");
                    if (reset && before >= 0 && after >= 0) v = after - before;
                }
                if (write(p[1], &v, sizeof v) != (ssize_t)sizeof v) _exit(1);
                _exit(0);
            }
            close(p[1]);
            if (pid > 0 && read(p[0], &peak[way], sizeof peak[way]) != (ssize_t)sizeof peak[way]) peak[way] = -1;
            close(p[0]);
            if (pid > 0) waitpid(pid, NULL, 0);
        }
        for (int i = 0; i < reps; i++) {
            for (int way = 0; way < 2; way++) {
                t0 = now_s();
                double c0 = cpu_s();
                int rc = model_export(rec, null2, way, &d);
                (way ? cw : cs)[i] = cpu_s() - c0;
                (way ? tw : ts)[i] = now_s() - t0;
                if (rc) { fprintf(stderr, "bench_export: model + export: %s\n", d.msg); return 1; }
            }
        }
        fclose(null2);
        double xs = median(ts, reps), xw = median(tw, reps);
        printf("model + export, owners stored (anchor): median %6.1f ms wall, %6.1f ms cpu of %d: %5.1f M events/s\n",
               xs * 1e3, median(cs, reps) * 1e3, reps, (double)nev / xs / 1e6);
        printf("model + export, owners streamed:        median %6.1f ms wall, %6.1f ms cpu of %d: %5.1f M events/s\n",
               xw * 1e3, median(cw, reps) * 1e3, reps, (double)nev / xw / 1e6);
        if (peak[0] >= 0 && peak[1] >= 0)
            printf("model + export peak RSS (each in a child process, above its start): stored %.1f MB, "
                   "streamed %.1f MB\n", (double)peak[0] / 1024, (double)peak[1] / 1024);
    }
    if (argc > 4) {   /* keep one export, e.g. for check_semantics.py */
        FILE *f = fopen(argv[4], "wb");
        if (!f || trc_export_perfetto(f, rec, &m, &d) || fclose(f)) {
            fprintf(stderr, "bench_export: cannot write %s: %s\n", argv[4], d.msg);
            return 1;
        }
        printf("wrote %s\n", argv[4]);
    }
    trc_model_release(&m);
    free(rec->runs[0].events);
    trc_recording_free(rec);
    return 0;
}
