/* cli: one table of options per subcommand, the single source of truth for
 * parsing (cli_opts.c), --help and `weft help` (cli_help.c), the man pages and
 * the bash completion (cli_docs.c, generated at build time by the hidden
 * `weft __docs DIR`). */
#ifndef WEFT_CLI_OPTS_H
#define WEFT_CLI_OPTS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct cli_opt {
    const char *name;        /* the long name, without "--" */
    int key;                 /* what cli_getopt returns: a printable char, which is also the short option
                                when `shrt` is set, or any other value */
    bool shrt;               /* -k works too */
    const char *arg;         /* the argument's name ("FILE"); NULL: a flag */
    const char *help;        /* one line */
    const char *complete;    /* the argument's completion: "file:EXT", "dir", "scenario", or words "dark light";
                                NULL: none */
} cli_opt;

typedef struct cli_cmd {
    const char *name;        /* "run" */
    const char *args;        /* "S.scn|NAME" */
    const char *summary;     /* one line */
    const char *description; /* paragraphs (blank line between), for --help and the man page */
    const char *complete;    /* the positional arguments' completion (as cli_opt.complete) */
    const cli_opt *opts;     /* ends with { 0 } */
    const char *examples;    /* lines "command  # what it does", or NULL */
    int (*fn)(int argc, char **argv);
    bool hidden;
} cli_cmd;

/* Every subcommand, in the order of `weft help`; ends with NULL (main.c). */
extern const cli_cmd *const cli_commands[];
const cli_cmd *cli_command(const char *name);

/* Parses argv (argv[0] is the subcommand) like getopt_long: returns the key of
 * the next option (its argument in `optarg`), -1 at the end with the
 * positional arguments moved to argv[optind..argc) in their order, or '?'
 * after printing what is wrong (an unknown option with the nearest one, a
 * missing argument). "--" ends the options; a unique prefix of a long name
 * works; "--name=value", "--name value", "-kvalue" and "-k value" work. */
int cli_getopt(int argc, char **argv, const cli_cmd *cmd);

/* The subcommand's help (usage, description, every option with one line). */
void cli_help(FILE *f, const cli_cmd *cmd);
/* The global usage: every subcommand with its summary. */
void cli_usage(FILE *f);
/* The command or option name nearest to `given` among `names` (NULL: none near enough). */
const char *cli_nearest(const char *given, const char *const *names, int n);

/* cli_docs.c: man pages weft.1 and weft-NAME.1 and the bash completion `weft`, into dir */
int cli_docs(const char *dir);

#endif
