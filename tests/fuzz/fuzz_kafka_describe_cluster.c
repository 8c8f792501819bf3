/* Feeds arbitrary bytes to the DescribeCluster response decoder as each
 * version it speaks (v0..v2): it must either fail with a message and no
 * result, or return one whose broker array matches its count, never read
 * outside the input, leak or crash. Seeds in
 * corpus/fuzz_kafka_describe_cluster/ are bodies captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kafka/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_DESCRIBE_CLUSTER_MIN; version <= KAFKA_DESCRIBE_CLUSTER_MAX; version++) {
        kafka_describe_cluster_response *res = NULL;
        util_err err;
        int32_t i;

        err.msg[0] = '\0';
        if (kafka_describe_cluster_decode(data, size, version, &res, &err) < 0) {
            if (res != NULL || err.msg[0] == '\0')
                abort();
            continue;
        }
        if (res == NULL || res->cluster_id == NULL || res->n_brokers < 0)
            abort();
        for (i = 0; i < res->n_brokers; i++)
            if (res->brokers[i].host == NULL ||
                kafka_describe_cluster_find(res, res->brokers[i].broker_id) == NULL)
                abort();
        kafka_describe_cluster_free(res);
    }
    return 0;
}
