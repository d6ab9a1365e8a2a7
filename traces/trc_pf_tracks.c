/* Perfetto export: track descriptors (the ordering root, a run's process,
 * its units' threads, task groups and object tracks) and the pids and tids. */
#include "traces/trc_pf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- a small set of used ids ------------------------------------------- */

static uint64_t pf_mix(uint64_t k) {
    k ^= k >> 31; k *= 0x9e3779b97f4a7c15ull; k ^= k >> 29;
    return k;
}

bool pf_idset_has(const pf_idset *s, uint64_t key) {
    if (!s->cap) return false;
    for (size_t i = pf_mix(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->k[i] == key) return true;
        if (!s->k[i]) return false;
    }
}

bool pf_idset_add(pf_idset *s, uint64_t key) {   /* key != 0 */
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *k = calloc(cap, sizeof *k);
        if (!k) return false;
        for (size_t j = 0; j < s->cap; j++) {
            if (!s->k[j]) continue;
            size_t i = pf_mix(s->k[j]) & (cap - 1);
            while (k[i]) i = (i + 1) & (cap - 1);
            k[i] = s->k[j];
        }
        free(s->k);
        s->k = k;
        s->cap = cap;
    }
    size_t i = pf_mix(key) & (s->cap - 1);
    while (s->k[i] && s->k[i] != key) i = (i + 1) & (s->cap - 1);
    if (!s->k[i]) { s->k[i] = key; s->n++; }
    return true;
}

/* ---- descriptors --------------------------------------------------------- */

static uint8_t *pf_td_open(uint8_t *p, uint8_t **pkt_len, uint8_t **td_len, uint64_t uuid) {
    *p++ = T_PACKET;
    p = pb_open(p, pkt_len);
    *p++ = TP_TRACK_DESC_0;
    *p++ = TP_TRACK_DESC_1;
    p = pb_open(p, td_len);
    *p++ = TD_UUID;
    return pb_var(p, uuid);
}

static uint8_t *pf_td_close(uint8_t *p, uint8_t *pkt_len, uint8_t *td_len) {
    p = pb_close(td_len, p);
    return pb_close(pkt_len, p);
}

static uint8_t *pf_field_str(uint8_t *p, uint8_t tag, const char *s) {
    *p++ = tag;
    return pb_str(p, s, strlen(s));
}

/* The ordering descriptor for uuid 0 (processes and threads in explicit rank order). */
void pf_root_descriptor(pf_out *o) {
    if (!pf_need(o, 64)) return;
    uint8_t *p = o->buf + o->n, *pkt_len, *td_len;
    p = pf_td_open(p, &pkt_len, &td_len, 0);
    *p++ = TD_PROCESS_ORDERING_0;
    *p++ = 0x01;
    *p++ = 1;
    *p++ = TD_THREAD_ORDERING_0;
    *p++ = 0x01;
    *p++ = 1;
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);
}

static uint32_t pf_id_synth(pf_ids *ids) {
    while (pf_idset_has(&ids->used, PF_KEY_PID(ids->next)) || pf_idset_has(&ids->used, PF_KEY_TID(ids->next)))
        ids->next++;
    return ids->next++;
}

/* Appends " name=value" for every parameter of run r whose value is not the
 * same in every run of the recording. */
static size_t pf_varying_params(char *out, size_t cap, const trc_recording *rec, uint32_t r) {
    size_t n = 0;
    const trc_run *run = &rec->runs[r];
    out[0] = 0;
    for (uint32_t i = 0; i < run->nparams && n + 1 < cap; i++) {
        const trc_param *pa = &run->params[i];
        bool varies = false;
        for (uint32_t r2 = 0; r2 < rec->nruns && !varies; r2++) {
            const trc_run *o = &rec->runs[r2];
            bool found = false;
            for (uint32_t j = 0; j < o->nparams; j++) {
                if (str_eq(o->params[j].name, pa->name)) { found = o->params[j].value == pa->value; break; }
            }
            varies = !found;
        }
        if (!varies) continue;
        char val[32];
        trc_param_value(val, sizeof val, pa);
        int k = snprintf(out + n, cap - n, ", %s=%s", pf_s(pa->name), val);
        if (k < 0) break;
        n += (size_t)k < cap - n ? (size_t)k : cap - n - 1;
    }
    return n;
}

