/* The decisions of a Kafka upgrade (see upgrade.h). */
#include "upgrade.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/pod_contract.h"
#include "kube/object.h"
#include "metadata_version.h"

int op_upgrade_image_check(const char *image, int finalized, char *msg, size_t size)
{
    int major, minor, patch, max;

    msg[0] = '\0';
    if (op_kafka_release(image, &major, &minor, &patch) != 0) {
        snprintf(msg, size,
                 "image %s: its tag names no Kafka release (X.Y.Z), so it is not checked against "
                 "the finalized metadata.version",
                 image);
        return 2;
    }
    if (finalized < 0)
        return 0;
    max = op_mv_release_max(major, minor);
    if (max == 0) {
        snprintf(msg, size,
                 "image %s: Kafka %d.%d.%d is newer than the releases berth knows; not checked "
                 "against the finalized metadata.version",
                 image, major, minor, patch);
        return 2;
    }
    if (max >= finalized)
        return 0;
    if (max < 0)
        snprintf(msg, size,
                 "image %s runs Kafka %d.%d.%d, which cannot run metadata.version %s (%d), the "
                 "cluster's finalized level: Kafka cannot downgrade it, so the brokers keep their "
                 "image",
                 image, major, minor, patch, op_mv_name(finalized) ? op_mv_name(finalized) : "?",
                 finalized);
    else
        snprintf(msg, size,
                 "image %s runs Kafka %d.%d.%d, which supports metadata.version up to %s (%d), "
                 "below the cluster's finalized %s (%d): Kafka cannot downgrade it, so the brokers "
                 "keep their image",
                 image, major, minor, patch, op_mv_name(max), max,
                 op_mv_name(finalized) ? op_mv_name(finalized) : "?", finalized);
    return 1;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int num(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);

    return cJSON_IsNumber(v) ? v->valueint : -1;
}

const char *op_broker_image(const cJSON *spec)
{
    const cJSON *ct;

    cJSON_ArrayForEach(ct, get(spec, "containers"))
    {
        const cJSON *name = get(ct, "name"), *image = get(ct, "image");

        if (cJSON_IsString(name) && strcmp(name->valuestring, BROKER_POD_BROKER_CONTAINER) == 0)
            return cJSON_IsString(image) ? image->valuestring : NULL;
    }
    return NULL;
}

bool op_upgrade_roll_done(const op_cluster *c, const cJSON *sts, const cJSON *pods)
{
    const cJSON *st = get(sts, "status"), *cur, *upd, *pod, *tmpl;
    const char *image;
    int n = 0;

    tmpl = get(get(get(sts, "spec"), "template"), "spec");
    image = op_broker_image(tmpl);
    if (sts == NULL || image == NULL || strcmp(image, c->image) != 0)
        return false;
    if (num(st, "observedGeneration") < num(get(sts, "metadata"), "generation") ||
        num(st, "updatedReplicas") != c->replicas || num(st, "readyReplicas") != c->replicas ||
        num(st, "replicas") != c->replicas)
        return false;
    cur = get(st, "currentRevision");
    upd = get(st, "updateRevision");
    if (!cJSON_IsString(cur) || !cJSON_IsString(upd) || strcmp(cur->valuestring, upd->valuestring))
        return false;
    cJSON_ArrayForEach(pod, pods)
    {
        const char *pi = op_broker_image(get(pod, "spec"));

        if (pi == NULL || strcmp(pi, c->image) != 0 || !kube_pod_ready(pod))
            return false;
        n++;
    }
    return n == c->replicas;
}

void op_mv_decide(const op_mv_broker *b, int n, int pinned, op_mv_plan *out)
{
    int i, lo = -1, hi = -1;

    memset(out, 0, sizeof *out);
    out->finalized = -1;
    out->supported = -1;
    out->level = -1;
    out->action = OP_MV_WAIT;
    if (n <= 0) {
        snprintf(out->msg, sizeof out->msg, "no broker answered");
        return;
    }
    for (i = 0; i < n; i++) {
        if (b[i].finalized > out->finalized)
            out->finalized = b[i].finalized;
        if (b[i].max_supported < 0) {
            snprintf(out->msg, sizeof out->msg,
                     "broker %d reports no supported metadata.version range", i);
            return;
        }
        if (i == 0) {
            lo = b[i].min_supported;
            hi = b[i].max_supported;
        } else if (b[i].min_supported != lo || b[i].max_supported != hi) {
            snprintf(out->msg, sizeof out->msg,
                     "the brokers support different metadata.version ranges (%d..%d on broker 0, "
                     "%d..%d on broker %d): waiting until all run one release",
                     lo, hi, b[i].min_supported, b[i].max_supported, i);
            return;
        }
    }
    if (out->finalized < 0) {
        snprintf(out->msg, sizeof out->msg, "no broker reports a finalized metadata.version");
        return;
    }
    out->supported = hi;
    out->level = pinned >= 0 ? pinned : hi;
    if (out->level > hi) {
        out->action = OP_MV_UNSUPPORTED;
        snprintf(out->msg, sizeof out->msg,
                 "spec.metadataVersion %s (%d) is beyond what the brokers support (up to %s, %d)",
                 op_mv_name(pinned) ? op_mv_name(pinned) : "?", pinned,
                 op_mv_name(hi) ? op_mv_name(hi) : "?", hi);
    } else if (out->level < out->finalized) {
        out->action = OP_MV_BELOW;
        snprintf(out->msg, sizeof out->msg,
                 "spec.metadataVersion %s (%d) is below the finalized %s (%d), which Kafka cannot "
                 "downgrade: left as it is",
                 op_mv_name(pinned) ? op_mv_name(pinned) : "?", pinned,
                 op_mv_name(out->finalized) ? op_mv_name(out->finalized) : "?", out->finalized);
    } else {
        out->action = out->level > out->finalized ? OP_MV_RAISE : OP_MV_NOTHING;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* More releases at once than a roll has. */
#define MAX_VERSIONS 16

cJSON *op_upgrade_versions(const cJSON *pods)
{
    char seen[MAX_VERSIONS][64];
    const char *sorted[MAX_VERSIONS];
    const cJSON *pod;
    cJSON *out = cJSON_CreateArray();
    int n = 0, i;

    cJSON_ArrayForEach(pod, pods)
    {
        const char *image = op_broker_image(get(pod, "spec"));
        int major, minor, patch, dup = 0;
        char v[64];

        if (image == NULL)
            continue;
        if (op_kafka_release(image, &major, &minor, &patch) == 0) {
            snprintf(v, sizeof v, "%d.%d.%d", major, minor, patch);
        } else {
            const char *slash = strrchr(image, '/');
            const char *tag = strrchr(slash ? slash : image, ':');

            snprintf(v, sizeof v, "%s", tag ? tag + 1 : "unknown");
        }
        for (i = 0; i < n; i++)
            dup |= strcmp(seen[i], v) == 0;
        if (!dup && n < MAX_VERSIONS)
            snprintf(seen[n++], sizeof seen[0], "%s", v);
    }
    for (i = 0; i < n; i++)
        sorted[i] = seen[i];
    qsort(sorted, (size_t)n, sizeof sorted[0], cmp_str);
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(out, cJSON_CreateString(sorted[i]));
    return out;
}
