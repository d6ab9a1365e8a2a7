/* The .weft file format: round trips, streaming, crash safety, corruption. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define T0 1000000000ull

/* For hot loops: Check reports every passing ck_assert through a pipe. */
#define REQUIRE(c) do { if (!(c)) ck_abort_msg("line %d: %s", __LINE__, #c); } while (0)

/* ---- helpers ----------------------------------------------------------- */

static const char *S(arena *a, const char *s) { return arena_strdup(a, s); }

/* Fills run `r` with deterministic content: nu units, no objects, nev events. */
static void fill_run(trc_recording *rec, trc_run *r, int variant, uint32_t nu, uint32_t no, size_t nev) {
    arena *a = &rec->mem;
    char tmp[64];
    r->scenario = S(a, variant ? "second run" : "Producer/consumer over a bounded queue");
    r->source_path = S(a, variant ? "" : "scenarios/pc.scn");
    r->source_text = S(a, variant ? "" : "scenario \"pc\"\nparam items = 60\nqueue jobs capacity=4\n");
    r->source_hash = variant ? 0 : 0x1234567890abcdefull;
    r->backend = S(a, variant ? "processes" : "threads");
    r->seed = 42 + (uint64_t)variant;
    r->machine = S(a, "8 cores, Linux 6.1, test cpu");
    r->cores = 8;
    r->t_start = T0 + (uint64_t)variant * 5000000000ull;
    if (!variant) {
        r->nparams = 3;
        r->params = arena_push(a, 3 * sizeof *r->params);
        r->params[0] = (trc_param){ S(a, "items"), 60, false };
        r->params[1] = (trc_param){ S(a, "delay"), 2000000, true };
        r->params[2] = (trc_param){ S(a, "negative"), -7, false };
    }
    r->nunits = nu;
    r->units = arena_push(a, (nu ? nu : 1) * sizeof *r->units);
    for (uint32_t i = 0; i < nu; i++) {
        snprintf(tmp, sizeof tmp, "worker.%u", i);
        r->units[i] = (trc_unit){ .id = i, .kind = i == 0 ? TRC_UNIT_PROCESS : TRC_UNIT_THREAD,
                                  .parent = i == 0 ? UINT32_MAX : 0, .pid = 100 + (int)variant, .tid = 200 + (int)i,
                                  .name = S(a, tmp), .group = S(a, i == 0 ? "main" : "worker") };
    }
    r->nobjects = no;
    r->objects = arena_push(a, (no ? no : 1) * sizeof *r->objects);
    for (uint32_t i = 0; i < no; i++) {
        snprintf(tmp, sizeof tmp, "obj%u", i + 1);
        r->objects[i] = (trc_object){ .id = i + 1, .kind = i % 2 ? TRC_OBJ_QUEUE : TRC_OBJ_LOCK, .name = S(a, tmp),
                                      .capacity = i % 2 ? 4 : 0 };
    }
    if (!variant) {
        r->nstrings = 4;
        r->strings = arena_push(a, 4 * sizeof *r->strings);
        r->strings[0] = S(a, "start");
        r->strings[1] = S(a, "");
        r->strings[2] = NULL; /* saved as a gap, loads as "" */
        r->strings[3] = S(a, "phase two: a longer mark text");
    }
    r->nevents = nev;
    r->events = arena_push(a, (nev ? nev : 1) * sizeof *r->events);
    for (size_t i = 0; i < nev; i++) {
        uint16_t kind = (uint16_t)(1 + i % 15);
        r->events[i] = (trc_event){ .t = r->t_start + i * 100 + i % 7, .unit = (uint32_t)(i % nu),
                                    .obj = no ? (uint32_t)(i % (no + 1)) : 0, .kind = kind, .aux = (uint16_t)(i % 4),
                                    .arg = kind == TRC_EV_LOST ? i % 100 : i * 2654435761ull,
                                    .extra = (uint32_t)(i ^ 0x55) };
        if (kind == TRC_EV_LOST) r->lost += i % 100;
    }
    r->t_end = r->t_start + nev * 100 + 1000;
    r->end_reason = variant ? TRC_END_OK : TRC_END_DEADLOCK;
    r->report = S(a, variant ? "" : "deadlock: worker.1 -> obj1 -> worker.2 -> obj3 -> worker.1");
}

static trc_recording *make_rec(size_t nev0, size_t nev1) {
    trc_recording *rec = xcalloc(1, sizeof *rec);
    rec->nruns = 2;
    rec->runs = arena_push(&rec->mem, 2 * sizeof *rec->runs);
    fill_run(rec, &rec->runs[0], 0, 5, 3, nev0);
    fill_run(rec, &rec->runs[1], 1, 2, 0, nev1);
    return rec;
}

static const char *nz(const char *s) { return s ? s : ""; }

static void run_eq(const trc_run *a, const trc_run *b) {
    ck_assert_str_eq(nz(a->scenario), b->scenario);
    ck_assert_str_eq(nz(a->source_path), b->source_path);
    ck_assert_str_eq(nz(a->source_text), b->source_text);
    ck_assert_uint_eq(a->source_hash, b->source_hash);
    ck_assert_str_eq(nz(a->backend), b->backend);
    ck_assert_uint_eq(a->seed, b->seed);
    ck_assert_str_eq(nz(a->machine), b->machine);
    ck_assert_uint_eq(a->cores, b->cores);
    ck_assert_uint_eq(a->t_start, b->t_start);
    ck_assert_uint_eq(a->t_end, b->t_end);
    ck_assert_uint_eq(a->nparams, b->nparams);
    for (uint32_t i = 0; i < a->nparams; i++) {
        ck_assert_str_eq(a->params[i].name, b->params[i].name);
        ck_assert_int_eq(a->params[i].value, b->params[i].value);
        ck_assert_int_eq(a->params[i].is_duration, b->params[i].is_duration);
    }
    ck_assert_uint_eq(a->nunits, b->nunits);
    for (uint32_t i = 0; i < a->nunits; i++) {
        const trc_unit *x = &a->units[i], *y = &b->units[i];
        ck_assert_uint_eq(y->id, i);
        ck_assert_uint_eq(x->kind, y->kind);
        ck_assert_uint_eq(x->parent, y->parent);
        ck_assert_int_eq(x->pid, y->pid);
        ck_assert_int_eq(x->tid, y->tid);
        ck_assert_str_eq(x->name, y->name);
        ck_assert_str_eq(x->group, y->group);
    }
    ck_assert_uint_eq(a->nobjects, b->nobjects);
    for (uint32_t i = 0; i < a->nobjects; i++) {
        const trc_object *x = &a->objects[i], *y = &b->objects[i];
        ck_assert_uint_eq(y->id, i + 1);
        ck_assert_uint_eq(x->kind, y->kind);
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->capacity, y->capacity);
    }
    ck_assert_uint_eq(a->nstrings, b->nstrings);
    for (uint32_t i = 0; i < a->nstrings; i++) ck_assert_str_eq(nz(a->strings[i]), b->strings[i]);
    ck_assert_uint_eq(a->nevents, b->nevents);
    for (size_t i = 0; i < a->nevents; i++) {
        const trc_event *x = &a->events[i], *y = &b->events[i];
        if (memcmp(x, y, sizeof *x) != 0)
            ck_abort_msg("event %zu differs: t %llu/%llu kind %u/%u", i, (unsigned long long)x->t,
                         (unsigned long long)y->t, x->kind, y->kind);
    }
    ck_assert_uint_eq(a->end_reason, b->end_reason);
    ck_assert_str_eq(nz(a->report), b->report);
    ck_assert_uint_eq(a->lost, b->lost);
}

