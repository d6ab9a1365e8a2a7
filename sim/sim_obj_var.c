/* Plain variables (`var x = 0`): read by name in expressions, assigned with
 * `let x = EXPR`.
 *
 * A var is the state that a fork copies: on threads every unit shares one
 * value; on processes each process has its own copy (platform memory from
 * alloc_private, at the same address everywhere), taken from the process
 * that launched it, so a child's change is invisible to its parent and to
 * its siblings (a spawned process starts from the declared value, as a
 * module re-imported by spawn does). Every assignment is recorded with the
 * value this unit's process now has.
 *
 * A var or counter `managed by M` lives in its manager's server process
 * instead: every read and write is a request to it (sim_manager.c).
 */
#include "sim/sim_internal.h"

int obj_var_init(rt *r, rt_obj *o) {
    if (o->decl->manager) {
        o->final = o->decl->cap_value;
        return 0;
    }
    o->var = r->ops->alloc_private ? r->ops->alloc_private(r->plat, sizeof *o->var) : rt_alloc(r, sizeof *o->var);
    if (!o->var) return -ERR_NOMEM;
    atomic_store(o->var, o->decl->cap_value);
    return 0;
}

int64_t obj_value(rt_unit *u, uint32_t oi) {
    rt_obj *o = &u->r->objs[oi];
    if (o->decl->manager) {
        int64_t v = 0;
        manager_request(u, oi, TRC_MGR_GET, 0, &v);   /* halted: 0, and the unit stops at its next step */
        return v;
    }
    if (o->decl->kind == SIM_OBJ_VAR) return atomic_load_explicit(o->var, memory_order_relaxed);
    return atomic_load_explicit(&o->counter, memory_order_acquire);
}

int obj_assign(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt_obj *o = &u->r->objs[oi];
    int64_t v;
    if (rt_ev(u, s->expr, &v)) return -1;
    if (o->decl->manager) {
        int64_t old;
        if (manager_request(u, oi, TRC_MGR_SET, v, &old)) return -1;
    } else {
        /* a plain store: a read-modify-write of a var by two threads can lose an update */
        atomic_store_explicit(o->var, v, memory_order_relaxed);
    }
    trc_emit(u->ring, TRC_EV_VAR_SET, o->id, 0, (uint64_t)v, 0);
    return 0;
}
