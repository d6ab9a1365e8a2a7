/* The scenario language: lexer, recursive-descent parser and checker.
 *
 * Grammar (scenarios/README.md has the user's version):
 *
 *   program   := { toplevel sep }
 *   toplevel  := 'scenario' STRING | 'param' IDENT '=' expr | 'backend' IDENT
 *              | 'lock' IDENT | 'queue' IDENT { IDENT '=' expr }
 *              | 'actor' IDENT [ '*' expr ] block | 'expect' IDENT
 *              | 'record' { 'complete' | 'drop' | 'accept_losses' | ('ring'|'max_events') '=' expr }
 *   block     := '{' { stmt sep } '}'
 *   stmt      := 'compute' expr | 'sleep' expr | 'lock' IDENT [ block ] | 'unlock' IDENT
 *              | 'put' IDENT | 'get' IDENT | 'repeat' expr block | 'mark' STRING
 *   expr      := cmp ;  cmp := sum [ ('<'|'>'|'<='|'>='|'=='|'!=') sum ]
 *   sum       := prod { ('+'|'-') prod } ;  prod := unary { ('*'|'/'|'%') unary }
 *   unary     := '-' unary | INT | DURATION | IDENT | IDENT '(' expr ',' expr ')' | '(' expr ')'
 *   sep       := NEWLINE | ';'      (a '}' also ends a statement)
 *
 * Expressions are typed (int or duration) and, in this version, constant:
 * they are folded after parameters are evaluated (with -D overrides), so
 * every error, including division by zero or an absurd size, is reported
 * with its line and column before anything runs.
 */
#include "sim/sim.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_kind {
    T_EOF, T_NL, T_IDENT, T_INT, T_DUR, T_STRING, T_PUNCT, T_ERR
} tok_kind;

typedef struct tok {
    tok_kind kind;
    sim_pos pos;
    const char *s; size_t len;     /* source text of the token */
    int64_t value;                 /* INT, DUR (ns) */
    int punct;                     /* T_PUNCT: the char, or 'l' <=, 'g' >=, '=' ==, '!' != */
} tok;

typedef struct parser {
    sim_program *p;
    const char *src;
    const char *path;
    const char *cur;               /* lexer position */
    int line, col;
    tok t;                         /* current token */
    diag *d;
    int err;
    size_t cap_params, cap_objects, cap_actors, cap_expects, cap_strings, cap_tasks, cap_locals, cap_futs;
    int expr_depth;
    /* context of the body being parsed */
    uint32_t cur_actor;            /* actor index, UINT32_MAX in a task body */
    bool arg_ok;                   /* `arg` has a value here: a task body, a map / as_completed body */
    bool in_expect;                /* `makespan` has a value here */
    bool across_runs;              /* the expectation being parsed named makespan[p=v] */
    /* names used before their declaration, resolved at the end (actors, tasks, future slots) */
    struct fixup { int kind; uint32_t *target; const char *name; sim_pos pos; uint32_t from_actor, xi, ii; } *fix;
    size_t nfix, cap_fix;
} parser;

enum { FIX_ACTOR = 1, FIX_TASK, FIX_FUT, FIX_SPAWN /* an actor, started by spawn */,
       FIX_ORDER /* expects[xi].items[ii]: an actor or a task */ };

/* ---- errors ------------------------------------------------------------ */

static void set_snippet(parser *ps, diag *d, int line) {
    const char *s = ps->src;
    for (int l = 1; l < line && *s; s++)
        if (*s == '\n') l++;
    size_t n = strcspn(s, "\n");
    if (n >= sizeof d->snippet) n = sizeof d->snippet - 1;
    memcpy(d->snippet, s, n);
    d->snippet[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (d->snippet[i] == '\t') d->snippet[i] = ' ';
}

__attribute__((format(printf, 4, 5)))
static int perr(parser *ps, sim_pos pos, int code, const char *fmt, ...) {
    if (ps->err) return ps->err;
    diag *d = ps->d;
    if (d) {
        diag_clear(d);
        snprintf(d->file, sizeof d->file, "%s", ps->path);
        d->line = pos.line;
        d->col = pos.col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
        set_snippet(ps, d, pos.line);
    }
    ps->err = -code;
    return ps->err;
}

static void hint(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hint(parser *ps, const char *fmt, ...) {
    if (!ps->d) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->d->hint, sizeof ps->d->hint, fmt, ap);
    va_end(ap);
}

/* Suggests the closest of `names` to `word`. */
static const char *closest(const char *word, const char *const *names, size_t n) {
    const char *best = NULL;
    int bd = INT_MAX;
    for (size_t i = 0; i < n; i++) {
        int dist = str_edit_distance(word, names[i]);
        if (dist < bd) { bd = dist; best = names[i]; }
    }
    size_t wl = strlen(word);
    int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    return bd <= limit ? best : NULL;
}

/* ---- lexer ------------------------------------------------------------- */

static int lex_char(parser *ps) {
    int c = (unsigned char)*ps->cur;
    if (!c) return 0;
    ps->cur++;
    if (c == '\n') { ps->line++; ps->col = 1; } else ps->col++;
    return c;
}

static int parse_unit(const char *s, size_t n, uint64_t *mult) {
    if (n == 2 && !memcmp(s, "ns", 2)) { *mult = 1; return 0; }
    if (n == 2 && !memcmp(s, "us", 2)) { *mult = 1000; return 0; }
    if (n == 2 && !memcmp(s, "ms", 2)) { *mult = 1000000; return 0; }
    if (n == 1 && s[0] == 's') { *mult = 1000000000; return 0; }
    return -1;
}

static void next(parser *ps) {
    if (ps->err) { ps->t.kind = T_EOF; return; }
    for (;;) {
        char c = *ps->cur;
        if (c == ' ' || c == '\t' || c == '\r') { lex_char(ps); continue; }
        if (c == '#') { while (*ps->cur && *ps->cur != '\n') lex_char(ps); continue; }
        if (c == '\\' && ps->cur[1] == '\n') { lex_char(ps); lex_char(ps); continue; }
        break;
    }
    tok *t = &ps->t;
    memset(t, 0, sizeof *t);
    t->pos = (sim_pos){ ps->line, ps->col };
    t->s = ps->cur;
    char c = *ps->cur;
    if (!c) { t->kind = T_EOF; return; }
    if (c == '\n') { lex_char(ps); t->kind = T_NL; t->len = 1; return; }
    if (isalpha((unsigned char)c) || c == '_') {
        while (isalnum((unsigned char)*ps->cur) || *ps->cur == '_') lex_char(ps);
        t->kind = T_IDENT;
        t->len = (size_t)(ps->cur - t->s);
        return;
    }
    if (isdigit((unsigned char)c)) {
        uint64_t ip = 0, frac = 0, fdiv = 1;
        bool overflow = false;
        while (isdigit((unsigned char)*ps->cur)) {
            int dg = lex_char(ps) - '0';
            if (ip > (UINT64_MAX - (uint64_t)dg) / 10) overflow = true;
            else ip = ip * 10 + (uint64_t)dg;
        }
        bool has_frac = false;
        if (*ps->cur == '.' && isdigit((unsigned char)ps->cur[1])) {
            has_frac = true;
            lex_char(ps);
            while (isdigit((unsigned char)*ps->cur)) {
                int dg = lex_char(ps) - '0';
                if (fdiv < 1000000000000ull) { frac = frac * 10 + (uint64_t)dg; fdiv *= 10; }
            }
        }
        const char *us = ps->cur;
        while (isalpha((unsigned char)*ps->cur)) lex_char(ps);
        size_t ul = (size_t)(ps->cur - us);
        t->len = (size_t)(ps->cur - t->s);
        if (overflow || ip > (uint64_t)INT64_MAX) {
            perr(ps, t->pos, ERR_LIMIT, "number '%.*s' is too large", (int)t->len, t->s);
            t->kind = T_ERR;
            return;
        }
        if (ul) {
            uint64_t mult;
            if (parse_unit(us, ul, &mult) != 0) {
                perr(ps, (sim_pos){ t->pos.line, t->pos.col + (int)(us - t->s) }, ERR_SCENARIO,
                     "unknown duration unit '%.*s'", (int)ul, us);
                hint(ps, "durations are written like 500ns, 250us, 2ms or 1.5s");
                t->kind = T_ERR;
                return;
            }
            if (ip > (uint64_t)INT64_MAX / mult) {
                perr(ps, t->pos, ERR_LIMIT, "duration '%.*s' is too large", (int)t->len, t->s);
                t->kind = T_ERR;
                return;
            }
            uint64_t ns = ip * mult + (frac * mult) / fdiv;
            if ((frac * mult) % fdiv) {
                perr(ps, t->pos, ERR_SCENARIO, "duration '%.*s' is not a whole number of nanoseconds",
                     (int)t->len, t->s);
                t->kind = T_ERR;
                return;
            }
            t->kind = T_DUR;
            t->value = (int64_t)ns;
            return;
        }
        if (has_frac) {
            perr(ps, t->pos, ERR_SCENARIO, "'%.*s': only durations may have a fraction", (int)t->len, t->s);
            hint(ps, "give a unit (1.5ms) or use a whole number");
            t->kind = T_ERR;
            return;
        }
        t->kind = T_INT;
        t->value = (int64_t)ip;
        return;
    }
    if (c == '"') {
        lex_char(ps);
        while (*ps->cur && *ps->cur != '"' && *ps->cur != '\n') lex_char(ps);
        if (*ps->cur != '"') {
            perr(ps, t->pos, ERR_SCENARIO, "string is not closed before the end of the line");
            t->kind = T_ERR;
            return;
        }
        lex_char(ps);
        t->kind = T_STRING;
        t->s++;
        t->len = (size_t)(ps->cur - t->s - 1);
        return;
    }
    lex_char(ps);
    t->kind = T_PUNCT;
    t->len = 1;
    t->punct = c;
    char n = *ps->cur;
    if ((c == '<' || c == '>' || c == '=' || c == '!') && n == '=') {
        lex_char(ps);
        t->len = 2;
        t->punct = c == '<' ? 'l' : c == '>' ? 'g' : c;
        return;
    }
    if (strchr("{}()[]*+-/%=,<>;", c)) return;
    perr(ps, t->pos, ERR_SCENARIO, "unexpected character '%c'", isprint((unsigned char)c) ? c : '?');
    t->kind = T_ERR;
}

/* ---- helpers ----------------------------------------------------------- */

static bool is_kw(const tok *t, const char *kw) {
    return t->kind == T_IDENT && strlen(kw) == t->len && !memcmp(t->s, kw, t->len);
}
static bool is_p(const tok *t, int c) { return t->kind == T_PUNCT && t->punct == c; }

static const char *tok_desc(const tok *t, char *out, size_t cap) {
    switch (t->kind) {
    case T_EOF: return "the end of the file";
    case T_NL: return "the end of the line";
    case T_STRING: snprintf(out, cap, "string \"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->s); return out;
    default: snprintf(out, cap, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s); return out;
    }
}

static int expect_p(parser *ps, int c, const char *what) {
    if (is_p(&ps->t, c)) { next(ps); return 0; }
    char b[64];
    return perr(ps, ps->t.pos, ERR_SCENARIO, "expected '%c' %s, found %s", c, what, tok_desc(&ps->t, b, sizeof b));
}

static const char *take_ident(parser *ps, const char *what) {
    if (ps->t.kind != T_IDENT) {
        char b[64];
        perr(ps, ps->t.pos, ERR_SCENARIO, "expected %s, found %s", what, tok_desc(&ps->t, b, sizeof b));
        return NULL;
    }
    const char *s = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
    next(ps);
    return s;
}

static void skip_newlines(parser *ps) {
    while (ps->t.kind == T_NL || is_p(&ps->t, ';')) next(ps);
}

static int end_statement(parser *ps) {
    if (ps->t.kind == T_NL || is_p(&ps->t, ';')) { skip_newlines(ps); return 0; }
    if (ps->t.kind == T_EOF || is_p(&ps->t, '}')) return 0;
    char b[64];
    return perr(ps, ps->t.pos, ERR_SCENARIO, "expected the end of the statement, found %s",
                tok_desc(&ps->t, b, sizeof b));
}

static int find_param(const sim_program *p, const char *s, size_t n) {
    for (uint32_t i = 0; i < p->nparams; i++)
        if (strlen(p->params[i].name) == n && !memcmp(p->params[i].name, s, n)) return (int)i;
    return -1;
}

static int find_object(const sim_program *p, const char *s) {
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (!strcmp(p->objects[i].name, s)) return (int)i;
    return -1;
}

/* ---- expressions ------------------------------------------------------- */

static sim_expr *new_expr(parser *ps, sim_expr_kind k, sim_pos pos) {
    sim_expr *e = arena_push(&ps->p->mem, sizeof *e);
    e->kind = k;
    e->pos = pos;
    e->is_const = k == SIM_E_NUM || k == SIM_E_DUR || k == SIM_E_PARAM;
    return e;
}

static sim_expr *parse_sum(parser *ps);

static sim_expr *parse_expr(parser *ps);

static const char *type_name(sim_type t) { return t == SIM_T_DUR ? "a duration" : "an integer"; }

static sim_expr *parse_unary_(parser *ps);

/* Every nested expression goes through here: the depth is bounded, so no
 * input can exhaust the stack. */
static sim_expr *parse_unary(parser *ps) {
    if (++ps->expr_depth > SIM_MAX_EXPR_DEPTH) {
        perr(ps, ps->t.pos, ERR_LIMIT, "expression nested deeper than %d", SIM_MAX_EXPR_DEPTH);
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
        next(ps);
        sim_expr *a = parse_unary(ps);
        if (!a) return NULL;
        sim_expr *e = new_expr(ps, SIM_E_NEG, t.pos);
        e->a = a;
        e->type = a->type;
        e->is_const = a->is_const;
        return e;
    }
    if (t.kind == T_INT || t.kind == T_DUR) {
        next(ps);
        sim_expr *e = new_expr(ps, t.kind == T_INT ? SIM_E_NUM : SIM_E_DUR, t.pos);
        e->value = t.value;
        e->type = t.kind == T_INT ? SIM_T_INT : SIM_T_DUR;
        return e;
    }
    if (is_p(&t, '(')) {
        next(ps);
        sim_expr *e = parse_expr(ps);
        if (!e || expect_p(ps, ')', "to close the parenthesis")) return NULL;
        return e;
    }
    if (t.kind == T_IDENT) {
        next(ps);
        if (is_p(&ps->t, '(')) {
            bool is_min = t.len == 3 && !memcmp(t.s, "min", 3), is_max = t.len == 3 && !memcmp(t.s, "max", 3);
            if (!is_min && !is_max) {
                perr(ps, t.pos, ERR_SCENARIO, "unknown function '%.*s'", (int)t.len, t.s);
                hint(ps, "the functions are min(a, b) and max(a, b)");
                return NULL;
            }
            next(ps);
            sim_expr *a = parse_expr(ps);
            if (!a || expect_p(ps, ',', "between the arguments")) return NULL;
            sim_expr *b = parse_expr(ps);
            if (!b || expect_p(ps, ')', "after the arguments")) return NULL;
            if (a->type != b->type) {
                perr(ps, b->pos, ERR_SCENARIO, "%s() of %s and %s", is_min ? "min" : "max", type_name(a->type),
                     type_name(b->type));
                return NULL;
            }
            sim_expr *e = new_expr(ps, SIM_E_CALL, t.pos);
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
                perr(ps, b->pos, ERR_SCENARIO, "uniform between %s and %s", type_name(a->type), type_name(b->type));
                return NULL;
            }
            sim_expr *e = new_expr(ps, SIM_E_UNIFORM, t.pos);
            e->a = a; e->b = b; e->type = a->type;
            return e;
        }
        if (is_kw(&t, "exp")) {
            sim_expr *a = parse_unary(ps);
            if (!a) return NULL;
            sim_expr *e = new_expr(ps, SIM_E_EXP, t.pos);
            e->a = a; e->type = a->type;
            return e;
        }
        if (is_kw(&t, "choice")) {
            sim_expr *e = new_expr(ps, SIM_E_CHOICE, t.pos);
            sim_expr **tmp = NULL;
            size_t cap = 0, n = 0;
            for (;;) {
                sim_expr *it = parse_sum(ps);
                if (it && n && it->type != tmp[0]->type)
                    perr(ps, it->pos, ERR_SCENARIO, "choice mixes %s and %s", type_name(tmp[0]->type),
                         type_name(it->type));
                if (!it || ps->err) { free(tmp); return NULL; }
                ARR_PUSH(tmp, n, cap, it);
                if (n > 4096) { free(tmp); perr(ps, t.pos, ERR_LIMIT, "a choice of more than 4096 values"); return NULL; }
                if (!is_p(&ps->t, ',')) break;
                next(ps);
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
            sim_expr *e = new_expr(ps, SIM_E_LAST, t.pos);
            e->fn = is_kw(&t, "ok") ? "ok" : "timed_out";
            e->type = SIM_T_INT;
            return e;
        }
        if (is_kw(&t, "index")) {
            sim_expr *e = new_expr(ps, SIM_E_INDEX, t.pos);
            e->type = SIM_T_INT;
            return e;
        }
        if (is_kw(&t, "arg")) {
            if (!ps->arg_ok) {
                perr(ps, t.pos, ERR_SCENARIO, "'arg' has a value only in a task, or in a map or as_completed body");
                hint(ps, "pass a value with: submit POOL TASK arg=EXPR");
                return NULL;
            }
            sim_expr *e = new_expr(ps, SIM_E_ARG, t.pos);
            e->type = SIM_T_INT;
            return e;
        }
        if (is_kw(&t, "makespan")) {
            if (!ps->in_expect) {
                perr(ps, t.pos, ERR_SCENARIO, "'makespan' is known only after the run: use it in an expect");
                return NULL;
            }
            sim_expr *e = new_expr(ps, SIM_E_MAKESPAN, t.pos);
            e->type = SIM_T_DUR;
            e->param = UINT32_MAX;
            if (is_p(&ps->t, '[')) {
                next(ps);
                tok pt = ps->t;
                if (pt.kind != T_IDENT) {
                    char b[64];
                    perr(ps, pt.pos, ERR_SCENARIO, "expected a parameter name after 'makespan[', found %s",
                         tok_desc(&pt, b, sizeof b));
                    return NULL;
                }
                int pi = find_param(ps->p, pt.s, pt.len);
                if (pi < 0) {
                    perr(ps, pt.pos, ERR_SCENARIO, "unknown parameter '%.*s' in makespan[...]", (int)pt.len, pt.s);
                    hint(ps, "makespan[P=V] names the run of a sweep over param P with the value V");
                    return NULL;
                }
                next(ps);
                if (expect_p(ps, '=', "after the parameter")) return NULL;
                bool saved = ps->in_expect;
                ps->in_expect = false;
                e->a = parse_sum(ps);
                ps->in_expect = saved;
                if (!e->a) return NULL;
                if (!e->a->is_const) {
                    perr(ps, e->a->pos, ERR_SCENARIO, "the value in makespan[...] must be a constant");
                    return NULL;
                }
                if (e->a->type != ps->p->params[pi].type) {
                    perr(ps, e->a->pos, ERR_SCENARIO, "parameter '%s' is %s, the value is %s", ps->p->params[pi].name,
                         type_name(ps->p->params[pi].type), type_name(e->a->type));
                    return NULL;
                }
                if (expect_p(ps, ']', "to close makespan[")) return NULL;
                e->param = (uint32_t)pi;
                ps->across_runs = true;
            }
            return e;
        }
        for (uint32_t li = 0; li < ps->p->nlocals; li++)
            if (strlen(ps->p->locals[li].name) == t.len && !memcmp(ps->p->locals[li].name, t.s, t.len)) {
                sim_expr *e = new_expr(ps, SIM_E_LOCAL, t.pos);
                e->param = li;
                e->type = SIM_T_INT;
                return e;
            }
        int pi = find_param(ps->p, t.s, t.len);
        if (pi < 0) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)t.len, t.s);
            int oi = find_object(ps->p, name);
            if (oi >= 0 && ps->p->objects[oi].kind == SIM_OBJ_COUNTER) {
                sim_expr *e = new_expr(ps, SIM_E_COUNTER, t.pos);
                e->obj = (uint32_t)oi;
                e->type = SIM_T_INT;
                return e;
            }
            if (oi >= 0) {
                perr(ps, t.pos, ERR_SCENARIO, "'%s' is not a number: only params and counters have values", name);
                return NULL;
            }
            perr(ps, t.pos, ERR_SCENARIO, "unknown parameter '%s'", name);
            const char **names = xmalloc(sizeof *names * (ps->p->nparams + ps->p->nobjects + 1));
            size_t nn = 0;
            for (uint32_t i = 0; i < ps->p->nparams; i++) names[nn++] = ps->p->params[i].name;
            for (uint32_t i = 0; i < ps->p->nobjects; i++)
                if (ps->p->objects[i].kind == SIM_OBJ_COUNTER) names[nn++] = ps->p->objects[i].name;
            const char *c = closest(name, names, nn);
            free(names);
            if (c) hint(ps, "did you mean '%s'?", c);
            else if (ps->p->nparams == 0) hint(ps, "declare it first: param %s = ...", name);
            return NULL;
        }
        sim_expr *e = new_expr(ps, SIM_E_PARAM, t.pos);
        e->param = (uint32_t)pi;
        e->type = ps->p->params[pi].type;
        return e;
    }
    char b[64];
    perr(ps, t.pos, ERR_SCENARIO, "expected a number, a duration or a parameter, found %s", tok_desc(&t, b, sizeof b));
    return NULL;
}

