/* The sidecar's broker connection flags (sidecar/serve/broker_opts.h): each flag
 * is taken and a bad or empty value is refused naming the flag; flags that
 * need each other are checked together (a client certificate needs its key
 * and TLS); the log line names TLS, the client certificate and the SASL
 * user but never the password; the dial settings load the CA, the client
 * certificate and the password file (trailing newline dropped), and a
 * missing or unusable file is named with the flag that gave it. Plaintext
 * without SASL is what no flag at all gives. */
#include <check.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/serve/broker_opts.h"
#include "support/pki.h"
#include "support/tmpdir.h"

/* Takes every (code, value) pair; returns the first failing status. */
static int take_all(sc_broker_opts *o, const int *codes, const char *const *values, size_t n,
                    util_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = sc_broker_opts_take(o, codes[i], values[i], err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

START_TEST(each_flag_is_taken)
{
    static const int codes[] = {SC_BROKER_OPT_CA,           SC_BROKER_OPT_SERVER_NAME,
                                SC_BROKER_OPT_CERT,         SC_BROKER_OPT_KEY,
                                SC_BROKER_OPT_MECHANISM,    SC_BROKER_OPT_USER,
                                SC_BROKER_OPT_PASSWORD_FILE};
    static const char *const values[] = {"/ca.pem",       "kafka-0.example", "/tls.crt", "/tls.key",
                                         "scram-sha-256", "berth",           "/pw"};
    sc_broker_opts o = {0};
    util_err err = {{0}};

    ck_assert_int_eq(take_all(&o, codes, values, 7, &err), 0);
    ck_assert_str_eq(o.ca_file, "/ca.pem");
    ck_assert_str_eq(o.server_name, "kafka-0.example");
    ck_assert_str_eq(o.cert_file, "/tls.crt");
    ck_assert_str_eq(o.key_file, "/tls.key");
    ck_assert(o.sasl);
    ck_assert_int_eq(o.mechanism, KAFKA_SASL_SCRAM_SHA_256); /* any case, as Kafka spells it */
    ck_assert_str_eq(o.user, "berth");
    ck_assert_str_eq(o.password_file, "/pw");
    ck_assert_int_eq(sc_broker_opts_check(&o, &err), 0);
    ck_assert_str_eq(sc_broker_opts_given(&o), "--broker-ca");
    /* A subcommand's own options are not ours. */
    ck_assert_int_eq(sc_broker_opts_take(&o, 'h', NULL, &err), 1);
    ck_assert_int_eq(sc_broker_opts_take(&o, 256, "x", &err), 1);
}
END_TEST

START_TEST(bad_values_name_the_flag)
{
    static const struct {
        int code;
        const char *value, *want;
    } cases[] = {
        {SC_BROKER_OPT_MECHANISM, "GSSAPI",
         "--sasl-mechanism: SASL mechanism 'GSSAPI' not supported (PLAIN, SCRAM-SHA-256, "
         "SCRAM-SHA-512)"},
        {SC_BROKER_OPT_MECHANISM, "SCRAM-SHA-1", "--sasl-mechanism: SASL mechanism 'SCRAM-SHA-1'"},
        {SC_BROKER_OPT_MECHANISM, "", "--sasl-mechanism: empty value"},
        {SC_BROKER_OPT_CA, "", "--broker-ca: empty value"},
        {SC_BROKER_OPT_SERVER_NAME, "", "--broker-server-name: empty value"},
        {SC_BROKER_OPT_CERT, "", "--broker-cert: empty value"},
        {SC_BROKER_OPT_KEY, NULL, "--broker-key: empty value"},
        {SC_BROKER_OPT_USER, "", "--sasl-user: empty value"},
        {SC_BROKER_OPT_PASSWORD_FILE, "", "--sasl-password-file: empty value"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_broker_opts o = {0};
        util_err err = {{0}};

        ck_assert_int_eq(sc_broker_opts_take(&o, cases[i].code, cases[i].value, &err), -1);
        ck_assert_msg(strncmp(err.msg, cases[i].want, strlen(cases[i].want)) == 0, "%s", err.msg);
        ck_assert(!o.sasl);
    }
}
END_TEST

START_TEST(flags_that_need_each_other)
{
    static const struct {
        int codes[3];
        const char *values[3];
        size_t n;
        const char *want;
    } cases[] = {
        {{SC_BROKER_OPT_SERVER_NAME}, {"kafka-0"}, 1, "--broker-server-name needs --broker-ca"},
        {{SC_BROKER_OPT_CA, SC_BROKER_OPT_CERT},
         {"/ca.pem", "/tls.crt"},
         2,
         "--broker-cert needs --broker-key"},
        {{SC_BROKER_OPT_CA, SC_BROKER_OPT_KEY},
         {"/ca.pem", "/tls.key"},
         2,
         "--broker-key needs --broker-cert"},
        {{SC_BROKER_OPT_CERT, SC_BROKER_OPT_KEY},
         {"/tls.crt", "/tls.key"},
         2,
         "--broker-cert needs --broker-ca"},
        {{SC_BROKER_OPT_USER}, {"berth"}, 1, "--sasl-user needs --sasl-mechanism"},
        {{SC_BROKER_OPT_PASSWORD_FILE}, {"/pw"}, 1, "--sasl-password-file needs --sasl-mechanism"},
        {{SC_BROKER_OPT_MECHANISM}, {"PLAIN"}, 1, "--sasl-mechanism needs --sasl-user"},
        {{SC_BROKER_OPT_MECHANISM, SC_BROKER_OPT_USER},
         {"PLAIN", "berth"},
         2,
         "--sasl-mechanism needs --sasl-password-file"},
        {{SC_BROKER_OPT_MECHANISM, SC_BROKER_OPT_PASSWORD_FILE},
         {"PLAIN", "/pw"},
         2,
         "--sasl-mechanism needs --sasl-user"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_broker_opts o = {0};
        sc_broker_dial *d = NULL;
        util_err err = {{0}};

        ck_assert_int_eq(take_all(&o, cases[i].codes, cases[i].values, cases[i].n, &err), 0);
        ck_assert_int_eq(sc_broker_opts_check(&o, &err), -1);
        ck_assert_msg(strstr(err.msg, cases[i].want) == err.msg, "%s", err.msg);
        /* Loading refuses the same, before touching any file. */
        ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
        ck_assert_ptr_null(d);
        ck_assert_msg(strstr(err.msg, cases[i].want) == err.msg, "%s", err.msg);
    }
}
END_TEST

START_TEST(no_flags_is_plaintext_without_sasl)
{
    sc_broker_opts o = {0};
    sc_broker_dial *d = NULL;
    const kafka_dial_opts *k;
    util_err err = {{0}};
    char line[256];

    ck_assert_int_eq(sc_broker_opts_check(&o, &err), 0);
    ck_assert_ptr_null(sc_broker_opts_given(&o));
    sc_broker_opts_describe(&o, line, sizeof line);
    ck_assert_str_eq(line, "plaintext, no SASL");
    ck_assert_int_eq(sc_broker_dial_new(&o, "berth-sidecar", &d, &err), 0);
    k = sc_broker_dial_opts(d);
    ck_assert_ptr_null(k->tls);
    ck_assert_ptr_null(k->sasl);
    ck_assert_str_eq(k->client_id, "berth-sidecar");
    ck_assert_int_eq(k->connect_timeout_ms, 0);
    ck_assert_int_eq(k->call_timeout_ms, 0);
    sc_broker_dial_free(d);
    sc_broker_dial_free(NULL);
}
END_TEST

START_TEST(tls_and_scram_load_ca_and_password)
{
    char *dir = tmpdir_new(), *cert, *key, *ca, *pw, line[512];
    sc_broker_opts o = {0};
    sc_broker_dial *d = NULL;
    const kafka_dial_opts *k;
    util_err err = {{0}};

    pki_self_signed("berth test CA", &cert, &key);
    tmpdir_writef(dir, "ca.pem", "%s", cert);
    tmpdir_writef(dir, "password", "s3cret-with-newline\n");
    ca = tmpdir_path(dir, "ca.pem");
    pw = tmpdir_path(dir, "password");
    o.ca_file = ca;
    o.server_name = "kafka-0.example";
    o.sasl = true;
    o.mechanism = KAFKA_SASL_SCRAM_SHA_512;
    o.user = "berth";
    o.password_file = pw;
    ck_assert_int_eq(sc_broker_dial_new(&o, "berth-sidecar", &d, &err), 0);
    k = sc_broker_dial_opts(d);
    ck_assert_ptr_nonnull(k->tls);
    ck_assert_ptr_nonnull(k->sasl);
    ck_assert_int_eq(k->sasl->mechanism, KAFKA_SASL_SCRAM_SHA_512);
    ck_assert_str_eq(k->sasl->username, "berth");
    ck_assert_str_eq(k->sasl->password, "s3cret-with-newline");
    sc_broker_opts_describe(&o, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "TLS (CA "));
    ck_assert_ptr_nonnull(strstr(line, "name kafka-0.example"));
    ck_assert_ptr_nonnull(strstr(line, "SASL SCRAM-SHA-512 as 'berth'"));
    ck_assert_ptr_null(strstr(line, "s3cret"));
    sc_broker_dial_free(d);

    /* SASL without TLS (a SASL_PLAINTEXT listener) is allowed too. */
    o.ca_file = NULL;
    o.server_name = NULL;
    o.mechanism = KAFKA_SASL_PLAIN;
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), 0);
    ck_assert_ptr_null(sc_broker_dial_opts(d)->tls);
    ck_assert_str_eq(sc_broker_dial_opts(d)->sasl->password, "s3cret-with-newline");
    sc_broker_opts_describe(&o, line, sizeof line);
    ck_assert_str_eq(line, "plaintext, SASL PLAIN as 'berth'");
    sc_broker_dial_free(d);
    free(ca);
    free(pw);
    free(cert);
    free(key);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(unusable_files_are_named)
{
    char *dir = tmpdir_new(), *empty, *garbage, *pw;
    sc_broker_opts o = {0};
    sc_broker_dial *d = NULL;
    util_err err = {{0}};

    tmpdir_writef(dir, "empty", "\n");
    tmpdir_writef(dir, "garbage.pem", "not a certificate\n");
    tmpdir_writef(dir, "password", "pw");
    empty = tmpdir_path(dir, "empty");
    garbage = tmpdir_path(dir, "garbage.pem");
    pw = tmpdir_path(dir, "password");

    o.ca_file = "/nonexistent/ca.pem";
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_ptr_null(d);
    ck_assert_str_eq(err.msg, "--broker-ca: TLS: ca_file '/nonexistent/ca.pem': No such file or "
                              "directory");
    o.ca_file = garbage;
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_msg(strncmp(err.msg, "--broker-ca: ", 13) == 0 && strstr(err.msg, garbage) != NULL,
                  "%s", err.msg);

    o.ca_file = NULL;
    o.sasl = true;
    o.mechanism = KAFKA_SASL_SCRAM_SHA_256;
    o.user = "berth";
    o.password_file = "/nonexistent/password";
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_str_eq(err.msg,
                     "--sasl-password-file: /nonexistent/password: No such file or directory");
    o.password_file = empty;
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_msg(strncmp(err.msg, "--sasl-password-file: ", 22) == 0 &&
                      strstr(err.msg, ": empty") != NULL,
                  "%s", err.msg);
    o.password_file = dir; /* a directory */
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_msg(strstr(err.msg, "not a regular file") != NULL, "%s", err.msg);
    ck_assert_ptr_null(d);
    o.password_file = pw;
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), 0);
    ck_assert_str_eq(sc_broker_dial_opts(d)->sasl->password, "pw");
    sc_broker_dial_free(d);
    free(empty);
    free(garbage);
    free(pw);
    tmpdir_remove(dir);
}
END_TEST

