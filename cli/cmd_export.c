/* weft export: write a recording as a Perfetto trace, a Chrome JSON trace or a
 * stable text dump. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

static const cli_opt export_opts[] = {
    { "output", 'o', true, "FILE", "where it goes (default: the recording's name with .pftrace, .json or .txt)",
      "file:pftrace" },
    { "format", 'f', true, "FORMAT", "perfetto (default), json (Chrome trace event format) or text", "perfetto json text" },
    { "scrub", 'S', false, NULL, "text: no times, each unit's events in its own order (stable across runs)", NULL },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_export = {
    .name = "export", .args = "A.weft", .fn = cmd_export, .opts = export_opts, .complete = "file:weft",
    .summary = "write a Perfetto trace, a Chrome JSON trace or a stable text dump",
    .description = "perfetto: the protobuf trace ui.perfetto.dev opens: a track per unit with its states,\n"
                   "object tracks, counters, flows and marks. Written run by run, the lock ownerships as\n"
                   "the recording is read (never stored), so its memory does not grow with them.\n"
                   "\n"
                   "json: the Chrome trace event format, for chrome://tracing and older tools: a process per\n"
                   "run, a thread per unit, its states as complete (X) events, marks and point events as\n"
                   "instants, queue depths and permits as counters, each process's memory as a counter\n"
                   "(resident, virtual), flows as s/f events. Its limits: flow\n"
                   "ends bind to the enclosing slice (the Chrome format has no flow on an instant), flow and\n"
                   "item ids are per run numbers (ids of two runs may repeat, as the format scopes them by\n"
                   "category, not by process), times are microseconds with three decimals.\n"
                   "\n"
                   "text: a line per event, its time relative to the run's start, then the unit, the event\n"
                   "and its fields by name; the header says the scenario, backend, parameters, seed and how\n"
                   "the run ended (never the machine or a wall-clock time). --scrub leaves the times out and\n"
                   "groups the events per unit, which is stable across runs of a deterministic scenario.",
    .examples = "weft export run.weft                       # run.pftrace\n"
                "weft export run.weft -f json -o run.json   # for chrome://tracing\n"
                "weft export run.weft -f text --scrub -o -  # the dump on stdout",
};

int cmd_export(int argc, char **argv) {
    const char *out = NULL, *format = "perfetto";
    bool scrub = false;
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_export)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': format = optarg; break;
        case 'S': scrub = true; break;
        case 'h': cli_help(stdout, &cli_cmd_export); return 0;
        default: return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft export: give one recording\n"); return EXIT_INPUT; }
    static const char *const formats[] = { "perfetto", "json", "text" };
    int fmt = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(format, formats[i])) fmt = i;
    if (fmt < 0) {
        const char *near = cli_nearest(format, formats, 3);
        fprintf(stderr, "weft export: unknown format '%s' (perfetto, json or text)%s%s%s\n", esc(format),
                near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
        return EXIT_INPUT;
    }
    if (scrub && fmt != 2) { fprintf(stderr, "weft export: --scrub applies to --format text\n"); return EXIT_INPUT; }
    static const char *const exts[] = { ".pftrace", ".json", ".txt" };
    static const char *const whats[] = { "Perfetto trace", "JSON trace", "text dump" };
    input in;
    int rc = input_open(&in, argv[optind]);
    if (rc) return rc;
    if (!out && input_is_special(&in)) {
        fprintf(stderr, "weft export: the recording comes from a pipe or device: give the output with -o\n");
        input_close(&in);
        return EXIT_INPUT;
    }
    bool to_stdout = out && !strcmp(out, "-");
    char *outp = to_stdout ? xstrdup("/dev/stdout") : out ? xstrdup(out) : replace_ext(argv[optind], exts[fmt]);
    output o;
    rc = output_begin(&o, outp, whats[fmt]);
    o.derived = true;
    if (!rc) rc = output_not_input(&o, &in, whats[fmt]);
    if (!rc) {
        if (fmt == 0) {
            rc = export_perfetto_stream(&in, &o);
        } else {
            loaded l;
            rc = load_recording_from(&l, &in);
            if (!rc) {
                rc = export_other(&l, &o, fmt == 1 ? EXPORT_JSON : EXPORT_TEXT, scrub);
                free_loaded(&l);
            }
        }
        if (rc) output_discard(&o);
        else rc = output_commit(&o);
        if (!rc && !cli_quiet && !to_stdout) printf("wrote %s\n", esc(outp));
    }
    output_release(&o);
    input_close(&in);
    free(outp);
    return rc;
}
