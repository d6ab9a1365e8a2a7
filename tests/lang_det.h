/* Helpers of the language's run-time tests (tests/test_lang_*.c): a scenario
 * run on the deterministic test platform (one unit at a time, a virtual
 * clock: exact orders and times, no flakiness), read back, modelled; and
 * finders for its units, objects, events and marks. Static: each suite
 * includes its own copy. */
#ifndef WEFT_LANG_DET_H
#define WEFT_LANG_DET_H
#include "testutil.h"
#include "sim/sim.h"
#include "sim/sim_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US 1000ull
#define MS 1000000ull

typedef tu_ran ran;

/* Runs text on the test platform (with -D defs); any failure to run fails the test. */
static inline void det_run_defs(ran *out, const char *name, const char *text, const sim_define *defs, uint32_t ndefs) {
    tu_det_run(out, name, text, (sim_desc){ 0 }, defs, ndefs);
}

static inline void det_run(ran *out, const char *name, const char *text) { det_run_defs(out, name, text, NULL, 0); }

static inline uint32_t unit_named(const ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nunits; i++)
        if (!strcmp(r->run->units[i].name, name)) return i;
    ck_abort_msg("no unit %s", name);
    return 0;
}

static inline uint32_t obj_named(const ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nobjects; i++)
        if (!strcmp(r->run->objects[i].name, name)) return r->run->objects[i].id;
    ck_abort_msg("no object %s", name);
    return 0;
}

/* The n-th (0-based) event of `kind` by `unit` (UINT32_MAX: any) on `obj` (UINT32_MAX: any); fails if missing. */
static inline const trc_event *nth(const ran *r, uint16_t kind, uint32_t unit, uint32_t obj, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == kind && (unit == UINT32_MAX || e->unit == unit) && (obj == UINT32_MAX || e->obj == obj) &&
            n-- == 0)
            return e;
    }
    ck_abort_msg("no such %s event", trc_ev_name(kind));
    return NULL;
}

/* Events of `kind` by unit (UINT32_MAX: any) on obj (UINT32_MAX: any). */
static inline size_t count_ev(const ran *r, uint16_t kind, uint32_t unit, uint32_t obj) {
    size_t n = 0;
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        n += e->kind == kind && (unit == UINT32_MAX || e->unit == unit) && (obj == UINT32_MAX || e->obj == obj);
    }
    return n;
}

/* The event just before e by the same unit, or NULL. */
static inline const trc_event *prev_of_unit(const ran *r, const trc_event *e) {
    for (const trc_event *p = e; p-- > r->run->events;)
        if (p->unit == e->unit) return p;
    return NULL;
}

/* Time after the run's start, to the us (the test platform adds 1 ns per hand-over at one instant). */
static inline uint64_t at(const ran *r, const trc_event *e) { return (e->t - r->run->t_start) / US * US; }

/* How many marks `text` by unit (UINT32_MAX: any). */
static inline size_t marks_of(const ran *r, const char *text, uint32_t unit) {
    size_t n = 0;
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        n += e->kind == TRC_EV_MARK && (unit == UINT32_MAX || e->unit == unit) && e->arg < r->run->nstrings &&
             !strcmp(r->run->strings[e->arg], text);
    }
    return n;
}

/* The time of the n-th mark `text` by unit (UINT32_MAX: any). */
static inline uint64_t mark_at(const ran *r, const char *text, uint32_t unit, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == TRC_EV_MARK && (unit == UINT32_MAX || e->unit == unit) && e->arg < r->run->nstrings &&
            !strcmp(r->run->strings[e->arg], text) && n-- == 0)
            return at(r, e);
    }
    ck_abort_msg("no mark '%s'", text);
    return 0;
}

/* A parse error at line:col with exactly this message (and hint, unless NULL). */
static inline void err_exact_defs(const char *text, const sim_define *defs, uint32_t ndefs, int line, int col,
                                  const char *msg, const char *hint) {
    diag d;
    diag_clear(&d);
    sim_program *p = NULL;
    int rc = sim_parse(&p, "t.scn", text, defs, ndefs, &d);
    ck_assert_msg(rc < 0, "expected the error '%s'", msg);
    ck_assert_ptr_null(p);
    ck_assert_msg(d.line == line && d.col == col, "'%s' at %d:%d, expected %d:%d", d.msg, d.line, d.col, line, col);
    ck_assert_str_eq(d.msg, msg);
    if (hint) ck_assert_str_eq(d.hint, hint);
}

static inline void err_exact(const char *text, int line, int col, const char *msg, const char *hint) {
    err_exact_defs(text, NULL, 0, line, col, msg, hint);
}

static inline sim_program *parse_ok_defs(const char *text, const sim_define *defs, uint32_t ndefs) {
    diag d;
    diag_clear(&d);
    sim_program *p = NULL;
    int rc = sim_parse(&p, "t.scn", text, defs, ndefs, &d);
    ck_assert_msg(rc == 0, "unexpected error %d at %d:%d: %s (%s)", rc, d.line, d.col, d.msg, d.hint);
    return p;
}

static inline sim_program *parse_ok(const char *text) { return parse_ok_defs(text, NULL, 0); }

#endif
