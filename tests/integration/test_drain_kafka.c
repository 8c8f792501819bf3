/* Drain and restore (sidecar/engine/kafka/drain.h) on the real 3-broker Kafka cluster,
 * with the drain ledger in a ConfigMap on the real API server:
 *  - draining broker 1 leaves it leading no partition while every partition
 *    of a 300-partition topic (RF 3, min.insync.replicas 2) keeps a leader
 *    and its replica set; restore gives broker 1 back exactly the
 *    leaderships it had and every partition its original order;
 *  - two drains of different brokers started at the same moment, then both
 *    restores at the same moment, leave every replica order and leader as
 *    they were (no drift);
 *  - with the throttle Lease, two drains started together take turns;
 *  - a partition whose only in-sync replica is the drained broker is
 *    reported, and the drain returns with a message naming it;
 *  - a reassignment begun after the drain planned (throttled so that it
 *    stays under way) is neither overwritten nor cancelled by the drain;
 *  - a restore stopped after its ledger write, after its orders, or after
 *    its first hand-back step is finished by the next restore;
 *  - a drain against an address where no broker listens, or where nothing
 *    ever answers, returns by its deadline with a message naming it;
 *  - readiness on the real brokers: gated on restore until latched, then
 *    only on registration; an unknown broker id is not registered;
 *  - a rolling-restart step: drain broker 1, SIGTERM it (it leaves every
 *    ISR), start it again as the ground started it; readiness stays false
 *    until it is back in every ISR and restore has run; restore gives it
 *    back exactly its leaderships;
 *  - run's hooks (sidecar/engine/kafka/engine.h): drain, a drained sidecar stays unready,
 *    the next sidecar restores inside readiness, then is ready.
 *
 * Draining moves leadership on the whole cluster, and one test restarts a
 * broker: this runs on a ground of its own while developed and alone in
 * `make test`; the restart never leaves the broker stopped, and every test
 * and the fixture restore all three brokers, so the cluster ends as it
 * began. The topic and
 * namespace have random names starting with "drn-" and are deleted. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "drain/ledger_store.h"
#include "kafka/api_versions.h"
#include "kafka/configs.h"
#include "kafka/conn.h"
#include "kafka/elect_leaders.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/reassign.h"
#include "kafka/topics.h"
#include "kube/verbs.h"
#include "sidecar/cmd.h"
#include "sidecar/engine/kafka/drain.h"
#include "sidecar/engine/kafka/engine.h"
#include "sidecar/engine/kafka/restore.h"
#include "sidecar/serve/readiness.h"
#include "support/kafka_test.h"
#include "support/kube_test.h"
#include "support/sidecar_proc.h"
#include "util/clock.h"

#define CALL_MS      15000
#define SETTLE_MS    120000
#define DRAIN_MS     180000 /* each drain's or restore's deadline */
#define N_PARTITIONS 300
#define CLUSTER      "drn"
#define MAX_BROKERS  3

static char ns[64];
static char topic[96];
static char addrs[MAX_BROKERS][128]; /* by broker id */
static kafka_metadata *before;       /* the cluster as the fixture found it */

static long now_ms(void)
{
    return util_mono_ms();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *bootstrap(void)
{
    static char first[128];
    const char *p = getenv("BERTH_KAFKA_BOOTSTRAP");
    size_t len;

    if (p == NULL || *p == '\0')
        ck_abort_msg("BERTH_KAFKA_BOOTSTRAP is not set: export the brokers' host:port list "
                     "(tests/ground/kafka.sh bootstrap prints it)");
    len = strcspn(p, ",");
    ck_assert(len < sizeof first);
    memcpy(first, p, len);
    first[len] = '\0';
    return first;
}

static kafka_metadata *metadata_from(const char *addr)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(addr, &av);
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md;
    util_err err;

    ck_assert_msg(kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) == 0, "%s", err.msg);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return md;
}

static kafka_metadata *metadata(void)
{
    return metadata_from(bootstrap());
}

/* Partitions broker leads in md (every topic). */
static int32_t led_by(const kafka_metadata *md, int32_t broker)
{
    kafka_metadata_refs *refs;
    int32_t n;
    util_err err;

    ck_assert_msg(kafka_metadata_led_by(md, broker, &refs, &err) == 0, "%s", err.msg);
    n = refs->n;
    kafka_metadata_refs_free(refs);
    return n;
}

/* Is every partition of t led by its first replica, with a full ISR, in
 * the metadata of every broker? (A broker learns of a new topic a moment
 * after the controller.) */
static int topic_settled(const char *t, int32_t n, int32_t rf)
{
    int b, ok = 1;

    for (b = 0; b < MAX_BROKERS && ok; b++) {
        kafka_metadata *md = metadata_from(addrs[b]);
        const kafka_metadata_topic *tp = kafka_metadata_topic_find(md, t);
        int32_t i;

        ok = tp != NULL && tp->error_code == 0 && tp->n_partitions == n;
        for (i = 0; ok && i < tp->n_partitions; i++)
            ok = tp->partitions[i].leader >= 0 &&
                 tp->partitions[i].leader == tp->partitions[i].replicas[0] &&
                 tp->partitions[i].n_isr == rf;
        kafka_metadata_free(md);
    }
    return ok;
}

