/* Are two Perfetto traces the same trace? For tests and tools/pfequiv: the
 * streamed export (owner sequences written while the model is built) against
 * the stored one (or another version's), which may differ in file order and
 * sequence ids but must hold the same packets.
 *
 *  - packets: every sequence's packets, in order, with their sequence id left
 *    out, are the packets of one sequence of the other trace (sequences
 *    matched as a whole, whatever their ids); the packets without a sequence
 *    (descriptors, the trailer) are the same multiset. Cheap: one pass, a
 *    hash per sequence. Byte for byte, so it also fails when names made up
 *    at export time ("x (depth 2)", "events lost") got other iids because
 *    the sequences using them were written in another order: decisive only
 *    without decoding (traces with fixed names only, like a plain lock's).
 *  - decoded (pbdec): the same track descriptors by uuid, and per track the
 *    same events (type, name, counter, flows, annotations, interned names
 *    resolved) in (timestamp, file order), the order trace_processor sees
 *    them in.
 *  - and of b alone: every track's descriptor comes before its first event
 *    and after its parent's; every sequence's first packet, and only it, sets
 *    first_packet_on_sequence and SEQ_INCREMENTAL_STATE_CLEARED. */
#ifndef WEFT_PFCMP_H
#define WEFT_PFCMP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pfcmp_counts {
    size_t packets_a, packets_b, sequences_a, sequences_b, tracks, events;
    bool packets_same;   /* the packet comparison held (byte for byte but the sequence ids) */
} pfcmp_counts;

/* 0 when equivalent; 1 with `why` saying the first difference; -1 when a
 * trace does not decode (why says which and where). decode: also compare
 * the decoded events (memory: ~200 bytes per event of both traces). */
int pfcmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, bool decode, pfcmp_counts *c, char *why,
          size_t cap);

#endif
