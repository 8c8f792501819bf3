/* The kube client against the real kube-apiserver of the test ground
 * ($BERTH_KUBECONFIG): TLS with a client certificate and the server verified
 * (a foreign CA or a wrong server name fails), one connection reused and
 * shared by threads, a StatefulSet whose Pods the scheduler places on the
 * kwok nodes, the API's refusals surfaced with code and reason, and in-cluster
 * token authentication that follows a rotated token file. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kube/client.h"
#include "kube/config.h"
#include "support/curl_suite.h"
#include "support/kube_test.h"
#include "support/pki.h"
#include "support/tmpdir.h"

/* Who the API server says we are (SelfSubjectReview). */
static void whoami(kube_client *c, char *user, size_t size)
{
    cJSON *req = kt_json("{\"apiVersion\":\"authentication.k8s.io/v1\","
                         "\"kind\":\"SelfSubjectReview\"}");
    cJSON *out = NULL;
    util_err err = {{0}};
    const char *name;

    if (kube_create(c, "/apis/authentication.k8s.io/v1/selfsubjectreviews", req, &out, NULL,
                    &err) != 0)
        ck_abort_msg("%s", err.msg);
    name = kt_str(out, "status.userInfo.username");
    ck_assert_ptr_nonnull(name);
    snprintf(user, size, "%s", name);
    cJSON_Delete(req);
    cJSON_Delete(out);
}

/* Pods need their namespace's default ServiceAccount, which the
 * controller-manager creates shortly after the namespace. */
static int wait_for_default_sa(kube_client *c, const char *ns, util_err *err)
{
    char path[256];
    kube_status st;

    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts/default", ns);
    for (int i = 0; i < 120; i++) {
        int rc = kube_get(c, path, NULL, &st, err);

        if (rc == 0)
            return 0;
        if (rc != KUBE_ERR_STATUS || st.code != 404)
            return -1;
        usleep(500 * 1000);
    }
    return util_err_set(err, "no default ServiceAccount in %s after 60s", ns);
}

START_TEST(version_over_tls_with_the_client_certificate)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c;
    cJSON *v = NULL;
    util_err err = {{0}};
    kube_response r;
    char user[256], cn[256] = "";
    const char *git;
    X509 *x;
    BIO *b;

    /* The ground's kubeconfig embeds a CA and a client certificate. */
    ck_assert_ptr_nonnull(cfg->ca_pem);
    ck_assert_ptr_nonnull(cfg->cert_pem);
    ck_assert(!cfg->insecure);
    c = kt_client(cfg);
    if (kube_get(c, "/version", &v, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    git = kt_str(v, "gitVersion");
    ck_assert_ptr_nonnull(git);
    ck_assert_msg(strncmp(git, "v1.", 3) == 0, "gitVersion %s", git);
    cJSON_Delete(v);

    /* The API knows us by the certificate's common name: the certificate,
     * not anonymity, authenticated us. */
    b = BIO_new_mem_buf(cfg->cert_pem, (int)cfg->cert_pem_len);
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(x);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    X509_free(x);
    BIO_free(b);
    whoami(c, user, sizeof user);
    ck_assert_str_eq(user, cn);

    /* Later requests ride the connection the first one opened. */
    ck_assert_int_eq(kube_request(c, "GET", "/version", NULL, NULL, &r, &err), 200);
    ck_assert(r.reused);
    kube_response_free(&r);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* Writes a kubeconfig for the admin's server and client certificate, but
 * trusting ca_pem and naming the server tls_name (if not NULL). */
static char *write_kubeconfig(const char *dir, const kube_config *admin, const char *ca_pem,
                              const char *tls_name)
{
    char *ca = pki_base64(ca_pem, strlen(ca_pem));
    char *cert = pki_base64(admin->cert_pem, admin->cert_pem_len);
    char *key = pki_base64(admin->key_pem, admin->key_pem_len);

    tmpdir_writef(
        dir, "config",
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: g, cluster: {server: '%s', certificate-authority-data: %s%s%s}}]\n"
        "users: [{name: a, user: {client-certificate-data: %s, client-key-data: %s}}]\n"
        "contexts: [{name: g, context: {cluster: g, user: a}}]\n"
        "current-context: g\n",
        admin->server, ca, tls_name ? ", tls-server-name: " : "", tls_name ? tls_name : "", cert,
        key);
    free(ca);
    free(cert);
    free(key);
    return tmpdir_path(dir, "config");
}

