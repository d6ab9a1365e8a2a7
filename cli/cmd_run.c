/* weft run: run a scenario (or a sweep of it, or on several backends) and record it.
 *
 * The scenario is read once (so a FIFO or /dev/stdin works) and parsed once
 * per run, every run before anything starts. Every output (the recording,
 * --export, --png, the PNG of --view without a display) is begun before the
 * first run, so a bad path fails at once, and is written atomically
 * (cli_output.c): a run that cannot be carried out leaves the file that was at
 * the output path as it was. A signal during a run ends it as `interrupted`:
 * the recording is finished and put in place, the expectations are not
 * checked (one line says so), and once its outputs are done weft ends with
 * that signal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

#define MAX_SWEEP 64

#define DEFAULT_MAX_EVENTS 20000000ull   /* 640 MB on disk, about as much to view: fits a small machine */

/* How to record: from the command line, else the scenario's `record` line, else the defaults. */
typedef struct rec_opts {
    int mode;                 /* -1 = not given */
    uint32_t ring;            /* 0 = not given */
    int64_t max_events;       /* -1 = not given */
    bool accept_losses;
} rec_opts;

static void rec_desc(const rec_opts *o, const sim_program *p, sim_desc *sd, bool *accept) {
    sd->record_mode = o->mode >= 0 ? (uint8_t)(o->mode + 1) : 0;   /* 0: the scenario's */
    sd->ring_events = o->ring;
    sd->max_events = o->max_events > 0 ? (uint64_t)o->max_events
                     : o->max_events == 0 ? UINT64_MAX
                     : p->record.max_events_said ? 0 : DEFAULT_MAX_EVENTS;
    *accept = o->accept_losses || p->record.accept_losses;
}

/* The mode a run was recorded in (for the advice after losses). */
static uint8_t rec_mode(const sim_program *p, const sim_desc *sd) { return sim_record_desc(p, sd).mode; }

/* Lost events: per unit, from the model. Returns the total. */
static uint64_t report_losses(const loaded *l, FILE *f) {
    uint64_t total = 0;
    for (uint32_t r = 0; r < l->rec->nruns; r++) {
        const trc_model *m = &l->models[r];
        if (!m->lost) continue;
        total += m->lost;
        if (l->rec->nruns > 1) fprintf(f, "run %u: ", r + 1);
        fprintf(f, "%llu events lost:", (unsigned long long)m->lost);
        for (uint32_t u = 0; u < m->run->nunits; u++)
            if (m->units[u].lost)
                fprintf(f, " %s %llu%s", esc(m->run->units[u].name), (unsigned long long)m->units[u].lost,
                        m->units[u].unknown_end ? " (end unknown)" : "");
        fputc('\n', f);
    }
    return total;
}

/* Exit status for losses: 0 when there were none or they are accepted. */
static int losses_status(const loaded *l, bool accept, uint8_t mode) {
    uint64_t lost = 0;
    for (uint32_t r = 0; r < l->rec->nruns; r++) lost += l->models[r].lost;
    if (!lost) return 0;
    FILE *f = accept ? stdout : stderr;
    if (!accept || !cli_quiet) {
        fputs(accept ? "\n" : "weft: ", f);
        report_losses(l, f);
    }
    if (accept) return 0;
    fprintf(stderr, "weft: the recording has gaps (shown as 'unknown'); %s, or accept them with --accept-losses "
                    "(or 'record accept_losses' in the scenario)\n",
            mode == TRC_REC_DROP ? "record without --record drop to make units wait for the recorder instead"
                                 : "events were dropped");
    return EXIT_FAILED;
}


/* What to run: one program, or one per value of a swept parameter; each on
 * every backend asked for (--backend a,b or the scenario's `backends`),
 * backends first: run k is backend k / n, value k % n. */
typedef struct plan {
    const char *scn;
    const char *name;              /* the swept parameter, NULL for a single value */
    uint32_t n;
    sim_program *progs[MAX_SWEEP];
    const char *vals[MAX_SWEEP];
    int param;                     /* the swept parameter's index in progs[0], -1 = none */
    uint32_t bks[SIM_BACKEND__MAX];
    uint32_t nb;                   /* backends */
    uint32_t total;                /* runs: nb * n */
    bool own;                      /* `backend B if EXPR`: each program runs on its own backend (nb is 1) */
} plan;

/* The backend of run k. */
static uint32_t run_backend(const plan *pl, uint32_t k) {
    if (pl->own) {
        const char *b = pl->progs[k % pl->n]->backend;
        return sim_backend_by_name(b, strlen(b));
    }
    return pl->bks[k / pl->n];
}

typedef struct opts {
    const char *out, *pftrace, *png, *backend;
    bool view;
    bool virtual_clock;            /* --clock virtual */
    bool no_perf;                  /* --no-perf: as if the kernel refused its context switches */
    uint64_t seed;
    double timeout;
    rec_opts ro;                   /* how to record (--record, --ring, --max-events, --accept-losses) */
} opts;

/* The outputs of a run: the recording, and what is made from it. */
typedef struct outs {
    output rec, trace, png;
    bool window;                   /* --view with a display */
    const char *png_given;         /* --png as given (not ours to free) */
} outs;

