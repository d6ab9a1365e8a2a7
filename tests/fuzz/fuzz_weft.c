/* libFuzzer target: the .weft reader and the model must never crash, hang or
 * leak. Each input is read twice: as it is (the checksums catch almost every
 * mutation: this exercises the framing and the recovery of a valid prefix),
 * then with its CRCs recomputed (fuzz_crc.c), so mutations reach the parsing
 * of the payloads behind them: strings, units, objects, events, run ends. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_crc.h"
#include "traces/trc.h"

static void load(const uint8_t *data, size_t size) {
    trc_recording *rec = NULL;
    diag d;
    if (trc_recording_load_mem(&rec, data, size, "fuzz.weft", &d) != 0) return;
    for (uint32_t i = 0; i < rec->nruns; i++) {
        trc_model m;
        if (trc_model_build(&m, &rec->runs[i], &d) == 0) trc_model_release(&m);
    }
    trc_recording_free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    load(data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    if (size) memcpy(fixed, data, size);
    fuzz_fix_crcs(fixed, size);
    if (size && memcmp(fixed, data, size)) load(fixed, size);
    free(fixed);
    return 0;
}
