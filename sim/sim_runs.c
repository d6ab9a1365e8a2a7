/* Several runs in one command: `weft run --backend threads,processes`, a
 * scenario's `backends threads, processes`, a sweep, or both at once, are
 * one run per backend and value into one recording. This file says which
 * backends to run and checks the expectations that compare the runs:
 * makespan[backend=B] and makespan[P=V] select a run by what it varies.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_backends_of(const sim_program *prog, const char *list, uint32_t *out, diag *d) {
    uint32_t n = 0;
    if (!list || !*list) {
        if (prog->nbackends) {
            for (uint32_t i = 0; i < prog->nbackends; i++) out[n++] = prog->backends[i];
            return (int)n;
        }
        out[0] = sim_backend_by_name(prog->backend, strlen(prog->backend));
        return out[0] ? 1 : diag_set(d, ERR_USAGE, "unknown backend '%s'", prog->backend);
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        unsigned b = sim_backend_by_name(p, len);
        if (!b) return diag_set(d, ERR_USAGE, "unknown backend '%.*s' (the backends are threads, processes and "
                                "coroutines)", (int)len, p);
        bool dup = false;
        for (uint32_t k = 0; k < n; k++) dup |= out[k] == b;
        if (dup) return diag_set(d, ERR_USAGE, "backend '%.*s' is named twice", (int)len, p);
        if (n == SIM_BACKEND__MAX - 1) return diag_set(d, ERR_USAGE, "too many backends");
        out[n++] = b;
        p += len;
        if (*p == ',') p++;
    }
    if (!n) return diag_set(d, ERR_USAGE, "--backend names no backend");
    return (int)n;
}

typedef struct runs_ctx {
    const sim_run_key *keys;
    const uint64_t *makespans;
    uint32_t n;
    uint32_t matched;          /* the last selector: how many runs it matched */
    uint32_t param;
    int64_t value;
} runs_ctx;

static bool runs_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    runs_ctx *c = user;
    c->matched = 0;
    c->param = param;
    c->value = value;
    if (param == UINT32_MAX) return false;
    for (uint32_t i = 0; i < c->n; i++) {
        const sim_run_key *k = &c->keys[i];
        bool hit = param == SIM_DIM_BACKEND ? k->backend == (uint32_t)value : k->param == param && k->value == value;
        if (!hit) continue;
        if (!c->matched++) *out = (int64_t)c->makespans[i];
    }
    return c->matched == 1;
}

/* Does the expression select a run by its backend (makespan[backend=B])? */
static bool names_backend(const sim_expr *e) {
    if (!e) return false;
    if (e->kind == SIM_E_MAKESPAN && e->param == SIM_DIM_BACKEND) return true;
    if (names_backend(e->a) || names_backend(e->b)) return true;
    for (uint32_t i = 0; i < e->nitems; i++)
        if (names_backend(e->items[i])) return true;
    return false;
}

/* One relation over the runs keys[0..n); `on` names their backend when the
 * relation is evaluated within each backend. Returns 1 if it failed. */
