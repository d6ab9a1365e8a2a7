/* sim_plat_fiber: stackful fibers with a context switch of our own.
 *
 * A fiber is a function running on its own stack that can stop in the middle
 * (yield) and be continued later (resume), on the thread that created it. The
 * coroutines backend runs each task as a fiber; a deterministic test platform
 * can run each unit as a fiber stepped by a scheduler:
 *
 *     static void *unit_main(sim_fiber *self, void *first) {
 *         unit *u = sim_fiber_arg(self);
 *         while (step(u) == WOULD_BLOCK)
 *             sim_fiber_yield(NULL, NULL);          // park: back to the scheduler
 *         return NULL;                              // finished: back to the scheduler
 *     }
 *     sim_fiber *f;
 *     sim_fiber_create(&f, &(sim_fiber_desc){ .fn = unit_main, .arg = u, .name = "producer#0" });
 *     while (sim_fiber_state_of(f) != SIM_FIBER_DEAD)
 *         sim_fiber_resume(f, NULL, NULL);          // run it until it parks or ends
 *     sim_fiber_destroy(f);
 *
 * ## The switch
 * On x86-64 (System V) and AArch64 the switch is a few instructions of our own
 * assembly (sim_plat_fiber_<arch>.S): it saves the callee-saved registers and the
 * stack pointer (x86-64: rbx, rbp, r12-r15; AArch64: x19-x30 and d8-d15) on the
 * outgoing stack and restores the incoming fiber's. No system call, no signal
 * mask: a fiber runs with its thread's mask.
 *
 * ## Floating-point environment
 * The switch does not carry the FP control registers (x86-64 MXCSR and x87
 * control word, AArch64 FPCR): the fibers of a thread share its rounding mode,
 * exception masks and flush-to-zero setting, as the functions of one thread
 * do. The ABIs make those callee-saved only across calls that change them,
 * and weft never changes them (the `layering` test forbids fesetround,
 * fesetenv, _mm_setcsr, ldmxcsr, fldcw, msr fpcr... outside tests/ and this
 * file). Carrying them cost about 5 ns of a 12 ns round trip on x86-64. A
 * fiber that changes its environment asks for its own with
 * desc.own_fp_env: then any switch into or out of it saves the running
 * environment and loads the incoming side's, so its changes never leak into
 * the other fibers and theirs never reach it (its first environment is its
 * creator's, without the sticky exception flags). The ucontext fallback
 * carries the environment for every fiber (swapcontext does).
 * Other machines (or -DWEFT_FIBER_UCONTEXT=ON) use getcontext/makecontext/
 * swapcontext, which also saves the signal mask with a system call per switch.
 * sim_fiber_backend() says which one was built.
 *
 * ## Transfers: resume, yield, switch
 * Every thread has a root fiber (its own stack: sim_fiber_current() before any
 * resume). Exactly one fiber per thread is RUNNING; the others are SUSPENDED or
 * DEAD. A transfer carries one pointer (`send`); the receiving side gets it
 * as the `first` argument of its entry function (the first time it runs) or in
 * `*recv` of the call through which it had left.
 *   - sim_fiber_resume(f): run f; f's resumer becomes the caller.
 *   - sim_fiber_yield():   run the caller's resumer.
 *   - sim_fiber_switch(t): run t in the caller's place: t's resumer becomes the
 *     caller's resumer (the root, when the caller is the root). A scheduler
 *     resumes A, A switches straight to B, B yields: the scheduler runs again.
 *   - When the entry function returns, the fiber is DEAD and its return value
 *     goes to its resumer (the root, if it has none), as if it had yielded it.
 *
 * ## Stacks
 * Stacks come from a pool: one large reservation (mmap, PROT_NONE, no swap
 * reserved) out of which stacks are carved, each made readable and writable
 * with mprotect and left with a guard page (or more) below it. A stack's
 * memory becomes resident only where it is touched: an idle fiber costs its
 * control block and the top page of its stack, about 4.2 KiB (see
 * bench/bench_fiber.c). A destroyed fiber's stack returns to the pool and is
 * reused by the next stack of the same size (past 16 spare stacks of a size,
 * their pages are given back to the kernel); the pool grows by another
 * reservation when it is full. Each stack
 * is two mappings for the kernel, so the number of live stacks in a process is
 * bounded by vm.max_map_count / 2 (about 32,000 by default): past it creation
 * fails with SIM_FIBER_ENOMEM. Fibers created without a pool use the process's
 * default pool.
 *
 * ## Stack overflow
 * The lowest SIM_FIBER_CANARY_BYTES of every stack are a canary that must stay
 * zero (zero so that it costs no memory: an untouched page reads as zeros
 * without becoming resident). It is checked when the fiber is destroyed, and
 * on every switch out of the fiber when the fiber asks for it
 * (desc.check_every_switch; on by default in builds without NDEBUG): anything
 * but zeros there makes that call fail with SIM_FIBER_ECANARY. Running past
 * the canary hits the guard page. sim_fiber_overflow_handler_install() installs a SIGSEGV
 * handler that recognises a hit on the running fiber's guard page, formats
 * "stack overflow in fiber 'NAME' (stack of N bytes)" and hands it to the
 * caller's hook, which writes it (with write(2): it runs in a signal handler,
 * on an alternate signal stack that every thread using fibers gets). The
 * process then dies by SIGSEGV, as it would have without us. A SIGSEGV that is
 * not a guard-page hit goes to the handler that was there before (a sanitizer's,
 * the default). Library code never prints: without a hook there is no message.
 *
 * ## Sanitizers
 * Under AddressSanitizer every switch is announced with
 * __sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber, and a
 * stack returned to the pool is unpoisoned. Under ThreadSanitizer a fiber has
 * a TSan fiber context from its first run to its end (__tsan_create_fiber /
 * __tsan_destroy_fiber) and every switch calls __tsan_switch_to_fiber, which
 * orders everything the outgoing fiber did before everything the incoming one
 * does next. TSan counts contexts as threads and dies past 8,128 of them, so
 * under TSan at most SIM_FIBER_TSAN_MAX_LIVE (7,000) fibers may have started
 * and not ended at once in the process: starting one more fails with
 * SIM_FIBER_ELIMIT (sim_fiber_running_limit() says whether there is a limit).
 *
 * ## Thread affinity
 * A fiber belongs to the thread that created it: it runs only there, and only
 * that thread may resume, switch to or destroy it (other threads get
 * SIM_FIBER_ETHREAD). Fibers never migrate. Each thread has its own root, its
 * own current fiber and its own fibers; threads may create and switch their
 * fibers at the same time. Destroy a thread's fibers before the thread exits:
 * its root and alternate signal stack are released at exit. Pools are
 * thread-safe (a mutex around carving and returning stacks). After fork(), only
 * the fibers of the thread that forked are usable in the child.
 *
 * Result codes: 0 or a negative SIM_FIBER_E* value; sim_fiber_result_str()
 * describes it.
 */
