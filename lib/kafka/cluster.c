/* The DescribeCluster request and response; see cluster.h. Field layout per
 * the protocol's DescribeCluster message definitions for v0..v2. */
#include "kafka/cluster.h"

#include <stdlib.h>

#include "kafka/call.h"
#include "kafka/proto.h"

/* Every version is flexible. */
#define BROKER_MIN 11 /* id, host, port, rack, tags */

int kafka_describe_cluster_encode(kafka_writer *w, int16_t version,
                                  const kafka_describe_cluster_request *req, util_err *err)
{
    int8_t type = req && req->endpoint_type ? req->endpoint_type : KAFKA_ENDPOINT_BROKERS;

    if (version < KAFKA_DESCRIBE_CLUSTER_MIN || version > KAFKA_DESCRIBE_CLUSTER_MAX)
        return util_err_set(err, "DescribeCluster request: version %d not spoken (%d..%d)", version,
                            KAFKA_DESCRIBE_CLUSTER_MIN, KAFKA_DESCRIBE_CLUSTER_MAX);
    if (version < 1 && type != KAFKA_ENDPOINT_BROKERS)
        return util_err_set(err,
                            "DescribeCluster v%d request: only brokers can be described "
                            "before v1",
                            version);
    kafka_put_i8(w, 0); /* include_cluster_authorized_operations */
    if (version >= 1)
        kafka_put_i8(w, type);
    if (version >= 2)
        kafka_put_i8(w, req && req->include_fenced_brokers ? 1 : 0);
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "DescribeCluster v%d request", version);
    return 0;
}

static int decode_body(kafka_reader *r, int16_t version, kafka_describe_cluster_response *res)
{
    kafka_arena *a = &res->arena;
    int32_t i, n;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_i16(r, "error_code", &res->error_code);
    kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &res->error_message);
    res->endpoint_type = KAFKA_ENDPOINT_BROKERS;
    if (version >= 1)
        kafka_read_i8(r, "endpoint_type", &res->endpoint_type);
    kafka_read_dup_string(r, a, 1, "cluster_id", KAFKA_NOT_NULL, &res->cluster_id);
    kafka_read_i32(r, "controller_id", &res->controller_id);
    kafka_read_count(r, 1, "brokers", KAFKA_NOT_NULL, BROKER_MIN, &n);
    res->brokers = kafka_read_alloc(r, a, "brokers", n, sizeof *res->brokers);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_describe_cluster_broker *b = &res->brokers[i];

        kafka_reader_enter(r, "brokers", i);
        kafka_read_i32(r, "broker_id", &b->broker_id);
        kafka_read_dup_string(r, a, 1, "host", KAFKA_NOT_NULL, &b->host);
        kafka_read_i32(r, "port", &b->port);
        kafka_read_dup_string(r, a, 1, "rack", KAFKA_NULLABLE, &b->rack);
        if (version >= 2)
            kafka_read_bool(r, "is_fenced", &b->is_fenced);
        kafka_read_skip_tags(r, "tagged_fields");
        kafka_reader_leave(r);
        res->n_brokers = i + 1;
    }
    kafka_read_i32(r, "cluster_authorized_operations", &res->cluster_authorized_operations);
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_describe_cluster_decode(const void *body, size_t len, int16_t version,
                                  kafka_describe_cluster_response **out, util_err *err)
{
    kafka_describe_cluster_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_DESCRIBE_CLUSTER_MIN || version > KAFKA_DESCRIBE_CLUSTER_MAX)
        return util_err_set(err, "DescribeCluster response: version %d not spoken (%d..%d)",
                            version, KAFKA_DESCRIBE_CLUSTER_MIN, KAFKA_DESCRIBE_CLUSTER_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "DescribeCluster response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_body(&r, version, res) < 0) {
        kafka_describe_cluster_free(res);
        return util_err_prefix(err, "DescribeCluster v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_describe_cluster_free(kafka_describe_cluster_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_describe_cluster_call(kafka_conn *c, const kafka_api_versions *av,
                                const kafka_describe_cluster_request *req, int timeout_ms,
                                kafka_describe_cluster_response **out, util_err *err)
{
    kafka_describe_cluster_request dflt = {KAFKA_ENDPOINT_BROKERS, 1};
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (req == NULL)
        req = &dflt;
    if (kafka_call_pick(c, av, KAFKA_API_DESCRIBE_CLUSTER, KAFKA_DESCRIBE_CLUSTER_MIN,
                        KAFKA_DESCRIBE_CLUSTER_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_describe_cluster_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_DESCRIBE_CLUSTER, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_describe_cluster_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if ((*out)->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, KAFKA_API_DESCRIBE_CLUSTER, v, (*out)->error_code,
                         (*out)->error_message, err);
        kafka_describe_cluster_free(*out);
        *out = NULL;
        return -1;
    }
    (*out)->fenced_known = v >= 2 && req->include_fenced_brokers;
    return 0;
}

const kafka_describe_cluster_broker *
kafka_describe_cluster_find(const kafka_describe_cluster_response *res, int32_t broker_id)
{
    int32_t i;

    for (i = 0; i < res->n_brokers; i++)
        if (res->brokers[i].broker_id == broker_id)
            return &res->brokers[i];
    return NULL;
}