static sim_expr *mk_bin(parser *ps, int op, sim_pos pos, sim_expr *a, sim_expr *b) {
    sim_type ta = a->type, tb = b->type, r;
    const char *opname = op == '+' ? "add" : op == '-' ? "subtract" : op == '*' ? "multiply" : op == '/' ? "divide" : "take the remainder of";
    switch (op) {
    case '+': case '-':
        if (ta != tb) {
            perr(ps, pos, ERR_SCENARIO, "cannot %s %s and %s", opname, type_name(ta), type_name(tb));
            hint(ps, "give both sides a unit, e.g. 2ms + 500us");
            return NULL;
        }
        r = ta; break;
    case '*':
        if (ta == SIM_T_DUR && tb == SIM_T_DUR) {
            perr(ps, pos, ERR_SCENARIO, "cannot multiply two durations");
            return NULL;
        }
        r = ta == SIM_T_DUR || tb == SIM_T_DUR ? SIM_T_DUR : SIM_T_INT; break;
    case '&': case '|':
        if (ta != SIM_T_INT || tb != SIM_T_INT) {
            perr(ps, pos, ERR_SCENARIO, "'%s' needs two conditions, not %s and %s", op == '&' ? "and" : "or",
                 type_name(ta), type_name(tb));
            return NULL;
        }
        r = SIM_T_INT; break;
    case '/':
        if (ta == SIM_T_INT && tb == SIM_T_DUR) {
            perr(ps, pos, ERR_SCENARIO, "cannot divide an integer by a duration");
            return NULL;
        }
        r = ta == SIM_T_DUR && tb == SIM_T_INT ? SIM_T_DUR : SIM_T_INT; break;
    case '%':
        if (ta != tb) {
            perr(ps, pos, ERR_SCENARIO, "cannot %s %s and %s", opname, type_name(ta), type_name(tb));
            return NULL;
        }
        r = ta; break;
    default:
        if (ta != tb) {
            perr(ps, pos, ERR_SCENARIO, "cannot compare %s with %s", type_name(ta), type_name(tb));
            return NULL;
        }
        r = SIM_T_INT; break;
    }
    sim_expr *e = new_expr(ps, SIM_E_BIN, pos);
    e->op = op; e->a = a; e->b = b; e->type = r;
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
        next(ps);
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
static sim_expr *parse_sum(parser *ps) { return parse_chain(ps, parse_prod, match_add); }

static sim_expr *parse_cmp(parser *ps) {
    sim_expr *a = parse_sum(ps);
    if (a && ps->t.kind == T_PUNCT && strchr("<>lg=!", ps->t.punct) && ps->t.punct) {
        tok op = ps->t;
        if (op.punct == '=' && op.len == 1) return a;   /* a lone '=' is not a comparison */
        if (op.punct == '!' && op.len == 1) return a;
        next(ps);
        sim_expr *b = parse_sum(ps);
        if (!b) return NULL;
        a = mk_bin(ps, op.punct, op.pos, a, b);
    }
    return a;
}

static sim_expr *parse_and(parser *ps) { return parse_chain(ps, parse_cmp, match_and); }
static sim_expr *parse_expr(parser *ps) { return parse_chain(ps, parse_and, match_or); }

uint64_t sim_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int eval_err(diag *d, const sim_program *p, sim_pos pos, int code, const char *msg) {
    if (d) {
        diag_clear(d);
        snprintf(d->file, sizeof d->file, "%s", p && p->path ? p->path : "");
        d->line = pos.line;
        d->col = pos.col;
        snprintf(d->msg, sizeof d->msg, "%s", msg);
    }
    return -code;
}

int sim_eval(const sim_expr *e, const sim_program *p, sim_eval_ctx *ctx, int64_t *out, diag *d) {
    int64_t a, b;
    int rc;
    switch (e->kind) {
    case SIM_E_NUM: case SIM_E_DUR: *out = e->value; return 0;
    case SIM_E_PARAM: *out = p->params[e->param].value; return 0;
    case SIM_E_NEG:
        if ((rc = sim_eval(e->a, p, ctx, &a, d))) return rc;
        if (a == INT64_MIN) return eval_err(d, p, e->pos, ERR_LIMIT, "arithmetic overflow");
        *out = -a;
        return 0;
    case SIM_E_CALL:
        if ((rc = sim_eval(e->a, p, ctx, &a, d)) || (rc = sim_eval(e->b, p, ctx, &b, d))) return rc;
        *out = e->fn[1] == 'i' ? (a < b ? a : b) : (a > b ? a : b);
        return 0;
    case SIM_E_UNIFORM: case SIM_E_EXP: case SIM_E_CHOICE: case SIM_E_COUNTER: case SIM_E_LAST: case SIM_E_INDEX:
    case SIM_E_ARG: case SIM_E_LOCAL: case SIM_E_MAKESPAN:
        if (!ctx) return eval_err(d, p, e->pos, ERR_SCENARIO, "this value is only known while the scenario runs");
        break;
    case SIM_E_BIN:
        if ((rc = sim_eval(e->a, p, ctx, &a, d)) || (rc = sim_eval(e->b, p, ctx, &b, d))) return rc;
        switch (e->op) {
        case '+': if (__builtin_add_overflow(a, b, out)) goto overflow; return 0;
        case '-': if (__builtin_sub_overflow(a, b, out)) goto overflow; return 0;
        case '*': if (__builtin_mul_overflow(a, b, out)) goto overflow; return 0;
        case '/': case '%':
            if (b == 0) return eval_err(d, p, e->pos, ERR_SCENARIO, "division by zero");
            if (a == INT64_MIN && b == -1) goto overflow;
            *out = e->op == '/' ? a / b : a % b;
            return 0;
        case '<': *out = a < b; return 0;
        case '>': *out = a > b; return 0;
        case 'l': *out = a <= b; return 0;
        case 'g': *out = a >= b; return 0;
        case '=': *out = a == b; return 0;
        case '!': *out = a != b; return 0;
        case '&': *out = a && b; return 0;
        case '|': *out = a || b; return 0;
        default: BUG("unknown operator %d", e->op);
        }
    }
    switch (e->kind) {
    case SIM_E_UNIFORM: {
        if ((rc = sim_eval(e->a, p, ctx, &a, d)) || (rc = sim_eval(e->b, p, ctx, &b, d))) return rc;
        if (b < a) return eval_err(d, p, e->pos, ERR_SCENARIO, "uniform's upper bound is below its lower bound");
        uint64_t span = (uint64_t)b - (uint64_t)a + 1;
        uint64_t r = sim_rng_next(ctx->rng);
        *out = span ? a + (int64_t)(r % span) : (int64_t)r;
        return 0;
    }
    case SIM_E_EXP: {
        if ((rc = sim_eval(e->a, p, ctx, &a, d))) return rc;
        if (a < 0) return eval_err(d, p, e->pos, ERR_SCENARIO, "exp's mean is negative");
        double u = ((double)(sim_rng_next(ctx->rng) >> 11) + 0.5) / 9007199254740992.0;
        double v = -log(u) * (double)a;
        if (v > 9.0e18) v = 9.0e18;
        *out = (int64_t)v;
        return 0;
    }
    case SIM_E_CHOICE: {
        uint32_t i = (uint32_t)(sim_rng_next(ctx->rng) % e->nitems);
        return sim_eval(e->items[i], p, ctx, out, d);
    }
    case SIM_E_COUNTER: *out = ctx->counter(ctx->user, e->obj); return 0;
    case SIM_E_LAST: *out = e->fn[0] == 't' ? ctx->last_timed_out : !ctx->last_timed_out; return 0;
    case SIM_E_INDEX: *out = ctx->index; return 0;
    case SIM_E_ARG: *out = ctx->arg; return 0;
    case SIM_E_LOCAL: *out = ctx->locals ? ctx->locals[e->param] : 0; return 0;
    case SIM_E_MAKESPAN: {
        int64_t v = 0;
        if (e->a && (rc = sim_eval(e->a, p, ctx, &v, d))) return rc;
        if (!ctx->makespan || !ctx->makespan(ctx->user, e->param, v, out)) {
            char msg[256];
            if (e->param == UINT32_MAX) snprintf(msg, sizeof msg, "the makespan is not known here");
            else snprintf(msg, sizeof msg, "no run with %s=%lld was recorded (run a sweep over %s)", p->params[e->param].name,
                          (long long)v, p->params[e->param].name);
            return eval_err(d, p, e->pos, ERR_SCENARIO, msg);
        }
        return 0;
    }
    default: break;
    }
    BUG("unknown expression kind %d", e->kind);
overflow:
    return eval_err(d, p, e->pos, ERR_LIMIT, "arithmetic overflow");
}

/* Evaluates a constant expression at parse time; errors name its place. */
static int eval(parser *ps, const sim_expr *e, int64_t *out) {
    if (ps->err) return ps->err;
    diag tmp;
    int rc = sim_eval(e, ps->p, NULL, out, &tmp);
    if (rc) {
        perr(ps, (sim_pos){ tmp.line, tmp.col }, -rc, "%s", tmp.msg);
        return ps->err;
    }
    return 0;
}

static int require_type(parser *ps, const sim_expr *e, sim_type want, const char *what) {
    if (e->type == want) return 0;
    perr(ps, e->pos, ERR_SCENARIO, "%s must be %s, not %s", what, type_name(want), type_name(e->type));
    if (want == SIM_T_DUR) hint(ps, "add a unit: ns, us, ms or s");
    else hint(ps, "drop the unit, or divide by a duration");
    return ps->err;
}

/* ---- statements -------------------------------------------------------- */

static const char *const stmt_keywords[] = { "compute", "sleep", "lock", "unlock", "acquire", "release", "put", "get",
                                             "repeat", "loop", "break", "if", "wait", "wait_for", "notify",
                                             "notify_all", "set", "clear", "incr", "decr", "mark", "spawn", "join",
                                             "let", "submit", "map", "result", "cancel", "on_done", "as_completed",
                                             "shutdown", "read_lock", "read_unlock", "write_lock", "write_unlock",
                                             "read", "write", "task_done" };
static const char *const top_keywords[] = { "scenario", "param", "backend", "lock", "rlock", "semaphore", "queue",
                                            "event", "condition", "barrier", "counter", "actor", "expect", "pool",
                                            "task", "local", "sweep", "rwlock", "record" };

static const char *obj_kind_name(sim_obj_kind k) {
    switch (k) {
    case SIM_OBJ_LOCK: return "lock";
    case SIM_OBJ_QUEUE: return "queue";
    case SIM_OBJ_RLOCK: return "rlock";
    case SIM_OBJ_SEMAPHORE: return "semaphore";
    case SIM_OBJ_CONDITION: return "condition";
    case SIM_OBJ_EVENT: return "event";
    case SIM_OBJ_BARRIER: return "barrier";
    case SIM_OBJ_COUNTER: return "counter";
    case SIM_OBJ_POOL: return "pool";
    case SIM_OBJ_RWLOCK: return "rwlock";
    }
    return "object";
}

static sim_stmt *new_stmt(parser *ps, sim_stmt_kind k, sim_pos pos) {
    sim_stmt *s = arena_push(&ps->p->mem, sizeof *s);
    s->kind = k;
    s->pos = pos;
    return s;
}

static sim_stmt *parse_block(parser *ps, int depth, int loops);

#define K_RWLOCK (1u << SIM_OBJ_RWLOCK)

/* An object reference whose kind is in the `want` mask (1 << kind). */
static int object_ref(parser *ps, unsigned want, const char *verb, uint32_t *out) {
    tok t = ps->t;
    const char *name = take_ident(ps, "an object name");
    if (!name) return ps->err;
    int oi = find_object(ps->p, name);
    char kinds[128] = "";
    for (int k = 1; k <= SIM_OBJ_POOL; k++)
        if (want & (1u << k)) {
            if (kinds[0]) strcat(kinds, " or ");
            strcat(kinds, obj_kind_name((sim_obj_kind)k));
        }
    if (oi < 0) {
        perr(ps, t.pos, ERR_SCENARIO, "unknown %s '%s'", kinds, name);
        const char **names = xmalloc(sizeof *names * (ps->p->nobjects + 1));
        size_t n = 0;
        for (uint32_t i = 0; i < ps->p->nobjects; i++)
            if (want & (1u << ps->p->objects[i].kind)) names[n++] = ps->p->objects[i].name;
        const char *c = closest(name, names, n);
        free(names);
        if (c) hint(ps, "did you mean '%s'?", c);
        else hint(ps, "declare it at the top, e.g. %s %s%s", obj_kind_name((sim_obj_kind)__builtin_ctz(want)), name,
                  want == (1u << SIM_OBJ_QUEUE) ? " capacity=N" : "");
        return ps->err;
    }
    const sim_object *o = &ps->p->objects[oi];
    if (!(want & (1u << o->kind))) {
        const char *kn = obj_kind_name(o->kind);
        perr(ps, t.pos, ERR_SCENARIO, "'%s' is %s %s: cannot %s it", name,
             strchr("aeiou", kn[0]) || o->kind == SIM_OBJ_RWLOCK ? "an" : "a", kn, verb);
        if (o->kind == SIM_OBJ_SEMAPHORE && !strcmp(verb, "lock"))
            hint(ps, "a semaphore is taken with 'acquire %s' and given back with 'release %s'", name, name);
        else if (o->kind == SIM_OBJ_SEMAPHORE && !strcmp(verb, "unlock"))
            hint(ps, "give a permit back with 'release %s'", name);
        else if (o->kind == SIM_OBJ_RWLOCK)
            hint(ps, "an rwlock is taken with 'read_lock %s' (shared) or 'write_lock %s' (exclusive), or with "
                     "'read %s { ... }' / 'write %s { ... }'", name, name, name, name);
        else if (want == K_RWLOCK)
            hint(ps, "'%s' is declared at line %d; %s works on an rwlock: declare 'rwlock %s' for shared readers", name,
                 o->pos.line, verb, name);
        else
            hint(ps, "'%s' is declared at line %d; %s works on %s", name, o->pos.line, verb, kinds);
        return ps->err;
    }
    *out = (uint32_t)oi;
    return 0;
}

/* Optional `timeout=D` after a blocking step. */
static int parse_timeout(parser *ps, sim_stmt *s) {
    if (!is_kw(&ps->t, "timeout")) return 0;
    next(ps);
    if (expect_p(ps, '=', "after timeout")) return ps->err;
    s->timeout = parse_expr(ps);
    if (!s->timeout || require_type(ps, s->timeout, SIM_T_DUR, "a timeout")) return ps->err;
    return 0;
}

/* A name of an actor, task or future slot: resolved when the whole file is read. */
static int name_ref(parser *ps, int kind, uint32_t *target, const char *what) {
    tok t = ps->t;
    const char *name = take_ident(ps, what);
    if (!name) return ps->err;
    if (ps->nfix >= 1000000) return perr(ps, t.pos, ERR_LIMIT, "too many references");
    ARR_GROW(ps->fix, ps->nfix + 1, ps->cap_fix);
    ps->fix[ps->nfix++] = (struct fixup){ kind, target, name, t.pos, ps->cur_actor, 0, 0 };
    return 0;
}

static uint32_t future_slot(parser *ps, const char *name, sim_pos pos) {
    sim_program *p = ps->p;
    for (uint32_t i = 0; i < p->nfuts; i++)
        if (!strcmp(p->futs[i].name, name)) return i;
    ARR_GROW(p->futs, p->nfuts + 1, ps->cap_futs);
    p->futs[p->nfuts] = (sim_name){ name, pos };
    return p->nfuts++;
}

/* A `key=` option after a step: true when `key` comes next (its '=' is then taken, or an error set). */
static bool take_option(parser *ps, const char *key) {
    if (!is_kw(&ps->t, key)) return false;
    next(ps);
    if (!is_p(&ps->t, '=')) {
        char b[64];
        perr(ps, ps->t.pos, ERR_SCENARIO, "expected '=' after %s, found %s", key, tok_desc(&ps->t, b, sizeof b));
    } else {
        next(ps);
    }
    return true;
}

/* A body whose `arg` is the item's (map, as_completed): optional. */
static sim_stmt *parse_item_body(parser *ps, int depth, int loops, bool *has) {
    *has = is_p(&ps->t, '{');
    if (!*has) return NULL;
    bool saved = ps->arg_ok;
    ps->arg_ok = true;
    sim_stmt *b = parse_block(ps, depth + 1, loops + 1);
    ps->arg_ok = saved;
    return b;
}

#define K(x) (1u << (x))

/* ---- rwlock and queue steps ---------------------------------------------- */

/* After put/get, in any order: timeout=D, nowait, and (put on a priority queue) priority=EXPR. */
static int parse_put_get_options(parser *ps, sim_stmt *s) {
    const sim_object *q = &ps->p->objects[s->obj];
    const char *when = s->kind == SIM_S_PUT ? "full" : "empty";
    for (;;) {
        tok t = ps->t;
        if (is_kw(&t, "timeout") || is_kw(&t, "nowait")) {
            bool is_nowait = is_kw(&t, "nowait");
            if (is_nowait ? s->nowait : s->timeout != NULL)
                return perr(ps, t.pos, ERR_SCENARIO, "%s is given twice", is_nowait ? "nowait" : "timeout=");
            if (is_nowait ? s->timeout != NULL : s->nowait) {
                perr(ps, t.pos, ERR_SCENARIO, "nowait and timeout= cannot go together");
                hint(ps, "nowait never waits: the step fails at once when '%s' is %s; timeout=D waits up to D. "
                         "Keep one", q->name, when);
                return ps->err;
            }
            if (!is_nowait) {
                if (parse_timeout(ps, s)) return ps->err;
                continue;
            }
            next(ps);
            s->nowait = true;
        } else if (is_kw(&t, "priority")) {
            if (s->kind == SIM_S_GET) {
                perr(ps, t.pos, ERR_SCENARIO, "get takes no priority=");
                hint(ps, "get always takes the item with the lowest priority; give each item its priority when you "
                         "put it: put %s priority=N", q->name);
                return ps->err;
            }
            if (q->subkind != TRC_QUEUE_PRIORITY) {
                perr(ps, t.pos, ERR_SCENARIO, "'%s' is a %s queue: priority= needs a priority queue", q->name,
                     trc_queue_kind_name(q->subkind));
                hint(ps, "declare it with kind=priority (line %d): queue %s capacity=N kind=priority", q->pos.line,
                     q->name);
                return ps->err;
            }
            if (s->priority) return perr(ps, t.pos, ERR_SCENARIO, "priority= is given twice");
            next(ps);
            if (expect_p(ps, '=', "after priority")) return ps->err;
            s->priority = parse_expr(ps);
            if (!s->priority || require_type(ps, s->priority, SIM_T_INT, "a priority")) return ps->err;
        } else {
            return 0;
        }
    }
}

/* `join Q` where Q names a queue. Checked before every other step, so that a
 * `join` of something else (a unit) can have its own branch. */
static bool is_queue_join(const parser *ps, const tok *t) {
    if (!is_kw(t, "join") || ps->t.kind != T_IDENT || ps->t.len >= 128) return false;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)ps->t.len, ps->t.s);
    int oi = find_object(ps->p, name);
    return oi >= 0 && ps->p->objects[oi].kind == SIM_OBJ_QUEUE;
}

