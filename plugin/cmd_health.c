/* `kubectl berth health CLUSTER`: how a cluster stands, asked of the
 * cluster itself and of the API server, then judged (health.h). One broker
 * answers for the cluster (Metadata, min.insync.replicas, the ongoing
 * reassignments, the KRaft quorum), reached through the API server's
 * port-forward with the cluster's own mutual TLS (broker_link.h): the
 * machine kubectl runs on may reach no broker address; or, with --direct,
 * at its advertised address on a client listener. The API server
 * tells the rest: the broker pods' readiness and the drain ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_ask.h"
#include "broker_link.h"
#include "drain/ledger_store.h"
#include "health.h"
#include "kube/verbs.h"
#include "output.h"
#include "plugin.h"

/* What the cluster and the API server answered; all owned. An answer
 * that could not be had is NULL with its *_err saying why. */
typedef struct answers {
    kafka_metadata *md;
    kafka_describe_configs_response **configs;
    int n_configs;
    kafka_list_partition_reassignments_response *reassign;
    util_err reassign_err;
    kafka_describe_quorum_response *quorum;
    util_err quorum_err;
    cJSON *pods;
    util_err pods_err;
    drain_ledger *ledger;
    util_err ledger_err;
} answers;

static void answers_free(answers *a)
{
    kafka_metadata_free(a->md);
    pl_min_isr_answers_free(a->configs, a->n_configs);
    kafka_list_partition_reassignments_free(a->reassign);
    kafka_describe_quorum_free(a->quorum);
    cJSON_Delete(a->pods);
    drain_ledger_free(a->ledger);
}

static const char *why(const util_err *e)
{
    return e->msg[0] != '\0' ? e->msg : NULL;
}

/* What the cluster answers on l. Metadata and min.insync.replicas are
 * needed (-1 with err without them); a call for the reassignments or the
 * quorum that fails leaves its answer NULL and says why in its *_err. */
static int ask_cluster(pl_broker_link *l, const pl_cluster_doc *doc, answers *a, util_err *err)
{
    kafka_metadata_request all = {0};

    if (kafka_metadata_call(l->conn, l->av, &all, PL_LINK_TIMEOUT_MS, &a->md, err) != 0)
        return util_err_prefix(err, "Metadata");
    if (pl_ask_min_isr(l, a->md, &a->configs, &a->n_configs, err) != 0)
        return -1;
    if (pl_ask_reassignments(l, &a->reassign, &a->reassign_err) != 0)
        a->reassign = NULL; /* a note: reassign_err says why */
    /* Redpanda keeps its own Raft groups: no KRaft quorum to describe. */
    if (strcmp(doc->flavor, "kafka") == 0 &&
        kafka_describe_quorum_call(l->conn, l->av, NULL, PL_LINK_TIMEOUT_MS, &a->quorum,
                                   &a->quorum_err) != 0)
        util_err_prefix(&a->quorum_err, "DescribeQuorum");
    return 0;
}

/* The broker pods of status.brokers into a->pods; a pod that is not there
 * is left out, and any other refusal leaves a->pods NULL with the reason. */
static void get_pods(const pl_ctx *ctx, const char *cluster, const cJSON *brokers, answers *a)
{
    const cJSON *b;

    a->pods = cJSON_CreateArray();
    cJSON_ArrayForEach(b, brokers)
    {
        char name[320], path[KUBE_PATH_MAX];
        kube_status st = {0};
        cJSON *pod = NULL;

        if (pl_str(b, "pod") != NULL)
            snprintf(name, sizeof name, "%s", pl_str(b, "pod"));
        else if (cJSON_IsNumber(pl_member(b, "id")))
            snprintf(name, sizeof name, "%s-%d", cluster, pl_member(b, "id")->valueint);
        else
            continue;
        if (kube_path(path, sizeof path, "v1", "pods", ctx->namespace, name, NULL) != 0)
            continue;
        if (kube_get(ctx->client, path, &pod, &st, &a->pods_err) == 0) {
            cJSON_AddItemToArray(a->pods, pod);
        } else if (st.code != 404) {
            cJSON_Delete(a->pods);
            a->pods = NULL;
            return;
        }
    }
    util_err_clear(&a->pods_err);
}

static void get_ledger(const pl_ctx *ctx, const char *cluster, answers *a)
{
    char name[320];

    if (drain_ledger_configmap(name, sizeof name, cluster) != 0)
        util_err_set(&a->ledger_err, "drain ledger: no ConfigMap name for %s", cluster);
    else if (drain_ledger_load(ctx->client, ctx->namespace, name, &a->ledger, &a->ledger_err) != 0)
        return; /* no ledger: ledger_err says why, in a note */
}

