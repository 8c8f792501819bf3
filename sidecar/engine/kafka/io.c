/* Session, batched writes and the settle loop of drain and restore; see
 * io.h. */
#include "engine/kafka/io.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain/ledger_store.h"
#include "kafka/proto.h"
#include "util/clock.h"

/* Reads of ledger and metadata before settle gives up (the caller's own
 * poll goes on). */
#define SETTLE_ROUNDS 40

int sc_session_budget(const sc_session *s, util_err *err)
{
    long long left = s->deadline_ms - util_mono_ms();

    if (left <= 0)
        return util_err_set(err, "deadline reached");
    return left < SC_CALL_MS ? (int)left : SC_CALL_MS;
}

int sc_say(sc_session *s, util_err *err, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (s->progress == NULL)
        return 0;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->progress(s->arg, line) != 0)
        return util_err_set(err, "stopped: the drain's client went away");
    return 0;
}

void sc_session_pause(const sc_session *s)
{
    sc_session_sleep(s, s->ctx->poll_ms > 0 ? s->ctx->poll_ms : 300);
}

void sc_session_sleep(const sc_session *s, long long ms)
{
    long long left = s->deadline_ms - util_mono_ms();

    util_sleep_ms(left < ms ? left : ms);
}

/* (Re)connects to the broker, negotiates versions and logs in (kafka_dial),
 * within the budget. */
static int connect_broker(sc_session *s, util_err *err)
{
    const sc_kafka_ctx *ctx = s->ctx;
    kafka_dial_opts opts = {0};
    int budget;

    sc_session_close(s);
    if ((budget = sc_session_budget(s, err)) < 0)
        return util_err_prefix(err, "broker %d at %s", (int)ctx->broker_id, ctx->broker_addr);
    if (ctx->dial != NULL)
        opts = *ctx->dial;
    opts.connect_timeout_ms = budget;
    opts.call_timeout_ms = budget;
    if (kafka_dial(ctx->broker_addr, &opts, &s->conn, &s->av, err) < 0)
        return util_err_prefix(err, "broker %d at %s unreachable", (int)ctx->broker_id,
                               ctx->broker_addr);
    return 0;
}

/* After a failed call (a connection is unusable once a call failed on it):
 * 0 when a fresh connection is up and the call may be tried once more, -1
 * (err keeping the first failure) when the deadline passed or the broker
 * cannot be reached again. */
static int recover(sc_session *s, util_err *err)
{
    util_err again;

    if (util_mono_ms() >= s->deadline_ms)
        return -1;
    if (sc_say(s, NULL, "broker call failed (%s); reconnecting", err ? err->msg : "?") < 0)
        return -1;
    if (connect_broker(s, &again) < 0) {
        util_err_prefix(err, "%s; then", again.msg);
        return -1;
    }
    return 0;
}

int sc_session_open(sc_session *s, const sc_kafka_ctx *ctx, long long deadline_ms,
                    sc_kafka_progress_fn progress, void *arg, util_err *err)
{
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->deadline_ms = deadline_ms;
    s->progress = progress;
    s->arg = arg;
    if (ctx->broker_addr == NULL || ctx->kube == NULL || ctx->ns == NULL || ctx->cluster == NULL)
        return util_err_set(err, "drain: broker address, API client, namespace and cluster "
                                 "are all needed");
    if (drain_ledger_configmap(s->ledger, sizeof s->ledger, ctx->cluster) < 0)
        return util_err_set(err, "drain: cluster name too long");
    return connect_broker(s, err);
}

void sc_session_close(sc_session *s)
{
    kafka_api_versions_free(s->av);
    kafka_conn_free(s->conn);
    s->av = NULL;
    s->conn = NULL;
}

int sc_session_metadata(sc_session *s, kafka_metadata **out, util_err *err)
{
    kafka_metadata_request req = {NULL, 0};
    int budget, tries;

    *out = NULL;
    for (tries = 0;; tries++) {
        if ((budget = sc_session_budget(s, err)) < 0)
            return util_err_prefix(err, "reading metadata");
        if (kafka_metadata_call(s->conn, s->av, &req, budget, out, err) == 0)
            return 0;
        if (tries > 0 || recover(s, err) < 0)
            return util_err_prefix(err, "reading metadata");
    }
}

