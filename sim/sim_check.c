/* The checks made once the whole file is read: names used before their
 * declaration, the values that -D overrides change (with every limit checked
 * again, at the declaration's line:col), folded constants, and units. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

static int check_value(parser *ps, const sim_stmt *s, const sim_expr *e, int64_t v) {
    if (s->kind == SIM_S_REPEAT) {
        if (v < 0) return sim__perr(ps, e->pos, ERR_SCENARIO, "repeat count is negative (%lld)", (long long)v);
        if (v > SIM_MAX_REPEAT)
            return sim__perr(ps, e->pos, ERR_LIMIT, "repeat count %lld is larger than weft's limit of %lld", (long long)v,
                        (long long)SIM_MAX_REPEAT);
    } else if (e->type == SIM_T_DUR) {
        if (v < 0) return sim__perr(ps, e->pos, ERR_SCENARIO, "duration is negative (%lld ns)", (long long)v);
        if ((uint64_t)v > SIM_MAX_DURATION)
            return sim__perr(ps, e->pos, ERR_LIMIT, "a single step of %lld s is longer than weft's limit of 1 hour",
                        (long long)(v / 1000000000));
    } else if (s->kind == SIM_S_NOTIFY && v < 0) {
        return sim__perr(ps, e->pos, ERR_SCENARIO, "cannot notify a negative number of waiters (%lld)", (long long)v);
    }
    return 0;
}

static int fold(parser *ps, const sim_stmt *s, sim_expr *e) {
    if (!e || !e->is_const) return 0;
    int64_t v;
    if (sim__eval(ps, e, &v) || check_value(ps, s, e, v)) return ps->err;
    e->value = v;   /* folded value, read by the runtime */
    return 0;
}

/* Folds and checks every statement's constants (durations in range, counts >= 0);
 * the runtime checks the others when it evaluates them. */
int sim__check_stmts(parser *ps, sim_stmt *s) {
    for (; s; s = s->next) {
        if (fold(ps, s, s->expr) || fold(ps, s, s->timeout) || fold(ps, s, s->window) || fold(ps, s, s->cond))
            return ps->err;
        if (fold(ps, s, s->priority) || fold(ps, s, s->obj_index) || fold(ps, s, s->lock_index) || fold(ps, s, s->value))
            return ps->err;
        if (fold(ps, s, s->offset) || fold(ps, s, s->len)) return ps->err;
        if (s->body && sim__check_stmts(ps, s->body)) return ps->err;
        if (s->orelse && sim__check_stmts(ps, s->orelse)) return ps->err;
        if (s->handlers && sim__check_stmts(ps, s->handlers)) return ps->err;
        if (s->final && sim__check_stmts(ps, s->final)) return ps->err;
    }
    return 0;
}

int sim__check_timer(parser *ps, sim_actor *a) {
    if (!a->delay || !a->delay->is_const) return 0;
    int64_t v;
    if (sim__eval(ps, a->delay, &v)) return ps->err;
    if (v < 0) return sim__perr(ps, a->delay->pos, ERR_SCENARIO, "a timer's delay is negative (%lld ns)", (long long)v);
    if ((uint64_t)v > SIM_MAX_DURATION)
        return sim__perr(ps, a->delay->pos, ERR_LIMIT, "a timer's delay of %lld s is longer than weft's limit of 1 hour",
                         (long long)(v / 1000000000));
    a->delay->value = v;   /* folded, read by the runtime */
    return 0;
}

