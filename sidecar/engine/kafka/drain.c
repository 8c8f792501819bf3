/* Drain of a Kafka broker (drain.h): demote it in the ledger on every
 * partition it replicates, write the orders of the partitions it leads,
 * elect their preferred leaders, poll until it leads nothing, then write
 * the other orders; until the deadline. Each round starts again from fresh
 * metadata, reassignments and ledger, so a repeated or interrupted drain
 * just carries on where the last one stopped. A drain
 * of a cluster being deleted never gets here: run answers it before any
 * engine (serve/run.h, serve/teardown_mark.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain/ledger_store.h"
#include "engine/kafka/drain.h"
#include "engine/kafka/io.h"
#include "kafka/configs.h"
#include "kafka/proto.h"
#include "kube/lease.h"
#include "util/clock.h"
#include "util/log.h"

/* Metadata polls per round before planning again. */
#define POLLS_PER_ROUND 10

typedef struct drain_round {
    sc_session *s;
    /* Read again for every plan: a reassignment someone starts during the
     * drain is left alone by the next round (berth's own reorders finish
     * at once and never show here). */
    sc_round rd;
    const drain_topic_min_isr *min_isr;
    int32_t n_min_isr;
} drain_round;

/* The ledger step: runs once per compare-and-set attempt, on fresh
 * reassignments and metadata each time. */
static int plan_in_ledger(drain_ledger *l, void *arg, util_err *err)
{
    drain_round *r = arg;

    if (sc_round_read(r->s, &r->rd, err) < 0)
        return -1;
    return drain_plan_drain(r->rd.md, r->rd.ongoing, l, r->min_isr, r->n_min_isr,
                            r->s->ctx->broker_id, &r->rd.plan, err);
}

/* min.insync.replicas of every topic in md, asked in one request and
 * taken as drain/min_isr.h says; *out for free (names borrowed from md). */
static int read_min_isr(sc_session *s, const kafka_metadata *md, drain_topic_min_isr **out,
                        int32_t *n_out, util_err *err)
{
    static const char *const keys[1] = {DRAIN_MIN_ISR_KEY};
    kafka_config_resource *res = calloc((size_t)md->n_topics + 1, sizeof *res);
    kafka_describe_configs_request req = {0};
    kafka_describe_configs_response *ans = NULL;
    const kafka_describe_configs_response *one;
    int32_t i, n = 0;
    int budget, rc;

    *out = NULL;
    *n_out = 0;
    if (res == NULL)
        return util_err_set(err, "reading %s: out of memory", DRAIN_MIN_ISR_KEY);
    for (i = 0; i < md->n_topics; i++) {
        if (md->topics[i].name == NULL || md->topics[i].error_code != 0)
            continue;
        res[n].type = KAFKA_RESOURCE_TOPIC;
        res[n].name = md->topics[i].name;
        res[n].keys = keys;
        res[n].n_keys = 1;
        n++;
    }
    if (n > 0) {
        req.resources = res;
        req.n_resources = n;
        if ((budget = sc_session_budget(s, err)) < 0 ||
            kafka_describe_configs_call(s->conn, s->av, &req, budget, &ans, err) < 0) {
            free(res);
            return util_err_prefix(err, "reading %s", DRAIN_MIN_ISR_KEY);
        }
    }
    one = ans;
    rc = drain_min_isr_list(md, &one, 1, out, n_out, err);
    kafka_describe_configs_free(ans);
    free(res);
    return rc;
}

/* Partitions broker leads in md, the first few named in why. Those the
 * plan left alone (only in-sync replica, under reassignment, no other
 * replica to prefer) count in *stuck too. */
