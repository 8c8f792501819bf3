/* Names for the protocol numbers in proto.h, for error messages and logs. */
#include "kafka/proto.h"

#include <stddef.h>

const char *kafka_api_name(int16_t api_key)
{
    switch (api_key) {
    case KAFKA_API_METADATA:
        return "Metadata";
    case KAFKA_API_SASL_HANDSHAKE:
        return "SaslHandshake";
    case KAFKA_API_API_VERSIONS:
        return "ApiVersions";
    case KAFKA_API_CREATE_TOPICS:
        return "CreateTopics";
    case KAFKA_API_DELETE_TOPICS:
        return "DeleteTopics";
    case KAFKA_API_DESCRIBE_CONFIGS:
        return "DescribeConfigs";
    case KAFKA_API_SASL_AUTHENTICATE:
        return "SaslAuthenticate";
    case KAFKA_API_ELECT_LEADERS:
        return "ElectLeaders";
    case KAFKA_API_INCREMENTAL_ALTER_CONFIGS:
        return "IncrementalAlterConfigs";
    case KAFKA_API_ALTER_PARTITION_REASSIGNMENTS:
        return "AlterPartitionReassignments";
    case KAFKA_API_LIST_PARTITION_REASSIGNMENTS:
        return "ListPartitionReassignments";
    case KAFKA_API_DESCRIBE_QUORUM:
        return "DescribeQuorum";
    case KAFKA_API_UPDATE_FEATURES:
        return "UpdateFeatures";
    case KAFKA_API_DESCRIBE_CLUSTER:
        return "DescribeCluster";
    }
    return "unknown";
}

const char *kafka_error_name(int16_t code)
{
    static const struct {
        int16_t code;
        const char *name;
    } names[] = {
        {KAFKA_ERR_UNKNOWN_SERVER_ERROR, "UNKNOWN_SERVER_ERROR"},
        {KAFKA_ERR_NONE, "NONE"},
        {KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, "UNKNOWN_TOPIC_OR_PARTITION"},
        {KAFKA_ERR_LEADER_NOT_AVAILABLE, "LEADER_NOT_AVAILABLE"},
        {KAFKA_ERR_NOT_LEADER_OR_FOLLOWER, "NOT_LEADER_OR_FOLLOWER"},
        {KAFKA_ERR_REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT"},
        {KAFKA_ERR_BROKER_NOT_AVAILABLE, "BROKER_NOT_AVAILABLE"},
        {KAFKA_ERR_REPLICA_NOT_AVAILABLE, "REPLICA_NOT_AVAILABLE"},
        {KAFKA_ERR_NETWORK_EXCEPTION, "NETWORK_EXCEPTION"},
        {KAFKA_ERR_INVALID_TOPIC_EXCEPTION, "INVALID_TOPIC_EXCEPTION"},
        {KAFKA_ERR_NOT_ENOUGH_REPLICAS, "NOT_ENOUGH_REPLICAS"},
        {KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED, "TOPIC_AUTHORIZATION_FAILED"},
        {KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED, "CLUSTER_AUTHORIZATION_FAILED"},
        {KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM, "UNSUPPORTED_SASL_MECHANISM"},
        {KAFKA_ERR_ILLEGAL_SASL_STATE, "ILLEGAL_SASL_STATE"},
        {KAFKA_ERR_UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION"},
        {KAFKA_ERR_TOPIC_ALREADY_EXISTS, "TOPIC_ALREADY_EXISTS"},
        {KAFKA_ERR_INVALID_PARTITIONS, "INVALID_PARTITIONS"},
        {KAFKA_ERR_INVALID_REPLICATION_FACTOR, "INVALID_REPLICATION_FACTOR"},
        {KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT, "INVALID_REPLICA_ASSIGNMENT"},
        {KAFKA_ERR_INVALID_CONFIG, "INVALID_CONFIG"},
        {KAFKA_ERR_NOT_CONTROLLER, "NOT_CONTROLLER"},
        {KAFKA_ERR_INVALID_REQUEST, "INVALID_REQUEST"},
        {KAFKA_ERR_POLICY_VIOLATION, "POLICY_VIOLATION"},
        {KAFKA_ERR_SASL_AUTHENTICATION_FAILED, "SASL_AUTHENTICATION_FAILED"},
        {KAFKA_ERR_REASSIGNMENT_IN_PROGRESS, "REASSIGNMENT_IN_PROGRESS"},
        {KAFKA_ERR_TOPIC_DELETION_DISABLED, "TOPIC_DELETION_DISABLED"},
        {KAFKA_ERR_PREFERRED_LEADER_NOT_AVAILABLE, "PREFERRED_LEADER_NOT_AVAILABLE"},
        {KAFKA_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE, "ELIGIBLE_LEADERS_NOT_AVAILABLE"},
        {KAFKA_ERR_ELECTION_NOT_NEEDED, "ELECTION_NOT_NEEDED"},
        {KAFKA_ERR_NO_REASSIGNMENT_IN_PROGRESS, "NO_REASSIGNMENT_IN_PROGRESS"},
        {KAFKA_ERR_THROTTLING_QUOTA_EXCEEDED, "THROTTLING_QUOTA_EXCEEDED"},
        {KAFKA_ERR_RESOURCE_NOT_FOUND, "RESOURCE_NOT_FOUND"},
        {KAFKA_ERR_INVALID_UPDATE_VERSION, "INVALID_UPDATE_VERSION"},
        {KAFKA_ERR_FEATURE_UPDATE_FAILED, "FEATURE_UPDATE_FAILED"},
        {KAFKA_ERR_UNKNOWN_TOPIC_ID, "UNKNOWN_TOPIC_ID"},
    };
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return "unknown";
}

int kafka_version_check(const char *what, int16_t version, int16_t min, int16_t max, util_err *err)
{
    if (version < min || version > max)
        return util_err_set(err, "%s: version %d not spoken (%d..%d)", what, version, min, max);
    return 0;
}
