/* The health report and its verdict, from answers already had (see
 * health.h): one walk over Metadata counts what each partition lacks and
 * what each broker leads, then the quorum, the reassignments and the
 * ledger; each finding is a problem or a note, and the verdict is whether
 * any problem was found. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain/min_isr.h"
#include "health.h"
#include "health_int.h"
#include "kafka/proto.h"
#include "output.h"
#include "plugin.h"

void pl_health_say(cJSON *list, const char *fmt, ...)
{
    char buf[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(list, cJSON_CreateString(buf));
}

pl_health_broker *pl_health_broker_of(pl_health_brokers *s, int32_t id)
{
    for (int i = 0; i < s->n; i++)
        if (s->b[i].id == id)
            return &s->b[i];
    if (s->n == s->cap) {
        int cap = s->cap > 0 ? s->cap * 2 : 16;
        pl_health_broker *b = realloc(s->b, (size_t)cap * sizeof *b);

        if (b == NULL)
            return NULL;
        s->b = b;
        s->cap = cap;
    }
    s->b[s->n] = (pl_health_broker){.id = id};
    return &s->b[s->n++];
}

/* min.insync.replicas of topic from the answers, or -1 when none has it. */
static int min_isr_of(const pl_health_input *in, const char *topic)
{
    int32_t v = drain_min_isr_answer(in->configs, in->n_configs, topic);

    return v > 0 ? v : -1;
}

/* The plural ending of n things. */
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

/* The list entry of partition p of topic (min -1: unknown). */
static cJSON *partition_json(const char *topic, const kafka_metadata_partition *p, int min,
                             cJSON *problems)
{
    cJSON *e = cJSON_CreateObject();

    cJSON_AddStringToObject(e, "topic", topic);
    cJSON_AddNumberToObject(e, "partition", p->index);
    cJSON_AddNumberToObject(e, "leader", p->leader);
    cJSON_AddItemToObject(e, "replicas", ids_json(p->replicas, p->n_replicas));
    cJSON_AddItemToObject(e, "isr", ids_json(p->isr, p->n_isr));
    if (min > 0)
        cJSON_AddNumberToObject(e, "minIsr", min);
    else
        cJSON_AddNullToObject(e, "minIsr");
    cJSON_AddItemToObject(e, "problems", problems);
    return e;
}

/* Counts of the walk over the partitions. */
typedef struct tally {
    int total, topics, urp, under_min, offline, not_preferred, min_unknown;
} tally;

/* One partition: its problems into the list, its leader and replicas into
 * the broker counts. -1 out of memory. */
static int walk_partition(const char *topic, const kafka_metadata_partition *p, int min, tally *n,
                          pl_health_brokers *bs, cJSON *list)
{
    cJSON *probs = cJSON_CreateArray();
    pl_health_broker *b;

    n->total++;
    if (p->leader < 0) {
        n->offline++;
        cJSON_AddItemToArray(probs, cJSON_CreateString("offline"));
    }
    if (min > 0 && p->n_isr < min) {
        n->under_min++;
        cJSON_AddItemToArray(probs, cJSON_CreateString("under-min-isr"));
    }
    if (p->n_isr < p->n_replicas) {
        n->urp++;
        cJSON_AddItemToArray(probs, cJSON_CreateString("under-replicated"));
    }
    if (p->leader >= 0 && p->n_replicas > 0 && p->leader != p->replicas[0]) {
        n->not_preferred++;
        cJSON_AddItemToArray(probs, cJSON_CreateString("not-preferred-leader"));
    }
    if (p->leader >= 0) {
        if ((b = pl_health_broker_of(bs, p->leader)) == NULL)
            goto oom;
        b->leaders++;
    }
    for (int32_t r = 0; r < p->n_replicas; r++) {
        if ((b = pl_health_broker_of(bs, p->replicas[r])) == NULL)
            goto oom;
        b->replicas++;
        b->preferred += r == 0;
    }
    if (cJSON_GetArraySize(probs) > 0)
        cJSON_AddItemToArray(list, partition_json(topic, p, min, probs));
    else
        cJSON_Delete(probs);
    return 0;
oom:
    cJSON_Delete(probs);
    return -1;
}

