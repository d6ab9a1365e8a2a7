/* The .weft writer: a streaming writer of checksummed chunks (the format is
 * specified in trc_format.h). */
#include "traces/trc_format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
 * Writer
 * ====================================================================== */

struct trc_writer {
    FILE *f;
    char path[256];
    int err;                 /* sticky ERR_xxx, 0 = fine */
    char errmsg[512];
    uint64_t off;            /* bytes written so far */
    sect_entry *sect; size_t nsect, cap_sect;
    uint32_t nruns;
    bool run_open;
    uint32_t run;            /* index of the open run */
    uint32_t nunits, nobjects;
    uint8_t *strdef; size_t cap_strdef;  /* bitmap of defined string indices */
    uint32_t nstrdef;
    uint8_t *evpay;          /* EVENTS payload being filled: 8 + 32 x nev bytes */
    uint32_t nev;
    buf pay;                 /* scratch payload */
};

__attribute__((format(printf, 4, 5)))
static int w_fail(trc_writer *w, diag *d, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
    va_end(ap);
    w->err = code;
    set_file(d, w->path);
    return diag_set(d, code, "%s", w->errmsg);
}

static int w_check(trc_writer *w, diag *d) {
    if (!w) return diag_set(d, ERR_USAGE, "no writer");
    if (w->err) {
        set_file(d, w->path);
        return diag_set(d, w->err, "%s", w->errmsg);
    }
    return 0;
}

static int w_need_run(trc_writer *w, diag *d, const char *what) {
    if (!w->run_open) return w_fail(w, d, ERR_USAGE, "%s outside a run (no run_begin, or after run_end)", what);
    return 0;
}

static int w_write(trc_writer *w, diag *d, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, w->f) != n)
        return w_fail(w, d, ERR_IO, "cannot write '%s' at byte %llu: %s", w->path, (ull)w->off, strerror(errno));
    w->off += n;
    return 0;
}

static int w_chunk(trc_writer *w, diag *d, uint16_t type, uint32_t run, const void *payload, size_t len) {
    if (len > F_MAX_PAYLOAD)
        return w_fail(w, d, ERR_LIMIT, "%s chunk of %zu bytes is over the %llu-byte limit", ch_name(type), len,
                      (ull)F_MAX_PAYLOAD);
    uint8_t h[F_CHUNK_HDR];
    wr_u32le(h, F_CHUNK_MAGIC);
    put_u16le(h + 4, type);
    put_u16le(h + 6, 0);
    wr_u32le(h + 8, run);
    wr_u32le(h + 12, (uint32_t)w->nsect);
    wr_u64le(h + 16, len);
    wr_u32le(h + 24, crc32_update(0, payload, len));
    wr_u32le(h + 28, crc32_update(0, h, 28));
    uint64_t at = w->off;
    int rc = w_write(w, d, h, sizeof h);
    if (!rc) rc = w_write(w, d, payload, len);
    if (rc) return rc;
    ARR_GROW(w->sect, w->nsect + 1, w->cap_sect);
    w->sect[w->nsect++] = (sect_entry){ .off = at, .len = len, .run = run, .type = type };
    return 0;
}

