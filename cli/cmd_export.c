/* weft export: write a recording as a Perfetto trace. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cmd_export(int argc, char **argv) {
    const char *out = NULL, *format = "perfetto";
    static const struct option opts[] = { { "output", required_argument, 0, 'o' }, { "format", required_argument, 0, 'f' },
                                          { 0, 0, 0, 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "o:f:", opts, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'f') format = optarg;
        else { usage(stderr); return EXIT_INPUT; }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft export: give one recording\n"); return EXIT_INPUT; }
    if (strcmp(format, "perfetto")) {
        fprintf(stderr, "weft export: unknown format '%s' (this version writes: perfetto)\n", format);
        return EXIT_INPUT;
    }
    char *outp = out ? xstrdup(out) : replace_ext(argv[optind], ".pftrace");
    loaded l;
    int rc = load_recording(&l, argv[optind]);
    if (!rc) {
        rc = export_perfetto(&l, outp);
        if (!rc && !cli_quiet) printf("wrote %s\n", outp);
        free_loaded(&l);
    }
    free(outp);
    return rc;
}
