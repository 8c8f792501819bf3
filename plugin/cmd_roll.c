/* `kubectl berth roll CLUSTER`: a drained rolling restart of a cluster's
 * brokers, started the way `kubectl rollout restart` starts one (a
 * restartedAt annotation on the StatefulSet's pod template, a field
 * berth-operator leaves to others), so the StatefulSet replaces one pod at
 * a time, each drained by its preStop step and each new one Ready only
 * once caught up with its leadership handed back; then it follows the
 * roll until every broker runs a new pod and is Ready, printing each step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/object.h"
#include "kube/verbs.h"
#include "plugin.h"

#define RESTARTED_AT "kubectl.kubernetes.io/restartedAt"
#define POLL_MS      1000
#define MAX_BROKERS  1000

static int num(const cJSON *o, const char *key)
{
    const cJSON *v = pl_member(o, key);

    return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* Seconds of "90", "90s", "15m" or "1h", or -1. */
long pl_duration_parse(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || v < 0)
        return -1;
    if (*end == '\0' || strcmp(end, "s") == 0)
        return v;
    if (strcmp(end, "m") == 0 && v < 1000000)
        return v * 60;
    if (strcmp(end, "h") == 0 && v < 10000)
        return v * 3600;
    return -1;
}

/* One step of the roll on stdout, with the time (UTC). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    char when[16];
    time_t t = time(NULL);
    struct tm tm;
    va_list ap;

    strftime(when, sizeof when, "%H:%M:%S", gmtime_r(&t, &tm));
    printf("%s  ", when);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* The StatefulSet of cluster cr (a new object) after checking it is this
 * cluster's; PL_EXIT_OK or PL_EXIT_ERROR after saying why. */
static int get_sts(const pl_ctx *ctx, const cJSON *cr, char *path, size_t size, cJSON **out)
{
    const char *name = kube_meta_name(cr), *uid = kube_meta_uid(cr), *owner;
    util_err err = {{0}};
    kube_status st = {0};

    *out = NULL;
    if (kube_path(path, size, "apps/v1", "statefulsets", ctx->namespace, name, NULL) != 0 ||
        kube_get(ctx->client, path, out, &st, &err) != 0) {
        if (st.code == 404)
            fprintf(stderr,
                    "kubectl-berth: KafkaCluster %s has no StatefulSet %s yet: nothing to roll\n",
                    name, name);
        else
            fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        return PL_EXIT_ERROR;
    }
    owner = kube_meta_controller_uid(*out);
    if (uid == NULL || owner == NULL || strcmp(owner, uid) != 0) {
        fprintf(stderr, "kubectl-berth: StatefulSet %s is not KafkaCluster %s's: not rolling it\n",
                name, name);
        cJSON_Delete(*out);
        *out = NULL;
        return PL_EXIT_ERROR;
    }
    return PL_EXIT_OK;
}

/* Whether sts has finished rolling to its update revision. */
static bool rolled(const cJSON *sts)
{
    const cJSON *st = pl_member(sts, "status");
    int want = num(pl_member(sts, "spec"), "replicas");
    const char *cur = pl_str(st, "currentRevision"), *upd = pl_str(st, "updateRevision");

    return num(st, "observedGeneration") >= num(pl_member(sts, "metadata"), "generation") &&
           num(st, "updatedReplicas") == want && num(st, "readyReplicas") == want &&
           num(st, "replicas") == want && cur != NULL && upd != NULL && strcmp(cur, upd) == 0;
}

/* What the roll last saw of a broker's pod. */
typedef struct seen {
    char uid[64]; /* the pod's; before the roll, the one it replaces */
    bool stopping, done;
} seen;

/* Broker id's pod of the cluster name (a new object), or NULL. */
static cJSON *get_pod(const pl_ctx *ctx, const char *name, int id)
{
    char path[KUBE_PATH_MAX], pod[128];
    cJSON *p = NULL;

    snprintf(pod, sizeof pod, "%s-%d", name, id);
    if (kube_path(path, sizeof path, "v1", "pods", ctx->namespace, pod, NULL) != 0 ||
        kube_get(ctx->client, path, &p, NULL, NULL) != 0)
        return NULL; /* gone for a moment: the next look finds the new one */
    return p;
}

/* Reports what changed among the cluster's pods since the last look; a
 * pod counts as restarted once it is Ready on the StatefulSet's update
 * revision (read only from a status that has seen the restart). */
static void follow_pods(const pl_ctx *ctx, const cJSON *sts, const char *name, seen *s, int n)
{
    const cJSON *st = pl_member(sts, "status");
    const char *rev = pl_str(st, "updateRevision");
    int done = 0;

    if (num(st, "observedGeneration") < num(pl_member(sts, "metadata"), "generation"))
        return;
    for (int id = 0; id < n; id++)
        done += s[id].done;
    for (int id = n - 1; id >= 0; id--) {
        cJSON *p = get_pod(ctx, name, id);
        const char *uid = kube_meta_uid(p), *node = pl_str(pl_member(p, "spec"), "nodeName");
        const char *hash = cJSON_GetStringValue(
            pl_member(pl_member(pl_member(p, "metadata"), "labels"), "controller-revision-hash"));
        bool stopping = kube_meta_str(p, "deletionTimestamp") != NULL;

        if (p == NULL || uid == NULL) {
            cJSON_Delete(p);
            continue;
        }
        if (strcmp(uid, s[id].uid) != 0) {
            say("%s-%d: new pod started%s%s", name, id, node != NULL ? " on " : "",
                node != NULL ? node : "");
            snprintf(s[id].uid, sizeof s[id].uid, "%s", uid);
            s[id].stopping = false;
        }
        if (stopping && !s[id].stopping)
            say("%s-%d: stopping: its preStop step drains the broker before SIGTERM", name, id);
        s[id].stopping = stopping;
        if (!s[id].done && !stopping && kube_pod_ready(p) && rev != NULL && hash != NULL &&
            strcmp(rev, hash) == 0) {
            s[id].done = true;
            say("%s-%d: Ready (caught up, leadership handed back): %d of %d restarted", name, id,
                ++done, n);
        }
        cJSON_Delete(p);
    }
}

