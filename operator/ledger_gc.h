/* Cleanup of the drain ledger (lib/drain/ledger.h) after a scale-down.
 *
 * A broker id at or above spec.replicas no longer exists. The scale-down
 * guard (scale_down.h) let it go only once it held no partition replicas, so
 * every ledger entry that names it (in the original order or the demoted
 * set) describes a replica set Kafka no longer has: no restore will ever
 * take it back. Such entries are dropped; the rest stay untouched. */
#ifndef BERTH_OPERATOR_LEDGER_GC_H
#define BERTH_OPERATOR_LEDGER_GC_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "drain/ledger.h"
#include "kube/client.h"
#include "util/err.h"

/* Drops from l every entry naming a broker id >= replicas; returns how many. */
int op_ledger_drop_removed(drain_ledger *l, int32_t replicas);

/* Does the drain ConfigMap cm (as read; NULL is none) hold entries naming a
 * broker id >= replicas? An unreadable ledger counts as no: the sidecar
 * reports it when it next uses it. */
int op_ledger_names_removed(const cJSON *cm, int32_t replicas);

/* Drops those entries from ConfigMap ns/name with compare-and-set; writes
 * nothing when none is left. *dropped gets the count. 0 or -1 with err. */
int op_ledger_gc(kube_client *c, const char *ns, const char *name, int32_t replicas, int *dropped,
                 util_err *err) UTIL_MUST_CHECK;

#endif
