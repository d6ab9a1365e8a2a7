/* Hover: the tooltip for what is under the mouse; rdr_describe says what a
 * row is at a time (the details panel starts from it too). */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ hover

void rdr_tip_add(rdr_tip *t, const char *fmt, ...) {
    if (t->n >= RDR_TIP_LINES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->line[t->n++], sizeof t->line[0], fmt, ap);
    va_end(ap);
}

void rdr_span_times(char *out, size_t cap, double t0, double t1) {
    char a[32], b[32], d[32];
    rdr_fmt_dur(a, sizeof a, t0);
    rdr_fmt_dur(b, sizeof b, t1);
    rdr_fmt_dur(d, sizeof d, t1 - t0);
    snprintf(out, cap, "%s \xe2\x86\x92 %s  (%s)", a, b, d);
}

/* The instant (kind, obj, arg) at exactly t, aux == want_aux unless want_aux < 0; NULL if none. */
static const trc_instant *rdr_instant_at(const trc_model *m, uint64_t t, uint16_t kind, uint32_t obj, uint64_t arg,
                                         int want_aux, bool skip_timeouts) {
    size_t a = 0, b = m->ninstants;
    while (a < b) { size_t mid = a + (b - a) / 2; if (m->instants[mid].t < t) a = mid + 1; else b = mid; }
    for (size_t i = a, n = 0; i < m->ninstants && m->instants[i].t == t && n < 256; i++, n++) {
        const trc_instant *in = &m->instants[i];
        if (in->kind != kind || in->obj != obj || in->arg != arg) continue;
        if (want_aux >= 0 && in->aux != want_aux) continue;
        if (skip_timeouts && in->aux == TRC_OUT_TIMEOUT) continue;
        return in;
    }
    return NULL;
}

static const char *rdr_fut_state_word(const trc_future *f, uint64_t t) {
    switch (trc_future_state_at(f, t)) {
    case TRC_FUT_PENDING: return "still queued";
    case TRC_FUT_RUNNING: return "running";
    case TRC_FUT_FINISHED: return "done";
    case TRC_FUT_CANCELLED: return "cancelled";
    default: return "not submitted";
    }
}

