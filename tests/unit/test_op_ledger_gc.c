/* Drain-ledger cleanup after a scale-down (operator/ledger_gc.c): entries
 * naming a broker id at or above the new replica count go, in the original
 * order or in the demoted set; every other entry stays exactly as it was;
 * the cached-ConfigMap check says "nothing to do" for a clean or unreadable
 * ledger, so a no-op reconcile asks the API server nothing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "operator/ledger_gc.h"

#define LEDGER                                                                                     \
    "{\"version\":1,\"partitions\":["                                                              \
    "{\"topic\":\"a\",\"partition\":0,\"original\":[0,1,2],\"demoted\":[1],"                       \
    "\"written\":[0,2,1],\"wrote\":[[0,2,1]]},"                                                    \
    "{\"topic\":\"a\",\"partition\":1,\"original\":[3,1,2],\"demoted\":[],"                        \
    "\"written\":[3,1,2],\"wrote\":[]},"                                                           \
    "{\"topic\":\"b\",\"partition\":0,\"original\":[2,0,1],\"demoted\":[2],"                       \
    "\"written\":[0,1,2],\"wrote\":[[0,1,2]]},"                                                    \
    "{\"topic\":\"b\",\"partition\":7,\"original\":[4,0,1],\"demoted\":[4],"                       \
    "\"written\":[0,1,4],\"wrote\":[[0,1,4]]}]}"

static drain_ledger *parse_ok(const char *json)
{
    drain_ledger *l = NULL;
    util_err err;

    ck_assert_msg(drain_ledger_parse(json, strlen(json), &l, &err) == 0, "%s", err.msg);
    return l;
}

START_TEST(test_drops_only_removed_ids)
{
    drain_ledger *l = parse_ok(LEDGER);

    ck_assert_int_eq(op_ledger_drop_removed(l, 3), 2);
    ck_assert_int_eq(l->n, 2);
    ck_assert_ptr_nonnull(drain_ledger_find(l, "a", 0));
    ck_assert_ptr_nonnull(drain_ledger_find(l, "b", 0));
    ck_assert_ptr_null(drain_ledger_find(l, "a", 1));
    ck_assert_ptr_null(drain_ledger_find(l, "b", 7));
    ck_assert_int_eq(drain_ledger_find(l, "b", 0)->n_demoted, 1);
    ck_assert_int_eq(drain_ledger_find(l, "b", 0)->demoted[0], 2);
    /* A second pass finds nothing more. */
    ck_assert_int_eq(op_ledger_drop_removed(l, 3), 0);
    /* At 5 brokers nothing in the ledger names a removed id. */
    drain_ledger_free(l);
    l = parse_ok(LEDGER);
    ck_assert_int_eq(op_ledger_drop_removed(l, 5), 0);
    ck_assert_int_eq(l->n, 4);
    /* Down to 2: entries naming broker 2 go too. */
    ck_assert_int_eq(op_ledger_drop_removed(l, 2), 4);
    ck_assert_int_eq(l->n, 0);
    drain_ledger_free(l);
}
END_TEST

static cJSON *cm_with(const char *ledger)
{
    cJSON *cm = cJSON_CreateObject();
    cJSON *data = cJSON_AddObjectToObject(cm, "data");

    if (ledger != NULL)
        cJSON_AddStringToObject(data, DRAIN_LEDGER_KEY, ledger);
    return cm;
}

START_TEST(test_cached_check)
{
    cJSON *cm = cm_with(LEDGER);

    ck_assert_int_eq(op_ledger_names_removed(cm, 3), 1);
    ck_assert_int_eq(op_ledger_names_removed(cm, 4), 1);
    ck_assert_int_eq(op_ledger_names_removed(cm, 5), 0);
    cJSON_Delete(cm);
    cm = cm_with(NULL);
    ck_assert_int_eq(op_ledger_names_removed(cm, 1), 0);
    cJSON_Delete(cm);
    cm = cm_with("{not json");
    ck_assert_int_eq(op_ledger_names_removed(cm, 1), 0);
    cJSON_Delete(cm);
    ck_assert_int_eq(op_ledger_names_removed(NULL, 1), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_ledger_gc");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_drops_only_removed_ids);
    tcase_add_test(tc, test_cached_check);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
