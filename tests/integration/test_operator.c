/* berth-operator (the real binary) against the ground's real API server:
 * a KafkaCluster like manifests/examples/kafka-nodeport.yaml becomes every
 * owned object with the right shape and owner references (read back
 * through the API, not from the builders), the <c>-brokers ConfigMap holds
 * each kwok node's ExternalIP as the Node objects give it, the status
 * reports every broker at its node's address and its node port, a no-op
 * resync makes zero write requests by the API server's own audit log, a
 * cluster ID that contradicts the formatted one is refused with
 * Reconciled=False and nothing rewritten, a broker pod whose image cannot
 * be pulled shows as Degraded (written once, not on every resync) until it
 * runs, an object of an owned name that berth did not create is refused
 * (NameConflict) and survives the cluster's deletion untouched, a broker
 * on a node without the ExternalIP its listener asks for shows its address
 * fallback in status and a Warning Event, a broker pod that is stopping
 * makes Draining True, the reconcile duration is a Prometheus histogram,
 * a namespace beginning with a digit is served, and SIGTERM ends the
 * operator cleanly.
 *
 * kwok runs no containers, so PersistentVolumes for the brokers' claims are
 * made here, bound to exactly this namespace's claims. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"
#include "kafka/configs.h"
#include "kafka/dial.h"
#include "kafka/proto.h"
#include "kube/client.h"
#include "kube/verbs.h"
#include "pki/pki.h"
#include "support/kube_test.h"
#include "support/loopback.h"
#include "support/operator_proc.h"
#include "support/oversized_broker.h"
#include "util/base64.h"

#define BROKERS 3
/* PersistentVolumes made: enough for the scale-up to 5. */
#define VOLUMES 5

static kube_config *cfg;
static kube_client *kc;
static char ns[64];
/* How this test's namespace begins; setup_digit_namespace changes it. */
static const char *ns_prefix = "opr";
static int node_port_base;
/* Up to two operator processes (the leader-election test runs both). */
static int metrics_port[2];
static int health_port[2];
/* Labels (berth.io/test) this run's namespaces and PersistentVolumes, so
 * sweep() finds what a failed test left. Set before the tests fork. */
static char run_label[32];
static pid_t operator_pid[2] = {-1, -1};
static char operator_log[2][PATH_MAX];

/* ---- small helpers ---- */

static double num(const cJSON *obj, const char *path)
{
    const cJSON *j = kt_at(obj, path);

    ck_assert_msg(cJSON_IsNumber(j), "%s is not a number", path);
    return j->valuedouble;
}

static const char *str(const cJSON *obj, const char *path)
{
    const cJSON *j = kt_at(obj, path);

    ck_assert_msg(cJSON_IsString(j), "%s is not a string", path);
    return j->valuestring;
}

/* GET; NULL on 404, abort on anything else. */
/* A member whose key has dots (labels, ConfigMap keys) of the object at
 * path. */
static const char *key_str(const cJSON *obj, const char *path, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(kt_at(obj, path), key);

    ck_assert_msg(cJSON_IsString(j), "%s[%s] is not a string", path, key);
    return j->valuestring;
}

static cJSON *get_opt(const char *av, const char *res, const char *namespace, const char *name)
{
    return kt_get_opt(kc, av, res, namespace, name);
}

static cJSON *get(const char *av, const char *res, const char *namespace, const char *name)
{
    cJSON *o = get_opt(av, res, namespace, name);

    ck_assert_msg(o != NULL, "%s %s/%s does not exist", res, namespace ? namespace : "", name);
    return o;
}

static void create(const char *path, cJSON *obj)
{
    util_err err = {{0}};

    if (kube_create(kc, path, obj, NULL, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    cJSON_Delete(obj);
}

/* The owner reference every owned object must carry. */
static void assert_owned(const cJSON *obj, const char *uid)
{
    const cJSON *refs = kt_at(obj, "metadata.ownerReferences");
    const cJSON *ref = cJSON_GetArrayItem(refs, 0);

    ck_assert_msg(cJSON_GetArraySize(refs) == 1, "%s: not exactly one owner",
                  str(obj, "metadata.name"));
    ck_assert_str_eq(str(ref, "kind"), "KafkaCluster");
    ck_assert_str_eq(str(ref, "uid"), uid);
    ck_assert(cJSON_IsTrue(kt_at(ref, "controller")));
    ck_assert_str_eq(key_str(obj, "metadata.labels", "app.kubernetes.io/managed-by"),
                     "berth-operator");
}

/* ---- the operator process ---- */

/* How an operator is started. */
#define OP_LEADER_ELECT 1 /* --leader-elect, its Lease in our namespace */
#define OP_NO_INFORMERS 2 /* --no-informers: periodic lists, reads from the API */
#define OP_NO_ANNOTATED 4 /* without --admin-bootstrap-annotation */
#define OP_HEALTH       8 /* --health-addr on a port of its own (health_port) */

/* Starts operator i. */
static void operator_start(int i, int mode)
{
    const char *args[24];
    int a = 0;

    snprintf(operator_log[i], sizeof operator_log[i], "/tmp/%s-operator-%d.log", ns, i);
    metrics_port[i] = health_port[i] = 0;
    args[a++] = "--kubeconfig";
    args[a++] = getenv("BERTH_KUBECONFIG");
    args[a++] = "--namespace";
    args[a++] = ns;
    args[a++] = "--resync";
    args[a++] = "2";
    args[a++] = "--metrics-addr";
    args[a++] = "127.0.0.1:0";
    args[a++] = "--health-addr";
    args[a++] = (mode & OP_HEALTH) ? "127.0.0.1:0" : "0";
    args[a++] = "--sidecar-image";
    args[a++] = "localhost/berth-sidecar:test";
    /* Outside the cluster network: admin connections dial the
     * annotation's address (the ground's Kafka). */
    if (!(mode & OP_NO_ANNOTATED))
        args[a++] = "--admin-bootstrap-annotation";
    if (mode & OP_LEADER_ELECT) {
        args[a++] = "--leader-elect";
        args[a++] = "--leader-elect-namespace";
        args[a++] = ns;
    }
    if (mode & OP_NO_INFORMERS)
        args[a++] = "--no-informers";
    args[a] = NULL;
    operator_pid[i] = opp_start(operator_log[i], true, args);
    /* The metrics port the operator picked, from its log. */
    for (double t0 = kt_now(); metrics_port[i] == 0;) {
        FILE *f = fopen(operator_log[i], "r");
        char line[512];
        int status;

        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            const char *p = strstr(line, "serving /metrics on 127.0.0.1:");
            const char *h = strstr(line, "serving /healthz on 127.0.0.1:");

            if (p != NULL)
                metrics_port[i] = atoi(p + strlen("serving /metrics on 127.0.0.1:"));
            if (h != NULL)
                health_port[i] = atoi(h + strlen("serving /healthz on 127.0.0.1:"));
        }
        if (f != NULL)
            fclose(f);
        if (metrics_port[i] != 0)
            break;
        ck_assert_msg(waitpid(operator_pid[i], &status, WNOHANG) == 0,
                      "the operator exited at start; log %s", operator_log[i]);
        ck_assert_msg(kt_now() - t0 < 30, "the operator never served /metrics; log %s",
                      operator_log[i]);
        usleep(100000);
    }
}

/* Sends sig to operator i and waits; returns its exit status. */
static int operator_signal(int i, int sig)
{
    return opp_signal(&operator_pid[i], sig);
}

static int operator_stop(int i)
{
    return operator_signal(i, SIGTERM);
}

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
    FILE *f = ud;

    return fwrite(p, sz, n, f);
}

/* Operator i's /metrics page (the caller frees it); "" if the operator
 * does not answer. */
static char *metrics_page(int i)
{
    char url[128], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CURL *h = curl_easy_init();

    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", metrics_port[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    fclose(f);
    return buf;
}

/* A sample (counter, gauge, or one line of a histogram) from operator i's
 * /metrics; -1 if absent or the operator does not answer. */
static double metric_of(int i, const char *series)
{
    char *buf = metrics_page(i), *p;
    double v = -1;

    for (p = buf; p != NULL && (p = strstr(p, series)) != NULL; p++)
        if ((p == buf || p[-1] == '\n') && p[strlen(series)] == ' ') {
            v = strtod(p + strlen(series) + 1, NULL);
            break;
        }
    free(buf);
    return v;
}

static double metric(const char *series)
{
    return metric_of(0, series);
}

#define RECONCILE_HISTOGRAM "berth_operator_reconcile_duration_seconds"

/* The reconcile duration histogram on operator 0's /metrics, read as the
 * Prometheus text format has it: a TYPE line saying histogram, _bucket
 * lines with ascending le bounds ending at +Inf and cumulative counts, the
 * +Inf bucket equal to _count, and a _sum. Returns _count. */
static double reconcile_histogram_count(void)
{
    static const char bucket[] = RECONCILE_HISTOGRAM "_bucket{le=\"";
    char *page = metrics_page(0), *line, *save = NULL;
    double prev_le = -1, prev_n = -1, inf = -1, count = -1, sum = -1;
    int buckets = 0;
    bool typed = false;

    ck_assert_ptr_nonnull(page);
    ck_assert_msg(strstr(page, RECONCILE_HISTOGRAM "_total") == NULL,
                  "the reconcile duration is still a counter");
    for (line = strtok_r(page, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strcmp(line, "# TYPE " RECONCILE_HISTOGRAM " histogram") == 0) {
            typed = true;
        } else if (strncmp(line, bucket, strlen(bucket)) == 0) {
            const char *le = line + strlen(bucket), *end = strstr(le, "\"} ");
            double n;

            ck_assert_msg(end != NULL, "bad bucket line: %s", line);
            ck_assert_msg(inf < 0, "a bucket after +Inf: %s", line);
            n = strtod(end + 3, NULL);
            if (strncmp(le, "+Inf\"", 5) == 0) {
                inf = n;
            } else {
                ck_assert_msg(strtod(le, NULL) > prev_le, "bounds not ascending at %s", line);
                prev_le = strtod(le, NULL);
            }
            ck_assert_msg(n >= prev_n, "buckets not cumulative at %s", line);
            prev_n = n;
            buckets++;
        } else if (strncmp(line, RECONCILE_HISTOGRAM "_sum ", strlen(RECONCILE_HISTOGRAM) + 5) ==
                   0) {
            sum = strtod(line + strlen(RECONCILE_HISTOGRAM) + 5, NULL);
        } else if (strncmp(line, RECONCILE_HISTOGRAM "_count ", strlen(RECONCILE_HISTOGRAM) + 7) ==
                   0) {
            count = strtod(line + strlen(RECONCILE_HISTOGRAM) + 7, NULL);
        }
    }
    free(page);
    ck_assert_msg(typed, "no \"# TYPE %s histogram\" line", RECONCILE_HISTOGRAM);
    ck_assert_int_ge(buckets, 2);
    ck_assert_msg(inf >= 0, "no +Inf bucket");
    ck_assert_double_eq(inf, count);
    ck_assert_double_ge(sum, 0);
    return count;
}

/* ---- the audit log ---- */

static void audit_path(char *buf, size_t size)
{
    char kcfg[PATH_MAX];

    snprintf(kcfg, sizeof kcfg, "%s", getenv("BERTH_KUBECONFIG"));
    snprintf(buf, size, "%s/kube/audit.log", dirname(kcfg));
}

static long audit_size(void)
{
    char path[PATH_MAX];
    struct stat sb;

    audit_path(path, sizeof path);
    ck_assert_msg(stat(path, &sb) == 0, "no audit log at %s", path);
    return (long)sb.st_size;
}

/* Write requests from berth (User-Agent berth/...) on objects of our
 * namespace, logged after byte offset from; Events (written by the
 * operator's recorder, asynchronously, about changes) are counted apart in
 * *events when events is not NULL. */
static int audit_berth_writes(long from, int *events)
{
    char path[PATH_MAX], *line = NULL;
    size_t cap = 0;
    int count = 0;
    FILE *f;

    if (events != NULL)
        *events = 0;
    audit_path(path, sizeof path);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    fseek(f, from, SEEK_SET);
    while (getline(&line, &cap, f) > 0) {
        cJSON *e = cJSON_Parse(line);
        const cJSON *ua = kt_at(e, "userAgent"), *ons = kt_at(e, "objectRef.namespace");

        if (cJSON_IsString(ua) && strncmp(ua->valuestring, "berth/", 6) == 0 &&
            cJSON_IsString(ons) && strcmp(ons->valuestring, ns) == 0 &&
            strcmp(str(e, "verb"), "get") != 0 && strcmp(str(e, "verb"), "list") != 0) {
            if (strcmp(str(e, "objectRef.resource"), "events") != 0)
                count++;
            else if (events != NULL)
                (*events)++;
            fprintf(stderr, "audit: %s %s/%s\n", str(e, "verb"), str(e, "objectRef.resource"),
                    cJSON_IsString(kt_at(e, "objectRef.name")) ? str(e, "objectRef.name") : "");
        }
        cJSON_Delete(e);
    }
    free(line);
    fclose(f);
    return count;
}

/* ---- setup ---- */

/* The first of n consecutive node ports no Service holds. */
static int free_node_ports(int n, unsigned seed)
{
    static bool used[32768];
    cJSON *list = NULL;
    const cJSON *svc, *p;
    int span = 32767 - 30000 + 1, start = (int)(seed % (unsigned)span);
    util_err err = {{0}};

    ck_assert_msg(kube_list(kc, "/api/v1/services", NULL, &list, NULL, &err) == 0, "%s", err.msg);
    cJSON_ArrayForEach(svc, kt_at(list, "items"))
    {
        cJSON_ArrayForEach(p, kt_at(svc, "spec.ports"))
        {
            const cJSON *np = kt_at(p, "nodePort");

            if (cJSON_IsNumber(np) && np->valueint >= 30000 && np->valueint <= 32767)
                used[np->valueint] = true;
        }
    }
    cJSON_Delete(list);
    for (int k = 0; k < span; k++) {
        int base = 30000 + (start + k) % span, i;

        if (base + n - 1 > 32767)
            continue;
        for (i = 0; i < n && !used[base + i]; i++)
            ;
        if (i == n)
            return base;
    }
    ck_abort_msg("no %d free node ports in a row", n);
    return -1;
}

static void cleanup(void);
static void uncordon_ours(kube_client *c);
static void delete_own_node(kube_client *c);

