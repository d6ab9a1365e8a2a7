/* The top-level declarations: title, params, backend, objects, actors,
 * tasks, locals, sweeps and expectations. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- expectations ----------------------------------------------------------- */

/* A condition at the top of an expectation: a comparison, or and / or / not of them. */
static bool is_condition(const sim_expr *e) {
    if (e->kind == SIM_E_NOT) return true;
    return e->kind == SIM_E_BIN && strchr("<>lg=!&|", e->op);
}

/* The first part of e that reads what one run left (a counter, a queue's size, lost updates), or NULL. */
static const sim_expr *reads_run_state(const sim_expr *e) {
    if (!e) return NULL;
    if (e->kind == SIM_E_COUNTER || e->kind == SIM_E_SIZE || e->kind == SIM_E_LOST) return e;
    const sim_expr *x = reads_run_state(e->a);
    if (!x) x = reads_run_state(e->b);
    for (uint32_t i = 0; !x && i < e->nitems; i++) x = reads_run_state(e->items[i]);
    return x;
}

/* `expect ... if COND`: the clause holds only for the runs whose params make COND
 * true (COND over params, read once -D and the sweep have set them: sim_check.c
 * decides, for this run's program). A clause that only compares runs (makespan[P=v]) is not
 * one run's: it takes no `if`. */
static int expect_if(parser *ps, sim_expect *x) {
    if (!is_kw(&ps->t, "if")) return 0;
    sim_pos at = ps->t.pos;
    if (x->across_runs && !x->per_run && x->kind == SIM_X_RELATION) {
        sim__perr(ps, at, ERR_SCENARIO, "an expectation that compares runs takes no `if`: it is about all of them");
        sim__hint(ps, "`if` picks the runs a per-run expectation holds for: expect stuck if late == 1");
        return ps->err;
    }
    sim__next(ps);
    sim_expr *e = sim__parse_expr(ps);
    if (!e) return ps->err;
    if (sim__require_type(ps, e, SIM_T_INT, "the expectation's condition")) return ps->err;
    if (!e->is_const) {
        sim__perr(ps, e->pos, ERR_SCENARIO, "the expectation's condition must be a constant (params, no random values, "
                  "counters or step results)");
        return ps->err;
    }
    x->cond = e;   /* decided once -D and the sweep have set the params (sim_check.c) */
    if (is_kw(&ps->t, "on")) {
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "`on` comes before `if` in an expectation");
        sim__hint(ps, "expect ... on B1, B2 if COND, e.g. expect stuck on threads if late == 1");
        return ps->err;
    }
    return 0;
}

/* `expect ... on B1, B2`: the expectation applies only to the runs on those backends
 * (a relation across runs: it is evaluated within each of them). */
static int parse_expect_on(parser *ps, sim_expect *x) {
    if (!is_kw(&ps->t, "on")) return 0;
    sim__next(ps);
    for (;;) {
        tok bt = ps->t;
        unsigned b = bt.kind == T_IDENT ? sim_backend_by_name(bt.s, bt.len) : 0;
        if (!b) {
            char tb[64];
            sim__perr(ps, bt.pos, ERR_SCENARIO, "expected a backend after 'on' (threads, processes or coroutines), found %s",
                      sim__tok_desc(&bt, tb, sizeof tb));
            return ps->err;
        }
        if (x->on_backends & (1u << b))
            return sim__perr(ps, bt.pos, ERR_SCENARIO, "backend '%.*s' is named twice after 'on'", (int)bt.len, bt.s);
        x->on_backends |= 1u << b;
        sim__next(ps);
        if (!is_p(&ps->t, ',')) break;
        sim__next(ps);
    }
    return 0;
}

/* The name after `expect counter` (or `expect lost_updates`), when it is one, must name a
 * counter: the same errors as a step's object ("unknown counter", "'m' is a lock"). */
static int check_expect_subject(parser *ps) {
    if (ps->t.kind != T_IDENT) return 0;
    char *name = arena_strndup(&ps->p->mem, ps->t.s, ps->t.len);
    int oi = sim__find_object(ps->p, name);
    static const char *const words[] = { "makespan", "size", "lost_updates", "index", "ok", "timed_out", "arg", "not",
                                         "uniform", "exp", "choice", "alive", "min", "max", "never_awaited",
                                         "resident_per_unit", "virtual_per_unit" };
    for (size_t i = 0; oi < 0 && i < sizeof words / sizeof *words; i++)
        if (!strcmp(name, words[i])) return 0;
    if (oi < 0 && (sim__find_param(ps->p, ps->t.s, ps->t.len) >= 0 || sim__find_local(ps->p, ps->t.s, ps->t.len) >= 0))
        return 0;
    if (oi >= 0 && ps->p->objects[oi].kind == SIM_OBJ_COUNTER) return 0;
    /* report it as a step would, then leave the lexer where it was (the error sticks) */
    const char *cur = ps->cur;
    int line = ps->line, col = ps->col;
    tok t = ps->t;
    uint32_t o;
    sim_expr *ix;
    sim__object_ref_unnoted(ps, K(SIM_OBJ_COUNTER), "expect on", false, &o, &ix);
    ps->cur = cur; ps->line = line; ps->col = col; ps->t = t;
    return ps->err;
}

