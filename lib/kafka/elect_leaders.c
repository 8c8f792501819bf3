/* The ElectLeaders request and response, and batched elections; see
 * elect_leaders.h. Field layout per the protocol's ElectLeaders message
 * definitions for v0..v2. */
#include "kafka/elect_leaders.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/call.h"
#include "kafka/proto.h"

#define FLEXIBLE(v) ((v) >= 2)

#define TOPIC_MIN     3 /* name, partitions, tags (compact) */
#define PARTITION_MIN 8 /* id, error code, message, tags */

int kafka_elect_leaders_encode(kafka_writer *w, int16_t version,
                               const kafka_elect_leaders_request *req, util_err *err)
{
    int flex = FLEXIBLE(version);
    int32_t i;

    if (version < KAFKA_ELECT_LEADERS_MIN || version > KAFKA_ELECT_LEADERS_MAX)
        return util_err_set(err, "ElectLeaders request: version %d not spoken (%d..%d)", version,
                            KAFKA_ELECT_LEADERS_MIN, KAFKA_ELECT_LEADERS_MAX);
    if (version == 0 && req->election_type != KAFKA_ELECTION_PREFERRED)
        return util_err_set(err, "ElectLeaders v0 request: only preferred elections before v1");
    if (version >= 1)
        kafka_put_i8(w, req->election_type);
    if (req->topics == NULL) {
        kafka_put_flex_array_len(w, flex, -1);
    } else {
        if (req->n_topics < 0)
            return util_err_set(err, "ElectLeaders request: negative topic count");
        kafka_put_flex_array_len(w, flex, req->n_topics);
        for (i = 0; i < req->n_topics; i++) {
            const kafka_topic_partitions *t = &req->topics[i];

            if (t->topic == NULL)
                return util_err_set(err,
                                    "ElectLeaders request: topic_partitions[%ld]: name "
                                    "missing",
                                    (long)i);
            kafka_put_flex_string(w, flex, t->topic);
            kafka_put_int32_array(w, flex, t->partitions, t->n_partitions);
            kafka_put_flex_tags(w, flex);
        }
    }
    kafka_put_i32(w, req->timeout_ms);
    kafka_put_flex_tags(w, flex);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "ElectLeaders v%d request", version);
    return 0;
}

static void decode_topic(kafka_reader *r, kafka_arena *a, int flex, kafka_elect_topic_result *t)
{
    int32_t i, n;

    kafka_read_dup_string(r, a, flex, "topic", KAFKA_NOT_NULL, &t->topic);
    kafka_read_count(r, flex, "partition_result", KAFKA_NOT_NULL, PARTITION_MIN, &n);
    t->partitions = kafka_read_alloc(r, a, "partition_result", n, sizeof *t->partitions);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_elect_partition_result *p = &t->partitions[i];

        kafka_reader_enter(r, "partition_result", i);
        kafka_read_i32(r, "partition_id", &p->partition);
        kafka_read_i16(r, "error_code", &p->error_code);
        kafka_read_dup_string(r, a, flex, "error_message", KAFKA_NULLABLE, &p->error_message);
        kafka_read_flex_tags(r, flex, "tagged_fields");
        kafka_reader_leave(r);
        t->n_partitions = i + 1;
    }
    kafka_read_flex_tags(r, flex, "tagged_fields");
}

