#include "testutil.h"
#include "sim/sim_platform.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The test's own directory, made fresh by mkdtemp and removed when the process
 * that made it exits. A name from the pid alone is not enough: pids wrap (at
 * 32768 here), and a directory left by an earlier process with the same pid
 * held its files, a FIFO named like this test's recording among them, which
 * a run then opened for writing and waited on for ever. */
static char tmp_dir[256];
static pid_t tmp_owner;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st; (void)f;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void tmp_remove(void) {
    if (getpid() == tmp_owner && !getenv("WEFT_TEST_KEEP")) nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tmp_path(const char *name) {
    static char paths[16][512];
    static int next;
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/weft-test-%d-XXXXXX", (int)getpid());
        if (!mkdtemp(tmp_dir)) {
            fprintf(stderr, "cannot make a test directory %s: %s\n", tmp_dir, strerror(errno));
            abort();
        }
        if (!tmp_owner) atexit(tmp_remove);
        tmp_owner = getpid();
    }
    char *p = paths[next++ % 16];
    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

int run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define T0 1000000000ull

void rb_init(run_builder *b, const char *scenario) {
    memset(b, 0, sizeof *b);
    b->rec = xcalloc(1, sizeof *b->rec);
    b->rec->runs = arena_push(&b->rec->mem, sizeof(trc_run));
    b->rec->nruns = 1;
    b->run = &b->rec->runs[0];
    b->run->scenario = arena_strdup(&b->rec->mem, scenario);
    b->run->source_path = "";
    b->run->source_text = "";
    b->run->backend = "threads";
    b->run->machine = "test";
    b->run->report = "";
    b->run->t_start = T0;
}

uint32_t rb_unit(run_builder *b, const char *name) {
    trc_run *r = b->run;
    ARR_GROW(r->units, r->nunits + 1, b->cap_u);
    uint32_t id = r->nunits++;
    r->units[id] = (trc_unit){ .id = id, .kind = TRC_UNIT_THREAD, .parent = UINT32_MAX,
                               .name = arena_strdup(&b->rec->mem, name),
                               .group = arena_strdup(&b->rec->mem, name) };
    return id;
}

uint32_t rb_obj(run_builder *b, uint32_t kind, const char *name, int64_t capacity) {
    trc_run *r = b->run;
    ARR_GROW(r->objects, r->nobjects + 1, b->cap_o);
    uint32_t id = ++r->nobjects;
    r->objects[id - 1] = (trc_object){ .id = id, .kind = kind, .name = arena_strdup(&b->rec->mem, name),
                                       .capacity = capacity };
    return id;
}

void rb_ev(run_builder *b, uint64_t t, uint32_t unit, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg,
           uint32_t extra) {
    trc_run *r = b->run;
    ARR_GROW(r->events, r->nevents + 1, b->cap_ev);
    r->events[r->nevents++] = (trc_event){ .t = T0 + t, .arg = arg, .unit = unit, .obj = obj, .kind = kind,
                                           .aux = aux, .extra = extra };
}

trc_recording *rb_finish(run_builder *b, uint64_t t_end) {
    trc_run *r = b->run;
    r->t_end = T0 + t_end;
    /* move the growable arrays into the arena so trc_recording_free owns them */
    trc_unit *u = arena_push(&b->rec->mem, sizeof *u * (r->nunits ? r->nunits : 1));
    if (r->nunits) memcpy(u, r->units, sizeof *u * r->nunits);
    free(r->units);
    r->units = u;
    trc_object *o = arena_push(&b->rec->mem, sizeof *o * (r->nobjects ? r->nobjects : 1));
    if (r->nobjects) memcpy(o, r->objects, sizeof *o * r->nobjects);
    free(r->objects);
    r->objects = o;
    trc_event *e = arena_push(&b->rec->mem, sizeof *e * (r->nevents ? r->nevents : 1));
    if (r->nevents) memcpy(e, r->events, sizeof *e * r->nevents);
    free(r->events);
    r->events = e;
    return b->rec;
}

void tu_run_text(tu_ran *out, const char *name, const char *text, const sim_define *defs, uint32_t ndefs) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    int rc = sim_parse(&p, name, text, defs, ndefs, &d);
    ck_assert_msg(rc == 0, "%s:%d:%d: %s", name, d.line, d.col, d.msg);
    char file[128];
    snprintf(file, sizeof file, "%s.weft", name);
    const char *path = tmp_path(file);
    rc = sim_run(&out->res, p, &(sim_desc){ .out_path = path, .timeout_ns = 30000000000ull, .worker_exe = WEFT_BINARY },
                 &d);
    ck_assert_msg(rc == 0, "sim_run: %s", d.msg);
    sim_program_free(p);
    rc = trc_recording_load(&out->rec, path, &d);
    ck_assert_msg(rc == 0, "load: %s", d.msg);
    ck_assert(!out->rec->truncated);
    ck_assert_uint_eq(out->rec->nruns, 1);
    out->run = &out->rec->runs[0];
    rc = trc_model_build(&out->m, out->run, &d);
    ck_assert_msg(rc == 0, "model: %s", d.msg);
}

