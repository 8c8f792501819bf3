/* reconcile's storage growth step (see storage.h for the steps and why):
 * runs after the live objects are read and before anything is applied. */
#ifndef BERTH_OP_RECONCILE_STORAGE_H
#define BERTH_OP_RECONCILE_STORAGE_H

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Brings a new spec.storage.size to the claims and the StatefulSet when
 * the live claim template asks for another size: grows the claims and
 * re-creates the StatefulSet with its pods orphaned, if the claims'
 * StorageClass allows volume expansion. Otherwise (a shrink, a class that
 * cannot expand, a step that failed) the desired StatefulSet keeps the
 * live size and w->storage_* say why, for status; the other changes still
 * apply. While the StatefulSet is being deleted it is taken out of
 * w->desired and w->live (w->sts_held), to be created on a later pass.
 * w->storage_resizing gets the claims asked to grow whose volume is still
 * smaller (status.storage.resizing); claims are read again for it only
 * while the last status listed some.
 * Always DONE: nothing here holds back the rest of the reconcile. */
op_outcome op_run_storage(op_run *w, util_err *err);

#endif
