/* The stage's pictures, into the draw list: every object of a run as a
 * picture of its state at the playhead, every unit as a figure coloured by its
 * state (the timeline's colours) with a head in its owner colour (the colour
 * the lock tracks give it), standing at home or in the line of what it waits
 * for, walking between the two; items flying in and out of queues; the
 * wait-for cycle drawn as a ring of red arrows.
 *
 * Drawing order, back to front: the bench (labels, empty homes), the cells
 * (backgrounds, names, pictures), the figures, the flying tokens, the cycle.
 * Kinds it does not know are labelled boxes, so a new object kind shows up
 * before it has a picture of its own. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sdraw {
    rdr_ctx *cx;
    rdr_drawlist *dl;
    const rdr_theme *th;
    const rdr_stage_model *sm;
    const rdr_stage_layout *L;
    const rdr_stage_state *st;
    const trc_model *m;
    const trc_run *run;
    uint32_t r;
    int ox, oy;
    uint32_t outline;           /* a figure's outline: dark on dark, grey on light */
    uint32_t wake, ok;          /* notify/set text and frames, a flag up: readable on the theme's background */
    rdr_stage_geo g;
    uint32_t box;               /* a cell's background */
} sdraw;

enum { FIG_GHOST = 1, FIG_CYCLE = 2, FIG_NOTIFIED = 4, FIG_KILLED = 8, FIG_SMALL = 16 };

//~ primitives

static uint32_t with_alpha(uint32_t col, double a) {
    if (a < 0) a = 0;
    if (a > 1) a = 1;
    return (col & 0xffffffu) | ((uint32_t)(a * 255 + 0.5) << 24);
}

static double ease(double p) { return p <= 0 ? 0 : p >= 1 ? 1 : p * p * (3 - 2 * p); }

static void disc(rdr_drawlist *dl, int cx, int cy, int r, uint32_t col) {
    for (int dy = -r; dy <= r; dy++) {
        int dx = (int)floor(sqrt((double)(r * r - dy * dy) + 0.6 * r));
        if (dx > r) dx = r;
        rdr_dl_rect(dl, cx - dx, cy + dy, 2 * dx + 1, 1, col);
    }
}

static void ring(rdr_drawlist *dl, int cx, int cy, int r, uint32_t col) {
    int prev = 0;
    for (int dy = -r; dy <= 0; dy++) {   /* the upper half, mirrored below */
        int dx = (int)floor(sqrt((double)(r * r - dy * dy) + 0.6 * r));
        if (dx > r) dx = r;
        int a = dy == -r ? 0 : prev + 1;
        if (a > dx) a = dx;
        for (int m = 0; m < (dy ? 2 : 1); m++) {
            int yy = m ? cy - dy : cy + dy;
            rdr_dl_rect(dl, cx + a, yy, dx - a + 1, 1, col);
            rdr_dl_rect(dl, cx - dx, yy, dx - a + 1, 1, col);
        }
        prev = dx;
    }
}

static void frame(rdr_drawlist *dl, int x, int y, int w, int h, uint32_t col) {
    if (w <= 0 || h <= 0) return;
    rdr_dl_rect(dl, x, y, w, 1, col);
    rdr_dl_rect(dl, x, y + h - 1, w, 1, col);
    rdr_dl_rect(dl, x, y + 1, 1, h - 2, col);
    rdr_dl_rect(dl, x + w - 1, y + 1, 1, h - 2, col);
}

static void thick_line(rdr_drawlist *dl, int x0, int y0, int x1, int y1, uint32_t col, int width) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (len < 1) return;
    double nx = -dy / len, ny = dx / len;
    for (int k = 0; k < width; k++) {
        double off = k - (width - 1) / 2.0;
        int ox = (int)lround(nx * off), oy = (int)lround(ny * off);
        rdr_dl_line(dl, x0 + ox, y0 + oy, x1 + ox, y1 + oy, col);
    }
}

static void arrow(rdr_drawlist *dl, int x0, int y0, int x1, int y1, uint32_t col, int width, int head) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (len < 2) return;
    thick_line(dl, x0, y0, x1, y1, col, width);
    double ux = dx / len, uy = dy / len;
    for (int s = -1; s <= 1; s += 2) {
        double ax = -ux * head + s * -uy * head * 0.6, ay = -uy * head + s * ux * head * 0.6;
        thick_line(dl, x1, y1, x1 + (int)lround(ax), y1 + (int)lround(ay), col, width);
    }
}

static int text_c(sdraw *d, int xc, int y, int font, uint32_t col, const char *s, int max_w) {
    int w = rdr_tw(d->cx, font, s, strlen(s));
    if (w > max_w) w = max_w;
    return rdr_text_fit(d->cx, xc - w / 2, y, font, col, s, max_w);
}

static const char *uname(const sdraw *d, uint32_t u) { return rdr_unit_name(d->run, u); }

//~ figures

/* A unit: head in its owner colour, body in its state's colour; (bx, by) is the bottom centre. */
static void figure(sdraw *d, int bx, int by, uint32_t u, unsigned state, int flags) {
    const rdr_stage_layout *L = d->L;
    int s = L->fig, fw = L->fig_w;
    if (flags & FIG_SMALL) { s = s * 2 / 3; fw = fw * 2 / 3; if (s < 8) s = 8; if (fw < 5) fw = 5; }
    int hr = s / 5 < 2 ? 2 : s / 5;
    int hy = by - s + hr, top = by - s + 2 * hr + 2, bh = by - top;
    int x = bx - fw / 2;
    if (flags & FIG_GHOST) {
        uint32_t c = with_alpha(d->th->text_dim, 0.55);
        ring(d->dl, bx, hy, hr, c);
        frame(d->dl, x, top, fw, bh, c);
        return;
    }
    if (flags & FIG_CYCLE) {
        frame(d->dl, x - 3, hy - hr - 3, fw + 6, by - (hy - hr) + 5, d->th->alert);
        frame(d->dl, x - 2, hy - hr - 2, fw + 4, by - (hy - hr) + 3, d->th->alert);
    }
    if (flags & FIG_NOTIFIED) frame(d->dl, x - 3, hy - hr - 3, fw + 6, by - (hy - hr) + 5, d->wake);
    uint32_t body = rdr_state_color(state);
    rdr_dl_rect(d->dl, x - 1, top - 1, fw + 2, bh + 2, d->outline);
    rdr_dl_rect(d->dl, x + 1, top, fw - 2, 1, body);
    rdr_dl_rect(d->dl, x, top + 1, fw, bh - 1, body);
    disc(d->dl, bx, hy, hr + 1, d->outline);
    disc(d->dl, bx, hy, hr, rdr_owner_color(u));
    if (flags & FIG_KILLED) {
        rdr_dl_line(d->dl, x, top, x + fw - 1, by - 1, RDR_COL_KILLED);
        rdr_dl_line(d->dl, x + fw - 1, top, x, by - 1, RDR_COL_KILLED);
    }
}

