/* Real CPU work for `compute`: a dependent integer chain the compiler cannot
 * fold, calibrated once against CLOCK_THREAD_CPUTIME_ID. sim_burn() then runs
 * in slices of at most 25 us and steers by the thread CPU clock, so
 * `compute 2ms` burns 2 ms of CPU within a few percent even if the CPU clock
 * speed drifts after calibration.
 *
 * Calibrating takes about 50 ms, so it is done only for programs that compute
 * (sim_program_computes, in sim_needs.c), and its result is kept in the user's
 * cache per machine and CPU model: a later run starts from it and only steers. */
#include "sim/sim.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static double iters_per_us;
static pthread_once_t calib_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t burn_sink;

static uint64_t burn_iters(uint64_t n) {
    uint64_t x = 0x9E3779B97F4A7C15ull ^ n;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        __asm__ __volatile__("" : "+r"(x));
    }
    return x;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define BURN_CACHE "calibration"

static void calibrate(void) {
    char key[64], val[64];
    snprintf(key, sizeof key, "burn.%s", machine_key());
    double cached;
    if (cache_get(BURN_CACHE, key, val, sizeof val) && sscanf(val, "%lg", &cached) == 1 && cached >= 1 &&
        cached < 1e7) {
        iters_per_us = cached;
        return;
    }
    /* warm up, then take the median of 9 trials of ~5 ms each */
    burn_iters(200000);
    uint64_t n = 200000;
    for (;;) {
        uint64_t c0 = clk_thread_cpu_ns();
        burn_iters(n);
        uint64_t dt = clk_thread_cpu_ns() - c0;
        if (dt >= 2000000 || n > (1ull << 34)) break;
        n *= 2;
    }
    double r[9];
    for (int i = 0; i < 9; i++) {
        uint64_t c0 = clk_thread_cpu_ns();
        atomic_fetch_add_explicit(&burn_sink, burn_iters(n), memory_order_relaxed);
        uint64_t dt = clk_thread_cpu_ns() - c0;
        r[i] = (double)n / ((double)(dt ? dt : 1) / 1000.0);
    }
    qsort(r, 9, sizeof r[0], cmp_double);
    iters_per_us = r[4];
    if (!(iters_per_us > 0)) iters_per_us = 100.0;
    snprintf(val, sizeof val, "%.6g", iters_per_us);
    cache_put(BURN_CACHE, key, val);
}

void sim_calibrate(void) { pthread_once(&calib_once, calibrate); }

double sim_burn_iters_per_us(void) {
    sim_calibrate();
    return iters_per_us;
}

uint64_t sim_burn(uint64_t ns, const _Atomic int *abort) {
    sim_calibrate();
    uint64_t c0 = clk_thread_cpu_ns();
    uint64_t target = c0 + ns;
    /* The iteration rate can change under load (a busy hyperthread sibling,
     * frequency changes), so each slice re-measures it and sizes the next one
     * to at most 25 us or half of what is left: the overshoot stays a few us. */
    double rate = iters_per_us / 1000.0;          /* iterations per CPU ns */
    uint64_t acc = 0, now = c0;
    for (;;) {
        if (now >= target) break;
        if (abort && atomic_load_explicit(abort, memory_order_relaxed)) break;
        uint64_t left = target - now;
        uint64_t want = left > 50000 ? 25000 : left / 2 + 1;
        uint64_t n = (uint64_t)(rate * (double)want);
        if (n < 16) n = 16;
        acc ^= burn_iters(n);
        uint64_t after = clk_thread_cpu_ns();
        if (after > now) {
            double r = (double)n / (double)(after - now);
            rate = 0.5 * rate + 0.5 * r;
        }
        now = after;
    }
    atomic_fetch_add_explicit(&burn_sink, acc, memory_order_relaxed);
    return now - c0;
}
