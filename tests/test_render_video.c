/* weft view --video: the frames piped to ffmpeg. A fake ffmpeg on PATH (a
 * script) records its arguments and counts the bytes piped to it: the
 * arguments say raw BGRA frames of the window's size at the asked rate, then
 * the encoder of the file's kind; the bytes are exactly the frames --frames
 * writes for the same view (count x width x height x 4); the file is written
 * under a temporary name and renamed into place, its log removed. An ffmpeg
 * that fails leaves no file and its error is shown; with no ffmpeg on PATH
 * (an empty PATH) weft says how to install it and exits 3. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/weft_video_XXXXXX";
static char rec[512];

/* Runs `weft args` with PATH=path (the env's own when NULL); out: its stdout and stderr. */
static int weft_path(char *out, size_t cap, const char *path, const char *args) {
    char cmd[4096];
    if (path) snprintf(cmd, sizeof cmd, "cd %s && PATH='%s' %s %s 2>&1", dir, path, WEFT_BINARY, args);
    else snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1", dir, WEFT_BINARY, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_file(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *s = calloc(1, 65536);
    size_t n = fread(s, 1, 65535, f);
    s[n] = 0;
    fclose(f);
    return s;
}

static void setup(void) {
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(rec, sizeof rec, "%s/pc.weft", dir);
    char out[4096], args[1024];
    snprintf(args, sizeof args, "run producer_consumer -q --clock virtual -o %s", rec);
    ck_assert_int_eq(weft_path(out, sizeof out, NULL, args), 0);
    /* the fake: its arguments one a line, then the bytes read from stdin; writes its last argument */
    char path[1024], bin[256];
    snprintf(bin, sizeof bin, "%s/bin", dir);
    mkdir(bin, 0755);
    snprintf(path, sizeof path, "%s/ffmpeg", bin);
    write_file(path,
               "#!/bin/sh\n"
               "PATH=/usr/bin:/bin\n"
               "d=$(dirname \"$0\")\n"
               ": > \"$d/args\"\n"
               "for a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$d/args\"; last=$a; done\n"
               "wc -c | tr -d ' ' > \"$d/bytes\"\n"
               "if [ -e \"$d/fail\" ]; then echo 'Unknown encoder libx264' >&2; exit 1; fi\n"
               "echo fake > \"$last\"\n",
               0755);
}

static void teardown(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The arguments as one line each, so "-s\n320x200\n" finds a flag and its value. */
static void assert_args(const char *args, const char *want) {
    ck_assert_msg(strstr(args, want) != NULL, "ffmpeg's arguments lack '%s':\n%s", want, args);
}

static unsigned count_pngs(const char *d) {
    DIR *dp = opendir(d);
    ck_assert_ptr_nonnull(dp);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(dp));) n += strstr(e->d_name, ".png") != NULL;
    closedir(dp);
    return n;
}

static void one_kind(const char *kind, const char *encoder) {
    char out[4096], args[2048], path[1024], bin[256];
    snprintf(bin, sizeof bin, "%s/bin", dir);
    /* the frames of the same view, as PNGs: how many the video must get */
    snprintf(args, sizeof args, "view %s --frames %s/fr_%s --fps 10 --size 320x200", rec, dir, kind);
    ck_assert_msg(weft_path(out, sizeof out, NULL, args) == 0, "%s", out);
    snprintf(path, sizeof path, "%s/fr_%s", dir, kind);
    unsigned frames = count_pngs(path);
    ck_assert_uint_ge(frames, 10);
    snprintf(args, sizeof args, "view %s --video out.%s --fps 10 --size 320x200", rec, kind);
    ck_assert_msg(weft_path(out, sizeof out, bin, args) == 0, "%s", out);
    char want[128];
    snprintf(want, sizeof want, "wrote %u frames at 10 fps to out.%s", frames, kind);
    ck_assert_msg(strstr(out, want), "'%s' lacks '%s'", out, want);
    snprintf(path, sizeof path, "%s/args", bin);
    char *a = read_file(path);
    ck_assert_ptr_nonnull(a);
    assert_args(a, "\n-f\nrawvideo\n");
    assert_args(a, "\n-pix_fmt\nbgra\n");
    assert_args(a, "\n-s\n320x200\n");
    assert_args(a, "\n-framerate\n10\n");
    assert_args(a, "\n-i\n-\n");
    assert_args(a, encoder);
    snprintf(want, sizeof want, "\nout.%s.part.%s\n", kind, kind);   /* written aside, renamed when whole */
    assert_args(a, want);
    free(a);
    snprintf(path, sizeof path, "%s/bytes", bin);
    char *b = read_file(path);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(strtoull(b, NULL, 10), (unsigned long long)frames * 320 * 200 * 4);
    free(b);
    snprintf(path, sizeof path, "%s/out.%s", dir, kind);
    char *v = read_file(path);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "fake\n");
    free(v);
    snprintf(path, sizeof path, "%s/out.%s.ffmpeg.log", dir, kind);
    ck_assert_int_ne(access(path, F_OK), 0);   /* the log goes once it all went well */
    snprintf(path, sizeof path, "%s/out.%s.part.%s", dir, kind, kind);
    ck_assert_int_ne(access(path, F_OK), 0);
}

START_TEST(test_video_kinds) {
    one_kind("mp4", "\n-c:v\nlibx264\n");
    one_kind("webm", "\n-c:v\nlibvpx-vp9\n");
    one_kind("gif", "paletteuse");
}
END_TEST

START_TEST(test_video_ffmpeg_fails) {
    char out[4096], args[1024], path[1024], bin[256];
    snprintf(bin, sizeof bin, "%s/bin", dir);
    snprintf(path, sizeof path, "%s/fail", bin);
    write_file(path, "", 0644);
    snprintf(args, sizeof args, "view %s --video bad.mp4 --fps 10 --size 320x200", rec);
    ck_assert_int_eq(weft_path(out, sizeof out, bin, args), 3);
    ck_assert_msg(strstr(out, "ffmpeg could not write 'bad.mp4'") && strstr(out, "Unknown encoder libx264"), "%s", out);
    snprintf(path, sizeof path, "%s/bad.mp4", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/bad.mp4.part.mp4", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/bad.mp4.ffmpeg.log", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_video_no_ffmpeg) {
    char out[4096], args[1024], path[1024];
    snprintf(args, sizeof args, "view %s --video x.mp4 --fps 10 --size 320x200", rec);
    ck_assert_int_eq(weft_path(out, sizeof out, "", args), 3);
    ck_assert_msg(strstr(out, "needs ffmpeg, which is not installed") && strstr(out, "apt-get install ffmpeg"), "%s", out);
    snprintf(path, sizeof path, "%s/x.mp4", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    /* a kind ffmpeg is not asked for */
    snprintf(args, sizeof args, "view %s --video x.avi", rec);
    ck_assert_int_eq(weft_path(out, sizeof out, "", args), 2);
    ck_assert_msg(strstr(out, ".mp4, .webm or .gif"), "%s", out);
}
END_TEST

static Suite *video_suite(void) {
    Suite *s = suite_create("render_video");
    TCase *tc = tcase_create("video");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_video_kinds);
    tcase_add_test(tc, test_video_ffmpeg_fails);
    tcase_add_test(tc, test_video_no_ffmpeg);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(video_suite()); }
