/* How exactly `compute D` burns D of CPU: 20 x compute 2ms per trial, measured
 * by getrusage (independent of the thread CPU clock sim_burn steers by), by the
 * CPU clock, and on the wall clock; alone, then next to a CPU hog on every core.
 * Prints figures; asserts nothing. */
#include "sim/sim.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

static _Atomic int stop_hogs;

static uint64_t rusage_ns(void) {
    struct rusage r;
    getrusage(RUSAGE_THREAD, &r);
    return (uint64_t)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1000ull;
}

static void *hog(void *arg) {
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) x++;
    return NULL;
}

static void trials(const char *label) {
    printf("%s:\n", label);
    for (int k = 0; k < 5; k++) {
        uint64_t ru = rusage_ns(), cpu = clk_thread_cpu_ns(), wall = clk_mono_ns(), said = 0;
        for (int i = 0; i < 20; i++) said += sim_burn(2000000, NULL);
        printf("  20 x compute 2ms: getrusage %.2f ms, CPU clock %.2f ms, burn reported %.2f ms, wall %.2f ms\n",
               (double)(rusage_ns() - ru) / 1e6, (double)(clk_thread_cpu_ns() - cpu) / 1e6, (double)said / 1e6,
               (double)(clk_mono_ns() - wall) / 1e6);
    }
}

int main(void) {
    sim_calibrate();
    printf("calibration: %.1f iterations per us\n", sim_burn_iters_per_us());
    trials("alone");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    pthread_t th[64];
    for (long i = 0; i < n; i++) pthread_create(&th[i], NULL, hog, NULL);
    char label[64];
    snprintf(label, sizeof label, "next to %ld CPU hogs", n);
    trials(label);
    atomic_store(&stop_hogs, 1);
    for (long i = 0; i < n; i++) pthread_join(th[i], NULL);
    return 0;
}
