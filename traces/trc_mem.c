/* Memory of the run's processes, sampled by the recorder's drain.
 *
 * Source: /proc/PID/statm (size and resident, in pages): the cheapest the
 * kernel offers (no walk over the mappings, unlike smaps), a few microseconds
 * a read whatever the number of threads. The run's own process keeps its file
 * open and rereads it with pread; a unit's process is opened, read and closed
 * each time (a run of a thousand processes would otherwise hold a thousand
 * descriptors).
 *
 * Cost control: a pass reads every process (a process just seen starting is
 * read at the next pass of the drain, due or not); passes are at least `period`
 * apart and at least 20 times the last pass's cost apart, so sampling never
 * takes more than about 5% of the drain thread. A process's sample is written
 * only when it moved by a page-sized step: 64 KiB or 1/64 of its resident
 * size, 1 MiB or 1/64 of its virtual size (a thousand idle threads are a
 * handful of samples, not one per pass).
 *
 * Ordering: see trc_mem_internal.h. */
#include "traces/trc_mem_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_statm(const char *b, trc_mem_sample *out) {
    unsigned long long size = 0, res = 0;
    if (sscanf(b, "%llu %llu", &size, &res) != 2) return -1;
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t page = pg > 0 ? (uint64_t)pg : 4096;
    out->virt = size * page;
    out->resident = res * page;
    return 0;
}

static int read_fd(int fd, trc_mem_sample *out) {
    char b[160];
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    if (n <= 0) return -1;
    b[n] = 0;
    return parse_statm(b, out);
}

static int open_statm(int32_t pid) {
    char path[48];
    if (pid) snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/statm");
    return open(path, O_RDONLY | O_CLOEXEC);
}

int trc_mem_read(int32_t pid, trc_mem_sample *out, diag *d) {
    memset(out, 0, sizeof *out);
    int fd = open_statm(pid);
    if (fd < 0) return diag_set(d, ERR_IO, "cannot open /proc/%d/statm: %s", (int)pid, strerror(errno));
    int rc = read_fd(fd, out);
    close(fd);
    if (rc) return diag_set(d, ERR_IO, "cannot read the memory of process %d (/proc/%d/statm)", (int)pid, (int)pid);
    return 0;
}

typedef struct memw_proc {
    int32_t pid;          /* 0: the run's own process */
    uint32_t unit;        /* carries its samples */
    uint16_t flags;       /* TRC_MEM_MAIN */
    int fd;               /* the run's own process only; else -1 */
    bool have;            /* last is a written sample */
    bool gone;
    bool fresh;           /* not read yet: read at the next pass, due or not */
    trc_mem_sample last;
} memw_proc;

typedef struct memq { trc_event *ev; size_t head, n, cap; } memq;

struct trc__memw {
    memw_proc *procs; size_t nprocs, cap_procs;
    memq *q; uint32_t nq;          /* per unit: its samples waiting */
    size_t npending;
    uint64_t period_ns, next_ns;
    bool ended, base_pending;
    trc_mem_sample base;
    int32_t self_pid;
    uint64_t passes, reads, cost_ns;
};

trc__memw *trc__memw_new(uint32_t period_us) {
    trc__memw *w = xcalloc(1, sizeof *w);
    w->period_ns = (uint64_t)(period_us ? period_us : 10000) * 1000;
    w->self_pid = (int32_t)getpid();
    return w;
}

void trc__memw_free(trc__memw *w) {
    if (!w) return;
    for (size_t i = 0; i < w->nprocs; i++)
        if (w->procs[i].fd >= 0) close(w->procs[i].fd);
    for (uint32_t u = 0; u < w->nq; u++) free(w->q[u].ev);
    free(w->q);
    free(w->procs);
    free(w);
}

static void proc_add(trc__memw *w, int32_t pid, uint32_t unit, uint16_t flags) {
    for (size_t i = 0; i < w->nprocs; i++)
        if (!w->procs[i].gone && w->procs[i].pid == pid && w->procs[i].flags == flags) return;
    ARR_PUSH(w->procs, w->nprocs, w->cap_procs,
             ((memw_proc){ .pid = pid, .unit = unit, .flags = flags, .fd = pid ? -1 : open_statm(0), .fresh = true }));
}

void trc__memw_main(trc__memw *w, uint32_t unit, const trc_mem_sample *baseline) {
    proc_add(w, 0, unit, TRC_MEM_MAIN);
    if (baseline) {
        w->base = *baseline;
        w->base_pending = true;
    }
}