#ifndef WEFT_SIM_PLAT_FIBER_H
#define WEFT_SIM_PLAT_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//~ result codes

#define SIM_FIBER_RESULTS(X)                                                        \
    X(EINVAL,     "invalid argument")                                               \
    X(ENOMEM,     "out of memory or address space for fiber stacks")                \
    X(ESTACK,     "stack size out of range")                                        \
    X(ERUNNING,   "the fiber is running")                                           \
    X(EDEAD,      "the fiber has finished")                                         \
    X(ETHREAD,    "the fiber belongs to another thread")                            \
    X(ENORESUMER, "nobody to yield to: the fiber has no resumer")                  \
    X(ECANARY,    "the stack canary was overwritten: the fiber overran its stack")  \
    X(EBUSY,      "still in use")                                                   \
    X(ESIGNAL,    "cannot set up signal handling")                                  \
    X(ELIMIT,     "too many fibers running at once for ThreadSanitizer")

enum {
    SIM_FIBER__INDEX_BASE = 0,
#define X(name, text) SIM_FIBER__##name##_INDEX,
    SIM_FIBER_RESULTS(X)
#undef X
};
enum {
    SIM_FIBER_OK = 0,
#define X(name, text) SIM_FIBER_##name = -SIM_FIBER__##name##_INDEX,
    SIM_FIBER_RESULTS(X)
#undef X
};

/* "success" for 0, the description of a SIM_FIBER_E* code, "unknown fiber
 * result" otherwise. Thread: any. */
const char *sim_fiber_result_str(int result);

