/* Object identity helpers; see object.h. */
#include "kube/object.h"

#include <stdio.h>
#include <string.h>

const char *kube_meta_str(const cJSON *obj, const char *field)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, field);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *kube_meta_annotation(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                         "annotations"),
        key));
}

bool kube_pod_ready(const cJSON *pod)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(pod, "status"), *c;

    if (kube_meta_str(pod, "deletionTimestamp") != NULL)
        return false;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "conditions"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");

        if (cJSON_IsString(t) && strcmp(t->valuestring, "Ready") == 0)
            return cJSON_IsString(s) && strcmp(s->valuestring, "True") == 0;
    }
    return false;
}

const char *kube_meta_name(const cJSON *obj)
{
    return kube_meta_str(obj, "name");
}

const char *kube_meta_namespace(const cJSON *obj)
{
    const char *ns = kube_meta_str(obj, "namespace");

    return ns != NULL && ns[0] != '\0' ? ns : NULL;
}

const char *kube_meta_uid(const cJSON *obj)
{
    return kube_meta_str(obj, "uid");
}

const char *kube_meta_resource_version(const cJSON *obj)
{
    return kube_meta_str(obj, "resourceVersion");
}

const char *kube_meta_controller_uid(const cJSON *obj)
{
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences");
    const cJSON *ref;

    cJSON_ArrayForEach(ref, refs)
    {
        const cJSON *ctl = cJSON_GetObjectItemCaseSensitive(ref, "controller");
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(ref, "uid");

        if (cJSON_IsTrue(ctl) && cJSON_IsString(uid))
            return uid->valuestring;
    }
    return NULL;
}

const cJSON *kube_find_by_name(const cJSON *items, const char *name)
{
    const cJSON *o;

    if (name == NULL)
        return NULL;
    cJSON_ArrayForEach(o, items)
    {
        const char *n = kube_meta_name(o);

        if (n != NULL && strcmp(n, name) == 0)
            return o;
    }
    return NULL;
}

int kube_obj_key(const cJSON *obj, char *buf, size_t size)
{
    const char *name = kube_meta_name(obj), *ns = kube_meta_namespace(obj);
    int n;

    if (name == NULL || name[0] == '\0' || size == 0)
        return -1;
    n = ns != NULL ? snprintf(buf, size, "%s/%s", ns, name) : snprintf(buf, size, "%s", name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
