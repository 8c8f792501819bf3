/* `kubectl berth drain-plan POD`: what draining the broker of POD would do
 * now, without draining it (drain_plan.h). The pod says which KafkaCluster
 * and broker (berth-operator's labels and the StatefulSet's name
 * "<cluster>-<id>"); then the drain's own inputs are gathered as the
 * sidecar's drain gathers them: the drain ledger from the API server, and
 * from a broker (another one than POD's first, reached as health reaches
 * one: broker_link.h, --direct included) the ongoing reassignments, Metadata and
 * min.insync.replicas of every topic. Nothing is written: the ledger is
 * only read and the planner steps a copy of it; Kafka is only asked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_ask.h"
#include "broker_link.h"
#include "drain/ledger_store.h"
#include "drain_plan.h"
#include "kube/verbs.h"
#include "operator/cluster.h"
#include "output.h"
#include "plugin.h"

/* The labels berth-operator puts on every broker pod (operator/desired.h). */
#define LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define LABEL_COMPONENT  "app.kubernetes.io/component"
#define LABEL_INSTANCE   "app.kubernetes.io/instance"

/* What the drain's planner is fed; all owned. */
typedef struct inputs {
    drain_ledger *ledger;
    kafka_list_partition_reassignments_response *reassign;
    kafka_metadata *md;
    kafka_describe_configs_response **configs;
    int n_configs;
} inputs;

static void inputs_free(inputs *in)
{
    drain_ledger_free(in->ledger);
    kafka_list_partition_reassignments_free(in->reassign);
    kafka_metadata_free(in->md);
    pl_min_isr_answers_free(in->configs, in->n_configs);
}

/* Checks that pod's label key is want; -1 with err saying what it is. */
static int label_is(const cJSON *labels, const char *what, const char *key, const char *want,
                    util_err *err)
{
    const char *v = pl_str(labels, key);

    if (v == NULL)
        return util_err_set(err, "pod %s is not a KafkaCluster broker: it has no label %s", what,
                            key);
    if (strcmp(v, want) != 0)
        return util_err_set(err,
                            "pod %s is not a KafkaCluster broker: its label %s is \"%s\", not %s",
                            what, key, v, want);
    return 0;
}

/* The KafkaCluster (into cluster) and the broker id of pod, read from the
 * pod as berth-operator makes it: labels app.kubernetes.io/managed-by
 * berth-operator, component broker, instance the cluster, and the name
 * "<cluster>-<id>". -1 with err naming what makes it no broker pod. */
static int broker_of(const pl_ctx *ctx, const char *pod, char *cluster, size_t size, int32_t *id,
                     util_err *err)
{
    char what[400], *end = NULL;
    kube_status st = {0};
    cJSON *obj = NULL;
    const cJSON *labels;
    const char *instance;
    size_t n;
    long v;
    int rc = -1;

    snprintf(what, sizeof what, "%s/%s", ctx->namespace, pod);
    if (pl_get_named(ctx, "pods", "pod", pod, NULL, what, &obj, &st, err) != 0)
        return -1;
    labels = pl_member(pl_member(obj, "metadata"), "labels");
    instance = pl_str(labels, LABEL_INSTANCE);
    if (label_is(labels, what, LABEL_MANAGED_BY, OP_FIELD_MANAGER, err) != 0 ||
        label_is(labels, what, LABEL_COMPONENT, "broker", err) != 0)
        goto out;
    if (instance == NULL || (n = strlen(instance)) == 0 || n >= size) {
        util_err_set(err, "pod %s is not a KafkaCluster broker: its label %s names no KafkaCluster",
                     what, LABEL_INSTANCE);
        goto out;
    }
    /* The StatefulSet's ordinal: digits, no leading zero. */
    v = strncmp(pod, instance, n) == 0 && pod[n] == '-' && pod[n + 1] >= '0' && pod[n + 1] <= '9' &&
                (pod[n + 1] != '0' || pod[n + 2] == '\0')
            ? strtol(pod + n + 1, &end, 10)
            : -1;
    if (v < 0 || v > INT32_MAX || *end != '\0') {
        util_err_set(err,
                     "pod %s is not named as a broker of KafkaCluster %s (its label %s): "
                     "\"%s-<broker id>\"",
                     what, instance, LABEL_INSTANCE, instance);
        goto out;
    }
    snprintf(cluster, size, "%s", instance);
    *id = (int32_t)v;
    rc = 0;
out:
    cJSON_Delete(obj);
    return rc;
}

/* Redpanda's drain is its maintenance mode, which the cluster carries out
 * by itself: there is no plan of berth's to show. */
static int kafka_only(const pl_cluster_doc *doc, util_err *err)
{
    if (strcmp(doc->flavor, "kafka") == 0)
        return 0;
    return util_err_set(err,
                        "a %s cluster: its brokers drain by the flavor's own maintenance mode, "
                        "which berth does not plan; drain-plan shows Kafka's drain",
                        doc->flavor);
}

/* The drain ledger as stored: the drain cannot run without its
 * ConfigMap, and neither can its plan. */
