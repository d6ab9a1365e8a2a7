/* Perfetto export: a native protobuf TracePacket stream (Trace = repeated
 * TracePacket packet = 1), written by our own streaming encoder.
 * Format reference: shared/perfetto/SPEC.md; traps: shared/perfetto/PITFALLS.md.
 *
 * What the trace holds (everything comes from the derived model, so it agrees
 * with the viewer and the stats):
 *
 *  - A descriptor for uuid 0 asks for EXPLICIT process and thread ordering, so
 *    runs appear in recording order and units in unit order (v57+; ignored by
 *    older UIs).
 *  - Run r is one process track, "<scenario> (<backend>)"; with several runs it
 *    is "run N: <scenario> (<backend>, <params that differ between runs>)". Its
 *    pid is the units' real pid when they all share one that no earlier run
 *    used, else a synthetic pid. Synthetic ids count up from 2^30, above any
 *    Linux pid (PID_MAX_LIMIT is 2^22), so they never collide with real ones.
 *  - Every unit is a thread track of its run's process: tid = the unit's real
 *    tid, else its real pid (a process unit), else synthetic; a tid is never
 *    used twice in one trace (SPEC 3.3: globally unique tids). Coroutine tasks
 *    are not OS threads: each is a custom track (merge behaviour NONE) under a
 *    group "tasks on <loop>" shown next to its loop's thread (SPEC 4.6).
 *  - On a unit's track: one lifetime slice named after the unit (from its first
 *    event to its exit, arg "exit"), and nested in it one slice per model span:
 *    "computing", "sleeping", "blocked on <obj> (<op>)" (args "object" and
 *    "outcome"; a RESULT wait adds "future"; a JOIN wait is "blocked on
 *    <unit> (join)"), "ready" (a task that can run, waiting for its loop).
 *    RUNNING is the gap inside the lifetime slice (it is half the spans and
 *    would double the trace for no information); DONE is omitted. A daemon
 *    cut off at exit has "exit" = "killed (...)", a cancelled task "cancelled".
 *  - An event loop's track has "idle" while it waits in select and "blocked by
 *    <task> (computing|sleeping)" while a task stops it; under it, counter
 *    tracks "<loop> ready" (tasks ready at each iteration) and "<loop> lag"
 *    (ns: how late its deadlines fired). "cancel <task>" and "cancelled ..."
 *    instants say where a cancellation was asked and where it was delivered.
 *  - A queue is a counter track "<q> depth" (unit "items") under the process,
 *    with one sample per model depth sample (the first is 0 at the run start).
 *  - A lock is a custom track "<m> owner" under the process, one slice per
 *    ownership named after the owning unit. An owner is a category, not a
 *    quantity, so slices (SPEC 3.4: slices for intervals, counters for values);
 *    a counter of unit ids would read as nonsense numbers. An rlock's slice
 *    says how deep it went ("a (depth 3)") and nests slices "depth 2",
 *    "depth 3" for the times it was held that deep; an rwlock's writers are
 *    "<rw> writer" the same way.
 *  - Quantities are counter tracks under the process: "<s> permits in use"
 *    (semaphores), "<rw> readers", "<c> value" (counters), "<b> arrived"
 *    (barriers), one sample per model level sample. An event's set state is
 *    a slice track "<e> set", one slice "set by <unit>" per SET..CLEAR.
 *  - A pool's futures are slices "future <id>" (args "future", "outcome")
 *    from the first of submit/start/cancel/done to done, cancel or callback
 *    (the run's end if never finished), with nested "pending" and "running"
 *    and instants "cancelled" and "callback". Futures overlap, so they go on
 *    lanes (a future takes the lane that freed first), each lane a custom
 *    track "<pool> futures" merged by key into one visual track (SPEC 4.7:
 *    one track per concurrent operation, same lane in the UI).
 *  - Flows (SPEC 3.5, 4.4, 4.5): each model flow becomes two instants on the
 *    units' tracks: "put q" (flow_ids) -> "get q" (terminating_flow_ids), both
 *    with arg "item", for TRC_FLOW_ITEM; "release m" -> "acquire m" for
 *    TRC_FLOW_HANDOFF. Instants exist exactly at t0 and t1 (flows bind to
 *    slices, and the state slices are not there at those times: a put happens
 *    while RUNNING). Flow ids are namespaced per run: base(run) + model id.
 *  - Marks are instants on their unit's track, named by the mark text.
 *  - The textbook's point events are instants on their unit's track: "notify
 *    cv", "set e", "clear e", "open b", "spawn w", "joined w", "submit p",
 *    "start p", "done p", "cancel p", "callback p", "result p", "lost update
 *    c", "task_done q", "killed (daemon)", a LOCAL_SET's text; with args (seq,
 *    woken, generation, future, outcome, value, lost, unfinished). The flows
 *    of the kinds after HANDOFF (notify/set/barrier -> each waiter's "wake"
 *    or "pass", spawn -> "spawned by", "exit" -> joined, submit -> start ->
 *    done -> callback and result) connect these instants: one instant per
 *    event, carrying every flow id that starts or ends there (a notify_all
 *    fans out from one instant).
 *
 *  - A run that ended deadlocked or stuck: an instant "deadlock" (on the
 *    wait-for cycle, arg "cycle") or "stuck" on every unit still waiting at
 *    its end, inside its last blocked slice (trc_pf_ends.c).
 *
 * Times: ts = origin + model relative time. A one-run recording keeps its
 * CLOCK_MONOTONIC ns (origin = its start); in a multi-run recording origin is
 * 0, so every run starts at 0 and runs line up for comparison (SPEC 4.8); a
 * run's description says by how much it was shifted from the first start.
 * timestamp_clock_id stays unset (SPEC 3.2).
 *
 * Sequences (SPEC 3.1: one per writer, each in time order): per run, one for
 * the instants of the textbook events and the flows between them, one per
 * unit (its lifetime and state slices), one for both ends of the item and
 * hand-off flows (after the units': at equal times a get or an acquire comes
 * after the END of the wait it ends), one for the marks, and per object one
 * per track. trace_processor sorts by (timestamp, file position): in both flow
 * sequences a flow's start is written before its end, and the instants at one
 * nanosecond are ordered by stage (a flow's destination is a stage above its
 * source), so a flow starts before it terminates even when both ends share a
 * nanosecond. Both flow sequences are written by one sweep over the model's
 * flows in start order that parks each end until its time (trc_pf_pending.c):
 * the export's memory holds the flows in flight, never one entry per flow.
 * Writing stream after stream needs no merge of the whole trace,
 * which is what keeps the export fast. A run with many counter samples has
 * its counter sequences encoded on a helper thread (trc_pf_side.c) and
 * written block by block between the others' (SPEC 3.1 asks order within a
 * sequence only; no flow or slice depends on a counter's file position). The first packet of every sequence
 * sets SEQ_INCREMENTAL_STATE_CLEARED|NEEDS and first_packet_on_sequence;
 * interned names (event names, annotation names and string values) are
 * defined lazily in the packet of the sequence that first uses them; every
 * packet that uses one sets NEEDS. Descriptors come before the run's events,
 * without a sequence id.
 *
 * Encoding: packets go straight into one output block (flushed with fwrite
 * when full). Nested lengths reserve one byte and are fixed up when the
 * message closes; the rare message of 128 bytes or more is moved up by the
 * extra varint bytes, so every length is minimal. */
