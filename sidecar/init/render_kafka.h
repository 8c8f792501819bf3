/* The Kafka writer: server.properties and the broker JVM's java.security
 * from a resolved model (render.c calls them). */
#ifndef BERTH_SIDECAR_INIT_RENDER_KAFKA_H
#define BERTH_SIDECAR_INIT_RENDER_KAFKA_H

#include "init/model.h"
#include "util/buf.h"

/* How long the broker JVM caches a name lookup, found or not, in seconds
 * (render_kafka.c says why); written into java.security. */
#define SC_KAFKA_JVM_DNS_TTL_S 5

/* They cannot fail except by running out of memory, which out records. */
void sc_render_kafka(const sc_model *m, util_buf *out);
void sc_render_kafka_java_security(const sc_model *m, util_buf *out);

#endif
