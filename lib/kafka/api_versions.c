/* The ApiVersions request, response and version negotiation; see
 * api_versions.h. Field layout per the protocol's ApiVersions message
 * definitions: v1 adds throttle_time_ms, v3 is flexible (compact array,
 * tagged fields per entry and at the end). */
#include "kafka/api_versions.h"

#include <stdlib.h>

#include "kafka/proto.h"
#include "util/version.h"

int kafka_api_versions_encode(kafka_writer *w, int16_t version, util_err *err)
{
    if (kafka_version_check("ApiVersions request", version, KAFKA_API_VERSIONS_MIN,
                            KAFKA_API_VERSIONS_MAX, err) < 0)
        return -1;
    if (version >= 3) {
        kafka_put_compact_string(w, "berth");
        kafka_put_compact_string(w, BERTH_VERSION);
        kafka_put_empty_tags(w);
    }
    return 0;
}

/* Reads the body in exactly the layout of version into v; returns the
 * reader's status. */
static int decode_layout(kafka_reader *r, int16_t version, kafka_api_versions *v)
{
    int flexible = version >= 3;
    int32_t i, n;

    kafka_read_i16(r, "error_code", &v->error_code);
    if (flexible)
        kafka_read_compact_array_len(r, "api_keys", KAFKA_NOT_NULL, &n);
    else
        kafka_read_array_len(r, "api_keys", KAFKA_NOT_NULL, &n);
    if (kafka_reader_status(r) < 0)
        return -1;
    /* n is bounded by the bytes left, so this allocation is too. */
    if (n > 0) {
        v->apis = calloc((size_t)n, sizeof *v->apis);
        if (v->apis == NULL)
            return kafka_reader_fail(r, "api_keys", "%ld entries: out of memory", (long)n);
    }
    for (i = 0; i < n && kafka_reader_status(r) == 0; i++) {
        kafka_api_range *a = &v->apis[i];

        kafka_reader_enter(r, "api_keys", i);
        kafka_read_i16(r, "api_key", &a->api_key);
        kafka_read_i16(r, "min_version", &a->min_version);
        kafka_read_i16(r, "max_version", &a->max_version);
        if (flexible)
            kafka_read_skip_tags(r, "tagged_fields");
        kafka_reader_leave(r);
        v->n_apis = i + 1;
    }
    if (version >= 1)
        kafka_read_i32(r, "throttle_time_ms", &v->throttle_time_ms);
    if (flexible)
        kafka_read_skip_tags(r, "tagged_fields");
    return kafka_reader_expect_end(r);
}

static void reset(kafka_api_versions *v, int16_t version)
{
    free(v->apis);
    v->apis = NULL;
    v->n_apis = 0;
    v->error_code = 0;
    v->throttle_time_ms = 0;
    v->version = version;
}

int kafka_api_versions_decode(const void *body, size_t len, int16_t version,
                              kafka_api_versions **out, util_err *err)
{
    kafka_api_versions *v;
    kafka_reader r;
    int16_t code;

    *out = NULL;
    if (kafka_version_check("ApiVersions response", version, KAFKA_API_VERSIONS_MIN,
                            KAFKA_API_VERSIONS_MAX, err) < 0)
        return -1;
    v = calloc(1, sizeof *v);
    if (v == NULL)
        return util_err_set(err, "ApiVersions response: out of memory");

    /* error_code leads in every layout, so it can decide the layout: an
     * UNSUPPORTED_VERSION answer is always v0. */
    kafka_reader_init(&r, body, len, err);
    kafka_read_i16(&r, "error_code", &code);
    if (kafka_reader_status(&r) < 0) {
        kafka_api_versions_free(v);
        return util_err_prefix(err, "ApiVersions v%d response", version);
    }
    if (code == KAFKA_ERR_UNSUPPORTED_VERSION && version > 0) {
        reset(v, 0);
        kafka_reader_init(&r, body, len, err);
        if (decode_layout(&r, 0, v) < 0) {
            kafka_api_versions_free(v);
            return util_err_prefix(err, "ApiVersions v%d response (UNSUPPORTED_VERSION, as v0)",
                                   version);
        }
    } else {
        reset(v, version);
        kafka_reader_init(&r, body, len, err);
        if (decode_layout(&r, version, v) < 0) {
            kafka_api_versions_free(v);
            return util_err_prefix(err, "ApiVersions v%d response", version);
        }
    }
    *out = v;
    return 0;
}

