/* cli: input files, each opened once (see cli.h).
 *
 * The first bytes tell a recording from a scenario. A regular file is probed
 * with pread, which consumes nothing, and is then read by path: a scenario
 * bounded by its size (refused unread when too large), a recording by the
 * .weft reader. A pipe, FIFO, device or terminal cannot be read twice: its
 * first bytes are read once, then the rest, bounded: a scenario up to the
 * parser's 16 MiB, a recording up to CLI_STREAM_RECORDING_MAX. A stream that
 * does not start like a recording is never read past its first 8 bytes when
 * a recording is wanted (`weft stats /dev/zero` answers at once), and one that
 * does not end (/dev/zero as a scenario) is cut at the limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int input_open(input *in, const char *path) {
    memset(in, 0, sizeof *in);
    in->path = path;
    in->fd = -1;
    if (!*path) {
        fprintf(stderr, "weft: the input's path is empty\n");
        return EXIT_INPUT;
    }
    in->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
        fprintf(stderr, "weft: cannot open '%s': %s\n", esc(path), strerror(errno));
        return EXIT_IO;
    }
    if (fstat(in->fd, &in->st) != 0) {
        fprintf(stderr, "weft: cannot read '%s': %s\n", esc(path), strerror(errno));
        input_close(in);
        return EXIT_IO;
    }
    if (S_ISDIR(in->st.st_mode)) {
        fprintf(stderr, "weft: cannot read '%s': it is a directory\n", esc(path));
        input_close(in);
        return EXIT_INPUT;
    }
    in->stream = !S_ISREG(in->st.st_mode);
    for (;;) {
        ssize_t r = in->stream ? read(in->fd, in->head + in->nhead, sizeof in->head - in->nhead)
                               : pread(in->fd, in->head + in->nhead, sizeof in->head - in->nhead, (off_t)in->nhead);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fprintf(stderr, "weft: cannot read '%s': %s\n", esc(path), strerror(errno));
            input_close(in);
            return EXIT_IO;
        }
        if (r == 0) break;
        in->nhead += (size_t)r;
        if (in->nhead == sizeof in->head) break;
    }
    return 0;
}

bool input_is_recording(const input *in) { return in->nhead >= 4 && !memcmp(in->head, TRC_FILE_MAGIC, 4); }

bool input_is_special(const input *in) {
    return in->stream || !strncmp(in->path, "/dev/", 5) || !strncmp(in->path, "/proc/", 6);
}

void input_close(input *in) {
    if (in->fd >= 0) close(in->fd);
    in->fd = -1;
}

int input_read_scenario(input *in, char **text, size_t *len) {
    *text = NULL;
    diag d;
    diag_clear(&d);
    int rc;
    if (!in->stream && (uint64_t)in->st.st_size > CLI_SCENARIO_MAX) {
        char lim[32], size[32];
        fmt_bytes(lim, sizeof lim, CLI_SCENARIO_MAX);
        fmt_bytes(size, sizeof size, (uint64_t)in->st.st_size);
        rc = diag_set(&d, ERR_LIMIT, "cannot read '%s': it is larger than %s (%s), the limit for a scenario", in->path,
                      lim, size);
    } else if (in->stream) {
        rc = fd_read_max(in->fd, in->path, in->head, in->nhead, 0, CLI_SCENARIO_MAX, text, len, &d);
    } else {
        rc = fd_read_max(in->fd, in->path, NULL, 0, (size_t)in->st.st_size, CLI_SCENARIO_MAX, text, len, &d);
    }
    if (rc) {
        print_diag(NULL, &d, rc);
        return exit_for(rc);
    }
    return 0;
}

int input_load_recording(input *in, trc_recording **rec, diag *d) {
    *rec = NULL;
    size_t magic = sizeof TRC_FILE_MAGIC - 1;
    /* not a recording's first bytes: the reader's verdict on them is its verdict on the whole file */
    if (in->nhead < magic || memcmp(in->head, TRC_FILE_MAGIC, magic))
        return trc_recording_load_mem(rec, in->head, in->nhead, in->path, d);
    if (!in->stream) return trc_recording_open(rec, in->path, 0, d);   /* mapped: the events stay in the file */
    char *data;
    size_t len;
    int rc = fd_read_max(in->fd, in->path, in->head, in->nhead, 0, CLI_STREAM_RECORDING_MAX, &data, &len, d);
    if (rc) {
        if (rc == -ERR_LIMIT && d)
            snprintf(d->hint, sizeof d->hint, "a recording read from a pipe or device is limited to 1 GiB: save it to a file first");
        return rc;
    }
    rc = trc_recording_load_mem(rec, data, len, in->path, d);
    free(data);
    return rc;
}
