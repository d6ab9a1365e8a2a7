/* Hostile input: what a careless or malicious user can hand weft.
 *
 * Each case runs the real weft in a fresh folder, with what the issue lists
 * (/dev/zero as a scenario and as a recording, FIFOs, /dev/stdin, a sparse
 * 10 GiB file, a directory, paths with a newline or an escape sequence, a
 * 100 MiB scenario, an empty `loop {}`, overflowing arithmetic, an output
 * equal to the input, a bad -D or a full disk over an earlier recording,
 * signals mid-run, names that carry terminal escapes) and checks the exit
 * status, the message, and after every case:
 *  - memory stayed bounded: in a plain build weft runs under RLIMIT_AS (the
 *    `ulimit -v` of the issue); in every build its peak RSS must stay within
 *    RSS_BUDGET of a trivial `weft check`, and a watchdog kills it past
 *    RSS_KILL, so an unbounded reader fails this test instead of the machine;
 *  - nothing hangs: a watchdog kills weft after the case's time limit (a
 *    hang guard, generous, not a performance assertion);
 *  - no temporary output (".NAME.tmp-XXXXXX") is left in the folder.
 *
 * Cases whose fix belongs to work not merged on this branch are listed in
 * `pending` with who fixes them: they run and say how they fare, but do not
 * fail the suite; WEFT_HOSTILE_STRICT=1 makes them count. Remove a name from
 * the list when its fix lands (the suite prints "now passes" for it).
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1   /* RLIMIT_AS and the sanitizers' shadow memory do not mix */
#else
#define UNDER_SANITIZER 0
#endif

#define AS_LIMIT ((rlim_t)512 << 20)
#define RSS_BUDGET (96ll << 20)      /* above the baseline */
#define RSS_KILL (512ll << 20)       /* above the baseline */

static const struct { const char *name, *owner; } pending[] = {
    { NULL, NULL },   /* none pending at the moment (C has no empty initialiser) */
};

/* ---- running weft ---------------------------------------------------------- */

static char dir[256];                /* this case's folder */
static long long baseline_rss;       /* peak RSS of `weft check ok.scn`, bytes */
static char failure[4096];           /* why the case failed, "" if it passed */

typedef struct res {
    int status;          /* exit status, or 128 + signal */
    int sig;             /* the signal that ended weft, 0 if it exited */
    char out[65536];     /* stdout and stderr */
    size_t n;
    long long maxrss;    /* bytes */
    bool killed_rss, killed_time;
} res;

typedef struct wopt {
    const char *stdin_path;  /* NULL = /dev/null */
    const char *env;         /* "NAME=value" added to the environment */
    int signal;              /* sent once the output contains `signal_after` */
    const char *signal_after;
    long fsize;              /* RLIMIT_FSIZE in bytes (a full disk), 0 = none */
    int hang_s;              /* the hang guard, 0 = 60 s */
} wopt;

static const char *P(const char *name) {
    static char paths[8][1024];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 1024, "%s/%s", dir, name);
    return p;
}

static long long rss_of(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atoll(line + 6);
    fclose(f);
    return kb * 1024;
}

