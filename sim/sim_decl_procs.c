/* The declarations of processes and of the runs' backends: backend,
 * backends, start_method, pipe, shm, var, manager; the options they add to
 * other declarations (a queue's or a pool's item= and pickle=, a pool's
 * kind= and start=, an actor's start=, `managed by M` after a counter or a
 * var); and the expectations torn_reads and exitcode. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const backend_names[] = { "threads", "processes", "coroutines" };

/* A backend's name: its SIM_BACKEND_* id, or an error at the token. */
static unsigned backend_name(parser *ps) {
    tok bt = ps->t;
    const char *name = sim__take_ident(ps, "a backend name");
    if (!name) return 0;
    unsigned b = sim_backend_by_name(name, strlen(name));
    if (!b) {
        sim__perr(ps, bt.pos, ERR_SCENARIO, "unknown backend '%s'", name);
        const char *c = sim__closest(name, backend_names, 3);
        sim__hint(ps, c ? "did you mean '%s'?" : "the backends are threads, processes and coroutines", c);
        return 0;
    }
    return b;
}

/* start=fork|spawn|EXPR (EXPR: 0 fork, 1 spawn, so that -D can switch it): a SIM_START_* value. */
static uint32_t start_value(parser *ps, const char *whose) {
    tok vt = ps->t;
    if (is_kw(&vt, "fork") || is_kw(&vt, "spawn")) {
        sim__next(ps);
        return is_kw(&vt, "spawn") ? SIM_STARTM_SPAWN : SIM_STARTM_FORK;
    }
    if (vt.kind == T_IDENT && sim__find_param(ps->p, vt.s, vt.len) < 0) {
        static const char *const methods[] = { "fork", "spawn" };
        char word[48];
        sim__tok_text(&vt, word, sizeof word);
        sim__perr(ps, vt.pos, ERR_SCENARIO, "unknown start method '%s' for %s", word, whose);
        const char *c = sim__closest(word, methods, 2);
        if (c) sim__hint(ps, "did you mean '%s'?", c);
        else sim__hint(ps, "start=fork makes a copy of the starting process; start=spawn a fresh one that re-reads "
                           "the scenario");
        return 0;
    }
    sim_expr *e = sim__parse_expr(ps);
    int64_t v;
    if (!e || sim__require_type(ps, e, SIM_T_INT, "start=") || sim__eval(ps, e, &v)) return 0;
    if (v != 0 && v != 1) {
        sim__perr(ps, e->pos, ERR_SCENARIO, "start= is %lld; it must be 0 (fork) or 1 (spawn)", (long long)v);
        return 0;
    }
    return v ? SIM_STARTM_SPAWN : SIM_STARTM_FORK;
}

/* A constant option value (item=, pickle=, size=): parsed, typed, evaluated. */
static sim_expr *const_option(parser *ps, sim_type type, const char *what, int64_t *out) {
    sim_expr *e = sim__parse_expr(ps);
    if (!e || sim__require_type(ps, e, type, what)) return NULL;
    if (!e->is_const) {
        sim__perr(ps, e->pos, ERR_SCENARIO, "%s must be a constant", what);
        return NULL;
    }
    if (sim__eval(ps, e, out)) return NULL;
    return e;
}

int sim__check_proc_values(parser *ps, const sim_object *o) {
    if (o->item && (o->item_value < 0 || o->item_value > SIM_MAX_MESSAGE))
        return sim__perr(ps, o->item->pos, o->item_value < 0 ? ERR_SCENARIO : ERR_LIMIT,
                         "item= is %lld bytes: it must be 0..%d (64 MiB)", (long long)o->item_value, SIM_MAX_MESSAGE);
    if (o->pickle && (o->pickle_value < 0 || (uint64_t)o->pickle_value > SIM_MAX_DURATION))
        return sim__perr(ps, o->pickle->pos, ERR_SCENARIO, "pickle= must be 0..1h");
    if (o->kind == SIM_OBJ_SHM && (o->cap_value < 1 || o->cap_value > SIM_MAX_SHM))
        return sim__perr(ps, o->capacity ? o->capacity->pos : o->pos, o->cap_value < 1 ? ERR_SCENARIO : ERR_LIMIT,
                         "a shm segment's size must be 1 byte..1GiB, not %lld", (long long)o->cap_value);
    return 0;
}

