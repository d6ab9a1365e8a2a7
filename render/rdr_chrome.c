/* Around the lanes: the header (title and verdict, the legend of what is on
 * screen, notes naming what went wrong), the ruler with its playhead tag, the
 * status bar, the help overlay. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ header

/* The states the runs have (time spent in them), in legend order. */
static unsigned rdr_states_present(const rdr_view *v, bool *has) {
    unsigned n = 0;
    for (unsigned s = 0; s < TRC_ST__COUNT; s++) has[s] = false;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_model *m = &v->models[r];
        for (uint32_t u = 0; u < m->run->nunits; u++)
            for (unsigned s = 0; s < TRC_ST__COUNT; s++) has[s] |= m->units[u].t_state[s] > 0;
    }
    for (unsigned s = 0; s < TRC_ST__COUNT; s++) n += has[s];
    return n;
}

/* A legend item: a swatch and a name; returns the new x (or x unchanged when it does not fit). */
static int rdr_legend_item(rdr_ctx *cx, int x, int y, int xmax, uint32_t col, const char *name, bool dim) {
    int w = 19 + rdr_tw(cx, RDR_FONT_REGULAR, name, strlen(name)) + 12;
    if (x + w > xmax) return x;
    rdr_dl_rect(cx->dl, x, y + 3, 14, 10, col);
    rdr_text(cx, x + 19, y, RDR_FONT_REGULAR, dim ? cx->th->text_dim : cx->th->text, name);
    return x + w;
}

