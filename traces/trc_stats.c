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

static uint32_t handoffs(const trc_model *m, uint32_t obj) {
    uint32_t n = 0;
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].obj == obj && m->flows[i].kind == TRC_FLOW_HANDOFF) n++;
    return n;
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
    size_t w = 4;
    for (uint32_t u = 0; u < run->nunits; u++) if (strlen(run->units[u].name) > w) w = strlen(run->units[u].name);
    bprintf(out, "\n%-*s  %10s %10s %10s %10s %6s  %s\n", (int)w, "unit", "running", "computing", "blocked", "sleeping",
            "waits", "end");
    uint64_t tot[TRC_ST__COUNT] = { 0 };
    uint32_t totw = 0;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        for (int s = 0; s < TRC_ST__COUNT; s++) tot[s] += ut->t_state[s];
        totw += ut->waits;
        const char *end = ut->exited ? (ut->aborted ? "aborted" : "done") : "never exited";
        char endbuf[64];
        if (ut->exited && !ut->aborted) { snprintf(endbuf, sizeof endbuf, "done at %s", dur(e, ut->t_exit)); end = endbuf; }
        bprintf(out, "%-*s  %10s %10s %10s %10s %6u  %s\n", (int)w, run->units[u].name, dur(a, ut->t_state[TRC_ST_RUNNING]),
                dur(b, ut->t_state[TRC_ST_COMPUTE]), dur(c, ut->t_state[TRC_ST_BLOCKED]), dur(d2, ut->t_state[TRC_ST_SLEEP]),
                ut->waits, end);
    }
    if (run->nunits > 1)
        bprintf(out, "%-*s  %10s %10s %10s %10s %6u\n", (int)w, "total", dur(a, tot[TRC_ST_RUNNING]), dur(b, tot[TRC_ST_COMPUTE]),
                dur(c, tot[TRC_ST_BLOCKED]), dur(d2, tot[TRC_ST_SLEEP]), totw);
    if (run->nobjects) {
        bprintf(out, "\n%-*s  %-6s %s\n", (int)w, "object", "kind", "figures");
        for (uint32_t o = 0; o < run->nobjects; o++) {
            const trc_object *ob = &run->objects[o];
            const trc_object_track *ot = &m->objects[o];
            if (ob->kind == TRC_OBJ_QUEUE)
                bprintf(out, "%-*s  %-6s puts %u, gets %u, max depth %lld of %lld, %u blocked waits\n", (int)w, ob->name,
                        "queue", ot->puts, ot->gets, (long long)ot->max_depth, (long long)ob->capacity, ot->waits);
            else
                bprintf(out, "%-*s  %-6s held %s (%.0f%% of the run), %zu acquisitions, %u contended, %u hand-offs\n",
                        (int)w, ob->name, trc_obj_kind_name(ob->kind), dur(a, ot->t_held),
                        m->makespan ? 100.0 * (double)ot->t_held / (double)m->makespan : 0.0, ot->nowners, ot->waits,
                        handoffs(m, ob->id));
        }
    }
    if (run->lost) bprintf(out, "\nWARNING: %llu events were lost (recorder buffers overflowed)\n", (unsigned long long)run->lost);
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

void trc_stats_json(buf *out, const trc_model *models, uint32_t nruns) {
    bprintf(out, "{\"runs\":[");
    for (uint32_t r = 0; r < nruns; r++) {
        const trc_model *m = &models[r];
        const trc_run *run = m->run;
        bprintf(out, "%s{\"scenario\":", r ? "," : "");
        json_str(out, run->scenario);
        bprintf(out, ",\"backend\":");
        json_str(out, run->backend);
        bprintf(out, ",\"end\":\"%s\",\"makespan_ns\":%llu,\"lost\":%llu,\"params\":{", trc_run_end_name(run->end_reason),
                (unsigned long long)m->makespan, (unsigned long long)run->lost);
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
            bprintf(out, ",\"waits\":%u,\"exited\":%s,\"aborted\":%s,\"states_ns\":{", ut->waits, ut->exited ? "true" : "false",
                    ut->aborted ? "true" : "false");
            for (int s = 0; s < TRC_ST__COUNT; s++)
                bprintf(out, "%s\"%s\":%llu", s ? "," : "", trc_state_name((unsigned)s), (unsigned long long)ut->t_state[s]);
            bprintf(out, "}}");
        }
        bprintf(out, "],\"objects\":[");
        for (uint32_t o = 0; o < run->nobjects; o++) {
            const trc_object_track *ot = &m->objects[o];
            bprintf(out, "%s{\"name\":", o ? "," : "");
            json_str(out, run->objects[o].name);
            bprintf(out, ",\"kind\":\"%s\",\"waits\":%u,\"puts\":%u,\"gets\":%u,\"max_depth\":%lld,\"held_ns\":%llu,"
                         "\"acquisitions\":%zu}",
                    trc_obj_kind_name(run->objects[o].kind), ot->waits, ot->puts, ot->gets, (long long)ot->max_depth,
                    (unsigned long long)ot->t_held, ot->nowners);
        }
        bprintf(out, "]}");
    }
    bprintf(out, "]}\n");
}
