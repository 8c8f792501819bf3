/* Replication throttles set and cleared (see throttle.h). */
#include "balance/throttle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/configs.h"
#include "kafka/proto.h"
#include "util/buf.h"

/* The throttle lists' values for one topic, owned. */
typedef struct lists {
    char *leader, *follower;
} lists;

/* Appends "p:b" for each broker of ids[0..n) not in skip[0..n_skip). */
static void add_pairs(util_buf *b, int32_t partition, const int32_t *ids, int32_t n,
                      const int32_t *skip, int32_t n_skip)
{
    for (int32_t i = 0; i < n; i++) {
        int32_t k;

        for (k = 0; k < n_skip && skip[k] != ids[i]; k++)
            ;
        if (k < n_skip)
            continue;
        util_buf_addf(b, "%s%" PRId32 ":%" PRId32, b->len > 0 ? "," : "", partition, ids[i]);
    }
}

/* The lists for parts[0..n), one topic's: 0, or -1 out of memory. */
static int topic_lists(const balance_throttled *parts, int32_t n, lists *out)
{
    util_buf lb = UTIL_BUF_INIT(UTIL_BUF_NOMAX), fb = UTIL_BUF_INIT(UTIL_BUF_NOMAX);

    for (int32_t i = 0; i < n; i++) {
        add_pairs(&lb, parts[i].partition, parts[i].from, parts[i].n_from, NULL, 0);
        add_pairs(&fb, parts[i].partition, parts[i].to, parts[i].n_to, parts[i].from,
                  parts[i].n_from);
    }
    out->leader = util_buf_take(&lb);
    out->follower = util_buf_take(&fb);
    return out->leader != NULL && out->follower != NULL ? 0 : -1;
}

/* Whether a clear may pass over r's refusal: a topic deleted meanwhile
 * has nothing left to clear. */
static int gone(const kafka_alter_config_result *r)
{
    return r->resource_type == KAFKA_RESOURCE_TOPIC &&
           r->error_code == KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

/* One IncrementalAlterConfigs of res[0..n); a resource Kafka refused fails
 * it, naming the resource, unless pass_gone and it is a topic that is gone. */
static int alter(kafka_conn *c, const kafka_api_versions *av,
                 const kafka_alter_config_resource *res, int32_t n, int timeout_ms, int pass_gone,
                 util_err *err)
{
    kafka_incremental_alter_configs_request req = {res, n, 0};
    kafka_incremental_alter_configs_response *out = NULL;
    int rc = 0;

    if (kafka_incremental_alter_configs_call(c, av, &req, timeout_ms, &out, err) != 0)
        return util_err_prefix(err, "IncrementalAlterConfigs");
    for (int32_t i = 0; i < out->n_results && rc == 0; i++) {
        const kafka_alter_config_result *r = &out->results[i];

        if (r->error_code != 0 && !(pass_gone && gone(r)))
            rc = util_err_set(err, "IncrementalAlterConfigs %s \"%s\": %s%s%s",
                              r->resource_type == KAFKA_RESOURCE_TOPIC ? "topic" : "broker",
                              r->resource_name != NULL ? r->resource_name : "",
                              kafka_error_name(r->error_code), r->error_message != NULL ? ": " : "",
                              r->error_message != NULL ? r->error_message : "");
    }
    kafka_incremental_alter_configs_free(out);
    return rc;
}

int balance_throttle_set(kafka_conn *c, const kafka_api_versions *av,
                         const balance_throttled *parts, int32_t n, int64_t rate, int timeout_ms,
                         util_err *err)
{
    char rate_s[24];
    kafka_config_op rate_ops[2] = {{BALANCE_LEADER_RATE, KAFKA_CONFIG_SET, rate_s},
                                   {BALANCE_FOLLOWER_RATE, KAFKA_CONFIG_SET, rate_s}};
    kafka_alter_config_resource *res = NULL;
    kafka_config_op *ops = NULL;
    lists *ls = NULL;
    int32_t nt = 0, i = 0;
    int rc = -1;

    if (n <= 0 || rate <= 0)
        return 0;
    snprintf(rate_s, sizeof rate_s, "%" PRId64, rate);
    res = calloc((size_t)n + 1, sizeof *res);
    ops = calloc(2 * (size_t)n, sizeof *ops);
    ls = calloc((size_t)n, sizeof *ls);
    if (res == NULL || ops == NULL || ls == NULL) {
        util_err_set(err, "throttling %" PRId32 " partitions: out of memory", n);
        goto out;
    }
    res[nt++] = (kafka_alter_config_resource){KAFKA_RESOURCE_BROKER, "", rate_ops, 2};
    while (i < n) {
        int32_t j = i, t = nt - 1;

        while (j < n && strcmp(parts[j].topic, parts[i].topic) == 0)
            j++;
        if (topic_lists(parts + i, j - i, &ls[t]) != 0) {
            util_err_set(err, "throttling topic %s: out of memory", parts[i].topic);
            goto out;
        }
        ops[2 * t] = (kafka_config_op){BALANCE_LEADER_REPLICAS, KAFKA_CONFIG_SET, ls[t].leader};
        ops[2 * t + 1] =
            (kafka_config_op){BALANCE_FOLLOWER_REPLICAS, KAFKA_CONFIG_SET, ls[t].follower};
        res[nt++] =
            (kafka_alter_config_resource){KAFKA_RESOURCE_TOPIC, parts[i].topic, &ops[2 * t], 2};
        i = j;
    }
    rc = alter(c, av, res, nt, timeout_ms, 0, err);
out:
    for (int32_t k = 0; ls != NULL && k < n; k++) {
        free(ls[k].leader);
        free(ls[k].follower);
    }
    free(ls);
    free(ops);
    free(res);
    return rc < 0 ? util_err_prefix(err, "setting replication throttles") : 0;
}

int balance_throttle_clear(kafka_conn *c, const kafka_api_versions *av, const char *const *topics,
                           int32_t n, int timeout_ms, util_err *err)
{
    static const kafka_config_op rate_ops[2] = {{BALANCE_LEADER_RATE, KAFKA_CONFIG_DELETE, NULL},
                                                {BALANCE_FOLLOWER_RATE, KAFKA_CONFIG_DELETE, NULL}};
    static const kafka_config_op list_ops[2] = {
        {BALANCE_LEADER_REPLICAS, KAFKA_CONFIG_DELETE, NULL},
        {BALANCE_FOLLOWER_REPLICAS, KAFKA_CONFIG_DELETE, NULL}};
    kafka_alter_config_resource *res = calloc((size_t)n + 1, sizeof *res);
    int rc;

    if (res == NULL)
        return util_err_set(err, "clearing replication throttles: out of memory");
    res[0] = (kafka_alter_config_resource){KAFKA_RESOURCE_BROKER, "", rate_ops, 2};
    for (int32_t i = 0; i < n; i++)
        res[i + 1] = (kafka_alter_config_resource){KAFKA_RESOURCE_TOPIC, topics[i], list_ops, 2};
    rc = alter(c, av, res, n + 1, timeout_ms, 1, err);
    free(res);
    return rc < 0 ? util_err_prefix(err, "clearing replication throttles") : 0;
}