/* One line about a point event: "submitted future #3 to pool p". */
static void rdr_instant_text(rdr_ctx *cx, uint32_t run, const trc_instant *in, char *out, size_t cap) {
    const trc_model *m = &cx->v->models[run];
    const trc_run *r = m->run;
    const char *pool = rdr_obj_name(r, in->obj);
    unsigned long long id = (unsigned long long)in->arg;
    const trc_future *f = in->obj ? rdr_future_find(rdr_lod_of(cx->v, run), in->obj, in->arg) : NULL;
    switch (in->kind) {
    case TRC_EV_SPAWN: snprintf(out, cap, "spawned %s", rdr_unit_name(r, (uint32_t)in->arg)); break;
    case TRC_EV_JOINED: snprintf(out, cap, "joined %s", rdr_unit_name(r, (uint32_t)in->arg)); break;
    case TRC_EV_SUBMIT: snprintf(out, cap, "submitted future #%llu to pool %s", id, pool); break;
    case TRC_EV_RESULT:
        if (in->aux == TRC_OUT_TIMEOUT)
            snprintf(out, cap, "result of future #%llu timed out (it was %s)", id, f ? rdr_fut_state_word(f, in->t) : "?");
        else snprintf(out, cap, "result of future #%llu: %s", id, trc_outcome_name(in->aux));
        break;
    case TRC_EV_CANCEL:
        if (in->aux == 1) snprintf(out, cap, "cancelled future #%llu (it was still queued)", id);
        else snprintf(out, cap, "cancel of future #%llu failed: it was %s", id, f ? rdr_fut_state_word(f, in->t) : "not queued");
        break;
    case TRC_EV_CALLBACK: snprintf(out, cap, "ran the done-callback of future #%llu", id); break;
    case TRC_EV_LOCAL_SET: snprintf(out, cap, "thread-local %s", in->text ? in->text : "?"); break;
    case TRC_EV_PROC_EXIT: {
        const char *sn = trc_signal_name((int)in->arg);
        if (in->aux == TRC_PROC_SIGNALED) snprintf(out, cap, "its process was killed by %s", sn ? sn : "a signal");
        else snprintf(out, cap, "its process exited with code %llu", (unsigned long long)in->arg);
        break;
    }
    case TRC_EV_SIGNAL: {
        const char *sn = trc_signal_name((int)in->aux);
        snprintf(out, cap, "sent %s to %s", sn ? sn : "a signal", rdr_unit_name(r, (uint32_t)in->arg));
        break;
    }
    case TRC_EV_SEND:
        snprintf(out, cap, "sent message #%llu (%u bytes) into pipe %s", (unsigned long long)in->arg, in->extra,
                 rdr_obj_name(r, in->obj));
        break;
    case TRC_EV_RECV:
        if (in->aux) snprintf(out, cap, "recv on pipe %s: end of file (every write end closed)", rdr_obj_name(r, in->obj));
        else snprintf(out, cap, "received message #%llu (%u bytes) from pipe %s", (unsigned long long)in->arg, in->extra,
                      rdr_obj_name(r, in->obj));
        break;
    case TRC_EV_PIPE_CLOSE:
        snprintf(out, cap, "closed the %s of pipe %s in its process", in->aux == TRC_PIPE_READ ? "read end"
                 : in->aux == TRC_PIPE_WRITE ? "write end" : "both ends", rdr_obj_name(r, in->obj));
        break;
    case TRC_EV_SHM_WRITE:
        snprintf(out, cap, "wrote %u bytes at %llu of %s", in->extra, (unsigned long long)in->arg, rdr_obj_name(r, in->obj));
        break;
    case TRC_EV_SHM_READ:
        snprintf(out, cap, "read %u bytes at %llu of %s%s", in->extra, (unsigned long long)in->arg, rdr_obj_name(r, in->obj),
                 in->aux ? ": TORN (parts of two writes)" : "");
        break;
    case TRC_EV_SHM_UNLINK: snprintf(out, cap, "unlinked %s", rdr_obj_name(r, in->obj)); break;
    case TRC_EV_VAR_SET:
        snprintf(out, cap, "%s = %lld (in this unit's process)", rdr_obj_name(r, in->obj), (long long)(int64_t)in->arg);
        break;
    case TRC_EV_SERVE:
        snprintf(out, cap, "served a request on %s for %s", rdr_obj_name(r, in->obj), rdr_unit_name(r, in->extra));
        break;
    case TRC_EV_RAISE: snprintf(out, cap, "raised: %s", in->text ? in->text : "?"); break;
    case TRC_EV_CAUGHT: snprintf(out, cap, "caught: %s", in->text ? in->text : "?"); break;
    case TRC_EV_RELEASE:
        snprintf(out, cap, "released lock %s, held by %s: a plain lock has no owner", pool,
                 in->extra ? rdr_unit_name(r, in->extra - 1) : "?");
        break;
    case TRC_EV_BARRIER_BROKEN:
        snprintf(out, cap, in->aux == 2 ? "reset barrier %s (%u waiting got BrokenBarrierError)"
                           : in->aux == 1 ? "aborted barrier %s (%u waiting got BrokenBarrierError)"
                                          : "barrier %s broken by a timeout (%u waiting got BrokenBarrierError)",
                 pool, in->extra);
        break;
    case TRC_EV_ITEM_VALUE:
        snprintf(out, cap, in->aux ? "got item #%u from queue %s: value %lld" : "put item #%u into queue %s: value %lld",
                 in->extra, pool, (long long)(int64_t)in->arg);
        break;
    default: snprintf(out, cap, "%s", trc_ev_name(in->kind)); break;
    }
}