static bool is_rwq_step(const tok *t) {
    return is_kw(t, "read_lock") || is_kw(t, "read_unlock") || is_kw(t, "write_lock") || is_kw(t, "write_unlock") ||
           is_kw(t, "read") || is_kw(t, "write") || is_kw(t, "task_done") || is_kw(t, "join");
}

/* read_lock/write_lock X [timeout], read_unlock/write_unlock X, read/write X block,
 * task_done Q, join Q [timeout]. `t` is the step's keyword, already consumed. */
static sim_stmt *parse_rwq_step(parser *ps, tok t, int depth, int loops) {
    sim_stmt *s;
    bool is_read = is_kw(&t, "read_lock") || is_kw(&t, "read_unlock") || is_kw(&t, "read");
    const char *side = is_read ? "read" : "write";
    if (is_kw(&t, "read_lock") || is_kw(&t, "write_lock")) {
        s = new_stmt(ps, is_read ? SIM_S_READ_LOCK : SIM_S_WRITE_LOCK, t.pos);
        if (object_ref(ps, K_RWLOCK, is_read ? "read_lock" : "write_lock", &s->obj)) return NULL;
        if (parse_timeout(ps, s)) return NULL;
        if (is_p(&ps->t, '{')) {
            const char *name = ps->p->objects[s->obj].name;
            perr(ps, ps->t.pos, ERR_SCENARIO, "%s_lock takes no block", side);
            hint(ps, "the block form is '%s %s { ... }': it takes the %s lock, runs the block and releases it", side,
                 name, side);
            return NULL;
        }
    } else if (is_kw(&t, "read_unlock") || is_kw(&t, "write_unlock")) {
        s = new_stmt(ps, is_read ? SIM_S_READ_UNLOCK : SIM_S_WRITE_UNLOCK, t.pos);
        if (object_ref(ps, K_RWLOCK, is_read ? "read_unlock" : "write_unlock", &s->obj)) return NULL;
    } else if (is_kw(&t, "read") || is_kw(&t, "write")) {
        s = new_stmt(ps, is_read ? SIM_S_READ_BLOCK : SIM_S_WRITE_BLOCK, t.pos);
        if (object_ref(ps, K_RWLOCK, side, &s->obj)) return NULL;
        const char *name = ps->p->objects[s->obj].name;
        if (is_kw(&ps->t, "timeout")) {
            perr(ps, ps->t.pos, ERR_SCENARIO, "a block form cannot have a timeout");
            hint(ps, "use '%s_lock %s timeout=D', then 'if ok { ... %s_unlock %s }'", side, name, side, name);
            return NULL;
        }
        if (!is_p(&ps->t, '{')) {
            char b[64];
            perr(ps, ps->t.pos, ERR_SCENARIO, "expected '{' after '%s %s', found %s", side, name,
                 tok_desc(&ps->t, b, sizeof b));
            hint(ps, "'%s %s { ... }' holds the %s lock for the block; '%s_lock %s' takes it for the steps that follow",
                 side, name, side, side, name);
            return NULL;
        }
        s->body = parse_block(ps, depth + 1, loops);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "task_done")) {
        s = new_stmt(ps, SIM_S_TASK_DONE, t.pos);
        if (object_ref(ps, K(SIM_OBJ_QUEUE), "call task_done on", &s->obj)) return NULL;
    } else {
        s = new_stmt(ps, SIM_S_QUEUE_JOIN, t.pos);
        if (object_ref(ps, K(SIM_OBJ_QUEUE), "join", &s->obj)) return NULL;
        if (parse_timeout(ps, s)) return NULL;
    }
    return s;
}

