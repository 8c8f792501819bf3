/* Names and numbers of the Kafka protocol that berth speaks: the API keys it
 * sends and the error codes it reacts to, with their names for messages.
 * Numbers are fixed by the protocol and never reused, so they live here once
 * instead of as magic numbers in every API codec. */
#ifndef BERTH_KAFKA_PROTO_H
#define BERTH_KAFKA_PROTO_H

#include <stdint.h>

#include "util/err.h"

enum kafka_api_key {
    KAFKA_API_METADATA = 3,
    KAFKA_API_SASL_HANDSHAKE = 17,
    KAFKA_API_API_VERSIONS = 18,
    KAFKA_API_CREATE_TOPICS = 19,
    KAFKA_API_DELETE_TOPICS = 20,
    KAFKA_API_DESCRIBE_CONFIGS = 32,
    KAFKA_API_SASL_AUTHENTICATE = 36,
    KAFKA_API_ELECT_LEADERS = 43,
    KAFKA_API_INCREMENTAL_ALTER_CONFIGS = 44,
    KAFKA_API_ALTER_PARTITION_REASSIGNMENTS = 45,
    KAFKA_API_LIST_PARTITION_REASSIGNMENTS = 46,
    KAFKA_API_DESCRIBE_QUORUM = 55,
    KAFKA_API_UPDATE_FEATURES = 57,
    KAFKA_API_DESCRIBE_CLUSTER = 60,
};

enum kafka_error_code {
    KAFKA_ERR_UNKNOWN_SERVER_ERROR = -1,
    KAFKA_ERR_NONE = 0,
    KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KAFKA_ERR_LEADER_NOT_AVAILABLE = 5,
    KAFKA_ERR_NOT_LEADER_OR_FOLLOWER = 6,
    KAFKA_ERR_REQUEST_TIMED_OUT = 7,
    KAFKA_ERR_BROKER_NOT_AVAILABLE = 8,
    KAFKA_ERR_REPLICA_NOT_AVAILABLE = 9,
    KAFKA_ERR_NETWORK_EXCEPTION = 13,
    KAFKA_ERR_INVALID_TOPIC_EXCEPTION = 17,
    KAFKA_ERR_NOT_ENOUGH_REPLICAS = 19,
    KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED = 29,
    KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED = 31,
    KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM = 33,
    KAFKA_ERR_ILLEGAL_SASL_STATE = 34,
    KAFKA_ERR_UNSUPPORTED_VERSION = 35,
    KAFKA_ERR_TOPIC_ALREADY_EXISTS = 36,
    KAFKA_ERR_INVALID_PARTITIONS = 37,
    KAFKA_ERR_INVALID_REPLICATION_FACTOR = 38,
    KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT = 39,
    KAFKA_ERR_INVALID_CONFIG = 40,
    KAFKA_ERR_NOT_CONTROLLER = 41,
    KAFKA_ERR_INVALID_REQUEST = 42,
    KAFKA_ERR_POLICY_VIOLATION = 44,
    KAFKA_ERR_SASL_AUTHENTICATION_FAILED = 58,
    KAFKA_ERR_REASSIGNMENT_IN_PROGRESS = 60,
    KAFKA_ERR_TOPIC_DELETION_DISABLED = 73,
    KAFKA_ERR_PREFERRED_LEADER_NOT_AVAILABLE = 80,
    KAFKA_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE = 83,
    KAFKA_ERR_ELECTION_NOT_NEEDED = 84,
    KAFKA_ERR_NO_REASSIGNMENT_IN_PROGRESS = 85,
    KAFKA_ERR_THROTTLING_QUOTA_EXCEEDED = 89,
    KAFKA_ERR_RESOURCE_NOT_FOUND = 91,
    KAFKA_ERR_INVALID_UPDATE_VERSION = 95,
    KAFKA_ERR_FEATURE_UPDATE_FAILED = 96,
    KAFKA_ERR_UNKNOWN_TOPIC_ID = 100,
};

/* ElectLeaders: which replica may become leader. */
enum kafka_election_type {
    KAFKA_ELECTION_PREFERRED = 0, /* the first replica, if in the ISR and active */
    KAFKA_ELECTION_UNCLEAN = 1,   /* any live replica when none is in sync */
};

/* DescribeConfigs / IncrementalAlterConfigs resource types. */
enum kafka_resource_type {
    KAFKA_RESOURCE_TOPIC = 2,
    KAFKA_RESOURCE_BROKER = 4,
    KAFKA_RESOURCE_BROKER_LOGGER = 8,
};

/* IncrementalAlterConfigs operations. */
enum kafka_config_operation {
    KAFKA_CONFIG_SET = 0,
    KAFKA_CONFIG_DELETE = 1,
    KAFKA_CONFIG_APPEND = 2,
    KAFKA_CONFIG_SUBTRACT = 3,
};

/* DescribeConfigs: where a value comes from, most specific first. */
enum kafka_config_source {
    KAFKA_CONFIG_SOURCE_UNKNOWN = 0,
    KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
    KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER = 2,
    KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER = 3,
    KAFKA_CONFIG_SOURCE_STATIC_BROKER = 4,
    KAFKA_CONFIG_SOURCE_DEFAULT = 5,
    KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER = 6,
};

/* Static names ("Metadata", "UNSUPPORTED_VERSION"); codes berth does not
 * know yield "unknown". Never NULL. */
const char *kafka_api_name(int16_t api_key);
const char *kafka_error_name(int16_t code);

/* 0 if version lies in min..max, the versions of one API berth speaks;
 * otherwise -1 with err "WHAT: version V not spoken (MIN..MAX)", what
 * naming the message ("Metadata request"). Every encoder and decoder starts
 * with it, so a caller's wrong version fails the same way everywhere. */
int kafka_version_check(const char *what, int16_t version, int16_t min, int16_t max,
                        util_err *err) UTIL_MUST_CHECK;

#endif
