/* weft list: the bundled scenarios with their titles. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static const char *scenario_dir(char *out, size_t cap) {
    const char *env = getenv("WEFT_SCENARIOS");
    if (env && *env) return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *s = strrchr(exe, '/');
        if (s) *s = 0;
        const char *cands[] = { "/../scenarios", "/../../scenarios", "/../share/weft/scenarios", "/scenarios" };
        for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
            snprintf(out, cap, "%s%s", exe, cands[i]);
            struct stat st;
            char probe[4200];
            snprintf(probe, sizeof probe, "%s/producer_consumer.scn", out);
            if (stat(probe, &st) == 0) return out;
        }
    }
    return "scenarios";
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int cmd_list(int argc, char **argv) {
    char buf_dir[4096];
    const char *dir = scenario_dir(buf_dir, sizeof buf_dir);
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
    for (size_t i = 0; i < n; i++) {
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
    (void)argc;
    return 0;
}
