/* The stage's tooltip: what the mouse points at on a run's stage, in words.
 * A figure says who it is, what it does and since when, whom it waits for; a
 * picture says who holds the object and who waits for it, in the order they
 * came (the names the figures in a line have no room for). */
#include "render/rdr_internal.h"

#include <stdio.h>
#include <string.h>

static const char *uname(const trc_run *run, uint32_t u) { return rdr_unit_name(run, u); }

/* Up to max names of who[0..n) ("B, D, C"), "+N" for the rest of total. */
static void names(char *out, size_t cap, const trc_run *run, const rdr_stage_who *who, size_t n, uint32_t total) {
    size_t len = 0;
    out[0] = 0;
    size_t k = 0;
    for (; k < n && len + 40 < cap && k < 8; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", k ? ", " : "", uname(run, who[k].unit));
    if (total > k && len + 16 < cap) snprintf(out + len, cap - len, "%s+%u more", k ? ", " : "", total - (uint32_t)k);
}

static void describe_unit(rdr_ctx *cx, uint32_t r, const rdr_stage_state *st, uint32_t u, rdr_tip *tip) {
    const trc_model *m = &cx->v->models[r];
    const trc_run *run = m->run;
    const rdr_stage_unit *su = &st->units[u];
    char d[32];
    rdr_fmt_dur(d, sizeof d, (double)(st->t - su->since));
    rdr_tip_add(tip, "%s", uname(run, u));
    if (su->place == RDR_PLACE_NONE) { rdr_tip_add(tip, "not started yet"); return; }
    if (su->exited) { rdr_tip_add(tip, su->killed ? "killed (a daemon cut off at the end)" : "done"); return; }
    if (su->state == TRC_ST_GIL_WAIT) {
        rdr_tip_add(tip, "waiting for the GIL for %s: ready to run Python code", d);
        if (su->holder != RDR_STAGE_NONE) rdr_tip_add(tip, "%s holds it", uname(run, su->holder));
        if (su->place == RDR_PLACE_WAIT && su->rank != RDR_STAGE_NONE) rdr_tip_add(tip, "number %u in line", su->rank + 1);
    } else if (su->state == TRC_ST_BLOCKED) {
        const trc_span *sp = trc_model_span_at(m, u, st->t);
        char full[160] = "?";
        const char *shortl;
        if (sp && sp->state == TRC_ST_BLOCKED) rdr_blocked_text(m, sp, full, sizeof full, &shortl);
        rdr_tip_add(tip, "blocked in %s for %s", full, d);
        if (su->holder != RDR_STAGE_NONE) rdr_tip_add(tip, "waits for %s", uname(run, su->holder));
        if (su->notified) rdr_tip_add(tip, "notified: waking up");
        if (su->place == RDR_PLACE_WAIT && su->rank != RDR_STAGE_NONE) rdr_tip_add(tip, "number %u in line", su->rank + 1);
        if (su->in_cycle) rdr_tip_add(tip, "in the deadlock's ring");
    } else {
        rdr_tip_add(tip, "%s for %s", trc_state_name(su->state), d);
    }
    if (su->place == RDR_PLACE_READY)
        rdr_tip_add(tip, "number %u in its event loop's ready queue", su->rank + 1);
    else if (su->place == RDR_PLACE_RUN)
        rdr_tip_add(tip, "its event loop runs it");
    if (run->units[u].kind == TRC_UNIT_LOOP && su->running != RDR_STAGE_NONE)
        rdr_tip_add(tip, "runs %s, %u ready", uname(run, su->running), su->ready);
    else if (run->units[u].kind == TRC_UNIT_LOOP)
        rdr_tip_add(tip, "%u tasks ready", su->ready);
    if (su->future) rdr_tip_add(tip, "runs future #%llu%s%s", (unsigned long long)su->future, su->task ? ": " : "", su->task ? su->task : "");
}

static void describe_obj(rdr_ctx *cx, uint32_t r, const rdr_stage_state *st, uint32_t obj, rdr_tip *tip) {
    const trc_run *run = cx->v->models[r].run;
    const trc_object *ob = &run->objects[obj - 1];
    const rdr_stage_obj *so = &st->objs[obj - 1];
    char s[256];
    rdr_tip_add(tip, "%s (%s)", ob->name ? ob->name : "?", trc_obj_kind_name(ob->kind));
    switch (ob->kind) {
    case TRC_OBJ_GIL: {
        char iv[32];
        fmt_dur(iv, sizeof iv, ob->capacity > 0 ? (uint64_t)ob->capacity : 0);
        if (so->holder == RDR_STAGE_NONE) rdr_tip_add(tip, "free");
        else rdr_tip_add(tip, "held by %s, the only unit of its process running Python code", uname(run, so->holder));
        rdr_tip_add(tip, "a waiter asks the holder to drop it after %s (the switch interval)", iv);
        if (so->pulse > 0 && so->pulse_kind == TRC_EV_GIL_DROP_REQUEST)
            rdr_tip_add(tip, "%s asked %s to drop it", uname(run, so->pulse_unit), uname(run, so->holder));
        break;
    }
    case TRC_OBJ_LOCK:
    case TRC_OBJ_RLOCK:
        if (so->holder == RDR_STAGE_NONE) rdr_tip_add(tip, "free");
        else if (ob->kind == TRC_OBJ_RLOCK) rdr_tip_add(tip, "held by %s, %lld deep", uname(run, so->holder), (long long)so->level);
        else rdr_tip_add(tip, "held by %s", uname(run, so->holder));
        break;
    case TRC_OBJ_RWLOCK:
        names(s, sizeof s, run, st->who + so->hold0, so->nholdl, so->nhold);
        rdr_tip_add(tip, "readers inside: %s", so->nhold ? s : "none");
        rdr_tip_add(tip, "writer: %s", so->holder == RDR_STAGE_NONE ? "none" : uname(run, so->holder));
        break;
    case TRC_OBJ_SEMAPHORE:
        rdr_tip_add(tip, "%lld of %lld permits in use", (long long)so->level, (long long)ob->capacity);
        if (so->nhold) {
            names(s, sizeof s, run, st->who + so->hold0, so->nholdl, so->nhold);
            rdr_tip_add(tip, "held by %s", s);
        }
        break;
    case TRC_OBJ_QUEUE:
        if (ob->capacity > 0) rdr_tip_add(tip, "%lld of %lld items%s", (long long)so->level, (long long)ob->capacity, so->full ? ": full" : "");
        else rdr_tip_add(tip, "%lld items", (long long)so->level);
        break;
    case TRC_OBJ_EVENT:
        rdr_tip_add(tip, so->set ? "set by %s" : "not set", so->set ? uname(run, so->holder) : "");
        break;
    case TRC_OBJ_BARRIER:
        rdr_tip_add(tip, "%lld of %lld parties arrived", (long long)so->level, (long long)ob->capacity);
        break;
    case TRC_OBJ_CONDITION:
        if (ob->related) rdr_tip_add(tip, "on lock %s", rdr_obj_name(run, ob->related));
        if (so->pulse_kind == TRC_EV_NOTIFY && so->pulse_unit != RDR_STAGE_NONE)
            rdr_tip_add(tip, "last notify by %s woke %u", uname(run, so->pulse_unit), so->pulse_woken);
        break;
    case TRC_OBJ_POOL:
        rdr_tip_add(tip, "%u running, %u queued, %u done, %u failed, %u cancelled", so->running, so->queued, so->done, so->failed,
                    so->cancelled);
        break;
    case TRC_OBJ_COUNTER:
        rdr_tip_add(tip, "value %lld after %u writes", (long long)so->level, so->writes);
        if (so->lost) rdr_tip_add(tip, "%lld updates lost by racy writes", (long long)so->lost);
        break;
    default: break;
    }
    if (so->nwait) {
        if (ob->kind == TRC_OBJ_QUEUE) {
            rdr_stage_who put[RDR_STAGE_LIST], get[RDR_STAGE_LIST];
            size_t np = 0, ng = 0;
            for (size_t i = 0; i < so->nwaitl; i++) {
                const rdr_stage_who *w = &st->who[so->wait0 + i];
                if (w->op == TRC_OP_PUT) put[np++] = *w; else get[ng++] = *w;
            }
            if (so->nwait_put) {
                names(s, sizeof s, run, put, np, so->nwait_put);
                rdr_tip_add(tip, "waiting to put: %s", s);
            }
            if (so->nwait > so->nwait_put) {
                names(s, sizeof s, run, get, ng, so->nwait - so->nwait_put);
                rdr_tip_add(tip, "waiting to get: %s", s);
            }
        } else {
            names(s, sizeof s, run, st->who + so->wait0, so->nwaitl, so->nwait);
            rdr_tip_add(tip, "waiting, first come first: %s", s);
        }
    }
}

void rdr_stage_hover(rdr_ctx *cx, uint32_t r, const rdr_stage_layout *L, const rdr_stage_state *st, int ox, int oy) {
    rdr_view *v = cx->v;
    if (!v->mouse_in || v->drag || v->help) return;
    int mx = v->mouse_x, my = v->mouse_y;
    if (mx < ox || my < oy || mx >= ox + L->w || my >= oy + L->h) return;
    const trc_run *run = v->models[r].run;
    rdr_stage_geo g = { .L = L, .st = st, .run = run, .ox = ox, .oy = oy };
    rdr_tip tip = { .n = 0 };
    /* a figure under the mouse (the nearest, if figures overlap) */
    uint32_t best = RDR_STAGE_NONE;
    int best_d = 1 << 30;
    for (uint32_t u = 0; u < run->nunits; u++) {
        int x, y;
        if (!rdr_stage_unit_xy(&g, u, &x, &y)) continue;
        if (mx < x - L->fig_w / 2 - 2 || mx > x + L->fig_w / 2 + 2 || my < y - L->fig - 2 || my > y + 2) continue;
        int dd = (mx - x) * (mx - x) + (my - (y - L->fig / 2)) * (my - (y - L->fig / 2));
        if (dd < best_d) { best_d = dd; best = u; }
    }
    if (best != RDR_STAGE_NONE) describe_unit(cx, r, st, best, &tip);
    for (uint32_t i = 0; i < L->nshown && !tip.n; i++) {
        const rdr_stage_cell *ce = &L->cells[L->order[i] - 1];
        if (mx >= ox + ce->x && mx < ox + ce->x + ce->w && my >= oy + ce->y && my < oy + ce->y + ce->h)
            describe_obj(cx, r, st, ce->obj, &tip);
    }
    if (!tip.n) return;
    int w = 0;
    for (int i = 0; i < tip.n; i++) {
        int lw = rdr_tw(cx, i ? RDR_FONT_REGULAR : RDR_FONT_BOLD, tip.line[i], strlen(tip.line[i]));
        if (lw > w) w = lw;
    }
    w += 16;
    int h = tip.n * cx->line_h + 10;
    int x = mx + 16, y = my + 16;
    if (x + w > ox + L->w - 4) x = mx - w - 8;
    if (y + h > oy + L->h - 4) y = my - h - 8;
    if (x < ox + 4) x = ox + 4;
    if (y < oy + 4) y = oy + 4;
    rdr_dl_rect(cx->dl, x + 2, y + 2, w, h, 0x80000000u);
    rdr_dl_rect(cx->dl, x, y, w, h, cx->th->tip_border);
    rdr_dl_rect(cx->dl, x + 1, y + 1, w - 2, h - 2, cx->th->tip_bg);
    int layer = cx->layer;
    cx->layer = 1;   /* the tooltip's own panel, over the stage */
    for (int i = 0; i < tip.n; i++)
        rdr_text(cx, x + 8, y + 5 + i * cx->line_h, i ? RDR_FONT_REGULAR : RDR_FONT_BOLD, cx->th->text, tip.line[i]);
    cx->layer = layer;
}
