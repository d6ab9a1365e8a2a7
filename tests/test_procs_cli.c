/* The processes backend from the weft command: nothing outlives a run. After
 * a normal end, Ctrl-C, the watchdog ending a deadlock, a child's crash and
 * weft itself killed with SIGKILL, no unit's process is left (listed by name
 * in /proc) and /dev/shm is as it was. Also several backends in one command
 * (runs side by side, makespan[backend=B]) and the checks of `weft check`. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct out { int status; char text[32768]; } out;

static void weft(out *o, const char *args) { tu_weft_shell(o->text, sizeof o->text, &o->status, args); }

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Processes whose name (comm) starts with prefix, anywhere on the machine. */
static int procs_named(const char *prefix) {
    DIR *d = opendir("/proc");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(comm, sizeof comm, f) && !strncmp(comm, prefix, strlen(prefix))) {
            /* a zombie is gone already, as far as a user can tell: it holds nothing */
            char st[300], line[256];
            snprintf(st, sizeof st, "/proc/%s/status", e->d_name);
            FILE *g = fopen(st, "r");
            bool zombie = false;
            while (g && fgets(line, sizeof line, g))
                if (!strncmp(line, "State:", 6)) zombie = strchr(line, 'Z') != NULL;
            if (g) fclose(g);
            if (!zombie) n++;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

/* The names in /dev/shm, sorted and joined: to compare before and after. */
static void dev_shm(char *dst, size_t cap) {
    dst[0] = 0;
    DIR *d = opendir("/dev/shm");
    if (!d) return;
    char names[256][128];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.') snprintf(names[n++], sizeof names[0], "%.120s", e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char t[128];
                memcpy(t, names[i], sizeof t);
                memcpy(names[i], names[j], sizeof t);
                memcpy(names[j], t, sizeof t);
            }
    for (int i = 0; i < n; i++) {
        size_t l = strlen(dst);
        snprintf(dst + l, cap - l, "%s\n", names[i]);
    }
}

/* Waits (up to ms) until no process named prefix is left. */
static int gone_within(const char *prefix, int ms) {
    for (int waited = 0; waited < ms; waited += 20) {
        if (!procs_named(prefix)) return 0;
        sleep_ms(20);
    }
    return procs_named(prefix);
}

