/* diff: the figures of two runs (trc_stats) side by side, matched by name:
 * the run's own figures, units by name, actor groups by name (so runs with
 * different unit counts still compare: 3 consumers against 5), objects by
 * name. Each figure is a row with its path ("object:jobs.wait"), what it
 * measures and both values; a few plain-language lines say what changed most.
 * --fail-if conditions are in trc_diff_cond.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trc_internal.h"

#define bprintf trc__bprintf

typedef struct rows { trc_diff *d; size_t cap; } rows;

static trc_diff_row *row_get(rows *r, const char *scope, const char *name, const char *figure, uint8_t unit) {
    char path[512];
    if (!strcmp(scope, "run")) snprintf(path, sizeof path, "%s", figure);
    else snprintf(path, sizeof path, "%s:%s.%s", scope, name, figure);
    trc_diff *d = r->d;
    for (size_t i = d->nrows; i-- > 0;)   /* rows of one scope and name are added together: look from the end */
        if (!strcmp(d->rows[i].path, path)) return &d->rows[i];
    trc_diff_row row = { .path = arena_strdup(&d->mem, path), .scope = scope, .name = arena_strdup(&d->mem, name),
                         .figure = arena_strdup(&d->mem, figure), .unit = unit };
    ARR_PUSH(d->rows, d->nrows, r->cap, row);
    return &d->rows[d->nrows - 1];
}

static void put(rows *r, int side, const char *scope, const char *name, const char *figure, uint8_t unit, double v) {
    trc_diff_row *row = row_get(r, scope, name, figure, unit);
    if (side == 0) { row->a = v; row->has_a = true; }
    else { row->b = v; row->has_b = true; }
}

static void dist_rows(rows *r, int side, const char *scope, const char *name, const char *prefix, const trc_dist *d,
                      bool all) {
    char f[160];
    snprintf(f, sizeof f, "%ss", prefix);
    put(r, side, scope, name, f, TRC_FIG_COUNT, (double)d->n);
    put(r, side, scope, name, prefix, TRC_FIG_NS, (double)d->total);
    if (all) {
        snprintf(f, sizeof f, "%s_p50", prefix);
        put(r, side, scope, name, f, TRC_FIG_NS, (double)d->p50);
    }
    snprintf(f, sizeof f, "%s_p95", prefix);
    put(r, side, scope, name, f, TRC_FIG_NS, (double)d->p95);
    if (all) {
        snprintf(f, sizeof f, "%s_max", prefix);
        put(r, side, scope, name, f, TRC_FIG_NS, (double)d->max);
    }
}

static void state_rows(rows *r, int side, const char *scope, const char *name, const uint64_t *t_state, bool skip_zero) {
    unsigned n;
    const trc_state_info *t = trc_state_table(&n);
    for (unsigned i = 0; i < n; i++) {
        if (t[i].id >= TRC_ST__COUNT) continue;
        if (skip_zero && !t_state[t[i].id]) continue;
        put(r, side, scope, name, t[i].key, TRC_FIG_NS, (double)t_state[t[i].id]);
    }
}