static void setup(void)
{
    unsigned char r[4];

    curl_global_init(CURL_GLOBAL_DEFAULT);
    cfg = kt_admin_config();
    kc = kt_client(cfg);
    kt_random_name(ns, sizeof ns, ns_prefix);
    ck_assert_int_eq(RAND_bytes(r, sizeof r), 1);
    /* A node port range of our own: 10 ports no Service holds now, from a
     * random start so concurrent runs rarely pick the same. */
    node_port_base = free_node_ports(10, (unsigned)r[0] << 8 | r[1]);
    opp_ensure_crd(kc);
    kt_create_namespace(kc, ns, run_label);
    for (int i = 0; i < VOLUMES; i++)
        create("/api/v1/persistentvolumes",
               kt_json("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{"
                       "\"name\":\"%s-data-%d\",\"labels\":{\"berth.io/test\":\"%s\"}},"
                       "\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":["
                       "\"ReadWriteOnce\"],\"persistentVolumeReclaimPolicy\":\"Retain\","
                       "\"storageClassName\":\"\",\"hostPath\":{\"path\":\"/tmp/%s/%d\"},"
                       "\"claimRef\":{\"namespace\":\"%s\",\"name\":\"data-demo-%d\"}}}",
                       ns, i, run_label, ns, i, ns, i));
}

/* Stops our operators and deletes what the test made. A failed assertion
 * ends the test's process without this teardown: its operators then die
 * with it (PR_SET_PDEATHSIG) and sweep() removes the rest. */
static void cleanup(void)
{
    static bool done;
    util_err err = {{0}};
    char path[KUBE_PATH_MAX];

    if (done || kc == NULL)
        return;
    done = true;
    for (int i = 0; i < 2; i++)
        if (operator_pid[i] > 0)
            operator_stop(i);
    uncordon_ours(kc);
    delete_own_node(kc);
    if (kt_delete_cluster_namespace(kc, ns, &err) != 0)
        fprintf(stderr, "cleanup: %s\n", err.msg);
    for (int i = 0; i < VOLUMES; i++) {
        snprintf(path, sizeof path, "/api/v1/persistentvolumes/%s-data-%d", ns, i);
        if (kube_delete(kc, path, NULL, NULL) != 0) {
            /* Best effort: a volume this run never made is a 404. */
        }
    }
    kube_client_free(kc);
    kc = NULL;
    kube_config_free(cfg);
    curl_global_cleanup();
}

/* setup, in a namespace named 1team-<random>: it begins with a digit. */
static void setup_digit_namespace(void)
{
    ns_prefix = "1team";
    setup();
}

static void teardown(void)
{
    cleanup();
}

/* ---- the test ---- */

static bool pod_ready(const cJSON *pod);

static bool pod_ready(const cJSON *pod)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, kt_at(pod, "status.conditions"))
    {
        if (strcmp(str(c, "type"), "Ready") == 0)
            return strcmp(str(c, "status"), "True") == 0;
    }
    return false;
}

/* Waits until the status describes the pods as the API shows them now:
 * every broker scheduled and its external address known, readiness as the
 * pods say. Returns the KafkaCluster. */
static cJSON *wait_converged(void)
{
    double t0 = kt_now();

    for (;;) {
        cJSON *kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
        const cJSON *brokers = kt_at(kcl, "status.brokers"), *b;
        int ready = 0, placed = 0;
        bool ok = cJSON_GetArraySize(brokers) == BROKERS &&
                  cJSON_IsNumber(kt_at(kcl, "status.observedGeneration")) &&
                  num(kcl, "status.observedGeneration") == num(kcl, "metadata.generation");

        for (int i = 0; i < BROKERS && ok; i++) {
            char name[32];
            cJSON *pod;

            snprintf(name, sizeof name, "demo-%d", i);
            pod = get_opt("v1", "pods", ns, name);
            if (pod != NULL && pod_ready(pod))
                ready++;
            cJSON_Delete(pod);
        }
        cJSON_ArrayForEach(b, brokers)
        {
            if (cJSON_IsString(kt_at(b, "listeners.external")) && cJSON_IsString(kt_at(b, "node")))
                placed++;
        }
        if (ok && placed == BROKERS && cJSON_IsNumber(kt_at(kcl, "status.readyReplicas")) &&
            num(kcl, "status.readyReplicas") == ready)
            return kcl;
        cJSON_Delete(kcl);
        ck_assert_msg(kt_now() - t0 < 180, "the cluster did not converge; operator log: %s",
                      operator_log[0]);
        for (int i = 0; i < 2; i++) {
            int status;

            ck_assert_msg(operator_pid[i] <= 0 || waitpid(operator_pid[i], &status, WNOHANG) == 0,
                          "operator %d exited; log %s", i, operator_log[i]);
        }
        usleep(500000);
    }
}

static void check_statefulset(const char *uid)
{
    cJSON *sts = get("apps/v1", "statefulsets", ns, "demo");
    const cJSON *pod = kt_at(sts, "spec.template.spec");
    const cJSON *inits = kt_at(pod, "initContainers");
    const cJSON *broker = cJSON_GetArrayItem(kt_at(pod, "containers"), 0), *m;
    const cJSON *sidecar = cJSON_GetArrayItem(inits, 1);

    assert_owned(sts, uid);
    ck_assert_str_eq(str(sts, "spec.podManagementPolicy"), "Parallel");
    ck_assert_int_eq(num(sts, "spec.replicas"), BROKERS);
    ck_assert_str_eq(str(sts, "spec.serviceName"), "demo-brokers");
    ck_assert_str_eq(str(sidecar, "restartPolicy"), "Always");
    ck_assert_ptr_null(kt_at(cJSON_GetArrayItem(inits, 0), "restartPolicy"));
    ck_assert_str_eq(
        cJSON_GetArrayItem(kt_at(broker, "lifecycle.preStop.exec.command"), 0)->valuestring,
        "/etc/berth/config/berth-drain");
    ck_assert_str_eq(str(broker, "readinessProbe.httpGet.path"), "/readyz");
    ck_assert_ptr_null(kt_at(broker, "livenessProbe"));
    /* drain lock wait 60 + drain timeout 120 + shutdown budget and margin. */
    ck_assert_int_gt(num(pod, "terminationGracePeriodSeconds"), 180);
    ck_assert(cJSON_IsFalse(kt_at(pod, "automountServiceAccountToken")));
    cJSON_ArrayForEach(m, kt_at(broker, "volumeMounts"))
    {
        ck_assert_str_ne(str(m, "name"), "sidecar-token");
    }
    ck_assert_str_eq(str(pod, "serviceAccountName"), "demo-sidecar");
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(pod, "imagePullSecrets")), 1);
    ck_assert_str_eq(str(cJSON_GetArrayItem(kt_at(pod, "imagePullSecrets"), 0), "name"),
                     "registry-creds");
    cJSON_Delete(sts);
}

static void check_services(const char *uid)
{
    cJSON *s = get("v1", "services", ns, "demo-brokers");

    assert_owned(s, uid);
    ck_assert_str_eq(str(s, "spec.clusterIP"), "None");
    ck_assert(cJSON_IsTrue(kt_at(s, "spec.publishNotReadyAddresses")));
    cJSON_Delete(s);
    s = get("v1", "services", ns, "demo-bootstrap");
    assert_owned(s, uid);
    ck_assert_str_eq(str(s, "spec.type"), "ClusterIP");
    ck_assert(!cJSON_IsTrue(kt_at(s, "spec.publishNotReadyAddresses")));
    cJSON_Delete(s);
    for (int i = 0; i < BROKERS; i++) {
        char name[32];
        const cJSON *p;

        snprintf(name, sizeof name, "demo-%d-external", i);
        s = get("v1", "services", ns, name);
        assert_owned(s, uid);
        ck_assert_str_eq(str(s, "spec.type"), "NodePort");
        ck_assert_str_eq(str(s, "spec.externalTrafficPolicy"), "Local");
        ck_assert(cJSON_IsTrue(kt_at(s, "spec.publishNotReadyAddresses")));
        snprintf(name, sizeof name, "demo-%d", i);
        ck_assert_str_eq(key_str(s, "spec.selector", "statefulset.kubernetes.io/pod-name"), name);
        p = cJSON_GetArrayItem(kt_at(s, "spec.ports"), 0);
        ck_assert_int_eq(num(p, "nodePort"), node_port_base + i);
        ck_assert_int_eq(num(p, "targetPort"), 9094);
        cJSON_Delete(s);
    }
}

/* Whether every voter pod that is Ready is in cluster.json's
 * formattedVoters. */
static bool voters_listed(void)
{
    cJSON *cm = get("v1", "configmaps", ns, "demo-brokers");
    cJSON *doc = cJSON_Parse(key_str(cm, "data", "cluster.json"));
    bool ok = true;

    for (int i = 0; i < 3; i++) {
        char name[32];
        cJSON *pod;
        bool listed = false;
        const cJSON *v;

        snprintf(name, sizeof name, "demo-%d", i);
        pod = get("v1", "pods", ns, name);
        cJSON_ArrayForEach(v, kt_at(doc, "formattedVoters"))
        {
            if (cJSON_IsNumber(v) && v->valueint == i)
                listed = true;
        }
        if (pod_ready(pod) && !listed)
            ok = false;
        cJSON_Delete(pod);
    }
    cJSON_Delete(doc);
    cJSON_Delete(cm);
    return ok;
}

/* The brokers ConfigMap's node map against the Node objects themselves. */
static void check_brokers_configmap(const char *uid, const char *cluster_id)
{
    cJSON *cm = get("v1", "configmaps", ns, "demo-brokers");
    cJSON *nodes_doc = cJSON_Parse(key_str(cm, "data", "nodes.json"));
    cJSON *brokers_doc = cJSON_Parse(key_str(cm, "data", "brokers.json"));
    cJSON *cluster_doc = cJSON_Parse(key_str(cm, "data", "cluster.json"));
    cJSON *nodes = NULL;
    const cJSON *n, *a;
    char path[KUBE_PATH_MAX];
    util_err err = {{0}};
    int kwok = 0;

    assert_owned(cm, uid);
    ck_assert_ptr_nonnull(nodes_doc);
    ck_assert_ptr_nonnull(brokers_doc);
    ck_assert_ptr_nonnull(cluster_doc);
    ck_assert_str_eq(str(cluster_doc, "clusterID"), cluster_id);
    ck_assert_int_eq(num(cluster_doc, "controllers"), 3);
    /* Every voter whose pod is Ready is known to have formatted (polled:
     * a pod may turn Ready between two reads). */
    for (double t0 = kt_now(); !voters_listed();) {
        ck_assert_msg(kt_now() - t0 < 30, "a Ready voter is missing from formattedVoters");
        usleep(300000);
    }
    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "nodes", NULL, NULL, NULL), 0);
    ck_assert_msg(kube_list(kc, path, NULL, &nodes, NULL, &err) == 0, "%s", err.msg);
    cJSON_ArrayForEach(n, kt_at(nodes, "items"))
    {
        const char *name = str(n, "metadata.name"), *ext = NULL;
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(nodes_doc, name);

        cJSON_ArrayForEach(a, kt_at(n, "status.addresses"))
        {
            if (ext == NULL && strcmp(str(a, "type"), "ExternalIP") == 0)
                ext = str(a, "address");
        }
        ck_assert_msg(entry != NULL, "node %s missing from nodes.json", name);
        if (ext != NULL) {
            ck_assert_str_eq(str(entry, "addresses.external"), ext);
            kwok++;
        }
        if (cJSON_IsString(
                cJSON_GetObjectItem(kt_at(n, "metadata.labels"), "topology.kubernetes.io/zone")))
            ck_assert_str_eq(str(entry, "rack"),
                             key_str(n, "metadata.labels", "topology.kubernetes.io/zone"));
    }
    ck_assert_int_ge(kwok, 3);
    for (int i = 0; i < BROKERS; i++) {
        char id[16];

        snprintf(id, sizeof id, "%d", i);
        ck_assert_int_eq(num(cJSON_GetObjectItemCaseSensitive(brokers_doc, id), "external.port"),
                         node_port_base + i);
    }
    cJSON_Delete(nodes);
    cJSON_Delete(cluster_doc);
    cJSON_Delete(brokers_doc);
    cJSON_Delete(nodes_doc);
    cJSON_Delete(cm);
}

static void check_rest(const char *uid)
{
    cJSON *o = get("policy/v1", "poddisruptionbudgets", ns, "demo");
    const cJSON *rules, *r;
    char want[4][64];
    int i = 0;

    assert_owned(o, uid);
    ck_assert_int_eq(num(o, "spec.maxUnavailable"), 1);
    ck_assert_str_eq(str(o, "spec.unhealthyPodEvictionPolicy"), "AlwaysAllow");
    cJSON_Delete(o);
    o = get("v1", "serviceaccounts", ns, "demo-sidecar");
    assert_owned(o, uid);
    cJSON_Delete(o);
    o = get("rbac.authorization.k8s.io/v1", "rolebindings", ns, "demo-sidecar");
    assert_owned(o, uid);
    ck_assert_str_eq(str(o, "roleRef.name"), "demo-sidecar");
    cJSON_Delete(o);
    o = get("rbac.authorization.k8s.io/v1", "roles", ns, "demo-sidecar");
    assert_owned(o, uid);
    rules = kt_at(o, "rules");
    ck_assert_int_eq(cJSON_GetArraySize(rules), 4);
    snprintf(want[0], sizeof want[0], "configmaps demo-brokers get");
    snprintf(want[1], sizeof want[1], "secrets demo-broker-certs get");
    snprintf(want[2], sizeof want[2], "configmaps demo-drain get,update");
    snprintf(want[3], sizeof want[3], "leases demo-drain get,update");
    cJSON_ArrayForEach(r, rules)
    {
        char got[64];
        const cJSON *v = kt_at(r, "verbs");

        ck_assert_int_eq(cJSON_GetArraySize(kt_at(r, "resourceNames")), 1);
        snprintf(got, sizeof got, "%s %s %s%s%s",
                 cJSON_GetArrayItem(kt_at(r, "resources"), 0)->valuestring,
                 cJSON_GetArrayItem(kt_at(r, "resourceNames"), 0)->valuestring,
                 cJSON_GetArrayItem(v, 0)->valuestring, cJSON_GetArraySize(v) > 1 ? "," : "",
                 cJSON_GetArraySize(v) > 1 ? cJSON_GetArrayItem(v, 1)->valuestring : "");
        ck_assert_str_eq(got, want[i++]);
    }
    cJSON_Delete(o);
    o = get("v1", "configmaps", ns, "demo-drain");
    assert_owned(o, uid);
    cJSON_Delete(o);
    o = get("coordination.k8s.io/v1", "leases", ns, "demo-drain");
    assert_owned(o, uid);
    cJSON_Delete(o);
}

/* What the API server's authorizer says the sidecar's ServiceAccount may
 * do. */
static bool sidecar_may(const char *verb, const char *group, const char *resource,
                        const char *namespace, const char *name)
{
    cJSON *review, *out = NULL;
    util_err err = {{0}};
    bool allowed;

    review = kt_json("{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                     "\"SubjectAccessReview\",\"spec\":{\"user\":\"system:serviceaccount:%s:"
                     "demo-sidecar\",\"groups\":[\"system:serviceaccounts\","
                     "\"system:serviceaccounts:%s\",\"system:authenticated\"],"
                     "\"resourceAttributes\":{\"namespace\":\"%s\",\"verb\":\"%s\","
                     "\"group\":\"%s\",\"resource\":\"%s\",\"name\":\"%s\"}}}",
                     ns, ns, namespace, verb, group, resource, name);
    ck_assert_msg(kube_create(kc, "/apis/authorization.k8s.io/v1/subjectaccessreviews", review,
                              &out, NULL, &err) == 0,
                  "%s", err.msg);
    allowed = cJSON_IsTrue(kt_at(out, "status.allowed"));
    cJSON_Delete(out);
    cJSON_Delete(review);
    return allowed;
}

/* Least privilege: exactly get on its brokers ConfigMap and broker-certs
 * Secret and get/update on the named drain ConfigMap and Lease; nothing
 * else, nowhere else (not the CA's key). */