/* Preferred elections for every partition of t, then waits until each is
 * led by its first replica with a full ISR, as every broker sees it. */
static void settle_topic(const char *t, int32_t n, int32_t rf)
{
    long deadline = now_ms() + SETTLE_MS;
    int32_t i;

    for (;;) {
        if (topic_settled(t, n, rf))
            return;
        ck_assert_msg(now_ms() < deadline, "topic %s not settled after %d ms", t, SETTLE_MS);
        {
            kafka_api_versions *av;
            kafka_conn *c = kft_open(bootstrap(), &av);
            kafka_topic_partitions all = {t, NULL, 0};
            kafka_elect_leaders_request req = {KAFKA_ELECTION_PREFERRED, &all, 1, 10000};
            kafka_elect_leaders_response *res = NULL;
            int32_t *ids = calloc((size_t)n, sizeof *ids);
            util_err err;
            for (i = 0; i < n; i++)
                ids[i] = i;
            all.partitions = ids;
            all.n_partitions = n;
            if (kafka_elect_leaders_batched(c, av, &req, 200, CALL_MS, &res, &err) != 0) {
                /* Only a nudge: the loop looks again and asks again. */
            }
            kafka_elect_leaders_free(res);
            free(ids);
            kafka_api_versions_free(av);
            kafka_conn_free(c);
        }
        sleep_ms(500);
    }
}

static void create_topic(const char *name, int32_t partitions, int16_t rf,
                         const kafka_topic_assignment *assign, int32_t n_assign)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(bootstrap(), &av);
    kafka_topic_config cfg = {"min.insync.replicas", "2"};
    kafka_new_topic t = {name, partitions, rf, assign, n_assign, &cfg, rf >= 2 ? 1 : 0};
    kafka_create_topics_request req = {&t, 1, 30000, 0};
    kafka_create_topics_response *res;
    util_err err;

    ck_assert_msg(kafka_create_topics_call(c, av, &req, 40000, &res, &err) == 0, "%s", err.msg);
    ck_assert_msg(res->topics[0].error_code == 0, "create %s: %s: %s", name,
                  kafka_error_name(res->topics[0].error_code),
                  res->topics[0].error_message ? res->topics[0].error_message : "");
    kafka_create_topics_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

static void delete_topic(const char *name)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(bootstrap(), &av);
    kafka_delete_topics_request req = {&name, 1, 30000};
    kafka_delete_topics_response *res = NULL;
    util_err err;

    if (kafka_delete_topics_call(c, av, &req, 40000, &res, &err) != 0)
        fprintf(stderr, "delete %s: %s\n", name, err.msg);
    kafka_delete_topics_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

static int print_progress(void *arg, const char *line)
{
    fprintf(stderr, "  [%s] %s\n", (const char *)arg, line);
    return 0;
}

typedef struct job {
    int restore;
    int32_t broker;
    int rc;
    char label[32];
    util_err err;
    pthread_barrier_t *start;
    int lease;       /* throttle with the drain Lease */
    long held_at;    /* when it said it holds the Lease */
    long drained_at; /* when it said it leads nothing */
    /* Called once, when the drain has planned and not yet written. */
    void (*on_plan)(void);
    /* The job stops (its client leaves) at the first line with this. */
    const char *stop_at;
    int32_t handback_batch; /* restore: partitions per hand-back step */
} job;

static int record_progress(void *arg, const char *line)
{
    job *j = arg;

    fprintf(stderr, "  [%s] %s\n", j->label, line);
    if (strstr(line, "holding the drain lease") != NULL)
        j->held_at = now_ms();
    if (strstr(line, "leads no partition") != NULL)
        j->drained_at = now_ms();
    if (j->on_plan != NULL && strstr(line, "orders to write") != NULL) {
        j->on_plan();
        j->on_plan = NULL;
    }
    if (j->stop_at != NULL && strstr(line, j->stop_at) != NULL) {
        fprintf(stderr, "  [%s] stopped here\n", j->label);
        return 1;
    }
    return 0;
}

/* Drains or restores one broker with its own API client. */
static void *run_job(void *arg)
{
    job *j = arg;
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    sc_kafka_ctx ctx = {0};

    ctx.broker_addr = addrs[j->broker];
    ctx.broker_id = j->broker;
    ctx.kube = kc;
    ctx.ns = ns;
    ctx.cluster = CLUSTER;
    ctx.handback_batch = j->handback_batch;
    snprintf(j->label, sizeof j->label, "%s %d", j->restore ? "restore" : "drain", (int)j->broker);
    if (j->lease) {
        ctx.lease_config = cfg;
        ctx.lease_identity = j->label;
    }
    if (j->start != NULL)
        pthread_barrier_wait(j->start);
    if (j->restore)
        j->rc = sc_kafka_restore(&ctx, now_ms() + DRAIN_MS, record_progress, j, &j->err);
    else
        j->rc = sc_kafka_drain(&ctx, now_ms() + DRAIN_MS, record_progress, j, NULL, &j->err);
    kube_client_free(kc);
    kube_config_free(cfg);
    return NULL;
}

static void run_one(int restore, int32_t broker)
{
    job j = {restore, broker, -1, "", {{0}}, NULL, 0, 0, 0, NULL, NULL, 0};

    run_job(&j);
    ck_assert_msg(j.rc == 0, "%s: rc %d: %s", j.label, j.rc, j.err.msg);
}

