/* The view model: what part of which runs is on screen, the playhead and its
 * clock, what is selected and searched. Plain C: no SDL, no drawing. Input
 * events are in rdr_input.c, the layout in rdr_layout.c. */
#include "render/rdr_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ init / release

/* Where a run stops doing anything: the last event before its end that is not
 * part of how it was ended (waits aborted, units aborted or killed). */
static bool rdr_ending_event(const trc_event *e) {
    return (e->kind == TRC_EV_UNIT_EXIT && e->aux != TRC_EXIT_DONE) || e->kind == TRC_EV_DAEMON_KILLED ||
           (e->kind == TRC_EV_WAIT_END && e->aux == TRC_OUT_ABORTED) || e->kind == TRC_EV_LOST;
}

static uint64_t rdr_active_end(const trc_model *m) {
    const trc_run *run = m->run;
    if (run->end_reason != TRC_END_DEADLOCK && run->end_reason != TRC_END_STUCK && run->end_reason != TRC_END_TIMEOUT)
        return m->makespan;
    if (run->events || !run->nevents) {
        for (size_t i = run->nevents; i-- > 0;) {
            const trc_event *e = &run->events[i];
            if (!rdr_ending_event(e)) return e->t > run->t_start ? e->t - run->t_start : 0;
        }
        return 0;
    }
    /* a recording opened lazily (its events in the file): one pass in time order */
    trc_evcur *c = NULL;
    diag d = { 0 };
    if (trc_evcur_open(&c, run, &d)) return m->makespan;   /* unreadable: no tail to fit */
    uint64_t last = 0;
    const trc_event *ev;
    for (size_t n; (n = trc_evcur_next(c, &ev)) > 0;)
        for (size_t i = 0; i < n; i++)
            if (!rdr_ending_event(&ev[i])) last = ev[i].t > run->t_start ? ev[i].t - run->t_start : 0;
    trc_evcur_close(c);
    return last;
}

/* The time axis from the runs' offsets: its length and where every run has gone quiet. */
static void rdr_axis(rdr_view *v) {
    uint64_t first = UINT64_MAX;
    for (uint32_t r = 0; r < v->nmodels; r++)
        if (v->models[r].run->t_start < first) first = v->models[r].run->t_start;
    double total = 1, tail = 0;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_model *m = &v->models[r];
        v->info[r].off = v->absolute ? (double)(m->run->t_start - first) : 0;
        if (v->info[r].off + (double)m->makespan > total) total = v->info[r].off + (double)m->makespan;
        if (v->info[r].off + (double)v->info[r].t_tail > tail) tail = v->info[r].off + (double)v->info[r].t_tail;
    }
    v->total = (uint64_t)ceil(total);
    v->t_tail = tail < (double)v->total ? tail : (double)v->total;
}

void rdr_view_set_absolute(rdr_view *v, bool absolute) {
    if (v->nmodels < 2 || v->absolute == absolute) return;
    /* keep the playhead on the same run's moment: the first run's */
    double ph = v->playhead - v->info[0].off;
    v->absolute = absolute;
    rdr_axis(v);
    rdr_view_set_window(v, 0, v->t_tail);
    rdr_view_set_playhead(v, ph + v->info[0].off);
}

