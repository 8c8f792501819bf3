/* The ListPartitionReassignments and AlterPartitionReassignments requests
 * and responses; see reassign.h. Field layout per the protocol's message
 * definitions (List v0, Alter v0..v1; every version flexible). */
#include "kafka/reassign.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/call.h"
#include "kafka/proto.h"

#define TOPIC_MIN            3 /* name, partitions, tags */
#define ONGOING_MIN          8 /* index, three arrays, tags */
#define PARTITION_RESULT_MIN 8 /* index, error code, message, tags */

/* One partition, then one topic, of each answer's topic list. */

static void decode_ongoing_partition(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_ongoing_partition *p = elem;

    (void)version;
    kafka_read_i32(r, "partition_index", &p->index);
    kafka_read_int32_array(r, a, 1, "replicas", KAFKA_NOT_NULL, &p->replicas, &p->n_replicas);
    kafka_read_int32_array(r, a, 1, "adding_replicas", KAFKA_NOT_NULL, &p->adding, &p->n_adding);
    kafka_read_int32_array(r, a, 1, "removing_replicas", KAFKA_NOT_NULL, &p->removing,
                           &p->n_removing);
    kafka_read_skip_tags(r, "tagged_fields");
}

static void decode_ongoing(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_ongoing_topic *t = elem;

    kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &t->name);
    t->partitions =
        kafka_read_struct_array(r, a, 1, "partitions", ONGOING_MIN, sizeof *t->partitions,
                                decode_ongoing_partition, version, &t->n_partitions);
    kafka_read_skip_tags(r, "tagged_fields");
}

static void decode_partition_result(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_reassign_partition_result *p = elem;

    (void)version;
    kafka_read_i32(r, "partition_index", &p->index);
    kafka_read_i16(r, "error_code", &p->error_code);
    kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &p->error_message);
    kafka_read_skip_tags(r, "tagged_fields");
}

static void decode_reassign_result(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_reassign_topic_result *t = elem;

    kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &t->name);
    t->partitions =
        kafka_read_struct_array(r, a, 1, "partitions", PARTITION_RESULT_MIN, sizeof *t->partitions,
                                decode_partition_result, version, &t->n_partitions);
    kafka_read_skip_tags(r, "tagged_fields");
}

/* ---- ListPartitionReassignments ---- */

int kafka_list_partition_reassignments_encode(kafka_writer *w, int16_t version,
                                              const kafka_list_partition_reassignments_request *req,
                                              util_err *err)
{
    int32_t i;

    if (kafka_version_check("ListPartitionReassignments request", version,
                            KAFKA_LIST_PARTITION_REASSIGNMENTS_MIN,
                            KAFKA_LIST_PARTITION_REASSIGNMENTS_MAX, err) < 0)
        return -1;
    kafka_put_i32(w, req->timeout_ms);
    if (req->topics == NULL) {
        kafka_put_compact_array_len(w, -1);
    } else {
        if (req->n_topics < 0)
            return util_err_set(err, "ListPartitionReassignments request: negative topic count");
        kafka_put_compact_array_len(w, req->n_topics);
        for (i = 0; i < req->n_topics; i++) {
            const kafka_topic_partitions *t = &req->topics[i];

            if (t->topic == NULL)
                return util_err_set(err,
                                    "ListPartitionReassignments request: topics[%ld]: "
                                    "name missing",
                                    (long)i);
            kafka_put_compact_string(w, t->topic);
            kafka_put_int32_array(w, 1, t->partitions, t->n_partitions);
            kafka_put_empty_tags(w);
        }
    }
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "ListPartitionReassignments v%d request", version);
    return 0;
}

