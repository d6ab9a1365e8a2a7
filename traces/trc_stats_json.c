/* Stats as JSON: the schema is docs/schema/stats-1.json ("schema":
 * "weft-stats", "version": 1). Keys are added, never renamed or removed, within
 * a version; states_ns has one key per state of the model (trc_state_table). */
#include <stdio.h>
#include <string.h>

#include "traces/trc_internal.h"
#include "traces/trc_procs_internal.h"
#include "traces/trc_sched_internal.h"
#include "traces/trc_stats_mem_internal.h"

#define bprintf trc__bprintf
#define json_str trc__json_str

/* Kind-specific JSON fields of one object (after the common ones). */
static void object_json(buf *out, const trc_model *m, const trc_object *ob, const trc_object_track *ot) {
    bprintf(out, ",\"timeouts\":%u", ot->timeouts);
    trc__stats_object_json(out, ob, ot);
    switch (ob->kind) {
    case TRC_OBJ_QUEUE: bprintf(out, ",\"task_dones\":%u,\"capacity\":%lld", ot->task_dones, (long long)ob->capacity); break;
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
    case TRC_OBJ_GIL: trc__gil_json(out, ob, ot); break;
    case TRC_OBJ_POOL: {
        trc__pool_times p = trc__pool_times_of(m, ot);
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

static void dist_json(buf *out, const trc_dist *d) {
    bprintf(out, "{\"count\":%llu,\"total_ns\":%llu,\"p50_ns\":%llu,\"p95_ns\":%llu,\"max_ns\":%llu}",
            (unsigned long long)d->n, (unsigned long long)d->total, (unsigned long long)d->p50,
            (unsigned long long)d->p95, (unsigned long long)d->max);
}

static void states_json(buf *out, const uint64_t *t_state) {
    unsigned n;
    const trc_state_info *t = trc_state_table(&n);
    bprintf(out, "{");
    for (unsigned i = 0; i < n; i++)
        bprintf(out, "%s\"%s\":%llu", i ? "," : "", t[i].key,
                (unsigned long long)(t[i].id < TRC_ST__COUNT ? t_state[t[i].id] : 0));
    bprintf(out, "}");
}

static void run_json(buf *out, const trc_model *m, uint32_t index) {
    const trc_run *run = m->run;
    trc_stats st;
    trc_stats_build(&st, m);
    bprintf(out, "{\"index\":%u,\"scenario\":", index + 1);
    json_str(out, run->scenario);
    bprintf(out, ",\"backend\":");
    json_str(out, run->backend);
    bprintf(out, ",\"seed\":%llu,\"end\":\"%s\",\"makespan_ns\":%llu,\"cpu_ns\":%llu,\"lost\":%llu,\"repairs\":%llu,"
                 "\"flush_ns\":%llu,\"flushes\":%u,\"items\":%llu,\"items_per_s\":",
            (unsigned long long)run->seed, trc_run_end_name(run->end_reason), (unsigned long long)m->makespan,
            (unsigned long long)st.cpu_ns, (unsigned long long)m->lost, (unsigned long long)m->warnings_total, (unsigned long long)st.flush_ns, st.flushes,
            (unsigned long long)st.items);
    trc__json_num(out, st.items_per_s);
    bprintf(out, ",\"params\":{");
    for (uint32_t i = 0; i < run->nparams; i++) {
        bprintf(out, "%s", i ? "," : "");
        json_str(out, run->params[i].name);
        bprintf(out, ":%lld", (long long)run->params[i].value);
    }
    bprintf(out, "},\"states_ns\":");
    states_json(out, st.t_state);
    bprintf(out, ",\"wait\":");
    dist_json(out, &st.wait);
    bprintf(out, ",\"units\":[");
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        const trc_unit_stats *us = &st.units[u];
        bprintf(out, "%s{\"name\":", u ? "," : "");
        json_str(out, run->units[u].name);
        bprintf(out, ",\"group\":");
        json_str(out, run->units[u].group && run->units[u].group[0] ? run->units[u].group : run->units[u].name);
        bprintf(out, ",\"kind\":\"%s\",\"waits\":%u,\"exited\":%s,\"aborted\":%s,\"killed\":%s,\"failed\":%s,"
                     "\"end_unknown\":%s,\"lost\":%llu,\"gaps\":%zu,\"flushes\":%u,\"life_ns\":%llu,\"cpu_ns\":%llu,"
                     "\"flush_ns\":%llu,\"timeouts\":%u,\"puts\":%u,\"gets\":%u,\"wait\":",
                trc_unit_kind_name(run->units[u].kind), ut->waits, ut->exited ? "true" : "false",
                ut->aborted ? "true" : "false", ut->killed ? "true" : "false", ut->failed ? "true" : "false",
                ut->unknown_end ? "true" : "false", (unsigned long long)us->lost, ut->ngaps, ut->flushes,
                (unsigned long long)us->life_ns, (unsigned long long)us->cpu_ns, (unsigned long long)us->flush_ns,
                us->timeouts, us->puts, us->gets);
        dist_json(out, &us->wait);
        bprintf(out, ",\"states_ns\":");
        states_json(out, ut->t_state);
        trc__stats_unit_json(out, ut);   /* a process's pid and exit code: trc_stats_procs.c */
        trc__sched_unit_json(out, ut);   /* its scheduling: trc_stats_sched.c */
        bprintf(out, "}");
    }
    bprintf(out, "],\"groups\":[");
    for (uint32_t g = 0; g < st.ngroups; g++) {
        const trc_group_stats *gs = &st.groups[g];
        bprintf(out, "%s{\"name\":", g ? "," : "");
        json_str(out, gs->name);
        bprintf(out, ",\"units\":%u,\"cpu_ns\":%llu,\"states_ns\":", gs->nunits, (unsigned long long)gs->cpu_ns);
        states_json(out, gs->t_state);
        bprintf(out, ",\"wait\":");
        dist_json(out, &gs->wait);
        bprintf(out, ",\"waits_on\":[");
        bool first = true;
        for (uint32_t o = 0; o < run->nobjects; o++) {
            if (!gs->obj_wait[o].n) continue;
            bprintf(out, "%s{\"object\":", first ? "" : ",");
            json_str(out, run->objects[o].name);
            bprintf(out, ",\"wait\":");
            dist_json(out, &gs->obj_wait[o]);
            bprintf(out, "}");
            first = false;
        }
        bprintf(out, "]}");
    }
    bprintf(out, "],\"objects\":[");
    bool first_obj = true;
    for (uint32_t o = 0; o < run->nobjects; o++) {
        const trc_object_track *ot = &m->objects[o];
        const trc_obj_stats *os = &st.objects[o];
        if (trc__gil_unused(&run->objects[o], ot)) continue;
        bprintf(out, "%s{\"name\":", first_obj ? "" : ",");
        first_obj = false;
        json_str(out, run->objects[o].name);
        bprintf(out, ",\"kind\":\"%s\",\"waits\":%u,\"puts\":%u,\"gets\":%u,\"max_depth\":%lld,\"held_ns\":%llu,"
                     "\"acquisitions\":%zu",
                trc_obj_kind_name(run->objects[o].kind), ot->waits, ot->puts, ot->gets, (long long)ot->max_depth,
                (unsigned long long)ot->t_held, ot->nowners);
        object_json(out, m, &run->objects[o], ot);
        bprintf(out, ",\"wait\":");
        dist_json(out, &os->wait);
        bprintf(out, ",\"held_share\":");
        trc__json_num(out, os->held_share);
        bprintf(out, ",\"contended\":%u,\"contention\":", os->contended);
        trc__json_num(out, os->contention);
        if (run->objects[o].kind == TRC_OBJ_QUEUE) {
            bprintf(out, ",\"depth\":{\"mean\":");
            trc__json_num(out, os->depth_mean);
            bprintf(out, ",\"p50\":%lld,\"p95\":%lld,\"max\":%lld,\"full_ns\":%llu,\"empty_ns\":%llu},\"items_per_s\":",
                    (long long)os->depth_p50, (long long)os->depth_p95, (long long)os->depth_max,
                    (unsigned long long)os->full_ns, (unsigned long long)os->empty_ns);
            trc__json_num(out, os->items_per_s);
        }
        bprintf(out, "}");
    }
    bprintf(out, "]");
    trc__sched_json(out, m);
    trc__mem_json(out, m);   /* trc_stats_mem.c */
    bprintf(out, ",\"lost_updates\":%llu,\"unmatched_wakes\":%llu,\"flows\":{", (unsigned long long)m->lost_updates,
            (unsigned long long)m->unmatched_wakes);
    uint64_t nk[TRC_FLOW__COUNT] = { 0 };
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].kind < TRC_FLOW__COUNT) nk[m->flows[i].kind]++;
    for (unsigned k = 1; k < TRC_FLOW__COUNT; k++)
        bprintf(out, "%s\"%s\":%llu", k > 1 ? "," : "", trc_flow_kind_name(k), (unsigned long long)nk[k]);
    bprintf(out, "}}");
    trc_stats_release(&st);
}

void trc_stats_json(buf *out, const trc_model *models, uint32_t nruns) {
    bprintf(out, "{\"schema\":\"weft-stats\",\"version\":1,\"runs\":[");
    for (uint32_t r = 0; r < nruns; r++) {
        if (r) bprintf(out, ",");
        run_json(out, &models[r], r);
    }
    bprintf(out, "]}\n");
}
