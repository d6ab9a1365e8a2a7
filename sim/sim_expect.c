/* The expectations: `expect` clauses checked after a run (deadlock or not,
 * every unit done, final counter values, lost updates, makespan relations,
 * the order of completions), and after a sweep the relations that compare
 * its runs. They read what the run left (the end reason, counters, the
 * times of exits, task completions and marks), never the live objects.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

/* A comparison of torn_reads and exitcode (CMP VALUE after their subject). */
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

/* What an expectation reads: the run as it ended. */
typedef struct ended { const sim_result *res; const rt *r; } ended;

static bool this_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    const ended *x = user;
    (void)value;
    if (param != UINT32_MAX) return false;
    *out = (int64_t)x->res->wall_ns;
    return true;
}

/* A counter's final value; a var's as the main program sees it: its own copy (on processes a
 * child's assignments are not in it), or the managed value its manager left. */
static int64_t final_counter(void *user, uint32_t obj) {
    const ended *x = user;
    const rt_obj *o = &x->r->objs[obj];
    if (o->decl->kind == SIM_OBJ_VAR)
        return o->decl->manager ? (atomic_load(&o->final_set) ? o->final : o->decl->cap_value) : atomic_load(o->var);
    return atomic_load(&o->counter);
}

static int64_t final_lost(void *user, uint32_t obj) {
    const ended *x = user;
    return (int64_t)atomic_load(&x->r->objs[obj].lost);
}

static int64_t final_size(void *user, uint32_t obj) {
    const ended *x = user;
    return atomic_load(&x->r->objs[obj].queue.size);
}

static int64_t this_never_awaited(void *user) {
    const ended *x = user;
    return async_never_awaited(x->r);
}

static bool reads_makespan(const sim_expr *e) {
    if (!e) return false;
    if (e->kind == SIM_E_MAKESPAN) return true;
    if (reads_makespan(e->a) || reads_makespan(e->b)) return true;
    for (uint32_t i = 0; i < e->nitems; i++)
        if (reads_makespan(e->items[i])) return true;
    return false;
}

/* The text of an expectation as written: from its `expect` to the end of its
 * statement (a ';' or a '#' outside a string, or the line's end), spaces trimmed. */
