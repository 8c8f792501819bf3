/* The kubeconfig exec credential plugin, with small shell scripts as
 * plugins. The plugin runs only when a credential is needed, with the args
 * and env the kubeconfig gives (overriding ours) and KUBERNETES_EXEC_INFO
 * saying there is no terminal and, when allowed, which cluster it is for; a
 * relative command resolves against the kubeconfig's directory. Its token is
 * cached until expirationTimestamp (a copy of the config shares the cached
 * one), a client certificate it returns is handed out with its key. Every
 * refusal, at load or at run time, names the file, the user and the field
 * or the command at fault; ExecCredential output is checked field by
 * field. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "kube/config.h"
#include "kube/exec.h"
#include "support/kube_test.h"
#include "support/pki.h"
#include "support/tmpdir.h"
#include "util/clock.h"

static char *dir;
static char *ca_pem, *ca_key, *ca_b64;

static void setup(void)
{
    unsetenv("KUBECONFIG");
    dir = tmpdir_new();
    pki_self_signed("test-ca", &ca_pem, &ca_key);
    ca_b64 = pki_base64(ca_pem, strlen(ca_pem));
}

static void teardown(void)
{
    tmpdir_remove(dir);
    free(ca_pem);
    free(ca_key);
    free(ca_b64);
}

static char *slurp(const char *name)
{
    char *path = tmpdir_path(dir, name), *buf = calloc(1, 65536);
    FILE *f = fopen(path, "r");

    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_gt(fread(buf, 1, 65535, f), 0);
    fclose(f);
    free(path);
    return buf;
}

#define CRED "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","

/* A kubeconfig whose user u has the given exec mapping (YAML flow). */
static void write_config(const char *exec)
{
    tmpdir_writef(dir, "config",
                  "apiVersion: v1\nkind: Config\n"
                  "clusters: [{name: c, cluster: {server: 'https://h:6443', "
                  "tls-server-name: api.example, certificate-authority-data: %s}}]\n"
                  "users: [{name: u, user: {exec: %s}}]\n"
                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n",
                  ca_b64, exec);
}

static kube_config *load_ok(const char *exec)
{
    char *path = tmpdir_path(dir, "config");
    kube_config *cfg = NULL;
    util_err err = {{0}};

    write_config(exec);
    if (kube_config_load(path, NULL, &cfg, &err) != 0)
        ck_abort_msg("load failed: %s", err.msg);
    free(path);
    ck_assert_ptr_nonnull(cfg->exec);
    return cfg;
}

static void load_fails(const char *exec, const char *want)
{
    char *path = tmpdir_path(dir, "config");
    char expect[UTIL_ERR_MAX];
    kube_config *cfg = NULL;
    util_err err = {{0}};

    write_config(exec);
    ck_assert_int_lt(kube_config_load(path, NULL, &cfg, &err), 0);
    ck_assert_ptr_null(cfg);
    snprintf(expect, sizeof expect, "kubeconfig %s: user \"u\": exec: %s", path, want);
    ck_assert_str_eq(err.msg, expect);
    free(path);
}

static char *token(const kube_config *cfg)
{
    char *tok = NULL;
    util_err err = {{0}};

    if (kube_config_token(cfg, &tok, &err) != 0)
        ck_abort_msg("token: %s", err.msg);
    ck_assert_ptr_nonnull(tok);
    return tok;
}

static void expect_token(const kube_config *cfg, const char *want)
{
    char *tok = token(cfg);

    ck_assert_str_eq(tok, want);
    free(tok);
}

