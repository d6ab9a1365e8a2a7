/* The memory of a run's processes, derived after the main pass of the model
 * (trc_model.c calls trc__mem_build with the MEM_RESIDENT and MEM_VIRTUAL
 * events in time order).
 *
 *  - per process (its pid): a step series of resident and virtual bytes, its
 *    peaks, and for the run's own process the baseline (measured before the
 *    units were made, written with the first sample: TRC_MEM_BASELINE);
 *  - the run as a whole: every process at its last sample, summed, as a step
 *    series; its peak; and per unit, the growth of that total from the
 *    baseline to its peak divided by the units that began (not an event
 *    loop; none when only one began: see unit_unknown). A process of a
 *    unit did not exist at the baseline, so all of it is growth; its resident
 *    size counts the pages it shares with its parent since the fork, as `ps`
 *    does.
 *
 * A MEM_VIRTUAL goes with the MEM_RESIDENT before it (same unit, pid, time);
 * one on its own (the file was cut between them) is read as a sample whose
 * resident size did not change. */
#include "traces/trc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trc__mem_build(trc_model *m, const trc_event *ev, size_t nev, uint64_t base);
void trc__mem_release(trc_mem *mem);

typedef struct mproc_cur { size_t cap; int64_t cur_res, cur_virt; } mproc_cur;

static uint32_t proc_index(trc_mem *mem, mproc_cur **cur, size_t *cap_procs, const trc_run *run, const trc_event *e) {
    bool main = e->aux & TRC_MEM_MAIN;
    int32_t pid = (int32_t)e->extra;
    for (uint32_t i = 0; i < mem->nprocs; i++)
        if (mem->procs[i].pid == pid && mem->procs[i].main == main) return i;
    if (mem->nprocs + 1 > *cap_procs) {
        size_t cap = *cap_procs;
        ARR_GROW(mem->procs, mem->nprocs + 1, cap);
        *cur = xrealloc(*cur, cap * sizeof **cur);
        *cap_procs = cap;
    }
    trc_mem_proc *p = &mem->procs[mem->nprocs];
    memset(p, 0, sizeof *p);
    memset(&(*cur)[mem->nprocs], 0, sizeof **cur);
    p->pid = pid;
    p->unit = e->unit;
    p->main = main;
    if (main) snprintf(p->name, sizeof p->name, "weft (main)");
    else snprintf(p->name, sizeof p->name, "%s", e->unit < run->nunits && run->units[e->unit].name
                                                   ? run->units[e->unit].name : "?");
    return mem->nprocs++;
}

static void total_point(trc_mem *mem, size_t *cap, uint64_t t, int64_t res, int64_t virt) {
    if (mem->n && mem->resident[mem->n - 1].t == t) {
        mem->resident[mem->n - 1].v = res;
        mem->virt[mem->n - 1].v = virt;
    } else {
        size_t c = *cap;
        ARR_GROW(mem->resident, mem->n + 1, c);
        mem->virt = xrealloc(mem->virt, c * sizeof *mem->virt);
        *cap = c;
        mem->resident[mem->n] = (trc_sample){ t, res };
        mem->virt[mem->n] = (trc_sample){ t, virt };
        mem->n++;
    }
    if (res > 0 && (uint64_t)res > mem->peak_resident) mem->peak_resident = (uint64_t)res;
    if (virt > 0 && (uint64_t)virt > mem->peak_virt) mem->peak_virt = (uint64_t)virt;
}