#include "traces/trc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "traces/trc_pf_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool pf_level_shown(uint32_t kind) {
    return kind == TRC_OBJ_SEMAPHORE || kind == TRC_OBJ_RWLOCK || kind == TRC_OBJ_COUNTER || kind == TRC_OBJ_BARRIER ||
           kind == TRC_OBJ_GIL;
}

/* The run's counter sample sequences, in the order pf_events (then pf_seq_sched) writes them when it
 * writes them itself. */
static int pf_sample_jobs(pf_run *pr, pf_job **out, size_t *nout) {
    const trc_model *m = pr->m;
    size_t cap = 2 * (size_t)pr->nunits + 2 * (size_t)pr->nobjects + 1, n = 0;
    pf_job *v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v) return -ERR_NOMEM;
    for (uint32_t u = 0; u < pr->nunits; u++) {
        const trc_unit_track *ut = &m->units[u];
        if (pr->run->units[u].kind != TRC_UNIT_LOOP || !ut->ticks) continue;
        v[n++] = (pf_job){ pf_uuid_loop(pr, u, 0), ut->ready_len, ut->nready_len, 0 };
        if (ut->nlag) v[n++] = (pf_job){ pf_uuid_loop(pr, u, 1), ut->lag, ut->nlag, 0 };
    }
    for (uint32_t ob = 0; ob < pr->nobjects; ob++) {
        const trc_object_track *ot = &m->objects[ob];
        if (ot->ndepth) v[n++] = (pf_job){ pf_uuid_depth(pr, ob), ot->depth, ot->ndepth, 0 };
        if (ot->nlevel && pf_level_shown(pr->run->objects[ob].kind))
            v[n++] = (pf_job){ pf_uuid_level(pr, ob), ot->level, ot->nlevel, 0 };
    }
    const trc_sched *sc = &m->sched;   /* pf_seq_sched's "units wanting a CPU" */
    if (sc->source != TRC_SCHED_NONE && sc->nwant) v[n++] = (pf_job){ pf_uuid_cpu(pr, sc->ncpus), sc->want, sc->nwant, 0 };
    *out = v;
    *nout = n;
    return 0;
}

