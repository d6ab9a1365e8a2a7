/* Stats: figures read off the derived model, as text tables or JSON. */
#include "traces/trc.h"

#include <stdio.h>
#include <string.h>

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n + 1);
        vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap2);
        b->n += (size_t)n;
    }
    va_end(ap2);
}

static const char *dur(char *out, uint64_t ns) {
    fmt_dur(out, 32, ns);
    return out;
}

static const char *pl(uint64_t n, const char *one, const char *many) { return n == 1 ? one : many; }

static double pct(const trc_model *m, uint64_t ns) {
    return m->makespan ? 100.0 * (double)ns / (double)m->makespan : 0.0;
}

/* A pool's queue waits (submit -> start) and run times (start -> done). */
typedef struct pool_times { uint64_t waited, ran, max_wait; uint32_t nwait, nrun; } pool_times;

static pool_times pool_times_of(const trc_model *m, const trc_object_track *ot) {
    pool_times p = { 0 };
    for (size_t i = ot->future0; i < ot->future0 + ot->nfutures && i < m->nfutures; i++) {
        const trc_future *f = &m->futures[i];
        if (f->t_submit != TRC_T_NONE && f->t_start != TRC_T_NONE && f->t_start >= f->t_submit) {
            uint64_t w = f->t_start - f->t_submit;
            p.waited += w;
            p.nwait++;
            if (w > p.max_wait) p.max_wait = w;
        }
        if (f->t_start != TRC_T_NONE && f->t_done != TRC_T_NONE && f->t_done >= f->t_start) {
            p.ran += f->t_done - f->t_start;
            p.nrun++;
        }
    }
    return p;
}

