/* The coroutines platform through the seam alone (sim/sim_platform.h), with no
 * runtime: file descriptors watched by a loop's epoll (a pipe, a TCP
 * connection on the loopback), deadlines and halts of those waits, wakes from
 * another thread (the inbox), quiet, and a task's stack overflow caught and
 * named. */
#include "testutil.h"
#include "sim/sim_platform.h"
#include "sim/sim_plat_fiber.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const sim_plat_ops *ops = &sim_plat_coro;

typedef struct unit {
    sim_plat *p;
    sim_punit *pu;
    sim_mon *own;          /* its own monitor (halts wake it) */
    _Atomic int halt;
    int fd;
    unsigned events;
    uint64_t deadline;
    unsigned got;
    uint64_t t0, t1;
    char buf[64];
    sim_mon *m;            /* a shared monitor */
    _Atomic int *flag;
} unit;

typedef struct hooks_seen { _Atomic int idle_begin, idle_end, ticks, ready; } hooks_seen;

static void h_ready(void *c, uint32_t l, void *u, uint64_t late) { (void)l; (void)u; (void)late; atomic_fetch_add(&((hooks_seen *)c)->ready, 1); }
static void h_tick(void *c, uint32_t l, uint32_t n, uint32_t f, uint64_t lag) { (void)l; (void)n; (void)f; (void)lag; atomic_fetch_add(&((hooks_seen *)c)->ticks, 1); }
static void h_idle(void *c, uint32_t l, bool begin) { (void)l; atomic_fetch_add(begin ? &((hooks_seen *)c)->idle_begin : &((hooks_seen *)c)->idle_end, 1); }

static sim_plat *make(hooks_seen *seen, bool virt) {
    static sim_plat_hooks h;
    h = (sim_plat_hooks){ .ctx = seen, .ready = h_ready, .tick = h_tick, .idle = h_idle };
    sim_plat *p;
    diag d;
    ck_assert_int_eq(ops->create(&p, &(sim_plat_desc){ .loops = 1, .virtual_clock = virt, .hooks = &h }, &d), 0);
    return p;
}

static void start(sim_plat *p, unit *u, void (*entry)(void *), const char *name, uint32_t loop) {
    u->p = p;
    u->own = ops->mon_new(p, 1);
    diag d;
    ck_assert_int_eq(ops->unit_start(p, &u->pu, &(sim_unit_start){ .entry = entry, .arg = u, .name = name, .loop = loop }, &d), 0);
}

static void finish(sim_plat *p, unit *u) {
    ops->unit_join(p, u->pu);
    ops->mon_free(p, u->own);
}

static void fd_waiter(void *arg) {
    unit *u = arg;
    u->t0 = ops->now(u->p);
    u->got = ops->fd_park(u->p, u->pu, u->own, u->fd, u->events, u->deadline, &u->halt);
    u->t1 = ops->now(u->p);
    if (u->got & SIM_FD_READ) {
        ssize_t n = read(u->fd, u->buf, sizeof u->buf - 1);
        if (n > 0) u->buf[n] = 0;
    }
}

/* A thread that sleeps (a timed wait on its own monitor), then writes its fd. */
static void late_writer(void *arg) {
    unit *u = arg;
    ops->mon_lock(u->p, u->pu, u->own);
    uint64_t until = ops->now(u->p) + 20000000ull;
    while (!ops->mon_wait(u->p, u->pu, u->own, 0, until)) {}
    ops->mon_unlock(u->p, u->pu, u->own);
    ck_assert_int_eq(write(u->fd, "ping", 4), 4);
}

/* A task parks on a pipe; a thread writes 20 ms later; the loop idles meanwhile (epoll). */
START_TEST(a_pipe_wakes_a_task) {
    hooks_seen seen = { 0 };
    sim_plat *p = make(&seen, false);
    int pf[2];
    ck_assert_int_eq(pipe(pf), 0);
    unit t = { .fd = pf[0], .events = SIM_FD_READ }, w = { .fd = pf[1] };
    start(p, &t, fd_waiter, "reader", 0);
    start(p, &w, late_writer, "writer", SIM_UNIT_OWN_THREAD);
    finish(p, &w);
    finish(p, &t);
    ck_assert_uint_eq(t.got, SIM_FD_READ);
    ck_assert_str_eq(t.buf, "ping");
    ck_assert_uint_ge(t.t1 - t.t0, 15000000ull);
    ck_assert_int_ge(atomic_load(&seen.idle_begin), 1);
    ck_assert_int_ge(atomic_load(&seen.ready), 2);   /* created, then woken by the pipe */
    ops->destroy(p);
    close(pf[0]);
    close(pf[1]);
}
END_TEST

/* A TCP connection on the loopback: the task waits for a connection on its listening socket,
 * then for the bytes; a thread connects and sends. */