int sc_session_ongoing(sc_session *s, kafka_list_partition_reassignments_response **out,
                       util_err *err)
{
    kafka_list_partition_reassignments_request req = {0};
    int budget, tries;

    *out = NULL;
    for (tries = 0;; tries++) {
        if ((budget = sc_session_budget(s, err)) < 0)
            return util_err_prefix(err, "listing reassignments");
        req.timeout_ms = budget;
        if (kafka_list_partition_reassignments_call(s->conn, s->av, &req, budget, out, err) == 0)
            return 0;
        if (tries > 0 || recover(s, err) < 0)
            return util_err_prefix(err, "listing reassignments");
    }
}

/* Can the broker refuse a change of replication factor (Alter v1)? */
/* One AlterPartitionReassignments request for moves[0..n) (reorders only). */
static int alter_batch(sc_session *s, const drain_plan_move *const *moves, int32_t n,
                       int32_t *refused, util_err *err)
{
    kafka_reassign_topic *topics = calloc((size_t)n, sizeof *topics);
    kafka_reassign_partition *parts = calloc((size_t)n, sizeof *parts);
    kafka_alter_partition_reassignments_request req = {0};
    kafka_alter_partition_reassignments_response *res = NULL;
    int32_t i, t, k, nt = 0;
    int budget, tries, rc = -1;

    if (topics == NULL || parts == NULL) {
        util_err_set(err, "writing replica orders: out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        parts[i].index = moves[i]->partition;
        parts[i].replicas = moves[i]->order;
        parts[i].n_replicas = moves[i]->n;
        if (nt == 0 || strcmp(topics[nt - 1].name, moves[i]->topic) != 0) {
            topics[nt].name = moves[i]->topic;
            topics[nt].partitions = &parts[i];
            nt++;
        }
        topics[nt - 1].n_partitions++;
    }
    req.topics = topics;
    req.n_topics = nt;
    for (tries = 0;; tries++) {
        if ((budget = sc_session_budget(s, err)) < 0)
            goto out;
        req.timeout_ms = budget;
        req.keep_replication_factor = kafka_alter_partition_reassignments_keeps_rf(s->av);
        if (kafka_alter_partition_reassignments_call(s->conn, s->av, &req, budget, &res, err) == 0)
            break;
        if (tries > 0 || recover(s, err) < 0)
            goto out;
    }
    for (t = 0; t < res->n_topics; t++)
        for (k = 0; k < res->topics[t].n_partitions; k++) {
            const kafka_reassign_partition_result *pr = &res->topics[t].partitions[k];
            if (pr->error_code == 0)
                continue;
            (*refused)++;
            if (sc_say(s, err, "partition %s-%d: order not written: %s%s%s", res->topics[t].name,
                       (int)pr->index, kafka_error_name(pr->error_code),
                       pr->error_message ? ": " : "",
                       pr->error_message ? pr->error_message : "") < 0)
                goto out;
        }
    rc = 0;
out:
    kafka_alter_partition_reassignments_free(res);
    free(topics);
    free(parts);
    return rc < 0 ? util_err_prefix(err, "writing replica orders") : 0;
}

/* Moves with a consecutive same-topic grouping: a batch groups moves by
 * topic only when they are adjacent, so sort pointers by topic first. */
static int by_topic(const void *a, const void *b)
{
    const drain_plan_move *x = *(const drain_plan_move *const *)a;
    const drain_plan_move *y = *(const drain_plan_move *const *)b;
    int c = strcmp(x->topic, y->topic);

    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

int sc_session_write_orders(sc_session *s, const drain_plan *p, sc_orders_pick pick,
                            int32_t *refused, util_err *err)
{
    const drain_plan_move **sel;
    int32_t i, n = 0;
    int rc = 0;

    if (p->n_moves == 0)
        return 0;
    sel = calloc((size_t)p->n_moves, sizeof *sel);
    if (sel == NULL)
        return util_err_set(err, "writing replica orders: out of memory");
    for (i = 0; i < p->n_moves; i++)
        if (p->moves[i].reorder &&
            (pick == SC_ORDERS_ALL || (pick == SC_ORDERS_ELECTED) == (p->moves[i].elect != 0)))
            sel[n++] = &p->moves[i];
    qsort(sel, (size_t)n, sizeof *sel, by_topic);
    for (i = 0; i < n && rc == 0; i += SC_ALTER_BATCH)
        rc = alter_batch(s, sel + i, n - i < SC_ALTER_BATCH ? n - i : SC_ALTER_BATCH, refused, err);
    free(sel);
    return rc;
}

int sc_session_elect(sc_session *s, const drain_plan *p, int32_t *failed, char *why, size_t size,
                     util_err *err)
{
    kafka_tp_list l;
    kafka_elect_leaders_request req = {0};
    kafka_elect_leaders_response *res = NULL;
    int32_t i, t, k, batch = s->ctx->elect_batch > 0 ? s->ctx->elect_batch : SC_ELECT_BATCH;
    size_t used = 0;
    int budget, tries, rc = -1;

    *failed = 0;
    if (why != NULL && size > 0)
        why[0] = '\0';
    kafka_tp_list_init(&l);
    for (i = 0; i < p->n_moves; i++)
        if (p->moves[i].elect &&
            kafka_tp_list_add(&l, p->moves[i].topic, p->moves[i].partition, err) < 0)
            goto out;
    if (l.n_partitions == 0) {
        rc = 0;
        goto out;
    }
    req.election_type = KAFKA_ELECTION_PREFERRED;
    req.topics = l.items;
    req.n_topics = l.n;
    for (tries = 0;; tries++) {
        if ((budget = sc_session_budget(s, err)) < 0)
            goto out;
        req.timeout_ms = budget;
        if (kafka_elect_leaders_batched(s->conn, s->av, &req, batch, budget, &res, err) == 0)
            break;
        if (tries > 0 || recover(s, err) < 0)
            goto out;
    }
    for (t = 0; t < res->n_topics; t++)
        for (k = 0; k < res->topics[t].n_partitions; k++) {
            const kafka_elect_partition_result *r = &res->topics[t].partitions[k];
            if (r->error_code == 0 || r->error_code == KAFKA_ERR_ELECTION_NOT_NEEDED)
                continue;
            if (why != NULL && (*failed) < 5 && used < size) {
                int w = snprintf(why + used, size - used, "%s%s-%d: %s", used ? ", " : "",
                                 res->topics[t].topic, (int)r->partition,
                                 kafka_error_name(r->error_code));
                if (w > 0)
                    used += (size_t)w;
            }
            (*failed)++;
        }
    rc = 0;
out:
    kafka_elect_leaders_free(res);
    kafka_tp_list_release(&l);
    return rc < 0 ? util_err_prefix(err, "electing preferred leaders") : 0;
}

int sc_session_settle(sc_session *s, const drain_plan *p, util_err *err)
{
    int round;

    for (round = 0; round < SETTLE_ROUNDS; round++) {
        drain_ledger *l = NULL;
        kafka_metadata *md = NULL;
        drain_plan *again = NULL;
        int32_t refused = 0, failed, pending = 0;
        int rc;

        if (drain_ledger_load(s->ctx->kube, s->ctx->ns, s->ledger, &l, err) < 0)
            return util_err_prefix(err, "settling");
        rc = sc_session_metadata(s, &md, err);
        if (rc == 0)
            rc = drain_plan_settle(p, l, md, &again, &pending, err);
        if (rc == 0 && again->n_moves > 0) {
            rc = sc_say(s, err, "settle: %d partitions changed by a concurrent drain, rewriting",
                        (int)again->n_moves);
            if (rc == 0)
                rc = sc_session_write_orders(s, again, SC_ORDERS_ALL, &refused, err);
            if (rc == 0)
                rc = sc_session_elect(s, again, &failed, NULL, 0, err);
        }
        rc = rc < 0 ? -1 : again->n_moves == 0 && pending == 0;
        drain_plan_free(again);
        kafka_metadata_free(md);
        drain_ledger_free(l);
        if (rc < 0)
            return util_err_prefix(err, "settling");
        if (rc == 1)
            return 0;
        if (util_mono_ms() >= s->deadline_ms)
            return 0; /* the caller's poll reports what is left */
        sc_session_pause(s);
    }
    return 0;
}

void sc_round_release(sc_round *r)
{
    drain_plan_free(r->plan);
    kafka_metadata_free(r->md);
    kafka_list_partition_reassignments_free(r->ongoing);
    r->plan = NULL;
    r->md = NULL;
    r->ongoing = NULL;
}

int sc_round_read(sc_session *s, sc_round *r, util_err *err)
{
    sc_round_release(r);
    if (sc_session_ongoing(s, &r->ongoing, err) < 0 || sc_session_metadata(s, &r->md, err) < 0)
        return -1;
    return 0;
}
