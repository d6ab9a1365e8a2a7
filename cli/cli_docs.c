/* cli: the man pages (weft.1, weft-COMMAND.1) and the bash completion, made
 * from the same tables as --help (cli_opts.h) by the hidden `weft __docs DIR`,
 * which the build runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.0.0"
#endif

/* Text for roff: backslashes and dashes escaped, a line never starts with a control character. */
static void roff(FILE *f, const char *s) {
    bool bol = true;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\'')) fputs("\\&", f);
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else fputc(*s, f);
        bol = *s == '\n';
    }
}

/* Paragraphs: a blank line starts a new one; lines starting with two spaces are kept as they are. */
static void roff_paras(FILE *f, const char *text) {
    fputs(".PP\n", f);
    bool nf = false;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (!n) {
            if (nf) { fputs(".fi\n", f); nf = false; }
            fputs(".PP\n", f);
        } else {
            bool lit = n > 2 && p[0] == ' ' && p[1] == ' ';
            if (lit && !nf) { fputs(".nf\n", f); nf = true; }
            if (!lit && nf) { fputs(".fi\n", f); nf = false; }
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)n, p);
            roff(f, line);
            fputc('\n', f);
        }
        p += n;
        if (*p) p++;
    }
    if (nf) fputs(".fi\n", f);
}

static FILE *open_in(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "weft __docs: cannot write %s: %s\n", esc(path), strerror(errno));
    return f;
}

static int man_command(const char *dir, const cli_cmd *c) {
    char name[128];
    snprintf(name, sizeof name, "weft-%s.1", c->name);
    FILE *f = open_in(dir, name);
    if (!f) return EXIT_IO;
    char up[64];
    size_t k = 0;
    for (const char *p = c->name; *p && k + 1 < sizeof up; p++) up[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    up[k] = 0;
    fprintf(f, ".TH WEFT\\-%s 1 \"\" \"weft %s\" \"weft manual\"\n.SH NAME\nweft\\-%s \\- ", up, WEFT_VERSION, c->name);
    roff(f, c->summary);
    fprintf(f, "\n.SH SYNOPSIS\n.B weft %s\n", c->name);
    if (c->opts && c->opts[0].name) fputs("[\\fIoptions\\fR]\n", f);
    if (c->args) {
        fputs("\\fI", f);
        roff(f, c->args);
        fputs("\\fR\n", f);
    }
    if (c->description) {
        fputs(".SH DESCRIPTION\n", f);
        roff_paras(f, c->description);
    }
    if (c->opts && c->opts[0].name) {
        fputs(".SH OPTIONS\n", f);
        for (const cli_opt *o = c->opts; o->name; o++) {
            fputs(".TP\n", f);
            if (o->shrt) fprintf(f, "\\fB\\-%c\\fR, ", (char)o->key);
            fputs("\\fB\\-\\-", f);
            roff(f, o->name);
            fputs("\\fR", f);
            if (o->arg) {
                fputs(" \\fI", f);
                roff(f, o->arg);
                fputs("\\fR", f);
            }
            fputc('\n', f);
            roff(f, o->help);
            fputc('\n', f);
        }
    }
    if (c->examples) {
        fputs(".SH EXAMPLES\n.nf\n", f);
        roff(f, c->examples);
        fputs("\n.fi\n", f);
    }
    fputs(".SH SEE ALSO\n\\fBweft\\fR(1)\n", f);
    return fclose(f) ? EXIT_IO : 0;
}

static int man_weft(const char *dir) {
    FILE *f = open_in(dir, "weft.1");
    if (!f) return EXIT_IO;
    fprintf(f, ".TH WEFT 1 \"\" \"weft %s\" \"weft manual\"\n.SH NAME\nweft \\- see concurrency happen: run "
               "scenarios on real threads, record, animate, export, compare\n"
               ".SH SYNOPSIS\n.B weft\n\\fICOMMAND\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]\n.br\n"
               ".B weft help\n\\fICOMMAND\\fR\n.br\n.B weft \\-\\-version\n"
               ".SH DESCRIPTION\n.PP\nweft runs concurrency scenarios (a small language, see the scenarios' README) on "
               "real threads, records every state change of every unit into a .weft recording, animates it in a "
               "viewer, exports it for Perfetto, Chrome or as text, and prints and compares its figures.\n"
               ".SH COMMANDS\n",
            WEFT_VERSION);
    for (int i = 0; cli_commands[i]; i++) {
        const cli_cmd *c = cli_commands[i];
        if (c->hidden) continue;
        fprintf(f, ".TP\n\\fBweft %s\\fR", c->name);
        if (c->args) {
            fputs(" \\fI", f);
            roff(f, c->args);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff(f, c->summary);
        fprintf(f, " (\\fBweft\\-%s\\fR(1))\n", c->name);
    }
    fputs(".SH EXIT STATUS\n0 success; 1 a run failed an expectation or ended badly (deadlock, stuck, timeout), or a "
          "diff's \\-\\-fail\\-if held; 2 bad input or usage; 3 i/o or runtime failure.\n"
          ".SH ENVIRONMENT\n.TP\n.B WEFT_SCENARIOS\nthe folder of the bundled scenarios (default: share/weft/scenarios "
          "beside the installed binary, or the source tree's scenarios/)\n"
          ".TP\n.B WEFT_PROGRESS\n\\fBnever\\fR: no progress line; \\fBalways\\fR: one even when not on a terminal\n"
          ".TP\n.B WEFT_READ_AHEAD\n\\fB0\\fR: read a recording's events on one thread (by default a big one is read "
          "ahead by a second thread while the first works on them), and open it on one thread\n"
          ".TP\n.B WEFT_PRESCAN\n\\fB0\\fR: when a recording is opened, read each chunk of events the way it was read "
          "before the pre-scan (for comparisons; the result is the same)\n"
          ".TP\n.B WEFT_PF_HELPER\n\\fB0\\fR: \\fBweft export\\fR encodes every run's counter samples on a helper "
          "thread (by default only a run with 1 Mi samples or more); \\fBoff\\fR: never; a number: the fewest samples "
          "that take it (for comparisons; the trace is the same, its blocks in another order)\n"
          ".SH SEE ALSO\n",
          f);
    bool first = true;
    for (int i = 0; cli_commands[i]; i++) {
        if (cli_commands[i]->hidden) continue;
        fprintf(f, "%s\\fBweft\\-%s\\fR(1)", first ? "" : ",\n", cli_commands[i]->name);
        first = false;
    }
    fputc('\n', f);
    return fclose(f) ? EXIT_IO : 0;
}

/* The words of a completion spec, as bash: "file:scn,weft scenario" */
static void complete_spec(FILE *f, const char *spec, const char *indent) {
    char words[256];
    snprintf(words, sizeof words, "%s", spec ? spec : "");
    fprintf(f, "%slocal IFS=$'\\n'\n", indent);
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!strncmp(w, "file:", 5)) {
            fprintf(f, "%scompopt -o filenames 2>/dev/null\n", indent);
            fprintf(f, "%sCOMPREPLY+=( $(compgen -d -- \"$cur\") )\n", indent);
            char exts[128];
            snprintf(exts, sizeof exts, "%s", w + 5);
            for (char *s2 = NULL, *e = strtok_r(exts, ",", &s2); e; e = strtok_r(NULL, ",", &s2))
                fprintf(f, "%sCOMPREPLY+=( $(compgen -f -X '!*.%s' -- \"$cur\") )\n", indent, e);
        } else if (!strcmp(w, "dir")) {
            fprintf(f, "%scompopt -o filenames 2>/dev/null\n%sCOMPREPLY+=( $(compgen -d -- \"$cur\") )\n", indent, indent);
        } else if (!strcmp(w, "scenario")) {
            fprintf(f, "%sCOMPREPLY+=( $(compgen -W \"$(\"${COMP_WORDS[0]}\" list --names 2>/dev/null)\" -- \"$cur\") )\n",
                    indent);
        } else if (!strcmp(w, "command")) {
            fprintf(f, "%sCOMPREPLY+=( $(compgen -W \"", indent);
            for (int i = 0; cli_commands[i]; i++)
                if (!cli_commands[i]->hidden) fprintf(f, "%s ", cli_commands[i]->name);
            fprintf(f, "\" -- \"$cur\") )\n");
        } else {
            fprintf(f, "%sCOMPREPLY+=( $(compgen -W \"%s\" -- \"$cur\") )\n", indent, w);
        }
    }
}

