/* The questions more than one command asks of the broker it reached
 * (broker_link.h): min.insync.replicas of the topics and the ongoing
 * reassignments. health and drain-plan ask them alike and differ only in
 * what a failure means to them (health notes it; drain-plan, whose plan
 * needs both as the sidecar's drain does, cannot answer without them). */
#ifndef BERTH_PL_BROKER_ASK_H
#define BERTH_PL_BROKER_ASK_H

#include "broker_link.h"
#include "kafka/configs.h"
#include "kafka/metadata.h"
#include "kafka/reassign.h"
#include "util/err.h"

/* Topics per DescribeConfigs request. */
#define PL_ASK_CONFIGS_BATCH 200

/* min.insync.replicas of every topic md describes with a name and no
 * error, PL_ASK_CONFIGS_BATCH topics a request: *out a new array of *n_out
 * answers for pl_min_isr_answers_free. 0, or -1 with err naming the
 * question (*out NULL). */
int pl_ask_min_isr(const pl_broker_link *l, const kafka_metadata *md,
                   kafka_describe_configs_response ***out, int *n_out,
                   util_err *err) UTIL_MUST_CHECK;

/* Frees the n answers of a and a itself. NULL is a no-op. */
void pl_min_isr_answers_free(kafka_describe_configs_response **a, int n);

/* Every reassignment in progress (ListPartitionReassignments), *out for
 * kafka_list_partition_reassignments_free. 0, or -1 with err when the
 * broker does not take the request (a Kafka before 2.4) or fails it
 * (*out NULL). */
int pl_ask_reassignments(const pl_broker_link *l, kafka_list_partition_reassignments_response **out,
                         util_err *err) UTIL_MUST_CHECK;

#endif
