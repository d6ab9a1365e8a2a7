/* The text dump (weft export --format text): stable and diffable.
 *
 * What it holds: per run a header (scenario, backend, seed, parameters, how it
 * ended; never the machine, the source path or a wall-clock time), its units
 * and objects, then its events with their fields by name. Times are ns from
 * the run's start. With `scrub` there are no times and no values that depend
 * on timing (item ids, depths, CPU burnt, woken counts): each unit's events
 * are listed in its own order, kind, object, op and outcome only, which is
 * what stays the same across real runs of a deterministic scenario; the
 * kernel's scheduling facts (cpu, sched_switch, sched_counts) and the memory
 * samples are left out, as they are the machine's, not the scenario's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trc_internal.h"

#define bprintf trc__bprintf

static const char *obj_name(const trc_run *run, uint32_t obj) {
    return obj && obj <= run->nobjects ? run->objects[obj - 1].name : "?";
}

static const char *str_at(const trc_run *run, uint64_t i) { return i < run->nstrings ? run->strings[i] : "?"; }

/* The event's fields after its kind. */
static void ev_fields(buf *b, const trc_run *run, const trc_event *e, bool scrub) {
    if (e->obj) {
        bprintf(b, " obj=");
        trc__json_str(b, obj_name(run, e->obj));
    }
    switch (e->kind) {
    case TRC_EV_WAIT_BEGIN:
        bprintf(b, " op=%s", trc_op_name(e->aux));
        if (!scrub && e->arg) bprintf(b, " target=%llu", (unsigned long long)e->arg);
        return;
    case TRC_EV_WAIT_END:
        bprintf(b, " outcome=%s", trc_outcome_name(e->aux));
        if (!scrub && e->extra) bprintf(b, " by=%u", e->extra);
        return;
    case TRC_EV_TASK_DONE:
    case TRC_EV_RESULT:
        bprintf(b, " outcome=%s", trc_outcome_name(e->aux));
        if (!scrub) bprintf(b, " future=%llu", (unsigned long long)e->arg);
        return;
    case TRC_EV_UNIT_EXIT:
        bprintf(b, " reason=%s", e->aux == TRC_EXIT_DONE ? "done" : e->aux == TRC_EXIT_ABORTED ? "aborted" : "killed");
        return;
    case TRC_EV_MARK:
    case TRC_EV_ERROR:
    case TRC_EV_LOCAL_SET:
        bprintf(b, " text=");
        trc__json_str(b, str_at(run, e->arg));
        return;
    case TRC_EV_SPAWN:
    case TRC_EV_JOINED:
        bprintf(b, " unit=");
        trc__json_str(b, e->arg < run->nunits ? run->units[e->arg].name : "?");
        return;
    case TRC_EV_COUNTER_WRITE:
        bprintf(b, " mode=%s", trc_counter_mode_name(e->aux));
        break;
    default: break;
    }
    if (scrub) return;
    if (e->kind != TRC_EV_COUNTER_WRITE && e->aux) bprintf(b, " aux=%u", e->aux);
    if (e->kind == TRC_EV_COUNTER_READ || e->kind == TRC_EV_COUNTER_WRITE || e->kind == TRC_EV_ITEM_VALUE)
        bprintf(b, " arg=%lld", (long long)(int64_t)e->arg);
    else if (e->arg)
        bprintf(b, " arg=%llu", (unsigned long long)e->arg);
    if (e->kind == TRC_EV_COUNTER_WRITE) bprintf(b, " extra=%d", (int32_t)e->extra);
    else if (e->extra) bprintf(b, " extra=%u", e->extra);
}

static int flush_buf(FILE *out, buf *b, diag *d) {
    if (b->n && fwrite(b->p, 1, b->n, out) != b->n) return diag_set(d, ERR_IO, "cannot write the text dump");
    b->n = 0;
    return 0;
}

