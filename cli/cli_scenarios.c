/* cli: where the bundled scenarios are, and a scenario given by name. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* $WEFT_SCENARIOS, else beside the binary: the source tree's scenarios/ (from
 * build/ or build/x/), an installed tree's share/weft/scenarios, or ./scenarios. */
const char *scenario_dir(void) {
    static char dir[PATH_MAX + 64];
    const char *env = getenv("WEFT_SCENARIOS");
    if (env && *env) return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *s = strrchr(exe, '/');
        if (s) *s = 0;
        const char *cands[] = { "/../share/weft/scenarios", "/../scenarios", "/../../scenarios", "/scenarios" };
        for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
            snprintf(dir, sizeof dir, "%s%s", exe, cands[i]);
            struct stat st;
            char probe[sizeof dir + 32];
            snprintf(probe, sizeof probe, "%s/producer_consumer.scn", dir);
            if (stat(probe, &st) == 0) return dir;
        }
    }
    return "scenarios";
}

const char *scenario_path(const char *given) {
    static char path[PATH_MAX + 128];
    struct stat st;
    if (stat(given, &st) == 0 || strchr(given, '/') || !*given || strlen(given) > 200) return given;
    const char *dir = scenario_dir();
    size_t l = strlen(given);
    snprintf(path, sizeof path, "%s/%s%s", dir, given, l > 4 && !strcmp(given + l - 4, ".scn") ? "" : ".scn");
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return path;
    return given;
}