/* The figures of one object, after its name and kind. */
static void object_text(buf *out, const trc_model *m, const trc_object *ob, const trc_object_track *ot) {
    char a[32], b[32];
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
    case TRC_OBJ_POOL: {
        pool_times p = pool_times_of(m, ot);
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
    bprintf(out, "\n");
}

void trc_stats_text(buf *out, const trc_model *m) {
    const trc_run *run = m->run;
    char a[32], b[32], c[32], d2[32], e[32];
    bprintf(out, "%s  [%s]  makespan %s  (%s)\n", run->scenario, run->backend, dur(a, m->makespan),
            trc_run_end_name(run->end_reason));
    if (run->nparams) {
        bprintf(out, "params:");
        for (uint32_t i = 0; i < run->nparams; i++) {
            if (run->params[i].is_duration) bprintf(out, " %s=%s", run->params[i].name, dur(a, (uint64_t)run->params[i].value));
            else bprintf(out, " %s=%lld", run->params[i].name, (long long)run->params[i].value);
        }
        bprintf(out, "\n");
    }
    size_t w = 6;   /* as wide as "object" and "total" at least */
    for (uint32_t u = 0; u < run->nunits; u++) if (strlen(run->units[u].name) > w) w = strlen(run->units[u].name);
    for (uint32_t o = 0; o < run->nobjects; o++) if (strlen(run->objects[o].name) > w) w = strlen(run->objects[o].name);
    /* the recording's own columns, only when it has them: time waiting for the
     * recorder (complete mode), time unknown and events lost (drop mode); and a
     * "ready" column when units waited for their event loop (coroutines) */
    bool flush_col = false, lost_col = false, ready = false;
    for (uint32_t u = 0; u < run->nunits; u++) {
        flush_col |= m->units[u].t_state[TRC_ST_FLUSH] > 0;
        lost_col |= m->units[u].lost > 0 || m->units[u].t_state[TRC_ST_UNKNOWN] > 0 || m->units[u].unknown_end;
        ready |= m->units[u].t_state[TRC_ST_READY] > 0;
    }
    bprintf(out, "\n%-*s  %10s %10s %10s %10s", (int)w, "unit", "running", "computing", "blocked", "sleeping");
    if (ready) bprintf(out, " %10s", "ready");
    if (flush_col) bprintf(out, " %10s", "rec.flush");
    if (lost_col) bprintf(out, " %10s %8s", "unknown", "lost");
    bprintf(out, " %6s  %s\n", "waits", "end");
    uint64_t tot[TRC_ST__COUNT] = { 0 }, totl = 0;
    uint32_t totw = 0;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        for (int s = 0; s < TRC_ST__COUNT; s++) tot[s] += ut->t_state[s];
        totw += ut->waits;
        totl += ut->lost;
        const char *end = ut->exited ? (ut->aborted ? "aborted" : "done")
                          : ut->unknown_end ? "unknown (its last events are missing)"
                          : ut->nspans ? "never exited" : "never started";
        char endbuf[64];
        if (ut->killed) { snprintf(endbuf, sizeof endbuf, "killed (daemon) at %s", dur(e, ut->t_killed)); end = endbuf; }
        else if (ut->cancelled) { snprintf(endbuf, sizeof endbuf, "cancelled at %s", dur(e, ut->t_exit)); end = endbuf; }
        else if (ut->failed) { snprintf(endbuf, sizeof endbuf, "died of an error at %s", dur(e, ut->t_exit)); end = endbuf; }
        else if (ut->exited && !ut->aborted) { snprintf(endbuf, sizeof endbuf, "done at %s", dur(e, ut->t_exit)); end = endbuf; }
        bprintf(out, "%-*s  %10s %10s %10s %10s", (int)w, run->units[u].name, dur(a, ut->t_state[TRC_ST_RUNNING]),
                dur(b, ut->t_state[TRC_ST_COMPUTE]), dur(c, ut->t_state[TRC_ST_BLOCKED]), dur(d2, ut->t_state[TRC_ST_SLEEP]));
        if (ready) bprintf(out, " %10s", dur(a, ut->t_state[TRC_ST_READY]));
        if (flush_col) bprintf(out, " %10s", dur(a, ut->t_state[TRC_ST_FLUSH]));
        if (lost_col) bprintf(out, " %10s %8llu", dur(a, ut->t_state[TRC_ST_UNKNOWN]), (unsigned long long)ut->lost);
        bprintf(out, " %6u  %s\n", ut->waits, end);
    }
    if (run->nunits > 1) {
        bprintf(out, "%-*s  %10s %10s %10s %10s", (int)w, "total", dur(a, tot[TRC_ST_RUNNING]), dur(b, tot[TRC_ST_COMPUTE]),
                dur(c, tot[TRC_ST_BLOCKED]), dur(d2, tot[TRC_ST_SLEEP]));
        if (ready) bprintf(out, " %10s", dur(a, tot[TRC_ST_READY]));
        if (flush_col) bprintf(out, " %10s", dur(a, tot[TRC_ST_FLUSH]));
        if (lost_col) bprintf(out, " %10s %8llu", dur(a, tot[TRC_ST_UNKNOWN]), (unsigned long long)totl);
        bprintf(out, " %6u\n", totw);
    }
    /* event loops: ticks, idle, the time its tasks blocked it, the ready tasks, the lag */
    bool loops = false;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        if (run->units[u].kind != TRC_UNIT_LOOP) continue;
        if (!loops) bprintf(out, "\n%-*s  figures\n", (int)w, "loop");
        loops = true;
        uint64_t blocked = ut->t_state[TRC_ST_COMPUTE] + ut->t_state[TRC_ST_SLEEP];
        bprintf(out, "%-*s  %u ticks, idle %s (%.0f%%), blocked by its tasks %s (%.0f%%), up to %lld ready at once, "
                     "max lag %s\n", (int)w, run->units[u].name, ut->ticks, dur(a, ut->t_state[TRC_ST_IDLE]),
                pct(m, ut->t_state[TRC_ST_IDLE]), dur(b, blocked), pct(m, blocked), (long long)ut->max_ready,
                dur(c, ut->max_lag));
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
            bprintf(out, "%-*s  %-*s ", (int)w, ob->name, (int)kw, trc_obj_kind_name(ob->kind));
            object_text(out, m, ob, &m->objects[o]);
        }
    }
    if (m->lost_updates)
        bprintf(out, "\n%llu %s lost to unsynchronised read-modify-writes\n", (unsigned long long)m->lost_updates,
                pl(m->lost_updates, "counter update was", "counter updates were"));
    uint64_t flush = 0, life = 0;
    for (uint32_t u = 0; u < run->nunits; u++) {
        flush += m->units[u].t_state[TRC_ST_FLUSH];
        life += m->units[u].t_exit > m->units[u].t_start ? m->units[u].t_exit - m->units[u].t_start : 0;
    }
    if (flush)
        bprintf(out, "\nrecorder flush: units waited %s for the recorder's full buffers (%.1f%% of their time); "
                     "rec.flush above is that wait, not the scenario's\n",
                dur(a, flush), life ? 100.0 * (double)flush / (double)life : 0.0);
    if (m->lost)
        bprintf(out, "\nWARNING: %llu events were lost (drop mode: recorder buffers overflowed); from each gap to the "
                     "unit's next event its state is unknown\n", (unsigned long long)m->lost);
    if (m->warnings_total)
        bprintf(out, "%s%llu repair(s) where events are missing (owners made unknown...): weft check lists them\n",
                m->lost ? "" : "\n", (unsigned long long)m->warnings_total);
    if (run->report && run->report[0]) bprintf(out, "\n%s", run->report);
}

