/* The scenario parser's entry points: sim_parse (text -> checked program),
 * sim_parse_file and sim_program_free. The work is done by the files listed
 * in sim_parse_internal.h. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define SCENARIO_MAX_BYTES SIM_MAX_SOURCE

void sim_program_free(sim_program *p) {
    if (!p) return;
    free(p->params);
    free(p->objects);
    free(p->actors);
    free(p->expects);
    free(p->strings);
    free(p->tasks);
    free(p->locals);
    free(p->futs);
    arena_release(&p->mem);
    free(p);
}

int sim_parse(sim_program **out, const char *path, const char *text, const sim_define *defs, uint32_t ndefs,
              diag *d) {
    *out = NULL;
    if (!path) path = "<scenario>";
    if (strlen(text) > SCENARIO_MAX_BYTES) {
        diag_set(d, ERR_LIMIT, "the scenario is larger than 16 MiB");
        if (d) snprintf(d->file, sizeof d->file, "%s", path);
        return -ERR_LIMIT;
    }
    if (!strncmp(text, "\xEF\xBB\xBF", 3)) text += 3;   /* a byte-order mark: UTF-8 says so already */
    sim_program *p = xcalloc(1, sizeof *p);
    p->path = arena_strdup(&p->mem, path);
    p->text = arena_strdup(&p->mem, text);
    p->backend = "threads";
    p->sweep_param = UINT32_MAX;
    p->gil_param = p->switch_param = UINT32_MAX;
    parser ps = { .p = p, .src = p->text, .path = p->path, .cur = p->text, .line = 1, .col = 1, .d = d,
                  .cur_actor = UINT32_MAX, .defs = defs, .ndefs = ndefs };
    if (!sim__check_utf8(&ps)) sim__next(&ps);
    sim__skip_newlines(&ps);
    while (!ps.err && ps.t.kind != T_EOF) {
        if (sim__parse_toplevel(&ps)) break;
        sim__skip_newlines(&ps);
    }
    if (!ps.err) sim__resolve_names(&ps);
    /* -D overrides: every param again in order, then every value that uses one, with its limits */
    if (!ps.err && ndefs) {
        for (uint32_t i = 0; i < ndefs && !ps.err; i++) sim__apply_define(&ps, &defs[i]);
        if (!ps.err) sim__after_overrides(&ps);
    }
    for (uint32_t i = 0; i < p->nactors && !ps.err; i++) {
        sim__check_stmts(&ps, p->actors[i].body);
        if (!ps.err) sim__check_timer(&ps, &p->actors[i]);
    }
    for (uint32_t i = 0; i < p->ntasks && !ps.err; i++) sim__check_stmts(&ps, p->tasks[i].body);
    if (!ps.err) sim__backend_resolve(&ps);       /* `backend B if EXPR`, over the final params */
    for (uint32_t i = 0; i < p->nexpects && !ps.err; i++) {   /* `expect ... if COND`, over the final params */
        int64_t v = 1;
        if (p->expects[i].cond && !sim__eval(&ps, p->expects[i].cond, &v)) p->expects[i].off = !v;
    }
    if (!ps.err) sim__procs_before_arrays(&ps);   /* sim_decl_procs.c */
    if (!ps.err) sim__expand_arrays(&ps);
    if (!ps.err && p->nactors) sim__count_units(&ps);
    free(ps.fix);
    free(ps.orefs);
    if (!ps.err && p->nactors == 0) {
        sim__perr(&ps, ps.t.pos, ERR_SCENARIO, "the scenario has no actor");
        sim__hint(&ps, "add one: actor worker * 2 { compute 1ms }");
    }
    if (ps.err) {
        sim_program_free(p);
        return ps.err;
    }
    if (!p->title) {
        const char *base = strrchr(p->path, '/');
        p->title = base ? base + 1 : p->path;
    }
    *out = p;
    return 0;
}

int sim_parse_bytes(sim_program **out, const char *path, const char *text, size_t len, const sim_define *defs,
                    uint32_t ndefs, diag *d) {
    *out = NULL;
    int rc;
    /* a recording given where a scenario belongs (the magic of traces/trc_format.h) */
    if (len >= 8 && !memcmp(text, "WEFTREC\n", 8)) {
        rc = diag_set(d, ERR_SCENARIO, "this is a recording, not a scenario");
        if (d) {
            snprintf(d->file, sizeof d->file, "%s", path);
            snprintf(d->hint, sizeof d->hint, "try weft view %s, or weft stats %s", path, path);
        }
        return rc;
    }
    if (strlen(text) != len) {
        size_t at = strlen(text);
        rc = diag_set(d, ERR_SCENARIO, "the file contains a NUL byte at byte %zu: a scenario is UTF-8 text", at);
        if (d) snprintf(d->file, sizeof d->file, "%s", path);
        return rc;
    }
    return sim_parse(out, path, text, defs, ndefs, d);
}

int sim_parse_file(sim_program **out, const char *path, const sim_define *defs, uint32_t ndefs, diag *d) {
    char *text;
    size_t len;
    *out = NULL;
    /* a file larger than the parser's limit is refused by its size, unread */
    int rc = file_read_max(path, SIM_MAX_SOURCE, &text, &len, d);
    if (rc) return rc;
    rc = sim_parse_bytes(out, path, text, len, defs, ndefs, d);
    free(text);
    return rc;
}
