/* Pipes: a real pipe(2) (multiprocessing.Pipe(duplex=False) on processes,
 * os.pipe between threads), with send, recv, poll and close.
 *
 * A message is a 16-byte header (a magic word, its size, its id) and that
 * many bytes, written and read for real through the kernel: a full pipe
 * blocks its sender, an empty one its receiver, and the end of file comes
 * only when every copy of the write end is closed, in every process. Both
 * descriptors are non-blocking; a unit waits for them with rt_fd_wait, so
 * the end of the run reaches it. One sender and one receiver at a time (the
 * monitor's turn): a message is never cut by another.
 *
 * Who holds which end: o->holds, per process (a unit's process, or main),
 * as fork hands descriptors down: a unit's process starts with the ends of
 * the process that launched it; main closes its own copies once the units
 * that start with the run are launched (it runs no scenario code); a
 * process's ends go with it. On threads there is one process: every unit
 * shares its ends, and a close closes them for all. The watchdog reads it: a
 * receiver waits for every process that could still write.
 */
#include "sim/sim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MSG_MAGIC 0x57454654u   /* "WEFT" */
#define MSG_DEFAULT_BYTES 64    /* a small pickled object */

typedef struct msg_head { uint32_t magic, bytes; uint64_t id; } msg_head;

/* The process whose descriptor table unit u uses: a unit index, or r->nunits (main). */
static uint32_t my_proc(const rt_unit *u) {
    const rt *r = u->r;
    if (!r->procs) return r->nunits;
    if (u->pkind == SIM_PU_PROCESS) return u->index;
    return u->host == UINT32_MAX ? r->nunits : u->host;
}

int obj_pipe_init(rt *r, rt_obj *o) {
    int fds[2];
    o->rfd = o->wfd = -1;
    o->sender = o->receiver = -1;
    o->holds = rt_alloc(r, r->nunits + 1);
    if (!o->holds) return -ERR_NOMEM;
    if (pipe2(fds, O_NONBLOCK) != 0) return -ERR_LIMIT;   /* inherited by every process: no O_CLOEXEC */
    o->rfd = fds[0];
    o->wfd = fds[1];
    o->holds[r->nunits] = TRC_PIPE_BOTH;   /* main has both ends, and hands them down */
    return 0;
}

void obj_pipe_free(rt *r, rt_obj *o) {
    if (o->holds && o->holds[r->nunits] & TRC_PIPE_READ) close(o->rfd);
    if (o->holds && o->holds[r->nunits] & TRC_PIPE_WRITE) close(o->wfd);
    if (o->holds) o->holds[r->nunits] = 0;
    rt_release(r, o->holds, r->nunits + 1);
    o->holds = NULL;
}

void pipes_inherit(rt *r, uint32_t child, uint32_t launcher) {
    sim_punit *self = r->ops->main_unit(r->plat);
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind != SIM_OBJ_PIPE) continue;
        r->ops->mon_lock(r->plat, self, o->mon);
        o->holds[child] = o->holds[launcher];
        r->ops->mon_unlock(r->plat, self, o->mon);
    }
}

void pipes_close_all(rt *r, uint32_t proc, sim_punit *self, const bool *keep_read, const bool *keep_write) {
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind != SIM_OBJ_PIPE) continue;
        r->ops->mon_lock(r->plat, self, o->mon);
        uint8_t h = o->holds[proc];
        if ((h & TRC_PIPE_READ) && !(keep_read && keep_read[i])) { close(o->rfd); h &= (uint8_t)~TRC_PIPE_READ; }
        if ((h & TRC_PIPE_WRITE) && !(keep_write && keep_write[i])) { close(o->wfd); h &= (uint8_t)~TRC_PIPE_WRITE; }
        o->holds[proc] = h;
        if (r->ops->cooperative) r->ops->mon_wake(r->plat, o->mon, SIM_MON_EVERY, true);
        r->ops->mon_unlock(r->plat, self, o->mon);
    }
}

