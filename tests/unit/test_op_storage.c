/* Storage growth's decisions (operator/storage.c): how a new
 * spec.storage.size compares with the live claim template (grow, shrink,
 * same, unreadable, quantities in other units); the desired StatefulSet
 * keeping the live size; the claim names the StatefulSet gives; which
 * claims still ask for less, and whose volume has not grown yet; whether a
 * class expands; and the StatefulSet created again in place of the live
 * one: the same pod template (so the same revision, no restart), only the
 * claim size changed, nothing the server set; and the patch that gives it
 * back the old field owners. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "operator/storage.h"

static const char *const live_json =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
    "\"metadata\":{\"name\":\"demo\",\"namespace\":\"kafka\",\"uid\":\"u-1\","
    "\"resourceVersion\":\"42\",\"generation\":3,\"creationTimestamp\":\"2026-01-01T00:00:00Z\","
    "\"finalizers\":[\"orphan\"],\"deletionTimestamp\":\"2026-01-02T00:00:00Z\","
    "\"labels\":{\"app.kubernetes.io/instance\":\"demo\"},"
    "\"annotations\":{\"a\":\"b\"},"
    "\"ownerReferences\":[{\"kind\":\"KafkaCluster\",\"name\":\"demo\",\"uid\":\"c-1\","
    "\"controller\":true}],"
    "\"managedFields\":[{\"manager\":\"berth-operator\"}]},"
    "\"spec\":{\"replicas\":3,\"template\":{\"metadata\":{\"annotations\":"
    "{\"kubectl.kubernetes.io/restartedAt\":\"2026-01-01T10:00:00Z\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"broker\",\"image\":\"k:1\"}]}},"
    "\"volumeClaimTemplates\":[{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
    "\"metadata\":{\"name\":\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],"
    "\"resources\":{\"requests\":{\"storage\":\"10Gi\"}},\"volumeMode\":\"Filesystem\"},"
    "\"status\":{\"phase\":\"Pending\"}}]},"
    "\"status\":{\"replicas\":3,\"updateRevision\":\"demo-abc\"}}";

static cJSON *parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);

    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(test_compare)
{
    ck_assert_int_eq(op_storage_compare("10Gi", "20Gi"), OP_STORAGE_GROW);
    ck_assert_int_eq(op_storage_compare("10Gi", "10Gi"), OP_STORAGE_SAME);
    /* The same size written another way is no change. */
    ck_assert_int_eq(op_storage_compare("1Gi", "1024Mi"), OP_STORAGE_SAME);
    ck_assert_int_eq(op_storage_compare("1G", "1Gi"), OP_STORAGE_GROW);
    ck_assert_int_eq(op_storage_compare("20Gi", "10Gi"), OP_STORAGE_SHRINK);
    ck_assert_int_eq(op_storage_compare(NULL, "10Gi"), OP_STORAGE_UNKNOWN);
    ck_assert_int_eq(op_storage_compare("lots", "10Gi"), OP_STORAGE_UNKNOWN);
}
END_TEST

START_TEST(test_template_size_kept)
{
    cJSON *sts = parse(live_json);

    ck_assert_str_eq(op_storage_template_size(sts), "10Gi");
    ck_assert_int_eq(op_storage_set_template_size(sts, "2Gi"), 0);
    ck_assert_str_eq(op_storage_template_size(sts), "2Gi");
    cJSON_Delete(sts);
    /* No data claim template: nothing to read or set. */
    sts = parse("{\"spec\":{\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"logs\"},"
                "\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]}}");
    ck_assert_ptr_null(op_storage_template_size(sts));
    ck_assert_int_eq(op_storage_set_template_size(sts, "2Gi"), -1);
    cJSON_Delete(sts);
}
END_TEST

START_TEST(test_claim_names)
{
    op_cluster c;
    char buf[64];

    memset(&c, 0, sizeof c);
    c.name = "demo";
    ck_assert_str_eq(op_storage_claim_name(&c, 0, buf, sizeof buf), "data-demo-0");
    ck_assert_str_eq(op_storage_claim_name(&c, 12, buf, sizeof buf), "data-demo-12");
}
END_TEST

