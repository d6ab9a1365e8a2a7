/* bench_stage: frame time of the viewer with the stage, runs side by side,
 * while playing.
 *
 *   bench_stage [--frames N] [--size WxH] [--runs K] [--png DIR] [--synth EVENTS] [FILE...]
 *
 *   FILE      a .weft recording (all its runs), or a .scn scenario, run first
 *             into a temporary recording
 *   --synth   also a synthetic run of about EVENTS events: four workers
 *             handing one lock round and round, three always waiting (what
 *             `actor worker * 4 { repeat N { lock m; unlock m } }` records)
 *   --runs    show at least K runs side by side (copies of the input's runs),
 *             each with its stage (default 3)
 *   --frames  frames to play (default 360: six seconds at 60 fps, the whole
 *             run at the viewer's default speed)
 *
 * For each input: the first frame (it builds the stage models and layouts,
 * and the timeline's LOD indexes); the first frames as weft view shows them,
 * after its loader thread warmed the view (rdr_view_warm); then every frame of playback at 60 fps:
 * rdr_build (view -> draw list, the stage included) and rdr_canvas_submit
 * (software rendering) timed apart, median, p95 and max; the same frames with
 * the stage off, for the stage's share; zoomed to the whole run, 1 % and
 * 0.01 % of it, the playhead moving through the run (CPU and wall clock); and an anchor measured in the same
 * run (one full-window fill), so figures from loaded machines compare. */
#include "render/rdr.h"
#include "sim/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//~ the synthetic run

static trc_recording *synth_run(size_t target) {
    trc_recording *rec = xcalloc(1, sizeof *rec);
    rec->nruns = 1;
    rec->runs = xcalloc(1, sizeof *rec->runs);
    trc_run *run = &rec->runs[0];
    run->scenario = "synthetic: four workers on one lock";
    run->backend = "threads";
    run->nunits = 4;
    run->units = xcalloc(4, sizeof *run->units);
    static const char *names[] = { "worker.0", "worker.1", "worker.2", "worker.3" };
    for (uint32_t u = 0; u < 4; u++)
        run->units[u] = (trc_unit){ .id = u, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX, .name = names[u], .group = "worker" };
    run->nobjects = 1;
    run->objects = xcalloc(1, sizeof *run->objects);
    run->objects[0] = (trc_object){ .id = 1, .kind = TRC_OBJ_LOCK, .name = "m" };
    size_t cap = target + 64, n = 0;
    trc_event *ev = xmalloc(cap * sizeof *ev);
    uint64_t base = 1000000000ull, t = 0;
#define EV(tt, u, k, o, a, g) (ev[n++] = (trc_event){ .t = base + (tt), .unit = (u), .kind = (k), .obj = (o), .aux = (a), .arg = (g) })
    for (uint32_t u = 0; u < 4; u++) EV(0, u, TRC_EV_UNIT_START, 0, 0, 0);
    EV(10, 0, TRC_EV_ACQUIRE, 1, 0, 1);
    for (uint32_t u = 1; u < 4; u++) EV(10 + u, u, TRC_EV_WAIT_BEGIN, 1, TRC_OP_LOCK, 0);
    t = 10;
    uint32_t w = 0;
    /* per hand-off: the holder releases, the next waiter wakes and takes it,
     * the old holder asks again and waits behind the others */
    while (n + 8 < target) {
        uint32_t nx = (w + 1) % 4;
        EV(t + 100, w, TRC_EV_RELEASE, 1, 0, 0);
        EV(t + 110, nx, TRC_EV_WAIT_END, 1, TRC_OUT_OK, 0);
        EV(t + 110, nx, TRC_EV_ACQUIRE, 1, 0, 1);
        EV(t + 130, w, TRC_EV_WAIT_BEGIN, 1, TRC_OP_LOCK, 0);
        t += 110;
        w = nx;
    }
    EV(t + 100, w, TRC_EV_RELEASE, 1, 0, 0);
    for (uint32_t k = 1; k < 4; k++) {
        uint32_t u = (w + k) % 4;
        uint64_t tt = t + 100 + 20 * k;
        EV(tt, u, TRC_EV_WAIT_END, 1, TRC_OUT_OK, 0);
        EV(tt, u, TRC_EV_ACQUIRE, 1, 0, 1);
        EV(tt + 10, u, TRC_EV_RELEASE, 1, 0, 0);
    }
    for (uint32_t u = 0; u < 4; u++) EV(t + 200, u, TRC_EV_UNIT_EXIT, 0, 0, 0);
#undef EV
    run->events = ev;
    run->nevents = n;
    run->t_start = base;
    run->t_end = base + t + 200;
    return rec;
}

