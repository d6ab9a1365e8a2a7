/* traces: the part of the model that processes add (trc_model_procs.c), for
 * trc_model.c only. The model's one pass hands it every event; at the end it
 * adds its flows and instants. */
#ifndef WEFT_TRC_PROCS_INTERNAL_H
#define WEFT_TRC_PROCS_INTERNAL_H

#include "traces/trc.h"

typedef struct trc__procs trc__procs;

trc__procs *trc__procs_begin(trc_model *m);
/* Event i (relative time t) of the run, in time order. Only the kinds in
 * TRC__PROCS_KINDS change anything: the model calls it for those only
 * (trc__procs_reads, a mask test instead of a call per event). */
void trc__procs_event(trc__procs *p, const trc_event *e, uint64_t i, uint64_t t);
#define TRC__PROCS_KINDS(X)                                                                                 \
    X(PROC_START) X(PROC_EXIT) X(SIGNAL) X(SEND) X(RECV) X(PIPE_CLOSE) X(POLL) X(SHM_WRITE) X(SHM_READ)    \
    X(SHM_UNLINK) X(VAR_SET) X(REQUEST) X(SERVE) X(REPLY) X(COMPUTE_BEGIN) X(COMPUTE_END)
#define TRC__PROCS_BIT(k, w) (((k) >> 6 == (w) ? 1ull : 0ull) << ((k) & 63))
#define TRC__PROCS_W0(k) | TRC__PROCS_BIT(TRC_EV_##k, 0)
#define TRC__PROCS_W1(k) | TRC__PROCS_BIT(TRC_EV_##k, 1)
_Static_assert(TRC_EV__MAX <= 128, "the processes' kind mask has two words");
static inline bool trc__procs_reads(uint16_t kind) {
    static const uint64_t mask[2] = { 0 TRC__PROCS_KINDS(TRC__PROCS_W0), 0 TRC__PROCS_KINDS(TRC__PROCS_W1) };
    return kind < 128 && (mask[kind >> 6] >> (kind & 63) & 1);
}
/* Appends its flows (ids from *next_id on) and instants, in time order; frees p. */
void trc__procs_end(trc__procs *p, uint64_t *next_id);

/* trc_stats_procs.c, for trc_stats.c */
/* How a unit's process ended, when it says more than "done": false otherwise. */
bool trc__stats_unit_end(char *out, size_t cap, const trc_unit_track *ut);
/* The figures of a pipe, shm, var or manager (false for the other kinds), and the pickling and requests
 * that any object may add. */
bool trc__stats_object_text(buf *out, const trc_model *m, const trc_object *ob, const trc_object_track *ot);
void trc__stats_object_text_more(buf *out, const trc_object *ob, const trc_object_track *ot);
void trc__stats_object_json(buf *out, const trc_object *ob, const trc_object_track *ot);
void trc__stats_unit_json(buf *out, const trc_unit_track *ut);

#endif
