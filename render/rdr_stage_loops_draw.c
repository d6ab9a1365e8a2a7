/* Event loops on the stage: the block of a loop and its tasks, framed and
 * named, over a strip with the spot of the task the loop runs ("runs") and its
 * ready queue ("ready"): the tasks that can run again, lined up in the order
 * they became ready, the next to run first. A task that awaits something
 * stands at what it awaits (or at home); the figures themselves are drawn with
 * the others (rdr_stage_draw.c, placed by rdr_stage_place.c). */
#include "render/rdr_internal.h"

#include <stdio.h>
#include <string.h>

static void frame(rdr_drawlist *dl, int x, int y, int w, int h, uint32_t col) {
    if (w <= 0 || h <= 0) return;
    rdr_dl_rect(dl, x, y, w, 1, col);
    rdr_dl_rect(dl, x, y + h - 1, w, 1, col);
    rdr_dl_rect(dl, x, y + 1, 1, h - 2, col);
    rdr_dl_rect(dl, x + w - 1, y + 1, 1, h - 2, col);
}

void rdr_stage_loops(rdr_ctx *cx, const rdr_stage_layout *L, const rdr_stage_state *st, const trc_run *run, int ox, int oy) {
    const rdr_theme *th = cx->th;
    for (uint32_t i = 0; i < L->nloops; i++) {
        const rdr_stage_loop *lp = &L->loops[i];
        const rdr_stage_group *G = &L->groups[L->group_of[lp->unit]];
        const rdr_stage_unit *lu = &st->units[lp->unit];
        int x = ox + G->x - 4, y = oy + G->y - 2, w = G->w + 8, h = G->h + 4;
        rdr_dl_rect(cx->dl, x + 1, y + 1, w - 2, h - 2, rdr_mix(th->bg, th->panel, 0.7));
        frame(cx->dl, x, y, w, h, th->text_dim);
        char s[192];
        snprintf(s, sizeof s, "%s \xc2\xb7 %u tasks", run->units[lp->unit].name ? run->units[lp->unit].name : "loop",
                 G->n ? G->n - 1 : 0);
        rdr_text_fit(cx, ox + G->x, oy + G->y, RDR_FONT_BOLD, th->text, s, G->w);
        /* the strip */
        int sx = ox + lp->x, sy = oy + lp->y;
        rdr_dl_rect(cx->dl, sx, sy, lp->w, lp->h, th->bg);
        int ty = sy + (lp->h - cx->line_h) / 2;
        rdr_text(cx, sx + 4, ty, RDR_FONT_REGULAR, th->text_dim, "runs");
        int fw = L->fig_w + 6, fh = L->fig + 4;
        frame(cx->dl, ox + lp->run_x - fw / 2, oy + lp->run_y - fh + 1, fw, fh,
              lu->running != RDR_STAGE_NONE ? th->text : rdr_mix(th->bg, th->text_dim, 0.5));
        int qx = ox + lp->run_x + fw / 2 + 8;
        char q[48];
        if (lu->ready > (uint32_t)lp->nl) snprintf(q, sizeof q, "ready %u", lu->ready);
        else snprintf(q, sizeof q, "ready");
        rdr_text(cx, qx, ty, RDR_FONT_REGULAR, lu->ready ? th->text : th->text_dim, q);
        for (int k = 0; k < lp->nl; k++)   /* the queue's places: a tick under each */
            rdr_dl_rect(cx->dl, ox + lp->lx + k * lp->ldx - L->fig_w / 2, oy + lp->ly + 1, L->fig_w, 1,
                        (uint32_t)k < lu->ready ? th->text_dim : th->grid);
    }
}