int sim__proc_object_option(parser *ps, sim_object *o, tok kt) {
    bool item = is_kw(&kt, "item"), pickle = is_kw(&kt, "pickle"), kind = is_kw(&kt, "kind"),
         start = is_kw(&kt, "start");
    bool pool = o->kind == SIM_OBJ_POOL;
    if (!(item || pickle) && !(pool && (kind || start))) return 0;
    if (sim__expect_p(ps, '=', item ? "after item" : pickle ? "after pickle" : kind ? "after kind" : "after start"))
        return -1;
    if (!o->opt_pos.line) o->opt_pos = kt.pos;
    if (item) {
        if (!(o->item = const_option(ps, SIM_T_INT, "item= (bytes per message)", &o->item_value))) return -1;
    } else if (pickle) {
        if (!(o->pickle = const_option(ps, SIM_T_DUR, "pickle= (CPU time per message)", &o->pickle_value))) return -1;
    } else if (kind) {
        tok vt = ps->t;
        if (!is_kw(&vt, "threads") && !is_kw(&vt, "processes")) {
            char b[64];
            sim__perr(ps, vt.pos, ERR_SCENARIO, "a pool's kind is threads or processes, not %s",
                      sim__tok_desc(&vt, b, sizeof b));
            sim__hint(ps, "kind=threads (ThreadPoolExecutor, the default) or kind=processes (ProcessPoolExecutor)");
            return -1;
        }
        o->pool_kind = is_kw(&vt, "processes") ? SIM_POOL_PROCESSES : SIM_POOL_THREADS;
        if (o->pool_kind == SIM_POOL_PROCESSES) o->opt_pos = kt.pos;
        sim__next(ps);
    } else {
        if (!(o->start = start_value(ps, "a pool"))) return -1;
    }
    if (sim__check_proc_values(ps, o)) return -1;
    return 1;
}

/* The index of an array's element named outside a step (`managed by m[1]`, `expect torn_reads s[0]`):
 * a constant, made an element when the arrays are (sim__procs_before_arrays). */
static int const_index(parser *ps, const sim_expr *ix, const char *what) {
    if (ix && !ix->is_const)
        return sim__perr(ps, ix->start, ERR_SCENARIO, "the index of %s here must be a constant (params are)", what);
    return 0;
}

int sim__managed_by(parser *ps, sim_object *o) {
    if (!is_kw(&ps->t, "managed")) return 0;
    tok mt = ps->t;
    sim__next(ps);
    if (!is_kw(&ps->t, "by")) {
        char b[64];
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected 'by' after managed, found %s", sim__tok_desc(&ps->t, b, sizeof b));
        sim__hint(ps, "managed by M, where M is declared before: manager M");
        return ps->err;
    }
    sim__next(ps);
    uint32_t mi;
    if (sim__object_ref_unnoted(ps, K(SIM_OBJ_MANAGER), "be managed by", false, &mi, &o->manager_index) ||
        const_index(ps, o->manager_index, "a manager"))
        return ps->err;
    o->manager = mi + 1;
    if (!o->opt_pos.line) o->opt_pos = mt.pos;
    return 0;
}

int sim__actor_start(parser *ps, sim_actor *a) {
    tok st = ps->t;
    sim__next(ps);
    if (sim__expect_p(ps, '=', "after start")) return ps->err;
    a->start_pos = st.pos;
    if (!(a->start = start_value(ps, "an actor"))) return ps->err ? ps->err : -1;
    return 0;
}

