/* A program copied into run memory, for the processes backend.
 *
 * The runtime's shared structures point into the program (an object's
 * declaration, a unit's actor, every step and expression). Forked processes
 * have the parent's program at the same address anyway; a spawned one (an
 * exec of weft) has its own heap, so the run's program must be in memory
 * that every process maps at one address: run memory. The copy is deep:
 * every string (even the literals an expression points to, such as "min"),
 * array, step and expression, with a memo so that what is shared stays
 * shared.
 *
 * When a field that holds a pointer is added to one of these structs, copy
 * it here: the size checks below fail the build until this file has been
 * looked at (update them with the new sizes).
 */
#include "sim/sim_internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) != 8 || (sizeof(sim_program) == 376 && sizeof(sim_param) == 40 &&
                                       sizeof(sim_object) == 192 && sizeof(sim_actor) == 80 &&
                                       sizeof(sim_stmt) == 232 && sizeof(sim_expr) == 96 && sizeof(sim_task) == 24 &&
                                       sizeof(sim_name) == 16 && sizeof(sim_expect) == 72),
               "a program struct changed: copy its new pointers in sim_prog_clone.c, then update these sizes");

typedef struct memo_ent { const void *from; void *to; } memo_ent;

typedef struct cloner {
    rt *r;
    memo_ent *m; size_t cap, n;
    bool failed;
} cloner;

