/* The steps of processes: send, recv, poll and close on a pipe; write, read
 * and unlink on a shm; let on a var; exit, crash, terminate and kill. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* The object the next token names, when it is of kind k (nothing consumed). */
static bool next_names(parser *ps, sim_obj_kind k) {
    if (ps->t.kind != T_IDENT) return false;
    for (uint32_t i = 0; i < ps->p->nobjects; i++) {
        const sim_object *o = &ps->p->objects[i];
        if (o->kind == k && strlen(o->name) == ps->t.len && !memcmp(o->name, ps->t.s, ps->t.len)) return true;
    }
    return false;
}

/* `key=EXPR` of type `type` into *e (key consumed when it comes): 1 taken, 0 not there, -1 error. */
static int expr_option(parser *ps, const char *key, sim_type type, const char *what, sim_expr **e) {
    if (!is_kw(&ps->t, key)) return 0;
    if (*e) {
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "%s= is given twice", key);
        return -1;
    }
    sim__next(ps);
    char after[32];
    snprintf(after, sizeof after, "after %s", key);
    if (sim__expect_p(ps, '=', after)) return -1;
    *e = sim__parse_expr(ps);
    if (!*e || sim__require_type(ps, *e, type, what)) return -1;
    return 1;
}

/* write S offset=E len=E [gap=D], read S offset=E len=E */
static sim_stmt *parse_shm_access(parser *ps, tok t) {
    bool wr = is_kw(&t, "write");
    sim_stmt *s = sim__new_stmt(ps, wr ? SIM_S_SHM_WRITE : SIM_S_SHM_READ, t.pos);
    if (sim__object_ref(ps, K(SIM_OBJ_SHM), wr ? "write" : "read", &s->obj, &s->obj_index)) return NULL;
    for (;;) {
        int k = expr_option(ps, "offset", SIM_T_INT, "an offset (bytes)", &s->offset);
        if (!k) k = expr_option(ps, "len", SIM_T_INT, "a length (bytes)", &s->len);
        if (!k && wr) k = expr_option(ps, "gap", SIM_T_DUR, "a gap (a duration)", &s->window);
        if (k < 0) return NULL;
        if (!k) break;
    }
    if (!s->offset || !s->len) {
        char b[64];
        sim__perr(ps, ps->t.pos, ERR_SCENARIO, "%s on shm '%s' needs offset= and len=, found %s", wr ? "write" : "read",
                  ps->p->objects[s->obj].name, sim__tok_desc(&ps->t, b, sizeof b));
        sim__hint(ps, wr ? "write %s offset=0 len=4KiB [gap=1ms]" : "read %s offset=0 len=4KiB",
                  ps->p->objects[s->obj].name);
        return NULL;
    }
    return s;
}

bool sim__parse_proc_step(parser *ps, tok t, int depth, int loops, sim_stmt **out) {
    (void)depth;
    (void)loops;
    sim_stmt *s = NULL;
    *out = NULL;
    if (is_kw(&t, "send") || is_kw(&t, "recv") || is_kw(&t, "poll")) {
        sim_stmt_kind k = is_kw(&t, "send") ? SIM_S_SEND : is_kw(&t, "recv") ? SIM_S_RECV : SIM_S_POLL;
        s = sim__new_stmt(ps, k, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_PIPE), k == SIM_S_SEND ? "send into" : k == SIM_S_RECV ? "recv from" : "poll",
                            &s->obj, &s->obj_index))
            return true;
        for (;;) {
            int r = k == SIM_S_SEND ? expr_option(ps, "bytes", SIM_T_INT, "a message's size (bytes)", &s->expr) : 0;
            if (!r && is_kw(&ps->t, "timeout")) {
                if (s->timeout) {
                    sim__perr(ps, ps->t.pos, ERR_SCENARIO, "timeout= is given twice");
                    return true;
                }
                if (sim__parse_timeout(ps, s)) return true;
                r = 1;
            }
            if (r < 0) return true;
            if (!r) break;
        }
    } else if (is_kw(&t, "close")) {
        s = sim__new_stmt(ps, SIM_S_CLOSE, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_PIPE), "close", &s->obj, &s->obj_index)) return true;
        s->end = TRC_PIPE_BOTH;
        if (is_kw(&ps->t, "read") || is_kw(&ps->t, "write")) {
            s->end = is_kw(&ps->t, "read") ? TRC_PIPE_READ : TRC_PIPE_WRITE;
            sim__next(ps);
        }
    } else if ((is_kw(&t, "write") || is_kw(&t, "read")) && next_names(ps, SIM_OBJ_SHM)) {
        if (!(s = parse_shm_access(ps, t))) return true;
    } else if (is_kw(&t, "unlink")) {
        s = sim__new_stmt(ps, SIM_S_UNLINK, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_SHM), "unlink", &s->obj, &s->obj_index)) return true;
    } else if (is_kw(&t, "let") && next_names(ps, SIM_OBJ_VAR)) {
        s = sim__new_stmt(ps, SIM_S_ASSIGN, t.pos);
        if (sim__object_ref(ps, K(SIM_OBJ_VAR), "assign", &s->obj, &s->obj_index)) return true;
        if (sim__expect_p(ps, '=', "after the variable's name")) return true;
        s->expr = sim__parse_expr(ps);
        if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "a variable's value")) return true;
    } else if (is_kw(&t, "exit")) {
        s = sim__new_stmt(ps, SIM_S_EXIT, t.pos);
        if (ps->t.kind != T_NL && ps->t.kind != T_EOF && !is_p(&ps->t, ';') && !is_p(&ps->t, '}')) {
            s->expr = sim__parse_expr(ps);
            if (!s->expr || sim__require_type(ps, s->expr, SIM_T_INT, "an exit code")) return true;
        }
        if (ps->cur_actor == UINT32_MAX) {
            sim__perr(ps, t.pos, ERR_SCENARIO, "exit in a task: it would end the pool's worker process");
            sim__hint(ps, "exit belongs in an actor's body (its process exits); a task returns at its end");
            return true;
        }
    } else if (is_kw(&t, "crash")) {
        s = sim__new_stmt(ps, SIM_S_CRASH, t.pos);
    } else if (is_kw(&t, "terminate") || is_kw(&t, "kill")) {
        s = sim__new_stmt(ps, is_kw(&t, "kill") ? SIM_S_KILL : SIM_S_TERMINATE, t.pos);
        if (sim__name_ref(ps, FIX_SIGNAL, &s->actor, "the name of the actor whose processes get the signal")) return true;
    } else {
        return false;
    }
    if (ps->err) return true;
    *out = s;
    return true;
}
