/* Stats as text: the tables `weft stats` prints (figures from trc_stats.c). */
#include <stdio.h>
#include <string.h>

#include "traces/trc_internal.h"
#include "traces/trc_procs_internal.h"
#include "traces/trc_sched_internal.h"
#include "traces/trc_stats_mem_internal.h"

#define bprintf trc__bprintf

static const char *dur(char *out, uint64_t ns) {
    fmt_dur(out, 32, ns);
    return out;
}

static const char *pl(uint64_t n, const char *one, const char *many) { return n == 1 ? one : many; }

static double pct(const trc_model *m, uint64_t ns) {
    return m->makespan ? 100.0 * (double)ns / (double)m->makespan : 0.0;
}

/* The figures of one object, after its name and kind. */
static void object_text(buf *out, const trc_model *m, const trc_object *ob, const trc_object_track *ot) {
    char a[32], b[32];
    if (trc__stats_object_text(out, m, ob, ot)) {   /* pipes, shm, vars, managers: trc_stats_procs.c */
        bprintf(out, "\n");
        return;
    }
    switch (ob->kind) {
    case TRC_OBJ_QUEUE:
        bprintf(out, "puts %u, gets %u, max depth %lld of %lld, %u blocked waits", ot->puts, ot->gets,
                (long long)ot->max_depth, (long long)ob->capacity, ot->waits);
        if (ot->task_dones) bprintf(out, ", %u task_done", ot->task_dones);
        break;
    case TRC_OBJ_SEMAPHORE:
        bprintf(out, "max %lld of %lld permits in use, %u %s, %u blocked waits", (long long)ot->max_level,
                (long long)ob->capacity, ot->acquires, pl(ot->acquires, "acquisition", "acquisitions"), ot->waits);
        break;
    case TRC_OBJ_CONDITION:
        bprintf(out, "%u %s (woke %u), %u waits", ot->notifies, pl(ot->notifies, "notify", "notifies"), ot->woken,
                ot->waits);
        break;
    case TRC_OBJ_EVENT:
        bprintf(out, "%u %s, %u %s, set %s (%.0f%% of the run), woke %u, %u waits", ot->sets, pl(ot->sets, "set", "sets"),
                ot->clears, pl(ot->clears, "clear", "clears"), dur(a, ot->t_set), pct(m, ot->t_set), ot->woken,
                ot->waits);
        break;
    case TRC_OBJ_BARRIER:
        bprintf(out, "%lld parties, %u %s opened, %u arrivals, %u waits", (long long)ob->capacity, ot->generations,
                pl(ot->generations, "generation", "generations"), ot->arrivals, ot->waits);
        if (ot->breaks) bprintf(out, ", broken %u %s", ot->breaks, pl(ot->breaks, "time", "times"));
        break;
    case TRC_OBJ_RWLOCK:
        bprintf(out, "writers held %s (%.0f%% of the run), %u writes, %u reads, max %lld readers, %u contended",
                dur(a, ot->t_held), pct(m, ot->t_held), ot->acquires - ot->shared_acquires, ot->shared_acquires,
                (long long)ot->max_level, ot->waits);
        break;
    case TRC_OBJ_COUNTER:
        if (ot->has_value) bprintf(out, "final value %lld, ", (long long)ot->final_value);
        else if (ot->reads) bprintf(out, "final value %lld (never written), ", (long long)ob->capacity);
        else bprintf(out, "never used, ");
        bprintf(out, "%u writes, %u reads, %llu lost %s, %u stale %s", ot->writes, ot->reads,
                (unsigned long long)ot->lost_updates, pl(ot->lost_updates, "update", "updates"), ot->stale_reads,
                pl(ot->stale_reads, "read", "reads"));
        break;
    case TRC_OBJ_GIL: trc__gil_text(out, m, ot); break;
    case TRC_OBJ_POOL: {
        trc__pool_times p = trc__pool_times_of(m, ot);
        bprintf(out, "%lld workers, %u submitted, %u completed, %u failed, %u cancelled", (long long)ob->capacity,
                ot->submitted, ot->completed, ot->failed, ot->cancelled);
        if (ot->rejected) bprintf(out, ", %u refused after shutdown", ot->rejected);
        if (ot->cancel_failed) bprintf(out, ", %u cancel attempt(s) too late", ot->cancel_failed);
        if (p.nwait) bprintf(out, ", mean queue wait %s", dur(a, p.waited / p.nwait));
        if (p.nrun) bprintf(out, ", mean run %s", dur(b, p.ran / p.nrun));
        break;
    }
    default:   /* locks, rlocks and anything that is owned */
        bprintf(out, "held %s (%.0f%% of the run), %zu acquisitions, ", dur(a, ot->t_held), pct(m, ot->t_held), ot->nowners);
        if (ob->kind == TRC_OBJ_RLOCK) bprintf(out, "max depth %lld, ", (long long)ot->max_level);
        bprintf(out, "%u contended, %u hand-offs", ot->waits, ot->handoffs);
        break;
    }
    if (ot->timeouts) bprintf(out, ", %u timed out", ot->timeouts);
    trc__stats_object_text_more(out, ob, ot);
    bprintf(out, "\n");
}

