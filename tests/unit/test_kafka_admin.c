/* The admin codecs (Metadata, DescribeCluster, List/AlterPartitionReassignments,
 * ElectLeaders, DescribeConfigs, IncrementalAlterConfigs, DescribeQuorum,
 * CreateTopics, DeleteTopics, UpdateFeatures) write exactly the request frames built here by
 * hand from the protocol's message definitions, header version included
 * (v2 with a tag section for flexible versions, v1 otherwise); read back
 * hand-built responses, tagged fields and all; fail cleanly, naming the
 * field, on every truncation and on counts the input cannot hold; and the
 * pure helpers drain relies on (lookups, partition sets and batches, the
 * caught-up test, arenas) do what they say. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/cluster.h"
#include "kafka/configs.h"
#include "kafka/elect_leaders.h"
#include "kafka/frame.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/quorum.h"
#include "kafka/reassign.h"
#include "kafka/result.h"
#include "kafka/topic_partitions.h"
#include "kafka/topics.h"
#include "kafka/update_features.h"
#include "support/kafka_bytes.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Request header v1: api key, version, correlation id 7, client id "berth". */
#define HDR1(key, ver) I16(key), I16(ver), I32(7), 0x00, 0x05, 'b', 'e', 'r', 't', 'h'
/* Request header v2: the same, then an empty tag section. */
#define HDR2(key, ver) HDR1(key, ver), 0x00
#define UUID0          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define T1_COMPACT     0x03, 't', '1'
#define T1_CLASSIC     0x00, 0x02, 't', '1'
/* "min.insync.replicas" and "__cluster_metadata": compact strings carry
 * length + 1, classic ones an int16 length. */
#define MIR_CHARS                                                                                  \
    'm', 'i', 'n', '.', 'i', 'n', 's', 'y', 'n', 'c', '.', 'r', 'e', 'p', 'l', 'i', 'c', 'a', 's'
#define MIR_COMPACT 0x14, MIR_CHARS
#define MIR_CLASSIC 0x00, 0x13, MIR_CHARS
#define MV_COMPACT                                                                                 \
    0x11, 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', '.', 'v', 'e', 'r', 's', 'i', 'o', 'n'
#define CM_COMPACT                                                                                 \
    0x13, '_', '_', 'c', 'l', 'u', 's', 't', 'e', 'r', '_', 'm', 'e', 't', 'a', 'd', 'a', 't', 'a'

/* Starts a request frame as the connection does: size prefix, then the
 * header version kafka_header_versions gives for (key, flexible). */
static size_t begin_frame(kafka_writer *w, int16_t key, int16_t version, int flexible)
{
    kafka_request_header h = {key, version, 7, "berth"};
    int req_hv, resp_hv;
    size_t start;

    kafka_header_versions(key, flexible, &req_hv, &resp_hv);
    ck_assert_int_eq(req_hv, flexible ? 2 : 1);
    ck_assert_int_eq(resp_hv, flexible ? 1 : 0);
    kafka_writer_init(w);
    start = kafka_frame_begin(w);
    kafka_put_request_header(w, req_hv, &h);
    return start;
}

/* Ends the frame and compares it with the size prefix plus want (header
 * and body, built by hand). */
static void end_frame(kafka_writer *w, size_t start, const unsigned char *want, size_t n)
{
    unsigned char size[4] = {I32((unsigned)n)};

    kafka_frame_end(w, start);
    ck_assert_ptr_null(w->failure);
    ck_assert_uint_eq(w->len, n + 4);
    ck_assert_mem_eq(w->buf, size, 4);
    ck_assert_mem_eq(w->buf + 4, want, n);
    kafka_writer_release(w);
}

/* ---- golden requests ---- */

START_TEST(metadata_requests_v12_v13_v8_v4)
{
    static const char *const one[] = {"t1"};
    static const unsigned char v12[] = {
        HDR2(3, 12), 0x02, /* topics: 1 */
        UUID0,             /*   topic_id: zero, by name */
        T1_COMPACT,        /*   name */
        0x00,              /*   tags */
        0x00,              /* allow_auto_topic_creation: false */
        0x00,              /* include_topic_authorized_operations */
        0x00,              /* tags */
    };
    static const unsigned char v13_all[] = {HDR2(3, 13), 0x00 /* null: all */, 0x00, 0x00, 0x00};
    static const unsigned char v8[] = {
        HDR1(3, 8), I32(1), T1_CLASSIC, 0x00 /* auto */, 0x00 /* cluster ops */,
        0x00 /* topic ops */
    };
    static const unsigned char v4_all[] = {HDR1(3, 4), I32(-1), 0x00};
    kafka_metadata_request req = {one, 1}, all = {NULL, 0};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_METADATA, 12, 1);
    ck_assert_int_eq(kafka_metadata_encode(&w, 12, &req, &err), 0);
    end_frame(&w, s, v12, sizeof v12);
    s = begin_frame(&w, KAFKA_API_METADATA, 13, 1);
    ck_assert_int_eq(kafka_metadata_encode(&w, 13, &all, &err), 0);
    end_frame(&w, s, v13_all, sizeof v13_all);
    s = begin_frame(&w, KAFKA_API_METADATA, 8, 0);
    ck_assert_int_eq(kafka_metadata_encode(&w, 8, &req, &err), 0);
    end_frame(&w, s, v8, sizeof v8);
    s = begin_frame(&w, KAFKA_API_METADATA, 4, 0);
    ck_assert_int_eq(kafka_metadata_encode(&w, 4, &all, &err), 0);
    end_frame(&w, s, v4_all, sizeof v4_all);

    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_metadata_encode(&w, 3, &all, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata request: version 3 not spoken (4..13)");
    kafka_writer_release(&w);
}
END_TEST

START_TEST(describe_cluster_requests_v0_v2)
{
    static const unsigned char v2[] = {
        HDR2(60, 2), 0x00 /* cluster ops */, 0x01 /* brokers */, 0x01 /* fenced too */, 0x00,
    };
    static const unsigned char v0[] = {HDR2(60, 0), 0x00, 0x00};
    kafka_describe_cluster_request req = {KAFKA_ENDPOINT_BROKERS, 1};
    kafka_describe_cluster_request ctl = {KAFKA_ENDPOINT_CONTROLLERS, 0};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_DESCRIBE_CLUSTER, 2, 1);
    ck_assert_int_eq(kafka_describe_cluster_encode(&w, 2, &req, &err), 0);
    end_frame(&w, s, v2, sizeof v2);
    /* v0 has neither field; asking for fenced brokers is dropped. */
    s = begin_frame(&w, KAFKA_API_DESCRIBE_CLUSTER, 0, 1);
    ck_assert_int_eq(kafka_describe_cluster_encode(&w, 0, &req, &err), 0);
    end_frame(&w, s, v0, sizeof v0);
    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_describe_cluster_encode(&w, 0, &ctl, &err), -1);
    ck_assert_str_eq(err.msg, "DescribeCluster v0 request: only brokers can be described before "
                              "v1");
    kafka_writer_release(&w);
}
END_TEST

START_TEST(list_partition_reassignments_requests)
{
    static const int32_t parts[] = {0, 2};
    static const kafka_topic_partitions tp = {"t1", parts, 2};
    static const unsigned char all[] = {HDR2(46, 0), I32(10000), 0x00 /* null: all */, 0x00};
    static const unsigned char named[] = {
        HDR2(46, 0), I32(10000), 0x02, T1_COMPACT, 0x03 /* 2 partitions */,
        I32(0),      I32(2),     0x00, 0x00,
    };
    kafka_list_partition_reassignments_request req = {10000, NULL, 0};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_LIST_PARTITION_REASSIGNMENTS, 0, 1);
    ck_assert_int_eq(kafka_list_partition_reassignments_encode(&w, 0, &req, &err), 0);
    end_frame(&w, s, all, sizeof all);
    req.topics = &tp;
    req.n_topics = 1;
    s = begin_frame(&w, KAFKA_API_LIST_PARTITION_REASSIGNMENTS, 0, 1);
    ck_assert_int_eq(kafka_list_partition_reassignments_encode(&w, 0, &req, &err), 0);
    end_frame(&w, s, named, sizeof named);
}
END_TEST