void pipes_process_gone(rt *r, uint32_t proc, sim_punit *by) {
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind != SIM_OBJ_PIPE) continue;
        r->ops->mon_lock(r->plat, by, o->mon);
        o->holds[proc] = 0;   /* the kernel closed them */
        r->ops->mon_unlock(r->plat, by, o->mon);
    }
}

uint32_t pipe_holders(rt *r, uint32_t oi, unsigned end, uint32_t *out, uint32_t cap) {
    rt_obj *o = &r->objs[oi];
    sim_punit *self = r->ops->main_unit(r->plat);
    uint32_t n = 0;
    r->ops->mon_lock(r->plat, self, o->mon);
    for (uint32_t p = 0; p <= r->nunits; p++) {
        if (!(o->holds[p] & end)) continue;   /* a process's ends are taken off when it ends */
        if (n < cap) out[n] = p;
        n++;
    }
    r->ops->mon_unlock(r->plat, self, o->mon);
    return n;
}

/* The turn (sender or receiver) on pipe o for unit u: waits while another unit has it. Monitor held.
 * 0, or how the wait ended. */
static int take_turn(rt_unit *u, uint32_t oi, int64_t *turn, int op, uint64_t deadline, bool *waited) {
    rt_obj *o = &u->r->objs[oi];
    int out = TRC_OUT_OK;
    if (*turn >= 0) {
        *waited = true;
        rt_begin_wait(u, oi, op, deadline, 0);
        RT_WAIT_UNTIL(u, o->mon, P_CH_TURN, *turn < 0, deadline, out);
    }
    if (out == TRC_OUT_OK) *turn = u->index;
    return out;
}

static void give_turn(rt_unit *u, rt_obj *o, int64_t *turn) {
    rt_lock(u, o->mon);
    *turn = -1;
    rt_wake(u->r, o->mon, P_CH_TURN, false);
    if (u->r->ops->cooperative) rt_wake(u->r, o->mon, SIM_MON_EVERY, true);   /* its waits are on channels */
    rt_unlock(u, o->mon);
}

static void pipe_error(rt_unit *u, const sim_stmt *s, uint32_t oi, const char *what) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s pipe '%s' %s", s->kind == SIM_S_SEND ? "send on" : s->kind == SIM_S_RECV ? "recv on"
             : "poll of", u->r->objs[oi].decl->name, what);
    trc_emit(u->ring, TRC_EV_ERROR, u->r->objs[oi].id, 0, 0, 0);
    rt_error(u, s, msg);
}

/* Moves n bytes through fd (write when `out`, else read), waiting for it as the pipe's op. Returns 0
 * (done), 1 (end of file while reading, or a broken pipe while writing: `*moved` says how far), or a
 * wait's outcome (TRC_OUT_TIMEOUT, TRC_OUT_ABORTED). The deadline counts only before the first byte. */
static int move_bytes(rt_unit *u, uint32_t oi, bool out, void *data, size_t n, size_t *moved, uint64_t deadline,
                      bool *waited, int op) {
    rt_obj *o = &u->r->objs[oi];
    char *b = data;
    static const char zeros[16384];
    char sink[16384];
    while (*moved < n) {
        size_t chunk = n - *moved;
        ssize_t k;
        if (out) {
            const char *src = b ? b + *moved : zeros;
            if (!b && chunk > sizeof zeros) chunk = sizeof zeros;
            k = write(o->wfd, src, chunk);
        } else {
            char *dst = b ? b + *moved : sink;
            if (!b && chunk > sizeof sink) chunk = sizeof sink;
            k = read(o->rfd, dst, chunk);
        }
        if (k > 0) {
            *moved += (size_t)k;
            /* bytes moving are progress, for the watchdog: a long message between a sender and a
             * receiver that both wait for room and data is not a stall */
            if (*waited)
                atomic_store_explicit(&u->steps, atomic_load_explicit(&u->steps, memory_order_relaxed) + 1,
                                      memory_order_relaxed);
            continue;
        }
        if (k == 0 && !out) return 1;                    /* end of file */
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EPIPE) return 1;           /* every read end is closed */
        if (k < 0 && errno != EAGAIN) return 1;
        /* nothing moves now: wait for the descriptor (the deadline only before the first byte) */
        rt_lock(u, o->mon);
        if (!*waited) {
            *waited = true;
            rt_begin_wait(u, oi, op, *moved ? 0 : deadline, 0);
        }
        int sl = rt_fd_wait(u, o->mon, out ? P_CH_ROOM : P_CH_DATA, out ? o->wfd : o->rfd, out ? POLLOUT : POLLIN,
                            *moved ? 0 : deadline);
        rt_unlock(u, o->mon);
        if (sl != RT_AGAIN) return sl;
    }
    return 0;
}

