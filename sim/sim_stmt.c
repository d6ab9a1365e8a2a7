/* The steps of an actor's or a task's body, and the blocks that hold them. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

sim_stmt *sim__new_stmt(parser *ps, sim_stmt_kind k, sim_pos pos) {
    sim_stmt *s = arena_push(&ps->p->mem, sizeof *s);
    s->kind = k;
    s->pos = pos;
    s->obj = s->lock = s->local = UINT32_MAX;
    return s;
}


static int object_ref(parser *ps, unsigned want, const char *verb, bool whole, uint32_t *out, sim_expr **index);

/* An object reference whose kind is in the `want` mask (1 << kind). */
int sim__object_ref(parser *ps, unsigned want, const char *verb, uint32_t *out, sim_expr **index) {
    if (object_ref(ps, want, verb, false, out, index)) return ps->err;
    sim__note_objref(ps, out, index);
    return ps->err;
}

int sim__object_ref_unnoted(parser *ps, unsigned want, const char *verb, bool whole, uint32_t *out, sim_expr **index) {
    return object_ref(ps, want, verb, whole, out, index);
}

void sim__note_objref(parser *ps, uint32_t *at, sim_expr **index) {
    if (ps->err) return;
    if (ps->norefs >= 100000000) { sim__perr(ps, ps->t.pos, ERR_LIMIT, "too many references to objects"); return; }
    ARR_PUSH(ps->orefs, ps->norefs, ps->cap_orefs, ((struct objref){ at, index }));
}

static int object_ref(parser *ps, unsigned want, const char *verb, bool whole, uint32_t *out, sim_expr **index) {
    tok t = ps->t;
    const char *name = sim__take_ident(ps, "an object name");
    if (!name) return ps->err;
    int oi = sim__find_object(ps->p, name);
    char kinds[128] = "";
    for (int k = 1; k < SIM_OBJ__MAX; k++)
        if (want & (1u << k)) {
            if (kinds[0]) strcat(kinds, " or ");
            strcat(kinds, sim__obj_kind_name((sim_obj_kind)k));
        }
    if (oi < 0) {
        sim__perr(ps, t.pos, ERR_SCENARIO, "unknown %s '%s'", kinds, name);
        const char **names = xmalloc(sizeof *names * (ps->p->nobjects + 1));
        size_t n = 0;
        for (uint32_t i = 0; i < ps->p->nobjects; i++)
            if (want & (1u << ps->p->objects[i].kind)) names[n++] = ps->p->objects[i].name;
        const char *c = sim__closest(name, names, n);
        free(names);
        if (c) sim__hint(ps, "did you mean '%s'?", c);
        else sim__hint(ps, "declare it at the top, e.g. %s %s%s", sim__obj_kind_name((sim_obj_kind)__builtin_ctz(want)), name,
                  want == (1u << SIM_OBJ_QUEUE) ? " capacity=N" : "");
        return ps->err;
    }
    const sim_object *o = &ps->p->objects[oi];
    if (!(want & (1u << o->kind))) {
        const char *kn = sim__obj_kind_name(o->kind);
        sim__perr(ps, t.pos, ERR_SCENARIO, "'%s' is %s %s: cannot %s it", name,
             strchr("aeiou", kn[0]) || o->kind == SIM_OBJ_RWLOCK ? "an" : "a", kn, verb);
        if (o->kind == SIM_OBJ_SEMAPHORE && !strcmp(verb, "lock"))
            sim__hint(ps, "a semaphore is taken with 'acquire %s' and given back with 'release %s'", name, name);
        else if (o->kind == SIM_OBJ_SEMAPHORE && !strcmp(verb, "unlock"))
            sim__hint(ps, "give a permit back with 'release %s'", name);
        else if (o->kind == SIM_OBJ_RWLOCK)
            sim__hint(ps, "an rwlock is taken with 'read_lock %s' (shared) or 'write_lock %s' (exclusive), or with "
                     "'read %s { ... }' / 'write %s { ... }'", name, name, name, name);
        else if (want == K_RWLOCK)
            sim__hint(ps, "'%s' is declared at line %d; %s works on an rwlock: declare 'rwlock %s' for shared readers", name,
                 o->pos.line, verb, name);
        else
            sim__hint(ps, "'%s' is declared at line %d; %s works on %s", name, o->pos.line, verb, kinds);
        return ps->err;
    }
    *out = (uint32_t)oi;
    return sim__object_index(ps, t, (uint32_t)oi, whole, index);
}

int sim__object_index(parser *ps, tok name, uint32_t oi, bool whole, sim_expr **index) {
    const sim_object *o = &ps->p->objects[oi];
    char nm[48];
    sim__tok_text(&name, nm, sizeof nm);
    *index = NULL;
    if (is_p(&ps->t, '[')) {
        tok lb = ps->t;
        if (!o->size_expr) {
            sim__perr(ps, lb.pos, ERR_SCENARIO, "'%s' is not an array: it is one %s", nm, sim__obj_kind_name(o->kind));
            sim__hint(ps, "to have several, declare it as an array at line %d: %s %s[N]", o->pos.line,
                      sim__obj_kind_name(o->kind), nm);
            return ps->err;
        }
        sim__next(ps);
        sim_expr *e = sim__parse_expr(ps);
        if (!e || sim__require_type(ps, e, SIM_T_INT, "an index") || sim__expect_p(ps, ']', "to close the index"))
            return ps->err;
        *index = e;
    } else if (o->size_expr && !whole) {
        sim__perr(ps, name.pos, ERR_SCENARIO, "'%s' is an array of %ss: say which one, e.g. %s[0]", nm,
                  sim__obj_kind_name(o->kind), nm);
        sim__hint(ps, "any integer expression picks the element: %s[index], %s[(index + 1) %% %lld]", nm, nm,
                  (long long)o->size);
        return ps->err;
    }
    return 0;
}