static void synth_free(trc_recording *rec) {
    free(rec->runs[0].units);
    free(rec->runs[0].objects);
    free(rec->runs[0].events);
    free(rec->runs);
    free(rec);
}

//~ figures

/* CPU time of this thread: what a frame costs, without the time other
 * processes on a loaded machine take the core away. */
static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct fig3 { double med, p95, max; } fig3;

static fig3 figs(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    int i = (int)ceil(0.95 * n) - 1;
    if (i < 0) i = 0;
    return (fig3){ v[n / 2], v[i], v[n - 1] };
}

typedef struct bench_opts { int frames, width, height, runs; const char *png; } bench_opts;

/* Plays the view from the start for o->frames frames at 60 fps; fills per-frame build and submit ms. */
static void play(rdr_view *v, rdr_canvas *cv, const bench_opts *o, double *build, double *submit, double *total,
                 double *cpu) {
    rdr_drawlist dl = { 0 };
    rdr_view_set_playhead(v, 0);
    v->playing = true;
    const rdr_text_metrics *tm = rdr_canvas_metrics(cv);
    for (int f = 0; f < o->frames; f++) {
        if (!v->playing) {   /* at the end: start again, as a teacher would */
            rdr_view_set_playhead(v, 0);
            v->playing = true;
        }
        rdr_view_tick(v, 1.0 / 60);
        uint64_t ca = cpu_ns(), a = clk_mono_ns();
        rdr_build(v, &dl, tm);
        uint64_t b = clk_mono_ns();
        rdr_canvas_submit(cv, &dl);
        uint64_t c = clk_mono_ns(), cc = cpu_ns();
        build[f] = (double)(b - a) / 1e6;
        submit[f] = (double)(c - b) / 1e6;
        total[f] = (double)(c - a) / 1e6;
        cpu[f] = (double)(cc - ca) / 1e6;
    }
    rdr_drawlist_free(&dl);
}

/* Zoomed in to a fraction `frac` of the run while it plays: each frame the
 * playhead is a step further through the whole run (a jump per frame, so the
 * frames sample every part of it) with the window following it as the viewer
 * does (the playhead at 90 % of the window), then one tick of playback. */
static void play_zoom(rdr_view *v, rdr_canvas *cv, const bench_opts *o, double frac, double *total, double *cpu) {
    rdr_drawlist dl = { 0 };
    const rdr_text_metrics *tm = rdr_canvas_metrics(cv);
    double w = v->total * frac;
    for (int f = 0; f < o->frames; f++) {
        double t = v->total * (f + 0.5) / o->frames;
        double t0 = t - 0.9 * w < 0 ? 0 : t - 0.9 * w;
        rdr_view_set_window(v, t0, t0 + w);
        rdr_view_set_playhead(v, t);
        v->playing = true;
        rdr_view_tick(v, 1.0 / 60);
        uint64_t ca = cpu_ns(), a = clk_mono_ns();
        rdr_build(v, &dl, tm);
        rdr_canvas_submit(cv, &dl);
        uint64_t c = clk_mono_ns(), cc = cpu_ns();
        total[f] = (double)(c - a) / 1e6;
        cpu[f] = (double)(cc - ca) / 1e6;
    }
    v->playing = false;
    rdr_drawlist_free(&dl);
}