static void weftv(res *r, const wopt *o, const char *const *args) {
    static const wopt none;
    if (!o) o = &none;
    memset(r, 0, sizeof *r);
    int pfd[2];
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    const char *argv[32] = { "weft" };
    size_t argc = 1;
    for (; args[argc - 1]; argc++) {
        ck_assert_uint_lt(argc, 31);
        argv[argc] = args[argc - 1];
    }
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        int in = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0) _exit(126);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ };
        for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], SIG_DFL);
        if (!UNDER_SANITIZER) {
            struct rlimit rl = { AS_LIMIT, AS_LIMIT };
            setrlimit(RLIMIT_AS, &rl);
        }
        if (o->fsize) {
            signal(SIGXFSZ, SIG_IGN);   /* a write past the limit fails with EFBIG, as on a full disk */
            struct rlimit rl = { (rlim_t)o->fsize, (rlim_t)o->fsize };
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        if (o->env) putenv((char *)o->env);
        execv(WEFT_BINARY, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    uint64_t t0 = clk_mono_ns(), limit = (uint64_t)(o->hang_s ? o->hang_s : 60) * 1000000000ull;
    bool signalled = false;
    char discard[4096];
    for (;;) {
        struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
        int pr = poll(&pf, 1, 20);
        if (pr > 0) {
            char *dst = r->n < sizeof r->out - 1 ? r->out + r->n : discard;
            size_t cap = r->n < sizeof r->out - 1 ? sizeof r->out - 1 - r->n : sizeof discard;
            ssize_t k = read(pfd[0], dst, cap);
            if (k <= 0) break;
            if (dst != discard) r->n += (size_t)k;
            r->out[r->n] = 0;
        }
        if (o->signal && !signalled && strstr(r->out, o->signal_after)) {
            kill(pid, o->signal);
            signalled = true;
        }
        long long rss = rss_of(pid);
        if (rss > baseline_rss + RSS_KILL && !r->killed_rss) {
            r->killed_rss = true;
            kill(pid, SIGKILL);
        }
        if (clk_mono_ns() - t0 > limit && !r->killed_time) {
            r->killed_time = true;
            kill(pid, SIGKILL);
        }
    }
    close(pfd[0]);
    int st;
    struct rusage ru;
    ck_assert_int_eq(wait4(pid, &st, 0, &ru), pid);
    r->maxrss = (long long)ru.ru_maxrss * 1024;
    r->sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + r->sig;
}

#define WEFT(r, o, ...) weftv((r), (o), (const char *const[]){ __VA_ARGS__, NULL })
#define O(...) (&(wopt){ __VA_ARGS__ })   /* options, as one macro argument */

/* ---- case verdicts ---------------------------------------------------------- */

/* The case fails with a message and returns (it does not abort, so a pending
 * case can report and go on). */
#define EXPECT(cond, ...) do { if (!(cond)) { note(__LINE__, __VA_ARGS__); return; } } while (0)

__attribute__((format(printf, 2, 3))) static void note(int line, const char *fmt, ...) {
    size_t n = (size_t)snprintf(failure, sizeof failure, "test_hostile.c:%d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure + n, sizeof failure - n, fmt, ap);
    va_end(ap);
}

static bool has(const res *r, const char *s) { return strstr(r->out, s) != NULL; }

/* The status, a message, and that weft stayed within its memory and time. */
#define EXPECT_RUN(r, want_status, want_text)                                                                       \
    do {                                                                                                            \
        EXPECT(!(r)->killed_rss, "weft went past %lld MiB of memory (killed):\n%s", RSS_KILL >> 20, (r)->out);     \
        EXPECT(!(r)->killed_time, "weft hung (killed after the guard):\n%s", (r)->out);                             \
        EXPECT((r)->status == (want_status), "exit status %d, wanted %d:\n%s", (r)->status, (want_status), (r)->out); \
        EXPECT(!(want_text) || has((r), (want_text)), "no '%s' in:\n%s", (want_text) ? (want_text) : "", (r)->out); \
        EXPECT(!has((r), "runtime error:") && !has((r), "Sanitizer"), "a sanitizer report:\n%s", (r)->out);       \
        EXPECT((r)->maxrss <= baseline_rss + RSS_BUDGET, "peak RSS %lld MiB, over %lld MiB + %lld MiB:\n%s",          \
               (r)->maxrss >> 20, baseline_rss >> 20, RSS_BUDGET >> 20, (r)->out);                                  \
    } while (0)

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path, size_t *n) {
    char *p;
    diag d;
    if (file_read_all(path, &p, n, &d)) return NULL;
    return p;
}

static bool same_bytes(const char *path, const char *want, size_t n) {
    size_t m;
    char *p = slurp(path, &m);
    bool same = p && m == n && !memcmp(p, want, n);
    free(p);
    return same;
}

static const char *temp_left(void) {
    static char name[256];
    DIR *dp = opendir(dir);
    if (!dp) return NULL;
    struct dirent *de;
    const char *found = NULL;
    while ((de = readdir(dp)))
        if (strstr(de->d_name, ".tmp-")) { snprintf(name, sizeof name, "%s", de->d_name); found = name; }
    closedir(dp);
    return found;
}

static void remove_tree(const char *path) {
    DIR *dp = opendir(path);
    if (!dp) return;
    struct dirent *de;
    char sub[1024];
    while ((de = readdir(dp))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(sub);
        else unlink(sub);
    }
    closedir(dp);
    rmdir(path);
}

/* A small good recording at name, made by weft itself. */
static void make_recording(const char *name) {
    write_file(P("small.scn"), "scenario \"small\"\nqueue q capacity=2\n"
                               "actor p * 2 { repeat 3 { compute 50us; put q } }\n"
                               "actor c { repeat 6 { get q } }\nexpect all_done\n");
    res r;
    WEFT(&r, NULL, "run", "small.scn", "-o", name, "--quiet");
    ck_assert_msg(r.status == 0, "%s", r.out);
}

/* A child that writes `text` (n bytes) into the FIFO at path once a reader opens it. */
static pid_t fifo_writer(const char *path, const char *text, size_t n) {
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        int fd = open(path, O_WRONLY);
        if (fd < 0) _exit(1);
        for (size_t off = 0; off < n;) {
            ssize_t k = write(fd, text + off, n - off);
            if (k <= 0) _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid) {
    kill(pid, SIGKILL);   /* if weft never opened the FIFO, the writer is still waiting */
    waitpid(pid, NULL, 0);
}

/* ---- the cases ------------------------------------------------------------- */

static void dev_zero_as_scenario(void) {
    res r;
    WEFT(&r, NULL, "check", "/dev/zero");
    EXPECT_RUN(&r, 2, "cannot read '/dev/zero': it is larger than 16 MiB");
    WEFT(&r, NULL, "run", "/dev/zero");
    EXPECT_RUN(&r, 2, "cannot read '/dev/zero': it is larger than 16 MiB");
    EXPECT(access(P("zero.weft"), F_OK) != 0, "a recording was written");
}

static void dev_zero_as_recording(void) {
    res r;
    WEFT(&r, NULL, "stats", "/dev/zero");
    EXPECT_RUN(&r, 2, "weft: /dev/zero: at byte 0: bad magic in file header");
    WEFT(&r, NULL, "export", "/dev/zero", "-o", "z.pftrace");
    EXPECT_RUN(&r, 2, "at byte 0: bad magic");
    EXPECT(access(P("z.pftrace"), F_OK) != 0, "an export was written");
#ifdef WEFT_HAVE_GUI
    WEFT(&r, NULL, "view", "/dev/zero", "--screenshot", "z.png");
    EXPECT_RUN(&r, 2, "at byte 0: bad magic");
    EXPECT(access(P("z.png"), F_OK) != 0, "a PNG was written");
#endif
}

static void fifo_scenario(void) {
    static const char scn[] = "scenario \"from a fifo\"\nactor a * 2 { compute 100us }\n";
    pid_t w = fifo_writer(P("s.fifo"), scn, strlen(scn));
    res r;
    WEFT(&r, NULL, "check", "s.fifo");
    reap(w);
    EXPECT_RUN(&r, 0, "s.fifo: ok: \"from a fifo\", 1 actor(s), 2 unit(s)");
    unlink(P("s.fifo"));
    /* run reads it once, even for a sweep that parses it per value */
    static const char sw[] = "param n = 1\nactor a * n { compute 100us }\nexpect all_done\n";
    w = fifo_writer(P("s.fifo"), sw, strlen(sw));
    WEFT(&r, NULL, "run", "s.fifo", "--sweep", "n=1,2", "-o", "s.weft");
    reap(w);
    EXPECT_RUN(&r, 0, "2 runs recorded in s.weft");
}

static void fifo_recording(void) {
    make_recording("small.weft");
    size_t n;
    char *data = slurp(P("small.weft"), &n);
    EXPECT(data != NULL, "no recording");
    pid_t w = fifo_writer(P("r.fifo"), data, n);
    res r;
    WEFT(&r, NULL, "check", "r.fifo");
    reap(w);
    EXPECT_RUN(&r, 0, "r.fifo: ok: 1 run(s)");
    unlink(P("r.fifo"));
    w = fifo_writer(P("r.fifo"), data, n);
    WEFT(&r, NULL, "stats", "r.fifo");
    reap(w);
    free(data);
    EXPECT_RUN(&r, 0, "small  [threads]");
}

static void stdin_inputs(void) {
    make_recording("small.weft");
    res r;
    WEFT(&r, O(.stdin_path = P("small.scn")), "check", "/dev/stdin");
    EXPECT_RUN(&r, 0, "/dev/stdin: ok: \"small\"");
    WEFT(&r, O(.stdin_path = P("small.weft")), "check", "/dev/stdin");
    EXPECT_RUN(&r, 0, "/dev/stdin: ok: 1 run(s)");
    WEFT(&r, O(.stdin_path = P("small.weft")), "stats", "/dev/stdin", "--json");
    EXPECT_RUN(&r, 0, "\"scenario\":\"small\"");
    WEFT(&r, O(.stdin_path = P("small.weft")), "export", "/dev/stdin");
    EXPECT_RUN(&r, 2, "give the output with -o");
    WEFT(&r, O(.stdin_path = P("small.scn")), "run", "/dev/stdin", "-o", "in.weft", "--quiet");
    EXPECT_RUN(&r, 0, NULL);
    EXPECT(access(P("in.weft"), R_OK) == 0, "no recording");
}

static void make_sparse(const char *path, off_t size, const void *head, size_t nhead) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    if (nhead) ck_assert_int_eq(write(fd, head, nhead), (ssize_t)nhead);
    ck_assert_int_eq(ftruncate(fd, size), 0);
    close(fd);
}

static void sparse_10g(void) {
    make_sparse(P("big.scn"), (off_t)10 << 30, NULL, 0);
    make_sparse(P("big.weft"), (off_t)10 << 30, NULL, 0);
    res r;
    WEFT(&r, NULL, "check", "big.scn");
    EXPECT_RUN(&r, 2, "cannot read 'big.scn': it is larger than 16 MiB (10 GiB), the limit for a scenario");
    WEFT(&r, NULL, "run", "big.scn");
    EXPECT_RUN(&r, 2, "larger than 16 MiB");
    WEFT(&r, NULL, "check", "big.weft");
    EXPECT_RUN(&r, 2, "weft: big.weft: at byte 0: bad magic in file header");
    WEFT(&r, NULL, "stats", "big.weft");
    EXPECT_RUN(&r, 2, "at byte 0: bad magic");
}

static void recording_sparse_after_header(void) {
    make_recording("small.weft");
    size_t n;
    char *data = slurp(P("small.weft"), &n);
    EXPECT(data && n > 64, "no recording");
    make_sparse(P("holey.weft"), (off_t)10 << 30, data, 32);   /* a valid header, then 10 GiB of nothing */
    free(data);
    res r;
    WEFT(&r, NULL, "stats", "holey.weft");
    EXPECT_RUN(&r, 2, "at byte 32");
}

static void big_scenario(void) {
    make_sparse(P("huge.scn"), (off_t)100 << 20, NULL, 0);
    res r;
    WEFT(&r, NULL, "check", "huge.scn");
    EXPECT_RUN(&r, 2, "cannot read 'huge.scn': it is larger than 16 MiB (100 MiB)");
    WEFT(&r, NULL, "run", "huge.scn", "--sweep", "n=1,2");
    EXPECT_RUN(&r, 2, "larger than 16 MiB (100 MiB)");
}

static void directory(void) {
    ck_assert_int_eq(mkdir(P("d.scn"), 0755), 0);
    ck_assert_int_eq(mkdir(P("d.weft"), 0755), 0);
    res r;
    WEFT(&r, NULL, "check", "d.scn");
    EXPECT_RUN(&r, 2, "cannot read 'd.scn': it is a directory");
    WEFT(&r, NULL, "run", "d.scn");
    EXPECT_RUN(&r, 2, "cannot read 'd.scn': it is a directory");
    WEFT(&r, NULL, "stats", "d.weft");
    EXPECT_RUN(&r, 2, "cannot read 'd.weft': it is a directory");
    make_recording("small.weft");
    WEFT(&r, NULL, "export", "small.weft", "-o", "d.weft");
    EXPECT_RUN(&r, 2, "cannot write the Perfetto trace to 'd.weft': it is a directory");
    WEFT(&r, NULL, "run", "small.scn", "-o", "d.weft");
    EXPECT_RUN(&r, 2, "cannot write the recording to 'd.weft': it is a directory");
}

static void paths_with_controls(void) {
    write_file(P("bad\nname.scn"), "actor a { put nothing }\n");
    res r;
    WEFT(&r, NULL, "check", "bad\nname.scn");
    EXPECT_RUN(&r, 2, "bad\\nname.scn:1:15: error: unknown queue 'nothing'");
    EXPECT(!has(&r, "bad\nname"), "a raw newline in a printed path:\n%s", r.out);
    WEFT(&r, NULL, "check", "no\x1b[31mred.scn");
    EXPECT_RUN(&r, 3, "cannot open 'no\\x1b[31mred.scn': No such file or directory");
    EXPECT(!memchr(r.out, 0x1b, r.n), "a raw ESC:\n%s", r.out);
    WEFT(&r, NULL, "run", "no\x1b[31mred.scn", "-o", "x\x9b.weft");
    EXPECT_RUN(&r, 3, "cannot open 'no\\x1b[31mred.scn'");
}

/* A loop whose body has no step can only spin: --timeout, Ctrl-C and the
 * watchdog never get a say (it hangs until SIGKILL). Refused before running. */
static void loop_empty_refused(void) {
    write_file(P("h.scn"), "actor a { loop {} }\n");
    res r;
    WEFT(&r, O(.hang_s = 10), "run", "h.scn", "--timeout", "3");
    EXPECT_RUN(&r, 2, "h.scn:1:");
    WEFT(&r, O(.hang_s = 10), "check", "h.scn");
    EXPECT_RUN(&r, 2, "h.scn:1:");
}

static void uniform_wide_range(void) {
    write_file(P("u.scn"), "actor a { repeat 32 { if uniform -9223372036854775807 9223372036854775807 > 0 "
                           "{ mark \"positive\" } } }\n");
    res r;
    WEFT(&r, NULL, "run", "u.scn", "--seed", "1");
    EXPECT_RUN(&r, 0, "recorded");
}

static void incr_overflow_is_an_error(void) {
    write_file(P("o.scn"), "counter c = 9223372036854775807\nactor a { incr c }\n");
    res r;
    WEFT(&r, NULL, "run", "o.scn");
    EXPECT_RUN(&r, 1, "overflow");
    EXPECT(has(&r, "o.scn:2:"), "the overflow is not placed at line 2:\n%s", r.out);
    EXPECT(!has(&r, "-9223372036854775808"), "the counter wrapped:\n%s", r.out);
}

static void counter_extremes_draw(void) {
#ifdef WEFT_HAVE_GUI
    write_file(P("c.scn"), "counter c\nactor a { incr c by -9223372036854775807 - 1; incr c by 9223372036854775807; "
                           "incr c by 13 }\n");
    res r;
    WEFT(&r, NULL, "run", "c.scn", "--png", "c.png");
    EXPECT_RUN(&r, 0, "wrote the timeline to c.png");
#endif
}

static void output_is_input(void) {
    static const char scn[] = "actor a { compute 100us }\n";
    write_file(P("s.scn"), scn);
    ck_assert_int_eq(link(P("s.scn"), P("hard.scn")), 0);
    ck_assert_int_eq(symlink("s.scn", P("soft.scn")), 0);
    res r;
    const char *outs[] = { "s.scn", "./s.scn", "hard.scn", "soft.scn", "../" };
    char up[512];
    snprintf(up, sizeof up, "../%s/s.scn", strrchr(dir, '/') + 1);
    outs[4] = up;
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) {
        WEFT(&r, NULL, "run", "s.scn", "-o", outs[i]);
        EXPECT_RUN(&r, 2, "is the input 's.scn' itself");
        EXPECT(same_bytes(P("s.scn"), scn, strlen(scn)), "-o %s changed the scenario", outs[i]);
    }
    WEFT(&r, NULL, "run", "s.scn", "--export", "hard.scn");
    EXPECT_RUN(&r, 2, "the Perfetto trace 'hard.scn' is the input 's.scn' itself");
    WEFT(&r, NULL, "run", "s.scn", "-o", "x.weft", "--png", "s.scn");
    EXPECT_RUN(&r, 2, "the PNG 's.scn' is the input");
    EXPECT(same_bytes(P("s.scn"), scn, strlen(scn)), "the scenario changed");
    EXPECT(access(P("x.weft"), F_OK) != 0, "a recording was written although the command was refused");
    WEFT(&r, NULL, "run", "s.scn", "-o", "x.weft", "--export", "./x.weft");
    EXPECT_RUN(&r, 2, "is given as two outputs");

    make_recording("a.weft");
    size_t n;
    char *data = slurp(P("a.weft"), &n);
    WEFT(&r, NULL, "export", "a.weft", "-o", "a.weft");
    EXPECT_RUN(&r, 2, "the Perfetto trace 'a.weft' is the input 'a.weft' itself");
#ifdef WEFT_HAVE_GUI
    WEFT(&r, NULL, "view", "a.weft", "--screenshot", "./a.weft");
    EXPECT_RUN(&r, 2, "the PNG './a.weft' is the input 'a.weft' itself");
#endif
    bool same = same_bytes(P("a.weft"), data, n);
    free(data);
    EXPECT(same, "the recording changed");
}

