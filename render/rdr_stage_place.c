/* Where things stand on a run's stage at the state's time: the places of the
 * waiting lines, the homes, a unit's figure (walking included). Shared by the
 * pictures (rdr_stage_draw.c) and the hover (rdr_stage_hover.c), so what is
 * pointed at is what is drawn. */
#include "render/rdr_internal.h"

#include <math.h>

static double ease(double p) { return p <= 0 ? 0 : p >= 1 ? 1 : p * p * (3 - 2 * p); }

bool rdr_stage_line_spot(const rdr_stage_geo *g, uint32_t obj, int side, uint32_t k, int *x, int *y) {
    if (!obj || obj > g->run->nobjects) return false;
    const rdr_stage_cell *ce = &g->L->cells[obj - 1];
    if (!ce->shown) return false;
    int lx = side == 2 ? ce->lx2 : ce->lx, ly = side == 2 ? ce->ly2 : ce->ly, ldx = side == 2 ? ce->ldx2 : ce->ldx;
    int nl = side == 2 ? ce->nl2 : ce->nl;
    if (!nl || k >= (uint32_t)nl) return false;
    *x = g->ox + lx + (int)k * ldx;
    *y = g->oy + ly;
    return true;
}

int rdr_stage_side(const rdr_stage_geo *g, uint32_t obj, uint8_t op) {
    return obj && obj <= g->run->nobjects && g->run->objects[obj - 1].kind == TRC_OBJ_QUEUE && op != TRC_OP_PUT ? 2 : 1;
}

bool rdr_stage_home(const rdr_stage_geo *g, uint32_t u, int *x, int *y) {
    if (g->L->home_x[u] < 0) return false;
    *x = g->ox + g->L->home_x[u];
    *y = g->oy + g->L->home_y[u];
    return true;
}

bool rdr_stage_unit_xy(const rdr_stage_geo *g, uint32_t u, int *x, int *y) {
    const rdr_stage_unit *su = &g->st->units[u];
    if (su->place == RDR_PLACE_NONE) return false;
    int tx, ty;
    bool ok = su->place == RDR_PLACE_HOME
                  ? rdr_stage_home(g, u, &tx, &ty)
                  : rdr_stage_line_spot(g, su->obj, rdr_stage_side(g, su->obj, su->op), su->rank, &tx, &ty);
    if (!ok) return false;
    *x = tx;
    *y = ty;
    if (su->walk < 1.0f) {
        int fx, fy;
        bool from = su->from_place == RDR_PLACE_HOME
                        ? rdr_stage_home(g, u, &fx, &fy)
                        : rdr_stage_line_spot(g, su->from_obj, rdr_stage_side(g, su->from_obj, su->from_op), 0, &fx, &fy);
        if (from) {
            double p = ease(su->walk);
            *x = (int)lround(fx + (tx - fx) * p);
            *y = (int)lround(fy + (ty - fy) * p);
        }
    }
    return true;
}
