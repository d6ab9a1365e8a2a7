/* The GIL and the kernel's facts as a user meets them on the command line:
 * --gil on|off|on,off (one run, or one run each into one recording, with
 * makespan[gil=...] expectations), bad --gil values refused with a message,
 * --no-perf saying once why scheduling comes from CPU times, and the stats,
 * JSON and export of a GIL run naming what they show. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct out { int status; char text[65536]; } out;

static void weft(out *o, const char *args) { tu_weft_shell(o->text, sizeof o->text, &o->status, args); }

static const char *scenario(const char *name, const char *text) {
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static size_t count_of(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* --gil on,off: two runs into one recording, named by gil=on and gil=off; the GIL and its
 * drops only in the first (whether a thread had to wait for it depends on the load: not
 * asserted here; the exact protocol is test_gil's). */
START_TEST(gil_on_off_into_one_recording) {
    const char *scn = scenario("onoff.scn", "param n = 2\nactor t * n { compute 6ms }\nexpect all_done\n");
    const char *rec = tmp_path("onoff.weft");
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --gil on,off", scn, rec);
    out o;
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%d:\n%s", o.status, o.text);
    ck_assert_msg(strstr(o.text, "run 1 of 2: gil=on") && strstr(o.text, "run 2 of 2: gil=off"), "%s", o.text);
    /* the GIL's figures (at least its drops at each thread's exit), in the GIL run only */
    ck_assert_msg(count_of(o.text, "drops: ") == 1, "%s", o.text);
    ck_assert_ptr_nonnull(strstr(o.text, " exit"));

    snprintf(args, sizeof args, "stats %s --json", rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert_uint_eq(count_of(o.text, "\"kind\":\"GIL\""), 1);

    /* one value: that run alone, the scenario's own setting overridden */
    const char *scn2 = scenario("gilon.scn", "gil off\nactor t * 2 { compute 4ms }\n");
    snprintf(args, sizeof args, "run %s -o %s --gil on", scn2, tmp_path("gilon.weft"));
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    ck_assert_ptr_nonnull(strstr(o.text, "gil=on"));
    ck_assert_ptr_nonnull(strstr(o.text, "drops: "));
}
END_TEST

/* Anything but on, off, 1, 0 (or a list of them) is refused before a run, and
 * nothing is written. */
START_TEST(bad_gil_values_are_refused) {
    const char *scn = scenario("bad.scn", "actor t { compute 1ms }\n");
    const char *rec = tmp_path("bad.weft");
    static const char *bad[] = { "foo", "of", "onn", "on,", ",off", "on,,off", "2", "" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char args[1024];
        snprintf(args, sizeof args, "run %s -o %s --gil '%s'", scn, rec, bad[i]);
        out o;
        weft(&o, args);
        ck_assert_msg(o.status == 2, "--gil '%s': %d\n%s", bad[i], o.status, o.text);
        ck_assert_msg(strstr(o.text, "--gil takes on, off or a list of them"), "--gil '%s': %s", bad[i], o.text);
        ck_assert_int_ne(access(rec, F_OK), 0);
    }
    /* --gil beside --sweep: one of them */
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --gil on,off --sweep n=1,2", scn, rec);
    out o;
    weft(&o, args);
    ck_assert_int_eq(o.status, 2);
    ck_assert_ptr_nonnull(strstr(o.text, "--sweep both make several runs"));
}
END_TEST

/* --no-perf: the run says once that the kernel's switches are not used and why, the
 * stats say where their scheduling figures come from. */
START_TEST(no_perf_says_so_once) {
    const char *scn = scenario("noperf.scn", "actor t * 2 { compute 3ms; sleep 1ms }\n");
    const char *rec = tmp_path("noperf.weft");
    char args[1024];
    snprintf(args, sizeof args, "run %s -o %s --no-perf", scn, rec);
    out o;
    weft(&o, args);
    ck_assert_msg(o.status == 0, "%s", o.text);
    ck_assert_uint_eq(count_of(o.text, "the kernel's context switches are not available"), 1);
    ck_assert_ptr_nonnull(strstr(o.text, "--no-perf"));
    snprintf(args, sizeof args, "stats %s", rec);
    weft(&o, args);
    ck_assert_int_eq(o.status, 0);
    ck_assert_ptr_nonnull(strstr(o.text, "perf events were refused"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("gil_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gil_on_off_into_one_recording);
    tcase_add_test(tc, bad_gil_values_are_refused);
    tcase_add_test(tc, no_perf_says_so_once);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
