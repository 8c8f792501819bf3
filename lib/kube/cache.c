/* The informer's store and its indexes; see cache.h.
 *
 * Three chained hash tables (htab.h) share one node type: objects by key, label
 * buckets by "key=value", owner buckets by controller uid. An object sits in
 * each of its buckets through an intrusive doubly linked list node (one per
 * indexed label, one for its controller), so taking it out of every index is
 * O(its labels), however many objects share a label: thousands of Pods carry
 * the same app label. A bucket is freed with its last member.
 *
 * Text: each object is packed (util/lz.h) against the cache's dictionary,
 * the text of the first object it stored: objects of one kind differ in
 * little but names, uids and versions, so each keeps about its differences
 * (a tenth of its text or less). The dictionary is kept for the cache's
 * life, also after that object goes.
 *
 * Locking: one rwlock. Writers build the new entry (serialise, pack, index
 * keys) before taking it and call the change function after releasing it;
 * readers unpack and parse under the read lock, so the bytes they read
 * cannot be freed under them. There is one writer: it reads the dictionary
 * without the lock, and sets it (once) under it. */
#include "kube/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache_int.h"
#include "kube/object.h"

/* ---- lifecycle ---- */

int kube_cache_new(const kube_cache_opts *opts, kube_cache **out, util_err *err)
{
    kube_cache *c = calloc(1, sizeof *c);
    size_t i;

    *out = NULL;
    if (c == NULL)
        return util_err_set(err, "cache: out of memory");
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        return util_err_set(err, "cache: pthread_rwlock_init failed");
    }
    if (opts != NULL) {
        c->keep_managed_fields = opts->keep_managed_fields;
        c->no_owner_index = opts->no_owner_index;
        c->trim = opts->trim;
        if (opts->index_label_keys != NULL) {
            while (opts->index_label_keys[c->n_index_keys] != NULL)
                c->n_index_keys++;
            c->index_keys = calloc(c->n_index_keys + 1, sizeof *c->index_keys);
            if (c->index_keys == NULL) {
                kube_cache_free(c);
                return util_err_set(err, "cache: out of memory");
            }
            for (i = 0; i < c->n_index_keys; i++)
                if ((c->index_keys[i] = strdup(opts->index_label_keys[i])) == NULL) {
                    kube_cache_free(c);
                    return util_err_set(err, "cache: out of memory");
                }
        }
    }
    *out = c;
    return 0;
}

