/* Sets of partitions named topic by topic, the shape in which ElectLeaders
 * and ListPartitionReassignments requests carry them, plus the two things
 * drain does with such sets: build one a partition at a time, and cut a
 * large one into requests of at most N partitions. */
#ifndef BERTH_KAFKA_TOPIC_PARTITIONS_H
#define BERTH_KAFKA_TOPIC_PARTITIONS_H

#include <stdint.h>

#include "util/err.h"

/* Some partitions of one topic. Both pointers are borrowed from whoever
 * built the value (a kafka_tp_list, a caller's arrays). */
typedef struct kafka_topic_partitions {
    const char *topic;
    const int32_t *partitions;
    int32_t n_partitions;
} kafka_topic_partitions;

/* A growable set built with kafka_tp_list_add. Lives wherever the caller
 * puts it: kafka_tp_list_init before use, kafka_tp_list_release after. */
typedef struct kafka_tp_list {
    kafka_topic_partitions *items; /* owned, with their topics and partitions */
    int32_t n;                     /* entries in items */
    int32_t n_partitions;          /* partitions over all entries */
    int32_t cap;                   /* private: room in items */
    int32_t *room;                 /* private: room in items[i].partitions */
} kafka_tp_list;

void kafka_tp_list_init(kafka_tp_list *l);
void kafka_tp_list_release(kafka_tp_list *l);

/* Appends (topic, partition): to the last entry when it names the same topic,
 * else as a new entry with a copy of topic. Adding partitions topic by topic
 * (as a walk over Metadata does) thus gives one entry per topic. Does not
 * look for duplicates. -1 with err out of memory or past INT32_MAX. */
int kafka_tp_list_add(kafka_tp_list *l, const char *topic, int32_t partition,
                      util_err *err) UTIL_MUST_CHECK;

/* Where kafka_tp_batch_next continues; zero-initialise before the first
 * batch. */
typedef struct kafka_tp_cursor {
    int32_t topic;  /* index into the whole set */
    int32_t offset; /* partitions of that topic already handed out */
} kafka_tp_cursor;

/* Cuts the next batch of at most max_partitions (> 0) partitions from
 * all[0..n_all), in order, splitting a topic across batches when it has to.
 * out must have room for min(n_all, max_partitions) entries; they borrow
 * from all. Returns the number of entries written, 0 when the set is used
 * up. Entries with no partitions are skipped. */
int32_t kafka_tp_batch_next(const kafka_topic_partitions *all, int32_t n_all,
                            int32_t max_partitions, kafka_tp_cursor *cur,
                            kafka_topic_partitions *out);

#endif