static void check_sidecar_rbac(void)
{
    ck_assert(sidecar_may("get", "", "configmaps", ns, "demo-brokers"));
    ck_assert(sidecar_may("get", "", "secrets", ns, "demo-broker-certs"));
    ck_assert(!sidecar_may("get", "", "secrets", ns, "demo-cluster-ca"));
    ck_assert(!sidecar_may("list", "", "secrets", ns, ""));
    ck_assert(!sidecar_may("update", "", "secrets", ns, "demo-broker-certs"));
    ck_assert(sidecar_may("get", "", "configmaps", ns, "demo-drain"));
    ck_assert(sidecar_may("update", "", "configmaps", ns, "demo-drain"));
    ck_assert(sidecar_may("get", "coordination.k8s.io", "leases", ns, "demo-drain"));
    ck_assert(sidecar_may("update", "coordination.k8s.io", "leases", ns, "demo-drain"));

    ck_assert(!sidecar_may("update", "", "configmaps", ns, "demo-brokers"));
    ck_assert(!sidecar_may("patch", "", "configmaps", ns, "demo-drain"));
    ck_assert(!sidecar_may("delete", "", "configmaps", ns, "demo-drain"));
    ck_assert(!sidecar_may("get", "", "configmaps", ns, "other-brokers"));
    ck_assert(!sidecar_may("list", "", "configmaps", ns, ""));
    ck_assert(!sidecar_may("create", "", "configmaps", ns, ""));
    ck_assert(!sidecar_may("create", "coordination.k8s.io", "leases", ns, ""));
    ck_assert(!sidecar_may("get", "coordination.k8s.io", "leases", ns, "berth-operator"));
    ck_assert(!sidecar_may("get", "", "pods", ns, "demo-0"));
    ck_assert(!sidecar_may("get", "", "secrets", ns, "demo-brokers"));
    ck_assert(!sidecar_may("get", "", "configmaps", "default", "demo-brokers"));
}

/* Each broker's status entry against its pod's node's ExternalIP. */
static void check_status(const cJSON *kcl)
{
    const cJSON *b, *cond;
    int i = 0;
    bool reconciled = false;
    char want[160];

    cJSON_ArrayForEach(cond, kt_at(kcl, "status.conditions"))
    {
        if (strcmp(str(cond, "type"), "Reconciled") == 0)
            reconciled = strcmp(str(cond, "status"), "True") == 0;
    }
    ck_assert_msg(reconciled, "Reconciled is not True");
    snprintf(want, sizeof want, "demo-bootstrap.%s.svc:9092", ns);
    ck_assert_str_eq(str(kcl, "status.bootstrap.internal"), want);
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(kcl, "status.bootstrap.external")), BROKERS);
    cJSON_ArrayForEach(b, kt_at(kcl, "status.brokers"))
    {
        char pod_name[32];
        cJSON *pod, *node;
        const char *ext = NULL;
        const cJSON *a;

        snprintf(pod_name, sizeof pod_name, "demo-%d", i);
        ck_assert_int_eq(num(b, "id"), i);
        ck_assert_str_eq(str(b, "pod"), pod_name);
        ck_assert(cJSON_IsTrue(kt_at(b, "controller")));
        pod = get("v1", "pods", ns, pod_name);
        ck_assert_str_eq(str(b, "node"), str(pod, "spec.nodeName"));
        ck_assert_int_eq(cJSON_IsTrue(kt_at(b, "ready")), pod_ready(pod));
        node = get("v1", "nodes", NULL, str(pod, "spec.nodeName"));
        cJSON_ArrayForEach(a, kt_at(node, "status.addresses"))
        {
            if (ext == NULL && strcmp(str(a, "type"), "ExternalIP") == 0)
                ext = str(a, "address");
        }
        ck_assert_ptr_nonnull(ext);
        snprintf(want, sizeof want, "%s:%d", ext, node_port_base + i);
        ck_assert_str_eq(str(b, "listeners.external"), want);
        snprintf(want, sizeof want, "demo-%d.demo-brokers.%s.svc.cluster.local:9092", i, ns);
        ck_assert_str_eq(str(b, "listeners.internal"), want);
        cJSON_Delete(node);
        cJSON_Delete(pod);
        i++;
    }
    ck_assert_int_eq(i, BROKERS);
}

/* The resourceVersions of the pods and the KafkaCluster, joined: what
 * would legitimately make the operator write. */
static void world_version(char *buf, size_t size)
{
    cJSON *list = NULL, *kcl;
    char path[KUBE_PATH_MAX];
    const cJSON *p;
    size_t o = 0;

    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "pods", ns, NULL, NULL), 0);
    ck_assert_int_eq(kube_list(kc, path, NULL, &list, NULL, NULL), 0);
    cJSON_ArrayForEach(p, kt_at(list, "items"))
    {
        o += (size_t)snprintf(buf + o, size - o, "%s,", str(p, "metadata.resourceVersion"));
    }
    kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    snprintf(buf + o, size - o, "%s", str(kcl, "metadata.resourceVersion"));
    cJSON_Delete(kcl);
    cJSON_Delete(list);
}

/* Events about the KafkaCluster demo with this reason, and with this type and
 * a note containing text where those are not NULL. */
static int count_events(const char *reason, const char *type, const char *text)
{
    char path[KUBE_PATH_MAX];
    cJSON *list = NULL;
    const cJSON *e;
    util_err err = {{0}};
    int n = 0;

    ck_assert_int_eq(kube_path(path, sizeof path, "events.k8s.io/v1", "events", ns, NULL, NULL), 0);
    ck_assert_msg(kube_list(kc, path, NULL, &list, NULL, &err) == 0, "%s", err.msg);
    cJSON_ArrayForEach(e, kt_at(list, "items"))
    {
        const char *r = cJSON_GetStringValue(kt_at(e, "reason"));
        const char *t = cJSON_GetStringValue(kt_at(e, "type"));
        const char *note = cJSON_GetStringValue(kt_at(e, "note"));
        const char *kind = cJSON_GetStringValue(kt_at(e, "regarding.kind"));

        if (r && strcmp(r, reason) == 0 && (!type || (t && strcmp(t, type) == 0)) &&
            (!text || (note && strstr(note, text))) && kind && strcmp(kind, "KafkaCluster") == 0)
            n++;
    }
    cJSON_Delete(list);
    return n;
}

/* manifests/examples/kafka-nodeport.yaml as "demo", on our node ports and
 * with claims our PersistentVolumes fit, and a pull secret for its images
 * (kwok pulls nothing; the name must reach the pods all the same). */
static void create_cluster(void)
{
    char path[KUBE_PATH_MAX];

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path,
           kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                   "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"flavor\":\"kafka\","
                   "\"image\":\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":3,"
                   "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                   "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                   "\"addressType\":\"ExternalIP\",\"nodePortBase\":%d}],"
                   "\"storage\":{\"size\":\"1Gi\"},"
                   "\"imagePullSecrets\":[{\"name\":\"registry-creds\"}],"
                   "\"config\":{\"log.retention.hours\":\"168\","
                   "\"default.replication.factor\":\"3\",\"min.insync.replicas\":\"2\"}}}",
                   node_port_base));
}

