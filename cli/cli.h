/* cli: what the weft command's files share. Only cli/ prints.
 *
 * Exit codes: 0 success; 1 the run failed an expectation or did not end as
 * expected (deadlock, stuck, timeout); 2 bad input or usage; 3 i/o or runtime
 * failure. */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "sim/sim.h"
#include "traces/trc.h"

#define EXIT_FAILED 1
#define EXIT_INPUT 2
#define EXIT_IO 3

extern bool cli_quiet;            /* --quiet: only errors */

/* cli_diag.c */
void print_diag(const char *what, const diag *d, int code);
int exit_for(int rc);             /* -ERR_xxx -> exit status */
/* main.c */
void usage(FILE *f);

/* cli_recording.c: a recording loaded with one model per run */
typedef struct loaded { trc_recording *rec; trc_model *models; } loaded;
int load_recording(loaded *l, const char *path);   /* 0 or an exit status (printed) */
void free_loaded(loaded *l);
int export_perfetto(const loaded *l, const char *out);
void print_stats(const loaded *l);

/* cli_show.c */
bool has_display(void);
int show(const loaded *l, bool window, const char *png, double at, int width, int height);

/* cli_view.c: weft view (one or several recordings; a window, a PNG, frames, a video) */
typedef struct view_opts {
    const char *const *files; int nfiles;
    const char *png, *frames_dir, *video;
    double fps;                   /* frames and video */
    bool at_given; double at; double at_ns; bool at_is_ns;
    int width, height; double scale;
    bool stage, whole;
    int theme;                    /* 0 dark, 1 light */
} view_opts;
int view_files(const view_opts *o);

/* cli_path.c: a malloc'ed copy of path with its extension replaced by ext */
char *replace_ext(const char *path, const char *ext);

/* cli_overflow.c: a task's stack overflow is reported (which task, its stack) before the process dies */
void cli_overflow_hook(void);

/* cli_signal.c */
extern _Atomic int interrupt_flag;
void catch_sigint(bool on);

/* the subcommands: argv[0] is the subcommand's name */
int cmd_run(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
