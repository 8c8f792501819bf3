/* What `kubectl berth drain-plan POD` concludes, with no I/O: the drain of
 * one broker as the sidecar's drain would plan it now, by the drain's own
 * planner (drain/plan.h) fed what the drain feeds it (Metadata, the
 * ongoing reassignments, the drain ledger, min.insync.replicas per topic
 * taken as drain/min_isr.h takes it); the report made of that plan (the
 * -o json|yaml document), its verdict and exit status, and the table
 * printed from the report. cmd_drain_plan.c asks the cluster and the API
 * server; everything it concludes is concluded here, so unit tests cover
 * it with hand-made answers.
 *
 * The counts are those of the drain's first round, which the sidecar logs
 * as "broker B leads L partitions; W orders to write, R reported": L the
 * partitions the broker leads (the leaderships to move), W the replica
 * orders to write, R the partitions reported. Restarting the broker now is
 * not safe when a partition's only in-sync replica is the broker (it goes
 * offline when the broker stops; the drain leaves it alone) or a partition
 * falls below its min.insync.replicas once the broker stops. Partitions
 * under reassignment (skipped by the drain) and partitions whose every
 * replica is demoted (no successor: the broker stays preferred) are notes.
 * The plan counts; it says nothing of how long a drain takes. */
#ifndef BERTH_PL_DRAIN_PLAN_H
#define BERTH_PL_DRAIN_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "drain/ledger.h"
#include "kafka/configs.h"
#include "kafka/metadata.h"
#include "kafka/reassign.h"
#include "util/err.h"

/* Rows of reported partitions the table shows; -o wide and -o json|yaml
 * list them all. */
#define PL_TABLE_ROWS 20

/* What the plan is made from; everything borrowed for the call. */
typedef struct pl_drain_plan_input {
    const char *cluster;
    const char *namespace;
    int32_t broker;           /* the broker to drain */
    const char *pod;          /* its pod */
    int32_t asked;            /* the broker that answered */
    const char *asked_pod;    /* its pod */
    int port;                 /* the port forwarded to, or the address's port */
    const char *address;      /* with --direct: the "host:port" dialled; NULL: a port-forward */
    const char *listener;     /* with address: the listener it is advertised on */
    const kafka_metadata *md; /* every topic; required */
    /* Every reassignment in progress; NULL: none. */
    const kafka_list_partition_reassignments_response *reassign;
    /* The drain ledger as stored (NULL: empty). The planner steps a copy,
     * which is dropped: this one is never changed. */
    const drain_ledger *ledger;
    /* DescribeConfigs answers holding min.insync.replicas of the topics;
     * a topic in none of them counts 1, as in the drain. */
    const kafka_describe_configs_response *const *configs;
    int n_configs;
} pl_drain_plan_input;

/* The report of the drain of in->broker: cluster, namespace, broker, pod,
 * asked ({id, pod, port, via: "port-forward" or "direct", with direct
 * its address and listener}), registered (whether Metadata lists the broker),
 * safe, problems and notes (arrays of sentences), leadershipsToMove,
 * ordersToWrite, reported (the three figures of the drain's log line),
 * partitionsDemoted (partitions whose order the drain sets in the
 * ledger), electionsToAsk, reportedByKind (underReassignment,
 * onlyInSyncReplica, belowMinIsr, noSuccessor), reportedPartitions (per
 * partition reported, in the drain's order: topic, partition, kind,
 * reason as the drain logs it, leader, replicas, isr, and the drain's
 * inSyncBesides and minIsr, null under reassignment) and partitions
 * (every partition the plan names: topic, partition, leader, replicas,
 * isr, minIsr, order (the order wanted; null when not planned),
 * writeOrder, elect, reported (its kinds)). A new object for cJSON_Delete;
 * NULL with err when in->md is NULL, the planner refuses the answers, or
 * out of memory. */
cJSON *pl_drain_plan_report(const pl_drain_plan_input *in, util_err *err);

/* PL_EXIT_OK for a report that says safe, else PL_EXIT_UNHEALTHY. */
int pl_drain_plan_exit(const cJSON *report);

/* The report as people read it: the verdict and its problems and notes,
 * the drain's figures (and its log line), then the partitions reported
 * (the first PL_TABLE_ROWS unless wide); wide (-o wide) adds
 * every partition of the plan. */
void pl_drain_plan_print(const cJSON *report, bool wide, FILE *f);

#endif