static uint32_t check_relation(const sim_program *prog, const sim_expect *x, const sim_run_key *keys,
                               const uint64_t *makespans, uint32_t n, const char *on, char *report, size_t cap) {
    runs_ctx c = { keys, makespans, n, 0, 0, 0 };
    sim_eval_ctx ctx = { .makespan = runs_makespan, .user = &c };
    int64_t v = 0;
    diag ed;
    char fail[1024] = "", text[256], where[48] = "";
    expect_text(prog, x->pos, text, sizeof text);
    if (on) snprintf(where, sizeof where, " (on %s)", on);
    if (sim_eval(x->value, prog, &ctx, &v, &ed)) {
        if (c.matched > 1)
            snprintf(fail, sizeof fail, "%s%s: makespan[%s=...] names %u runs; name one (the runs vary %s)", text, where,
                     c.param == SIM_DIM_BACKEND ? "backend" : prog->params[c.param].name, c.matched,
                     c.param == SIM_DIM_BACKEND ? "a parameter too" : "the backend too");
        else snprintf(fail, sizeof fail, "%s%s: %.400s", text, where, ed.msg);
    } else if (!v) {
        /* each run by what varies: its backend (when they differ), its value (a sweep) */
        bool backends = false;
        for (uint32_t k = 1; k < n; k++) backends |= keys[k].backend != keys[0].backend;
        size_t l = (size_t)snprintf(fail, sizeof fail, "%s does not hold%s: the makespans were", text, where);
        for (uint32_t k = 0; k < n && l < sizeof fail; k++) {
            char ms[32], val[64] = "";
            fmt_dur(ms, sizeof ms, makespans[k]);
            if (keys[k].param != UINT32_MAX)
                snprintf(val, sizeof val, "%s%s=%lld", backends ? " " : "", prog->params[keys[k].param].name,
                         (long long)keys[k].value);
            l += (size_t)snprintf(fail + l, sizeof fail - l, "%s %s%s: %s", k ? "," : "",
                                  backends || keys[k].param == UINT32_MAX ? sim_backend_name(keys[k].backend) : "",
                                  val, ms);
        }
    }
    if (!fail[0]) return 0;
    rt_rep(report, cap, "%s:%d:%d: %s\n", prog->path, x->pos.line, x->pos.col, fail);
    return 1;
}

/* A relation that selects runs by a param only (makespan[P=v]) compares runs of
 * one backend: when every value ran on several backends it is evaluated within
 * each (the sweep of each backend), restricted by `on`. One that selects by backend
 * (makespan[backend=B]) compares across backends: evaluated once, over the
 * runs of the backends `on` names (all without `on`). */
uint32_t sim_check_runs(const sim_program *prog, const sim_run_key *keys, const uint64_t *makespans, uint32_t n,
                        char *report, size_t cap) {
    uint32_t failed = 0;
    sim_run_key *sk = n ? malloc(sizeof *sk * n) : NULL;
    uint64_t *sm = n ? malloc(sizeof *sm * n) : NULL;
    if (n && (!sk || !sm)) {
        free(sk); free(sm);
        rt_rep(report, cap, "%s: out of memory to check the expectations across runs\n", prog->path);
        return 1;
    }
    /* the backends in the order they ran */
    uint32_t order[SIM_BACKEND__MAX], nb = 0;
    for (uint32_t k = 0; k < n; k++) {
        bool seen = false;
        for (uint32_t j = 0; j < nb; j++) seen |= order[j] == keys[k].backend;
        if (!seen && nb < SIM_BACKEND__MAX) order[nb++] = keys[k].backend;
    }
    /* Does a value of the swept param run on several backends (a sweep x backends)?
     * If not (one backend, or `backend B if EXPR` picking one per value), a
     * relation over the sweep compares whatever ran, as one sweep. */
    bool repeated = false;
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t j = k + 1; j < n; j++)
            repeated |= keys[j].param == keys[k].param && keys[j].value == keys[k].value;
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->kind != SIM_X_RELATION || !x->across_runs) continue;
        bool across_backends = names_backend(x->value) || !repeated;
        for (uint32_t j = 0; j < (across_backends ? 1 : nb); j++) {
            uint32_t m = 0;
            for (uint32_t k = 0; k < n; k++) {
                uint32_t b = keys[k].backend;
                if (x->on_backends && !(x->on_backends & (1u << b))) continue;
                if (!across_backends && b != order[j]) continue;
                sk[m] = keys[k];
                sm[m++] = makespans[k];
            }
            if (!m && (x->on_backends || !across_backends)) continue;   /* `on` leaves these runs out */
            /* say which backend's runs, unless the expectation's own `on` says it */
            const char *on = !across_backends && nb > 1 && x->on_backends != 1u << order[j] ? sim_backend_name(order[j]) : NULL;
            failed += check_relation(prog, x, sk, sm, m, on, report, cap);
        }
        if (!n && !across_backends) failed += check_relation(prog, x, keys, makespans, 0, NULL, report, cap);
    }
    free(sk);
    free(sm);
    return failed;
}
