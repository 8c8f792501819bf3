/* The kube verbs on the real API server ($BERTH_KUBECONFIG): a ConfigMap and
 * an object of a CustomResourceDefinition made for the test (group
 * wat.berth.io, removed afterwards) each go through create, get, list with a
 * selector, patch, update, status and delete; server-side apply of the same
 * content twice leaves resourceVersion alone; and a user the API knows but
 * RBAC grants nothing (a client certificate signed by the ground's CA) is
 * refused with 403 and a message naming the verb and the resource, for
 * list, create and watch alike. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "kube/watch.h"
#include "support/curl_suite.h"
#include "support/kube_test.h"
#include "support/pki.h"
#include "support/slurp.h"

/* What the checked teardown removes, also after a failed test. */
static char test_ns[64];
static char test_crd[128];

static void teardown(void)
{
    kube_config *cfg;
    kube_client *c;
    util_err err = {{0}};
    char path[KUBE_PATH_MAX];

    if (test_ns[0] == '\0' && test_crd[0] == '\0')
        return;
    cfg = kt_admin_config();
    c = kt_client(cfg);
    if (test_ns[0] != '\0' && kt_delete_namespace(c, test_ns, &err) != 0)
        fprintf(stderr, "cleanup: %s\n", err.msg);
    if (test_crd[0] != '\0') {
        if (kube_path(path, sizeof path, "apiextensions.k8s.io/v1", "customresourcedefinitions",
                      NULL, test_crd, NULL) != 0)
            fprintf(stderr, "cleanup: CRD %s: no path\n", test_crd);
        else if (kube_delete(c, path, NULL, &err) != 0)
            fprintf(stderr, "cleanup: %s\n", err.msg);
    }
    test_ns[0] = test_crd[0] = '\0';
    kube_client_free(c);
    kube_config_free(cfg);
}

/* A namespace of our own for one test. */
static void make_ns(kube_client *c)
{
    kt_random_name(test_ns, sizeof test_ns, "wat");
    kt_create_namespace(c, test_ns, "wat-crud");
}

