/* One Pod as the API server writes it in a watch event (~4 KiB, with
 * managedFields, status, probes, a projected token), shared by the benches
 * that need a realistic object: the watch decode rate and the informer's
 * memory per cached Pod. Bench-only, included by bench programs. */
#ifndef BERTH_BENCH_POD_SAMPLE_H
#define BERTH_BENCH_POD_SAMPLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Pod, in pieces (ISO C bounds a string literal's length). N marks the
 * pod's ordinal and RV the resourceVersion, filled in per event; H eight
 * hex digits that differ from one place and pod to the next, as the uid
 * and container ID of real Pods do (a cache that packs alike objects must
 * not be measured on Pods that differ only in their ordinal). */
#define N  "\001"
#define RV "\002"
#define H  "\003"
static const char *const pod_parts[] = {
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"name\":\"demo-" N "\",\"generateName\":\"demo-\",\"namespace\":\"kafka\",\"uid\":"
    "\"" H "-0d2e-4b8a-9f61-" H H "\",\"resourceVersion\":\"" RV "\","
    "\"creationTimestamp\":\"2025-11-20T09:14:07Z\",\"labels\":{\"app.kubernetes.io/"
    "instance\":\"demo\",\"app.kubernetes.io/managed-by\":\"berth-operator\","
    "\"app.kubernetes.io/name\":\"kafka\",\"apps.kubernetes.io/pod-index\":\"" N "\","
    "\"controller-revision-hash\":\"demo-6d9f8c7b5d\",\"statefulset.kubernetes.io/pod-name\":"
    "\"demo-" N "\"},\"annotations\":{\"berth.io/config-hash\":\"sha256:3f6e1a0b9c8d7e6f5a4b3c2d1"
    "e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1\",\"kubectl.kubernetes.io/restartedAt\":"
    "\"2025-11-24T18:02:11Z\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
    "\"StatefulSet\",\"name\":\"demo\",\"uid\":\"a3b2c1d0-e9f8-4a7b-8c6d-5e4f3a2b1c0d\","
    "\"controller\":true,\"blockOwnerDeletion\":true}],\"managedFields\":[{\"manager\":"
    "\"kube-controller-manager\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":"
    "\"2025-11-20T09:14:07Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{"
    "\"f:generateName\":{},\"f:labels\":{\".\":{},\"f:app.kubernetes.io/instance\":{},",
    "\"f:app.kubernetes.io/name\":{},\"f:controller-revision-hash\":{},"
    "\"f:statefulset.kubernetes.io/pod-name\":{}},\"f:ownerReferences\":{\".\":{},"
    "\"k:{\\\"uid\\\":\\\"a3b2c1d0-e9f8-4a7b-8c6d-5e4f3a2b1c0d\\\"}\":{}}},\"f:spec\":{"
    "\"f:containers\":{\"k:{\\\"name\\\":\\\"kafka\\\"}\":{\".\":{},\"f:image\":{},"
    "\"f:name\":{},\"f:ports\":{}}},\"f:hostname\":{},\"f:subdomain\":{}}}},{\"manager\":"
    "\"kubelet\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":"
    "\"2025-11-24T18:03:40Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{"
    "\"f:conditions\":{},\"f:containerStatuses\":{},\"f:hostIP\":{},\"f:phase\":{},"
    "\"f:podIP\":{},\"f:startTime\":{}}},\"subresource\":\"status\"}]},\"spec\":{\"volumes\":["
    "{\"name\":\"data\",\"persistentVolumeClaim\":{\"claimName\":\"data-demo-" N "\"}},{\"name\":"
    "\"rendered\",\"emptyDir\":{}},{\"name\":\"sidecar-token\",\"projected\":{\"sources\":[{"
    "\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}}],"
    "\"defaultMode\":420}}],\"initContainers\":[{\"name\":\"berth-init\",\"image\":"
    "\"localhost/berth-sidecar:0.1.0\",\"args\":[\"init\"],\"env\":[{\"name\":\"NODE_NAME\","
    "\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"spec.nodeName\"}}}],"
    "\"volumeMounts\":[{\"name\":\"rendered\",\"mountPath\":\"/berth\"}]},{\"name\":",
    "\"berth-sidecar\",\"image\":\"localhost/berth-sidecar:0.1.0\",\"args\":[\"run\"],"
    "\"restartPolicy\":"
    "\"Always\",\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}]}],"
    "\"containers\":[{\"name\":\"kafka\",\"image\":\"apache/kafka:4.1.0\",\"command\":["
    "\"/bin/sh\",\"-c\",\"exec /opt/kafka/bin/kafka-server-start.sh "
    "/berth/server.properties\"],\"ports\":[{\"name\":\"internal\",\"containerPort\":9092,"
    "\"protocol\":\"TCP\"},{\"name\":\"external\",\"containerPort\":9094,\"protocol\":\"TCP\"}],"
    "\"resources\":{\"limits\":{\"memory\":\"4Gi\"},\"requests\":{\"cpu\":\"1\",\"memory\":"
    "\"4Gi\"}},\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/var/lib/kafka\"},{\"name\":"
    "\"rendered\",\"mountPath\":\"/berth\"}],\"readinessProbe\":{\"httpGet\":{\"path\":"
    "\"/readyz\",\"port\":8080,\"scheme\":\"HTTP\"},\"periodSeconds\":5,\"failureThreshold\":3},"
    "\"lifecycle\":{\"preStop\":{\"exec\":{\"command\":[\"/berth/berth-drain\",\"--deadline\","
    "\"150s\"]}}}}],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":210,"
    "\"serviceAccountName\":\"demo-broker\",\"automountServiceAccountToken\":false,"
    "\"nodeName\":\"worker-" N "\",\"securityContext\":{\"fsGroup\":1000},\"hostname\":"
    "\"demo-" N "\",\"subdomain\":\"demo-brokers\",\"schedulerName\":\"default-scheduler\",",
    "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
    "\"effect\":\"NoExecute\",\"tolerationSeconds\":300},{\"key\":"
    "\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}]},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
    "\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"2025-11-24T18:02:30Z\"},{"
    "\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2025-11-24T18:03:40Z\"},{"
    "\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":"
    "\"2025-11-24T18:03:40Z\"},{\"type\":\"PodScheduled\",\"status\":\"True\","
    "\"lastTransitionTime\":\"2025-11-24T18:02:12Z\"}],\"hostIP\":\"10.0.3." N "\",\"podIP\":"
    "\"10.244.3." N "\",\"podIPs\":[{\"ip\":\"10.244.3." N "\"}],\"startTime\":"
    "\"2025-11-24T18:02:12Z\",\"containerStatuses\":[{\"name\":\"kafka\",\"state\":{"
    "\"running\":{\"startedAt\":\"2025-11-24T18:02:31Z\"}},\"lastState\":{},\"ready\":true,"
    "\"restartCount\":0,\"image\":\"apache/kafka:4.1.0\",\"imageID\":"
    "\"apache/kafka@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"
    "c6d7e8f9\",\"containerID\":\"containerd://" H H H H H H H H
    "\",\"started\":true}],\"qosClass\":\"Burstable\"}}}\n",
};

