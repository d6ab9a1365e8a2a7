/* diff's --fail-if conditions: FIGURE OP VALUE (grammar in trc.h and in
 * `weft diff --help`).
 *
 *   condition := figure op value
 *   figure    := a row's path: "makespan", "blocked", "object:jobs.wait_p95",
 *                "group:consumer.wait_on(jobs)", "unit:producer.0.cpu"
 *   op        := ">" | ">=" | "<" | "<=" | "==" | "!="
 *   value     := number "x"            B / A             (a ratio)
 *              | ("+"|"-") number "%"  (B - A) / A * 100 (a relative change)
 *              | ("+"|"-") number [u]  B - A             (a delta)
 *              | number ["%" | u]      B                 (a value; % divides by 100)
 *   u         := "ns" | "us" | "ms" | "s"  (times in ns otherwise)
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trc_internal.h"

static const char *const ops[] = { ">=", "<=", "==", "!=", ">", "<" };

int trc_cond_parse(trc_cond *c, const char *text, diag *d) {
    memset(c, 0, sizeof *c);
    c->text = text;
    const char *p = strpbrk(text, "<>=!");
    if (!p) return diag_set(d, ERR_USAGE, "'%s': no comparison (FIGURE OP VALUE, OP one of > >= < <= == !=)", text);
    const char *b = text, *e = p;
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    if (e == b) return diag_set(d, ERR_USAGE, "'%s': no figure before the comparison", text);
    if ((size_t)(e - b) >= sizeof c->path) return diag_set(d, ERR_USAGE, "'%s': the figure's name is too long", text);
    memcpy(c->path, b, (size_t)(e - b));
    const char *op = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof *ops && !op; i++)
        if (!strncmp(p, ops[i], strlen(ops[i]))) op = ops[i];
    if (!op) return diag_set(d, ERR_USAGE, "'%s': unknown comparison (> >= < <= == !=)", text);
    snprintf(c->op, sizeof c->op, "%s", op);
    const char *v = p + strlen(op);
    while (isspace((unsigned char)*v)) v++;
    bool sign = *v == '+' || *v == '-';
    char *end;
    double x = strtod(v, &end);
    if (end == v || !isfinite(x)) return diag_set(d, ERR_USAGE, "'%s': the value is not a number", text);
    while (isspace((unsigned char)*end)) end++;
    char suf[8] = "";
    size_t sl = strlen(end);
    while (sl && isspace((unsigned char)end[sl - 1])) sl--;
    if (sl >= sizeof suf) return diag_set(d, ERR_USAGE, "'%s': unknown unit '%.*s'", text, (int)sl, end);
    memcpy(suf, end, sl);
    double scale = 1;
    if (!strcmp(suf, "ns") || !strcmp(suf, "")) scale = 1;
    else if (!strcmp(suf, "us")) scale = 1e3;
    else if (!strcmp(suf, "ms")) scale = 1e6;
    else if (!strcmp(suf, "s")) scale = 1e9;
    else if (!strcmp(suf, "x") || !strcmp(suf, "%")) scale = 0;
    else return diag_set(d, ERR_USAGE, "'%s': unknown unit '%s' (x, %%, ns, us, ms or s)", text, suf);
    if (!strcmp(suf, "x")) {
        if (sign) return diag_set(d, ERR_USAGE, "'%s': a ratio has no sign (1.2x)", text);
        c->kind = TRC_COND_RATIO;
        c->v = x;
    } else if (!strcmp(suf, "%")) {
        c->kind = sign ? TRC_COND_PERCENT : TRC_COND_VALUE;
        c->v = sign ? x : x / 100;
    } else {
        c->kind = sign ? TRC_COND_DELTA : TRC_COND_VALUE;
        c->v = x * scale;
    }
    return 0;
}

static bool compare(double x, const char *op, double y) {
    if (!strcmp(op, ">")) return x > y;
    if (!strcmp(op, ">=")) return x >= y;
    if (!strcmp(op, "<")) return x < y;
    if (!strcmp(op, "<=")) return x <= y;
    if (!strcmp(op, "==")) return x == y;
    return x != y;
}

int trc_cond_eval(const trc_cond *c, const trc_diff *d, bool *hit, char *why, size_t cap, diag *dg) {
    *hit = false;
    const trc_diff_row *r = trc_diff_find(d, c->path);
    if (!r) {
        /* the nearest figure's path, to help */
        const char *best = NULL;
        int bd = 1 << 30;
        for (size_t i = 0; i < d->nrows; i++) {
            int k = str_edit_distance(c->path, d->rows[i].path);
            if (k < bd) { bd = k; best = d->rows[i].path; }
        }
        if (best && bd <= (int)strlen(c->path) / 2 + 1)
            return diag_set(dg, ERR_USAGE, "--fail-if '%s': no figure '%s' (did you mean '%s'?)", c->text, c->path, best);
        return diag_set(dg, ERR_USAGE, "--fail-if '%s': no figure '%s' in these runs (weft diff --json lists them)",
                        c->text, c->path);
    }
    if ((r->na_a && c->kind != TRC_COND_VALUE) || r->na_b) {
        snprintf(why, cap, "%s: n/a in %s (one unit began: it cannot be told from the runtime's own), not compared",
                 c->path, r->na_b ? "B" : "A");
        return 0;
    }
    if (c->kind != TRC_COND_VALUE && (!r->has_a || !r->has_b)) {
        snprintf(why, cap, "%s: only in %s, not compared", c->path, r->has_a ? "A" : "B");
        return 0;
    }
    if (!r->has_b) {
        snprintf(why, cap, "%s: not in B, not compared", c->path);
        return 0;
    }
    double x;
    switch (c->kind) {
    case TRC_COND_RATIO: x = r->a != 0 ? r->b / r->a : r->b != 0 ? INFINITY : 1; break;
    case TRC_COND_PERCENT: x = r->a != 0 ? (r->b - r->a) / r->a * 100 : r->b != 0 ? INFINITY : 0; break;
    case TRC_COND_DELTA: x = r->b - r->a; break;
    default: x = r->b; break;
    }
    *hit = compare(x, c->op, c->v);
    char xa[48], xb[48], xv[96], lim[96];
    trc__fig_fmt(xa, sizeof xa, r->unit, r->a);
    trc__fig_fmt(xb, sizeof xb, r->unit, r->b);
    switch (c->kind) {
    case TRC_COND_RATIO:
        snprintf(xv, sizeof xv, "B/A = %.3gx", x);
        snprintf(lim, sizeof lim, "%gx", c->v);
        break;
    case TRC_COND_PERCENT:
        snprintf(xv, sizeof xv, "B-A = %+.1f%%", x);
        snprintf(lim, sizeof lim, "%+g%%", c->v);
        break;
    case TRC_COND_DELTA: {
        char t[40];
        trc__fig_fmt(t, sizeof t, r->unit, fabs(x));
        snprintf(xv, sizeof xv, "B-A = %s%s", x < 0 ? "-" : "+", t);
        trc__fig_fmt(t, sizeof t, r->unit, fabs(c->v));
        snprintf(lim, sizeof lim, "%s%s", c->v < 0 ? "-" : "+", t);
        break;
    }
    default:
        snprintf(xv, sizeof xv, "B = %s", xb);
        trc__fig_fmt(lim, sizeof lim, r->unit, c->v);
        break;
    }
    snprintf(why, cap, "'%s' %s: %s %s %s (A %s, B %s)", c->text, *hit ? "holds" : "does not hold", xv, c->op, lim, xa, xb);
    return 0;
}
