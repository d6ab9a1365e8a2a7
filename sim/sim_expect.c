/* The expectations: `expect` clauses checked after a run (deadlock or not,
 * every unit done, final counter values, lost updates, makespan relations,
 * the order of completions), and after a sweep the relations that compare
 * its runs. They read what the run left (the end reason, counters, the
 * times of exits, task completions and marks), never the live objects.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

static bool compare(int op, int64_t a, int64_t b) {
    switch (op) {
    case '<': return a < b;
    case '>': return a > b;
    case 'l': return a <= b;
    case 'g': return a >= b;
    case '=': return a == b;
    default: return a != b;
    }
}

static const char *op_text(int op) {
    switch (op) {
    case '<': return "<";
    case '>': return ">";
    case 'l': return "<=";
    case 'g': return ">=";
    case '=': return "==";
    default: return "!=";
    }
}

static bool this_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    const sim_result *res = user;
    (void)value;
    if (param != UINT32_MAX) return false;
    *out = (int64_t)res->wall_ns;
    return true;
}

/* When an `expect order` item happened (mono ns), or 0 if it never did. */
static uint64_t order_time(const rt *r, const sim_order_item *it) {
    const sim_program *p = r->prog;
    if (it->kind == SIM_ORD_MARK) return atomic_load(&r->mark_t[it->id]);
    if (it->kind == SIM_ORD_TASK) return atomic_load(&r->task_done_t[it->id]);
    const sim_actor *a = &p->actors[it->id];
    uint64_t t = 0;
    for (int64_t k = 0; k < a->count_value; k++) {
        const rt_unit *u = &r->units[r->ubase + a->unit0 + k];
        uint64_t x = atomic_load(&u->t_exit);
        if (!x || atomic_load(&u->killed)) return 0;   /* never exited on its own */
        if (x > t) t = x;
    }
    return t;
}

static const char *order_name(const sim_program *p, const sim_order_item *it) {
    return it->kind == SIM_ORD_MARK ? p->strings[it->id] : it->kind == SIM_ORD_TASK ? p->tasks[it->id].name
                                                                                   : p->actors[it->id].name;
}

void expect_check(sim_result *res, const sim_program *prog, const rt *r, uint32_t end) {
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        char fail[512] = "";
        if (x->kind == SIM_X_NO_DEADLOCK && (end == TRC_END_DEADLOCK || end == TRC_END_STUCK))
            snprintf(fail, sizeof fail, "%s", end == TRC_END_DEADLOCK ? "expect no_deadlock: the run deadlocked"
                                                                      : "expect no_deadlock: units were stuck forever");
        else if (x->kind == SIM_X_ALL_DONE && end != TRC_END_OK)
            snprintf(fail, sizeof fail, "expect all_done: not every unit finished");
        else if (x->kind == SIM_X_DEADLOCK && end != TRC_END_DEADLOCK)
            snprintf(fail, sizeof fail, "expect deadlock: the run did not deadlock");
        else if (x->kind == SIM_X_STUCK && end != TRC_END_STUCK)
            snprintf(fail, sizeof fail, "expect stuck: no unit was stuck forever");
        else if (x->kind == SIM_X_COUNTER || x->kind == SIM_X_LOST_UPDATES) {
            const rt_obj *o = &r->objs[x->obj];
            int64_t got = x->kind == SIM_X_COUNTER ? atomic_load(&o->counter) : (int64_t)atomic_load(&o->lost);
            int64_t want = 0;
            sim_eval(x->value, prog, NULL, &want, NULL);
            if (!compare(x->op, got, want))
                snprintf(fail, sizeof fail, "expect %s %s %s %lld: it is %lld",
                         x->kind == SIM_X_COUNTER ? "counter" : "lost_updates", o->decl->name, op_text(x->op),
                         (long long)want, (long long)got);
        } else if (x->kind == SIM_X_RELATION && !x->across_runs) {
            sim_eval_ctx ctx = { .makespan = this_makespan, .user = res };
            int64_t v = 0;
            diag ed;
            if (sim_eval(x->value, prog, &ctx, &v, &ed)) snprintf(fail, sizeof fail, "expect: %.400s", ed.msg);
            else if (!v) {
                char ms[32];
                fmt_dur(ms, sizeof ms, res->wall_ns);
                snprintf(fail, sizeof fail, "expect at column %d does not hold: the makespan was %s", x->pos.col, ms);
            }
        } else if (x->kind == SIM_X_ORDER) {
            for (uint32_t k = 0; k + 1 < x->nitems && !fail[0]; k++) {
                const sim_order_item *a = &x->items[k], *b = &x->items[k + 1];
                uint64_t ta = order_time(r, a), tb = order_time(r, b);
                if (!ta || !tb)
                    snprintf(fail, sizeof fail, "expect order: '%s' never %s", order_name(prog, !ta ? a : b),
                             (!ta ? a : b)->kind == SIM_ORD_MARK ? "happened" : (!ta ? a : b)->kind == SIM_ORD_TASK
                             ? "completed" : "finished");
                else if (ta >= tb) {
                    char gap[32];
                    fmt_dur(gap, sizeof gap, ta - tb);
                    snprintf(fail, sizeof fail, "expect order: '%s' came %s after '%s'", order_name(prog, a), gap,
                             order_name(prog, b));
                }
            }
        }
        if (fail[0]) {
            res->expect_failed++;
            rt_rep(res->expect_report, sizeof res->expect_report, "%s:%d:%d: %s (run ended: %s)\n", prog->path,
                x->pos.line, x->pos.col, fail, trc_run_end_name(end));
        }
    }
}

/* ---- expectations across the runs of a sweep ---------------------------- */

typedef struct sweep_ctx { uint32_t param; const int64_t *values; const uint64_t *makespans; uint32_t n; } sweep_ctx;

static bool sweep_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    const sweep_ctx *c = user;
    if (param == UINT32_MAX || param != c->param) return false;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->values[i] == value) { *out = (int64_t)c->makespans[i]; return true; }
    return false;
}

uint32_t sim_check_sweep(const sim_program *prog, uint32_t param, const int64_t *values, const uint64_t *makespans,
                         uint32_t n, char *report, size_t cap) {
    sweep_ctx c = { param, values, makespans, n };
    uint32_t failed = 0;
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->kind != SIM_X_RELATION || !x->across_runs) continue;
        sim_eval_ctx ctx = { .makespan = sweep_makespan, .user = &c };
        int64_t v = 0;
        diag ed;
        char fail[512] = "";
        if (sim_eval(x->value, prog, &ctx, &v, &ed)) snprintf(fail, sizeof fail, "expect: %.400s", ed.msg);
        else if (!v) {
            size_t l = (size_t)snprintf(fail, sizeof fail, "expect does not hold: the makespans were");
            for (uint32_t k = 0; k < n && l < sizeof fail; k++) {
                char ms[32];
                fmt_dur(ms, sizeof ms, makespans[k]);
                l += (size_t)snprintf(fail + l, sizeof fail - l, "%s %s=%lld: %s", k ? "," : "", prog->params[param].name,
                                      (long long)values[k], ms);
            }
        }
        if (fail[0]) {
            failed++;
            rt_rep(report, cap, "%s:%d:%d: %s\n", prog->path, x->pos.line, x->pos.col, fail);
        }
    }
    return failed;
}
