/* The health report as a terminal shows it (see health.h): read from the
 * document alone, as -o json|yaml would print it, so the table says
 * nothing the document does not. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "output.h"
#include "plugin.h"

/* Why a broker is not Ready, in a word or two. */
static const char *broker_note(const cJSON *b)
{
    if (cJSON_IsNull(pl_member(b, "pod")) || pl_member(b, "pod") == NULL)
        return "not a KafkaCluster broker";
    if (cJSON_IsTrue(pl_member(b, "terminating")))
        return "being deleted";
    if (pl_str(b, "waiting") != NULL)
        return pl_str(b, "waiting");
    if (cJSON_IsFalse(pl_member(b, "podFound")))
        return "no pod";
    if (!cJSON_IsTrue(pl_member(b, "ready")) && pl_str(b, "readyReason") != NULL)
        return pl_str(b, "readyReason");
    return NULL;
}

static void print_brokers(const cJSON *r, bool wide, FILE *f)
{
    static const char *const headers[] = {"broker",     "pod",     "ready",     "restarts",
                                          "registered", "leaders", "preferred", "replicas",
                                          "demoted",    "note",    "message"};
    pl_table *t = pl_table_new(wide ? 11 : 10, headers);
    const cJSON *b;
    bool ok = true;

    cJSON_ArrayForEach(b, pl_member(r, "brokers"))
    {
        char id[16], rs[16], l[16], p[16], n[16], d[16];
        const char *cells[] = {pl_num_text(b, "id", id, sizeof id),
                               pl_str(b, "pod"),
                               pl_member(b, "ready") != NULL ? pl_yes_no(b, "ready") : "-",
                               pl_num_text(b, "restarts", rs, sizeof rs),
                               pl_yes_no(b, "registered"),
                               pl_num_text(b, "leaders", l, sizeof l),
                               pl_num_text(b, "preferredLeaders", p, sizeof p),
                               pl_num_text(b, "replicas", n, sizeof n),
                               pl_num_text(b, "demotedPartitions", d, sizeof d),
                               broker_note(b),
                               pl_str(b, "readyMessage")};

        ok = ok && t != NULL && pl_table_add(t, cells) == 0;
    }
    pl_table_done(t, ok, f);
}

/* Whether a listed partition has a problem beyond its leader not being
 * the preferred one. */
static bool has_problem(const cJSON *p)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, pl_member(p, "problems"))
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, "not-preferred-leader") != 0)
            return true;
    }
    return false;
}

static void print_partitions(const cJSON *r, bool wide, FILE *f)
{
    static const char *const headers[] = {"topic", "partition", "leader",  "replicas",
                                          "isr",   "min isr",   "problems"};
    const cJSON *o = pl_member(r, "partitions"), *p;
    pl_table *t;
    int shown = 0;
    bool ok = true;

    fprintf(f,
            "\nPartitions: %.0f in %.0f topics: %.0f offline, %.0f under min.insync.replicas, "
            "%.0f under-replicated; %.0f not led by their preferred leader; leader skew %.0f "
            "(most %.0f, fewest %.0f)\n",
            pl_num(o, "total"), pl_num(o, "topics"), pl_num(o, "offline"), pl_num(o, "underMinIsr"),
            pl_num(o, "underReplicated"), pl_num(o, "notPreferredLeader"), pl_num(o, "leaderSkew"),
            pl_num(o, "mostLeaders"), pl_num(o, "fewestLeaders"));
    cJSON_ArrayForEach(p, pl_member(o, "list"))
    {
        shown += has_problem(p);
    }
    if (shown == 0)
        return;
    t = pl_table_new(7, headers);
    if (!wide)
        pl_table_limit(t, PL_TABLE_ROWS);
    cJSON_ArrayForEach(p, pl_member(o, "list"))
    {
        char part[16], leader[16], reps[256], isr[256], min[16], probs[128];
        const char *cells[] = {pl_str(p, "topic"),
                               pl_num_text(p, "partition", part, sizeof part),
                               pl_num_text(p, "leader", leader, sizeof leader),
                               pl_joined(pl_member(p, "replicas"), reps, sizeof reps),
                               pl_joined(pl_member(p, "isr"), isr, sizeof isr),
                               pl_num_text(p, "minIsr", min, sizeof min),
                               pl_joined(pl_member(p, "problems"), probs, sizeof probs)};

        if (has_problem(p))
            ok = ok && t != NULL && pl_table_add(t, cells) == 0;
    }
    pl_table_done(t, ok, f);
}