/* Both jobs at the same moment, on two threads; j (two) gets what they
 * did. */
static void run_two(int restore, int32_t a, int32_t b, int lease, job *j)
{
    pthread_barrier_t start;
    pthread_t t[2];
    int i;

    memset(j, 0, 2 * sizeof *j);
    j[0].restore = j[1].restore = restore;
    j[0].broker = a;
    j[1].broker = b;
    j[0].start = j[1].start = &start;
    j[0].lease = j[1].lease = lease;

    pthread_barrier_init(&start, NULL, 2);
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, run_job, &j[i]), 0);
    for (i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (i = 0; i < 2; i++)
        ck_assert_msg(j[i].rc == 0, "%s: rc %d: %s", j[i].label, j[i].rc, j[i].err.msg);
}

/* Every partition in `before` still has its replica order; and, for the
 * test topic (whose leaders were settled on their first replicas), its
 * leader. Waits a little: leadership follows the controller's elections. */
static void check_as_before(const char *what)
{
    long deadline = now_ms() + SETTLE_MS;

    for (;;) {
        kafka_metadata *md = metadata();
        char bad[256] = "";
        int32_t t, i;

        for (t = 0; t < before->n_topics && bad[0] == '\0'; t++) {
            const kafka_metadata_topic *bt = &before->topics[t];
            if (bt->name == NULL)
                continue;
            for (i = 0; i < bt->n_partitions && bad[0] == '\0'; i++) {
                const kafka_metadata_partition *bp = &bt->partitions[i];
                const kafka_metadata_partition *np =
                    kafka_metadata_partition_find(md, bt->name, bp->index);
                if (np == NULL) {
                    snprintf(bad, sizeof bad, "%s-%d vanished", bt->name, (int)bp->index);
                } else if (np->n_replicas != bp->n_replicas ||
                           memcmp(np->replicas, bp->replicas,
                                  (size_t)bp->n_replicas * sizeof bp->replicas[0]) != 0) {
                    snprintf(bad, sizeof bad, "%s-%d: replica order %d,%d,... not %d,%d,...",
                             bt->name, (int)bp->index, (int)np->replicas[0],
                             (int)(np->n_replicas > 1 ? np->replicas[1] : -1), (int)bp->replicas[0],
                             (int)(bp->n_replicas > 1 ? bp->replicas[1] : -1));
                } else if (strcmp(bt->name, topic) == 0 && np->leader != bp->leader) {
                    snprintf(bad, sizeof bad, "%s-%d: led by %d, not %d", bt->name, (int)bp->index,
                             (int)np->leader, (int)bp->leader);
                }
            }
        }
        kafka_metadata_free(md);
        if (bad[0] == '\0')
            return;
        ck_assert_msg(now_ms() < deadline, "%s: %s", what, bad);
        sleep_ms(500);
    }
}

/* After a drain of the brokers in drained[0..n): none of them leads a
 * partition, every partition of the test topic has a leader and its replica
 * set. Read from the bootstrap broker, whose metadata may trail the
 * controller's by a moment: polled until it holds or SETTLE_MS passed. */
static void check_drained(const int32_t *drained, int n)
{
    long start = now_ms();

    for (;;) {
        kafka_metadata *md = metadata();
        const kafka_metadata_topic *tp = kafka_metadata_topic_find(md, topic);
        char bad[256] = "";
        int32_t i, k;

        for (k = 0; k < n && bad[0] == '\0'; k++)
            if (led_by(md, drained[k]) != 0)
                snprintf(bad, sizeof bad, "broker %d still leads %d partitions", (int)drained[k],
                         (int)led_by(md, drained[k]));
        ck_assert_ptr_nonnull(tp);
        ck_assert_int_eq(tp->n_partitions, N_PARTITIONS);
        for (i = 0; i < tp->n_partitions; i++) {
            const kafka_metadata_partition *p = &tp->partitions[i];
            const kafka_metadata_partition *b =
                kafka_metadata_partition_find(before, topic, p->index);
            if (p->leader < 0 && bad[0] == '\0')
                snprintf(bad, sizeof bad, "%s-%d has no leader", topic, (int)p->index);
            /* The replica set never changes, whatever the metadata's age. */
            ck_assert_int_eq(p->n_replicas, b->n_replicas);
            for (k = 0; k < p->n_replicas; k++)
                ck_assert_msg(kafka_int32_contains(b->replicas, b->n_replicas, p->replicas[k]),
                              "%s-%d: replica set changed", topic, (int)p->index);
        }
        kafka_metadata_free(md);
        if (bad[0] == '\0') {
            fprintf(stderr, "  drained state seen by the bootstrap broker after %ld ms\n",
                    now_ms() - start);
            return;
        }
        ck_assert_msg(now_ms() - start < SETTLE_MS, "%s", bad);
        sleep_ms(200);
    }
}

/* No ledger entry demotes any broker any more. */
static void check_ledger_clear(void)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    drain_ledger *l;
    util_err err;
    int32_t i;

    ck_assert_msg(drain_ledger_load(kc, ns, CLUSTER "-drain", &l, &err) == 0, "%s", err.msg);
    for (i = 0; i < l->n; i++)
        ck_assert_msg(l->entries[i].n_demoted == 0, "ledger: %s-%d still demotes %d",
                      l->entries[i].topic, (int)l->entries[i].partition,
                      (int)l->entries[i].demoted[0]);
    drain_ledger_free(l);
    kube_client_free(kc);
    kube_config_free(cfg);
}

