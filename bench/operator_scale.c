/* berth-operator at scale on the test ground: the real build/berth-operator
 * watching a namespace of its own while KafkaClusters of 3 brokers are
 * created there in stages ($BERTH_BENCH_CLUSTERS, the totals after each
 * stage, default "10 100"; "10 100 1000", about 15 minutes, for the figures
 * docs/operations.md quotes). Each stage creates its clusters at once and
 * prints:
 *
 * - latency per cluster: from its create request to the operator's status
 *   saying Reconciled=True for its generation (seen by a watch), p50, p99,
 *   max over the clusters of that stage, while the others are created;
 * - the operator's CPU time meanwhile (on a small machine the API server,
 *   sharing it, sets the pace);
 * - memory once the stage is idle: the operator's RSS, the allocator's heap
 *   (in use, held free), what each informer's cache holds, and the RSS each
 *   added cluster cost since the stage before;
 * - an idle minute: the requests the API server's audit log records from
 *   berth (reads, writes, Events) while the operator resyncs every cluster
 *   every 5 s, which should all be 0.
 *
 * Every cluster has an internal listener and a hostport one (node ports
 * would run out at 1,000 clusters); no PersistentVolumes are made, so the
 * broker pods stay Pending: the figures are the operator's. The operator
 * runs without leader election (with it, the Lease is renewed every few
 * seconds: a write by design). Needs the ground's API server
 * ($BERTH_KUBECONFIG, default /tmp/berth-ground/admin.kubeconfig) with the
 * KafkaCluster CRD; without it says so and prints nothing else. Prints
 * figures only. */
#include <curl/curl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/informer.h"
#include "kube/verbs.h"
#include "util/clock.h"

#define MAX_CLUSTERS 5000
#define MAX_STAGES   8

static const char *const resources[] = {
    "kafkaclusters", "statefulsets",         "services", "configmaps",
    "secrets",       "serviceaccounts",      "roles",    "rolebindings",
    "leases",        "poddisruptionbudgets", "pods",     "nodes",
};
#define NRES (sizeof resources / sizeof *resources)

/* When each cluster's create was sent and when its status first said
 * Reconciled for its generation, in ms of the monotonic clock (0: not
 * yet); the watch's handlers write done. */
static struct {
    pthread_mutex_t mu;
    int64_t created[MAX_CLUSTERS];
    int64_t done[MAX_CLUSTERS];
} seen = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double secs(int64_t ms)
{
    return (double)ms / 1000.0;
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

/* The CPU seconds (user + system) pid has used, or -1. */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15, counted after the command's closing parenthesis. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    return fwrite(p, sz, n, ud);
}

/* The operator's /metrics text (malloc'd), or NULL. */
static char *metrics_text(int port)
{
    char url[96], *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CURL *h = curl_easy_init();

    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    fclose(f);
    return buf;
}