static int32_t count_led(const kafka_metadata *md, int32_t broker, const drain_plan *last,
                         int32_t *stuck, char *why, size_t size)
{
    int32_t t, i, k, n = 0;
    size_t used = 0;

    *stuck = 0;
    if (size > 0)
        why[0] = '\0';
    for (t = 0; t < md->n_topics; t++)
        for (i = 0; i < md->topics[t].n_partitions; i++) {
            const kafka_metadata_partition *p = &md->topics[t].partitions[i];
            if (p->leader != broker || md->topics[t].name == NULL)
                continue;
            for (k = 0; last != NULL && k < last->n_notes; k++)
                if (last->notes[k].kind != DRAIN_NOTE_BELOW_MIN_ISR &&
                    last->notes[k].partition == p->index &&
                    strcmp(last->notes[k].topic, md->topics[t].name) == 0)
                    (*stuck)++;
            if (n < 5 && used < size) {
                int w = snprintf(why + used, size - used, "%s%s-%d", used ? ", " : "",
                                 md->topics[t].name, (int)p->index);
                if (w > 0)
                    used += (size_t)w;
            }
            n++;
        }
    return n;
}

/* Has broker leadership to move: does it lead, or come first in, any
 * partition with another replica? */
static int has_work(const kafka_metadata *md, int32_t broker)
{
    int32_t t, i;

    for (t = 0; t < md->n_topics; t++)
        for (i = 0; i < md->topics[t].n_partitions; i++) {
            const kafka_metadata_partition *p = &md->topics[t].partitions[i];
            if (p->n_replicas > 1 && (p->leader == broker || p->replicas[0] == broker))
                return 1;
        }
    return 0;
}

/* Takes the throttle Lease when ctx asks for one and there is work; *out
 * is NULL otherwise. Waits for the lock wait (ctx->budget), or without one
 * half the time left; past that the drain goes on without it (the ledger
 * keeps concurrent drains correct; the Lease only spaces them out). */
static int take_lease(sc_session *s, const kafka_metadata *md, kube_lease **out, util_err *err)
{
    const sc_kafka_ctx *ctx = s->ctx;
    kube_lease_options o = {0};
    kube_lease *l = NULL;
    long long now = util_mono_ms(), until, hold;
    util_err e = {{0}};
    int rc;

    *out = NULL;
    if (ctx->lease_config == NULL || !has_work(md, ctx->broker_id) || s->deadline_ms <= now)
        return 0;
    until = ctx->budget.lock_wait_set ? sc_drain_wait_until(&ctx->budget, now, s->deadline_ms)
                                      : now + (s->deadline_ms - now) / 2;
    /* The latest this drain can end, after waiting the whole time. */
    hold = sc_drain_work_until(&ctx->budget, until, s->deadline_ms) - now;
    o.namespace = ctx->ns;
    o.name = s->ledger; /* "<cluster>-drain", like the ConfigMap */
    o.identity = ctx->lease_identity;
    /* Held for the whole drain without renewing: it lapses by itself soon
     * after the drain's end if this process dies. The Lease keeps whole
     * seconds, and its requests get half of duration minus renew deadline:
     * 3 s. */
    o.lease_duration_ms = ((hold + 999) / 1000 + 10) * 1000;
    o.renew_deadline_ms = o.lease_duration_ms - 6000;
    o.retry_period_ms = 1000;
    if (kube_lease_new(ctx->lease_config, &o, &l, err) < 0)
        return util_err_prefix(err, "drain lease");
    if (sc_say(s, err, "taking the drain lease %s/%s, waiting at most %lld s", ctx->ns, s->ledger,
               (until - now + 999) / 1000) < 0) {
        kube_lease_free(l);
        return -1;
    }
    rc = kube_lease_acquire_wait(l, (int64_t)until * 1000000LL, &e);
    if (rc == 0) {
        *out = l;
        return sc_say(s, err, "holding the drain lease");
    }
    kube_lease_free(l);
    return sc_say(s, err, "going on without the drain lease: %s", e.msg);
}

static void drop_lease(kube_lease *l)
{
    util_err e;

    if (l == NULL)
        return;
    if (kube_lease_release(l, &e) < 0)
        util_warn("drain lease: %s", e.msg);
    kube_lease_free(l);
}