/* ---- arrays ---------------------------------------------------------------- */

int sim__check_array_size(parser *ps, const sim_object *o, uint64_t before) {
    if (!o->size_expr) return 0;
    int64_t v = o->size;
    sim_pos at = o->size_expr->pos;
    if (v < 1)
        return sim__perr(ps, at, ERR_SCENARIO, "an array of %ss needs at least 1 element, not %lld", sim__obj_kind_name(o->kind),
                         (long long)v);
    if ((uint64_t)v > SIM_MAX_OBJECTS || before + (uint64_t)v > SIM_MAX_OBJECTS) {
        sim__perr(ps, at, ERR_LIMIT, "array '%s' of %lld makes more than %d objects (%llu in all)", o->name, (long long)v,
                  SIM_MAX_OBJECTS, (unsigned long long)(before + (uint64_t)v));
        return ps->err;
    }
    return 0;
}

/* After an object's name: an optional [SIZE], a constant integer. */
int sim__parse_array_size(parser *ps, sim_object *o) {
    o->size = 1;
    if (!is_p(&ps->t, '[')) {
        if (ps->nelems + 1 > SIM_MAX_OBJECTS) return sim__perr(ps, o->pos, ERR_LIMIT, "more than %d objects", SIM_MAX_OBJECTS);
        ps->nelems++;
        return 0;
    }
    sim__next(ps);
    sim_expr *e = sim__parse_expr(ps);
    if (!e || sim__require_type(ps, e, SIM_T_INT, "an array's size") || sim__expect_p(ps, ']', "to close the array's size"))
        return ps->err;
    if (!e->is_const) return sim__perr(ps, e->pos, ERR_SCENARIO, "an array's size must be a constant");
    o->size_expr = e;
    if (sim__eval(ps, e, &o->size) || sim__check_array_size(ps, o, ps->nelems)) return ps->err;
    ps->nelems += (uint64_t)o->size;
    return 0;
}

/* ---- rwlock and queue declarations --------------------------------------- */

/* queue ... kind=fifo|lifo|priority; `kind` is consumed. */
static int parse_queue_kind(parser *ps, sim_object *o) {
    if (sim__expect_p(ps, '=', "after kind")) return ps->err;
    tok vt = ps->t;
    static const char *const kinds[] = { "fifo", "lifo", "priority" };   /* trc_queue_kind order */
    for (uint32_t k = 0; k < 3; k++)
        if (is_kw(&vt, kinds[k])) {
            o->subkind = k;
            sim__next(ps);
            return 0;
        }
    char name[48], b[64];
    sim__tok_text(&vt, name, sizeof name);
    if (vt.kind != T_IDENT)
        return sim__perr(ps, vt.pos, ERR_SCENARIO, "expected a queue kind (fifo, lifo or priority), found %s",
                    sim__tok_desc(&vt, b, sizeof b));
    sim__perr(ps, vt.pos, ERR_SCENARIO, "unknown queue kind '%s'", name);
    const char *c = sim__closest(name, kinds, 3);
    if (c) sim__hint(ps, "did you mean '%s'?", c);
    else sim__hint(ps, "kind=fifo (the default: oldest first), kind=lifo (newest first) or kind=priority (lowest first)");
    return ps->err;
}

/* prefer=EXPR: 0 = writers, 1 = readers (a param can switch it with -D). */
int sim__rw_prefer_value(parser *ps, sim_object *o) {
    int64_t v;
    if (sim__eval(ps, o->prefer_expr, &v)) return ps->err;
    if (v != 0 && v != 1) {
        sim__perr(ps, o->prefer_expr->pos, ERR_SCENARIO,
             "rwlock '%s': prefer= is %lld; it must be writers (0) or readers (1)", o->name, (long long)v);
        sim__hint(ps, "prefer=writers, prefer=readers, or a param that is 0 (writers) or 1 (readers)");
        return ps->err;
    }
    o->prefer = v ? SIM_RW_READERS : SIM_RW_WRITERS;
    return 0;
}

