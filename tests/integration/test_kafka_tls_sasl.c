/* berth's TLS and SASL work against a real Kafka listener configured that
 * way: over TLS (verified against the listener's CA) SCRAM-SHA-512 and PLAIN
 * logins succeed and Metadata then answers through the SASL_SSL listener,
 * and so does a SCRAM-SHA-256 login on a second listener offering only that;
 * without a login the broker answers nothing but ApiVersions; a wrong
 * password fails with an error naming SASL authentication; a mechanism the
 * listener lacks is named with the ones it offers; a CA that did not sign
 * the broker's certificate, or a name the certificate does not carry, fails
 * the TLS handshake with a verification error.
 *
 * berth-sidecar's own connections over that listener, dialled from its
 * flags (sidecar/serve/broker_opts.h, SCRAM-SHA-512 with the password from a
 * file): its readiness check finds the broker registered, unfenced and
 * ready, and so does the basic probe (and the check logs in with
 * SCRAM-SHA-256 from its flags on the second listener); a drain (with its ledger ConfigMap in
 * a namespace of its own on the API server of $BERTH_KUBECONFIG, no Lease)
 * of the only broker returns before its deadline reporting the partitions
 * it leads as impossible to move (no other replica), and restore then
 * succeeds; with a wrong password each of them fails naming SASL
 * authentication. `berth-sidecar run` itself, started with those flags,
 * answers /readyz 200 (or 503 for a reason that is not the connection); a
 * run with a wrong password answers 503 naming SASL authentication. The
 * password never shows in its log.
 *
 * The shared cluster has no such listener and must not be restarted, so
 * this program starts a one-broker cluster of its own (tests/ground/kafka.sh
 * with KAFKA_SASL_SSL=1, its own state directory and ports) and stops it at
 * the end. Without BERTH_KAFKA_SH (set by tests/integration/run.sh) every
 * test fails: no silent skipping. */
#include <check.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/dial.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/sasl.h"
#include "kafka/tls.h"
#include "kafka/topics.h"
#include "kube/verbs.h"
#include "sidecar/cmd.h"
#include "sidecar/engine/kafka/drain.h"
#include "sidecar/engine/kafka/restore.h"
#include "sidecar/serve/broker_opts.h"
#include "sidecar/serve/probe.h"
#include "sidecar/serve/readiness.h"
#include "support/http_client.h"
#include "support/kube_test.h"
#include "support/pki.h"
#include "support/slurp.h"
#include "support/tmpdir.h"
#include "util/clock.h"

#define CALL_MS 15000

/* Ports and state of the cluster started here, away from the shared one's
 * (29092..) and from the usual "+1000*N" grounds. BERTH_TLS_PORT_BASE moves
 * all three, the state directory and run's HTTP ports with them. */
#define PORT_BASE_DEFAULT 29592

/* run's two HTTP ports: below the ephemeral range, away from the suite's
 * others; they move with BERTH_TLS_PORT_BASE. */
#define RUN_PORT_DEFAULT 28190

static char env[256], ground_dir[64];
static int run_port = RUN_PORT_DEFAULT;
static char ground_error[512];
static char bootstrap[128], ca_file[512], user[64], scram_password[128], plain_password[128];
static char scram256_bootstrap[128], scram256_password[128];

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
    run_port = RUN_PORT_DEFAULT + (b - PORT_BASE_DEFAULT);
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
        copy_value(scram256_bootstrap, sizeof scram256_bootstrap, line, "scram256_bootstrap");
        copy_value(scram256_password, sizeof scram256_password, line, "scram_sha_256_password");
    }
    if (f == NULL || pclose(f) != 0 || bootstrap[0] == '\0' || ca_file[0] == '\0' ||
        scram256_bootstrap[0] == '\0')
        snprintf(ground_error, sizeof ground_error, "kafka.sh sasl-info gave no settings");
}

static void need_ground(void)
{
    if (ground_error[0] != '\0')
        ck_abort_msg("%s", ground_error);
}