static void setup(void)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    kafka_metadata *md;
    int32_t i;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    kt_random_name(ns, sizeof ns, "drn");
    kt_create_namespace(kc, ns, "drain-kafka");
    /* The ledger ConfigMap, as the operator pre-creates it. */
    kt_create_configmap(kc, ns, CLUSTER "-drain");
    kube_client_free(kc);
    kube_config_free(cfg);

    md = metadata();
    ck_assert_int_eq(md->n_brokers, MAX_BROKERS);
    for (i = 0; i < md->n_brokers; i++) {
        const kafka_metadata_broker *b = &md->brokers[i];
        ck_assert(b->node_id >= 0 && b->node_id < MAX_BROKERS);
        snprintf(addrs[b->node_id], sizeof addrs[0], "%s:%d", b->host, (int)b->port);
    }
    kafka_metadata_free(md);
    kt_random_name(topic, sizeof topic, "drn-drain");
    create_topic(topic, N_PARTITIONS, 3, NULL, 0);
    settle_topic(topic, N_PARTITIONS, 3);
    before = metadata();
    ck_assert_int_gt(led_by(before, 1), 0);
}

static void teardown(void)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    util_err err;
    int32_t b;

    /* Whatever a test left, every broker is restored. */
    for (b = 0; b < MAX_BROKERS; b++) {
        job j = {1, b, -1, "", {{0}}, NULL, 0, 0, 0, NULL, NULL, 0};
        run_job(&j);
        if (j.rc != 0)
            fprintf(stderr, "teardown: %s: %s\n", j.label, j.err.msg);
    }
    delete_topic(topic);
    if (kt_delete_namespace(kc, ns, &err) != 0)
        fprintf(stderr, "teardown: %s\n", err.msg);
    kube_client_free(kc);
    kube_config_free(cfg);
    kafka_metadata_free(before);
    curl_global_cleanup();
}

START_TEST(drain_moves_every_leadership_and_restore_gives_it_back)
{
    const int32_t one[1] = {1};

    run_one(0, 1);
    check_drained(one, 1);
    /* Draining again changes nothing and succeeds. */
    run_one(0, 1);
    check_drained(one, 1);
    run_one(1, 1);
    check_as_before("after drain and restore of broker 1");
    {
        kafka_metadata *md = metadata();
        const kafka_metadata_topic *tp = kafka_metadata_topic_find(md, topic);
        const kafka_metadata_topic *bt = kafka_metadata_topic_find(before, topic);
        int32_t i, n_now = 0, n_before = 0;
        for (i = 0; i < tp->n_partitions; i++) {
            n_now += tp->partitions[i].leader == 1;
            n_before += bt->partitions[i].leader == 1;
        }
        ck_assert_int_eq(n_now, n_before);
        kafka_metadata_free(md);
    }
    check_ledger_clear();
}
END_TEST

START_TEST(concurrent_drains_then_restores_leave_no_drift)
{
    const int32_t two[2] = {1, 2};
    job j[2];

    run_two(0, 1, 2, 0, j);
    check_drained(two, 2);
    run_two(1, 1, 2, 0, j);
    check_as_before("after concurrent drains and restores of brokers 1 and 2");
    check_ledger_clear();
}
END_TEST

/* With the throttle, two drains started together take turns: the second
 * holds the Lease only after the first has drained (and released it). */
START_TEST(drain_lease_spaces_out_concurrent_drains)
{
    const int32_t two[2] = {1, 2};
    job j[2];
    int first;

    run_two(0, 1, 2, 1, j);
    check_drained(two, 2);
    ck_assert_msg(j[0].held_at > 0 && j[1].held_at > 0, "a drain did not hold the Lease");
    first = j[0].held_at < j[1].held_at ? 0 : 1;
    ck_assert_msg(j[first].drained_at > 0 && j[1 - first].held_at >= j[first].drained_at,
                  "%s held the Lease before %s had drained", j[1 - first].label, j[first].label);
    run_two(1, 1, 2, 0, j);
    check_as_before("after throttled drains and restores of brokers 1 and 2");
    check_ledger_clear();
}
END_TEST

START_TEST(partition_only_in_sync_on_drained_broker_is_reported)
{
    char lone[128];
    const int32_t only1[1] = {1};
    kafka_topic_assignment a = {0, only1, 1};
    job j = {0, 1, -1, "", {{0}}, NULL, 0, 0, 0, NULL, NULL, 0};

    snprintf(lone, sizeof lone, "%s-lone", topic);
    create_topic(lone, -1, -1, &a, 1);
    settle_topic(lone, 1, 1);
    run_job(&j);
    delete_topic(lone);
    ck_assert_msg(j.rc == SC_KAFKA_INCOMPLETE, "drain rc %d: %s", j.rc, j.err.msg);
    ck_assert_msg(strstr(j.err.msg, "cannot move") != NULL && strstr(j.err.msg, lone) != NULL,
                  "message does not name the partition: %s", j.err.msg);
    run_one(1, 1);
}
END_TEST

