/* bench_gil: weft's GIL against real CPython, side by side in the same run.
 *
 * For each figure weft runs a scenario on real threads (sim_run, recorded and
 * modelled as `weft run` does) and bench_gil.py runs the same workload in
 * `python3`; the two alternate, so both see the same load.
 *
 *   cpu      4 CPU-bound tasks of 250 ms: sequential, 4 threads with the GIL,
 *            4 threads without it (weft only: CPython 3.11 has no
 *            free-threaded build here), 4 processes (weft: the processes
 *            backend, a GIL each). Each repetition runs every mode in weft and
 *            in CPython, interleaved (weft first on odd repetitions, CPython
 *            first on even ones), so both see the same load; the ratios
 *            threads / sequential and processes / sequential are taken within
 *            each repetition of each tool, and their medians reported, with
 *            the load average at each repetition.
 *   convoy   one I/O thread sleeping 10 ms, 30 times, beside 1, 2 and 4
 *            CPU-bound threads at switch intervals of 1, 5 and 50 ms: how
 *            late it gets going again after each sleep (weft: the GIL's
 *            acquisition after the sleep's end; CPython: the sleep's
 *            overshoot, which ends when it holds the GIL again).
 *   handoff  the GIL's hand-off latency: from a drop to the next holder's
 *            acquisition (weft's model), from one thread's last bytecode to
 *            the next one's first (CPython).
 *
 * The convoy and the hand-off print the load average too; figures on a loaded machine are
 * noisy: compare the columns of one run, not runs.
 *
 * Usage: bench_gil [--reps N] [--quick] [--python PATH] [--script PATH]
 * Prints figures; asserts nothing. Say `uptime` beside them. */
#include "sim/sim.h"
#include "traces/trc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef WEFT_SOURCE_DIR
#define WEFT_SOURCE_DIR "."
#endif

static const char *python = "python3";
static const char *script = WEFT_SOURCE_DIR "/bench/bench_gil.py";
static char tmpdir[] = "/tmp/bench_gil.XXXXXX";

/* ---- weft -------------------------------------------------------------------- */

typedef struct wrun {
    trc_recording *rec;
    trc_model m;
    bool ok;
} wrun;

