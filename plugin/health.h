/* What `kubectl berth health CLUSTER` judges, with no I/O: the report (the
 * -o json|yaml document) built from answers already decoded (Metadata,
 * min.insync.replicas, DescribeQuorum, ListPartitionReassignments, the
 * drain ledger, the broker pods), the verdict and its exit status, and the
 * table printed from the report. cmd_health.c asks the cluster and the API
 * server; everything it concludes is concluded here, so unit tests cover it
 * with hand-made answers.
 *
 * A problem makes the cluster not healthy: a partition offline (no
 * leader), under min.insync.replicas or under-replicated (ISR smaller than
 * the replica set); a broker without a pod, not Ready, or not registered
 * with the cluster (absent from Metadata); a KRaft quorum without a leader,
 * a voter behind it, or a quorum that could not be described. A note does
 * not: partitions not led by their preferred leader (the leader skew),
 * reassignments in progress, brokers demoted in the drain ledger, answers
 * that could not be had (pods, ledger, reassignments), and the like. */
#ifndef BERTH_PL_HEALTH_H
#define BERTH_PL_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "drain/ledger.h"
#include "kafka/configs.h"
#include "kafka/metadata.h"
#include "kafka/quorum.h"
#include "kafka/reassign.h"

/* How far behind the quorum leader a voter may have last caught up and
 * still count as caught up: the broker readiness gate's figure
 * (SC_VOTER_MAX_LAG_MS). */
#define PL_HEALTH_VOTER_MAX_LAG_MS 5000

/* What the report is made from; everything borrowed for the call. The
 * *_error strings say why the answer next to them is missing (a note, or
 * for the quorum a problem); NULL with a NULL answer: not asked. */
typedef struct pl_health_input {
    const char *cluster;
    const char *namespace;
    const char *flavor;    /* "kafka" or "redpanda" (no quorum to ask) */
    int32_t asked;         /* the id of the broker that answered */
    const char *asked_pod; /* its pod */
    int port;              /* the port forwarded to, or the address's port */
    const char *address;   /* with --direct: the "host:port" dialled; NULL: a port-forward */
    const char *listener;  /* with address: the listener it is advertised on */
    /* The KafkaCluster's status.brokers (id, pod, ready): the brokers
     * there should be. */
    const cJSON *brokers;
    /* The broker pods found (an array of Pods; a broker without one has
     * none); NULL when they could not be read (pods_error): readiness is
     * then status.brokers[].ready. */
    const cJSON *pods;
    const char *pods_error;
    const kafka_metadata *md; /* every topic; required */
    /* DescribeConfigs answers holding min.insync.replicas of the topics
     * (as many as the requests they were asked in); a topic in none of
     * them has an unknown minimum, checked against nothing. */
    const kafka_describe_configs_response *const *configs;
    int n_configs;
    const kafka_quorum_partition *quorum; /* the metadata quorum */
    const char *quorum_error;
    const kafka_list_partition_reassignments_response *reassign;
    const char *reassign_error;
    const drain_ledger *ledger;
    const char *ledger_error;
} pl_health_input;

/* The report of in: cluster, namespace, flavor, healthy, problems and
 * notes (arrays of sentences), asked ({id, pod, port, via:
 * "port-forward" or "direct", with direct its address and listener}),
 * clusterId, controllerId, brokers (per broker: id, pod, ready, registered, leaders,
 * preferredLeaders, replicas, demotedPartitions, and when the pods were
 * read podFound, phase, readyReason, readyMessage, waiting, restarts,
 * terminating), partitions (total, topics, underReplicated, underMinIsr,
 * offline, notPreferredLeader, leaderSkew, mostLeaders, fewestLeaders, and
 * list: every partition with a problem or not led by its preferred
 * leader, with topic, partition, leader, replicas, isr, minIsr and
 * problems), quorum (leaderId, leaderEpoch, highWatermark, observers and
 * voters: id, logEndOffset, lag, lastCaughtUpMsAgo, caughtUp; absent when
 * not asked), reassignments (topic, partition, replicas, adding,
 * removing) and ledger (partitions, demoted: the ids demoted somewhere).
 * A new object for cJSON_Delete; NULL when in->md is NULL or out of
 * memory. */
cJSON *pl_health_report(const pl_health_input *in);

/* PL_EXIT_OK for a report that says healthy, else PL_EXIT_UNHEALTHY. */
int pl_health_exit(const cJSON *report);

/* The report as people read it: the verdict and its problems and notes,
 * then a table per section (brokers, partitions with a problem, voters),
 * reassignments and the ledger. wide (-o wide) adds the brokers' Ready
 * message and lists every partition with a problem, not the first
 * PL_TABLE_ROWS. */
void pl_health_print(const cJSON *report, bool wide, FILE *f);

#endif