/* Resolves names used before their declaration; checks spawn and join. */
int sim__resolve_names(parser *ps) {
    sim_program *p = ps->p;
    sim_name *an = xmalloc(sizeof *an * (p->nactors + 1)), *tn = xmalloc(sizeof *tn * (p->ntasks + 1));
    for (uint32_t i = 0; i < p->nactors; i++) an[i] = (sim_name){ p->actors[i].name, p->actors[i].pos };
    for (uint32_t i = 0; i < p->ntasks; i++) tn[i] = (sim_name){ p->tasks[i].name, p->tasks[i].pos };
    bool *spawned_by_someone = xcalloc(p->nactors + 1, 1);
    for (size_t i = 0; i < ps->nfix && !ps->err; i++) {
        struct fixup *f = &ps->fix[i];
        int k;
        switch (f->kind) {
        case FIX_SIGNAL:
            k = sim__find_actor(p, f->name);
            if (k < 0) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "unknown actor '%s'", f->name);
                sim__hint_closest(ps, f->name, an, p->nactors, "terminate and kill name an actor: actor NAME { ... }");
                break;
            }
            *f->target = (uint32_t)k;
            break;
        case FIX_ACTOR: case FIX_SPAWN:
            k = sim__find_actor(p, f->name);
            if (k < 0) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "unknown actor '%s'", f->name);
                /* never the joining actor itself: it cannot join itself */
                uint32_t n = 0;
                for (uint32_t j = 0; j < p->nactors; j++)
                    if (!(f->kind == FIX_ACTOR && j == f->from_actor)) an[n++] = (sim_name){ p->actors[j].name, p->actors[j].pos };
                sim__hint_closest(ps, f->name, an, n, f->kind == FIX_SPAWN ? "declare it: actor NAME spawned { ... }"
                                                      : "join names an actor (join ACTOR) or a queue (join QUEUE)");
                break;
            }
            if (f->kind == FIX_SPAWN && !p->actors[k].spawned) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "actor '%s' starts with the run: only a spawned actor is started by spawn",
                     f->name);
                sim__hint(ps, "declare it at line %d as: actor %s spawned { ... }", p->actors[k].pos.line, f->name);
                break;
            }
            if (f->kind == FIX_ACTOR && f->from_actor == (uint32_t)k) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "actor '%s' joins itself: a thread cannot wait for its own end", f->name);
                break;
            }
            if (f->kind == FIX_SPAWN) spawned_by_someone[k] = true;
            *f->target = (uint32_t)k;
            break;
        case FIX_ALIVE:
            k = sim__find_actor(p, f->name);
            if (k < 0) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "unknown actor '%s'", f->name);
                sim__hint_closest(ps, f->name, an, p->nactors, "alive A says whether any thread of actor A runs");
                break;
            }
            *f->target = (uint32_t)k;
            break;
        case FIX_TASK:
            k = sim__find_task(p, f->name);
            if (k < 0) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "unknown task '%s'", f->name);
                sim__hint_closest(ps, f->name, tn, p->ntasks, "declare it: task NAME { ... }");
                break;
            }
            *f->target = (uint32_t)k;
            break;
        case FIX_FUT: {
            uint32_t slot = UINT32_MAX;
            for (uint32_t j = 0; j < p->nfuts; j++)
                if (!strcmp(p->futs[j].name, f->name)) slot = j;
            k = sim__find_actor(p, f->name);
            if (slot == UINT32_MAX && k >= 0 && f->stmt && f->stmt->kind == SIM_S_CANCEL && p->actors[k].delay) {
                f->stmt->kind = SIM_S_TIMER_CANCEL;   /* cancel T: a timer */
                f->stmt->actor = (uint32_t)k;
                break;
            }
            if (slot == UINT32_MAX && k >= 0 && f->stmt && f->stmt->kind == SIM_S_CANCEL) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "'%s' is an actor: cancel takes a future or a timer", f->name);
                sim__hint(ps, "a thread cannot be cancelled; a timer can: timer %s 50ms { ... }", f->name);
                break;
            }
            int oi = slot == UINT32_MAX && f->stmt ? sim__find_object(p, f->name) : -1;
            if (oi >= 0) {   /* cancel b on a barrier, result m on a lock: say what it is */
                const char *step = f->stmt->kind == SIM_S_CANCEL ? "cancel takes a future or a timer"
                                 : f->stmt->kind == SIM_S_RESULT ? "result takes a future" : "on_done takes a future";
                sim__perr(ps, f->pos, ERR_SCENARIO, "'%s' is a %s: %s", f->name, sim__obj_kind_name(p->objects[oi].kind),
                          step);
                sim__hint_closest(ps, f->name, p->futs, p->nfuts, "name one where it is submitted: submit POOL TASK as NAME");
                break;
            }
            if (slot == UINT32_MAX) {
                sim__perr(ps, f->pos, ERR_SCENARIO, "unknown future '%s'", f->name);
                sim__hint_closest(ps, f->name, p->futs, p->nfuts, "name one where it is made: submit POOL TASK as NAME, or "
                                                                     "create_task TASK as NAME");
                break;
            }
            *f->target = slot;
            break;
        }
        case FIX_ORDER: {
            sim_order_item *it = &p->expects[f->xi].items[f->ii];
            if ((k = sim__find_actor(p, f->name)) >= 0) *it = (sim_order_item){ SIM_ORD_ACTOR, (uint32_t)k, f->pos };
            else if ((k = sim__find_task(p, f->name)) >= 0) *it = (sim_order_item){ SIM_ORD_TASK, (uint32_t)k, f->pos };
            else {
                sim__perr(ps, f->pos, ERR_SCENARIO, "'%s' is not an actor or a task", f->name);
                sim__hint_closest(ps, f->name, an, p->nactors, "an order names actors, tasks or \"mark texts\"");
            }
            break;
        }
        }
    }
    /* a spawned actor nobody spawns would never run */
    for (uint32_t i = 0; i < p->nactors && !ps->err; i++)
        if (p->actors[i].spawned && !spawned_by_someone[i]) {
            sim__perr(ps, p->actors[i].pos, ERR_SCENARIO, "actor '%s' is spawned but no step spawns it", p->actors[i].name);
            sim__hint(ps, "add 'spawn %s' to the actor that starts it, or drop 'spawned'", p->actors[i].name);
        }
    /* spawn cycles: a spawns b ... spawns a (each thread starts once, so it could never run) */
    if (!ps->err) {
        uint32_t na = p->nactors;
        uint8_t *color = xcalloc(na + 1, 1);   /* 0 new, 1 on the path, 2 done */
        uint32_t *stack = xmalloc(sizeof *stack * (na + 1)), *edge = xmalloc(sizeof *edge * (na + 1));
        for (uint32_t root = 0; root < na && !ps->err; root++) {
            if (color[root]) continue;
            uint32_t sp = 0;
            stack[sp] = root; edge[sp] = 0; sp++;
            color[root] = 1;
            while (sp && !ps->err) {
                uint32_t a = stack[sp - 1];
                size_t fi = edge[sp - 1];
                while (fi < ps->nfix && !(ps->fix[fi].kind == FIX_SPAWN && ps->fix[fi].from_actor == a)) fi++;
                if (fi == ps->nfix) { color[a] = 2; sp--; continue; }
                edge[sp - 1] = (uint32_t)fi + 1;
                uint32_t b = *ps->fix[fi].target;
                if (color[b] == 1) {
                    char path[512] = "";
                    size_t from = 0;
                    while (stack[from] != b) from++;
                    for (size_t q = from; q < sp; q++) {
                        size_t l = strlen(path);
                        snprintf(path + l, sizeof path - l, "%s spawns ", p->actors[stack[q]].name);
                    }
                    size_t l = strlen(path);
                    snprintf(path + l, sizeof path - l, "%s", p->actors[b].name);
                    sim__perr(ps, ps->fix[fi].pos, ERR_SCENARIO, "a cycle in spawn: %s", path);
                    sim__hint(ps, "a thread starts once; one actor of the cycle must start with the run");
                } else if (!color[b]) {
                    color[b] = 1;
                    stack[sp] = b; edge[sp] = 0; sp++;
                }
            }
        }
        free(color); free(stack); free(edge);
    }
    free(an); free(tn); free(spawned_by_someone);
    return ps->err;
}