START_TEST(operator_reconciles_a_nodeport_cluster_and_resyncs_without_writes)
{
    cJSON *kcl, *cr;
    char uid[64], cluster_id[32], before[512], after[512], path[KUBE_PATH_MAX], *cm_before;
    long offset;
    double reconciles, observed, applies = -1;
    int writes = -1, events = -1, first_writes;
    util_err err = {{0}};

    offset = audit_size();
    create_cluster();
    operator_start(0, 0);
    kcl = wait_converged();
    snprintf(uid, sizeof uid, "%s", str(kcl, "metadata.uid"));
    snprintf(cluster_id, sizeof cluster_id, "%s", str(kcl, "status.clusterID"));
    ck_assert_uint_eq(strlen(cluster_id), 22);
    check_status(kcl);
    cJSON_Delete(kcl);
    check_statefulset(uid);
    check_services(uid);
    check_brokers_configmap(uid, cluster_id);
    check_rest(uid);
    check_sidecar_rbac();
    /* The audit log does see the operator's writes: 13 objects and status. */
    first_writes = audit_berth_writes(offset, NULL);
    ck_assert_int_ge(first_writes, 14);

    /* A no-op resync: nothing changed, so nothing is written, Events
     * included. If a pod or the cluster changed during the window (kwok
     * flips pod readiness on its own schedule), or only Events about an
     * earlier change arrived late, the window does not count and is tried
     * again. */
    for (int attempt = 0; attempt < 6 && (writes != 0 || events != 0); attempt++) {
        cJSON_Delete(wait_converged());
        world_version(before, sizeof before);
        offset = audit_size();
        applies = metric("berth_operator_api_requests_total{verb=\"apply\"}");
        reconciles = metric("berth_operator_reconcile_total{result=\"ok\"}");
        observed = reconcile_histogram_count();
        ck_assert_double_ge(reconciles, 1);
        ck_assert_double_ge(observed, reconciles);
        while (metric("berth_operator_reconcile_total{result=\"ok\"}") < reconciles + 3)
            usleep(200000);
        /* Each of those reconciles took its place in the histogram. */
        ck_assert_double_ge(reconcile_histogram_count(), observed + 3);
        world_version(after, sizeof after);
        writes = audit_berth_writes(offset, &events);
        if (strcmp(before, after) != 0 && (writes > 0 || events > 0)) {
            fprintf(stderr, "the cluster changed during the window; trying again\n");
            writes = -1;
        } else if (writes == 0 && events > 0) {
            fprintf(stderr, "%d late Events about earlier changes; trying again\n", events);
        }
    }
    ck_assert_int_eq(writes, 0);
    ck_assert_int_eq(events, 0);
    ck_assert_double_eq(metric("berth_operator_api_requests_total{verb=\"apply\"}"), applies);
    /* Events told of what happened: the objects created. */
    ck_assert_int_ge(count_events("Created", "Normal", NULL), 1);

    /* A cluster ID that contradicts the one the brokers were formatted with
     * is refused, and nothing is rewritten. */
    kcl = get("v1", "configmaps", ns, "demo-brokers");
    cm_before = strdup(str(kcl, "metadata.resourceVersion"));
    cJSON_Delete(kcl);
    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters/demo", ns);
    cr = kt_json("{\"spec\":{\"clusterID\":\"%s\"}}",
                 strcmp(cluster_id, "AAAAAAAAAAAAAAAAAAAAAA") != 0 ? "AAAAAAAAAAAAAAAAAAAAAA"
                                                                   : "BBBBBBBBBBBBBBBBBBBBBB");
    ck_assert_msg(kube_merge_patch(kc, path, cr, NULL, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(cr);
    for (double t0 = kt_now();;) {
        const cJSON *c;
        bool refused = false;

        kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
        cJSON_ArrayForEach(c, kt_at(kcl, "status.conditions"))
        {
            if (strcmp(str(c, "type"), "Reconciled") == 0 &&
                strcmp(str(c, "status"), "False") == 0 &&
                strcmp(str(c, "reason"), "ClusterIDMismatch") == 0)
                refused = true;
        }
        if (refused) {
            ck_assert_int_eq(num(kcl, "status.observedGeneration"),
                             num(kcl, "metadata.generation"));
            ck_assert_str_eq(str(kcl, "status.clusterID"), cluster_id);
            cJSON_Delete(kcl);
            break;
        }
        cJSON_Delete(kcl);
        ck_assert_msg(kt_now() - t0 < 60, "no Reconciled=False for a contradicting clusterID");
        usleep(300000);
    }
    kcl = get("v1", "configmaps", ns, "demo-brokers");
    ck_assert_str_eq(str(kcl, "metadata.resourceVersion"), cm_before);
    for (double t0 = kt_now(); count_events("ClusterIDMismatch", "Warning", NULL) < 1;) {
        ck_assert_msg(kt_now() - t0 < 30, "no Warning Event ClusterIDMismatch");
        usleep(300000);
    }
    cJSON_Delete(kcl);
    free(cm_before);

    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* The condition Reconciled of the KafkaCluster: its status and reason
 * copied into the buffers ("" when absent). */
static void reconciled_condition(char *status, size_t ssize, char *reason, size_t rsize,
                                 char *message, size_t msize)
{
    cJSON *kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    const cJSON *c;

    status[0] = reason[0] = message[0] = '\0';
    cJSON_ArrayForEach(c, kt_at(kcl, "status.conditions"))
    {
        if (strcmp(str(c, "type"), "Reconciled") == 0) {
            snprintf(status, ssize, "%s", str(c, "status"));
            snprintf(reason, rsize, "%s", str(c, "reason"));
            snprintf(message, msize, "%s", str(c, "message"));
        }
    }
    cJSON_Delete(kcl);
}

/* Polls reconciled_condition until its status is want, for at most timeout
 * seconds (then the test fails naming what was awaited: what), and leaves
 * the reason and message in the buffers. */
static void wait_reconciled(const char *want, double timeout, const char *what, char *reason,
                            size_t rsize, char *message, size_t msize)
{
    char status[16];

    for (double t0 = kt_now();;) {
        reconciled_condition(status, sizeof status, reason, rsize, message, msize);
        if (strcmp(status, want) == 0)
            return;
        ck_assert_msg(kt_now() - t0 < timeout, "no Reconciled=%s for %s: it stayed %s (%s); log %s",
                      want, what, status, reason, operator_log[0]);
        usleep(300000);
    }
}

/* A node port another Service holds makes the apply of that broker's
 * Service fail with 422: the operator reports it as a condition, applies
 * nothing after it (broker 2's Service, the StatefulSet), keeps running,
 * and recovers once the port is free. */
START_TEST(node_port_clash_is_a_condition_not_a_crash)
{
    char path[KUBE_PATH_MAX], reason[64], message[512];
    cJSON *sts;

    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
    create(path, kt_json("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
                         "\"name\":\"squatter\"},\"spec\":{\"type\":\"NodePort\","
                         "\"selector\":{\"app\":\"none\"},\"ports\":[{\"port\":80,"
                         "\"nodePort\":%d}]}}",
                         node_port_base + 1));
    create_cluster();
    operator_start(0, 0);
    wait_reconciled("False", 60, "a taken node port", reason, sizeof reason, message,
                    sizeof message);
    ck_assert_str_eq(reason, "NodePortConflict");
    ck_assert_msg(strstr(message, "demo-1-external") != NULL, "message: %s", message);
    /* What comes before it in apply order was applied; the apply stopped
     * at broker 1's Service. */
    cJSON_Delete(get("v1", "configmaps", ns, "demo-brokers"));
    cJSON_Delete(get("v1", "services", ns, "demo-0-external"));
    ck_assert_ptr_null(get_opt("v1", "services", ns, "demo-1-external"));
    ck_assert_ptr_null(get_opt("v1", "services", ns, "demo-2-external"));
    ck_assert_ptr_null(get_opt("apps/v1", "statefulsets", ns, "demo"));
    ck_assert_int_eq(kill(operator_pid[0], 0), 0);

    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/squatter", ns);
    ck_assert_int_eq(kube_delete(kc, path, NULL, NULL), 0);
    wait_reconciled("True", 120, "the port freed", reason, sizeof reason, message, sizeof message);
    sts = get("v1", "services", ns, "demo-1-external");
    ck_assert_int_eq(num(cJSON_GetArrayItem(kt_at(sts, "spec.ports"), 0), "nodePort"),
                     node_port_base + 1);
    cJSON_Delete(sts);
    cJSON_Delete(get("v1", "services", ns, "demo-2-external"));
    cJSON_Delete(get("apps/v1", "statefulsets", ns, "demo"));
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* The Degraded condition of demo and broker id's containerError reason
 * copied into the buffers ("" when absent). */
static void degraded(int id, char *status, size_t ssize, char *reason, size_t rsize, char *cerr,
                     size_t csize)
{
    cJSON *kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    const cJSON *c, *b;

    status[0] = reason[0] = cerr[0] = '\0';
    cJSON_ArrayForEach(c, kt_at(kcl, "status.conditions"))
    {
        if (strcmp(str(c, "type"), "Degraded") == 0) {
            snprintf(status, ssize, "%s", str(c, "status"));
            snprintf(reason, rsize, "%s", str(c, "reason"));
        }
    }
    cJSON_ArrayForEach(b, kt_at(kcl, "status.brokers"))
    {
        if (num(b, "id") == id && cJSON_IsString(kt_at(b, "containerError.reason")))
            snprintf(cerr, csize, "%s", str(b, "containerError.reason"));
    }
    cJSON_Delete(kcl);
}

/* Sets pod demo-<id>'s broker container status as a kubelet would: waiting
 * with reason (NULL: running and ready). kwok plays the kubelet and pulls
 * nothing, so the test writes what a failed pull looks like. */
static void set_broker_state(int id, const char *reason)
{
    char path[KUBE_PATH_MAX];
    cJSON *p;
    util_err err = {{0}};

    if (reason != NULL)
        p = kt_json("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
                    "\"containerStatuses\":[{\"name\":\"broker\",\"image\":\"apache/kafka:4.4.0\","
                    "\"imageID\":\"\",\"ready\":false,\"restartCount\":0,\"state\":{\"waiting\":"
                    "{\"reason\":\"%s\",\"message\":\"Back-off pulling image "
                    "\\\"apache/kafka:4.4.0\\\"\"}}}]}}",
                    reason);
    else
        p = kt_json("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                    "\"containerStatuses\":[{\"name\":\"broker\",\"image\":\"apache/kafka:4.4.0\","
                    "\"imageID\":\"\",\"ready\":true,\"restartCount\":0,\"started\":true,"
                    "\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:00:00Z\"}}}]}}");
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/demo-%d/status", ns, id);
    ck_assert_msg(kube_merge_patch(kc, path, p, NULL, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(p);
}

/* A broker whose image cannot be pulled shows in the KafkaCluster's status
 * (Degraded=True BrokerImagePullFailed, the broker's containerError) with
 * one Warning Event; a resync meanwhile writes nothing (the status the
 * server holds is the one berth computes, containerError included); once
 * the pod runs, Degraded is False again. */
START_TEST(broker_that_cannot_pull_its_image_shows_in_status)
{
    char status[16], reason[64], cerr[64], before[512], after[512];
    int writes = -1, events = -1;

    create_cluster();
    operator_start(0, 0);
    cJSON_Delete(wait_converged());
    set_broker_state(1, "ImagePullBackOff");
    for (double t0 = kt_now();;) {
        degraded(1, status, sizeof status, reason, sizeof reason, cerr, sizeof cerr);
        if (strcmp(reason, "BrokerImagePullFailed") == 0 && strcmp(cerr, "ImagePullBackOff") == 0)
            break;
        ck_assert_msg(kt_now() - t0 < 60, "Degraded is %s (%s), containerError \"%s\"; log %s",
                      status, reason, cerr, operator_log[0]);
        usleep(300000);
    }
    ck_assert_str_eq(status, "True");
    for (double t0 = kt_now();
         count_events("BrokerImagePullFailed", "Warning", "container broker") < 1;) {
        ck_assert_msg(kt_now() - t0 < 30, "no Warning Event BrokerImagePullFailed");
        usleep(300000);
    }

    /* Nothing changes: nothing is written (a status the server pruned or
     * changed would be written again on every resync). */
    for (int attempt = 0; attempt < 6 && (writes != 0 || events != 0); attempt++) {
        double reconciles = metric("berth_operator_reconcile_total{result=\"ok\"}");
        long offset = audit_size();

        world_version(before, sizeof before);
        while (metric("berth_operator_reconcile_total{result=\"ok\"}") < reconciles + 3)
            usleep(200000);
        world_version(after, sizeof after);
        writes = audit_berth_writes(offset, &events);
        if (strcmp(before, after) != 0 && (writes > 0 || events > 0)) {
            fprintf(stderr, "the cluster changed during the window; trying again\n");
            writes = -1;
        }
        degraded(1, status, sizeof status, reason, sizeof reason, cerr, sizeof cerr);
        if (strcmp(cerr, "ImagePullBackOff") != 0) {
            /* Something (kwok) rewrote the pod's status: put it back. */
            fprintf(stderr, "broker 1's status was rewritten; setting it again\n");
            set_broker_state(1, "ImagePullBackOff");
            writes = -1;
            usleep(2000000);
        }
    }
    ck_assert_int_eq(writes, 0);
    ck_assert_int_eq(events, 0);

    set_broker_state(1, NULL);
    for (double t0 = kt_now();;) {
        degraded(1, status, sizeof status, reason, sizeof reason, cerr, sizeof cerr);
        if (strcmp(status, "False") == 0)
            break;
        ck_assert_msg(kt_now() - t0 < 60, "Degraded stayed %s (%s) after the pod recovered", status,
                      reason);
        usleep(300000);
    }
    ck_assert_str_eq(reason, "AsExpected");
    ck_assert_str_eq(cerr, "");
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

static const char *lease_holder(char *buf, size_t size)
{
    cJSON *l = get_opt("coordination.k8s.io/v1", "leases", ns, "berth-operator");
    const cJSON *h = kt_at(l, "spec.holderIdentity");

    snprintf(buf, size, "%s", cJSON_IsString(h) ? h->valuestring : "");
    cJSON_Delete(l);
    return buf;
}

/* Two replicas with --leader-elect: exactly one reconciles; SIGTERM to it
 * releases the Lease and the other takes over and does the work. */
START_TEST(leader_election_hands_over_on_sigterm)
{
    char holder[256], path[KUBE_PATH_MAX];
    int leader = -1;

    create_cluster();
    operator_start(0, OP_LEADER_ELECT);
    operator_start(1, OP_LEADER_ELECT);
    for (double t0 = kt_now(); leader < 0;) {
        double a = metric_of(0, "berth_operator_leader"), b = metric_of(1, "berth_operator_leader");

        if (a == 1 || b == 1) {
            ck_assert_msg(!(a == 1 && b == 1), "both replicas lead");
            leader = a == 1 ? 0 : 1;
        }
        ck_assert_msg(kt_now() - t0 < 60, "no replica became leader");
        usleep(200000);
    }
    ck_assert_str_ne(lease_holder(holder, sizeof holder), "");
    cJSON_Delete(wait_converged());
    /* The standby does no work. */
    ck_assert_double_le(metric_of(1 - leader, "berth_operator_reconcile_total{result=\"ok\"}"), 0);
    ck_assert_double_ne(metric_of(1 - leader, "berth_operator_leader"), 1);

    ck_assert_int_eq(operator_stop(leader), 0);
    for (double t0 = kt_now(); metric_of(1 - leader, "berth_operator_leader") != 1;) {
        /* Released, not left to expire: the standby needs well under the
         * 15 s lease duration, but only leadership itself is asserted. */
        ck_assert_msg(kt_now() - t0 < 60, "the standby never took over");
        usleep(200000);
    }
    /* The new leader reconciles: a deleted owned object comes back. */
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps/demo-drain", ns);
    ck_assert_int_eq(kube_delete(kc, path, NULL, NULL), 0);
    for (double t0 = kt_now();;) {
        cJSON *cm = get_opt("v1", "configmaps", ns, "demo-drain");

        if (cm != NULL) {
            cJSON_Delete(cm);
            break;
        }
        ck_assert_msg(kt_now() - t0 < 60, "the new leader did not recreate demo-drain");
        usleep(200000);
    }
    /* Its reconcile counts once the reconcile that recreated it ends. */
    for (double t0 = kt_now();
         metric_of(1 - leader, "berth_operator_reconcile_total{result=\"ok\"}") < 1;) {
        ck_assert_msg(kt_now() - t0 < 30, "the new leader counts no reconcile");
        usleep(100000);
    }
    ck_assert_int_eq(operator_stop(1 - leader), 0);
    ck_assert_str_eq(lease_holder(holder, sizeof holder), "");
}
END_TEST

static void patch_cluster(const char *patch_json, int want_code)
{
    char path[KUBE_PATH_MAX];
    cJSON *p = kt_json("%s", patch_json);
    kube_status st = {0};
    util_err err = {{0}};
    int rc;

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters/demo", ns);
    rc = kube_merge_patch(kc, path, p, NULL, &st, &err);
    cJSON_Delete(p);
    if (want_code == 0)
        ck_assert_msg(rc == 0, "%s", err.msg);
    else
        ck_assert_msg(rc != 0 && st.code == want_code, "patch %s: want %d, got %d (%s)", patch_json,
                      want_code, st.code, err.msg);
}

/* The first host:port of the ground's Kafka ($BERTH_KAFKA_BOOTSTRAP). */
static const char *kafka_bootstrap(void)
{
    static char first[128];
    const char *b = getenv("BERTH_KAFKA_BOOTSTRAP");

    ck_assert_msg(b != NULL && b[0] != '\0', "BERTH_KAFKA_BOOTSTRAP is not set");
    snprintf(first, sizeof first, "%.*s", (int)strcspn(b, ","), b);
    return first;
}

/* Points the operator's scale-down check at the ground's Kafka: the
 * brokers of our KafkaCluster are kwok pods that run nothing. */
static void annotate_admin_bootstrap(void)
{
    char patch[256];

    snprintf(patch, sizeof patch,
             "{\"metadata\":{\"annotations\":{\"berth.io/admin-bootstrap\":\"%s\"}}}",
             kafka_bootstrap());
    patch_cluster(patch, 0);
}

/* Two entries of brokers that stay (topic "keep") and two that name the
 * leaving brokers 3 and 4, in the original order or the demoted set. */
#define LEDGER_OF_FIVE                                                                             \
    "{\"version\":1,\"partitions\":["                                                              \
    "{\"topic\":\"gone\",\"partition\":0,\"original\":[3,0,1],\"demoted\":[],"                     \
    "\"written\":[3,0,1],\"wrote\":[]},"                                                           \
    "{\"topic\":\"gone\",\"partition\":1,\"original\":[4,1,2],\"demoted\":[4],"                    \
    "\"written\":[1,2,4],\"wrote\":[[1,2,4]]},"                                                    \
    "{\"topic\":\"keep\",\"partition\":0,\"original\":[0,1,2],\"demoted\":[0],"                    \
    "\"written\":[1,2,0],\"wrote\":[[1,2,0]]},"                                                    \
    "{\"topic\":\"keep\",\"partition\":1,\"original\":[2,1,0],\"demoted\":[],"                     \
    "\"written\":[2,1,0],\"wrote\":[]}]}"

/* Writes the drain ledger ConfigMap's data as a sidecar would. */
static void put_ledger(const char *json)
{
    char path[KUBE_PATH_MAX];
    cJSON *p = cJSON_CreateObject();
    util_err err = {{0}};
    int rc;

    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "data"), "ledger", json);
    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "configmaps", ns, "demo-drain", NULL), 0);
    rc = kube_merge_patch(kc, path, p, NULL, NULL, &err);
    cJSON_Delete(p);
    ck_assert_msg(rc == 0, "%s", err.msg);
}

/* Scale 3 -> 5 with 3 controllers: the new brokers are broker-only, get
 * their own node ports and status entries; controllers cannot change;
 * scaling back removes the leaving brokers' Services. Run without
 * informers, so the list-and-read mode is covered too. */
START_TEST(scale_up_adds_broker_only_nodes)
{
    cJSON *kcl, *cm, *doc, *sts;
    const cJSON *b;
    int n = 0;

    create_cluster();
    operator_start(0, OP_NO_INFORMERS);
    cJSON_Delete(wait_converged());
    patch_cluster("{\"spec\":{\"replicas\":5}}", 0);
    for (double t0 = kt_now();;) {
        kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
        n = 0;
        cJSON_ArrayForEach(b, kt_at(kcl, "status.brokers"))
        {
            if (cJSON_IsString(kt_at(b, "listeners.external")))
                n++;
        }
        if (n == 5)
            break;
        cJSON_Delete(kcl);
        ck_assert_msg(kt_now() - t0 < 180, "5 brokers never got addresses; log %s",
                      operator_log[0]);
        usleep(500000);
    }
    for (int i = 0; i < 5; i++) {
        b = cJSON_GetArrayItem(kt_at(kcl, "status.brokers"), i);
        ck_assert_int_eq(cJSON_IsTrue(kt_at(b, "controller")), i < 3);
    }
    cJSON_Delete(kcl);
    sts = get("apps/v1", "statefulsets", ns, "demo");
    ck_assert_int_eq(num(sts, "spec.replicas"), 5);
    cJSON_Delete(sts);
    for (int i = 3; i < 5; i++) {
        char name[32];
        cJSON *svc;

        snprintf(name, sizeof name, "demo-%d-external", i);
        svc = get("v1", "services", ns, name);
        ck_assert_int_eq(num(cJSON_GetArrayItem(kt_at(svc, "spec.ports"), 0), "nodePort"),
                         node_port_base + i);
        cJSON_Delete(svc);
    }
    cm = get("v1", "configmaps", ns, "demo-brokers");
    doc = cJSON_Parse(key_str(cm, "data", "brokers.json"));
    ck_assert_int_eq(num(cJSON_GetObjectItem(doc, "4"), "external.port"), node_port_base + 4);
    cJSON_Delete(doc);
    doc = cJSON_Parse(key_str(cm, "data", "cluster.json"));
    ck_assert_int_eq(num(doc, "controllers"), 3);
    cJSON_Delete(doc);
    cJSON_Delete(cm);

    /* The voter set is fixed: the API server refuses the change. */
    patch_cluster("{\"spec\":{\"controllers\":5}}", 422);

    /* A drain ledger left by brokers 0..4: what names 3 or 4 must go once
     * they are removed, the rest must stay as it is. */
    put_ledger(LEDGER_OF_FIVE);

    /* Brokers 3 and 4 are no brokers of the Kafka cluster the check asks,
     * so they hold nothing and may leave. */
    annotate_admin_bootstrap();
    patch_cluster("{\"spec\":{\"replicas\":3}}", 0);
    for (double t0 = kt_now();;) {
        cJSON *s3 = get_opt("v1", "services", ns, "demo-3-external");
        cJSON *s4 = get_opt("v1", "services", ns, "demo-4-external");
        bool gone = s3 == NULL && s4 == NULL;

        cJSON_Delete(s3);
        cJSON_Delete(s4);
        if (gone)
            break;
        ck_assert_msg(kt_now() - t0 < 60, "the leaving brokers' Services stayed");
        usleep(300000);
    }
    cJSON_Delete(get("v1", "services", ns, "demo-2-external"));
    for (double t0 = kt_now();;) {
        cJSON *drain = get("v1", "configmaps", ns, "demo-drain");
        cJSON *l = cJSON_Parse(key_str(drain, "data", "ledger"));
        int left = cJSON_GetArraySize(kt_at(l, "partitions"));
        bool kept =
            left == 2 &&
            strcmp(str(cJSON_GetArrayItem(kt_at(l, "partitions"), 0), "topic"), "keep") == 0 &&
            strcmp(str(cJSON_GetArrayItem(kt_at(l, "partitions"), 1), "topic"), "keep") == 0;

        cJSON_Delete(l);
        cJSON_Delete(drain);
        if (kept)
            break;
        ck_assert_msg(left >= 2, "the ledger lost entries of brokers that stay");
        ck_assert_msg(kt_now() - t0 < 60, "ledger entries of brokers 3 and 4 stayed; log %s",
                      operator_log[0]);
        usleep(300000);
    }
    ck_assert_int_eq(count_events("LedgerCleaned", "Normal", NULL), 1);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

static void kafka_topic(const char *verb_args)
{
    char cmd[1024];

    snprintf(cmd, sizeof cmd,
             "bash '%s' tool org.apache.kafka.tools.TopicCommand --bootstrap-server %s %s "
             ">/dev/null 2>&1",
             getenv("BERTH_KAFKA_SH"), kafka_bootstrap(), verb_args);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

static long operator_peak_kib(int i);

/* Starts the operator (mode), waits until the cluster is reconciled, asks
 * for 2 brokers and waits for Reconciled=False: its reason and message.
 * *peak (NULL: not wanted) gets the operator's peak RSS just before the
 * ask. */
static void scale_down_refusal(int mode, char *reason, size_t rsize, char *message, size_t msize,
                               long *peak)
{
    operator_start(0, mode);
    wait_reconciled("True", 60, "the first reconcile", reason, rsize, message, msize);
    if (peak != NULL)
        *peak = operator_peak_kib(0);
    patch_cluster("{\"spec\":{\"replicas\":2}}", 0);
    wait_reconciled("False", 60, "the scale-down", reason, rsize, message, msize);
}

/* The operator's peak RSS (VmHWM) in KiB, or -1. */
static long operator_peak_kib(int i)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)operator_pid[i]);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* A hostile KafkaCluster: its scale-down check is pointed (by the
 * annotation an operator outside the cluster network honours) at a broker
 * of the tenant's that announces a Metadata answer of 1 GiB, again on every
 * resync. The check refuses it from its size prefix, the cluster gets
 * ScaleDownUnverified saying so, the operator's peak RSS does not grow by
 * more than 16 MiB however often it is asked (its chart's limit is
 * 128 MiB), and another cluster created meanwhile is reconciled. */
START_TEST(hostile_metadata_answer_neither_bloats_nor_stalls_the_operator)
{
    char path[KUBE_PATH_MAX], reason[64], message[1024];
    ob_broker evil;
    long peak, before;

    ob_start(&evil, 1u << 30);
    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\",\"annotations\":{"
                         "\"berth.io/admin-bootstrap\":\"%s\"}},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,"
                         "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":"
                         "\"internal\"}],\"storage\":{\"size\":\"1Gi\"}}}",
                         evil.addr));
    scale_down_refusal(0, reason, sizeof reason, message, sizeof message, &before);
    ck_assert_str_eq(reason, "ScaleDownUnverified");
    ck_assert_msg(strstr(message, "exceeds the limit") != NULL, "message: %s", message);

    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"good\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":1,\"controllers\":1,"
                         "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":"
                         "\"internal\"}],\"storage\":{\"size\":\"1Gi\"}}}"));
    for (double t0 = kt_now();;) {
        cJSON *sts = get_opt("apps/v1", "statefulsets", ns, "good");

        cJSON_Delete(sts);
        if (sts != NULL)
            break;
        ck_assert_msg(kt_now() - t0 < 60, "the other cluster was not reconciled; log %s",
                      operator_log[0]);
        usleep(300000);
    }
    sleep(5); /* more resyncs: the hostile check again, and again */
    peak = operator_peak_kib(0);
    fprintf(stderr,
            "  operator peak RSS with a 1 GiB Metadata answer announced: %ld KiB (%ld KiB before "
            "the first)\n",
            peak, before);
    ck_assert_int_gt(before, 0);
