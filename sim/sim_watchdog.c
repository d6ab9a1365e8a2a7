/* The watchdog: main, while the run goes on. It wakes whenever a unit exits
 * (the exit count is read and waited on under the run's monitor, so an exit
 * between a check and the next wait is never missed) and at least every
 * POLL_NS, and decides:
 *   - every non-daemon actor done: the pools shut down (queued tasks still
 *     run); then, once only daemons are left, the daemons are cut off;
 *   - a runtime error, an interrupt, the run's timeout: the run ends;
 *   - a cycle in the wait-for graph that stays unchanged for
 *     CYCLE_CONFIRM_NS is a deadlock;
 *   - every live unit blocked for good and no step completed for stall_ns
 *     is a stall (stuck units, e.g. a consumer waiting for an item that
 *     never comes).
 * It reads each unit's published wait (state, object, op, since, deadline)
 * without locks and each object's owners under its monitor, writes a report
 * (who waits for what, since when), and ends the run: rt_stop_all wakes
 * every waiter at once.
 *
 * The wait-for graph has an edge from a unit blocked without a deadline to
 * every unit it waits for: a lock's or rlock's owner; an rwlock's writer,
 * and for a writer every reader (a unit that holds a read lock and asks for
 * the write lock waits for itself), and for a reader held back by waiting
 * writers (prefer=writers) each of those writers; the unit it joins; the
 * worker running the future it waits for. A unit waits for all of its
 * edges, so any cycle is a deadlock. Waits with a timeout end by themselves
 * and are no edge.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_NS 10000000ull
#define CYCLE_CONFIRM_NS 100000000ull

static const char *op_verb(int op) {
    switch (op) {
    case TRC_OP_LOCK: return "to acquire";
    case TRC_OP_PUT: return "to put into queue";
    case TRC_OP_GET: return "to get from queue";
    case TRC_OP_ACQUIRE_PERMIT: return "for a permit of semaphore";
    case TRC_OP_COND_WAIT: return "to be notified on condition";
    case TRC_OP_EVENT_WAIT: return "for event";
    case TRC_OP_BARRIER: return "at barrier";
    case TRC_OP_JOIN: return "to join";
    case TRC_OP_RESULT: return "for a result of pool";
    default: return "on";
    }
}

typedef struct wd { rt *r; sim_punit *self; uint64_t t0; char gone[4][96]; unsigned ngone; } wd;

static void wd_lock(const wd *w, sim_mon *m) { w->r->ops->mon_lock(w->r->plat, w->self, m); }
static void wd_unlock(const wd *w, sim_mon *m) { w->r->ops->mon_unlock(w->r->plat, w->self, m); }

static const char *sig_name(int sig) {
    switch (sig) {
    case 9: return "SIGKILL";
    case 15: return "SIGTERM";
    case 11: return "SIGSEGV";
    case 6: return "SIGABRT";
    default: return NULL;
    }
}

/* How unit u is gone, for a report: "died (SIGKILL) at 41.2 ms", "exited with code 3", "has exited";
 * NULL while it lives. The text lives in w until four more calls. */
static const char *gone(const wd *cw, const rt_unit *u) {
    wd *w = (wd *)cw;
    char *b = w->gone[w->ngone++ % 4];
    rt *r = w->r;
    if (atomic_load(&u->died)) {
        int code = 0, sig = 0;
        uint64_t when = 0;
        if (r->ops->unit_status) r->ops->unit_status(r->plat, u->pu, &code, &sig, &when);
        char at[32] = "";
        if (when) fmt_dur(at, sizeof at, when > w->t0 ? when - w->t0 : 0);
        const char *sn = sig_name(sig);
        if (sig && sn) snprintf(b, 96, "died (%s)%s%s", sn, at[0] ? " at " : "", at);
        else if (sig) snprintf(b, 96, "died (signal %d)%s%s", sig, at[0] ? " at " : "", at);
        else snprintf(b, 96, "died%s%s", at[0] ? " at " : "", at);
        return b;
    }
    if (atomic_load(&u->state) != US_DONE) return NULL;
    if (u->exited) snprintf(b, 96, "has exited (exit %d)", u->exit_code);
    else snprintf(b, 96, "has exited");
    return b;
}

/* A unit's name in a report: a daemon says so, as it does not keep the run alive. */
static void unit_label(const rt_unit *u, char *out, size_t cap) {
    snprintf(out, cap, "%s%s", u->name, u->daemon ? " (a daemon: it does not keep the run alive)" : "");
}

