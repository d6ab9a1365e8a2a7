/* cli: the option parser over a subcommand's table (cli_opts.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

const char *cli_nearest(const char *given, const char *const *names, int n) {
    const char *best = NULL;
    int bd = 1 << 30;
    size_t gl = strlen(given);
    for (int i = 0; i < n; i++) {
        int d = str_edit_distance(given, names[i]);
        /* a name that the given text starts (a prefix typed too long) or that starts it counts as near */
        size_t nl = strlen(names[i]);
        if (gl >= 3 && (!strncmp(given, names[i], gl < nl ? gl : nl))) d = d < 1 ? d : 1;
        if (d < bd) { bd = d; best = names[i]; }
    }
    int limit = (int)gl / 3 + 1;
    if (limit < 2) limit = 2;
    return bd <= limit ? best : NULL;
}

static void suggest(const cli_cmd *cmd, const char *given, bool long_form) {
    const char *names[128];
    int n = 0;
    for (const cli_opt *o = cmd->opts; o && o->name && n < 128; o++) names[n++] = o->name;
    const char *near = long_form ? cli_nearest(given, names, n) : NULL;
    if (!long_form) {
        for (const cli_opt *o = cmd->opts; o && o->name; o++)
            if (o->shrt == false && strlen(o->name) && o->name[0] == given[0]) { near = o->name; break; }
    }
    if (near) fprintf(stderr, "weft %s: did you mean --%s?\n", cmd->name, near);
    fprintf(stderr, "weft %s: see 'weft %s --help' for its options\n", cmd->name, cmd->name);
}

/* Positional arguments are gathered in a block that moves right as options are
 * found after them: options and their values end up before it, in order. */
int cli_getopt(int argc, char **argv, const cli_cmd *cmd) {
    static const cli_cmd *cur;
    static char **cur_argv;
    static int next, npos;   /* next argument to look at; positional arguments gathered before it */
    if (cur != cmd || cur_argv != argv) {   /* a new parse */
        cur = cmd;
        cur_argv = argv;
        next = 1;
        npos = 0;
        optind = 1;
    }
    for (;;) {
        if (next >= argc) { optind = argc - npos; cur = NULL; return -1; }
        char *a = argv[next];
        if (!strcmp(a, "--")) {
            /* everything after it is positional: "--" goes before the block, which then
             * runs on into the rest */
            memmove(&argv[next - npos + 1], &argv[next - npos], (size_t)npos * sizeof *argv);
            argv[next - npos] = a;
            optind = next - npos + 1;
            cur = NULL;
            return -1;
        }
        if (a[0] != '-' || a[1] == 0) {   /* positional ("-" alone too): kept in place, gathered */
            npos++;
            next++;
            continue;
        }
        /* an option: move it before the positional block */
        int at = next - npos;
        if (npos) {
            memmove(&argv[at + 1], &argv[at], (size_t)npos * sizeof *argv);
            argv[at] = a;
        }
        next++;
        const cli_opt *hit = NULL;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            size_t len = strcspn(name, "=");
            int nhits = 0;
            for (const cli_opt *o = cmd->opts; o && o->name; o++) {
                if (strlen(o->name) == len && !strncmp(o->name, name, len)) { hit = o; nhits = 1; break; }
                if (!strncmp(o->name, name, len)) { if (!nhits++) hit = o; }
            }
            char shown[128];
            snprintf(shown, sizeof shown, "%.*s", (int)(len < 100 ? len : 100), name);
            if (nhits > 1) {
                fprintf(stderr, "weft %s: --%s is ambiguous:", cmd->name, esc(shown));
                for (const cli_opt *o = cmd->opts; o && o->name; o++)
                    if (!strncmp(o->name, name, len)) fprintf(stderr, " --%s", o->name);
                fputc('\n', stderr);
                cur = NULL;
                return '?';
            }
            if (!hit) {
                fprintf(stderr, "weft %s: unknown option --%s\n", cmd->name, esc(shown));
                suggest(cmd, shown, true);
                cur = NULL;
                return '?';
            }
            if (name[len] == '=') {
                if (!hit->arg) {
                    fprintf(stderr, "weft %s: --%s takes no value\n", cmd->name, hit->name);
                    cur = NULL;
                    return '?';
                }
                val = name + len + 1;
            }
        } else {
            for (const cli_opt *o = cmd->opts; o && o->name; o++)
                if (o->shrt && o->key == (unsigned char)a[1]) { hit = o; break; }
            if (!hit) {
                char shown[2] = { a[1], 0 };
                fprintf(stderr, "weft %s: unknown option -%s\n", cmd->name, esc(shown));
                suggest(cmd, shown, false);
                cur = NULL;
                return '?';
            }
            if (a[2]) {
                if (!hit->arg) {
                    fprintf(stderr, "weft %s: -%c takes no value (options are not bundled: give each on its own)\n",
                            cmd->name, a[1]);
                    cur = NULL;
                    return '?';
                }
                val = a + 2;
            }
        }
        if (hit->arg && !val) {
            if (next >= argc) {
                fprintf(stderr, "weft %s: --%s needs a value (%s)\n", cmd->name, hit->name, hit->arg);
                cur = NULL;
                return '?';
            }
            /* the value too goes before the positional block */
            val = argv[next];
            int vat = next - npos;
            if (npos) {
                memmove(&argv[vat + 1], &argv[vat], (size_t)npos * sizeof *argv);
                argv[vat] = (char *)val;
            }
            next++;
        }
        optarg = (char *)val;
        optind = next - npos;
        return hit->key;
    }
}
