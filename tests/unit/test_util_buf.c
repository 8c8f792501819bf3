/* util_buf grows as text is added, stays NUL-terminated, refuses to pass
 * its max, and keeps its first failure: later appends do nothing and
 * util_buf_take reports it, after which the buffer is usable again. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

START_TEST(appends_grow_and_take_hands_over)
{
    util_buf b = UTIL_BUF_INIT(UTIL_BUF_NOMAX);
    char *s;

    ck_assert_int_eq(util_buf_adds(&b, "listeners="), 0);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(util_buf_addf(&b, "%sL%d://:%d", i ? "," : "", i, 9092 + i), 0);
    ck_assert_int_eq(util_buf_add(&b, "\nend", 4), 0);
    ck_assert_uint_eq(strlen(b.data), b.len);
    s = util_buf_take(&b);
    ck_assert(strncmp(s, "listeners=L0://:9092,L1://:9093,", 32) == 0);
    ck_assert(strcmp(s + strlen(s) - 4, "\nend") == 0);
    free(s);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(take_of_nothing_is_empty_string)
{
    util_buf b;
    char *s;

    util_buf_init(&b, 10);
    s = util_buf_take(&b);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(max_is_a_sticky_failure)
{
    util_buf b = UTIL_BUF_INIT(8);

    ck_assert_int_eq(util_buf_adds(&b, "12345678"), 0);
    ck_assert_int_eq(util_buf_adds(&b, "9"), -1);
    ck_assert_int_eq(b.fail, UTIL_BUF_TOO_BIG);
    /* What came before stays readable, for an error message. */
    ck_assert_str_eq(b.data, "12345678");
    ck_assert_int_eq(util_buf_add(&b, "", 0), -1);
    ck_assert_int_eq(util_buf_addf(&b, "%d", 1), -1);
    ck_assert_ptr_null(util_buf_take(&b));
    /* take reset it: the buffer starts over with the same max. */
    ck_assert_int_eq(b.fail, UTIL_BUF_OK);
    ck_assert_uint_eq(b.max, 8);
    ck_assert_int_eq(util_buf_addf(&b, "%s", "123456789"), -1);
    ck_assert_ptr_null(b.data);
    util_buf_reset(&b);
    ck_assert_int_eq(util_buf_adds(&b, "ok"), 0);
    util_buf_reset(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, appends_grow_and_take_hands_over);
    tcase_add_test(tc, take_of_nothing_is_empty_string);
    tcase_add_test(tc, max_is_a_sticky_failure);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
