/* sim: what the files of the scenario parser share. Never included outside sim/.
 *
 * The parser is split by concern:
 *   sim_lex.c     UTF-8 source text -> tokens (positions count characters)
 *   sim_diag.c    errors with line:col, the source line, hints, "did you mean"
 *   sim_names.c   looking names up, refusing duplicates, suggesting the closest
 *   sim_expr.c    expressions: typed, folded when constant
 *   sim_stmt.c    the steps of an actor or task body (and loops that can only spin)
 *   sim_decl.c    the top-level declarations
 *   sim_define.c  -D / --sweep overrides
 *   sim_check.c   after parsing: names used before their declaration, limits
 *                 (again after overrides), folded constants, units
 *   sim_eval.c    evaluating an expression (parse time and run time alike)
 *   sim_parse.c   the entry points: sim_parse, sim_parse_file, sim_program_free
 *
 * Grammar (scenarios/README.md has the user's version):
 *
 *   program   := { toplevel sep }
 *   block     := '{' { stmt sep } '}'
 *   expr      := and { 'or' and } ;  and := not { 'and' not } ;  not := 'not' not | cmp
 *   cmp       := sum [ CMP sum ] ;  sum := prod { ('+'|'-') prod } ;  prod := unary { ('*'|'/'|'%') unary }
 *   sep       := NEWLINE | ';'      (a '}' also ends a statement)
 *
 * Expressions are typed (int or duration). Constant ones are folded after the
 * parameters are evaluated (with -D overrides), so every error in them,
 * including division by zero or an absurd size, is reported with its line and
 * column before anything runs.
 *
 * Thread: one parser per call; no shared state.
 */
#ifndef WEFT_SIM_PARSE_INTERNAL_H
#define WEFT_SIM_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sim/sim.h"

//~ tokens

typedef enum tok_kind {
    T_EOF, T_NL, T_IDENT, T_INT, T_DUR, T_STRING, T_PUNCT, T_ERR
} tok_kind;

typedef struct tok {
    tok_kind kind;
    sim_pos pos;
    const char *s; size_t len;     /* source text of the token (bytes) */
    int64_t value;                 /* INT, DUR (ns) */
    int punct;                     /* T_PUNCT: the char, or 'l' <=, 'g' >=, '=' ==, '!' != */
} tok;

//~ the parser's state

typedef struct parser {
    sim_program *p;
    const char *src;
    const char *path;
    const char *cur;               /* lexer position */
    int line, col;                 /* of cur: col counts characters, not bytes */
    tok t;                         /* current token */
    diag *d;
    int err;
    size_t cap_params, cap_objects, cap_actors, cap_expects, cap_strings, cap_tasks, cap_locals, cap_futs;
    int expr_depth;
    /* context of the body being parsed */
    uint32_t cur_actor;            /* actor index, UINT32_MAX in a task body */
    bool arg_ok;                   /* `arg` has a value here: a task body, a map / as_completed body */
    bool in_expect;                /* `makespan` has a value here */
    bool across_runs;              /* the expectation being parsed named makespan[p=v] or memory */
    bool mem_this_run;             /* ... and read this run's memory (resident_per_unit with no [...]) */
    int in_except;                 /* except blocks open around the current token (a bare raise is allowed) */
    /* the blocks open around the current token, outermost first (for "this '{' is never closed") */
    sim_pos open_blocks[SIM_MAX_NESTING + 2];
    int nopen;
    sim_pos last_close;            /* the last '}' that closed a top-level block (line 0: none yet) */
    sim_pos last_open;             /* ... and the '{' it closed */
    const sim_define *defs;        /* the overrides, for messages */
    uint32_t ndefs;
    /* names used before their declaration, resolved at the end (actors, tasks, future slots) */
    struct fixup { int kind; uint32_t *target; const char *name; sim_pos pos; uint32_t from_actor, xi, ii;
                   sim_stmt *stmt; /* FIX_FUT: the step, which a timer's name turns into TIMER_CANCEL */ } *fix;
    size_t nfix, cap_fix;
    /* every reference to an object, by declaration index: made element indexes once
     * the arrays' sizes are final (sim_arrays.c) */
    struct objref { uint32_t *at; sim_expr **index; } *orefs;
    size_t norefs, cap_orefs;
    uint64_t nelems;               /* objects declared so far, counting every element of an array */
} parser;

enum { FIX_ACTOR = 1, FIX_TASK, FIX_FUT, FIX_SPAWN /* an actor, started by spawn */,
       FIX_ORDER /* expects[xi].items[ii]: an actor or a task */,
       FIX_ALIVE /* an actor whose life an expression reads */,
       FIX_SIGNAL /* an actor, terminated or killed (itself too) */ };

#define K(x) (1u << (x))
#define K_RWLOCK (1u << SIM_OBJ_RWLOCK)

//~ sim_lex.c: tokens