static int pf_events(pf_run *pr) {
    const trc_model *m = pr->m;
    /* the counter samples on a helper thread when they are many (trc_pf_side.c); else below, in turn */
    pf_job *jobs = NULL;
    size_t njobs = 0;
    int rc = pf_sample_jobs(pr, &jobs, &njobs);
    int side = rc ? rc : pf_side_start(pr, jobs, njobs);
    if (side < 0) rc = side;
    bool own = side != 1;   /* the samples are ours to write */
    pr->samples_aside = !own;
    if (!rc && m->nflows) rc = pf_flows_last(pr);
    if (!rc) rc = pf_seq_instants(pr);
    if (!rc) rc = pf_seq_ends(pr);        /* before the units' sequences: see trc_pf_ends.c */
    for (uint32_t u = 0; u < pr->nunits && !rc; u++) rc = pf_seq_unit(pr, u);
    for (uint32_t u = 0; u < pr->nunits && !rc && own; u++) {   /* event loops' counters */
        const trc_unit_track *ut = &m->units[u];
        if (pr->run->units[u].kind != TRC_UNIT_LOOP || !ut->ticks) continue;
        rc = pf_seq_samples(pr, pf_uuid_loop(pr, u, 0), ut->ready_len, ut->nready_len);
        if (!rc && ut->nlag) rc = pf_seq_samples(pr, pf_uuid_loop(pr, u, 1), ut->lag, ut->nlag);
    }
    if (!rc && m->nflows) rc = pf_seq_flows(pr);   /* after them: see trc_pf_flows.c */
    if (!rc && m->nmarks) rc = pf_seq_marks(pr);
    if (!rc) rc = pf_seq_losses(pr);
    for (uint32_t ob = 0; ob < pr->nobjects && !rc; ob++) {
        const trc_object_track *ot = &m->objects[ob];
        uint32_t kind = pr->run->objects[ob].kind;
        if (ot->ndepth && own) rc = pf_seq_samples(pr, pf_uuid_depth(pr, ob), ot->depth, ot->ndepth);
        if (!rc && ot->nowners && ot->owners) rc = pf_seq_owner(pr, ob);   /* else streamed from our sink */
        if (!rc && ot->nlevel && own && pf_level_shown(kind))
            rc = pf_seq_samples(pr, pf_uuid_level(pr, ob), ot->level, ot->nlevel);
        if (!rc && kind == TRC_OBJ_EVENT && ot->nset_spans) rc = pf_seq_set(pr, ob);
        if (!rc && kind == TRC_OBJ_POOL && ot->nfutures) rc = pf_seq_futures(pr, ob);
        if (!rc && pr->nomem) rc = -ERR_NOMEM;
    }
    if (!rc) rc = pf_seq_sched(pr);
    if (!rc) rc = pf_seq_mem(pr);
    if (!rc) rc = pr->o->err;
    if (side == 1) {
        int rs = pf_side_end(pr, rc != 0);
        if (!rc) rc = rs ? rs : pr->o->err;
    }
    free(jobs);
    return rc;
}

/* ---- entry point ---------------------------------------------------------- */