/* The drawn point event of unit u nearest to screen x (within 5 px), or NULL. */
static const trc_instant *rdr_instant_near(rdr_ctx *cx, uint32_t run, uint32_t u, int mx) {
    const rdr_view *v = cx->v;
    const trc_model *m = &v->models[run];
    double t = rdr_view_t_at(v, mx), lo = t - 5 * cx->npp, hi = fmin(t + 5 * cx->npp, cx->reveal);
    size_t a = 0, b = m->ninstants;
    while (a < b) { size_t mid = a + (b - a) / 2; if ((double)m->instants[mid].t < lo) a = mid + 1; else b = mid; }
    const trc_instant *best = NULL;
    double bd = 1e300;
    for (size_t i = a, n = 0; i < m->ninstants && (double)m->instants[i].t <= hi && n < 512; i++, n++) {
        const trc_instant *in = &m->instants[i];
        if (in->unit != u || !rdr_instant_drawn(in->kind)) continue;
        double d = fabs((double)in->t - t);
        if (d < bd) { bd = d; best = in; }
    }
    return best;
}

static void rdr_hover_unit(rdr_ctx *cx, const rdr_row *row, double t, bool in_plot, rdr_tip *tip) {
    const rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_unit *un = &m->run->units[row->id];
    const trc_unit_track *ut = &m->units[row->id];
    rdr_tip_add(tip, "%s  (%s)", un->name ? un->name : "?", trc_unit_kind_name(un->kind));
    char s[128];
    if (!in_plot) {   /* the names column: totals */
        double life = (double)(ut->t_exit > ut->t_start ? ut->t_exit - ut->t_start : 1);
        char pc[256];
        size_t n = 0;
        for (unsigned k = 0; k < TRC_ST__COUNT && n < sizeof pc; k++) {   /* every state it spent time in */
            if (k == TRC_ST_DONE || !ut->t_state[k]) continue;
            n += (size_t)snprintf(pc + n, sizeof pc - n, "%s%s %.0f%%", n ? "  " : "", trc_state_name(k),
                                  100.0 * (double)ut->t_state[k] / life);
        }
        rdr_tip_add(tip, "%s", n ? pc : "no time in any state");
        rdr_tip_add(tip, "%u waits, %u marks%s", ut->waits, ut->marks, ut->aborted ? ", aborted" : ut->exited ? "" : ", never exited");
        return;
    }
    if (t > cx->reveal && !v->ghost) {
        rdr_tip_add(tip, "not reached yet (after the playhead)");
        return;
    }
    if (ut->killed && (double)ut->t_killed <= cx->reveal && fabs(rdr_view_x_of(v, (double)ut->t_killed) - v->mouse_x) <= 6) {
        rdr_fmt_dur(s, sizeof s, (double)ut->t_killed);
        rdr_tip_add(tip, "daemon: killed at %s, cut off when the run ended", s);
    }
    const trc_instant *in = rdr_instant_near(cx, row->run, row->id, v->mouse_x);
    if (in) {
        char what[160], at[32];
        rdr_instant_text(cx, row->run, in, what, sizeof what);
        rdr_fmt_dur(at, sizeof at, (double)in->t);
        rdr_tip_add(tip, "%s at %s", what, at);
    }
    const trc_span *sp = trc_model_span_at(m, row->id, (uint64_t)fmax(t, 0));
    if (!sp) {
        if (ut->exited && t >= (double)ut->t_exit) rdr_tip_add(tip, "done");
        else rdr_tip_add(tip, "not started");
        return;
    }
    if (sp->state == TRC_ST_BLOCKED) {
        const char *on = rdr_obj_name(m->run, sp->obj);
        const char *kind = sp->obj && sp->obj <= m->run->nobjects ? trc_obj_kind_name(m->run->objects[sp->obj - 1].kind) : "";
        char what[160];
        const char *shortl;
        if (!sp->obj && (sp->op == TRC_OP_JOIN || sp->op == TRC_OP_RESULT)) {
            rdr_blocked_text(m, sp, what, sizeof what, &shortl);
            rdr_tip_add(tip, "blocked in %s", what);
        } else if (sp->op == TRC_OP_RESULT) {
            rdr_tip_add(tip, "blocked in result of future #%llu of pool %s", (unsigned long long)sp->target, on);
        } else if (sp->op == TRC_OP_LOCK || sp->op == TRC_OP_NONE) {
            rdr_tip_add(tip, "blocked on %s %s", kind, on);
        } else {
            rdr_tip_add(tip, "blocked in %s on %s %s", trc_op_name(sp->op), kind, on);
        }
    } else if (sp->state == TRC_ST_IDLE && sp->op == TRC_OP_SELECT) {
        rdr_tip_add(tip, "idle: the loop has nothing to run, it waits for a deadline, a wake or a descriptor");
    } else if (sp->state == TRC_ST_IDLE) {
        rdr_tip_add(tip, "idle: waiting for a task from pool %s", rdr_obj_name(m->run, sp->obj));
    } else if (sp->state == TRC_ST_READY) {
        rdr_tip_add(tip, "ready: it can run, and waits for %s (running another task, or blocked by one)",
                    sp->target < m->run->nunits ? m->run->units[sp->target].name : "its loop");
    } else if ((sp->state == TRC_ST_COMPUTE || sp->state == TRC_ST_SLEEP) && sp->target && sp->target <= m->run->nunits) {
        rdr_tip_add(tip, "blocked by task %s, %s on the loop's thread: no other task runs", m->run->units[sp->target - 1].name,
                    sp->state == TRC_ST_COMPUTE ? "computing" : "sleeping (time.sleep)");
    } else if (sp->state == TRC_ST_GIL_WAIT) {
        const char *held = sp->target < m->run->nunits ? rdr_unit_name(m->run, (uint32_t)sp->target) : "?";
        rdr_tip_add(tip, "waiting for the GIL (ready to run; %s held it when it asked)", held);
    } else if (sp->state == TRC_ST_RUNNABLE) {
        rdr_tip_add(tip, "runnable: the kernel preempted it while %s; it waits for a CPU",
                    sp->op == TRC_ST_COMPUTE ? "computing" : "running");
    } else {
        rdr_tip_add(tip, "%s", trc_state_name(sp->state));
    }
    rdr_span_times(s, sizeof s, (double)sp->t0, (double)sp->t1);
    rdr_tip_add(tip, "%s", s);
    if (sp->state == TRC_ST_BLOCKED && sp->outcome != TRC_OUT_OK) rdr_tip_add(tip, "wait %s", trc_outcome_name(sp->outcome));
}

