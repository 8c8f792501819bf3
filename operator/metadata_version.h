/* metadata.version levels: Kafka's MetadataVersion feature levels, named
 * "X.Y-IVn", and the highest each Kafka release runs. The table is taken
 * from Kafka's MetadataVersion enum (its production levels, 3.3-IV3 = 7 to
 * 4.4-IV2 = 33, as Apache Kafka 4.4.0 lists them); spec.metadataVersion
 * (cluster.c) and the upgrade decisions (upgrade.h) read it. */
#ifndef BERTH_OP_METADATA_VERSION_H
#define BERTH_OP_METADATA_VERSION_H

/* The level named name ("4.3-IV0") or written as a number ("30"), or -1
 * when it is neither a known name nor a number from 1 to 32767. */
int op_mv_level(const char *name);

/* The name of level ("4.3-IV0"), borrowed and static, or NULL when the
 * table does not know it. */
const char *op_mv_name(int level);

/* The Kafka release X.Y.Z in an image reference's tag ("repo/kafka:4.4.0",
 * "kafka:v3.9.1-debian-12"): the first X.Y.Z in the tag. 0, or -1 when the
 * reference has no tag or its tag no release number. */
int op_kafka_release(const char *image, int *major, int *minor, int *patch);

/* The highest metadata.version level Kafka X.Y runs: the last level of its
 * minor in the table; -1 for a release before the table (older than 3.3),
 * 0 for one after it (newer than the table knows: not checked). */
int op_mv_release_max(int major, int minor);

#endif
