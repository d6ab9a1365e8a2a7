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

static bool is_bidi_control(uint32_t cp) { return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069); }

/* The escape for one unsafe character or byte in mode m, into out (>= 8 bytes);
 * returns its length, or 0 if the sequence at s is safe to write as it is. */
static size_t escape_one(const unsigned char *s, size_t n, enum esc_mode m, size_t *consumed, char *out) {
    uint32_t cp;
    size_t len = (size_t)utf8_decode((const char *)s, n, &cp);
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

int esc_columns(const char *str, int chars) {
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    int cols = 0;
    /* a character is a UTF-8 sequence or a byte that is not one, as the lexer counts them */
    for (size_t i = 0; i < n && chars > 0; chars--) {
        char e[8];
        size_t used, el = escape_one(s + i, n - i, ESC_LINE, &used, e);
        if (el) cols += (int)el;
        else {
            uint32_t cp;
            utf8_decode((const char *)s + i, n - i, &cp);
            cols += uc_width(cp);
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
