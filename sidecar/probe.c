/* The basic broker readiness check; see probe.h. */
#include "probe.h"

#include <stdio.h>

#include "kafka/api_versions.h"

int sc_probe_broker_ready(void *user, char *why, size_t why_size)
{
    const sc_broker_probe *p = user;
    kafka_conn_opts opts = {0};
    kafka_conn *c = NULL;
    kafka_api_versions *v = NULL;
    util_err err = {{0}};
    bool registered = false;
    int ready = 0;

    opts.connect_timeout_ms = p->timeout_ms;
    opts.client_id = "berth-sidecar";
    if (kafka_conn_new(p->addr, &opts, &c, &err) != 0) {
        snprintf(why, why_size, "broker does not answer on %s: %s", p->addr, err.msg);
        return 0;
    }
    if (kafka_api_versions_fetch(c, p->timeout_ms, &v, &err) != 0) {
        snprintf(why, why_size, "broker on %s: ApiVersions: %s", p->addr, err.msg);
        goto out;
    }
    if (p->registered != NULL) {
        if (p->registered(c, p->broker_id, &registered, &err) != 0) {
            snprintf(why, why_size, "broker on %s: Metadata: %s", p->addr, err.msg);
            goto out;
        }
        if (!registered) {
            snprintf(why, why_size, "broker %d is not registered with the cluster yet",
                     p->broker_id);
            goto out;
        }
    }
    ready = 1;
out:
    kafka_api_versions_free(v);
    kafka_conn_free(c);
    return ready;
}