/* A unit's mini head with its label, for chips and permits. */
static void chip(sdraw *d, int x, int y, int w, int h, uint32_t u, const char *prefix) {
    if (w <= 0 || !rdr_label_free(d->cx, x, y, w, h)) return;   /* it would cover a label */
    uint32_t col = rdr_owner_color(u);
    rdr_dl_rect(d->dl, x, y, w, h, col);
    char s[160];
    snprintf(s, sizeof s, "%s%s", prefix ? prefix : "", uname(d, u));
    int ty = y + (h - d->cx->line_h) / 2;
    if (!rdr_text_fit(d->cx, x + 4, ty, RDR_FONT_REGULAR, d->th->on_pastel, s, w - 6))
        rdr_label_take(d->cx, x, y, w, h, NULL, 0);   /* too narrow for a name: the chip still takes its place */
}

//~ places (rdr_stage_place.c)

static bool line_spot(const sdraw *d, uint32_t obj, int side, uint32_t k, int *x, int *y) {
    return rdr_stage_line_spot(&d->g, obj, side, k, x, y);
}
static bool home_of(const sdraw *d, uint32_t u, int *x, int *y) { return rdr_stage_home(&d->g, u, x, y); }
static bool unit_pos(const sdraw *d, uint32_t u, int *x, int *y) { return rdr_stage_unit_xy(&d->g, u, x, y); }

//~ the bench

static void bench(sdraw *d) {
    const rdr_stage_layout *L = d->L;
    const rdr_stage_state *st = d->st;
    const trc_run *run = d->run;
    int line_h = d->cx->line_h;
    if (L->summary) {
        uint32_t ng = L->ngroups;
        uint32_t (*cnt)[TRC_ST__COUNT + 1] = xcalloc(ng ? ng : 1, sizeof *cnt);
        for (uint32_t u = 0; u < run->nunits; u++) {
            if (rdr_stage_pool_of(d->sm, u)) continue;
            const rdr_stage_unit *su = &st->units[u];
            unsigned k = su->place == RDR_PLACE_NONE ? TRC_ST__COUNT : su->state < TRC_ST__COUNT ? su->state : 0;
            cnt[L->group_of[u]][k]++;
        }
        for (uint32_t g = 0; g < ng; g++) {
            const rdr_stage_group *G = &L->groups[g];
            uint32_t n = 0;
            for (int k = 0; k <= TRC_ST__COUNT; k++) n += cnt[g][k];
            if (!n || !G->h) continue;
            int x = d->ox + G->x, y = d->oy + G->y;
            char s[160];
            snprintf(s, sizeof s, "%s \xc3\x97%u", G->name, n);
            int nw = G->w / 3;
            rdr_text_fit(d->cx, x, y + 2, RDR_FONT_BOLD, d->th->text, s, nw - 6);
            /* a bar of the units by state, then the biggest counts in words */
            int bx = x + nw, bw = G->w / 3, by = y + 4, bh = line_h - 4, acc = 0;
            rdr_dl_rect(d->dl, bx, by, bw, bh, d->th->grid);
            for (int k = 0; k <= TRC_ST__COUNT; k++) {
                if (!cnt[g][k]) continue;
                int w = (int)((int64_t)bw * cnt[g][k] / n);
                if (w < 1) w = 1;
                if (acc + w > bw) w = bw - acc;
                if (k < TRC_ST__COUNT) rdr_dl_rect(d->dl, bx + acc, by, w, bh, rdr_state_color((unsigned)k));
                acc += w;
            }
            char words[192];
            size_t wl = 0;
            words[0] = 0;
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k <= TRC_ST__COUNT && wl < sizeof words - 40; k++) {
                    bool blocked = k == TRC_ST_BLOCKED;
                    if (!cnt[g][k] || (pass == 0) != blocked) continue;   /* blocked first */
                    wl += (size_t)snprintf(words + wl, sizeof words - wl, "%s%u %s", wl ? " \xc2\xb7 " : "", cnt[g][k],
                                           k == TRC_ST__COUNT ? "not started" : trc_state_name((unsigned)k));
                }
            rdr_text_fit(d->cx, bx + bw + 8, y + 2, RDR_FONT_REGULAR, d->th->text_dim, words, x + G->w - (bx + bw + 8));
        }
        free(cnt);
        return;
    }
    for (uint32_t g = 0; g < L->ngroups; g++) {
        const rdr_stage_group *G = &L->groups[g];
        if (!G->header || !G->w || G->proc >= 0) continue;   /* a process's block: its box says its name */
        char s[160];
        snprintf(s, sizeof s, "%s \xc3\x97%u", G->name, G->n);
        rdr_text_fit(d->cx, d->ox + G->x, d->oy + G->y, RDR_FONT_BOLD, d->th->text, s, G->w);
    }
}

/* Labels under the homes, and an outline where a unit is not (yet, or now). */
static void homes(sdraw *d) {
    const rdr_stage_layout *L = d->L;
    for (uint32_t u = 0; u < d->run->nunits; u++) {
        int x, y;
        if (!home_of(d, u, &x, &y)) continue;
        const rdr_stage_unit *su = &d->st->units[u];
        bool pool = rdr_stage_pool_of(d->sm, u) != 0;
        if (L->home_label[u] && !pool)
            text_c(d, x, y + 2, RDR_FONT_REGULAR, su->place == RDR_PLACE_NONE ? d->th->text_dim : d->th->text, L->label[u],
                   16 * RDR_CHAR_W);
        if (su->place != RDR_PLACE_HOME) figure(d, x, y, u, TRC_ST_DONE, FIG_GHOST);
    }
}

//~ cells

/* The cell's frame and its name line. `right` is what the object's state says
 * in words: options from the longest to the shortest, separated by '\n'; the
 * first that fits beside the name is drawn. */
static void cell_title(sdraw *d, const rdr_stage_cell *ce, const char *right, uint32_t rcol, bool alert) {
    int x = d->ox + ce->x, y = d->oy + ce->y;
    rdr_dl_rect(d->dl, x, y, ce->w, ce->h, d->box);
    frame(d->dl, x, y, ce->w, ce->h, alert ? d->th->alert : d->th->grid);
    if (alert) frame(d->dl, x + 1, y + 1, ce->w - 2, ce->h - 2, d->th->alert);
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    const char *name = ob->name ? ob->name : "?";
    int nw = rdr_tw(d->cx, RDR_FONT_BOLD, name, strlen(name));
    if (nw > ce->w / 2) nw = ce->w / 2;
    const char *tag = rdr_kind_tag(ob->kind);
    int tw = rdr_tw(d->cx, RDR_FONT_REGULAR, tag, strlen(tag)) + 6;
    int room = ce->w - 12 - nw - 10;   /* for the words on the right */
    const char *pick = NULL;
    size_t plen = 0;
    for (const char *p = right; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int w = rdr_tw(d->cx, RDR_FONT_REGULAR, p, len);
        pick = p;
        plen = len;
        if (w <= room) break;
        p = e ? e + 1 : NULL;
    }
    int rw = pick ? rdr_tw(d->cx, RDR_FONT_REGULAR, pick, plen) : 0;
    if (rw > room) rw = room;
    rdr_text_fit(d->cx, x + 6, y + 2, RDR_FONT_BOLD, d->th->text, name, ce->w / 2);
    if (nw + tw + rw + 20 <= ce->w) rdr_text(d->cx, x + 6 + nw + 6, y + 2, RDR_FONT_REGULAR, d->th->text_dim, tag);
    if (rw > 0) {
        char tmp[256];
        if (plen >= sizeof tmp) plen = sizeof tmp - 1;
        memcpy(tmp, pick, plen);
        tmp[plen] = 0;
        rdr_text_fit(d->cx, x + ce->w - 6 - rw, y + 2, RDR_FONT_REGULAR, rcol, tmp, rw);
    }
}

