/* What one reconcile works on, shared by its steps: the KafkaCluster as
 * read, the cluster's state read with it, the desired objects and their
 * live counterparts, and the result being counted. reconcile.c runs the
 * steps in order; each lives in the file of its job:
 *
 *   reconcile_read.c    what the cluster looks like now
 *   reconcile_balance.c partitions moved for a scale-down or a rebalance
 *   reconcile_build.c   the desired objects (cluster ID, CA, voters)
 *   reconcile_config.c  spec.config changes: applied live, or a roll
 *   reconcile_apply.c   the scale-down guard, applies, prunes, cleanups
 *   reconcile_storage.c a new storage size: claims grown, StatefulSet re-created
 *   reconcile_upgrade.c the downgrade guard; metadata.version after a roll
 *   reconcile_status.c  the status written, refusals, ownership checks
 *
 * Each step returns OP_RECONCILE_DONE when its part is done and the next
 * may run; any other outcome (outcome.h) ends the reconcile with it.
 * Internal to the reconcile files. */
#ifndef BERTH_OP_RECONCILE_RUN_H
#define BERTH_OP_RECONCILE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cluster.h"
#include "cluster_tls.h"
#include "desired.h"
#include "kafka_admin.h"
#include "kube/client.h"
#include "kube/events.h"
#include "lister.h"
#include "outcome.h"
#include "util/err.h"
#include "util/metrics.h"

/* Where a kind berth owns lives in the API. */
typedef struct op_kind {
    const char *kind;
    const char *api_version;
    const char *resource;
} op_kind;

typedef struct op_run {
    /* What op_reconcile was given; borrowed. */
    kube_client *client;
    op_lister *lister;
    const op_options *opts;
    util_metrics *metrics;       /* may be NULL */
    kube_event_recorder *events; /* may be NULL */
    op_reconcile_result *res;

    /* Owned; op_run_free frees them. */
    cJSON *cr;
    op_cluster c;
    cJSON *nodes, *pods, *services;
    cJSON *desired;     /* array, in apply order */
    cJSON *live;        /* array parallel to desired: the object or null */
    op_cluster_tls tls; /* the cluster CA and when each broker's certificate was issued */

    char cluster_id[23];
    bool have_id;
    char now[32];            /* RFC 3339, for condition transitions */
    unsigned reformat_asked; /* voters named by berth.io/reformat-voter */
    bool reformat_done;      /* ... and every one of them is Ready again */

    /* The first apply that failed (reconcile_apply.c): its reason and
     * message go to status, the reason's outcome ends the reconcile. */
    bool apply_failed;
    op_reason apply_reason;
    char apply_message[UTIL_ERR_MAX];
    /* A spec.storage.size not applied (reconcile_storage.c): its reason
     * (StorageShrinkRefused, StorageNotExpandable, ApplyFailed) and message
     * go to status when every apply took; the rest was applied. sts_held:
     * the StatefulSet is being deleted to be created again with the new
     * claim size, so this pass leaves it out. */
    bool storage_failed;
    op_reason storage_reason;
    char storage_message[UTIL_ERR_MAX + 128];
    bool sts_held;
    /* status.storage.resizing: the claims asked to grow whose volume is
     * still smaller (storage.h); NULL or empty: none. Owned. */
    cJSON *storage_resizing;
    /* status.config (reconcile_config.h), owned; NULL: none. */
    cJSON *config_status;
    /* A broker restart under way (readdress.h), for status; "" if none. */
    char restart[4096];
    /* status.kafka to write (reconcile_upgrade.c), owned; NULL: none. */
    cJSON *kafka;
    /* status.rebalance to write (reconcile_balance.c), owned; NULL: none.
     * decommissioning: moves hold the StatefulSet at its size (c.replicas
     * is the live size then);
     * leaving_empty: the mover found the leaving brokers empty, so the
     * scale-down guard need not ask again. */
    cJSON *rebalance;
    bool decommissioning;
    bool leaving_empty;
    char balance_message[640];
} op_run;

void op_run_free(op_run *w);

/* Looks again after wait's delay (op_reason_get), or sooner if a step
 * asked for sooner. */
void op_run_requeue(op_run *w, op_reason wait);

/* +1 to berth_operator_api_requests_total{verb}. */
void op_run_count(op_run *w, const char *verb);

/* An Event on the KafkaCluster (none without a recorder or before it was
 * read). */
void op_run_event(op_run *w, kube_event_type type, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The kind of obj among those berth owns (borrowed, static), or NULL. */
const op_kind *op_run_kind(const cJSON *obj);

/* The API path of obj, a kind berth owns. 0, or -1. */
int op_run_object_path(const cJSON *obj, char *path, size_t size);

/* The live object of the desired kind named name (any name when NULL),
 * borrowed from w->live; NULL when it does not exist yet. */
const cJSON *op_run_live_of(const op_run *w, const char *kind, const char *name);

/* op_admin_open to broker `broker` of the cluster (or the admin-bootstrap
 * annotation's address, when the operator honours it), with answers up to
 * max_frame_bytes (0: the default). *out for op_admin_free. */
int op_run_admin_open(const op_run *w, int broker, size_t max_frame_bytes, op_admin **out,
                      util_err *err) UTIL_MUST_CHECK;

#endif