/* The report of what a holds, with in's other members already set. */
static cJSON *judge(pl_health_input *in, const answers *a)
{
    in->pods = a->pods;
    in->pods_error = why(&a->pods_err);
    in->md = a->md;
    in->configs = (const kafka_describe_configs_response *const *)a->configs;
    in->n_configs = a->n_configs;
    in->quorum = a->quorum != NULL ? kafka_describe_quorum_partition(a->quorum) : NULL;
    in->quorum_error = why(&a->quorum_err);
    in->reassign = a->reassign;
    in->reassign_error = why(&a->reassign_err);
    in->ledger = a->ledger;
    in->ledger_error = why(&a->ledger_err);
    return pl_health_report(in);
}

/* Prints the report as -o asks. */
static int print(const pl_ctx *ctx, const cJSON *report)
{
    util_err err = {{0}};

    if (ctx->opts->output != PL_OUT_JSON && ctx->opts->output != PL_OUT_YAML) {
        pl_health_print(report, ctx->opts->output == PL_OUT_WIDE, stdout);
        return 0;
    }
    if (pl_print_doc(report, ctx->opts->output == PL_OUT_YAML, stdout, &err) != 0) {
        fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int pl_cmd_health(const pl_ctx *ctx, int argc, char **argv)
{
    const char *cluster = argc == 1 ? argv[0] : NULL;
    const cJSON *brokers;
    pl_cluster_doc doc;
    pl_broker_link link = {0};
    answers a = {0};
    util_err err = {{0}};
    cJSON *cr = NULL, *report = NULL;
    pl_health_input in = {.cluster = cluster};
    char asked_pod[sizeof link.pod], address[sizeof link.address], listener[sizeof link.listener];
    int32_t asked;
    int rc;

    if (cluster == NULL) {
        fprintf(stderr, "kubectl-berth: health takes one KafkaCluster name\n");
        return PL_EXIT_USAGE;
    }
    if (ctx->namespace == NULL) {
        fprintf(stderr, "kubectl-berth: health works in one namespace, not -A\n");
        return PL_EXIT_USAGE;
    }
    if (ctx->opts->listener != NULL && !ctx->opts->direct) {
        fprintf(stderr, "kubectl-berth: --listener goes with --direct (health)\n");
        return PL_EXIT_USAGE;
    }
    if ((rc = pl_get_clusters(ctx, cluster, &cr)) != PL_EXIT_OK)
        return rc;
    brokers = pl_member(pl_member(cr, "status"), "brokers");
    if (pl_cluster_doc_get(ctx, cluster, &doc, &err) != 0 ||
        pl_broker_reach(ctx, cluster, brokers, &doc, -1, &link, &err) != 0) {
        fprintf(stderr, "kubectl-berth: KafkaCluster %s: %s\n", cluster, err.msg);
        cJSON_Delete(cr);
        return PL_EXIT_ERROR;
    }
    rc = ask_cluster(&link, &doc, &a, &err);
    asked = link.id;
    in.port = link.port;
    snprintf(asked_pod, sizeof asked_pod, "%s", link.pod);
    snprintf(address, sizeof address, "%s", link.address);
    snprintf(listener, sizeof listener, "%s", link.listener);
    pl_broker_link_close(&link);
    if (rc != 0) {
        fprintf(stderr, "kubectl-berth: KafkaCluster %s: broker %d (pod %s) answered no %s\n",
                cluster, asked, asked_pod, err.msg);
        answers_free(&a);
        cJSON_Delete(cr);
        return PL_EXIT_ERROR;
    }
    get_pods(ctx, cluster, brokers, &a);
    get_ledger(ctx, cluster, &a);
    in.namespace = ctx->namespace;
    in.flavor = doc.flavor;
    in.asked = asked;
    in.asked_pod = asked_pod;
    in.address = address[0] != '\0' ? address : NULL;
    in.listener = listener;
    in.brokers = brokers;
    report = judge(&in, &a);
    if (report == NULL) {
        fprintf(stderr, "kubectl-berth: out of memory\n");
        rc = PL_EXIT_ERROR;
    } else {
        rc = print(ctx, report) == 0 ? pl_health_exit(report) : PL_EXIT_ERROR;
    }
    cJSON_Delete(report);
    answers_free(&a);
    cJSON_Delete(cr);
    return rc;
}
