/* The recorder: in complete mode every event of units emitting as fast as they
 * can arrives, in order per unit, with their waits for the drain recorded as
 * FLUSH_BEGIN/FLUSH_END; in drop mode what arrives and what LOST events count
 * adds up exactly to what was emitted, including the drops pending at stop;
 * the event limit and write errors are reported without anyone waiting for
 * ever; rings come from any allocator; ticks map to CLOCK_MONOTONIC, also
 * through the cached calibration. The CPU events are off here (.no_cpu): they
 * would add to the counts; tests/test_gil_sched.c has them. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct worker { trc_ring *ring; uint32_t n; } worker;

static void *emit_many(void *arg) {
    worker *w = arg;
    for (uint32_t i = 0; i < w->n; i++) trc_emit(w->ring, TRC_EV_MARK, 0, 0, i, 0);
    return NULL;
}

enum { T = 4 };

/* Four units emitting n events each as fast as they can, through rings of `ring` events. */
static void pressure(trc_recorder *r, uint32_t n, worker w[T]) {
    pthread_t th[T];
    diag d;
    for (int i = 0; i < T; i++) {
        w[i].ring = trc_recorder_ring(r, (uint32_t)i);
        ck_assert_ptr_nonnull(w[i].ring);
        w[i].n = n;
    }
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    for (int i = 0; i < T; i++) pthread_create(&th[i], NULL, emit_many, &w[i]);
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
}

START_TEST(complete_mode_loses_nothing_under_pressure) {
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 1 << 10, .drain_period_us = 500 }, &d),
                     0);
    enum { N = 200000 };
    worker w[T];
    uint64_t before = clk_mono_ns();
    pressure(r, N, w);
    uint64_t after = clk_mono_ns();
    size_t n;
    const trc_event *ev = trc_recorder_events(r, &n);
    uint64_t next[T] = { 0 }, flushes[T] = { 0 }, last_t[T] = { 0 };
    bool in_flush[T] = { false };
    /* one assertion per check, not per event (each ck_assert costs a write) */
    char bad[256] = "";
    for (size_t i = 0; i < n && !bad[0]; i++) {
        const trc_event *e = &ev[i];
        if (e->unit >= T) { snprintf(bad, sizeof bad, "event %zu: unit %u", i, e->unit); break; }
        uint32_t u = e->unit;
        if (e->t + 1000000 < before || e->t > after + 1000000) snprintf(bad, sizeof bad, "event %zu: timestamp outside the run", i);
        else if (e->t < last_t[u]) snprintf(bad, sizeof bad, "event %zu: unit %u goes back in time", i, u);
        else if (e->kind == TRC_EV_LOST) snprintf(bad, sizeof bad, "event %zu: LOST in complete mode", i);
        else if (e->kind == TRC_EV_FLUSH_BEGIN) {
            if (in_flush[u]) snprintf(bad, sizeof bad, "event %zu: FLUSH_BEGIN inside a flush", i);
            in_flush[u] = true;
            flushes[u]++;
        } else if (e->kind == TRC_EV_FLUSH_END) {
            if (!in_flush[u]) snprintf(bad, sizeof bad, "event %zu: FLUSH_END outside a flush", i);
            in_flush[u] = false;
        } else if (in_flush[u]) {
            snprintf(bad, sizeof bad, "event %zu: a flush is still open at the event that waited", i);
        } else if (e->kind != TRC_EV_MARK || e->arg != next[u]) {
            snprintf(bad, sizeof bad, "event %zu: unit %u's %s %llu, expected mark %llu", i, u, trc_ev_name(e->kind),
                     (unsigned long long)e->arg, (unsigned long long)next[u]);   /* every one, in order */
        } else {
            next[u]++;
        }
        last_t[u] = e->t;
    }
    ck_assert_msg(!bad[0], "%s", bad);
    uint64_t total_flushes = 0;
    for (int i = 0; i < T; i++) {
        ck_assert_uint_eq(next[i], N);
        ck_assert(!in_flush[i]);
        ck_assert_uint_eq(w[i].ring->flushes, flushes[i]);
        total_flushes += flushes[i];
    }
    /* 200k events through 1k rings: the units had to wait, and said so */
    ck_assert_uint_gt(total_flushes, 0);
    uint64_t fc, fns;
    trc_recorder_flushes(r, &fc, &fns);
    ck_assert_uint_eq(fc, total_flushes);
    ck_assert_uint_eq(trc_recorder_lost(r), 0);
    ck_assert_uint_eq(trc_recorder_drained(r), n);
    ck_assert_uint_eq(n, (uint64_t)T * N + 2 * total_flushes);
    trc_recorder_free(r);
}
END_TEST

