/* The weft command as a user meets it: exit codes, error messages with
 * file:line:col and a caret, deadlocks that end in seconds with the
 * recording kept, Ctrl-C, and the subcommands on a real recording. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct out { int status; char text[16384]; } out;

static void weft(out *o, const char *args) { tu_weft_shell(o->text, sizeof o->text, &o->status, args); }

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(scenario_error_has_place_caret_and_hint) {
    const char *scn = tmp_path("typo.scn");
    write_file(scn, "queue jobs capacity=2\nactor a {\n    put jbos\n}\n");
    out o;
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s", scn, tmp_path("typo.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    char want[1024];
    snprintf(want, sizeof want, "%s:3:9: error: unknown queue 'jbos'\n      put jbos\n          ^\nhint: did you mean 'jobs'?\n", scn);
    ck_assert_msg(strstr(o.text, want), "got:\n%s", o.text);
    ck_assert_int_ne(access(tmp_path("typo.weft"), F_OK), 0);   /* nothing ran, nothing written */
    snprintf(args, sizeof args, "check %s", scn);
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert(strstr(o.text, ":3:9: error: unknown queue 'jbos'") != NULL);
}
END_TEST

START_TEST(bad_inputs_exit_nonzero_with_a_message) {
    out o;
    weft(&o, "run /nonexistent/x.scn");
    ck_assert_int_eq(o.status, 3);
    ck_assert_msg(strstr(o.text, "cannot open '/nonexistent/x.scn'"), "%s", o.text);
    weft(&o, "run scenarios/lock_contention.scn -D workers=1000000");
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "lock_contention.scn:21:16: error: actor 'worker' * 1000000 makes more than 4096 units"),
                  "%s", o.text);
    weft(&o, "run scenarios/lock_contention.scn -D wrokers=2");
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "no parameter 'wrokers'") && strstr(o.text, "did you mean 'workers'?"), "%s", o.text);
    weft(&o, "frobnicate");
    ck_assert_int_eq(o.status, 2);
    ck_assert(strstr(o.text, "'frobnicate' is not a weft command") != NULL);
    const char *g = tmp_path("garbage.weft");
    write_file(g, "this is not a recording at all\n");
    char args[512];
    snprintf(args, sizeof args, "stats %s", g);
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "at byte 0: bad magic"), "%s", o.text);
}
END_TEST

START_TEST(run_stats_check_export_on_a_real_recording) {
    const char *rec = tmp_path("pc.weft"), *pf = tmp_path("pc.pftrace");
    char args[1024];
    out o;
    snprintf(args, sizeof args, "run scenarios/producer_consumer.scn -o %s --export %s", rec, pf);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    ck_assert(strstr(o.text, "all 2 expectation(s) hold") != NULL);
    ck_assert(strstr(o.text, "jobs        queue  puts 60, gets 60, max depth 4 of 4") != NULL);
    ck_assert(access(pf, R_OK) == 0);
    snprintf(args, sizeof args, "check %s", rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert_msg(strstr(o.text, ": ok: 1 run(s)"), "%s", o.text);
    snprintf(args, sizeof args, "stats %s --json", rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert(strstr(o.text, "\"scenario\":\"Producer/consumer over a bounded queue\"") != NULL);
    ck_assert(strstr(o.text, "\"puts\":60,\"gets\":60") != NULL);
    /* a recording cut short: check says where, stats still reads the prefix */
    char *data;
    size_t len;
    diag d;
    ck_assert_int_eq(file_read_all(rec, &data, &len, &d), 0);
    const char *cut = tmp_path("cut.weft");
    FILE *f = fopen(cut, "wb");
    fwrite(data, 1, len * 2 / 3, f);
    fclose(f);
    free(data);
    snprintf(args, sizeof args, "check %s", cut);
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "at byte "), "%s", o.text);
    snprintf(args, sizeof args, "stats %s", cut);
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert_msg(strstr(o.text, "cut short at byte") && strstr(o.text, "producer.0"), "%s", o.text);
}
END_TEST

