/* Growing the brokers' volumes (spec.storage.size): the pure decisions,
 * so unit tests need no API server. A StatefulSet's volumeClaimTemplates
 * cannot be changed in place, so a new size reaches the cluster in steps
 * (reconcile_storage.c runs them, each safe to repeat):
 *
 *   1. the StorageClass of the claims must allow volume expansion;
 *   2. each broker's claim data-<c>-<i> is patched to the new size (a
 *      claim already that large is left alone);
 *   3. the StatefulSet is deleted with its pods orphaned (they keep
 *      running) and created again, from the live object with only its
 *      claim template's size changed: the pod template is the same, so
 *      its revision is, and the new StatefulSet adopts the pods without a
 *      restart; then its fields get back the owners they had.
 *
 * Until that is done (and whenever it may not be: a shrink, a class that
 * cannot expand) the desired StatefulSet keeps the live claim template's
 * size, so every other change still applies. */
#ifndef BERTH_OP_STORAGE_H
#define BERTH_OP_STORAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cluster.h"

/* The name of the claim template that holds a broker's data. */
#define OP_STORAGE_CLAIM "data"

typedef enum op_storage_change {
    OP_STORAGE_SAME,   /* the claim template already asks for the spec's size */
    OP_STORAGE_GROW,   /* the spec asks for more */
    OP_STORAGE_SHRINK, /* the spec asks for less: refused */
    OP_STORAGE_UNKNOWN /* the live template's size cannot be read: left alone */
} op_storage_change;

/* The storage request of sts's data claim template (a StatefulSet or the
 * desired one), borrowed from sts; NULL if it has none. */
const char *op_storage_template_size(const cJSON *sts);

/* How the spec's size (want) compares with what the live StatefulSet's
 * claim template asks for (have, NULL when unknown). */
op_storage_change op_storage_compare(const char *have, const char *want);

/* Sets the storage request of sts's data claim template to size: the
 * desired StatefulSet keeps the live size while a change cannot be made in
 * place. 0, or -1 when sts has no such template. */
int op_storage_set_template_size(cJSON *sts, const char *size);

/* The claim the StatefulSet made for broker ordinal i: data-<c>-<i>. */
const char *op_storage_claim_name(const op_cluster *c, int i, char *buf, size_t size);

/* Whether claim (a PersistentVolumeClaim) asks for less than size: its
 * spec.resources.requests.storage is below it, or unreadable. */
bool op_storage_claim_below(const cJSON *claim, const char *size);

/* Whether claim's volume is still smaller than its request: its
 * status.capacity.storage is below spec.resources.requests.storage (the
 * volume has not been expanded yet). A claim with no capacity yet is not
 * bound: it waits for a volume, not for a resize. */
bool op_storage_claim_pending(const cJSON *claim);

/* The status.storage.resizing entry of claim, new: {claim, requested,
 * capacity}; NULL unless op_storage_claim_pending. */
cJSON *op_storage_resizing_new(const cJSON *claim);

/* Whether class (a StorageClass) has allowVolumeExpansion: true. */
bool op_storage_class_expands(const cJSON *class);

/* The StatefulSet to create again in place of live: its name, namespace,
 * labels, annotations and owner references, its spec with the data claim
 * template asking for size, and nothing the server set (uid,
 * resourceVersion, managedFields, finalizers, status). New; NULL when live
 * has no data claim template. */
cJSON *op_storage_recreated_new(const cJSON *live, const char *size);

/* The merge patch that gives the StatefulSet created again the field
 * ownership live had ({"metadata":{"managedFields": live's}}): the create
 * made its manager the owner of every field, so without it a field berth
 * stops setting (a removed listener's port) would stay, and berth's next
 * apply would drop fields others set (kubectl rollout restart's
 * annotation). A patch that changes nothing but managedFields sets them as
 * given. New; NULL when live has none. */
cJSON *op_storage_owners_patch_new(const cJSON *live);

#endif
