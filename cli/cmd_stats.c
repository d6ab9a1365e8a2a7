/* weft stats: figures per run, unit, actor group and object, as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

static const cli_opt stats_opts[] = {
    { "json", 'j', false, NULL, "JSON (docs/schema/stats-1.json) instead of tables", NULL },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_stats = {
    .name = "stats", .args = "A.weft", .fn = cmd_stats, .opts = stats_opts, .complete = "file:weft",
    .summary = "makespan, CPU, time per state, waits per object, contention, queues, throughput",
    .description = "For every run of the recording: the makespan and how it ended; per unit and per actor\n"
                   "group the time in each state the model has (a state appears as a column once some\n"
                   "unit spent time in it), the CPU burnt in compute steps and the waits; per object its\n"
                   "figures, the waits on it (count, total, p50, p95, max: nearest rank) and, for locks and\n"
                   "semaphores, how many acquisitions had to wait; per queue the items per second and its\n"
                   "depth over time (mean, p50, p95, max, the share of time full and empty); the time\n"
                   "units waited for the recorder's flush; the events lost.",
    .examples = "weft stats run.weft\n"
                "weft stats run.weft --json | python3 -m json.tool",
};

int cmd_stats(int argc, char **argv) {
    bool json = false;
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_stats)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': cli_help(stdout, &cli_cmd_stats); return 0;
        default: return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft stats: give one recording\n"); return EXIT_INPUT; }
    loaded l;
    int rc = load_recording(&l, argv[optind]);
    if (rc) return rc;
    if (json) {
        buf b = { 0 };
        trc_stats_json(&b, l.models, l.rec->nruns);
        esc_write(stdout, (const char *)b.p, b.n, ESC_JSON);
        buf_release(&b);
    } else {
        print_stats(&l);
    }
    free_loaded(&l);
    return 0;
}
