/* The scenario parser's errors: the place (file, line, column in characters),
 * the source line made safe to print under a caret, hints and "did you mean". */
#include "sim/sim_parse_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

/* Characters that would garble the line on a terminal: controls, and the
 * bidirectional overrides that reorder what is shown. */
static bool unsafe(uint32_t cp) {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void sim__diag_place(diag *d, const char *path, const char *src, sim_pos pos) {
    snprintf(d->file, sizeof d->file, "%s", path);
    d->file[utf8_cut(d->file, strlen(d->file))] = 0;
    d->line = pos.line;
    d->col = pos.col;
    const char *s = src;
    for (int l = 1; l < pos.line && *s; s++)
        if (*s == '\n') l++;
    size_t n = strcspn(s, "\n"), o = 0;
    /* one character of the snippet per character of the line, so that the
     * caret's column (in characters) stays right: a tab becomes a space, an
     * unsafe or invalid one U+FFFD */
    while (n) {
        uint32_t cp;
        int len = utf8_decode(s, n, &cp);
        if (!len) { len = 1; cp = 0xFFFD; }
        if (cp == '\r' && (size_t)len == n) break;   /* CRLF */
        if (cp == '\t') cp = ' ';
        else if (unsafe(cp)) cp = 0xFFFD;
        char enc[4];
        int el = utf8_encode(cp, enc);
        if (o + (size_t)el >= sizeof d->snippet) break;
        memcpy(d->snippet + o, enc, (size_t)el);
        o += (size_t)el;
        s += len;
        n -= (size_t)len;
    }
    d->snippet[o] = 0;
}

void sim_diag_at(diag *d, const sim_program *p, int line, int col) {
    sim__diag_place(d, p->path, p->text, (sim_pos){ line, col });
}

int sim__perr(parser *ps, sim_pos pos, int code, const char *fmt, ...) {
    if (ps->err) return ps->err;
    diag *d = ps->d;
    if (d) {
        diag_clear(d);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
        d->msg[utf8_cut(d->msg, strlen(d->msg))] = 0;
        sim__diag_place(d, ps->path, ps->src, pos);
    }
    ps->err = -code;
    return ps->err;
}

void sim__hint(parser *ps, const char *fmt, ...) {
    if (!ps->d) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->d->hint, sizeof ps->d->hint, fmt, ap);
    va_end(ap);
    ps->d->hint[utf8_cut(ps->d->hint, strlen(ps->d->hint))] = 0;
}

/* After an error at a lone '=' where a comparison belongs (`expect never_awaited = 0`,
 * `if n = 1 {`, `expect counter c => 1`): the hint says to compare, with the line as it should be. */
void sim__hint_single_eq(parser *ps) {
    const tok *t = &ps->t;
    if (!ps->d || t->kind != T_PUNCT || t->punct != '=' || t->len != 1) return;
    const char *line = t->s;
    while (line > ps->src && line[-1] != '\n') line--;
    while (*line == ' ' || *line == '\t') line++;
    size_t before = (size_t)(t->s - line), after = strcspn(t->s + 1, "\n#");
    const char *rest = t->s + 1;
    const char *cmp = "==";
    if (*rest == '>' || *rest == '<' || *rest == '!') {   /* => =< =!: the comparison written backwards */
        cmp = *rest == '>' ? ">=" : *rest == '<' ? "<=" : "!=";
        rest++;
        after--;
    }
    while (after && (rest[after - 1] == ' ' || rest[after - 1] == '\r')) after--;
    if (before + after > 200) {
        sim__hint(ps, "'=' is not a comparison: write '%s'", cmp);
        return;
    }
    sim__hint(ps, "'=' is not a comparison: write '%s', as in: %.*s%s%.*s", cmp, (int)before, line, cmp, (int)after, rest);
}

/* After an error at a unit written a space apart from its number (`sleep 10 ms`, `< 1 MiB`): the
 * hint says to write them together. */
void sim__hint_unit_space(parser *ps) {
    const tok *t = &ps->t;
    if (!ps->d || t->kind != T_IDENT || t->s <= ps->src || (t->s[-1] != ' ' && t->s[-1] != '\t')) return;
    const char *n = t->s - 1;
    while (n > ps->src && (*n == ' ' || *n == '\t')) n--;
    if (*n < '0' || *n > '9') return;
    const char *d = n;
    while (d > ps->src && ((d[-1] >= '0' && d[-1] <= '9') || d[-1] == '.')) d--;
    if (sim__is_unit(t->s, t->len))
        sim__hint(ps, "write a number and its unit together, without a space: %.*s%.*s", (int)(n + 1 - d), d,
                  (int)t->len, t->s);
}

/* Edit distance in characters, so that one Chinese character counts as one. */
static int char_distance(const char *a, const char *b) {
    uint32_t ca[64], cb[64];
    size_t na = 0, nb = 0, la = strlen(a), lb = strlen(b);
    for (int len; la && na < 64; a += len, la -= (size_t)len)
        if (!(len = utf8_decode(a, la, &ca[na++]))) len = 1;
    for (int len; lb && nb < 64; b += len, lb -= (size_t)len)
        if (!(len = utf8_decode(b, lb, &cb[nb++]))) len = 1;
    int row[65];
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag_prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag_prev + (ca[i - 1] != cb[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag_prev = up;
        }
    }
    return row[nb];
}

const char *sim__closest(const char *word, const char *const *names, size_t n) {
    const char *best = NULL;
    int bd = INT_MAX;
    for (size_t i = 0; i < n; i++) {
        int dist = char_distance(word, names[i]);
        if (dist < bd) { bd = dist; best = names[i]; }
    }
    size_t wl = 0;
    for (const char *s = word; *s; s++) wl += ((unsigned char)*s & 0xC0) != 0x80;
    int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    return bd <= limit ? best : NULL;
}
