/* The drain ledger: what berth remembers about the replica orders it changed,
 * so that any number of drains and restores, in any interleaving, put every
 * partition back in its original order (no drift of preferred leaders).
 *
 * Per partition it keeps the original order (recorded by the first broker
 * that demotes the partition), the set of brokers demoted now, the order
 * berth wrote last, and every order berth has written since the original was
 * recorded. The order berth wants is always a function of the original and
 * the demoted set alone (the original with every demoted broker moved last,
 * in original relative order), so demote and restore steps commute.
 *
 * "Has berth written this order?" is what tells berth's own writes (possibly
 * still in flight from a concurrent drain) from a change made by someone
 * else, e.g. a rebalancer: a restore rewrites an order only when the current
 * one is the original or one berth wrote; anything else is left alone.
 *
 * This file is pure: parse and format the JSON kept in the ConfigMap
 * `<c>-drain` (ledger_store.c does the I/O), and the merge steps. */
#ifndef BERTH_DRAIN_LEDGER_H
#define BERTH_DRAIN_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The ConfigMap data key that holds the JSON. */
#define DRAIN_LEDGER_KEY "ledger"
/* The JSON's "version". */
#define DRAIN_LEDGER_VERSION 1
/* Largest replication factor the ledger accepts. */
#define DRAIN_LEDGER_MAX_REPLICAS 16
/* Orders remembered per partition; the oldest is forgotten beyond this. */
#define DRAIN_LEDGER_MAX_WROTE 32

typedef struct drain_ledger_entry {
    char *topic; /* owned */
    int32_t partition;
    int32_t n; /* replicas in every order below */
    int32_t original[DRAIN_LEDGER_MAX_REPLICAS];
    int32_t written[DRAIN_LEDGER_MAX_REPLICAS]; /* the order berth wrote last */
    int32_t n_demoted;
    int32_t demoted[DRAIN_LEDGER_MAX_REPLICAS]; /* ascending; a subset of original */
    int32_t n_wrote;
    int32_t *wrote; /* owned; n_wrote orders of n ids: what berth has written */
} drain_ledger_entry;

/* Entries sorted by (topic, partition). */
typedef struct drain_ledger {
    int32_t n;
    int32_t cap;
    drain_ledger_entry *entries;
} drain_ledger;

/* An empty ledger for drain_ledger_free; NULL out of memory. */
drain_ledger *drain_ledger_new(void);
void drain_ledger_free(drain_ledger *l);

/* Parses the JSON form:
 *   {"version":1,"partitions":[{"topic":"t","partition":0,
 *     "original":[1,2,3],"demoted":[1],"written":[2,3,1],"wrote":[[2,3,1]]}]}
 * Every order must be a permutation of original (distinct ids >= 0, at most
 * DRAIN_LEDGER_MAX_REPLICAS), demoted a subset of it, each (topic, partition)
 * listed once. Empty input (len 0) is an empty ledger. On failure err names
 * the entry and field. */
int drain_ledger_parse(const char *json, size_t len, drain_ledger **out,
                       util_err *err) UTIL_MUST_CHECK;

/* The JSON form, a new string for free(). -1 out of memory. */
int drain_ledger_format(const drain_ledger *l, char **out, util_err *err) UTIL_MUST_CHECK;

/* The entry of (topic, partition), borrowed from l until it changes; NULL if
 * none. */
drain_ledger_entry *drain_ledger_find(const drain_ledger *l, const char *topic, int32_t partition);

/* Removes the entry of (topic, partition), if any. */
void drain_ledger_remove(drain_ledger *l, const char *topic, int32_t partition);

/* Is id in the entry's demoted set? */
int drain_ledger_is_demoted(const drain_ledger_entry *e, int32_t id);

/* Is order (e->n ids) the original or one berth wrote? */
int drain_ledger_knows(const drain_ledger_entry *e, const int32_t *order);

/* out = original with every id of demoted moved last, keeping the relative
 * order of both groups. out must hold n ids and may not alias original. */
void drain_order_arrange(const int32_t *original, int32_t n, const int32_t *demoted,
                         int32_t n_demoted, int32_t *out);

/* Do a and b (n ids each) hold the same ids, in any order? */
int drain_order_same_set(const int32_t *a, const int32_t *b, int32_t n);

/* Are a and b the same order? */
int drain_order_equal(const int32_t *a, const int32_t *b, int32_t n);

/* What a step decided for one partition. */
typedef enum drain_ledger_step {
    DRAIN_STEP_KEEP,    /* Kafka's order already is the wanted one */
    DRAIN_STEP_WRITE,   /* write *order to Kafka */
    DRAIN_STEP_FOREIGN, /* the current order is not berth's: left alone */
    DRAIN_STEP_NONE,    /* nothing of this broker to undo here */
} drain_ledger_step;

/* Drain step: broker demotes (topic, partition), whose current order in
 * Kafka is cur (n ids, broker among them). Records cur as the original when
 * the ledger has no entry, or when the entry is stale (cur is another
 * replica set, or an order berth never wrote: someone changed it), adds
 * broker to the demoted set and sets written to the wanted order, copied to
 * order (n ids). Returns DRAIN_STEP_WRITE or DRAIN_STEP_KEEP, or -1 with err. */
int drain_ledger_demote(drain_ledger *l, const char *topic, int32_t partition, const int32_t *cur,
                        int32_t n, int32_t broker, int32_t *order, util_err *err) UTIL_MUST_CHECK;

/* Restore step: removes broker from the demoted set of (topic, partition),
 * whose current order is cur. DRAIN_STEP_NONE when broker is not demoted there;
 * when cur is another replica set the entry is dropped and DRAIN_STEP_FOREIGN
 * returned; when cur is an order berth never wrote, broker leaves the set
 * but Kafka is left alone (DRAIN_STEP_FOREIGN); otherwise written becomes the
 * wanted order, copied to order, and DRAIN_STEP_WRITE or DRAIN_STEP_KEEP says
 * whether Kafka differs. -1 with err on bad input. */
int drain_ledger_undemote(drain_ledger *l, const char *topic, int32_t partition, const int32_t *cur,
                          int32_t n, int32_t broker, int32_t *order, util_err *err) UTIL_MUST_CHECK;

#endif
