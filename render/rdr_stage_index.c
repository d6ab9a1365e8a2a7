/* Interval sets for the stage: "which intervals contain time t", answered in
 * O(log n + what is listed), for the waiters of an object, the items in a
 * queue, the holders of a semaphore, the futures of a pool.
 *
 * The intervals are sorted by start. Those live at t all start at or before t,
 * so they lie in the prefix iv[0 .. p) with p = the first start after t. A max
 * tree over blocks of RDR_IV_BLOCK intervals (the latest end in each block)
 * skips every block whose intervals all ended by t, so listing k live ones
 * reads O(k) blocks. Counting them needs no listing: (starts <= t) - (ends <= t),
 * two binary searches, the ends kept sorted apart. */
#include "render/rdr_internal.h"

#include <stdlib.h>
#include <string.h>

int rdr_iv_cmp(const void *a, const void *b) {
    const rdr_iv *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    if (x->t1 != y->t1) return x->t1 < y->t1 ? -1 : 1;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

/* Natural merge sorts: the input is a few sorted runs (each unit's waits come
 * in time order, one unit after another), so merging the runs pairwise costs
 * O(n log runs) where a general sort would cost O(n log n). */
static void merge_iv(rdr_iv *a, size_t n) {
    rdr_iv *tmp = xmalloc(n * sizeof *tmp), *src = a, *dst = tmp;
    for (;;) {
        size_t runs = 0;
        for (size_t i = 0; i < n;) {
            size_t m = i + 1;
            while (m < n && rdr_iv_cmp(&src[m - 1], &src[m]) <= 0) m++;
            size_t e = m;
            if (m < n) {
                e = m + 1;
                while (e < n && rdr_iv_cmp(&src[e - 1], &src[e]) <= 0) e++;
            }
            size_t x = i, y = m, k = i;
            while (x < m && y < e) dst[k++] = rdr_iv_cmp(&src[y], &src[x]) < 0 ? src[y++] : src[x++];
            while (x < m) dst[k++] = src[x++];
            while (y < e) dst[k++] = src[y++];
            runs++;
            i = e;
        }
        rdr_iv *t = src; src = dst; dst = t;
        if (runs <= 1) break;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    free(tmp);
}

static void merge_u64(uint64_t *a, size_t n) {
    uint64_t *tmp = xmalloc(n * sizeof *tmp), *src = a, *dst = tmp;
    for (;;) {
        size_t runs = 0;
        for (size_t i = 0; i < n;) {
            size_t m = i + 1;
            while (m < n && src[m - 1] <= src[m]) m++;
            size_t e = m;
            if (m < n) {
                e = m + 1;
                while (e < n && src[e - 1] <= src[e]) e++;
            }
            size_t x = i, y = m, k = i;
            while (x < m && y < e) dst[k++] = src[y] < src[x] ? src[y++] : src[x++];
            while (x < m) dst[k++] = src[x++];
            while (y < e) dst[k++] = src[y++];
            runs++;
            i = e;
        }
        uint64_t *t = src; src = dst; dst = t;
        if (runs <= 1) break;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    free(tmp);
}

void rdr_ivset_build(rdr_ivset *s, rdr_iv *iv, size_t n) {
    memset(s, 0, sizeof *s);
    s->iv = iv;
    s->n = n;
    if (!n) return;
    for (size_t i = 0; i < n; i++)
        if (iv[i].t1 < iv[i].t0) iv[i].t1 = iv[i].t0;
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) sorted = rdr_iv_cmp(&iv[i - 1], &iv[i]) <= 0;
    if (!sorted) merge_iv(iv, n);
    s->t1s = xmalloc(n * sizeof *s->t1s);
    bool t1_sorted = true;
    for (size_t i = 0; i < n; i++) {
        s->t1s[i] = iv[i].t1;
        if (i && s->t1s[i] < s->t1s[i - 1]) t1_sorted = false;
    }
    if (!t1_sorted) merge_u64(s->t1s, n);
    size_t nb = (n + RDR_IV_BLOCK - 1) / RDR_IV_BLOCK, nb2 = 1;
    while (nb2 < nb) nb2 *= 2;
    s->nb2 = nb2;
    s->tree = xcalloc(2 * nb2, sizeof *s->tree);
    for (size_t i = 0; i < n; i++) {
        uint64_t *leaf = &s->tree[nb2 + i / RDR_IV_BLOCK];
        if (iv[i].t1 > *leaf) *leaf = iv[i].t1;
    }
    for (size_t k = nb2; k-- > 1;) s->tree[k] = s->tree[2 * k] > s->tree[2 * k + 1] ? s->tree[2 * k] : s->tree[2 * k + 1];
}

void rdr_ivset_adopt(rdr_ivset *s, rdr_iv *iv, uint64_t *t1s, size_t n) {
    memset(s, 0, sizeof *s);
    s->iv = iv;
    s->n = n;
    s->t1s = t1s;
    if (!n) { free(t1s); s->t1s = NULL; return; }
    size_t nb = (n + RDR_IV_BLOCK - 1) / RDR_IV_BLOCK, nb2 = 1;
    while (nb2 < nb) nb2 *= 2;
    s->nb2 = nb2;
    s->tree = xcalloc(2 * nb2, sizeof *s->tree);
    for (size_t i = 0; i < n; i++) {
        uint64_t *leaf = &s->tree[nb2 + i / RDR_IV_BLOCK];
        if (iv[i].t1 > *leaf) *leaf = iv[i].t1;
    }
    for (size_t k = nb2; k-- > 1;) s->tree[k] = s->tree[2 * k] > s->tree[2 * k + 1] ? s->tree[2 * k] : s->tree[2 * k + 1];
}

void rdr_ivset_release(rdr_ivset *s) {
    free(s->iv);
    free(s->t1s);
    free(s->tree);
    memset(s, 0, sizeof *s);
}

/* First interval starting after t. */
size_t rdr_ivset_upper(const rdr_ivset *s, uint64_t t) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->iv[mid].t0 <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

size_t rdr_ivset_count(const rdr_ivset *s, uint64_t t) {
    if (!s->n) return 0;
    size_t started = rdr_ivset_upper(s, t);
    size_t lo = 0, hi = s->n;   /* ends <= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t1s[mid] <= t) lo = mid + 1; else hi = mid;
    }
    return started > lo ? started - lo : 0;
}

/* Walks the tree in block order (or backwards), listing live intervals of the
 * prefix [0, p) until max are listed. */
static size_t ivset_walk(const rdr_ivset *s, uint64_t t, size_t p, uint32_t *out, size_t max, bool newest) {
    size_t k = 0;
    if (!p || !max) return 0;
    size_t last_block = (p - 1) / RDR_IV_BLOCK;
    struct { size_t node, lo, hi; } stack[72];
    int sp = 0;
    stack[sp++].node = 1;
    stack[0].lo = 0;
    stack[0].hi = s->nb2;
    while (sp && k < max) {
        sp--;
        size_t node = stack[sp].node, lo = stack[sp].lo, hi = stack[sp].hi;
        if (lo > last_block || s->tree[node] <= t) continue;
        if (hi - lo == 1) {
            size_t a = lo * RDR_IV_BLOCK, b = a + RDR_IV_BLOCK;
            if (b > p) b = p;
            if (!newest) {
                for (size_t i = a; i < b && k < max; i++)
                    if (s->iv[i].t1 > t) out[k++] = (uint32_t)i;
            } else {
                for (size_t i = b; i-- > a && k < max;)
                    if (s->iv[i].t1 > t) out[k++] = (uint32_t)i;
            }
            continue;
        }
        size_t mid = lo + (hi - lo) / 2;
        /* pushed in reverse of the visiting order */
        if (!newest) {
            stack[sp].node = 2 * node + 1; stack[sp].lo = mid; stack[sp].hi = hi; sp++;
            stack[sp].node = 2 * node; stack[sp].lo = lo; stack[sp].hi = mid; sp++;
        } else {
            stack[sp].node = 2 * node; stack[sp].lo = lo; stack[sp].hi = mid; sp++;
            stack[sp].node = 2 * node + 1; stack[sp].lo = mid; stack[sp].hi = hi; sp++;
        }
    }
    return k;
}

size_t rdr_ivset_list(const rdr_ivset *s, uint64_t t, uint32_t *out, size_t max) {
    return s->n ? ivset_walk(s, t, rdr_ivset_upper(s, t), out, max, false) : 0;
}

size_t rdr_ivset_list_newest(const rdr_ivset *s, uint64_t t, uint32_t *out, size_t max) {
    return s->n ? ivset_walk(s, t, rdr_ivset_upper(s, t), out, max, true) : 0;
}

uint32_t rdr_ivset_max_live(const rdr_ivset *s) {
    /* a sweep over starts and ends, both sorted */
    uint32_t live = 0, best = 0;
    size_t i = 0, j = 0;
    while (i < s->n) {
        if (j < i && s->t1s[j] <= s->iv[i].t0) { live--; j++; continue; }
        live++;
        i++;
        if (live > best) best = live;
    }
    return best;
}
