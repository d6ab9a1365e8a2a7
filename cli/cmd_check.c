/* weft check: validate a scenario or a recording. */
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
    if (argc != 2) { fprintf(stderr, "weft check: give one file (.scn or .weft)\n"); return EXIT_INPUT; }
    const char *path = argv[1];
    const char *ext = strrchr(path, '.');
    diag d;
    diag_clear(&d);
    if ((ext && !strcmp(ext, ".weft")) || looks_like_recording(path)) {
        trc_recording *rec;
        int rc = trc_recording_open(&rec, path, 0, &d);
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
