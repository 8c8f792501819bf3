/* The <cluster>-brokers ConfigMap as init reads it: the ConfigMap object
 * (sidecar/init/configmap.c) and its three documents through the renderer
 * (sidecar/init/render.c and the Kafka and Redpanda writers), on arbitrary
 * bytes. The input is the ConfigMap JSON; if it does not hold the three
 * documents, the bytes are split at NUL bytes into cluster.json,
 * nodes.json, brokers.json, the pod name and the node name instead, so the
 * fuzzer reaches the renderer directly. Invariants: no crash, a result is
 * exactly one of rendered / waiting / refused with a message, and a
 * rendered file is NUL-free text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sidecar/init/configmap.h"
#include "sidecar/init/render.h"

static void render(const sc_render_input *in)
{
    sc_render_result r;
    util_err err;
    int rc;

    err.msg[0] = '\0';
    rc = sc_render(in, &r, &err);
    if (rc == 0) {
        if (r.text == NULL || (r.flavor == SC_FLAVOR_REDPANDA) != (r.bootstrap != NULL) ||
            r.broker_id < 0 || r.broker_id > SC_MAX_BROKER_ID)
            abort();
    } else if (rc == SC_RENDER_WAITING || rc == -1) {
        if (r.text != NULL || err.msg[0] == '\0')
            abort();
    } else {
        abort();
    }
    sc_render_result_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *parts[5] = {0};
    sc_render_input in;
    sc_brokers_docs docs;
    util_err err;
    cJSON *cm;
    size_t n = 0;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    memset(&in, 0, sizeof in);
    cm = cJSON_ParseWithLength(buf, size);
    if (cm != NULL && sc_brokers_cm_docs(cm, &docs, &err) == 0) {
        in.cluster_json = docs.cluster_json;
        in.nodes_json = docs.nodes_json;
        in.brokers_json = docs.brokers_json;
        in.pod_name = "demo-1";
        in.node_name = "node-a";
        in.sasl_username = "admin";
        in.sasl_password = "secret";
        render(&in);
    } else {
        /* NUL-separated parts; missing ones stay NULL. */
        parts[n++] = buf;
        for (size_t i = 0; i < size && n < 5; i++)
            if (buf[i] == '\0')
                parts[n++] = buf + i + 1;
        in.cluster_json = parts[0];
        in.nodes_json = parts[1];
        in.brokers_json = parts[2];
        in.pod_name = parts[3] != NULL ? parts[3] : "demo-0";
        in.node_name = parts[4] != NULL ? parts[4] : "node-a";
        render(&in);
    }
    cJSON_Delete(cm);
    free(buf);
    return 0;
}
