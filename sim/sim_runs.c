/* Several runs in one command: `weft run --backend threads,processes`, a
 * scenario's `backends threads, processes`, a sweep, or both at once, are
 * one run per backend and value into one recording. This file says which
 * backends to run and checks the expectations that compare the runs:
 * makespan[backend=B] and makespan[P=V] select a run by what it varies, and
 * the memory expectations (resident_per_unit, virtual_per_unit: known once the
 * recording is read back) read each run's memory, or one run's by the same
 * selectors.
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
    const sim_run_mem *mems;   /* NULL: no memory known */
    uint32_t n;
    uint32_t cur;              /* the run a per-run expectation is checked on (UINT32_MAX: none) */
    uint32_t matched;          /* the last selector: how many runs it matched */
    uint32_t param;
    int64_t value;
} runs_ctx;

/* The run a selector names (param UINT32_MAX: the current run), or UINT32_MAX. */
static uint32_t select_run(runs_ctx *c, uint32_t param, int64_t value) {
    c->matched = 0;
    c->param = param;
    c->value = value;
    if (param == UINT32_MAX) return c->cur;
    uint32_t at = UINT32_MAX;
    for (uint32_t i = 0; i < c->n; i++) {
        const sim_run_key *k = &c->keys[i];
        bool hit = param == SIM_DIM_BACKEND ? k->backend == (uint32_t)value : k->param == param && k->value == value;
        if (!hit) continue;
        if (!c->matched++) at = i;
    }
    return c->matched == 1 ? at : UINT32_MAX;
}

static bool runs_makespan(void *user, uint32_t param, int64_t value, int64_t *out) {
    runs_ctx *c = user;
    uint32_t k = select_run(c, param, value);
    if (k == UINT32_MAX) return false;
    *out = (int64_t)c->makespans[k];
    return true;
}

static bool runs_mem(void *user, int what, uint32_t param, int64_t value, int64_t *out, const char **why) {
    runs_ctx *c = user;
    uint32_t k = select_run(c, param, value);
    if (k == UINT32_MAX) return false;
    const sim_run_mem *m = c->mems ? &c->mems[k] : NULL;
    if (!m || !m->known) {
        *why = m && m->why ? m->why : "the run's memory was not sampled";
        return false;
    }
    double v = what == 'r' ? m->resident : m->virt;
    *out = (int64_t)(v + 0.5);
    return true;
}

static bool reads_mem(const sim_expr *e, int what) {
    if (!e) return false;
    if (e->kind == SIM_E_MEM && e->op == what) return true;
    if (reads_mem(e->a, what) || reads_mem(e->b, what)) return true;
    for (uint32_t i = 0; i < e->nitems; i++)
        if (reads_mem(e->items[i], what)) return true;
    return false;
}

/* A run by what varies: its backend (when the runs' differ), its value (a sweep). */
static void run_label(const sim_program *prog, const sim_run_key *keys, uint32_t n, uint32_t k, char *out, size_t cap) {
    bool backends = false;
    for (uint32_t i = 1; i < n; i++) backends |= keys[i].backend != keys[0].backend;
    char val[64] = "";
    if (keys[k].param != UINT32_MAX)
        snprintf(val, sizeof val, "%s%s=%lld", backends ? " " : "", prog->params[keys[k].param].name,
                 (long long)keys[k].value);
    snprintf(out, cap, "%s%s", backends || keys[k].param == UINT32_MAX ? sim_backend_name(keys[k].backend) : "", val);
}

/* A makespan finely enough to tell it from one that prints alike at fmt_dur's precision. */
static void fmt_fine(char *out, size_t cap, uint64_t ns) {
    if (ns >= 1000000000ull) snprintf(out, cap, "%.6f s", (double)ns / 1e9);
    else if (ns >= 1000000ull) snprintf(out, cap, "%.3f ms", (double)ns / 1e6);
    else if (ns >= 1000ull) snprintf(out, cap, "%.3f us", (double)ns / 1e3);
    else snprintf(out, cap, "%llu ns", (unsigned long long)ns);
}

