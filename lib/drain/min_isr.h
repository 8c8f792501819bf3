/* min.insync.replicas per topic as a drain takes it (plan.h checks which
 * partitions would fall below it once the broker stops): read from
 * DescribeConfigs answers, 1 where a topic's value is missing or not a
 * number of at least 1. One function turns the answers into the planner's
 * list, so that the sidecar's drain and `kubectl berth drain-plan`, which
 * ask in requests of their own sizes, plan on the same figures. */
#ifndef BERTH_DRAIN_MIN_ISR_H
#define BERTH_DRAIN_MIN_ISR_H

#include <stdint.h>

#include "kafka/configs.h"
#include "kafka/metadata.h"
#include "util/err.h"

/* The configuration key, as DescribeConfigs is asked for it. */
#define DRAIN_MIN_ISR_KEY "min.insync.replicas"

/* min.insync.replicas of one topic. */
typedef struct drain_topic_min_isr {
    const char *topic;
    int32_t min_isr;
} drain_topic_min_isr;

/* The topic's value in the first of answers[0..n_answers) (NULL ones
 * skipped) that has a result for it; 0 when none has one, the result is
 * an error, or the value is missing or below 1. What health reports as
 * unknown, a drain takes as 1. */
int32_t drain_min_isr_answer(const kafka_describe_configs_response *const *answers, int n_answers,
                             const char *topic);

/* The topic's value from the list, 1 when absent. */
int32_t drain_min_isr_of(const drain_topic_min_isr *list, int32_t n, const char *topic);

/* One entry per topic md describes with a name and no error, in md's
 * order: its value in the first of answers[0..n_answers) (DescribeConfigs
 * of TOPIC resources; NULL ones are skipped) that has a result for it, 1
 * when none has one, the result is an error, or the value is missing or
 * below 1. *out is a new array for free() with *n_out entries, whose names
 * are borrowed from md. 0, or -1 with err out of memory. */
int drain_min_isr_list(const kafka_metadata *md,
                       const kafka_describe_configs_response *const *answers, int n_answers,
                       drain_topic_min_isr **out, int32_t *n_out, util_err *err) UTIL_MUST_CHECK;

#endif
