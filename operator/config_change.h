/* How spec.config changes reach running Kafka brokers: the pure half
 * (reconcile_config.c asks Kafka and writes).
 *
 * The StatefulSet records, in its annotation berth.io/config, what the
 * brokers run with:
 *
 *   {"rolled":  {"<key>": "<fingerprint of the value>", ...},
 *    "live":    ["<key>", ...],
 *    "rolling": ["<key>", ...]}
 *
 * "rolled" is spec.config as the pods were last rolled for (or created
 * with); "live" the keys berth set at Kafka's cluster-default level
 * (IncrementalAlterConfigs on the BROKER resource ""), because their value
 * differs from "rolled" and Kafka updates them without a restart; "rolling"
 * the keys the last config roll was for, while that roll is under way. The
 * pod template carries berth.io/config-hash, a hash of "rolled": a new
 * "rolled" changes the template, so the StatefulSet rolls the brokers, one
 * at a time, each drained by its preStop hook.
 *
 * Values are kept as fingerprints (16 hex digits of their SHA-256), so
 * neither secrets nor large values land in an annotation. Keys are sorted,
 * so the same config gives byte-identical annotations and an unchanged
 * cluster costs no write. */
#ifndef BERTH_OP_CONFIG_CHANGE_H
#define BERTH_OP_CONFIG_CHANGE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#define OP_CONFIG_ANNOTATION      "berth.io/config"
#define OP_CONFIG_HASH_ANNOTATION "berth.io/config-hash"
#define OP_CONFIG_FP_SIZE         17 /* 16 hex digits and the NUL */

/* The fingerprint of a config value into fp (OP_CONFIG_FP_SIZE bytes). */
void op_config_fingerprint(const char *value, char *fp);

/* {"<key>": fingerprint} for every string member of config (NULL: none),
 * sorted by key. New; cJSON_Delete. */
cJSON *op_config_rolled_new(const cJSON *config);

/* The pod template's hash of rolled (an object from op_config_rolled_new)
 * into fp (OP_CONFIG_FP_SIZE bytes). */
void op_config_hash(const cJSON *rolled, char *fp);

/* The StatefulSet's record: a new object with "rolled" (object), "live"
 * and "rolling" (arrays of strings) read from annotation text; NULL when
 * the text is NULL or not such a record (a StatefulSet made by a berth
 * that kept none). */
cJSON *op_config_state_parse(const char *text);

/* The record as annotation text (keys and arrays sorted); new, free(). */
char *op_config_state_print(const cJSON *rolled, const cJSON *live, const cJSON *rolling);

/* The keys of config whose value's fingerprint differs from rolled's
 * (added or changed), and the keys of rolled not in config (removed):
 * new sorted arrays of strings. */
void op_config_changes(const cJSON *config, const cJSON *rolled, cJSON **changed, cJSON **removed);

/* Whether a sorted or unsorted array of strings holds s. */
bool op_config_has(const cJSON *keys, const char *s);

/* Adds s to a string array keeping it sorted and unique. */
void op_config_add(cJSON *keys, const char *s);

/* Whether the StatefulSet's last template change is rolled out: the
 * controller saw the current generation, and every replica runs the
 * update revision (which is then the current one). */
bool op_config_roll_done(const cJSON *sts);

/* "a, b, c" of a string array into buf (cut with "..."). Returns buf. */
const char *op_config_list(const cJSON *keys, char *buf, size_t size);

#endif
