/* Around the lanes: header (title, verdict, legend), ruler, playhead, footer. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ header, ruler, footer

void rdr_header(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_rect(cx->dl, 0, 0, L->width, L->header_h, cx->th->panel);
    const trc_model *m0 = &v->models[0];
    const trc_run *r0 = m0->run;
    char s[512], mk[32], ph[32], tot[32], sp[32];
    int x = 12, y = 6;
    x += rdr_text_fit(cx, x, y, RDR_FONT_BOLD, cx->th->text, v->title, L->width / 2);
    rdr_fmt_dur(mk, sizeof mk, (double)m0->makespan);
    if (v->nmodels == 1)
        snprintf(s, sizeof s, "  \xc2\xb7  %s  \xc2\xb7  makespan %s  \xc2\xb7  ended: %s", r0->backend ? r0->backend : "?",
                 mk, trc_run_end_name(r0->end_reason));
    else
        snprintf(s, sizeof s, "  \xc2\xb7  %u runs on one time axis", v->nmodels);
    /* status on the right */
    rdr_fmt_dur(ph, sizeof ph, v->playhead);
    rdr_fmt_dur(tot, sizeof tot, (double)v->total);
    char st[160];
    snprintf(st, sizeof st, "%s %s / %s   speed %s", v->playing ? "\xe2\x96\xb6" : "\xe2\x9d\x9a\xe2\x9d\x9a",
             ph, tot, rdr_speed_str(sp, sizeof sp, v->speed));
    int sw = rdr_tw(cx, RDR_FONT_REGULAR, st, strlen(st));
    rdr_text(cx, L->width - sw - 12, y, RDR_FONT_REGULAR, cx->th->text, st);
    bool end_bad = v->nmodels == 1 && r0->end_reason != TRC_END_OK;
    if (end_bad) {
        /* the end reason in red */
        char a[256], b[64];
        snprintf(a, sizeof a, "  \xc2\xb7  %s  \xc2\xb7  makespan %s  \xc2\xb7  ended: ", r0->backend ? r0->backend : "?", mk);
        snprintf(b, sizeof b, "%s", trc_run_end_name(r0->end_reason));
        int room = L->width - sw - 24 - x;
        int w = rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, a, room);
        if (w < room) rdr_text_fit(cx, x + w, y, RDR_FONT_BOLD, RDR_COL_ALERT, b, room - w);
    } else {
        rdr_text_fit(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, s, L->width - sw - 24 - x);
    }
    /* legend */
    y = 27;
    x = 12;
    for (unsigned st_i = 0; st_i < TRC_ST__COUNT; st_i++) {
        rdr_dl_rect(cx->dl, x, y + 3, 14, 10, rdr_state_color(st_i));
        x += 19;
        x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text, trc_state_name(st_i)) + 14;
    }
    rdr_dl_rect(cx->dl, x, y + 3, 14, 10, cx->th->queue);
    x += 19;
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, "depth/level") + 8;
    for (int i = 0; i < 3; i++) rdr_dl_rect(cx->dl, x + i * 5, y + 8, 3, 1, cx->th->capacity);
    x += 19;
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, "capacity") + 14;
    bool futures = false;
    for (uint32_t r = 0; r < v->nmodels; r++) futures |= v->models[r].nfutures > 0;
    if (futures) {   /* the future lanes' states */
        x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim, "future:") + 8;
        static const struct { unsigned k; const char *name; } fl[] = {
            { RDR_FK_PENDING, "queued" }, { RDR_FK_RUNNING, "ran" }, { RDR_FK_DONE, "done" },
            { RDR_FK_CANCELLED, "cancelled" } };
        for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
            rdr_dl_rect(cx->dl, x, y + 3, 14, 10, rdr_future_color(fl[i].k));
            x += 19;
            x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text, fl[i].name) + 12;
        }
    }
    rdr_dl_rect(cx->dl, x + 6, y + 1, 2, 14, cx->th->playhead);
    x += 19;
    x += rdr_text(cx, x, y, RDR_FONT_REGULAR, cx->th->text_dim,
                  futures ? "playhead" : v->ghost ? "playhead (after it: ghosted)" : "playhead (after it: hidden)");
    /* visible window, right */
    char w0[48], w1[48], ww_s[32];
    double win = v->t1 - v->t0;
    rdr_fmt_time(w0, sizeof w0, v->t0, win / 200, v->t1);
    rdr_fmt_time(w1, sizeof w1, v->t1, win / 200, v->t1);
    rdr_fmt_dur(ww_s, sizeof ww_s, win);
    snprintf(s, sizeof s, "view %s \xe2\x80\x93 %s (%s)", w0, w1, ww_s);
    int ww = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
    if (x + 24 < L->width - ww - 12) rdr_text(cx, L->width - ww - 12, y, RDR_FONT_REGULAR, cx->th->text_dim, s);
    /* alert line: the first run that deadlocked / got stuck */
    if (L->header_h > RDR_HEADER_H) {
        for (uint32_t r = 0; r < v->nmodels; r++) {
            const trc_run *run = v->models[r].run;
            if (run->end_reason == TRC_END_OK || run->end_reason == TRC_END_UNFINISHED) continue;
            const char *rep = run->report && run->report[0] ? run->report : "(no report)";
            size_t len = strcspn(rep, "\n");
            char up[32];
            snprintf(up, sizeof up, "%s", trc_run_end_name(run->end_reason));
            for (char *p = up; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
            if (v->nmodels > 1) snprintf(s, sizeof s, "%s in run %u: %.*s", up, r + 1, (int)len, rep);
            else snprintf(s, sizeof s, "%s: %.*s", up, (int)len, rep);
            rdr_dl_rect(cx->dl, 0, RDR_HEADER_H - 2, L->width, RDR_ALERT_H, cx->th->alert_bg);
            rdr_text_fit(cx, 12, RDR_HEADER_H, RDR_FONT_BOLD, RDR_COL_ALERT, s, L->width - 24);
            break;
        }
    }
    rdr_dl_rect(cx->dl, 0, L->header_h - 1, L->width, 1, cx->th->grid);
}

