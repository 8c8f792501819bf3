/* util_printf formats into a new string of exactly the right size;
 * util_strdup and util_strndup copy (NULL in, NULL out; embedded NULs
 * kept); util_strdup_opt treats "" as absent and reports running out of
 * memory through its flag only. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

START_TEST(printf_formats_whole_text)
{
    char big[3000];
    char *s = util_printf("%s-%d-%s", "a", 42, "b");

    ck_assert_str_eq(s, "a-42-b");
    free(s);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    s = util_printf("<%s>", big);
    ck_assert_uint_eq(strlen(s), sizeof big + 1);
    ck_assert(s[0] == '<' && s[sizeof big] == '>');
    free(s);
    s = util_printf("%s", "");
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(ends_with_tells_suffixes)
{
    ck_assert(util_str_ends_with("demo-broker-certs", "-broker-certs"));
    ck_assert(util_str_ends_with("x", ""));
    ck_assert(!util_str_ends_with("certs", "-broker-certs"));
    ck_assert(!util_str_ends_with("demo-broker-certs-2", "-broker-certs"));
    ck_assert(!util_str_ends_with(NULL, ""));
}
END_TEST

START_TEST(hex_goes_there_and_back)
{
    static const unsigned char bytes[] = {0x00, 0x7f, 0xa5, 0xff};
    unsigned char back[4];
    char text[9];

    util_hex(bytes, sizeof bytes, text);
    ck_assert_str_eq(text, "007fa5ff");
    ck_assert_int_eq(util_unhex("007FA5ff", back, sizeof back), 4);
    ck_assert_mem_eq(back, bytes, 4);
    ck_assert_int_eq(util_unhex("", back, sizeof back), 0);
    ck_assert_int_eq(util_unhex("007", back, sizeof back), -1);        /* odd */
    ck_assert_int_eq(util_unhex("0g", back, sizeof back), -1);         /* not hex */
    ck_assert_int_eq(util_unhex("0011223344", back, sizeof back), -1); /* too long */
}
END_TEST

START_TEST(dup_copies_and_passes_null_through)
{
    char *s = util_strdup("kafka-0");

    ck_assert_str_eq(s, "kafka-0");
    free(s);
    ck_assert_ptr_null(util_strdup(NULL));
}
END_TEST

START_TEST(ndup_copies_exactly_n_bytes)
{
    char *s = util_strndup("broker-1.kafka", 8);

    ck_assert_str_eq(s, "broker-1");
    free(s);
    /* An embedded NUL is copied, so a caller can still see it. */
    s = util_strndup("ab\0cd", 5);
    ck_assert(memcmp(s, "ab\0cd", 6) == 0);
    free(s);
    s = util_strndup("x", 0);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(dup_opt_treats_empty_as_absent)
{
    bool oom = false;
    char *s = util_strdup_opt("v", &oom);

    ck_assert_str_eq(s, "v");
    free(s);
    ck_assert_ptr_null(util_strdup_opt("", &oom));
    ck_assert_ptr_null(util_strdup_opt(NULL, &oom));
    ck_assert(!oom);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_str");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, printf_formats_whole_text);
    tcase_add_test(tc, ends_with_tells_suffixes);
    tcase_add_test(tc, hex_goes_there_and_back);
    tcase_add_test(tc, dup_copies_and_passes_null_through);
    tcase_add_test(tc, ndup_copies_exactly_n_bytes);
    tcase_add_test(tc, dup_opt_treats_empty_as_absent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
