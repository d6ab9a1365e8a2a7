/* Managers (multiprocessing.Manager): a server, a unit of its own (a process
 * on processes, a thread on threads), holds the values of the counters and
 * vars `managed by` it in its own memory; every read and write of them is a
 * request and a reply over real pipes.
 *
 * Requests go into the manager's one request pipe (32 bytes each: below
 * PIPE_BUF, so writers never interleave); each client has one reply pipe (a
 * unit has at most one request out). The client records REQUEST, waits for
 * the reply (op REPLY: the watchdog knows it waits for the server), records
 * REPLY; the server records SERVE as it applies the request. A proxy's
 * `x += 1` is two requests (get, then set), so racing clients lose updates,
 * as Python's proxies do; `incr X` (atomic) is one request (the server
 * applies requests one at a time).
 *
 * The server ends with the run (after every non-daemon actor, as a manager
 * shuts down at interpreter exit) and leaves its final values where the
 * expectations read them.
 */
#include "sim/sim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REQ_MAGIC 0x4d475251u   /* "QRGM" */

typedef struct mgr_req { uint32_t magic, client, obj; uint16_t op, pad; int64_t value; uint64_t id; } mgr_req;
typedef struct mgr_rep { uint64_t id; int64_t value, old; uint64_t pad; } mgr_rep;
_Static_assert(sizeof(mgr_req) == 32 && sizeof(mgr_rep) == 32, "manager messages are 32 bytes");

int manager_init(rt *r) {
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind != SIM_OBJ_MANAGER) continue;   /* a pipe's descriptors are its own (obj_pipe_init) */
        o->rfd = o->wfd = -1;
        int fds[2];
        if (pipe2(fds, O_NONBLOCK) != 0) return -ERR_LIMIT;
        o->rfd = fds[0];
        o->wfd = fds[1];
    }
    for (uint32_t i = 0; i < r->nunits; i++) {
        rt_unit *u = &r->units[i];
        if (u->manager != UINT32_MAX) continue;
        int fds[2];
        if (pipe2(fds, O_NONBLOCK) != 0) return -ERR_LIMIT;
        u->reply_rfd = fds[0];
        u->reply_wfd = fds[1];
    }
    return 0;
}

void manager_free(rt *r) {
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind != SIM_OBJ_MANAGER) continue;
        if (o->rfd >= 0) close(o->rfd);
        if (o->wfd >= 0) close(o->wfd);
        o->rfd = o->wfd = -1;
    }
    for (uint32_t i = 0; i < r->nunits; i++) {
        rt_unit *u = &r->units[i];
        if (u->reply_rfd >= 0) close(u->reply_rfd);
        if (u->reply_wfd >= 0) close(u->reply_wfd);
        u->reply_rfd = u->reply_wfd = -1;
    }
}

/* Moves one 32-byte message through fd, waiting for it on m, the monitor of that pipe (the request
 * pipe's: its manager's; a reply pipe's: its client's). 0, or how the wait ended (TRC_OUT_ABORTED). */
static int move32(rt_unit *u, sim_mon *m, int fd, bool out, void *msg) {
    size_t done = 0;
    while (done < 32) {
        ssize_t k = out ? write(fd, (char *)msg + done, 32 - done) : read(fd, (char *)msg + done, 32 - done);
        if (k > 0) {
            done += (size_t)k;
            if (done == 32 && out && u->r->ops->cooperative) {   /* its reader waits on the channel there */
                rt_lock(u, m);
                rt_wake(u->r, m, 0, true);
                rt_unlock(u, m);
            }
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k == 0 || (k < 0 && errno != EAGAIN)) return TRC_OUT_ABORTED;   /* cannot happen: weft holds both ends */
        rt_lock(u, m);
        int sl = rt_fd_wait(u, m, 0, fd, out ? POLLOUT : POLLIN, 0);
        rt_unlock(u, m);
        if (sl != RT_AGAIN) return sl;
    }
    return 0;
}

