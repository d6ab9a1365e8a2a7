/* The flows' sort (trc_flows_sort in trc.h). The builder appends a flow when it
 * closes (a GET, an ACQUIRE, a WAIT_END...), so flows come in the order of
 * their ends, t1, while they are sorted by their starts, t0. A FIFO queue's
 * items, one object's hand-offs and wakes each come out by t0; where they mix,
 * a few flows are out of place: a hand-off whose release came after the puts
 * of the items got next ("high"), an item put long before the hand-offs just
 * made ("low"). One pass keeps every flow that is not below the last one kept
 * and not above the next one (so a single high flow does not hold back the
 * ones after it) and closes them up in order, and moves the others out; when
 * they are few (a quarter at most), they are sorted the same
 * way (they are often in order among themselves: one lock's hand-offs), and
 * merged back from the back. A million flows are 72 MB: a sort with a copy of
 * them all (qsort) would double the model's peak; the heap sort kept as the
 * fallback (a LIFO or priority queue's items, adversarial orders) copies
 * nothing but costs about 12 % of a whole `weft stats` on a busy queue. */
#include "traces/trc.h"
#include "traces/trc_model_internal.h"

#include <stdlib.h>
#include <string.h>

#define flow_lt trc__flow_lt

void trc__flows_merge_back(trc_flow *v, size_t k, const trc_flow *tail, size_t j) {
    size_t o = k + j;
    while (j > 0) {
        if (k > 0 && flow_lt(&tail[j - 1], &v[k - 1])) v[--o] = v[--k];
        else v[--o] = tail[--j];
    }
}

static void flow_sift(trc_flow *v, size_t n, size_t i) {
    trc_flow x = v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && flow_lt(&v[c], &v[c + 1])) c++;
        if (!flow_lt(&x, &v[c])) break;
        v[i] = v[c];
        i = c;
    }
    v[i] = x;
}

static void heap_sort(trc_flow *v, size_t n) {
    for (size_t i = n / 2; i-- > 0;) flow_sift(v, n, i);
    for (size_t k = n; k-- > 1;) {
        trc_flow t = v[0];
        v[0] = v[k];
        v[k] = t;
        flow_sift(v, k, 0);
    }
}

/* Whether v[i] stays, given the key of the last flow kept (none: first). */
static inline bool stays(const trc_flow *v, size_t n, size_t i, bool any, uint64_t last_t0, uint64_t last_id) {
    const trc_flow *x = &v[i];
    if (any && (x->t0 < last_t0 || (x->t0 == last_t0 && x->id < last_id))) return false;   /* below the last kept */
    return i + 1 == n || !flow_lt(&v[i + 1], x);                                           /* not above the next */
}

void trc_flows_sort(trc_flow *v, size_t n) {
    if (n < 2) return;
    /* one pass: the flows that stay close up (v[i] and v[i + 1] are read before anything lands on
     * them: w <= i), the others go to the tail; past a quarter of them, a heap sort instead */
    trc_flow *tail = NULL;
    size_t w = 0, j = 0, cap = 0, i = 0;
    bool any = false;
    uint64_t t0 = 0, id = 0;
    for (; i < n; i++) {
        if (stays(v, n, i, any, t0, id)) {
            any = true;
            t0 = v[i].t0;
            id = v[i].id;
            if (w != i) v[w] = v[i];
            w++;
        } else {
            if (j >= n / 4) break;
            ARR_PUSH(tail, j, cap, v[i]);
        }
    }
    if (i < n) {      /* too many out of place: the tail goes back into the gap it left (w + j == i) */
        if (j) memcpy(v + w, tail, j * sizeof *tail);
        free(tail);
        heap_sort(v, n);
        return;
    }
    if (!j) return;   /* in order already */
    trc_flows_sort(tail, j);
    trc__flows_merge_back(v, w, tail, j);   /* w + j == n */
    free(tail);
}
