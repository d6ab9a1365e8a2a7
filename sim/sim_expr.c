/* Expressions: typed (an integer or a duration) while they are parsed, with
 * Python's precedence: or < and < not < comparisons < + - < * / % < unary. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

sim_expr *sim__new_expr(parser *ps, sim_expr_kind k, sim_pos pos) {
    sim_expr *e = arena_push(&ps->p->mem, sizeof *e);
    e->kind = k;
    e->pos = e->start = pos;
    e->is_const = k == SIM_E_NUM || k == SIM_E_DUR || k == SIM_E_PARAM;
    return e;
}

const char *sim__type_name(sim_type t) { return t == SIM_T_DUR ? "a duration" : "an integer"; }

static sim_expr *parse_unary_(parser *ps);

/* Every nested expression goes through here: the depth is bounded, so no
 * input can exhaust the stack. */
static sim_expr *parse_unary(parser *ps) {
    if (++ps->expr_depth > SIM_MAX_EXPR_DEPTH) {
        sim__perr(ps, ps->t.pos, ERR_LIMIT, "expression nested deeper than %d", SIM_MAX_EXPR_DEPTH);
        ps->expr_depth--;
        return NULL;
    }
    sim_expr *e = parse_unary_(ps);
    ps->expr_depth--;
    return e;
}

