/* The drain-plan report as a terminal shows it (see drain_plan.h): read
 * from the document alone, as -o json|yaml would print it, so the table
 * says nothing the document does not. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "drain_plan.h"
#include "output.h"
#include "plugin.h"

/* The report's kind words as the table says them. */
static const char *kind_text(const char *kind)
{
    static const struct {
        const char *word, *text;
    } kinds[] = {
        {"under-reassignment", "under reassignment"},
        {"only-in-sync-replica", "only in-sync replica"},
        {"below-min-isr", "below min.insync.replicas"},
        {"no-successor", "no successor"},
    };

    for (size_t i = 0; kind != NULL && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i].word) == 0)
            return kinds[i].text;
    return kind;
}

/* The figures, with the line the sidecar's drain logs them in. */
static void print_figures(const cJSON *r, FILE *f)
{
    const cJSON *by = pl_member(r, "reportedByKind");

    fprintf(f, "\nLeaderships to move: %.0f (the partitions broker %.0f leads)\n",
            pl_num(r, "leadershipsToMove"), pl_num(r, "broker"));
    fprintf(f,
            "Orders to write: %.0f (of %.0f partitions whose order the drain sets in the ledger; "
            "%.0f preferred election%s to ask)\n",
            pl_num(r, "ordersToWrite"), pl_num(r, "partitionsDemoted"), pl_num(r, "electionsToAsk"),
            pl_num(r, "electionsToAsk") == 1 ? "" : "s");
    fprintf(f,
            "Partitions reported: %.0f (%.0f only in-sync replica, %.0f below "
            "min.insync.replicas, %.0f under reassignment, %.0f no successor)\n",
            pl_num(r, "reported"), pl_num(by, "onlyInSyncReplica"), pl_num(by, "belowMinIsr"),
            pl_num(by, "underReassignment"), pl_num(by, "noSuccessor"));
    fprintf(f,
            "The drain would log: broker %.0f leads %.0f partitions; %.0f orders to write, %.0f "
            "reported\n",
            pl_num(r, "broker"), pl_num(r, "leadershipsToMove"), pl_num(r, "ordersToWrite"),
            pl_num(r, "reported"));
}

static void print_reported(const cJSON *r, bool wide, FILE *f)
{
    static const char *const headers[] = {"topic", "partition",       "leader",  "replicas",
                                          "isr",   "in sync besides", "min isr", "reported"};
    const cJSON *p;
    pl_table *t;
    bool ok = true;

    if (cJSON_GetArraySize(pl_member(r, "reportedPartitions")) == 0)
        return;
    fprintf(f, "\n");
    t = pl_table_new(8, headers);
    if (!wide)
        pl_table_limit(t, PL_TABLE_ROWS);
    cJSON_ArrayForEach(p, pl_member(r, "reportedPartitions"))
    {
        char part[16], leader[16], reps[256], isr[256], besides[16], min[16];
        const char *cells[] = {pl_str(p, "topic"),
                               pl_num_text(p, "partition", part, sizeof part),
                               pl_num_text(p, "leader", leader, sizeof leader),
                               pl_joined(pl_member(p, "replicas"), reps, sizeof reps),
                               pl_joined(pl_member(p, "isr"), isr, sizeof isr),
                               pl_num_text(p, "inSyncBesides", besides, sizeof besides),
                               pl_num_text(p, "minIsr", min, sizeof min),
                               kind_text(pl_str(p, "kind"))};

        ok = ok && t != NULL && pl_table_add(t, cells) == 0;
    }
    pl_table_done(t, ok, f);
}

/* Every partition of the plan (-o wide). */
static void print_planned(const cJSON *r, FILE *f)
{
    static const char *const headers[] = {"topic", "partition", "leader", "replicas", "isr",
                                          "order", "write",     "elect",  "reported"};
    const cJSON *p;
    pl_table *t;
    bool ok = true;

    if (cJSON_GetArraySize(pl_member(r, "partitions")) == 0)
        return;
    fprintf(f, "\nEvery partition of the plan (ORDER: the order the drain wants):\n");
    t = pl_table_new(9, headers);
    cJSON_ArrayForEach(p, pl_member(r, "partitions"))
    {
        char part[16], leader[16], reps[256], isr[256], order[256], kinds[256];
        const cJSON *k;
        size_t n = 0;
        const char *cells[] = {pl_str(p, "topic"),
                               pl_num_text(p, "partition", part, sizeof part),
                               pl_num_text(p, "leader", leader, sizeof leader),
                               pl_joined(pl_member(p, "replicas"), reps, sizeof reps),
                               pl_joined(pl_member(p, "isr"), isr, sizeof isr),
                               cJSON_IsArray(pl_member(p, "order"))
                                   ? pl_joined(pl_member(p, "order"), order, sizeof order)
                                   : "-",
                               pl_yes_no(p, "writeOrder"),
                               pl_yes_no(p, "elect"),
                               kinds};

        kinds[0] = '\0';
        cJSON_ArrayForEach(k, pl_member(p, "reported"))
        {
            if (n < sizeof kinds)
                n += (size_t)snprintf(kinds + n, sizeof kinds - n, "%s%s", n > 0 ? ", " : "",
                                      kind_text(cJSON_GetStringValue(k)));
        }
        if (n == 0)
            cells[8] = NULL;
        ok = ok && t != NULL && pl_table_add(t, cells) == 0;
    }
    pl_table_done(t, ok, f);
}

void pl_drain_plan_print(const cJSON *r, bool wide, FILE *f)
{
    const cJSON *a = pl_member(r, "asked"), *e;
    char how[512];

    fprintf(f, "Broker %.0f (pod %s/%s) of KafkaCluster %s: %s\n", pl_num(r, "broker"),
            pl_str(r, "namespace"), pl_str(r, "pod"), pl_str(r, "cluster"),
            cJSON_IsTrue(pl_member(r, "safe")) ? "safe to restart now" : "NOT SAFE to restart now");
    cJSON_ArrayForEach(e, pl_member(r, "problems"))
    {
        fprintf(f, "  problem: %s\n", cJSON_GetStringValue(e));
    }
    cJSON_ArrayForEach(e, pl_member(r, "notes"))
    {
        fprintf(f, "  note: %s\n", cJSON_GetStringValue(e));
    }
    fprintf(f,
            "Planned by the drain's own planner on what broker %.0f answered (pod %s, port %.0f, "
            "%s) and the drain ledger; a dry run: nothing was written\n",
            pl_num(a, "id"), pl_str(a, "pod"), pl_num(a, "port"), pl_asked_how(a, how, sizeof how));
    print_figures(r, f);
    print_reported(r, wide, f);
    if (wide)
        print_planned(r, f);
}
