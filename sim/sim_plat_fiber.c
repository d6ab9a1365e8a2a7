/* sim_plat_fiber.c: fibers, their stack pools, the overflow handler and what
 * the sanitizers are told. The register switch is sim_plat_fiber_<arch>.S, or
 * ucontext where we have no assembly. The contract is in sim_plat_fiber.h.
 *
 * DESIGN
 * - Per-thread state (`tls`, thread-local, never malloc'd): the thread's root
 *   fiber, the running fiber, the fiber the last transfer left, and the
 *   alternate signal stack we gave the thread (released at thread exit by a
 *   pthread key destructor). It is set up by the first call on the thread.
 * - A transfer (resume, yield, switch, a fiber's end) marks the outgoing fiber
 *   SUSPENDED (or DEAD) and the incoming one RUNNING, makes the incoming one
 *   current, announces the switch to ASan and TSan, then swaps registers. The
 *   outgoing side continues after the swap when something transfers back; it
 *   then finishes ASan's half of the switch.
 * - Resumer chains: a fiber's resumer is only followed while that fiber runs
 *   (yield, end) or when it is itself someone's resumer. Every entry by resume
 *   or switch sets the resumer afresh, so the fibers a future yield can reach
 *   are the running fiber's chain (current, its resumer, that one's resumer...)
 *   plus fibers entered later. Refusing to destroy a fiber on the running
 *   fiber's chain is therefore enough: no yield ever reaches a freed fiber.
 * - Pools: reservations (mmap PROT_NONE) carved front to back into
 *   [guard][stack] spans; a returned span goes to a free list per span size.
 *   A mutex per pool: carving and returning are rare next to switching.
 */
#include "sim/sim_plat_fiber.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

//~ which switch, which sanitizers

#if defined(SIM_FIBER_UCONTEXT)
#define FIBER_UCONTEXT 1
#elif defined(__x86_64__) && defined(__ELF__)
#define FIBER_ASM "x86_64"
#elif defined(__aarch64__) && defined(__ELF__)
#define FIBER_ASM "aarch64"
#else
#define FIBER_UCONTEXT 1
#endif

#if defined(FIBER_UCONTEXT)
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define FIBER_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(FIBER_ASAN)
#define FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(FIBER_TSAN)
#define FIBER_TSAN 1
#endif
#endif

#if defined(FIBER_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(FIBER_TSAN)
#include <sanitizer/tsan_interface.h>
/* A TSan fiber context is costly: GCC 12's runtime takes about 10 ms and
 * 850 KB to make one (it zeroes a thread state, a trace and a shadow stack)
 * and counts it as a thread (dying past 8,128). So a fiber holds a context
 * only from its first run to its end; contexts of fibers that ended (their
 * shadow call stack is empty again: fiber_start is not instrumented) are kept
 * per thread and reused by the thread's next fibers, which TSan sees as one
 * thread's program order, as they are; and at most this many are held at once
 * in the process. */
#ifndef SIM_FIBER_TSAN_MAX_LIVE
#define SIM_FIBER_TSAN_MAX_LIVE 256
#endif
static atomic_int tsan_live;
#define FIBER_NO_TSAN __attribute__((no_sanitize("thread")))
#else
#define FIBER_NO_TSAN
#endif

#if !defined(NDEBUG)
#define FIBER_CHECK_DEFAULT true
#else
#define FIBER_CHECK_DEFAULT false
#endif

//~ types

typedef struct fiber_thread fiber_thread;

/* The floating-point control state a switch may carry: x86-64 MXCSR and the
 * x87 control word, AArch64 FPCR (rounding mode, flush-to-zero, traps). */
typedef struct fp_env {
#if defined(__x86_64__)
    uint32_t mxcsr;
    uint16_t x87cw;
#elif defined(__aarch64__)
    uint64_t fpcr;
#else
    char none;
#endif
} fp_env;

struct sim_fiber {
    void *sp;                   /* saved stack pointer (assembly switch) */
    sim_fiber *resumer;         /* where yield and the end go */
    fiber_thread *owner;
    sim_fiber_state state;
    bool root;
    bool check_switch;          /* canary on every switch out */
    bool own_fp;                /* has an FP environment of its own (fp) */
    fp_env fp;                  /* own_fp: its environment while switched out */
    unsigned walk;              /* chain walk marker (destroy) */
    void **recv_slot;           /* where the next pointer sent to us goes */
    void *first;                /* the slot of a fiber that has not started */
    sim_fiber_fn fn;
    void *arg;
    char *stack_lo;             /* usable stack: [stack_lo, stack_lo + stack_size) */
    size_t stack_size;
    size_t guard_size;          /* PROT_NONE just below stack_lo */
    sim_fiber_pool *pool;
#if defined(FIBER_ASAN)
    void *asan_fake;            /* ASan's fake stack while switched out */
#endif
#if defined(FIBER_TSAN)
    void *tsan_fiber;           /* from the first run to the end */
#endif
#if defined(FIBER_UCONTEXT)
    ucontext_t uc;
#endif
    char name[SIM_FIBER_NAME_MAX + 1];
};