/* "+N" after the last place of a line, for the waiters it cannot show. */
static void line_more(sdraw *d, uint32_t obj, int side, uint32_t n) {
    const rdr_stage_cell *ce = &d->L->cells[obj - 1];
    int nl = side == 2 ? ce->nl2 : ce->nl;
    if (n <= (uint32_t)nl || !nl) return;
    int x, y;
    if (!line_spot(d, obj, side, (uint32_t)nl - 1, &x, &y)) return;
    char s[32];
    snprintf(s, sizeof s, "+%u", n - (uint32_t)(nl - 1));
    int w = rdr_tw(d->cx, RDR_FONT_BOLD, s, strlen(s)) + 6;
    if (!rdr_label_free(d->cx, x - w / 2, y - d->cx->line_h - 2, w, d->cx->line_h + 2)) return;
    rdr_dl_rect(d->dl, x - w / 2, y - d->cx->line_h - 2, w, d->cx->line_h + 2, d->th->tag_bg);
    text_c(d, x, y - d->cx->line_h - 1, RDR_FONT_BOLD, d->th->text, s, w);
}

static void padlock(sdraw *d, int x, int y, int w, int h, bool held, uint32_t fill, bool alert) {
    /* the shackle's top at y + lift when closed, at y when open (lifted, its right leg out) */
    int lift = h / 8 < 2 ? 2 : h / 8, sh = h * 2 / 5, bt = y + lift + sh;
    int top = held ? y + lift : y;
    uint32_t sc = alert ? d->th->alert : d->th->text_dim;
    int lw = w / 6 < 2 ? 2 : w / 6;
    int sx0 = x + w / 5, sx1 = x + w - w / 5 - lw;
    rdr_dl_rect(d->dl, sx0, top, lw, bt - top, sc);
    if (held) rdr_dl_rect(d->dl, sx1, top, lw, bt - top, sc);
    else rdr_dl_rect(d->dl, sx1, top, lw, (bt - top) / 2, sc);
    rdr_dl_rect(d->dl, sx0, top, sx1 + lw - sx0, lw, sc);
    rdr_dl_rect(d->dl, x - 1, bt - 1, w + 2, y + h - bt + 2, alert ? d->th->alert : d->outline);
    rdr_dl_rect(d->dl, x, bt, w, y + h - bt, fill);
    int kx = x + w / 2, ky = bt + (y + h - bt) / 2;   /* the keyhole */
    rdr_dl_rect(d->dl, kx - 1, ky - 2, 2, 4, d->outline);
}

static void draw_lock(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so, bool in_cycle) {
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    char right[96] = "";
    if (so->holder != RDR_STAGE_NONE && ob->kind == TRC_OBJ_RLOCK && so->level > 1)
        snprintf(right, sizeof right, "depth %lld", (long long)so->level);
    else if (so->holder == RDR_STAGE_NONE) snprintf(right, sizeof right, "free");
    if (so->nwait) {
        size_t n = strlen(right);
        snprintf(right + n, sizeof right - n, "%s%u waiting", n ? " \xc2\xb7 " : "", so->nwait);
    }
    cell_title(d, ce, right, so->nwait ? RDR_COL_ALERT : d->th->text_dim, in_cycle);
    int fig = d->L->fig, pad = fig * 4 / 5 < 12 ? 12 : fig * 4 / 5;
    int x = d->ox + ce->px, y = d->oy + ce->py + 2;
    bool held = so->holder != RDR_STAGE_NONE;
    padlock(d, x, y, pad, fig, held, held ? rdr_owner_color(so->holder) : d->th->panel, in_cycle);
    int cx0 = x + pad + 6, cw = ce->pw - pad - 6 - 6, chh = d->cx->line_h + 4;
    int cy = y + fig - chh > y ? y + fig - chh : y;   /* never up into the title, in a short cell */
    if (held) {
        chip(d, cx0, cy, cw, chh, so->holder, NULL);
        if (ob->kind == TRC_OBJ_RLOCK) {   /* its depth as a badge on the padlock */
            char s[24];
            snprintf(s, sizeof s, "\xc3\x97%lld", (long long)so->level);
            int w = rdr_tw(d->cx, RDR_FONT_BOLD, s, strlen(s)) + 4;
            if (rdr_label_free(d->cx, x + pad - w / 2, y - 2, w, d->cx->line_h))
                rdr_dl_rect(d->dl, x + pad - w / 2, y - 2, w, d->cx->line_h, d->th->tag_bg);
            rdr_text(d->cx, x + pad - w / 2 + 2, y - 2, RDR_FONT_BOLD, d->th->text, s);
        }
    } else {
        frame(d->dl, cx0, cy, cw, chh, d->th->grid);
        rdr_text_fit(d->cx, cx0 + 4, cy + 2, RDR_FONT_REGULAR, d->th->text_dim, "free", cw - 6);
    }
    line_more(d, ce->obj, 1, so->nwait);
}

/* The GIL's token: a coin with "GIL" on it, in its holder's colour. */
static void gil_coin(sdraw *d, int cx, int cy, int r, uint32_t fill) {
    disc(d->dl, cx, cy, r + 1, d->outline);
    disc(d->dl, cx, cy, r, fill);
    if (r >= 8) text_c(d, cx, cy - d->cx->line_h / 2, RDR_FONT_BOLD, d->th->on_pastel, "GIL", 2 * r);
}

/* The GIL: its coin at home when nobody holds it (else an empty ring: the coin is on
 * its holder), who holds it, and the units waiting for it in a line; a drop request
 * lights it up. */
