/* base: the clock. CLOCK_MONOTONIC is the clock of every recording; the
 * recorder's hot path reads the TSC where it is invariant and maps ticks to
 * CLOCK_MONOTONIC ns with a calibration.
 *
 * Calibrating takes a 10 ms sleep, so clk_calibrate_cached() keeps the result
 * in the user's cache (base_cache.c), per machine and CPU model, together with
 * the (tick, ns) pair it was measured at and the boot it belongs to. A later
 * process of the same boot pairs the clocks once more and divides over the
 * whole time since that first pair: no sleep, and a rate measured over minutes
 * or days instead of 10 ms (kept for later boots once the baseline is a minute
 * or more). A rate that disagrees with the cached one by more than 1e-4 (a VM
 * migrated, a different TSC frequency) is measured again. */
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t clk_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clk_thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Samples (tsc, mono) with the tightest bracket, to pair the two clocks. */
static void clk_pair(uint64_t *tick, uint64_t *ns) {
    *tick = *ns = 0;
#if defined(__x86_64__)
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 16; i++) {
        uint64_t a = clk_rdtsc();
        uint64_t m = clk_mono_ns();
        uint64_t b = clk_rdtsc();
        if (b - a < best) { best = b - a; *tick = a + (b - a) / 2; *ns = m; }
    }
#else
    *tick = *ns = clk_mono_ns();
#endif
}

static void clk_use_ns(clk_calib *c) {
    memset(c, 0, sizeof *c);
    c->tsc = false;
    c->ns_per_tick = 1.0;
}

/* Measures the rate over a 10 ms sleep. False if the TSC did not move on. */
static bool clk_measure(clk_calib *c) {
    uint64_t t0, n0, t1, n1;
    clk_pair(&t0, &n0);
    struct timespec req = { 0, 10 * 1000 * 1000 };
    while (nanosleep(&req, &req) != 0 && errno == EINTR) {}
    clk_pair(&t1, &n1);
    if (t1 <= t0 || n1 <= n0) return false;
    c->tsc = true;
    c->tick0 = t0;
    c->ns0 = n0;
    c->ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
    return true;
}

void clk_calibrate(clk_calib *c, bool allow_tsc) {
    clk_use_ns(c);
    if (allow_tsc && machine_tsc_invariant() && !clk_measure(c)) clk_use_ns(c);
    clk_cpu_detect(c);
}

#define CLK_CACHE "calibration"

static void clk_store(const clk_calib *c, const char *boot) {
    char key[64], val[192];
    snprintf(key, sizeof key, "tsc.%s", machine_key());
    snprintf(val, sizeof val, "%s %llu %llu %.17g", boot, (unsigned long long)c->tick0, (unsigned long long)c->ns0,
             c->ns_per_tick);
    cache_put(CLK_CACHE, key, val);
}

static void clk_calibrate_cached_(clk_calib *c, bool allow_tsc);

void clk_calibrate_cached(clk_calib *c, bool allow_tsc) {
    clk_calibrate_cached_(c, allow_tsc);
    clk_cpu_detect(c);   /* the CPU with each tick (base_cpu.c) */
}

static void clk_calibrate_cached_(clk_calib *c, bool allow_tsc) {
    clk_use_ns(c);
    if (!allow_tsc || !machine_tsc_invariant()) return;
    char boot[64] = "";
    machine_boot_id(boot, sizeof boot);
    char key[64], val[192], cboot[64];
    snprintf(key, sizeof key, "tsc.%s", machine_key());
    unsigned long long tick_c, ns_c;
    double rate_c;
    bool have = cache_get(CLK_CACHE, key, val, sizeof val) &&
                sscanf(val, "%63s %llu %llu %lg", cboot, &tick_c, &ns_c, &rate_c) == 4 && rate_c > 0 && rate_c < 1e3;
    if (have) {
        uint64_t t1, n1;
        clk_pair(&t1, &n1);
        double rate = rate_c;
        bool same_boot = boot[0] && !strcmp(boot, cboot) && t1 > tick_c && n1 > ns_c;
        if (same_boot && n1 - ns_c >= 1000000000ull)
            rate = (double)(n1 - ns_c) / (double)(t1 - tick_c);   /* the long baseline */
        double rel = rate / rate_c - 1;
        if (rel < 1e-4 && rel > -1e-4) {
            c->tsc = true;
            c->tick0 = t1;
            c->ns0 = n1;
            c->ns_per_tick = rate;
            if (!same_boot) {
                clk_store(c, boot[0] ? boot : "-");   /* this boot's first pair */
            } else if ((rel > 1e-7 || rel < -1e-7) && n1 - ns_c >= 60000000000ull) {
                /* a minute or more of baseline: keep its better rate (with the old pair) for the next boots */
                clk_calib keep = { .tsc = true, .tick0 = tick_c, .ns0 = ns_c, .ns_per_tick = rate };
                clk_store(&keep, cboot);
            }
            return;
        }
    }
    if (!clk_measure(c)) { clk_use_ns(c); return; }
    clk_store(c, boot[0] ? boot : "-");
}
