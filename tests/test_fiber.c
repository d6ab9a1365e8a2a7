/* Fibers (sim/sim_plat_fiber.h): transfer order, values in and out, nested
 * creation, 10,000 fibers, destroy in every state, misuse errors, pools,
 * registers kept per fiber, the FP environment shared by default and per fiber
 * with own_fp_env, the canary, a stack overflow caught in a forked child, and
 * two threads switching their own fibers at once.
 *
 * Built twice: test_fiber (the switch this machine uses) and
 * test_fiber_ucontext (the portable fallback, SIM_FIBER_UCONTEXT). */
#include "sim/sim_plat_fiber.h"

#include <check.h>
#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define OK(call) ck_assert_int_eq((call), SIM_FIBER_OK)

#if defined(__SANITIZE_THREAD__)
/* TSan sleeps a second at every exit by default, and Check forks a child per
 * test: without this the suite would wait a second per test. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "atexit_sleep_ms=0"; }
#endif

static sim_fiber *make(sim_fiber_fn fn, void *arg, const char *name) {
    sim_fiber *f = NULL;
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = fn, .arg = arg, .name = name }));
    ck_assert_ptr_nonnull(f);
    return f;
}

/* A log of who ran when, as a string: "A1 r1 B1 ..." */
typedef struct trail { char s[512]; } trail;
static void note(trail *t, const char *what) {
    if (t->s[0]) strncat(t->s, " ", sizeof t->s - strlen(t->s) - 1);
    strncat(t->s, what, sizeof t->s - strlen(t->s) - 1);
}

//~ results, backend

START_TEST(results_have_distinct_descriptions) {
    const int codes[] = { SIM_FIBER_EINVAL, SIM_FIBER_ENOMEM, SIM_FIBER_ESTACK, SIM_FIBER_ERUNNING,
                          SIM_FIBER_EDEAD, SIM_FIBER_ETHREAD, SIM_FIBER_ENORESUMER, SIM_FIBER_ECANARY,
                          SIM_FIBER_EBUSY, SIM_FIBER_ESIGNAL, SIM_FIBER_ELIMIT };
    const size_t n = sizeof codes / sizeof codes[0];
    ck_assert_str_eq(sim_fiber_result_str(0), "success");
    ck_assert_str_eq(sim_fiber_result_str(-1000), "unknown fiber result");
    ck_assert_str_eq(sim_fiber_result_str(5), "unknown fiber result");
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_lt(codes[i], 0);
        ck_assert_str_ne(sim_fiber_result_str(codes[i]), "unknown fiber result");
        for (size_t j = 0; j < i; j++) {
            ck_assert_int_ne(codes[i], codes[j]);
            ck_assert_str_ne(sim_fiber_result_str(codes[i]), sim_fiber_result_str(codes[j]));
        }
    }
    ck_assert_str_eq(sim_fiber_result_str(SIM_FIBER_ECANARY),
                     "the stack canary was overwritten: the fiber overran its stack");
#if defined(TEST_FIBER_EXPECT_UCONTEXT)
    ck_assert_str_eq(sim_fiber_backend(), "ucontext");
#elif defined(__x86_64__) && !defined(TEST_FIBER_ANY_BACKEND)
    ck_assert_str_eq(sim_fiber_backend(), "x86_64");
#elif defined(__aarch64__) && !defined(TEST_FIBER_ANY_BACKEND)
    ck_assert_str_eq(sim_fiber_backend(), "aarch64");
#endif
}
END_TEST

//~ transfer order

static trail order;
static sim_fiber *fa, *fb;

static void *order_a(sim_fiber *self, void *first) {
    ck_assert_ptr_eq(sim_fiber_current(), self);
    ck_assert_int_eq(sim_fiber_state_of(self), SIM_FIBER_RUNNING);
    ck_assert(!sim_fiber_is_root(self));
    note(&order, "A1");
    OK(sim_fiber_yield(NULL, NULL));
    note(&order, "A2");            /* entered by B's switch */
    OK(sim_fiber_yield(NULL, NULL));   /* A's resumer is now B's: the root */
    note(&order, "A3");
    return NULL;
}

static void *order_b(sim_fiber *self, void *first) {
    note(&order, "B1");
    ck_assert_int_eq(sim_fiber_state_of(fa), SIM_FIBER_SUSPENDED);
    OK(sim_fiber_switch(fa, NULL, NULL));
    note(&order, "B2");
    return NULL;
}

START_TEST(transfers_run_in_order) {
    memset(&order, 0, sizeof order);
    sim_fiber *root = sim_fiber_current();
    ck_assert(sim_fiber_is_root(root));
    ck_assert_int_eq(sim_fiber_state_of(root), SIM_FIBER_RUNNING);
    ck_assert_ptr_null(sim_fiber_stack_low(root));
    fa = make(order_a, NULL, "A");
    fb = make(order_b, NULL, "B");
    ck_assert_int_eq(sim_fiber_state_of(fa), SIM_FIBER_SUSPENDED);

    OK(sim_fiber_resume(fa, NULL, NULL));
    note(&order, "r1");
    ck_assert_int_eq(sim_fiber_state_of(root), SIM_FIBER_RUNNING);
    ck_assert_ptr_eq(sim_fiber_current(), root);
    OK(sim_fiber_resume(fb, NULL, NULL));      /* B switches to A, A yields to the root */
    note(&order, "r2");
    ck_assert_int_eq(sim_fiber_state_of(fb), SIM_FIBER_SUSPENDED);
    OK(sim_fiber_resume(fb, NULL, NULL));      /* B ends */
    note(&order, "r3");
    ck_assert_int_eq(sim_fiber_state_of(fb), SIM_FIBER_DEAD);
    OK(sim_fiber_resume(fa, NULL, NULL));      /* A ends */
    note(&order, "r4");
    ck_assert_int_eq(sim_fiber_state_of(fa), SIM_FIBER_DEAD);
    ck_assert_str_eq(order.s, "A1 r1 B1 A2 r2 B2 r3 A3 r4");
    OK(sim_fiber_destroy(fa));
    OK(sim_fiber_destroy(fb));
}
END_TEST

