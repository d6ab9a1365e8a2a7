/* sim_run(): one run of a program, on the platform of its backend.
 *
 *   1. create the platform; allocate the run (rt) and its monitors, objects,
 *      unit records and string table from it;
 *   2. open the recording and the recorder (stamped with the platform's
 *      clock), one ring per unit;
 *   3. start every unit; each says it is ready and waits on its own monitor;
 *   4. write the run's tables (with the units' OS ids), start the recorder,
 *      let the autostart units go;
 *   5. main runs the watchdog until the run ends, halts every unit, joins
 *      them, stops the recorder, writes the run-time strings and the end;
 *   6. check the expectations, release everything, destroy the platform.
 */
#include "sim/sim_gil.h"
#include "sim/sim_plat_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void machine_info(char *out, size_t cap, uint32_t *cores) {
    struct utsname un;
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ') c++;
                    c[strcspn(c, "\n")] = 0;
                    snprintf(model, sizeof model, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    *cores = n > 0 ? (uint32_t)n : 1;
    if (uname(&un) == 0) snprintf(out, cap, "%u cores, %s %s, %s", *cores, un.sysname, un.release, model);
    else snprintf(out, cap, "%u cores, %s", *cores, model);
}

static unsigned object_channels(const sim_object *o) {
    switch (o->kind) {
    case SIM_OBJ_QUEUE: return Q_NCH;
    case SIM_OBJ_RWLOCK: return RW_NCH;
    case SIM_OBJ_PIPE: return P_NCH;
    case SIM_OBJ_COUNTER: case SIM_OBJ_POOL: case SIM_OBJ_SHM: case SIM_OBJ_VAR: return 0;   /* no monitor of their own */
    default: return 1;
    }
}

/* On a platform of processes: what each unit is (a process of its own, or a thread pool's worker: a
 * thread in the process of the unit that starts it) and how it begins. */
static void unit_kinds(rt *r) {
    const sim_program *prog = r->prog;
    for (uint32_t i = 0; i < r->nunits; i++) {
        rt_unit *u = &r->units[i];
        uint32_t start = prog->start_method;
        if (u->actor && u->actor->start) start = u->actor->start;
        u->pkind = SIM_PU_PROCESS;
        if (u->actor && u->actor->delay) u->pkind = SIM_PU_THREAD;   /* a timer: threading.Timer, a thread */
        if (u->pool != UINT32_MAX) {
            const sim_object *o = &prog->objects[u->pool];
            if (o->pool_kind != SIM_POOL_PROCESSES) u->pkind = SIM_PU_THREAD;
            if (o->start) start = o->start;
        }
        u->start = start == SIM_STARTM_SPAWN && u->pkind == SIM_PU_PROCESS ? SIM_START_SPAWN : SIM_START_FORK;
    }
}

