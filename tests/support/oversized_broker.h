/* A hostile Kafka broker on loopback for tests: it answers ApiVersions
 * (Metadata up to v12) and then announces a Metadata answer of a chosen
 * size, sending only its first bytes, on every connection, until stopped.
 * What the operator's scale-down check meets when a tenant points it at a
 * broker of their own (operator/scale_down.h). */
#ifndef BERTH_TESTS_OVERSIZED_BROKER_H
#define BERTH_TESTS_OVERSIZED_BROKER_H

#include <pthread.h>
#include <stdint.h>

typedef struct ob_broker {
    int lfd;
    char addr[32];          /* "127.0.0.1:<port>" */
    uint32_t metadata_size; /* the size prefix it announces for Metadata */
    pthread_t thread;
} ob_broker;

/* Listens on a free loopback port and serves connections one after the
 * other. Failures end the test. */
void ob_start(ob_broker *b, uint32_t metadata_size);

/* Stops listening and joins the serving thread. */
void ob_stop(ob_broker *b);

#endif