/* Everything a consumer relies on after a successful load. */
static void check_valid(const trc_recording *rec) {
    for (uint32_t r = 0; r < rec->nruns; r++) {
        const trc_run *run = &rec->runs[r];
        REQUIRE(run->scenario);
        REQUIRE(run->source_path);
        REQUIRE(run->source_text);
        REQUIRE(run->backend);
        REQUIRE(run->machine);
        REQUIRE(run->report);
        REQUIRE(run->units);
        REQUIRE(run->objects);
        REQUIRE(run->events);
        REQUIRE(run->end_reason <= TRC_END__LAST);
        for (uint32_t i = 0; i < run->nparams; i++) REQUIRE(run->params[i].name);
        for (uint32_t i = 0; i < run->nunits; i++) {
            REQUIRE(run->units[i].id == i);
            REQUIRE(run->units[i].parent == UINT32_MAX || run->units[i].parent < i);
            REQUIRE(run->units[i].name);
            REQUIRE(run->units[i].group);
        }
        for (uint32_t i = 0; i < run->nobjects; i++) {
            REQUIRE(run->objects[i].id == i + 1);
            REQUIRE(run->objects[i].name);
        }
        for (uint32_t i = 0; i < run->nstrings; i++) REQUIRE(run->strings[i]);
        uint64_t lost = 0;
        for (size_t i = 0; i < run->nevents; i++) {
            const trc_event *e = &run->events[i];
            if (i) REQUIRE(run->events[i - 1].t <= e->t);
            REQUIRE(e->unit < run->nunits);
            REQUIRE(e->obj <= run->nobjects);
            REQUIRE(e->kind > 0 && e->kind < TRC_EV__MAX);
            if (e->kind == TRC_EV_LOST) lost += e->arg;
        }
        REQUIRE(lost == run->lost);
        if (run->end_reason == TRC_END_UNFINISHED && run->nevents)
            REQUIRE(run->t_end >= run->events[run->nevents - 1].t);
    }
}

static uint8_t *slurp(const char *path, size_t *n) {
    char *p;
    diag d;
    diag_clear(&d);
    ck_assert_int_eq(file_read_all(path, &p, n, &d), 0);
    return (uint8_t *)p;
}

typedef struct tent { uint16_t type; uint32_t run; uint64_t off, len; } tent;

/* Walks the trailer and section table by hand (the spec in trc_format.h). */
static size_t read_table(const uint8_t *p, size_t n, tent *out, size_t max, uint64_t *table_off) {
    ck_assert_uint_ge(n, 32 + 32 + 24);
    const uint8_t *t = p + n - 24;
    ck_assert_mem_eq(t, "WEFTEND\n", 8);
    ck_assert_uint_eq(ld_u32le(t + 20), crc32_update(0, t, 20));
    uint64_t off = ld_u64le(t + 8);
    uint32_t cnt = ld_u32le(t + 16);
    *table_off = off;
    ck_assert_uint_eq(ld_u32le(p + off), 0x4b484357u);
    ck_assert_uint_eq(p[off + 4] | p[off + 5] << 8, 7);
    ck_assert_uint_eq(ld_u32le(p + off + 32), cnt);
    ck_assert_uint_le(cnt, max);
    for (uint32_t i = 0; i < cnt; i++) {
        const uint8_t *e = p + off + 32 + 8 + 24 * i;
        out[i] = (tent){ .type = (uint16_t)(e[0] | e[1] << 8), .run = ld_u32le(e + 4), .off = ld_u64le(e + 8),
                         .len = ld_u64le(e + 16) };
    }
    return cnt;
}

/* Recomputes a chunk's payload and header CRCs after a test edited it. */
static void fix_chunk(uint8_t *p, uint64_t off) {
    uint64_t len = ld_u64le(p + off + 16);
    wr_u32le(p + off + 24, crc32_update(0, p + off + 32, len));
    wr_u32le(p + off + 28, crc32_update(0, p + off, 28));
}

static int load_mem(trc_recording **rec, const uint8_t *p, size_t n, diag *d) {
    diag_clear(d);
    return trc_recording_load_mem(rec, p, n, "mem.weft", d);
}

static size_t total_events(const trc_recording *rec) {
    size_t n = 0;
    for (uint32_t r = 0; r < rec->nruns; r++) n += rec->runs[r].nevents;
    return n;
}

/* A small 2-run file written through the streaming API, flushed often so it
 * has many chunks; units arrive in two UNITS chunks. */
static void write_small(const char *path) {
    diag d;
    diag_clear(&d);
    trc_recording *src = make_rec(0, 0);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    for (int r = 0; r < 2; r++) {
        trc_run run = src->runs[r];
        uint32_t nu = run.nunits;
        run.nunits = 1;
        ck_assert_int_eq(trc_writer_run_begin(w, &run, &d), r);
        ck_assert_int_eq(trc_writer_units(w, src->runs[r].units + 1, nu - 1, &d), 0);
        ck_assert_int_eq(trc_writer_string(w, 0, "hello", &d), 0);
        for (int b = 0; b < 6; b++) {
            trc_event ev[20];
            for (int i = 0; i < 20; i++)
                ev[i] = (trc_event){ .t = run.t_start + (uint64_t)(b * 20 + i) * 10, .unit = (uint32_t)i % nu,
                                     .kind = i % 5 ? TRC_EV_COMPUTE_BEGIN : TRC_EV_LOST, .arg = 3,
                                     .obj = run.nobjects ? 1 : 0 };
            ck_assert_int_eq(trc_writer_events(w, ev, 20, &d), 0);
            ck_assert_int_eq(trc_writer_flush(w, &d), 0);
        }
        ck_assert_int_eq(trc_writer_run_end(w, run.t_start + 5000, TRC_END_OK, r ? "" : "fine", &d), 0);
    }
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    trc_recording_free(src);
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(test_roundtrip_two_runs) {
    trc_recording *src = make_rec(70000, 1000);  /* run 0 needs two EVENTS chunks */
    const char *path = tmp_path("rt.weft");
    diag d;
    diag_clear(&d);
    ck_assert_msg(trc_recording_save(src, path, &d) == 0, "%s", d.msg);
    trc_recording *rec;
    ck_assert_msg(trc_recording_load(&rec, path, &d) == 0, "%s", d.msg);
    ck_assert(!rec->truncated);
    ck_assert_uint_eq(rec->nruns, 2);
    run_eq(&src->runs[0], &rec->runs[0]);
    run_eq(&src->runs[1], &rec->runs[1]);
    ck_assert_uint_gt(rec->runs[0].lost, 0);
    check_valid(rec);

    /* the chunks: RUN_BEGIN, UNITS, OBJECTS, 3 STRINGs, 2 EVENTS, RUN_END, then run 1 */
    size_t n;
    uint8_t *p = slurp(path, &n);
    tent t[64];
    uint64_t toff;
    size_t cnt = read_table(p, n, t, 64, &toff);
    int events0 = 0, units = 0, objects = 0, strings = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (t[i].type == 5 && t[i].run == 0) events0++;
        if (t[i].type == 2) units++;
        if (t[i].type == 3) objects++;
        if (t[i].type == 4) strings++;
    }
    ck_assert_int_eq(events0, 2);
    ck_assert_int_eq(units, 2);
    ck_assert_int_eq(objects, 1);
    ck_assert_int_eq(strings, 3);
    ck_assert_uint_eq(t[0].type, 1);
    ck_assert_uint_eq(t[0].off, 32);
    free(p);

    /* save what was loaded: byte-identical file (once the gap is a gap again) */
    ck_assert_str_eq(rec->runs[0].strings[2], "");
    rec->runs[0].strings[2] = NULL;
    const char *path2 = tmp_path("rt2.weft");
    ck_assert_int_eq(trc_recording_save(rec, path2, &d), 0);
    size_t n2;
    uint8_t *p1 = slurp(path, &n), *p2 = slurp(path2, &n2);
    ck_assert_uint_eq(n, n2);
    ck_assert(memcmp(p1, p2, n) == 0);
    free(p1);
    free(p2);
    trc_recording_free(rec);
    trc_recording_free(src);
}
END_TEST

