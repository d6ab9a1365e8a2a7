/* The scenario language: lexer, recursive-descent parser and checker.
 *
 * Grammar (scenarios/README.md has the user's version):
 *
 *   program   := { toplevel sep }
 *   toplevel  := 'scenario' STRING | 'param' IDENT '=' expr | 'backend' IDENT
 *              | 'lock' IDENT | 'queue' IDENT { IDENT '=' expr }
 *              | 'actor' IDENT [ '*' expr ] block | 'expect' IDENT
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
    size_t cap_params, cap_objects, cap_actors, cap_expects, cap_strings;
} parser;

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
    if (strchr("{}()*+-/%=,<>;", c)) return;
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
    return e;
}

static sim_expr *parse_expr(parser *ps);

static const char *type_name(sim_type t) { return t == SIM_T_DUR ? "a duration" : "an integer"; }

static sim_expr *parse_unary(parser *ps) {
    tok t = ps->t;
    if (ps->err) return NULL;
    if (is_p(&t, '-')) {
        next(ps);
        sim_expr *a = parse_unary(ps);
        if (!a) return NULL;
        sim_expr *e = new_expr(ps, SIM_E_NEG, t.pos);
        e->a = a;
        e->type = a->type;
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
            return e;
        }
        int pi = find_param(ps->p, t.s, t.len);
        if (pi < 0) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)t.len, t.s);
            perr(ps, t.pos, ERR_SCENARIO, "unknown parameter '%s'", name);
            const char **names = xmalloc(sizeof *names * (ps->p->nparams + 1));
            for (uint32_t i = 0; i < ps->p->nparams; i++) names[i] = ps->p->params[i].name;
            const char *c = closest(name, names, ps->p->nparams);
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
    return e;
}

static sim_expr *parse_prod(parser *ps) {
    sim_expr *a = parse_unary(ps);
    while (a && (is_p(&ps->t, '*') || is_p(&ps->t, '/') || is_p(&ps->t, '%'))) {
        tok op = ps->t;
        next(ps);
        sim_expr *b = parse_unary(ps);
        if (!b) return NULL;
        a = mk_bin(ps, op.punct, op.pos, a, b);
    }
    return a;
}

static sim_expr *parse_sum(parser *ps) {
    sim_expr *a = parse_prod(ps);
    while (a && (is_p(&ps->t, '+') || is_p(&ps->t, '-'))) {
        tok op = ps->t;
        next(ps);
        sim_expr *b = parse_prod(ps);
        if (!b) return NULL;
        a = mk_bin(ps, op.punct, op.pos, a, b);
    }
    return a;
}

static sim_expr *parse_expr(parser *ps) {
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

/* Evaluates a constant expression. Errors (division by zero, overflow) name its place. */
static int eval(parser *ps, const sim_expr *e, int64_t *out) {
    int64_t a, b;
    switch (e->kind) {
    case SIM_E_NUM: case SIM_E_DUR: *out = e->value; return 0;
    case SIM_E_PARAM: *out = ps->p->params[e->param].value; return 0;
    case SIM_E_NEG:
        if (eval(ps, e->a, &a)) return ps->err;
        if (a == INT64_MIN) return perr(ps, e->pos, ERR_LIMIT, "arithmetic overflow");
        *out = -a;
        return 0;
    case SIM_E_CALL:
        if (eval(ps, e->a, &a) || eval(ps, e->b, &b)) return ps->err;
        *out = e->fn[1] == 'i' ? (a < b ? a : b) : (a > b ? a : b);
        return 0;
    case SIM_E_BIN:
        if (eval(ps, e->a, &a) || eval(ps, e->b, &b)) return ps->err;
        switch (e->op) {
        case '+': if (__builtin_add_overflow(a, b, out)) goto overflow; return 0;
        case '-': if (__builtin_sub_overflow(a, b, out)) goto overflow; return 0;
        case '*': if (__builtin_mul_overflow(a, b, out)) goto overflow; return 0;
        case '/': case '%':
            if (b == 0) return perr(ps, e->pos, ERR_SCENARIO, "division by zero");
            if (a == INT64_MIN && b == -1) goto overflow;
            *out = e->op == '/' ? a / b : a % b;
            return 0;
        case '<': *out = a < b; return 0;
        case '>': *out = a > b; return 0;
        case 'l': *out = a <= b; return 0;
        case 'g': *out = a >= b; return 0;
        case '=': *out = a == b; return 0;
        case '!': *out = a != b; return 0;
        default: BUG("unknown operator %d", e->op);
        }
    }
    BUG("unknown expression kind %d", e->kind);
overflow:
    return perr(ps, e->pos, ERR_LIMIT, "arithmetic overflow");
}

