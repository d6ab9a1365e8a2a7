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
#include <sys/stat.h>

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

/* cli_esc.c: every text from a scenario or a recording is printed through
 * these (see the file's comment for what is escaped and how). ESC_LINE: one
 * line (a name, a title, a path: newlines and tabs escaped too); ESC_TEXT:
 * several lines (a report, a stats table); ESC_JSON: JSON text. */
enum esc_mode { ESC_LINE, ESC_TEXT, ESC_JSON };
void esc_write(FILE *f, const char *s, size_t n, enum esc_mode m);
void esc_puts(FILE *f, const char *s, enum esc_mode m);
void esc_buf(buf *out, const char *s, size_t n, enum esc_mode m);
/* s escaped as ESC_LINE, for a printf %s; valid until 8 more calls. */
const char *esc(const char *s);
/* Terminal columns that the first `chars` characters of s take once escaped
 * (a caret under a scenario's column; a byte that is not UTF-8 is one). */
int esc_columns(const char *s, int chars);
/* A copy of run (in a) whose texts are escaped, names as ESC_LINE, the report
 * as ESC_TEXT: text made from it (the stats table) holds no raw control and
 * no name can break a line. Events and tables are shared with run. */
trc_run *esc_run_copy(const trc_run *run, arena *a);

/* cli_input.c: an input file, opened once. A regular file is probed with
 * pread and left to the readers, which open it by path; anything else (a
 * pipe, a FIFO, a device, /dev/stdin) can be read only once, so it is read
 * here, bounded, and handed over as bytes. A directory is refused. */
#define CLI_SCENARIO_MAX SIM_MAX_SOURCE   /* the parser's limit, 16 MiB */
#define CLI_STREAM_RECORDING_MAX ((size_t)1 << 30)
typedef struct input {
    const char *path;
    int fd;
    struct stat st;
    bool stream;                 /* not a regular file */
    unsigned char head[8];       /* the first bytes */
    size_t nhead;
} input;
int input_open(input *in, const char *path);   /* 0 or an exit status (printed) */
bool input_is_recording(const input *in);      /* starts like a .weft file */
/* A pipe or device, or a path in /dev or /proc (/dev/stdin redirected from a
 * file is a regular file): no output is put beside it by default. */
bool input_is_special(const input *in);
/* The scenario's bytes (malloc'ed, NUL-terminated after them), at most
 * CLI_SCENARIO_MAX; sim_parse_bytes then checks and parses them. */
int input_read_scenario(input *in, char **text, size_t *len);   /* 0 or an exit status (printed) */
int input_load_recording(input *in, trc_recording **rec, diag *d);   /* 0 or -ERR_xxx */
void input_close(input *in);

/* cli_output.c: outputs written atomically. Each output is written to a
 * temporary file beside it (".NAME.tmp-XXXXXX", same folder, so same file
 * system) and renamed over the path only once complete: a command that fails
 * (bad input, out of memory, disk full, a signal) leaves the file that was
 * there untouched, and no temporary file behind (also on SIGINT, SIGTERM,
 * SIGHUP, SIGPIPE). A path that is a device, FIFO or socket (/dev/null,
 * /dev/stdout) is written in place. A symbolic link is followed: the file it
 * names is replaced, the link stays. */
typedef struct output {
    char *path;      /* where the output goes (a symbolic link resolved) */
    const char *given;   /* as the user wrote it, for messages */
    const char *what;    /* "recording", "Perfetto trace", "PNG" */
    char *tmp;       /* what is written: the temporary file, or path when direct */
    bool direct;     /* a device, FIFO or socket: written in place, never renamed */
    bool derived;    /* made from a recording (an export, a PNG): see output_commit */
    int slot;        /* in the table that the signal handler cleans, -1 = none */
} output;
/* Prepares an output: refuses a directory, a path equal to an input (same
 * device and inode) or to another output, creates the temporary file. what
 * names it in messages ("recording"). */
int output_begin(output *o, const char *path, const char *what);   /* 0 or an exit status (printed) */
/* Refuses (exit status, printed) when output o is the input in, or the output other. */
int output_not_input(const output *o, const input *in, const char *what);
int output_not_same(const output *o, const output *other);
int output_not_path(const output *o, const char *path);   /* the same, for an input given by path */
/* Renames into place; 0 or an exit status (printed). A derived output replaces an
 * existing file by exchanging the names (atomic too) and removing the old one: on ext4 a
 * rename over a file first writes the new one out (auto_da_alloc), 40-90 ms for a 210 MB
 * trace. A recording, which nothing can make again, keeps that protection against a crash. */
int output_commit(output *o);
/* Renames the temporary file to another path (what a failed run wrote, kept
 * beside an earlier file it must not replace). */
