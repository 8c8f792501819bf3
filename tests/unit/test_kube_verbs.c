/* The pure parts of the verbs and object helpers: API paths for core and
 * group resources (namespaced, cluster-scoped, collections, subresources)
 * with unsafe names refused, query escaping that keeps selectors intact,
 * query appending that never cuts, and "namespace/name" keys. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/verbs.h"

static const char *path_of(const char *av, const char *res, const char *ns, const char *name,
                           const char *sub)
{
    static char buf[KUBE_PATH_MAX];

    if (kube_path(buf, sizeof buf, av, res, ns, name, sub) != 0)
        return "<error>";
    return buf;
}

START_TEST(paths_for_core_and_group_resources)
{
    ck_assert_str_eq(path_of("v1", "configmaps", "ns1", "cm", NULL),
                     "/api/v1/namespaces/ns1/configmaps/cm");
    ck_assert_str_eq(path_of("v1", "configmaps", "ns1", NULL, NULL),
                     "/api/v1/namespaces/ns1/configmaps");
    ck_assert_str_eq(path_of("v1", "pods", NULL, NULL, NULL), "/api/v1/pods");
    ck_assert_str_eq(path_of("v1", "nodes", "", "kwok-node-0", ""), "/api/v1/nodes/kwok-node-0");
    ck_assert_str_eq(path_of("apps/v1", "statefulsets", "kafka", "demo", "scale"),
                     "/apis/apps/v1/namespaces/kafka/statefulsets/demo/scale");
    ck_assert_str_eq(path_of("berth.io/v1alpha1", "kafkaclusters", "k", "demo", "status"),
                     "/apis/berth.io/v1alpha1/namespaces/k/kafkaclusters/demo/status");
    ck_assert_str_eq(
        path_of("rbac.authorization.k8s.io/v1", "clusterroles", NULL, "system:controller:x", NULL),
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:controller:x");
    /* Bytes a URL cannot carry are escaped, not passed through. */
    ck_assert_str_eq(path_of("v1", "configmaps", "n", "a b?c#", NULL),
                     "/api/v1/namespaces/n/configmaps/a%20b%3Fc%23");
}
END_TEST

START_TEST(bad_names_and_small_buffers_are_refused)
{
    char buf[32];

    ck_assert_str_eq(path_of("v1", "configmaps", "n", "a/b", NULL), "<error>");
    ck_assert_str_eq(path_of("v1", "configmaps", "n", "..", NULL), "<error>");
    ck_assert_str_eq(path_of("v1", "configmaps", "n", ".", NULL), "<error>");
    ck_assert_str_eq(path_of("v1", "configmaps", "n", "50%", NULL), "<error>");
    ck_assert_str_eq(path_of("v1", "configmaps", "a/b", "x", NULL), "<error>");
    ck_assert_str_eq(path_of("v1", "configmaps", "n", NULL, "status"), "<error>");
    ck_assert_str_eq(path_of("v1", "", "n", "x", NULL), "<error>");
    ck_assert_str_eq(path_of("", "configmaps", "n", "x", NULL), "<error>");
    ck_assert_str_eq(path_of("apps/v1/x", "configmaps", "n", "x", NULL), "<error>");
    ck_assert_str_eq(path_of("apps/", "configmaps", "n", "x", NULL), "<error>");
    ck_assert_str_eq(path_of("Apps/v1", "configmaps", "n", "x", NULL), "<error>");
    ck_assert_int_eq(kube_path(buf, sizeof buf, "v1", "configmaps", "namespace", "name", NULL), -1);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(kube_path(buf, 0, "v1", "pods", NULL, NULL, NULL), -1);
}
END_TEST

START_TEST(query_values_are_escaped)
{
    char buf[128];

    ck_assert_int_eq(kube_query_escape(buf, sizeof buf, "app in (a,b),!x,y!=z"), 0);
    ck_assert_str_eq(buf, "app%20in%20%28a%2Cb%29%2C%21x%2Cy%21%3Dz");
    ck_assert_int_eq(kube_query_escape(buf, sizeof buf, "a.b-c_d~e"), 0);
    ck_assert_str_eq(buf, "a.b-c_d~e");
    ck_assert_int_eq(kube_query_escape(buf, sizeof buf, "x=1&y=2+3/4"), 0);
    ck_assert_str_eq(buf, "x%3D1%26y%3D2%2B3%2F4");
    ck_assert_int_eq(kube_query_escape(buf, sizeof buf, "\xc3\xa9"), 0);
    ck_assert_str_eq(buf, "%C3%A9");
    ck_assert_int_eq(kube_query_escape(buf, 4, "abcd"), -1);
    ck_assert_int_eq(kube_query_escape(buf, 4, " "), 0);
    ck_assert_str_eq(buf, "%20");
    ck_assert_int_eq(kube_query_escape(buf, 3, " "), -1);
}
END_TEST

START_TEST(query_parameters_are_appended_whole_or_not_at_all)
{
    char buf[64] = "/api/v1/pods";

    ck_assert_int_eq(kube_query_add(buf, sizeof buf, "labelSelector", "a=b"), 0);
    ck_assert_str_eq(buf, "/api/v1/pods?labelSelector=a%3Db");
    ck_assert_int_eq(kube_query_add(buf, sizeof buf, "limit", "2"), 0);
    ck_assert_str_eq(buf, "/api/v1/pods?labelSelector=a%3Db&limit=2");
    ck_assert_int_eq(kube_query_add(buf, sizeof buf, "continue", "a-long-token-that-does-not-fit"),
                     -1);
    ck_assert_str_eq(buf, "/api/v1/pods?labelSelector=a%3Db&limit=2");
}
END_TEST

START_TEST(object_keys_and_metadata)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u1\","
                           "\"resourceVersion\":\"42\"}}");
    cJSON *c = cJSON_Parse("{\"metadata\":{\"name\":\"node-1\",\"namespace\":\"\"}}");
    cJSON *none = cJSON_Parse("{\"metadata\":{\"namespace\":\"n\"}}");
    char key[KUBE_KEY_MAX];

    ck_assert_int_eq(kube_obj_key(o, key, sizeof key), 0);
    ck_assert_str_eq(key, "n/a");
    ck_assert_str_eq(kube_meta_uid(o), "u1");
    ck_assert_str_eq(kube_meta_resource_version(o), "42");
    ck_assert_int_eq(kube_obj_key(c, key, sizeof key), 0);
    ck_assert_str_eq(key, "node-1");
    ck_assert_ptr_null(kube_meta_namespace(c));
    ck_assert_int_eq(kube_obj_key(none, key, sizeof key), -1);
    ck_assert_int_eq(kube_obj_key(NULL, key, sizeof key), -1);
    ck_assert_int_eq(kube_obj_key(o, key, 3), -1);
    ck_assert_ptr_null(kube_meta_name(NULL));
    cJSON_Delete(o);
    cJSON_Delete(c);
    cJSON_Delete(none);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_verbs");
    TCase *tc = tcase_create("pure");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, paths_for_core_and_group_resources);
    tcase_add_test(tc, bad_names_and_small_buffers_are_refused);
    tcase_add_test(tc, query_values_are_escaped);
    tcase_add_test(tc, query_parameters_are_appended_whole_or_not_at_all);
    tcase_add_test(tc, object_keys_and_metadata);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