static sim_expr *parse_unary_(parser *ps) {
    tok t = ps->t;
    if (ps->err) return NULL;
    if (is_p(&t, '-')) {
        sim__next(ps);
        sim_expr *a = parse_unary(ps);
        if (!a) return NULL;
        sim_expr *e = sim__new_expr(ps, SIM_E_NEG, t.pos);
        e->a = a;
        e->type = a->type;
        e->is_const = a->is_const;
        return e;
    }
    if (t.kind == T_INT || t.kind == T_DUR) {
        sim__next(ps);
        sim_expr *e = sim__new_expr(ps, t.kind == T_INT ? SIM_E_NUM : SIM_E_DUR, t.pos);
        e->value = t.value;
        e->type = t.kind == T_INT ? SIM_T_INT : SIM_T_DUR;
        return e;
    }
    if (is_p(&t, '(')) {
        sim__next(ps);
        sim_expr *e = sim__parse_expr(ps);
        if (!e || sim__expect_p(ps, ')', "to close the parenthesis")) return NULL;
        return e;
    }
    if (is_kw(&t, "not") || is_kw(&t, "and") || is_kw(&t, "or")) {
        char b[64];
        sim__perr(ps, t.pos, ERR_SCENARIO, "expected a value, found %s", sim__tok_desc(&t, b, sizeof b));
        if (is_kw(&t, "not")) sim__hint(ps, "'not' negates a whole condition: put it in parentheses, e.g. 1 + (not ok)");
        return NULL;
    }
    if (t.kind == T_IDENT) {
        sim__next(ps);
        if (ps->in_expect && (is_kw(&t, "timed_out") || is_kw(&t, "ok") || is_kw(&t, "index") ||
                              is_kw(&t, "uniform") || is_kw(&t, "exp") || is_kw(&t, "choice") ||
                              sim__find_local(ps->p, t.s, t.len) >= 0)) {
            char w[48];
            sim__perr(ps, t.pos, ERR_SCENARIO, "an expectation cannot read '%s'", sim__tok_text(&t, w, sizeof w));
            sim__hint(ps, "an expectation is checked after the run: it reads params, counters (their final values), "
                          "lost_updates C, size Q and makespan");
            return NULL;
        }
        /* a call: name(...), but uniform (a) b, exp (m) and choice (x), y are their own forms */
        if (is_p(&ps->t, '(') && !is_kw(&t, "uniform") && !is_kw(&t, "exp") && !is_kw(&t, "choice")) {
            bool is_min = t.len == 3 && !memcmp(t.s, "min", 3), is_max = t.len == 3 && !memcmp(t.s, "max", 3);
            if (!is_min && !is_max) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "unknown function '%.*s'", (int)t.len, t.s);
                sim__hint(ps, "the functions are min(a, b) and max(a, b)");
                return NULL;
            }
            sim__next(ps);
            sim_expr *a = sim__parse_expr(ps);
            if (!a || sim__expect_p(ps, ',', "between the arguments")) return NULL;
            sim_expr *b = sim__parse_expr(ps);
            if (!b || sim__expect_p(ps, ')', "after the arguments")) return NULL;
            if (a->type != b->type) {
                sim__perr(ps, b->pos, ERR_SCENARIO, "%s() of %s and %s", is_min ? "min" : "max", sim__type_name(a->type),
                     sim__type_name(b->type));
                return NULL;
            }
            sim_expr *e = sim__new_expr(ps, SIM_E_CALL, t.pos);
            e->fn = is_min ? "min" : "max";
            e->a = a; e->b = b; e->type = a->type;
            e->is_const = a->is_const && b->is_const;
            return e;
        }
        if (is_kw(&t, "uniform")) {
            sim_expr *a = parse_unary(ps);
            sim_expr *b = a ? parse_unary(ps) : NULL;
            if (!b) return NULL;
            if (a->type != b->type) {
                sim__perr(ps, b->pos, ERR_SCENARIO, "uniform between %s and %s", sim__type_name(a->type), sim__type_name(b->type));
                return NULL;
            }
            sim_expr *e = sim__new_expr(ps, SIM_E_UNIFORM, t.pos);
            e->a = a; e->b = b; e->type = a->type;
            return e;
        }
        if (is_kw(&t, "exp")) {
            sim_expr *a = parse_unary(ps);
            if (!a) return NULL;
            sim_expr *e = sim__new_expr(ps, SIM_E_EXP, t.pos);
            e->a = a; e->type = a->type;
            return e;
        }
        if (is_kw(&t, "choice")) {
            sim_expr *e = sim__new_expr(ps, SIM_E_CHOICE, t.pos);
            sim_expr **tmp = NULL;
            size_t cap = 0, n = 0;
            for (;;) {
                sim_expr *it = sim__parse_sum(ps);
                if (it && n && it->type != tmp[0]->type)
                    sim__perr(ps, it->pos, ERR_SCENARIO, "choice mixes %s and %s", sim__type_name(tmp[0]->type),
                         sim__type_name(it->type));
                if (!it || ps->err) { free(tmp); return NULL; }
                ARR_PUSH(tmp, n, cap, it);
                if (n > 4096) { free(tmp); sim__perr(ps, t.pos, ERR_LIMIT, "a choice of more than 4096 values"); return NULL; }
                if (!is_p(&ps->t, ',')) break;
                sim__next(ps);
            }
            /* the list lives in the arena, like the rest of the tree */
            e->items = arena_push(&ps->p->mem, sizeof *e->items * n);
            memcpy(e->items, tmp, sizeof *e->items * n);
            e->nitems = (uint32_t)n;
            free(tmp);
            e->type = e->items[0]->type;
            return e;
        }
        if (is_kw(&t, "timed_out") || is_kw(&t, "ok")) {
            sim_expr *e = sim__new_expr(ps, SIM_E_LAST, t.pos);
            e->fn = is_kw(&t, "ok") ? "ok" : "timed_out";
            e->type = SIM_T_INT;
            return e;
        }
        if (is_kw(&t, "index")) {
            sim_expr *e = sim__new_expr(ps, SIM_E_INDEX, t.pos);
            e->type = SIM_T_INT;
            return e;
        }
        if (is_kw(&t, "arg")) {
            if (!ps->arg_ok) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "'arg' has a value only in a task, or in a map or as_completed body");
                sim__hint(ps, "pass a value with: submit POOL TASK arg=EXPR");
                return NULL;
            }
            sim_expr *e = sim__new_expr(ps, SIM_E_ARG, t.pos);
            e->type = SIM_T_INT;
            return e;
        }
        /* size Q: a queue's items now (q.qsize()); lost_updates C (expectations only) */
        if ((is_kw(&t, "size") || (ps->in_expect && is_kw(&t, "lost_updates"))) && ps->t.kind == T_IDENT) {
            bool lost = is_kw(&t, "lost_updates");
            char *qn = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
            int oi = sim__find_object(ps->p, qn);
            if (oi >= 0 || lost) {
                uint32_t o;
                sim_expr *ix = NULL;
                if (sim__object_ref_unnoted(ps, K(lost ? SIM_OBJ_COUNTER : SIM_OBJ_QUEUE), lost ? "count the lost updates of"
                                            : "take the size of", false, &o, &ix))
                    return NULL;
                sim_expr *e = sim__new_expr(ps, lost ? SIM_E_LOST : SIM_E_SIZE, t.pos);
                e->obj = o;
                e->index = ix;
                e->type = SIM_T_INT;
                sim__note_objref(ps, &e->obj, &e->index);
                return e;
            }
        }
        /* alive A: whether any instance of actor A runs (Thread.is_alive()) */
        if (is_kw(&t, "alive") && ps->t.kind == T_IDENT && sim__find_param(ps->p, t.s, t.len) < 0 &&
            sim__find_local(ps->p, t.s, t.len) < 0 && sim__find_object(ps->p, "alive") < 0) {
            if (ps->in_expect) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "an expectation cannot read 'alive'");
                sim__hint(ps, "every unit has ended when expectations are checked: expect all_done says whether they "
                              "finished");
                return NULL;
            }
            sim_expr *e = sim__new_expr(ps, SIM_E_ALIVE, t.pos);
            e->type = SIM_T_INT;
            if (sim__name_ref(ps, FIX_ALIVE, &e->param, "the name of an actor")) return NULL;
            return e;
        }
        if (ps->in_expect && is_kw(&t, "never_awaited")) {
            sim_expr *e = sim__new_expr(ps, SIM_E_NEVER_AWAITED, t.pos);
            e->type = SIM_T_INT;
            return e;
        }
        bool mem = is_kw(&t, "resident_per_unit") || is_kw(&t, "virtual_per_unit");
        if (is_kw(&t, "makespan") || mem) {
            /* makespan, resident_per_unit, virtual_per_unit: of this run, or [P=v] / [backend=B] of one run */
            const char *what = mem ? (t.s[0] == 'r' ? "resident_per_unit" : "virtual_per_unit") : "makespan";
            if (!ps->in_expect) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "'%s' is known only after the run: use it in an expect", what);
                return NULL;
            }
            sim_expr *e = sim__new_expr(ps, mem ? SIM_E_MEM : SIM_E_MAKESPAN, t.pos);
            e->type = mem ? SIM_T_INT : SIM_T_DUR;
            e->op = mem ? t.s[0] : 0;
            e->param = UINT32_MAX;
            if (mem) ps->across_runs = true;   /* memory is known once the recording is read back */
            if (mem && !is_p(&ps->t, '[')) ps->mem_this_run = true;
            if (is_p(&ps->t, '[')) {
                sim__next(ps);
                tok pt = ps->t;
                if (pt.kind != T_IDENT) {
                    char b[64];
                    sim__perr(ps, pt.pos, ERR_SCENARIO, "expected a parameter name after '%s[', found %s",
                         what, sim__tok_desc(&pt, b, sizeof b));
                    return NULL;
                }
                int pi = sim__find_param(ps->p, pt.s, pt.len);
                if (pi < 0 && is_kw(&pt, "backend")) {
                    /* makespan[backend=processes]: the run on that backend (--backend a,b, or `backends`) */
                    sim__next(ps);
                    if (sim__expect_p(ps, '=', "after backend")) return NULL;
                    tok bt = ps->t;
                    unsigned b = bt.kind == T_IDENT ? sim_backend_by_name(bt.s, bt.len) : 0;
                    if (!b) {
                        char w[64];
                        sim__perr(ps, bt.pos, ERR_SCENARIO, "expected a backend after %s[backend=, found %s",
                                  what, sim__tok_desc(&bt, w, sizeof w));
                        sim__hint(ps, "makespan[backend=threads], makespan[backend=processes]");
                        return NULL;
                    }
                    sim__next(ps);
                    if (sim__expect_p(ps, ']', "to close the run's selector [...]")) return NULL;
                    e->param = SIM_DIM_BACKEND;
                    e->a = sim__new_expr(ps, SIM_E_NUM, bt.pos);
                    e->a->value = b;
                    e->a->type = SIM_T_INT;
                    ps->across_runs = true;
                    return e;
                }
                if (pi < 0) {
                    sim__perr(ps, pt.pos, ERR_SCENARIO, "unknown parameter '%.*s' in %s[...]", (int)pt.len, pt.s, what);
                    sim__hint(ps, "makespan[P=V] names the run of a sweep over param P with the value V; "
                                  "makespan[backend=B] the run on backend B");
                    return NULL;
                }
                sim__next(ps);
                if (sim__expect_p(ps, '=', "after the parameter")) return NULL;
                bool saved = ps->in_expect;
                ps->in_expect = false;
                e->a = sim__parse_sum(ps);
                ps->in_expect = saved;
                if (!e->a) return NULL;
                if (!e->a->is_const) {
                    sim__perr(ps, e->a->pos, ERR_SCENARIO, "the value in %s[...] must be a constant", what);
                    return NULL;
                }
                if (e->a->type != ps->p->params[pi].type) {
                    sim__perr(ps, e->a->pos, ERR_SCENARIO, "parameter '%s' is %s, the value is %s", ps->p->params[pi].name,
                         sim__type_name(ps->p->params[pi].type), sim__type_name(e->a->type));
                    return NULL;
                }
                if (sim__expect_p(ps, ']', "to close the run's selector [...]")) return NULL;
                e->param = (uint32_t)pi;
                ps->across_runs = true;
            }
            return e;
        }
        if (is_kw(&t, "on") || is_kw(&t, "off")) {   /* gil on, -D gil=off, makespan[gil=on] */
            sim_expr *e = sim__new_expr(ps, SIM_E_NUM, t.pos);
            e->type = SIM_T_INT;
            e->value = is_kw(&t, "on");
            e->is_const = true;
            return e;
        }
        int li = sim__find_local(ps->p, t.s, t.len);
        if (li >= 0) {
            sim_expr *e = sim__new_expr(ps, SIM_E_LOCAL, t.pos);
            e->param = (uint32_t)li;
            e->type = SIM_T_INT;
            return e;
        }
        int pi = sim__find_param(ps->p, t.s, t.len);
        if (pi < 0) {
            char *name = arena_strndup(&ps->p->mem, t.s, t.len);
            int oi = sim__find_object(ps->p, name);
            if (oi >= 0 && (ps->p->objects[oi].kind == SIM_OBJ_COUNTER || ps->p->objects[oi].kind == SIM_OBJ_VAR)) {
                sim_expr *e = sim__new_expr(ps, ps->p->objects[oi].kind == SIM_OBJ_VAR ? SIM_E_VAR : SIM_E_COUNTER, t.pos);
                e->obj = (uint32_t)oi;
                e->type = SIM_T_INT;
                if (sim__object_index(ps, t, (uint32_t)oi, false, &e->index)) return NULL;
                sim__note_objref(ps, &e->obj, &e->index);
                return e;
            }
            if (oi >= 0) {
                sim__perr(ps, t.pos, ERR_SCENARIO,
                          "'%s' is not a number: only params, counters, vars and locals have values", name);
                return NULL;
            }
            sim__unknown_value_name(ps, name, t.pos);
            return NULL;
        }
        sim_expr *e = sim__new_expr(ps, SIM_E_PARAM, t.pos);
        e->param = (uint32_t)pi;
        e->type = ps->p->params[pi].type;
        return e;
    }
    char b[64];
    sim__perr(ps, t.pos, ERR_SCENARIO, "expected a value (a number, a duration or a name), found %s", sim__tok_desc(&t, b, sizeof b));
    return NULL;
}

