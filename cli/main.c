/* weft: the command. The only place that talks to people.
 *
 * Exit codes: 0 success; 1 the run failed an expectation or did not end as
 * expected (deadlock, stuck, timeout); 2 bad input or usage; 3 i/o or runtime
 * failure. */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim.h"
#include "traces/trc.h"
#ifdef WEFT_HAVE_GUI
#include "render/rdr.h"
#endif

#define EXIT_FAILED 1
#define EXIT_INPUT 2
#define EXIT_IO 3

static bool quiet;

/* ---- printing diagnostics ---------------------------------------------- */

static void print_diag(const char *what, const diag *d, int code) {
    if (d->line > 0) {
        fprintf(stderr, "%s:%d:%d: error: %s\n", d->file, d->line, d->col, d->msg);
        if (d->snippet[0]) {
            fprintf(stderr, "  %s\n  ", d->snippet);
            for (int i = 1; i < d->col; i++) fputc(' ', stderr);
            fprintf(stderr, "^\n");
        }
    } else if (d->has_offset) {
        fprintf(stderr, "weft: %s: at byte %llu: %s\n", what, (unsigned long long)d->offset, d->msg);
    } else if (d->file[0]) {
        fprintf(stderr, "weft: %s: %s\n", d->file, d->msg[0] ? d->msg : err_str(code));
    } else {
        fprintf(stderr, "weft: %s%s%s\n", what ? what : "", what ? ": " : "", d->msg[0] ? d->msg : err_str(code));
    }
    if (d->hint[0]) fprintf(stderr, "hint: %s\n", d->hint);
}

static int exit_for(int rc) {
    switch (-rc) {
    case ERR_SCENARIO: case ERR_USAGE: case ERR_LIMIT: case ERR_FORMAT: case ERR_VERSION: case ERR_UNSUPPORTED:
        return EXIT_INPUT;
    default: return EXIT_IO;
    }
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: weft <command> [options]\n"
            "\n"
            "  run S.scn [-o out.weft] [-D name=value]... [--sweep name=v1,v2,...] [--seed N]\n"
            "            [--timeout SECONDS]\n"
            "            [--export out.pftrace] [--view] [--png out.png] [--quiet]\n"
            "                      run a scenario on real threads and record it\n"
            "  view A.weft [--at FRACTION] [--screenshot out.png] [--size WxH]\n"
            "                      animate a recording in a window (or render a PNG)\n"
            "  export A.weft -o out.pftrace\n"
            "                      write a Perfetto trace (open it in ui.perfetto.dev)\n"
            "  stats A.weft [--json]  makespan, time per state and waits per unit and object\n"
            "  check FILE          validate a scenario (.scn) or a recording (.weft)\n"
            "  list                the bundled scenarios\n"
            "\n"
            "See README.md and scenarios/README.md.\n");
}

/* ---- shared helpers ---------------------------------------------------- */

typedef struct loaded { trc_recording *rec; trc_model *models; } loaded;

static int load_recording(loaded *l, const char *path) {
    diag d;
    diag_clear(&d);
    memset(l, 0, sizeof *l);
    int rc = trc_recording_load(&l->rec, path, &d);
    if (rc) {
        print_diag(path, &d, rc);
        return exit_for(rc);
    }
    if (l->rec->truncated)
        fprintf(stderr, "weft: %s: warning: recording cut short at byte %llu (%s); showing what came before\n", path,
                (unsigned long long)l->rec->truncated_at, l->rec->truncated_why);
    l->models = xcalloc(l->rec->nruns ? l->rec->nruns : 1, sizeof *l->models);
    for (uint32_t i = 0; i < l->rec->nruns; i++) {
        rc = trc_model_build(&l->models[i], &l->rec->runs[i], &d);
        if (rc) {
            fprintf(stderr, "weft: %s: run %u: %s\n", path, i + 1, d.msg);
            for (uint32_t k = 0; k < i; k++) trc_model_release(&l->models[k]);
            free(l->models);
            trc_recording_free(l->rec);
            return EXIT_INPUT;
        }
    }
    return 0;
}

static void free_loaded(loaded *l) {
    if (!l->rec) return;
    for (uint32_t i = 0; i < l->rec->nruns; i++) trc_model_release(&l->models[i]);
    free(l->models);
    trc_recording_free(l->rec);
}