START_TEST(drop_mode_counts_add_up) {
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 1 << 8, .drain_period_us = 2000,
                                                                    .mode = TRC_REC_DROP }, &d), 0);
    enum { N = 200000 };
    worker w[T];
    pressure(r, N, w);
    size_t n;
    const trc_event *ev = trc_recorder_events(r, &n);
    uint64_t got[T] = { 0 }, lost[T] = { 0 }, next[T] = { 0 }, at_stop[T] = { 0 };
    char bad[256] = "";
    for (size_t i = 0; i < n && !bad[0]; i++) {
        const trc_event *e = &ev[i];
        if (e->unit >= T) { snprintf(bad, sizeof bad, "event %zu: unit %u", i, e->unit); break; }
        if (e->kind == TRC_EV_FLUSH_BEGIN) snprintf(bad, sizeof bad, "event %zu: drop mode waited", i);
        else if (e->kind == TRC_EV_LOST) {
            if (!e->arg) snprintf(bad, sizeof bad, "event %zu: LOST of 0", i);
            lost[e->unit] += e->arg;
            if (e->aux == 1) at_stop[e->unit]++;
        } else if (e->kind != TRC_EV_MARK || e->arg < next[e->unit]) {
            snprintf(bad, sizeof bad, "event %zu: unit %u out of order", i, e->unit);
        } else {
            next[e->unit] = e->arg + 1;
            got[e->unit]++;
        }
    }
    ck_assert_msg(!bad[0], "%s", bad);
    uint64_t total = 0;
    for (int i = 0; i < T; i++) {
        /* exactly: what arrived plus what LOST events count is what was emitted */
        ck_assert_uint_eq(got[i] + lost[i], N);
        ck_assert_uint_eq(lost[i], w[i].ring->lost_total);
        ck_assert_uint_eq(w[i].ring->lost_pending, 0);
        ck_assert_uint_le(at_stop[i], 1);
        total += lost[i];
    }
    ck_assert_uint_eq(total, trc_recorder_lost(r));
    /* 800k events through 256-event rings drained every 2 ms: some were dropped */
    ck_assert_uint_gt(total, 0);
    trc_recorder_free(r);
}
END_TEST

START_TEST(trailing_losses_flushed_at_stop) {
    /* no drain thread: a ring of 8 takes 8 events, the other 12 are dropped and
     * nothing follows them: stop writes their LOST event */
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 8, .no_cpu = true }, &d), 0);
    trc_ring *ring = trc_recorder_ring(r, 0);
    for (int i = 0; i < 20; i++) trc_emit(ring, TRC_EV_MARK, 0, 0, (uint64_t)i, 0);
    ck_assert_uint_eq(ring->lost_total, 12);
    ck_assert_uint_eq(ring->lost_pending, 12);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    size_t n;
    const trc_event *ev = trc_recorder_events(r, &n);
    ck_assert_uint_eq(n, 9);
    for (int i = 0; i < 8; i++) ck_assert_uint_eq(ev[i].arg, (uint64_t)i);
    ck_assert_uint_eq(ev[8].kind, TRC_EV_LOST);
    ck_assert_uint_eq(ev[8].arg, 12);
    ck_assert_uint_eq(ev[8].aux, 1);
    ck_assert_uint_ge(ev[8].t, ev[7].t);   /* the time of the first drop */
    ck_assert_uint_eq(ring->lost_pending, 0);
    /* after the stop, the next event goes in alone */
    trc_emit(ring, TRC_EV_MARK, 0, 0, 99, 0);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    ev = trc_recorder_events(r, &n);
    ck_assert_uint_eq(n, 10);
    ck_assert_uint_eq(ev[9].kind, TRC_EV_MARK);
    ck_assert_uint_eq(ev[9].arg, 99);
    ck_assert_uint_eq(trc_recorder_lost(r), 12);
    trc_recorder_free(r);
}
END_TEST