static sim_stmt *parse_stmt(parser *ps, int depth, int loops) {
    tok t = ps->t;
    if (t.kind != T_IDENT) {
        char b[64];
        perr(ps, t.pos, ERR_SCENARIO, "expected a step (compute, sleep, lock, put, get, repeat...), found %s",
             tok_desc(&t, b, sizeof b));
        return NULL;
    }
    next(ps);
    sim_stmt *s = NULL;
    if (is_queue_join(ps, &t)) {
        s = parse_rwq_step(ps, t, depth, loops);
        return s && !end_statement(ps) ? s : NULL;
    }
    if (is_kw(&t, "compute") || is_kw(&t, "sleep")) {
        s = new_stmt(ps, is_kw(&t, "compute") ? SIM_S_COMPUTE : SIM_S_SLEEP, t.pos);
        s->expr = parse_expr(ps);
        if (!s->expr) return NULL;
        if (require_type(ps, s->expr, SIM_T_DUR, is_kw(&t, "compute") ? "compute's argument" : "sleep's argument"))
            return NULL;
    } else if (is_kw(&t, "lock") || is_kw(&t, "acquire")) {
        bool acq = is_kw(&t, "acquire");
        s = new_stmt(ps, SIM_S_LOCK, t.pos);
        if (object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK) | (acq ? K(SIM_OBJ_SEMAPHORE) : 0), acq ? "acquire" : "lock",
                       &s->obj))
            return NULL;
        if (parse_timeout(ps, s)) return NULL;
        if (is_p(&ps->t, '{')) {
            if (s->timeout) {
                perr(ps, s->timeout->pos, ERR_SCENARIO, "a block form cannot have a timeout");
                hint(ps, "use '%s X timeout=D', then 'if ok { ... }'", acq ? "acquire" : "lock");
                return NULL;
            }
            s->kind = SIM_S_LOCK_BLOCK;
            s->body = parse_block(ps, depth + 1, loops);
            if (ps->err) return NULL;
        }
    } else if (is_kw(&t, "unlock") || is_kw(&t, "release")) {
        bool rel = is_kw(&t, "release");
        s = new_stmt(ps, SIM_S_UNLOCK, t.pos);
        if (object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK) | (rel ? K(SIM_OBJ_SEMAPHORE) : 0), rel ? "release" : "unlock",
                       &s->obj))
            return NULL;
    } else if (is_kw(&t, "put") || is_kw(&t, "get")) {
        s = new_stmt(ps, is_kw(&t, "put") ? SIM_S_PUT : SIM_S_GET, t.pos);
        if (object_ref(ps, K(SIM_OBJ_QUEUE), is_kw(&t, "put") ? "put into" : "get from", &s->obj)) return NULL;
        if (parse_put_get_options(ps, s)) return NULL;
    } else if (is_kw(&t, "repeat")) {
        s = new_stmt(ps, SIM_S_REPEAT, t.pos);
        s->expr = parse_expr(ps);
        if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "a repeat count")) return NULL;
        s->body = parse_block(ps, depth + 1, loops + 1);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "loop")) {
        s = new_stmt(ps, SIM_S_LOOP, t.pos);
        s->body = parse_block(ps, depth + 1, loops + 1);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "break")) {
        if (!loops) {
            perr(ps, t.pos, ERR_SCENARIO, "break outside a loop or repeat");
            return NULL;
        }
        s = new_stmt(ps, SIM_S_BREAK, t.pos);
    } else if (is_kw(&t, "if")) {
        s = new_stmt(ps, SIM_S_IF, t.pos);
        s->cond = parse_expr(ps);
        if (!s->cond || require_type(ps, s->cond, SIM_T_INT, "a condition")) return NULL;
        s->body = parse_block(ps, depth + 1, loops);
        if (ps->err) return NULL;
        /* `else` may follow on the same line as the '}' or on the next one */
        const char *save = ps->cur;
        int sl = ps->line, sc = ps->col;
        tok st = ps->t;
        skip_newlines(ps);
        if (is_kw(&ps->t, "else")) {
            next(ps);
            if (is_kw(&ps->t, "if")) {
                s->orelse = parse_stmt(ps, depth + 1, loops);
                if (!s->orelse) return NULL;
                return s;    /* the nested if ended the statement */
            }
            s->orelse = parse_block(ps, depth + 1, loops);
            if (ps->err) return NULL;
        } else {
            ps->cur = save; ps->line = sl; ps->col = sc; ps->t = st;
        }
    } else if (is_kw(&t, "wait")) {
        s = new_stmt(ps, SIM_S_WAIT, t.pos);
        if (object_ref(ps, K(SIM_OBJ_EVENT) | K(SIM_OBJ_CONDITION) | K(SIM_OBJ_BARRIER), "wait on", &s->obj)) return NULL;
        if (parse_timeout(ps, s)) return NULL;
    } else if (is_kw(&t, "wait_for")) {
        s = new_stmt(ps, SIM_S_WAIT_FOR, t.pos);
        if (object_ref(ps, K(SIM_OBJ_CONDITION), "wait_for", &s->obj)) return NULL;
        s->cond = parse_expr(ps);
        if (!s->cond || require_type(ps, s->cond, SIM_T_INT, "a predicate")) return NULL;
        if (parse_timeout(ps, s)) return NULL;
    } else if (is_kw(&t, "notify") || is_kw(&t, "notify_all")) {
        s = new_stmt(ps, is_kw(&t, "notify") ? SIM_S_NOTIFY : SIM_S_NOTIFY_ALL, t.pos);
        if (object_ref(ps, K(SIM_OBJ_CONDITION), is_kw(&t, "notify") ? "notify" : "notify_all", &s->obj)) return NULL;
        if (s->kind == SIM_S_NOTIFY && ps->t.kind != T_NL && ps->t.kind != T_EOF && !is_p(&ps->t, ';') &&
            !is_p(&ps->t, '}')) {
            s->expr = parse_expr(ps);
            if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "how many to notify")) return NULL;
        }
    } else if (is_kw(&t, "set") || is_kw(&t, "clear")) {
        s = new_stmt(ps, is_kw(&t, "set") ? SIM_S_SET : SIM_S_CLEAR, t.pos);
        if (object_ref(ps, K(SIM_OBJ_EVENT), is_kw(&t, "set") ? "set" : "clear", &s->obj)) return NULL;
    } else if (is_kw(&t, "incr") || is_kw(&t, "decr")) {
        bool decr = is_kw(&t, "decr");
        s = new_stmt(ps, SIM_S_INCR, t.pos);
        if (object_ref(ps, K(SIM_OBJ_COUNTER), decr ? "decrement" : "increment", &s->obj)) return NULL;
        if (is_kw(&ps->t, "by")) {
            next(ps);
            s->expr = parse_expr(ps);
            if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "an increment")) return NULL;
        }
        if (decr) {
            sim_expr *one = s->expr;
            if (!one) { one = new_expr(ps, SIM_E_NUM, t.pos); one->value = 1; one->type = SIM_T_INT; }
            sim_expr *neg = new_expr(ps, SIM_E_NEG, t.pos);
            neg->a = one; neg->type = SIM_T_INT; neg->is_const = one->is_const;
            s->expr = neg;
        }
        s->mode = SIM_INCR_ATOMIC;
        if (is_kw(&ps->t, "atomic")) next(ps);
        else if (is_kw(&ps->t, "racy")) {
            next(ps);
            s->mode = SIM_INCR_RACY;
            if (is_kw(&ps->t, "window")) {
                next(ps);
                if (expect_p(ps, '=', "after window")) return NULL;
                s->window = parse_expr(ps);
                if (!s->window || require_type(ps, s->window, SIM_T_DUR, "a racy window")) return NULL;
            }
        } else if (is_kw(&ps->t, "locked")) {
            next(ps);
            s->mode = SIM_INCR_LOCKED;
            if (object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK), "lock", &s->lock)) return NULL;
        }
    } else if (is_kw(&t, "spawn")) {
        s = new_stmt(ps, SIM_S_SPAWN, t.pos);
        if (name_ref(ps, FIX_SPAWN, &s->actor, "the name of the actor to start")) return NULL;
    } else if (is_kw(&t, "join")) {
        s = new_stmt(ps, SIM_S_JOIN, t.pos);
        if (name_ref(ps, FIX_ACTOR, &s->actor, "the name of the actor to join")) return NULL;
        if (parse_timeout(ps, s)) return NULL;
    } else if (is_kw(&t, "let")) {
        s = new_stmt(ps, SIM_S_LET, t.pos);
        tok nt = ps->t;
        const char *name = take_ident(ps, "the name of a thread-local value");
        if (!name) return NULL;
        uint32_t li = UINT32_MAX;
        for (uint32_t i = 0; i < ps->p->nlocals; i++)
            if (!strcmp(ps->p->locals[i].name, name)) li = i;
        if (li == UINT32_MAX) {
            perr(ps, nt.pos, ERR_SCENARIO, "unknown thread-local value '%s'", name);
            hint(ps, "declare it at the top: local %s", name);
            return NULL;
        }
        s->local = li;
        if (expect_p(ps, '=', "after the local's name")) return NULL;
        s->expr = parse_expr(ps);
        if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "a local's value")) return NULL;
    } else if (is_kw(&t, "submit") || is_kw(&t, "map")) {
        bool map = is_kw(&t, "map");
        s = new_stmt(ps, map ? SIM_S_MAP : SIM_S_SUBMIT, t.pos);
        s->fut = UINT32_MAX;
        if (object_ref(ps, K(SIM_OBJ_POOL), map ? "map over" : "submit to", &s->obj)) return NULL;
        if (name_ref(ps, FIX_TASK, &s->task, "a task name")) return NULL;
        if (map) {
            s->expr = parse_expr(ps);
            if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "how many items map runs")) return NULL;
            if (parse_timeout(ps, s)) return NULL;
            bool has;
            s->body = parse_item_body(ps, depth, loops, &has);
            if (ps->err) return NULL;
        } else {
            for (;;) {
                if (take_option(ps, "arg")) {
                    if (ps->err) return NULL;
                    s->expr = parse_expr(ps);
                    if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "a task's arg")) return NULL;
                } else if (is_kw(&ps->t, "as")) {
                    next(ps);
                    tok ft = ps->t;
                    const char *fname = take_ident(ps, "a name for the future");
                    if (!fname) return NULL;
                    s->fut = future_slot(ps, fname, ft.pos);
                } else break;
            }
        }
    } else if (is_kw(&t, "result") || is_kw(&t, "cancel") || is_kw(&t, "on_done")) {
        s = new_stmt(ps, is_kw(&t, "result") ? SIM_S_RESULT : is_kw(&t, "cancel") ? SIM_S_CANCEL : SIM_S_ON_DONE, t.pos);
        if (name_ref(ps, FIX_FUT, &s->fut, "a future's name (from submit ... as NAME)")) return NULL;
        if (s->kind == SIM_S_RESULT && parse_timeout(ps, s)) return NULL;
        if (s->kind == SIM_S_ON_DONE && name_ref(ps, FIX_TASK, &s->task, "the task to run as the done-callback"))
            return NULL;
    } else if (is_kw(&t, "as_completed")) {
        s = new_stmt(ps, SIM_S_AS_COMPLETED, t.pos);
        if (parse_timeout(ps, s)) return NULL;
        bool has;
        s->body = parse_item_body(ps, depth, loops, &has);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "shutdown")) {
        s = new_stmt(ps, SIM_S_SHUTDOWN, t.pos);
        s->wait = true;
        if (object_ref(ps, K(SIM_OBJ_POOL), "shut down", &s->obj)) return NULL;
        if (take_option(ps, "wait")) {
            if (ps->err) return NULL;
            if (is_kw(&ps->t, "yes") || is_kw(&ps->t, "no")) {
                s->wait = is_kw(&ps->t, "yes");
                next(ps);
            } else {
                char b[64];
                perr(ps, ps->t.pos, ERR_SCENARIO, "expected yes or no after wait=, found %s", tok_desc(&ps->t, b, sizeof b));
                return NULL;
            }
        }
    } else if (is_kw(&t, "mark")) {
        s = new_stmt(ps, SIM_S_MARK, t.pos);
        if (ps->t.kind != T_STRING) {
            char b[64];
            perr(ps, ps->t.pos, ERR_SCENARIO, "expected a \"text\" after mark, found %s", tok_desc(&ps->t, b, sizeof b));
            return NULL;
        }
        s->text = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
        ARR_GROW(ps->p->strings, ps->p->nstrings + 1, ps->cap_strings);
        s->text_id = ps->p->nstrings;
        ps->p->strings[ps->p->nstrings++] = s->text;
        next(ps);
    } else if (is_rwq_step(&t)) {
        s = parse_rwq_step(ps, t, depth, loops);
        if (!s) return NULL;
    } else {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)t.len, t.s);
        perr(ps, t.pos, ERR_SCENARIO, "unknown step '%s'", name);
        const char *c = closest(name, stmt_keywords, sizeof stmt_keywords / sizeof *stmt_keywords);
        if (c) hint(ps, "did you mean '%s'?", c);
        else hint(ps, "the steps are: compute, sleep, lock, unlock, acquire, release, put, get, wait, wait_for, "
                      "notify, notify_all, set, clear, incr, decr, repeat, loop, break, if, mark, spawn, join, let, "
                      "submit, map, result, cancel, on_done, as_completed, shutdown, read_lock, read_unlock, write_lock, "
                      "write_unlock, read, write, task_done");
        return NULL;
    }
    if (end_statement(ps)) return NULL;
    return s;
}