/* Optional `timeout=D` after a blocking step. */
int sim__parse_timeout(parser *ps, sim_stmt *s) {
    if (!is_kw(&ps->t, "timeout")) return 0;
    sim__next(ps);
    if (sim__expect_p(ps, '=', "after timeout")) return ps->err;
    s->timeout = sim__parse_expr(ps);
    if (!s->timeout || sim__require_type(ps, s->timeout, SIM_T_DUR, "a timeout")) return ps->err;
    return 0;
}

/* A name of an actor, task or future slot: resolved when the whole file is read. */
int sim__name_ref(parser *ps, int kind, uint32_t *target, const char *what) {
    tok t = ps->t;
    const char *name = sim__take_ident(ps, what);
    if (!name) return ps->err;
    if (ps->nfix >= 1000000) return sim__perr(ps, t.pos, ERR_LIMIT, "too many references");
    ARR_GROW(ps->fix, ps->nfix + 1, ps->cap_fix);
    ps->fix[ps->nfix++] = (struct fixup){ kind, target, name, t.pos, ps->cur_actor, 0, 0, NULL };
    return 0;
}

uint32_t sim__future_slot(parser *ps, const char *name, sim_pos pos) {
    sim_program *p = ps->p;
    for (uint32_t i = 0; i < p->nfuts; i++)
        if (!strcmp(p->futs[i].name, name)) return i;
    ARR_GROW(p->futs, p->nfuts + 1, ps->cap_futs);
    p->futs[p->nfuts] = (sim_name){ name, pos };
    return p->nfuts++;
}

/* A `key=` option after a step: true when `key` comes sim__next (its '=' is then taken, or an error set). */
static bool take_option(parser *ps, const char *key) {
    if (!is_kw(&ps->t, key)) return false;
    sim__next(ps);
    if (!is_p(&ps->t, '=')) {
        char b[64];
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected '=' after %s, found %s", key, sim__tok_desc(&ps->t, b, sizeof b));
    } else {
        sim__next(ps);
    }
    return true;
}

/* A body whose `arg` is the item's (map, as_completed): optional. */
static sim_stmt *parse_item_body(parser *ps, int depth, int loops, bool *has) {
    *has = is_p(&ps->t, '{');
    if (!*has) return NULL;
    bool saved = ps->arg_ok;
    ps->arg_ok = true;
    sim_stmt *b = sim__parse_block(ps, depth + 1, loops + 1);
    ps->arg_ok = saved;
    return b;
}


/* The local a step sets (let X = ..., get Q as X): a `local` declared at the
 * top, or declared here when the name is new (a thread-local value, 0 until set). */
int sim__local_target(parser *ps, const char *where, uint32_t *out) {
    sim_program *p = ps->p;
    tok nt = ps->t;
    if (nt.kind != T_IDENT) {
        char b[64];
        return sim__perr(ps, nt.pos, ERR_SCENARIO, "expected the name of a local %s, found %s", where,
                         sim__tok_desc(&nt, b, sizeof b));
    }
    int li = sim__find_local(p, nt.s, nt.len);
    if (li >= 0) {
        sim__next(ps);
        *out = (uint32_t)li;
        return 0;
    }
    const char *name = sim__take_ident(ps, "a local's name");
    if (!name || sim__check_unique(ps, name, nt.pos)) {
        if (ps->err && sim__find_param(p, nt.s, nt.len) >= 0)
            sim__hint(ps, "a param is a constant: give the value a local of its own name");
        return ps->err;
    }
    if (p->nlocals >= SIM_MAX_PARAMS) return sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d locals", SIM_MAX_PARAMS);
    ARR_GROW(p->locals, p->nlocals + 1, ps->cap_locals);
    p->locals[p->nlocals] = (sim_name){ name, nt.pos };
    *out = p->nlocals++;
    return 0;
}

/* ---- rwlock and queue steps ---------------------------------------------- */

/* After put/get, in any order: timeout=D, nowait, (put) value=EXPR and on a priority queue
 * priority=EXPR, (get) as X. */
