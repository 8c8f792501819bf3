/* The broker configuration a pod starts with, rendered from the cluster's
 * <cluster>-brokers ConfigMap (docs/addressing.md): Kafka's server.properties
 * or Redpanda's redpanda.yaml, with this broker's id, roles, quorum and the
 * address every listener advertises from the node the pod landed on.
 *
 * A pure function: the three documents, the pod name and the node name in,
 * text out, no I/O. The documents are checked by the model (model.h). An
 * address that is legitimately not known yet (a node the operator has not
 * described, a load balancer without ingress) is not an error but a
 * "waiting" outcome that says what is missing, so the init step can retry
 * until it appears. */
#ifndef BERTH_SIDECAR_INIT_RENDER_H
#define BERTH_SIDECAR_INIT_RENDER_H

#include "init/flavor.h"
#include "init/model.h"
#include "init/paths.h"
#include "util/err.h"

/* sc_render's outcome when an address is not known yet. */
#define SC_RENDER_WAITING 1

/* Renders the configuration of the broker in->pod_name. Returns 0 with
 * out->text set; SC_RENDER_WAITING with err saying what is missing (e.g.
 * `node "n1" has no address for listener "external" yet`); or -1 with err
 * naming the document and field that is wrong. out is always reset first. */
int sc_render(const sc_render_input *in, sc_render_result *out, util_err *err) UTIL_MUST_CHECK;

/* Frees out's texts; the struct may be reused. NULL is a no-op. */
void sc_render_result_clear(sc_render_result *out);

#endif