#ifndef __SANITIZE_ADDRESS__
    /* AddressSanitizer keeps freed memory in quarantine, so under it the
     * operator's RSS grows with any work and says nothing of this answer;
     * there the refusal from the size prefix (above) is the proof. */
    ck_assert_msg(peak - before < 16 * 1024, "the operator's peak RSS grew from %ld to %ld KiB",
                  before, peak);
#endif
    ck_assert_int_eq(operator_stop(0), 0);
    ob_stop(&evil);
}
END_TEST

/* The ground Kafka's cluster-default value of key into buf ("" when it
 * has none there), and whether its broker reports key read-only. */
static void ground_config(const char *key, char *buf, size_t size, bool *read_only)
{
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err = {{0}};
    const char *keys[] = {key};
    kafka_config_resource res[2] = {{KAFKA_RESOURCE_BROKER, "", keys, 1},
                                    {KAFKA_RESOURCE_BROKER, NULL, keys, 1}};
    kafka_describe_configs_request req = {res, 2, 0, 0};
    kafka_describe_configs_response *out = NULL;
    const kafka_config_entry *e;
    /* The first address of the ground is broker 0 (tests/ground/kafka.sh). */
    const char *id = "0";

    res[1].name = id;
    ck_assert_msg(kafka_dial(kafka_bootstrap(), NULL, &c, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_describe_configs_call(c, av, &req, 10000, &out, &err) == 0, "%s", err.msg);
    e = kafka_config_result_find(kafka_describe_configs_result(out, KAFKA_RESOURCE_BROKER, ""),
                                 key);
    snprintf(buf, size, "%s", e != NULL && e->value != NULL ? e->value : "");
    if (read_only != NULL) {
        const kafka_config_result *r =
            kafka_describe_configs_result(out, KAFKA_RESOURCE_BROKER, id);

        ck_assert_msg(r != NULL && r->error_code == 0, "DescribeConfigs of broker %s: %d", id,
                      r != NULL ? r->error_code : -1);
        e = kafka_config_result_find(r, key);
        ck_assert_msg(e != NULL, "broker %s does not know %s", id, key);
        *read_only = e->read_only;
    }
    kafka_describe_configs_free(out);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

/* Removes key from the ground Kafka's cluster default (shared by every
 * test): before the test, and after it whatever happened. */
static void ground_config_delete(const char *key)
{
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err = {{0}};
    kafka_config_op op = {key, KAFKA_CONFIG_DELETE, NULL};
    kafka_alter_config_resource res = {KAFKA_RESOURCE_BROKER, "", &op, 1};
    kafka_incremental_alter_configs_request req = {&res, 1, 0};
    kafka_incremental_alter_configs_response *out = NULL;

    ck_assert_msg(kafka_dial(kafka_bootstrap(), NULL, &c, &av, &err) == 0, "%s", err.msg);
    ck_assert_msg(kafka_incremental_alter_configs_call(c, av, &req, 10000, &out, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(out->results[0].error_code, 0);
    kafka_incremental_alter_configs_free(out);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

/* Whether status.config.<list> of demo names key. */
static bool status_config_lists(const char *list, const char *key)
{
    cJSON *kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    const cJSON *e;
    char path[64];
    bool found = false;

    snprintf(path, sizeof path, "status.config.%s", list);
    cJSON_ArrayForEach(e, kt_at(kcl, path))
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, key) == 0)
            found = true;
    }
    cJSON_Delete(kcl);
    return found;
}

static void config_hash(char *buf, size_t size)
{
    cJSON *sts = get("apps/v1", "statefulsets", ns, "demo");

    snprintf(buf, size, "%s",
             key_str(sts, "spec.template.metadata.annotations", "berth.io/config-hash"));
    cJSON_Delete(sts);
}

#define LIVE_KEY "log.cleaner.backoff.ms"

/* spec.config changes against the ground's real Kafka (its brokers stand
 * in for the cluster's, through the admin-bootstrap annotation): a key
 * Kafka reports dynamic is set at its cluster default and listed in
 * status.config.appliedLive, with the pod template unchanged (no roll); a
 * read-only key changes the template's config hash (one roll) and is
 * listed in awaitingRoll, and is not set live; a key applied live and
 * removed again is deleted from the cluster default. The key used live
 * (LIVE_KEY, one its default value in effect otherwise) is removed again
 * whatever happens, as the ground Kafka is shared. */
START_TEST(config_changes_apply_live_or_roll_the_brokers)
{
    char path[KUBE_PATH_MAX], reason[64], message[1024], v[64], hash0[32], hash1[32];
    bool ro = false;

    ground_config(LIVE_KEY, v, sizeof v, &ro);
    ck_assert_msg(!ro, LIVE_KEY " is read-only in this Kafka");
    ground_config("auto.create.topics.enable", v, sizeof v, &ro);
    ck_assert_msg(ro, "auto.create.topics.enable is not read-only in this Kafka");
    ground_config_delete(LIVE_KEY);

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\",\"annotations\":{"
                         "\"berth.io/admin-bootstrap\":\"%s\"}},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,"
                         "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":"
                         "\"internal\"}],\"storage\":{\"size\":\"1Gi\"}}}",
                         kafka_bootstrap()));
    operator_start(0, 0);
    wait_reconciled("True", 60, "the first reconcile", reason, sizeof reason, message,
                    sizeof message);
    config_hash(hash0, sizeof hash0);

    /* Dynamic: live, no roll. */
    patch_cluster("{\"spec\":{\"config\":{\"" LIVE_KEY "\":\"15001\"}}}", 0);
    for (double t0 = kt_now(); !status_config_lists("appliedLive", LIVE_KEY);) {
        ck_assert_msg(kt_now() - t0 < 60, "%s never listed as applied live; log %s", LIVE_KEY,
                      operator_log[0]);
        usleep(300000);
    }
    ground_config(LIVE_KEY, v, sizeof v, NULL);
    ck_assert_str_eq(v, "15001");
    config_hash(hash1, sizeof hash1);
    ck_assert_str_eq(hash1, hash0);
    ck_assert_int_ge(count_events("ConfigApplied", "Normal", LIVE_KEY), 1);

    /* Read-only: a roll, nothing set live. */
    patch_cluster("{\"spec\":{\"config\":{\"auto.create.topics.enable\":\"true\"}}}", 0);
    for (double t0 = kt_now(); !status_config_lists("awaitingRoll", "auto.create.topics.enable");) {
        ck_assert_msg(kt_now() - t0 < 60, "no roll for auto.create.topics.enable; log %s",
                      operator_log[0]);
        usleep(300000);
    }
    config_hash(hash1, sizeof hash1);
    ck_assert_str_ne(hash1, hash0);
    ck_assert_int_ge(count_events("ConfigRoll", "Normal", "auto.create.topics.enable"), 1);
    ground_config("auto.create.topics.enable", v, sizeof v, NULL);
    ck_assert_str_eq(v, "");
    ck_assert(status_config_lists("appliedLive", LIVE_KEY));

    /* Removed after being applied live: gone from the cluster default. */
    patch_cluster("{\"spec\":{\"config\":{\"" LIVE_KEY "\":null}}}", 0);
    for (double t0 = kt_now();; usleep(300000)) {
        ground_config(LIVE_KEY, v, sizeof v, NULL);
        if (v[0] == '\0' && !status_config_lists("appliedLive", LIVE_KEY))
            break;
        ck_assert_msg(kt_now() - t0 < 60, "%s still %s at the cluster default; log %s", LIVE_KEY, v,
                      operator_log[0]);
    }
    ck_assert_int_eq(operator_stop(0), 0);
    ground_config_delete(LIVE_KEY);
}
END_TEST

/* With spec.rebalance.mode Off (nothing moves), a scale-down that would
 * take replicas with the leaving broker is refused with a condition, and
 * the StatefulSet keeps its size. The check asks the ground's real Kafka,
 * where broker 2 is made to hold a replica. (Under the other modes the
 * operator would move the replicas off broker 2, every topic's, on a
 * Kafka other tests share: the moves are proven on real pods,
 * tests/e2e/test_70_scale.sh, and by the mover's own test on the ground,
 * tests/integration/test_balance_move.c.) */
START_TEST(scale_down_is_refused_while_leaving_brokers_hold_replicas)
{
    char path[KUBE_PATH_MAX], reason[64], message[1024], args[256];
    cJSON *sts;

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\",\"annotations\":{"
                         "\"berth.io/admin-bootstrap\":\"%s\"}},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,"
                         "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":"
                         "\"internal\"}],\"storage\":{\"size\":\"1Gi\"},"
                         "\"rebalance\":{\"mode\":\"Off\"}}}",
                         kafka_bootstrap()));
    snprintf(args, sizeof args, "--create --topic %s --replica-assignment 2", ns);
    kafka_topic(args);

    /* Without --admin-bootstrap-annotation the annotation is ignored: the
     * check dials broker 0's REPLICATION listener by its pod DNS name
     * (which does not resolve out here), never the address a KafkaCluster
     * names. */
    scale_down_refusal(OP_NO_ANNOTATED, reason, sizeof reason, message, sizeof message, NULL);
    ck_assert_str_eq(reason, "ScaleDownUnverified");
    ck_assert_msg(strstr(message, "demo-0.demo-brokers.") != NULL &&
                      strstr(message, kafka_bootstrap()) == NULL,
                  "message: %s", message);
    ck_assert_int_eq(operator_stop(0), 0);
    patch_cluster("{\"spec\":{\"replicas\":3}}", 0);

    scale_down_refusal(0, reason, sizeof reason, message, sizeof message, NULL);
    ck_assert_str_eq(reason, "ScaleDownBlocked");
    ck_assert_msg(strstr(message, "broker 2 holds") != NULL, "message: %s", message);
    sts = get("apps/v1", "statefulsets", ns, "demo");
    ck_assert_int_eq(num(sts, "spec.replicas"), 3);
    cJSON_Delete(sts);
    for (double t0 = kt_now(); count_events("ScaleDownBlocked", "Warning", NULL) < 1;) {
        ck_assert_msg(kt_now() - t0 < 30, "no Warning Event ScaleDownBlocked");
        usleep(300000);
    }

    /* Back to 3: nothing to refuse any more. */
    patch_cluster("{\"spec\":{\"replicas\":3}}", 0);
    wait_reconciled("True", 60, "back to 3 brokers", reason, sizeof reason, message,
                    sizeof message);
    snprintf(args, sizeof args, "--delete --topic %s", ns);
    kafka_topic(args);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* A kubeconfig (written to path) that authenticates as the sidecar's
 * ServiceAccount with a fresh token, so berth-sidecar init runs with
 * exactly the rights the operator gave it. */
