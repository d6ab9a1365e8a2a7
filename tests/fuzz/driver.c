/* Runs inputs through a fuzz target without libFuzzer (the regression ctests):
 *   fuzz_X_driver PATH...
 * Every file named, and every file under every folder named, in name order,
 * goes through LLVMFuzzerTestOneInput once. A crash or a sanitizer report
 * ends the program (and fails the test); at the end it says how many ran. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long ran;

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) { fprintf(stderr, "fuzz driver: cannot read %s\n", path); return 1; }
    if (S_ISDIR(st.st_mode)) {
        DIR *dp = opendir(path);
        if (!dp) { fprintf(stderr, "fuzz driver: cannot open %s\n", path); return 1; }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(dp)))
            if (de->d_name[0] != '.') ARR_PUSH(names, n, cap, xstrdup(de->d_name));
        closedir(dp);
        qsort(names, n, sizeof *names, cmp);
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(path) + strlen(names[i]) + 2;
            char *sub = xmalloc(len);
            snprintf(sub, len, "%s/%s", path, names[i]);
            rc |= run_path(sub);
            free(sub);
            free(names[i]);
        }
        free(names);
        return rc;
    }
    char *data;
    size_t len;
    diag d;
    if (file_read_max(path, (size_t)64 << 20, &data, &len, &d)) { fprintf(stderr, "fuzz driver: %s\n", d.msg); return 1; }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    free(data);
    ran++;
    return 0;
}

int main(int argc, char **argv) {
    int rc = 0;
    for (int i = 1; i < argc; i++) rc |= run_path(argv[i]);
    printf("%lu inputs ran through the target without a crash\n", ran);
    return rc;
}
