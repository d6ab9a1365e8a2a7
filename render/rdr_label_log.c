/* The label log: every label of a frame (timeline and stage) is placed through
 * here, so no label covers another. rdr_text and rdr_text_fit ask
 * rdr_label_free before drawing and shorten or skip a label that would cover
 * one drawn earlier in the frame; what is drawn is recorded, cut to the clip
 * it is drawn in, and rdr_view_labels reads the log back (the tests do). */
#include "render/rdr_internal.h"

#include <string.h>

void rdr_clip(rdr_ctx *cx, int x, int y, int w, int h) {
    rdr_dl_clip(cx->dl, x, y, w, h);
    if (w > 0 && h > 0) { cx->clip_x = x; cx->clip_y = y; cx->clip_w = w; cx->clip_h = h; }
    else cx->clip_w = cx->clip_h = 0;
}

/* Cuts [x, x+w) x [y, y+h) to the clip; false when nothing of it shows. */
static bool rdr_label_cut(const rdr_ctx *cx, int *x, int *y, int *w, int *h) {
    int x0 = *x, y0 = *y, x1 = *x + *w, y1 = *y + *h;
    if (cx->clip_w > 0 && cx->clip_h > 0) {
        if (x0 < cx->clip_x) x0 = cx->clip_x;
        if (y0 < cx->clip_y) y0 = cx->clip_y;
        if (x1 > cx->clip_x + cx->clip_w) x1 = cx->clip_x + cx->clip_w;
        if (y1 > cx->clip_y + cx->clip_h) y1 = cx->clip_y + cx->clip_h;
    }
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > cx->v->lay.width) x1 = cx->v->lay.width;
    if (y1 > cx->v->lay.height) y1 = cx->v->lay.height;
    if (x1 <= x0 || y1 <= y0) return false;
    *x = x0; *y = y0; *w = x1 - x0; *h = y1 - y0;
    return true;
}

static bool rdr_rects_meet(const rdr_label_rect *r, int x, int y, int w, int h) {
    return x < r->x + r->w && r->x < x + w && y < r->y + r->h && r->y < y + h;
}

bool rdr_label_free(const rdr_ctx *cx, int x, int y, int w, int h) {
    if (!rdr_label_cut(cx, &x, &y, &w, &h)) return true;
    const rdr_view *v = cx->v;
    for (size_t i = 0; i < v->nlabels; i++)
        if (v->labels[i].layer == cx->layer && rdr_rects_meet(&v->labels[i], x, y, w, h)) return false;
    return true;
}

/* The width a label starting at x may take, at most w, before it would meet
 * one drawn earlier or the right edge of its clip: 0 when one covers its start. */
int rdr_label_room(const rdr_ctx *cx, int x, int y, int w, int h) {
    int cx0 = x, cy0 = y, cw = w, ch = h;
    if (!rdr_label_cut(cx, &cx0, &cy0, &cw, &ch)) return w;   /* clipped away: draws nothing */
    const rdr_view *v = cx->v;
    int room = w;
    /* no glyph cut in half at the clip's right edge (or the window's): the label ends before it */
    int right = cx->clip_w > 0 ? cx->clip_x + cx->clip_w : v->lay.width;
    if (right > v->lay.width) right = v->lay.width;
    if (x < right && right - x < room) room = right - x;
    for (size_t i = 0; i < v->nlabels; i++) {
        const rdr_label_rect *r = &v->labels[i];
        if (r->layer != cx->layer || !rdr_rects_meet(r, cx0, cy0, cw, ch)) continue;
        if (r->x <= x) return 0;
        if (r->x - x < room) room = r->x - x;
    }
    return room;
}

void rdr_label_take(rdr_ctx *cx, int x, int y, int w, int h, const char *s, size_t len) {
    if (!rdr_label_cut(cx, &x, &y, &w, &h)) return;
    rdr_view *v = cx->v;
    ARR_GROW(v->labels, v->nlabels + 1, v->labels_cap);
    rdr_label_rect *r = &v->labels[v->nlabels++];
    memset(r, 0, sizeof *r);
    r->x = x; r->y = y; r->w = w; r->h = h; r->layer = cx->layer;
    if (len > sizeof r->text - 1) len = sizeof r->text - 1;
    if (s) memcpy(r->text, s, len);
}

const rdr_label_rect *rdr_view_labels(const rdr_view *v, size_t *n) {
    *n = v->nlabels;
    return v->labels;
}

int rdr_frame_label(rdr_view *v, rdr_drawlist *dl, const rdr_text_metrics *tm, int layer, int cx, int cy, int cw, int ch,
                    int x, int y, uint32_t col, const char *s, int max_w) {
    rdr_ctx c = { .th = rdr_theme_of(v->theme), .v = v, .dl = dl, .tm = tm,
                  .line_h = tm && tm->line_h ? tm->line_h : RDR_LINE_H, .layer = layer };
    if (cw > 0 && ch > 0) rdr_clip(&c, cx, cy, cw, ch);
    int w = rdr_text_fit(&c, x, y, RDR_FONT_REGULAR, col, s, max_w);
    if (cw > 0 && ch > 0) rdr_clip(&c, 0, 0, 0, 0);
    return w;
}
