/* cli: help texts, made from the subcommands' tables (cli_opts.h). */
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

const cli_cmd *cli_command(const char *name) {
    for (int i = 0; cli_commands[i]; i++)
        if (!strcmp(cli_commands[i]->name, name)) return cli_commands[i];
    return NULL;
}

/* "-o, --output FILE" */
static int opt_left(char *out, size_t cap, const cli_opt *o) {
    return snprintf(out, cap, "%s%c%s--%s%s%s", o->shrt ? "-" : "    ", o->shrt ? (char)o->key : ' ', o->shrt ? ", " : "",
                    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* A text with blank lines between paragraphs, each line indented. */
static void indented(FILE *f, const char *text, const char *indent) {
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (n) fprintf(f, "%s%.*s\n", indent, (int)n, p);
        else fputc('\n', f);
        p += n;
        if (*p) p++;
    }
}

void cli_help(FILE *f, const cli_cmd *c) {
    fprintf(f, "usage: weft %s%s%s%s\n\n%s\n", c->name, c->opts && c->opts[0].name ? " [options]" : "", c->args ? " " : "",
            c->args ? c->args : "", c->summary);
    if (c->description) {
        fputc('\n', f);
        indented(f, c->description, "");
    }
    if (c->opts && c->opts[0].name) {
        int w = 0;
        char left[128];
        for (const cli_opt *o = c->opts; o->name; o++) {
            int n = opt_left(left, sizeof left, o);
            if (n > w) w = n;
        }
        fprintf(f, "\noptions:\n");
        for (const cli_opt *o = c->opts; o->name; o++) {
            opt_left(left, sizeof left, o);
            fprintf(f, "  %-*s  %s\n", w, left, o->help);
        }
    }
    if (c->examples) {
        fprintf(f, "\nexamples:\n");
        indented(f, c->examples, "  ");
    }
}

void cli_usage(FILE *f) {
    fprintf(f, "usage: weft <command> [options] [arguments]\n       weft help <command> | weft <command> --help\n"
               "       weft --version\n\ncommands:\n");
    int w = 0;
    for (int i = 0; cli_commands[i]; i++)
        if (!cli_commands[i]->hidden && (int)strlen(cli_commands[i]->name) > w) w = (int)strlen(cli_commands[i]->name);
    for (int i = 0; cli_commands[i]; i++)
        if (!cli_commands[i]->hidden) fprintf(f, "  %-*s  %s\n", w, cli_commands[i]->name, cli_commands[i]->summary);
    fprintf(f, "\n"
               "Ctrl-C, SIGTERM or SIGHUP end a run cleanly: the recording is kept (end: interrupted),\n"
               "the expectations are not checked, and weft then ends with that signal.\n"
               "Outputs are written to a temporary file beside them and renamed when complete: a\n"
               "failed command leaves the earlier file as it was. An output equal to an input is\n"
               "refused. FIFOs and /dev/stdin work as inputs. Names and texts are printed with\n"
               "control characters escaped.\n"
               "\n"
               "Exit status: 0 success; 1 a run failed an expectation or ended badly, or diff's\n"
               "--fail-if held; 2 bad input or usage; 3 i/o or runtime failure.\n"
               "See 'man weft', 'man weft-COMMAND', README.md and scenarios/README.md.\n");
}

/* kept for the callers of the old name */
void usage(FILE *f) { cli_usage(f); }
