/* Partition sets and their batches; see topic_partitions.h. */
#include "kafka/topic_partitions.h"

#include <stdlib.h>
#include <string.h>

void kafka_tp_list_init(kafka_tp_list *l)
{
    memset(l, 0, sizeof *l);
}

void kafka_tp_list_release(kafka_tp_list *l)
{
    int32_t i;

    for (i = 0; i < l->n; i++) {
        /* The list allocated both; they are const only to readers. */
        free((void *)(uintptr_t)l->items[i].topic);
        free((void *)(uintptr_t)l->items[i].partitions);
    }
    free(l->items);
    free(l->room);
    kafka_tp_list_init(l);
}

/* Makes room for one more entry. */
static int grow_items(kafka_tp_list *l)
{
    kafka_topic_partitions *items;
    int32_t *room, cap;

    if (l->n < l->cap)
        return 0;
    if (l->cap > INT32_MAX / 2)
        return -1;
    cap = l->cap ? l->cap * 2 : 8;
    items = realloc(l->items, (size_t)cap * sizeof *items);
    if (items == NULL)
        return -1;
    l->items = items;
    room = realloc(l->room, (size_t)cap * sizeof *room);
    if (room == NULL)
        return -1;
    l->room = room;
    l->cap = cap;
    return 0;
}

int kafka_tp_list_add(kafka_tp_list *l, const char *topic, int32_t partition, util_err *err)
{
    kafka_topic_partitions *e;
    int32_t *parts;

    if (topic == NULL)
        return util_err_set(err, "partition set: topic name missing");
    if (l->n_partitions == INT32_MAX)
        return util_err_set(err, "partition set: more than %ld partitions", (long)INT32_MAX);
    if (l->n == 0 || strcmp(l->items[l->n - 1].topic, topic) != 0) {
        char *name = strdup(topic);
        if (name == NULL || grow_items(l) < 0) {
            free(name);
            return util_err_set(err, "partition set: out of memory");
        }
        e = &l->items[l->n++];
        e->topic = name;
        e->partitions = NULL;
        e->n_partitions = 0;
        l->room[l->n - 1] = 0;
    }
    e = &l->items[l->n - 1];
    parts = (int32_t *)(uintptr_t)e->partitions;
    if (e->n_partitions == l->room[l->n - 1]) {
        int32_t room = l->room[l->n - 1];
        if (room > INT32_MAX / 2)
            return util_err_set(err, "partition set: out of memory");
        room = room ? room * 2 : 4;
        parts = realloc(parts, (size_t)room * sizeof *parts);
        if (parts == NULL)
            return util_err_set(err, "partition set: out of memory");
        e->partitions = parts;
        l->room[l->n - 1] = room;
    }
    parts[e->n_partitions++] = partition;
    l->n_partitions++;
    return 0;
}

int32_t kafka_tp_batch_next(const kafka_topic_partitions *all, int32_t n_all,
                            int32_t max_partitions, kafka_tp_cursor *cur,
                            kafka_topic_partitions *out)
{
    int32_t n_out = 0, left = max_partitions;

    if (max_partitions <= 0)
        return 0;
    while (left > 0 && cur->topic < n_all) {
        const kafka_topic_partitions *t = &all[cur->topic];
        int32_t rest = t->n_partitions - cur->offset, take;

        if (rest <= 0) {
            cur->topic++;
            cur->offset = 0;
            continue;
        }
        take = rest < left ? rest : left;
        out[n_out].topic = t->topic;
        out[n_out].partitions = t->partitions + cur->offset;
        out[n_out].n_partitions = take;
        n_out++;
        left -= take;
        cur->offset += take;
        if (cur->offset == t->n_partitions) {
            cur->topic++;
            cur->offset = 0;
        }
    }
    return n_out;
}
