/* reconcile's writes to owned objects (see reconcile.h, steps 3 and 4): the
 * scale-down guard that may hold everything back, server-side apply of
 * each desired object that differs from its live counterpart, the pruning
 * of per-broker Services no longer wanted, and the cleanups after a change
 * took (the reformat annotation, drain-ledger entries of removed ids). */
#ifndef BERTH_OP_RECONCILE_APPLY_H
#define BERTH_OP_RECONCILE_APPLY_H

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Refuses a scale-down while the leaving brokers hold partition replicas
 * (scale_down.h): REFUSED (ScaleDownBlocked, or ScaleDownUnverified when
 * that cannot be checked); DONE when the StatefulSet does not shrink or
 * they hold none. */
op_outcome op_run_guard_scale_down(op_run *w, util_err *err);

/* Applies, in w->desired's order (reconcile.h, step 3), each desired
 * object whose berth-owned fields differ (op_subset) from its live
 * counterpart; the rest get no request. Stops at the first apply that
 * fails: the objects after it are not written this time (they may depend
 * on it, and the StatefulSet comes after everything its pods use). Its
 * reason (NodePortConflict, Invalid, ApplyFailed) and a message naming
 * the object with the API server's answer go to w->apply_*. 0, or -1
 * when one failed. */
int op_run_apply(op_run *w);

/* Deletes berth's per-broker Services that are no longer wanted. 0, or -1
 * with err. */
int op_run_prune(op_run *w, util_err *err);

/* Removes berth.io/reformat-voter once every voter it named is Ready
 * again: the recovery is over, and a later empty volume is refused again.
 * 0, or -1 with err. */
int op_run_clear_reformat(op_run *w, util_err *err);

/* Drops the drain-ledger entries of broker ids the cluster no longer has
 * (ledger_gc.h); asks the API server only when the cached ledger names
 * one. 0, or -1 with err. */
int op_run_clean_ledger(op_run *w, util_err *err);

#endif