/* Step 1: the run's monitors, objects, units and strings, from run memory. */
static int rt_setup(rt *r, diag *d) {
    const sim_program *prog = r->prog;
    sim_plat *p = r->plat;
    const sim_plat_ops *ops = r->ops;
    uint32_t npools = 0;
    for (uint32_t i = 0; i < prog->nobjects; i++) npools += prog->objects[i].kind == SIM_OBJ_POOL;
    if (1 + npools > SIM_MON_MAX_CHANNELS) return diag_set(d, ERR_LIMIT, "more than %u pools", SIM_MON_MAX_CHANNELS - 1);
    r->mon = ops->mon_new(p, RT_NCH);
    r->fmon = ops->mon_new(p, 1 + npools);
    r->smon = ops->mon_new(p, 0);
    r->objs = rt_alloc(r, (prog->nobjects + 1) * sizeof *r->objs);
    r->units_mem = rt_alloc(r, (r->cap_units + 1) * sizeof *r->units + 64);
    r->units = r->units_mem ? (rt_unit *)(((uintptr_t)r->units_mem + 63) & ~(uintptr_t)63) : NULL;
    r->task_done_t = rt_alloc(r, (prog->ntasks + 1) * sizeof *r->task_done_t);
    r->mark_t = rt_alloc(r, (prog->nstrings + 1) * sizeof *r->mark_t);
    r->task_str = rt_alloc(r, (prog->ntasks + 1) * sizeof *r->task_str);
    r->created_per_task = rt_alloc(r, (prog->ntasks + 1) * sizeof *r->created_per_task);
    if (!r->mon || !r->fmon || !r->smon || !r->objs || !r->units || !r->task_done_t || !r->mark_t || !r->task_str ||
        !r->created_per_task || rt_strings_init(r))
        goto nomem;
    for (uint32_t i = 0; i < prog->ntasks; i++) r->task_str[i] = rt_intern(r, ops->main_unit(p), prog->tasks[i].name);

    unsigned pool_ch = 1;
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        rt_obj *o = &r->objs[i];
        o->decl = &prog->objects[i];
        o->id = i + 1;
        o->owner = -1;
        unsigned nch = object_channels(o->decl);
        if (nch && !(o->mon = ops->mon_new(p, nch))) goto nomem;
        int orc = 0;
        switch (o->decl->kind) {
        case SIM_OBJ_QUEUE: if (obj_queue_init(r, o)) goto nomem; break;
        case SIM_OBJ_SEMAPHORE: o->value = o->decl->cap_value; break;
        case SIM_OBJ_COUNTER: o->counter = o->decl->cap_value; break;
        case SIM_OBJ_POOL: o->pool_ch = pool_ch++; break;
        case SIM_OBJ_PIPE: orc = obj_pipe_init(r, o); break;
        case SIM_OBJ_SHM: orc = obj_shm_init(r, o); break;
        case SIM_OBJ_VAR: orc = obj_var_init(r, o); break;
        default: break;
        }
        if (orc == -ERR_NOMEM) goto nomem;
        if (orc) return diag_set(d, ERR_LIMIT, "cannot make %s '%s': out of file descriptors",
                                 trc_obj_kind_name((unsigned)o->decl->kind), o->decl->name);
    }

    for (uint32_t ui = 0; ui < r->nunits; ui++) {
        rt_unit *u = &r->units[ui];
        u->r = r;
        u->index = ui;
        u->pool = UINT32_MAX;
        u->loop = UINT32_MAX;
        u->tkind = TRC_UNIT_THREAD;
        u->parent = UINT32_MAX;
        /* same seed, same decisions (whatever units come before the actors' on a backend) */
        u->rng = r->desc->seed ^ (0x9E3779B97F4A7C15ull * (ui - (ui >= r->ubase ? r->ubase : 0) + 1));
        u->locals = rt_alloc(r, (prog->nlocals + 1) * sizeof *u->locals);
        u->tls = u->locals;
        u->slots = rt_alloc(r, (prog->nfuts + 1) * sizeof *u->slots);
        u->launcher = u->host = u->manager = UINT32_MAX;
        u->reply_rfd = u->reply_wfd = -1;
        if (!u->locals || !u->slots) goto nomem;
        if (ui >= r->ubase && !(u->mon = ops->mon_new(p, 1))) goto nomem;
    }
    for (uint32_t a = 0; a < prog->nactors; a++) {
        const sim_actor *ac = &prog->actors[a];
        for (int64_t k = 0; k < ac->count_value; k++) {
            rt_unit *u = &r->units[r->ubase + ac->unit0 + (uint32_t)k];
            u->actor = ac;
            u->body = ac->body;
            u->index_in_actor = k;
            u->autostart = !ac->spawned;
            u->daemon = ac->daemon;
            u->state = u->autostart ? US_RUNNING : US_NEW;
            snprintf(u->name, sizeof u->name, "%s.%lld", ac->name, (long long)k);
        }
    }
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        const sim_object *o = &prog->objects[i];
        if (o->kind == SIM_OBJ_MANAGER) {
            /* its server: a unit of its own, that starts with the run */
            rt_unit *u = &r->units[o->unit0];
            u->manager = i;
            u->autostart = true;
            u->state = US_RUNNING;
            r->objs[i].server = o->unit0;
            r->nmanagers++;
            snprintf(u->name, sizeof u->name, "%s", o->name);
            continue;
        }
        if (o->kind != SIM_OBJ_POOL) continue;
        for (int64_t k = 0; k < o->cap_value; k++) {
            rt_unit *u = &r->units[r->ubase + o->unit0 + (uint32_t)k];
            u->pool = i;
            u->index_in_actor = k;
            u->state = US_NEW;
            snprintf(u->name, sizeof u->name, "%s.%lld", o->name, (long long)k);
        }
    }
    if (r->procs) unit_kinds(r);
    if (r->coro_procs)   /* coroutines: a process pool's workers are processes, the rest tasks and threads */
        for (uint32_t ui = 0; ui < r->nunits; ui++) {
            rt_unit *u = &r->units[ui];
            bool proc = u->pool != UINT32_MAX && prog->objects[u->pool].pool_kind == SIM_POOL_PROCESSES;
            u->pkind = proc ? SIM_PU_PROCESS : SIM_PU_THREAD;
            u->start = SIM_START_FORK;
        }
    if (r->nmanagers && manager_init(r)) return diag_set(d, ERR_LIMIT, "cannot make the managers' pipes: out of descriptors");
    if (r->nloops) return async_loops_setup(r, d);
    return 0;
