/* The drain-plan report and its verdict, from answers already had (see
 * drain_plan.h): the drain's planner runs on a copy of the ledger, and the
 * report says what its plan holds: the figures the drain logs, each
 * partition reported, each partition planned. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain/min_isr.h"
#include "drain/plan.h"
#include "drain_plan.h"
#include "output.h"
#include "plugin.h"

/* Partitions named in a sentence before "...". */
#define NAMED 5

/* The report's word for a kind of note. */
static const char *kind_word(drain_note_kind k)
{
    switch (k) {
    case DRAIN_NOTE_REASSIGNING:
        return "under-reassignment";
    case DRAIN_NOTE_ONLY_ISR:
        return "only-in-sync-replica";
    case DRAIN_NOTE_BELOW_MIN_ISR:
        return "below-min-isr";
    case DRAIN_NOTE_NO_SUCCESSOR:
        return "no-successor";
    case DRAIN_NOTE_FOREIGN_ORDER:
        return "foreign-order";
    }
    return "unknown";
}

static const char *plural(int n)
{
    return n == 1 ? "" : "s";
}

/* ids[0..n) as a JSON array; decoded answers leave ids NULL when n is 0,
 * which cJSON_CreateIntArray refuses. */
static cJSON *ids_json(const int32_t *ids, int32_t n)
{
    return n > 0 ? cJSON_CreateIntArray(ids, n) : cJSON_CreateArray();
}

/* A copy of l (NULL: an empty ledger) for the planner to step, through
 * the ledger's JSON form, which holds all of it. */
static int ledger_copy(const drain_ledger *l, drain_ledger **out, util_err *err)
{
    char *text = NULL;
    int rc;

    if (l == NULL) {
        *out = drain_ledger_new();
        return *out != NULL ? 0 : util_err_set(err, "drain ledger: out of memory");
    }
    if (drain_ledger_format(l, &text, err) != 0)
        return -1;
    rc = drain_ledger_parse(text, strlen(text), out, err);
    free(text);
    return rc;
}

/* A sentence into list: fmt, then ": " and up to NAMED "topic-partition"
 * names of the notes of p of kind k (a drain_note_kind; -1: none). */
