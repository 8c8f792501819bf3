/* Connection set-up in listener order; see dial.h. */
#include "kafka/dial.h"

#include <stddef.h>

int kafka_dial(const char *hostport, const kafka_dial_opts *opts, kafka_conn **c,
               kafka_api_versions **av, util_err *err)
{
    kafka_conn_opts co = {0};
    int call_ms;

    *c = NULL;
    *av = NULL;
    if (opts != NULL) {
        co.connect_timeout_ms = opts->connect_timeout_ms;
        co.client_id = opts->client_id;
        co.max_frame_bytes = opts->max_frame_bytes;
        if (opts->tls != NULL) {
            co.transport = &kafka_tls_transport;
            co.transport_config = opts->tls;
        }
    }
    call_ms = opts && opts->call_timeout_ms > 0 ? opts->call_timeout_ms
              : co.connect_timeout_ms > 0       ? co.connect_timeout_ms
                                                : KAFKA_CONNECT_TIMEOUT_MS_DEFAULT;
    if (kafka_conn_new(hostport, &co, c, err) < 0)
        return -1;
    /* A SASL listener answers ApiVersions before authentication, so the
     * SASL versions are negotiated like any other. */
    if (kafka_api_versions_fetch(*c, call_ms, av, err) < 0 ||
        (opts != NULL && opts->sasl != NULL &&
         kafka_sasl_authenticate(*c, *av, opts->sasl, call_ms, err) < 0)) {
        kafka_api_versions_free(*av);
        kafka_conn_free(*c);
        *av = NULL;
        *c = NULL;
        return -1;
    }
    return 0;
}
