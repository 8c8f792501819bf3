/* The brokers section of the health report (see health.h): per broker its
 * pod's readiness as the kubelet sees it, whether the cluster has it
 * registered, and what it leads, holds and has demoted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_int.h"
#include "kube/object.h"
#include "plugin.h"

int pl_health_brokers_known(const pl_health_input *in, pl_health_brokers *s)
{
    const cJSON *b;
    pl_health_broker *e;

    cJSON_ArrayForEach(b, in->brokers)
    {
        const cJSON *id = pl_member(b, "id");

        if (!cJSON_IsNumber(id))
            continue;
        if ((e = pl_health_broker_of(s, (int32_t)id->valueint)) == NULL)
            return -1;
        e->known = true;
    }
    for (int32_t i = 0; i < in->md->n_brokers; i++) {
        if ((e = pl_health_broker_of(s, in->md->brokers[i].node_id)) == NULL)
            return -1;
        e->registered = true;
    }
    return 0;
}

static int by_id(const void *a, const void *b)
{
    const pl_health_broker *x = a, *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

/* status.brokers' entry of id, or NULL. */
static const cJSON *status_of(const cJSON *brokers, int32_t id)
{
    const cJSON *b;

    cJSON_ArrayForEach(b, brokers)
    {
        const cJSON *v = pl_member(b, "id");

        if (cJSON_IsNumber(v) && v->valueint == id)
            return b;
    }
    return NULL;
}

/* Restarts of every container of pod, the sidecar (an init container)
 * included. */
static int restarts(const cJSON *pod)
{
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
    const cJSON *c;
    int n = 0;

    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        cJSON_ArrayForEach(c, pl_member(pl_member(pod, "status"), lists[i]))
        {
            const cJSON *r = pl_member(c, "restartCount");

            n += cJSON_IsNumber(r) ? r->valueint : 0;
        }
    return n;
}

/* "<container>: <reason>" of the first container of pod that waits
 * (CrashLoopBackOff, ImagePullBackOff, ...) into buf, or NULL. */
static const char *waiting(const cJSON *pod, char *buf, size_t size)
{
    static const char *const lists[] = {"containerStatuses", "initContainerStatuses"};
    const cJSON *c;

    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        cJSON_ArrayForEach(c, pl_member(pl_member(pod, "status"), lists[i]))
        {
            const char *why = pl_str(pl_member(pl_member(c, "state"), "waiting"), "reason");

            if (why != NULL) {
                snprintf(buf, size, "%s: %s", pl_str(c, "name") ? pl_str(c, "name") : "?", why);
                return buf;
            }
        }
    return NULL;
}

/* pod's Ready condition, or NULL. */
static const cJSON *ready_condition(const cJSON *pod)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, pl_member(pl_member(pod, "status"), "conditions"))
    {
        const char *type = pl_str(c, "type");

        if (type != NULL && strcmp(type, "Ready") == 0)
            return c;
    }
    return NULL;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* The readiness members of row from the broker's pod (NULL: it has none),
 * and its problems. */
static void pod_readiness(const pl_health_broker *b, const char *name, const cJSON *pod, cJSON *row,
                          cJSON *problems)
{
    const cJSON *cond = ready_condition(pod);
    const char *reason = pl_str(cond, "reason"), *msg = pl_str(cond, "message"), *wait;
    bool ready = pod != NULL && kube_pod_ready(pod);
    bool stopping = kube_meta_str(pod, "deletionTimestamp") != NULL;
    char buf[256];

    wait = waiting(pod, buf, sizeof buf);
    cJSON_AddBoolToObject(row, "podFound", pod != NULL);
    cJSON_AddBoolToObject(row, "ready", ready);
    add_str(row, "phase", pl_str(pl_member(pod, "status"), "phase"));
    add_str(row, "readyReason", reason);
    add_str(row, "readyMessage", msg);
    add_str(row, "waiting", wait);
    cJSON_AddNumberToObject(row, "restarts", restarts(pod));
    cJSON_AddBoolToObject(row, "terminating", stopping);
    if (pod == NULL)
        pl_health_say(problems, "broker %d: no pod %s", b->id, name);
    else if (stopping)
        pl_health_say(problems, "broker %d: pod %s is being deleted", b->id, name);
    else if (!ready && wait == NULL && msg != NULL)
        pl_health_say(problems, "broker %d: pod %s is not Ready (%s: %s)", b->id, name,
                      reason != NULL ? reason : "Ready", msg);
    else if (!ready)
        pl_health_say(problems, "broker %d: pod %s is not Ready (%s)", b->id, name,
                      wait != NULL     ? wait
                      : reason != NULL ? reason
                                       : "no Ready condition");
}