static int parse_put_get_options(parser *ps, sim_stmt *s) {
    const sim_object *q = &ps->p->objects[s->obj];
    const char *when = s->kind == SIM_S_PUT ? "full" : "empty";
    for (;;) {
        tok t = ps->t;
        if (is_kw(&t, "timeout") || is_kw(&t, "nowait")) {
            bool is_nowait = is_kw(&t, "nowait");
            if (is_nowait ? s->nowait : s->timeout != NULL)
                return sim__perr(ps, t.pos, ERR_SCENARIO, "%s is given twice", is_nowait ? "nowait" : "timeout=");
            if (is_nowait ? s->timeout != NULL : s->nowait) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "nowait and timeout= cannot go together");
                sim__hint(ps, "nowait never waits: the step fails at once when '%s' is %s; timeout=D waits up to D. "
                         "Keep one", q->name, when);
                return ps->err;
            }
            if (!is_nowait) {
                if (sim__parse_timeout(ps, s)) return ps->err;
                continue;
            }
            sim__next(ps);
            s->nowait = true;
        } else if (is_kw(&t, "value") && s->kind == SIM_S_PUT) {
            if (s->value) return sim__perr(ps, t.pos, ERR_SCENARIO, "value= is given twice");
            sim__next(ps);
            if (sim__expect_p(ps, '=', "after value")) return ps->err;
            s->value = sim__parse_expr(ps);
            if (!s->value || sim__require_type(ps, s->value, SIM_T_INT, "an item's value")) return ps->err;
        } else if (is_kw(&t, "as") && s->kind == SIM_S_GET) {
            if (s->local != UINT32_MAX) return sim__perr(ps, t.pos, ERR_SCENARIO, "as is given twice");
            sim__next(ps);
            if (sim__local_target(ps, "after 'as'", &s->local)) return ps->err;
        } else if (is_kw(&t, "value") || is_kw(&t, "as")) {
            bool val = is_kw(&t, "value");
            sim__perr(ps, t.pos, ERR_SCENARIO, val ? "get takes no value=" : "put takes no 'as'");
            sim__hint(ps, val ? "the item's value comes from its put: get %s as X puts it in local X"
                              : "put %s value=EXPR gives the item its value; get ... as X reads it", q->name);
            return ps->err;
        } else if (is_kw(&t, "priority")) {
            if (s->kind == SIM_S_GET) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "get takes no priority=");
                sim__hint(ps, "get always takes the item with the lowest priority; give each item its priority when you "
                         "put it: put %s priority=N", q->name);
                return ps->err;
            }
            if (q->subkind != TRC_QUEUE_PRIORITY) {
                sim__perr(ps, t.pos, ERR_SCENARIO, "'%s' is a %s queue: priority= needs a priority queue", q->name,
                     trc_queue_kind_name(q->subkind));
                sim__hint(ps, "declare it with kind=priority (line %d): queue %s capacity=N kind=priority", q->pos.line,
                     q->name);
                return ps->err;
            }
            if (s->priority) return sim__perr(ps, t.pos, ERR_SCENARIO, "priority= is given twice");
            sim__next(ps);
            if (sim__expect_p(ps, '=', "after priority")) return ps->err;
            s->priority = sim__parse_expr(ps);
            if (!s->priority || sim__require_type(ps, s->priority, SIM_T_INT, "a priority")) return ps->err;
        } else {
            return 0;
        }
    }
}

/* `join Q` where Q names a queue. Checked before every other step, so that a
 * `join` of something else (a unit) can have its own branch. */
static bool is_queue_join(const parser *ps, const tok *t) {
    if (!is_kw(t, "join") || ps->t.kind != T_IDENT) return false;
    for (uint32_t i = 0; i < ps->p->nobjects; i++) {
        const sim_object *o = &ps->p->objects[i];
        if (o->kind == SIM_OBJ_QUEUE && strlen(o->name) == ps->t.len && !memcmp(o->name, ps->t.s, ps->t.len)) return true;
    }
    return false;
}

static bool is_rwq_step(const tok *t) {
    return is_kw(t, "read_lock") || is_kw(t, "read_unlock") || is_kw(t, "write_lock") || is_kw(t, "write_unlock") ||
           is_kw(t, "read") || is_kw(t, "write") || is_kw(t, "task_done") || is_kw(t, "join");
}

/* read_lock/write_lock X [timeout], read_unlock/write_unlock X, read/write X block,
 * task_done Q, join Q [timeout]. `t` is the step's keyword, already consumed. */