nomem:
    return diag_set(d, ERR_NOMEM, "out of memory for the run's shared state (%u objects, %u units)", prog->nobjects,
                    r->nunits);
}

/* Step 6: gives back what rt_setup and the run allocated (after every unit_join). */
static void rt_teardown(rt *r) {
    const sim_program *prog = r->prog;
    sim_plat *p = r->plat;
    const sim_plat_ops *ops = r->ops;
    if (r->nmanagers) manager_free(r);
    if (r->objs) {
        for (uint32_t i = 0; i < prog->nobjects; i++) {
            rt_obj *o = &r->objs[i];
            if (o->decl && o->decl->kind == SIM_OBJ_PIPE) obj_pipe_free(r, o);
            if (o->decl && o->decl->kind == SIM_OBJ_SHM)
                rt_release(r, (void *)o->shm, (((size_t)o->decl->cap_value + 7) / 8 ? ((size_t)o->decl->cap_value + 7) / 8 : 1) * 8);
            if (o->decl && o->decl->kind == SIM_OBJ_VAR && !ops->alloc_private) rt_release(r, (void *)o->var, sizeof *o->var);
            if (o->mon) ops->mon_free(p, o->mon);
            rt_release(r, o->queue.items, (size_t)o->queue.cap * sizeof *o->queue.items);
            rt_release(r, o->queue.prio, (size_t)o->queue.cap * sizeof *o->queue.prio);
            rt_release(r, o->queue.vals, (size_t)o->queue.cap * sizeof *o->queue.vals);
            rt_release(r, o->readers, o->cap_readers * sizeof *o->readers);
            rt_release(r, o->waiters, o->cap_waiters * sizeof *o->waiters);
        }
    }
    for (size_t i = 0; i < r->nfuts; i++) {
        rt_release(r, r->futs[i]->cbs, r->futs[i]->cap_cbs * sizeof *r->futs[i]->cbs);
        rt_release(r, r->futs[i], sizeof *r->futs[i]);
    }
    rt_release(r, r->futs, r->cap_futs * sizeof *r->futs);
    if (r->strs) rt_strings_free(r);
    async_loops_teardown(r);
    rt_release(r, r->loop_proc, r->nloops * sizeof *r->loop_proc);
    if (r->units) {
        for (uint32_t i = 0; i < r->nunits; i++) {
            rt_unit *u = &r->units[i];
            if (u->created) {   /* made at run time (create_task) */
                rt_created_free(r, u);
            } else {
                rt_release(r, u->locals, (prog->nlocals + 1) * sizeof *u->locals);
                rt_release(r, u->slots, (prog->nfuts + 1) * sizeof *u->slots);
            }
            rt_release(r, u->mine, u->cap_mine * sizeof *u->mine);
            /* its counter reads: in the heap of the process it ran in (a unit's process frees its own) */
            if (!r->procs || (u->pkind == SIM_PU_THREAD && u->host == UINT32_MAX)) {
                free(u->rd_obj);
                free(u->rd_n);
            }
            if (u->mon) ops->mon_free(p, u->mon);
        }
    }
    if (r->mon) ops->mon_free(p, r->mon);
    if (r->fmon) ops->mon_free(p, r->fmon);
    if (r->smon) ops->mon_free(p, r->smon);
    rt_release(r, (void *)r->task_done_t, (prog->ntasks + 1) * sizeof *r->task_done_t);
    rt_release(r, (void *)r->mark_t, (prog->nstrings + 1) * sizeof *r->mark_t);
    rt_release(r, r->task_str, (prog->ntasks + 1) * sizeof *r->task_str);
    rt_release(r, r->created_per_task, (prog->ntasks + 1) * sizeof *r->created_per_task);
    rt_release(r, r->objs, (prog->nobjects + 1) * sizeof *r->objs);
    rt_release(r, r->units_mem, (r->cap_units + 1) * sizeof *r->units + 64);
}

