/* The viewer end to end: `weft view` in a real window on a virtual display
 * (Xvfb), driven by synthetic keys and mouse clicks (xdotool), looked at
 * through window dumps (xwd), asserting on what changed: it opens at the start
 * and plays, 't' turns the theme light, '?' shows the help and Esc hides it, a
 * click on a lane opens the details panel, 'q' quits with status 0.
 *
 * Skips (exit 77, ctest's SKIP_RETURN_CODE) when Xvfb, xdotool or xwd is not
 * installed: tools/setup.sh installs them. */
#include "testutil.h"
#include "render/rdr.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MS 1000000ull
enum { W = 1000, H = 600 };

static bool in_path(const char *name) {
    const char *path = getenv("PATH");
    char cand[4096];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(cand, sizeof cand, "%.*s/%s", (int)n, path, name);
        if (n && access(cand, X_OK) == 0) return true;
        path += n + (path[n] == ':');
    }
    return false;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

//~ the recording: A computes, then waits for lock L that B holds; B sleeps, releases

static trc_recording *make_recording(trc_model *m) {
    run_builder rb;
    rb_init(&rb, "e2e fixture");
    uint32_t a = rb_unit(&rb, "A"), b = rb_unit(&rb, "B");
    uint32_t l = rb_obj(&rb, TRC_OBJ_LOCK, "L", 0);
    rb_ev(&rb, 0, a, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, b, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&rb, 0, a, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&rb, 1 * MS, b, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 1 * MS, b, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
    rb_ev(&rb, 40 * MS, a, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    rb_ev(&rb, 40 * MS, a, TRC_EV_WAIT_BEGIN, l, TRC_OP_LOCK, 0, 0);
    rb_ev(&rb, 80 * MS, b, TRC_EV_SLEEP_END, 0, 0, 0, 0);
    rb_ev(&rb, 80 * MS, b, TRC_EV_RELEASE, l, 0, 0, 0);
    rb_ev(&rb, 80 * MS, a, TRC_EV_WAIT_END, l, TRC_OUT_OK, 0, 0);
    rb_ev(&rb, 80 * MS, a, TRC_EV_ACQUIRE, l, 0, 1, 0);
    rb_ev(&rb, 90 * MS, a, TRC_EV_RELEASE, l, 0, 0, 0);
    rb_ev(&rb, 95 * MS, a, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&rb, 95 * MS, b, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&rb, 100 * MS);
    diag d = { 0 };
    ck_assert_int_eq(trc_model_build(m, &rec->runs[0], &d), 0);
    return rec;
}

//~ processes

static pid_t spawn(const char *const *argv, char *const *env, int out_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_msg(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
    return pid;
}

/* Runs a short command, returns its first output line in out (or "" on failure). */
static int run_cmd(const char *cmd, char *out, size_t cap) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    out[0] = 0;
    if (!fgets(out, (int)cap, p)) out[0] = 0;
    out[strcspn(out, "\n")] = 0;
    while (fgetc(p) != EOF) {}
    return pclose(p);
}

//~ window dumps (xwd, ZPixmap 32 bits per pixel)

typedef struct shot { int w, h; uint32_t *px; } shot;

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static bool take(const char *wid, const char *path, shot *s) {
    char cmd[512], line[64];
    snprintf(cmd, sizeof cmd, "xwd -silent -id %s -out %s 2>&1", wid, path);
    if (run_cmd(cmd, line, sizeof line) != 0) return false;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = xmalloc((size_t)n);
    bool ok = fread(b, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (!ok || n < 100) { free(b); return false; }
    uint32_t hs = be32(b), fmt = be32(b + 8), w = be32(b + 16), h = be32(b + 20), order = be32(b + 28);
    uint32_t bpp = be32(b + 44), bpl = be32(b + 48), ncolors = be32(b + 76);
    size_t off = hs + 12ull * ncolors;
    if (fmt != 2 || bpp != 32 || off + (size_t)bpl * h > (size_t)n) { free(b); return false; }
    s->w = (int)w;
    s->h = (int)h;
    s->px = xmalloc(sizeof *s->px * w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const unsigned char *p = b + off + (size_t)y * bpl + 4ull * x;
            uint32_t v = order == 0 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 : (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            s->px[y * w + x] = v & 0xffffffu;
        }
    free(b);
    return true;
}

static uint32_t at(const shot *s, int x, int y) { return x < s->w && y < s->h ? s->px[y * s->w + x] : 0xff000000u; }

/* The rightmost column of the playhead's colour on row y, or -1. */
static int playhead_x(const shot *s, int y, uint32_t col) {
    int best = -1;
    for (int x = 0; x < s->w; x++)
        if (at(s, x, y) == (col & 0xffffffu)) best = x;
    return best;
}

typedef bool (*shot_pred)(const shot *s, const void *arg);

/* Dumps the window until pred holds or 15 s pass. */
static bool wait_for(const char *wid, const char *path, shot_pred pred, const void *arg, shot *last) {
    double t0 = now_s();
    while (now_s() - t0 < 15) {
        shot s = { 0 };
        if (take(wid, path, &s)) {
            bool ok = pred(&s, arg);
            if (ok || now_s() - t0 >= 15) { free(last->px); *last = s; if (ok) return true; }
            else free(s.px);
        }
        usleep(150000);
    }
    return false;
}

typedef struct pix_is { int x, y; uint32_t col; bool equal; } pix_is;
static bool pred_pix(const shot *s, const void *arg) {
    const pix_is *p = arg;
    return (at(s, p->x, p->y) == (p->col & 0xffffffu)) == p->equal;
}

typedef struct moved { int y; uint32_t col; int from; } moved;
static bool pred_moved(const shot *s, const void *arg) {
    const moved *m = arg;
    return playhead_x(s, m->y, m->col) > m->from + 10;
}

static void xkey(const char *wid, const char *key) {
    char cmd[256], line[64];
    snprintf(cmd, sizeof cmd, "xdotool key --window %s %s 2>&1", wid, key);
    run_cmd(cmd, line, sizeof line);
}

START_TEST(test_window_driven) {
    const char *weft = WEFT_BINARY;
    trc_model m;
    trc_recording *rec = make_recording(&m);
    const char *path = tmp_path("e2e.weft");
    diag d = { 0 };
    ck_assert_int_eq(trc_recording_save(rec, path, &d), 0);
    /* the layout the window will have (same recording, same size) */
    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = W, .height = H, .at = 0 };
    rdr_view v;
    ck_assert_int_eq(rdr_view_init(&v, &desc, &d), 0);
    int a0, a1;
    ck_assert_int_eq(rdr_view_row_span(&v, RDR_ROW_UNIT, 0, 0, &a0, &a1), 0);
    int lane_y = (a0 + a1) / 2, click_x = v.lay.plot_x + v.lay.plot_w * 6 / 10;
    int probe_y = v.lay.lanes_y + 2;   /* a row of the lane area just under the ruler: only the playhead is white there */
    const rdr_row *arow = rdr_view_row_at(&v, lane_y);
    ck_assert_ptr_nonnull(arow);
    rdr_view_select(&v, (int)(arow - v.lay.rows), 50.0 * MS);
    int details_y = v.lay.details_y + 3, mid_x = v.lay.plot_x + v.lay.plot_w / 2;
    ck_assert_int_gt(v.lay.details_h, 0);
    rdr_view_release(&v);

    /* the virtual display */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
    const char *xv[] = { "Xvfb", "-displayfd", fdarg, "-screen", "0", "1280x800x24", "-nolisten", "tcp", NULL };
    pid_t xpid;
    {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        ck_assert_int_eq(posix_spawnp(&xpid, "Xvfb", &fa, NULL, (char *const *)xv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(fds[1]);
    char dnum[32] = "";
    FILE *df = fdopen(fds[0], "r");
    bool got = df && fgets(dnum, sizeof dnum, df);
    if (df) fclose(df);
    ck_assert_msg(got, "Xvfb did not say its display");
    dnum[strcspn(dnum, "\n")] = 0;
    char display[40];
    snprintf(display, sizeof display, ":%s", dnum);
    setenv("DISPLAY", display, 1);

    /* weft view, with the environment less SDL's dummy driver (ctest sets it for the other suites).
     * Under ASan its leak check is off: the X11 and D-Bus libraries SDL loads
     * keep a few blocks for good (some from modules unloaded by then, which no
     * suppression can name); the viewer's own loop is leak-checked by
     * test_render's dummy-driver test. */
    unsetenv("SDL_VIDEODRIVER");
    /* SDL's software renderer: what a machine without a GPU gets anyway, the
     * same pixels everywhere, and no GL driver threads (uninstrumented, they
     * would make TSan report inside Mesa) */
    setenv("SDL_RENDER_DRIVER", "software", 1);
    setenv("SDL_FRAMEBUFFER_ACCELERATION", "0", 1);
    const char *ao = getenv("ASAN_OPTIONS");
    char asan[512];
    snprintf(asan, sizeof asan, "%s%sdetect_leaks=0", ao ? ao : "", ao && *ao ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    char size[32];
    snprintf(size, sizeof size, "%dx%d", W, H);
    const char *wv[] = { weft, "view", path, "--size", size, NULL };
    pid_t wpid = spawn(wv, environ, -1);
    char wid[64] = "", cmd[256];
    double t0 = now_s();
    int vst = -1;   /* the viewer's status, should it end before its window shows */
    /* a hang guard, not a figure: on a loaded machine (a CI run beside other work) the window
     * once took longer than the 20 s this waited before */
    while (!wid[0] && now_s() - t0 < 90) {
        snprintf(cmd, sizeof cmd, "xdotool search --onlyvisible --name '^weft' 2>/dev/null");
        run_cmd(cmd, wid, sizeof wid);
        if (wid[0]) break;
        if (waitpid(wpid, &vst, WNOHANG) == wpid) break;
        usleep(200000);
    }
    ck_assert_msg(vst == -1, "weft view ended (status 0x%x) before its window appeared", vst);
    ck_assert_msg(wid[0], "the viewer's window did not appear in 90 s");
    const char *dump = tmp_path("e2e.xwd");
    shot s = { 0 };

    /* 1. it opens near the start and plays: the playhead moves right */
    uint32_t ph_dark = RDR_COL_PLAYHEAD;
    moved mv = { .y = probe_y, .col = ph_dark, .from = -1 };
    ck_assert_msg(wait_for(wid, dump, pred_moved, &mv, &s), "no playhead");
    int x_first = playhead_x(&s, probe_y, ph_dark);
    ck_assert_int_lt(x_first, mid_x);
    mv.from = x_first;
    ck_assert_msg(wait_for(wid, dump, pred_moved, &mv, &s), "the playhead did not move (not playing?) from x %d", x_first);

    /* 2. 't': the header turns light */
    pix_is light = { .x = 4, .y = 4, .col = 0xffe6e8ecu, .equal = true };
    ck_assert_uint_eq(at(&s, 4, 4), RDR_COL_PANEL & 0xffffffu);
    xkey(wid, "t");
    ck_assert_msg(wait_for(wid, dump, pred_pix, &light, &s), "the theme did not change: %06x", at(&s, 4, 4));

    /* 3. '?': the help over the middle of the window; Esc: gone */
    pix_is help = { .x = W / 2, .y = H / 2, .col = 0xfffdfdfbu, .equal = true };
    xkey(wid, "question");
    ck_assert_msg(wait_for(wid, dump, pred_pix, &help, &s), "no help: %06x", at(&s, W / 2, H / 2));
    help.equal = false;
    xkey(wid, "Escape");
    ck_assert_msg(wait_for(wid, dump, pred_pix, &help, &s), "the help stayed");

    /* 4. a click on A's lane opens the details panel at the bottom */
    xkey(wid, "End");
    pix_is details = { .x = 2, .y = details_y, .col = 0xffe6e8ecu, .equal = true };
    ck_assert_uint_ne(at(&s, 2, details_y), 0xe6e8ecu);
    snprintf(cmd, sizeof cmd, "xdotool mousemove --window %s %d %d click 1 2>&1", wid, click_x, lane_y);
    char line[64];
    run_cmd(cmd, line, sizeof line);
    ck_assert_msg(wait_for(wid, dump, pred_pix, &details, &s), "no details panel: %06x at y %d", at(&s, 2, details_y), details_y);

    /* 5. 'q' quits, with status 0 */
    xkey(wid, "q");
    int st = -1;
    t0 = now_s();
    while (now_s() - t0 < 15) {
        pid_t r = waitpid(wpid, &st, WNOHANG);
        if (r == wpid) break;
        usleep(100000);
        st = -1;
    }
    if (st == -1) { kill(wpid, SIGKILL); waitpid(wpid, &st, 0); }
    kill(xpid, SIGTERM);
    waitpid(xpid, NULL, 0);
    free(s.px);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "weft view did not quit cleanly (status %d)", st);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    const char *need[] = { "Xvfb", "xdotool", "xwd" };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!in_path(need[i])) {
            printf("test_render_e2e: skipped: %s is not installed (tools/setup.sh installs xvfb, xdotool, x11-apps)\n",
                   need[i]);
            return 77;
        }
    Suite *s = suite_create("render_e2e");
    TCase *tc = tcase_create("window");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_window_driven);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
