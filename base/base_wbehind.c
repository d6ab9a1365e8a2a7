/* A file written behind: a FILE whose bytes a background thread hands to the
 * kernel, so that the thread that makes them (an export's encoder) goes on
 * while the kernel copies them into the page cache (base.h, "a file written
 * behind").
 *
 * The FILE is a stdio cookie stream: its writes copy the bytes into one of
 * WB_SLOTS buffers of WB_SLOT bytes; a full buffer goes to the writer thread
 * through a handoff (base_thread.c) and the caller fills the next; it waits
 * only when every buffer is still being written. The writer write()s each
 * buffer in order. Its first error (ENOSPC, EIO...) sticks: later buffers
 * are dropped, and the caller's next write, or fclose, fails with that errno.
 * fclose hands over the last partial buffer, waits for the writer to finish
 * and closes the file: when it returns 0, every byte is in the file.
 */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define WB_SLOTS 4u
#define WB_SLOT (1u << 20)

typedef struct wbehind {
    int fd;
    handoff *q;
    bg_thread *th;
    uint8_t *buf;              /* WB_SLOTS * WB_SLOT */
    size_t len[WB_SLOTS];      /* what slot k holds, set before it is handed over */
    int cur;                   /* the slot the caller fills (-1: none yet) */
    size_t fill;
    _Atomic int err;           /* the writer's first errno (0: none) */
} wbehind;

static void wb_main(void *p) {
    wbehind *w = p;
    int k;
    while ((k = handoff_get(w->q)) >= 0) {
        if (atomic_load(&w->err)) continue;   /* failed: the rest is dropped */
        const uint8_t *b = w->buf + (size_t)k * WB_SLOT;
        size_t n = w->len[k], done = 0;
        while (done < n) {
            ssize_t r = write(w->fd, b + done, n - done);
            if (r < 0) {
                if (errno == EINTR) continue;
                atomic_store(&w->err, errno);
                break;
            }
            done += (size_t)r;
        }
    }
}

static void wb_hand_over(wbehind *w) {
    w->len[w->cur] = w->fill;
    handoff_put_end(w->q);
    w->cur = -1;
    w->fill = 0;
}

static ssize_t wb_write(void *cookie, const char *p, size_t n) {
    wbehind *w = cookie;
    int e = atomic_load(&w->err);
    if (e) {
        errno = e;
        return 0;   /* stdio: 0 is the error */
    }
    size_t done = 0;
    while (done < n) {
        if (w->cur < 0) {
            w->cur = handoff_put_begin(w->q);   /* never -1: the writer never cancels */
            w->fill = 0;
        }
        size_t k = n - done < WB_SLOT - w->fill ? n - done : WB_SLOT - w->fill;
        memcpy(w->buf + (size_t)w->cur * WB_SLOT + w->fill, p + done, k);
        w->fill += k;
        done += k;
        if (w->fill == WB_SLOT) wb_hand_over(w);
    }
    return (ssize_t)n;
}

static int wb_close(void *cookie) {
    wbehind *w = cookie;
    if (w->cur >= 0 && w->fill) wb_hand_over(w);
    handoff_close(w->q);
    bg_thread_join(w->th);
    handoff_free(w->q);
    int e = atomic_load(&w->err);
    if (close(w->fd) != 0 && !e) e = errno;
    free(w->buf);
    free(w);
    if (e) {
        errno = e;
        return EOF;
    }
    return 0;
}

FILE *file_open_behind(const char *path) {
    wbehind *w = calloc(1, sizeof *w);
    uint8_t *bytes = malloc((size_t)WB_SLOTS * WB_SLOT);
    handoff *q = handoff_new(WB_SLOTS);
    if (!w || !bytes || !q) {
        free(w);
        free(bytes);
        handoff_free(q);
        return fopen(path, "wb");   /* no memory for it: written by the caller */
    }
    /* emptied only when it is not empty: on ext4, opening a file with
     * O_TRUNC (even an empty one, such as the temporary file an output is
     * written to) makes its close start writing all of it out (auto_da_alloc),
     * which the caller would wait for: 40-110 ms for a 210 MB trace here */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_size != 0) && ftruncate(fd, 0) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        fd = -1;
    }
    if (fd < 0) {
        int e = errno;
        free(w);
        free(bytes);
        handoff_free(q);
        errno = e;
        return NULL;
    }
    *w = (wbehind){ .fd = fd, .q = q, .buf = bytes, .cur = -1 };
    FILE *f = NULL;
    if (!bg_thread_start(&w->th, wb_main, w)) {
        f = fopencookie(w, "wb", (cookie_io_functions_t){ .write = wb_write, .close = wb_close });
        if (f) {
            setvbuf(f, NULL, _IOFBF, 1u << 16);
            return f;
        }
        handoff_close(q);
        bg_thread_join(w->th);
    }
    /* no thread (or no stream): the caller writes, as for any file */
    handoff_free(q);
    free(bytes);
    free(w);
    f = fdopen(fd, "wb");
    if (!f) close(fd);
    return f;
}
