/* The step that moves partitions (see reconcile_balance.h). */
#include "reconcile_balance.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "balance/move.h"
#include "broker/pod_contract.h"
#include "cluster_tls.h"
#include "desired.h"
#include "kube/object.h"
#include "rebalance.h"
#include "reconcile_status.h"
#include "scale_down.h"
#include "util/log.h"

static const cJSON *old_status(const op_run *w)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w->cr, "status"),
                                            "rebalance");
}

/* The live StatefulSet's spec.replicas: >= 0, -1 when there is none yet,
 * -2 when it could not be read (err set). */
static int live_replicas(op_run *w, util_err *err)
{
    cJSON *sts = NULL;
    const cJSON *r;
    int rc = w->lister->get(w->lister, "apps/v1", "statefulsets", w->c.namespace, w->c.name, &sts,
                            err),
        n;

    if (rc < 0)
        return -2;
    r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"), "replicas");
    n = rc == 0 && cJSON_IsNumber(r) && r->valuedouble >= 0 ? r->valueint : -1;
    cJSON_Delete(sts);
    return n;
}

/* Whether pod's broker container is running now. */
static bool broker_running(const cJSON *pod)
{
    const cJSON *cs;

    cJSON_ArrayForEach(
        cs, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"),
                                             "containerStatuses"))
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cs, "name"));

        if (name != NULL && strcmp(name, BROKER_POD_BROKER_CONTAINER) == 0)
            return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cs, "state"),
                                                    "running") != NULL;
    }
    return false;
}

/* Every broker 0..n-1 has a pod that is not stopping and whose broker
 * runs (quiet: no drain or restart under way); with ready, one that is
 * Ready too (registered and caught up since it started). */
static bool brokers_up(const op_run *w, int n, bool ready)
{
    for (int i = 0; i < n; i++) {
        const cJSON *pod = op_broker_pod(&w->c, w->pods, i);

        if (pod == NULL || kube_meta_str(pod, "deletionTimestamp") != NULL ||
            !broker_running(pod) || (ready && !kube_pod_ready(pod)))
            return false;
    }
    return true;
}

/* A new status.rebalance with phase and the brokers it is balanced over
 * (-1: none said), replacing w->rebalance. Returns it to fill in. */
static cJSON *new_status(op_run *w, const char *phase, int brokers, const char *request)
{
    cJSON *s = cJSON_CreateObject();

    cJSON_AddStringToObject(s, "phase", phase);
    if (brokers >= 0)
        cJSON_AddNumberToObject(s, "brokers", brokers);
    if (request != NULL)
        cJSON_AddStringToObject(s, "request", request);
    cJSON_Delete(w->rebalance);
    w->rebalance = s;
    return s;
}

static void add_progress(cJSON *s, const balance_progress *p)
{
    cJSON_AddNumberToObject(s, "partitionsLeft", p->left);
    cJSON_AddNumberToObject(s, "partitionsMoving", p->moving);
}

static balance_move_opts move_opts(const op_run *w, const int32_t *leaving, int32_t n, bool hold)
{
    balance_move_opts o = {0};

    o.leaving = leaving;
    o.n_leaving = n;
    o.max_moves = w->c.rebalance_max_moves;
    o.throttle_bytes = w->c.rebalance_throttle;
    o.hold = hold;
    o.timeout_ms = OP_ADMIN_TIMEOUT_MS;
    o.expect_brokers = 0;
    return o;
}

/* The admin connection's target for w's cluster. This step runs before
 * the desired objects are built, so the cluster CA (for berth-operator's
 * client certificate) is read here from its Secret into *tls, unless the
 * operator dials the admin-bootstrap annotation's address (plaintext).
 * 0, or -1 with err. */
