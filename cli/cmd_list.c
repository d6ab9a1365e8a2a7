/* weft list: the bundled scenarios with their titles. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const cli_opt list_opts[] = {
    { "names", 'n', false, NULL, "only the names, one a line (for scripts and completion)", NULL },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_list = {
    .name = "list", .fn = cmd_list, .opts = list_opts,
    .summary = "the bundled scenarios with one line each",
    .description = "Lists the bundled scenarios and their titles. weft run NAME and weft check NAME take\n"
                   "these names from any folder. The folder is $WEFT_SCENARIOS if set, else the one\n"
                   "installed with weft (share/weft/scenarios) or the source tree's scenarios/.",
    .examples = "weft list\n"
                "weft run $(weft list --names | head -1)",
};

int cmd_list(int argc, char **argv) {
    bool names_only = false;
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_list)) != -1) {
        switch (c) {
        case 'n': names_only = true; break;
        case 'h': cli_help(stdout, &cli_cmd_list); return 0;
        default: return EXIT_INPUT;
        }
    }
    if (optind != argc) { fprintf(stderr, "weft list: takes no arguments\n"); return EXIT_INPUT; }
    const char *dir = scenario_dir();
    DIR *dp = opendir(dir);
    if (!dp) { fprintf(stderr, "weft list: cannot open %s: %s\n", esc(dir), strerror(errno)); return EXIT_IO; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".scn")) ARR_PUSH(names, n, cap, xstrdup(de->d_name));
    }
    closedir(dp);
    qsort(names, n, sizeof *names, cmp_str);
    /* names and titles are shown escaped (a file name may hold anything), aligned by their columns */
    int width = 0;
    for (size_t i = 0; i < n; i++) {
        int w = esc_columns(names[i], (int)strlen(names[i]));
        if (w > width) width = w;
    }
    for (size_t i = 0; i < n && names_only; i++) {
        names[i][strlen(names[i]) - 4] = 0;
        printf("%s\n", esc(names[i]));
        free(names[i]);
    }
    for (size_t i = 0; i < n && !names_only; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        diag d;
        diag_clear(&d);
        sim_program *p;
        int pad = width - esc_columns(names[i], (int)strlen(names[i]));
        if (sim_parse_file(&p, path, NULL, 0, &d) == 0) {
            printf("%s%*s  %s\n", esc(names[i]), pad, "", esc(p->title));
            sim_program_free(p);
        } else {
            printf("%s%*s  (does not parse: %s)\n", esc(names[i]), pad, "", esc(d.msg));
        }
        free(names[i]);
    }
    free(names);
    return 0;
}