/* describe_wait's line for a wait on an rwlock or a queue join. */
static void describe_rwq_wait(const wd *w, uint32_t i, rt_obj *o, int op, const char *when, char *out, size_t cap) {
    rt *r = w->r;
    rt_unit *u = &r->units[i];
    char who[160];
    unit_label(u, who, sizeof who);
    if (op == TRC_OP_QUEUE_JOIN) {
        wd_lock(w, o->mon);
        int64_t left = o->queue.unfinished;
        wd_unlock(w, o->mon);
        rt_rep(out, cap, "  %s waits for queue '%s' to be joined since %s: %lld task%s unfinished, no live unit will "
                         "call task_done\n", who, o->decl->name, when, (long long)left, left == 1 ? "" : "s");
        return;
    }
    bool wr = op == TRC_OP_WRITE_LOCK;
    rt_rep(out, cap, "  %s waits for %s lock '%s' since %s", who, wr ? "write" : "read", o->decl->name, when);
    wd_lock(w, o->mon);
    int64_t wo = atomic_load(&o->owner);
    if (wo == (int64_t)i) {
        rt_rep(out, cap, ", which it holds itself for writing (an rwlock is not re-entrant)");
    } else if (wo >= 0) {
        const char *g = gone(w, &r->units[wo]);
        rt_rep(out, cap, ", held by writer %s%s%s", r->units[wo].name, g ? ", which " : "", g ? g : "");
    } else if (o->nreaders && wr) {
        uint32_t shown = 0, distinct = 0;
        for (size_t k = 0; k < o->nreaders; k++) {
            bool seen = false;
            for (size_t j = 0; j < k; j++) seen |= o->readers[j] == o->readers[k];
            if (seen) continue;
            distinct++;
            if (shown == 8) continue;
            uint32_t ri = o->readers[k];
            const char *g = gone(w, &r->units[ri]);
            rt_rep(out, cap, "%s%s%s", shown ? ", " : ", held by readers ", r->units[ri].name,
                   ri == i ? " (itself: a read lock cannot be upgraded to a write lock)"
                   : !g ? "" : !strncmp(g, "died", 4) ? " (died)" : " (exited)");
            shown++;
        }
        if (distinct > shown) rt_rep(out, cap, " and %u more", distinct - shown);
    }
    if (!wr && wo < 0) {   /* held back by waiting writers (prefer=writers) */
        uint32_t oi = (uint32_t)(o - r->objs), n = 0;
        for (uint32_t k = 0; k < r->nunits; k++) {
            rt_unit *v = &r->units[k];
            if (atomic_load(&v->state) != US_BLOCKED || atomic_load(&v->wait_obj) != oi + 1 ||
                atomic_load(&v->wait_op) != TRC_OP_WRITE_LOCK)
                continue;
            if (n < 8) rt_rep(out, cap, "%s%s", n ? ", " : ", behind waiting writers (writers go first): ", v->name);
            n++;
        }
        if (n > 8) rt_rep(out, cap, " and %u more", n - 8);
        bool reads = false;
        for (size_t k = 0; k < o->nreaders; k++) reads |= o->readers[k] == i;
        if (reads) rt_rep(out, cap, ", while it holds it for reading itself");
    }
    wd_unlock(w, o->mon);
    rt_rep(out, cap, "\n");
}

/* The names of the processes that hold end `end` of pipe oi ("a, b (itself)"). */
static void holders_text(const wd *w, uint32_t i, uint32_t oi, unsigned end, char *out, size_t cap) {
    rt *r = w->r;
    uint32_t who[9];
    uint32_t n = pipe_holders(r, oi, end, who, 9);
    out[0] = 0;
    for (uint32_t k = 0; k < n && k < 8; k++)
        rt_rep(out, cap, "%s%s%s", k ? ", " : "", who[k] < r->nunits ? r->units[who[k]].name : "weft",
               who[k] == i ? " (itself)" : "");
    if (n > 8) rt_rep(out, cap, " and more");
}