/* A custom track under the run's process named "<object><suffix>": a counter
 * track when unit is given (CounterDescriptor unit COUNT, unit_name, y-axis
 * share key), else a slice track. merge: MERGE_NONE, or MERGE_BY_KEY with the
 * track's name as the key. */
static void pf_desc_track(pf_run *pr, uint64_t uuid, uint32_t ob, const char *suffix, const char *unit,
                          const char *share, const char *desc, int merge) {
    pf_out *o = pr->o;
    const char *oname = pf_obj_name(pr, ob);
    size_t on = strlen(oname), sn = strlen(suffix);
    if (!pf_need(o, 160 + 2 * (on + sn) + strlen(desc) + (unit ? strlen(unit) : 0) + (share ? strlen(share) : 0))) return;
    uint8_t *pkt_len, *td_len, *len_at;
    uint8_t *p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, uuid);
    *p++ = TD_PARENT;
    p = pb_var(p, pr->uuid0);
    *p++ = TD_NAME;
    p = pb_open(p, &len_at);
    memcpy(p, oname, on);
    memcpy(p + on, suffix, sn);
    p = pb_close(len_at, p + on + sn);
    if (unit) {
        *p++ = TD_COUNTER;
        p = pb_open(p, &len_at);
        *p++ = CD_UNIT;
        *p++ = COUNTER_UNIT_COUNT;
        p = pf_field_str(p, CD_UNIT_NAME, unit);
        if (share) p = pf_field_str(p, CD_SHARE_KEY, share);
        p = pb_close(len_at, p);
    }
    *p++ = TD_MERGE;
    *p++ = (uint8_t)merge;
    if (merge == MERGE_BY_KEY) {
        *p++ = TD_MERGE_KEY_0;
        *p++ = TD_MERGE_KEY_1;
        p = pb_open(p, &len_at);
        memcpy(p, oname, on);
        memcpy(p + on, suffix, sn);
        p = pb_close(len_at, p + on + sn);
    }
    p = pf_field_str(p, TD_DESCRIPTION, desc);
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);
}

void pf_desc_owner(pf_run *pr, uint32_t ob) {
    const trc_object *obj = &pr->run->objects[ob];
    if (obj->kind == TRC_OBJ_GIL) {
        char iv[32], d2[160];
        fmt_dur(iv, sizeof iv, obj->capacity > 0 ? (uint64_t)obj->capacity : 0);
        snprintf(d2, sizeof d2, "one slice per holding of the GIL, named after the holder; switch interval %s", iv);
        pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " holder", NULL, NULL, d2, MERGE_NONE);
    } else if (obj->kind == TRC_OBJ_RWLOCK) {
        pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " writer", NULL, NULL,
                      "one slice per write ownership, named after the writer", MERGE_NONE);
    } else if (obj->kind == TRC_OBJ_RLOCK) {
        pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " owner", NULL, NULL,
                      "one slice per ownership, named after the owner (and the deepest recursion when "
                      "re-entered); nested slices 'depth N' while it is held N deep", MERGE_NONE);
    } else {
        pf_desc_track(pr, pf_uuid_owner(pr, ob), ob, " owner", NULL, NULL,
                      "one slice per ownership, named after the owner", MERGE_NONE);
    }
}