static void sidecar_kubeconfig(const char *path)
{
    char url[KUBE_PATH_MAX];
    cJSON *req = kt_json("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
                         "\"TokenRequest\",\"spec\":{\"expirationSeconds\":600}}"),
          *out = NULL;
    util_err err = {{0}};
    unsigned char *b64;
    FILE *f;

    snprintf(url, sizeof url, "/api/v1/namespaces/%s/serviceaccounts/demo-sidecar/token", ns);
    ck_assert_msg(kube_create(kc, url, req, &out, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(req);
    b64 = malloc(4 * cfg->ca_pem_len / 3 + 8);
    ck_assert_ptr_nonnull(b64);
    EVP_EncodeBlock(b64, (const unsigned char *)cfg->ca_pem, (int)cfg->ca_pem_len);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: g\n  cluster:\n    server: %s\n"
            "    certificate-authority-data: %s\nusers:\n- name: s\n  user:\n    token: %s\n"
            "contexts:\n- name: c\n  context: {cluster: g, user: s, namespace: %s}\n"
            "current-context: c\n",
            cfg->server, b64, str(out, "status.token"), ns);
    fclose(f);
    free(b64);
    cJSON_Delete(out);
}

/* Runs berth-sidecar init as broker id on node and returns the
 * advertised.listeners line it rendered (a new string). */
static char *render_as(int id, const char *node, const char *kubeconfig, const char *dir)
{
    char exe[PATH_MAX], bin[PATH_MAX + 32], drain[PATH_MAX + 32], cmd[5 * PATH_MAX];
    char path[PATH_MAX + 32], line[2048], *found = NULL, *build;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    FILE *f;

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    /* <build>/tests/integration/test_operator: the programs are in <build>. */
    build = dirname(dirname(dirname(exe)));
    snprintf(bin, sizeof bin, "%s/berth-sidecar", build);
    snprintf(drain, sizeof drain, "%s/berth-drain", build);
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s/config' '%s/data' && '%s' init --kubeconfig '%s' "
             "--namespace %s --pod-name demo-%d --node-name %s --config-dir '%s/config' "
             "--data-dir '%s/data' --drain-client '%s' --wait-timeout 30 --poll-interval 500 "
             ">>'%s.log' 2>&1",
             dir, dir, dir, bin, kubeconfig, ns, id, node, dir, dir, drain, dir);
    ck_assert_msg(system(cmd) == 0, "berth-sidecar init failed; see %s.log", dir);
    snprintf(path, sizeof path, "%s/config/server.properties", dir);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no %s", path);
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "advertised.listeners=", 21) == 0) {
            line[strcspn(line, "\n")] = '\0';
            found = strdup(line);
        }
    fclose(f);
    ck_assert_msg(found != NULL, "no advertised.listeners in %s", path);
    return found;
}

static const char *external_ip(const char *node_name, char *buf, size_t size)
{
    cJSON *node = get("v1", "nodes", NULL, node_name);
    const cJSON *a;

    buf[0] = '\0';
    cJSON_ArrayForEach(a, kt_at(node, "status.addresses"))
    {
        if (buf[0] == '\0' && strcmp(str(a, "type"), "ExternalIP") == 0)
            snprintf(buf, size, "%s", str(a, "address"));
    }
    cJSON_Delete(node);
    ck_assert_msg(buf[0] != '\0', "node %s has no ExternalIP", node_name);
    return buf;
}

/* The contract with the sidecar, end to end: with the operator stopped,
 * berth-sidecar init, logged in as the sidecar's own ServiceAccount and
 * given a pod's facts as the Downward API would, renders the address of
 * the node the pod runs on, and of another node when the pod is placed
 * there instead (a rescheduled pod), with the broker's node port. */
START_TEST(sidecar_init_renders_the_node_address_with_the_operator_stopped)
{
    char path[KUBE_PATH_MAX], kcfg[PATH_MAX], dir[PATH_MAX], ip[64], want[160], other[128] = "";
    cJSON *pod, *nodes = NULL;
    const cJSON *n;
    char *adv;

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                         "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                         "\"nodePortBase\":%d}],\"storage\":{\"size\":\"1Gi\"}}}",
                         node_port_base));
    operator_start(0, 0);
    cJSON_Delete(wait_converged());
    ck_assert_int_eq(operator_stop(0), 0);

    snprintf(kcfg, sizeof kcfg, "/tmp/%s-sidecar.kubeconfig", ns);
    snprintf(dir, sizeof dir, "/tmp/%s-init", ns);
    sidecar_kubeconfig(kcfg);
    /* Broker 1 (not a voter, so an empty volume is fine) on its node. */
    pod = get("v1", "pods", ns, "demo-1");
    adv = render_as(1, str(pod, "spec.nodeName"), kcfg, dir);
    snprintf(want, sizeof want, "EXTERNAL://%s:%d",
             external_ip(str(pod, "spec.nodeName"), ip, sizeof ip), node_port_base + 1);
    ck_assert_msg(strstr(adv, want) != NULL, "%s lacks %s", adv, want);
    free(adv);
    /* The same broker placed on another node. */
    ck_assert_int_eq(kube_list(kc, "/api/v1/nodes", NULL, &nodes, NULL, NULL), 0);
    cJSON_ArrayForEach(n, kt_at(nodes, "items"))
    {
        if (other[0] == '\0' && strcmp(str(n, "metadata.name"), str(pod, "spec.nodeName")) != 0)
            snprintf(other, sizeof other, "%s", str(n, "metadata.name"));
    }
    cJSON_Delete(nodes);
    ck_assert_str_ne(other, "");
    adv = render_as(1, other, kcfg, dir);
    snprintf(want, sizeof want, "EXTERNAL://%s:%d", external_ip(other, ip, sizeof ip),
             node_port_base + 1);
    ck_assert_msg(strstr(adv, want) != NULL, "%s lacks %s", adv, want);
    free(adv);
    cJSON_Delete(pod);
    {
        char cmd[3 * PATH_MAX + 32];

        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.log' '%s'", dir, dir, kcfg);
        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

/* Waits until the KafkaCluster demo is gone (its finalizer let go). */
static void wait_cluster_gone(void)
{
    for (double t0 = kt_now();;) {
        cJSON *cr = get_opt("berth.io/v1alpha1", "kafkaclusters", ns, "demo");

        if (cr == NULL)
            return;
        cJSON_Delete(cr);
        ck_assert_msg(kt_now() - t0 < 120, "the KafkaCluster was never let go; log %s",
                      operator_log[0]);
        usleep(300000);
    }
}

/* Deleting the KafkaCluster: the operator's finalizer holds it while the
 * brokers stop (the drain ConfigMap marked so no sidecar drains, the
 * StatefulSet deleted), then lets go, and the garbage collector removes
 * every owned object through the owner references; the brokers' claims
 * stay, since storage.deleteClaim is false. The e2e test_90 shows the
 * same on real pods, where it matters. */
START_TEST(deleting_the_cluster_collects_owned_objects_and_keeps_claims)
{
    static const struct {
        const char *av, *res, *name;
    } owned[] = {
        {"apps/v1", "statefulsets", "demo"},
        {"v1", "services", "demo-brokers"},
        {"v1", "services", "demo-0-external"},
        {"v1", "configmaps", "demo-brokers"},
        {"v1", "configmaps", "demo-drain"},
        {"coordination.k8s.io/v1", "leases", "demo-drain"},
        {"policy/v1", "poddisruptionbudgets", "demo"},
        {"rbac.authorization.k8s.io/v1", "roles", "demo-sidecar"},
        {"v1", "serviceaccounts", "demo-sidecar"},
    };
    char path[KUBE_PATH_MAX];
    cJSON *pvc, *cr;
    const cJSON *fin;

    create_cluster();
    operator_start(0, 0);
    cJSON_Delete(wait_converged());
    cr = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    fin = cJSON_GetArrayItem(kt_at(cr, "metadata.finalizers"), 0);
    ck_assert_msg(cJSON_IsString(fin) && strcmp(fin->valuestring, "berth.io/teardown") == 0,
                  "the live KafkaCluster does not carry the finalizer berth.io/teardown");
    cJSON_Delete(cr);
    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters/demo", ns);
    ck_assert_int_eq(kube_delete(kc, path, NULL, NULL), 0);
    wait_cluster_gone();
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        for (double t0 = kt_now();;) {
            cJSON *o = get_opt(owned[i].av, owned[i].res, ns, owned[i].name);

            if (o == NULL)
                break;
            cJSON_Delete(o);
            ck_assert_msg(kt_now() - t0 < 120, "%s %s was not garbage-collected", owned[i].res,
                          owned[i].name);
            usleep(300000);
        }
    for (int i = 0; i < BROKERS; i++) {
        char name[32];

        snprintf(name, sizeof name, "data-demo-%d", i);
        pvc = get("v1", "persistentvolumeclaims", ns, name);
        ck_assert_ptr_null(kt_at(pvc, "metadata.deletionTimestamp"));
        cJSON_Delete(pvc);
    }
    /* The operator saw the cluster go and is still running. */
    ck_assert_int_eq(kill(operator_pid[0], 0), 0);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* The Service demo-bootstrap is exactly the one the test made: same
 * resourceVersion, its own selector and port, no owner, no berth label. */
static void assert_squatter_untouched(const char *rv)
{
    cJSON *svc = get("v1", "services", ns, "demo-bootstrap");
    const cJSON *port = cJSON_GetArrayItem(kt_at(svc, "spec.ports"), 0);

    ck_assert_str_eq(str(svc, "metadata.resourceVersion"), rv);
    ck_assert_ptr_null(kt_at(svc, "metadata.ownerReferences"));
    ck_assert_ptr_null(kt_at(svc, "metadata.deletionTimestamp"));
    ck_assert_ptr_null(
        cJSON_GetObjectItem(kt_at(svc, "metadata.labels"), "app.kubernetes.io/managed-by"));
    ck_assert_str_eq(key_str(svc, "spec.selector", "app"), "someone-else");
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(svc, "spec.ports")), 1);
    ck_assert_int_eq(num(port, "port"), 8080);
    ck_assert_str_eq(str(port, "name"), "web");
    cJSON_Delete(svc);
}

/* A Service named like one berth would make (demo-bootstrap) but made by
 * someone else, with no owner reference: berth does not take it over. The
 * KafkaCluster shows Reconciled=False NameConflict naming the Service, with
 * a Warning Event; nothing at all is applied for the cluster, resyncs
 * included; and deleting the KafkaCluster leaves the Service in place (the
 * garbage collector has no owner reference to follow to it). */
START_TEST(unowned_object_of_the_same_name_is_not_taken_over)
{
    char path[KUBE_PATH_MAX], status[16], reason[64], message[512], rv[64];
    double reconciles;
    cJSON *svc;

    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
    create(path, kt_json("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
                         "\"name\":\"demo-bootstrap\",\"labels\":{\"app\":\"someone-else\"}},"
                         "\"spec\":{\"selector\":{\"app\":\"someone-else\"},"
                         "\"ports\":[{\"name\":\"web\",\"port\":8080,\"targetPort\":8080}]}}"));
    svc = get("v1", "services", ns, "demo-bootstrap");
    snprintf(rv, sizeof rv, "%s", str(svc, "metadata.resourceVersion"));
    cJSON_Delete(svc);

    create_cluster();
    operator_start(0, 0);
    wait_reconciled("False", 60, "an unowned demo-bootstrap", reason, sizeof reason, message,
                    sizeof message);
    ck_assert_str_eq(reason, "NameConflict");
    ck_assert_msg(strstr(message, "Service demo-bootstrap") != NULL &&
                      strstr(message, "not owned by this KafkaCluster") != NULL,
                  "message: %s", message);
    /* A few resyncs later the refusal stands and still nothing was written. */
    reconciles = metric("berth_operator_reconcile_total{result=\"ok\"}");
    for (double t0 = kt_now();
         metric("berth_operator_reconcile_total{result=\"ok\"}") < reconciles + 3;) {
        ck_assert_msg(kt_now() - t0 < 60, "no resyncs; log %s", operator_log[0]);
        usleep(200000);
    }
    reconciled_condition(status, sizeof status, reason, sizeof reason, message, sizeof message);
    ck_assert_str_eq(status, "False");
    ck_assert_str_eq(reason, "NameConflict");
    assert_squatter_untouched(rv);
    ck_assert_ptr_null(get_opt("apps/v1", "statefulsets", ns, "demo"));
    ck_assert_ptr_null(get_opt("v1", "configmaps", ns, "demo-brokers"));
    ck_assert_ptr_null(get_opt("v1", "secrets", ns, "demo-cluster-ca"));
    ck_assert_ptr_null(get_opt("v1", "serviceaccounts", ns, "demo-sidecar"));
    for (double t0 = kt_now(); count_events("NameConflict", "Warning", NULL) < 1;) {
        ck_assert_msg(kt_now() - t0 < 30, "no Warning Event NameConflict");
        usleep(300000);
    }

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters/demo", ns);
    ck_assert_int_eq(kube_delete(kc, path, NULL, NULL), 0);
    wait_cluster_gone();
    /* Time for the garbage collector to act, were the Service its to take. */
    sleep(5);
    assert_squatter_untouched(rv);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* Sets the ingress of a per-broker LoadBalancer Service, as a cloud's load
 * balancer controller would (the ground has none). */
static void set_ingress(int id, const char *ip)
{
    char path[KUBE_PATH_MAX];
    cJSON *p = kt_json("{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"%s\"}]}}}", ip);
    util_err err = {{0}};

    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/demo-%d-external/status", ns, id);
    ck_assert_msg(kube_merge_patch(kc, path, p, NULL, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(p);
}

/* The pod of broker id once it carries the advertised-address annotation
 * want; returns its uid in buf. */
static void wait_pod_pinned(int id, const char *want, char *uid, size_t size)
{
    char name[32];

    snprintf(name, sizeof name, "demo-%d", id);
    for (double t0 = kt_now();;) {
        cJSON *pod = get_opt("v1", "pods", ns, name);
        const cJSON *a =
            cJSON_GetObjectItem(kt_at(pod, "metadata.annotations"), "berth.io/advertised");
        bool ok = cJSON_IsString(a) && strcmp(a->valuestring, want) == 0 &&
                  kt_at(pod, "metadata.deletionTimestamp") == NULL;

        if (ok)
            snprintf(uid, size, "%s", str(pod, "metadata.uid"));
        cJSON_Delete(pod);
        if (ok)
            return;
        ck_assert_msg(kt_now() - t0 < 180, "pod %s never advertised %s; log %s", name, want,
                      operator_log[0]);
        usleep(300000);
    }
}

/* A load balancer's ingress that changes under a running broker: the data
 * and status follow, and that one broker, and no other, is restarted
 * through the Eviction API so its init renders the new address. */
START_TEST(changed_ingress_restarts_that_broker_only)
{
    char path[KUBE_PATH_MAX], uid[3][64], uid1[64], want[64];
    cJSON *kcl;

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":3,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                         "{\"name\":\"external\",\"port\":9094,\"type\":\"loadbalancer\"}],"
                         "\"storage\":{\"size\":\"1Gi\"}}}"));
    operator_start(0, 0);
    for (int i = 0; i < BROKERS; i++) {
        char name[32];

        snprintf(name, sizeof name, "demo-%d-external", i);
        for (double t0 = kt_now();;) {
            cJSON *svc = get_opt("v1", "services", ns, name);

            if (svc != NULL) {
                ck_assert_str_eq(str(svc, "spec.type"), "LoadBalancer");
                cJSON_Delete(svc);
                break;
            }
            ck_assert_msg(kt_now() - t0 < 60, "no Service %s", name);
            usleep(200000);
        }
        snprintf(want, sizeof want, "198.51.100.%d", 10 + i);
        set_ingress(i, want);
    }
    for (int i = 0; i < BROKERS; i++) {
        snprintf(want, sizeof want, "external=198.51.100.%d:9094;", 10 + i);
        wait_pod_pinned(i, want, uid[i], sizeof uid[i]);
    }

    set_ingress(1, "198.51.100.99");
    wait_pod_pinned(1, "external=198.51.100.99:9094;", uid1, sizeof uid1);
    ck_assert_str_ne(uid1, uid[1]);
    for (int i = 0; i < BROKERS; i += 2) {
        char name[32];
        cJSON *pod;

        snprintf(name, sizeof name, "demo-%d", i);
        pod = get("v1", "pods", ns, name);
        ck_assert_str_eq(str(pod, "metadata.uid"), uid[i]);
        cJSON_Delete(pod);
    }
    kcl = wait_converged();
    ck_assert_str_eq(str(cJSON_GetArrayItem(kt_at(kcl, "status.brokers"), 1), "listeners.external"),
                     "198.51.100.99:9094");
    cJSON_Delete(kcl);
    kcl = get("v1", "configmaps", ns, "demo-brokers");
    ck_assert_ptr_nonnull(strstr(key_str(kcl, "data", "brokers.json"), "198.51.100.99"));
    cJSON_Delete(kcl);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* ---- a slow client on the health port ---- */

/* The HTTP status of GET path on 127.0.0.1:port (0: no answer in 10 s). */
static long http_status(int port, const char *path)
{
    char url[128];
    CURL *h = curl_easy_init();
    FILE *sink = fopen("/dev/null", "w");
    long code = 0;

    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    fclose(sink);
    return code;
}

/* 200 connections to the operator's health port that send half a request
 * and stall starve neither /readyz there nor the operator's work: a
 * KafkaCluster created meanwhile is reconciled. The time /readyz took is
 * printed; the bound checked is the idle timeout, which a starved server
 * would wait out. */
START_TEST(slow_connections_on_the_health_port_starve_nothing)
{
    enum { SLOW = 200 };
    static const char half[] = "GET /readyz HTTP/1.1\r\nHost: x\r\n"; /* no blank line */
    char path[KUBE_PATH_MAX];
    int fds[SLOW];
    long code;
    double t0, readyz_ms;

    operator_start(0, OP_HEALTH);
    for (t0 = kt_now(); health_port[0] == 0; usleep(100000))
        ck_assert_msg(kt_now() - t0 < 10, "no health port in %s", operator_log[0]);
    for (int i = 0; i < SLOW; i++) {
        fds[i] = lo_connect(health_port[0]);
        ck_assert_int_gt(send(fds[i], half, strlen(half), MSG_NOSIGNAL), 0);
    }
    usleep(200000); /* the server has read what they sent */
    t0 = kt_now();
    code = http_status(health_port[0], "/readyz");
    readyz_ms = (kt_now() - t0) * 1000;
    fprintf(stderr, "  with %d stalled connections: /readyz answered %ld in %.0f ms\n", SLOW, code,
            readyz_ms);
    ck_assert_msg(code == 200 || code == 503, "/readyz answered %ld", code);
    ck_assert_msg(readyz_ms < HTTP_PROBE_IDLE_TIMEOUT_S * 1000.0,
                  "/readyz waited %.0f ms, as long as the stalled connections' timeout", readyz_ms);
    ck_assert_int_eq(http_status(health_port[0], "/healthz"), 200);

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":1,\"controllers\":1,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"}],"
                         "\"storage\":{\"size\":\"1Gi\"}}}"));
    for (t0 = kt_now();;) {
        cJSON *sts = get_opt("apps/v1", "statefulsets", ns, "demo");

        cJSON_Delete(sts);
        if (sts != NULL)
            break;
        ck_assert_msg(kt_now() - t0 < 60, "no StatefulSet while the health port is stalled; log %s",
                      operator_log[0]);
        usleep(300000);
    }
    for (int i = 0; i < SLOW; i++)
        close(fds[i]);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* ---- the cluster CA follows the addresses ---- */

