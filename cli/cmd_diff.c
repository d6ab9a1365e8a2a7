/* weft diff: two runs' figures side by side (traces/trc_diff.c), and
 * conditions on them for scripts (--fail-if). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

#define MAX_CONDS 32

static const cli_opt diff_opts[] = {
    { "runs", 'r', false, "I,J", "which runs: I of A against J of B (or of A when one recording is given)", NULL },
    { "fail-if", 'F', false, "COND", "exit 1 when COND holds, e.g. 'makespan > 1.2x' (repeatable)", NULL },
    { "json", 'j', false, NULL, "JSON (docs/schema/diff-1.json) instead of a table", NULL },
    { "changed", 'c', false, NULL, "only the figures that changed", NULL },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_diff = {
    .name = "diff", .args = "A.weft [B.weft]", .fn = cmd_diff, .opts = diff_opts, .complete = "file:weft",
    .summary = "two runs' figures side by side, with deltas and what changed most",
    .description = "Compares two runs: run 1 of A with run 1 of B (or every run of A with the same run of B\n"
                   "when both hold as many), two runs of one recording (--runs 1,2; a recording of exactly two\n"
                   "runs needs no --runs), or the runs --runs names. Figures are matched by name: the run's,\n"
                   "each unit's, each actor group's (units of one actor together, so 3 consumers compare with\n"
                   "5) and each object's; a few lines say what changed most.\n"
                   "\n"
                   "A figure is named by its path: a run figure (makespan, cpu, items_per_s, flush, lost,\n"
                   "waits, wait, wait_p95, and each state: running, compute, blocked, sleep, ...), or\n"
                   "SCOPE:NAME.FIGURE: object:jobs.wait_p95, object:lock.contention, group:consumer.blocked,\n"
                   "group:consumer.wait_on(jobs), unit:producer.0.cpu. weft diff --json lists every path.\n"
                   "\n"
                   "--fail-if FIGURE OP VALUE, OP one of > >= < <= == !=, VALUE one of:\n"
                   "  1.2x    the ratio B/A\n"
                   "  +20%    the relative change (B-A)/A in percent (-10% too)\n"
                   "  +5ms    the delta B-A (times take ns, us, ms or s; counts no unit)\n"
                   "  50ms    B's own value (a share as 90% or 0.9)\n"
                   "Several --fail-if may be given: the exit status is 1 when any holds (each one that holds\n"
                   "is printed on stderr), 0 when none does, 2 on bad input.",
    .examples = "weft diff before.weft after.weft\n"
                "weft diff sweep.weft --runs 1,3\n"
                "weft diff base.weft new.weft --fail-if 'makespan > 1.2x' --fail-if 'object:jobs.wait_p95 > +2ms'",
};

typedef struct side { loaded l; const char *path; bool open; } side;

static const char *label(char *out, size_t cap, const char *path, const trc_run *run, uint32_t i) {
    int n = snprintf(out, cap, "%s run %u: %s [%s]", path, i + 1, run->scenario, run->backend);
    for (uint32_t k = 0; k < run->nparams && n > 0 && (size_t)n < cap; k++)
        n += snprintf(out + n, cap - (size_t)n, " %s=%lld", run->params[k].name, (long long)run->params[k].value);
    return out;
}

static bool parse_runs(const char *s, uint32_t *i, uint32_t *j) {
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != ',' || a == 0 || a > UINT32_MAX) return false;
    const char *s2 = end + 1;
    unsigned long b = strtoul(s2, &end, 10);
    if (end == s2 || *end || b == 0 || b > UINT32_MAX) return false;
    *i = (uint32_t)a - 1;
    *j = (uint32_t)b - 1;
    return true;
}

int cmd_diff(int argc, char **argv) {
    bool json = false, changed = false, runs_given = false;
    uint32_t ri = 0, rj = 0;
    trc_cond conds[MAX_CONDS];
    size_t nconds = 0;
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_diff)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'c': changed = true; break;
        case 'r':
            if (!parse_runs(optarg, &ri, &rj)) {
                fprintf(stderr, "weft diff: --runs takes two run numbers I,J (from 1), not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            runs_given = true;
            break;
        case 'F': {
            if (nconds == MAX_CONDS) { fprintf(stderr, "weft diff: at most %d --fail-if\n", MAX_CONDS); return EXIT_INPUT; }
            diag d;
            diag_clear(&d);
            if (trc_cond_parse(&conds[nconds], optarg, &d)) {
                fprintf(stderr, "weft diff: --fail-if %s\n", esc(d.msg));
                return EXIT_INPUT;
            }
            nconds++;
            break;
        }
        case 'h': cli_help(stdout, &cli_cmd_diff); return 0;
        default: return EXIT_INPUT;
        }
    }
    int nfiles = argc - optind;
    if (nfiles < 1 || nfiles > 2) { fprintf(stderr, "weft diff: give one recording with --runs I,J, or two recordings\n"); return EXIT_INPUT; }
    side s[2] = { 0 };
    int rc = 0;
    for (int k = 0; k < nfiles && !rc; k++) {
        s[k].path = argv[optind + k];
        rc = load_recording(&s[k].l, s[k].path);
        s[k].open = !rc;
    }
    side *A = &s[0], *B = nfiles == 2 ? &s[1] : &s[0];
    uint32_t na = 0, nb = 0;
    if (!rc) { na = A->l.rec->nruns; nb = B->l.rec->nruns; }
    /* the pairs */
    uint32_t pa[64], pb[64];
    size_t np = 0;
    if (!rc) {
        if (runs_given) {
            if (ri >= na || rj >= nb) {
                if (nfiles == 2)
                    fprintf(stderr, "weft diff: --runs %u,%u: %s has %u run(s), %s has %u\n", ri + 1, rj + 1, esc(A->path), na,
                            esc(B->path), nb);
                else fprintf(stderr, "weft diff: --runs %u,%u: %s has %u run(s)\n", ri + 1, rj + 1, esc(A->path), na);
                rc = EXIT_INPUT;
            } else {
                pa[np] = ri;
                pb[np++] = rj;
            }
        } else if (nfiles == 1) {
            if (na != 2) {
                fprintf(stderr, "weft diff: %s has %u run(s): say which two with --runs I,J\n", esc(A->path), na);
                rc = EXIT_INPUT;
            } else {
                pa[np] = 0;
                pb[np++] = 1;
            }
        } else if (na == nb && na <= 64) {
            for (uint32_t i = 0; i < na; i++) { pa[np] = i; pb[np++] = i; }
        } else {
            fprintf(stderr, "weft diff: %s has %u run(s) and %s %u: say which with --runs I,J\n", esc(A->path), na,
                    esc(B->path), nb);
            rc = EXIT_INPUT;
        }
        if (!rc && !np) { fprintf(stderr, "weft diff: no runs to compare\n"); rc = EXIT_INPUT; }
    }
    trc_stats sa[64], sb[64];
    trc_diff df[64];
    const trc_diff *dfp[64];
    char la[64][512], lb[64][512];
    const char *lap[64], *lbp[64];
    bool hits[MAX_CONDS] = { 0 };
    size_t built = 0;
    for (size_t p = 0; p < np && !rc; p++) {
        trc_stats_build(&sa[p], &A->l.models[pa[p]]);
        trc_stats_build(&sb[p], &B->l.models[pb[p]]);
        trc_diff_build(&df[p], &sa[p], &sb[p]);
        built++;
        dfp[p] = &df[p];
        lap[p] = label(la[p], sizeof la[p], A->path, &A->l.rec->runs[pa[p]], pa[p]);
        lbp[p] = label(lb[p], sizeof lb[p], B->path, &B->l.rec->runs[pb[p]], pb[p]);
    }
    /* conditions, on every pair */
    bool any = false;
    for (size_t k = 0; k < nconds && !rc; k++) {
        for (size_t p = 0; p < built && !rc; p++) {
            bool hit;
            char why[512] = "";
            diag d;
            diag_clear(&d);
            if (trc_cond_eval(&conds[k], &df[p], &hit, why, sizeof why, &d)) {
                fprintf(stderr, "weft diff: %s\n", esc(d.msg));
                rc = EXIT_INPUT;
                break;
            }
            hits[k] |= hit;
            if (hit) fprintf(stderr, "weft diff: --fail-if %s\n", esc(why));
        }
        any |= hits[k];
    }
    if (!rc) {
        buf b = { 0 };
        if (json) {
            trc_diff_json(&b, dfp, lap, lbp, built, conds, hits, nconds);
            esc_write(stdout, (const char *)b.p, b.n, ESC_JSON);
        } else {
            for (size_t p = 0; p < built; p++) {
                if (p) buf_u8(&b, '\n');
                trc_diff_text(&b, &df[p], lap[p], lbp[p], changed);
            }
            esc_write(stdout, (const char *)b.p, b.n, ESC_TEXT);
        }
        buf_release(&b);
        if (any) rc = EXIT_FAILED;
    }
    for (size_t p = 0; p < built; p++) {
        trc_diff_release(&df[p]);
        trc_stats_release(&sa[p]);
        trc_stats_release(&sb[p]);
    }
    for (int k = 0; k < 2; k++)
        if (s[k].open) free_loaded(&s[k].l);
    return rc;
}
