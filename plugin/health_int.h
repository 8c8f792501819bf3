/* What health_report.c (partitions, quorum, reassignments, ledger, the
 * verdict) and health_brokers.c (the brokers section) share while one
 * report is built. Internal to the health report. */
#ifndef BERTH_PL_HEALTH_INT_H
#define BERTH_PL_HEALTH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "health.h"

/* One broker as the report counts it. */
typedef struct pl_health_broker {
    int32_t id;
    bool known;      /* in the KafkaCluster's status.brokers */
    bool registered; /* in Metadata's brokers: registered and not fenced */
    int leaders;     /* partitions it leads */
    int preferred;   /* partitions it is the preferred (first) replica of */
    int replicas;    /* partitions it holds a replica of */
    int demoted;     /* ledger entries demoting it */
} pl_health_broker;

/* Every broker any answer names, in the order first seen (sorted by id
 * before the brokers section is written). b is owned by whoever fills it
 * (free()). */
typedef struct pl_health_brokers {
    pl_health_broker *b;
    int n, cap;
} pl_health_brokers;

/* The entry of id in s, added (zeroed) when new; borrowed from s until the
 * next call. NULL out of memory. */
pl_health_broker *pl_health_broker_of(pl_health_brokers *s, int32_t id);

/* Enters the brokers status.brokers lists (known) and those Metadata
 * lists (registered). -1 out of memory. */
int pl_health_brokers_known(const pl_health_input *in, pl_health_brokers *s);

/* Sorts s by id and appends a row per broker to list (the report's
 * brokers), with each broker's problems (no pod, not Ready, not
 * registered) and notes. */
void pl_health_brokers_put(const pl_health_input *in, pl_health_brokers *s, cJSON *list,
                           cJSON *problems, cJSON *notes);

/* Appends a sentence (printf format) to list, a problems or notes array. */
void pl_health_say(cJSON *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