/* The settle loop over p's moves marked elect alone. */
static int settle_elected(sc_session *s, const drain_plan *p, util_err *err)
{
    drain_plan view = *p;
    int32_t i, n = 0;
    int rc;

    view.moves = calloc((size_t)p->n_moves + 1, sizeof *view.moves);
    if (view.moves == NULL)
        return util_err_set(err, "settling: out of memory");
    for (i = 0; i < p->n_moves; i++)
        if (p->moves[i].elect)
            view.moves[n++] = p->moves[i];
    view.n_moves = n;
    rc = n > 0 ? sc_session_settle(s, &view, err) : 0;
    free(view.moves);
    return rc;
}

/* Leaves alone the orders p has still to write (those not marked elect)
 * of partitions a reassignment moves now: one may have begun since p was
 * planned, and writing an order to a partition under reassignment would
 * replace its target. */
static int skip_reassigning(sc_session *s, drain_plan *p, util_err *err)
{
    kafka_list_partition_reassignments_response *ongoing = NULL;
    int32_t i;
    int rc = 0;

    if (sc_session_ongoing(s, &ongoing, err) < 0)
        return -1;
    for (i = 0; i < p->n_moves && rc == 0; i++) {
        drain_plan_move *m = &p->moves[i];
        if (!m->reorder || m->elect ||
            kafka_list_partition_reassignments_find(ongoing, m->topic, m->partition) == NULL)
            continue;
        m->reorder = 0;
        rc = sc_say(s, err, "partition %s-%d: under reassignment since the plan; order not written",
                    m->topic, (int)m->partition);
    }
    kafka_list_partition_reassignments_free(ongoing);
    return rc;
}

/* Tells the notes of a plan (first round only, a few by name). */
static int tell_notes(sc_session *s, const drain_plan *p, util_err *err)
{
    int32_t i;

    for (i = 0; i < p->n_notes; i++) {
        const drain_plan_note *n = &p->notes[i];
        if (i == 10)
            return sc_say(s, err, "... and %d more partitions reported", (int)(p->n_notes - i));
        if (sc_say(s, err,
                   "partition %s-%d: %s (in sync besides this broker: %d, "
                   "min.insync.replicas %d)",
                   n->topic, (int)n->partition, drain_note_name(n->kind), (int)n->isr_left,
                   (int)n->min_isr) < 0)
            return -1;
    }
    return 0;
}

