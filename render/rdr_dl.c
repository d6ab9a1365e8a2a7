/* Draw lists: the frame as rects, lines, text and clips, in pixels. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ draw list

void rdr_drawlist_reset(rdr_drawlist *dl) {
    dl->n = 0;
    dl->ntext = 0;
    dl->lane_rects = dl->spans_visited = dl->dense_columns = 0;
}

void rdr_drawlist_free(rdr_drawlist *dl) {
    free(dl->cmds);
    free(dl->text);
    memset(dl, 0, sizeof *dl);
}

static rdr_cmd *rdr_dl_push(rdr_drawlist *dl, uint8_t kind) {
    ARR_GROW(dl->cmds, dl->n + 1, dl->cap);
    rdr_cmd *c = &dl->cmds[dl->n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

void rdr_dl_rect(rdr_drawlist *dl, int x, int y, int w, int h, uint32_t color) {
    if (w <= 0 || h <= 0) return;
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_RECT);
    c->x = x; c->y = y; c->w = w; c->h = h; c->color = color;
}

void rdr_dl_line(rdr_drawlist *dl, int x0, int y0, int x1, int y1, uint32_t color) {
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_LINE);
    c->x = x0; c->y = y0; c->w = x1 - x0; c->h = y1 - y0; c->color = color;
}

void rdr_dl_text(rdr_drawlist *dl, int x, int y, int font, uint32_t color, const char *s, size_t len) {
    if (!len) return;
    if (len > 0xffff) len = 0xffff;
    ARR_GROW(dl->text, dl->ntext + len + 1, dl->cap_text);
    memcpy(dl->text + dl->ntext, s, len);
    dl->text[dl->ntext + len] = 0;
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_TEXT);
    c->x = x; c->y = y; c->font = (uint8_t)font; c->color = color;
    c->text = (uint32_t)dl->ntext; c->len = (uint16_t)len;
    dl->ntext += len + 1;
}

void rdr_dl_clip(rdr_drawlist *dl, int x, int y, int w, int h) {
    rdr_cmd *c = rdr_dl_push(dl, RDR_CMD_CLIP);
    c->x = x; c->y = y; c->w = w; c->h = h;
}
