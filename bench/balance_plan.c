/* How long the partition planner (balance/plan.c) takes and how much it
 * moves for a 3 -> 5 rebalance and a 5 -> 3 decommission of N partitions
 * of replication factor 3, placed round robin as Kafka creates them. Bytes
 * are not known to the planner (it balances by count): the figure is
 * replicas moved, each one a partition's full log. Prints figures only. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "balance/plan.h"

static double seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Plans for n partitions on brokers 1..from; brokers 1..to exist, those
 * above min(from, to) leaving when to < from. */
static int run(int32_t n, int32_t from, int32_t to)
{
    balance_broker brokers[8];
    balance_partition *parts = calloc((size_t)n, sizeof(*parts));
    balance_plan *plan;
    util_err err;
    int32_t i, k, nb = from > to ? from : to, replicas = 0, leaders = 0;
    double t0, t1;

    if (parts == NULL)
        return -1;
    for (i = 0; i < nb; i++)
        brokers[i] = (balance_broker){.id = i + 1, .rack = NULL, .leaving = i >= to};
    for (i = 0; i < n; i++) {
        parts[i].topic = "bench";
        parts[i].partition = i;
        parts[i].n = 3;
        for (k = 0; k < 3; k++)
            parts[i].replicas[k] = 1 + (i + k) % from;
    }
    t0 = seconds();
    if (balance_plan_new(brokers, nb, parts, n, &plan, &err) < 0) {
        fprintf(stderr, "balance_plan: %s\n", err.msg);
        free(parts);
        return -1;
    }
    t1 = seconds();
    for (i = 0; i < plan->n; i++) {
        const balance_move *m = &plan->moves[i];
        int32_t j;

        leaders += m->to[0] != m->from[0];
        for (k = 0; k < m->n; k++) {
            for (j = 0; j < m->n && m->from[j] != m->to[k]; j++)
                ;
            replicas += j == m->n;
        }
    }
    printf("%d -> %d brokers, %6d partitions: plan %8.3f ms, %6d partitions change, "
           "%6d replicas move, %6d preferred leaders change\n",
           (int)from, (int)to, (int)n, (t1 - t0) * 1e3, (int)plan->n, (int)replicas, (int)leaders);
    balance_plan_free(plan);
    free(parts);
    return 0;
}

int main(void)
{
    static const int32_t sizes[] = {300, 1000, 3000, 10000};
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
        if (run(sizes[i], 3, 5) < 0 || run(sizes[i], 5, 3) < 0)
            return 1;
    return 0;
}
