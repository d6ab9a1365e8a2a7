/* cli: every text that weft prints from a scenario or a recording passes through here.
 *
 * A recording (or a scenario) may come from anyone. Printed raw, a title, a
 * unit name, a mark or a report could move the cursor, retitle the terminal,
 * hide what follows or fake lines (ESC, CSI, OSC, the C1 controls, newlines).
 * The escapers write valid UTF-8 as it is, so Chinese and every other script
 * stay readable, and show everything else as a visible escape:
 *   newline, carriage return, tab   \n \r \t   (ESC_TEXT keeps \n and \t)
 *   other C0 controls, DEL          \xNN       (ESC is \x1b)
 *   C1 controls U+0080..U+009F      \u0080 .. \u009f
 *   bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069),
 *   which reorder what follows on the line          \u202e ...
 *   a byte that is not part of well-formed UTF-8    \xNN
 * (overlong forms, surrogates and code points past U+10FFFF are not
 * well-formed). The same escaping applies to terminals, pipes and files:
 * "every text output". JSON output gets JSON escapes instead (\u001b, and
 * U+FFFD for a byte that is not UTF-8), so it stays valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 if s[0] does not start one. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t len;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; v = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3; v = c & 0x0f;
        if (c == 0xe0) lo = 0xa0;          /* no overlong forms */
        if (c == 0xed) hi = 0x9f;          /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; v = c & 0x07;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;          /* nothing past U+10FFFF */
    } else return 0;
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    v = v << 6 | (s[1] & 0x3f);
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

static bool is_bidi_control(uint32_t cp) { return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069); }

/* Columns a code point takes on a terminal: 2 for the wide East Asian ranges. */
static int cp_width(uint32_t cp) {
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
        (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

/* The escape for one unsafe character or byte in mode m, into out (>= 8 bytes);
 * returns its length, or 0 if the sequence at s is safe to write as it is. */
static size_t escape_one(const unsigned char *s, size_t n, enum esc_mode m, size_t *consumed, char *out) {
    uint32_t cp;
    size_t len = utf8_seq(s, n, &cp);
    if (!len) {
        *consumed = 1;
        if (m == ESC_JSON) return (size_t)snprintf(out, 8, "\\ufffd");
        return (size_t)snprintf(out, 8, "\\x%02x", s[0]);
    }
    *consumed = len;
    if (cp == '\n' || cp == '\t') {
        if (m != ESC_LINE) return 0;
        return (size_t)snprintf(out, 8, cp == '\n' ? "\\n" : "\\t");
    }
    if (cp == '\r' && m == ESC_JSON) return 0;
    if (cp == '\r') return (size_t)snprintf(out, 8, "\\r");
    if (cp < 0x20 || cp == 0x7f)
        return (size_t)snprintf(out, 8, m == ESC_JSON ? "\\u%04x" : "\\x%02x", (unsigned)cp);
    if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp)) return (size_t)snprintf(out, 8, "\\u%04x", (unsigned)cp);
    return 0;
}

void esc_write(FILE *f, const char *str, size_t n, enum esc_mode m) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;   /* s[run, i) is safe and not yet written */
    while (i < n) {
        char e[8];
        size_t used, el = escape_one(s + i, n - i, m, &used, e);
        if (!el) { i += used; continue; }
        if (i > run) fwrite(s + run, 1, i - run, f);
        fwrite(e, 1, el, f);
        i += used;
        run = i;
    }
    if (n > run) fwrite(s + run, 1, n - run, f);
}

void esc_puts(FILE *f, const char *s, enum esc_mode m) {
    if (s) esc_write(f, s, strlen(s), m);
}

void esc_buf(buf *out, const char *str, size_t n, enum esc_mode m) {
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        char e[8];
        size_t used, el = escape_one(s + i, n - i, m, &used, e);
        if (el) buf_put(out, e, el);
        else buf_put(out, s + i, used);
        i += used;
    }
}

const char *esc(const char *s) {
    /* a few live at once: enough for every %s of one printf */
    static buf ring[8];
    static unsigned next;
    buf *b = &ring[next++ % 8];
    b->n = 0;
    if (s) esc_buf(b, s, strlen(s), ESC_LINE);
    buf_u8(b, 0);
    return (const char *)b->p;
}

int esc_columns(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    int cols = 0;
    for (size_t i = 0; i < n;) {
        char e[8];
        size_t used, el = escape_one(s + i, n - i, ESC_LINE, &used, e);
        if (el) cols += (int)el;
        else {
            uint32_t cp;
            utf8_seq(s + i, n - i, &cp);
            cols += cp_width(cp);
        }
        i += used;
    }
    return cols;
}

static const char *esc_in(arena *a, const char *s, enum esc_mode m) {
    if (!s) return NULL;
    buf b = { 0 };
    esc_buf(&b, s, strlen(s), m);
    char *r = arena_strndup(a, b.p ? (const char *)b.p : "", b.n);
    buf_release(&b);
    return r;
}

trc_run *esc_run_copy(const trc_run *run, arena *a) {
    trc_run *r = arena_push(a, sizeof *r);
    *r = *run;
    r->scenario = esc_in(a, run->scenario, ESC_LINE);
    r->source_path = esc_in(a, run->source_path, ESC_LINE);
    r->backend = esc_in(a, run->backend, ESC_LINE);
    r->machine = esc_in(a, run->machine, ESC_LINE);
    r->report = esc_in(a, run->report, ESC_TEXT);
    r->params = arena_push(a, sizeof *r->params * (run->nparams + 1));
    for (uint32_t i = 0; i < run->nparams; i++) {
        r->params[i] = run->params[i];
        r->params[i].name = esc_in(a, run->params[i].name, ESC_LINE);
    }
    r->units = arena_push(a, sizeof *r->units * (run->nunits + 1));
    for (uint32_t i = 0; i < run->nunits; i++) {
        r->units[i] = run->units[i];
        r->units[i].name = esc_in(a, run->units[i].name, ESC_LINE);
        r->units[i].group = esc_in(a, run->units[i].group, ESC_LINE);
    }
    r->objects = arena_push(a, sizeof *r->objects * (run->nobjects + 1));
    for (uint32_t i = 0; i < run->nobjects; i++) {
        r->objects[i] = run->objects[i];
        r->objects[i].name = esc_in(a, run->objects[i].name, ESC_LINE);
    }
    r->strings = arena_push(a, sizeof *r->strings * (run->nstrings + 1));
    for (uint32_t i = 0; i < run->nstrings; i++) r->strings[i] = esc_in(a, run->strings[i], ESC_LINE);
    return r;
}
