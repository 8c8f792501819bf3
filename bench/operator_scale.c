/* berth-operator at scale on the test ground: N KafkaClusters of 3 brokers
 * each (N = $BERTH_BENCH_CLUSTERS, default 100) created at once in a
 * namespace of their own, reconciled by the real build/berth-operator.
 * Prints the time until every cluster is reconciled (all owned objects
 * applied, status written), the operator's resident memory then and at its
 * peak, and the write requests the API server's audit log records during
 * two full resyncs of the unchanged clusters (the figure that should be 0).
 *
 * Needs the ground's API server ($BERTH_KUBECONFIG, default
 * /tmp/berth-ground/admin.kubeconfig) with the KafkaCluster CRD installed;
 * without them it says so and prints nothing else. No PersistentVolumes are
 * made, so broker pods stay Pending: the figures are the operator's, not
 * the scheduler's. Prints figures only. */
#include <curl/curl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/verbs.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long proc_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    FILE *f;
    long v = -1;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            v = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    return v;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    return fwrite(p, sz, n, ud);
}

static double metric(int port, const char *series)
{
    char url[96], *buf = NULL, *p;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CURL *h = curl_easy_init();
    double v = -1;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    fclose(f);
    for (p = buf; p != NULL && (p = strstr(p, series)) != NULL; p++)
        if ((p == buf || p[-1] == '\n') && p[strlen(series)] == ' ') {
            v = strtod(p + strlen(series) + 1, NULL);
            break;
        }
    free(buf);
    return v;
}

static double operator_writes(int port)
{
    return metric(port, "berth_operator_api_requests_total{verb=\"apply\"}") +
           metric(port, "berth_operator_api_requests_total{verb=\"apply_status\"}") +
           metric(port, "berth_operator_api_requests_total{verb=\"delete\"}");
}

/* Write requests by berth on objects of ns in the audit log after from;
 * Events (the recorder writes them about earlier changes, paced at about
 * one a second) are counted apart in *events. */
static int audit_writes(const char *audit, long from, const char *ns, int *events)
{
    char *line = NULL, want[96];
    size_t cap = 0;
    int n = 0;
    FILE *f = fopen(audit, "r");

    if (f == NULL)
        return -1;
    snprintf(want, sizeof want, "\"namespace\":\"%s\"", ns);
    fseek(f, from, SEEK_SET);
    *events = 0;
    while (getline(&line, &cap, f) > 0)
        if (strstr(line, "\"userAgent\":\"berth/") != NULL && strstr(line, want) != NULL) {
            if (strstr(line, "\"resource\":\"events\"") != NULL)
                (*events)++;
            else
                n++;
        }
    free(line);
    fclose(f);
    return n;
}

static long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* How many clusters have status.observedGeneration == metadata.generation
 * and Reconciled=True. */
static int reconciled(kube_client *c, const char *ns)
{
    char path[KUBE_PATH_MAX];
    cJSON *list = NULL, *it;
    int n = 0;

    if (kube_path(path, sizeof path, "berth.io/v1alpha1", "kafkaclusters", ns, NULL, NULL) != 0 ||
        kube_list(c, path, NULL, &list, NULL, NULL) != 0)
        return -1;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items"))
    {
        cJSON *st = cJSON_GetObjectItem(it, "status"), *m = cJSON_GetObjectItem(it, "metadata");
        cJSON *og = cJSON_GetObjectItem(st, "observedGeneration"), *cond;
        cJSON *gen = cJSON_GetObjectItem(m, "generation");
        int ok = 0;

        cJSON_ArrayForEach(cond, cJSON_GetObjectItem(st, "conditions"))
        {
            cJSON *t = cJSON_GetObjectItem(cond, "type"), *s = cJSON_GetObjectItem(cond, "status");

            if (cJSON_IsString(t) && strcmp(t->valuestring, "Reconciled") == 0 &&
                cJSON_IsString(s) && strcmp(s->valuestring, "True") == 0)
                ok = 1;
        }
        if (ok && cJSON_IsNumber(og) && cJSON_IsNumber(gen) && og->valuedouble == gen->valuedouble)
            n++;
    }
    cJSON_Delete(list);
    return n;
}

/* The first port of n consecutive node ports that no Service holds,
 * searching from a random start; -1 if there are none. */