void rdr_header(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_rect(cx->dl, 0, 0, L->width, L->header_h, cx->th->panel);
    const trc_model *m0 = &v->models[0];
    const trc_run *r0 = m0->run;
    char mk[32], ph[32], tot[32], sp[32];
    int y = 6;
    /* status on the right first: it is never cut */
    rdr_fmt_dur(ph, sizeof ph, v->playhead);
    rdr_fmt_dur(tot, sizeof tot, (double)v->total);
    char st[160];
    snprintf(st, sizeof st, "%s %s / %s   speed %s", v->playing ? "\xe2\x96\xb6" : "\xe2\x9d\x9a\xe2\x9d\x9a",
             ph, tot, rdr_speed_str(sp, sizeof sp, v->speed));
    int sw = rdr_tw(cx, RDR_FONT_REGULAR, st, strlen(st));
    rdr_text(cx, L->width - sw - 12, y, RDR_FONT_REGULAR, cx->th->text, st);
    int room = L->width - sw - 36;
    /* the verdict next, then the facts, then the title gets what is left */
    char verdict[128], facts[256];
    bool bad = v->nrelations > 0;
    char rel[64] = "";   /* the expectations comparing runs that failed (they are not a run's end) */
    if (v->nrelations) snprintf(rel, sizeof rel, ", %u expectation%s failed", v->nrelations, v->nrelations == 1 ? "" : "s");
    if (v->nmodels == 1) {
        bad |= r0->end_reason != TRC_END_OK;
        snprintf(verdict, sizeof verdict, "%s%s", trc_run_end_name(r0->end_reason), rel);
        rdr_fmt_dur(mk, sizeof mk, (double)m0->makespan);
        snprintf(facts, sizeof facts, "  \xc2\xb7  %s  \xc2\xb7  makespan %s  \xc2\xb7  ended: ", r0->backend ? r0->backend : "?", mk);
    } else {
        uint32_t nbad = 0;
        for (uint32_t r = 0; r < v->nmodels; r++) nbad += v->models[r].run->end_reason != TRC_END_OK;
        bad |= nbad > 0;
        if (nbad) snprintf(verdict, sizeof verdict, "%u of %u did not end well%s", nbad, v->nmodels, rel);
        else if (v->nrelations) snprintf(verdict, sizeof verdict, "all ended ok%s", rel);
        else snprintf(verdict, sizeof verdict, "all ok");
        snprintf(facts, sizeof facts, "  \xc2\xb7  %u runs on one time axis  \xc2\xb7  ", v->nmodels);
    }
    int vw = rdr_tw(cx, RDR_FONT_BOLD, verdict, strlen(verdict));
    int fw = rdr_tw(cx, RDR_FONT_REGULAR, facts, strlen(facts));
    int tw = rdr_tw(cx, RDR_FONT_BOLD, v->title, strlen(v->title));
    int title_room = room - vw - fw;
    if (title_room < 8 * RDR_CHAR_W) {   /* narrow: drop the facts but "ended:" */
        snprintf(facts, sizeof facts, "  \xc2\xb7  %s", v->nmodels == 1 ? "ended: " : "");
        fw = rdr_tw(cx, RDR_FONT_REGULAR, facts, strlen(facts));
        title_room = room - vw - fw;
    }
    int x = 12;
    if (title_room > 2 * RDR_CHAR_W) x += rdr_text_fit(cx, x, y, RDR_FONT_BOLD, cx->th->text, v->title, tw < title_room ? tw : title_room);
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, facts);
    rdr_text(cx, x, y, bad ? RDR_FONT_BOLD : RDR_FONT_REGULAR, bad ? cx->th->alert : cx->th->text_dim, verdict);

    /* legend: the states the runs have, then the object keys */
    y = 27;
    x = 12;
    int xmax = L->width - 12;
    char win_s[160], w0[48], w1[48], ww_s[32];
    double win = v->t1 - v->t0;
    rdr_fmt_time(w0, sizeof w0, v->t0, win / 200, v->t1);
    rdr_fmt_time(w1, sizeof w1, v->t1, win / 200, v->t1);
    rdr_fmt_dur(ww_s, sizeof ww_s, win);
    snprintf(win_s, sizeof win_s, "view %s \xe2\x80\x93 %s (%s)", w0, w1, ww_s);
    int winw = rdr_tw(cx, RDR_FONT_REGULAR, win_s, strlen(win_s));
    bool has[TRC_ST__COUNT];
    rdr_states_present(v, has);
    for (unsigned s = 0; s < TRC_ST__COUNT; s++)
        if (has[s]) x = rdr_legend_item(cx, x, y, xmax, rdr_state_color(s), trc_state_name(s), false);
    bool levels = false, owners = false, futures = false;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_run *run = v->models[r].run;
        futures |= v->models[r].nfutures > 0;
        for (uint32_t o = 0; o < run->nobjects; o++) {
            levels |= rdr_has_level(run->objects[o].kind);
            owners |= rdr_has_owner(run->objects[o].kind);
        }
    }
    x += 6;
    if (levels) x = rdr_legend_item(cx, x, y, xmax, cx->th->queue, "depth/level", true);
    if (levels && x + 90 < xmax) {
        for (int i = 0; i < 3; i++) rdr_dl_rect(cx->dl, x + i * 5, y + 8, 3, 1, cx->th->capacity);
        x += 19;
        x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, "capacity") + 12;
    }
    if (owners && x + 120 < xmax) {   /* owner colours: each unit's chip in the names column */
        rdr_dl_rect(cx->dl, x, y + 3, 7, 10, rdr_owner_color(0));
        rdr_dl_rect(cx->dl, x + 7, y + 3, 7, 10, rdr_owner_color(1));
        x += 19;
        x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, "held by (unit's chip)") + 12;
    }
    if (futures) {   /* the future lanes' states */
        static const struct { unsigned k; const char *name; } fl[] = {
            { RDR_FK_PENDING, "queued" }, { RDR_FK_RUNNING, "ran" }, { RDR_FK_DONE, "done" },
            { RDR_FK_CANCELLED, "cancelled" }, { RDR_FK_FAILED, "failed" } };
        int fx = x + rdr_tw(cx, RDR_FONT_REGULAR, "future:", 7) + 8;
        if (fx + 60 < xmax) {
            rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, "future:");
            x = fx;
            for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
                x = rdr_legend_item(cx, x, y, xmax, rdr_future_color(fl[i].k), fl[i].name, false);
        }
    }
    if (x + 8 + winw < xmax) rdr_text(cx, L->width - winw - 12, y, RDR_FONT_REGULAR, cx->th->text_dim, win_s);

    /* notes: what went wrong, named; what the recording lacks */
    rdr_note notes[RDR_MAX_NOTES];
    int nn = rdr_notes(v, notes, L->alert_lines < RDR_MAX_NOTES ? L->alert_lines : RDR_MAX_NOTES);
    for (int i = 0; i < nn; i++) {
        int ny = RDR_HEADER_H - 2 + i * RDR_ALERT_H;
        rdr_dl_rect(cx->dl, 0, ny, L->width, RDR_ALERT_H, notes[i].alert ? cx->th->alert_bg : cx->th->note_bg);
        rdr_text_fit(cx, 12, ny + 1, notes[i].alert ? RDR_FONT_BOLD : RDR_FONT_REGULAR,
                     notes[i].alert ? cx->th->alert : cx->th->text, notes[i].text, L->width - 24);
    }
    rdr_dl_rect(cx->dl, 0, L->header_h - 1, L->width, 1, cx->th->grid);
}