/* A client certificate from a test CA, with the CA that signed the
 * broker's: loaded, described in the log line by its file (never the key),
 * and a file that does not do is named with its flag. */
START_TEST(a_client_certificate_loads_with_the_ca)
{
    char *dir = tmpdir_new(), *ca_cert, *ca_key, *cert, *key, *other_cert, *other_key, line[512];
    char *ca, *crt, *kpath, *wrong, want[512];
    sc_broker_opts o = {0};
    sc_broker_dial *d = NULL;
    util_err err = {{0}};

    pki_self_signed("berth test CA", &ca_cert, &ca_key);
    pki_issue_client(ca_cert, ca_key, "berth-sidecar", NULL, &cert, &key);
    pki_issue_client(ca_cert, ca_key, "someone else", NULL, &other_cert, &other_key);
    tmpdir_writef(dir, "ca.crt", "%s", ca_cert);
    tmpdir_writef(dir, "tls.crt", "%s", cert);
    tmpdir_writef(dir, "tls.key", "%s", key);
    tmpdir_writef(dir, "other.key", "%s", other_key);
    ca = tmpdir_path(dir, "ca.crt");
    crt = tmpdir_path(dir, "tls.crt");
    kpath = tmpdir_path(dir, "tls.key");
    wrong = tmpdir_path(dir, "other.key");

    o.ca_file = ca;
    o.cert_file = crt;
    o.key_file = kpath;
    ck_assert_int_eq(sc_broker_opts_check(&o, &err), 0);
    ck_assert_msg(sc_broker_dial_new(&o, "berth-sidecar", &d, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(sc_broker_dial_opts(d)->tls);
    sc_broker_dial_free(d);
    sc_broker_opts_describe(&o, line, sizeof line);
    snprintf(want, sizeof want, "TLS (CA %s, client certificate %s), no SASL", ca, crt);
    ck_assert_str_eq(line, want);
    o.server_name = "kafka-0.example";
    sc_broker_opts_describe(&o, line, sizeof line);
    snprintf(want, sizeof want, "TLS (CA %s, name kafka-0.example, client certificate %s), no SASL",
             ca, crt);
    ck_assert_str_eq(line, want);
    ck_assert_ptr_null(strstr(line, "tls.key"));

    o.key_file = wrong; /* another certificate's key */
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_ptr_null(d);
    snprintf(want, sizeof want, "--broker-key: TLS: key_file '%s': key values mismatch", wrong);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    o.key_file = kpath;
    o.cert_file = "/nonexistent/tls.crt";
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_str_eq(err.msg, "--broker-cert: TLS: cert_file '/nonexistent/tls.crt': No such file "
                              "or directory");
    o.cert_file = kpath; /* a key, not a certificate */
    ck_assert_int_eq(sc_broker_dial_new(&o, NULL, &d, &err), -1);
    ck_assert_msg(strncmp(err.msg, "--broker-cert: TLS: cert_file ", 30) == 0, "%s", err.msg);
    ck_assert_ptr_null(d);

    free(ca);
    free(crt);
    free(kpath);
    free(wrong);
    free(ca_cert);
    free(ca_key);
    free(cert);
    free(key);
    free(other_cert);
    free(other_key);
    tmpdir_remove(dir);
}
END_TEST

/* The entries a subcommand puts in its getopt_long table, parsed as run
 * parses them. */
START_TEST(longopts_parse_through_getopt)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, 256},
        SC_BROKER_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    char *argv[] = {"run",
                    "--broker",
                    "localhost:9093",
                    "--sasl-mechanism=PLAIN",
                    "--sasl-user",
                    "u",
                    "--sasl-password-file",
                    "/pw",
                    "--broker-ca",
                    "/ca.pem",
                    "--broker-cert",
                    "/tls.crt",
                    "--broker-key=/tls.key",
                    NULL};
    sc_broker_opts o = {0};
    util_err err = {{0}};
    int c, others = 0;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(13, argv, "+", longopts, NULL)) != -1) {
        int rc = sc_broker_opts_take(&o, c, optarg, &err);
        ck_assert_int_ge(rc, 0);
        others += rc;
    }
    ck_assert_int_eq(others, 1); /* --broker */
    ck_assert(o.sasl && o.mechanism == KAFKA_SASL_PLAIN);
    ck_assert_str_eq(o.user, "u");
    ck_assert_str_eq(o.password_file, "/pw");
    ck_assert_str_eq(o.ca_file, "/ca.pem");
    ck_assert_str_eq(o.cert_file, "/tls.crt");
    ck_assert_str_eq(o.key_file, "/tls.key");
    ck_assert_int_eq(sc_broker_opts_check(&o, &err), 0);
    ck_assert_ptr_nonnull(strstr(SC_BROKER_USAGE, "--sasl-password-file FILE"));
    ck_assert_ptr_nonnull(strstr(SC_BROKER_USAGE, "--broker-cert FILE"));
    ck_assert_ptr_nonnull(strstr(SC_BROKER_USAGE, "--broker-key FILE"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_broker_opts");
    TCase *tc = tcase_create("broker_opts");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, each_flag_is_taken);
    tcase_add_test(tc, bad_values_name_the_flag);
    tcase_add_test(tc, flags_that_need_each_other);
    tcase_add_test(tc, no_flags_is_plaintext_without_sasl);
    tcase_add_test(tc, tls_and_scram_load_ca_and_password);
    tcase_add_test(tc, unusable_files_are_named);
    tcase_add_test(tc, a_client_certificate_loads_with_the_ca);
    tcase_add_test(tc, longopts_parse_through_getopt);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
