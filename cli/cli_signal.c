/* cli: signals.
 *
 * During a run (signals_run(true)) the first SIGINT, SIGTERM or SIGHUP only
 * raises interrupt_flag: the runtime's watchdog polls it and ends the run as
 * `interrupted`, the recording gets its RUN_END and trailer and is renamed
 * into place, the stats are printed, and then signals_finish() ends weft with
 * that signal (so a shell running weft in a loop stops, as for any program).
 *
 * Any other time, and for a second signal during a run (a run that does not
 * end), these signals and SIGPIPE (stdout closed: `weft run | head`) and
 * SIGABRT (a BUG()) end weft at once: outputs_abandon() removes the temporary
 * files, so the files at the output paths stay as they were, then the signal
 * is raised again with its default action. The handler uses only
 * async-signal-safe calls. (SIGKILL cannot be caught: it leaves the temporary
 * recording, a readable prefix, as .NAME.tmp-XXXXXX beside the output.)
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include "cli/cli.h"

_Atomic int interrupt_flag;
/* atomics, not volatile sig_atomic_t: the handler may run on any of the run's threads */
static _Atomic int run_active, caught;
static bool installed;

static const int handled[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGABRT };

static void die_now(int sig) {
    outputs_abandon();
    struct sigaction sa = { 0 };
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    raise(sig);   /* delivered when the handler returns */
}

static void on_signal(int sig) {
    int saved = errno;
    int none = 0;
    if (atomic_load(&run_active) && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) &&
        atomic_compare_exchange_strong(&caught, &none, sig)) {
        atomic_store(&interrupt_flag, 1);
    } else {
        die_now(sig);
    }
    errno = saved;
}

void signals_install(void) {
    if (installed) return;
    installed = true;
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) sigaddset(&sa.sa_mask, handled[i]);
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) {
        struct sigaction old;
        /* a signal ignored by whoever started weft (nohup, a shell's background job) stays ignored */
        if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN && handled[i] != SIGABRT) continue;
        sigaction(handled[i], &sa, NULL);
    }
}

void signals_run(bool on) {
    if (on) signals_install();
    atomic_store(&run_active, on);
}

int signals_caught(void) { return atomic_load(&caught); }

const char *signal_name(int sig) {
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGPIPE: return "SIGPIPE";
    case SIGABRT: return "SIGABRT";
    default: return "a signal";
    }
}

void signals_finish(void) {
    int sig = atomic_load(&caught);
    if (!sig) return;
    fflush(NULL);
    struct sigaction sa = { 0 };
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}
