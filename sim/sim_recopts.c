/* How a run is recorded: the caller's sim_desc, else the scenario's `record`
 * line, else the defaults (complete mode, 64K-event rings, no event limit). */
#include "sim/sim.h"

trc_recorder_desc sim_record_desc(const sim_program *p, const sim_desc *d) {
    trc_recorder_desc rcd = { .no_tsc = d->no_tsc };
    rcd.mode = d->record_mode ? (uint8_t)(d->record_mode - 1) : p->record.mode_said ? p->record.mode : TRC_REC_COMPLETE;
    uint64_t ring = d->ring_events ? d->ring_events : p->record.ring > 0 ? (uint64_t)p->record.ring : 0;
    if (ring > TRC_RING_MAX) ring = TRC_RING_MAX;
    while (ring & (ring - 1)) ring += ring & -ring;   /* up to a power of two */
    rcd.ring_events = (uint32_t)ring;
    uint64_t max = d->max_events ? d->max_events : p->record.max_events_said ? (uint64_t)p->record.max_events : 0;
    rcd.max_events = max == UINT64_MAX ? 0 : max;
    return rcd;
}