static void draw_gil(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    char right[128] = "";
    bool held = so->holder != RDR_STAGE_NONE;
    if (!held) snprintf(right, sizeof right, "free");
    if (so->nwait) {
        size_t n = strlen(right);
        snprintf(right + n, sizeof right - n, "%s%u waiting", n ? " \xc2\xb7 " : "", so->nwait);
    }
    bool asked = so->pulse > 0 && so->pulse_kind == TRC_EV_GIL_DROP_REQUEST;
    if (asked) {
        size_t n = strlen(right);
        snprintf(right + n, sizeof right - n, "%sdrop requested", n ? " \xc2\xb7 " : "");
    }
    cell_title(d, ce, right, asked ? d->wake : d->th->text_dim, false);
    int fig = d->L->fig, r = fig / 2;
    int x = d->ox + ce->px, y = d->oy + ce->py + 2;
    int cx = x + r, cy = y + fig / 2;
    if (asked) ring(d->dl, cx, cy, r + 3, with_alpha(d->wake, 0.4 + 0.6 * so->pulse));
    if (held) ring(d->dl, cx, cy, r, d->th->grid);   /* its place: the coin is with its holder */
    else gil_coin(d, cx, cy, r, d->th->panel);
    int cx0 = x + fig + 6, cw = ce->pw - fig - 6 - 6, chh = d->cx->line_h + 4;
    int chy = y + fig - chh > y ? y + fig - chh : y;   /* never up into the title, in a short cell */
    if (held) chip(d, cx0, chy, cw, chh, so->holder, NULL);
    else {
        frame(d->dl, cx0, chy, cw, chh, d->th->grid);
        rdr_text_fit(d->cx, cx0 + 4, chy + 2, RDR_FONT_REGULAR, d->th->text_dim, "free", cw - 6);
    }
    line_more(d, ce->obj, 1, so->nwait);
}

/* The GIL's coin on its holder, over the figures; just handed over, it flies from
 * the one before to the one that took it. */
static void gil_tokens(sdraw *d) {
    int fig = d->L->fig, r = fig / 3 < 5 ? 5 : fig / 3;
    for (uint32_t o = 1; o <= d->run->nobjects; o++) {
        const rdr_stage_obj *so = &d->st->objs[o - 1];
        if (so->kind != TRC_OBJ_GIL || so->holder == RDR_STAGE_NONE) continue;
        int hx, hy;
        if (!unit_pos(d, so->holder, &hx, &hy)) continue;
        int tx = hx, ty = hy - fig / 2;
        int fx, fy;
        if (so->pass < 1.0f && so->passed_from != RDR_STAGE_NONE && unit_pos(d, so->passed_from, &fx, &fy)) {
            double e = ease(so->pass);
            tx = (int)lround(fx + (hx - fx) * e);
            ty = (int)lround((fy - fig / 2) + (hy - fy) * e - sin(e * 3.14159265) * fig);   /* an arc */
        }
        gil_coin(d, tx, ty, r, rdr_owner_color(so->holder));
    }
}

static void draw_rwlock(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so, bool in_cycle) {
    char right[96];
    uint32_t wr = 0;
    for (size_t i = 0; i < so->nwaitl; i++) wr += d->st->who[so->wait0 + i].op == TRC_OP_WRITE_LOCK;
    snprintf(right, sizeof right, "%u reading%s%s", so->nhold, so->holder != RDR_STAGE_NONE ? " \xc2\xb7 writer in" : "",
             wr ? " \xc2\xb7 writer waits" : "");
    cell_title(d, ce, right, wr ? RDR_COL_ALERT : d->th->text_dim, in_cycle);
    int fig = d->L->fig, x = d->ox + ce->px, y = d->oy + ce->py;
    int room = ce->nslots * ce->slot_w + 8;
    frame(d->dl, x, y, room, fig + 6, d->th->text_dim);
    for (size_t i = 0; i < so->nholdl && (int)i < ce->nslots; i++) {
        uint32_t u = d->st->who[so->hold0 + i].unit;
        int bx = x + 4 + (int)i * ce->slot_w + ce->slot_w / 2;
        if ((int)i == ce->nslots - 1 && so->nhold > (uint32_t)ce->nslots) {
            char s[24];
            snprintf(s, sizeof s, "+%u", so->nhold - (uint32_t)i);
            text_c(d, bx, y + (fig + 6 - d->cx->line_h) / 2, RDR_FONT_BOLD, d->th->text, s, ce->slot_w + 8);
            break;
        }
        figure(d, bx, y + fig + 3, u, d->st->units[u].state, FIG_SMALL);
    }
    if (!so->nhold) rdr_text_fit(d->cx, x + 4, y + (fig + 6 - d->cx->line_h) / 2, RDR_FONT_REGULAR, d->th->text_dim, room > 12 * RDR_CHAR_W ? "no readers" : "none", room - 6);
    int wx = x + room + 6, ww = ce->pw - room - 6 - 6, chh = d->cx->line_h + 4, wy = y + fig + 4 - chh;
    if (wy < y) wy = y;   /* never up into the title, in a short cell */
    if (so->holder != RDR_STAGE_NONE) chip(d, wx, wy, ww, chh, so->holder, "writer ");
    else {
        frame(d->dl, wx, wy, ww, chh, d->th->grid);
        rdr_text_fit(d->cx, wx + 4, wy + 2, RDR_FONT_REGULAR, d->th->text_dim, "no writer", ww - 6);
    }
    line_more(d, ce->obj, 1, so->nwait);
}

static void draw_semaphore(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    char right[96];
    snprintf(right, sizeof right, "%lld of %lld in use%s", (long long)so->level, (long long)ob->capacity,
             so->nwait ? " \xc2\xb7 waiting" : "");
    cell_title(d, ce, right, so->nwait ? RDR_COL_ALERT : d->th->text_dim, false);
    int fig = d->L->fig, x = d->ox + ce->px, y = d->oy + ce->py;
    int r = ce->slot_w / 2 - 1, cy = y + fig / 2 + 3;
    /* held permits first (oldest first), each in its holder's colour with its label */
    for (int i = 0; i < ce->nslots; i++) {
        int cxp = x + i * ce->slot_w + ce->slot_w / 2;
        if ((size_t)i < so->nholdl) {
            uint32_t u = d->st->who[so->hold0 + (size_t)i].unit;
            disc(d->dl, cxp, cy, r + 1, d->outline);
            disc(d->dl, cxp, cy, r, rdr_owner_color(u));
            const char *lb = d->L->label[u];
            int lw = rdr_tw(d->cx, RDR_FONT_REGULAR, lb, strlen(lb));
            if (lw <= 2 * r) rdr_text(d->cx, cxp - lw / 2, cy - d->cx->line_h / 2, RDR_FONT_REGULAR, d->th->on_pastel, lb);
        } else if ((int64_t)i < so->level) {   /* held by no unit we can name (released by another) */
            disc(d->dl, cxp, cy, r, d->th->text_dim);
        } else {
            ring(d->dl, cxp, cy, r, d->th->text_dim);
        }
    }
    if (ob->capacity > ce->nslots) {
        char s[48];
        snprintf(s, sizeof s, "%lld/%lld", (long long)so->level, (long long)ob->capacity);
        rdr_text(d->cx, x + ce->nslots * ce->slot_w + 4, cy - d->cx->line_h / 2, RDR_FONT_REGULAR, d->th->text, s);
    }
    line_more(d, ce->obj, 1, so->nwait);
}

