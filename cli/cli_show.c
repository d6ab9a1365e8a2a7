/* cli: the bridge to the viewer (a window or a PNG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WEFT_HAVE_GUI
#include "render/rdr.h"
#endif
#include "cli/cli.h"

bool has_display(void) {
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    const char *drv = getenv("SDL_VIDEODRIVER");
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen"))) return false;
    return (x && *x) || (w && *w);
}

int show(const loaded *l, bool window, output *png, double at, int width, int height) {
#ifdef WEFT_HAVE_GUI
    rdr_view_desc vd = { .rec = l->rec, .models = l->models, .nmodels = l->rec->nruns, .width = width,
                         .height = height, .at = at };
    diag d;
    diag_clear(&d);
    if (png) {
        int rc = rdr_screenshot(&vd, png->tmp, &d);
        if (rc) { output_fix_diag(png, &d); print_diag(png->given, &d, rc); return exit_for(rc); }
    }
    if (window) {
        if (at < 0) { vd.at = 0; vd.play = true; }   /* the window opens at the start and plays */
        int rc = rdr_view_run(&vd, &d);
        if (rc) { print_diag("view", &d, rc); return exit_for(rc); }
    }
    return 0;
#else
    (void)l; (void)at; (void)width; (void)height;
    if (window || png) {
        fprintf(stderr, "weft: this weft was built without the viewer (WEFT_GUI=OFF)\n");
        return EXIT_IO;
    }
    return 0;
#endif
}
