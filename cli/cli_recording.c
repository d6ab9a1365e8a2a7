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

/* The recording alone (no model yet): 0 or an exit status (printed). */
static int load_recording_file(loaded *l, input *in) {
    const char *path = in->path;
    diag d;
    diag_clear(&d);
    memset(l, 0, sizeof *l);
    int rc = input_load_recording(in, &l->rec, &d);
    if (rc) {
        if (rc == -ERR_FORMAT && d.has_offset && d.offset == 0 && looks_like_text(path)) {
            const char *ext = strrchr(path, '.');
            if (!ext || strcmp(ext, ".weft")) {
                fprintf(stderr, "weft: %s: this is a scenario, not a recording: run it first with weft run %s\n", esc(path),
                        esc(path));
                return EXIT_INPUT;
            }
            /* named like a recording: say what is wrong with it, and what it may be */
            if (!d.hint[0]) snprintf(d.hint, sizeof d.hint, "it is text: if it is a scenario, run it first with weft run %s", path);
        }
        print_diag(path, &d, rc);
        return exit_for(rc);
    }
    if (l->rec->truncated)
        fprintf(stderr, "weft: %s: warning: recording cut short at byte %llu (%s); showing what came before\n", esc(path),
                (unsigned long long)l->rec->truncated_at, esc(l->rec->truncated_why));
    return 0;
}

int load_recording_from(loaded *l, input *in) {
    const char *path = in->path;
    diag d;
    diag_clear(&d);
    int rc = load_recording_file(l, in);
    if (rc) return rc;
    l->models = xcalloc(l->rec->nruns ? l->rec->nruns : 1, sizeof *l->models);
    for (uint32_t i = 0; i < l->rec->nruns; i++) {
        rc = trc_model_build(&l->models[i], &l->rec->runs[i], &d);
        if (rc) {
            fprintf(stderr, "weft: %s: run %u: %s\n", esc(path), i + 1, esc(d.msg));
            for (uint32_t k = 0; k < i; k++) trc_model_release(&l->models[k]);
            free(l->models);
            trc_recording_free(l->rec);
            l->rec = NULL;
            l->models = NULL;
            return exit_for(rc);
        }
        print_model_warnings(path, l->rec->nruns > 1 ? i + 1 : 0, &l->models[i], 3);
    }
    return 0;
}

void print_model_warnings(const char *path, uint32_t run, const trc_model *m, size_t max) {
    if (!m->warnings_total) return;
    char where[32] = "";
    if (run) snprintf(where, sizeof where, "run %u: ", run);
    size_t n = m->nwarnings < max ? m->nwarnings : max;
    for (size_t k = 0; k < n; k++) {
        const trc_warning *w = &m->warnings[k];
        if (w->has_offset)
            fprintf(stderr, "weft: %s: %swarning: event %llu (byte %llu): %s\n", esc(path), where,
                    (unsigned long long)w->ev, (unsigned long long)w->offset, esc(w->msg));
        else
            fprintf(stderr, "weft: %s: %swarning: event %llu: %s\n", esc(path), where, (unsigned long long)w->ev,
                    esc(w->msg));
    }
    if (m->warnings_total > n)
        fprintf(stderr, "weft: %s: %s... and %llu more warning(s)%s\n", esc(path), where,
                (unsigned long long)(m->warnings_total - n), max < TRC_MAX_WARNINGS ? " (weft check lists them)" : "");
}

int load_recording(loaded *l, const char *path) {
    memset(l, 0, sizeof *l);
    input in;
    int rc = input_open(&in, path);
    if (!rc) rc = load_recording_from(l, &in);
    input_close(&in);
    return rc;
}

void free_loaded(loaded *l) {
    if (!l->rec) return;
    for (uint32_t i = 0; l->models && i < l->rec->nruns; i++) trc_model_release(&l->models[i]);
    free(l->models);
    trc_recording_free(l->rec);
    l->rec = NULL;
    l->models = NULL;
}