int rdr_view_init(rdr_view *v, const rdr_view_desc *desc, diag *d) {
    memset(v, 0, sizeof *v);
    if (!desc || !desc->models || !desc->nmodels)
        return diag_set(d, ERR_USAGE, "nothing to view: no runs");
    for (uint32_t r = 0; r < desc->nmodels; r++)
        if (!desc->models[r].run)
            return diag_set(d, ERR_USAGE, "run %u has no model", r + 1);
    if ((desc->width && (desc->width < 64 || desc->width > 16384)) ||
        (desc->height && (desc->height < 64 || desc->height > 16384)))
        return diag_set(d, ERR_USAGE, "view size %dx%d out of range (64..16384)", desc->width, desc->height);
    v->rec = desc->rec;
    v->models = desc->models;
    v->nmodels = desc->nmodels;
    v->title = desc->title ? desc->title : desc->models[0].run->scenario;
    if (!v->title) v->title = "";
    v->show_flows = true;
    v->flows = RDR_FLOWS_ALL;
    v->ghost = desc->ghost;
    v->theme = desc->theme >= 0 && desc->theme < RDR_THEME__COUNT ? desc->theme : RDR_THEME_DARK;
    v->show_stage = desc->stage || (rdr_stage_built && (desc->width ? desc->width : 1280) >= RDR_STAGE_MIN_WIDTH);
    v->compare = v->nmodels > 1;
    v->lod = xcalloc(v->nmodels, sizeof *v->lod);
    v->pool_row = xcalloc(v->nmodels, sizeof *v->pool_row);
    v->unit_row = xcalloc(v->nmodels, sizeof *v->unit_row);
    v->groups = xcalloc(v->nmodels, sizeof *v->groups);
    v->info = xcalloc(v->nmodels, sizeof *v->info);
    v->expect = xcalloc(v->nmodels, sizeof *v->expect);
    v->flow_maxdur = xcalloc(v->nmodels, sizeof *v->flow_maxdur);
    if (desc->relations) {   /* the relations between runs: the header counts the failed ones, the notes list them */
        char rel[8192] = "";
        v->nrelations = desc->relations(v->models, v->nmodels, rel, sizeof rel);
        if (v->nrelations) v->relations = xstrdup(rel);
    }
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const trc_model *m = &v->models[r];
        uint32_t no = m->run->nobjects, nu = m->run->nunits;
        v->pool_row[r] = xcalloc(no ? no : 1, sizeof **v->pool_row);
        v->unit_row[r] = xcalloc(nu ? nu : 1, sizeof **v->unit_row);
        v->groups[r] = rdr_groups_new(m);
        v->flow_maxdur[r] = m->flow_maxdur;   /* kept by the model as it made the flows */
        for (size_t i = 0; i < m->nflows && !m->flow_maxdur; i++) {   /* a model made without it (0: check) */
            uint64_t dur = m->flows[i].t1 > m->flows[i].t0 ? m->flows[i].t1 - m->flows[i].t0 : 0;
            if (dur > v->flow_maxdur[r]) v->flow_maxdur[r] = dur;
        }
        trc_waitfor_end(&v->info[r].wf, m);
        v->info[r].t_active = rdr_active_end(m);
        v->expect[r] = rdr_expect_new(m->run);
        /* a run that idles at its end (a watchdog waiting to be sure) counts up
         * to where it went quiet, plus a margin */
        uint64_t t = m->makespan;
        if (v->info[r].t_active + m->makespan / 8 < m->makespan && !desc->whole) {
            uint64_t a = v->info[r].t_active;
            t = a + (a / 8 > m->makespan / 50 ? a / 8 : m->makespan / 50);
        }
        v->info[r].t_tail = t;
    }
    rdr_axis(v);
    v->lay.width = desc->width > 0 ? desc->width : 1280;
    v->lay.height = desc->height > 0 ? desc->height : 720;
    rdr_view_resize(v, v->lay.width, v->lay.height);
    v->t0 = 0;
    v->t1 = v->t_tail;
    double total = (double)v->total;
    if (desc->t_view1 > desc->t_view0) rdr_view_set_window(v, desc->t_view0, desc->t_view1);
    /* playback takes about 6 s for what is in view, in powers of two */
    double secs = (v->t1 - v->t0) / 1e9;
    v->speed = pow(2.0, round(log2(secs / 6.0)));
    if (v->speed > 1024) v->speed = 1024;
    if (v->speed < 1.0 / (1 << 30)) v->speed = 1.0 / (1 << 30);
    double at = desc->at_is_ns ? desc->at_ns : desc->at < 0 ? total : (desc->at > 1 ? 1.0 : desc->at) * total;
    rdr_view_set_playhead(v, at);
    if (v->playhead > v->t1 && v->t1 < total && v->playhead < total)
        rdr_view_set_window(v, 0, total);   /* asked to look into the idle tail: show it */
    v->playing = desc->play && v->playhead < total;
    v->mouse_x = v->mouse_y = -1;
    return 0;
}

void rdr_view_release(rdr_view *v) {
    if (v->lod)
        for (uint32_t r = 0; r < v->nmodels; r++) rdr_lod_free(v->lod[r]);
    free(v->lod);
    if (v->pool_row)
        for (uint32_t r = 0; r < v->nmodels; r++) free(v->pool_row[r]);
    free(v->pool_row);
    if (v->unit_row)
        for (uint32_t r = 0; r < v->nmodels; r++) free(v->unit_row[r]);
    free(v->unit_row);
    if (v->groups)
        for (uint32_t r = 0; r < v->nmodels; r++) rdr_groups_free(v->groups[r]);
    free(v->groups);
    if (v->info)
        for (uint32_t r = 0; r < v->nmodels; r++) trc_waitfor_release(&v->info[r].wf);
    free(v->info);
    if (v->expect)
        for (uint32_t r = 0; r < v->nmodels; r++) rdr_expect_free(v->expect[r], v->models[r].run);
    free(v->expect);
    free(v->relations);
    free(v->flow_maxdur);
    rdr_stage_view_free(v);
    free(v->lay.rows);
    free(v->scratch);
    free(v->claims);
    free(v->labels);
    free(v->lbls);
    if (v->buckets)
        for (int i = 0; i < RDR_NBUCKETS; i++) free(v->buckets->c[i]);
    free(v->buckets);
    memset(v, 0, sizeof *v);
}

