/* The mover's steps (see move.h): read the cluster, plan from where its
 * moves in flight will leave it, start the next moves with their
 * throttles, or finish. */
#include "balance/move.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance/plan.h"
#include "balance/throttle.h"
#include "kafka/elect_leaders.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/quorum.h"
#include "kafka/reassign.h"
#include "kafka/topic_partitions.h"
#include "util/clock.h"

/* Partitions per ElectLeaders request when finishing. */
#define ELECT_BATCH 200
/* How long a step waits for the brokers' metadata to catch up, how often
 * it looks, and how long without a fetch makes a broker gone. */
#define SYNC_MS      5000
#define SYNC_POLL_MS 100
#define STALE_MS     10000
/* How long before a refused plan is made again from a new read. */
#define REPLAN_MS 1000

/* A partition's place in state.parts, for lookups by name. */
typedef struct part_key {
    const char *topic;
    int32_t partition;
    int32_t index;
} part_key;

/* The cluster as one step sees it. Everything owned; state_free frees. */
typedef struct state {
    kafka_metadata *md;
    kafka_list_partition_reassignments_response *ongoing;
    balance_broker *brokers;
    int32_t nb;
    balance_partition *parts; /* replicas: where each will be once its move in flight is done */
    int32_t np;
    /* Per partition, for those in flight: the move Kafka is making. */
    const kafka_ongoing_partition **flight;
    /* Per partition: 1 when a leaving broker holds one of its replicas
     * now (always 0 without leaving brokers). */
    unsigned char *on_leaving;
    int32_t (*from)[BALANCE_MAX_REPLICAS]; /* the replicas it had */
    int32_t *n_from;
    part_key *keys; /* np, sorted by (topic, partition) */
} state;