/* "future #3 of pool p", who submitted it, how long it queued and ran and where,
 * its callback and who took its result. */
static void rdr_hover_future(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_run *r = m->run;
    const char *pool = rdr_obj_name(r, row->id);
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
    if (p && row->lane == RDR_LANE_MORE) {
        rdr_tip_add(tip, "pool %s: %u lanes", pool, p->nlanes);
        rdr_tip_add(tip, "lanes %u to %u are not drawn one by one", RDR_MAX_FUTURE_LANES, p->nlanes);
        rdr_tip_add(tip, "the pool row counts every future running or queued");
        return;
    }
    if (!p || row->lane >= p->nlanes) return;
    if (t > cx->reveal && !v->ghost) {
        rdr_tip_add(tip, "pool %s, lane %u", pool, row->lane + 1);
        rdr_tip_add(tip, "not reached yet (after the playhead)");
        return;
    }
    const uint32_t *futs = p->futs + p->foff[row->lane];
    size_t n = p->foff[row->lane + 1] - p->foff[row->lane];
    uint64_t tt = (uint64_t)fmax(t, 0);
    size_t i = rdr_future_lower(m, futs, n, tt);
    const trc_future *f = i < n && m->futures[futs[i]].t_begin <= tt ? &m->futures[futs[i]] : NULL;
    if (!f && i < n && fabs(rdr_view_x_of(v, (double)m->futures[futs[i]].t_begin) - v->mouse_x) <= 4)
        f = &m->futures[futs[i]];   /* a bar narrower than a pixel */
    if (!f && i > 0 && fabs(rdr_view_x_of(v, (double)m->futures[futs[i - 1]].t_end) - v->mouse_x) <= 4)
        f = &m->futures[futs[i - 1]];
    char a[32], b[32], c[32];
    if (!f) {
        rdr_tip_add(tip, "pool %s, lane %u", pool, row->lane + 1);
        rdr_fmt_dur(a, sizeof a, (double)tt);
        rdr_tip_add(tip, "no future here at %s", a);
        return;
    }
    unsigned long long id = (unsigned long long)f->id;
    if (f->task) rdr_tip_add(tip, "future #%llu of pool %s: task '%s'", id, pool, f->task);
    else rdr_tip_add(tip, "future #%llu of pool %s", id, pool);
    if (f->t_submit != TRC_T_NONE) {
        rdr_fmt_dur(a, sizeof a, (double)f->t_submit);
        rdr_tip_add(tip, "submitted by %s at %s", rdr_unit_name(r, f->submitter), a);
    }
    uint64_t q0 = f->t_submit != TRC_T_NONE ? f->t_submit : f->t_begin;
    if (f->cancelled) {
        const trc_instant *ci = rdr_instant_at(m, f->t_cancel, TRC_EV_CANCEL, f->pool, f->id, 1, false);
        rdr_fmt_dur(a, sizeof a, (double)(f->t_cancel - (f->t_cancel > q0 ? q0 : f->t_cancel)));
        rdr_fmt_dur(b, sizeof b, (double)f->t_cancel);
        rdr_tip_add(tip, "queued %s, then cancelled by %s at %s: never ran", a, ci ? rdr_unit_name(r, ci->unit) : "?", b);
    } else if (f->t_start != TRC_T_NONE) {
        rdr_fmt_dur(a, sizeof a, (double)(f->t_start > q0 ? f->t_start - q0 : 0));
        if (f->t_done != TRC_T_NONE) {
            rdr_fmt_dur(b, sizeof b, (double)(f->t_done - f->t_start));
            rdr_tip_add(tip, "queued %s, ran on %s %s, finished %s", a, rdr_unit_name(r, f->worker), b,
                        trc_outcome_name(f->outcome));
        } else {
            rdr_tip_add(tip, "queued %s, ran on %s, still running when the run ended", a, rdr_unit_name(r, f->worker));
        }
    } else {
        rdr_tip_add(tip, "still queued when the run ended: never ran");
    }
    if (f->t_callback != TRC_T_NONE) {
        rdr_fmt_dur(a, sizeof a, (double)f->t_callback);
        rdr_tip_add(tip, "callback on %s at %s", rdr_unit_name(r, f->callback_unit), a);
    }
    if (f->t_result != TRC_T_NONE) {
        const trc_instant *ri = rdr_instant_at(m, f->t_result, TRC_EV_RESULT, f->pool, f->id, -1, true);
        rdr_fmt_dur(a, sizeof a, (double)f->t_result);
        if (f->results > 1) snprintf(c, sizeof c, " (%u times)", f->results);
        else c[0] = 0;
        rdr_tip_add(tip, "result taken by %s at %s%s", ri ? rdr_unit_name(r, ri->unit) : "?", a, c);
    } else {
        rdr_tip_add(tip, "result never taken");
    }
    if (f->result_timeouts)
        rdr_tip_add(tip, "%u result wait%s timed out before it finished (red ticks)", f->result_timeouts,
                    f->result_timeouts > 1 ? "s" : "");
    int k = rdr_future_key_at(f, tt);
    static const char *const kn[RDR_FK__COUNT] = { "queued", "running", "done", "cancelled", "failed" };
    rdr_fmt_dur(a, sizeof a, (double)tt);
    rdr_tip_add(tip, "at %s: %s", a, k >= 0 ? kn[k] : "not submitted yet");
}

