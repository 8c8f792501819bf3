/* The mover (lib/balance/move.h) on the ground's real 3-broker Kafka,
 * scoped to topics of its own so that the shared cluster's other topics
 * stay where they are:
 * - a decommission of broker 2 (12 partitions, 2 replicas each), taken
 *   step by step as the operator takes it: a held step starts nothing; at
 *   most max_moves are in flight; it ends with no replica on broker 2,
 *   every partition on 2 distinct brokers, 12 replicas and 6 preferred
 *   leaders (and actual leaders) on each of brokers 0 and 1, and the
 *   throttles it set cleared;
 * - a rebalance back onto broker 2: 8 replicas and 4 leaders per broker;
 * - a decommission called off: with 4 MB in each of two partitions on
 *   broker 2 and a throttle of 50 KB/s, the moves stay in flight, the
 *   throttle lists name them, the cancel puts every partition back on the
 *   replicas it had (in the order of the move's merged list, which is
 *   Kafka's), and the throttles go;
 * - a decommission that cannot be made (replication factor 3 on 2
 *   remaining brokers) is refused, naming the partition, and moves nothing.
 * Without BERTH_KAFKA_BOOTSTRAP every test fails: no silent skipping. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balance/move.h"
#include "balance/throttle.h"
#include "kafka/api_versions.h"
#include "kafka/configs.h"
#include "kafka/conn.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/reassign.h"
#include "kafka/topics.h"
#include "support/kafka_test.h"
#include "util/clock.h"

#define CALL_MS   15000
#define BROKER_MS 10000
#define MOVE_MS   180000 /* a whole decommission or rebalance of tiny topics */
#define N_PARTS   12

static char run_id[32];
static char topic[96], slow[96], wide[96];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Creates name with partitions x rf replicas placed by Kafka, or, when a
 * is not NULL, with the n_a assignments a. */