static void say(cJSON *list, const drain_plan *p, int k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(cJSON *list, const drain_plan *p, int k, const char *fmt, ...)
{
    char buf[1024];
    size_t n;
    int named = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (int32_t i = 0; k >= 0 && i < p->n_notes; i++) {
        if ((int)p->notes[i].kind != k)
            continue;
        n = strlen(buf);
        if (named == NAMED) {
            snprintf(buf + n, sizeof buf - n, ", ...");
            break;
        }
        snprintf(buf + n, sizeof buf - n, "%s%s-%d", named == 0 ? ": " : ", ", p->notes[i].topic,
                 (int)p->notes[i].partition);
        named++;
    }
    cJSON_AddItemToArray(list, cJSON_CreateString(buf));
}

/* The members every partition entry has: which partition, and where it
 * stands in Metadata (pt; NULL: not listed there). */
static cJSON *partition_json(const char *topic, int32_t partition,
                             const kafka_metadata_partition *pt)
{
    cJSON *e = cJSON_CreateObject();

    cJSON_AddStringToObject(e, "topic", topic);
    cJSON_AddNumberToObject(e, "partition", partition);
    if (pt == NULL) {
        cJSON_AddNullToObject(e, "leader");
        cJSON_AddNullToObject(e, "replicas");
        cJSON_AddNullToObject(e, "isr");
        return e;
    }
    cJSON_AddNumberToObject(e, "leader", pt->leader);
    cJSON_AddItemToObject(e, "replicas", ids_json(pt->replicas, pt->n_replicas));
    cJSON_AddItemToObject(e, "isr", ids_json(pt->isr, pt->n_isr));
    return e;
}

/* reportedPartitions: each note of p, in the drain's order. */
static void reported_list(const kafka_metadata *md, const drain_plan *p, cJSON *list)
{
    for (int32_t i = 0; i < p->n_notes; i++) {
        const drain_plan_note *n = &p->notes[i];
        cJSON *e = partition_json(n->topic, n->partition,
                                  kafka_metadata_partition_find(md, n->topic, n->partition));

        cJSON_AddStringToObject(e, "kind", kind_word(n->kind));
        cJSON_AddStringToObject(e, "reason", drain_note_name(n->kind));
        if (n->kind == DRAIN_NOTE_REASSIGNING) { /* the drain looks no further */
            cJSON_AddNullToObject(e, "inSyncBesides");
            cJSON_AddNullToObject(e, "minIsr");
        } else {
            cJSON_AddNumberToObject(e, "inSyncBesides", n->isr_left);
            cJSON_AddNumberToObject(e, "minIsr", n->min_isr);
        }
        cJSON_AddItemToArray(list, e);
    }
}

/* Does a plan entry (topic, partition) name pt of tp? */
static bool names(const char *topic, int32_t partition, const kafka_metadata_topic *tp,
                  const kafka_metadata_partition *pt)
{
    return partition == pt->index && strcmp(topic, tp->name) == 0;
}

/* partitions: every partition of md that p moves or reports. The planner
 * lists both in md's order (drain/plan.h), so one walk over md meets each
 * move and note in turn. */
static void planned_list(const kafka_metadata *md, const drain_plan *p,
                         const drain_topic_min_isr *min, int32_t n_min, cJSON *list)
{
    int32_t mi = 0, ni = 0;

    for (int32_t t = 0; t < md->n_topics; t++) {
        const kafka_metadata_topic *tp = &md->topics[t];
        int32_t need;

        if (tp->name == NULL || tp->error_code != 0)
            continue;
        need = drain_min_isr_of(min, n_min, tp->name);
        for (int32_t i = 0; i < tp->n_partitions; i++) {
            const kafka_metadata_partition *pt = &tp->partitions[i];
            const drain_plan_move *m = NULL;
            cJSON *e, *kinds;

            if (mi < p->n_moves && names(p->moves[mi].topic, p->moves[mi].partition, tp, pt))
                m = &p->moves[mi++];
            if (m == NULL &&
                (ni >= p->n_notes || !names(p->notes[ni].topic, p->notes[ni].partition, tp, pt)))
                continue;
            e = partition_json(tp->name, pt->index, pt);
            cJSON_AddNumberToObject(e, "minIsr", need);
            cJSON_AddItemToObject(e, "order",
                                  m != NULL ? ids_json(m->order, m->n) : cJSON_CreateNull());
            cJSON_AddBoolToObject(e, "writeOrder", m != NULL && m->reorder);
            cJSON_AddBoolToObject(e, "elect", m != NULL && m->elect);
            kinds = cJSON_AddArrayToObject(e, "reported");
            for (; ni < p->n_notes && names(p->notes[ni].topic, p->notes[ni].partition, tp, pt);
                 ni++)
                cJSON_AddItemToArray(kinds, cJSON_CreateString(kind_word(p->notes[ni].kind)));
            cJSON_AddItemToArray(list, e);
        }
    }
}

/* The figures, the verdict, its problems and notes. */
static void judge(const pl_drain_plan_input *in, const drain_plan *p, cJSON *r)
{
    cJSON *problems = cJSON_GetObjectItemCaseSensitive(r, "problems");
    cJSON *notes = cJSON_GetObjectItemCaseSensitive(r, "notes");
    cJSON *by = cJSON_CreateObject();
    int kinds[DRAIN_NOTE_FOREIGN_ORDER + 1] = {0}, orders = 0, elections = 0, n;
    bool registered = kafka_metadata_broker_find(in->md, in->broker) != NULL;

    for (int32_t i = 0; i < p->n_moves; i++) {
        orders += p->moves[i].reorder != 0;
        elections += p->moves[i].elect != 0;
    }
    for (int32_t i = 0; i < p->n_notes; i++)
        if (p->notes[i].kind <= DRAIN_NOTE_FOREIGN_ORDER)
            kinds[p->notes[i].kind]++;
    cJSON_AddBoolToObject(r, "registered", registered);
    cJSON_ReplaceItemInObjectCaseSensitive(
        r, "safe",
        cJSON_CreateBool(kinds[DRAIN_NOTE_ONLY_ISR] == 0 && kinds[DRAIN_NOTE_BELOW_MIN_ISR] == 0));
    cJSON_AddNumberToObject(r, "leadershipsToMove", p->n_led);
    cJSON_AddNumberToObject(r, "ordersToWrite", orders);
    cJSON_AddNumberToObject(r, "reported", p->n_notes);
    cJSON_AddNumberToObject(r, "partitionsDemoted", p->n_moves);
    cJSON_AddNumberToObject(r, "electionsToAsk", elections);
    cJSON_AddNumberToObject(by, "underReassignment", kinds[DRAIN_NOTE_REASSIGNING]);
    cJSON_AddNumberToObject(by, "onlyInSyncReplica", kinds[DRAIN_NOTE_ONLY_ISR]);
    cJSON_AddNumberToObject(by, "belowMinIsr", kinds[DRAIN_NOTE_BELOW_MIN_ISR]);
    cJSON_AddNumberToObject(by, "noSuccessor", kinds[DRAIN_NOTE_NO_SUCCESSOR]);
    cJSON_AddItemToObject(r, "reportedByKind", by);
    if ((n = kinds[DRAIN_NOTE_ONLY_ISR]) > 0)
        say(problems, p, DRAIN_NOTE_ONLY_ISR,
            "%d partition%s whose only in-sync replica is broker %d go%s offline once it stops "
            "(the drain leaves %s alone)",
            n, plural(n), in->broker, n == 1 ? "es" : "", n == 1 ? "it" : "them");
    if ((n = kinds[DRAIN_NOTE_BELOW_MIN_ISR]) > 0)
        say(problems, p, DRAIN_NOTE_BELOW_MIN_ISR,
            "%d partition%s fall%s below min.insync.replicas once broker %d stops (writes with "
            "acks=all are refused there until it is back)",
            n, plural(n), n == 1 ? "s" : "", in->broker);
    if ((n = kinds[DRAIN_NOTE_REASSIGNING]) > 0)
        say(notes, p, DRAIN_NOTE_REASSIGNING,
            "%d partition%s under reassignment, which the drain skips", n, plural(n));
    if ((n = kinds[DRAIN_NOTE_NO_SUCCESSOR]) > 0)
        say(notes, p, DRAIN_NOTE_NO_SUCCESSOR,
            "%d partition%s with every replica demoted in the drain ledger, where broker %d stays "
            "preferred",
            n, plural(n), in->broker);
    if (!registered)
        say(notes, p, -1,
            "broker %d is not registered with the cluster (not in Metadata: stopped, fenced or "
            "still starting)",
            in->broker);
    if (p->n_moves == 0 && p->n_notes == 0)
        say(notes, p, -1, "broker %d holds no replica: its drain has nothing to do", in->broker);
}

/* The report of plan p of in. */
static cJSON *report_of(const pl_drain_plan_input *in, const drain_plan *p,
                        const drain_topic_min_isr *min, int32_t n_min)
{
    cJSON *r = cJSON_CreateObject();

    if (r == NULL)
        return NULL;
    cJSON_AddStringToObject(r, "cluster", in->cluster);
    cJSON_AddStringToObject(r, "namespace", in->namespace);
    cJSON_AddNumberToObject(r, "broker", in->broker);
    cJSON_AddStringToObject(r, "pod", in->pod);
    pl_asked_add(r, in->asked, in->asked_pod, in->port, in->address, in->listener);
    cJSON_AddFalseToObject(r, "safe"); /* the verdict, once known */
    cJSON_AddArrayToObject(r, "problems");
    cJSON_AddArrayToObject(r, "notes");
    judge(in, p, r);
    reported_list(in->md, p, cJSON_AddArrayToObject(r, "reportedPartitions"));
    planned_list(in->md, p, min, n_min, cJSON_AddArrayToObject(r, "partitions"));
    return r;
}

cJSON *pl_drain_plan_report(const pl_drain_plan_input *in, util_err *err)
{
    drain_topic_min_isr *min = NULL;
    int32_t n_min = 0;
    drain_ledger *copy = NULL;
    drain_plan *p = NULL;
    cJSON *r = NULL;

    if (in->md == NULL) {
        util_err_set(err, "drain plan: no Metadata to plan on");
        return NULL;
    }
    if (ledger_copy(in->ledger, &copy, err) == 0 &&
        drain_min_isr_list(in->md, in->configs, in->n_configs, &min, &n_min, err) == 0 &&
        drain_plan_drain(in->md, in->reassign, copy, min, n_min, in->broker, &p, err) == 0 &&
        (r = report_of(in, p, min, n_min)) == NULL)
        util_err_set(err, "drain plan: out of memory");
    drain_plan_free(p);
    drain_ledger_free(copy);
    free(min);
    return r;
}

int pl_drain_plan_exit(const cJSON *report)
{
    return cJSON_IsTrue(pl_member(report, "safe")) ? PL_EXIT_OK : PL_EXIT_UNHEALTHY;
}
