/* The scenario lexer: UTF-8 source text -> tokens.
 *
 * The text is checked to be valid UTF-8 before the first token (invalid bytes
 * are an error with their line:col), a byte-order mark at the start is
 * skipped (sim_parse), and columns count characters, not bytes. Names may use
 * the letters of any script; a full-width punctuation mark typed by an input
 * method gets a hint naming the ASCII one.
 */
#include "sim/sim_parse_internal.h"

#include <ctype.h>
#include <stdio.h>

//~ characters

/* Advances over one character (the text is valid UTF-8: sim__check_utf8). */
static void adv(parser *ps) {
    unsigned char c = (unsigned char)*ps->cur;
    if (!c) return;
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    ps->cur += len;
    if (c == '\n') { ps->line++; ps->col = 1; } else ps->col++;
}

static uint32_t peek_cp(const parser *ps, int *len) {
    uint32_t cp = 0;
    *len = utf8_decode(ps->cur, strnlen(ps->cur, 4), &cp);
    if (!*len) { *len = 1; cp = (unsigned char)*ps->cur; }
    return cp;
}

bool sim__name_char(uint32_t cp, bool first) {
    if (cp < 0x80) return isalpha((int)cp) || cp == '_' || (!first && isdigit((int)cp));
    /* Any script's letters. Rather than carry Unicode's tables, the blocks of
     * punctuation, symbols, spaces and controls are left out; the rest is a
     * letter (or a combining mark, or a digit of another script). */
    if (cp < 0xA0) return false;                                   /* C1 controls */
    if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;  /* Latin-1 signs, but ª µ º */
    if (cp == 0xD7 || cp == 0xF7) return false;                    /* × ÷ */
    if (cp >= 0x2000 && cp <= 0x2BFF) return false;                /* punctuation, arrows, maths, shapes... */
    if (cp >= 0x2E00 && cp <= 0x2FFF) return false;                /* more punctuation, CJK radicals */
    if (cp >= 0x3000 && cp <= 0x303F) return cp >= 0x3005 && cp <= 0x3007;   /* CJK punctuation, but 々 〆 〇 */
    if (cp == 0x30A0 || cp == 0x30FB) return false;                /* ゠ ・ */
    if (cp >= 0xD800 && cp <= 0xF8FF) return false;                /* surrogates, private use */
    if (cp >= 0xFD3E && cp <= 0xFD3F) return false;
    if (cp >= 0xFE10 && cp <= 0xFE1F) return false;                /* vertical forms */
    if (cp >= 0xFE30 && cp <= 0xFE6F) return false;                /* CJK compatibility and small forms */
    if (cp == 0xFEFF) return false;
    if (cp >= 0xFF00 && cp <= 0xFF65) {                            /* full-width forms */
        if (cp >= 0xFF10 && cp <= 0xFF19) return !first;           /* full-width digits */
        return (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A);
    }
    if (cp >= 0xFFE0) return cp <= 0xFFFF ? false : !(cp >= 0x1F000 && cp <= 0x1FBFF) && cp < 0xE0000;
    return true;
}

/* The ASCII character a full-width or typographic one stands for (0: none). */
static uint32_t ascii_twin(uint32_t cp) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;   /* （ ） ， ： ＝ ｛ ｝ ； ＃ ... */
    switch (cp) {
    case 0x3000: case 0x00A0: return ' ';
    case 0x3001: return ',';       /* 、 */
    case 0x3002: case 0xFF61: return '.';   /* 。 */
    case 0x201C: case 0x201D: case 0x300C: case 0x300D: case 0x300E: case 0x300F: return '"';   /* “ ” 「 」 『 』 */
    case 0x2018: case 0x2019: return '\'';
    case 0x3010: case 0x3014: return '[';   /* 【 〔 */
    case 0x3011: case 0x3015: return ']';
    case 0x300A: case 0x3008: return '<';   /* 《 〈 */
    case 0x300B: case 0x3009: return '>';
    case 0x2014: case 0x2013: case 0x2212: return '-';   /* — – − */
    case 0x00D7: return '*';
    case 0x00F7: return '/';
    case 0x2264: return 'l';       /* ≤ */
    case 0x2265: return 'g';       /* ≥ */
    case 0x2260: return '!';       /* ≠ */
    }
    return 0;
}