/* Starts weft in a process group of its own (as a shell job), stdout and stderr to a file. */
static pid_t start_weft(const char *scn, const char *rec, const char *log) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(WEFT_BINARY, "weft", "run", scn, "-o", rec, "--quiet", (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

static int wait_status(pid_t pid) {
    int st = 0;
    for (int waited = 0; waited < 30000; waited += 10) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    ck_abort_msg("weft did not end");
    return -1;
}

static const char long_scn[] = "backend processes\n"
                               "actor %s * 3 { sleep 30s }\n"
                               "actor %sd daemon { sleep 30s }\n";

/* 1. a normal end */
START_TEST(cleanup_after_a_normal_end) {
    char shm0[8192], shm1[8192];
    dev_shm(shm0, sizeof shm0);
    const char *scn = tmp_path("clean1.scn");
    write_file(scn, "backend processes\nshm s size=64KiB\npipe p\nqueue q capacity=4\n"
                    "actor wcla * 3 { put q; get q; write s offset=0 len=64; send p; recv p }\n"
                    "actor wclad daemon { loop { sleep 1ms } }\nexpect all_done\n");
    out o;
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --quiet", scn, tmp_path("clean1.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%d: %s", o.status, o.text);
    ck_assert_int_eq(procs_named("wcla"), 0);
    dev_shm(shm1, sizeof shm1);
    ck_assert_str_eq(shm0, shm1);
}
END_TEST

/* 2. Ctrl-C: the terminal's SIGINT goes to weft's whole process group */
START_TEST(cleanup_after_ctrl_c) {
    char shm0[8192], shm1[8192];
    dev_shm(shm0, sizeof shm0);
    const char *scn = tmp_path("clean2.scn");
    char text[512];
    snprintf(text, sizeof text, long_scn, "wclb", "wclb");
    write_file(scn, text);
    const char *rec = tmp_path("clean2.weft");
    pid_t pid = start_weft(scn, rec, tmp_path("clean2.log"));
    for (int w = 0; w < 20000 && procs_named("wclb") < 4; w += 10) sleep_ms(10);
    ck_assert_int_eq(procs_named("wclb"), 4);
    kill(-pid, SIGINT);
    int st = wait_status(pid);
    ck_assert_int_eq(st, 128 + SIGINT);   /* weft ends with the signal; the recording is kept */
    ck_assert_int_eq(gone_within("wclb", 5000), 0);
    dev_shm(shm1, sizeof shm1);
    ck_assert_str_eq(shm0, shm1);
    trc_recording *r;
    diag d;
    ck_assert_int_eq(trc_recording_load(&r, rec, &d), 0);
    ck_assert_uint_eq(r->runs[0].end_reason, TRC_END_INTERRUPTED);
    ck_assert(strstr(r->runs[0].report, "interrupted"));
    trc_recording_free(r);
}
END_TEST

/* 3. the watchdog ends a deadlock */
START_TEST(cleanup_after_a_deadlock) {
    const char *scn = tmp_path("clean3.scn");
    write_file(scn, "backend processes\nlock a\nlock b\nbarrier both 2\n"
                    "actor wclcx { lock a; wait both; lock b }\nactor wclcy { lock b; wait both; lock a }\n"
                    "actor wclcz { sleep 30s }\n");
    out o;
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --quiet", scn, tmp_path("clean3.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.text, "deadlock: a cycle of 2"), "%s", o.text);
    ck_assert_int_eq(procs_named("wclc"), 0);
}
END_TEST

/* 4. a child crashes */
START_TEST(cleanup_after_a_crash) {
    const char *scn = tmp_path("clean4.scn");
    write_file(scn, "backend processes\nlock m\nevent held\n"
                    "actor wcldc { lock m; set held; sleep 2ms; crash }\n"
                    "actor wcldw * 2 { wait held; lock m timeout=100ms; if ok { unlock m } }\n");
    out o;
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --quiet", scn, tmp_path("clean4.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(procs_named("wcld"), 0);
    snprintf(args, sizeof args, "stats %s", tmp_path("clean4.weft"));
    weft(&o, args);
    ck_assert_msg(strstr(o.text, "killed by SIGSEGV"), "%s", o.text);
}
END_TEST

/* 5. weft itself killed with SIGKILL: its children die with it (the parent-death signal) */
START_TEST(cleanup_after_weft_is_killed) {
    char shm0[8192], shm1[8192];
    dev_shm(shm0, sizeof shm0);
    const char *scn = tmp_path("clean5.scn");
    char text[512];
    snprintf(text, sizeof text, long_scn, "wcle", "wcle");
    write_file(scn, text);
    pid_t pid = start_weft(scn, tmp_path("clean5.weft"), tmp_path("clean5.log"));
    for (int w = 0; w < 20000 && procs_named("wcle") < 4; w += 10) sleep_ms(10);
    ck_assert_int_eq(procs_named("wcle"), 4);
    kill(pid, SIGKILL);
    ck_assert_int_eq(wait_status(pid), 128 + SIGKILL);
    ck_assert_int_eq(gone_within("wcle", 5000), 0);
    dev_shm(shm1, sizeof shm1);
    ck_assert_str_eq(shm0, shm1);
}
END_TEST

/* ---- several backends in one command ------------------------------------------------- */