START_TEST(test_units_in_two_chunks) {
    const char *path = tmp_path("units.weft");
    write_small(path);
    diag d;
    diag_clear(&d);
    trc_recording *rec;
    ck_assert_msg(trc_recording_load(&rec, path, &d) == 0, "%s", d.msg);
    ck_assert(!rec->truncated);
    ck_assert_uint_eq(rec->nruns, 2);
    const trc_run *r = &rec->runs[0];
    ck_assert_uint_eq(r->nunits, 5);
    for (uint32_t i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "worker.%u", i);
        ck_assert_uint_eq(r->units[i].id, i);
        ck_assert_str_eq(r->units[i].name, name);
    }
    ck_assert_uint_eq(r->nevents, 120);
    ck_assert_uint_eq(r->nstrings, 1);
    ck_assert_str_eq(r->strings[0], "hello");
    ck_assert_str_eq(r->report, "fine");
    ck_assert_uint_eq(r->lost, 24 * 3);
    ck_assert_uint_eq(rec->runs[1].nunits, 2);
    check_valid(rec);
    trc_recording_free(rec);
}
END_TEST

START_TEST(test_truncated_every_offset) {
    const char *path = tmp_path("cut.weft");
    write_small(path);
    size_t n;
    uint8_t *p = slurp(path, &n);
    size_t prev_events = 0;
    int ok = 0, failed = 0;
    for (size_t len = 0; len <= n; len++) {
        /* a private copy of exactly `len` bytes, so ASan sees any overread */
        uint8_t *cut = xmalloc(len ? len : 1);
        memcpy(cut, p, len);
        trc_recording *rec = NULL;
        diag d;
        int rc = load_mem(&rec, cut, len, &d);
        if (rc == 0) {
            ok++;
            REQUIRE(rec->nruns >= 1);
            check_valid(rec);
            if (len == n) {
                REQUIRE(!rec->truncated);
                REQUIRE(total_events(rec) == 240);
            } else {
                if (!rec->truncated) ck_abort_msg("cut at %zu not flagged", len);
                REQUIRE(rec->truncated_at <= len);
                REQUIRE(rec->truncated_why[0]);
            }
            size_t ev = total_events(rec);
            if (ev < prev_events)
                ck_abort_msg("cut at %zu recovered %zu events, a shorter cut %zu", len, ev, prev_events);
            prev_events = ev;
            trc_recording_free(rec);
        } else {
            failed++;
            REQUIRE(rec == NULL);
            if (ok) ck_abort_msg("cut at %zu fails after shorter cuts loaded", len);
            REQUIRE(d.has_offset);
            REQUIRE(d.offset <= len);
            REQUIRE(d.msg[0]);
        }
        free(cut);
    }
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(failed, 32);

    /* cut right after the header, and inside the first chunk */
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(load_mem(&rec, p, 32, &d), -ERR_FORMAT);
    ck_assert_uint_eq(d.offset, 32);
    ck_assert_ptr_nonnull(strstr(d.msg, "no chunk"));
    ck_assert_int_eq(load_mem(&rec, p, 50, &d), -ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(d.msg, "file ends inside chunk 0 header"));
    ck_assert_int_eq(load_mem(&rec, p, 70, &d), -ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(d.msg, "file ends inside chunk 0 (RUN_BEGIN) payload"));
    ck_assert_uint_eq(d.offset, 64);

    /* trailer gone: everything is recovered, but the file is flagged */
    ck_assert_int_eq(load_mem(&rec, p, n - 24, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, n - 24);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "trailer"));
    ck_assert_uint_eq(total_events(rec), 240);
    ck_assert_uint_eq(rec->runs[1].end_reason, TRC_END_OK);
    trc_recording_free(rec);

    /* section table gone too: still everything */
    tent t[64];
    uint64_t toff;
    read_table(p, n, t, 64, &toff);
    ck_assert_int_eq(load_mem(&rec, p, toff, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, toff);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "no section table"));
    ck_assert_uint_eq(total_events(rec), 240);
    trc_recording_free(rec);
    free(p);
}
END_TEST

START_TEST(test_crash_keeps_flushed_events) {
    const char *path = tmp_path("crash.weft");
    trc_recording *src = make_rec(0, 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        diag d;
        trc_writer *w;
        if (trc_writer_open(&w, path, &d)) _exit(2);
        if (trc_writer_run_begin(w, &src->runs[0], &d) < 0) _exit(3);
        trc_event ev[1000];
        for (int i = 0; i < 1000; i++)
            ev[i] = (trc_event){ .t = T0 + 10 + (uint64_t)i, .unit = (uint32_t)i % 5, .kind = TRC_EV_MARK };
        if (trc_writer_events(w, ev, 1000, &d)) _exit(4);
        if (trc_writer_flush(w, &d)) _exit(5);
        if (trc_writer_events(w, ev, 500, &d)) _exit(6);  /* buffered, lost with the process */
        _exit(0);                                         /* dies without closing */
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    trc_recording *rec;
    diag d;
    diag_clear(&d);
    ck_assert_msg(trc_recording_load(&rec, path, &d) == 0, "%s", d.msg);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->nruns, 1);
    const trc_run *r = &rec->runs[0];
    ck_assert_uint_eq(r->nevents, 1000);
    ck_assert_uint_eq(r->end_reason, TRC_END_UNFINISHED);
    ck_assert_uint_eq(r->t_end, T0 + 10 + 999);
    ck_assert_uint_eq(r->nunits, 5);
    ck_assert_uint_eq(r->nobjects, 3);
    check_valid(rec);
    trc_recording_free(rec);
    trc_recording_free(src);
}
END_TEST

START_TEST(test_unfinished_run_closed) {
    /* closed without run_end: complete file, run unfinished, t_end = last event */
    const char *path = tmp_path("unfinished.weft");
    trc_recording *src = make_rec(0, 0);
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[1], &d), 0);
    trc_event ev[3] = { { .t = 500, .unit = 1, .kind = TRC_EV_UNIT_START },
                        { .t = 900, .unit = 0, .kind = TRC_EV_UNIT_START },
                        { .t = 700, .unit = 1, .kind = TRC_EV_UNIT_EXIT } };
    ck_assert_int_eq(trc_writer_events(w, ev, 3, &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_load(&rec, path, &d), 0);
    ck_assert(!rec->truncated);
    ck_assert_uint_eq(rec->runs[0].end_reason, TRC_END_UNFINISHED);
    ck_assert_uint_eq(rec->runs[0].t_end, 900);
    ck_assert_uint_eq(rec->runs[0].events[1].t, 700);
    trc_recording_free(rec);
    trc_recording_free(src);
}
END_TEST

