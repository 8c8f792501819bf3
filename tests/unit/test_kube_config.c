/* Kubeconfig loading behaves as kubectl's does for the fields berth uses
 * (embedded data, file paths relative to the kubeconfig, tokens, merged
 * KUBECONFIG lists, context override, default namespace), in-cluster config
 * reads the service-account files and re-reads a rotated token, and every
 * refusal names the file, the entry and the field at fault. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/config.h"
#include "support/pki.h"
#include "support/tmpdir.h"

static char *dir;                /* fresh per test */
static char *ca_pem, *ca_key;    /* a CA the configs trust */
static char *cert_pem, *key_pem; /* a client certificate and its key */
static char *ca_b64, *cert_b64, *key_b64;

static void setup(void)
{
    unsetenv("KUBECONFIG");
    dir = tmpdir_new();
    pki_self_signed("test-ca", &ca_pem, &ca_key);
    pki_self_signed("test-admin", &cert_pem, &key_pem);
    ca_b64 = pki_base64(ca_pem, strlen(ca_pem));
    cert_b64 = pki_base64(cert_pem, strlen(cert_pem));
    key_b64 = pki_base64(key_pem, strlen(key_pem));
}

static void teardown(void)
{
    tmpdir_remove(dir);
    free(ca_pem);
    free(ca_key);
    free(cert_pem);
    free(key_pem);
    free(ca_b64);
    free(cert_b64);
    free(key_b64);
}

/* Writes yaml to <dir>/config and loads it, failing the test on error. */
static kube_config *load_ok(const char *yaml, const char *context)
{
    char *path = tmpdir_path(dir, "config");
    kube_config *cfg = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "config", "%s", yaml);
    if (kube_config_load(path, context, &cfg, &err) != 0)
        ck_abort_msg("load failed: %s", err.msg);
    free(path);
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

/* Writes yaml to <dir>/config, expects loading to fail, and checks the
 * message equals "kubeconfig <dir>/config: " + want. */
static void load_fails(const char *yaml, const char *context, const char *want)
{
    char *path = tmpdir_path(dir, "config");
    char expect[UTIL_ERR_MAX];
    kube_config *cfg = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "config", "%s", yaml);
    ck_assert_int_lt(kube_config_load(path, context, &cfg, &err), 0);
    ck_assert_ptr_null(cfg);
    snprintf(expect, sizeof expect, "kubeconfig %s: %s", path, want);
    ck_assert_str_eq(err.msg, expect);
    free(path);
}

#define HEAD                                                                                       \
    "apiVersion: v1\n"                                                                             \
    "kind: Config\n"

START_TEST(embedded_data_is_decoded)
{
    char yaml[16384];
    kube_config *cfg;

    snprintf(yaml, sizeof yaml,
             HEAD "clusters:\n"
                  "- name: c\n"
                  "  cluster:\n"
                  "    server: https://127.0.0.1:6443/\n"
                  "    certificate-authority-data: %s\n"
                  "    tls-server-name: kubernetes\n"
                  "users:\n"
                  "- name: admin\n"
                  "  user:\n"
                  "    client-certificate-data: %s\n"
                  "    client-key-data: %s\n"
                  "contexts:\n"
                  "- name: ctx\n"
                  "  context: {cluster: c, user: admin, namespace: kafka}\n"
                  "current-context: ctx\n",
             ca_b64, cert_b64, key_b64);
    cfg = load_ok(yaml, NULL);
    ck_assert_str_eq(cfg->server, "https://127.0.0.1:6443"); /* trailing '/' dropped */
    ck_assert_str_eq(cfg->context, "ctx");
    ck_assert_str_eq(cfg->namespace, "kafka");
    ck_assert_str_eq(cfg->tls_server_name, "kubernetes");
    ck_assert(!cfg->insecure);
    ck_assert_str_eq(cfg->ca_pem, ca_pem);
    ck_assert_uint_eq(cfg->ca_pem_len, strlen(ca_pem));
    ck_assert_str_eq(cfg->cert_pem, cert_pem);
    ck_assert_str_eq(cfg->key_pem, key_pem);
    ck_assert_ptr_null(cfg->token);
    ck_assert_ptr_null(cfg->token_file);
    kube_config_free(cfg);
}
END_TEST

