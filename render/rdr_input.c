/* Input: our own events (translated from SDL by the backend, or made by tests)
 * move the view model. Plain C, no SDL.
 *
 * Mouse: a click on a lane selects it (the details panel describes the slice
 * under the click); a drag pans; shift+drag or a right-button drag marks a time
 * range and zooms to it; the ruler scrubs the playhead; the wheel zooms around
 * the cursor (shift: scrolls). A click on a run's title row folds it. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RDR_CLICK_SLOP = 4 };   /* px a press may move and still be a click */

static double rdr_key_anchor(const rdr_view *v) {
    if (v->playhead >= v->t0 && v->playhead <= v->t1) return rdr_view_x_of(v, v->playhead);
    return v->lay.plot_x + v->lay.plot_w / 2.0;
}

static const char *rdr_flow_mode_name(unsigned m) {
    switch (m) {
    case RDR_FLOWS_ALL: return "flows: all";
    case RDR_FLOWS_SELECTED: return "flows: only the selected unit's or object's";
    default: return "flows: off";
    }
}

static void rdr_set_flows(rdr_view *v, unsigned mode) {
    v->flows = (uint8_t)mode;
    v->show_flows = mode != RDR_FLOWS_OFF;
    rdr_view_toast(v, rdr_flow_mode_name(mode));
}

/* While typing a search: text goes into the query, Enter keeps it, Esc drops it. */
static bool rdr_search_key(rdr_view *v, const rdr_event *ev) {
    if (!v->searching) return false;
    switch (ev->key) {
    case RDR_KEY_ESC: v->searching = false; rdr_view_search(v, ""); return true;
    case RDR_KEY_ENTER: case RDR_KEY_TAB: v->searching = false; return true;
    case RDR_KEY_BACKSPACE: {
        char q[sizeof v->query];
        snprintf(q, sizeof q, "%s", v->query);
        size_t n = strlen(q);
        while (n > 0) {   /* a whole code point */
            n--;
            if (((unsigned char)q[n] & 0xc0) != 0x80) break;
        }
        q[n] = 0;
        rdr_view_search(v, q);
        return true;
    }
    case RDR_KEY_DOWN: rdr_view_search_next(v, 1); return true;
    case RDR_KEY_UP: rdr_view_search_next(v, -1); return true;
    default: return true;   /* letters arrive as RDR_EV_TEXT */
    }
}