static kafka_tls *tls_with(const char *ca, const char *server_name)
{
    kafka_tls_opts o = {.ca_file = ca, .server_name = server_name};
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

/* Logs in with mech at addr (through kafka_dial, as berth's programs do)
 * and asks for Metadata; checks that the answer names that listener. */
static void login_then_metadata(const char *addr, kafka_sasl_mechanism mech, const char *password)
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
    ck_assert_msg(kafka_dial(addr, &dial, &c, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(md->n_brokers, 1);
    ck_assert_int_eq(md->brokers[0].node_id, 0);
    /* The broker advertises, to a client of this listener, this listener. */
    snprintf(port, sizeof port, ":%d", (int)md->brokers[0].port);
    ck_assert_msg(strstr(addr, port) != NULL, "metadata port %s, bootstrap %s", port, addr);
    ck_assert_ptr_nonnull(md->cluster_id);
    kafka_metadata_free(md);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    kafka_tls_free(dial.tls);
}

START_TEST(scram_sha_512_over_tls_then_metadata)
{
    login_then_metadata(bootstrap, KAFKA_SASL_SCRAM_SHA_512, scram_password);
}
END_TEST

/* SCRAM-SHA-256 on the listener offering only that, and the SHA-512
 * account's password refused there: the credential is the mechanism's. */
START_TEST(scram_sha_256_over_tls_then_metadata)
{
    kafka_sasl_opts sasl = {KAFKA_SASL_SCRAM_SHA_256, user, scram_password};
    kafka_dial_opts dial = {0};
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err;

    login_then_metadata(scram256_bootstrap, KAFKA_SASL_SCRAM_SHA_256, scram256_password);
    dial.tls = tls_with(ca_file, NULL);
    dial.sasl = &sasl;
    dial.call_timeout_ms = CALL_MS;
    ck_assert_int_eq(kafka_dial(scram256_bootstrap, &dial, &c, &av, &err), -1);
    ck_assert_msg(strstr(err.msg, "SASL authentication as 'berth' with SCRAM-SHA-256 failed") !=
                      NULL,
                  "%s", err.msg);
    ck_assert_ptr_null(c);
    kafka_tls_free(dial.tls);
}
END_TEST

START_TEST(plain_over_tls_then_metadata)
{
    login_then_metadata(bootstrap, KAFKA_SASL_PLAIN, plain_password);
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
    kafka_tls_opts o = {.ca_file = "/nonexistent/ca.pem"};
    kafka_tls *t = NULL;
    util_err err;

    ck_assert_int_eq(kafka_tls_new(&o, &t, &err), -1);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err.msg, "TLS: ca_file '/nonexistent/ca.pem': No such file or directory");
}
END_TEST

/* ---- berth-sidecar over the SASL_SSL listener ---- */

#define SC_CLUSTER  "tls"
#define SC_DRAIN_MS 90000

/* The sidecar's flags as run would get them: the listener's CA, mech, the
 * password in a file of dir. */
static sc_broker_opts sidecar_flags_mech(const char *dir, kafka_sasl_mechanism mech,
                                         const char *password)
{
    static char pw_path[600];
    sc_broker_opts o = {0};

    tmpdir_writef(dir, "sasl-password", "%s\n", password);
    snprintf(pw_path, sizeof pw_path, "%s/sasl-password", dir);
    o.ca_file = ca_file;
    o.sasl = true;
    o.mechanism = mech;
    o.user = user;
    o.password_file = pw_path;
    return o;
}

/* The same with SCRAM-SHA-512, the SASL_SSL listener's. */
static sc_broker_opts sidecar_flags(const char *dir, const char *password)
{
    return sidecar_flags_mech(dir, KAFKA_SASL_SCRAM_SHA_512, password);
}

/* The sidecar's dial settings, made from its flags (the password file is
 * read here, once, and may go after). */
static sc_broker_dial *sidecar_dial_mech(kafka_sasl_mechanism mech, const char *password)
{
    char *dir = tmpdir_new();
    sc_broker_opts o = sidecar_flags_mech(dir, mech, password);
    sc_broker_dial *d = NULL;
    util_err err;

    ck_assert_msg(sc_broker_dial_new(&o, "berth-sidecar", &d, &err) == 0, "%s", err.msg);
    tmpdir_remove(dir);
    return d;
}

static sc_broker_dial *sidecar_dial(const char *password)
{
    return sidecar_dial_mech(KAFKA_SASL_SCRAM_SHA_512, password);
}

START_TEST(sidecar_readiness_over_sasl_ssl)
{
    sc_broker_dial *d, *bad;
    sc_readiness r = {0};
    sc_ready_facts f;
    sc_broker_probe probe = {0};
    char why[UTIL_ERR_MAX];
    util_err err = {{0}};
    int rc;

    need_ground();
    d = sidecar_dial(scram_password);
    rc = sc_readiness_check(&r, bootstrap, 0, sc_broker_dial_opts(d), 1, CALL_MS, &f, &err);
    ck_assert_msg(rc == 1, "rc %d: %s / %s", rc, r.reason, err.msg);
    ck_assert(f.registered && !f.fenced);
    ck_assert(f.voter && f.voter_caught_up);
    ck_assert(r.latched);
    /* The basic probe (run without a drain engine) dials the same way. */
    probe.addr = bootstrap;
    probe.dial = sc_broker_dial_opts(d);
    probe.timeout_ms = CALL_MS;
    ck_assert_int_eq(sc_probe_broker_ready(&probe, why, sizeof why), 1);

    /* A wrong password: not ready, and the reason names SASL. */
    bad = sidecar_dial("not-the-password");
    memset(&r, 0, sizeof r);
    rc = sc_readiness_check(&r, bootstrap, 0, sc_broker_dial_opts(bad), 1, CALL_MS, &f, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(r.reason, "SASL authentication as 'berth' with SCRAM-SHA-512 failed") !=
                      NULL,
                  "%s", r.reason);
    probe.dial = sc_broker_dial_opts(bad);
    ck_assert_int_eq(sc_probe_broker_ready(&probe, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "SASL authentication") != NULL, "%s", why);
    sc_broker_dial_free(bad);
    sc_broker_dial_free(d);
}
END_TEST

/* Creates topic (n partitions, one replica) over the SASL_SSL listener and
 * waits until broker 0 leads every partition. */
static void create_topic_over_sasl(const char *topic, int32_t n)
{
    kafka_sasl_opts sasl = {KAFKA_SASL_SCRAM_SHA_512, user, scram_password};
    kafka_dial_opts dial = {0};
    kafka_new_topic t = {topic, n, 1, NULL, 0, NULL, 0};
    kafka_create_topics_request req = {&t, 1, 30000, 0};
    kafka_create_topics_response *res = NULL;
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err;
    int led = 0;

    dial.tls = tls_with(ca_file, NULL);
    dial.sasl = &sasl;
    dial.call_timeout_ms = CALL_MS;
    ck_assert_msg(kafka_dial(bootstrap, &dial, &c, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_create_topics_call(c, av, &req, 40000, &res, &err) == 0, "%s", err.msg);
    ck_assert_msg(res->topics[0].error_code == 0, "create %s: %s", topic,
                  kafka_error_name(res->topics[0].error_code));
    kafka_create_topics_free(res);
    for (int tries = 0; tries < 100 && led < n; tries++) {
        const char *names[1] = {topic};
        kafka_metadata_request mreq = {names, 1};
        kafka_metadata *md = NULL;

        ck_assert_msg(kafka_metadata_call(c, av, &mreq, CALL_MS, &md, &err) == 0, "%s", err.msg);
        led = 0;
        for (int32_t i = 0; md->n_topics == 1 && i < md->topics[0].n_partitions; i++)
            led += md->topics[0].partitions[i].leader == 0;
        kafka_metadata_free(md);
        if (led < n)
            usleep(200000);
    }
    ck_assert_int_eq(led, n);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    kafka_tls_free(dial.tls);
}

/* A namespace of this test's with the drain ledger ConfigMap
 * "<SC_CLUSTER>-drain" in it, as the operator pre-creates it. */
static void ledger_namespace(char *ns, size_t size)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    char path[KUBE_PATH_MAX];
    cJSON *cm;
    util_err err;

    kt_random_name(ns, size, "tls");
    kt_create_namespace(kc, ns, "kafka-tls-sasl");
    ck_assert(kube_path(path, sizeof path, "v1", "configmaps", ns, NULL, NULL) == 0);
    cm = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                 "\"metadata\":{\"name\":\"%s-drain\"}}",
                 SC_CLUSTER);
    kt_must(kube_create(kc, path, cm, NULL, NULL, &err), &err);
    cJSON_Delete(cm);
    kube_client_free(kc);
    kube_config_free(cfg);
}