static int admin_target(const op_run *w, op_cluster_tls *tls, op_admin_target *t, util_err *err)
{
    char name[OP_NAME_MAX + 32];
    cJSON *secret = NULL;
    int rc = 0;

    memset(t, 0, sizeof *t);
    t->c = &w->c;
    t->tls = tls;
    t->cluster_domain = w->opts->cluster_domain;
    t->bootstrap = op_admin_bootstrap(w->cr, w->opts);
    t->max_frame_bytes = OP_SCALE_DOWN_MAX_FRAME;
    if (t->bootstrap != NULL)
        return 0;
    op_cluster_tls_ca_secret(&w->c, name, sizeof name);
    if (w->lister->get(w->lister, "v1", "secrets", w->c.namespace, name, &secret, err) < 0)
        return -1;
    if (op_cluster_tls_read_ca(&w->c, secret, (long long)time(NULL), tls, err) != 0)
        rc = util_err_prefix(err, "cluster CA Secret %s", name);
    cJSON_Delete(secret);
    return rc;
}

/* One mover step (or the cancel) over a new admin connection to broker 0,
 * which stays whatever the scale-down. 0, or -1 with err starting with
 * what was dialled. */
static int step(op_run *w, const balance_move_opts *o, bool cancel, balance_progress *p,
                int32_t *cancelled, util_err *err)
{
    op_cluster_tls tls = {0};
    op_admin_target t;
    op_admin *admin = NULL;
    int rc = -1;

    if (admin_target(w, &tls, &t, err) == 0 &&
        op_admin_open(&t, 0, (long long)time(NULL), &admin, err) == 0) {
        rc = cancel ? balance_cancel(admin->conn, admin->av, o, cancelled, err)
                    : balance_step(admin->conn, admin->av, o, p, err);
        if (rc != 0)
            util_err_prefix(err, "%s", admin->hostport);
    }
    op_admin_free(admin);
    op_cluster_tls_clear(&tls);
    return rc;
}

static op_outcome decommission(op_run *w, int have, util_err *err)
{
    const cJSON *old = old_status(w);
    int want = w->c.replicas, n = have - want;
    int32_t leaving[BALANCE_MAX_LEAVING];
    char range[32], msg[UTIL_ERR_MAX + 256];
    bool started_before = op_balance_old_phase_is(old, OP_PHASE_DECOMMISSIONING);
    balance_progress p;
    balance_move_opts o;
    util_err serr = {{0}};
    cJSON *s;

    op_balance_range(want, have, range, sizeof range);
    if (n > BALANCE_MAX_LEAVING) {
        snprintf(msg, sizeof msg,
                 "scale-down from %d to %d brokers refused: berth empties at most %d brokers at "
                 "once; scale down in steps",
                 have, want, BALANCE_MAX_LEAVING);
        return op_run_refuse(w, OP_REASON_SCALE_DOWN_BLOCKED, msg, err);
    }
    for (int i = 0; i < n; i++)
        leaving[i] = want + i;
    /* Only the brokers that stay must be quiet: a leaving one that is
     * down or stopping only sends, and its partitions' leaders send in its
     * place. */
    o = move_opts(w, leaving, n, !brokers_up(w, want, false));
    if (step(w, &o, false, &p, &(int32_t){0}, &serr) != 0) {
        snprintf(msg, sizeof msg,
                 "scale-down from %d to %d brokers refused: cannot move the replicas off brokers "
                 "%s: %s",
                 have, want, range, serr.msg);
        return op_run_refuse(w, OP_REASON_SCALE_DOWN_UNVERIFIED, msg, err);
    }
    if (p.state == BALANCE_REFUSED) {
        snprintf(msg, sizeof msg, "scale-down from %d to %d brokers refused: %s", have, want,
                 p.message);
        return op_run_refuse(w, OP_REASON_SCALE_DOWN_BLOCKED, msg, err);
    }
    if (p.state == BALANCE_DONE) {
        new_status(w, OP_PHASE_BALANCED, want, op_balance_old_request(old));
        w->leaving_empty = true;
        util_info("%s/%s: brokers %s hold no replicas: scaling down to %d", w->c.namespace,
                  w->c.name, range, want);
        if (started_before)
            op_run_event(w, KUBE_EVENT_NORMAL, "Decommissioned",
                         "brokers %s hold no partition replicas: the StatefulSet shrinks to %d "
                         "(%d preferred leaders elected)",
                         range, want, (int)p.elected);
        return OP_RECONCILE_DONE;
    }
    /* Moving: the cluster keeps its size until the leaving brokers are
     * empty. */
    s = new_status(w, OP_PHASE_DECOMMISSIONING, op_balance_old_brokers(old),
                   op_balance_old_request(old));
    cJSON_AddNumberToObject(s, "targetBrokers", want);
    add_progress(s, &p);
    cJSON_AddNumberToObject(s, "replicasOnLeaving", p.on_leaving);
    if (p.refused > 0)
        cJSON_AddStringToObject(s, "message", p.message);
    w->c.replicas = have;
    w->decommissioning = true;
    snprintf(w->balance_message, sizeof w->balance_message,
             "scale-down from %d to %d brokers: %d partition replicas still on brokers %s, %d "
             "partitions to move (%d in flight)%s; the StatefulSet shrinks once they are empty",
             have, want, (int)p.on_leaving, range, (int)p.left, (int)p.moving,
             o.hold ? ", no new move while a broker that stays is stopping or restarting" : "");
    if (!started_before)
        op_run_event(w, KUBE_EVENT_NORMAL, "Decommissioning",
                     "scale-down from %d to %d brokers: moving %d partition replicas off brokers "
                     "%s first",
                     have, want, (int)p.on_leaving, range);
    if (p.started > 0)
        op_run_event(w, KUBE_EVENT_NORMAL, "PartitionsMoving",
                     "started %d moves; %d partitions left, %d replicas still on brokers %s",
                     (int)p.started, (int)p.left, (int)p.on_leaving, range);
    if (p.refused > 0)
        op_run_event(w, KUBE_EVENT_WARNING, "MoveRefused", "Kafka refused %d moves: %s",
                     (int)p.refused, p.message);
    op_run_requeue(w, OP_WAIT_DECOMMISSIONING);
    return OP_RECONCILE_DONE;
}

