/* The volume check before a Kafka broker starts; see storage.h. */
#include "init/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

int sc_meta_parse(const char *text, sc_meta *out, util_err *err)
{
    int line = 0;

    out->cluster_id[0] = '\0';
    out->node_id = -1;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n'), *eq, *k = p, *v;
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p), kn, vn;

        line++;
        p = nl != NULL ? nl + 1 : p + n;
        trim(&k, &n);
        if (n == 0 || k[0] == '#' || k[0] == '!')
            continue;
        eq = memchr(k, '=', n);
        if (eq == NULL)
            return util_err_set(err, "meta.properties: line %d: no '='", line);
        kn = (size_t)(eq - k);
        v = eq + 1;
        vn = n - kn - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (kn == 10 && strncmp(k, "cluster.id", 10) == 0) {
            if (vn == 0 || vn >= sizeof out->cluster_id)
                return util_err_set(err, "meta.properties: line %d: cluster.id: bad length", line);
            memcpy(out->cluster_id, v, vn);
            out->cluster_id[vn] = '\0';
        } else if (kn == 7 && strncmp(k, "node.id", 7) == 0) {
            int id = 0;

            if (vn == 0 || vn > 9)
                return util_err_set(err, "meta.properties: line %d: node.id: not a number", line);
            for (size_t i = 0; i < vn; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return util_err_set(err, "meta.properties: line %d: node.id: not a number",
                                        line);
                id = id * 10 + (v[i] - '0');
            }
            out->node_id = id;
        }
    }
    return 0;
}

int sc_storage_check(const sc_render_result *r, const sc_meta *meta, const char *data_dir,
                     util_err *err)
{
    if (r->flavor != SC_FLAVOR_KAFKA)
        return 0;
    if (meta != NULL) {
        if (meta->cluster_id[0] != '\0' && strcmp(meta->cluster_id, r->cluster_id) != 0)
            return util_err_set(err,
                                "%s/%s holds cluster %s, but cluster %s/%s has ID %s: this "
                                "volume belongs to another cluster; refusing to start on it",
                                data_dir, SC_META_PROPERTIES, meta->cluster_id, r->namespace,
                                r->cluster, r->cluster_id);
        if (meta->node_id >= 0 && meta->node_id != r->broker_id)
            return util_err_set(err,
                                "%s/%s belongs to node %d, but this is broker %d: refusing to "
                                "start on another broker's volume",
                                data_dir, SC_META_PROPERTIES, meta->node_id, r->broker_id);
        return 0;
    }
    if (!r->voter || !r->formatted_voter || r->reformat_allowed)
        return 0;
    return util_err_set(
        err,
        "voter %d's volume %s is empty, but this voter was formatted before (cluster.json "
        "formattedVoters of ConfigMap %s/%s-brokers): formatting it again would let it vote "
        "with a clean slate and could lose committed metadata (KIP-853), so it is not started. "
        "If its data is really lost and a majority of the other voters is healthy, allow one "
        "reformat by annotating the KafkaCluster berth.io/reformat-voter=%d, which adds %d to "
        "reformatVoters (docs/addressing.md)",
        r->broker_id, data_dir, r->namespace, r->cluster, r->broker_id, r->broker_id);
}