int pf_desc_process(pf_run *pr, const trc_recording *rec, uint32_t r, pf_ids *ids, uint64_t makespan) {
    pf_out *o = pr->o;
    const trc_run *run = pr->run;
    uint8_t *p, *pkt_len, *td_len, *len_at;

    /* the run's process */
    uint32_t pid = 0;
    int32_t real = run->nunits ? run->units[0].pid : 0;
    for (uint32_t u = 0; u < run->nunits && real > 0; u++)
        if (run->units[u].pid != real) real = 0;
    if (real > 0 && !pf_idset_has(&ids->used, PF_KEY_PID(real))) pid = (uint32_t)real;
    else pid = pf_id_synth(ids);
    if (!pf_idset_add(&ids->used, PF_KEY_PID(pid))) return -ERR_NOMEM;

    char name[768], params[512], desc[1024], shift[128] = "";
    pf_varying_params(params, sizeof params, rec, r);
    if (rec->nruns > 1)
        snprintf(name, sizeof name, "run %u: %s (%s%s)", r + 1, pf_s(run->scenario), pf_s(run->backend), params);
    else
        snprintf(name, sizeof name, "%s (%s%s)", pf_s(run->scenario), pf_s(run->backend), params);
    if (run->t_start != pr->t_first) {
        char d1[32];
        fmt_dur(d1, sizeof d1, run->t_start - pr->t_first);
        snprintf(shift, sizeof shift, "; times shifted back by %s to line up with run 1", d1);
    }
    char mk[32];
    fmt_dur(mk, sizeof mk, makespan);
    snprintf(desc, sizeof desc, "weft run %u of %u: backend %s, seed %" PRIu64 ", %s; makespan %s, ended %s%s%s",
             r + 1, rec->nruns, pf_s(run->backend), run->seed, pf_s(run->machine), mk,
             trc_run_end_name(run->end_reason), run->lost ? " (events were lost)" : "", shift);

    if (!pf_need(o, 128 + strlen(name) + strlen(desc))) return o->err;
    p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pr->uuid0);
    *p++ = TD_PROCESS;
    p = pb_open(p, &len_at);
    *p++ = PD_PID;
    p = pb_var(p, pid);
    p = pf_field_str(p, PD_NAME, name);
    p = pb_close(len_at, p);
    *p++ = TD_RANK;
    p = pb_var(p, r + 1);
    p = pf_field_str(p, TD_DESCRIPTION, desc);
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);
    pr->pid = pid;
    return o->err;
}