static int w_fflush(trc_writer *w, diag *d) {
    if (fflush(w->f) != 0) return w_fail(w, d, ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
    return 0;
}

static int w_flush_events(trc_writer *w, diag *d) {
    if (!w->nev) return 0;
    wr_u32le(w->evpay, w->nev);
    wr_u32le(w->evpay + 4, 0);
    int rc = w_chunk(w, d, CH_EVENTS, w->run, w->evpay, 8 + (size_t)w->nev * F_EV_SIZE);
    w->nev = 0;
    return rc;
}

int trc_writer_open(trc_writer **out, const char *path, diag *d) {
    *out = NULL;
    FILE *f = fopen(path, "wb");
    if (!f) {
        set_file(d, path);
        return diag_set(d, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    }
    trc_writer *w = xcalloc(1, sizeof *w);
    w->f = f;
    snprintf(w->path, sizeof w->path, "%s", path);
    w->evpay = xmalloc(8 + (size_t)F_EV_PER_CHUNK * F_EV_SIZE);
    uint8_t h[F_HDR_SIZE] = { 0 };
    memcpy(h, F_MAGIC, 8);
    put_u16le(h + 8, F_MAJOR);
    put_u16le(h + 10, F_MINOR);
    wr_u32le(h + 12, F_HDR_SIZE);
    wr_u32le(h + F_HDR_SIZE - 4, crc32_update(0, h, F_HDR_SIZE - 4));
    int rc = w_write(w, d, h, sizeof h);
    if (rc) {
        trc_writer_close(w, NULL);
        return rc;
    }
    *out = w;
    return 0;
}

static int w_check_units(trc_writer *w, diag *d, const trc_unit *u, uint32_t n) {
    if (n && !u) return w_fail(w, d, ERR_USAGE, "units: NULL array");
    if (n > F_MAX_UNITS - w->nunits) return w_fail(w, d, ERR_LIMIT, "more than %u units in a run", F_MAX_UNITS);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = w->nunits + i;
        if (u[i].id != id) return w_fail(w, d, ERR_USAGE, "unit '%s' has id %u but is unit %u", u[i].name ? u[i].name : "", u[i].id, id);
        if (u[i].parent != UINT32_MAX && u[i].parent >= id)
            return w_fail(w, d, ERR_USAGE, "unit %u's parent %u is not an earlier unit", id, u[i].parent);
        if (slen(u[i].name) > F_MAX_NAME || slen(u[i].group) > F_MAX_NAME)
            return w_fail(w, d, ERR_LIMIT, "unit %u: name longer than %u bytes", id, F_MAX_NAME);
    }
    return 0;
}

static int w_check_objects(trc_writer *w, diag *d, const trc_object *o, uint32_t n) {
    if (n && !o) return w_fail(w, d, ERR_USAGE, "objects: NULL array");
    if (n > F_MAX_OBJECTS) return w_fail(w, d, ERR_LIMIT, "more than %u objects in a run", F_MAX_OBJECTS);
    for (uint32_t i = 0; i < n; i++) {
        if (o[i].id != i + 1) return w_fail(w, d, ERR_USAGE, "object %u has id %u, expected %u", i, o[i].id, i + 1);
        if (o[i].capacity < 0 && o[i].kind != TRC_OBJ_COUNTER && o[i].kind != TRC_OBJ_VAR) return w_fail(w, d, ERR_USAGE, "object %u has capacity %lld", o[i].id, (long long)o[i].capacity);
        if (slen(o[i].name) > F_MAX_NAME)
            return w_fail(w, d, ERR_LIMIT, "object %u: name longer than %u bytes", o[i].id, F_MAX_NAME);
    }
    return 0;
}

/* Writes checked units as UNITS chunks, split so none gets too big. */
static int w_put_units(trc_writer *w, diag *d, const trc_unit *u, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        buf *b = &w->pay;
        b->n = 0;
        buf_u32(b, w->nunits);
        buf_u32(b, 0);
        uint32_t k = 0;
        while (i < n && k < F_EV_PER_CHUNK && b->n < F_SPLIT_BYTES) {
            const trc_unit *x = &u[i++];
            buf_u32(b, x->id);
            buf_u32(b, x->kind);
            buf_u32(b, x->parent);
            buf_u32(b, (uint32_t)x->pid);
            buf_u32(b, (uint32_t)x->tid);
            buf_str(b, x->name);
            buf_str(b, x->group);
            k++;
        }
        wr_u32le(b->p + 4, k);
        int rc = w_chunk(w, d, CH_UNITS, w->run, b->p, b->n);
        if (rc) return rc;
        w->nunits += k;
    }
    return 0;
}

static int w_put_objects(trc_writer *w, diag *d, const trc_object *o, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        buf *b = &w->pay;
        b->n = 0;
        buf_u32(b, w->nobjects + 1);
        buf_u32(b, 0);
        uint32_t k = 0;
        while (i < n && k < F_EV_PER_CHUNK && b->n < F_SPLIT_BYTES) {
            const trc_object *x = &o[i++];
            buf_u32(b, x->id);
            buf_u32(b, x->kind);
            buf_str(b, x->name);
            buf_i64(b, x->capacity);
            buf_u32(b, x->subkind);
            buf_u32(b, x->related);
            k++;
        }
        wr_u32le(b->p + 4, k);
        int rc = w_chunk(w, d, CH_OBJECTS, w->run, b->p, b->n);
        if (rc) return rc;
        w->nobjects += k;
    }
    return 0;
}