/* A scheduler fiber (not the root) resumes workers round-robin; workers yield
 * back to it; it yields to the root after every round. */
static trail rr;
static sim_fiber *workers[3];

static void *rr_worker(sim_fiber *self, void *first) {
    char buf[64];
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "%s%d", sim_fiber_name(self), i);
        note(&rr, buf);
        OK(sim_fiber_yield(NULL, NULL));
    }
    return NULL;
}

static void *rr_sched(sim_fiber *self, void *first) {
    for (int live = 3; live;) {
        live = 0;
        for (int w = 0; w < 3; w++) {
            if (sim_fiber_state_of(workers[w]) == SIM_FIBER_DEAD) continue;
            OK(sim_fiber_resume(workers[w], NULL, NULL));
            live += sim_fiber_state_of(workers[w]) != SIM_FIBER_DEAD;
        }
        note(&rr, "|");
        OK(sim_fiber_yield(NULL, NULL));
    }
    return NULL;
}

START_TEST(a_scheduler_fiber_steps_workers) {
    memset(&rr, 0, sizeof rr);
    const char *names[3] = { "x", "y", "z" };
    for (int w = 0; w < 3; w++) workers[w] = make(rr_worker, NULL, names[w]);
    sim_fiber *s = make(rr_sched, NULL, "sched");
    int rounds = 0;
    while (sim_fiber_state_of(s) != SIM_FIBER_DEAD) {
        OK(sim_fiber_resume(s, NULL, NULL));
        rounds++;
    }
    ck_assert_int_eq(rounds, 5);  /* 3 rounds of work, 1 where all end, the scheduler's end */
    ck_assert_str_eq(rr.s, "x0 y0 z0 | x1 y1 z1 | x2 y2 z2 | |");
    for (int w = 0; w < 3; w++) OK(sim_fiber_destroy(workers[w]));
    OK(sim_fiber_destroy(s));
}
END_TEST

//~ values in and out

typedef struct gen_arg { int limit; int sent_back; } gen_arg;

static void *fib_gen(sim_fiber *self, void *first) {
    gen_arg *g = sim_fiber_arg(self);
    ck_assert_ptr_eq(first, &g->limit);   /* the first resume's send */
    int64_t a = 0, b = 1;
    for (int i = 0; i < g->limit; i++) {
        void *reply = NULL;
        OK(sim_fiber_yield((void *)(intptr_t)a, &reply));
        g->sent_back += (int)(intptr_t)reply;
        int64_t t = a + b; a = b; b = t;
    }
    return (void *)(intptr_t)-1;
}

START_TEST(values_travel_both_ways) {
    gen_arg g = { .limit = 12 };
    sim_fiber *f = make(fib_gen, &g, "fib");
    ck_assert_ptr_eq(sim_fiber_arg(f), &g);
    ck_assert_str_eq(sim_fiber_name(f), "fib");
    const int64_t want[12] = { 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89 };
    void *got = NULL;
    OK(sim_fiber_resume(f, &g.limit, &got));
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq((int64_t)(intptr_t)got, want[i]);
        OK(sim_fiber_resume(f, (void *)(intptr_t)(i + 1), &got));
    }
    ck_assert_int_eq((intptr_t)got, -1);           /* the entry's return value */
    ck_assert_int_eq(g.sent_back, 12 * 13 / 2);
    ck_assert_int_eq(sim_fiber_state_of(f), SIM_FIBER_DEAD);
    ck_assert_int_eq(sim_fiber_resume(f, NULL, NULL), SIM_FIBER_EDEAD);
    OK(sim_fiber_destroy(f));
}
END_TEST

//~ nested creation

static trail nest;

static void *nested(sim_fiber *self, void *first) {
    intptr_t depth = (intptr_t)sim_fiber_arg(self);
    char buf[32];
    snprintf(buf, sizeof buf, "in%d", (int)depth);
    note(&nest, buf);
    intptr_t sum = depth;
    if (depth < 8) {
        snprintf(buf, sizeof buf, "level%d", (int)depth + 1);
        sim_fiber *child = make(nested, (void *)(depth + 1), buf);
        void *got = NULL;
        OK(sim_fiber_resume(child, NULL, &got));      /* it yields its depth first */
        ck_assert_int_eq((intptr_t)got, depth + 1);
        OK(sim_fiber_resume(child, NULL, &got));      /* then ends with its subtree's sum */
        ck_assert_int_eq(sim_fiber_state_of(child), SIM_FIBER_DEAD);
        sum += (intptr_t)got;
        OK(sim_fiber_destroy(child));
    }
    OK(sim_fiber_yield((void *)depth, NULL));
    snprintf(buf, sizeof buf, "out%d", (int)depth);
    note(&nest, buf);
    return (void *)sum;
}

