/* The scenario's names: looking them up, refusing duplicates and the words of
 * the language, and suggesting the closest one when a name is unknown. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

const char *const sim__stmt_keywords[] = { "compute", "sleep", "lock", "unlock", "acquire", "release", "put", "get",
                                           "repeat", "loop", "break", "if", "wait", "wait_for", "notify",
                                           "notify_all", "set", "clear", "incr", "decr", "mark", "spawn", "join",
                                           "let", "submit", "map", "result", "cancel", "on_done", "as_completed",
                                           "shutdown", "read_lock", "read_unlock", "write_lock", "write_unlock",
                                           "read", "write", "task_done", "raise", "try", "yield", "abort",
                                           "reset", "create_task", "await", "gather", "send", "recv", "poll", "close",
                                           "unlink", "exit", "crash", "terminate", "kill" };
const size_t sim__nstmt_keywords = sizeof sim__stmt_keywords / sizeof *sim__stmt_keywords;
const char *const sim__top_keywords[] = { "scenario", "param", "backend", "lock", "rlock", "semaphore", "queue",
                                          "event", "condition", "barrier", "counter", "actor", "expect", "pool",
                                          "task", "local", "sweep", "rwlock", "bounded_semaphore", "timer", "record",
                                          "context", "task_stack", "backends", "start_method", "pipe", "shm", "var",
                                          "manager", "gil", "switch_interval" };
const size_t sim__ntop_keywords = sizeof sim__top_keywords / sizeof *sim__top_keywords;
const char sim__top_keyword_list[] = "scenario, param, backend, backends, start_method, lock, rlock, rwlock, "
                                     "semaphore, bounded_semaphore, queue, event, condition, barrier, counter, var, "
                                     "pipe, shm, manager, pool, task, local, context, task_stack, actor, timer, sweep, "
                                     "expect, record, gil, switch_interval";

/* Words an expression reads as themselves: a name spelt like one could never be read. */
static const char *const value_words[] = { "not", "and", "or", "index", "ok", "timed_out", "arg", "makespan",
                                           "uniform", "exp", "choice", "on", "off" };

const char *sim__obj_kind_name(sim_obj_kind k) {
    switch (k) {
    case SIM_OBJ_LOCK: return "lock";
    case SIM_OBJ_QUEUE: return "queue";
    case SIM_OBJ_RLOCK: return "rlock";
    case SIM_OBJ_SEMAPHORE: return "semaphore";
    case SIM_OBJ_CONDITION: return "condition";
    case SIM_OBJ_EVENT: return "event";
    case SIM_OBJ_BARRIER: return "barrier";
    case SIM_OBJ_COUNTER: return "counter";
    case SIM_OBJ_POOL: return "pool";
    case SIM_OBJ_RWLOCK: return "rwlock";
    case SIM_OBJ_PIPE: return "pipe";
    case SIM_OBJ_SHM: return "shm";
    case SIM_OBJ_VAR: return "var";
    case SIM_OBJ_MANAGER: return "manager";
    }
    return "object";
}

const char *sim__a_kind(sim_obj_kind k) {
    switch (k) {
    case SIM_OBJ_EVENT: return "an event";
    case SIM_OBJ_RLOCK: return "an rlock";
    case SIM_OBJ_RWLOCK: return "an rwlock";
    case SIM_OBJ_PIPE: return "a pipe";
    case SIM_OBJ_SHM: return "a shm segment";
    case SIM_OBJ_VAR: return "a var";
    case SIM_OBJ_MANAGER: return "a manager";
    default: break;
    }
    static const char *const a[] = { "", "a lock", "a queue", "", "a semaphore", "a condition", "", "a barrier", "",
                                     "a counter", "a pool" };
    return (unsigned)k < sizeof a / sizeof *a ? a[k] : "an object";
}

int sim__find_param(const sim_program *p, const char *s, size_t n) {
    for (uint32_t i = 0; i < p->nparams; i++)
        if (strlen(p->params[i].name) == n && !memcmp(p->params[i].name, s, n)) return (int)i;
    return -1;
}

int sim__find_object(const sim_program *p, const char *s) {
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (!strcmp(p->objects[i].name, s)) return (int)i;
    return -1;
}

int sim__find_actor(const sim_program *p, const char *name) {
    for (uint32_t i = 0; i < p->nactors; i++)
        if (!strcmp(p->actors[i].name, name)) return (int)i;
    return -1;
}

int sim__find_task(const sim_program *p, const char *name) {
    for (uint32_t i = 0; i < p->ntasks; i++)
        if (!strcmp(p->tasks[i].name, name)) return (int)i;
    return -1;
}

int sim__find_local(const sim_program *p, const char *s, size_t n) {
    for (uint32_t i = 0; i < p->nlocals; i++)
        if (strlen(p->locals[i].name) == n && !memcmp(p->locals[i].name, s, n)) return (int)i;
    return -1;
}