void rdr_ruler(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    int y = L->ruler_y, h = L->ruler_h;
    rdr_dl_rect(cx->dl, 0, y, L->width, h, cx->th->panel);
    rdr_dl_rect(cx->dl, 0, y + h - 1, L->width, 1, cx->th->grid);
    rdr_text(cx, 12, y + (h - cx->line_h) / 2, RDR_FONT_REGULAR, cx->th->text_dim, "time");
    rdr_dl_clip(cx->dl, L->plot_x - 4, y, L->plot_w + 8, h);
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
        rdr_dl_rect(cx->dl, x, y + h - 10, 1, 9, cx->th->tick);
        rdr_fmt_time(s, sizeof s, t, step, v->t1);
        rdr_text(cx, x + 4, y + 3, RDR_FONT_REGULAR, cx->th->text, s);
    }
    rdr_dl_clip(cx->dl, 0, 0, 0, 0);
}

void rdr_playhead(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (v->playhead < v->t0 || v->playhead > v->t1) return;
    int x = (int)lround(rdr_view_x_of(v, v->playhead));
    if (x >= L->plot_x + L->plot_w) x = L->plot_x + L->plot_w - 1;
    rdr_dl_rect(cx->dl, x - 1, L->ruler_y, 2, L->lanes_h + L->ruler_h, cx->th->playhead);
    char s[48];
    rdr_fmt_dur(s, sizeof s, v->playhead);
    int tw = rdr_tw(cx, RDR_FONT_BOLD, s, strlen(s));
    int bx = x - tw / 2 - 5;
    if (bx + tw + 10 > L->width - 2) bx = L->width - 2 - tw - 10;
    if (bx < L->plot_x - 4) bx = L->plot_x - 4;
    rdr_dl_rect(cx->dl, bx, L->ruler_y + 5, tw + 10, cx->line_h + 2, cx->th->playhead);
    rdr_text(cx, bx + 5, L->ruler_y + 6, RDR_FONT_BOLD, cx->th->on_pastel, s);
}

void rdr_footer(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    rdr_dl_rect(cx->dl, 0, L->footer_y, L->width, L->footer_h, cx->th->panel);
    rdr_dl_rect(cx->dl, 0, L->footer_y, L->width, 1, cx->th->grid);
    int y = L->footer_y + (L->footer_h - cx->line_h) / 2;
    char s[160];
    if (v->frame_ms > 0) {
        snprintf(s, sizeof s, "frame %.1f ms", v->frame_ms);
        int w = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
        rdr_text(cx, L->width - w - 12, y, RDR_FONT_REGULAR, cx->th->text_dim, s);
    }
    rdr_text_fit(cx, 12, y, RDR_FONT_REGULAR, cx->th->text_dim,
                 "space play  +/- speed  \xe2\x86\x90/\xe2\x86\x92 step  home/end  wheel, w/s zoom  "
                 "drag, a/d pan  f flows  g ghost  0 fit  q quit",
                 L->width - 140);
}