START_TEST(fibers_create_fibers) {
    memset(&nest, 0, sizeof nest);
    sim_fiber *top = make(nested, (void *)(intptr_t)0, "level0");
    void *got = NULL;
    OK(sim_fiber_resume(top, NULL, &got));
    ck_assert_int_eq((intptr_t)got, 0);
    ck_assert_str_eq(nest.s, "in0 in1 in2 in3 in4 in5 in6 in7 in8 out8 out7 out6 out5 out4 out3 out2 out1");
    OK(sim_fiber_resume(top, NULL, &got));
    ck_assert_int_eq((intptr_t)got, 8 * 9 / 2);
    OK(sim_fiber_destroy(top));
}
END_TEST

//~ 10,000 fibers

#define MANY 10000

static void *many_body(sim_fiber *self, void *first) {
    int *count = sim_fiber_arg(self);
    for (int i = 0; i < 3; i++) {
        ++*count;
        OK(sim_fiber_yield(NULL, NULL));
    }
    return count;
}

START_TEST(ten_thousand_fibers_live_at_once) {
    sim_fiber_pool *pool = NULL;
    OK(sim_fiber_pool_create(&pool, NULL));
    static sim_fiber *fs[MANY];
    static int counts[MANY];
    memset(counts, 0, sizeof counts);
    char name[24];
    for (int i = 0; i < MANY; i++) {
        snprintf(name, sizeof name, "task-%d", i);
        OK(sim_fiber_create(&fs[i], &(sim_fiber_desc){ .fn = many_body, .arg = &counts[i], .name = name,
                                                       .pool = pool, .stack_size = 16 * 1024 }));
    }
    sim_fiber_pool_stats st;
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.stacks_live, MANY);
    ck_assert_uint_eq(st.stacks_free, 0);
    /* 256 MiB reservations of 20 KiB spans (16 KiB + a 4 KiB guard page) */
    size_t span = 16 * 1024 + (size_t)sysconf(_SC_PAGESIZE);
    size_t per = ((size_t)256 << 20) / span;
    ck_assert_uint_eq(st.reservations, (MANY + per - 1) / per);

    /* Four rounds of round-robin: 40,000 transfers there and back, all 10,000
     * started and unfinished at once. Under TSan only `limit` may be: there the
     * fibers run in waves, and starting one more than the limit is refused. */
    size_t limit = sim_fiber_running_limit();
    int wave = limit && limit < MANY ? (int)limit : MANY;
    for (int base = 0; base < MANY; base += wave) {
        int end = base + wave < MANY ? base + wave : MANY;
        for (int round = 0; round < 4; round++) {
            for (int i = base; i < end; i++) {
                void *got = NULL;
                OK(sim_fiber_resume(fs[i], NULL, &got));
                if (round == 3) ck_assert_ptr_eq(got, &counts[i]);
            }
            if (round == 0 && end < MANY) {
                ck_assert_int_eq(sim_fiber_resume(fs[end], NULL, NULL), SIM_FIBER_ELIMIT);
                ck_assert_int_eq(counts[end], 0);
                ck_assert_int_eq(sim_fiber_state_of(fs[end]), SIM_FIBER_SUSPENDED);
            }
        }
    }
    for (int i = 0; i < MANY; i++) {
        ck_assert_int_eq(counts[i], 3);
        ck_assert_int_eq(sim_fiber_state_of(fs[i]), SIM_FIBER_DEAD);
        ck_assert_str_eq(sim_fiber_name(fs[i]), (snprintf(name, sizeof name, "task-%d", i), name));
        OK(sim_fiber_destroy(fs[i]));
    }
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.stacks_live, 0);
    ck_assert_uint_eq(st.stacks_free, MANY);
    OK(sim_fiber_pool_destroy(pool));
}
END_TEST

//~ destroy, misuse

static void *yield_once(sim_fiber *self, void *first) {
    OK(sim_fiber_yield(NULL, NULL));
    return NULL;
}

/* Uses most of its stack in instrumented frames, then stops there. */
static void *deep_then_stop(sim_fiber *self, void *first) {
    volatile char big[24 * 1024];
    memset((char *)big, 0x5a, sizeof big);
    OK(sim_fiber_yield(NULL, NULL));
    return (void *)(intptr_t)big[100];
}

START_TEST(destroy_in_every_state) {
    sim_fiber_pool *pool = NULL;
    OK(sim_fiber_pool_create(&pool, NULL));
    sim_fiber_pool_stats st;
    sim_fiber *f = NULL;

    /* never started */
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = yield_once, .pool = pool }));
    ck_assert_str_eq(sim_fiber_name(f), "fiber");
    ck_assert_uint_eq(sim_fiber_stack_size(f), SIM_FIBER_DEFAULT_STACK);
    OK(sim_fiber_destroy(f));
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.stacks_live, 0);
    ck_assert_uint_eq(st.stacks_free, 1);

    /* finished */
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = yield_once, .pool = pool }));
    OK(sim_fiber_resume(f, NULL, NULL));
    OK(sim_fiber_resume(f, NULL, NULL));
    ck_assert_int_eq(sim_fiber_state_of(f), SIM_FIBER_DEAD);
    OK(sim_fiber_destroy(f));

    /* stopped in the middle, deep: abandoned; its stack is reused cleanly */
    for (int i = 0; i < 3; i++) {
        OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = deep_then_stop, .pool = pool }));
        OK(sim_fiber_resume(f, NULL, NULL));
        ck_assert_int_eq(sim_fiber_state_of(f), SIM_FIBER_SUSPENDED);
        OK(sim_fiber_destroy(f));
    }
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = deep_then_stop, .pool = pool }));
    void *got = NULL;
    OK(sim_fiber_resume(f, NULL, NULL));
    OK(sim_fiber_resume(f, NULL, &got));
    ck_assert_int_eq((intptr_t)got, 0x5a);
    OK(sim_fiber_destroy(f));
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.reservations, 1);
    ck_assert_uint_eq(st.stacks_free, 1);   /* one size, one span, reused every time */
    OK(sim_fiber_pool_destroy(pool));
}
END_TEST

