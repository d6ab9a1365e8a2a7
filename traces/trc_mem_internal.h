/* The recorder's memory sampler (traces/trc_mem.c), internal to traces/.
 *
 * The drain thread owns it: trc_recorder.c calls trc__memw_poll at each pass
 * (under the recorder's mutex) and trc__memw_note for each event it hands on.
 * A sample becomes two events (MEM_RESIDENT, MEM_VIRTUAL) carried by a unit;
 * they wait in that unit's queue until the drain sees an event of the unit at
 * or after their time (they go in before it), or until they are old enough
 * that no event of the unit stamped before them can still be on its way
 * (TRC__MEM_SETTLE_NS), or the recorder stops: so each unit's events stay in
 * time order in the file. */
#ifndef WEFT_TRC_MEM_INTERNAL_H
#define WEFT_TRC_MEM_INTERNAL_H

#include "traces/trc.h"

#define TRC__MEM_SETTLE_NS 50000000ull   /* 50 ms */

typedef struct trc__memw trc__memw;

trc__memw *trc__memw_new(uint32_t period_us);
void trc__memw_free(trc__memw *w);
void trc__memw_main(trc__memw *w, uint32_t unit, const trc_mem_sample *baseline);
/* An event handed on: PROC_START (fork, spawn) starts sampling its pid, PROC_EXIT stops it. */
static inline bool trc__memw_wants(uint16_t kind) { return kind == TRC_EV_PROC_START || kind == TRC_EV_PROC_EXIT; }
void trc__memw_note(trc__memw *w, const trc_event *e);
/* Samples every process if a period has gone by since the last pass. */
void trc__memw_poll(trc__memw *w, uint64_t now_ns);
void trc__memw_end(trc__memw *w);
/* Samples waiting in total, and the time of the first one waiting for `unit`. */
size_t trc__memw_pending(const trc__memw *w);
bool trc__memw_peek(const trc__memw *w, uint32_t unit, uint64_t *t);
/* Takes the first waiting event of `unit` (peek said there is one). */
trc_event trc__memw_pop(trc__memw *w, uint32_t unit);
/* The highest unit that may have samples waiting, + 1. */
uint32_t trc__memw_units(const trc__memw *w);
void trc__memw_cost(const trc__memw *w, uint64_t *passes, uint64_t *reads, uint64_t *ns);

#endif
