/* Names, labels and owner references shared by every owned object, so all
 * of them are found by one selector and garbage-collected with their
 * KafkaCluster. */
#include <stdio.h>

#include "desired.h"
#include "kube/object.h"

const char *op_name(const op_cluster *c, const char *suffix, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", c->name, suffix);
    return buf;
}

const cJSON *op_broker_pod(const op_cluster *c, const cJSON *pods, int id)
{
    char name[OP_NAME_MAX + 16];

    snprintf(name, sizeof name, "%s-%d", c->name, id);
    return kube_find_by_name(pods, name);
}

cJSON *op_labels_new(const op_cluster *c, const char *component)
{
    cJSON *l = cJSON_CreateObject();

    cJSON_AddStringToObject(l, "app.kubernetes.io/name", op_flavor_name(c->flavor));
    cJSON_AddStringToObject(l, "app.kubernetes.io/instance", c->name);
    cJSON_AddStringToObject(l, "app.kubernetes.io/managed-by", OP_FIELD_MANAGER);
    cJSON_AddStringToObject(l, "app.kubernetes.io/component", component);
    return l;
}

cJSON *op_selector_new(const op_cluster *c)
{
    cJSON *l = cJSON_CreateObject();

    cJSON_AddStringToObject(l, "app.kubernetes.io/name", op_flavor_name(c->flavor));
    cJSON_AddStringToObject(l, "app.kubernetes.io/instance", c->name);
    cJSON_AddStringToObject(l, "app.kubernetes.io/component", "broker");
    return l;
}

int op_owned_selector(const op_cluster *c, char *buf, size_t size)
{
    int n = snprintf(buf, size, "app.kubernetes.io/instance=%s,app.kubernetes.io/managed-by=%s",
                     c->name, OP_FIELD_MANAGER);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

cJSON *op_object_new(const op_cluster *c, const char *api_version, const char *kind,
                     const char *name, const char *component)
{
    cJSON *o = cJSON_CreateObject(), *m, *refs, *ref;

    cJSON_AddStringToObject(o, "apiVersion", api_version);
    cJSON_AddStringToObject(o, "kind", kind);
    m = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "namespace", c->namespace);
    cJSON_AddItemToObject(m, "labels", op_labels_new(c, component));
    refs = cJSON_AddArrayToObject(m, "ownerReferences");
    ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "apiVersion", OP_API_VERSION);
    cJSON_AddStringToObject(ref, "kind", OP_KIND);
    cJSON_AddStringToObject(ref, "name", c->name);
    cJSON_AddStringToObject(ref, "uid", c->uid);
    cJSON_AddBoolToObject(ref, "controller", 1);
    cJSON_AddBoolToObject(ref, "blockOwnerDeletion", 1);
    cJSON_AddItemToArray(refs, ref);
    return o;
}
