/* The backends, and what each construct means on each (DESIGN.md section 5).
 *
 * A construct used by a scenario must have a meaning on the backend it runs
 * on: one without (a thread cannot be killed, a multiprocessing queue has no
 * LIFO kind) is an error at check time, at its line:col, saying what to use
 * instead; never a silent no-op. The table below has one row per construct
 * that does not mean something on every backend; a construct with no row
 * means something everywhere (a `local` is per thread, per process or per
 * task; a thread pool runs inside any process). Add a row, and the walker's
 * line that finds the construct, for each new one.
 */
#include "sim/sim_parse_internal.h"

#include <stdio.h>

static const char *const names[SIM_BACKEND__MAX] = { NULL, "threads", "processes", "coroutines" };

const char *sim_backend_name(unsigned b) { return b && b < SIM_BACKEND__MAX ? names[b] : NULL; }

unsigned sim_backend_by_name(const char *name, size_t len) {
    for (unsigned b = 1; b < SIM_BACKEND__MAX; b++)
        if (strlen(names[b]) == len && !memcmp(names[b], name, len)) return b;
    return 0;
}

//~ the table

typedef enum construct {
    C_EXIT = 1, C_CRASH, C_TERMINATE, C_KILL,   /* the steps that only a process has */
    C_START_METHOD,                             /* start_method, start=fork|spawn (actors, pools) */
    C_POOL_PROCESSES,                           /* pool kind=processes */
    C_QUEUE_LIFO, C_QUEUE_PRIORITY,             /* queue kind=lifo|priority */
    C_PIPE, C_MANAGER                           /* a pipe(2), a manager's server (waits on descriptors) */
} construct;

#define ON(b) (1u << SIM_BACKEND_##b)

typedef struct row {
    construct c;
    unsigned on;            /* the backends where it has a meaning */
    const char *what;       /* how the scenario says it */
    const char *instead;    /* the hint: what it means, and what to use instead */
} row;

static const row table[] = {
    { C_EXIT, ON(PROCESSES), "exit",
      "a thread has no exit code (sys.exit ends only the thread): run the scenario on processes (backend processes, "
      "or --backend processes), or let the actor's body end" },
    { C_CRASH, ON(PROCESSES), "crash",
      "a crash kills a whole process, and on threads that is every unit at once: run it on processes" },
    { C_TERMINATE, ON(PROCESSES), "terminate",
      "Python cannot terminate a thread: stop it with an event it checks (set E / wait E), or run it on processes" },
    { C_KILL, ON(PROCESSES), "kill",
      "Python cannot kill a thread: stop it with an event it checks (set E / wait E), or run it on processes" },
    { C_START_METHOD, ON(PROCESSES), "a start method (fork or spawn)",
      "only processes are started by fork or spawn: drop start=/start_method, or run it on processes" },
    { C_POOL_PROCESSES, ON(PROCESSES) | ON(COROUTINES), "a process pool (kind=processes)",
      "ProcessPoolExecutor's workers are processes: use kind=threads here, or run it on processes or coroutines "
      "(run_in_executor)" },
    { C_QUEUE_LIFO, ON(THREADS) | ON(COROUTINES), "a LIFO queue (kind=lifo)",
      "multiprocessing.Queue is FIFO and has no LIFO kind: use kind=fifo" },
    { C_QUEUE_PRIORITY, ON(THREADS) | ON(COROUTINES), "a priority queue (kind=priority)",
      "multiprocessing.Queue is FIFO and has no priority kind: use kind=fifo" },
    { C_PIPE, ON(THREADS) | ON(PROCESSES), "a pipe",
      "a task on an event loop cannot wait on a multiprocessing Pipe (its recv blocks the loop): use a queue between "
      "tasks, or run it on threads or processes" },
    { C_MANAGER, ON(THREADS) | ON(PROCESSES), "a manager (and what it serves)",
      "a Manager is a server process its clients call over a pipe, which a task cannot await: use a counter or a "
      "lock between tasks, or run it on threads or processes" },
};

//~ the walker

typedef struct walk {
    const sim_program *p;
    unsigned b;
    diag *d;
    int err;
} walk;

static void use(walk *w, construct c, sim_pos pos) {
    if (w->err) return;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        const row *r = &table[i];
        if (r->c != c || (r->on & (1u << w->b))) continue;
        w->err = diag_set(w->d, ERR_SCENARIO, "%s has no meaning on backend %s", r->what, sim_backend_name(w->b));
        if (w->d) {
            sim_diag_at(w->d, w->p, pos.line, pos.col);
            snprintf(w->d->hint, sizeof w->d->hint, "%s", r->instead);
        }
        return;
    }
}

