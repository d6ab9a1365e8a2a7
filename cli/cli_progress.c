/* cli: progress of long commands, on a terminal only. One line on stderr,
 * rewritten in place at most 10 times a second and erased when done; nothing
 * at all when stdout or stderr is not a terminal, or with --quiet
 * (WEFT_PROGRESS=always forces it, for tests; WEFT_PROGRESS=never silences it). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static bool shown;   /* a line is on screen */

bool progress_wanted(void) {
    const char *env = getenv("WEFT_PROGRESS");
    if (env && !strcmp(env, "always")) return true;
    if (env && !strcmp(env, "never")) return false;
    return !cli_quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

void progress_clear(void) {
    if (!shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    shown = false;
}

/* An export: "exporting: 42%" */
typedef struct frac_state { const char *what; uint64_t last; int pct; } frac_state;
static frac_state frac;

void progress_frac_begin(const char *what) { frac = (frac_state){ .what = what, .pct = -1 }; }

void progress_frac(void *ud, double done) {
    (void)ud;
    uint64_t now = clk_mono_ns();
    int pct = (int)(done * 100);
    if (pct == frac.pct || (frac.last && now - frac.last < 100000000ull && pct < 100)) return;
    frac.last = now;
    frac.pct = pct;
    char line[128];
    snprintf(line, sizeof line, "%s: %d%%", frac.what, pct);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    shown = true;
}

/* A run: a thread shows the elapsed time and the events recorded so far (the
 * recording's size on disk: 32 bytes an event) until progress_run_end. */
static struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool on, stop;
    const char *path;
    uint64_t t0;
} run_p = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void run_line(void) {
    struct stat st;
    uint64_t bytes = stat(run_p.path, &st) == 0 ? (uint64_t)st.st_size : 0;
    char el[32], sz[32];
    fmt_dur(el, sizeof el, clk_mono_ns() - run_p.t0);
    fmt_bytes(sz, sizeof sz, bytes);
    char line[160];
    snprintf(line, sizeof line, "running: %s, about %llu events recorded (%s)", el, (unsigned long long)(bytes / 32), sz);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    shown = true;
}

static void *run_thread(void *arg) {
    (void)arg;
    pthread_mutex_lock(&run_p.mu);
    while (!run_p.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&run_p.cv, &run_p.mu, &ts);
        if (!run_p.stop && clk_mono_ns() - run_p.t0 > 500000000ull) run_line();   /* short runs show nothing */
    }
    pthread_mutex_unlock(&run_p.mu);
    return NULL;
}

void progress_run_begin(const char *path) {
    if (run_p.on || !progress_wanted()) return;
    run_p.path = path;
    run_p.t0 = clk_mono_ns();
    run_p.stop = false;
    run_p.on = pthread_create(&run_p.th, NULL, run_thread, NULL) == 0;
}

void progress_run_end(void) {
    if (!run_p.on) return;
    pthread_mutex_lock(&run_p.mu);
    run_p.stop = true;
    pthread_cond_signal(&run_p.cv);
    pthread_mutex_unlock(&run_p.mu);
    pthread_join(run_p.th, NULL);
    run_p.on = false;
    progress_clear();
}