/* The value of one series in text, or -1. */
static double series(const char *text, const char *name)
{
    for (const char *p = text; p != NULL && (p = strstr(p, name)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[strlen(name)] == ' ')
            return strtod(p + strlen(name) + 1, NULL);
    return -1;
}

static double metric(int port, const char *name)
{
    char *text = metrics_text(port);
    double v = series(text, name);

    free(text);
    return v;
}

static double operator_writes(int port)
{
    char *t = metrics_text(port);
    double w = series(t, "berth_operator_api_requests_total{verb=\"apply\"}") +
               series(t, "berth_operator_api_requests_total{verb=\"apply_status\"}") +
               series(t, "berth_operator_api_requests_total{verb=\"delete\"}");

    free(t);
    return w;
}

typedef struct audit_counts {
    int reads;  /* get, list */
    int writes; /* create, update, patch, delete, but Events */
    int events;
} audit_counts;

/* Requests by berth (its user agent) in the audit log after offset from,
 * on objects of ns or cluster-scoped ones. Watches are not logged. */
static int audit_count(const char *audit, long from, const char *ns, audit_counts *n)
{
    char *line = NULL, want[96];
    size_t cap = 0;
    FILE *f = fopen(audit, "r");

    memset(n, 0, sizeof *n);
    if (f == NULL)
        return -1;
    snprintf(want, sizeof want, "\"namespace\":\"%s\"", ns);
    fseek(f, from, SEEK_SET);
    while (getline(&line, &cap, f) > 0) {
        if (strstr(line, "\"userAgent\":\"berth/") == NULL ||
            (strstr(line, "\"namespace\":") != NULL && strstr(line, want) == NULL))
            continue;
        if (strstr(line, "\"verb\":\"get\"") != NULL || strstr(line, "\"verb\":\"list\"") != NULL)
            n->reads++;
        else if (strstr(line, "\"resource\":\"events\"") != NULL)
            n->events++;
        else
            n->writes++;
    }
    free(line);
    fclose(f);
    return 0;
}

static long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Whether a KafkaCluster's status says Reconciled=True for its
 * generation. */
static bool is_reconciled(const cJSON *kc)
{
    const cJSON *st = cJSON_GetObjectItem(kc, "status"), *m = cJSON_GetObjectItem(kc, "metadata");
    const cJSON *og = cJSON_GetObjectItem(st, "observedGeneration");
    const cJSON *gen = cJSON_GetObjectItem(m, "generation"), *cond;

    if (!cJSON_IsNumber(og) || !cJSON_IsNumber(gen) || og->valuedouble != gen->valuedouble)
        return false;
    cJSON_ArrayForEach(cond, cJSON_GetObjectItem(st, "conditions"))
    {
        const cJSON *t = cJSON_GetObjectItem(cond, "type"),
                    *s = cJSON_GetObjectItem(cond, "status");

        if (cJSON_IsString(t) && strcmp(t->valuestring, "Reconciled") == 0)
            return cJSON_IsString(s) && strcmp(s->valuestring, "True") == 0;
    }
    return false;
}

static void on_seen(const cJSON *kc)
{
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(kc, "metadata"), "name"));
    int i;

    if (name == NULL || sscanf(name, "k%d", &i) != 1 || i < 0 || i >= MAX_CLUSTERS ||
        !is_reconciled(kc))
        return;
    pthread_mutex_lock(&seen.mu);
    if (seen.done[i] == 0 && seen.created[i] != 0)
        seen.done[i] = util_mono_ms();
    pthread_mutex_unlock(&seen.mu);
}

static void on_add(const cJSON *obj, void *ctx)
{
    (void)ctx;
    on_seen(obj);
}

