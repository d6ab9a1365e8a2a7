/* The recording as a user meets it through the weft command: complete by
 * default (units under pressure wait, every event arrives, the wait is shown),
 * drop mode's losses printed per unit and failing the run unless accepted
 * (command line or scenario), the event limit stopping a run that records
 * without end, a write error stopping the run at once with what was written
 * kept, inputs that are not recordings refused under a memory limit, and the
 * viewer loaded only when asked for. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct out { int status; char text[32768]; } out;

/* Runs `prefix weft args` through the shell, capturing stdout+stderr. */
static void weft_env(out *o, const char *prefix, const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s %s 2>&1", WEFT_SOURCE_DIR, prefix, WEFT_BINARY, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(o->text, 1, sizeof o->text - 1, p);
    o->text[n] = 0;
    int st = pclose(p);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void weft(out *o, const char *args) { weft_env(o, "", args); }

static const char *scenario(const char *name, const char *text) {
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define MARKS "scenario \"marks\"\nactor worker * 4 { repeat 50000 { mark \"m\" } }\n"

START_TEST(complete_by_default) {
    /* 200k marks through 64-event rings: every one arrives, the waits are shown */
    const char *scn = scenario("marks.scn", MARKS);
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --ring 64", scn, tmp_path("marks.weft"));
    out o;
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    ck_assert_msg(strstr(o.text, "for the recorder"), "%s", o.text);
    ck_assert_msg(strstr(o.text, "rec.flush"), "%s", o.text);
    ck_assert_msg(!strstr(o.text, "lost"), "%s", o.text);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, tmp_path("marks.weft"), 0, &d), 0);
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert_uint_eq(m.nmarks, 200000);
    ck_assert_uint_eq(m.lost, 0);
    uint64_t flush = 0;
    for (uint32_t u = 0; u < 4; u++) {
        ck_assert(m.units[u].exited);
        flush += m.units[u].flushes;
    }
    ck_assert_uint_gt(flush, 0);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

static char *slurp_file(const char *path, size_t *n) {
    char *p;
    diag d;
    diag_clear(&d);
    ck_assert_int_eq(file_read_all(path, &p, n, &d), 0);
    return p;
}

START_TEST(export_replaces_its_output) {
    /* an export over an existing file replaces it whole (the new file takes
     * its name at once, the old one is gone, no temporary file is left); over
     * a symbolic link it replaces the file the link points to, and the link
     * stays; a second name of the old file keeps the old bytes */
    const char *scn = scenario("few.scn", "scenario \"few\"\nactor worker * 2 { repeat 300 { mark \"m\" } }\n");
    const char *rec = tmp_path("few.weft"), *ref = tmp_path("ref.pftrace"), *outp = tmp_path("out.pftrace");
    const char *alias = tmp_path("alias.pftrace"), *lnk = tmp_path("link.pftrace"), *target = tmp_path("target.txt");
    char args[2048];
    out o;
    snprintf(args, sizeof args, "run -q %s -o %s", scn, rec);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    snprintf(args, sizeof args, "export %s -o %s", rec, ref);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    FILE *f = fopen(outp, "w");
    ck_assert_ptr_nonnull(f);
    fputs("an older, longer file than the trace will be? no: shorter", f);
    fclose(f);
    ck_assert_int_eq(link(outp, alias), 0);
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "export %s -o %s", rec, outp);
        weft(&o, args);
        ck_assert_msg(o.status == 0, "%s", o.text);
        size_t na, nb;
        char *a = slurp_file(ref, &na), *b = slurp_file(outp, &nb);
        ck_assert_uint_eq(na, nb);
        ck_assert_int_eq(memcmp(a, b, na), 0);
        free(a);
        free(b);
    }
    size_t n;
    char *old = slurp_file(alias, &n);
    ck_assert_str_eq(old, "an older, longer file than the trace will be? no: shorter");
    free(old);
    f = fopen(target, "w");
    ck_assert_ptr_nonnull(f);
    fputs("keep", f);
    fclose(f);
    ck_assert_int_eq(symlink(target, lnk), 0);
    snprintf(args, sizeof args, "export %s -o %s", rec, lnk);
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    struct stat st;
    ck_assert_int_eq(lstat(lnk, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    size_t na;
    char *a = slurp_file(ref, &na), *b = slurp_file(target, &n);
    ck_assert_uint_eq(na, n);
    ck_assert_int_eq(memcmp(a, b, na), 0);
    free(a);
    free(b);
    /* nothing else in the folder: no temporary file left */
    char cmd[1024], line[256] = "";
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -c tmp", tmp_path(""));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
    pclose(p);
    ck_assert_str_eq(line, "0\n");
}
END_TEST

START_TEST(drop_mode_losses_fail_unless_accepted) {
    const char *scn = scenario("drop.scn", MARKS);
    char args[1024];
    out o;
    snprintf(args, sizeof args, "run %s -o %s --record drop --ring 64", scn, tmp_path("drop.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 1, "%d: %s", o.status, o.text);
    ck_assert_msg(strstr(o.text, "events lost: worker."), "%s", o.text);
    ck_assert_msg(strstr(o.text, "--accept-losses"), "%s", o.text);
    ck_assert_msg(strstr(o.text, "WARNING:") && strstr(o.text, "were lost"), "%s", o.text);
    /* check shows them, and accepts the file */
    snprintf(args, sizeof args, "check %s", tmp_path("drop.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0 && strstr(o.text, "events lost in") && strstr(o.text, "shown as unknown"), "%s", o.text);
    snprintf(args, sizeof args, "stats --json %s", tmp_path("drop.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0 && strstr(o.text, "\"gaps\":") && !strstr(o.text, "\"lost\":0,\"repairs\""), "%s",
                  o.text);
    /* accepted on the command line */
    snprintf(args, sizeof args, "run %s -o %s --record drop --ring 64 --accept-losses", scn, tmp_path("drop2.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0 && strstr(o.text, "events lost: worker."), "%d: %s", o.status, o.text);
    /* accepted by the scenario, which also asks for drop mode */
    const char *scn2 = scenario("drop-ok.scn", "record drop accept_losses ring=64\n" MARKS);
    snprintf(args, sizeof args, "run %s -o %s -q", scn2, tmp_path("drop3.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%d: %s", o.status, o.text);
    snprintf(args, sizeof args, "check %s", tmp_path("drop3.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0 && strstr(o.text, "events lost"), "%s", o.text);
    /* a bad option is a scenario error with its place */
    const char *bad = scenario("bad-record.scn", "record dorp\n" MARKS);
    snprintf(args, sizeof args, "check %s", bad);
    weft(&o, args);
    ck_assert_msg(o.status == 2 && strstr(o.text, ":1:8: error: unknown recording option 'dorp'") &&
                      strstr(o.text, "did you mean 'drop'"), "%s", o.text);
    weft(&o, "run scenarios/lock_contention.scn --record sometimes");
    ck_assert_msg(o.status == 2 && strstr(o.text, "--record takes complete or drop"), "%s", o.text);
    weft(&o, "run scenarios/lock_contention.scn --ring 3");
    ck_assert_msg(o.status == 2 && strstr(o.text, "--ring takes"), "%s", o.text);
}
END_TEST

START_TEST(event_limit_stops_an_endless_run) {
    const char *scn = scenario("spin.scn", "counter c\nactor spin { loop { incr c } }\n");
    char args[1024];
    out o;
    snprintf(args, sizeof args, "run %s -o %s --max-events 100000 --timeout 60", scn, tmp_path("spin.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 1, "%d: %s", o.status, o.text);
    ck_assert_msg(strstr(o.text, "reached 100000 events (--max-events)"), "%s", o.text);
    ck_assert_msg(strstr(o.text, "the run ended with event limit"), "%s", o.text);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(trc_recording_open(&rec, tmp_path("spin.weft"), 0, &d), 0);
    ck_assert(!rec->truncated);
    ck_assert_uint_eq(rec->runs[0].end_reason, TRC_END_LIMIT);
    ck_assert_uint_ge(rec->runs[0].nevents, 100000);
    ck_assert_uint_lt(rec->runs[0].nevents, 100000 + 100000 / 4 + (1u << 20) + 64);
    trc_recording_free(rec);
    /* 0: no limit (a scenario can ask for one as well) */
    const char *lim = scenario("lim.scn", "record max_events=5000\ncounter c\nactor spin { loop { incr c } }\n");
    snprintf(args, sizeof args, "run %s -o %s -q", lim, tmp_path("lim.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 1 && strstr(o.text, "reached 5000 events"), "%d: %s", o.status, o.text);
}
END_TEST

START_TEST(write_error_stops_the_run_at_once) {
    /* a 5 MiB file size limit (SIGXFSZ ignored: the write fails with EFBIG)
     * on a run that would go on for 30 s: it stops at the first failed write,
     * says so, and what was written loads */
    const char *scn = scenario("long.scn", "counter c\nactor a { loop { incr c } }\n");
    const char *rec_path = tmp_path("full.weft");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit rl = { 5u << 20, 5u << 20 };
        setrlimit(RLIMIT_FSIZE, &rl);
        signal(SIGXFSZ, SIG_IGN);
        char log[1024];
        snprintf(log, sizeof log, "%s", tmp_path("full.log"));
        FILE *f = freopen(log, "w", stderr);
        if (!f) _exit(120);
        dup2(2, 1);
        execl(WEFT_BINARY, "weft", "run", scn, "-o", rec_path, "--timeout", "30", "--max-events", "0", (char *)NULL);
        _exit(121);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    char *log;
    diag d;
    ck_assert_int_eq(file_read_all(tmp_path("full.log"), &log, NULL, &d), 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %d: %s", st, log);
    ck_assert_msg(strstr(log, "File too large"), "%s", log);
    ck_assert_msg(strstr(log, "stopped at the first failed write"), "%s", log);
    ck_assert_msg(!strstr(log, "did not finish within"), "%s", log);   /* not the timeout */
    free(log);
    struct stat sb;
    ck_assert_int_eq(stat(rec_path, &sb), 0);
    ck_assert_int_le(sb.st_size, 5 << 20);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_open(&rec, rec_path, 0, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->nruns, 1);
    ck_assert(rec->runs[0].cut);
    ck_assert_uint_ge(rec->runs[0].nevents, 65536);   /* the whole chunks written before: most of 5 MiB */
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    ck_assert(m.units[0].unknown_end);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* weft args in a child limited to 512 MiB of address space (not under a
 * sanitizer) and 20 s, with stdin from in_path (NULL: /dev/null). */
static void weft_limited(out *o, const char *args, const char *in_path) {
    char pre[256] = "";
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    snprintf(pre, sizeof pre, "ulimit -v 524288;");
#endif
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s timeout 20 %s %s < %s 2>&1", WEFT_SOURCE_DIR, pre, WEFT_BINARY, args,
             in_path ? in_path : "/dev/null");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(o->text, 1, sizeof o->text - 1, p);
    o->text[n] = 0;
    int st = pclose(p);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(inputs_that_are_not_recordings) {
    out o;
    weft_limited(&o, "check /dev/zero", NULL);   /* read as a scenario, up to the parser's limit */
    ck_assert_msg(o.status == 2, "%d: %s", o.status, o.text);
    weft_limited(&o, "stats /dev/zero", NULL);
    ck_assert_msg(o.status == 2 && strstr(o.text, "at byte 0: bad magic in file header: not a .weft recording"),
                  "%d: %s", o.status, o.text);
    weft_limited(&o, "export /dev/zero -o /dev/null", NULL);
    ck_assert_msg(o.status == 2 && strstr(o.text, "not a .weft recording"), "%d: %s", o.status, o.text);
    weft_limited(&o, "stats /tmp", NULL);
    ck_assert_msg(o.status == 2 && strstr(o.text, "it is a directory"), "%d: %s", o.status, o.text);
    weft_limited(&o, "check /tmp", NULL);
    ck_assert_msg(o.status == 2 && strstr(o.text, "it is a directory"), "%d: %s", o.status, o.text);
    const char *sparse = tmp_path("sparse10g.weft");
    FILE *f = fopen(sparse, "wb");
    ck_assert(f && ftruncate(fileno(f), 10ll << 30) == 0);
    fclose(f);
    char args[1024];
    snprintf(args, sizeof args, "stats %s", sparse);
    weft_limited(&o, args, NULL);
    ck_assert_msg(o.status == 2 && strstr(o.text, "bad magic in file header"), "%d: %s", o.status, o.text);
    snprintf(args, sizeof args, "check %s", sparse);
    weft_limited(&o, args, NULL);
    ck_assert_msg(o.status == 2 && strstr(o.text, "bad magic in file header"), "%d: %s", o.status, o.text);
    unlink(sparse);
    /* FIFOs (with a writer: weft waits for one, as any reader) are test_hostile's */
    /* /dev/stdin: a recording or a scenario piped in */
    const char *scn = scenario("small.scn", "actor a { mark \"x\" }\n");
    snprintf(args, sizeof args, "run %s -o %s -q", scn, tmp_path("small.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    /* the same as read from the file (how many events: the run's 3, and the kernel's
     * scheduling events, which vary) */
    snprintf(args, sizeof args, "check %s", tmp_path("small.weft"));
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    const char *ok = strstr(o.text, ": ok: 1 run(s), ");
    ck_assert_ptr_nonnull(ok);
    char want[128];
    snprintf(want, sizeof want, "/dev/stdin%.*s", (int)strcspn(ok, "\n"), ok);
    weft_limited(&o, "check /dev/stdin", tmp_path("small.weft"));
    ck_assert_msg(o.status == 0 && strstr(o.text, want), "%d: %s (want %s)", o.status, o.text, want);
    weft_limited(&o, "check /dev/stdin", scn);
    ck_assert_msg(o.status == 0 && strstr(o.text, "/dev/stdin: ok: \""), "%d: %s", o.status, o.text);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cat %s | %s stats /dev/stdin > /dev/null 2>&1", tmp_path("small.weft"), WEFT_BINARY);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cat %s | %s check /dev/stdin > /dev/null 2>&1", tmp_path("small.weft"), WEFT_BINARY);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(viewer_loaded_only_when_asked) {
    /* the weft binary does not link SDL; --png loads the module; a missing
     * module is a clear error, not a crash */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ldd %s | grep -qi sdl", WEFT_BINARY);
    ck_assert_int_ne(system(cmd), 0);
    const char *scn = scenario("one.scn", "actor a { mark \"x\" }\n");
    char args[1024];
    out o;
#ifdef WEFT_HAVE_VIEWER
    snprintf(args, sizeof args, "run %s -o %s --png %s -q", scn, tmp_path("one.weft"), tmp_path("one.png"));
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    ck_assert_int_eq(access(tmp_path("one.png"), R_OK), 0);
#endif
    snprintf(args, sizeof args, "run %s -o %s --png %s -q", scn, tmp_path("one2.weft"), tmp_path("one2.png"));
    weft_env(&o, "WEFT_VIEWER_MODULE=/nonexistent/weft-viewer.so", args);
#ifdef WEFT_HAVE_VIEWER
    ck_assert_msg(o.status == 3 && strstr(o.text, "the viewer cannot be loaded"), "%d: %s", o.status, o.text);
#else
    ck_assert_msg(o.status == 3 && strstr(o.text, "built without the viewer"), "%d: %s", o.status, o.text);
#endif
    /* and everything else works without it */
    snprintf(args, sizeof args, "stats %s", tmp_path("one2.weft"));
    weft_env(&o, "WEFT_VIEWER_MODULE=/nonexistent/weft-viewer.so", args);
    ck_assert_msg(o.status == 0, "%d: %s", o.status, o.text);
}
END_TEST

int main(void) {
    Suite *s = suite_create("recording_cli");
    TCase *tc = tcase_create("recording_cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, complete_by_default);
    tcase_add_test(tc, drop_mode_losses_fail_unless_accepted);
    tcase_add_test(tc, export_replaces_its_output);
    tcase_add_test(tc, event_limit_stops_an_endless_run);
    tcase_add_test(tc, write_error_stops_the_run_at_once);
    tcase_add_test(tc, inputs_that_are_not_recordings);
    tcase_add_test(tc, viewer_loaded_only_when_asked);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