int sim__check_utf8(parser *ps) {
    const char *s = ps->src;
    int line = 1, col = 1;
    size_t n = strlen(s);
    while (n) {
        uint32_t cp;
        int len = utf8_decode(s, n, &cp);
        if (!len) {
            sim__perr(ps, (sim_pos){ line, col }, ERR_SCENARIO, "invalid UTF-8 (byte 0x%02X): a scenario is UTF-8 text",
                      (unsigned char)*s);
            sim__hint(ps, "save the file as UTF-8 (from GBK, for example: iconv -f GBK -t UTF-8 in.scn > out.scn)");
            return ps->err;
        }
        if (cp == '\n') { line++; col = 1; } else col++;
        s += len;
        n -= (size_t)len;
    }
    return 0;
}

static int parse_unit(const char *s, size_t n, uint64_t *mult, int *digits) {
    if (n == 2 && !memcmp(s, "ns", 2)) { *mult = 1; *digits = 0; return 0; }
    if (n == 2 && !memcmp(s, "us", 2)) { *mult = 1000; *digits = 3; return 0; }
    if (n == 2 && !memcmp(s, "ms", 2)) { *mult = 1000000; *digits = 6; return 0; }
    if (n == 1 && s[0] == 's') { *mult = 1000000000; *digits = 9; return 0; }
    return -1;
}

/* Sizes in bytes: 64B, 4KiB (1024), 4KB (1000), 1MiB, 1MB, 1GiB, 1GB. */
static int parse_size_unit(const char *s, size_t n, uint64_t *mult) {
    static const struct { const char *u; uint64_t m; } units[] = {
        { "B", 1 }, { "KB", 1000 }, { "KiB", 1024 }, { "MB", 1000000 }, { "MiB", 1u << 20 },
        { "GB", 1000000000 }, { "GiB", 1u << 30 } };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strlen(units[i].u) == n && !memcmp(s, units[i].u, n)) { *mult = units[i].m; return 0; }
    return -1;
}

/* Is s[0..n) a duration or size unit the lexer takes after a number (ms, KiB...)? */
bool sim__is_unit(const char *s, size_t n) {
    uint64_t mult;
    int digits;
    return !parse_unit(s, n, &mult, &digits) || !parse_size_unit(s, n, &mult);
}

static uint64_t pow10u(int k) {
    uint64_t v = 1;
    while (k-- > 0) v *= 10;
    return v;
}

//~ numbers

/* 1e12, 2.5E-3: weft has no exponents. Says so, with the integer when there is one. */
static void lex_exponent(parser *ps, tok *t, const char *digits_end) {
    /* the mantissa's digits, the exponent after them */
    uint64_t mant = 0;
    int frac_digits = 0, sig = 0;
    bool seen_point = false, too_many = false;
    for (const char *p = t->s; p < digits_end; p++) {
        if (*p == '.') { seen_point = true; continue; }
        if (sig == 0 && *p == '0') { if (seen_point) frac_digits++; continue; }
        if (sig >= 19) { too_many = true; if (!seen_point) frac_digits--; continue; }
        mant = mant * 10 + (uint64_t)(*p - '0');
        sig++;
        if (seen_point) frac_digits++;
    }
    adv(ps);   /* e */
    bool neg = false;
    if (*ps->cur == '+' || *ps->cur == '-') { neg = *ps->cur == '-'; adv(ps); }
    long ex = 0;
    while (isdigit((unsigned char)*ps->cur)) {
        if (ex < 100000) ex = ex * 10 + (*ps->cur - '0');
        adv(ps);
    }
    while (isalpha((unsigned char)*ps->cur)) adv(ps);   /* 1e3ms: the unit is part of the mistake */
    t->len = (size_t)(ps->cur - t->s);
    long shift = (neg ? -ex : ex) - frac_digits;     /* value = mant * 10^shift */
    char text[48];
    sim__tok_text(t, text, sizeof text);
    sim__perr(ps, t->pos, ERR_SCENARIO, "'%s': numbers are written without exponents", text);
    t->kind = T_ERR;
    if (too_many) return;
    if (mant == 0) { sim__hint(ps, "write 0"); return; }
    if (shift >= 0) {
        uint64_t v = mant;
        for (long i = 0; i < shift; i++) {
            if (v > (uint64_t)INT64_MAX / 10) {
                sim__hint(ps, "it is larger than any value weft takes (the largest integer is 9223372036854775807)");
                return;
            }
            v *= 10;
        }
        sim__hint(ps, "write it as %llu", (unsigned long long)v);
    } else if (shift >= -18 && mant % pow10u((int)-shift) == 0) {
        sim__hint(ps, "write it as %llu", (unsigned long long)(mant / pow10u((int)-shift)));
    } else {
        sim__hint(ps, "it is not a whole number: use a duration with a smaller unit (1.5ms = 1500us)");
    }
}