//~ coordinates

double rdr_view_x_of(const rdr_view *v, double t) {
    return v->lay.plot_x + (t - v->t0) / (v->t1 - v->t0) * v->lay.plot_w;
}

double rdr_view_t_at(const rdr_view *v, double x) {
    return v->t0 + (x - v->lay.plot_x) / v->lay.plot_w * (v->t1 - v->t0);
}

//~ window and playhead

void rdr_view_set_window(rdr_view *v, double t0, double t1) {
    double total = (double)v->total;
    double w = t1 - t0;
    double minw = RDR_MIN_WINDOW_NS < total ? RDR_MIN_WINDOW_NS : total;
    if (!(w >= minw)) w = minw;   /* also catches NaN */
    if (w > total) w = total;
    if (!(t0 >= 0)) t0 = 0;   /* also NaN */
    if (t0 + w > total) t0 = total - w;
    v->t0 = t0;
    v->t1 = t0 + w;
}

void rdr_view_zoom(rdr_view *v, double factor, double x) {
    if (!(factor > 0)) return;
    double px = x - v->lay.plot_x;
    if (px < 0) px = 0;
    if (px > v->lay.plot_w) px = v->lay.plot_w;
    double frac = px / v->lay.plot_w;
    double anchor = v->t0 + frac * (v->t1 - v->t0);
    double w = (v->t1 - v->t0) / factor;
    double total = (double)v->total;
    double minw = RDR_MIN_WINDOW_NS < total ? RDR_MIN_WINDOW_NS : total;
    if (w < minw) w = minw;
    if (w > total) w = total;
    rdr_view_set_window(v, anchor - frac * w, anchor - frac * w + w);
}

void rdr_view_pan(rdr_view *v, double dt) {
    rdr_view_set_window(v, v->t0 + dt, v->t1 + dt);
}

void rdr_show_time(rdr_view *v, double t) {
    double w = v->t1 - v->t0;
    if (t < v->t0 || t > v->t1) rdr_view_set_window(v, t - w / 2, t + w / 2);
}

void rdr_view_set_playhead(rdr_view *v, double t) {
    if (!(t >= 0)) t = 0;
    if (t > (double)v->total) t = (double)v->total;
    v->playhead = t;
}

/* The next (dir > 0) or previous state change of unit u of run r after / before t. */
static double rdr_unit_step(const rdr_view *v, uint32_t r, uint32_t u, double t, int dir, double best) {
    const trc_unit_track *ut = &v->models[r].units[u];
    if (!ut->nspans) return best;
    if (dir > 0) {
        size_t i = trc_model_span_lower(ut, (uint64_t)floor(t));
        if (i >= ut->nspans) return best;
        double c = (double)ut->spans[i].t0 > t ? (double)ut->spans[i].t0 : (double)ut->spans[i].t1;
        if (c > t && c < best) best = c;
    } else {
        uint64_t tc = (uint64_t)ceil(t);
        if (!tc) return best;
        size_t i = trc_model_span_lower(ut, tc - 1);
        double c = -1;
        if (i < ut->nspans && (double)ut->spans[i].t0 < t) c = (double)ut->spans[i].t0;
        else if (i > 0) c = (double)ut->spans[i - 1].t1;
        if (c >= 0 && c < t && c > best) best = c;
    }
    return best;
}

void rdr_view_step(rdr_view *v, int dir) {
    double t = v->playhead;
    double best = dir > 0 ? (double)v->total : 0;
    for (uint32_t r = 0; r < v->nmodels; r++) {   /* in each run's own time */
        double off = v->info[r].off;
        if (v->sel.kind == RDR_ROW_UNIT && r != v->sel.run) continue;
        for (uint32_t u = 0; u < v->models[r].run->nunits; u++) {
            if (v->sel.kind == RDR_ROW_UNIT && u != v->sel.id) continue;
            best = rdr_unit_step(v, r, u, t - off, dir, best - off) + off;
        }
    }
    rdr_view_set_playhead(v, best);
    if (v->sel.kind) v->sel.t = v->playhead - v->info[v->sel.run].off;   /* the details follow */
    rdr_show_time(v, v->playhead);
}

