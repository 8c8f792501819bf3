/* min.insync.replicas per topic as a drain takes it; see min_isr.h. */
#include "drain/min_isr.h"

#include <stdlib.h>
#include <string.h>

#include "kafka/proto.h"

int32_t drain_min_isr_of(const drain_topic_min_isr *list, int32_t n, const char *topic)
{
    int32_t i;

    for (i = 0; i < n; i++)
        if (list[i].topic != NULL && strcmp(list[i].topic, topic) == 0)
            return list[i].min_isr;
    return 1;
}

int32_t drain_min_isr_answer(const kafka_describe_configs_response *const *answers, int n_answers,
                             const char *topic)
{
    for (int i = 0; i < n_answers; i++) {
        const kafka_config_result *r =
            answers[i] != NULL
                ? kafka_describe_configs_result(answers[i], KAFKA_RESOURCE_TOPIC, topic)
                : NULL;
        const kafka_config_entry *e;
        int32_t v;

        if (r == NULL)
            continue;
        e = r->error_code == 0 ? kafka_config_result_find(r, DRAIN_MIN_ISR_KEY) : NULL;
        v = e != NULL && e->value != NULL ? (int32_t)atoi(e->value) : 0;
        return v < 1 ? 0 : v;
    }
    return 0;
}

int drain_min_isr_list(const kafka_metadata *md,
                       const kafka_describe_configs_response *const *answers, int n_answers,
                       drain_topic_min_isr **out, int32_t *n_out, util_err *err)
{
    drain_topic_min_isr *list = calloc((size_t)md->n_topics + 1, sizeof *list);
    int32_t n = 0;

    *out = NULL;
    *n_out = 0;
    if (list == NULL)
        return util_err_set(err, "%s of the topics: out of memory", DRAIN_MIN_ISR_KEY);
    for (int32_t t = 0; t < md->n_topics; t++) {
        const kafka_metadata_topic *tp = &md->topics[t];

        if (tp->name == NULL || tp->error_code != 0)
            continue;
        list[n].topic = tp->name;
        list[n].min_isr = drain_min_isr_answer(answers, n_answers, tp->name);
        list[n].min_isr = list[n].min_isr > 0 ? list[n].min_isr : 1;
        n++;
    }
    *out = list;
    *n_out = n;
    return 0;
}
