/* cli: outputs written atomically (see cli.h).
 *
 * output_begin creates ".NAME.tmp-XXXXXX" beside the output (same folder, so
 * rename() is atomic), with the mode of the file it will replace (or the
 * usual 0666 less the umask); the writers are handed that path; output_commit
 * renames it over the output. The signal handler must be able to clean up at
 * any moment, so every output begun has a slot in a fixed table of plain
 * char arrays: the handler reads them and calls only unlink().
 * A slot's state is set after its paths are written, and cleared only after
 * its file is renamed or removed: at worst the handler unlinks a name that is
 * already gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

enum { SLOT_FREE = 0, SLOT_REMOVE = 1 };
#define NSLOTS 8
static struct slot {
    char tmp[PATH_MAX];
    _Atomic int state;   /* read by the signal handler, on any thread */
} slots[NSLOTS];

void outputs_abandon(void) {
    for (int i = 0; i < NSLOTS; i++)
        if (atomic_load(&slots[i].state) == SLOT_REMOVE) unlink(slots[i].tmp);
}

static int slot_take(const char *tmp) {
    for (int i = 0; i < NSLOTS; i++) {
        if (atomic_load(&slots[i].state) != SLOT_FREE) continue;
        snprintf(slots[i].tmp, sizeof slots[i].tmp, "%s", tmp);
        atomic_store(&slots[i].state, SLOT_REMOVE);   /* after the path: the handler reads a whole one */
        return i;
    }
    BUG("more than %d outputs at once", NSLOTS);
}

static void slot_free(int i) {
    if (i < 0) return;
    atomic_store(&slots[i].state, SLOT_FREE);
}

/* The temporary file is gone (renamed or removed): forget it, keep the path. */
static void output_settle(output *o) {
    slot_free(o->slot);
    o->slot = -1;
    if (o->tmp != o->path) free(o->tmp);
    o->tmp = NULL;
}

void output_release(output *o) {
    output_discard(o);
    free(o->path);
    o->path = NULL;
}

int output_begin(output *o, const char *given, const char *what) {
    memset(o, 0, sizeof *o);
    o->slot = -1;
    o->given = given;
    o->what = what;
    if (!*given) {
        fprintf(stderr, "weft: the %s's path is empty\n", what);
        return EXIT_INPUT;
    }
    /* a symbolic link: replace the file it names, keep the link */
    struct stat lst, st;
    char *real = NULL;
    if (lstat(given, &lst) == 0 && S_ISLNK(lst.st_mode)) real = realpath(given, NULL);
    o->path = real ? real : xstrdup(given);
    bool exists = stat(o->path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "weft: cannot write the %s to '%s': it is a directory\n", what, esc(given));
        output_release(o);
        return EXIT_INPUT;
    }
    if (exists && !S_ISREG(st.st_mode)) {   /* /dev/null, /dev/stdout, a FIFO: written in place */
        o->direct = true;
        o->tmp = o->path;
        return 0;
    }
    signals_install();
    const char *slash = strrchr(o->path, '/');
    size_t dirlen = slash ? (size_t)(slash - o->path) + 1 : 0;
    const char *base = o->path + dirlen;
    size_t need = dirlen + 1 + strlen(base) + sizeof ".tmp-XXXXXX";
    if (need >= PATH_MAX) {
        fprintf(stderr, "weft: cannot write the %s to '%s': the path is too long\n", what, esc(given));
        output_release(o);
        return EXIT_INPUT;
    }
    /* a name at most 255 bytes long: long names are cut in the temporary name only */
    int baselen = (int)strlen(base) > 200 ? 200 : (int)strlen(base);
    o->tmp = xmalloc(need);
    snprintf(o->tmp, need, "%.*s.%.*s.tmp-XXXXXX", (int)dirlen, o->path, baselen, base);
    /* no signal between the file's creation and its slot: it would stay behind */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGPIPE);
    sigprocmask(SIG_BLOCK, &block, &old);
    int fd = mkstemp(o->tmp);
    if (fd >= 0) o->slot = slot_take(o->tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        int e = errno;
        /* say what is wrong with the path the user gave, not with our temporary name */
        fprintf(stderr, "weft: cannot create the %s '%s': %s\n", what, esc(given),
                e == ENOENT ? "no such folder" : strerror(e));
        free(o->tmp);
        o->tmp = NULL;
        output_release(o);
        return EXIT_IO;
    }
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    fchmod(fd, mode);
    close(fd);
    return 0;
}

