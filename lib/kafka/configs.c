/* The DescribeConfigs and IncrementalAlterConfigs requests and responses;
 * see configs.h. Field layout per the protocol's message definitions
 * (DescribeConfigs v1..v4, IncrementalAlterConfigs v0..v1). */
#include "kafka/configs.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/call.h"
#include "kafka/proto.h"

#define DESCRIBE_FLEXIBLE(v) ((v) >= 4)
#define ALTER_FLEXIBLE(v)    ((v) >= 1)

/* Smallest wire sizes, for kafka_read_count (the compact forms). */
#define RESULT_MIN       7 /* error, message, type, name, configs, tags */
#define ENTRY_MIN        9 /* name, value, three flags, synonyms, ... */
#define SYNONYM_MIN      4 /* name, value, source, tags */
#define ALTER_RESULT_MIN 6 /* error, message, type, name, tags */

/* ---- DescribeConfigs ---- */

int kafka_describe_configs_encode(kafka_writer *w, int16_t version,
                                  const kafka_describe_configs_request *req, util_err *err)
{
    int flex = DESCRIBE_FLEXIBLE(version);
    int32_t i, k;

    if (version < KAFKA_DESCRIBE_CONFIGS_MIN || version > KAFKA_DESCRIBE_CONFIGS_MAX)
        return util_err_set(err, "DescribeConfigs request: version %d not spoken (%d..%d)", version,
                            KAFKA_DESCRIBE_CONFIGS_MIN, KAFKA_DESCRIBE_CONFIGS_MAX);
    if (req->n_resources < 0 || (req->n_resources > 0 && req->resources == NULL))
        return util_err_set(err, "DescribeConfigs request: no resources given");
    kafka_put_flex_array_len(w, flex, req->n_resources);
    for (i = 0; i < req->n_resources; i++) {
        const kafka_config_resource *res = &req->resources[i];

        if (res->name == NULL)
            return util_err_set(err, "DescribeConfigs request: resources[%ld]: name missing",
                                (long)i);
        kafka_put_i8(w, res->type);
        kafka_put_flex_string(w, flex, res->name);
        if (res->keys == NULL) {
            kafka_put_flex_array_len(w, flex, -1);
        } else {
            kafka_put_flex_array_len(w, flex, res->n_keys);
            for (k = 0; k < res->n_keys; k++) {
                if (res->keys[k] == NULL)
                    return util_err_set(err,
                                        "DescribeConfigs request: resources[%ld]: "
                                        "keys[%ld] missing",
                                        (long)i, (long)k);
                kafka_put_flex_string(w, flex, res->keys[k]);
            }
        }
        kafka_put_flex_tags(w, flex);
    }
    kafka_put_i8(w, req->include_synonyms ? 1 : 0);
    if (version >= 3)
        kafka_put_i8(w, req->include_documentation ? 1 : 0);
    kafka_put_flex_tags(w, flex);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "DescribeConfigs v%d request", version);
    return 0;
}

static void decode_entry(kafka_reader *r, kafka_arena *a, int16_t version, kafka_config_entry *e)
{
    int flex = DESCRIBE_FLEXIBLE(version);
    int32_t i, n;

    kafka_read_dup_string(r, a, flex, "name", KAFKA_NOT_NULL, &e->name);
    kafka_read_dup_string(r, a, flex, "value", KAFKA_NULLABLE, &e->value);
    kafka_read_bool(r, "read_only", &e->read_only);
    kafka_read_i8(r, "config_source", &e->config_source);
    kafka_read_bool(r, "is_sensitive", &e->is_sensitive);
    kafka_read_count(r, flex, "synonyms", KAFKA_NOT_NULL, SYNONYM_MIN, &n);
    e->synonyms = kafka_read_alloc(r, a, "synonyms", n, sizeof *e->synonyms);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_config_synonym *s = &e->synonyms[i];

        kafka_reader_enter(r, "synonyms", i);
        kafka_read_dup_string(r, a, flex, "name", KAFKA_NOT_NULL, &s->name);
        kafka_read_dup_string(r, a, flex, "value", KAFKA_NULLABLE, &s->value);
        kafka_read_i8(r, "source", &s->source);
        kafka_read_flex_tags(r, flex, "tagged_fields");
        kafka_reader_leave(r);
        e->n_synonyms = i + 1;
    }
    if (version >= 3) {
        kafka_read_i8(r, "config_type", &e->config_type);
        kafka_read_dup_string(r, a, flex, "documentation", KAFKA_NULLABLE, &e->documentation);
    }
    kafka_read_flex_tags(r, flex, "tagged_fields");
}

