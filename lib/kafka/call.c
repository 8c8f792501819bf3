/* The shared steps of an admin round trip; see call.h. */
#include "kafka/call.h"

#include "kafka/proto.h"

int kafka_call_pick(kafka_conn *c, const kafka_api_versions *av, int16_t api_key, int16_t ours_min,
                    int16_t ours_max, int16_t *version, util_err *err)
{
    if (av == NULL) {
        *version = -1;
        return util_err_set(err, "broker %s: %s: no ApiVersions answer to negotiate with",
                            kafka_conn_addr(c), kafka_api_name(api_key));
    }
    if (kafka_api_versions_pick(av, api_key, ours_min, ours_max, version, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    return 0;
}

int kafka_call_send(kafka_conn *c, int16_t api_key, int16_t version, int flexible,
                    const kafka_writer *w, int timeout_ms, kafka_bytes *resp, util_err *err)
{
    kafka_request req;

    resp->ptr = NULL;
    resp->len = 0;
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "broker %s: %s v%d request", kafka_conn_addr(c),
                               kafka_api_name(api_key), version);
    req.api_key = api_key;
    req.api_version = version;
    req.flexible = flexible;
    req.body = w->buf;
    req.body_len = w->len;
    return kafka_conn_call(c, &req, timeout_ms, resp, err);
}

int kafka_call_error(kafka_conn *c, int16_t api_key, int16_t version, int16_t code,
                     const char *message, util_err *err)
{
    return util_err_set(err, "broker %s: %s v%d: %s (error %d)%s%s", kafka_conn_addr(c),
                        kafka_api_name(api_key), version, kafka_error_name(code), code,
                        message ? ": " : "", message ? message : "");
}