static sim_stmt *parse_block(parser *ps, int depth, int loops) {
    if (depth > SIM_MAX_NESTING) {
        perr(ps, ps->t.pos, ERR_LIMIT, "blocks nested deeper than %d", SIM_MAX_NESTING);
        return NULL;
    }
    sim_pos open = ps->t.pos;
    if (expect_p(ps, '{', "to open a block")) return NULL;
    skip_newlines(ps);
    sim_stmt *head = NULL, **tail = &head;
    while (!is_p(&ps->t, '}')) {
        if (ps->t.kind == T_EOF) {
            perr(ps, open, ERR_SCENARIO, "this '{' is never closed");
            return NULL;
        }
        sim_stmt *s = parse_stmt(ps, depth, loops);
        if (!s) return NULL;
        *tail = s;
        tail = &s->next;
    }
    next(ps);
    return head;
}

/* ---- top level --------------------------------------------------------- */

static int check_unique(parser *ps, const char *name, sim_pos pos) {
    sim_program *p = ps->p;
    for (uint32_t i = 0; i < p->nparams; i++)
        if (!strcmp(p->params[i].name, name))
            return perr(ps, pos, ERR_SCENARIO, "'%s' is already a parameter (line %d)", name, p->params[i].pos.line);
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (!strcmp(p->objects[i].name, name))
            return perr(ps, pos, ERR_SCENARIO, "'%s' is already declared (line %d)", name, p->objects[i].pos.line);
    for (uint32_t i = 0; i < p->nactors; i++)
        if (!strcmp(p->actors[i].name, name))
            return perr(ps, pos, ERR_SCENARIO, "'%s' is already an actor (line %d)", name, p->actors[i].pos.line);
    for (uint32_t i = 0; i < p->ntasks; i++)
        if (!strcmp(p->tasks[i].name, name))
            return perr(ps, pos, ERR_SCENARIO, "'%s' is already a task (line %d)", name, p->tasks[i].pos.line);
    for (uint32_t i = 0; i < p->nlocals; i++)
        if (!strcmp(p->locals[i].name, name))
            return perr(ps, pos, ERR_SCENARIO, "'%s' is already a local (line %d)", name, p->locals[i].pos.line);
    return 0;
}

/* ---- rwlock and queue declarations --------------------------------------- */

/* queue ... kind=fifo|lifo|priority; `kind` is consumed. */
static int parse_queue_kind(parser *ps, sim_object *o) {
    if (expect_p(ps, '=', "after kind")) return ps->err;
    tok vt = ps->t;
    static const char *const kinds[] = { "fifo", "lifo", "priority" };   /* trc_queue_kind order */
    for (uint32_t k = 0; k < 3; k++)
        if (is_kw(&vt, kinds[k])) {
            o->subkind = k;
            next(ps);
            return 0;
        }
    char name[64], b[64];
    snprintf(name, sizeof name, "%.*s", (int)(vt.len > 40 ? 40 : vt.len), vt.s);
    if (vt.kind != T_IDENT)
        return perr(ps, vt.pos, ERR_SCENARIO, "expected a queue kind (fifo, lifo or priority), found %s",
                    tok_desc(&vt, b, sizeof b));
    perr(ps, vt.pos, ERR_SCENARIO, "unknown queue kind '%s'", name);
    const char *c = closest(name, kinds, 3);
    if (c) hint(ps, "did you mean '%s'?", c);
    else hint(ps, "kind=fifo (the default: oldest first), kind=lifo (newest first) or kind=priority (lowest first)");
    return ps->err;
}

/* prefer=EXPR: 0 = writers, 1 = readers (a param can switch it with -D). */
static int rw_prefer_value(parser *ps, sim_object *o) {
    int64_t v;
    if (eval(ps, o->prefer_expr, &v)) return ps->err;
    if (v != 0 && v != 1) {
        perr(ps, o->prefer_expr->pos, ERR_SCENARIO,
             "rwlock '%s': prefer= is %lld; it must be writers (0) or readers (1)", o->name, (long long)v);
        hint(ps, "prefer=writers, prefer=readers, or a param that is 0 (writers) or 1 (readers)");
        return ps->err;
    }
    o->prefer = v ? SIM_RW_READERS : SIM_RW_WRITERS;
    return 0;
}

/* rwlock NAME [prefer=writers|readers|EXPR]; `rwlock` is consumed. */
/* record [complete|drop] [accept_losses] [ring=N] [max_events=N]: how the run
 * is recorded (the command line's --record, --accept-losses, --ring and
 * --max-events override it). */
static int parse_record_decl(parser *ps, sim_pos at) {
    sim_record *rc = &ps->p->record;
    if (rc->said) {
        perr(ps, at, ERR_SCENARIO, "a second 'record' line (the first is at line %d)", rc->pos.line);
        hint(ps, "put every recording option on one line: record drop accept_losses");
        return ps->err;
    }
    rc->said = true;
    rc->pos = at;
    if (ps->t.kind != T_IDENT) {
        char b[64];
        perr(ps, ps->t.pos, ERR_SCENARIO, "expected a recording option after 'record', found %s",
             tok_desc(&ps->t, b, sizeof b));
        hint(ps, "record complete | drop, accept_losses, ring=EVENTS, max_events=N");
        return ps->err;
    }
    while (ps->t.kind == T_IDENT) {
        tok kt = ps->t;
        next(ps);
        if (is_kw(&kt, "complete") || is_kw(&kt, "drop")) {
            rc->mode = is_kw(&kt, "drop") ? TRC_REC_DROP : TRC_REC_COMPLETE;
            rc->mode_said = true;
        } else if (is_kw(&kt, "accept_losses")) {
            rc->accept_losses = true;
        } else if (is_kw(&kt, "ring") || is_kw(&kt, "max_events")) {
            bool ring = is_kw(&kt, "ring");
            if (expect_p(ps, '=', ring ? "after ring" : "after max_events")) return ps->err;
            sim_expr *e = parse_expr(ps);
            int64_t v;
            if (!e || require_type(ps, e, SIM_T_INT, ring ? "a ring size" : "an event limit")) return ps->err;
            if (!e->is_const) return perr(ps, e->pos, ERR_SCENARIO, "a recording option must be a constant");
            if (eval(ps, e, &v)) return ps->err;
            if (ring && (v < 64 || v > TRC_RING_MAX))
                return perr(ps, e->pos, ERR_SCENARIO, "ring=%lld: a ring holds 64 to %u events", (long long)v,
                            TRC_RING_MAX);
            if (!ring && v < 0)
                return perr(ps, e->pos, ERR_SCENARIO, "max_events=%lld: give a number of events (0: no limit)",
                            (long long)v);
            if (ring) rc->ring = v;
            else { rc->max_events = v; rc->max_events_said = true; }
        } else {
            static const char *const opts[] = { "complete", "drop", "accept_losses", "ring", "max_events" };
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)kt.len, kt.s);
            perr(ps, kt.pos, ERR_SCENARIO, "unknown recording option '%s'", name);
            const char *c = closest(name, opts, 5);
            hint(ps, c ? "did you mean '%s'?" : "record takes complete or drop, accept_losses, ring=EVENTS, max_events=N",
                 c);
            return ps->err;
        }
    }
    return 0;
}