static void *inner_misuse(sim_fiber *self, void *first) {
    sim_fiber *outer = sim_fiber_arg(self);
    sim_fiber *root = first;
    ck_assert_int_eq(sim_fiber_destroy(self), SIM_FIBER_EBUSY);    /* running */
    ck_assert_int_eq(sim_fiber_destroy(outer), SIM_FIBER_EBUSY);   /* our resumer */
    ck_assert_int_eq(sim_fiber_destroy(root), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_resume(self, NULL, NULL), SIM_FIBER_ERUNNING);
    ck_assert_int_eq(sim_fiber_switch(self, NULL, NULL), SIM_FIBER_ERUNNING);
    ck_assert_int_eq(sim_fiber_check(self), 0);
    return NULL;
}

static void *outer_misuse(sim_fiber *self, void *first) {
    sim_fiber *inner = make(inner_misuse, self, "inner");
    OK(sim_fiber_resume(inner, first, NULL));
    ck_assert_int_eq(sim_fiber_state_of(inner), SIM_FIBER_DEAD);
    OK(sim_fiber_destroy(inner));
    return NULL;
}

typedef struct foreign { sim_fiber *f; int resume, sw, destroy; } foreign;
static void *foreign_thread(void *p) {
    foreign *x = p;
    x->resume = sim_fiber_resume(x->f, NULL, NULL);
    x->sw = sim_fiber_switch(x->f, NULL, NULL);
    x->destroy = sim_fiber_destroy(x->f);
    return NULL;
}

START_TEST(misuse_is_refused_with_a_code) {
    sim_fiber *root = sim_fiber_current();
    sim_fiber *f = NULL;
    ck_assert_int_eq(sim_fiber_yield(NULL, NULL), SIM_FIBER_ENORESUMER);
    ck_assert_int_eq(sim_fiber_create(NULL, &(sim_fiber_desc){ .fn = yield_once }), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_create(&f, NULL), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_create(&f, &(sim_fiber_desc){ .name = "no fn" }), SIM_FIBER_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = yield_once, .stack_size = 4096 }),
                     SIM_FIBER_ESTACK);
    ck_assert_int_eq(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = yield_once,
                                                             .stack_size = SIM_FIBER_MAX_STACK + 1 }),
                     SIM_FIBER_ESTACK);
    ck_assert_int_eq(sim_fiber_resume(NULL, NULL, NULL), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_switch(NULL, NULL, NULL), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_destroy(NULL), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_destroy(root), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_check(root), SIM_FIBER_EINVAL);
    ck_assert_int_eq(sim_fiber_resume(root, NULL, NULL), SIM_FIBER_ERUNNING);
    ck_assert_int_eq(sim_fiber_pool_create(NULL, NULL), SIM_FIBER_EINVAL);

    /* a long name is cut, an odd size rounded up to pages */
    char longname[100];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = yield_once, .name = longname, .stack_size = 10000 }));
    ck_assert_uint_eq(strlen(sim_fiber_name(f)), SIM_FIBER_NAME_MAX);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    ck_assert_uint_eq(sim_fiber_stack_size(f), (10000 + page - 1) / page * page);

    /* another thread may not touch it */
    foreign x = { .f = f };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, foreign_thread, &x), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(x.resume, SIM_FIBER_ETHREAD);
    ck_assert_int_eq(x.sw, SIM_FIBER_ETHREAD);
    ck_assert_int_eq(x.destroy, SIM_FIBER_ETHREAD);
    OK(sim_fiber_destroy(f));

    /* inside fibers: the running fiber and its resumer are busy */
    sim_fiber *outer = make(outer_misuse, NULL, "outer");
    OK(sim_fiber_resume(outer, root, NULL));
    OK(sim_fiber_destroy(outer));

    /* a pool in use is not unmapped */
    sim_fiber_pool *pool = NULL;
    OK(sim_fiber_pool_create(&pool, &(sim_fiber_pool_desc){ .guard_size = 1 }));
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = yield_once, .pool = pool }));
    ck_assert_int_eq(sim_fiber_pool_destroy(pool), SIM_FIBER_EBUSY);
    OK(sim_fiber_destroy(f));
    OK(sim_fiber_pool_destroy(pool));
    OK(sim_fiber_pool_destroy(NULL));
}
END_TEST

/* The root can be resumed like any suspended fiber; it then yields back. */
static trail rootwalk;
static void *resumes_the_root(sim_fiber *self, void *first) {
    sim_fiber *root = first;
    note(&rootwalk, "F1");
    void *got = NULL;
    OK(sim_fiber_resume(root, (void *)(intptr_t)7, &got));   /* root's resume(F) returns 7 */
    note(&rootwalk, "F2");
    ck_assert_int_eq((intptr_t)got, 8);
    return (void *)(intptr_t)9;
}

