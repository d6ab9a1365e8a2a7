/* The stage's processes, laid out: a box per process around its units'
 * figures, and per pipe a tube from the box of the process that sends into it
 * most to the box of the one that receives most, routed down from the boxes
 * into a band of its own under the bench, along it, and up (or down, for a
 * pool's worker process in the grid) into the other box. Computed once per
 * layout from the whole run, never from a time. Plain C, no drawing. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TUBES = 8 };

static int tube_w_of(int fig) { return fig / 3 < 6 ? 6 : fig / 3 > 12 ? 12 : fig / 3; }

int rdr_stage_tube_band(uint32_t ntubes, int fig) {
    return ntubes ? (int)ntubes * (tube_w_of(fig) + 5) + 8 : 0;
}

/* The unit that sent most of pipe obj's received messages, and the one that
 * received most; many[e]: that end has several units, all of one actor group
 * on the bench (a fan-in: the tube leaves from the group's block). */
static void pipe_ends(const trc_model *m, const rdr_stage_layout *L, uint32_t obj, uint32_t *from, uint32_t *to,
                      bool many[2]) {
    *from = *to = RDR_STAGE_NONE;
    uint32_t first[2] = { RDR_STAGE_NONE, RDR_STAGE_NONE };
    bool other[2] = { false, false }, mixed[2] = { false, false };
    uint32_t nu = m->run->nunits;
    uint32_t *cnt = xcalloc(2 * (size_t)(nu ? nu : 1), sizeof *cnt);
    uint32_t best0 = 0, best1 = 0;
    for (size_t i = 0; i < m->nflows; i++) {
        const trc_flow *f = &m->flows[i];
        if (f->kind != TRC_FLOW_MESSAGE || f->obj != obj || f->u0 >= nu || f->u1 >= nu) continue;
        uint32_t us[2] = { f->u0, f->u1 };
        for (int e = 0; e < 2; e++) {
            if (first[e] == RDR_STAGE_NONE) first[e] = us[e];
            else if (us[e] != first[e]) {
                other[e] = true;
                if (L->group_of[us[e]] != L->group_of[first[e]]) mixed[e] = true;
            }
        }
        uint32_t a = ++cnt[f->u0], b = ++cnt[nu + f->u1];
        if (a > best0 || (a == best0 && f->u0 < *from)) { best0 = a; *from = f->u0; }
        if (b > best1 || (b == best1 && f->u1 < *to)) { best1 = b; *to = f->u1; }
    }
    free(cnt);
    for (int e = 0; e < 2; e++) many[e] = other[e] && !mixed[e];
}

/* A column x from y0 down to y1 that no box but `own` crosses. */
static bool column_free(const rdr_stage_layout *L, int32_t own, int x, int y0, int y1, int pad) {
    for (uint32_t i = 0; i < L->nprocs; i++) {
        const rdr_stage_proc *P = &L->procs[i];
        if ((int32_t)i == own) continue;
        if (x >= P->x - pad && x < P->x + P->w + pad && P->y < y1 && P->y + P->h > y0) return false;
    }
    return true;
}

static bool has_messages(const trc_model *m, uint32_t obj) {
    return m->objects[obj - 1].recvs > m->objects[obj - 1].eofs && m->objects[obj - 1].sends;
}

uint32_t rdr_stage_tube_count(const rdr_stage_model *sm) {
    const trc_model *m = rdr_stage_model_of(sm);
    uint32_t n = 0;
    for (uint32_t o = 1; o <= m->run->nobjects && n < MAX_TUBES; o++)
        if (m->run->objects[o - 1].kind == TRC_OBJ_PIPE && has_messages(m, o)) n++;
    return n;
}

void rdr_stage_tube_point(const rdr_stage_tube *tb, double s, int *x, int *y) {
    if (tb->npts < 2 || tb->len <= 0) {
        *x = tb->npts ? tb->px[0] : 0;
        *y = tb->npts ? tb->py[0] : 0;
        return;
    }
    double want = (s < 0 ? 0 : s > 1 ? 1 : s) * tb->len;
    for (int i = 0; i + 1 < tb->npts; i++) {
        int seg = abs(tb->px[i + 1] - tb->px[i]) + abs(tb->py[i + 1] - tb->py[i]);   /* axis-aligned segments */
        if (want <= seg || i + 2 == tb->npts) {
            double f = seg ? want / seg : 0;
            if (f > 1) f = 1;
            *x = tb->px[i] + (int)lround(f * (tb->px[i + 1] - tb->px[i]));
            *y = tb->py[i] + (int)lround(f * (tb->py[i + 1] - tb->py[i]));
            return;
        }
        want -= seg;
    }
}

