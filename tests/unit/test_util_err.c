/* util_err keeps the context of a failure: messages set, then prefixed by
 * each caller, read back in order and truncated safely when long. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

START_TEST(prefixes_stack_outermost_first)
{
    util_err err;
    util_err_clear(&err);
    ck_assert_int_eq(util_err_set(&err, "invalid base64"), -1);
    util_err_prefix(&err, "client-key-data");
    util_err_prefix(&err, "user '%s'", "admin");
    ck_assert_str_eq(err.msg, "user 'admin': client-key-data: invalid base64");
}
END_TEST

START_TEST(long_messages_are_truncated_not_overrun)
{
    util_err err;
    char big[2 * UTIL_ERR_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    util_err_set(&err, "%s", big);
    util_err_prefix(&err, "ctx");
    ck_assert_uint_eq(strlen(err.msg), UTIL_ERR_MAX - 1);
    ck_assert(strncmp(err.msg, "ctx: x", 6) == 0);
}
END_TEST

START_TEST(null_err_is_ignored)
{
    ck_assert_int_eq(util_err_set(NULL, "x"), -1);
    ck_assert_int_eq(util_err_prefix(NULL, "x"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_err");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, prefixes_stack_outermost_first);
    tcase_add_test(tc, long_messages_are_truncated_not_overrun);
    tcase_add_test(tc, null_err_is_ignored);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
