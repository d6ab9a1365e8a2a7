/* Text and numbers on screen: measuring, fitting with an ellipsis, durations,
 * ruler times. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rdr_tw(const rdr_ctx *cx, int font, const char *s, size_t len) {
    if (cx->tm && cx->tm->measure) return cx->tm->measure(cx->tm->ud, font, s, len);
    int n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n * RDR_CHAR_W;
}

/* Draws s at (x, y), cut with an ellipsis to fit max_w; returns the width drawn. */
static int rdr_text_cut(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s, size_t len, int max_w) {
    int w = rdr_tw(cx, font, s, len);
    if (w <= max_w) {
        rdr_dl_text(cx->dl, x, y, font, col, s, len);
        rdr_label_take(cx, x, y, w, cx->line_h, s, len);
        return w;
    }
    static const char ell[] = "\xe2\x80\xa6";
    int ew = rdr_tw(cx, font, ell, 3);
    char tmp[256];
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80) len--;   /* whole code points */
        if (rdr_tw(cx, font, s, len) + ew <= max_w) break;
    }
    if (!len) return 0;
    if (len > sizeof tmp - 4) len = sizeof tmp - 4;
    memcpy(tmp, s, len);
    memcpy(tmp + len, ell, 4);
    rdr_dl_text(cx->dl, x, y, font, col, tmp, len + 3);
    w = rdr_tw(cx, font, tmp, len + 3);
    rdr_label_take(cx, x, y, w, cx->line_h, tmp, len + 3);
    return w;
}

/* Every label goes through here: cut to max_w and to the room left before a
 * label drawn earlier in the frame (rdr_label_log.c), or not drawn when one
 * covers its start. Returns the width drawn. */
int rdr_text_fit(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s, int max_w) {
    size_t len = strlen(s);
    if (!len || max_w <= 0) return 0;
    int room = rdr_label_room(cx, x, y, max_w, cx->line_h);
    if (room <= 0) return 0;
    return rdr_text_cut(cx, x, y, font, col, s, len, room);
}

/* The same, uncut but for another label: returns the width s takes (drawn or
 * not), so what is laid out after it stays in place. */
int rdr_text(rdr_ctx *cx, int x, int y, int font, uint32_t col, const char *s) {
    size_t len = strlen(s);
    int w = rdr_tw(cx, font, s, len);
    if (!len) return 0;
    int room = rdr_label_room(cx, x, y, w, cx->line_h);
    if (room > 0) rdr_text_cut(cx, x, y, font, col, s, len, room);
    return w;
}

void rdr_fmt_dur(char *out, size_t cap, double ns) {
    const char *u = "ns";
    double v = ns;
    if (ns >= 1e9) { v = ns / 1e9; u = "s"; }
    else if (ns >= 1e6) { v = ns / 1e6; u = "ms"; }
    else if (ns >= 1e3) { v = ns / 1e3; u = "\xc2\xb5s"; }
    if (u[0] == 'n') snprintf(out, cap, "%.0f ns", v);
    else if (v >= 100) snprintf(out, cap, "%.0f %s", v, u);
    else if (v >= 10) snprintf(out, cap, "%.1f %s", v, u);
    else snprintf(out, cap, "%.2f %s", v, u);
}

double rdr_tick_step(double ns_per_px, double min_px) {
    double raw = ns_per_px * min_px;
    if (!(raw > 1)) return 1;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

void rdr_fmt_time(char *out, size_t cap, double t, double step, double tmax) {
    double unit = 1;
    const char *name = "ns";
    double mag = fmax(fabs(tmax), step);
    if (mag >= 1e9) { unit = 1e9; name = "s"; }
    else if (mag >= 1e6) { unit = 1e6; name = "ms"; }
    else if (mag >= 1e3) { unit = 1e3; name = "\xc2\xb5s"; }
    double q = step / unit;
    /* a zero (or NaN) step makes -log10 infinite: no int conversion of that (UB; found by fuzz_pipeline) */
    double want = q >= 1 ? 0 : ceil(-log10(q) - 1e-9);
    int dec = want < 9 ? (int)want : 9;
    double val = t / unit;
    if (fabs(val) < 0.5 * pow(10, -dec)) val = 0;   /* no "-0" */
    snprintf(out, cap, "%.*f %s", dec, val, name);
}

const char *rdr_speed_str(char *out, size_t cap, double s) {
    if (s >= 1) snprintf(out, cap, "%g\xc3\x97", s);
    else snprintf(out, cap, "1/%g\xc3\x97", 1 / s);
    return out;
}

/* Major tick step: at least 110 px, and room for the widest label. */
double rdr_ruler_step(const rdr_ctx *cx) {
    const rdr_view *v = cx->v;
    double step = rdr_tick_step(cx->npp, 110);
    char s[64];
    rdr_fmt_time(s, sizeof s, v->t1, step, v->t1);
    int w = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s)) + 24;
    if (w > 110) step = rdr_tick_step(cx->npp, w);
    return step;
}
