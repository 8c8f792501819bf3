/* The Metadata request and response, and lookups over a decoded answer; see
 * metadata.h. Field layout per the protocol's Metadata message definitions
 * for v4..v13. */
#include "kafka/metadata.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/call.h"
#include "kafka/proto.h"

#define FLEXIBLE(v) ((v) >= 9)

/* Smallest wire sizes, for kafka_read_count. */
#define BROKER_MIN    11
#define TOPIC_MIN     9
#define PARTITION_MIN 18

static const unsigned char zero_uuid[16];

int kafka_metadata_encode(kafka_writer *w, int16_t version, const kafka_metadata_request *req,
                          util_err *err)
{
    int flex = FLEXIBLE(version);
    int32_t i;

    if (version < KAFKA_METADATA_MIN || version > KAFKA_METADATA_MAX)
        return util_err_set(err, "Metadata request: version %d not spoken (%d..%d)", version,
                            KAFKA_METADATA_MIN, KAFKA_METADATA_MAX);
    if (req->topics == NULL) {
        kafka_put_flex_array_len(w, flex, -1);
    } else {
        if (req->n_topics < 0)
            return util_err_set(err, "Metadata request: negative topic count");
        kafka_put_flex_array_len(w, flex, req->n_topics);
        for (i = 0; i < req->n_topics; i++) {
            if (req->topics[i] == NULL)
                return util_err_set(err, "Metadata request: topics[%ld]: name missing", (long)i);
            if (version >= 10)
                kafka_put_uuid(w, zero_uuid);
            kafka_put_flex_string(w, flex, req->topics[i]);
            kafka_put_flex_tags(w, flex);
        }
    }
    kafka_put_i8(w, 0); /* allow_auto_topic_creation: never */
    if (version >= 8 && version <= 10)
        kafka_put_i8(w, 0); /* include_cluster_authorized_operations */
    if (version >= 8)
        kafka_put_i8(w, 0); /* include_topic_authorized_operations */
    kafka_put_flex_tags(w, flex);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "Metadata v%d request", version);
    return 0;
}

static void decode_partition(kafka_reader *r, kafka_arena *a, int16_t version,
                             kafka_metadata_partition *p)
{
    int flex = FLEXIBLE(version);

    kafka_read_i16(r, "error_code", &p->error_code);
    kafka_read_i32(r, "partition_index", &p->index);
    kafka_read_i32(r, "leader_id", &p->leader);
    p->leader_epoch = -1;
    if (version >= 7)
        kafka_read_i32(r, "leader_epoch", &p->leader_epoch);
    kafka_read_int32_array(r, a, flex, "replica_nodes", KAFKA_NOT_NULL, &p->replicas,
                           &p->n_replicas);
    kafka_read_int32_array(r, a, flex, "isr_nodes", KAFKA_NOT_NULL, &p->isr, &p->n_isr);
    if (version >= 5)
        kafka_read_int32_array(r, a, flex, "offline_replicas", KAFKA_NOT_NULL, &p->offline,
                               &p->n_offline);
    kafka_read_flex_tags(r, flex, "tagged_fields");
}

static void decode_topic(kafka_reader *r, kafka_arena *a, int16_t version, kafka_metadata_topic *t)
{
    int flex = FLEXIBLE(version);
    int32_t i, n, auth;

    kafka_read_i16(r, "error_code", &t->error_code);
    kafka_read_dup_string(r, a, flex, "name", version >= 12 ? KAFKA_NULLABLE : KAFKA_NOT_NULL,
                          &t->name);
    if (version >= 10)
        kafka_read_uuid(r, "topic_id", &t->topic_id);
    kafka_read_bool(r, "is_internal", &t->is_internal);
    kafka_read_count(r, flex, "partitions", KAFKA_NOT_NULL, PARTITION_MIN, &n);
    t->partitions = kafka_read_alloc(r, a, "partitions", n, sizeof *t->partitions);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "partitions", i);
        decode_partition(r, a, version, &t->partitions[i]);
        kafka_reader_leave(r);
        t->n_partitions = i + 1;
    }
    if (version >= 8)
        kafka_read_i32(r, "topic_authorized_operations", &auth);
    kafka_read_flex_tags(r, flex, "tagged_fields");
}