/* Writes the template with the markers replaced; returns the length. */
static size_t expand(char *out, const char *tmpl, const char *num, const char *rv)
{
    char *o = out;

    static unsigned long x = 88172645463325252ul; /* xorshift: the same run every time */
    char hex[9];

    for (; *tmpl; tmpl++) {
        const char *with = *tmpl == N[0] ? num : *tmpl == RV[0] ? rv : NULL;

        if (*tmpl == H[0]) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            snprintf(hex, sizeof hex, "%08lx", x & 0xfffffffful);
            with = hex;
        }
        if (with == NULL) {
            *o++ = *tmpl;
            continue;
        }
        memcpy(o, with, strlen(with));
        o += strlen(with);
    }
    return (size_t)(o - out);
}

/* The whole template as one new string (for free()), or NULL. */
static char *pod_template(void)
{
    size_t tlen = 1, i;
    char *t;

    for (i = 0; i < sizeof pod_parts / sizeof pod_parts[0]; i++)
        tlen += strlen(pod_parts[i]);
    t = malloc(tlen);
    if (t == NULL)
        return NULL;
    t[0] = '\0';
    for (i = 0; i < sizeof pod_parts / sizeof pod_parts[0]; i++)
        strcat(t, pod_parts[i]);
    return t;
}

#endif
