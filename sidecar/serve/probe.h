/* Readiness as `berth-sidecar run` asks for it, and the basic check behind
 * it when no drain engine runs: the broker on localhost can be dialled
 * (TLS and SASL as configured) and answers ApiVersions.
 *
 * run asks an sc_ready_fn from a prober thread, never from the HTTP loop,
 * and serves the cached answer on /readyz; between checks the same thread
 * may wait in an sc_ready_wait_fn, which can turn that answer at once. The
 * drain engines bring the full, latched readiness (ISR caught up, voter
 * caught up, restore done) as another sc_ready_fn. */
#ifndef BERTH_SIDECAR_SERVE_PROBE_H
#define BERTH_SIDECAR_SERVE_PROBE_H

#include <stddef.h>

#include "kafka/dial.h"

/* Returns 1 when ready, 0 when not with why filled ("broker does not
 * answer on localhost:9092: ... connect: Connection refused"). May block
 * for a few seconds. */
typedef int (*sc_ready_fn)(void *user, char *why, size_t why_size);

/* Between two checks, on the same thread: waits up to timeout_ms for news
 * that must not wait for the next check, the broker process seen to end.
 * Returns 1 then, with readiness already dropped and why saying so (the
 * next check should follow at once); 0 once timeout_ms have passed or
 * wake_fd has turned readable (run is stopping). */
typedef int (*sc_ready_wait_fn)(void *user, int wake_fd, long timeout_ms, char *why,
                                size_t why_size);

/* How many broker processes the readiness hook (same user) has seen end
 * so far: each a restart of the broker container, after which the
 * start-up gate applied again. */
typedef long (*sc_restarts_fn)(void *user);

typedef struct sc_broker_probe {
    const char *addr;            /* "localhost:9092" */
    const kafka_dial_opts *dial; /* TLS and SASL; NULL: plaintext; borrowed */
    int timeout_ms;              /* connect and each call */
} sc_broker_probe;

/* sc_ready_fn over an sc_broker_probe (user). */
int sc_probe_broker_ready(void *user, char *why, size_t why_size);

#endif