typedef struct lines {
    char text[8192];
} lines;

static int keep_progress(void *arg, const char *line)
{
    lines *l = arg;
    size_t used = strlen(l->text);

    fprintf(stderr, "  [drain over SASL_SSL] %s\n", line);
    snprintf(l->text + used, sizeof l->text - used, "%s\n", line);
    return 0;
}

static char drain_ns[64];

static void drop_drain_ns(void)
{
    kt_drop_namespace(drain_ns);
}

/* The sidecar's readiness check logs in with SCRAM-SHA-256 from its flags
 * on the listener that offers only that. */
START_TEST(sidecar_readiness_with_scram_sha_256)
{
    sc_broker_dial *d;
    sc_readiness r = {0};
    sc_ready_facts f;
    util_err err = {{0}};
    int rc;

    need_ground();
    d = sidecar_dial_mech(KAFKA_SASL_SCRAM_SHA_256, scram256_password);
    rc =
        sc_readiness_check(&r, scram256_bootstrap, 0, sc_broker_dial_opts(d), 1, CALL_MS, &f, &err);
    ck_assert_msg(rc == 1, "rc %d: %s / %s", rc, r.reason, err.msg);
    ck_assert(f.registered && !f.fenced);
    sc_broker_dial_free(d);
}
END_TEST

