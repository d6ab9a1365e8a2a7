/* The Perfetto writer's tracks of what the kernel did: a track per CPU (a
 * slice per time a unit ran on it, named after the unit) and the count of the
 * run's units that wanted a CPU, against the machine's cores. */
#include "traces/trc_pf_internal.h"

#include <stdio.h>

void pf_desc_sched(pf_run *pr) {
    const trc_sched *sc = &pr->m->sched;
    if (sc->source == TRC_SCHED_NONE) return;
    char name[64], desc[256];
    for (uint32_t k = 0; k < sc->ncpus; k++) {
        if (!sc->cpus[k].nspans) continue;
        snprintf(name, sizeof name, "CPU %u", k);
        pf_desc_plain(pr, pf_uuid_cpu(pr, k), name, NULL, "the run's units on this CPU, from the kernel's context switches");
    }
    snprintf(desc, sizeof desc, "units on a CPU or runnable (wanting one)%s; the machine has %u cores",
             sc->source == TRC_SCHED_KERNEL ? ", from the kernel's context switches"
                                           : ", from their states (perf events were refused)", sc->cores);
    pf_desc_plain(pr, pf_uuid_cpu(pr, sc->ncpus), "units wanting a CPU", "units", desc);
}

int pf_seq_sched(pf_run *pr) {
    const trc_sched *sc = &pr->m->sched;
    if (sc->source == TRC_SCHED_NONE) return 0;
    int rc = 0;
    for (uint32_t k = 0; k < sc->ncpus && !rc; k++) {
        const trc_cpu_track *ct = &sc->cpus[k];
        if (!ct->nspans) continue;
        pf_seq_begin(pr);
        uint64_t track = pf_uuid_cpu(pr, k), last = 0;
        for (size_t i = 0; i < ct->nspans && !rc; i++) {
            uint64_t t0 = ct->spans[i].t0 < last ? last : ct->spans[i].t0, t1 = ct->spans[i].t1;
            if (t1 <= t0 || ct->spans[i].unit >= pr->nunits) continue;   /* slices on one track never overlap */
            rc = pf_slice(pr, TYPE_BEGIN, track, t0, IID_UNIT(pr, ct->spans[i].unit));
            if (!rc) rc = pf_slice(pr, TYPE_END, track, t1, 0);
            last = t1;
        }
    }
    if (!rc && sc->nwant && !pr->samples_aside) rc = pf_seq_samples(pr, pf_uuid_cpu(pr, sc->ncpus), sc->want, sc->nwant);
    return rc;
}