static void decode_result(kafka_reader *r, kafka_arena *a, int16_t version, kafka_config_result *c)
{
    int flex = DESCRIBE_FLEXIBLE(version);
    int32_t i, n;

    kafka_read_i16(r, "error_code", &c->error_code);
    kafka_read_dup_string(r, a, flex, "error_message", KAFKA_NULLABLE, &c->error_message);
    kafka_read_i8(r, "resource_type", &c->resource_type);
    kafka_read_dup_string(r, a, flex, "resource_name", KAFKA_NOT_NULL, &c->resource_name);
    kafka_read_count(r, flex, "configs", KAFKA_NOT_NULL, ENTRY_MIN, &n);
    c->configs = kafka_read_alloc(r, a, "configs", n, sizeof *c->configs);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "configs", i);
        decode_entry(r, a, version, &c->configs[i]);
        kafka_reader_leave(r);
        c->n_configs = i + 1;
    }
    kafka_read_flex_tags(r, flex, "tagged_fields");
}

static int decode_describe(kafka_reader *r, int16_t version, kafka_describe_configs_response *res)
{
    int flex = DESCRIBE_FLEXIBLE(version);
    int32_t i, n;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_count(r, flex, "results", KAFKA_NOT_NULL, RESULT_MIN, &n);
    res->results = kafka_read_alloc(r, &res->arena, "results", n, sizeof *res->results);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, "results", i);
        decode_result(r, &res->arena, version, &res->results[i]);
        kafka_reader_leave(r);
        res->n_results = i + 1;
    }
    kafka_read_flex_tags(r, flex, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_describe_configs_decode(const void *body, size_t len, int16_t version,
                                  kafka_describe_configs_response **out, util_err *err)
{
    kafka_describe_configs_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_DESCRIBE_CONFIGS_MIN || version > KAFKA_DESCRIBE_CONFIGS_MAX)
        return util_err_set(err, "DescribeConfigs response: version %d not spoken (%d..%d)",
                            version, KAFKA_DESCRIBE_CONFIGS_MIN, KAFKA_DESCRIBE_CONFIGS_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "DescribeConfigs response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_describe(&r, version, res) < 0) {
        kafka_describe_configs_free(res);
        return util_err_prefix(err, "DescribeConfigs v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_describe_configs_free(kafka_describe_configs_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_describe_configs_call(kafka_conn *c, const kafka_api_versions *av,
                                const kafka_describe_configs_request *req, int timeout_ms,
                                kafka_describe_configs_response **out, util_err *err)
{
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_DESCRIBE_CONFIGS, KAFKA_DESCRIBE_CONFIGS_MIN,
                        KAFKA_DESCRIBE_CONFIGS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_describe_configs_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_DESCRIBE_CONFIGS, v, DESCRIBE_FLEXIBLE(v), &w, timeout_ms,
                             &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_describe_configs_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    return 0;
}

const kafka_config_result *kafka_describe_configs_result(const kafka_describe_configs_response *res,
                                                         int8_t type, const char *name)
{
    int32_t i;

    for (i = 0; i < res->n_results; i++)
        if (res->results[i].resource_type == type &&
            strcmp(res->results[i].resource_name, name) == 0)
            return &res->results[i];
    return NULL;
}

const kafka_config_entry *kafka_config_result_find(const kafka_config_result *r, const char *key)
{
    int32_t i;

    for (i = 0; i < r->n_configs; i++)
        if (strcmp(r->configs[i].name, key) == 0)
            return &r->configs[i];
    return NULL;
}

/* ---- IncrementalAlterConfigs ---- */

int kafka_incremental_alter_configs_encode(kafka_writer *w, int16_t version,
                                           const kafka_incremental_alter_configs_request *req,
                                           util_err *err)
{
    int flex = ALTER_FLEXIBLE(version);
    int32_t i, k;

    if (version < KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN ||
        version > KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX)
        return util_err_set(err,
                            "IncrementalAlterConfigs request: version %d not spoken "
                            "(%d..%d)",
                            version, KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN,
                            KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX);
    if (req->n_resources < 0 || (req->n_resources > 0 && req->resources == NULL))
        return util_err_set(err, "IncrementalAlterConfigs request: no resources given");
    kafka_put_flex_array_len(w, flex, req->n_resources);
    for (i = 0; i < req->n_resources; i++) {
        const kafka_alter_config_resource *res = &req->resources[i];

        if (res->name == NULL || res->n_ops < 0 || (res->n_ops > 0 && res->ops == NULL))
            return util_err_set(err,
                                "IncrementalAlterConfigs request: resources[%ld]: name "
                                "or configs missing",
                                (long)i);
        kafka_put_i8(w, res->type);
        kafka_put_flex_string(w, flex, res->name);
        kafka_put_flex_array_len(w, flex, res->n_ops);
        for (k = 0; k < res->n_ops; k++) {
            const kafka_config_op *op = &res->ops[k];

            if (op->name == NULL)
                return util_err_set(err,
                                    "IncrementalAlterConfigs request: resources[%ld]: "
                                    "configs[%ld]: name missing",
                                    (long)i, (long)k);
            kafka_put_flex_string(w, flex, op->name);
            kafka_put_i8(w, op->op);
            kafka_put_flex_string(w, flex, op->value);
            kafka_put_flex_tags(w, flex);
        }
        kafka_put_flex_tags(w, flex);
    }
    kafka_put_i8(w, req->validate_only ? 1 : 0);
    kafka_put_flex_tags(w, flex);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "IncrementalAlterConfigs v%d request", version);
    return 0;
}

static int decode_alter(kafka_reader *r, int16_t version,
                        kafka_incremental_alter_configs_response *res)
{
    int flex = ALTER_FLEXIBLE(version);
    kafka_arena *a = &res->arena;
    int32_t i, n;

    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_count(r, flex, "responses", KAFKA_NOT_NULL, ALTER_RESULT_MIN, &n);
    res->results = kafka_read_alloc(r, a, "responses", n, sizeof *res->results);
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_alter_config_result *c = &res->results[i];

        kafka_reader_enter(r, "responses", i);
        kafka_read_i16(r, "error_code", &c->error_code);
        kafka_read_dup_string(r, a, flex, "error_message", KAFKA_NULLABLE, &c->error_message);
        kafka_read_i8(r, "resource_type", &c->resource_type);
        kafka_read_dup_string(r, a, flex, "resource_name", KAFKA_NOT_NULL, &c->resource_name);
        kafka_read_flex_tags(r, flex, "tagged_fields");
        kafka_reader_leave(r);
        res->n_results = i + 1;
    }
    kafka_read_flex_tags(r, flex, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_incremental_alter_configs_decode(const void *body, size_t len, int16_t version,
                                           kafka_incremental_alter_configs_response **out,
                                           util_err *err)
{
    kafka_incremental_alter_configs_response *res;
    kafka_reader r;

    *out = NULL;
    if (version < KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN ||
        version > KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX)
        return util_err_set(err,
                            "IncrementalAlterConfigs response: version %d not spoken "
                            "(%d..%d)",
                            version, KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN,
                            KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "IncrementalAlterConfigs response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_alter(&r, version, res) < 0) {
        kafka_incremental_alter_configs_free(res);
        return util_err_prefix(err, "IncrementalAlterConfigs v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_incremental_alter_configs_free(kafka_incremental_alter_configs_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_incremental_alter_configs_call(kafka_conn *c, const kafka_api_versions *av,
                                         const kafka_incremental_alter_configs_request *req,
                                         int timeout_ms,
                                         kafka_incremental_alter_configs_response **out,
                                         util_err *err)
{
    const int16_t key = KAFKA_API_INCREMENTAL_ALTER_CONFIGS;
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, key, KAFKA_INCREMENTAL_ALTER_CONFIGS_MIN,
                        KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_incremental_alter_configs_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, key, v, ALTER_FLEXIBLE(v), &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_incremental_alter_configs_decode(resp.ptr, resp.len, v, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    return 0;
}