/* data[key] of the Secret demo-broker-certs, as stored (base64), or NULL. */
static char *cert_b64(const char *key)
{
    cJSON *sec = get_opt("v1", "secrets", ns, "demo-broker-certs");
    const char *v = sec != NULL ? key_str(sec, "data", key) : NULL;
    char *out = v != NULL ? strdup(v) : NULL;

    cJSON_Delete(sec);
    return out;
}

/* Whether the certificate data[key] names ip. */
static bool cert_names_ip(const char *key, const char *ip)
{
    char *b = cert_b64(key), *pem = NULL;
    size_t len = 0;
    pki_cert_info info;
    bool found = false;

    if (b != NULL && util_base64_decode(b, strlen(b), &pem, &len) == 0 &&
        pki_inspect(pem, len, &info, NULL) == 0) {
        for (size_t i = 0; i < info.nips; i++)
            found = found || strcmp(info.ips[i], ip) == 0;
        pki_cert_info_clear(&info);
    }
    free(pem);
    free(b);
    return found;
}

static void wait_cert_names(const char *key, const char *ip, bool want)
{
    for (double t0 = kt_now();;) {
        if (cert_names_ip(key, ip) == want)
            return;
        ck_assert_msg(kt_now() - t0 < 60, "%s %s %s after 60 s; log %s", key,
                      want ? "does not name" : "still names", ip, operator_log[0]);
        usleep(300000);
    }
}

/* A load balancer listener served with the cluster CA's certificates
 * (tls without secretName): each broker's certificate names its load
 * balancer's address once there is one; when broker 1's address changes,
 * its certificate is re-issued for the new one, and broker 0's stays the
 * same bytes. The CA's public half is in a Secret of its own (what the
 * sidecar may read is checked by check_sidecar_rbac). */
START_TEST(certificates_follow_the_advertised_addresses)
{
    char path[KUBE_PATH_MAX], *before, *after;
    cJSON *o;

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":2,\"controllers\":1,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                         "{\"name\":\"external\",\"port\":9094,\"type\":\"loadbalancer\","
                         "\"tls\":{}}],\"storage\":{\"size\":\"1Gi\"}}}"));
    operator_start(0, 0);
    for (int i = 0; i < 2; i++) {
        char name[32], ip[32], key[32];

        snprintf(name, sizeof name, "demo-%d-external", i);
        for (double t0 = kt_now();;) {
            cJSON *svc = get_opt("v1", "services", ns, name);

            cJSON_Delete(svc);
            if (svc != NULL)
                break;
            ck_assert_msg(kt_now() - t0 < 60, "no Service %s", name);
            usleep(200000);
        }
        snprintf(ip, sizeof ip, "198.51.100.%d", 20 + i);
        set_ingress(i, ip);
        snprintf(key, sizeof key, "demo-%d.crt", i);
        wait_cert_names(key, ip, true);
    }
    before = cert_b64("demo-0.crt");
    set_ingress(1, "198.51.100.99");
    wait_cert_names("demo-1.crt", "198.51.100.99", true);
    ck_assert(!cert_names_ip("demo-1.crt", "198.51.100.21"));
    after = cert_b64("demo-0.crt");
    ck_assert_str_eq(after, before);
    free(before);
    free(after);

    o = get("v1", "secrets", ns, "demo-cluster-ca-cert");
    ck_assert_ptr_nonnull(key_str(o, "data", "ca.crt"));
    ck_assert_int_eq(cJSON_GetArraySize(kt_at(o, "data")), 1); /* no ca.key */
    cJSON_Delete(o);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* ---- a broker rescheduled onto another node ---- */

/* Marks a node cordoned by this run, so a failed test's node is found and
 * uncordoned by uncordon_ours(), from teardown or from sweep(). */
#define CORDON_ANNOTATION "berth.io/test-cordoned"

static void cordon(kube_client *c, const char *node, bool on)
{
    char path[KUBE_PATH_MAX];
    cJSON *p = on ? kt_json("{\"metadata\":{\"annotations\":{\"" CORDON_ANNOTATION "\":\"%s\"}},"
                            "\"spec\":{\"unschedulable\":true}}",
                            run_label)
                  : kt_json("{\"metadata\":{\"annotations\":{\"" CORDON_ANNOTATION "\":null}},"
                            "\"spec\":{\"unschedulable\":null}}");
    util_err err = {{0}};

    snprintf(path, sizeof path, "/api/v1/nodes/%s", node);
    if (kube_merge_patch(c, path, p, NULL, NULL, &err) != 0) {
        cJSON_Delete(p);
        ck_abort_msg("%scordoning %s: %s", on ? "" : "un", node, err.msg);
    }
    cJSON_Delete(p);
}

/* Uncordons every node this run cordoned. The ground is shared: a node
 * left unschedulable would change where other tests' pods go. */
static void uncordon_ours(kube_client *c)
{
    cJSON *nodes = NULL;
    const cJSON *n;

    if (c == NULL || kube_list(c, "/api/v1/nodes", NULL, &nodes, NULL, NULL) != 0)
        return;
    cJSON_ArrayForEach(n, kt_at(nodes, "items"))
    {
        const cJSON *a =
            cJSON_GetObjectItemCaseSensitive(kt_at(n, "metadata.annotations"), CORDON_ANNOTATION);
        char path[KUBE_PATH_MAX];
        cJSON *p;

        if (!cJSON_IsString(a) || strcmp(a->valuestring, run_label) != 0)
            continue;
        p = kt_json("{\"metadata\":{\"annotations\":{\"" CORDON_ANNOTATION "\":null}},"
                    "\"spec\":{\"unschedulable\":null}}");
        snprintf(path, sizeof path, "/api/v1/nodes/%s", str(n, "metadata.name"));
        if (kube_merge_patch(c, path, p, NULL, NULL, NULL) == 0)
            fprintf(stderr, "uncordoned %s\n", str(n, "metadata.name"));
        cJSON_Delete(p);
    }
    cJSON_Delete(nodes);
}

/* The second acceptance case of the operator: cordon the node of broker 1
 * and delete its pod. The replacement lands on another node; the status
 * and an Event (BrokerAddress) show that node's address with the broker's
 * node port; and berth-sidecar init, given the replacement pod's facts as
 * the Downward API would (its node name, and its UID as $POD_UID), renders
 * that node's address while the operator is stopped. Broker 1 is not a
 * voter (controllers 1), so init accepts its empty volume. The pod
 * anti-affinity berth sets is preferred, not required, so 3 brokers on the
 * 3 kwok nodes still leave the replacement a place: the two uncordoned
 * nodes. The node is uncordoned at the end, and by teardown or sweep()
 * when the test fails before. */
START_TEST(rescheduled_broker_advertises_its_new_node)
{
    char path[KUBE_PATH_MAX], kcfg[PATH_MAX], dir[PATH_MAX], ip[64], old_ip[64], want[160];
    char old_node[128], new_node[128], old_uid[64], new_uid[64], cmd[3 * PATH_MAX + 32];
    cJSON *pod, *kcl;
    char *adv;

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                         "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                         "\"addressType\":\"ExternalIP\",\"nodePortBase\":%d}],"
                         "\"storage\":{\"size\":\"1Gi\"}}}",
                         node_port_base));
    operator_start(0, 0);
    kcl = wait_converged();
    pod = get("v1", "pods", ns, "demo-1");
    snprintf(old_node, sizeof old_node, "%s", str(pod, "spec.nodeName"));
    snprintf(old_uid, sizeof old_uid, "%s", str(pod, "metadata.uid"));
    cJSON_Delete(pod);
    external_ip(old_node, old_ip, sizeof old_ip);
    snprintf(want, sizeof want, "%s:%d", old_ip, node_port_base + 1);
    ck_assert_str_eq(str(cJSON_GetArrayItem(kt_at(kcl, "status.brokers"), 1), "listeners.external"),
                     want);
    cJSON_Delete(kcl);

    cordon(kc, old_node, true);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/demo-1", ns);
    ck_assert_int_eq(kube_delete(kc, path, NULL, NULL), 0);
    /* The replacement: a new UID, scheduled, not on the cordoned node. */
    for (double t0 = kt_now();;) {
        cJSON *p = get_opt("v1", "pods", ns, "demo-1");
        const cJSON *nn = kt_at(p, "spec.nodeName");
        bool placed = p != NULL && strcmp(str(p, "metadata.uid"), old_uid) != 0 &&
                      cJSON_IsString(nn) && nn->valuestring[0] != '\0';

        if (placed) {
            snprintf(new_node, sizeof new_node, "%s", nn->valuestring);
            snprintf(new_uid, sizeof new_uid, "%s", str(p, "metadata.uid"));
        }
        cJSON_Delete(p);
        if (placed)
            break;
        ck_assert_msg(kt_now() - t0 < 120, "no replacement of demo-1 was scheduled");
        usleep(300000);
    }
    ck_assert_str_ne(new_node, old_node);
    external_ip(new_node, ip, sizeof ip);
    ck_assert_str_ne(ip, old_ip);

    /* Status: broker 1 on the new node at its address and node port. */
    snprintf(want, sizeof want, "%s:%d", ip, node_port_base + 1);
    for (double t0 = kt_now();;) {
        const cJSON *b;
        bool ok;

        kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
        b = cJSON_GetArrayItem(kt_at(kcl, "status.brokers"), 1);
        ok = cJSON_IsString(kt_at(b, "node")) && strcmp(str(b, "node"), new_node) == 0 &&
             cJSON_IsString(kt_at(b, "listeners.external")) &&
             strcmp(str(b, "listeners.external"), want) == 0;
        cJSON_Delete(kcl);
        if (ok)
            break;
        ck_assert_msg(kt_now() - t0 < 120, "status never showed broker 1 at %s on %s; log %s", want,
                      new_node, operator_log[0]);
        usleep(300000);
    }
    /* An Event names the new node and address. */
    {
        char note[512];

        snprintf(note, sizeof note, "broker 1 (pod demo-1) on node %s: external=%s", new_node,
                 want);
        for (double t0 = kt_now(); count_events("BrokerAddress", NULL, note) < 1;) {
            ck_assert_msg(kt_now() - t0 < 120, "no BrokerAddress Event says \"%s\"; log %s", note,
                          operator_log[0]);
            usleep(500000);
        }
    }
    ck_assert_int_eq(operator_stop(0), 0);

    /* With the operator stopped: the replacement pod's init, as the
     * sidecar's ServiceAccount, with the Downward API's facts. */
    snprintf(kcfg, sizeof kcfg, "/tmp/%s-sidecar.kubeconfig", ns);
    snprintf(dir, sizeof dir, "/tmp/%s-moved", ns);
    sidecar_kubeconfig(kcfg);
    ck_assert_int_eq(setenv("POD_UID", new_uid, 1), 0);
    adv = render_as(1, new_node, kcfg, dir);
    unsetenv("POD_UID");
    snprintf(want, sizeof want, "EXTERNAL://%s:%d", ip, node_port_base + 1);
    ck_assert_msg(strstr(adv, want) != NULL, "%s lacks %s", adv, want);
    snprintf(want, sizeof want, "%s:", old_ip);
    ck_assert_msg(strstr(adv, want) == NULL, "%s still names the old node's %s", adv, old_ip);
    free(adv);
    /* init logged the UID it was given: the facts reached it. */
    snprintf(cmd, sizeof cmd, "grep -q 'uid %s' '%s.log'", new_uid, dir);
    ck_assert_msg(system(cmd) == 0, "init did not log pod uid %s; see %s.log", new_uid, dir);

    cordon(kc, old_node, false);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.log' '%s'", dir, dir, kcfg);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- a node without the listener's address type; a broker stopping ---- */