/* The earlier recording at the output path, byte for byte, after a failed command. */
static void earlier_file_kept(void) {
    make_recording("keep.weft");
    size_t n;
    char *data = slurp(P("keep.weft"), &n);
    EXPECT(data, "no recording");
    write_file(P("p.scn"), "param n = 2\nactor a * n { compute 100us }\n");
    res r;
    WEFT(&r, NULL, "run", "p.scn", "-D", "nosuch=1", "-o", "keep.weft");
    EXPECT_RUN(&r, 2, "no parameter 'nosuch'");
    EXPECT(same_bytes(P("keep.weft"), data, n), "a bad -D changed the earlier recording");
    WEFT(&r, NULL, "run", "p.scn", "-D", "n=-3", "-o", "keep.weft");
    EXPECT_RUN(&r, 2, "negative count");
    WEFT(&r, NULL, "run", "p.scn", "--sweep", "n=1,-2", "-o", "keep.weft");
    EXPECT_RUN(&r, 2, "negative count");
    EXPECT(same_bytes(P("keep.weft"), data, n), "a bad sweep value changed the earlier recording");
    /* a full disk (RLIMIT_FSIZE): the run fails, the message names the output, not the temporary file */
    write_file(P("marks.scn"), "actor a * 4 { repeat 3000 { mark \"m\" } }\n");
    WEFT(&r, O(.fsize = 64 << 10), "run", "marks.scn", "-o", "keep.weft");
    EXPECT_RUN(&r, 3, "cannot write 'keep.weft'");
    EXPECT(!has(&r, ".tmp-"), "the message names the temporary file:\n%s", r.out);
    EXPECT(same_bytes(P("keep.weft"), data, n), "a full disk changed the earlier recording");
    /* the export of a good recording over an earlier trace, cut by the full disk */
    write_file(P("keep.pftrace"), "earlier trace");
    WEFT(&r, NULL, "run", "marks.scn", "-o", "m.weft", "--quiet");
    EXPECT_RUN(&r, 0, NULL);
    WEFT(&r, O(.fsize = 4 << 10), "export", "m.weft", "-o", "keep.pftrace");
    EXPECT_RUN(&r, 3, "keep.pftrace");
    EXPECT(same_bytes(P("keep.pftrace"), "earlier trace", 13), "a failed export changed the earlier trace");
    /* the same with a lock: the disk fills while the model is still being built and its
     * ownerships are written into the trace as they close (the owner sink fails mid-build) */
    write_file(P("locks.scn"), "lock m\nactor a * 4 { repeat 20000 { lock m; unlock m } }\n");
    WEFT(&r, NULL, "run", "locks.scn", "-o", "l.weft", "--quiet");
    EXPECT_RUN(&r, 0, NULL);
    WEFT(&r, O(.fsize = 64 << 10), "export", "l.weft", "-o", "keep.pftrace");
    EXPECT_RUN(&r, 3, "keep.pftrace: cannot write the Perfetto trace");
    EXPECT(!has(&r, ".tmp-"), "the message names the temporary file:\n%s", r.out);
    EXPECT(same_bytes(P("keep.pftrace"), "earlier trace", 13), "a failed export changed the earlier trace");
    if (!UNDER_SANITIZER) {
        /* out of memory: 4000 recorder buffers and thread stacks do not fit in the address-space
         * limit (which runs out first is not the point: the run fails cleanly either way) */
        write_file(P("many.scn"), "actor a * 4000 { compute 1us }\n");
        WEFT(&r, NULL, "run", "many.scn", "-o", "keep.weft");
        EXPECT(r.status == 2 || r.status == 3, "exit status %d, wanted 2 or 3:\n%s", r.status, r.out);
        EXPECT(has(&r, "weft: many.scn: cannot "), "no message:\n%s", r.out);
        EXPECT(same_bytes(P("keep.weft"), data, n), "running out of memory changed the earlier recording");
    }
    free(data);
}