static int require_type(parser *ps, const sim_expr *e, sim_type want, const char *what) {
    if (e->type == want) return 0;
    perr(ps, e->pos, ERR_SCENARIO, "%s must be %s, not %s", what, type_name(want), type_name(e->type));
    if (want == SIM_T_DUR) hint(ps, "add a unit: ns, us, ms or s");
    else hint(ps, "drop the unit, or divide by a duration");
    return ps->err;
}

/* ---- statements -------------------------------------------------------- */

static const char *const stmt_keywords[] = { "compute", "sleep", "lock", "unlock", "put", "get", "repeat", "mark" };
static const char *const top_keywords[] = { "scenario", "param", "backend", "lock", "queue", "actor", "expect" };

static sim_stmt *new_stmt(parser *ps, sim_stmt_kind k, sim_pos pos) {
    sim_stmt *s = arena_push(&ps->p->mem, sizeof *s);
    s->kind = k;
    s->pos = pos;
    return s;
}

static sim_stmt *parse_block(parser *ps, int depth);

static int object_ref(parser *ps, sim_obj_kind want, const char *verb, uint32_t *out) {
    tok t = ps->t;
    const char *name = take_ident(ps, "an object name");
    if (!name) return ps->err;
    int oi = find_object(ps->p, name);
    if (oi < 0) {
        perr(ps, t.pos, ERR_SCENARIO, "unknown %s '%s'", want == SIM_OBJ_LOCK ? "lock" : "queue", name);
        const char **names = xmalloc(sizeof *names * (ps->p->nobjects + 1));
        size_t n = 0;
        for (uint32_t i = 0; i < ps->p->nobjects; i++)
            if (ps->p->objects[i].kind == want) names[n++] = ps->p->objects[i].name;
        const char *c = closest(name, names, n);
        free(names);
        if (c) hint(ps, "did you mean '%s'?", c);
        else hint(ps, "declare it at the top: %s %s%s", want == SIM_OBJ_LOCK ? "lock" : "queue", name,
                  want == SIM_OBJ_QUEUE ? " capacity=N" : "");
        return ps->err;
    }
    const sim_object *o = &ps->p->objects[oi];
    if (o->kind != want) {
        perr(ps, t.pos, ERR_SCENARIO, "'%s' is a %s: cannot %s it", name, o->kind == SIM_OBJ_LOCK ? "lock" : "queue",
             verb);
        hint(ps, "'%s' is declared at line %d", name, o->pos.line);
        return ps->err;
    }
    *out = (uint32_t)oi;
    return 0;
}

