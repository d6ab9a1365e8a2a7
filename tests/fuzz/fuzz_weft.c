/* libFuzzer target: the .weft reader and the model must never crash, hang or leak. */
#include "traces/trc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    trc_recording *rec = NULL;
    diag d;
    if (trc_recording_load_mem(&rec, data, size, "fuzz.weft", &d) == 0) {
        for (uint32_t i = 0; i < rec->nruns; i++) {
            trc_model m;
            if (trc_model_build(&m, &rec->runs[i], &d) == 0) trc_model_release(&m);
        }
        trc_recording_free(rec);
    }
    return 0;
}