int trc_writer_run_begin(trc_writer *w, const trc_run *run, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if (!run) return w_fail(w, d, ERR_USAGE, "run_begin: no run");
    if (w->run_open) return w_fail(w, d, ERR_USAGE, "run_begin: run %u is still open (call run_end first)", w->run);
    if (w->nruns >= F_MAX_RUNS) return w_fail(w, d, ERR_LIMIT, "more than %u runs in one file", F_MAX_RUNS);
    if (run->nparams > F_MAX_PARAMS) return w_fail(w, d, ERR_LIMIT, "more than %u parameters", F_MAX_PARAMS);
    if (run->nparams && !run->params) return w_fail(w, d, ERR_USAGE, "run_begin: NULL params");
    if (slen(run->scenario) > F_MAX_NAME || slen(run->source_path) > F_MAX_NAME || slen(run->backend) > F_MAX_NAME ||
        slen(run->machine) > F_MAX_NAME)
        return w_fail(w, d, ERR_LIMIT, "run metadata: a name is longer than %u bytes", F_MAX_NAME);
    if (slen(run->source_text) > F_MAX_TEXT)
        return w_fail(w, d, ERR_LIMIT, "scenario text longer than %u bytes", F_MAX_TEXT);
    for (uint32_t i = 0; i < run->nparams; i++)
        if (slen(run->params[i].name) > F_MAX_NAME)
            return w_fail(w, d, ERR_LIMIT, "parameter %u: name longer than %u bytes", i, F_MAX_NAME);
    w->nunits = 0;
    if ((rc = w_check_units(w, d, run->units, run->nunits))) return rc;
    if ((rc = w_check_objects(w, d, run->objects, run->nobjects))) return rc;

    buf *b = &w->pay;
    b->n = 0;
    buf_str(b, run->scenario);
    buf_str(b, run->source_path);
    buf_str(b, run->source_text);
    buf_u64(b, run->source_hash);
    buf_str(b, run->backend);
    buf_u64(b, run->seed);
    buf_str(b, run->machine);
    buf_u32(b, run->cores);
    buf_u64(b, run->t_start);
    buf_u32(b, run->nparams);
    for (uint32_t i = 0; i < run->nparams; i++) {
        buf_str(b, run->params[i].name);
        buf_i64(b, run->params[i].value);
        buf_u8(b, run->params[i].is_duration ? 1 : 0);
    }
    w->run = w->nruns;
    if ((rc = w_chunk(w, d, CH_RUN_BEGIN, w->run, b->p, b->n))) return rc;
    w->nruns++;
    w->run_open = true;
    w->nunits = w->nobjects = 0;
    w->nstrdef = 0;
    if (w->strdef) memset(w->strdef, 0, w->cap_strdef);
    w->nev = 0;
    if ((rc = w_put_units(w, d, run->units, run->nunits))) return rc;
    if ((rc = w_put_objects(w, d, run->objects, run->nobjects))) return rc;
    return (int)w->run;
}

int trc_writer_units(trc_writer *w, const trc_unit *units, uint32_t n, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "units"))) return rc;
    if ((rc = w_check_units(w, d, units, n))) return rc;
    return w_put_units(w, d, units, n);
}

int trc_writer_string(trc_writer *w, uint32_t index, const char *s, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "string"))) return rc;
    if (index >= w->nstrdef + F_STRING_GAP)
        return w_fail(w, d, ERR_LIMIT, "string index %u: more than %u past the %u strings defined", index,
                      F_STRING_GAP, w->nstrdef);
    size_t byte = index / 8;
    if (byte >= w->cap_strdef) {
        size_t old = w->cap_strdef;
        ARR_GROW(w->strdef, byte + 1, w->cap_strdef);
        memset(w->strdef + old, 0, w->cap_strdef - old);
    }
    if (w->strdef[byte] & (1u << (index % 8))) return w_fail(w, d, ERR_USAGE, "string %u written twice", index);
    size_t len = slen(s);
    if (len > F_MAX_TEXT) return w_fail(w, d, ERR_LIMIT, "string %u longer than %u bytes", index, F_MAX_TEXT);
    buf *b = &w->pay;
    b->n = 0;
    buf_u32(b, index);
    buf_str(b, s);
    if ((rc = w_chunk(w, d, CH_STRING, w->run, b->p, b->n))) return rc;
    w->strdef[byte] |= (uint8_t)(1u << (index % 8));
    w->nstrdef++;
    return 0;
}