static void state_free(state *s)
{
    kafka_metadata_free(s->md);
    kafka_list_partition_reassignments_free(s->ongoing);
    free(s->brokers);
    free(s->parts);
    free(s->flight);
    free(s->on_leaving);
    free(s->from);
    free(s->n_from);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

static int has(const int32_t *ids, int32_t n, int32_t id)
{
    return ids != NULL && kafka_int32_contains(ids, n, id);
}

/* ids[0..n) without those in drop[0..n_drop), in order, into out; the
 * count. */
static int32_t without(const int32_t *ids, int32_t n, const int32_t *drop, int32_t n_drop,
                       int32_t *out)
{
    int32_t k = 0;

    for (int32_t i = 0; i < n; i++)
        if (!has(drop, n_drop, ids[i]))
            out[k++] = ids[i];
    return k;
}

/* Voter k of qp's voters, then its observers, as one list. */
static const kafka_quorum_replica *replica_at(const kafka_quorum_partition *qp, int32_t k)
{
    return k < qp->n_voters ? &qp->voters[k] : &qp->observers[k - qp->n_voters];
}

/* Waits until every broker and controller still fetching the metadata log
 * has fetched it up to the high watermark it has now (as the quorum's
 * leader says, DescribeQuorum), for at most SYNC_MS. A broker answers
 * Metadata from its own copy of that log, which trails the controller
 * that answered ListPartitionReassignments: a move the controller has
 * just finished would still show there with the replicas of both sides,
 * and look like a partition with more replicas than it has. 0 once caught
 * up, 1 when the wait ran out, -1 with err. */
static int metadata_caught_up(kafka_conn *c, const kafka_api_versions *av, int timeout_ms,
                              util_err *err)
{
    int64_t deadline = util_mono_ms() + SYNC_MS, hw = -1;

    for (;;) {
        kafka_describe_quorum_response *q = NULL;
        const kafka_quorum_partition *qp;
        int behind = 0;

        if (kafka_describe_quorum_call(c, av, NULL, timeout_ms, &q, err) != 0)
            return util_err_prefix(err, "DescribeQuorum");
        qp = kafka_describe_quorum_partition(q);
        if (qp != NULL) {
            int64_t newest = -1;
            int32_t n = qp->n_voters + qp->n_observers;

            if (hw < 0)
                hw = qp->high_watermark;
            for (int32_t k = 0; k < n; k++)
                if (replica_at(qp, k)->last_fetch_timestamp > newest)
                    newest = replica_at(qp, k)->last_fetch_timestamp;
            for (int32_t k = 0; k < n; k++) {
                const kafka_quorum_replica *r = replica_at(qp, k);

                /* One that stopped fetching (a broker gone) is not waited
                 * for; the leader itself is always current. */
                if (r->replica_id != qp->leader_id && r->log_end_offset < hw &&
                    (r->last_fetch_timestamp < 0 || newest - r->last_fetch_timestamp < STALE_MS))
                    behind++;
            }
        }
        kafka_describe_quorum_free(q);
        if (behind == 0)
            return 0;
        if (util_mono_ms() >= deadline)
            return 1;
        util_sleep_ms(SYNC_POLL_MS);
    }
}

static int cmp_key(const void *a, const void *b)
{
    const part_key *x = a, *y = b;
    int k = strcmp(x->topic, y->topic);

    return k != 0 ? k : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Reads Metadata and the moves in flight into s; counts into p. 0; 1 when
 * a partition has more replicas than the planner takes (p says so); -1
 * with err. */
static int read_state(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                      state *s, balance_progress *p, util_err *err)
{
    kafka_metadata_request mreq = {o->topics, o->n_topics};
    kafka_list_partition_reassignments_request lreq = {o->timeout_ms, NULL, 0};
    int32_t total = 0;
    int rc;

    /* The moves in flight first, then Metadata as of then at least. */
    if (kafka_list_partition_reassignments_call(c, av, &lreq, o->timeout_ms, &s->ongoing, err) != 0)
        return util_err_prefix(err, "ListPartitionReassignments");
    if ((rc = metadata_caught_up(c, av, o->timeout_ms, err)) != 0) {
        if (rc < 0)
            return -1;
        p->state = BALANCE_MOVING;
        snprintf(p->message, sizeof p->message,
                 "a broker's copy of the cluster metadata trails the controller: waiting");
        return 1;
    }
    if (kafka_metadata_call(c, av, &mreq, o->timeout_ms, &s->md, err) != 0)
        return util_err_prefix(err, "Metadata");
    for (int32_t t = 0; t < s->md->n_topics; t++)
        if (s->md->topics[t].name != NULL)
            total += s->md->topics[t].n_partitions;
    s->brokers = calloc((size_t)s->md->n_brokers + 1, sizeof *s->brokers);
    s->parts = calloc((size_t)total + 1, sizeof *s->parts);
    s->flight = calloc((size_t)total + 1, sizeof *s->flight);
    s->on_leaving = calloc((size_t)total + 1, sizeof *s->on_leaving);
    s->from = calloc((size_t)total + 1, sizeof *s->from);
    s->n_from = calloc((size_t)total + 1, sizeof *s->n_from);
    if (s->brokers == NULL || s->parts == NULL || s->flight == NULL || s->on_leaving == NULL ||
        s->from == NULL || s->n_from == NULL)
        return util_err_set(err, "reading %" PRId32 " partitions: out of memory", total);
    for (int32_t b = 0; b < s->md->n_brokers; b++) {
        const kafka_metadata_broker *mb = &s->md->brokers[b];

        s->brokers[s->nb++] =
            (balance_broker){mb->node_id, mb->rack, has(o->leaving, o->n_leaving, mb->node_id)};
    }
    for (int32_t t = 0; t < s->md->n_topics; t++) {
        const kafka_metadata_topic *tp = &s->md->topics[t];

        if (tp->name == NULL || tp->error_code != 0)
            continue; /* one asked for by name that does not exist */
        for (int32_t i = 0; i < tp->n_partitions; i++) {
            const kafka_metadata_partition *mp = &tp->partitions[i];
            const kafka_ongoing_partition *f =
                kafka_list_partition_reassignments_find(s->ongoing, tp->name, mp->index);
            balance_partition *bp = &s->parts[s->np];

            if (mp->n_replicas < 1)
                continue; /* no replica listed (an error): nothing to move */
            if (mp->n_replicas > BALANCE_MAX_REPLICAS) {
                p->state = BALANCE_REFUSED;
                snprintf(p->message, sizeof p->message,
                         "partition %s-%" PRId32 " has %" PRId32
                         " replicas; berth moves partitions of 1 to %d",
                         tp->name, mp->index, mp->n_replicas, BALANCE_MAX_REPLICAS);
                return 1;
            }
            for (int32_t r = 0; r < mp->n_replicas; r++)
                if (has(o->leaving, o->n_leaving, mp->replicas[r])) {
                    p->on_leaving++;
                    s->on_leaving[s->np] = 1;
                }
            bp->topic = tp->name;
            bp->partition = mp->index;
            if (f != NULL) {
                /* Kafka lists the target replicas first, then the ones
                 * leaving; plan from the target. */
                bp->n =
                    without(mp->replicas, mp->n_replicas, f->removing, f->n_removing, bp->replicas);
                s->n_from[s->np] =
                    without(mp->replicas, mp->n_replicas, f->adding, f->n_adding, s->from[s->np]);
                s->flight[s->np] = f;
                p->moving++;
            }
            /* Not moving, or a move that takes every replica away (not
             * berth's): plan from the replicas it has. */
            if (f == NULL || bp->n < 1) {
                bp->n = mp->n_replicas;
                memcpy(bp->replicas, mp->replicas, (size_t)mp->n_replicas * sizeof(int32_t));
            }
            s->np++;
        }
    }
    p->partitions = s->np;
    if ((s->keys = calloc((size_t)s->np + 1, sizeof *s->keys)) == NULL)
        return util_err_set(err, "reading %" PRId32 " partitions: out of memory", s->np);
    for (int32_t i = 0; i < s->np; i++)
        s->keys[i] = (part_key){s->parts[i].topic, s->parts[i].partition, i};
    qsort(s->keys, (size_t)s->np, sizeof *s->keys, cmp_key);
    return 0;
}

static int cmp_throttled(const void *a, const void *b)
{
    const balance_throttled *x = a, *y = b;
    int k = strcmp(x->topic, y->topic);

    return k != 0 ? k : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Index of (topic, partition) in s->parts, or -1. */
static int32_t part_index(const state *s, const char *topic, int32_t partition)
{
    part_key want = {topic, partition, -1};
    const part_key *k = bsearch(&want, s->keys, (size_t)s->np, sizeof *s->keys, cmp_key);

    return k != NULL ? k->index : -1;
}

/* Starts moves[0..n) (sorted by topic): throttles for them and for the
 * moves in flight on the same topics, then one AlterPartitionReassignments.
 * Counts what Kafka refused into p. 0, or -1 with err. */
static int start(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                 const state *s, const balance_move *moves, int32_t n, balance_progress *p,
                 util_err *err)
{
    balance_throttled *th = calloc((size_t)(n + p->moving) + 1, sizeof *th);
    kafka_reassign_partition *rp = calloc((size_t)n + 1, sizeof *rp);
    kafka_reassign_topic *rt = calloc((size_t)n + 1, sizeof *rt);
    kafka_alter_partition_reassignments_request req = {0};
    kafka_alter_partition_reassignments_response *res = NULL;
    int32_t nth = 0, nt = 0;
    int rc = -1;

    if (th == NULL || rp == NULL || rt == NULL) {
        util_err_set(err, "starting %" PRId32 " moves: out of memory", n);
        goto out;
    }
    for (int32_t i = 0; i < n; i++) {
        th[nth++] = (balance_throttled){moves[i].topic, moves[i].partition, moves[i].from,
                                        moves[i].n,     moves[i].to,        moves[i].n};
        rp[i] = (kafka_reassign_partition){moves[i].partition, moves[i].to, moves[i].n};
        if (nt == 0 || strcmp(rt[nt - 1].name, moves[i].topic) != 0)
            rt[nt++] = (kafka_reassign_topic){moves[i].topic, &rp[i], 0};
        rt[nt - 1].n_partitions++;
    }
    /* The topics' moves in flight keep their throttles: the lists are set
     * whole. */
    for (int32_t i = 0; i < s->np; i++) {
        int32_t t;

        if (s->flight[i] == NULL)
            continue;
        for (t = 0; t < nt && strcmp(rt[t].name, s->parts[i].topic) != 0; t++)
            ;
        if (t < nt)
            th[nth++] =
                (balance_throttled){s->parts[i].topic, s->parts[i].partition, s->from[i],
                                    s->n_from[i],      s->parts[i].replicas,  s->parts[i].n};
    }
    qsort(th, (size_t)nth, sizeof *th, cmp_throttled);
    if (balance_throttle_set(c, av, th, nth, o->throttle_bytes, o->timeout_ms, err) != 0)
        goto out;
    req.timeout_ms = o->timeout_ms;
    req.keep_replication_factor = 1; /* balance_step moves only where the broker can */
    req.topics = rt;
    req.n_topics = nt;
    if (kafka_alter_partition_reassignments_call(c, av, &req, o->timeout_ms, &res, err) != 0) {
        util_err_prefix(err, "AlterPartitionReassignments");
        goto out;
    }
    for (int32_t t = 0; t < res->n_topics; t++)
        for (int32_t k = 0; k < res->topics[t].n_partitions; k++) {
            const kafka_reassign_partition_result *r = &res->topics[t].partitions[k];

            if (r->error_code == 0) {
                p->started++;
                continue;
            }
            if (p->refused++ == 0)
                snprintf(p->message, sizeof p->message, "moving %s-%" PRId32 ": %s%s%s",
                         res->topics[t].name, r->index, kafka_error_name(r->error_code),
                         r->error_message != NULL ? ": " : "",
                         r->error_message != NULL ? r->error_message : "");
        }
    rc = 0;
out:
    kafka_alter_partition_reassignments_free(res);
    free(rt);
    free(rp);
    free(th);
    return rc;
}

/* Every topic's name, borrowed from md, into a new array (*n names). */
static const char **topic_names(const kafka_metadata *md, int32_t *n)
{
    const char **names = calloc((size_t)md->n_topics + 1, sizeof *names);

    *n = 0;
    for (int32_t t = 0; names != NULL && t < md->n_topics; t++)
        if (md->topics[t].name != NULL && md->topics[t].error_code == 0)
            names[(*n)++] = md->topics[t].name;
    return names;
}

/* Preferred-leader elections where the leader is not the first replica
 * and the first replica is in sync. *elected: how many Kafka made. */
static int elect_preferred(kafka_conn *c, const kafka_api_versions *av, const kafka_metadata *md,
                           int timeout_ms, int32_t *elected, util_err *err)
{
    kafka_tp_list l;
    kafka_elect_leaders_request req = {KAFKA_ELECTION_PREFERRED, NULL, 0, timeout_ms};
    kafka_elect_leaders_response *res = NULL;
    int rc = 0;

    *elected = 0;
    kafka_tp_list_init(&l);
    for (int32_t t = 0; t < md->n_topics && rc == 0; t++) {
        const kafka_metadata_topic *tp = &md->topics[t];

        for (int32_t i = 0; tp->name != NULL && i < tp->n_partitions && rc == 0; i++) {
            const kafka_metadata_partition *mp = &tp->partitions[i];

            if (mp->n_replicas > 0 && mp->leader != mp->replicas[0] &&
                has(mp->isr, mp->n_isr, mp->replicas[0]))
                rc = kafka_tp_list_add(&l, tp->name, mp->index, err);
        }
    }
    if (rc == 0 && l.n_partitions > 0) {
        req.topics = l.items;
        req.n_topics = l.n;
        rc = kafka_elect_leaders_batched(c, av, &req, ELECT_BATCH, timeout_ms, &res, err);
        for (int32_t t = 0; rc == 0 && t < res->n_topics; t++)
            for (int32_t k = 0; k < res->topics[t].n_partitions; k++)
                if (res->topics[t].partitions[k].error_code == 0)
                    (*elected)++;
        kafka_elect_leaders_free(res);
    }
    kafka_tp_list_release(&l);
    return rc < 0 ? util_err_prefix(err, "electing preferred leaders") : 0;
}

/* Nothing left and nothing in flight: throttles off, preferred leaders in. */
static int finish(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                  const state *s, balance_progress *p, util_err *err)
{
    int32_t n;
    const char **names = topic_names(s->md, &n);
    int rc;

    if (names == NULL)
        return util_err_set(err, "finishing: out of memory");
    rc = balance_throttle_clear(c, av, names, n, o->timeout_ms, err);
    free(names);
    if (rc != 0)
        return -1;
    return elect_preferred(c, av, s->md, o->timeout_ms, &p->elected, err);
}

int balance_step(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                 balance_progress *p, util_err *err)
{
    state s = {0};
    balance_plan *plan = NULL;
    balance_move *next = NULL;
    int32_t n_next = 0;
    int rc;

    memset(p, 0, sizeof *p);
    if (o->max_moves <= 0 || o->n_leaving < 0 || o->n_leaving > BALANCE_MAX_LEAVING)
        return util_err_set(err, "balance step: max_moves %" PRId32 ", %" PRId32 " leaving",
                            o->max_moves, o->n_leaving);
    if (!kafka_alter_partition_reassignments_keeps_rf(av))
        return util_err_set(err, "the broker does not speak AlterPartitionReassignments v1 (Kafka "
                                 "4.1 and later), which guards a partition's replication factor: "
                                 "berth moves no partition without it");
    /* A plan refused is planned again once from a new read: a move Kafka
     * finished a moment ago may still show, in a broker's copy of the
     * metadata, with the replicas of both its sides. */
    for (int attempt = 0;; attempt++) {
        rc = read_state(c, av, o, &s, p, err);
        if (rc != 0)
            goto out;
        for (int32_t id = 0; id < o->expect_brokers; id++)
            if (kafka_metadata_broker_find(s.md, id) == NULL) {
                p->state = BALANCE_MOVING;
                snprintf(p->message, sizeof p->message,
                         "broker %d is not registered with the cluster yet: waiting", (int)id);
                goto out;
            }
        /* And no other: one beyond (a removed broker still shutting
         * down) would be given replicas it takes away when it goes. */
        for (int32_t b = 0; o->expect_brokers > 0 && b < s.md->n_brokers; b++)
            if (s.md->brokers[b].node_id >= o->expect_brokers) {
                p->state = BALANCE_MOVING;
                snprintf(p->message, sizeof p->message,
                         "broker %d is still registered, beyond the %d brokers to balance over: "
                         "waiting for it to leave",
                         (int)s.md->brokers[b].node_id, (int)o->expect_brokers);
                goto out;
            }
        if (balance_plan_new(s.brokers, s.nb, s.parts, s.np, &plan, err) == 0)
            break;
        if (attempt > 0) {
            p->state = BALANCE_REFUSED;
            snprintf(p->message, sizeof p->message, "%s", err->msg);
            util_err_clear(err);
            goto out;
        }
        util_err_clear(err);
        state_free(&s);
        memset(p, 0, sizeof *p);
        util_sleep_ms(REPLAN_MS);
    }
    next = calloc((size_t)plan->n + 1, sizeof *next);
    if (next == NULL) {
        rc = util_err_set(err, "planning: out of memory");
        goto out;
    }
    /* A decommission starts only the moves that empty the leaving
     * brokers (to the places the whole plan gives them), and waits only
     * for those: evening out the rest is a rebalance's job. */
    for (int32_t i = 0; i < plan->n; i++) {
        int32_t k = part_index(&s, plan->moves[i].topic, plan->moves[i].partition);

        if (k >= 0 && s.flight[k] == NULL && (o->n_leaving == 0 || s.on_leaving[k]))
            next[n_next++] = plan->moves[i];
    }
    p->left = n_next;
    for (int32_t k = 0; k < s.np; k++)
        if (s.flight[k] != NULL && (o->n_leaving == 0 || s.on_leaving[k]))
            p->left++;
    if (p->left == 0) {
        p->state = BALANCE_DONE;
        rc = finish(c, av, o, &s, p, err);
        goto out;
    }
    p->state = BALANCE_MOVING;
    if (!o->hold && p->moving < o->max_moves && n_next > 0) {
        int32_t n = o->max_moves - p->moving < n_next ? o->max_moves - p->moving : n_next;

        rc = start(c, av, o, &s, next, n, p, err);
    }
out:
    free(next);
    balance_plan_free(plan);
    state_free(&s);
    return rc < 0 ? -1 : 0;
}

/* Is name among o->topics (any name when there is no filter)? */
static int in_scope(const balance_move_opts *o, const char *name)
{
    if (o->topics == NULL)
        return 1;
    for (int32_t i = 0; i < o->n_topics; i++)
        if (strcmp(o->topics[i], name) == 0)
            return 1;
    return 0;
}

int balance_cancel(kafka_conn *c, const kafka_api_versions *av, const balance_move_opts *o,
                   int32_t *cancelled, util_err *err)
{
    const int32_t *leaving = o->leaving;
    int32_t n_leaving = o->n_leaving;
    int timeout_ms = o->timeout_ms;
    kafka_list_partition_reassignments_request lreq = {timeout_ms, NULL, 0};
    kafka_list_partition_reassignments_response *ongoing = NULL;
    kafka_alter_partition_reassignments_request req = {0};
    kafka_alter_partition_reassignments_response *res = NULL;
    kafka_reassign_partition *rp = NULL;
    kafka_reassign_topic *rt = NULL;
    int32_t total = 0, n = 0, nt = 0;
    int rc = -1;

    *cancelled = 0;
    if (kafka_list_partition_reassignments_call(c, av, &lreq, timeout_ms, &ongoing, err) != 0)
        return util_err_prefix(err, "ListPartitionReassignments");
    for (int32_t t = 0; t < ongoing->n_topics; t++)
        total += ongoing->topics[t].n_partitions;
    rp = calloc((size_t)total + 1, sizeof *rp);
    rt = calloc((size_t)ongoing->n_topics + 1, sizeof *rt);
    if (rp == NULL || rt == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    for (int32_t t = 0; t < ongoing->n_topics; t++) {
        const kafka_ongoing_topic *ot = &ongoing->topics[t];
        int32_t first = n;

        for (int32_t i = 0; in_scope(o, ot->name) && i < ot->n_partitions; i++) {
            const kafka_ongoing_partition *op = &ot->partitions[i];
            int32_t r;

            for (r = 0; r < op->n_removing && !has(leaving, n_leaving, op->removing[r]); r++)
                ;
            if (r < op->n_removing)
                rp[n++] = (kafka_reassign_partition){op->index, NULL, 0};
        }
        if (n > first)
            rt[nt++] = (kafka_reassign_topic){ot->name, &rp[first], n - first};
    }
    if (nt > 0) {
        req.timeout_ms = timeout_ms;
        req.topics = rt;
        req.n_topics = nt;
        if (kafka_alter_partition_reassignments_call(c, av, &req, timeout_ms, &res, err) != 0) {
            util_err_prefix(err, "AlterPartitionReassignments (cancel)");
            goto out;
        }
        for (int32_t t = 0; t < res->n_topics; t++)
            for (int32_t k = 0; k < res->topics[t].n_partitions; k++)
                if (res->topics[t].partitions[k].error_code == 0)
                    (*cancelled)++;
    }
    rc = 0;
    if (*cancelled == total) {
        /* Nothing else in flight: no move needs a throttle any more. */
        kafka_metadata_request mreq = {o->topics, o->n_topics};
        kafka_metadata *md = NULL;
        const char **names = NULL;
        int32_t nn;

        if (kafka_metadata_call(c, av, &mreq, timeout_ms, &md, err) != 0 ||
            (names = topic_names(md, &nn)) == NULL ||
            balance_throttle_clear(c, av, names, nn, timeout_ms, err) != 0)
            rc = util_err_prefix(err, "after cancelling %" PRId32 " moves", *cancelled);
        free(names);
        kafka_metadata_free(md);
    }
out:
    kafka_alter_partition_reassignments_free(res);
    free(rt);
    free(rp);
    kafka_list_partition_reassignments_free(ongoing);
    return rc;
}