static void lex_number(parser *ps, tok *t) {
    uint64_t ip = 0, frac = 0;
    int frac_digits = 0;
    bool overflow = false, frac_inexact = false, has_frac = false;
    while (isdigit((unsigned char)*ps->cur)) {
        int dg = *ps->cur - '0';
        adv(ps);
        if (ip > (UINT64_MAX - (uint64_t)dg) / 10) overflow = true;
        else ip = ip * 10 + (uint64_t)dg;
    }
    if (*ps->cur == '.' && isdigit((unsigned char)ps->cur[1])) {
        has_frac = true;
        adv(ps);
        while (isdigit((unsigned char)*ps->cur)) {
            int dg = *ps->cur - '0';
            adv(ps);
            if (frac_digits < 18) { frac = frac * 10 + (uint64_t)dg; frac_digits++; }
            else if (dg) frac_inexact = true;
        }
    }
    if ((*ps->cur == 'e' || *ps->cur == 'E') &&
        (isdigit((unsigned char)ps->cur[1]) || ((ps->cur[1] == '+' || ps->cur[1] == '-') && isdigit((unsigned char)ps->cur[2])))) {
        lex_exponent(ps, t, ps->cur);
        return;
    }
    const char *us = ps->cur;
    while (isalpha((unsigned char)*ps->cur)) adv(ps);
    size_t ul = (size_t)(ps->cur - us);
    t->len = (size_t)(ps->cur - t->s);
    char text[48];
    sim__tok_text(t, text, sizeof text);
    if (overflow || ip > (uint64_t)INT64_MAX) {
        sim__perr(ps, t->pos, ERR_LIMIT, "number '%s' is too large", text);
        t->kind = T_ERR;
        return;
    }
    uint64_t smult;
    if (ul && parse_size_unit(us, ul, &smult) == 0) {
        /* a size: an integer number of bytes (a fraction only when it makes whole bytes) */
        uint64_t fb = 0;
        if (frac_digits) {
            uint64_t div = pow10u(frac_digits);
            if (frac_inexact || (frac * smult) % div) {
                sim__perr(ps, t->pos, ERR_SCENARIO, "size '%s' is not a whole number of bytes", text);
                t->kind = T_ERR;
                return;
            }
            fb = frac * smult / div;
        }
        if (ip > ((uint64_t)INT64_MAX - fb) / smult) {
            sim__perr(ps, t->pos, ERR_LIMIT, "size '%s' is too large", text);
            t->kind = T_ERR;
            return;
        }
        t->kind = T_INT;
        t->value = (int64_t)(ip * smult + fb);
        return;
    }
    if (ul) {
        uint64_t mult;
        int unit_digits;
        if (parse_unit(us, ul, &mult, &unit_digits) != 0) {
            sim__perr(ps, (sim_pos){ t->pos.line, t->pos.col + (int)(us - t->s) }, ERR_SCENARIO,
                      "unknown duration unit '%.*s'", (int)ul, us);
            sim__hint(ps, "durations are written like 500ns, 250us, 2ms or 1.5s; sizes like 64B, 4KiB or 1MiB");
            t->kind = T_ERR;
            return;
        }
        if (ip > (uint64_t)INT64_MAX / mult) {
            sim__perr(ps, t->pos, ERR_LIMIT, "duration '%s' is too large", text);
            t->kind = T_ERR;
            return;
        }
        /* the fraction in ns: exact, or an error (1.0000000001ms is not a whole number of ns) */
        uint64_t frac_ns = 0;
        if (frac_digits <= unit_digits) {
            frac_ns = frac * pow10u(unit_digits - frac_digits);
        } else {
            uint64_t div = pow10u(frac_digits - unit_digits);
            if (frac % div) frac_inexact = true;
            frac_ns = frac / div;
        }
        if (frac_inexact) {
            sim__perr(ps, t->pos, ERR_SCENARIO, "duration '%s' is not a whole number of nanoseconds", text);
            t->kind = T_ERR;
            return;
        }
        uint64_t ns = ip * mult + frac_ns;
        if (ns > (uint64_t)INT64_MAX) {
            sim__perr(ps, t->pos, ERR_LIMIT, "duration '%s' is too large", text);
            t->kind = T_ERR;
            return;
        }
        t->kind = T_DUR;
        t->value = (int64_t)ns;
        return;
    }
    if (has_frac) {
        sim__perr(ps, t->pos, ERR_SCENARIO, "'%s': only durations may have a fraction", text);
        /* `sleep 1.5 s`: a unit a space apart from its number */
        const char *w = ps->cur;
        while (*w == ' ' || *w == '\t') w++;
        size_t wl = 0;
        while (isalpha((unsigned char)w[wl])) wl++;
        uint64_t um;
        int ud;
        if (w > ps->cur && wl && (parse_unit(w, wl, &um, &ud) == 0 || parse_size_unit(w, wl, &um) == 0))
            sim__hint(ps, "write a number and its unit together, without a space: %s%.*s", text, (int)wl, w);
        else sim__hint(ps, "give a unit (1.5ms) or use a whole number");
        t->kind = T_ERR;
        return;
    }
    t->kind = T_INT;
    t->value = (int64_t)ip;
}

