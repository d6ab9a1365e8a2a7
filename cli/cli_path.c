/* cli: output path helpers. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

char *replace_ext(const char *path, const char *ext) {
    size_t n = strlen(path);
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) n = (size_t)(dot - path);
    char *s = xmalloc(n + strlen(ext) + 1);
    memcpy(s, path, n);
    strcpy(s + n, ext);
    return s;
}
