/* The `record` declaration: how a scenario asks to be recorded.
 *
 *   record [complete|drop] [accept_losses] [ring=N] [max_events=N]
 *
 * complete (the default) makes a unit whose buffer is full wait for the
 * recorder; drop never waits and counts what it drops; accept_losses makes
 * lost events no failure of the run; ring= sizes each unit's buffer (rounded
 * up to a power of two); max_events= ends the run when the recording holds
 * that many events (0: no limit). The command line (--record, --accept-losses,
 * --ring, --max-events) overrides each of them. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>

int sim__parse_record(parser *ps, sim_pos at) {
    sim_record *rc = &ps->p->record;
    if (rc->said) {
        sim__perr(ps, at, ERR_SCENARIO, "a second 'record' line (the first is at line %d)", rc->pos.line);
        sim__hint(ps, "put every recording option on one line: record drop accept_losses");
        return ps->err;
    }
    rc->said = true;
    rc->pos = at;
    if (ps->t.kind != T_IDENT) {
        char b[64];
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected a recording option after 'record', found %s",
                  sim__tok_desc(&ps->t, b, sizeof b));
        sim__hint(ps, "record complete | drop, accept_losses, ring=EVENTS, max_events=N");
        return ps->err;
    }
    while (ps->t.kind == T_IDENT) {
        tok kt = ps->t;
        sim__next(ps);
        if (is_kw(&kt, "complete") || is_kw(&kt, "drop")) {
            rc->mode = is_kw(&kt, "drop") ? TRC_REC_DROP : TRC_REC_COMPLETE;
            rc->mode_said = true;
        } else if (is_kw(&kt, "accept_losses")) {
            rc->accept_losses = true;
        } else if (is_kw(&kt, "ring") || is_kw(&kt, "max_events")) {
            bool ring = is_kw(&kt, "ring");
            if (sim__expect_p(ps, '=', ring ? "after ring" : "after max_events")) return ps->err;
            sim_expr *e = sim__parse_expr(ps);
            int64_t v;
            if (!e || sim__require_type(ps, e, SIM_T_INT, ring ? "a ring size" : "an event limit")) return ps->err;
            if (!e->is_const) return sim__perr(ps, e->pos, ERR_SCENARIO, "a recording option must be a constant");
            if (sim__eval(ps, e, &v)) return ps->err;
            if (ring && (v < 64 || v > TRC_RING_MAX))
                return sim__perr(ps, e->pos, ERR_SCENARIO, "ring=%lld: a ring holds 64 to %u events", (long long)v,
                                 TRC_RING_MAX);
            if (!ring && v < 0)
                return sim__perr(ps, e->pos, ERR_SCENARIO, "max_events=%lld: give a number of events (0: no limit)",
                                 (long long)v);
            if (ring) rc->ring = v;
            else { rc->max_events = v; rc->max_events_said = true; }
        } else {
            static const char *const opts[] = { "complete", "drop", "accept_losses", "ring", "max_events" };
            char name[64];
            sim__tok_text(&kt, name, sizeof name);
            sim__perr(ps, kt.pos, ERR_SCENARIO, "unknown recording option '%s'", name);
            const char *c = sim__closest(name, opts, 5);
            if (c) sim__hint(ps, "did you mean '%s'?", c);
            else sim__hint(ps, "record takes complete or drop, accept_losses, ring=EVENTS, max_events=N");
            return ps->err;
        }
    }
    return 0;
}