//~ ruler and playhead

void rdr_ruler(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    int y = L->ruler_y, h = L->ruler_h;
    rdr_dl_rect(cx->dl, 0, y, L->timeline_w, h, cx->th->panel);
    rdr_dl_rect(cx->dl, 0, y + h - 1, L->timeline_w, 1, cx->th->grid);
    rdr_text(cx, 12, y + 3, RDR_FONT_REGULAR, cx->th->text_dim, "time");
    rdr_clip(cx, L->plot_x - 4, y, L->plot_w + 8, h);
    double step = rdr_ruler_step(cx);
    double mant = step / pow(10, floor(log10(step) + 1e-9));
    double minor = step / (mant > 1.5 && mant < 2.5 ? 4 : 5);
    if (minor / cx->npp >= 6)
        for (double t = ceil(v->t0 / minor) * minor; t <= v->t1; t += minor) {
            int x = (int)lround(rdr_view_x_of(v, t));
            rdr_dl_rect(cx->dl, x, y + h - 5, 1, 4, cx->th->tick_minor);
        }
    char s[64];
    for (double t = ceil(v->t0 / step) * step; t <= v->t1; t += step) {
        int x = (int)lround(rdr_view_x_of(v, t));
        rdr_dl_rect(cx->dl, x, y + 2, 1, h - 3, cx->th->tick_minor);
        rdr_dl_rect(cx->dl, x, y + h - 10, 1, 9, cx->th->tick);
        rdr_fmt_time(s, sizeof s, t, step, v->t1);
        if (x + 4 + rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s)) > L->plot_x + L->plot_w + 4) continue;   /* no "40" for "40 ms" at the edge */
        rdr_text(cx, x + 4, y + 2, RDR_FONT_REGULAR, cx->th->text, s);
    }
    if (v->zsel) {   /* the range being marked for a zoom */
        int a = v->zsel_x0 < v->zsel_x1 ? v->zsel_x0 : v->zsel_x1, b = v->zsel_x0 < v->zsel_x1 ? v->zsel_x1 : v->zsel_x0;
        rdr_dl_rect(cx->dl, a, y, b - a, h, 0x40000000u | (cx->th->sel & 0xffffffu));
    }
    rdr_clip(cx, 0, 0, 0, 0);
}

/* The playhead's tag in the ruler's lower band: [*x, *x + *w). False when the playhead is out of view. */
bool rdr_playhead_tag(rdr_ctx *cx, char *s, size_t cap, int *x, int *w) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (v->playhead < v->t0 || v->playhead > v->t1) return false;
    int px = (int)lround(rdr_view_x_of(v, v->playhead));
    rdr_fmt_dur(s, cap, v->playhead);
    int tw = rdr_tw(cx, RDR_FONT_BOLD, s, strlen(s));
    int bx = px - tw / 2 - 5;
    if (bx + tw + 10 > L->timeline_w - 2) bx = L->timeline_w - 2 - tw - 10;
    if (bx < L->plot_x - 4) bx = L->plot_x - 4;
    *x = bx;
    *w = tw + 10;
    return true;
}