START_TEST(two_backends_side_by_side) {
    const char *scn = tmp_path("both.scn");
    write_file(scn, "counter c\nlock m\nactor w * 2 { repeat 20 { incr c locked m } }\n"
                    "expect counter c == 40\n"
                    "expect makespan[backend=processes] < makespan[backend=threads] * 1000\n");
    out o;
    char args[1024];
    const char *rec = tmp_path("both.weft");
    snprintf(args, sizeof args, "run %s -o %s --backend threads,processes", scn, rec);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%d: %s", o.status, o.text);
    ck_assert_msg(strstr(o.text, "run 1 of 2: threads") && strstr(o.text, "run 2 of 2: processes") &&
                  strstr(o.text, "2 runs side by side") && strstr(o.text, "2 runs recorded"), "%s", o.text);
    trc_recording *r;
    diag d;
    ck_assert_int_eq(trc_recording_load(&r, rec, &d), 0);
    ck_assert_uint_eq(r->nruns, 2);
    ck_assert_str_eq(r->runs[0].backend, "threads");
    ck_assert_str_eq(r->runs[1].backend, "processes");
    ck_assert_uint_eq(r->runs[0].units[0].kind, TRC_UNIT_THREAD);
    ck_assert_uint_eq(r->runs[1].units[0].kind, TRC_UNIT_PROCESS);
    trc_recording_free(r);
    /* a relation that cannot hold fails, naming both runs' makespans */
    write_file(scn, "actor w { sleep 1ms }\nbackends threads, processes\n"
                    "expect makespan[backend=processes] * 1000 < makespan[backend=threads]\n");
    weft(&o, args);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.text, "both.scn:3:1: expect makespan[backend=processes] * 1000 < makespan[backend=threads] does not "
                                  "hold: the makespans were threads: ") &&
                  strstr(o.text, ", processes: "), "%s", o.text);
    /* the scenario's own `backends` are the runs when the command names none */
    snprintf(args, sizeof args, "run %s -o %s --quiet", scn, rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 1);
    ck_assert_int_eq(trc_recording_load(&r, rec, &d), 0);
    ck_assert_uint_eq(r->nruns, 2);
    trc_recording_free(r);
    /* one backend named that the relation needs: refused before anything runs (fix6: it said "no run on
     * backend threads was recorded" once the run was over), at the selector, saying what the runs are */
    snprintf(args, sizeof args, "run %s -o %s --backend processes --quiet", scn, rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "both.scn:3:45: error: makespan[backend=threads] names no run: it runs once, on processes, "
                                 "and it sweeps no parameter"), "%s", o.text);
    snprintf(args, sizeof args, "run %s -o %s --backend threads,fibers", scn, rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "unknown backend 'fibers'"), "%s", o.text);
}
END_TEST

START_TEST(backend_errors_at_check_time) {
    const char *scn = tmp_path("nomeaning.scn");
    write_file(scn, "backends threads, processes\nactor a { sleep 1ms }\nactor b {\n    kill a\n}\n");
    out o;
    char args[1024];
    snprintf(args, sizeof args, "check %s", scn);
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "nomeaning.scn:4:5: error: kill has no meaning on backend threads") &&
                  strstr(o.text, "hint: Python cannot kill a thread"), "%s", o.text);
    /* and run refuses it before anything runs */
    snprintf(args, sizeof args, "run %s -o %s", scn, tmp_path("nomeaning.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_int_ne(access(tmp_path("nomeaning.weft"), F_OK), 0);
    snprintf(args, sizeof args, "run %s -o %s --backend processes --quiet", scn, tmp_path("nomeaning.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
}
END_TEST

int main(void) {
    Suite *s = suite_create("procs_cli");
    TCase *tc = tcase_create("procs_cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, cleanup_after_a_normal_end);
    tcase_add_test(tc, cleanup_after_ctrl_c);
    tcase_add_test(tc, cleanup_after_a_deadlock);
    tcase_add_test(tc, cleanup_after_a_crash);
    tcase_add_test(tc, cleanup_after_weft_is_killed);
    tcase_add_test(tc, two_backends_side_by_side);
    tcase_add_test(tc, backend_errors_at_check_time);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