//~ tokens

static void unexpected(parser *ps, tok *t) {
    int len;
    uint32_t cp = peek_cp(ps, &len);
    uint32_t twin = ascii_twin(cp);
    char shown[8] = "";
    memcpy(shown, ps->cur, (size_t)len);
    t->kind = T_ERR;
    if (cp < 0x20 || cp == 0x7F) {
        sim__perr(ps, t->pos, ERR_SCENARIO, "unexpected control character U+%04X", cp);
        return;
    }
    if (cp < 0x80) {
        sim__perr(ps, t->pos, ERR_SCENARIO, "unexpected character '%s'", shown);
        if (cp == '"' || cp == '\'') sim__hint(ps, "strings are written \"text\", on one line");
        return;
    }
    if ((cp >= 0x80 && cp < 0xA0) || cp == 0xFEFF || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2060 && cp <= 0x206F))
        sim__perr(ps, t->pos, ERR_SCENARIO, "unexpected invisible character U+%04X", cp);
    else
        sim__perr(ps, t->pos, ERR_SCENARIO, "unexpected character '%s' (U+%04X)", shown, cp);
    if (cp == 0x3000 || cp == 0xA0)
        sim__hint(ps, "this is a %s space: use an ordinary space", cp == 0x3000 ? "full-width" : "no-break");
    else if (twin == 'l' || twin == 'g' || twin == '!')
        sim__hint(ps, "write it as '%s'", twin == 'l' ? "<=" : twin == 'g' ? ">=" : "!=");
    else if (twin)
        sim__hint(ps, "this is a full-width or typographic mark: use the ASCII '%c'", (char)twin);
    else if (cp == 0xFEFF)
        sim__hint(ps, "a byte-order mark belongs only at the very start of the file");
    else
        sim__hint(ps, "names may use letters of any script, digits and _; other text goes in a \"string\"");
}