static sim_stmt *parse_rwq_step(parser *ps, tok t, int depth, int loops) {
    sim_stmt *s;
    bool is_read = is_kw(&t, "read_lock") || is_kw(&t, "read_unlock") || is_kw(&t, "read");
    const char *side = is_read ? "read" : "write";
    if (is_kw(&t, "read_lock") || is_kw(&t, "write_lock")) {
        s = sim__new_stmt(ps, is_read ? SIM_S_READ_LOCK : SIM_S_WRITE_LOCK, t.pos);
        if (sim__object_ref(ps, K_RWLOCK, is_read ? "read_lock" : "write_lock", &s->obj, &s->obj_index)) return NULL;
        if (sim__parse_timeout(ps, s)) return NULL;
        if (is_p(&ps->t, '{')) {
            const char *name = ps->p->objects[s->obj].name;
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "%s_lock takes no block", side);
            sim__hint(ps, "the block form is '%s %s { ... }': it takes the %s lock, runs the block and releases it", side,
                 name, side);
            return NULL;
        }
    } else if (is_kw(&t, "read_unlock") || is_kw(&t, "write_unlock")) {
        s = sim__new_stmt(ps, is_read ? SIM_S_READ_UNLOCK : SIM_S_WRITE_UNLOCK, t.pos);
        if (sim__object_ref(ps, K_RWLOCK, is_read ? "read_unlock" : "write_unlock", &s->obj, &s->obj_index)) return NULL;
    } else if (is_kw(&t, "read") || is_kw(&t, "write")) {
        s = sim__new_stmt(ps, is_read ? SIM_S_READ_BLOCK : SIM_S_WRITE_BLOCK, t.pos);
        if (sim__object_ref(ps, K_RWLOCK, side, &s->obj, &s->obj_index)) return NULL;
        const char *name = ps->p->objects[s->obj].name;
        if (is_kw(&ps->t, "timeout")) {
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "a block form cannot have a timeout");
            sim__hint(ps, "use '%s_lock %s timeout=D', then 'if ok { ... %s_unlock %s }'", side, name, side, name);
            return NULL;
        }
        if (!is_p(&ps->t, '{')) {
            char b[64];
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected '{' after '%s %s', found %s", side, name,
                 sim__tok_desc(&ps->t, b, sizeof b));
            sim__hint(ps, "'%s %s { ... }' holds the %s lock for the block; '%s_lock %s' takes it for the steps that follow",
                 side, name, side, side, name);
            return NULL;
        }
        s->body = sim__parse_block(ps, depth + 1, loops);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "task_done")) {
        s = sim__new_stmt(ps, SIM_S_TASK_DONE, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_QUEUE), "call task_done on", &s->obj, &s->obj_index)) return NULL;
    } else {
        s = sim__new_stmt(ps, SIM_S_QUEUE_JOIN, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_QUEUE), "join", &s->obj, &s->obj_index)) return NULL;
        if (sim__parse_timeout(ps, s)) return NULL;
    }
    return s;
}

/* raise ["text"], try { } except ["T"] { } finally { }, yield, abort B, reset B.
 * `t` is the step's keyword, already consumed. */
static sim_stmt *parse_error_step(parser *ps, tok t, int depth, int loops) {
    sim_stmt *s;
    if (is_kw(&t, "raise")) {
        s = sim__new_stmt(ps, SIM_S_RAISE, t.pos);
        if (ps->t.kind == T_STRING) {
            s->text = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);   /* interned when raised: p->strings are marks */
            if (!s->text[0]) {
                sim__perr(ps, ps->t.pos, ERR_SCENARIO, "an error needs a text");
                sim__hint(ps, "say what went wrong: raise \"ValueError: bad input\"");
                return NULL;
            }
            sim__next(ps);
            if (is_p(&ps->t, '+') || is_p(&ps->t, '%')) {
                sim__perr(ps, ps->t.pos, ERR_SCENARIO, "an error's text is one string: it cannot be computed");
                sim__hint(ps, "values are integers: raise a text per case (if arg == 1 { raise \"KeyError: 1\" })");
                return NULL;
            }
        } else if (!ps->in_except) {
            char b[64];
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected the error's \"text\" after raise, found %s",
                      sim__tok_desc(&ps->t, b, sizeof b));
            sim__hint(ps, "raise \"text\" raises an error; a bare raise (in an except block) raises the handled one again");
            return NULL;
        }
        return s;
    }
    if (is_kw(&t, "try")) {
        s = sim__new_stmt(ps, SIM_S_TRY, t.pos);
        s->body = sim__parse_block(ps, depth + 1, loops);
        if (ps->err) return NULL;
        sim_stmt **tail = &s->handlers;
        bool catch_all = false, has_finally = false;
        for (;;) {
            /* except / finally may follow on the same line as the '}' or on the next ones */
            const char *save = ps->cur;
            int sl = ps->line, sc = ps->col;
            tok st = ps->t;
            sim__skip_newlines(ps);
            tok kt = ps->t;
            if ((is_kw(&kt, "except") || is_kw(&kt, "finally")) && has_finally) {
                sim__perr(ps, kt.pos, ERR_SCENARIO, "%s after finally", is_kw(&kt, "except") ? "except" : "a second finally");
                sim__hint(ps, "the order is try { ... } except { ... } finally { ... }, with one finally at most");
                return NULL;
            }
            if (is_kw(&kt, "except")) {
                sim__next(ps);
                if (catch_all) {
                    sim__perr(ps, kt.pos, ERR_SCENARIO, "this except comes after one that catches every error");
                    sim__hint(ps, "put the bare except last: except \"T\" { ... } except { ... }");
                    return NULL;
                }
                sim_stmt *h = sim__new_stmt(ps, SIM_S_EXCEPT, kt.pos);
                if (ps->t.kind == T_STRING) {
                    h->text = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
                    sim__next(ps);
                } else {
                    catch_all = true;
                }
                ps->in_except++;
                h->body = sim__parse_block(ps, depth + 1, loops);
                ps->in_except--;
                if (ps->err) return NULL;
                *tail = h;
                tail = &h->next;
            } else if (is_kw(&kt, "finally")) {
                sim__next(ps);
                has_finally = true;
                s->final = sim__parse_block(ps, depth + 1, loops);   /* NULL when empty: nothing to run */
                if (ps->err) return NULL;
            } else {
                ps->cur = save; ps->line = sl; ps->col = sc; ps->t = st;
                break;
            }
        }
        if (!s->handlers && !has_finally) {
            sim__perr(ps, t.pos, ERR_SCENARIO, "a try needs an except or a finally");
            sim__hint(ps, "try { ... } except { ... }, or try { ... } finally { ... }");
            return NULL;
        }
        return s;
    }
    if (is_kw(&t, "except") || is_kw(&t, "finally")) {
        sim__perr(ps, t.pos, ERR_SCENARIO, "%.*s without a try before it", (int)t.len, t.s);
        sim__hint(ps, "try { ... } except { ... } finally { ... }");
        return NULL;
    }
    if (is_kw(&t, "yield")) return sim__new_stmt(ps, SIM_S_YIELD, t.pos);
    s = sim__new_stmt(ps, is_kw(&t, "abort") ? SIM_S_ABORT : SIM_S_RESET, t.pos);
    if (sim__object_ref(ps, K(SIM_OBJ_BARRIER), is_kw(&t, "abort") ? "abort" : "reset", &s->obj, &s->obj_index)) return NULL;
    return s;
}