static int decode_list(kafka_reader *r, kafka_list_partition_reassignments_response *res)
{
    kafka_arena *a = &res->arena;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_i16(r, "error_code", &res->error_code);
    kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &res->error_message);
    res->topics = kafka_read_struct_array(r, a, 1, "topics", TOPIC_MIN, sizeof *res->topics,
                                          decode_ongoing, res->version, &res->n_topics);
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_list_partition_reassignments_decode(const void *body, size_t len, int16_t version,
                                              kafka_list_partition_reassignments_response **out,
                                              util_err *err)
{
    kafka_list_partition_reassignments_response *res;
    kafka_reader r;

    *out = NULL;
    if (kafka_version_check("ListPartitionReassignments response", version,
                            KAFKA_LIST_PARTITION_REASSIGNMENTS_MIN,
                            KAFKA_LIST_PARTITION_REASSIGNMENTS_MAX, err) < 0)
        return -1;
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "ListPartitionReassignments response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_list(&r, res) < 0) {
        kafka_list_partition_reassignments_free(res);
        return util_err_prefix(err, "ListPartitionReassignments v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_list_partition_reassignments_free(kafka_list_partition_reassignments_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_list_partition_reassignments_call(kafka_conn *c, const kafka_api_versions *av,
                                            const kafka_list_partition_reassignments_request *req,
                                            int timeout_ms,
                                            kafka_list_partition_reassignments_response **out,
                                            util_err *err)
{
    const int16_t key = KAFKA_API_LIST_PARTITION_REASSIGNMENTS;
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, key, KAFKA_LIST_PARTITION_REASSIGNMENTS_MIN,
                        KAFKA_LIST_PARTITION_REASSIGNMENTS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_list_partition_reassignments_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, key, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_list_partition_reassignments_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if ((*out)->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, key, v, (*out)->error_code, (*out)->error_message, err);
        kafka_list_partition_reassignments_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

const kafka_ongoing_partition *
kafka_list_partition_reassignments_find(const kafka_list_partition_reassignments_response *res,
                                        const char *topic, int32_t index)
{
    int32_t t, p;

    for (t = 0; t < res->n_topics; t++) {
        if (strcmp(res->topics[t].name, topic) != 0)
            continue;
        for (p = 0; p < res->topics[t].n_partitions; p++)
            if (res->topics[t].partitions[p].index == index)
                return &res->topics[t].partitions[p];
    }
    return NULL;
}

/* ---- AlterPartitionReassignments ---- */

int kafka_alter_partition_reassignments_encode(
    kafka_writer *w, int16_t version, const kafka_alter_partition_reassignments_request *req,
    util_err *err)
{
    int32_t i, j;

    if (kafka_version_check("AlterPartitionReassignments request", version,
                            KAFKA_ALTER_PARTITION_REASSIGNMENTS_MIN,
                            KAFKA_ALTER_PARTITION_REASSIGNMENTS_MAX, err) < 0)
        return -1;
    if (req->keep_replication_factor && version < 1)
        return util_err_set(err,
                            "AlterPartitionReassignments v%d request: the broker cannot "
                            "be asked to keep the replication factor before v1",
                            version);
    if (req->n_topics < 0 || (req->n_topics > 0 && req->topics == NULL))
        return util_err_set(err, "AlterPartitionReassignments request: no topics given");
    kafka_put_i32(w, req->timeout_ms);
    if (version >= 1)
        kafka_put_i8(w, req->keep_replication_factor ? 0 : 1);
    kafka_put_compact_array_len(w, req->n_topics);
    for (i = 0; i < req->n_topics; i++) {
        const kafka_reassign_topic *t = &req->topics[i];

        if (t->name == NULL || t->n_partitions < 0 ||
            (t->n_partitions > 0 && t->partitions == NULL))
            return util_err_set(err,
                                "AlterPartitionReassignments request: topics[%ld]: name "
                                "or partitions missing",
                                (long)i);
        kafka_put_compact_string(w, t->name);
        kafka_put_compact_array_len(w, t->n_partitions);
        for (j = 0; j < t->n_partitions; j++) {
            const kafka_reassign_partition *p = &t->partitions[j];

            kafka_put_i32(w, p->index);
            kafka_put_int32_array(w, 1, p->replicas, p->replicas ? p->n_replicas : -1);
            kafka_put_empty_tags(w);
        }
        kafka_put_empty_tags(w);
    }
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "AlterPartitionReassignments v%d request", version);
    return 0;
}

static int decode_alter(kafka_reader *r, int16_t version,
                        kafka_alter_partition_reassignments_response *res)
{
    kafka_arena *a = &res->arena;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    res->allow_replication_factor_change = 1;
    if (version >= 1)
        kafka_read_bool(r, "allow_replication_factor_change",
                        &res->allow_replication_factor_change);
    kafka_read_i16(r, "error_code", &res->error_code);
    kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &res->error_message);
    res->topics = kafka_read_struct_array(r, a, 1, "responses", TOPIC_MIN, sizeof *res->topics,
                                          decode_reassign_result, version, &res->n_topics);
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_alter_partition_reassignments_decode(const void *body, size_t len, int16_t version,
                                               kafka_alter_partition_reassignments_response **out,
                                               util_err *err)
{
    kafka_alter_partition_reassignments_response *res;
    kafka_reader r;

    *out = NULL;
    if (kafka_version_check("AlterPartitionReassignments response", version,
                            KAFKA_ALTER_PARTITION_REASSIGNMENTS_MIN,
                            KAFKA_ALTER_PARTITION_REASSIGNMENTS_MAX, err) < 0)
        return -1;
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "AlterPartitionReassignments response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_alter(&r, version, res) < 0) {
        kafka_alter_partition_reassignments_free(res);
        return util_err_prefix(err, "AlterPartitionReassignments v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_alter_partition_reassignments_free(kafka_alter_partition_reassignments_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_alter_partition_reassignments_keeps_rf(const kafka_api_versions *av)
{
    const kafka_api_range *r = kafka_api_versions_find(av, KAFKA_API_ALTER_PARTITION_REASSIGNMENTS);

    return r != NULL && r->max_version >= 1;
}

int kafka_alter_partition_reassignments_call(kafka_conn *c, const kafka_api_versions *av,
                                             const kafka_alter_partition_reassignments_request *req,
                                             int timeout_ms,
                                             kafka_alter_partition_reassignments_response **out,
                                             util_err *err)
{
    const int16_t key = KAFKA_API_ALTER_PARTITION_REASSIGNMENTS;
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, key, KAFKA_ALTER_PARTITION_REASSIGNMENTS_MIN,
                        KAFKA_ALTER_PARTITION_REASSIGNMENTS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_alter_partition_reassignments_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, key, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_alter_partition_reassignments_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if ((*out)->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, key, v, (*out)->error_code, (*out)->error_message, err);
        kafka_alter_partition_reassignments_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