static sim_expr *mk_bin(parser *ps, int op, sim_pos pos, sim_expr *a, sim_expr *b) {
    sim_type ta = a->type, tb = b->type, r;
    const char *opname = op == '+' ? "add" : op == '-' ? "subtract" : op == '*' ? "multiply" : op == '/' ? "divide" : "take the remainder of";
    switch (op) {
    case '+': case '-':
        if (ta != tb) {
            sim__perr(ps, pos, ERR_SCENARIO, "cannot %s %s and %s", opname, sim__type_name(ta), sim__type_name(tb));
            sim__hint(ps, "give both sides a unit, e.g. 2ms + 500us");
            return NULL;
        }
        r = ta; break;
    case '*':
        if (ta == SIM_T_DUR && tb == SIM_T_DUR) {
            sim__perr(ps, pos, ERR_SCENARIO, "cannot multiply two durations");
            return NULL;
        }
        r = ta == SIM_T_DUR || tb == SIM_T_DUR ? SIM_T_DUR : SIM_T_INT; break;
    case '&': case '|':
        if (ta != SIM_T_INT || tb != SIM_T_INT) {
            sim__perr(ps, pos, ERR_SCENARIO, "'%s' needs two conditions, not %s and %s", op == '&' ? "and" : "or",
                 sim__type_name(ta), sim__type_name(tb));
            return NULL;
        }
        r = SIM_T_INT; break;
    case '/':
        if (ta == SIM_T_INT && tb == SIM_T_DUR) {
            sim__perr(ps, pos, ERR_SCENARIO, "cannot divide an integer by a duration");
            return NULL;
        }
        r = ta == SIM_T_DUR && tb == SIM_T_INT ? SIM_T_DUR : SIM_T_INT; break;
    case '%':
        if (ta != tb) {
            sim__perr(ps, pos, ERR_SCENARIO, "cannot %s %s and %s", opname, sim__type_name(ta), sim__type_name(tb));
            return NULL;
        }
        r = ta; break;
    default:
        if (ta != tb) {
            sim__perr(ps, pos, ERR_SCENARIO, "cannot compare %s with %s", sim__type_name(ta), sim__type_name(tb));
            return NULL;
        }
        r = SIM_T_INT; break;
    }
    sim_expr *e = sim__new_expr(ps, SIM_E_BIN, pos);
    e->op = op; e->a = a; e->b = b; e->type = r;
    e->start = a->start;
    e->is_const = a->is_const && b->is_const;
    return e;
}

