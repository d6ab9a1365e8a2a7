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

static int check_scenario(input *in, const sim_define *defs, uint32_t ndefs) {
    const char *path = in->path;
    char *text;
    size_t len;
    int rc = input_read_scenario(in, &text, &len);
    if (rc) return rc;
    diag d;
    diag_clear(&d);
    sim_program *p;
    rc = sim_parse_bytes(&p, path, text, len, defs, ndefs, &d);
    free(text);
    if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
    /* every construct has a meaning on every backend the scenario runs on */
    uint32_t bks[SIM_BACKEND__MAX];
    int nb = sim_backends_of(p, NULL, bks, &d);
    for (int b = 0; b < nb && !rc; b++) rc = sim_check_backend(p, bks[b], &d);
    if (!rc && p->backend_if) rc = sim_check_backend(p, p->backend_if_b, &d);   /* backend B if EXPR: B too */
    if (!rc && p->backend_if2) rc = sim_check_backend(p, p->backend_if2_b, &d);
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
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_check = {
    .name = "check", .args = "FILE|NAME", .fn = cmd_check, .opts = check_opts, .complete = "file:scn,weft scenario",
    .summary = "validate a scenario (.scn, with overrides) or a recording (.weft)",
    .description = "A scenario is parsed and checked (file:line:col, a caret and a hint on an error); a\n"
                   "recording is read whole and modelled (the byte offset of what is wrong): its lost events\n"
                   "and every repair they made the reader do are listed. Exit status 0 when valid, 2 otherwise.",
    .examples = "weft check my.scn -D items=0\n"
                "weft check run.weft",
};

int cmd_check(int argc, char **argv) {
    sim_define defs[SIM_MAX_PARAMS];
    uint32_t ndefs = 0;
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
    if (recording && ndefs) {
        fprintf(stderr, "weft check: -D applies to a scenario; %s is a recording\n", esc(path));
        rc = EXIT_INPUT;
    } else {
        rc = recording ? check_recording(&in) : check_scenario(&in, defs, ndefs);
    }
    input_close(&in);
    return rc;
}
