/* The DescribeQuorum request and response, and the caught-up test; see
 * quorum.h. Field layout per the protocol's DescribeQuorum message
 * definitions for v0..v2 (all flexible). */
#include "kafka/quorum.h"

#include <stdlib.h>

#include "kafka/call.h"
#include "kafka/proto.h"

/* Smallest wire sizes, for kafka_read_count. */
#define TOPIC_MIN     3  /* name, partitions, tags */
#define PARTITION_MIN 25 /* index, error, leader, epoch, hw, two arrays, tags */
#define REPLICA_MIN   13 /* id, log end offset, tags */
#define NODE_MIN      6  /* id, listeners, tags */
#define LISTENER_MIN  5  /* name, host, port, tags */

int kafka_describe_quorum_encode(kafka_writer *w, int16_t version,
                                 const kafka_describe_quorum_request *req, util_err *err)
{
    const char *topic = req && req->topic ? req->topic : KAFKA_METADATA_TOPIC;

    if (version < KAFKA_DESCRIBE_QUORUM_MIN || version > KAFKA_DESCRIBE_QUORUM_MAX)
        return util_err_set(err, "DescribeQuorum request: version %d not spoken (%d..%d)", version,
                            KAFKA_DESCRIBE_QUORUM_MIN, KAFKA_DESCRIBE_QUORUM_MAX);
    kafka_put_compact_array_len(w, 1);
    kafka_put_compact_string(w, topic);
    kafka_put_compact_array_len(w, 1);
    kafka_put_i32(w, req ? req->partition : 0);
    kafka_put_empty_tags(w); /* partition */
    kafka_put_empty_tags(w); /* topic */
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "DescribeQuorum v%d request", version);
    return 0;
}

/* Reads a ReplicaState list (current_voters or observers). */
static void decode_replicas(kafka_reader *r, kafka_arena *a, int16_t version, const char *field,
                            kafka_quorum_replica **out, int32_t *count)
{
    kafka_quorum_replica *v;
    int32_t i, n;

    kafka_read_count(r, 1, field, KAFKA_NOT_NULL, REPLICA_MIN, &n);
    v = kafka_read_alloc(r, a, field, n, sizeof *v);
    *out = v;
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, field, i);
        kafka_read_i32(r, "replica_id", &v[i].replica_id);
        if (version >= 2)
            kafka_read_uuid(r, "replica_directory_id", &v[i].directory_id);
        kafka_read_i64(r, "log_end_offset", &v[i].log_end_offset);
        v[i].last_fetch_timestamp = v[i].last_caught_up_timestamp = -1;
        if (version >= 1) {
            kafka_read_i64(r, "last_fetch_timestamp", &v[i].last_fetch_timestamp);
            kafka_read_i64(r, "last_caught_up_timestamp", &v[i].last_caught_up_timestamp);
        }
        kafka_read_skip_tags(r, "tagged_fields");
        kafka_reader_leave(r);
        *count = i + 1;
    }
}

static void decode_partition(kafka_reader *r, kafka_arena *a, int16_t version,
                             kafka_quorum_partition *p)
{
    kafka_read_i32(r, "partition_index", &p->index);
    kafka_read_i16(r, "error_code", &p->error_code);
    if (version >= 2)
        kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &p->error_message);
    kafka_read_i32(r, "leader_id", &p->leader_id);
    kafka_read_i32(r, "leader_epoch", &p->leader_epoch);
    kafka_read_i64(r, "high_watermark", &p->high_watermark);
    decode_replicas(r, a, version, "current_voters", &p->voters, &p->n_voters);
    decode_replicas(r, a, version, "observers", &p->observers, &p->n_observers);
    kafka_read_skip_tags(r, "tagged_fields");
}

static void decode_topic(kafka_reader *r, kafka_arena *a, int16_t version, kafka_quorum_topic *t)
{
    int32_t i, n;

    kafka_read_dup_string(r, a, 1, "topic_name", KAFKA_NOT_NULL, &t->name);
    kafka_read_count(r, 1, "partitions", KAFKA_NOT_NULL, PARTITION_MIN, &n);
    t->partitions = kafka_read_alloc(r, a, "partitions", n, sizeof *t->partitions);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "partitions", i);
        decode_partition(r, a, version, &t->partitions[i]);
        kafka_reader_leave(r);
        t->n_partitions = i + 1;
    }
    kafka_read_skip_tags(r, "tagged_fields");
}

