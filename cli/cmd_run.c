/* weft run: run a scenario (or a sweep of it) and record it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* ---- run --------------------------------------------------------------- */

/* A run that ended with an error (division by zero at run time...): the error
 * goes to stderr like every other one, as "file:line:col: error: ..." with the
 * line and a caret when the runtime named a place in the scenario. */
static void print_run_error(const sim_program *prog, const char *report) {
    size_t plen = strlen(prog->path);
    int line = 0, col = 0, n = 0;
    if (!strncmp(report, prog->path, plen) && sscanf(report + plen, ":%d:%d: %n", &line, &col, &n) == 2 && n > 0 &&
        line > 0 && col > 0) {
        diag d;
        diag_clear(&d);
        sim_diag_at(&d, prog, line, col);
        snprintf(d.msg, sizeof d.msg, "%.*s", (int)strcspn(report + plen + n, "\n"), report + plen + n);
        print_diag(prog->path, &d, -ERR_RUNTIME);
        const char *rest = strchr(report, '\n');
        if (rest && rest[1]) fputs(rest + 1, stderr);
    } else {
        fprintf(stderr, "weft: %s", report);
        if (!*report || report[strlen(report) - 1] != '\n') fputc('\n', stderr);
    }
}

/* The run's error is printed on stderr: the stats on stdout leave it out. */
static void drop_error_report(loaded *l, uint32_t run) {
    if (run < l->rec->nruns && l->rec->runs[run].end_reason == TRC_END_ERROR) l->rec->runs[run].report = "";
}

/* --sweep name=v1,v2,...: one run per value, all into one recording. */
static int run_sweep(const char *scn, const char *out, char *sweep, sim_define *defs, uint32_t ndefs, uint64_t seed,
                     double timeout, const char *pftrace, const char *backend, bool virtual_clock) {
    char *eq = strchr(sweep, '=');
    *eq = 0;
    const char *name = sweep;
    char *values = eq + 1;
    if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
    /* parse every value first, so a bad one fails before anything runs */
    sim_program *progs[64];
    const char *vals[64];
    uint32_t n = 0;
    diag d;
    int status = 0;
    for (char *save = NULL, *v = strtok_r(values, ",", &save); v && !status; v = strtok_r(NULL, ",", &save)) {
        if (n == 64) { fprintf(stderr, "weft: --sweep takes at most 64 values\n"); status = EXIT_INPUT; break; }
        defs[ndefs] = (sim_define){ .name = name, .value = v, .option = "--sweep" };
        diag_clear(&d);
        int rc = sim_parse_file(&progs[n], scn, defs, ndefs + 1, &d);
        if (rc) { print_diag(scn, &d, rc); status = exit_for(rc); break; }
        vals[n++] = v;
    }
    if (!n && !status) { fprintf(stderr, "weft: --sweep %s= has no values\n", name); status = EXIT_INPUT; }
    char *outp = out ? xstrdup(out) : replace_ext(strrchr(scn, '/') ? strrchr(scn, '/') + 1 : scn, ".weft");
    trc_writer *w = NULL;
    if (!status && trc_writer_open(&w, outp, &d)) { print_diag(outp, &d, -ERR_IO); status = EXIT_IO; }
    catch_sigint(true);
    uint32_t failed = 0, ran = 0;
    int64_t swept[64];
    uint64_t makespans[64];
    int pi = -1;
    for (uint32_t k = 0; n && k < progs[0]->nparams; k++)
        if (!strcmp(progs[0]->params[k].name, name)) pi = (int)k;
    for (uint32_t i = 0; i < n && !status; i++) {
        if (!cli_quiet) printf("run %u of %u: %s=%s\n", i + 1, n, name, vals[i]);
        fflush(stdout);
        sim_result res;
        int rc = sim_run(&res, progs[i], &(sim_desc){ .writer = w, .seed = seed, .timeout_ns = (uint64_t)(timeout * 1e9),
                                                       .interrupt = &interrupt_flag, .backend = backend,
                                                       .virtual_clock = virtual_clock }, &d);
        if (rc) { print_diag(scn, &d, rc); status = exit_for(rc); break; }
        if (res.end_reason == TRC_END_ERROR && res.report[0]) print_run_error(progs[i], res.report);
        if (res.expect_failed) { fputs(res.expect_report, stderr); failed++; }
        swept[ran] = pi >= 0 ? progs[i]->params[pi].value : 0;
        makespans[ran++] = res.wall_ns;
        if (atomic_load(&interrupt_flag)) break;
    }
    catch_sigint(false);
    if (!status && ran == n && pi >= 0) {
        /* the expectations that compare the runs: makespan[P=v] */
        char report[4096] = "";
        uint32_t bad = sim_check_sweep(progs[0], (uint32_t)pi, swept, makespans, ran, report, sizeof report);
        if (bad) { fputs(report, stderr); failed += bad; }
    }
    if (w && trc_writer_close(w, &d) && !status) { print_diag(outp, &d, -ERR_IO); status = EXIT_IO; }
    for (uint32_t i = 0; i < n; i++) sim_program_free(progs[i]);
    if (!status) {
        loaded l;
        if ((status = load_recording(&l, outp)) == 0) {
            for (uint32_t i = 0; i < l.rec->nruns; i++) drop_error_report(&l, i);
            if (!cli_quiet) { putchar('\n'); print_stats(&l); }
            if (pftrace && !(status = export_perfetto(&l, pftrace)) && !cli_quiet)
                printf("\nwrote the Perfetto trace to %s\n", pftrace);
            free_loaded(&l);
        }
        if (!status && !cli_quiet) printf("\n%u runs recorded in %s\n", n, outp);
        if (!status && failed) status = EXIT_FAILED;
    }
    free(outp);
    return status;
}

