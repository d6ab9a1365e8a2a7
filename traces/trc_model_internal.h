/* traces: parts of the model build that live in files of their own
 * (trc_sched.c, trc_model_sort.c), for the model's files only. */
#ifndef WEFT_TRC_MODEL_INTERNAL_H
#define WEFT_TRC_MODEL_INTERNAL_H

#include "traces/trc.h"


/* The flows' order, (t0, id), and the merge both the builder (trc_model.c
 * flows_finish) and the sort (trc_model_sort.c) end with: tail[0 .. j) and
 * v[0 .. k), each in that order, into v[0 .. k + j), from the back (v has room). */
static inline bool trc__flow_lt(const trc_flow *a, const trc_flow *b) {
    return a->t0 < b->t0 || (a->t0 == b->t0 && a->id < b->id);
}
void trc__flows_merge_back(trc_flow *v, size_t k, const trc_flow *tail, size_t j);

/* A CPU or SCHED_SWITCH event as trc_sched.c reads it, kept by the model's pass
 * until the end (a busy run has hundreds of thousands): 16 bytes instead of 32.
 * cpu: the event's CPU (arg) capped at TRC__SCHED_CPU_MAX, as trc_sched.c caps
 * it; how: SCHED_SWITCH: its aux (trc_sched_switch) capped at 2 (every other
 * aux is a switch out to wait); CPU: 1 when extra names a CPU before (extra
 * != 0) other than this one (capped), a migration, else 0. */
#define TRC__SCHED_CPU_MAX 4095u
typedef struct trc__sched_ev {
    uint64_t t;             /* absolute ns, as the event's */
    uint32_t unit;
    uint16_t cpu;
    uint8_t kind;           /* TRC_EV_CPU or TRC_EV_SCHED_SWITCH */
    uint8_t how;
} trc__sched_ev;
_Static_assert(sizeof(trc__sched_ev) == 16, "a kept scheduling event is 16 bytes");
static inline trc__sched_ev trc__sched_ev_of(const trc_event *e) {
    uint32_t cpu = e->arg > TRC__SCHED_CPU_MAX ? TRC__SCHED_CPU_MAX : (uint32_t)e->arg;
    uint8_t how = e->kind == TRC_EV_CPU ? (uint8_t)(e->extra && e->extra - 1 != cpu)
                                        : (uint8_t)(e->aux > TRC_SCHED_OUT_BLOCKED ? TRC_SCHED_OUT_BLOCKED : e->aux);
    return (trc__sched_ev){ .t = e->t, .unit = e->unit, .cpu = (uint16_t)cpu, .kind = (uint8_t)e->kind, .how = how };
}
/* What the kernel did (trc_sched.c), after the main pass: from the CPU and
 * SCHED_SWITCH events in time order, and the SCHED_COUNTS events (any order). */
void trc__sched_build(trc_model *m, const trc__sched_ev *ev, size_t nev, const trc_event *counts, size_t ncounts);

#endif