START_TEST(sidecar_drain_over_sasl_ssl)
{
    sc_broker_dial *d, *bad;
    kube_config *cfg;
    kube_client *kc;
    sc_kafka_ctx ctx = {0};
    char topic[64], want[128];
    lines progress = {{0}};
    long long deadline;
    util_err err = {{0}};
    int rc;

    need_ground();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ledger_namespace(drain_ns, sizeof drain_ns);
    kt_random_name(topic, sizeof topic, "tls-drain");
    create_topic_over_sasl(topic, 3);
    d = sidecar_dial(scram_password);
    cfg = kt_admin_config();
    kc = kt_client(cfg);
    ctx.broker_addr = bootstrap;
    ctx.broker_id = 0;
    ctx.dial = sc_broker_dial_opts(d);
    ctx.kube = kc;
    ctx.ns = drain_ns;
    ctx.cluster = SC_CLUSTER; /* no lease_config: no throttle */

    /* The only broker leads them all and no other replica exists: the
     * drain says so and returns before its deadline. */
    deadline = util_mono_ms() + SC_DRAIN_MS;
    rc = sc_kafka_drain(&ctx, deadline, keep_progress, &progress, NULL, &err);
    ck_assert_msg(rc == SC_KAFKA_INCOMPLETE, "drain rc %d: %s", rc, err.msg);
    ck_assert_msg(util_mono_ms() < deadline, "the drain ran to its deadline: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "drain of broker 0: ") == err.msg &&
                      strstr(err.msg, "cannot move") != NULL && strstr(err.msg, topic) != NULL,
                  "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        snprintf(want, sizeof want, "partition %s-%d: this broker is the only in-sync replica",
                 topic, i);
        ck_assert_msg(strstr(progress.text, want) != NULL, "no '%s' in:\n%s", want, progress.text);
    }
    /* Restore over the same listener takes the broker out of the ledger. */
    rc = sc_kafka_restore(&ctx, util_mono_ms() + SC_DRAIN_MS, NULL, NULL, &err);
    ck_assert_msg(rc == 0, "restore rc %d: %s", rc, err.msg);

    /* A wrong password: the drain fails naming SASL authentication. */
    bad = sidecar_dial("not-the-password");
    ctx.dial = sc_broker_dial_opts(bad);
    rc = sc_kafka_drain(&ctx, util_mono_ms() + SC_DRAIN_MS, NULL, NULL, NULL, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "SASL authentication as 'berth' with SCRAM-SHA-512 failed") !=
                      NULL,
                  "%s", err.msg);
    sc_broker_dial_free(bad);
    sc_broker_dial_free(d);
    kube_client_free(kc);
    kube_config_free(cfg);
}
END_TEST

