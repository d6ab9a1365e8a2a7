/* Recordings with gaps load and make sense: lost events become UNKNOWN spans
 * and per-unit gaps; a lock whose ACQUIRE or RELEASE was lost gets an
 * "unknown" owner until its next event, with one warning per repair naming the
 * event (and, read from a file, its byte offset); a unit whose UNIT_EXIT was
 * lost ends unknown; a file cut inside a chunk keeps what came before and
 * marks the units it cut; waits for the recorder are FLUSH spans; stats and
 * the Perfetto export show all of it. */
#include "testutil.h"
#include "pbdec.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ull

static void span_is(const trc_span *s, uint64_t t0, uint64_t t1, int state) {
    ck_assert_msg(s->t0 == t0 && s->t1 == t1 && s->state == state, "span [%llu,%llu) %s, expected [%llu,%llu) %s",
                  (unsigned long long)s->t0, (unsigned long long)s->t1, trc_state_name(s->state),
                  (unsigned long long)t0, (unsigned long long)t1, trc_state_name((unsigned)state));
}

static void owner_is(const trc_owner_span *o, uint64_t t0, uint64_t t1, uint32_t owner) {
    ck_assert_msg(o->t0 == t0 && o->t1 == t1 && o->owner == owner, "owner [%llu,%llu) %u, expected [%llu,%llu) %u",
                  (unsigned long long)o->t0, (unsigned long long)o->t1, o->owner, (unsigned long long)t0,
                  (unsigned long long)t1, owner);
}

/* x holds A 1-2 ms; y's events from 3 ms are lost (its ACQUIRE of A among
 * them), then y releases A at 5 ms; z takes A at 6 ms. */
static trc_recording *lost_acquire_run(void) {
    run_builder b;
    rb_init(&b, "lost acquire");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y"), z = rb_unit(&b, "z");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, z, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 3 * MS, y, TRC_EV_LOST, 0, 0, 5, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 6 * MS, z, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 7 * MS, z, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 8 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 8 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 8 * MS, z, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 9 * MS);
}