static int decode_body(kafka_reader *r, int16_t version, kafka_metadata *md)
{
    int flex = FLEXIBLE(version);
    kafka_arena *a = &md->arena;
    int32_t i, n, auth;

    kafka_read_i32(r, "throttle_time_ms", &md->throttle_time_ms);
    kafka_read_count(r, flex, "brokers", KAFKA_NOT_NULL, BROKER_MIN, &n);
    md->brokers = kafka_read_alloc(r, a, "brokers", n, sizeof *md->brokers);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_metadata_broker *b = &md->brokers[i];

        kafka_reader_enter(r, "brokers", i);
        kafka_read_i32(r, "node_id", &b->node_id);
        kafka_read_dup_string(r, a, flex, "host", KAFKA_NOT_NULL, &b->host);
        kafka_read_i32(r, "port", &b->port);
        kafka_read_dup_string(r, a, flex, "rack", KAFKA_NULLABLE, &b->rack);
        kafka_read_flex_tags(r, flex, "tagged_fields");
        kafka_reader_leave(r);
        md->n_brokers = i + 1;
    }
    kafka_read_dup_string(r, a, flex, "cluster_id", KAFKA_NULLABLE, &md->cluster_id);
    kafka_read_i32(r, "controller_id", &md->controller_id);
    kafka_read_count(r, flex, "topics", KAFKA_NOT_NULL, TOPIC_MIN, &n);
    md->topics = kafka_read_alloc(r, a, "topics", n, sizeof *md->topics);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "topics", i);
        decode_topic(r, a, version, &md->topics[i]);
        kafka_reader_leave(r);
        md->n_topics = i + 1;
    }
    if (version >= 8 && version <= 10)
        kafka_read_i32(r, "cluster_authorized_operations", &auth);
    if (version >= 13)
        kafka_read_i16(r, "error_code", &md->error_code);
    kafka_read_flex_tags(r, flex, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_metadata_decode(const void *body, size_t len, int16_t version, kafka_metadata **out,
                          util_err *err)
{
    kafka_metadata *md;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_METADATA_MIN || version > KAFKA_METADATA_MAX)
        return util_err_set(err, "Metadata response: version %d not spoken (%d..%d)", version,
                            KAFKA_METADATA_MIN, KAFKA_METADATA_MAX);
    md = calloc(1, sizeof *md);
    if (md == NULL)
        return util_err_set(err, "Metadata response: out of memory");
    kafka_arena_init(&md->arena);
    md->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_body(&r, version, md) < 0) {
        kafka_metadata_free(md);
        return util_err_prefix(err, "Metadata v%d response", version);
    }
    *out = md;
    return 0;
}

void kafka_metadata_free(kafka_metadata *md)
{
    if (md == NULL)
        return;
    kafka_arena_release(&md->arena);
    free(md);
}

int kafka_metadata_call(kafka_conn *c, const kafka_api_versions *av,
                        const kafka_metadata_request *req, int timeout_ms, kafka_metadata **out,
                        util_err *err)
{
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_METADATA, KAFKA_METADATA_MIN, KAFKA_METADATA_MAX, &v,
                        err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_metadata_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_METADATA, v, FLEXIBLE(v), &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_metadata_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if ((*out)->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, KAFKA_API_METADATA, v, (*out)->error_code, NULL, err);
        kafka_metadata_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- lookups ---- */

const kafka_metadata_broker *kafka_metadata_broker_find(const kafka_metadata *md, int32_t node_id)
{
    int32_t i;

    for (i = 0; i < md->n_brokers; i++)
        if (md->brokers[i].node_id == node_id)
            return &md->brokers[i];
    return NULL;
}

const kafka_metadata_topic *kafka_metadata_topic_find(const kafka_metadata *md, const char *name)
{
    int32_t i;

    for (i = 0; i < md->n_topics; i++)
        if (md->topics[i].name != NULL && strcmp(md->topics[i].name, name) == 0)
            return &md->topics[i];
    return NULL;
}

const kafka_metadata_partition *kafka_metadata_partition_find(const kafka_metadata *md,
                                                              const char *topic, int32_t index)
{
    const kafka_metadata_topic *t = kafka_metadata_topic_find(md, topic);
    int32_t i;

    if (t == NULL)
        return NULL;
    /* Brokers list partitions by index; look there first. */
    if (index >= 0 && index < t->n_partitions && t->partitions[index].index == index)
        return &t->partitions[index];
    for (i = 0; i < t->n_partitions; i++)
        if (t->partitions[i].index == index)
            return &t->partitions[i];
    return NULL;
}

int kafka_int32_contains(const int32_t *ids, int32_t n, int32_t id)
{
    int32_t i;

    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static int selects(const kafka_metadata_partition *p, int32_t broker_id, int led)
{
    return led ? p->leader == broker_id
               : kafka_int32_contains(p->replicas, p->n_replicas, broker_id);
}

/* Collects the partitions that selects() picks, in two passes: count, fill. */
static int select_refs(const kafka_metadata *md, int32_t broker_id, int led,
                       kafka_metadata_refs **out, util_err *err)
{
    kafka_metadata_refs *s;
    int32_t t, p, n = 0;

    *out = NULL;
    for (t = 0; t < md->n_topics; t++)
        for (p = 0; p < md->topics[t].n_partitions; p++)
            n += selects(&md->topics[t].partitions[p], broker_id, led);
    s = calloc(1, sizeof *s);
    if (s == NULL || (n > 0 && (s->refs = calloc((size_t)n, sizeof *s->refs)) == NULL)) {
        free(s);
        return util_err_set(err, "metadata: selecting %ld partitions: out of memory", (long)n);
    }
    for (t = 0; t < md->n_topics; t++) {
        for (p = 0; p < md->topics[t].n_partitions; p++) {
            if (!selects(&md->topics[t].partitions[p], broker_id, led))
                continue;
            s->refs[s->n].topic = &md->topics[t];
            s->refs[s->n].partition = &md->topics[t].partitions[p];
            s->n++;
        }
    }
    *out = s;
    return 0;
}

int kafka_metadata_led_by(const kafka_metadata *md, int32_t broker_id, kafka_metadata_refs **out,
                          util_err *err)
{
    return select_refs(md, broker_id, 1, out, err);
}

int kafka_metadata_replicated_by(const kafka_metadata *md, int32_t broker_id,
                                 kafka_metadata_refs **out, util_err *err)
{
    return select_refs(md, broker_id, 0, out, err);
}

void kafka_metadata_refs_free(kafka_metadata_refs *refs)
{
    if (refs == NULL)
        return;
    free(refs->refs);
    free(refs);
}