static void rdr_key(rdr_view *v, const rdr_event *ev) {
    double w = v->t1 - v->t0;
    bool ctrl = ev->mods & RDR_MOD_CTRL, shift = ev->mods & RDR_MOD_SHIFT;
    if (rdr_search_key(v, ev)) return;
    if (v->help && (ev->key == RDR_KEY_ESC || (ev->key == RDR_KEY_CHAR && (ev->ch == '?' || ev->ch == 'h')) ||
                    ev->key == RDR_KEY_F1)) {
        v->help = false;
        return;
    }
    switch (ev->key) {
    case RDR_KEY_SPACE:
        if (!v->playing && v->playhead >= (double)v->total) v->playhead = 0;
        v->playing = !v->playing;
        if (v->playing) rdr_show_time(v, v->playhead);
        break;
    case RDR_KEY_PLUS:
        if (ctrl) rdr_view_zoom(v, 1.5, rdr_key_anchor(v));
        else if (v->speed < 1024) v->speed *= 2;
        break;
    case RDR_KEY_MINUS:
        if (ctrl) rdr_view_zoom(v, 1 / 1.5, rdr_key_anchor(v));
        else if (v->speed > 1.0 / (1 << 30)) v->speed /= 2;
        break;
    case RDR_KEY_HOME: rdr_view_set_playhead(v, 0); rdr_show_time(v, 0); break;
    case RDR_KEY_END: rdr_view_set_playhead(v, (double)v->total); rdr_show_time(v, (double)v->total); break;
    case RDR_KEY_LEFT: if (shift) rdr_view_pan(v, -0.1 * w); else rdr_view_step(v, -1); break;
    case RDR_KEY_RIGHT: if (shift) rdr_view_pan(v, 0.1 * w); else rdr_view_step(v, 1); break;
    case RDR_KEY_UP: v->scroll_y -= RDR_UNIT_ROW_H; break;
    case RDR_KEY_DOWN: v->scroll_y += RDR_UNIT_ROW_H; break;
    case RDR_KEY_PGUP: v->scroll_y -= v->lay.lanes_h * 9 / 10; break;
    case RDR_KEY_PGDN: v->scroll_y += v->lay.lanes_h * 9 / 10; break;
    case RDR_KEY_F1: v->help = true; break;
    case RDR_KEY_ESC:   /* closes what is open, else quits */
        if (v->sel.kind) rdr_view_select(v, -1, 0);
        else if (v->query[0]) rdr_view_search(v, "");
        else v->quit = true;
        break;
    case RDR_KEY_CHAR:
        switch (ev->ch) {
        case 'q': v->quit = true; break;
        case 'w': rdr_view_zoom(v, 1.5, rdr_key_anchor(v)); break;
        case 's': rdr_view_zoom(v, 1 / 1.5, rdr_key_anchor(v)); break;
        case 'a': rdr_view_pan(v, -0.1 * w); break;
        case 'd': rdr_view_pan(v, 0.1 * w); break;
        case 'f': {
            unsigned next = v->flows == RDR_FLOWS_ALL ? (v->sel.kind ? RDR_FLOWS_SELECTED : RDR_FLOWS_OFF)
                          : v->flows == RDR_FLOWS_SELECTED ? RDR_FLOWS_OFF : RDR_FLOWS_ALL;
            rdr_set_flows(v, next);
            break;
        }
        case 'g':
            v->ghost = !v->ghost;
            rdr_view_toast(v, v->ghost ? "after the playhead: ghosted" : "after the playhead: hidden");
            break;
        case '0': rdr_view_set_window(v, 0, (double)v->total); break;
        case 'r': rdr_view_set_window(v, 0, v->t_tail); break;
        case 'z':
            if (!rdr_view_zoom_selection(v)) rdr_view_toast(v, "z zooms to the selected slice: click one first");
            break;
        case 'n':
            if (!v->nmatches) rdr_view_toast(v, "n finds the next match: / to search first");
            else rdr_view_search_next(v, shift ? -1 : 1);
            break;
        case '/': v->searching = true; rdr_view_search(v, ""); break;
        case '?': case 'h': v->help = true; break;
        case 'c':
            if (v->nmodels < 2) { rdr_view_toast(v, "c compares runs: open several (a --sweep, or several files)"); break; }
            v->compare = !v->compare;
            rdr_relayout(v);
            break;
        case 'l':
            if (v->nmodels < 2) { rdr_view_toast(v, "l lines runs up: open several (a --sweep, or several files)"); break; }
            rdr_view_set_absolute(v, !v->absolute);
            rdr_view_toast(v, v->absolute ? "runs on absolute time: each where it ran" : "runs aligned at their starts");
            break;
        case 't':
            v->theme = (v->theme + 1) % RDR_THEME__COUNT;
            rdr_view_toast(v, v->theme == RDR_THEME_LIGHT ? "light theme" : "dark theme");
            break;
        case 'o':
            v->show_stage = !v->show_stage;
            rdr_relayout(v);
            if (v->show_stage && !v->lay.stage_w) rdr_view_toast(v, "the window is too narrow for the stage");
            break;
        default: break;
        }
        break;
    default: break;
    }
    rdr_clamp_scroll(v);
}

/* A click at (x, y): selects what is there, folds a run, or clears the selection. */
static void rdr_click(rdr_view *v, int x, int y) {
    int i = rdr_view_row_index_at(v, y);
    if (i < 0) { rdr_view_select(v, -1, 0); return; }
    const rdr_row *r = &v->lay.rows[i];
    if (r->kind == RDR_ROW_RUN) {
        rdr_view_collapse(v, r->run, !v->info[r->run].collapsed);
        return;
    }
    double t = x >= v->lay.plot_x ? rdr_view_t_at(v, x) : v->playhead;
    if (t > v->playhead && !v->ghost && x >= v->lay.plot_x) t = v->playhead;   /* nothing shown there yet */
    t -= v->info[r->run].off;   /* in the run's own time */
    rdr_view_select(v, i, t < 0 ? 0 : t);
}