START_TEST(lost_event_precedes_the_next_event) {
    /* a ring of 8 and no drain: 2 dropped; once there is room (the test moves
     * tail as the drain would), the next event is preceded by LOST(2), whose
     * time is the first drop's */
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 8, .mode = TRC_REC_DROP }, &d), 0);
    trc_ring *ring = trc_recorder_ring(r, 0);
    for (int i = 0; i < 10; i++) trc_emit(ring, TRC_EV_MARK, 0, 0, (uint64_t)i, 0);
    ck_assert_uint_eq(ring->lost_pending, 2);
    uint64_t first_drop = ring->lost_since;
    atomic_store(&ring->tail, 8);   /* drained */
    /* only one slot free is not enough for LOST + the event: dropped too, counted */
    atomic_store(&ring->tail, 1);
    trc_emit(ring, TRC_EV_MARK, 0, 0, 10, 0);
    ck_assert_uint_eq(ring->lost_pending, 3);
    ck_assert_uint_eq(atomic_load(&ring->head), 8);
    atomic_store(&ring->tail, 8);
    trc_emit(ring, TRC_EV_MARK, 0, 0, 11, 0);
    ck_assert_uint_eq(atomic_load(&ring->head), 10);
    const trc_event *l = &ring->ev[8 & ring->mask], *e = &ring->ev[9 & ring->mask];
    ck_assert_uint_eq(l->kind, TRC_EV_LOST);
    ck_assert_uint_eq(l->arg, 3);
    ck_assert_uint_eq(l->aux, 0);
    ck_assert_uint_eq(l->t, first_drop);
    ck_assert_uint_eq(e->kind, TRC_EV_MARK);
    ck_assert_uint_eq(e->arg, 11);
    ck_assert_uint_ge(e->t, l->t);
    ck_assert_uint_eq(ring->lost_pending, 0);
    ck_assert_uint_eq(ring->lost_total, 3);
    trc_recorder_free(r);
}
END_TEST

START_TEST(event_limit_reported) {
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 1 << 12, .max_events = 1000 }, &d), 0);
    worker w[T];
    ck_assert_int_eq(trc_recorder_status(r, &d), 0);
    pressure(r, 500, w);
    diag_clear(&d);
    ck_assert_int_eq(trc_recorder_status(r, &d), -ERR_LIMIT);
    ck_assert_msg(strstr(d.msg, "1000 events"), "%s", d.msg);
    /* the limit stops the run; it does not cut the recording short */
    ck_assert_uint_eq(trc_recorder_drained(r), 2000);
    ck_assert_uint_eq(trc_recorder_discarded(r), 0);
    trc_recorder_free(r);
}
END_TEST

START_TEST(write_error_reported_and_nobody_waits) {
    /* /dev/full: the first chunk cannot be written. The drain says so at once,
     * then keeps the rings moving, so units in complete mode finish */
    trc_writer *w;
    diag d;
    ck_assert_int_eq(trc_writer_open(&w, "/dev/full", &d), 0);
    run_builder b;
    rb_init(&b, "full");
    for (int i = 0; i < T; i++) rb_unit(&b, i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "e");
    trc_recording *rec = rb_finish(&b, 1);
    ck_assert_int_ge(trc_writer_run_begin(w, &rec->runs[0], &d), 0);
    trc_recorder *r;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 1 << 10, .writer = w }, &d), 0);
    worker wk[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) { wk[i].ring = trc_recorder_ring(r, (uint32_t)i); wk[i].n = 100000; }
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    for (int i = 0; i < T; i++) pthread_create(&th[i], NULL, emit_many, &wk[i]);
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    diag_clear(&d);
    ck_assert_int_eq(trc_recorder_stop(r, &d), -ERR_IO);
    ck_assert_msg(strstr(d.msg, "/dev/full") && strstr(d.msg, "No space left"), "%s", d.msg);
    diag_clear(&d);
    ck_assert_int_eq(trc_recorder_status(r, &d), -ERR_IO);
    ck_assert_msg(strstr(d.msg, "No space left"), "%s", d.msg);
    ck_assert_uint_gt(trc_recorder_discarded(r), 0);
    trc_recorder_free(r);
    ck_assert_int_ne(trc_writer_close(w, NULL), 0);
    trc_recording_free(rec);
}
END_TEST

/* An allocator over one static block, as a shared mapping would be. */
typedef struct bump { uint8_t *base; size_t used, cap; int allocs, frees; } bump;
static void *bump_alloc(void *ctx, size_t bytes) {
    bump *b = ctx;
    size_t at = (b->used + 63) & ~(size_t)63;
    if (at + bytes > b->cap) return NULL;
    b->used = at + bytes;
    b->allocs++;
    memset(b->base + at, 0xA5, bytes);   /* not cleared: the recorder must not rely on it */
    return b->base + at;
}
static void bump_free(void *ctx, void *p, size_t bytes) {
    bump *b = ctx;
    ck_assert(p >= (void *)b->base && (uint8_t *)p + bytes <= b->base + b->cap);
    b->frees++;
}

