/* One KafkaCluster's reconcile: the steps in order (see reconcile.h for
 * why this order, reconcile_run.h for where each step lives). */
#include "reconcile.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config_change.h"
#include "diff.h"
#include "kube/object.h"
#include "lister_memo.h"
#include "readdress.h"
#include "reconcile_apply.h"
#include "reconcile_balance.h"
#include "reconcile_build.h"
#include "reconcile_config.h"
#include "reconcile_read.h"
#include "reconcile_run.h"
#include "reconcile_status.h"
#include "reconcile_storage.h"
#include "reconcile_upgrade.h"
#include "teardown.h"
#include "util/clock.h"
#include "util/log.h"

static void now_rfc3339(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int split_key(const char *key, char *ns, size_t ns_size, char *name, size_t name_size)
{
    const char *slash = strchr(key, '/');

    if (slash == NULL || slash == key || slash[1] == '\0' || (size_t)(slash - key) >= ns_size ||
        strlen(slash + 1) >= name_size)
        return -1;
    memcpy(ns, key, (size_t)(slash - key));
    ns[slash - key] = '\0';
    snprintf(name, name_size, "%s", slash + 1);
    return 0;
}

/* A KafkaCluster marked for deletion: one pass of teardown.h's steps. */
static op_outcome tear_down(op_run *w, util_err *err)
{
    op_teardown_result t;
    util_time now = util_time_now(NULL);

    if (op_teardown(w->client, w->lister, w->cr, now.wall, &t, err) != 0)
        return OP_RECONCILE_RETRY;
    w->res->writes += t.writes;
    w->res->requeue_after_ms = t.requeue_after_ms;
    if (t.stopping)
        op_run_event(w, KUBE_EVENT_NORMAL, "Deleting",
                     "stopping every broker at once, with no drain: the cluster is being deleted");
    if (t.gave_up)
        op_run_event(w, KUBE_EVENT_WARNING, "BrokersOutlivedGrace",
                     "%d broker pods still there past their grace period; deletion goes on "
                     "without them",
                     t.pods_left);
    if (t.released && t.writes > 0)
        util_info("reconcile %s/%s: brokers stopped; the garbage collector takes the rest",
                  kube_meta_namespace(w->cr), kube_meta_name(w->cr));
    return t.requeue_after_ms > 0 ? OP_RECONCILE_REQUEUE_AFTER : OP_RECONCILE_DONE;
}

static const cJSON *template_of(const cJSON *sts)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"),
                                            "template");
}

/* Whether the StatefulSet rolls its pods now or is about to: the template
 * this pass wants is not the one the cache shows (this pass applied it),
 * or the StatefulSet controller has not finished its last change. */
static bool sts_rolling(const op_run *w)
{
    const cJSON *live = op_run_live_of(w, "StatefulSet", NULL), *d;

    if (live == NULL)
        return false;
    if (!op_config_roll_done(live))
        return true;
    cJSON_ArrayForEach(d, w->desired)
    {
        const op_kind *k = op_run_kind(d);

        if (k != NULL && strcmp(k->kind, "StatefulSet") == 0)
            return !op_subset(template_of(d), template_of(live));
    }
    return false;
}

/* Restarts at most one broker whose address or certificate moved under it
 * (readdress.h); w->restart says which while one is under way. */
static op_outcome readdress(op_run *w, util_err *err)
{
    int rc = op_readdress(w->client, w->metrics, &w->c, w->opts->cluster_domain, w->pods, w->nodes,
                          w->services, w->tls.issued, sts_rolling(w), &w->res->writes, w->restart,
                          sizeof w->restart, err);

    if (rc < 0)
        return OP_RECONCILE_RETRY;
    if (rc == 0)
        w->restart[0] = '\0';
    if (rc == 2)
        op_run_event(w, KUBE_EVENT_NORMAL, "Restarting", "%s", w->restart);
    return OP_RECONCILE_DONE;
}

