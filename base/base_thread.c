/* A background thread of the library's own, and the hand-over of numbered
 * slots from it to the thread that consumes them (base.h, "threads").
 *
 * The hand-over is a ring of n slots between one producer and one consumer.
 * A slot is free, being filled (the producer's, between put_begin and
 * put_end), ready (filled, not yet taken) or in use (the consumer's, between
 * get_begin and get_end); slots go round in order. Both sides wait on a
 * condition variable under one mutex, never spinning: the producer while every
 * slot is ready or in use, the consumer while none is ready. A side signals
 * the other only when that one is waiting, so a hand-over where neither waits
 * is a lock and an unlock.
 *
 * The consumer may stop at any time (cancel): a producer waiting for a slot
 * wakes up, and its next put_begin says stop. The producer says when nothing
 * more comes (close): a consumer waiting wakes up, and gets what is ready,
 * then the end.
 */
#include "base/base.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

/* ---- the thread ------------------------------------------------------------ */

struct bg_thread {
    pthread_t t;
    void (*fn)(void *);
    void *arg;
};

static void *bg_main(void *p) {
    bg_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

int bg_thread_start(bg_thread **out, void (*fn)(void *), void *arg) {
    *out = NULL;
    bg_thread *t = malloc(sizeof *t);
    if (!t) return -ERR_NOMEM;
    t->fn = fn;
    t->arg = arg;
    /* with every signal blocked: they go to the program's own threads (its
     * handlers, a SIGINT that ends a command) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&t->t, NULL, bg_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) {
        free(t);
        return -ERR_RUNTIME;
    }
    *out = t;
    return 0;
}

void bg_thread_join(bg_thread *t) {
    if (!t) return;
    pthread_join(t->t, NULL);
    free(t);
}

/* ---- the hand-over ----------------------------------------------------------- */

struct handoff {
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    unsigned n;
    unsigned put, get;       /* the next slot to fill, to take (mod n) */
    unsigned ready;          /* filled, not taken */
    unsigned used;           /* ready or in use: not free */
    bool held;               /* the consumer holds a slot (in use) */
    bool closed, cancelled;
    bool put_waits, get_waits;
};

handoff *handoff_new(unsigned n) {
    if (!n) return NULL;
    handoff *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->n = n;
    if (pthread_mutex_init(&h->mu, NULL)) { free(h); return NULL; }
    if (pthread_cond_init(&h->can_put, NULL)) {
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    if (pthread_cond_init(&h->can_get, NULL)) {
        pthread_cond_destroy(&h->can_put);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    return h;
}

void handoff_free(handoff *h) {
    if (!h) return;
    pthread_cond_destroy(&h->can_get);
    pthread_cond_destroy(&h->can_put);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int handoff_put_begin(handoff *h) {
    pthread_mutex_lock(&h->mu);
    while (h->used == h->n && !h->cancelled) {
        h->put_waits = true;
        pthread_cond_wait(&h->can_put, &h->mu);
        h->put_waits = false;
    }
    int s = h->cancelled ? -1 : (int)h->put;
    pthread_mutex_unlock(&h->mu);
    return s;
}

void handoff_put_end(handoff *h) {
    pthread_mutex_lock(&h->mu);
    h->put = (h->put + 1) % h->n;
    h->ready++;
    h->used++;
    if (h->get_waits) pthread_cond_signal(&h->can_get);
    pthread_mutex_unlock(&h->mu);
}

void handoff_close(handoff *h) {
    pthread_mutex_lock(&h->mu);
    h->closed = true;
    if (h->get_waits) pthread_cond_signal(&h->can_get);
    pthread_mutex_unlock(&h->mu);
}

/* Gives back the slot the consumer holds; under the mutex. */
static void give_back(handoff *h) {
    if (!h->held) return;
    h->held = false;
    h->used--;
    if (h->put_waits) pthread_cond_signal(&h->can_put);
}

int handoff_get(handoff *h) {
    pthread_mutex_lock(&h->mu);
    give_back(h);
    while (!h->ready && !h->closed) {
        h->get_waits = true;
        pthread_cond_wait(&h->can_get, &h->mu);
        h->get_waits = false;
    }
    int s = -1;
    if (h->ready) {
        s = (int)h->get;
        h->get = (h->get + 1) % h->n;
        h->ready--;
        h->held = true;
    }
    pthread_mutex_unlock(&h->mu);
    return s;
}

void handoff_cancel(handoff *h) {
    pthread_mutex_lock(&h->mu);
    give_back(h);
    h->cancelled = true;
    if (h->put_waits) pthread_cond_signal(&h->can_put);
    pthread_mutex_unlock(&h->mu);
}