static void check_interrupted(const char *path, int sig) {
    trc_recording *rec;
    diag d;
    EXPECT(trc_recording_load(&rec, path, &d) == 0, "the recording does not load: %s", d.msg);
    bool ok = !rec->truncated && rec->nruns == 1 && rec->runs[0].end_reason == TRC_END_INTERRUPTED &&
              rec->runs[0].nevents > 0;
    trc_recording_free(rec);
    EXPECT(ok, "after %s: not one finished run ended as interrupted", strsignal(sig));
}

static void signals_end_the_run(void) {
    write_file(P("long.scn"), "actor w * 2 { repeat 2000 { sleep 5ms } }\nexpect all_done\n");
    int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < 3; i++) {
        make_recording("long.weft");   /* an earlier recording: replaced by the interrupted one */
        res r;
        WEFT(&r, O(.signal = sigs[i], .signal_after = "running "), "run", "long.scn", "-o", "long.weft");
        EXPECT_RUN(&r, 128 + sigs[i], "the run was ended early and its expectations were not checked");
        EXPECT(r.sig == sigs[i], "weft did not end with %s", strsignal(sigs[i]));
        EXPECT(!has(&r, "expect all_done"), "an expectation was checked:\n%s", r.out);
        EXPECT(has(&r, "(interrupted)"), "the stats do not say interrupted:\n%s", r.out);
        check_interrupted(P("long.weft"), sigs[i]);
        if (failure[0]) return;
    }
    /* what reads a recording takes the interrupted one */
    res r;
    WEFT(&r, NULL, "stats", "long.weft", "--json");
    EXPECT_RUN(&r, 0, "\"end\":\"interrupted\"");
    WEFT(&r, NULL, "export", "long.weft", "-o", "long.pftrace");
    EXPECT_RUN(&r, 0, "wrote long.pftrace");