START_TEST(rings_from_a_custom_allocator) {
    static _Alignas(64) uint8_t block[2 * (2048 * 32 + 1024) + 1024];
    bump b = { .base = block, .cap = sizeof block };
    trc_ring_alloc a = { bump_alloc, bump_free, &b };
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 2048, .alloc = &a }, &d), 0);
    worker w[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        w[i].ring = trc_recorder_ring(r, (uint32_t)i);
        ck_assert_ptr_nonnull(w[i].ring);
        ck_assert((uint8_t *)w[i].ring >= block && (uint8_t *)w[i].ring < block + sizeof block);
        w[i].n = 50000;
    }
    ck_assert_ptr_null(trc_recorder_ring(r, 2));   /* the block is full: NULL, not a crash */
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, emit_many, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    size_t n, marks = 0;
    const trc_event *ev = trc_recorder_events(r, &n);
    for (size_t i = 0; i < n; i++) marks += ev[i].kind == TRC_EV_MARK;   /* no ck_assert per event: each costs a write */
    ck_assert_uint_eq(marks, 100000);
    ck_assert_int_eq(b.allocs, 3);   /* the control block and two rings */
    trc_recorder_free(r);
    ck_assert_int_eq(b.frees, 3);
}
END_TEST

/* An allocator over a shared anonymous mapping, as the processes backend will
 * have: a forked child emits into its ring there, the parent's drain reads it,
 * and the child's waits for the drain (complete mode) work across processes. */
static void *shm_alloc(void *ctx, size_t bytes) { return bump_alloc(ctx, bytes); }
static void shm_free(void *ctx, void *p, size_t bytes) { bump *b = ctx; (void)p; (void)bytes; b->frees++; }

START_TEST(rings_in_a_shared_mapping_fed_by_a_child_process) {
    size_t cap = 2 * (1024 * 32 + 1024) + 4096;
    uint8_t *map = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(map != MAP_FAILED);
    bump b = { .base = map, .cap = cap };
    trc_ring_alloc a = { shm_alloc, shm_free, &b };
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = 1024, .alloc = &a }, &d), 0);
    trc_ring *mine = trc_recorder_ring(r, 0), *child = trc_recorder_ring(r, 1);
    ck_assert_ptr_nonnull(child);
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    enum { N = 100000 };
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (uint32_t i = 0; i < N; i++) trc_emit(child, TRC_EV_MARK, 0, 0, i, 0);
        _exit(0);
    }
    for (uint32_t i = 0; i < 1000; i++) trc_emit(mine, TRC_EV_MARK, 0, 0, i, 0);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    size_t n;
    const trc_event *ev = trc_recorder_events(r, &n);
    uint64_t next[2] = { 0 }, flushes = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind == TRC_EV_FLUSH_BEGIN) { flushes++; continue; }
        if (ev[i].kind == TRC_EV_FLUSH_END) continue;
        if (ev[i].unit > 1 || ev[i].kind != TRC_EV_MARK || ev[i].arg != next[ev[i].unit]) bad++;
        else next[ev[i].unit]++;
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(next[0], 1000);
    ck_assert_uint_eq(next[1], N);        /* every one of the child's events, none lost */
    ck_assert_uint_gt(flushes, 0);        /* it waited for the parent's drain */
    ck_assert_uint_eq(child->lost_total, 0);
    trc_recorder_free(r);
    munmap(map, cap);
}
END_TEST

START_TEST(ticks_map_to_monotonic) {
    clk_calib c;
    clk_calibrate(&c, true);
    for (int i = 0; i < 5; i++) {
        uint64_t a = clk_mono_ns();
        uint64_t t = clk_ticks_to_ns(&c, clk_ticks(&c));
        uint64_t b = clk_mono_ns();
        /* within 50 us of the bracket: calibration error over a short span */
        ck_assert_msg(t + 50000 >= a && t <= b + 50000, "tick time %llu outside [%llu, %llu]", (unsigned long long)t,
                      (unsigned long long)a, (unsigned long long)b);
    }
    trc_recorder *r;
    diag d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 3 }, &d), -ERR_USAGE);
}
END_TEST

