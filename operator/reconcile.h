/* reconcile(key): make one KafkaCluster's owned objects and status match
 * its spec and what the cluster looks like now. Level-triggered and
 * idempotent, in the controller-runtime sense: it never remembers anything
 * between calls, reads the current state through an op_lister, and can be
 * run again at any time (after a crash mid-way, on every resync) with the
 * same result.
 *
 * The order of work, and why:
 * 1. Read the KafkaCluster; gone means nothing to do (the garbage collector
 *    removes owned objects through owner references); being deleted means
 *    a pass of teardown.h (the brokers stop together, then the finalizer
 *    goes); live means it carries the teardown finalizer.
 * 2. Check everything only the operator can check (spec parse, the cluster
 *    ID against the one the brokers were formatted with, objects of the
 *    same name that this KafkaCluster does not control) before writing
 *    anything, so a bad spec yields Reconciled=False and never a
 *    half-applied cluster. berth never takes over an object it did not
 *    create: everything it creates carries its controller owner reference
 *    from the first apply (desired_meta.c), so one without it is someone
 *    else's, and applying it would repoint it and let the garbage
 *    collector delete it with the KafkaCluster.
 * 3. A new spec.storage.size first (storage.h): a StatefulSet's claim
 *    templates cannot change in place, so the claims are grown and the
 *    StatefulSet is created again with its pods orphaned; until then, or
 *    when it may not be done, the desired StatefulSet keeps the live claim
 *    size, so the rest still applies.
 *    Then spec.config keys Kafka can change live are applied to the
 *    running brokers; the rest mark the StatefulSet's pods for a roll
 *    (reconcile_config.h). What the pods were rolled with is recorded on
 *    the StatefulSet, not remembered here.
 *    Server-side apply (field manager berth-operator, force) each desired
 *    object whose berth-owned fields differ from what the server holds;
 *    the rest get no request at all, so a no-op resync makes zero writes.
 *    The order is what each needs first: the cluster CA's Secrets, the
 *    sidecar's ServiceAccount, Role and RoleBinding, the <c>-brokers and
 *    drain ConfigMaps and the drain Lease, the Services, then the
 *    StatefulSet (its pods use all of those), then the PodDisruptionBudget.
 *    The first apply that fails stops the step: nothing after it is
 *    written, so a refused object never leaves the StatefulSet rolling
 *    onto a half-applied cluster. The status then says which object and
 *    what the API server answered (Reconciled=False, with its Event), and
 *    the reason's outcome (outcome.c) decides the retry: with the work
 *    queue's per-key backoff for ApplyFailed, at the next change or resync
 *    for a 422 no retry of the same object can fix.
 * 4. Delete per-broker Services no longer wanted (scale-down, a listener
 *    removed), only when every apply took.
 * 5. Write status through the status subresource, only if it changed.
 *
 * reconcile.c runs these steps; each lives in the file of its job
 * (reconcile_run.h). */
#ifndef BERTH_OP_RECONCILE_H
#define BERTH_OP_RECONCILE_H

#include "desired.h"
#include "kube/client.h"
#include "kube/events.h"
#include "lister.h"
#include "outcome.h"
#include "util/err.h"
#include "util/metrics.h"

typedef struct op_reconciler {
    kube_client *client;   /* writes; borrowed */
    op_lister *lister;     /* reads; borrowed */
    op_options opts;       /* strings borrowed */
    util_metrics *metrics; /* may be NULL; berth_operator_api_requests_total{verb} */
    /* may be NULL. Events are recorded only for what changed (an object
     * created, updated or deleted, a broker restarted, a condition that
     * changed status or reason), so an unchanged cluster causes none. */
    kube_event_recorder *events;
} op_reconciler;

/* Reconciles the KafkaCluster "namespace/name" and says what the caller
 * does next (outcome.h): DONE when the cluster is as it should be,
 * REQUEUE_AFTER when it is not converged yet (res->requeue_after_ms),
 * REFUSED when it was refused for a reason a retry cannot fix (the status
 * says why), RETRY with err set when something failed that a retry may
 * fix (the caller requeues with backoff). res->writes counts the write
 * requests sent. */
op_outcome op_reconcile(op_reconciler *r, const char *key, op_reconcile_result *res,
                        util_err *err) UTIL_MUST_CHECK;

#endif