static void rdr_hover_pool(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_object *ob = &m->run->objects[row->id - 1];
    const trc_object_track *ot = &m->objects[row->id - 1];
    const rdr_pool_lod *p = rdr_lod_pool(rdr_lod_of(v, row->run), row->id);
    rdr_tip_add(tip, "%s  (pool, %lld workers)", ob->name ? ob->name : "?", (long long)ob->capacity);
    uint64_t tt = (uint64_t)fmax(t, 0);
    char at[32];
    rdr_fmt_dur(at, sizeof at, (double)tt);
    if (p && (t <= cx->reveal || v->ghost)) {
        int64_t busy = trc_sample_at(p->busy, p->nbusy, tt), live = trc_sample_at(p->live, p->nlive, tt);
        rdr_tip_add(tip, "%lld running, %lld queued at %s", (long long)busy, (long long)(live - busy), at);
    } else {
        rdr_tip_add(tip, "not reached yet (after the playhead)");
    }
    rdr_tip_add(tip, "%u submitted: %u done ok, %u failed, %u cancelled", ot->submitted, ot->completed, ot->failed,
                ot->cancelled);
    if (ot->cancel_failed) rdr_tip_add(tip, "%u cancel%s came too late (already running or done)", ot->cancel_failed,
                                       ot->cancel_failed > 1 ? "s" : "");
    rdr_tip_add(tip, "%u callbacks, %u results taken", ot->callbacks, ot->results);
}