/* The row of a broker the KafkaCluster names, and its problems. */
static void known_row(const pl_health_input *in, const pl_health_broker *b, cJSON *row,
                      cJSON *problems)
{
    const cJSON *st = status_of(in->brokers, b->id);
    char name[320];

    if (pl_str(st, "pod") != NULL)
        snprintf(name, sizeof name, "%s", pl_str(st, "pod"));
    else
        snprintf(name, sizeof name, "%s-%d", in->cluster, b->id);
    cJSON_AddStringToObject(row, "pod", name);
    if (in->pods != NULL) {
        pod_readiness(b, name, kube_find_by_name(in->pods, name), row, problems);
    } else {
        bool ready = cJSON_IsTrue(pl_member(st, "ready"));

        cJSON_AddBoolToObject(row, "ready", ready);
        if (!ready)
            pl_health_say(problems, "broker %d: not Ready (the KafkaCluster's status says)", b->id);
    }
    if (!b->registered)
        pl_health_say(problems,
                      "broker %d is not registered with the cluster (not in Metadata: stopped, "
                      "fenced or still starting)",
                      b->id);
}

void pl_health_brokers_put(const pl_health_input *in, pl_health_brokers *s, cJSON *list,
                           cJSON *problems, cJSON *notes)
{
    if (s->n > 1)
        qsort(s->b, (size_t)s->n, sizeof *s->b, by_id);
    if (cJSON_GetArraySize(in->brokers) == 0)
        pl_health_say(notes, "the KafkaCluster's status lists no brokers yet: is berth-operator "
                             "running?");
    if (in->pods == NULL && in->pods_error != NULL)
        pl_health_say(notes, "broker pods not read (%s): readiness from the KafkaCluster's status",
                      in->pods_error);
    for (int i = 0; i < s->n; i++) {
        const pl_health_broker *b = &s->b[i];
        cJSON *row = cJSON_CreateObject();

        cJSON_AddNumberToObject(row, "id", b->id);
        if (b->known) {
            known_row(in, b, row, problems);
        } else if (b->registered) {
            cJSON_AddNullToObject(row, "pod");
            if (cJSON_GetArraySize(in->brokers) > 0)
                pl_health_say(notes,
                              "broker %d is registered with the cluster but is not one of the "
                              "KafkaCluster's brokers",
                              b->id);
        } else {
            cJSON_AddNullToObject(row, "pod");
            if (b->replicas > 0)
                pl_health_say(notes,
                              "broker %d holds replicas of %d partition%s but neither the "
                              "KafkaCluster nor Metadata knows it",
                              b->id, b->replicas, b->replicas == 1 ? "" : "s");
        }
        cJSON_AddBoolToObject(row, "registered", b->registered);
        cJSON_AddNumberToObject(row, "leaders", b->leaders);
        cJSON_AddNumberToObject(row, "preferredLeaders", b->preferred);
        cJSON_AddNumberToObject(row, "replicas", b->replicas);
        cJSON_AddNumberToObject(row, "demotedPartitions", b->demoted);
        cJSON_AddItemToArray(list, row);
    }
}