static int parse_rwlock_decl(parser *ps) {
    sim_program *p = ps->p;
    tok nt = ps->t;
    const char *name = take_ident(ps, "an rwlock name");
    if (!name || check_unique(ps, name, nt.pos)) return ps->err;
    if (p->nobjects >= SIM_MAX_OBJECTS) return perr(ps, nt.pos, ERR_LIMIT, "more than %d objects", SIM_MAX_OBJECTS);
    sim_object o = { .name = name, .pos = nt.pos, .kind = SIM_OBJ_RWLOCK, .prefer = SIM_RW_WRITERS };
    while (ps->t.kind == T_IDENT) {
        tok kt = ps->t;
        next(ps);
        if (!is_kw(&kt, "prefer")) {
            perr(ps, kt.pos, ERR_SCENARIO, "unknown rwlock option '%.*s'", (int)kt.len, kt.s);
            hint(ps, "an rwlock takes prefer=writers (the default) or prefer=readers");
            return ps->err;
        }
        if (expect_p(ps, '=', "after prefer")) return ps->err;
        tok vt = ps->t;
        if (is_kw(&vt, "writers") || is_kw(&vt, "readers")) {
            o.prefer = is_kw(&vt, "readers") ? SIM_RW_READERS : SIM_RW_WRITERS;
            o.prefer_expr = NULL;
            next(ps);
            continue;
        }
        if (vt.kind == T_IDENT && find_param(p, vt.s, vt.len) < 0) {
            static const char *const sides[] = { "writers", "readers" };
            char word[64];
            snprintf(word, sizeof word, "%.*s", (int)(vt.len > 40 ? 40 : vt.len), vt.s);
            perr(ps, vt.pos, ERR_SCENARIO, "unknown preference '%s'", word);
            const char *c = closest(word, sides, 2);
            if (c) hint(ps, "did you mean '%s'?", c);
            else hint(ps, "prefer=writers (a waiting writer holds back new readers) or prefer=readers (readers "
                          "overtake waiting writers)");
            return ps->err;
        }
        o.prefer_expr = parse_expr(ps);
        if (!o.prefer_expr || require_type(ps, o.prefer_expr, SIM_T_INT, "prefer=")) return ps->err;
        if (!o.prefer_expr->is_const)
            return perr(ps, o.prefer_expr->pos, ERR_SCENARIO, "prefer= must be a constant");
        if (rw_prefer_value(ps, &o)) return ps->err;
    }
    ARR_GROW(p->objects, p->nobjects + 1, ps->cap_objects);
    p->objects[p->nobjects++] = o;
    return 0;
}

/* After -D overrides: prefer=EXPR may name a param that changed. */
static int rwlocks_after_defines(parser *ps) {
    for (uint32_t i = 0; i < ps->p->nobjects && !ps->err; i++) {
        sim_object *o = &ps->p->objects[i];
        if (o->kind == SIM_OBJ_RWLOCK && o->prefer_expr) rw_prefer_value(ps, o);
    }
    return ps->err;
}

static int parse_toplevel(parser *ps) {
    sim_program *p = ps->p;
    tok t = ps->t;
    if (t.kind != T_IDENT) {
        char b[64];
        return perr(ps, t.pos, ERR_SCENARIO, "expected a declaration (scenario, param, lock, queue, actor, expect), found %s",
                    tok_desc(&t, b, sizeof b));
    }
    next(ps);
    if (is_kw(&t, "scenario")) {
        if (ps->t.kind != T_STRING) {
            char b[64];
            return perr(ps, ps->t.pos, ERR_SCENARIO, "expected the scenario's title as a \"string\", found %s",
                        tok_desc(&ps->t, b, sizeof b));
        }
        p->title = arena_strndup(&p->mem, ps->t.s, ps->t.len);
        next(ps);
    } else if (is_kw(&t, "param")) {
        tok nt = ps->t;
        const char *name = take_ident(ps, "a parameter name");
        if (!name || check_unique(ps, name, nt.pos)) return ps->err;
        if (expect_p(ps, '=', "after the parameter's name")) return ps->err;
        sim_expr *e = parse_expr(ps);
        if (!e) return ps->err;
        if (!e->is_const) {
            perr(ps, e->pos, ERR_SCENARIO, "a param must be a constant (no random values, counters or step results)");
            hint(ps, "use the random value where it is needed, e.g. sleep uniform 1ms 3ms");
            return ps->err;
        }
        if (p->nparams >= SIM_MAX_PARAMS) return perr(ps, nt.pos, ERR_LIMIT, "more than %d parameters", SIM_MAX_PARAMS);
        ARR_GROW(p->params, p->nparams + 1, ps->cap_params);
        sim_param *pa = &p->params[p->nparams];
        *pa = (sim_param){ .name = name, .pos = nt.pos, .expr = e, .type = e->type };
        if (eval(ps, e, &pa->value)) return ps->err;
        p->nparams++;
    } else if (is_kw(&t, "backend")) {
        tok bt = ps->t;
        const char *name = take_ident(ps, "a backend name");
        if (!name) return ps->err;
        static const char *const backends[] = { "threads", "processes", "coroutines" };
        if (!strcmp(name, "processes") || !strcmp(name, "coroutines")) {
            perr(ps, bt.pos, ERR_UNSUPPORTED, "backend '%s' is not available in this version of weft", name);
            hint(ps, "use 'backend threads'");
            return ps->err;
        }
        if (strcmp(name, "threads")) {
            perr(ps, bt.pos, ERR_SCENARIO, "unknown backend '%s'", name);
            const char *c = closest(name, backends, 3);
            hint(ps, c ? "did you mean '%s'?" : "the backends are threads, processes and coroutines", c);
            return ps->err;
        }
        p->backend = name;
    } else if (is_kw(&t, "lock") || is_kw(&t, "rlock") || is_kw(&t, "queue") || is_kw(&t, "semaphore") ||
               is_kw(&t, "event") || is_kw(&t, "condition") || is_kw(&t, "barrier") || is_kw(&t, "counter") ||
               is_kw(&t, "pool")) {
        sim_obj_kind kind = is_kw(&t, "lock") ? SIM_OBJ_LOCK : is_kw(&t, "rlock") ? SIM_OBJ_RLOCK
                          : is_kw(&t, "queue") ? SIM_OBJ_QUEUE : is_kw(&t, "semaphore") ? SIM_OBJ_SEMAPHORE
                          : is_kw(&t, "event") ? SIM_OBJ_EVENT : is_kw(&t, "condition") ? SIM_OBJ_CONDITION
                          : is_kw(&t, "barrier") ? SIM_OBJ_BARRIER : is_kw(&t, "pool") ? SIM_OBJ_POOL : SIM_OBJ_COUNTER;
        tok nt = ps->t;
        char what[32];
        snprintf(what, sizeof what, "a %s name", obj_kind_name(kind));
        const char *name = take_ident(ps, what);
        if (!name || check_unique(ps, name, nt.pos)) return ps->err;
        if (p->nobjects >= SIM_MAX_OBJECTS) return perr(ps, nt.pos, ERR_LIMIT, "more than %d objects", SIM_MAX_OBJECTS);
        sim_object o = { .name = name, .pos = nt.pos, .kind = kind };
        if (kind == SIM_OBJ_SEMAPHORE || kind == SIM_OBJ_BARRIER || kind == SIM_OBJ_COUNTER || kind == SIM_OBJ_POOL) {
            /* semaphore s 3 | barrier b 3 | counter c = 0 (also permits=3, parties=3) */
            if (kind == SIM_OBJ_COUNTER) {
                if (!is_p(&ps->t, '=')) {
                    o.capacity = NULL;
                    o.cap_value = 0;
                    goto declared;
                }
                next(ps);
            } else if (is_kw(&ps->t, kind == SIM_OBJ_SEMAPHORE ? "permits" : kind == SIM_OBJ_BARRIER ? "parties" : "workers")) {
                /* the option's name, when '=' follows (else it is a param of that name) */
                const char *save = ps->cur;
                int sl = ps->line, sc = ps->col;
                tok st = ps->t;
                next(ps);
                if (is_p(&ps->t, '=')) next(ps);
                else { ps->cur = save; ps->line = sl; ps->col = sc; ps->t = st; }
            }
            o.capacity = parse_expr(ps);
            const char *role = kind == SIM_OBJ_SEMAPHORE ? "a semaphore's permits" : kind == SIM_OBJ_BARRIER
                             ? "a barrier's parties" : kind == SIM_OBJ_POOL ? "a pool's workers" : "a counter's initial value";
            if (!o.capacity || require_type(ps, o.capacity, SIM_T_INT, role)) return ps->err;
            if (!o.capacity->is_const) return perr(ps, o.capacity->pos, ERR_SCENARIO, "%s must be a constant", role);
            if (eval(ps, o.capacity, &o.cap_value)) return ps->err;
            if (kind == SIM_OBJ_SEMAPHORE && (o.cap_value < 0 || o.cap_value > SIM_MAX_CAPACITY))
                return perr(ps, o.capacity->pos, o.cap_value < 0 ? ERR_SCENARIO : ERR_LIMIT,
                            "a semaphore's permits must be 0..%d, not %lld", SIM_MAX_CAPACITY, (long long)o.cap_value);
            if (kind == SIM_OBJ_BARRIER && (o.cap_value < 1 || o.cap_value > SIM_MAX_UNITS))
                return perr(ps, o.capacity->pos, o.cap_value < 1 ? ERR_SCENARIO : ERR_LIMIT,
                            "a barrier's parties must be 1..%d, not %lld", SIM_MAX_UNITS, (long long)o.cap_value);
            if (kind == SIM_OBJ_POOL && (o.cap_value < 1 || o.cap_value > SIM_MAX_UNITS))
                return perr(ps, o.capacity->pos, o.cap_value < 1 ? ERR_SCENARIO : ERR_LIMIT,
                            "a pool's workers must be 1..%d, not %lld", SIM_MAX_UNITS, (long long)o.cap_value);
        } else if (kind == SIM_OBJ_CONDITION) {
            /* condition c lock=m: bound to an existing lock or rlock */
            if (!is_kw(&ps->t, "lock")) {
                char b2[64];
                perr(ps, ps->t.pos, ERR_SCENARIO, "expected lock=NAME after the condition's name, found %s",
                     tok_desc(&ps->t, b2, sizeof b2));
                hint(ps, "a condition is bound to a lock: lock m, then condition %s lock=m", name);
                return ps->err;
            }
            next(ps);
            if (expect_p(ps, '=', "after lock")) return ps->err;
            if (object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK), "bind a condition to", &o.lock)) return ps->err;
        } else {
            while (ps->t.kind == T_IDENT) {
                tok kt = ps->t;
                next(ps);
                if (kind == SIM_OBJ_QUEUE && is_kw(&kt, "capacity")) {
                    if (expect_p(ps, '=', "after capacity")) return ps->err;
                    o.capacity = parse_expr(ps);
                    if (!o.capacity || require_type(ps, o.capacity, SIM_T_INT, "a queue's capacity")) return ps->err;
                    if (eval(ps, o.capacity, &o.cap_value)) return ps->err;
                    if (o.cap_value <= 0)
                        return perr(ps, o.capacity->pos, ERR_SCENARIO, "a queue's capacity must be at least 1, not %lld",
                                    (long long)o.cap_value);
                    if (o.cap_value > SIM_MAX_CAPACITY)
                        return perr(ps, o.capacity->pos, ERR_LIMIT, "capacity %lld is larger than weft's limit of %d",
                                    (long long)o.cap_value, SIM_MAX_CAPACITY);
                } else if (kind == SIM_OBJ_QUEUE && is_kw(&kt, "kind")) {
                    if (parse_queue_kind(ps, &o)) return ps->err;
                } else {
                    perr(ps, kt.pos, ERR_SCENARIO, "unknown %s option '%.*s'", obj_kind_name(kind), (int)kt.len, kt.s);
                    if (kind == SIM_OBJ_QUEUE) hint(ps, "a queue takes capacity=N and kind=fifo|lifo|priority");
                    else hint(ps, "a %s takes no options", obj_kind_name(kind));
                    return ps->err;
                }
            }
            if (kind == SIM_OBJ_QUEUE && !o.capacity) {
                perr(ps, nt.pos, ERR_SCENARIO, "queue '%s' needs a capacity", name);
                hint(ps, "queue %s capacity=N", name);
                return ps->err;
            }
        }
    declared:
        ARR_GROW(p->objects, p->nobjects + 1, ps->cap_objects);
        p->objects[p->nobjects++] = o;
    } else if (is_kw(&t, "rwlock")) {
        if (parse_rwlock_decl(ps)) return ps->err;
    } else if (is_kw(&t, "record")) {
        if (parse_record_decl(ps, t.pos)) return ps->err;
    } else if (is_kw(&t, "actor")) {
        tok nt = ps->t;
        const char *name = take_ident(ps, "an actor name");
        if (!name || check_unique(ps, name, nt.pos)) return ps->err;
        sim_actor a = { .name = name, .pos = nt.pos, .count_value = 1 };
        if (is_p(&ps->t, '*')) {
            next(ps);
            a.count = parse_expr(ps);
            if (!a.count || require_type(ps, a.count, SIM_T_INT, "an actor's count")) return ps->err;
            if (eval(ps, a.count, &a.count_value)) return ps->err;
            if (a.count_value < 0)
                return perr(ps, a.count->pos, ERR_SCENARIO, "actor '%s' has a negative count (%lld)", name,
                            (long long)a.count_value);
            if (a.count_value > SIM_MAX_UNITS || p->nunits + (uint64_t)a.count_value > SIM_MAX_UNITS) {
                perr(ps, a.count->pos, ERR_LIMIT, "actor '%s' * %lld makes %llu units in all; weft runs at most %d",
                     name, (long long)a.count_value, (unsigned long long)(p->nunits + (uint64_t)a.count_value),
                     SIM_MAX_UNITS);
                hint(ps, "lower the count, or override it with -D");
                return ps->err;
            }
        }
        while (ps->t.kind == T_IDENT) {
            tok mt = ps->t;
            if (is_kw(&mt, "daemon")) a.daemon = true;
            else if (is_kw(&mt, "spawned")) a.spawned = true;
            else {
                perr(ps, mt.pos, ERR_SCENARIO, "expected '{' to open a block, found '%.*s'", (int)mt.len, mt.s);
                hint(ps, "after an actor's name come: * COUNT, daemon, spawned, then { ... }");
                return ps->err;
            }
            next(ps);
        }
        ps->cur_actor = p->nactors;
        ps->arg_ok = false;
        a.body = parse_block(ps, 1, 0);
        if (ps->err) return ps->err;
        p->nunits += (uint32_t)a.count_value;
        ARR_PUSH(p->actors, p->nactors, ps->cap_actors, a);
    } else if (is_kw(&t, "task")) {
        tok nt = ps->t;
        const char *name = take_ident(ps, "a task name");
        if (!name || check_unique(ps, name, nt.pos)) return ps->err;
        if (p->ntasks >= SIM_MAX_OBJECTS) return perr(ps, nt.pos, ERR_LIMIT, "more than %d tasks", SIM_MAX_OBJECTS);
        ps->cur_actor = UINT32_MAX;
        ps->arg_ok = true;
        sim_task tk = { .name = name, .pos = nt.pos };
        tk.body = parse_block(ps, 1, 0);
        ps->arg_ok = false;
        if (ps->err) return ps->err;
        ARR_PUSH(p->tasks, p->ntasks, ps->cap_tasks, tk);
    } else if (is_kw(&t, "local")) {
        tok nt = ps->t;
        const char *name = take_ident(ps, "the name of a thread-local value");
        if (!name || check_unique(ps, name, nt.pos)) return ps->err;
        if (p->nlocals >= SIM_MAX_PARAMS) return perr(ps, nt.pos, ERR_LIMIT, "more than %d locals", SIM_MAX_PARAMS);
        ARR_GROW(p->locals, p->nlocals + 1, ps->cap_locals);
        p->locals[p->nlocals++] = (sim_name){ name, nt.pos };
    } else if (is_kw(&t, "sweep")) {
        tok nt = ps->t;
        const char *name = take_ident(ps, "the name of the parameter to sweep");
        if (!name) return ps->err;
        if (p->sweep_param != UINT32_MAX)
            return perr(ps, t.pos, ERR_SCENARIO, "a scenario sweeps one parameter (line %d already does)", p->sweep_pos.line);
        int pi = find_param(p, name, strlen(name));
        if (pi < 0) {
            perr(ps, nt.pos, ERR_SCENARIO, "sweep over an unknown parameter '%s'", name);
            const char **names = xmalloc(sizeof *names * (p->nparams + 1));
            for (uint32_t i = 0; i < p->nparams; i++) names[i] = p->params[i].name;
            const char *c = closest(name, names, p->nparams);
            free(names);
            if (c) hint(ps, "did you mean '%s'?", c);
            else hint(ps, "declare it first: param %s = ...", name);
            return ps->err;
        }
        if (expect_p(ps, '=', "after the parameter's name")) return ps->err;
        int64_t vals[64];
        uint32_t n = 0;
        for (;;) {
            sim_expr *e = parse_sum(ps);
            if (!e) return ps->err;
            if (!e->is_const) return perr(ps, e->pos, ERR_SCENARIO, "a sweep value must be a constant");
            if (e->type != p->params[pi].type)
                return perr(ps, e->pos, ERR_SCENARIO, "parameter '%s' is %s, this value is %s", name,
                            type_name(p->params[pi].type), type_name(e->type));
            if (n == 64) return perr(ps, e->pos, ERR_LIMIT, "a sweep of more than 64 values");
            if (eval(ps, e, &vals[n])) return ps->err;
            n++;
            if (!is_p(&ps->t, ',')) break;
            next(ps);
        }
        p->sweep_param = (uint32_t)pi;
        p->sweep_pos = t.pos;
        p->sweep_values = arena_push(&p->mem, sizeof *vals * n);
        memcpy(p->sweep_values, vals, sizeof *vals * n);
        p->nsweep = n;
    } else if (is_kw(&t, "expect")) {
        tok et = ps->t;
        sim_expect x = { .pos = t.pos };
        if (is_kw(&et, "makespan") || is_p(&et, '(')) {
            /* expect makespan < 2s, expect makespan[workers=4] * 2 < makespan[workers=1] */
            ps->in_expect = true;
            ps->across_runs = false;
            x.kind = SIM_X_RELATION;
            x.value = parse_expr(ps);
            ps->in_expect = false;
            if (!x.value || require_type(ps, x.value, SIM_T_INT, "an expectation (a comparison)")) return ps->err;
            x.across_runs = ps->across_runs;
            ARR_PUSH(p->expects, p->nexpects, ps->cap_expects, x);
            return end_statement(ps);
        }
        if (is_kw(&et, "order")) {
            /* expect order A < B < C: actors (exit), tasks (last completion), "marks" (first) */
            next(ps);
            x.kind = SIM_X_ORDER;
            sim_order_item items[64];
            uint32_t n = 0;
            for (;;) {
                tok it = ps->t;
                if (n == 64) return perr(ps, it.pos, ERR_LIMIT, "an order of more than 64 items");
                if (it.kind == T_STRING) {
                    uint32_t id = UINT32_MAX;
                    for (uint32_t k = 0; k < p->nstrings; k++)
                        if (strlen(p->strings[k]) == it.len && !memcmp(p->strings[k], it.s, it.len)) id = k;
                    if (id == UINT32_MAX) {
                        perr(ps, it.pos, ERR_SCENARIO, "no step marks \"%.*s\"", (int)it.len, it.s);
                        hint(ps, "an order names actors, tasks or the text of a mark step above it");
                        return ps->err;
                    }
                    items[n++] = (sim_order_item){ SIM_ORD_MARK, id, it.pos };
                    next(ps);
                } else {
                    items[n] = (sim_order_item){ SIM_ORD_ACTOR, 0, it.pos };
                    if (name_ref(ps, FIX_ORDER, NULL, "an actor, a task or a \"mark text\"")) return ps->err;
                    ps->fix[ps->nfix - 1].xi = p->nexpects;
                    ps->fix[ps->nfix - 1].ii = n;
                    n++;
                }
                if (!is_p(&ps->t, '<')) break;
                next(ps);
            }
            if (n < 2) return perr(ps, et.pos, ERR_SCENARIO, "an order needs at least two items: A < B");
            x.items = arena_push(&p->mem, sizeof *items * n);
            memcpy(x.items, items, sizeof *items * n);
            x.nitems = n;
            ARR_PUSH(p->expects, p->nexpects, ps->cap_expects, x);
            return end_statement(ps);
        }
        const char *what = take_ident(ps, "an expectation (no_deadlock, all_done, deadlock, stuck, counter, lost_updates, "
                                          "order, makespan)");
        if (!what) return ps->err;
        if (!strcmp(what, "no_deadlock")) x.kind = SIM_X_NO_DEADLOCK;
        else if (!strcmp(what, "all_done")) x.kind = SIM_X_ALL_DONE;
        else if (!strcmp(what, "deadlock")) x.kind = SIM_X_DEADLOCK;
        else if (!strcmp(what, "stuck")) x.kind = SIM_X_STUCK;
        else if (!strcmp(what, "counter") || !strcmp(what, "lost_updates")) {
            x.kind = !strcmp(what, "counter") ? SIM_X_COUNTER : SIM_X_LOST_UPDATES;
            if (object_ref(ps, K(SIM_OBJ_COUNTER), "expect on", &x.obj)) return ps->err;
            tok op = ps->t;
            if (op.kind != T_PUNCT || !strchr("<>lg=!", op.punct) || (op.len == 1 && (op.punct == '=' || op.punct == '!'))) {
                char b2[64];
                perr(ps, op.pos, ERR_SCENARIO, "expected a comparison (== != < > <= >=), found %s",
                     tok_desc(&op, b2, sizeof b2));
                return ps->err;
            }
            next(ps);
            x.op = op.punct;
            x.value = parse_expr(ps);
            if (!x.value || require_type(ps, x.value, SIM_T_INT, "the expected value")) return ps->err;
            if (!x.value->is_const) return perr(ps, x.value->pos, ERR_SCENARIO, "the expected value must be a constant");
        } else {
            static const char *const xs[] = { "no_deadlock", "all_done", "deadlock", "stuck", "counter", "lost_updates",
                                              "order", "makespan" };
            perr(ps, et.pos, ERR_SCENARIO, "unknown expectation '%s'", what);
            const char *c = closest(what, xs, 8);
            hint(ps, c ? "did you mean '%s'?" : "expectations: no_deadlock, all_done, deadlock, stuck, counter, lost_updates, "
                 "order, makespan", c);
            return ps->err;
        }
        ARR_PUSH(p->expects, p->nexpects, ps->cap_expects, x);
    } else {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)t.len, t.s);
        const char *c = closest(name, top_keywords, sizeof top_keywords / sizeof *top_keywords);
        bool is_step = false;
        for (size_t i = 0; i < sizeof stmt_keywords / sizeof *stmt_keywords; i++)
            if (!strcmp(name, stmt_keywords[i])) is_step = true;
        perr(ps, t.pos, ERR_SCENARIO, is_step ? "'%s' is a step: it belongs inside an actor { ... }"
                                              : "unknown declaration '%s'", name);
        if (!is_step) {
            if (c) hint(ps, "did you mean '%s'?", c);
            else hint(ps, "declarations: scenario, param, backend, lock, queue, actor, expect");
        }
        return ps->err;
    }
    return end_statement(ps);
}

