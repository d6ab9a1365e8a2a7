/* base: the user's cache and what identifies this machine.
 *
 * The cache is small text files of "key value" lines under
 * $XDG_CACHE_HOME/weft/ (else $HOME/.cache/weft/). It only ever saves time:
 * a missing, unreadable or unwritable cache is the same as an empty one, and
 * nothing here reports an error. A file is replaced whole through a temporary
 * file and rename(), so a reader never sees half of one. */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAX (64 * 1024)   /* a cache file larger than this is ignored (and replaced) */

bool cache_path(char *out, size_t cap, const char *name) {
    const char *x = getenv("XDG_CACHE_HOME");
    int n;
    if (x && x[0] == '/') n = snprintf(out, cap, "%s/weft/%s", x, name ? name : "");
    else {
        const char *h = getenv("HOME");
        if (!h || h[0] != '/') return false;
        n = snprintf(out, cap, "%s/.cache/weft/%s", h, name ? name : "");
    }
    return n > 0 && (size_t)n < cap;
}

/* Reads a cache file whole (at most CACHE_MAX bytes); NULL if there is none. */
static char *cache_load(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CACHE_MAX) { close(fd); return NULL; }
    char *p = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (p && n < (size_t)st.st_size) {
        ssize_t k = read(fd, p + n, (size_t)st.st_size - n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(fd);
    if (!p) return NULL;
    p[n] = 0;
    *len = n;
    return p;
}

/* The line of `key` in text: its start, or NULL. */
static const char *cache_find(const char *text, const char *key) {
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, kl) && l[kl] == ' ') return l;
    return NULL;
}

bool cache_get(const char *name, const char *key, char *val, size_t cap) {
    char path[1024];
    size_t len;
    if (!cap || !cache_path(path, sizeof path, name)) return false;
    char *text = cache_load(path, &len);
    if (!text) return false;
    const char *l = cache_find(text, key);
    bool ok = false;
    if (l) {
        l += strlen(key) + 1;
        size_t n = strcspn(l, "\n");
        if (n < cap) {
            memcpy(val, l, n);
            val[n] = 0;
            ok = true;
        }
    }
    free(text);
    return ok;
}

/* mkdir -p of the folder that holds path (mode 0700, as XDG asks). */
static bool cache_mkdirs(const char *path) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return false;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
        *p = '/';
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST;
}

void cache_put(const char *name, const char *key, const char *val) {
    char path[1024], tmp[1100];
    if (!cache_path(path, sizeof path, name) || strchr(key, ' ') || strchr(key, '\n') || strchr(val, '\n')) return;
    if (!cache_mkdirs(path)) return;
    size_t len = 0;
    char *old = cache_load(path, &len);
    buf b = { 0 };
    /* every other line as it was, then this key's */
    for (const char *l = old; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        size_t kl = strlen(key);
        if (n && !(n > kl && !strncmp(l, key, kl) && l[kl] == ' ')) {
            buf_put(&b, l, n);
            buf_u8(&b, '\n');
        }
        l = nl ? nl + 1 : l + n;
    }
    free(old);
    buf_put(&b, key, strlen(key));
    buf_u8(&b, ' ');
    buf_put(&b, val, strlen(val));
    buf_u8(&b, '\n');
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0;
    for (size_t off = 0; ok && off < b.n;) {
        ssize_t k = write(fd, b.p + off, b.n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) ok = false;
        else off += (size_t)k;
    }
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (ok && rename(tmp, path) != 0) ok = false;
    if (!ok && fd >= 0) unlink(tmp);
    buf_release(&b);
}

/* ---- this machine -------------------------------------------------------- */

static char m_cpu[256];
static bool m_tsc_invariant;
static char m_key[17];
static pthread_once_t m_once = PTHREAD_ONCE_INIT;

static void read_first_line(const char *path, char *out, size_t cap) {
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = 0;
    fclose(f);
}

static void machine_init(void) {
    /* the CPU model and the TSC flags, from the first processor's block */
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[4096];
        bool constant = false, nonstop = false;
        while (fgets(line, sizeof line, f)) {
            if (!m_cpu[0] && !strncmp(line, "model name", 10) && strchr(line, ':')) {
                const char *v = strchr(line, ':') + 1;
                while (*v == ' ' || *v == '\t') v++;
                snprintf(m_cpu, sizeof m_cpu, "%s", v);
                m_cpu[strcspn(m_cpu, "\n")] = 0;
            }
            if (!strncmp(line, "flags", 5)) {
                constant = strstr(line, " constant_tsc") != NULL;
                nonstop = strstr(line, " nonstop_tsc") != NULL;
                break;
            }
        }
        fclose(f);
#if defined(__x86_64__)
        m_tsc_invariant = constant && nonstop;
#else
        (void)constant; (void)nonstop;
#endif
    }
    char id[128];
    read_first_line("/etc/machine-id", id, sizeof id);
    if (!id[0]) gethostname(id, sizeof id - 1);
    char all[512];
    int n = snprintf(all, sizeof all, "%s\n%s\n%ld", id, m_cpu, sysconf(_SC_NPROCESSORS_CONF));
    snprintf(m_key, sizeof m_key, "%016llx", (unsigned long long)fnv1a64(all, n > 0 ? (size_t)n : 0));
}

const char *machine_key(void) {
    pthread_once(&m_once, machine_init);
    return m_key;
}

const char *machine_cpu_model(void) {
    pthread_once(&m_once, machine_init);
    return m_cpu;
}

bool machine_tsc_invariant(void) {
    pthread_once(&m_once, machine_init);
    return m_tsc_invariant;
}

void machine_boot_id(char *out, size_t cap) { read_first_line("/proc/sys/kernel/random/boot_id", out, cap); }
