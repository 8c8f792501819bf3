/* A drain that cannot be done, the way a kubelet's preStop meets it: the
 * real `berth-sidecar run` (Kafka engine, drain ledger on the ground's API
 * server) and the real static `berth-drain` over its socket. In each case
 * berth-drain exits 1 before its --timeout with a message naming what is
 * wrong, and the sidecar keeps running and answering (/healthz 200,
 * `berth-sidecar status` exits 0):
 *  - the broker is stopped (nothing listens at its address);
 *  - the broker is silent (its port accepts connections, nothing answers);
 *  - the API server cannot be reached (the kubeconfig points at a closed
 *    port): the drain moves nothing, and every partition of the real
 *    cluster still has a leader;
 *  - a partition's only in-sync replica is this broker (a real one-replica
 *    topic on broker 0 of the ground): the drain moves every other
 *    leadership and names that partition; no partition is left without a
 *    leader. Broker 0 is then restored (sc_kafka_restore), so the shared
 *    cluster ends as it began. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/topics.h"
#include "kube/verbs.h"
#include "sidecar/cmd.h"
#include "sidecar/engine/kafka/drain.h"
#include "sidecar/engine/kafka/restore.h"
#include "support/kube_test.h"
#include "support/sidecar_proc.h"
#include "support/tmpdir.h"
#include "util/clock.h"

#define CALL_MS   15000
#define CLUSTER   "dfl" /* pods "dfl-<id>", ledger ConfigMap "dfl-drain" */
#define TIMEOUT_S 20    /* berth-drain --timeout */

static char ns[64];

static void setup(void)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    kt_random_name(ns, sizeof ns, "dfl");
    kt_create_namespace(kc, ns, "drain-failures");
    kt_create_configmap(kc, ns, CLUSTER "-drain");
    kube_client_free(kc);
    kube_config_free(cfg);
}

static void teardown(void)
{
    kt_drop_namespace(ns);
    curl_global_cleanup();
}

static const char *kubeconfig(void)
{
    const char *k = getenv("BERTH_KUBECONFIG");

    ck_assert_msg(k != NULL && k[0] != '\0', "BERTH_KUBECONFIG is not set");
    return k;
}

/* run for broker 0 at broker, reaching the API server with kcfg. */
static sp_proc start_engine(const char *broker, const char *kcfg)
{
    static char env_ns[128];
    char *env[] = {env_ns, NULL};

    snprintf(env_ns, sizeof env_ns, "POD_NAMESPACE=%s", ns);
    return sp_start((char *[]){"--pod-name", CLUSTER "-0", "--broker", (char *)broker,
                               "--kubeconfig", (char *)kcfg, "--probe-interval", "500",
                               "--probe-timeout", "1500", NULL},
                    env);
}

/* What one berth-drain run gave. */
typedef struct outcome {
    int rc;
    long long ms;
    char out[8192];
} outcome;

/* berth-drain against p's socket, to its end. */
static outcome drain(const sp_proc *p)
{
    char log[600], timeout[16];
    char *argv[] = {
        (char *)sp_drain_bin(), "--socket", (char *)p->sock, "--timeout", timeout, NULL};
    outcome o = {0};
    FILE *f;
    size_t n;

    snprintf(timeout, sizeof timeout, "%d", TIMEOUT_S);
    snprintf(log, sizeof log, "%s/drain.out", p->dir);
    unlink(log);
    o.rc = sp_run(argv, log, &o.ms);
    f = fopen(log, "r");
    if (f != NULL) {
        n = fread(o.out, 1, sizeof o.out - 1, f);
        o.out[n] = '\0';
        fclose(f);
    }
    fprintf(stderr, "  berth-drain exited %d after %lld ms:\n%s", o.rc, o.ms, o.out);
    return o;
}

/* The drain failed on time, saying want; the sidecar still serves. */
static void failed_cleanly(sp_proc *p, const outcome *o, const char *want)
{
    char answer[8192];

    ck_assert_msg(o->rc == 1, "berth-drain exited %d: %s", o->rc, o->out);
    ck_assert_msg(o->ms < TIMEOUT_S * 1000LL, "berth-drain took %lld ms, --timeout %d s", o->ms,
                  TIMEOUT_S);
    ck_assert_msg(strstr(o->out, want) != NULL, "berth-drain's output does not say '%s': %s", want,
                  o->out);
    ck_assert_msg(sp_alive(p), "the sidecar is gone after the failed drain");
    ck_assert_int_eq(sp_get(p->port, "/healthz", answer, sizeof answer), 200);
    ck_assert_msg(sp_status(p, answer, sizeof answer) == 0, "status: %s", answer);
    ck_assert_msg(strstr(answer, "ready:") != NULL, "status: %s", answer);
}

/* ---- the real cluster ---- */

static const char *bootstrap(char *buf, size_t size)
{
    const char *b = getenv("BERTH_KAFKA_BOOTSTRAP");

    ck_assert_msg(b != NULL && b[0] != '\0', "BERTH_KAFKA_BOOTSTRAP is not set");
    snprintf(buf, size, "%.*s", (int)strcspn(b, ","), b);
    return buf;
}

static kafka_metadata *metadata(void)
{
    char addr[128];
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md = NULL;
    util_err err;

    ck_assert_msg(kafka_conn_new(bootstrap(addr, sizeof addr), NULL, &c, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) == 0, "%s", err.msg);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return md;
}

/* Broker 0's own address, from the cluster. */
static void broker0(char *buf, size_t size)
{
    kafka_metadata *md = metadata();
    const kafka_metadata_broker *b = kafka_metadata_broker_find(md, 0);

    ck_assert_ptr_nonnull(b);
    snprintf(buf, size, "%s:%d", b->host, (int)b->port);
    kafka_metadata_free(md);
}

