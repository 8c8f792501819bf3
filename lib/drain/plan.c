/* Drain, restore and settle plans; see plan.h. */
#include "drain/plan.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/proto.h"

const char *drain_note_name(drain_note_kind k)
{
    switch (k) {
    case DRAIN_NOTE_REASSIGNING:
        return "under reassignment, skipped";
    case DRAIN_NOTE_ONLY_ISR:
        return "this broker is the only in-sync replica, left alone";
    case DRAIN_NOTE_BELOW_MIN_ISR:
        return "below min.insync.replicas once this broker stops";
    case DRAIN_NOTE_NO_SUCCESSOR:
        return "every replica is demoted, this broker stays preferred";
    case DRAIN_NOTE_FOREIGN_ORDER:
        return "replica order changed outside berth, left alone";
    }
    return "unknown";
}

void drain_plan_free(drain_plan *p)
{
    if (p == NULL)
        return;
    free(p->moves);
    free(p->notes);
    free(p);
}

/* Room for the plan's arrays, sized from md: every partition may produce one
 * move and one note. */
static int plan_new(const kafka_metadata *md, int32_t extra, drain_plan **out, util_err *err)
{
    drain_plan *p = calloc(1, sizeof *p);
    size_t total = (size_t)extra;
    int32_t t;

    *out = NULL;
    for (t = 0; md != NULL && t < md->n_topics; t++)
        total += (size_t)md->topics[t].n_partitions;
    if (p == NULL)
        return util_err_set(err, "drain plan: out of memory");
    if (total > 0) {
        p->moves = calloc(total, sizeof p->moves[0]);
        p->notes = calloc(total, sizeof p->notes[0]);
        if (p->moves == NULL || p->notes == NULL) {
            drain_plan_free(p);
            return util_err_set(err, "drain plan: out of memory");
        }
    }
    *out = p;
    return 0;
}

/* A new move on pt (of topic) wanting order, from original, planned on
 * pt's order: the next of p's moves, which has room for one per partition;
 * neither reorder nor elect set. */
static drain_plan_move *add_move(drain_plan *p, const char *topic,
                                 const kafka_metadata_partition *pt, const int32_t *order,
                                 const int32_t *original)
{
    drain_plan_move *m = &p->moves[p->n_moves++];
    size_t n = (size_t)pt->n_replicas;

    m->topic = topic;
    m->partition = pt->index;
    m->n = pt->n_replicas;
    memcpy(m->order, order, n * sizeof m->order[0]);
    memcpy(m->original, original, n * sizeof m->original[0]);
    memcpy(m->before, pt->replicas, n * sizeof m->before[0]);
    m->reorder = 0;
    m->elect = 0;
    return m;
}

static void note(drain_plan *p, const char *topic, int32_t partition, drain_note_kind kind,
                 int32_t isr_left, int32_t min_isr)
{
    drain_plan_note *n = &p->notes[p->n_notes++];

    n->topic = topic;
    n->partition = partition;
    n->kind = kind;
    n->isr_left = isr_left;
    n->min_isr = min_isr;
}

static int reassigning(const kafka_list_partition_reassignments_response *ongoing,
                       const char *topic, int32_t partition)
{
    return ongoing != NULL &&
           kafka_list_partition_reassignments_find(ongoing, topic, partition) != NULL;
}

/* Can md's partition be planned at all (a usable replica list)? */
static int usable(const kafka_metadata_partition *pt)
{
    return pt->n_replicas >= 1 && pt->n_replicas <= DRAIN_LEDGER_MAX_REPLICAS;
}

/* Walks every partition of every topic md describes without an error:
 * start with *t 0 and *i -1; each call returns the next partition, *tp
 * its topic, or NULL after the last. */
static const kafka_metadata_partition *next_partition(const kafka_metadata *md, int32_t *t,
                                                      int32_t *i, const kafka_metadata_topic **tp)
{
    for (; *t < md->n_topics; (*t)++, *i = -1) {
        const kafka_metadata_topic *x = &md->topics[*t];

        if (x->name == NULL || x->error_code != 0)
            continue;
        if (++*i < x->n_partitions) {
            *tp = x;
            return &x->partitions[*i];
        }
    }
    return NULL;
}