static int export_perfetto(const loaded *l, const char *out) {
    FILE *f = fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "weft: cannot write '%s': %s\n", out, strerror(errno));
        return EXIT_IO;
    }
    diag d;
    diag_clear(&d);
    int rc = trc_export_perfetto(f, l->rec, l->models, &d);
    if (fclose(f) != 0 && !rc) rc = diag_set(&d, ERR_IO, "cannot finish writing '%s': %s", out, strerror(errno));
    if (rc) {
        print_diag(out, &d, rc);
        return exit_for(rc);
    }
    return 0;
}

static void print_stats(const loaded *l) {
    for (uint32_t i = 0; i < l->rec->nruns; i++) {
        buf b = { 0 };
        trc_stats_text(&b, &l->models[i]);
        fwrite(b.p, 1, b.n, stdout);
        buf_release(&b);
        if (i + 1 < l->rec->nruns) fputc('\n', stdout);
    }
}

static bool has_display(void) {
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    const char *drv = getenv("SDL_VIDEODRIVER");
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen"))) return false;
    return (x && *x) || (w && *w);
}

static int show(const loaded *l, bool window, const char *png, double at, int width, int height) {
#ifdef WEFT_HAVE_GUI
    rdr_view_desc vd = { .rec = l->rec, .models = l->models, .nmodels = l->rec->nruns, .width = width,
                         .height = height, .at = at };
    diag d;
    diag_clear(&d);
    if (png) {
        int rc = rdr_screenshot(&vd, png, &d);
        if (rc) { print_diag(png, &d, rc); return exit_for(rc); }
        if (!quiet) printf("wrote the timeline to %s\n", png);
    }
    if (window) {
        int rc = rdr_view_run(&vd, &d);
        if (rc) { print_diag("view", &d, rc); return exit_for(rc); }
    }
    return 0;
#else
    (void)l; (void)at; (void)width; (void)height;
    if (window || png) {
        fprintf(stderr, "weft: this weft was built without the viewer (WEFT_GUI=OFF)\n");
        return EXIT_IO;
    }
    return 0;
#endif
}

static char *replace_ext(const char *path, const char *ext) {
    size_t n = strlen(path);
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) n = (size_t)(dot - path);
    char *s = xmalloc(n + strlen(ext) + 1);
    memcpy(s, path, n);
    strcpy(s + n, ext);
    return s;
}

static _Atomic int interrupt_flag;
static void on_sigint(int sig) {
    (void)sig;
    atomic_store(&interrupt_flag, 1);
}

/* Ctrl-C during a run raises the interrupt flag the runtime polls. */
static void catch_sigint(bool on) {
    struct sigaction sa = { 0 };
    sa.sa_handler = on ? on_sigint : SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
}

/* ---- run --------------------------------------------------------------- */

/* --sweep name=v1,v2,...: one run per value, all into one recording. */
static int run_sweep(const char *scn, const char *out, char *sweep, sim_define *defs, uint32_t ndefs, uint64_t seed,
                     double timeout, const char *pftrace) {
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
        defs[ndefs] = (sim_define){ name, v };
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
        if (!quiet) printf("run %u of %u: %s=%s\n", i + 1, n, name, vals[i]);
        fflush(stdout);
        sim_result res;
        int rc = sim_run(&res, progs[i], &(sim_desc){ .writer = w, .seed = seed, .timeout_ns = (uint64_t)(timeout * 1e9),
                                                       .interrupt = &interrupt_flag }, &d);
        if (rc) { print_diag(scn, &d, rc); status = exit_for(rc); break; }
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
            if (!quiet) { putchar('\n'); print_stats(&l); }
            if (pftrace && !(status = export_perfetto(&l, pftrace)) && !quiet)
                printf("\nwrote the Perfetto trace to %s\n", pftrace);
            free_loaded(&l);
        }
        if (!status && !quiet) printf("\n%u runs recorded in %s\n", n, outp);
        if (!status && failed) status = EXIT_FAILED;
    }
    free(outp);
    return status;
}

