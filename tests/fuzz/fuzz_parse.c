/* libFuzzer target: the scenario parser must never crash, hang or leak. */
#include <stdlib.h>
#include <string.h>
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    sim_program *p = NULL;
    diag d;
    if (sim_parse(&p, "fuzz.scn", text, NULL, 0, &d) == 0) sim_program_free(p);
    /* the same text with an override, which re-evaluates everything */
    sim_define def = { .name = "n", .value = "3" };
    if (sim_parse(&p, "fuzz.scn", text, &def, 1, &d) == 0) sim_program_free(p);
    free(text);
    return 0;
}
