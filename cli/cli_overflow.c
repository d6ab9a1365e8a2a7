/* cli: a task that overruns its stack (coroutines) hits its guard page; the
 * fibers' SIGSEGV handler recognises it and calls this hook, which says which
 * task and how big its stack was, before the process dies by SIGSEGV as it
 * would have. It runs in a signal handler: write(2) only, no stdio. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/sim_plat_fiber.h"

static void put(const char *s, size_t n) {
    while (n) {
        ssize_t w = write(2, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void put_num(size_t v) {
    char b[24];
    size_t i = sizeof b;
    do b[--i] = (char)('0' + v % 10);
    while ((v /= 10) && i);
    put(b + i, sizeof b - i);
}

static void on_overflow(const sim_fiber_overflow *info, void *ctx) {
    (void)ctx;
    puts_("weft: stack overflow in task '");
    puts_(info->name);
    puts_("' (a stack of ");
    put_num(info->stack_size);
    puts_(" bytes)\nhint: give the tasks a bigger stack with 'task_stack N' (bytes) in the scenario\n");
}

void cli_overflow_hook(void) { sim_fiber_overflow_handler_install(on_overflow, NULL); }