int manager_request(rt_unit *u, uint32_t oi, int op, int64_t value, int64_t *out) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    rt_obj *m = &r->objs[o->decl->manager - 1];
    mgr_req q = { REQ_MAGIC, u->index, oi, (uint16_t)op, 0, value, ((uint64_t)u->index + 1) << 32 | ++u->next_req };
    trc_emit(u->ring, TRC_EV_REQUEST, o->id, (uint16_t)op, q.id, 0);
    rt_begin_wait(u, oi, TRC_OP_REPLY, 0, q.id);
    int rc = move32(u, m->mon, m->wfd, true, &q);
    mgr_rep p = { 0 };
    if (!rc) rc = move32(u, u->mon, u->reply_rfd, false, &p);
    rt_end_wait(u, oi, rc ? TRC_OUT_ABORTED : TRC_OUT_OK, 0);
    if (rc) return -1;
    trc_emit_sync(u->ring, TRC_EV_REPLY, o->id, (uint16_t)op, q.id, 0);
    *out = op == TRC_MGR_SET ? p.old : p.value;
    return 0;
}

/* Where a managed object's value is at the end: counters as ever, vars in `final`. */
static void store_final(rt_obj *o, int64_t v) {
    if (o->decl->kind == SIM_OBJ_COUNTER) atomic_store(&o->counter, v);
    o->final = v;
    atomic_store(&o->final_set, 1);
}

int manager_serve(rt_unit *u) {
    rt *r = u->r;
    uint32_t mi = u->manager;
    rt_obj *m = &r->objs[mi];
    uint32_t n = r->prog->nobjects;
    /* the server runs no scenario code: it keeps none of the scenario's pipe ends (else a recv
     * elsewhere would never see its end of file while the manager lives) */
    if (r->procs && u->pkind == SIM_PU_PROCESS) pipes_close_all(r, u->index, u->pu, NULL, NULL);
    int64_t *vals = xcalloc(n + 1, sizeof *vals);   /* the server's own memory */
    for (uint32_t i = 0; i < n; i++)
        if (r->objs[i].decl->manager == mi + 1) vals[i] = r->objs[i].decl->cap_value;
    int rc = 0;
    for (;;) {
        mgr_req q;
        size_t done = 0;
        bool waited = false;
        int out = 0;
        while (done < sizeof q) {
            ssize_t k = read(m->rfd, (char *)&q + done, sizeof q - done);
            if (k > 0) { done += (size_t)k; continue; }
            if (k < 0 && errno == EINTR) continue;
            if (k == 0 || errno != EAGAIN) { out = TRC_OUT_ABORTED; break; }
            if (!done && !waited) {
                waited = true;
                rt_begin_wait(u, mi, TRC_OP_RECV, 0, 0);   /* waiting for requests */
            }
            rt_lock(u, m->mon);
            int sl = rt_fd_wait(u, m->mon, 0, m->rfd, POLLIN, 0);
            rt_unlock(u, m->mon);
            if (sl != RT_AGAIN) { out = sl; break; }
        }
        if (waited) rt_end_wait(u, mi, out ? TRC_OUT_ABORTED : TRC_OUT_OK, 0);
        if (out) break;
        if (q.magic != REQ_MAGIC || q.obj >= n || q.client >= r->nunits || r->objs[q.obj].decl->manager != mi + 1)
            BUG("manager '%s': a malformed request", m->decl->name);
        rt_obj *o = &r->objs[q.obj];
        trc_emit_sync(u->ring, TRC_EV_SERVE, o->id, q.op, q.id, q.client);
        mgr_rep p = { .id = q.id, .old = vals[q.obj] };
        if (q.op == TRC_MGR_SET) vals[q.obj] = q.value;
        else if (q.op == TRC_MGR_ADD && __builtin_add_overflow(vals[q.obj], q.value, &vals[q.obj])) vals[q.obj] = p.old;
        p.value = vals[q.obj];
        if (move32(u, r->units[q.client].mon, r->units[q.client].reply_wfd, true, &p)) break;
        atomic_store_explicit(&u->steps, atomic_load_explicit(&u->steps, memory_order_relaxed) + 1, memory_order_relaxed);
    }
    for (uint32_t i = 0; i < n; i++)
        if (r->objs[i].decl->manager == mi + 1) store_final(&r->objs[i], vals[i]);
    free(vals);
    return rt_halted(u) ? XR_OK : rc;   /* a manager ends with the run: that is its normal end */
}