START_TEST(file_paths_resolve_against_the_kubeconfigs_directory)
{
    char *abs_key = tmpdir_path(dir, "elsewhere/admin.key");
    char *path = tmpdir_path(dir, "kube/config");
    kube_config *cfg = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "kube/ca.crt", "%s", ca_pem);
    tmpdir_writef(dir, "kube/certs/admin.crt", "%s", cert_pem);
    tmpdir_writef(dir, "elsewhere/admin.key", "%s", key_pem);
    tmpdir_writef(dir, "kube/config",
                  HEAD "clusters:\n"
                       "- name: c\n"
                       "  cluster: {server: 'https://h:1', certificate-authority: ca.crt}\n"
                       "users:\n"
                       "- name: u\n"
                       "  user:\n"
                       "    client-certificate: certs/admin.crt\n"
                       "    client-key: %s\n"
                       "contexts:\n"
                       "- name: x\n"
                       "  context: {cluster: c, user: u}\n"
                       "current-context: x\n",
                  abs_key);
    ck_assert_msg(kube_config_load(path, NULL, &cfg, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cfg->ca_pem, ca_pem);
    ck_assert_str_eq(cfg->cert_pem, cert_pem);
    ck_assert_str_eq(cfg->key_pem, key_pem);
    ck_assert_str_eq(cfg->source, path);
    kube_config_free(cfg);
    free(abs_key);
    free(path);
}
END_TEST

START_TEST(token_and_token_file)
{
    kube_config *cfg;
    char *tok = NULL, *tok_path = tmpdir_path(dir, "tok");
    char want[1024];
    util_err err = {{0}};
    static const char *yaml = HEAD "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                                   "users:\n"
                                   "- {name: static, user: {token: abc.def}}\n"
                                   "- {name: file, user: {tokenFile: tok}}\n"
                                   "- {name: both, user: {token: ignored, tokenFile: tok}}\n"
                                   "contexts:\n"
                                   "- {name: static, context: {cluster: c, user: static}}\n"
                                   "- {name: file, context: {cluster: c, user: file}}\n"
                                   "- {name: both, context: {cluster: c, user: both}}\n";

    tmpdir_writef(dir, "tok", "first-token\n");
    cfg = load_ok(yaml, "static");
    ck_assert_str_eq(cfg->token, "abc.def");
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_str_eq(tok, "abc.def");
    free(tok);
    kube_config_free(cfg);

    cfg = load_ok(yaml, "file");
    ck_assert_str_eq(cfg->token_file, tok_path);
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_str_eq(tok, "first-token");
    free(tok);
    /* A rotated token is picked up by the next request. */
    tmpdir_writef(dir, "tok", "second-token");
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_str_eq(tok, "second-token");
    free(tok);
    kube_config_free(cfg);

    /* As in client-go, the file wins over an inline token. */
    cfg = load_ok(yaml, "both");
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_str_eq(tok, "second-token");
    free(tok);
    kube_config_free(cfg);

    /* A token goes into a header: no line breaks or spaces inside. */
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                    "users: [{name: u, user: {token: \"a\\r\\nX-Evil: 1\"}}]\n"
                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                    "current-context: x\n",
               NULL, "user \"u\": token: contains whitespace or control characters");
    tmpdir_writef(dir, "tok", "\n");
    snprintf(want, sizeof want, "user \"file\": tokenFile: %s: empty", tok_path);
    load_fails(yaml, "file", want);
    free(tok_path);
}
END_TEST

/* Three files and a missing one: current-context comes from the first file
 * setting it, each named entry from the first file defining it, and a
 * relative path from the directory of the file whose entry names it. */
