/* Stats of processes: how a unit's process ended, the figures of pipes,
 * segments, vars and managers (and of messages pickled through queues and
 * pools), and the runs of a recording side by side. */
#include "traces/trc_procs_internal.h"
#include "traces/trc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define bp trc__bprintf   /* traces/trc_internal.h */

static const char *dur(char *out, uint64_t ns) {
    fmt_dur(out, 32, ns);
    return out;
}

static const char *bytes(char *out, uint64_t b) {
    if (b >= (10ull << 20)) snprintf(out, 32, "%.1f MiB", (double)b / (1 << 20));
    else if (b >= (10ull << 10)) snprintf(out, 32, "%.1f KiB", (double)b / 1024);
    else snprintf(out, 32, "%llu B", (unsigned long long)b);
    return out;
}

bool trc__stats_unit_end(char *out, size_t cap, const trc_unit_track *ut) {
    char a[32];
    if (!ut->proc_ended) return false;
    const char *sn = trc_signal_name(ut->exit_signal);
    if (ut->died && ut->killed && ut->exit_signal)
        snprintf(out, cap, "terminated (daemon, %s) at %s", sn ? sn : "a signal", dur(a, ut->t_exit));
    else if (ut->died && ut->exit_signal && sn) snprintf(out, cap, "killed by %s at %s", sn, dur(a, ut->t_exit));
    else if (ut->died && ut->exit_signal) snprintf(out, cap, "killed by signal %d at %s", ut->exit_signal, dur(a, ut->t_exit));
    else if (ut->died) snprintf(out, cap, "died (exit %d) at %s", ut->exit_code, dur(a, ut->t_exit));
    else if (ut->exit_code) snprintf(out, cap, "exit %d at %s", ut->exit_code, dur(a, ut->t_exit));
    else return false;
    return true;
}

bool trc__stats_object_text(buf *out, const trc_model *m, const trc_object *ob, const trc_object_track *ot) {
    char a[32], b[32];
    (void)m;
    switch (ob->kind) {
    case TRC_OBJ_PIPE:
        bp(out, "%u sent (%s), %u received, %u end of file, %u closes, %u blocked waits", ot->sends, bytes(a, ot->bytes),
           ot->recvs - ot->eofs, ot->eofs, ot->closes, ot->waits);
        if (ot->polls) bp(out, ", %u polls", ot->polls);
        break;
    case TRC_OBJ_SHM:
        bp(out, "%s, %u writes, %u reads, %u torn, %s", bytes(a, (uint64_t)ob->capacity), ot->shm_writes, ot->shm_reads,
           ot->torn_reads, ot->unlinked ? "unlinked" : "never unlinked (leaked)");
        break;
    case TRC_OBJ_VAR:
        bp(out, "initial value %lld, %u assignments", (long long)ob->capacity, ot->var_sets);
        if (ot->requests) bp(out, ", %u requests to its manager", ot->requests);
        break;
    case TRC_OBJ_MANAGER: {
        uint32_t served = 0;
        for (size_t i = 0; i < m->ninstants; i++)
            served += m->instants[i].kind == TRC_EV_SERVE && m->instants[i].obj &&
                      m->run->objects[m->instants[i].obj - 1].related == ob->id;
        bp(out, "%u requests served", served);
        break;
    }
    default: return false;
    }
    (void)b;
    return true;
}

void trc__stats_object_text_more(buf *out, const trc_object *ob, const trc_object_track *ot) {
    char a[32], b[32];
    if (ot->pickles)
        bp(out, ", %u (un)pickled (%s, %s of CPU)", ot->pickles, bytes(a, ot->bytes), dur(b, ot->pickle_ns));
    if (ob->related && (ob->kind == TRC_OBJ_COUNTER) && ot->requests) bp(out, ", %u requests to its manager", ot->requests);
}