static int get_ledger(const pl_ctx *ctx, const char *cluster, inputs *in, util_err *err)
{
    char name[320];

    if (drain_ledger_configmap(name, sizeof name, cluster) != 0)
        return util_err_set(err, "drain ledger: no ConfigMap name for %s", cluster);
    return drain_ledger_load(ctx->client, ctx->namespace, name, &in->ledger, err);
}

/* What the drain asks its broker, in its order: the reassignments, then
 * Metadata, then min.insync.replicas of the topics Metadata lists. */
static int ask_cluster(const pl_broker_link *l, inputs *in, util_err *err)
{
    kafka_metadata_request all = {0};

    if (pl_ask_reassignments(l, &in->reassign, err) != 0)
        return -1;
    if (kafka_metadata_call(l->conn, l->av, &all, PL_LINK_TIMEOUT_MS, &in->md, err) != 0)
        return util_err_prefix(err, "Metadata");
    return pl_ask_min_isr(l, in->md, &in->configs, &in->n_configs, err);
}

/* Plans, prints the report as -o asks, and returns the exit status. */
static int answer(const pl_ctx *ctx, pl_drain_plan_input *pin, const inputs *in)
{
    util_err err = {{0}};
    cJSON *report;
    int rc;

    pin->md = in->md;
    pin->reassign = in->reassign;
    pin->ledger = in->ledger;
    pin->configs = (const kafka_describe_configs_response *const *)in->configs;
    pin->n_configs = in->n_configs;
    if ((report = pl_drain_plan_report(pin, &err)) == NULL) {
        fprintf(stderr, "kubectl-berth: KafkaCluster %s: broker %d: %s\n", pin->cluster,
                pin->broker, err.msg);
        return PL_EXIT_ERROR;
    }
    if (ctx->opts->output != PL_OUT_JSON && ctx->opts->output != PL_OUT_YAML) {
        pl_drain_plan_print(report, ctx->opts->output == PL_OUT_WIDE, stdout);
        rc = pl_drain_plan_exit(report);
    } else if (pl_print_doc(report, ctx->opts->output == PL_OUT_YAML, stdout, &err) != 0) {
        fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        rc = PL_EXIT_ERROR;
    } else {
        rc = pl_drain_plan_exit(report);
    }
    cJSON_Delete(report);
    return rc;
}

int pl_cmd_drain_plan(const pl_ctx *ctx, int argc, char **argv)
{
    const char *pod = argc == 1 ? argv[0] : NULL;
    pl_broker_link link = {0};
    char cluster[OP_NAME_MAX + 1], asked_pod[sizeof link.pod], address[sizeof link.address];
    char listener[sizeof link.listener];
    pl_drain_plan_input pin = {.cluster = cluster, .namespace = ctx->namespace, .pod = pod};
    pl_cluster_doc doc;
    inputs in = {0};
    util_err err = {{0}};
    cJSON *cr = NULL;
    int rc;

    if (pod == NULL) {
        fprintf(stderr, "kubectl-berth: drain-plan takes one broker pod name\n");
        return PL_EXIT_USAGE;
    }
    if (ctx->namespace == NULL) {
        fprintf(stderr, "kubectl-berth: drain-plan works in one namespace, not -A\n");
        return PL_EXIT_USAGE;
    }
    if (ctx->opts->listener != NULL && !ctx->opts->direct) {
        fprintf(stderr, "kubectl-berth: --listener goes with --direct (drain-plan)\n");
        return PL_EXIT_USAGE;
    }
    if (broker_of(ctx, pod, cluster, sizeof cluster, &pin.broker, &err) != 0) {
        fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        return PL_EXIT_ERROR;
    }
    if ((rc = pl_get_clusters(ctx, cluster, &cr)) != PL_EXIT_OK)
        return rc;
    if (pl_cluster_doc_get(ctx, cluster, &doc, &err) != 0 || kafka_only(&doc, &err) != 0 ||
        get_ledger(ctx, cluster, &in, &err) != 0 ||
        pl_broker_reach(ctx, cluster, pl_member(pl_member(cr, "status"), "brokers"), &doc,
                        pin.broker, &link, &err) != 0) {
        fprintf(stderr, "kubectl-berth: KafkaCluster %s: %s\n", cluster, err.msg);
        rc = PL_EXIT_ERROR;
        goto out;
    }
    rc = ask_cluster(&link, &in, &err);
    pin.asked = link.id;
    snprintf(asked_pod, sizeof asked_pod, "%s", link.pod);
    pin.asked_pod = asked_pod;
    pin.port = link.port;
    snprintf(address, sizeof address, "%s", link.address);
    snprintf(listener, sizeof listener, "%s", link.listener);
    pin.address = address[0] != '\0' ? address : NULL;
    pin.listener = listener;
    pl_broker_link_close(&link);
    if (rc != 0) {
        fprintf(stderr, "kubectl-berth: KafkaCluster %s: broker %d (pod %s) answered no %s\n",
                cluster, pin.asked, asked_pod, err.msg);
        rc = PL_EXIT_ERROR;
        goto out;
    }
    rc = answer(ctx, &pin, &in);
out:
    inputs_free(&in);
    cJSON_Delete(cr);
    return rc;
}