/* Numbers the units: every actor's instances in order, then every pool's workers, then every
 * manager's server. */
int sim__count_units(parser *ps) {
    sim_program *p = ps->p;
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->nactors; i++) { p->actors[i].unit0 = (uint32_t)n; n += (uint64_t)p->actors[i].count_value; }
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (p->objects[i].kind == SIM_OBJ_POOL) {
            sim_object *o = &p->objects[i];
            if (o->cap_value < 1) return sim__perr(ps, o->capacity->pos, ERR_SCENARIO, "pool '%s' needs at least 1 worker", o->name);
            o->unit0 = (uint32_t)(n < SIM_MAX_UNITS ? n : SIM_MAX_UNITS);
            n += (uint64_t)o->cap_value;
            if (n > SIM_MAX_UNITS)
                return sim__perr(ps, o->capacity->pos, ERR_LIMIT, "pool '%s' makes %llu units in all; weft runs at most %d",
                            o->name, (unsigned long long)n, SIM_MAX_UNITS);
        }
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (p->objects[i].kind == SIM_OBJ_MANAGER) {
            p->objects[i].unit0 = (uint32_t)(n < SIM_MAX_UNITS ? n : SIM_MAX_UNITS);
            n++;
        }
    if (n > SIM_MAX_UNITS) return sim__perr(ps, p->actors[0].pos, ERR_LIMIT, "%llu units in all; weft runs at most %d",
                                       (unsigned long long)n, SIM_MAX_UNITS);
    p->nunits = (uint32_t)n;
    return 0;
}


