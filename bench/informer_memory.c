/* Memory per 1,000 Pods held by the informer cache: the operator caches
 * every Pod it may own, so this is its floor on a large cluster. The Pods
 * are the bench's ~4 KiB sample (pod_sample.h) with distinct names, fed
 * through the watch parser into kube_cache_apply exactly as a watch would,
 * without a server. Each variant runs in a child process so its RSS growth
 * is its own: the cache as berth-operator configures its Pod cache
 * (trimmed to what reconcile reads, operator/cache_trim.h, and one label
 * indexed), the cache as configured by default (managedFields dropped,
 * every label indexed), the cache keeping managedFields, and for scale the same Pods held as
 * cJSON trees (what a cache of parsed objects would cost). Prints figures
 * only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/cache.h"
#include "kube/watch_parse.h"
#include "operator/cache_trim.h"
#include "pod_sample.h"

#define PODS  10000
#define CHUNK (16 * 1024)

enum variant { CACHE_OPERATOR, CACHE_DEFAULT, CACHE_KEEP_MANAGED, CJSON_TREES };

static const char *const variant_name[] = {
    "cache as berth-operator keeps Pods",
    "cache, managedFields dropped (default)",
    "cache, managedFields kept",
    "cJSON trees, for comparison",
};

/* The operator's Pod cache (operator/informers.c): trimmed, indexed by
 * one label. */
static const char *const operator_index[] = {"app.kubernetes.io/instance", NULL};

static long rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static double seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct sink {
    enum variant v;
    kube_cache *cache;
    cJSON **trees;
    size_t n;
} sink;

static int take(kube_watch_event *ev, void *ctx, util_err *err)
{
    sink *s = ctx;

    if (s->v == CJSON_TREES) {
        s->trees[s->n++] = ev->object;
        ev->object = NULL;
        return 0;
    }
    s->n++;
    return kube_cache_apply(s->cache, ev->type, ev->object, NULL, NULL, err);
}

/* Feeds the stream into one variant and prints its figures. */
static int run(enum variant v, const char *stream, size_t len)
{
    kube_cache_opts o = {.keep_managed_fields = v == CACHE_KEEP_MANAGED};

    if (v == CACHE_OPERATOR) {
        o.index_label_keys = operator_index;
        o.trim = op_trim_pod;
    }
    sink s = {.v = v};
    kube_watch_parser *p = NULL;
    util_err err = {{0}};
    long before, after;
    double t0, dt;
    size_t off, i;

    if (kube_watch_parser_new(NULL, &p, &err) != 0 ||
        (v != CJSON_TREES && kube_cache_new(&o, &s.cache, &err) != 0)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    s.trees = v == CJSON_TREES ? calloc(PODS, sizeof *s.trees) : NULL;
    before = rss_bytes();
    t0 = seconds();
    for (off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;

        if (kube_watch_parser_feed(p, stream + off, n, take, &s, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    }
    dt = seconds() - t0;
    after = rss_bytes();
    if (s.n != PODS || (s.cache != NULL && kube_cache_len(s.cache) != PODS)) {
        fprintf(stderr, "stored %zu Pods, expected %d\n", s.n, PODS);
        return 1;
    }
    printf("%-40s RSS +%6.1f MiB for %d Pods = %7.0f KiB per 1,000 Pods", variant_name[v],
           (double)(after - before) / (1024.0 * 1024.0), PODS,
           (double)(after - before) / 1024.0 / (PODS / 1000.0));
    if (s.cache != NULL)
        printf(" (own count %.0f KiB); %.0f inserts/s\n",
               (double)kube_cache_bytes(s.cache) / 1024.0 / (PODS / 1000.0), PODS / dt);
    else
        printf("\n");
    kube_watch_parser_free(p);
    kube_cache_free(s.cache);
    for (i = 0; s.trees != NULL && i < s.n; i++)
        cJSON_Delete(s.trees[i]);
    free(s.trees);
    return 0;
}

int main(void)
{
    char *tmpl = pod_template(), *stream, num[16], rv[24];
    size_t len = 0, one = 0;
    int i, rc = 0;

    if (tmpl == NULL)
        return 1;
    stream = malloc((strlen(tmpl) + 256) * PODS);
    if (stream == NULL)
        return 1;
    for (i = 0; i < PODS; i++) {
        size_t n;

        snprintf(num, sizeof num, "%d", i);
        snprintf(rv, sizeof rv, "%d", 1000000 + i);
        n = expand(stream + len, tmpl, num, rv);
        if (i == 0)
            one = n;
        len += n;
    }
    free(tmpl);
    printf("%d distinct Pods of %zu bytes of JSON each (first)\n", PODS, one);
    fflush(stdout);
    for (i = CACHE_OPERATOR; i <= CJSON_TREES; i++) {
        pid_t pid = fork();
        int status = 0;

        if (pid < 0)
            return 1;
        if (pid == 0) {
            rc = run((enum variant)i, stream, len);
            fflush(stdout);
            _exit(rc);
        }
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 1;
    }
    free(stream);
    return rc;
}
