/* berth's TLS and SASL work against a real Kafka listener configured that
 * way: over TLS (verified against the listener's CA) SCRAM-SHA-512 and PLAIN
 * logins succeed and Metadata then answers through the SASL_SSL listener;
 * without a login the broker answers nothing but ApiVersions; a wrong
 * password fails with an error naming SASL authentication; a mechanism the
 * listener lacks is named with the ones it offers; a CA that did not sign
 * the broker's certificate, or a name the certificate does not carry, fails
 * the TLS handshake with a verification error.
 *
 * The shared cluster has no such listener and must not be restarted, so
 * this program starts a one-broker cluster of its own (tests/ground/kafka.sh
 * with KAFKA_SASL_SSL=1, its own state directory and ports) and stops it at
 * the end. Without BERTH_KAFKA_SH (set by tests/integration/run.sh) every
 * test fails: no silent skipping. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/dial.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/sasl.h"
#include "kafka/tls.h"
#include "support/pki.h"
#include "support/tmpdir.h"

#define CALL_MS 15000

/* Ports and state of the cluster started here, away from the shared one's
 * (29092..) and from the usual "+1000*N" grounds. BERTH_TLS_PORT_BASE moves
 * all three, and the state directory with them. */
#define PORT_BASE_DEFAULT 29592

static char env[256], ground_dir[64];
static char ground_error[512];
static char bootstrap[128], ca_file[512], user[64], scram_password[128], plain_password[128];

/* Runs kafka.sh with this cluster's settings; returns its exit status. */
static int kafka_sh(const char *args)
{
    const char *sh = getenv("BERTH_KAFKA_SH");
    char cmd[1024];

    if (sh == NULL)
        return -1;
    snprintf(cmd, sizeof cmd, "%s bash '%s' %s", env, sh, args);
    return system(cmd);
}

static void copy_value(char *dst, size_t size, const char *line, const char *key)
{
    size_t k = strlen(key);

    if (strncmp(line, key, k) == 0 && line[k] == '=')
        snprintf(dst, size, "%.*s", (int)strcspn(line + k + 1, "\n"), line + k + 1);
}

/* Starts the cluster and reads its listener settings; on failure
 * ground_error says why and every test reports it. */
static void ground_up(void)
{
    const char *base = getenv("BERTH_TLS_PORT_BASE");
    int b = base ? atoi(base) : PORT_BASE_DEFAULT;
    char cmd[1024], line[1024];
    FILE *f;

    snprintf(ground_dir, sizeof ground_dir, "/tmp/bg-kaf-tls-%d", b);
    snprintf(env, sizeof env,
             "BERTH_GROUND=%s KAFKA_BROKER_PORT_BASE=%d KAFKA_CONTROLLER_PORT_BASE=%d "
             "KAFKA_SASL_SSL_PORT_BASE=%d",
             ground_dir, b, b + 100, b + 200);
    if (getenv("BERTH_KAFKA_SH") == NULL) {
        snprintf(ground_error, sizeof ground_error,
                 "BERTH_KAFKA_SH is not set: run through tests/integration/run.sh");
        return;
    }
    /* A cluster left over by an interrupted run holds the ports. */
    kafka_sh("down >/dev/null 2>&1");
    snprintf(cmd, sizeof cmd, "KAFKA_SASL_SSL=1 %s bash '%s' up 1 >&2", env,
             getenv("BERTH_KAFKA_SH"));
    if (system(cmd) != 0) {
        snprintf(ground_error, sizeof ground_error,
                 "starting the SASL_SSL cluster in %s failed (logs there)", ground_dir);
        return;
    }
    snprintf(cmd, sizeof cmd, "%s bash '%s' sasl-info", env, getenv("BERTH_KAFKA_SH"));
    f = popen(cmd, "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        copy_value(bootstrap, sizeof bootstrap, line, "bootstrap");
        copy_value(ca_file, sizeof ca_file, line, "ca_file");
        copy_value(user, sizeof user, line, "user");
        copy_value(scram_password, sizeof scram_password, line, "scram_sha_512_password");
        copy_value(plain_password, sizeof plain_password, line, "plain_password");
    }
    if (f == NULL || pclose(f) != 0 || bootstrap[0] == '\0' || ca_file[0] == '\0')
        snprintf(ground_error, sizeof ground_error, "kafka.sh sasl-info gave no settings");
}

