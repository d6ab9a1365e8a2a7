/* What the constructs of tasks mean on each backend, checked before a run
 * starts (and by `weft check`): a construct with no meaning on a backend is an
 * error with its line:col and what to use instead, never a silent no-op.
 *
 *   construct              threads                      processes        coroutines
 *   create_task T          a new thread running T       error            a task on the loop
 *   gather T * N           start N threads, join them   error            asyncio.gather
 *   await / gather F..     join (and the result)        join a future    await
 *   wait_for F timeout=D   a join with a timeout that   (futures only)   asyncio.wait_for: F is
 *                          leaves the thread running                     cancelled at the timeout
 *   cancel F (a task)      fails: a thread that runs    -                at F's next await
 *                          cannot be cancelled
 *   sleep D blocking       a sleep                      a sleep          time.sleep: the loop stops
 *   actor ... own_loop     error                        error            a loop of its own (a thread;
 *                                                                        own_loop=process: a process)
 *   task_stack N           error                        error            every task's stack
 *   context X              per thread (like local)      per process      per task, copied into
 *                                                                        the tasks it makes
 *   raise, try/except/     the same everywhere; on coroutines a cancellation runs finally
 *   finally                blocks, not except clauses
 */
#include "sim/sim_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const sim_stmt *find(const sim_stmt *s, bool (*is)(const sim_stmt *)) {
    for (; s; s = s->next) {
        if (is(s)) return s;
        const sim_stmt *b = find(s->body, is);
        if (!b) b = find(s->orelse, is);
        if (!b && s->kind == SIM_S_TRY) b = find(s->handlers, is);   /* the except clauses' blocks */
        if (!b && s->kind == SIM_S_TRY) b = find(s->final, is);
        if (b) return b;
    }
    return NULL;
}

static bool makes_units(const sim_stmt *s) {
    return s->kind == SIM_S_CREATE_TASK || (s->kind == SIM_S_GATHER && s->task != UINT32_MAX);
}

/* The first step of the program (actors, then tasks) for which `is` holds. */
static const sim_stmt *find_step(const sim_program *p, bool (*is)(const sim_stmt *)) {
    for (uint32_t a = 0; a < p->nactors; a++) {
        const sim_stmt *s = find(p->actors[a].body, is);
        if (s) return s;
    }
    for (uint32_t t = 0; t < p->ntasks; t++) {
        const sim_stmt *s = find(p->tasks[t].body, is);
        if (s) return s;
    }
    return NULL;
}

bool async_program_creates(const sim_program *p) { return find_step(p, makes_units) != NULL; }

static int at(diag *d, const sim_program *p, sim_pos pos, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int at(diag *d, const sim_program *p, sim_pos pos, const char *hint, const char *fmt, ...) {
    sim_diag_at(d, p, pos.line, pos.col);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    snprintf(d->hint, sizeof d->hint, "%s", hint);
    return -ERR_SCENARIO;
}

int async_backend_check(const sim_program *p, const char *backend, diag *d) {
    bool coro = !strcmp(backend, "coroutines"), threads = !strcmp(backend, "threads");
    if (!coro) {
        for (uint32_t a = 0; a < p->nactors; a++)
            if (p->actors[a].own_loop)
                return at(d, p, p->actors[a].pos,
                          "own_loop gives each instance an event loop of its own: run it with --backend coroutines, or "
                          "drop own_loop (an actor is a thread of its own here)",
                          "own_loop: an event loop of its own means nothing on backend %s", backend);
        if (p->task_stack)
            return at(d, p, p->stack_pos, "a thread's stack is not set by the scenario; drop the line",
                      "task_stack: a task's stack means nothing on backend %s", backend);
    }
    for (uint32_t a = 0; coro && a < p->nactors; a++)
        if (p->actors[a].loop_process && sim_program_gil(p, NULL))
            return at(d, p, p->actors[a].loop_pos,
                      "drop `gil on`, or run the loop on a thread (own_loop): a loop in a process of its own with the "
                      "GIL model is not in this version of weft",
                      "own_loop=process with the GIL on: each process would need a GIL of its own");
    if (!coro && !threads) {
        const sim_stmt *s = find_step(p, makes_units);
        if (s)
            return at(d, p, s->pos,
                      "a unit is made before the run here: declare an actor 'spawned' and start it with 'spawn'",
                      "%s: no unit can be made while running on backend %s",
                      s->kind == SIM_S_GATHER ? "gather T * N" : "create_task", backend);
    }
    return 0;
}

