/* weft view: the animated viewer, or a headless render. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

int cmd_view(int argc, char **argv) {
    const char *png = NULL;
    double at = -1;
    int width = 0, height = 0;
    static const struct option opts[] = { { "at", required_argument, 0, 'a' }, { "screenshot", required_argument, 0, 's' },
                                          { "size", required_argument, 0, 'z' }, { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': {
            char *end;
            at = strtod(optarg, &end);
            if (*end == '%') { at /= 100; end++; }
            if (*end || at < 0 || at > 1) {
                fprintf(stderr, "weft view: --at takes 0..1 or 0%%..100%%, not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            break;
        }
        case 's': png = optarg; break;
        case 'z':
            if (sscanf(optarg, "%dx%d", &width, &height) != 2 || width < 200 || height < 150 || width > 8192 || height > 8192) {
                fprintf(stderr, "weft view: --size takes WxH between 200x150 and 8192x8192, not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_INPUT;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "weft view: give one recording\n"); return EXIT_INPUT; }
    bool window = !png;
    if (window && !has_display()) {
        fprintf(stderr, "weft view: no display (DISPLAY is not set); use --screenshot out.png\n");
        return EXIT_IO;
    }
    input in;
    int rc = input_open(&in, argv[optind]);
    if (rc) return rc;
    output o = { .slot = -1 };
    if (png && (rc = output_begin(&o, png, "PNG")) == 0) rc = output_not_input(&o, &in, "PNG");
    loaded l = { 0 };
    if (!rc) rc = load_recording_from(&l, &in);
    input_close(&in);
    if (!rc) rc = show(&l, window, png ? &o : NULL, at, width, height);
    if (png && rc) output_discard(&o);
    else if (png && (rc = output_commit(&o)) == 0 && !cli_quiet) printf("wrote the timeline to %s\n", esc(png));
    output_release(&o);
    free_loaded(&l);
    return rc;
}
