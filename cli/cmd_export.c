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
        fprintf(stderr, "weft export: unknown format '%s' (this version writes: perfetto)\n", esc(format));
        return EXIT_INPUT;
    }
    input in;
    int rc = input_open(&in, argv[optind]);
    if (rc) return rc;
    if (!out && input_is_special(&in)) {
        fprintf(stderr, "weft export: the recording comes from a pipe or device: give the output with -o\n");
        input_close(&in);
        return EXIT_INPUT;
    }
    char *outp = out ? xstrdup(out) : replace_ext(argv[optind], ".pftrace");
    output o;
    rc = output_begin(&o, outp, "Perfetto trace");
    if (!rc) rc = output_not_input(&o, &in, "Perfetto trace");
    if (!rc) {
        loaded l;
        rc = load_recording_from(&l, &in);
        if (!rc) {
            rc = export_perfetto(&l, &o);
            free_loaded(&l);
        }
        if (rc) output_discard(&o);
        else rc = output_commit(&o);
        if (!rc && !cli_quiet) printf("wrote %s\n", esc(outp));
    }
    output_release(&o);
    input_close(&in);
    free(outp);
    return rc;
}