/* A new object of `kind` named by the next token, an array when [SIZE] follows. NULL on error. */
static sim_object *new_object(parser *ps, sim_obj_kind kind, const char *what) {
    sim_program *p = ps->p;
    tok nt = ps->t;
    const char *name = sim__take_ident(ps, what);
    if (!name || sim__check_unique(ps, name, nt.pos)) return NULL;
    if (p->nobjects >= SIM_MAX_OBJECTS) {
        sim__perr(ps, nt.pos, ERR_LIMIT, "more than %d objects", SIM_MAX_OBJECTS);
        return NULL;
    }
    ARR_GROW(p->objects, p->nobjects + 1, ps->cap_objects);
    sim_object *o = &p->objects[p->nobjects++];
    *o = (sim_object){ .name = name, .pos = nt.pos, .kind = kind };
    return sim__parse_array_size(ps, o) ? NULL : o;   /* pipe p[4]: an array */
}

/* `backend B if EXPR`: the runs whose params make EXPR true run on B (the
 * others on the scenario's backend), so that one sweep can put threads and
 * processes side by side: `sweep mode = 0, 1, 2, 3` with `backend processes if
 * mode == 3`. EXPR is read over the params once -D and the sweep have set
 * them (sim__backend_resolve). At most two such lines, on two backends (three
 * backends side by side, each run with its own params: the first true wins). */
static int backend_if(parser *ps, unsigned b, sim_pos pos) {
    sim_program *p = ps->p;
    sim__next(ps);   /* if */
    if (p->backend_if2) {
        sim__perr(ps, pos, ERR_SCENARIO, "a third `backend ... if`: lines %d and %d have one already",
                  p->backend_if_pos.line, p->backend_if2_pos.line);
        sim__hint(ps, "one condition per other backend: backend processes if mode == 1, backend coroutines if mode == 2");
        return ps->err;
    }
    if (p->backend_if && p->backend_if_b == b) {
        sim__perr(ps, pos, ERR_SCENARIO, "a second `backend ... if`: line %d has one already for %s",
                  p->backend_if_pos.line, sim_backend_name(b));
        sim__hint(ps, "one condition picks the other backend: backend processes if mode == 3");
        return ps->err;
    }
    sim_expr *e = sim__parse_expr(ps);
    if (!e) return ps->err;
    if (sim__require_type(ps, e, SIM_T_INT, "the backend's condition")) return ps->err;
    if (!e->is_const) {
        sim__perr(ps, e->pos, ERR_SCENARIO, "the backend's condition must be a constant (params, no random values, "
                  "counters or step results)");
        return ps->err;
    }
    if (p->backend_if) {
        p->backend_if2 = e;
        p->backend_if2_b = b;
        p->backend_if2_pos = pos;
        return 0;
    }
    p->backend_if = e;
    p->backend_if_b = b;
    p->backend_if_pos = pos;
    return 0;
}

int sim__backend_resolve(parser *ps) {
    sim_program *p = ps->p;
    if (!p->backend_if) return 0;
    if (p->nbackends) {
        sim__perr(ps, p->backend_if_pos, ERR_SCENARIO, "`backend ... if` beside `backends` (line %d): one or the other",
                  p->backend_pos.line);
        sim__hint(ps, "backends a, b runs every run on each; backend B if EXPR picks B for the runs where EXPR holds");
        return ps->err;
    }
    int64_t v = 0, v2 = 0;
    if (sim__eval(ps, p->backend_if, &v)) return ps->err;
    if (!v && p->backend_if2 && sim__eval(ps, p->backend_if2, &v2)) return ps->err;
    if (v || v2) {
        p->backend = sim_backend_name(v ? p->backend_if_b : p->backend_if2_b);
        p->nbackends = 0;
        p->backend_pos = v ? p->backend_if_pos : p->backend_if2_pos;
    }
    return 0;
}

