/* base: which CPU the calling thread runs on, read with the clock's tick
 * (clk_ticks_cpu in base.h). clk_cpu_detect picks the cheapest way this
 * machine offers, once, when a clock is calibrated:
 *   rdtscp     where the TSC is the clock and the CPU has the instruction: the
 *              tick and TSC_AUX (Linux keeps (node << 12) | cpu there) in one
 *              instruction, so the CPU costs nothing more than the tick;
 *   rseq       else the cpu_id field of the rseq area glibc (>= 2.35)
 *              registers for every thread, kept current by the kernel: a load;
 *   getcpu     else sched_getcpu() (a vDSO call).
 * A virtual clock (the deterministic test platform) has no CPU.
 * clk_cpu_set folds the clock and the mode into one byte (`read`) that
 * clk_ticks_cpu tests once: TSC with rseq, rdtscp and TSC without a CPU are
 * read inline; the rest calls clk_ticks_cpu_any. */
#include "base.h"

#include <sched.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define BASE_HAVE_RSEQ 1
#endif
#endif

uint32_t clk_getcpu(void) {
    int c = sched_getcpu();
    return c < 0 ? UINT32_MAX : (uint32_t)c;
}

static bool has_rdtscp(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return false;
    return (d >> 27) & 1u;
#else
    return false;
#endif
}

/* The offset of the thread's rseq cpu_id from the thread pointer, when glibc
 * registered an rseq area and its cpu_id agrees with sched_getcpu(). */
static bool rseq_cpu_offset(intptr_t *off) {
#if defined(BASE_HAVE_RSEQ) && (defined(__x86_64__) || defined(__aarch64__))
    if (__rseq_size < 8) return false;
    *off = (intptr_t)__rseq_offset + 4;
    const volatile int32_t *p = (const volatile int32_t *)((char *)__builtin_thread_pointer() + *off);
    return *p >= 0 && (uint32_t)*p == clk_getcpu();
#else
    (void)off;
    return false;
#endif
}

void clk_cpu_set(clk_calib *c, uint8_t cpu_mode) {
    c->cpu_mode = cpu_mode;
    c->read = CLK_READ_ANY;
#if defined(__x86_64__)
    if (c->tsc && !c->virt) {
        if (cpu_mode == CLK_CPU_NONE) c->read = CLK_READ_TSC;
        else if (cpu_mode == CLK_CPU_RSEQ) c->read = CLK_READ_TSC_RSEQ;
        else if (cpu_mode == CLK_CPU_RDTSCP) c->read = CLK_READ_RDTSCP;
    }
#endif
}

void clk_cpu_detect(clk_calib *c) {
    c->rseq_cpu = 0;
    if (c->virt) clk_cpu_set(c, CLK_CPU_NONE);
    else if (c->tsc && has_rdtscp()) clk_cpu_set(c, CLK_CPU_RDTSCP);
    else if (rseq_cpu_offset(&c->rseq_cpu)) clk_cpu_set(c, CLK_CPU_RSEQ);
    else clk_cpu_set(c, CLK_CPU_GETCPU);
}

/* Every case clk_ticks_cpu does not read inline (and those too, for a clk_calib
 * whose `read` was left 0). */
clk_tick_cpu clk_ticks_cpu_any(const clk_calib *c, bool ordered, uint32_t cpu) {
#if defined(__x86_64__)
    if (c->cpu_mode == CLK_CPU_RDTSCP) {
        uint32_t lo, hi, aux;
        __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
        return (clk_tick_cpu){ (uint64_t)hi << 32 | lo, aux & 0xfff };
    }
#endif
    uint64_t t = ordered ? clk_ticks_ordered(c) : clk_ticks(c);
    if (c->cpu_mode == CLK_CPU_RSEQ) cpu = *(const volatile uint32_t *)((char *)__builtin_thread_pointer() + c->rseq_cpu);
    else if (c->cpu_mode == CLK_CPU_GETCPU) cpu = clk_getcpu();
    return (clk_tick_cpu){ t, cpu };
}
