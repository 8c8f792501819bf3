/* Kafka upgrades finish with metadata.version: the decisions, kept pure so
 * tests need no cluster (reconcile_upgrade.c does the I/O).
 *
 * An image change rolls the brokers (the StatefulSet, drained pod by pod);
 * the new release's features stay off until the cluster's metadata.version
 * is raised. Once the roll has finished (op_upgrade_roll_done) and every
 * broker reports the same supported range, the operator raises it
 * (UpdateFeatures, UPGRADE) to the highest level all of them support, or to
 * spec.metadataVersion when the user pins it. Kafka cannot lower a
 * metadata.version safely, so an image whose release supports less than the
 * finalized level is refused before the StatefulSet changes
 * (op_upgrade_image_check).
 *
 * Levels and their names are metadata_version.h's. */
#ifndef BERTH_OP_UPGRADE_H
#define BERTH_OP_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cluster.h"

/* Whether image may replace the running one when the cluster has finalized
 * metadata.version level `finalized` (-1: not known yet). 0: yes; 1: no,
 * msg says why (its release supports less); 2: yes, but its tag names no
 * release the table can check (msg says so). */
int op_upgrade_image_check(const char *image, int finalized, char *msg, size_t size);

/* The image of the container named broker in spec (a pod's spec or a pod
 * template's), or NULL. Borrowed from spec. */
const char *op_broker_image(const cJSON *spec);

/* Whether the StatefulSet's roll onto c's image has finished: the live
 * StatefulSet (sts, as read) asks for c->image, has seen its generation,
 * and reports every replica updated and Ready on one revision; and each of
 * the c->replicas broker pods runs c->image, is Ready and not deleting. */
bool op_upgrade_roll_done(const op_cluster *c, const cJSON *sts, const cJSON *pods);

/* What one broker's ApiVersions said about metadata.version; -1 where it
 * said nothing. */
typedef struct op_mv_broker {
    int min_supported, max_supported;
    int finalized;
} op_mv_broker;

typedef enum op_mv_action {
    OP_MV_NOTHING,     /* finalized at the target already */
    OP_MV_RAISE,       /* UpdateFeatures to level */
    OP_MV_WAIT,        /* the brokers disagree or say nothing: ask again later */
    OP_MV_UNSUPPORTED, /* the pinned level is beyond what the brokers support */
    OP_MV_BELOW,       /* the pinned level is below the finalized one: no downgrade */
} op_mv_action;

typedef struct op_mv_plan {
    op_mv_action action;
    int finalized; /* the highest any broker reported, -1: none */
    int supported; /* the common supported max, -1 when they differ */
    int level;     /* the target */
    char msg[512]; /* for WAIT, UNSUPPORTED and BELOW */
} op_mv_plan;

/* Decides from n brokers' answers and the pinned level (-1: none) what to
 * do with metadata.version. */
void op_mv_decide(const op_mv_broker *b, int n, int pinned, op_mv_plan *out);

/* The distinct Kafka releases (X.Y.Z of their broker container's image)
 * the broker pods run, sorted, as a new JSON array of strings (at most 16);
 * an image without a release counts as its tag ("unknown" without one). */
cJSON *op_upgrade_versions(const cJSON *pods);

#endif