int pf_descriptors(pf_run *pr, pf_ids *ids) {
    pf_out *o = pr->o;
    const trc_run *run = pr->run;
    const trc_model *m = pr->m;
    uint32_t pid = pr->pid;
    uint8_t *p, *pkt_len, *td_len, *len_at;

    /* units */
    uint8_t *group_done = calloc((size_t)run->nunits + 1, 1);
    if (!group_done) return -ERR_NOMEM;
    for (uint32_t u = 0; u < run->nunits; u++) {
        const trc_unit *un = &run->units[u];
        const char *uname = pf_s(un->name);
        if (un->kind == TRC_UNIT_TASK) {
            /* the loop: the nearest ancestor that is not a task */
            uint32_t g = un->parent, hops = 0;
            while (g < run->nunits && run->units[g].kind == TRC_UNIT_TASK && hops++ < run->nunits)
                g = run->units[g].parent;
            if (g >= run->nunits || run->units[g].kind == TRC_UNIT_TASK) g = run->nunits;
            if (!group_done[g]) {
                group_done[g] = 1;
                const char *lname = g < run->nunits ? pf_s(run->units[g].name) : "";
                if (!pf_need(o, 128 + strlen(lname))) break;
                p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_group(pr, g));
                *p++ = TD_PARENT;
                p = pb_var(p, g < run->nunits ? pf_uuid_unit(pr, g) : pr->uuid0);
                *p++ = TD_NAME;
                if (g < run->nunits) {
                    static const char pre[] = "tasks on ";
                    p = pb_open(p, &len_at);
                    memcpy(p, pre, sizeof pre - 1);
                    p += sizeof pre - 1;
                    memcpy(p, lname, strlen(lname));
                    p = pb_close(len_at, p + strlen(lname));
                } else {
                    p = pb_str(p, "tasks", 5);
                }
                *p++ = TD_CHILD_ORDERING;
                *p++ = ORDER_EXPLICIT;
                *p++ = TD_MERGE;
                *p++ = MERGE_NONE;
                p = pf_td_close(p, pkt_len, td_len);
                o->n = (size_t)(p - o->buf);
            }
            if (!pf_need(o, 128 + strlen(uname))) break;
            p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_unit(pr, u));
            *p++ = TD_PARENT;
            p = pb_var(p, pf_uuid_group(pr, g));
            p = pf_field_str(p, TD_NAME, uname);
            *p++ = TD_RANK;
            p = pb_var(p, u);
            *p++ = TD_MERGE;
            *p++ = MERGE_NONE;
            p = pf_td_close(p, pkt_len, td_len);
            o->n = (size_t)(p - o->buf);
            continue;
        }
        uint32_t tid = 0;
        /* a process unit made during the run has its pid in its PROC_START (the model's pid) */
        int32_t rt = un->tid > 0 ? un->tid : un->pid > 0 ? un->pid : m->units[u].pid > 0 ? m->units[u].pid : 0;
        if (rt > 0 && !pf_idset_has(&ids->used, PF_KEY_TID(rt))) tid = (uint32_t)rt;
        else tid = pf_id_synth(ids);
        if (!pf_idset_add(&ids->used, PF_KEY_TID(tid))) { free(group_done); return -ERR_NOMEM; }
        if (!pf_need(o, 128 + strlen(uname))) break;
        p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_unit(pr, u));
        *p++ = TD_THREAD;
        p = pb_open(p, &len_at);
        *p++ = THD_PID;
        p = pb_var(p, pid);
        *p++ = THD_TID;
        p = pb_var(p, tid);
        p = pf_field_str(p, THD_NAME, uname);
        p = pb_close(len_at, p);
        *p++ = TD_RANK;
        p = pb_var(p, u);
        p = pf_td_close(p, pkt_len, td_len);
        o->n = (size_t)(p - o->buf);
    }
    free(group_done);
    if (o->err) return o->err;

    /* event loops: counters of the tasks ready at each tick and of the lag, on the loop's track */
    for (uint32_t u = 0; u < run->nunits && !o->err; u++) {
        if (run->units[u].kind != TRC_UNIT_LOOP || !m->units[u].ticks) continue;
        static const char *const what[2][4] = {
            { " ready", "tasks", "ready tasks", "tasks ready to run at each iteration of the loop (its ready list)" },
            { " lag", "ns", "loop lag", "how late the loop fired the deadlines that came since its last iteration "
                                        "(a task blocking the loop makes it grow)" } };
        for (uint32_t k = 0; k < 2; k++) {
            const char *uname = pf_s(run->units[u].name);
            size_t un = strlen(uname), sn = strlen(what[k][0]);
            if (!pf_need(o, 256 + 2 * (un + sn) + strlen(what[k][3]))) break;
            p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, pf_uuid_loop(pr, u, k));
            *p++ = TD_PARENT;
            p = pb_var(p, pf_uuid_unit(pr, u));
            *p++ = TD_NAME;
            p = pb_open(p, &len_at);
            memcpy(p, uname, un);
            memcpy(p + un, what[k][0], sn);
            p = pb_close(len_at, p + un + sn);
            *p++ = TD_COUNTER;
            p = pb_open(p, &len_at);
            *p++ = CD_UNIT;
            *p++ = k ? COUNTER_UNIT_TIME_NS : COUNTER_UNIT_COUNT;
            if (!k) p = pf_field_str(p, CD_UNIT_NAME, what[k][1]);
            p = pf_field_str(p, CD_SHARE_KEY, what[k][2]);
            p = pb_close(len_at, p);
            *p++ = TD_MERGE;
            *p++ = MERGE_NONE;
            p = pf_field_str(p, TD_DESCRIPTION, what[k][3]);
            p = pf_td_close(p, pkt_len, td_len);
            o->n = (size_t)(p - o->buf);
        }
    }
    if (o->err) return o->err;

    /* objects */
    for (uint32_t ob = 0; ob < run->nobjects && !o->err; ob++) {
        const trc_object *obj = &run->objects[ob];
        const trc_object_track *ot = &m->objects[ob];
        char d2[160];
        if (obj->kind == TRC_OBJ_QUEUE || ot->ndepth) {
            if (obj->capacity > 0) snprintf(d2, sizeof d2, "items in the queue; capacity %" PRId64, obj->capacity);
            else snprintf(d2, sizeof d2, "items in the queue; unbounded");
            pf_desc_track(pr, pf_uuid_depth(pr, ob), ob, " depth", "items", "queue depth", d2, MERGE_NONE);
        }
        bool owner_done = pr->own && pr->own[ob].desc;   /* streamed: described before its first slice */
        if (obj->kind == TRC_OBJ_GIL) {
            if (!owner_done) pf_desc_owner(pr, ob);
            pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " waiting", "units", NULL,
                          "units waiting for the GIL (between their request and their acquisition)", MERGE_NONE);
        } else if ((obj->kind == TRC_OBJ_LOCK || obj->kind == TRC_OBJ_RLOCK || ot->nowners) && !owner_done) {
            pf_desc_owner(pr, ob);
        }
        if (ot->nlevel) {
            switch (obj->kind) {
            case TRC_OBJ_SEMAPHORE:
                snprintf(d2, sizeof d2, "permits taken; %" PRId64 " permits in all", obj->capacity);
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " permits in use", "permits", "permits in use", d2,
                              MERGE_NONE);
                break;
            case TRC_OBJ_RWLOCK:
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " readers", "readers", "readers",
                              "units holding it for reading", MERGE_NONE);
                break;
            case TRC_OBJ_COUNTER:
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " value", "value", NULL,
                              "the value after each write (from the first read if a read came first); "
                              "'lost update' instants mark writes that overwrote others", MERGE_NONE);
                break;
            case TRC_OBJ_BARRIER:
                snprintf(d2, sizeof d2, "units arrived in the current generation; %" PRId64 " parties",
                         obj->capacity);
                pf_desc_track(pr, pf_uuid_level(pr, ob), ob, " arrived", "units", "arrived", d2, MERGE_NONE);
                break;
            default: break;
            }
        }
        if (obj->kind == TRC_OBJ_EVENT && ot->nset_spans)
            pf_desc_track(pr, pf_uuid_setspan(pr, ob), ob, " set", NULL, NULL,
                          "one slice from each SET to the next CLEAR, named after the unit that set it", MERGE_NONE);
        if (obj->kind == TRC_OBJ_POOL && ot->nfutures) {
            uint32_t nl = pr->lane0[ob + 1] - pr->lane0[ob];
            snprintf(d2, sizeof d2, "one slice per future, from submit to done (nested: pending, running), "
                                    "%" PRId64 " workers; %u lanes shown as one", obj->capacity, nl);
            for (uint32_t l = 0; l < nl; l++)
                pf_desc_track(pr, pf_uuid_lane(pr, pr->lane0[ob] + l), ob, " futures", NULL, NULL, d2, MERGE_BY_KEY);
        }
    }
    return o->err;
}

