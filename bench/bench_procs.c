/* The processes backend, measured beside Python's multiprocessing in the
 * same run. Prints figures; asserts nothing.
 *
 *   bench_procs [rounds] [python3]
 *
 * Every weft figure comes from a real run (sim_run on the processes backend,
 * recorded into a temporary file) and is read off the recording:
 *
 *   start-up    a unit spawns N children; per child, the time from its SPAWN
 *               to its process's first event (PROC_START): fork (a fork from
 *               the spawner, then the reparenting fork), spawn (fork + exec of
 *               weft, which maps the run, re-reads the scenario and
 *               calibrates). A thread (SPAWN to UNIT_START) is the anchor.
 *               Medians, and the minimum.
 *   event cost  one unit records marks, a ring's worth to touch its pages,
 *               then `rounds * 100` timed ones: the time per event in a
 *               child process against the same in a thread (the goal: the
 *               child within 1.2x), over windows of 1000 events (median and
 *               fastest) in 5 runs each.
 *   latency     a ping-pong between two processes, `rounds` round trips, half
 *               a round trip per message: a queue (put/get, 64-byte items, no
 *               pickling cost added), a pipe (send/recv of 64 bytes), a shared
 *               counter (an increment and a condition's notify under a lock),
 *               shared memory (a 64-byte record written and read under a
 *               lock, with a condition) and a manager (a round trip per
 *               request: its half is the one-way figure).
 *   throughput  a stream of `rounds * 10` messages from one process to
 *               another: queue (capacity 64), pipe, shared counter (atomic
 *               increments the consumer polls), shm records, manager adds.
 *
 * bench/bench_procs.py measures the same in Python (multiprocessing.Process
 * with fork and spawn, Queue, Pipe, Value with its lock, SharedMemory with
 * a Lock, a Manager's Value proxy), run by this program with the same
 * rounds; both sets are printed side by side. Say what else runs on the
 * machine (uptime) when you quote them.
 */
#include "sim/sim.h"

#include <stdio.h>
#pragma GCC diagnostic ignored "-Wformat-nonliteral"   /* the scenarios' texts are formats of this file's own */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING (1u << 18)   /* events per unit's ring: 8 MiB */

static const char *tmpfile_path(void) {
    static char p[256];
    snprintf(p, sizeof p, "/tmp/bench_procs_%d.weft", (int)getpid());
    return p;
}

static const char *weft_exe(void) {
    static char p[4096];
    ssize_t n = readlink("/proc/self/exe", p, sizeof p - 1);
    if (n <= 0) return NULL;
    p[n] = 0;
    /* build/bench/bench_procs -> build/weft */
    char *slash = strrchr(p, '/');
    if (!slash) return NULL;
    *slash = 0;
    slash = strrchr(p, '/');
    if (!slash) return NULL;
    snprintf(slash, sizeof p - (size_t)(slash - p), "/weft");
    return access(p, X_OK) == 0 ? p : NULL;
}