/* A restore stopped at each of its steps (after its ledger write, after
 * its orders, after the first hand-back step) is finished by the next
 * restore: every order and leader as before the drain, the ledger clear. */
START_TEST(interrupted_restores_are_finished_by_the_next)
{
    static const char *const steps[3] = {"orders to write back", "orders written back",
                                         "handed back"};
    const int32_t one[1] = {1};
    int k;

    for (k = 0; k < 3; k++) {
        job j = {1, 1, -1, "", {{0}}, NULL, 0, 0, 0, NULL, steps[k], 10};

        fprintf(stderr, "  -- restore stopped at \"%s\"\n", steps[k]);
        run_one(0, 1);
        check_drained(one, 1);
        run_job(&j);
        ck_assert_msg(j.rc != 0, "the restore was not stopped at \"%s\"", steps[k]);
        ck_assert_msg(strstr(j.err.msg, "client went away") != NULL, "%s", j.err.msg);
        run_one(1, 1);
        check_as_before(steps[k]);
        check_ledger_clear();
    }
}
END_TEST

/* ---- a reassignment that begins during a drain ---- */

static char moving[128]; /* its topic: one partition, replicas [1,2], led by 2 */

/* Sets partition 0 of t to replicas (NULL: cancels its reassignment). */
static void reassign(const char *t, const int32_t *replicas, int32_t n)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(bootstrap(), &av);
    kafka_reassign_partition part = {0, replicas, n};
    kafka_reassign_topic rt = {t, &part, 1};
    kafka_alter_partition_reassignments_request req = {0};
    kafka_alter_partition_reassignments_response *res = NULL;
    util_err err;

    req.timeout_ms = CALL_MS;
    req.topics = &rt;
    req.n_topics = 1;
    ck_assert_msg(kafka_alter_partition_reassignments_call(c, av, &req, CALL_MS, &res, &err) == 0,
                  "%s", err.msg);
    ck_assert_msg(res->topics[0].partitions[0].error_code == 0, "reassigning %s-0: %s", t,
                  kafka_error_name(res->topics[0].partitions[0].error_code));
    kafka_alter_partition_reassignments_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

/* The ongoing reassignment's replicas being added to t-0 (0 when none),
 * the first in *first. */
static int32_t adding_to(const char *t, int32_t *first)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(bootstrap(), &av);
    kafka_list_partition_reassignments_request req = {CALL_MS, NULL, 0};
    kafka_list_partition_reassignments_response *res = NULL;
    const kafka_ongoing_partition *o;
    util_err err;
    int32_t n;

    ck_assert_msg(kafka_list_partition_reassignments_call(c, av, &req, CALL_MS, &res, &err) == 0,
                  "%s", err.msg);
    o = kafka_list_partition_reassignments_find(res, t, 0);
    n = o != NULL ? o->n_adding : 0;
    *first = n > 0 ? o->adding[0] : -1;
    kafka_list_partition_reassignments_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return n;
}