static void rdr_hover_obj(rdr_ctx *cx, const rdr_row *row, double t, rdr_tip *tip) {
    const rdr_view *v = cx->v;
    const trc_model *m = &v->models[row->run];
    const trc_object *ob = &m->run->objects[row->id - 1];
    const trc_object_track *ot = &m->objects[row->id - 1];
    const char *name = ob->name ? ob->name : "?";
    char s[128], at[32];
    uint64_t tt = (uint64_t)fmax(t, 0);
    rdr_fmt_dur(at, sizeof at, (double)tt);
    bool seen = t <= cx->reveal || v->ghost;
    if (row->kind == RDR_ROW_LEVEL) {
        if (rdr_has_capacity(ob))
            rdr_tip_add(tip, "%s  (%s, %s %lld)", name, trc_obj_kind_name(ob->kind),
                        ob->kind == TRC_OBJ_QUEUE ? "capacity" : ob->kind == TRC_OBJ_SEMAPHORE ? "permits" : "parties",
                        (long long)ob->capacity);
        else if (ob->kind == TRC_OBJ_QUEUE) rdr_tip_add(tip, "%s  (queue, unbounded)", name);
        else rdr_tip_add(tip, "%s  (%s)", name, trc_obj_kind_name(ob->kind));
        if (seen) {
            size_t n;
            const trc_sample *smp = rdr_series(m, row->id, &n);
            rdr_level_text(s, sizeof s, ob, trc_sample_at(smp, n, tt));
            rdr_tip_add(tip, "%s at %s", s, at);
        } else {
            rdr_tip_add(tip, "not reached yet (after the playhead)");
        }
        switch (ob->kind) {
        case TRC_OBJ_QUEUE:
            rdr_tip_add(tip, "max depth %lld, %u puts, %u gets, %u waits", (long long)ot->max_depth, ot->puts, ot->gets,
                        ot->waits);
            break;
        case TRC_OBJ_SEMAPHORE:
            rdr_tip_add(tip, "at most %lld in use, %u acquires, %u waits, %u timeouts", (long long)ot->max_level,
                        ot->acquires, ot->waits, ot->timeouts);
            break;
        case TRC_OBJ_BARRIER:
            rdr_tip_add(tip, "%u arrivals, %u generations opened", ot->arrivals, ot->generations);
            break;
        case TRC_OBJ_COUNTER:
            rdr_tip_add(tip, "%u writes, %u reads, %llu lost updates, final %lld", ot->writes, ot->reads,
                        (unsigned long long)ot->lost_updates, (long long)ot->final_value);
            break;
        case TRC_OBJ_RWLOCK:
            rdr_tip_add(tip, "%u reads of %u acquires, at most %lld readers", ot->shared_acquires, ot->acquires,
                        (long long)ot->max_level);
            break;
        default: break;
        }
        return;
    }
    bool event = ob->kind == TRC_OBJ_EVENT;
    rdr_tip_add(tip, "%s  (%s)", name, trc_obj_kind_name(ob->kind));
    if (!seen) {
        rdr_tip_add(tip, "not reached yet (after the playhead)");
    } else {
        size_t n;
        const trc_owner_span *ow = rdr_owners(m, row->id, &n);
        size_t i = rdr_owner_lower(ow, n, tt);
        if (i < n && (double)ow[i].t0 <= t) {
            const trc_owner_span *o = &ow[i];
            const char *who = o->owner < m->run->nunits ? m->run->units[o->owner].name : "?";
            if (event) rdr_tip_add(tip, "set by %s", who);
            else if (ob->kind == TRC_OBJ_RWLOCK) rdr_tip_add(tip, "written by %s", who);
            else if (ob->kind == TRC_OBJ_RLOCK && o->depth > 1) rdr_tip_add(tip, "held by %s (depth up to %u)", who, o->depth);
            else rdr_tip_add(tip, "held by %s", who);
            rdr_span_times(s, sizeof s, (double)o->t0, (double)o->t1);
            rdr_tip_add(tip, "%s", s);
        } else {
            rdr_tip_add(tip, "%s at %s", event ? "clear" : "free", at);
        }
    }
    double mk = (double)(m->makespan ? m->makespan : 1);
    if (event)
        rdr_tip_add(tip, "set %.0f%% of the run, %u sets, %u clears, %u woken", 100.0 * (double)ot->t_set / mk, ot->sets,
                    ot->clears, ot->woken);
    else
        rdr_tip_add(tip, "held %.0f%% of the run, %u acquires, %u waits", 100.0 * (double)ot->t_held / mk, ot->acquires,
                    ot->waits);
}