void kafka_api_versions_free(kafka_api_versions *v)
{
    if (v == NULL)
        return;
    free(v->apis);
    free(v);
}

const kafka_api_range *kafka_api_versions_find(const kafka_api_versions *v, int16_t api_key)
{
    int32_t i;

    for (i = 0; i < v->n_apis; i++)
        if (v->apis[i].api_key == api_key)
            return &v->apis[i];
    return NULL;
}

int kafka_api_versions_pick(const kafka_api_versions *v, int16_t api_key, int16_t ours_min,
                            int16_t ours_max, int16_t *picked, util_err *err)
{
    const kafka_api_range *a = kafka_api_versions_find(v, api_key);
    const char *name = kafka_api_name(api_key);
    int16_t lo, hi;

    *picked = -1;
    if (a == NULL)
        return util_err_set(err, "%s (key %d): the broker does not offer it", name, api_key);
    lo = a->min_version > ours_min ? a->min_version : ours_min;
    hi = a->max_version < ours_max ? a->max_version : ours_max;
    if (lo > hi)
        return util_err_set(err, "%s (key %d): no common version (broker v%d..v%d, berth v%d..v%d)",
                            name, api_key, a->min_version, a->max_version, ours_min, ours_max);
    *picked = hi;
    return 0;
}

/* One round trip at version. */
static int round_trip(kafka_conn *c, int16_t version, int timeout_ms, kafka_api_versions **out,
                      util_err *err)
{
    kafka_writer w;
    kafka_request req;
    kafka_bytes resp;
    int rc;

    *out = NULL;
    kafka_writer_init(&w);
    if (kafka_api_versions_encode(&w, version, err) < 0 || kafka_writer_status(&w, err) < 0) {
        kafka_writer_release(&w);
        return -1;
    }
    req.api_key = KAFKA_API_API_VERSIONS;
    req.api_version = version;
    req.flexible = version >= 3;
    req.body = w.buf;
    req.body_len = w.len;
    rc = kafka_conn_call(c, &req, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_api_versions_decode(resp.ptr, resp.len, version, out, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    return 0;
}

int kafka_api_versions_fetch(kafka_conn *c, int timeout_ms, kafka_api_versions **out, util_err *err)
{
    kafka_api_versions *v;
    int16_t version = KAFKA_API_VERSIONS_MAX;

    *out = NULL;
    if (round_trip(c, version, timeout_ms, &v, err) < 0)
        return -1;
    if (v->error_code == KAFKA_ERR_UNSUPPORTED_VERSION) {
        /* Brokers before KIP-511 list nothing here; v0 is always understood. */
        int16_t retry = 0;
        if (kafka_api_versions_find(v, KAFKA_API_API_VERSIONS) != NULL &&
            kafka_api_versions_pick(v, KAFKA_API_API_VERSIONS, KAFKA_API_VERSIONS_MIN, version - 1,
                                    &retry, err) < 0) {
            kafka_api_versions_free(v);
            return util_err_prefix(err, "broker %s: ApiVersions", kafka_conn_addr(c));
        }
        kafka_api_versions_free(v);
        if (round_trip(c, retry, timeout_ms, &v, err) < 0)
            return -1;
    }
    if (v->error_code != KAFKA_ERR_NONE) {
        util_err_set(err, "broker %s: ApiVersions v%d: %s (error %d)", kafka_conn_addr(c),
                     v->version, kafka_error_name(v->error_code), v->error_code);
        kafka_api_versions_free(v);
        return -1;
    }
    *out = v;
    return 0;
}
