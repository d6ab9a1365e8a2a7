/* bench_render: frame cost of the viewer on a big synthetic run, or on a real
 * recording.
 *
 *   bench_render [--events N] [--units N] [--frames N] [--png DIR] [--small] [--view] [--at F]
 *                [--zoom I] [--no-flows] [--weft FILE]
 *
 *   --weft   a recording made by weft run instead of the synthetic run, opened
 *            the way `weft view FILE` opens it in a window: a loader thread opens
 *            the recording (its events stay in the file), builds the models,
 *            makes the view and warms it (rdr_view_warm), while this thread draws
 *            the loading screen every 16 ms (rdr_loading_dl on the canvas, as the
 *            window does); then the first frame. Prints each phase and the whole
 *            "load to first frame" (wall and CPU time of the process), the figure
 *            the viewer's < 1 s goal is about.
 *
 * Synthesizes a producer/consumer run (a bounded queue, a lock taken by the
 * consumers) with a small discrete-event simulation, so the events are
 * consistent (the lock has one owner, the queue depth matches puts and gets),
 * builds the model, then times frame generation (rdr_build) and software
 * rendering (rdr_canvas_submit) at several zoom levels, panning a little every
 * frame. Prints median and p95 ms per frame. Goal: < 16 ms at every zoom.
 *   --small  a 5-unit, ~60-item run (what a scenario from the textbook gives)
 *   --png    also writes one screenshot per zoom level into DIR
 *   --view   opens the interactive viewer on the run instead (needs a display)
 *   --zoom   only the I-th zoom level (0 = whole .. 3 = 0.01%), e.g. under perf
 */
#include "render/rdr.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//~ the generator

typedef struct hitem { uint64_t t, seq; uint32_t u; } hitem;

enum { P_COMPUTE, P_COMPUTE_END, P_PUT, C_GET, C_LOCK, C_HOLD, C_REL, C_SLEEP, C_SLEEP_END, U_START, U_EXIT };

typedef struct gunit { int pc; uint32_t left; bool producer, waiting; uint32_t done_items; } gunit;
typedef struct wlist { uint32_t *q; uint32_t head, n, cap; } wlist;

typedef struct gen {
    trc_run *run;
    trc_event *ev; size_t nev, cap_ev;
    hitem *heap; size_t nh, cap_h; uint64_t seq;
    uint64_t rng;
    gunit *u;
    uint32_t qobj, lobj;
    uint64_t *ring; uint32_t qcap, qhead, depth; uint64_t next_item;
    int64_t owner;
    wlist putw, getw, lockw;
    double scale;        /* duration multiplier */
    bool small;
} gen;

static uint64_t gen_rand(gen *g) {
    g->rng ^= g->rng << 13; g->rng ^= g->rng >> 7; g->rng ^= g->rng << 17;
    return g->rng;
}
static uint64_t gen_dur(gen *g, double lo_us, double hi_us) {
    double f = (double)(gen_rand(g) >> 11) / 9007199254740992.0;
    return (uint64_t)((lo_us + (hi_us - lo_us) * f) * 1000.0 * g->scale);
}

static void gen_emit(gen *g, uint64_t t, uint32_t u, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg, uint32_t extra) {
    ARR_GROW(g->ev, g->nev + 1, g->cap_ev);
    g->ev[g->nev++] = (trc_event){ .t = g->run->t_start + t, .unit = u, .kind = kind, .obj = obj, .aux = aux,
                                   .arg = arg, .extra = extra };
}

static void gen_sched(gen *g, uint64_t t, uint32_t u, int pc) {
    g->u[u].pc = pc;
    ARR_GROW(g->heap, g->nh + 1, g->cap_h);
    size_t i = g->nh++;
    hitem it = { t, g->seq++, u };
    while (i) {
        size_t p = (i - 1) / 2;
        if (g->heap[p].t < it.t || (g->heap[p].t == it.t && g->heap[p].seq < it.seq)) break;
        g->heap[i] = g->heap[p];
        i = p;
    }
    g->heap[i] = it;
}