void rdr_playhead(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (v->playhead < v->t0 || v->playhead > v->t1) return;
    int x = (int)lround(rdr_view_x_of(v, v->playhead));
    if (x >= L->plot_x + L->plot_w) x = L->plot_x + L->plot_w - 1;
    rdr_dl_rect(cx->dl, x - 1, L->ruler_y + 18, 2, L->lanes_h + L->ruler_h - 18, cx->th->playhead);
    char s[48];
    int bx, bw;
    if (!rdr_playhead_tag(cx, s, sizeof s, &bx, &bw)) return;
    rdr_dl_rect(cx->dl, bx, L->ruler_y + 18, bw, cx->line_h + 1, cx->th->playhead);
    rdr_text(cx, bx + 5, L->ruler_y + 18, RDR_FONT_BOLD, cx->th->playhead_text, s);
}

//~ the idle tail

/* When the view ends where the runs went quiet, a note at its right edge says
 * what comes after (a watchdog waiting to be sure) and how to see it. */
void rdr_tail_note(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (v->t_tail >= (double)v->total || v->t1 < v->t_tail * 0.999 || v->t1 >= (double)v->total) return;
    char a[32], b[32], s[200];
    rdr_fmt_dur(a, sizeof a, (double)v->total - v->t1);
    rdr_fmt_dur(b, sizeof b, (double)v->total);
    snprintf(s, sizeof s, "\xe2\x86\x92 %s more with nothing happening, until the run was ended at %s (0: show it all)", a, b);
    int tw = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
    int x = L->plot_x + L->plot_w - tw - 10, y = L->lanes_y + L->lanes_h - cx->line_h - 8;
    if (x < L->plot_x) x = L->plot_x;
    if (rdr_label_free(cx, x - 4, y - 2, tw + 10, cx->line_h + 4)) {   /* a box only with its text */
        rdr_dl_rect(cx->dl, x - 4, y - 2, tw + 10, cx->line_h + 4, cx->th->label_bg);
        rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, s, L->plot_w - 8);
    }
    /* a jagged edge on the right: the axis goes on */
    for (int k = 0; k < L->lanes_h; k += 8) {
        rdr_dl_line(cx->dl, L->plot_x + L->plot_w - 1, L->lanes_y + k, L->plot_x + L->plot_w + 3, L->lanes_y + k + 4, cx->th->text_dim);
        rdr_dl_line(cx->dl, L->plot_x + L->plot_w + 3, L->lanes_y + k + 4, L->plot_x + L->plot_w - 1, L->lanes_y + k + 8, cx->th->text_dim);
    }
}

//~ status bar

void rdr_footer(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_rect(cx->dl, 0, L->footer_y, L->width, L->footer_h, cx->th->panel);
    rdr_dl_rect(cx->dl, 0, L->footer_y, L->width, 1, cx->th->grid);
    int y = L->footer_y + (L->footer_h - cx->line_h) / 2;
    char s[256], right[96];
    if (v->frame_ms > 0) snprintf(right, sizeof right, "? keys   frame %.1f ms", v->frame_ms);
    else snprintf(right, sizeof right, "? keys");
    int rw = rdr_tw(cx, RDR_FONT_REGULAR, right, strlen(right));
    rdr_text(cx, L->width - rw - 12, y, RDR_FONT_REGULAR, cx->th->text_dim, right);
    int x = 12, xmax = L->width - rw - 24;
    if (v->searching || v->query[0]) {
        if (v->query[0] && v->nmatches) snprintf(s, sizeof s, "search: %s%s  (%u of %u: n next, shift+n previous)", v->query,
                                                 v->searching ? "\xe2\x96\x8f" : "", v->match + 1, v->nmatches);
        else if (v->query[0]) snprintf(s, sizeof s, "search: %s%s  (no unit or object has that name)", v->query,
                                      v->searching ? "\xe2\x96\x8f" : "");
        else snprintf(s, sizeof s, "search: type a unit's or an object's name, Enter to keep it, Esc to drop it\xe2\x96\x8f");
        x += rdr_text_fit(cx, x, y, RDR_FONT_BOLD, cx->th->text, s, xmax - x) + 18;
    } else if (v->toast[0]) {
        x += rdr_text_fit(cx, x, y, RDR_FONT_BOLD, cx->th->text, v->toast, xmax - x) + 18;
    }
    /* the modes, always said */
    const char *fl = v->flows == RDR_FLOWS_ALL ? (cx->flows_dense ? "flows: too many here (zoom in, or click a unit)" : "flows: all")
                   : v->flows == RDR_FLOWS_SELECTED ? "flows: selected" : "flows: off";
    snprintf(s, sizeof s, "%s (f)  \xc2\xb7  after the playhead: %s (g)", fl, v->ghost ? "ghosted" : "hidden");
    if (x < xmax) x += rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, s, xmax - x) + 18;
    if (v->sel.kind && v->sel.run < v->nmodels && x < xmax) {
        const trc_run *run = v->models[v->sel.run].run;
        const char *nm = v->sel.kind == RDR_ROW_UNIT ? rdr_unit_name(run, v->sel.id) : rdr_obj_name(run, v->sel.id);
        snprintf(s, sizeof s, "selected: %s (\xe2\x86\x90/\xe2\x86\x92 its steps, z zoom, Esc)", nm);
        rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, s, xmax - x);
    }
}