/* The columns of the state table: every state some unit spent time in (not
 * DONE: the time after exit), `running` always. */
static unsigned state_columns(const trc_stats *st, const trc_state_info **cols) {
    unsigned n, k = 0;
    const trc_state_info *t = trc_state_table(&n);
    for (unsigned i = 0; i < n; i++) {
        if (t[i].id == TRC_ST_DONE || t[i].id >= TRC_ST__COUNT) continue;
        if (t[i].id == TRC_ST_RUNNING || st->t_state[t[i].id]) cols[k++] = &t[i];
    }
    return k;
}

/* A column's header: the state's name, or a shorter one where the name would
 * widen the table a lot (a state without an entry here shows its name). */
static const char *col_label(const trc_state_info *c) {
    static const struct { unsigned id; const char *label; } short_labels[] = { { TRC_ST_FLUSH, "rec.flush" } };
    for (size_t i = 0; i < sizeof short_labels / sizeof *short_labels; i++)
        if (short_labels[i].id == c->id) return short_labels[i].label;
    return c->name;
}

static int col_width(const trc_state_info *c) {
    int w = (int)strlen(col_label(c));
    return w < 10 ? 10 : w;
}

static void state_row(buf *out, int w, const char *name, const uint64_t *t_state, uint64_t cpu, const trc_state_info **cols,
                      unsigned ncols) {
    char a[32];
    bprintf(out, "%-*s ", w, name);
    for (unsigned c = 0; c < ncols; c++) bprintf(out, " %*s", col_width(cols[c]), dur(a, t_state[cols[c]->id]));
    bprintf(out, " %10s", dur(a, cpu));
}

static void dist_cells(buf *out, const trc_dist *d) {
    char a[32], b[32], c[32], e[32];
    bprintf(out, " %6llu %10s %10s %10s %10s", (unsigned long long)d->n, dur(a, d->total), dur(b, d->p50), dur(c, d->p95),
            dur(e, d->max));
}

