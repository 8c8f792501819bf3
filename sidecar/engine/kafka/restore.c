/* Restore of a Kafka broker after its restart (restore.h): leave the drain
 * ledger's demoted sets, write orders back where Kafka still holds one
 * berth wrote, then elect preferred leaders until the broker leads every
 * partition it is the first replica of. Repeating it, or running it after
 * one that was interrupted at any step, writes whatever order the ledger
 * wants and Kafka still lacks, then elects (drain_plan_restore). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain/ledger_store.h"
#include "engine/kafka/io.h"
#include "engine/kafka/restore.h"
#include "util/clock.h"

/* Most steps of a paced hand-back. */
#define SC_HANDBACK_MAX_STEPS 10

typedef struct restore_round {
    sc_session *s;
    sc_round rd;
} restore_round;

/* Once per compare-and-set attempt, on fresh reassignments and metadata:
 * a reassignment started since the last attempt is left alone. */
static int plan_in_ledger(drain_ledger *l, void *arg, util_err *err)
{
    restore_round *r = arg;

    if (sc_round_read(r->s, &r->rd, err) < 0)
        return -1;
    return drain_plan_restore(r->rd.md, r->rd.ongoing, l, r->s->ctx->broker_id, &r->rd.plan, err);
}

/* The partitions that prefer broker but are led by another, as a plan of
 * elections; borrows from md. */
static int not_back(const kafka_metadata *md,
                    const kafka_list_partition_reassignments_response *ongoing, int32_t broker,
                    drain_plan **out, char *why, size_t size, util_err *err)
{
    drain_plan *p = calloc(1, sizeof *p);
    int32_t t, i, total = 0;
    size_t used = 0;

    *out = NULL;
    if (size > 0)
        why[0] = '\0';
    for (t = 0; t < md->n_topics; t++)
        total += md->topics[t].n_partitions;
    if (p == NULL || (total > 0 && (p->moves = calloc((size_t)total, sizeof *p->moves)) == NULL)) {
        drain_plan_free(p);
        return util_err_set(err, "restore: out of memory");
    }
    for (t = 0; t < md->n_topics; t++)
        for (i = 0; i < md->topics[t].n_partitions; i++) {
            const kafka_metadata_topic *tp = &md->topics[t];
            const kafka_metadata_partition *pt = &tp->partitions[i];
            drain_plan_move *m;
            if (tp->name == NULL || tp->error_code != 0 || pt->n_replicas < 1 ||
                pt->replicas[0] != broker || pt->leader == broker ||
                (ongoing != NULL &&
                 kafka_list_partition_reassignments_find(ongoing, tp->name, pt->index) != NULL))
                continue;
            m = &p->moves[p->n_moves++];
            m->topic = tp->name;
            m->partition = pt->index;
            m->elect = 1;
            if (p->n_moves <= 5 && used < size) {
                int w = snprintf(why + used, size - used, "%s%s-%d", used ? ", " : "", tp->name,
                                 (int)pt->index);
                if (w > 0)
                    used += (size_t)w;
            }
        }
    *out = p;
    return 0;
}

/* Moves among p's first n that ask for an election. */
static int32_t count_elect(const drain_plan *p, int32_t n)
{
    int32_t i, k = 0;

    for (i = 0; i < n; i++)
        k += p->moves[i].elect != 0;
    return k;
}

/* Elects p's moves that ask for an election ctx->handback_batch at a time
 * (more when that would take over SC_HANDBACK_MAX_STEPS steps),
 * ctx->handback_pause_ms apart (all at once when the batch is 0), until
 * done or the deadline. *failed counts refused elections; why names the
 * first few. */