static int cmd_run(int argc, char **argv) {
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
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
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
            defs[ndefs++] = (sim_define){ optarg, eq + 1 };
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
        case 'q': quiet = true; break;
        case 'b': backend = optarg; break;
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
    if (sweep) return run_sweep(argv[optind], out, sweep, defs, ndefs, seed, timeout, pftrace);
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
        return run_sweep(scn, out, spec, defs, ndefs, seed, timeout, pftrace);
    }
    char *outp = out ? xstrdup(out) : replace_ext(strrchr(scn, '/') ? strrchr(scn, '/') + 1 : scn, ".weft");
    if (!quiet)
        printf("running %s on %s: %u units, %u objects -> %s\n", prog->title, backend ? backend : prog->backend,
               prog->nunits, prog->nobjects, outp);
    fflush(stdout);

    catch_sigint(true);
    sim_result res;
    rc = sim_run(&res, prog, &(sim_desc){ .out_path = outp, .backend = backend, .seed = seed,
                                          .timeout_ns = (uint64_t)(timeout * 1e9), .interrupt = &interrupt_flag }, &d);
    catch_sigint(false);
    if (rc) {
        print_diag(scn, &d, rc);
        sim_program_free(prog);
        free(outp);
        return exit_for(rc);
    }
    int status = 0;
    loaded l;
    if ((status = load_recording(&l, outp))) goto done;
    if (!quiet) {
        char wall[32];
        fmt_dur(wall, sizeof wall, res.wall_ns);
        printf("recorded %llu events in %s of wall time%s\n\n", (unsigned long long)res.events, wall,
               res.lost ? " (some lost: see below)" : "");
        print_stats(&l);
    } else if (res.report[0]) {
        fputs(res.report, stderr);
    }
    if (pftrace) {
        if ((status = export_perfetto(&l, pftrace))) { free_loaded(&l); goto done; }
        if (!quiet) printf("\nwrote the Perfetto trace to %s (open it in https://ui.perfetto.dev)\n", pftrace);
    }
    if (view || png) {
        bool window = view && has_display();
        char *auto_png = NULL;
        if (view && !window && !png) {
            auto_png = replace_ext(outp, ".png");
            if (!quiet) printf("no display: rendering the timeline to a PNG instead of opening a window\n");
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
        } else if (prog->nexpects && !quiet) {
            printf("\nall %u expectation(s) hold\n", prog->nexpects);
        }
    }
done:
    sim_program_free(prog);
    free(outp);
    return status;
}

/* ---- other commands ------------------------------------------------------ */

static int cmd_view(int argc, char **argv) {
    const char *png = NULL;
    double at = -1;
    int width = 0, height = 0;
    static const struct option opts[] = { { "at", required_argument, 0, 'a' }, { "screenshot", required_argument, 0, 's' },
                                          { "size", required_argument, 0, 'z' }, { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': {
            char *end;
            at = strtod(optarg, &end);
            if (*end == '%') { at /= 100; end++; }
            if (*end || at < 0 || at > 1) { fprintf(stderr, "weft view: --at takes 0..1 or 0%%..100%%, not '%s'\n", optarg); return EXIT_INPUT; }
            break;
        }
        case 's': png = optarg; break;
        case 'z':
            if (sscanf(optarg, "%dx%d", &width, &height) != 2 || width < 200 || height < 150 || width > 8192 || height > 8192) {
                fprintf(stderr, "weft view: --size takes WxH between 200x150 and 8192x8192, not '%s'\n", optarg);
                return EXIT_INPUT;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft view: give one recording\n"); return EXIT_INPUT; }
    loaded l;
    int rc = load_recording(&l, argv[optind]);
    if (rc) return rc;
    bool window = !png;
    if (window && !has_display()) {
        fprintf(stderr, "weft view: no display (DISPLAY is not set); use --screenshot out.png\n");
        free_loaded(&l);
        return EXIT_IO;
    }
    rc = show(&l, window, png, at, width, height);
    free_loaded(&l);
    return rc;
}

static int cmd_export(int argc, char **argv) {
    const char *out = NULL, *format = "perfetto";
    static const struct option opts[] = { { "output", required_argument, 0, 'o' }, { "format", required_argument, 0, 'f' },
                                          { 0, 0, 0, 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "o:f:", opts, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'f') format = optarg;
        else { usage(stderr); return EXIT_INPUT; }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft export: give one recording\n"); return EXIT_INPUT; }
    if (strcmp(format, "perfetto")) {
        fprintf(stderr, "weft export: unknown format '%s' (this version writes: perfetto)\n", format);
        return EXIT_INPUT;
    }
    char *outp = out ? xstrdup(out) : replace_ext(argv[optind], ".pftrace");
    loaded l;
    int rc = load_recording(&l, argv[optind]);
    if (!rc) {
        rc = export_perfetto(&l, outp);
        if (!rc && !quiet) printf("wrote %s\n", outp);
        free_loaded(&l);
    }
    free(outp);
    return rc;
}

static int cmd_stats(int argc, char **argv) {
    bool json = false;
    int i = 1;
    const char *path = NULL;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = true;
        else if (!path) path = argv[i];
        else { fprintf(stderr, "weft stats: give one recording\n"); return EXIT_INPUT; }
    }
    if (!path) { fprintf(stderr, "weft stats: give one recording\n"); return EXIT_INPUT; }
    loaded l;
    int rc = load_recording(&l, path);
    if (rc) return rc;
    if (json) {
        buf b = { 0 };
        trc_stats_json(&b, l.models, l.rec->nruns);
        fwrite(b.p, 1, b.n, stdout);
        buf_release(&b);
    } else {
        print_stats(&l);
    }
    free_loaded(&l);
    return 0;
}

static bool looks_like_recording(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char m[4] = { 0 };
    size_t n = fread(m, 1, 4, f);
    fclose(f);
    return n == 4 && !memcmp(m, "WEFT", 4);
}

static int cmd_check(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "weft check: give one file (.scn or .weft)\n"); return EXIT_INPUT; }
    const char *path = argv[1];
    const char *ext = strrchr(path, '.');
    diag d;
    diag_clear(&d);
    if ((ext && !strcmp(ext, ".weft")) || looks_like_recording(path)) {
        trc_recording *rec;
        int rc = trc_recording_load(&rec, path, &d);
        if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
        int status = 0;
        uint64_t events = 0;
        for (uint32_t i = 0; i < rec->nruns; i++) {
            trc_model m;
            events += rec->runs[i].nevents;
            if (trc_model_build(&m, &rec->runs[i], &d)) {
                fprintf(stderr, "weft: %s: run %u: %s\n", path, i + 1, d.msg);
                status = EXIT_INPUT;
            } else {
                trc_model_release(&m);
            }
        }
        if (rec->truncated) {
            fprintf(stderr, "weft: %s: at byte %llu: %s; the %u run(s) before it are readable\n", path,
                    (unsigned long long)rec->truncated_at, rec->truncated_why, rec->nruns);
            status = EXIT_INPUT;
        }
        if (!status)
            printf("%s: ok: %u run(s), %llu events\n", path, rec->nruns, (unsigned long long)events);
        trc_recording_free(rec);
        return status;
    }
    sim_program *p;
    int rc = sim_parse_file(&p, path, NULL, 0, &d);
    if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
    printf("%s: ok: \"%s\", %u actor(s), %u unit(s), %u object(s), %u expectation(s)\n", path, p->title, p->nactors,
           p->nunits, p->nobjects, p->nexpects);
    sim_program_free(p);
    return 0;
}