static op_outcome reconcile(op_run *w, const char *key, util_err *err)
{
    char ns[64], name[256];
    cJSON *brokers_cm = NULL;
    util_err perr = {{0}};
    op_outcome o;

    /* 1. The KafkaCluster: gone, being deleted, or live. */
    if (split_key(key, ns, sizeof ns, name, sizeof name) != 0) {
        util_err_set(err, "key \"%.64s\" is not namespace/name", key);
        return OP_RECONCILE_RETRY;
    }
    switch (w->lister->get(w->lister, OP_API_VERSION, OP_RESOURCE, ns, name, &w->cr, err)) {
    case 0:
        break;
    case 1:
        return OP_RECONCILE_DONE; /* gone: the garbage collector cleans up */
    default:
        return OP_RECONCILE_RETRY;
    }
    if (kube_meta_str(w->cr, "deletionTimestamp") != NULL)
        return tear_down(w, err);
    if (op_teardown_hold(w->client, w->cr, &w->res->writes, err) != 0)
        return OP_RECONCILE_RETRY;

    /* 2. Everything checked before anything is written. */
    if (op_cluster_parse(w->cr, &w->c, &perr) != 0)
        return op_run_refuse(w, OP_REASON_INVALID_SPEC, perr.msg, err);
    if ((o = op_run_read(w, &brokers_cm, err)) != OP_RECONCILE_DONE)
        return o;
    if ((o = op_run_balance(w, err)) != OP_RECONCILE_DONE) {
        cJSON_Delete(brokers_cm);
        return o;
    }
    o = op_run_build(w, brokers_cm, err);
    cJSON_Delete(brokers_cm);
    if (o != OP_RECONCILE_DONE)
        return o;
    if ((o = op_run_read_live(w, err)) != OP_RECONCILE_DONE ||
        (o = op_run_guard_scale_down(w, err)) != OP_RECONCILE_DONE ||
        (o = op_run_guard_downgrade(w, err)) != OP_RECONCILE_DONE ||
        (o = op_run_storage(w, err)) != OP_RECONCILE_DONE ||
        (o = op_run_config(w, err)) != OP_RECONCILE_DONE)
        return o;

    /* 3. and 4. Apply what differs, prune; the rest only once that took. */
    if (op_run_apply(w) == 0 && op_run_prune(w, err) != 0)
        return OP_RECONCILE_RETRY;
    if (!w->apply_failed) {
        if (op_run_clean_ledger(w, err) != 0)
            return OP_RECONCILE_RETRY;
        if ((o = readdress(w, err)) != OP_RECONCILE_DONE)
            return o;
    }

    /* 5. Status (after metadata.version, once a roll has finished), then
     * what waits for it. */
    op_run_upgrade(w);
    if ((o = op_run_report(w, err)) != OP_RECONCILE_DONE)
        return o;
    if (w->reformat_done && op_run_clear_reformat(w, err) != 0)
        return OP_RECONCILE_RETRY;
    if (w->apply_failed) {
        o = op_reason_get(w->apply_reason)->outcome;
        if (o == OP_RECONCILE_RETRY)
            util_err_set(err, "%s", w->apply_message);
        return o;
    }
    if (w->storage_failed) {
        o = op_reason_get(w->storage_reason)->outcome;
        if (o == OP_RECONCILE_RETRY)
            util_err_set(err, "%s", w->storage_message);
        return o;
    }
    return w->res->requeue_after_ms > 0 ? OP_RECONCILE_REQUEUE_AFTER : OP_RECONCILE_DONE;
}

op_outcome op_reconcile(op_reconciler *r, const char *key, op_reconcile_result *res, util_err *err)
{
    op_run w;
    op_memo_lister memo;

    memset(&w, 0, sizeof w);
    memset(res, 0, sizeof *res);
    op_memo_lister_init(&memo, r->lister);
    w.client = r->client;
    w.lister = &memo.base;
    w.opts = &r->opts;
    w.metrics = r->metrics;
    w.events = r->events;
    w.res = res;
    now_rfc3339(w.now, sizeof w.now);
    res->outcome = reconcile(&w, key, err);
    if (res->outcome == OP_RECONCILE_RETRY)
        util_err_prefix(err, "reconcile %s", key);
    op_run_free(&w);
    op_memo_lister_clear(&memo);
    return res->outcome;
}