void rdr_describe(rdr_ctx *cx, const rdr_row *row, double t, bool in_plot, rdr_tip *tip) {
    const rdr_view *v = cx->v;
    switch (row->kind) {
    case RDR_ROW_UNIT: rdr_hover_unit(cx, row, t, in_plot, tip); break;
    case RDR_ROW_LEVEL: case RDR_ROW_OWNER: if (in_plot) rdr_hover_obj(cx, row, t, tip); break;
    case RDR_ROW_POOL: rdr_hover_pool(cx, row, t, tip); break;
    case RDR_ROW_FUTURE: if (in_plot) rdr_hover_future(cx, row, t, tip); break;
    case RDR_ROW_MEM: rdr_mem_describe(cx, row, t, tip); break;
    case RDR_ROW_NOTSTARTED: {   /* which units: they have no lane */
        const trc_model *m = &v->models[row->run];
        rdr_tip_add(tip, "%u unit%s never started in this run (no lane each):", row->id, row->id == 1 ? "" : "s");
        char s[192];
        size_t len = 0, shown = 0;
        s[0] = 0;
        for (uint32_t u = 0; u < m->run->nunits; u++) {
            if (m->units[u].nspans) continue;
            const char *nm = m->run->units[u].name ? m->run->units[u].name : "?";
            if (len + strlen(nm) + 16 >= sizeof s) {
                snprintf(s + len, sizeof s - len, ", and %u more", row->id - (uint32_t)shown);
                break;
            }
            len += (size_t)snprintf(s + len, sizeof s - len, "%s%s", shown ? ", " : "", nm);
            shown++;
        }
        rdr_tip_add(tip, "%s", s);
        break;
    }
    case RDR_ROW_PROC: {
        const trc_model *m = &v->models[row->run];
        const trc_unit *un = &m->run->units[row->id];
        const rdr_groups *g = v->groups[row->run];
        if (un->kind == TRC_UNIT_LOOP) rdr_tip_add(tip, "event loop %s: %u units", un->name ? un->name : "?", row->lane);
        else rdr_tip_add(tip, "process %s (pid %d): %u units", un->name ? un->name : "?", (int)m->units[row->id].pid,
                         row->lane);
        if (in_plot && t >= 0 && t <= (double)m->makespan) {   /* how many in each state there */
            uint32_t cnt[TRC_ST__COUNT] = { 0 };
            for (uint32_t k = g->off[row->id]; k < g->off[row->id + 1]; k++) {
                const trc_span *sp = trc_model_span_at(m, g->members[k], (uint64_t)t);
                if (sp && sp->state < TRC_ST__COUNT) cnt[sp->state]++;
            }
            char s[192];
            size_t len = 0;
            s[0] = 0;
            for (unsigned st = 0; st < TRC_ST__COUNT && len < sizeof s - 32; st++)
                if (cnt[st]) len += (size_t)snprintf(s + len, sizeof s - len, "%s%u %s", len ? ", " : "", cnt[st],
                                                     trc_state_name(st));
            if (len) rdr_tip_add(tip, "%s", s);
        }
        rdr_tip_add(tip, "click or x: %s its lanes", g->folded[row->id] ? "show" : "fold");
        break;
    }
    case RDR_ROW_RUN: {
        const trc_run *run = v->models[row->run].run;
        rdr_tip_add(tip, "run %u: %s", row->run + 1, run->scenario ? run->scenario : "");
        rdr_tip_add(tip, "backend %s, seed %llu", run->backend ? run->backend : "?", (unsigned long long)run->seed);
        if (run->machine) rdr_tip_add(tip, "%s", run->machine);
        rdr_tip_add(tip, "click: %s its lanes", v->info[row->run].collapsed ? "show" : "fold");
        break;
    }
    default: break;
    }
}