int drain_plan_drain(const kafka_metadata *md,
                     const kafka_list_partition_reassignments_response *ongoing,
                     drain_ledger *ledger, const drain_topic_min_isr *min_isr, int32_t n_min_isr,
                     int32_t broker, drain_plan **out, util_err *err)
{
    const kafka_metadata_topic *tp;
    const kafka_metadata_partition *pt;
    drain_plan *p;
    int32_t t, i;

    if (plan_new(md, 0, &p, err) < 0)
        return -1;
    t = 0;
    i = -1;
    while ((pt = next_partition(md, &t, &i, &tp)) != NULL) {
        int32_t isr_left, need;
        drain_plan_move *m;
        int step, in_isr;

        if (pt->leader == broker)
            p->n_led++;
        if (!usable(pt) || !kafka_int32_contains(pt->replicas, pt->n_replicas, broker))
            continue;
        if (reassigning(ongoing, tp->name, pt->index)) {
            note(p, tp->name, pt->index, DRAIN_NOTE_REASSIGNING, 0, 0);
            continue;
        }
        in_isr = kafka_int32_contains(pt->isr, pt->n_isr, broker);
        isr_left = pt->n_isr - (in_isr ? 1 : 0);
        need = drain_min_isr_of(min_isr, n_min_isr, tp->name);
        if (isr_left < 1 && pt->leader == broker) {
            note(p, tp->name, pt->index, DRAIN_NOTE_ONLY_ISR, isr_left, need);
            continue;
        }
        if (in_isr && isr_left < need)
            note(p, tp->name, pt->index, DRAIN_NOTE_BELOW_MIN_ISR, isr_left, need);
        m = &p->moves[p->n_moves];
        step = drain_ledger_demote(ledger, tp->name, pt->index, pt->replicas, pt->n_replicas,
                                   broker, m->order, err);
        if (step < 0) {
            drain_plan_free(p);
            return -1;
        }
        m->topic = tp->name;
        m->partition = pt->index;
        m->n = pt->n_replicas;
        memcpy(m->before, pt->replicas, (size_t)m->n * sizeof m->before[0]);
        memcpy(m->original, drain_ledger_find(ledger, tp->name, pt->index)->original,
               (size_t)m->n * sizeof m->original[0]);
        m->reorder = step == DRAIN_STEP_WRITE;
        m->elect = pt->leader != m->order[0];
        if (m->order[0] == broker) {
            note(p, tp->name, pt->index, DRAIN_NOTE_NO_SUCCESSOR, isr_left, need);
            m->elect = 0;
        }
        p->n_moves++;
    }
    *out = p;
    return 0;
}

/* Restore's second part: every partition that prefers broker but is led
 * by another (Kafka's own shutdown moved it, or an order was restored from
 * the ledger), as an election into p; counts what broker leads too. */
static void plan_handback(const kafka_metadata *md,
                          const kafka_list_partition_reassignments_response *ongoing,
                          int32_t broker, drain_plan *p)
{
    const kafka_metadata_topic *tp;
    const kafka_metadata_partition *pt;
    int32_t t = 0, i = -1;

    while ((pt = next_partition(md, &t, &i, &tp)) != NULL) {
        int32_t k, planned = 0;
        drain_plan_move *m;
        if (pt->leader == broker)
            p->n_led++;
        if (!usable(pt) || pt->replicas[0] != broker || pt->leader == broker ||
            reassigning(ongoing, tp->name, pt->index))
            continue;
        for (k = 0; k < p->n_moves && !planned; k++)
            planned =
                p->moves[k].partition == pt->index && strcmp(p->moves[k].topic, tp->name) == 0;
        if (planned)
            continue;
        m = add_move(p, tp->name, pt, pt->replicas, pt->replicas);
        m->elect = 1;
    }
}