int sim__parse_toplevel_procs(parser *ps, tok t, bool *handled) {
    sim_program *p = ps->p;
    *handled = true;
    if (is_kw(&t, "backend")) {
        unsigned b = backend_name(ps);
        if (!b) return ps->err;
        if (is_kw(&ps->t, "if")) return backend_if(ps, b, t.pos);
        p->backend = sim_backend_name(b);
        p->nbackends = 0;
        p->backend_pos = t.pos;
    } else if (is_kw(&t, "backends")) {
        /* backends threads, processes: the runs of `weft run`, one per backend, into one recording */
        p->nbackends = 0;
        p->backend_pos = t.pos;
        for (;;) {
            tok bt = ps->t;
            unsigned b = backend_name(ps);
            if (!b) return ps->err;
            for (uint32_t k = 0; k < p->nbackends; k++)
                if (p->backends[k] == b) return sim__perr(ps, bt.pos, ERR_SCENARIO, "backend '%s' is named twice",
                                                          sim_backend_name(b));
            p->backends[p->nbackends++] = b;
            if (!is_p(&ps->t, ',')) break;
            sim__next(ps);
        }
        p->backend = sim_backend_name(p->backends[0]);
    } else if (is_kw(&t, "start_method")) {
        p->start_pos = t.pos;
        if (!(p->start_method = start_value(ps, "the scenario"))) return ps->err ? ps->err : -1;
    } else if (is_kw(&t, "pipe") || is_kw(&t, "manager")) {
        bool pipe = is_kw(&t, "pipe");
        sim_object *o = new_object(ps, pipe ? SIM_OBJ_PIPE : SIM_OBJ_MANAGER, pipe ? "a pipe name" : "a manager name");
        if (!o) return ps->err;
        o->opt_pos = t.pos;
        if (ps->t.kind == T_IDENT) {
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "a %s takes no options", pipe ? "pipe" : "manager");
            sim__hint(ps, pipe ? "pipe NAME: one read end, one write end (multiprocessing.Pipe(duplex=False))"
                               : "manager NAME; then counter C = 0 managed by NAME, or var V = 0 managed by NAME");
            return ps->err;
        }
    } else if (is_kw(&t, "shm")) {
        sim_object *o = new_object(ps, SIM_OBJ_SHM, "a shm name");
        if (!o) return ps->err;
        o->opt_pos = t.pos;
        if (!is_kw(&ps->t, "size")) {
            char b[64];
            sim__perr(ps, ps->t.pos, ERR_SCENARIO, "expected size=BYTES after the shm's name, found %s",
                      sim__tok_desc(&ps->t, b, sizeof b));
            sim__hint(ps, "shm %s size=64KiB", o->name);
            return ps->err;
        }
        sim__next(ps);
        if (sim__expect_p(ps, '=', "after size")) return ps->err;
        if (!(o->capacity = const_option(ps, SIM_T_INT, "a shm's size", &o->cap_value))) return ps->err;
        if (sim__check_proc_values(ps, o)) return ps->err;
    } else if (is_kw(&t, "var")) {
        sim_object *o = new_object(ps, SIM_OBJ_VAR, "a variable name");
        if (!o) return ps->err;
        if (is_p(&ps->t, '=')) {
            sim__next(ps);
            if (!(o->capacity = const_option(ps, SIM_T_INT, "a var's initial value", &o->cap_value))) return ps->err;
        }
        if (sim__managed_by(ps, o)) return ps->err;
    } else {
        *handled = false;
    }
    return ps->err;
}