static size_t pf_max_name(const trc_run *run) {
    size_t mx = 32;
    for (uint32_t u = 0; u < run->nunits; u++) {
        size_t n = strlen(pf_s(run->units[u].name));
        if (n > mx) mx = n;
    }
    for (uint32_t o = 0; o < run->nobjects; o++) {
        size_t n = strlen(pf_s(run->objects[o].name));
        if (n > mx) mx = n;
    }
    return mx;
}

/* ---- the stream: run by run ------------------------------------------------ */

struct trc_pf_stream {
    pf_out o;
    pf_ids ids;
    const trc_recording *rec;
    uint64_t origin;        /* the earliest start of the recording's runs */
    uint64_t uuid, flow_base, lost;
    uint32_t next_seq;
    uint32_t r;             /* the run under way (in_run), else the next one */
    bool in_run;
    int rc;                 /* the first failure (-ERR_xxx), sticky */
    pf_run pr;
};

/* A failure as the caller sees it (the stream keeps rc). */
static int pf_fail(trc_pf_stream *s, diag *d) {
    int rc = s->rc;
    if (rc == -ERR_IO)
        return diag_set(d, ERR_IO, "cannot write the Perfetto trace: %s", strerror(s->o.err_no ? s->o.err_no : EIO));
    if (rc == -ERR_NOMEM) return diag_set(d, ERR_NOMEM, "perfetto export: out of memory");
    return diag_set(d, -rc, "perfetto export failed: %s", err_str(rc));
}

static void pf_run_free(pf_run *pr) {
    free(pr->name_done);
    free(pr->str_done);
    free(pr->in_last);
    free(pr->lane0);
    for (uint32_t ob = 0; pr->own && ob < pr->nobjects; ob++) free(pr->own[ob].names.k);
    free(pr->own);
    pf_dyn_free(&pr->dyn);
    memset(pr, 0, sizeof *pr);
}

/* The run's makespan as its model will have it, from what the file said of
 * it before its events are read: its end, and its latest event. */
static uint64_t pf_makespan(const trc_run *run) {
    uint64_t last = run->t_start > run->t_end ? run->t_start : run->t_end;
    if (run->src) {
        if (run->t_last > last) last = run->t_last;
    } else {
        for (size_t i = 0; i < run->nevents; i++)
            if (run->events[i].t > last) last = run->events[i].t;
    }
    return last - run->t_start;
}

int trc_pf_stream_begin(trc_pf_stream **out_s, FILE *out, const trc_recording *rec, diag *d) {
    *out_s = NULL;
    if (!out || !rec) return diag_set(d, ERR_USAGE, "trc_export_perfetto: missing output or recording");
    trc_pf_stream *s = calloc(1, sizeof *s);
    if (!s) return diag_set(d, ERR_NOMEM, "perfetto export: out of memory");
    s->rec = rec;
    s->origin = UINT64_MAX;
    for (uint32_t r = 0; r < rec->nruns; r++)
        if (rec->runs[r].t_start < s->origin) s->origin = rec->runs[r].t_start;
    s->o = (pf_out){ .f = out, .cap = PF_BLOCK };
    s->o.buf = malloc(s->o.cap + PF_PAD);
    if (!s->o.buf) {
        free(s);
        return diag_set(d, ERR_NOMEM, "perfetto export: no memory for the output block");
    }
    s->ids = (pf_ids){ .next = PF_SYNTH_ID0 };
    s->uuid = 1;
    s->next_seq = 1;
    pf_root_descriptor(&s->o);
    s->rc = s->o.err;
    if (s->rc) {   /* nothing to hand back */
        int rc = pf_fail(s, d);
        trc_pf_stream_free(s);
        return rc;
    }
    *out_s = s;
    return 0;
}