static const char *scenario_dir(char *out, size_t cap) {
    const char *env = getenv("WEFT_SCENARIOS");
    if (env && *env) return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *s = strrchr(exe, '/');
        if (s) *s = 0;
        const char *cands[] = { "/../scenarios", "/../../scenarios", "/../share/weft/scenarios", "/scenarios" };
        for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
            snprintf(out, cap, "%s%s", exe, cands[i]);
            struct stat st;
            char probe[4200];
            snprintf(probe, sizeof probe, "%s/producer_consumer.scn", out);
            if (stat(probe, &st) == 0) return out;
        }
    }
    return "scenarios";
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmd_list(int argc, char **argv) {
    char buf_dir[4096];
    const char *dir = scenario_dir(buf_dir, sizeof buf_dir);
    DIR *dp = opendir(dir);
    if (!dp) { fprintf(stderr, "weft list: cannot open %s: %s\n", dir, strerror(errno)); return EXIT_IO; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".scn")) ARR_PUSH(names, n, cap, xstrdup(de->d_name));
    }
    closedir(dp);
    qsort(names, n, sizeof *names, cmp_str);
    int width = 0;
    for (size_t i = 0; i < n; i++) width = (int)strlen(names[i]) > width ? (int)strlen(names[i]) : width;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        diag d;
        sim_program *p;
        if (sim_parse_file(&p, path, NULL, 0, &d) == 0) {
            printf("%-*s  %s\n", width, names[i], p->title);
            sim_program_free(p);
        } else {
            printf("%-*s  (does not parse: %s)\n", width, names[i], d.msg);
        }
        free(names[i]);
    }
    free(names);
    (void)argc;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return EXIT_INPUT; }
    const char *cmd = argv[1];
    argv++;
    argc--;
    if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
    if (!strcmp(cmd, "view")) return cmd_view(argc, argv);
    if (!strcmp(cmd, "export")) return cmd_export(argc, argv);
    if (!strcmp(cmd, "stats")) return cmd_stats(argc, argv);
    if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
    if (!strcmp(cmd, "list")) return cmd_list(argc, argv);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) { usage(stdout); return 0; }
    if (!strcmp(cmd, "--version")) { printf("weft 0.1.0\n"); return 0; }
    fprintf(stderr, "weft: '%s' is not a weft command\n", cmd);
    usage(stderr);
    return EXIT_INPUT;
}