static size_t mhash(const void *p, size_t mask) { return (size_t)(((uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull) & mask; }

static void *memo_get(const cloner *c, const void *from) {
    if (!c->cap) return NULL;
    for (size_t i = mhash(from, c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        if (!c->m[i].from) return NULL;
        if (c->m[i].from == from) return c->m[i].to;
    }
}

static void memo_put(cloner *c, const void *from, void *to) {
    if ((c->n + 1) * 2 > c->cap) {
        memo_ent *old = c->m;
        size_t oc = c->cap;
        c->cap = oc ? oc * 2 : 256;
        c->m = xcalloc(c->cap, sizeof *c->m);
        c->n = 0;
        for (size_t i = 0; i < oc; i++)
            if (old[i].from) memo_put(c, old[i].from, old[i].to);
        free(old);
    }
    size_t i = mhash(from, c->cap - 1);
    while (c->m[i].from) i = (i + 1) & (c->cap - 1);
    c->m[i] = (memo_ent){ from, to };
    c->n++;
}

/* A copy of n bytes at p in run memory (NULL for NULL), once per p. */
static void *dup(cloner *c, const void *p, size_t n) {
    if (!p) return NULL;
    void *q = memo_get(c, p);
    if (q) return q;
    q = rt_alloc(c->r, n ? n : 1);
    if (!q) { c->failed = true; return NULL; }
    memcpy(q, p, n);
    memo_put(c, p, q);
    return q;
}

static const char *str(cloner *c, const char *s) { return s ? dup(c, s, strlen(s) + 1) : NULL; }

static sim_expr *expr(cloner *c, const sim_expr *e) {
    if (!e) return NULL;
    sim_expr *q = memo_get(c, e);
    if (q) return q;
    q = dup(c, e, sizeof *e);
    if (!q) return NULL;
    q->fn = str(c, e->fn);
    q->a = expr(c, e->a);
    q->b = expr(c, e->b);
    q->index = expr(c, e->index);
    if (e->items) {
        q->items = dup(c, e->items, sizeof *e->items * e->nitems);
        for (uint32_t i = 0; q->items && i < e->nitems; i++) q->items[i] = expr(c, e->items[i]);
    }
    return q;
}

static sim_stmt *stmts(cloner *c, const sim_stmt *s) {
    sim_stmt *head = NULL, **tail = &head;
    for (; s; s = s->next) {
        sim_stmt *q = memo_get(c, s);
        if (q) { *tail = q; break; }   /* a list shared from here on */
        q = dup(c, s, sizeof *s);
        if (!q) return NULL;
        q->expr = expr(c, s->expr);
        q->text = str(c, s->text);
        q->body = stmts(c, s->body);
        q->orelse = stmts(c, s->orelse);
        q->timeout = expr(c, s->timeout);
        q->cond = expr(c, s->cond);
        q->window = expr(c, s->window);
        q->priority = expr(c, s->priority);
        q->offset = expr(c, s->offset);
        q->len = expr(c, s->len);
        q->obj_index = expr(c, s->obj_index);
        q->lock_index = expr(c, s->lock_index);
        q->value = expr(c, s->value);
        q->handlers = stmts(c, s->handlers);
        q->final = stmts(c, s->final);
        q->futs = dup(c, s->futs, sizeof *s->futs * s->nfuts);   /* gather's named futures */
        q->next = NULL;
        *tail = q;
        tail = &q->next;
    }
    return head;
}

const sim_program *sim__program_clone(rt *r, const sim_program *p) {
    cloner c = { .r = r };
    sim_program *q = dup(&c, p, sizeof *p);
    if (!q) return NULL;
    memset(&q->mem, 0, sizeof q->mem);   /* the copy owns no arena: run memory goes with the run */
    q->path = str(&c, p->path);
    q->text = str(&c, p->text);
    q->title = str(&c, p->title);
    q->backend = str(&c, p->backend);
    q->backend_if = expr(&c, p->backend_if);
    q->backend_if2 = expr(&c, p->backend_if2);
    q->params = dup(&c, p->params, sizeof *p->params * p->nparams);
    for (uint32_t i = 0; q->params && i < p->nparams; i++) {
        q->params[i].name = str(&c, p->params[i].name);
        q->params[i].expr = expr(&c, p->params[i].expr);
    }
    q->objects = dup(&c, p->objects, sizeof *p->objects * p->nobjects);
    for (uint32_t i = 0; q->objects && i < p->nobjects; i++) {
        sim_object *o = &q->objects[i];
        o->name = str(&c, o->name);
        o->capacity = expr(&c, o->capacity);
        o->prefer_expr = expr(&c, o->prefer_expr);
        o->item = expr(&c, o->item);
        o->pickle = expr(&c, o->pickle);
        o->manager_index = expr(&c, o->manager_index);
        o->size_expr = expr(&c, o->size_expr);
        o->array = str(&c, o->array);
        o->lock_index = expr(&c, o->lock_index);
        if (o->inits) {   /* every element of the array has the same list: copied once */
            sim_expr **v = memo_get(&c, o->inits);
            if (!v && (v = dup(&c, o->inits, sizeof *o->inits * o->ninits)))
                for (uint32_t k = 0; k < o->ninits; k++) v[k] = expr(&c, v[k]);
            o->inits = v;
        }
    }
    q->actors = dup(&c, p->actors, sizeof *p->actors * p->nactors);
    for (uint32_t i = 0; q->actors && i < p->nactors; i++) {
        sim_actor *a = &q->actors[i];
        a->name = str(&c, a->name);
        a->count = expr(&c, a->count);
        a->delay = expr(&c, a->delay);
        a->body = stmts(&c, a->body);
    }
    q->expects = dup(&c, p->expects, sizeof *p->expects * p->nexpects);
    for (uint32_t i = 0; q->expects && i < p->nexpects; i++) {
        sim_expect *x = &q->expects[i];
        x->value = expr(&c, x->value);
        x->index = expr(&c, x->index);
        x->cond = expr(&c, x->cond);
        x->items = dup(&c, x->items, sizeof *x->items * x->nitems);
    }
    q->strings = dup(&c, p->strings, sizeof *p->strings * p->nstrings);
    for (uint32_t i = 0; q->strings && i < p->nstrings; i++) q->strings[i] = str(&c, p->strings[i]);
    q->tasks = dup(&c, p->tasks, sizeof *p->tasks * p->ntasks);
    for (uint32_t i = 0; q->tasks && i < p->ntasks; i++) {
        q->tasks[i].name = str(&c, q->tasks[i].name);
        q->tasks[i].body = stmts(&c, p->tasks[i].body);
    }
    q->locals = dup(&c, p->locals, sizeof *p->locals * p->nlocals);
    for (uint32_t i = 0; q->locals && i < p->nlocals; i++) q->locals[i].name = str(&c, q->locals[i].name);
    q->local_ctx = dup(&c, p->local_ctx, sizeof *p->local_ctx * p->nlocals);
    q->futs = dup(&c, p->futs, sizeof *p->futs * p->nfuts);
    for (uint32_t i = 0; q->futs && i < p->nfuts; i++) q->futs[i].name = str(&c, q->futs[i].name);
    q->sweep_values = dup(&c, p->sweep_values, sizeof *p->sweep_values * p->nsweep);
    q->sweep_exprs = dup(&c, p->sweep_exprs, sizeof *p->sweep_exprs * p->nsweep);
    for (uint32_t i = 0; q->sweep_exprs && i < p->nsweep; i++) q->sweep_exprs[i] = expr(&c, p->sweep_exprs[i]);
    free(c.m);
    return c.failed ? NULL : q;
}
