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
#include "util/buf.h"

int sc_render(const sc_render_input *in, sc_render_result *out, util_err *err)
{
    util_buf why = UTIL_BUF_INIT(UTIL_BUF_NOMAX), text = UTIL_BUF_INIT(UTIL_BUF_NOMAX);
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
    if (why.len > 0 || why.fail != UTIL_BUF_OK) {
        util_err_set(err, "%s", why.fail != UTIL_BUF_OK ? "out of memory" : why.data);
        rc = why.fail != UTIL_BUF_OK ? -1 : SC_RENDER_WAITING;
        goto out;
    }
    for (size_t i = 0; i < m.nlisteners; i++)
        if (m.listeners[i].cluster_cert)
            snprintf(out->cert_hosts[out->ncert_hosts++], sizeof out->cert_hosts[0], "%s",
                     m.listeners[i].adv_host);

    if (m.flavor == SC_FLAVOR_KAFKA) {
        util_buf jvm = UTIL_BUF_INIT(UTIL_BUF_NOMAX);

        sc_render_kafka(&m, &text);
        sc_render_kafka_java_security(&m, &jvm);
        out->java_security = util_buf_take(&jvm);
        if (out->java_security == NULL) {
            util_err_set(err, "rendering: out of memory");
            goto out;
        }
    } else {
        util_buf boot = UTIL_BUF_INIT(UTIL_BUF_NOMAX);

        sc_render_redpanda(&m, &text);
        sc_render_redpanda_bootstrap(&m, &boot);
        out->bootstrap = util_buf_take(&boot);
        if (out->bootstrap == NULL) {
            util_err_set(err, "rendering: out of memory");
            goto out;
        }
    }
    out->text = util_buf_take(&text);
    if (out->text == NULL) {
        util_err_set(err, "rendering: out of memory");
        goto out;
    }
    rc = 0;
out:
    util_buf_reset(&why);
    util_buf_reset(&text);
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