void pf_desc_plain(pf_run *pr, uint64_t uuid, const char *name, const char *unit, const char *desc) {
    pf_desc_counter(pr, uuid, name, COUNTER_UNIT_COUNT, unit, desc);
}

void pf_desc_counter(pf_run *pr, uint64_t uuid, const char *name, int cunit, const char *unit, const char *desc) {
    pf_out *o = pr->o;
    if (!pf_need(o, 160 + strlen(name) + strlen(desc) + (unit ? strlen(unit) : 0))) return;
    uint8_t *pkt_len, *td_len, *len_at;
    uint8_t *p = pf_td_open(o->buf + o->n, &pkt_len, &td_len, uuid);
    *p++ = TD_PARENT;
    p = pb_var(p, pr->uuid0);
    p = pf_field_str(p, TD_NAME, name);
    if (unit) {
        *p++ = TD_COUNTER;
        p = pb_open(p, &len_at);
        *p++ = CD_UNIT;
        *p++ = (uint8_t)cunit;
        if (cunit == COUNTER_UNIT_COUNT) p = pf_field_str(p, CD_UNIT_NAME, unit);   /* a known unit needs no name */
        p = pb_close(len_at, p);
    }
    *p++ = TD_MERGE;
    *p++ = MERGE_NONE;
    p = pf_field_str(p, TD_DESCRIPTION, desc);
    p = pf_td_close(p, pkt_len, td_len);
    o->n = (size_t)(p - o->buf);
}