int trc_writer_events(trc_writer *w, const trc_event *ev, size_t n, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "events"))) return rc;
    if (n && !ev) return w_fail(w, d, ERR_USAGE, "events: NULL array");
    uint32_t nunits = w->nunits, nobjects = w->nobjects;
    size_t i = 0;
    while (i < n) {
        /* as many as fit in the open EVENTS payload, checked, then copied */
        size_t k = F_EV_PER_CHUNK - w->nev;
        if (k > n - i) k = n - i;
        for (size_t j = i; j < i + k; j++) {
            const trc_event *e = &ev[j];
            if (e->kind == 0 || e->kind >= TRC_EV__MAX)
                return w_fail(w, d, ERR_USAGE, "event %zu has kind %u (valid: 1..%d)", j, e->kind, TRC_EV__MAX - 1);
            if (e->unit >= nunits)
                return w_fail(w, d, ERR_USAGE, "event %zu (%s) names unit %u of %u", j, trc_ev_name(e->kind), e->unit,
                              nunits);
            if (e->obj > nobjects)
                return w_fail(w, d, ERR_USAGE, "event %zu (%s) names object %u of %u", j, trc_ev_name(e->kind),
                              e->obj, nobjects);
        }
        uint8_t *p = w->evpay + 8 + (size_t)w->nev * F_EV_SIZE;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(p, &ev[i], k * F_EV_SIZE);   /* trc_event is the file's layout */
#else
        for (size_t j = i; j < i + k; j++, p += F_EV_SIZE) {
            const trc_event *e = &ev[j];
            wr_u64le(p, e->t);
            wr_u64le(p + 8, e->arg);
            wr_u32le(p + 16, e->unit);
            wr_u32le(p + 20, e->obj);
            put_u16le(p + 24, e->kind);
            put_u16le(p + 26, e->aux);
            wr_u32le(p + 28, e->extra);
        }
#endif
        w->nev += (uint32_t)k;
        i += k;
        if (w->nev == F_EV_PER_CHUNK) {
            if ((rc = w_flush_events(w, d))) return rc;
            if ((rc = w_fflush(w, d))) return rc;
        }
    }
    return 0;
}

trc_event *trc_writer_event_room(trc_writer *w, size_t *n) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (!w || w->err || !w->run_open) return NULL;
    *n = F_EV_PER_CHUNK - w->nev;
    return (trc_event *)(void *)(w->evpay + 8 + (size_t)w->nev * F_EV_SIZE);
#else
    (void)w; (void)n;
    return NULL;
#endif
}

int trc_writer_event_commit(trc_writer *w, size_t k, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "events"))) return rc;
    if (k > F_EV_PER_CHUNK - w->nev) return w_fail(w, d, ERR_USAGE, "committed %zu events into room for %u", k,
                                                    F_EV_PER_CHUNK - w->nev);
    const trc_event *ev = (const trc_event *)(const void *)(w->evpay + 8 + (size_t)w->nev * F_EV_SIZE);
    for (size_t j = 0; j < k; j++) {
        const trc_event *e = &ev[j];
        if (e->kind == 0 || e->kind >= TRC_EV__MAX)
            return w_fail(w, d, ERR_USAGE, "event %zu has kind %u (valid: 1..%d)", j, e->kind, TRC_EV__MAX - 1);
        if (e->unit >= w->nunits)
            return w_fail(w, d, ERR_USAGE, "event %zu (%s) names unit %u of %u", j, trc_ev_name(e->kind), e->unit,
                          w->nunits);
        if (e->obj > w->nobjects)
            return w_fail(w, d, ERR_USAGE, "event %zu (%s) names object %u of %u", j, trc_ev_name(e->kind), e->obj,
                          w->nobjects);
    }
    w->nev += (uint32_t)k;
    if (w->nev == F_EV_PER_CHUNK) {
        if ((rc = w_flush_events(w, d))) return rc;
        if ((rc = w_fflush(w, d))) return rc;
    }
    return 0;
}