static int elect_paced(sc_session *s, const drain_plan *p, int32_t *failed, char *why, size_t size,
                       util_err *err)
{
    int32_t batch = s->ctx->handback_batch, i = 0, f, total = 0;

    if (batch <= 0)
        return sc_session_elect(s, p, failed, why, size, err);
    total = count_elect(p, p->n_moves);
    /* Many leaderships: bigger steps, so the hand-back stays short. */
    if (batch < (total + SC_HANDBACK_MAX_STEPS - 1) / SC_HANDBACK_MAX_STEPS)
        batch = (total + SC_HANDBACK_MAX_STEPS - 1) / SC_HANDBACK_MAX_STEPS;
    *failed = 0;
    i = 0;
    while (i < p->n_moves && util_mono_ms() < s->deadline_ms) {
        drain_plan view = *p;
        int32_t j = i, elect = 0;

        while (j < p->n_moves && elect < batch)
            elect += p->moves[j++].elect != 0;
        if (elect == 0)
            break;
        view.moves = p->moves + i;
        view.n_moves = j - i;
        if (i > 0)
            sc_session_sleep(s, s->ctx->handback_pause_ms);
        if (sc_session_elect(s, &view, &f, *failed == 0 ? why : NULL, size, err) < 0)
            return -1;
        *failed += f;
        i = j;
        if (i < p->n_moves && sc_say(s, err, "handed back %d partitions of %d so far",
                                     (int)count_elect(p, i), (int)total) < 0)
            return -1;
    }
    return 0;
}

int sc_kafka_restore(const sc_kafka_ctx *ctx, long long deadline_ms, sc_kafka_progress_fn progress,
                     void *arg, util_err *err)
{
    sc_session s;
    restore_round r = {0};
    int32_t refused = 0, failed = 0, i, reorders = 0;
    char why[256] = "", elect_why[256] = "";
    int rc = -1;

    if (sc_session_open(&s, ctx, deadline_ms, progress, arg, err) < 0)
        return util_err_prefix(err, "restore");
    r.s = &s;
    if (drain_ledger_update(ctx->kube, ctx->ns, s.ledger, plan_in_ledger, &r, err) < 0)
        goto out;
    for (i = 0; i < r.rd.plan->n_moves; i++)
        reorders += r.rd.plan->moves[i].reorder;
    if (sc_say(&s, err, "broker %d: %d orders to write back, %d partitions to hand back",
               (int)ctx->broker_id, (int)reorders,
               (int)count_elect(r.rd.plan, r.rd.plan->n_moves)) < 0)
        goto out;
    for (i = 0; i < r.rd.plan->n_notes && i < 10; i++)
        if (sc_say(&s, err, "partition %s-%d: %s", r.rd.plan->notes[i].topic,
                   (int)r.rd.plan->notes[i].partition,
                   drain_note_name(r.rd.plan->notes[i].kind)) < 0)
            goto out;
    if (sc_session_write_orders(&s, r.rd.plan, SC_ORDERS_ALL, &refused, err) < 0 ||
        sc_session_settle(&s, r.rd.plan, err) < 0 ||
        sc_say(&s, err, "broker %d: orders written back; handing back leadership",
               (int)ctx->broker_id) < 0 ||
        elect_paced(&s, r.rd.plan, &failed, elect_why, sizeof elect_why, err) < 0)
        goto out;
    for (;;) {
        kafka_metadata *md = NULL;
        drain_plan *left = NULL;
        int32_t n;

        if (sc_session_metadata(&s, &md, err) < 0)
            goto out;
        if (not_back(md, r.rd.ongoing, ctx->broker_id, &left, why, sizeof why, err) < 0) {
            kafka_metadata_free(md);
            goto out;
        }
        n = left->n_moves;
        if (n > 0 && util_mono_ms() < deadline_ms &&
            elect_paced(&s, left, &failed, elect_why, sizeof elect_why, err) < 0) {
            drain_plan_free(left);
            kafka_metadata_free(md);
            goto out;
        }
        drain_plan_free(left);
        kafka_metadata_free(md);
        if (n == 0) {
            rc = 0;
            sc_say(&s, NULL, "broker %d leads every partition it prefers", (int)ctx->broker_id);
            break;
        }
        if (util_mono_ms() >= deadline_ms) {
            rc = SC_KAFKA_INCOMPLETE;
            util_err_set(err, "deadline reached; %d partitions not handed back (%s)%s%s", (int)n,
                         why, failed ? "; elections refused: " : "", failed ? elect_why : "");
            break;
        }
        sc_session_pause(&s);
    }
out:
    /* Work cut short by the deadline is unfinished, not failed. */
    if (rc < 0 && util_mono_ms() >= deadline_ms)
        rc = SC_KAFKA_INCOMPLETE;
    if (rc != 0)
        util_err_prefix(err, "restore of broker %d", (int)ctx->broker_id);
    sc_round_release(&r.rd);
    sc_session_close(&s);
    return rc;
}
