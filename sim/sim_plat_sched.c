/* Context switches from the kernel: one perf event per CPU (a software dummy
 * event with context_switch records, inherited by every thread and process
 * the opener makes afterwards, each record stamped with its pid/tid, the time
 * on CLOCK_MONOTONIC and the CPU), its ring buffer mapped and drained by a
 * thread of its own every 20 ms into a growing array.
 *
 * Per-task inherited events cannot be mapped (the kernel refuses mmap for
 * cpu == -1 with inherit), so the events are per CPU; inherited events write
 * into their parent's buffers, which is what makes one buffer per CPU see
 * every thread and child process of the run.
 *
 * DESIGN
 *   Threads: the opener (main) and the drain thread. The drain thread is the
 *   only reader of the mapped buffers until sim_sched_take stops it; the
 *   array of records is guarded by `mu` (the drain appends, take moves it).
 */
#include "sim/sim_plat_sched.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_NS 20000000ull

typedef struct cpu_buf {
    int fd;
    void *map;                      /* 1 + npages pages: the header page, then the data */
    size_t data_size;
} cpu_buf;

struct sim_sched {
    cpu_buf *cpus; int ncpus;
    size_t page;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;              /* the drain thread's sleep, cut short by stop */
    bool stop;
    sim_sched_rec *recs; size_t nrecs, cap;   /* guarded by mu */
    uint64_t lost;                  /* guarded by mu */
    uint8_t *scratch; size_t cap_scratch;     /* the drain thread's: a record that wraps around */
};

static int paranoid(void) {
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int v = -99;
    if (f) {
        if (fscanf(f, "%d", &v) != 1) v = -99;
        fclose(f);
    }
    return v;
}

static int refused(diag *d, const char *what, int e) {
    int p = paranoid();
    if (p != -99)
        return diag_set(d, ERR_UNSUPPORTED, "%s: %s (/proc/sys/kernel/perf_event_paranoid is %d)", what, strerror(e), p);
    return diag_set(d, ERR_UNSUPPORTED, "%s: %s", what, strerror(e));
}

/* Reads one CPU's new records (mu not held: only this thread reads the buffer). */
static void drain_cpu(sim_sched *s, cpu_buf *b) {
    struct perf_event_mmap_page *h = b->map;
    uint64_t head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = h->data_tail;
    const uint8_t *data = (const uint8_t *)b->map + s->page;
    sim_sched_rec got[256];
    size_t ngot = 0;
    uint64_t lost = 0;
    while (tail < head) {
        struct perf_event_header eh;
        size_t off = (size_t)(tail % b->data_size);
        if (off + sizeof eh <= b->data_size) memcpy(&eh, data + off, sizeof eh);
        else {
            size_t first = b->data_size - off;
            memcpy(&eh, data + off, first);
            memcpy((uint8_t *)&eh + first, data, sizeof eh - first);
        }
        if (eh.size < sizeof eh || tail + eh.size > head) break;   /* torn: should never be */
        const uint8_t *rec = data + off;
        if (off + eh.size > b->data_size) {                          /* wraps around: copy it whole */
            if (s->cap_scratch < eh.size) {
                s->scratch = xrealloc(s->scratch, eh.size);
                s->cap_scratch = eh.size;
            }
            size_t first = b->data_size - off;
            memcpy(s->scratch, data + off, first);
            memcpy(s->scratch + first, data, eh.size - first);
            rec = s->scratch;
        }
        if (eh.type == PERF_RECORD_SWITCH && eh.size >= sizeof eh + 24) {
            /* sample_id: u32 pid, tid; u64 time; u32 cpu, res */
            uint32_t pid, tid, cpu;
            uint64_t t;
            memcpy(&pid, rec + sizeof eh, 4);
            memcpy(&tid, rec + sizeof eh + 4, 4);
            memcpy(&t, rec + sizeof eh + 8, 8);
            memcpy(&cpu, rec + sizeof eh + 16, 4);
            uint32_t what = !(eh.misc & PERF_RECORD_MISC_SWITCH_OUT) ? SIM_SCHED_IN
                          : (eh.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) ? SIM_SCHED_OUT_PREEMPTED
                                                                           : SIM_SCHED_OUT_BLOCKED;
            got[ngot++] = (sim_sched_rec){ .t = t, .pid = (int32_t)pid, .tid = (int32_t)tid, .cpu = cpu, .what = what };
        } else if (eh.type == PERF_RECORD_LOST && eh.size >= sizeof eh + 16) {
            uint64_t n;
            memcpy(&n, rec + sizeof eh + 8, 8);
            lost += n;
        }
        tail += eh.size;
        if (ngot == sizeof got / sizeof *got || tail >= head) {
            pthread_mutex_lock(&s->mu);
            if (ngot) {
                ARR_GROW(s->recs, s->nrecs + ngot, s->cap);
                memcpy(s->recs + s->nrecs, got, ngot * sizeof *got);
                s->nrecs += ngot;
            }
            s->lost += lost;
            pthread_mutex_unlock(&s->mu);
            ngot = 0;
            lost = 0;
        }
    }
    __atomic_store_n(&h->data_tail, tail, __ATOMIC_RELEASE);
}