int trc_pf_stream_run_begin(trc_pf_stream *s, uint32_t r, trc_model_opts *opts, diag *d) {
    if (s->rc) return pf_fail(s, d);
    if (s->in_run || r != s->r || r >= s->rec->nruns)
        return diag_set(d, ERR_USAGE, "trc_pf_stream_run_begin: run %u is not the next run", r + 1);
    const trc_run *run = &s->rec->runs[r];
    uint64_t mk = pf_makespan(run);
    if (mk >= (1ull << 60) || s->origin > PF_INT63 - mk) {
        s->rc = -ERR_LIMIT;
        return diag_set(d, ERR_LIMIT, "run %u: times do not fit in a Perfetto timestamp (start %" PRIu64
                        " ns, makespan %" PRIu64 " ns)", r + 1, s->origin, mk);
    }
    pf_run *pr = &s->pr;
    *pr = (pf_run){ .o = &s->o, .run = run, .nunits = run->nunits, .nobjects = run->nobjects,
                    .next_seq = &s->next_seq, .origin = s->rec->nruns > 1 ? 0 : s->origin, .t_first = s->origin,
                    .uuid0 = s->uuid, .flow_base = s->flow_base };
    s->in_run = true;
    /* a packet holds at most a few names of objects or units with a few words around them */
    pr->slack = 512 + 4 * (pf_max_name(run) + 64);
    size_t nnames = 1 + TRC_ST__COUNT + (size_t)run->nunits + 8 * (size_t)run->nobjects;
    int rc = nnames >= UINT32_MAX / 2 ? -ERR_LIMIT : 0;
    pr->dyn_base = (uint32_t)nnames;
    pr->name_cap = nnames + 64;
    pr->name_done = rc ? NULL : calloc(pr->name_cap, sizeof *pr->name_done);
    pr->str_done = calloc(SV__COUNT(pr), sizeof *pr->str_done);
    if (!rc && (!pr->name_done || !pr->str_done)) rc = -ERR_NOMEM;
    if (!rc && opts) {
        pr->own = calloc(run->nobjects ? run->nobjects : 1, sizeof *pr->own);
        if (!pr->own) rc = -ERR_NOMEM;
    }
    if (!rc) rc = pf_desc_process(pr, s->rec, r, &s->ids, mk);
    if (rc) {
        s->rc = rc;
        return pf_fail(s, d);
    }
    if (opts) {
        opts->owner_sink = pf_owner_sink;
        opts->sink_ctx = pr;
    }
    return 0;
}

int trc_pf_stream_run_end(trc_pf_stream *s, const trc_model *m, diag *d) {
    if (s->rc) return pf_fail(s, d);
    if (!s->in_run || !m || m->run != &s->rec->runs[s->r])
        return diag_set(d, ERR_USAGE, "trc_pf_stream_run_end: not the model of run %u", s->r + 1);
    pf_run *pr = &s->pr;
    const trc_run *run = pr->run;
    for (uint32_t ob = 0; !pr->own && ob < run->nobjects; ob++)   /* its owners went to a sink not ours */
        if (m->objects[ob].nowners && !m->objects[ob].owners)
            return diag_set(d, ERR_USAGE, "trc_pf_stream_run_end: run %u's model holds no owner slices of '%s' "
                            "(built with another owner sink)", s->r + 1, pf_s(run->objects[ob].name));
    pr->m = m;
    int rc = pf_lanes(pr);
    if (!rc) rc = pf_descriptors(pr, &s->ids);
    if (!rc) { pf_desc_sched(pr); rc = s->o.err; }
    if (!rc) { pf_desc_mem(pr); rc = s->o.err; }
    if (!rc) rc = pf_events(pr);
    s->uuid += pf_uuid_count(run->nunits, run->nobjects, pr->nlanes, m->sched.ncpus, m->mem.nprocs);
    s->flow_base += pr->max_flow_id;   /* pf_flows_last's (0 without flows; after a failure the stream is done) */
    s->lost += m->lost;
    pf_run_free(pr);
    s->in_run = false;
    s->r++;
    if (rc) {
        s->rc = rc;
        return pf_fail(s, d);
    }
    return 0;
}

int trc_pf_stream_error(trc_pf_stream *s, diag *d) {
    if (!s->rc && s->o.err) s->rc = s->o.err;
    if (!s->rc && s->pr.nomem) s->rc = -ERR_NOMEM;
    return s->rc ? pf_fail(s, d) : 0;
}

void trc_pf_stream_free(trc_pf_stream *s) {
    if (!s) return;
    pf_run_free(&s->pr);
    free(s->o.buf);
    free(s->ids.used.k);
    free(s);
}