//~ after -D overrides

/* The first overridden param an expression reads (-1: none). */
static int overridden_param(const sim_program *p, const sim_expr *e) {
    if (!e) return -1;
    if (e->kind == SIM_E_PARAM)   /* a param overridden, or computed from one (params read earlier params only) */
        return p->params[e->param].overridden ? (int)e->param : overridden_param(p, p->params[e->param].expr);
    int k = overridden_param(p, e->a);
    if (k < 0) k = overridden_param(p, e->b);
    for (uint32_t i = 0; k < 0 && i < e->nitems; i++) k = overridden_param(p, e->items[i]);
    return k;
}

/* A value that broke a limit after an override: say where it came from. */
static void hint_override(parser *ps, const sim_expr *e) {
    int k = overridden_param(ps->p, e);
    if (k < 0 || !ps->d) return;
    const char *name = ps->p->params[k].name;
    for (uint32_t i = ps->ndefs; i-- > 0;)
        if (!strcmp(ps->defs[i].name, name)) {
            sim__hint(ps, "the value comes from %s %s=%s", ps->defs[i].option ? ps->defs[i].option : "-D", name,
                      ps->defs[i].value);
            return;
        }
}

int sim__after_overrides(parser *ps) {
    sim_program *p = ps->p;
    for (uint32_t i = 0; i < p->nparams && !ps->err; i++) sim__eval(ps, p->params[i].expr, &p->params[i].value);
    /* the GIL's params, when another overridden param decides them (a -D of their own is checked already) */
    uint32_t gp[2] = { p->gil_param, p->switch_param };
    for (int k = 0; k < 2 && !ps->err; k++)
        if (gp[k] != UINT32_MAX && !p->params[gp[k]].overridden &&
            sim__gil_check_value(ps, gp[k], p->params[gp[k]].value, p->params[gp[k]].expr->pos))
            hint_override(ps, p->params[gp[k]].expr);
    uint64_t elems = 0;
    for (uint32_t i = 0; i < p->nobjects && !ps->err; i++) {
        sim_object *o = &p->objects[i];
        if (o->size_expr && !sim__eval(ps, o->size_expr, &o->size) && sim__check_array_size(ps, o, elems))
            hint_override(ps, o->size_expr);
        elems += (uint64_t)o->size;
        if (!ps->err && o->capacity && !sim__eval(ps, o->capacity, &o->cap_value) && sim__check_object_value(ps, o))
            hint_override(ps, o->capacity);
        for (uint32_t k = 0; k < o->ninits && !ps->err; k++) {
            int64_t v;
            sim__eval(ps, o->inits[k], &v);
        }
        if (!ps->err && o->kind == SIM_OBJ_RWLOCK && o->prefer_expr && sim__rw_prefer_value(ps, o))
            hint_override(ps, o->prefer_expr);
    }
    uint64_t units = 0;
    for (uint32_t i = 0; i < p->nactors && !ps->err; i++) {
        sim_actor *a = &p->actors[i];
        if (a->count && !sim__eval(ps, a->count, &a->count_value) && sim__check_actor_count(ps, a, units))
            hint_override(ps, a->count);
        units += (uint64_t)a->count_value;
    }
    if (!ps->err) p->nunits = (uint32_t)units;
    for (uint32_t i = 0; i < p->nsweep && !ps->err; i++) sim__eval(ps, p->sweep_exprs[i], &p->sweep_values[i]);
    if (!ps->err) sim__procs_after_overrides(ps);
    return ps->err;
}
