/* The broker configuration keys berth owns; see owned_keys.h. */
#include "broker/owned_keys.h"

#include <stddef.h>

/* The keys berth renders itself. The API refuses them in spec.config (the
 * CRD's CEL rule on config, which must refuse the same set), the operator
 * refuses them when it reads the spec, and the renderer refuses them again
 * rather than write a file in which a later line silently overrides an
 * earlier one. One list for both flavors: a Kafka key
 * means nothing to Redpanda and the reverse. A '*' matches any run of
 * characters, so whole families are owned:
 *   listener.name.<l>.ssl.*        the key and trust stores of TLS listeners
 *   listener.name.<l>.sasl.enabled.mechanisms, *.sasl.jaas.config
 *                                  the SASL mechanism and login of a listener
 *   listener.name.controller.*, listener.name.replication.*
 *                                  berth's own mutual TLS listeners */
static const char *const owned[] = {
    "node.id",
    "broker.id",
    "process.roles",
    "listeners",
    "advertised.listeners",
    "listener.security.protocol.map",
    "inter.broker.listener.name",
    "security.inter.broker.protocol",
    "sasl.mechanism.inter.broker.protocol",
    "controller.listener.names",
    "controller.quorum.voters",
    "controller.quorum.bootstrap.servers",
    "log.dirs",
    "log.dir",
    "metadata.log.dir",
    "broker.rack",
    "cluster.id",
    "listener.name.*.ssl.*",
    "listener.name.*.sasl.enabled.mechanisms",
    "sasl.jaas.config",
    "*.sasl.jaas.config",
    "listener.name.controller.*",
    "listener.name.replication.*",
    "node_id",
    "seed_servers",
    "data_directory",
    "kafka_api",
    "advertised_kafka_api",
    "rpc_server",
    "advertised_rpc_api",
    "admin",
    "rack",
    "empty_seed_starts_cluster",
};

/* Does key match pattern, where '*' matches any run of characters (none
 * included)? The patterns hold two stars at most, so backtracking stays cheap. */
static bool matches(const char *key, const char *pattern)
{
    if (*pattern == '\0')
        return *key == '\0';
    if (*pattern == '*') {
        for (;; key++) {
            if (matches(key, pattern + 1))
                return true;
            if (*key == '\0')
                return false;
        }
    }
    return *key == *pattern && matches(key + 1, pattern + 1);
}

bool broker_key_owned(const char *key)
{
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (matches(key, owned[i]))
            return true;
    return false;
}
