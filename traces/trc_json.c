/* The Chrome JSON trace event format (weft export --format json), for
 * chrome://tracing and tools that read it.
 *
 * One process per run (pid = the run's number, named with its scenario,
 * backend and parameters), one thread per unit (tid = the unit's index + 1).
 * Every time is microseconds from the run's start, three decimals (ns exact).
 *   - the unit's states as complete events (ph X, cat "state"), the time after
 *     its exit left out; a blocked state names its object, op and outcome
 *   - marks (cat "mark") and the model's point events (cat "event") as thread
 *     instants (ph i)
 *   - queue depths, semaphore permits in use and the like as counters (ph C)
 *     of the run's process, one series per object
 *   - memory: each process of the run (weft's, a unit's) as a counter "memory:
 *     NAME (pid N)" (ph C, cat "memory") with its resident and virtual bytes
 *   - flows (put->get, release->acquire, notify->wake, ...) as flow events: ph s
 *     on the sender's thread, ph f with bp "e" on the receiver's, id = the
 *     flow's id within the run plus the run's number times 2^32.
 * Known limits of the format (docs: weft export --help): flows bind to
 * slices, not instants; ids are global to the trace, not per process. */
#include <stdio.h>
#include <string.h>

#include "traces/trc_internal.h"

#define bprintf trc__bprintf

