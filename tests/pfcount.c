/* pfcount TRACE: decodes a Perfetto trace with the project's own decoder
 * (pbdec) and prints what trace_processor should import from it, one
 * "name value" a line: thread_tracks (thread descriptors), slices (BEGIN and
 * INSTANT events), counters (COUNTER events), flows (flow ids with both ends).
 * Used by check_perfetto_tp.sh to compare with trace_processor_shell. */
#include <stdio.h>
#include <stdlib.h>

#include "pbdec.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: pfcount TRACE\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    size_t cap = 1 << 16, n = 0;
    uint8_t *data = malloc(cap);
    for (size_t k; data && (k = fread(data + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) data = realloc(data, cap *= 2);
    }
    fclose(f);
    if (!data) { fprintf(stderr, "pfcount: out of memory\n"); return 1; }
    pb_trace t = { 0 };
    if (pb_decode(&t, data, n) != 0) { fprintf(stderr, "pfcount: %s: %s\n", argv[1], t.err); return 1; }
    size_t threads = 0, slices = 0, counters = 0, nout = 0, nin = 0;
    for (size_t i = 0; i < t.ntracks; i++) threads += t.tracks[i].is_thread;
    for (size_t i = 0; i < t.nevents; i++) {
        const pb_event *e = &t.events[i];
        slices += e->type == PB_TE_BEGIN || e->type == PB_TE_INSTANT;
        counters += e->type == PB_TE_COUNTER;
        nout += e->nflows;
        nin += e->ntflows;
    }
    uint64_t *out = malloc((nout + 1) * sizeof *out), *in = malloc((nin + 1) * sizeof *in);
    if (!out || !in) { fprintf(stderr, "pfcount: out of memory\n"); return 1; }
    nout = nin = 0;
    for (size_t i = 0; i < t.nevents; i++) {
        for (size_t k = 0; k < t.events[i].nflows; k++) out[nout++] = t.events[i].flows[k];
        for (size_t k = 0; k < t.events[i].ntflows; k++) in[nin++] = t.events[i].tflows[k];
    }
    qsort(out, nout, sizeof *out, cmp_u64);
    qsort(in, nin, sizeof *in, cmp_u64);
    size_t flows = 0;
    for (size_t i = 0, j = 0; i < nout && j < nin;) {
        if (out[i] < in[j]) i++;
        else if (in[j] < out[i]) j++;
        else { flows++; i++; j++; }
    }
    printf("thread_tracks %zu\nslices %zu\ncounters %zu\nflows %zu\n", threads, slices, counters, flows);
    free(out);
    free(in);
    free(data);
    pb_free(&t);
    return 0;
}
