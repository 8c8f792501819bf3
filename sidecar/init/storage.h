/* Whether a Kafka broker may start on the volume it finds: the check the
 * init step makes before the broker container runs `kafka-storage.sh
 * format --ignore-formatted`.
 *
 * A formatted volume carries meta.properties; it must belong to this
 * cluster and this node id, or the broker would join the wrong cluster or
 * impersonate another node. An empty volume is fine for a broker-only node
 * and for a voter that was never formatted, but a voter that has been
 * formatted before (cluster.json's formattedVoters) must not come back
 * with a clean slate: it could vote as if it had never seen the committed
 * metadata log (KIP-853). Then init refuses and says how to recover. Pure
 * functions; the caller reads the file. */
#ifndef BERTH_SIDECAR_INIT_STORAGE_H
#define BERTH_SIDECAR_INIT_STORAGE_H

#include <stdbool.h>

#include "init/model.h"
#include "util/err.h"

#define SC_META_PROPERTIES "meta.properties"

/* What the volume says about itself. */
typedef struct sc_meta {
    char cluster_id[64]; /* "" if absent */
    int node_id;         /* -1 if absent */
} sc_meta;

/* Parses meta.properties (Java properties: key=value lines, '#' comments).
 * Returns 0, or -1 with err naming the line that is wrong. */
int sc_meta_parse(const char *text, sc_meta *out, util_err *err);

/* Decides for the broker r describes, given meta (NULL: the volume holds
 * no meta.properties). Returns 0 to go on, or -1 with err saying why not
 * and what to do. data_dir is for messages. */
int sc_storage_check(const sc_render_result *r, const sc_meta *meta, const char *data_dir,
                     util_err *err);

#endif