/* rwlock NAME [prefer=writers|readers|EXPR]; `rwlock` is consumed. */
static int parse_rwlock_decl(parser *ps) {
    sim_program *p = ps->p;
    tok nt = ps->t;
    const char *name = sim__take_ident(ps, "an rwlock name");
    if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
    sim_object o = { .name = name, .pos = nt.pos, .kind = SIM_OBJ_RWLOCK, .prefer = SIM_RW_WRITERS };
    if (sim__parse_array_size(ps, &o)) return ps->err;
    while (ps->t.kind == T_IDENT) {
        tok kt = ps->t;
        sim__next(ps);
        if (!is_kw(&kt, "prefer")) {
            sim__perr(ps, kt.pos, ERR_SCENARIO, "unknown rwlock option '%.*s'", (int)kt.len, kt.s);
            sim__hint(ps, "an rwlock takes prefer=writers (the default) or prefer=readers");
            return ps->err;
        }
        if (sim__expect_p(ps, '=', "after prefer")) return ps->err;
        tok vt = ps->t;
        if (is_kw(&vt, "writers") || is_kw(&vt, "readers")) {
            o.prefer = is_kw(&vt, "readers") ? SIM_RW_READERS : SIM_RW_WRITERS;
            o.prefer_expr = NULL;
            sim__next(ps);
            continue;
        }
        if (vt.kind == T_IDENT && sim__find_param(p, vt.s, vt.len) < 0) {
            static const char *const sides[] = { "writers", "readers" };
            char word[48];
            sim__tok_text(&vt, word, sizeof word);
            sim__perr(ps, vt.pos, ERR_SCENARIO, "unknown preference '%s'", word);
            const char *c = sim__closest(word, sides, 2);
            if (c) sim__hint(ps, "did you mean '%s'?", c);
            else sim__hint(ps, "prefer=writers (a waiting writer holds back new readers) or prefer=readers (readers "
                          "overtake waiting writers)");
            return ps->err;
        }
        o.prefer_expr = sim__parse_expr(ps);
        if (!o.prefer_expr || sim__require_type(ps, o.prefer_expr, SIM_T_INT, "prefer=")) return ps->err;
        if (!o.prefer_expr->is_const)
            return sim__perr(ps, o.prefer_expr->pos, ERR_SCENARIO, "prefer= must be a constant");
        if (sim__rw_prefer_value(ps, &o)) return ps->err;
    }
    ARR_GROW(p->objects, p->nobjects + 1, ps->cap_objects);
    p->objects[p->nobjects++] = o;
    return 0;
}

/* Objects whose value is a size: the limits, checked where they are declared
 * and again after -D overrides, with the declaration's line:col either way. */
int sim__check_object_value(parser *ps, const sim_object *o) {
    int64_t v = o->cap_value;
    sim_pos at = o->capacity ? o->capacity->pos : o->pos;
    switch (o->kind) {
    case SIM_OBJ_SEMAPHORE:
        if (v < 0 || v > SIM_MAX_CAPACITY)
            return sim__perr(ps, at, v < 0 ? ERR_SCENARIO : ERR_LIMIT, "a semaphore's permits must be 0..%d, not %lld",
                             SIM_MAX_CAPACITY, (long long)v);
        break;
    case SIM_OBJ_BARRIER: case SIM_OBJ_POOL:
        if (v < 1 || v > SIM_MAX_UNITS)
            return sim__perr(ps, at, v < 1 ? ERR_SCENARIO : ERR_LIMIT, "a %s must be 1..%d, not %lld",
                             o->kind == SIM_OBJ_BARRIER ? "barrier's parties" : "pool's workers", SIM_MAX_UNITS,
                             (long long)v);
        break;
    case SIM_OBJ_QUEUE:
        if (!o->capacity) break;   /* "needs a capacity", said by the declaration */
        if (v <= 0)
            return sim__perr(ps, at, ERR_SCENARIO, "a queue's capacity must be at least 1, not %lld", (long long)v);
        if (v > SIM_MAX_CAPACITY)
            return sim__perr(ps, at, ERR_LIMIT, "capacity %lld is larger than weft's limit of %d", (long long)v,
                             SIM_MAX_CAPACITY);
        break;
    default: break;
    }
    return 0;
}

int sim__check_actor_count(parser *ps, const sim_actor *a, uint64_t units_before) {
    int64_t v = a->count_value;
    if (!a->count) return 0;
    if (v < 0)
        return sim__perr(ps, a->count->pos, ERR_SCENARIO, "actor '%s' has a negative count (%lld)", a->name, (long long)v);
    if (units_before + (uint64_t)v > SIM_MAX_UNITS) {
        sim__perr(ps, a->count->pos, ERR_LIMIT, "actor '%s' * %lld makes more than %d units (%llu in all)", a->name,
                  (long long)v, SIM_MAX_UNITS, (unsigned long long)(units_before + (uint64_t)v));
        sim__hint(ps, "lower the count%s", ps->p->params && a->count->kind == SIM_E_PARAM &&
                  ps->p->params[a->count->param].overridden ? " given with -D" : ", or override it with -D");
        return ps->err;
    }
    return 0;
}

