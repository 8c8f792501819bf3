/* What the caches keep (see cache_trim.h). */
#include "cache_trim.h"

#include <stdbool.h>
#include <string.h>

#include "cluster_tls.h"
#include "kube/object.h"
#include "secret_summary.h"
#include "util/str.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

static bool listed(const char *name, const char *const *keep)
{
    for (; *keep != NULL; keep++)
        if (name != NULL && strcmp(name, *keep) == 0)
            return true;
    return false;
}

/* Deletes every member of obj (an object; anything else is left) not named
 * in keep (NULL-terminated). */
static void keep_only(cJSON *obj, const char *const *keep)
{
    cJSON *m, *next;

    if (!cJSON_IsObject(obj))
        return;
    for (m = obj->child; m != NULL; m = next) {
        next = m->next;
        if (!listed(m->string, keep))
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
    }
}

static void drop_last_applied(cJSON *obj)
{
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                         "annotations"),
        LAST_APPLIED);
}

/* Deletes the members of obj named in drop. */
static void drop(cJSON *obj, const char *const *names)
{
    for (; cJSON_IsObject(obj) && *names != NULL; names++)
        cJSON_DeleteItemFromObjectCaseSensitive(obj, *names);
}

void op_trim_pod(cJSON *pod)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const meta[] = {"generateName", NULL};
    static const char *const spec[] = {"nodeName", "containers", "initContainers", NULL};
    static const char *const container[] = {"name", "image", NULL};
    static const char *const status[] = {"podIPs", "hostIPs", "qosClass", "startTime", NULL};
    static const char *const condition[] = {"lastProbeTime", "lastTransitionTime", NULL};
    static const char *const container_status[] = {"imageID", "containerID", "started", NULL};
    static const char *const spec_lists[] = {"containers", "initContainers", NULL};
    static const char *const status_lists[] = {"containerStatuses", "initContainerStatuses", NULL};
    cJSON *s = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    cJSON *st = cJSON_GetObjectItemCaseSensitive(pod, "status"), *c;

    keep_only(pod, top);
    drop_last_applied(pod);
    drop(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), meta);
    keep_only(s, spec);
    for (const char *const *l = spec_lists; *l != NULL; l++) {
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s, *l))
        {
            keep_only(c, container);
        }
    }
    drop(st, status);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "conditions"))
    {
        drop(c, condition);
    }
    for (const char *const *l = status_lists; *l != NULL; l++) {
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, *l))
        {
            drop(c, container_status);
        }
    }
}

void op_trim_node(cJSON *node)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "status", NULL};
    static const char *const status[] = {"addresses", NULL};

    keep_only(node, top);
    drop_last_applied(node);
    keep_only(cJSON_GetObjectItemCaseSensitive(node, "status"), status);
}

void op_trim_owned(cJSON *obj)
{
    drop_last_applied(obj);
}

void op_trim_secret(cJSON *secret)
{
    const char *name = kube_meta_name(secret);

    drop_last_applied(secret);
    if (util_str_ends_with(name, OP_CERTS_SECRET_SUFFIX) ||
        util_str_ends_with(name, OP_CA_CERT_SUFFIX))
        op_secret_summarize(secret, OP_CERTS_CA_KEY);
}
