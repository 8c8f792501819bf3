/* reconcile's last step and its refusals: the status written through the
 * status subresource only when it changed, the Events for what changed in
 * it, and the ownership check that refuses to write an object berth did
 * not create (see reconcile.h, step 2). */
#ifndef BERTH_OP_RECONCILE_STATUS_H
#define BERTH_OP_RECONCILE_STATUS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Whether live, the object kind/name as the server holds it (NULL or a
 * JSON null when there is none), may be applied by the KafkaCluster whose
 * uid is uid: 0 when it is absent or that cluster's controller owner
 * reference is on it; 1 when it is someone else's (another controller, or
 * none at all), with a message for the Reconciled condition in msg. */
int op_owner_conflict(const cJSON *live, const char *uid, const char *kind, const char *name,
                      char *msg, size_t size);

/* Reports a refusal in status (Reconciled=False, reason's name, message)
 * without applying anything: retrying cannot help until the spec or the
 * cluster changes. The table's outcome for reason, or RETRY when the
 * status could not be written. */
op_outcome op_run_refuse(op_run *w, op_reason reason, const char *message, util_err *err);

/* Refuses (NameConflict) when live, the object kind/name, is not this
 * cluster's to write (op_owner_conflict); DONE otherwise. */
op_outcome op_run_refuse_foreign(op_run *w, const cJSON *live, const char *kind, const char *name,
                                 util_err *err);

/* Builds the status from what this run observed and did, writes it if it
 * changed, and sets how soon to look again (outcome.h's waits). DONE, or
 * RETRY when the write failed. */
op_outcome op_run_report(op_run *w, util_err *err);

#endif