static void ts(buf *b, const char *key, uint64_t ns) {
    bprintf(b, ",\"%s\":%llu.%03llu", key, (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

static const char *obj_name(const trc_run *run, uint32_t obj) {
    return obj && obj <= run->nobjects ? run->objects[obj - 1].name : "";
}

static int flush_buf(FILE *out, buf *b, diag *d) {
    if (b->n && fwrite(b->p, 1, b->n, out) != b->n) return diag_set(d, ERR_IO, "cannot write the JSON trace");
    b->n = 0;
    return 0;
}

static void counter(buf *b, uint32_t pid, const char *obj, const char *series, uint64_t t, int64_t v) {
    bprintf(b, ",\n{\"ph\":\"C\",\"pid\":%u,\"name\":", pid);
    char name[256];
    snprintf(name, sizeof name, "%s %s", obj, series);
    trc__json_str(b, name);
    ts(b, "ts", t);
    bprintf(b, ",\"args\":{\"%s\":%lld}}", series, (long long)v);
}

int trc_export_json(FILE *out, const trc_recording *rec, const trc_model *models, trc_progress_fn progress, void *ud,
                    diag *d) {
    buf b = { 0 };
    int rc = 0;
    bool first = true;
    size_t total = 0, done = 0;
    for (uint32_t r = 0; r < rec->nruns; r++) total += models[r].nflows + rec->runs[r].nevents;
    bprintf(&b, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"weft\",\"format\":\"weft-chrome-json 1\"},"
                "\"traceEvents\":[");
    for (uint32_t r = 0; r < rec->nruns && !rc; r++) {
        const trc_run *run = &rec->runs[r];
        const trc_model *m = &models[r];
        uint32_t pid = r + 1;
        char pname[512];
        int n = snprintf(pname, sizeof pname, "run %u: %s [%s]", r + 1, run->scenario ? run->scenario : "",
                         run->backend ? run->backend : "");
        for (uint32_t i = 0; i < run->nparams && n > 0 && (size_t)n < sizeof pname; i++)
            n += snprintf(pname + n, sizeof pname - (size_t)n, " %s=%lld", run->params[i].name, (long long)run->params[i].value);
        bprintf(&b, "%s\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"tid\":0,\"args\":{\"name\":", first ? "" : ",",
                pid);
        first = false;
        trc__json_str(&b, pname);
        bprintf(&b, "}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%u,\"tid\":0,\"args\":{\"sort_index\":%u}}",
                pid, r + 1);
        for (uint32_t u = 0; u < run->nunits; u++) {
            bprintf(&b, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":", pid, u + 1);
            trc__json_str(&b, run->units[u].name);
            bprintf(&b, "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%u,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                    pid, u + 1, u + 1);
        }
        /* states */
        for (uint32_t u = 0; u < run->nunits && !rc; u++) {
            const trc_unit_track *ut = &m->units[u];
            for (size_t i = 0; i < ut->nspans; i++) {
                const trc_span *sp = &ut->spans[i];
                if (sp->state == TRC_ST_DONE) continue;
                char name[256];
                if (sp->state == TRC_ST_BLOCKED && sp->obj)
                    snprintf(name, sizeof name, "%s on %s", trc_state_name(sp->state), obj_name(run, sp->obj));
                else snprintf(name, sizeof name, "%s", trc_state_name(sp->state));
                bprintf(&b, ",\n{\"ph\":\"X\",\"cat\":\"state\",\"pid\":%u,\"tid\":%u,\"name\":", pid, u + 1);
                trc__json_str(&b, name);
                ts(&b, "ts", sp->t0);
                ts(&b, "dur", sp->t1 - sp->t0);
                bprintf(&b, ",\"args\":{\"state\":\"%s\"", trc_state_key(sp->state));
                if (sp->state == TRC_ST_BLOCKED || sp->state == TRC_ST_IDLE) {
                    bprintf(&b, ",\"object\":");
                    trc__json_str(&b, obj_name(run, sp->obj));
                    bprintf(&b, ",\"op\":\"%s\",\"outcome\":\"%s\"", trc_op_name(sp->op), trc_outcome_name(sp->outcome));
                }
                bprintf(&b, "}}");
                if (b.n > (1u << 16) && (rc = flush_buf(out, &b, d))) break;
            }
        }
        /* marks and point events */
        for (size_t i = 0; i < m->nmarks && !rc; i++) {
            bprintf(&b, ",\n{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"mark\",\"pid\":%u,\"tid\":%u,\"name\":", pid, m->marks[i].unit + 1);
            trc__json_str(&b, m->marks[i].text);
            ts(&b, "ts", m->marks[i].t);
            bprintf(&b, "}");
        }
        for (size_t i = 0; i < m->ninstants && !rc; i++) {
            const trc_instant *in = &m->instants[i];
            bprintf(&b, ",\n{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"event\",\"pid\":%u,\"tid\":%u,\"name\":\"%s\"", pid,
                    in->unit + 1, trc_ev_name(in->kind));
            ts(&b, "ts", in->t);
            bprintf(&b, ",\"args\":{\"object\":");
            trc__json_str(&b, obj_name(run, in->obj));
            bprintf(&b, ",\"arg\":%llu,\"extra\":%u", (unsigned long long)in->arg, in->extra);
            if (in->text) {
                bprintf(&b, ",\"text\":");
                trc__json_str(&b, in->text);
            }
            bprintf(&b, "}}");
            if (b.n > (1u << 16) && (rc = flush_buf(out, &b, d))) break;
        }
        /* counters: queue depths and the objects' levels */
        for (uint32_t o = 0; o < run->nobjects && !rc; o++) {
            const trc_object_track *ot = &m->objects[o];
            const char *on = run->objects[o].name;
            for (size_t i = 0; i < ot->ndepth; i++) counter(&b, pid, on, "depth", ot->depth[i].t, ot->depth[i].v);
            const char *series = run->objects[o].kind == TRC_OBJ_SEMAPHORE ? "in_use"
                                 : run->objects[o].kind == TRC_OBJ_COUNTER ? "value"
                                 : run->objects[o].kind == TRC_OBJ_BARRIER ? "arrived"
                                 : run->objects[o].kind == TRC_OBJ_RWLOCK  ? "readers"
                                                                            : "level";
            for (size_t i = 0; i < ot->nlevel; i++) counter(&b, pid, on, series, ot->level[i].t, ot->level[i].v);
            if (b.n > (1u << 16)) rc = flush_buf(out, &b, d);
        }
        /* memory: each process of the run as a counter of its own (resident and virtual bytes per sample) */
        for (uint32_t k = 0; k < m->mem.nprocs && !rc; k++) {
            const trc_mem_proc *mp = &m->mem.procs[k];
            char name[128];
            snprintf(name, sizeof name, "memory: %s (pid %d)", mp->name, (int)mp->pid);
            for (size_t i = 0; i < mp->n; i++) {
                bprintf(&b, ",\n{\"ph\":\"C\",\"cat\":\"memory\",\"pid\":%u,\"name\":", pid);
                trc__json_str(&b, name);
                ts(&b, "ts", mp->resident[i].t);
                bprintf(&b, ",\"args\":{\"resident\":%lld,\"virtual\":%lld}}", (long long)mp->resident[i].v,
                        (long long)mp->virt[i].v);
                if (b.n > (1u << 16) && (rc = flush_buf(out, &b, d))) break;
            }
        }
        /* flows */
        for (size_t i = 0; i < m->nflows && !rc; i++) {
            const trc_flow *f = &m->flows[i];
            uint64_t id = ((uint64_t)pid << 32) + f->id;
            bprintf(&b, ",\n{\"ph\":\"s\",\"cat\":\"flow\",\"name\":\"%s\",\"id\":%llu,\"pid\":%u,\"tid\":%u",
                    trc_flow_kind_name(f->kind), (unsigned long long)id, pid, f->u0 + 1);
            ts(&b, "ts", f->t0);
            bprintf(&b, ",\"args\":{\"object\":");
            trc__json_str(&b, obj_name(run, f->obj));
            bprintf(&b, ",\"item\":%llu}},\n{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"flow\",\"name\":\"%s\",\"id\":%llu,"
                        "\"pid\":%u,\"tid\":%u",
                    (unsigned long long)f->item, trc_flow_kind_name(f->kind), (unsigned long long)id, pid, f->u1 + 1);
            ts(&b, "ts", f->t1);
            bprintf(&b, "}");
            if (b.n > (1u << 16) && (rc = flush_buf(out, &b, d))) break;
            if (progress && (++done & 0xffff) == 0) progress(ud, total ? (double)done / (double)total : 1);
        }
        done += run->nevents;
        if (progress && !rc) progress(ud, total ? (double)done / (double)total : 1);
    }
    if (!rc) {
        bprintf(&b, "\n]}\n");
        rc = flush_buf(out, &b, d);
    }
    buf_release(&b);
    return rc;
}