void sim__next(parser *ps);                   /* reads the next token into ps->t */
int sim__check_utf8(parser *ps);             /* the whole text is valid UTF-8, or an error at the first bad byte */
static inline bool is_kw(const tok *t, const char *kw) {
    return t->kind == T_IDENT && strlen(kw) == t->len && !memcmp(t->s, kw, t->len);
}
static inline bool is_p(const tok *t, int c) { return t->kind == T_PUNCT && t->punct == c; }
/* "the end of the line", "'foo'", "string \"...\"": for messages (at most 40 characters of the text) */
const char *sim__tok_desc(const tok *t, char *out, size_t cap);
/* Copies a token's text for a message, cut at a character boundary. */
const char *sim__tok_text(const tok *t, char *out, size_t cap);
int sim__expect_p(parser *ps, int c, const char *what);
const char *sim__take_ident(parser *ps, const char *what);
void sim__skip_newlines(parser *ps);
int sim__end_statement(parser *ps);
/* Whether a code point may be part of a name (first: may start one). */
bool sim__name_char(uint32_t cp, bool first);

//~ sim_diag.c: errors

/* The first error sticks: later calls return it and change nothing. */
int sim__perr(parser *ps, sim_pos pos, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void sim__hint(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fills d's file, line, col and snippet (the source line, made safe to print). */
/* A hint for an error at a lone '=' where a comparison belongs (nothing otherwise). */
void sim__hint_single_eq(parser *ps);
/* A hint for an error at a unit a space apart from its number (`10 ms`): write them together. */
void sim__hint_unit_space(parser *ps);
/* sim_lex.c: is s[0..n) a duration or size unit (ms, s, KiB, MB...)? */
bool sim__is_unit(const char *s, size_t n);
void sim__diag_place(diag *d, const char *path, const char *src, sim_pos pos);
/* The closest of names to word, or NULL when none is close enough. */
const char *sim__closest(const char *word, const char *const *names, size_t n);

//~ sim_names.c: names

int sim__find_param(const sim_program *p, const char *s, size_t n);
int sim__find_object(const sim_program *p, const char *s);
int sim__find_actor(const sim_program *p, const char *name);
int sim__find_task(const sim_program *p, const char *name);
int sim__find_local(const sim_program *p, const char *s, size_t n);
int sim__check_unique(parser *ps, const char *name, sim_pos pos);
void sim__hint_closest(parser *ps, const char *name, const sim_name *names, uint32_t n, const char *otherwise);
/* An unknown name where a value is needed: the error, with the closest name of any kind. */
int sim__unknown_value_name(parser *ps, const char *name, sim_pos pos);
const char *sim__obj_kind_name(sim_obj_kind k);
const char *sim__a_kind(sim_obj_kind k);      /* "a lock", "an rwlock" */
extern const char *const sim__stmt_keywords[];
extern const size_t sim__nstmt_keywords;
extern const char *const sim__top_keywords[];
extern const size_t sim__ntop_keywords;
extern const char sim__top_keyword_list[];    /* every declaration, for hints */

//~ sim_expr.c: expressions

sim_expr *sim__new_expr(parser *ps, sim_expr_kind k, sim_pos pos);
sim_expr *sim__parse_expr(parser *ps);
sim_expr *sim__parse_sum(parser *ps);
const char *sim__type_name(sim_type t);
int sim__require_type(parser *ps, const sim_expr *e, sim_type want, const char *what);
/* Evaluates a constant expression at parse time; errors name its place. */
int sim__eval(parser *ps, const sim_expr *e, int64_t *out);

//~ sim_stmt.c: steps

sim_stmt *sim__new_stmt(parser *ps, sim_stmt_kind k, sim_pos pos);
sim_stmt *sim__parse_block(parser *ps, int depth, int loops);
/* An object whose kind is in `want` (1 << kind), with its element when it is an
 * array: NAME or NAME[EXPR]. *out gets the declaration's index and *index the
 * element's expression (NULL for a plain object); both are noted, to be made
 * element indexes when parsing ends. */
int sim__object_ref(parser *ps, unsigned want, const char *verb, uint32_t *out, sim_expr **index);
/* The same, not noted, where an array may be named whole (`whole`): a condition's lock. */
int sim__object_ref_unnoted(parser *ps, unsigned want, const char *verb, bool whole, uint32_t *out, sim_expr **index);
/* After object oi's name: `[EXPR]` when the object is an array (an error when it is
 * not, or when an array is named without one and `whole` is false). */
int sim__object_index(parser *ps, tok name, uint32_t oi, bool whole, sim_expr **index);
/* Notes a reference to an object (at: its declaration index, in arena memory). */
void sim__note_objref(parser *ps, uint32_t *at, sim_expr **index);
int sim__parse_timeout(parser *ps, sim_stmt *s);
int sim__name_ref(parser *ps, int kind, uint32_t *target, const char *what);
/* The local a step sets (`get Q as X`): declared by `local X`, or here when X is a new name. */
int sim__local_target(parser *ps, const char *where, uint32_t *out);
/* The future slot named `name` (made on first use: submit/create_task ... as NAME). */
uint32_t sim__future_slot(parser *ps, const char *name, sim_pos pos);

//~ sim_stmt_async.c: the steps of tasks (create_task, await, gather, wait_for F)

bool sim__is_async_step(const parser *ps, const tok *t);   /* t consumed, ps->t is the next token */
sim_stmt *sim__parse_async_step(parser *ps, tok t, int depth, int loops);

//~ sim_decl_async.c: declarations of the coroutines backend (context, task_stack)

bool sim__is_async_decl(const tok *t);
int sim__parse_async_decl(parser *ps, tok t);

//~ sim_decl.c: declarations

int sim__parse_toplevel(parser *ps);
/* The limits of an object's capacity (permits, parties, workers, queue capacity), with
 * the declaration's line:col: at its declaration and again after -D overrides. */
int sim__check_object_value(parser *ps, const sim_object *o);
/* An array's size (1 .. SIM_MAX_OBJECTS elements, and no more objects than that in
 * all), at its declaration and again after -D overrides. */
int sim__check_array_size(parser *ps, const sim_object *o, uint64_t before);
int sim__check_actor_count(parser *ps, const sim_actor *a, uint64_t units_before);
int sim__rw_prefer_value(parser *ps, sim_object *o);
/* sim_record.c: `record ...` (how the run is recorded); `record` is consumed. */
int sim__parse_record(parser *ps, sim_pos at);

//~ sim_gil_parse.c: gil on|off, switch_interval D

/* The name is `gil` or `switch_interval`: a param only these declarations make. */
bool sim__gil_reserved(const char *s, size_t n);
/* `gil EXPR` / `switch_interval EXPR`, the keyword (kw) consumed. */
int sim__parse_gil_decl(parser *ps, const tok *kw);
/* Declares gil (off) or switch_interval (5ms) for a -D of a scenario that does not. */
int sim__gil_define_default(parser *ps, const char *name);
/* Checks value v of param pi when it is the GIL's (0/1, 1us..10s); error at pos. */
int sim__gil_check_value(parser *ps, uint32_t pi, int64_t v, sim_pos pos);
//~ sim_decl_procs.c, sim_stmt_procs.c: processes and backends

/* backend, backends, start_method, pipe, shm, var, manager (t consumed): *handled says whether t was one. */
int sim__parse_toplevel_procs(parser *ps, tok t, bool *handled);
/* A queue's or pool's option of processes (kt consumed, '=' next): 1 taken, 0 not one of them, -1 error. */
int sim__proc_object_option(parser *ps, sim_object *o, tok kt);
int sim__check_proc_values(parser *ps, const sim_object *o);
/* `managed by M` (optional) after a counter's or a var's value. */
int sim__managed_by(parser *ps, sim_object *o);
/* An actor's start=fork|spawn (at `start`). */
int sim__actor_start(parser *ps, sim_actor *a);
/* expect torn_reads S CMP V, expect exitcode A CMP V (what consumed). */
int sim__parse_expect_procs(parser *ps, const char *what, sim_expect *x, bool *handled);
/* After an object's name: an optional [SIZE] (an array of that many), counted against the limit. */
int sim__parse_array_size(parser *ps, sim_object *o);
int sim__procs_after_overrides(parser *ps);
/* Before the arrays become their elements (sim__expand_arrays): the object references kept
 * outside the noted ones, a counter's or var's manager and torn_reads' shm, become element
 * indexes. */
/* `backend B if EXPR`: decides the program's backend once the params are final (sim_decl_procs.c). */
int sim__backend_resolve(parser *ps);
int sim__procs_before_arrays(parser *ps);
/* The steps of processes (t consumed): send, recv, poll, close, write/read on a shm, unlink,
 * let on a var, exit, crash, terminate, kill. true when t was one (*out NULL on error). */
bool sim__parse_proc_step(parser *ps, tok t, int depth, int loops, sim_stmt **out);

//~ sim_define.c: overrides

int sim__apply_define(parser *ps, const sim_define *def);

//~ sim_check.c: after parsing

int sim__resolve_names(parser *ps);
int sim__after_overrides(parser *ps);      /* re-evaluates params and every value that uses them */
int sim__check_stmts(parser *ps, sim_stmt *s);
int sim__check_timer(parser *ps, sim_actor *a);   /* a timer's delay, folded and checked */
int sim__count_units(parser *ps);

//~ sim_arrays.c: arrays of objects

/* Once the sizes are final: checks constant indexes and condition bindings, makes
 * prog->objects the table of elements and every noted reference an element index. */
int sim__expand_arrays(parser *ps);
/* The coroutines' constructs (own_loop, task_stack, units made while running) on backend
 * `backend` (sim_async_check.c; sim_check_backend calls it). */
int async_backend_check(const sim_program *p, const char *backend, diag *d);

#endif
