/* The Perfetto writer's memory tracks: per process of the run (weft's own,
 * and each unit's process) two counter tracks in bytes, resident and virtual,
 * from the model's memory series (trc_model_mem.c). */
#include "traces/trc_pf_internal.h"

#include <stdio.h>

void pf_desc_mem(pf_run *pr) {
    const trc_mem *mem = &pr->m->mem;
    char name[160], desc[256];
    for (uint32_t i = 0; i < mem->nprocs; i++) {
        const trc_mem_proc *p = &mem->procs[i];
        snprintf(name, sizeof name, "memory: %s resident", p->name);
        snprintf(desc, sizeof desc, "resident bytes of %s (pid %d), from /proc/%d/statm, sampled by weft's recorder",
                 p->main ? "weft's own process" : "the unit's process", (int)p->pid, (int)p->pid);
        pf_desc_counter(pr, pf_uuid_mem(pr, i, 0), name, COUNTER_UNIT_SIZE_BYTES, "bytes", desc);
        snprintf(name, sizeof name, "memory: %s virtual", p->name);
        snprintf(desc, sizeof desc, "virtual bytes of %s (pid %d): every mapping, touched or not (thread stacks "
                 "are reserved whole)", p->main ? "weft's own process" : "the unit's process", (int)p->pid);
        pf_desc_counter(pr, pf_uuid_mem(pr, i, 1), name, COUNTER_UNIT_SIZE_BYTES, "bytes", desc);
    }
}

int pf_seq_mem(pf_run *pr) {
    const trc_mem *mem = &pr->m->mem;
    int rc = 0;
    for (uint32_t i = 0; i < mem->nprocs && !rc; i++) {
        const trc_mem_proc *p = &mem->procs[i];
        if (!p->n) continue;
        rc = pf_seq_samples(pr, pf_uuid_mem(pr, i, 0), p->resident, p->n);
        if (!rc) rc = pf_seq_samples(pr, pf_uuid_mem(pr, i, 1), p->virt, p->n);
    }
    return rc;
}