static void token_fails(const kube_config *cfg, const char *want)
{
    char *tok = NULL, *path = tmpdir_path(dir, "config"), expect[UTIL_ERR_MAX];
    util_err err = {{0}};

    ck_assert_int_lt(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_ptr_null(tok);
    snprintf(expect, sizeof expect, "kubeconfig %s: user \"u\": exec: %s", path, want);
    ck_assert_str_eq(err.msg, expect);
    free(path);
}

START_TEST(plugin_runs_when_needed_with_args_env_and_exec_info)
{
    kube_config *cfg, *copy = NULL;
    util_err err = {{0}};
    char *info, *env;
    cJSON *j;

    setenv("FOO", "outer", 1);
    kt_exec_plugin(dir, "plugin.sh",
                   "printf '" CRED "\"status\":{\"token\":\"tok-%s-%s-%s\"}}' "
                   "\"$n\" \"$1\" \"$FOO\"");
    cfg = load_ok("{command: ./plugin.sh, args: [a1], env: [{name: FOO, value: bar}], "
                  "apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never, "
                  "provideClusterInfo: true}");
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 0); /* not at load */
    expect_token(cfg, "tok-1-a1-bar");
    expect_token(cfg, "tok-1-a1-bar"); /* no expiry: cached */
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 1);
    ck_assert_int_eq(kube_config_dup(cfg, &copy, &err), 0);
    expect_token(copy, "tok-1-a1-bar");
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 1);
    /* Refused by the API: the next request asks the plugin again. */
    kube_exec_invalidate(cfg->exec);
    expect_token(cfg, "tok-2-a1-bar");
    expect_token(copy, "tok-1-a1-bar");

    info = slurp("info");
    j = cJSON_Parse(info);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "apiVersion")->valuestring,
                     "client.authentication.k8s.io/v1");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "kind")->valuestring, "ExecCredential");
    cJSON *spec = cJSON_GetObjectItem(j, "spec"), *cl = cJSON_GetObjectItem(spec, "cluster");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(spec, "interactive")));
    ck_assert_str_eq(cJSON_GetObjectItem(cl, "server")->valuestring, "https://h:6443");
    ck_assert_str_eq(cJSON_GetObjectItem(cl, "tls-server-name")->valuestring, "api.example");
    ck_assert_str_eq(cJSON_GetObjectItem(cl, "certificate-authority-data")->valuestring, ca_b64);
    cJSON_Delete(j);
    free(info);
    /* The kubeconfig's FOO replaces ours rather than joining it. */
    env = slurp("env");
    ck_assert_ptr_nonnull(strstr(env, "\nFOO=bar\n"));
    ck_assert_ptr_null(strstr(env, "FOO=outer"));
    free(env);
    unsetenv("FOO");
    kube_config_free(copy);
    kube_config_free(cfg);
}
END_TEST

/* The plugin starts with nothing blocked, whatever the calling thread
 * blocks (berth's programs block SIGTERM in every thread but one). */
START_TEST(plugin_starts_with_no_signal_blocked)
{
    kube_config *cfg;
    sigset_t term, old;
    char *path = tmpdir_path(dir, "mask.awk");

    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigaddset(&term, SIGINT);
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
    /* awk, not a shell: a shell clears its mask when it starts. */
    tmpdir_writef(dir, "mask.awk",
                  "#!/usr/bin/awk -f\n"
                  "BEGIN {\n"
                  "  while ((getline l < \"/proc/self/status\") > 0)\n"
                  "    if (l ~ /^SigBlk:/) { n = split(l, f, \" \"); b = f[n] }\n"
                  "  printf \"{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\","
                  "\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{\\\"token\\\":"
                  "\\\"blocked-%%s\\\"}}\", b\n"
                  "}\n");
    ck_assert_int_eq(chmod(path, 0755), 0);
    free(path);
    cfg = load_ok("{command: ./mask.awk, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    expect_token(cfg, "blocked-0000000000000000");
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
    kube_config_free(cfg);
}
END_TEST

START_TEST(cluster_info_only_when_allowed)
{
    kube_config *cfg;
    char *info;
    cJSON *j;

    kt_exec_plugin(dir, "p.sh",
                   "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                   "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'");
    /* v1beta1 does not require interactiveMode. */
    cfg = load_ok("{command: ./p.sh, apiVersion: client.authentication.k8s.io/v1beta1}");
    expect_token(cfg, "t");
    info = slurp("info");
    j = cJSON_Parse(info);
    ck_assert_ptr_nonnull(j);
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "spec"), "cluster"));
    ck_assert_str_eq(cJSON_GetObjectItem(j, "apiVersion")->valuestring,
                     "client.authentication.k8s.io/v1beta1");
    cJSON_Delete(j);
    free(info);
    kube_config_free(cfg);
}
END_TEST

START_TEST(credential_is_cached_until_its_expiry)
{
    kube_config *cfg;

    kt_exec_plugin(dir, "old.sh",
                   "printf '" CRED "\"status\":{\"token\":\"old-%s\","
                   "\"expirationTimestamp\":\"2001-01-01T00:00:00Z\"}}' \"$n\"");
    cfg = load_ok("{command: ./old.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: IfAvailable}");
    expect_token(cfg, "old-1");
    expect_token(cfg, "old-2"); /* expired as soon as it came */
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 2);
    kube_config_free(cfg);

    kt_exec_plugin(dir, "new.sh",
                   "printf '" CRED "\"status\":{\"token\":\"new-%s\","
                   "\"expirationTimestamp\":\"2999-01-01T00:00:00+02:00\"}}' \"$n\"");
    cfg = load_ok("{command: ./new.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    expect_token(cfg, "new-3");
    expect_token(cfg, "new-3");
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 3);
    kube_config_free(cfg);
}
END_TEST