/* Sets (value) or deletes (NULL) a config on one resource. */
static void set_config(int8_t type, const char *name, const char *key, const char *value)
{
    kafka_api_versions *av;
    kafka_conn *c = kft_open(bootstrap(), &av);
    kafka_config_op op = {key, value != NULL ? KAFKA_CONFIG_SET : KAFKA_CONFIG_DELETE, value};
    kafka_alter_config_resource r = {type, name, &op, 1};
    kafka_incremental_alter_configs_request req = {&r, 1, 0};
    kafka_incremental_alter_configs_response *res = NULL;
    util_err err;

    ck_assert_msg(kafka_incremental_alter_configs_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(res->n_results == 1 && res->results[0].error_code == 0, "'%s' %s=%s: %s %s", name,
                  key, value ? value : "(delete)",
                  kafka_error_name(res->n_results ? res->results[0].error_code : -1),
                  res->n_results && res->results[0].error_message ? res->results[0].error_message
                                                                  : "");
    kafka_incremental_alter_configs_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

/* Replication of every replica of topic t throttled to 1 byte/s on every
 * broker (on: the cluster-wide default rate), or that rate removed (off;
 * the topic goes). */
static void throttle(const char *t, int on)
{
    static const char *const rates[2] = {"leader.replication.throttled.rate",
                                         "follower.replication.throttled.rate"};
    int k;

    if (on) {
        set_config(KAFKA_RESOURCE_TOPIC, t, "leader.replication.throttled.replicas", "*");
        set_config(KAFKA_RESOURCE_TOPIC, t, "follower.replication.throttled.replicas", "*");
    }
    for (k = 0; k < 2; k++)
        set_config(KAFKA_RESOURCE_BROKER, "", rates[k], on ? "1" : NULL);
}

/* The test's reassignment: add broker 0 to moving-0. Replication to it
 * runs at 1 byte/s, so it stays under way. */
static void begin_moving(void)
{
    static const int32_t three[3] = {1, 2, 0};

    reassign(moving, three, 3);
    fprintf(stderr, "  reassignment of %s-0 to [1,2,0] begun during the drain's plan\n", moving);
}

/* Writes about 3 MB to moving-0 with Kafka's own producer: more than one
 * fetch (1 MiB) can carry, so a throttled new replica cannot catch up at
 * once. */
static void fill_moving(void)
{
    const char *sh = getenv("BERTH_KAFKA_SH");
    const char *all = getenv("BERTH_KAFKA_BOOTSTRAP");
    char cmd[1024];

    ck_assert_msg(sh != NULL, "BERTH_KAFKA_SH is not set: run through tests/integration/run.sh");
    snprintf(cmd, sizeof cmd,
             "bash '%s' tool org.apache.kafka.tools.ProducerPerformance --topic '%s' "
             "--num-records 3000 --record-size 1000 --throughput -1 "
             "--producer-props bootstrap.servers='%s' acks=all >/dev/null",
             sh, moving, all);
    ck_assert_msg(system(cmd) == 0, "producing to %s failed: %s", moving, cmd);
}

/* A reassignment someone starts after the drain has planned (here: in its
 * first progress line) is neither overwritten by the drain's later writes
 * nor cancelled: it is still under way, adding the same broker, when the
 * drain ends, and the drain says it left the partition alone. Partition
 * moving-0 has replicas [1,2] and leader 2, so broker 1's drain has an
 * order to write there ([2,1]) but no election: one of the orders written
 * after the leaderships moved. */
START_TEST(a_reassignment_begun_during_the_drain_is_left_alone)
{
    static const int32_t one_two[2] = {1, 2}, two_one[2] = {2, 1};
    kafka_topic_assignment a = {0, one_two, 2};
    job j = {0, 1, -1, "", {{0}}, NULL, 0, 0, 0, begin_moving, NULL, 0};
    long deadline;
    int32_t first = -1, n;

    snprintf(moving, sizeof moving, "%s-moving", topic);
    create_topic(moving, -1, -1, &a, 1);
    settle_topic(moving, 1, 2);
    /* Leader 2, order [1,2]: elect 2 through a reorder, then reorder back. */
    reassign(moving, two_one, 2);
    settle_topic(moving, 1, 2);
    reassign(moving, one_two, 2);
    for (deadline = now_ms() + SETTLE_MS;; sleep_ms(300)) {
        kafka_metadata *md = metadata_from(addrs[1]);
        const kafka_metadata_partition *p = kafka_metadata_partition_find(md, moving, 0);
        int ok = p != NULL && p->n_replicas == 2 && p->replicas[0] == 1 && p->leader == 2;
        kafka_metadata_free(md);
        if (ok)
            break;
        ck_assert_msg(now_ms() < deadline, "%s-0 never showed order [1,2] led by 2", moving);
    }
    fill_moving();
    throttle(moving, 1);

    run_job(&j);
    n = adding_to(moving, &first);
    reassign(moving, NULL, 0); /* cancel before any check can fail */
    throttle(moving, 0);
    delete_topic(moving);
    ck_assert_msg(j.rc == 0, "drain rc %d: %s", j.rc, j.err.msg);
    ck_assert_msg(j.on_plan == NULL, "the drain never said it had planned");
    ck_assert_msg(n == 1 && first == 0,
                  "the reassignment begun during the drain is gone (adding %d replicas)", (int)n);
    run_one(1, 1);
}
END_TEST

/* ---- stopping and starting one broker of the ground ---- */

/* Where the ground keeps broker id's PID (tests/ground/kafka.sh). */
static void pid_file(char *buf, size_t size, int32_t id)
{
    const char *g = getenv("BERTH_GROUND");

    snprintf(buf, size, "%s/kafka/b%d/pid", g != NULL && *g ? g : "/tmp/berth-ground", (int)id);
}

/* What happened while a broker was down. */
typedef struct downtime {
    int stopped;    /* it exited after SIGTERM */
    int out_of_isr; /* the controller took it out of every ISR of the topic */
    int relaunched; /* a new process runs */
    char why[640];
} downtime;

/* SIGTERM to broker id, wait until it has exited, see it leave the ISRs,
 * then start it again on the ground's own configuration (kafka.sh
 * start-broker, which records the new PID for kafka.sh down and waits until
 * it is registered). Never aborts between stop and start, so the ground
 * gets its broker back. */
static void restart_broker(int32_t id, downtime *d)
{
    char pf[512], cmd[1024];
    const char *sh = getenv("BERTH_KAFKA_SH");
    long pid = 0, end;
    FILE *f;

    memset(d, 0, sizeof *d);
    pid_file(pf, sizeof pf, id);
    f = fopen(pf, "r");
    if (sh == NULL || f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
        snprintf(d->why, sizeof d->why, "no BERTH_KAFKA_SH or no PID in %s", pf);
        if (f != NULL)
            fclose(f);
        return;
    }
    fclose(f);

    kill((pid_t)pid, SIGTERM);
    for (end = now_ms() + 120000; sp_pid_alive((pid_t)pid) && now_ms() < end;)
        sleep_ms(200);
    if (sp_pid_alive((pid_t)pid)) {
        kill((pid_t)pid, SIGKILL);
        for (end = now_ms() + 10000; sp_pid_alive((pid_t)pid) && now_ms() < end;)
            sleep_ms(100);
    } else {
        d->stopped = 1;
    }
    /* Down: the controller takes it out of every ISR. */
    for (end = now_ms() + 30000; now_ms() < end && !d->out_of_isr;) {
        kafka_metadata *md = NULL;
        kafka_api_versions *av = NULL;
        kafka_conn *c = NULL;
        kafka_metadata_request req = {NULL, 0};
        util_err err;
        if (kafka_conn_new(addrs[0], NULL, &c, &err) == 0 &&
            kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0 &&
            kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) == 0) {
            const kafka_metadata_topic *tp = kafka_metadata_topic_find(md, topic);
            int32_t i, in = 0;
            for (i = 0; tp != NULL && i < tp->n_partitions; i++)
                in += kafka_int32_contains(tp->partitions[i].isr, tp->partitions[i].n_isr, id);
            d->out_of_isr = tp != NULL && in == 0;
        }
        kafka_metadata_free(md);
        kafka_api_versions_free(av);
        kafka_conn_free(c);
        if (!d->out_of_isr)
            sleep_ms(300);
    }
    snprintf(cmd, sizeof cmd, "bash '%s' start-broker %d >&2", sh, (int)id);
    d->relaunched = system(cmd) == 0;
    if (!d->relaunched)
        snprintf(d->why, sizeof d->why, "kafka.sh start-broker %d failed", (int)id);
}

/* The rolling-restart step on one broker: drain, SIGTERM, start again;
 * readiness stays false while it is out of any ISR or restore has not run,
 * and restore gives it back exactly its leaderships. */
START_TEST(drain_restart_ready_restore)
{
    const int32_t one[1] = {1};
    sc_readiness r = {0};
    sc_ready_facts f;
    downtime d;
    util_err err;
    long end;
    int rc, seen_unready = 0, seen_caught_up = 0;

    run_one(0, 1);
    check_drained(one, 1);
    restart_broker(1, &d);
    ck_assert_msg(d.relaunched, "%s", d.why);
    ck_assert_msg(d.stopped, "broker 1 did not exit on SIGTERM");
    ck_assert_msg(d.out_of_isr, "broker 1 stayed in an ISR while down");

    /* Until restore has run, the restarted broker is never ready; wait for
     * it to be registered and back in every ISR. */
    for (end = now_ms() + SETTLE_MS; now_ms() < end && !seen_caught_up;) {
        rc = sc_readiness_check(&r, addrs[1], 1, NULL, 0, CALL_MS, &f, &err);
        ck_assert_msg(rc != 1, "ready before restore ran");
        seen_unready++;
        seen_caught_up = rc == 0 && f.registered && !f.fenced && f.parts.out_of_isr == 0 &&
                         f.parts.replicated >= N_PARTITIONS;
        if (!seen_caught_up)
            sleep_ms(500);
    }
    ck_assert_msg(seen_caught_up, "broker 1 not back in every ISR after %d ms: %s", SETTLE_MS,
                  r.reason);
    ck_assert_str_eq(r.reason, "leadership restore still running");
    fprintf(stderr, "  restarted broker 1: %d readiness checks before it was back in every ISR\n",
            seen_unready);

    run_one(1, 1);
    rc = sc_readiness_check(&r, addrs[1], 1, NULL, 1, CALL_MS, &f, &err);
    ck_assert_msg(rc == 1, "not ready after restore: %s", r.reason);
    check_as_before("after drain, restart and restore of broker 1");
    check_ledger_clear();
}
END_TEST

/* ---- the engine run uses ---- */

static int call_progress(sc_drain_call *call, const char *line)
{
    (void)call;
    fprintf(stderr, "  [engine drain] %s\n", line);
    return 0;
}

static int call_cancelled(sc_drain_call *call)
{
    (void)call;
    return 0;
}

/* run's hooks on the real cluster: the drain hook drains and the drained
 * sidecar stays unready; a new sidecar for the same broker (the restarted
 * pod) restores inside readiness and then reports ready, with everything
 * as before; the status hook shows what happened. */
START_TEST(engine_hooks_drain_then_restore_in_readiness)
{
    const int32_t one[1] = {1};
    kube_config *cfg = kt_admin_config();
    sc_kafka_engine_config ec = {0};
    sc_kafka_engine *e = NULL;
    sc_drain_call call = {0};
    char why[512];
    util_err err;
    cJSON *st;
    long end;
    int ready = 0;

    ec.broker_addr = addrs[1];
    ec.broker_id = 1;
    ec.kube = cfg;
    ec.ns = ns;
    ec.cluster = CLUSTER;
    ec.throttle = true;
    ec.identity = "drn-engine-1";
    ck_assert_msg(sc_kafka_engine_new(&ec, &e, &err) == 0, "%s", err.msg);
    call.broker_id = 1;
    call.deadline_ms = now_ms() + DRAIN_MS;
    call.progress = call_progress;
    call.cancelled = call_cancelled;
    ck_assert_msg(sc_kafka_engine_drain(&call, e, &err) == 0, "%s", err.msg);
    check_drained(one, 1);
    ck_assert_int_eq(sc_kafka_engine_ready(e, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "has been drained") != NULL, "%s", why);
    sc_kafka_engine_free(e);

    /* The next pod's sidecar. */
    ck_assert_msg(sc_kafka_engine_new(&ec, &e, &err) == 0, "%s", err.msg);
    for (end = now_ms() + SETTLE_MS; !ready && now_ms() < end;) {
        ready = sc_kafka_engine_ready(e, why, sizeof why);
        if (!ready)
            sleep_ms(300);
    }
    ck_assert_msg(ready, "not ready: %s", why);
    st = cJSON_CreateObject();
    ck_assert(sc_kafka_engine_status(st, e, &err) == 0);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "kafka"), "restored")));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "kafka"), "readyLatched")));
    cJSON_Delete(st);
    sc_kafka_engine_free(e);
    kube_config_free(cfg);
    check_as_before("after the engine's drain and its successor's restore");
    check_ledger_clear();
}
END_TEST

