/* Helpers for integration tests on the ground's API server; see
 * kube_test.h. */
#include "support/kube_test.h"

#include "kube/object.h"
#include "kube/verbs.h"
#include "support/tmpdir.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include <openssl/rand.h>

kube_config *kt_admin_config(void)
{
    const char *path = getenv("BERTH_KUBECONFIG");
    kube_config *cfg = NULL;
    util_err err = {{0}};

    if (path == NULL || path[0] == '\0')
        ck_abort_msg("BERTH_KUBECONFIG is not set: point it at the test ground's admin "
                     "kubeconfig (tests/ground/kube.sh up writes one)");
    if (kube_config_load(path, NULL, &cfg, &err) != 0)
        ck_abort_msg("%s", err.msg);
    return cfg;
}

kube_client *kt_client(const kube_config *cfg)
{
    kube_client *c = NULL;
    util_err err = {{0}};

    if (kube_client_new(cfg, NULL, &c, &err) != 0)
        ck_abort_msg("%s", err.msg);
    return c;
}

void kt_random_name(char *buf, size_t size, const char *prefix)
{
    unsigned char r[4];

    ck_assert_int_eq(RAND_bytes(r, sizeof r), 1);
    snprintf(buf, size, "%s-%02x%02x%02x%02x", prefix, r[0], r[1], r[2], r[3]);
}

cJSON *kt_json(const char *fmt, ...)
{
    va_list ap;
    char *buf;
    int n;
    cJSON *j;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
    j = cJSON_Parse(buf);
    if (j == NULL)
        ck_abort_msg("bad test JSON: %s", buf);
    free(buf);
    return j;
}

cJSON *kt_get_opt(kube_client *c, const char *av, const char *res, const char *ns, const char *name)
{
    char path[KUBE_PATH_MAX];
    kube_status st = {0};
    util_err err = {{0}};
    cJSON *out = NULL;

    ck_assert_int_eq(kube_path(path, sizeof path, av, res, ns, name, NULL), 0);
    if (kube_get(c, path, &out, &st, &err) == 0)
        return out;
    if (st.code == 404)
        return NULL;
    ck_abort_msg("%s", err.msg);
    return NULL;
}

const cJSON *kt_at(const cJSON *obj, const char *path)
{
    char key[256];
    const char *dot;

    while (obj != NULL && (dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        obj = cJSON_GetObjectItemCaseSensitive(obj, key);
        path = dot + 1;
    }
    return obj != NULL ? cJSON_GetObjectItemCaseSensitive(obj, path) : NULL;
}

const char *kt_str(const cJSON *obj, const char *path)
{
    obj = kt_at(obj, path);
    return cJSON_IsString(obj) ? obj->valuestring : NULL;
}

void kt_create_namespace(kube_client *c, const char *ns, const char *label)
{
    cJSON *obj = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
                         "\"%s\",\"labels\":{\"berth.io/test\":\"%s\"}}}",
                         ns, label);
    util_err err = {{0}};

    if (kube_create(c, "/api/v1/namespaces", obj, NULL, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    cJSON_Delete(obj);
}

int kt_delete_namespace(kube_client *c, const char *ns, util_err *err)
{
    char path[256];

    snprintf(path, sizeof path, "/api/v1/namespaces/%s", ns);
    return kube_delete(c, path, NULL, err);
}

int kt_delete_cluster_namespace(kube_client *c, const char *ns, util_err *err)
{
    char path[KUBE_PATH_MAX];
    cJSON *list = NULL, *patch = cJSON_Parse("{\"metadata\":{\"finalizers\":null}}");
    const cJSON *it;
    util_err perr = {{0}};

    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    if (kube_list(c, path, NULL, &list, NULL, &perr) == 0) {
        cJSON_ArrayForEach(it, kt_at(list, "items"))
        {
            char p[KUBE_PATH_MAX + 256];

            snprintf(p, sizeof p, "%s/%s", path, kube_meta_name(it));
            if (kube_merge_patch(c, p, patch, NULL, NULL, &perr) != 0)
                fprintf(stderr, "cleanup: %s\n", perr.msg);
        }
    }
    cJSON_Delete(list);
    cJSON_Delete(patch);
    return kt_delete_namespace(c, ns, err);
}

void kt_names_of(cJSON *arr, char *buf, size_t size)
{
    const cJSON *it;

    buf[0] = '\0';
    ck_assert_ptr_nonnull(arr);
    cJSON_ArrayForEach(it, arr)
    {
        strncat(buf, kube_meta_name(it), size - strlen(buf) - 2);
        strcat(buf, ",");
    }
    cJSON_Delete(arr);
}

void kt_exec_plugin(const char *dir, const char *name, const char *body)
{
    char *path = tmpdir_path(dir, name);

    tmpdir_writef(dir, name,
                  "#!/bin/sh\n"
                  "d=$(dirname \"$0\")\n"
                  "n=$(cat \"$d/count\" 2>/dev/null || echo 0)\n"
                  "n=$((n + 1))\n"
                  "echo $n >\"$d/count\"\n"
                  "printf '%%s' \"$KUBERNETES_EXEC_INFO\" >\"$d/info\"\n"
                  "env >\"$d/env\"\n"
                  "%s\n",
                  body);
    ck_assert_int_eq(chmod(path, 0755), 0);
    free(path);
}

int kt_exec_plugin_runs(const char *dir)
{
    char *path = tmpdir_path(dir, "count");
    FILE *f = fopen(path, "r");
    int n = 0;

    if (f != NULL) {
        ck_assert_int_eq(fscanf(f, "%d", &n), 1);
        fclose(f);
    }
    free(path);
    return n;
}

double kt_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void kt_drop_namespace(char *ns)
{
    kube_config *cfg;
    kube_client *c;
    util_err err = {{0}};

    if (ns[0] == '\0')
        return;
    cfg = kt_admin_config();
    c = kt_client(cfg);
    if (kt_delete_namespace(c, ns, &err) != 0)
        fprintf(stderr, "cleanup: %s\n", err.msg);
    ns[0] = '\0';
    kube_client_free(c);
    kube_config_free(cfg);
}

void kt_must(int rc, const util_err *err)
{
    if (rc != 0)
        ck_abort_msg("%s", err->msg);
}

void kt_create_configmap(kube_client *c, const char *ns, const char *name)
{
    char path[KUBE_PATH_MAX];
    cJSON *cm;
    util_err err = {{0}};

    ck_assert(kube_path(path, sizeof path, "v1", "configmaps", ns, NULL, NULL) == 0);
    cm = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\"}}",
                 name);
    ck_assert_msg(kube_create(c, path, cm, NULL, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(cm);
}