static void print_quorum(const cJSON *r, FILE *f)
{
    static const char *const headers[] = {"voter", "log end offset", "lag", "last caught up",
                                          "caught up"};
    const cJSON *q = pl_member(r, "quorum"), *v;
    pl_table *t;
    bool ok = true;

    if (q == NULL) {
        if (strcmp(pl_str(r, "flavor") != NULL ? pl_str(r, "flavor") : "", "redpanda") == 0)
            fprintf(f, "\nKRaft quorum: none (Redpanda keeps its own Raft groups)\n");
        return;
    }
    fprintf(f, "\nKRaft quorum: leader %.0f, epoch %.0f, high watermark %.0f, %.0f observers\n",
            pl_num(q, "leaderId"), pl_num(q, "leaderEpoch"), pl_num(q, "highWatermark"),
            pl_num(q, "observers"));
    t = pl_table_new(5, headers);
    cJSON_ArrayForEach(v, pl_member(q, "voters"))
    {
        char id[16], leo[24], lag[24], ago[48];
        const cJSON *a = pl_member(v, "lastCaughtUpMsAgo");
        const char *cells[] = {
            pl_num_text(v, "id", id, sizeof id), pl_num_text(v, "logEndOffset", leo, sizeof leo),
            pl_num_text(v, "lag", lag, sizeof lag), ago, pl_yes_no(v, "caughtUp")};

        if (cJSON_IsNumber(a))
            snprintf(ago, sizeof ago, "%.0f ms before the leader", a->valuedouble);
        else
            snprintf(ago, sizeof ago, "-");
        ok = ok && t != NULL && pl_table_add(t, cells) == 0;
    }
    pl_table_done(t, ok, f);
}

static void print_rest(const cJSON *r, FILE *f)
{
    const cJSON *re = pl_member(r, "reassignments"), *l = pl_member(r, "ledger"), *e;
    int n = cJSON_GetArraySize(re);
    char buf[256];

    if (re != NULL || l != NULL)
        fprintf(f, "\n");
    if (re != NULL && n == 0)
        fprintf(f, "Reassignments: none in progress\n");
    else if (re != NULL)
        fprintf(f, "Reassignments: %d partition%s being moved\n", n, n == 1 ? "" : "s");
    cJSON_ArrayForEach(e, re)
    {
        char a[256], d[256];

        fprintf(f, "  %s-%.0f: replicas %s, adding %s, removing %s\n", pl_str(e, "topic"),
                pl_num(e, "partition"), pl_joined(pl_member(e, "replicas"), buf, sizeof buf),
                pl_joined(pl_member(e, "adding"), a, sizeof a),
                pl_joined(pl_member(e, "removing"), d, sizeof d));
    }
    if (l != NULL)
        fprintf(f, "Drain ledger: %.0f partitions recorded, %s%s\n", pl_num(l, "partitions"),
                cJSON_GetArraySize(pl_member(l, "demoted")) > 0 ? "brokers demoted: "
                                                                : "no broker demoted",
                pl_joined(pl_member(l, "demoted"), buf, sizeof buf));
}

void pl_health_print(const cJSON *r, bool wide, FILE *f)
{
    const cJSON *a = pl_member(r, "asked"), *e;
    bool healthy = cJSON_IsTrue(pl_member(r, "healthy"));
    char how[512];

    fprintf(f, "KafkaCluster %s/%s (%s): %s\n", pl_str(r, "namespace"), pl_str(r, "cluster"),
            pl_str(r, "flavor"), healthy ? "healthy" : "NOT HEALTHY");
    cJSON_ArrayForEach(e, pl_member(r, "problems"))
    {
        fprintf(f, "  problem: %s\n", cJSON_GetStringValue(e));
    }
    cJSON_ArrayForEach(e, pl_member(r, "notes"))
    {
        fprintf(f, "  note: %s\n", cJSON_GetStringValue(e));
    }
    fprintf(f, "Asked broker %.0f (pod %s, port %.0f, %s); cluster id %s, controller %.0f\n\n",
            pl_num(a, "id"), pl_str(a, "pod"), pl_num(a, "port"), pl_asked_how(a, how, sizeof how),
            pl_str(r, "clusterId") != NULL ? pl_str(r, "clusterId") : "-",
            pl_num(r, "controllerId"));
    print_brokers(r, wide, f);
    print_partitions(r, wide, f);
    print_quorum(r, f);
    print_rest(r, f);
}