int output_commit_as(output *o, const char *path);
void output_discard(output *o);     /* removes the temporary file unless committed */
void output_release(output *o);     /* output_discard, and frees o (path stays valid until then) */
/* For the signal handler (async-signal-safe): removes every temporary file. */
void outputs_abandon(void);
/* A message about the temporary file names the output instead. */
void output_fix_diag(const output *o, diag *d);

/* cli_recording.c: a recording loaded with one model per run */
typedef struct loaded { trc_recording *rec; trc_model *models; } loaded;
int load_recording(loaded *l, const char *path);   /* 0 or an exit status (printed) */
int load_recording_from(loaded *l, input *in);      /* the same, from an opened input */
void free_loaded(loaded *l);
/* The model's warnings (what lost events made it repair): the first max, then a count. */
void print_model_warnings(const char *path, uint32_t run, const trc_model *m, size_t max);
/* Writes the Perfetto trace to o's temporary file (the caller commits it). */
int export_perfetto(const loaded *l, output *o);   /* 0 or an exit status (printed) */
/* weft export's way: loads the recording and writes it run by run, each run's model built with
 * its owner slices streamed into the trace (trc_pf_stream), so only one run's model is alive and
 * it never stores its owners. The model's warnings as load_recording prints them. */
int export_perfetto_stream(input *in, output *o);
enum export_kind { EXPORT_JSON = 1, EXPORT_TEXT = 2 };
/* The Chrome JSON trace or the text dump, the same way (progress on a terminal). */
int export_other(const loaded *l, output *o, enum export_kind kind, bool scrub);
void print_stats(const loaded *l);

/* cli_show.c */
bool has_display(void);
/* Renders png (if not NULL) to its temporary file, then opens the window. */
int show(const loaded *l, bool window, output *png, double at, int width, int height);

/* cli_relations.c: the expectations comparing runs, checked on models read back (for the
 * viewer's header and notes: rdr_view_desc.relations); one line per failure into report,
 * returns how many failed. Prints nothing (runs on the viewer's loader thread). */
uint32_t view_relations(const trc_model *models, uint32_t n, char *report, size_t cap);

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

/* cli_scenarios.c: the bundled scenarios' folder; a scenario given by name
 * ("producer_consumer", no such file here) is looked for there (the path, in
 * a static buffer, else given itself) */
const char *scenario_dir(void);
const char *scenario_path(const char *given);

/* cli_sweep.c: the values of p's own `sweep P = ...` as a --sweep spec ("P=v1,v2", durations in
 * ns) into spec; a -D on P (defs) narrows them to its value (*narrowed). False: p sweeps nothing. */
bool cli_sweep_spec(const sim_program *p, const sim_define *defs, uint32_t ndefs, char *spec, size_t cap, bool *narrowed);

/* cli_progress.c: a line on stderr while a long command works, only on a
 * terminal (progress_wanted), erased when done. */
bool progress_wanted(void);
void progress_frac_begin(const char *what);   /* then progress_frac as a trc_progress_fn */
void progress_frac(void *ud, double done);
void progress_clear(void);
void progress_run_begin(const char *recording_path);   /* a thread shows elapsed time and events */
void progress_run_end(void);

/* cli_path.c: a malloc'ed copy of path with its extension replaced by ext */
char *replace_ext(const char *path, const char *ext);

/* cli_overflow.c: a task's stack overflow is reported (which task, its stack) before the process dies */
void cli_overflow_hook(void);

/* cli_signal.c: while a run goes on (signals_run(true)), SIGINT, SIGTERM and
 * SIGHUP end it cleanly: interrupt_flag is raised, the runtime ends the run as
 * `interrupted` and the recording is finished and kept. Otherwise, and for a
 * second signal, they and SIGPIPE and SIGABRT end weft at once, after
 * outputs_abandon(). signals_finish() ends weft with the signal that
 * interrupted a run (after its outputs are done), so a shell sees it. */
extern _Atomic int interrupt_flag;
void signals_install(void);
void signals_run(bool on);
int signals_caught(void);          /* the signal that interrupted a run, 0 = none */
const char *signal_name(int sig);  /* "SIGINT" */
void signals_finish(void);

/* the subcommands: argv[0] is the subcommand's name; each has its table
 * (cli_opts.h) */
struct cli_cmd;
extern const struct cli_cmd cli_cmd_run, cli_cmd_view, cli_cmd_export, cli_cmd_stats, cli_cmd_diff, cli_cmd_check,
    cli_cmd_list, cli_cmd_help, cli_cmd_docs;
int cmd_run(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_worker(int argc, char **argv);   /* __worker: start_method spawn's worker process */

#endif