/* Readiness against the real brokers: a healthy broker in every ISR with a
 * caught-up voter is ready once restore is done, and stays ready after the
 * latch; an unknown broker id is not registered; restore still running
 * keeps a fresh process unready. */
START_TEST(readiness_of_real_brokers)
{
    sc_readiness r = {0};
    sc_ready_facts f;
    util_err err;
    int rc;

    rc = sc_readiness_check(&r, addrs[1], 1, NULL, 0, CALL_MS, &f, &err);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, r.reason);
    ck_assert_str_eq(r.reason, "leadership restore still running");
    ck_assert(f.registered && !f.fenced && f.voter && f.voter_caught_up);
    ck_assert_int_ge(f.parts.replicated, N_PARTITIONS);
    ck_assert_int_eq(f.parts.out_of_isr, 0);
    rc = sc_readiness_check(&r, addrs[1], 1, NULL, 1, CALL_MS, &f, &err);
    ck_assert_msg(rc == 1, "rc %d: %s", rc, r.reason);
    ck_assert(r.latched);
    rc = sc_readiness_check(&r, addrs[1], 1, NULL, 0, CALL_MS, &f, &err);
    ck_assert_msg(rc == 1, "latched, yet rc %d: %s", rc, r.reason);

    memset(&r, 0, sizeof r);
    rc = sc_readiness_check(&r, addrs[1], 7, NULL, 1, CALL_MS, &f, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(r.reason, "broker not registered with the controller");
}
END_TEST