static int decode_body(kafka_reader *r, int16_t version, kafka_elect_leaders_response *res)
{
    int flex = FLEXIBLE(version);
    int32_t i, n;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    if (version >= 1)
        kafka_read_i16(r, "error_code", &res->error_code);
    kafka_read_count(r, flex, "replica_election_results", KAFKA_NOT_NULL, TOPIC_MIN, &n);
    res->topics =
        kafka_read_alloc(r, &res->arena, "replica_election_results", n, sizeof *res->topics);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "replica_election_results", i);
        decode_topic(r, &res->arena, flex, &res->topics[i]);
        kafka_reader_leave(r);
        res->n_topics = i + 1;
    }
    kafka_read_flex_tags(r, flex, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_elect_leaders_decode(const void *body, size_t len, int16_t version,
                               kafka_elect_leaders_response **out, util_err *err)
{
    kafka_elect_leaders_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_ELECT_LEADERS_MIN || version > KAFKA_ELECT_LEADERS_MAX)
        return util_err_set(err, "ElectLeaders response: version %d not spoken (%d..%d)", version,
                            KAFKA_ELECT_LEADERS_MIN, KAFKA_ELECT_LEADERS_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "ElectLeaders response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_body(&r, version, res) < 0) {
        kafka_elect_leaders_free(res);
        return util_err_prefix(err, "ElectLeaders v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_elect_leaders_free(kafka_elect_leaders_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_elect_leaders_call(kafka_conn *c, const kafka_api_versions *av,
                             const kafka_elect_leaders_request *req, int timeout_ms,
                             kafka_elect_leaders_response **out, util_err *err)
{
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_ELECT_LEADERS, KAFKA_ELECT_LEADERS_MIN,
                        KAFKA_ELECT_LEADERS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_elect_leaders_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc =
            kafka_call_send(c, KAFKA_API_ELECT_LEADERS, v, FLEXIBLE(v), &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_elect_leaders_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if ((*out)->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, KAFKA_API_ELECT_LEADERS, v, (*out)->error_code, NULL, err);
        kafka_elect_leaders_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Appends more's topics to into's and takes over more's memory; frees more.
 * -1 only out of memory (into unchanged then, more freed). */
static int merge(kafka_elect_leaders_response *into, kafka_elect_leaders_response *more)
{
    kafka_elect_topic_result *all;
    int32_t n;

    if (more->n_topics > INT32_MAX - into->n_topics) {
        kafka_elect_leaders_free(more);
        return -1;
    }
    n = into->n_topics + more->n_topics;
    if (n > 0) {
        all = kafka_arena_alloc(&into->arena, (size_t)n, sizeof *all);
        if (all == NULL) {
            kafka_elect_leaders_free(more);
            return -1;
        }
        if (into->n_topics > 0)
            memcpy(all, into->topics, (size_t)into->n_topics * sizeof *all);
        if (more->n_topics > 0)
            memcpy(all + into->n_topics, more->topics, (size_t)more->n_topics * sizeof *all);
        into->topics = all;
        into->n_topics = n;
    }
    if (more->throttle_time_ms > into->throttle_time_ms)
        into->throttle_time_ms = more->throttle_time_ms;
    kafka_arena_adopt(&into->arena, &more->arena);
    kafka_elect_leaders_free(more);
    return 0;
}

int kafka_elect_leaders_batched(kafka_conn *c, const kafka_api_versions *av,
                                const kafka_elect_leaders_request *req, int32_t batch_size,
                                int timeout_ms, kafka_elect_leaders_response **out, util_err *err)
{
    kafka_elect_leaders_response *all = NULL, *one;
    kafka_topic_partitions *slice;
    kafka_elect_leaders_request part = *req;
    kafka_tp_cursor cur = {0, 0};
    int32_t n, batch = 0, done = 0;

    *out = NULL;
    if (req->topics == NULL)
        return kafka_elect_leaders_call(c, av, req, timeout_ms, out, err);
    if (batch_size <= 0)
        return util_err_set(err, "ElectLeaders: batch size must be positive, not %ld",
                            (long)batch_size);
    if (req->n_topics <= 0)
        return kafka_elect_leaders_call(c, av, req, timeout_ms, out, err);
    n = req->n_topics < batch_size ? req->n_topics : batch_size;
    slice = calloc((size_t)n, sizeof *slice);
    if (slice == NULL)
        return util_err_set(err, "ElectLeaders: out of memory");
    while ((n = kafka_tp_batch_next(req->topics, req->n_topics, batch_size, &cur, slice)) > 0) {
        int32_t i, k = 0;

        for (i = 0; i < n; i++)
            k += slice[i].n_partitions;
        part.topics = slice;
        part.n_topics = n;
        if (kafka_elect_leaders_call(c, av, &part, timeout_ms, &one, err) < 0) {
            util_err_prefix(err, "elections batch %ld (partitions %ld..%ld of the set)",
                            (long)batch + 1, (long)done + 1, (long)done + k);
            kafka_elect_leaders_free(all);
            free(slice);
            return -1;
        }
        if (all == NULL) {
            all = one;
        } else if (merge(all, one) < 0) {
            kafka_elect_leaders_free(all);
            free(slice);
            return util_err_set(err, "ElectLeaders: merging batch %ld: out of memory", (long)batch);
        }
        batch++;
        done += k;
    }
    free(slice);
    if (all == NULL) /* no partitions at all: still ask, as the caller did */
        return kafka_elect_leaders_call(c, av, req, timeout_ms, out, err);
    *out = all;
    return 0;
}

const kafka_elect_partition_result *
kafka_elect_leaders_find(const kafka_elect_leaders_response *res, const char *topic,
                         int32_t partition)
{
    int32_t t, p;

    for (t = 0; t < res->n_topics; t++) {
        if (strcmp(res->topics[t].topic, topic) != 0)
            continue;
        for (p = 0; p < res->topics[t].n_partitions; p++)
            if (res->topics[t].partitions[p].partition == partition)
                return &res->topics[t].partitions[p];
    }
    return NULL;
}