struct fiber_thread {
    bool ready;
    bool alt_done;              /* the thread has an alternate signal stack */
    unsigned walk;
    sim_fiber root;
    sim_fiber *current;
    sim_fiber *from;            /* the fiber the last transfer left */
    fp_env shared_fp;           /* the environment of the fibers without their own, while
                                   one with its own runs */
    char *alt_map;              /* our alternate signal stack (guard page included) */
    size_t alt_map_size;
#if defined(FIBER_TSAN)
    void **tsan_spare;          /* contexts of ended fibers, for reuse */
    size_t tsan_nspare, tsan_cap;
#endif
};

static _Thread_local fiber_thread tls;

typedef struct pool_region {
    struct pool_region *next;
    char *base;
    size_t size, used;
} pool_region;

typedef struct pool_class {
    size_t span;                /* guard + stack */
    char **free;                /* span starts */
    size_t nfree, cap;
} pool_class;

struct sim_fiber_pool {
    pthread_mutex_t mu;
    size_t reserve;             /* 0: default */
    size_t guard;               /* 0: one page */
    pool_region *regions;       /* newest first; carving happens in the newest */
    pool_class *classes;
    size_t nclasses, cap_classes;
    size_t nregions, reserved, live, nfree;
};

static sim_fiber_pool default_pool = { .mu = PTHREAD_MUTEX_INITIALIZER };

#define DEFAULT_RESERVE ((size_t)256 * 1024 * 1024)
#define POOL_KEEP_DIRTY 16          /* spare stacks per size kept without madvise */
#define ALT_STACK_SIZE  ((size_t)64 * 1024)

//~ the switch

/* Both return 0 when something switches back to the fiber that left. */
#if defined(FIBER_ASM)
int sim__fiber_jump(void **save_sp, void *to_sp);
void sim__fiber_trampoline(void);
#endif

static void fiber_start(sim_fiber *f) __attribute__((noreturn, used)) FIBER_NO_TSAN;

static inline int fiber_swap(sim_fiber *from, sim_fiber *to) {
#if defined(FIBER_ASM)
    return sim__fiber_jump(&from->sp, to->sp);
#else
    return swapcontext(&from->uc, &to->uc) == 0 ? 0 : SIM_FIBER_EINVAL;
#endif
}

#if defined(FIBER_UCONTEXT)
static void fiber_uc_entry(void) FIBER_NO_TSAN;
static void fiber_uc_entry(void) {
    fiber_start(tls.current);
}
#endif

/* Writes the first frame of a new fiber (see the .S files for its layout). */
static void fiber_frame_init(sim_fiber *f) {
#if defined(FIBER_ASM) && defined(__x86_64__)
    uint64_t *sp = (uint64_t *)(void *)(f->stack_lo + f->stack_size) - 7;
    sp[0] = 0;                                  /* r15 */
    sp[1] = 0;                                  /* r14 */
    sp[2] = (uint64_t)(uintptr_t)fiber_start;   /* r13 */
    sp[3] = (uint64_t)(uintptr_t)f;             /* r12 */
    sp[4] = 0;                                  /* rbx */
    sp[5] = 0;                                  /* rbp: the end of the frame chain */
    sp[6] = (uint64_t)(uintptr_t)sim__fiber_trampoline;
    f->sp = sp;
#elif defined(FIBER_ASM) && defined(__aarch64__)
    uint64_t *sp = (uint64_t *)(void *)(f->stack_lo + f->stack_size) - 20;
    memset(sp, 0, 20 * sizeof *sp);
    sp[0] = (uint64_t)(uintptr_t)f;             /* x19 */
    sp[1] = (uint64_t)(uintptr_t)fiber_start;   /* x20 */
    sp[11] = (uint64_t)(uintptr_t)sim__fiber_trampoline;  /* x30; x29 = 0 */
    f->sp = sp;
#else
    /* getcontext was called by the creator; the canary stays below the stack. */
    f->uc.uc_stack.ss_sp = f->stack_lo + SIM_FIBER_CANARY_BYTES;
    f->uc.uc_stack.ss_size = f->stack_size - SIM_FIBER_CANARY_BYTES;
    f->uc.uc_link = NULL;
    makecontext(&f->uc, fiber_uc_entry, 0);
#endif
}

