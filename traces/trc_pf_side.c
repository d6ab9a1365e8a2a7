/* Perfetto export: the counter sample sequences (queue depths, levels, an
 * event loop's series) encoded on a helper thread while the writer's thread
 * encodes everything else. On a busy run they are half the trace's packets
 * and need nothing of the rest: each is a sequence of its own, no interned
 * names, no flows, the model read-only by then.
 *
 * The helper encodes into blocks of PF_BLOCK bytes (whole packets) and hands
 * each full one to the writer (base's handoff, PF_SIDE_SLOTS of them). Only
 * the writer writes the file: after each block of its own it writes one of
 * the helper's, waiting for it if need be, and at the end every one left. So
 * the file is the two block streams interleaved one for one, and since each
 * stream's blocks end where its own packets filled them, the bytes are the
 * same on every export of the recording, however the threads ran. Every
 * sequence's packets stay in order (SPEC 3.1); the counter tracks take no
 * part in the order between sequences (flows: trc_pf_flows.c), so the trace
 * is the one a single thread writes (tests/pfcmp.h).
 *
 * A write error stops the helper (handoff_cancel): its put waits no more. */
#include "traces/trc_pf_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PF_SIDE_SLOTS 3u

static size_t side_min = 1u << 20;
static bool side_min_set;   /* by trc_pf_helper_min, or read from WEFT_PF_HELPER */

size_t trc_pf_helper_min(size_t samples) {
    size_t old = side_min;
    side_min = samples;
    side_min_set = true;
    return old;
}

/* WEFT_PF_HELPER: "0" the helper always (for comparisons: every trace through it), "off" never,
 * a number the threshold; else the default. */
static size_t side_threshold(void) {
    if (!side_min_set) {
        const char *e = getenv("WEFT_PF_HELPER");
        char *end;
        if (e && !strcmp(e, "off")) side_min = SIZE_MAX;
        else if (e && *e >= '0' && *e <= '9') {
            unsigned long long v = strtoull(e, &end, 10);
            if (!*end) side_min = (size_t)v;
        }
        side_min_set = true;
    }
    return side_min;
}

typedef struct pf_side {
    handoff *h;
    bg_thread *t;
    uint8_t *slot[PF_SIDE_SLOTS];
    size_t len[PF_SIDE_SLOTS];
    int cur;                /* the helper's slot being filled */
    bool ended;             /* the writer took the last block */
    const pf_job *jobs;
    size_t njobs;
    pf_out o;               /* the helper's */
    pf_run pr;              /* the helper's copy of the run: its own output and sequence */
} pf_side;

static void side_free(pf_side *s) {
    if (!s) return;
    for (unsigned k = 0; k < PF_SIDE_SLOTS; k++) free(s->slot[k]);
    handoff_free(s->h);
    free(s);
}

bool pf_side_put(pf_out *o) {
    pf_side *s = o->prod;
    s->len[s->cur] = o->n;
    handoff_put_end(s->h);
    int k = handoff_put_begin(s->h);
    o->n = 0;
    if (k < 0) {   /* the writer stopped */
        o->err = -ERR_IO;
        o->buf = NULL;
        return false;
    }
    s->cur = k;
    o->buf = s->slot[k];
    return true;
}

static void side_main(void *arg) {
    pf_side *s = arg;
    int k = handoff_put_begin(s->h);
    if (k >= 0) {
        s->cur = k;
        s->o.buf = s->slot[k];
        for (size_t i = 0; i < s->njobs && !s->o.err; i++)
            pf_samples_on(&s->pr, s->jobs[i].seq, s->jobs[i].track, s->jobs[i].v, s->jobs[i].n);
        if (!s->o.err) {   /* the last block */
            s->len[s->cur] = s->o.n;
            handoff_put_end(s->h);
        }
    }
    handoff_close(s->h);
}

void pf_side_take(pf_out *o) {
    pf_side *s = o->side;
    if (s->ended) return;
    int k = handoff_get(s->h);
    if (k < 0) {
        s->ended = true;
        return;
    }
    if (s->len[k] && fwrite(s->slot[k], 1, s->len[k], o->f) != s->len[k]) {
        o->err = -ERR_IO;
        o->err_no = errno;
    }
}

int pf_side_start(pf_run *pr, pf_job *jobs, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += jobs[i].n;
    /* a packet bound past a block's quarter (names of a quarter MiB): the blocks could not hold it */
    if (!n || total < side_threshold() || pr->slack > PF_BLOCK / 4 || pr->o->side || pr->o->err) return 0;
    pf_side *s = calloc(1, sizeof *s);
    if (!s) return -ERR_NOMEM;
    s->h = handoff_new(PF_SIDE_SLOTS);
    bool ok = s->h != NULL;
    for (unsigned k = 0; k < PF_SIDE_SLOTS && ok; k++) ok = (s->slot[k] = malloc(PF_BLOCK + PF_PAD)) != NULL;
    if (!ok) {
        side_free(s);
        return -ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) jobs[i].seq = (*pr->next_seq)++;
    s->jobs = jobs;
    s->njobs = n;
    s->o = (pf_out){ .cap = PF_BLOCK, .prod = s };
    s->pr = *pr;
    s->pr.o = &s->o;
    s->pr.next_seq = NULL;   /* its sequences are given */
    int rc = bg_thread_start(&s->t, side_main, s);
    if (rc) {   /* no thread: give the ids back, the caller writes the jobs itself */
        *pr->next_seq -= (uint32_t)n;
        side_free(s);
        return rc == -ERR_RUNTIME ? 0 : rc;
    }
    pr->o->side = s;
    return 1;
}

int pf_side_end(pf_run *pr, bool stop) {
    pf_out *o = pr->o;
    pf_side *s = o->side;
    if (!s) return 0;
    if (!stop) {   /* its blocks after ours: our descriptors of its tracks come first */
        pf_flush(o);
        while (!s->ended && !o->err) pf_side_take(o);
    }
    if (!s->ended) handoff_cancel(s->h);   /* a failure: the helper stops at its next block */
    bg_thread_join(s->t);
    int rc = s->o.err && !stop && !o->err ? s->o.err : 0;
    o->side = NULL;
    side_free(s);
    return rc;
}
