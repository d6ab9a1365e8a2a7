/* cli: the bridge to the viewer (a window or a PNG). The viewer is a module,
 * weft-viewer.so, loaded only here (viewer_api.h): looked for in
 * $WEFT_VIEWER_MODULE, next to the weft binary, in WEFT_VIEWER_RELDIR from the
 * binary's folder (an installed tree: ../lib/weft), then in WEFT_VIEWER_LIBDIR. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef WEFT_HAVE_GUI
#include "cli/viewer_api.h"
#endif
#include "cli/cli.h"

bool has_display(void) {
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    const char *drv = getenv("SDL_VIDEODRIVER");
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen"))) return false;
    return (x && *x) || (w && *w);
}

#ifdef WEFT_HAVE_GUI
#define MODULE_NAME "weft-viewer.so"

/* dlopen()s path; NULL with why filled when it cannot be used. */
static const weft_viewer_api *try_module(const char *path, char *why, size_t cap) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, cap, "%s", dlerror());
        return NULL;
    }
    const weft_viewer_api *api = dlsym(h, WEFT_VIEWER_SYMBOL);
    const uint32_t sizes[4] = WEFT_VIEWER_SIZES;
    if (!api || api->abi != WEFT_VIEWER_ABI || memcmp(api->sizes, sizes, sizeof sizes)) {
        snprintf(why, cap, "%s is a viewer module from another build of weft", path);
        dlclose(h);
        return NULL;
    }
    return api;   /* stays loaded until exit */
}

const weft_viewer_api *viewer_module(void) {
    static const weft_viewer_api *api;
    if (api) return api;
    char why[1024] = "", path[PATH_MAX + 64];
    const char *env = getenv("WEFT_VIEWER_MODULE");
    if (env && *env) {
        api = try_module(env, why, sizeof why);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = 0;
            char *slash = strrchr(exe, '/');
            if (slash) *slash = 0;
            snprintf(path, sizeof path, "%s/%s", exe, MODULE_NAME);
            if (access(path, F_OK) == 0) api = try_module(path, why, sizeof why);
#ifdef WEFT_VIEWER_RELDIR
            /* an installed tree, wherever it was installed (cmake --install --prefix P, a package) */
            if (!api && !why[0]) {
                snprintf(path, sizeof path, "%s/%s/%s", exe, WEFT_VIEWER_RELDIR, MODULE_NAME);
                if (access(path, F_OK) == 0) api = try_module(path, why, sizeof why);
            }
#endif
        }
#ifdef WEFT_VIEWER_LIBDIR
        if (!api && !why[0]) {
            snprintf(path, sizeof path, "%s/%s", WEFT_VIEWER_LIBDIR, MODULE_NAME);
            if (access(path, F_OK) == 0) api = try_module(path, why, sizeof why);
        }
#endif
        if (!api && !why[0]) snprintf(why, sizeof why, "%s was not found next to the weft binary", MODULE_NAME);
    }
    if (!api) {
        fprintf(stderr, "weft: the viewer cannot be loaded: %s\n", why);
        if (strstr(why, "SDL"))
            fprintf(stderr, "weft: the viewer needs SDL2 and SDL2_ttf (Debian: apt install libsdl2-2.0-0 "
                            "libsdl2-ttf-2.0-0)\n");
    }
    return api;
}
#endif

int show(const loaded *l, bool window, output *png, double at, int width, int height) {
#ifdef WEFT_HAVE_GUI
    const weft_viewer_api *api = (window || png) ? viewer_module() : NULL;
    if ((window || png) && !api) return EXIT_IO;
    rdr_view_desc vd = { .rec = l->rec, .models = l->models, .nmodels = l->rec->nruns, .width = width,
                         .height = height, .at = at, .relations = view_relations };
    diag d;
    diag_clear(&d);
    if (png) {
        int rc = api->screenshot(&vd, png->tmp, &d);
        if (rc) { output_fix_diag(png, &d); print_diag(png->given, &d, rc); return exit_for(rc); }
    }
    if (window) {
        if (at < 0) { vd.at = 0; vd.play = true; }   /* the window opens at the start and plays */
        int rc = api->run(&vd, &d);
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
