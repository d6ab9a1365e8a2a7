/* A loaded file's bytes (trc_backing, trc_format.h): read with pread into a
 * caller's buffer, pages of the mapping handed back or mapped ahead. */
#include "traces/trc_format.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- the file's bytes --------------------------------------------------- */

void trc_backing_release(const trc_backing *b, uint64_t from, uint64_t to) {
    if (!b || !b->mapped) return;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    from = (from + pg - 1) & ~(pg - 1);
    if (to > b->n) to = b->n;
    to &= ~(pg - 1);
    if (to > from) madvise((void *)(b->p + from), (size_t)(to - from), MADV_DONTNEED);
}

void trc_backing_populate(const trc_backing *b, uint64_t from, uint64_t to) {
#ifdef MADV_POPULATE_READ
    if (!b || !b->mapped) return;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    from &= ~(pg - 1);
    if (to > b->n) to = b->n;
    if (to > from) madvise((void *)(b->p + from), (size_t)(to - from), MADV_POPULATE_READ);
#else
    (void)b; (void)from; (void)to;
#endif
}

void trc_backing_read(const trc_backing *b, void *dst, size_t n, uint64_t off) {
    size_t got = 0;
    while (b->fd >= 0 && got < n) {
        ssize_t k = pread(b->fd, (uint8_t *)dst + got, n - got, (off_t)(off + got));
        if (k <= 0) break;   /* an error, or the file shrank while it was read */
        got += (size_t)k;
    }
    if (got == n) return;
    /* bytes in memory: they are there. A file that shrank: its mapping past the new end
     * would fault (SIGBUS); zeros fail the chunk's CRC, and reading stops there, named */
    if (b->fd < 0) memcpy((uint8_t *)dst + got, b->p + off + got, n - got);
    else memset((uint8_t *)dst + got, 0, n - got);
}

void trc_backing_free(trc_backing *b) {
    if (!b) return;
    if (b->fd >= 0) close(b->fd);
    if (b->mapped) munmap((void *)b->p, b->n);
    else free((void *)b->p);
    free(b);
}
