/* The viewer module (weft-viewer.so): render/ and SDL2 behind one table that
 * the weft binary looks up with dlsym (see viewer_api.h). Not part of the
 * weft executable. */
#include "cli/viewer_api.h"

__attribute__((visibility("default"))) const weft_viewer_api weft_viewer_api_table
    __asm__(WEFT_VIEWER_SYMBOL) = { .abi = WEFT_VIEWER_ABI, .sizes = WEFT_VIEWER_SIZES,
                                    .screenshot = rdr_screenshot, .run = rdr_view_run, .frames = rdr_frames,
                                    .png_write = rdr_png_write };
