/* The exec credential plugin against the real API server. A plugin that
 * returns the admin's client certificate and key gets the client in as the
 * admin. A plugin that returns a ServiceAccount's token (from the
 * TokenRequest API) gets the client in as that ServiceAccount, and when the
 * API refuses a cached token (401), the client asks the plugin again and
 * retries once: the request succeeds with the fresh token. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

    if (kube_create(c, "/apis/authentication.k8s.io/v1/selfsubjectreviews", req, &out, NULL,
                    &err) != 0)
        ck_abort_msg("%s", err.msg);
    ck_assert_ptr_nonnull(kt_str(out, "status.userInfo.username"));
    snprintf(user, size, "%s", kt_str(out, "status.userInfo.username"));
    cJSON_Delete(req);
    cJSON_Delete(out);
}

/* A kubeconfig in dir for the ground's API server whose user runs
 * <dir>/plugin.sh (which prints <dir>/cred.json, counting its runs in
 * <dir>/count), loaded. */
static kube_config *plugin_config(const char *dir, const kube_config *admin)
{
    char *ca = pki_base64(admin->ca_pem, admin->ca_pem_len), *path, *plugin;
    kube_config *cfg = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "plugin.sh",
                  "#!/bin/sh\n"
                  "d=$(dirname \"$0\")\n"
                  "n=$(cat \"$d/count\" 2>/dev/null || echo 0)\n"
                  "echo $((n + 1)) >\"$d/count\"\n"
                  "cat \"$d/cred.json\"\n");
    plugin = tmpdir_path(dir, "plugin.sh");
    ck_assert_int_eq(chmod(plugin, 0755), 0);
    tmpdir_writef(dir, "config",
                  "apiVersion: v1\nkind: Config\n"
                  "clusters: [{name: g, cluster: {server: '%s', certificate-authority-data: %s}}]\n"
                  "users: [{name: p, user: {exec: {command: ./plugin.sh, apiVersion: "
                  "client.authentication.k8s.io/v1, interactiveMode: Never}}}]\n"
                  "contexts: [{name: x, context: {cluster: g, user: p}}]\n"
                  "current-context: x\n",
                  admin->server, ca);
    path = tmpdir_path(dir, "config");
    if (kube_config_load(path, NULL, &cfg, &err) != 0)
        ck_abort_msg("%s", err.msg);
    free(path);
    free(plugin);
    free(ca);
    return cfg;
}

static void write_cred(const char *dir, const char *field1, const char *v1, const char *field2,
                       const char *v2)
{
    cJSON *j = kt_json("{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                       "\"kind\":\"ExecCredential\",\"status\":{}}");
    cJSON *st = cJSON_GetObjectItem(j, "status");
    char *text;

    cJSON_AddStringToObject(st, field1, v1);
    if (field2 != NULL)
        cJSON_AddStringToObject(st, field2, v2);
    text = cJSON_PrintUnformatted(j);
    tmpdir_writef(dir, "cred.json", "%s", text);
    free(text);
    cJSON_Delete(j);
}

static int runs(const char *dir)
{
    char *path = tmpdir_path(dir, "count");
    FILE *f = fopen(path, "r");
    int n = 0;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d", &n), 1);
    fclose(f);
    free(path);
    return n;
}

START_TEST(client_certificate_from_a_plugin)
{
    kube_config *admin = kt_admin_config(), *cfg;
    kube_client *c;
    char *dir = tmpdir_new(), user[256];

    write_cred(dir, "clientCertificateData", admin->cert_pem, "clientKeyData", admin->key_pem);
    cfg = plugin_config(dir, admin);
    c = kt_client(cfg);
    whoami(c, user, sizeof user);
    ck_assert_str_eq(user, "berth-ground-admin");
    whoami(c, user, sizeof user);
    ck_assert_int_eq(runs(dir), 1);
    kube_client_free(c);
    kube_config_free(cfg);
    kube_config_free(admin);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(service_account_token_from_a_plugin_and_a_retry_after_401)
{
    kube_config *admin = kt_admin_config(), *cfg;
    kube_client *api = kt_client(admin), *c;
    char *dir = tmpdir_new(), ns[64], path[256], user[256], want[256];
    cJSON *sa, *tr, *out = NULL;
    util_err err = {{0}};

    kt_random_name(ns, sizeof ns, "lea-exec");
    kt_create_namespace(api, ns, "kube-exec");
    sa = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":"
                 "\"plugin-user\"}}");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts", ns);
    if (kube_create(api, path, sa, NULL, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    tr = kt_json("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\","
                 "\"spec\":{\"expirationSeconds\":600}}");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/serviceaccounts/plugin-user/token", ns);
    if (kube_create(api, path, tr, &out, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    ck_assert_ptr_nonnull(kt_str(out, "status.token"));

    /* First a token the API does not know, valid for years as far as the
     * plugin says: only the 401 makes the client ask again. */
    write_cred(dir, "token", "not-a-real-token", "expirationTimestamp", "2200-01-01T00:00:00Z");
    cfg = plugin_config(dir, admin);
    c = kt_client(cfg);
    char *tok = NULL;
    ck_assert_int_eq(kube_config_token(kube_client_config(c), &tok, &err), 0);
    ck_assert_str_eq(tok, "not-a-real-token");
    free(tok);
    ck_assert_int_eq(runs(dir), 1);
    write_cred(dir, "token", kt_str(out, "status.token"), "expirationTimestamp",
               kt_str(out, "status.expirationTimestamp"));
    whoami(c, user, sizeof user);
    snprintf(want, sizeof want, "system:serviceaccount:%s:plugin-user", ns);
    ck_assert_str_eq(user, want);
    ck_assert_int_eq(runs(dir), 2);
    whoami(c, user, sizeof user);
    ck_assert_int_eq(runs(dir), 2); /* cached until it expires */

    kube_client_free(c);
    kube_config_free(cfg);
    ck_assert_msg(kt_delete_namespace(api, ns, &err) == 0, "%s", err.msg);
    cJSON_Delete(sa);
    cJSON_Delete(tr);
    cJSON_Delete(out);
    kube_client_free(api);
    kube_config_free(admin);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_exec_ground");
    TCase *tc = tcase_create("apiserver");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, client_certificate_from_a_plugin);
    tcase_add_test(tc, service_account_token_from_a_plugin_and_a_retry_after_401);
    suite_add_tcase(s, tc);
    return curl_suite_run(s);
}
