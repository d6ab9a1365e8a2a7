/* Expected counter values, read from the scenario text the recording carries:
 * `expect counter NAME OP EXPR`, EXPR made of integers, the run's parameters
 * (their values after -D and --sweep), + - * / % and parentheses. The counter
 * track draws the value as a line, so a racy counter ending below it shows the
 * lost updates. Anything this small reader does not understand is skipped: it
 * only ever draws a line it is sure of. */
#include "render/rdr_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct rdr_px { const char *s, *e; const trc_run *run; bool bad; } rdr_px;

static void px_ws(rdr_px *p) {
    while (p->s < p->e && (*p->s == ' ' || *p->s == '\t')) p->s++;
}

static int64_t px_expr(rdr_px *p, int depth);

static int64_t px_atom(rdr_px *p, int depth) {
    px_ws(p);
    if (p->s >= p->e || depth > 32) { p->bad = true; return 0; }
    char c = *p->s;
    if (c == '(') {
        p->s++;
        int64_t v = px_expr(p, depth + 1);
        px_ws(p);
        if (p->s >= p->e || *p->s != ')') { p->bad = true; return 0; }
        p->s++;
        return v;
    }
    if (c == '-') {
        p->s++;
        int64_t v = px_atom(p, depth + 1);
        if (v == INT64_MIN) { p->bad = true; return 0; }
        return -v;
    }
    if (isdigit((unsigned char)c)) {
        int64_t v = 0;
        while (p->s < p->e && (isdigit((unsigned char)*p->s) || *p->s == '_')) {
            if (*p->s != '_' && (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p->s - '0', &v))) {
                p->bad = true;
                return 0;
            }
            p->s++;
        }
        if (p->s < p->e && isalpha((unsigned char)*p->s)) p->bad = true;   /* a duration or a unit: not ours */
        return v;
    }
    if (isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80) {
        const char *a = p->s;
        while (p->s < p->e && (isalnum((unsigned char)*p->s) || *p->s == '_' || (unsigned char)*p->s >= 0x80)) p->s++;
        size_t n = (size_t)(p->s - a);
        for (uint32_t i = 0; i < p->run->nparams; i++) {
            const trc_param *pr = &p->run->params[i];
            if (pr->name && strlen(pr->name) == n && !memcmp(pr->name, a, n) && !pr->is_duration) return pr->value;
        }
        p->bad = true;
        return 0;
    }
    p->bad = true;
    return 0;
}

static int64_t px_term(rdr_px *p, int depth) {
    int64_t v = px_atom(p, depth);
    for (;;) {
        px_ws(p);
        if (p->bad || p->s >= p->e || (*p->s != '*' && *p->s != '/' && *p->s != '%')) return v;
        char op = *p->s++;
        int64_t w = px_atom(p, depth);
        if (op == '*') {
            if (__builtin_mul_overflow(v, w, &v)) p->bad = true;
        } else {
            if (w == 0 || (v == INT64_MIN && w == -1)) { p->bad = true; return 0; }
            v = op == '/' ? v / w : v % w;
        }
    }
}

static int64_t px_expr(rdr_px *p, int depth) {
    int64_t v = px_term(p, depth);
    for (;;) {
        px_ws(p);
        if (p->bad || p->s >= p->e || (*p->s != '+' && *p->s != '-')) return v;
        char op = *p->s++;
        int64_t w = px_term(p, depth);
        if (op == '+' ? __builtin_add_overflow(v, w, &v) : __builtin_sub_overflow(v, w, &v)) p->bad = true;
    }
}

/* One line: "expect counter NAME OP EXPR [# comment]". */
static void rdr_expect_line(struct rdr_expect *x, const trc_run *run, const char *s, const char *e) {
    static const char kw1[] = "expect", kw2[] = "counter";
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    if ((size_t)(e - s) < sizeof kw1 || memcmp(s, kw1, sizeof kw1 - 1) || (s[6] != ' ' && s[6] != '\t')) return;
    s += 6;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    if ((size_t)(e - s) < sizeof kw2 || memcmp(s, kw2, sizeof kw2 - 1) || (s[7] != ' ' && s[7] != '\t')) return;
    s += 7;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    const char *name = s;
    while (s < e && *s != ' ' && *s != '\t' && *s != '=' && *s != '<' && *s != '>' && *s != '!') s++;
    size_t nlen = (size_t)(s - name);
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    char op[3] = { 0 };
    if (s + 1 < e && (s[1] == '=') && (*s == '=' || *s == '<' || *s == '>' || *s == '!')) { op[0] = s[0]; op[1] = '='; s += 2; }
    else if (s < e && (*s == '<' || *s == '>')) { op[0] = *s++; }
    else return;
    const char *hash = memchr(s, '#', (size_t)(e - s));
    if (hash) e = hash;
    rdr_px p = { .s = s, .e = e, .run = run };
    int64_t v = px_expr(&p, 0);
    px_ws(&p);
    if (p.bad || p.s != p.e) return;
    for (uint32_t o = 0; o < run->nobjects; o++) {
        const trc_object *ob = &run->objects[o];
        if (ob->kind != TRC_OBJ_COUNTER || !ob->name || strlen(ob->name) != nlen || memcmp(ob->name, name, nlen)) continue;
        rdr_expect_one *one = &x->obj[o];
        /* an equality wins over a bound; the first of each kind counts */
        if (one->has && (one->op[0] == '=' || op[0] != '=')) return;
        one->has = true;
        one->value = v;
        memcpy(one->op, op, sizeof op);
    }
}

struct rdr_expect *rdr_expect_new(const trc_run *run) {
    if (!run->source_text || !run->nobjects) return NULL;
    struct rdr_expect *x = xcalloc(1, sizeof *x);
    x->obj = xcalloc(run->nobjects, sizeof *x->obj);
    const char *s = run->source_text;
    while (*s) {
        const char *e = strchr(s, '\n');
        if (!e) e = s + strlen(s);
        rdr_expect_line(x, run, s, e);
        s = *e ? e + 1 : e;
    }
    return x;
}

void rdr_expect_free(struct rdr_expect *e, const trc_run *run) {
    (void)run;
    if (!e) return;
    free(e->obj);
    free(e);
}