START_TEST(configmap_crud_round_trip)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char coll[KUBE_PATH_MAX], path[KUBE_PATH_MAX];
    cJSON *in, *out = NULL, *list = NULL;
    kube_status st;
    util_err err = {{0}};
    kube_list_opts lo = {.label_selector = "wat/role=probe"};
    const char *rv1;
    char rv_created[64];

    make_ns(c);
    ck_assert_int_eq(kube_path(coll, sizeof coll, "v1", "configmaps", test_ns, NULL, NULL), 0);
    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "configmaps", test_ns, "cm1", NULL), 0);

    in = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm1\","
                 "\"labels\":{\"wat/role\":\"probe\"}},\"data\":{\"a\":\"1\"}}");
    kt_must(kube_create(c, coll, in, &out, &st, &err), &err);
    ck_assert_int_eq(st.code, 201);
    rv1 = kube_meta_resource_version(out);
    ck_assert_ptr_nonnull(rv1);
    snprintf(rv_created, sizeof rv_created, "%s", rv1);
    cJSON_Delete(out);

    /* Creating it again is 409 AlreadyExists, surfaced. */
    ck_assert_int_eq(kube_create(c, coll, in, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 409);
    ck_assert_str_eq(st.reason, "AlreadyExists");
    cJSON_Delete(in);

    kt_must(kube_get(c, path, &out, &st, &err), &err);
    ck_assert_str_eq(kt_str(out, "data.a"), "1");
    ck_assert_str_eq(kt_str(out, "metadata.resourceVersion"), rv_created);
    cJSON_Delete(out);

    in = kt_json("{\"data\":{\"b\":\"2\"}}");
    kt_must(kube_merge_patch(c, path, in, &out, &st, &err), &err);
    cJSON_Delete(in);
    ck_assert_str_eq(kt_str(out, "data.a"), "1");
    ck_assert_str_eq(kt_str(out, "data.b"), "2");
    ck_assert_str_ne(kt_str(out, "metadata.resourceVersion"), rv_created);

    /* An update carrying the old resourceVersion loses: 409 Conflict. */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "metadata"), "resourceVersion",
                              cJSON_CreateString(rv_created));
    ck_assert_int_eq(kube_update(c, path, out, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 409);
    ck_assert_str_eq(st.reason, "Conflict");
    cJSON_Delete(out);

    kt_must(kube_list(c, coll, &lo, &list, &st, &err), &err);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 1);
    ck_assert_str_eq(kt_str(cJSON_GetArrayItem(cJSON_GetObjectItem(list, "items"), 0), "kind"),
                     "ConfigMap");
    cJSON_Delete(list);
    lo.label_selector = "wat/role=other";
    kt_must(kube_list(c, coll, &lo, &list, &st, &err), &err);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 0);
    cJSON_Delete(list);

    kt_must(kube_delete(c, path, &st, &err), &err);
    ck_assert_int_eq(kube_get(c, path, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 404);
    ck_assert_str_eq(st.reason, "NotFound");
    ck_assert_ptr_nonnull(strstr(err.msg, "cm1"));

    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* Waits until the CRD at path says Established. */
static void wait_established(kube_client *c, const char *path)
{
    double deadline = kt_now() + 60;

    for (;;) {
        cJSON *crd = NULL, *cond;
        util_err err = {{0}};
        bool ok = false;

        if (kube_get(c, path, &crd, NULL, &err) != 0)
            ck_abort_msg("%s", err.msg);
        cJSON_ArrayForEach(cond,
                           cJSON_GetObjectItem(cJSON_GetObjectItem(crd, "status"), "conditions"))
        {
            const char *type = kt_str(cond, "type"), *status = kt_str(cond, "status");

            if (type != NULL && strcmp(type, "Established") == 0 && status != NULL &&
                strcmp(status, "True") == 0)
                ok = true;
        }
        cJSON_Delete(crd);
        if (ok)
            return;
        ck_assert_msg(kt_now() < deadline, "CRD %s never became Established", path);
        usleep(200 * 1000);
    }
}

START_TEST(custom_resource_crud_round_trip)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char plural[32], kind[32], group_version[] = "wat.berth.io/v1";
    char crd_path[KUBE_PATH_MAX], coll[KUBE_PATH_MAX], path[KUBE_PATH_MAX];
    unsigned char r[4];
    cJSON *in, *out = NULL, *list = NULL;
    kube_status st;
    util_err err = {{0}};
    double deadline;
    int rc;

    make_ns(c);
    ck_assert_int_eq(RAND_bytes(r, sizeof r), 1);
    snprintf(plural, sizeof plural, "gadgets%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    snprintf(kind, sizeof kind, "Gadget%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    snprintf(test_crd, sizeof test_crd, "%s.wat.berth.io", plural);
    in = kt_json(
        "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
        "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"group\":\"wat.berth.io\",\"scope\":"
        "\"Namespaced\",\"names\":{\"plural\":\"%s\",\"kind\":\"%s\"},\"versions\":[{\"name\":"
        "\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":{"
        "\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
        "\"properties\":{\"size\":{\"type\":\"integer\",\"minimum\":1},\"color\":{\"type\":"
        "\"string\"}}},\"status\":{\"type\":\"object\",\"properties\":{\"phase\":{\"type\":"
        "\"string\"}}}}}}}]}}",
        test_crd, plural, kind);
    kt_must(kube_create(c, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", in, NULL, &st,
                        &err),
            &err);
    cJSON_Delete(in);
    ck_assert_int_eq(kube_path(crd_path, sizeof crd_path, "apiextensions.k8s.io/v1",
                               "customresourcedefinitions", NULL, test_crd, NULL),
                     0);
    wait_established(c, crd_path);

    ck_assert_int_eq(kube_path(coll, sizeof coll, group_version, plural, test_ns, NULL, NULL), 0);
    ck_assert_int_eq(kube_path(path, sizeof path, group_version, plural, test_ns, "g1", NULL), 0);
    in = kt_json("{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"name\":\"g1\"},"
                 "\"spec\":{\"size\":3,\"color\":\"red\"}}",
                 group_version, kind);
    /* Established can precede the API serving the new type by a moment. */
    deadline = kt_now() + 30;
    while ((rc = kube_create(c, coll, in, &out, &st, &err)) == KUBE_ERR_STATUS && st.code == 404 &&
           kt_now() < deadline)
        usleep(200 * 1000);
    kt_must(rc, &err);
    cJSON_Delete(in);
    ck_assert_str_eq(kt_str(out, "kind"), kind);
    cJSON_Delete(out);

    /* The schema is enforced: 422 Invalid, surfaced. */
    in = kt_json("{\"spec\":{\"size\":0}}");
    ck_assert_int_eq(kube_merge_patch(c, path, in, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 422);
    ck_assert_str_eq(st.reason, "Invalid");
    cJSON_Delete(in);

    in = kt_json("{\"spec\":{\"color\":\"blue\"}}");
    kt_must(kube_merge_patch(c, path, in, &out, &st, &err), &err);
    cJSON_Delete(in);
    ck_assert_str_eq(kt_str(out, "spec.color"), "blue");
    cJSON_AddItemToObject(out, "status", kt_json("{\"phase\":\"Ready\"}"));
    kt_must(kube_update_status(c, path, out, NULL, &st, &err), &err);
    cJSON_Delete(out);
    kt_must(kube_get(c, path, &out, &st, &err), &err);
    ck_assert_str_eq(kt_str(out, "status.phase"), "Ready");
    ck_assert_str_eq(kt_str(out, "spec.color"), "blue");
    cJSON_Delete(out);

    kt_must(kube_list(c, coll, NULL, &list, &st, &err), &err);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 1);
    cJSON_Delete(list);

    kt_must(kube_delete(c, path, &st, &err), &err);
    ck_assert_int_eq(kube_get(c, path, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 404);

    /* The CRD goes too, and the API stops serving its type. */
    kt_must(kube_delete(c, crd_path, &st, &err), &err);
    deadline = kt_now() + 60;
    while (kube_get(c, crd_path, NULL, &st, &err) == 0 && kt_now() < deadline)
        usleep(200 * 1000);
    ck_assert_int_eq(st.code, 404);
    test_crd[0] = '\0';

    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(apply_twice_with_the_same_content_leaves_resource_version)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char path[KUBE_PATH_MAX], rv1[64];
    cJSON *obj, *out = NULL;
    kube_status st;
    util_err err = {{0}};

    make_ns(c);
    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "configmaps", test_ns, "applied", NULL), 0);
    obj = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                  "\"applied\",\"labels\":{\"x\":\"y\"}},\"data\":{\"k\":\"v\"}}");
    kt_must(kube_apply(c, path, obj, "wat-test", false, &out, &st, &err), &err);
    snprintf(rv1, sizeof rv1, "%s", kube_meta_resource_version(out));
    cJSON_Delete(out);
    kt_must(kube_apply(c, path, obj, "wat-test", false, &out, &st, &err), &err);
    ck_assert_str_eq(kube_meta_resource_version(out), rv1);
    cJSON_Delete(out);

    /* A real change does move it, so the check above could fail. */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(obj, "data"), "k", cJSON_CreateString("w"));
    kt_must(kube_apply(c, path, obj, "wat-test", false, &out, &st, &err), &err);
    ck_assert_str_ne(kube_meta_resource_version(out), rv1);
    ck_assert_str_eq(kt_str(out, "data.k"), "w");
    cJSON_Delete(out);
    cJSON_Delete(obj);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