#ifdef WEFT_HAVE_GUI
    WEFT(&r, NULL, "view", "long.weft", "--screenshot", "long.png");
    EXPECT_RUN(&r, 0, "wrote the timeline to long.png");
#endif
}

static void signal_ends_a_sweep(void) {
    write_file(P("sw.scn"), "param n = 1\nactor w * n { repeat 400 { sleep 5ms } }\nexpect all_done\n");
    res r;
    WEFT(&r, O(.signal = SIGINT, .signal_after = "run 2 of 3"), "run", "sw.scn", "--sweep", "n=1,2,3", "-o",
         "sw.weft", "--timeout", "1");
    EXPECT(r.sig == SIGINT, "weft did not end with SIGINT:\n%s", r.out);
    EXPECT(has(&r, "2 runs recorded in sw.weft"), "not 2 runs:\n%s", r.out);
    EXPECT(has(&r, "weft: interrupted by SIGINT during run 2 of 3"), "no line saying so:\n%s", r.out);
    trc_recording *rec;
    diag d;
    EXPECT(trc_recording_load(&rec, P("sw.weft"), &d) == 0, "%s", d.msg);
    bool ok = rec->nruns == 2 && rec->runs[0].end_reason == TRC_END_TIMEOUT &&
              rec->runs[1].end_reason == TRC_END_INTERRUPTED;
    trc_recording_free(rec);
    EXPECT(ok, "not a timed-out run then an interrupted one");
}