START_TEST(alter_partition_reassignments_requests_v0_v1)
{
    static const int32_t order[] = {2, 0, 1};
    static const kafka_reassign_partition parts[] = {{0, order, 3}, {1, NULL, 0}};
    static const kafka_reassign_topic topic = {"t1", parts, 2};
    static const unsigned char v1[] = {
        HDR2(45, 1), I32(10000), 0x00, /* allow_replication_factor_change: false (keep it) */
        0x02,                          /* topics: 1 */
        T1_COMPACT,  0x03,             /*   partitions: 2 */
        I32(0),      0x04,       I32(2), I32(0), I32(1), 0x00, /*     replicas 2,0,1; tags */
        I32(1),      0x00,       0x00,                         /*     replicas null: cancel; tags */
        0x00,                                                  /*   tags */
        0x00,                                                  /* tags */
    };
    static const unsigned char v0[] = {
        HDR2(45, 0), I32(30000), 0x02, T1_COMPACT, 0x03, I32(0), 0x04, I32(2),
        I32(0),      I32(1),     0x00, I32(1),     0x00, 0x00,   0x00, 0x00,
    };
    kafka_alter_partition_reassignments_request req = {10000, 1, &topic, 1};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS, 1, 1);
    ck_assert_int_eq(kafka_alter_partition_reassignments_encode(&w, 1, &req, &err), 0);
    end_frame(&w, s, v1, sizeof v1);
    /* v0 cannot carry the guard: refused rather than dropped. */
    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_alter_partition_reassignments_encode(&w, 0, &req, &err), -1);
    ck_assert_str_eq(err.msg, "AlterPartitionReassignments v0 request: the broker cannot be "
                              "asked to keep the replication factor before v1");
    kafka_writer_release(&w);
    req.keep_replication_factor = 0;
    req.timeout_ms = 30000;
    s = begin_frame(&w, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS, 0, 1);
    ck_assert_int_eq(kafka_alter_partition_reassignments_encode(&w, 0, &req, &err), 0);
    end_frame(&w, s, v0, sizeof v0);
}
END_TEST

START_TEST(elect_leaders_requests_v0_v1_v2)
{
    static const int32_t parts[] = {0, 5};
    static const kafka_topic_partitions tp = {"t1", parts, 2};
    static const unsigned char v2[] = {
        HDR2(43, 2), 0x00 /* PREFERRED */, 0x02, T1_COMPACT, 0x03, I32(0), I32(5),
        0x00,        I32(10000),           0x00,
    };
    static const unsigned char v1[] = {
        HDR1(43, 1), 0x00, I32(1), T1_CLASSIC, I32(2), I32(0), I32(5), I32(10000),
    };
    static const unsigned char v0_all[] = {HDR1(43, 0), I32(-1), I32(10000)};
    static const unsigned char v2_unclean_all[] = {HDR2(43, 2), 0x01, 0x00, I32(10000), 0x00};
    kafka_elect_leaders_request req = {KAFKA_ELECTION_PREFERRED, &tp, 1, 10000};
    kafka_elect_leaders_request all = {KAFKA_ELECTION_PREFERRED, NULL, 0, 10000};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_ELECT_LEADERS, 2, 1);
    ck_assert_int_eq(kafka_elect_leaders_encode(&w, 2, &req, &err), 0);
    end_frame(&w, s, v2, sizeof v2);
    s = begin_frame(&w, KAFKA_API_ELECT_LEADERS, 1, 0);
    ck_assert_int_eq(kafka_elect_leaders_encode(&w, 1, &req, &err), 0);
    end_frame(&w, s, v1, sizeof v1);
    s = begin_frame(&w, KAFKA_API_ELECT_LEADERS, 0, 0);
    ck_assert_int_eq(kafka_elect_leaders_encode(&w, 0, &all, &err), 0);
    end_frame(&w, s, v0_all, sizeof v0_all);
    all.election_type = KAFKA_ELECTION_UNCLEAN;
    s = begin_frame(&w, KAFKA_API_ELECT_LEADERS, 2, 1);
    ck_assert_int_eq(kafka_elect_leaders_encode(&w, 2, &all, &err), 0);
    end_frame(&w, s, v2_unclean_all, sizeof v2_unclean_all);
    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_elect_leaders_encode(&w, 0, &all, &err), -1);
    ck_assert_str_eq(err.msg, "ElectLeaders v0 request: only preferred elections before v1");
    kafka_writer_release(&w);
}
END_TEST

START_TEST(describe_configs_requests_v4_v1)
{
    static const char *const keys[] = {"min.insync.replicas"};
    static const kafka_config_resource topic = {KAFKA_RESOURCE_TOPIC, "t1", keys, 1};
    static const kafka_config_resource broker = {KAFKA_RESOURCE_BROKER, "1", NULL, 0};
    static const unsigned char v4[] = {
        HDR2(32, 4), 0x02, /* resources: 1 */
        0x02,              /*   TOPIC */
        T1_COMPACT,  0x02, /*   keys: 1 */
        MIR_COMPACT, 0x00, /*   tags */
        0x01,              /* include_synonyms */
        0x00,              /* include_documentation */
        0x00,
    };
    static const unsigned char v1[] = {
        HDR1(32, 1), I32(1), 0x04 /* BROKER */, 0x00, 0x01, '1', I32(-1) /* all keys */,
        0x00 /* include_synonyms; no documentation flag before v3 */
    };
    kafka_describe_configs_request req = {&topic, 1, 1, 0};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_DESCRIBE_CONFIGS, 4, 1);
    ck_assert_int_eq(kafka_describe_configs_encode(&w, 4, &req, &err), 0);
    end_frame(&w, s, v4, sizeof v4);
    req.resources = &broker;
    req.include_synonyms = 0;
    req.include_documentation = 1;
    s = begin_frame(&w, KAFKA_API_DESCRIBE_CONFIGS, 1, 0);
    ck_assert_int_eq(kafka_describe_configs_encode(&w, 1, &req, &err), 0);
    end_frame(&w, s, v1, sizeof v1);
}
END_TEST

START_TEST(incremental_alter_configs_requests_v1_v0)
{
    static const kafka_config_op ops[] = {
        {"min.insync.replicas", KAFKA_CONFIG_SET, "2"},
        {"retention.ms", KAFKA_CONFIG_DELETE, NULL},
    };
    static const kafka_alter_config_resource res = {KAFKA_RESOURCE_TOPIC, "t1", ops, 2};
    static const unsigned char v1[] = {
        HDR2(44, 1), 0x02,             /* resources: 1 */
        0x02,        T1_COMPACT, 0x03, /*   configs: 2 */
        MIR_COMPACT, 0x00,             /*     SET */
        0x02,        '2',        0x00, 0x0d, 'r', 'e', 't', 'e',  'n',
        't',         'i',        'o',  'n',  '.', 'm', 's', 0x01, /*     DELETE */
        0x00,                                                     /*     value null */
        0x00,        0x00,                                        /*   tags */
        0x00,                                                     /* validate_only */
        0x00,
    };
    static const unsigned char v0[] = {
        HDR1(44, 0), I32(1),  0x02,
        T1_CLASSIC,  I32(2),  MIR_CLASSIC,
        0x00,        0x00,    0x01,
        '2',         0x00,    0x0c,
        'r',         'e',     't',
        'e',         'n',     't',
        'i',         'o',     'n',
        '.',         'm',     's',
        0x01,        I16(-1), 0x01 /* validate_only */,
    };
    kafka_incremental_alter_configs_request req = {&res, 1, 0};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 1, 1);
    ck_assert_int_eq(kafka_incremental_alter_configs_encode(&w, 1, &req, &err), 0);
    end_frame(&w, s, v1, sizeof v1);
    req.validate_only = 1;
    s = begin_frame(&w, KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 0, 0);
    ck_assert_int_eq(kafka_incremental_alter_configs_encode(&w, 0, &req, &err), 0);
    end_frame(&w, s, v0, sizeof v0);
}
END_TEST

START_TEST(describe_quorum_request)
{
    static const unsigned char v2[] = {
        HDR2(55, 2), 0x02, CM_COMPACT, 0x02, I32(0), 0x00, 0x00, 0x00,
    };
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_DESCRIBE_QUORUM, 2, 1);
    ck_assert_int_eq(kafka_describe_quorum_encode(&w, 2, NULL, &err), 0);
    end_frame(&w, s, v2, sizeof v2);
}
END_TEST

