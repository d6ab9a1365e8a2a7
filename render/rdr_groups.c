/* Process groups of lanes: which units' lanes go under a process's header row
 * (its threads on the processes backend, an event loop's tasks), and which
 * groups are folded. Derived once per model; plain C, no drawing. */
#include "render/rdr_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct pid_unit { int32_t pid; uint32_t unit; } pid_unit;

static int pid_cmp(const void *a, const void *b) {
    const pid_unit *x = a, *y = b;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* The unit that hosts u: the process a thread runs in (same pid, started as a
 * process), or the event loop a task runs on; UINT32_MAX for none. */
static void hosts_of(const trc_model *m, uint32_t *host) {
    const trc_run *run = m->run;
    uint32_t nu = run->nunits;
    pid_unit *procs = xmalloc((nu ? nu : 1) * sizeof *procs);
    size_t np = 0;
    for (uint32_t u = 0; u < nu; u++) {
        host[u] = UINT32_MAX;
        if (m->units[u].pid > 0 && m->units[u].start_method != TRC_START_THREAD)
            procs[np++] = (pid_unit){ m->units[u].pid, u };
    }
    qsort(procs, np, sizeof *procs, pid_cmp);
    for (uint32_t u = 0; u < nu; u++) {
        const trc_unit *un = &run->units[u];
        if (un->kind == TRC_UNIT_TASK) {   /* a task: on the loop that is its nearest ancestor but tasks */
            uint32_t g = un->parent, hops = 0;
            while (g < nu && run->units[g].kind == TRC_UNIT_TASK && hops++ < nu) g = run->units[g].parent;
            if (g < nu && run->units[g].kind == TRC_UNIT_LOOP) host[u] = g;
            continue;
        }
        const trc_unit_track *ut = &m->units[u];
        if (ut->pid <= 0 || ut->start_method != TRC_START_THREAD) continue;
        size_t lo = 0, hi = np;   /* the first process with this pid (the lowest unit) */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (procs[mid].pid < ut->pid) lo = mid + 1; else hi = mid;
        }
        if (lo < np && procs[lo].pid == ut->pid && procs[lo].unit != u) host[u] = procs[lo].unit;
    }
    free(procs);
    /* one level: a host that is hosted itself (a loop on a thread of a process) heads its own group */
    for (uint32_t u = 0; u < nu; u++)
        if (host[u] != UINT32_MAX && host[u] != u) {
            uint32_t h = host[u];
            if (host[h] != UINT32_MAX && host[h] != h) host[h] = UINT32_MAX;
        }
    for (uint32_t u = 0; u < nu; u++)
        if (host[u] != UINT32_MAX && host[u] != u) host[host[u]] = host[u];   /* a host is in its own group */
}

rdr_groups *rdr_groups_new(const trc_model *m) {
    uint32_t nu = m->run->nunits;
    rdr_groups *g = xcalloc(1, sizeof *g);
    g->host = xmalloc((nu ? nu : 1) * sizeof *g->host);
    g->folded = xcalloc(nu ? nu : 1, 1);
    g->off = xcalloc((size_t)nu + 1, sizeof *g->off);
    g->members = xmalloc((nu ? nu : 1) * sizeof *g->members);
    hosts_of(m, g->host);
    /* members per host, in unit order, the host first */
    for (uint32_t u = 0; u < nu; u++)
        if (g->host[u] != UINT32_MAX) g->off[g->host[u] + 1]++;
    for (uint32_t u = 0; u < nu; u++) g->off[u + 1] += g->off[u];
    uint32_t *fill = xcalloc(nu ? nu : 1, sizeof *fill);
    for (uint32_t h = 0; h < nu; h++)
        if (g->host[h] == h) { g->members[g->off[h]] = h; fill[h] = 1; g->ngroups++; }
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t h = g->host[u];
        if (h != UINT32_MAX && h != u) g->members[g->off[h] + fill[h]++] = u;
    }
    free(fill);
    return g;
}

void rdr_groups_free(rdr_groups *g) {
    if (!g) return;
    free(g->host);
    free(g->folded);
    free(g->off);
    free(g->members);
    free(g);
}

uint32_t rdr_view_group_of(const rdr_view *v, uint32_t run, uint32_t unit) {
    if (!v->groups || run >= v->nmodels || unit >= v->models[run].run->nunits) return UINT32_MAX;
    return v->groups[run]->host[unit];
}

bool rdr_view_folded(const rdr_view *v, uint32_t run, uint32_t proc) {
    if (rdr_view_group_of(v, run, proc) != proc) return false;
    return v->groups[run]->folded[proc];
}

static void fold_one(rdr_view *v, uint32_t run, uint32_t proc, bool folded) {
    v->groups[run]->folded[proc] = folded;
    if (folded && v->sel.kind == RDR_ROW_UNIT && v->sel.run == run && rdr_view_group_of(v, run, v->sel.id) == proc)
        memset(&v->sel, 0, sizeof v->sel);   /* its lane is gone: the header stands for it */
}

void rdr_view_fold(rdr_view *v, uint32_t run, uint32_t proc, bool folded) {
    if (rdr_view_group_of(v, run, proc) != proc || v->groups[run]->folded[proc] == folded) return;
    bool had = v->sel.kind != 0;
    fold_one(v, run, proc, folded);
    rdr_relayout(v);
    if (had && !v->sel.kind) rdr_relayout(v);   /* the details panel closed */
}

uint32_t rdr_view_fold_all(rdr_view *v, bool folded) {
    uint32_t n = 0;
    if (!v->groups) return 0;
    for (uint32_t r = 0; r < v->nmodels; r++) {
        const rdr_groups *g = v->groups[r];
        for (uint32_t u = 0; u < v->models[r].run->nunits; u++)
            if (g->host[u] == u) { fold_one(v, r, u, folded); n++; }
    }
    if (n) rdr_relayout(v);
    return n;
}
