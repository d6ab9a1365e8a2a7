/* traces: formatting helpers of the text and JSON writers. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "traces/trc_internal.h"

void trc__bprintf(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n + 1);
        vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap2);
        b->n += (size_t)n;
    }
    va_end(ap2);
}

void trc__json_str(buf *b, const char *s) {
    buf_u8(b, '"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { buf_u8(b, '\\'); buf_u8(b, ch); }
        else if (ch == '\n') buf_put(b, "\\n", 2);
        else if (ch == '\t') buf_put(b, "\\t", 2);
        else if (ch < 0x20 || ch == 0x7f) trc__bprintf(b, "\\u%04x", ch);
        else buf_u8(b, ch);
    }
    buf_u8(b, '"');
}

void trc__json_num(buf *b, double v) {
    if (!isfinite(v)) { buf_put(b, "null", 4); return; }
    if (v == floor(v) && fabs(v) < 9e15) trc__bprintf(b, "%.0f", v);
    else trc__bprintf(b, "%.6g", v);
}