START_TEST(test_flipped_payload_byte) {
    const char *path = tmp_path("flip.weft");
    write_small(path);
    size_t n;
    uint8_t *p = slurp(path, &n);
    tent t[64];
    uint64_t toff;
    size_t cnt = read_table(p, n, t, 64, &toff);
    /* the third EVENTS chunk of run 1 */
    size_t k = 0;
    int seen = 0;
    for (size_t i = 0; i < cnt; i++)
        if (t[i].type == 5 && t[i].run == 1 && ++seen == 3) k = i;
    ck_assert_uint_gt(k, 0);
    p[t[k].off + 32 + 100] ^= 0x10;
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(load_mem(&rec, p, n, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, t[k].off);
    char want[64];
    snprintf(want, sizeof want, "chunk %zu (EVENTS) payload CRC mismatch", k);
    ck_assert_str_eq(rec->truncated_why, want);
    ck_assert_uint_eq(rec->nruns, 2);
    ck_assert_uint_eq(rec->runs[0].nevents, 120);
    ck_assert_uint_eq(rec->runs[0].end_reason, TRC_END_OK);
    ck_assert_uint_eq(rec->runs[1].nevents, 40);
    ck_assert_uint_eq(rec->runs[1].end_reason, TRC_END_UNFINISHED);
    check_valid(rec);
    trc_recording_free(rec);
    p[t[k].off + 32 + 100] ^= 0x10;

    /* a flipped byte in a chunk header */
    p[t[k].off + 9] ^= 0x01;
    ck_assert_int_eq(load_mem(&rec, p, n, &d), 0);
    ck_assert_uint_eq(rec->truncated_at, t[k].off);
    snprintf(want, sizeof want, "chunk %zu header CRC mismatch", k);
    ck_assert_str_eq(rec->truncated_why, want);
    trc_recording_free(rec);
    p[t[k].off + 9] ^= 0x01;

    /* in the first chunk: no run can be read at all */
    p[32 + 32 + 3] ^= 0x80;
    ck_assert_int_eq(load_mem(&rec, p, n, &d), -ERR_FORMAT);
    ck_assert_ptr_null(rec);
    ck_assert(d.has_offset);
    ck_assert_uint_eq(d.offset, 64);
    ck_assert_str_eq(d.msg, "chunk 0 (RUN_BEGIN) payload CRC mismatch");
    ck_assert_str_eq(d.file, "mem.weft");
    free(p);
}
END_TEST

START_TEST(test_bad_header) {
    const char *path = tmp_path("hdr.weft");
    write_small(path);
    size_t n;
    uint8_t *p = slurp(path, &n);
    trc_recording *rec;
    diag d;

    uint8_t *q = xmalloc(n);
    memcpy(q, p, n);
    q[0] = 'X';
    ck_assert_int_eq(load_mem(&rec, q, n, &d), -ERR_FORMAT);
    ck_assert(d.has_offset);
    ck_assert_uint_eq(d.offset, 0);
    ck_assert_ptr_nonnull(strstr(d.msg, "bad magic in file header"));

    memcpy(q, p, n);
    q[8] = 7;
    wr_u32le(q + 28, crc32_update(0, q, 28));
    ck_assert_int_eq(load_mem(&rec, q, n, &d), -ERR_VERSION);
    ck_assert_uint_eq(d.offset, 8);
    ck_assert_str_eq(d.msg, "unsupported version 7.0 (this weft reads 1.x)");

    memcpy(q, p, n);  /* a newer minor version reads fine */
    q[10] = 3;
    wr_u32le(q + 28, crc32_update(0, q, 28));
    ck_assert_int_eq(load_mem(&rec, q, n, &d), 0);
    trc_recording_free(rec);

    memcpy(q, p, n);
    q[20] ^= 1;
    ck_assert_int_eq(load_mem(&rec, q, n, &d), -ERR_FORMAT);
    ck_assert_uint_eq(d.offset, 0);
    ck_assert_str_eq(d.msg, "file header CRC mismatch");

    ck_assert_int_eq(load_mem(&rec, NULL, 0, &d), -ERR_FORMAT);
    ck_assert(d.has_offset);
    ck_assert_uint_eq(d.offset, 0);
    ck_assert_ptr_nonnull(strstr(d.msg, "empty file"));

    ck_assert_int_eq(load_mem(&rec, p, 5, &d), -ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(d.msg, "file ends inside the file header"));

    /* the same through the file API */
    const char *empty = tmp_path("empty.weft");
    FILE *f = fopen(empty, "wb");
    fclose(f);
    diag_clear(&d);
    ck_assert_int_eq(trc_recording_load(&rec, empty, &d), -ERR_FORMAT);
    ck_assert(d.has_offset);
    ck_assert_uint_eq(d.offset, 0);
    ck_assert_str_eq(d.file, empty);
    diag_clear(&d);
    ck_assert_int_eq(trc_recording_load(&rec, tmp_path("missing.weft"), &d), -ERR_IO);
    ck_assert(!d.has_offset);
    diag_clear(&d);
    ck_assert_int_eq(trc_recording_load(&rec, "/tmp", &d), -ERR_IO);
    free(q);
    free(p);
}
END_TEST

START_TEST(test_section_table_used) {
    const char *path = tmp_path("table.weft");
    write_small(path);
    size_t n;
    uint8_t *p = slurp(path, &n);
    tent t[64];
    uint64_t toff;
    size_t cnt = read_table(p, n, t, 64, &toff);
    /* contiguous, in order, and it agrees with each chunk header */
    uint64_t pos = 32;
    for (size_t i = 0; i < cnt; i++) {
        ck_assert_uint_eq(t[i].off, pos);
        ck_assert_uint_eq(p[pos + 4], t[i].type);
        ck_assert_uint_eq(ld_u32le(p + pos + 8), t[i].run);
        ck_assert_uint_eq(ld_u32le(p + pos + 12), i);
        ck_assert_uint_eq(ld_u64le(p + pos + 16), t[i].len);
        pos += 32 + t[i].len;
    }
    ck_assert_uint_eq(pos, toff);

    /* the reader walks the table: an entry that disagrees with its chunk is caught */
    uint8_t *e = p + toff + 32 + 8 + 24 * 5;
    uint32_t run = ld_u32le(e + 4);
    wr_u32le(e + 4, run + 1);
    fix_chunk(p, toff);
    trc_recording *rec;
    diag d;
    ck_assert_int_eq(load_mem(&rec, p, n, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, t[5].off);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "section table entry 5"));
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "disagrees"));
    check_valid(rec);
    trc_recording_free(rec);

    /* with a broken trailer the chunks are walked one by one and the same
     * disagreement is found when the table chunk is reached */
    p[n - 1] ^= 0xff;
    ck_assert_int_eq(load_mem(&rec, p, n, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, toff);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "section table entry 5"));
    ck_assert_uint_eq(total_events(rec), 240);
    trc_recording_free(rec);

    /* table fine, trailer broken: everything is read, the trailer is blamed */
    wr_u32le(e + 4, run);
    fix_chunk(p, toff);
    ck_assert_int_eq(load_mem(&rec, p, n, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, n - 24);
    ck_assert_str_eq(rec->truncated_why, "trailer CRC mismatch");
    ck_assert_uint_eq(total_events(rec), 240);
    trc_recording_free(rec);
    free(p);
}
END_TEST