static void drain_all(sim_sched *s) {
    for (int c = 0; c < s->ncpus; c++)
        if (s->cpus[c].map) drain_cpu(s, &s->cpus[c]);
}

static void *drain_thread(void *arg) {
    sim_sched *s = arg;
    pthread_setname_np(pthread_self(), "weft-sched");
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t at = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + DRAIN_NS;
        ts.tv_sec = (time_t)(at / 1000000000ull);
        ts.tv_nsec = (long)(at % 1000000000ull);
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        if (s->stop) break;
        pthread_mutex_unlock(&s->mu);
        drain_all(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int sim_sched_open(sim_sched **out, const sim_sched_desc *desc, diag *d) {
    *out = NULL;
    if (desc && desc->refuse) return diag_set(d, ERR_UNSUPPORTED, "perf_event_open: refused on request (--no-perf)");
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    if (ncpu < 1) ncpu = 1;
    if (ncpu > 4096) ncpu = 4096;
    sim_sched *s = xcalloc(1, sizeof *s);
    s->page = (size_t)sysconf(_SC_PAGESIZE);
    s->ncpus = (int)ncpu;
    s->cpus = xcalloc((size_t)ncpu, sizeof *s->cpus);
    for (int c = 0; c < s->ncpus; c++) s->cpus[c].fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);

    struct perf_event_attr at;
    memset(&at, 0, sizeof at);
    at.size = sizeof at;
    at.type = PERF_TYPE_SOFTWARE;
    at.config = PERF_COUNT_SW_DUMMY;
    at.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
    at.sample_id_all = 1;
    at.context_switch = 1;
    at.inherit = 1;
    at.exclude_kernel = 1;
    at.exclude_hv = 1;
    at.use_clockid = 1;
    at.clockid = CLOCK_MONOTONIC;
    at.disabled = 1;
    int opened = 0, err = 0;
    pid_t self = (pid_t)gettid();
    for (int c = 0; c < s->ncpus; c++) {
        int fd = (int)syscall(SYS_perf_event_open, &at, self, c, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            if (errno == ENODEV || errno == EINVAL) continue;   /* an offline CPU */
            err = errno;
            break;
        }
        s->cpus[c].fd = fd;
        opened++;
    }
    if (err || !opened) {
        sim_sched_close(s);
        return refused(d, "perf_event_open", err ? err : ENODEV);
    }
    /* 64 data pages per CPU (fewer if the locked-memory limit says so) */
    for (int c = 0; c < s->ncpus; c++) {
        cpu_buf *b = &s->cpus[c];
        if (b->fd < 0) continue;
        for (size_t pages = 64; pages >= 2; pages /= 2) {
            void *m = mmap(NULL, (pages + 1) * s->page, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
            if (m != MAP_FAILED) {
                b->map = m;
                b->data_size = pages * s->page;
                break;
            }
            err = errno;
        }
        if (!b->map) {
            sim_sched_close(s);
            return refused(d, "mmap of the perf buffer", err);
        }
    }
    for (int c = 0; c < s->ncpus; c++)
        if (s->cpus[c].fd >= 0) ioctl(s->cpus[c].fd, PERF_EVENT_IOC_ENABLE, 0);
    fork_guard(&s->mu, true);   /* the reader allocates under mu: no fork in the middle (base_fork.c) */
    if (thread_start(&s->thread, NULL, drain_thread, s)) {
        fork_guard(&s->mu, false);
        sim_sched_close(s);
        return diag_set(d, ERR_NOMEM, "cannot start the thread that reads the kernel's context switches");
    }
    s->running = true;
    *out = s;
    return 0;
}

void sim_sched_take(sim_sched *s, sim_sched_rec **recs, size_t *n, uint64_t *lost) {
    if (s->running) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        s->running = false;
        fork_guard(&s->mu, false);
    }
    for (int c = 0; c < s->ncpus; c++)
        if (s->cpus[c].fd >= 0) ioctl(s->cpus[c].fd, PERF_EVENT_IOC_DISABLE, 0);
    drain_all(s);
    pthread_mutex_lock(&s->mu);
    *recs = s->recs;
    *n = s->nrecs;
    *lost = s->lost;
    s->recs = NULL;
    s->nrecs = s->cap = 0;
    pthread_mutex_unlock(&s->mu);
}

void sim_sched_close(sim_sched *s) {
    if (!s) return;
    if (s->running) {
        sim_sched_rec *r;
        size_t n;
        uint64_t l;
        sim_sched_take(s, &r, &n, &l);
        free(r);
    }
    for (int c = 0; c < s->ncpus; c++) {
        if (s->cpus[c].map) munmap(s->cpus[c].map, s->cpus[c].data_size + s->page);
        if (s->cpus[c].fd >= 0) close(s->cpus[c].fd);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->cpus);
    free(s->recs);
    free(s->scratch);
    free(s);
}

void sim_sched_counts(uint64_t *vol, uint64_t *invol) {
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru)) {
        *vol = *invol = 0;
        return;
    }
    *vol = (uint64_t)ru.ru_nvcsw;
    *invol = (uint64_t)ru.ru_nivcsw;
}