/* Checks a folded constant for the place it is used in. */
static int check_value(parser *ps, const sim_stmt *s, const sim_expr *e, int64_t v) {
    if (s->kind == SIM_S_REPEAT) {
        if (v < 0) return perr(ps, e->pos, ERR_SCENARIO, "repeat count is negative (%lld)", (long long)v);
        if (v > SIM_MAX_REPEAT)
            return perr(ps, e->pos, ERR_LIMIT, "repeat count %lld is larger than weft's limit of %lld", (long long)v,
                        (long long)SIM_MAX_REPEAT);
    } else if (e->type == SIM_T_DUR) {
        if (v < 0) return perr(ps, e->pos, ERR_SCENARIO, "duration is negative (%lld ns)", (long long)v);
        if ((uint64_t)v > SIM_MAX_DURATION)
            return perr(ps, e->pos, ERR_LIMIT, "a single step of %lld s is longer than weft's limit of 1 hour",
                        (long long)(v / 1000000000));
    } else if (s->kind == SIM_S_NOTIFY && v < 0) {
        return perr(ps, e->pos, ERR_SCENARIO, "cannot notify a negative number of waiters (%lld)", (long long)v);
    }
    return 0;
}

static int fold(parser *ps, const sim_stmt *s, sim_expr *e) {
    if (!e || !e->is_const) return 0;
    int64_t v;
    if (eval(ps, e, &v) || check_value(ps, s, e, v)) return ps->err;
    e->value = v;   /* folded value, read by the runtime */
    return 0;
}

/* Folds and checks every statement's constants (durations in range, counts >= 0);
 * the runtime checks the others when it evaluates them. */
static int check_stmts(parser *ps, sim_stmt *s) {
    for (; s; s = s->next) {
        if (fold(ps, s, s->expr) || fold(ps, s, s->timeout) || fold(ps, s, s->window) || fold(ps, s, s->cond))
            return ps->err;
        if (fold(ps, s, s->priority)) return ps->err;
        if (s->body && check_stmts(ps, s->body)) return ps->err;
        if (s->orelse && check_stmts(ps, s->orelse)) return ps->err;
    }
    return 0;
}

static int find_actor(const sim_program *p, const char *name) {
    for (uint32_t i = 0; i < p->nactors; i++)
        if (!strcmp(p->actors[i].name, name)) return (int)i;
    return -1;
}
static int find_task(const sim_program *p, const char *name) {
    for (uint32_t i = 0; i < p->ntasks; i++)
        if (!strcmp(p->tasks[i].name, name)) return (int)i;
    return -1;
}

static void hint_closest(parser *ps, const char *name, const sim_name *names, uint32_t n, const char *otherwise) {
    const char **v = xmalloc(sizeof *v * (n + 1));
    for (uint32_t i = 0; i < n; i++) v[i] = names[i].name;
    const char *c = closest(name, v, n);
    free(v);
    if (c) hint(ps, "did you mean '%s'?", c);
    else hint(ps, "%s", otherwise);
}