START_TEST(the_root_can_be_resumed_and_yield) {
    memset(&rootwalk, 0, sizeof rootwalk);
    sim_fiber *root = sim_fiber_current();
    sim_fiber *f = make(resumes_the_root, NULL, "F");
    void *got = NULL;
    OK(sim_fiber_resume(f, root, &got));
    note(&rootwalk, "r1");
    ck_assert_int_eq((intptr_t)got, 7);
    OK(sim_fiber_yield((void *)(intptr_t)8, &got));   /* the root's resumer is F now */
    note(&rootwalk, "r2");
    ck_assert_int_eq((intptr_t)got, 9);                /* F ended: back to its resumer */
    ck_assert_str_eq(rootwalk.s, "F1 r1 F2 r2");
    ck_assert_int_eq(sim_fiber_yield(NULL, NULL), SIM_FIBER_EDEAD);   /* F is still our resumer */
    OK(sim_fiber_destroy(f));                          /* a dead resumer can go */
    ck_assert_int_eq(sim_fiber_yield(NULL, NULL), SIM_FIBER_ENORESUMER);
}
END_TEST

//~ pools

START_TEST(pools_carve_reuse_and_grow) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    sim_fiber_pool *pool = NULL;
    /* room for exactly 4 spans of (16 KiB + 2-page guard) per reservation */
    size_t span = 16 * 1024 + 2 * page;
    OK(sim_fiber_pool_create(&pool, &(sim_fiber_pool_desc){ .reserve = 4 * span, .guard_size = page + 1 }));
    sim_fiber *f[10];
    for (int i = 0; i < 10; i++)
        OK(sim_fiber_create(&f[i], &(sim_fiber_desc){ .fn = yield_once, .pool = pool, .stack_size = 16 * 1024 }));
    sim_fiber_pool_stats st;
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.reservations, 3);
    ck_assert_uint_eq(st.reserved, 12 * span);
    ck_assert_uint_eq(st.stacks_live, 10);
    /* stacks are carved front to back with their guard below */
    ck_assert_ptr_eq((char *)sim_fiber_stack_low(f[1]), (char *)sim_fiber_stack_low(f[0]) + span);
    void *low3 = sim_fiber_stack_low(f[3]);
    for (int i = 0; i < 10; i++) OK(sim_fiber_destroy(f[i]));
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.stacks_free, 10);
    /* same size: reused (last returned first); no new reservation */
    for (int i = 0; i < 10; i++)
        OK(sim_fiber_create(&f[i], &(sim_fiber_desc){ .fn = yield_once, .pool = pool, .stack_size = 16 * 1024 }));
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.reservations, 3);
    ck_assert_uint_eq(st.stacks_free, 0);
    ck_assert_ptr_eq(sim_fiber_stack_low(f[6]), low3);
    /* another size: carved anew; too big for the 2 spans left in the third
     * reservation, it takes a fourth */
    sim_fiber *big = NULL;
    OK(sim_fiber_create(&big, &(sim_fiber_desc){ .fn = yield_once, .pool = pool, .stack_size = 64 * 1024 }));
    sim_fiber_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.reservations, 4);
    ck_assert_uint_eq(st.reserved, 16 * span);
    ck_assert_uint_eq(st.stacks_live, 11);
    OK(sim_fiber_resume(big, NULL, NULL));
    for (int i = 0; i < 10; i++) { OK(sim_fiber_resume(f[i], NULL, NULL)); OK(sim_fiber_destroy(f[i])); }
    OK(sim_fiber_destroy(big));
    OK(sim_fiber_pool_destroy(pool));
}
END_TEST

//~ what a switch keeps

/* Many values live across transfers: the compiler keeps them in callee-saved
 * registers, which the switch must preserve. */
static uint64_t mix_values(int yield) {
    uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, g = 6, h = 7, k = 8;
    double x = 1.5, y = 2.25, z = 3.125, w = 0.5;
    for (int i = 0; i < 50; i++) {
        a = a * 31 + b; b ^= c << 3; c += d * 7; d = d * 13 + e;
        e ^= g >> 2; g += h * 5; h = h * 17 + k; k ^= a;
        x = x * 1.0001 + y; y = y * 0.999 + z; z += w * 0.25; w = w * 1.5 - x * 0.001;
        if (yield) OK(sim_fiber_yield(NULL, NULL));
    }
    return a ^ b ^ c ^ d ^ e ^ g ^ h ^ k ^ (uint64_t)(x * 1000) ^ (uint64_t)(y * 1000) ^
           (uint64_t)(z * 1000) ^ (uint64_t)(w * 1000);
}

static void *mixer(sim_fiber *self, void *first) {
    *(uint64_t *)sim_fiber_arg(self) = mix_values(1);
    return NULL;
}

START_TEST(registers_survive_interleaved_fibers) {
    uint64_t want = mix_values(0);
    uint64_t got[4] = { 0 };
    sim_fiber *f[4];
    for (int i = 0; i < 4; i++) f[i] = make(mixer, &got[i], "mixer");
    for (int live = 4; live;) {
        live = 0;
        for (int i = 0; i < 4; i++)
            if (sim_fiber_state_of(f[i]) != SIM_FIBER_DEAD) {
                OK(sim_fiber_resume(f[i], NULL, NULL));
                live++;
            }
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(got[i], want);
        OK(sim_fiber_destroy(f[i]));
    }
}
END_TEST