static void walk_stmts(walk *w, const sim_stmt *s) {
    for (; s && !w->err; s = s->next) {
        switch (s->kind) {
        case SIM_S_EXIT: use(w, C_EXIT, s->pos); break;
        case SIM_S_CRASH: use(w, C_CRASH, s->pos); break;
        case SIM_S_TERMINATE: use(w, C_TERMINATE, s->pos); break;
        case SIM_S_KILL: use(w, C_KILL, s->pos); break;
        default: break;
        }
        walk_stmts(w, s->body);
        walk_stmts(w, s->orelse);
    }
}

int sim_check_backend(const sim_program *p, unsigned b, diag *d) {
    if (!sim_backend_name(b)) return diag_set(d, ERR_USAGE, "unknown backend %u", b);
    walk w = { p, b, d, 0 };
    if (p->start_method) use(&w, C_START_METHOD, p->start_pos);
    for (uint32_t i = 0; i < p->nobjects && !w.err; i++) {
        const sim_object *o = &p->objects[i];
        if (o->kind == SIM_OBJ_POOL && o->pool_kind == SIM_POOL_PROCESSES) use(&w, C_POOL_PROCESSES, o->opt_pos);
        if (o->kind == SIM_OBJ_POOL && o->start) use(&w, C_START_METHOD, o->opt_pos.line ? o->opt_pos : o->pos);
        if (o->kind == SIM_OBJ_QUEUE && o->subkind == TRC_QUEUE_LIFO) use(&w, C_QUEUE_LIFO, o->pos);
        if (o->kind == SIM_OBJ_QUEUE && o->subkind == TRC_QUEUE_PRIORITY) use(&w, C_QUEUE_PRIORITY, o->pos);
        if (o->kind == SIM_OBJ_PIPE) use(&w, C_PIPE, o->pos);
        if (o->kind == SIM_OBJ_MANAGER) use(&w, C_MANAGER, o->pos);
    }
    for (uint32_t i = 0; i < p->nactors && !w.err; i++) {
        if (p->actors[i].start) use(&w, C_START_METHOD, p->actors[i].start_pos);
        walk_stmts(&w, p->actors[i].body);
    }
    for (uint32_t i = 0; i < p->ntasks && !w.err; i++) walk_stmts(&w, p->tasks[i].body);
    /* coroutines' constructs (own_loop, task_stack, units made while running): sim_async_check.c */
    if (!w.err) w.err = async_backend_check(p, sim_backend_name(b), d);
    if (w.err || (b != SIM_BACKEND_PROCESSES && b != SIM_BACKEND_COROUTINES)) return w.err;

    /* processes: the most processes a run may make, counted before anything is forked (coroutines:
     * the loops of own_loop=process actors and the process pools' workers) */
    bool coro = b == SIM_BACKEND_COROUTINES;
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->nactors; i++) {
        if (coro && !p->actors[i].loop_process) continue;
        n += (uint64_t)p->actors[i].count_value;
        if (n > SIM_MAX_PROCESSES) {
            const sim_actor *a = &p->actors[i];
            int rc = diag_set(d, ERR_LIMIT, "actor '%s' makes the scenario need %llu processes; weft runs at most %d "
                              "processes in one run", a->name, (unsigned long long)n, SIM_MAX_PROCESSES);
            if (d) {
                sim_pos at = a->count ? a->count->pos : a->pos;
                sim_diag_at(d, p, at.line, at.col);
                snprintf(d->hint, sizeof d->hint, coro ? "lower the count, or use own_loop (a loop on a thread)"
                                                       : "lower the count, or run it on threads");
            }
            return rc;
        }
    }
    for (uint32_t i = 0; i < p->nobjects; i++) {
        const sim_object *o = &p->objects[i];
        if ((o->kind == SIM_OBJ_POOL && o->pool_kind == SIM_POOL_PROCESSES) || o->kind == SIM_OBJ_MANAGER)
            n += o->kind == SIM_OBJ_MANAGER ? 1 : (uint64_t)o->cap_value;
        if (n > SIM_MAX_PROCESSES) {
            int rc = diag_set(d, ERR_LIMIT, "%s '%s' makes the scenario need %llu processes; weft runs at most %d "
                              "processes in one run", o->kind == SIM_OBJ_POOL ? "pool" : "manager", o->name,
                              (unsigned long long)n, SIM_MAX_PROCESSES);
            if (d) {
                sim_pos at = o->capacity ? o->capacity->pos : o->pos;
                sim_diag_at(d, p, at.line, at.col);
                snprintf(d->hint, sizeof d->hint, coro ? "lower the workers, or use kind=threads"
                                                       : "lower the workers, or run it on threads");
            }
            return rc;
        }
    }
    return 0;
}
