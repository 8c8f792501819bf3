/* Which broker configuration keys (Kafka's server.properties, Redpanda's
 * redpanda.yaml and cluster properties) berth sets itself, so that a
 * KafkaCluster's spec.config may not: one list, read by the operator when
 * it checks a spec and by the renderer when it writes a broker's file. */
#ifndef BERTH_BROKER_OWNED_KEYS_H
#define BERTH_BROKER_OWNED_KEYS_H

#include <stdbool.h>

/* Whether key is one berth sets itself (exact keys and whole families such
 * as listener.name.<l>.ssl.*). */
bool broker_key_owned(const char *key);

#endif
