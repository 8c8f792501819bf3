/* The two steps of reconcile that make image changes Kafka upgrades (the
 * decisions are upgrade.h's): the downgrade guard before anything is
 * applied, and, once a roll has finished, raising metadata.version and
 * reporting it in status.kafka. Internal to the reconcile files. */
#ifndef BERTH_OP_RECONCILE_UPGRADE_H
#define BERTH_OP_RECONCILE_UPGRADE_H

#include "outcome.h"
#include "reconcile_run.h"
#include "util/err.h"

/* Refuses (Reconciled=False, DowngradeRefused, a Warning Event; nothing
 * applied) a spec.image whose Kafka release supports less than the
 * metadata.version status.kafka says the cluster has finalized, while the
 * StatefulSet runs another image. */
op_outcome op_run_guard_downgrade(op_run *w, util_err *err) UTIL_MUST_CHECK;

/* Sets w->kafka: status.kafka with the releases the broker pods run; once
 * the roll onto spec.image has finished and metadata.version was not yet
 * read under it (or spec.metadataVersion asks for more), asks every broker
 * (ApiVersions) and raises metadata.version (UpdateFeatures, UPGRADE) when
 * op_mv_decide says so, with an Event. A broker that cannot be asked is
 * logged and asked again at the next reconcile; it never fails this one. */
void op_run_upgrade(op_run *w);

#endif