START_TEST(kubeconfig_list_merges_first_definition_wins)
{
    char *a = tmpdir_path(dir, "a/config"), *b = tmpdir_path(dir, "b/config");
    char *c = tmpdir_path(dir, "c/config"), *missing = tmpdir_path(dir, "nope/config");
    char list[4096];
    kube_config *cfg = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "a/config",
                  HEAD "clusters: [{name: shared, cluster: {server: 'https://a.test:1'}}]\n"
                       "contexts: [{name: ctx-a, context: {cluster: shared, user: u}}]\n");
    tmpdir_writef(dir, "b/config",
                  HEAD "current-context: ctx-a\n"
                       "clusters:\n"
                       "- {name: shared, cluster: {server: 'https://b.test:2'}}\n"
                       "- {name: other, cluster: {server: 'https://other.test:3'}}\n"
                       "users: [{name: u, user: {client-certificate: u.crt, client-key: u.key}}]\n"
                       "contexts:\n"
                       "- {name: ctx-a, context: {cluster: other, user: u, namespace: from-b}}\n"
                       "- {name: ctx-b, context: {cluster: other, namespace: nb}}\n");
    tmpdir_writef(dir, "b/u.crt", "%s", cert_pem);
    tmpdir_writef(dir, "b/u.key", "%s", key_pem);
    tmpdir_writef(dir, "c/config",
                  HEAD "current-context: ctx-c\n"
                       "users: [{name: u, user: {token: from-c}}]\n");
    snprintf(list, sizeof list, "%s:%s:%s:%s", a, missing, b, c);
    setenv("KUBECONFIG", list, 1);

    ck_assert_msg(kube_config_load(NULL, NULL, &cfg, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cfg->context, "ctx-a");           /* b's current-context */
    ck_assert_str_eq(cfg->server, "https://a.test:1"); /* a's ctx-a and a's cluster */
    ck_assert_str_eq(cfg->namespace, "default");       /* a's ctx-a sets none */
    ck_assert_str_eq(cfg->cert_pem, cert_pem);         /* b's user, b's directory */
    ck_assert_ptr_null(cfg->token);                    /* not c's user */
    ck_assert_str_eq(cfg->source, list);
    kube_config_free(cfg);

    ck_assert_msg(kube_config_load(NULL, "ctx-b", &cfg, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cfg->server, "https://other.test:3");
    ck_assert_str_eq(cfg->namespace, "nb");
    ck_assert_ptr_null(cfg->cert_pem); /* no user: anonymous */
    kube_config_free(cfg);

    /* An explicit path ignores KUBECONFIG: a alone sets no current-context. */
    ck_assert_int_lt(kube_config_load(a, NULL, &cfg, &err), 0);
    snprintf(list, sizeof list, "kubeconfig %s: no current-context and none given", a);
    ck_assert_str_eq(err.msg, list);
    free(a);
    free(b);
    free(c);
    free(missing);
}
END_TEST

START_TEST(context_override_and_default_namespace)
{
    static const char *yaml = HEAD "clusters:\n"
                                   "- {name: one, cluster: {server: 'https://one.test'}}\n"
                                   "- {name: two, cluster: {server: 'http://two.test:8080'}}\n"
                                   "contexts:\n"
                                   "- {name: first, context: {cluster: one}}\n"
                                   "- {name: second, context: {cluster: two, namespace: ns2}}\n"
                                   "current-context: first\n";
    kube_config *cfg;

    cfg = load_ok(yaml, NULL);
    ck_assert_str_eq(cfg->server, "https://one.test");
    ck_assert_str_eq(cfg->namespace, "default");
    kube_config_free(cfg);
    cfg = load_ok(yaml, "second");
    ck_assert_str_eq(cfg->context, "second");
    ck_assert_str_eq(cfg->server, "http://two.test:8080");
    ck_assert_str_eq(cfg->namespace, "ns2");
    kube_config_free(cfg);
}
END_TEST

START_TEST(insecure_only_when_explicitly_true)
{
    kube_config *cfg = load_ok(
        HEAD
        "clusters: [{name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: true}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\n"
        "current-context: x\n",
        NULL);
    ck_assert(cfg->insecure);
    kube_config_free(cfg);
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h', "
                    "insecure-skip-tls-verify: 'yes'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"
                    "current-context: x\n",
               NULL, "cluster \"c\": insecure-skip-tls-verify: not a boolean");
}
END_TEST

START_TEST(missing_current_context)
{
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n",
               NULL, "no current-context and none given");
}
END_TEST

START_TEST(unknown_context)
{
    static const char *yaml = HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                                   "contexts: [{name: x, context: {cluster: c}}]\n"
                                   "current-context: gone\n";
    load_fails(yaml, NULL, "context \"gone\" not found");
    load_fails(yaml, "foo", "context \"foo\" not found");
}
END_TEST

START_TEST(unknown_cluster_or_user)
{
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "contexts: [{name: x, context: {cluster: ghost}}]\n"
                    "current-context: x\n",
               NULL, "context \"x\": cluster \"ghost\" not found");
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "contexts: [{name: x, context: {cluster: c, user: ghost}}]\n"
                    "current-context: x\n",
               NULL, "context \"x\": user \"ghost\" not found");
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "contexts: [{name: x, context: {user: u}}]\n"
                    "current-context: x\n",
               NULL, "context \"x\": cluster: missing");
}
END_TEST