#if defined(FE_UPWARD) && defined(FE_DOWNWARD)
#define FP_TESTS 1
/* Directed rounding shows as 1/3 != -(-1/3); to nearest they are equal.
 * double arithmetic uses SSE (MXCSR) on x86-64, long double the x87 (its
 * control word); on AArch64 both are FPCR. Volatile operands: the compiler
 * assumes rounding to nearest and would fold. */
static bool sse_directed(void) {
    volatile double one = 1.0, minus_one = -1.0, three = 3.0;
    double up = one / three, down = minus_one / three;
    return up != -down;
}
static bool x87_directed(void) {
    volatile long double one = 1.0L, minus_one = -1.0L, three = 3.0L;
    long double up = one / three, down = minus_one / three;
    return up != -down;
}

static void *rounds_up(sim_fiber *self, void *first) {
    ck_assert_int_eq(fegetround(), FE_TONEAREST);   /* its creator's mode */
    ck_assert_int_eq(fesetround(FE_UPWARD), 0);
    ck_assert(sse_directed() && x87_directed());
    sim_fiber *other = sim_fiber_arg(self);
    if (other) OK(sim_fiber_switch(other, NULL, NULL));   /* a fiber without its own */
    OK(sim_fiber_yield(NULL, NULL));
    ck_assert_int_eq(fegetround(), FE_UPWARD);
    return (void *)(intptr_t)(sse_directed() * 2 + x87_directed());
}

/* Without an environment of its own: sees what runs, changes it for all. */
static void *rounds_down_shared(sim_fiber *self, void *first) {
    int *seen = sim_fiber_arg(self);
    seen[0] = fegetround();
    ck_assert_int_eq(fesetround(FE_DOWNWARD), 0);
    sim_fiber *back = first;
    if (back) OK(sim_fiber_switch(back, NULL, NULL));
    else OK(sim_fiber_yield(NULL, NULL));
    seen[1] = fegetround();
    return NULL;
}

static sim_fiber *make_own_fp(sim_fiber_fn fn, void *arg, const char *name) {
    sim_fiber *f = NULL;
    OK(sim_fiber_create(&f, &(sim_fiber_desc){ .fn = fn, .arg = arg, .name = name, .own_fp_env = true }));
    return f;
}
#endif

/* own_fp_env: the fiber's rounding mode (x86-64 MXCSR and x87 control word,
 * AArch64 FPCR) stays its own and never leaks into the root. */
START_TEST(an_own_fp_env_fiber_keeps_its_rounding_mode) {
#if defined(FP_TESTS)
    ck_assert_int_eq(fegetround(), FE_TONEAREST);
    ck_assert(!sse_directed() && !x87_directed());
    sim_fiber *f = make_own_fp(rounds_up, NULL, "up");
    OK(sim_fiber_resume(f, NULL, NULL));
    ck_assert_int_eq(fegetround(), FE_TONEAREST);
    ck_assert_msg(!sse_directed(), "the fiber's SSE rounding leaked into the root");
    ck_assert_msg(!x87_directed(), "the fiber's x87 rounding leaked into the root");
    void *got = NULL;
    OK(sim_fiber_resume(f, NULL, &got));
    ck_assert_int_eq((intptr_t)got, 3);    /* both kept rounding upward in the fiber */
    ck_assert(!sse_directed() && !x87_directed());
    OK(sim_fiber_destroy(f));
#endif
}
END_TEST

/* Fibers without own_fp_env share the thread's environment: the switch does
 * not carry it (that is what makes it fast), so a change is seen by all. */
START_TEST(fibers_share_the_thread_fp_env_by_default) {
#if defined(FP_TESTS)
    if (strcmp(sim_fiber_backend(), "ucontext") == 0) return;   /* swapcontext carries it */
    int seen[2] = { -1, -1 };
    sim_fiber *f = make(rounds_down_shared, seen, "down");
    OK(sim_fiber_resume(f, NULL, NULL));
    ck_assert_int_eq(seen[0], FE_TONEAREST);
    ck_assert_int_eq(fegetround(), FE_DOWNWARD);   /* the fiber's change is the thread's */
    ck_assert_int_eq(fesetround(FE_TONEAREST), 0);
    OK(sim_fiber_resume(f, NULL, NULL));
    ck_assert_int_eq(seen[1], FE_TONEAREST);       /* and the root's is the fiber's */
    OK(sim_fiber_destroy(f));
#endif
}
END_TEST

/* An own_fp_env fiber switching to a shared one and back: the shared one runs
 * in the thread's environment and changes it; the owner keeps its own. */
START_TEST(own_and_shared_fp_envs_mix) {
#if defined(FP_TESTS)
    if (strcmp(sim_fiber_backend(), "ucontext") == 0) return;
    int seen[2] = { -1, -1 };
    sim_fiber *shared = make(rounds_down_shared, seen, "shared");
    sim_fiber *own = make_own_fp(rounds_up, shared, "own");
    /* own rounds up, switches to shared (sent nothing: it yields to its
     * resumer, the root, which own's switch made its resumer) */
    OK(sim_fiber_resume(own, NULL, NULL));
    ck_assert_int_eq(seen[0], FE_TONEAREST);         /* not own's upward mode */
    ck_assert_int_eq(fegetround(), FE_DOWNWARD);     /* shared's change reached the root */
    OK(sim_fiber_resume(own, NULL, NULL));           /* own continues after its switch, yields */
    ck_assert_int_eq(fegetround(), FE_DOWNWARD);
    void *got = NULL;
    OK(sim_fiber_resume(own, NULL, &got));
    ck_assert_int_eq((intptr_t)got, 3);
    ck_assert_int_eq(fegetround(), FE_DOWNWARD);
    ck_assert_int_eq(fesetround(FE_TONEAREST), 0);
    OK(sim_fiber_resume(shared, NULL, NULL));
    ck_assert_int_eq(seen[1], FE_TONEAREST);
    OK(sim_fiber_destroy(shared));
    OK(sim_fiber_destroy(own));
#endif
}
END_TEST