/* Partitions without a leader, and those broker 0 leads, in the cluster. */
static void count(int32_t *leaderless, int32_t *led0)
{
    kafka_metadata *md = metadata();

    *leaderless = *led0 = 0;
    for (int32_t t = 0; t < md->n_topics; t++)
        for (int32_t i = 0; i < md->topics[t].n_partitions; i++) {
            *leaderless += md->topics[t].partitions[i].leader < 0;
            *led0 += md->topics[t].partitions[i].leader == 0;
        }
    kafka_metadata_free(md);
}

START_TEST(broker_stopped)
{
    sp_proc p = start_engine("127.0.0.1:1", kubeconfig());
    outcome o = drain(&p);

    failed_cleanly(&p, &o, "127.0.0.1:1 unreachable");
    sp_stop(&p);
}
END_TEST

START_TEST(broker_silent)
{
    char addr[64];
    int lfd = sp_silent_listener(addr, sizeof addr);
    sp_proc p;
    outcome o;

    p = start_engine(addr, kubeconfig());
    o = drain(&p);
    failed_cleanly(&p, &o, addr);
    sp_stop(&p);
    close(lfd);
}
END_TEST

START_TEST(api_server_unreachable)
{
    char *dir = tmpdir_new(), addr[128], *kcfg;
    int32_t leaderless, led_before, led_after;
    sp_proc p;
    outcome o;

    broker0(addr, sizeof addr);
    /* The ground's credentials, at a port where no API server listens. */
    tmpdir_writef(dir, "kubeconfig",
                  "apiVersion: v1\nkind: Config\n"
                  "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1', "
                  "insecure-skip-tls-verify: true}}]\n"
                  "users: [{name: u, user: {token: not-used}}]\n"
                  "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
                  "current-context: gone\n");
    kcfg = tmpdir_path(dir, "kubeconfig");
    count(&leaderless, &led_before);
    p = start_engine(addr, kcfg);
    o = drain(&p);
    failed_cleanly(&p, &o, "configmaps/" CLUSTER "-drain: Failed to connect to 127.0.0.1 port 1");
    count(&leaderless, &led_after);
    ck_assert_int_eq(leaderless, 0);
    ck_assert_msg(led_after == led_before, "broker 0 led %d partitions, now %d", led_before,
                  led_after);
    sp_stop(&p);
    free(kcfg);
    tmpdir_remove(dir);
}
END_TEST

/* Restores broker 0 from the test process, as its next sidecar would. */
static void restore0(const char *addr)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    sc_kafka_ctx ctx = {0};
    util_err err;
    int rc;

    ctx.broker_addr = addr;
    ctx.broker_id = 0;
    ctx.kube = kc;
    ctx.ns = ns;
    ctx.cluster = CLUSTER;
    rc = sc_kafka_restore(&ctx, util_mono_ms() + 120000, NULL, NULL, &err);
    kube_client_free(kc);
    kube_config_free(cfg);
    ck_assert_msg(rc == 0, "restoring broker 0: %s", err.msg);
}

START_TEST(partition_only_in_sync_here)
{
    static const int32_t only0[1] = {0};
    kafka_topic_assignment a = {0, only0, 1};
    kafka_new_topic t = {NULL, -1, -1, &a, 1, NULL, 0};
    kafka_create_topics_request req = {&t, 1, 30000, 0};
    kafka_create_topics_response *res = NULL;
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    char topic[64], addr[128], want[128];
    int32_t leaderless, led;
    util_err err;
    sp_proc p;
    outcome o;

    broker0(addr, sizeof addr);
    kt_random_name(topic, sizeof topic, "dfl-lone");
    t.name = topic;
    ck_assert_msg(kafka_conn_new(addr, NULL, &c, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_create_topics_call(c, av, &req, 40000, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res->topics[0].error_code, 0);
    kafka_create_topics_free(res);
    for (int i = 0; i < 100; i++) { /* until the broker leads it */
        kafka_metadata *md = metadata();
        const kafka_metadata_partition *pt = kafka_metadata_partition_find(md, topic, 0);
        int ok = pt != NULL && pt->leader == 0;
        kafka_metadata_free(md);
        if (ok)
            break;
        sc_sleep_ms(200);
    }

    p = start_engine(addr, kubeconfig());
    o = drain(&p);
    count(&leaderless, &led);
    restore0(addr);
    {
        const char *name = topic;
        kafka_delete_topics_request del = {&name, 1, 30000};
        kafka_delete_topics_response *dres = NULL;
        if (kafka_delete_topics_call(c, av, &del, 40000, &dres, &err) != 0)
            fprintf(stderr, "deleting %s: %s\n", topic, err.msg);
        kafka_delete_topics_free(dres);
    }
    kafka_api_versions_free(av);
    kafka_conn_free(c);

    snprintf(want, sizeof want, "%s-0", topic);
    failed_cleanly(&p, &o, want);
    ck_assert_msg(strstr(o.out, "cannot move") != NULL, "%s", o.out);
    ck_assert_int_eq(leaderless, 0);
    ck_assert_msg(led == 1,
                  "after the drain broker 0 leads %d partitions (only its own lone "
                  "one should be left)",
                  led);
    sp_stop(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("drain_failures");
    TCase *tc = tcase_create("failures");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, broker_stopped);
    tcase_add_test(tc, broker_silent);
    tcase_add_test(tc, api_server_unreachable);
    tcase_add_test(tc, partition_only_in_sync_here);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
