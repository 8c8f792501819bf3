/* The ApiVersions request, response and version negotiation; see
 * api_versions.h. Field layout per the protocol's ApiVersions message
 * definitions: v1 adds throttle_time_ms, v3 is flexible (compact array,
 * tagged fields per entry and at the end, of which tags 0..2 carry the
 * supported features, the finalized features' epoch and the finalized
 * features). */
#include "kafka/api_versions.h"

#include <stdlib.h>
#include <string.h>

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

/* The body's tagged fields. */
enum {
    TAG_SUPPORTED_FEATURES = 0,
    TAG_FINALIZED_FEATURES_EPOCH = 1,
    TAG_FINALIZED_FEATURES = 2,
};

#define FEATURE_MIN 6 /* name (compact, 1), two levels, tags */

static void read_supported(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_feature_range *f = elem;

    (void)version;
    kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &f->name);
    kafka_read_i16(r, "min_version", &f->min_level);
    kafka_read_i16(r, "max_version", &f->max_level);
    kafka_read_skip_tags(r, "tagged_fields");
}

/* The finalized features list the max level first. */
static void read_finalized(kafka_reader *r, kafka_arena *a, int16_t version, void *elem)
{
    kafka_feature_range *f = elem;

    (void)version;
    kafka_read_dup_string(r, a, 1, "name", KAFKA_NOT_NULL, &f->name);
    kafka_read_i16(r, "max_version_level", &f->max_level);
    kafka_read_i16(r, "min_version_level", &f->min_level);
    kafka_read_skip_tags(r, "tagged_fields");
}

/* Reads the top-level tagged fields: the three feature fields into v, any
 * other tag skipped. Each known field must fill exactly the size its tag
 * announces; tags must ascend, as the protocol writes them. */
static int read_top_tags(kafka_reader *r, kafka_api_versions *v)
{
    uint32_t count, i;
    int64_t last = -1;

    if (kafka_read_uvarint(r, "tagged_fields", &count) < 0)
        return -1;
    /* Each tagged field takes at least two bytes (tag and size). */
    if (count > kafka_reader_remaining(r) / 2)
        return kafka_reader_fail(r, "tagged_fields", "count %lu exceeds the %zu bytes left",
                                 (unsigned long)count, kafka_reader_remaining(r));
    for (i = 0; i < count && kafka_reader_status(r) == 0; i++) {
        uint32_t tag, size;
        size_t left;

        kafka_reader_enter(r, "tagged_fields", (int32_t)i);
        kafka_read_uvarint(r, "tag", &tag);
        kafka_read_uvarint(r, "size", &size);
        if (kafka_reader_status(r) == 0 && (int64_t)tag <= last)
            kafka_reader_fail(r, "tag", "tag %lu after tag %lld: tags must ascend",
                              (unsigned long)tag, (long long)last);
        if (kafka_reader_status(r) == 0 && size > kafka_reader_remaining(r))
            kafka_reader_fail(r, "data", "truncated at offset %zu", r->pos);
        last = tag;
        left = kafka_reader_remaining(r);
        switch (kafka_reader_status(r) == 0 ? tag : UINT32_MAX) {
        case TAG_SUPPORTED_FEATURES:
            v->supported = kafka_read_struct_array(r, &v->arena, 1, "supported_features",
                                                   FEATURE_MIN, sizeof *v->supported,
                                                   read_supported, v->version, &v->n_supported);
            break;
        case TAG_FINALIZED_FEATURES_EPOCH:
            kafka_read_i64(r, "finalized_features_epoch", &v->finalized_epoch);
            break;
        case TAG_FINALIZED_FEATURES:
            v->finalized = kafka_read_struct_array(r, &v->arena, 1, "finalized_features",
                                                   FEATURE_MIN, sizeof *v->finalized,
                                                   read_finalized, v->version, &v->n_finalized);
            break;
        case UINT32_MAX:
            break;
        default:
            kafka_read_skip(r, "data", size);
            break;
        }
        if (kafka_reader_status(r) == 0 && left - kafka_reader_remaining(r) != size)
            kafka_reader_fail(r, "data", "tag %lu: %zu bytes read, %lu announced",
                              (unsigned long)tag, left - kafka_reader_remaining(r),
                              (unsigned long)size);
        kafka_reader_leave(r);
    }
    return kafka_reader_status(r);
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
        read_top_tags(r, v);
    return kafka_reader_expect_end(r);
}

static void reset(kafka_api_versions *v, int16_t version)
{
    free(v->apis);
    v->apis = NULL;
    v->n_apis = 0;
    kafka_arena_release(&v->arena);
    v->supported = v->finalized = NULL;
    v->n_supported = v->n_finalized = 0;
    v->finalized_epoch = -1;
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
    kafka_arena_init(&v->arena);

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
    kafka_arena_release(&v->arena);
    free(v);
}

static const kafka_feature_range *find_feature(const kafka_feature_range *f, int32_t n,
                                               const char *name)
{
    int32_t i;

    for (i = 0; i < n; i++)
        if (f[i].name != NULL && strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

const kafka_feature_range *kafka_api_versions_supported(const kafka_api_versions *v,
                                                        const char *name)
{
    return find_feature(v->supported, v->n_supported, name);
}

const kafka_feature_range *kafka_api_versions_finalized(const kafka_api_versions *v,
                                                        const char *name)
{
    return find_feature(v->finalized, v->n_finalized, name);
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