static void discard_all(outs *o) {
    output_discard(&o->rec);
    output_discard(&o->trace);
    output_discard(&o->png);
}

static int begin_outputs(outs *o, const input *in, const opts *op) {
    memset(o, 0, sizeof *o);
    o->rec.slot = o->trace.slot = o->png.slot = -1;
    const char *scn = in->path;
    char *recp = op->out ? xstrdup(op->out) : replace_ext(strrchr(scn, '/') ? strrchr(scn, '/') + 1 : scn, ".weft");
    o->window = op->view && has_display();
    char *auto_png = op->view && !o->window && !op->png ? replace_ext(recp, ".png") : NULL;
    const char *png = op->png ? op->png : auto_png;
    o->png_given = op->png;
    int rc = output_begin(&o->rec, recp, "recording");
    if (!rc) rc = output_not_input(&o->rec, in, "recording");
    if (!rc && o->rec.direct && (op->pftrace || png)) {
        fprintf(stderr, "weft: '%s' is not a regular file: the recording cannot be read back for %s\n",
                esc(o->rec.given), op->pftrace ? "--export" : "the PNG");
        rc = EXIT_INPUT;
    }
    if (!rc && op->pftrace) {
        rc = output_begin(&o->trace, op->pftrace, "Perfetto trace");
        o->trace.derived = true;
        if (!rc) rc = output_not_input(&o->trace, in, "Perfetto trace");
        if (!rc) rc = output_not_same(&o->trace, &o->rec);
    }
    if (!rc && png) {
        rc = output_begin(&o->png, png, "PNG");
        o->png.derived = true;
        if (!rc) rc = output_not_input(&o->png, in, "PNG");
        if (!rc) rc = output_not_same(&o->png, &o->rec);
        if (!rc) rc = output_not_same(&o->png, &o->trace);
    }
    if (rc) {
        output_release(&o->rec);
        output_release(&o->trace);
        output_release(&o->png);
        free(recp);
        free(auto_png);
    }
    return rc;
}

/* Frees the outputs and the names made for them (output.given points to them). */
static void release_outputs(outs *o) {
    char *recp = (char *)o->rec.given, *png = o->png.given && o->png.given != o->png_given ? (char *)o->png.given : NULL;
    output_release(&o->rec);
    output_release(&o->trace);
    output_release(&o->png);
    free(recp);
    free(png);
}

/* A run that ended with an error (division by zero at run time...): the error
 * goes to stderr like every other one, as "file:line:col: error: ..." with the
 * line and a caret when the runtime named a place in the scenario. */
static void print_run_error(const sim_program *prog, const char *report) {
    size_t plen = strlen(prog->path);
    int line = 0, col = 0, n = 0;
    fflush(stdout);
    if (!strncmp(report, prog->path, plen) && sscanf(report + plen, ":%d:%d: %n", &line, &col, &n) == 2 && n > 0 &&
        line > 0 && col > 0) {
        diag d;
        diag_clear(&d);
        sim_diag_at(&d, prog, line, col);
        snprintf(d.msg, sizeof d.msg, "%.*s", (int)strcspn(report + plen + n, "\n"), report + plen + n);
        print_diag(prog->path, &d, -ERR_RUNTIME);
        const char *rest = strchr(report, '\n');
        if (rest && rest[1]) esc_puts(stderr, rest + 1, ESC_TEXT);
    } else {
        fputs("weft: ", stderr);
        esc_puts(stderr, report, ESC_TEXT);
        if (!*report || report[strlen(report) - 1] != '\n') fputc('\n', stderr);
    }
}

/* The run's error is printed on stderr: the stats on stdout leave it out. */
static void drop_error_reports(loaded *l) {
    for (uint32_t i = 0; i < l->rec->nruns; i++)
        if (l->rec->runs[i].end_reason == TRC_END_ERROR) l->rec->runs[i].report = "";
}

/* The weft executable, for `start_method spawn` (its worker mode). */
static const char *self_exe(void) {
    static char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return NULL;
    path[n] = 0;
    return path;
}

/* The backends to run on, each checked (what every construct means there) with every program
 * of the plan before anything runs. */