/* describe_wait's line for the waits of processes: pipes, feeders, managers. */
static bool describe_proc_wait(const wd *w, uint32_t i, rt_obj *o, int op, const char *when, char *out, size_t cap) {
    rt *r = w->r;
    rt_unit *u = &r->units[i];
    uint32_t oi = (uint32_t)(o - r->objs);
    char who[512];
    if (o->decl->kind == SIM_OBJ_MANAGER) {
        rt_rep(out, cap, "  %s (the server of manager '%s') waits for a request since %s\n", u->name, o->decl->name, when);
        return true;
    }
    switch (op) {
    case TRC_OP_RECV: case TRC_OP_POLL:
        holders_text(w, i, oi, TRC_PIPE_WRITE, who, sizeof who);
        rt_rep(out, cap, "  %s waits to %s pipe '%s' since %s: no message, and no end of file while its write end is "
                         "open in %s\n", u->name, op == TRC_OP_RECV ? "recv from" : "poll", o->decl->name, when,
               who[0] ? who : "no process (closing)");
        return true;
    case TRC_OP_SEND:
        holders_text(w, i, oi, TRC_PIPE_READ, who, sizeof who);
        rt_rep(out, cap, "  %s waits to send into pipe '%s' since %s: the pipe is full; its read end is open in %s\n",
               u->name, o->decl->name, when, who[0] ? who : "no process");
        return true;
    case TRC_OP_FLUSH: {
        int64_t n = 0;
        wd_lock(w, o->mon);
        obj_queue_unfed(o, i, &n);
        int64_t infl = o->queue.count < o->queue.max_fed ? o->queue.count : o->queue.max_fed;
        wd_unlock(w, o->mon);
        int64_t item = o->decl->item ? o->decl->item_value : 64;
        rt_rep(out, cap, "  %s cannot exit since %s: its feeder still holds %lld item(s) of queue '%s' that do not fit in "
                         "the pipe (%lld items, %lld bytes, put and not yet got); a process joins its queues' feeder "
                         "threads before it exits, so someone must get from '%s' first\n", u->name, when, (long long)n,
               o->decl->name, (long long)infl, (long long)(infl * item), o->decl->name);
        return true;
    }
    case TRC_OP_REPLY: {
        uint32_t mi = o->decl->manager ? o->decl->manager - 1 : UINT32_MAX;
        rt_unit *sv = mi != UINT32_MAX ? &r->units[r->objs[mi].server] : NULL;
        const char *g = sv ? gone(w, sv) : NULL;
        rt_rep(out, cap, "  %s waits for manager '%s' to answer (%s '%s') since %s%s%s\n", u->name,
               mi != UINT32_MAX ? r->objs[mi].decl->name : "?", trc_obj_kind_name((unsigned)o->decl->kind),
               o->decl->name, when, g ? ", and the manager " : "", g ? g : "");
        return true;
    }
    default: return false;
    }
}

