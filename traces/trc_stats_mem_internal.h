/* traces: the stats of the processes' memory (trc_stats_mem.c), for
 * trc_stats_text.c and trc_stats_json.c only. */
#ifndef WEFT_TRC_STATS_MEM_INTERNAL_H
#define WEFT_TRC_STATS_MEM_INTERNAL_H

#include "traces/trc.h"

/* The memory table of the run (nothing when it has no samples), and its
 * "memory" key (JSON; nothing either). */
void trc__mem_text(buf *out, const trc_model *m);
void trc__mem_json(buf *out, const trc_model *m);

#endif
