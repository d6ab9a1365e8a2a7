/* pfequiv A B [--packets]: are two Perfetto traces the same trace (pfcmp.h)?
 * A: the reference (e.g. an older weft's export of a recording), B: the one
 * checked (its descriptor order and sequence starts are checked too).
 * --packets: the packet comparison only (no decoding: for traces too big to
 * decode in memory). Prints the counts; exit 0 equivalent, 1 not, 2 error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfcmp.h"

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return NULL; }
    size_t cap = 1 << 20;
    *n = 0;
    uint8_t *d = malloc(cap);
    for (size_t k; d && (k = fread(d + *n, 1, cap - *n, f)) > 0;) {
        *n += k;
        if (*n == cap) {
            uint8_t *g = realloc(d, cap *= 2);
            if (!g) { free(d); d = NULL; }
            else d = g;
        }
    }
    fclose(f);
    if (!d) fprintf(stderr, "pfequiv: %s: out of memory\n", path);
    return d;
}

int main(int argc, char **argv) {
    bool decode = true;
    if (argc == 4 && !strcmp(argv[3], "--packets")) decode = false;
    else if (argc != 3) { fprintf(stderr, "usage: pfequiv A B [--packets]\n"); return 2; }
    size_t na, nb;
    uint8_t *a = slurp(argv[1], &na), *b = a ? slurp(argv[2], &nb) : NULL;
    if (!a || !b) { free(a); return 2; }
    pfcmp_counts c;
    char why[512];
    int rc = pfcmp(a, na, b, nb, decode, &c, why, sizeof why);
    free(a);
    free(b);
    printf("packets %zu %zu, sequences %zu %zu", c.packets_a, c.packets_b, c.sequences_a, c.sequences_b);
    if (decode) printf(", tracks %zu, events %zu (packets %s)", c.tracks, c.events,
                       c.packets_same ? "identical per sequence" : "differ in bytes");
    printf(": %s%s\n", rc == 0 ? "equivalent" : rc > 0 ? "DIFFERENT: " : "ERROR: ", why);
    return rc == 0 ? 0 : rc > 0 ? 1 : 2;
}