/* The partitions section, and their problems and notes. */
static int partitions(const pl_health_input *in, pl_health_brokers *bs, cJSON *r, cJSON *problems,
                      cJSON *notes)
{
    const kafka_metadata *md = in->md;
    cJSON *o = cJSON_AddObjectToObject(r, "partitions"), *list = cJSON_CreateArray();
    tally n = {0};
    int most = 0, fewest = -1;

    for (int32_t t = 0; t < md->n_topics; t++) {
        const kafka_metadata_topic *tp = &md->topics[t];
        int min;

        if (tp->name == NULL)
            continue;
        if (tp->error_code != 0) {
            pl_health_say(notes, "topic %s: %s", tp->name, kafka_error_name(tp->error_code));
            continue;
        }
        n.topics++;
        if ((min = min_isr_of(in, tp->name)) < 0)
            n.min_unknown++;
        for (int32_t i = 0; i < tp->n_partitions; i++)
            if (walk_partition(tp->name, &tp->partitions[i], min, &n, bs, list) != 0) {
                cJSON_Delete(list);
                return -1;
            }
    }
    for (int i = 0; i < bs->n; i++) {
        if (!bs->b[i].registered)
            continue;
        most = bs->b[i].leaders > most ? bs->b[i].leaders : most;
        fewest = fewest < 0 || bs->b[i].leaders < fewest ? bs->b[i].leaders : fewest;
    }
    fewest = fewest < 0 ? 0 : fewest;
    cJSON_AddNumberToObject(o, "total", n.total);
    cJSON_AddNumberToObject(o, "topics", n.topics);
    cJSON_AddNumberToObject(o, "underReplicated", n.urp);
    cJSON_AddNumberToObject(o, "underMinIsr", n.under_min);
    cJSON_AddNumberToObject(o, "offline", n.offline);
    cJSON_AddNumberToObject(o, "notPreferredLeader", n.not_preferred);
    cJSON_AddNumberToObject(o, "leaderSkew", most - fewest);
    cJSON_AddNumberToObject(o, "mostLeaders", most);
    cJSON_AddNumberToObject(o, "fewestLeaders", fewest);
    cJSON_AddItemToObject(o, "list", list);
    if (n.offline > 0)
        pl_health_say(problems, "%d partition%s offline (no leader)", n.offline, plural(n.offline));
    if (n.under_min > 0)
        pl_health_say(problems, "%d partition%s under min.insync.replicas", n.under_min,
                      plural(n.under_min));
    if (n.urp > 0)
        pl_health_say(problems, "%d partition%s under-replicated", n.urp, plural(n.urp));
    if (n.not_preferred > 0)
        pl_health_say(notes,
                      "%d partition%s not led by their preferred leader (leader skew %d: most %d, "
                      "fewest %d)",
                      n.not_preferred, plural(n.not_preferred), most - fewest, most, fewest);
    if (n.min_unknown > 0)
        pl_health_say(notes, "min.insync.replicas unknown for %d topic%s: not checked there",
                      n.min_unknown, plural(n.min_unknown));
    return 0;
}

/* The problem of voter id behind the quorum's leader, with what is known
 * of how far (lag records, ago ms; -1: not known). */
static void voter_behind(cJSON *problems, int32_t id, int32_t leader, long long lag, long long ago)
{
    char how[128] = "";

    if (lag >= 0 && ago >= 0)
        snprintf(how, sizeof how, " (%lld records behind, last caught up %lld ms before it)", lag,
                 ago);
    else if (lag >= 0)
        snprintf(how, sizeof how, " (%lld records behind)", lag);
    pl_health_say(problems, "KRaft voter %d is behind the quorum leader %d%s", id, leader, how);
}

/* The quorum section, and its problems. */
static void quorum(const pl_health_input *in, cJSON *r, cJSON *problems)
{
    const kafka_quorum_partition *q = in->quorum;
    const kafka_quorum_replica *leader;
    cJSON *o, *voters;

    if (q == NULL) {
        if (in->quorum_error != NULL)
            pl_health_say(problems, "the KRaft quorum could not be described: %s",
                          in->quorum_error);
        return;
    }
    leader = kafka_quorum_voter(q, q->leader_id);
    o = cJSON_AddObjectToObject(r, "quorum");
    cJSON_AddNumberToObject(o, "leaderId", q->leader_id);
    cJSON_AddNumberToObject(o, "leaderEpoch", q->leader_epoch);
    cJSON_AddNumberToObject(o, "highWatermark", (double)q->high_watermark);
    cJSON_AddNumberToObject(o, "observers", q->n_observers);
    voters = cJSON_AddArrayToObject(o, "voters");
    if (q->leader_id < 0)
        pl_health_say(problems, "the KRaft quorum has no leader");
    for (int32_t i = 0; i < q->n_voters; i++) {
        const kafka_quorum_replica *v = &q->voters[i];
        long long lag = -1, ago = -1;
        bool up = q->leader_id >= 0 &&
                  kafka_quorum_voter_caught_up(q, v->replica_id, PL_HEALTH_VOTER_MAX_LAG_MS) == 1;
        cJSON *e = cJSON_CreateObject();

        if (q->high_watermark >= 0 && v->log_end_offset >= 0)
            lag = q->high_watermark > v->log_end_offset ? q->high_watermark - v->log_end_offset : 0;
        if (leader != NULL && leader->last_caught_up_timestamp >= 0 &&
            v->last_caught_up_timestamp >= 0)
            ago = leader->last_caught_up_timestamp > v->last_caught_up_timestamp
                      ? leader->last_caught_up_timestamp - v->last_caught_up_timestamp
                      : 0;
        cJSON_AddNumberToObject(e, "id", v->replica_id);
        cJSON_AddNumberToObject(e, "logEndOffset", (double)v->log_end_offset);
        if (lag >= 0)
            cJSON_AddNumberToObject(e, "lag", (double)lag);
        else
            cJSON_AddNullToObject(e, "lag");
        if (ago >= 0)
            cJSON_AddNumberToObject(e, "lastCaughtUpMsAgo", (double)ago);
        else
            cJSON_AddNullToObject(e, "lastCaughtUpMsAgo");
        cJSON_AddBoolToObject(e, "caughtUp", up);
        cJSON_AddItemToArray(voters, e);
        if (!up && q->leader_id >= 0)
            voter_behind(problems, v->replica_id, q->leader_id, lag, ago);
    }
}