static hitem gen_pop(gen *g) {
    hitem top = g->heap[0], last = g->heap[--g->nh];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= g->nh) break;
        if (c + 1 < g->nh && (g->heap[c + 1].t < g->heap[c].t ||
                              (g->heap[c + 1].t == g->heap[c].t && g->heap[c + 1].seq < g->heap[c].seq))) c++;
        if (last.t < g->heap[c].t || (last.t == g->heap[c].t && last.seq < g->heap[c].seq)) break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    if (g->nh) g->heap[i] = last;
    return top;
}

static void wl_push(wlist *w, uint32_t u) { w->q[(w->head + w->n++) % w->cap] = u; }
static bool wl_pop(wlist *w, uint32_t *u) {
    if (!w->n) return false;
    *u = w->q[w->head];
    w->head = (w->head + 1) % w->cap;
    w->n--;
    return true;
}
static void gen_wake(gen *g, wlist *w, uint64_t t) {
    uint32_t u;
    if (wl_pop(w, &u)) gen_sched(g, t + 1, u, g->u[u].pc);
}

static void gen_step(gen *g, uint64_t t, uint32_t u) {
    gunit *s = &g->u[u];
    for (;;) {
        switch (s->pc) {
        case P_COMPUTE:
            gen_emit(g, t, u, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
            gen_sched(g, t + (g->small ? gen_dur(g, 250, 450) : gen_dur(g, 40, 400)), u, P_COMPUTE_END);
            return;
        case P_COMPUTE_END:
            gen_emit(g, t, u, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
            s->pc = P_PUT;
            continue;
        case P_PUT:
            if (g->depth < g->qcap) {
                if (s->waiting) { gen_emit(g, t, u, TRC_EV_WAIT_END, g->qobj, TRC_OUT_OK, 0, 0); s->waiting = false; }
                uint64_t item = ++g->next_item;
                g->ring[(g->qhead + g->depth) % g->qcap] = item;
                g->depth++;
                gen_emit(g, t, u, TRC_EV_PUT, g->qobj, 0, item, g->depth);
                gen_wake(g, &g->getw, t);
                s->done_items++;
                if (s->done_items % (g->small ? 10 : 25) == 0) gen_emit(g, t, u, TRC_EV_MARK, 0, 0, 0, 0);
                if (--s->left == 0) gen_sched(g, t + 1, u, U_EXIT);
                else gen_sched(g, t + 1, u, P_COMPUTE);
            } else {
                if (!s->waiting) { gen_emit(g, t, u, TRC_EV_WAIT_BEGIN, g->qobj, TRC_OP_PUT, 0, 0); s->waiting = true; }
                wl_push(&g->putw, u);
            }
            return;
        case C_GET:
            if (g->depth > 0) {
                if (s->waiting) { gen_emit(g, t, u, TRC_EV_WAIT_END, g->qobj, TRC_OUT_OK, 0, 0); s->waiting = false; }
                uint64_t item = g->ring[g->qhead];
                g->qhead = (g->qhead + 1) % g->qcap;
                g->depth--;
                gen_emit(g, t, u, TRC_EV_GET, g->qobj, 0, item, g->depth);
                gen_wake(g, &g->putw, t);
                gen_sched(g, t + 1, u, C_LOCK);
            } else {
                if (!s->waiting) { gen_emit(g, t, u, TRC_EV_WAIT_BEGIN, g->qobj, TRC_OP_GET, 0, 0); s->waiting = true; }
                wl_push(&g->getw, u);
            }
            return;
        case C_LOCK:
            if (g->owner < 0) {
                if (s->waiting) { gen_emit(g, t, u, TRC_EV_WAIT_END, g->lobj, TRC_OUT_OK, 0, 0); s->waiting = false; }
                g->owner = u;
                gen_emit(g, t, u, TRC_EV_ACQUIRE, g->lobj, 0, 1, 0);
                s->pc = C_HOLD;
                continue;
            }
            if (!s->waiting) { gen_emit(g, t, u, TRC_EV_WAIT_BEGIN, g->lobj, TRC_OP_LOCK, 0, 0); s->waiting = true; }
            wl_push(&g->lockw, u);
            return;
        case C_HOLD:
            gen_emit(g, t, u, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
            gen_sched(g, t + (g->small ? gen_dur(g, 60, 160) : gen_dur(g, 5, 40)), u, C_REL);
            return;
        case C_REL:
            gen_emit(g, t, u, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
            gen_emit(g, t, u, TRC_EV_RELEASE, g->lobj, 0, 0, 0);
            g->owner = -1;
            gen_wake(g, &g->lockw, t);
            s->left--;
            gen_sched(g, t + 1, u, C_SLEEP);
            return;
        case C_SLEEP:
            gen_emit(g, t, u, TRC_EV_SLEEP_BEGIN, 0, 0, 0, 0);
            gen_sched(g, t + (g->small ? gen_dur(g, 1500, 2500) : gen_dur(g, 50, 300)), u, C_SLEEP_END);
            return;
        case C_SLEEP_END:
            gen_emit(g, t, u, TRC_EV_SLEEP_END, 0, 0, 0, 0);
            if (s->left == 0) { gen_sched(g, t + 1, u, U_EXIT); return; }
            s->pc = C_GET;
            continue;
        case U_START:
            gen_emit(g, t, u, TRC_EV_UNIT_START, 0, 0, 0, 0);
            s->pc = s->producer ? P_COMPUTE : C_GET;
            continue;
        case U_EXIT:
            gen_emit(g, t, u, TRC_EV_UNIT_EXIT, 0, TRC_EXIT_DONE, 0, 0);
            return;
        default: return;
        }
    }
}

static trc_recording *gen_run(size_t target_events, uint32_t nunits, bool small) {
    trc_recording *rec = xcalloc(1, sizeof *rec);
    arena *a = &rec->mem;
    rec->runs = arena_push(a, sizeof *rec->runs);
    rec->nruns = 1;
    trc_run *run = &rec->runs[0];
    gen g = { .run = run, .rng = 0x9e3779b97f4a7c15ull, .owner = -1, .scale = 1, .small = small };
    uint32_t P = small ? 2 : nunits * 3 / 8, C = small ? 3 : nunits - nunits * 3 / 8;
    if (P < 1) P = 1;
    if (C < 1) C = 1;
    nunits = P + C;
    run->scenario = small ? "Producer/consumer over a bounded queue" : "Synthetic producer/consumer (bench_render)";
    run->source_path = "";
    run->source_text = "";
    run->backend = "threads";
    run->machine = "synthetic";
    run->report = "";
    run->t_start = 1000000000ull;
    run->units = arena_push(a, sizeof *run->units * nunits);
    run->nunits = nunits;
    for (uint32_t u = 0; u < nunits; u++) {
        char name[32];
        bool prod = u < P;
        snprintf(name, sizeof name, "%s.%u", prod ? "producer" : "consumer", prod ? u : u - P);
        run->units[u] = (trc_unit){ .id = u, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX,
                                    .name = arena_strdup(a, name), .group = prod ? "producer" : "consumer" };
    }
    run->objects = arena_push(a, sizeof *run->objects * 2);
    run->nobjects = 2;
    g.qcap = small ? 4 : 16;
    run->objects[0] = (trc_object){ .id = 1, .kind = TRC_OBJ_QUEUE, .name = "jobs", .capacity = g.qcap };
    run->objects[1] = (trc_object){ .id = 2, .kind = TRC_OBJ_LOCK, .name = small ? "stats" : "L" };
    g.qobj = 1;
    g.lobj = 2;
    run->strings = arena_push(a, sizeof *run->strings);
    run->strings[0] = "batch";
    run->nstrings = 1;
    /* about 13 events per item; items a multiple of P*C so everyone finishes */
    uint64_t items = small ? 60 : target_events / 13;
    uint64_t unit_of = (uint64_t)P * C;
    items = (items + unit_of - 1) / unit_of * unit_of;
    g.ring = xcalloc(g.qcap, sizeof *g.ring);
    g.u = xcalloc(nunits, sizeof *g.u);
    g.putw.q = xcalloc(nunits, 4); g.putw.cap = nunits;
    g.getw.q = xcalloc(nunits, 4); g.getw.cap = nunits;
    g.lockw.q = xcalloc(nunits, 4); g.lockw.cap = nunits;
    for (uint32_t u = 0; u < nunits; u++) {
        g.u[u].producer = u < P;
        g.u[u].left = (uint32_t)(u < P ? items / P : items / C);
        uint64_t t0 = (uint64_t)u * (small ? 20000 : 1000);
        gen_sched(&g, t0, u, U_START);
    }
    /* events are emitted at the time they happen and the heap runs in time
     * order, so g.ev comes out sorted */
    while (g.nh) {
        hitem it = gen_pop(&g);
        gen_step(&g, it.t, it.u);
    }
    run->events = g.ev;
    run->nevents = g.nev;
    run->t_end = (g.nev ? g.ev[g.nev - 1].t : run->t_start) + 1000;
    free(g.heap); free(g.ring); free(g.u); free(g.putw.q); free(g.getw.q); free(g.lockw.q);
    return rec;
}

//~ timing

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double pct(double *v, int n, double p) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    int i = (int)ceil(p * n) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    return v[i];
}

static double anchor_ms = 1;

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the viewer's loader thread does for `weft view FILE` (cli/cli_view.c
 * win_load_run, then render/rdr_sdl.c rdr_loader_main), phase by phase. */
typedef struct bload {
    const char *path;
    rdr_view_desc *desc;
    rdr_view *v;
    trc_recording *rec;
    trc_model *models;
    uint64_t t_open, t_models, t_view;   /* clk_mono_ns at the end of each phase */
    int rc;
    diag d;
    _Atomic int done;
} bload;

static void *bload_main(void *arg) {
    bload *l = arg;
    diag_clear(&l->d);
    l->rc = trc_recording_open(&l->rec, l->path, 0, &l->d);   /* the events stay in the file */
    l->t_open = clk_mono_ns();
    if (!l->rc) {
        l->models = xcalloc(l->rec->nruns ? l->rec->nruns : 1, sizeof *l->models);
        for (uint32_t i = 0; i < l->rec->nruns && !l->rc; i++) l->rc = trc_model_build(&l->models[i], &l->rec->runs[i], &l->d);
    }
    l->t_models = clk_mono_ns();
    if (!l->rc) {
        l->desc->rec = l->rec;
        l->desc->models = l->models;
        l->desc->nmodels = l->rec->nruns;
        l->rc = rdr_view_init(l->v, l->desc, &l->d);
        if (!l->rc) rdr_view_warm(l->v);
    }
    l->t_view = clk_mono_ns();
    atomic_store(&l->done, 1);
    return NULL;
}

/* The anchor (a full-window fill, measured in the same run), then frames at
 * four zoom levels, panning and playing. */
static void bench_frames(rdr_view *vp, rdr_canvas *cv, const rdr_view_desc *dp, rdr_drawlist *dlp, int frames,
                         const char *png_dir, int only) {
    diag d = { 0 };
    /* the anchor, measured in the same run: one full-window fill through the same renderer */
    {
        rdr_drawlist fill = { 0 };
        double at_best = 1e9;
        for (int k = 0; k < 20; k++) {
            rdr_drawlist_reset(&fill);
            rdr_dl_rect(&fill, 0, 0, dp->width, dp->height, 0xff202020u + (uint32_t)k);
            uint64_t a = clk_mono_ns();
            rdr_canvas_submit(cv, &fill);
            double ms = (double)(clk_mono_ns() - a) / 1e6;
            if (ms < at_best) at_best = ms;
        }
        printf("anchor: a full-window fill costs %.2f ms here (frames below in those units too)\n\n", at_best);
        anchor_ms = at_best;
        rdr_drawlist_free(&fill);
    }

    static const struct { const char *name; double frac; } zooms[] = {
        { "whole", 1 }, { "10%", 0.1 }, { "1%", 0.01 }, { "0.01%", 0.0001 },
    };
    double *bt = xcalloc((size_t)frames, sizeof *bt), *rt = xcalloc((size_t)frames, sizeof *rt),
           *ft = xcalloc((size_t)frames, sizeof *ft);
    printf("%-7s %-7s %-9s %17s %17s %17s %8s %9s %9s %7s\n", "zoom", "mode", "window", "build med/p95 ms",
           "raster med/p95 ms", "frame med/p95 ms", "anchors", "cmds", "rects", "walked");
    double total = (double)vp->total;
    for (size_t z = 0; z < sizeof zooms / sizeof zooms[0]; z++) {
        if (only >= 0 && (size_t)only != z) continue;
        double w = total * zooms[z].frac;
        for (int playing = 0; playing < 2; playing++) {
            size_t cmds = 0, rects = 0, walked = 0;
            double c0 = total * 0.5;
            rdr_view_set_window(vp, c0 - w / 2, c0 + w / 2);
            rdr_view_set_playhead(vp, playing ? vp->t0 : total);
            vp->playing = playing;
            vp->speed = w / 1e9 / 4;   /* the window in 4 s of wall time */
            for (int f = 0; f < frames; f++) {
                if (!playing) {
                    double c = total * 0.5 + (f - frames / 2) * w * 0.013;   /* pan a little each frame */
                    rdr_view_set_window(vp, c - w / 2, c + w / 2);
                } else {
                    rdr_view_tick(vp, 1.0 / 60);   /* the playhead moves, the lanes reveal */
                }
                vp->mouse_in = true;
                vp->mouse_x = vp->lay.plot_x + vp->lay.plot_w / 2 + f;
                vp->mouse_y = vp->lay.lanes_y + 30;
                uint64_t a = clk_mono_ns();
                rdr_build(vp, dlp, rdr_canvas_metrics(cv));
                uint64_t b = clk_mono_ns();
                rdr_canvas_submit(cv, dlp);
                uint64_t e = clk_mono_ns();
                bt[f] = (double)(b - a) / 1e6;
                rt[f] = (double)(e - b) / 1e6;
                ft[f] = (double)(e - a) / 1e6;
                cmds += dlp->n; rects += dlp->lane_rects; walked += dlp->spans_visited;
            }
            char ws[32];
            fmt_dur(ws, sizeof ws, (uint64_t)w);
            double bm = pct(bt, frames, 0.5), bp = pct(bt, frames, 0.95);
            double rm = pct(rt, frames, 0.5), rp = pct(rt, frames, 0.95);
            double fm = pct(ft, frames, 0.5), fp = pct(ft, frames, 0.95);
            printf("%-7s %-7s %-9s %8.2f /%7.2f %8.2f /%7.2f %8.2f /%7.2f %8.1f %9zu %9zu %7zu\n", zooms[z].name,
                   playing ? "playing" : "panning", ws, bm, bp, rm, rp, fm, fp, fp / anchor_ms, cmds / (size_t)frames,
                   rects / (size_t)frames, walked / (size_t)frames);
        }
        if (png_dir) {
            char path[1024];
            snprintf(path, sizeof path, "%s/bench_render_%zu.png", png_dir, z);
            if (rdr_png_write(path, rdr_canvas_pixels(cv), dp->width, dp->height, RDR_PNG_FAST, &d))
                fprintf(stderr, "bench_render: %s\n", d.msg);
        }
    }
    printf("\n(frame = rdr_build + SDL software rendering of a %dx%d frame, %d frames per zoom and mode, hover tooltip "
           "on; anchors = p95 frame / full-window fill)\n",
           dp->width, dp->height, frames);
    free(bt); free(rt); free(ft);
}

/* --weft: `weft view FILE` from the window's opening to its first frame. */
static int bench_weft(const char *path, int frames, const char *png_dir, int only, bool no_flows, double at) {
    diag d = { 0 };
    rdr_canvas *cv;
    rdr_view_desc desc = { .width = 1280, .height = 720, .at = at >= 0 ? at : 0, .play = at < 0 };
    if (rdr_canvas_open(&cv, desc.width, desc.height, NULL, &d)) {   /* the window opens at once */
        fprintf(stderr, "bench_render: %s\n", d.msg);
        return 1;
    }
    rdr_view v;
    memset(&v, 0, sizeof v);
    bload ld = { .path = path, .desc = &desc, .v = &v };
    rdr_drawlist dl = { 0 };
    uint64_t t0 = clk_mono_ns(), c0 = cpu_ns();
    pthread_t th;
    if (pthread_create(&th, NULL, bload_main, &ld) != 0) {
        fprintf(stderr, "bench_render: cannot start the loader thread\n");
        rdr_canvas_close(cv);
        return 1;
    }
    unsigned loading_frames = 0;
    while (!atomic_load(&ld.done)) {   /* the window's loop while loading (render/rdr_sdl.c rdr_view_run) */
        rdr_loading_dl(&dl, rdr_canvas_metrics(cv), desc.width, desc.height, path, (double)(clk_mono_ns() - t0) / 1e9);
        rdr_canvas_submit(cv, &dl);
        loading_frames++;
        struct timespec ts = { 0, 16 * 1000000 };   /* SDL_Delay(16) */
        nanosleep(&ts, NULL);
    }
    pthread_join(th, NULL);
    uint64_t t_joined = clk_mono_ns();
    if (ld.rc) {
        fprintf(stderr, "bench_render: %s: %s\n", path, ld.d.msg);
        rdr_drawlist_free(&dl);
        rdr_canvas_close(cv);
        return 1;
    }
    rdr_view_resize(&v, desc.width, desc.height);
    v.show_flows = !no_flows;
    rdr_build(&v, &dl, rdr_canvas_metrics(cv));
    rdr_canvas_submit(cv, &dl);
    uint64_t t1 = clk_mono_ns(), c1 = cpu_ns();
    const trc_run *run = &ld.rec->runs[0];
    char mk[32];
    fmt_dur(mk, sizeof mk, ld.models[0].makespan);
    printf("bench_render: %s: %llu events, %u units, makespan %s, opened as `weft view` does\n", path,
           (unsigned long long)run->nevents, run->nunits, mk);
    printf("  open %.0f ms, models %.0f ms, view + warm %.0f ms, loader noticed %.0f ms later (%u loading screens "
           "drawn), first frame %.1f ms\n",
           (double)(ld.t_open - t0) / 1e6, (double)(ld.t_models - ld.t_open) / 1e6, (double)(ld.t_view - ld.t_models) / 1e6,
           (double)(t_joined - ld.t_view) / 1e6, loading_frames, (double)(t1 - t_joined) / 1e6);
    printf("  load to first frame: %.0f ms wall, %.0f ms CPU (goal: < 1000 ms wall)\n", (double)(t1 - t0) / 1e6,
           (double)(c1 - c0) / 1e6);
    {   /* the anchor, in the same run: reading the file once, 1 MiB at a time, with its CRC */
        FILE *f = fopen(path, "rb");
        uint8_t *blk = xmalloc(1u << 20);
        uint64_t a0 = clk_mono_ns(), a1 = cpu_ns(), bytes = 0;
        uint32_t crc = 0;
        size_t k;
        while (f && (k = fread(blk, 1, 1u << 20, f)) > 0) { crc = crc32_update(crc, blk, k); bytes += k; }
        printf("  anchor: reading the %.0f MB file once with its CRC (page cache warm): %.0f ms wall, %.0f ms CPU "
               "(crc %08x)\n", (double)bytes / 1e6, (double)(clk_mono_ns() - a0) / 1e6, (double)(cpu_ns() - a1) / 1e6, crc);
        if (f) fclose(f);
        free(blk);
    }
    bench_frames(&v, cv, &desc, &dl, frames, png_dir, only);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    rdr_canvas_close(cv);
    for (uint32_t i = 0; i < ld.rec->nruns; i++) trc_model_release(&ld.models[i]);
    free(ld.models);
    trc_recording_free(ld.rec);
    return 0;
}

int main(int argc, char **argv) {
    size_t events = 1000000;
    uint32_t units = 32;
    int frames = 60;
    const char *png_dir = NULL, *weft = NULL;
    bool small = false, view = false, no_flows = false;
    int only = -1;
    double at = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc) events = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--units") && i + 1 < argc) units = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc) frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--png") && i + 1 < argc) png_dir = argv[++i];
        else if (!strcmp(argv[i], "--at") && i + 1 < argc) at = atof(argv[++i]);
        else if (!strcmp(argv[i], "--small")) small = true;
        else if (!strcmp(argv[i], "--view")) view = true;
        else if (!strcmp(argv[i], "--no-flows")) no_flows = true;
        else if (!strcmp(argv[i], "--zoom") && i + 1 < argc) only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--weft") && i + 1 < argc) weft = argv[++i];
        else {
            fprintf(stderr, "usage: bench_render [--events N] [--units N] [--frames N] [--png DIR] [--small] [--view] "
                            "[--at F] [--zoom I] [--no-flows] [--weft FILE]\n");
            return 2;
        }
    }
    if (frames < 1) frames = 1;
    diag d = { 0 };
    if (weft) return bench_weft(weft, frames, png_dir, only, no_flows, at);
    uint64_t t0 = clk_mono_ns();
    trc_recording *rec = gen_run(events, units, small);
    uint64_t t1 = clk_mono_ns();
    trc_model m;
    if (trc_model_build(&m, &rec->runs[0], &d)) {
        fprintf(stderr, "bench_render: model: %s\n", d.msg);
        return 1;
    }
    uint64_t t2 = clk_mono_ns();
    size_t spans = 0;
    for (uint32_t u = 0; u < rec->runs[0].nunits; u++) spans += m.units[u].nspans;
    char mk[32];
    fmt_dur(mk, sizeof mk, m.makespan);
    printf("bench_render: %zu events%s, %u units, makespan %s; %s %.0f ms, model %.0f ms "
           "(%zu spans, %zu flows, %zu lost)\n",
           rec->runs[0].nevents, "", rec->runs[0].nunits, mk, "generate",
           (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6, spans, m.nflows, (size_t)rec->runs[0].lost);

    rdr_view_desc desc = { .rec = rec, .models = &m, .nmodels = 1, .width = 1280, .height = 720, .at = at };
    int rc = 0;
    if (view) {
        rc = rdr_view_run(&desc, &d);
        if (rc) fprintf(stderr, "bench_render: %s\n", d.msg);
        goto done;
    }
    rdr_canvas *cv;
    if ((rc = rdr_canvas_open(&cv, desc.width, desc.height, NULL, &d))) {
        fprintf(stderr, "bench_render: %s\n", d.msg);
        goto done;
    }
    rdr_view v;
    if ((rc = rdr_view_init(&v, &desc, &d))) {
        fprintf(stderr, "bench_render: %s\n", d.msg);
        rdr_canvas_close(cv);
        goto done;
    }
    v.show_flows = !no_flows;
    /* the first frame builds the level-of-detail index */
    rdr_drawlist dl = { 0 };
    uint64_t f0 = clk_mono_ns();
    rdr_build(&v, &dl, rdr_canvas_metrics(cv));
    rdr_canvas_submit(cv, &dl);
    uint64_t f1 = clk_mono_ns();
    printf("first frame (builds the LOD index lazily): %.1f ms", (double)(f1 - f0) / 1e6);
    printf("\n");
    bench_frames(&v, cv, &desc, &dl, frames, png_dir, only);
    rdr_drawlist_free(&dl);
    rdr_view_release(&v);
    rdr_canvas_close(cv);
done:
    trc_model_release(&m);
    free(rec->runs[0].events);
    rec->runs[0].events = NULL;
    trc_recording_free(rec);
    return rc ? 1 : 0;
}