void expect_text(const sim_program *p, sim_pos pos, char *out, size_t cap) {
    const char *s = p->text;
    for (int line = 1; line < pos.line && *s; s++)
        if (*s == '\n') line++;
    for (int col = 1; col < pos.col && *s && *s != '\n'; col++) {   /* columns count characters */
        uint32_t cp;
        int len = utf8_decode(s, strlen(s), &cp);
        s += len > 0 ? len : 1;
    }
    size_t n = 0;
    bool in_str = false;
    while (s[n] && s[n] != '\n' && (in_str || (s[n] != ';' && s[n] != '#'))) {
        if (s[n] == '"') in_str = !in_str;
        n++;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\\')) n--;
    if (n >= cap) snprintf(out, cap, "%.*s...", (int)utf8_cut(s, cap - 4), s);
    else snprintf(out, cap, "%.*s", (int)n, s);
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

/* The first unit that ended by an error it did not catch, or NULL. */
static const rt_unit *first_failed(const rt *r) {
    for (uint32_t i = 0; i < r->nunits; i++)
        if (atomic_load(&r->units[i].failed)) return &r->units[i];
    return NULL;
}

void expect_check(sim_result *res, const sim_program *prog, const rt *r, uint32_t end) {
    unsigned backend = r->coro ? SIM_BACKEND_COROUTINES : r->procs ? SIM_BACKEND_PROCESSES : SIM_BACKEND_THREADS;
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->on_backends && !(x->on_backends & (1u << backend))) continue;   /* `on` other backends */
        const rt_unit *died;
        char fail[640] = "";
        if (x->off) continue;   /* expect ... if COND, COND false for this run */
        if (x->kind == SIM_X_NO_DEADLOCK && (end == TRC_END_DEADLOCK || end == TRC_END_STUCK))
            snprintf(fail, sizeof fail, "%s", end == TRC_END_DEADLOCK ? "expect no_deadlock: the run deadlocked"
                                                                      : "expect no_deadlock: units were stuck forever");
        else if (x->kind == SIM_X_ALL_DONE && end != TRC_END_OK)
            snprintf(fail, sizeof fail, "expect all_done: not every unit finished");
        else if (x->kind == SIM_X_ALL_DONE && (died = first_failed(r)))
            snprintf(fail, sizeof fail, "expect all_done: %s died of an error it did not catch: %.200s", died->name,
                     died->exc ? died->exc : "?");
        else if (x->kind == SIM_X_ALL_DONE && r->procs) {
            /* a process that was killed or crashed did not finish (a daemon terminated at exit is fine) */
            for (uint32_t k = 0; k < r->nunits && !fail[0]; k++)
                if (atomic_load(&r->units[k].died) && !atomic_load(&r->units[k].killed))
                    snprintf(fail, sizeof fail, "expect all_done: %s's process died before its end", r->units[k].name);
        }
        else if (x->kind == SIM_X_DEADLOCK && end != TRC_END_DEADLOCK)
            snprintf(fail, sizeof fail, "expect deadlock: the run did not deadlock");
        else if (x->kind == SIM_X_STUCK && end != TRC_END_STUCK)
            snprintf(fail, sizeof fail, "expect stuck: no unit was stuck forever");
        else if (x->kind == SIM_X_TORN_READS) {
            const rt_obj *o = &r->objs[x->obj];
            int64_t got = (int64_t)atomic_load(&o->torn), want = 0;
            sim_eval(x->value, prog, NULL, &want, NULL);
            if (!compare(x->op, got, want))
                snprintf(fail, sizeof fail, "expect torn_reads %s %s %lld: there were %lld", o->decl->name, op_text(x->op),
                         (long long)want, (long long)got);
        } else if (x->kind == SIM_X_EXITCODE) {
            /* every instance's exit code; a process killed by signal N has -N, as Python's exitcode */
            const sim_actor *a = &prog->actors[x->obj];
            int64_t want = 0;
            sim_eval(x->value, prog, NULL, &want, NULL);
            for (int64_t k = 0; k < a->count_value && !fail[0]; k++) {
                const rt_unit *u = &r->units[a->unit0 + (uint32_t)k];
                int code = u->exit_code, sig = 0;
                uint64_t when;
                if (atomic_load(&u->state) != US_DONE) {
                    snprintf(fail, sizeof fail, "expect exitcode %s: %s never ended", a->name, u->name);
                    break;
                }
                if (r->procs && u->pkind == SIM_PU_PROCESS && atomic_load(&u->ended))
                    r->ops->unit_status(r->plat, u->pu, &code, &sig, &when);
                int64_t got = sig ? -(int64_t)sig : code;
                if (!compare(x->op, got, want))
                    snprintf(fail, sizeof fail, "expect exitcode %s %s %lld: %s's is %lld", a->name, op_text(x->op),
                             (long long)want, u->name, (long long)got);
            }
        } else if (x->kind == SIM_X_COUNTER || x->kind == SIM_X_LOST_UPDATES || (x->kind == SIM_X_RELATION && !x->across_runs)) {
            ended en = { res, r };
            sim_eval_ctx ctx = { .makespan = this_makespan, .counter = final_counter, .lost = final_lost,
                                 .qsize = final_size, .never_awaited = this_never_awaited, .user = &en };
            int64_t v = 0;
            diag ed;
            char text[256];
            expect_text(prog, x->pos, text, sizeof text);
            if (sim_eval(x->value, prog, &ctx, &v, &ed)) {
                snprintf(fail, sizeof fail, "%s: %.240s", text, ed.msg);
            } else if (!v) {
                /* a comparison says what its sides were */
                const sim_expr *c = x->value;
                int64_t a = 0, b = 0;
                bool cmp = c->kind == SIM_E_BIN && strchr("<>lg=!", c->op) && !sim_eval(c->a, prog, &ctx, &a, NULL) &&
                           !sim_eval(c->b, prog, &ctx, &b, NULL);
                char as[48], bs[48];
                if (cmp && c->a->type == SIM_T_DUR) {
                    fmt_dur(as, sizeof as, (uint64_t)(a < 0 ? 0 : a));
                    fmt_dur(bs, sizeof bs, (uint64_t)(b < 0 ? 0 : b));
                } else {
                    snprintf(as, sizeof as, "%lld", (long long)a);
                    snprintf(bs, sizeof bs, "%lld", (long long)b);
                }
                if (reads_makespan(c)) {
                    char ms[32];
                    fmt_dur(ms, sizeof ms, res->wall_ns);
                    snprintf(fail, sizeof fail, "%s does not hold: the makespan was %s", text, ms);
                } else if (cmp && c->b->is_const) {
                    snprintf(fail, sizeof fail, "%s: it is %s", text, as);
                } else if (cmp) {
                    snprintf(fail, sizeof fail, "%s: it is %s, and the right side %s", text, as, bs);
                } else {
                    snprintf(fail, sizeof fail, "%s does not hold", text);
                }
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
