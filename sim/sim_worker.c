/* The worker mode of start_method spawn: `weft __worker SPEC`, exec'd by the
 * processes platform for a unit that starts by spawn.
 *
 * Like Python's spawn, which starts a fresh interpreter that re-imports the
 * main module, the worker is a fresh weft: it attaches to the run (the
 * platform maps the run's memory at its address), re-reads the scenario
 * (the file when it is still the same text, else the run's copy of it) with
 * the run's parameters, calibrates its own CPU burn, sets its plain
 * variables to their declared values (nothing of its parent's state comes
 * with a spawn), closes the pipe ends its actor never uses (a spawned
 * process gets only the ends it is given), then runs its unit as a forked
 * process would. Its cost, from the exec to its first event, is real.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The pipe ends a body uses: send and close keep the write end, recv, poll and close the read end
 * (an element of an array picked when the step runs: every element's). */
static void ends_used(const sim_program *p, const sim_stmt *s, bool *rds, bool *wrs) {
    for (; s; s = s->next) {
        bool wr = s->kind == SIM_S_SEND || (s->kind == SIM_S_CLOSE && (s->end & TRC_PIPE_WRITE));
        bool rdr = s->kind == SIM_S_RECV || s->kind == SIM_S_POLL || (s->kind == SIM_S_CLOSE && (s->end & TRC_PIPE_READ));
        if (wr || rdr) {
            uint32_t lo = s->obj, hi = s->obj + 1;
            if (s->obj_index) {
                lo = p->objects[s->obj].elem0;
                hi = lo + (uint32_t)p->objects[s->obj].size;
            }
            for (uint32_t k = lo; k < hi; k++) {
                if (wr) wrs[k] = true;
                if (rdr) rds[k] = true;
            }
        }
        ends_used(p, s->body, rds, wrs);
        ends_used(p, s->orelse, rds, wrs);
    }
}

/* Re-reads the run's scenario as a spawned process does: its cost is the point. */
static void reread(const sim_program *prog) {
    sim_define defs[SIM_MAX_PARAMS];
    char vals[SIM_MAX_PARAMS][32];
    uint32_t n = 0;
    for (uint32_t i = 0; i < prog->nparams && n < SIM_MAX_PARAMS; i++) {
        if (!prog->params[i].overridden) continue;
        snprintf(vals[n], sizeof vals[n], "%lld%s", (long long)prog->params[i].value,
                 prog->params[i].type == SIM_T_DUR ? "ns" : "");
        defs[n] = (sim_define){ .name = prog->params[i].name, .value = vals[n] };
        n++;
    }
    char *text = NULL;
    size_t len = 0;
    const char *src = prog->text;
    diag d;
    struct stat st;   /* a FIFO or a terminal (weft run /dev/stdin) was read once, by weft: never again */
    if (stat(prog->path, &st) == 0 && S_ISREG(st.st_mode) && file_read_all(prog->path, &text, &len, &d) == 0 &&
        !strcmp(text, prog->text))
        src = text;
    sim_program *p = NULL;
    if (sim_parse(&p, prog->path, src, defs, n, &d) == 0) sim_program_free(p);
    free(text);
}

static void worker_entry(void *arg) {
    rt_unit *u = arg;
    rt *r = u->r;
    reread(r->prog);
    sim_calibrate();
    /* a fresh process: its variables have their declared values */
    for (uint32_t i = 0; i < r->prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        if (o->decl->kind == SIM_OBJ_VAR && o->var) atomic_store(o->var, o->decl->cap_value);
    }
    /* and only the pipe ends its body uses */
    bool *rds = xcalloc(r->prog->nobjects + 1, 1), *wrs = xcalloc(r->prog->nobjects + 1, 1);
    if (u->actor) ends_used(r->prog, u->actor->body, rds, wrs);
    else for (uint32_t t = 0; t < r->prog->ntasks; t++) ends_used(r->prog, r->prog->tasks[t].body, rds, wrs);
    pipes_close_all(r, u->index, u->pu, rds, wrs);
    free(rds);
    free(wrs);
    unit_main(u);
}

int sim_worker_main(const char *spec, diag *d) { return sim_plat_procs_worker(spec, worker_entry, d); }
