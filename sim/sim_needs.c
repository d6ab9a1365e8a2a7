/* What a program needs before it runs: the recorder's settings (the caller's
 * sim_desc, else the scenario's `record` line, else the defaults: complete
 * mode, 64K-event rings, no event limit), and whether `compute` must be
 * calibrated (only a program with a compute step). */
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

static bool stmts_compute(const sim_stmt *s) {
    for (; s; s = s->next)
        if (s->kind == SIM_S_COMPUTE || stmts_compute(s->body) || stmts_compute(s->orelse)) return true;
    return false;
}

bool sim_program_computes(const sim_program *p) {
    for (uint32_t a = 0; a < p->nactors; a++)
        if (stmts_compute(p->actors[a].body)) return true;
    for (uint32_t t = 0; t < p->ntasks; t++)
        if (stmts_compute(p->tasks[t].body)) return true;
    return false;
}