START_TEST(client_certificate_from_the_plugin)
{
    char *cert, *key, *path;
    kube_config *cfg;
    kube_exec_credential cred;
    unsigned long serial = 0;
    util_err err = {{0}};
    cJSON *out = cJSON_Parse(CRED "\"status\":{}}");
    char *text, *tok = (char *)1;

    pki_self_signed("exec-user", &cert, &key);
    cJSON_AddStringToObject(cJSON_GetObjectItem(out, "status"), "clientCertificateData", cert);
    cJSON_AddStringToObject(cJSON_GetObjectItem(out, "status"), "clientKeyData", key);
    text = cJSON_PrintUnformatted(out);
    tmpdir_writef(dir, "cred.json", "%s", text);
    kt_exec_plugin(dir, "cert.sh", "cat \"$d/cred.json\"");
    cfg = load_ok("{command: ./cert.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    /* No token: requests carry the certificate only. */
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_ptr_null(tok);
    ck_assert_int_eq(kube_exec_get(cfg->exec, &cred, &serial, &err), 0);
    ck_assert_uint_eq(serial, 1);
    ck_assert_str_eq(cred.cert_pem, cert);
    ck_assert_str_eq(cred.key_pem, key);
    ck_assert_uint_eq(cred.key_pem_len, strlen(key));
    ck_assert_ptr_null(cred.token);
    kube_exec_credential_clear(&cred);
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 1);
    kube_config_free(cfg);

    /* A key that is not the certificate's is refused, naming the field. */
    free(key);
    free(cert);
    free(text);
    cJSON_Delete(out);
    pki_self_signed("other", &cert, &key);
    out = cJSON_Parse(CRED "\"status\":{}}");
    cJSON_AddStringToObject(cJSON_GetObjectItem(out, "status"), "clientCertificateData", ca_pem);
    cJSON_AddStringToObject(cJSON_GetObjectItem(out, "status"), "clientKeyData", key);
    text = cJSON_PrintUnformatted(out);
    tmpdir_writef(dir, "cred.json", "%s", text);
    cfg = load_ok("{command: ./cert.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    path = tmpdir_path(dir, "cert.sh");
    char want[UTIL_ERR_MAX];
    snprintf(want, sizeof want,
             "command %s: ExecCredential: status.clientKeyData: does not match the client "
             "certificate",
             path);
    token_fails(cfg, want);
    kube_config_free(cfg);
    free(path);
    free(text);
    free(cert);
    free(key);
    cJSON_Delete(out);
}
END_TEST

START_TEST(failures_at_run_time_name_the_command_and_the_cause)
{
    kube_config *cfg;
    char *path = tmpdir_path(dir, "fail.sh"), want[UTIL_ERR_MAX];

    kt_exec_plugin(dir, "fail.sh", "echo 'boom: no session' >&2\nexit 3");
    cfg = load_ok("{command: ./fail.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    snprintf(want, sizeof want, "command %s: exited with status 3: boom: no session", path);
    token_fails(cfg, want);
    token_fails(cfg, want); /* failures are not cached */
    ck_assert_int_eq(kt_exec_plugin_runs(dir), 2);
    kube_config_free(cfg);

    kt_exec_plugin(dir, "fail.sh", "printf '" CRED "\"status\":{\"token\":5}}'");
    cfg = load_ok("{command: ./fail.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    snprintf(want, sizeof want, "command %s: ExecCredential: status.token: not a string", path);
    token_fails(cfg, want);
    kube_config_free(cfg);

    kt_exec_plugin(dir, "fail.sh", "echo not json");
    cfg = load_ok("{command: ./fail.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    snprintf(want, sizeof want, "command %s: ExecCredential: output is not JSON", path);
    token_fails(cfg, want);
    kube_config_free(cfg);

    kt_exec_plugin(dir, "fail.sh", "kill -KILL $$");
    cfg = load_ok("{command: ./fail.sh, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never}");
    snprintf(want, sizeof want, "command %s: killed by signal 9", path);
    token_fails(cfg, want);
    kube_config_free(cfg);

    cfg = load_ok("{command: berth-no-such-plugin, apiVersion: client.authentication.k8s.io/v1, "
                  "interactiveMode: Never, installHint: 'install it from your cloud'}");
    token_fails(cfg, "command berth-no-such-plugin: not found; install it from your cloud");
    kube_config_free(cfg);
    free(path);
}
END_TEST

START_TEST(bad_exec_settings_are_refused_at_load)
{
    char yaml[1024];

    load_fails("{apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}",
               "command: missing");
    load_fails("{command: x, interactiveMode: Never}", "apiVersion: missing");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1alpha1}",
               "apiVersion: client.authentication.k8s.io/v1alpha1: not supported "
               "(client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1}",
               "interactiveMode: missing (client.authentication.k8s.io/v1 requires it)");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: "
               "Always}",
               "interactiveMode: Always: the plugin needs a terminal, and berth runs without one");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: "
               "Sometimes}",
               "interactiveMode: Sometimes: not Never, IfAvailable or Always");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1beta1, args: a}",
               "args: not a list");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1beta1, args: [a, [b]]}",
               "args[1]: not a string");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1beta1, env: [{value: v}]}",
               "env[0]: name: missing");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1beta1, env: [a]}",
               "env[0]: not a mapping");
    load_fails("{command: x, apiVersion: client.authentication.k8s.io/v1beta1, "
               "provideClusterInfo: maybe}",
               "provideClusterInfo: not a boolean");
    load_fails("[x]", "not a mapping");

    /* A second way to authenticate next to the plugin is a mistake. */
    char *path = tmpdir_path(dir, "config"), want[UTIL_ERR_MAX];
    kube_config *cfg = NULL;
    util_err err = {{0}};
    snprintf(yaml, sizeof yaml,
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: u, user: {token: abc, exec: {command: x, apiVersion: "
             "client.authentication.k8s.io/v1beta1}}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
             "current-context: x\n");
    tmpdir_writef(dir, "config", "%s", yaml);
    ck_assert_int_lt(kube_config_load(path, NULL, &cfg, &err), 0);
    snprintf(want, sizeof want, "kubeconfig %s: user \"u\": exec: not allowed together with token",
             path);
    ck_assert_str_eq(err.msg, want);
    free(path);
}
END_TEST

static void parse_fails(const char *json, const char *want)
{
    kube_exec_credential c;
    util_err err = {{0}};

    ck_assert_int_eq(kube_exec_credential_parse(json, strlen(json), KUBE_EXEC_V1, &c, &err), -1);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(c.token);
    ck_assert_ptr_null(c.cert_pem);
}

START_TEST(exec_credential_is_checked_field_by_field)
{
    kube_exec_credential c;
    util_err err = {{0}};
    const char *ok = CRED "\"status\":{\"token\":\" abc \","
                          "\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";

    ck_assert_int_eq(kube_exec_credential_parse(ok, strlen(ok), KUBE_EXEC_V1, &c, &err), 0);
    ck_assert_str_eq(c.token, "abc");
    ck_assert_int_eq(c.expiry, 1893456000LL * UTIL_NS_PER_SEC);
    kube_exec_credential_clear(&c);
    kube_exec_credential_clear(&c);

    parse_fails("", "output is not JSON");
    parse_fails("[1]", "output is not a JSON object");
    parse_fails("{\"kind\":\"Pod\"}", "kind: not ExecCredential");
    parse_fails("{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
                "v1beta1\"}",
                "apiVersion: client.authentication.k8s.io/v1beta1, but the kubeconfig asks for "
                "client.authentication.k8s.io/v1");
    parse_fails("{\"kind\":\"ExecCredential\"}",
                "apiVersion: (missing), but the kubeconfig asks for "
                "client.authentication.k8s.io/v1");
    parse_fails(CRED "\"spec\":{}}", "status: missing");
    parse_fails(CRED "\"status\":[]}", "status: not an object");
    parse_fails(CRED "\"status\":{}}", "status: neither token nor clientCertificateData");
    parse_fails(CRED "\"status\":{\"token\":\"\"}}",
                "status: neither token nor clientCertificateData");
    parse_fails(CRED "\"status\":{\"token\":\"a b\"}}",
                "status.token: contains whitespace or control characters");
    parse_fails(CRED "\"status\":{\"token\":\"a\",\"clientKeyData\":\"k\"}}",
                "status.clientCertificateData: missing (status.clientKeyData is set)");
    parse_fails(CRED "\"status\":{\"clientCertificateData\":\"c\"}}",
                "status.clientKeyData: missing (status.clientCertificateData is set)");
    parse_fails(CRED "\"status\":{\"clientCertificateData\":\"c\",\"clientKeyData\":\"k\"}}",
                "status.clientCertificateData: no PEM certificate found");
    parse_fails(CRED "\"status\":{\"token\":\"a\",\"expirationTimestamp\":\"soon\"}}",
                "status.expirationTimestamp: 'soon' is not an RFC 3339 time");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_exec");
    TCase *tc = tcase_create("exec");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, plugin_runs_when_needed_with_args_env_and_exec_info);
    tcase_add_test(tc, cluster_info_only_when_allowed);
    tcase_add_test(tc, plugin_starts_with_no_signal_blocked);
    tcase_add_test(tc, credential_is_cached_until_its_expiry);
    tcase_add_test(tc, client_certificate_from_the_plugin);
    tcase_add_test(tc, failures_at_run_time_name_the_command_and_the_cause);
    tcase_add_test(tc, bad_exec_settings_are_refused_at_load);
    tcase_add_test(tc, exec_credential_is_checked_field_by_field);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