static bool same_inode(const struct stat *a, const struct stat *b) { return a->st_dev == b->st_dev && a->st_ino == b->st_ino; }

static int refuse_same(const output *o, const char *input_path, const char *what) {
    fprintf(stderr, "weft: the %s '%s' is the input '%s' itself: writing it would destroy the input\n", what,
            esc(o->given), esc(input_path));
    fprintf(stderr, "hint: give another output path%s\n", strcmp(what, "recording") ? "" : " with -o");
    return EXIT_INPUT;
}

int output_not_path(const output *o, const char *path) {
    struct stat st, in;
    if (o->path && !o->direct && stat(o->path, &st) == 0 && stat(path, &in) == 0 && S_ISREG(in.st_mode) &&
        same_inode(&st, &in))
        return refuse_same(o, path, o->what);
    return 0;
}

int output_not_input(const output *o, const input *in, const char *what) {
    struct stat st;
    if (o->path && !in->stream && stat(o->path, &st) == 0 && same_inode(&st, &in->st)) return refuse_same(o, in->path, what);
    return 0;
}

/* The folder's identity and the name: two spellings of one path compare equal. */
static bool same_place(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0) return same_inode(&sa, &sb);
    const char *na = strrchr(a, '/'), *nb = strrchr(b, '/');
    if (strcmp(na ? na + 1 : a, nb ? nb + 1 : b)) return false;
    char da[PATH_MAX], db[PATH_MAX];
    snprintf(da, sizeof da, "%.*s", na ? (int)(na - a) + 1 : 1, na ? a : ".");
    snprintf(db, sizeof db, "%.*s", nb ? (int)(nb - b) + 1 : 1, nb ? b : ".");
    return stat(da, &sa) == 0 && stat(db, &sb) == 0 && same_inode(&sa, &sb);
}

int output_not_same(const output *o, const output *other) {
    if (!o->path || !other->path || o->direct || other->direct) return 0;
    if (!same_place(o->path, other->path)) return 0;
    fprintf(stderr, "weft: '%s' is given as two outputs (the %s and the %s): give each its own path\n",
            esc(o->given), other->what, o->what);
    return EXIT_INPUT;
}

/* rename(tmp, path); for a derived output, over an existing regular file by
 * exchanging the two names (atomic as well) and then removing the old file:
 * ext4 starts writing a file out when it is renamed over another
 * (auto_da_alloc), and the rename waits for it; the exchange does not (a 210
 * MB trace: 40-90 ms). */
static int put_in_place(const char *tmp, const char *path, bool exchange) {
#ifdef RENAME_EXCHANGE
    struct stat st;
    if (exchange && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
        unlink(tmp);   /* the old file, now under the temporary name */
        return 0;
    }
#else
    (void)exchange;
#endif
    return rename(tmp, path);
}

int output_commit(output *o) {
    if (!o->tmp) return 0;
    if (!o->direct && put_in_place(o->tmp, o->path, o->derived) != 0) {
        int e = errno;
        fprintf(stderr, "weft: cannot put '%s' in place: %s\n", esc(o->given), strerror(e));
        unlink(o->tmp);
        output_settle(o);
        return EXIT_IO;
    }
    output_settle(o);
    return 0;
}

int output_commit_as(output *o, const char *path) {
    if (!o->tmp || o->direct) return output_commit(o);
    if (put_in_place(o->tmp, path, o->derived) != 0) {
        int e = errno;
        fprintf(stderr, "weft: cannot put '%s' in place: %s\n", esc(path), strerror(e));
        unlink(o->tmp);
        output_settle(o);
        return EXIT_IO;
    }
    output_settle(o);
    return 0;
}

void output_discard(output *o) {
    if (!o->tmp) return;
    if (!o->direct) unlink(o->tmp);
    output_settle(o);
}

void output_fix_diag(const output *o, diag *d) {
    if (!o->tmp || o->direct) return;
    if (!strcmp(d->file, o->tmp)) snprintf(d->file, sizeof d->file, "%s", o->given);
    /* the message names the temporary file: name the output instead */
    char *at = strstr(d->msg, o->tmp);
    if (!at) return;
    char fixed[sizeof d->msg];
    snprintf(fixed, sizeof fixed, "%.*s%s%s", (int)(at - d->msg), d->msg, o->given, at + strlen(o->tmp));
    snprintf(d->msg, sizeof d->msg, "%s", fixed);
}