/* A unit made at run time: its locals and future slots, from the heap, or from run memory on
 * coroutines with processes (sim_async.c's init_created). */
void rt_created_free(rt *r, rt_unit *u) {
    const sim_program *prog = r->prog;
    if (r->coro_procs) {
        rt_release(r, u->locals, (prog->nlocals + 1) * sizeof *u->locals);
        rt_release(r, u->slots, (prog->nfuts + 1) * sizeof *u->slots);
    } else {
        free(u->locals);
        free(u->slots);
    }
    u->locals = NULL;
    u->slots = NULL;
}

/* The recorder's rings, from run memory (a platform of processes: in the mapping its children share).
 * Their pages are made resident up front, up to RING_PREFAULT_BUDGET for the run: a page of shared
 * memory costs a fault on its first touch (no huge pages there), which a unit would otherwise pay
 * in the middle of its events. */
#define RING_PREFAULT_BUDGET (256u << 20)

static void *ring_alloc(void *ctx, size_t bytes) {
    rt *r = ctx;
    char *p = rt_alloc(r, bytes + 64);   /* aligned for any type, not yet for a cache line */
    if (!p) return NULL;
    char *q = (char *)(((uintptr_t)p + 64) & ~(uintptr_t)63);
    q[-1] = (char)(q - p);
    if (r->ops->prefault && r->prefaulted + bytes <= RING_PREFAULT_BUDGET) {
        r->ops->prefault(r->plat, q, bytes);
        r->prefaulted += bytes;
    }
    return q;
}

static void ring_free(void *ctx, void *q, size_t bytes) {
    if (!q) return;
    char *p = (char *)q - ((char *)q)[-1];
    rt_release(ctx, p, bytes + 64);
}

/* Halts the units started so far (the run never began) and joins them. */
static void abandon(rt *r) {
    rt_stop_all(r, r->ops->main_unit(r->plat));
    for (uint32_t i = 0; i < r->nunits; i++)
        if (r->units[i].pu) r->ops->unit_join(r->plat, r->units[i].pu);
}