/* Resolves names used before their declaration; checks spawn and join. */
static int resolve_names(parser *ps) {
    sim_program *p = ps->p;
    sim_name *an = xmalloc(sizeof *an * (p->nactors + 1)), *tn = xmalloc(sizeof *tn * (p->ntasks + 1));
    for (uint32_t i = 0; i < p->nactors; i++) an[i] = (sim_name){ p->actors[i].name, p->actors[i].pos };
    for (uint32_t i = 0; i < p->ntasks; i++) tn[i] = (sim_name){ p->tasks[i].name, p->tasks[i].pos };
    bool *spawned_by_someone = xcalloc(p->nactors + 1, 1);
    for (size_t i = 0; i < ps->nfix && !ps->err; i++) {
        struct fixup *f = &ps->fix[i];
        int k;
        switch (f->kind) {
        case FIX_ACTOR: case FIX_SPAWN:
            k = find_actor(p, f->name);
            if (k < 0) {
                perr(ps, f->pos, ERR_SCENARIO, "unknown actor '%s'", f->name);
                hint_closest(ps, f->name, an, p->nactors, "declare it: actor NAME spawned { ... }");
                break;
            }
            if (f->kind == FIX_SPAWN && !p->actors[k].spawned) {
                perr(ps, f->pos, ERR_SCENARIO, "actor '%s' starts with the run: only a spawned actor is started by spawn",
                     f->name);
                hint(ps, "declare it at line %d as: actor %s spawned { ... }", p->actors[k].pos.line, f->name);
                break;
            }
            if (f->kind == FIX_ACTOR && f->from_actor == (uint32_t)k) {
                perr(ps, f->pos, ERR_SCENARIO, "actor '%s' joins itself: a thread cannot wait for its own end", f->name);
                break;
            }
            if (f->kind == FIX_SPAWN) spawned_by_someone[k] = true;
            *f->target = (uint32_t)k;
            break;
        case FIX_TASK:
            k = find_task(p, f->name);
            if (k < 0) {
                perr(ps, f->pos, ERR_SCENARIO, "unknown task '%s'", f->name);
                hint_closest(ps, f->name, tn, p->ntasks, "declare it: task NAME { ... }");
                break;
            }
            *f->target = (uint32_t)k;
            break;
        case FIX_FUT: {
            uint32_t slot = UINT32_MAX;
            for (uint32_t j = 0; j < p->nfuts; j++)
                if (!strcmp(p->futs[j].name, f->name)) slot = j;
            if (slot == UINT32_MAX) {
                perr(ps, f->pos, ERR_SCENARIO, "unknown future '%s'", f->name);
                hint_closest(ps, f->name, p->futs, p->nfuts, "name one where it is submitted: submit POOL TASK as NAME");
                break;
            }
            *f->target = slot;
            break;
        }
        case FIX_ORDER: {
            sim_order_item *it = &p->expects[f->xi].items[f->ii];
            if ((k = find_actor(p, f->name)) >= 0) *it = (sim_order_item){ SIM_ORD_ACTOR, (uint32_t)k, f->pos };
            else if ((k = find_task(p, f->name)) >= 0) *it = (sim_order_item){ SIM_ORD_TASK, (uint32_t)k, f->pos };
            else {
                perr(ps, f->pos, ERR_SCENARIO, "'%s' is not an actor or a task", f->name);
                hint_closest(ps, f->name, an, p->nactors, "an order names actors, tasks or \"mark texts\"");
            }
            break;
        }
        }
    }
    /* a spawned actor nobody spawns would never run */
    for (uint32_t i = 0; i < p->nactors && !ps->err; i++)
        if (p->actors[i].spawned && !spawned_by_someone[i]) {
            perr(ps, p->actors[i].pos, ERR_SCENARIO, "actor '%s' is spawned but no step spawns it", p->actors[i].name);
            hint(ps, "add 'spawn %s' to the actor that starts it, or drop 'spawned'", p->actors[i].name);
        }
    /* spawn cycles: a spawns b ... spawns a (each thread starts once, so it could never run) */
    if (!ps->err) {
        uint32_t na = p->nactors;
        uint8_t *color = xcalloc(na + 1, 1);   /* 0 new, 1 on the path, 2 done */
        uint32_t *stack = xmalloc(sizeof *stack * (na + 1)), *edge = xmalloc(sizeof *edge * (na + 1));
        for (uint32_t root = 0; root < na && !ps->err; root++) {
            if (color[root]) continue;
            uint32_t sp = 0;
            stack[sp] = root; edge[sp] = 0; sp++;
            color[root] = 1;
            while (sp && !ps->err) {
                uint32_t a = stack[sp - 1];
                size_t fi = edge[sp - 1];
                while (fi < ps->nfix && !(ps->fix[fi].kind == FIX_SPAWN && ps->fix[fi].from_actor == a)) fi++;
                if (fi == ps->nfix) { color[a] = 2; sp--; continue; }
                edge[sp - 1] = (uint32_t)fi + 1;
                uint32_t b = *ps->fix[fi].target;
                if (color[b] == 1) {
                    char path[512] = "";
                    size_t from = 0;
                    while (stack[from] != b) from++;
                    for (size_t q = from; q < sp; q++) {
                        size_t l = strlen(path);
                        snprintf(path + l, sizeof path - l, "%s spawns ", p->actors[stack[q]].name);
                    }
                    size_t l = strlen(path);
                    snprintf(path + l, sizeof path - l, "%s", p->actors[b].name);
                    perr(ps, ps->fix[fi].pos, ERR_SCENARIO, "a cycle in spawn: %s", path);
                    hint(ps, "a thread starts once; one actor of the cycle must start with the run");
                } else if (!color[b]) {
                    color[b] = 1;
                    stack[sp] = b; edge[sp] = 0; sp++;
                }
            }
        }
        free(color); free(stack); free(edge);
    }
    free(an); free(tn); free(spawned_by_someone);
    return ps->err;
}

/* Numbers the units: every actor's instances in order, then every pool's workers. */
static int count_units(parser *ps) {
    sim_program *p = ps->p;
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->nactors; i++) { p->actors[i].unit0 = (uint32_t)n; n += (uint64_t)p->actors[i].count_value; }
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (p->objects[i].kind == SIM_OBJ_POOL) {
            sim_object *o = &p->objects[i];
            if (o->cap_value < 1) return perr(ps, o->capacity->pos, ERR_SCENARIO, "pool '%s' needs at least 1 worker", o->name);
            o->unit0 = (uint32_t)(n < SIM_MAX_UNITS ? n : SIM_MAX_UNITS);
            n += (uint64_t)o->cap_value;
            if (n > SIM_MAX_UNITS)
                return perr(ps, o->capacity->pos, ERR_LIMIT, "pool '%s' makes %llu units in all; weft runs at most %d",
                            o->name, (unsigned long long)n, SIM_MAX_UNITS);
        }
    if (n > SIM_MAX_UNITS) return perr(ps, p->actors[0].pos, ERR_LIMIT, "%llu units in all; weft runs at most %d",
                                       (unsigned long long)n, SIM_MAX_UNITS);
    p->nunits = (uint32_t)n;
    return 0;
}

static int apply_define(parser *ps, const sim_define *def) {
    sim_program *p = ps->p;
    int pi = find_param(p, def->name, strlen(def->name));
    if (pi < 0) {
        diag *d = ps->d;
        const char **names = xmalloc(sizeof *names * (p->nparams + 1));
        for (uint32_t i = 0; i < p->nparams; i++) names[i] = p->params[i].name;
        const char *c = closest(def->name, names, p->nparams);
        free(names);
        if (d) {
            diag_clear(d);
            snprintf(d->file, sizeof d->file, "%s", ps->path);
            snprintf(d->msg, sizeof d->msg, "-D %s: the scenario has no parameter '%s'", def->name, def->name);
            if (c) snprintf(d->hint, sizeof d->hint, "did you mean '%s'?", c);
        }
        return ps->err = -ERR_USAGE;
    }
    /* parse the value with the scenario lexer, as an expression over earlier params */
    parser sub = *ps;
    sub.src = def->value;
    sub.cur = def->value;
    sub.line = 1; sub.col = 1;
    sub.path = "-D";
    next(&sub);
    sim_expr *e = parse_expr(&sub);
    if (e && sub.t.kind != T_EOF) {
        char b[64];
        perr(&sub, sub.t.pos, ERR_USAGE, "unexpected %s in the value", tok_desc(&sub.t, b, sizeof b));
    }
    int64_t v = 0;
    if (!sub.err && e && e->type != p->params[pi].type)
        perr(&sub, e->pos, ERR_USAGE, "-D %s: the parameter is %s, the value is %s", def->name,
             type_name(p->params[pi].type), type_name(e->type));
    if (!sub.err && e) eval(&sub, e, &v);
    if (sub.err || !e) {
        if (ps->d) snprintf(ps->d->file, sizeof ps->d->file, "-D %s=%s", def->name, def->value);
        return ps->err = sub.err ? sub.err : -ERR_USAGE;
    }
    p->params[pi].expr = e;
    p->params[pi].overridden = true;
    return 0;
}

void sim_program_free(sim_program *p) {
    if (!p) return;
    free(p->params);
    free(p->objects);
    free(p->actors);
    free(p->expects);
    free(p->strings);
    free(p->tasks);
    free(p->locals);
    free(p->futs);
    arena_release(&p->mem);
    free(p);
}

int sim_parse(sim_program **out, const char *path, const char *text, const sim_define *defs, uint32_t ndefs,
              diag *d) {
    *out = NULL;
    sim_program *p = xcalloc(1, sizeof *p);
    p->path = arena_strdup(&p->mem, path ? path : "<scenario>");
    p->text = arena_strdup(&p->mem, text);
    p->backend = "threads";
    p->sweep_param = UINT32_MAX;
    parser ps = { .p = p, .src = p->text, .path = p->path, .cur = p->text, .line = 1, .col = 1, .d = d,
                  .cur_actor = UINT32_MAX };
    if (strlen(text) > SIM_MAX_SOURCE) {
        diag_set(d, ERR_LIMIT, "%s: the scenario is larger than 16 MiB", ps.path);
        sim_program_free(p);
        return -ERR_LIMIT;
    }
    next(&ps);
    skip_newlines(&ps);
    while (!ps.err && ps.t.kind != T_EOF) {
        if (parse_toplevel(&ps)) break;
        skip_newlines(&ps);
    }
    if (!ps.err) resolve_names(&ps);
    /* -D overrides: re-evaluate every parameter in order, then every folded value */
    if (!ps.err && ndefs) {
        for (uint32_t i = 0; i < ndefs && !ps.err; i++) apply_define(&ps, &defs[i]);
        for (uint32_t i = 0; i < p->nparams && !ps.err; i++) eval(&ps, p->params[i].expr, &p->params[i].value);
        p->nunits = 0;
        for (uint32_t i = 0; i < p->nobjects && !ps.err; i++) {
            sim_object *o = &p->objects[i];
            if (o->capacity && !eval(&ps, o->capacity, &o->cap_value) && o->kind == SIM_OBJ_QUEUE &&
                (o->cap_value <= 0 || o->cap_value > SIM_MAX_CAPACITY))
                perr(&ps, o->capacity->pos, o->cap_value <= 0 ? ERR_SCENARIO : ERR_LIMIT,
                     "queue '%s' capacity is %lld; it must be 1..%d", o->name, (long long)o->cap_value, SIM_MAX_CAPACITY);
        }
        for (uint32_t i = 0; i < p->nactors && !ps.err; i++) {
            sim_actor *a = &p->actors[i];
            if (!a->count || eval(&ps, a->count, &a->count_value)) continue;
            if (a->count_value < 0)
                perr(&ps, a->count->pos, ERR_SCENARIO, "actor '%s' has a negative count (%lld)", a->name,
                     (long long)a->count_value);
            else if (p->nunits + (uint64_t)a->count_value > SIM_MAX_UNITS)
                perr(&ps, a->count->pos, ERR_LIMIT, "actor '%s' * %lld makes more than %d units", a->name,
                     (long long)a->count_value, SIM_MAX_UNITS);
            else p->nunits += (uint32_t)a->count_value;
        }
        if (!ps.err) {
            p->nunits = 0;
            for (uint32_t i = 0; i < p->nactors; i++) p->nunits += (uint32_t)p->actors[i].count_value;
        }
    }
    if (!ps.err && ndefs) rwlocks_after_defines(&ps);
    for (uint32_t i = 0; i < p->nactors && !ps.err; i++) check_stmts(&ps, p->actors[i].body);
    for (uint32_t i = 0; i < p->ntasks && !ps.err; i++) check_stmts(&ps, p->tasks[i].body);
    if (!ps.err && p->nactors) count_units(&ps);
    free(ps.fix);
    if (!ps.err && p->nactors == 0) {
        diag_clear(d);
        if (d) {
            snprintf(d->file, sizeof d->file, "%s", ps.path);
            d->line = ps.t.pos.line;
            d->col = ps.t.pos.col;
            snprintf(d->msg, sizeof d->msg, "the scenario has no actor");
            snprintf(d->hint, sizeof d->hint, "add one: actor worker * 2 { compute 1ms }");
        }
        ps.err = -ERR_SCENARIO;
    }
    if (ps.err) {
        sim_program_free(p);
        return ps.err;
    }
    if (!p->title) {
        const char *base = strrchr(p->path, '/');
        p->title = base ? base + 1 : p->path;
    }
    *out = p;
    return 0;
}

int sim_parse_file(sim_program **out, const char *path, const sim_define *defs, uint32_t ndefs, diag *d) {
    char *text;
    size_t len;
    *out = NULL;
    /* bounded, and refused at the first NUL byte: /dev/zero or a 10 GiB file is not read whole */
    int rc = file_read_max(path, SIM_MAX_SOURCE, true, &text, &len, d);
    if (rc == -ERR_LIMIT) return diag_set(d, ERR_LIMIT, "%s: the scenario is larger than 16 MiB", path);
    if (rc) return rc;
    if (strlen(text) != len) {
        free(text);
        return diag_set(d, ERR_SCENARIO, "%s: the file contains a NUL byte (is it a text file?)", path);
    }
    rc = sim_parse(out, path, text, defs, ndefs, d);
    free(text);
    return rc;
}