/* Loads `path`: run 0 must hold events with arg 0..n-1 (the order written),
 * sorted by time, equal times in written order. */
static void check_sorted_stable(const char *path, uint64_t n) {
    trc_recording *rec;
    diag d;
    diag_clear(&d);
    ck_assert_msg(trc_recording_load(&rec, path, &d) == 0, "%s", d.msg);
    ck_assert(!rec->truncated);
    const trc_run *r = &rec->runs[0];
    ck_assert_uint_eq(r->nevents, n);
    for (size_t i = 1; i < r->nevents; i++) {
        REQUIRE(r->events[i - 1].t <= r->events[i].t);
        if (r->events[i - 1].t == r->events[i].t) REQUIRE(r->events[i - 1].arg < r->events[i].arg);
    }
    uint8_t *seen = xcalloc(n, 1);
    for (size_t i = 0; i < r->nevents; i++) {
        REQUIRE(r->events[i].arg < n);
        REQUIRE(!seen[r->events[i].arg]);
        seen[r->events[i].arg] = 1;
    }
    free(seen);
    trc_recording_free(rec);
}

START_TEST(test_events_sorted) {
    const char *path = tmp_path("sorted.weft");
    trc_recording *src = make_rec(0, 0);
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    /* five "per-thread buffers", each sorted, drained in interleaved batches;
     * the arg is the order of writing so stability can be checked */
    enum { PER = 20000, UNITS = 5 };
    trc_event *ev = xmalloc(sizeof *ev * PER);
    uint64_t seq = 0;
    for (int batch = 0; batch < 4; batch++)
        for (int u = 0; u < UNITS; u++) {
            size_t k = 0;
            for (int i = 0; i < PER / 4; i++) {
                uint64_t t = T0 + (uint64_t)(batch * (PER / 4) + i) * 10 + (uint64_t)(u * 3 % 7);
                if (i % 100 == 0) t = T0 + 12345;  /* many equal times across units */
                ev[k++] = (trc_event){ .t = t, .unit = (uint32_t)u, .kind = TRC_EV_MARK, .arg = seq++ };
            }
            ck_assert_int_eq(trc_writer_events(w, ev, k, &d), 0);
            if (u == 2) ck_assert_int_eq(trc_writer_flush(w, &d), 0);
        }
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 1000000000ull, TRC_END_OK, "", &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    check_sorted_stable(path, seq);
    free(ev);
    trc_recording_free(src);
}
END_TEST

/* What a run with the kernel's context switches writes: each unit's events in
 * order, then, after the run, switches of every unit in time order (each
 * unit's second stream, back in time), then a last event of unit 0 back in
 * time again (a third stream). The merge reads them as a stable sort would,
 * every event once. */
START_TEST(test_events_sorted_second_stream) {
    const char *path = tmp_path("streams.weft");
    trc_recording *src = make_rec(0, 0);
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    enum { PER = 3000, UNITS = 5, SW = 4000 };
    trc_event *ev = xmalloc(sizeof *ev * SW);
    uint64_t seq = 0;
    for (int batch = 0; batch < 3; batch++)
        for (int u = 0; u < UNITS; u++) {
            size_t k = 0;
            for (int i = 0; i < PER / 3; i++)
                ev[k++] = (trc_event){ .t = T0 + (uint64_t)(batch * PER / 3 + i) * 20 + (uint64_t)u,
                                       .unit = (uint32_t)u, .kind = TRC_EV_MARK, .arg = seq++ };
            ck_assert_int_eq(trc_writer_events(w, ev, k, &d), 0);
        }
    for (int i = 0; i < SW; i++)   /* ties with the units' own events at every 4th */
        ev[i] = (trc_event){ .t = T0 + (uint64_t)i * 15 + (i % 4 ? 7 : 0), .unit = (uint32_t)(i * 7 % UNITS),
                             .kind = TRC_EV_SCHED_SWITCH, .arg = seq++ };
    ck_assert_int_eq(trc_writer_events(w, ev, SW, &d), 0);
    ev[0] = (trc_event){ .t = T0 + 5, .unit = 0, .kind = TRC_EV_MARK, .arg = seq++ };
    ck_assert_int_eq(trc_writer_events(w, ev, 1, &d), 0);
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 1000000000ull, TRC_END_OK, "", &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    check_sorted_stable(path, seq);
    free(ev);
    trc_recording_free(src);
}
END_TEST

/* Noise rather than batches: far too many ascending runs for the heap merge,
 * so the fallback merge sort runs; few distinct times, so ties abound. */