static int get_version_with(const char *kubeconfig, util_err *err)
{
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    kube_status st;
    int rc;

    if (kube_config_load(kubeconfig, NULL, &cfg, err) != 0)
        ck_abort_msg("%s", err->msg);
    c = kt_client(cfg);
    rc = kube_get(c, "/version", NULL, &st, err);
    if (rc == KUBE_ERR)
        ck_assert_int_eq(st.code, 0); /* no HTTP answer at all */
    kube_client_free(c);
    kube_config_free(cfg);
    return rc;
}

START_TEST(a_foreign_ca_fails_verification)
{
    kube_config *admin = kt_admin_config();
    char *dir = tmpdir_new(), *path, *other_ca, *other_key;
    util_err err = {{0}};

    pki_self_signed("not-the-ground-ca", &other_ca, &other_key);
    path = write_kubeconfig(dir, admin, other_ca, NULL);
    ck_assert_int_eq(get_version_with(path, &err), KUBE_ERR);
    ck_assert_msg(strstr(err.msg, "GET /version: SSL certificate problem") == err.msg, "%s",
                  err.msg);
    free(path);

    /* The same file with the right CA works: the CA was the only fault. */
    path = write_kubeconfig(dir, admin, admin->ca_pem, NULL);
    ck_assert_msg(get_version_with(path, &err) == 0, "%s", err.msg);
    free(path);
    free(other_ca);
    free(other_key);
    tmpdir_remove(dir);
    kube_config_free(admin);
}
END_TEST

/* tls-server-name is what the certificate is checked against: a name the
 * API server's certificate carries passes, one it lacks fails. */
START_TEST(tls_server_name_is_the_name_verified)
{
    kube_config *admin = kt_admin_config();
    char *dir = tmpdir_new(), *path;
    util_err err = {{0}};

    path = write_kubeconfig(dir, admin, admin->ca_pem, "kubernetes.default.svc");
    ck_assert_msg(get_version_with(path, &err) == 0, "%s", err.msg);
    free(path);
    path = write_kubeconfig(dir, admin, admin->ca_pem, "not-in-the-certificate.invalid");
    ck_assert_int_eq(get_version_with(path, &err), KUBE_ERR);
    ck_assert_msg(strstr(err.msg, "not-in-the-certificate.invalid") != NULL, "%s", err.msg);
    free(path);
    tmpdir_remove(dir);
    kube_config_free(admin);
}
END_TEST

/* Counts the Pods of the selector that are Running on a kwok node; says
 * what it saw in `seen`. */
static int running_on_kwok(kube_client *c, const char *ns, char *seen, size_t size, util_err *err)
{
    char path[512];
    cJSON *list = NULL, *items, *pod;
    int n = 0;
    size_t used = 0;

    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods?labelSelector=app%%3Dberth-test", ns);
    if (kube_get(c, path, &list, NULL, err) != 0)
        return -1;
    items = cJSON_GetObjectItemCaseSensitive(list, "items");
    seen[0] = '\0';
    cJSON_ArrayForEach(pod, items)
    {
        const char *name = kt_str(pod, "metadata.name");
        const char *phase = kt_str(pod, "status.phase");
        const char *node = kt_str(pod, "spec.nodeName");

        if (used < size)
            used += (size_t)snprintf(seen + used, size - used, "%s%s=%s@%s", used ? " " : "",
                                     name ? name : "?", phase ? phase : "-", node ? node : "-");
        if (phase != NULL && strcmp(phase, "Running") == 0 && node != NULL &&
            strncmp(node, "kwok-node-", 10) == 0)
            n++;
    }
    cJSON_Delete(list);
    return n;
}