int sim__parse_toplevel(parser *ps) {
    sim_program *p = ps->p;
    tok t = ps->t;
    if (is_p(&t, '}')) {
        sim__perr(ps, t.pos, ERR_SCENARIO, "this '}' closes no block");
        if (ps->last_close.line)
            sim__hint(ps, "the block opened at line %d was closed at line %d already; remove one '}'", ps->last_open.line,
                      ps->last_close.line);
        else
            sim__hint(ps, "no block is open here; remove it");
        return ps->err;
    }
    if (t.kind != T_IDENT) {
        char b[64];
        sim__perr(ps, t.pos, ERR_SCENARIO, "expected a declaration, found %s", sim__tok_desc(&t, b, sizeof b));
        sim__hint(ps, "the declarations are: %s (see scenarios/README.md)", sim__top_keyword_list);
        return ps->err;
    }
    sim__next(ps);
    bool procs_decl;   /* backend, backends, start_method, pipe, shm, var, manager: sim_decl_procs.c */
    if (sim__parse_toplevel_procs(ps, t, &procs_decl)) return ps->err;
    if (procs_decl) return sim__end_statement(ps);
    if (is_kw(&t, "scenario")) {
        if (ps->t.kind != T_STRING) {
            char b[64];
            return sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected the scenario's title as a \"string\", found %s",
                        sim__tok_desc(&ps->t, b, sizeof b));
        }
        p->title = arena_strndup(&p->mem, ps->t.s, ps->t.len);
        sim__next(ps);
    } else if (is_kw(&t, "gil") || is_kw(&t, "switch_interval")) {
        if (sim__parse_gil_decl(ps, &t)) return ps->err;
    } else if (is_kw(&t, "param")) {
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, "a parameter name");
        if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
        if (sim__gil_reserved(name, strlen(name))) {
            sim__perr(ps, nt.pos, ERR_SCENARIO, "'%s' is the GIL's own parameter: declare it with '%s ...'", name, name);
            sim__hint(ps, !strcmp(name, "gil") ? "gil on, or gil off" : "switch_interval 5ms");
            return ps->err;
        }
        if (sim__expect_p(ps, '=', "after the parameter's name")) return ps->err;
        sim_expr *e = sim__parse_expr(ps);
        if (!e) return ps->err;
        if (!e->is_const) {
            sim__perr(ps, e->pos, ERR_SCENARIO, "a param must be a constant (no random values, counters or step results)");
            sim__hint(ps, "use the random value where it is needed, e.g. sleep uniform 1ms 3ms");
            return ps->err;
        }
        if (p->nparams >= SIM_MAX_PARAMS) return sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d parameters", SIM_MAX_PARAMS);
        ARR_GROW(p->params, p->nparams + 1, ps->cap_params);
        sim_param *pa = &p->params[p->nparams];
        *pa = (sim_param){ .name = name, .pos = nt.pos, .expr = e, .type = e->type };
        if (sim__eval(ps, e, &pa->value)) return ps->err;
        p->nparams++;
    } else if (is_kw(&t, "lock") || is_kw(&t, "rlock") || is_kw(&t, "queue") || is_kw(&t, "semaphore") ||
               is_kw(&t, "event") || is_kw(&t, "condition") || is_kw(&t, "barrier") || is_kw(&t, "counter") ||
               is_kw(&t, "pool") || is_kw(&t, "bounded_semaphore")) {
        sim_obj_kind kind = is_kw(&t, "lock") ? SIM_OBJ_LOCK : is_kw(&t, "rlock") ? SIM_OBJ_RLOCK
                          : is_kw(&t, "queue") ? SIM_OBJ_QUEUE
                          : is_kw(&t, "semaphore") || is_kw(&t, "bounded_semaphore") ? SIM_OBJ_SEMAPHORE
                          : is_kw(&t, "event") ? SIM_OBJ_EVENT : is_kw(&t, "condition") ? SIM_OBJ_CONDITION
                          : is_kw(&t, "barrier") ? SIM_OBJ_BARRIER : is_kw(&t, "pool") ? SIM_OBJ_POOL : SIM_OBJ_COUNTER;
        tok nt = ps->t;
        char what[32];
        snprintf(what, sizeof what, "a %s name", sim__obj_kind_name(kind));
        const char *name = sim__take_ident(ps, what);
        if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
        sim_object o = { .name = name, .pos = nt.pos, .kind = kind };
        if (is_kw(&t, "bounded_semaphore")) o.subkind = 1;   /* threading.BoundedSemaphore */
        if (sim__parse_array_size(ps, &o)) return ps->err;
        if (kind == SIM_OBJ_SEMAPHORE || kind == SIM_OBJ_BARRIER || kind == SIM_OBJ_COUNTER || kind == SIM_OBJ_POOL) {
            /* semaphore s 3 | barrier b 3 | counter c = 0 (also permits=3, parties=3) */
            if (kind == SIM_OBJ_COUNTER) {
                if (!is_p(&ps->t, '=')) {
                    o.capacity = NULL;
                    o.cap_value = 0;
                    if (sim__managed_by(ps, &o)) return ps->err;   /* counter c managed by m */
                    goto declared;
                }
                sim__next(ps);
            } else if (is_kw(&ps->t, kind == SIM_OBJ_SEMAPHORE ? "permits" : kind == SIM_OBJ_BARRIER ? "parties" : "workers")) {
                /* the option's name, when '=' follows (else it is a param of that name) */
                const char *save = ps->cur;
                int sl = ps->line, sc = ps->col;
                tok st = ps->t;
                sim__next(ps);
                if (is_p(&ps->t, '=')) sim__next(ps);
                else { ps->cur = save; ps->line = sl; ps->col = sc; ps->t = st; }
            }
            o.capacity = sim__parse_expr(ps);
            const char *role = kind == SIM_OBJ_SEMAPHORE ? "a semaphore's permits" : kind == SIM_OBJ_BARRIER
                             ? "a barrier's parties" : kind == SIM_OBJ_POOL ? "a pool's workers" : "a counter's initial value";
            if (!o.capacity || sim__require_type(ps, o.capacity, SIM_T_INT, role)) return ps->err;
            if (!o.capacity->is_const) return sim__perr(ps, o.capacity->pos, ERR_SCENARIO, "%s must be a constant", role);
            if (sim__eval(ps, o.capacity, &o.cap_value) || sim__check_object_value(ps, &o)) return ps->err;
            /* counter acc[4] = 1000, 1500, 2000, 800: one initial value per element */
            if (kind == SIM_OBJ_COUNTER && is_p(&ps->t, ',')) {
                if (!o.size_expr) {
                    sim__perr(ps, ps->t.pos, ERR_SCENARIO, "a counter has one initial value");
                    sim__hint(ps, "several values are for an array of counters: counter %s[N] = v0, v1, ...", name);
                    return ps->err;
                }
                sim_expr *vals[SIM_MAX_OBJECTS];
                uint32_t nv = 0;
                vals[nv++] = o.capacity;
                while (is_p(&ps->t, ',')) {
                    sim__next(ps);
                    if (nv == SIM_MAX_OBJECTS) return sim__perr(ps, ps->t.pos, ERR_LIMIT, "more than %d initial values",
                                                               SIM_MAX_OBJECTS);
                    sim_expr *v = sim__parse_expr(ps);
                    if (!v || sim__require_type(ps, v, SIM_T_INT, role)) return ps->err;
                    if (!v->is_const) return sim__perr(ps, v->pos, ERR_SCENARIO, "%s must be a constant", role);
                    int64_t x;
                    if (sim__eval(ps, v, &x)) return ps->err;
                    vals[nv++] = v;
                }
                o.inits = arena_push(&p->mem, sizeof *vals * nv);
                memcpy(o.inits, vals, sizeof *vals * nv);
                o.ninits = nv;
            }
            /* processes: counter C = V managed by M; pool P N kind=processes start=spawn item=B pickle=D */
            if (kind == SIM_OBJ_COUNTER && sim__managed_by(ps, &o)) return ps->err;
            while (kind == SIM_OBJ_POOL && ps->t.kind == T_IDENT) {
                tok kt = ps->t;
                sim__next(ps);
                int pr = sim__proc_object_option(ps, &o, kt);
                if (pr < 0 || ps->err) return ps->err ? ps->err : -ERR_SCENARIO;
                if (!pr) {
                    sim__perr(ps, kt.pos, ERR_SCENARIO, "unknown pool option '%.*s'", (int)kt.len, kt.s);
                    sim__hint(ps, "a pool takes kind=threads|processes, start=fork|spawn, item=BYTES and pickle=D");
                    return ps->err;
                }
            }
        } else if (kind == SIM_OBJ_CONDITION) {
            /* condition c lock=m: bound to an existing lock or rlock */
            if (!is_kw(&ps->t, "lock")) {
                char b2[64];
                sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected lock=NAME after the condition's name, found %s",
                     sim__tok_desc(&ps->t, b2, sizeof b2));
                sim__hint(ps, "a condition is bound to a lock: lock m, then condition %s lock=m", name);
                return ps->err;
            }
            sim__next(ps);
            if (sim__expect_p(ps, '=', "after lock")) return ps->err;
            /* lock=L, lock=L[K] (a constant index), or for an array of conditions lock=A with
             * A an array of locks of the same size: element k binds A[k] */
            sim_expr *lix = NULL;
            if (sim__object_ref_unnoted(ps, K(SIM_OBJ_LOCK) | K(SIM_OBJ_RLOCK), "bind a condition to", o.size_expr != NULL,
                                        &o.lock, &lix))
                return ps->err;
            o.lock_index = lix;
            o.lock_each = !lix && p->objects[o.lock].size_expr;
            if (lix && !lix->is_const) return sim__perr(ps, lix->pos, ERR_SCENARIO, "a condition's lock index must be a constant");
        } else {
            while (ps->t.kind == T_IDENT) {
                tok kt = ps->t;
                sim__next(ps);
                if (kind == SIM_OBJ_QUEUE && is_kw(&kt, "capacity")) {
                    if (sim__expect_p(ps, '=', "after capacity")) return ps->err;
                    o.capacity = sim__parse_expr(ps);
                    if (!o.capacity || sim__require_type(ps, o.capacity, SIM_T_INT, "a queue's capacity")) return ps->err;
                    if (sim__eval(ps, o.capacity, &o.cap_value) || sim__check_object_value(ps, &o)) return ps->err;
                } else if (kind == SIM_OBJ_QUEUE && is_kw(&kt, "kind")) {
                    if (parse_queue_kind(ps, &o)) return ps->err;
                } else if (kind == SIM_OBJ_QUEUE && (is_kw(&kt, "item") || is_kw(&kt, "pickle"))) {
                    if (sim__proc_object_option(ps, &o, kt) < 0 || ps->err) return ps->err ? ps->err : -ERR_SCENARIO;
                } else {
                    sim__perr(ps, kt.pos, ERR_SCENARIO, "unknown %s option '%.*s'", sim__obj_kind_name(kind), (int)kt.len, kt.s);
                    if (kind == SIM_OBJ_QUEUE)
                        sim__hint(ps, "a queue takes capacity=N, kind=fifo|lifo|priority, item=BYTES and pickle=D");
                    else sim__hint(ps, "a %s takes no options", sim__obj_kind_name(kind));
                    return ps->err;
                }
            }
            if (kind == SIM_OBJ_QUEUE && !o.capacity) {
                sim__perr(ps, nt.pos, ERR_SCENARIO, "queue '%s' needs a capacity", name);
                sim__hint(ps, "queue %s capacity=N", name);
                return ps->err;
            }
        }
    declared:
        ARR_GROW(p->objects, p->nobjects + 1, ps->cap_objects);
        p->objects[p->nobjects++] = o;
    } else if (is_kw(&t, "rwlock")) {
        if (parse_rwlock_decl(ps)) return ps->err;
    } else if (is_kw(&t, "record")) {
        if (sim__parse_record(ps, t.pos)) return ps->err;
    } else if (is_kw(&t, "actor") || is_kw(&t, "timer")) {
        bool timer = is_kw(&t, "timer");
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, timer ? "a timer name" : "an actor name");
        if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
        sim_actor a = { .name = name, .pos = nt.pos, .count_value = 1 };
        if (timer) {   /* timer T DELAY [daemon] [spawned] { ... }: threading.Timer(DELAY, body) */
            a.delay = sim__parse_expr(ps);
            if (!a.delay || sim__require_type(ps, a.delay, SIM_T_DUR, "a timer's delay")) return ps->err;
            if (p->nunits + 1 > SIM_MAX_UNITS)
                return sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d units", SIM_MAX_UNITS);
        } else if (is_p(&ps->t, '*')) {
            sim__next(ps);
            a.count = sim__parse_expr(ps);
            if (!a.count || sim__require_type(ps, a.count, SIM_T_INT, "an actor's count")) return ps->err;
            if (sim__eval(ps, a.count, &a.count_value) || sim__check_actor_count(ps, &a, p->nunits)) return ps->err;
        }
        while (ps->t.kind == T_IDENT) {
            tok mt = ps->t;
            if (is_kw(&mt, "daemon")) a.daemon = true;
            else if (is_kw(&mt, "spawned")) a.spawned = true;
            else if (is_kw(&mt, "own_loop")) {   /* own_loop, own_loop=thread, own_loop=process */
                a.own_loop = true;
                a.loop_pos = mt.pos;
                sim__next(ps);
                if (!is_p(&ps->t, '=')) continue;
                sim__next(ps);
                tok v = ps->t;
                if (is_kw(&v, "process")) {
                    a.loop_process = true;
                } else if (!is_kw(&v, "thread")) {
                    sim__perr(ps, v.pos, ERR_SCENARIO, "own_loop=%.*s: an actor's loop runs on a thread or in a process",
                              (int)v.len, v.s);
                    sim__hint(ps, "own_loop (or own_loop=thread): a loop on a thread of its own; own_loop=process: a "
                                  "loop in a process of its own (asyncio.run in a multiprocessing.Process)");
                    return ps->err;
                }
            }
            else if (is_kw(&mt, "start") && timer) {
                sim__perr(ps, mt.pos, ERR_SCENARIO, "a timer has no start method: it is a thread (threading.Timer), "
                          "in the process that starts it");
                sim__hint(ps, "after a timer's delay come: daemon, spawned, then { ... }");
                return ps->err;
            } else if (is_kw(&mt, "start")) {   /* processes: start=fork|spawn (sim_decl_procs.c) */
                if (sim__actor_start(ps, &a)) return ps->err ? ps->err : -ERR_SCENARIO;
                continue;
            } else {
                sim__perr(ps, mt.pos, ERR_SCENARIO, "expected '{' to open a block, found '%.*s'", (int)mt.len, mt.s);
                if (timer) sim__hint(ps, "after a timer's delay come: daemon, spawned, then { ... }");
                else sim__hint(ps, "after an actor's name come: * COUNT, daemon, spawned, own_loop[=thread|process], "
                                   "start=fork|spawn, then { ... }");
                return ps->err;
            }
            sim__next(ps);
        }
        ps->cur_actor = p->nactors;
        ps->arg_ok = false;
        a.body = sim__parse_block(ps, 1, 0);
        if (ps->err) return ps->err;
        p->nunits += (uint32_t)a.count_value;
        ARR_PUSH(p->actors, p->nactors, ps->cap_actors, a);
    } else if (is_kw(&t, "task")) {
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, "a task name");
        if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
        if (p->ntasks >= SIM_MAX_OBJECTS) return sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d tasks", SIM_MAX_OBJECTS);
        ps->cur_actor = UINT32_MAX;
        ps->arg_ok = true;
        sim_task tk = { .name = name, .pos = nt.pos };
        tk.body = sim__parse_block(ps, 1, 0);
        ps->arg_ok = false;
        if (ps->err) return ps->err;
        ARR_PUSH(p->tasks, p->ntasks, ps->cap_tasks, tk);
    } else if (is_kw(&t, "local")) {
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, "the name of a thread-local value");
        if (!name || sim__check_unique(ps, name, nt.pos)) return ps->err;
        if (p->nlocals >= SIM_MAX_PARAMS) return sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d locals", SIM_MAX_PARAMS);
        ARR_GROW(p->locals, p->nlocals + 1, ps->cap_locals);
        p->locals[p->nlocals++] = (sim_name){ name, nt.pos };
    } else if (sim__is_async_decl(&t)) {
        if (sim__parse_async_decl(ps, t)) return ps->err;
    } else if (is_kw(&t, "sweep")) {
        tok nt = ps->t;
        const char *name = sim__take_ident(ps, "the name of the parameter to sweep");
        if (!name) return ps->err;
        if (p->sweep_param != UINT32_MAX)
            return sim__perr(ps, t.pos, ERR_SCENARIO, "a scenario sweeps one parameter (line %d already does)",
                             p->sweep_pos.line);
        int pi = sim__find_param(p, name, strlen(name));
        if (pi < 0) {
            sim__perr(ps, nt.pos, ERR_SCENARIO, "sweep over an unknown parameter '%s'", name);
            const char **names = xmalloc(sizeof *names * (p->nparams + 1));
            for (uint32_t i = 0; i < p->nparams; i++) names[i] = p->params[i].name;
            const char *c = sim__closest(name, names, p->nparams);
            free(names);
            if (c) sim__hint(ps, "did you mean '%s'?", c);
            else sim__hint(ps, "declare it first: param %s = ...", name);
            return ps->err;
        }
        if (sim__expect_p(ps, '=', "after the parameter's name")) return ps->err;
        int64_t vals[64];
        sim_expr *exprs[64];
        uint32_t n = 0;
        for (;;) {
            sim_expr *e = sim__parse_sum(ps);
            if (!e) return ps->err;
            if (!e->is_const) return sim__perr(ps, e->pos, ERR_SCENARIO, "a sweep value must be a constant");
            if (e->type != p->params[pi].type)
                return sim__perr(ps, e->pos, ERR_SCENARIO, "parameter '%s' is %s, this value is %s", name,
                            sim__type_name(p->params[pi].type), sim__type_name(e->type));
            if (n == 64) return sim__perr(ps, e->pos, ERR_LIMIT, "a sweep of more than 64 values");
            if (sim__eval(ps, e, &vals[n])) return ps->err;
            exprs[n++] = e;
            if (!is_p(&ps->t, ',')) break;
            sim__next(ps);
        }
        p->sweep_param = (uint32_t)pi;
        p->sweep_pos = t.pos;
        p->sweep_values = arena_push(&p->mem, sizeof *vals * n);
        memcpy(p->sweep_values, vals, sizeof *vals * n);
        p->sweep_exprs = arena_push(&p->mem, sizeof *exprs * n);
        memcpy(p->sweep_exprs, exprs, sizeof *exprs * n);
        p->nsweep = n;
    } else if (is_kw(&t, "expect")) {
        tok et = ps->t;
        sim_expect x = { .pos = t.pos };
        if (is_kw(&et, "makespan") || is_p(&et, '(') || is_kw(&et, "size") || is_kw(&et, "resident_per_unit") ||
            is_kw(&et, "virtual_per_unit") || is_kw(&et, "never_awaited")) {
            /* expect makespan < 2s, expect makespan[workers=4] * 2 < makespan[workers=1],
             * expect resident_per_unit[backend=threads] < 1MB, expect never_awaited == 1 */
            ps->in_expect = true;
            ps->across_runs = false;
            ps->mem_this_run = false;
            x.kind = SIM_X_RELATION;
            x.value = sim__parse_expr(ps);
            ps->in_expect = false;
            if (x.value && is_p(&ps->t, '=') && ps->t.len == 1) return sim__end_statement(ps);   /* makespan = 1s: '=' before the type */
            if (!x.value || sim__require_type(ps, x.value, SIM_T_INT, "an expectation (a comparison)")) return ps->err;
            x.across_runs = ps->across_runs;
            x.per_run = ps->mem_this_run;
            const sim_expr *st = x.across_runs ? reads_run_state(x.value) : NULL;
            if (st)
                return sim__perr(ps, st->pos, ERR_SCENARIO, "an expectation that compares the runs of a sweep "
                                 "(makespan[...]) or reads memory (resident_per_unit...) reads their makespans, memory "
                                 "and params only");
            if (parse_expect_on(ps, &x)) return ps->err;
            if (expect_if(ps, &x)) return ps->err;
            ARR_PUSH(p->expects, p->nexpects, ps->cap_expects, x);
            return sim__end_statement(ps);
        }
        if (is_kw(&et, "order")) {
            /* expect order A < B < C: actors (exit), tasks (last completion), "marks" (first) */
            sim__next(ps);
            x.kind = SIM_X_ORDER;
            sim_order_item items[64];
            uint32_t n = 0;
            for (;;) {
                tok it = ps->t;
                if (n == 64) return sim__perr(ps, it.pos, ERR_LIMIT, "an order of more than 64 items");
                if (it.kind == T_STRING) {
                    uint32_t id = UINT32_MAX;
                    for (uint32_t k = 0; k < p->nstrings; k++)
                        if (strlen(p->strings[k]) == it.len && !memcmp(p->strings[k], it.s, it.len)) id = k;
                    if (id == UINT32_MAX) {
                        sim__perr(ps, it.pos, ERR_SCENARIO, "no step marks \"%.*s\"", (int)it.len, it.s);
                        sim__hint(ps, "an order names actors, tasks or the text of a mark step above it");
                        return ps->err;
                    }
                    items[n++] = (sim_order_item){ SIM_ORD_MARK, id, it.pos };
                    sim__next(ps);
                } else {
                    items[n] = (sim_order_item){ SIM_ORD_ACTOR, 0, it.pos };
                    if (sim__name_ref(ps, FIX_ORDER, NULL, "an actor, a task or a \"mark text\"")) return ps->err;
                    ps->fix[ps->nfix - 1].xi = p->nexpects;
                    ps->fix[ps->nfix - 1].ii = n;
                    n++;
                }
                if (!is_p(&ps->t, '<')) break;
                sim__next(ps);
            }
            if (n < 2) return sim__perr(ps, et.pos, ERR_SCENARIO, "an order needs at least two items: A < B");
            x.items = arena_push(&p->mem, sizeof *items * n);
            memcpy(x.items, items, sizeof *items * n);
            x.nitems = n;
            if (parse_expect_on(ps, &x)) return ps->err;
            if (expect_if(ps, &x)) return ps->err;
            ARR_PUSH(p->expects, p->nexpects, ps->cap_expects, x);
            return sim__end_statement(ps);
        }
        const char *what = sim__take_ident(ps, "an expectation (no_deadlock, all_done, deadlock, stuck, counter, lost_updates, "
                                          "order, makespan)");
        if (!what) return ps->err;
        if (!strcmp(what, "no_deadlock")) x.kind = SIM_X_NO_DEADLOCK;
        else if (!strcmp(what, "all_done")) x.kind = SIM_X_ALL_DONE;
        else if (!strcmp(what, "deadlock")) x.kind = SIM_X_DEADLOCK;
        else if (!strcmp(what, "stuck")) x.kind = SIM_X_STUCK;
        else if (!strcmp(what, "torn_reads") || !strcmp(what, "exitcode")) {   /* sim_decl_procs.c */
            bool handled;
            if (sim__parse_expect_procs(ps, what, &x, &handled)) return ps->err;
        } else if (!strcmp(what, "counter") || !strcmp(what, "lost_updates")) {
            /* expect counter EXPR / expect lost_updates C CMP EXPR: a condition over what the run
             * left (counters' final values, lost updates, queues' sizes), params and makespan */
            bool lost = !strcmp(what, "lost_updates");
            x.kind = lost ? SIM_X_LOST_UPDATES : SIM_X_COUNTER;
            x.obj = UINT32_MAX;
            if (check_expect_subject(ps)) return ps->err;
            if (lost) {   /* `lost_updates C` is the expression's first term: read it again as one */
                ps->cur = et.s; ps->line = et.pos.line; ps->col = et.pos.col;
                sim__next(ps);
            }
            ps->in_expect = true;
            ps->across_runs = false;
            x.value = sim__parse_expr(ps);
            ps->in_expect = false;
            if (!x.value) return ps->err;
            if (!is_condition(x.value)) {
                char b2[64];
                sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected a comparison (== != < > <= >=), found %s",
                          sim__tok_desc(&ps->t, b2, sizeof b2));
                sim__hint_single_eq(ps);
                return ps->err;
            }
            if (ps->across_runs)
                return sim__perr(ps, x.value->pos, ERR_SCENARIO,
                                 "an expectation on counters reads this run only: makespan[...] compares the runs of a sweep");
            if (sim__require_type(ps, x.value, SIM_T_INT, "the expectation")) return ps->err;
        } else {
            static const char *const xs[] = { "no_deadlock", "all_done", "deadlock", "stuck", "counter", "lost_updates",
                                              "order", "makespan", "torn_reads", "exitcode", "resident_per_unit",
                                              "virtual_per_unit", "never_awaited" };
            sim__perr(ps, et.pos, ERR_SCENARIO, "unknown expectation '%s'", what);
            const char *c = sim__closest(what, xs, 13);
            sim__hint(ps, c ? "did you mean '%s'?" : "expectations: no_deadlock, all_done, deadlock, stuck, counter, lost_updates, "
                 "order, makespan, torn_reads, exitcode, resident_per_unit, virtual_per_unit, never_awaited", c);
            return ps->err;
        }
        if (parse_expect_on(ps, &x)) return ps->err;
        if (expect_if(ps, &x)) return ps->err;
        ARR_PUSH(p->expects, p->nexpects, ps->cap_expects, x);
    } else {
        char *name = arena_strndup(&p->mem, t.s, t.len);
        const char *c = sim__closest(name, sim__top_keywords, sim__ntop_keywords);
        bool is_step = false;
        for (size_t i = 0; i < sim__nstmt_keywords; i++)
            if (!strcmp(name, sim__stmt_keywords[i])) is_step = true;
        sim__perr(ps, t.pos, ERR_SCENARIO, is_step ? "'%s' is a step: it belongs inside an actor { ... }"
                                                   : "unknown declaration '%s'", name);
        if (is_step && ps->last_close.line)
            sim__hint(ps, "the block opened at line %d was closed at line %d: is that '}' one too many?",
                      ps->last_open.line, ps->last_close.line);
        else if (is_step)
            sim__hint(ps, "steps go in a body: actor NAME { %s ... }", name);
        else if (c)
            sim__hint(ps, "did you mean '%s'?", c);
        else
            sim__hint(ps, "the declarations are: %s (see scenarios/README.md)", sim__top_keyword_list);
        return ps->err;
    }
    return sim__end_statement(ps);
}