int trc_export_text(FILE *out, const trc_recording *rec, const trc_model *models, bool scrub, trc_progress_fn progress,
                    void *ud, diag *d) {
    buf b = { 0 };
    int rc = 0;
    size_t total = 0, done = 0;
    for (uint32_t r = 0; r < rec->nruns; r++) total += rec->runs[r].nevents;
    bprintf(&b, "# weft text dump, version 1%s\n", scrub ? ", scrubbed (no times)" : "");
    for (uint32_t r = 0; r < rec->nruns && !rc; r++) {
        const trc_run *run = &rec->runs[r];
        const trc_model *m = &models[r];
        bprintf(&b, "\nrun %u\nscenario ", r + 1);
        trc__json_str(&b, run->scenario);
        bprintf(&b, "\nbackend ");
        trc__json_str(&b, run->backend);
        bprintf(&b, "\nseed %llu\nparams", (unsigned long long)run->seed);
        for (uint32_t i = 0; i < run->nparams; i++)
            bprintf(&b, " %s=%lld%s", run->params[i].name, (long long)run->params[i].value, run->params[i].is_duration ? "ns" : "");
        bprintf(&b, "\nend %s\n", trc_run_end_name(run->end_reason));
        if (!scrub) bprintf(&b, "makespan %llu\n", (unsigned long long)m->makespan);
        if (run->lost) bprintf(&b, "lost %llu\n", (unsigned long long)run->lost);
        bprintf(&b, "units %u\n", run->nunits);
        for (uint32_t u = 0; u < run->nunits; u++) {
            const trc_unit *un = &run->units[u];
            const trc_unit_track *ut = &m->units[u];
            bprintf(&b, "  unit %u %s ", u, trc_unit_kind_name(un->kind));
            trc__json_str(&b, un->name);
            bprintf(&b, " group ");
            trc__json_str(&b, un->group);
            if (un->parent < run->nunits) {
                bprintf(&b, " parent ");
                trc__json_str(&b, run->units[un->parent].name);
            }
            bprintf(&b, " %s\n", ut->killed ? "killed" : !ut->exited ? "never-exited" : ut->aborted ? "aborted" : "done");
        }
        bprintf(&b, "objects %u\n", run->nobjects);
        for (uint32_t o = 0; o < run->nobjects; o++) {
            const trc_object *ob = &run->objects[o];
            bprintf(&b, "  object %u %s ", ob->id, trc_obj_kind_name(ob->kind));
            trc__json_str(&b, ob->name);
            if (ob->capacity) bprintf(&b, " capacity %lld", (long long)ob->capacity);
            if (ob->kind == TRC_OBJ_QUEUE) bprintf(&b, " %s", trc_queue_kind_name(ob->subkind));
            if (ob->related) bprintf(&b, " related %u", ob->related);
            bprintf(&b, "\n");
        }
        if (!scrub) bprintf(&b, "events %zu\n", run->nevents);
        /* scrubbed: unit by unit (each unit's own order does not depend on the
         * interleaving): each unit's lines gathered apart, then written in unit order */
        buf *per = scrub ? xcalloc(run->nunits ? run->nunits : 1, sizeof *per) : NULL;
        trc_evcur *cur;
        rc = trc_evcur_open(&cur, run, d);
        const trc_event *ev;
        size_t n;
        while (!rc && (n = trc_evcur_next(cur, &ev)) > 0) {
            for (size_t i = 0; i < n && !rc; i++) {
                const trc_event *e = &ev[i];
                if (scrub) {
                    if (e->unit >= run->nunits || trc_ev_is_machine(e->kind))
                        continue;
                    buf *ub = &per[e->unit];
                    bprintf(ub, "    %s", trc_ev_name(e->kind));
                    ev_fields(ub, run, e, true);
                    bprintf(ub, "\n");
                    continue;
                }
                bprintf(&b, "  %llu ", (unsigned long long)(e->t >= run->t_start ? e->t - run->t_start : 0));
                trc__json_str(&b, e->unit < run->nunits ? run->units[e->unit].name : "?");
                bprintf(&b, " %s", trc_ev_name(e->kind));
                ev_fields(&b, run, e, false);
                bprintf(&b, "\n");
                if (b.n > (1u << 16)) rc = flush_buf(out, &b, d);
                if (progress && (++done & 0xffff) == 0) progress(ud, total ? (double)done / (double)total : 1);
            }
        }
        if (cur) trc_evcur_close(cur);
        for (uint32_t u = 0; scrub && u < run->nunits; u++) {
            if (!rc) {
                bprintf(&b, "  unit ");
                trc__json_str(&b, run->units[u].name);
                bprintf(&b, "\n");
                buf_put(&b, per[u].p, per[u].n);
                if (b.n > (1u << 16)) rc = flush_buf(out, &b, d);
            }
            buf_release(&per[u]);
        }
        free(per);
        if (run->report && run->report[0] && !scrub) {
            bprintf(&b, "report ");
            trc__json_str(&b, run->report);
            bprintf(&b, "\n");
        }
    }
    if (!rc) rc = flush_buf(out, &b, d);
    if (!rc && progress) progress(ud, 1);
    buf_release(&b);
    return rc;
}
