/* Building the desired objects of one reconcile (see
 * reconcile_build.h). */
#include "reconcile_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "desired.h"
#include "kube/object.h"
#include "reconcile_status.h"
#include "util/log.h"

static void add_all(cJSON *dst, cJSON *src)
{
    cJSON *e;

    while (src != NULL && (e = cJSON_DetachItemViaPointer(src, src->child)) != NULL)
        cJSON_AddItemToArray(dst, e);
    cJSON_Delete(src);
}

/* The cluster ID: the one the brokers ConfigMap records (the brokers were
 * formatted with it), else spec.clusterID, else the one in status, else a
 * new one. REFUSED when they disagree or the ConfigMap's is unreadable. */
static op_outcome choose_cluster_id(op_run *w, const cJSON *brokers_cm, util_err *err)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(w->cr, "status");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(st, "clusterID");
    char msg[256];
    int rc;

    if (w->c.flavor != OP_FLAVOR_KAFKA)
        return OP_RECONCILE_DONE;
    if (brokers_cm != NULL) {
        rc = op_brokers_cm_cluster_id(brokers_cm, w->cluster_id, sizeof w->cluster_id);
        if (rc < 0) {
            snprintf(msg, sizeof msg,
                     "ConfigMap %s-brokers holds no valid clusterID; fix or "
                     "delete it",
                     w->c.name);
            return op_run_refuse(w, OP_REASON_CLUSTER_ID_UNREADABLE, msg, err);
        }
        w->have_id = rc == 0;
    }
    if (w->have_id && w->c.cluster_id != NULL && strcmp(w->c.cluster_id, w->cluster_id) != 0) {
        snprintf(msg, sizeof msg,
                 "spec.clusterID %s differs from %s, the ID the brokers were formatted with",
                 w->c.cluster_id, w->cluster_id);
        return op_run_refuse(w, OP_REASON_CLUSTER_ID_MISMATCH, msg, err);
    }
    if (w->have_id)
        return OP_RECONCILE_DONE;
    if (w->c.cluster_id != NULL)
        snprintf(w->cluster_id, sizeof w->cluster_id, "%s", w->c.cluster_id);
    else if (cJSON_IsString(sid) && strlen(sid->valuestring) == 22)
        snprintf(w->cluster_id, sizeof w->cluster_id, "%s", sid->valuestring);
    else if (op_cluster_id_new(w->cluster_id, sizeof w->cluster_id, err) != 0)
        return OP_RECONCILE_RETRY;
    w->have_id = true;
    return OP_RECONCILE_DONE;
}

/* The voters whose pod is Ready now, as a bit mask. */
static unsigned ready_voters(const op_run *w)
{
    unsigned m = 0;

    for (int id = 0; id < w->c.controllers && id < 9; id++)
        if (kube_pod_ready(op_broker_pod(&w->c, w->pods, id)))
            m |= 1u << id;
    return m;
}

/* The voter ids of the annotation berth.io/reformat-voter ("1" or "0,2"),
 * as a bit mask; ids that are not voters are ignored with a warning. */
static unsigned reformat_annotation(const op_run *w)
{
    const char *v = kube_meta_annotation(w->cr, OP_REFORMAT_ANNOTATION);
    unsigned mask = 0;
    const char *p;

    if (v == NULL)
        return 0;
    for (p = v; *p != '\0';) {
        char *end;
        long id = strtol(p, &end, 10);

        if (end == p || id < 0 || id >= w->c.controllers) {
            util_warn("%s/%s: annotation %s: \"%.32s\" is not a list of voter ids (0..%d)",
                      w->c.namespace, w->c.name, OP_REFORMAT_ANNOTATION, v, w->c.controllers - 1);
            return 0;
        }
        mask |= 1u << id;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            return 0;
    }
    return mask;
}

/* The cluster CA's Secrets, first in w->desired: init steps wait for
 * their broker's certificate in them. REFUSED when the live CA cannot be
 * used or a Secret of its names is someone else's. */