void trc__mem_build(trc_model *m, const trc_event *ev, size_t nev, uint64_t base) {
    trc_mem *mem = &m->mem;
    const trc_run *run = m->run;
    memset(mem, 0, sizeof *mem);
    /* the units that began; an event loop is the runtime's (on coroutines: growth per task) */
    for (uint32_t u = 0; u < run->nunits; u++)
        mem->units_started += m->units[u].nspans > 0 && run->units[u].kind != TRC_UNIT_LOOP;
    mem->unit_unknown = "the run has no memory samples";
    if (!nev) return;
    mproc_cur *cur = NULL;
    size_t cap_procs = 0, cap_total = 0;
    int64_t tot_res = 0, tot_virt = 0;
    for (size_t i = 0; i < nev; i++) {
        const trc_event *e = &ev[i];
        uint64_t t = e->t >= base ? e->t - base : 0;
        uint32_t pi = proc_index(mem, &cur, &cap_procs, run, e);
        trc_mem_proc *p = &mem->procs[pi];
        mproc_cur *c = &cur[pi];
        if (e->aux & TRC_MEM_BASELINE) {
            if (e->kind == TRC_EV_MEM_RESIDENT) p->base_resident = e->arg;
            else p->base_virt = e->arg;
            p->has_base = true;
            if (p->main && e->kind == TRC_EV_MEM_VIRTUAL) {
                /* the run's total starts here: the units' processes did not exist */
                mem->has_base = true;
                mem->base_resident = p->base_resident;
                mem->base_virt = p->base_virt;
            }
            continue;
        }
        int64_t v = e->arg > INT64_MAX ? INT64_MAX : (int64_t)e->arg;
        if (e->kind == TRC_EV_MEM_RESIDENT) {
            size_t cap = c->cap;
            ARR_GROW(p->resident, p->n + 1, cap);
            p->virt = xrealloc(p->virt, cap * sizeof *p->virt);
            c->cap = cap;
            p->resident[p->n] = (trc_sample){ t, v };
            p->virt[p->n] = (trc_sample){ t, c->cur_virt };
            p->n++;
            tot_res += v - c->cur_res;
            c->cur_res = v;
        } else {
            bool paired = p->n && p->resident[p->n - 1].t == t && i && ev[i - 1].kind == TRC_EV_MEM_RESIDENT &&
                          ev[i - 1].extra == e->extra;
            if (!paired) {
                size_t cap = c->cap;
                ARR_GROW(p->resident, p->n + 1, cap);
                p->virt = xrealloc(p->virt, cap * sizeof *p->virt);
                c->cap = cap;
                p->resident[p->n] = (trc_sample){ t, c->cur_res };
                p->n++;
            }
            p->virt[p->n - 1].v = v;
            tot_virt += v - c->cur_virt;
            c->cur_virt = v;
        }
        if ((uint64_t)c->cur_res > p->peak_resident) p->peak_resident = (uint64_t)c->cur_res;
        if ((uint64_t)c->cur_virt > p->peak_virt) p->peak_virt = (uint64_t)c->cur_virt;
        total_point(mem, &cap_total, t, tot_res, tot_virt);
    }
    free(cur);
    /* main first */
    for (uint32_t i = 0; i < mem->nprocs; i++)
        if (mem->procs[i].main && i) {
            trc_mem_proc tmp = mem->procs[i];
            memmove(mem->procs + 1, mem->procs, i * sizeof *mem->procs);
            mem->procs[0] = tmp;
            break;
        }
    /* Growth that the units account for: with one unit, none of it can be told from the runtime's own
     * (a pool's idle threads, the recorder's buffers): 284 KiB "per unit" was all of it. With more,
     * (peak - baseline) / units is an upper bound whose runtime share fades as 1 / units. */
    mem->unit_unknown = !mem->has_base ? "no memory was sampled before the units began"
                      : !mem->units_started ? "no unit began"
                      : mem->units_started == 1 ? "one unit began: its growth cannot be told from the runtime's own"
                      : NULL;
    if (!mem->unit_unknown) {
        double n = mem->units_started;
        mem->unit_resident = mem->peak_resident > mem->base_resident ? (double)(mem->peak_resident - mem->base_resident) / n : 0;
        mem->unit_virt = mem->peak_virt > mem->base_virt ? (double)(mem->peak_virt - mem->base_virt) / n : 0;
    }
}

void trc__mem_release(trc_mem *mem) {
    for (uint32_t i = 0; i < mem->nprocs; i++) {
        free(mem->procs[i].resident);
        free(mem->procs[i].virt);
    }
    free(mem->procs);
    free(mem->resident);
    free(mem->virt);
    memset(mem, 0, sizeof *mem);
}
