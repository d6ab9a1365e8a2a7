/* The coroutines platform's memory when some of its units are processes (a
 * process pool's workers, run_in_executor on a ProcessPoolExecutor): one
 * memfd mapped MAP_SHARED before any fork, so that the run's state (objects,
 * futures, unit records, monitors, the loops' inboxes, the recorder's rings)
 * is the same bytes at the same address in main's process and in every
 * worker process. Without process units the platform uses the heap.
 *
 *   blocks   power-of-two classes from 64 bytes, each with a 16-byte header
 *            that names its class; a block given back goes on its class's
 *            free list (main's process and the others have lists of their
 *            own) and is cleared when it is given out again (tasks come and
 *            go: create_task), fresh memory is zeros already
 *   lock     a process-shared mutex, held for a list operation only
 *   the fd   closed once mapped: the mapping keeps the memory, nothing is
 *            left behind whatever happens to weft, and no descriptor leaks
 *            into the run's processes
 *
 * Nothing here knows what the runtime builds on it (sim_platform.h).
 */
#include "sim/sim_plat_coro_internal.h"
#include "sim/sim.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HDR 16u
#define MIN_CLASS 6u
#define NCLASS 48u
#define BIG ((size_t)1 << 20)   /* a block this big gives its pages back when freed */

struct co_arena {
    pthread_mutex_t mu;              /* process-shared */
    size_t size;
    _Atomic size_t used;
    int32_t owner;                   /* the process that made it (main's) */
    void *free_[2][NCLASS];          /* [1]: blocks main's process gave back, for it alone; [0]: the others' */
};

/* A block is given out again only in the kind of process that gave it back: a block main's
 * process used is not reused by another process while main's still holds its history (a
 * race detector in main's process would see main's old accesses and the new owner's, with
 * no order it can know of between them: the other process's lock is not its own). */
static unsigned side(const co_arena *a) { return getpid() == a->owner; }

static unsigned class_of(size_t n) {
    unsigned c = MIN_CLASS;
    while (c < NCLASS - 1 && ((size_t)1 << c) < n + HDR) c++;
    return c;
}

co_arena *co_arena_create(size_t size, diag *d) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size = (size + page - 1) / page * page;
    int fd = memfd_create("weft-coro", MFD_CLOEXEC);
    if (fd < 0) {
        diag_set(d, ERR_RUNTIME, "cannot make the run's shared memory (memfd_create): %s", strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, (off_t)size)) {
        diag_set(d, ERR_RUNTIME, "cannot size the run's shared memory to %zu bytes: %s", size, strerror(errno));
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        diag_set(d, ERR_RUNTIME, "cannot map the run's shared memory (%zu bytes): %s", size, strerror(e));
        return NULL;
    }
    co_arena *a = m;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&a->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    a->size = size;
    a->owner = (int32_t)getpid();
    atomic_store(&a->used, (sizeof *a + 63) / 64 * 64);
    return a;
}

void co_arena_destroy(co_arena *a) {
    if (!a) return;
    pthread_mutex_destroy(&a->mu);
    munmap(a, a->size);
}

void *co_arena_alloc(co_arena *a, size_t n) {
    unsigned c = class_of(n);
    size_t bytes = (size_t)1 << c;
    void **list = &a->free_[side(a)][c];
    pthread_mutex_lock(&a->mu);
    char *b = *list;
    if (b) {
        memcpy(list, b + HDR, sizeof(void *));
        pthread_mutex_unlock(&a->mu);
        /* a big block's pages past its first went back (co_arena_free): zeros already */
        memset(b + HDR, 0, (bytes >= BIG ? 4096 : bytes) - HDR);
        return b + HDR;
    }
    size_t align = bytes < 4096 ? bytes : 4096;   /* a big block starts on a page */
    size_t start = (atomic_load(&a->used) + align - 1) / align * align, end = start + bytes;
    if (end > a->size || end < start) {
        pthread_mutex_unlock(&a->mu);
        return NULL;
    }
    atomic_store(&a->used, end);
    pthread_mutex_unlock(&a->mu);
    b = (char *)a + start;
    b[0] = (char)c;
    return b + HDR;
}

void co_arena_free(co_arena *a, void *q) {
    if (!q) return;
    char *b = (char *)q - HDR;
    unsigned c = (unsigned char)b[0];
    if (c < MIN_CLASS || c >= NCLASS) BUG("coroutines: a block of the shared memory with class %u", c);
    if (((size_t)1 << c) >= BIG) madvise(b + 4096, ((size_t)1 << c) - 4096, MADV_REMOVE);   /* pages back */
    void **list = &a->free_[side(a)][c];
    pthread_mutex_lock(&a->mu);
    memcpy(q, list, sizeof(void *));
    *list = b;
    pthread_mutex_unlock(&a->mu);
}

void *co_arena_resize(co_arena *a, void *q, size_t old_n, size_t n) {
    char *b = (char *)q - HDR;
    if ((size_t)1 << (unsigned char)b[0] >= n + HDR) {
        if (n > old_n) memset((char *)q + old_n, 0, n - old_n);
        return q;
    }
    void *nq = co_arena_alloc(a, n);
    if (!nq) return NULL;
    memcpy(nq, q, old_n < n ? old_n : n);
    co_arena_free(a, q);
    return nq;
}
