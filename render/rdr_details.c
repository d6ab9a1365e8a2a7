/* The details panel: what was clicked, at the time clicked. It starts from the
 * hover's description, then adds what a tooltip has no room for: who released a
 * wait (the flow that ended it), who else waited on an object then, what a
 * stuck unit was stuck on at the end, and the scenario's lines for the step,
 * found in the unit's actor block. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ the scenario's lines

static bool rdr_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

/* Whether [s, e) has word w as a whole token (not inside a comment). */
static bool rdr_has_word(const char *s, const char *e, const char *w) {
    size_t n = strlen(w);
    if (!n) return false;
    const char *hash = memchr(s, '#', (size_t)(e - s));
    if (hash) e = hash;
    for (const char *p = s; p + n <= e; p++) {
        if (memcmp(p, w, n)) continue;
        if (p > s && rdr_ident_char(p[-1])) continue;
        if (p + n < e && rdr_ident_char(p[n])) continue;
        return true;
    }
    return false;
}

/* Lines of the actor `group`'s block ([a, b) as line numbers from 1), or the
 * whole text when the actor is not found. */
static void rdr_actor_block(const char *src, const char *group, int *a, int *b) {
    *a = 1;
    *b = 1 << 30;
    if (!group || !*group) return;
    int line = 1, depth = 0, start = 0;
    for (const char *s = src; *s;) {
        const char *e = strchr(s, '\n');
        if (!e) e = s + strlen(s);
        const char *p = s;
        while (p < e && (*p == ' ' || *p == '\t')) p++;
        if (!start && (size_t)(e - p) > 6 && !memcmp(p, "actor", 5) && (p[5] == ' ' || p[5] == '\t')) {
            const char *q = p + 5;
            while (q < e && (*q == ' ' || *q == '\t')) q++;
            size_t gl = strlen(group);
            if ((size_t)(e - q) >= gl && !memcmp(q, group, gl) && (q + gl == e || !rdr_ident_char(q[gl]))) start = line;
        }
        if (start) {
            for (const char *c = s; c < e && *c != '#'; c++) depth += *c == '{' ? 1 : *c == '}' ? -1 : 0;
            if (depth <= 0 && line > start) { *a = start; *b = line + 1; return; }
            if (depth <= 0 && line == start && memchr(s, '{', (size_t)(e - s))) { *a = start; *b = line + 1; return; }
        }
        line++;
        s = *e ? e + 1 : e;
    }
    if (start) { *a = start; *b = line; }
}

/* Adds up to `max` lines of the scenario (in the actor's block) that have one of
 * `keys` and, if given, the word `obj`. */
static void rdr_source_lines(rdr_tip *tip, const trc_run *run, const char *group, const char *const *keys, const char *obj,
                             int max) {
    if (!run->source_text) return;
    int a, b;
    rdr_actor_block(run->source_text, group, &a, &b);
    int line = 1, found = 0, more = 0;
    for (const char *s = run->source_text; *s && line < b;) {
        const char *e = strchr(s, '\n');
        if (!e) e = s + strlen(s);
        if (line >= a) {
            bool key = false;
            for (size_t k = 0; keys[k] && !key; k++) key = rdr_has_word(s, e, keys[k]);
            if (key && (!obj || rdr_has_word(s, e, obj))) {
                if (found < max) {
                    const char *p = s;
                    while (p < e && (*p == ' ' || *p == '\t')) p++;
                    int len = (int)(e - p);
                    if (len > 120) len = 120;
                    rdr_tip_add(tip, "  line %d:  %.*s", line, len, p);
                    found++;
                } else {
                    more++;
                }
            }
        }
        line++;
        s = *e ? e + 1 : e;
    }
    if (more) rdr_tip_add(tip, "  (and %d more line%s)", more, more > 1 ? "s" : "");
}

static const char *const *rdr_op_keys(unsigned op) {
    static const char *const lock[] = { "lock", "locked", NULL };
    static const char *const put[] = { "put", NULL };
    static const char *const get[] = { "get", NULL };
    static const char *const acq[] = { "acquire", NULL };
    static const char *const wait[] = { "wait", "wait_for", NULL };
    static const char *const join[] = { "join", NULL };
    static const char *const res[] = { "result", "map", "as_completed", "shutdown", NULL };
    static const char *const rdl[] = { "read", "read_lock", NULL };
    static const char *const wr[] = { "write", "write_lock", NULL };
    switch (op) {
    case TRC_OP_LOCK: return lock;
    case TRC_OP_PUT: return put;
    case TRC_OP_GET: return get;
    case TRC_OP_ACQUIRE_PERMIT: return acq;
    case TRC_OP_COND_WAIT: case TRC_OP_EVENT_WAIT: case TRC_OP_BARRIER: return wait;
    case TRC_OP_JOIN: case TRC_OP_QUEUE_JOIN: return join;
    case TRC_OP_RESULT: return res;
    case TRC_OP_READ_LOCK: return rdl;
    case TRC_OP_WRITE_LOCK: return wr;
    default: return NULL;
    }
}

