/* The partition planner (plan.h): evacuate leaving brokers, then even out
 * replica counts by single replica moves, then even out preferred leaders
 * by reordering along chains of replicas, or, where no chain helps, by
 * trading a leadership for a followership. Each step only runs while it
 * strictly lowers a sum of squares of counts, so it ends, and a balanced
 * state is a fixed point, so planning again gives no moves. */
#include "balance/plan.h"

#include <stdlib.h>
#include <string.h>

/* The working state. Brokers are the remaining ones, by ascending id, named
 * by index; partitions by ascending (topic, partition). */
typedef struct work {
    int32_t nb;
    int32_t *ids;   /* nb remaining ids, ascending */
    int32_t *rack;  /* nb rack codes: same code, same rack */
    int32_t *count; /* nb replica counts */
    int32_t *lead;  /* nb preferred-leader counts */
    int32_t np;
    const balance_partition **parts;       /* np, sorted; borrowed from the caller */
    int32_t (*reps)[BALANCE_MAX_REPLICAS]; /* np lists of broker indexes; -1: must move */
} work;

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

static int cmp_part(const void *a, const void *b)
{
    const balance_partition *x = *(const balance_partition *const *)a;
    const balance_partition *y = *(const balance_partition *const *)b;
    int c = strcmp(x->topic, y->topic);

    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Index of broker id among the remaining ones, -1 if it is not one. */
static int32_t index_of(const work *w, int32_t id)
{
    const int32_t *p = bsearch(&id, w->ids, (size_t)w->nb, sizeof(*w->ids), cmp_i32);

    return p == NULL ? -1 : (int32_t)(p - w->ids);
}

static int holds(const int32_t *reps, int32_t n, int32_t b)
{
    int32_t i;

    for (i = 0; i < n; i++)
        if (reps[i] == b)
            return 1;
    return 0;
}

/* Distinct racks among the replicas (remaining ones only). */
static int32_t spread(const work *w, const int32_t *reps, int32_t n)
{
    int32_t i, j, s = 0;

    for (i = 0; i < n; i++) {
        if (reps[i] < 0)
            continue;
        for (j = 0; j < i; j++)
            if (reps[j] >= 0 && w->rack[reps[j]] == w->rack[reps[i]])
                break;
        s += j == i;
    }
    return s;
}

static void work_free(work *w)
{
    free(w->ids);
    free(w->rack);
    free(w->count);
    free(w->lead);
    free(w->parts);
    free(w->reps);
}

/* Fills w from the input, checking it; -1 with err on bad input. */
static int work_init(work *w, const balance_broker *brokers, int32_t n_brokers,
                     const balance_partition *parts, int32_t n_parts, util_err *err)
{
    const char **racks = NULL;
    int32_t i, j, nr = 0;
    size_t nbs = (size_t)(n_brokers > 0 ? n_brokers : 1), nps = (size_t)(n_parts > 0 ? n_parts : 1);

    memset(w, 0, sizeof(*w));
    if (n_brokers < 0 || n_parts < 0)
        return util_err_set(err, "negative count");
    w->ids = calloc(nbs, sizeof(*w->ids));
    w->rack = calloc(nbs, sizeof(*w->rack));
    w->count = calloc(nbs, sizeof(*w->count));
    w->lead = calloc(nbs, sizeof(*w->lead));
    w->parts = calloc(nps, sizeof(*w->parts));
    w->reps = calloc(nps, sizeof(*w->reps));
    racks = calloc(nbs, sizeof(*racks));
    if (!w->ids || !w->rack || !w->count || !w->lead || !w->parts || !w->reps || !racks) {
        free(racks);
        return util_err_set(err, "out of memory");
    }
    for (i = 0; i < n_brokers; i++) {
        for (j = 0; j < i; j++)
            if (brokers[j].id == brokers[i].id) {
                free(racks);
                return util_err_set(err, "broker %d listed twice", (int)brokers[i].id);
            }
        if (!brokers[i].leaving)
            w->ids[w->nb++] = brokers[i].id;
        if (brokers[i].rack != NULL)
            racks[nr++] = brokers[i].rack;
    }
    qsort(w->ids, (size_t)w->nb, sizeof(*w->ids), cmp_i32);
    qsort(racks, (size_t)nr, sizeof(*racks), cmp_str);
    /* Rack code: index of the rack among the sorted names, nr for none. */
    for (i = 0; i < n_brokers; i++) {
        int32_t b = brokers[i].leaving ? -1 : index_of(w, brokers[i].id), code = nr;

        if (b < 0)
            continue;
        if (brokers[i].rack != NULL) {
            const char **r = bsearch(&brokers[i].rack, racks, (size_t)nr, sizeof(*racks), cmp_str);

            code = (int32_t)(r - racks);
            while (code > 0 && strcmp(racks[code - 1], brokers[i].rack) == 0)
                code--;
        }
        w->rack[b] = code;
    }
    free(racks);

    for (i = 0; i < n_parts; i++)
        w->parts[i] = &parts[i];
    w->np = n_parts;
    qsort(w->parts, (size_t)w->np, sizeof(*w->parts), cmp_part);
    for (i = 0; i < w->np; i++) {
        const balance_partition *p = w->parts[i];
        int32_t k;

        if (i > 0 && cmp_part(&w->parts[i - 1], &w->parts[i]) == 0)
            return util_err_set(err, "topic '%s' partition %d listed twice", p->topic,
                                (int)p->partition);
        if (p->n < 1 || p->n > BALANCE_MAX_REPLICAS)
            return util_err_set(err, "topic '%s' partition %d: %d replicas, want 1 to %d", p->topic,
                                (int)p->partition, (int)p->n, BALANCE_MAX_REPLICAS);
        if (p->n > w->nb)
            return util_err_set(err,
                                "topic '%s' partition %d: replication factor %d but %d brokers "
                                "remain",
                                p->topic, (int)p->partition, (int)p->n, (int)w->nb);
        for (k = 0; k < p->n; k++) {
            for (j = 0; j < k; j++)
                if (p->replicas[j] == p->replicas[k])
                    return util_err_set(err, "topic '%s' partition %d: broker %d listed twice",
                                        p->topic, (int)p->partition, (int)p->replicas[k]);
            w->reps[i][k] = index_of(w, p->replicas[k]);
            if (w->reps[i][k] >= 0) {
                w->count[w->reps[i][k]]++;
                if (k == 0)
                    w->lead[w->reps[i][k]]++;
            }
        }
    }
    return 0;
}

/* Replaces every replica on a leaving broker by the remaining broker that
 * adds a rack the partition lacks, then holds fewest replicas, then has the
 * lowest id. */
static void evacuate(work *w)
{
    int32_t i, k, b;

    for (i = 0; i < w->np; i++) {
        int32_t n = w->parts[i]->n, *reps = w->reps[i];

        for (k = 0; k < n; k++) {
            int32_t best = -1, best_new = 0;

            if (reps[k] >= 0)
                continue;
            for (b = 0; b < w->nb; b++) {
                int32_t j, fresh = 1;

                if (holds(reps, n, b))
                    continue;
                for (j = 0; j < n; j++)
                    if (reps[j] >= 0 && w->rack[reps[j]] == w->rack[b])
                        fresh = 0;
                if (best < 0 || fresh > best_new ||
                    (fresh == best_new && w->count[b] < w->count[best])) {
                    best = b;
                    best_new = fresh;
                }
            }
            reps[k] = best; /* exists: n <= nb was checked */
            w->count[best]++;
            if (k == 0)
                w->lead[best]++;
        }
    }
}

/* Moves one replica from a broker to one holding at least 2 fewer, keeping
 * the partition's rack spread; 1 if it moved one. Sources by most replicas,
 * targets by fewest, partitions in order: deterministic. */
static int move_one_replica(work *w, int32_t *by)
{
    int32_t x, y, i, k;

    for (x = 0; x < w->nb; x++)
        by[x] = x;
    /* Insertion sort by count, then id: nb is small. */
    for (x = 1; x < w->nb; x++)
        for (y = x; y > 0 && w->count[by[y - 1]] > w->count[by[y]]; y--) {
            int32_t t = by[y];

            by[y] = by[y - 1];
            by[y - 1] = t;
        }
    for (x = w->nb - 1; x >= 0; x--)
        for (y = 0; y < x; y++) {
            int32_t a = by[x], b = by[y];

            if (w->count[a] - w->count[b] < 2)
                break;
            /* First pass: a follows (leaders stay); second: a leads. */
            for (i = 0; i < 2 * w->np; i++) {
                int32_t n = w->parts[i % w->np]->n, *reps = w->reps[i % w->np], before;

                if (holds(reps, n, b))
                    continue;
                for (k = 0; k < n && reps[k] != a; k++)
                    ;
                if (k == n || (k == 0) != (i >= w->np))
                    continue;
                before = spread(w, reps, n);
                reps[k] = b;
                if (spread(w, reps, n) < before) {
                    reps[k] = a;
                    continue;
                }
                w->count[a]--;
                w->count[b]++;
                if (k == 0) {
                    w->lead[a]--;
                    w->lead[b]++;
                }
                return 1;
            }
        }
    return 0;
}

/* Moves one preferred leadership from a broker to one leading at least 2
 * fewer, along a shortest chain a -> c -> ... -> t where each step is a
 * partition led by one broker that holds the next as a replica; each step
 * swaps the two in that partition. 1 if it moved one. */
static int move_one_leader(work *w, int32_t *by, int32_t *prev_b, int32_t *prev_p)
{
    int32_t s, head, tail, i, k;

    for (s = 0; s < w->nb; s++) {
        int32_t src = s, found = -1;

        /* Sources by most leaders, then lowest id. */
        {
            int32_t x, best = -1;

            for (x = 0; x < w->nb; x++) {
                int32_t seen = 0, y;

                for (y = 0; y < s; y++)
                    seen |= by[y] == x;
                if (!seen && (best < 0 || w->lead[x] > w->lead[best]))
                    best = x;
            }
            src = best;
            by[s] = src;
        }
        for (i = 0; i < w->nb; i++)
            prev_b[i] = -2;
        prev_b[src] = -1;
        /* prev_p doubles as the BFS queue's storage after the chain data. */
        head = tail = 0;
        prev_p[w->nb + tail++] = src;
        while (head < tail && found < 0) {
            int32_t u = prev_p[w->nb + head++];

            for (i = 0; i < w->np && found < 0; i++) {
                int32_t n = w->parts[i]->n, *reps = w->reps[i];

                if (reps[0] != u)
                    continue;
                for (k = 1; k < n; k++) {
                    int32_t v = reps[k];

                    if (prev_b[v] != -2)
                        continue;
                    prev_b[v] = u;
                    prev_p[v] = i;
                    if (w->lead[v] <= w->lead[src] - 2) {
                        found = v;
                        break;
                    }
                    prev_p[w->nb + tail++] = v;
                }
            }
        }
        if (found < 0)
            continue;
        for (k = found; prev_b[k] >= 0; k = prev_b[k]) {
            int32_t *reps = w->reps[prev_p[k]], j;

            for (j = 1; reps[j] != k; j++)
                ;
            reps[j] = reps[0];
            reps[0] = k;
        }
        w->lead[src]--;
        w->lead[found]++;
        return 1;
    }
    return 0;
}

/* When no chain helps: broker a leads partition p, t leads at least 2
 * fewer and follows in partition q that a is not in; a and t trade places
 * (t leads p, a follows in q), keeping both replica counts and both rack
 * spreads. With equal replica counts (+-1) such p and q always exist when
 * no chain does. 1 if it traded. */
static int swap_one_leader(work *w)
{
    int32_t a, t, p, q, k;

    for (a = 0; a < w->nb; a++)
        for (t = 0; t < w->nb; t++) {
            if (w->lead[a] - w->lead[t] < 2)
                continue;
            for (p = 0; p < w->np; p++) {
                int32_t np_ = w->parts[p]->n, *rp = w->reps[p];

                if (rp[0] != a || holds(rp, np_, t))
                    continue;
                for (q = 0; q < w->np; q++) {
                    int32_t nq = w->parts[q]->n, *rq = w->reps[q], sp, sq;

                    if (rq[0] == t || holds(rq, nq, a))
                        continue;
                    for (k = 1; k < nq && rq[k] != t; k++)
                        ;
                    if (k == nq)
                        continue;
                    sp = spread(w, rp, np_);
                    sq = spread(w, rq, nq);
                    rp[0] = t;
                    rq[k] = a;
                    if (spread(w, rp, np_) < sp || spread(w, rq, nq) < sq) {
                        rp[0] = a;
                        rq[k] = t;
                        continue;
                    }
                    w->lead[a]--;
                    w->lead[t]++;
                    return 1;
                }
            }
        }
    return 0;
}

int balance_plan_new(const balance_broker *brokers, int32_t n_brokers,
                     const balance_partition *parts, int32_t n_parts, balance_plan **out,
                     util_err *err)
{
    work w;
    balance_plan *plan = NULL;
    int32_t *by = NULL, *prev_b = NULL, *prev_p = NULL, i, k;

    *out = NULL;
    if (work_init(&w, brokers, n_brokers, parts, n_parts, err) < 0) {
        work_free(&w);
        return util_err_prefix(err, "plan");
    }
    by = calloc((size_t)w.nb + 1, sizeof(*by));
    prev_b = calloc((size_t)w.nb + 1, sizeof(*prev_b));
    prev_p = calloc(2 * (size_t)w.nb + 1, sizeof(*prev_p));
    plan = calloc(1, sizeof(*plan));
    if (!by || !prev_b || !prev_p || !plan)
        goto oom;
    evacuate(&w);
    /* A leader trade can open a replica move that a rack forbade before:
     * repeat both until neither finds one. Replica moves lower the sum of
     * squared replica counts, leader steps keep it and lower the leaders':
     * this ends. */
    for (;;) {
        int moved = 0;

        while (move_one_replica(&w, by))
            moved = 1;
        while (move_one_leader(&w, by, prev_b, prev_p) || swap_one_leader(&w))
            moved = 1;
        if (!moved)
            break;
    }
    for (i = 0; i < w.np; i++) {
        const balance_partition *p = w.parts[i];
        balance_move *m;

        for (k = 0; k < p->n && w.ids[w.reps[i][k]] == p->replicas[k]; k++)
            ;
        if (k == p->n)
            continue;
        if (plan->moves == NULL) {
            plan->moves = calloc((size_t)w.np, sizeof(*plan->moves));
            if (plan->moves == NULL)
                goto oom;
        }
        m = &plan->moves[plan->n];
        m->topic = strdup(p->topic);
        if (m->topic == NULL)
            goto oom;
        plan->n++;
        m->partition = p->partition;
        m->n = p->n;
        for (k = 0; k < p->n; k++) {
            m->from[k] = p->replicas[k];
            m->to[k] = w.ids[w.reps[i][k]];
        }
    }
    free(by);
    free(prev_b);
    free(prev_p);
    work_free(&w);
    *out = plan;
    return 0;
oom:
    free(by);
    free(prev_b);
    free(prev_p);
    work_free(&w);
    balance_plan_free(plan);
    return util_err_set(err, "plan: out of memory");
}

void balance_plan_free(balance_plan *p)
{
    int32_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->n; i++)
        free(p->moves[i].topic);
    free(p->moves);
    free(p);
}