static void draw_condition(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    char right[128];
    if (so->pulse > 0 && so->pulse_kind == TRC_EV_NOTIFY)
        snprintf(right, sizeof right, "notify by %s: %u woken", uname(d, so->pulse_unit), so->pulse_woken);
    else if (ob->related)
        snprintf(right, sizeof right, "%u waiting \xc2\xb7 lock %s", so->nwait, rdr_obj_name(d->run, ob->related));
    else snprintf(right, sizeof right, "%u waiting", so->nwait);
    cell_title(d, ce, right, so->pulse > 0 ? d->wake : d->th->text_dim, false);
    int fig = d->L->fig, x = d->ox + ce->px, y = d->oy + ce->py;
    uint32_t col = so->pulse > 0 ? rdr_mix(d->th->text_dim, d->wake, so->pulse) : d->th->text_dim;
    frame(d->dl, x, y - 1, ce->pw, fig + 7, col);
    if (so->pulse > 0) frame(d->dl, x + 1, y, ce->pw - 2, fig + 5, with_alpha(d->wake, so->pulse));
    /* the door, on the right: the way out */
    rdr_dl_rect(d->dl, x + ce->pw - 1, y + 2, 1, fig + 1, d->box);
    if (!so->nwait && ce->pw > 80)
        rdr_text_fit(d->cx, x + 6, y + (fig + 6 - d->cx->line_h) / 2, RDR_FONT_REGULAR, d->th->text_dim, "empty waiting room", ce->pw - 10);
    line_more(d, ce->obj, 1, so->nwait);
}

static void draw_event(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    char right[96];
    if (so->set) snprintf(right, sizeof right, "set by %s", uname(d, so->holder));
    else snprintf(right, sizeof right, "%s%s", so->pulse_kind == TRC_EV_CLEAR ? "cleared" : "not set",
                  so->nwait ? " \xc2\xb7 waiting" : "");
    cell_title(d, ce, right, so->set ? d->ok : d->th->text_dim, false);
    int fig = d->L->fig, x = d->ox + ce->px, y = d->oy + ce->py;
    int pole = x + 2, top = y, bot = y + fig + 4;
    rdr_dl_rect(d->dl, pole, top, 2, bot - top, d->th->text_dim);
    int fw = ce->pw - 4, fh = fig / 2 < 6 ? 6 : fig / 2;
    if (so->set) {
        for (int k = 0; k < fh; k++) {   /* a pennant, up */
            int w = fw - abs(k - fh / 2) * fw / (fh + 1) / 2;
            rdr_dl_rect(d->dl, pole + 2, top + k, w, 1, d->ok);
        }
        if (so->pulse > 0) ring(d->dl, pole + 2 + fw / 2, top + fh / 2, fh, with_alpha(d->wake, so->pulse));
    } else {
        for (int k = 0; k < fh; k++) {   /* down */
            int w = (fh - k) * 2 / 3 < 2 ? 2 : (fh - k) * 2 / 3;
            rdr_dl_rect(d->dl, pole + 2, bot - fh + k, w > fw ? fw : w, 1, d->th->text_dim);
        }
    }
    rdr_text(d->cx, x + ce->pw + 6, y + (fig + 6 - d->cx->line_h) / 2, RDR_FONT_BOLD, so->set ? d->ok : d->th->text_dim,
             so->set ? "up" : "down");
    line_more(d, ce->obj, 1, so->nwait);
}

static void draw_barrier(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    bool opening = so->pulse > 0 && so->pulse_kind == TRC_EV_BARRIER_OPEN;
    char right[96];
    if (opening) snprintf(right, sizeof right, "open: %lld pass\nopen", (long long)ob->capacity);
    else snprintf(right, sizeof right, "closed \xc2\xb7 %u waiting\nclosed", so->nwait);
    cell_title(d, ce, right, opening ? d->wake : d->th->text, false);
    int fig = d->L->fig, x = d->ox + ce->px, y = d->oy + ce->py;
    int h = fig + 6;
    uint32_t col = opening ? d->wake : d->th->text_dim;
    rdr_dl_rect(d->dl, x, y - 2, 4, h + 2, col);                   /* the posts */
    rdr_dl_rect(d->dl, x + ce->pw - 4, y - 2, 4, h + 2, col);
    if (!opening) {                                               /* the bar across: closed */
        rdr_dl_rect(d->dl, x + 4, y + h / 2, ce->pw - 8, 2, col);
        for (int k = 0; k < ce->nslots; k++)                      /* a mark per party, filled as they arrive */
            rdr_dl_rect(d->dl, x + 6 + k * (ce->pw - 12) / (ce->nslots ? ce->nslots : 1) + 2, y - 2, 4, 3,
                        k < so->level ? d->ok : d->th->grid);
    } else {
        int lift = (int)(h * so->pulse);
        rdr_dl_rect(d->dl, x + 4, y + h / 2 - lift, ce->pw - 8, 2, with_alpha(col, so->pulse));
    }
    char s[48];
    snprintf(s, sizeof s, "%lld/%lld", (long long)so->level, (long long)ob->capacity);
    rdr_text(d->cx, x + ce->pw + 8, y + (h - d->cx->line_h) / 2, RDR_FONT_BOLD, d->th->text, s);
    line_more(d, ce->obj, 1, so->nwait);
}

static void draw_counter(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    const rdr_expect_one *ex = NULL;
    rdr_view *v = d->cx->v;
    if (v->expect && v->expect[d->r] && v->expect[d->r]->obj && v->expect[d->r]->obj[ce->obj - 1].has)
        ex = &v->expect[d->r]->obj[ce->obj - 1];
    char right[128];
    size_t n = (size_t)snprintf(right, sizeof right, "%u writes", so->writes);
    if (so->lost) snprintf(right + n, sizeof right - n, " \xc2\xb7 %lld lost", (long long)so->lost);
    cell_title(d, ce, right, so->lost ? RDR_COL_ALERT : d->th->text_dim, false);
    int x = d->ox + ce->px, y = d->oy + ce->py;
    char s[96];
    snprintf(s, sizeof s, "%lld", (long long)so->level);
    int vw = rdr_text(d->cx, x, y + 2, RDR_FONT_BOLD, d->th->text, s);
    int bx = x + vw + 10, bw = ce->pw - vw - 10;
    if (ex) {
        snprintf(s, sizeof s, "expect %s %lld", ex->op, (long long)ex->value);
        int ew = rdr_tw(d->cx, RDR_FONT_REGULAR, s, strlen(s));
        if (ew < bw - 40) {
            rdr_text(d->cx, x + ce->pw - ew, y + 2, RDR_FONT_REGULAR, d->th->text_dim, s);
            bw -= ew + 10;
        }
        /* the value against the expected one, the lost updates in red after it */
        if (bw > 20 && ex->value > 0) {
            int by = y + 5, bh = d->cx->line_h - 6;
            rdr_dl_rect(d->dl, bx, by, bw, bh, d->th->grid);
            double f = (double)so->level / (double)ex->value;
            int fw = (int)(bw * (f < 0 ? 0 : f > 1 ? 1 : f));
            rdr_dl_rect(d->dl, bx, by, fw, bh, d->th->queue);
            if (so->lost > 0) {
                double lf = (double)so->lost / (double)ex->value;
                int lw = (int)(bw * (lf > 1 ? 1 : lf));
                if (fw + lw > bw) lw = bw - fw;
                rdr_dl_rect(d->dl, bx + fw, by, lw, bh, with_alpha(RDR_COL_ALERT, 0.8));
            }
        }
    }
}

