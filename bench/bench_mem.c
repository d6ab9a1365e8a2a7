/* What an idle unit costs in memory, weft beside CPython, in the same run.
 * Prints figures; asserts nothing.
 *
 *   bench_mem [threads] [processes] [python3]
 *
 * weft's figures come from real runs (sim_run, recorded into a temporary
 * file) and are read off the recording's memory samples (the model's
 * trc_mem): N units that each wait on one event until a starter sets it,
 * per unit the growth of the run's processes from before the units were made
 * to their peak. Threads (1000 by default) and processes (100) on their
 * backends. bench/bench_mem.py measures the same in CPython: threading.Thread
 * blocked on an Event, multiprocessing.Process (fork) blocked on an Event,
 * and asyncio tasks waiting (10 times as many as threads: a task is small),
 * each from /proc/PID/statm as weft reads it.
 *
 * It also prints what the sampling costs: a read of /proc/self/statm and of a
 * child's (a median over 2000), and the recorder's own account for the runs
 * (passes, reads, time) against the run's wall time.
 *
 * Tasks on the coroutines backend (as many as threads: the figure is per task)
 * beside CPython's asyncio tasks.
 * Say what else runs on the machine (uptime) when you quote them.
 */
#include "sim/sim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *tmpfile_path(void) {
    static char p[256];
    snprintf(p, sizeof p, "/tmp/bench_mem_%d.weft", (int)getpid());
    return p;
}

typedef struct fig { double res, virt; uint64_t passes, reads, ns, wall; bool ok; } fig;

static fig run(int n, const char *backend) {
    fig f = { 0 };
    char text[512];
    snprintf(text, sizeof text,
             "scenario \"idle units\"\nevent go\nactor idle * %d { wait go }\n"
             "actor starter {\n    sleep 100ms\n    set go\n}\n", n);
    diag d;
    diag_clear(&d);
    sim_program *p;
    if (sim_parse(&p, "bench_mem.scn", text, NULL, 0, &d)) {
        fprintf(stderr, "bench_mem: %d:%d: %s\n", d.line, d.col, d.msg);
        return f;
    }
    sim_result res;
    int rc = sim_run(&res, p, &(sim_desc){ .out_path = tmpfile_path(), .backend = backend,
                                           .timeout_ns = 120000000000ull }, &d);
    sim_program_free(p);
    if (rc || res.end_reason != TRC_END_OK) {
        fprintf(stderr, "bench_mem: the run on %s failed: %s %s\n", backend, rc ? d.msg : "", res.report);
        return f;
    }
    trc_recording *rec;
    if (trc_recording_load(&rec, tmpfile_path(), &d)) {
        fprintf(stderr, "bench_mem: %s\n", d.msg);
        return f;
    }
    unlink(tmpfile_path());
    trc_model m;
    if (!trc_model_build(&m, &rec->runs[0], &d) && m.mem.has_base) {
        f.res = m.mem.unit_resident;
        f.virt = m.mem.unit_virt;
        f.ok = true;
    }
    f.passes = res.mem_passes;
    f.reads = res.mem_reads;
    f.ns = res.mem_ns;
    f.wall = res.wall_ns;
    trc_model_release(&m);
    trc_recording_free(rec);
    return f;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median ns of a read of pid's statm (0: this process). */
static double read_cost(int32_t pid) {
    enum { N = 2000 };
    static uint64_t t[N];
    trc_mem_sample s;
    for (int i = 0; i < N; i++) {
        uint64_t a = clk_mono_ns();
        if (trc_mem_read(pid, &s, NULL)) return -1;
        t[i] = clk_mono_ns() - a;
    }
    qsort(t, N, sizeof *t, cmp_u64);
    return (double)t[N / 2];
}

/* ---- Python ----------------------------------------------------------------------- */

typedef struct pyfig { char name[64]; double v; } pyfig;

static int python(const char *py, int nt, int np, pyfig *out, int cap) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s/bench/bench_mem.py %d %d %d 2>/dev/null", py, WEFT_SOURCE_DIR, nt, np, nt * 10);
    FILE *f = popen(cmd, "r");
    if (!f) return 0;
    int k = 0;
    char line[256];
    while (k < cap && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        snprintf(out[k].name, sizeof out[k].name, "%.60s", line);
        out[k].v = atof(tab + 1);
        k++;
    }
    pclose(f);
    return k;
}

