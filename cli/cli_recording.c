/* cli: loading a recording with its models, printing its stats, exporting it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* A file that failed as a recording at its first byte: a scenario (UTF-8 text)?
 * Only a regular file is read again (a FIFO cannot be). */
static bool looks_like_text(const char *path) {
    const char *ext = strrchr(path, '.');
    if (ext && !strcmp(ext, ".scn")) return true;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return false;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char b[512];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    n = utf8_cut(b, n);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_decode(b + i, n - i, &cp);
        if (!len || (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r')) return false;
        i += (size_t)len;
    }
    return true;
}

int load_recording(loaded *l, const char *path) {
    diag d;
    diag_clear(&d);
    memset(l, 0, sizeof *l);
    int rc = trc_recording_load(&l->rec, path, &d);
    if (rc) {
        if (rc == -ERR_FORMAT && d.has_offset && d.offset == 0 && looks_like_text(path)) {
            const char *ext = strrchr(path, '.');
            if (!ext || strcmp(ext, ".weft")) {
                fprintf(stderr, "weft: %s: this is a scenario, not a recording: run it first with weft run %s\n", path,
                        path);
                return EXIT_INPUT;
            }
            /* named like a recording: say what is wrong with it, and what it may be */
            if (!d.hint[0]) snprintf(d.hint, sizeof d.hint, "it is text: if it is a scenario, run it first with weft run %s", path);
        }
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
    if (l->rec->nruns > 1) {   /* the runs side by side first (backends, sweep values) */
        buf b = { 0 };
        trc_stats_runs_text(&b, l->models, l->rec->nruns);
        fwrite(b.p, 1, b.n, stdout);
        buf_release(&b);
    }
    for (uint32_t i = 0; i < l->rec->nruns; i++) {
        buf b = { 0 };
        trc_stats_text(&b, &l->models[i]);
        fwrite(b.p, 1, b.n, stdout);
        buf_release(&b);
        if (i + 1 < l->rec->nruns) fputc('\n', stdout);
    }
}