static op_outcome cancel(op_run *w, int have)
{
    const cJSON *old = old_status(w);
    int target = op_balance_old_target(old), from = target >= 0 ? target : have;
    int32_t leaving[BALANCE_MAX_LEAVING], n = 0, cancelled = 0;
    balance_move_opts o;
    util_err serr = {{0}};

    /* The brokers that were leaving and stay now: every one the old
     * target left out, up to the size the StatefulSet has. */
    for (int id = from; id < have && n < BALANCE_MAX_LEAVING; id++)
        leaving[n++] = id;
    o = move_opts(w, leaving, n, false);
    if (n > 0 && step(w, &o, true, &(balance_progress){0}, &cancelled, &serr) != 0) {
        util_warn("%s/%s: calling off the decommission: %s; trying again", w->c.namespace,
                  w->c.name, serr.msg);
        w->rebalance = cJSON_Duplicate(old, 1); /* NULL for none */
        op_run_requeue(w, OP_WAIT_DECOMMISSIONING);
        return OP_RECONCILE_DONE;
    }
    /* What had moved already is spread again by a rebalance, where the
     * mode rebalances by itself. */
    new_status(w,
               w->c.rebalance_mode == OP_REBALANCE_ON_SCALE_UP ? OP_PHASE_REBALANCING
                                                               : OP_PHASE_BALANCED,
               op_balance_old_brokers(old), op_balance_old_request(old));
    if (cancelled > 0)
        op_run_event(w, KUBE_EVENT_NORMAL, "DecommissionCancelled",
                     "spec.replicas is %d again: %d moves stopped, their partitions are back on "
                     "the replicas they had",
                     w->c.replicas, (int)cancelled);
    if (w->c.rebalance_mode == OP_REBALANCE_ON_SCALE_UP)
        op_run_requeue(w, OP_WAIT_REBALANCING);
    return OP_RECONCILE_DONE;
}