/* Describes why unit i waits, in one line. */
static void describe_wait(const wd *w, uint32_t i, uint64_t t0, char *out, size_t cap) {
    rt *r = w->r;
    rt_unit *u = &r->units[i];
    if (atomic_load(&u->state) != US_BLOCKED) return;
    char who[160];
    unit_label(u, who, sizeof who);
    uint32_t wo = atomic_load(&u->wait_obj);
    int op = atomic_load(&u->wait_op);
    uint64_t since = atomic_load(&u->wait_since);
    char when[32];
    fmt_dur(when, sizeof when, since > t0 ? since - t0 : 0);
    if (op == TRC_OP_JOIN && !wo) {
        uint64_t c = atomic_load(&u->wait_arg);
        rt_unit *cu = c < r->nunits ? &r->units[c] : NULL;
        if (cu && cu->created && r->coro) {   /* a task awaits a task: follow the chain of awaits */
            rt_rep(out, cap, "  %s awaits task %s since %s", who, cu->name, when);
            for (int hop = 0; hop < 16 && cu && atomic_load(&cu->state) == US_BLOCKED; hop++) {
                uint32_t cwo = atomic_load(&cu->wait_obj);
                int cop = atomic_load(&cu->wait_op);
                uint64_t next = atomic_load(&cu->wait_arg);
                if (cop == TRC_OP_JOIN && !cwo && next < r->nunits) {
                    cu = &r->units[next];
                    rt_rep(out, cap, ", which awaits %s", cu->name);
                } else {
                    if (cwo) rt_rep(out, cap, ", which waits %s '%s'", op_verb(cop), r->objs[cwo - 1].decl->name);
                    break;
                }
            }
            rt_rep(out, cap, "\n");
            return;
        }
        rt_rep(out, cap, "  %s waits to join %s since %s%s\n", who, cu ? cu->name : "?", when,
               cu && atomic_load(&cu->state) == US_BLOCKED ? ", which is blocked itself" : "");
        return;
    }
    if (!wo) return;
    rt_obj *o = &r->objs[wo - 1];
    if (describe_proc_wait(w, i, o, op, when, out, cap)) return;
    if (o->decl->kind == SIM_OBJ_POOL) {
        if (op == TRC_OP_GET) {
            rt_rep(out, cap, "  %s (a worker of pool '%s') waits for a task since %s (idle)\n", who, o->decl->name,
                   when);
        } else if (op == TRC_OP_JOIN) {
            rt_rep(out, cap, "  %s waits for pool '%s' to shut down since %s\n", who, o->decl->name, when);
        } else {
            wd_lock(w, r->fmon);
            rt_fut *f = atomic_load(&u->wait_fut);
            char what[160] = "";
            if (f && f->state == FS_RUNNING)
                snprintf(what, sizeof what, ", running on %s", r->units[f->worker].name);
            else if (f && f->state == FS_PENDING)
                snprintf(what, sizeof what, ", still pending: %u queued, %u of %lld workers started", o->queued,
                         o->started, (long long)o->decl->cap_value);
            rt_rep(out, cap, "  %s waits for the result of future #%llu of pool '%s' (task '%s') since %s%s\n", who,
                   f ? (unsigned long long)f->id : 0ull, o->decl->name, f ? r->prog->tasks[f->task].name : "?", when,
                   what);
            wd_unlock(w, r->fmon);
        }
        return;
    }
    if (o->decl->kind == SIM_OBJ_RWLOCK || op == TRC_OP_QUEUE_JOIN) {
        describe_rwq_wait(w, i, o, op, when, out, cap);
        return;
    }
    const char *kind = o->decl->kind == SIM_OBJ_LOCK ? "lock " : o->decl->kind == SIM_OBJ_RLOCK ? "rlock " : "";
    rt_rep(out, cap, "  %s waits %s %s'%s' since %s", who, op_verb(op), kind, o->decl->name, when);
    switch (o->decl->kind) {
    case SIM_OBJ_LOCK: case SIM_OBJ_RLOCK: {
        int64_t ow = atomic_load(&o->owner);
        if (ow == (int64_t)i) rt_rep(out, cap, ", which it holds itself (a lock is not re-entrant)");
        else if (ow >= 0) {
            const char *g = gone(w, &r->units[ow]);
            rt_rep(out, cap, ", held by %s%s%s", r->units[ow].name, g ? ", which " : "", g ? g : "");
        }
        break;
    }
    case SIM_OBJ_QUEUE: {
        wd_lock(w, o->mon);
        int64_t c = o->queue.count, cp = o->queue.cap;
        wd_unlock(w, o->mon);
        rt_rep(out, cap, op == TRC_OP_GET ? " (empty: no live unit will put)" : " (full: %lld of %lld, no live unit will get)",
               (long long)c, (long long)cp);
        break;
    }
    case SIM_OBJ_SEMAPHORE: rt_rep(out, cap, " (no permit free, none will be released)"); break;
    case SIM_OBJ_CONDITION: rt_rep(out, cap, " (no live unit will notify)"); break;
    case SIM_OBJ_EVENT: {
        /* set and cleared again before this wait began (a publish nobody subscribed to yet): it missed it */
        wd_lock(w, o->mon);
        uint64_t st = o->set_t, ct = o->clear_t;
        uint32_t by = o->setter;
        wd_unlock(w, o->mon);
        if (st && ct >= st && ct <= since) {
            char at[32], cl[32];
            fmt_dur(at, sizeof at, st > t0 ? st - t0 : 0);
            fmt_dur(cl, sizeof cl, ct > t0 ? ct - t0 : 0);
            rt_rep(out, cap, ": it missed it, set at %s by %s and cleared at %s, before it began waiting; no live unit "
                             "will set it again", at, by < r->nunits ? r->units[by].name : "?", cl);
        } else {
            rt_rep(out, cap, " (not set; no live unit will set it)");
        }
        break;
    }
    case SIM_OBJ_BARRIER: {
        wd_lock(w, o->mon);
        int64_t arrived = o->value;
        wd_unlock(w, o->mon);
        rt_rep(out, cap, " (%lld of %lld parties arrived)", (long long)arrived, (long long)o->decl->cap_value);
        break;
    }
    default: break;
    }
    rt_rep(out, cap, "\n");
}

/* ---- the wait-for graph ------------------------------------------------------ */

