/* The typed JSON getters accept the right type, keep the caller's default
 * for an optional member that is absent or null, and name the member
 * (after its path) with what was wrong: missing, wrong type, out of range,
 * not a whole number. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static cJSON *doc;

static void setup(void)
{
    doc = cJSON_Parse("{\"n\": 7, \"half\": 1.5, \"neg\": -3, \"s\": \"x\", \"b\": true,"
                      " \"o\": {}, \"a\": [1], \"nul\": null, \"two\": 2.0}");
    ck_assert_ptr_nonnull(doc);
}

static void teardown(void)
{
    cJSON_Delete(doc);
}

START_TEST(right_types_are_read)
{
    util_err err = {{0}};
    long long n = 0;
    bool b = false;
    const char *s = NULL;
    const cJSON *o = NULL, *a = NULL;

    ck_assert_int_eq(util_json_int(doc, "", "n", false, 0, 10, &n, &err), 0);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(util_json_int(doc, NULL, "two", false, 0, 10, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(util_json_bool(doc, "", "b", false, &b, &err), 0);
    ck_assert(b);
    ck_assert_int_eq(util_json_str(doc, "", "s", false, &s, &err), 0);
    ck_assert_str_eq(s, "x");
    ck_assert_int_eq(util_json_obj(doc, "", "o", false, &o, &err), 0);
    ck_assert(cJSON_IsObject(o));
    ck_assert_int_eq(util_json_arr(doc, "", "a", false, &a, &err), 0);
    ck_assert(cJSON_IsArray(a));
}
END_TEST

START_TEST(optional_missing_keeps_default)
{
    util_err err = {{0}};
    long long n = -1;
    bool b = true;
    const char *s = "dflt";

    ck_assert_int_eq(util_json_int(doc, "", "absent", true, 0, 10, &n, &err), 1);
    ck_assert_int_eq(util_json_int(doc, "", "nul", true, 0, 10, &n, &err), 1);
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(util_json_bool(doc, "", "nul", true, &b, &err), 1);
    ck_assert(b);
    ck_assert_int_eq(util_json_str(NULL, "", "s", true, &s, &err), 1);
    ck_assert_str_eq(s, "dflt");
    ck_assert_str_eq(err.msg, "");
}
END_TEST

static void fails(int rc, const util_err *err, const char *want)
{
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err->msg, want);
}

START_TEST(errors_name_the_member)
{
    util_err err = {{0}};
    long long n;
    bool b;
    const char *s;
    const cJSON *j;

    fails(util_json_int(doc, "spec.", "absent", false, 0, 10, &n, &err), &err,
          "spec.absent: missing");
    fails(util_json_int(doc, "spec.", "nul", false, 0, 10, &n, &err), &err, "spec.nul: missing");
    fails(util_json_int(doc, "", "s", false, 0, 10, &n, &err), &err, "s: not an integer");
    fails(util_json_int(doc, "", "half", false, 0, 10, &n, &err), &err, "half: not an integer");
    fails(util_json_int(doc, "", "neg", true, 0, 10, &n, &err), &err,
          "neg: -3 out of range [0, 10]");
    fails(util_json_bool(doc, "m.", "s", false, &b, &err), &err, "m.s: not a boolean");
    fails(util_json_str(doc, "", "n", false, &s, &err), &err, "n: not a string");
    fails(util_json_obj(doc, "", "a", false, &j, &err), &err, "a: not an object");
    fails(util_json_arr(doc, "", "o", false, &j, &err), &err, "o: not an array");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_json");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, right_types_are_read);
    tcase_add_test(tc, optional_missing_keeps_default);
    tcase_add_test(tc, errors_name_the_member);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}