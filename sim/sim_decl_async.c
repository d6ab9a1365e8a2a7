/* Declarations for tasks:
 *
 *   context NAME        a context variable (contextvars.ContextVar): each task has its own value, and a
 *                       task made by create_task starts with a copy of its maker's; on threads and
 *                       processes it is per thread (or process), like a local
 *   task_stack N        the stack of every task, in bytes (coroutines; default 64 KiB)
 */
#include "sim/sim_parse_internal.h"

bool sim__is_async_decl(const tok *t) { return is_kw(t, "context") || is_kw(t, "task_stack"); }

int sim__parse_async_decl(parser *ps, tok t) {
    sim_program *p = ps->p;
    if (is_kw(&t, "context")) {
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, "the name of a context variable");
        if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
        if (p->nlocals >= SIM_MAX_PARAMS)
            return sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d locals and context variables", SIM_MAX_PARAMS);
        if (!p->local_ctx) p->local_ctx = arena_push(&p->mem, SIM_MAX_PARAMS);
        ARR_GROW(p->locals, p->nlocals + 1, ps->cap_locals);
        p->local_ctx[p->nlocals] = 1;
        p->locals[p->nlocals++] = (sim_name){ name, nt.pos };
        return 0;
    }
    /* task_stack N */
    if (p->task_stack)
        return sim__perr(ps, t.pos, ERR_SCENARIO, "task_stack is declared twice (line %d)", p->stack_pos.line);
    sim_expr *e = sim__parse_expr(ps);
    if (!e || sim__require_type(ps, e, SIM_T_INT, "a task's stack (bytes)")) return ps->err;
    if (!e->is_const) return sim__perr(ps, e->pos, ERR_SCENARIO, "task_stack must be a constant");
    int64_t v;
    if (sim__eval(ps, e, &v)) return ps->err;
    if (v < SIM_MIN_TASK_STACK || v > SIM_MAX_TASK_STACK) {
        sim__perr(ps, e->pos, v < SIM_MIN_TASK_STACK ? ERR_SCENARIO : ERR_LIMIT,
                  "a task's stack must be %d to %lld bytes, not %lld", SIM_MIN_TASK_STACK, (long long)SIM_MAX_TASK_STACK,
                  (long long)v);
        sim__hint(ps, "the default is 65536 (64 KiB); a page is 4096");
        return ps->err;
    }
    p->task_stack = (size_t)v;
    p->stack_pos = t.pos;
    return 0;
}
