/* cli: weft view's bridge to the viewer: one or several recordings side by
 * side, in a window (which opens at once and shows a progress bar while a big
 * recording loads), or headless: a PNG, a PNG sequence, a video through ffmpeg. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef WEFT_HAVE_GUI
#include "cli/viewer_api.h"   /* the viewer is a module: its calls go through viewer_module() */
#endif
#include "cli/cli.h"

extern char **environ;

#ifdef WEFT_HAVE_GUI

/* Several recordings: one model array on one time axis. */
typedef struct view_set { loaded *l; int n; trc_model *models; uint32_t nmodels; } view_set;

static void view_set_free(view_set *s) {
    for (int i = 0; i < s->n; i++) free_loaded(&s->l[i]);
    free(s->l);
    free(s->models);
    memset(s, 0, sizeof *s);
}

static int view_set_load(view_set *s, const char *const *files, int n) {
    memset(s, 0, sizeof *s);
    s->l = xcalloc((size_t)n, sizeof *s->l);
    for (int i = 0; i < n; i++) {
        int rc = load_recording(&s->l[i], files[i]);
        if (rc) { view_set_free(s); return rc; }
        s->n = i + 1;
        s->nmodels += s->l[i].rec->nruns;
    }
    s->models = xcalloc(s->nmodels ? s->nmodels : 1, sizeof *s->models);
    uint32_t k = 0;
    for (int i = 0; i < n; i++)
        for (uint32_t r = 0; r < s->l[i].rec->nruns; r++) s->models[k++] = s->l[i].models[r];   /* shallow: owned by l[i] */
    return 0;
}

/* The window's loader (runs on the viewer's loader thread; prints nothing). */
typedef struct win_load { const char *path; trc_recording *rec; trc_model *models; } win_load;

static int win_load_run(void *ud, const trc_model **models, uint32_t *nmodels, diag *d) {
    win_load *w = ud;
    int rc = trc_recording_open(&w->rec, w->path, 0, d);   /* the events stay in the file */
    if (rc) return rc;
    w->models = xcalloc(w->rec->nruns ? w->rec->nruns : 1, sizeof *w->models);
    for (uint32_t i = 0; i < w->rec->nruns; i++) {
        rc = trc_model_build(&w->models[i], &w->rec->runs[i], d);
        if (rc) {
            for (uint32_t k = 0; k < i; k++) trc_model_release(&w->models[k]);
            free(w->models);
            w->models = NULL;
            trc_recording_free(w->rec);
            w->rec = NULL;
            return rc;
        }
    }
    *models = w->models;
    *nmodels = w->rec->nruns;
    return 0;
}

static void win_load_free(win_load *w) {
    if (!w->rec) return;
    for (uint32_t i = 0; i < w->rec->nruns; i++) trc_model_release(&w->models[i]);
    free(w->models);
    trc_recording_free(w->rec);
}

static rdr_view_desc desc_of(const view_opts *o) {
    return (rdr_view_desc){ .width = o->width, .height = o->height, .at = o->at_given ? o->at : -1, .at_ns = o->at_ns,
                            .at_is_ns = o->at_is_ns, .stage = o->stage, .theme = o->theme, .scale = o->scale,
                            .whole = o->whole, .relations = view_relations };
}

//~ frames and video

typedef struct png_sink { const char *dir; char path[4096]; uint32_t n; } png_sink;

static int png_frame(void *ud, const uint32_t *argb, int w, int h, uint32_t index, diag *d) {
    png_sink *s = ud;
    snprintf(s->path, sizeof s->path, "%s/frame_%05u.png", s->dir, index);
    int rc = viewer_module()->png_write(s->path, argb, w, h, RDR_PNG_FAST, d);
    if (!rc) s->n++;
    return rc;
}

typedef struct video_sink { FILE *pipe; int w, h; uint32_t n; } video_sink;

static int video_frame(void *ud, const uint32_t *argb, int w, int h, uint32_t index, diag *d) {
    video_sink *s = ud;
    (void)index;
    if (s->w && (w != s->w || h != s->h)) return diag_set(d, ERR_RUNTIME, "frame size changed");
    s->w = w;
    s->h = h;
    if (fwrite(argb, sizeof *argb, (size_t)w * (size_t)h, s->pipe) != (size_t)w * (size_t)h)
        return diag_set(d, ERR_IO, "ffmpeg stopped reading frames");
    s->n++;
    return 0;
}

/* The path of an executable called name in $PATH, or NULL. An unset PATH
 * means the usual places; a set one is taken as it is (an empty one: nowhere). */
static char *find_in_path(const char *name) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    char cand[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(cand, sizeof cand, "%.*s/%s", (int)n, path, name);
        if (n && access(cand, X_OK) == 0) return strdup(cand);
        path += n + (path[n] == ':');
    }
    return NULL;
}

