/* The drain ledger's data and merge steps; see ledger.h. */
#include "drain/ledger.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Kafka's own limit on a topic name. */
#define TOPIC_MAX 249

drain_ledger *drain_ledger_new(void)
{
    return calloc(1, sizeof(drain_ledger));
}

static void entry_release(drain_ledger_entry *e)
{
    free(e->topic);
    free(e->wrote);
}

void drain_ledger_free(drain_ledger *l)
{
    int32_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++)
        entry_release(&l->entries[i]);
    free(l->entries);
    free(l);
}

static int entry_cmp(const char *topic, int32_t partition, const drain_ledger_entry *e)
{
    int c = strcmp(topic, e->topic);

    if (c != 0)
        return c;
    return partition < e->partition ? -1 : partition > e->partition;
}

/* Index of (topic, partition), or where it would go (with *found 0). */
static int32_t locate(const drain_ledger *l, const char *topic, int32_t partition, int *found)
{
    int32_t lo = 0, hi = l->n;

    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = entry_cmp(topic, partition, &l->entries[mid]);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = 0;
    return lo;
}

drain_ledger_entry *drain_ledger_find(const drain_ledger *l, const char *topic, int32_t partition)
{
    int found;
    int32_t i = locate(l, topic, partition, &found);

    return found ? &l->entries[i] : NULL;
}

void drain_ledger_remove(drain_ledger *l, const char *topic, int32_t partition)
{
    int found;
    int32_t i = locate(l, topic, partition, &found);

    if (!found)
        return;
    entry_release(&l->entries[i]);
    memmove(&l->entries[i], &l->entries[i + 1], (size_t)(l->n - i - 1) * sizeof l->entries[0]);
    l->n--;
}

/* A new entry (topic, partition) with original = written = order, placed in
 * sort order; NULL out of memory. The caller knows it is absent. */