void kube_cache_free(kube_cache *c)
{
    bool ok;
    kube_hnode **all;
    size_t i, n;

    if (c == NULL)
        return;
    n = c->objs.n;
    all = kube_htab_all(&c->objs, &ok);
    for (i = 0; all != NULL && i < n; i++) {
        kube_cache_entry_unlink(c, (entry *)all[i]);
        kube_cache_entry_free((entry *)all[i]);
    }
    free(all);
    free(c->objs.slots);
    free(c->labels.slots);
    free(c->owners.slots);
    if (c->index_keys != NULL)
        for (i = 0; i < c->n_index_keys; i++)
            free(c->index_keys[i]);
    free(c->index_keys);
    free(c->dict);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* ---- writes ---- */

/* Stores obj. On return *old is the entry it replaced (unlinked, for the
 * caller to report and free), and the result says what happened. */
enum put_result { PUT_ADDED, PUT_UPDATED, PUT_REPLACED_UID, PUT_UNCHANGED };

/* Whether the cache holds obj's key at obj's uid and resourceVersion
 * (marked as seen in this generation then): nothing to store. */
static bool unchanged(kube_cache *c, const cJSON *obj)
{
    char key[KUBE_KEY_MAX];
    const char *uid = kube_meta_uid(obj), *rv = kube_meta_resource_version(obj);
    entry *cur;
    bool same = false;

    if (kube_obj_key(obj, key, sizeof key) != 0)
        return false;
    pthread_rwlock_wrlock(&c->lock);
    cur = (entry *)kube_htab_find(&c->objs, key);
    if (cur != NULL && strcmp(cur->uid, uid != NULL ? uid : "") == 0 &&
        strcmp(cur->rv, rv != NULL ? rv : "") == 0) {
        cur->gen = c->gen;
        same = true;
    }
    pthread_rwlock_unlock(&c->lock);
    return same;
}

static int put(kube_cache *c, cJSON *obj, enum put_result *res, entry **old, util_err *err)
{
    entry *e, *cur;

    *old = NULL;
    /* A relist hands back every object: most are as held, and packing
     * them again would be work for nothing. */
    if (unchanged(c, obj)) {
        *res = PUT_UNCHANGED;
        return 0;
    }
    if ((e = kube_cache_entry_new(c, obj, err)) == NULL)
        return -1;
    /* The one writer is this thread: what unchanged() found still holds. */
    pthread_rwlock_wrlock(&c->lock);
    cur = (entry *)kube_htab_find(&c->objs, e->node.key);
    if (cur != NULL)
        kube_cache_entry_unlink(c, cur);
    e->gen = c->gen;
    if (kube_cache_entry_link(c, e) != 0) {
        /* The key is lost until the next relist, which the caller's error
         * brings about. */
        pthread_rwlock_unlock(&c->lock);
        util_err_set(err, "cache: %s: out of memory", e->node.key);
        kube_cache_entry_free(e);
        kube_cache_entry_free(cur);
        return -1;
    }
    pthread_rwlock_unlock(&c->lock);
    *old = cur;
    if (cur == NULL)
        *res = PUT_ADDED;
    else
        *res = strcmp(cur->uid, e->uid) == 0 ? PUT_UPDATED : PUT_REPLACED_UID;
    return 0;
}

/* Reports a put and frees the entry it replaced. */
static void report_put(const kube_cache *c, enum put_result res, entry *old, const cJSON *obj,
                       kube_cache_fn fn, void *ctx)
{
    cJSON *prev = NULL;

    if (fn != NULL && old != NULL)
        prev = kube_cache_entry_parse(c, old);
    if (fn != NULL) {
        switch (res) {
        case PUT_ADDED:
            fn(KUBE_CACHE_ADDED, NULL, obj, ctx);
            break;
        case PUT_UPDATED:
            fn(KUBE_CACHE_UPDATED, prev, obj, ctx);
            break;
        case PUT_REPLACED_UID:
            /* Same name, another object: the old one is gone. */
            fn(KUBE_CACHE_DELETED, NULL, prev, ctx);
            fn(KUBE_CACHE_ADDED, NULL, obj, ctx);
            break;
        case PUT_UNCHANGED:
            break;
        }
    }
    cJSON_Delete(prev);
    kube_cache_entry_free(old);
}

int kube_cache_apply(kube_cache *c, kube_watch_event_type type, cJSON *obj, kube_cache_fn fn,
                     void *ctx, util_err *err)
{
    char key[KUBE_KEY_MAX];
    enum put_result res;
    entry *old;

    switch (type) {
    case KUBE_WATCH_ADDED:
    case KUBE_WATCH_MODIFIED:
        if (put(c, obj, &res, &old, err) != 0)
            return -1;
        report_put(c, res, old, obj, fn, ctx);
        return 0;
    case KUBE_WATCH_DELETED:
        if (kube_obj_key(obj, key, sizeof key) != 0)
            return util_err_set(err, "cache: DELETED object without metadata.name");
        kube_cache_strip(c, obj);
        pthread_rwlock_wrlock(&c->lock);
        old = (entry *)kube_htab_find(&c->objs, key);
        if (old != NULL)
            kube_cache_entry_unlink(c, old);
        pthread_rwlock_unlock(&c->lock);
        if (old != NULL && fn != NULL)
            fn(KUBE_CACHE_DELETED, NULL, obj, ctx);
        kube_cache_entry_free(old);
        return 0;
    case KUBE_WATCH_BOOKMARK:
    case KUBE_WATCH_ERROR:
        return 0;
    }
    return 0;
}

void kube_cache_replace_begin(kube_cache *c)
{
    pthread_rwlock_wrlock(&c->lock);
    c->gen++;
    pthread_rwlock_unlock(&c->lock);
}

int kube_cache_replace_add(kube_cache *c, cJSON *items, kube_cache_fn fn, void *ctx, util_err *err)
{
    char key[KUBE_KEY_MAX];
    cJSON *it;
    int i = 0;

    if (items != NULL && !cJSON_IsArray(items))
        return util_err_set(err, "cache: list: items is not an array");
    cJSON_ArrayForEach(it, items)
    {
        if (kube_obj_key(it, key, sizeof key) != 0)
            return util_err_set(err, "cache: list: item %d has no metadata.name", i);
        i++;
    }
    cJSON_ArrayForEach(it, items)
    {
        enum put_result res;
        entry *old;

        if (put(c, it, &res, &old, err) != 0)
            return -1;
        report_put(c, res, old, it, fn, ctx);
    }
    return 0;
}

int kube_cache_replace_end(kube_cache *c, kube_cache_fn fn, void *ctx, util_err *err)
{
    kube_hnode **all;
    entry **gone = NULL;
    size_t i, n, ngone = 0;
    bool ok;

    /* Sweep: whatever the list did not mark vanished meanwhile. */
    pthread_rwlock_wrlock(&c->lock);
    n = c->objs.n;
    all = kube_htab_all(&c->objs, &ok);
    if (!ok) {
        pthread_rwlock_unlock(&c->lock);
        return util_err_set(err, "cache: out of memory");
    }
    gone = n > 0 ? malloc(n * sizeof *gone) : NULL;
    if (n > 0 && gone == NULL) {
        pthread_rwlock_unlock(&c->lock);
        free(all);
        return util_err_set(err, "cache: out of memory");
    }
    for (i = 0; i < n; i++) {
        entry *e = (entry *)all[i];

        if (e->gen != c->gen) {
            kube_cache_entry_unlink(c, e);
            gone[ngone++] = e;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    free(all);
    if (ngone > 1)
        qsort(gone, ngone, sizeof *gone, kube_hnode_cmp_key);
    for (i = 0; i < ngone; i++) {
        if (fn != NULL) {
            cJSON *last = kube_cache_entry_parse(c, gone[i]);

            fn(KUBE_CACHE_DELETED, NULL, last, ctx);
            cJSON_Delete(last);
        }
        kube_cache_entry_free(gone[i]);
    }
    free(gone);
    return 0;
}

int kube_cache_replace(kube_cache *c, cJSON *list, kube_cache_fn fn, void *ctx, util_err *err)
{
    kube_cache_replace_begin(c);
    if (kube_cache_replace_add(c, cJSON_GetObjectItemCaseSensitive(list, "items"), fn, ctx, err) !=
        0)
        return -1;
    return kube_cache_replace_end(c, fn, ctx, err);
}

/* ---- reads ---- */

/* Parses the entries of nodes (n of them, sorted here) into a new array.
 * Called under the read lock. */
static cJSON *parse_all(const kube_cache *c, kube_hnode **nodes, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;

    if (arr == NULL)
        return NULL;
    if (n > 1)
        qsort(nodes, n, sizeof *nodes, kube_hnode_cmp_key);
    for (i = 0; i < n; i++) {
        cJSON *o = kube_cache_entry_parse(c, (entry *)nodes[i]);

        if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

cJSON *kube_cache_get(kube_cache *c, const char *key)
{
    entry *e;
    cJSON *o = NULL;

    pthread_rwlock_rdlock(&c->lock);
    e = (entry *)kube_htab_find(&c->objs, key);
    if (e != NULL)
        o = kube_cache_entry_parse(c, e);
    pthread_rwlock_unlock(&c->lock);
    return o;
}

cJSON *kube_cache_list(kube_cache *c)
{
    kube_hnode **all;
    cJSON *arr = NULL;
    bool ok;

    pthread_rwlock_rdlock(&c->lock);
    all = kube_htab_all(&c->objs, &ok);
    if (ok)
        arr = parse_all(c, all, c->objs.n);
    pthread_rwlock_unlock(&c->lock);
    free(all);
    return arr;
}

/* The members of the bucket named name in t, parsed. */
static cJSON *bucket_members(kube_cache *c, kube_htab *t, const char *name)
{
    bucket *b;
    kube_hnode **nodes = NULL;
    cJSON *arr = NULL;
    size_t k = 0;

    pthread_rwlock_rdlock(&c->lock);
    b = (bucket *)kube_htab_find(t, name);
    if (b != NULL && (nodes = malloc(b->n * sizeof *nodes)) == NULL)
        goto out;
    for (ilink *l = b != NULL ? b->head.next : NULL; l != NULL && l != &b->head; l = l->next)
        nodes[k++] = &l->e->node;
    arr = parse_all(c, nodes, k);
out:
    pthread_rwlock_unlock(&c->lock);
    free(nodes);
    return arr;
}

cJSON *kube_cache_by_label(kube_cache *c, const char *key, const char *value)
{
    size_t len = strlen(key) + strlen(value) + 2;
    char *name = malloc(len);
    cJSON *arr;

    if (name == NULL)
        return NULL;
    memcpy(name, key, strlen(key));
    name[strlen(key)] = '=';
    memcpy(name + strlen(key) + 1, value, strlen(value) + 1);
    arr = bucket_members(c, &c->labels, name);
    free(name);
    return arr;
}

cJSON *kube_cache_by_owner(kube_cache *c, const char *uid)
{
    return bucket_members(c, &c->owners, uid);
}

cJSON *kube_cache_keys(kube_cache *c)
{
    kube_hnode **all;
    cJSON *arr = cJSON_CreateArray();
    size_t i, n;
    bool ok;

    if (arr == NULL)
        return NULL;
    pthread_rwlock_rdlock(&c->lock);
    n = c->objs.n;
    all = kube_htab_all(&c->objs, &ok);
    if (!ok) {
        cJSON_Delete(arr);
        arr = NULL;
    }
    if (n > 1 && all != NULL)
        qsort(all, n, sizeof *all, kube_hnode_cmp_key);
    for (i = 0; arr != NULL && i < n; i++) {
        cJSON *s = cJSON_CreateString(all[i]->key);

        if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    free(all);
    return arr;
}

void kube_cache_resync(kube_cache *c, kube_cache_fn fn, void *ctx)
{
    cJSON *keys = kube_cache_keys(c), *k;

    cJSON_ArrayForEach(k, keys)
    {
        cJSON *o = kube_cache_get(c, k->valuestring);

        if (o != NULL)
            fn(KUBE_CACHE_RESYNC, o, o, ctx);
        cJSON_Delete(o);
    }
    cJSON_Delete(keys);
}

size_t kube_cache_len(kube_cache *c)
{
    size_t n;

    pthread_rwlock_rdlock(&c->lock);
    n = c->objs.n;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

size_t kube_cache_bytes(kube_cache *c)
{
    size_t n;

    pthread_rwlock_rdlock(&c->lock);
    n = c->bytes + (c->dict != NULL ? c->dict_len + 1 : 0) +
        (c->objs.nslots + c->labels.nslots + c->owners.nslots) * sizeof(kube_hnode *);
    pthread_rwlock_unlock(&c->lock);
    return n;
}
