/* cli: the viewer as a module. The weft binary does not link SDL: `view`,
 * `run --view` and `--png` dlopen() weft-viewer.so (built from mod_viewer.c
 * with render/ and SDL2) and call it through this table, so every other
 * subcommand starts without loading SDL and its libraries. */
#ifndef WEFT_VIEWER_API_H
#define WEFT_VIEWER_API_H

#include <stdint.h>

#include "render/rdr.h"

#define WEFT_VIEWER_SYMBOL "weft_viewer_api"
#define WEFT_VIEWER_ABI 2u

typedef struct weft_viewer_api {
    uint32_t abi;          /* WEFT_VIEWER_ABI */
    uint32_t sizes[4];     /* sizeof rdr_view_desc, trc_model, trc_run, diag: a module of another build is refused */
    int (*screenshot)(const rdr_view_desc *desc, const char *png_path, diag *d);
    int (*run)(const rdr_view_desc *desc, diag *d);
    int (*frames)(const rdr_view_desc *desc, const rdr_frames_desc *fd, diag *d);
    int (*png_write)(const char *path, const uint32_t *argb, int width, int height, int level, diag *d);
} weft_viewer_api;

/* cli_show.c: the module, loaded on first use; NULL (and the reason printed) when it cannot be. */
const weft_viewer_api *viewer_module(void);

#define WEFT_VIEWER_SIZES { (uint32_t)sizeof(rdr_view_desc), (uint32_t)sizeof(trc_model), (uint32_t)sizeof(trc_run), \
                            (uint32_t)sizeof(diag) }

#endif
