/* Finding an object by name in a list's items: the first match wins,
 * objects without a name or with a non-string name are passed over, and a
 * missing list or name finds nothing. An annotation is read only when it
 * is a string. */
#include <check.h>
#include <stdlib.h>

#include "kube/object.h"

START_TEST(find_by_name)
{
    cJSON *items = cJSON_Parse("[{\"metadata\":{\"name\":\"a\",\"uid\":\"1\"}},"
                               "{\"metadata\":{}},{\"metadata\":{\"name\":7}},{},"
                               "{\"metadata\":{\"name\":\"b\",\"uid\":\"2\"}},"
                               "{\"metadata\":{\"name\":\"b\",\"uid\":\"3\"}}]");

    ck_assert_ptr_nonnull(items);
    ck_assert_str_eq(kube_meta_uid(kube_find_by_name(items, "a")), "1");
    ck_assert_str_eq(kube_meta_uid(kube_find_by_name(items, "b")), "2");
    ck_assert_ptr_null(kube_find_by_name(items, "c"));
    ck_assert_ptr_null(kube_find_by_name(items, ""));
    ck_assert_ptr_null(kube_find_by_name(items, NULL));
    ck_assert_ptr_null(kube_find_by_name(NULL, "a"));
    cJSON_Delete(items);
}
END_TEST

START_TEST(annotation)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"annotations\":{\"a\":\"x\",\"n\":1}}}");

    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(kube_meta_annotation(o, "a"), "x");
    ck_assert_ptr_null(kube_meta_annotation(o, "n"));
    ck_assert_ptr_null(kube_meta_annotation(o, "b"));
    ck_assert_ptr_null(kube_meta_annotation(NULL, "a"));
    cJSON_Delete(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_object");
    TCase *tc = tcase_create("object");

    tcase_add_test(tc, find_by_name);
    tcase_add_test(tc, annotation);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
