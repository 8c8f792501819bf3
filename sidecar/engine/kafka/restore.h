/* Restore of one Kafka broker once it is back after its drain (drain.h
 * tells the whole story): engine.h calls it from the readiness check. */
#ifndef BERTH_SIDECAR_ENGINE_KAFKA_RESTORE_H
#define BERTH_SIDECAR_ENGINE_KAFKA_RESTORE_H

#include "engine/kafka/io.h"
#include "util/err.h"

/* Restores ctx's broker after a restart, by deadline_ms. 0 when the ledger
 * no longer demotes it and it leads every partition it is the preferred
 * replica of; SC_KAFKA_INCOMPLETE when the deadline came first (err says
 * what is left); -1 on failure. */
int sc_kafka_restore(const sc_kafka_ctx *ctx, long long deadline_ms, sc_kafka_progress_fn progress,
                     void *arg, util_err *err);

#endif
