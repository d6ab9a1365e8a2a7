/* The model's part for processes: what the events of processes, pipes, shared
 * memory, vars and managers add to the derived model, fed by the model's one
 * pass (trc_model.c), event by event in time order:
 *
 *   - per unit: its process (PROC_START: pid, the launcher's pid, the start
 *     method) and how it ended (PROC_EXIT: exit code or killing signal);
 *     trc_model.c ends a unit's lanes at a PROC_EXIT that no UNIT_EXIT came
 *     before (a process killed or crashed);
 *   - flows: a message from its SEND to its RECV; a manager's request from
 *     the client's REQUEST to the server's SERVE, and its reply from the SERVE
 *     to the client's REPLY; a SIGNAL to the PROC_EXIT of the process it
 *     killed;
 *   - a pipe's level series: the bytes in it (a message's header and body,
 *     from its SEND to its RECV);
 *   - per object: bytes sent (pipes) or pickled (queues, pools) and the CPU
 *     time of pickling; sends, receives, ends of file, closes and polls;
 *     writes, reads and torn reads of a segment, and whether it was
 *     unlinked; var assignments; requests;
 *   - instants for these events, merged into the model's (in time order).
 */
#include "traces/trc_procs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An event remembered until its other end comes: keyed by (object, id). */
typedef struct pend { uint64_t key; uint64_t t, ev; uint32_t unit; bool used; } pend;
typedef struct pmap { pend *s; size_t cap, n; } pmap;

static uint64_t pkey(uint32_t obj, uint64_t id) { return (uint64_t)obj << 48 ^ id; }

static size_t phash(uint64_t k, size_t mask) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k & mask;
}

static void pmap_put(pmap *m, uint64_t key, uint64_t t, uint64_t ev, uint32_t unit);

static void pmap_grow(pmap *m) {
    pend *old = m->s;
    size_t oc = m->cap;
    m->cap = oc ? oc * 2 : 64;
    m->s = xcalloc(m->cap, sizeof *m->s);
    m->n = 0;
    for (size_t i = 0; i < oc; i++)
        if (old[i].used) pmap_put(m, old[i].key, old[i].t, old[i].ev, old[i].unit);
    free(old);
}

static void pmap_put(pmap *m, uint64_t key, uint64_t t, uint64_t ev, uint32_t unit) {
    if ((m->n + 1) * 2 > m->cap) pmap_grow(m);
    size_t i = phash(key, m->cap - 1);
    while (m->s[i].used && m->s[i].key != key) i = (i + 1) & (m->cap - 1);
    if (!m->s[i].used) m->n++;
    m->s[i] = (pend){ key, t, ev, unit, true };
}

