/* Before anything runs: every run selector of an expectation that compares
 * runs (makespan[P=v], resident_per_unit[backend=B]) must name one of the runs
 * the command makes. `weft check` refuses one that names none (a backend the
 * scenario never runs on, a value its sweep never takes) or several, at the
 * selector's file:line:col, saying what the runs are; `weft run` does the same
 * before it records (it said so only once the runs were over).
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct sel_walk {
    const sim_program *p;
    const sim_run_key *keys;   /* the runs the expectation is checked over (its `on` applied) */
    uint32_t n;
    bool across;               /* evaluated over all of them at once (else within each backend) */
    const sim_run_key *all;    /* every run, to say what they are */
    uint32_t nall;
    diag *d;
    int rc;
} sel_walk;

static void value_text(const sim_program *p, uint32_t param, int64_t v, char *out, size_t cap) {
    if (p->params[param].type == SIM_T_DUR) fmt_dur(out, cap, (uint64_t)(v < 0 ? 0 : v));
    else snprintf(out, cap, "%lld", (long long)v);
}

/* What the runs are: "runs on threads and coroutines with workers = 1, 2", or run by run
 * when the values do not run on every backend (`backend B if EXPR`). */
static void describe_runs(const sim_program *p, const sim_run_key *keys, uint32_t n, char *out, size_t cap) {
    uint32_t bks[SIM_BACKEND__MAX], nb = 0, nv = 0;
    int64_t vals[64];
    for (uint32_t k = 0; k < n; k++) {
        bool seen = false;
        for (uint32_t j = 0; j < nb; j++) seen |= bks[j] == keys[k].backend;
        if (!seen && nb < SIM_BACKEND__MAX) bks[nb++] = keys[k].backend;
        seen = false;
        for (uint32_t j = 0; j < nv; j++) seen |= vals[j] == keys[k].value;
        if (!seen && nv < 64) vals[nv++] = keys[k].value;
    }
    bool swept = n && keys[0].param != UINT32_MAX;
    size_t l = 0;
    if (!swept || nb * nv == n) {
        l += (size_t)snprintf(out + l, cap - l, "%s on ", n == 1 ? "it runs once," : "its runs are");
        for (uint32_t j = 0; j < nb && l < cap; j++)
            l += (size_t)snprintf(out + l, cap - l, "%s%s", j ? (j + 1 == nb ? " and " : ", ") : "", sim_backend_name(bks[j]));
        if (!swept && l < cap) {
            snprintf(out + l, cap - l, ", and it sweeps no parameter");
            return;
        }
        if (l < cap) l += (size_t)snprintf(out + l, cap - l, " with %s = ", p->params[keys[0].param].name);
        for (uint32_t j = 0; j < nv && l < cap; j++) {
            char v[40];
            value_text(p, keys[0].param, vals[j], v, sizeof v);
            l += (size_t)snprintf(out + l, cap - l, "%s%s", j ? ", " : "", v);
        }
        return;
    }
    l += (size_t)snprintf(out + l, cap - l, "its runs are");
    for (uint32_t k = 0; k < n && l < cap; k++) {
        char v[40];
        value_text(p, keys[k].param, keys[k].value, v, sizeof v);
        l += (size_t)snprintf(out + l, cap - l, "%s %s=%s on %s", k ? "," : "", p->params[keys[k].param].name, v,
                              sim_backend_name(keys[k].backend));
    }
}

/* The selector as written: from its word to its ']'. */
static void selector_text(const sim_program *p, sim_pos pos, char *out, size_t cap) {
    const char *s = p->text;
    for (int line = 1; line < pos.line && *s; s++)
        if (*s == '\n') line++;
    for (int col = 1; col < pos.col && *s && *s != '\n'; col++) {
        uint32_t cp;
        int len = utf8_decode(s, strlen(s), &cp);
        s += len > 0 ? len : 1;
    }
    size_t n = strcspn(s, "]\n");
    if (s[n] == ']') n++;
    if (n >= cap) n = utf8_cut(s, cap - 1);
    snprintf(out, cap, "%.*s", (int)n, s);
}