int pl_cmd_roll(const pl_ctx *ctx, int argc, char **argv)
{
    char path[KUBE_PATH_MAX], now[48];
    cJSON *cr = NULL, *sts = NULL, *patch, *got = NULL;
    util_err err = {{0}};
    seen *s = NULL;
    time_t t, deadline;
    struct timespec ts;
    struct tm tm;
    size_t len;
    int rc, n, ready;

    if (argc != 1) {
        fprintf(stderr, "kubectl-berth: roll takes one KafkaCluster name\n");
        return PL_EXIT_USAGE;
    }
    if (ctx->namespace == NULL) {
        fprintf(stderr, "kubectl-berth: roll works in one namespace, not -A\n");
        return PL_EXIT_USAGE;
    }
    if ((rc = pl_get_clusters(ctx, argv[0], &cr)) != PL_EXIT_OK)
        return rc;
    rc = get_sts(ctx, cr, path, sizeof path, &sts);
    n = num(pl_member(sts, "spec"), "replicas");
    ready = num(pl_member(sts, "status"), "readyReplicas");
    if (rc == PL_EXIT_OK && !rolled(sts)) {
        fprintf(stderr,
                "kubectl-berth: KafkaCluster %s: a roll is already under way (%d of %d brokers "
                "Ready, %d on the new pod template): not starting another\n",
                argv[0], ready, n, num(pl_member(sts, "status"), "updatedReplicas"));
        rc = PL_EXIT_ERROR;
    } else if (rc == PL_EXIT_OK && (n < 1 || n > MAX_BROKERS)) {
        fprintf(stderr, "kubectl-berth: KafkaCluster %s has %d brokers: nothing to roll\n", argv[0],
                n);
        rc = PL_EXIT_ERROR;
    }
    if (rc != PL_EXIT_OK)
        goto out;
    s = calloc((size_t)n, sizeof *s);
    if (s == NULL) {
        rc = PL_EXIT_ERROR;
        goto out;
    }
    for (int id = 0; id < n; id++) {
        cJSON *p = get_pod(ctx, argv[0], id);

        if (kube_meta_uid(p) != NULL)
            snprintf(s[id].uid, sizeof s[id].uid, "%s", kube_meta_uid(p));
        cJSON_Delete(p);
    }
    /* To the nanosecond: a restart asked within the second of the last
     * one must still change the template. */
    clock_gettime(CLOCK_REALTIME, &ts);
    t = ts.tv_sec;
    len = strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
    snprintf(now + len, sizeof now - len, ".%09ldZ", (long)ts.tv_nsec);
    patch = cJSON_Parse("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{}}}}}");
    cJSON_AddStringToObject(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(patch, "spec"), "template"),
                                "metadata"),
            "annotations"),
        RESTARTED_AT, now);
    rc = kube_merge_patch(ctx->client, path, patch, &got, NULL, &err);
    cJSON_Delete(patch);
    if (rc != 0) {
        fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        rc = PL_EXIT_ERROR;
        goto out;
    }
    cJSON_Delete(sts);
    sts = got;
    say("KafkaCluster %s: rolling %d brokers, one at a time, each drained first", argv[0], n);
    if (ctx->opts->no_wait)
        goto out;
    deadline = time(NULL) + ctx->opts->timeout_s;
    for (;;) {
        follow_pods(ctx, sts, argv[0], s, n);
        if (rolled(sts)) {
            say("KafkaCluster %s: rolled, every broker Ready on a new pod", argv[0]);
            break;
        }
        if (time(NULL) >= deadline) {
            fprintf(stderr,
                    "kubectl-berth: KafkaCluster %s: the roll did not finish within %ld s (%d of "
                    "%d brokers on the new pod template and Ready); it goes on: `kubectl berth "
                    "roll` again once it has finished, or see kubectl describe statefulset %s\n",
                    argv[0], ctx->opts->timeout_s, num(pl_member(sts, "status"), "updatedReplicas"),
                    n, argv[0]);
            rc = PL_EXIT_ERROR;
            break;
        }
        usleep(POLL_MS * 1000);
        cJSON_Delete(sts);
        sts = NULL;
        if (kube_get(ctx->client, path, &sts, NULL, &err) != 0) {
            fprintf(stderr, "kubectl-berth: %s\n", err.msg);
            rc = PL_EXIT_ERROR;
            break;
        }
    }
out:
    free(s);
    cJSON_Delete(sts);
    cJSON_Delete(cr);
    return rc;
}
