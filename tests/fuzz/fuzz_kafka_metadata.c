/* Feeds arbitrary bytes to the Metadata response decoder as each version it
 * speaks (v4..v13, classic and flexible): it must either fail with a message
 * and no result, or return one whose arrays match their counts, never read
 * outside the input, leak or crash. The lookups drain uses run over every
 * decoded partition. Seeds in corpus/fuzz_kafka_metadata/ are bodies
 * captured from Kafka 4.1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kafka/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ids(const int32_t *ids, int32_t n)
{
    volatile uint32_t sum = 0;
    int32_t i;

    if (n < 0 || (n > 0 && ids == NULL))
        abort();
    for (i = 0; i < n; i++)
        sum += (uint32_t)ids[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t version;

    for (version = KAFKA_METADATA_MIN; version <= KAFKA_METADATA_MAX; version++) {
        kafka_metadata *md = NULL;
        kafka_metadata_refs *refs;
        util_err err;
        int32_t t, p;

        err.msg[0] = '\0';
        if (kafka_metadata_decode(data, size, version, &md, &err) < 0) {
            if (md != NULL || err.msg[0] == '\0')
                abort(); /* a failure must say why and return nothing */
            continue;
        }
        if (md == NULL || md->version != version || md->n_brokers < 0 || md->n_topics < 0)
            abort();
        for (t = 0; t < md->n_brokers; t++)
            if (md->brokers[t].host == NULL ||
                kafka_metadata_broker_find(md, md->brokers[t].node_id) == NULL)
                abort();
        for (t = 0; t < md->n_topics; t++) {
            const kafka_metadata_topic *topic = &md->topics[t];

            if (topic->n_partitions < 0 || (topic->name == NULL && version < 12))
                abort();
            for (p = 0; p < topic->n_partitions; p++) {
                const kafka_metadata_partition *part = &topic->partitions[p];

                check_ids(part->replicas, part->n_replicas);
                check_ids(part->isr, part->n_isr);
                check_ids(part->offline, part->n_offline);
                /* A hostile answer may repeat a topic: only the first is found. */
                if (topic->name != NULL)
                    (void)kafka_metadata_partition_find(md, topic->name, part->index);
                if (kafka_metadata_led_by(md, part->leader, &refs, &err) < 0)
                    abort();
                if (refs->n < 1)
                    abort();
                kafka_metadata_refs_free(refs);
            }
        }
        kafka_metadata_free(md);
    }
    return 0;
}