static void signal_outside_a_run(void) {
    /* stdout closed while weft writes it (`weft run | head -0`): SIGPIPE; nothing half-written, nothing left */
    make_recording("keep.weft");
    size_t n;
    char *data = slurp(P("keep.weft"), &n);
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 1);
        if (chdir(dir)) _exit(126);
        signal(SIGPIPE, SIG_DFL);
        execl(WEFT_BINARY, "weft", "run", "small.scn", "-o", "keep.weft", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    close(pfd[0]);   /* nobody reads: the first write raises SIGPIPE */
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    bool same = same_bytes(P("keep.weft"), data, n);
    free(data);
    EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "status %#x", st);
    EXPECT(same, "the earlier recording changed");
}

/* A recording whose every name carries terminal controls, invalid UTF-8 and Chinese. */
static void hostile_names_are_escaped(void) {
    run_builder b;
    rb_init(&b, "title\x1b]0;pwned\x07 标题 \xe2\x80\xae rtl \xc2\x9b c1 \xff\xfe bad\nfake line");
    uint32_t u = rb_unit(&b, "unit\x1b[2J\xe4\xb8\xad");
    uint32_t q = rb_obj(&b, TRC_OBJ_QUEUE, "queue\r\x7f", 2);
    rb_ev(&b, 0, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1000, u, TRC_EV_PUT, q, 0, 1, 1);
    rb_ev(&b, 2000, u, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
    trc_recording *rec = rb_finish(&b, 3000);
    rec->runs[0].report = "report \x1b[31mred\x1b[0m 报告\n";
    rec->runs[0].end_reason = TRC_END_ERROR;
    diag d;
    ck_assert_int_eq(trc_recording_save(rec, P("evil\x1b[1m.weft"), &d), 0);
    trc_recording_free(rec);
    const char *cmds[][3] = { { "stats", "evil\x1b[1m.weft", NULL }, { "stats", "evil\x1b[1m.weft", "--json" },
                              { "check", "evil\x1b[1m.weft", NULL } };
    for (size_t i = 0; i < 3; i++) {
        res r;
        if (cmds[i][2]) WEFT(&r, NULL, cmds[i][0], cmds[i][1], cmds[i][2]);
        else WEFT(&r, NULL, cmds[i][0], cmds[i][1]);
        EXPECT_RUN(&r, 0, NULL);
        for (size_t k = 0; k < r.n; k++) {
            unsigned char c = (unsigned char)r.out[k];
            EXPECT(c >= 0x20 || c == '\n' || c == '\t', "weft %s %s: a raw control byte %#x at %zu:\n%s", cmds[i][0],
                   cmds[i][2] ? cmds[i][2] : "", c, k, r.out);
            EXPECT(c != 0x7f, "a raw DEL");
        }
        EXPECT(!strstr(r.out, "\xc2\x9b") && !strstr(r.out, "\xe2\x80\xae") && !strstr(r.out, "\xff"),
               "a raw C1, bidi override or invalid byte:\n%s", r.out);
        EXPECT(!strstr(r.out, "\nfake line"), "a name broke the line:\n%s", r.out);
        if (!strcmp(cmds[i][0], "stats")) {
            EXPECT(has(&r, "标题") && (has(&r, "unit\\x1b[2J中") || has(&r, "unit\\u001b[2J中")), "Chinese not kept:\n%s",
                   r.out);
            EXPECT(cmds[i][2] || has(&r, "report \\x1b[31mred\\x1b[0m 报告\n"), "the report:\n%s", r.out);
            EXPECT(has(&r, cmds[i][2] ? "\\u001b]0;pwned" : "\\x1b]0;pwned"), "the escape is not shown:\n%s", r.out);
            EXPECT(has(&r, cmds[i][2] ? "\\u009b c1 \\ufffd\\ufffd bad" : "\\u009b c1 \\xff\\xfe bad"),
                   "C1 or invalid UTF-8 not shown:\n%s", r.out);
        } else {
            EXPECT(has(&r, "evil\\x1b[1m.weft: ok: 1 run(s)"), "%s", r.out);
        }
    }
}

static void hostile_scenario_text_is_escaped(void) {
    /* the parser refuses control characters in strings; its message shows none */
    write_file(P("esc.scn"), "scenario \"t\x1b]2;x\x07\"\nactor a { compute 100us }\n");
    res r;
    WEFT(&r, NULL, "check", "esc.scn");
    EXPECT_RUN(&r, 2, "esc.scn:1:");
    EXPECT(!memchr(r.out, 0x1b, r.n) && !memchr(r.out, 0x07, r.n), "a raw control character:\n%s", r.out);
    /* a title with a bidirectional override and a C1 control (both valid UTF-8) */
    write_file(P("t.scn"), "scenario \"t \xe2\x80\xae 标题 \xc2\x9b\"\nactor a { compute 100us }\n");
    WEFT(&r, NULL, "check", "t.scn");
    EXPECT_RUN(&r, 0, "t.scn: ok: \"t \\u202e 标题 \\u009b\"");
    WEFT(&r, NULL, "run", "t.scn", "-o", "t.weft");
    EXPECT_RUN(&r, 0, "running t \\u202e 标题 \\u009b on threads");
    EXPECT(!strstr(r.out, "\xe2\x80\xae") && !strstr(r.out, "\xc2\x9b"), "a raw override or C1:\n%s", r.out);
    /* an error after wide characters and an escaped one: the caret stays under the culprit */
    write_file(P("e.scn"), "actor b { mark \"中文\xe2\x80\xae\"; \x01 }\n");
    WEFT(&r, NULL, "check", "e.scn");
    EXPECT_RUN(&r, 2, "e.scn:1:23: error:");
    EXPECT(!strstr(r.out, "\xe2\x80\xae") && !memchr(r.out, 0x01, r.n), "a raw override or control:\n%s", r.out);
    /* the caret's column is the culprit's column in the line as shown (whatever shows the override) */
    const char *shown = strstr(r.out, "\n  actor b {"), *culprit = shown ? strstr(shown, "\"; ") : NULL;
    const char *caret = shown ? strstr(shown + 1, "\n") : NULL;
    EXPECT(culprit && caret, "no line and caret:\n%s", r.out);
    int want = 0;
    for (const char *q = shown + 1; q < culprit + 3;) {
        uint32_t cp;
        int n = utf8_decode(q, (size_t)(culprit + 3 - q), &cp);
        want += n ? uc_width(cp) : 1;
        q += n ? n : 1;
    }
    EXPECT((int)strspn(caret + 1, " ") == want && caret[1 + want] == '^', "the caret is not under column %d:\n%s", want,
           r.out);
    /* weft list: file names and titles */
    ck_assert_int_eq(mkdir(P("lib"), 0755), 0);
    write_file(P("lib/a\x1b[5mblink.scn"), "scenario \"blink \xe2\x80\xae 闪\"\nactor a { compute 1us }\n");
    write_file(P("lib/producer_consumer.scn"), "actor a { compute 1us }\n");
    char env[600];
    snprintf(env, sizeof env, "WEFT_SCENARIOS=%s", P("lib"));
    WEFT(&r, O(.env = env), "list");
    EXPECT_RUN(&r, 0, "a\\x1b[5mblink.scn      blink \\u202e 闪\nproducer_consumer.scn  producer_consumer.scn\n");
    EXPECT(!memchr(r.out, 0x1b, r.n), "a raw ESC:\n%s", r.out);
}

/* ---- the table ----------------------------------------------------------- */

static const struct { const char *name; void (*fn)(void); } cases[] = {
#define C(f) { #f, f }
    C(dev_zero_as_scenario), C(dev_zero_as_recording), C(fifo_scenario), C(fifo_recording), C(stdin_inputs),
    C(sparse_10g), C(recording_sparse_after_header), C(big_scenario), C(directory), C(paths_with_controls),
    C(loop_empty_refused), C(uniform_wide_range), C(incr_overflow_is_an_error),
    C(counter_extremes_draw), C(output_is_input), C(earlier_file_kept), C(signals_end_the_run),
    C(signal_ends_a_sweep), C(signal_outside_a_run), C(hostile_names_are_escaped),
    C(hostile_scenario_text_is_escaped),
#undef C
};

static const char *pending_owner(const char *name) {
    const char *strict = getenv("WEFT_HOSTILE_STRICT");
    if (strict && *strict && strcmp(strict, "0")) return NULL;
    for (size_t i = 0; i < sizeof pending / sizeof *pending; i++)
        if (pending[i].name && !strcmp(pending[i].name, name)) return pending[i].owner;
    return NULL;
}

START_TEST(hostile_case) {
    const char *name = cases[_i].name;
    snprintf(dir, sizeof dir, "/tmp/weft-hostile-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* the memory of a trivial command, in this build (sanitizers cost their own) */
    write_file(P("ok.scn"), "actor a { compute 1us }\n");
    res r;
    WEFT(&r, NULL, "check", "ok.scn");
    ck_assert_msg(r.status == 0, "%s", r.out);
    baseline_rss = r.maxrss;
    unlink(P("ok.scn"));
    failure[0] = 0;
    cases[_i].fn();
    const char *left = temp_left();
    if (!failure[0] && left) snprintf(failure, sizeof failure, "a temporary file was left behind: %s", left);
    remove_tree(dir);
    const char *owner = pending_owner(name);
    if (owner) {
        if (failure[0]) fprintf(stderr, "pending %s (%s): fails as expected: %s\n", name, owner, failure);
        else fprintf(stderr, "pending %s (%s): now passes: remove it from the pending list\n", name, owner);
        return;
    }
    ck_assert_msg(!failure[0], "%s: %s", name, failure);
}
END_TEST

int main(void) {
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 180);
    tcase_add_loop_test(tc, hostile_case, 0, (int)(sizeof cases / sizeof *cases));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