static const pend *pmap_get(const pmap *m, uint64_t key) {
    if (!m->cap) return NULL;
    size_t i = phash(key, m->cap - 1);
    while (m->s[i].used) {
        if (m->s[i].key == key) return &m->s[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

typedef struct sig_pend { uint64_t t, ev; uint32_t from; int32_t sig; bool set; } sig_pend;

struct trc__procs {
    trc_model *m;
    size_t *cap_level;              /* per object: its level series' capacity (pipes) */
    int64_t *in_pipe;               /* per object: bytes sent and not yet received (pipes) */
    pmap sends, requests, serves;
    sig_pend *sigs;                 /* per unit: the last signal sent to it */
    trc_flow *flows; size_t nflows, cap_flows;
    trc_instant *inst; size_t ninst, cap_inst;
};

trc__procs *trc__procs_begin(trc_model *m) {
    trc__procs *p = xcalloc(1, sizeof *p);
    p->m = m;
    p->sigs = xcalloc(m->run->nunits + 1, sizeof *p->sigs);
    p->cap_level = xcalloc(m->run->nobjects + 1, sizeof *p->cap_level);
    p->in_pipe = xcalloc(m->run->nobjects + 1, sizeof *p->in_pipe);
    for (uint32_t o = 0; o < m->run->nobjects; o++)   /* a pipe's level: the bytes in it, from 0 */
        if (m->run->objects[o].kind == TRC_OBJ_PIPE)
            ARR_PUSH(m->objects[o].level, m->objects[o].nlevel, p->cap_level[o], ((trc_sample){ 0, 0 }));
    return p;
}

static void flow(trc__procs *p, uint32_t kind, const pend *from, uint64_t t1, uint32_t u1, uint64_t ev1, uint32_t obj,
                 uint64_t item) {
    if (from->t > t1) return;
    ARR_GROW(p->flows, p->nflows + 1, p->cap_flows);
    p->flows[p->nflows++] = (trc_flow){ .t0 = from->t, .t1 = t1, .u0 = from->unit, .u1 = u1, .obj = obj,
                                        .kind = kind, .item = item, .ev0 = from->ev, .ev1 = ev1 };
}

/* A pipe's bytes in flight change by d at t. */
static void pipe_level(trc__procs *p, uint32_t obj, uint64_t t, int64_t d) {
    trc_object_track *ot = &p->m->objects[obj - 1];
    int64_t v = p->in_pipe[obj - 1] += d;
    if (v < 0) v = p->in_pipe[obj - 1] = 0;   /* a message sent before the recording's window */
    ot->nlevel_blk = 0;   /* samples the viewer's block max (trc_model.c blk_push) does not see: no blocks
                             (the array stays for the builder's pushes; they keep it short of ceil(n / STEP)) */
    if (ot->nlevel && ot->level[ot->nlevel - 1].t == t) ot->level[ot->nlevel - 1].v = v;
    else ARR_PUSH(ot->level, ot->nlevel, p->cap_level[obj - 1], ((trc_sample){ t, v }));
    if (v > ot->max_level) ot->max_level = v;
}

static void instant(trc__procs *p, const trc_event *e, uint64_t i, uint64_t t) {
    ARR_GROW(p->inst, p->ninst + 1, p->cap_inst);
    p->inst[p->ninst++] = (trc_instant){ .t = t, .ev = i, .arg = e->arg, .unit = e->unit, .obj = e->obj,
                                         .kind = e->kind, .aux = e->aux, .extra = e->extra };
}

void trc__procs_event(trc__procs *p, const trc_event *e, uint64_t i, uint64_t t) {
    trc_model *m = p->m;
    const trc_run *run = m->run;
    trc_unit_track *ut = &m->units[e->unit];
    trc_object_track *ot = e->obj && e->obj <= run->nobjects ? &m->objects[e->obj - 1] : NULL;
    switch (e->kind) {
    case TRC_EV_PROC_START:
        ut->pid = (int32_t)e->arg;
        ut->ppid = (int32_t)e->extra;
        ut->start_method = (uint8_t)e->aux;
        break;
    case TRC_EV_PROC_EXIT: {
        ut->proc_ended = true;
        ut->t_proc_exit = t;
        ut->exit_signal = e->aux == TRC_PROC_SIGNALED ? (int32_t)e->arg : 0;
        ut->exit_code = e->aux == TRC_PROC_SIGNALED ? 0 : (int32_t)e->arg;
        sig_pend *s = &p->sigs[e->unit];
        if (s->set && ut->exit_signal == s->sig && s->t <= t) {
            pend from = { 0, s->t, s->ev, s->from, true };
            flow(p, TRC_FLOW_SIGNAL, &from, t, e->unit, i, 0, (uint64_t)s->sig);
        }
        instant(p, e, i, t);
        break;
    }
    case TRC_EV_SIGNAL:
        if (e->arg < run->nunits) p->sigs[e->arg] = (sig_pend){ t, i, e->unit, (int32_t)e->aux, true };
        instant(p, e, i, t);
        break;
    case TRC_EV_SEND:
        if (ot) { ot->sends++; ot->bytes += e->extra; pipe_level(p, e->obj, t, (int64_t)e->extra + 16); }
        pmap_put(&p->sends, pkey(e->obj, e->arg), t, i, e->unit);
        instant(p, e, i, t);
        break;
    case TRC_EV_RECV: {
        if (ot) { ot->recvs++; if (e->aux) ot->eofs++; else pipe_level(p, e->obj, t, -((int64_t)e->extra + 16)); }
        const pend *s = e->aux ? NULL : pmap_get(&p->sends, pkey(e->obj, e->arg));
        if (s) flow(p, TRC_FLOW_MESSAGE, s, t, e->unit, i, e->obj, e->arg);
        instant(p, e, i, t);
        break;
    }
    case TRC_EV_PIPE_CLOSE: if (ot) ot->closes++; instant(p, e, i, t); break;
    case TRC_EV_POLL: if (ot) ot->polls++; instant(p, e, i, t); break;
    case TRC_EV_SHM_WRITE: if (ot) ot->shm_writes++; instant(p, e, i, t); break;
    case TRC_EV_SHM_READ:
        if (ot) { ot->shm_reads++; if (e->aux) ot->torn_reads++; }
        instant(p, e, i, t);
        break;
    case TRC_EV_SHM_UNLINK: if (ot) ot->unlinked = true; instant(p, e, i, t); break;
    case TRC_EV_VAR_SET: if (ot) ot->var_sets++; instant(p, e, i, t); break;
    case TRC_EV_REQUEST:
        if (ot) ot->requests++;
        pmap_put(&p->requests, e->arg, t, i, e->unit);
        instant(p, e, i, t);
        break;
    case TRC_EV_SERVE: {
        const pend *q = pmap_get(&p->requests, e->arg);
        if (q) flow(p, TRC_FLOW_REQUEST, q, t, e->unit, i, e->obj, e->arg);
        pmap_put(&p->serves, e->arg, t, i, e->unit);
        instant(p, e, i, t);
        break;
    }
    case TRC_EV_REPLY: {
        const pend *s = pmap_get(&p->serves, e->arg);
        if (s) flow(p, TRC_FLOW_REPLY, s, t, e->unit, i, e->obj, e->arg);
        instant(p, e, i, t);
        break;
    }
    case TRC_EV_COMPUTE_BEGIN:
        if (ot && (e->aux == TRC_COMPUTE_PICKLE || e->aux == TRC_COMPUTE_UNPICKLE)) {
            ot->pickles++;
            if (e->aux == TRC_COMPUTE_PICKLE) ot->bytes += e->extra;
        }
        break;
    case TRC_EV_COMPUTE_END:
        if (ot && (e->aux == TRC_COMPUTE_PICKLE || e->aux == TRC_COMPUTE_UNPICKLE)) ot->pickle_ns += e->arg;
        break;
    default: break;
    }
}

static bool inst_before(const trc_instant *a, const trc_instant *b) { return a->t < b->t || (a->t == b->t && a->ev < b->ev); }

void trc__procs_end(trc__procs *p, uint64_t *next_id) {
    trc_model *m = p->m;
    if (p->nflows) {
        m->flows = xrealloc(m->flows, (m->nflows + p->nflows) * sizeof *m->flows);
        for (size_t i = 0; i < p->nflows; i++) {
            p->flows[i].id = (*next_id)++;
            if (p->flows[i].t1 - p->flows[i].t0 > m->flow_maxdur) m->flow_maxdur = p->flows[i].t1 - p->flows[i].t0;
            m->flows[m->nflows++] = p->flows[i];
        }
    }
    if (p->ninst) {
        /* merge, both in (time, event) order */
        size_t n = m->ninstants + p->ninst, a = 0, b = 0;
        trc_instant *all = xmalloc(n * sizeof *all);
        for (size_t k = 0; k < n; k++)
            all[k] = b == p->ninst || (a < m->ninstants && inst_before(&m->instants[a], &p->inst[b])) ? m->instants[a++]
                                                                                                    : p->inst[b++];
        free(m->instants);
        m->instants = all;
        m->ninstants = n;
    }
    free(p->cap_level);
    free(p->in_pipe);
    free(p->sends.s);
    free(p->requests.s);
    free(p->serves.s);
    free(p->sigs);
    free(p->flows);
    free(p->inst);
    free(p);
}

bool trc_model_procs_reads(uint16_t kind) { return trc__procs_reads(kind); }

int trc_model_procs_mask_check(char *why, size_t cap) {
    static const uint32_t okinds[] = { TRC_OBJ_LOCK, TRC_OBJ_QUEUE, TRC_OBJ_PIPE, TRC_OBJ_SHM, TRC_OBJ_VAR,
                                       TRC_OBJ_MANAGER, TRC_OBJ_POOL, TRC_OBJ_GIL };
    enum { NO = sizeof okinds / sizeof okinds[0] };
    trc_unit units[2] = { { .id = 0, .name = "a" }, { .id = 1, .name = "b" } };
    trc_object objs[NO];
    for (uint32_t o = 0; o < NO; o++) objs[o] = (trc_object){ .id = o + 1, .kind = okinds[o], .name = "o" };
    trc_run run = { .units = units, .nunits = 2, .objects = objs, .nobjects = NO };
    for (uint16_t kind = 1; kind < TRC_EV__MAX; kind++) {
        if (trc__procs_reads(kind)) continue;
        for (uint32_t ob = 0; ob <= NO; ob++) {
            trc_model m = { .run = &run };
            m.units = xcalloc(2, sizeof *m.units);
            m.objects = xcalloc(NO, sizeof *m.objects);
            trc__procs *pp = trc__procs_begin(&m);
            trc_unit_track u0[2];
            trc_object_track o0[NO];
            memcpy(u0, m.units, sizeof u0);
            memcpy(o0, m.objects, sizeof o0);
            for (uint64_t i = 0; i < 4; i++) {
                trc_event e = { .t = 10 + i, .arg = i == 3 ? 1 : 7, .unit = (uint32_t)(i & 1), .obj = ob,
                                .kind = kind, .aux = (uint16_t)i, .extra = 16 };
                trc__procs_event(pp, &e, i, e.t);
            }
            bool same = !memcmp(u0, m.units, sizeof u0) && !memcmp(o0, m.objects, sizeof o0);
            uint64_t next = 1;
            trc__procs_end(pp, &next);
            same = same && !m.ninstants && !m.nflows;
            trc_model_release(&m);
            if (!same) {
                snprintf(why, cap, "%s (on object %u) changed the model but is not in the kind mask", trc_ev_name(kind), ob);
                return -1;
            }
        }
    }
    return 0;
}
