/* weft check: validate a scenario (with -D overrides) or a recording. The
 * file is opened once: its first bytes (or its .weft name) say which it is. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

static int check_recording(input *in) {
    const char *path = in->path;
    diag d;
    diag_clear(&d);
    trc_recording *rec;
    int rc = input_load_recording(in, &rec, &d);
    if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
    int status = 0;
    uint64_t events = 0, lost = 0, gaps = 0, repairs = 0, flushes = 0;
    for (uint32_t i = 0; i < rec->nruns; i++) {
        trc_model m;
        events += rec->runs[i].nevents;
        if (trc_model_build(&m, &rec->runs[i], &d)) {
            fprintf(stderr, "weft: %s: run %u: %s\n", esc(path), i + 1, esc(d.msg));
            status = EXIT_INPUT;
            continue;
        }
        /* a recording with gaps is a valid one: its losses and repairs are reported, not refused */
        print_model_warnings(path, rec->nruns > 1 ? i + 1 : 0, &m, TRC_MAX_WARNINGS);
        lost += m.lost;
        repairs += m.warnings_total;
        for (uint32_t u = 0; u < rec->runs[i].nunits; u++) {
            gaps += m.units[u].ngaps;
            flushes += m.units[u].flushes;
            if (m.units[u].lost)
                printf("%s: run %u: %s lost %llu event(s) in %zu gap(s)%s\n", esc(path), i + 1,
                       esc(rec->runs[i].units[u].name), (unsigned long long)m.units[u].lost, m.units[u].ngaps,
                       m.units[u].unknown_end ? ", its end is unknown" : "");
        }
        trc_model_release(&m);
    }
    if (rec->truncated) {
        fprintf(stderr, "weft: %s: at byte %llu: %s; the %u run(s) before it are readable\n", esc(path),
                (unsigned long long)rec->truncated_at, esc(rec->truncated_why), rec->nruns);
        status = EXIT_INPUT;
    }
    if (!status) {
        printf("%s: ok: %u run(s), %llu events", esc(path), rec->nruns, (unsigned long long)events);
        if (lost) printf("; %llu events lost in %llu gap(s), shown as unknown", (unsigned long long)lost,
                         (unsigned long long)gaps);
        if (repairs) printf("; %llu repair(s), see the warnings", (unsigned long long)repairs);
        if (flushes) printf("; %llu wait(s) for the recorder", (unsigned long long)flushes);
        printf("\n");
    }
    trc_recording_free(rec);
    return status;
}

/* The runs `weft run` would make of p (text: its source), as sim_run_keys: the values of --sweep
 * (sweep), else of the scenario's own `sweep` (all of them: a -D on the swept param narrows a run,
 * not what the selectors may name), each on the backends of --backend (list), else the scenario's
 * (`backend B if EXPR`: the one each value picks). Every value's program is parsed and checked on
 * its backends. 0, or -ERR_xxx with d filled. */