static int bench_one(const char *what, const trc_recording *rec, const bench_opts *o, double anchor) {
    diag d = { 0 };
    uint64_t t0 = clk_mono_ns();
    uint32_t nr = rec->nruns, shown = nr < (uint32_t)o->runs ? (uint32_t)o->runs : nr;
    trc_model *own = xcalloc(nr, sizeof *own);
    size_t events = 0;
    for (uint32_t r = 0; r < nr; r++) {
        events += rec->runs[r].nevents;
        if (trc_model_build(&own[r], &rec->runs[r], &d)) {
            fprintf(stderr, "bench_stage: %s: run %u: %s\n", what, r + 1, d.msg);
            for (uint32_t k = 0; k < r; k++) trc_model_release(&own[k]);
            free(own);
            return 1;
        }
    }
    uint64_t t1 = clk_mono_ns();
    trc_model *models = xcalloc(shown, sizeof *models);   /* copies share the runs' arrays */
    for (uint32_t r = 0; r < shown; r++) models[r] = own[r % nr];
    rdr_canvas *cv;
    if (rdr_canvas_open(&cv, o->width, o->height, NULL, &d)) {
        fprintf(stderr, "bench_stage: %s\n", d.msg);
        return 1;
    }
    /* one run's stage model alone: what the first frame builds per run */
    uint64_t s0 = clk_mono_ns();
    rdr_stage_model_free(rdr_stage_model_new(&own[0]));
    uint64_t s1 = clk_mono_ns();
    rdr_view v;
    /* the first frame at the end: every index the timeline and the stage build lazily is built in it */
    rdr_view_desc desc = { .rec = rec, .models = models, .nmodels = shown, .width = o->width, .height = o->height,
                           .stage = true, .at = 1 };
    if (rdr_view_init(&v, &desc, &d)) {
        fprintf(stderr, "bench_stage: %s\n", d.msg);
        return 1;
    }
    rdr_drawlist dl = { 0 };
    uint64_t f0 = clk_mono_ns();
    rdr_build(&v, &dl, rdr_canvas_metrics(cv));
    rdr_canvas_submit(cv, &dl);
    uint64_t f1 = clk_mono_ns();
    rdr_drawlist_free(&dl);
    if (!v.lay.stage_w) {
        fprintf(stderr, "bench_stage: %dx%d is too narrow for the stage\n", o->width, o->height);
        return 1;
    }
    /* as weft view opens a file: the loader thread makes the view and warms it
     * (rdr_view_warm), then the window's first frame, at the start, playing */
    rdr_view vw;
    desc.at = 0;
    if (rdr_view_init(&vw, &desc, &d)) {
        fprintf(stderr, "bench_stage: %s\n", d.msg);
        return 1;
    }
    vw.playing = true;
    uint64_t w0 = clk_mono_ns();
    rdr_view_warm(&vw);
    uint64_t w1 = clk_mono_ns();
    rdr_build(&vw, &dl, rdr_canvas_metrics(cv));
    rdr_canvas_submit(cv, &dl);
    uint64_t w2 = clk_mono_ns();
    rdr_view_tick(&vw, 1.0 / 60);
    rdr_build(&vw, &dl, rdr_canvas_metrics(cv));
    rdr_canvas_submit(cv, &dl);
    uint64_t w3 = clk_mono_ns();
    rdr_drawlist_free(&dl);
    rdr_view_release(&vw);
    double *b = xmalloc((size_t)o->frames * sizeof *b), *s = xmalloc((size_t)o->frames * sizeof *s);
    double *tt = xmalloc((size_t)o->frames * sizeof *tt), *cu = xmalloc((size_t)o->frames * sizeof *cu);
    play(&v, cv, o, b, s, tt, cu);
    int over = 0, cover = 0;
    for (int f = 0; f < o->frames; f++) { over += tt[f] > 16.0; cover += cu[f] > 16.0; }
    fig3 fb = figs(b, o->frames), fs = figs(s, o->frames), ft = figs(tt, o->frames), fc = figs(cu, o->frames);
    if (o->png) {
        char path[1024];
        const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;
        snprintf(path, sizeof path, "%s/bench_stage_%s.png", o->png, base);
        rdr_view_set_playhead(&v, v.total * 0.5);
        rdr_canvas_frame(cv, &v);
        int pw, ph;
        rdr_canvas_size(cv, &pw, &ph);
        if (rdr_png_write(path, rdr_canvas_pixels(cv), pw, ph, RDR_PNG_FAST, &d)) fprintf(stderr, "bench_stage: %s\n", d.msg);
    }
    /* zoomed: the whole run, 1 %, 0.01 % of it in the window, the stage on */
    static const double zooms[] = { 1, 0.01, 0.0001 };
    fig3 zc[3], zw[3];
    int zover[3];
    for (int z = 0; z < 3; z++) {
        play_zoom(&v, cv, o, zooms[z], tt, cu);
        zover[z] = 0;
        for (int f = 0; f < o->frames; f++) zover[z] += tt[f] > 16.0 || cu[f] > 16.0;
        zc[z] = figs(cu, o->frames);
        zw[z] = figs(tt, o->frames);
    }
    rdr_view_set_window(&v, 0, v.total);
    /* the same frames without the stage */
    v.show_stage = false;
    rdr_view_resize(&v, o->width, o->height);
    play(&v, cv, o, b, s, tt, cu);
    fig3 nb = figs(b, o->frames), nc = figs(cu, o->frames);
    printf("%-44s %9zu ev %u run%s  models %6.0f ms  a stage model %6.1f ms  first frame %6.1f ms\n", what, events, shown,
           shown > 1 ? "s" : " ", (double)(t1 - t0) / 1e6, (double)(s1 - s0) / 1e6, (double)(f1 - f0) / 1e6);
    printf("    with the stage: build %5.2f / %5.2f / %5.2f   submit %5.2f / %5.2f / %5.2f   frame CPU %5.2f / %5.2f / %5.2f ms"
           " (p95 %.0f anchors); over 16 ms: %d by CPU, %d by wall clock (wall p95 %.2f, max %.2f)\n",
           fb.med, fb.p95, fb.max, fs.med, fs.p95, fs.max, fc.med, fc.p95, fc.max, fc.p95 / anchor, cover, over, ft.p95, ft.max);
    printf("    as weft view opens it: the loader warms the view in %.1f ms (off the window's thread), then the first"
           " frame %.1f ms, the second %.1f ms\n", (double)(w1 - w0) / 1e6, (double)(w2 - w1) / 1e6, (double)(w3 - w2) / 1e6);
    for (int z = 0; z < 3; z++)
        printf("    zoom %-8s     frame CPU %5.2f / %5.2f / %5.2f ms   wall %5.2f / %5.2f / %5.2f ms; over 16 ms: %d\n",
               z == 0 ? "whole" : z == 1 ? "1 %" : "0.01 %", zc[z].med, zc[z].p95, zc[z].max, zw[z].med, zw[z].p95,
               zw[z].max, zover[z]);
    printf("    without:        build %5.2f / %5.2f / %5.2f   frame CPU %5.2f / %5.2f / %5.2f ms; the stage adds %.2f ms"
           " to a median frame\n",
           nb.med, nb.p95, nb.max, nc.med, nc.p95, nc.max, fc.med - nc.med);
    free(b);
    free(s);
    free(tt);
    free(cu);
    rdr_view_release(&v);
    rdr_canvas_close(cv);
    free(models);
    for (uint32_t r = 0; r < nr; r++) trc_model_release(&own[r]);
    free(own);
    return 0;
}

