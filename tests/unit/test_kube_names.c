/* The DNS name validators follow apimachinery's rules exactly: RFC 1123
 * labels may begin with a digit (a namespace like "1team" is valid), RFC
 * 1035 labels may not; labels never begin or end with '-'; only lower case;
 * a label is at most 63 bytes and a subdomain at most 253, whose labels
 * have no bound of their own; NULL and "" are never names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kube/names.h"

/* n copies of c, NUL-terminated, in a static buffer. */
static const char *rep(char c, size_t n)
{
    static char buf[512];

    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

START_TEST(dns1123_label)
{
    static const char *good[] = {"a", "0", "1team", "a-b", "a--b", "abc123", "9"};
    static const char *bad[] = {"",    "-a",  "a-", "A",   "aB", "a.b",
                                "a_b", "a b", "é",  "a/b", "-",  "a\n"};

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(kube_is_dns1123_label(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!kube_is_dns1123_label(bad[i]), "%s", bad[i]);
    ck_assert(!kube_is_dns1123_label(NULL));
    ck_assert(kube_is_dns1123_label(rep('a', KUBE_DNS1123_LABEL_MAX)));
    ck_assert(!kube_is_dns1123_label(rep('a', KUBE_DNS1123_LABEL_MAX + 1)));
}
END_TEST

START_TEST(dns1123_subdomain)
{
    static const char *good[] = {"a", "0", "a.b", "1.2.3.4", "my-secret", "a-b.c-d.e", "kafka.0"};
    static const char *bad[] = {"",    ".",   "a.",  ".a", "a..b", "a.-b", "a-.b",
                                "A.b", "a_b", "a b", "-a", "a-",   "a/b"};
    char buf[300];

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(kube_is_dns1123_subdomain(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!kube_is_dns1123_subdomain(bad[i]), "%s", bad[i]);
    ck_assert(!kube_is_dns1123_subdomain(NULL));
    /* A label longer than 63 bytes is fine inside a subdomain. */
    ck_assert(kube_is_dns1123_subdomain(rep('a', 100)));
    ck_assert(kube_is_dns1123_subdomain(rep('a', KUBE_DNS1123_SUBDOMAIN_MAX)));
    ck_assert(!kube_is_dns1123_subdomain(rep('a', KUBE_DNS1123_SUBDOMAIN_MAX + 1)));
    memset(buf, 'a', 253);
    buf[253] = '\0';
    buf[100] = '.';
    ck_assert(kube_is_dns1123_subdomain(buf));
}
END_TEST

START_TEST(dns1035_label)
{
    static const char *good[] = {"a", "a0", "a-b", "abc-123", "z"};
    static const char *bad[] = {"", "0", "1team", "-a", "a-", "A", "a.b", "a_b"};

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(kube_is_dns1035_label(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!kube_is_dns1035_label(bad[i]), "%s", bad[i]);
    ck_assert(!kube_is_dns1035_label(NULL));
    ck_assert(kube_is_dns1035_label(rep('a', KUBE_DNS1035_LABEL_MAX)));
    ck_assert(!kube_is_dns1035_label(rep('a', KUBE_DNS1035_LABEL_MAX + 1)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_names");
    TCase *tc = tcase_create("names");

    tcase_add_test(tc, dns1123_label);
    tcase_add_test(tc, dns1123_subdomain);
    tcase_add_test(tc, dns1035_label);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
