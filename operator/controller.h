/* The controller loop, in the shape of sample-controller's controller.go:
 *
 *   informers (or, with them off, a list of KafkaClusters every --resync
 *   seconds) → work queue → workers → op_reconcile(key)
 *
 * A worker hands each key to op_reconcile and acts on its outcome
 * (reconcile.h): a transient failure is queued again with backoff, a
 * cluster not converged yet after the delay reconcile asked for, the rest
 * are forgotten until something changes or the next resync.
 *
 * main.c decides when it runs (at once, or while holding the leader Lease)
 * and serves the probes; this file owns the queue, the informers and the
 * threads between op_controller_start and op_controller_stop. */
#ifndef BERTH_OP_CONTROLLER_H
#define BERTH_OP_CONTROLLER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "desired.h"
#include "kube/config.h"
#include "kube/events.h"
#include "util/err.h"
#include "util/metrics.h"

/* The most workers --workers may ask for. */
#define OP_CONTROLLER_MAX_WORKERS 16

typedef struct op_controller_config {
    const kube_config *cfg;      /* borrowed; outlives the controller */
    const char *namespace;       /* NULL: all namespaces */
    op_options opts;             /* strings borrowed */
    int workers;                 /* 1..OP_CONTROLLER_MAX_WORKERS */
    int resync_s;                /* KafkaClusters are queued again this often */
    bool use_informers;          /* else: list every resync_s and read from the API */
    util_metrics *metrics;       /* borrowed; the caller defined berth_operator_* */
    kube_event_recorder *events; /* borrowed; may be NULL */
    /* Set true once the controller has seen the cluster's KafkaClusters
     * (the first list, or informers started), for /readyz. Borrowed; may
     * be NULL. */
    atomic_bool *ready;
} op_controller_config;

typedef struct op_controller op_controller;

/* A stopped controller with cfg's settings (copied). Returns 0, or -1 with
 * err set. */
int op_controller_new(const op_controller_config *cfg, op_controller **out,
                      util_err *err) UTIL_MUST_CHECK;

/* Starts the queue, the informers or resync, and the workers; nothing when
 * it already runs or op_controller_stop was called once. Thread-safe. */
void op_controller_start(op_controller *c);

/* Stops it: the queue hands out no more keys, workers finish the key in
 * hand, threads are joined. Later starts do nothing. Thread-safe. */
void op_controller_stop(op_controller *c);

/* Sets the cache gauges (op_informers_account) while the informers run;
 * nothing otherwise (or for NULL). Thread-safe. */
void op_controller_account(op_controller *c);

/* Stops and frees. NULL is a no-op. */
void op_controller_free(op_controller *c);

#endif