static void json_str(buf *b, const char *s) {
    buf_u8(b, '"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { buf_u8(b, '\\'); buf_u8(b, ch); }
        else if (ch == '\n') buf_put(b, "\\n", 2);
        else if (ch < 0x20) bprintf(b, "\\u%04x", ch);
        else buf_u8(b, ch);
    }
    buf_u8(b, '"');
}

/* Kind-specific JSON fields of one object (after the common ones). */
static void object_json(buf *out, const trc_model *m, const trc_object *ob, const trc_object_track *ot) {
    bprintf(out, ",\"timeouts\":%u", ot->timeouts);
    switch (ob->kind) {
    case TRC_OBJ_QUEUE: bprintf(out, ",\"task_dones\":%u", ot->task_dones); break;
    case TRC_OBJ_RLOCK: bprintf(out, ",\"max_recursion\":%lld", (long long)ot->max_level); break;
    case TRC_OBJ_SEMAPHORE:
        bprintf(out, ",\"permits\":%lld,\"max_in_use\":%lld,\"acquires\":%u", (long long)ob->capacity,
                (long long)ot->max_level, ot->acquires);
        break;
    case TRC_OBJ_CONDITION: bprintf(out, ",\"notifies\":%u,\"woken\":%u", ot->notifies, ot->woken); break;
    case TRC_OBJ_EVENT:
        bprintf(out, ",\"sets\":%u,\"clears\":%u,\"set_ns\":%llu,\"woken\":%u", ot->sets, ot->clears,
                (unsigned long long)ot->t_set, ot->woken);
        break;
    case TRC_OBJ_BARRIER:
        bprintf(out, ",\"parties\":%lld,\"generations\":%u,\"arrivals\":%u,\"breaks\":%u", (long long)ob->capacity,
                ot->generations, ot->arrivals, ot->breaks);
        break;
    case TRC_OBJ_RWLOCK:
        bprintf(out, ",\"writes\":%u,\"reads\":%u,\"max_readers\":%lld", ot->acquires - ot->shared_acquires,
                ot->shared_acquires, (long long)ot->max_level);
        break;
    case TRC_OBJ_COUNTER:
        bprintf(out, ",\"final_value\":");
        if (ot->has_value) bprintf(out, "%lld", (long long)ot->final_value);
        else bprintf(out, "null");
        bprintf(out, ",\"writes\":%u,\"reads\":%u,\"lost_updates\":%llu,\"stale_reads\":%u", ot->writes, ot->reads,
                (unsigned long long)ot->lost_updates, ot->stale_reads);
        break;
    case TRC_OBJ_POOL: {
        pool_times p = pool_times_of(m, ot);
        bprintf(out, ",\"workers\":%lld,\"submitted\":%u,\"started\":%u,\"completed\":%u,\"failed\":%u,\"cancelled\":%u,"
                     "\"rejected\":%u,\"cancel_failed\":%u,\"callbacks\":%u,\"mean_queue_wait_ns\":%llu,"
                     "\"max_queue_wait_ns\":%llu,\"mean_run_ns\":%llu",
                (long long)ob->capacity, ot->submitted, ot->started, ot->completed, ot->failed, ot->cancelled,
                ot->rejected, ot->cancel_failed, ot->callbacks, (unsigned long long)(p.nwait ? p.waited / p.nwait : 0),
                (unsigned long long)p.max_wait, (unsigned long long)(p.nrun ? p.ran / p.nrun : 0));
        break;
    }
    default: break;
    }
}