/* "x86_64", "aarch64" (our assembly) or "ucontext" (the portable fallback).
 * Thread: any. */
const char *sim_fiber_backend(void);

/* How many fibers may have started and not ended at once in the process:
 * SIM_FIBER_TSAN_MAX_LIVE under ThreadSanitizer, 0 (no limit but memory)
 * otherwise. Thread: any. */
size_t sim_fiber_running_limit(void);

//~ stack pools

typedef struct sim_fiber_pool sim_fiber_pool;

typedef struct sim_fiber_pool_desc {
    size_t reserve;      /* address space per reservation; 0: 256 MiB. Grows by more
                            reservations when full (each at least one stack). */
    size_t guard_size;   /* bytes of PROT_NONE below each stack, rounded up to pages;
                            0: one page */
} sim_fiber_pool_desc;

typedef struct sim_fiber_pool_stats {
    size_t reservations;  /* mmap'd regions */
    size_t reserved;      /* bytes of address space in them */
    size_t stacks_live;   /* stacks handed out */
    size_t stacks_free;   /* stacks returned, waiting for reuse */
} sim_fiber_pool_stats;

/* Makes a pool (desc may be NULL: defaults). Nothing is mapped until the first
 * stack. Returns 0, SIM_FIBER_EINVAL, SIM_FIBER_ENOMEM. Thread: any. */
int sim_fiber_pool_create(sim_fiber_pool **out, const sim_fiber_pool_desc *desc);

/* Unmaps the pool. Fails with SIM_FIBER_EBUSY (and changes nothing) while a
 * fiber still uses one of its stacks. NULL is a no-op. Thread: any. */
int sim_fiber_pool_destroy(sim_fiber_pool *pool);

/* Counts of the pool (NULL: the default pool). Thread: any. */
void sim_fiber_pool_get_stats(sim_fiber_pool *pool, sim_fiber_pool_stats *out);

//~ fibers

typedef struct sim_fiber sim_fiber;

/* The entry function. `first` is what the first resume or switch sent. Its
 * return value is sent to the fiber's resumer when it finishes. */
typedef void *(*sim_fiber_fn)(sim_fiber *self, void *first);

#define SIM_FIBER_DEFAULT_STACK ((size_t)64 * 1024)
#define SIM_FIBER_MIN_STACK     ((size_t)8 * 1024)
#define SIM_FIBER_MAX_STACK     ((size_t)1024 * 1024 * 1024)
#define SIM_FIBER_NAME_MAX      47   /* longer names are cut */
#define SIM_FIBER_CANARY_BYTES  64   /* at the low end of every stack */

typedef struct sim_fiber_desc {
    sim_fiber_fn fn;          /* required */
    void *arg;                /* sim_fiber_arg() */
    const char *name;         /* copied; in overflow messages; NULL: "fiber" */
    size_t stack_size;        /* 0: SIM_FIBER_DEFAULT_STACK; rounded up to pages;
                                 SIM_FIBER_MIN_STACK .. SIM_FIBER_MAX_STACK */
    sim_fiber_pool *pool;     /* NULL: the process's default pool */
    /* Check the canary on every switch out of this fiber, not only at destroy.
     * SIM_FIBER_CHECK_DEFAULT: on without NDEBUG. */
    enum { SIM_FIBER_CHECK_DEFAULT = 0, SIM_FIBER_CHECK_ON, SIM_FIBER_CHECK_OFF } check_every_switch;
    /* An FP environment of its own, carried across its switches (see
     * "Floating-point environment"); false: the thread's, shared. */
    bool own_fp_env;
} sim_fiber_desc;

typedef enum sim_fiber_state {
    SIM_FIBER_SUSPENDED = 1,  /* created and not started, or stopped in a transfer */
    SIM_FIBER_RUNNING = 2,    /* the one executing on its thread */
    SIM_FIBER_DEAD = 3        /* its entry function returned */
} sim_fiber_state;

/* Creates a SUSPENDED fiber that will run desc->fn on a stack of its own.
 * Returns 0, SIM_FIBER_EINVAL (no fn), SIM_FIBER_ESTACK, SIM_FIBER_ENOMEM,
 * SIM_FIBER_ESIGNAL (the thread's alternate signal stack could not be set up).
 * Thread: any; the fiber belongs to the calling thread. */
