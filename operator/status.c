/* Building the KafkaCluster status (see status.h). */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include "address.h"
#include "container_failure.h"
#include "kube/object.h"

/* Broker pod name of cluster c, if it is c's: pods of another namespace or
 * another cluster (by app.kubernetes.io/instance) do not count, whatever
 * their name. Reconcile lists only c's pods; this keeps status right when
 * handed more. */
static const cJSON *broker_pod(const op_cluster *c, const cJSON *pods, const char *name)
{
    const cJSON *pod = kube_find_by_name(pods, name);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(m, "namespace");
    const cJSON *inst = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(m, "labels"), "app.kubernetes.io/instance");

    if (cJSON_IsString(ns) && strcmp(ns->valuestring, c->namespace) != 0)
        return NULL;
    if (cJSON_IsString(inst) && strcmp(inst->valuestring, c->name) != 0)
        return NULL;
    return pod;
}

/* Whether pod is stopping: deleted, its containers not all exited yet. A
 * broker pod's preStop hook drains the broker (berth-drain asks the
 * sidecar) before the broker gets SIGTERM, so this is the drain, then the
 * broker's own shutdown. */
static bool pod_stopping(const cJSON *pod)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
    const cJSON *phase =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"), "phase");

    if (cJSON_GetObjectItemCaseSensitive(m, "deletionTimestamp") == NULL)
        return false;
    return !cJSON_IsString(phase) || (strcmp(phase->valuestring, "Succeeded") != 0 &&
                                      strcmp(phase->valuestring, "Failed") != 0);
}

static const char *pod_node(const cJSON *pod)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(spec, "nodeName");

    return cJSON_IsString(n) && n->valuestring[0] != '\0' ? n->valuestring : NULL;
}

static const cJSON *find_condition(const cJSON *conds, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, conds)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");

        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
            return c;
    }
    return NULL;
}

void op_condition_put(cJSON *conds, const cJSON *old_conds, const char *type, bool status,
                      const char *reason, const char *message, long long generation,
                      const char *now)
{
    const char *st = status ? "True" : "False";
    const cJSON *old = find_condition(old_conds, type);
    const cJSON *ost = cJSON_GetObjectItemCaseSensitive(old, "status");
    const cJSON *olt = cJSON_GetObjectItemCaseSensitive(old, "lastTransitionTime");
    const char *when = now;
    cJSON *c = cJSON_CreateObject(), *e;
    int i = 0;

    if (cJSON_IsString(ost) && strcmp(ost->valuestring, st) == 0 && cJSON_IsString(olt))
        when = olt->valuestring;
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", st);
    cJSON_AddNumberToObject(c, "observedGeneration", (double)generation);
    cJSON_AddStringToObject(c, "lastTransitionTime", when);
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message);
    cJSON_ArrayForEach(e, conds)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");

        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0) {
            cJSON_ReplaceItemInArray(conds, i, c);
            return;
        }
        i++;
    }
    cJSON_AddItemToArray(conds, c);
}

/* What the brokers' failing containers come to: the first (lowest id)
 * failure in full, and the ids of the others. */
typedef struct failures {
    op_container_failure first;
    int first_id;
    char others[96]; /* "3, 5", cut with "..." */
    int count;
} failures;

static void failures_add(failures *fs, int id, const op_container_failure *f)
{
    size_t n = strlen(fs->others);

    if (fs->count++ == 0) {
        fs->first = *f;
        fs->first_id = id;
        return;
    }
    if (n + 16 < sizeof fs->others)
        snprintf(fs->others + n, sizeof fs->others - n, "%s%d", n > 0 ? ", " : "", id);
    else if (strcmp(fs->others + n - 3, "...") != 0)
        snprintf(fs->others + n, sizeof fs->others - n, ", ...");
}

/* The Degraded message of fs: "broker 0 (pod demo-0): container broker:
 * ImagePullBackOff: <kubelet's message>; also failing: broker 1, 2". */