static void decode_node(kafka_reader *r, kafka_arena *a, kafka_quorum_node *node)
{
    int32_t i, n;

    kafka_read_i32(r, "node_id", &node->node_id);
    kafka_read_count(r, 1, "listeners", KAFKA_NOT_NULL, LISTENER_MIN, &n);
    node->listeners = kafka_read_alloc(r, a, "listeners", n, sizeof *node->listeners);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_quorum_listener *l = &node->listeners[i];
        int16_t port;

        kafka_reader_enter(r, "listeners", i);
        kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &l->name);
        kafka_read_dup_string(r, a, 1, "host", KAFKA_NOT_NULL, &l->host);
        kafka_read_i16(r, "port", &port);
        l->port = (uint16_t)port;
        kafka_read_skip_tags(r, "tagged_fields");
        kafka_reader_leave(r);
        node->n_listeners = i + 1;
    }
    kafka_read_skip_tags(r, "tagged_fields");
}

static int decode_body(kafka_reader *r, int16_t version, kafka_describe_quorum_response *res)
{
    kafka_arena *a = &res->arena;
    int32_t i, n;

    kafka_read_i16(r, "error_code", &res->error_code);
    if (version >= 2)
        kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &res->error_message);
    kafka_read_count(r, 1, "topics", KAFKA_NOT_NULL, TOPIC_MIN, &n);
    res->topics = kafka_read_alloc(r, a, "topics", n, sizeof *res->topics);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "topics", i);
        decode_topic(r, a, version, &res->topics[i]);
        kafka_reader_leave(r);
        res->n_topics = i + 1;
    }
    if (version >= 2) {
        kafka_read_count(r, 1, "nodes", KAFKA_NOT_NULL, NODE_MIN, &n);
        res->nodes = kafka_read_alloc(r, a, "nodes", n, sizeof *res->nodes);
        for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
            kafka_reader_enter(r, "nodes", i);
            decode_node(r, a, &res->nodes[i]);
            kafka_reader_leave(r);
            res->n_nodes = i + 1;
        }
    }
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_describe_quorum_decode(const void *body, size_t len, int16_t version,
                                 kafka_describe_quorum_response **out, util_err *err)
{
    kafka_describe_quorum_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_DESCRIBE_QUORUM_MIN || version > KAFKA_DESCRIBE_QUORUM_MAX)
        return util_err_set(err, "DescribeQuorum response: version %d not spoken (%d..%d)", version,
                            KAFKA_DESCRIBE_QUORUM_MIN, KAFKA_DESCRIBE_QUORUM_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "DescribeQuorum response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_body(&r, version, res) < 0) {
        kafka_describe_quorum_free(res);
        return util_err_prefix(err, "DescribeQuorum v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_describe_quorum_free(kafka_describe_quorum_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_describe_quorum_call(kafka_conn *c, const kafka_api_versions *av,
                               const kafka_describe_quorum_request *req, int timeout_ms,
                               kafka_describe_quorum_response **out, util_err *err)
{
    const kafka_quorum_partition *p;
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_DESCRIBE_QUORUM, KAFKA_DESCRIBE_QUORUM_MIN,
                        KAFKA_DESCRIBE_QUORUM_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_describe_quorum_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_DESCRIBE_QUORUM, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_describe_quorum_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    p = kafka_describe_quorum_partition(*out);
    if ((*out)->error_code != KAFKA_ERR_NONE || p == NULL || p->error_code != KAFKA_ERR_NONE) {
        if ((*out)->error_code != KAFKA_ERR_NONE)
            kafka_call_error(c, KAFKA_API_DESCRIBE_QUORUM, v, (*out)->error_code,
                             (*out)->error_message, err);
        else if (p == NULL)
            util_err_set(err, "broker %s: DescribeQuorum v%d: the answer lists no partition",
                         kafka_conn_addr(c), v);
        else
            kafka_call_error(c, KAFKA_API_DESCRIBE_QUORUM, v, p->error_code, p->error_message, err);
        kafka_describe_quorum_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

const kafka_quorum_partition *
kafka_describe_quorum_partition(const kafka_describe_quorum_response *res)
{
    int32_t i;

    for (i = 0; i < res->n_topics; i++)
        if (res->topics[i].n_partitions > 0)
            return &res->topics[i].partitions[0];
    return NULL;
}

const kafka_quorum_replica *kafka_quorum_voter(const kafka_quorum_partition *p, int32_t id)
{
    int32_t i;

    for (i = 0; i < p->n_voters; i++)
        if (p->voters[i].replica_id == id)
            return &p->voters[i];
    return NULL;
}

int kafka_quorum_voter_caught_up(const kafka_quorum_partition *p, int32_t id, int64_t max_lag_ms)
{
    const kafka_quorum_replica *v = kafka_quorum_voter(p, id), *leader;

    if (v == NULL)
        return -1;
    if (id == p->leader_id)
        return 1;
    if (v->log_end_offset >= 0 && p->high_watermark >= 0 && v->log_end_offset >= p->high_watermark)
        return 1;
    leader = kafka_quorum_voter(p, p->leader_id);
    if (leader == NULL || leader->last_caught_up_timestamp < 0 || v->last_caught_up_timestamp < 0)
        return 0;
    return leader->last_caught_up_timestamp - v->last_caught_up_timestamp <= max_lag_ms;
}