static bool weft_run(wrun *w, const char *text, const char *backend) {
    memset(w, 0, sizeof *w);
    diag d;
    diag_clear(&d);
    sim_program *p;
    if (sim_parse(&p, "bench_gil", text, NULL, 0, &d)) {
        fprintf(stderr, "bench_gil: scenario: %d:%d: %s\n", d.line, d.col, d.msg);
        return false;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/run.weft", tmpdir);
    sim_result res;
    int rc = sim_run(&res, p, &(sim_desc){ .out_path = path, .backend = backend }, &d);
    sim_program_free(p);
    if (rc || trc_recording_load(&w->rec, path, &d)) {
        fprintf(stderr, "bench_gil: run: %s\n", d.msg);
        return false;
    }
    if (trc_model_build(&w->m, &w->rec->runs[0], &d)) {
        fprintf(stderr, "bench_gil: model: %s\n", d.msg);
        trc_recording_free(w->rec);
        return false;
    }
    unlink(path);
    w->ok = true;
    return true;
}

static void weft_free(wrun *w) {
    if (!w->ok) return;
    trc_model_release(&w->m);
    trc_recording_free(w->rec);
}

static double weft_makespan(const char *text, const char *backend) {
    wrun w;
    if (!weft_run(&w, text, backend)) return -1;
    double s = (double)w.m.makespan / 1e9;
    weft_free(&w);
    return s;
}

static int gil_index(const trc_run *run) {
    for (uint32_t i = 0; i < run->nobjects; i++)
        if (run->objects[i].kind == TRC_OBJ_GIL) return (int)i;
    return -1;
}

/* ---- CPython ------------------------------------------------------------------ */

/* Runs bench_gil.py with args; returns its last line (static), NULL on failure. */
static const char *py_run(const char *args) {
    static char line[4096];
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s", python, script, args);
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    bool got = false;
    char got_line[sizeof line];
    while (fgets(got_line, sizeof got_line, f)) {
        memcpy(line, got_line, sizeof got_line);
        got = true;
    }
    int st = pclose(f);
    return got && st == 0 ? line : NULL;
}

/* A number field of a flat JSON object: "key": value. */
static double jnum(const char *json, const char *key) {
    if (!json) return -1;
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* ---- figures ------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : -1;
}

enum { SEQ, GIL_ON, GIL_OFF, PROCS, NMODE };
static const char *mode_name[NMODE] = { "sequential", "threads, GIL on", "threads, GIL off", "processes" };

static double load_now(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    double l = -1;
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

static void load_line(const char *when) {
    FILE *f = fopen("/proc/loadavg", "r");
    char avg[128] = "?";
    if (f) {
        if (!fgets(avg, sizeof avg, f)) snprintf(avg, sizeof avg, "?\n");
        fclose(f);
    }
    printf("  (load average %s: %s", when, avg);
    if (!strchr(avg, '\n')) printf("\n");
}

/* The median of the ratios a[i] / b[i] over the repetitions where both were measured. */
static double median_ratio(const double *a, const double *b, int n) {
    double r[16];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (a[i] > 0 && b[i] > 0) r[k++] = a[i] / b[i];
    return k ? median(r, k) : -1;
}

static double median_of(const double *v, int n) {
    double c[16];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > 0) c[k++] = v[i];
    return k ? median(c, k) : -1;
}

static void bench_cpu(int reps, int ms, int n) {
    printf("== %d CPU-bound tasks of %d ms, %d repetitions; in each, every mode in weft and in CPython, interleaved\n"
           "   (weft first on odd repetitions, CPython first on even ones); ratio = makespan / sequential's of the\n"
           "   same tool and repetition (CPython measured: threads 1.09-1.12, processes 0.53 on idle 2-core machines)\n",
           n, ms, reps);
    load_line("before");
    static const char *py_mode[NMODE] = { "sequential", "threads", NULL, "processes" };
    static const char *w_backend[NMODE] = { NULL, NULL, NULL, "processes" };
    double w[NMODE][16], p[NMODE][16], pc[NMODE][16], load[16];
    char text[NMODE][256];
    snprintf(text[SEQ], sizeof text[SEQ], "actor s { repeat %d { compute %dms } }\n", n, ms);
    snprintf(text[GIL_ON], sizeof text[GIL_ON], "gil on\nactor t * %d { compute %dms }\n", n, ms);
    snprintf(text[GIL_OFF], sizeof text[GIL_OFF], "gil off\nactor t * %d { compute %dms }\n", n, ms);
    snprintf(text[PROCS], sizeof text[PROCS], "gil on\nactor t * %d { compute %dms }\n", n, ms);
    for (int r = 0; r < reps; r++) {
        load[r] = load_now();
        for (int k = 0; k < NMODE; k++) {
            p[k][r] = pc[k][r] = -1;
            for (int side = 0; side < 2; side++) {
                bool weft_turn = (side == 0) == (r % 2 == 0);
                if (weft_turn) {
                    w[k][r] = weft_makespan(text[k], w_backend[k]);
                } else if (py_mode[k]) {
                    char args[96];
                    snprintf(args, sizeof args, "cpu %d %d %s", ms, n, py_mode[k]);
                    const char *json = py_run(args);
                    char key[32];
                    snprintf(key, sizeof key, "%s_cpu", py_mode[k]);
                    p[k][r] = jnum(json, py_mode[k]);
                    double cpu = jnum(json, key);
                    pc[k][r] = p[k][r] > 0 && cpu > 0 ? p[k][r] / cpu : -1;   /* wall per CPU second of work */
                }
            }
        }
        printf("  rep %2d (load %.2f): weft", r + 1, load[r]);
        for (int k = 0; k < NMODE; k++) printf(" %.3fs", w[k][r]);
        printf(" | CPython");
        for (int k = 0; k < NMODE; k++)
            if (p[k][r] > 0) printf(" %.3fs", p[k][r]);
            else printf(" -");
        printf(" | per work");
        for (int k = 1; k < NMODE; k++)
            if (pc[k][r] > 0 && pc[SEQ][r] > 0) printf(" %.3fx", pc[k][r] / pc[SEQ][r]);
            else printf(" -");
        printf("\n");
        fflush(stdout);
    }
    load_line("after");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("  %-18s %10s %10s   %10s %10s %10s   %s\n", "medians", "weft", "ratio", "CPython", "ratio", "per work",
           "weft ratio / CPython's (per work)");
    for (int k = 0; k < NMODE; k++) {
        double mw = median_of(w[k], reps), mp = median_of(p[k], reps);
        double rw = median_ratio(w[k], w[SEQ], reps), rp = median_ratio(p[k], p[SEQ], reps);
        double rn = median_ratio(pc[k], pc[SEQ], reps);
        printf("  %-18s %9.3fs %9.3fx", mode_name[k], mw, rw);
        if (mp > 0)
            printf("   %9.3fs %9.3fx %9.3fx   %.3f (%.3f)%s\n", mp, rp, rn, rw / rp, rn > 0 ? rw / rn : -1,
                   k == SEQ                               ? ""
                   : rn > 0 && rw / rn <= 1.10 && rw / rn >= 0.90 ? " (within 10 % per work)"
                                                          : " (NOT within 10 % per work)");
        else printf("   %10s %10s\n", "n/a", "");
    }
    printf("  ('per work': CPython's makespan divided by the CPU time its work took, over sequential's: weft's\n"
           "   compute is steered by CPU time, while the same CPython iterations cost from run to run a CPU time\n"
           "   that drifts with this VM's vCPU speed, so only this column compares like with like)\n");
    printf("  (the ideal without a shared GIL: makespan / sequential = 1 / min(%d, %ld cores) = %.2f)\n", n, cores,
           1.0 / (double)(n < cores ? n : cores));
}

/* The I/O unit's delays: from each sleep's due end to its next GIL acquisition. */
static int convoy_delays(const wrun *w, double *out, int cap) {
    const trc_run *run = &w->rec->runs[0];
    uint32_t io = UINT32_MAX;
    for (uint32_t u = 0; u < run->nunits; u++)
        if (!strcmp(run->units[u].name, "io.0")) io = u;
    int n = 0;
    uint64_t due = 0;
    for (size_t i = 0; i < run->nevents && n < cap; i++) {
        const trc_event *e = &run->events[i];
        if (e->unit != io) continue;
        if (e->kind == TRC_EV_SLEEP_BEGIN) due = e->t + e->arg;
        else if (e->kind == TRC_EV_GIL_ACQUIRE && due) {
            out[n++] = e->t > due ? (double)(e->t - due) / 1e6 : 0;
            due = 0;
        }
    }
    return n;
}

static void bench_convoy(int wakes) {
    printf("\n== the convoy: an I/O thread sleeping 10 ms x %d beside K CPU-bound threads: its delay in getting going\n"
           "   again after each sleep (ms; weft: sleep's end -> GIL acquired; CPython: time.sleep's overshoot);\n"
           "   weft and CPython alternate which goes first; 'ivs' = the mean in switch intervals\n",
           wakes);
    load_line("before");
    printf("  %-9s %2s %5s   %8s %8s %8s %5s   %8s %8s %8s %5s\n", "interval", "K", "load", "weft med", "mean", "p95",
           "ivs", "CPy med", "mean", "p95", "ivs");
    static const int ivs[] = { 1, 5, 50 }, ks[] = { 1, 2, 4 };
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            char text[512];
            snprintf(text, sizeof text,
                     "gil on\nswitch_interval %dms\nactor io { repeat %d { sleep 10ms; compute 20us } }\n"
                     "actor cpu * %d daemon { loop { compute 5ms } }\n",
                     ivs[a], wakes, ks[b]);
            double load = load_now();
            double d[1024];
            int n = 0;
            const char *j = NULL;
            char args[64], jl[4096] = "";
            snprintf(args, sizeof args, "convoy %d %d %d", ivs[a], ks[b], wakes);
            for (int side = 0; side < 2; side++) {
                if ((side == 0) == ((a * 3 + b) % 2 == 0)) {
                    wrun w;
                    if (weft_run(&w, text, NULL)) {
                        n = convoy_delays(&w, d, 1024);
                        weft_free(&w);
                    }
                } else if ((j = py_run(args))) {
                    snprintf(jl, sizeof jl, "%s", j);
                }
            }
            double mean = 0;
            for (int i = 0; i < n; i++) mean += d[i];
            mean = n ? mean / n : -1;
            double med = median(d, n), p95 = n ? d[(int)(0.95 * (n - 1))] : -1;
            double pmean = jnum(jl, "mean") * 1e3;
            printf("  %6d ms %2d %5.1f   %8.2f %8.2f %8.2f %5.2f   %8.2f %8.2f %8.2f %5.2f\n", ivs[a], ks[b], load, med,
                   mean, p95, mean / ivs[a], jnum(jl, "median") * 1e3, pmean, jnum(jl, "p95") * 1e3, pmean / ivs[a]);
            fflush(stdout);
        }
}