/* Do two different makespans of the runs print alike ("14.1 ms" and "14.1 ms")? */
static bool alike_makespans(const runs_ctx *c) {
    for (uint32_t i = 0; i < c->n; i++)
        for (uint32_t j = i + 1; j < c->n; j++) {
            char a[32], b[32];
            fmt_dur(a, sizeof a, c->makespans[i]);
            fmt_dur(b, sizeof b, c->makespans[j]);
            if (c->makespans[i] != c->makespans[j] && !strcmp(a, b)) return true;
        }
    return false;
}

/* What a failed expectation read, run by run: the makespans, or the memory per unit. */
static void say_figures(const sim_program *prog, const runs_ctx *c, const sim_expr *e, char *fail, size_t cap, size_t l) {
    bool res = reads_mem(e, 'r'), virt = reads_mem(e, 'v');
    bool fine = !res && !virt && alike_makespans(c);
    if (res || virt)
        l += (size_t)snprintf(fail + l, cap - l, ": %s%s%s per unit %s", res ? "resident" : "", res && virt ? " / " : "",
                              virt ? "virtual" : "", c->n == 1 || c->cur != UINT32_MAX ? "was" : "were");
    else l += (size_t)snprintf(fail + l, cap - l, ": the makespans were");
    for (uint32_t k = 0; k < c->n && l < cap; k++) {
        char lab[96], fig[96];
        if (c->cur != UINT32_MAX && k != c->cur && (res || virt)) continue;   /* a per-run check: its run's */
        run_label(prog, c->keys, c->n, k, lab, sizeof lab);
        if (res || virt) {
            const sim_run_mem *m = c->mems ? &c->mems[k] : NULL;
            char a[32], b[32];
            if (!m || !m->known) snprintf(fig, sizeof fig, "not sampled");
            else {
                fmt_bytes(a, sizeof a, (uint64_t)(m->resident + 0.5));
                fmt_bytes(b, sizeof b, (uint64_t)(m->virt + 0.5));
                snprintf(fig, sizeof fig, "%s%s%s", res ? a : "", res && virt ? " / " : "", virt ? b : "");
            }
        } else if (fine) {
            fmt_fine(fig, sizeof fig, c->makespans[k]);
        } else {
            fmt_dur(fig, sizeof fig, c->makespans[k]);
        }
        bool first = c->cur != UINT32_MAX && (res || virt) ? true : !k;
        l += (size_t)snprintf(fail + l, cap - l, "%s %s%s%s", first ? "" : ",", lab, lab[0] ? ": " : "", fig);
    }
}

/* Does a value of the swept param run more than once (on several backends)? */
bool sim_runs_repeat_values(const sim_run_key *keys, uint32_t n) {
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t j = k + 1; j < n; j++)
            if (keys[j].param == keys[k].param && keys[j].value == keys[k].value) return true;
    return false;
}

/* Does the expression select a run by its backend (makespan[backend=B])? */
bool sim_expr_names_backend(const sim_expr *e) {
    if (!e) return false;
    if ((e->kind == SIM_E_MAKESPAN || e->kind == SIM_E_MEM) && e->param == SIM_DIM_BACKEND) return true;
    if (sim_expr_names_backend(e->a) || sim_expr_names_backend(e->b)) return true;
    for (uint32_t i = 0; i < e->nitems; i++)
        if (sim_expr_names_backend(e->items[i])) return true;
    return false;
}

/* One relation over the runs keys[0..n) (their memory mems, NULL: none known); `on` names their
 * backend when the relation is evaluated within each backend. One that reads this run's memory
 * (resident_per_unit with no [...]) is checked on each of the runs its `if` keeps. Returns how
 * many checks failed. */