START_TEST(test_claims_below_and_pending)
{
    cJSON *small = parse("{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}},"
                         "\"status\":{\"capacity\":{\"storage\":\"1Gi\"}}}");
    cJSON *asked = parse("{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"2Gi\"}}},"
                         "\"status\":{\"capacity\":{\"storage\":\"1Gi\"}}}");
    cJSON *grown = parse("{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"2048Mi\"}}},"
                         "\"status\":{\"capacity\":{\"storage\":\"2Gi\"}}}");
    cJSON *bigger = parse("{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"3Gi\"}}}}");

    ck_assert(op_storage_claim_below(small, "2Gi"));
    ck_assert(!op_storage_claim_below(asked, "2Gi"));
    ck_assert(!op_storage_claim_below(grown, "2Gi"));
    /* A claim someone grew further is left alone. */
    ck_assert(!op_storage_claim_below(bigger, "2Gi"));
    ck_assert(!op_storage_claim_pending(small));
    ck_assert(op_storage_claim_pending(asked));
    ck_assert(!op_storage_claim_pending(grown));
    /* No capacity yet (unbound): waiting for a volume, not a resize (a
     * cluster whose claims stay Pending is not re-read every pass). */
    ck_assert(!op_storage_claim_pending(bigger));
    /* Their status.storage.resizing entries. */
    {
        cJSON *named = parse("{\"metadata\":{\"name\":\"data-demo-1\"},\"spec\":{\"resources\":"
                             "{\"requests\":{\"storage\":\"2Gi\"}}},\"status\":{\"capacity\":"
                             "{\"storage\":\"1Gi\"}}}");
        cJSON *e = op_storage_resizing_new(named);

        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(cJSON_GetObjectItem(e, "claim")->valuestring, "data-demo-1");
        ck_assert_str_eq(cJSON_GetObjectItem(e, "requested")->valuestring, "2Gi");
        ck_assert_str_eq(cJSON_GetObjectItem(e, "capacity")->valuestring, "1Gi");
        cJSON_Delete(e);
        cJSON_Delete(named);
        ck_assert_ptr_null(op_storage_resizing_new(grown)); /* no name, and not pending */
    }
    cJSON_Delete(small);
    cJSON_Delete(asked);
    cJSON_Delete(grown);
    cJSON_Delete(bigger);
}
END_TEST

START_TEST(test_class_expands)
{
    cJSON *yes = parse("{\"allowVolumeExpansion\":true}");
    cJSON *no = parse("{\"allowVolumeExpansion\":false}");
    cJSON *unset = parse("{\"provisioner\":\"x\"}");

    ck_assert(op_storage_class_expands(yes));
    ck_assert(!op_storage_class_expands(no));
    ck_assert(!op_storage_class_expands(unset));
    ck_assert(!op_storage_class_expands(NULL));
    cJSON_Delete(yes);
    cJSON_Delete(no);
    cJSON_Delete(unset);
}
END_TEST

START_TEST(test_recreated_keeps_the_pod_template)
{
    cJSON *live = parse(live_json), *sts = op_storage_recreated_new(live, "20Gi");
    const cJSON *m, *ls, *ns;

    ck_assert_ptr_nonnull(sts);
    m = cJSON_GetObjectItemCaseSensitive(sts, "metadata");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring, "demo");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "namespace")->valuestring, "kafka");
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(m, "labels"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(m, "annotations"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(m, "ownerReferences"));
    /* Nothing the server set on the old object. */
    static const char *const gone[] = {
        "uid",        "resourceVersion",   "generation",   "creationTimestamp",
        "finalizers", "deletionTimestamp", "managedFields"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        ck_assert_msg(cJSON_GetObjectItemCaseSensitive(m, gone[i]) == NULL, "%s kept", gone[i]);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(sts, "status"));
    /* The pod template exactly as it was, others' fields included: the
     * revision stays, no pod restarts. Only the claim size changed. */
    ls = cJSON_GetObjectItemCaseSensitive(live, "spec");
    ns = cJSON_GetObjectItemCaseSensitive(sts, "spec");
    ck_assert(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(ls, "template"),
                            cJSON_GetObjectItemCaseSensitive(ns, "template"), 1));
    ck_assert_str_eq(op_storage_template_size(sts), "20Gi");
    ck_assert_str_eq(op_storage_template_size(live), "10Gi");
    op_storage_set_template_size(sts, "10Gi");
    ck_assert(cJSON_Compare(ls, ns, 1));
    cJSON_Delete(sts);
    cJSON_Delete(live);
    /* No data claim template: nothing to create. */
    live = parse("{\"metadata\":{\"name\":\"x\"},\"spec\":{}}");
    ck_assert_ptr_null(op_storage_recreated_new(live, "1Gi"));
    cJSON_Delete(live);
}
END_TEST

START_TEST(test_owners_patch)
{
    cJSON *live = parse(live_json), *p = op_storage_owners_patch_new(live);

    ck_assert_ptr_nonnull(p);
    ck_assert(cJSON_Compare(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "metadata"),
                                         "managedFields"),
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(live, "metadata"),
                                         "managedFields"),
        1));
    ck_assert_int_eq(cJSON_GetArraySize(p), 1);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "metadata")), 1);
    cJSON_Delete(p);
    cJSON_Delete(live);
    live = parse("{\"metadata\":{\"name\":\"x\"}}");
    ck_assert_ptr_null(op_storage_owners_patch_new(live));
    cJSON_Delete(live);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_storage");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_template_size_kept);
    tcase_add_test(tc, test_claim_names);
    tcase_add_test(tc, test_claims_below_and_pending);
    tcase_add_test(tc, test_class_expands);
    tcase_add_test(tc, test_recreated_keeps_the_pod_template);
    tcase_add_test(tc, test_owners_patch);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
