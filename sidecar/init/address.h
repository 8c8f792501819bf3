/* Address resolution (docs/addressing.md): fills what each listener of the
 * model advertises, from its host template, its load balancer's ingress in
 * brokers.json or its node's address in nodes.json; the internal listener
 * advertises the pod DNS name. An address not known yet is a reason to
 * wait, not an error. */
#ifndef BERTH_SIDECAR_INIT_ADDRESS_H
#define BERTH_SIDECAR_INIT_ADDRESS_H

#include "init/model.h"
#include "util/buf.h"
#include "util/err.h"

/* Appends one reason to wait to the list in *why ("; " between them). */
void sc_wait_for(util_buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills each listener's advertised host and port from m->node and
 * m->broker (either may be NULL: absent). Addresses not known yet go to
 * why; wrong ones are errors (-1). */
int sc_address_resolve(sc_model *m, util_buf *why, util_err *err);

#endif