//~ canary

static void *canary_victim(sim_fiber *self, void *first) {
    int *seen = sim_fiber_arg(self);
    seen[0] = sim_fiber_yield(NULL, NULL);   /* the canary is broken while we wait */
    seen[1] = sim_fiber_yield(NULL, NULL);   /* checked on switch out: refused, we go on */
    seen[2] = 1;
    return NULL;
}

START_TEST(a_broken_canary_is_detected) {
    int seen_on[3] = { 0 }, seen_off[3] = { 0 };
    sim_fiber *on = NULL, *off = NULL;
    OK(sim_fiber_create(&on, &(sim_fiber_desc){ .fn = canary_victim, .arg = seen_on, .name = "on",
                                                .check_every_switch = SIM_FIBER_CHECK_ON }));
    OK(sim_fiber_create(&off, &(sim_fiber_desc){ .fn = canary_victim, .arg = seen_off, .name = "off",
                                                 .check_every_switch = SIM_FIBER_CHECK_OFF }));
    OK(sim_fiber_resume(on, NULL, NULL));
    OK(sim_fiber_resume(off, NULL, NULL));
    OK(sim_fiber_check(on));
    OK(sim_fiber_check(off));
    /* the lowest bytes of the stack: what an overrun writes last before the guard */
    memset((char *)sim_fiber_stack_low(on) + 8, 0x41, 8);
    memset((char *)sim_fiber_stack_low(off) + SIM_FIBER_CANARY_BYTES - 1, 0xee, 1);
    ck_assert_int_eq(sim_fiber_check(on), SIM_FIBER_ECANARY);
    ck_assert_int_eq(sim_fiber_check(off), SIM_FIBER_ECANARY);

    OK(sim_fiber_resume(on, NULL, NULL));     /* its second yield fails, it runs to the end */
    ck_assert_int_eq(seen_on[0], 0);
    ck_assert_int_eq(seen_on[1], SIM_FIBER_ECANARY);
    ck_assert_int_eq(seen_on[2], 1);
    ck_assert_int_eq(sim_fiber_state_of(on), SIM_FIBER_DEAD);

    OK(sim_fiber_resume(off, NULL, NULL));    /* not checked on the way: it yields */
    ck_assert_int_eq(seen_off[1], 0);
    ck_assert_int_eq(seen_off[2], 0);
    ck_assert_int_eq(sim_fiber_state_of(off), SIM_FIBER_SUSPENDED);
    /* destroy always checks, and frees anyway */
    ck_assert_int_eq(sim_fiber_destroy(on), SIM_FIBER_ECANARY);
    ck_assert_int_eq(sim_fiber_destroy(off), SIM_FIBER_ECANARY);
    /* a stack reused after a broken canary gets a fresh one */
    sim_fiber *again = make(yield_once, NULL, "again");
    OK(sim_fiber_check(again));
    OK(sim_fiber_destroy(again));
}
END_TEST

//~ stack overflow

static void write_hook(const sim_fiber_overflow *info, void *ctx) {
    int fd = *(int *)ctx;
    char line[256];
    size_t n = info->message_len < sizeof line - 1 ? info->message_len : sizeof line - 1;
    memcpy(line, info->message, n);
    line[n++] = '\n';
    (void)!write(fd, line, n);
}

static volatile int recursion_limit = 1 << 30;   /* never reached: the stack ends first */
static int recurse(volatile char *prev, int depth) {
    volatile char frame[512];
    if (depth >= recursion_limit) return 0;
    frame[0] = (char)depth;
    frame[511] = prev ? prev[0] : 0;
    return recurse(frame, depth + 1) + frame[1];   /* not a tail call */
}

static void *overflows(sim_fiber *self, void *first) {
    return (void *)(intptr_t)recurse(NULL, 0);
}

static void *segfaults(sim_fiber *self, void *first) {
    static volatile uintptr_t nowhere = 16;
    return (void *)(intptr_t)*(volatile int *)nowhere;
}

/* Forks a child that installs the handler and runs `fn` in a fiber named
 * `name`; returns the child's wait status and what the hook wrote. */
static int run_child(sim_fiber_fn fn, const char *name, size_t stack, char *out, size_t cap) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        int fd = fds[1];
        if (sim_fiber_overflow_handler_install(write_hook, &fd) != 0) _exit(10);
        sim_fiber *f = NULL;
        if (sim_fiber_create(&f, &(sim_fiber_desc){ .fn = fn, .name = name, .stack_size = stack }) != 0) _exit(11);
        sim_fiber_resume(f, NULL, NULL);
        _exit(12);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], out + n, cap - 1 - n)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0) n += (size_t)r;
    out[n] = '\0';
    close(fds[0]);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