/* Runs a scenario into a temporary recording and loads it. */
static int run_scenario(const char *path, trc_recording **out, char *tmp, size_t cap) {
    diag d = { 0 };
    sim_program *p;
    size_t len;
    char *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "bench_stage: %s: cannot open\n", path); return 1; }
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    text = xmalloc(len + 1);
    len = fread(text, 1, len, f);
    text[len] = 0;
    fclose(f);
    if (sim_parse(&p, path, text, NULL, 0, &d)) {
        fprintf(stderr, "bench_stage: %s:%d:%d: %s\n", path, d.line, d.col, d.msg);
        free(text);
        return 1;
    }
    free(text);
    snprintf(tmp, cap, "/tmp/bench_stage_%d.weft", (int)getpid());
    sim_result res;
    int rc = sim_run(&res, p, &(sim_desc){ .out_path = tmp, .timeout_ns = 60000000000ull }, &d);
    sim_program_free(p);
    if (rc) { fprintf(stderr, "bench_stage: %s: %s\n", path, d.msg); return 1; }
    if (trc_recording_load(out, tmp, &d)) { fprintf(stderr, "bench_stage: %s: %s\n", tmp, d.msg); return 1; }
    return 0;
}

int main(int argc, char **argv) {
    bench_opts o = { .frames = 360, .width = 1600, .height = 900, .runs = 3 };
    size_t synth = 0;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc) o.frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &o.width, &o.height) != 2) { fprintf(stderr, "bench_stage: --size WxH\n"); return 2; }
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) o.runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--png") && i + 1 < argc) o.png = argv[++i];
        else if (!strcmp(argv[i], "--synth") && i + 1 < argc) synth = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_stage [--frames N] [--size WxH] [--runs K] [--png DIR] [--synth EVENTS] [FILE...]\n");
            return 2;
        } else if (first_file == argc) first_file = i;
    }
    if (o.frames < 1) o.frames = 1;
    if (o.runs < 1) o.runs = 1;
    diag d = { 0 };
    /* the anchor: one full-window fill through the same renderer, measured here and now */
    double anchor = 1e9;
    {
        rdr_canvas *cv;
        if (rdr_canvas_open(&cv, o.width, o.height, NULL, &d)) { fprintf(stderr, "bench_stage: %s\n", d.msg); return 1; }
        rdr_drawlist fill = { 0 };
        for (int k = 0; k < 30; k++) {
            rdr_drawlist_reset(&fill);
            rdr_dl_rect(&fill, 0, 0, o.width, o.height, 0xff202020u + (uint32_t)k);
            uint64_t a = clk_mono_ns();
            rdr_canvas_submit(cv, &fill);
            double ms = (double)(clk_mono_ns() - a) / 1e6;
            if (ms < anchor) anchor = ms;
        }
        rdr_drawlist_free(&fill);
        rdr_canvas_close(cv);
    }
    printf("bench_stage: %dx%d, %d frames of playback at 60 fps, at least %d runs side by side, each with its stage\n",
           o.width, o.height, o.frames, o.runs);
    printf("anchor: a full-window fill costs %.2f ms here; figures are median / p95 / max\n\n", anchor);
    int rc = 0;
    if (synth) {
        uint64_t a = clk_mono_ns();
        trc_recording *rec = synth_run(synth);
        char what[96];
        snprintf(what, sizeof what, "synthetic lock hand-offs (made in %.0f ms)", (double)(clk_mono_ns() - a) / 1e6);
        rc |= bench_one(what, rec, &o, anchor);
        synth_free(rec);
    }
    for (int i = first_file; i < argc; i++) {
        if (argv[i][0] == '-') { i++; continue; }
        trc_recording *rec = NULL;
        size_t n = strlen(argv[i]);
        char tmp[256] = "";
        if (n > 4 && !strcmp(argv[i] + n - 4, ".scn")) {
            if (run_scenario(argv[i], &rec, tmp, sizeof tmp)) { rc = 1; continue; }
        } else if (trc_recording_load(&rec, argv[i], &d)) {
            fprintf(stderr, "bench_stage: %s: %s\n", argv[i], d.msg);
            rc = 1;
            continue;
        }
        rc |= bench_one(argv[i], rec, &o, anchor);
        trc_recording_free(rec);
        if (*tmp) unlink(tmp);
    }
    return rc;
}