bool rdr_view_tick(rdr_view *v, double dt_s) {
    bool changed = false;
    if (v->toast_s > 0) {
        v->toast_s -= dt_s;
        if (v->toast_s <= 0) { v->toast[0] = 0; v->toast_s = 0; }
        changed = true;
    }
    if (!v->playing) return changed;
    double before = v->playhead;
    bool followed = before >= v->t0 && before <= v->t1;
    rdr_view_set_playhead(v, before + dt_s * 1e9 * v->speed);
    if (before < v->t_tail && v->playhead >= v->t_tail) {
        /* nothing happens from here to the end but the wait that ended the run:
         * jump over it, so the end (and who was stuck) shows at once */
        rdr_view_set_playhead(v, (double)v->total);
        followed = false;
    }
    if (v->playhead >= (double)v->total) v->playing = false;
    double w = v->t1 - v->t0;
    if (followed && v->playhead > v->t0 + 0.9 * w) {
        double t1 = v->playhead + 0.1 * w;
        if (v->playhead < v->t_tail && t1 > v->t_tail) t1 = fmax(v->t_tail, v->t1);   /* not into the idle tail */
        rdr_view_set_window(v, t1 - w, t1);
    }
    return true;
}

void rdr_view_toast(rdr_view *v, const char *msg) {
    snprintf(v->toast, sizeof v->toast, "%s", msg);
    v->toast_s = 2.5;
}

//~ selection

void rdr_view_select(rdr_view *v, int i, double t) {
    bool had = v->sel.kind != 0;
    if (i < 0 || (uint32_t)i >= v->lay.nrows) {
        memset(&v->sel, 0, sizeof v->sel);
    } else {
        const rdr_row *r = &v->lay.rows[i];
        v->sel = (rdr_sel){ .kind = r->kind, .run = r->run, .id = r->id, .lane = r->lane, .t = t };
    }
    if (had != (v->sel.kind != 0)) {   /* the details panel opens or closes */
        int keep = -1;
        for (uint32_t k = 0; k < v->lay.nrows && v->sel.kind; k++) {
            const rdr_row *r = &v->lay.rows[k];
            if (r->kind == v->sel.kind && r->run == v->sel.run && r->id == v->sel.id && r->lane == v->sel.lane) keep = (int)k;
        }
        rdr_relayout(v);
        if (keep >= 0) rdr_scroll_to_row(v, keep);
    }
}

/* The slice under the selection: [*a, *b) in relative ns. */
bool rdr_sel_slice(const rdr_view *v, double *a, double *b) {
    const rdr_sel *s = &v->sel;
    if (!s->kind || s->run >= v->nmodels) return false;
    const trc_model *m = &v->models[s->run];
    uint64_t t = (uint64_t)fmax(s->t, 0);
    switch (s->kind) {
    case RDR_ROW_UNIT: {
        const trc_span *sp = trc_model_span_at(m, s->id, t);
        if (!sp) return false;
        *a = (double)sp->t0;
        *b = (double)sp->t1;
        return true;
    }
    case RDR_ROW_OWNER: {
        size_t n;
        const trc_owner_span *ow = rdr_owners(m, s->id, &n);
        size_t i = rdr_owner_lower(ow, n, t);
        if (i >= n || ow[i].t0 > t) return false;
        *a = (double)ow[i].t0;
        *b = (double)ow[i].t1;
        return true;
    }
    case RDR_ROW_FUTURE: {
        const trc_object_track *ot = &m->objects[s->id - 1];
        for (size_t k = ot->future0; k < ot->future0 + ot->nfutures; k++) {
            const trc_future *f = &m->futures[k];
            if (f->lane == s->lane && f->t_begin != TRC_T_NONE && f->t_begin <= t && t < f->t_end) {
                *a = (double)f->t_begin;
                *b = (double)f->t_end;
                return true;
            }
        }
        return false;
    }
    default: return false;
    }
}

bool rdr_view_zoom_selection(rdr_view *v) {
    double a, b;
    if (!rdr_sel_slice(v, &a, &b) || !(b > a)) return false;
    double pad = (b - a) * 0.15, off = v->info[v->sel.run].off;
    rdr_view_set_window(v, a + off - pad, b + off + pad);
    return true;
}