void tu_ran_free(tu_ran *r) {
    trc_model_release(&r->m);
    trc_recording_free(r->rec);
}

void tu_parse_err(const char *text, int line, int col, const char *msg, const char *hint) {
    diag d;
    diag_clear(&d);
    sim_program *p = NULL;
    int rc = sim_parse(&p, "t.scn", text, NULL, 0, &d);
    ck_assert_msg(rc < 0, "expected an error containing '%s'", msg);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(d.file, "t.scn");
    ck_assert_msg(d.line == line && d.col == col, "error '%s' at %d:%d, expected %d:%d", d.msg, d.line, d.col, line, col);
    ck_assert_msg(strstr(d.msg, msg), "message '%s' lacks '%s'", d.msg, msg);
    if (hint) ck_assert_msg(strstr(d.hint, hint), "hint '%s' lacks '%s'", d.hint, hint);
}

void tu_weft_shell(char *text, size_t cap, int *status, const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1", WEFT_SOURCE_DIR, WEFT_BINARY, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(text, 1, cap - 1, p);
    text[n] = 0;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void tu_det_run(tu_ran *out, const char *name, const char *text, sim_desc desc, const sim_define *defs, uint32_t ndefs) {
    if (!desc.platform) desc.platform = &sim_plat_test;
    tu_run_desc(out, name, text, desc, defs, ndefs);
}

void tu_run_desc(tu_ran *out, const char *name, const char *text, sim_desc desc, const sim_define *defs, uint32_t ndefs) {
    diag d;
    diag_clear(&d);
    sim_program *p;
    int rc = sim_parse(&p, name, text, defs, ndefs, &d);
    ck_assert_msg(rc == 0, "%s:%d:%d: %s", name, d.line, d.col, d.msg);
    char file[128];
    snprintf(file, sizeof file, "%s.weft", name);
    const char *path = tmp_path(file);
    desc.out_path = path;
    rc = sim_run(&out->res, p, &desc, &d);
    ck_assert_msg(rc == 0, "sim_run: %s", d.msg);
    sim_program_free(p);
    rc = trc_recording_load(&out->rec, path, &d);
    ck_assert_msg(rc == 0, "load: %s", d.msg);
    ck_assert(!out->rec->truncated);
    out->run = &out->rec->runs[0];
    ck_assert_uint_eq(out->run->lost, 0);
    rc = trc_model_build(&out->m, out->run, &d);
    ck_assert_msg(rc == 0, "model: %s", d.msg);
}


uint32_t tu_unit_named(const tu_ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nunits; i++)
        if (!strcmp(r->run->units[i].name, name)) return i;
    ck_abort_msg("no unit %s", name);
    return 0;
}

uint32_t tu_obj_named(const tu_ran *r, const char *name) {
    for (uint32_t i = 0; i < r->run->nobjects; i++)
        if (!strcmp(r->run->objects[i].name, name)) return r->run->objects[i].id;
    ck_abort_msg("no object %s", name);
    return 0;
}

const trc_event *tu_nth(const tu_ran *r, uint16_t kind, uint32_t unit, uint32_t obj, size_t n) {
    for (size_t i = 0; i < r->run->nevents; i++) {
        const trc_event *e = &r->run->events[i];
        if (e->kind == kind && (unit == UINT32_MAX || e->unit == unit) && (obj == UINT32_MAX || e->obj == obj) &&
            n-- == 0)
            return e;
    }
    ck_abort_msg("no such %s event", trc_ev_name(kind));
    return NULL;
}

size_t tu_count(const tu_ran *r, uint16_t kind, uint32_t unit) {
    size_t n = 0;
    for (size_t i = 0; i < r->run->nevents; i++)
        n += r->run->events[i].kind == kind && (unit == UINT32_MAX || r->run->events[i].unit == unit);
    return n;
}