int obj_send(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    int64_t bytes = MSG_DEFAULT_BYTES;
    if (s->expr && rt_ev(u, s->expr, &bytes)) return -1;
    if (bytes < 0 || bytes > SIM_MAX_MESSAGE) {
        rt_error(u, s, bytes < 0 ? "a message of a negative size" : "a message larger than weft's limit (64 MiB)");
        return -1;
    }
    uint32_t me = my_proc(u);
    bool waited = false;
    rt_lock(u, o->mon);
    if (!(o->holds[me] & TRC_PIPE_WRITE)) {
        rt_unlock(u, o->mon);
        pipe_error(u, s, oi, "after its process closed the write end (OSError: handle is closed)");
        return -1;
    }
    int out = take_turn(u, oi, &o->sender, TRC_OP_SEND, deadline, &waited);
    uint64_t id = out == TRC_OUT_OK ? ++o->next_msg : 0;
    rt_unlock(u, o->mon);
    int rc = out;
    size_t moved = 0;
    if (out == TRC_OUT_OK) {
        msg_head h = { MSG_MAGIC, (uint32_t)bytes, id };
        /* recorded once the message has started (its header is in the pipe), before its body: the
         * receiver cannot have it all, and say so, before this is recorded. An empty message is
         * recorded before its header: nothing can stop it then but a broken pipe. */
        if (!bytes) trc_emit(u->ring, TRC_EV_SEND, o->id, 0, id, 0);
        rc = move_bytes(u, oi, true, &h, sizeof h, &moved, bytes ? deadline : 0, &waited, TRC_OP_SEND);
        if (rc == 0 && bytes) trc_emit(u->ring, TRC_EV_SEND, o->id, 0, id, (uint32_t)bytes);
        if (rc == 0) {
            moved = 0;
            rc = move_bytes(u, oi, true, NULL, (size_t)bytes, &moved, 0, &waited, TRC_OP_SEND);
        }
        give_turn(u, o, &o->sender);
    }
    if (waited) rt_end_wait(u, oi, rc == 1 ? TRC_OUT_OK : rc, 0);
    if (rc == TRC_OUT_ABORTED) return -1;
    if (rc == 1) {
        /* BrokenPipeError: no process has the read end open */
        trc_emit(u->ring, TRC_EV_ERROR, o->id, 0,
                 rt_intern(r, u->pu, "send into a pipe whose read end is closed in every process (BrokenPipeError)"), 0);
        u->timed_out = true;
        return 0;
    }
    u->timed_out = rc == TRC_OUT_TIMEOUT;   /* the message never started: it was not sent */
    return 0;
}

