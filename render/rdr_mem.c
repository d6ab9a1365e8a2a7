/* The memory track: one row per run that recorded memory samples (the
 * model's trc_mem, traces/trc_model_mem.c): the resident size of all the
 * run's processes together as a filled step graph, scaled to its peak; the
 * label says resident and virtual at the playhead, and the peak. Plain C, no
 * SDL. The per-frame cost is the plot's columns plus the samples in view. */
#include "render/rdr_internal.h"

#include <stdio.h>
#include <string.h>

/* The last sample at or before t, or SIZE_MAX when t is before the first. */
static size_t rdr_mem_at(const trc_sample *s, size_t n, double t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)s[mid].t <= t) lo = mid + 1; else hi = mid;
    }
    return lo ? lo - 1 : SIZE_MAX;
}

void rdr_mem_label(rdr_ctx *cx, const rdr_row *row, int y, int lw, double at) {
    const trc_mem *mem = &cx->v->models[row->run].mem;
    int ty = y + 4, room = lw - 22;
    char s[160], a[32], b[32];
    /* resident, as drawn; virtual too when it fits (the hover has both). In a narrow column
     * ("3.1 MiB resi…" was cut) the name goes on the first line and the figure alone on the second. */
    size_t i = rdr_mem_at(mem->resident, mem->n, at);
    const char *peak = i == SIZE_MAX ? "peak " : "";
    fmt_bytes(a, sizeof a, i == SIZE_MAX ? mem->peak_resident : (uint64_t)mem->resident[i].v);
    fmt_bytes(b, sizeof b, i == SIZE_MAX ? mem->peak_virt : (uint64_t)mem->virt[i].v);
    const char *title = "memory";
    snprintf(s, sizeof s, "%s%s \xc2\xb7 virt %s", peak, a, b);
    if (rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s)) > room) snprintf(s, sizeof s, "%s%s resident", peak, a);
    if (rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s)) > room) {
        snprintf(s, sizeof s, "%s%s", peak, a);
        title = rdr_tw(cx, RDR_FONT_REGULAR, "resident memory", 15) <= room ? "resident memory" : "resident";
    }
    int x = 18 + rdr_text_fit(cx, 18, ty, RDR_FONT_REGULAR, cx->th->text, title, room);
    if (mem->nprocs > 1) {
        char np[48];
        snprintf(np, sizeof np, "%u processes", mem->nprocs);
        if (rdr_tw(cx, RDR_FONT_REGULAR, np, strlen(np)) <= lw - x - RDR_CHAR_W - 4)
            rdr_text_fit(cx, x + RDR_CHAR_W, ty, RDR_FONT_REGULAR, cx->th->text_dim, np, lw - x - RDR_CHAR_W - 4);
    }
    if (row->h >= 2 * cx->line_h + 2) rdr_text_fit(cx, 18, ty + cx->line_h, RDR_FONT_REGULAR, cx->th->text_dim, s, room);
    rdr_dl_rect(cx->dl, 8, y + 5, 4, row->h - 10, cx->th->queue);
}

void rdr_mem_content(rdr_ctx *cx, const rdr_row *row, int y, double reveal) {
    rdr_view *v = cx->v;
    const trc_mem *mem = &v->models[row->run].mem;
    if (!mem->n || !mem->peak_resident) return;
    rdr_scale sc = { .base = y + row->h - 4, .hmax = row->h - 10, .lo = 0 };
    sc.px_per = (double)sc.hmax / (double)mem->peak_resident;
    rdr_dl_rect(cx->dl, v->lay.plot_x, rdr_level_y(&sc, 0), v->lay.plot_w, 1, cx->th->grid);
    rdr_cols c = rdr_cols_of(cx, 0, reveal);
    if (!(c.b > c.a)) return;
    /* each column: the most resident during it (the sample in force at its start, and any in it) */
    size_t i = rdr_mem_at(mem->resident, mem->n, c.wt0);
    for (int col = 0; col <= c.ncol; col++) {
        double t0 = c.wt0 + col * c.npp, t1 = t0 + c.npp;
        if (col == c.ncol || t1 <= c.a || t0 >= c.b) { cx->vals[col] = RDR_NO_VALUE; continue; }
        int64_t best = i == SIZE_MAX ? RDR_NO_VALUE : mem->resident[i].v;
        size_t j = i == SIZE_MAX ? 0 : i + 1;
        while (j < mem->n && (double)mem->resident[j].t < t1 && (double)mem->resident[j].t < c.b) {
            if (mem->resident[j].v > best) best = mem->resident[j].v;
            i = j++;
        }
        cx->vals[col] = best;
    }
    rdr_level_draw(cx, &c, &sc, cx->th->queue, cx->th->queue_edge);
}

void rdr_mem_describe(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    const trc_mem *mem = &cx->v->models[row->run].mem;
    char a[32], b[32];
    size_t i = rdr_mem_at(mem->resident, mem->n, t);
    if (i != SIZE_MAX) {
        fmt_bytes(a, sizeof a, (uint64_t)mem->resident[i].v);
        fmt_bytes(b, sizeof b, (uint64_t)mem->virt[i].v);
        rdr_tip_add(tip, "memory of the run's %u %s: %s resident, %s virtual", mem->nprocs,
                    mem->nprocs == 1 ? "process" : "processes", a, b);
    }
    fmt_bytes(a, sizeof a, mem->peak_resident);
    fmt_bytes(b, sizeof b, mem->peak_virt);
    rdr_tip_add(tip, "peak %s resident, %s virtual", a, b);
    if (!mem->unit_unknown) {
        fmt_bytes(a, sizeof a, (uint64_t)(mem->unit_resident + 0.5));
        fmt_bytes(b, sizeof b, (uint64_t)(mem->unit_virt + 0.5));
        rdr_tip_add(tip, "per unit (growth over %u units): %s resident, %s virtual", mem->units_started, a, b);
    } else {
        rdr_tip_add(tip, "per unit: n/a (%s)", mem->unit_unknown);
    }
}