void rdr_hover(rdr_ctx *cx) {
    rdr_view *v = cx->v;
    const rdr_layout *L = &v->lay;
    if (!v->mouse_in || v->drag || v->help) return;
    int mx = v->mouse_x, my = v->mouse_y;
    bool in_plot = mx >= L->plot_x && mx < L->plot_x + L->plot_w;
    rdr_tip tip = { .n = 0 };
    double t = rdr_view_t_at(v, mx);
    if (in_plot && my >= L->ruler_y && my < L->lanes_y + L->lanes_h) {
        int x = mx;
        rdr_dl_rect(cx->dl, x, L->lanes_y, 1, L->lanes_h, cx->th->hover_line);
        /* the time under the mouse, in the ruler's lower band, unless it would
         * cover the playhead's tag (which says the time there anyway) */
        char s[48], ps[48];
        rdr_fmt_dur(s, sizeof s, fmax(t, 0));
        int tw = rdr_tw(cx, RDR_FONT_REGULAR, s, strlen(s));
        int hx = x - tw / 2 - 4, hw = tw + 8, px, pw;
        if (hx < L->plot_x - 4) hx = L->plot_x - 4;
        if (hx + hw > L->timeline_w - 2) hx = L->timeline_w - 2 - hw;
        bool covers = rdr_playhead_tag(cx, ps, sizeof ps, &px, &pw) && hx < px + pw + 2 && px < hx + hw + 2;
        if (!covers && rdr_label_free(cx, hx, L->ruler_y + 18, hw, cx->line_h + 1)) {
            rdr_dl_rect(cx->dl, hx, L->ruler_y + 18, hw, cx->line_h + 1, cx->th->tag_bg);
            rdr_text(cx, hx + 4, L->ruler_y + 18, RDR_FONT_REGULAR, cx->th->text, s);
        }
    }
    const rdr_row *row = rdr_view_row_at(v, my);
    if (!row || mx < 0 || mx >= L->plot_x + L->plot_w) return;
    rdr_at_run(cx, row->run);   /* in the run's own time */
    rdr_describe(cx, row, rdr_view_t_at(v, mx), in_plot, &tip);
    rdr_at_axis(cx);
    if (!tip.n) return;
    int w = 0;
    for (int i = 0; i < tip.n; i++) {
        int lw = rdr_tw(cx, i ? RDR_FONT_REGULAR : RDR_FONT_BOLD, tip.line[i], strlen(tip.line[i]));
        if (lw > w) w = lw;
    }
    w += 16;
    int h = tip.n * cx->line_h + 10;
    int x = mx + 16, y = my + 16;
    if (x + w > L->width - 4) x = mx - w - 8;
    if (y + h > L->height - 4) y = my - h - 8;
    if (x < 4) x = 4;
    if (y < 4) y = 4;
    rdr_dl_rect(cx->dl, x + 2, y + 2, w, h, 0x80000000u);
    rdr_dl_rect(cx->dl, x, y, w, h, cx->th->tip_border);
    rdr_dl_rect(cx->dl, x + 1, y + 1, w - 2, h - 2, cx->th->tip_bg);
    for (int i = 0; i < tip.n; i++)
        rdr_text(cx, x + 8, y + 5 + i * cx->line_h, i ? RDR_FONT_REGULAR : RDR_FONT_BOLD, cx->th->text, tip.line[i]);
}