static int write_video(const rdr_view_desc *vd, const view_opts *o) {
    const char *ext = strrchr(o->video, '.');
    const char *kind = ext ? ext + 1 : "";
    if (strcmp(kind, "mp4") && strcmp(kind, "webm") && strcmp(kind, "gif")) {
        fprintf(stderr, "weft view: --video writes .mp4, .webm or .gif, not '%s'\n", o->video);
        return EXIT_INPUT;
    }
    char *ffmpeg = find_in_path("ffmpeg");
    if (!ffmpeg) {
        fprintf(stderr, "weft view: --video needs ffmpeg, which is not installed\n"
                        "hint: sudo apt-get install ffmpeg (or write the frames with --frames DIR and assemble them)\n");
        return EXIT_IO;
    }
    /* the frame size: the canvas's, known once the first frame is made; ffmpeg
     * needs it up front, so it is computed the same way here */
    int w = o->width ? o->width : 1280, h = o->height ? o->height : 720;
    double sc = o->scale > 0 ? o->scale : 1;
    int pw = (int)(w * sc + 0.5), ph = (int)(h * sc + 0.5);
    char size[32], rate[32], tmp[4096], log[4096];
    snprintf(size, sizeof size, "%dx%d", pw, ph);
    snprintf(rate, sizeof rate, "%g", o->fps);
    snprintf(tmp, sizeof tmp, "%s.part.%s", o->video, kind);   /* renamed into place when complete */
    snprintf(log, sizeof log, "%s.ffmpeg.log", o->video);
    const char *args[40];
    int n = 0;
    args[n++] = "ffmpeg"; args[n++] = "-hide_banner"; args[n++] = "-loglevel"; args[n++] = "error"; args[n++] = "-y";
    args[n++] = "-f"; args[n++] = "rawvideo"; args[n++] = "-pix_fmt"; args[n++] = "bgra";
    args[n++] = "-s"; args[n++] = size; args[n++] = "-framerate"; args[n++] = rate; args[n++] = "-i"; args[n++] = "-";
    if (!strcmp(kind, "mp4")) {
        args[n++] = "-vf"; args[n++] = "pad=ceil(iw/2)*2:ceil(ih/2)*2";
        args[n++] = "-c:v"; args[n++] = "libx264"; args[n++] = "-preset"; args[n++] = "veryfast";
        args[n++] = "-pix_fmt"; args[n++] = "yuv420p"; args[n++] = "-f"; args[n++] = "mp4";
    } else if (!strcmp(kind, "webm")) {
        args[n++] = "-c:v"; args[n++] = "libvpx-vp9"; args[n++] = "-deadline"; args[n++] = "realtime";
        args[n++] = "-cpu-used"; args[n++] = "8"; args[n++] = "-b:v"; args[n++] = "0"; args[n++] = "-crf"; args[n++] = "36";
        args[n++] = "-f"; args[n++] = "webm";
    } else {
        args[n++] = "-vf"; args[n++] = "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse";
        args[n++] = "-f"; args[n++] = "gif";
    }
    args[n++] = tmp;
    args[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0) { free(ffmpeg); fprintf(stderr, "weft view: cannot make a pipe: %s\n", strerror(errno)); return EXIT_IO; }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int sp = posix_spawn(&pid, ffmpeg, &fa, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(ffmpeg);
    close(fds[0]);
    if (sp != 0) {
        close(fds[1]);
        fprintf(stderr, "weft view: cannot start ffmpeg: %s\n", strerror(sp));
        return EXIT_IO;
    }
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);   /* ffmpeg failing must not kill us */
    video_sink vs = { .pipe = fdopen(fds[1], "wb") };
    diag d;
    diag_clear(&d);
    int rc = vs.pipe ? viewer_module()->frames(vd, &(rdr_frames_desc){ .fps = o->fps, .frame = video_frame, .ud = &vs }, &d)
                     : diag_set(&d, ERR_IO, "cannot write to ffmpeg");
    if (vs.pipe) fclose(vs.pipe);
    else close(fds[1]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    signal(SIGPIPE, old_pipe);
    bool ok = !rc && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (ok && rename(tmp, o->video) != 0) {
        fprintf(stderr, "weft view: cannot write '%s': %s\n", o->video, strerror(errno));
        unlink(tmp);
        return EXIT_IO;
    }
    if (!ok) {
        unlink(tmp);
        if (rc && rc != -ERR_IO) { print_diag(o->video, &d, rc); unlink(log); return exit_for(rc); }
        fprintf(stderr, "weft view: ffmpeg could not write '%s'", o->video);
        FILE *lf = fopen(log, "r");
        char line[512];
        if (lf) {
            fprintf(stderr, ":\n");
            for (int k = 0; k < 8 && fgets(line, sizeof line, lf); k++) fprintf(stderr, "  %s", line);
            fclose(lf);
        } else {
            fprintf(stderr, "\n");
        }
        unlink(log);
        return EXIT_IO;
    }
    unlink(log);
    if (!cli_quiet) printf("wrote %u frames at %g fps to %s\n", vs.n, o->fps, o->video);
    return 0;
}

static int write_frames(const rdr_view_desc *vd, const view_opts *o) {
    if (mkdir(o->frames_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "weft view: cannot make '%s': %s\n", o->frames_dir, strerror(errno));
        return EXIT_IO;
    }
    struct stat st;
    if (stat(o->frames_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "weft view: '%s' is not a folder\n", o->frames_dir);
        return EXIT_IO;
    }
    png_sink ps = { .dir = o->frames_dir };
    diag d;
    diag_clear(&d);
    int rc = viewer_module()->frames(vd, &(rdr_frames_desc){ .fps = o->fps, .frame = png_frame, .ud = &ps }, &d);
    if (rc) { print_diag(o->frames_dir, &d, rc); return exit_for(rc); }
    if (!cli_quiet) printf("wrote %u frames at %g fps to %s/frame_NNNNN.png\n", ps.n, o->fps, o->frames_dir);
    return 0;
}

int view_files(const view_opts *o) {
    if (!viewer_module()) return EXIT_IO;   /* says why */
    bool window = !o->png && !o->frames_dir && !o->video;
    rdr_view_desc vd = desc_of(o);
    diag d;
    diag_clear(&d);
    if (window && o->nfiles == 1) {   /* opens at once; the recording loads behind a progress bar */
        struct stat st;
        char what[4200];
        if (stat(o->files[0], &st) != 0 || !S_ISREG(st.st_mode)) {   /* no window for a file that is not there */
            loaded l;
            int lrc = load_recording(&l, o->files[0]);
            if (lrc) return lrc;
            free_loaded(&l);
        }
        if (stat(o->files[0], &st) == 0 && S_ISREG(st.st_mode))
            snprintf(what, sizeof what, "%s (%.1f MB)", o->files[0], (double)st.st_size / 1e6);
        else
            snprintf(what, sizeof what, "%s", o->files[0]);
        win_load wl = { .path = o->files[0] };
        vd.load = win_load_run;
        vd.load_ud = &wl;
        vd.load_what = what;
        if (!o->at_given) { vd.at = 0; vd.play = true; }
        int rc = viewer_module()->run(&vd, &d);
        bool load_failed = rc && !wl.rec;
        win_load_free(&wl);
        if (load_failed) {   /* say it as every other command does */
            loaded l;
            int lrc = load_recording(&l, o->files[0]);
            if (!lrc) { free_loaded(&l); print_diag("view", &d, rc); return exit_for(rc); }
            return lrc;
        }
        if (rc) { print_diag("view", &d, rc); return exit_for(rc); }
        return 0;
    }
    /* the PNG is written atomically (cli_output.c) and never over one of the recordings */
    output po = { .slot = -1 };
    int rc = o->png ? output_begin(&po, o->png, "PNG") : 0;
    po.derived = true;
    for (int i = 0; !rc && o->png && i < o->nfiles; i++) rc = output_not_path(&po, o->files[i]);
    if (rc) { output_release(&po); return rc; }
    view_set vs;
    rc = view_set_load(&vs, o->files, o->nfiles);
    if (rc) { output_release(&po); return rc; }
    vd.models = vs.models;
    vd.nmodels = vs.nmodels;
    vd.rec = o->nfiles == 1 ? vs.l[0].rec : NULL;
    int status = 0;
    if (o->png) {
        rc = viewer_module()->screenshot(&vd, po.tmp, &d);
        if (rc) { output_fix_diag(&po, &d); print_diag(o->png, &d, rc); status = exit_for(rc); output_discard(&po); }
        else if ((status = output_commit(&po)) == 0 && !cli_quiet) printf("wrote the timeline to %s\n", esc(o->png));
    }
    output_release(&po);
    if (!status && o->frames_dir) status = write_frames(&vd, o);
    if (!status && o->video) status = write_video(&vd, o);
    if (!status && window) {
        if (!o->at_given) { vd.at = 0; vd.play = true; }
        rc = viewer_module()->run(&vd, &d);
        if (rc) { print_diag("view", &d, rc); status = exit_for(rc); }
    }
    view_set_free(&vs);
    return status;
}

#else

int view_files(const view_opts *o) {
    (void)o;
    fprintf(stderr, "weft: this weft was built without the viewer (WEFT_GUI=OFF)\n");
    return EXIT_IO;
}

#endif
