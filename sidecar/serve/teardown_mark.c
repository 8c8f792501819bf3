/* Reads the operator's deletion mark for run's drain gate; see
 * teardown_mark.h. */
#include "serve/teardown_mark.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "drain/ledger_store.h"
#include "kube/client.h"

struct sc_teardown {
    kube_client *kube;
    char *ns, *cluster;
    char ledger[300]; /* "<cluster>-drain" */
};

int sc_teardown_new(const kube_config *kc, const char *ns, const char *cluster, sc_teardown **out,
                    util_err *err)
{
    kube_client_options o = {.timeout_ms = SC_TEARDOWN_TIMEOUT_MS};
    sc_teardown *t;

    *out = NULL;
    if (kc == NULL || cluster == NULL || (ns == NULL && kc->namespace == NULL))
        return util_err_set(err, "teardown check: API config, namespace and cluster are needed");
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return util_err_set(err, "teardown check: out of memory");
    t->ns = strdup(ns != NULL ? ns : kc->namespace);
    t->cluster = strdup(cluster);
    if (t->ns == NULL || t->cluster == NULL) {
        sc_teardown_free(t);
        return util_err_set(err, "teardown check: out of memory");
    }
    if (drain_ledger_configmap(t->ledger, sizeof t->ledger, cluster) < 0) {
        sc_teardown_free(t);
        return util_err_set(err, "teardown check: cluster name too long: %s", cluster);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before the first client, as the engines do */
    if (kube_client_new(kc, &o, &t->kube, err) != 0) {
        sc_teardown_free(t);
        return util_err_prefix(err, "teardown check");
    }
    *out = t;
    return 0;
}

void sc_teardown_free(sc_teardown *t)
{
    if (t == NULL)
        return;
    kube_client_free(t->kube);
    free(t->ns);
    free(t->cluster);
    free(t);
}

int sc_teardown_check(void *user, char *what, size_t what_size)
{
    sc_teardown *t = user;
    util_err err = {{0}};
    bool marked = false;

    if (drain_ledger_teardown(t->kube, t->ns, t->ledger, &marked, &err) < 0) {
        snprintf(what, what_size, "%s", err.msg);
        return -1;
    }
    snprintf(what, what_size, "%s", t->cluster);
    return marked ? 1 : 0;
}