static op_outcome build_tls(op_run *w, util_err *err)
{
    char ca_name[OP_NAME_MAX + 32], certs_name[OP_NAME_MAX + 32], msg[UTIL_ERR_MAX + 128];
    cJSON *live_ca = NULL, *live_certs = NULL, *secrets;
    util_err terr = {{0}};
    op_outcome o;
    int rc;

    op_cluster_tls_ca_secret(&w->c, ca_name, sizeof ca_name);
    op_name(&w->c, OP_CERTS_SECRET_SUFFIX, certs_name, sizeof certs_name);
    if (w->lister->get(w->lister, "v1", "secrets", w->c.namespace, ca_name, &live_ca, err) < 0 ||
        w->lister->get(w->lister, "v1", "secrets", w->c.namespace, certs_name, &live_certs, err) <
            0) {
        cJSON_Delete(live_ca);
        return OP_RECONCILE_RETRY;
    }
    /* A CA key in a Secret berth did not write is never trusted, nor
     * reported as an invalid CA: it is a name conflict (unless the spec
     * names it as the user's CA). */
    o = w->c.ca_secret != NULL ? OP_RECONCILE_DONE
                               : op_run_refuse_foreign(w, live_ca, "Secret", ca_name, err);
    if (o == OP_RECONCILE_DONE)
        o = op_run_refuse_foreign(w, live_certs, "Secret", certs_name, err);
    if (o != OP_RECONCILE_DONE) {
        cJSON_Delete(live_ca);
        cJSON_Delete(live_certs);
        return o;
    }
    rc = op_cluster_tls_build(&w->c, w->opts->cluster_domain, &w->opts->certs, live_ca, live_certs,
                              w->pods, w->nodes, w->services, (long long)time(NULL), &w->tls,
                              &secrets, &terr);
    if (rc == 0 && w->tls.need_whole) {
        /* The cache holds a summary of it (secret_summary.h); the Secret
         * about to be written needs its values. */
        op_api_lister api;

        cJSON_Delete(live_certs);
        live_certs = NULL;
        op_api_lister_init(&api, w->client, w->metrics);
        if (api.base.get(&api.base, "v1", "secrets", w->c.namespace, certs_name, &live_certs, err) <
            0) {
            cJSON_Delete(live_ca);
            return OP_RECONCILE_RETRY;
        }
        rc = op_cluster_tls_build(&w->c, w->opts->cluster_domain, &w->opts->certs, live_ca,
                                  live_certs, w->pods, w->nodes, w->services, (long long)time(NULL),
                                  &w->tls, &secrets, &terr);
    }
    cJSON_Delete(live_ca);
    cJSON_Delete(live_certs);
    if (rc > 0) {
        snprintf(msg, sizeof msg, "Secret %s%s: %s", ca_name,
                 w->c.ca_secret != NULL ? " (spec.clusterCA)" : "", terr.msg);
        return op_run_refuse(w, OP_REASON_CLUSTER_CA_INVALID, msg, err);
    }
    if (rc < 0) {
        util_err_set(err, "cluster CA: %s", terr.msg);
        return OP_RECONCILE_RETRY;
    }
    if (w->tls.reissued > 0)
        util_info("%s/%s: issued %d certificate%s (first %s)", w->c.namespace, w->c.name,
                  w->tls.reissued, w->tls.reissued == 1 ? "" : "s", w->tls.why);
    add_all(w->desired, secrets);
    return OP_RECONCILE_DONE;
}

/* Builds the desired objects in apply order (reconcile.h, step 3: the
 * first failed apply stops there): the CA's Secrets, the sidecar's
 * identity, then its data, the Services, the StatefulSet, the budget. */
op_outcome op_run_build(op_run *w, const cJSON *brokers_cm, util_err *err)
{
    const char *id = w->c.flavor == OP_FLAVOR_KAFKA ? w->cluster_id : NULL;
    cJSON *o;
    util_err berr = {{0}};
    op_outcome out;

    if ((out = choose_cluster_id(w, brokers_cm, err)) != OP_RECONCILE_DONE)
        return out;
    w->desired = cJSON_CreateArray();
    if ((out = build_tls(w, err)) != OP_RECONCILE_DONE)
        return out;
    add_all(w->desired, op_desired_rbac(&w->c, &berr));
    if ((o = op_desired_brokers_cm(&w->c, w->opts, id, w->nodes, w->services, &berr)) == NULL)
        return op_run_refuse(w, OP_REASON_INVALID_SPEC, berr.msg, err);
    if (w->c.flavor == OP_FLAVOR_KAFKA) {
        op_voters v = {0, 0};
        unsigned ready = ready_voters(w);

        if (brokers_cm != NULL)
            op_brokers_cm_voters(brokers_cm, &v);
        v.formatted |= ready;
        w->reformat_asked = reformat_annotation(w);
        v.reformat = w->reformat_asked & ~ready;
        w->reformat_done = w->reformat_asked != 0 && v.reformat == 0;
        if (op_brokers_cm_voters_put(o, &v, &berr) != 0) {
            cJSON_Delete(o);
            util_err_set(err, "%s", berr.msg);
            return OP_RECONCILE_RETRY;
        }
    }
    cJSON_AddItemToArray(w->desired, o);
    add_all(w->desired, op_desired_drain(&w->c, &berr));
    add_all(w->desired, op_desired_services(&w->c, &berr));
    if ((o = op_desired_statefulset(&w->c, w->opts, &berr)) == NULL)
        return op_run_refuse(w, OP_REASON_INVALID_SPEC, berr.msg, err);
    cJSON_AddItemToArray(w->desired, o);
    cJSON_AddItemToArray(w->desired, op_desired_pdb(&w->c, &berr));
    return OP_RECONCILE_DONE;
}
