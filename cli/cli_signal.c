/* cli: Ctrl-C during a run raises the flag the runtime polls. */
#include <signal.h>
#include <stdatomic.h>

#include "cli/cli.h"

_Atomic int interrupt_flag;
static void on_sigint(int sig) {
    (void)sig;
    atomic_store(&interrupt_flag, 1);
}

/* Ctrl-C during a run raises the interrupt flag the runtime polls. */
void catch_sigint(bool on) {
    struct sigaction sa = { 0 };
    sa.sa_handler = on ? on_sigint : SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
}
