/* util_lz packs text against a dictionary and unpacks it to the same
 * bytes: with and without a dictionary, copies that overlap what they
 * make or start in the dictionary and run into the text, binary bytes; a
 * second object of the same kind packs to a small part of its size; and
 * unpacking refuses a packing that is cut short, has bytes left over,
 * reaches back past its dictionary or was made against another one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/lz.h"

/* Packs src against dict, unpacks it, and checks the bytes came back;
 * returns the packed length. */
static size_t round_trip(const char *dict, size_t dict_len, const char *src, size_t n)
{
    char *packed, *text;
    size_t packed_len, got;

    ck_assert_int_eq(util_lz_pack(dict, dict_len, src, n, &packed, &packed_len), 0);
    text = util_lz_unpack(dict, dict_len, packed, packed_len, &got);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(got, n);
    ck_assert(memcmp(text, src, n) == 0);
    ck_assert_int_eq(text[n], '\0');
    free(text);
    free(packed);
    return packed_len;
}

/* A StatefulSet-like object of cluster name, as the caches keep them. */
static char *object(const char *name, int rv)
{
    char *s = malloc(8192);
    int n = 0;

    n += snprintf(
        s + n, 8192 - (size_t)n,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"%s\","
        "\"namespace\":\"bench\",\"uid\":\"%08x-1c2d-4e5f-8a9b-%012x\","
        "\"resourceVersion\":\"%d\",\"labels\":{\"app.kubernetes.io/instance\":\"%s\","
        "\"app.kubernetes.io/managed-by\":\"berth-operator\"}},\"spec\":{\"replicas\":3,"
        "\"serviceName\":\"%s-brokers\",\"template\":{\"spec\":{\"containers\":[",
        name, (unsigned)rv * 7919u, (unsigned)rv * 104729u, rv, name, name);
    for (int i = 0; i < 12; i++)
        n += snprintf(s + n, 8192 - (size_t)n,
                      "%s{\"name\":\"env-%d\",\"value\":\"%s-%d.%s-brokers.bench.svc\"}",
                      i ? "," : "", i, name, i, name);
    snprintf(s + n, 8192 - (size_t)n, "]}}}}");
    return s;
}

START_TEST(round_trips)
{
    static const char run[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    char bin[4096];

    round_trip(NULL, 0, "", 0);
    round_trip(NULL, 0, "abc", 3);
    round_trip("abc", 3, "", 0);
    /* A copy overlapping the bytes it makes. */
    ck_assert_uint_lt(round_trip(NULL, 0, run, sizeof run - 1), 16);
    /* A copy starting in the dictionary and running into the text. */
    round_trip("xxxxhello wor", 13, "ld hello world hello world", 26);
    srand(7);
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (char)(rand() & (i % 3 ? 0xff : 0x0f));
    round_trip(bin, 1000, bin + 1000, sizeof bin - 1000);
    round_trip(NULL, 0, bin, sizeof bin);
}
END_TEST

START_TEST(alike_objects_pack_small)
{
    char *ref = object("k0", 1000), *other = object("k917", 423871);
    size_t n = strlen(other), packed = round_trip(ref, strlen(ref), other, n);

    ck_assert_msg(packed * 5 < n, "%zu bytes packed to %zu", n, packed);
    /* Without the dictionary the text only repeats itself. */
    ck_assert_uint_gt(round_trip(NULL, 0, other, n), packed);
    free(ref);
    free(other);
}
END_TEST

START_TEST(broken_packings_are_refused)
{
    static const char dict[] = "the dictionary text";
    static const char src[] = "the dictionary text, and more of the text";
    char *packed, *bad, *text;
    size_t packed_len, n;

    ck_assert_int_eq(util_lz_pack(dict, strlen(dict), src, strlen(src), &packed, &packed_len), 0);
    /* Cut short anywhere. */
    for (size_t cut = 0; cut < packed_len; cut++)
        ck_assert_ptr_null(util_lz_unpack(dict, strlen(dict), packed, cut, &n));
    /* A byte left over. */
    bad = malloc(packed_len + 1);
    memcpy(bad, packed, packed_len);
    bad[packed_len] = 0;
    ck_assert_ptr_null(util_lz_unpack(dict, strlen(dict), bad, packed_len + 1, &n));
    free(bad);
    /* A dictionary shorter than the one it was packed against: the first
     * copy reaches back past it. */
    ck_assert_ptr_null(util_lz_unpack(dict, 3, packed, packed_len, &n));
    /* A length far beyond what the tokens could make. */
    ck_assert_ptr_null(util_lz_unpack(NULL, 0, "\xff\xff\xff\xff\x0f", 5, &n));
    /* Every byte flipped in turn: refused or unpacked, never more. */
    for (size_t i = 0; i < packed_len; i++) {
        bad = malloc(packed_len);
        memcpy(bad, packed, packed_len);
        bad[i] ^= 0x55;
        text = util_lz_unpack(dict, strlen(dict), bad, packed_len, &n);
        free(text);
        free(bad);
    }
    free(packed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_lz");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, round_trips);
    tcase_add_test(tc, alike_objects_pack_small);
    tcase_add_test(tc, broken_packings_are_refused);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
