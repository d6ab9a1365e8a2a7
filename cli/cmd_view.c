/* weft view: the animated viewer, or a headless render (a PNG, frames, a video). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

/* --at: "40%", a fraction "0.4", or a time "12ms" / "1.5s" / "300us" / "800ns". */
static bool parse_at(const char *s, view_opts *o) {
    char *end;
    double x = strtod(s, &end);
    if (end == s || !(x >= 0) || !isfinite(x)) return false;
    if (!strcmp(end, "%")) { if (x > 100) return false; o->at = x / 100; return true; }
    if (!*end) { if (x > 1) return false; o->at = x; return true; }
    static const struct { const char *u; double ns; } units[] = { { "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
                                                                  { "ms", 1e6 }, { "s", 1e9 } };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].u)) { o->at_ns = x * units[i].ns; o->at_is_ns = true; return true; }
    return false;
}

static const cli_opt view_options[] = {
    { "at", 'a', false, "WHEN", "where the view starts or the PNG is taken: 40%, 0.4 or a time like 12ms", NULL },
    { "screenshot", 's', false, "FILE", "render one frame to a PNG instead of opening a window", "file:png" },
    { "frames", 'F', false, "DIR", "render a PNG per frame of the animation into DIR", "dir" },
    { "video", 'V', false, "FILE", "render the animation to .mp4, .webm or .gif through ffmpeg", "file:mp4" },
    { "fps", 'r', false, "N", "frames per second of --frames and --video (1..120, default 30)", NULL },
    { "size", 'z', false, "WxH", "the window or image size (200x150 .. 8192x8192)", NULL },
    { "scale", 'x', false, "1..4", "pixels per point, for sharp slides", NULL },
    { "theme", 't', false, "dark|light", "the colours (default dark)", "dark light" },
    { "stage", 'S', false, NULL, "draw the objects as pictures beside the timeline", NULL },
    { "whole", 'W', false, NULL, "show the whole run, not the part where things happen", NULL },
    { "help", 'h', true, NULL, "this help", NULL },
    { 0 } };

const cli_cmd cli_cmd_view = {
    .name = "view", .args = "A.weft [B.weft ...]", .fn = cmd_view, .opts = view_options, .complete = "file:weft",
    .summary = "animate recordings in a window, or render them to a PNG, frames or a video",
    .description = "Opens the viewer at the start of the run and plays it (? lists the keys). Several\n"
                   "recordings, or a recording of several runs, are shown side by side on one time axis.\n"
                   "The stage beside the timeline draws the objects as pictures (o toggles it).\n"
                   "\n"
                   "Without a display, --screenshot, --frames or --video render headless.",
    .examples = "weft view lc.weft                                   # the animated viewer\n"
                "weft view a.weft b.weft                             # side by side\n"
                "weft view lc.weft --screenshot lc.png --at 50%      # a PNG of the middle of the run\n"
                "weft view lc.weft --video lc.mp4                    # a video through ffmpeg",
};

int cmd_view(int argc, char **argv) {
    view_opts o = { .fps = 30, .scale = 1 };
    int c;
    while ((c = cli_getopt(argc, argv, &cli_cmd_view)) != -1) {
        switch (c) {
        case 'a':
            if (!parse_at(optarg, &o)) {
                fprintf(stderr, "weft view: --at takes a fraction 0..1, a percentage 0%%..100%% or a time like 12ms, "
                                "not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            o.at_given = true;
            break;
        case 's': o.png = optarg; break;
        case 'z':
            if (sscanf(optarg, "%dx%d", &o.width, &o.height) != 2 || o.width < 200 || o.height < 150 || o.width > 8192 ||
                o.height > 8192) {
                fprintf(stderr, "weft view: --size takes WxH between 200x150 and 8192x8192, not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            break;
        case 'F': o.frames_dir = optarg; break;
        case 'V': o.video = optarg; break;
        case 'r': {
            char *end;
            o.fps = strtod(optarg, &end);
            if (*end || !(o.fps >= 1 && o.fps <= 120)) {
                fprintf(stderr, "weft view: --fps takes 1..120, not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            break;
        }
        case 'x': {
            char *end;
            o.scale = strtod(optarg, &end);
            if (*end || !(o.scale >= 1 && o.scale <= 4)) {
                fprintf(stderr, "weft view: --scale takes 1..4 (pixels per point, for sharp slides), not '%s'\n", esc(optarg));
                return EXIT_INPUT;
            }
            break;
        }
        case 't':
            if (!strcmp(optarg, "dark")) o.theme = 0;
            else if (!strcmp(optarg, "light")) o.theme = 1;
            else { fprintf(stderr, "weft view: --theme takes dark or light, not '%s'\n", esc(optarg)); return EXIT_INPUT; }
            break;
        case 'S': o.stage = true; break;
        case 'W': o.whole = true; break;
        case 'h': cli_help(stdout, &cli_cmd_view); return 0;
        default: return EXIT_INPUT;
        }
    }
    if (optind >= argc) { fprintf(stderr, "weft view: give one or more recordings (.weft)\n"); return EXIT_INPUT; }
    o.files = (const char *const *)argv + optind;
    o.nfiles = argc - optind;
    if (o.nfiles > 16) { fprintf(stderr, "weft view: at most 16 recordings side by side\n"); return EXIT_INPUT; }
    bool window = !o.png && !o.frames_dir && !o.video;
    if (window && !has_display()) {
        fprintf(stderr, "weft view: no display (DISPLAY is not set); use --screenshot out.png, --frames DIR or "
                        "--video out.mp4\n");
        return EXIT_IO;
    }
    return view_files(&o);
}