static uint32_t check_relation(const sim_program *prog, const sim_expect *x, uint32_t xi, const sim_run_key *keys,
                               const uint64_t *makespans, const sim_run_mem *mems, uint32_t n, const char *on,
                               char *report, size_t cap) {
    runs_ctx c = { keys, makespans, mems, n, UINT32_MAX, 0, 0, 0 };
    uint32_t failed = 0;
    for (uint32_t k = 0; k < (x->per_run ? n : 1); k++) {
        const sim_program *rp = x->per_run && mems && mems[k].prog ? mems[k].prog : prog;
        if (xi < rp->nexpects && rp->expects[xi].off) continue;
        c.cur = x->per_run ? k : UINT32_MAX;
        sim_eval_ctx ctx = { .makespan = runs_makespan, .mem = runs_mem, .user = &c };
        int64_t v = 0;
        diag ed;
        char fail[1024] = "", text[256], where[112] = "";
        expect_text(prog, x->pos, text, sizeof text);
        if (x->per_run && n > 1) {
            char lab[96];
            run_label(prog, keys, n, k, lab, sizeof lab);
            snprintf(where, sizeof where, " (on %s)", lab);
        } else if (on) {
            snprintf(where, sizeof where, " (on %s)", on);
        }
        c.matched = 0;
        if (sim_eval(x->value, prog, &ctx, &v, &ed)) {
            if (c.matched > 1)
                snprintf(fail, sizeof fail, "%s%s: [%s=...] names %u runs; name one (the runs vary %s)", text, where,
                         c.param == SIM_DIM_BACKEND ? "backend" : prog->params[c.param].name, c.matched,
                         c.param == SIM_DIM_BACKEND ? "a parameter too" : "the backend too");
            else snprintf(fail, sizeof fail, "%s%s: %.400s", text, where, ed.msg);
        } else if (!v) {
            size_t l = (size_t)snprintf(fail, sizeof fail, "%s does not hold%s", text, where);
            say_figures(prog, &c, x->value, fail, sizeof fail, l);
        }
        if (fail[0]) {
            failed++;
            rt_rep(report, cap, "%s:%d:%d: %s\n", prog->path, x->pos.line, x->pos.col, fail);
        }
    }
    return failed;
}

/* A relation that selects runs by a param only (makespan[P=v]) compares runs of
 * one backend: when every value ran on several backends it is evaluated within
 * each (the sweep of each backend), restricted by `on`. One that selects by backend
 * (makespan[backend=B]) compares across backends: evaluated once, over the
 * runs of the backends `on` names (all without `on`). */
uint32_t sim_check_runs(const sim_program *prog, const sim_run_key *keys, const uint64_t *makespans,
                        const sim_run_mem *mems, uint32_t n, char *report, size_t cap) {
    uint32_t failed = 0;
    sim_run_key *sk = n ? malloc(sizeof *sk * n) : NULL;
    uint64_t *sm = n ? malloc(sizeof *sm * n) : NULL;
    sim_run_mem *smem = n && mems ? malloc(sizeof *smem * n) : NULL;
    if (n && (!sk || !sm || (mems && !smem))) {
        free(sk); free(sm); free(smem);
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
    bool repeated = sim_runs_repeat_values(keys, n);
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->kind != SIM_X_RELATION || !x->across_runs) continue;
        bool across_backends = sim_expr_names_backend(x->value) || !repeated;
        for (uint32_t j = 0; j < (across_backends ? 1 : nb); j++) {
            uint32_t m = 0;
            for (uint32_t k = 0; k < n; k++) {
                uint32_t b = keys[k].backend;
                if (x->on_backends && !(x->on_backends & (1u << b))) continue;
                if (!across_backends && b != order[j]) continue;
                sk[m] = keys[k];
                if (smem) smem[m] = mems[k];
                sm[m++] = makespans[k];
            }
            if (!m && (x->on_backends || !across_backends)) continue;   /* `on` leaves these runs out */
            /* say which backend's runs, unless the expectation's own `on` says it */
            const char *on = !across_backends && nb > 1 && x->on_backends != 1u << order[j] ? sim_backend_name(order[j]) : NULL;
            failed += check_relation(prog, x, i, sk, sm, smem, m, on, report, cap);
        }
        if (!n && !across_backends) failed += check_relation(prog, x, i, keys, makespans, mems, 0, NULL, report, cap);
    }
    free(sk);
    free(sm);
    free(smem);
    return failed;
}
