/* weft __worker SPEC: the worker mode of `start_method spawn` (a process the
 * processes backend exec'd for a unit). Not for people: it attaches to a run
 * that is going on and never returns while it does. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_worker(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "weft __worker: started by weft itself, for start_method spawn\n");
        return EXIT_INPUT;
    }
    diag d;
    diag_clear(&d);
    int rc = sim_worker_main(argv[1], &d);
    fprintf(stderr, "weft __worker: %s\n", d.msg);
    return exit_for(rc);
}
