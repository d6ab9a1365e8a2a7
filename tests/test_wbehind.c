/* A file written behind (base/base_wbehind.c): every byte arrives, in order,
 * whatever the sizes of the writes; a write error is not lost: the writes
 * that follow or fclose fail with its errno. Run under TSan too. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

START_TEST(test_every_byte_in_order) {
    const char *path = tmp_path("behind.bin");
    enum { N = 9 << 20 };   /* several of its buffers, and a partial last one */
    uint8_t *want = xmalloc(N);
    for (size_t i = 0; i < N; i++) want[i] = (uint8_t)(i * 2654435761u >> 7);
    FILE *f = file_open_behind(path);
    ck_assert_ptr_nonnull(f);
    size_t at = 0, step = 1;
    while (at < N) {   /* 1 byte, 2, 4 ... 2 MiB, then again */
        size_t k = N - at < step ? N - at : step;
        ck_assert_uint_eq(fwrite(want + at, 1, k, f), k);
        at += k;
        step = step >= (2u << 20) ? 1 : step * 2;
    }
    ck_assert_int_eq(fclose(f), 0);
    char *got;
    size_t n;
    diag d;
    ck_assert_int_eq(file_read_all(path, &got, &n, &d), 0);
    ck_assert_uint_eq(n, N);
    ck_assert_int_eq(memcmp(got, want, N), 0);
    free(got);
    /* an empty file, and one byte */
    f = file_open_behind(path);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(file_read_all(path, &got, &n, &d), 0);
    ck_assert_uint_eq(n, 0);
    free(got);
    f = file_open_behind(path);
    fputc('x', f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(file_read_all(path, &got, &n, &d), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(got[0], 'x');
    free(got);
    free(want);
}
END_TEST

START_TEST(test_error_not_lost) {
    /* /dev/full: every write fails with ENOSPC */
    FILE *f = file_open_behind("/dev/full");
    ck_assert_ptr_nonnull(f);
    static uint8_t block[1 << 20];
    for (int i = 0; i < 12; i++) fwrite(block, 1, sizeof block, f);   /* fails at some point, or not yet */
    errno = 0;
    ck_assert_int_eq(fclose(f), EOF);
    ck_assert_int_eq(errno, ENOSPC);
    /* a folder that does not exist: no FILE, errno says why */
    errno = 0;
    ck_assert_ptr_null(file_open_behind(tmp_path("no/such/folder/x")));
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("wbehind");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_every_byte_in_order);
    tcase_add_test(tc, test_error_not_lost);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