void trc_stats_json(buf *out, const trc_model *models, uint32_t nruns) {
    bprintf(out, "{\"runs\":[");
    for (uint32_t r = 0; r < nruns; r++) {
        const trc_model *m = &models[r];
        const trc_run *run = m->run;
        bprintf(out, "%s{\"scenario\":", r ? "," : "");
        json_str(out, run->scenario);
        bprintf(out, ",\"backend\":");
        json_str(out, run->backend);
        bprintf(out, ",\"end\":\"%s\",\"makespan_ns\":%llu,\"lost\":%llu,\"repairs\":%llu,\"params\":{",
                trc_run_end_name(run->end_reason), (unsigned long long)m->makespan, (unsigned long long)m->lost,
                (unsigned long long)m->warnings_total);
        for (uint32_t i = 0; i < run->nparams; i++) {
            bprintf(out, "%s", i ? "," : "");
            json_str(out, run->params[i].name);
            bprintf(out, ":%lld", (long long)run->params[i].value);
        }
        bprintf(out, "},\"units\":[");
        for (uint32_t u = 0; u < run->nunits; u++) {
            const trc_unit_track *ut = &m->units[u];
            bprintf(out, "%s{\"name\":", u ? "," : "");
            json_str(out, run->units[u].name);
            bprintf(out, ",\"waits\":%u,\"exited\":%s,\"aborted\":%s,\"killed\":%s,\"failed\":%s,\"end_unknown\":%s,"
                         "\"lost\":%llu,\"gaps\":%zu,\"flushes\":%u,\"states_ns\":{", ut->waits,
                    ut->exited ? "true" : "false", ut->aborted ? "true" : "false", ut->killed ? "true" : "false",
                    ut->failed ? "true" : "false", ut->unknown_end ? "true" : "false", (unsigned long long)ut->lost,
                    ut->ngaps, ut->flushes);
            for (int s = 0; s < TRC_ST__COUNT; s++)
                bprintf(out, "%s\"%s\":%llu", s ? "," : "", trc_state_name((unsigned)s), (unsigned long long)ut->t_state[s]);
            bprintf(out, "}");
            if (run->units[u].kind == TRC_UNIT_LOOP)
                bprintf(out, ",\"loop\":{\"ticks\":%u,\"max_ready\":%lld,\"max_lag_ns\":%llu}", ut->ticks,
                        (long long)ut->max_ready, (unsigned long long)ut->max_lag);
            if (ut->cancelled) bprintf(out, ",\"cancelled\":true");
            bprintf(out, "}");
        }
        bprintf(out, "],\"objects\":[");
        for (uint32_t o = 0; o < run->nobjects; o++) {
            const trc_object_track *ot = &m->objects[o];
            bprintf(out, "%s{\"name\":", o ? "," : "");
            json_str(out, run->objects[o].name);
            bprintf(out, ",\"kind\":\"%s\",\"waits\":%u,\"puts\":%u,\"gets\":%u,\"max_depth\":%lld,\"held_ns\":%llu,"
                         "\"acquisitions\":%zu",
                    trc_obj_kind_name(run->objects[o].kind), ot->waits, ot->puts, ot->gets, (long long)ot->max_depth,
                    (unsigned long long)ot->t_held, ot->nowners);
            object_json(out, m, &run->objects[o], ot);
            bprintf(out, "}");
        }
        bprintf(out, "],\"lost_updates\":%llu,\"unmatched_wakes\":%llu,\"flows\":{", (unsigned long long)m->lost_updates,
                (unsigned long long)m->unmatched_wakes);
        uint64_t nk[TRC_FLOW__COUNT] = { 0 };
        for (size_t i = 0; i < m->nflows; i++)
            if (m->flows[i].kind < TRC_FLOW__COUNT) nk[m->flows[i].kind]++;
        for (unsigned k = 1; k < TRC_FLOW__COUNT; k++)
            bprintf(out, "%s\"%s\":%llu", k > 1 ? "," : "", trc_flow_kind_name(k), (unsigned long long)nk[k]);
        bprintf(out, "}}");
    }
    bprintf(out, "]}\n");
}
