/* Port-forwarding to a pod through the API server, as `kubectl
 * port-forward` does it over WebSockets: a listener on 127.0.0.1, and for
 * every connection accepted there one WebSocket to
 *   GET <server>/api/v1/namespaces/<ns>/pods/<pod>/portforward?ports=<port>
 * (subprotocol v4.channel.k8s.io, framing in portforward_frame.h) whose
 * bytes are copied both ways until either side closes. The API server
 * passes the WebSocket through to the pod's kubelet, which connects to the
 * port inside the pod's network namespace.
 *
 * TLS and credentials are the kube_config's, as for every request of
 * lib/kube: its CA (else the system's store) or insecure-skip-tls-verify,
 * tls-server-name (which the Host header then names too), client
 * certificate, bearer token or token file (read again for every
 * connection), exec plugin (its token or certificate, refreshed when it
 * expires and dropped when the API refuses it; a plugin that must run
 * again runs on the forwarder's thread, and its other connections wait).
 * The user needs get and create on pods/portforward in the pod's
 * namespace: Kubernetes 1.35 checks create for WebSocket upgrades too.
 *
 * A forwarder runs its libwebsockets loop on a thread of its own. Anything
 * that fails a connection (the upgrade refused, the pod's port refusing
 * the kubelet, a broken stream) closes that local connection, is logged,
 * and is kept as the forwarder's last error; the listener stays up for the
 * next connection.
 *
 * The v4 protocol has no half-close: a local client that shuts down its
 * sending side ends the stream, and an answer still on its way from the
 * pod is lost. Kafka clients never half-close. */
#ifndef BERTH_KUBE_PORTFORWARD_H
#define BERTH_KUBE_PORTFORWARD_H

#include "kube/config.h"
#include "util/err.h"

typedef struct kube_portforward kube_portforward;

typedef struct kube_portforward_spec {
    const char *namespace; /* NULL: the config's namespace */
    const char *pod;       /* the pod's name */
    int pod_port;          /* 1..65535, the port inside the pod */
    int local_port;        /* on 127.0.0.1; 0: a free port the kernel picks */
} kube_portforward_spec;

/* Starts forwarding: binds the local port and starts the thread. cfg is
 * copied. An exec plugin runs now if no unexpired credential of it is
 * cached, so a plugin that fails is reported here rather than at the first
 * connection. No request is sent to the API yet: a missing pod or a
 * missing permission shows at the first connection (see last_error). */
int kube_portforward_new(const kube_config *cfg, const kube_portforward_spec *spec,
                         kube_portforward **out, util_err *err) UTIL_MUST_CHECK;

/* The local port on 127.0.0.1: the spec's, or the one the kernel picked. */
int kube_portforward_local_port(const kube_portforward *pf);

/* How many connections have failed so far. When any has, err (if not
 * NULL) gets the latest failure, which reads like
 *   port-forward to pod kafka/demo-0 port 9092: 403 Forbidden: ...
 * and err is left alone otherwise. Any thread. */
unsigned long kube_portforward_last_error(kube_portforward *pf, util_err *err);

/* Local connections accepted and not yet closed on both sides. Any
 * thread. */
unsigned kube_portforward_streams(kube_portforward *pf);

/* Stops the thread, closes the listener and every connection, frees. NULL
 * is a no-op. */
void kube_portforward_free(kube_portforward *pf);

#endif