START_TEST(test_events_sorted_noise) {
    const char *path = tmp_path("noise.weft");
    trc_recording *src = make_rec(0, 0);
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    enum { N = 300000 };
    trc_event *ev = xmalloc(sizeof *ev * N);
    uint64_t x = 2463534242ull;
    for (uint64_t i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        ev[i] = (trc_event){ .t = T0 + x % 5000, .unit = (uint32_t)(x >> 40) % 5, .kind = TRC_EV_SLEEP_END, .arg = i };
    }
    ck_assert_int_eq(trc_writer_events(w, ev, N, &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    check_sorted_stable(path, N);
    free(ev);
    trc_recording_free(src);
}
END_TEST

/* A file as big as the reader's windows: chunks of 2 MiB (longer than the
 * loader's read-ahead), five units whose batches interleave (the merge's shared
 * window), a unit silent for most of the run (a stream far behind the others),
 * then every unit's second stream near the end (streams further apart than the
 * shared window), LOST events among them. Read from the file (pread into
 * windows), everything must come out as from the same bytes in memory: the
 * events in the same order, the same losses; and so must the same file cut
 * short inside a chunk, or with a byte flipped in a chunk in the middle. */
static void same_as_mem(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    fclose(f);
    trc_recording *a, *b;
    diag d;
    diag_clear(&d);
    ck_assert_msg(trc_recording_open(&a, path, 0, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(load_mem(&b, p, n, &d), 0);
    ck_assert_int_eq(a->truncated, b->truncated);
    ck_assert_uint_eq(a->truncated_at, b->truncated_at);
    ck_assert_str_eq(a->truncated_why, b->truncated_why);
    ck_assert_uint_eq(a->nruns, b->nruns);
    for (uint32_t r = 0; r < a->nruns; r++) {
        const trc_run *ra = &a->runs[r], *rb = &b->runs[r];
        ck_assert_ptr_null(ra->events);
        ck_assert_uint_eq(ra->nevents, rb->nevents);
        ck_assert_uint_eq(ra->lost, rb->lost);
        trc_evcur *c;
        ck_assert_int_eq(trc_evcur_open(&c, ra, &d), 0);
        const trc_event *e;
        size_t k, at = 0;
        int bad = 0;
        while ((k = trc_evcur_next(c, &e)) > 0) {
            for (size_t i = 0; i < k; i++) {
                uint64_t off;
                if (at + i >= rb->nevents || memcmp(&e[i], &rb->events[at + i], sizeof *e)) bad++;
                if (!trc_evcur_offset(c, i, &off) || off + 32 > n || memcmp(p + off, &e[i], 32)) bad++;
            }
            at += k;
        }
        trc_evcur_close(c);
        ck_assert_int_eq(bad, 0);
        ck_assert_uint_eq(at, rb->nevents);
    }
    trc_recording_free(a);
    trc_recording_free(b);
}

START_TEST(test_big_file_read_as_in_memory) {
    const char *path = tmp_path("big.weft");
    trc_recording *src = make_rec(0, 0);
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    enum { UNITS = 5, BATCH = 3000, BATCHES = 50, SW = 120000 };
    trc_event *ev = xmalloc(sizeof *ev * SW);
    uint64_t seq = 0;
    for (int batch = 0; batch < BATCHES; batch++)
        for (int u = 0; u < UNITS; u++) {
            if (u == 4 && batch > 0 && batch < BATCHES - 1) continue;   /* silent in between */
            size_t k = 0;
            for (int i = 0; i < BATCH; i++) {
                uint64_t t = T0 + (uint64_t)(batch * BATCH + i) * 10 + (uint64_t)u;
                bool lost = i == BATCH / 2 && u == batch % UNITS;
                ev[k++] = (trc_event){ .t = t, .unit = (uint32_t)u, .kind = lost ? TRC_EV_LOST : TRC_EV_MARK,
                                       .arg = lost ? 3 : seq };
                seq++;
            }
            ck_assert_int_eq(trc_writer_events(w, ev, k, &d), 0);
        }
    for (int i = 0; i < SW; i++)   /* the second streams: back in time, all units interleaved */
        ev[i] = (trc_event){ .t = T0 + (uint64_t)i * 12 + 3, .unit = (uint32_t)(i * 7 % UNITS),
                             .kind = TRC_EV_SCHED_SWITCH, .arg = seq++ };
    ck_assert_int_eq(trc_writer_events(w, ev, SW, &d), 0);
    ck_assert_int_eq(trc_writer_run_end(w, T0 + 1000000000ull, TRC_END_OK, "", &d), 0);
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    size_t n;
    uint8_t *p = slurp(path, &n);
    ck_assert_uint_gt(n, 20u << 20);   /* more than two shared windows */
    const char *copy = tmp_path("big_copy.weft");
    same_as_mem(copy, p, n);
    same_as_mem(copy, p, n / 2);                   /* cut inside a chunk */
    same_as_mem(copy, p, n - 100);                 /* the section table and trailer cut off */
    uint8_t *q = xmalloc(n);
    memcpy(q, p, n);
    q[n / 3] ^= 0x40;                              /* a chunk in the middle fails its CRC */
    same_as_mem(copy, q, n);
    free(q);
    free(p);
    free(ev);
    trc_recording_free(src);
}
END_TEST

START_TEST(test_bad_references) {
    const char *path = tmp_path("refs.weft");
    write_small(path);
    size_t n;
    uint8_t *p = slurp(path, &n);
    tent t[64];
    uint64_t toff;
    size_t cnt = read_table(p, n, t, 64, &toff);
    size_t k = 0;
    int seen = 0;
    for (size_t i = 0; i < cnt; i++)
        if (t[i].type == 5 && t[i].run == 0 && ++seen == 2) k = i;
    uint8_t *q = xmalloc(n);
    trc_recording *rec;
    diag d;
    char want[96];

    /* event 3 of the chunk names unit 9 of 5 */
    memcpy(q, p, n);
    wr_u32le(q + t[k].off + 32 + 8 + 3 * 32 + 16, 9);
    fix_chunk(q, t[k].off);
    ck_assert_int_eq(load_mem(&rec, q, n, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, t[k].off);
    snprintf(want, sizeof want, "chunk %zu (EVENTS): event 3 (compute_begin) names unit 9 of 5", k);
    ck_assert_str_eq(rec->truncated_why, want);
    ck_assert_uint_eq(rec->nruns, 1);
    ck_assert_uint_eq(rec->runs[0].nevents, 20);
    check_valid(rec);
    trc_recording_free(rec);

    /* an object that does not exist, and a kind out of range */
    memcpy(q, p, n);
    wr_u32le(q + t[k].off + 32 + 8 + 20, 4);
    fix_chunk(q, t[k].off);
    ck_assert_int_eq(load_mem(&rec, q, n, &d), 0);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "names object 4 of 3"));
    trc_recording_free(rec);
    memcpy(q, p, n);
    q[t[k].off + 32 + 8 + 32 + 24] = 200;
    fix_chunk(q, t[k].off);
    ck_assert_int_eq(load_mem(&rec, q, n, &d), 0);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "event 1 has kind 200"));
    trc_recording_free(rec);

    /* a string length past the payload, with valid CRCs: in the first chunk */
    memcpy(q, p, n);
    wr_u32le(q + 64, 1000000);
    fix_chunk(q, 32);
    ck_assert_int_eq(load_mem(&rec, q, n, &d), -ERR_FORMAT);
    ck_assert(d.has_offset);
    ck_assert_uint_eq(d.offset, 64);
    ck_assert_ptr_nonnull(strstr(d.msg, "chunk 0 (RUN_BEGIN)"));
    ck_assert_ptr_nonnull(strstr(d.msg, "scenario name"));

    /* a unit whose parent is itself */
    memcpy(q, p, n);
    ck_assert_uint_eq(t[1].type, 2);
    wr_u32le(q + t[1].off + 32 + 8 + 8, 0);
    fix_chunk(q, t[1].off);
    ck_assert_int_eq(load_mem(&rec, q, n, &d), 0);
    ck_assert_ptr_nonnull(strstr(rec->truncated_why, "parent 0 is not an earlier unit"));
    ck_assert_uint_eq(rec->runs[0].nunits, 0);
    ck_assert_uint_eq(rec->runs[0].nevents, 0);
    trc_recording_free(rec);
    free(q);
    free(p);
}
END_TEST

START_TEST(test_writer_errors) {
    diag d;
    diag_clear(&d);
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, "/nonexistent-dir/x.weft", &d), -ERR_IO);
    ck_assert_ptr_null(w);

    trc_recording *src = make_rec(0, 0);
    ck_assert_int_eq(trc_writer_open(&w, tmp_path("werr.weft"), &d), 0);
    trc_event ev = { .t = 1, .unit = 0, .kind = TRC_EV_MARK };
    ck_assert_int_eq(trc_writer_events(w, &ev, 1, &d), -ERR_USAGE);  /* no run */
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), -ERR_USAGE);  /* sticks */
    ck_assert_ptr_nonnull(strstr(d.msg, "outside a run"));
    ck_assert_int_eq(trc_writer_close(w, &d), -ERR_USAGE);

    ck_assert_int_eq(trc_writer_open(&w, tmp_path("werr2.weft"), &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    ev.unit = 9;
    ck_assert_int_eq(trc_writer_events(w, &ev, 1, &d), -ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(d.msg, "names unit 9 of 5"));
    diag_clear(&d);
    ck_assert_int_eq(trc_writer_flush(w, &d), -ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(d.msg, "names unit 9 of 5"));
    ck_assert_int_eq(trc_writer_close(w, &d), -ERR_USAGE);

    ck_assert_int_eq(trc_writer_open(&w, tmp_path("werr3.weft"), &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    ck_assert_int_eq(trc_writer_string(w, 1, "a", &d), 0);
    ck_assert_int_eq(trc_writer_string(w, 1, "b", &d), -ERR_USAGE);
    trc_writer_close(w, NULL);

    ck_assert_int_eq(trc_writer_open(&w, tmp_path("werr4.weft"), &d), 0);
    trc_run bad = src->runs[0];
    trc_unit u[2] = { src->runs[0].units[0], src->runs[0].units[1] };
    u[1].id = 7;
    bad.units = u;
    bad.nunits = 2;
    ck_assert_int_eq(trc_writer_run_begin(w, &bad, &d), -ERR_USAGE);
    trc_writer_close(w, NULL);

    /* i/o errors stick too: /dev/full accepts the open and fails the flush */
    if (access("/dev/full", W_OK) == 0) {
        ck_assert_int_eq(trc_writer_open(&w, "/dev/full", &d), 0);
        int rc = trc_writer_run_begin(w, &src->runs[0], &d);
        if (rc >= 0) rc = trc_writer_flush(w, &d);
        ck_assert_int_eq(rc, -ERR_IO);
        ck_assert_int_eq(trc_writer_flush(w, &d), -ERR_IO);
        ck_assert_int_eq(trc_writer_close(w, &d), -ERR_IO);
    }
    trc_recording_free(src);
}
END_TEST

/* Random damage, with and without CRC fix-ups (so the payload checks run):
 * never a crash, and a load either fails with an offset or is valid. */
START_TEST(test_random_damage) {
    const char *path = tmp_path("fuzz.weft");
    write_small(path);
    size_t n;
    uint8_t *p = slurp(path, &n);
    tent t[64];
    uint64_t toff;
    size_t cnt = read_table(p, n, t, 64, &toff);
    uint8_t *q = xmalloc(n);
    uint64_t s = 88172645463325252ull;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(q, p, n);
        int flips = 1 + iter % 4;
        size_t ci = 0;
        for (int f = 0; f < flips; f++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            ci = (size_t)(s >> 8) % cnt;
            size_t at = iter % 2 ? (size_t)(s >> 20) % n
                                 : (size_t)(t[ci].off + 32 + (t[ci].len ? (s >> 20) % t[ci].len : 0));
            q[at] ^= (uint8_t)(1u << (s % 8));
            if (s % 5 == 0) q[at] = 0xff;
        }
        if (iter % 2 == 0) fix_chunk(q, t[ci].off);
        trc_recording *rec = NULL;
        diag d;
        int rc = load_mem(&rec, q, n, &d);
        if (rc == 0) {
            check_valid(rec);
            trc_recording_free(rec);
        } else {
            REQUIRE(d.has_offset);
            REQUIRE(d.offset <= n);
        }
    }
    free(q);
    free(p);
}
END_TEST

/* ---- inputs that are not recordings, or not files ------------------------ */

/* Runs trc_recording_open(path) in a child under a 256 MiB address-space limit
 * (not under a sanitizer: they map terabytes of shadow) and a 20 s alarm.
 * Returns the child's exit code: 0 opened, 10 + the error code, 100 + signal;
 * msg gets the diagnostic. Stdin of the child is `in_fd` when >= 0. */
static int open_limited(const char *path, int in_fd, char *msg, size_t cap) {
    int pfd[2];
    REQUIRE(pipe(pfd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        if (in_fd >= 0) { dup2(in_fd, 0); close(in_fd); }
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
        struct rlimit rl = { 256u << 20, 256u << 20 };
        setrlimit(RLIMIT_AS, &rl);
#endif
        alarm(20);
        trc_recording *rec;
        diag d;
        diag_clear(&d);
        int rc = trc_recording_open(&rec, path, 0, &d);
        char out[700];
        int n = snprintf(out, sizeof out, "%s%s%llu", d.msg, d.has_offset ? " @" : "",
                         d.has_offset ? (unsigned long long)d.offset : 0ull);
        if (write(pfd[1], out, (size_t)n) < 0) _exit(99);
        if (!rc) trc_recording_free(rec);
        _exit(rc ? 10 - rc : 0);
    }
    close(pfd[1]);
    if (in_fd >= 0) close(in_fd);
    ssize_t k = read(pfd[0], msg, cap - 1);
    msg[k > 0 ? k : 0] = 0;
    close(pfd[0]);
    int st;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

START_TEST(test_hostile_inputs) {
    char msg[800];
    /* /dev/zero: refused at its first bytes, not read until memory runs out */
    ck_assert_int_eq(open_limited("/dev/zero", -1, msg, sizeof msg), 10 + ERR_FORMAT);
    ck_assert_msg(strstr(msg, "bad magic in file header: not a .weft recording @0"), "%s", msg);
    /* a directory */
    ck_assert_int_eq(open_limited("/tmp", -1, msg, sizeof msg), 10 + ERR_IO);
    ck_assert_msg(strstr(msg, "it is a directory"), "%s", msg);
    /* a sparse 10 GiB file: zeros, then one with a good header and zeros after it */
    const char *sparse = tmp_path("sparse.weft");
    FILE *f = fopen(sparse, "wb");
    REQUIRE(f && ftruncate(fileno(f), 10ll << 30) == 0);
    fclose(f);
    ck_assert_int_eq(open_limited(sparse, -1, msg, sizeof msg), 10 + ERR_FORMAT);
    ck_assert_msg(strstr(msg, "bad magic in file header"), "%s", msg);
    const char *good = tmp_path("good-head.weft");
    write_small(good);
    char *data;
    size_t n;
    diag d;
    REQUIRE(file_read_all(good, &data, &n, &d) == 0);
    f = fopen(sparse, "r+b");
    REQUIRE(f && fwrite(data, 1, 32, f) == 32);
    fclose(f);
    ck_assert_int_eq(open_limited(sparse, -1, msg, sizeof msg), 10 + ERR_FORMAT);
    ck_assert_msg(strstr(msg, "bad magic in chunk 0 header @32"), "%s", msg);
    unlink(sparse);
    /* a FIFO nobody writes to: an empty input, at once */
    const char *fifo = tmp_path("fifo.weft");
    REQUIRE(mkfifo(fifo, 0600) == 0);
    ck_assert_int_eq(open_limited(fifo, -1, msg, sizeof msg), 10 + ERR_FORMAT);
    ck_assert_msg(strstr(msg, "empty file"), "%s", msg);
    /* /dev/stdin: a pipe carrying a good recording works, and so does a file */
    int p[2];
    REQUIRE(pipe(p) == 0);
    pid_t w = fork();
    REQUIRE(w >= 0);
    if (w == 0) {
        close(p[0]);
        for (size_t off = 0; off < n;) {
            ssize_t k = write(p[1], data + off, n - off);
            if (k <= 0) _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(p[1]);
    ck_assert_int_eq(open_limited("/dev/stdin", p[0], msg, sizeof msg), 0);
    waitpid(w, NULL, 0);
    int fd = open(good, O_RDONLY);
    ck_assert_int_eq(open_limited("/dev/stdin", fd, msg, sizeof msg), 0);
    /* a pipe carrying zeros: refused after its first bytes */
    REQUIRE(pipe(p) == 0);
    w = fork();
    REQUIRE(w >= 0);
    if (w == 0) {
        close(p[0]);
        static const char zeros[65536];
        for (;;)
            if (write(p[1], zeros, sizeof zeros) <= 0) _exit(0);
    }
    close(p[1]);
    ck_assert_int_eq(open_limited("/dev/stdin", p[0], msg, sizeof msg), 10 + ERR_FORMAT);
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    free(data);
}
END_TEST

START_TEST(test_open_leaves_events_in_the_file) {
    /* opened lazily, the events stay in the file; the cursor reads them in the
     * same order as the sorted copy; trc_run_load_events makes that copy */
    const char *path = tmp_path("lazy.weft");
    trc_recording *src = make_rec(0, 0);
    diag d;
    trc_writer *w;
    ck_assert_int_eq(trc_writer_open(&w, path, &d), 0);
    ck_assert_int_eq(trc_writer_run_begin(w, &src->runs[0], &d), 0);
    enum { PER = 30000, UNITS = 5 };
    trc_event *ev = xmalloc(sizeof *ev * PER);
    uint64_t seq = 0;
    for (int batch = 0; batch < 6; batch++)
        for (int u = 0; u < UNITS; u++) {
            size_t k = 0;
            for (int i = 0; i < PER / 6; i++)
                ev[k++] = (trc_event){ .t = T0 + (uint64_t)(batch * PER + i * 6) * 7 + (uint64_t)u % 3, .unit = (uint32_t)u,
                                       .kind = TRC_EV_MARK, .arg = seq++ };
            ck_assert_int_eq(trc_writer_events(w, ev, k, &d), 0);
        }
    ck_assert_int_eq(trc_writer_close(w, &d), 0);
    trc_recording *lazy, *full;
    ck_assert_int_eq(trc_recording_open(&lazy, path, 0, &d), 0);
    ck_assert_int_eq(trc_recording_load(&full, path, &d), 0);
    trc_run *run = &lazy->runs[0];
    ck_assert_ptr_null(run->events);
    ck_assert_uint_eq(run->nevents, seq);
    ck_assert_uint_eq(full->runs[0].nevents, seq);
    char *raw;
    size_t nraw;
    ck_assert_int_eq(file_read_all(path, &raw, &nraw, &d), 0);
    trc_evcur *c;
    ck_assert_int_eq(trc_evcur_open(&c, run, &d), 0);
    const trc_event *b;
    size_t k, at = 0;
    int bad = 0;
    while ((k = trc_evcur_next(c, &b)) > 0) {
        if (trc_evcur_index(c) != at) bad++;
        for (size_t i = 0; i < k; i++) {
            const trc_event *e = &full->runs[0].events[at + i];
            if (memcmp(e, &b[i], sizeof *e)) bad++;
            if (i && b[i].t < b[i - 1].t) bad++;
            uint64_t off;   /* where the event is in the file */
            if (!trc_evcur_offset(c, i, &off) || off + 32 > nraw || memcmp(raw + off, &b[i], 32)) bad++;
        }
        at += k;
    }
    trc_evcur_close(c);
    free(raw);
    ck_assert_int_eq(bad, 0);
    ck_assert_uint_eq(at, seq);
    ck_assert_int_eq(trc_run_load_events(run, &d), 0);
    ck_assert_ptr_nonnull(run->events);
    ck_assert_int_eq(memcmp(run->events, full->runs[0].events, seq * sizeof *run->events), 0);
    free(ev);
    trc_recording_free(lazy);
    trc_recording_free(full);
    trc_recording_free(src);
}
END_TEST

/* The folded CRC (PCLMULQDQ, and VPCLMULQDQ from 256 bytes, where the CPU has them) agrees
 * with the table byte by byte, at every alignment and length around the fold sizes. */
static void crc_matches_table(void) {
    uint8_t *bytes_in = xmalloc(70000);
    for (size_t i = 0; i < 70000; i++) bytes_in[i] = (uint8_t)(i * 2654435761u >> 13);
    static const size_t lens[] = { 0, 1, 15, 16, 63, 64, 65, 127, 128, 129, 255, 256, 257, 271, 511, 512, 513,
                                   1000, 1088, 4096, 65537, 69000 };
    int bad = 0;
    for (size_t a = 0; a < 17; a++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            size_t n = lens[l];
            uint32_t one = crc32_update(0x12345678u, bytes_in + a, n);
            uint32_t bytes = 0x12345678u;
            for (size_t i = 0; i < n; i += 7) bytes = crc32_update(bytes, bytes_in + a + i, n - i < 7 ? n - i : 7);
            bad += one != bytes;
        }
    ck_assert_int_eq(bad, 0);
    ck_assert_uint_eq(crc32_update(0, "123456789", 9), 0xCBF43926u);
    free(bytes_in);
}

START_TEST(test_crc_against_table) { crc_matches_table(); }
END_TEST

/* The same with the 128-bit fold for every length, as on a CPU without VPCLMULQDQ. The
 * choice is made at the process's first CRC: each test runs in a process of its own (Check's
 * fork mode, the default), so this one's is the first. */
START_TEST(test_crc_128_fold_against_table) {
    setenv("WEFT_CRC_NO512", "1", 1);
    crc_matches_table();
}
END_TEST

/* The tests' own directory is fresh even when an earlier process with this pid left one,
 * with a FIFO where this test's recording goes: pids wrap, and a run that opened such a
 * FIFO to write its recording waited for a reader for ever (a CI hang of test_coro). */
START_TEST(test_tmp_dir_is_fresh) {
    char stale[128], fifo[160];
    snprintf(stale, sizeof stale, "/tmp/weft-test-%d", (int)getpid());
    mkdir(stale, 0700);
    snprintf(fifo, sizeof fifo, "%s/stale.weft", stale);
    unlink(fifo);
    REQUIRE(mkfifo(fifo, 0600) == 0);
    const char *p = tmp_path("stale.weft");
    struct stat st;
    ck_assert_msg(stat(p, &st) != 0 && errno == ENOENT, "%s exists already", p);
    ck_assert_str_ne(p, fifo);
    ck_assert_str_eq(tmp_path("x"), tmp_path("x"));   /* one directory for the whole test */
    unlink(fifo);
    rmdir(stale);
}
END_TEST

static Suite *file_suite(void) {
    Suite *s = suite_create("file");
    TCase *tc = tcase_create("weft");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip_two_runs);
    tcase_add_test(tc, test_tmp_dir_is_fresh);
    tcase_add_test(tc, test_units_in_two_chunks);
    tcase_add_test(tc, test_truncated_every_offset);
    tcase_add_test(tc, test_crash_keeps_flushed_events);
    tcase_add_test(tc, test_unfinished_run_closed);
    tcase_add_test(tc, test_flipped_payload_byte);
    tcase_add_test(tc, test_bad_header);
    tcase_add_test(tc, test_section_table_used);
    tcase_add_test(tc, test_events_sorted);
    tcase_add_test(tc, test_events_sorted_noise);
    tcase_add_test(tc, test_events_sorted_second_stream);
    tcase_add_test(tc, test_big_file_read_as_in_memory);
    tcase_add_test(tc, test_bad_references);
    tcase_add_test(tc, test_writer_errors);
    tcase_add_test(tc, test_random_damage);
    tcase_add_test(tc, test_hostile_inputs);
    tcase_add_test(tc, test_open_leaves_events_in_the_file);
    tcase_add_test(tc, test_crc_against_table);
    tcase_add_test(tc, test_crc_128_fold_against_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return run_suite(file_suite()); }
