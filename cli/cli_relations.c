/* cli: the expectations that compare runs (expect makespan[P=1] > makespan[P=4] * 2, the memory
 * per unit), checked again on a recording read back, for the viewer: its header said "all ok"
 * when one had failed, since only `weft run` checked them. The scenario comes from the
 * recording's own text; each run is known by its backend and the value of the parameter the
 * runs vary; its makespan is the recorded one and its memory comes from its model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The recorded value of param `name` in run, or false. */
static bool run_param(const trc_run *run, const char *name, int64_t *value, bool *is_duration) {
    for (uint32_t i = 0; i < run->nparams; i++)
        if (run->params[i].name && !strcmp(run->params[i].name, name)) {
            *value = run->params[i].value;
            *is_duration = run->params[i].is_duration;
            return true;
        }
    return false;
}

/* The scenario parsed with every param value run recorded (the ones prog declares), or NULL. */
static sim_program *run_program(const sim_program *prog, const trc_run *run, const char *path, const char *src) {
    sim_define *defs = xcalloc(run->nparams ? run->nparams : 1, sizeof *defs);
    char (*vals)[48] = xcalloc(run->nparams ? run->nparams : 1, sizeof *vals);
    uint32_t n = 0;
    for (uint32_t i = 0; i < run->nparams; i++) {
        const char *name = run->params[i].name;
        bool declared = false;
        for (uint32_t j = 0; name && j < prog->nparams && !declared; j++) declared = !strcmp(prog->params[j].name, name);
        if (!declared) continue;
        snprintf(vals[n], sizeof vals[n], "%lld%s", (long long)run->params[i].value, run->params[i].is_duration ? "ns" : "");
        defs[n] = (sim_define){ .name = name, .value = vals[n] };
        n++;
    }
    sim_program *p = NULL;
    diag d;
    diag_clear(&d);
    if (sim_parse(&p, path, src, defs, n, &d)) p = NULL;
    free(vals);
    free(defs);
    return p;
}

/* The param the runs vary (its index in prog), else the scenario's own sweep, else UINT32_MAX. */
static uint32_t varied_param(const sim_program *prog, const trc_model *models, uint32_t n) {
    for (uint32_t i = 0; i < prog->nparams; i++) {
        int64_t v0, v;
        bool dur;
        if (!run_param(models[0].run, prog->params[i].name, &v0, &dur)) continue;
        for (uint32_t k = 1; k < n; k++)
            if (run_param(models[k].run, prog->params[i].name, &v, &dur) && v != v0) return i;
    }
    return prog->sweep_param;
}

uint32_t view_relations(const trc_model *models, uint32_t n, char *report, size_t cap) {
    if (!n || !models[0].run->source_text) return 0;
    const char *src = models[0].run->source_text;
    for (uint32_t k = 1; k < n; k++)   /* recordings of different scenarios side by side: nothing to compare */
        if (!models[k].run->source_text || strcmp(models[k].run->source_text, src)) return 0;
    const char *path = models[0].run->source_path ? models[0].run->source_path : "scenario";
    sim_program *prog = NULL;
    diag d;
    diag_clear(&d);
    if (sim_parse(&prog, path, src, NULL, 0, &d)) return 0;   /* `weft run` said why */
    bool any = false;
    for (uint32_t i = 0; i < prog->nexpects; i++) any |= prog->expects[i].kind == SIM_X_RELATION && prog->expects[i].across_runs;
    if (!any) { sim_program_free(prog); return 0; }
    uint32_t param = varied_param(prog, models, n);
    sim_run_key *keys = xcalloc(n, sizeof *keys);
    uint64_t *makespans = xcalloc(n, sizeof *makespans);
    sim_run_mem *mems = xcalloc(n, sizeof *mems);
    sim_program **progs = xcalloc(n, sizeof *progs);
    for (uint32_t k = 0; k < n; k++) {
        const trc_model *m = &models[k];
        const char *bn = m->run->backend ? m->run->backend : "";
        keys[k] = (sim_run_key){ .backend = sim_backend_by_name(bn, strlen(bn)), .param = param };
        int64_t v = 0;
        bool dur = false;
        if (param != UINT32_MAX && run_param(m->run, prog->params[param].name, &v, &dur)) {
            keys[k].value = v;
            /* the run's own program: its `if`s decided by the values it ran with (every param
             * it recorded, so a `-D` given to `weft run` counts too, not only the varied one) */
            progs[k] = run_program(prog, m->run, path, src);
        } else if (param != UINT32_MAX) {
            keys[k].value = prog->params[param].value;
        }
        /* the makespan `weft run` checked (the run's start to its end, as recorded), so that the
         * viewer agrees with it; the model's runs to its last event, which can be a little later */
        makespans[k] = m->run->t_end > m->run->t_start ? m->run->t_end - m->run->t_start : m->makespan;
        sim_run_mem *rm = &mems[k];
        rm->prog = progs[k] ? progs[k] : prog;
        const trc_mem *mm = &m->mem;
        if (!mm->nprocs) rm->why = "the run has no memory samples";
        else if (mm->unit_unknown) rm->why = mm->unit_unknown;
        else { rm->known = true; rm->resident = mm->unit_resident; rm->virt = mm->unit_virt; }
    }
    uint32_t failed = sim_check_runs(prog, keys, makespans, mems, n, report, cap);
    for (uint32_t k = 0; k < n; k++) sim_program_free(progs[k]);
    free(progs);
    free(mems);
    free(makespans);
    free(keys);
    sim_program_free(prog);
    return failed;
}