static char *read_file(const char *path)
{
    char *buf = slurp_file(path, NULL);

    ck_assert_msg(buf != NULL, "cannot open %s", path);
    return buf;
}

/* A config for a fresh user "wat-nobody-<hex>" with no RBAC bindings, from
 * a certificate signed by the ground's CA (tests/ground/kube.sh keeps it in
 * <ground>/kube/pki beside the admin kubeconfig). */
static kube_config *nobody_config(const kube_config *admin, char *user, size_t user_size)
{
    const char *kc = getenv("BERTH_KUBECONFIG");
    char dir[4096], ca_crt[4200], ca_key[4200], *slash;
    char *ca_pem, *key_pem, *cert_pem, *key, *b_cert, *b_key, *b_ca, *yaml;
    kube_config *cfg = NULL;
    util_err err = {{0}};
    size_t len;

    snprintf(dir, sizeof dir, "%s", kc);
    slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    snprintf(ca_crt, sizeof ca_crt, "%s/kube/pki/ca.crt", dir);
    snprintf(ca_key, sizeof ca_key, "%s/kube/pki/ca.key", dir);
    ca_pem = read_file(ca_crt);
    key = read_file(ca_key);
    kt_random_name(user, user_size, "wat-nobody");
    pki_issue_client(ca_pem, key, user, NULL, &cert_pem, &key_pem);
    b_cert = pki_base64(cert_pem, strlen(cert_pem));
    b_key = pki_base64(key_pem, strlen(key_pem));
    b_ca = pki_base64(admin->ca_pem, admin->ca_pem_len);
    len = strlen(b_cert) + strlen(b_key) + strlen(b_ca) + 1024;
    yaml = malloc(len);
    ck_assert_ptr_nonnull(yaml);
    snprintf(yaml, len,
             "apiVersion: v1\nkind: Config\nclusters:\n- name: ground\n  cluster:\n"
             "    server: %s\n    certificate-authority-data: %s\nusers:\n- name: nobody\n"
             "  user:\n    client-certificate-data: %s\n    client-key-data: %s\n"
             "contexts:\n- name: nobody\n  context: {cluster: ground, user: nobody}\n"
             "current-context: nobody\n",
             admin->server, b_ca, b_cert, b_key);
    if (kube_config_load_buffer(yaml, strlen(yaml), "nobody.kubeconfig", NULL, NULL, &cfg, &err) !=
        0)
        ck_abort_msg("%s", err.msg);
    free(ca_pem);
    free(key);
    free(cert_pem);
    free(key_pem);
    free(b_cert);
    free(b_key);
    free(b_ca);
    free(yaml);
    return cfg;
}

