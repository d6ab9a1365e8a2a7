/* weft check: validate a scenario or a recording. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static bool looks_like_recording(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char m[4] = { 0 };
    size_t n = fread(m, 1, 4, f);
    fclose(f);
    return n == 4 && !memcmp(m, "WEFT", 4);
}

int cmd_check(int argc, char **argv) {
    sim_define defs[SIM_MAX_PARAMS];
    uint32_t ndefs = 0;
    static const struct option opts[] = { { "define", required_argument, 0, 'D' }, { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "D:h", opts, NULL)) != -1) {
        switch (c) {
        case 'D': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) { fprintf(stderr, "weft: -D takes name=value, not '%s'\n", optarg); return EXIT_INPUT; }
            if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
            *eq = 0;
            defs[ndefs++] = (sim_define){ .name = optarg, .value = eq + 1 };
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft check: give one file (.scn or .weft)\n"); return EXIT_INPUT; }
    const char *path = argv[optind];
    const char *ext = strrchr(path, '.');
    diag d;
    diag_clear(&d);
    if ((ext && !strcmp(ext, ".weft")) || looks_like_recording(path)) {
        if (ndefs) {
            fprintf(stderr, "weft check: -D applies to a scenario; %s is a recording\n", path);
            return EXIT_INPUT;
        }
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
    int rc = sim_parse_file(&p, path, defs, ndefs, &d);
    if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
    if ((rc = sim_check_backend(p, p->backend, &d))) {   /* what means nothing on its backend */
        print_diag(path, &d, rc);
        sim_program_free(p);
        return exit_for(rc);
    }
    printf("%s: ok: \"%s\", %u actor(s), %u unit(s), %u object(s), %u expectation(s)\n", path, p->title, p->nactors,
           p->nunits, p->nobjects, p->nexpects);
    sim_program_free(p);
    return 0;
}