static void tcp_server(void *arg) {
    unit *u = arg;
    unsigned got = ops->fd_park(u->p, u->pu, u->own, u->fd, SIM_FD_READ, 0, &u->halt);
    ck_assert_uint_eq(got, SIM_FD_READ);
    int c = accept(u->fd, NULL, NULL);
    ck_assert_int_ge(c, 0);
    u->got = ops->fd_park(u->p, u->pu, u->own, c, SIM_FD_READ, 0, &u->halt);
    ssize_t n = read(c, u->buf, sizeof u->buf - 1);
    if (n > 0) u->buf[n] = 0;
    close(c);
}

static void tcp_client(void *arg) {
    unit *u = arg;
    struct sockaddr_in a = { 0 };
    socklen_t al = sizeof a;
    ck_assert_int_eq(getsockname(u->fd, (struct sockaddr *)&a, &al), 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(connect(s, (struct sockaddr *)&a, al), 0);
    struct timespec ts = { 0, 10000000 };
    nanosleep(&ts, NULL);
    ck_assert_int_eq(write(s, "hello", 5), 5);
    close(s);
}

START_TEST(a_loopback_connection) {
    hooks_seen seen = { 0 };
    sim_plat *p = make(&seen, false);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    unit srv = { .fd = l }, cli = { .fd = l };
    start(p, &srv, tcp_server, "server", 0);
    start(p, &cli, tcp_client, "client", SIM_UNIT_OWN_THREAD);
    finish(p, &cli);
    finish(p, &srv);
    ck_assert_uint_eq(srv.got, SIM_FD_READ);
    ck_assert_str_eq(srv.buf, "hello");
    ops->destroy(p);
    close(l);
}
END_TEST

/* Nothing comes: the wait ends at its deadline with nothing ready; a halt ends one without
 * a deadline (the runtime wakes the unit's own monitor). */
START_TEST(fd_wait_deadline_and_halt) {
    hooks_seen seen = { 0 };
    sim_plat *p = make(&seen, false);
    int pf[2];
    ck_assert_int_eq(pipe(pf), 0);
    unit t = { .fd = pf[0], .events = SIM_FD_READ, .deadline = 0 };
    t.deadline = 0;
    unit h = { .fd = pf[0], .events = SIM_FD_READ };
    t.p = p;
    t.deadline = ops->now(p) + 30000000ull;
    start(p, &t, fd_waiter, "timed", 0);
    start(p, &h, fd_waiter, "halted", 0);
    finish(p, &t);
    ck_assert_uint_eq(t.got, 0);
    ck_assert_uint_ge(t.t1, t.deadline);
    atomic_store(&h.halt, 1);
    sim_punit *self = ops->main_unit(p);
    ops->mon_lock(p, self, h.own);
    ops->mon_wake(p, h.own, SIM_MON_EVERY, true);
    ops->mon_unlock(p, self, h.own);
    finish(p, &h);
    ck_assert_uint_eq(h.got, 0);
    ops->destroy(p);
    close(pf[0]);
    close(pf[1]);
}
END_TEST

/* A task waiting on a monitor, woken by a thread (through the loop's inbox); quiet while every
 * unit waits without a deadline, not once one is woken. */
static void monitor_waiter(void *arg) {
    unit *u = arg;
    ops->mon_lock(u->p, u->pu, u->m);
    while (!atomic_load(u->flag)) ops->mon_wait(u->p, u->pu, u->m, 0, 0);
    ops->mon_unlock(u->p, u->pu, u->m);
    u->t1 = ops->now(u->p);
}

static void thread_waker(void *arg) {
    unit *u = arg;
    ops->mon_lock(u->p, u->pu, u->m);
    while (!atomic_load(u->flag)) ops->mon_wait(u->p, u->pu, u->m, 1, 0);   /* until main says go */
    ops->mon_wake(u->p, u->m, 0, true);
    ops->mon_unlock(u->p, u->pu, u->m);
}

START_TEST(wakes_from_a_thread_and_quiet) {
    hooks_seen seen = { 0 };
    sim_plat *p = make(&seen, false);
    _Atomic int go = 0;
    sim_mon *m = ops->mon_new(p, 2);
    unit a = { .m = m, .flag = &go }, b = { .m = m, .flag = &go }, w = { .m = m, .flag = &go };
    start(p, &a, monitor_waiter, "a", 0);
    start(p, &b, monitor_waiter, "b", 0);
    start(p, &w, thread_waker, "waker", SIM_UNIT_OWN_THREAD);
    /* every unit waits without a deadline: quiet (and stays so) */
    uint64_t q = 0;
    for (int i = 0; i < 2000 && !(q = ops->quiet(p)); i++) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    ck_assert_uint_ne(q, 0);
    ck_assert_uint_eq(ops->quiet(p), q);
    sim_punit *self = ops->main_unit(p);
    ops->mon_lock(p, self, m);
    atomic_store(&go, 1);
    ops->mon_wake(p, m, 1, true);   /* main wakes the thread, which wakes the tasks */
    ck_assert_uint_eq(ops->quiet(p), 0);
    ops->mon_unlock(p, self, m);
    finish(p, &w);
    finish(p, &a);
    finish(p, &b);
    ck_assert_uint_ne(a.t1, 0);
    ck_assert_uint_ne(b.t1, 0);
    ops->mon_free(p, m);
    ops->destroy(p);
}
END_TEST

/* ---- stack overflow ------------------------------------------------------------------- */

static int ovf_pipe = -1;
static void ovf_hook(const sim_fiber_overflow *info, void *ctx) {
    (void)ctx;
    if (write(ovf_pipe, info->message, info->message_len) < 0) {}
}

static volatile int sink;
static int recurse(int n) {
    volatile char pad[512];
    pad[0] = (char)n;
    sink += pad[0];
    return n ? recurse(n - 1) + pad[0] : 0;
}

static void deep(void *arg) {
    (void)arg;
    sink = recurse(100000);
}

/* In a child process: a task that recurses past its stack hits the guard page; the hook names
 * the task and its stack, and the process dies by SIGSEGV. */
START_TEST(stack_overflow_is_named) {
    int pf[2];
    ck_assert_int_eq(pipe(pf), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(pf[0]);
        ovf_pipe = pf[1];
        sim_fiber_overflow_handler_install(ovf_hook, NULL);
        sim_plat *p;
        diag d;
        if (ops->create(&p, &(sim_plat_desc){ .loops = 1, .task_stack = 16384 }, &d)) _exit(3);
        unit u = { .p = p };
        if (ops->unit_start(p, &u.pu, &(sim_unit_start){ .entry = deep, .arg = &u, .name = "deep", .loop = 0 }, &d))
            _exit(4);
        ops->unit_join(p, u.pu);
        _exit(0);   /* not reached */
    }
    close(pf[1]);
    char msg[256] = "";
    size_t n = 0;
    ssize_t k;
    while (n < sizeof msg - 1 && (k = read(pf[0], msg + n, sizeof msg - 1 - n)) > 0) n += (size_t)k;
    msg[n] = 0;
    close(pf[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %d", st);
    ck_assert_str_eq(msg, "stack overflow in fiber 'deep' (stack of 16384 bytes)");
}
END_TEST

/* weft run: a scenario whose task overruns its stack (nested blocks, a small task_stack) dies
 * by SIGSEGV with a message naming the task and its stack, and a hint. */
START_TEST(weft_names_the_task_on_overflow) {
    char body[4096] = "sleep 1ms";
    for (int i = 0; i < 60; i++) {
        char tmp[4096];
        int n = snprintf(tmp, sizeof tmp, "if 1 { %s }", body);
        ck_assert_int_lt(n, (int)sizeof tmp);   /* 60 levels fit: nothing cut */
        memcpy(body, tmp, sizeof body);
    }
    const char *scn = tmp_path("deep.scn");
    FILE *f = fopen(scn, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "backend coroutines\ntask_stack 8192\nactor deep { %s }\n", body);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' run '%s' -o '%s' -q 2>&1; echo \"status=$?\"", WEFT_BINARY, scn, tmp_path("deep.weft"));
    FILE *o = popen(cmd, "r");
    char out[2048] = "";
    size_t n = fread(out, 1, sizeof out - 1, o);
    out[n] = 0;
    pclose(o);
    ck_assert_msg(strstr(out, "weft: stack overflow in task 'deep.0' (a stack of 8192 bytes)\n"
                              "hint: give the tasks a bigger stack with 'task_stack N' (bytes) in the scenario\n"), "%s", out);
    ck_assert_msg(strstr(out, "status=139"), "%s", out);   /* 128 + SIGSEGV */
}
END_TEST

/* A task's stack out of range is refused with the numbers. */
START_TEST(stack_size_checked) {
    sim_plat *p;
    diag d;
    ck_assert_int_eq(ops->create(&p, &(sim_plat_desc){ .task_stack = 1000 }, &d), -ERR_LIMIT);
    ck_assert_msg(strstr(d.msg, "a task's stack must be 8192"), "%s", d.msg);
}
END_TEST

static Suite *plat_suite(void) {
    Suite *s = suite_create("coro_plat");
    TCase *tc = tcase_create("coro_plat");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_pipe_wakes_a_task);
    tcase_add_test(tc, a_loopback_connection);
    tcase_add_test(tc, fd_wait_deadline_and_halt);
    tcase_add_test(tc, wakes_from_a_thread_and_quiet);
    tcase_add_test(tc, stack_overflow_is_named);
    tcase_add_test(tc, stack_size_checked);
    tcase_add_test(tc, weft_names_the_task_on_overflow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(plat_suite()); }