static int no_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    (void)ev;
    (void)ctx;
    return util_err_set(err, "no event expected");
}

START_TEST(user_without_rights_gets_403_naming_verb_and_resource)
{
    kube_config *admin = kt_admin_config();
    kube_client *ac = kt_client(admin), *c;
    kube_config *cfg;
    char user[64], coll[KUBE_PATH_MAX], want[256];
    cJSON *cm;
    kube_status st;
    util_err err = {{0}};
    kube_watch *w = NULL;
    kube_watch_opts wo = {.backoff_base_ms = 100};

    make_ns(ac);
    cfg = nobody_config(admin, user, sizeof user);
    c = kt_client(cfg);
    ck_assert_int_eq(kube_path(coll, sizeof coll, "v1", "configmaps", test_ns, NULL, NULL), 0);

    ck_assert_int_eq(kube_list(c, coll, NULL, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 403);
    ck_assert_str_eq(st.reason, "Forbidden");
    snprintf(want, sizeof want, "User \"%s\" cannot list resource \"configmaps\"", user);
    ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    ck_assert_msg(strstr(err.msg, "403 Forbidden") != NULL, "%s", err.msg);

    cm = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");
    ck_assert_int_eq(kube_create(c, coll, cm, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 403);
    snprintf(want, sizeof want, "cannot create resource \"configmaps\"");
    ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    cJSON_Delete(cm);

    /* A watch is refused at once, not retried forever. */
    if (kube_watch_new(c, coll, &wo, &w, &err) != 0)
        ck_abort_msg("%s", err.msg);
    ck_assert_int_eq(kube_watch_run(w, NULL, no_event, NULL, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 403);
    snprintf(want, sizeof want, "cannot watch resource \"configmaps\"");
    ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    ck_assert_uint_eq(kube_watch_connects(w), 1);
    kube_watch_free(w);

    kube_client_free(c);
    kube_config_free(cfg);
    kube_client_free(ac);
    kube_config_free(admin);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_crud");
    TCase *tc = tcase_create("api");

    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, configmap_crud_round_trip);
    tcase_add_test(tc, custom_resource_crud_round_trip);
    tcase_add_test(tc, apply_twice_with_the_same_content_leaves_resource_version);
    tcase_add_test(tc, user_without_rights_gets_403_naming_verb_and_resource);
    suite_add_tcase(s, tc);

    return curl_suite_run(s);
}