int sim__check_unique(parser *ps, const char *name, sim_pos pos) {
    sim_program *p = ps->p;
    for (size_t i = 0; i < sizeof value_words / sizeof *value_words; i++)
        if (!strcmp(name, value_words[i])) {
            sim__perr(ps, pos, ERR_SCENARIO, "'%s' is a word of the language: it cannot name something", name);
            sim__hint(ps, "choose another name, e.g. %s_", name);
            return ps->err;
        }
    for (uint32_t i = 0; i < p->nparams; i++)
        if (!strcmp(p->params[i].name, name))
            return sim__perr(ps, pos, ERR_SCENARIO, "'%s' is already a parameter (line %d)", name, p->params[i].pos.line);
    for (uint32_t i = 0; i < p->nobjects; i++)
        if (!strcmp(p->objects[i].name, name))
            return sim__perr(ps, pos, ERR_SCENARIO, "'%s' is already declared (line %d)", name, p->objects[i].pos.line);
    for (uint32_t i = 0; i < p->nactors; i++)
        if (!strcmp(p->actors[i].name, name))
            return sim__perr(ps, pos, ERR_SCENARIO, "'%s' is already an actor (line %d)", name, p->actors[i].pos.line);
    for (uint32_t i = 0; i < p->ntasks; i++)
        if (!strcmp(p->tasks[i].name, name))
            return sim__perr(ps, pos, ERR_SCENARIO, "'%s' is already a task (line %d)", name, p->tasks[i].pos.line);
    for (uint32_t i = 0; i < p->nlocals; i++)
        if (!strcmp(p->locals[i].name, name))
            return sim__perr(ps, pos, ERR_SCENARIO, "'%s' is already a local (line %d)", name, p->locals[i].pos.line);
    return 0;
}

void sim__hint_closest(parser *ps, const char *name, const sim_name *names, uint32_t n, const char *otherwise) {
    const char **v = xmalloc(sizeof *v * (n + 1));
    for (uint32_t i = 0; i < n; i++) v[i] = names[i].name;
    const char *c = sim__closest(name, v, n);
    free(v);
    if (c) sim__hint(ps, "did you mean '%s'?", c);
    else sim__hint(ps, "%s", otherwise);
}

/* A candidate name for "did you mean", with what it is. */
typedef struct cand { const char *name; const char *what; bool has_value; } cand;

int sim__unknown_value_name(parser *ps, const char *name, sim_pos pos) {
    const sim_program *p = ps->p;
    size_t n = p->nparams + p->nobjects + p->nlocals + p->nactors + p->ntasks + 8, k = 0;
    cand *c = xmalloc(sizeof *c * n);
    const char **names = xmalloc(sizeof *names * n);
    for (uint32_t i = 0; i < p->nparams; i++) c[k++] = (cand){ p->params[i].name, "a param", true };
    for (uint32_t i = 0; i < p->nlocals; i++) c[k++] = (cand){ p->locals[i].name, "a local", true };
    for (uint32_t i = 0; i < p->nobjects; i++)
        c[k++] = (cand){ p->objects[i].name, sim__a_kind(p->objects[i].kind), p->objects[i].kind == SIM_OBJ_COUNTER };
    c[k++] = (cand){ "index", "the unit's index", true };
    c[k++] = (cand){ "timed_out", "the last blocking step's outcome", true };
    c[k++] = (cand){ "ok", "the last blocking step's outcome", true };
    if (ps->arg_ok) c[k++] = (cand){ "arg", "the task's argument", true };
    if (ps->in_expect) c[k++] = (cand){ "makespan", "the run's makespan", true };
    for (uint32_t i = 0; i < p->nactors; i++) c[k++] = (cand){ p->actors[i].name, "an actor", false };
    for (uint32_t i = 0; i < p->ntasks; i++) c[k++] = (cand){ p->tasks[i].name, "a task", false };
    for (size_t i = 0; i < k; i++) names[i] = c[i].name;
    const char *best = sim__closest(name, names, k);
    const cand *bc = NULL;
    for (size_t i = 0; best && i < k; i++)
        if (names[i] == best) bc = &c[i];
    if (bc && !bc->has_value && !strcmp(bc->name, name)) {
        sim__perr(ps, pos, ERR_SCENARIO, "'%s' is %s: only params, counters and locals have values", name, bc->what);
    } else {
        sim__perr(ps, pos, ERR_SCENARIO, "unknown name '%s'", name);
        if (bc && bc->has_value)
            sim__hint(ps, "did you mean '%s' (%s)?", bc->name, bc->what);
        else if (bc)
            sim__hint(ps, "did you mean '%s'? It is %s, which has no value: expressions read params, counters, locals, "
                          "index, timed_out and ok", bc->name, bc->what);
        else
            sim__hint(ps, "expressions read params, counters, locals, index, timed_out, ok%s: declare it first, e.g. "
                          "param %s = 1", ps->arg_ok ? ", arg" : "", name);
    }
    free(c);
    free(names);
    return ps->err;
}
