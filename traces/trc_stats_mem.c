/* Stats of the run's memory (from the model's trc_mem, trc_model_mem.c): per
 * process its baseline and peak, resident and virtual; the run's total; and
 * per unit, the growth from the baseline to the peak over the units that
 * began. trc_stats_text.c and trc_stats_json.c call these. */
#include "traces/trc_stats_mem_internal.h"
#include "traces/trc_internal.h"

#include <stdio.h>
#include <string.h>

#define bp trc__bprintf   /* traces/trc_internal.h */
#define MEM_TEXT_PROCS 8  /* processes listed by name; the rest summed */

static const char *by(char *out, uint64_t n) {
    fmt_bytes(out, 32, n);
    return out;
}

void trc__mem_text(buf *out, const trc_model *m) {
    const trc_mem *mem = &m->mem;
    if (!mem->nprocs) return;
    char a[32], b[32], c[32], d[32];
    bp(out, "\nmemory (resident / virtual, from /proc/PID/statm):\n");
    bp(out, "%-24s %8s  %-24s %-24s %s\n", "process", "pid", "before the units", "peak", "samples");
    for (uint32_t i = 0; i < mem->nprocs && i < MEM_TEXT_PROCS; i++) {
        const trc_mem_proc *p = &mem->procs[i];
        char base[80] = "-";
        if (p->has_base) snprintf(base, sizeof base, "%s / %s", by(a, p->base_resident), by(b, p->base_virt));
        char peak[80];
        snprintf(peak, sizeof peak, "%s / %s", by(c, p->peak_resident), by(d, p->peak_virt));
        bp(out, "%-24s %8d  %-24s %-24s %zu\n", p->name, (int)p->pid, base, peak, p->n);
    }
    if (mem->nprocs > MEM_TEXT_PROCS) {
        uint64_t r = 0, v = 0;
        for (uint32_t i = MEM_TEXT_PROCS; i < mem->nprocs; i++) {
            r += mem->procs[i].peak_resident;
            v += mem->procs[i].peak_virt;
        }
        uint32_t k = mem->nprocs - MEM_TEXT_PROCS;
        bp(out, "... %u more processes: peaks %s / %s together, %s / %s each on average\n", k, by(a, r), by(b, v),
           by(c, r / k), by(d, v / k));
    }
    bp(out, "all processes: peak %s / %s", by(a, mem->peak_resident), by(b, mem->peak_virt));
    if (mem->has_base) bp(out, ", before the units %s / %s", by(c, mem->base_resident), by(d, mem->base_virt));
    bp(out, "\n");
    if (!mem->unit_unknown)
        bp(out, "per unit (growth to the peak / %u %s that began): %s resident, %s virtual\n", mem->units_started,
           mem->units_started == 1 ? "unit" : "units", by(a, (uint64_t)(mem->unit_resident + 0.5)),
           by(b, (uint64_t)(mem->unit_virt + 0.5)));
    else
        bp(out, "per unit: n/a (%s)\n", mem->unit_unknown);
}

void trc__mem_json(buf *out, const trc_model *m) {
    const trc_mem *mem = &m->mem;
    if (!mem->nprocs) return;
    bp(out, ",\"memory\":{\"units_started\":%u,\"peak_resident\":%llu,\"peak_virtual\":%llu", mem->units_started,
       (unsigned long long)mem->peak_resident, (unsigned long long)mem->peak_virt);
    if (mem->has_base) {
        bp(out, ",\"baseline_resident\":%llu,\"baseline_virtual\":%llu", (unsigned long long)mem->base_resident,
           (unsigned long long)mem->base_virt);
    }
    if (!mem->unit_unknown) {
        bp(out, ",\"per_unit_resident\":");
        trc__json_num(out, mem->unit_resident);
        bp(out, ",\"per_unit_virtual\":");
        trc__json_num(out, mem->unit_virt);
    } else {
        bp(out, ",\"per_unit_unknown\":");
        trc__json_str(out, mem->unit_unknown);
    }
    bp(out, ",\"processes\":[");
    for (uint32_t i = 0; i < mem->nprocs; i++) {
        const trc_mem_proc *p = &mem->procs[i];
        bp(out, "%s{\"name\":", i ? "," : "");
        trc__json_str(out, p->name);
        bp(out, ",\"pid\":%d,\"main\":%s,\"samples\":%zu,\"peak_resident\":%llu,\"peak_virtual\":%llu", (int)p->pid,
           p->main ? "true" : "false", p->n, (unsigned long long)p->peak_resident, (unsigned long long)p->peak_virt);
        if (p->n)
            bp(out, ",\"last_resident\":%lld,\"last_virtual\":%lld", (long long)p->resident[p->n - 1].v,
               (long long)p->virt[p->n - 1].v);
        if (p->has_base)
            bp(out, ",\"baseline_resident\":%llu,\"baseline_virtual\":%llu", (unsigned long long)p->base_resident,
               (unsigned long long)p->base_virt);
        bp(out, "}");
    }
    bp(out, "]}");
}
