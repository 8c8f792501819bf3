/* What portforward.c (the forwarder: its libwebsockets context and vhosts,
 * its thread, its failures) and portforward_pair.c (one local connection
 * joined to its WebSocket) share. Internal to lib/kube. Calls go one way:
 * portforward.c calls into portforward_pair.c, which calls back only
 * kube_pf_report.
 *
 * Threads: the members marked "loop" are touched by the forwarder's
 * thread only (and by kube_portforward_free once that thread has ended);
 * "mu" ones under mu; the rest are set in kube_portforward_new and then
 * only read. */
#ifndef BERTH_KUBE_PORTFORWARD_INT_H
#define BERTH_KUBE_PORTFORWARD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "kube/portforward.h"

/* The lws protocol both vhosts serve, the local connections and the
 * WebSockets alike. */
#define KUBE_PF_PROTOCOL "berth-portforward"
/* The most read from either side in one go. */
#define KUBE_PF_CHUNK (32 * 1024)

typedef struct kube_pf_pair kube_pf_pair;

struct kube_portforward {
    kube_config *cfg;
    char *ns, *pod;
    char *what; /* "pod <ns>/<name> port <n>", for messages */
    uint16_t pod_port;
    bool tls;
    char *address; /* the API server's host, no brackets */
    int port;
    char *host; /* the Host header, and the name the server's certificate must bear */
    char *path; /* the request's path and query */
    SSL_CTX *ssl;
    unsigned long exec_serial; /* loop: of the exec plugin's certificate on ssl; 0: none */
    struct lws_context *ctx;
    struct lws_vhost *local_vh, *api_vh;
    int local_port;
    pthread_t thread;
    bool thread_started;
    atomic_int stopping;
    kube_pf_pair *pairs; /* loop */
    atomic_uint streams; /* pairs alive */
    pthread_mutex_t mu;
    unsigned long failures; /* mu */
    util_err last;          /* mu */
};

/* portforward_pair.c: the lws protocol, served by both vhosts. */
extern const struct lws_protocols kube_pf_protocols[];

/* portforward_pair.c: frees the pairs left once the lws context is gone. */
void kube_pf_pairs_free(kube_portforward *pf);

/* portforward.c: one connection failed for the reason msg: it becomes the
 * last error (prefixed with what is forwarded) and is logged. Nothing is
 * reported while the forwarder stops. Loop thread. */
void kube_pf_report(kube_portforward *pf, const char *msg);

#endif