int trc_writer_flush(trc_writer *w, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_flush_events(w, d))) return rc;
    return w_fflush(w, d);
}

int trc_writer_run_end(trc_writer *w, uint64_t t_end, uint32_t end_reason, const char *report, diag *d) {
    int rc = w_check(w, d);
    if (rc) return rc;
    if ((rc = w_need_run(w, d, "run_end"))) return rc;
    if (end_reason > TRC_END__MAX) return w_fail(w, d, ERR_USAGE, "run_end: unknown end reason %u", end_reason);
    if (slen(report) > F_MAX_TEXT) return w_fail(w, d, ERR_LIMIT, "run report longer than %u bytes", F_MAX_TEXT);
    if ((rc = w_flush_events(w, d))) return rc;
    buf *b = &w->pay;
    b->n = 0;
    buf_u64(b, t_end);
    buf_u32(b, end_reason);
    buf_str(b, report);
    if ((rc = w_chunk(w, d, CH_RUN_END, w->run, b->p, b->n))) return rc;
    w->run_open = false;
    return w_fflush(w, d);
}

static int w_finish(trc_writer *w, diag *d) {
    int rc = w_flush_events(w, d);  /* a run still open stays unfinished: no RUN_END */
    if (rc) return rc;
    buf *b = &w->pay;
    b->n = 0;
    uint32_t n = (uint32_t)w->nsect;
    buf_u32(b, n);
    buf_u32(b, 0);
    for (size_t i = 0; i < w->nsect; i++) {
        buf_u16(b, w->sect[i].type);
        buf_u16(b, 0);
        buf_u32(b, w->sect[i].run);
        buf_u64(b, w->sect[i].off);
        buf_u64(b, w->sect[i].len);
    }
    uint64_t table_off = w->off;
    if ((rc = w_chunk(w, d, CH_SECTIONS, F_NO_RUN, b->p, b->n))) return rc;
    uint8_t t[F_TRAILER];
    memcpy(t, F_END_MAGIC, 8);
    wr_u64le(t + 8, table_off);
    wr_u32le(t + 16, n);
    wr_u32le(t + 20, crc32_update(0, t, 20));
    if ((rc = w_write(w, d, t, sizeof t))) return rc;
    return w_fflush(w, d);
}

int trc_writer_close(trc_writer *w, diag *d) {
    if (!w) return 0;
    int rc = w_check(w, d);
    if (!rc) rc = w_finish(w, d);
    if (fclose(w->f) != 0 && !rc) rc = w_fail(w, d, ERR_IO, "cannot close '%s': %s", w->path, strerror(errno));
    free(w->sect);
    free(w->strdef);
    free(w->evpay);
    buf_release(&w->pay);
    free(w);
    return rc;
}

int trc_recording_save(const trc_recording *rec, const char *path, diag *d) {
    trc_writer *w;
    int rc = trc_writer_open(&w, path, d);
    if (rc) return rc;
    for (uint32_t r = 0; r < rec->nruns && rc >= 0; r++) {
        const trc_run *run = &rec->runs[r];
        rc = trc_writer_run_begin(w, run, d);
        for (uint32_t i = 0; i < run->nstrings && rc >= 0; i++)
            if (run->strings[i]) rc = trc_writer_string(w, i, run->strings[i], d);
        trc_evcur *c = NULL;
        if (rc >= 0) rc = trc_evcur_open(&c, run, d);
        const trc_event *ev;
        for (size_t k; rc >= 0 && (k = trc_evcur_next(c, &ev)) > 0;) rc = trc_writer_events(w, ev, k, d);
        trc_evcur_close(c);
        if (rc >= 0) rc = trc_writer_run_end(w, run->t_end, run->end_reason, run->report, d);
    }
    if (rc < 0) {
        trc_writer_close(w, NULL);
        return rc;
    }
    return trc_writer_close(w, d);
}
