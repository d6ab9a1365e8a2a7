/* cli: loading a recording with its models, printing its stats, exporting it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int load_recording(loaded *l, const char *path) {
    diag d;
    diag_clear(&d);
    memset(l, 0, sizeof *l);
    int rc = trc_recording_open(&l->rec, path, 0, &d);
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

void free_loaded(loaded *l) {
    if (!l->rec) return;
    for (uint32_t i = 0; i < l->rec->nruns; i++) trc_model_release(&l->models[i]);
    free(l->models);
    trc_recording_free(l->rec);
}

int export_perfetto(const loaded *l, const char *out) {
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

void print_stats(const loaded *l) {
    for (uint32_t i = 0; i < l->rec->nruns; i++) {
        buf b = { 0 };
        trc_stats_text(&b, &l->models[i]);
        fwrite(b.p, 1, b.n, stdout);
        buf_release(&b);
        if (i + 1 < l->rec->nruns) fputc('\n', stdout);
    }
}