static void side_rows(rows *r, int side, const trc_stats *s) {
    const trc_run *run = s->m->run;
    put(r, side, "run", "", "makespan", TRC_FIG_NS, (double)s->makespan);
    put(r, side, "run", "", "cpu", TRC_FIG_NS, (double)s->cpu_ns);
    state_rows(r, side, "run", "", s->t_state, false);
    dist_rows(r, side, "run", "", "wait", &s->wait, false);
    put(r, side, "run", "", "items", TRC_FIG_COUNT, (double)s->items);
    put(r, side, "run", "", "items_per_s", TRC_FIG_RATE, s->items_per_s);
    put(r, side, "run", "", "flush", TRC_FIG_NS, (double)s->flush_ns);
    put(r, side, "run", "", "lost", TRC_FIG_COUNT, (double)s->lost);
    put(r, side, "run", "", "lost_updates", TRC_FIG_COUNT, (double)s->m->lost_updates);
    const trc_mem *mem = &s->m->mem;
    if (mem->nprocs) {   /* memory (issue 16): the peaks, and per unit when there is a baseline */
        put(r, side, "run", "", "peak_resident", TRC_FIG_BYTES, (double)mem->peak_resident);
        put(r, side, "run", "", "peak_virtual", TRC_FIG_BYTES, (double)mem->peak_virt);
        if (!mem->unit_unknown) {
            put(r, side, "run", "", "resident_per_unit", TRC_FIG_BYTES, mem->unit_resident);
            put(r, side, "run", "", "virtual_per_unit", TRC_FIG_BYTES, mem->unit_virt);
        } else {   /* n/a, as the stats say (one unit began: it cannot be told from the runtime's growth) */
            static const char *const per[] = { "resident_per_unit", "virtual_per_unit" };
            for (int k = 0; k < 2; k++) {
                trc_diff_row *row = row_get(r, "run", "", per[k], TRC_FIG_BYTES);
                if (side == 0) row->na_a = true;
                else row->na_b = true;
            }
        }
    }
    for (uint32_t g = 0; g < s->ngroups; g++) {
        const trc_group_stats *gs = &s->groups[g];
        put(r, side, "group", gs->name, "units", TRC_FIG_COUNT, gs->nunits);
        put(r, side, "group", gs->name, "cpu", TRC_FIG_NS, (double)gs->cpu_ns);
        state_rows(r, side, "group", gs->name, gs->t_state, false);
        dist_rows(r, side, "group", gs->name, "wait", &gs->wait, false);
        for (uint32_t o = 0; o < run->nobjects; o++) {   /* every object, so a wait that is new compares with 0 */
            char f[300];
            snprintf(f, sizeof f, "wait_on(%s)", run->objects[o].name);
            put(r, side, "group", gs->name, f, TRC_FIG_NS, (double)gs->obj_wait[o].total);
        }
    }
    for (uint32_t o = 0; o < run->nobjects; o++) {
        const trc_obj_stats *os = &s->objects[o];
        const trc_object *ob = &run->objects[o];
        dist_rows(r, side, "object", ob->name, "wait", &os->wait, true);
        if (ob->kind == TRC_OBJ_LOCK || ob->kind == TRC_OBJ_RLOCK || ob->kind == TRC_OBJ_RWLOCK) {
            put(r, side, "object", ob->name, "held", TRC_FIG_NS, (double)os->held_ns);
            put(r, side, "object", ob->name, "held_share", TRC_FIG_SHARE, os->held_share);
        }
        if (os->acquisitions) {
            put(r, side, "object", ob->name, "acquisitions", TRC_FIG_COUNT, os->acquisitions);
            put(r, side, "object", ob->name, "contention", TRC_FIG_SHARE, os->contention);
        }
        if (ob->kind == TRC_OBJ_QUEUE) {
            put(r, side, "object", ob->name, "items_per_s", TRC_FIG_RATE, os->items_per_s);
            put(r, side, "object", ob->name, "depth_mean", TRC_FIG_LEVEL, os->depth_mean);
            put(r, side, "object", ob->name, "depth_p95", TRC_FIG_LEVEL, (double)os->depth_p95);
            put(r, side, "object", ob->name, "depth_max", TRC_FIG_LEVEL, (double)os->depth_max);
            double ms = s->makespan ? (double)s->makespan : 1;
            if (ob->capacity > 0) put(r, side, "object", ob->name, "full_share", TRC_FIG_SHARE, (double)os->full_ns / ms);
            put(r, side, "object", ob->name, "empty_share", TRC_FIG_SHARE, (double)os->empty_ns / ms);
        }
    }
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit_stats *us = &s->units[u];
        const char *nm = run->units[u].name;
        put(r, side, "unit", nm, "cpu", TRC_FIG_NS, (double)us->cpu_ns);
        state_rows(r, side, "unit", nm, us->t_state, false);
        dist_rows(r, side, "unit", nm, "wait", &us->wait, false);
    }
}