START_TEST(invalid_base64)
{
    char yaml[16384];

    snprintf(yaml, sizeof yaml,
             HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                  "users:\n"
                  "- name: admin\n"
                  "  user: {client-certificate-data: %s, client-key-data: 'bm90!YmFzZTY0'}\n"
                  "contexts: [{name: x, context: {cluster: c, user: admin}}]\n"
                  "current-context: x\n",
             cert_b64);
    load_fails(yaml, NULL, "user \"admin\": client-key-data: invalid base64");
}
END_TEST

/* Padding and length rules of the decoder, seen through the CA field:
 * "invalid base64" for bad encodings, "no PEM certificate found" for good
 * encodings of bytes that are not a certificate. */
START_TEST(base64_is_strict)
{
    static const char *bad[] = {"QQ=",  "Q===",    "QQ==QUJD", "QUJ",      "QU JD",    "QUJD=",
                                "=QUJ", "QUJD\\t", "QQ=A",     "QUJD-_==", "\\u00e9A", "QUJDRA==="};
    static const char *not_pem[] = {"QQ==", "QUI=", "QUJD", "QUJD\\nRA==\\r\\n"};
    char yaml[1024];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(yaml, sizeof yaml,
                 HEAD "clusters: [{name: c, cluster: {server: 'https://h', "
                      "certificate-authority-data: \"%s\"}}]\n"
                      "contexts: [{name: x, context: {cluster: c}}]\n"
                      "current-context: x\n",
                 bad[i]);
        load_fails(yaml, NULL, "cluster \"c\": certificate-authority-data: invalid base64");
    }
    for (size_t i = 0; i < sizeof not_pem / sizeof not_pem[0]; i++) {
        snprintf(yaml, sizeof yaml,
                 HEAD "clusters: [{name: c, cluster: {server: 'https://h', "
                      "certificate-authority-data: \"%s\"}}]\n"
                      "contexts: [{name: x, context: {cluster: c}}]\n"
                      "current-context: x\n",
                 not_pem[i]);
        load_fails(yaml, NULL,
                   "cluster \"c\": certificate-authority-data: no PEM certificate found");
    }
}
END_TEST

START_TEST(missing_server)
{
    load_fails(HEAD "clusters: [{name: c, cluster: {insecure-skip-tls-verify: false}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"
                    "current-context: x\n",
               NULL, "cluster \"c\": server: missing");
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"
                    "current-context: x\n",
               NULL, "cluster \"c\": server: ftp://h: not an http:// or https:// URL");
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https:///'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"
                    "current-context: x\n",
               NULL, "cluster \"c\": server: https://: not an http:// or https:// URL");
}
END_TEST

START_TEST(not_yaml_or_not_a_mapping)
{
    load_fails("clusters: [unclosed\n", NULL,
               "line 2 column 1: while parsing a flow sequence: did not find expected ',' or ']'");
    load_fails("a: b\n\x01\x02\x03 binary", NULL, "byte 5: control characters are not allowed");
    load_fails("a: \xff\xfe\n", NULL, "byte 3: invalid leading UTF-8 octet");
    load_fails("- a\n- b\n", NULL, "top level is a list, not a mapping");
    load_fails("just a string\n", NULL, "top level is a scalar, not a mapping");
    load_fails("clusters: {name: c}\n", NULL, "clusters: is a mapping, not a list");
    load_fails("users: [{user: {token: t}}]\n", NULL, "users[0]: name: missing");
    load_fails("contexts: [{name: x, context: [a]}]\n", NULL,
               "context \"x\": context: not a mapping");
}
END_TEST

/* Deep nesting is refused up front: libyaml would take minutes over it. */
START_TEST(deep_nesting_is_refused)
{
    static char yaml[2 * 100000 + 16];
    size_t n = 0;

    n += (size_t)sprintf(yaml, "a: ");
    memset(yaml + n, '[', 100000);
    n += 100000;
    memset(yaml + n, ']', 100000);
    n += 100000;
    yaml[n] = '\0';
    load_fails(yaml, NULL, "line 1: nested more than 64 levels deep");
}
END_TEST

START_TEST(empty_file)
{
    load_fails("", NULL, "empty file: no kubeconfig in it");
    load_fails("# only a comment\n", NULL, "empty file: no kubeconfig in it");
}
END_TEST

