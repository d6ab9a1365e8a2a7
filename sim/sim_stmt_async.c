/* The steps of tasks, as asyncio names them (the runtime: sim_async.c):
 *
 *   create_task T [arg=E] [as F]       start task T now (a task on coroutines, a thread on threads)
 *   await F                            wait for F (a task, or a future of a pool: run_in_executor)
 *   gather [F, G ...] [return_exceptions] [timeout=D] [{ body }]
 *   gather T * N [return_exceptions] [timeout=D] [{ body }]
 *                                      wait for several; the body runs per result, in the order
 *                                      they were made, with arg = the task's arg
 *   wait_for F timeout=D               await F for at most D; then F is cancelled
 *   sleep D blocking                   (in sim_stmt.c) time.sleep: the whole loop stops
 */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* A body whose `arg` is the item's (a gather's results): optional. */
static sim_stmt *item_body(parser *ps, int depth, int loops) {
    if (!is_p(&ps->t, '{')) return NULL;
    bool saved = ps->arg_ok;
    ps->arg_ok = true;
    sim_stmt *b = sim__parse_block(ps, depth + 1, loops + 1);
    ps->arg_ok = saved;
    return b;
}

/* A name that is an object (wait_for on a condition is the other wait_for). */
static bool names_object(const parser *ps) {
    if (ps->t.kind != T_IDENT) return true;   /* let the condition's parser say what is wrong */
    char *name = strndup(ps->t.s, ps->t.len);
    bool is = name && sim__find_object(ps->p, name) >= 0;
    free(name);
    return is;
}

bool sim__is_async_step(const parser *ps, const tok *t) {
    if (is_kw(t, "wait_for")) return !names_object(ps);
    return is_kw(t, "create_task") || is_kw(t, "await") || is_kw(t, "gather");
}

static int gather_options(parser *ps, sim_stmt *s) {
    for (;;) {
        if (is_kw(&ps->t, "return_exceptions")) {
            if (s->return_exceptions) return sim__perr(ps, ps->t.pos, ERR_SCENARIO, "return_exceptions is given twice");
            s->return_exceptions = true;
            sim__next(ps);
        } else if (is_kw(&ps->t, "timeout")) {
            if (s->timeout) return sim__perr(ps, ps->t.pos, ERR_SCENARIO, "timeout= is given twice");
            if (sim__parse_timeout(ps, s)) return ps->err;
        } else {
            return 0;
        }
    }
}

/* `t` (already consumed) starts an async step. */
sim_stmt *sim__parse_async_step(parser *ps, tok t, int depth, int loops) {
    sim_stmt *s;
    if (is_kw(&t, "create_task")) {
        s = sim__new_stmt(ps, SIM_S_CREATE_TASK, t.pos);
        s->fut = UINT32_MAX;
        if (sim__name_ref(ps, FIX_TASK, &s->task, "a task name")) return NULL;
        for (;;) {
            if (is_kw(&ps->t, "arg")) {
                if (s->expr) { sim__perr(ps, ps->t.pos, ERR_SCENARIO, "arg= is given twice"); return NULL; }
                sim__next(ps);
                if (sim__expect_p(ps, '=', "after arg")) return NULL;
                s->expr = sim__parse_expr(ps);
                if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "a task's arg")) return NULL;
            } else if (is_kw(&ps->t, "as")) {
                sim__next(ps);
                tok ft = ps->t;
                const char *fname = sim__take_ident(ps, "a name for the task");
                if (!fname) return NULL;
                s->fut = sim__future_slot(ps, fname, ft.pos);
            } else {
                break;
            }
        }
        return s;
    }
    if (is_kw(&t, "await")) {
        s = sim__new_stmt(ps, SIM_S_AWAIT, t.pos);
        if (sim__name_ref(ps, FIX_FUT, &s->fut, "a task's name (from create_task ... as NAME)")) return NULL;
        if (is_kw(&ps->t, "timeout")) {
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "await takes no timeout");
            sim__hint(ps, "wait_for F timeout=D waits at most D and then cancels F (asyncio.wait_for); result F "
                          "timeout=D gives up without cancelling it");
            return NULL;
        }
        return s;
    }
    if (is_kw(&t, "wait_for")) {
        s = sim__new_stmt(ps, SIM_S_AWAIT_FOR, t.pos);
        tok nt = ps->t;
        if (sim__name_ref(ps, FIX_FUT, &s->fut, "a task's name, or a condition")) return NULL;
        if (!is_kw(&ps->t, "timeout")) {
            char b[64];
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected timeout=D after 'wait_for %.*s', found %s", (int)nt.len, nt.s,
                      sim__tok_desc(&ps->t, b, sizeof b));
            sim__hint(ps, "wait_for F timeout=D awaits task (or future) F for at most D; to wait for a predicate, name "
                          "a condition: wait_for C EXPR");
            return NULL;
        }
        if (sim__parse_timeout(ps, s)) return NULL;
        return s;
    }
    if (is_kw(&t, "gather")) {
        s = sim__new_stmt(ps, SIM_S_GATHER, t.pos);
        s->task = UINT32_MAX;
        if (ps->t.kind == T_IDENT && !is_kw(&ps->t, "return_exceptions") && !is_kw(&ps->t, "timeout")) {
            /* gather T * N, or gather F, G, ... */
            const char *save = ps->cur;
            int sl = ps->line, sc = ps->col;
            tok st = ps->t;
            sim__next(ps);
            bool made_here = is_p(&ps->t, '*');
            ps->cur = save; ps->line = sl; ps->col = sc; ps->t = st;
            if (made_here) {
                if (sim__name_ref(ps, FIX_TASK, &s->task, "a task name")) return NULL;
                sim__next(ps);   /* '*' */
                s->expr = sim__parse_sum(ps);
                if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "how many tasks gather starts")) return NULL;
            } else {
                /* the names first, then the array the fixups point into */
                sim_name *names = NULL;
                size_t n = 0, cap = 0;
                for (;;) {
                    tok nt = ps->t;
                    const char *name = sim__take_ident(ps, "a task's name (from create_task ... as NAME)");
                    if (!name) { free(names); return NULL; }
                    if (n == 4096) {
                        free(names);
                        sim__perr(ps, nt.pos, ERR_LIMIT, "a gather of more than 4096 names");
                        sim__hint(ps, "gather with no names waits for every task this unit made");
                        return NULL;
                    }
                    ARR_PUSH(names, n, cap, ((sim_name){ name, nt.pos }));
                    if (!is_p(&ps->t, ',')) break;
                    sim__next(ps);
                }
                s->futs = arena_push(&ps->p->mem, sizeof *s->futs * n);
                s->nfuts = (uint32_t)n;
                for (size_t i = 0; i < n; i++) {
                    if (ps->nfix >= 1000000) {
                        sim__perr(ps, names[i].pos, ERR_LIMIT, "too many references");
                        free(names);
                        return NULL;
                    }
                    ARR_GROW(ps->fix, ps->nfix + 1, ps->cap_fix);
                    ps->fix[ps->nfix++] = (struct fixup){ FIX_FUT, &s->futs[i], names[i].name, names[i].pos, ps->cur_actor, 0, 0, NULL };
                }
                free(names);
            }
        }
        if (gather_options(ps, s)) return NULL;
        s->body = item_body(ps, depth, loops);
        if (ps->err) return NULL;
        return s;
    }
    BUG("%.*s is not a step of tasks", (int)t.len, t.s);
}
