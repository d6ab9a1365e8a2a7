/* The stage's processes, drawn: a box per process behind its units' figures
 * (bright while it lives, dim before its start and after its end; a process
 * with threads gets its name and pid on the box), the pipes as hollow tubes
 * between the boxes with their messages as tokens in the sender's colour,
 * each `fly` of the way from its send to its recv (never received: lined up
 * at the receiving end), and a manager's requests and replies as tokens
 * crossing from box to box. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void frame(rdr_drawlist *dl, int x, int y, int w, int h, uint32_t col) {
    if (w <= 0 || h <= 0) return;
    rdr_dl_rect(dl, x, y, w, 1, col);
    rdr_dl_rect(dl, x, y + h - 1, w, 1, col);
    rdr_dl_rect(dl, x, y + 1, 1, h - 2, col);
    rdr_dl_rect(dl, x + w - 1, y + 1, 1, h - 2, col);
}

double rdr_stage_msg_at(const rdr_stage_tok *tk, int len, int sz) {
    if (len <= 0) return tk->fly;
    double back = 1.0 - ((double)tk->slot + 0.5) * (sz + 2) / len;   /* behind those before it */
    if (back < 0) return -1;
    return tk->consumer == RDR_STAGE_NONE || tk->fly > back ? back : tk->fly;
}

void rdr_stage_msg_token(rdr_drawlist *dl, int x, int y, int sz, uint32_t col, uint32_t edge) {
    if (sz < 3) sz = 3;
    int h = sz / 2;
    rdr_dl_rect(dl, x - h, y - h + 1, sz, sz - 2, edge);
    rdr_dl_rect(dl, x - h + 1, y - h, sz - 2, sz, edge);
    rdr_dl_rect(dl, x - h + 1, y - h + 1, sz - 2, sz - 2, col);
}

#define COL_MANAGER 0xffcc79a7u   /* a manager's server process: reddish purple (Okabe-Ito) */

static bool alive(const rdr_stage_state *st, uint32_t u) {
    const rdr_stage_unit *su = &st->units[u];
    return su->place != RDR_PLACE_NONE && !su->exited;
}

void rdr_stage_boxes(rdr_ctx *cx, const rdr_stage_layout *L, const rdr_stage_state *st, const trc_run *run, int ox, int oy) {
    const rdr_theme *th = cx->th;
    for (uint32_t i = 0; i < L->nprocs; i++) {
        const rdr_stage_proc *P = &L->procs[i];
        int x = ox + P->x, y = oy + P->y;
        bool live = alive(st, P->unit);
        uint32_t edge = P->manager ? COL_MANAGER : th->text_dim;
        if (!live) edge = rdr_mix(th->bg, edge, 0.45);
        rdr_dl_rect(cx->dl, x + 1, y + 1, P->w - 2, P->h - 2, rdr_mix(th->bg, th->panel, live ? 1.0 : 0.5));
        frame(cx->dl, x, y, P->w, P->h, edge);
        if (P->manager && live) frame(cx->dl, x + 1, y + 1, P->w - 2, P->h - 2, edge);
        if (P->group) {   /* its name line: the process and its pid */
            char s[160];
            const char *nm = run->units[P->unit].name ? run->units[P->unit].name : "?";
            snprintf(s, sizeof s, "%s%s \xc2\xb7 pid %d", P->manager ? "manager " : "", nm, (int)P->pid);
            rdr_text_fit(cx, x + 4, y + 2, RDR_FONT_BOLD, live ? th->text : th->text_dim, s, P->w - 8);
        }
    }
}

static void hollow(rdr_drawlist *dl, int x0, int y0, int x1, int y1, int w, uint32_t wall, uint32_t inside) {
    int h = w / 2;
    int ax = x0 < x1 ? x0 : x1, bx = x0 < x1 ? x1 : x0, ay = y0 < y1 ? y0 : y1, by = y0 < y1 ? y1 : y0;
    rdr_dl_rect(dl, ax - h, ay - h, bx - ax + w, by - ay + w, wall);
    if (w > 3) rdr_dl_rect(dl, ax - h + 1, ay - h + 1, bx - ax + w - 2, by - ay + w - 2, inside);
}