//~ floating-point environments (own_fp_env)

/* The assembly switch leaves the FP control registers alone: every fiber of a
 * thread shares the thread's environment, which nothing in weft changes. A
 * fiber created with own_fp_env keeps one of its own: a switch that involves
 * such a fiber saves the current environment (into the outgoing fiber if it
 * owns one, else as the thread's shared one) and loads the incoming fiber's
 * (or the shared one). Switches between fibers without one cost a test.
 * ucontext's swapcontext already switches the environment for every fiber. */
static inline void fp_save(fp_env *e) {
#if defined(__x86_64__)
    __asm__ volatile("stmxcsr %0" : "=m"(e->mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(e->x87cw));
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    e->fpcr = v;
#else
    (void)e;
#endif
}

static inline void fp_load(const fp_env *e) {
#if defined(__x86_64__)
    __asm__ volatile("ldmxcsr %0" : : "m"(e->mxcsr));
    __asm__ volatile("fldcw %0" : : "m"(e->x87cw));
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, %0" : : "r"(e->fpcr));
#else
    (void)e;
#endif
}

/* A new fiber's own environment: its creator's modes, without the creator's
 * sticky exception flags. */
static void fp_init(fp_env *e) {
    fp_save(e);
#if defined(__x86_64__)
    e->mxcsr &= ~0x3fu;
#endif
}

/* `from` may be NULL (it ended: nothing to save). */
static void fp_switch(fiber_thread *ts, sim_fiber *from, sim_fiber *to) {
#if defined(FIBER_ASM)
    if (!from || from->own_fp) { if (from) fp_save(&from->fp); }
    else fp_save(&ts->shared_fp);
    fp_load(to->own_fp ? &to->fp : &ts->shared_fp);
#else
    (void)ts; (void)from; (void)to;
#endif
}

//~ sanitizers

/* Before anything changes: may `to` run? Under TSan it needs a context. */
static inline int san_prepare(fiber_thread *ts, sim_fiber *to) {
#if defined(FIBER_TSAN)
    if (!to->tsan_fiber) {
        if (atomic_fetch_add(&tsan_live, 1) >= SIM_FIBER_TSAN_MAX_LIVE) {
            atomic_fetch_sub(&tsan_live, 1);
            return SIM_FIBER_ELIMIT;
        }
        to->tsan_fiber = ts->tsan_nspare ? ts->tsan_spare[--ts->tsan_nspare] : __tsan_create_fiber(0);
        __tsan_set_fiber_name(to->tsan_fiber, to->name);
    }
#endif
    (void)ts; (void)to;
    return 0;
}

#if defined(FIBER_TSAN)
/* f ended (its context is clean: kept for reuse) or was abandoned mid-call
 * (its shadow stack holds frames that will never return: destroyed). */
static void san_release(fiber_thread *ts, sim_fiber *f) {
    if (!f->tsan_fiber || f->root) return;
    bool keep = f->state == SIM_FIBER_DEAD;
    if (keep && ts->tsan_nspare == ts->tsan_cap) {
        size_t cap = ts->tsan_cap ? ts->tsan_cap * 2 : 16;
        void **grown = realloc(ts->tsan_spare, cap * sizeof *grown);
        if (grown) { ts->tsan_spare = grown; ts->tsan_cap = cap; }
        else keep = false;
    }
    if (keep) ts->tsan_spare[ts->tsan_nspare++] = f->tsan_fiber;
    else __tsan_destroy_fiber(f->tsan_fiber);
    f->tsan_fiber = NULL;
    atomic_fetch_sub(&tsan_live, 1);
}
#endif

/* Before the registers move. `from` is NULL when the outgoing fiber ends. */
static inline void san_start(sim_fiber *from, sim_fiber *to) {
#if defined(FIBER_ASAN)
    __sanitizer_start_switch_fiber(from ? &from->asan_fake : NULL, to->stack_lo, to->stack_size);
#endif
#if defined(FIBER_TSAN)
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    (void)from; (void)to;
}

/* Right after the registers moved, on the incoming stack. ASan tells the
 * bounds of the stack we left: the only way to learn the root's. */
static inline void san_finish(fiber_thread *ts, void *fake) {
#if defined(FIBER_ASAN)
    const void *lo = NULL;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(fake, &lo, &size);
    if (ts->from && ts->from->root && lo) {
        ts->from->stack_lo = (char *)(uintptr_t)lo;
        ts->from->stack_size = size;
    }
#endif
#if defined(FIBER_TSAN)
    if (ts->from && ts->from->state == SIM_FIBER_DEAD) san_release(ts, ts->from);   /* it just ended */
#endif
    (void)ts; (void)fake;
}

//~ per-thread state

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *p) {
    fiber_thread *ts = p;
    if (ts->alt_map) {
        stack_t cur;
        if (sigaltstack(NULL, &cur) == 0 && (char *)cur.ss_sp == ts->alt_map + (size_t)sysconf(_SC_PAGESIZE)) {
            stack_t off = { .ss_flags = SS_DISABLE };
            sigaltstack(&off, NULL);
        }
        munmap(ts->alt_map, ts->alt_map_size);
        ts->alt_map = NULL;
    }
    ts->alt_done = false;
#if defined(FIBER_TSAN)
    while (ts->tsan_nspare) __tsan_destroy_fiber(ts->tsan_spare[--ts->tsan_nspare]);
    free(ts->tsan_spare);
    ts->tsan_spare = NULL;
    ts->tsan_cap = 0;
#endif
}

