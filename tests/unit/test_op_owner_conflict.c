/* Which live objects a KafkaCluster may apply (op_owner_conflict in
 * operator/reconcile_status.c): one that does not exist yet, or one carrying this
 * cluster's controller owner reference. An object with no controller (made
 * by hand, or carrying only a non-controller reference to this cluster) or
 * another controller is refused with a message that names its kind and
 * name, so berth never takes over, and later garbage-collects, what it did
 * not create. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/reconcile_status.h"

#define UID "11111111-2222-3333-4444-555555555555"

static cJSON *svc(const char *refs)
{
    char buf[1024];
    cJSON *o;

    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"demo-bootstrap\",\"namespace\":\"ns\"%s%s}}",
             refs != NULL ? ",\"ownerReferences\":" : "", refs != NULL ? refs : "");
    o = cJSON_Parse(buf);
    ck_assert_ptr_nonnull(o);
    return o;
}

static int conflict(const char *refs, char *msg, size_t size)
{
    cJSON *o = svc(refs);
    int rc;

    msg[0] = '\0';
    rc = op_owner_conflict(o, UID, "Service", "demo-bootstrap", msg, size);
    cJSON_Delete(o);
    return rc;
}

START_TEST(absent_or_owned_objects_may_be_applied)
{
    char msg[512] = "";
    cJSON *null = cJSON_CreateNull();

    ck_assert_int_eq(op_owner_conflict(NULL, UID, "Service", "demo-bootstrap", msg, sizeof msg), 0);
    ck_assert_int_eq(op_owner_conflict(null, UID, "Service", "demo-bootstrap", msg, sizeof msg), 0);
    cJSON_Delete(null);
    ck_assert_int_eq(conflict("[{\"kind\":\"KafkaCluster\",\"name\":\"demo\",\"uid\":\"" UID
                              "\",\"controller\":true}]",
                              msg, sizeof msg),
                     0);
    /* A reference that does not control comes first; berth's controls. */
    ck_assert_int_eq(conflict("[{\"kind\":\"ConfigMap\",\"uid\":\"x\"},{\"kind\":\"KafkaCluster\","
                              "\"uid\":\"" UID "\",\"controller\":true}]",
                              msg, sizeof msg),
                     0);
    ck_assert_str_eq(msg, "");
}
END_TEST

START_TEST(unowned_objects_are_refused_by_kind_and_name)
{
    char msg[512];

    ck_assert_int_eq(conflict(NULL, msg, sizeof msg), 1);
    ck_assert_str_eq(msg, "Service demo-bootstrap already exists and is not owned by this "
                          "KafkaCluster; berth does not take over objects it did not create: "
                          "delete or rename it");
    ck_assert_int_eq(conflict("[]", msg, sizeof msg), 1);
    ck_assert_ptr_nonnull(strstr(msg, "is not owned by this KafkaCluster"));
    /* Pointing at this cluster without controlling is not ownership. */
    ck_assert_int_eq(conflict("[{\"kind\":\"KafkaCluster\",\"uid\":\"" UID "\"}]", msg, sizeof msg),
                     1);
    ck_assert_int_eq(conflict("[{\"kind\":\"KafkaCluster\",\"uid\":\"" UID
                              "\",\"controller\":false}]",
                              msg, sizeof msg),
                     1);
    ck_assert_ptr_nonnull(strstr(msg, "Service demo-bootstrap"));
}
END_TEST

START_TEST(objects_of_another_controller_are_refused)
{
    char msg[512];

    ck_assert_int_eq(conflict("[{\"kind\":\"KafkaCluster\",\"uid\":\"other\",\"controller\":true}]",
                              msg, sizeof msg),
                     1);
    ck_assert_str_eq(msg,
                     "Service demo-bootstrap already exists and is controlled by another owner");
}
END_TEST

START_TEST(message_is_cut_to_the_buffer)
{
    char msg[16];

    ck_assert_int_eq(conflict(NULL, msg, sizeof msg), 1);
    ck_assert_uint_eq(strlen(msg), sizeof msg - 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_owner_conflict");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, absent_or_owned_objects_may_be_applied);
    tcase_add_test(tc, unowned_objects_are_refused_by_kind_and_name);
    tcase_add_test(tc, objects_of_another_controller_are_refused);
    tcase_add_test(tc, message_is_cut_to_the_buffer);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
