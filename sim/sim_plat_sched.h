/* sim_plat_sched.h: what the kernel did with the run's threads and processes.
 *
 * perf_event_open with context-switch records (PERF_RECORD_SWITCH) on every
 * CPU for the calling thread, inherited by every thread and process it makes
 * afterwards: each time one of them goes on or off a CPU the kernel writes a
 * record (its pid and tid, the time on CLOCK_MONOTONIC, the CPU, and for a
 * switch out whether it was preempted while still runnable). An unprivileged
 * process may do this for itself and its children where
 * /proc/sys/kernel/perf_event_paranoid is 2 or less; where the kernel refuses,
 * sim_sched_open says why and the runtime falls back to the computes' CPU
 * time against their wall time and each thread's switch counts.
 *
 * A thread of its own drains the kernel's buffers every 20 ms into memory, so
 * long runs lose nothing; sim_sched_take hands the records over at the end.
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#ifndef WEFT_SIM_PLAT_SCHED_H
#define WEFT_SIM_PLAT_SCHED_H

#include "base/base.h"

typedef struct sim_sched sim_sched;

/* What a record says (the numbers of trc_sched_switch). */
enum { SIM_SCHED_IN = 0, SIM_SCHED_OUT_PREEMPTED = 1, SIM_SCHED_OUT_BLOCKED = 2 };

typedef struct sim_sched_rec {
    uint64_t t;          /* CLOCK_MONOTONIC ns */
    int32_t pid, tid;
    uint32_t cpu;
    uint32_t what;       /* SIM_SCHED_* */
} sim_sched_rec;

typedef struct sim_sched_desc {
    bool refuse;         /* behave as a kernel that refuses perf events (tests, --no-perf) */
} sim_sched_desc;

/* Starts recording the context switches of the calling thread and of every
 * thread and process it starts from now on. -ERR_UNSUPPORTED when the kernel
 * refuses (d says why, errno and perf_event_paranoid included), -ERR_NOMEM.
 * Thread: the thread that will start the run's units (main). */
int sim_sched_open(sim_sched **out, const sim_sched_desc *desc, diag *d);
/* Stops recording and hands over every record so far, in the order the
 * kernel wrote them per CPU (not sorted); *lost: records the kernel dropped.
 * The caller frees *recs. Thread: the opener. */
void sim_sched_take(sim_sched *s, sim_sched_rec **recs, size_t *n, uint64_t *lost);
void sim_sched_close(sim_sched *s);

/* The calling thread's context switches so far: voluntary (it waited for
 * something) and involuntary (preempted). Thread: any (about itself). */
void sim_sched_counts(uint64_t *vol, uint64_t *invol);

#endif