void rdr_view_event(rdr_view *v, const rdr_event *ev) {
    const rdr_layout *L = &v->lay;
    switch (ev->kind) {
    case RDR_EV_KEY: rdr_key(v, ev); break;
    case RDR_EV_TEXT:
        if (v->searching && !(ev->text[0] == '/' && !ev->text[1] && !v->query[0])) {
            char q[sizeof v->query];
            size_t a = strlen(v->query), b = strnlen(ev->text, sizeof ev->text);
            if (a + b >= sizeof q) break;
            memcpy(q, v->query, a);
            memcpy(q + a, ev->text, b);
            q[a + b] = 0;
            rdr_view_search(v, q);
        }
        break;
    case RDR_EV_MOVE:
        v->mouse_x = ev->x; v->mouse_y = ev->y; v->mouse_in = true;
        if (v->scrub) {
            rdr_view_set_playhead(v, rdr_view_t_at(v, ev->x));
        } else if (v->zsel) {
            v->zsel_x1 = ev->x;
        } else if (v->pressed && !v->drag && (abs(ev->x - v->drag_x) > RDR_CLICK_SLOP || abs(ev->y - v->drag_y) > RDR_CLICK_SLOP)) {
            v->drag = true;
        }
        if (v->drag) {
            double npp = (v->t1 - v->t0) / L->plot_w;
            double w = v->t1 - v->t0;
            double t0 = v->drag_t0 - (ev->x - v->drag_x) * npp;
            rdr_view_set_window(v, t0, t0 + w);
            v->scroll_y = v->drag_scroll - (ev->y - v->drag_y);
            rdr_clamp_scroll(v);
        }
        break;
    case RDR_EV_DOWN:
        v->mouse_x = ev->x; v->mouse_y = ev->y; v->mouse_in = true;
        if (ev->y >= L->ruler_y && ev->y < L->ruler_y + L->ruler_h && ev->x >= L->plot_x && ev->x < L->timeline_w) {
            if (ev->button == 1) {
                v->scrub = true;
                rdr_view_set_playhead(v, rdr_view_t_at(v, ev->x));
            }
        } else if (ev->y >= L->lanes_y && ev->y < L->lanes_y + L->lanes_h && ev->x < L->timeline_w) {
            if ((ev->button == 1 && (ev->mods & RDR_MOD_SHIFT)) || ev->button == 2) {
                if (ev->x >= L->plot_x) { v->zsel = true; v->zsel_x0 = v->zsel_x1 = ev->x; }
            } else if (ev->button == 1) {
                v->pressed = true;
                v->drag_x = ev->x; v->drag_y = ev->y;
                v->drag_t0 = v->t0;
                v->drag_scroll = v->scroll_y;
            }
        }
        break;
    case RDR_EV_UP:
        if (v->zsel) {
            v->zsel = false;
            double a = rdr_view_t_at(v, v->zsel_x0 < ev->x ? v->zsel_x0 : ev->x);
            double b = rdr_view_t_at(v, v->zsel_x0 < ev->x ? ev->x : v->zsel_x0);
            if (abs(ev->x - v->zsel_x0) > RDR_CLICK_SLOP) rdr_view_set_window(v, a, b);
        } else if (ev->button == 1) {
            if (v->pressed && !v->drag) rdr_click(v, ev->x, ev->y);
            v->drag = v->scrub = v->pressed = false;
        }
        break;
    case RDR_EV_WHEEL:
        v->mouse_x = ev->x; v->mouse_y = ev->y;
        if (ev->mods & RDR_MOD_SHIFT) {
            v->scroll_y -= (int)(ev->wheel * 3 * RDR_UNIT_ROW_H);
            rdr_clamp_scroll(v);
        } else {
            rdr_view_zoom(v, pow(1.25, ev->wheel), ev->x);
        }
        break;
    case RDR_EV_RESIZE: rdr_view_resize(v, ev->x, ev->y); break;
    case RDR_EV_LEAVE: v->mouse_in = false; v->drag = v->scrub = v->pressed = v->zsel = false; break;
    case RDR_EV_QUIT: v->quit = true; break;
    default: break;
    }
}