//~ who released a wait

/* The flow that ended unit u's wait at t (it ends at u at t), described. */
static bool rdr_released_by(rdr_ctx *cx, uint32_t run, uint32_t u, uint64_t t, char *out, size_t cap) {
    const trc_model *m = &cx->v->models[run];
    const trc_run *r = m->run;
    double lo = (double)t - (double)cx->v->flow_maxdur[run];
    size_t a = 0, b = m->nflows;
    while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->flows[mid].t0 < lo) a = mid + 1; else b = mid; }
    for (size_t i = a, n = 0; i < m->nflows && m->flows[i].t0 <= t && n < 100000; i++, n++) {
        const trc_flow *f = &m->flows[i];
        if (f->u1 != u || f->t1 != t || f->u0 == u) continue;
        char at[32];
        rdr_fmt_dur(at, sizeof at, (double)f->t0);
        const char *who = rdr_unit_name(r, f->u0), *on = rdr_obj_name(r, f->obj);
        switch (f->kind) {
        case TRC_FLOW_ITEM: snprintf(out, cap, "got item %llu, put into %s by %s at %s", (unsigned long long)f->item, on, who, at); break;
        case TRC_FLOW_HANDOFF: snprintf(out, cap, "%s released %s at %s and it passed to this unit", who, on, at); break;
        case TRC_FLOW_NOTIFY: snprintf(out, cap, "woken by %s's notify on %s at %s", who, on, at); break;
        case TRC_FLOW_SET: snprintf(out, cap, "released by %s's set of %s at %s", who, on, at); break;
        case TRC_FLOW_BARRIER: snprintf(out, cap, "released when %s opened barrier %s at %s", who, on, at); break;
        case TRC_FLOW_JOIN: snprintf(out, cap, "%s exited at %s", who, at); break;
        case TRC_FLOW_RESULT: snprintf(out, cap, "future #%llu finished on %s at %s", (unsigned long long)f->item, who, at); break;
        default: snprintf(out, cap, "%s: from %s at %s", trc_flow_kind_name(f->kind), who, at); break;
        }
        return true;
    }
    return false;
}

//~ the panel

static void rdr_details_unit(rdr_ctx *cx, const rdr_sel *s, rdr_tip *tip) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[s->run];
    const trc_run *run = m->run;
    const trc_unit *un = &run->units[s->id];
    uint64_t t = (uint64_t)fmax(s->t, 0);
    const trc_span *sp = trc_model_span_at(m, s->id, t);
    char line[192];
    if (sp && sp->state == TRC_ST_BLOCKED) {
        /* stuck here at the end? */
        const trc_waitfor *wf = &v->info[s->run].wf;
        for (size_t i = 0; i < wf->nwaits; i++) {
            const trc_wait_edge *e = &wf->waits[i];
            if (e->unit != s->id || e->since != sp->t0) continue;
            if (e->holder != UINT32_MAX && e->holder != e->unit)
                rdr_tip_add(tip, "still waiting when the run ended: %s held it%s", rdr_unit_name(run, e->holder),
                            e->in_cycle ? ", in a cycle of waits (a deadlock)" : "");
            else if (e->holder == e->unit) rdr_tip_add(tip, "still waiting when the run ended: it holds it itself");
            else rdr_tip_add(tip, "still waiting when the run ended: nothing could release it");
        }
        if (sp->outcome == TRC_OUT_OK && rdr_released_by(cx, s->run, s->id, sp->t1, line, sizeof line))
            rdr_tip_add(tip, "%s", line);
        const char *const *keys = rdr_op_keys(sp->op);
        if (keys) {
            const char *obj = sp->obj ? rdr_obj_name(run, sp->obj)
                              : sp->op == TRC_OP_JOIN && sp->target < run->nunits ? run->units[sp->target].group : NULL;
            rdr_tip_add(tip, "in the scenario (actor %s):", un->group ? un->group : "?");
            rdr_source_lines(tip, run, un->group, keys, obj, 3);
        }
    } else if (sp && (sp->state == TRC_ST_COMPUTE || sp->state == TRC_ST_SLEEP)) {
        static const char *const comp[] = { "compute", NULL };
        static const char *const slp[] = { "sleep", "io", NULL };
        rdr_tip_add(tip, "in the scenario (actor %s):", un->group ? un->group : "?");
        rdr_source_lines(tip, run, un->group, sp->state == TRC_ST_COMPUTE ? comp : slp, NULL, 3);
    }
}