int trc_pf_stream_end(trc_pf_stream *s, diag *d) {
    if (!s->rc && (s->in_run || s->r != s->rec->nruns)) {
        trc_pf_stream_free(s);
        return diag_set(d, ERR_USAGE, "trc_pf_stream_end: not every run was written");
    }
    /* losses, as Perfetto reports its own: a TraceStats packet whose buffer
     * stats count them (trace_processor's stat traced_buf_trace_writer_packet_loss,
     * a data loss the UI flags); the count is of events lost */
    pf_out *o = &s->o;
    if (!s->rc && s->lost && pf_need(o, 32)) {
        uint8_t *p = o->buf + o->n, *pkt, *st, *bs;
        *p++ = 0x0a;                      /* Trace.packet */
        p = pb_open(p, &pkt);
        *p++ = 0x9a; *p++ = 0x02;         /* TracePacket.trace_stats = 35 */
        p = pb_open(p, &st);
        *p++ = 0x0a;                      /* TraceStats.buffer_stats = 1 */
        p = pb_open(p, &bs);
        *p++ = 0x98; *p++ = 0x01;         /* BufferStats.trace_writer_packet_loss = 19 */
        p = pb_var(p, s->lost);
        p = pb_close(bs, p);
        p = pb_close(st, p);
        p = pb_close(pkt, p);
        o->n = (size_t)(p - o->buf);
    }
    if (!s->rc) { pf_flush(o); s->rc = o->err; }
    int rc = s->rc ? pf_fail(s, d) : 0;
    trc_pf_stream_free(s);
    return rc;
}

int trc_export_perfetto(FILE *out, const trc_recording *rec, const trc_model *models, diag *d) {
    if (!out || !rec || (rec->nruns && !models))
        return diag_set(d, ERR_USAGE, "trc_export_perfetto: missing output, recording or models");
    uint64_t origin = UINT64_MAX;
    for (uint32_t r = 0; r < rec->nruns; r++) {
        if (models[r].run != &rec->runs[r])
            return diag_set(d, ERR_USAGE, "trc_export_perfetto: model %u is not the model of run %u", r, r);
        if (rec->runs[r].t_start < origin) origin = rec->runs[r].t_start;
    }
    for (uint32_t r = 0; r < rec->nruns; r++) {
        uint64_t mk = models[r].makespan;
        if (mk >= (1ull << 60) || origin > PF_INT63 - mk)
            return diag_set(d, ERR_LIMIT, "run %u: times do not fit in a Perfetto timestamp (start %" PRIu64
                            " ns, makespan %" PRIu64 " ns)", r + 1, origin, mk);
    }
    trc_pf_stream *s;
    int rc = trc_pf_stream_begin(&s, out, rec, d);
    for (uint32_t r = 0; r < rec->nruns && !rc; r++) {
        rc = trc_pf_stream_run_begin(s, r, NULL, d);
        if (!rc) rc = trc_pf_stream_run_end(s, &models[r], d);
    }
    if (!s) return rc;
    if (rc) {
        trc_pf_stream_free(s);
        return rc;
    }
    return trc_pf_stream_end(s, d);
}

int trc_export_perfetto_streamed(FILE *out, const trc_recording *rec, trc_pf_model_fn on_model, void *ctx,
                                 uint32_t *failed_run, diag *d) {
    if (failed_run) *failed_run = UINT32_MAX;
    trc_pf_stream *s;
    int rc = trc_pf_stream_begin(&s, out, rec, d);
    for (uint32_t r = 0; r < rec->nruns && !rc; r++) {
        trc_model_opts o = { 0 };
        rc = trc_pf_stream_run_begin(s, r, &o, d);
        if (rc) break;
        trc_model m;
        diag dm;
        diag_clear(&dm);
        rc = trc_model_build_opts(&m, &rec->runs[r], &o, &dm);
        if (rc) {
            /* the stream's own failure (writing the owner slices) says more than the model's */
            if (!trc_pf_stream_error(s, d)) {
                *d = dm;
                if (failed_run) *failed_run = r;
            }
            break;
        }
        if (on_model) on_model(ctx, r, &m);
        rc = trc_pf_stream_run_end(s, &m, d);
        trc_model_release(&m);
    }
    if (!s) return rc;
    if (rc) {
        trc_pf_stream_free(s);
        return rc;
    }
    return trc_pf_stream_end(s, d);
}