START_TEST(statefulset_pods_run_on_kwok_nodes)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char ns[64], path[256], seen[1024] = "nothing", why[UTIL_ERR_MAX + 1100] = "";
    cJSON *sts;
    util_err err = {{0}};
    time_t deadline;
    int running = -1;

    kt_random_name(ns, sizeof ns, "berth-kube-ground");
    kt_create_namespace(c, ns, "kube-ground");
    if (wait_for_default_sa(c, ns, &err) != 0) {
        snprintf(why, sizeof why, "%s", err.msg);
        goto cleanup;
    }
    sts = kt_json(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
        "\"metadata\":{\"name\":\"web\"},"
        "\"spec\":{\"replicas\":3,\"serviceName\":\"web\",\"podManagementPolicy\":\"Parallel\","
        "\"selector\":{\"matchLabels\":{\"app\":\"berth-test\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"berth-test\"}},"
        "\"spec\":{\"automountServiceAccountToken\":false,"
        "\"tolerations\":[{\"operator\":\"Exists\"}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"registry.invalid/pause:1\"}]}}}}");
    snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/statefulsets", ns);
    if (kube_create(c, path, sts, NULL, NULL, &err) != 0)
        snprintf(why, sizeof why, "%s", err.msg);
    cJSON_Delete(sts);
    if (why[0] != '\0')
        goto cleanup;
    deadline = time(NULL) + 120;
    while (time(NULL) < deadline) {
        running = running_on_kwok(c, ns, seen, sizeof seen, &err);
        if (running < 0) {
            snprintf(why, sizeof why, "%s", err.msg);
            goto cleanup;
        }
        if (running == 3)
            break;
        sleep(1);
    }
    if (running != 3)
        snprintf(why, sizeof why, "after 120s %d of 3 Pods Running on kwok nodes; saw: %s", running,
                 seen);
cleanup:
    /* Delete even on failure, so a broken run leaves nothing behind. */
    if (kt_delete_namespace(c, ns, &err) != 0 && why[0] == '\0')
        snprintf(why, sizeof why, "%s", err.msg);
    kube_client_free(c);
    kube_config_free(cfg);
    ck_assert_msg(why[0] == '\0', "%s", why);
}
END_TEST

START_TEST(missing_configmap_is_404_not_found)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char name[64], path[256], want[512];
    kube_status st;
    cJSON *out = NULL;
    util_err err = {{0}};

    kt_random_name(name, sizeof name, "absent");
    snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps/%s", name);
    ck_assert_int_eq(kube_get(c, path, &out, &st, &err), KUBE_ERR_STATUS);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(st.code, 404);
    ck_assert_str_eq(st.reason, "NotFound");
    snprintf(want, sizeof want, "GET %s: 404 NotFound: configmaps \"%s\" not found", path, name);
    ck_assert_str_eq(err.msg, want);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* 409, 422 and 404 on delete each reach the caller as themselves. */
START_TEST(refusals_are_distinguishable)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char name[64], path[256];
    kube_status st;
    cJSON *cm, *bad, *out = NULL;
    util_err err = {{0}};

    kt_random_name(name, sizeof name, "berth-cm");
    cm = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\"},"
                 "\"data\":{\"k\":\"v\"}}",
                 name);
    if (kube_create(c, "/api/v1/namespaces/default/configmaps", cm, &out, &st, &err) != 0)
        ck_abort_msg("%s", err.msg);
    ck_assert_int_eq(st.code, 201);
    ck_assert_str_eq(kt_str(out, "data.k"), "v");
    cJSON_Delete(out);

    ck_assert_int_eq(kube_create(c, "/api/v1/namespaces/default/configmaps", cm, &out, &st, &err),
                     KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 409);
    ck_assert_str_eq(st.reason, "AlreadyExists");

    bad = kt_json(
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Not_Valid\"}}");
    ck_assert_int_eq(kube_create(c, "/api/v1/namespaces/default/configmaps", bad, NULL, &st, &err),
                     KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 422);
    ck_assert_str_eq(st.reason, "Invalid");
    ck_assert_msg(strstr(err.msg, "POST /api/v1/namespaces/default/configmaps: 422 Invalid: ") ==
                      err.msg,
                  "%s", err.msg);

    snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps/%s", name);
    ck_assert_msg(kube_delete(c, path, &st, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kube_delete(c, path, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 404);
    cJSON_Delete(cm);
    cJSON_Delete(bad);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

#define THREADS  4
#define REQUESTS 25

static void *hammer(void *arg)
{
    kube_client *c = arg;
    util_err err;

    for (int i = 0; i < REQUESTS; i++) {
        cJSON *v = NULL;

        if (kube_get(c, "/version", &v, NULL, &err) != 0 || kt_str(v, "gitVersion") == NULL) {
            cJSON_Delete(v);
            return strdup(err.msg);
        }
        cJSON_Delete(v);
    }
    return NULL;
}

START_TEST(threads_share_one_client)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    pthread_t t[THREADS];

    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, c), 0);
    for (int i = 0; i < THREADS; i++) {
        void *res;

        pthread_join(t[i], &res);
        ck_assert_msg(res == NULL, "thread %d: %s", i, (char *)res);
    }
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* A pod's view: token file, CA and namespace in a directory, the API from
 * KUBERNETES_SERVICE_HOST/PORT. The token is a real ServiceAccount token
 * from the TokenRequest API; swapping the file changes who we are on the
 * very next request. */
