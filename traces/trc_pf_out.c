/* Perfetto export: the output block and the generic event packet (the fast
 * paths are inline in trc_pf_internal.h). */
#include "traces/trc_pf_internal.h"

#include <errno.h>
#include <stdlib.h>

bool pf_flush(pf_out *o) {
    if (o->err) return false;
    if (o->prod) return pf_side_put(o);
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) {
        o->err = -ERR_IO;
        o->err_no = errno;
        return false;
    }
    o->n = 0;
    if (o->side) pf_side_take(o);
    return !o->err;
}

bool pf_need_slow(pf_out *o, size_t bound) {
    if (!pf_flush(o)) return false;
    if (bound > o->cap) {
        size_t cap = o->cap * 2 > bound ? o->cap * 2 : bound;
        uint8_t *p = realloc(o->buf, cap + PF_PAD);
        if (!p) { o->err = -ERR_NOMEM; return false; }
        o->buf = p;
        o->cap = cap;
    }
    return true;
}



uint8_t *pb_close_long(uint8_t *len_at, uint8_t *end, size_t len) {
    uint8_t tmp[16];   /* pb_var stores a word */
    size_t k = (size_t)(pb_var(tmp, len) - tmp);
    memmove(len_at + k, len_at + 1, len);
    memcpy(len_at, tmp, k);
    return end + k - 1;
}


uint8_t *pf_event(pf_run *pr, uint8_t *p, const pf_ev *e) {
    uint8_t *pkt_len, *len_at;
    bool uses_iids = e->name_iid || e->nann;
    *p++ = T_PACKET;
    p = pb_open(p, &pkt_len);
    *p++ = TP_TIMESTAMP;
    p = pb_var(p, pr->origin + e->rel);
    *p++ = TP_SEQ_ID;
    p = pb_var(p, pr->seq);
    if (!pr->started) {
        pr->started = true;
        *p++ = TP_SEQ_FLAGS;
        *p++ = SEQ_CLEARED | SEQ_NEEDS;
        *p++ = TP_FIRST_ON_SEQ_0;
        *p++ = TP_FIRST_ON_SEQ_1;
        *p++ = 1;
    } else if (uses_iids) {
        *p++ = TP_SEQ_FLAGS;
        *p++ = SEQ_NEEDS;
    }
    if (uses_iids) {
        bool need = e->name_iid && pr->name_done[e->name_iid] != pr->seq;
        for (unsigned i = 0; i < e->nann; i++)
            need |= pr->dn_done[e->ann[i].dn] != pr->seq || (e->ann[i].str && pr->str_done[e->ann[i].v] != pr->seq);
        if (need) {
            *p++ = TP_INTERNED;
            p = pb_open(p, &len_at);
            if (e->name_iid && pr->name_done[e->name_iid] != pr->seq) {
                pr->name_done[e->name_iid] = pr->seq;
                p = pf_intern_name(pr, p, e->name_iid);
            }
            for (unsigned i = 0; i < e->nann; i++) {
                if (pr->dn_done[e->ann[i].dn] != pr->seq) {
                    pr->dn_done[e->ann[i].dn] = pr->seq;
                    p = pf_intern_dn(p, e->ann[i].dn);
                }
            }
            for (unsigned i = 0; i < e->nann; i++) {
                if (e->ann[i].str && pr->str_done[e->ann[i].v] != pr->seq) {
                    pr->str_done[e->ann[i].v] = pr->seq;
                    p = pf_intern_sv(pr, p, (uint32_t)e->ann[i].v);
                }
            }
            p = pb_close(len_at, p);
        }
    }
    *p++ = TP_TRACK_EVENT;
    uint8_t *te_len;
    p = pb_open(p, &te_len);
    *p++ = TE_TYPE;
    *p++ = e->type;
    *p++ = TE_TRACK;
    p = pb_var(p, e->track);
    if (e->name_iid) {
        *p++ = TE_NAME_IID;
        p = pb_var(p, e->name_iid);
    } else if (e->name) {
        *p++ = TE_NAME_0;
        *p++ = 0x01;
        p = pb_str(p, e->name, strlen(e->name));
    }
    for (unsigned i = 0; i < e->nann; i++) {
        *p++ = TE_ANNOT;
        p = pb_open(p, &len_at);
        *p++ = DA_NAME_IID;
        *p++ = e->ann[i].dn;
        if (e->ann[i].text) {   /* an inline string: DebugAnnotation.string_value = 6 */
            *p++ = DA_STRING;
            p = pb_str(p, e->ann[i].text, strlen(e->ann[i].text));
            p = pb_close(len_at, p);
            continue;
        }
        if (e->ann[i].str) {
            *p++ = DA_STR_IID_0;
            *p++ = 0x01;
        } else if (e->ann[i].sint) {
            *p++ = DA_INT;
        } else {
            *p++ = DA_UINT;
        }
        p = pb_var(p, e->ann[i].v);
        p = pb_close(len_at, p);
    }
    if (e->type == TYPE_COUNTER) {
        *p++ = TE_COUNTER_0;
        *p++ = 0x01;
        p = pb_var(p, (uint64_t)e->counter);
    }
    if (e->flow_out) {
        *p++ = TE_FLOW_0;
        *p++ = TE_FLOW_1;
        p = pb_fixed64(p, e->flow_out);
    }
    if (e->flow_in) {
        *p++ = TE_TFLOW_0;
        *p++ = TE_TFLOW_1;
        p = pb_fixed64(p, e->flow_in);
    }
    for (uint32_t i = 0; i < e->nfouts; i++) {
        *p++ = TE_FLOW_0;
        *p++ = TE_FLOW_1;
        p = pb_fixed64(p, e->fouts[i]);
    }
    for (uint32_t i = 0; i < e->nfins; i++) {
        *p++ = TE_TFLOW_0;
        *p++ = TE_TFLOW_1;
        p = pb_fixed64(p, e->fins[i]);
    }
    p = pb_close(te_len, p);
    return pb_close(pkt_len, p);
}