int sim_fiber_create(sim_fiber **out, const sim_fiber_desc *desc);

/* Frees the fiber and returns its stack to its pool. A SUSPENDED fiber that has
 * started is abandoned where it stopped: nothing on its stack is unwound or
 * freed. Fails, changing nothing, with SIM_FIBER_EINVAL (NULL or a root),
 * SIM_FIBER_ETHREAD, SIM_FIBER_EBUSY (the running fiber, its resumer, that
 * one's resumer and so on: a yield could reach them; a finished one among them
 * may go, and whoever had it as resumer then has none). Returns
 * SIM_FIBER_ECANARY after freeing if the canary was broken.
 * Thread: the fiber's own. */
int sim_fiber_destroy(sim_fiber *f);

/* Runs f (SUSPENDED, of this thread) until it transfers back: returns when a
 * fiber resumes, yields or switches to the caller, or f finishes. `send` goes to
 * f; `*recv` (if recv) gets what came back. Returns 0, SIM_FIBER_EINVAL,
 * SIM_FIBER_ERUNNING (f is the caller), SIM_FIBER_EDEAD, SIM_FIBER_ETHREAD,
 * SIM_FIBER_ECANARY (the caller's canary is broken: nothing was switched),
 * SIM_FIBER_ELIMIT (TSan builds only, see "Sanitizers": nothing was switched).
 * Thread: f's own. */
int sim_fiber_resume(sim_fiber *f, void *send, void **recv);

/* Transfers to the caller's resumer. Returns when something transfers back.
 * SIM_FIBER_ENORESUMER when the caller has none (a root that nobody resumed;
 * a fiber whose finished resumer was destroyed), SIM_FIBER_EDEAD when the
 * resumer has finished. Thread: any (acts on the calling thread's current
 * fiber). */
int sim_fiber_yield(void *send, void **recv);

/* Transfers to `to` in the caller's place (see "Transfers" above). Errors as
 * for resume. Thread: to's own. */
int sim_fiber_switch(sim_fiber *to, void *send, void **recv);

/* The running fiber of the calling thread (its root if no fiber runs).
 * Thread: any. */
sim_fiber *sim_fiber_current(void);

/* Queries. Thread: any, but the state of another thread's fiber is only a
 * snapshot. */
sim_fiber_state sim_fiber_state_of(const sim_fiber *f);
bool sim_fiber_is_root(const sim_fiber *f);
void *sim_fiber_arg(const sim_fiber *f);
const char *sim_fiber_name(const sim_fiber *f);
size_t sim_fiber_stack_size(const sim_fiber *f);       /* usable bytes, canary included */
/* The lowest usable byte of f's stack, where its canary lies (NULL for a root):
 * the stack is [low, low + stack_size), the guard just below it. */
void *sim_fiber_stack_low(const sim_fiber *f);

/* The canary of f's stack: 0 if intact, SIM_FIBER_ECANARY if overwritten,
 * SIM_FIBER_EINVAL for a root (it has none). Thread: any. */
int sim_fiber_check(const sim_fiber *f);

//~ stack overflow reports

typedef struct sim_fiber_overflow {
    const char *name;         /* the fiber's name */
    size_t stack_size;        /* its usable stack */
    const void *fault_addr;   /* the address that hit the guard */
    const char *message;      /* "stack overflow in fiber 'NAME' (stack of N bytes)" */
    size_t message_len;       /* without a newline */
} sim_fiber_overflow;

/* Called inside the SIGSEGV handler, on the alternate signal stack, with all
 * signals blocked: only async-signal-safe calls (write(2), not printf). The
 * strings live in static storage until the process dies. */
typedef void (*sim_fiber_overflow_fn)(const sim_fiber_overflow *info, void *ctx);

/* Installs the process-wide SIGSEGV handler described under "Stack overflow",
 * with `hook` (may be NULL) and its ctx. Call it once, from the main thread,
 * after any other SIGSEGV handler (sanitizers install theirs before main) so
 * that foreign faults are passed on. Calling it again replaces the hook.
 * Returns 0 or SIM_FIBER_ESIGNAL. Thread: any. */
int sim_fiber_overflow_handler_install(sim_fiber_overflow_fn hook, void *ctx);

#endif