static void bench_handoff(void) {
    printf("\n== GIL hand-off latency (two CPU-bound threads, 5 ms interval)\n");
    load_line("before");
    wrun w;
    if (weft_run(&w, "gil on\nactor t * 2 { compute 500ms }\n", NULL)) {
        int g = gil_index(&w.rec->runs[0]);
        if (g >= 0) {
            const trc_object_track *o = &w.m.objects[g];
            printf("  weft:    %u hand-offs (drop -> the waiter's acquisition): mean %.1f us, max %.1f us; "
                   "%u drop requests\n",
                   o->handoffs, o->handoffs ? (double)o->gil_handoff_total / o->handoffs / 1e3 : 0,
                   (double)o->gil_handoff_max / 1e3, o->gil_drop_requests);
        }
        weft_free(&w);
    }
    const char *j = py_run("handoff 1.0");
    printf("  CPython: %.0f hand-offs (last bytecode of one -> first of the next): median %.1f us, mean %.1f us, "
           "p95 %.1f us\n",
           jnum(j, "n"), jnum(j, "median_ns") / 1e3, jnum(j, "mean_ns") / 1e3, jnum(j, "p95_ns") / 1e3);
}

int main(int argc, char **argv) {
    int reps = 3, wakes = 30;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) quick = true;
        else if (!strcmp(argv[i], "--python") && i + 1 < argc) python = argv[++i];
        else if (!strcmp(argv[i], "--script") && i + 1 < argc) script = argv[++i];
        else {
            fprintf(stderr, "usage: bench_gil [--reps N] [--quick] [--python PATH] [--script PATH]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (reps > 16) reps = 16;
    if (quick) wakes = 10;
    if (access(script, R_OK)) {
        fprintf(stderr, "bench_gil: cannot read %s (give --script)\n", script);
        return 2;
    }
    if (!mkdtemp(tmpdir)) {
        perror("bench_gil: mkdtemp");
        return 3;
    }
    sim_calibrate();
    const char *v = py_run("version");
    printf("bench_gil: weft vs %s", v ? v : "python3 (version unknown)\n");
    bench_cpu(reps, quick ? 100 : 250, 4);
    bench_convoy(wakes);
    bench_handoff();
    rmdir(tmpdir);
    return 0;
}