static double pyget(const pyfig *f, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].name, name)) return f[i].v;
    return -1;
}

static void kib(double bytes) {
    if (bytes < 0) printf("%12s", "n/a");
    else printf("%9.1f KiB", bytes / 1024);
}

int main(int argc, char **argv) {
    int nt = argc > 1 ? atoi(argv[1]) : 1000;
    int np = argc > 2 ? atoi(argv[2]) : 100;
    const char *py = argc > 3 ? argv[3] : "python3";
    if (nt < 1) nt = 1;
    if (np < 1) np = 1;

    /* the cost of a sample: this process's statm, and a child's */
    double self_ns = read_cost(0), child_ns = -1;
    pid_t kid = fork();
    if (kid == 0) {
        pause();
        _exit(0);
    }
    if (kid > 0) {
        child_ns = read_cost((int32_t)kid);
        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
    }

    fig th = run(nt, "threads");
    fig pr = run(np, "processes");
    fig co = run(nt, "coroutines");
    pyfig pf[16];
    int npf = python(py, nt, np, pf, 16);
    if (!npf) fprintf(stderr, "bench_mem: no figures from %s bench/bench_mem.py (Python's side is left out)\n", py);

    printf("memory per idle unit (growth / units; resident, virtual)   weft resident  weft virtual"
           "  python resident  python virtual\n");
    char label[96];
    snprintf(label, sizeof label, "threads x %d (python: threading.Thread on an Event)", nt);
    printf("%-58s", label);
    kib(th.ok ? th.res : -1); printf("  "); kib(th.ok ? th.virt : -1); printf("     ");
    kib(pyget(pf, npf, "threads_resident")); printf("    "); kib(pyget(pf, npf, "threads_virtual")); printf("\n");
    snprintf(label, sizeof label, "processes x %d (python: multiprocessing fork)", np);
    printf("%-58s", label);
    kib(pr.ok ? pr.res : -1); printf("  "); kib(pr.ok ? pr.virt : -1); printf("     ");
    kib(pyget(pf, npf, "processes_resident")); printf("    "); kib(pyget(pf, npf, "processes_virtual")); printf("\n");
    snprintf(label, sizeof label, "tasks x %d (python: x %d asyncio tasks waiting)", nt, nt * 10);
    printf("%-58s", label);
    kib(co.ok ? co.res : -1); printf("  "); kib(co.ok ? co.virt : -1); printf("     ");
    kib(pyget(pf, npf, "tasks_resident")); printf("    "); kib(pyget(pf, npf, "tasks_virtual")); printf("\n");

    printf("\nsampling: a read of /proc/self/statm %.1f us, of a child's /proc/PID/statm %.1f us (medians)\n",
           self_ns / 1e3, child_ns / 1e3);
    printf("recorder, threads run: %llu passes, %llu reads, %.2f ms of CPU sampling in %.0f ms of run (%.3f%%)\n",
           (unsigned long long)th.passes, (unsigned long long)th.reads, (double)th.ns / 1e6, (double)th.wall / 1e6,
           th.wall ? 100.0 * (double)th.ns / (double)th.wall : 0.0);
    printf("recorder, processes run: %llu passes, %llu reads, %.2f ms of CPU sampling in %.0f ms of run (%.3f%%)\n",
           (unsigned long long)pr.passes, (unsigned long long)pr.reads, (double)pr.ns / 1e6, (double)pr.wall / 1e6,
           pr.wall ? 100.0 * (double)pr.ns / (double)pr.wall : 0.0);
    printf("recorder, coroutines run: %llu passes, %llu reads, %.2f ms of CPU sampling in %.0f ms of run (%.3f%%)\n",
           (unsigned long long)co.passes, (unsigned long long)co.reads, (double)co.ns / 1e6, (double)co.wall / 1e6,
           co.wall ? 100.0 * (double)co.ns / (double)co.wall : 0.0);
    printf("\n(weft's tasks are stackful: a 64 KiB stack each, of which an idle one touches its top page; CPython's\n"
           " asyncio task keeps no stack)\n");
    printf("\n(weft's threads reserve a 256 KiB stack, CPython's 8 MiB; a process's resident size counts the pages it\n"
           " shares with its parent after the fork, in both columns; weft's per-unit figure includes a page or so of\n"
           " its recorder buffer per unit)\n");
    return 0;
}
