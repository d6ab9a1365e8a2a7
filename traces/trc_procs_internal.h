/* traces: the part of the model that processes add (trc_model_procs.c), for
 * trc_model.c only. The model's one pass hands it every event; at the end it
 * adds its flows and instants. */
#ifndef WEFT_TRC_PROCS_INTERNAL_H
#define WEFT_TRC_PROCS_INTERNAL_H

#include "traces/trc.h"

typedef struct trc__procs trc__procs;

trc__procs *trc__procs_begin(trc_model *m);
/* Event i (relative time t) of the run, in time order. */
void trc__procs_event(trc__procs *p, const trc_event *e, uint64_t i, uint64_t t);
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
