/* traces: parts of the model build that live in files of their own
 * (trc_model_sort.c), for trc_model.c and the tests only. */
#ifndef WEFT_TRC_MODEL_INTERNAL_H
#define WEFT_TRC_MODEL_INTERNAL_H

#include "traces/trc.h"

/* Sorts flows by (t0, id) (ids unique), adapted to what the builder makes:
 * nearly in order, with a few flows out of place (hand-offs and wakes among a
 * FIFO queue's items, kinds added at the end). Those few are taken out, sorted
 * alone and merged back; the extra memory is theirs only (at most a quarter of
 * the flows: beyond that, an in-place heap sort). */
void trc__flows_sort(trc_flow *v, size_t n);

#endif