static void thread_key_make(void) {
    (void)pthread_key_create(&thread_key, thread_exit);
}

static fiber_thread *thread_get(void) {
    fiber_thread *ts = &tls;
    if (__builtin_expect(ts->ready, 1)) return ts;
    memset(&ts->root, 0, sizeof ts->root);
    ts->root.root = true;
    ts->root.state = SIM_FIBER_RUNNING;
    ts->root.owner = ts;
    memcpy(ts->root.name, "root", 5);
#if defined(FIBER_TSAN)
    ts->root.tsan_fiber = __tsan_get_current_fiber();
#endif
    ts->current = &ts->root;
    ts->ready = true;
    /* thread_exit releases what the thread accumulates */
    if (pthread_once(&thread_key_once, thread_key_make) == 0) (void)pthread_setspecific(thread_key, ts);
    return ts;
}

/* Every thread that runs fibers gets an alternate signal stack, so that the
 * overflow handler can run when a fiber's stack is exhausted. A thread that
 * already has one (sanitizers give every thread one) keeps it. */
static int thread_altstack(fiber_thread *ts) {
    if (ts->alt_done) return 0;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= 16384) {
        ts->alt_done = true;
        return 0;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = ALT_STACK_SIZE;
#if defined(_SC_MINSIGSTKSZ)
    long min = sysconf(_SC_MINSIGSTKSZ);
    if (min > 0 && (size_t)min * 4 > size) size = ((size_t)min * 4 + page - 1) / page * page;
#endif
    char *map = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) return SIM_FIBER_ESIGNAL;
    if (mprotect(map, page, PROT_NONE) != 0) { munmap(map, size + page); return SIM_FIBER_ESIGNAL; }
    stack_t alt = { .ss_sp = map + page, .ss_size = size, .ss_flags = 0 };
    if (sigaltstack(&alt, NULL) != 0) {
        munmap(map, size + page);
        return SIM_FIBER_ESIGNAL;
    }
    ts->alt_map = map;
    ts->alt_map_size = size + page;
    ts->alt_done = true;
    return 0;
}

//~ canary

/* The canary is the lowest SIM_FIBER_CANARY_BYTES of the stack, kept zero:
 * a page that was never written holds zeros without costing memory, while a
 * pattern there would make every fiber's lowest page resident (4 KiB per idle
 * fiber, half of its footprint). Not even read on a fresh stack: some kernels
 * (this project's VMs: Linux 6.18) back a read of an untouched anonymous page
 * with a page of its own rather than the shared zero page, which cost 4 KiB
 * per idle fiber (bench_fiber: 8.2 -> 4.2 KiB). An overrun is caught when it
 * writes anything but zeros there, and running further hits the guard page in
 * any case. */
static void canary_write(sim_fiber *f) {
    volatile uint64_t *w = (volatile uint64_t *)(void *)f->stack_lo;
    for (size_t i = 0; i < SIM_FIBER_CANARY_BYTES / 8; i++)
        if (w[i] != 0) w[i] = 0;   /* a reused stack; a fresh one is only read */
}

static bool canary_intact(const sim_fiber *f) {
    const volatile uint64_t *w = (const volatile uint64_t *)(const void *)f->stack_lo;
    for (size_t i = 0; i < SIM_FIBER_CANARY_BYTES / 8; i++)
        if (w[i] != 0) return false;
    return true;
}