int sim_run(sim_result *res, const sim_program *prog, const sim_desc *desc, diag *d) {
    memset(res, 0, sizeof *res);
    if (!desc->out_path && !desc->writer) return diag_set(d, ERR_USAGE, "no output path for the recording");
    const char *backend = desc->backend ? desc->backend : prog->backend;
    unsigned bk = sim_backend_by_name(backend, strlen(backend));
    const sim_plat_ops *ops = desc->platform;
    if (!bk) return diag_set(d, ERR_USAGE, "unknown backend '%s' (the backends are threads, processes and coroutines)",
                             backend);
    int rc = sim_check_backend(prog, bk, d);
    if (rc) return rc;
    if (!ops) {
        if (bk == SIM_BACKEND_COROUTINES) ops = &sim_plat_coro;
        else if (bk == SIM_BACKEND_THREADS) ops = desc->virtual_clock ? &sim_plat_test : &sim_plat_threads;
        else if (bk == SIM_BACKEND_PROCESSES && !desc->virtual_clock) ops = &sim_plat_procs;
        else return diag_set(d, ERR_UNSUPPORTED, "backend '%s' has no virtual clock in this version of weft (use threads "
                             "or coroutines)", backend);
    }
    bool coro = ops == &sim_plat_coro;
    uint32_t nloops = coro ? async_nloops(prog) : 0;
    /* coroutines with a process pool (run_in_executor on a ProcessPoolExecutor): its workers are
     * forked processes; with a virtual clock every unit runs on main's thread, so it cannot be */
    bool coro_procs = false;
    for (uint32_t i = 0; coro && i < prog->nobjects; i++) {
        const sim_object *o = &prog->objects[i];
        if (o->kind != SIM_OBJ_POOL || o->pool_kind != SIM_POOL_PROCESSES) continue;
        if (desc->virtual_clock) {
            diag_set(d, ERR_UNSUPPORTED, "a process pool (kind=processes) has no virtual clock on the coroutines backend: "
                     "its workers are real processes");
            sim_diag_at(d, prog, o->opt_pos.line ? o->opt_pos.line : o->pos.line, o->opt_pos.line ? o->opt_pos.col : o->pos.col);
            snprintf(d->hint, sizeof d->hint, "run it with the real clock (drop --clock virtual), or use kind=threads");
            return -ERR_UNSUPPORTED;
        }
        coro_procs = true;
    }
    /* coroutines: loops in processes of their own (own_loop=process) */
    bool *loop_proc = NULL;
    if (coro && nloops) {
        loop_proc = xcalloc(nloops, sizeof *loop_proc);
        const sim_actor *lp = async_loop_processes(prog, loop_proc);
        if (lp && desc->virtual_clock) {
            free(loop_proc);
            diag_set(d, ERR_UNSUPPORTED, "own_loop=process has no virtual clock: its loop runs in a real process");
            sim_diag_at(d, prog, lp->loop_pos.line, lp->loop_pos.col);
            snprintf(d->hint, sizeof d->hint, "run it with the real clock (drop --clock virtual), or use own_loop");
            return -ERR_UNSUPPORTED;
        }
        if (lp) coro_procs = true;
    }

    /* 1. the platform and the run's shared state */
    sim_plat *plat;
    uint32_t nmon = 3 + prog->nobjects + prog->nunits +
                    (sim_program_gil(prog, NULL) ? (desc->gil_per_unit ? nloops + prog->nunits : ops->unit_launch ? prog->nunits + 1 : 1) : 0);
    rt *hook_rt = NULL;   /* the hooks' context: the run, once it exists (no loop runs a task before) */
    sim_plat_hooks hooks;
    async_hooks(&hook_rt, &hooks);
    trc_recorder_desc rcd = sim_record_desc(prog, desc);
    uint32_t nvars = 0;
    for (uint32_t i = 0; i < prog->nobjects; i++) nvars += prog->objects[i].kind == SIM_OBJ_VAR;
    size_t ring_bytes = sizeof(trc_ring) + (size_t)(rcd.ring_events ? rcd.ring_events : TRC_RING_DEFAULT) * sizeof(trc_event);
    size_t shared = ((size_t)prog->nunits + 1) * (ring_bytes + 64 + sizeof(rt_unit) + 4096) + (size_t)nmon * 256 +
                    (size_t)prog->nobjects * 1024 + (64u << 20);
    if (coro_procs && async_program_creates(prog))   /* the rings of tasks made while running: room for 4096 at once */
        shared += (size_t)4096 * (ring_bytes + 128 + sizeof(rt_unit));
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        const sim_object *o = &prog->objects[i];
        if (o->kind == SIM_OBJ_SHM) shared += (size_t)o->cap_value + 64;
        if (o->kind == SIM_OBJ_QUEUE) shared += (size_t)o->cap_value * 24;
    }
    rt *_Atomic rslot = NULL;   /* on_end's context: the run, once it exists (read on the reaper's thread) */
    rc = ops->create(&plat, &(sim_plat_desc){ .max_units = prog->nunits, .max_monitors = nmon, .shared_bytes = shared,
                                              .private_bytes = (size_t)nvars * 64, .on_end = proc_ended, .ctx = &rslot,
                                              .worker_exe = desc->worker_exe, .loops = nloops,
                                              .task_stack = prog->task_stack, .virtual_clock = desc->virtual_clock,
                                              .hooks = coro ? &hooks : NULL, .process_units = coro_procs, .loop_process = loop_proc, .computes = sim_program_computes(prog) },
                     d);
    if (rc) {
        free(loop_proc);
        return rc;
    }
    rt *r = ops->alloc(plat, sizeof *r);
    if (r && loop_proc && (r->loop_proc = ops->alloc(plat, nloops * sizeof *loop_proc)))
        memcpy(r->loop_proc, loop_proc, nloops * sizeof *loop_proc);
    free(loop_proc);
    if (!r || (loop_proc && !r->loop_proc)) {
        ops->destroy(plat);
        return diag_set(d, ERR_NOMEM, "out of memory for the run's shared state");
    }
    r->prog = prog;
    r->desc = desc;
    r->plat = plat;
    r->ops = plat->ops;   /* a platform of processes gives each process its own copy, at one address */
    r->procs = ops->unit_launch != NULL;
    r->coro = coro;
    r->coro_procs = coro_procs;
    r->nloops = nloops;
    r->ubase = nloops;
    r->nstatic = prog->nunits;
    r->nunits = nloops + prog->nunits;
    r->cap_units = async_program_creates(prog) && ops->dynamic_units ? SIM_MAX_RUN_UNITS : r->nunits;
    if (r->cap_units < r->nunits) r->cap_units = r->nunits;
    hook_rt = r;
    /* processes: the program where a spawned process finds it too */
    if (r->procs && !(r->prog = sim__program_clone(r, prog))) {
        ops->release(plat, r, sizeof *r);
        ops->destroy(plat);
        return diag_set(d, ERR_NOMEM, "out of memory for the run's shared state (the program)");
    }
    sim_punit *self = ops->main_unit(plat);
    bool started = false;
    trc_writer *w = desc->writer;
    trc_recorder *rec = NULL;
    arena tmp = { 0 };
    rc = rt_setup(r, d);
    if (!rc && gil_setup(r)) rc = diag_set(d, ERR_NOMEM, "out of memory for the run's GIL");
    if (rc) goto out;
    sched_begin(r, res);   /* before any unit's thread exists: they all inherit the kernel's records */

    /* 2. the recording and the recorder */
    trc_run run = { 0 };
    char machine[512];
    machine_info(machine, sizeof machine, &run.cores);
    if (ops->clock_source(plat)) {
        size_t ml = strlen(machine);
        snprintf(machine + ml, sizeof machine - ml, "; %s platform, virtual clock", ops->name);
    } else {
        size_t ml = strlen(machine);
        snprintf(machine + ml, sizeof machine - ml, "; scheduling: %s", r->sched_mode == RT_SCHED_KERNEL
                 ? "the kernel's context switches" : "CPU times and switch counts (no perf events)");
    }
    run.scenario = prog->title;
    run.source_path = prog->path;
    run.source_text = prog->text;
    run.source_hash = fnv1a64(prog->text, strlen(prog->text));
    run.backend = backend;
    run.seed = desc->seed;
    run.machine = machine;
    run.nparams = prog->nparams;
    run.params = arena_push(&tmp, sizeof *run.params * (prog->nparams + 1));
    for (uint32_t i = 0; i < prog->nparams; i++)
        run.params[i] = (trc_param){ prog->params[i].name, prog->params[i].value, prog->params[i].type == SIM_T_DUR };
    run.nunits = r->nunits;
    run.units = arena_push(&tmp, sizeof *run.units * (r->nunits + 1));
    for (uint32_t ui = 0; ui < r->nunits; ui++) {
        const rt_unit *u = &r->units[ui];
        const char *group = u->pool != UINT32_MAX    ? prog->objects[u->pool].name
                            : u->manager != UINT32_MAX ? "manager"
                            : u->actor                 ? u->actor->name
                                                       : "loop";
        run.units[ui] = (trc_unit){ .id = ui, .parent = u->parent, .name = u->name, .group = group,
                                    .kind = (r->procs || r->coro_procs) && u->pkind == SIM_PU_PROCESS ? TRC_UNIT_PROCESS : u->tkind };
    }
    run.nobjects = prog->nobjects + r->ngils;
    run.objects = arena_push(&tmp, sizeof *run.objects * (run.nobjects + 1));
    gil_objects(r, run.objects + prog->nobjects);
    for (uint32_t i = 0; i < prog->nobjects; i++) {
        const sim_object *o = &prog->objects[i];
        uint32_t related = o->kind == SIM_OBJ_CONDITION ? o->lock + 1 : o->manager;
        run.objects[i] = (trc_object){ .id = i + 1, .kind = (uint32_t)o->kind,   /* same numbers */
                                       .name = o->name, .capacity = o->kind == SIM_OBJ_MANAGER ? 0 : o->cap_value,
                                       .related = related, .subkind = o->subkind };   /* queues */
    }

    rc = w ? 0 : trc_writer_open(&w, desc->out_path, d);
    if (rc) goto out;
    trc_ring_alloc ralloc = { ring_alloc, ring_free, r };
    rcd.writer = w;
    rcd.virtual_clock = ops->clock_source(plat);
    rcd.alloc = r->procs || r->coro_procs ? &ralloc : NULL;   /* in the memory the unit processes share */
    rcd.cross_process = r->coro_procs && r->loop_proc;   /* tasks are made in loops' processes too */
    rc = trc_recorder_create(&rec, &rcd, d);
    if (rc) goto out;
    r->rec = rec;
    for (uint32_t i = 0; i < r->nunits; i++) {
        r->units[i].ring = trc_recorder_ring(rec, i);
        if (!r->units[i].ring) {
            rc = diag_set(d, ERR_NOMEM, "cannot allocate the recorder buffer of %s", r->units[i].name);
            goto out;
        }
    }
    /* the memory of weft's own process before the units are made (after the recorder's
     * buffers: the units' growth is theirs), carried by the first unit's events */
    trc_mem_sample mem_base;
    if (r->nunits) trc_recorder_mem_main(rec, 0, trc_mem_read(0, &mem_base, NULL) ? NULL : &mem_base);

    /* 3. the units: started first, released together (a platform of processes makes each one only
     * when it begins: unit_launch); on coroutines the loops (units 0 .. ubase - 1) run already */
    started = true;
    /* coroutines with process units: those are forked first, from main while the loops are idle
     * (no task runs yet, so no other thread of this process is in the middle of an allocation) */
    for (uint32_t pass = r->coro_procs ? 0 : 1; pass < 2; pass++)
    for (uint32_t ui = r->ubase; ui < r->nunits; ui++) {
        rt_unit *u = &r->units[ui];
        bool forked = u->pkind == SIM_PU_PROCESS || (u->loop != UINT32_MAX && r->loop_proc && r->loop_proc[u->loop]);
        if (r->coro_procs && (pass == 0) != forked) continue;
        rc = ops->unit_start(plat, &u->pu, &(sim_unit_start){ .entry = unit_main, .arg = u, .name = u->name,
                                                              .kind = u->pkind, .start = u->start,
                                                              .loop = u->loop == UINT32_MAX ? SIM_UNIT_OWN_THREAD : u->loop }, d);
        if (rc) {
            abandon(r);
            started = false;
            goto out;
        }
    }
    atomic_store_explicit(&rslot, r, memory_order_release);
    if (!r->procs) {
        ops->mon_lock(plat, self, r->mon);
        while (r->ready < r->nstatic) ops->mon_wait(plat, self, r->mon, RT_CH_READY, 0);
        ops->mon_unlock(plat, self, r->mon);
    }

    /* 4. the run's tables, then the start */
    for (uint32_t i = 0; i < r->nunits; i++)
        if (r->units[i].pu) ops->unit_ids(plat, r->units[i].pu, &run.units[i].pid, &run.units[i].tid);
    for (uint32_t i = r->ubase; i < r->nunits; i++) {   /* a loop's thread: the one its tasks run on */
        const rt_unit *u = &r->units[i];
        if (u->loop == UINT32_MAX || run.units[r->loop_unit0 + u->loop].tid) continue;
        run.units[r->loop_unit0 + u->loop].pid = run.units[i].pid;
        run.units[r->loop_unit0 + u->loop].tid = run.units[i].tid;
    }
    run.t_start = rt_now(r);
    rc = trc_writer_run_begin(w, &run, d);
    if (rc >= 0) {
        rc = 0;
        for (uint32_t i = 0; i < prog->nstrings && !rc; i++) rc = trc_writer_string(w, i, prog->strings[i], d);
    }
    if (!rc) rc = trc_recorder_start(rec, d);
    if (rc) {
        abandon(r);
        started = false;
        goto out;
    }
    uint64_t t0 = run.t_start;
    atomic_store_explicit(&r->recording, 1, memory_order_release);   /* the loops' hooks record from now */
    for (uint32_t i = r->ubase; i < r->nunits; i++) {
        rt_unit *u = &r->units[i];
        if (!u->autostart) continue;
        rt_count_start(r, u);
        ops->mon_lock(plat, self, u->mon);
        atomic_store(&u->start_req, 1);
        ops->mon_wake(plat, u->mon, 0, true);
        ops->mon_unlock(plat, self, u->mon);
        if (r->procs && proc_launch(r, NULL, u, (sim_pos){ 0, 0 })) break;
    }
    /* main's own copies of the pipes' ends: every process that needs one has it now */
    if (r->procs) pipes_close_all(r, r->nunits, self, NULL, NULL);

    /* 5. the watchdog, until the run ends */
    uint32_t end = r->nstatic ? watchdog_run(r, t0, res->report, sizeof res->report) : TRC_END_OK;
    for (uint32_t i = 0; i < r->nunits; i++)
        if (r->units[i].pu) ops->unit_join(plat, r->units[i].pu);
    started = false;
    trc_recorder_mem_end(rec);   /* no memory sample after the run's end */
    uint64_t t_end = rt_now(r);
    if (r->nloops) async_loops_end(r);
    size_t rl = strlen(res->report);
    async_report(r, res->report + rl, sizeof res->report - rl);
    res->wall_ns = t_end - t0;
    res->end_reason = end;

    rc = trc_recorder_stop(rec, d);
    res->lost = trc_recorder_lost(rec);
    res->events = trc_recorder_drained(rec);
    res->discarded = trc_recorder_discarded(rec);
    trc_recorder_flushes(rec, &res->flushes, &res->flush_ns);
    trc_recorder_mem_cost(rec, &res->mem_passes, &res->mem_reads, &res->mem_ns);
    if (!rc) rc = sched_end(r, w, &run, t_end, res, d);
    for (size_t i = 0; i < r->nstrs && !rc; i++) rc = trc_writer_string(w, prog->nstrings + (uint32_t)i, r->strs[i], d);
    shm_leaks(r, res->report, sizeof res->report);
    if (!rc) rc = trc_writer_run_end(w, t_end, end, res->report, d);
    rt_warnings(r, res);
    expect_check(res, prog, r, end);

out:
    if (started) abandon(r);
    if (r->sched) sim_sched_close(r->sched);
    if (rec) trc_recorder_free(rec);
    if (w && !desc->writer) {
        diag cd;
        int crc = trc_writer_close(w, &cd);
        if (!rc && crc) { rc = crc; if (d) *d = cd; }
    }
    gil_teardown(r);
    rt_teardown(r);
    ops->release(plat, r, sizeof *r);
    ops->destroy(plat);
    arena_release(&tmp);
    return rc;
}
