/* The Perfetto export's loop-free varint (pb_var8, the packets' hot paths)
 * writes the same bytes as the plain one (pb_var) and moves the pointer by
 * the same length: on every length boundary, both sides of it, and on
 * pseudo-random values of every bit length up to 64. */
#include "testutil.h"
#include "traces/trc_pf_internal.h"

#include <string.h>

static void same(uint64_t v) {
    uint8_t a[32], b[32];
    memset(a, 0xee, sizeof a);
    memset(b, 0xee, sizeof b);
    size_t na = (size_t)(pb_var(a, v) - a), nb = (size_t)(pb_var8(b, v) - b);
    ck_assert_msg(na == nb, "%llu: length %zu, pb_var8 %zu", (unsigned long long)v, na, nb);
    ck_assert_msg(!memcmp(a, b, na), "%llu: the bytes differ", (unsigned long long)v);
}

START_TEST(loop_free_varint_matches) {
    same(0);
    for (unsigned bits = 1; bits <= 64; bits++) {
        uint64_t top = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
        same(top);
        same(top + 1);
        same(top - 1);
        same(1ull << (bits - 1));
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        same(x >> (i % 64));
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("pf_varint");
    TCase *tc = tcase_create("varint");
    tcase_add_test(tc, loop_free_varint_matches);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