static sim_stmt *parse_stmt(parser *ps, int depth) {
    tok t = ps->t;
    if (t.kind != T_IDENT) {
        char b[64];
        perr(ps, t.pos, ERR_SCENARIO, "expected a step (compute, sleep, lock, put, get, repeat...), found %s",
             tok_desc(&t, b, sizeof b));
        return NULL;
    }
    next(ps);
    sim_stmt *s = NULL;
    if (is_kw(&t, "compute") || is_kw(&t, "sleep")) {
        s = new_stmt(ps, is_kw(&t, "compute") ? SIM_S_COMPUTE : SIM_S_SLEEP, t.pos);
        s->expr = parse_expr(ps);
        if (!s->expr) return NULL;
        if (require_type(ps, s->expr, SIM_T_DUR, is_kw(&t, "compute") ? "compute's argument" : "sleep's argument"))
            return NULL;
    } else if (is_kw(&t, "lock")) {
        s = new_stmt(ps, SIM_S_LOCK, t.pos);
        if (object_ref(ps, SIM_OBJ_LOCK, "lock", &s->obj)) return NULL;
        if (is_p(&ps->t, '{')) {
            s->kind = SIM_S_LOCK_BLOCK;
            s->body = parse_block(ps, depth + 1);
            if (ps->err) return NULL;
        }
    } else if (is_kw(&t, "unlock")) {
        s = new_stmt(ps, SIM_S_UNLOCK, t.pos);
        if (object_ref(ps, SIM_OBJ_LOCK, "unlock", &s->obj)) return NULL;
    } else if (is_kw(&t, "put") || is_kw(&t, "get")) {
        s = new_stmt(ps, is_kw(&t, "put") ? SIM_S_PUT : SIM_S_GET, t.pos);
        if (object_ref(ps, SIM_OBJ_QUEUE, is_kw(&t, "put") ? "put into" : "get from", &s->obj)) return NULL;
    } else if (is_kw(&t, "repeat")) {
        s = new_stmt(ps, SIM_S_REPEAT, t.pos);
        s->expr = parse_expr(ps);
        if (!s->expr || require_type(ps, s->expr, SIM_T_INT, "a repeat count")) return NULL;
        s->body = parse_block(ps, depth + 1);
        if (ps->err) return NULL;
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
    } else {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)t.len, t.s);
        perr(ps, t.pos, ERR_SCENARIO, "unknown step '%s'", name);
        const char *c = closest(name, stmt_keywords, sizeof stmt_keywords / sizeof *stmt_keywords);
        if (c) hint(ps, "did you mean '%s'?", c);
        else hint(ps, "the steps are: compute, sleep, lock, unlock, put, get, repeat, mark");
        return NULL;
    }
    if (end_statement(ps)) return NULL;
    return s;
}

