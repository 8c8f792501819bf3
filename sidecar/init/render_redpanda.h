/* The Redpanda writer: redpanda.yaml and .bootstrap.yaml from a resolved
 * model (render.c calls them). */
#ifndef BERTH_SIDECAR_INIT_RENDER_REDPANDA_H
#define BERTH_SIDECAR_INIT_RENDER_REDPANDA_H

#include "init/model.h"
#include "util/buf.h"

/* They cannot fail except by running out of memory, which out records. */
void sc_render_redpanda(const sc_model *m, util_buf *out);
void sc_render_redpanda_bootstrap(const sc_model *m, util_buf *out);

#endif