static void failures_message(const op_cluster *c, const failures *fs, char *buf, size_t size)
{
    const op_container_failure *f = &fs->first;
    int n;

    n = snprintf(buf, size, "broker %d (pod %s-%d): container %s: %s%s%s", fs->first_id, c->name,
                 fs->first_id, f->container, f->reason, f->message[0] != '\0' ? ": " : "",
                 f->message);
    if (fs->count > 1 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; also failing: broker %s", fs->others);
}

/* Adds broker id, the n-th broker found stopping, to the Draining
 * message in buf: "broker 1 (pod demo-1) is stopping: its preStop hook
 * drains it before it shuts down", then "; also stopping: broker 2, 3". */
static void draining_add(char *buf, size_t size, int n, const op_cluster *c, int id)
{
    size_t len = strlen(buf);

    if (n == 0)
        snprintf(buf, size,
                 "broker %d (pod %s-%d) is stopping: its preStop hook drains it before it "
                 "shuts down",
                 id, c->name, id);
    else if (len + 24 < size)
        snprintf(buf + len, size - len, "%s%d", n == 1 ? "; also stopping: broker " : ", ", id);
}

/* The per-broker Service of listener l, broker id, among services. */
static const cJSON *broker_service(const op_cluster *c, const cJSON *services, const op_listener *l,
                                   int id)
{
    char name[OP_NAME_MAX + 48];

    snprintf(name, sizeof name, "%s-%d-%s", c->name, id, l->name);
    return kube_find_by_name(services, name);
}

/* Broker entry b's addressFallback: by listener name, the node address
 * type advertised instead of the listener's addressType, which node lacks.
 * None when every listener gets the type it asks for. */
static void fallback_put(const op_cluster *c, cJSON *b, const cJSON *node)
{
    cJSON *fb = NULL;
    op_addr_type used;

    for (int i = 0; i < c->nlisteners; i++) {
        const op_listener *l = &c->listeners[i];

        if (!op_address_fallback(l, node, &used))
            continue;
        if (fb == NULL)
            fb = cJSON_AddObjectToObject(b, "addressFallback");
        cJSON_AddStringToObject(fb, l->name, op_addr_type_name(used));
    }
}

cJSON *op_status_build(const op_status_input *in)
{
    const op_cluster *c = in->c;
    const cJSON *old_conds = cJSON_GetObjectItemCaseSensitive(in->old_status, "conditions");
    cJSON *st = cJSON_CreateObject(), *conds, *boot, *ext = cJSON_CreateArray(), *brokers;
    int ready = 0, existing = 0, first_ext = -1;
    char pending[512] = "", buf[OP_ADDR_MAX + 64], failed[1024], draining[256] = "";
    int ndraining = 0;
    failures fs;
    const op_listener *internal = &c->listeners[c->internal];

    for (int i = 0; i < c->nlisteners && first_ext < 0; i++)
        if (op_listener_external(&c->listeners[i]))
            first_ext = i;

    memset(&fs, 0, sizeof fs);
    brokers = cJSON_CreateArray();
    for (int id = 0; id < c->replicas; id++) {
        char pod_name[OP_NAME_MAX + 16];
        const cJSON *pod, *node = NULL;
        const char *node_name = NULL;
        cJSON *b = cJSON_CreateObject(), *ls;
        op_container_failure f;
        bool r;

        snprintf(pod_name, sizeof pod_name, "%s-%d", c->name, id);
        pod = broker_pod(c, in->pods, pod_name);
        r = pod != NULL && kube_pod_ready(pod);
        if (pod != NULL)
            existing++;
        if (r)
            ready++;
        if (pod != NULL && pod_stopping(pod))
            draining_add(draining, sizeof draining, ndraining++, c, id);
        if (pod != NULL && (node_name = pod_node(pod)) != NULL)
            node = kube_find_by_name(in->nodes, node_name);
        cJSON_AddNumberToObject(b, "id", id);
        if (pod != NULL)
            cJSON_AddStringToObject(b, "pod", pod_name);
        if (node_name != NULL)
            cJSON_AddStringToObject(b, "node", node_name);
        cJSON_AddBoolToObject(b, "ready", r);
        cJSON_AddBoolToObject(b, "controller", c->flavor == OP_FLAVOR_KAFKA && id < c->controllers);
        ls = cJSON_AddObjectToObject(b, "listeners");
        for (int i = 0; i < c->nlisteners; i++) {
            const op_listener *l = &c->listeners[i];
            int rc = op_advertised_address(c, l, id, in->o->cluster_domain, node,
                                           broker_service(c, in->services, l, id), buf, sizeof buf);

            if (rc == 0) {
                cJSON_AddStringToObject(ls, l->name, buf);
                if (i == first_ext)
                    cJSON_AddItemToArray(ext, cJSON_CreateString(buf));
            } else if (rc == 1 && pending[0] == '\0' &&
                       (pod != NULL || l->type == OP_LISTENER_LOADBALANCER)) {
                snprintf(pending, sizeof pending, "listener \"%s\": %s", l->name, buf);
            }
        }
        fallback_put(c, b, node);
        if (op_container_failure_find(pod, &f)) {
            cJSON_AddItemToObject(b, "containerError", op_container_failure_json(&f));
            failures_add(&fs, id, &f);
        }
        cJSON_AddItemToArray(brokers, b);
    }

    cJSON_AddNumberToObject(st, "observedGeneration", (double)c->generation);
    conds = cJSON_AddArrayToObject(st, "conditions");
    if (in->apply_reason == NULL)
        op_condition_put(conds, old_conds, "Reconciled", true, "Applied",
                         "every owned object matches the spec", c->generation, in->now);
    else
        op_condition_put(conds, old_conds, "Reconciled", false, in->apply_reason,
                         in->apply_message != NULL ? in->apply_message : "", c->generation,
                         in->now);
    snprintf(buf, sizeof buf, "%d of %d brokers ready", ready, c->replicas);
    op_condition_put(conds, old_conds, "Ready", ready == c->replicas,
                     ready == c->replicas ? "AllBrokersReady" : "BrokersNotReady", buf,
                     c->generation, in->now);
    if (ndraining > 0)
        op_condition_put(conds, old_conds, "Draining", true, "BrokerDraining", draining,
                         c->generation, in->now);
    else
        op_condition_put(conds, old_conds, "Draining", false, "NotDraining",
                         "no broker is stopping", c->generation, in->now);
    /* Degraded says the most pressing thing: what could not be applied,
     * then brokers that cannot run, then the operator's own restart of a
     * broker, then addresses not known yet. */
    if (in->apply_reason != NULL)
        op_condition_put(conds, old_conds, "Degraded", true, in->apply_reason,
                         in->apply_message != NULL ? in->apply_message : "", c->generation,
                         in->now);
    else if (fs.count > 0) {
        failures_message(c, &fs, failed, sizeof failed);
        op_condition_put(conds, old_conds, "Degraded", true,
                         op_failure_condition_reason(fs.first.kind), failed, c->generation,
                         in->now);
    } else if (in->restart_message != NULL)
        op_condition_put(conds, old_conds, "Degraded", true, "AddressChanged", in->restart_message,
                         c->generation, in->now);
    else if (pending[0] != '\0')
        op_condition_put(conds, old_conds, "Degraded", true, "AddressPending", pending,
                         c->generation, in->now);
    else
        op_condition_put(conds, old_conds, "Degraded", false, "AsExpected",
                         "every broker's address is known and no broker container is failing",
                         c->generation, in->now);
    if (in->cluster_id != NULL)
        cJSON_AddStringToObject(st, "clusterID", in->cluster_id);
    cJSON_AddNumberToObject(st, "replicas", existing);
    cJSON_AddNumberToObject(st, "readyReplicas", ready);
    boot = cJSON_AddObjectToObject(st, "bootstrap");
    snprintf(buf, sizeof buf, "%s-bootstrap.%s.svc:%d", c->name, c->namespace, internal->port);
    cJSON_AddStringToObject(boot, "internal", buf);
    if (cJSON_GetArraySize(ext) > 0)
        cJSON_AddItemToObject(boot, "external", ext);
    else
        cJSON_Delete(ext);
    cJSON_AddItemToObject(st, "brokers", brokers);
    if (in->kafka != NULL)
        cJSON_AddItemToObject(st, "kafka", cJSON_Duplicate(in->kafka, 1));
    return st;
}

cJSON *op_status_refused(const cJSON *old_status, long long generation, const char *reason,
                         const char *message, const char *now)
{
    cJSON *st = old_status != NULL ? cJSON_Duplicate(old_status, 1) : cJSON_CreateObject();
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(st, "conditions"), *old;

    if (!cJSON_IsObject(st)) {
        cJSON_Delete(st);
        st = cJSON_CreateObject();
        conds = NULL;
    }
    old = cJSON_Duplicate(conds, 1);
    if (!cJSON_IsArray(conds)) {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
        conds = cJSON_AddArrayToObject(st, "conditions");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(st, "observedGeneration");
    cJSON_AddNumberToObject(st, "observedGeneration", (double)generation);
    op_condition_put(conds, old, "Reconciled", false, reason, message, generation, now);
    cJSON_Delete(old);
    return st;
}

static const cJSON *broker_entry(const cJSON *status, const cJSON *id)
{
    const cJSON *b;

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(status, "brokers"))
    {
        if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(b, "id"), id, 1))
            return b;
    }
    return NULL;
}

