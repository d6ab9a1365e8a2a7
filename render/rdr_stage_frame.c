/* The stage region of the frame: one stage per run, stacked top to bottom in
 * the region the layout gives beside the timeline (rdr_layout.c). Each run's
 * stage model is built the first time it is drawn, its layout whenever the
 * region's size changes, its state every frame at the playhead. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const bool rdr_stage_built = true;

void rdr_stage_view_free(rdr_view *v) {
    struct rdr_stage_view *sv = v->stage;
    if (!sv) return;
    for (uint32_t r = 0; r < sv->n; r++) {
        rdr_stage_run *sr = &sv->runs[r];
        rdr_stage_state_release(&sr->st);
        rdr_stage_layout_release(&sr->lay);
        rdr_stage_model_free(sr->sm);
    }
    free(sv->runs);
    free(sv);
    v->stage = NULL;
}

/* A move lasts a quarter of a second of wall-clock time while playing (at
 * most a tenth of the run, so a short run still shows each step). */
uint64_t rdr_stage_anim_ns(const rdr_view *v) {
    double a = v->speed * 0.25e9;
    if (a > (double)v->total / 10) a = (double)v->total / 10;
    return a > 1 ? (uint64_t)a : 0;
}

static rdr_stage_run *stage_run(rdr_view *v, uint32_t r, int w, int h, const rdr_text_metrics *tm, int line_h) {
    if (!v->stage) {
        v->stage = xcalloc(1, sizeof *v->stage);
        v->stage->runs = xcalloc(v->nmodels, sizeof *v->stage->runs);
        v->stage->n = v->nmodels;
    }
    rdr_stage_run *sr = &v->stage->runs[r];
    if (!sr->sm) sr->sm = rdr_stage_model_new(&v->models[r]);
    if (!sr->laid || sr->lw != w || sr->lh != h || sr->lline != line_h) {
        rdr_stage_layout_release(&sr->lay);
        rdr_stage_layout_build(&sr->lay, sr->sm, &v->info[r].wf, w, h, tm);
        sr->laid = true;
        sr->lw = w;
        sr->lh = h;
        sr->lline = line_h;
    }
    return sr;
}

bool rdr_stage_rect(const rdr_view *v, uint32_t r, int *x, int *y, int *w, int *h) {
    const rdr_layout *L = &v->lay;
    if (!L->stage_w || r >= v->nmodels) return false;
    uint32_t n = v->nmodels;
    int ry = L->stage_y + (int)((int64_t)L->stage_h * r / n);
    int rh = L->stage_y + (int)((int64_t)L->stage_h * (r + 1) / n) - ry;
    *x = L->stage_x + 1;
    *y = ry + 1;
    *w = L->stage_w - 1;
    *h = rh - 1;
    return true;
}

void rdr_stage(rdr_ctx *cx, int x, int y, int w, int h) {
    rdr_view *v = cx->v;
    rdr_clip(cx, x, y, w, h);
    rdr_dl_rect(cx->dl, x, y, w, h, cx->th->bg);
    rdr_dl_rect(cx->dl, x, y, 1, h, cx->th->grid);
    uint64_t anim = rdr_stage_anim_ns(v);
    uint32_t n = v->nmodels;
    for (uint32_t r = 0; r < n; r++) {
        int ry = y + (int)((int64_t)h * r / n), rh = y + (int)((int64_t)h * (r + 1) / n) - ry;
        if (r) rdr_dl_rect(cx->dl, x, ry, w, 1, cx->th->grid);
        /* the same rectangle rdr_stage_rect gives (rdr_build draws the region the layout reserved) */
        rdr_stage_run *sr = stage_run(v, r, w - 1, rh - 1, cx->tm, cx->line_h);
        const trc_model *m = &v->models[r];
        rdr_at_run(cx, r);   /* the playhead in this run's own time (runs on absolute time start apart) */
        double t = cx->reveal < 0 ? 0 : cx->reveal;
        uint64_t at = t >= (double)m->makespan ? m->makespan : (uint64_t)t;
        /* a run the watchdog ended (deadlock, stuck, timeout): past its last
         * step the stage stays as it was stuck, not as the watchdog's aborts left it */
        bool frozen = at > v->info[r].t_active;
        if (frozen) at = v->info[r].t_active;
        rdr_stage_state_at(sr->sm, &sr->st, at, frozen ? 0 : anim);   /* frozen: everyone where they got to */
        rdr_clip(cx, x + 1, ry + 1, w - 1, rh - 1);
        rdr_stage_draw(cx, r, sr->sm, &sr->lay, &sr->st, x + 1, ry + 1);
        rdr_stage_hover(cx, r, &sr->lay, &sr->st, x + 1, ry + 1);
    }
    rdr_at_axis(cx);
    rdr_clip(cx, 0, 0, 0, 0);
}