static void draw_queue(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    const trc_object_track *ot = &d->m->objects[ce->obj - 1];
    uint32_t nget = so->nwait - so->nwait_put;
    char right[128];
    size_t n = (size_t)snprintf(right, sizeof right, so->full ? "FULL %lld/%lld" : ob->capacity > 0 ? "%lld/%lld" : "%lld",
                                (long long)so->level, (long long)ob->capacity);
    if (!so->level && nget) n += (size_t)snprintf(right + n, sizeof right - n, " \xc2\xb7 empty");
    if (ob->subkind != TRC_QUEUE_FIFO) snprintf(right + n, sizeof right - n, " \xc2\xb7 %s", trc_queue_kind_name(ob->subkind));
    cell_title(d, ce, right, so->full ? RDR_COL_ALERT : d->th->text_dim, false);
    int fig = d->L->fig, x = d->ox + ce->px, y = d->oy + ce->py, h = fig + 6;
    uint32_t edge = so->full ? d->th->alert : d->th->text_dim;
    if (ce->nslots) {
        for (int k = 0; k < ce->nslots; k++) {   /* slot 0 (the exit) on the right */
            int sx = x + (ce->nslots - 1 - k) * ce->slot_w;
            frame(d->dl, sx, y, ce->slot_w + 1, h, edge);
        }
    } else {
        int64_t cap = ob->capacity > 0 ? ob->capacity : ot->max_depth > 0 ? ot->max_depth : 1;
        frame(d->dl, x, y, ce->pw, h, edge);
        double f = (double)so->level / (double)cap;
        int fw = (int)((ce->pw - 2) * (f > 1 ? 1 : f < 0 ? 0 : f));
        rdr_dl_rect(d->dl, x + ce->pw - 1 - fw, y + 1, fw, h - 2, d->th->queue);   /* fills from the exit */
        char s[64];
        if (ob->capacity > 0) snprintf(s, sizeof s, "%lld / %lld", (long long)so->level, (long long)ob->capacity);
        else snprintf(s, sizeof s, "%lld (most %lld)", (long long)so->level, (long long)ot->max_depth);
        text_c(d, x + ce->pw / 2, y + (h - d->cx->line_h) / 2, RDR_FONT_BOLD, d->th->text, s, ce->pw - 4);
    }
    /* the direction items go: in on the left, out on the right */
    int ay = y + h / 2;
    rdr_dl_line(d->dl, x - 7, ay, x - 3, ay, d->th->text_dim);
    rdr_dl_line(d->dl, x + ce->pw + 2, ay, x + ce->pw + 6, ay, d->th->text_dim);
    line_more(d, ce->obj, 1, so->nwait_put);
    line_more(d, ce->obj, 2, nget);
}

/* The centre of slot k of a queue's picture (slot 0 on the right). */
static void slot_centre(const sdraw *d, const rdr_stage_cell *ce, uint32_t slot, int *x, int *y) {
    int h = d->L->fig + 6;
    *y = d->oy + ce->py + h / 2;
    if (ce->nslots && slot < (uint32_t)ce->nslots) *x = d->ox + ce->px + (ce->nslots - 1 - (int)slot) * ce->slot_w + ce->slot_w / 2 + 1;
    else *x = d->ox + ce->px + ce->pw - 8;
}

static void token(sdraw *d, int x, int y, int sz, uint32_t producer) {
    rdr_dl_rect(d->dl, x - sz / 2 - 1, y - sz / 2 - 1, sz + 2, sz + 2, d->outline);
    rdr_dl_rect(d->dl, x - sz / 2, y - sz / 2, sz, sz, d->th->queue_edge);
    if (sz >= 8) rdr_dl_rect(d->dl, x - sz / 2, y + sz / 2 - 2, sz, 2, rdr_owner_color(producer));   /* who made it */
}

/* A queue's items: in their slots (flying = false), or flying in from their
 * producers and out to their consumers (flying = true, drawn over the figures). */
static void queue_tokens(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so, bool flying) {
    int sz = ce->nslots ? ce->slot_w - 6 : d->L->fig / 2;
    if (sz > d->L->fig * 3 / 5) sz = d->L->fig * 3 / 5;
    if (sz < 5) sz = 5;
    for (size_t i = 0; i < so->ntok; i++) {
        const rdr_stage_tok *tk = &d->st->toks[so->tok0 + i];
        int sx, sy;
        slot_centre(d, ce, tk->slot, &sx, &sy);
        if (!ce->nslots && tk->phase == RDR_TOK_ARRIVING) sx = d->ox + ce->px + 8;   /* a fill bar: in at its left end */
        if (tk->phase == RDR_TOK_IN) {
            if (flying || !ce->nslots || tk->slot >= (uint32_t)ce->nslots) continue;
            token(d, sx, sy, sz, tk->producer);
            char s[24];
            snprintf(s, sizeof s, "%llu", (unsigned long long)tk->item);
            int tw = rdr_tw(d->cx, RDR_FONT_REGULAR, s, strlen(s));
            if (tw <= sz - 2 && sz >= d->cx->line_h)
                rdr_text(d->cx, sx - tw / 2, sy - d->cx->line_h / 2 - 1, RDR_FONT_REGULAR, d->th->on_pastel, s);
            continue;
        }
        if (!flying) continue;
        bool arriving = tk->phase == RDR_TOK_ARRIVING;
        uint32_t who = arriving ? tk->producer : tk->consumer;
        int ux, uy;
        if (who == RDR_STAGE_NONE || !unit_pos(d, who, &ux, &uy)) continue;
        uy -= d->L->fig / 2;
        double f = ease(tk->fly);
        int x = arriving ? (int)lround(ux + (sx - ux) * f) : (int)lround(sx + (ux - sx) * f);
        int y = arriving ? (int)lround(uy + (sy - uy) * f) : (int)lround(sy + (uy - sy) * f);
        token(d, x, y, sz, tk->producer);
    }
}