/* A declaration where a step should be: the block around it was never closed
 * (a '}' is missing). Reports the innermost open '{'. */
static bool declaration_in_block(parser *ps, const tok *t) {
    if (t->kind != T_IDENT || is_kw(t, "lock")) return false;   /* lock is a step too */
    bool decl = false;
    for (size_t i = 0; i < sim__ntop_keywords && !decl; i++) decl = is_kw(t, sim__top_keywords[i]);
    if (!decl || ps->nopen == 0) return false;
    sim_pos open = ps->open_blocks[ps->nopen - 1];
    char text[48];
    sim__perr(ps, open, ERR_SCENARIO, "this '{' is never closed");
    sim__hint(ps, "a '}' is missing before line %d, where '%s' starts a declaration", t->pos.line,
              sim__tok_text(t, text, sizeof text));
    return true;
}

/* Whether a body has something to do, or a way out, on some path: a loop
 * without either can only spin. */
static bool can_act(const sim_stmt *s) {
    for (; s; s = s->next) {
        switch (s->kind) {
        case SIM_S_IF: if (can_act(s->body) || can_act(s->orelse)) return true; break;
        case SIM_S_REPEAT: case SIM_S_LOOP: if (can_act(s->body)) return true; break;
        default: return true;   /* a step, or a break */
        }
    }
    return false;
}