static int free_node_ports(kube_client *c, int n, unsigned seed)
{
    static bool used[32768];
    cJSON *list = NULL, *svc, *p;
    int span = 32767 - 30000 + 1, start = (int)(seed % (unsigned)span);

    if (kube_list(c, "/api/v1/services", NULL, &list, NULL, NULL) != 0)
        return -1;
    cJSON_ArrayForEach(svc, cJSON_GetObjectItem(list, "items"))
    {
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(cJSON_GetObjectItem(svc, "spec"), "ports"))
        {
            cJSON *np = cJSON_GetObjectItem(p, "nodePort");

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
    return -1;
}

int main(int argc, char **argv)
{
    const char *kcfg = getenv("BERTH_KUBECONFIG"), *env = getenv("BERTH_BENCH_CLUSTERS");
    int clusters = env != NULL ? atoi(env) : 100, port = 0, base, done = 0;
    char exe[PATH_MAX], bin[PATH_MAX + 32], audit[PATH_MAX + 32], dir[PATH_MAX], ns[32];
    char path[KUBE_PATH_MAX], logf[64], body[1024];
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    util_err err = {{0}};
    unsigned char r[4];
    ssize_t n;
    pid_t pid;
    double t0, t1, r0;
    long off;

    (void)argc;
    (void)argv;
    if (kcfg == NULL)
        kcfg = "/tmp/berth-ground/admin.kubeconfig";
    if (clusters < 1 || clusters > 500)
        clusters = 100;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (kube_config_load(kcfg, NULL, &cfg, &err) != 0 ||
        kube_client_new(cfg, NULL, &c, &err) != 0 ||
        kube_get(c,
                 "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kafkaclusters.berth.io",
                 NULL, NULL, &err) != 0) {
        printf("operator_scale: no ground with the KafkaCluster CRD (%s): not run\n", err.msg);
        kube_client_free(c);
        kube_config_free(cfg);
        return 0;
    }
    snprintf(dir, sizeof dir, "%s", kcfg);
    snprintf(audit, sizeof audit, "%s/kube/audit.log", dirname(dir));
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(bin, sizeof bin, "%s/berth-operator", dirname(dirname(exe)));
    RAND_bytes(r, sizeof r);
    snprintf(ns, sizeof ns, "opr-bench-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    /* Node ports nodePortBase + 3i: a range no Service on the shared
     * ground holds yet. */
    base = free_node_ports(c, 3 * clusters, (unsigned)r[0] << 8 | r[1]);
    if (base < 0) {
        printf("operator_scale: no %d free node ports in a row: not run\n", 3 * clusters);
        return 0;
    }

    snprintf(body, sizeof body,
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
    {
        cJSON *o = cJSON_Parse(body);
        int rc = kube_create(c, "/api/v1/namespaces", o, NULL, NULL, &err);

        cJSON_Delete(o);
        if (rc != 0) {
            printf("operator_scale: %s\n", err.msg);
            return 0;
        }
    }
    snprintf(logf, sizeof logf, "/tmp/%s.log", ns);
    if ((pid = fork()) == 0) {
        FILE *f = freopen(logf, "w", stderr);

        (void)f;
        execl(bin, bin, "--kubeconfig", kcfg, "--namespace", ns, "--resync", "5", "--metrics-addr",
              "127.0.0.1:0", "--health-addr", "0", "--workers", "4", (char *)NULL);
        _exit(127);
    }
    for (double w = now_s(); port == 0 && now_s() - w < 30;) {
        FILE *f = fopen(logf, "r");
        char line[512], *p;

        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            if ((p = strstr(line, "serving /metrics on 127.0.0.1:")) != NULL)
                port = atoi(p + strlen("serving /metrics on 127.0.0.1:"));
        if (f != NULL)
            fclose(f);
        usleep(100000);
    }

    t0 = now_s();
    if (kube_path(path, sizeof path, "berth.io/v1alpha1", "kafkaclusters", ns, NULL, NULL) != 0) {
        printf("operator_scale: namespace %s: no path\n", ns);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return 0;
    }
    for (int i = 0; i < clusters; i++) {
        cJSON *o;

        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\",\"metadata\":{"
                 "\"name\":\"k%d\"},\"spec\":{\"image\":\"apache/kafka:4.4.0\",\"replicas\":3,"
                 "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
                 "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
                 "\"nodePortBase\":%d}]}}",
                 i, base + 3 * i);
        o = cJSON_Parse(body);
        if (kube_create(c, path, o, NULL, NULL, &err) != 0)
            printf("operator_scale: %s\n", err.msg);
        cJSON_Delete(o);
    }
    while ((done = reconciled(c, ns)) < clusters && now_s() - t0 < 300)
        usleep(500000);
    t1 = now_s();
    printf("clusters                      %d x 3 brokers\n", clusters);
    printf("reconciled                    %d\n", done);
    printf("time to reconcile all         %.1f s\n", t1 - t0);
    printf("operator RSS after            %ld KiB\n", proc_kb(pid, "VmRSS:"));
    printf("operator RSS peak             %ld KiB\n", proc_kb(pid, "VmHWM:"));

    /* Two full resyncs of unchanged clusters: first wait until the
     * operator's own writes stop (the StatefulSet controller creating pods
     * changes status.replicas, a real change), i.e. none for 12 s. */
    for (double last = -1, since = now_s(); now_s() - since < 12 && now_s() - t1 < 600;) {
        double w = operator_writes(port);

        if (w != last) {
            last = w;
            since = now_s();
        }
        usleep(500000);
    }
    printf("settled after                 %.1f s more\n", now_s() - t1);
    off = file_size(audit);
    r0 = metric(port, "berth_operator_reconcile_total{result=\"ok\"}");
    while (metric(port, "berth_operator_reconcile_total{result=\"ok\"}") < r0 + 2 * clusters &&
           now_s() - t1 < 300)
        usleep(500000);
    printf("reconciles in the window      %.0f\n",
           metric(port, "berth_operator_reconcile_total{result=\"ok\"}") - r0);
    {
        int events = 0, writes = audit_writes(audit, off, ns, &events);

        printf("writes in 2 no-op resyncs     %d (audit log)\n", writes);
        printf("late Events in that time      %d (about the changes before)\n", events);
    }
    printf("API requests, operator total  get %.0f, list %.0f, apply %.0f, apply_status %.0f\n",
           metric(port, "berth_operator_api_requests_total{verb=\"get\"}"),
           metric(port, "berth_operator_api_requests_total{verb=\"list\"}"),
           metric(port, "berth_operator_api_requests_total{verb=\"apply\"}"),
           metric(port, "berth_operator_api_requests_total{verb=\"apply_status\"}"));

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s", ns);
    /* Best effort at the end of the run: say what is left behind. */
    if (kube_delete(c, path, NULL, &err) != 0)
        printf("operator_scale: delete %s: %s\n", ns, err.msg);
    unlink(logf);
    kube_client_free(c);
    kube_config_free(cfg);
    curl_global_cleanup();
    return 0;
}
