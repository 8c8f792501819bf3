/* Restarting brokers whose address moved under them (see readdress.h). */
#include "readdress.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "cluster_tls.h"
#include "desired.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "util/log.h"

#define FINGERPRINT_MAX 2048

static const char *node_of(const cJSON *pod)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(spec, "nodeName");

    return cJSON_IsString(n) && n->valuestring[0] != '\0' ? n->valuestring : NULL;
}

static bool deleting(const cJSON *pod)
{
    return kube_meta_str(pod, "deletionTimestamp") != NULL;
}

op_readdress_action op_readdress_decide(const cJSON *pod, const char *current,
                                        long long cert_issued)
{
    const char *pinned;

    if (pod == NULL || deleting(pod) || node_of(pod) == NULL)
        return OP_READDRESS_NONE;
    if (current != NULL) {
        pinned = kube_meta_annotation(pod, OP_ADVERTISED_ANNOTATION);
        if (pinned == NULL)
            return OP_READDRESS_ANNOTATE;
        if (strcmp(pinned, current) != 0)
            return OP_READDRESS_EVICT;
    }
    if (cert_issued >= 0 && op_cluster_tls_stale(pod, cert_issued))
        return OP_READDRESS_RECERT;
    return OP_READDRESS_NONE;
}

static void count(util_metrics *m, const char *verb)
{
    if (m != NULL)
        util_metrics_add(m, "berth_operator_api_requests_total",
                         (const char *[]){"verb", verb, NULL}, 1, NULL);
}

static int annotate(kube_client *client, const op_cluster *c, const char *pod, const char *fp,
                    util_err *err)
{
    char path[KUBE_PATH_MAX];
    cJSON *patch = cJSON_CreateObject(), *ann;
    int rc;

    if (kube_path(path, sizeof path, "v1", "pods", c->namespace, pod, NULL) != 0) {
        cJSON_Delete(patch);
        return util_err_set(err, "pod %s: bad name", pod);
    }
    ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations");
    cJSON_AddStringToObject(ann, OP_ADVERTISED_ANNOTATION, fp);
    rc = kube_merge_patch(client, path, patch, NULL, NULL, err);
    cJSON_Delete(patch);
    return rc == 0 ? 0 : -1;
}

/* 0 evicted (or already gone), 1 refused for now (429: the budget), -1. */
static int evict(kube_client *client, const op_cluster *c, const char *pod, util_err *err)
{
    kube_status st = {0};

    if (kube_evict(client, c->namespace, pod, NULL, &st, err) == 0 || st.code == 404)
        return 0;
    return st.code == 429 ? 1 : -1;
}

int op_readdress(kube_client *client, util_metrics *metrics, const op_cluster *c,
                 const char *domain, const cJSON *pods, const cJSON *nodes, const cJSON *services,
                 const long long *cert_issued, bool rolling, int *writes, char *msg, size_t size,
                 util_err *err)
{
    bool blocked = false, busy = false, evicted = false;
    int blocker = -1;

    /* One broker at a time: any broker pod missing or on its way out
     * holds back every eviction. */
    for (int id = 0; id < c->replicas; id++) {
        const cJSON *pod = op_broker_pod(c, pods, id);

        if (pod == NULL || deleting(pod)) {
            blocked = true;
            blocker = id;
            break;
        }
    }
    for (int id = 0; id < c->replicas; id++) {
        char name[OP_NAME_MAX + 16], fp[FINGERPRINT_MAX], why[2 * FINGERPRINT_MAX + 64];
        const cJSON *pod, *node;
        const char *nn;
        op_readdress_action action;
        int rc;

        snprintf(name, sizeof name, "%s-%d", c->name, id);
        pod = kube_find_by_name(pods, name);
        nn = pod != NULL ? node_of(pod) : NULL;
        node = nn != NULL ? kube_find_by_name(nodes, nn) : NULL;
        rc = op_address_fingerprint(c, id, domain, node, services, fp, sizeof fp);
        action = op_readdress_decide(pod, rc == 0 ? fp : NULL,
                                     cert_issued != NULL ? cert_issued[id] : -1);
        if (action == OP_READDRESS_NONE)
            continue;
        if (action == OP_READDRESS_ANNOTATE) {
            count(metrics, "patch");
            (*writes)++;
            if (annotate(client, c, name, fp, err) != 0)
                return -1;
            continue;
        }
        if (busy)
            continue;
        busy = true;
        if (action == OP_READDRESS_RECERT)
            snprintf(why, sizeof why,
                     "broker %d runs with a certificate older than its current one (issued at "
                     "%lld)",
                     id, cert_issued[id]);
        else
            snprintf(why, sizeof why, "broker %d advertises %s but its address is now %s", id,
                     kube_meta_annotation(pod, OP_ADVERTISED_ANNOTATION), fp);
        if (blocked) {
            snprintf(msg, size, "%s; it restarts once broker %d is back", why, blocker);
            continue;
        }
        if (rolling) {
            snprintf(msg, size,
                     "%s; it restarts once the StatefulSet's roll is over, unless the roll "
                     "restarts it",
                     why);
            continue;
        }
        count(metrics, "evict");
        (*writes)++;
        rc = evict(client, c, name, err);
        if (rc < 0)
            return -1;
        snprintf(msg, size, "%s: %s", why,
                 rc == 0 ? "restarting it through the Eviction API"
                         : "its restart waits for the PodDisruptionBudget");
        util_info("%s/%s: %s", c->namespace, c->name, msg);
        evicted = rc == 0;
    }
    return evicted ? 2 : busy ? 1 : 0;
}