/* The reassignments section, and its note. */
static void reassignments(const pl_health_input *in, cJSON *r, cJSON *notes)
{
    const kafka_list_partition_reassignments_response *res = in->reassign;
    cJSON *list;
    int n = 0;

    if (res == NULL) {
        if (in->reassign_error != NULL)
            pl_health_say(notes, "reassignments not known: %s", in->reassign_error);
        return;
    }
    list = cJSON_AddArrayToObject(r, "reassignments");
    for (int32_t t = 0; t < res->n_topics; t++)
        for (int32_t i = 0; i < res->topics[t].n_partitions; i++) {
            const kafka_ongoing_partition *p = &res->topics[t].partitions[i];
            cJSON *e = cJSON_CreateObject();

            cJSON_AddStringToObject(e, "topic", res->topics[t].name);
            cJSON_AddNumberToObject(e, "partition", p->index);
            cJSON_AddItemToObject(e, "replicas", ids_json(p->replicas, p->n_replicas));
            cJSON_AddItemToObject(e, "adding", ids_json(p->adding, p->n_adding));
            cJSON_AddItemToObject(e, "removing", ids_json(p->removing, p->n_removing));
            cJSON_AddItemToArray(list, e);
            n++;
        }
    if (n > 0)
        pl_health_say(notes, "%d partition%s being reassigned", n, plural(n));
}

/* The ledger's demotions into the broker counts. -1 out of memory. */
static int ledger_count(const drain_ledger *l, pl_health_brokers *bs)
{
    for (int32_t i = 0; l != NULL && i < l->n; i++)
        for (int32_t k = 0; k < l->entries[i].n_demoted; k++) {
            pl_health_broker *b = pl_health_broker_of(bs, l->entries[i].demoted[k]);

            if (b == NULL)
                return -1;
            b->demoted++;
        }
    return 0;
}

/* The ledger section (after the brokers are sorted), and its notes. */
static void ledger(const pl_health_input *in, const pl_health_brokers *bs, cJSON *r, cJSON *notes)
{
    cJSON *o, *ids;

    if (in->ledger == NULL) {
        if (in->ledger_error != NULL)
            pl_health_say(notes, "drain ledger not read: %s", in->ledger_error);
        return;
    }
    o = cJSON_AddObjectToObject(r, "ledger");
    cJSON_AddNumberToObject(o, "partitions", in->ledger->n);
    ids = cJSON_AddArrayToObject(o, "demoted");
    for (int i = 0; i < bs->n; i++) {
        if (bs->b[i].demoted == 0)
            continue;
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(bs->b[i].id));
        pl_health_say(notes,
                      "broker %d is demoted on %d partition%s in the drain ledger (a drain "
                      "under way, or its restore still to come)",
                      bs->b[i].id, bs->b[i].demoted, plural(bs->b[i].demoted));
    }
}

cJSON *pl_health_report(const pl_health_input *in)
{
    pl_health_brokers bs = {0};
    cJSON *r, *problems, *notes, *brokers;
    int rc = 0;

    if (in->md == NULL || (r = cJSON_CreateObject()) == NULL)
        return NULL;
    cJSON_AddStringToObject(r, "cluster", in->cluster);
    cJSON_AddStringToObject(r, "namespace", in->namespace);
    cJSON_AddStringToObject(r, "flavor", in->flavor);
    cJSON_AddFalseToObject(r, "healthy"); /* the verdict, once known */
    problems = cJSON_AddArrayToObject(r, "problems");
    notes = cJSON_AddArrayToObject(r, "notes");
    pl_asked_add(r, in->asked, in->asked_pod, in->port, in->address, in->listener);
    if (in->md->cluster_id != NULL)
        cJSON_AddStringToObject(r, "clusterId", in->md->cluster_id);
    cJSON_AddNumberToObject(r, "controllerId", in->md->controller_id);
    brokers = cJSON_AddArrayToObject(r, "brokers"); /* filled once the partitions are counted */
    if (pl_health_brokers_known(in, &bs) != 0 || ledger_count(in->ledger, &bs) != 0 ||
        partitions(in, &bs, r, problems, notes) != 0)
        rc = -1;
    if (rc == 0) {
        pl_health_brokers_put(in, &bs, brokers, problems, notes);
        quorum(in, r, problems);
        reassignments(in, r, notes);
        ledger(in, &bs, r, notes);
        cJSON_ReplaceItemInObjectCaseSensitive(r, "healthy",
                                               cJSON_CreateBool(cJSON_GetArraySize(problems) == 0));
    }
    free(bs.b);
    if (rc != 0) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

int pl_health_exit(const cJSON *report)
{
    return cJSON_IsTrue(pl_member(report, "healthy")) ? PL_EXIT_OK : PL_EXIT_UNHEALTHY;
}