/* An object track: who else waited on it at that time. */
static void rdr_details_obj(rdr_ctx *cx, const rdr_sel *s, rdr_tip *tip) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[s->run];
    const trc_run *run = m->run;
    uint64_t t = (uint64_t)fmax(s->t, 0);
    char names[160];
    size_t n = 0;
    uint32_t waiting = 0;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_span *sp = trc_model_span_at(m, u, t);
        if (!sp || sp->state != TRC_ST_BLOCKED || sp->obj != s->id) continue;
        waiting++;
        if (n < sizeof names) n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", rdr_unit_name(run, u));
    }
    if (waiting) rdr_tip_add(tip, "waiting on it then: %s", names);
    const struct rdr_expect *x = v->expect[s->run];
    if (x && x->obj[s->id - 1].has)
        rdr_tip_add(tip, "the scenario expects %s %s %lld", rdr_obj_name(run, s->id), x->obj[s->id - 1].op,
                    (long long)x->obj[s->id - 1].value);
    static const char *const any[] = { "lock", "locked", "unlock", "put", "get", "acquire", "release", "wait", "wait_for",
                                       "notify", "notify_all", "set", "clear", "incr", "decr", "read", "write",
                                       "read_lock", "write_lock", "submit", "map", "shutdown", "join", "task_done", NULL };
    rdr_tip_add(tip, "in the scenario:");
    rdr_source_lines(tip, run, NULL, any, rdr_obj_name(run, s->id), 3);
}

void rdr_details(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (!L->details_h || !v->sel.kind || v->sel.run >= v->nmodels) return;
    int y = L->details_y, h = L->details_h, w = L->timeline_w;
    rdr_clip(cx, 0, y, w, h);
    rdr_dl_rect(cx->dl, 0, y, w, h, cx->th->panel);
    rdr_dl_rect(cx->dl, 0, y, w, 1, cx->th->grid);
    /* find the row for the description */
    const rdr_row *row = NULL;
    for (uint32_t i = 0; i < L->nrows && !row; i++) {
        const rdr_row *r = &L->rows[i];
        if (r->kind == v->sel.kind && r->run == v->sel.run && r->id == v->sel.id && r->lane == v->sel.lane) row = r;
    }
    rdr_tip tip = { .n = 0 };
    rdr_at_run(cx, v->sel.run);   /* the selection's time is the run's own */
    cx->reveal = fmax(cx->reveal, v->sel.t);
    if (row) rdr_describe(cx, row, v->sel.t, true, &tip);
    if (v->sel.kind == RDR_ROW_UNIT) rdr_details_unit(cx, &v->sel, &tip);
    else if (v->sel.kind == RDR_ROW_OWNER || v->sel.kind == RDR_ROW_LEVEL) rdr_details_obj(cx, &v->sel, &tip);
    rdr_at_axis(cx);
    /* two columns when it does not fit in one */
    int lines = (h - 10) / cx->line_h;
    if (lines < 1) lines = 1;
    int cols = tip.n > lines ? 2 : 1, colw = (w - 24) / cols;
    char at[32];
    rdr_fmt_dur(at, sizeof at, v->sel.t);
    for (int i = 0; i < tip.n; i++) {
        int c = i / lines, r = i % lines;
        if (c >= cols) break;
        int x = 12 + c * colw, ly = y + 6 + r * cx->line_h;
        if (i == 0) {
            int tw = rdr_text_fit(cx, x, ly, RDR_FONT_BOLD, cx->th->text, tip.line[0], colw - 150);
            char s[64];
            snprintf(s, sizeof s, "  \xc2\xb7  at %s  (Esc closes)", at);
            rdr_text(cx, x + tw, ly, RDR_FONT_REGULAR, cx->th->text_dim, s);
        } else {
            bool src = !strncmp(tip.line[i], "  line ", 7);
            rdr_text_fit(cx, x, ly, RDR_FONT_REGULAR, src ? cx->th->mark : cx->th->text, tip.line[i], colw - 8);
        }
    }
    rdr_clip(cx, 0, 0, 0, 0);
}