/* Left-associative chains: sub { OP sub }, where match() says whether the
 * current token is one of the level's operators (and which). */
static sim_expr *parse_chain(parser *ps, sim_expr *(*sub)(parser *), int (*match)(const tok *)) {
    sim_expr *a = sub(ps);
    int op;
    while (a && (op = match(&ps->t))) {
        tok t = ps->t;
        sim__next(ps);
        sim_expr *b = sub(ps);
        if (!b) return NULL;
        a = mk_bin(ps, op, t.pos, a, b);
    }
    return a;
}

static int match_mul(const tok *t) { return t->kind == T_PUNCT && t->len == 1 && strchr("*/%", t->punct) ? t->punct : 0; }
static int match_add(const tok *t) { return t->kind == T_PUNCT && t->len == 1 && strchr("+-", t->punct) ? t->punct : 0; }
static int match_and(const tok *t) { return is_kw(t, "and") ? '&' : 0; }
static int match_or(const tok *t) { return is_kw(t, "or") ? '|' : 0; }

static sim_expr *parse_prod(parser *ps) { return parse_chain(ps, parse_unary, match_mul); }
sim_expr *sim__parse_sum(parser *ps) { return parse_chain(ps, parse_prod, match_add); }

static sim_expr *parse_cmp(parser *ps) {
    sim_expr *a = sim__parse_sum(ps);
    if (a && ps->t.kind == T_PUNCT && strchr("<>lg=!", ps->t.punct) && ps->t.punct) {
        tok op = ps->t;
        if (op.punct == '=' && op.len == 1) return a;   /* a lone '=' is not a comparison */
        if (op.punct == '!' && op.len == 1) return a;
        sim__next(ps);
        sim_expr *b = sim__parse_sum(ps);
        if (!b) return NULL;
        a = mk_bin(ps, op.punct, op.pos, a, b);
    }
    return a;
}

