/* The frame: view + models -> draw list, immediate mode. No SDL here.
 *
 * Phases, top to bottom of the screen, back to front:
 *   background, lane rows (backgrounds, grid, state columns, object tracks,
 *   labels), flows and marks, playhead, header, ruler, footer, hover tooltip.
 * Everything after the playhead is hidden (or ghosted with 'g'), so playing
 * the playhead makes the run unfold. Per-frame cost is bounded by the window
 * size and the number of visible rows (see rdr_lod.c).
 */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ scratch

static void rdr_scratch(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    if (!v->buckets) v->buckets = xcalloc(1, sizeof *v->buckets);
    size_t n = (size_t)v->lay.plot_w + 8;
    size_t need = n * (sizeof(float) * TRC_ST__COUNT + sizeof(int64_t) + sizeof(uint32_t) + 2) + 64;
    if (v->scratch_cap < need) {
        free(v->scratch);
        v->scratch = xmalloc(need);
        v->scratch_cap = need;
    }
    char *p = v->scratch;
    cx->vals = (int64_t *)(void *)p; p += n * sizeof(int64_t);
    cx->acc = (float *)(void *)p; p += n * sizeof(float) * TRC_ST__COUNT;
    cx->okeys = (uint32_t *)(void *)p; p += n * sizeof(uint32_t);
    cx->keys = (int8_t *)p; p += n;
    cx->minor = (int8_t *)p;
    v->nclaims = 0;
    v->nlabels = 0;
}

/* Claims [x0, x1) of row ri for a label: false if a label drawn earlier this frame is there.
 * Labels are few per frame (each kind has its own budget), so a list will do. */
bool rdr_claim_text(rdr_ctx *cx, int ri, int x0, int x1) {
    rdr_view *v = cx->v;
    for (size_t i = 0; i < v->nclaims; i++) {
        const struct rdr_claim *c = &v->claims[i];
        if (c->row == ri && x0 < c->x1 + 4 && c->x0 < x1 + 4) return false;
    }
    ARR_PUSH(v->claims, v->nclaims, v->claims_cap, ((struct rdr_claim){ ri, x0, x1 }));
    return true;
}

rdr_lod *rdr_lod_of(rdr_view *v, uint32_t run) {
    if (!v->lod[run]) v->lod[run] = rdr_lod_new(&v->models[run]);
    return v->lod[run];
}

//~ the frame

void rdr_at_run(rdr_ctx *cx, uint32_t run) {
    rdr_view *v = cx->v;
    double off = run < v->nmodels ? v->info[run].off : 0;
    v->t0 = cx->ax_t0 - off;
    v->t1 = cx->ax_t1 - off;
    v->playhead = cx->ax_playhead - off;
    cx->reveal = cx->ax_reveal - off;
}

void rdr_at_axis(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    v->t0 = cx->ax_t0;
    v->t1 = cx->ax_t1;
    v->playhead = cx->ax_playhead;
    cx->reveal = cx->ax_reveal;
}

void rdr_build(rdr_view *v, rdr_drawlist *dl, const rdr_text_metrics *tm) {
    rdr_drawlist_reset(dl);
    rdr_ctx cx = { .th = rdr_theme_of(v->theme), .v = v, .dl = dl, .tm = tm, .line_h = tm && tm->line_h ? tm->line_h : RDR_LINE_H };
    cx.npp = (v->t1 - v->t0) / v->lay.plot_w;
    cx.reveal = v->playhead;
    cx.ax_t0 = v->t0; cx.ax_t1 = v->t1; cx.ax_playhead = v->playhead; cx.ax_reveal = cx.reveal;
    rdr_scratch(&cx);
    rdr_dl_rect(dl, 0, 0, v->lay.width, v->lay.height, cx.th->bg);
    rdr_lanes(&cx);
    rdr_tail_note(&cx);
    rdr_header(&cx);
    rdr_ruler(&cx);
    rdr_playhead(&cx);
    rdr_details(&cx);
    rdr_compare(&cx);
    if (v->lay.stage_w) rdr_stage(&cx, v->lay.stage_x, v->lay.stage_y, v->lay.stage_w, v->lay.stage_h);
    rdr_footer(&cx);
    cx.layer = 1;   /* over the frame, each on its own panel */
    rdr_hover(&cx);
    rdr_help(&cx);
}
