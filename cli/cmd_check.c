/* weft check: validate a scenario or a recording.
 *
 * The input is opened once and never re-read: a regular file is sniffed with
 * pread, anything else (a pipe, /dev/stdin, a device) is read as it comes,
 * bounded, and told apart by its first bytes. A recording is checked through
 * its model, so a file with gaps is reported (losses, repairs) but accepted;
 * a file cut short, or one that is not a recording, is an error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define WEFT_MAGIC "WEFTREC\n"
#define MAX_PIPED_RECORDING ((size_t)4 << 30)

static int check_recording(trc_recording *rec, const char *path) {
    int status = 0;
    uint64_t events = 0, lost = 0, flushes = 0, repairs = 0;
    uint64_t gaps = 0;
    for (uint32_t i = 0; i < rec->nruns; i++) {
        trc_model m;
        diag d;
        diag_clear(&d);
        events += rec->runs[i].nevents;
        int rc = trc_model_build(&m, &rec->runs[i], &d);
        if (rc) {
            fprintf(stderr, "weft: %s: run %u: %s\n", path, i + 1, d.msg);
            status = exit_for(rc);
            continue;
        }
        print_model_warnings(path, rec->nruns > 1 ? i + 1 : 0, &m, TRC_MAX_WARNINGS);
        lost += m.lost;
        repairs += m.warnings_total;
        for (uint32_t u = 0; u < rec->runs[i].nunits; u++) {
            gaps += m.units[u].ngaps;
            flushes += m.units[u].flushes;
            if (m.units[u].lost)
                printf("%s: run %u: %s lost %llu event(s) in %zu gap(s)%s\n", path, i + 1, rec->runs[i].units[u].name,
                       (unsigned long long)m.units[u].lost, m.units[u].ngaps,
                       m.units[u].unknown_end ? ", its end is unknown" : "");
        }
        trc_model_release(&m);
    }
    if (rec->truncated) {
        fprintf(stderr, "weft: %s: at byte %llu: %s; the %u run(s) before it are readable\n", path,
                (unsigned long long)rec->truncated_at, rec->truncated_why, rec->nruns);
        if (!status) status = EXIT_INPUT;
    }
    if (!status) {
        printf("%s: ok: %u run(s), %llu events", path, rec->nruns, (unsigned long long)events);
        if (lost) printf("; %llu events lost in %llu gap(s), shown as unknown", (unsigned long long)lost,
                         (unsigned long long)gaps);
        if (repairs) printf("; %llu repair(s), see the warnings", (unsigned long long)repairs);
        if (flushes) printf("; %llu wait(s) for the recorder", (unsigned long long)flushes);
        printf("\n");
    }
    trc_recording_free(rec);
    return status;
}

static int check_scenario_text(const char *path, const char *text, const sim_define *defs, uint32_t ndefs) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    int rc = sim_parse(&p, path, text, defs, ndefs, &d);
    if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
    printf("%s: ok: \"%s\", %u actor(s), %u unit(s), %u object(s), %u expectation(s)\n", path, p->title, p->nactors,
           p->nunits, p->nobjects, p->nexpects);
    sim_program_free(p);
    return 0;
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
    bool weft_ext = ext && !strcmp(ext, ".weft");
    diag d;
    diag_clear(&d);
    struct stat st;
    int fd = file_open_read(path, &st, &d);
    if (fd < 0) { print_diag(path, &d, fd); return exit_for(fd); }
    char head[8] = { 0 };
    if (S_ISREG(st.st_mode) || weft_ext) {
        bool rec = weft_ext;
        if (!rec && S_ISREG(st.st_mode)) rec = pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
                                                 !memcmp(head, WEFT_MAGIC, sizeof head);
        close(fd);
        if (rec && ndefs) {
            fprintf(stderr, "weft check: -D applies to a scenario; %s is a recording\n", path);
            return EXIT_INPUT;
        }
        if (rec) {
            trc_recording *r;
            int rc = trc_recording_open(&r, path, 0, &d);
            if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
            return check_recording(r, path);
        }
        char *text;
        int rc = file_read_max(path, SIM_MAX_SOURCE, true, &text, NULL, &d);
        if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
        rc = check_scenario_text(path, text, defs, ndefs);
        free(text);
        return rc;
    }
    if (isatty(fd)) {
        close(fd);
        fprintf(stderr, "weft: %s: is a terminal: give a file, or pipe one in\n", path);
        return EXIT_INPUT;
    }
    /* a pipe or a device: read it once; its first bytes say what it is */
    long k = file_read_full(fd, head, sizeof head);
    if (k < 0) {
        fprintf(stderr, "weft: %s: cannot read: %s\n", path, strerror(errno));
        close(fd);
        return EXIT_IO;
    }
    bool rec = k == (long)sizeof head && !memcmp(head, WEFT_MAGIC, sizeof head);
    char *rest = NULL;
    size_t nrest = 0;
    int rc = k > 0 && !rec && memchr(head, 0, (size_t)k)
                 ? diag_set(&d, ERR_SCENARIO, "byte %zu is a NUL byte: this is neither a scenario nor a recording",
                            (size_t)((char *)memchr(head, 0, (size_t)k) - head))
                 : file_read_fd(fd, path, (rec ? MAX_PIPED_RECORDING : SIM_MAX_SOURCE) - (size_t)k, !rec, &rest, &nrest,
                                &d);
    close(fd);
    if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
    char *all = xmalloc((size_t)k + nrest + 1);
    memcpy(all, head, (size_t)k);
    memcpy(all + k, rest, nrest);
    all[(size_t)k + nrest] = 0;
    free(rest);
    if (rec && ndefs) {
        free(all);
        fprintf(stderr, "weft check: -D applies to a scenario; %s is a recording\n", path);
        return EXIT_INPUT;
    }
    if (rec) {
        trc_recording *r;
        rc = trc_recording_load_mem(&r, all, (size_t)k + nrest, path, &d);
        free(all);
        if (rc) { print_diag(path, &d, rc); return exit_for(rc); }
        return check_recording(r, path);
    }
    rc = check_scenario_text(path, all, defs, ndefs);
    free(all);
    return rc;
}
