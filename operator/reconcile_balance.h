/* The reconcile step that moves partitions (rebalance.h says when): before
 * the desired objects are built, it takes one step of the mover
 * (lib/balance/move.h) over the operator's admin connection (kafka_admin.h)
 * for a decommission, a rebalance, or a decommission called off, and
 * writes status.rebalance and Events.
 *
 * While a decommission moves replicas, w->c.replicas is held at the
 * StatefulSet's size, so everything else of the spec applies at the size
 * the cluster has, and the status says Reconciled=False, Decommissioning.
 * A plan that cannot be made (a topic's replication factor above the
 * brokers that stay) refuses the scale-down (ScaleDownBlocked), as does a
 * cluster that cannot be asked (ScaleDownUnverified). No move starts while
 * a broker that stays is stopping or its broker container is not running
 * (a drain, a roll): the moves in flight go on, new ones wait. The first
 * step of a rebalance waits until every broker is Ready (registered, so
 * the plan counts it). */
#ifndef BERTH_OP_RECONCILE_BALANCE_H
#define BERTH_OP_RECONCILE_BALANCE_H

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

op_outcome op_run_balance(op_run *w, util_err *err);

#endif
