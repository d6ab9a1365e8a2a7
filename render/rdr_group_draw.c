/* A process group's header row on the timeline: its name, pid and units in the
 * names column, and across the plot a stacked bar of its units' states (per
 * pixel column, how many of them are in each state: the share of the row's
 * height in the state's colour). Unfolded, the bar is a thin strip over the
 * group's lanes; folded, it stands for them. */
#include "render/rdr_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bottom to top: what runs, what is ready to, what waits, what is over. */
static const uint8_t stack_order[] = { TRC_ST_RUNNING, TRC_ST_COMPUTE, TRC_ST_RUNNABLE, TRC_ST_GIL_WAIT, 8 /* READY */,
                                       TRC_ST_BLOCKED, TRC_ST_SLEEP, TRC_ST_IDLE, TRC_ST_FLUSH, TRC_ST_UNKNOWN,
                                       TRC_ST_DONE };
enum { NSTACK = sizeof stack_order / sizeof stack_order[0], MAX_SAMPLED = 256 };
_Static_assert((int)NSTACK == (int)TRC_ST__COUNT, "every state has its place in the stack");

void rdr_group_cols(rdr_ctx *cx, const rdr_row *row, int y, int h, double reveal) {
    rdr_view *v = cx->v;
    const rdr_groups *g = v->groups[row->run];
    uint32_t k0 = g->off[row->id], k1 = g->off[row->id + 1];
    rdr_cols c = rdr_cols_of(cx, 0, reveal);
    if (!(c.b > c.a) || c.ncol <= 0 || h <= 0) return;
    /* a group of thousands (a loop's tasks) is sampled: every step-th unit */
    uint32_t n = k1 - k0, step = n > MAX_SAMPLED ? (n + MAX_SAMPLED - 1) / MAX_SAMPLED : 1;
    uint16_t *cnt = xcalloc((size_t)c.ncol * TRC_ST__COUNT, sizeof *cnt);
    uint16_t *tot = xcalloc((size_t)c.ncol, sizeof *tot);
    rdr_lod *l = rdr_lod_of(v, row->run);
    for (uint32_t k = k0; k < k1; k += step) {
        rdr_lod_unit(l, g->members[k], &c, cx->keys, NULL, cx->acc, cx->dl);
        for (int col = 0; col < c.ncol; col++) {
            int s = cx->keys[col];
            if (s < 0 || s >= TRC_ST__COUNT) continue;
            cnt[(size_t)col * TRC_ST__COUNT + (size_t)s]++;
            tot[col]++;
        }
    }
    int x0 = v->lay.plot_x;
    int start = 0;
    for (int col = 1; col <= c.ncol; col++) {   /* runs of columns with the same counts: one rect per state */
        if (col < c.ncol && tot[col] == tot[start] &&
            !memcmp(&cnt[(size_t)col * TRC_ST__COUNT], &cnt[(size_t)start * TRC_ST__COUNT], TRC_ST__COUNT * sizeof *cnt))
            continue;
        unsigned t = tot[start];
        if (t) {
            const uint16_t *cs = &cnt[(size_t)start * TRC_ST__COUNT];
            unsigned acc = 0;
            int yb = y + h;   /* the bottom */
            for (int i = 0; i < NSTACK; i++) {
                unsigned s = stack_order[i];
                if (!cs[s]) continue;
                int ya = y + h - (int)((acc + cs[s]) * (unsigned)h / t);
                acc += cs[s];
                if (yb - ya < 1 && s != TRC_ST_DONE) ya = yb - 1;   /* one unit of many still shows */
                if (yb > ya) rdr_dl_rect(cx->dl, x0 + start, ya, col - start, yb - ya, rdr_state_color(s));
                yb = ya;
            }
            cx->dl->lane_rects++;
        }
        start = col;
    }
    free(cnt);
    free(tot);
}

void rdr_group_label(rdr_ctx *cx, const rdr_row *row, int y) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_run *run = m->run;
    bool folded = v->groups[row->run]->folded[row->id];
    int lw = v->lay.label_w;
    int ty = y + (row->h - cx->line_h) / 2;
    /* the fold triangle: pointing right when folded, down when open */
    int cx0 = 8, cy0 = y + row->h / 2;
    for (int i = 0; i < 5; i++) {
        if (folded) rdr_dl_rect(cx->dl, cx0 + i, cy0 - 4 + i, 1, 9 - 2 * i, cx->th->text);
        else rdr_dl_rect(cx->dl, cx0 + i - 1, cy0 - 2 + i, 9 - 2 * i, 1, cx->th->text);
    }
    const trc_unit *un = &run->units[row->id];
    bool loop = un->kind == TRC_UNIT_LOOP;
    char s[96];
    if (loop) snprintf(s, sizeof s, "loop");
    else if (m->units[row->id].pid > 0) snprintf(s, sizeof s, "pid %d", (int)m->units[row->id].pid);
    else snprintf(s, sizeof s, "process");
    int x = 20;
    x += rdr_text_fit(cx, x, ty, RDR_FONT_BOLD, cx->th->text, un->name ? un->name : "?", lw - 24);
    char tail[128];
    snprintf(tail, sizeof tail, "%s \xc2\xb7 %u units", s, row->lane);
    if (x + RDR_CHAR_W < lw - 4) rdr_text_fit(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, cx->th->text_dim, tail,
                                              lw - x - RDR_CHAR_W - 4);
}
