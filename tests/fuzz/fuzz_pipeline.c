/* libFuzzer target: a recording through everything that reads one: the
 * reader (CRCs recomputed, fuzz_crc.c), the model of each run, the stats as
 * text and JSON, the Perfetto, Chrome JSON and text exports, a diff of the
 * first run against the last, and a headless render (the whole run,
 * the playhead in the middle, zoomed in 64 times) on the SDL software renderer (kept open across inputs:
 * opening SDL and the fonts per input would make the fuzzer crawl). Nothing
 * may crash, hang, leak or overflow, whatever the recording says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/rdr.h"
#include "tests/fuzz/fuzz_crc.h"
#include "traces/trc.h"

static rdr_canvas *canvas;
static FILE *devnull;

static void render(const trc_recording *rec, const trc_model *models) {
    if (!canvas) {
        diag d;
        if (rdr_canvas_open(&canvas, 480, 320, NULL, &d)) abort();   /* no fonts or SDL: nothing to fuzz */
    }
    rdr_view_desc desc = { .rec = rec, .models = models, .nmodels = rec->nruns, .width = 480, .height = 320, .at = -1 };
    rdr_view v;
    diag d;
    if (rdr_view_init(&v, &desc, &d)) return;
    rdr_canvas_frame(canvas, &v);
    /* the playhead in the middle, then zoomed in around it */
    rdr_view_set_playhead(&v, rdr_view_t_at(&v, 240));
    rdr_canvas_frame(canvas, &v);
    rdr_view_zoom(&v, 64, 240);
    rdr_canvas_frame(canvas, &v);
    rdr_view_release(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull && !(devnull = fopen("/dev/null", "wb"))) abort();
    uint8_t *p = malloc(size ? size : 1);
    if (size) memcpy(p, data, size);
    fuzz_fix_crcs(p, size);
    trc_recording *rec = NULL;
    diag d;
    if (trc_recording_load_mem(&rec, p, size, "fuzz.weft", &d) == 0) {
        trc_model *models = calloc(rec->nruns ? rec->nruns : 1, sizeof *models);
        uint32_t built = 0;
        while (built < rec->nruns && trc_model_build(&models[built], &rec->runs[built], &d) == 0) built++;
        if (built == rec->nruns) {
            for (uint32_t i = 0; i < rec->nruns; i++) {
                buf b = { 0 };
                trc_stats_text(&b, &models[i]);
                buf_release(&b);
            }
            buf j = { 0 };
            trc_stats_json(&j, models, rec->nruns);
            buf_release(&j);
            trc_export_perfetto(devnull, rec, models, &d);
            trc_export_json(devnull, rec, models, NULL, NULL, &d);
            trc_export_text(devnull, rec, models, false, NULL, NULL, &d);
            trc_export_text(devnull, rec, models, true, NULL, NULL, &d);
            if (rec->nruns) {   /* diff: the first run against the last */
                trc_stats sa, sb;
                trc_stats_build(&sa, &models[0]);
                trc_stats_build(&sb, &models[rec->nruns - 1]);
                trc_diff df;
                trc_diff_build(&df, &sa, &sb);
                buf t = { 0 };
                trc_diff_text(&t, &df, "a", "b", false);
                const trc_diff *dp = &df;
                const char *la = "a", *lb = "b";
                trc_diff_json(&t, &dp, &la, &lb, 1, NULL, NULL, 0);
                buf_release(&t);
                trc_diff_release(&df);
                trc_stats_release(&sa);
                trc_stats_release(&sb);
            }
            if (rec->nruns) render(rec, models);
        }
        for (uint32_t i = 0; i < built; i++) trc_model_release(&models[i]);
        free(models);
        trc_recording_free(rec);
    }
    free(p);
    return 0;
}