int cmd_run(int argc, char **argv) {
    const char *out = NULL, *pftrace = NULL, *png = NULL;
    bool view = false;
    uint64_t seed = 1;
    double timeout = 60;
    sim_define defs[SIM_MAX_PARAMS];
    uint32_t ndefs = 0;
    static const struct option opts[] = {
        { "output", required_argument, 0, 'o' }, { "define", required_argument, 0, 'D' },
        { "seed", required_argument, 0, 's' }, { "timeout", required_argument, 0, 't' },
        { "export", required_argument, 0, 'e' }, { "view", no_argument, 0, 'v' },
        { "png", required_argument, 0, 'p' }, { "quiet", no_argument, 0, 'q' },
        { "backend", required_argument, 0, 'b' }, { "sweep", required_argument, 0, 'w' },
        { "clock", required_argument, 0, 'c' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    bool virtual_clock = false;
    const char *backend = NULL;
    char *sweep = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:D:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'D': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) { fprintf(stderr, "weft: -D takes name=value, not '%s'\n", optarg); return EXIT_INPUT; }
            if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
            *eq = 0;
            defs[ndefs++] = (sim_define){ .name = optarg, .value = eq + 1 };
            break;
        }
        case 's': {
            char *end;
            errno = 0;
            seed = strtoull(optarg, &end, 0);
            if (errno || *end) { fprintf(stderr, "weft: --seed takes a number, not '%s'\n", optarg); return EXIT_INPUT; }
            break;
        }
        case 't': {
            char *end;
            timeout = strtod(optarg, &end);
            if (*end || !(timeout > 0) || timeout > 86400) {
                fprintf(stderr, "weft: --timeout takes seconds (0 < t <= 86400), not '%s'\n", optarg);
                return EXIT_INPUT;
            }
            break;
        }
        case 'e': pftrace = optarg; break;
        case 'v': view = true; break;
        case 'p': png = optarg; break;
        case 'q': cli_quiet = true; break;
        case 'b': backend = optarg; break;
        case 'c':
            if (strcmp(optarg, "real") && strcmp(optarg, "virtual")) {
                fprintf(stderr, "weft: --clock takes real or virtual, not '%s'\n", optarg);
                return EXIT_INPUT;
            }
            virtual_clock = !strcmp(optarg, "virtual");
            break;
        case 'w':
            if (!strchr(optarg, '=') || strchr(optarg, '=') == optarg || !strchr(optarg, '=')[1]) {
                fprintf(stderr, "weft: --sweep takes name=v1,v2,..., not '%s'\n", optarg);
                return EXIT_INPUT;
            }
            sweep = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "weft run: give exactly one scenario file\n");
        return EXIT_INPUT;
    }
    cli_overflow_hook();
    if (sweep) return run_sweep(argv[optind], out, sweep, defs, ndefs, seed, timeout, pftrace, backend, virtual_clock);
    const char *scn = argv[optind];
    diag d;
    diag_clear(&d);
    sim_program *prog;
    int rc = sim_parse_file(&prog, scn, defs, ndefs, &d);
    if (rc) { print_diag(scn, &d, rc); return exit_for(rc); }
    if (prog->nsweep) {
        /* the scenario sweeps a parameter itself: `sweep P = v1, v2` */
        char spec[4096];
        const sim_param *pa = &prog->params[prog->sweep_param];
        size_t l = (size_t)snprintf(spec, sizeof spec, "%s=", pa->name);
        for (uint32_t i = 0; i < prog->nsweep && l < sizeof spec; i++)
            l += (size_t)snprintf(spec + l, sizeof spec - l, "%s%lld%s", i ? "," : "", (long long)prog->sweep_values[i],
                                  pa->type == SIM_T_DUR ? "ns" : "");
        sim_program_free(prog);
        return run_sweep(scn, out, spec, defs, ndefs, seed, timeout, pftrace, backend, virtual_clock);
    }
    char *outp = out ? xstrdup(out) : replace_ext(strrchr(scn, '/') ? strrchr(scn, '/') + 1 : scn, ".weft");
    if (!cli_quiet)
        printf("running %s on %s: %u units, %u objects -> %s\n", prog->title, backend ? backend : prog->backend,
               prog->nunits, prog->nobjects, outp);
    fflush(stdout);

    catch_sigint(true);
    sim_result res;
    rc = sim_run(&res, prog, &(sim_desc){ .out_path = outp, .backend = backend, .seed = seed,
                                          .timeout_ns = (uint64_t)(timeout * 1e9), .interrupt = &interrupt_flag,
                                          .virtual_clock = virtual_clock }, &d);
    catch_sigint(false);
    if (rc) {
        print_diag(scn, &d, rc);
        sim_program_free(prog);
        free(outp);
        return exit_for(rc);
    }
    int status = 0;
    if (res.end_reason == TRC_END_ERROR && res.report[0]) print_run_error(prog, res.report);
    loaded l;
    if ((status = load_recording(&l, outp))) goto done;
    drop_error_report(&l, l.rec->nruns - 1);
    if (!cli_quiet) {
        char wall[32];
        fmt_dur(wall, sizeof wall, res.wall_ns);
        printf("recorded %llu events in %s of wall time%s\n\n", (unsigned long long)res.events, wall,
               res.lost ? " (some lost: see below)" : "");
        print_stats(&l);
    } else if (res.report[0] && res.end_reason != TRC_END_ERROR) {
        fputs(res.report, stderr);
    }
    if (pftrace) {
        if ((status = export_perfetto(&l, pftrace))) { free_loaded(&l); goto done; }
        if (!cli_quiet) printf("\nwrote the Perfetto trace to %s (open it in https://ui.perfetto.dev)\n", pftrace);
    }
    if (view || png) {
        bool window = view && has_display();
        char *auto_png = NULL;
        if (view && !window && !png) {
            auto_png = replace_ext(outp, ".png");
            if (!cli_quiet) printf("no display: rendering the timeline to a PNG instead of opening a window\n");
        }
        status = show(&l, window, png ? png : auto_png, -1, 0, 0);
        free(auto_png);
    }
    free_loaded(&l);
    if (!status) {
        bool expected_end = res.end_reason == TRC_END_OK;
        for (uint32_t i = 0; i < prog->nexpects; i++)
            if ((prog->expects[i].kind == SIM_X_DEADLOCK && res.end_reason == TRC_END_DEADLOCK) ||
                (prog->expects[i].kind == SIM_X_STUCK && res.end_reason == TRC_END_STUCK))
                expected_end = true;
        char across[4096] = "";
        uint32_t bad = sim_check_sweep(prog, UINT32_MAX, NULL, NULL, 0, across, sizeof across);
        if (res.expect_failed || bad) {
            fputs(res.expect_report, stderr);
            fputs(across, stderr);
            status = EXIT_FAILED;
        } else if (!expected_end) {
            fprintf(stderr, "weft: the run ended with %s (the recording is kept in %s)\n", trc_run_end_name(res.end_reason),
                    outp);
            status = EXIT_FAILED;
        } else if (prog->nexpects && !cli_quiet) {
            printf("\nall %u expectation(s) hold\n", prog->nexpects);
        }
    }
done:
    sim_program_free(prog);
    free(outp);
    return status;
}
