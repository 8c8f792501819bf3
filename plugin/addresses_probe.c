/* The dialling of `addresses --check` (see addresses_check.h): each
 * advertised address reached as a client would reach it, plaintext or
 * with TLS verified against the cluster CA, asked for Metadata and judged. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addresses_check.h"
#include "kafka/dial.h"
#include "operator/cluster_tls.h"

/* What the check needs of one cluster, each owned. */
typedef struct probe {
    pl_cluster_doc doc;
    kafka_tls *tls;     /* the cluster CA's trust, once a listener needed it */
    bool tls_tried;     /* tls or tls_why is the answer */
    char tls_why[1024]; /* why listeners with the cluster's certificate are not checked */
} probe;

/* The cluster CA ("<cluster>-cluster-ca-cert") as TLS trust (p->tls), or
 * the reason it cannot be had (p->tls_why), asked once. */
static void get_cluster_tls(const pl_ctx *ctx, const char *cluster, probe *p)
{
    char *ca_pem = NULL;
    util_err err = {{0}};

    if (p->tls_tried)
        return;
    p->tls_tried = true;
    if (pl_cluster_ca_get(ctx, cluster, &ca_pem, &err) == 0) {
        /* Verifies as a client would: the CA, the host dialled, no client
         * certificate (the client listeners ask for none). */
        kafka_tls_opts to = {.ca_pem = ca_pem};

        if (kafka_tls_new(&to, &p->tls, &err) != 0)
            util_err_prefix(&err, "the cluster CA (Secret %s/%s" OP_CA_CERT_SUFFIX ")",
                            ctx->namespace, cluster);
        free(ca_pem);
    }
    if (p->tls == NULL)
        snprintf(p->tls_why, sizeof p->tls_why, "SSL with the cluster's certificate: %s", err.msg);
}

/* Dials hostport (tls NULL: plaintext), asks it for Metadata of brokers
 * only and judges the answer for broker id into detail. */
static pl_check_verdict dial_and_judge(const char *hostport, int32_t id, kafka_tls *tls,
                                       char *detail, size_t size)
{
    static const char *const no_topics[1] = {NULL};
    kafka_metadata_request req = {.topics = no_topics, .n_topics = 0};
    kafka_dial_opts o = {.connect_timeout_ms = PL_CHECK_TIMEOUT_MS,
                         .call_timeout_ms = PL_CHECK_TIMEOUT_MS,
                         .client_id = PL_LINK_CLIENT_ID,
                         .tls = tls};
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    kafka_metadata *md = NULL;
    util_err err = {{0}};
    pl_check_verdict v = PL_CHECK_UNREACHABLE;

    if (kafka_dial(hostport, &o, &c, &av, &err) == 0 &&
        kafka_metadata_call(c, av, &req, PL_CHECK_TIMEOUT_MS, &md, &err) == 0)
        v = pl_check_judge(md, id, hostport, detail, size);
    else
        snprintf(detail, size, "%s", err.msg);
    kafka_metadata_free(md);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return v;
}

/* Checks broker b's address on listener l (a member of its "listeners")
 * into check; true when the verdict is a problem. */
static bool check_one(const pl_ctx *ctx, const char *cluster, probe *p, const cJSON *b,
                      const cJSON *l, cJSON *check)
{
    const cJSON *id = pl_member(b, "id");
    char detail[1024] = "";
    pl_check_verdict v = PL_CHECK_NOT_CHECKED;
    cJSON *e;

    switch (pl_check_how(&p->doc, l->string, detail, sizeof detail)) {
    case PL_DIAL_CLUSTER_TLS:
        get_cluster_tls(ctx, cluster, p);
        if (p->tls == NULL) {
            snprintf(detail, sizeof detail, "%s", p->tls_why);
            break;
        }
        /* fall through */
    case PL_DIAL_PLAINTEXT:
        if (!cJSON_IsString(l) || !cJSON_IsNumber(id))
            snprintf(detail, sizeof detail, "the status gives no address or no broker id");
        else
            v = dial_and_judge(l->valuestring, (int32_t)id->valueint, p->tls, detail,
                               sizeof detail);
        break;
    case PL_DIAL_NONE:
        break;
    }
    e = cJSON_AddObjectToObject(check, l->string);
    cJSON_AddStringToObject(e, "result", pl_check_verdict_name(v));
    if (detail[0] != '\0')
        cJSON_AddStringToObject(e, "detail", detail);
    return v != PL_CHECK_OK && v != PL_CHECK_NOT_CHECKED;
}

int pl_addresses_check(const pl_ctx *ctx, cJSON *report, const char *only, util_err *err)
{
    const char *cluster = pl_str(report, "cluster");
    pl_ctx in_ns = *ctx;
    probe p = {0};
    char names[PL_DOC_LISTENERS_MAX * 66];
    cJSON *b;
    bool known = only == NULL;
    int bad = 0, checked = 0;

    in_ns.namespace = pl_str(report, "namespace");
    if (pl_cluster_doc_get(&in_ns, cluster, &p.doc, err) != 0)
        return -1;
    for (int i = 0; i < p.doc.nlisteners && !known; i++)
        known = strcmp(p.doc.listeners[i].name, only) == 0;
    if (!known)
        return util_err_set(err, "KafkaCluster %s/%s has no listener \"%s\" (its listeners: %s)",
                            in_ns.namespace, cluster, only,
                            pl_cluster_doc_listeners(&p.doc, names, sizeof names));
    cJSON_ArrayForEach(b, pl_member(report, "brokers"))
    {
        const cJSON *l;
        cJSON *check = cJSON_AddObjectToObject(b, "check");

        cJSON_ArrayForEach(l, pl_member(b, "listeners"))
        {
            if (only != NULL && strcmp(l->string, only) != 0)
                continue;
            bad += check_one(&in_ns, cluster, &p, b, l, check);
            checked++;
        }
    }
    if (checked == 0)
        fprintf(stderr, "kubectl-berth: KafkaCluster %s/%s: the status gives no address to check\n",
                in_ns.namespace, cluster);
    kafka_tls_free(p.tls);
    return bad;
}
