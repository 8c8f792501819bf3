/* Feeds arbitrary bytes to the DescribeCluster response decoder as each
 * version it speaks (v0..v2): it must either fail with a message and no
 * result, or return one whose broker array matches its count, never read
 * outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_describe_cluster/ are bodies captured from Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/cluster.h"

static void check(const kafka_describe_cluster_response *res, int16_t version, size_t size)
{
    int32_t i;

    (void)version;
    (void)size;
    if (res->cluster_id == NULL || res->n_brokers < 0)
        abort();
    for (i = 0; i < res->n_brokers; i++)
        if (res->brokers[i].host == NULL ||
            kafka_describe_cluster_find(res, res->brokers[i].broker_id) == NULL)
            abort();
}

KAFKA_FUZZ_RESPONSE(kafka_describe_cluster_response, kafka_describe_cluster_decode,
                    kafka_describe_cluster_free, KAFKA_DESCRIBE_CLUSTER_MIN,
                    KAFKA_DESCRIBE_CLUSTER_MAX)