void trc__stats_object_json(buf *out, const trc_object *ob, const trc_object_track *ot) {
    switch (ob->kind) {
    case TRC_OBJ_PIPE:
        bp(out, ",\"sends\":%u,\"recvs\":%u,\"eofs\":%u,\"closes\":%u,\"polls\":%u,\"bytes\":%llu", ot->sends, ot->recvs,
           ot->eofs, ot->closes, ot->polls, (unsigned long long)ot->bytes);
        break;
    case TRC_OBJ_SHM:
        bp(out, ",\"size\":%lld,\"writes\":%u,\"reads\":%u,\"torn_reads\":%u,\"unlinked\":%s", (long long)ob->capacity,
           ot->shm_writes, ot->shm_reads, ot->torn_reads, ot->unlinked ? "true" : "false");
        break;
    case TRC_OBJ_VAR: bp(out, ",\"initial\":%lld,\"assignments\":%u", (long long)ob->capacity, ot->var_sets); break;
    default: break;
    }
    if (ot->pickles)
        bp(out, ",\"pickles\":%u,\"pickled_bytes\":%llu,\"pickle_ns\":%llu", ot->pickles, (unsigned long long)ot->bytes,
           (unsigned long long)ot->pickle_ns);
    if (ot->requests) bp(out, ",\"requests\":%u", ot->requests);
}

void trc__stats_unit_json(buf *out, const trc_unit_track *ut) {
    if (!ut->pid && !ut->proc_ended) return;
    bp(out, ",\"pid\":%d", ut->pid);
    if (ut->proc_ended) {
        /* as Python's exitcode: -N for a death by signal N */
        bp(out, ",\"exitcode\":%d,\"died\":%s", ut->exit_signal ? -ut->exit_signal : ut->exit_code,
           ut->died ? "true" : "false");
    }
}

/* ---- several runs side by side ----------------------------------------------------- */

void trc_stats_runs_text(buf *out, const trc_model *models, uint32_t n) {
    if (n < 2) return;
    char a[32];
    const trc_run *r0 = models[0].run;
    /* a run's name: its backend, then the params that differ between the runs */
    char names[64][64];
    uint32_t shown = n < 64 ? n : 64;
    size_t w = 10;
    for (uint32_t r = 0; r < shown; r++) {
        const trc_run *run = models[r].run;
        size_t l = (size_t)snprintf(names[r], sizeof names[r], "%s", run->backend ? run->backend : "?");
        for (uint32_t i = 0; i < run->nparams && l < sizeof names[r]; i++) {
            bool varies = false;
            for (uint32_t k = 0; k < shown; k++) {
                const trc_run *o = models[k].run;
                if (i < o->nparams && o->params[i].value != run->params[i].value) varies = true;
            }
            if (varies)
                l += (size_t)snprintf(names[r] + l, sizeof names[r] - l, " %s=%lld", run->params[i].name,
                                      (long long)run->params[i].value);
        }
        if (strlen(names[r]) > w) w = strlen(names[r]);
    }
    bp(out, "%s: %u runs side by side\n\n", r0->scenario, n);
    bp(out, "%-*s  %10s %10s %10s %10s  %s\n", (int)w, "run", "makespan", "computing", "blocked", "sleeping", "end");
    for (uint32_t r = 0; r < shown; r++) {
        const trc_model *m = &models[r];
        uint64_t t[TRC_ST__COUNT] = { 0 };
        for (uint32_t u = 0; u < m->run->nunits; u++)
            for (int s = 0; s < TRC_ST__COUNT; s++) t[s] += m->units[u].t_state[s];
        char b[32], c[32], d[32];
        bp(out, "%-*s  %10s %10s %10s %10s  %s\n", (int)w, names[r], dur(a, m->makespan), dur(b, t[TRC_ST_COMPUTE]),
           dur(c, t[TRC_ST_BLOCKED]), dur(d, t[TRC_ST_SLEEP]), trc_run_end_name(m->run->end_reason));
    }
    bp(out, "\n");
}