/* The node of the reporting test: <ns>-node. */
static void own_node_name(char *buf, size_t size)
{
    snprintf(buf, size, "%s-node", ns);
}

/* The current time as the API writes it (RFC 3339, UTC). */
static void rfc3339_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A Node of our own that no kwok manages, so no kubelet acts on its pods:
 * a pod deleted there stays Terminating with the status last written,
 * which is a pod whose containers still run its preStop hook. It has an
 * InternalIP and no ExternalIP, says it is Ready, and is tainted so that
 * no pod but ours lands there; labelled with the run's label for sweep(). */
static void create_own_node(void)
{
    char name[96], now[32];

    own_node_name(name, sizeof name);
    rfc3339_now(now, sizeof now);
    create(
        "/api/v1/nodes",
        kt_json("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
                "\"labels\":{\"berth.io/test\":\"%s\",\"kubernetes.io/hostname\":\"%s\"}},"
                "\"spec\":{\"taints\":[{\"key\":\"berth.io/test\",\"value\":\"%s\","
                "\"effect\":\"NoSchedule\"}]},"
                "\"status\":{\"capacity\":{\"cpu\":\"32\",\"memory\":\"256Gi\",\"pods\":\"110\"},"
                "\"allocatable\":{\"cpu\":\"32\",\"memory\":\"256Gi\",\"pods\":\"110\"},"
                "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":"
                "\"KubeletReady\",\"message\":\"written by the test\","
                "\"lastHeartbeatTime\":\"%s\",\"lastTransitionTime\":\"%s\"}],"
                "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.10.99\"},"
                "{\"type\":\"Hostname\",\"address\":\"%s\"}]}}",
                name, run_label, name, run_label, now, now, name));
}

/* Deletes our node, if there is one (teardown's and the test's). */
static void delete_own_node(kube_client *c)
{
    char path[KUBE_PATH_MAX], name[96];

    own_node_name(name, sizeof name);
    snprintf(path, sizeof path, "/api/v1/nodes/%s", name);
    if (kube_delete(c, path, NULL, NULL) != 0) {
        /* Best effort: a test that made no node gets a 404. */
    }
}

/* Broker 0's status entry, copied (the caller frees it); NULL if none. */
static cJSON *broker0_status(void)
{
    cJSON *kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    cJSON *b = cJSON_Duplicate(cJSON_GetArrayItem(kt_at(kcl, "status.brokers"), 0), 1);

    cJSON_Delete(kcl);
    return b;
}

/* The condition type of demo: status, reason and message into the
 * buffers ("" when absent). */
static void condition_of(const char *type, char *status, size_t ssize, char *reason, size_t rsize,
                         char *message, size_t msize)
{
    cJSON *kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    const cJSON *c;

    status[0] = reason[0] = message[0] = '\0';
    cJSON_ArrayForEach(c, kt_at(kcl, "status.conditions"))
    {
        if (strcmp(str(c, "type"), type) == 0) {
            snprintf(status, ssize, "%s", str(c, "status"));
            snprintf(reason, rsize, "%s", str(c, "reason"));
            snprintf(message, msize, "%s", str(c, "message"));
        }
    }
    cJSON_Delete(kcl);
}

/* Waits for an Event about demo with reason and type whose note contains
 * text. */
static void wait_event(const char *reason, const char *type, const char *text)
{
    for (double t0 = kt_now(); count_events(reason, type, text) < 1;) {
        ck_assert_msg(kt_now() - t0 < 30, "no %s Event %s saying \"%s\"; log %s", type, reason,
                      text, operator_log[0]);
        usleep(300000);
    }
}

/* Waits until the condition Draining has status and reason; returns its
 * message in msg. */
static void wait_draining(const char *status, const char *reason, char *msg, size_t size)
{
    char st[16], why[64];

    for (double t0 = kt_now();;) {
        condition_of("Draining", st, sizeof st, why, sizeof why, msg, size);
        if (strcmp(st, status) == 0 && strcmp(why, reason) == 0)
            return;
        ck_assert_msg(kt_now() - t0 < 60, "Draining stayed %s (%s), not %s (%s); log %s", st, why,
                      status, reason, operator_log[0]);
        usleep(300000);
    }
}

/* Two reports of the status, on the real API server. A broker on a node
 * without the ExternalIP its listener asks for advertises the node's
 * InternalIP, and says so: status.brokers[0].addressFallback {"external":
 * "InternalIP"} and a Warning Event AddressFallback. A broker pod deleted
 * while its containers run (its preStop hook drains it) makes Draining
 * True (BrokerDraining, naming the broker) with an Event; once the pod is
 * gone, Draining is False (NotDraining) again, with an Event. Last, the
 * node gains an ExternalIP: the fallback entry goes and the broker is
 * advertised there. The broker runs on a node of our own
 * (create_own_node), where a deleted pod stays until removed. */
START_TEST(address_fallback_and_draining_are_reported)
{
    char node[96], path[KUBE_PATH_MAX], want[256], msg[512], uid[64], now[32];
    kube_delete_opts at_once = {0};
    util_err err = {{0}};
    cJSON *b, *p;

    own_node_name(node, sizeof node);
    create_own_node();
    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":1,\"controllers\":1,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                         "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                         "\"addressType\":\"ExternalIP\",\"nodePortBase\":%d}],"
                         "\"storage\":{\"size\":\"1Gi\"},"
                         "\"nodeSelector\":{\"kubernetes.io/hostname\":\"%s\"},"
                         "\"tolerations\":[{\"operator\":\"Exists\"}]}}",
                         node_port_base, node));
    operator_start(0, 0);

    /* The fallback: status entry, then the Warning Event. */
    snprintf(want, sizeof want, "127.0.10.99:%d", node_port_base);
    for (double t0 = kt_now();;) {
        bool ok;

        b = broker0_status();
        ok = cJSON_IsString(kt_at(b, "node")) && strcmp(str(b, "node"), node) == 0 &&
             cJSON_IsString(kt_at(b, "listeners.external")) &&
             strcmp(str(b, "listeners.external"), want) == 0 &&
             cJSON_IsString(kt_at(b, "addressFallback.external"));
        if (ok) {
            ck_assert_str_eq(str(b, "addressFallback.external"), "InternalIP");
            ck_assert_int_eq(cJSON_GetArraySize(kt_at(b, "addressFallback")), 1);
        }
        cJSON_Delete(b);
        if (ok)
            break;
        ck_assert_msg(kt_now() - t0 < 90, "broker 0 never showed its address fallback; log %s",
                      operator_log[0]);
        usleep(300000);
    }
    snprintf(msg, sizeof msg,
             "broker 0 (pod demo-0) on node %s: listener external: the node has no ExternalIP "
             "address, advertising its InternalIP",
             node);
    wait_event("AddressFallback", "Warning", msg);

    /* The broker runs, as a kubelet would say; then its pod is deleted.
     * No kubelet stops it: it stays Terminating, as while its preStop hook
     * drains. */
    rfc3339_now(now, sizeof now);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/demo-0/status", ns);
    p = kt_json("{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","
                "\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"broker\","
                "\"image\":\"apache/kafka:4.4.0\",\"imageID\":\"\",\"ready\":true,"
                "\"restartCount\":0,\"started\":true,\"state\":{\"running\":{\"startedAt\":"
                "\"%s\"}}}]}}",
                now);
    ck_assert_msg(kube_merge_patch(kc, path, p, NULL, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(p);
    p = get("v1", "pods", ns, "demo-0");
    snprintf(uid, sizeof uid, "%s", str(p, "metadata.uid"));
    cJSON_Delete(p);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/demo-0", ns);
    ck_assert_msg(kube_delete(kc, path, NULL, &err) == 0, "%s", err.msg);
    wait_draining("True", "BrokerDraining", msg, sizeof msg);
    ck_assert_msg(strstr(msg, "broker 0 (pod demo-0) is stopping") != NULL, "Draining says: %s",
                  msg);
    p = get("v1", "pods", ns, "demo-0");
    ck_assert_str_eq(str(p, "metadata.uid"), uid);
    ck_assert_ptr_nonnull(kt_at(p, "metadata.deletionTimestamp"));
    cJSON_Delete(p);
    wait_event("BrokerDraining", "Normal", "Draining: broker 0 (pod demo-0) is stopping");

    /* Its containers end: the pod goes (as the kubelet would remove it),
     * the StatefulSet makes a new one, and nothing is stopping. */
    at_once.grace_period_set = true;
    at_once.grace_period_s = 0;
    at_once.uid = uid;
    ck_assert_msg(kube_delete_with(kc, path, &at_once, NULL, NULL, &err) == 0, "%s", err.msg);
    wait_draining("False", "NotDraining", msg, sizeof msg);
    wait_event("NotDraining", "Normal", "Draining: no broker is stopping");

    /* The node gains an ExternalIP: the fallback is over. (The broker,
     * started with the InternalIP, is restarted for its new address:
     * readdress.c; its pod stays Terminating here, which is no matter.) */
    snprintf(path, sizeof path, "/api/v1/nodes/%s/status", node);
    p = kt_json("{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.10.99\"},"
                "{\"type\":\"ExternalIP\",\"address\":\"203.0.113.99\"},"
                "{\"type\":\"Hostname\",\"address\":\"%s\"}]}}",
                node);
    ck_assert_msg(kube_merge_patch(kc, path, p, NULL, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(p);
    snprintf(want, sizeof want, "203.0.113.99:%d", node_port_base);
    for (double t0 = kt_now();;) {
        bool ok;

        b = broker0_status();
        ok = cJSON_IsString(kt_at(b, "listeners.external")) &&
             strcmp(str(b, "listeners.external"), want) == 0 && kt_at(b, "addressFallback") == NULL;
        cJSON_Delete(b);
        if (ok)
            break;
        ck_assert_msg(kt_now() - t0 < 60, "broker 0's fallback did not end at %s; log %s", want,
                      operator_log[0]);
        usleep(300000);
    }

    ck_assert_int_eq(operator_stop(0), 0);
    delete_own_node(kc);
}
END_TEST

/* ---- a namespace whose name begins with a digit ---- */

/* A namespace name is an RFC 1123 label, which may begin with a digit
 * (RFC 1035's may not): a KafkaCluster in the namespace 1team-<random> is
 * accepted and reconciled, its StatefulSet made and its status written
 * (Reconciled=True for its generation). Its fixture names the namespace
 * (setup_digit_namespace). */
START_TEST(cluster_in_a_namespace_beginning_with_a_digit_is_reconciled)
{
    char path[KUBE_PATH_MAX], want[128], status[16], reason[64], message[512];
    cJSON *kcl, *sts;

    ck_assert_msg(ns[0] >= '0' && ns[0] <= '9', "namespace %s", ns);
    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"demo\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":1,\"controllers\":1,\"listeners\":["
                         "{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"}],"
                         "\"storage\":{\"size\":\"1Gi\"}}}"));
    operator_start(0, 0);
    wait_reconciled("True", 60, "a namespace beginning with a digit", reason, sizeof reason,
                    message, sizeof message);
    condition_of("Reconciled", status, sizeof status, reason, sizeof reason, message,
                 sizeof message);
    ck_assert_str_eq(reason, "Applied");
    kcl = get("berth.io/v1alpha1", "kafkaclusters", ns, "demo");
    ck_assert_int_eq(num(kcl, "status.observedGeneration"), num(kcl, "metadata.generation"));
    snprintf(want, sizeof want, "demo-bootstrap.%s.svc:9092", ns);
    ck_assert_str_eq(str(kcl, "status.bootstrap.internal"), want);
    sts = get("apps/v1", "statefulsets", ns, "demo");
    assert_owned(sts, str(kcl, "metadata.uid"));
    ck_assert_int_eq(num(sts, "spec.replicas"), 1);
    cJSON_Delete(sts);
    cJSON_Delete(kcl);
    ck_assert_int_eq(operator_stop(0), 0);
}
END_TEST

/* Before and after all tests, in the parent process: deletes every
 * namespace, PersistentVolume and Node labelled with this run's label. */
static void sweep_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    kt_random_name(run_label, sizeof run_label, "operator");
}

static void sweep(void)
{
    static const char *const colls[] = {"/api/v1/namespaces", "/api/v1/persistentvolumes",
                                        "/api/v1/nodes"};
    kube_config *scfg = kt_admin_config();
    kube_client *sc = kt_client(scfg);
    char sel[64];

    uncordon_ours(sc);
    snprintf(sel, sizeof sel, "berth.io/test=%s", run_label);
    for (size_t k = 0; k < sizeof colls / sizeof colls[0]; k++) {
        kube_list_opts lo = {0};
        cJSON *list = NULL;
        const cJSON *o;

        lo.label_selector = sel;
        if (kube_list(sc, colls[k], &lo, &list, NULL, NULL) != 0)
            continue;
        cJSON_ArrayForEach(o, kt_at(list, "items"))
        {
            char path[KUBE_PATH_MAX];

            if (kt_at(o, "metadata.deletionTimestamp") != NULL)
                continue;
            snprintf(path, sizeof path, "%s/%s", colls[k], str(o, "metadata.name"));
            if (kube_delete(sc, path, NULL, NULL) == 0)
                fprintf(stderr, "swept %s\n", path);
        }
        cJSON_Delete(list);
    }
    kube_client_free(sc);
    kube_config_free(scfg);
    curl_global_cleanup();
}

int main(void)
{
    Suite *s = suite_create("operator");
    TCase *tc = tcase_create("ground"), *digit = tcase_create("digit namespace");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, sweep_setup, sweep);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, operator_reconciles_a_nodeport_cluster_and_resyncs_without_writes);
    tcase_add_test(tc, node_port_clash_is_a_condition_not_a_crash);
    tcase_add_test(tc, broker_that_cannot_pull_its_image_shows_in_status);
    tcase_add_test(tc, leader_election_hands_over_on_sigterm);
    tcase_add_test(tc, scale_up_adds_broker_only_nodes);
    tcase_add_test(tc, deleting_the_cluster_collects_owned_objects_and_keeps_claims);
    tcase_add_test(tc, unowned_object_of_the_same_name_is_not_taken_over);
    tcase_add_test(tc, changed_ingress_restarts_that_broker_only);
    tcase_add_test(tc, certificates_follow_the_advertised_addresses);
    tcase_add_test(tc, slow_connections_on_the_health_port_starve_nothing);
    tcase_add_test(tc, scale_down_is_refused_while_leaving_brokers_hold_replicas);
    tcase_add_test(tc, config_changes_apply_live_or_roll_the_brokers);
    tcase_add_test(tc, hostile_metadata_answer_neither_bloats_nor_stalls_the_operator);
    tcase_add_test(tc, sidecar_init_renders_the_node_address_with_the_operator_stopped);
    tcase_add_test(tc, rescheduled_broker_advertises_its_new_node);
    tcase_add_test(tc, address_fallback_and_draining_are_reported);
    suite_add_tcase(s, tc);
    tcase_set_timeout(digit, 600);
    tcase_add_unchecked_fixture(digit, sweep_setup, sweep);
    tcase_add_checked_fixture(digit, setup_digit_namespace, teardown);
    tcase_add_test(digit, cluster_in_a_namespace_beginning_with_a_digit_is_reconciled);
    suite_add_tcase(s, digit);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
