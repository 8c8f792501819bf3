/* The pure decisions of storage growth (see storage.h). */
#include "storage.h"

#include <stdio.h>
#include <string.h>

static cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* The data claim template of sts, borrowed; NULL if none. */
static cJSON *data_template(const cJSON *sts)
{
    cJSON *t;

    cJSON_ArrayForEach(t, get(get(sts, "spec"), "volumeClaimTemplates"))
    {
        const cJSON *n = get(get(t, "metadata"), "name");

        if (cJSON_IsString(n) && strcmp(n->valuestring, OP_STORAGE_CLAIM) == 0)
            return t;
    }
    return NULL;
}

/* spec.resources.requests of a claim or claim template, borrowed. */
static cJSON *requests(const cJSON *claim)
{
    return get(get(get(claim, "spec"), "resources"), "requests");
}

const char *op_storage_template_size(const cJSON *sts)
{
    const cJSON *s = get(requests(data_template(sts)), "storage");

    return cJSON_IsString(s) ? s->valuestring : NULL;
}

op_storage_change op_storage_compare(const char *have, const char *want)
{
    double h, w;

    if (have == NULL || want == NULL || op_quantity_parse(have, &h) != 0 ||
        op_quantity_parse(want, &w) != 0)
        return OP_STORAGE_UNKNOWN;
    return w > h ? OP_STORAGE_GROW : w < h ? OP_STORAGE_SHRINK : OP_STORAGE_SAME;
}

int op_storage_set_template_size(cJSON *sts, const char *size)
{
    cJSON *req = requests(data_template(sts));

    if (req == NULL)
        return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(req, "storage");
    cJSON_AddStringToObject(req, "storage", size);
    return 0;
}

const char *op_storage_claim_name(const op_cluster *c, int i, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%s-%d", OP_STORAGE_CLAIM, c->name, i);
    return buf;
}

/* Whether quantity a is below quantity b; an unreadable a counts as below. */
static bool below(const cJSON *a, const char *b)
{
    double x, y;

    if (op_quantity_parse(b, &y) != 0)
        return false;
    return op_quantity_of(a, &x) != 0 || x < y;
}

bool op_storage_claim_below(const cJSON *claim, const char *size)
{
    return below(get(requests(claim), "storage"), size);
}

bool op_storage_claim_pending(const cJSON *claim)
{
    const cJSON *req = get(requests(claim), "storage");
    const cJSON *cap = get(get(get(claim, "status"), "capacity"), "storage");

    return cJSON_IsString(req) && cap != NULL && below(cap, req->valuestring);
}

cJSON *op_storage_resizing_new(const cJSON *claim)
{
    const cJSON *cap = get(get(get(claim, "status"), "capacity"), "storage");
    const char *name = cJSON_GetStringValue(get(get(claim, "metadata"), "name"));
    cJSON *e;

    if (!op_storage_claim_pending(claim) || name == NULL)
        return NULL;
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "claim", name);
    cJSON_AddStringToObject(e, "requested", get(requests(claim), "storage")->valuestring);
    cJSON_AddStringToObject(e, "capacity", cJSON_IsString(cap) ? cap->valuestring : "");
    return e;
}

bool op_storage_class_expands(const cJSON *class)
{
    return cJSON_IsTrue(get(class, "allowVolumeExpansion"));
}

cJSON *op_storage_owners_patch_new(const cJSON *live)
{
    const cJSON *mf = get(get(live, "metadata"), "managedFields");
    cJSON *patch;

    if (!cJSON_IsArray(mf) || cJSON_GetArraySize(mf) == 0)
        return NULL;
    patch = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "metadata"), "managedFields",
                          cJSON_Duplicate(mf, 1));
    return patch;
}

cJSON *op_storage_recreated_new(const cJSON *live, const char *size)
{
    static const char *const keep[] = {"name", "namespace", "labels", "annotations",
                                       "ownerReferences"};
    cJSON *sts, *m;
    const cJSON *lm = get(live, "metadata");

    if (data_template(live) == NULL)
        return NULL;
    sts = cJSON_CreateObject();
    cJSON_AddStringToObject(sts, "apiVersion", "apps/v1");
    cJSON_AddStringToObject(sts, "kind", "StatefulSet");
    m = cJSON_AddObjectToObject(sts, "metadata");
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (get(lm, keep[i]) != NULL)
            cJSON_AddItemToObject(m, keep[i], cJSON_Duplicate(get(lm, keep[i]), 1));
    cJSON_AddItemToObject(sts, "spec", cJSON_Duplicate(get(live, "spec"), 1));
    op_storage_set_template_size(sts, size);
    return sts;
}
