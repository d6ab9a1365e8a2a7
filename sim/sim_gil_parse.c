/* The GIL's declarations: `gil on|off|EXPR` and `switch_interval EXPR`.
 *
 * Both are parameters with reserved names, so that everything a param can do
 * they can do too: -D gil=off, --gil on,off (= --sweep gil=on,off), `sweep
 * switch_interval = 1ms, 5ms, 50ms`, makespan[gil=on], and the run's
 * recorded parameters name them. `on` and `off` are the numbers 1 and 0 in
 * any expression. A scenario that says nothing about the GIL has none (the
 * threads run in parallel, as in free-threaded Python); -D gil=on or --gil
 * gives it one even then.
 */
#include "sim/sim_parse_internal.h"

#include <stdio.h>

static bool is_gil_name(const char *s, size_t n) { return n == 3 && !memcmp(s, "gil", 3); }
static bool is_interval_name(const char *s, size_t n) { return n == 15 && !memcmp(s, "switch_interval", 15); }

bool sim__gil_reserved(const char *s, size_t n) { return is_gil_name(s, n) || is_interval_name(s, n); }

/* Appends the param (name, e) and records its role. */
static int add_param(parser *ps, const char *name, sim_pos pos, sim_expr *e) {
    sim_program *p = ps->p;
    if (p->nparams >= SIM_MAX_PARAMS) return sim__perr(ps, pos, ERR_LIMIT, "more than %d parameters", SIM_MAX_PARAMS);
    ARR_GROW(p->params, p->nparams + 1, ps->cap_params);
    sim_param *pa = &p->params[p->nparams];
    *pa = (sim_param){ .name = name, .pos = pos, .expr = e, .type = e->type };
    if (sim__eval(ps, e, &pa->value)) return ps->err;
    if (is_gil_name(name, strlen(name))) p->gil_param = p->nparams;
    else p->switch_param = p->nparams;
    p->nparams++;
    return sim__gil_check_value(ps, p->nparams - 1, pa->value, e->pos);
}

int sim__gil_check_value(parser *ps, uint32_t pi, int64_t v, sim_pos pos) {
    const sim_program *p = ps->p;
    if (pi == p->gil_param && v != 0 && v != 1) {
        sim__perr(ps, pos, ERR_SCENARIO, "gil is %lld: it must be on (1) or off (0)", (long long)v);
        sim__hint(ps, "gil on, gil off, or an expression that is 1 or 0");
        return ps->err;
    }
    if (pi == p->switch_param && (v < (int64_t)SIM_MIN_SWITCH_INTERVAL || v > (int64_t)SIM_MAX_SWITCH_INTERVAL)) {
        char d[32];
        fmt_dur(d, sizeof d, (uint64_t)(v < 0 ? -v : v));
        sim__perr(ps, pos, ERR_SCENARIO, "switch_interval is %s%s: it must be 1us .. 10s", v < 0 ? "-" : "", d);
        sim__hint(ps, "CPython's default is 5ms (sys.setswitchinterval(0.005))");
        return ps->err;
    }
    return 0;
}

int sim__parse_gil_decl(parser *ps, const tok *kw) {
    sim_program *p = ps->p;
    bool gil = is_kw(kw, "gil");
    uint32_t have = gil ? p->gil_param : p->switch_param;
    if (have != UINT32_MAX) {
        sim__perr(ps, kw->pos, ERR_SCENARIO, "the scenario says %s twice (line %d already does)", gil ? "gil" : "switch_interval",
                  p->params[have].pos.line);
        return ps->err;
    }
    if (sim__check_unique(ps, gil ? "gil" : "switch_interval", kw->pos)) return ps->err;
    sim_expr *e = sim__parse_expr(ps);
    if (!e) return ps->err;
    if (sim__require_type(ps, e, gil ? SIM_T_INT : SIM_T_DUR, gil ? "gil" : "switch_interval")) {
        sim__hint(ps, gil ? "gil on, or gil off" : "switch_interval 5ms");
        return ps->err;
    }
    if (!e->is_const) {
        sim__perr(ps, e->pos, ERR_SCENARIO, "%s must be a constant (no random values, counters or step results)",
                  gil ? "gil" : "switch_interval");
        return ps->err;
    }
    return add_param(ps, gil ? "gil" : "switch_interval", kw->pos, e);
}

/* -D gil=... or -D switch_interval=... on a scenario that does not declare it:
 * declared now with its default (off, 5ms), then overridden like any param. */
int sim__gil_define_default(parser *ps, const char *name) {
    size_t n = strlen(name);
    if (!sim__gil_reserved(name, n) || sim__find_param(ps->p, name, n) >= 0) return 0;
    bool gil = is_gil_name(name, n);
    sim_expr *e = sim__new_expr(ps, gil ? SIM_E_NUM : SIM_E_DUR, (sim_pos){ 0, 0 });
    e->type = gil ? SIM_T_INT : SIM_T_DUR;
    e->value = gil ? 0 : (int64_t)SIM_DEFAULT_SWITCH_INTERVAL;
    e->is_const = true;
    return add_param(ps, gil ? "gil" : "switch_interval", (sim_pos){ 0, 0 }, e);
}

bool sim_program_gil(const sim_program *p, uint64_t *interval) {
    if (interval)
        *interval = p->switch_param != UINT32_MAX ? (uint64_t)p->params[p->switch_param].value
                                                  : SIM_DEFAULT_SWITCH_INTERVAL;
    return p->gil_param != UINT32_MAX && p->params[p->gil_param].value != 0;
}
