/* Reading the identity of a Kubernetes object held as cJSON: the metadata
 * fields every cache, index and log line needs, and the "namespace/name"
 * key that names an object in caches and work queues (client-go's
 * MetaNamespaceKeyFunc), and finding an object by name in a list. Pure functions; returned strings
 * are borrowed from the object and live as long as it does. */
#ifndef BERTH_KUBE_OBJECT_H
#define BERTH_KUBE_OBJECT_H

#include <stddef.h>

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* metadata.<field> when it is a string, else NULL. */
const char *kube_meta_str(const cJSON *obj, const char *field);

/* metadata.annotations[key] when it is a string, else NULL. */
const char *kube_meta_annotation(const cJSON *obj, const char *key);

/* metadata.name, .namespace (NULL for cluster-scoped objects), .uid and
 * .resourceVersion, or NULL when absent. */
const char *kube_meta_name(const cJSON *obj);
const char *kube_meta_namespace(const cJSON *obj);
const char *kube_meta_uid(const cJSON *obj);
const char *kube_meta_resource_version(const cJSON *obj);

/* The uid of obj's controller (the owner reference with controller:
 * true), or NULL when it has none. */
const char *kube_meta_controller_uid(const cJSON *obj);

/* Whether pod (a Pod) is Ready: its Ready condition is True and it is not
 * being deleted. */
bool kube_pod_ready(const cJSON *pod);

/* The first object in items (a list's items array) whose metadata.name is
 * name, or NULL when none is, or items or name is NULL. Borrowed from
 * items. */
const cJSON *kube_find_by_name(const cJSON *items, const char *name);

/* Writes "namespace/name", or "name" for an object without a namespace.
 * Returns 0, or -1 when the object has no name or buf (size bytes) is too
 * small. */
int kube_obj_key(const cJSON *obj, char *buf, size_t size) UTIL_MUST_CHECK;

/* The longest key kube_obj_key writes, with its NUL: a 63-byte namespace,
 * '/', a 253-byte name. */
#define KUBE_KEY_MAX 320

#endif
