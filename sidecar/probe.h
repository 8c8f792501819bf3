/* Readiness as `berth-sidecar run` asks for it, and the first check behind
 * it: the broker answers ApiVersions on localhost and (once the Metadata
 * call exists) lists this broker as registered.
 *
 * run asks an sc_ready_fn from a prober thread, never from the HTTP loop,
 * and serves the cached answer on /readyz. The drain engine brings the
 * full, latched readiness (ISR caught up, voter caught up, restore done)
 * as another sc_ready_fn. */
#ifndef BERTH_SIDECAR_PROBE_H
#define BERTH_SIDECAR_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "kafka/conn.h"
#include "util/err.h"

/* Returns 1 when ready, 0 when not with why filled ("broker does not
 * answer on localhost:9092: connection refused"). May block for a few
 * seconds. */
typedef int (*sc_ready_fn)(void *user, char *why, size_t why_size);

/* Is broker_id registered (listed by Metadata) according to the broker on
 * c? Fills *registered; returns 0, or -1 with err when the call failed. */
typedef int (*sc_registered_fn)(kafka_conn *c, int broker_id, bool *registered, util_err *err);

typedef struct sc_broker_probe {
    const char *addr; /* "localhost:9092" */
    int broker_id;
    int timeout_ms;              /* connect and each call */
    sc_registered_fn registered; /* NULL: not checked (Metadata not there yet) */
} sc_broker_probe;

/* sc_ready_fn over an sc_broker_probe (user). */
int sc_probe_broker_ready(void *user, char *why, size_t why_size);

#endif
