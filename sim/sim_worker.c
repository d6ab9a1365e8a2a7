/* The worker mode of start_method spawn (filled in below). */
#include "sim/sim_internal.h"

int sim_worker_main(const char *spec, diag *d) {
    (void)spec;
    return diag_set(d, ERR_UNSUPPORTED, "spawn is not ready yet");
}