void rdr_stage_procs_build(rdr_stage_layout *L, const rdr_stage_model *sm, const rdr_groups *pg, int band_y,
                           uint32_t ntubes) {
    const trc_model *m = rdr_stage_model_of(sm);
    const trc_run *run = m->run;
    uint32_t nu = run->nunits, no = run->nobjects;
    int fig = L->fig, line_h = L->line_h;
    L->proc_of = xmalloc((nu ? nu : 1) * sizeof *L->proc_of);
    L->procs = xcalloc(nu ? nu : 1, sizeof *L->procs);
    L->tube_of = xmalloc((no ? no : 1) * sizeof *L->tube_of);
    for (uint32_t o = 0; o < no; o++) L->tube_of[o] = -1;
    for (uint32_t u = 0; u < nu; u++) L->proc_of[u] = -1;
    /* managers' server processes: the units that serve requests */
    uint8_t *serves = xcalloc(nu ? nu : 1, 1);
    for (size_t i = 0; i < m->nflows; i++)
        if (m->flows[i].kind == TRC_FLOW_REQUEST && m->flows[i].u1 < nu) serves[m->flows[i].u1] = 1;
    /* a box per process: around its block when it hosts threads, else around its place */
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit_track *ut = &m->units[u];
        if (ut->pid <= 0 || ut->start_method == TRC_START_THREAD) continue;
        if (L->home_x[u] < 0) continue;   /* not drawn (no room) */
        rdr_stage_proc *P = &L->procs[L->nprocs];
        *P = (rdr_stage_proc){ .unit = u, .pid = ut->pid, .nunits = 1, .manager = serves[u] != 0 };
        uint32_t g = L->group_of[u];
        const rdr_stage_group *G = &L->groups[g];
        if (G->proc == (int32_t)u && !rdr_stage_pool_of(sm, u)) {
            P->group = true;
            P->nunits = G->n;
            P->x = G->x - 4;
            P->y = G->y - 2;
            P->w = G->w + 8;
            P->h = G->h + 4;
        } else {
            uint32_t pool = rdr_stage_pool_of(sm, u);
            int sw = pool ? L->cells[pool - 1].slot_w : G->spot;
            if (sw <= 0) sw = L->fig_w + 12;
            P->x = L->home_x[u] - sw / 2 + 1;
            P->w = sw - 2;
            P->y = L->home_y[u] - fig - 3;
            P->h = pool ? fig + 5 : fig + 5 + line_h + 4;
        }
        L->proc_of[u] = (int32_t)L->nprocs++;
    }
    for (uint32_t u = 0; u < nu; u++)   /* threads (and tasks) are in their host's box */
        if (L->proc_of[u] < 0 && pg->host[u] != UINT32_MAX && L->proc_of[pg->host[u]] >= 0)
            L->proc_of[u] = L->proc_of[pg->host[u]];
    free(serves);
    /* tubes */
    L->tube_w = tube_w_of(fig);
    L->tubes = xcalloc(ntubes ? ntubes : 1, sizeof *L->tubes);
    uint32_t *at_box = xcalloc(L->nprocs ? L->nprocs : 1, sizeof *at_box);   /* tube ends per box so far */
    for (uint32_t o = 1; o <= no && L->ntubes < ntubes; o++) {
        if (run->objects[o - 1].kind != TRC_OBJ_PIPE || !has_messages(m, o)) continue;
        uint32_t k = L->ntubes;
        uint32_t uf, ut;
        bool many[2];
        pipe_ends(m, L, o, &uf, &ut, many);
        int32_t bf = uf < nu ? L->proc_of[uf] : -1, bt = ut < nu ? L->proc_of[ut] : -1;
        if (bf < 0 || bt < 0) continue;
        rdr_stage_tube *tb = &L->tubes[L->ntubes++];
        tb->obj = o;
        tb->from = (uint32_t)bf;
        tb->to = (uint32_t)bt;
        int ly = band_y + 4 + (int)k * (L->tube_w + 5) + L->tube_w / 2;
        int ends[2][2];
        for (int e = 0; e < 2; e++) {
            int32_t b = e ? bt : bf;
            const rdr_stage_proc *P = &L->procs[b];
            /* the region it leaves from: its box, or its group's block for a fan-in (or fan-out) */
            int rx = P->x, ry = P->y, rw = P->w, rh = P->h;
            uint32_t u = e ? ut : uf;
            if (many[e]) {
                const rdr_stage_group *G = &L->groups[L->group_of[u]];
                if (G->w > 0 && G->proc < 0) { rx = G->x; ry = G->y; rw = G->w; rh = G->h + 4; b = -1; }
            }
            bool below = ry + rh <= ly;
            int ay = below ? ry + rh : ry;   /* from below the region, or from above (a pool's worker) */
            int off = (int)at_box[e ? bt : bf]++;
            int x0 = rx + rw / 2 + (off % 2 ? 1 : -1) * ((off + 1) / 2) * (L->tube_w + 3);
            int x = x0, step = L->tube_w + 3;
            /* a column down to the band that crosses no other box, nearest the middle */
            for (int c = 0; c < 64; c++) {
                int cand = x0 + (c % 2 ? 1 : -1) * ((c + 1) / 2) * step;
                if (cand < rx + 2 || cand > rx + rw - 3) continue;
                bool used = false;
                for (uint32_t j = 0; j < L->ntubes - 1 && !used; j++)
                    used = abs(L->tubes[j].px[0] - cand) < step || abs(L->tubes[j].px[3] - cand) < step;
                if (used) continue;
                if (!below || column_free(L, b, cand, ay, ly, L->tube_w / 2 + 2)) { x = cand; break; }
            }
            if (x < rx + 2) x = rx + 2;
            if (x > rx + rw - 3) x = rx + rw - 3;
            ends[e][0] = x;
            ends[e][1] = ay;
        }
        if (bf == bt) ends[1][0] = ends[0][0] + 2 * L->tube_w + 4;
        tb->npts = 4;
        tb->px[0] = ends[0][0]; tb->py[0] = ends[0][1];
        tb->px[1] = ends[0][0]; tb->py[1] = ly;
        tb->px[2] = ends[1][0]; tb->py[2] = ly;
        tb->px[3] = ends[1][0]; tb->py[3] = ends[1][1];
        tb->len = 0;
        for (int i = 0; i + 1 < tb->npts; i++) tb->len += abs(tb->px[i + 1] - tb->px[i]) + abs(tb->py[i + 1] - tb->py[i]);
        L->tube_of[o - 1] = (int32_t)(L->ntubes - 1);
    }
    free(at_box);
}
