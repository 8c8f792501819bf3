/* A KafkaCluster comes from the API server, and anyone who may write one
 * chooses its bytes: whatever they are, reading the spec must succeed or
 * fail with a message, and every desired object and the status must then
 * build without crashing, leaking or overrunning a buffer. The same bytes
 * are also read as a <c>-brokers ConfigMap for its cluster ID. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "operator/address.h"
#include "operator/cluster.h"
#include "operator/desired.h"
#include "operator/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const op_options opts = {
        "localhost/berth-sidecar:fuzz", "cluster.local", false, {0, 0, 0}};
    char *text = malloc(size + 1), id[23];
    cJSON *cr, *o;
    op_cluster c;
    util_err err;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cr = cJSON_Parse(text);
    free(text);
    if (cr == NULL)
        return 0;
    op_brokers_cm_cluster_id(cr, id, sizeof id);
    {
        op_voters v;

        if (op_brokers_cm_voters(cr, &v) == 0)
            op_brokers_cm_voters_put(cr, &v, &err);
    }
    if (op_cluster_parse(cr, &c, &err) == 0) {
        const cJSON *nodes = cJSON_GetObjectItem(cr, "nodes");
        op_status_input in = {0};

        cJSON_Delete(op_desired_statefulset(&c, &opts, &err));
        cJSON_Delete(op_desired_services(&c, &err));
        cJSON_Delete(
            op_desired_brokers_cm(&c, &opts, "MkU3OEVBNTcwNTJENDM2Qg", nodes, nodes, &err));
        cJSON_Delete(op_desired_pdb(&c, &err));
        cJSON_Delete(op_desired_rbac(&c, &err));
        cJSON_Delete(op_desired_drain(&c, &err));
        in.c = &c;
        in.o = &opts;
        in.cluster_id = "MkU3OEVBNTcwNTJENDM2Qg";
        in.pods = nodes;
        in.nodes = nodes;
        in.services = nodes;
        in.old_status = cJSON_GetObjectItem(cr, "status");
        in.now = "2026-01-01T00:00:00Z";
        cJSON_Delete(op_status_build(&in));
        for (int id = 0; id < c.replicas && id < 4; id++) {
            char fp[512];

            op_address_fingerprint(&c, id, "cluster.local", cJSON_GetArrayItem(nodes, id), nodes,
                                   fp, sizeof fp);
        }
    }
    o = op_status_refused(cJSON_GetObjectItem(cr, "status"), 1, "InvalidSpec", "x",
                          "2026-01-01T00:00:00Z");
    cJSON_Delete(o);
    cJSON_Delete(cr);
    return 0;
}