static drain_ledger_entry *insert(drain_ledger *l, const char *topic, int32_t partition,
                                  const int32_t *order, int32_t n)
{
    int found;
    int32_t i = locate(l, topic, partition, &found);
    drain_ledger_entry *e;
    char *name;

    assert(!found);
    if (l->n == l->cap) {
        int32_t cap = l->cap ? l->cap * 2 : 16;
        drain_ledger_entry *grown;
        if (l->cap > INT32_MAX / 4)
            return NULL;
        grown = realloc(l->entries, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        l->entries = grown;
        l->cap = cap;
    }
    name = strdup(topic);
    if (name == NULL)
        return NULL;
    memmove(&l->entries[i + 1], &l->entries[i], (size_t)(l->n - i) * sizeof l->entries[0]);
    l->n++;
    e = &l->entries[i];
    memset(e, 0, sizeof *e);
    e->topic = name;
    e->partition = partition;
    e->n = n;
    memcpy(e->original, order, (size_t)n * sizeof order[0]);
    memcpy(e->written, order, (size_t)n * sizeof order[0]);
    /* Entries stay sorted by (topic, partition), each once. */
    assert(i == 0 || entry_cmp(topic, partition, &l->entries[i - 1]) > 0);
    assert(i == l->n - 1 || entry_cmp(topic, partition, &l->entries[i + 1]) < 0);
    return e;
}

int drain_ledger_is_demoted(const drain_ledger_entry *e, int32_t id)
{
    int32_t i;

    for (i = 0; i < e->n_demoted; i++)
        if (e->demoted[i] == id)
            return 1;
    return 0;
}

int drain_order_equal(const int32_t *a, const int32_t *b, int32_t n)
{
    return memcmp(a, b, (size_t)n * sizeof a[0]) == 0;
}

static int contains(const int32_t *ids, int32_t n, int32_t id)
{
    int32_t i;

    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

int drain_order_same_set(const int32_t *a, const int32_t *b, int32_t n)
{
    int32_t i;

    /* Orders hold distinct ids, so equal length and inclusion suffice. */
    for (i = 0; i < n; i++)
        if (!contains(b, n, a[i]))
            return 0;
    return 1;
}

int drain_ledger_knows(const drain_ledger_entry *e, const int32_t *order)
{
    int32_t i;

    if (drain_order_equal(e->original, order, e->n) || drain_order_equal(e->written, order, e->n))
        return 1;
    for (i = 0; i < e->n_wrote; i++)
        if (drain_order_equal(e->wrote + (size_t)i * e->n, order, e->n))
            return 1;
    return 0;
}

void drain_order_arrange(const int32_t *original, int32_t n, const int32_t *demoted,
                         int32_t n_demoted, int32_t *out)
{
    int32_t i, k = 0;

    for (i = 0; i < n; i++)
        if (!contains(demoted, n_demoted, original[i]))
            out[k++] = original[i];
    for (i = 0; i < n; i++)
        if (contains(demoted, n_demoted, original[i]))
            out[k++] = original[i];
}

/* Remembers order among the ones berth wrote (no duplicates; the oldest goes
 * when full). -1 out of memory. */
static int remember(drain_ledger_entry *e, const int32_t *order)
{
    int32_t i;
    size_t sz = (size_t)e->n * sizeof order[0];

    for (i = 0; i < e->n_wrote; i++)
        if (drain_order_equal(e->wrote + (size_t)i * e->n, order, e->n))
            return 0;
    if (e->n_wrote == DRAIN_LEDGER_MAX_WROTE) {
        memmove(e->wrote, e->wrote + e->n, (size_t)(e->n_wrote - 1) * sz);
        e->n_wrote--;
    } else {
        int32_t *grown = realloc(e->wrote, (size_t)(e->n_wrote + 1) * sz);
        if (grown == NULL)
            return -1;
        e->wrote = grown;
    }
    memcpy(e->wrote + (size_t)e->n_wrote * e->n, order, sz);
    e->n_wrote++;
    assert(e->n_wrote <= DRAIN_LEDGER_MAX_WROTE);
    return 0;
}

/* Sets written to the wanted order and remembers it. */
static int rewrite(drain_ledger_entry *e, util_err *err)
{
    /* demoted is a subset of original, so it is never longer. */
    assert(e->n_demoted <= e->n);
    drain_order_arrange(e->original, e->n, e->demoted, e->n_demoted, e->written);
    if (remember(e, e->written) < 0)
        return util_err_set(err, "drain ledger: out of memory");
    return 0;
}

/* Checks an order handed in by a caller: 1..MAX distinct ids >= 0. */
static int check_order(const char *topic, int32_t partition, const int32_t *cur, int32_t n,
                       util_err *err)
{
    int32_t i;

    if (n < 1 || n > DRAIN_LEDGER_MAX_REPLICAS)
        return util_err_set(err, "drain ledger: %s-%d: %d replicas (1..%d supported)", topic,
                            (int)partition, (int)n, DRAIN_LEDGER_MAX_REPLICAS);
    for (i = 0; i < n; i++)
        if (cur[i] < 0 || contains(cur, i, cur[i]))
            return util_err_set(err, "drain ledger: %s-%d: bad replica list", topic,
                                (int)partition);
    return 0;
}

int drain_ledger_demote(drain_ledger *l, const char *topic, int32_t partition, const int32_t *cur,
                        int32_t n, int32_t broker, int32_t *order, util_err *err)
{
    drain_ledger_entry *e;

    if (check_order(topic, partition, cur, n, err) < 0)
        return -1;
    if (!contains(cur, n, broker))
        return util_err_set(err, "drain ledger: %s-%d: broker %d is not a replica", topic,
                            (int)partition, (int)broker);
    e = drain_ledger_find(l, topic, partition);
    if (e != NULL && (e->n != n || !drain_order_same_set(e->original, cur, n))) {
        /* Reassigned to other brokers since: what the entry says is moot. */
        drain_ledger_remove(l, topic, partition);
        e = NULL;
    }
    if (e != NULL && !drain_ledger_knows(e, cur)) {
        /* Reordered by someone else: that order is the new original. */
        memcpy(e->original, cur, (size_t)n * sizeof cur[0]);
        free(e->wrote);
        e->wrote = NULL;
        e->n_wrote = 0;
    }
    if (e == NULL && (e = insert(l, topic, partition, cur, n)) == NULL)
        return util_err_set(err, "drain ledger: out of memory");
    if (!drain_ledger_is_demoted(e, broker)) {
        int32_t i = e->n_demoted;

        /* original holds the ids of cur (checked above), broker among
         * them: demoted stays a subset of original. */
        assert(contains(e->original, e->n, broker));
        while (i > 0 && e->demoted[i - 1] > broker) {
            e->demoted[i] = e->demoted[i - 1];
            i--;
        }
        e->demoted[i] = broker;
        e->n_demoted++;
        assert(e->n_demoted <= e->n);
        assert(i == 0 || e->demoted[i - 1] < broker);
    }
    if (rewrite(e, err) < 0)
        return -1;
    memcpy(order, e->written, (size_t)n * sizeof order[0]);
    return drain_order_equal(cur, order, n) ? DRAIN_STEP_KEEP : DRAIN_STEP_WRITE;
}

int drain_ledger_undemote(drain_ledger *l, const char *topic, int32_t partition, const int32_t *cur,
                          int32_t n, int32_t broker, int32_t *order, util_err *err)
{
    drain_ledger_entry *e;
    int32_t i, k = 0;

    if (check_order(topic, partition, cur, n, err) < 0)
        return -1;
    e = drain_ledger_find(l, topic, partition);
    if (e == NULL || !drain_ledger_is_demoted(e, broker))
        return DRAIN_STEP_NONE;
    if (e->n != n || !drain_order_same_set(e->original, cur, n)) {
        drain_ledger_remove(l, topic, partition);
        return DRAIN_STEP_FOREIGN;
    }
    for (i = 0; i < e->n_demoted; i++)
        if (e->demoted[i] != broker)
            e->demoted[k++] = e->demoted[i];
    e->n_demoted = k;
    if (!drain_ledger_knows(e, cur))
        return DRAIN_STEP_FOREIGN;
    if (rewrite(e, err) < 0)
        return -1;
    memcpy(order, e->written, (size_t)n * sizeof order[0]);
    return drain_order_equal(cur, order, n) ? DRAIN_STEP_KEEP : DRAIN_STEP_WRITE;
}

/* ---- JSON ---- */

/* Reads an array of ids into ids (room for max); *n gets the count. */
static int read_ids(const cJSON *arr, const char *field, int32_t *ids, int32_t max, int32_t *n,
                    util_err *err)
{
    const cJSON *it;
    int32_t k = 0;

    if (!cJSON_IsArray(arr))
        return util_err_set(err, "%s: not an array", field);
    cJSON_ArrayForEach(it, arr)
    {
        double v;
        if (k == max)
            return util_err_set(err, "%s: more than %d ids", field, (int)max);
        if (!cJSON_IsNumber(it))
            return util_err_set(err, "%s: element %d is not a number", field, (int)k);
        v = cJSON_GetNumberValue(it);
        if (!(v >= 0 && v <= INT32_MAX) || floor(v) != v)
            return util_err_set(err, "%s: element %d is not a broker id", field, (int)k);
        if (contains(ids, k, (int32_t)v))
            return util_err_set(err, "%s: broker %d listed twice", field, (int)v);
        ids[k++] = (int32_t)v;
    }
    *n = k;
    return 0;
}

/* Reads a permutation of e->original. */
static int read_order(const cJSON *arr, const char *field, const drain_ledger_entry *e,
                      int32_t *out, util_err *err)
{
    int32_t n;

    if (read_ids(arr, field, out, DRAIN_LEDGER_MAX_REPLICAS, &n, err) < 0)
        return -1;
    if (n != e->n || !drain_order_same_set(e->original, out, n))
        return util_err_set(err, "%s: not the replica set of original", field);
    return 0;
}

static int parse_entry(const cJSON *o, drain_ledger *l, util_err *err)
{
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(o, "topic");
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(o, "partition");
    const cJSON *wrote = cJSON_GetObjectItemCaseSensitive(o, "wrote");
    const cJSON *it;
    int32_t original[DRAIN_LEDGER_MAX_REPLICAS], n, i;
    int32_t demoted[DRAIN_LEDGER_MAX_REPLICAS], n_demoted = 0;
    drain_ledger_entry *e;
    double p;

    if (!cJSON_IsObject(o))
        return util_err_set(err, "not an object");
    if (!cJSON_IsString(topic) || topic->valuestring[0] == '\0' ||
        strlen(topic->valuestring) > TOPIC_MAX)
        return util_err_set(err, "topic: not a topic name");
    if (!cJSON_IsNumber(part))
        return util_err_set(err, "%s: partition: not a number", topic->valuestring);
    p = cJSON_GetNumberValue(part);
    if (!(p >= 0 && p <= INT32_MAX) || floor(p) != p)
        return util_err_set(err, "%s: partition: not a partition index", topic->valuestring);
    if (drain_ledger_find(l, topic->valuestring, (int32_t)p) != NULL)
        return util_err_set(err, "%s-%d: listed twice", topic->valuestring, (int)p);
    if (read_ids(cJSON_GetObjectItemCaseSensitive(o, "original"), "original", original,
                 DRAIN_LEDGER_MAX_REPLICAS, &n, err) < 0 ||
        (n == 0 && util_err_set(err, "original: empty") < 0))
        return util_err_prefix(err, "%s-%d", topic->valuestring, (int)p);
    e = insert(l, topic->valuestring, (int32_t)p, original, n);
    if (e == NULL)
        return util_err_set(err, "out of memory");
    /* From here on e is in l; a failure leaves it for drain_ledger_free. */
    if (read_order(cJSON_GetObjectItemCaseSensitive(o, "written"), "written", e, e->written, err) <
        0)
        return util_err_prefix(err, "%s-%d", e->topic, (int)e->partition);
    if (read_ids(cJSON_GetObjectItemCaseSensitive(o, "demoted"), "demoted", demoted,
                 DRAIN_LEDGER_MAX_REPLICAS, &n_demoted, err) < 0)
        return util_err_prefix(err, "%s-%d", e->topic, (int)e->partition);
    for (i = 0; i < n_demoted; i++) {
        if (!contains(original, n, demoted[i]))
            return util_err_set(err, "%s-%d: demoted: broker %d is not a replica", e->topic,
                                (int)e->partition, (int)demoted[i]);
        if (!drain_ledger_is_demoted(e, demoted[i])) {
            int32_t k = e->n_demoted;
            while (k > 0 && e->demoted[k - 1] > demoted[i]) {
                e->demoted[k] = e->demoted[k - 1];
                k--;
            }
            e->demoted[k] = demoted[i];
            e->n_demoted++;
        }
    }
    if (wrote != NULL) {
        int32_t k = 0;
        if (!cJSON_IsArray(wrote))
            return util_err_set(err, "%s-%d: wrote: not an array", e->topic, (int)e->partition);
        cJSON_ArrayForEach(it, wrote)
        {
            int32_t order[DRAIN_LEDGER_MAX_REPLICAS];
            if (k++ == DRAIN_LEDGER_MAX_WROTE)
                return util_err_set(err, "%s-%d: wrote: more than %d orders", e->topic,
                                    (int)e->partition, DRAIN_LEDGER_MAX_WROTE);
            if (read_order(it, "wrote", e, order, err) < 0)
                return util_err_prefix(err, "%s-%d", e->topic, (int)e->partition);
            if (remember(e, order) < 0)
                return util_err_set(err, "out of memory");
        }
    }
    return 0;
}

int drain_ledger_parse(const char *json, size_t len, drain_ledger **out, util_err *err)
{
    drain_ledger *l;
    cJSON *root;
    const cJSON *ver, *parts, *it;
    int32_t i = 0;

    *out = NULL;
    l = drain_ledger_new();
    if (l == NULL)
        return util_err_set(err, "drain ledger: out of memory");
    if (len == 0) {
        *out = l;
        return 0;
    }
    root = cJSON_ParseWithLengthOpts(json, len, NULL, 0);
    if (root == NULL) {
        drain_ledger_free(l);
        return util_err_set(err, "drain ledger: not valid JSON");
    }
    ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    parts = cJSON_GetObjectItemCaseSensitive(root, "partitions");
    if (!cJSON_IsObject(root)) {
        util_err_set(err, "drain ledger: not a JSON object");
        goto fail;
    }
    if (!cJSON_IsNumber(ver) || cJSON_GetNumberValue(ver) != DRAIN_LEDGER_VERSION) {
        util_err_set(err, "drain ledger: version: want %d", DRAIN_LEDGER_VERSION);
        goto fail;
    }
    if (!cJSON_IsArray(parts)) {
        util_err_set(err, "drain ledger: partitions: not an array");
        goto fail;
    }
    cJSON_ArrayForEach(it, parts)
    {
        if (parse_entry(it, l, err) < 0) {
            util_err_prefix(err, "drain ledger: partitions[%d]", (int)i);
            goto fail;
        }
        i++;
    }
    cJSON_Delete(root);
    *out = l;
    return 0;
fail:
    cJSON_Delete(root);
    drain_ledger_free(l);
    return -1;
}

static cJSON *ids_json(const int32_t *ids, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    int32_t i;

    for (i = 0; a != NULL && i < n; i++) {
        cJSON *v = cJSON_CreateNumber(ids[i]);
        if (v == NULL || !cJSON_AddItemToArray(a, v)) {
            cJSON_Delete(v);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static int add(cJSON *obj, const char *key, cJSON *v)
{
    if (v == NULL)
        return -1;
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return -1;
    }
    return 0;
}

static cJSON *entry_json(const drain_ledger_entry *e)
{
    cJSON *o = cJSON_CreateObject(), *wrote;
    int32_t i;

    if (o == NULL || add(o, "topic", cJSON_CreateString(e->topic)) < 0 ||
        add(o, "partition", cJSON_CreateNumber(e->partition)) < 0 ||
        add(o, "original", ids_json(e->original, e->n)) < 0 ||
        add(o, "demoted", ids_json(e->demoted, e->n_demoted)) < 0 ||
        add(o, "written", ids_json(e->written, e->n)) < 0 ||
        add(o, "wrote", wrote = cJSON_CreateArray()) < 0)
        goto fail;
    for (i = 0; i < e->n_wrote; i++) {
        cJSON *a = ids_json(e->wrote + (size_t)i * e->n, e->n);
        if (a == NULL || !cJSON_AddItemToArray(wrote, a)) {
            cJSON_Delete(a);
            goto fail;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

int drain_ledger_format(const drain_ledger *l, char **out, util_err *err)
{
    cJSON *root = cJSON_CreateObject(), *parts;
    int32_t i;

    *out = NULL;
    if (root == NULL || add(root, "version", cJSON_CreateNumber(DRAIN_LEDGER_VERSION)) < 0 ||
        add(root, "partitions", parts = cJSON_CreateArray()) < 0)
        goto fail;
    for (i = 0; i < l->n; i++) {
        cJSON *e = entry_json(&l->entries[i]);
        if (e == NULL || !cJSON_AddItemToArray(parts, e)) {
            cJSON_Delete(e);
            goto fail;
        }
    }
    *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (*out == NULL)
        return util_err_set(err, "drain ledger: out of memory");
    return 0;
fail:
    cJSON_Delete(root);
    return util_err_set(err, "drain ledger: out of memory");
}
