/* Brokers whose advertised address moved under them. KRaft registers a
 * broker's endpoints once, at start-up, so a node address that changes, or
 * a load balancer's ingress assigned late or changed, cannot be applied to
 * a running broker: that one broker has to restart, and its init step then
 * renders the new address. The restart goes through the Eviction API, so
 * the PodDisruptionBudget and the preStop drain apply as for any other
 * voluntary restart.
 *
 * To know what a running pod advertises, the operator pins the address
 * fingerprint (op_address_fingerprint) on each broker pod as the annotation
 * berth.io/advertised when it first sees the pod scheduled. It does so as
 * early as it can, normally before the pod's init step has rendered; if the
 * address changes in between, the fingerprint is the older one and the pod
 * is restarted once more than needed, never once too few. A pod already
 * running when the operator first sees it (an operator restart) is taken
 * to advertise the current address.
 *
 * A broker whose certificate for the cluster's mutual TLS was issued after
 * its init step took one (renewal, or the names it must carry changed:
 * cluster_tls.h) restarts the same way, to start with the current one.
 *
 * One broker at a time: no eviction while another broker pod is missing or
 * being deleted, nor while the StatefulSet rolls its pods (or is about to:
 * a spec change that moves addresses often changes the pod template too).
 * The roll stops one broker after another without asking the
 * PodDisruptionBudget, and an eviction beside it would be a second broker
 * down; a pod the roll replaces starts with the new address anyway. */
#ifndef BERTH_OP_READDRESS_H
#define BERTH_OP_READDRESS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "cluster.h"
#include "kube/client.h"
#include "util/err.h"
#include "util/metrics.h"

#define OP_ADVERTISED_ANNOTATION "berth.io/advertised"

/* What a broker pod needs, decided purely from what was observed. */
typedef enum op_readdress_action {
    OP_READDRESS_NONE,     /* fingerprint pinned and current, or unknowable now */
    OP_READDRESS_ANNOTATE, /* pin the current fingerprint */
    OP_READDRESS_EVICT,    /* the pinned address moved: restart the broker */
    OP_READDRESS_RECERT,   /* it runs with an older certificate: restart it */
} op_readdress_action;

/* The action for broker id's pod (NULL: none yet). current is the
 * fingerprint computed now, or NULL when an address is not known yet;
 * cert_issued when the broker's current certificate was issued (Unix
 * seconds; negative: unknown). */
op_readdress_action op_readdress_decide(const cJSON *pod, const char *current,
                                        long long cert_issued);

/* Applies the decisions for every broker pod of c: annotates, and evicts at
 * most one, none while rolling (the StatefulSet's roll is under way or
 * about to start). cert_issued holds c->replicas issue times
 * (cluster_tls.h), or is NULL. *writes counts the requests sent. When a restart is under way,
 * msg (size bytes) says which broker and why, and 2 is returned if the
 * eviction was just made, 1 if it waits; 0 when none is under way; -1 on
 * failure with err set. metrics may be NULL. */
int op_readdress(kube_client *client, util_metrics *metrics, const op_cluster *c,
                 const char *domain, const cJSON *pods, const cJSON *nodes, const cJSON *services,
                 const long long *cert_issued, bool rolling, int *writes, char *msg, size_t size,
                 util_err *err) UTIL_MUST_CHECK;

#endif
