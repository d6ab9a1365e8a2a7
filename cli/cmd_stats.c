/* weft stats: figures per run, unit and object, as text or JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_stats(int argc, char **argv) {
    bool json = false;
    int i = 1;
    const char *path = NULL;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = true;
        else if (!path) path = argv[i];
        else { fprintf(stderr, "weft stats: give one recording\n"); return EXIT_INPUT; }
    }
    if (!path) { fprintf(stderr, "weft stats: give one recording\n"); return EXIT_INPUT; }
    loaded l;
    int rc = load_recording(&l, path);
    if (rc) return rc;
    if (json) {
        buf b = { 0 };
        trc_stats_json(&b, l.models, l.rec->nruns);
        esc_write(stdout, (const char *)b.p, b.n, ESC_JSON);
        buf_release(&b);
    } else {
        print_stats(&l);
    }
    free_loaded(&l);
    return 0;
}
