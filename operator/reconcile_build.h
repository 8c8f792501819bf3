/* The desired objects of one reconcile (see reconcile.h, step 2): the
 * cluster ID the brokers keep, the cluster CA's Secrets, the KRaft voter
 * guards of <c>-brokers, and one object from each builder of desired.h,
 * in apply order. */
#ifndef BERTH_OP_RECONCILE_BUILD_H
#define BERTH_OP_RECONCILE_BUILD_H

#include <cjson/cJSON.h>

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Fills w->desired (and w->cluster_id, w->tls, the reformat fields) from
 * the parsed cluster, what was read, and brokers_cm, the live <c>-brokers
 * (NULL: none). DONE; REFUSED when the cluster ID or the CA cannot be
 * used or a builder refuses the spec; RETRY on a failure. */
op_outcome op_run_build(op_run *w, const cJSON *brokers_cm, util_err *err);

#endif