//~ search

bool rdr_contains_ci(const char *hay, const char *needle) {
    if (!hay || !*needle) return false;
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return true;
    }
    return false;
}

static bool rdr_row_matches(const rdr_view *v, const rdr_row *r, const char *q) {
    const trc_run *run = v->models[r->run].run;
    switch (r->kind) {
    case RDR_ROW_UNIT: return rdr_contains_ci(run->units[r->id].name, q);
    case RDR_ROW_PROC: return false;   /* the process's own lane matches */
    case RDR_ROW_LEVEL: case RDR_ROW_OWNER: case RDR_ROW_POOL: return rdr_contains_ci(run->objects[r->id - 1].name, q);
    default: return false;
    }
}

/* Goes to the k-th matching row: selects it at the playhead and scrolls to it. */
static void rdr_search_go(rdr_view *v, uint32_t k) {
    uint32_t seen = 0;
    for (uint32_t i = 0; i < v->lay.nrows; i++) {
        const rdr_row *r = &v->lay.rows[i];
        if (!rdr_row_matches(v, r, v->query)) continue;
        if (seen++ == k) {
            rdr_view_select(v, (int)i, v->playhead - v->info[r->run].off);
            /* the selection may have opened the details panel: find the row again */
            for (uint32_t j = 0; j < v->lay.nrows; j++) {
                const rdr_row *q = &v->lay.rows[j];
                if (q->kind == v->sel.kind && q->run == v->sel.run && q->id == v->sel.id && q->lane == v->sel.lane) {
                    rdr_scroll_to_row(v, (int)j);
                    break;
                }
            }
            v->match = k;
            return;
        }
    }
}

uint32_t rdr_view_search(rdr_view *v, const char *query) {
    snprintf(v->query, sizeof v->query, "%s", query ? query : "");
    v->nmatches = 0;
    v->match = 0;
    if (!v->query[0]) return 0;
    for (uint32_t r = 0; r < v->nmodels; r++)
        if (v->info[r].collapsed) {   /* a match may hide in a collapsed run */
            for (uint32_t u = 0; u < v->models[r].run->nunits; u++)
                if (rdr_contains_ci(v->models[r].run->units[u].name, v->query)) { rdr_view_collapse(v, r, false); break; }
        }
    for (uint32_t r = 0; r < v->nmodels; r++)   /* and in a folded process group */
        for (uint32_t u = 0; u < v->models[r].run->nunits; u++) {
            uint32_t h = rdr_view_group_of(v, r, u);
            if (h != UINT32_MAX && h != u && rdr_view_folded(v, r, h) &&
                rdr_contains_ci(v->models[r].run->units[u].name, v->query))
                rdr_view_fold(v, r, h, false);
        }
    for (uint32_t i = 0; i < v->lay.nrows; i++) v->nmatches += rdr_row_matches(v, &v->lay.rows[i], v->query);
    if (v->nmatches) rdr_search_go(v, 0);
    return v->nmatches;
}

void rdr_view_search_next(rdr_view *v, int dir) {
    if (!v->nmatches) return;
    uint32_t k = dir > 0 ? (v->match + 1) % v->nmatches : (v->match + v->nmatches - 1) % v->nmatches;
    rdr_search_go(v, k);
}

void rdr_view_collapse(rdr_view *v, uint32_t run, bool collapsed) {
    if (run >= v->nmodels || v->nmodels < 2 || v->info[run].collapsed == collapsed) return;
    v->info[run].collapsed = collapsed;
    if (collapsed && v->sel.kind && v->sel.kind != RDR_ROW_RUN && v->sel.run == run) memset(&v->sel, 0, sizeof v->sel);
    rdr_relayout(v);
}

void rdr_view_warm(rdr_view *v) {
    rdr_drawlist dl = { 0 };
    double ph = v->playhead;
    bool playing = v->playing;
    rdr_view_set_playhead(v, v->total);   /* everything revealed: every lane's index is read */
    rdr_build(v, &dl, NULL);
    rdr_view_set_playhead(v, ph);
    v->playing = playing;
    rdr_build(v, &dl, NULL);
    rdr_drawlist_free(&dl);
    if (v->stage)
        for (uint32_t r = 0; r < v->stage->n; r++) v->stage->runs[r].laid = false;   /* nominal metrics: lay out again */
}