START_TEST(lost_acquire) {
    trc_recording *rec = lost_acquire_run();
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_object_track *ot = &m.objects[0];
    ck_assert_uint_eq(ot->nowners, 3);
    owner_is(&ot->owners[0], 1 * MS, 2 * MS, 0);
    /* y took it somewhere in its gap, after x's release: unknown owner from the gap */
    owner_is(&ot->owners[1], 3 * MS, 5 * MS, TRC_UNIT_UNKNOWN);
    owner_is(&ot->owners[2], 6 * MS, 7 * MS, 2);
    ck_assert_uint_eq(ot->repairs, 1);
    /* y: running, unknown through its gap, running again, done */
    const trc_unit_track *y = &m.units[1];
    ck_assert_uint_eq(y->nspans, 4);
    span_is(&y->spans[0], 0, 3 * MS, TRC_ST_RUNNING);
    span_is(&y->spans[1], 3 * MS, 5 * MS, TRC_ST_UNKNOWN);
    span_is(&y->spans[2], 5 * MS, 8 * MS, TRC_ST_RUNNING);
    span_is(&y->spans[3], 8 * MS, 9 * MS, TRC_ST_DONE);
    ck_assert_uint_eq(y->ngaps, 1);
    ck_assert_uint_eq(y->gaps[0].t0, 3 * MS);
    ck_assert_uint_eq(y->gaps[0].t1, 5 * MS);
    ck_assert_uint_eq(y->gaps[0].lost, 5);
    ck_assert_uint_eq(y->gaps[0].ev, 5);
    ck_assert_uint_eq(y->lost, 5);
    ck_assert_uint_eq(y->t_state[TRC_ST_UNKNOWN], 2 * MS);
    ck_assert(y->exited && !y->unknown_end);
    ck_assert_uint_eq(m.lost, 5);
    /* one warning, naming y's RELEASE (event 6) */
    ck_assert_uint_eq(m.warnings_total, 1);
    ck_assert_uint_eq(m.nwarnings, 1);
    ck_assert_uint_eq(m.warnings[0].ev, 6);
    ck_assert_uint_eq(m.warnings[0].unit, 1);
    ck_assert_uint_eq(m.warnings[0].t, 5 * MS);
    ck_assert(!m.warnings[0].has_offset);   /* built in memory: no file */
    ck_assert_msg(strstr(m.warnings[0].msg, "y releases A, which nobody holds: its acquisition was lost"), "%s",
                  m.warnings[0].msg);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* A plain lock released by a unit that does not hold it (RELEASE aux
 * TRC_RELEASE_FOREIGN, extra: the holder + 1). y releases x's A at 3 ms: no
 * repair when x's ACQUIRE is there; when it was lost in x's gap (from 1 ms), A
 * is owned by x from the gap, as the release says, with one warning. */
static trc_recording *foreign_release_run(bool lose_acquire) {
    run_builder b;
    rb_init(&b, "foreign release");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    if (lose_acquire) rb_ev(&b, 1 * MS, x, TRC_EV_LOST, 0, 0, 2, 0);
    else rb_ev(&b, 2 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 3 * MS, y, TRC_EV_RELEASE, A, TRC_RELEASE_FOREIGN, 0, x + 1);
    rb_ev(&b, 4 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 4 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    return rb_finish(&b, 5 * MS);
}

START_TEST(foreign_release) {
    for (int lose = 0; lose < 2; lose++) {
        trc_recording *rec = foreign_release_run(lose);
        trc_model m;
        diag d;
        ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
        const trc_object_track *ot = &m.objects[0];
        ck_assert_uint_eq(ot->nowners, 1);
        owner_is(&ot->owners[0], lose ? 1 * MS : 2 * MS, 3 * MS, 0);
        ck_assert_uint_eq(ot->repairs, (unsigned)lose);
        ck_assert_uint_eq(m.warnings_total, (unsigned)lose);
        if (lose)
            ck_assert_msg(strstr(m.warnings[0].msg, "y releases A, which nobody holds: its acquisition was lost; held "
                                                    "by x from 1.00 ms"), "%s", m.warnings[0].msg);
        /* the broken mutual exclusion is an instant either way */
        size_t k = 0;
        while (k < m.ninstants && m.instants[k].kind != TRC_EV_RELEASE) k++;
        ck_assert_uint_lt(k, m.ninstants);
        ck_assert_uint_eq(m.instants[k].unit, 1);
        ck_assert_uint_eq(m.instants[k].t, 3 * MS);
        trc_model_release(&m);
        trc_recording_free(rec);
    }
}
END_TEST

/* x takes A at 1 ms; from 2 ms x's events are lost (its RELEASE among them);
 * x is seen again at 4 ms; y takes A at 5 ms. */
static trc_recording *lost_release_run(void) {
    run_builder b;
    rb_init(&b, "lost release");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    uint32_t A = rb_obj(&b, TRC_OBJ_LOCK, "A", 0);
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_LOST, 0, 0, 3, 0);
    rb_ev(&b, 3 * MS, y, TRC_EV_WAIT_BEGIN, A, TRC_OP_LOCK, 0, 0);
    rb_ev(&b, 4 * MS, x, TRC_EV_MARK, 0, 0, 0, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_WAIT_END, A, TRC_OUT_OK, 0, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_ACQUIRE, A, 0, 1, 0);
    rb_ev(&b, 6 * MS, y, TRC_EV_RELEASE, A, 0, 0, 0);
    rb_ev(&b, 7 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    rb_ev(&b, 7 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 8 * MS);
    rec->runs[0].strings = arena_push(&rec->mem, sizeof(char *));
    rec->runs[0].strings[0] = "back";
    rec->runs[0].nstrings = 1;
    return rec;
}

static void check_lost_release(const trc_model *m) {
    const trc_object_track *ot = &m->objects[0];
    ck_assert_uint_eq(ot->nowners, 3);
    owner_is(&ot->owners[0], 1 * MS, 2 * MS, 0);                  /* known until x's gap */
    owner_is(&ot->owners[1], 2 * MS, 5 * MS, TRC_UNIT_UNKNOWN);   /* then unknown until y's acquire */
    owner_is(&ot->owners[2], 5 * MS, 6 * MS, 1);
    ck_assert_uint_eq(ot->t_held, 5 * MS);
    ck_assert_uint_eq(ot->handoffs, 0);   /* nobody knows who handed it over */
    const trc_unit_track *x = &m->units[0];
    ck_assert_uint_eq(x->nspans, 4);
    span_is(&x->spans[0], 0, 2 * MS, TRC_ST_RUNNING);
    span_is(&x->spans[1], 2 * MS, 4 * MS, TRC_ST_UNKNOWN);
    span_is(&x->spans[2], 4 * MS, 7 * MS, TRC_ST_RUNNING);
    ck_assert_uint_eq(m->warnings_total, 1);
    ck_assert_uint_eq(m->warnings[0].ev, 7);
    ck_assert_uint_eq(m->warnings[0].unit, 1);
    ck_assert_msg(strstr(m->warnings[0].msg, "y acquires A while x owns it: x's release was lost"), "%s",
                  m->warnings[0].msg);
}

START_TEST(lost_release) {
    trc_recording *rec = lost_release_run();
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    check_lost_release(&m);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(warnings_name_byte_offsets) {
    /* the same run written to a file and read back lazily: the warning's byte
     * offset is where the offending event is in the file */
    trc_recording *rec = lost_release_run();
    const char *path = tmp_path("lostrel.weft");
    diag d;
    ck_assert_int_eq(trc_recording_save(rec, path, &d), 0);
    trc_recording *back;
    ck_assert_int_eq(trc_recording_open(&back, path, 0, &d), 0);
    ck_assert_ptr_null(back->runs[0].events);
    ck_assert_ptr_nonnull(back->runs[0].src);
    ck_assert_uint_eq(back->runs[0].lost, 3);
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, &back->runs[0], &d), 0);
    check_lost_release(&m);
    ck_assert(m.warnings[0].has_offset);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t raw[32];
    ck_assert_int_eq(fseek(f, (long)m.warnings[0].offset, SEEK_SET), 0);
    ck_assert_uint_eq(fread(raw, 1, 32, f), 32);
    fclose(f);
    trc_event e;
    memcpy(&e, raw, sizeof e);
    ck_assert_uint_eq(e.kind, TRC_EV_ACQUIRE);
    ck_assert_uint_eq(e.unit, 1);
    ck_assert_uint_eq(e.t, back->runs[0].t_start + 5 * MS);
    trc_model_release(&m);
    trc_recording_free(back);
    trc_recording_free(rec);
}
END_TEST

START_TEST(lost_unit_exit) {
    /* x's last events (its UNIT_EXIT among them) were dropped, counted at stop */
    run_builder b;
    rb_init(&b, "lost exit");
    uint32_t x = rb_unit(&b, "x"), y = rb_unit(&b, "y");
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 0, y, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 3 * MS, x, TRC_EV_LOST, 0, 1, 40, 0);
    rb_ev(&b, 5 * MS, y, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 6 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_unit_track *ux = &m.units[0];
    ck_assert(!ux->exited);
    ck_assert(ux->unknown_end);
    ck_assert_uint_eq(ux->nspans, 3);
    span_is(&ux->spans[1], 1 * MS, 3 * MS, TRC_ST_COMPUTE);
    span_is(&ux->spans[2], 3 * MS, 6 * MS, TRC_ST_UNKNOWN);
    ck_assert_uint_eq(ux->ngaps, 1);
    ck_assert_uint_eq(ux->gaps[0].t1, 6 * MS);   /* to the run's end */
    ck_assert_uint_eq(ux->lost, 40);
    ck_assert(!m.units[1].unknown_end && m.units[1].exited);
    buf out = { 0 };
    trc_stats_text(&out, &m);
    buf_u8(&out, 0);
    const char *t = (const char *)out.p;
    ck_assert_msg(strstr(t, "unknown (its last events are missing)"), "%s", t);
    ck_assert_msg(strstr(t, "40 events were lost"), "%s", t);
    ck_assert_msg(strstr(t, "unknown") && strstr(t, "lost"), "%s", t);
    buf_release(&out);
    trc_stats_json(&out, &m, 1);
    buf_u8(&out, 0);
    t = (const char *)out.p;
    ck_assert_msg(strstr(t, "\"lost\":40,\"repairs\":0"), "%s", t);
    ck_assert_msg(strstr(t, "\"end_unknown\":true,\"lost\":40,\"gaps\":1"), "%s", t);
    ck_assert_msg(strstr(t, "\"unknown\":3000000"), "%s", t);
    buf_release(&out);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(flush_spans) {
    /* the ring filled in the middle of a compute: the unit waited 1 ms for the
     * recorder, then went on computing */
    run_builder b;
    rb_init(&b, "flush");
    uint32_t x = rb_unit(&b, "x");
    rb_ev(&b, 0, x, TRC_EV_UNIT_START, 0, 0, 0, 0);
    rb_ev(&b, 1 * MS, x, TRC_EV_COMPUTE_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 2 * MS, x, TRC_EV_FLUSH_BEGIN, 0, 0, 0, 0);
    rb_ev(&b, 3 * MS, x, TRC_EV_FLUSH_END, 0, 0, 0, 0);
    rb_ev(&b, 5 * MS, x, TRC_EV_COMPUTE_END, 0, 0, 0, 0);
    rb_ev(&b, 6 * MS, x, TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 6 * MS);
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const trc_unit_track *ux = &m.units[0];
    ck_assert_uint_eq(ux->nspans, 5);
    span_is(&ux->spans[0], 0, 1 * MS, TRC_ST_RUNNING);
    span_is(&ux->spans[1], 1 * MS, 2 * MS, TRC_ST_COMPUTE);
    span_is(&ux->spans[2], 2 * MS, 3 * MS, TRC_ST_FLUSH);
    span_is(&ux->spans[3], 3 * MS, 5 * MS, TRC_ST_COMPUTE);
    span_is(&ux->spans[4], 5 * MS, 6 * MS, TRC_ST_RUNNING);
    ck_assert_uint_eq(ux->t_state[TRC_ST_FLUSH], 1 * MS);
    ck_assert_uint_eq(ux->t_state[TRC_ST_COMPUTE], 3 * MS);
    ck_assert_uint_eq(ux->flushes, 1);
    ck_assert_uint_eq(m.warnings_total, 0);
    buf out = { 0 };
    trc_stats_text(&out, &m);
    buf_u8(&out, 0);
    ck_assert_msg(strstr((const char *)out.p, "rec.flush") && strstr((const char *)out.p, "recorder flush: units waited 1.00 ms"),
                  "%s", (const char *)out.p);
    buf_release(&out);
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

/* A recording of three units in one run, every unit exits; returns its path. */
static const char *write_three(const char *name, uint64_t nev) {
    run_builder b;
    rb_init(&b, "cut");
    uint32_t u[3] = { rb_unit(&b, "a"), rb_unit(&b, "b"), rb_unit(&b, "c") };
    for (int k = 0; k < 3; k++) rb_ev(&b, 0, u[k], TRC_EV_UNIT_START, 0, 0, 0, 0);
    for (uint64_t i = 0; i < nev; i++) rb_ev(&b, 1000 + i * 10, u[i % 3], TRC_EV_MARK, 0, 0, 0, 0);
    for (int k = 0; k < 3; k++) rb_ev(&b, 1000 + nev * 10 + 5, u[k], TRC_EV_UNIT_EXIT, 0, 0, 0, 0);
    trc_recording *rec = rb_finish(&b, 1000 + nev * 10 + 10);
    rec->runs[0].strings = arena_push(&rec->mem, sizeof(char *));
    rec->runs[0].strings[0] = "m";
    rec->runs[0].nstrings = 1;
    const char *path = tmp_path(name);
    diag d;
    ck_assert_int_eq(trc_recording_save(rec, path, &d), 0);
    trc_recording_free(rec);
    return path;
}

START_TEST(file_cut_inside_a_chunk) {
    /* 200k events: four EVENTS chunks; the copy is cut in the middle of the
     * third. What came before loads; the run is marked cut, and every unit that
     * had not exited is unknown after its last event, with a warning. */
    const char *path = write_three("cut.weft", 200000);
    char *data;
    size_t n;
    diag d;
    ck_assert_int_eq(file_read_all(path, &data, &n, &d), 0);
    /* find the third EVENTS chunk: chunk headers start with "WCHK" */
    size_t third = 0, seen = 0;
    for (size_t off = 32; off + 32 <= n;) {
        uint16_t type = (uint16_t)((uint8_t)data[off + 4] | (uint8_t)data[off + 5] << 8);
        uint64_t len = ld_u64le((const uint8_t *)data + off + 16);
        if (type == 5 && ++seen == 3) { third = off; break; }
        off += 32 + (size_t)len;
    }
    ck_assert_uint_gt(third, 0);
    size_t cut_at = third + 32 + 8 + 1000 * 32 + 7;   /* inside an event of the third chunk */
    const char *cpath = tmp_path("cut-short.weft");
    FILE *f = fopen(cpath, "wb");
    ck_assert_uint_eq(fwrite(data, 1, cut_at, f), cut_at);
    fclose(f);
    free(data);
    trc_recording *rec;
    ck_assert_int_eq(trc_recording_open(&rec, cpath, 0, &d), 0);
    ck_assert(rec->truncated);
    ck_assert_uint_eq(rec->truncated_at, third);
    ck_assert_uint_eq(rec->nruns, 1);
    const trc_run *run = &rec->runs[0];
    ck_assert(run->cut);
    ck_assert_uint_eq(run->end_reason, TRC_END_UNFINISHED);
    ck_assert_uint_eq(run->nevents, 3 + 2 * 65536 - 3);   /* the starts and the marks of two whole chunks */
    trc_model m;
    ck_assert_int_eq(trc_model_build(&m, run, &d), 0);
    ck_assert_uint_eq(m.warnings_total, 3);
    uint32_t unknown_tail = 0;
    for (uint32_t u = 0; u < 3; u++) {
        const trc_unit_track *ut = &m.units[u];
        ck_assert(!ut->exited);
        ck_assert(ut->unknown_end);
        ck_assert_uint_eq(ut->spans[ut->nspans - 1].t1, m.makespan);
        unknown_tail += ut->spans[ut->nspans - 1].state == TRC_ST_UNKNOWN;
        ck_assert_msg(strstr(m.warnings[u].msg, "the recording was cut short"), "%s", m.warnings[u].msg);
    }
    /* the unit with the very last event has an unknown end of length 0: no span */
    ck_assert_uint_eq(unknown_tail, 2);
    /* each warning names its unit's last event */
    ck_assert_int_eq(trc_run_load_events(&rec->runs[0], &d), 0);
    for (uint32_t w = 0; w < 3; w++) {
        const trc_warning *wn = &m.warnings[w];
        ck_assert_uint_lt(wn->ev, run->nevents);
        ck_assert_uint_eq(run->events[wn->ev].unit, wn->unit);
        ck_assert_uint_eq(run->events[wn->ev].t - run->t_start, wn->t);
        for (size_t k = wn->ev + 1; k < run->nevents; k++) ck_assert_uint_ne(run->events[k].unit, wn->unit);
    }
    trc_model_release(&m);
    trc_recording_free(rec);
}
END_TEST

START_TEST(export_with_gaps_decoded) {
    /* the lost-acquire run and a unit whose end was lost, exported: the unknown
     * slices, the "events lost" instants with their counts, the owner slice of
     * nobody, the unknown exit and the TraceStats data-loss entry; the checker
     * is clean */
    trc_recording *rec = lost_acquire_run();
    trc_model m;
    diag d;
    ck_assert_int_eq(trc_model_build(&m, &rec->runs[0], &d), 0);
    const char *path = tmp_path("gaps.pftrace");
    FILE *f = fopen(path, "wb");
    ck_assert_int_eq(trc_export_perfetto(f, rec, &m, &d), 0);
    fclose(f);
    char *data;
    size_t n;
    ck_assert_int_eq(file_read_all(path, &data, &n, &d), 0);
    pb_trace t;
    memset(&t, 0, sizeof t);
    ck_assert_msg(pb_decode(&t, (const uint8_t *)data, n) == 0, "%s", t.err);
    const pb_track *ty = pb_track_by_name(&t, "y");
    ck_assert_ptr_nonnull(ty);
    size_t unknown = 0, lost_instants = 0;
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        if (e->track != ty->uuid || !e->name) continue;
        if (e->type == 1 && !strcmp(e->name, "unknown")) {
            unknown++;
            ck_assert_uint_eq(e->ts, rec->runs[0].t_start + 3 * MS);
        }
        if (e->type == 3 && !strcmp(e->name, "events lost")) {
            lost_instants++;
            ck_assert_uint_eq(e->ts, rec->runs[0].t_start + 3 * MS);
            const pb_annot *a = pb_event_annot(e, "lost");
            ck_assert_ptr_nonnull(a);
            ck_assert_uint_eq(a->u, 5);
        }
    }
    ck_assert_uint_eq(unknown, 1);   /* and no other slice: the gap is y's only unknown time */
    ck_assert_uint_eq(lost_instants, 1);
    ck_assert_uint_eq(t.packet_loss, 5);   /* TraceStats.buffer_stats.trace_writer_packet_loss */
    free(data);
    pb_free(&t);
    trc_model_release(&m);
    if (system("command -v python3 >/dev/null 2>&1") == 0 &&
        access(WEFT_SOURCE_DIR "/../shared/perfetto/check_semantics.py", R_OK) == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "python3 '%s' --strict --max-msgs 20 '%s' >/dev/null",
                 WEFT_SOURCE_DIR "/../shared/perfetto/check_semantics.py", path);
        ck_assert_int_eq(system(cmd), 0);
    }
    trc_recording_free(rec);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gaps");
    TCase *tc = tcase_create("gaps");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lost_acquire);
    tcase_add_test(tc, lost_release);
    tcase_add_test(tc, foreign_release);
    tcase_add_test(tc, warnings_name_byte_offsets);
    tcase_add_test(tc, lost_unit_exit);
    tcase_add_test(tc, flush_spans);
    tcase_add_test(tc, file_cut_inside_a_chunk);
    tcase_add_test(tc, export_with_gaps_decoded);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
