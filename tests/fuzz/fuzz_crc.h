/* Fuzzing helper: makes a mutated .weft image's checksums right again. */
#ifndef WEFT_FUZZ_CRC_H
#define WEFT_FUZZ_CRC_H
#include <stddef.h>
#include <stdint.h>

/* Recomputes, in place, every CRC of a .weft image that its framing lets us
 * find: the file header's (its last 4 bytes, when the header size at byte 12
 * is sane), each chunk's payload and header CRCs (chunks walked one after the
 * other from the header while their magic is right and their payload fits),
 * and the trailer's (when the last 24 bytes start with "WEFTEND\n"). Without
 * this, a random mutation almost always fails a CRC and the fuzzer never gets
 * to the parsing behind them. Written from the format's description at the
 * top of traces/trc_file.c, not from its reader. */
void fuzz_fix_crcs(uint8_t *p, size_t n);

#endif