void trc__fig_fmt(char *out, size_t cap, uint8_t unit, double v) {
    switch (unit) {
    case TRC_FIG_NS: fmt_dur(out, cap, v > 0 ? (uint64_t)llround(v) : 0); break;
    case TRC_FIG_COUNT: snprintf(out, cap, "%.0f", v); break;
    case TRC_FIG_RATE: snprintf(out, cap, "%.1f/s", v); break;
    case TRC_FIG_SHARE: snprintf(out, cap, "%.1f%%", 100 * v); break;
    case TRC_FIG_BYTES: fmt_bytes(out, cap, v > 0 ? (uint64_t)llround(v) : 0); break;
    default: snprintf(out, cap, "%.2f", v); break;
    }
}

static void fmt_delta(char *out, size_t cap, uint8_t unit, double a, double b) {
    double d = b - a;
    char v[40];
    if (unit == TRC_FIG_SHARE) { snprintf(out, cap, "%+.1f pt", 100 * d); return; }
    trc__fig_fmt(v, sizeof v, unit, fabs(d));
    snprintf(out, cap, "%s%s", d < 0 ? "-" : "+", v);
}

static double ratio_of(double a, double b) { return a != 0 ? b / a : b != 0 ? INFINITY : 1; }

static const char *line(trc_diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *line(trc_diff *d, const char *fmt, ...) {
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return arena_strdup(&d->mem, text);
}

/* "4.1x longer" / "2.0x shorter" */
static void how_much(char *out, size_t cap, double a, double b, const char *more, const char *less) {
    if (a == 0) snprintf(out, cap, "%s (none before)", more);
    else if (b == 0) snprintf(out, cap, "%s (none now)", less);
    else if (b >= a) snprintf(out, cap, "%.1fx %s", b / a, more);
    else snprintf(out, cap, "%.1fx %s", a / b, less);
}

/* A line of the summary: behaviour (waits, holds, states, throughput) ranks ahead of memory,
 * whatever their scores: memory per unit varies from run to run (more so under a sanitizer) and
 * must not push a unit that no longer waits out of the few lines shown. */
typedef struct cand { double score; const char *text; bool mem; } cand;
static int cmp_cand(const void *x, const void *y) {
    const cand *p = x, *q = y;
    if (p->mem != q->mem) return p->mem ? 1 : -1;
    double a = p->score, b = q->score;
    return a < b ? 1 : a > b ? -1 : 0;
}

/* What changed most, in a few lines. A change counts when it is at least 10 %
 * and, for times, at least 1 % of the longer makespan. */
static void summarize(trc_diff *d, const trc_stats *sa, const trc_stats *sb) {
    cand c[64];
    size_t nc = 0;
    double span = (double)(sa->makespan > sb->makespan ? sa->makespan : sb->makespan);
    char a[32], b[32], h[64];
    const char *first = NULL;
    {
        double x = (double)sa->makespan, y = (double)sb->makespan;
        trc__fig_fmt(a, sizeof a, TRC_FIG_NS, x);
        trc__fig_fmt(b, sizeof b, TRC_FIG_NS, y);
        how_much(h, sizeof h, x, y, "longer", "shorter");
        first = fabs(y - x) < 0.01 * (x > 0 ? x : 1) ? line(d, "the makespan is about the same (%s and %s)", a, b)
                                                       : line(d, "the makespan is %s (%s -> %s)", h, a, b);
    }
    for (size_t i = 0; i < d->nrows && nc < 60; i++) {
        const trc_diff_row *r = &d->rows[i];
        if (!r->has_a || !r->has_b) continue;
        double x = r->a, y = r->b, rel = fabs(log((y + 1e-9) / (x + 1e-9)));
        if (rel < log(1.1)) continue;
        if (rel > log(20)) rel = log(20);   /* from or to nothing: a big change, not an infinite one */
        if (r->unit == TRC_FIG_NS && fabs(y - x) < 0.01 * span) continue;
        trc__fig_fmt(a, sizeof a, r->unit, x);
        trc__fig_fmt(b, sizeof b, r->unit, y);
        if (!strcmp(r->scope, "group") && !strncmp(r->figure, "wait_on(", 8)) {
            const trc_diff_row *nu = NULL;
            char p[300];
            snprintf(p, sizeof p, "group:%s.units", r->name);
            nu = trc_diff_find(d, p);
            bool many = nu && nu->b > 1;
            size_t l = strlen(r->name);
            const char *pl = many && l && r->name[l - 1] != 's' ? "s" : "";
            int on = (int)strlen(r->figure) - 9;
            const char *obj = r->figure + 8;
            if (x == 0)
                c[nc++] = (cand){ .score = rel * 3, .text = line(d, "%s%s now wait%s on `%.*s` (%s in all; not before)", r->name, pl,
                                                many ? "" : "s", on, obj, b) };
            else if (y == 0)
                c[nc++] = (cand){ .score = rel * 3, .text = line(d, "%s%s no longer wait%s on `%.*s` (%s in all before)", r->name, pl,
                                                many ? "" : "s", on, obj, a) };
            else {
                how_much(h, sizeof h, x, y, "longer", "less");
                c[nc++] = (cand){ .score = rel * 3, .text = line(d, "%s%s waited %s on `%.*s` (%s -> %s in all)", r->name, pl, h, on, obj, a, b) };
            }
        } else if (!strcmp(r->scope, "object") && !strcmp(r->figure, "held_share") && (y >= 0.9 || x >= 0.9)) {
            c[nc++] = (cand){ .score = rel * 2, .text = line(d, "`%s` was held %.0f %% of the time (%.0f %% before)", r->name, 100 * y, 100 * x) };
        } else if (!strcmp(r->scope, "object") && !strcmp(r->figure, "contention")) {
            c[nc++] = (cand){ .score = rel * 1.5, .text = line(d, "%.0f %% of the acquisitions of `%s` had to wait (%.0f %% before)", 100 * y,
                                              r->name, 100 * x) };
        } else if (!strcmp(r->scope, "run") && (!strcmp(r->figure, "resident_per_unit") ||
                                                !strcmp(r->figure, "virtual_per_unit"))) {
            how_much(h, sizeof h, x, y, "more", "less");
            c[nc++] = (cand){ .score = rel * 2, .text = line(d, "a unit takes %s %s memory (%s -> %s per unit)", h,
                                            r->figure[0] == 'r' ? "resident" : "virtual", a, b), .mem = true };
        } else if (!strcmp(r->scope, "run") && !strcmp(r->figure, "items_per_s")) {
            how_much(h, sizeof h, x, y, "higher", "lower");
            c[nc++] = (cand){ .score = rel * 2, .text = line(d, "throughput is %s (%s -> %s)", h, a, b) };
        } else if (!strcmp(r->scope, "run") && r->unit == TRC_FIG_NS && strcmp(r->figure, "makespan") &&
                   strcmp(r->figure, "done") && strcmp(r->figure, "wait") && strcmp(r->figure, "wait_p95")) {
            how_much(h, sizeof h, x, y, "more", "less");
            c[nc++] = (cand){ .score = rel, .text = line(d, "%s time: %s (%s -> %s, all units)", r->figure, h, a, b) };
        } else if (!strcmp(r->scope, "object") && !strcmp(r->figure, "wait_p95") && x > 0 && y > 0) {
            how_much(h, sizeof h, x, y, "longer", "shorter");
            c[nc++] = (cand){ .score = rel, .text = line(d, "the slowest waits on `%s` (p95) are %s (%s -> %s)", r->name, h, a, b) };
        }
    }
    qsort(c, nc, sizeof *c, cmp_cand);
    size_t n = nc < 5 ? nc : 5;
    d->lines = arena_push(&d->mem, (n + 1) * sizeof *d->lines);
    d->lines[d->nlines++] = first;
    for (size_t i = 0; i < n; i++) d->lines[d->nlines++] = c[i].text;
}

static void only_side(trc_diff *d, const trc_stats *x, const trc_stats *y, const char ***out, size_t *n) {
    const trc_run *rx = x->m->run, *ry = y->m->run;
    size_t cap = 0;
    for (uint32_t u = 0; u < rx->nunits; u++) {
        bool found = false;
        for (uint32_t v = 0; v < ry->nunits && !found; v++) found = !strcmp(rx->units[u].name, ry->units[v].name);
        if (!found) ARR_PUSH(*out, *n, cap, rx->units[u].name);
    }
    for (uint32_t o = 0; o < rx->nobjects; o++) {
        bool found = false;
        for (uint32_t p = 0; p < ry->nobjects && !found; p++) found = !strcmp(rx->objects[o].name, ry->objects[p].name);
        if (!found) ARR_PUSH(*out, *n, cap, rx->objects[o].name);
    }
    (void)d;
}

int trc_diff_build(trc_diff *d, const trc_stats *a, const trc_stats *b) {
    memset(d, 0, sizeof *d);
    rows r = { .d = d };
    side_rows(&r, 0, a);
    side_rows(&r, 1, b);
    only_side(d, a, b, &d->only_a, &d->nonly_a);
    only_side(d, b, a, &d->only_b, &d->nonly_b);
    summarize(d, a, b);
    return 0;
}

void trc_diff_release(trc_diff *d) {
    free(d->rows);
    free(d->only_a);
    free(d->only_b);
    arena_release(&d->mem);
    memset(d, 0, sizeof *d);
}

const trc_diff_row *trc_diff_find(const trc_diff *d, const char *path) {
    for (size_t i = 0; i < d->nrows; i++)
        if (!strcmp(d->rows[i].path, path)) return &d->rows[i];
    return NULL;
}

void trc_diff_text(buf *out, const trc_diff *d, const char *label_a, const char *label_b, bool changed_only) {
    size_t w = 6;
    for (size_t i = 0; i < d->nrows; i++)
        if (strlen(d->rows[i].path) > w) w = strlen(d->rows[i].path);
    if (w > 60) w = 60;
    bprintf(out, "A: %s\nB: %s\n\n", label_a, label_b);
    for (size_t i = 0; i < d->nlines; i++) bprintf(out, "%s%s\n", i ? "  " : "", d->lines[i]);
    bprintf(out, "\n%-*s  %12s %12s %12s %8s\n", (int)w, "figure", "A", "B", "delta", "B/A");
    const char *scope = "run";
    for (size_t i = 0; i < d->nrows; i++) {
        const trc_diff_row *r = &d->rows[i];
        if (r->a == 0 && r->b == 0 && !r->na_a && !r->na_b) continue;
        if (changed_only && r->has_a && r->has_b && r->a == r->b) continue;
        if (strcmp(scope, r->scope)) { bprintf(out, "\n"); scope = r->scope; }
        char a[48] = "-", b[48] = "-", dl[48] = "", rt[32] = "";
        if (r->na_a) snprintf(a, sizeof a, "n/a");
        if (r->na_b) snprintf(b, sizeof b, "n/a");
        if (r->has_a) trc__fig_fmt(a, sizeof a, r->unit, r->a);
        if (r->has_b) trc__fig_fmt(b, sizeof b, r->unit, r->b);
        if (r->has_a && r->has_b) {
            fmt_delta(dl, sizeof dl, r->unit, r->a, r->b);
            double q = ratio_of(r->a, r->b);
            if (isfinite(q)) snprintf(rt, sizeof rt, "%.2fx", q);
        }
        bprintf(out, "%-*s  %12s %12s %12s %8s\n", (int)w, r->path, a, b, dl, rt);
    }
    if (d->nonly_a) {
        bprintf(out, "\nonly in A:");
        for (size_t i = 0; i < d->nonly_a; i++) bprintf(out, " %s", d->only_a[i]);
        bprintf(out, "\n");
    }
    if (d->nonly_b) {
        bprintf(out, "\nonly in B:");
        for (size_t i = 0; i < d->nonly_b; i++) bprintf(out, " %s", d->only_b[i]);
        bprintf(out, "\n");
    }
}

static const char *unit_name(uint8_t u) {
    switch (u) {
    case TRC_FIG_NS: return "ns";
    case TRC_FIG_COUNT: return "count";
    case TRC_FIG_RATE: return "per_s";
    case TRC_FIG_SHARE: return "share";
    case TRC_FIG_BYTES: return "bytes";
    default: return "level";
    }
}

void trc_diff_json(buf *out, const trc_diff *const *diffs, const char *const *labels_a, const char *const *labels_b,
                   size_t n, const trc_cond *conds, const bool *hits, size_t nconds) {
    bprintf(out, "{\"schema\":\"weft-diff\",\"version\":1,\"pairs\":[");
    for (size_t k = 0; k < n; k++) {
        const trc_diff *d = diffs[k];
        bprintf(out, "%s{\"a\":", k ? "," : "");
        trc__json_str(out, labels_a[k]);
        bprintf(out, ",\"b\":");
        trc__json_str(out, labels_b[k]);
        bprintf(out, ",\"summary\":[");
        for (size_t i = 0; i < d->nlines; i++) {
            if (i) bprintf(out, ",");
            trc__json_str(out, d->lines[i]);
        }
        bprintf(out, "],\"only_a\":[");
        for (size_t i = 0; i < d->nonly_a; i++) {
            if (i) bprintf(out, ",");
            trc__json_str(out, d->only_a[i]);
        }
        bprintf(out, "],\"only_b\":[");
        for (size_t i = 0; i < d->nonly_b; i++) {
            if (i) bprintf(out, ",");
            trc__json_str(out, d->only_b[i]);
        }
        bprintf(out, "],\"rows\":[");
        for (size_t i = 0; i < d->nrows; i++) {
            const trc_diff_row *r = &d->rows[i];
            bprintf(out, "%s\n{\"path\":", i ? "," : "");
            trc__json_str(out, r->path);
            bprintf(out, ",\"scope\":\"%s\",\"name\":", r->scope);
            trc__json_str(out, r->name);
            bprintf(out, ",\"figure\":");
            trc__json_str(out, r->figure);
            bprintf(out, ",\"unit\":\"%s\",\"a\":", unit_name(r->unit));
            if (r->has_a) trc__json_num(out, r->a);
            else bprintf(out, "null");
            bprintf(out, ",\"b\":");
            if (r->has_b) trc__json_num(out, r->b);
            else bprintf(out, "null");
            bprintf(out, ",\"delta\":");
            if (r->has_a && r->has_b) trc__json_num(out, r->b - r->a);
            else bprintf(out, "null");
            bprintf(out, ",\"ratio\":");
            if (r->has_a && r->has_b) trc__json_num(out, ratio_of(r->a, r->b));
            else bprintf(out, "null");
            bprintf(out, "}");
        }
        bprintf(out, "]}");
    }
    bprintf(out, "],\"fail_if\":[");
    bool any = false;
    for (size_t i = 0; i < nconds; i++) {
        bprintf(out, "%s{\"condition\":", i ? "," : "");
        trc__json_str(out, conds[i].text);
        bprintf(out, ",\"hit\":%s}", hits[i] ? "true" : "false");
        any |= hits[i];
    }
    bprintf(out, "],\"failed\":%s}\n", any ? "true" : "false");
}