START_TEST(a_stack_overflow_names_the_fiber_and_dies_by_sigsegv) {
    char msg[512];
    int status = run_child(overflows, "deep-recursion", 16 * 1024, msg, sizeof msg);
    ck_assert_msg(WIFSIGNALED(status), "child status %#x, wrote '%s'", status, msg);
    ck_assert_int_eq(WTERMSIG(status), SIGSEGV);
    ck_assert_str_eq(msg, "stack overflow in fiber 'deep-recursion' (stack of 16384 bytes)\n");

    status = run_child(overflows, "big", 256 * 1024, msg, sizeof msg);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    ck_assert_str_eq(msg, "stack overflow in fiber 'big' (stack of 262144 bytes)\n");
}
END_TEST

START_TEST(other_faults_are_passed_on) {
    char msg[512];
    int status = run_child(segfaults, "bad-pointer", 0, msg, sizeof msg);
    ck_assert_str_eq(msg, "");   /* not an overflow: no report from us */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#else
    ck_assert(!WIFEXITED(status) || WEXITSTATUS(status) != 12);   /* the sanitizer's report ends it */
#endif
}
END_TEST

//~ two threads

#define PER_THREAD_FIBERS 40
#define PER_THREAD_ROUNDS 500

typedef struct thread_job { int id; long total; int bad; } thread_job;

static void *counting_fiber(sim_fiber *self, void *first) {
    long *cell = sim_fiber_arg(self);
    thread_job *job = first;
    for (;;) {
        ++*cell;
        if (sim_fiber_current() != self) job->bad++;
        void *next = NULL;
        if (sim_fiber_yield((void *)(intptr_t)job->id, &next) != 0) job->bad++;
        if (!next) break;
    }
    return NULL;
}

static void *thread_main(void *p) {
    thread_job *job = p;
    sim_fiber *fs[PER_THREAD_FIBERS];
    long cells[PER_THREAD_FIBERS] = { 0 };
    sim_fiber *root = sim_fiber_current();
    for (int i = 0; i < PER_THREAD_FIBERS; i++)
        if (sim_fiber_create(&fs[i], &(sim_fiber_desc){ .fn = counting_fiber, .arg = &cells[i],
                                                        .stack_size = 32 * 1024 }) != 0)
            job->bad++;
    for (int r = 0; r < PER_THREAD_ROUNDS; r++) {
        for (int i = 0; i < PER_THREAD_FIBERS; i++) {
            void *got = NULL;
            if (sim_fiber_resume(fs[i], r == 0 ? (void *)job : (void *)1, &got) != 0) job->bad++;
            if ((intptr_t)got != job->id) job->bad++;
            if (sim_fiber_current() != root) job->bad++;
        }
        /* churn the shared default pool while the other thread does too */
        sim_fiber *tmp = NULL;
        if (sim_fiber_create(&tmp, &(sim_fiber_desc){ .fn = yield_once }) != 0 ||
            sim_fiber_resume(tmp, NULL, NULL) != 0 || sim_fiber_resume(tmp, NULL, NULL) != 0 ||
            sim_fiber_destroy(tmp) != 0)
            job->bad++;
    }
    for (int i = 0; i < PER_THREAD_FIBERS; i++) {
        if (sim_fiber_resume(fs[i], NULL, NULL) != 0) job->bad++;   /* NULL: end */
        if (sim_fiber_state_of(fs[i]) != SIM_FIBER_DEAD) job->bad++;
        if (sim_fiber_destroy(fs[i]) != 0) job->bad++;
        job->total += cells[i];
    }
    return NULL;
}

START_TEST(two_threads_switch_their_own_fibers_at_once) {
    thread_job jobs[2] = { { .id = 101 }, { .id = 202 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++) ck_assert_int_eq(pthread_create(&t[i], NULL, thread_main, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(jobs[i].bad, 0);
        ck_assert_int_eq(jobs[i].total, (long)PER_THREAD_FIBERS * PER_THREAD_ROUNDS);
    }
    sim_fiber_pool_stats st;
    sim_fiber_pool_get_stats(NULL, &st);
    ck_assert_uint_eq(st.stacks_live, 0);
}
END_TEST

static TCase *tcase(Suite *s, const char *name) {
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void) {
    Suite *s = suite_create("fiber");
    TCase *tc = tcase(s, "transfers");
    tcase_add_test(tc, results_have_distinct_descriptions);
    tcase_add_test(tc, transfers_run_in_order);
    tcase_add_test(tc, a_scheduler_fiber_steps_workers);
    tcase_add_test(tc, values_travel_both_ways);
    tcase_add_test(tc, fibers_create_fibers);
    tcase_add_test(tc, the_root_can_be_resumed_and_yield);
    tcase_add_test(tc, registers_survive_interleaved_fibers);
    tcase_add_test(tc, an_own_fp_env_fiber_keeps_its_rounding_mode);
    tcase_add_test(tc, fibers_share_the_thread_fp_env_by_default);
    tcase_add_test(tc, own_and_shared_fp_envs_mix);
    tc = tcase(s, "lifecycle");
    tcase_add_test(tc, destroy_in_every_state);
    tcase_add_test(tc, misuse_is_refused_with_a_code);
    tcase_add_test(tc, pools_carve_reuse_and_grow);
    tc = tcase(s, "many");
    tcase_add_test(tc, ten_thousand_fibers_live_at_once);
    tc = tcase(s, "overflow");
    tcase_add_test(tc, a_broken_canary_is_detected);
    tcase_add_test(tc, a_stack_overflow_names_the_fiber_and_dies_by_sigsegv);
    tcase_add_test(tc, other_faults_are_passed_on);
    tc = tcase(s, "threads");
    tcase_add_test(tc, two_threads_switch_their_own_fibers_at_once);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