/* Runs text on backend; returns the loaded recording (NULL on failure, said on stderr). */
static trc_recording *run(const char *text, const char *backend) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    if (sim_parse(&p, "bench.scn", text, NULL, 0, &d)) {
        fprintf(stderr, "bench_procs: %d:%d: %s\n", d.line, d.col, d.msg);
        return NULL;
    }
    sim_result res;
    int rc = sim_run(&res, p, &(sim_desc){ .out_path = tmpfile_path(), .backend = backend, .ring_events = RING,
                                           .worker_exe = weft_exe(), .timeout_ns = 120000000000ull }, &d);
    sim_program_free(p);
    if (rc || res.end_reason != TRC_END_OK) {
        fprintf(stderr, "bench_procs: the run failed: %s %s\n", rc ? d.msg : "", res.report);
        return NULL;
    }
    trc_recording *rec;
    if (trc_recording_load(&rec, tmpfile_path(), &d)) {
        fprintf(stderr, "bench_procs: %s\n", d.msg);
        return NULL;
    }
    unlink(tmpfile_path());
    return rec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double median(uint64_t *v, size_t n) {
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- start-up -------------------------------------------------------------- */

/* SPAWN -> the child's first event of `first_kind`, per child: median and minimum (us). */
static void startup(const char *backend, const char *start, int n, uint16_t first_kind, double *med, double *min) {
    char text[512];
    snprintf(text, sizeof text, "actor parent { spawn kid }\nactor kid * %d spawned%s%s { }\n", n, start ? " start=" : "",
             start ? start : "");
    *med = *min = 0;
    trc_recording *rec = run(text, backend);
    if (!rec) return;
    const trc_run *r = &rec->runs[0];
    uint64_t *spawn_t = calloc(r->nunits, sizeof *spawn_t), *lat = calloc(r->nunits, sizeof *lat);
    size_t nl = 0;
    for (size_t i = 0; i < r->nevents; i++) {
        const trc_event *e = &r->events[i];
        if (e->kind == TRC_EV_SPAWN && e->arg < r->nunits) spawn_t[e->arg] = e->t;
        if (e->kind == first_kind && spawn_t[e->unit] && e->t >= spawn_t[e->unit]) {
            lat[nl++] = e->t - spawn_t[e->unit];
            spawn_t[e->unit] = 0;
        }
    }
    *med = median(lat, nl) / 1e3;
    *min = nl ? (double)lat[0] / 1e3 : 0;
    free(spawn_t);
    free(lat);
    trc_recording_free(rec);
}

/* ---- the cost of an event ---------------------------------------------------- */

/* The unit's marks, back to back: the cost of one is read over windows of WINDOW consecutive ones
 * (a window with a preemption in it is an outlier on a loaded machine), over 5 runs: the median
 * window (the typical cost, with the ring's pages: a fresh page costs a fault in a thread, and
 * in a child too, which refaults the shared mapping's pages that fork did not copy) and the
 * fastest one. */
#define WINDOW 1000

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void event_ns(const char *backend, long n, double *best, double *med) {
    char text[256];
    /* a first lap round the ring touches its pages (a cost of the machine: a first write to a page
     * costs tens of microseconds on some virtual machines, in a thread as in a process); the second
     * lap, over warm pages, is timed */
    snprintf(text, sizeof text, "actor a { repeat %ld { mark \"w\" }; repeat %ld { mark \"e\" } }\n", (long)RING, n);
    double *w = NULL;
    size_t nw = 0, cap = 0;
    for (int i = 0; i < 5; i++) {
        trc_recording *rec = run(text, backend);
        if (!rec) continue;
        const trc_run *r = &rec->runs[0];
        uint64_t *t = malloc(sizeof *t * (r->nevents + 1));
        size_t m = 0;
        for (size_t j = 0; j < r->nevents; j++)
            if (r->events[j].kind == TRC_EV_MARK && r->events[j].arg == 1) t[m++] = r->events[j].t;   /* "e" */
        for (size_t j = 0; j + WINDOW < m; j += WINDOW / 10) ARR_PUSH(w, nw, cap, (double)(t[j + WINDOW] - t[j]) / WINDOW);
        free(t);
        trc_recording_free(rec);
    }
    *best = *med = 0;
    if (nw) {
        qsort(w, nw, sizeof *w, cmp_d);
        *best = w[0];
        *med = w[nw / 2];
    }
    free(w);
}

/* ---- messages -------------------------------------------------------------------- */

/* The time from the start (the barrier `go` opening, else unit 0's first step) to unit 0's last
 * step (ns): the processes' start-up is left out. */
static double span_of_unit0(const trc_recording *rec) {
    const trc_run *r = &rec->runs[0];
    uint64_t t0 = 0, t1 = 0, open = 0;
    bool seen = false;
    for (size_t j = 0; j < r->nevents; j++) {
        const trc_event *e = &r->events[j];
        if (e->kind == TRC_EV_BARRIER_OPEN && !open) open = e->t;
        if (e->unit != 0 || e->kind == TRC_EV_PROC_START || e->kind == TRC_EV_PROC_EXIT ||
            e->kind == TRC_EV_UNIT_START || e->kind == TRC_EV_UNIT_EXIT)
            continue;
        if (!seen) t0 = e->t;
        seen = true;
        t1 = e->t;
    }
    if (open && open < t1) t0 = open;
    return (double)(t1 - t0);
}

typedef struct mech { const char *name, *pingpong, *stream; } mech;

/* %ld: the count. Unit 0 (the first actor) is timed. */
static const mech mechs[] = {
    { "queue",
      "queue a capacity=1\nqueue b capacity=1\nbarrier go 2\n"
      "actor p { wait go; repeat %ld { put a; get b } }\nactor q { wait go; repeat %ld { get a; put b } }\n",
      "queue a capacity=64\nbarrier go 2\n"
      "actor c { wait go; repeat %ld { get a } }\nactor p { wait go; repeat %ld { put a } }\n" },
    { "pipe",
      "pipe a\npipe b\nbarrier go 2\n"
      "actor p { wait go; repeat %ld { send a; recv b } }\nactor q { wait go; repeat %ld { recv a; send b } }\n",
      "pipe a\nbarrier go 2\n"
      "actor c { wait go; repeat %ld { recv a } }\nactor p { wait go; repeat %ld { send a } }\n" },
    { "shared counter",
      "counter c\nlock m\ncondition cv lock=m\nbarrier go 2\n"
      "actor p { wait go; repeat %ld { lock m { incr c; notify cv; wait_for cv c %% 2 == 0 } } }\n"
      "actor q { wait go; repeat %ld { lock m { wait_for cv c %% 2 == 1; incr c; notify cv } } }\n",
      "counter c\nbarrier go 2\n"
      "actor q { wait go; loop { if c >= %ld { break } }; mark \"got all\" }\n"
      "actor p { wait go; repeat %ld { incr c } }\n" },
    { "shared memory",
      "shm s size=4KiB\ncounter c\nlock m\ncondition cv lock=m\nbarrier go 2\n"
      "actor p { wait go; repeat %ld { lock m { write s offset=0 len=64; incr c; notify cv; wait_for cv c %% 2 == 0;\n"
      "  read s offset=64 len=64 } } }\n"
      "actor q { wait go; repeat %ld { lock m { wait_for cv c %% 2 == 1; read s offset=0 len=64;\n"
      "  write s offset=64 len=64; incr c; notify cv } } }\n",
      "shm s size=64KiB\ncounter c\nlock m\ncondition cv lock=m\nbarrier go 2\n"
      "actor q { wait go; repeat %ld { lock m { wait_for cv c > 0; read s offset=0 len=64; decr c; notify cv } } }\n"
      "actor p { wait go; repeat %ld { lock m { wait_for cv c < 64; write s offset=0 len=64; incr c; notify cv } } }\n" },
    { "manager",
      "manager m\ncounter c = 0 managed by m\nactor p { repeat %ld { incr c } }\n",
      "manager m\ncounter c = 0 managed by m\nactor p { repeat %ld { incr c } }\n" },
};

/* One-way latency (us): half a round trip; a manager's figure is per request. */
static double latency_us(const mech *m, long n) {
    char text[2048];
    snprintf(text, sizeof text, m->pingpong, n, n);
    trc_recording *rec = run(text, "processes");
    if (!rec) return 0;
    double span = span_of_unit0(rec);
    trc_recording_free(rec);
    bool rpc = !strcmp(m->name, "manager");
    return span / (double)n / (rpc ? 1.0 : 2.0) / 1e3;
}

/* Messages per second through a stream (the consumer, unit 0, from its first get to its last). */
static double throughput(const mech *m, long n) {
    char text[2048];
    snprintf(text, sizeof text, m->stream, n, n);
    trc_recording *rec = run(text, "processes");
    if (!rec) return 0;
    double span = span_of_unit0(rec);
    trc_recording_free(rec);
    return span > 0 ? (double)n / (span / 1e9) : 0;
}

/* ---- Python ----------------------------------------------------------------------- */

typedef struct pyfig { char name[64]; double v; } pyfig;

static int python(const char *py, long rounds, pyfig *out, int cap) {
    char script[4096], cmd[8192];
    ssize_t n = readlink("/proc/self/exe", script, sizeof script - 1);
    if (n <= 0) return 0;
    script[n] = 0;
    /* the script sits beside this program's source: WEFT_SOURCE_DIR/bench */
    snprintf(cmd, sizeof cmd, "%s %s/bench/bench_procs.py %ld 2>/dev/null", py, WEFT_SOURCE_DIR, rounds);
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

static void pycol(double v, const char *fmt) {
    if (v < 0) printf("%14s", "n/a");
    else printf(fmt, v);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 1000;
    const char *py = argc > 2 ? argv[2] : "python3";
    if (rounds < 10) rounds = 10;
    pyfig pf[64];
    int npf = python(py, rounds, pf, 64);
    if (!npf) fprintf(stderr, "bench_procs: no figures from %s bench/bench_procs.py (Python's side is left out)\n", py);

    printf("start-up of a unit, from its spawn to its first event (us)       weft median   weft min   python median\n");
    double med, min;
    startup("threads", NULL, 20, TRC_EV_UNIT_START, &med, &min);
    printf("  thread (anchor)                                                %10.1f %10.1f", med, min);
    pycol(pyget(pf, npf, "start_thread"), "%14.1f\n");
    startup("processes", "fork", 20, TRC_EV_PROC_START, &med, &min);
    printf("  process, fork                                                  %10.1f %10.1f", med, min);
    pycol(pyget(pf, npf, "start_fork"), "%14.1f\n");
    if (weft_exe()) {
        startup("processes", "spawn", 6, TRC_EV_PROC_START, &med, &min);
        printf("  process, spawn (exec of weft)                                  %10.1f %10.1f", med, min);
    } else {
        printf("  process, spawn: no weft executable beside this program          %10s %10s", "-", "-");
    }
    pycol(pyget(pf, npf, "start_spawn"), "%14.1f\n");

    long nev = rounds * 100 < (long)RING ? rounds * 100 : (long)RING;   /* within the second lap */
    double et, ep, mt, mp;
    event_ns("threads", nev, &et, &mt);
    event_ns("processes", nev, &ep, &mp);
    printf("\nthe cost of an event (a mark), %ld per run, 5 runs (ns per event over windows of %d: median, fastest)\n",
           nev, WINDOW);
    printf("  in a thread %.1f (%.1f), in a child process %.1f (%.1f): %.2fx (goal: within 1.2x)\n", mt, et, mp, ep,
           mt > 0 ? mp / mt : 0);

    printf("\nmessages between two processes            latency (us, one way)        throughput (messages/s)\n");
    printf("                                             weft        python            weft          python\n");
    static const char *const pykey[][2] = { { "lat_queue", "thr_queue" }, { "lat_pipe", "thr_pipe" },
                                            { "lat_value", "thr_value" }, { "lat_shm", "thr_shm" },
                                            { "lat_manager", "thr_manager" } };
    for (size_t i = 0; i < sizeof mechs / sizeof *mechs; i++) {
        const mech *m = &mechs[i];
        long n = !strcmp(m->name, "manager") ? rounds : rounds;
        double lat = latency_us(m, n), thr = throughput(m, rounds * 10);
        printf("  %-36s %10.2f", m->name, lat);
        pycol(pyget(pf, npf, pykey[i][0]), "%14.2f");
        printf("  %14.0f", thr);
        pycol(pyget(pf, npf, pykey[i][1]), "%16.0f");
        printf("\n");
    }
    printf("\n(python: %s; the queue and pipe carry a pickled 64-byte object in Python, 64 raw bytes in weft;\n"
           " the shared counter is a Value with its lock; the manager's figures are a proxy's += of a Value)\n",
           npf ? py : "not run");
    return 0;
}
