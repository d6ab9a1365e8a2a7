/* The stage region: the scenario's objects drawn as pictures at the playhead's
 * time. NOT BUILT YET: this stub only keeps the region's place in the layout
 * (the 'o' key, --stage) and says so plainly in it. The stage's own files
 * (render/rdr_stage*.c) replace this one: they get the region
 * [x, x + w) x [y, y + h) of the frame, the view (the playhead, the runs) and
 * the theme through cx. */
#include "render/rdr_internal.h"

/* false while this stub stands in: the stage is then shown only when asked
 * for ('o', --stage); the real stage sets it true and is on by default in a
 * window wide enough for it (rdr_view_init). */
const bool rdr_stage_built = false;

void rdr_stage(rdr_ctx *cx, int x, int y, int w, int h) {
    rdr_dl_clip(cx->dl, x, y, w, h);
    rdr_dl_rect(cx->dl, x, y, w, h, cx->th->panel);
    rdr_dl_rect(cx->dl, x, y, 1, h, cx->th->grid);
    rdr_text(cx, x + 14, y + 10, RDR_FONT_BOLD, cx->th->text, "stage");
    rdr_text_fit(cx, x + 14, y + 10 + cx->line_h + 4, RDR_FONT_REGULAR, cx->th->text_dim,
                 "not in this build yet: the objects as pictures will show here", w - 28);
    rdr_text_fit(cx, x + 14, y + 10 + 2 * cx->line_h + 4, RDR_FONT_REGULAR, cx->th->text_dim, "(o hides this region)", w - 28);
    rdr_dl_clip(cx->dl, 0, 0, 0, 0);
}
