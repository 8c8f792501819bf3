/* The broker configuration from the <cluster>-brokers ConfigMap (render.h):
 * the model (model.c) with every address resolved (address.c), handed to
 * the flavor's writer (render_kafka.c, render_redpanda.c). */
#include "init/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/address.h"
#include "init/render_kafka.h"
#include "init/render_redpanda.h"
#include "init/strbuf.h"

int sc_render(const sc_render_input *in, sc_render_result *out, util_err *err)
{
    sc_strbuf why = SC_STRBUF_INIT, text = SC_STRBUF_INIT;
    sc_model m;
    int rc = -1;

    memset(out, 0, sizeof *out);
    out->broker_id = -1;
    if (sc_model_parse(in, &m, out, err) != 0)
        goto out;
    if (sc_address_resolve(&m, &why, err) != 0)
        goto out;
    if (m.node == NULL)
        sc_wait_for(&why, "node \"%s\" is not in nodes.json yet", in->node_name);
    if (why.len > 0 || why.oom) {
        util_err_set(err, "%s", why.oom ? "out of memory" : why.data);
        rc = why.oom ? -1 : SC_RENDER_WAITING;
        goto out;
    }
    for (size_t i = 0; i < m.nlisteners; i++)
        if (m.listeners[i].cluster_cert)
            snprintf(out->cert_hosts[out->ncert_hosts++], sizeof out->cert_hosts[0], "%s",
                     m.listeners[i].adv_host);

    if (m.flavor == SC_FLAVOR_KAFKA) {
        sc_strbuf jvm = SC_STRBUF_INIT;

        sc_render_kafka(&m, &text);
        sc_render_kafka_java_security(&m, &jvm);
        out->java_security = sc_strbuf_take(&jvm);
        if (out->java_security == NULL) {
            util_err_set(err, "rendering: out of memory");
            goto out;
        }
    } else {
        sc_strbuf boot = SC_STRBUF_INIT;

        sc_render_redpanda(&m, &text);
        sc_render_redpanda_bootstrap(&m, &boot);
        out->bootstrap = sc_strbuf_take(&boot);
        if (out->bootstrap == NULL) {
            util_err_set(err, "rendering: out of memory");
            goto out;
        }
    }
    out->text = sc_strbuf_take(&text);
    if (out->text == NULL) {
        util_err_set(err, "rendering: out of memory");
        goto out;
    }
    rc = 0;
out:
    sc_strbuf_reset(&why);
    sc_strbuf_reset(&text);
    sc_model_clear(&m);
    return rc;
}

void sc_render_result_clear(sc_render_result *out)
{
    if (out == NULL)
        return;
    free(out->text);
    out->text = NULL;
    free(out->bootstrap);
    out->bootstrap = NULL;
    free(out->java_security);
    out->java_security = NULL;
}