static sim_stmt *parse_stmt(parser *ps, int depth, int loops) {
    tok t = ps->t;
    if (declaration_in_block(ps, &t)) return NULL;
    if (t.kind != T_IDENT) {
        char b[64];
        sim__perr(ps, t.pos, ERR_SCENARIO, "expected a step (compute, sleep, lock, put, get, repeat...), found %s",
             sim__tok_desc(&t, b, sizeof b));
        return NULL;
    }
    sim__next(ps);
    sim_stmt *s = NULL;
    if (sim__parse_proc_step(ps, t, depth, loops, &s))   /* pipes, shm, vars, exit...: sim_stmt_procs.c */
        return s && !sim__end_statement(ps) ? s : NULL;
    if (is_queue_join(ps, &t)) {
        s = parse_rwq_step(ps, t, depth, loops);
        return s && !sim__end_statement(ps) ? s : NULL;
    }
    if (sim__is_async_step(ps, &t)) {
        s = sim__parse_async_step(ps, t, depth, loops);
        return s && !sim__end_statement(ps) ? s : NULL;
    }
    if (is_kw(&t, "compute") || is_kw(&t, "sleep")) {
        s = sim__new_stmt(ps, is_kw(&t, "compute") ? SIM_S_COMPUTE : SIM_S_SLEEP, t.pos);
        /* compute native D: C code that releases the GIL (unless `native` is a param's name) */
        if (s->kind == SIM_S_COMPUTE && is_kw(&ps->t, "native") && sim__find_param(ps->p, "native", 6) < 0) {
            s->native = true;
            sim__next(ps);
        }
        s->expr = sim__parse_expr(ps);
        if (!s->expr) return NULL;
        if (sim__require_type(ps, s->expr, SIM_T_DUR, is_kw(&t, "compute") ? "compute's argument" : "sleep's argument"))
            return NULL;
        if (s->kind == SIM_S_SLEEP && is_kw(&ps->t, "blocking")) {   /* time.sleep inside a coroutine */
            s->blocking = true;
            sim__next(ps);
        }
    } else if (is_kw(&t, "lock") || is_kw(&t, "acquire")) {
        bool acq = is_kw(&t, "acquire");
        s = sim__new_stmt(ps, SIM_S_LOCK, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK) | (acq ? K(SIM_OBJ_SEMAPHORE) : 0), acq ? "acquire" : "lock",
                       &s->obj, &s->obj_index))
            return NULL;
        if (sim__parse_timeout(ps, s)) return NULL;
        if (is_p(&ps->t, '{')) {
            if (s->timeout) {
                sim__perr(ps, s->timeout->pos, ERR_SCENARIO, "a block form cannot have a timeout");
                sim__hint(ps, "use '%s X timeout=D', then 'if ok { ... }'", acq ? "acquire" : "lock");
                return NULL;
            }
            s->kind = SIM_S_LOCK_BLOCK;
            s->body = sim__parse_block(ps, depth + 1, loops);
            if (ps->err) return NULL;
        }
    } else if (is_kw(&t, "unlock") || is_kw(&t, "release")) {
        bool rel = is_kw(&t, "release");
        s = sim__new_stmt(ps, SIM_S_UNLOCK, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK) | (rel ? K(SIM_OBJ_SEMAPHORE) : 0), rel ? "release" : "unlock",
                       &s->obj, &s->obj_index))
            return NULL;
    } else if (is_kw(&t, "put") || is_kw(&t, "get")) {
        s = sim__new_stmt(ps, is_kw(&t, "put") ? SIM_S_PUT : SIM_S_GET, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_QUEUE), is_kw(&t, "put") ? "put into" : "get from", &s->obj, &s->obj_index)) return NULL;
        if (parse_put_get_options(ps, s)) return NULL;
    } else if (is_kw(&t, "repeat")) {
        s = sim__new_stmt(ps, SIM_S_REPEAT, t.pos);
        s->expr = sim__parse_expr(ps);
        if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "a repeat count")) return NULL;
        s->body = sim__parse_block(ps, depth + 1, loops + 1);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "loop")) {
        s = sim__new_stmt(ps, SIM_S_LOOP, t.pos);
        s->body = sim__parse_block(ps, depth + 1, loops + 1);
        if (ps->err) return NULL;
        if (!can_act(s->body)) {
            sim__perr(ps, t.pos, ERR_SCENARIO, "a loop with no step can only spin");
            sim__hint(ps, "give it something to do and a way out, e.g. loop { sleep 1ms; if ok { break } }");
            return NULL;
        }
    } else if (is_kw(&t, "break")) {
        if (!loops) {
            sim__perr(ps, t.pos, ERR_SCENARIO, "break outside a loop or repeat");
            return NULL;
        }
        s = sim__new_stmt(ps, SIM_S_BREAK, t.pos);
    } else if (is_kw(&t, "if")) {
        s = sim__new_stmt(ps, SIM_S_IF, t.pos);
        s->cond = sim__parse_expr(ps);
        if (!s->cond || sim__require_type(ps, s->cond, SIM_T_INT, "a condition")) return NULL;
        s->body = sim__parse_block(ps, depth + 1, loops);
        if (ps->err) return NULL;
        /* `else` may follow on the same line as the '}' or on the next one */
        const char *save = ps->cur;
        int sl = ps->line, sc = ps->col;
        tok st = ps->t;
        sim__skip_newlines(ps);
        if (is_kw(&ps->t, "else")) {
            sim__next(ps);
            if (is_kw(&ps->t, "if")) {
                s->orelse = parse_stmt(ps, depth + 1, loops);
                if (!s->orelse) return NULL;
                return s;    /* the nested if ended the statement */
            }
            s->orelse = sim__parse_block(ps, depth + 1, loops);
            if (ps->err) return NULL;
        } else {
            ps->cur = save; ps->line = sl; ps->col = sc; ps->t = st;
        }
    } else if (is_kw(&t, "wait")) {
        s = sim__new_stmt(ps, SIM_S_WAIT, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_EVENT) | K(SIM_OBJ_CONDITION) | K(SIM_OBJ_BARRIER), "wait on", &s->obj, &s->obj_index)) return NULL;
        if (sim__parse_timeout(ps, s)) return NULL;
    } else if (is_kw(&t, "wait_for")) {
        s = sim__new_stmt(ps, SIM_S_WAIT_FOR, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_CONDITION), "wait_for", &s->obj, &s->obj_index)) return NULL;
        s->cond = sim__parse_expr(ps);
        if (!s->cond || sim__require_type(ps, s->cond, SIM_T_INT, "a predicate")) return NULL;
        if (sim__parse_timeout(ps, s)) return NULL;
    } else if (is_kw(&t, "notify") || is_kw(&t, "notify_all")) {
        s = sim__new_stmt(ps, is_kw(&t, "notify") ? SIM_S_NOTIFY : SIM_S_NOTIFY_ALL, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_CONDITION), is_kw(&t, "notify") ? "notify" : "notify_all", &s->obj, &s->obj_index)) return NULL;
        if (s->kind == SIM_S_NOTIFY && ps->t.kind != T_NL && ps->t.kind != T_EOF && !is_p(&ps->t, ';') &&
            !is_p(&ps->t, '}')) {
            s->expr = sim__parse_expr(ps);
            if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "how many to notify")) return NULL;
        }
    } else if (is_kw(&t, "set") || is_kw(&t, "clear")) {
        s = sim__new_stmt(ps, is_kw(&t, "set") ? SIM_S_SET : SIM_S_CLEAR, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_EVENT), is_kw(&t, "set") ? "set" : "clear", &s->obj, &s->obj_index)) return NULL;
    } else if (is_kw(&t, "incr") || is_kw(&t, "decr")) {
        bool decr = is_kw(&t, "decr");
        s = sim__new_stmt(ps, SIM_S_INCR, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_COUNTER), decr ? "decrement" : "increment", &s->obj, &s->obj_index)) return NULL;
        if (is_kw(&ps->t, "by")) {
            sim__next(ps);
            s->expr = sim__parse_expr(ps);
            if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "an increment")) return NULL;
        }
        if (decr) {
            sim_expr *one = s->expr;
            if (!one) { one = sim__new_expr(ps, SIM_E_NUM, t.pos); one->value = 1; one->type = SIM_T_INT; }
            sim_expr *neg = sim__new_expr(ps, SIM_E_NEG, t.pos);
            neg->a = one; neg->type = SIM_T_INT; neg->is_const = one->is_const;
            s->expr = neg;
        }
        s->mode = SIM_INCR_ATOMIC;
        if (is_kw(&ps->t, "atomic")) sim__next(ps);
        else if (is_kw(&ps->t, "racy")) {
            sim__next(ps);
            s->mode = SIM_INCR_RACY;
            if (is_kw(&ps->t, "window")) {
                sim__next(ps);
                if (sim__expect_p(ps, '=', "after window")) return NULL;
                s->window = sim__parse_expr(ps);
                if (!s->window || sim__require_type(ps, s->window, SIM_T_DUR, "a racy window")) return NULL;
            }
        } else if (is_kw(&ps->t, "locked")) {
            sim__next(ps);
            s->mode = SIM_INCR_LOCKED;
            if (sim__object_ref(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK), "lock", &s->lock, &s->lock_index)) return NULL;
        }
    } else if (is_kw(&t, "spawn")) {
        s = sim__new_stmt(ps, SIM_S_SPAWN, t.pos);
        if (sim__name_ref(ps, FIX_SPAWN, &s->actor, "the name of the actor to start")) return NULL;
    } else if (is_kw(&t, "join")) {
        s = sim__new_stmt(ps, SIM_S_JOIN, t.pos);
        if (ps->t.kind == T_IDENT) {
            char *name = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
            int oi = sim__find_object(ps->p, name);
            if (oi >= 0) {   /* a queue was taken above: this is another kind of object */
                const sim_object *o = &ps->p->objects[oi];
                sim__perr(ps, ps->t.pos, ERR_SCENARIO, "'%s' is %s: cannot join it", name, sim__a_kind(o->kind));
                sim__hint(ps, "join waits for the threads of an actor (join ACTOR) or for every item of a queue to be "
                              "done (join QUEUE)");
                return NULL;
            }
        }
        if (sim__name_ref(ps, FIX_ACTOR, &s->actor, "the name of the actor to join")) return NULL;
        if (sim__parse_timeout(ps, s)) return NULL;
    } else if (is_kw(&t, "let")) {
        s = sim__new_stmt(ps, SIM_S_LET, t.pos);
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, "the name of a thread-local value");
        if (!name) return NULL;
        uint32_t li = UINT32_MAX;
        for (uint32_t i = 0; i < ps->p->nlocals; i++)
            if (!strcmp(ps->p->locals[i].name, name)) li = i;
        if (li == UINT32_MAX) {
            sim__perr(ps, nt.pos, ERR_SCENARIO, "unknown thread-local value '%s'", name);
            sim__hint(ps, "declare it at the top: local %s", name);
            return NULL;
        }
        s->local = li;
        if (sim__expect_p(ps, '=', "after the local's name")) return NULL;
        s->expr = sim__parse_expr(ps);
        if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "a local's value")) return NULL;
    } else if (is_kw(&t, "submit") || is_kw(&t, "map")) {
        bool map = is_kw(&t, "map");
        s = sim__new_stmt(ps, map ? SIM_S_MAP : SIM_S_SUBMIT, t.pos);
        s->fut = UINT32_MAX;
        if (sim__object_ref(ps, K(SIM_OBJ_POOL), map ? "map over" : "submit to", &s->obj, &s->obj_index)) return NULL;
        if (sim__name_ref(ps, FIX_TASK, &s->task, "a task name")) return NULL;
        if (map) {
            s->expr = sim__parse_expr(ps);
            if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "how many items map runs")) return NULL;
            if (sim__parse_timeout(ps, s)) return NULL;
            bool has;
            s->body = parse_item_body(ps, depth, loops, &has);
            if (ps->err) return NULL;
        } else {
            for (;;) {
                if (take_option(ps, "arg")) {
                    if (ps->err) return NULL;
                    s->expr = sim__parse_expr(ps);
                    if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "a task's arg")) return NULL;
                } else if (is_kw(&ps->t, "as")) {
                    sim__next(ps);
                    tok ft = ps->t;
                    const char *fname = sim__take_ident(ps, "a name for the future");
                    if (!fname) return NULL;
                    s->fut = sim__future_slot(ps, fname, ft.pos);
                } else break;
            }
        }
    } else if (is_kw(&t, "result") || is_kw(&t, "cancel") || is_kw(&t, "on_done")) {
        s = sim__new_stmt(ps, is_kw(&t, "result") ? SIM_S_RESULT : is_kw(&t, "cancel") ? SIM_S_CANCEL : SIM_S_ON_DONE, t.pos);
        if (sim__name_ref(ps, FIX_FUT, &s->fut, is_kw(&t, "cancel") ? "a future's name (from submit ... as NAME) or a timer's"
                                                                     : "a future's name (from submit ... as NAME)"))
            return NULL;
        ps->fix[ps->nfix - 1].stmt = s;   /* cancel T: a timer's name makes it TIMER_CANCEL */
        if (s->kind == SIM_S_RESULT && sim__parse_timeout(ps, s)) return NULL;
        if (s->kind == SIM_S_ON_DONE && sim__name_ref(ps, FIX_TASK, &s->task, "the task to run as the done-callback"))
            return NULL;
    } else if (is_kw(&t, "as_completed")) {
        s = sim__new_stmt(ps, SIM_S_AS_COMPLETED, t.pos);
        if (sim__parse_timeout(ps, s)) return NULL;
        bool has;
        s->body = parse_item_body(ps, depth, loops, &has);
        if (ps->err) return NULL;
    } else if (is_kw(&t, "shutdown")) {
        s = sim__new_stmt(ps, SIM_S_SHUTDOWN, t.pos);
        s->wait = true;
        if (sim__object_ref(ps, K(SIM_OBJ_POOL), "shut down", &s->obj, &s->obj_index)) return NULL;
        if (take_option(ps, "wait")) {
            if (ps->err) return NULL;
            if (is_kw(&ps->t, "yes") || is_kw(&ps->t, "no")) {
                s->wait = is_kw(&ps->t, "yes");
                sim__next(ps);
            } else {
                char b[64];
                sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected yes or no after wait=, found %s", sim__tok_desc(&ps->t, b, sizeof b));
                return NULL;
            }
        }
    } else if (is_kw(&t, "mark")) {
        s = sim__new_stmt(ps, SIM_S_MARK, t.pos);
        if (ps->t.kind != T_STRING) {
            char b[64];
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected a \"text\" after mark, found %s", sim__tok_desc(&ps->t, b, sizeof b));
            return NULL;
        }
        s->text = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
        ARR_GROW(ps->p->strings, ps->p->nstrings + 1, ps->cap_strings);
        s->text_id = ps->p->nstrings;
        ps->p->strings[ps->p->nstrings++] = s->text;
        sim__next(ps);
    } else if (is_rwq_step(&t)) {
        s = parse_rwq_step(ps, t, depth, loops);
        if (!s) return NULL;
    } else if (is_kw(&t, "raise") || is_kw(&t, "try") || is_kw(&t, "except") || is_kw(&t, "finally") ||
               is_kw(&t, "yield") || is_kw(&t, "abort") || is_kw(&t, "reset")) {
        s = parse_error_step(ps, t, depth, loops);
        if (!s) return NULL;
    } else {
        char *name = arena_strndup(&ps->p->mem, t.s, t.len);
        sim__perr(ps, t.pos, ERR_SCENARIO, "unknown step '%s'", name);
        const char *c = sim__closest(name, sim__stmt_keywords, sim__nstmt_keywords);
        int oi = sim__find_object(ps->p, name);
        uint32_t ok = oi >= 0 ? ps->p->objects[oi].kind : 0;
        /* `c += 1`, `c = c + 1`: what a Python user writes to change a counter or a var */
        if (ok == SIM_OBJ_COUNTER)
            sim__hint(ps, "'%s' is a counter: a step changes it, incr %s (by N) or decr %s (by N)", name, name, name);
        else if (ok == SIM_OBJ_VAR)
            sim__hint(ps, "'%s' is a var: a step sets it, let %s = EXPR (incr %s / decr %s add to it)", name, name,
                      name, name);
        else if (sim__find_local(ps->p, t.s, t.len) >= 0)
            sim__hint(ps, "'%s' is a local: a step sets it, let %s = EXPR", name, name);
        else if (c) sim__hint(ps, "did you mean '%s'?", c);
        else sim__hint(ps, "the steps are: compute, sleep, lock, unlock, acquire, release, put, get, wait, wait_for, "
                      "notify, notify_all, set, clear, incr, decr, repeat, loop, break, if, mark, spawn, join, let, "
                      "submit, map, result, cancel, on_done, as_completed, shutdown, read_lock, read_unlock, write_lock, "
                      "write_unlock, read, write, task_done, raise, try, yield, abort, reset, create_task, await, "
                      "gather, send, recv, poll, close, unlink, exit, crash, terminate, kill");
        return NULL;
    }
    if (sim__end_statement(ps)) return NULL;
    return s;
}