START_TEST(deadlock_ends_quickly_and_keeps_the_recording) {
    const char *rec = tmp_path("dl.weft");
    char args[1024];
    out o;
    snprintf(args, sizeof args, "run scenarios/deadlock_lock_ordering.scn -o %s", rec);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "expected deadlock is a success: %s", o.text);
    ck_assert(strstr(o.text, "alice.0 waits to acquire lock 'b'") != NULL);
    /* the same without `expect deadlock`: exit 1, recording kept */
    char *text;
    diag d;
    ck_assert_int_eq(file_read_all(WEFT_SOURCE_DIR "/scenarios/deadlock_lock_ordering.scn", &text, NULL, &d), 0);
    char *x = strstr(text, "expect deadlock");
    ck_assert_ptr_nonnull(x);
    *x = 0;
    const char *scn = tmp_path("dl_noexpect.scn");
    write_file(scn, text);
    free(text);
    snprintf(args, sizeof args, "run %s -o %s", scn, tmp_path("dl2.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.text, "the run ended with deadlock (the recording is kept in"), "%s", o.text);
    snprintf(args, sizeof args, "stats %s", tmp_path("dl2.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert(strstr(o.text, "(deadlock)") != NULL);
}
END_TEST

START_TEST(ctrl_c_ends_the_run_and_keeps_the_recording) {
    const char *scn = tmp_path("long.scn"), *rec = tmp_path("long.weft");
    write_file(scn, "actor w * 2 { repeat 1000 { sleep 10ms } }\n");
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 1);
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        execl(WEFT_BINARY, "weft", "run", scn, "-o", rec, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    /* once weft says "running", a signal ends the run (before, it ends weft); then some events */
    char line[256] = "";
    size_t n = 0;
    while (n < sizeof line - 1 && !strchr(line, '\n') && read(pfd[0], line + n, 1) == 1) line[++n] = 0;
    ck_assert_msg(!strncmp(line, "running ", 8), "%s", line);
    /* and once its threads exist (main, the recorder's drain, 2 units), half a second of run */
    char task[64];
    snprintf(task, sizeof task, "/proc/%d/task", (int)pid);
    struct timespec tick = { 0, 10000000 };
    for (int tries = 0; tries < 3000; tries++) {
        int threads = 0;
        DIR *dp = opendir(task);
        for (struct dirent *de; dp && (de = readdir(dp));) threads += de->d_name[0] != '.';
        if (dp) closedir(dp);
        if (threads >= 4) break;
        nanosleep(&tick, NULL);
    }
    struct timespec ts = { 0, 500000000 };
    nanosleep(&ts, NULL);
    kill(pid, SIGINT);
    int st;
    uint64_t t0 = clk_mono_ns();
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    close(pfd[0]);
    ck_assert_uint_lt(clk_mono_ns() - t0, 30000000000ull);   /* a hang guard (TSan is slow), not a figure */
    /* weft ends itself with the signal once the recording is kept, so a shell sees Ctrl-C */
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "status %#x", st);
    trc_recording *r;
    diag d;
    ck_assert_int_eq(trc_recording_load(&r, rec, &d), 0);
    ck_assert(!r->truncated);   /* finished: RUN_END and trailer */
    ck_assert_uint_eq(r->runs[0].end_reason, TRC_END_INTERRUPTED);
    ck_assert_msg(strstr(r->runs[0].report, "interrupted"), "%s", r->runs[0].report);
    ck_assert_uint_gt(r->runs[0].nevents, 20);   /* ~50 sleeps per unit were recorded */
    trc_recording_free(r);
}
END_TEST

START_TEST(list_shows_bundled_scenarios) {
    out o;
    weft(&o, "list");
    ck_assert_int_eq(o.status, 0);
    ck_assert(strstr(o.text, "producer_consumer.scn") && strstr(o.text, "Producer/consumer over a bounded queue"));
    ck_assert(strstr(o.text, "lock_contention.scn") != NULL);
    ck_assert(strstr(o.text, "does not parse") == NULL);
}
END_TEST

START_TEST(sweep_records_one_run_per_value) {
    const char *rec = tmp_path("sweep.weft");
    char args[1024];
    out o;
    snprintf(args, sizeof args, "run scenarios/lock_contention.scn --sweep workers=1,2,3 -D rounds=2 -o %s", rec);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    ck_assert(strstr(o.text, "run 3 of 3: workers=3") != NULL);
    trc_recording *r;
    diag d;
    ck_assert_int_eq(trc_recording_load(&r, rec, &d), 0);
    ck_assert_uint_eq(r->nruns, 3);
    for (uint32_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(r->runs[i].nunits, i + 1);
        ck_assert_str_eq(r->runs[i].params[0].name, "workers");
        ck_assert_int_eq(r->runs[i].params[0].value, (int64_t)i + 1);
        ck_assert_uint_eq(r->runs[i].end_reason, TRC_END_OK);
    }
    trc_recording_free(r);
    snprintf(args, sizeof args, "run scenarios/lock_contention.scn --sweep workers=1,-2 -o %s", tmp_path("bad.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.text, "negative count"), "%s", o.text);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, scenario_error_has_place_caret_and_hint);
    tcase_add_test(tc, bad_inputs_exit_nonzero_with_a_message);
    tcase_add_test(tc, run_stats_check_export_on_a_real_recording);
    tcase_add_test(tc, deadlock_ends_quickly_and_keeps_the_recording);
    tcase_add_test(tc, ctrl_c_ends_the_run_and_keeps_the_recording);
    tcase_add_test(tc, list_shows_bundled_scenarios);
    tcase_add_test(tc, sweep_records_one_run_per_value);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
