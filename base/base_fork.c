/* Mutexes held across fork(): a background thread that allocates under its
 * own mutex (the recorder's drain, the kernel-switch reader) registers it here,
 * and every fork() of the process first takes each registered mutex, then
 * gives them back in the parent and in the child.
 *
 * Why: a process forked while another thread is inside the allocator inherits
 * the allocator's lock held by a thread that does not exist in the child, and
 * the child's first allocation (a thread it starts, say) hangs for ever.
 * glibc's malloc guards its own locks around fork; AddressSanitizer's
 * allocator (GCC 12's) does not. Taking the mutex makes a fork wait for the
 * pass under way, which allocates only while holding it. */
#include "base/base.h"

#include <pthread.h>

#define FORK_GUARDS 16

static pthread_mutex_t guards_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *guards[FORK_GUARDS];
static pthread_once_t guards_once = PTHREAD_ONCE_INIT;

static void before_fork(void) {
    pthread_mutex_lock(&guards_mu);
    for (int i = 0; i < FORK_GUARDS; i++)
        if (guards[i]) pthread_mutex_lock(guards[i]);
}

static void after_fork(void) {   /* the parent, and the child (its only thread holds them) */
    for (int i = FORK_GUARDS; i-- > 0;)
        if (guards[i]) pthread_mutex_unlock(guards[i]);
    pthread_mutex_unlock(&guards_mu);
}

static void install(void) { pthread_atfork(before_fork, after_fork, after_fork); }

bool fork_guard(pthread_mutex_t *mu, bool on) {
    pthread_once(&guards_once, install);
    pthread_mutex_lock(&guards_mu);
    bool done = !on;
    for (int i = 0; i < FORK_GUARDS; i++) {
        if (on && !guards[i] && !done) { guards[i] = mu; done = true; }
        else if (!on && guards[i] == mu) guards[i] = NULL;
    }
    pthread_mutex_unlock(&guards_mu);
    return done;
}

/* A thread's start allocates (AddressSanitizer's thread start reads the
 * thread's attributes into a calloc'ed set) before its function runs: a fork
 * right after pthread_create could catch that allocation half way. So a
 * thread that may be followed by a fork is started here, and this returns
 * once the thread has entered fn. */
typedef struct settled {
    void *(*fn)(void *);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool in;
} settled;

static void *settled_main(void *p) {
    settled *s = p;
    void *(*fn)(void *) = s->fn;
    void *arg = s->arg;
    pthread_mutex_lock(&s->mu);
    s->in = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);   /* s is the creator's: not touched after this */
    return fn(arg);
}

int thread_start(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
    settled s = { .fn = fn, .arg = arg, .in = false };
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    int e = pthread_create(t, attr, settled_main, &s);
    if (!e) {
        pthread_mutex_lock(&s.mu);
        while (!s.in) pthread_cond_wait(&s.cv, &s.mu);
        pthread_mutex_unlock(&s.mu);
    }
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    return e;
}