static void draw_pool(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    char right[128];
    snprintf(right, sizeof right, "%u running \xc2\xb7 %u queued \xc2\xb7 %u done%s\n%u running \xc2\xb7 %u queued\n%u run \xc2\xb7 %u q",
             so->running, so->queued, so->done + so->failed, so->cancelled ? " \xc2\xb7 some cancelled" : "", so->running,
             so->queued, so->running, so->queued);
    cell_title(d, ce, right, d->th->text_dim, false);
    const rdr_stage_layout *L = d->L;
    int fig = L->fig, line_h = d->cx->line_h;
    int x0 = d->ox + ce->px, y = d->oy + ce->py;
    /* each worker with the task it runs under it */
    int shown = 0;
    uint32_t total = 0;
    for (uint32_t u = 0; u < d->run->nunits; u++) {
        if (rdr_stage_pool_of(d->sm, u) != ce->obj) continue;
        total++;
        if (L->home_x[u] < 0) continue;
        shown++;
        const rdr_stage_unit *su = &d->st->units[u];
        int cxw = d->ox + L->home_x[u], ty = y + fig + 3;
        char s[128];
        uint32_t col = d->th->text_dim;
        if (su->place == RDR_PLACE_NONE) snprintf(s, sizeof s, "%s", L->label[u]);
        else if (su->exited) snprintf(s, sizeof s, "%s exited", L->label[u]);
        else if (su->future) {
            snprintf(s, sizeof s, "#%llu %s", (unsigned long long)su->future, su->task ? su->task : "");
            int w = ce->slot_w - 4;
            rdr_dl_rect(d->dl, cxw - w / 2, ty, w, line_h, with_alpha(RDR_COL_FUT_RUNNING, 0.85));
            col = 0xfff4f6fau;   /* on the running blue, in either theme */
        } else snprintf(s, sizeof s, "%s idle", L->label[u]);
        text_c(d, cxw, ty, RDR_FONT_REGULAR, col, s, ce->slot_w - 6);
    }
    if ((uint32_t)shown < total) {
        char s[48];
        snprintf(s, sizeof s, "+%u workers", total - (uint32_t)shown);
        rdr_text(d->cx, x0 + ce->nslots * ce->slot_w, y + fig / 2 - line_h / 2, RDR_FONT_REGULAR, d->th->text_dim, s);
    } else if (!total) {
        rdr_text(d->cx, x0, y + fig / 2 - line_h / 2, RDR_FONT_REGULAR, d->th->text_dim, "no worker started yet");
    }
    /* the queue of pending futures */
    int qy = d->oy + ce->qy, qx = d->ox + ce->qx;
    int n = (int)so->nfutl < ce->qn ? (int)so->nfutl : ce->qn;
    for (int i = 0; i < n; i++) rdr_dl_rect(d->dl, qx + i * 11, qy, 9, 10, RDR_COL_FUT_PENDING);
    char s[48];
    if (so->queued) snprintf(s, sizeof s, "%u queued", so->queued);
    else snprintf(s, sizeof s, "queue empty");
    rdr_text(d->cx, qx + n * 11 + 4, qy + 5 - line_h / 2, RDR_FONT_REGULAR, so->queued ? d->th->text : d->th->text_dim, s);
    line_more(d, ce->obj, 1, so->nwait);
}

/* A pipe: a tube from left (send) to right (recv) with the messages in it, as
 * on the bench's tube between the processes; its bytes and counts in words. */
static void draw_pipe(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    const trc_object_track *ot = &d->m->objects[ce->obj - 1];
    char right[160];
    if (so->msgs)
        snprintf(right, sizeof right, "%u in it \xc2\xb7 %lld B\n%u in it", so->msgs, (long long)so->level, so->msgs);
    else snprintf(right, sizeof right, "empty \xc2\xb7 %u sent\nempty", ot->sends);
    cell_title(d, ce, right, so->msgs ? d->th->text : d->th->text_dim, false);
    int x = d->ox + ce->px, y = d->oy + ce->py + d->L->fig / 2, w = ce->pw;
    int tw = d->L->fig / 3 < 6 ? 6 : d->L->fig / 3 > 12 ? 12 : d->L->fig / 3;
    rdr_dl_rect(d->dl, x, y - tw / 2, w, tw, so->msgs ? d->th->text_dim : d->th->grid);
    rdr_dl_rect(d->dl, x + 2, y - tw / 2 + 2, w - 4, tw - 4, d->th->lane);
    if (d->oy + ce->y + ce->h - (y + tw / 2 + 1) >= d->cx->line_h) {   /* its ends named, where there is room */
        rdr_text(d->cx, x, y + tw / 2 + 1, RDR_FONT_REGULAR, d->th->text_dim, "send");
        const char *rv = "recv";
        rdr_text(d->cx, x + w - rdr_tw(d->cx, RDR_FONT_REGULAR, rv, 4), y + tw / 2 + 1, RDR_FONT_REGULAR, d->th->text_dim, rv);
    }
    int sz = tw - 4 < 4 ? 4 : tw - 4;
    for (size_t k = 0; k < so->ntok; k++) {
        const rdr_stage_tok *tk = &d->st->toks[so->tok0 + k];
        double s01 = rdr_stage_msg_at(tk, w - sz - 2, sz);
        if (s01 < 0) break;
        int tx = x + sz / 2 + 1 + (int)lround(s01 * (w - sz - 2));
        rdr_stage_msg_token(d->dl, tx, y, sz, rdr_owner_color(tk->producer), d->outline);
    }
    line_more(d, ce->obj, 1, so->nwait);
}

static void draw_other(sdraw *d, const rdr_stage_cell *ce, const rdr_stage_obj *so) {
    char right[64];
    snprintf(right, sizeof right, "%u waiting", so->nwait);
    cell_title(d, ce, so->nwait ? right : "", d->th->text_dim, false);
    int x = d->ox + ce->px, y = d->oy + ce->py;
    const trc_object *ob = &d->run->objects[ce->obj - 1];
    frame(d->dl, x, y, 13 * RDR_CHAR_W, d->L->fig + 4, d->th->text_dim);
    char s[64];
    snprintf(s, sizeof s, "%s", trc_obj_kind_name(ob->kind));
    rdr_text_fit(d->cx, x + 4, y + (d->L->fig + 4 - d->cx->line_h) / 2, RDR_FONT_REGULAR, d->th->text, s, 13 * RDR_CHAR_W - 8);
    line_more(d, ce->obj, 1, so->nwait);
}

//~ the ring

/* The wait-for cycle at t: an arrow from each unit in it to the unit it waits
 * for, through the object, in red; the objects' frames are red too. */
static void cycle_ring(sdraw *d) {
    const rdr_stage_state *st = d->st;
    if (!st->ncycle) return;
    int fig = d->L->fig;
    for (size_t i = 0; i < st->ncycle; i++) {
        uint32_t u = st->cycle[i], h = st->cycle[(i + 1) % st->ncycle];
        int ux, uy, hx, hy;
        if (!unit_pos(d, u, &ux, &uy)) continue;
        bool hv = unit_pos(d, h, &hx, &hy);
        const rdr_stage_unit *su = &st->units[u];
        if (su->obj && d->L->cells[su->obj - 1].shown) {
            /* waiter -> the object it waits on; the object's holder chip -> the holder */
            const rdr_stage_cell *ce = &d->L->cells[su->obj - 1];
            int ax = d->ox + ce->px, ay = d->oy + ce->py + fig / 2;
            int cxh = ax, cyh = ay;
            uint32_t kind = d->run->objects[su->obj - 1].kind;
            if (kind == TRC_OBJ_LOCK || kind == TRC_OBJ_RLOCK) {
                int pad = fig * 4 / 5 < 12 ? 12 : fig * 4 / 5;
                ax += pad / 2;
                cxh = d->ox + ce->px + pad + 6 + (ce->pw - pad - 12) / 2;
                cyh = d->oy + ce->py + 2 + fig - (d->cx->line_h + 4) / 2;
            } else {
                ax += ce->pw / 2;
                cxh = ax;
            }
            int chh = d->cx->line_h + 4;
            if (kind == TRC_OBJ_LOCK || kind == TRC_OBJ_RLOCK) {   /* the waiter points at the holder's chip */
                int right = d->ox + ce->px + ce->pw - 6;
                arrow(d->dl, ux - d->L->fig_w / 2 - 3, cyh, right + 3, cyh, d->th->alert, 3, 7);
            } else {
                arrow(d->dl, ux, uy - fig - 2, ax, ay - fig / 2 - 2, d->th->alert, 3, 8);
            }
            if (hv) arrow(d->dl, cxh, cyh + chh / 2 + 1, hx, hy - fig - 3, d->th->alert, 3, 8);
        } else if (hv) {
            arrow(d->dl, ux, uy - fig / 2, hx, hy - fig / 2, d->th->alert, 3, 8);
        }
    }
}

