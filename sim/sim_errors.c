/* Errors a scenario raises and catches, as Python's exceptions behave:
 *
 *   raise "text"          an error in this unit (RAISE); it unwinds the blocks
 *                         around it (a `lock L { }` releases L) up to the
 *                         nearest `except` that matches, else it ends the unit:
 *                         an actor dies with its error recorded (UNIT_EXIT
 *                         aux ERROR, "Exception in thread ..."), a task's
 *                         future finishes with it, a done-callback's is logged
 *   try { } except ["T"] { } ... finally { }
 *                         except "T" matches the text T or "T: ..." (so
 *                         `except "ValueError"` catches "ValueError: bad");
 *                         a bare except matches every error; in an except
 *                         block a bare `raise` raises the handled error again;
 *                         finally runs however the try ends (normally, by
 *                         break, by an error caught or not), but not when the
 *                         run ends or a daemon is cut off (XR_STOP): a thread
 *                         killed runs nothing more. A task cancelled (the
 *                         coroutines backend) unwinds through finally, which
 *                         may await; the cancellation goes on after it.
 *   result F / map        re-raise a task's error in the caller
 *
 * The error in flight is private to the unit (rt_unit.exc); its text lives as
 * long as the run (a program string, or one interned while running). At the
 * end of the run, rt_warnings() says what Python would have printed: threads
 * that died of an error, futures whose error nobody retrieved, callbacks that
 * raised.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

const char *rt_string(rt *r, uint32_t id) {
    const sim_program *p = r->prog;
    if (id < p->nstrings) return p->strings[id];
    /* an id from rt_intern: its entry was written before the id was handed out (under
     * smon); nstrs is not read, as other units may be adding strings now */
    return r->strs[id - p->nstrings];
}

bool rt_error_matches(const char *text, const char *pattern) {
    size_t n = strlen(pattern);
    return !strncmp(text, pattern, n) && (text[n] == 0 || text[n] == ':');
}

int rt_raise(rt_unit *u, sim_pos pos, uint16_t how, uint32_t oi, uint32_t extra, const char *text, uint32_t id) {
    trc_emit(u->ring, TRC_EV_RAISE, rt_obj_id(u->r, oi), how, id, extra);
    u->exc = text;
    u->exc_id = id;
    u->exc_pos = pos;
    return XR_RAISE;
}

int rt_raise_text(rt_unit *u, sim_pos pos, uint16_t how, uint32_t oi, uint32_t extra, const char *text) {
    uint32_t id = rt_intern(u->r, u->pu, text);
    return rt_raise(u, pos, how, oi, extra, rt_string(u->r, id), id);
}

/* raise "text", or a bare raise of the error an enclosing except handles. */
int exec_raise(rt_unit *u, const sim_stmt *s) {
    if (!s->text) return rt_raise(u, u->handled_pos, TRC_RAISE_STEP, UINT32_MAX, 0, u->handled, u->handled_id);
    return rt_raise_text(u, s->pos, TRC_RAISE_STEP, UINT32_MAX, 0, s->text);
}

int exec_try(rt_unit *u, const sim_stmt *s) {
    int b = exec_block(u, s->body);
    if (b == XR_RAISE) {
        for (const sim_stmt *h = s->handlers; h; h = h->next) {
            if (h->text && !rt_error_matches(u->exc, h->text)) continue;
            trc_emit(u->ring, TRC_EV_CAUGHT, 0, 0, u->exc_id, 0);
            /* the handled error, for a bare raise; the enclosing handler's comes back after */
            const char *ht = u->handled;
            uint32_t hid = u->handled_id;
            sim_pos hpos = u->handled_pos;
            u->handled = u->exc;
            u->handled_id = u->exc_id;
            u->handled_pos = u->exc_pos;
            u->exc = NULL;
            b = exec_block(u, h->body);
            u->handled = ht;
            u->handled_id = hid;
            u->handled_pos = hpos;
            break;
        }
    }
    /* a task's cancellation (sim_async.c) unwinds as XR_STOP with u->cancelled: finally
     * runs then, able to await (the cancellation is set aside meanwhile), and the
     * cancellation goes on after it; a halt (the run ending) runs nothing */
    bool cancelled = b == XR_STOP && u->cancelled && !rt_halted(u);
    if (s->final && (b != XR_STOP || cancelled)) {
        /* the error in flight (if any) waits while finally runs; a raise or a break
         * in finally replaces it (and drops a cancellation), as in Python */
        const char *et = u->exc;
        uint32_t eid = u->exc_id;
        sim_pos epos = u->exc_pos;
        if (cancelled) u->cancelled = false;
        int f = exec_block(u, s->final);
        if (f == XR_STOP) return XR_STOP;
        if (f != XR_OK) {
            b = f;
        } else {
            u->exc = et;
            u->exc_id = eid;
            u->exc_pos = epos;
            if (cancelled) u->cancelled = true;
        }
    }
    return b;
}

void rt_warnings(rt *r, sim_result *res) {
    const sim_program *p = r->prog;
    char *out = res->warnings;
    size_t cap = sizeof res->warnings;
    out[0] = 0;
    for (uint32_t i = 0; i < r->nunits; i++) {
        const rt_unit *u = &r->units[i];
        if (!atomic_load(&u->failed)) continue;
        bool task = r->coro && u->loop != UINT32_MAX;   /* an actor's instance as a task on a loop */
        rt_rep(out, cap, "%s:%d:%d: warning: %s died of an error it did not catch: %s (%s %s)\n", p->path,
               u->exc_pos.line, u->exc_pos.col, u->name, u->exc ? u->exc : "?",
               task ? "an error nothing caught in task" : "Exception in thread", u->name);
    }
    for (size_t i = 0; i < r->nfuts; i++) {
        const rt_fut *f = r->futs[i];
        if (f->state != FS_DONE || f->outcome != TRC_OUT_ERROR || f->retrieved) continue;
        if (rt_fut_is_task(f)) {   /* a task of create_task (sim_async.c) */
            rt_rep(out, cap, "%s:%d:%d: warning: task %s (made at line %d) failed and its error was never retrieved: %s "
                             "(Task exception was never retrieved)\n", p->path, f->err_pos.line, f->err_pos.col,
                   r->units[f->worker].name, f->made_at.line, f->err ? f->err : "?");
            continue;
        }
        rt_rep(out, cap, "%s:%d:%d: warning: future #%llu of pool '%s' (task '%s') failed and its error was never retrieved: "
                         "%s (Future exception was never retrieved)\n", p->path, f->err_pos.line, f->err_pos.col,
               (unsigned long long)f->id, p->objects[f->pool].name, p->tasks[f->task].name, f->err ? f->err : "?");
    }
    rt_rep(out, cap, "%s", r->warnings);
}