START_TEST(create_and_delete_topics_requests)
{
    static const kafka_topic_config cfg = {"min.insync.replicas", "2"};
    static const int32_t brokers[] = {1, 2};
    static const kafka_topic_assignment asg = {0, brokers, 2};
    static const kafka_new_topic auto_topic = {"t1", 12, 3, NULL, 0, &cfg, 1};
    static const kafka_new_topic placed = {"t1", -1, -1, &asg, 1, NULL, 0};
    static const char *const names[] = {"t1"};
    static const unsigned char create_v7[] = {
        HDR2(19, 7), 0x02,                        /* topics: 1 */
        T1_COMPACT,  I32(12), I16(3), 0x01,       /*   assignments: none */
        0x02,                                     /*   configs: 1 */
        MIR_COMPACT, 0x02,    '2',    0x00, 0x00, /*   tags */
        I32(10000),  0x00,                        /* validate_only */
        0x00,
    };
    static const unsigned char create_v5_placed[] = {
        HDR2(19, 5), 0x02,   T1_COMPACT, I32(-1), I16(-1), 0x02,   I32(0), 0x03,
        I32(1),      I32(2), 0x00,       0x01,    0x00,    I32(0), 0x01,   0x00,
    };
    static const unsigned char delete_v6[] = {
        HDR2(20, 6), 0x02, T1_COMPACT, UUID0, 0x00, I32(10000), 0x00,
    };
    static const unsigned char delete_v4[] = {HDR2(20, 4), 0x02, T1_COMPACT, I32(10000), 0x00};
    kafka_create_topics_request creq = {&auto_topic, 1, 10000, 0};
    kafka_delete_topics_request dreq = {names, 1, 10000};
    kafka_writer w;
    util_err err;
    size_t s;

    s = begin_frame(&w, KAFKA_API_CREATE_TOPICS, 7, 1);
    ck_assert_int_eq(kafka_create_topics_encode(&w, 7, &creq, &err), 0);
    end_frame(&w, s, create_v7, sizeof create_v7);
    creq.topics = &placed;
    creq.timeout_ms = 0;
    creq.validate_only = 1;
    s = begin_frame(&w, KAFKA_API_CREATE_TOPICS, 5, 1);
    ck_assert_int_eq(kafka_create_topics_encode(&w, 5, &creq, &err), 0);
    end_frame(&w, s, create_v5_placed, sizeof create_v5_placed);
    s = begin_frame(&w, KAFKA_API_DELETE_TOPICS, 6, 1);
    ck_assert_int_eq(kafka_delete_topics_encode(&w, 6, &dreq, &err), 0);
    end_frame(&w, s, delete_v6, sizeof delete_v6);
    s = begin_frame(&w, KAFKA_API_DELETE_TOPICS, 4, 1);
    ck_assert_int_eq(kafka_delete_topics_encode(&w, 4, &dreq, &err), 0);
    end_frame(&w, s, delete_v4, sizeof delete_v4);
}
END_TEST

/* UpdateFeatures: metadata.version to 33, 30 s; the bodies are what Apache
 * Kafka 4.4.0's own serializer (UpdateFeaturesRequestData) writes for the
 * same request. v0 says "no downgrade" where v1+ say UPGRADE and add
 * validate_only. */
START_TEST(update_features_requests_v0_v1_v2)
{
    static const unsigned char v0[] = {HDR2(57, 0), I32(30000), 0x02, MV_COMPACT,
                                       I16(33),     0x00,       0x00, 0x00};
    static const unsigned char v1[] = {HDR2(57, 1), I32(30000), 0x02, MV_COMPACT, I16(33),
                                       0x01,        0x00,       0x00, 0x00};
    static const unsigned char v2[] = {HDR2(57, 2), I32(30000), 0x02, MV_COMPACT, I16(33),
                                       0x01,        0x00,       0x00, 0x00};
    static const kafka_feature_update mv = {"metadata.version", 33, KAFKA_FEATURE_UPGRADE};
    kafka_update_features_request req = {30000, &mv, 1, 0};
    kafka_writer w;
    util_err err;
    size_t start;

    start = begin_frame(&w, KAFKA_API_UPDATE_FEATURES, 0, 1);
    ck_assert_int_eq(kafka_update_features_encode(&w, 0, &req, &err), 0);
    end_frame(&w, start, v0, sizeof v0);
    start = begin_frame(&w, KAFKA_API_UPDATE_FEATURES, 1, 1);
    ck_assert_int_eq(kafka_update_features_encode(&w, 1, &req, &err), 0);
    end_frame(&w, start, v1, sizeof v1);
    start = begin_frame(&w, KAFKA_API_UPDATE_FEATURES, 2, 1);
    ck_assert_int_eq(kafka_update_features_encode(&w, 2, &req, &err), 0);
    end_frame(&w, start, v2, sizeof v2);
    /* validate_only does not exist in v0. */
    req.validate_only = 1;
    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_update_features_encode(&w, 0, &req, &err), -1);
    ck_assert_str_eq(err.msg, "UpdateFeatures v0 request: validate_only needs v1");
    ck_assert_int_eq(kafka_update_features_encode(&w, 3, &req, &err), -1);
    ck_assert_str_eq(err.msg, "UpdateFeatures request: version 3 not spoken (0..2)");
    kafka_writer_release(&w);
}
END_TEST