int drain_plan_restore(const kafka_metadata *md,
                       const kafka_list_partition_reassignments_response *ongoing,
                       drain_ledger *ledger, int32_t broker, drain_plan **out, util_err *err)
{
    drain_plan *p;
    int32_t i;

    if (plan_new(md, 0, &p, err) < 0)
        return -1;
    /* Ledger entries first; the loop may remove entries, so index by hand. */
    for (i = 0; i < ledger->n;) {
        drain_ledger_entry *e = &ledger->entries[i];
        const kafka_metadata_topic *tp = kafka_metadata_topic_find(md, e->topic);
        const kafka_metadata_partition *pt =
            tp != NULL ? kafka_metadata_partition_find(md, e->topic, e->partition) : NULL;
        drain_plan_move *m;
        int step;

        if (tp != NULL && tp->error_code != 0 &&
            tp->error_code != KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
            i++; /* cannot tell: keep the entry */
            continue;
        }
        if (pt == NULL || !usable(pt)) {
            drain_ledger_remove(ledger, e->topic, e->partition); /* the partition is gone */
            continue;
        }
        if (e->n_demoted == 0 && e->n == pt->n_replicas &&
            drain_order_equal(e->original, pt->replicas, e->n)) {
            drain_ledger_remove(ledger, e->topic, e->partition); /* done with */
            continue;
        }
        if (!drain_ledger_is_demoted(e, broker)) {
            /* A drain or restore wrote the ledger, and its write to Kafka
             * never landed (interrupted; or still in flight, when this
             * write is the same): Kafka holds an order berth wrote, not
             * the one the ledger wants now. Write that. */
            if (e->n == pt->n_replicas && !drain_order_equal(pt->replicas, e->written, e->n) &&
                drain_ledger_knows(e, pt->replicas) && !reassigning(ongoing, tp->name, pt->index)) {
                m = add_move(p, tp->name, pt, e->written, e->original);
                m->reorder = 1;
                m->elect = pt->leader != m->order[0];
            }
            i++;
            continue;
        }
        if (reassigning(ongoing, tp->name, pt->index)) {
            note(p, tp->name, pt->index, DRAIN_NOTE_REASSIGNING, 0, 0);
            i++;
            continue;
        }
        m = &p->moves[p->n_moves];
        memcpy(m->original, e->original, (size_t)e->n * sizeof m->original[0]);
        memcpy(m->before, pt->replicas, (size_t)pt->n_replicas * sizeof m->before[0]);
        step = drain_ledger_undemote(ledger, tp->name, pt->index, pt->replicas, pt->n_replicas,
                                     broker, m->order, err);
        if (step < 0) {
            drain_plan_free(p);
            return -1;
        }
        if (step == DRAIN_STEP_FOREIGN) {
            note(p, tp->name, pt->index, DRAIN_NOTE_FOREIGN_ORDER, 0, 0);
            if (drain_ledger_find(ledger, tp->name, pt->index) != NULL)
                i++;
            continue;
        }
        m->topic = tp->name;
        m->partition = pt->index;
        m->n = pt->n_replicas;
        m->reorder = step == DRAIN_STEP_WRITE;
        m->elect = pt->leader != m->order[0];
        p->n_moves++;
        i++;
    }
    plan_handback(md, ongoing, broker, p);
    *out = p;
    return 0;
}

int drain_plan_settle(const drain_plan *done, const drain_ledger *ledger, const kafka_metadata *md,
                      drain_plan **out, int32_t *pending, util_err *err)
{
    drain_plan *p;
    int32_t i;

    *pending = 0;
    if (plan_new(NULL, done->n_moves, &p, err) < 0)
        return -1;
    for (i = 0; i < done->n_moves; i++) {
        const drain_plan_move *d = &done->moves[i];
        const kafka_metadata_partition *pt =
            kafka_metadata_partition_find(md, d->topic, d->partition);
        const drain_ledger_entry *e = drain_ledger_find(ledger, d->topic, d->partition);
        const int32_t *want;
        drain_plan_move *m;

        if (pt == NULL || pt->n_replicas != d->n)
            continue;
        if (d->reorder && drain_order_equal(pt->replicas, d->before, d->n) &&
            !drain_order_equal(pt->replicas, e != NULL ? e->written : d->original, d->n)) {
            (*pending)++; /* our write does not show yet */
            continue;
        }
        if (e != NULL) {
            if (e->n != d->n || drain_order_equal(pt->replicas, e->written, d->n) ||
                !drain_ledger_knows(e, pt->replicas))
                continue;
            want = e->written;
        } else {
            /* Entry forgotten: nobody is demoted; only undo a write of ours. */
            if (!drain_order_equal(pt->replicas, d->order, d->n) ||
                drain_order_equal(pt->replicas, d->original, d->n))
                continue;
            want = d->original;
        }
        m = &p->moves[p->n_moves++];
        *m = *d;
        memcpy(m->order, want, (size_t)d->n * sizeof want[0]);
        m->reorder = 1;
        m->elect = 1;
    }
    *out = p;
    return 0;
}