void rdr_stage_tubes(rdr_ctx *cx, const rdr_stage_layout *L, const rdr_stage_state *st, const trc_run *run, int ox, int oy) {
    const rdr_theme *th = cx->th;
    uint32_t edge = th->bg == 0xffffffffu ? 0xff5c626eu : 0xff08090cu;
    for (uint32_t i = 0; i < L->ntubes; i++) {
        const rdr_stage_tube *tb = &L->tubes[i];
        const rdr_stage_obj *so = &st->objs[tb->obj - 1];
        uint32_t wall = so->msgs ? th->text_dim : rdr_mix(th->bg, th->text_dim, 0.6);
        /* walls first, then the insides, so the corners join */
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k + 1 < tb->npts; k++) {
                int x0 = ox + tb->px[k], y0 = oy + tb->py[k], x1 = ox + tb->px[k + 1], y1 = oy + tb->py[k + 1];
                if (pass == 0) hollow(cx->dl, x0, y0, x1, y1, L->tube_w, wall, wall);
                else if (L->tube_w > 5) hollow(cx->dl, x0, y0, x1, y1, L->tube_w - 4, th->lane, th->lane);
            }
        /* the pipe's name, on the band beside the tube's far end */
        const char *nm = run->objects[tb->obj - 1].name ? run->objects[tb->obj - 1].name : "?";
        char s[96];
        if (so->msgs) snprintf(s, sizeof s, "%s \xc2\xb7 %u in it", nm, so->msgs);
        else snprintf(s, sizeof s, "%s", nm);
        int lx = ox + (tb->px[1] > tb->px[2] ? tb->px[1] : tb->px[2]) + L->tube_w, ly = oy + tb->py[1] - cx->line_h / 2;
        rdr_text_fit(cx, lx + 2, ly, RDR_FONT_REGULAR, so->msgs ? th->text : th->text_dim, s, ox + L->w - lx - 6);
        /* its messages */
        int sz = L->tube_w - 4 < 4 ? 4 : L->tube_w - 4;
        for (size_t k = 0; k < so->ntok; k++) {
            const rdr_stage_tok *tk = &st->toks[so->tok0 + k];
            double s01 = rdr_stage_msg_at(tk, tb->len, sz);
            if (s01 < 0) break;   /* the tube is full: the count says the rest */
            int x, y;
            rdr_stage_tube_point(tb, s01, &x, &y);
            rdr_stage_msg_token(cx->dl, ox + x, oy + y, sz, rdr_owner_color(tk->producer), edge);
        }
    }
    /* managers: requests and replies crossing between the boxes */
    if (!L->nprocs || !st->nreq) return;
    for (size_t k = 0; k < st->nreq; k++) {
        const rdr_stage_tok *tk = &st->toks[st->req0 + k];
        if (tk->producer >= st->nunits || tk->consumer >= st->nunits) continue;
        int32_t a = L->proc_of[tk->producer], b = L->proc_of[tk->consumer];
        if (a < 0 || b < 0 || a == b) continue;
        const rdr_stage_proc *A = &L->procs[a], *B = &L->procs[b];
        double ax = A->x + A->w / 2.0, ay = A->y + A->h / 2.0, bx = B->x + B->w / 2.0, by = B->y + B->h / 2.0;
        int x = ox + (int)lround(ax + (bx - ax) * tk->fly), y = oy + (int)lround(ay + (by - ay) * tk->fly);
        uint32_t col = rdr_flow_color(tk->phase == RDR_TOK_REQUEST ? TRC_FLOW_REQUEST : TRC_FLOW_REPLY);
        rdr_stage_msg_token(cx->dl, x, y, L->tube_w ? L->tube_w : 6, col, edge);
    }
}