static op_outcome rebalance(op_run *w, int have)
{
    const cJSON *old = old_status(w);
    const char *request = kube_meta_annotation(w->cr, OP_REBALANCE_ANNOTATION);
    bool started_before = op_balance_old_phase_is(old, OP_PHASE_REBALANCING);
    balance_move_opts o = move_opts(w, NULL, 0, !brokers_up(w, have, false));
    balance_progress p;
    util_err serr = {{0}};
    cJSON *s;

    /* The first step waits until every broker is Ready: registered with
     * the cluster, so the plan counts it. */
    if (!started_before && !brokers_up(w, have, true)) {
        w->rebalance = cJSON_Duplicate(old, 1); /* NULL for none */
        op_run_requeue(w, OP_WAIT_REBALANCING);
        return OP_RECONCILE_DONE;
    }
    o.expect_brokers = have;
    if (step(w, &o, false, &p, &(int32_t){0}, &serr) != 0) {
        util_warn("%s/%s: rebalance: %s; trying again", w->c.namespace, w->c.name, serr.msg);
        w->rebalance = cJSON_Duplicate(old, 1); /* NULL for none */
        op_run_requeue(w, OP_WAIT_REBALANCING);
        return OP_RECONCILE_DONE;
    }
    if (p.state == BALANCE_REFUSED) {
        s = new_status(w, OP_PHASE_REFUSED, have, request);
        cJSON_AddStringToObject(s, "message", p.message);
        op_run_event(w, KUBE_EVENT_WARNING, "RebalanceRefused", "%s", p.message);
        return OP_RECONCILE_DONE;
    }
    if (p.state == BALANCE_DONE) {
        new_status(w, OP_PHASE_BALANCED, have, request);
        util_info("%s/%s: partitions balanced over %d brokers", w->c.namespace, w->c.name, have);
        if (started_before)
            op_run_event(w, KUBE_EVENT_NORMAL, "Rebalanced",
                         "replicas and preferred leaders spread over %d brokers (%d preferred "
                         "leaders elected)",
                         have, (int)p.elected);
        return OP_RECONCILE_DONE;
    }
    s = new_status(w, OP_PHASE_REBALANCING, op_balance_old_brokers(old),
                   op_balance_old_request(old));
    add_progress(s, &p);
    if (p.refused > 0)
        cJSON_AddStringToObject(s, "message", p.message);
    if (!started_before)
        op_run_event(w, KUBE_EVENT_NORMAL, "Rebalancing",
                     "spreading replicas and preferred leaders over %d brokers: %d partitions to "
                     "move",
                     have, (int)p.left);
    if (p.started > 0)
        op_run_event(w, KUBE_EVENT_NORMAL, "PartitionsMoving",
                     "started %d moves; %d partitions left", (int)p.started, (int)p.left);
    if (p.refused > 0)
        op_run_event(w, KUBE_EVENT_WARNING, "MoveRefused", "Kafka refused %d moves: %s",
                     (int)p.refused, p.message);
    op_run_requeue(w, OP_WAIT_REBALANCING);
    return OP_RECONCILE_DONE;
}

op_outcome op_run_balance(op_run *w, util_err *err)
{
    op_balance_view v = {0};
    int have = live_replicas(w, err);

    if (have == -2)
        return OP_RECONCILE_RETRY;
    v.kafka = w->c.flavor == OP_FLAVOR_KAFKA;
    v.mode = w->c.rebalance_mode;
    v.have = have;
    v.want = w->c.replicas;
    v.old = old_status(w);
    v.request = kube_meta_annotation(w->cr, OP_REBALANCE_ANNOTATION);
    switch (op_balance_decide(&v)) {
    case OP_BALANCE_DECOMMISSION:
        return decommission(w, have, err);
    case OP_BALANCE_CANCEL:
        return cancel(w, have);
    case OP_BALANCE_REBALANCE:
        return rebalance(w, have);
    case OP_BALANCE_FINISHED:
        new_status(w, OP_PHASE_BALANCED, have, op_balance_old_request(v.old));
        return OP_RECONCILE_DONE;
    case OP_BALANCE_NONE:
        break;
    }
    /* Nothing moves. A cluster being created, or one at its size with no
     * record yet, is balanced over the brokers the spec asks for: the
     * record the next scale-up compares with. It stays otherwise. */
    if (v.kafka && (have < 0 || have == v.want) && op_balance_old_brokers(v.old) < 0)
        new_status(w, OP_PHASE_BALANCED, v.want, NULL);
    else
        w->rebalance = cJSON_Duplicate(v.old, 1); /* the record stays; NULL for none */
    return OP_RECONCILE_DONE;
}