sim_stmt *sim__parse_block(parser *ps, int depth, int loops) {
    if (depth > SIM_MAX_NESTING) {
        sim__perr(ps, ps->t.pos, ERR_LIMIT, "blocks nested deeper than %d", SIM_MAX_NESTING);
        return NULL;
    }
    sim_pos open = ps->t.pos;
    if (sim__expect_p(ps, '{', "to open a block")) return NULL;
    if (ps->nopen >= (int)(sizeof ps->open_blocks / sizeof *ps->open_blocks))
        BUG("blocks nested past the limit");
    ps->open_blocks[ps->nopen++] = open;
    sim__skip_newlines(ps);
    sim_stmt *head = NULL, **tail = &head;
    while (!is_p(&ps->t, '}')) {
        if (ps->t.kind == T_EOF) {
            sim__perr(ps, open, ERR_SCENARIO, "this '{' is never closed");
            sim__hint(ps, "a '}' is missing before the end of the file");
            return NULL;
        }
        sim_stmt *s = parse_stmt(ps, depth, loops);
        if (!s) return NULL;
        *tail = s;
        tail = &s->next;
    }
    if (--ps->nopen == 0) {
        ps->last_open = open;
        ps->last_close = ps->t.pos;
    }
    sim__next(ps);
    return head;
}