typedef struct graph {
    uint32_t n;               /* the units the graph is of: r->nunits when it was built */
    uint32_t cur;             /* the unit whose edges are being added */
    uint32_t *first;          /* per unit: its first edge in to[]; first[n] = the end */
    uint32_t *to; size_t nto, cap_to;
    uint8_t *color;           /* DFS: 0 new, 1 on the path, 2 done */
    uint32_t *path, *edge;    /* the DFS path and, per depth, the next edge to follow */
    uint8_t *any;             /* per unit: its wait ends when any one of its edges' units acts (a pipe's
                                 end held by several processes), not only the one it is blocked on */
    uint8_t *newer;           /* per unit: it waits for a unit made after the snapshot */
    uint8_t *can;             /* per unit: it may still act (live, not blocked for good, or released by
                                 one that may) */
} graph;

/* An edge to unit `to`. Units are made while the graph is built (tasks, and on own_loop=process
 * in other processes), so a wait may name one past the graph's units. Such an edge is left out
 * (the search would read its unset edge range), and the waiting unit counts as one that may
 * still act: the new unit is not blocked for good at this pass, and the next pass has it. */
static void edge(graph *g, uint32_t to) {
    if (to < g->n) ARR_PUSH(g->to, g->nto, g->cap_to, to);
    else g->newer[g->cur] = 1;
}

static bool live(const rt_unit *u) { return atomic_load(&u->state) != US_DONE; }

/* Adds the edges of unit i. */
static void edges_of(const wd *w, graph *g, uint32_t i) {
    rt *r = w->r;
    rt_unit *u = &r->units[i];
    if (atomic_load(&u->state) != US_BLOCKED || atomic_load(&u->wait_deadline)) return;
    uint32_t wo = atomic_load(&u->wait_obj);
    int op = atomic_load(&u->wait_op);
    if (op == TRC_OP_JOIN && !wo) {
        uint64_t c = atomic_load(&u->wait_arg);
        if (c < r->nunits && live(&r->units[c])) edge(g, (uint32_t)c);
        return;
    }
    if (!wo) return;
    rt_obj *o = &r->objs[wo - 1];
    if ((op == TRC_OP_RECV || op == TRC_OP_SEND || op == TRC_OP_POLL) && o->decl->kind == SIM_OBJ_PIPE) {
        /* a receiver waits for every process that could still write (or close), itself too */
        if (!r->procs) return;
        uint32_t who[64];
        uint32_t n = pipe_holders(r, wo - 1, op == TRC_OP_SEND ? TRC_PIPE_READ : TRC_PIPE_WRITE, who, 64);
        if (n > 64) return;   /* too many to say for sure */
        for (uint32_t k = 0; k < n; k++)
            if (who[k] < r->nunits) edge(g, who[k]);
        g->any[i] = 1;   /* any holder may write (or close) */
        return;
    }
    if (op == TRC_OP_REPLY) {
        if (o->decl->manager) edge(g, r->objs[o->decl->manager - 1].server);
        return;
    }
    switch (o->decl->kind) {
    case SIM_OBJ_POOL: {
        if (op != TRC_OP_RESULT) return;
        wd_lock(w, r->fmon);
        rt_fut *f = atomic_load(&u->wait_fut);
        if (f && f->state == FS_RUNNING) edge(g, f->worker);
        wd_unlock(w, r->fmon);
        return;
    }
    case SIM_OBJ_LOCK: case SIM_OBJ_RLOCK: {
        int64_t ow = atomic_load(&o->owner);
        if (ow >= 0) edge(g, (uint32_t)ow);
        return;
    }
    case SIM_OBJ_RWLOCK: {
        wd_lock(w, o->mon);
        int64_t ow = atomic_load(&o->owner);
        if (ow >= 0) {
            edge(g, (uint32_t)ow);
        } else if (op == TRC_OP_WRITE_LOCK) {
            for (size_t k = 0; k < o->nreaders; k++) edge(g, o->readers[k]);
        } else if (op == TRC_OP_READ_LOCK && o->decl->prefer == SIM_RW_WRITERS && o->writers_waiting) {
            uint32_t oi = wo - 1;
            for (uint32_t k = 0; k < r->nunits; k++) {
                rt_unit *v = &r->units[k];
                if (k != i && atomic_load(&v->state) == US_BLOCKED && atomic_load(&v->wait_obj) == oi + 1 &&
                    atomic_load(&v->wait_op) == TRC_OP_WRITE_LOCK)
                    edge(g, k);
            }
        }
        wd_unlock(w, o->mon);
        return;
    }
    default: return;
    }
}