int export_perfetto(const loaded *l, output *o) {
    /* a file: written behind, by a thread, while the trace is encoded */
    FILE *f = o->direct ? fopen(o->tmp, "wb") : file_open_behind(o->tmp);
    if (!f) {
        fprintf(stderr, "weft: cannot write '%s': %s\n", esc(o->given), strerror(errno));
        return EXIT_IO;
    }
    diag d;
    diag_clear(&d);
    int rc = trc_export_perfetto(f, l->rec, l->models, &d);
    if (fclose(f) != 0 && !rc) rc = diag_set(&d, ERR_IO, "cannot finish writing '%s': %s", o->given, strerror(errno));
    if (rc) {
        output_fix_diag(o, &d);
        print_diag(o->given, &d, rc);
        return exit_for(rc);
    }
    return 0;
}

typedef struct warn_ctx { const char *path; uint32_t nruns; } warn_ctx;

static void warn_model(void *ctx, uint32_t r, const trc_model *m) {
    const warn_ctx *w = ctx;
    print_model_warnings(w->path, w->nruns > 1 ? r + 1 : 0, m, 3);
}

int export_perfetto_stream(input *in, output *o) {
    const char *path = in->path;
    loaded l;
    int rc = load_recording_file(&l, in);
    if (rc) return rc;
    FILE *f = o->direct ? fopen(o->tmp, "wb") : file_open_behind(o->tmp);
    if (!f) {
        fprintf(stderr, "weft: cannot write '%s': %s\n", esc(o->given), strerror(errno));
        free_loaded(&l);
        return EXIT_IO;
    }
    diag d;
    diag_clear(&d);
    warn_ctx w = { path, l.rec->nruns };
    uint32_t failed_run;
    rc = trc_export_perfetto_streamed(f, l.rec, warn_model, &w, &failed_run, &d);
    if (rc && failed_run != UINT32_MAX) fprintf(stderr, "weft: %s: run %u: %s\n", esc(path), failed_run + 1, esc(d.msg));
    if (fclose(f) != 0 && !rc) rc = diag_set(&d, ERR_IO, "cannot finish writing '%s': %s", o->given, strerror(errno));
    free_loaded(&l);
    if (rc && failed_run != UINT32_MAX) return exit_for(rc);
    if (rc) {
        output_fix_diag(o, &d);
        print_diag(o->given, &d, rc);
        return exit_for(rc);
    }
    return 0;
}

int export_other(const loaded *l, output *o, enum export_kind kind, bool scrub) {
    FILE *f = o->direct ? fopen(o->tmp, "wb") : file_open_behind(o->tmp);
    if (!f) {
        fprintf(stderr, "weft: cannot write '%s': %s\n", esc(o->given), strerror(errno));
        return EXIT_IO;
    }
    diag d;
    diag_clear(&d);
    bool prog = progress_wanted() && !o->direct;
    if (prog) progress_frac_begin("exporting");
    int rc = kind == EXPORT_JSON ? trc_export_json(f, l->rec, l->models, prog ? progress_frac : NULL, NULL, &d)
                                 : trc_export_text(f, l->rec, l->models, scrub, prog ? progress_frac : NULL, NULL, &d);
    progress_clear();
    if (fclose(f) != 0 && !rc) rc = diag_set(&d, ERR_IO, "cannot finish writing '%s': %s", o->given, strerror(errno));
    if (rc) {
        output_fix_diag(o, &d);
        print_diag(o->given, &d, rc);
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
        /* the table made from escaped names (a name cannot break its line), escaped again on the way out */
        arena a = { 0 };
        trc_model shown = l->models[i];
        shown.run = esc_run_copy(l->models[i].run, &a);
        buf b = { 0 };
        trc_stats_text(&b, &shown);
        esc_write(stdout, (const char *)b.p, b.n, ESC_TEXT);
        buf_release(&b);
        arena_release(&a);
        if (i + 1 < l->rec->nruns) fputc('\n', stdout);
    }
}