int sc_kafka_drain(const sc_kafka_ctx *ctx, long long deadline_ms, sc_kafka_progress_fn progress,
                   void *arg, long long *idle_since_ms, util_err *err)
{
    sc_session s;
    kafka_metadata *md0 = NULL, *md = NULL; /* min_isr borrows names from md0 */
    drain_topic_min_isr *min_isr = NULL;
    int32_t n_min_isr = 0, round = 0, led = -1, stuck = 0, failed = 0;
    drain_round r = {0};
    kube_lease *lease = NULL;
    char why[256] = "", elect_why[256] = "";
    int rc = -1;

    if (sc_session_open(&s, ctx, deadline_ms, progress, arg, err) < 0)
        return util_err_prefix(err, "drain");
    if (sc_session_metadata(&s, &md0, err) < 0 ||
        read_min_isr(&s, md0, &min_isr, &n_min_isr, err) < 0 ||
        take_lease(&s, md0, &lease, err) < 0)
        goto out;
    /* The wait is over, Lease or not: the drain proper has its own time. */
    deadline_ms = sc_drain_work_until(&ctx->budget, util_mono_ms(), deadline_ms);
    s.deadline_ms = deadline_ms;
    r.s = &s;
    r.min_isr = min_isr;
    r.n_min_isr = n_min_isr;
    for (;; round++) {
        int32_t refused = 0, polls, reorders = 0, i;
        long long t[5]; /* round start; ledger, led orders, elections, polls done */

        t[0] = util_mono_ms();
        if (drain_ledger_update(ctx->kube, ctx->ns, s.ledger, plan_in_ledger, &r, err) < 0)
            goto out;
        t[1] = util_mono_ms();
        for (i = 0; i < r.rd.plan->n_moves; i++)
            reorders += r.rd.plan->moves[i].reorder;
        if (round == 0 &&
            (sc_say(&s, err, "broker %d leads %d partitions; %d orders to write, %d reported",
                    (int)ctx->broker_id, (int)r.rd.plan->n_led, (int)reorders,
                    (int)r.rd.plan->n_notes) < 0 ||
             tell_notes(&s, r.rd.plan, err) < 0))
            goto out;
        /* Leadership first: the orders of the partitions it leads, their
         * settle (the broker itself shows each new order before its
         * election: electing at once, while the broker had not seen the
         * reorder, left idempotent producers looping on
         * OUT_OF_ORDER_SEQUENCE_NUMBER at the new leader in test_roll and
         * bench/pod_roll.sh), their elections; then the rest of the orders
         * while clients move. The settle after those rewrites (and elects
         * again) wherever a concurrent drain crossed this one. */
        if (sc_session_write_orders(&s, r.rd.plan, SC_ORDERS_ELECTED, &refused, err) < 0 ||
            settle_elected(&s, r.rd.plan, err) < 0)
            goto out;
        t[2] = util_mono_ms();
        if (sc_session_elect(&s, r.rd.plan, &failed, elect_why, sizeof elect_why, err) < 0)
            goto out;
        t[3] = util_mono_ms();
        for (polls = 0; polls < POLLS_PER_ROUND; polls++) {
            kafka_metadata_free(md);
            md = NULL;
            if (sc_session_metadata(&s, &md, err) < 0)
                goto out;
            led = count_led(md, ctx->broker_id, r.rd.plan, &stuck, why, sizeof why);
            if (led == 0 && idle_since_ms != NULL && *idle_since_ms == 0)
                *idle_since_ms = util_mono_ms();
            if (led == stuck)
                break;
            if (util_mono_ms() >= deadline_ms)
                break;
            sc_session_pause(&s);
        }
        t[4] = util_mono_ms();
        if (skip_reassigning(&s, r.rd.plan, err) < 0 ||
            sc_session_write_orders(&s, r.rd.plan, SC_ORDERS_REST, &refused, err) < 0 ||
            sc_session_settle(&s, r.rd.plan, err) < 0)
            goto out;
        /* Where a round's time went, for whoever wonders why a drain is slow. */
        if (sc_say(&s, err,
                   "broker %d leads %d partitions (round %d: ledger %lld ms, orders of led "
                   "partitions and their settle %lld ms, elections %lld ms, metadata polls "
                   "%lld ms, other orders and settle %lld ms)",
                   (int)ctx->broker_id, (int)led, (int)round + 1, t[1] - t[0], t[2] - t[1],
                   t[3] - t[2], t[4] - t[3], util_mono_ms() - t[4]) < 0)
            goto out;
        if (led == 0) {
            rc = 0;
            break;
        }
        if (led == stuck) {
            rc = SC_KAFKA_INCOMPLETE;
            util_err_set(err,
                         "%d partitions cannot move (only in-sync replica, under "
                         "reassignment, or no other replica): %s",
                         (int)led, why);
            break;
        }
        if (util_mono_ms() >= deadline_ms) {
            rc = SC_KAFKA_INCOMPLETE;
            util_err_set(err, "deadline reached; still leads %d partitions (%s)%s%s", (int)led, why,
                         failed ? "; elections refused: " : "", failed ? elect_why : "");
            break;
        }
    }
out:
    /* Work cut short by the deadline is unfinished, not failed. */
    if (rc < 0 && util_mono_ms() >= deadline_ms)
        rc = SC_KAFKA_INCOMPLETE;
    if (rc != 0)
        util_err_prefix(err, "drain of broker %d", (int)ctx->broker_id);
    else
        sc_say(&s, NULL, "broker %d leads no partition", (int)ctx->broker_id);
    drop_lease(lease);
    sc_round_release(&r.rd);
    free(min_isr);
    kafka_metadata_free(md0);
    kafka_metadata_free(md);
    sc_session_close(&s);
    return rc;
}