/* not X: as in Python, looser than a comparison and tighter than 'and'
 * (not a == b is not (a == b); not a and b is (not a) and b). */
static sim_expr *parse_not(parser *ps) {
    if (!is_kw(&ps->t, "not")) return parse_cmp(ps);
    tok t = ps->t;
    if (++ps->expr_depth > SIM_MAX_EXPR_DEPTH) {
        sim__perr(ps, t.pos, ERR_LIMIT, "expression nested deeper than %d", SIM_MAX_EXPR_DEPTH);
        ps->expr_depth--;
        return NULL;
    }
    sim__next(ps);
    sim_expr *a = parse_not(ps);
    ps->expr_depth--;
    if (!a) return NULL;
    if (a->type != SIM_T_INT) {
        sim__perr(ps, a->pos, ERR_SCENARIO, "'not' needs a condition, not %s", sim__type_name(a->type));
        sim__hint(ps, "compare it first, e.g. not (x > 1ms)");
        return NULL;
    }
    sim_expr *e = sim__new_expr(ps, SIM_E_NOT, t.pos);
    e->a = a;
    e->type = SIM_T_INT;
    e->is_const = a->is_const;
    return e;
}

static sim_expr *parse_and(parser *ps) { return parse_chain(ps, parse_not, match_and); }
sim_expr *sim__parse_expr(parser *ps) { return parse_chain(ps, parse_and, match_or); }

/* Evaluates a constant expression at parse time; errors name its place. */
int sim__eval(parser *ps, const sim_expr *e, int64_t *out) {
    if (ps->err) return ps->err;
    diag tmp;
    int rc = sim_eval(e, ps->p, NULL, out, &tmp);
    if (rc) {
        sim__perr(ps, (sim_pos){ tmp.line, tmp.col }, -rc, "%s", tmp.msg);
        return ps->err;
    }
    return 0;
}

int sim__require_type(parser *ps, const sim_expr *e, sim_type want, const char *what) {
    if (e->type == want) return 0;
    sim__perr(ps, e->pos, ERR_SCENARIO, "%s must be %s, not %s", what, sim__type_name(want), sim__type_name(e->type));
    if (want == SIM_T_DUR) sim__hint(ps, "add a unit: ns, us, ms or s");
    else sim__hint(ps, "drop the unit, or divide by a duration");
    sim__hint_unit_space(ps);   /* sleep 10 ms: the unit was there, a space apart */
    return ps->err;
}
