/* weft: the command. The only place that talks to people.
 *
 * Exit codes: 0 success; 1 the run failed an expectation or did not end as
 * expected (deadlock, stuck, timeout), or diff's --fail-if held; 2 bad input
 * or usage; 3 i/o or runtime failure. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.0.0"
#endif

bool cli_quiet;

static int cmd_help(int argc, char **argv);
static int cmd_docs(int argc, char **argv);

static const cli_opt help_opts[] = { { "help", 'h', true, NULL, "this help", NULL }, { 0 } };

const cli_cmd cli_cmd_help = {
    .name = "help", .args = "[COMMAND]", .fn = cmd_help, .opts = help_opts, .complete = "command",
    .summary = "the commands, or one command's options",
    .description = "weft help COMMAND and weft COMMAND --help print the same text.",
};

const cli_cmd cli_cmd_docs = {
    .name = "__docs", .args = "DIR", .fn = cmd_docs, .hidden = true,
    .summary = "write the man pages and the bash completion into DIR (used by the build)",
};

static int cmd_worker_entry(int argc, char **argv) { return cmd_worker(argc, argv); }

const cli_cmd cli_cmd_worker = {
    .name = "__worker", .args = "...", .fn = cmd_worker_entry, .hidden = true,
    .summary = "a worker process of the processes backend's spawn start method (started by weft itself)",
};

const cli_cmd *const cli_commands[] = { &cli_cmd_run,   &cli_cmd_view, &cli_cmd_stats, &cli_cmd_diff,
                                        &cli_cmd_export, &cli_cmd_check, &cli_cmd_list, &cli_cmd_help,
                                        &cli_cmd_docs,  &cli_cmd_worker, NULL };

static void unknown_command(const char *cmd) {
    const char *names[32];
    int n = 0;
    for (int i = 0; cli_commands[i] && n < 32; i++)
        if (!cli_commands[i]->hidden) names[n++] = cli_commands[i]->name;
    fprintf(stderr, "weft: '%s' is not a weft command", esc(cmd));
    const char *near = cli_nearest(cmd, names, n);
    if (near) fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\nweft: 'weft help' lists the commands\n");
}

static int cmd_help(int argc, char **argv) {
    if (argc < 2) { cli_usage(stdout); return 0; }
    if (argc > 2) { fprintf(stderr, "weft help: give one command\n"); return EXIT_INPUT; }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) { cli_help(stdout, &cli_cmd_help); return 0; }
    const cli_cmd *c = cli_command(name);
    if (!c || c->hidden) { unknown_command(name); return EXIT_INPUT; }
    cli_help(stdout, c);
    return 0;
}

static int cmd_docs(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "weft __docs: give the folder\n"); return EXIT_INPUT; }
    return cli_docs(argv[1]);
}

int main(int argc, char **argv) {
#ifdef M_MMAP_THRESHOLD
    /* big arrays (a model of millions of events) grow by doubling: from their
     * own mappings they grow with mremap instead of being copied (glibc would
     * otherwise raise the threshold and move them around on the heap) */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    if (argc < 2) { cli_usage(stderr); return EXIT_INPUT; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) { cli_usage(stdout); return 0; }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("weft %s\n", WEFT_VERSION);
        return 0;
    }
    const cli_cmd *c = cli_command(cmd);
    if (!c) { unknown_command(cmd); return EXIT_INPUT; }
    return c->fn(argc - 1, argv + 1);
}