int sim__parse_expect_procs(parser *ps, const char *what, sim_expect *x, bool *handled) {
    *handled = true;
    if (!strcmp(what, "torn_reads")) {
        x->kind = SIM_X_TORN_READS;
        if (sim__object_ref_unnoted(ps, K(SIM_OBJ_SHM), "expect torn_reads on", false, &x->obj, &x->index) ||
            const_index(ps, x->index, "shared memory"))
            return ps->err;
    } else if (!strcmp(what, "exitcode")) {
        x->kind = SIM_X_EXITCODE;
        tok at = ps->t;
        const char *name = sim__take_ident(ps, "an actor's name");
        if (!name) return ps->err;
        int ai = sim__find_actor(ps->p, name);
        if (ai < 0) {
            sim__perr(ps, at.pos, ERR_SCENARIO, "unknown actor '%s' (expect exitcode names an actor declared above)", name);
            return ps->err;
        }
        x->obj = (uint32_t)ai;
    } else {
        *handled = false;
        return 0;
    }
    tok op = ps->t;
    if (op.kind != T_PUNCT || !strchr("<>lg=!", op.punct) || (op.len == 1 && (op.punct == '=' || op.punct == '!'))) {
        char b2[64];
        sim__perr(ps, op.pos, ERR_SCENARIO, "expected a comparison (== != < > <= >=), found %s",
                  sim__tok_desc(&op, b2, sizeof b2));
        sim__hint_single_eq(ps);
        return ps->err;
    }
    sim__next(ps);
    x->op = op.punct;
    x->value = sim__parse_expr(ps);
    if (!x->value || sim__require_type(ps, x->value, SIM_T_INT, "the expected value")) return ps->err;
    if (!x->value->is_const) return sim__perr(ps, x->value->pos, ERR_SCENARIO, "the expected value must be a constant");
    return 0;
}

int sim__procs_after_overrides(parser *ps) {
    sim_program *p = ps->p;
    for (uint32_t i = 0; i < p->nobjects && !ps->err; i++) {
        sim_object *o = &p->objects[i];
        if (o->item) sim__eval(ps, o->item, &o->item_value);
        if (!ps->err && o->pickle) sim__eval(ps, o->pickle, &o->pickle_value);
        if (!ps->err) sim__check_proc_values(ps, o);
    }
    return ps->err;
}

/* The element a constant index picks in declaration di (of elem0[di]), or an error at the index. */
static int element_of(parser *ps, const sim_object *decls, const uint32_t *elem0, uint32_t di, const sim_expr *ix,
                      uint32_t *out) {
    int64_t v = 0;
    if (ix && sim__eval(ps, ix, &v)) return ps->err;
    const sim_object *o = &decls[di];
    if (v < 0 || v >= o->size)
        return sim__perr(ps, ix->start, ERR_SCENARIO, "index %lld is out of range for '%s': an array of %lld %ss, 0 to %lld",
                         (long long)v, o->name, (long long)o->size, sim__obj_kind_name(o->kind), (long long)o->size - 1);
    *out = elem0[di] + (uint32_t)v;
    return 0;
}

int sim__procs_before_arrays(parser *ps) {
    sim_program *p = ps->p;
    bool any = false;
    for (uint32_t i = 0; i < p->nobjects; i++) any |= p->objects[i].manager != 0;
    for (uint32_t i = 0; i < p->nexpects; i++) any |= p->expects[i].kind == SIM_X_TORN_READS;
    if (!any) return 0;
    uint32_t *elem0 = xmalloc(sizeof *elem0 * (p->nobjects + 1));
    uint32_t at = 0;
    for (uint32_t i = 0; i < p->nobjects; i++) {
        elem0[i] = at;
        at += (uint32_t)p->objects[i].size;
    }
    for (uint32_t i = 0; i < p->nobjects && !ps->err; i++) {
        sim_object *o = &p->objects[i];
        uint32_t e;
        if (o->manager && !element_of(ps, p->objects, elem0, o->manager - 1, o->manager_index, &e)) {
            o->manager = e + 1;
            o->manager_index = NULL;
        }
    }
    for (uint32_t i = 0; i < p->nexpects && !ps->err; i++) {
        sim_expect *x = &p->expects[i];
        if (x->kind == SIM_X_TORN_READS && !element_of(ps, p->objects, elem0, x->obj, x->index, &x->obj)) x->index = NULL;
    }
    free(elem0);
    return ps->err;
}