START_TEST(missing_files)
{
    char *path = tmpdir_path(dir, "absent");
    char want[1024];
    kube_config *cfg = NULL;
    util_err err = {{0}};

    ck_assert_int_lt(kube_config_load(path, NULL, &cfg, &err), 0);
    snprintf(want, sizeof want, "kubeconfig %s: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);

    ck_assert_int_lt(kube_config_load_list(path, NULL, &cfg, &err), 0);
    snprintf(want, sizeof want, "kubeconfig %s: none of the files exist", path);
    ck_assert_str_eq(err.msg, want);

    snprintf(want, sizeof want,
             "user \"u\": client-certificate: %s/u.crt: No such file or directory", dir);
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "users: [{name: u, user: {client-certificate: u.crt, client-key: u.key}}]\n"
                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                    "current-context: x\n",
               NULL, want);
    free(path);
}
END_TEST

START_TEST(client_pair_is_checked)
{
    char yaml[16384];
    char *other_cert, *other_key, *other_b64;

    pki_self_signed("other", &other_cert, &other_key);
    other_b64 = pki_base64(other_key, strlen(other_key));
    snprintf(yaml, sizeof yaml,
             HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                  "users: [{name: u, user: {client-certificate-data: %s, client-key-data: %s}}]\n"
                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n",
             cert_b64, other_b64);
    load_fails(yaml, NULL, "user \"u\": client-key-data: does not match the client certificate");
    snprintf(yaml, sizeof yaml,
             HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                  "users: [{name: u, user: {client-certificate-data: %s}}]\n"
                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n",
             cert_b64);
    load_fails(yaml, NULL, "user \"u\": client-key: missing (client-certificate-data is set)");
    free(other_cert);
    free(other_key);
    free(other_b64);
}
END_TEST

START_TEST(unsupported_fields_are_refused_not_ignored)
{
    char yaml[8192];

    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                    "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                    "current-context: x\n",
               NULL, "user \"u\": auth-provider: not supported");
    load_fails(HEAD "clusters: [{name: c, cluster: {server: 'https://h', proxy-url: "
                    "'http://p:3128'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n"
                    "current-context: x\n",
               NULL, "cluster \"c\": proxy-url: not supported");
    /* kubectl refuses this pair too: a CA with verification off is a mistake. */
    snprintf(yaml, sizeof yaml,
             HEAD "clusters: [{name: c, cluster: {server: 'https://h', "
                  "certificate-authority-data: %s, insecure-skip-tls-verify: true}}]\n"
                  "contexts: [{name: x, context: {cluster: c}}]\n"
                  "current-context: x\n",
             ca_b64);
    load_fails(yaml, NULL,
               "cluster \"c\": insecure-skip-tls-verify: not allowed together with "
               "certificate-authority-data");
}
END_TEST

START_TEST(buffer_without_base_dir_refuses_relative_paths)
{
    static const char yaml[] = HEAD
        "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: ca.crt}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\n"
        "current-context: x\n";
    kube_config *cfg = NULL;
    util_err err = {{0}};

    ck_assert_int_lt(
        kube_config_load_buffer(yaml, sizeof yaml - 1, "<mem>", NULL, NULL, &cfg, &err), 0);
    ck_assert_str_eq(err.msg, "kubeconfig <mem>: cluster \"c\": certificate-authority: relative "
                              "path ca.crt but no directory to resolve it in");
    tmpdir_writef(dir, "ca.crt", "%s", ca_pem);
    ck_assert_msg(kube_config_load_buffer(yaml, sizeof yaml - 1, "<mem>", dir, NULL, &cfg, &err) ==
                      0,
                  "%s", err.msg);
    ck_assert_str_eq(cfg->ca_pem, ca_pem);
    kube_config_free(cfg);
}
END_TEST

START_TEST(dup_is_deep_and_free_null_is_a_noop)
{
    char yaml[16384];
    kube_config *cfg, *copy = NULL;
    util_err err = {{0}};

    snprintf(yaml, sizeof yaml,
             HEAD "clusters: [{name: c, cluster: {server: 'https://h', "
                  "certificate-authority-data: %s}}]\n"
                  "users: [{name: u, user: {client-certificate-data: %s, client-key-data: %s, "
                  "token: t}}]\n"
                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                  "current-context: x\n",
             ca_b64, cert_b64, key_b64);
    cfg = load_ok(yaml, NULL);
    ck_assert_int_eq(kube_config_dup(cfg, &copy, &err), 0);
    kube_config_free(cfg);
    ck_assert_str_eq(copy->server, "https://h");
    ck_assert_str_eq(copy->ca_pem, ca_pem);
    ck_assert_str_eq(copy->key_pem, key_pem);
    ck_assert_str_eq(copy->token, "t");
    ck_assert_str_eq(copy->namespace, "default");
    kube_config_free(copy);
    kube_config_free(NULL);
}
END_TEST