static int plan_backends(plan *pl, const char *list, bool virtual_clock) {
    diag d;
    diag_clear(&d);
    int nb = sim_backends_of(pl->progs[0], list, pl->bks, &d);
    if (nb < 0) {
        fprintf(stderr, "weft: %s\n", esc(d.msg));
        return EXIT_INPUT;
    }
    pl->nb = (uint32_t)nb;
    pl->own = (!list || !*list) && pl->progs[0]->backend_if;   /* the runs' params pick their backends */
    if (pl->own) pl->nb = 1;
    pl->total = pl->nb * pl->n;
    for (uint32_t k = 0; k < pl->total; k++) {
        diag_clear(&d);
        const sim_program *p = pl->progs[k % pl->n];
        int rc = sim_check_backend(p, run_backend(pl, k), &d);
        if (!rc && virtual_clock && run_backend(pl, k) == SIM_BACKEND_PROCESSES) {
            /* said before anything runs, at the line that chose processes (it was said as run 2 began,
             * without a place) */
            sim_pos at = { 0 };
            if (pl->own) at = p->backend_if && p->backend_if_b == SIM_BACKEND_PROCESSES ? p->backend_if_pos : p->backend_if2_pos;
            else if (!list || !*list) at = p->backend_pos;
            rc = diag_set(&d, ERR_UNSUPPORTED, "backend 'processes' has no virtual clock in this version of weft (use "
                          "threads or coroutines, or the real clock)%s", !at.line && list && *list ? " (--backend)" : "");
            if (at.line) {
                snprintf(d.file, sizeof d.file, "%s", pl->scn);
                d.line = at.line;
                d.col = at.col;
            }
            if (pl->total > 1) {
                size_t l = strlen(d.msg);
                if (pl->name) snprintf(d.msg + l, sizeof d.msg - l, " (run %u of %u: %s=%s)", k + 1, pl->total, pl->name,
                                       pl->vals[k % pl->n]);
                else snprintf(d.msg + l, sizeof d.msg - l, " (run %u of %u)", k + 1, pl->total);
            }
        }
        if (rc) { print_diag(pl->scn, &d, rc); return exit_for(rc); }
    }
    return 0;
}

/* What each run of the plan varies: its backend, its value of the swept param. */
static void plan_keys(const plan *pl, sim_run_key *keys) {
    for (uint32_t k = 0; k < pl->total; k++) {
        const sim_program *p = pl->progs[k % pl->n];
        keys[k] = (sim_run_key){ .backend = run_backend(pl, k), .param = pl->param >= 0 ? (uint32_t)pl->param : UINT32_MAX,
                                 .value = pl->param >= 0 ? p->params[pl->param].value : 0 };
    }
}

/* Before anything is recorded: every [P=v] / [backend=B] of an expectation names one of the runs. */
static int plan_selectors(const plan *pl) {
    sim_run_key keys[MAX_SWEEP * SIM_BACKEND__MAX];
    plan_keys(pl, keys);
    diag d;
    diag_clear(&d);
    int rc = sim_check_selectors(pl->progs[0], keys, pl->total, &d);
    if (rc) { print_diag(pl->scn, &d, rc); return exit_for(rc); }
    return 0;
}

