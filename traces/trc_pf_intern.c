/* Perfetto export: interned names. Fixed iids for states, units and the
 * per-object names; names made up at export time ("notify cv") get iids from
 * dyn_base up. Each is defined on a sequence the first time it is used there. */
#include "traces/trc_pf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *const pf_dn_names[DN__COUNT] = { "", "object", "outcome", "item", "exit", "future", "seq",
                                             "woken", "generation", "value", "lost", "unfinished", "depth",
                                             "op", "waits for", "cycle", "waited", "unit" };
const char *const pf_exit_text[7] = { "exited", "aborted", "still running at the end",
                                      "killed (a daemon cut off at exit)", "died of an error it did not catch",
                                      "unknown (its last events were lost)", "cancelled" };

static uint64_t pf_str_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The iid of a made-up name (copied on first use); 0 when out of memory. */
uint32_t pf_dyn_iid(pf_run *pr, const char *name) {
    pf_dyn *d = &pr->dyn;
    if (pr->nomem) return 0;
    if ((d->n + 1) * 2 > d->cap_slot) {
        uint32_t cap = d->cap_slot ? d->cap_slot * 2 : 64;
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!slot) { pr->nomem = 1; return 0; }
        for (uint32_t i = 0; i < d->n; i++) {
            uint32_t h = (uint32_t)pf_str_hash(d->text + d->off[i]) & (cap - 1);
            while (slot[h]) h = (h + 1) & (cap - 1);
            slot[h] = i + 1;
        }
        free(d->slot);
        d->slot = slot;
        d->cap_slot = cap;
    }
    uint32_t h = (uint32_t)pf_str_hash(name) & (d->cap_slot - 1);
    for (; d->slot[h]; h = (h + 1) & (d->cap_slot - 1))
        if (strcmp(d->text + d->off[d->slot[h] - 1], name) == 0) return pr->dyn_base + d->slot[h] - 1;
    size_t len = strlen(name) + 1;
    uint32_t iid = pr->dyn_base + d->n;
    if (iid + 1 > pr->name_cap) {
        size_t cap = pr->name_cap * 2 > (size_t)iid + 1 ? pr->name_cap * 2 : (size_t)iid + 1;
        uint32_t *nd = realloc(pr->name_done, cap * sizeof *nd);
        if (!nd) { pr->nomem = 1; return 0; }
        memset(nd + pr->name_cap, 0, (cap - pr->name_cap) * sizeof *nd);
        pr->name_done = nd;
        pr->name_cap = cap;
    }
    if (d->ntext + len > d->cap_text) {
        size_t cap = d->cap_text * 2 > d->ntext + len ? d->cap_text * 2 : d->ntext + len + 4096;
        char *t = realloc(d->text, cap);
        if (!t) { pr->nomem = 1; return 0; }
        d->text = t;
        d->cap_text = cap;
    }
    if (d->n + 1 > d->cap_off) {
        size_t cap = d->cap_off ? d->cap_off * 2 : 64;
        size_t *off = realloc(d->off, cap * sizeof *off);
        if (!off) { pr->nomem = 1; return 0; }
        d->off = off;
        d->cap_off = cap;
    }
    memcpy(d->text + d->ntext, name, len);
    d->off[d->n] = d->ntext;
    d->ntext += len;
    d->slot[h] = ++d->n;
    return iid;
}

void pf_dyn_free(pf_dyn *d) {
    free(d->text);
    free(d->off);
    free(d->slot);
}

/* printf into a name, then intern it. */
uint32_t pf_dyn_fmt(pf_run *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint32_t pf_dyn_fmt(pf_run *pr, const char *fmt, ...) {
    char name[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return pf_dyn_iid(pr, name);
}


static uint8_t *pf_name_text(const pf_run *pr, uint8_t *p, uint32_t iid) {
    uint8_t *len_at;
    p = pb_open(p, &len_at);
    const char *a = NULL;
    if (iid >= pr->dyn_base) {
        a = pr->dyn.text + pr->dyn.off[iid - pr->dyn_base];
    } else if (iid <= TRC_ST__COUNT) {
        a = trc_state_name(iid - 1);
    } else if (iid < IID_OBJ(pr, 0, 0)) {
        a = pf_s(pr->run->units[iid - IID_UNIT(pr, 0)].name);
    } else {
        uint32_t rel = iid - IID_OBJ(pr, 0, 0), o = rel / 8, k = rel % 8;
        static const char *const verb[8] = { "blocked on ", "blocked on ", "blocked on ", "blocked on ",
                                             "put ", "get ", "release ", "acquire " };
        size_t n = strlen(verb[k]);
        memcpy(p, verb[k], n);
        p += n;
        const char *on = pf_obj_name(pr, o);
        n = strlen(on);
        memcpy(p, on, n);
        p += n;
        if (k >= 1 && k <= 3) {
            const char *op = trc_op_name(k);
            *p++ = ' ';
            *p++ = '(';
            n = strlen(op);
            memcpy(p, op, n);
            p += n;
            *p++ = ')';
        }
    }
    if (a) {
        size_t n = strlen(a);
        memcpy(p, a, n);
        p += n;
    }
    return pb_close(len_at, p);
}

uint8_t *pf_intern_name(const pf_run *pr, uint8_t *p, uint32_t iid) {
    uint8_t *len_at;
    *p++ = ID_EVENT_NAME;
    p = pb_open(p, &len_at);
    *p++ = EN_IID;
    p = pb_var(p, iid);
    *p++ = EN_NAME;
    p = pf_name_text(pr, p, iid);
    return pb_close(len_at, p);
}

uint8_t *pf_intern_dn(uint8_t *p, uint32_t iid) {
    uint8_t *len_at;
    *p++ = ID_ANNOT_NAME;
    p = pb_open(p, &len_at);
    *p++ = EN_IID;
    p = pb_var(p, iid);
    *p++ = EN_NAME;
    p = pb_str(p, pf_dn_names[iid], strlen(pf_dn_names[iid]));
    return pb_close(len_at, p);
}

uint8_t *pf_intern_sv(const pf_run *pr, uint8_t *p, uint32_t iid) {
    const char *s;
    if (iid < SV_OUTCOME(pr, 0)) s = pf_obj_name(pr, iid - SV_OBJ(0));
    else if (iid < SV_EXIT(pr, 0)) s = trc_outcome_name(iid - SV_OUTCOME(pr, 0));
    else s = pf_exit_text[iid - SV_EXIT(pr, 0)];
    uint8_t *len_at;
    *p++ = ID_ANNOT_STR_0;
    *p++ = 0x01;
    p = pb_open(p, &len_at);
    *p++ = EN_IID;
    p = pb_var(p, iid);
    *p++ = EN_NAME;          /* InternedString.str = 2, same tag */
    p = pb_str(p, s, strlen(s));
    return pb_close(len_at, p);
}