static void need_ground(void)
{
    if (ground_error[0] != '\0')
        ck_abort_msg("%s", ground_error);
}

static kafka_tls *tls_with(const char *ca, const char *server_name)
{
    kafka_tls_opts o = {ca, NULL, NULL, server_name};
    kafka_tls *t = NULL;
    util_err err;

    ck_assert_msg(kafka_tls_new(&o, &t, &err) == 0, "%s", err.msg);
    return t;
}

/* Connects over TLS to addr; returns the kafka_conn_new status. */
static int tls_connect(const char *addr, kafka_tls *t, kafka_conn **c, util_err *err)
{
    kafka_conn_opts o = {0};

    o.transport = &kafka_tls_transport;
    o.transport_config = t;
    return kafka_conn_new(addr, &o, c, err);
}

/* Logs in with mech (through kafka_dial, as berth's programs do) and asks
 * for Metadata; checks that the answer names this broker's SASL_SSL
 * listener. */
static void login_then_metadata(kafka_sasl_mechanism mech, const char *password)
{
    kafka_sasl_opts sasl = {mech, user, password};
    kafka_dial_opts dial = {0};
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md = NULL;
    util_err err;
    char port[16];

    need_ground();
    dial.tls = tls_with(ca_file, NULL);
    dial.sasl = &sasl;
    dial.call_timeout_ms = CALL_MS;
    ck_assert_msg(kafka_dial(bootstrap, &dial, &c, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(md->n_brokers, 1);
    ck_assert_int_eq(md->brokers[0].node_id, 0);
    /* The broker advertises, to a client of this listener, this listener. */
    snprintf(port, sizeof port, ":%d", (int)md->brokers[0].port);
    ck_assert_msg(strstr(bootstrap, port) != NULL, "metadata port %s, bootstrap %s", port,
                  bootstrap);
    ck_assert_ptr_nonnull(md->cluster_id);
    kafka_metadata_free(md);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    kafka_tls_free(dial.tls);
}

START_TEST(scram_sha_512_over_tls_then_metadata)
{
    login_then_metadata(KAFKA_SASL_SCRAM_SHA_512, scram_password);
}
END_TEST

START_TEST(plain_over_tls_then_metadata)
{
    login_then_metadata(KAFKA_SASL_PLAIN, plain_password);
}
END_TEST

START_TEST(without_login_the_broker_answers_only_api_versions)
{
    kafka_tls *t;
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md = NULL;
    util_err err;

    need_ground();
    t = tls_with(ca_file, NULL);
    ck_assert_msg(tls_connect(bootstrap, t, &c, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kafka_metadata_call(c, av, &req, CALL_MS, &md, &err), -1);
    ck_assert_ptr_null(md);
    ck_assert_msg(strstr(err.msg, "connection closed by the broker") != NULL, "%s", err.msg);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    kafka_tls_free(t);
}
END_TEST

START_TEST(wrong_password_names_sasl_authentication)
{
    static const kafka_sasl_mechanism mechs[] = {KAFKA_SASL_SCRAM_SHA_512, KAFKA_SASL_PLAIN};
    size_t i;

    need_ground();
    for (i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
        kafka_sasl_opts sasl = {mechs[i], user, "not-the-password"};
        kafka_dial_opts dial = {0};
        kafka_conn *c = NULL;
        kafka_api_versions *av = NULL;
        char want[128];
        util_err err;

        dial.tls = tls_with(ca_file, NULL);
        dial.sasl = &sasl;
        ck_assert_int_eq(kafka_dial(bootstrap, &dial, &c, &av, &err), -1);
        ck_assert_ptr_null(c);
        ck_assert_ptr_null(av);
        snprintf(want, sizeof want, "SASL authentication as '%s' with %s failed", user,
                 kafka_sasl_mechanism_name(mechs[i]));
        ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
        ck_assert_msg(strstr(err.msg, "SASL_AUTHENTICATION_FAILED (error 58)") != NULL, "%s",
                      err.msg);
        kafka_tls_free(dial.tls);
    }
}
END_TEST

START_TEST(mechanism_not_offered_is_named_with_the_offered_ones)
{
    kafka_sasl_opts sasl = {KAFKA_SASL_SCRAM_SHA_256, user, scram_password};
    kafka_tls *t;
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err;

    need_ground();
    t = tls_with(ca_file, NULL);
    ck_assert_msg(tls_connect(bootstrap, t, &c, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kafka_sasl_authenticate(c, av, &sasl, CALL_MS, &err), -1);
    ck_assert_msg(strstr(err.msg, "the listener does not offer SCRAM-SHA-256 (it offers "
                                  "SCRAM-SHA-512, PLAIN)") != NULL,
                  "%s", err.msg);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    kafka_tls_free(t);
}
END_TEST

START_TEST(wrong_ca_is_a_tls_verification_error)
{
    char *dir, *cert, *key, *path;
    kafka_tls *t;
    kafka_conn *c = NULL;
    util_err err;

    need_ground();
    /* A CA of the same name that did not sign the broker's certificate. */
    pki_self_signed("berth ground CA", &cert, &key);
    dir = tmpdir_new();
    tmpdir_writef(dir, "other-ca.pem", "%s", cert);
    path = tmpdir_path(dir, "other-ca.pem");
    t = tls_with(path, NULL);
    ck_assert_int_eq(tls_connect(bootstrap, t, &c, &err), -1);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err.msg, "TLS handshake: certificate verify failed: ") != NULL, "%s",
                  err.msg);
    ck_assert_msg(strncmp(err.msg, "broker ", 7) == 0, "%s", err.msg);
    kafka_tls_free(t);
    free(path);
    free(cert);
    free(key);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(certificate_must_name_the_broker)
{
    kafka_sasl_opts sasl = {KAFKA_SASL_SCRAM_SHA_512, user, scram_password};
    kafka_api_versions *av = NULL;
    kafka_tls *t;
    kafka_conn *c = NULL;
    char addr[160];
    util_err err;

    need_ground();
    t = tls_with(ca_file, "broker.invalid");
    ck_assert_int_eq(tls_connect(bootstrap, t, &c, &err), -1);
    ck_assert_msg(strstr(err.msg, "certificate verify failed: ") != NULL &&
                      strstr(err.msg, "does not name 'broker.invalid'") != NULL,
                  "%s", err.msg);
    kafka_tls_free(t);

    /* By DNS name: the certificate carries localhost too. */
    snprintf(addr, sizeof addr, "localhost%s", strchr(bootstrap, ':'));
    t = tls_with(ca_file, NULL);
    ck_assert_msg(tls_connect(addr, t, &c, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_sasl_authenticate(c, av, &sasl, CALL_MS, &err) == 0, "%s", err.msg);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    kafka_tls_free(t);
}
END_TEST

START_TEST(missing_ca_file_is_named)
{
    kafka_tls_opts o = {"/nonexistent/ca.pem", NULL, NULL, NULL};
    kafka_tls *t = NULL;
    util_err err;

    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err.msg, "TLS: ca_file '/nonexistent/ca.pem': No such file or directory");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_tls_sasl");
    TCase *tc = tcase_create("sasl_ssl");
    SRunner *sr;
    int failed;

    ground_up();
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, scram_sha_512_over_tls_then_metadata);
    tcase_add_test(tc, plain_over_tls_then_metadata);
    tcase_add_test(tc, without_login_the_broker_answers_only_api_versions);
    tcase_add_test(tc, wrong_password_names_sasl_authentication);
    tcase_add_test(tc, mechanism_not_offered_is_named_with_the_offered_ones);
    tcase_add_test(tc, wrong_ca_is_a_tls_verification_error);
    tcase_add_test(tc, certificate_must_name_the_broker);
    tcase_add_test(tc, missing_ca_file_is_named);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (getenv("BERTH_KAFKA_SH") != NULL)
        kafka_sh("down >/dev/null 2>&1");
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