#define CHECK_MAX_RUNS (64 * SIM_BACKEND__MAX)
static int check_runs(const char *path, const char *text, size_t len, const sim_program *p, const sim_define *defs,
                      uint32_t ndefs, const char *sweep, const char *list, sim_run_key *keys, uint32_t *nkeys, diag *d) {
    char spec[4096];
    bool narrowed;
    *nkeys = 0;
    if (sweep) snprintf(spec, sizeof spec, "%s", sweep);
    else if (!cli_sweep_spec(p, NULL, 0, spec, sizeof spec, &narrowed)) spec[0] = 0;
    char *eq = strchr(spec, '=');
    sim_define dd[SIM_MAX_PARAMS + 1];
    uint32_t nd = 0;
    for (uint32_t i = 0; i < ndefs; i++)   /* the swept param's value comes from the sweep */
        if (!eq || strncmp(defs[i].name, spec, (size_t)(eq - spec)) || defs[i].name[eq - spec]) dd[nd++] = defs[i];
    const char *vals[64];
    uint32_t nv = 0;
    if (eq) {
        *eq = 0;
        for (char *save = NULL, *v = strtok_r(eq + 1, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
            if (nv == 64) return diag_set(d, ERR_USAGE, "--sweep takes at most 64 values");
            vals[nv++] = v;
        }
        if (!nv) return diag_set(d, ERR_USAGE, "--sweep %s= has no values", spec);
    }
    int param = -1;
    for (uint32_t k = 0; eq && k < p->nparams; k++)
        if (!strcmp(p->params[k].name, spec)) param = (int)k;
    bool own = (!list || !*list) && p->backend_if;
    uint32_t bks[SIM_BACKEND__MAX];
    int nb = sim_backends_of(p, list, bks, d);
    if (nb < 0) return nb;
    if (own) nb = 1;
    for (uint32_t v = 0; v < (nv ? nv : 1); v++) {
        sim_program *vp = NULL;
        if (nv) {
            dd[nd] = (sim_define){ .name = spec, .value = vals[v], .option = "--sweep" };
            int rc = sim_parse_bytes(&vp, path, text, len, dd, nd + 1, d);
            if (rc) return rc;
        }
        const sim_program *q = vp ? vp : p;
        for (int b = 0; b < nb; b++) {
            uint32_t bk = own ? sim_backend_by_name(q->backend, strlen(q->backend)) : bks[b];
            int rc = sim_check_backend(q, bk, d);
            if (rc) { sim_program_free(vp); return rc; }
            if (*nkeys < CHECK_MAX_RUNS)
                keys[(*nkeys)++] = (sim_run_key){ .backend = bk, .param = param >= 0 ? (uint32_t)param : UINT32_MAX,
                                                  .value = param >= 0 ? q->params[param].value : 0 };
        }
        sim_program_free(vp);
    }
    /* backends first, as run orders them (run k: backend k / values, value k % values) */
    if (nb > 1 && nv > 1) {
        sim_run_key tmp[CHECK_MAX_RUNS];
        uint32_t m = 0;
        for (int b = 0; b < nb; b++)
            for (uint32_t v = 0; v < nv; v++) tmp[m++] = keys[v * (uint32_t)nb + (uint32_t)b];
        memcpy(keys, tmp, sizeof *keys * m);
    }
    return 0;
}

static int check_scenario(input *in, const sim_define *defs, uint32_t ndefs, const char *sweep, const char *list) {
    const char *path = in->path;
    char *text;
    size_t len;
    int rc = input_read_scenario(in, &text, &len);
    if (rc) return rc;
    diag d;
    diag_clear(&d);
    sim_program *p;
    rc = sim_parse_bytes(&p, path, text, len, defs, ndefs, &d);
    if (rc) { free(text); print_diag(path, &d, rc); return exit_for(rc); }
    /* the runs `weft run` makes: each value's program on each backend; every run selector names one of them */
    sim_run_key keys[CHECK_MAX_RUNS];
    uint32_t nkeys = 0;
    rc = check_runs(path, text, len, p, defs, ndefs, sweep, list, keys, &nkeys, &d);
    free(text);
    if (!rc) rc = sim_check_selectors(p, keys, nkeys, &d);
    if (rc) {
        print_diag(path, &d, rc);
        sim_program_free(p);
        return exit_for(rc);
    }
    /* every construct has a meaning on every backend the scenario runs on (--backend: those, checked above) */
    uint32_t bks[SIM_BACKEND__MAX];
    int nb = list ? 0 : sim_backends_of(p, NULL, bks, &d);
    for (int b = 0; b < nb && !rc; b++) rc = sim_check_backend(p, bks[b], &d);
    if (!rc && !list && p->backend_if) rc = sim_check_backend(p, p->backend_if_b, &d);   /* backend B if EXPR: B too */
    if (!rc && !list && p->backend_if2) rc = sim_check_backend(p, p->backend_if2_b, &d);
    if (rc) {
        print_diag(path, &d, rc);
        sim_program_free(p);
        return exit_for(rc);
    }
    printf("%s: ok: \"%s\", %u actor(s), %u unit(s), %u object(s), %u expectation(s)\n", esc(path), esc(p->title),
           p->nactors, p->nunits, p->nobjects, p->nexpects);
    sim_program_free(p);
    return 0;
}

static const cli_opt check_opts[] = {
    { "define", 'D', true, "NAME=VALUE", "set a parameter of the scenario (repeatable)", NULL },
    { "sweep", 'w', false, "NAME=V1,V2,...", "check the runs of this sweep (as weft run --sweep)", NULL },
    { "backend", 'b', false, "B1,B2", "check the runs on these backends (as weft run --backend)",
      "threads processes coroutines" },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_check = {
    .name = "check", .args = "FILE|NAME", .fn = cmd_check, .opts = check_opts, .complete = "file:scn,weft scenario",
    .summary = "validate a scenario (.scn, with overrides) or a recording (.weft)",
    .description = "A scenario is parsed and checked (file:line:col, a caret and a hint on an error); a\n"
                   "recording is read whole and modelled (the byte offset of what is wrong): its lost events\n"
                   "and every repair they made the reader do are listed. Exit status 0 when valid, 2 otherwise.",
    .examples = "weft check my.scn -D items=0\n"
                "weft check my.scn --sweep workers=1,4 --backend threads,coroutines\n"
                "weft check run.weft",
};

int cmd_check(int argc, char **argv) {
    sim_define defs[SIM_MAX_PARAMS];
    uint32_t ndefs = 0;
    const char *sweep = NULL, *list = NULL;
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_check)) != -1) {
        switch (c) {
        case 'D': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) { fprintf(stderr, "weft: -D takes name=value, not '%s'\n", esc(optarg)); return EXIT_INPUT; }
            if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
            *eq = 0;
            defs[ndefs++] = (sim_define){ .name = optarg, .value = eq + 1 };
            break;
        }
        case 'w':
            if (!strchr(optarg, '=') || *optarg == '=') {
                fprintf(stderr, "weft: --sweep takes name=v1,v2,..., not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            sweep = optarg;
            break;
        case 'b': list = optarg; break;
        case 'h': cli_help(stdout, &cli_cmd_check); return 0;
        default: return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft check: give one file (.scn or .weft)\n"); return EXIT_INPUT; }
    const char *path = scenario_path(argv[optind]);
    const char *ext = strrchr(path, '.');
    input in;
    int rc = input_open(&in, path);
    if (rc) return rc;
    bool recording = (ext && !strcmp(ext, ".weft")) || input_is_recording(&in);
    if (recording && (ndefs || sweep || list)) {
        fprintf(stderr, "weft check: %s applies to a scenario; %s is a recording\n",
                ndefs ? "-D" : sweep ? "--sweep" : "--backend", esc(path));
        rc = EXIT_INPUT;
    } else {
        rc = recording ? check_recording(&in) : check_scenario(&in, defs, ndefs, sweep, list);
    }
    input_close(&in);
    return rc;
}