int obj_recv(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    uint32_t me = my_proc(u);
    bool waited = false;
    rt_lock(u, o->mon);
    if (!(o->holds[me] & TRC_PIPE_READ)) {
        rt_unlock(u, o->mon);
        pipe_error(u, s, oi, "after its process closed the read end (OSError: handle is closed)");
        return -1;
    }
    int out = take_turn(u, oi, &o->receiver, TRC_OP_RECV, deadline, &waited);
    rt_unlock(u, o->mon);
    msg_head h = { 0 };
    size_t moved = 0;
    int rc = out;
    if (out == TRC_OUT_OK) {
        rc = move_bytes(u, oi, false, &h, sizeof h, &moved, deadline, &waited, TRC_OP_RECV);
        if (rc == 0 && h.magic != MSG_MAGIC) {
            give_turn(u, o, &o->receiver);
            if (waited) rt_end_wait(u, oi, TRC_OUT_OK, 0);
            pipe_error(u, s, oi, "read bytes that are not a message (the pipe was written by someone else?)");
            return -1;
        }
        if (rc == 0) {
            moved = 0;
            rc = move_bytes(u, oi, false, NULL, h.bytes, &moved, 0, &waited, TRC_OP_RECV);
        }
        give_turn(u, o, &o->receiver);
    }
    if (waited) rt_end_wait(u, oi, rc == 1 ? TRC_OUT_OK : rc, 0);
    if (rc == TRC_OUT_ABORTED) return -1;
    if (rc == 1) {
        /* EOFError: every write end is closed and the pipe is empty */
        trc_emit_sync(u->ring, TRC_EV_RECV, o->id, 1, 0, 0);
        u->timed_out = true;
        return 0;
    }
    u->timed_out = rc == TRC_OUT_TIMEOUT;
    if (rc == 0) trc_emit_sync(u->ring, TRC_EV_RECV, o->id, 0, h.id, h.bytes);
    return 0;
}

int obj_poll(rt_unit *u, const sim_stmt *s, uint32_t oi, uint64_t deadline) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    uint32_t me = my_proc(u);
    rt_lock(u, o->mon);
    if (!(o->holds[me] & TRC_PIPE_READ)) {
        rt_unlock(u, o->mon);
        pipe_error(u, s, oi, "after its process closed the read end (OSError: handle is closed)");
        return -1;
    }
    int out = TRC_OUT_OK;
    bool waited = false;
    for (;;) {
        struct pollfd pf = { .fd = o->rfd, .events = POLLIN };
        if (poll(&pf, 1, 0) > 0) break;   /* data, or the end of file */
        if (!deadline) { out = TRC_OUT_TIMEOUT; break; }
        if (!waited) {
            waited = true;
            rt_begin_wait(u, oi, TRC_OP_POLL, deadline, 0);
        }
        int sl = rt_fd_wait(u, o->mon, P_CH_DATA, o->rfd, POLLIN, deadline);
        if (sl != RT_AGAIN) { out = sl; break; }
    }
    if (waited) rt_end_wait(u, oi, out, 0);
    rt_unlock(u, o->mon);
    if (out == TRC_OUT_ABORTED) return -1;
    trc_emit_sync(u->ring, TRC_EV_POLL, o->id, out == TRC_OUT_OK ? 1 : 0, 0, 0);
    u->timed_out = out != TRC_OUT_OK;
    return 0;
}

int obj_close(rt_unit *u, const sim_stmt *s, uint32_t oi) {
    rt *r = u->r;
    rt_obj *o = &r->objs[oi];
    uint32_t me = my_proc(u);
    rt_lock(u, o->mon);
    uint8_t h = o->holds[me], end = (uint8_t)s->end;
    /* closing an end twice does nothing, as Connection.close() */
    if ((h & end & TRC_PIPE_READ)) close(o->rfd);
    if ((h & end & TRC_PIPE_WRITE)) close(o->wfd);
    o->holds[me] = h & (uint8_t)~end;
    if (r->ops->cooperative) rt_wake(r, o->mon, SIM_MON_EVERY, true);
    rt_unlock(u, o->mon);
    trc_emit(u->ring, TRC_EV_PIPE_CLOSE, o->id, (uint16_t)s->end, 0, 0);
    return 0;
}
