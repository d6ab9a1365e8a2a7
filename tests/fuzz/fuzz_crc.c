/* Fuzzing helper: recomputes a .weft image's CRCs (see fuzz_crc.h). */
#include "tests/fuzz/fuzz_crc.h"

#include <string.h>

#include "base/base.h"

void fuzz_fix_crcs(uint8_t *p, size_t n) {
    if (n < 16 || memcmp(p, "WEFTREC\n", 8)) return;
    uint32_t hsize = ld_u32le(p + 12);
    if (hsize < 16 || hsize > 4096 || hsize % 4 || hsize > n) return;
    wr_u32le(p + hsize - 4, crc32_update(0, p, hsize - 4));
    size_t off = hsize;
    while (n - off >= 32 && ld_u32le(p + off) == 0x4b484357u /* "WCHK" */) {
        uint64_t len = ld_u64le(p + off + 16);
        if (len > n - off - 32) break;
        wr_u32le(p + off + 24, crc32_update(0, p + off + 32, (size_t)len));
        wr_u32le(p + off + 28, crc32_update(0, p + off, 28));
        off += 32 + (size_t)len;
    }
    if (n >= hsize + 24 && !memcmp(p + n - 24, "WEFTEND\n", 8)) wr_u32le(p + n - 4, crc32_update(0, p + n - 24, 20));
}