static void graph_build(const wd *w, graph *g) {
    rt *r = w->r;
    uint32_t n = r->nunits;
    g->n = n;
    g->nto = 0;
    memset(g->any, 0, n);
    memset(g->newer, 0, n);
    for (uint32_t i = 0; i < n; i++) {
        g->first[i] = (uint32_t)g->nto;
        g->cur = i;
        edges_of(w, g, i);
    }
    g->first[n] = (uint32_t)g->nto;
    /* A wait on any one of several units (a recv while several processes hold the write end) is
     * not part of a deadlock while one of them may still act: a unit that is not blocked for good
     * (a unit that has ended but still holds an end: its process is still going), or one blocked
     * on a unit that may act. To a fixed point; then such waits lose their edges, and a cycle
     * through the others is a deadlock only once none of its alternatives can release it. */
    for (uint32_t i = 0; i < n; i++) {
        const rt_unit *u = &r->units[i];
        g->can[i] = atomic_load(&u->state) != US_BLOCKED || atomic_load(&u->wait_deadline) != 0 || g->newer[i];
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t i = 0; i < n; i++) {
            if (g->can[i] || !g->any[i]) continue;
            for (uint32_t e = g->first[i]; e < g->first[i + 1]; e++)
                if (g->can[g->to[e]]) { g->can[i] = 1; changed = true; break; }
        }
    }
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = g->first[i], e = g->first[i + 1];
        g->first[i] = (uint32_t)k;
        if (g->any[i] && g->can[i]) continue;
        for (uint32_t x = b; x < e; x++) g->to[k++] = g->to[x];
    }
    g->first[n] = (uint32_t)k;
    g->nto = k;
}

/* Finds a cycle (depth first); fills chain[] in wait-for order and returns its length, or 0. */
static uint32_t graph_cycle(graph *g, uint32_t n, uint32_t *chain) {
    memset(g->color, 0, n);
    for (uint32_t s = 0; s < n; s++) {
        if (g->color[s] || g->first[s] == g->first[s + 1]) continue;
        uint32_t depth = 0;
        g->path[0] = s;
        g->edge[0] = g->first[s];
        g->color[s] = 1;
        while (depth != UINT32_MAX) {
            uint32_t v = g->path[depth];
            if (g->edge[depth] == g->first[v + 1]) {   /* every edge followed */
                g->color[v] = 2;
                depth--;
                continue;
            }
            uint32_t t = g->to[g->edge[depth]++];
            if (g->color[t] == 1) {   /* back to the path: a cycle from t to v */
                uint32_t k = 0, from = 0;
                while (g->path[from] != t) from++;
                for (uint32_t d = from; d <= depth; d++) chain[k++] = g->path[d];
                return k;
            }
            if (g->color[t] == 0) {
                g->color[t] = 1;
                depth++;
                g->path[depth] = t;
                g->edge[depth] = g->first[t];
            }
        }
    }
    return 0;
}

/* ---- the watchdog's loop ---------------------------------------------------------- */

/* Every non-daemon actor is done: shut the pools down (their queued tasks still run),
 * as interpreter exit does; once only daemons are left, cut them off. */
static void exit_phase(const wd *w, uint32_t live_main, uint32_t live_nondaemon) {
    rt *r = w->r;
    if (!live_main && !r->exiting) {
        r->exiting = true;
        pool_shut_all(r, w->self);
        if (r->coro) async_cancel_rest(r, w->self);   /* as asyncio.run does with the tasks left */
    }
    if (r->exiting && !live_nondaemon && !r->killing) {
        r->killing = true;
        for (uint32_t i = 0; i < r->nunits; i++) {
            rt_unit *u = &r->units[i];
            int st = atomic_load(&u->state);
            if (st == US_DONE || st == US_NEW) continue;
            if (u->daemon) {
                atomic_store(&u->killed, 1);
                /* a daemon process is terminated (SIGTERM), as Python does at exit */
                if (r->procs && u->pkind == SIM_PU_PROCESS && r->ops->unit_signal(r->plat, u->pu, SIM_SIG_TERM)) continue;
                rt_halt(r, u, w->self);
            } else if (u->manager != UINT32_MAX) {
                rt_halt(r, u, w->self);   /* the managers shut down last, as at interpreter exit */
            }
        }
    }
}