static int completion(const char *dir) {
    FILE *f = open_in(dir, "weft");
    if (!f) return EXIT_IO;
    fputs("# bash completion for weft: subcommands, their options, option values and bundled scenario names.\n"
          "# Generated by `weft __docs` from the option tables that also make --help and the man pages.\n"
          "_weft() {\n"
          "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" i\n"
          "    COMPREPLY=()\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        case \"${COMP_WORDS[i]}\" in -*) ;; *) cmd=\"${COMP_WORDS[i]}\"; break ;; esac\n"
          "    done\n"
          "    if [[ -z $cmd ]]; then\n"
          "        COMPREPLY=( $(compgen -W \"",
          f);
    for (int i = 0; cli_commands[i]; i++)
        if (!cli_commands[i]->hidden) fprintf(f, "%s ", cli_commands[i]->name);
    fputs("--help --version\" -- \"$cur\") )\n        return\n    fi\n    case \"$cmd\" in\n", f);
    for (int i = 0; cli_commands[i]; i++) {
        const cli_cmd *c = cli_commands[i];
        if (c->hidden) continue;
        fprintf(f, "    %s)\n        case \"$prev\" in\n", c->name);
        for (const cli_opt *o = c->opts; o && o->name; o++) {
            if (!o->arg) continue;
            fprintf(f, "        ");
            if (o->shrt) fprintf(f, "-%c|", (char)o->key);
            fprintf(f, "--%s)\n", o->name);
            if (o->complete) complete_spec(f, o->complete, "            ");
            fprintf(f, "            return ;;\n");
        }
        fprintf(f, "        esac\n        if [[ $cur == -* ]]; then\n            COMPREPLY=( $(compgen -W \"");
        for (const cli_opt *o = c->opts; o && o->name; o++) {
            if (o->shrt) fprintf(f, "-%c ", (char)o->key);
            fprintf(f, "--%s ", o->name);
        }
        fprintf(f, "\" -- \"$cur\") )\n            return\n        fi\n");
        if (c->complete) complete_spec(f, c->complete, "        ");
        fprintf(f, "        ;;\n");
    }
    fputs("    esac\n}\ncomplete -F _weft weft\n", f);
    return fclose(f) ? EXIT_IO : 0;
}

int cli_docs(const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "weft __docs: cannot make %s: %s\n", esc(dir), strerror(errno));
        return EXIT_IO;
    }
    char man[4096];
    snprintf(man, sizeof man, "%s/man1", dir);
    if (mkdir(man, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "weft __docs: cannot make %s: %s\n", esc(man), strerror(errno));
        return EXIT_IO;
    }
    int rc = man_weft(man);
    for (int i = 0; cli_commands[i] && !rc; i++)
        if (!cli_commands[i]->hidden) rc = man_command(man, cli_commands[i]);
    if (!rc) rc = completion(dir);
    return rc;
}
