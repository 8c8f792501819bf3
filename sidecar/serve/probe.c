/* The basic broker readiness check; see probe.h. */
#include "serve/probe.h"

#include <stdio.h>

int sc_probe_broker_ready(void *user, char *why, size_t why_size)
{
    const sc_broker_probe *p = user;
    kafka_dial_opts opts = {0};
    kafka_conn *c = NULL;
    kafka_api_versions *v = NULL;
    util_err err = {{0}};

    if (p->dial != NULL)
        opts = *p->dial;
    opts.connect_timeout_ms = p->timeout_ms;
    opts.call_timeout_ms = p->timeout_ms;
    if (opts.client_id == NULL)
        opts.client_id = "berth-sidecar";
    if (kafka_dial(p->addr, &opts, &c, &v, &err) != 0) {
        snprintf(why, why_size, "broker does not answer on %s: %s", p->addr, err.msg);
        return 0;
    }
    kafka_api_versions_free(v);
    kafka_conn_free(c);
    return 1;
}