static void on_update(const cJSON *old, const cJSON *obj, void *ctx)
{
    (void)old;
    (void)ctx;
    on_seen(obj);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Clusters from..to-1 reconciled so far; their latencies sorted into lat
 * (the count is returned). */
static int latencies(int from, int to, int64_t *lat)
{
    int n = 0;

    pthread_mutex_lock(&seen.mu);
    for (int i = from; i < to; i++)
        if (seen.done[i] != 0)
            lat[n++] = seen.done[i] - seen.created[i];
    pthread_mutex_unlock(&seen.mu);
    qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
    return n;
}

static int64_t pct(const int64_t *lat, int n, int p)
{
    int i = (n * p + 99) / 100 - 1;

    return n == 0 ? -1 : lat[i < 0 ? 0 : i];
}

/* Waits until no operator write for quiet_ms (what the StatefulSet
 * controller and the scheduler change settles), at most max_ms. */
/* Waits until the operator wrote no object for quiet_ms and has no Event
 * left to write (at most max_ms); returns when its last Event was seen due,
 * in ms since start (0: none was). */
static int64_t settle(int port, int64_t quiet_ms, int64_t max_ms)
{
    int64_t start = util_mono_ms(), since = start, events_done = 0;

    for (double last = -1; util_mono_ms() - start < max_ms;) {
        double w = operator_writes(port);
        bool due = metric(port, "berth_operator_events_unwritten") > 0;

        if (w != last) {
            last = w;
            since = util_mono_ms();
        }
        if (due)
            events_done = util_mono_ms() - start;
        else if (util_mono_ms() - since >= quiet_ms)
            break;
        usleep(500000);
    }
    return events_done;
}

static void print_memory(int port, pid_t pid, int clusters, long *prev_rss, int *prev_clusters)
{
    char *t = metrics_text(port), name[128];
    long rss = proc_kb(pid, "VmRSS:");
    double cache = 0;

    printf("  operator RSS                %ld KiB (peak %ld KiB)\n", rss, proc_kb(pid, "VmHWM:"));
    printf("  heap in use / held free     %.0f / %.0f KiB\n",
           series(t, "berth_operator_heap_bytes{part=\"in_use\"}") / 1024,
           series(t, "berth_operator_heap_bytes{part=\"free\"}") / 1024);
    printf("  caches (objects, KiB):     ");
    for (size_t r = 0; r < NRES; r++) {
        double b, o;

        snprintf(name, sizeof name, "berth_operator_cache_bytes{resource=\"%s\"}", resources[r]);
        b = series(t, name);
        snprintf(name, sizeof name, "berth_operator_cache_objects{resource=\"%s\"}", resources[r]);
        o = series(t, name);
        cache += b > 0 ? b : 0;
        printf(" %s %.0f %.0f%s", resources[r], o, b / 1024, r + 1 < NRES ? "," : "\n");
    }
    printf("  caches in all               %.0f KiB, %.1f KiB per cluster\n", cache / 1024,
           clusters > 0 ? cache / 1024 / clusters : 0);
    if (*prev_rss > 0 && clusters > *prev_clusters)
        printf("  RSS per added cluster       %.1f KiB (%d -> %d clusters)\n",
               (double)(rss - *prev_rss) / (clusters - *prev_clusters), *prev_clusters, clusters);
    *prev_rss = rss;
    *prev_clusters = clusters;
    free(t);
}

/* One idle minute: what berth asked of the API server. */
static void idle_minute(int port, const char *audit, const char *ns, int clusters)
{
    long off = file_size(audit);
    double r0 = metric(port, "berth_operator_reconcile_total{result=\"ok\"}");
    double due = metric(port, "berth_operator_events_unwritten");
    audit_counts n;

    sleep(60);
    printf("  idle minute                 %.0f reconciles (%d clusters, resync 5 s)\n",
           metric(port, "berth_operator_reconcile_total{result=\"ok\"}") - r0, clusters);
    if (audit_count(audit, off, ns, &n) != 0)
        printf("  idle minute                 no audit log at %s\n", audit);
    else
        printf("  idle minute, API requests   %d reads, %d writes, %d Events (audit log; watches "
               "not counted); %.0f Event series still to write at its start\n",
               n.reads, n.writes, n.events, due);
}

static int create_cluster(kube_client *c, const char *path, int i, util_err *err)
{
    char body[768];
    cJSON *o;
    int rc;

    snprintf(body, sizeof body,
             "{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\",\"metadata\":{"
             "\"name\":\"k%d\"},\"spec\":{\"image\":\"apache/kafka:4.4.0\",\"replicas\":3,"
             "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
             "{\"name\":\"external\",\"port\":9094,\"type\":\"hostport\"}]}}",
             i);
    o = cJSON_Parse(body);
    pthread_mutex_lock(&seen.mu);
    seen.created[i] = util_mono_ms();
    pthread_mutex_unlock(&seen.mu);
    rc = kube_create(c, path, o, NULL, NULL, err);
    cJSON_Delete(o);
    return rc;
}

/* Starts the operator on ns; its pid, and its metrics port in *port (0
 * if it never said). */
static pid_t start_operator(const char *bin, const char *kcfg, const char *ns, const char *logf,
                            int *port)
{
    pid_t pid = fork();

    if (pid == 0) {
        FILE *f = freopen(logf, "w", stderr);

        (void)f;
        execl(bin, bin, "--kubeconfig", kcfg, "--namespace", ns, "--resync", "5", "--metrics-addr",
              "127.0.0.1:0", "--health-addr", "0", "--workers", "4", (char *)NULL);
        _exit(127);
    }
    *port = 0;
    for (int64_t w = util_mono_ms(); *port == 0 && util_mono_ms() - w < 30000;) {
        FILE *f = fopen(logf, "r");
        char line[512], *p;

        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            if ((p = strstr(line, "serving /metrics on 127.0.0.1:")) != NULL)
                *port = atoi(p + strlen("serving /metrics on 127.0.0.1:"));
        if (f != NULL)
            fclose(f);
        usleep(100000);
    }
    return pid;
}

int main(void)
{
    const char *kcfg = getenv("BERTH_KUBECONFIG"), *env = getenv("BERTH_BENCH_CLUSTERS");
    int stages[MAX_STAGES], nstages = 0, port = 0, have = 0, prev_clusters = 0;
    char exe[PATH_MAX], bin[PATH_MAX + 32], audit[PATH_MAX + 32], dir[PATH_MAX], ns[32];
    char path[KUBE_PATH_MAX], logf[64], body[256], *list, *tok, *save = NULL;
    static int64_t lat[MAX_CLUSTERS];
    kube_informer *watch = NULL;
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    util_err err = {{0}};
    unsigned char r[4];
    long prev_rss = 0;
    ssize_t n;
    pid_t pid;

    if (kcfg == NULL)
        kcfg = "/tmp/berth-ground/admin.kubeconfig";
    list = strdup(env != NULL && env[0] != '\0' ? env : "10 100");
    for (tok = strtok_r(list, " ,", &save); tok != NULL && nstages < MAX_STAGES;
         tok = strtok_r(NULL, " ,", &save)) {
        int v = atoi(tok);

        if (v <= (nstages > 0 ? stages[nstages - 1] : 0) || v > MAX_CLUSTERS) {
            printf("operator_scale: BERTH_BENCH_CLUSTERS=\"%s\": ascending totals from 1 to %d\n",
                   env, MAX_CLUSTERS);
            return 2;
        }
        stages[nstages++] = v;
    }
    free(list);
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
    if (kube_path(path, sizeof path, "berth.io/v1alpha1", "kafkaclusters", ns, NULL, NULL) != 0 ||
        kube_informer_new(c, path, NULL, &(kube_informer_handlers){on_add, on_update, NULL, NULL},
                          &watch, &err) != 0 ||
        kube_informer_start(watch, &err) != 0) {
        printf("operator_scale: watching %s: %s\n", ns, err.msg);
        return 0;
    }
    snprintf(logf, sizeof logf, "/tmp/%s.log", ns);
    pid = start_operator(bin, kcfg, ns, logf, &port);
    printf("operator: %s, namespace %s, 4 workers, resync 5 s\n", bin, ns);
    printf("stage 0: no cluster\n");
    usleep(2000000);
    print_memory(port, pid, 0, &prev_rss, &prev_clusters);

    for (int s = 0; s < nstages; s++) {
        int from = have, to = stages[s], k;
        int64_t t0 = util_mono_ms(), t1, ev;
        double cpu0 = proc_cpu_s(pid);

        for (int i = from; i < to; i++)
            if (create_cluster(c, path, i, &err) != 0)
                printf("operator_scale: k%d: %s\n", i, err.msg);
        have = to;
        while ((k = latencies(from, to, lat)) < to - from && util_mono_ms() - t0 < 900000)
            usleep(200000);
        t1 = util_mono_ms();
        printf("stage %d: %d -> %d clusters x 3 brokers, %d created at once\n", s + 1, from, to,
               to - from);
        printf("  reconciled                  %d of %d in %.1f s\n", k, to - from, secs(t1 - t0));
        printf("  create -> Reconciled        p50 %.2f s, p99 %.2f s, max %.2f s\n",
               secs(pct(lat, k, 50)), secs(pct(lat, k, 99)), secs(pct(lat, k, 100)));
        printf("  operator CPU meanwhile      %.1f s (%.0f ms per cluster)\n",
               proc_cpu_s(pid) - cpu0, (proc_cpu_s(pid) - cpu0) * 1000 / (to - from));
        ev = settle(port, 12000, 1800000);
        printf("  settled after               %.1f s more (last Event written after %.1f s)\n",
               secs(util_mono_ms() - t1), secs(ev));
        print_memory(port, pid, to, &prev_rss, &prev_clusters);
        idle_minute(port, audit, ns, to);
    }
    {
        char *t = metrics_text(port);

        printf("API requests, operator total  get %.0f, list %.0f, apply %.0f, apply_status %.0f\n",
               series(t, "berth_operator_api_requests_total{verb=\"get\"}"),
               series(t, "berth_operator_api_requests_total{verb=\"list\"}"),
               series(t, "berth_operator_api_requests_total{verb=\"apply\"}"),
               series(t, "berth_operator_api_requests_total{verb=\"apply_status\"}"));
        free(t);
    }

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    kube_informer_free(watch);
    /* No operator is left to release the clusters' teardown finalizer:
     * without this the namespace would stay Terminating, its thousands of
     * objects a load on the ground for whatever runs next. */
    {
        cJSON *patch = cJSON_Parse("{\"metadata\":{\"finalizers\":null}}");

        for (int i = 0; i < have; i++) {
            char kc[KUBE_PATH_MAX], name[32];

            snprintf(name, sizeof name, "k%d", i);
            if (kube_path(kc, sizeof kc, "berth.io/v1alpha1", "kafkaclusters", ns, name, NULL) !=
                    0 ||
                kube_merge_patch(c, kc, patch, NULL, NULL, &err) != 0)
                printf("operator_scale: finalizer of %s: %s\n", name, err.msg);
        }
        cJSON_Delete(patch);
    }
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
