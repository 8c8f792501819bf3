/* reconcile's reads (see reconcile.h, steps 1 and 2): the cluster's Nodes,
 * broker Pods and owned Services, its <c>-brokers ConfigMap, and the live
 * counterpart of every desired object, all through the run's op_lister.
 * An object of berth's name that this cluster does not control is refused
 * here, before anything is applied. */
#ifndef BERTH_OP_RECONCILE_READ_H
#define BERTH_OP_RECONCILE_READ_H

#include <cjson/cJSON.h>

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Reads w->nodes, w->pods and w->services for the parsed cluster w->c, and
 * <c>-brokers into *brokers_cm (NULL when absent; the caller frees it).
 * DONE; REFUSED when <c>-brokers is not this cluster's (its clusterID is
 * believed only when berth wrote it); RETRY on a failed read. */
op_outcome op_run_read(op_run *w, cJSON **brokers_cm, util_err *err);

/* Reads the live counterpart of every desired object into w->live and
 * refuses when one exists that this cluster does not control
 * (op_owner_conflict): nothing is applied while any does. */
op_outcome op_run_read_live(op_run *w, util_err *err);

#endif
