/* Stats of the GIL and of what the kernel did: the GIL's figures (holding,
 * waits, drops by reason, hand-offs), and a scheduling table per unit (on a
 * CPU, runnable without one, preemptions, blocks, migrations; or, where perf
 * events were refused, the computes' CPU time against their wall time and
 * the switch counts), with the run's demand for CPUs against its cores.
 * trc_stats.c calls these; they read the derived model only. */
#include "traces/trc_sched_internal.h"
#include "traces/trc_internal.h"

#include <stdio.h>
#include <string.h>

#define bp trc__bprintf   /* traces/trc_internal.h */

static const char *dur(char *out, uint64_t ns) {
    fmt_dur(out, 32, ns);
    return out;
}

void trc__gil_text(buf *out, const trc_model *m, const trc_object_track *ot) {
    char a[32], b[32], c[32];
    bp(out, "held %s (%.0f%% of the run), %zu acquisitions, %u waited (mean %s, max %s)", dur(a, ot->t_held),
       m->makespan ? 100.0 * (double)ot->t_held / (double)m->makespan : 0.0, ot->nowners, ot->waits,
       dur(b, ot->waits ? ot->gil_wait_total / ot->waits : 0), dur(c, ot->gil_wait_max));
    bp(out, "; drops:");
    bool any = false;
    for (unsigned r = 1; r < TRC_GIL__COUNT; r++)
        if (ot->gil_drops[r]) {
            bp(out, "%s %u %s", any ? "," : "", ot->gil_drops[r], trc_gil_drop_name(r));
            any = true;
        }
    if (!any) bp(out, " none");
    bp(out, "; %u drop request%s, %u hand-offs", ot->gil_drop_requests, ot->gil_drop_requests == 1 ? "" : "s",
       ot->handoffs);
    if (ot->handoffs)
        bp(out, " (drop to next holder: mean %s, max %s)", dur(a, ot->gil_handoff_total / ot->handoffs),
           dur(b, ot->gil_handoff_max));
}

void trc__gil_json(buf *out, const trc_object *ob, const trc_object_track *ot) {
    bp(out, ",\"switch_interval_ns\":%lld,\"waits\":%u,\"wait_total_ns\":%llu,\"wait_max_ns\":%llu,\"drop_requests\":%u,"
            "\"handoffs\":%u,\"handoff_total_ns\":%llu,\"handoff_max_ns\":%llu,\"drops\":{",
       (long long)ob->capacity, ot->waits, (unsigned long long)ot->gil_wait_total, (unsigned long long)ot->gil_wait_max, ot->gil_drop_requests,
       ot->handoffs, (unsigned long long)ot->gil_handoff_total, (unsigned long long)ot->gil_handoff_max);
    for (unsigned r = 1; r < TRC_GIL__COUNT; r++) bp(out, "%s\"%s\":%u", r > 1 ? "," : "", trc_gil_drop_name(r), ot->gil_drops[r]);
    bp(out, "}");
}