START_TEST(in_cluster_token_follows_the_file)
{
    kube_config *admin = kt_admin_config(), *pod = NULL;
    kube_client *c = kt_client(admin), *pc = NULL;
    char ns[64], path[256], user[256], want[256], why[UTIL_ERR_MAX] = "";
    char *dir = tmpdir_new(), *sa = tmpdir_path(dir, "sa");
    const char *port = strrchr(admin->server, ':') + 1;
    cJSON *obj, *tr = NULL;
    kube_status st;
    util_err err = {{0}};

    kt_random_name(ns, sizeof ns, "berth-incluster");
    kt_create_namespace(c, ns, "kube-ground");
    obj = kt_json(
        "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"pod\"}}");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts", ns);
    if (kube_create(c, path, obj, NULL, NULL, &err) != 0)
        snprintf(why, sizeof why, "%s", err.msg);
    cJSON_Delete(obj);
    if (why[0] != '\0')
        goto cleanup;
    obj = kt_json("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\","
                  "\"spec\":{\"expirationSeconds\":600}}");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts/pod/token", ns);
    if (kube_create(c, path, obj, &tr, NULL, &err) != 0)
        snprintf(why, sizeof why, "%s", err.msg);
    cJSON_Delete(obj);
    if (why[0] != '\0')
        goto cleanup;

    tmpdir_writef(dir, "sa/token", "%s\n", kt_str(tr, "status.token"));
    tmpdir_writef(dir, "sa/ca.crt", "%s", admin->ca_pem);
    tmpdir_writef(dir, "sa/namespace", "%s", ns);
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);
    if (kube_config_in_cluster(sa, &pod, &err) != 0 || kube_client_new(pod, NULL, &pc, &err) != 0) {
        snprintf(why, sizeof why, "%s", err.msg);
        goto cleanup;
    }
    ck_assert_str_eq(pod->namespace, ns);
    whoami(pc, user, sizeof user);
    snprintf(want, sizeof want, "system:serviceaccount:%s:pod", ns);
    ck_assert_str_eq(user, want);

    /* A token the API does not accept: the next request is refused... */
    tmpdir_writef(dir, "sa/token", "not-a-valid-token");
    ck_assert_int_eq(kube_get(pc, "/api", NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 401);
    ck_assert_str_eq(st.reason, "Unauthorized");
    /* ...and the good one back, accepted again, with no new client. */
    tmpdir_writef(dir, "sa/token", "%s", kt_str(tr, "status.token"));
    whoami(pc, user, sizeof user);
    ck_assert_str_eq(user, want);
cleanup:
    if (kt_delete_namespace(c, ns, &err) != 0 && why[0] == '\0')
        snprintf(why, sizeof why, "%s", err.msg);
    cJSON_Delete(tr);
    kube_client_free(pc);
    kube_config_free(pod);
    kube_client_free(c);
    kube_config_free(admin);
    free(sa);
    tmpdir_remove(dir);
    ck_assert_msg(why[0] == '\0', "%s", why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_ground");
    TCase *tc = tcase_create("apiserver");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, version_over_tls_with_the_client_certificate);
    tcase_add_test(tc, a_foreign_ca_fails_verification);
    tcase_add_test(tc, tls_server_name_is_the_name_verified);
    tcase_add_test(tc, statefulset_pods_run_on_kwok_nodes);
    tcase_add_test(tc, missing_configmap_is_404_not_found);
    tcase_add_test(tc, refusals_are_distinguishable);
    tcase_add_test(tc, threads_share_one_client);
    tcase_add_test(tc, in_cluster_token_follows_the_file);
    suite_add_tcase(s, tc);
    return curl_suite_run(s);
}