void trc__memw_note(trc__memw *w, const trc_event *e) {
    if (e->kind == TRC_EV_PROC_START) {
        if (e->aux == TRC_START_THREAD || !e->arg || (int32_t)e->arg == w->self_pid) return;
        proc_add(w, (int32_t)e->arg, e->unit, 0);
    } else if (e->kind == TRC_EV_PROC_EXIT) {
        for (size_t i = 0; i < w->nprocs; i++)
            if (w->procs[i].unit == e->unit && !(w->procs[i].flags & TRC_MEM_MAIN)) w->procs[i].gone = true;
    }
}

static void push(trc__memw *w, uint64_t t, const memw_proc *p, uint16_t aux, const trc_mem_sample *s) {
    if (p->unit >= w->nq) {
        uint32_t nq = p->unit + 1;
        w->q = xrealloc(w->q, nq * sizeof *w->q);
        memset(w->q + w->nq, 0, (nq - w->nq) * sizeof *w->q);
        w->nq = nq;
    }
    memq *q = &w->q[p->unit];
    if (q->head == q->n) q->head = q->n = 0;
    ARR_GROW(q->ev, q->n + 2, q->cap);
    uint32_t pid = (uint32_t)(p->pid ? p->pid : w->self_pid);
    q->ev[q->n++] = (trc_event){ .t = t, .arg = s->resident, .unit = p->unit, .kind = TRC_EV_MEM_RESIDENT, .aux = aux,
                                 .extra = pid };
    q->ev[q->n++] = (trc_event){ .t = t, .arg = s->virt, .unit = p->unit, .kind = TRC_EV_MEM_VIRTUAL, .aux = aux,
                                 .extra = pid };
    w->npending += 2;
}

static uint64_t absdiff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

static bool moved(const memw_proc *p, const trc_mem_sample *s) {
    if (!p->have) return true;
    uint64_t dr = absdiff(s->resident, p->last.resident), dv = absdiff(s->virt, p->last.virt);
    uint64_t sr = p->last.resident / 64, sv = p->last.virt / 64;
    return dr >= (sr < 65536 ? 65536 : sr) || dv >= (sv < (1u << 20) ? (1u << 20) : sv);
}

void trc__memw_poll(trc__memw *w, uint64_t now) {
    if (w->ended || !w->nprocs) return;
    bool due = now >= w->next_ns;
    uint64_t t0 = clk_mono_ns();
    for (size_t i = 0; i < w->nprocs; i++) {
        memw_proc *p = &w->procs[i];
        if (p->gone || (!due && !p->fresh)) continue;
        p->fresh = false;
        trc_mem_sample s;
        int rc;
        if (p->fd >= 0) rc = read_fd(p->fd, &s);
        else {
            int fd = open_statm(p->pid);
            rc = fd < 0 ? -1 : read_fd(fd, &s);
            if (fd >= 0) close(fd);
        }
        w->reads++;
        if (rc) {
            if (p->pid) p->gone = true;   /* reaped */
            continue;
        }
        if (!s.resident && !s.virt) continue;   /* a zombie: its memory is gone already */
        if (p->flags & TRC_MEM_MAIN && w->base_pending) {
            push(w, now, p, TRC_MEM_MAIN | TRC_MEM_BASELINE, &w->base);
            w->base_pending = false;
        }
        if (!moved(p, &s)) continue;
        push(w, now, p, p->flags, &s);
        p->last = s;
        p->have = true;
    }
    uint64_t cost = clk_mono_ns() - t0;
    w->cost_ns += cost;
    if (!due) return;   /* only new processes were read */
    w->passes++;
    uint64_t gap = cost * 20 > w->period_ns ? cost * 20 : w->period_ns;
    w->next_ns = now + gap;
}

void trc__memw_end(trc__memw *w) { w->ended = true; }

size_t trc__memw_pending(const trc__memw *w) { return w->npending; }

uint32_t trc__memw_units(const trc__memw *w) { return w->nq; }

bool trc__memw_peek(const trc__memw *w, uint32_t unit, uint64_t *t) {
    if (unit >= w->nq) return false;
    const memq *q = &w->q[unit];
    if (q->head == q->n) return false;
    *t = q->ev[q->head].t;
    return true;
}

trc_event trc__memw_pop(trc__memw *w, uint32_t unit) {
    memq *q = &w->q[unit];
    w->npending--;
    return q->ev[q->head++];
}

void trc__memw_cost(const trc__memw *w, uint64_t *passes, uint64_t *reads, uint64_t *ns) {
    if (passes) *passes = w ? w->passes : 0;
    if (reads) *reads = w ? w->reads : 0;
    if (ns) *ns = w ? w->cost_ns : 0;
}
