/* The loading screen the viewer's window shows while a recording loads: what
 * is being read, for how long, and a bar that moves (drawn by any backend;
 * bench/bench_render draws it as the window does, to time the real path). */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rdr_loading_dl(rdr_drawlist *dl, const rdr_text_metrics *tm, int w, int h, const char *what, double secs) {
    const rdr_theme *th = rdr_theme_of(RDR_THEME_DARK);
    rdr_drawlist_reset(dl);
    rdr_dl_rect(dl, 0, 0, w, h, th->bg);
    char s[512];
    snprintf(s, sizeof s, "loading %s \xe2\x80\xa6 %.1f s", what ? what : "the recording", secs);
    size_t n = strlen(s);
    int tw = tm && tm->measure ? tm->measure(tm->ud, RDR_FONT_REGULAR, s, n) : (int)n * RDR_CHAR_W;
    int bw = w / 2 > 200 ? w / 2 : 200, bx = (w - bw) / 2, by = h / 2;
    rdr_dl_text(dl, (w - tw) / 2, by - 30, RDR_FONT_REGULAR, th->text, s, n);
    rdr_dl_rect(dl, bx, by, bw, 10, th->panel);
    int seg = bw / 4, pos = (int)(fmod(secs * 0.8, 2.0) < 1 ? fmod(secs * 0.8, 1.0) * (bw - seg) : (1 - fmod(secs * 0.8, 1.0)) * (bw - seg));
    rdr_dl_rect(dl, bx + pos, by, seg, 10, rdr_state_color(TRC_ST_COMPUTE));
}
