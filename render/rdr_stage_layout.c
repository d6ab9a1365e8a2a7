/* The stage's layout: where every object's picture, its waiting lines and
 * every unit's home go in a run's stage rectangle. Plain C, no drawing.
 *
 * Computed once per run and size from all the units and objects of the whole
 * run (never from a time), so nothing jumps while the playhead moves:
 *   - a title line;
 *   - the bench: each actor's units as figures in a block, blocks packed in
 *     shelves; a unit's home is its place there (a pool's workers live in
 *     their pool's picture instead);
 *   - the objects: a grid of cells, one per object in declaration order (the
 *     objects of the run's wait-for cycle side by side), each with a name
 *     line, its picture and the places of its waiting line.
 * The biggest figure size that fits wins, with as few columns as possible;
 * past the smallest, units are summarised (a row per actor with counts by
 * state), then objects that still find no room are counted, not drawn. */
#include "render/rdr_internal.h"

#include <stdlib.h>
#include <string.h>

enum { PAD = 8, GAP = 10, MARGIN = 6, MAX_COLS = 4, MIN_CELL_W = 200 };

static int meas(const rdr_text_metrics *tm, int font, const char *s) {
    size_t len = strlen(s);
    if (tm && tm->measure) return tm->measure(tm->ud, font, s, len);
    int n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n * RDR_CHAR_W;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

typedef struct lctx {
    rdr_stage_layout *L;
    const rdr_stage_model *sm;
    const trc_model *m;
    const trc_run *run;
    const rdr_text_metrics *tm;
    uint32_t *workers;          /* per object: pool workers */
    int name_w;                 /* the widest unit name (capped), for holder chips */
    int fig, fig_w, sp;         /* figure size, a waiting place's width */
} lctx;

static void geo(lctx *c, int fig) {
    c->fig = fig;
    c->fig_w = fig * 3 / 5 < 7 ? 7 : fig * 3 / 5;
    c->sp = c->fig_w + 5;
}

//~ groups

static uint64_t str_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void groups_build(lctx *c) {
    rdr_stage_layout *L = c->L;
    const trc_run *run = c->run;
    uint32_t nu = run->nunits;
    size_t cap = 16;
    while (cap < 2 * (size_t)nu) cap *= 2;
    uint32_t *tab = xmalloc(cap * sizeof *tab);
    for (size_t i = 0; i < cap; i++) tab[i] = UINT32_MAX;
    L->groups = xcalloc(nu ? nu : 1, sizeof *L->groups);
    L->group_of = xcalloc(nu ? nu : 1, sizeof *L->group_of);
    L->label = xcalloc(nu ? nu : 1, sizeof *L->label);
    for (uint32_t u = 0; u < nu; u++) {
        const char *g = run->units[u].group ? run->units[u].group : run->units[u].name ? run->units[u].name : "?";
        size_t i = str_hash(g) & (cap - 1);
        while (tab[i] != UINT32_MAX && strcmp(L->groups[tab[i]].name, g)) i = (i + 1) & (cap - 1);
        if (tab[i] == UINT32_MAX) {
            tab[i] = L->ngroups;
            L->groups[L->ngroups++] = (rdr_stage_group){ .name = g };
        }
        L->group_of[u] = tab[i];
        L->groups[tab[i]].n++;
    }
    free(tab);
    for (uint32_t u = 0; u < nu; u++) {
        const rdr_stage_group *g = &L->groups[L->group_of[u]];
        const char *name = run->units[u].name ? run->units[u].name : "?";
        size_t gl = strlen(g->name);
        if (g->n > 1 && !strncmp(name, g->name, gl) && name[gl] == '.' && name[gl + 1]) L->label[u] = name + gl + 1;
        else if (g->n == 1) L->label[u] = g->name;
        else L->label[u] = name;
    }
    int wmax = 0;
    for (uint32_t u = 0; u < nu && u < 512; u++) {
        int w = meas(c->tm, RDR_FONT_REGULAR, run->units[u].name ? run->units[u].name : "?");
        if (w > wmax) wmax = w;
    }
    c->name_w = clampi(wmax + 12, 5 * RDR_CHAR_W, 15 * RDR_CHAR_W);
}

//~ the bench

/* Lays out the bench from y; returns its height. Pool workers are not on it. */
static int bench(lctx *c, int y0, bool place) {
    rdr_stage_layout *L = c->L;
    const trc_run *run = c->run;
    int w = L->w, line_h = L->line_h;
    uint32_t ng = L->ngroups;
    /* the units of each group, in unit order, without pool workers */
    uint32_t *cnt = xcalloc(ng ? ng : 1, sizeof *cnt);
    for (uint32_t u = 0; u < run->nunits; u++)
        if (!rdr_stage_pool_of(c->sm, u)) cnt[L->group_of[u]]++;
    int h = 0;
    if (L->summary) {
        int y = y0;
        for (uint32_t g = 0; g < ng; g++) {
            if (!cnt[g]) continue;
            if (place) L->groups[g] = (rdr_stage_group){ .name = L->groups[g].name, .n = L->groups[g].n, .x = PAD,
                                                         .y = y, .w = w - 2 * PAD, .h = line_h + 4 };
            y += line_h + 4;
        }
        free(cnt);
        return y - y0 + 4;
    }
    int *spot = xcalloc(ng ? ng : 1, sizeof *spot);
    for (uint32_t u = 0; u < run->nunits; u++) {
        if (rdr_stage_pool_of(c->sm, u)) continue;
        uint32_t g = L->group_of[u];
        int lw = meas(c->tm, RDR_FONT_REGULAR, L->label[u]) + 6;
        if (lw > 16 * RDR_CHAR_W) lw = 16 * RDR_CHAR_W;
        if (lw > spot[g]) spot[g] = lw;
    }
    int x = PAD, y = y0, shelf = 0;
    uint32_t *k = xcalloc(ng ? ng : 1, sizeof *k);
    int *gx = xcalloc(ng ? ng : 1, sizeof *gx), *gy = xcalloc(ng ? ng : 1, sizeof *gy);
    int *per = xcalloc(ng ? ng : 1, sizeof *per);
    int row_h = c->fig + 3 + line_h;
    for (uint32_t g = 0; g < ng; g++) {
        if (!cnt[g]) continue;
        int sw = spot[g] > c->fig_w + 8 ? spot[g] : c->fig_w + 8;
        spot[g] = sw;
        bool header = cnt[g] > 1;
        char hd[160];
        snprintf(hd, sizeof hd, "%s \xc3\x97%u", L->groups[g].name, cnt[g]);
        int hw = header ? meas(c->tm, RDR_FONT_BOLD, hd) + 4 : 0;
        int p = (w - 2 * PAD) / sw;
        if (p < 1) p = 1;
        if ((uint32_t)p > cnt[g]) p = (int)cnt[g];
        per[g] = p;
        int rows = (int)((cnt[g] + (uint32_t)p - 1) / (uint32_t)p);
        int bw = p * sw > hw ? p * sw : hw;
        if (bw > w - 2 * PAD) bw = w - 2 * PAD;
        int bh = (header ? line_h : 0) + rows * row_h;
        if (x + bw > w - PAD && x > PAD) {
            y += shelf + 4;
            x = PAD;
            shelf = 0;
        }
        gx[g] = x;
        gy[g] = y;
        if (place) {
            rdr_stage_group *G = &L->groups[g];
            G->x = x; G->y = y; G->w = bw; G->h = bh; G->header = header;
        }
        x += bw + 14;
        if (bh > shelf) shelf = bh;
    }
    if (place) {
        for (uint32_t u = 0; u < run->nunits; u++) {
            if (rdr_stage_pool_of(c->sm, u)) continue;
            uint32_t g = L->group_of[u];
            uint32_t i = k[g]++;
            int col = (int)(i % (uint32_t)per[g]), row = (int)(i / (uint32_t)per[g]);
            L->home_x[u] = gx[g] + col * spot[g] + spot[g] / 2;
            L->home_y[u] = gy[g] + (L->groups[g].header ? line_h : 0) + row * row_h + c->fig + 1;
            L->home_label[u] = true;
        }
    }
    h = y + shelf - y0 + (shelf ? 6 : 0);
    free(cnt); free(spot); free(k); free(gx); free(gy); free(per);
    return h;
}

//~ cells

static int cell_height(const lctx *c, uint32_t kind) {
    int line_h = c->L->line_h, name = line_h + 2;
    switch (kind) {
    case TRC_OBJ_COUNTER: return name + line_h + 12;
    case TRC_OBJ_POOL: return name + c->fig + line_h + 6 + c->fig + 8;
    default: return name + c->fig + 10;
    }
}

/* The places of a line from x0 to x1 (left to right, or right to left when dir < 0). */
static void line_in(const lctx *c, int x0, int x1, int y, int dir, int max, int *lx, int *ly, int *ldx, int *nl) {
    int n = (x1 - x0) / c->sp;
    if (n < 0) n = 0;
    if (n > max) n = max;
    *nl = n;
    *ly = y;
    *ldx = dir < 0 ? -c->sp : c->sp;
    *lx = dir < 0 ? x1 - c->sp / 2 : x0 + c->sp / 2;
}

static void cell_inside(lctx *c, rdr_stage_cell *ce) {
    const trc_object *ob = &c->run->objects[ce->obj - 1];
    const trc_object_track *ot = &c->m->objects[ce->obj - 1];
    rdr_stage_layout *L = c->L;
    int line_h = L->line_h, fig = c->fig, sp = c->sp;
    int x0 = ce->x + MARGIN, x1 = ce->x + ce->w - MARGIN;
    ce->py = ce->y + line_h + 2;
    ce->px = x0;
    ce->ph = fig + 6;
    int ly = ce->py + fig + 2;   /* a line figure's bottom */
    uint32_t maxw = rdr_stage_max_waiters(c->sm, ce->obj);
    switch (ob->kind) {
    case TRC_OBJ_QUEUE: {
        int nl = maxw < 1 ? 1 : maxw > 5 ? 5 : (int)maxw;
        int rem;
        for (;;) {
            rem = (x1 - x0) - 2 * nl * sp - 16;
            if (rem >= 90 || nl == 1) break;
            nl--;
        }
        if (rem < 40) rem = 40;
        int64_t cap = ob->capacity;
        int slot_min = 7;
        if (cap > 0 && cap <= 64 && cap * slot_min <= rem) {
            ce->nslots = (int)cap;
            ce->slot_w = clampi(rem / (int)cap, slot_min, fig + 4);
        } else {
            ce->nslots = 0;
            ce->slot_w = 0;
        }
        ce->pw = ce->nslots ? ce->nslots * ce->slot_w : rem;
        ce->px = x0 + nl * sp + 8;
        if (ce->nslots) ce->px += (rem - ce->pw) / 2;   /* centred between the two lines */
        line_in(c, x0, ce->px - 8, ly, -1, nl, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        line_in(c, ce->px + ce->pw + 8, x1, ly, 1, nl, &ce->lx2, &ce->ly2, &ce->ldx2, &ce->nl2);
        break;
    }
    case TRC_OBJ_LOCK:
    case TRC_OBJ_RLOCK: {
        int pad = fig * 4 / 5 < 12 ? 12 : fig * 4 / 5;
        ce->pw = pad + 6 + c->name_w + 10;
        line_in(c, ce->px + ce->pw + 10, x1, ly, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_GIL: {   /* the token (a coin), its holder's chip, the units waiting for it in a line */
        ce->pw = fig + 6 + c->name_w + 10;
        line_in(c, ce->px + ce->pw + 10, x1, ly, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_RWLOCK: {
        int readers = ot->max_level < 1 ? 1 : ot->max_level > 6 ? 6 : (int)ot->max_level;
        int room = readers * sp + 8;
        if (room > (x1 - x0) / 3) { readers = ((x1 - x0) / 3 - 8) / sp; if (readers < 1) readers = 1; room = readers * sp + 8; }
        ce->nslots = readers;
        ce->slot_w = sp;
        ce->pw = room + 6 + c->name_w + 7 * RDR_CHAR_W + 10;   /* "writer NAME" */
        line_in(c, ce->px + ce->pw + 10, x1, ly, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_SEMAPHORE: {
        int pw = clampi(fig, 10, 24) + 2;
        int n = ob->capacity > 16 ? 16 : ob->capacity < 0 ? 0 : (int)ob->capacity;
        int room = (x1 - x0) * 3 / 5;
        if (n * pw > room) n = room / pw;
        ce->nslots = n;
        ce->slot_w = pw;
        ce->pw = n ? n * pw : 8 * RDR_CHAR_W;
        if (ob->capacity > n) ce->pw += 7 * RDR_CHAR_W;   /* "+N" / the count */
        line_in(c, ce->px + ce->pw + 12, x1, ly, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_CONDITION: {
        int n = maxw < 2 ? 2 : (int)maxw;
        int room = (x1 - x0) - 8;
        if (n * sp > room) n = room / sp;
        ce->pw = n * sp + 8;
        line_in(c, ce->px + 4, ce->px + ce->pw - 4, ly, 1, n, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_EVENT: {
        ce->pw = fig < 12 ? 12 : fig;
        line_in(c, ce->px + ce->pw + 12 + 5 * RDR_CHAR_W, x1, ly, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_BARRIER: {
        int n = ob->capacity < 1 ? 1 : ob->capacity > 64 ? 64 : (int)ob->capacity;
        int room = (x1 - x0) - 12 - 8 * RDR_CHAR_W;
        if (n * sp > room) n = room / sp;
        if (n < 1) n = 1;
        ce->nslots = n;
        ce->pw = n * sp + 12;
        line_in(c, ce->px + 6, ce->px + ce->pw - 6, ly, 1, n, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_POOL: {
        uint32_t nw = c->workers[ce->obj - 1];
        int ws = nw ? (x1 - x0) / (int)nw : x1 - x0;
        ws = clampi(ws, c->fig_w + 12, 13 * RDR_CHAR_W);
        int n = (x1 - x0) / ws;
        if ((uint32_t)n > nw) n = (int)nw;
        ce->nslots = n;
        ce->slot_w = ws;
        ce->pw = x1 - x0;
        ce->ph = fig + line_h + 6 + fig + 6;
        int k = 0;
        for (uint32_t u = 0; u < c->run->nunits; u++) {
            if (rdr_stage_pool_of(c->sm, u) != ce->obj) continue;
            if (k < n) {
                L->home_x[u] = x0 + k * ws + ws / 2;
                L->home_y[u] = ce->py + fig + 1;
                L->home_label[u] = true;
            }
            k++;
        }
        /* second row: queued futures, then those waiting for a result */
        int row2 = ce->py + fig + line_h + 6;
        ce->qx = x0;
        ce->qy = row2 + fig / 2 - 5;
        ce->slot_w = ws;
        int half = (x1 - x0) * 11 / 20;
        ce->qn = (half - 10 * RDR_CHAR_W) / 11;
        if (ce->qn < 0) ce->qn = 0;
        if (ce->qn > 32) ce->qn = 32;
        line_in(c, x0 + half + 6, x1, row2 + fig, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
    case TRC_OBJ_COUNTER:
        ce->pw = x1 - x0;
        ce->ph = line_h + 8;
        break;
    default:
        ce->pw = x1 - x0;
        line_in(c, x0 + 14 * RDR_CHAR_W, x1, ly, 1, 64, &ce->lx, &ce->ly, &ce->ldx, &ce->nl);
        break;
    }
}

/* The object order: declaration order, with the objects of the end's wait-for
 * cycle moved next to the first of them, in the cycle's order. */
static uint32_t *object_order(const lctx *c, const trc_waitfor *wf) {
    uint32_t no = c->run->nobjects;
    uint32_t *ord = xmalloc((no ? no : 1) * sizeof *ord);
    uint8_t *in = xcalloc(no ? no : 1, 1);
    uint32_t *cyc = xmalloc((no ? no : 1) * sizeof *cyc);
    uint32_t nc = 0;
    if (wf && wf->ncycle) {
        for (size_t i = 0; i < wf->ncycle; i++)
            for (size_t k = 0; k < wf->nwaits; k++)
                if (wf->waits[k].unit == wf->cycle[i] && wf->waits[k].obj && wf->waits[k].obj <= no &&
                    !in[wf->waits[k].obj - 1]) {
                    in[wf->waits[k].obj - 1] = 1;
                    cyc[nc++] = wf->waits[k].obj;
                }
    }
    uint32_t n = 0;
    for (uint32_t o = 1; o <= no; o++) {
        if (in[o - 1] == 1) {
            for (uint32_t k = 0; k < nc; k++) { ord[n++] = cyc[k]; in[cyc[k] - 1] = 2; }
            continue;
        }
        if (in[o - 1] == 2) continue;
        ord[n++] = o;
    }
    free(in);
    free(cyc);
    return ord;
}

/* Lays the cells out in ncols columns from y0, up to y_max; returns the grid's
 * height if everything fits, else -1 (with place: shows what fits). */
static int grid(lctx *c, const uint32_t *ord, int ncols, int y0, int y_max, bool place) {
    rdr_stage_layout *L = c->L;
    uint32_t no = c->run->nobjects;
    int cw = (L->w - 2 * PAD - (ncols - 1) * GAP) / ncols;
    int y = y0;
    bool all = true;
    for (uint32_t i = 0; i < no; i += (uint32_t)ncols) {
        int rh = 0;
        for (int k = 0; k < ncols && i + (uint32_t)k < no; k++) {
            int h = cell_height(c, c->run->objects[ord[i + (uint32_t)k] - 1].kind);
            if (h > rh) rh = h;
        }
        bool fits = y + rh <= y_max;
        if (!fits) all = false;
        if (place) {
            for (int k = 0; k < ncols && i + (uint32_t)k < no; k++) {
                uint32_t o = ord[i + (uint32_t)k];
                rdr_stage_cell *ce = &L->cells[o - 1];
                ce->obj = o;
                ce->shown = fits && all;
                if (!ce->shown) { L->hidden++; continue; }
                ce->x = PAD + k * (cw + GAP);
                ce->y = y;
                ce->w = cw;
                ce->h = rh;
                cell_inside(c, ce);
                L->order[L->nshown++] = o;
            }
        }
        y += rh + 4;
    }
    return all ? y - y0 : -1;
}

void rdr_stage_layout_build(rdr_stage_layout *L, const rdr_stage_model *sm, const trc_waitfor *wf, int w, int h,
                            const rdr_text_metrics *tm) {
    memset(L, 0, sizeof *L);
    const trc_model *m = rdr_stage_model_of(sm);
    const trc_run *run = m->run;
    uint32_t nu = run->nunits, no = run->nobjects;
    L->w = w;
    L->h = h;
    L->line_h = tm && tm->line_h ? tm->line_h : RDR_LINE_H;
    L->title_h = L->line_h + 6;
    L->home_x = xmalloc((nu ? nu : 1) * sizeof *L->home_x);
    L->home_y = xmalloc((nu ? nu : 1) * sizeof *L->home_y);
    L->home_label = xcalloc(nu ? nu : 1, sizeof *L->home_label);
    L->cells = xcalloc(no ? no : 1, sizeof *L->cells);
    L->order = xcalloc(no ? no : 1, sizeof *L->order);
    for (uint32_t u = 0; u < nu; u++) L->home_x[u] = L->home_y[u] = -1;
    lctx c = { .L = L, .sm = sm, .m = m, .run = run, .tm = tm };
    c.workers = xcalloc(no ? no : 1, sizeof *c.workers);
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t p = rdr_stage_pool_of(sm, u);
        if (p) c.workers[p - 1]++;
    }
    groups_build(&c);
    uint32_t *ord = object_order(&c, wf);

    static const int sizes[] = { 48, 40, 34, 28, 24, 20, 16, 12 };
    int nsizes = (int)(sizeof sizes / sizeof sizes[0]);
    int max_cols = (w - 2 * PAD + GAP) / (MIN_CELL_W + GAP);
    if (max_cols < 1) max_cols = 1;
    if (max_cols > MAX_COLS) max_cols = MAX_COLS;
    int top = L->title_h;
    bool found = false;
    int best_fig = sizes[nsizes - 1], best_cols = max_cols;
    for (int summary = 0; summary < 2 && !found; summary++) {
        L->summary = summary;
        for (int si = 0; si < nsizes && !found; si++) {
            geo(&c, sizes[si]);
            int bh = bench(&c, top, false);
            if (top + bh > h) continue;
            for (int nc = 1; nc <= max_cols && !found; nc++) {
                if (grid(&c, ord, nc, top + bh, h, false) >= 0) {
                    found = true;
                    best_fig = sizes[si];
                    best_cols = nc;
                }
            }
        }
    }
    if (!found) L->summary = true;
    geo(&c, best_fig);
    L->fig = c.fig;
    L->fig_w = c.fig_w;
    L->bench_y = top;
    L->bench_h = bench(&c, top, true);
    L->objects_y = top + L->bench_h;
    grid(&c, ord, best_cols, L->objects_y, h, true);
    free(ord);
    free(c.workers);
}

void rdr_stage_layout_release(rdr_stage_layout *L) {
    free(L->home_x);
    free(L->home_y);
    free(L->home_label);
    free(L->label);
    free(L->group_of);
    free(L->groups);
    free(L->cells);
    free(L->order);
    memset(L, 0, sizeof *L);
}
