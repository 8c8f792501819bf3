/* The UpdateFeatures request and response; see update_features.h. Field
 * layout per the protocol's UpdateFeatures message definitions for v0..v2. */
#include "kafka/update_features.h"

#include <stdlib.h>

#include "kafka/call.h"
#include "kafka/proto.h"

#define RESULT_MIN 4 /* feature (compact, 1), error code, message (1) */

int kafka_update_features_encode(kafka_writer *w, int16_t version,
                                 const kafka_update_features_request *req, util_err *err)
{
    int32_t i;

    if (kafka_version_check("UpdateFeatures request", version, KAFKA_UPDATE_FEATURES_MIN,
                            KAFKA_UPDATE_FEATURES_MAX, err) < 0)
        return -1;
    if (version == 0 && req->validate_only)
        return util_err_set(err, "UpdateFeatures v0 request: validate_only needs v1");
    if (req->n_updates < 0 || (req->n_updates > 0 && req->updates == NULL))
        return util_err_set(err, "UpdateFeatures request: %ld updates without a list",
                            (long)req->n_updates);
    kafka_put_i32(w, req->timeout_ms);
    kafka_put_compact_array_len(w, req->n_updates);
    for (i = 0; i < req->n_updates; i++) {
        const kafka_feature_update *u = &req->updates[i];

        if (u->feature == NULL)
            return util_err_set(err, "UpdateFeatures request: feature_updates[%ld]: name missing",
                                (long)i);
        kafka_put_compact_string(w, u->feature);
        kafka_put_i16(w, u->max_version_level);
        if (version == 0)
            kafka_put_i8(w, u->upgrade_type != KAFKA_FEATURE_UPGRADE); /* allow_downgrade */
        else
            kafka_put_i8(w, u->upgrade_type);
        kafka_put_empty_tags(w);
    }
    if (version >= 1)
        kafka_put_i8(w, req->validate_only ? 1 : 0);
    kafka_put_empty_tags(w);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "UpdateFeatures v%d request", version);
    return 0;
}

static void decode_result(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_feature_update_result *f = elem;

    (void)version;
    kafka_read_dup_string(r, a, 1, "feature", KAFKA_NOT_NULL, &f->feature);
    kafka_read_i16(r, "error_code", &f->error_code);
    kafka_read_dup_string(r, a, 1, "error_message", KAFKA_NULLABLE, &f->error_message);
    kafka_read_skip_tags(r, "tagged_fields");
}

static int decode_body(kafka_reader *r, int16_t version, kafka_update_features_response *res)
{
    kafka_read_i32(r, "throttle_time_ms", &res->throttle_time_ms);
    kafka_read_i16(r, "error_code", &res->error_code);
    kafka_read_dup_string(r, &res->arena, 1, "error_message", KAFKA_NULLABLE, &res->error_message);
    if (version <= 1)
        res->results =
            kafka_read_struct_array(r, &res->arena, 1, "results", RESULT_MIN, sizeof *res->results,
                                    decode_result, version, &res->n_results);
    kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

int kafka_update_features_decode(const void *body, size_t len, int16_t version,
                                 kafka_update_features_response **out, util_err *err)
{
    kafka_update_features_response *res;
    kafka_reader r;

    *out = NULL;
    if (kafka_version_check("UpdateFeatures response", version, KAFKA_UPDATE_FEATURES_MIN,
                            KAFKA_UPDATE_FEATURES_MAX, err) < 0)
        return -1;
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "UpdateFeatures response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    if (decode_body(&r, version, res) < 0) {
        kafka_update_features_free(res);
        return util_err_prefix(err, "UpdateFeatures v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_update_features_free(kafka_update_features_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

int kafka_update_features_call(kafka_conn *c, const kafka_api_versions *av,
                               const kafka_update_features_request *req, int timeout_ms,
                               kafka_update_features_response **out, util_err *err)
{
    kafka_update_features_response *res;
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int32_t i;
    int rc;

    *out = NULL;
    if (kafka_call_pick(c, av, KAFKA_API_UPDATE_FEATURES, KAFKA_UPDATE_FEATURES_MIN,
                        KAFKA_UPDATE_FEATURES_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_update_features_encode(&w, v, req, err);
    if (rc < 0)
        util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    else
        rc = kafka_call_send(c, KAFKA_API_UPDATE_FEATURES, v, 1, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_update_features_decode(resp.ptr, resp.len, v, &res, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if (res->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, KAFKA_API_UPDATE_FEATURES, v, res->error_code, res->error_message, err);
        kafka_update_features_free(res);
        return -1;
    }
    for (i = 0; i < res->n_results; i++) {
        const kafka_feature_update_result *f = &res->results[i];

        if (f->error_code == KAFKA_ERR_NONE)
            continue;
        kafka_call_error(c, KAFKA_API_UPDATE_FEATURES, v, f->error_code, f->error_message, err);
        util_err_prefix(err, "feature %s", f->feature ? f->feature : "(unnamed)");
        kafka_update_features_free(res);
        return -1;
    }
    *out = res;
    return 0;
}