//~ pools

static size_t page_size(void) {
    static atomic_size_t cached;
    size_t p = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!p) {
        long v = sysconf(_SC_PAGESIZE);
        p = v > 0 ? (size_t)v : 4096;
        atomic_store_explicit(&cached, p, memory_order_relaxed);
    }
    return p;
}

static size_t round_up(size_t n, size_t to) {
    return (n + to - 1) / to * to;
}

int sim_fiber_pool_create(sim_fiber_pool **out, const sim_fiber_pool_desc *desc) {
    if (!out) return SIM_FIBER_EINVAL;
    *out = NULL;
    size_t page = page_size();
    sim_fiber_pool_desc d = desc ? *desc : (sim_fiber_pool_desc){ 0 };
    if (d.guard_size > SIM_FIBER_MAX_STACK || d.reserve > ((size_t)1 << 46)) return SIM_FIBER_EINVAL;
    sim_fiber_pool *p = calloc(1, sizeof *p);
    if (!p) return SIM_FIBER_ENOMEM;
    if (pthread_mutex_init(&p->mu, NULL) != 0) { free(p); return SIM_FIBER_ENOMEM; }
    p->reserve = d.reserve ? round_up(d.reserve, page) : 0;
    p->guard = d.guard_size ? round_up(d.guard_size, page) : 0;
    *out = p;
    return 0;
}

int sim_fiber_pool_destroy(sim_fiber_pool *p) {
    if (!p) return 0;
    if (p == &default_pool) return SIM_FIBER_EINVAL;
    pthread_mutex_lock(&p->mu);
    size_t live = p->live;
    pthread_mutex_unlock(&p->mu);
    if (live) return SIM_FIBER_EBUSY;
    for (pool_region *r = p->regions, *next; r; r = next) {
        next = r->next;
        munmap(r->base, r->size);
        free(r);
    }
    for (size_t i = 0; i < p->nclasses; i++) free(p->classes[i].free);
    free(p->classes);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return 0;
}

void sim_fiber_pool_get_stats(sim_fiber_pool *p, sim_fiber_pool_stats *out) {
    if (!out) return;
    if (!p) p = &default_pool;
    pthread_mutex_lock(&p->mu);
    *out = (sim_fiber_pool_stats){ .reservations = p->nregions, .reserved = p->reserved,
                                   .stacks_live = p->live, .stacks_free = p->nfree };
    pthread_mutex_unlock(&p->mu);
}

static pool_class *pool_class_of(sim_fiber_pool *p, size_t span, bool add) {
    for (size_t i = 0; i < p->nclasses; i++)
        if (p->classes[i].span == span) return &p->classes[i];
    if (!add) return NULL;
    if (p->nclasses == p->cap_classes) {
        size_t cap = p->cap_classes ? p->cap_classes * 2 : 4;
        pool_class *c = realloc(p->classes, cap * sizeof *c);
        if (!c) return NULL;
        p->classes = c;
        p->cap_classes = cap;
    }
    pool_class *c = &p->classes[p->nclasses++];
    *c = (pool_class){ .span = span };
    return c;
}

