/* The header's notes: why a run did not end well, named (the units and objects
 * of a deadlock's cycle, who is stuck on what), and what the recording lacks
 * (lost events, a file cut short). One source for the layout (how many lines)
 * and the drawing (what they say). */
#include "render/rdr_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The verdict of a run that did not end well, in capitals; NULL for ok (and a
 * run cut short, which has its own note). Any end reason the model gains later
 * (interrupted, ...) is named too. */
static const char *run_verdict_word(unsigned e, char *out, size_t cap) {
    switch (e) {
    case TRC_END_OK: case TRC_END_UNFINISHED: return NULL;
    case TRC_END_DEADLOCK: return "DEADLOCK";
    case TRC_END_STUCK: return "STUCK";
    case TRC_END_TIMEOUT: return "TIMED OUT";
    case TRC_END_ERROR: return "ERROR";
    default: {
        snprintf(out, cap, "%s", trc_run_end_name(e));
        for (char *p = out; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
        return out;
    }
    }
}

/* "lock 'b'", "queue 'jobs'", "the end of worker.1" */
static void what_waited(const trc_model *m, const trc_wait_edge *e, char *out, size_t cap) {
    const trc_run *run = m->run;
    if (e->op == TRC_OP_JOIN && !e->obj) {
        snprintf(out, cap, "to join %s", rdr_unit_name(run, (uint32_t)e->target));
        return;
    }
    const char *on = rdr_obj_name(run, e->obj);
    const char *kind = e->obj && e->obj <= run->nobjects ? trc_obj_kind_name(run->objects[e->obj - 1].kind) : "";
    switch (e->op) {
    case TRC_OP_LOCK: case TRC_OP_NONE: snprintf(out, cap, "for %s %s", kind, on); break;
    case TRC_OP_RESULT: snprintf(out, cap, "for the result of future #%llu of %s", (unsigned long long)e->target, on); break;
    default: snprintf(out, cap, "in %s %s %s", trc_op_name(e->op), kind, on); break;
    }
}

/* One wait, named: "alice.0 waits for lock b, held by bob.0". */
static void wait_line(const trc_model *m, const trc_wait_edge *e, char *out, size_t cap) {
    char w[160];
    what_waited(m, e, w, sizeof w);
    const char *who = rdr_unit_name(m->run, e->unit);
    if (e->holder == e->unit) snprintf(out, cap, "%s waits %s, which it holds itself", who, w);
    else if (e->holder != UINT32_MAX && e->op != TRC_OP_JOIN)
        snprintf(out, cap, "%s waits %s, held by %s", who, w, rdr_unit_name(m->run, e->holder));
    else snprintf(out, cap, "%s waits %s", who, w);
}

int rdr_notes(const rdr_view *v, rdr_note *out, int max) {
    int n = 0;
    for (uint32_t r = 0; r < v->nmodels && n < max; r++) {
        const trc_model *m = &v->models[r];
        const trc_run *run = m->run;
        const trc_waitfor *wf = &v->info[r].wf;
        char pre[32] = "";
        if (v->nmodels > 1) snprintf(pre, sizeof pre, "run %u: ", r + 1);
        char wbuf[32];
        const char *word = run_verdict_word(run->end_reason, wbuf, sizeof wbuf);
        if (word) {
            rdr_note *o = &out[n++];
            o->run = r;
            o->alert = true;
            char body[400] = "";
            size_t len = 0;
            if (run->end_reason == TRC_END_DEADLOCK && wf->ncycle) {
                /* the cycle, in its order: a waits for X held by b; b waits for Y held by a */
                for (size_t i = 0; i < wf->ncycle && len < sizeof body; i++) {
                    const trc_wait_edge *e = NULL;
                    for (size_t k = 0; k < wf->nwaits; k++) if (wf->waits[k].unit == wf->cycle[i]) e = &wf->waits[k];
                    if (!e) continue;
                    char line[240];
                    wait_line(m, e, line, sizeof line);
                    len += (size_t)snprintf(body + len, sizeof body - len, "%s%s", i ? "; " : "", line);
                }
            } else if (wf->nwaits) {
                /* who is stuck on what, grouped: "consumer.0, consumer.2 wait in get queue jobs" */
                bool *done = xcalloc(wf->nwaits, 1);
                for (size_t i = 0; i < wf->nwaits && len < sizeof body; i++) {
                    if (done[i]) continue;
                    const trc_wait_edge *e = &wf->waits[i];
                    char names[200];
                    size_t nl = (size_t)snprintf(names, sizeof names, "%s", rdr_unit_name(run, e->unit));
                    int same = 1;
                    for (size_t k = i + 1; k < wf->nwaits; k++) {
                        const trc_wait_edge *f = &wf->waits[k];
                        if (done[k] || f->obj != e->obj || f->op != e->op || f->target != e->target || f->holder != e->holder)
                            continue;
                        done[k] = true;
                        same++;
                        if (nl < sizeof names) nl += (size_t)snprintf(names + nl, sizeof names - nl, ", %s", rdr_unit_name(run, f->unit));
                    }
                    char w[160];
                    what_waited(m, e, w, sizeof w);
                    char held[96] = "";
                    if (e->holder != UINT32_MAX && e->op != TRC_OP_JOIN)
                        snprintf(held, sizeof held, ", held by %s", rdr_unit_name(run, e->holder));
                    len += (size_t)snprintf(body + len, sizeof body - len, "%s%s wait%s %s%s", len ? "; " : "", names,
                                            same > 1 ? "" : "s", w, held);
                }
                free(done);
            }
            if (!len) {   /* nothing named in the model: the runtime's first line */
                const char *rep = run->report && run->report[0] ? run->report : "";
                const char *colon = strchr(rep, ':');
                size_t rl = strcspn(rep, "\n");
                if (colon && (size_t)(colon - rep) < rl && colon - rep < 12) { rl -= (size_t)(colon + 1 - rep); rep = colon + 1; }
                while (rl && *rep == ' ') { rep++; rl--; }
                snprintf(body, sizeof body, "%.*s", (int)rl, rl ? rep : "no report");
            }
            snprintf(o->text, sizeof o->text, "%s%s: %s", pre, word, body);
        }
        if (run->lost && n < max) {
            rdr_note *o = &out[n++];
            o->run = r;
            o->alert = false;
            snprintf(o->text, sizeof o->text, "%s%llu events were lost while recording: what happened then is unknown",
                     pre, (unsigned long long)run->lost);
        }
    }
    /* the failed expectations comparing runs, as `weft run` said them, from the line on
     * ("path:5:1: expect ..." -> "EXPECTATION FAILED (line 5): expect ...") */
    for (const char *s = v->relations; s && *s && n < max;) {
        size_t len = strcspn(s, "\n");
        const char *body = s, *e = s + len;
        unsigned line = 0;
        for (const char *p = s; p < e; p++) {   /* the first ":LINE:COL: " */
            if (*p != ':' || p + 1 >= e || p[1] < '0' || p[1] > '9') continue;
            char *q;
            unsigned long ln = strtoul(p + 1, &q, 10);
            if (q >= e || *q != ':' || q + 1 >= e || q[1] < '0' || q[1] > '9') continue;
            strtoul(q + 1, &q, 10);
            if (q + 1 >= e || q[0] != ':' || q[1] != ' ') continue;
            line = (unsigned)ln;
            body = q + 2;
            break;
        }
        rdr_note *o = &out[n++];
        o->run = 0;
        o->alert = true;
        char where[32] = "";
        if (line) snprintf(where, sizeof where, " (line %u)", line);
        snprintf(o->text, sizeof o->text, "EXPECTATION FAILED%s: %.*s", where, (int)(e - body), body);
        s = *e ? e + 1 : e;
    }
    if (v->rec && v->rec->truncated && n < max) {
        rdr_note *o = &out[n++];
        o->run = 0;
        o->alert = false;
        snprintf(o->text, sizeof o->text, "the recording was cut short at byte %llu (%s): shown up to there",
                 (unsigned long long)v->rec->truncated_at, v->rec->truncated_why);
    }
    return n;
}