/* ---- berth-sidecar run with the flags ---- */

typedef struct run_proc {
    pid_t pid;
    char *dir;
    char sock[600], log[600];
} run_proc;

static const char *sidecar_bin(void)
{
    static char bin[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    /* <build>/tests/integration/<this> -> <build>/berth-sidecar */
    snprintf(bin, sizeof bin, "%s/berth-sidecar", dirname(dirname(dirname(exe))));
    ck_assert_msg(access(bin, X_OK) == 0, "%s: not built (make all)", bin);
    return bin;
}

/* Starts `berth-sidecar run` for broker 0 with the SASL_SSL flags and
 * password; with ns, the Kafka engine (ledger in ns) runs readiness, else
 * the basic probe. Returns once its listeners are bound. */
static run_proc start_run(int port, const char *password, const char *ns)
{
    const char *bin = sidecar_bin();
    char port_s[16];
    run_proc p;
    sc_broker_opts o;

    p.dir = tmpdir_new();
    o = sidecar_flags(p.dir, password);
    snprintf(p.sock, sizeof p.sock, "%s/drain.sock", p.dir);
    snprintf(p.log, sizeof p.log, "%s/run.log", p.dir);
    snprintf(port_s, sizeof port_s, "%d", port);
    p.pid = fork();
    ck_assert_int_ge(p.pid, 0);
    if (p.pid == 0) {
        int fd = open(p.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        const char *kubeconfig = getenv("BERTH_KUBECONFIG");

        dup2(fd, 1);
        dup2(fd, 2);
        unsetenv("KUBERNETES_SERVICE_HOST");
        if (ns != NULL && kubeconfig != NULL) {
            setenv("POD_NAMESPACE", ns, 1);
            execl(bin, bin, "run", "--pod-name", SC_CLUSTER "-0", "--http-addr", "127.0.0.1",
                  "--http-port", port_s, "--socket", p.sock, "--broker", bootstrap, "--broker-ca",
                  o.ca_file, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", o.user,
                  "--sasl-password-file", o.password_file, "--probe-interval", "200",
                  "--probe-timeout", "10000", "--no-throttle", "--kubeconfig", kubeconfig,
                  (char *)NULL);
        } else {
            execl(bin, bin, "run", "--pod-name", SC_CLUSTER "-0", "--http-addr", "127.0.0.1",
                  "--http-port", port_s, "--socket", p.sock, "--broker", bootstrap, "--broker-ca",
                  o.ca_file, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", o.user,
                  "--sasl-password-file", o.password_file, "--probe-interval", "200",
                  "--probe-timeout", "10000", (char *)NULL);
        }
        _exit(127);
    }
    for (int i = 0; i < 3000 && access(p.sock, F_OK) != 0; i++) {
        int status;

        if (waitpid(p.pid, &status, WNOHANG) == p.pid) {
            char *log = slurp_file(p.log, NULL);
            ck_abort_msg("berth-sidecar run exited: %s", log != NULL ? log : "(no log)");
        }
        usleep(10000);
    }
    ck_assert_msg(access(p.sock, F_OK) == 0, "berth-sidecar run did not bind its socket");
    return p;
}

/* Stops p (SIGTERM: exit 0); returns its log, for free(). */
static char *stop_run(run_proc *p)
{
    int status;
    char *log;

    kill(p->pid, SIGTERM);
    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    log = slurp_file(p->log, NULL);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run ended with %d: %s", status,
                  log != NULL ? log : "");
    tmpdir_remove(p->dir);
    return log;
}

/* Polls GET /readyz until it answers want or about a minute passes; the
 * last status, the answer in out. */
static int readyz(int port, int want, char *out, size_t cap)
{
    int code = -1;

    for (int i = 0; i < 600; i++) {
        code = hc_request(port, NULL, "GET /readyz HTTP/1.0\r\n\r\n", out, cap, 15000);
        if (code == want)
            break;
        usleep(100000);
    }
    return code;
}

static char run_ns[64];

static void drop_run_ns(void)
{
    kt_drop_namespace(run_ns);
}

START_TEST(sidecar_run_with_the_flags)
{
    /* /readyz names only the class of a reason; "broker not reachable" is
     * the class of every connection failure. */
    static const char *const connection_failures[] = {"broker not reachable",
                                                      "does not answer",
                                                      "unreachable",
                                                      "connect",
                                                      "TLS",
                                                      "SASL",
                                                      "handshake",
                                                      "ApiVersions",
                                                      "not checked yet"};
    char out[8192], *log;
    run_proc p;
    int code;

    need_ground();
    ledger_namespace(run_ns, sizeof run_ns);
    p = start_run(run_port, scram_password, run_ns);
    code = readyz(run_port, 200, out, sizeof out);
    fprintf(stderr, "berth-sidecar run over SASL_SSL: /readyz answered %d\n", code);
    ck_assert_msg(code == 200 || code == 503, "/readyz: %d %s", code, out);
    if (code == 503)
        for (size_t i = 0; i < sizeof connection_failures / sizeof connection_failures[0]; i++)
            ck_assert_msg(strstr(out, connection_failures[i]) == NULL,
                          "/readyz not ready for a connection reason: %s", out);
    log = stop_run(&p);
    ck_assert_msg(strstr(log, "SASL SCRAM-SHA-512 as 'berth'") != NULL, "%s", log);
    ck_assert_msg(strstr(log, scram_password) == NULL, "the password is in the log: %s", log);
    free(log);

    /* A wrong password: not ready; /readyz, which any pod may ask, says
     * only the class of the reason, the log says why. */
    p = start_run(run_port + 1, "not-the-password", NULL);
    code = readyz(run_port + 1, 503, out, sizeof out);
    ck_assert_int_eq(code, 503);
    for (int i = 0; i < 300 && strstr(out, "broker not reachable") == NULL; i++) {
        usleep(100000);
        hc_request(run_port + 1, NULL, "GET /readyz HTTP/1.0\r\n\r\n", out, sizeof out, 15000);
    }
    ck_assert_msg(strstr(out, "not ready: broker not reachable") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "'berth'") == NULL, "/readyz names the user: %s", out);
    log = stop_run(&p);
    ck_assert_msg(strstr(log, "SASL authentication as 'berth' with SCRAM-SHA-512 failed") != NULL,
                  "%s", log);
    ck_assert_msg(strstr(log, "not-the-password") == NULL, "the password is in the log: %s", log);
    free(log);
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
    tcase_add_test(tc, scram_sha_256_over_tls_then_metadata);
    tcase_add_test(tc, plain_over_tls_then_metadata);
    tcase_add_test(tc, without_login_the_broker_answers_only_api_versions);
    tcase_add_test(tc, wrong_password_names_sasl_authentication);
    tcase_add_test(tc, mechanism_not_offered_is_named_with_the_offered_ones);
    tcase_add_test(tc, wrong_ca_is_a_tls_verification_error);
    tcase_add_test(tc, certificate_must_name_the_broker);
    tcase_add_test(tc, missing_ca_file_is_named);
    suite_add_tcase(s, tc);
    tc = tcase_create("sidecar");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, sidecar_readiness_over_sasl_ssl);
    tcase_add_test(tc, sidecar_readiness_with_scram_sha_256);
    tcase_add_checked_fixture(tc, NULL, drop_drain_ns);
    tcase_add_test(tc, sidecar_drain_over_sasl_ssl);
    suite_add_tcase(s, tc);
    tc = tcase_create("sidecar_run");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, NULL, drop_run_ns);
    tcase_add_test(tc, sidecar_run_with_the_flags);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (getenv("BERTH_KAFKA_SH") != NULL)
        kafka_sh("down >/dev/null 2>&1");
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