/* A stack of `size` bytes (a multiple of the page) with its guard below it. */
static int pool_take(sim_fiber_pool *p, size_t size, char **stack_lo, size_t *guard_out, bool *fresh) {
    size_t page = page_size();
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    size_t guard = p->guard ? p->guard : page;
    size_t span = guard + size;
    pool_class *c = pool_class_of(p, span, false);
    char *slot = NULL;
    *fresh = false;
    if (c && c->nfree) {
        slot = c->free[--c->nfree];
        p->nfree--;
    } else {
        pool_region *r = p->regions;
        if (!r || r->size - r->used < span) {
            size_t want = p->reserve ? p->reserve : DEFAULT_RESERVE;
            if (want < span) want = span;
            r = malloc(sizeof *r);
            char *base = r ? mmap(NULL, want, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                           : MAP_FAILED;
            if (base == MAP_FAILED) { free(r); rc = SIM_FIBER_ENOMEM; goto out; }
#if defined(MADV_NOHUGEPAGE)
            (void)madvise(base, want, MADV_NOHUGEPAGE);   /* a 2 MiB page per idle stack would defeat the pool */
#endif
            *r = (pool_region){ .next = p->regions, .base = base, .size = want };
            p->regions = r;
            p->nregions++;
            p->reserved += want;
        }
        slot = r->base + r->used;
        if (mprotect(slot + guard, size, PROT_READ | PROT_WRITE) != 0) { rc = SIM_FIBER_ENOMEM; goto out; }
        r->used += span;
        *fresh = true;   /* never mapped before: reads as zeros */
    }
    p->live++;
    *stack_lo = slot + guard;
    *guard_out = guard;
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static void pool_give(sim_fiber_pool *p, char *stack_lo, size_t size, size_t guard) {
    size_t page = page_size();
#if defined(FIBER_ASAN)
    __asan_unpoison_memory_region(stack_lo, size);   /* frames abandoned mid-call leave redzones */
#endif
    pthread_mutex_lock(&p->mu);
    p->live--;
    pool_class *c = pool_class_of(p, guard + size, true);
    /* Past a few spare stacks of this size, give the pages back to the kernel
     * (zeroing the canary with them), except the top one, which every fiber
     * touches at once. The few are kept as they are: creating and destroying
     * fibers in a loop then costs no system call. */
    if (size > page && (!c || c->nfree >= POOL_KEEP_DIRTY))
        (void)madvise(stack_lo, size - page, MADV_DONTNEED);
    if (c && c->nfree == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **fl = realloc(c->free, cap * sizeof *fl);
        if (fl) { c->free = fl; c->cap = cap; }
    }
    if (c && c->nfree < c->cap) {
        c->free[c->nfree++] = stack_lo - guard;
        p->nfree++;
    }   /* else: out of memory for the list; the span stays reserved, unused */
    pthread_mutex_unlock(&p->mu);
}

//~ fibers

static void copy_name(char *dst, const char *src) {
    if (!src) src = "fiber";
    size_t n = strlen(src);
    if (n > SIM_FIBER_NAME_MAX) n = SIM_FIBER_NAME_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int sim_fiber_create(sim_fiber **out, const sim_fiber_desc *d) {
    if (!out) return SIM_FIBER_EINVAL;
    *out = NULL;
    if (!d || !d->fn) return SIM_FIBER_EINVAL;
    size_t want = d->stack_size ? d->stack_size : SIM_FIBER_DEFAULT_STACK;
    if (want < SIM_FIBER_MIN_STACK || want > SIM_FIBER_MAX_STACK) return SIM_FIBER_ESTACK;
    size_t size = round_up(want, page_size());
    fiber_thread *ts = thread_get();
    int rc = thread_altstack(ts);
    if (rc) return rc;

    sim_fiber *f = calloc(1, sizeof *f);
    if (!f) return SIM_FIBER_ENOMEM;
    f->pool = d->pool ? d->pool : &default_pool;
    bool fresh = false;
    rc = pool_take(f->pool, size, &f->stack_lo, &f->guard_size, &fresh);
    if (rc) { free(f); return rc; }
    f->stack_size = size;
    f->owner = ts;
    f->state = SIM_FIBER_SUSPENDED;
    f->fn = d->fn;
    f->arg = d->arg;
    f->recv_slot = &f->first;
    f->check_switch = d->check_every_switch == SIM_FIBER_CHECK_ON ||
                      (d->check_every_switch == SIM_FIBER_CHECK_DEFAULT && FIBER_CHECK_DEFAULT);
    f->own_fp = d->own_fp_env;
    if (f->own_fp) fp_init(&f->fp);
    copy_name(f->name, d->name);
    if (!fresh) canary_write(f);   /* a fresh stack is zeros: not even read (see canary_write) */
#if defined(FIBER_UCONTEXT)
    if (getcontext(&f->uc) != 0) {
        pool_give(f->pool, f->stack_lo, f->stack_size, f->guard_size);
        free(f);
        return SIM_FIBER_ENOMEM;
    }
#endif
    fiber_frame_init(f);
    *out = f;
    return 0;
}

/* Is f the running fiber or on its resumer chain (see DESIGN)? A DEAD fiber
 * on the chain can never run again: it is unlinked (its successor's yield then
 * finds no resumer) and may go. */
static bool on_running_chain(fiber_thread *ts, sim_fiber *f) {
    unsigned mark = ++ts->walk;
    if (!mark) mark = ++ts->walk;
    for (sim_fiber *prev = NULL, *p = ts->current; p && p->walk != mark; prev = p, p = p->resumer) {
        if (p == f) {
            if (f->state != SIM_FIBER_DEAD || !prev) return true;
            prev->resumer = NULL;
            return false;
        }
        p->walk = mark;
    }
    return false;
}

int sim_fiber_destroy(sim_fiber *f) {
    if (!f || f->root) return SIM_FIBER_EINVAL;
    fiber_thread *ts = &tls;
    if (f->owner != ts) return SIM_FIBER_ETHREAD;
    if (on_running_chain(ts, f)) return SIM_FIBER_EBUSY;
    int rc = canary_intact(f) ? 0 : SIM_FIBER_ECANARY;
#if defined(FIBER_TSAN)
    san_release(ts, f);
#endif
    pool_give(f->pool, f->stack_lo, f->stack_size, f->guard_size);
    free(f);
    return rc;
}

/* Checks that `to` may receive control from the running fiber. */
static inline int target_ok(const fiber_thread *ts, const sim_fiber *to) {
    if (!to) return SIM_FIBER_EINVAL;
    if (to->owner != ts) return SIM_FIBER_ETHREAD;
    if (to->state == SIM_FIBER_RUNNING) return SIM_FIBER_ERUNNING;
    if (to->state == SIM_FIBER_DEAD) return SIM_FIBER_EDEAD;
    return 0;
}

/* The sent pointer is stored straight into the receiver's slot, so nothing is
 * left to do after the switch but the sanitizers' half: without sanitizers the
 * switch is a tail call, and the assembly returns into the other fiber with
 * an indirect jump, keeping the return predictor out of it. */
static inline int transfer(fiber_thread *ts, sim_fiber *from, sim_fiber *to, void *send, void **recv) {
    if (from->check_switch && !canary_intact(from)) return SIM_FIBER_ECANARY;
    int rc = san_prepare(ts, to);
    if (rc) return rc;
    if (to->recv_slot) *to->recv_slot = send;
    from->recv_slot = recv;
    from->state = SIM_FIBER_SUSPENDED;
    to->state = SIM_FIBER_RUNNING;
    ts->current = to;
    if (__builtin_expect(from->own_fp | to->own_fp, 0)) fp_switch(ts, from, to);
#if defined(FIBER_ASAN) || defined(FIBER_TSAN)
    ts->from = from;
    san_start(from, to);
    rc = fiber_swap(from, to);
#if defined(FIBER_ASAN)
    san_finish(ts, from->asan_fake);
#else
    san_finish(ts, NULL);
#endif
    return rc;
#else
    return fiber_swap(from, to);
#endif
}

static void fiber_start(sim_fiber *f) {
    fiber_thread *ts = f->owner;
    san_finish(ts, NULL);
    f->recv_slot = NULL;
    void *result = f->fn(f, f->first);

    f->state = SIM_FIBER_DEAD;
    sim_fiber *to = f->resumer;
    if (!to || to == f || to->state != SIM_FIBER_SUSPENDED) to = &ts->root;
    if (to->recv_slot) *to->recv_slot = result;
    to->state = SIM_FIBER_RUNNING;
    ts->current = to;
    ts->from = f;
    if (f->own_fp || to->own_fp) fp_switch(ts, f->own_fp ? NULL : f, to);
    san_start(NULL, to);
    (void)fiber_swap(f, to);
    __builtin_trap();   /* a dead fiber is never switched to */
}

int sim_fiber_resume(sim_fiber *f, void *send, void **recv) {
    fiber_thread *ts = thread_get();
    int rc = target_ok(ts, f);
    if (rc) return rc;
    sim_fiber *cur = ts->current;
    f->resumer = cur;
    return transfer(ts, cur, f, send, recv);
}

int sim_fiber_yield(void *send, void **recv) {
    fiber_thread *ts = thread_get();
    sim_fiber *cur = ts->current;
    if (!cur->resumer) return SIM_FIBER_ENORESUMER;
    int rc = target_ok(ts, cur->resumer);
    if (rc) return rc;
    return transfer(ts, cur, cur->resumer, send, recv);
}

int sim_fiber_switch(sim_fiber *to, void *send, void **recv) {
    fiber_thread *ts = thread_get();
    int rc = target_ok(ts, to);
    if (rc) return rc;
    sim_fiber *cur = ts->current;
    sim_fiber *r = cur->resumer ? cur->resumer : cur;
    to->resumer = r == to ? NULL : r;
    return transfer(ts, cur, to, send, recv);
}

sim_fiber *sim_fiber_current(void) {
    return thread_get()->current;
}

sim_fiber_state sim_fiber_state_of(const sim_fiber *f) { return f ? f->state : SIM_FIBER_DEAD; }
bool sim_fiber_is_root(const sim_fiber *f) { return f && f->root; }
void *sim_fiber_arg(const sim_fiber *f) { return f ? f->arg : NULL; }
const char *sim_fiber_name(const sim_fiber *f) { return f ? f->name : ""; }
size_t sim_fiber_stack_size(const sim_fiber *f) { return f && !f->root ? f->stack_size : 0; }
void *sim_fiber_stack_low(const sim_fiber *f) { return f && !f->root ? f->stack_lo : NULL; }

int sim_fiber_check(const sim_fiber *f) {
    if (!f || f->root) return SIM_FIBER_EINVAL;
    return canary_intact(f) ? 0 : SIM_FIBER_ECANARY;
}

//~ results

const char *sim_fiber_result_str(int result) {
    switch (result) {
    case SIM_FIBER_OK: return "success";
#define X(name, text) case SIM_FIBER_##name: return text;
    SIM_FIBER_RESULTS(X)
#undef X
    default: return "unknown fiber result";
    }
}

size_t sim_fiber_running_limit(void) {
#if defined(FIBER_TSAN)
    return SIM_FIBER_TSAN_MAX_LIVE;
#else
    return 0;
#endif
}

const char *sim_fiber_backend(void) {
#if defined(FIBER_ASM)
    return FIBER_ASM;
#else
    return "ucontext";
#endif
}

//~ stack overflow

static _Atomic(sim_fiber_overflow_fn) ovf_hook;
static _Atomic(void *) ovf_ctx;
static struct sigaction ovf_old;
static atomic_bool ovf_installed;
static pthread_mutex_t ovf_mu = PTHREAD_MUTEX_INITIALIZER;
static char ovf_msg[128 + SIM_FIBER_NAME_MAX];
static char ovf_name[SIM_FIBER_NAME_MAX + 1];

static size_t put_str(char *dst, size_t at, size_t cap, const char *s) {
    while (*s && at + 1 < cap) dst[at++] = *s++;
    return at;
}

static size_t put_u64(char *dst, size_t at, size_t cap, uint64_t v) {
    char digits[24];
    size_t n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n && at + 1 < cap) dst[at++] = digits[--n];
    return at;
}

/* Dies by the signal: the default action, raised again (pending until the
 * handler returns; a fault would also happen again on return). */
static void die_by(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
    int saved_errno = errno;
    fiber_thread *ts = &tls;
    sim_fiber *f = ts->ready ? ts->current : NULL;
    const char *a = si ? (const char *)si->si_addr : NULL;
    if (f && !f->root && a && a >= f->stack_lo - f->guard_size && a < f->stack_lo) {
        memcpy(ovf_name, f->name, sizeof ovf_name);
        size_t cap = sizeof ovf_msg, n = 0;
        n = put_str(ovf_msg, n, cap, "stack overflow in fiber '");
        n = put_str(ovf_msg, n, cap, ovf_name);
        n = put_str(ovf_msg, n, cap, "' (stack of ");
        n = put_u64(ovf_msg, n, cap, f->stack_size);
        n = put_str(ovf_msg, n, cap, " bytes)");
        ovf_msg[n] = '\0';
        sim_fiber_overflow info = { .name = ovf_name, .stack_size = f->stack_size, .fault_addr = a,
                                    .message = ovf_msg, .message_len = n };
        sim_fiber_overflow_fn hook = atomic_load(&ovf_hook);
        if (hook) hook(&info, atomic_load(&ovf_ctx));
        die_by(sig);
        errno = saved_errno;
        return;
    }
    /* Not ours: whoever was there before. */
    if (ovf_old.sa_flags & SA_SIGINFO) {
        errno = saved_errno;
        ovf_old.sa_sigaction(sig, si, uc);
    } else if (ovf_old.sa_handler == SIG_DFL || ovf_old.sa_handler == SIG_IGN) {
        die_by(sig);
        errno = saved_errno;
    } else {
        errno = saved_errno;
        ovf_old.sa_handler(sig);
    }
}

int sim_fiber_overflow_handler_install(sim_fiber_overflow_fn hook, void *ctx) {
    atomic_store(&ovf_ctx, ctx);
    atomic_store(&ovf_hook, hook);
    pthread_mutex_lock(&ovf_mu);
    int rc = 0;
    if (!atomic_load(&ovf_installed)) {
        fiber_thread *ts = thread_get();
        rc = thread_altstack(ts);
        if (!rc) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_segv;
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sigfillset(&sa.sa_mask);
            if (sigaction(SIGSEGV, &sa, &ovf_old) != 0) rc = SIM_FIBER_ESIGNAL;
            else atomic_store(&ovf_installed, true);
        }
    }
    pthread_mutex_unlock(&ovf_mu);
    return rc;
}