static void check_selector(sel_walk *w, const sim_expr *e) {
    int64_t v = 0;
    if (!e->a || sim_eval(e->a, w->p, NULL, &v, NULL)) return;
    /* the groups it is evaluated in: all the runs, or each backend's */
    uint32_t bks[SIM_BACKEND__MAX], nb = 0;
    for (uint32_t k = 0; k < w->n; k++) {
        bool seen = false;
        for (uint32_t j = 0; j < nb; j++) seen |= bks[j] == w->keys[k].backend;
        if (!seen && nb < SIM_BACKEND__MAX) bks[nb++] = w->keys[k].backend;
    }
    for (uint32_t g = 0; g < (w->across ? 1 : nb) && !w->rc; g++) {
        uint32_t matched = 0;
        for (uint32_t k = 0; k < w->n; k++) {
            const sim_run_key *r = &w->keys[k];
            if (!w->across && r->backend != bks[g]) continue;
            matched += e->param == SIM_DIM_BACKEND ? r->backend == (uint32_t)v : r->param == e->param && r->value == v;
        }
        if (matched == 1) continue;
        char sel[128], runs[512];
        selector_text(w->p, e->pos, sel, sizeof sel);
        describe_runs(w->p, w->all, w->nall, runs, sizeof runs);
        if (!matched)
            w->rc = diag_set(w->d, ERR_SCENARIO, "%s names no run: %s", sel, runs);
        else
            w->rc = diag_set(w->d, ERR_SCENARIO, "%s names %u runs (%s): it must name one", sel, matched, runs);
        sim_diag_at(w->d, w->p, e->pos.line, e->pos.col);
        if (!matched && e->param == SIM_DIM_BACKEND)
            snprintf(w->d->hint, sizeof w->d->hint, "name the backend in `backends` (or `--backend`), or check the "
                     "expectation only there with `on %s`", sim_backend_name((unsigned)v));
        else if (!matched && w->nall && w->all[0].param == UINT32_MAX)
            snprintf(w->d->hint, sizeof w->d->hint, "a run of a sweep is selected by its value: `sweep %s = ...` in "
                     "the scenario (or `--sweep %s=...`)", w->p->params[e->param].name, w->p->params[e->param].name);
        else if (!matched)
            snprintf(w->d->hint, sizeof w->d->hint, "add the value to the sweep, or select a value it takes");
        else if (e->param == SIM_DIM_BACKEND)
            snprintf(w->d->hint, sizeof w->d->hint, "with a sweep, [backend=B] is one run per value: compare the values "
                     "with [P=v] (checked within each backend)");
        else
            snprintf(w->d->hint, sizeof w->d->hint, "beside [backend=B] in one expectation, [P=v] is one run per "
                     "backend: compare the values in an expectation of their own");
    }
}

static void walk(sel_walk *w, const sim_expr *e) {
    if (!e || w->rc) return;
    if ((e->kind == SIM_E_MAKESPAN || e->kind == SIM_E_MEM) && e->param != UINT32_MAX) check_selector(w, e);
    walk(w, e->a);
    walk(w, e->b);
    for (uint32_t i = 0; i < e->nitems; i++) walk(w, e->items[i]);
}

int sim_check_selectors(const sim_program *prog, const sim_run_key *keys, uint32_t n, diag *d) {
    sim_run_key some[64 * SIM_BACKEND__MAX];
    if (n > sizeof some / sizeof some[0]) return 0;
    /* as sim_check_runs decides: a value that runs on several backends makes one sweep per backend */
    bool repeated = sim_runs_repeat_values(keys, n);
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->kind != SIM_X_RELATION || !x->across_runs) continue;
        uint32_t m = 0;
        for (uint32_t k = 0; k < n; k++)
            if (!x->on_backends || (x->on_backends & (1u << keys[k].backend))) some[m++] = keys[k];
        if (!m) continue;   /* its `on` leaves every run out: said as checked on no run */
        sel_walk w = { prog, some, m, sim_expr_names_backend(x->value) || !repeated, keys, n, d, 0 };
        walk(&w, x->value);
        if (w.rc) return w.rc;
    }
    return 0;
}
