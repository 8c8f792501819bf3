/* Feeds arbitrary bytes to the DescribeQuorum response decoder as each
 * version it speaks (v0..v2): it must either fail with a message and no
 * result, or return one whose arrays match their counts, never read outside
 * the input, leak or crash; the caught-up test runs for every voter. Seeds
 * in corpus/fuzz_kafka_describe_quorum/ are bodies captured from Kafka 4.1. */
#include "fuzz_kafka.h"
#include "kafka/quorum.h"

static void check(const kafka_describe_quorum_response *res, int16_t version, size_t size)
{
    const kafka_quorum_partition *p;
    volatile uint64_t sum = 0;
    int32_t i, k;

    (void)version;
    (void)size;
    if (res->n_topics < 0 || res->n_nodes < 0)
        abort();
    p = kafka_describe_quorum_partition(res);
    if (p != NULL) {
        for (i = 0; i < p->n_voters; i++)
            if (kafka_quorum_voter_caught_up(p, p->voters[i].replica_id, 1000) < 0)
                abort();
        for (i = 0; i < p->n_observers; i++)
            sum += (uint64_t)p->observers[i].log_end_offset;
    }
    for (i = 0; i < res->n_nodes; i++)
        for (k = 0; k < res->nodes[i].n_listeners; k++)
            if (res->nodes[i].listeners[k].host == NULL)
                abort();
}

KAFKA_FUZZ_RESPONSE(kafka_describe_quorum_response, kafka_describe_quorum_decode,
                    kafka_describe_quorum_free, KAFKA_DESCRIBE_QUORUM_MIN,
                    KAFKA_DESCRIBE_QUORUM_MAX)