START_TEST(in_cluster_reads_the_service_account_files)
{
    char *sa = tmpdir_path(dir, "sa"), *tok_path = tmpdir_path(dir, "sa/token");
    kube_config *cfg = NULL;
    char *tok = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "sa/token", "eyJhbGciOi.first\n");
    tmpdir_writef(dir, "sa/ca.crt", "%s", ca_pem);
    tmpdir_writef(dir, "sa/namespace", "kafka");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ck_assert_msg(kube_config_in_cluster(sa, &cfg, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cfg->server, "https://10.96.0.1:443");
    ck_assert_str_eq(cfg->ca_pem, ca_pem);
    ck_assert_str_eq(cfg->namespace, "kafka");
    ck_assert_str_eq(cfg->token_file, tok_path);
    ck_assert_ptr_null(cfg->token);
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_str_eq(tok, "eyJhbGciOi.first");
    free(tok);
    /* The kubelet rotates the token by swapping the file. */
    tmpdir_writef(dir, "sa/token", "eyJhbGciOi.second");
    ck_assert_int_eq(kube_config_token(cfg, &tok, &err), 0);
    ck_assert_str_eq(tok, "eyJhbGciOi.second");
    free(tok);
    kube_config_free(cfg);

    /* IPv6 service address; no namespace file. */
    remove(tok_path);
    tmpdir_writef(dir, "sa/token", "t");
    {
        char *ns = tmpdir_path(dir, "sa/namespace");
        remove(ns);
        free(ns);
    }
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    ck_assert_msg(kube_config_in_cluster(sa, &cfg, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cfg->server, "https://[fd00::1]:443");
    ck_assert_str_eq(cfg->namespace, "default");
    kube_config_free(cfg);
    free(sa);
    free(tok_path);
}
END_TEST

START_TEST(in_cluster_errors)
{
    char *sa = tmpdir_path(dir, "sa");
    char want[1024];
    kube_config *cfg = NULL;
    util_err err = {{0}};

    unsetenv("KUBERNETES_SERVICE_HOST");
    ck_assert_int_lt(kube_config_in_cluster(sa, &cfg, &err), 0);
    ck_assert_str_eq(err.msg, "in-cluster config: KUBERNETES_SERVICE_HOST and "
                              "KUBERNETES_SERVICE_PORT must be set (not in a pod?)");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "https", 1);
    ck_assert_int_lt(kube_config_in_cluster(sa, &cfg, &err), 0);
    ck_assert_str_eq(err.msg, "in-cluster config: KUBERNETES_SERVICE_PORT https: not a port");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    tmpdir_writef(dir, "sa/ca.crt", "%s", ca_pem);
    ck_assert_int_lt(kube_config_in_cluster(sa, &cfg, &err), 0);
    snprintf(want, sizeof want, "in-cluster config: %s/token: No such file or directory", sa);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(cfg);
    free(sa);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_config");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, embedded_data_is_decoded);
    tcase_add_test(tc, file_paths_resolve_against_the_kubeconfigs_directory);
    tcase_add_test(tc, token_and_token_file);
    tcase_add_test(tc, kubeconfig_list_merges_first_definition_wins);
    tcase_add_test(tc, context_override_and_default_namespace);
    tcase_add_test(tc, insecure_only_when_explicitly_true);
    tcase_add_test(tc, missing_current_context);
    tcase_add_test(tc, unknown_context);
    tcase_add_test(tc, unknown_cluster_or_user);
    tcase_add_test(tc, invalid_base64);
    tcase_add_test(tc, base64_is_strict);
    tcase_add_test(tc, missing_server);
    tcase_add_test(tc, not_yaml_or_not_a_mapping);
    tcase_add_test(tc, deep_nesting_is_refused);
    tcase_add_test(tc, empty_file);
    tcase_add_test(tc, missing_files);
    tcase_add_test(tc, client_pair_is_checked);
    tcase_add_test(tc, unsupported_fields_are_refused_not_ignored);
    tcase_add_test(tc, buffer_without_base_dir_refuses_relative_paths);
    tcase_add_test(tc, dup_is_deep_and_free_null_is_a_noop);
    tcase_add_test(tc, in_cluster_reads_the_service_account_files);
    tcase_add_test(tc, in_cluster_errors);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
