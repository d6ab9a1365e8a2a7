/* Helpers shared by the Check suites. */
#ifndef WEFT_TESTUTIL_H
#define WEFT_TESTUTIL_H
#include <check.h>
#include "traces/trc.h"

/* A fresh path under a per-process temporary folder: tmp_path("x.weft"). */
const char *tmp_path(const char *name);
/* Runs the weft binary with args through the shell in the source folder,
 * stdout and stderr together into text (cap bytes, NUL-terminated); *status
 * is the exit status, or 128 + the signal that ended it. */
void tu_weft_shell(char *text, size_t cap, int *status, const char *args);
/* Runs a Check suite with CK_NORMAL output and returns the process exit code. */
int run_suite(Suite *s);

/* Builds a run by hand for model/export/render tests.
 * rb_unit/rb_obj return the id; rb_ev appends an event at relative time t (ns). */
typedef struct run_builder { trc_recording *rec; trc_run *run; size_t cap_ev, cap_u, cap_o; } run_builder;
void rb_init(run_builder *b, const char *scenario);
uint32_t rb_unit(run_builder *b, const char *name);
uint32_t rb_obj(run_builder *b, uint32_t kind, const char *name, int64_t capacity);
void rb_ev(run_builder *b, uint64_t t, uint32_t unit, uint16_t kind, uint32_t obj, uint16_t aux, uint64_t arg, uint32_t extra);
/* Finishes the run (t_end relative ns) and returns the recording (owned by the caller). */
trc_recording *rb_finish(run_builder *b, uint64_t t_end);

/* Scenario helpers (link weft_sim). tu_run_text runs scenario text for real into
 * a temporary .weft, loads it back and builds the model; any failure fails the
 * test. tu_parse_err asserts a parse error at line:col whose message contains
 * msg (and whose hint contains hint, if given). */
#include "sim/sim.h"
typedef struct tu_ran { trc_recording *rec; trc_model m; sim_result res; const trc_run *run; } tu_ran;
void tu_run_text(tu_ran *out, const char *name, const char *text, const sim_define *defs, uint32_t ndefs);
void tu_ran_free(tu_ran *r);
/* As tu_run_text, on desc (the test platform when desc.platform is NULL); the
 * recording must be complete (no loss, not truncated). */
void tu_det_run(tu_ran *out, const char *name, const char *text, sim_desc desc, const sim_define *defs, uint32_t ndefs);
/* The same on the platform desc names (NULL: the scenario's backend's). */
void tu_run_desc(tu_ran *out, const char *name, const char *text, sim_desc desc, const sim_define *defs, uint32_t ndefs);
void tu_parse_err(const char *text, int line, int col, const char *msg, const char *hint);
/* Looking things up in a run (each fails the test when there is none): a unit's index and
 * an object's id by name; the n-th (0-based) event of `kind` by `unit` (UINT32_MAX: any) on
 * `obj` (UINT32_MAX: any); how many events of `kind` `unit` has (UINT32_MAX: any unit). */
uint32_t tu_unit_named(const tu_ran *r, const char *name);
uint32_t tu_obj_named(const tu_ran *r, const char *name);
const trc_event *tu_nth(const tu_ran *r, uint16_t kind, uint32_t unit, uint32_t obj, size_t n);
size_t tu_count(const tu_ran *r, uint16_t kind, uint32_t unit);
#endif