static void create_topic(kafka_conn *c, const kafka_api_versions *av, const char *name,
                         int32_t partitions, int16_t rf, const kafka_topic_assignment *a,
                         int32_t n_a)
{
    kafka_new_topic t = {name, a != NULL ? -1 : partitions, a != NULL ? -1 : rf, a, n_a, NULL, 0};
    kafka_create_topics_request req = {&t, 1, BROKER_MS, 0};
    kafka_create_topics_response *res;
    util_err err;

    ck_assert_msg(kafka_create_topics_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s", err.msg);
    ck_assert_msg(res->topics[0].error_code == 0, "create %s: %s", name,
                  kafka_error_name(res->topics[0].error_code));
    kafka_create_topics_free(res);
}

static void delete_topics(void)
{
    const char *names[3] = {topic, slow, wide};
    kafka_delete_topics_request req = {names, 3, BROKER_MS};
    kafka_delete_topics_response *res = NULL;
    kafka_api_versions *av = NULL;
    kafka_conn *c = NULL;
    util_err err;

    if (kft_broker_count() == 0 || kafka_conn_new(kft_broker(0), NULL, &c, &err) != 0)
        return;
    if (kafka_api_versions_fetch(c, CALL_MS, &av, &err) == 0 &&
        kafka_delete_topics_call(c, av, &req, CALL_MS, &res, &err) == 0)
        kafka_delete_topics_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

/* Waits until every partition of name has rf replicas, all in sync, and
 * a leader. */
static void wait_settled(kafka_conn *c, const kafka_api_versions *av, const char *name, int32_t rf)
{
    int64_t deadline = util_mono_ms() + 60000;

    for (;;) {
        kafka_metadata *md = kft_metadata(c, av, name);
        const kafka_metadata_topic *t = kafka_metadata_topic_find(md, name);
        int ok = t != NULL && t->error_code == 0 && t->n_partitions > 0;

        for (int32_t i = 0; ok && i < t->n_partitions; i++)
            ok = t->partitions[i].n_replicas == rf && t->partitions[i].n_isr == rf &&
                 t->partitions[i].leader >= 0;
        kafka_metadata_free(md);
        if (ok)
            return;
        ck_assert_msg(util_mono_ms() < deadline, "topic %s not settled", name);
        sleep_ms(200);
    }
}

/* Per broker 0..2 of name: replicas held, preferred leaders, leaders. */
typedef struct counts {
    int replicas[3], preferred[3], leaders[3];
} counts;

static counts count_of(kafka_conn *c, const kafka_api_versions *av, const char *name, int32_t rf)
{
    kafka_metadata *md = kft_metadata(c, av, name);
    const kafka_metadata_topic *t = kafka_metadata_topic_find(md, name);
    counts k;

    memset(&k, 0, sizeof k);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->n_partitions, N_PARTS);
    for (int32_t i = 0; i < t->n_partitions; i++) {
        const kafka_metadata_partition *p = &t->partitions[i];

        ck_assert_int_eq(p->n_replicas, rf);
        for (int32_t r = 0; r < p->n_replicas; r++) {
            ck_assert_msg(p->replicas[r] >= 0 && p->replicas[r] < 3, "%s-%d on broker %d", name,
                          p->index, p->replicas[r]);
            for (int32_t q = 0; q < r; q++)
                ck_assert_msg(p->replicas[q] != p->replicas[r], "%s-%d twice on broker %d", name,
                              p->index, p->replicas[r]);
            k.replicas[p->replicas[r]]++;
        }
        k.preferred[p->replicas[0]]++;
        if (p->leader >= 0 && p->leader < 3)
            k.leaders[p->leader]++;
    }
    kafka_metadata_free(md);
    return k;
}

/* count_of once every leader is the preferred one (the step that finished
 * elected them; a broker's metadata shows that a moment later), or after
 * 15 s as it is. */
static counts settled_count_of(kafka_conn *c, const kafka_api_versions *av, const char *name,
                               int32_t rf)
{
    int64_t deadline = util_mono_ms() + 15000;

    for (;;) {
        counts k = count_of(c, av, name, rf);

        if (memcmp(k.leaders, k.preferred, sizeof k.leaders) == 0 || util_mono_ms() >= deadline)
            return k;
        sleep_ms(250);
    }
}

/* Values of the throttle keys set dynamically on topic name and as the
 * brokers' default, into out ("" when unset). */
typedef struct throttles {
    char leader_rate[32], follower_rate[32], leader_list[512], follower_list[512];
} throttles;

static void copy_if_dynamic(const kafka_config_result *r, const char *key, int8_t source, char *out,
                            size_t size)
{
    const kafka_config_entry *e = kafka_config_result_find(r, key);

    out[0] = '\0';
    if (e != NULL && e->config_source == source && e->value != NULL)
        snprintf(out, size, "%s", e->value);
}

static throttles throttles_of(kafka_conn *c, const kafka_api_versions *av, const char *name)
{
    static const char *const rates[] = {BALANCE_LEADER_RATE, BALANCE_FOLLOWER_RATE};
    static const char *const lists[] = {BALANCE_LEADER_REPLICAS, BALANCE_FOLLOWER_REPLICAS};
    kafka_config_resource want[2] = {{KAFKA_RESOURCE_BROKER, "", rates, 2},
                                     {KAFKA_RESOURCE_TOPIC, name, lists, 2}};
    kafka_describe_configs_request req = {want, 2, 0, 0};
    kafka_describe_configs_response *res;
    const kafka_config_result *b, *t;
    throttles th;
    util_err err;

    ck_assert_msg(kafka_describe_configs_call(c, av, &req, CALL_MS, &res, &err) == 0, "%s",
                  err.msg);
    b = kafka_describe_configs_result(res, KAFKA_RESOURCE_BROKER, "");
    t = kafka_describe_configs_result(res, KAFKA_RESOURCE_TOPIC, name);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(b->error_code == 0 && t->error_code == 0, "describing throttles: %s / %s",
                  kafka_error_name(b->error_code), kafka_error_name(t->error_code));
    copy_if_dynamic(b, BALANCE_LEADER_RATE, KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER,
                    th.leader_rate, sizeof th.leader_rate);
    copy_if_dynamic(b, BALANCE_FOLLOWER_RATE, KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER,
                    th.follower_rate, sizeof th.follower_rate);
    copy_if_dynamic(t, BALANCE_LEADER_REPLICAS, KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC, th.leader_list,
                    sizeof th.leader_list);
    copy_if_dynamic(t, BALANCE_FOLLOWER_REPLICAS, KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC,
                    th.follower_list, sizeof th.follower_list);
    kafka_describe_configs_free(res);
    return th;
}

/* A broker answers DescribeConfigs from its copy of the metadata, a
 * moment behind the controller: what was just set or deleted shows
 * within seconds. */
#define CONFIG_SHOWS_MS 15000

static void assert_no_throttles(kafka_conn *c, const kafka_api_versions *av, const char *name)
{
    int64_t deadline = util_mono_ms() + CONFIG_SHOWS_MS;

    for (;;) {
        throttles th = throttles_of(c, av, name);

        if (th.leader_rate[0] == 0 && th.follower_rate[0] == 0 && th.leader_list[0] == 0 &&
            th.follower_list[0] == 0)
            return;
        ck_assert_msg(util_mono_ms() < deadline, "throttles left: rates %s/%s, lists [%s] [%s]",
                      th.leader_rate, th.follower_rate, th.leader_list, th.follower_list);
        sleep_ms(250);
    }
}

/* The throttles of name once its lists show. */
static throttles wait_throttled(kafka_conn *c, const kafka_api_versions *av, const char *name)
{
    int64_t deadline = util_mono_ms() + CONFIG_SHOWS_MS;

    for (;;) {
        throttles th = throttles_of(c, av, name);

        if (th.leader_list[0] != 0 && th.follower_list[0] != 0)
            return th;
        ck_assert_msg(util_mono_ms() < deadline, "no throttle lists while moving: [%s] [%s]",
                      th.leader_list, th.follower_list);
        sleep_ms(250);
    }
}

/* Steps until done; every step within o's bounds. Returns the steps taken. */
static int run_to_done(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                       const char *what)
{
    int64_t deadline = util_mono_ms() + MOVE_MS;
    balance_progress p;
    int steps = 0, started = 0;
    util_err err;

    for (;; steps++) {
        ck_assert_msg(balance_step(c, av, o, &p, &err) == 0, "%s: %s", what, err.msg);
        ck_assert_msg(p.state != BALANCE_REFUSED, "%s refused: %s", what, p.message);
        ck_assert_int_eq(p.refused, 0);
        ck_assert_int_le(p.moving, o->max_moves);
        ck_assert_int_le(p.started, o->max_moves - p.moving);
        started += p.started;
        if (p.state == BALANCE_DONE)
            break;
        ck_assert_msg(util_mono_ms() < deadline, "%s: %d partitions left after %d ms", what, p.left,
                      MOVE_MS);
        sleep_ms(500);
    }
    fprintf(stderr, "  %s: %d moves started in %d steps, %d leaders elected at the end\n", what,
            started, steps + 1, p.elected);
    ck_assert_int_gt(started, 0);
    return steps;
}

START_TEST(decommission_then_rebalance)
{
    static const int32_t two[1] = {2};
    const char *scope[1] = {topic};
    balance_move_opts o = {.leaving = two,
                           .n_leaving = 1,
                           .topics = scope,
                           .n_topics = 1,
                           .max_moves = 4,
                           .throttle_bytes = 10 * 1024 * 1024,
                           .hold = 1,
                           .timeout_ms = BROKER_MS};
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    balance_progress p;
    counts k;
    util_err err;

    create_topic(c, av, topic, N_PARTS, 2, NULL, 0);
    wait_settled(c, av, topic, 2);
    k = count_of(c, av, topic, 2);
    ck_assert_int_gt(k.replicas[2], 0);

    /* Held (a broker draining): planned, nothing started. */
    ck_assert_msg(balance_step(c, av, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.state, BALANCE_MOVING);
    ck_assert_int_eq(p.started, 0);
    ck_assert_int_eq(p.moving, 0);
    ck_assert_int_eq(p.on_leaving, k.replicas[2]);
    ck_assert_int_ge(p.left, k.replicas[2]);
    ck_assert_int_eq(p.partitions, N_PARTS);

    o.hold = 0;
    run_to_done(c, av, &o, "decommission of broker 2");
    k = settled_count_of(c, av, topic, 2);
    ck_assert_int_eq(k.replicas[2], 0);
    ck_assert_int_eq(k.replicas[0], N_PARTS);
    ck_assert_int_eq(k.replicas[1], N_PARTS);
    fprintf(stderr, "  after: preferred leaders %d/%d, leaders %d/%d\n", k.preferred[0],
            k.preferred[1], k.leaders[0], k.leaders[1]);
    for (int b = 0; b < 2; b++) {
        ck_assert_int_le(abs(k.preferred[b] - N_PARTS / 2), 1);
        ck_assert_int_le(abs(k.leaders[b] - N_PARTS / 2), 1);
    }
    ck_assert_int_eq(k.leaders[0] + k.leaders[1], N_PARTS);
    assert_no_throttles(c, av, topic);

    /* A step on the finished state: done at once, nothing started. */
    ck_assert_msg(balance_step(c, av, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.state, BALANCE_DONE);
    ck_assert_int_eq(p.started, 0);
    ck_assert_int_eq(p.on_leaving, 0);

    o.leaving = NULL;
    o.n_leaving = 0;
    /* Balancing over brokers 0 and 1 while broker 2 is still registered
     * (a removed broker shutting down): nothing is planned onto it. */
    o.expect_brokers = 2;
    ck_assert_msg(balance_step(c, av, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.state, BALANCE_MOVING);
    ck_assert_int_eq(p.started, 0);
    ck_assert_msg(strstr(p.message, "broker 2 is still registered") != NULL, "%s", p.message);
    o.expect_brokers = 3;
    run_to_done(c, av, &o, "rebalance onto broker 2");
    wait_settled(c, av, topic, 2);
    k = settled_count_of(c, av, topic, 2);
    fprintf(stderr, "  after: replicas %d/%d/%d, preferred leaders %d/%d/%d, leaders %d/%d/%d\n",
            k.replicas[0], k.replicas[1], k.replicas[2], k.preferred[0], k.preferred[1],
            k.preferred[2], k.leaders[0], k.leaders[1], k.leaders[2]);
    for (int b = 0; b < 3; b++) {
        ck_assert_int_eq(k.replicas[b], 2 * N_PARTS / 3);
        ck_assert_int_le(abs(k.preferred[b] - N_PARTS / 3), 1);
        ck_assert_int_le(abs(k.leaders[b] - N_PARTS / 3), 1);
    }
    assert_no_throttles(c, av, topic);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}
END_TEST

/* Writes about 8 MB to slow (4 MB per partition) with Kafka's own
 * producer: more than a first fetch (1 MiB per partition) carries, so a
 * throttled new replica cannot catch up at once. */
static void fill_slow(void)
{
    const char *sh = getenv("BERTH_KAFKA_SH");
    char cmd[1024];

    ck_assert_msg(sh != NULL, "BERTH_KAFKA_SH is not set: run through tests/integration/run.sh");
    snprintf(cmd, sizeof cmd,
             "bash '%s' tool org.apache.kafka.tools.ProducerPerformance --topic '%s' "
             "--num-records 8000 --record-size 1000 --throughput -1 "
             "--producer-props bootstrap.servers='%s' acks=all >/dev/null",
             sh, slow, getenv("BERTH_KAFKA_BOOTSTRAP"));
    ck_assert_msg(system(cmd) == 0, "producing to %s failed: %s", slow, cmd);
}

START_TEST(a_decommission_called_off)
{
    static const int32_t two[1] = {2};
    const char *scope[1] = {slow};
    static const int32_t led_by_2[2][2] = {{2, 0}, {2, 1}};
    const kafka_topic_assignment a[2] = {{0, led_by_2[0], 2}, {1, led_by_2[1], 2}};
    balance_move_opts o = {.leaving = two,
                           .n_leaving = 1,
                           .topics = scope,
                           .n_topics = 1,
                           .max_moves = 2,
                           .throttle_bytes = 50 * 1000,
                           .timeout_ms = BROKER_MS};
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    int32_t before[2][2], cancelled = 0;
    balance_progress p;
    kafka_metadata *md;
    const kafka_metadata_topic *t;
    throttles th;
    util_err err;

    /* Both partitions on broker 2: each must really move (no mere
     * reorder, which Kafka finishes at once). */
    create_topic(c, av, slow, -1, -1, a, 2);
    wait_settled(c, av, slow, 2);
    fill_slow();
    md = kft_metadata(c, av, slow);
    t = kafka_metadata_topic_find(md, slow);
    for (int32_t i = 0; i < t->n_partitions; i++)
        memcpy(before[t->partitions[i].index], t->partitions[i].replicas, sizeof before[0]);
    kafka_metadata_free(md);

    ck_assert_msg(balance_step(c, av, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.state, BALANCE_MOVING);
    ck_assert_int_eq(p.started, 2);
    /* In flight, throttled: the rate on every broker, the lists naming the
     * moving partitions' senders and receivers. */
    th = wait_throttled(c, av, slow);
    ck_assert_str_eq(th.leader_rate, "50000");
    ck_assert_str_eq(th.follower_rate, "50000");
    fprintf(stderr, "  throttled while moving: leader [%s], follower [%s]\n", th.leader_list,
            th.follower_list);
    ck_assert_msg(balance_step(c, av, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.state, BALANCE_MOVING);
    ck_assert_int_eq(p.moving, 2);
    ck_assert_int_eq(p.started, 0);

    ck_assert_msg(balance_cancel(c, av, &o, &cancelled, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cancelled, 2);
    wait_settled(c, av, slow, 2);
    md = kft_metadata(c, av, slow);
    t = kafka_metadata_topic_find(md, slow);
    for (int32_t i = 0; i < t->n_partitions; i++) {
        const kafka_metadata_partition *mp = &t->partitions[i];

        /* The same replicas; Kafka keeps the order of the move's merged
         * list, not the one before it. */
        ck_assert_msg(kafka_int32_contains(mp->replicas, 2, before[mp->index][0]) &&
                          kafka_int32_contains(mp->replicas, 2, before[mp->index][1]),
                      "%s-%d on [%d,%d] after the cancel, was [%d,%d]", slow, mp->index,
                      mp->replicas[0], mp->replicas[1], before[mp->index][0], before[mp->index][1]);
    }
    kafka_metadata_free(md);
    assert_no_throttles(c, av, slow);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}
END_TEST

START_TEST(an_impossible_decommission_is_refused)
{
    static const int32_t two[1] = {2};
    const char *scope[1] = {wide};
    balance_move_opts o = {.leaving = two,
                           .n_leaving = 1,
                           .topics = scope,
                           .n_topics = 1,
                           .max_moves = 4,
                           .timeout_ms = BROKER_MS};
    kafka_api_versions *av;
    kafka_conn *c = kft_open(kft_broker(0), &av);
    balance_progress p;
    util_err err;

    create_topic(c, av, wide, 3, 3, NULL, 0);
    wait_settled(c, av, wide, 3);
    ck_assert_msg(balance_step(c, av, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.state, BALANCE_REFUSED);
    ck_assert_int_eq(p.started, 0);
    ck_assert_msg(strstr(p.message, wide) != NULL, "the refusal names no partition: %s", p.message);
    fprintf(stderr, "  refused: %s\n", p.message);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("balance_move");
    TCase *tc = tcase_create("ground");

    tcase_set_timeout(tc, 400);
    tcase_add_unchecked_fixture(tc, NULL, delete_topics);
    tcase_add_test(tc, decommission_then_rebalance);
    tcase_add_test(tc, a_decommission_called_off);
    tcase_add_test(tc, an_impossible_decommission_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    snprintf(run_id, sizeof run_id, "%ld-%d", (long)time(NULL), (int)getpid());
    snprintf(topic, sizeof topic, "balance-%s", run_id);
    snprintf(slow, sizeof slow, "balance-%s-slow", run_id);
    snprintf(wide, sizeof wide, "balance-%s-wide", run_id);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