/* Parses the scenario once per swept value (every value checked before anything runs). */
static int make_plan(plan *pl, const char *scn, const char *text, size_t len, char *sweep, sim_define *defs,
                     uint32_t ndefs) {
    diag d;
    char *eq = strchr(sweep, '=');
    *eq = 0;
    pl->name = sweep;
    if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
    for (char *save = NULL, *v = strtok_r(eq + 1, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        if (pl->n == MAX_SWEEP) { fprintf(stderr, "weft: --sweep takes at most %d values\n", MAX_SWEEP); return EXIT_INPUT; }
        defs[ndefs] = (sim_define){ .name = pl->name, .value = v, .option = "--sweep" };
        diag_clear(&d);
        int rc = sim_parse_bytes(&pl->progs[pl->n], scn, text, len, defs, ndefs + 1, &d);
        if (rc) { print_diag(scn, &d, rc); return exit_for(rc); }
        pl->vals[pl->n++] = v;
    }
    if (!pl->n) { fprintf(stderr, "weft: --sweep %s= has no values\n", esc(pl->name)); return EXIT_INPUT; }
    for (uint32_t k = 0; k < pl->progs[0]->nparams; k++)
        if (!strcmp(pl->progs[0]->params[k].name, pl->name)) pl->param = (int)k;
    return 0;
}

/* Runs the plan into the recording's temporary file. ran: the runs recorded. */
static int record(const plan *pl, outs *o, const opts *op, sim_result *res, uint32_t *ran) {
    diag d;
    diag_clear(&d);
    trc_writer *w;
    if (trc_writer_open(&w, o->rec.tmp, &d)) {
        output_fix_diag(&o->rec, &d);
        print_diag(o->rec.given, &d, -ERR_IO);
        return EXIT_IO;
    }
    int status = 0;
    bool write_failed = false;
    *ran = 0;
    signals_run(true);   /* from here a signal ends the run, not weft */
    if (pl->total == 1 && !cli_quiet) {
        /* the units known before the run; the tasks a scenario creates are units too, counted as they start */
        const sim_program *p0 = pl->progs[0];
        printf("running %s on %s: %u unit%s%s, %u object%s -> %s\n", esc(p0->title), sim_backend_name(run_backend(pl, 0)),
               p0->nunits, p0->nunits == 1 ? "" : "s", !p0->ntasks ? "" : p0->nunits == 1 ? " and the tasks it creates" : " and the tasks they create", p0->nobjects,
               p0->nobjects == 1 ? "" : "s", esc(o->rec.given));
    }
    for (uint32_t k = 0; k < pl->total && !atomic_load(&interrupt_flag); k++) {
        uint32_t i = k % pl->n;
        const char *bn = sim_backend_name(run_backend(pl, k));
        if (pl->total > 1 && !cli_quiet) {
            if (pl->name && (pl->nb > 1 || pl->own)) printf("run %u of %u: %s, %s=%s\n", k + 1, pl->total, bn, esc(pl->name), esc(pl->vals[i]));
            else if (pl->name) printf("run %u of %u: %s=%s\n", k + 1, pl->total, esc(pl->name), esc(pl->vals[i]));
            else printf("run %u of %u: %s\n", k + 1, pl->total, bn);
        }
        fflush(stdout);
        sim_desc sd = { .writer = w, .backend = bn, .seed = op->seed, .virtual_clock = op->virtual_clock,
                        .timeout_ns = (uint64_t)(op->timeout * 1e9), .interrupt = &interrupt_flag,
                        .worker_exe = self_exe(), .no_perf = op->no_perf };
        bool accept;
        rec_desc(&op->ro, pl->progs[i], &sd, &accept);
        progress_run_begin(o->rec.tmp);
        int rc = sim_run(&res[k], pl->progs[i], &sd, &d);
        progress_run_end();
        if (rc) {
            output_fix_diag(&o->rec, &d);
            print_diag(pl->scn, &d, rc);
            status = exit_for(rc);
            /* the recording could not be written (a full disk): the run stopped at once; what was written is
             * kept, put in place like a run cut short */
            if (rc == -ERR_IO && res[k].wall_ns) write_failed = true;
            break;
        }
        (*ran)++;
        if (res[k].note[0] && !cli_quiet) {   /* said once per run: e.g. no context switches from the kernel */
            fputs("weft: note: ", stderr);
            esc_puts(stderr, res[k].note, ESC_TEXT);
            fputc('\n', stderr);
        }
        if (res[k].end_reason == TRC_END_ERROR && res[k].report[0]) print_run_error(pl->progs[i], res[k].report);
        fflush(stdout);
        esc_puts(stderr, res[k].warnings, ESC_TEXT);   /* errors the run survived, as Python prints them */
        if (pl->total > 1 && res[k].expect_failed && res[k].end_reason != TRC_END_INTERRUPTED) {
            /* each line says which run it is about: its backend (several), its value (a sweep) */
            char which[256];
            if (pl->name && (pl->nb > 1 || pl->own)) snprintf(which, sizeof which, "%s, %s=%s", bn, pl->name, pl->vals[i]);
            else if (pl->name) snprintf(which, sizeof which, "%s=%s", pl->name, pl->vals[i]);
            else snprintf(which, sizeof which, "%s", bn);
            for (const char *l = res[k].expect_report; *l;) {
                size_t len = strcspn(l, "\n");
                char line[1280];
                snprintf(line, sizeof line, "%.*s (run %u of %u: %s)\n", (int)(len < 900 ? len : 900), l, k + 1,
                         pl->total, which);
                esc_puts(stderr, line, ESC_TEXT);
                l += len + (l[len] == '\n');
            }
        }
    }
    diag cd;
    diag_clear(&cd);
    int crc = trc_writer_close(w, &cd);
    if (!status && crc) {
        output_fix_diag(&o->rec, &cd);
        print_diag(o->rec.given, &cd, crc);
        status = exit_for(crc);
    }
    if (!status && !*ran) {
        fprintf(stderr, "weft: interrupted by %s before the run began: nothing was recorded\n",
                signal_name(signals_caught()));
        status = EXIT_FAILED;
    }
    /* a run that could not be carried out: the file at the output path stays as it was */
    if (write_failed) {
        /* what was written is kept: in place, or beside an earlier recording, which a failed run never replaces */
        struct stat st;
        if (o->rec.direct || stat(o->rec.path, &st) != 0) {
            if (output_commit(&o->rec) == 0)
                fprintf(stderr, "weft: the run was stopped at the first failed write; %s keeps what was written before "
                                "it (it opens, cut short)\n", esc(o->rec.given));
        } else {
            char *partial = replace_ext(o->rec.path, ".partial.weft");
            if (output_commit_as(&o->rec, partial) == 0)
                fprintf(stderr, "weft: the run was stopped at the first failed write; what was written before it is kept "
                                "in %s (it opens, cut short; %s, the earlier recording, is unchanged)\n", esc(partial),
                        esc(o->rec.given));
            free(partial);
        }
        output_discard(&o->trace);
        output_discard(&o->png);
    } else if (status) {
        discard_all(o);
    } else {
        status = output_commit(&o->rec);
    }
    signals_run(false);   /* a signal from now on ends weft at once, outputs removed */
    return status;
}

/* Stats, the Perfetto trace and the PNG, from the recording read back; the
 * losses per unit (*loss_status: 0, or EXIT_FAILED when lost events were not
 * accepted). */
/* Each run's memory per unit, from its model (trc_mem), for the memory expectations; why it is
 * not known when it is not. */
static void runs_memory(sim_run_mem *mems, uint32_t n, const loaded *l, const opts *op, const plan *pl) {
    for (uint32_t i = 0; i < n; i++) {
        sim_run_mem *m = &mems[i];
        *m = (sim_run_mem){ .prog = pl->progs[i % pl->n] };
        const trc_mem *mm = l && i < l->rec->nruns ? &l->models[i].mem : NULL;
        if (!l) m->why = "the recording went straight to its output and was not read back";
        else if (!mm || !mm->nprocs)
            m->why = op->virtual_clock ? "a run on --clock virtual samples no memory (run on the real clock)"
                                       : "the run has no memory samples";
        else if (mm->unit_unknown) m->why = mm->unit_unknown;   /* no baseline, no unit, or one: n/a */
        else { m->known = true; m->resident = mm->unit_resident; m->virt = mm->unit_virt; }
    }
}

static int make_outputs(outs *o, const opts *op, const plan *pl, int *loss_status, sim_run_mem *mems) {
    *loss_status = 0;
    if (o->rec.direct) {
        runs_memory(mems, pl->total, NULL, op, pl);
        if (!cli_quiet) printf("(the recording went to %s: not read back for stats)\n", esc(o->rec.given));
        return 0;
    }
    loaded l;
    int status = load_recording(&l, o->rec.path);
    if (status) { discard_all(o); return status; }
    drop_error_reports(&l);
    runs_memory(mems, pl->total, &l, op, pl);
    if (!cli_quiet) print_stats(&l);
    {
        bool accept;
        sim_desc sd = { 0 };
        rec_desc(&op->ro, pl->progs[0], &sd, &accept);
        *loss_status = losses_status(&l, accept, rec_mode(pl->progs[0], &sd));
    }
    if (o->trace.path) {
        if ((status = export_perfetto(&l, &o->trace)) == 0) status = output_commit(&o->trace);
        if (!status && !cli_quiet)
            printf("\nwrote the Perfetto trace to %s (open it in https://ui.perfetto.dev)\n", esc(o->trace.given));
    }
    if (!status && (o->png.path || o->window)) {
        if (o->png.path && !o->window && !op->png && !cli_quiet)
            printf("no display: rendering the timeline to a PNG instead of opening a window\n");
        status = show(&l, o->window, o->png.path ? &o->png : NULL, -1, 0, 0);
        if (!status && o->png.path && (status = output_commit(&o->png)) == 0 && !cli_quiet)
            printf("wrote the timeline to %s\n", esc(o->png.given));
    }
    if (status) discard_all(o);
    free_loaded(&l);
    return status;
}

static void say_interrupted(const plan *pl, const outs *o, uint32_t ran, bool during) {
    const char *sig = signal_name(signals_caught());
    fflush(stdout);
    if (pl->total > 1 && during)
        fprintf(stderr, "weft: interrupted by %s during run %u of %u: its expectations and those across runs were "
                        "not checked\n", sig, ran, pl->total);
    else if (pl->total > 1)
        fprintf(stderr, "weft: interrupted by %s after run %u of %u: the expectations across runs were not checked\n",
                sig, ran, pl->total);
    else
        fprintf(stderr, "weft: interrupted by %s: the run was ended early and its expectations were not checked "
                        "(the recording is kept in %s)\n", sig, esc(o->rec.given));
}

/* Warns about the expectations none of the first `ran` runs checked (`on` backends
 * that did not run, an `if` that held for none); returns how many. */
static uint32_t say_unchecked(const plan *pl, uint32_t ran) {
    const sim_program *progs[MAX_SWEEP * SIM_BACKEND__MAX];
    uint32_t bks[MAX_SWEEP * SIM_BACKEND__MAX];
    for (uint32_t k = 0; k < ran; k++) {
        progs[k] = pl->progs[k % pl->n];
        bks[k] = run_backend(pl, k);
    }
    char report[4096] = "";
    uint32_t n = sim_expects_unchecked(progs, bks, ran, report, sizeof report);
    if (n) {
        fflush(stdout);
        esc_puts(stderr, report, ESC_TEXT);
    }
    return n;
}

/* Whether a run of prog on backend bk was meant to end with end: ok, or deadlock/stuck
 * that one of its expectations (on that backend, its `if` true) asks for. */
static bool end_expected(const sim_program *prog, unsigned bk, uint32_t end) {
    if (end == TRC_END_OK) return true;
    for (uint32_t i = 0; i < prog->nexpects; i++) {
        const sim_expect *x = &prog->expects[i];
        if (x->off || (x->on_backends && !(x->on_backends & (1u << bk))))
            continue;   /* `if` false for this run, or `on` other backends: it does not excuse the end */
        if ((x->kind == SIM_X_DEADLOCK && end == TRC_END_DEADLOCK) || (x->kind == SIM_X_STUCK && end == TRC_END_STUCK))
            return true;
    }
    return false;
}

/* The last line of a run whose expectations held. */
static void say_held(uint32_t nexpects, uint32_t unchecked) {
    if (!unchecked) printf("\nall %u expectation(s) hold\n", nexpects);
    else printf("\n%u expectation(s) hold, %u checked on no run (see above)\n", nexpects - unchecked, unchecked);
}

static int run_sweep(plan *pl, outs *o, const opts *op) {
    sim_result *res = xcalloc(pl->total, sizeof *res);
    uint32_t ran;
    int status = record(pl, o, op, res, &ran);
    uint32_t failed = 0, unchecked = 0;
    for (uint32_t i = 0; i < ran; i++) failed += res[i].end_reason != TRC_END_INTERRUPTED && res[i].expect_failed;
    /* a run that ended badly and that no expectation asked for fails the command, as a single run does
     * (a sweep whose runs deadlocked without `expect deadlock` exited 0) */
    for (uint32_t k = 0; k < ran; k++) {
        uint32_t end = res[k].end_reason;
        if (end == TRC_END_INTERRUPTED || res[k].expect_failed || end_expected(pl->progs[k % pl->n], run_backend(pl, k), end))
            continue;
        fflush(stdout);
        fprintf(stderr, "weft: run %u of %u (%s", k + 1, pl->total, sim_backend_name(run_backend(pl, k)));
        if (pl->name) fprintf(stderr, ", %s=%s", esc(pl->name), esc(pl->vals[k % pl->n]));
        fprintf(stderr, ") ended with %s\n", trc_run_end_name(end));
        failed++;
    }
    int loss_status = 0;
    sim_run_mem *mems = xcalloc(pl->total, sizeof *mems);
    if (!status) {
        if (!cli_quiet) putchar('\n');
        status = make_outputs(o, op, pl, &loss_status, mems);
    }
    bool during = ran && res[ran - 1].end_reason == TRC_END_INTERRUPTED;
    bool interrupted = signals_caught() || during;
    if (!status && ran == pl->total && !interrupted) {
        /* the expectations that compare the runs: makespan[P=v], makespan[backend=B] */
        sim_run_key keys[MAX_SWEEP * SIM_BACKEND__MAX];
        uint64_t makespans[MAX_SWEEP * SIM_BACKEND__MAX];
        plan_keys(pl, keys);
        for (uint32_t k = 0; k < ran; k++) makespans[k] = res[k].wall_ns;
        char report[4096] = "";
        uint32_t bad = sim_check_runs(pl->progs[0], keys, makespans, mems, ran, report, sizeof report);
        if (bad) { esc_puts(stderr, report, ESC_TEXT); failed += bad; }
        unchecked = say_unchecked(pl, ran);
    }
    if (!status && !cli_quiet) printf("\n%u run%s recorded in %s\n", ran, ran == 1 ? "" : "s", esc(o->rec.given));
    if (!status && interrupted) say_interrupted(pl, o, ran, during);
    if (!status && failed) status = EXIT_FAILED;
    else if (!status && !interrupted && ran == pl->total && pl->progs[0]->nexpects && !cli_quiet)
        say_held(pl->progs[0]->nexpects, unchecked);   /* as a single run ends */
    if (!status) status = loss_status;
    free(res);
    free(mems);
    return status;
}

static int run_once(plan *pl, outs *o, const opts *op) {
    const sim_program *prog = pl->progs[0];
    sim_result res;
    uint32_t ran;
    int status = record(pl, o, op, &res, &ran);
    if (status) return status;
    if (!cli_quiet) {
        char wall[32];
        fmt_dur(wall, sizeof wall, res.wall_ns);
        printf("recorded %llu events in %s of wall time", (unsigned long long)res.events, wall);
        if (res.flushes) {
            char fl[32];
            fmt_dur(fl, sizeof fl, res.flush_ns);
            printf("; units waited %s in all for the recorder (%llu full buffers: 'recorder flush' in the stats)", fl,
                   (unsigned long long)res.flushes);
        }
        if (res.lost) printf("; %llu lost (see below)", (unsigned long long)res.lost);
        printf("\n\n");
    } else if (res.report[0] && res.end_reason != TRC_END_ERROR) {
        esc_puts(stderr, res.report, ESC_TEXT);
    }
    int loss_status = 0;
    sim_run_mem mem;
    if ((status = make_outputs(o, op, pl, &loss_status, &mem))) return status;
    if (res.end_reason == TRC_END_INTERRUPTED) {
        say_interrupted(pl, o, 1, true);
        return 0;
    }
    bool expected_end = end_expected(prog, run_backend(pl, 0), res.end_reason);
    char across[4096] = "";
    sim_run_key key;
    plan_keys(pl, &key);
    uint32_t bad = sim_check_runs(prog, &key, &res.wall_ns, &mem, 1, across, sizeof across);
    fflush(stdout);
    if (res.expect_failed || bad) {
        esc_puts(stderr, res.expect_report, ESC_TEXT);
        esc_puts(stderr, across, ESC_TEXT);
        return EXIT_FAILED;
    }
    if (!expected_end) {
        fprintf(stderr, "weft: the run ended with %s (the recording is kept in %s)\n", trc_run_end_name(res.end_reason),
                esc(o->rec.given));
        return EXIT_FAILED;
    }
    uint32_t unchecked = say_unchecked(pl, 1);
    if (prog->nexpects && !cli_quiet) say_held(prog->nexpects, unchecked);
    return loss_status;
}

static const cli_opt run_opts[] = {
    { "output", 'o', true, "FILE", "where the recording goes (default: NAME.weft in this folder)", "file:weft" },
    { "define", 'D', true, "NAME=VALUE", "set a parameter of the scenario (repeatable)", NULL },
    { "sweep", 'w', false, "NAME=V1,V2,...", "one run per value of a parameter, all in one recording", NULL },
    { "backend", 'b', false, "NAME[,NAME]", "threads, processes, coroutines, or several: one run each, side by side in "
      "one recording (default: the scenario's; threads)", "threads processes coroutines threads,processes,coroutines" },
    { "gil", 'g', false, "on|off|on,off", "run with a Python-style GIL, without, or both: one run each in one recording "
      "(gil is a param: --sweep gil=on,off, -D switch_interval=1ms)", "on off on,off" },
    { "no-perf", 'n', false, NULL, "act as if the kernel refused its context switches (scheduling from CPU times and "
      "switch counts, said once)", NULL },
    { "seed", 's', false, "N", "the seed of random durations (default 1)", NULL },
    { "clock", 'c', false, "real|virtual",
      "virtual: a deterministic run on a virtual clock (the same seed gives the same events; sleeps take no real time)",
      "real virtual" },
    { "timeout", 't', false, "SECONDS", "end a run that takes longer (default 60)", NULL },
    { "export", 'e', false, "FILE", "also write a Perfetto trace", "file:pftrace" },
    { "view", 'v', false, NULL, "open the viewer after the run (a PNG without a display)", NULL },
    { "png", 'p', false, "FILE", "render the timeline to a PNG", "file:png" },
    { "quiet", 'q', true, NULL, "print only errors", NULL },
    { "record", 'R', false, "complete|drop", "complete (default): a full buffer waits for the recorder; drop: losses counted",
      "complete drop" },
    { "ring", 'G', false, "EVENTS", "each unit's buffer, in events (default 65536)", NULL },
    { "max-events", 'M', false, "N", "stop the run at N events (default 20000000; 0: no limit)", NULL },
    { "accept-losses", 'A', false, NULL, "with --record drop: a run that lost events does not fail", NULL },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_run = {
    .name = "run", .args = "S.scn|NAME", .fn = cmd_run, .opts = run_opts, .complete = "file:scn scenario",
    .summary = "run a scenario on real threads, processes or tasks on event loops and record it",
    .description = "Runs the scenario (a .scn file, or the name of a bundled scenario: see weft list) once, or once\n"
                   "per value of a swept parameter, records every state change into one .weft recording,\n"
                   "prints its stats and checks its expectations. On a terminal, a line on stderr shows the\n"
                   "run's elapsed time and events as it goes. Failed expectations, run-time errors and errors\n"
                   "the run survived (a thread that died, a future's error never retrieved) go to stderr.\n"
                   "\n"
                   "The recorder: with --record complete (the default) a unit whose buffer (--ring) is full\n"
                   "waits for the recorder, shown as the state 'recorder flush'; with --record drop it never\n"
                   "waits and counts what it drops (the run fails on losses unless --accept-losses). The run\n"
                   "stops at --max-events.\n"
                   "\n"
                   "Ctrl-C, SIGTERM or SIGHUP end a run cleanly: the recording is kept (end: interrupted),\n"
                   "the expectations are not checked, and weft then ends with that signal.\n"
                   "\n"
                   "Exit status: 0 all expectations hold; 1 one failed or the run ended badly (deadlock,\n"
                   "stuck, timeout); 2 bad input; 3 i/o failure.",
    .examples = "weft run producer_consumer                    # a bundled scenario by name\n"
                "weft run my.scn -o out/my.weft -D items=200   # a parameter overridden\n"
                "weft run my.scn --sweep consumers=1,2,4       # three runs in one recording\n"
                "weft run my.scn --export my.pftrace --view    # a Perfetto trace, then the viewer",
};

int cmd_run(int argc, char **argv) {
    opts op = { .seed = 1, .timeout = 60, .ro = { .mode = -1, .max_events = -1 } };
    sim_define defs[SIM_MAX_PARAMS];
    uint32_t ndefs = 0;
    char *sweep = NULL;
    char gil_sweep[128];
    bool gil_multi = false;
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_run)) != -1) {
        switch (c) {
        case 'o': op.out = optarg; break;
        case 'D': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) { fprintf(stderr, "weft: -D takes name=value, not '%s'\n", esc(optarg)); return EXIT_INPUT; }
            if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
            *eq = 0;
            defs[ndefs++] = (sim_define){ .name = optarg, .value = eq + 1 };
            break;
        }
        case 's': {
            char *end;
            errno = 0;
            op.seed = strtoull(optarg, &end, 0);
            if (errno || *end) { fprintf(stderr, "weft: --seed takes a number, not '%s'\n", esc(optarg)); return EXIT_INPUT; }
            break;
        }
        case 't': {
            char *end;
            op.timeout = strtod(optarg, &end);
            if (*end || !(op.timeout > 0) || op.timeout > 86400) {
                fprintf(stderr, "weft: --timeout takes seconds (0 < t <= 86400), not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            break;
        }
        case 'e': op.pftrace = optarg; break;
        case 'v': op.view = true; break;
        case 'p': op.png = optarg; break;
        case 'q': cli_quiet = true; break;
        case 'b': op.backend = optarg; break;
        case 'c':
            if (strcmp(optarg, "real") && strcmp(optarg, "virtual")) {
                fprintf(stderr, "weft: --clock takes real or virtual, not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            op.virtual_clock = !strcmp(optarg, "virtual");
            break;
        case 'w':
            if (!strchr(optarg, '=') || strchr(optarg, '=') == optarg || !strchr(optarg, '=')[1]) {
                fprintf(stderr, "weft: --sweep takes name=v1,v2,..., not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            sweep = optarg;
            break;
        case 'g': {   /* --gil on | off | on,off: one value is -D gil=V, several a sweep over gil */
            size_t l = strlen(optarg);
            bool words = l && l <= 64;   /* each of the list: on, off, 1 or 0 */
            for (const char *w = optarg; words && *w;) {
                size_t n = strcspn(w, ",");
                words = (n == 2 && !strncmp(w, "on", 2)) || (n == 3 && !strncmp(w, "off", 3)) ||
                        (n == 1 && (*w == '0' || *w == '1'));
                w += n;
                if (*w == ',') w++;
                if (words && *w == 0 && w[-1] == ',') words = false;   /* a trailing comma */
            }
            if (!words) {
                fprintf(stderr, "weft: --gil takes on, off or a list of them (on,off), not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            if (strchr(optarg, ',')) {
                snprintf(gil_sweep, sizeof gil_sweep, "gil=%s", optarg);
                gil_multi = true;
            } else {
                if (ndefs >= SIM_MAX_PARAMS) { fprintf(stderr, "weft: too many -D\n"); return EXIT_INPUT; }
                defs[ndefs++] = (sim_define){ .name = "gil", .value = optarg, .option = "--gil" };
            }
            break;
        }
        case 'n': op.no_perf = true; break;
        case 'R':
            if (!strcmp(optarg, "complete")) op.ro.mode = TRC_REC_COMPLETE;
            else if (!strcmp(optarg, "drop")) op.ro.mode = TRC_REC_DROP;
            else { fprintf(stderr, "weft: --record takes complete or drop, not '%s'\n", esc(optarg)); return EXIT_INPUT; }
            break;
        case 'G': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || v < 64 || v > TRC_RING_MAX) {
                fprintf(stderr, "weft: --ring takes a number of events per unit, 64 to %u, not '%s'\n", TRC_RING_MAX,
                        esc(optarg));
                return EXIT_INPUT;
            }
            op.ro.ring = (uint32_t)v;
            break;
        }
        case 'M': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || v > (unsigned long long)INT64_MAX) {
                fprintf(stderr, "weft: --max-events takes a number of events (0: no limit), not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            op.ro.max_events = (int64_t)v;
            break;
        }
        case 'A': op.ro.accept_losses = true; break;
        case 'h': cli_help(stdout, &cli_cmd_run); return 0;
        default: return EXIT_INPUT;
        }
    }
    if (gil_multi) {
        if (sweep) {
            fprintf(stderr, "weft: --gil %s and --sweep both make several runs: give one of them (and -D gil=on or "
                            "-D gil=off)\n", esc(gil_sweep + 4));
            return EXIT_INPUT;
        }
        sweep = gil_sweep;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "weft run: give exactly one scenario (a .scn file or a bundled scenario's name)\n");
        return EXIT_INPUT;
    }
    const char *scn = scenario_path(argv[optind]);
    cli_overflow_hook();   /* a task's stack overflow names the task */
    input in;
    int status = input_open(&in, scn);
    if (status) return status;
    char *text;
    size_t len;
    status = input_read_scenario(&in, &text, &len);
    input_close(&in);   /* in.st stays: outputs are compared with it */
    if (status) return status;

    plan pl = { .scn = scn, .param = -1 };
    char spec[4096];
    bool narrowed = false;   /* -D on the swept param: one value of the sweep, its relations fail after the run */
    if (sweep) {
        status = make_plan(&pl, scn, text, len, sweep, defs, ndefs);
        if (!status && sweep == gil_sweep && pl.progs[0]->nsweep) {   /* two sweeps: one would be lost */
            fprintf(stderr, "weft: %s sweeps '%s' already: run it once with --gil on and once with --gil off\n",
                    esc(scn), esc(pl.progs[0]->params[pl.progs[0]->sweep_param].name));
            status = EXIT_INPUT;
        }
    } else {
        diag d;
        diag_clear(&d);
        int rc = sim_parse_bytes(&pl.progs[0], scn, text, len, defs, ndefs, &d);
        if (rc) { print_diag(scn, &d, rc); status = exit_for(rc); }
        else if (pl.progs[0]->nsweep) {
            /* the scenario sweeps a parameter itself: `sweep P = v1, v2` */
            cli_sweep_spec(pl.progs[0], defs, ndefs, spec, sizeof spec, &narrowed);
            sim_program_free(pl.progs[0]);
            pl.progs[0] = NULL;
            status = make_plan(&pl, scn, text, len, spec, defs, ndefs);
        } else {
            pl.n = 1;
        }
    }
    if (!status) status = plan_backends(&pl, op.backend, op.virtual_clock);
    if (!status && !narrowed) status = plan_selectors(&pl);
    outs o;
    if (!status && (status = begin_outputs(&o, &in, &op)) == 0) {
        status = pl.total > 1 ? run_sweep(&pl, &o, &op) : run_once(&pl, &o, &op);
        release_outputs(&o);
    }
    for (uint32_t i = 0; i < MAX_SWEEP; i++) sim_program_free(pl.progs[i]);
    free(text);
    signals_finish();   /* a run ended by a signal: weft ends with it */
    return status;
}