void trc__sched_text(buf *out, const trc_model *m, size_t w) {
    const trc_sched *sc = &m->sched;
    const trc_run *run = m->run;
    if (sc->source == TRC_SCHED_NONE) return;
    char a[32], b[32], c[32];
    bp(out, "\nscheduling (%s): %u cores; up to %lld units wanted a CPU (mean %.1f), more than the cores for %s "
            "(%.0f%% of the run)",
       sc->source == TRC_SCHED_KERNEL ? "the kernel's context switches" : "CPU times; perf events were refused",
       sc->cores, (long long)sc->max_want, sc->avg_want, dur(a, sc->t_oversub),
       m->makespan ? 100.0 * (double)sc->t_oversub / (double)m->makespan : 0.0);
    if (sc->source == TRC_SCHED_KERNEL) bp(out, "; %u preemptions, %u migrations", sc->preemptions, sc->migrations);
    bp(out, "\n");
    if (sc->source == TRC_SCHED_KERNEL) {
        bp(out, "%-*s  %10s %10s %10s %8s %10s  %s\n", (int)w, "unit", "on a CPU", "runnable", "preempted", "blocked",
           "migrated", "CPUs");
        for (uint32_t u = 0; u < run->nunits; u++) {
            const trc_unit_sched *us = &m->units[u].sched;
            char cpus[64] = "-";
            if (us->cpu_first != UINT32_MAX) {
                if (us->cpu_first == us->cpu_last) snprintf(cpus, sizeof cpus, "%u", us->cpu_first);
                else snprintf(cpus, sizeof cpus, "%u .. %u", us->cpu_first, us->cpu_last);
            }
            bp(out, "%-*s  %10s %10s %10u %8u %10u  %s\n", (int)w, run->units[u].name, dur(a, us->t_oncpu),
               dur(b, us->t_runnable), us->preemptions, us->blocks, us->migrations, cpus);
        }
        for (uint32_t k = 0; k < sc->ncpus; k++)
            if (sc->cpus[k].nspans)
                bp(out, "CPU %u: busy with the run's units %s (%.0f%%)\n", k, dur(a, sc->cpus[k].t_busy),
                   m->makespan ? 100.0 * (double)sc->cpus[k].t_busy / (double)m->makespan : 0.0);
    } else {
        bp(out, "%-*s  %12s %12s %14s %10s %10s\n", (int)w, "unit", "compute CPU", "compute wall", "without a CPU",
           "voluntary", "preempted");
        for (uint32_t u = 0; u < run->nunits; u++) {
            const trc_unit_sched *us = &m->units[u].sched;
            uint64_t lack = us->compute_wall > us->compute_cpu ? us->compute_wall - us->compute_cpu : 0;
            bp(out, "%-*s  %12s %12s %14s ", (int)w, run->units[u].name, dur(a, us->compute_cpu), dur(b, us->compute_wall),
               dur(c, lack));
            if (us->has_counts) bp(out, "%10llu %10llu\n", (unsigned long long)us->vol, (unsigned long long)us->invol);
            else bp(out, "%10s %10s\n", "-", "-");
        }
    }
}

void trc__sched_json(buf *out, const trc_model *m) {
    const trc_sched *sc = &m->sched;
    static const char *const src[] = { "none", "kernel", "fallback" };
    bp(out, ",\"sched\":{\"source\":\"%s\",\"cores\":%u,\"max_want\":%lld,\"mean_want\":%.3f,\"oversubscribed_ns\":%llu,"
            "\"preemptions\":%u,\"migrations\":%u,\"cpus\":[",
       sc->source < 3 ? src[sc->source] : "none", sc->cores, (long long)sc->max_want, sc->avg_want,
       (unsigned long long)sc->t_oversub, sc->preemptions, sc->migrations);
    for (uint32_t k = 0; k < sc->ncpus; k++)
        bp(out, "%s{\"cpu\":%u,\"busy_ns\":%llu}", k ? "," : "", k, (unsigned long long)sc->cpus[k].t_busy);
    bp(out, "]}");
}

void trc__sched_unit_json(buf *out, const trc_unit_track *ut) {
    const trc_unit_sched *us = &ut->sched;
    bp(out, ",\"sched\":{\"on_cpu_ns\":%llu,\"runnable_ns\":%llu,\"preemptions\":%u,\"blocks\":%u,\"migrations\":%u,"
            "\"compute_cpu_ns\":%llu,\"compute_wall_ns\":%llu",
       (unsigned long long)us->t_oncpu, (unsigned long long)us->t_runnable, us->preemptions, us->blocks, us->migrations,
       (unsigned long long)us->compute_cpu, (unsigned long long)us->compute_wall);
    if (us->has_counts)
        bp(out, ",\"voluntary_switches\":%llu,\"involuntary_switches\":%llu", (unsigned long long)us->vol,
           (unsigned long long)us->invol);
    bp(out, "}");
}
