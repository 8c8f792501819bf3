/* The readiness prober's own connection to its broker, held open from one
 * check to the next, and what its end says: the broker process that
 * answered it is gone (a new incarnation follows, however soon).
 *
 * Why a held connection is the signal. The Kafka protocol shows a client
 * nothing that changes with each broker process: the broker epoch and the
 * incarnation id travel only in BrokerRegistration, between a broker and
 * the controller; DescribeCluster, Metadata, DescribeQuorum and ApiVersions
 * answer the same before and after a restart (checked against Kafka 4.1's
 * message definitions). And a broker killed and started again can be
 * registered, unfenced and back in its ISRs between two checks, so no
 * sampled fact is sure to catch it. But a TCP connection lives no longer
 * than the process holding its other end: the kernel closes or resets it
 * when that process dies, and a new process never inherits it. So a call
 * on the held connection that fails because the broker closed it says the
 * process ended, whether the restart took a minute or a second.
 *
 * The link is watched between checks too (sc_link_wait): no request is in
 * flight then, so its socket turning readable can only be the broker
 * closing it (or bytes nobody asked for, or a TLS record of the session's
 * own), and the prober learns of the process's end within moments, not at
 * its next check. That matters because a kubelet restarts a killed broker
 * container within a second or two and probes it at once: readiness must
 * have dropped by then.
 *
 * Two more signals cover the moments when no connection is held (before
 * the first dial, or after a check's own timeout dropped it): the broker's
 * port refusing a dial (a Kafka broker opens its listeners only once it is
 * unfenced and closes them only at shutdown, so nothing listening means no
 * running broker), and, in readiness.c, the broker seen unregistered or
 * fenced (it has then left every ISR, as after a restart).
 *
 * What is not a signal: a call that times out (a slow broker, a GC pause)
 * drops the link without a verdict. The broker also closes connections for
 * reasons of its own: idle longer than connections.max.idle.ms (10 min by
 * default), and, on a listener with connections.max.reauth.ms, once the
 * SASL session ends (berth does not re-authenticate). A link idle longer
 * than SC_LINK_MAX_IDLE_MS is therefore not trusted, and one older than
 * SC_LINK_MAX_AGE_MS is replaced by a fresh one after a successful check
 * (the new one first, so no moment goes unwatched). A re-authentication
 * time under a minute would still read as a restart, which costs one pass
 * of the start-up gate (ready again at once when nothing is out of place).
 *
 * One thread uses an sc_link at a time (run's prober). */
#ifndef BERTH_SIDECAR_SERVE_BROKER_LINK_H
#define BERTH_SIDECAR_SERVE_BROKER_LINK_H

#include <stddef.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/dial.h"
#include "util/err.h"

#define SC_LINK_MAX_IDLE_MS 60000
#define SC_LINK_MAX_AGE_MS  60000

typedef struct sc_link {
    const char *addr;            /* borrowed, for the link's life */
    const kafka_dial_opts *dial; /* borrowed; NULL: plaintext */
    kafka_conn *conn;            /* owned; NULL while none is held */
    kafka_api_versions *av;      /* conn's ApiVersions answer, owned */
    long long opened_ms;         /* util_mono_ms() of the dial */
    long long used_ms;           /* of the last check that succeeded on it */
} sc_link;

/* An empty link to addr, dialled as dial says. Nothing is opened yet. */
void sc_link_init(sc_link *l, const char *addr, const kafka_dial_opts *dial);

/* Closes what l holds; l stays usable (the next sc_link_open dials). */
void sc_link_close(sc_link *l);

/* Makes l->conn ready for a check's calls: the held connection, else a new
 * one dialled within timeout_ms (its timeouts replace dial's). 0 when
 * l->conn is set; -1 with err when the broker cannot be dialled, and then
 * *gone is 1 (and why says so) when its port refused: nothing listens. */
int sc_link_open(sc_link *l, int timeout_ms, int *gone, char *why, size_t why_size,
                 util_err *err) UTIL_MUST_CHECK;

/* After a call on l->conn failed: drops the connection. Returns 1 when the
 * broker had closed it and the link was trusted (used within
 * SC_LINK_MAX_IDLE_MS), with why saying so: the broker process ended. 0
 * otherwise (a timeout, a bad answer, or a close that may be an idle one). */
int sc_link_broke(sc_link *l, char *why, size_t why_size);

/* Between checks (no call running on l->conn): waits until timeout_ms
 * have passed, wake_fd (-1: none) has turned readable, or the broker has
 * ended the held connection; with none held, for the first two only.
 * Returns 1 when the broker closed the link and it was trusted, as
 * sc_link_broke says (why says so; the link is dropped): the broker
 * process ended. Else 0; a link that brought anything else (bytes no call
 * asked for, a close after too long idle) is dropped without a verdict and
 * the wait goes on. */
int sc_link_wait(sc_link *l, int wake_fd, long timeout_ms, char *why, size_t why_size);

/* After a check's calls all succeeded on l->conn: keeps it for the next
 * check, or, once it is older than SC_LINK_MAX_AGE_MS, puts a fresh one in
 * its place (dialled within timeout_ms; if that fails the old one stays). */
void sc_link_used(sc_link *l, int timeout_ms);

#endif