static sim_stmt *parse_block(parser *ps, int depth) {
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
        sim_stmt *s = parse_stmt(ps, depth);
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
    return 0;
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
    } else if (is_kw(&t, "lock") || is_kw(&t, "queue")) {
        tok nt = ps->t;
        const char *name = take_ident(ps, is_kw(&t, "lock") ? "a lock name" : "a queue name");
        if (!name || check_unique(ps, name, nt.pos)) return ps->err;
        if (p->nobjects >= SIM_MAX_OBJECTS) return perr(ps, nt.pos, ERR_LIMIT, "more than %d objects", SIM_MAX_OBJECTS);
        ARR_GROW(p->objects, p->nobjects + 1, ps->cap_objects);
        sim_object *o = &p->objects[p->nobjects];
        *o = (sim_object){ .name = name, .pos = nt.pos, .kind = is_kw(&t, "lock") ? SIM_OBJ_LOCK : SIM_OBJ_QUEUE };
        while (ps->t.kind == T_IDENT) {
            tok kt = ps->t;
            next(ps);
            if (o->kind == SIM_OBJ_QUEUE && is_kw(&kt, "capacity")) {
                if (expect_p(ps, '=', "after capacity")) return ps->err;
                o->capacity = parse_expr(ps);
                if (!o->capacity || require_type(ps, o->capacity, SIM_T_INT, "a queue's capacity")) return ps->err;
                if (eval(ps, o->capacity, &o->cap_value)) return ps->err;
                if (o->cap_value <= 0)
                    return perr(ps, o->capacity->pos, ERR_SCENARIO, "a queue's capacity must be at least 1, not %lld",
                                (long long)o->cap_value);
                if (o->cap_value > SIM_MAX_CAPACITY)
                    return perr(ps, o->capacity->pos, ERR_LIMIT, "capacity %lld is larger than weft's limit of %d",
                                (long long)o->cap_value, SIM_MAX_CAPACITY);
            } else {
                perr(ps, kt.pos, ERR_SCENARIO, "unknown %s option '%.*s'", o->kind == SIM_OBJ_LOCK ? "lock" : "queue",
                     (int)kt.len, kt.s);
                if (o->kind == SIM_OBJ_QUEUE) hint(ps, "a queue takes capacity=N");
                else hint(ps, "a lock takes no options");
                return ps->err;
            }
        }
        p->nobjects++;
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
        a.body = parse_block(ps, 1);
        if (ps->err) return ps->err;
        p->nunits += (uint32_t)a.count_value;
        ARR_PUSH(p->actors, p->nactors, ps->cap_actors, a);
    } else if (is_kw(&t, "expect")) {
        tok et = ps->t;
        const char *what = take_ident(ps, "an expectation (no_deadlock, all_done, deadlock)");
        if (!what) return ps->err;
        sim_expect x = { .pos = t.pos };
        if (!strcmp(what, "no_deadlock")) x.kind = SIM_X_NO_DEADLOCK;
        else if (!strcmp(what, "all_done")) x.kind = SIM_X_ALL_DONE;
        else if (!strcmp(what, "deadlock")) x.kind = SIM_X_DEADLOCK;
        else {
            static const char *const xs[] = { "no_deadlock", "all_done", "deadlock" };
            perr(ps, et.pos, ERR_SCENARIO, "unknown expectation '%s'", what);
            const char *c = closest(what, xs, 3);
            hint(ps, c ? "did you mean '%s'?" : "expectations: no_deadlock, all_done, deadlock", c);
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

/* Folds and checks every statement's constant (durations in range, counts >= 0). */
static int check_stmts(parser *ps, sim_stmt *s) {
    for (; s; s = s->next) {
        if (s->expr) {
            int64_t v;
            if (eval(ps, s->expr, &v)) return ps->err;
            if (s->kind == SIM_S_REPEAT) {
                if (v < 0) return perr(ps, s->expr->pos, ERR_SCENARIO, "repeat count is negative (%lld)", (long long)v);
                if (v > SIM_MAX_REPEAT)
                    return perr(ps, s->expr->pos, ERR_LIMIT, "repeat count %lld is larger than weft's limit of %lld",
                                (long long)v, (long long)SIM_MAX_REPEAT);
            } else {
                if (v < 0)
                    return perr(ps, s->expr->pos, ERR_SCENARIO, "duration is negative (%lld ns)", (long long)v);
                if ((uint64_t)v > SIM_MAX_DURATION)
                    return perr(ps, s->expr->pos, ERR_LIMIT, "a single step of %lld s is longer than weft's limit of 1 hour",
                                (long long)(v / 1000000000));
            }
            s->expr->value = v;   /* folded value, read by the runtime */
        }
        if (s->body && check_stmts(ps, s->body)) return ps->err;
    }
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
    parser ps = { .p = p, .src = p->text, .path = p->path, .cur = p->text, .line = 1, .col = 1, .d = d };
    if (strlen(text) > 16 * 1024 * 1024) {
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
    /* -D overrides: re-evaluate every parameter in order, then every folded value */
    if (!ps.err && ndefs) {
        for (uint32_t i = 0; i < ndefs && !ps.err; i++) apply_define(&ps, &defs[i]);
        for (uint32_t i = 0; i < p->nparams && !ps.err; i++) eval(&ps, p->params[i].expr, &p->params[i].value);
        p->nunits = 0;
        for (uint32_t i = 0; i < p->nobjects && !ps.err; i++) {
            sim_object *o = &p->objects[i];
            if (o->capacity && !eval(&ps, o->capacity, &o->cap_value) && (o->cap_value <= 0 || o->cap_value > SIM_MAX_CAPACITY))
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
    for (uint32_t i = 0; i < p->nactors && !ps.err; i++) check_stmts(&ps, p->actors[i].body);
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
    int rc = file_read_all(path, &text, &len, d);
    if (rc) return rc;
    if (strlen(text) != len) {
        free(text);
        return diag_set(d, ERR_SCENARIO, "%s: the file contains a NUL byte (is it a text file?)", path);
    }
    rc = sim_parse(out, path, text, defs, ndefs, d);
    free(text);
    return rc;
}
