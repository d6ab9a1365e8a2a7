/* traces: the stats of the GIL and of what the kernel did (trc_stats_sched.c),
 * for trc_stats_text.c and trc_stats_json.c only. */
#ifndef WEFT_TRC_SCHED_INTERNAL_H
#define WEFT_TRC_SCHED_INTERNAL_H

#include "traces/trc.h"

/* The GIL's figures after its name and kind (text), or as keys of its object (JSON). */
void trc__gil_text(buf *out, const trc_model *m, const trc_object_track *ot);
void trc__gil_json(buf *out, const trc_object *ob, const trc_object_track *ot);
/* The scheduling table of the run (text, w: the name column's width), the run's
 * "sched" key (JSON), and a unit's. */
void trc__sched_text(buf *out, const trc_model *m, size_t w);
void trc__sched_json(buf *out, const trc_model *m);
void trc__sched_unit_json(buf *out, const trc_unit_track *ut);

#endif
