/* Arrays of objects: `lock fork[5]`, `queue lane[workers] capacity=2`.
 *
 * While a scenario is parsed, prog->objects holds its declarations and every
 * reference to an object (a step's, an expression's) names a declaration,
 * with the element's index expression beside it. An array's size can change
 * with -D, so the elements are made only once every value is final: here,
 * after the overrides and the folding of constants. Then
 *   - every declaration becomes its elements, objects of their own named
 *     "fork[0]" .. "fork[4]" (a plain object stays one object);
 *   - every noted reference becomes an element index: a constant index is
 *     checked (an error at its line:col) and folded in; any other index stays
 *     beside element 0, to be added when the step runs (sim_element);
 *   - a condition binds its lock's element (lock=fork[2]), or, for an array of
 *     conditions over an array of locks of the same size (lock=fork), cv[k]
 *     binds fork[k].
 * The runtime, the recording and every reader see the elements only.
 */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* The element a constant index picks, or an error at the index. */
static int const_element(parser *ps, const sim_object *decls, uint32_t di, const uint32_t *elem0, sim_expr *ix,
                         uint32_t *out) {
    int64_t v;
    if (sim__eval(ps, ix, &v)) return ps->err;
    const sim_object *o = &decls[di];
    if (v < 0 || v >= o->size) {
        const char *kind = sim__obj_kind_name(o->kind);
        if (o->size == 1)
            return sim__perr(ps, ix->start, ERR_SCENARIO, "index %lld is out of range for '%s': an array of 1 %s, index 0",
                             (long long)v, o->name, kind);
        return sim__perr(ps, ix->start, ERR_SCENARIO, "index %lld is out of range for '%s': an array of %lld %ss, 0 to %lld%s",
                         (long long)v, o->name, (long long)o->size, kind, (long long)o->size - 1,
                         v < 0 ? " (a negative index does not count from the end, as in Python: (i + n) % n wraps)" : "");
    }
    *out = elem0[di] + (uint32_t)v;
    return 0;
}

int sim__expand_arrays(parser *ps) {
    sim_program *p = ps->p;
    uint32_t nd = p->nobjects;
    sim_object *decls = p->objects;
    uint32_t *elem0 = xmalloc(sizeof *elem0 * (nd + 1));
    uint64_t total = 0;
    for (uint32_t i = 0; i < nd; i++) {
        elem0[i] = (uint32_t)total;
        total += (uint64_t)decls[i].size;   /* checked: at most SIM_MAX_OBJECTS in all */
    }
    if (total > SIM_MAX_OBJECTS) BUG("%llu objects passed the checks", (unsigned long long)total);

    /* conditions' locks */
    for (uint32_t i = 0; i < nd && !ps->err; i++) {
        sim_object *o = &decls[i];
        if (o->kind != SIM_OBJ_CONDITION || !o->lock_each) continue;
        const sim_object *l = &decls[o->lock];
        if (!o->size_expr) {
            sim__perr(ps, o->pos, ERR_SCENARIO, "'%s' is an array of %ss: say which one binds condition '%s', e.g. lock=%s[0]",
                      l->name, sim__obj_kind_name(l->kind), o->name, l->name);
        } else if (l->size != o->size) {
            sim__perr(ps, o->pos, ERR_SCENARIO, "condition array '%s' has %lld elements and lock array '%s' %lld",
                      o->name, (long long)o->size, l->name, (long long)l->size);
            sim__hint(ps, "lock=%s binds %s[k] to %s[k]: give them the same size, or bind every element to one lock, "
                          "lock=%s[0]", l->name, o->name, l->name, l->name);
        }
    }
    uint32_t *lock_elem = xcalloc(nd + 1, sizeof *lock_elem);
    for (uint32_t i = 0; i < nd && !ps->err; i++) {
        const sim_object *o = &decls[i];
        if (o->kind != SIM_OBJ_CONDITION) continue;
        if (o->lock_index) const_element(ps, decls, o->lock, elem0, o->lock_index, &lock_elem[i]);
        else lock_elem[i] = elem0[o->lock];
    }

    /* counter arrays with a value per element: as many as the elements */
    for (uint32_t i = 0; i < nd && !ps->err; i++) {
        const sim_object *o = &decls[i];
        if (o->inits && (int64_t)o->ninits != o->size) {
            sim__perr(ps, o->inits[0]->start, ERR_SCENARIO, "counter array '%s' has %lld elements and %u initial values",
                      o->name, (long long)o->size, o->ninits);
            sim__hint(ps, "give one value per element, or one value for them all: counter %s[N] = 0", o->name);
        }
    }

    /* every reference: an element */
    for (size_t k = 0; k < ps->norefs && !ps->err; k++) {
        struct objref *r = &ps->orefs[k];
        uint32_t di = *r->at;
        sim_expr *ix = *r->index;
        if (!ix) { *r->at = elem0[di]; continue; }
        if (ix->is_const) {
            if (const_element(ps, decls, di, elem0, ix, r->at)) break;
            *r->index = NULL;
        } else {
            *r->at = elem0[di];
        }
    }
    if (ps->err) {
        free(elem0);
        free(lock_elem);
        return ps->err;
    }

    /* the elements */
    sim_object *el = xcalloc(total + 1, sizeof *el);
    for (uint32_t i = 0; i < nd; i++) {
        const sim_object *o = &decls[i];
        for (int64_t k = 0; k < o->size; k++) {
            sim_object *e = &el[elem0[i] + (uint32_t)k];
            *e = *o;
            e->elem0 = elem0[i];
            if (o->size_expr) {
                char name[256];
                snprintf(name, sizeof name, "%s[%lld]", o->name, (long long)k);
                e->name = arena_strdup(&p->mem, name);
                e->array = o->name;
            }
            if (o->kind == SIM_OBJ_CONDITION) e->lock = o->lock_each ? elem0[o->lock] + (uint32_t)k : lock_elem[i];
            if (o->inits) {
                e->capacity = o->inits[k];
                sim__eval(ps, e->capacity, &e->cap_value);   /* checked when parsed and after the overrides */
            }
        }
    }
    free(p->objects);
    p->objects = el;
    p->nobjects = (uint32_t)total;
    ps->cap_objects = total + 1;
    free(elem0);
    free(lock_elem);
    return 0;
}