START_TEST(cached_calibration) {
    /* a fresh cache folder: the first calibration measures and writes it, the
     * second reads it; both map ticks to CLOCK_MONOTONIC */
    const char *dir = tmp_path("cache");
    setenv("XDG_CACHE_HOME", dir, 1);
    char path[1024];
    ck_assert(cache_path(path, sizeof path, "calibration"));
    ck_assert_msg(strstr(path, "/cache/weft/calibration"), "%s", path);
    for (int round = 0; round < 2; round++) {
        clk_calib c;
        clk_calibrate_cached(&c, true);
        if (!machine_tsc_invariant()) {
            ck_assert(!c.tsc);
            return;
        }
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);   /* written the first time */
        char val[256];
        char key[64];
        snprintf(key, sizeof key, "tsc.%s", machine_key());
        ck_assert(cache_get("calibration", key, val, sizeof val));
        uint64_t a = clk_mono_ns();
        uint64_t t = clk_ticks_to_ns(&c, clk_ticks(&c));
        uint64_t b = clk_mono_ns();
        ck_assert_msg(t + 50000 >= a && t <= b + 50000, "round %d: tick time %llu outside [%llu, %llu]", round,
                      (unsigned long long)t, (unsigned long long)a, (unsigned long long)b);
    }
    /* an unwritable cache is no error: the calibration is measured */
    setenv("XDG_CACHE_HOME", "/proc/no-such-dir", 1);
    clk_calib c;
    clk_calibrate_cached(&c, true);
    ck_assert(c.tsc);
    cache_put("calibration", "k", "v");   /* silently nothing */
    unsetenv("XDG_CACHE_HOME");
}
END_TEST

/* A ring half full rings the drain: with a drain timer of an hour, the events
 * of a ring that never fills still arrive, and nobody waited (no FLUSH). The
 * poll below only guards against a hang: without the kick it would run out. */
START_TEST(half_full_ring_wakes_the_drain) {
    trc_recorder *r;
    diag d;
    enum { RING = 1 << 10 };
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .no_cpu = true, .ring_events = RING,
                                                                    .drain_period_us = 3600u * 1000000u }, &d), 0);
    trc_ring *ring = trc_recorder_ring(r, 0);
    ck_assert_ptr_nonnull(ring);
    ck_assert_int_eq(trc_recorder_start(r, &d), 0);
    uint64_t emitted = 0;
    for (uint32_t round = 0; round < 4; round++) {
        /* fill to just past half a ring (the drain may take some meanwhile), and two more: the
         * mark may come one event late after a kick that the drain served early */
        while (atomic_load(&ring->head) - atomic_load(&ring->tail) <= RING / 2)
            trc_emit(ring, TRC_EV_MARK, 0, 0, emitted++, 0);
        trc_emit(ring, TRC_EV_MARK, 0, 0, emitted++, 0);
        trc_emit(ring, TRC_EV_MARK, 0, 0, emitted++, 0);
        /* the drain was rung: it empties the ring but for what came after its pass began */
        uint64_t left = UINT64_MAX;
        for (int spin = 0; spin < 30000 && (left = atomic_load(&ring->head) - atomic_load(&ring->tail)) > 2; spin++)
            usleep(1000);
        ck_assert_msg(left <= 2, "round %u: %llu events left in the ring: the drain was not rung", round,
                      (unsigned long long)left);
        ck_assert_uint_eq(ring->flushes, 0);   /* nobody waited */
    }
    ck_assert_int_eq(trc_recorder_stop(r, &d), 0);
    ck_assert_uint_eq(trc_recorder_drained(r), emitted);
    ck_assert_uint_eq(trc_recorder_lost(r), 0);
    trc_recorder_free(r);
}
END_TEST

/* A desc the recorder cannot work with is refused before anything is made, with the value named. */
START_TEST(bad_desc_refused) {
    diag d;
    trc_recorder *r = (trc_recorder *)&d;
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = 3, .no_mem = true }, &d), -ERR_USAGE);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(d.msg, "ring size 3 is not a power of two between 4 and"), "%s", d.msg);
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .ring_events = TRC_RING_MAX * 2u, .no_mem = true }, &d),
                     -ERR_USAGE);
    ck_assert_int_eq(trc_recorder_create(&r, &(trc_recorder_desc){ .mode = 9, .no_mem = true }, &d), -ERR_USAGE);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(d.msg, "unknown recording mode 9"), "%s", d.msg);
}
END_TEST

#define ADD(t) do { TCase *tc = tcase_create(#t); tcase_set_timeout(tc, 120); tcase_add_test(tc, t); suite_add_tcase(s, tc); } while (0)

int main(void) {
    Suite *s = suite_create("recorder");
    ADD(complete_mode_loses_nothing_under_pressure);
    ADD(half_full_ring_wakes_the_drain);
    ADD(drop_mode_counts_add_up);
    ADD(trailing_losses_flushed_at_stop);
    ADD(lost_event_precedes_the_next_event);
    ADD(event_limit_reported);
    ADD(write_error_reported_and_nobody_waits);
    ADD(rings_from_a_custom_allocator);
    ADD(rings_in_a_shared_mapping_fed_by_a_child_process);
    ADD(ticks_map_to_monotonic);
    ADD(cached_calibration);
    ADD(bad_desc_refused);
    return run_suite(s);
}