//~ help

void rdr_help(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (!v->help) return;
    static const char *const keys[][2] = {
        { "space", "play / pause (from the start again at the end)" },
        { "+  -", "faster / slower playback" },
        { "\xe2\x86\x90  \xe2\x86\x92", "step to the previous / next state change (of the selected unit)" },
        { "home  end", "to the start / the end" },
        { "wheel  w  s", "zoom in / out around the mouse or the playhead" },
        { "drag  a  d", "pan the time axis (drag also scrolls the lanes)" },
        { "shift+drag", "mark a time range and zoom to it (or right-drag)" },
        { "\xe2\x86\x91 \xe2\x86\x93 pgup pgdn", "scroll the lanes (shift+wheel too)" },
        { "click", "select a lane: its details below, its flows; a run's or process's title row folds it" },
        { "x  shift+x", "fold / unfold the selected (or pointed) process's lanes; all of them" },
        { "z", "zoom to the selected slice" },
        { "/  n  shift+n", "search a unit or object by name, next / previous match" },
        { "f", "flows: all, only the selected unit's, none" },
        { "g", "after the playhead: hidden or ghosted" },
        { "0  r", "show the whole run / back to the part where things happen" },
        { "c", "compare panel (several runs)" },
        { "l", "several runs: aligned at their starts, or on absolute time" },
        { "o", "the stage beside the timeline" },
        { "t", "light / dark theme" },
        { "?  Esc", "this help; Esc also clears the selection, then quits" },
        { "q", "quit" },
    };
    size_t n = sizeof keys / sizeof keys[0];
    int kw = 0, dw = 0;
    for (size_t i = 0; i < n; i++) {
        int a = rdr_tw(cx, RDR_FONT_BOLD, keys[i][0], strlen(keys[i][0]));
        int b = rdr_tw(cx, RDR_FONT_REGULAR, keys[i][1], strlen(keys[i][1]));
        if (a > kw) kw = a;
        if (b > dw) dw = b;
    }
    int w = kw + dw + 48, h = (int)(n + 2) * cx->line_h + 16;
    if (w > L->width - 16) w = L->width - 16;
    int x = (L->width - w) / 2, y = (L->height - h) / 2;
    if (y < 4) y = 4;
    rdr_dl_rect(cx->dl, x + 3, y + 3, w, h, 0x80000000u);
    rdr_dl_rect(cx->dl, x, y, w, h, cx->th->tip_border);
    rdr_dl_rect(cx->dl, x + 1, y + 1, w - 2, h - 2, cx->th->tip_bg);
    rdr_text(cx, x + 16, y + 8, RDR_FONT_BOLD, cx->th->text, "Keys and mouse (? or Esc closes this)");
    for (size_t i = 0; i < n; i++) {
        int ly = y + 8 + (int)(i + 1) * cx->line_h + 6;
        rdr_text(cx, x + 16, ly, RDR_FONT_BOLD, cx->th->text, keys[i][0]);
        rdr_text_fit(cx, x + 32 + kw, ly, RDR_FONT_REGULAR, cx->th->text_dim, keys[i][1], w - kw - 48);
    }
}