void sim__next(parser *ps) {
    if (ps->err) { ps->t.kind = T_EOF; return; }
    for (;;) {
        char c = *ps->cur;
        if (c == ' ' || c == '\t' || c == '\r') { adv(ps); continue; }
        if (c == '#') { while (*ps->cur && *ps->cur != '\n') adv(ps); continue; }
        if (c == '\\' && ps->cur[1] == '\n') { adv(ps); adv(ps); continue; }
        if (c == '\\' && ps->cur[1] == '\r' && ps->cur[2] == '\n') { adv(ps); adv(ps); adv(ps); continue; }
        break;
    }
    tok *t = &ps->t;
    memset(t, 0, sizeof *t);
    t->pos = (sim_pos){ ps->line, ps->col };
    t->s = ps->cur;
    char c = *ps->cur;
    if (!c) { t->kind = T_EOF; return; }
    if (c == '\n') { adv(ps); t->kind = T_NL; t->len = 1; return; }
    int len;
    uint32_t cp = peek_cp(ps, &len);
    if (sim__name_char(cp, true)) {
        do adv(ps); while ((cp = peek_cp(ps, &len)) && sim__name_char(cp, false));
        t->kind = T_IDENT;
        t->len = (size_t)(ps->cur - t->s);
        return;
    }
    if (isdigit((unsigned char)c)) {
        lex_number(ps, t);
        return;
    }
    if (c == '"') {
        adv(ps);
        while (*ps->cur && *ps->cur != '"' && *ps->cur != '\n') {
            unsigned char b = (unsigned char)*ps->cur;
            if ((b < 0x20 && b != '\t' && !(b == '\r' && ps->cur[1] == '\n')) || b == 0x7F) {
                sim__perr(ps, (sim_pos){ ps->line, ps->col }, ERR_SCENARIO,
                          "a string cannot hold the control character U+%04X", b);
                t->kind = T_ERR;
                return;
            }
            adv(ps);
        }
        if (*ps->cur != '"') {
            sim__perr(ps, t->pos, ERR_SCENARIO, "string is not closed before the end of the line");
            t->kind = T_ERR;
            return;
        }
        adv(ps);
        t->kind = T_STRING;
        t->s++;
        t->len = (size_t)(ps->cur - t->s - 1);
        if (t->len && t->s[t->len - 1] == '\r') t->len--;
        return;
    }
    if (c & 0x80 || !strchr("{}()[]*+-/%=,<>;!", c)) {
        unexpected(ps, t);
        return;
    }
    adv(ps);
    t->kind = T_PUNCT;
    t->len = 1;
    t->punct = c;
    char n = *ps->cur;
    if ((c == '<' || c == '>' || c == '=' || c == '!') && n == '=') {
        adv(ps);
        t->len = 2;
        t->punct = c == '<' ? 'l' : c == '>' ? 'g' : c;
        return;
    }
    if (c == '!') {
        t->kind = T_ERR;
        sim__perr(ps, t->pos, ERR_SCENARIO, "unexpected character '!'");
        sim__hint(ps, "'not X' negates a condition; '!=' compares");
    }
}

//~ token helpers for the parser

const char *sim__tok_text(const tok *t, char *out, size_t cap) {
    size_t n = t->len < cap - 1 ? t->len : cap - 1;
    n = utf8_cut(t->s, n);
    memcpy(out, t->s, n);
    out[n] = 0;
    return out;
}

const char *sim__tok_desc(const tok *t, char *out, size_t cap) {
    char text[44];
    switch (t->kind) {
    case T_EOF: return "the end of the file";
    case T_NL: return "the end of the line";
    case T_STRING: snprintf(out, cap, "string \"%s\"", sim__tok_text(t, text, sizeof text)); return out;
    default: snprintf(out, cap, "'%s'", sim__tok_text(t, text, sizeof text)); return out;
    }
}

int sim__expect_p(parser *ps, int c, const char *what) {
    if (is_p(&ps->t, c)) { sim__next(ps); return 0; }
    char b[64];
    sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected '%c' %s, found %s", c, what, sim__tok_desc(&ps->t, b, sizeof b));
    sim__hint_single_eq(ps);   /* if n = 1 { */
    return ps->err;
}

const char *sim__take_ident(parser *ps, const char *what) {
    if (ps->t.kind != T_IDENT) {
        char b[64];
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected %s, found %s", what, sim__tok_desc(&ps->t, b, sizeof b));
        return NULL;
    }
    const char *s = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
    sim__next(ps);
    return s;
}

void sim__skip_newlines(parser *ps) {
    while (ps->t.kind == T_NL || is_p(&ps->t, ';')) sim__next(ps);
}

int sim__end_statement(parser *ps) {
    if (ps->t.kind == T_NL || is_p(&ps->t, ';')) { sim__skip_newlines(ps); return 0; }
    if (ps->t.kind == T_EOF || is_p(&ps->t, '}')) return 0;
    char b[64];
    sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected the end of the statement, found %s", sim__tok_desc(&ps->t, b, sizeof b));
    sim__hint_single_eq(ps);   /* expect never_awaited = 0 */
    sim__hint_unit_space(ps);   /* param d = 5 ms, expect ... < 1 MiB */
    return ps->err;
}
