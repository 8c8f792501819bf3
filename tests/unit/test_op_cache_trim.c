/* What the operator's caches keep (operator/cache_trim.h): every reader of
 * a cached Pod or Node in operator/ gives the same answer on the trimmed
 * object as on the whole one, for pods in each state those readers tell
 * apart (running and Ready, crash-looping, image not pullable,
 * unschedulable, stopping, a finished init step); and what is dropped is
 * gone. A reader that starts to read a field the trim drops fails here. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kube/object.h"
#include "operator/address.h"
#include "operator/cache_trim.h"
#include "operator/cluster_tls.h"
#include "operator/container_failure.h"
#include "operator/secret_summary.h"
#include "operator/upgrade.h"

/* A broker pod as the API server sends it; %s is its status. */
static const char pod_fmt[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"demo-1\","
    "\"generateName\":\"demo-\",\"namespace\":\"kafka\",\"uid\":\"u-1\",\"resourceVersion\":\"7\","
    "\"creationTimestamp\":\"2026-01-02T03:04:05Z\",%s"
    "\"labels\":{\"app.kubernetes.io/instance\":\"demo\",\"controller-revision-hash\":\"demo-1a\","
    "\"statefulset.kubernetes.io/pod-name\":\"demo-1\"},"
    "\"annotations\":{\"berth.io/advertised\":\"external=203.0.113.9:31092\","
    "\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"big\\\":true}\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"demo\","
    "\"uid\":\"s-1\",\"controller\":true}]},"
    "\"spec\":{\"nodeName\":\"node-a\",\"serviceAccountName\":\"demo\","
    "\"volumes\":[{\"name\":\"data\",\"persistentVolumeClaim\":{\"claimName\":\"data-demo-1\"}}],"
    "\"initContainers\":[{\"name\":\"init\",\"image\":\"localhost/berth-sidecar:0.1.0\","
    "\"args\":[\"init\"],\"env\":[{\"name\":\"A\",\"value\":\"b\"}]}],"
    "\"containers\":[{\"name\":\"broker\",\"image\":\"apache/kafka:4.4.0\",\"ports\":[{"
    "\"containerPort\":9092}],\"readinessProbe\":{\"httpGet\":{\"path\":\"/readyz\",\"port\":"
    "8080}},\"resources\":{\"requests\":{\"memory\":\"1Gi\"}}},{\"name\":\"sidecar\",\"image\":"
    "\"localhost/berth-sidecar:0.1.0\"}],\"tolerations\":[{\"operator\":\"Exists\"}]},"
    "\"status\":%s}";

static const char *const statuses[] = {
    /* Running and Ready, the init step finished. */
    "{\"phase\":\"Running\",\"hostIP\":\"10.0.0.1\",\"hostIPs\":[{\"ip\":\"10.0.0.1\"}],"
    "\"podIP\":\"10.244.0.5\",\"podIPs\":[{\"ip\":\"10.244.0.5\"}],\"qosClass\":\"Burstable\","
    "\"startTime\":\"2026-01-02T03:04:06Z\",\"conditions\":[{\"type\":\"Ready\",\"status\":"
    "\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-01-02T03:05:00Z\"}],"
    "\"initContainerStatuses\":[{\"name\":\"init\",\"state\":{\"terminated\":{\"exitCode\":0,"
    "\"reason\":\"Completed\",\"finishedAt\":\"2026-01-02T03:04:20Z\"}},\"ready\":true,"
    "\"restartCount\":0,\"image\":\"localhost/berth-sidecar:0.1.0\",\"imageID\":\"sha256:aa\","
    "\"containerID\":\"containerd://c1\",\"started\":false}],"
    "\"containerStatuses\":[{\"name\":\"broker\",\"state\":{\"running\":{\"startedAt\":"
    "\"2026-01-02T03:04:21Z\"}},\"lastState\":{},\"ready\":true,\"restartCount\":0,\"image\":"
    "\"apache/kafka:4.4.0\",\"imageID\":\"sha256:bb\",\"containerID\":\"containerd://c2\","
    "\"started\":true}]}",
    /* Crash-looping after an exit with code 1. */
    "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
    "\"reason\":\"ContainersNotReady\",\"message\":\"containers with unready status: "
    "[broker]\"}],\"containerStatuses\":[{\"name\":\"broker\",\"state\":{\"waiting\":{"
    "\"reason\":\"CrashLoopBackOff\",\"message\":\"back-off 40s restarting failed container\"}},"
    "\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\",\"finishedAt\":"
    "\"2026-01-02T03:06:00Z\"}},\"ready\":false,\"restartCount\":3,\"imageID\":\"sha256:bb\","
    "\"containerID\":\"containerd://c3\"}]}",
    /* An image that cannot be pulled. */
    "{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"broker\",\"state\":{\"waiting\":{"
    "\"reason\":\"ErrImagePull\",\"message\":\"failed to pull image\"}},\"ready\":false,"
    "\"restartCount\":0,\"image\":\"apache/kafka:9.9.9\",\"imageID\":\"\"}]}",
    /* Not scheduled. */
    "{\"phase\":\"Pending\",\"qosClass\":\"Burstable\",\"conditions\":[{\"type\":"
    "\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\",\"message\":\"0/3 "
    "nodes are available\",\"lastProbeTime\":null,\"lastTransitionTime\":"
    "\"2026-01-02T03:04:05Z\"}]}",
};

static cJSON *pod(size_t i, bool stopping)
{
    char buf[8192];
    cJSON *p;

    snprintf(buf, sizeof buf, pod_fmt,
             stopping ? "\"deletionTimestamp\":\"2026-01-02T04:00:00Z\","
                        "\"deletionGracePeriodSeconds\":250,"
                      : "",
             statuses[i]);
    p = cJSON_Parse(buf);
    ck_assert_msg(p != NULL, "pod %zu does not parse", i);
    return p;
}

static cJSON *trimmed(const cJSON *whole)
{
    cJSON *t = cJSON_Duplicate(whole, 1);

    op_trim_pod(t);
    return t;
}

static void same_failure(const cJSON *a, const cJSON *b)
{
    op_container_failure fa, fb;

    ck_assert_int_eq(op_container_failure_find(a, &fa), op_container_failure_find(b, &fb));
    ck_assert_int_eq(fa.kind, fb.kind);
    ck_assert_str_eq(fa.container, fb.container);
    ck_assert_str_eq(fa.reason, fb.reason);
    ck_assert_str_eq(fa.message, fb.message);
}

static void same_str(const char *a, const char *b)
{
    ck_assert((a == NULL) == (b == NULL));
    if (a != NULL)
        ck_assert_str_eq(a, b);
}

START_TEST(every_pod_reader_answers_the_same_on_a_trimmed_pod)
{
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
        for (int stopping = 0; stopping < 2; stopping++) {
            cJSON *w = pod(i, stopping), *t = trimmed(w);
            cJSON *aw = cJSON_CreateArray(), *at = cJSON_CreateArray(), *vw, *vt;
            const cJSON *sw = cJSON_GetObjectItem(w, "spec"), *st = cJSON_GetObjectItem(t, "spec");

            ck_assert_int_eq(kube_pod_ready(w), kube_pod_ready(t));
            same_failure(w, t);
            same_str(op_broker_image(sw), op_broker_image(st));
            ck_assert_str_eq(op_broker_image(st), "apache/kafka:4.4.0");
            same_str(cJSON_GetStringValue(cJSON_GetObjectItem(sw, "nodeName")),
                     cJSON_GetStringValue(cJSON_GetObjectItem(st, "nodeName")));
            for (long long issued = 1767322000; issued < 1767330000; issued += 500)
                ck_assert_int_eq(op_cluster_tls_stale(w, issued), op_cluster_tls_stale(t, issued));
            for (const char *const *k =
                     (const char *const[]){"deletionTimestamp", "creationTimestamp", "uid",
                                           "resourceVersion", NULL};
                 *k != NULL; k++)
                same_str(kube_meta_str(w, *k), kube_meta_str(t, *k));
            ck_assert(cJSON_Compare(cJSON_GetObjectItem(cJSON_GetObjectItem(w, "metadata"),
                                                        "deletionGracePeriodSeconds"),
                                    cJSON_GetObjectItem(cJSON_GetObjectItem(t, "metadata"),
                                                        "deletionGracePeriodSeconds"),
                                    1) ||
                      !stopping);
            same_str(kube_meta_annotation(w, "berth.io/advertised"),
                     kube_meta_annotation(t, "berth.io/advertised"));
            same_str(kube_meta_controller_uid(w), kube_meta_controller_uid(t));
            ck_assert(cJSON_Compare(
                cJSON_GetObjectItem(cJSON_GetObjectItem(w, "metadata"), "labels"),
                cJSON_GetObjectItem(cJSON_GetObjectItem(t, "metadata"), "labels"), 1));
            cJSON_AddItemToArray(aw, cJSON_Duplicate(w, 1));
            cJSON_AddItemToArray(at, cJSON_Duplicate(t, 1));
            vw = op_upgrade_versions(aw);
            vt = op_upgrade_versions(at);
            ck_assert(cJSON_Compare(vw, vt, 1));
            cJSON_Delete(vw);
            cJSON_Delete(vt);
            cJSON_Delete(aw);
            cJSON_Delete(at);
            cJSON_Delete(w);
            cJSON_Delete(t);
        }
}
END_TEST

START_TEST(a_trimmed_pod_loses_what_no_reader_reads)
{
    cJSON *w = pod(0, false), *t = trimmed(w);
    char *text = cJSON_PrintUnformatted(t), *whole = cJSON_PrintUnformatted(w);

    for (const char *const *gone =
             (const char *const[]){"volumes", "tolerations", "env", "readinessProbe", "resources",
                                   "podIPs", "hostIPs", "imageID", "containerID", "qosClass",
                                   "generateName", "last-applied-configuration", NULL};
         *gone != NULL; gone++)
        ck_assert_msg(strstr(text, *gone) == NULL, "%s is kept", *gone);
    ck_assert_int_lt(strlen(text), strlen(whole));
    cJSON_free(text);
    cJSON_free(whole);
    cJSON_Delete(t);
    cJSON_Delete(w);
}
END_TEST

START_TEST(a_trimmed_node_keeps_its_labels_and_addresses)
{
    cJSON *n = cJSON_Parse(
        "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\",\"uid\":"
        "\"n-1\",\"resourceVersion\":\"9\",\"labels\":{\"topology.kubernetes.io/zone\":\"z1\"}},"
        "\"spec\":{\"podCIDR\":\"10.244.0.0/24\"},\"status\":{\"addresses\":[{\"type\":"
        "\"InternalIP\",\"address\":\"10.0.0.1\"},{\"type\":\"ExternalIP\",\"address\":"
        "\"203.0.113.1\"}],\"images\":[{\"names\":[\"apache/kafka:4.4.0\"],\"sizeBytes\":1}],"
        "\"nodeInfo\":{\"kubeletVersion\":\"v1.35.0\"},\"conditions\":[]}}");
    cJSON *t = cJSON_Duplicate(n, 1);
    op_addr_type uw, ut;

    op_trim_node(t);
    for (int pref = 0; pref < OP_ADDR_TYPES; pref++)
        same_str(op_node_address(n, (op_addr_type)pref, &uw),
                 op_node_address(t, (op_addr_type)pref, &ut));
    ck_assert(
        cJSON_Compare(cJSON_GetObjectItem(n, "metadata"), cJSON_GetObjectItem(t, "metadata"), 1));
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "spec"));
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "status"), "images"));
    cJSON_Delete(n);
    cJSON_Delete(t);
}
END_TEST

