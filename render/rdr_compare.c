/* The compare panel: one line per run (several runs side by side: a sweep, or
 * several files): what differs between them, how each ended, the makespan, the
 * CPU it used, where its units' time went, its waits and its throughput; the
 * best value of each column marked. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct rdr_cmp_row {
    double makespan, busy, blocked, items_s;
    uint64_t waits;
    char name[96], verdict[32], top_wait[64];
} rdr_cmp_row;

/* Parameters whose values differ between the runs: "workers=4". */
void rdr_run_name(const rdr_view *v, uint32_t r, char *out, size_t cap) {
    const trc_run *run = v->models[r].run;
    size_t n = (size_t)snprintf(out, cap, "%u %s", r + 1, run->backend ? run->backend : "?");
    for (uint32_t i = 0; i < run->nparams && n < cap; i++) {
        const trc_param *p = &run->params[i];
        bool differs = false;
        for (uint32_t k = 0; k < v->nmodels && !differs; k++) {
            const trc_run *o = v->models[k].run;
            bool found = false;
            for (uint32_t j = 0; j < o->nparams; j++)
                if (o->params[j].name && p->name && !strcmp(o->params[j].name, p->name)) {
                    found = true;
                    differs = o->params[j].value != p->value;
                }
            differs |= !found;
        }
        char val[32];
        if (differs) n += (size_t)snprintf(out + n, cap - n, " %s=%s", p->name ? p->name : "?", trc_param_value(val, sizeof val, p));
    }
    if (v->nmodels > 1 && strcmp(v->models[0].run->scenario ? v->models[0].run->scenario : "",
                                 run->scenario ? run->scenario : "") != 0 && n < cap)
        snprintf(out + n, cap - n, " (%s)", run->scenario ? run->scenario : "");
}

static void rdr_cmp_fill(const rdr_view *v, uint32_t r, rdr_cmp_row *o) {
    const trc_model *m = &v->models[r];
    const trc_run *run = m->run;
    uint64_t st[TRC_ST__COUNT] = { 0 }, life = 0;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        for (unsigned s = 0; s < TRC_ST__COUNT; s++) if (s != TRC_ST_DONE) { st[s] += ut->t_state[s]; life += ut->t_state[s]; }
        o->waits += ut->waits;
    }
    double mk = (double)(m->makespan ? m->makespan : 1);
    o->makespan = (double)m->makespan;
    /* busy: computing or between steps, of the units' lives (the recording does
     * not say when a unit was on a CPU: runnable is not recorded yet) */
    o->busy = life ? 100.0 * (double)(st[TRC_ST_COMPUTE] + st[TRC_ST_RUNNING]) / (double)life : 0;
    o->blocked = life ? 100.0 * (double)st[TRC_ST_BLOCKED] / (double)life : 0;
    uint64_t items = 0, top = 0;
    uint32_t top_obj = 0;
    for (uint32_t k = 0; k < run->nobjects; k++) {
        const trc_object_track *ot = &m->objects[k];
        items += ot->gets + ot->completed;
        if (ot->waits > top) { top = ot->waits; top_obj = k + 1; }
    }
    o->items_s = items ? (double)items / (mk / 1e9) : 0;
    snprintf(o->verdict, sizeof o->verdict, "%s", trc_run_end_name(run->end_reason));
    if (top_obj) snprintf(o->top_wait, sizeof o->top_wait, "%llu on %s", (unsigned long long)top, rdr_obj_name(run, top_obj));
    else snprintf(o->top_wait, sizeof o->top_wait, "none");
    rdr_run_name(v, r, o->name, sizeof o->name);
}

void rdr_compare(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (!L->compare_h) return;
    int y = L->compare_y, w = L->timeline_w;
    rdr_clip(cx, 0, y, w, L->compare_h);
    rdr_dl_rect(cx->dl, 0, y, w, L->compare_h, cx->th->panel);
    rdr_dl_rect(cx->dl, 0, y, w, 1, cx->th->grid);
    static const char *const head[] = { "run", "ended", "makespan", "busy", "blocked", "waits (most on)", "items/s" };
    enum { NC = 7 };
    rdr_cmp_row rows[64];
    uint32_t n = v->nmodels < 64 ? v->nmodels : 64;
    memset(rows, 0, sizeof rows);
    for (uint32_t r = 0; r < n; r++) rdr_cmp_fill(v, r, &rows[r]);
    /* the best of each column: shortest makespan, least blocked, most items/s (CPU: no best, it depends) */
    uint32_t best_mk = 0, best_bl = 0, best_it = 0;
    for (uint32_t r = 1; r < n; r++) {
        if (rows[r].makespan < rows[best_mk].makespan) best_mk = r;
        if (rows[r].blocked < rows[best_bl].blocked) best_bl = r;
        if (rows[r].items_s > rows[best_it].items_s) best_it = r;
    }
    int colx[NC];
    int nw = 3 * RDR_CHAR_W;
    for (uint32_t r = 0; r < n; r++) {
        int tw = rdr_tw(cx, RDR_FONT_REGULAR, rows[r].name, strlen(rows[r].name));
        if (tw > nw) nw = tw;
    }
    if (nw > w / 3) nw = w / 3;
    colx[0] = 12;
    colx[1] = colx[0] + nw + 16;
    static const int widths[] = { 0, 11, 11, 10, 9, 20, 10 };
    for (int c = 2; c < NC; c++) colx[c] = colx[c - 1] + widths[c - 1] * RDR_CHAR_W;
    int ly = y + 6;
    rdr_text(cx, 12, ly, RDR_FONT_BOLD, cx->th->text, "compare");
    rdr_text(cx, 12 + 9 * RDR_CHAR_W, ly, RDR_FONT_REGULAR, cx->th->text_dim,
             "(c hides; \xe2\x98\x85 = best: shortest makespan, least blocked, most items per second)");
    ly += cx->line_h;
    for (int c = 0; c < NC; c++) rdr_text(cx, colx[c], ly, RDR_FONT_BOLD, cx->th->text_dim, head[c]);
    for (uint32_t r = 0; r < n; r++) {
        ly += cx->line_h;
        const rdr_cmp_row *o = &rows[r];
        char s[NC][96];
        snprintf(s[0], sizeof s[0], "%s", o->name);
        snprintf(s[1], sizeof s[1], "%s", o->verdict);
        rdr_fmt_dur(s[2], sizeof s[2], o->makespan);
        if (n > 1 && r == best_mk) strcat(s[2], " \xe2\x98\x85");
        snprintf(s[3], sizeof s[3], "%.0f%%", o->busy);
        snprintf(s[4], sizeof s[4], "%.0f%%%s", o->blocked, n > 1 && r == best_bl ? " \xe2\x98\x85" : "");
        snprintf(s[5], sizeof s[5], "%s", o->top_wait);
        if (o->items_s > 0) snprintf(s[6], sizeof s[6], "%.0f%s", o->items_s, n > 1 && r == best_it ? " \xe2\x98\x85" : "");
        else snprintf(s[6], sizeof s[6], "\xe2\x80\x93");
        for (int c = 0; c < NC; c++) {
            bool star = strstr(s[c], "\xe2\x98\x85") != NULL;
            bool bad = c == 1 && v->models[r].run->end_reason != TRC_END_OK;
            int room = c + 1 < NC ? colx[c + 1] - colx[c] - 8 : w - colx[c] - 12;
            rdr_text_fit(cx, colx[c], ly, star ? RDR_FONT_BOLD : RDR_FONT_REGULAR,
                         bad ? cx->th->alert : cx->th->text, s[c], room);
        }
    }
    rdr_clip(cx, 0, 0, 0, 0);
}