/* A TCP listener that accepts and never answers. */
static void *silent(void *arg)
{
    int fd = *(int *)arg, c = accept(fd, NULL, NULL);

    if (c >= 0) {
        char buf[256];
        while (read(c, buf, sizeof buf) > 0)
            ;
        close(c);
    }
    return NULL;
}

START_TEST(drain_of_unreachable_broker_returns_by_its_deadline)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    sc_kafka_ctx ctx = {0};
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof sa;
    char addr[64];
    pthread_t t;
    long start, deadline;
    util_err err;
    int fd, rc;

    ctx.broker_id = 1;
    ctx.kube = kc;
    ctx.ns = ns;
    ctx.cluster = CLUSTER;

    /* Nobody listens: a closed port on loopback. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd); /* the port is now free and closed */
    snprintf(addr, sizeof addr, "127.0.0.1:%d", (int)ntohs(sa.sin_port));
    ctx.broker_addr = addr;
    start = now_ms();
    deadline = start + 5000;
    rc = sc_kafka_drain(&ctx, deadline, print_progress, "drain closed port", NULL, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "unreachable") != NULL && strstr(err.msg, addr) != NULL, "%s",
                  err.msg);
    ck_assert_msg(now_ms() <= deadline, "returned after its deadline: %s", err.msg);

    /* Something listens and never answers. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_port = 0;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    len = sizeof sa;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", (int)ntohs(sa.sin_port));
    ck_assert_int_eq(pthread_create(&t, NULL, silent, &fd), 0);
    start = now_ms();
    deadline = start + 3000;
    rc = sc_kafka_drain(&ctx, deadline, print_progress, "drain silent broker", NULL, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "unreachable") != NULL && strstr(err.msg, addr) != NULL, "%s",
                  err.msg);
    /* It waited for an answer until the deadline, not past it (plus the
     * scheduler's slack). */
    ck_assert_msg(now_ms() >= deadline - 100 && now_ms() <= deadline + 1000,
                  "returned %ld ms after its start, deadline %ld: %s", now_ms() - start,
                  deadline - start, err.msg);
    shutdown(fd, SHUT_RDWR);
    close(fd);
    pthread_join(t, NULL);

    /* A reachable broker, but no ledger ConfigMap: refused before any
     * write, saying what is missing. */
    ctx.broker_addr = addrs[1];
    ctx.cluster = "drn-missing";
    rc = sc_kafka_drain(&ctx, now_ms() + 30000, print_progress, "drain without ledger", NULL, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "drn-missing-drain not found") != NULL, "%s", err.msg);
    kube_client_free(kc);
    kube_config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("drain_kafka");
    TCase *tc = tcase_create("drain");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 900);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, drain_moves_every_leadership_and_restore_gives_it_back);
    tcase_add_test(tc, concurrent_drains_then_restores_leave_no_drift);
    tcase_add_test(tc, drain_lease_spaces_out_concurrent_drains);
    tcase_add_test(tc, partition_only_in_sync_on_drained_broker_is_reported);
    tcase_add_test(tc, a_reassignment_begun_during_the_drain_is_left_alone);
    tcase_add_test(tc, interrupted_restores_are_finished_by_the_next);
    tcase_add_test(tc, drain_of_unreachable_broker_returns_by_its_deadline);
    tcase_add_test(tc, readiness_of_real_brokers);
    tcase_add_test(tc, drain_restart_ready_restore);
    tcase_add_test(tc, engine_hooks_drain_then_restore_in_readiness);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
