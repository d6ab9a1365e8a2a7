/* traces: helpers shared by the files of this layer only (never included from
 * outside traces/: the layering test says so). */
#ifndef WEFT_TRC_INTERNAL_H
#define WEFT_TRC_INTERNAL_H

#include "traces/trc.h"

/* printf into a growing buffer */
void trc__bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included (NULL: "") */
void trc__json_str(buf *b, const char *s);
/* a double as JSON (finite: %.6g; otherwise null) */
void trc__json_num(buf *b, double v);

/* A pool's queue waits (submit -> start) and run times (start -> done). */
typedef struct trc__pool_times { uint64_t waited, ran, max_wait; uint32_t nwait, nrun; } trc__pool_times;
trc__pool_times trc__pool_times_of(const trc_model *m, const trc_object_track *ot);

/* a figure's value as text, by its unit (trc_fig_unit): "12.0 ms", "42", "1033.6/s", "81.0%" */
void trc__fig_fmt(char *out, size_t cap, uint8_t unit, double v);

#endif
