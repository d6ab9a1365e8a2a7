/* A small decoder of Perfetto protobuf traces, for tests: the TrackEvent
 * subset the exporter writes (descriptors, track events, interning), strict
 * about wire types so encoding mistakes fail the test instead of decoding to
 * garbage. Interned names are resolved per sequence, honouring
 * SEQ_INCREMENTAL_STATE_CLEARED. */
#ifndef WEFT_PBDEC_H
#define WEFT_PBDEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_track {
    uint64_t uuid, parent;          /* parent 0 = none */
    char *name;                     /* TrackDescriptor.name, or the process/thread name */
    char *description;
    bool is_process, is_thread, is_counter;
    int32_t pid;
    int64_t tid;
    char *counter_unit_name;
    bool has_rank;
    int32_t rank;
    int merge;                      /* sibling_merge_behavior, 0 = unset */
    char *merge_key;                /* sibling_merge_key, NULL = unset */
    size_t packet;                  /* index of its descriptor's packet in the file */
} pb_track;

enum { PB_ANN_NONE, PB_ANN_UINT, PB_ANN_INT, PB_ANN_STR, PB_ANN_BOOL, PB_ANN_DOUBLE };
typedef struct pb_annot {
    char *name;                     /* resolved (inline or interned) */
    int kind;
    uint64_t u;
    int64_t i;
    double d;
    char *s;                        /* resolved (inline or interned) */
} pb_annot;

enum { PB_TE_BEGIN = 1, PB_TE_END = 2, PB_TE_INSTANT = 3, PB_TE_COUNTER = 4 };
typedef struct pb_event {
    size_t packet;                  /* index of its packet in the file */
    uint64_t ts;
    uint32_t seq, flags;
    bool first_on_seq;
    int type;
    bool has_track;
    uint64_t track;
    char *name;                     /* inline or interned name; NULL if none */
    uint64_t name_iid;              /* 0 if the name was inline or absent */
    bool has_counter;
    int64_t counter;
    uint64_t *flows; size_t nflows;
    uint64_t *tflows; size_t ntflows;
    pb_annot *ann; size_t nann;
} pb_event;

typedef struct pb_trace {
    size_t npackets;
    pb_track *tracks; size_t ntracks;
    pb_event *events; size_t nevents;
    size_t interned_entries;
    uint64_t packet_loss;           /* TraceStats.buffer_stats[].trace_writer_packet_loss, summed */
    char err[256];                  /* set when pb_decode fails */
} pb_trace;

/* Decodes a whole trace. Returns 0, or -1 with t->err saying what and where. */
int pb_decode(pb_trace *t, const uint8_t *data, size_t n);
void pb_free(pb_trace *t);

const pb_track *pb_track_by_uuid(const pb_trace *t, uint64_t uuid);
/* The first track with this name (process/thread names count). */
const pb_track *pb_track_by_name(const pb_trace *t, const char *name);
/* An annotation of an event by name, or NULL. */
const pb_annot *pb_event_annot(const pb_event *e, const char *name);

#endif