//~ the run's stage

void rdr_stage_draw(rdr_ctx *cx, uint32_t r, const rdr_stage_model *sm, const rdr_stage_layout *L, const rdr_stage_state *st,
                    int x, int y) {
    rdr_view *v = cx->v;
    sdraw d = { .cx = cx, .dl = cx->dl, .th = cx->th, .sm = sm, .L = L, .st = st, .m = &v->models[r], .run = v->models[r].run,
                .r = r, .ox = x, .oy = y };
    d.g = (rdr_stage_geo){ .L = L, .st = st, .run = d.run, .ox = x, .oy = y };
    d.outline = v->theme == RDR_THEME_LIGHT ? 0xff5c626eu : 0xff08090cu;
    d.box = v->theme == RDR_THEME_LIGHT ? 0xffffffffu : cx->th->lane;
    d.wake = v->theme == RDR_THEME_LIGHT ? 0xff1f6f9fu : RDR_COL_FLOW_WAKE;
    d.ok = v->theme == RDR_THEME_LIGHT ? 0xff1a8a5au : RDR_COL_FUT_DONE;
    int line_h = cx->line_h;
    /* title: the run (and its own time on absolute time) */
    char s[256], tm[48];
    rdr_fmt_dur(tm, sizeof tm, (double)st->t);
    if (v->nmodels > 1) {
        char rn[160];
        rdr_run_name(v, r, rn, sizeof rn);
        snprintf(s, sizeof s, "stage \xc2\xb7 run %s", rn);
    } else snprintf(s, sizeof s, "stage");
    /* the run's own time only where it differs from the playhead's (runs on
     * absolute time): a text that changes every frame costs a rasterisation */
    char right[96] = "";
    if (v->nmodels > 1 && v->absolute) snprintf(right, sizeof right, "t = %s", st->t ? tm : "0");
    int rw = *right ? rdr_tw(cx, RDR_FONT_REGULAR, right, strlen(right)) : 0;
    rdr_dl_rect(cx->dl, x, y, L->w, L->title_h, cx->th->panel);
    rdr_text_fit(cx, x + 8, y + 3, RDR_FONT_BOLD, cx->th->text, s, L->w - rw - 28);
    if (rw) rdr_text(cx, x + L->w - rw - 8, y + 3, RDR_FONT_REGULAR, cx->th->text_dim, right);

    rdr_stage_boxes(cx, L, st, d.run, x, y);
    rdr_stage_loops(cx, L, st, d.run, x, y);
    bench(&d);
    homes(&d);
    uint8_t *ring_obj = xcalloc(d.run->nobjects ? d.run->nobjects : 1, 1);
    for (size_t i = 0; i < st->ncycle; i++) {
        const rdr_stage_unit *su = &st->units[st->cycle[i]];
        if (su->obj) ring_obj[su->obj - 1] = 1;
    }
    for (uint32_t i = 0; i < L->nshown; i++) {
        uint32_t o = L->order[i];
        const rdr_stage_cell *ce = &L->cells[o - 1];
        const rdr_stage_obj *so = &st->objs[o - 1];
        switch (so->kind) {
        case TRC_OBJ_LOCK:
        case TRC_OBJ_RLOCK: draw_lock(&d, ce, so, ring_obj[o - 1]); break;
        case TRC_OBJ_RWLOCK: draw_rwlock(&d, ce, so, ring_obj[o - 1]); break;
        case TRC_OBJ_SEMAPHORE: draw_semaphore(&d, ce, so); break;
        case TRC_OBJ_CONDITION: draw_condition(&d, ce, so); break;
        case TRC_OBJ_EVENT: draw_event(&d, ce, so); break;
        case TRC_OBJ_BARRIER: draw_barrier(&d, ce, so); break;
        case TRC_OBJ_COUNTER: draw_counter(&d, ce, so); break;
        case TRC_OBJ_QUEUE: draw_queue(&d, ce, so); queue_tokens(&d, ce, so, false); break;
        case TRC_OBJ_POOL: draw_pool(&d, ce, so); break;
        case TRC_OBJ_GIL: draw_gil(&d, ce, so); break;
        case TRC_OBJ_PIPE: draw_pipe(&d, ce, so); break;
        default: draw_other(&d, ce, so); break;
        }
    }
    free(ring_obj);
    if (L->hidden) {
        snprintf(s, sizeof s, "+%u objects (a taller window shows them)", L->hidden);
        rdr_text_fit(cx, x + 8, y + L->h - line_h - 2, RDR_FONT_REGULAR, cx->th->text_dim, s, L->w - 16);
    }
    /* the figures, walking ones last so they pass over the others */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t u = 0; u < d.run->nunits; u++) {
            const rdr_stage_unit *su = &st->units[u];
            if ((su->walk < 1.0f) != (pass == 1)) continue;
            int fx, fy;
            if (!unit_pos(&d, u, &fx, &fy)) continue;
            int flags = (su->in_cycle ? FIG_CYCLE : 0) | (su->notified ? FIG_NOTIFIED : 0) | (su->killed ? FIG_KILLED : 0);
            figure(&d, fx, fy, u, su->state, flags);
        }
    }
    for (uint32_t i = 0; i < L->nshown; i++) {
        uint32_t o = L->order[i];
        if (st->objs[o - 1].kind == TRC_OBJ_QUEUE) queue_tokens(&d, &L->cells[o - 1], &st->objs[o - 1], true);
    }
    gil_tokens(&d);
    rdr_stage_tubes(cx, L, st, d.run, x, y);
    cycle_ring(&d);
    if (st->ncycle) {
        snprintf(s, sizeof s, "deadlock: %zu units wait in a ring", st->ncycle);
        int w = rdr_tw(cx, RDR_FONT_BOLD, s, strlen(s)) + 10;
        int tx = x + L->w - w - 8, ty = y + L->title_h + 2;
        if (rdr_label_free(cx, tx, ty, w, line_h + 2)) rdr_dl_rect(cx->dl, tx, ty, w, line_h + 2, cx->th->alert_bg);
        rdr_text(cx, tx + 5, ty + 1, RDR_FONT_BOLD, cx->th->alert, s);
    }
}