START_TEST(encoders_refuse_missing_names_and_unknown_versions)
{
    static const char *const holes[] = {"a", NULL};
    static const kafka_reassign_topic nameless = {NULL, NULL, 0};
    kafka_metadata_request mreq = {holes, 2};
    kafka_alter_partition_reassignments_request areq = {1000, 0, &nameless, 1};
    kafka_delete_topics_request dreq = {holes, 2, 1000};
    kafka_writer w;
    util_err err;

    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_metadata_encode(&w, 12, &mreq, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata request: topics[1]: name missing");
    kafka_writer_reset(&w);
    ck_assert_int_eq(kafka_alter_partition_reassignments_encode(&w, 0, &areq, &err), -1);
    ck_assert_str_eq(err.msg, "AlterPartitionReassignments request: topics[0]: name or "
                              "partitions missing");
    kafka_writer_reset(&w);
    ck_assert_int_eq(kafka_delete_topics_encode(&w, 6, &dreq, &err), -1);
    ck_assert_str_eq(err.msg, "DeleteTopics request: names[1] missing");
    kafka_writer_reset(&w);
    ck_assert_int_eq(kafka_describe_quorum_encode(&w, 3, NULL, &err), -1);
    ck_assert_str_eq(err.msg, "DescribeQuorum request: version 3 not spoken (0..2)");
    {
        kafka_describe_configs_response *res;
        ck_assert_int_eq(kafka_describe_configs_decode("", 0, 0, &res, &err), -1);
        ck_assert_ptr_null(res);
    }
    ck_assert_str_eq(err.msg, "DescribeConfigs response: version 0 not spoken (1..4)");
    kafka_writer_release(&w);
}
END_TEST

/* ---- hand-built responses ---- */

/* Metadata v12: a broker with a tagged field of its own, one topic with two
 * partitions (the first with an offline replica), and a tagged field at the
 * end, as a 4.x broker may send. */
static const unsigned char md_v12[] = {
    I32(0), /* throttle_time_ms */
    0x03,   /* brokers: 2 */
    I32(1), 0x02,
    'h',    I32(9092),
    0x00, /*   rack null */
    0x01,   0x05,
    0x02,   0xaa,
    0xbb, /*   tags: tag 5, 2 bytes */
    I32(2), 0x02,
    'g',    I32(9093),
    0x03,   'r',
    'k',    0x00,
    0x02,   'c', /* cluster_id "c" */
    I32(1),      /* controller_id */
    0x02,        /* topics: 1 */
    I16(0), T1_COMPACT,
    1,      2,
    3,      4,
    5,      6,
    7,      8,
    9,      10,
    11,     12,
    13,     14,
    15,     16, /* topic_id */
    0x00,       /*   is_internal */
    0x03,       /*   partitions: 2 */
    I16(0), I32(0),
    I32(1), I32(3), /*     error, index 0, leader 1, epoch 3 */
    0x04,   I32(1),
    I32(2), I32(0), /*     replicas 1,2,0 */
    0x03,   I32(1),
    I32(2),         /*     isr 1,2 */
    0x02,   I32(0), /*     offline 0 */
    0x00,   I16(0),
    I32(1), I32(2),
    I32(7), 0x04,
    I32(2), I32(0),
    I32(1), 0x04,
    I32(2), I32(0),
    I32(1), 0x01,                 /*     no offline replicas */
    0x00,   I32(-2147483647 - 1), /*   topic_authorized_operations */
    0x00,   0x01,
    0x00,   0x01,
    0x7f, /* tags: tag 0, 1 byte */
};

/* Metadata v13 adds a top-level error code after the topics. */
static const unsigned char md_v13[] = {
    I32(5), 0x01, 0x00 /* cluster_id null */, I32(-1), 0x01, I16(KAFKA_ERR_UNKNOWN_SERVER_ERROR),
    0x00,
};

/* Metadata v4, classic: one broker with a rack, an unknown topic. */
static const unsigned char md_v4[] = {
    I32(0), I32(1), I32(0), 0x00, 0x01, 'h', I32(9092), 0x00, 0x02, 'r',  '0',    I16(-1),
    I32(1), I32(1), I16(3), 0x00, 0x04, 'g', 'o',       'n',  'e',  0x00, I32(0),
};

START_TEST(metadata_v12_response_and_lookups)
{
    unsigned char *buf = kb_exact_copy(md_v12, sizeof md_v12);
    const kafka_metadata_partition *p;
    const kafka_metadata_topic *t;
    kafka_metadata_refs *refs;
    kafka_metadata *md;
    util_err err;

    ck_assert_msg(kafka_metadata_decode(buf, sizeof md_v12, 12, &md, &err) == 0, "%s", err.msg);
    free(buf); /* the result owns copies of everything */
    ck_assert_int_eq(md->version, 12);
    ck_assert_int_eq(md->n_brokers, 2);
    ck_assert_int_eq(md->brokers[0].node_id, 1);
    ck_assert_str_eq(md->brokers[0].host, "h");
    ck_assert_int_eq(md->brokers[0].port, 9092);
    ck_assert_ptr_null(md->brokers[0].rack);
    ck_assert_str_eq(md->brokers[1].rack, "rk");
    ck_assert_str_eq(md->cluster_id, "c");
    ck_assert_int_eq(md->controller_id, 1);
    ck_assert_int_eq(md->n_topics, 1);
    t = kafka_metadata_topic_find(md, "t1");
    ck_assert_ptr_eq(t, &md->topics[0]);
    ck_assert_int_eq(t->topic_id.b[0], 1);
    ck_assert_int_eq(t->topic_id.b[15], 16);
    ck_assert(!t->is_internal);
    p = kafka_metadata_partition_find(md, "t1", 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->leader, 1);
    ck_assert_int_eq(p->leader_epoch, 3);
    ck_assert_int_eq(p->n_replicas, 3);
    ck_assert_int_eq(p->replicas[0], 1);
    ck_assert_int_eq(p->replicas[2], 0);
    ck_assert_int_eq(p->n_isr, 2);
    ck_assert_int_eq(p->n_offline, 1);
    ck_assert_int_eq(p->offline[0], 0);
    p = kafka_metadata_partition_find(md, "t1", 1);
    ck_assert_int_eq(p->leader, 2);
    ck_assert_int_eq(p->n_offline, 0);
    ck_assert_ptr_null(p->offline);
    ck_assert_ptr_null(kafka_metadata_partition_find(md, "t1", 2));
    ck_assert_ptr_null(kafka_metadata_partition_find(md, "t2", 0));
    ck_assert_ptr_eq(kafka_metadata_broker_find(md, 2), &md->brokers[1]);
    ck_assert_ptr_null(kafka_metadata_broker_find(md, 0));

    ck_assert_int_eq(kafka_metadata_led_by(md, 1, &refs, &err), 0);
    ck_assert_int_eq(refs->n, 1);
    ck_assert_ptr_eq(refs->refs[0].topic, t);
    ck_assert_int_eq(refs->refs[0].partition->index, 0);
    kafka_metadata_refs_free(refs);
    ck_assert_int_eq(kafka_metadata_led_by(md, 0, &refs, &err), 0);
    ck_assert_int_eq(refs->n, 0);
    kafka_metadata_refs_free(refs);
    ck_assert_int_eq(kafka_metadata_replicated_by(md, 0, &refs, &err), 0);
    ck_assert_int_eq(refs->n, 2);
    kafka_metadata_refs_free(refs);
    kafka_metadata_refs_free(NULL);
    ck_assert(kafka_int32_contains(p->isr, p->n_isr, 0));
    ck_assert(!kafka_int32_contains(p->isr, p->n_isr, 5));
    kafka_metadata_free(md);
    kafka_metadata_free(NULL);
}
END_TEST

START_TEST(metadata_v13_and_v4_responses)
{
    kafka_metadata *md;
    util_err err;

    ck_assert_msg(kafka_metadata_decode(md_v13, sizeof md_v13, 13, &md, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(md->throttle_time_ms, 5);
    ck_assert_int_eq(md->n_brokers, 0);
    ck_assert_ptr_null(md->cluster_id);
    ck_assert_int_eq(md->controller_id, -1);
    ck_assert_int_eq(md->error_code, KAFKA_ERR_UNKNOWN_SERVER_ERROR);
    kafka_metadata_free(md);
    /* Read as v12, v13's error code (0xffff) sits where v12's tagged-field
     * count is: 16383 tagged fields that the one byte left cannot hold. */
    ck_assert_int_eq(kafka_metadata_decode(md_v13, sizeof md_v13, 12, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v12 response: tagged_fields: count 16383 exceeds the 0 "
                              "bytes left at offset 14");

    ck_assert_msg(kafka_metadata_decode(md_v4, sizeof md_v4, 4, &md, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(md->n_brokers, 1);
    ck_assert_str_eq(md->brokers[0].rack, "r0");
    ck_assert_ptr_null(md->cluster_id);
    ck_assert_int_eq(md->controller_id, 1);
    ck_assert_int_eq(md->topics[0].error_code, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_str_eq(md->topics[0].name, "gone");
    ck_assert_int_eq(md->topics[0].n_partitions, 0);
    kafka_metadata_free(md);
}
END_TEST

static const unsigned char dc_v2[] = {
    I32(0),
    I16(0),
    0x00 /* no message */,
    0x01 /* brokers */,
    0x04,
    'c',
    'i',
    'd',
    I32(2),
    0x03, /* brokers: 2 */
    I32(1),
    0x02,
    'a',
    I32(9092),
    0x00,
    0x00 /* unfenced */,
    0x00,
    I32(2),
    0x02,
    'b',
    I32(9093),
    0x02,
    'r',
    0x01 /* fenced */,
    0x01,
    0x00,
    0x00, /* tags: tag 0, empty */
    I32(-2147483647 - 1),
    0x00,
};

static const unsigned char dc_v0[] = {
    I32(0),  I16(KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED),
    0x03,    'n',
    'o',     0x01 /* "" */,
    I32(-1), 0x01,
    I32(0),  0x00,
};

START_TEST(describe_cluster_responses_v2_v0)
{
    kafka_describe_cluster_response *dc;
    util_err err;

    ck_assert_msg(kafka_describe_cluster_decode(dc_v2, sizeof dc_v2, 2, &dc, &err) == 0, "%s",
                  err.msg);
    ck_assert_str_eq(dc->cluster_id, "cid");
    ck_assert_ptr_null(dc->error_message);
    ck_assert_int_eq(dc->controller_id, 2);
    ck_assert_int_eq(dc->n_brokers, 2);
    ck_assert(!dc->brokers[0].is_fenced);
    ck_assert(dc->brokers[1].is_fenced);
    ck_assert_str_eq(dc->brokers[1].rack, "r");
    ck_assert_ptr_eq(kafka_describe_cluster_find(dc, 2), &dc->brokers[1]);
    ck_assert_ptr_null(kafka_describe_cluster_find(dc, 3));
    ck_assert(!dc->fenced_known); /* only the call helper knows what was asked */
    kafka_describe_cluster_free(dc);

    ck_assert_msg(kafka_describe_cluster_decode(dc_v0, sizeof dc_v0, 0, &dc, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(dc->error_code, KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED);
    ck_assert_str_eq(dc->error_message, "no");
    ck_assert_str_eq(dc->cluster_id, "");
    ck_assert_int_eq(dc->endpoint_type, KAFKA_ENDPOINT_BROKERS);
    kafka_describe_cluster_free(dc);
    kafka_describe_cluster_free(NULL);
}
END_TEST

static const unsigned char lpr_v0[] = {
    I32(0),     I16(0),
    0x00,       0x02 /* topics: 1 */,
    T1_COMPACT, 0x02 /* partitions: 1 */,
    I32(4),     0x04,
    I32(0),     I32(1),
    I32(2),             /* replicas 0,1,2 */
    0x02,       I32(2), /* adding 2 */
    0x02,       I32(0), /* removing 0 */
    0x00,       0x00,
    0x00,
};

START_TEST(list_partition_reassignments_response)
{
    kafka_list_partition_reassignments_response *res;
    const kafka_ongoing_partition *p;
    util_err err;

    ck_assert_msg(kafka_list_partition_reassignments_decode(lpr_v0, sizeof lpr_v0, 0, &res, &err) ==
                      0,
                  "%s", err.msg);
    ck_assert_int_eq(res->n_topics, 1);
    p = kafka_list_partition_reassignments_find(res, "t1", 4);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->n_replicas, 3);
    ck_assert_int_eq(p->n_adding, 1);
    ck_assert_int_eq(p->adding[0], 2);
    ck_assert_int_eq(p->removing[0], 0);
    ck_assert_ptr_null(kafka_list_partition_reassignments_find(res, "t1", 0));
    ck_assert_ptr_null(kafka_list_partition_reassignments_find(res, "t2", 4));
    kafka_list_partition_reassignments_free(res);
    kafka_list_partition_reassignments_free(NULL);
}
END_TEST

static const unsigned char apr_v1[] = {
    I32(0), 0x00 /* allow_replication_factor_change: false */,
    I16(0), 0x00,
    0x02,   T1_COMPACT,
    0x03,   I32(0),
    I16(0), 0x00,
    0x00, /* partition 0: ok */
    I32(1), I16(KAFKA_ERR_INVALID_REPLICATION_FACTOR),
    0x03,   'r',
    'f',    0x00,
    0x00,   0x00,
};

START_TEST(alter_partition_reassignments_responses_v1_v0)
{
    static const unsigned char v0_refused[] = {
        I32(0), I16(KAFKA_ERR_NOT_CONTROLLER), 0x04, 'n', 'o', 't', 0x01 /* none */, 0x00,
    };
    kafka_alter_partition_reassignments_response *res;
    util_err err;

    ck_assert_msg(
        kafka_alter_partition_reassignments_decode(apr_v1, sizeof apr_v1, 1, &res, &err) == 0, "%s",
        err.msg);
    ck_assert_int_eq(res->allow_replication_factor_change, 0);
    ck_assert_int_eq(res->n_topics, 1);
    ck_assert_str_eq(res->topics[0].name, "t1");
    ck_assert_int_eq(res->topics[0].n_partitions, 2);
    ck_assert_int_eq(res->topics[0].partitions[0].error_code, 0);
    ck_assert_ptr_null(res->topics[0].partitions[0].error_message);
    ck_assert_int_eq(res->topics[0].partitions[1].error_code, KAFKA_ERR_INVALID_REPLICATION_FACTOR);
    ck_assert_str_eq(res->topics[0].partitions[1].error_message, "rf");
    kafka_alter_partition_reassignments_free(res);

    ck_assert_msg(kafka_alter_partition_reassignments_decode(v0_refused, sizeof v0_refused, 0, &res,
                                                             &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(res->allow_replication_factor_change, 1);
    ck_assert_int_eq(res->error_code, KAFKA_ERR_NOT_CONTROLLER);
    ck_assert_str_eq(res->error_message, "not");
    kafka_alter_partition_reassignments_free(res);
    kafka_alter_partition_reassignments_free(NULL);
}
END_TEST

/* ElectLeaders v2: one partition elected, one not needed, one refused, and
 * tagged fields on a partition and at the end. */
static const unsigned char el_v2[] = {
    I32(0), I16(0),
    0x02,   T1_COMPACT,
    0x04,   I32(0),
    I16(0), 0x00,
    0x00, /* elected */
    I32(1), I16(KAFKA_ERR_ELECTION_NOT_NEEDED),
    0x00,   0x01,
    0x03,   0x01,
    0x09, /* tag 3 */
    I32(2), I16(KAFKA_ERR_PREFERRED_LEADER_NOT_AVAILABLE),
    0x04,   'i',
    's',    'r',
    0x00,   0x00,
    0x00,
};

/* ElectLeaders v0, classic, no top-level error code. */
static const unsigned char el_v0[] = {
    I32(7), I32(1), T1_CLASSIC, I32(1), I32(3), I16(KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION), I16(-1),
};

START_TEST(elect_leaders_responses_v2_v0)
{
    kafka_elect_leaders_response *res;
    util_err err;

    ck_assert_msg(kafka_elect_leaders_decode(el_v2, sizeof el_v2, 2, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(res->n_topics, 1);
    ck_assert_int_eq(kafka_elect_leaders_find(res, "t1", 0)->error_code, 0);
    ck_assert_int_eq(kafka_elect_leaders_find(res, "t1", 1)->error_code,
                     KAFKA_ERR_ELECTION_NOT_NEEDED);
    ck_assert_int_eq(kafka_elect_leaders_find(res, "t1", 2)->error_code,
                     KAFKA_ERR_PREFERRED_LEADER_NOT_AVAILABLE);
    ck_assert_str_eq(kafka_elect_leaders_find(res, "t1", 2)->error_message, "isr");
    ck_assert_ptr_null(kafka_elect_leaders_find(res, "t1", 3));
    kafka_elect_leaders_free(res);

    ck_assert_msg(kafka_elect_leaders_decode(el_v0, sizeof el_v0, 0, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(res->throttle_time_ms, 7);
    ck_assert_int_eq(res->error_code, 0);
    ck_assert_int_eq(res->topics[0].partitions[0].partition, 3);
    ck_assert_ptr_null(res->topics[0].partitions[0].error_message);
    kafka_elect_leaders_free(res);
    /* v1 reads a top-level error code where v0 has none. */
    ck_assert_int_eq(kafka_elect_leaders_decode(el_v0, sizeof el_v0, 1, &res, &err), -1);
    ck_assert_ptr_null(res);
    kafka_elect_leaders_free(NULL);
}
END_TEST

/* DescribeConfigs v4: a topic's min.insync.replicas from a dynamic topic
 * override, with its synonyms, and an unknown topic. */
static const unsigned char dcfg_v4[] = {
    I32(0),
    0x03, /* results: 2 */
    I16(0),
    0x00,
    0x02,
    T1_COMPACT,
    0x02, /*   configs: 1 */
    MIR_COMPACT,
    0x02,
    '2',
    0x00, /*     read_only */
    KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC,
    0x00, /*     is_sensitive */
    0x03, /*     synonyms: 2 */
    MIR_COMPACT,
    0x02,
    '2',
    KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC,
    0x00,
    MIR_COMPACT,
    0x02,
    '1',
    KAFKA_CONFIG_SOURCE_DEFAULT,
    0x00,
    0x03, /*     config_type INT */
    0x00, /*     documentation null */
    0x01,
    0x02,
    0x01,
    0x00, /*     tags: tag 2, 1 byte */
    0x00,
    I16(KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION),
    0x04,
    'n',
    'o',
    '!',
    0x02,
    0x03,
    'x',
    'y',
    0x01,
    0x00,
    0x00,
};

/* DescribeConfigs v1, classic: a broker config with a null value. */
static const unsigned char dcfg_v1[] = {
    I32(0),
    I32(1),
    I16(0),
    I16(-1),
    0x04,
    0x00,
    0x01,
    '1',
    I32(1),
    0x00,
    0x03,
    'k',
    'e',
    'y',
    I16(-1),
    0x01,
    KAFKA_CONFIG_SOURCE_STATIC_BROKER,
    0x01,
    I32(0),
};

START_TEST(describe_configs_responses_v4_v1)
{
    kafka_describe_configs_response *res;
    const kafka_config_result *r;
    const kafka_config_entry *e;
    util_err err;

    ck_assert_msg(kafka_describe_configs_decode(dcfg_v4, sizeof dcfg_v4, 4, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(res->n_results, 2);
    r = kafka_describe_configs_result(res, KAFKA_RESOURCE_TOPIC, "t1");
    ck_assert_ptr_eq(r, &res->results[0]);
    e = kafka_config_result_find(r, "min.insync.replicas");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, "2");
    ck_assert_int_eq(e->config_source, KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC);
    ck_assert_int_eq(e->n_synonyms, 2);
    ck_assert_str_eq(e->synonyms[1].value, "1");
    ck_assert_int_eq(e->synonyms[1].source, KAFKA_CONFIG_SOURCE_DEFAULT);
    ck_assert_int_eq(e->config_type, 3);
    ck_assert_ptr_null(e->documentation);
    ck_assert_ptr_null(kafka_config_result_find(r, "retention.ms"));
    r = kafka_describe_configs_result(res, KAFKA_RESOURCE_TOPIC, "xy");
    ck_assert_int_eq(r->error_code, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_str_eq(r->error_message, "no!");
    ck_assert_ptr_null(kafka_describe_configs_result(res, KAFKA_RESOURCE_BROKER, "t1"));
    kafka_describe_configs_free(res);

    ck_assert_msg(kafka_describe_configs_decode(dcfg_v1, sizeof dcfg_v1, 1, &res, &err) == 0, "%s",
                  err.msg);
    e = kafka_config_result_find(kafka_describe_configs_result(res, KAFKA_RESOURCE_BROKER, "1"),
                                 "key");
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(e->value);
    ck_assert(e->read_only);
    ck_assert(e->is_sensitive);
    ck_assert_int_eq(e->config_source, KAFKA_CONFIG_SOURCE_STATIC_BROKER);
    kafka_describe_configs_free(res);
    kafka_describe_configs_free(NULL);
}
END_TEST

static const unsigned char iac_v1[] = {
    I32(0), 0x03, I16(0), 0x00, 0x02, T1_COMPACT, 0x00, I16(KAFKA_ERR_INVALID_CONFIG),
    0x02,   '?',  0x04,   0x02, '1',  0x00,       0x00,
};

static const unsigned char iac_v0[] = {
    I32(0), I32(1), I16(KAFKA_ERR_POLICY_VIOLATION), I16(-1), 0x02, T1_CLASSIC,
};

START_TEST(incremental_alter_configs_responses_v1_v0)
{
    kafka_incremental_alter_configs_response *res;
    util_err err;

    ck_assert_msg(kafka_incremental_alter_configs_decode(iac_v1, sizeof iac_v1, 1, &res, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(res->n_results, 2);
    ck_assert_str_eq(res->results[0].resource_name, "t1");
    ck_assert_int_eq(res->results[1].error_code, KAFKA_ERR_INVALID_CONFIG);
    ck_assert_str_eq(res->results[1].error_message, "?");
    ck_assert_int_eq(res->results[1].resource_type, KAFKA_RESOURCE_BROKER);
    kafka_incremental_alter_configs_free(res);
    ck_assert_msg(kafka_incremental_alter_configs_decode(iac_v0, sizeof iac_v0, 0, &res, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(res->results[0].error_code, KAFKA_ERR_POLICY_VIOLATION);
    ck_assert_ptr_null(res->results[0].error_message);
    kafka_incremental_alter_configs_free(res);
    kafka_incremental_alter_configs_free(NULL);
}
END_TEST

/* DescribeQuorum v2: leader 1 at epoch 4, high watermark 100; voter 0
 * caught up by offset, voter 2 behind by 90 ms, one observer; one node with
 * a listener. */
#define REPLICA_V2(id, leo, fetch, caught) I32(id), UUID0, I64(leo), I64(fetch), I64(caught), 0x00
static const unsigned char dq_v2[] = {
    I16(0),
    0x00, /* error_message null */
    0x02, /* topics: 1 */
    CM_COMPACT,
    0x02, /*   partitions: 1 */
    I32(0),
    I16(0),
    0x00,
    I32(1),
    I32(4),
    I64(100),
    0x04, /*     voters: 3 */
    REPLICA_V2(1, 100, -1, 5000),
    REPLICA_V2(0, 100, 4990, 4990),
    REPLICA_V2(2, 90, 4990, 4910),
    0x02, /*     observers: 1 */
    REPLICA_V2(7, 50, 1000, 1000),
    0x00,
    0x00,
    0x02, /* nodes: 1 */
    I32(1),
    0x02,
    0x03,
    'C',
    'T',
    0x02,
    'h',
    I16(0xfffe), /* port 65534: uint16 */
    0x00,
    0x00,
    0x00,
};

/* DescribeQuorum v0: no timestamps, no messages, no nodes. */
static const unsigned char dq_v0[] = {
    I16(0), 0x02,    0x02, 'q',    0x02,   I32(0), I16(0), I32(1), I32(2), I64(10), 0x03,
    I32(1), I64(10), 0x00, I32(2), I64(9), 0x00,   0x01,   0x00,   0x00,   0x00,
};

START_TEST(describe_quorum_responses_and_caught_up)
{
    kafka_describe_quorum_response *res;
    const kafka_quorum_partition *p;
    util_err err;

    ck_assert_msg(kafka_describe_quorum_decode(dq_v2, sizeof dq_v2, 2, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_str_eq(res->topics[0].name, KAFKA_METADATA_TOPIC);
    p = kafka_describe_quorum_partition(res);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->leader_id, 1);
    ck_assert_int_eq(p->leader_epoch, 4);
    ck_assert_int_eq(p->high_watermark, 100);
    ck_assert_int_eq(p->n_voters, 3);
    ck_assert_int_eq(p->n_observers, 1);
    ck_assert_int_eq(p->observers[0].replica_id, 7);
    ck_assert_int_eq(kafka_quorum_voter(p, 2)->last_caught_up_timestamp, 4910);
    ck_assert_ptr_null(kafka_quorum_voter(p, 7)); /* observers are not voters */
    ck_assert_int_eq(res->n_nodes, 1);
    ck_assert_str_eq(res->nodes[0].listeners[0].name, "CT");
    ck_assert_uint_eq(res->nodes[0].listeners[0].port, 65534);
    /* The leader; a voter at the high watermark; one 90 ms behind. */
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 1, 0), 1);
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 0, 0), 1);
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 2, 100), 1);
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 2, 89), 0);
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 7, 1000), -1);
    kafka_describe_quorum_free(res);

    ck_assert_msg(kafka_describe_quorum_decode(dq_v0, sizeof dq_v0, 0, &res, &err) == 0, "%s",
                  err.msg);
    p = kafka_describe_quorum_partition(res);
    ck_assert_int_eq(p->voters[1].last_caught_up_timestamp, -1);
    /* Without timestamps only offsets tell: 9 < 10 is behind. */
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 2, 1000000), 0);
    ck_assert_int_eq(kafka_quorum_voter_caught_up(p, 1, 0), 1);
    kafka_describe_quorum_free(res);
    kafka_describe_quorum_free(NULL);
}
END_TEST

/* CreateTopics v7: a created topic with its id, configs and tag 0
 * (TopicConfigErrorCode) in its tag section; a refused one with null
 * configs. */
static const unsigned char ct_v7[] = {
    I32(0),      0x03,    T1_COMPACT, 1,       2,
    3,           4,       5,          6,       7,
    8,           9,       10,         11,      12,
    13,          14,      15,         16,      I16(0),
    0x00,        I32(12), I16(3),     0x02, /*   configs: 1 */
    MIR_COMPACT, 0x02,    '2',        0x00,    KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC,
    0x00,        0x00,    0x01,       0x00,    0x02,
    I16(0), /*   tags: tag 0, 2 bytes */
    0x03,        'x',     'y',        UUID0,   I16(KAFKA_ERR_TOPIC_ALREADY_EXISTS),
    0x02,        '!',     I32(-1),    I16(-1), 0x00, /*   configs null */
    0x00,        0x00,
};

static const unsigned char dt_v6[] = {
    I32(0),
    0x03,
    T1_COMPACT,
    UUID0,
    I16(0),
    0x00,
    0x00,
    0x00 /* name null */,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    I16(KAFKA_ERR_UNKNOWN_TOPIC_ID),
    0x02,
    '?',
    0x00,
    0x00,
};

static const unsigned char dt_v4[] = {I32(0), 0x02, T1_COMPACT, I16(0), 0x00, 0x00};

START_TEST(create_and_delete_topics_responses)
{
    kafka_create_topics_response *ct;
    kafka_delete_topics_response *dt;
    util_err err;

    ck_assert_msg(kafka_create_topics_decode(ct_v7, sizeof ct_v7, 7, &ct, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(ct->n_topics, 2);
    ck_assert_int_eq(ct->topics[0].topic_id.b[15], 16);
    ck_assert_int_eq(ct->topics[0].num_partitions, 12);
    ck_assert_int_eq(ct->topics[0].replication_factor, 3);
    ck_assert_int_eq(ct->topics[0].n_configs, 1);
    ck_assert_str_eq(ct->topics[0].configs[0].value, "2");
    ck_assert_int_eq(ct->topics[1].error_code, KAFKA_ERR_TOPIC_ALREADY_EXISTS);
    ck_assert_str_eq(ct->topics[1].error_message, "!");
    ck_assert_int_eq(ct->topics[1].n_configs, -1);
    ck_assert_ptr_null(ct->topics[1].configs);
    kafka_create_topics_free(ct);
    /* v6 has no topic ids: the same bytes do not parse. */
    ck_assert_int_eq(kafka_create_topics_decode(ct_v7, sizeof ct_v7, 6, &ct, &err), -1);
    kafka_create_topics_free(NULL);

    ck_assert_msg(kafka_delete_topics_decode(dt_v6, sizeof dt_v6, 6, &dt, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(dt->n_topics, 2);
    ck_assert_str_eq(dt->topics[0].name, "t1");
    ck_assert_ptr_null(dt->topics[1].name);
    ck_assert_int_eq(dt->topics[1].topic_id.b[0], 1);
    ck_assert_int_eq(dt->topics[1].error_code, KAFKA_ERR_UNKNOWN_TOPIC_ID);
    kafka_delete_topics_free(dt);
    ck_assert_msg(kafka_delete_topics_decode(dt_v4, sizeof dt_v4, 4, &dt, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(dt->topics[0].error_code, 0);
    ck_assert_ptr_null(dt->topics[0].error_message);
    kafka_delete_topics_free(dt);
    kafka_delete_topics_free(NULL);
}
END_TEST

/* UpdateFeatures responses as Apache Kafka 4.4.0 serializes them: v1 with a
 * result for metadata.version; v1 with a feature refused (hand-built:
 * INVALID_UPDATE_VERSION and a message); v2 with a top-level error and no
 * results array at all. */
static const unsigned char uf_v1[] = {I32(0), I16(0), 0x00, 0x02, MV_COMPACT,
                                      I16(0), 0x00,   0x00, 0x00};
static const unsigned char uf_v1_refused[] = {I32(0), I16(0), 0x00, 0x02, MV_COMPACT, I16(95),
                                              0x03,   'n',    'o',  0x00, 0x00};
static const unsigned char uf_v2_error[] = {I32(5), I16(42), 0x04, 'b', 'a', 'd', 0x00};

START_TEST(update_features_responses_v1_v2)
{
    kafka_update_features_response *res;
    util_err err;

    ck_assert_msg(kafka_update_features_decode(uf_v1, sizeof uf_v1, 1, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(res->error_code, 0);
    ck_assert_ptr_null(res->error_message);
    ck_assert_int_eq(res->n_results, 1);
    ck_assert_str_eq(res->results[0].feature, "metadata.version");
    ck_assert_int_eq(res->results[0].error_code, 0);
    kafka_update_features_free(res);
    ck_assert_int_eq(
        kafka_update_features_decode(uf_v1_refused, sizeof uf_v1_refused, 0, &res, &err), 0);
    ck_assert_int_eq(res->results[0].error_code, KAFKA_ERR_INVALID_UPDATE_VERSION);
    ck_assert_str_eq(res->results[0].error_message, "no");
    ck_assert_str_eq(kafka_error_name(res->results[0].error_code), "INVALID_UPDATE_VERSION");
    kafka_update_features_free(res);
    ck_assert_int_eq(kafka_update_features_decode(uf_v2_error, sizeof uf_v2_error, 2, &res, &err),
                     0);
    ck_assert_int_eq(res->throttle_time_ms, 5);
    ck_assert_int_eq(res->error_code, KAFKA_ERR_INVALID_REQUEST);
    ck_assert_str_eq(res->error_message, "bad");
    ck_assert_int_eq(res->n_results, 0);
    kafka_update_features_free(res);
    /* v2 has no results array: a v1 body read as v2 has bytes left over. */
    ck_assert_int_eq(kafka_update_features_decode(uf_v1, sizeof uf_v1, 2, &res, &err), -1);
    ck_assert_ptr_null(res);
    kafka_update_features_free(NULL);
}
END_TEST

/* ---- every decoder, every truncation ---- */

/* Each wrapper decodes and frees, and checks that a failure returns
 * nothing. */
#define WRAP(name, type, fn, free_fn)                                                              \
    static int name(const void *b, size_t n, int16_t v, util_err *e)                               \
    {                                                                                              \
        type *out = (type *)&out; /* the decoder must reset it */                                  \
        int rc = fn(b, n, v, &out, e);                                                             \
        if (rc == 0)                                                                               \
            free_fn(out);                                                                          \
        else                                                                                       \
            ck_assert_ptr_null(out);                                                               \
        return rc;                                                                                 \
    }
WRAP(dec_md, kafka_metadata, kafka_metadata_decode, kafka_metadata_free)
WRAP(dec_dc, kafka_describe_cluster_response, kafka_describe_cluster_decode,
     kafka_describe_cluster_free)
WRAP(dec_lpr, kafka_list_partition_reassignments_response,
     kafka_list_partition_reassignments_decode, kafka_list_partition_reassignments_free)
WRAP(dec_apr, kafka_alter_partition_reassignments_response,
     kafka_alter_partition_reassignments_decode, kafka_alter_partition_reassignments_free)
WRAP(dec_el, kafka_elect_leaders_response, kafka_elect_leaders_decode, kafka_elect_leaders_free)
WRAP(dec_dcfg, kafka_describe_configs_response, kafka_describe_configs_decode,
     kafka_describe_configs_free)
WRAP(dec_iac, kafka_incremental_alter_configs_response, kafka_incremental_alter_configs_decode,
     kafka_incremental_alter_configs_free)
WRAP(dec_dq, kafka_describe_quorum_response, kafka_describe_quorum_decode,
     kafka_describe_quorum_free)
WRAP(dec_ct, kafka_create_topics_response, kafka_create_topics_decode, kafka_create_topics_free)
WRAP(dec_dt, kafka_delete_topics_response, kafka_delete_topics_decode, kafka_delete_topics_free)
WRAP(dec_uf, kafka_update_features_response, kafka_update_features_decode,
     kafka_update_features_free)

static const struct {
    const char *prefix; /* how a failure's message starts */
    int (*decode)(const void *, size_t, int16_t, util_err *);
    const unsigned char *body;
    size_t len;
    int16_t version;
} bodies[] = {
    {"Metadata v12 response: ", dec_md, md_v12, sizeof md_v12, 12},
    {"Metadata v13 response: ", dec_md, md_v13, sizeof md_v13, 13},
    {"Metadata v4 response: ", dec_md, md_v4, sizeof md_v4, 4},
    {"DescribeCluster v2 response: ", dec_dc, dc_v2, sizeof dc_v2, 2},
    {"DescribeCluster v0 response: ", dec_dc, dc_v0, sizeof dc_v0, 0},
    {"ListPartitionReassignments v0 response: ", dec_lpr, lpr_v0, sizeof lpr_v0, 0},
    {"AlterPartitionReassignments v1 response: ", dec_apr, apr_v1, sizeof apr_v1, 1},
    {"ElectLeaders v2 response: ", dec_el, el_v2, sizeof el_v2, 2},
    {"ElectLeaders v0 response: ", dec_el, el_v0, sizeof el_v0, 0},
    {"DescribeConfigs v4 response: ", dec_dcfg, dcfg_v4, sizeof dcfg_v4, 4},
    {"DescribeConfigs v1 response: ", dec_dcfg, dcfg_v1, sizeof dcfg_v1, 1},
    {"IncrementalAlterConfigs v1 response: ", dec_iac, iac_v1, sizeof iac_v1, 1},
    {"IncrementalAlterConfigs v0 response: ", dec_iac, iac_v0, sizeof iac_v0, 0},
    {"DescribeQuorum v2 response: ", dec_dq, dq_v2, sizeof dq_v2, 2},
    {"DescribeQuorum v0 response: ", dec_dq, dq_v0, sizeof dq_v0, 0},
    {"CreateTopics v7 response: ", dec_ct, ct_v7, sizeof ct_v7, 7},
    {"DeleteTopics v6 response: ", dec_dt, dt_v6, sizeof dt_v6, 6},
    {"DeleteTopics v4 response: ", dec_dt, dt_v4, sizeof dt_v4, 4},
    {"UpdateFeatures v1 response: ", dec_uf, uf_v1, sizeof uf_v1, 1},
    {"UpdateFeatures v0 response: ", dec_uf, uf_v1_refused, sizeof uf_v1_refused, 0},
    {"UpdateFeatures v2 response: ", dec_uf, uf_v2_error, sizeof uf_v2_error, 2},
};

START_TEST(every_prefix_of_every_response_fails_cleanly)
{
    size_t c, n;

    for (c = 0; c < LEN(bodies); c++) {
        util_err err;
        unsigned char *whole = kb_exact_copy(bodies[c].body, bodies[c].len);

        ck_assert_msg(bodies[c].decode(whole, bodies[c].len, bodies[c].version, &err) == 0,
                      "%s whole: %s", bodies[c].prefix, err.msg);
        free(whole);
        for (n = 0; n < bodies[c].len; n++) {
            unsigned char *buf = kb_exact_copy(bodies[c].body, n);

            err.msg[0] = '\0';
            ck_assert_int_eq(bodies[c].decode(buf, n, bodies[c].version, &err), -1);
            ck_assert_msg(strncmp(err.msg, bodies[c].prefix, strlen(bodies[c].prefix)) == 0,
                          "%s len %zu: %s", bodies[c].prefix, n, err.msg);
            free(buf);
        }
    }
}
END_TEST

START_TEST(truncation_and_trailing_bytes_name_the_field)
{
    kafka_metadata *md;
    util_err err;
    unsigned char extra[sizeof el_v2 + 1], md_extra[sizeof md_v12 + 2];
    kafka_elect_leaders_response *el;

    /* Cut inside the second partition's leader id (bytes 113..116): the
     * offset is where the field starts. */
    ck_assert_int_eq(kafka_metadata_decode(md_v12, 115, 12, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v12 response: topics[0].partitions[1].leader_id: "
                              "truncated at offset 113");
    /* A complete response followed by bytes no field accounts for. */
    memcpy(md_extra, md_v12, sizeof md_v12);
    md_extra[sizeof md_v12] = 0;
    md_extra[sizeof md_v12 + 1] = 0;
    ck_assert_int_eq(kafka_metadata_decode(md_extra, sizeof md_extra, 12, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v12 response: 2 unexpected bytes after the last field, "
                              "at offset 158");
    memcpy(extra, el_v2, sizeof el_v2);
    extra[sizeof el_v2] = 0;
    ck_assert_int_eq(kafka_elect_leaders_decode(extra, sizeof extra, 2, &el, &err), -1);
    ck_assert_str_eq(err.msg, "ElectLeaders v2 response: 1 unexpected bytes after the last field, "
                              "at offset 43");
}
END_TEST

START_TEST(hostile_counts_are_refused_before_allocating)
{
    /* Metadata v12: 1000 brokers claimed, a handful of bytes left. */
    static const unsigned char many_brokers[] = {I32(0), 0xe9, 0x07, 0, 0, 0, 0, 0,
                                                 0,      0,    0,    0, 0, 0, 0};
    /* Two partitions claimed: 18 bytes each would be needed. */
    static const unsigned char many_parts[] = {
        I32(0), 0x01, 0x00, I32(-1), 0x02, I16(0), T1_COMPACT, UUID0, 0x00, 0x03, 0, 0,
        0,      0,    0,    0,       0,    0,      0,          0,     0,    0,    0, 0,
    };
    /* Replica ids: four bytes each. */
    static const unsigned char many_ids[] = {
        I32(0), 0x01,       0x00,   I32(-1), 0x02,
        I16(0), T1_COMPACT, UUID0,  0x00,    0x02,
        I16(0), I32(0),     I32(1), I32(1),  0x05 /* 4 replicas */,
        I32(1), I32(2),     0x00,   0x00,    0x00,
    };
    /* Classic arrays: a negative count. */
    static const unsigned char negative[] = {I32(0), I32(-2), I32(0)};
    /* DescribeQuorum: a voter count the bytes left cannot hold. */
    static const unsigned char dq_many[] = {I16(0),  0x02,   0x02,   'q',     0x02, I32(0),
                                            I16(0),  I32(1), I32(2), I64(10), 0x7f, I32(1),
                                            I64(10), 0x00,   0x01,   0x00,    0x00, 0x00};
    /* DescribeConfigs v4: a varint count beyond 32 bits. */
    static const unsigned char huge_varint[] = {I32(0), 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00};
    kafka_metadata *md;
    kafka_describe_quorum_response *dq;
    kafka_describe_configs_response *dc;
    util_err err;

    ck_assert_int_eq(kafka_metadata_decode(many_brokers, sizeof many_brokers, 12, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v12 response: brokers: count 1000 needs at least 11000 "
                              "bytes, 12 left at offset 6");
    ck_assert_int_eq(kafka_metadata_decode(many_parts, sizeof many_parts, 12, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v12 response: topics[0].partitions: count 2 needs at "
                              "least 36 bytes, 14 left at offset 34");
    ck_assert_int_eq(kafka_metadata_decode(many_ids, sizeof many_ids, 12, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v12 response: topics[0].partitions[0].replica_nodes: "
                              "count 4 needs at least 16 bytes, 11 left at offset 49");
    ck_assert_int_eq(kafka_metadata_decode(negative, sizeof negative, 4, &md, &err), -1);
    ck_assert_str_eq(err.msg, "Metadata v4 response: brokers: negative count -2");
    ck_assert_int_eq(kafka_describe_quorum_decode(dq_many, sizeof dq_many, 0, &dq, &err), -1);
    ck_assert_str_eq(err.msg, "DescribeQuorum v0 response: topics[0].partitions[0]."
                              "current_voters: count 126 needs at least 1638 bytes, 17 left at "
                              "offset 29");
    ck_assert_int_eq(kafka_describe_configs_decode(huge_varint, sizeof huge_varint, 4, &dc, &err),
                     -1);
    ck_assert_str_eq(err.msg, "DescribeConfigs v4 response: results: varint at offset 4 exceeds "
                              "32 bits");
}
END_TEST

/* ---- pure helpers ---- */

START_TEST(partition_sets_group_by_topic_and_cut_into_batches)
{
    static const int32_t a[] = {0, 1, 2, 3, 4}, b[] = {0, 1}, d[] = {7};
    static const kafka_topic_partitions all[] = {
        {"a", a, 5}, {"b", b, 2}, {"c", NULL, 0}, {"d", d, 1}};
    kafka_topic_partitions out[3];
    kafka_tp_cursor cur = {0, 0};
    kafka_tp_list l;
    util_err err;
    int32_t n;

    /* Batches of 3: [a0..a2], [a3 a4, b0], [b1, d7], then nothing. */
    n = kafka_tp_batch_next(all, 4, 3, &cur, out);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(out[0].topic, "a");
    ck_assert_int_eq(out[0].n_partitions, 3);
    ck_assert_ptr_eq(out[0].partitions, a);
    n = kafka_tp_batch_next(all, 4, 3, &cur, out);
    ck_assert_int_eq(n, 2);
    ck_assert_ptr_eq(out[0].partitions, a + 3);
    ck_assert_int_eq(out[0].n_partitions, 2);
    ck_assert_str_eq(out[1].topic, "b");
    ck_assert_int_eq(out[1].n_partitions, 1);
    n = kafka_tp_batch_next(all, 4, 3, &cur, out);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(out[0].partitions[0], 1);
    ck_assert_str_eq(out[1].topic, "d");
    ck_assert_int_eq(kafka_tp_batch_next(all, 4, 3, &cur, out), 0);
    ck_assert_int_eq(kafka_tp_batch_next(all, 4, 0, &cur, out), 0);

    kafka_tp_list_init(&l);
    ck_assert_int_eq(kafka_tp_list_add(&l, "x", 3, &err), 0);
    ck_assert_int_eq(kafka_tp_list_add(&l, "x", 1, &err), 0);
    ck_assert_int_eq(kafka_tp_list_add(&l, "y", 0, &err), 0);
    for (n = 0; n < 100; n++)
        ck_assert_int_eq(kafka_tp_list_add(&l, "z", n, &err), 0);
    ck_assert_int_eq(kafka_tp_list_add(&l, NULL, 0, &err), -1);
    ck_assert_str_eq(err.msg, "partition set: topic name missing");
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(l.n_partitions, 103);
    ck_assert_str_eq(l.items[0].topic, "x");
    ck_assert_int_eq(l.items[0].n_partitions, 2);
    ck_assert_int_eq(l.items[0].partitions[1], 1);
    ck_assert_int_eq(l.items[2].n_partitions, 100);
    ck_assert_int_eq(l.items[2].partitions[99], 99);
    kafka_tp_list_release(&l);
    ck_assert_int_eq(l.n, 0);
    kafka_tp_list_release(&l);
}
END_TEST

START_TEST(arenas_align_zero_and_adopt)
{
    kafka_arena a, b;
    int64_t *small;
    unsigned char *big;
    char *s;

    kafka_arena_init(&a);
    kafka_arena_init(&b);
    ck_assert_ptr_null(kafka_arena_alloc(&a, 0, 8));
    ck_assert_ptr_null(kafka_arena_alloc(&a, SIZE_MAX / 4, 8));
    s = kafka_arena_strndup(&a, "abc", 2);
    ck_assert_str_eq(s, "ab");
    small = kafka_arena_alloc(&a, 3, sizeof *small);
    ck_assert_ptr_nonnull(small);
    ck_assert_uint_eq((uintptr_t)small % _Alignof(max_align_t), 0);
    ck_assert(small[0] == 0 && small[2] == 0);
    big = kafka_arena_alloc(&b, 100000, 1);
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(big[99999], 0);
    memset(big, 1, 100000);
    kafka_arena_adopt(&a, &b);
    ck_assert_ptr_null(b.head);
    ck_assert_int_eq(big[5], 1);        /* still there, now a's */
    ck_assert_str_eq(s, "ab");          /* a's own memory untouched */
    s = kafka_arena_strndup(&a, "", 0); /* and a keeps allocating */
    ck_assert_str_eq(s, "");
    kafka_arena_release(&a);
    kafka_arena_release(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_admin");
    TCase *req = tcase_create("requests");
    TCase *resp = tcase_create("responses");
    TCase *hostile = tcase_create("hostile");
    TCase *pure = tcase_create("helpers");
    SRunner *sr;
    int failed;

    tcase_add_test(req, metadata_requests_v12_v13_v8_v4);
    tcase_add_test(req, describe_cluster_requests_v0_v2);
    tcase_add_test(req, list_partition_reassignments_requests);
    tcase_add_test(req, alter_partition_reassignments_requests_v0_v1);
    tcase_add_test(req, elect_leaders_requests_v0_v1_v2);
    tcase_add_test(req, describe_configs_requests_v4_v1);
    tcase_add_test(req, incremental_alter_configs_requests_v1_v0);
    tcase_add_test(req, describe_quorum_request);
    tcase_add_test(req, create_and_delete_topics_requests);
    tcase_add_test(req, update_features_requests_v0_v1_v2);
    tcase_add_test(req, encoders_refuse_missing_names_and_unknown_versions);
    tcase_add_test(resp, metadata_v12_response_and_lookups);
    tcase_add_test(resp, metadata_v13_and_v4_responses);
    tcase_add_test(resp, describe_cluster_responses_v2_v0);
    tcase_add_test(resp, list_partition_reassignments_response);
    tcase_add_test(resp, alter_partition_reassignments_responses_v1_v0);
    tcase_add_test(resp, elect_leaders_responses_v2_v0);
    tcase_add_test(resp, describe_configs_responses_v4_v1);
    tcase_add_test(resp, incremental_alter_configs_responses_v1_v0);
    tcase_add_test(resp, describe_quorum_responses_and_caught_up);
    tcase_add_test(resp, create_and_delete_topics_responses);
    tcase_add_test(resp, update_features_responses_v1_v2);
    tcase_add_test(hostile, every_prefix_of_every_response_fails_cleanly);
    tcase_add_test(hostile, truncation_and_trailing_bytes_name_the_field);
    tcase_add_test(hostile, hostile_counts_are_refused_before_allocating);
    tcase_add_test(pure, partition_sets_group_by_topic_and_cut_into_batches);
    tcase_add_test(pure, arenas_align_zero_and_adopt);
    suite_add_tcase(s, req);
    suite_add_tcase(s, resp);
    suite_add_tcase(s, hostile);
    suite_add_tcase(s, pure);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