/* A unit whose platform says it died without returning counts as exited. */
static void reap_dead(const wd *w) {
    rt *r = w->r;
    if (r->procs) return;   /* the platform reaps them and says so (proc_ended) */
    for (uint32_t i = 0; i < r->nunits; i++) {
        rt_unit *u = &r->units[i];
        int st = atomic_load(&u->state);
        if (st == US_DONE || st == US_NEW || r->ops->unit_alive(r->plat, u->pu)) continue;
        atomic_store(&u->died, 1);
        wd_lock(w, r->mon);
        rt_set_state(u, US_DONE);
        r->exits++;
        wd_unlock(w, r->mon);
    }
}

uint32_t watchdog_run(rt *r, uint64_t t0, char *report, size_t cap) {
    wd w = { .r = r, .self = r->ops->main_unit(r->plat), .t0 = t0 };
    uint64_t timeout = r->desc->timeout_ns ? r->desc->timeout_ns : 60ull * 1000000000ull;
    uint64_t stall = r->desc->stall_ns ? r->desc->stall_ns : 300ull * 1000000ull;
    uint64_t last_progress = UINT64_MAX, last_change = rt_now(r), seen_exits = 0;
    uint32_t cap_units = r->cap_units;   /* units made while running too */
    uint32_t *chain = xcalloc(cap_units + 1, sizeof *chain);
    graph g = { .first = xcalloc(cap_units + 1, sizeof *g.first), .color = xcalloc(cap_units + 1, 1),
                .path = xcalloc(cap_units + 1, sizeof *g.path), .edge = xcalloc(cap_units + 1, sizeof *g.edge),
                .any = xcalloc(cap_units + 1, 1), .can = xcalloc(cap_units + 1, 1),
                .newer = xcalloc(cap_units + 1, 1) };
    uint64_t cycle_sig = 0, cycle_seen_at = 0, last_graph = 0;
    uint32_t verdict = TRC_END_OK;
    for (;;) {
        /* until a unit exits, the platform is quiet (nothing can run but for main), or the next poll */
        wd_lock(&w, r->mon);
        uint64_t until = rt_now(r) + POLL_NS;
        bool timed = false, quiet = false;
        while (r->exits == seen_exits && !(quiet = r->ops->quiet && r->ops->quiet(r->plat)) &&
               !(timed = r->ops->mon_wait(r->plat, w.self, r->mon, RT_CH_EXIT, until))) {}
        seen_exits = r->exits;
        wd_unlock(&w, r->mon);
        /* an exit changes nothing the checks need at once while actors live and others still run:
         * a big run (thousands of tasks ending one by one) is looked at once per poll, not per
         * exit; a small one still at each exit: its stall clock then starts at the exit exactly */
        if (!timed && !quiet && r->nunits > 256 && seen_exits < atomic_load(&r->nstarted) &&
            atomic_load(&r->live_main) > 0 &&
            !rt_error_ready(r) && !(r->desc->interrupt && atomic_load(r->desc->interrupt)))
            continue;
        reap_dead(&w);
        uint64_t quiet0 = r->ops->quiet ? r->ops->quiet(r->plat) : 0;
        uint64_t now = rt_now(r);
        uint32_t nlive = 0, blocked = 0, live_main = 0, live_nondaemon = 0;
        for (uint32_t i = 0; i < r->nunits; i++) {
            rt_unit *ui = &r->units[i];
            int st = atomic_load(&ui->state);
            if (st == US_NEW) continue;   /* never started: cannot make progress */
            if (st != US_DONE) {
                nlive++;
                bool background = ui->daemon || ui->manager != UINT32_MAX;
                if (!background) live_nondaemon++;
                if (!background && ui->pool == UINT32_MAX && !(ui->created && r->coro)) live_main++;
            }
            /* blocked for good: a wait without a timeout */
            if (st == US_BLOCKED && !atomic_load(&ui->wait_deadline)) blocked++;
        }
        if (rt_error_ready(r)) { verdict = TRC_END_ERROR; snprintf(report, cap, "%s\n", r->error); break; }
        if (!nlive) break;
        /* the recording: a failed write stops the run at once; so does the event limit */
        diag rdg;
        int rs = r->rec ? trc_recorder_status(r->rec, &rdg) : 0;
        if (rs == -ERR_IO) {
            verdict = TRC_END_ERROR;
            snprintf(report, cap, "the recording could not be written (%s): the run was stopped at once; what was "
                     "written before is kept\n", rdg.msg);
            break;
        }
        if (rs == -ERR_LIMIT) {
            verdict = TRC_END_LIMIT;
            snprintf(report, cap, "%s: the run was stopped after %.3f s; the recording is kept\n", rdg.msg,
                     (double)(now - t0) / 1e9);
            break;
        }
        exit_phase(&w, live_main, live_nondaemon);
        if (r->desc->interrupt && atomic_load(r->desc->interrupt)) {
            verdict = TRC_END_INTERRUPTED;
            snprintf(report, cap, "interrupted after %.3f s\n", (double)(now - t0) / 1e9);
            break;
        }
        if (now - t0 > timeout) {
            verdict = TRC_END_TIMEOUT;
            snprintf(report, cap, "the run did not finish within %.1f s; %u unit(s) still live\n",
                     (double)timeout / 1e9, nlive);
            for (uint32_t i = 0; i < r->nunits; i++) describe_wait(&w, i, t0, report, cap);
            break;
        }
        /* quiet since before the states were read: they are exact, and nothing will change them */
        bool settled = quiet0 && r->ops->quiet(r->plat) == quiet0;
        uint64_t p = 0;   /* progress: the sum of every unit's own step count */
        for (uint32_t i = 0; i < r->nunits; i++) p += atomic_load_explicit(&r->units[i].steps, memory_order_relaxed);
        if (p != last_progress) { last_progress = p; last_change = now; }
        /* deadlock: a cycle, unchanged for CYCLE_CONFIRM_NS. The graph is looked at once per poll
         * (a burst of exits, thousands of tasks ending, does not rebuild it each time), and at once
         * when the platform is quiet */
        uint32_t clen = 0;
        bool look = settled || now - last_graph >= POLL_NS || !last_graph;
        if (look) {
            last_graph = now;
            graph_build(&w, &g);
            clen = graph_cycle(&g, g.n, chain);   /* the units it was built of: more may exist now */
        }
        if (clen) {
            uint64_t sig = 1469598103934665603ull;
            uint32_t lo = 0;
            for (uint32_t k = 1; k < clen; k++) if (chain[k] < chain[lo]) lo = k;
            for (uint32_t k = 0; k < clen; k++) {
                uint32_t ui = chain[(lo + k) % clen];
                sig = (sig ^ ui) * 1099511628211ull;
                sig = (sig ^ atomic_load(&r->units[ui].wait_since)) * 1099511628211ull;
            }
            if (sig != cycle_sig) { cycle_sig = sig; cycle_seen_at = now; }
            if (settled || now - cycle_seen_at >= CYCLE_CONFIRM_NS) {
                verdict = TRC_END_DEADLOCK;
                snprintf(report, cap, "deadlock: a cycle of %u unit(s) waiting for each other\n", clen);
                for (uint32_t k = 0; k < clen; k++) describe_wait(&w, chain[(lo + k) % clen], t0, report, cap);
                bool others = false;
                for (uint32_t i = 0; i < r->nunits; i++) {
                    bool in = false;
                    for (uint32_t k = 0; k < clen; k++) in |= chain[k] == i;
                    if (!in && atomic_load(&r->units[i].state) == US_BLOCKED) {
                        if (!others) rt_rep(report, cap, "also blocked:\n");
                        others = true;
                        describe_wait(&w, i, t0, report, cap);
                    }
                }
                break;
            }
        } else if (look) {
            cycle_sig = 0;
        }
        /* stall: every live unit blocked, nothing completed for `stall` (or nothing can run at all) */
        if (blocked == nlive && (settled || now - last_change >= stall)) {
            verdict = TRC_END_STUCK;
            if (settled)
                snprintf(report, cap, "stuck: all %u live unit(s) wait for something no unit will do (nothing is ready "
                                      "and no deadline is pending)\n", nlive);
            else
                snprintf(report, cap, "stuck: all %u live unit(s) blocked with no progress for %.0f ms\n", nlive,
                         (double)(now - last_change) / 1e6);
            for (uint32_t i = 0; i < r->nunits; i++) describe_wait(&w, i, t0, report, cap);
            break;
        }
    }
    free(chain);
    free(g.first);
    free(g.to);
    free(g.color);
    free(g.path);
    free(g.edge);
    free(g.any);
    free(g.can);
    free(g.newer);
    if (verdict == TRC_END_OK && rt_error_ready(r)) {   /* every unit has exited: any error is written */
        verdict = TRC_END_ERROR;
        snprintf(report, cap, "%s\n", r->error);
    }
    /* ends the run: stops the units still blocked, and lets the ones never started leave */
    rt_stop_all(r, w.self);
    return verdict;
}
