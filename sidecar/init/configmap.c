/* Reading the <cluster>-brokers ConfigMap; see configmap.h. */
#include "init/configmap.h"

#include <stdio.h>
#include <string.h>

int sc_brokers_cm_name(const char *cluster, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s-brokers", cluster);

    return n > 0 && (size_t)n < size && n <= 253 ? 0 : -1;
}

int sc_brokers_cm_docs(const cJSON *cm, sc_brokers_docs *out, util_err *err)
{
    static const char *const keys[3] = {SC_CM_CLUSTER, SC_CM_NODES, SC_CM_BROKERS};
    const char **slots[3] = {&out->cluster_json, &out->nodes_json, &out->brokers_json};
    const cJSON *data;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(cm))
        return util_err_set(err, "not a JSON object");
    data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    if (data == NULL || cJSON_IsNull(data))
        return util_err_set(err, "data: missing (the operator has not filled it yet?)");
    if (!cJSON_IsObject(data))
        return util_err_set(err, "data: not an object");
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, keys[i]);

        if (v == NULL)
            return util_err_set(err, "data.\"%s\": missing", keys[i]);
        if (!cJSON_IsString(v) || v->valuestring == NULL)
            return util_err_set(err, "data.\"%s\": not a string", keys[i]);
        *slots[i] = v->valuestring;
    }
    return 0;
}

int sc_cluster_from_pod(const char *pod, char *buf, size_t size, util_err *err)
{
    const char *dash = strrchr(pod, '-');
    size_t n;

    if (dash == NULL || dash == pod || dash[1] == '\0' ||
        strspn(dash + 1, "0123456789") != strlen(dash + 1))
        return util_err_set(err, "pod name \"%.64s\" does not end in -<ordinal>", pod);
    n = (size_t)(dash - pod);
    if (n >= size)
        return util_err_set(err, "pod name \"%.64s\": cluster name too long", pod);
    memcpy(buf, pod, n);
    buf[n] = '\0';
    return 0;
}
