/* The CreateTopics and DeleteTopics requests and responses; see topics.h.
 * Field layout per the protocol's message definitions (CreateTopics v5..v7,
 * DeleteTopics v4..v6; all flexible). */
#include "kafka/topics.h"

#include <stdlib.h>

#include "kafka/call.h"
#include "kafka/proto.h"

/* Smallest wire sizes, for kafka_read_count. */
#define CREATED_MIN 12 /* name, error, message, partitions, rf, configs, tags */
#define CONFIG_MIN  6  /* name, value, three flags, tags */
#define DELETED_MIN 4  /* name, error, tags */

static const unsigned char zero_uuid[16];

/* ---- CreateTopics ---- */

static int put_new_topic(kafka_writer *w, const kafka_new_topic *t, long i, util_err *err)
{
    int32_t k;

    if (t->name == NULL || t->n_assignments < 0 || t->n_configs < 0 ||
        (t->n_assignments > 0 && t->assignments == NULL) ||
        (t->n_configs > 0 && t->configs == NULL))
        return util_err_set(err,
                            "CreateTopics request: topics[%ld]: name, assignments or "
                            "configs missing",
                            i);
    kafka_put_compact_string(w, t->name);
    kafka_put_i32(w, t->num_partitions);
    kafka_put_i16(w, t->replication_factor);
    kafka_put_compact_array_len(w, t->n_assignments);
    for (k = 0; k < t->n_assignments; k++) {
        const kafka_topic_assignment *a = &t->assignments[k];

        kafka_put_i32(w, a->partition);
        kafka_put_int32_array(w, 1, a->broker_ids, a->n_broker_ids);
        kafka_put_empty_tags(w);
    }
    kafka_put_compact_array_len(w, t->n_configs);
    for (k = 0; k < t->n_configs; k++) {
        if (t->configs[k].name == NULL)
            return util_err_set(err,
                                "CreateTopics request: topics[%ld]: configs[%ld]: name "
                                "missing",
                                i, (long)k);
        kafka_put_compact_string(w, t->configs[k].name);
        kafka_put_compact_string(w, t->configs[k].value);
        kafka_put_empty_tags(w);
    }
    kafka_put_empty_tags(w);
    return 0;
}

int kafka_create_topics_encode(kafka_writer *w, int16_t version,
                               const kafka_create_topics_request *req, util_err *err)
{
    int32_t i;

    if (version < KAFKA_CREATE_TOPICS_MIN || version > KAFKA_CREATE_TOPICS_MAX)
        return util_err_set(err, "CreateTopics request: version %d not spoken (%d..%d)", version,
                            KAFKA_CREATE_TOPICS_MIN, KAFKA_CREATE_TOPICS_MAX);
    if (req->n_topics < 0 || (req->n_topics > 0 && req->topics == NULL))
        return util_err_set(err, "CreateTopics request: no topics given");
    kafka_put_compact_array_len(w, req->n_topics);
    for (i = 0; i < req->n_topics; i++)
        if (put_new_topic(w, &req->topics[i], (long)i, err) < 0)
            return -1;
    kafka_put_i32(w, req->timeout_ms);
    kafka_put_i8(w, req->validate_only ? 1 : 0);
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "CreateTopics v%d request", version);
    return 0;
}

static void decode_created(kafka_reader *r, kafka_arena *a, int16_t version, kafka_created_topic *t)
{
    int32_t i, n;

    kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &t->name);
    if (version >= 7)
        kafka_read_uuid(r, "topic_id", &t->topic_id);
    kafka_read_i16(r, "error_code", &t->error_code);
    kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &t->error_message);
    kafka_read_i32(r, "num_partitions", &t->num_partitions);
    kafka_read_i16(r, "replication_factor", &t->replication_factor);
    kafka_read_count(r, 1, "configs", KAFKA_NULLABLE, CONFIG_MIN, &n);
    t->n_configs = n < 0 ? -1 : 0;
    t->configs = kafka_read_alloc(r, a, "configs", n, sizeof *t->configs);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_created_config *c = &t->configs[i];

        kafka_reader_enter(r, "configs", i);
        kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &c->name);
        kafka_read_dup_string(r, a, 1, "value", KAFKA_NULLABLE, &c->value);
        kafka_read_bool(r, "read_only", &c->read_only);
        kafka_read_i8(r, "config_source", &c->config_source);
        kafka_read_bool(r, "is_sensitive", &c->is_sensitive);
        kafka_read_skip_tags(r, "tagged_fields");
        kafka_reader_leave(r);
        t->n_configs = i + 1;
    }
    /* Tag 0, TopicConfigErrorCode, is skipped with any other tag. */
    kafka_read_skip_tags(r, "tagged_fields");
}