/* The start of a news message about broker, "broker N (pod P) on node X:",
 * into msg (*n its length), and in *was the member key of the broker's
 * entry in old_status (NULL if none). Returns 0 when the entry lacks what
 * the message names (or size is 0): no news then. */
static int news_head(const cJSON *old_status, const cJSON *broker, const char *key,
                     const cJSON **was, char *msg, size_t size, size_t *n)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(broker, "id");
    const cJSON *pod = cJSON_GetObjectItemCaseSensitive(broker, "pod");
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(broker, "node");

    if (size == 0 || !cJSON_IsNumber(id) || !cJSON_IsString(pod) || !cJSON_IsString(node))
        return 0;
    *was = cJSON_GetObjectItemCaseSensitive(broker_entry(old_status, id), key);
    *n = (size_t)snprintf(msg, size, "broker %d (pod %s) on node %s:", id->valueint,
                          pod->valuestring, node->valuestring);
    return 1;
}

int op_status_address_news(const cJSON *old_status, const cJSON *broker, char *msg, size_t size)
{
    const cJSON *old_ls, *l;
    size_t n;
    int changed = 0;

    if (!news_head(old_status, broker, "listeners", &old_ls, msg, size, &n))
        return 0;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(broker, "listeners"))
    {
        const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_ls, l->string);

        if (!cJSON_IsString(l) || cJSON_Compare(was, l, 1))
            continue;
        if (n < size)
            n += (size_t)snprintf(msg + n, size - n, "%s %s=%s", changed ? "," : "", l->string,
                                  l->valuestring);
        changed = 1;
    }
    return changed;
}

int op_status_fallback_news(const op_cluster *c, const cJSON *old_status, const cJSON *broker,
                            char *msg, size_t size)
{
    const cJSON *old_fb, *f;
    size_t n;
    int changed = 0;

    if (!news_head(old_status, broker, "addressFallback", &old_fb, msg, size, &n))
        return 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(broker, "addressFallback"))
    {
        const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_fb, f->string);
        const char *wanted = "?";

        if (!cJSON_IsString(f) || cJSON_Compare(was, f, 1))
            continue;
        for (int i = 0; i < c->nlisteners; i++)
            if (strcmp(c->listeners[i].name, f->string) == 0)
                wanted = op_addr_type_name(c->listeners[i].addr_type);
        if (n < size)
            n += (size_t)snprintf(msg + n, size - n,
                                  "%s listener %s: the node has no %s address, advertising its %s",
                                  changed ? ";" : "", f->string, wanted, f->valuestring);
        changed = 1;
    }
    return changed;
}