void trc_stats_text(buf *out, const trc_model *m) {
    const trc_run *run = m->run;
    trc_stats st;
    trc_stats_build(&st, m);
    char a[32], e[32];
    bprintf(out, "%s  [%s]  makespan %s  (%s)\n", run->scenario, run->backend, dur(a, m->makespan),
            trc_run_end_name(run->end_reason));
    if (run->nparams) {
        bprintf(out, "params:");
        for (uint32_t i = 0; i < run->nparams; i++) {
            bprintf(out, " %s=%s", run->params[i].name, trc_param_value(a, sizeof a, &run->params[i]));
        }
        bprintf(out, "\n");
    }
    size_t w = 6;   /* as wide as "object" and "total" at least */
    for (uint32_t u = 0; u < run->nunits; u++) if (strlen(run->units[u].name) > w) w = strlen(run->units[u].name);
    for (uint32_t o = 0; o < run->nobjects; o++) if (strlen(run->objects[o].name) > w) w = strlen(run->objects[o].name);
    const trc_state_info *cols[TRC_ST__COUNT + 1];
    unsigned ncols = state_columns(&st, cols);
    bprintf(out, "\n%-*s ", (int)w, "unit");
    for (unsigned c = 0; c < ncols; c++) bprintf(out, " %*s", col_width(cols[c]), col_label(cols[c]));
    bool lost_col = false;   /* drop mode: events lost per unit */
    for (uint32_t u = 0; u < run->nunits; u++) lost_col |= m->units[u].lost > 0;
    bprintf(out, " %10s", "cpu");
    if (lost_col) bprintf(out, " %8s", "lost");
    bprintf(out, " %6s  %s\n", "waits", "end");
    uint32_t totw = 0;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        totw += ut->waits;
        const char *end = ut->exited ? (ut->aborted ? "aborted" : "done")
                          : ut->unknown_end ? "unknown (its last events are missing)"
                          : ut->nspans ? "never exited" : "never started";
        char endbuf[64];
        if (ut->killed) { snprintf(endbuf, sizeof endbuf, "killed (daemon) at %s", dur(e, ut->t_killed)); end = endbuf; }
        else if (ut->cancelled) { snprintf(endbuf, sizeof endbuf, "cancelled at %s", dur(e, ut->t_exit)); end = endbuf; }
        else if (ut->failed) { snprintf(endbuf, sizeof endbuf, "died of an error at %s", dur(e, ut->t_exit)); end = endbuf; }
        else if (ut->exited && !ut->aborted) { snprintf(endbuf, sizeof endbuf, "done at %s", dur(e, ut->t_exit)); end = endbuf; }
        if (trc__stats_unit_end(endbuf, sizeof endbuf, ut)) end = endbuf;   /* a process killed, or exit N */
        state_row(out, (int)w, run->units[u].name, ut->t_state, st.units[u].cpu_ns, cols, ncols);
        if (lost_col) bprintf(out, " %8llu", (unsigned long long)ut->lost);
        bprintf(out, " %6u  %s\n", ut->waits, end);
    }
    if (run->nunits > 1) {
        state_row(out, (int)w, "total", st.t_state, st.cpu_ns, cols, ncols);
        if (lost_col) bprintf(out, " %8llu", (unsigned long long)st.lost);
        bprintf(out, " %6u\n", totw);
    }
    /* event loops: ticks, idle, the time its tasks blocked it, the ready tasks, the lag */
    bool loops = false;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        if (run->units[u].kind != TRC_UNIT_LOOP) continue;
        if (!loops) bprintf(out, "\n%-*s  figures\n", (int)w, "loop");
        loops = true;
        char b[32], c[32];
        uint64_t blocked = ut->t_state[TRC_ST_COMPUTE] + ut->t_state[TRC_ST_SLEEP];
        bprintf(out, "%-*s  %u ticks, idle %s (%.0f%%), blocked by its tasks %s (%.0f%%), up to %lld ready at once, "
                     "max lag %s\n", (int)w, run->units[u].name, ut->ticks, dur(a, ut->t_state[TRC_ST_IDLE]),
                pct(m, ut->t_state[TRC_ST_IDLE]), dur(b, blocked), pct(m, blocked), (long long)ut->max_ready,
                dur(c, ut->max_lag));
    }
    if (st.ngroups < run->nunits) {   /* some actor made several units: its figures together */
        size_t gw = 5;
        for (uint32_t g = 0; g < st.ngroups; g++) if (strlen(st.groups[g].name) + 6 > gw) gw = strlen(st.groups[g].name) + 6;
        if (gw < w) gw = w;
        bprintf(out, "\n%-*s ", (int)gw, "group");
        for (unsigned c = 0; c < ncols; c++) bprintf(out, " %*s", col_width(cols[c]), col_label(cols[c]));
        bprintf(out, " %10s %6s\n", "cpu", "waits");
        for (uint32_t g = 0; g < st.ngroups; g++) {
            char gname[256];
            snprintf(gname, sizeof gname, "%s (x%u)", st.groups[g].name, st.groups[g].nunits);
            state_row(out, (int)gw, gname, st.groups[g].t_state, st.groups[g].cpu_ns, cols, ncols);
            bprintf(out, " %6llu\n", (unsigned long long)st.groups[g].wait.n);
        }
    }
    if (run->nobjects) {
        size_t kw = 6;   /* the kind column: as wide as the longest kind present */
        for (uint32_t o = 0; o < run->nobjects; o++) {
            size_t n = strlen(trc_obj_kind_name(run->objects[o].kind));
            if (n > kw) kw = n;
        }
        bprintf(out, "\n%-*s  %-*s %s\n", (int)w, "object", (int)kw, "kind", "figures");
        for (uint32_t o = 0; o < run->nobjects; o++) {
            const trc_object *ob = &run->objects[o];
            if (trc__gil_unused(ob, &m->objects[o])) continue;
            bprintf(out, "%-*s  %-*s ", (int)w, ob->name, (int)kw, trc_obj_kind_name(ob->kind));
            object_text(out, m, ob, &m->objects[o]);
        }
    }
    if (st.wait.n) {
        bprintf(out, "\n%-*s  %6s %10s %10s %10s %10s  %s\n", (int)w, "waits on", "count", "total", "p50", "p95", "max",
                "contention");
        for (uint32_t o = 0; o < run->nobjects; o++) {
            const trc_obj_stats *os = &st.objects[o];
            if (!os->wait.n) continue;
            bprintf(out, "%-*s ", (int)w, run->objects[o].name);
            dist_cells(out, &os->wait);
            if (os->acquisitions)
                bprintf(out, "  %u of %u acquisitions waited (%.0f%%)", os->contended, os->acquisitions, 100 * os->contention);
            bprintf(out, "\n");
        }
        uint64_t other = st.wait.n;
        for (uint32_t o = 0; o < run->nobjects; o++) other -= st.objects[o].wait.n;
        if (other) bprintf(out, "%-*s  %6llu\n", (int)w, "(joins)", (unsigned long long)other);
    }
    bool queues = false;
    for (uint32_t o = 0; o < run->nobjects; o++) queues |= run->objects[o].kind == TRC_OBJ_QUEUE;
    if (queues) {
        bprintf(out, "\n%-*s  %10s %6s %6s %6s %6s %6s %6s\n", (int)w, "queue", "items/s", "mean", "p50", "p95", "max",
                "full", "empty");
        for (uint32_t o = 0; o < run->nobjects; o++) {
            if (run->objects[o].kind != TRC_OBJ_QUEUE) continue;
            const trc_obj_stats *os = &st.objects[o];
            char fullp[16] = "-";
            if (run->objects[o].capacity > 0) snprintf(fullp, sizeof fullp, "%.0f%%", pct(m, os->full_ns));
            bprintf(out, "%-*s  %10.1f %6.2f %6lld %6lld %6lld %6s %5.0f%%\n", (int)w, run->objects[o].name,
                    os->items_per_s, os->depth_mean, (long long)os->depth_p50, (long long)os->depth_p95,
                    (long long)os->depth_max, fullp, pct(m, os->empty_ns));
        }
        bprintf(out, "throughput: %llu %s in %s, %.1f per second\n", (unsigned long long)st.items,
                pl(st.items, "item", "items"), dur(a, m->makespan), st.items_per_s);
    }
    if (st.flush_ns) {
        uint64_t life = 0;
        for (uint32_t u = 0; u < run->nunits; u++) life += st.units[u].life_ns;
        bprintf(out, "\nrecorder flush: units waited %s for the recorder's full buffers (%u %s, %.1f%% of their time); "
                     "rec.flush above is that wait, not the scenario's\n",
                dur(a, st.flush_ns), st.flushes, pl(st.flushes, "wait", "waits"),
                life ? 100.0 * (double)st.flush_ns / (double)life : 0.0);
    }
    trc__sched_text(out, m, w);
    trc__mem_text(out, m);   /* trc_stats_mem.c */
    if (m->lost_updates)
        bprintf(out, "\n%llu %s lost to unsynchronised read-modify-writes\n", (unsigned long long)m->lost_updates,
                pl(m->lost_updates, "counter update was", "counter updates were"));
    if (m->lost)
        bprintf(out, "\nWARNING: %llu events were lost (drop mode: recorder buffers overflowed); from each gap to the "
                     "unit's next event its state is unknown\n", (unsigned long long)m->lost);
    if (m->warnings_total)
        bprintf(out, "%s%llu repair(s) where events are missing (owners made unknown...): weft check lists them\n",
                m->lost ? "" : "\n", (unsigned long long)m->warnings_total);
    if (run->report && run->report[0]) bprintf(out, "\n%s", run->report);
    trc_stats_release(&st);
}