static int decode_create(kafka_reader *r, int16_t version, kafka_create_topics_response *res)
{
    int32_t i, n;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_count(r, 1, "topics", KAFKA_NOT_NULL, CREATED_MIN, &n);
    res->topics = kafka_read_alloc(r, &res->arena, "topics", n, sizeof *res->topics);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "topics", i);
        decode_created(r, &res->arena, version, &res->topics[i]);
        kafka_reader_leave(r);
        res->n_topics = i + 1;
    }
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_create_topics_decode(const void *body, size_t len, int16_t version,
                               kafka_create_topics_response **out, util_err *err)
{
    kafka_create_topics_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_CREATE_TOPICS_MIN || version > KAFKA_CREATE_TOPICS_MAX)
        return util_err_set(err, "CreateTopics response: version %d not spoken (%d..%d)", version,
                            KAFKA_CREATE_TOPICS_MIN, KAFKA_CREATE_TOPICS_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "CreateTopics response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_create(&r, version, res) < 0) {
        kafka_create_topics_free(res);
        return util_err_prefix(err, "CreateTopics v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_create_topics_free(kafka_create_topics_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_create_topics_call(kafka_conn *c, const kafka_api_versions *av,
                             const kafka_create_topics_request *req, int timeout_ms,
                             kafka_create_topics_response **out, util_err *err)
{
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_CREATE_TOPICS, KAFKA_CREATE_TOPICS_MIN,
                        KAFKA_CREATE_TOPICS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_create_topics_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_CREATE_TOPICS, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_create_topics_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    return 0;
}

/* ---- DeleteTopics ---- */

int kafka_delete_topics_encode(kafka_writer *w, int16_t version,
                               const kafka_delete_topics_request *req, util_err *err)
{
    int32_t i;

    if (version < KAFKA_DELETE_TOPICS_MIN || version > KAFKA_DELETE_TOPICS_MAX)
        return util_err_set(err, "DeleteTopics request: version %d not spoken (%d..%d)", version,
                            KAFKA_DELETE_TOPICS_MIN, KAFKA_DELETE_TOPICS_MAX);
    if (req->n_names < 0 || (req->n_names > 0 && req->names == NULL))
        return util_err_set(err, "DeleteTopics request: no topics given");
    kafka_put_compact_array_len(w, req->n_names);
    for (i = 0; i < req->n_names; i++) {
        if (req->names[i] == NULL)
            return util_err_set(err, "DeleteTopics request: names[%ld] missing", (long)i);
        kafka_put_compact_string(w, req->names[i]);
        if (version >= 6) { /* a struct per topic: name, id (zero: by name), tags */
            kafka_put_uuid(w, zero_uuid);
            kafka_put_empty_tags(w);
        }
    }
    kafka_put_i32(w, req->timeout_ms);
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "DeleteTopics v%d request", version);
    return 0;
}

static int decode_delete(kafka_reader *r, int16_t version, kafka_delete_topics_response *res)
{
    kafka_arena *a = &res->arena;
    int32_t i, n;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_count(r, 1, "responses", KAFKA_NOT_NULL, DELETED_MIN, &n);
    res->topics = kafka_read_alloc(r, a, "responses", n, sizeof *res->topics);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_deleted_topic *t = &res->topics[i];

        kafka_reader_enter(r, "responses", i);
        kafka_read_dup_string(r, a, 1, "name", version >= 6 ? KAFKA_NULLABLE : KAFKA_NOT_NULL,
                              &t->name);
        if (version >= 6)
            kafka_read_uuid(r, "topic_id", &t->topic_id);
        kafka_read_i16(r, "error_code", &t->error_code);
        if (version >= 5)
            kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &t->error_message);
        kafka_read_skip_tags(r, "tagged_fields");
        kafka_reader_leave(r);
        res->n_topics = i + 1;
    }
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_delete_topics_decode(const void *body, size_t len, int16_t version,
                               kafka_delete_topics_response **out, util_err *err)
{
    kafka_delete_topics_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_DELETE_TOPICS_MIN || version > KAFKA_DELETE_TOPICS_MAX)
        return util_err_set(err, "DeleteTopics response: version %d not spoken (%d..%d)", version,
                            KAFKA_DELETE_TOPICS_MIN, KAFKA_DELETE_TOPICS_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "DeleteTopics response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_delete(&r, version, res) < 0) {
        kafka_delete_topics_free(res);
        return util_err_prefix(err, "DeleteTopics v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_delete_topics_free(kafka_delete_topics_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_delete_topics_call(kafka_conn *c, const kafka_api_versions *av,
                             const kafka_delete_topics_request *req, int timeout_ms,
                             kafka_delete_topics_response **out, util_err *err)
{
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_DELETE_TOPICS, KAFKA_DELETE_TOPICS_MIN,
                        KAFKA_DELETE_TOPICS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_delete_topics_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_DELETE_TOPICS, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_delete_topics_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    return 0;
}