/* Secrets: the certificate ones become summaries (test_op_cluster_tls.c
 * shows a pass decides from them as from the whole); the CA's stays whole,
 * for its key. Neither keeps a client-side apply's annotation. */
START_TEST(only_certificate_secrets_are_summarized)
{
    static const char *const names[] = {"demo-broker-certs", "demo-cluster-ca-cert",
                                        "demo-cluster-ca"};

    for (int i = 0; i < 3; i++) {
        char text[512];
        cJSON *s;

        snprintf(text, sizeof text,
                 "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"kubectl.kubernetes.io/"
                 "last-applied-configuration\":\"{}\"}},\"data\":{\"ca.crt\":\"eA==\"}}",
                 names[i]);
        s = cJSON_Parse(text);
        op_trim_secret(s);
        ck_assert_ptr_null(cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(s, "metadata"), "annotations"),
            "kubectl.kubernetes.io/last-applied-configuration"));
        ck_assert_int_eq(op_secret_is_summary(s), i < 2);
        ck_assert_int_eq(op_secret_has_stub(s), i < 2);
        cJSON_Delete(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_cache_trim");
    TCase *tc = tcase_create("trim");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, every_pod_reader_answers_the_same_on_a_trimmed_pod);
    tcase_add_test(tc, only_certificate_secrets_are_summarized);
    tcase_add_test(tc, a_trimmed_pod_loses_what_no_reader_reads);
    tcase_add_test(tc, a_trimmed_node_keeps_its_labels_and_addresses);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
