/* The downgrade guard and metadata.version after a roll (see
 * reconcile_upgrade.h). */
#include "reconcile_upgrade.h"

#include <stdio.h>
#include <string.h>

#include "kafka/proto.h"
#include "kafka/update_features.h"
#include "metadata_version.h"
#include "reconcile_status.h"
#include "upgrade.h"
#include "util/log.h"

/* How long the controller may take to raise metadata.version. */
#define RAISE_TIMEOUT_MS 8000

static const cJSON *old_kafka(const op_run *w)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w->cr, "status"),
                                            "kafka");
}

static int old_num(const op_run *w, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(old_kafka(w), key);

    return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* The broker container's image in the live StatefulSet, or NULL. */
static const char *live_image(const op_run *w)
{
    const cJSON *sts = op_run_live_of(w, "StatefulSet", NULL);

    return op_broker_image(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"), "template"),
        "spec"));
}

op_outcome op_run_guard_downgrade(op_run *w, util_err *err)
{
    const char *running;
    char msg[768];
    int rc;

    if (w->c.flavor != OP_FLAVOR_KAFKA)
        return OP_RECONCILE_DONE;
    running = live_image(w);
    if (running == NULL || strcmp(running, w->c.image) == 0)
        return OP_RECONCILE_DONE;
    rc = op_upgrade_image_check(w->c.image, old_num(w, "metadataVersionLevel"), msg, sizeof msg);
    if (rc == 1)
        return op_run_refuse(w, OP_REASON_DOWNGRADE_REFUSED, msg, err);
    if (rc == 2)
        util_info("%s/%s: %s", w->c.namespace, w->c.name, msg);
    return OP_RECONCILE_DONE;
}

static void put_num(cJSON *o, const char *key, int v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, v);
}

static void put_str(cJSON *o, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, v);
}

/* Writes what was read under spec.image into w->kafka. */
static void record(op_run *w, int finalized, int supported)
{
    char level[16];
    const char *name = op_mv_name(finalized);

    snprintf(level, sizeof level, "%d", finalized);
    put_str(w->kafka, "image", w->c.image);
    put_str(w->kafka, "metadataVersion", name != NULL ? name : level);
    put_num(w->kafka, "metadataVersionLevel", finalized);
    put_num(w->kafka, "maxSupportedMetadataVersionLevel", supported);
}

/* Asks every broker for its ApiVersions; keeps broker 0's connection in
 * *first for the raise. 0, or -1 with err. */
static int probe(op_run *w, op_mv_broker *b, op_admin **first, util_err *err)
{
    int i;

    *first = NULL;
    for (i = 0; i < w->c.replicas; i++) {
        const kafka_feature_range *s, *f;
        op_admin *a = NULL;

        if (op_run_admin_open(w, i, 0, &a, err) != 0) {
            op_admin_free(*first);
            *first = NULL;
            return -1;
        }
        s = kafka_api_versions_supported(a->av, KAFKA_FEATURE_METADATA_VERSION);
        f = kafka_api_versions_finalized(a->av, KAFKA_FEATURE_METADATA_VERSION);
        b[i].min_supported = s != NULL ? s->min_level : -1;
        b[i].max_supported = s != NULL ? s->max_level : -1;
        b[i].finalized = f != NULL ? f->max_level : -1;
        if (i == 0)
            *first = a;
        else
            op_admin_free(a);
    }
    return 0;
}

static void raise_level(op_run *w, op_admin *a, const op_mv_plan *p)
{
    kafka_feature_update u = {KAFKA_FEATURE_METADATA_VERSION, (int16_t)p->level,
                              KAFKA_FEATURE_UPGRADE};
    kafka_update_features_request req = {RAISE_TIMEOUT_MS, &u, 1, 0};
    kafka_update_features_response *res = NULL;
    const char *from = op_mv_name(p->finalized), *to = op_mv_name(p->level);
    util_err e = {{0}};

    if (kafka_update_features_call(a->conn, a->av, &req, OP_ADMIN_TIMEOUT_MS, &res, &e) != 0) {
        util_warn("%s/%s: raising metadata.version to %d: %s", w->c.namespace, w->c.name, p->level,
                  e.msg);
        op_run_event(w, KUBE_EVENT_WARNING, "MetadataVersionNotRaised",
                     "raising metadata.version from %s (%d) to %s (%d) failed: %s",
                     from ? from : "?", p->finalized, to ? to : "?", p->level, e.msg);
        return;
    }
    kafka_update_features_free(res);
    util_info("%s/%s: metadata.version raised from %d to %d", w->c.namespace, w->c.name,
              p->finalized, p->level);
    op_run_event(w, KUBE_EVENT_NORMAL, "MetadataVersionRaised",
                 "metadata.version raised from %s (%d) to %s (%d): every broker runs %s",
                 from ? from : "?", p->finalized, to ? to : "?", p->level, w->c.image);
    record(w, p->level, p->supported);
}

void op_run_upgrade(op_run *w)
{
    const cJSON *old = old_kafka(w), *img;
    op_mv_broker b[OP_MAX_REPLICAS];
    op_admin *a = NULL;
    op_mv_plan p;
    util_err e = {{0}};
    int level;

    if (w->c.flavor != OP_FLAVOR_KAFKA)
        return;
    w->kafka = old != NULL ? cJSON_Duplicate(old, 1) : cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(w->kafka, "versions");
    cJSON_AddItemToObject(w->kafka, "versions", op_upgrade_versions(w->pods));
    if (w->apply_failed ||
        !op_upgrade_roll_done(&w->c, op_run_live_of(w, "StatefulSet", NULL), w->pods))
        return;
    img = cJSON_GetObjectItemCaseSensitive(old, "image");
    level = old_num(w, "metadataVersionLevel");
    if (cJSON_IsString(img) && strcmp(img->valuestring, w->c.image) == 0 && level >= 0 &&
        w->c.metadata_version <= level)
        return; /* read under this image already, and nothing more asked */
    if (probe(w, b, &a, &e) != 0) {
        util_warn("%s/%s: metadata.version not read, asking again at the next reconcile: %s",
                  w->c.namespace, w->c.name, e.msg);
        return;
    }
    op_mv_decide(b, w->c.replicas, w->c.metadata_version, &p);
    switch (p.action) {
    case OP_MV_RAISE:
        raise_level(w, a, &p);
        break;
    case OP_MV_NOTHING:
        record(w, p.finalized, p.supported);
        break;
    case OP_MV_WAIT:
        util_info("%s/%s: metadata.version: %s", w->c.namespace, w->c.name, p.msg);
        break;
    case OP_MV_UNSUPPORTED:
    case OP_MV_BELOW:
        op_run_event(w, KUBE_EVENT_WARNING, "MetadataVersionPinned", "%s", p.msg);
        record(w, p.finalized, p.supported);
        break;
    }
    op_admin_free(a);
}
