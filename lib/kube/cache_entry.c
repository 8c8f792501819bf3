/* One object's entry in the informer's store (see cache.c and
 * cache_int.h): its text, packed against the cache's dictionary, and its
 * links into the label and owner indexes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache_int.h"
#include "kube/object.h"
#include "util/lz.h"

void kube_cache_entry_free(entry *e)
{
    unsigned i;

    if (e == NULL)
        return;
    if (e->names != NULL)
        for (i = 0; i < e->nlinks; i++)
            free(e->names[i]);
    free(e->names);
    free(e->links);
    free(e->text);
    free(e);
}

static size_t entry_bytes(const entry *e)
{
    return sizeof *e + strlen(e->node.key) + strlen(e->uid) + strlen(e->rv) + 3 + e->text_len +
           e->nlinks * sizeof(ilink);
}

static bool label_indexed(const kube_cache *c, const char *key)
{
    size_t i;

    if (c->index_keys == NULL)
        return true;
    for (i = 0; i < c->n_index_keys; i++)
        if (strcmp(c->index_keys[i], key) == 0)
            return true;
    return false;
}

void kube_cache_strip(const kube_cache *c, cJSON *obj)
{
    if (!c->keep_managed_fields)
        cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                                "managedFields");
    if (c->trim != NULL)
        c->trim(obj);
}

/* obj's compact text packed against the dictionary into e; the first text
 * becomes the dictionary. 0, or -1 out of memory. Writer only. */
static int pack(kube_cache *c, const cJSON *obj, entry *e)
{
    char *text = cJSON_PrintUnformatted(obj);
    size_t len;
    int rc;

    if (text == NULL)
        return -1;
    len = strlen(text);
    if (c->dict == NULL) {
        pthread_rwlock_wrlock(&c->lock);
        c->dict = text;
        c->dict_len = len;
        pthread_rwlock_unlock(&c->lock);
        return util_lz_pack(c->dict, c->dict_len, c->dict, len, &e->text, &e->text_len);
    }
    rc = util_lz_pack(c->dict, c->dict_len, text, len, &e->text, &e->text_len);
    free(text);
    return rc;
}

entry *kube_cache_entry_new(kube_cache *c, cJSON *obj, util_err *err)
{
    char key[KUBE_KEY_MAX];
    const char *uid, *rv, *owner;
    const cJSON *labels, *l;
    size_t klen, ulen, rlen, n = 0;
    entry *e;

    if (!cJSON_IsObject(obj) || kube_obj_key(obj, key, sizeof key) != 0) {
        util_err_set(err, "cache: object without metadata.name (or with one too long)");
        return NULL;
    }
    kube_cache_strip(c, obj);
    uid = kube_meta_uid(obj);
    rv = kube_meta_resource_version(obj);
    uid = uid != NULL ? uid : "";
    rv = rv != NULL ? rv : "";
    klen = strlen(key);
    ulen = strlen(uid);
    rlen = strlen(rv);
    e = calloc(1, sizeof *e + klen + ulen + rlen + 3);
    if (e == NULL)
        goto oom;
    memcpy(e->strs, key, klen + 1);
    memcpy(e->strs + klen + 1, uid, ulen + 1);
    memcpy(e->strs + klen + ulen + 2, rv, rlen + 1);
    e->node.key = e->strs;
    e->uid = e->strs + klen + 1;
    e->rv = e->strs + klen + ulen + 2;
    if (pack(c, obj, e) != 0)
        goto oom;

    labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                              "labels");
    owner = c->no_owner_index ? NULL : kube_meta_controller_uid(obj);
    cJSON_ArrayForEach(l, labels) n++;
    e->names = calloc(n + 1, sizeof *e->names);
    if (e->names == NULL)
        goto oom;
    cJSON_ArrayForEach(l, labels)
    {
        size_t len;

        if (!cJSON_IsString(l) || l->string == NULL || !label_indexed(c, l->string))
            continue;
        len = strlen(l->string) + strlen(l->valuestring) + 2;
        e->names[e->nlinks] = malloc(len);
        if (e->names[e->nlinks] == NULL)
            goto oom;
        memcpy(e->names[e->nlinks], l->string, strlen(l->string));
        e->names[e->nlinks][strlen(l->string)] = '=';
        memcpy(e->names[e->nlinks] + strlen(l->string) + 1, l->valuestring,
               strlen(l->valuestring) + 1);
        e->nlinks++;
    }
    e->nlabels = e->nlinks;
    if (owner != NULL) {
        e->names[e->nlinks] = strdup(owner);
        if (e->names[e->nlinks] == NULL)
            goto oom;
        e->nlinks++;
    }
    if (e->nlinks > 0) {
        e->links = calloc(e->nlinks, sizeof *e->links);
        if (e->links == NULL)
            goto oom;
    }
    return e;
oom:
    kube_cache_entry_free(e);
    util_err_set(err, "cache: %s: out of memory", key);
    return NULL;
}

static void bucket_free(kube_cache *c, kube_htab *t, bucket *b)
{
    kube_htab_remove(t, &b->node);
    c->bytes -= sizeof *b + strlen(b->name) + 1;
    free(b);
}

/* Takes e out of the buckets of its first n links, freeing buckets left
 * empty. */
static void unlink_buckets(kube_cache *c, entry *e, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        ilink *l = &e->links[i];
        bucket *b = l->b;

        l->prev->next = l->next;
        l->next->prev = l->prev;
        if (--b->n == 0)
            bucket_free(c, i < e->nlabels ? &c->labels : &c->owners, b);
    }
}

int kube_cache_entry_link(kube_cache *c, entry *e)
{
    unsigned i;

    for (i = 0; i < e->nlinks; i++) {
        kube_htab *t = i < e->nlabels ? &c->labels : &c->owners;
        bucket *b = (bucket *)kube_htab_find(t, e->names[i]);
        ilink *l = &e->links[i];

        if (b == NULL) {
            size_t len = strlen(e->names[i]);

            b = calloc(1, sizeof *b + len + 1);
            if (b == NULL)
                goto fail;
            memcpy(b->name, e->names[i], len + 1);
            b->node.key = b->name;
            b->head.prev = b->head.next = &b->head;
            if (kube_htab_insert(t, &b->node) != 0) {
                free(b);
                goto fail;
            }
            c->bytes += sizeof *b + len + 1;
        }
        l->e = e;
        l->b = b;
        l->prev = b->head.prev;
        l->next = &b->head;
        b->head.prev->next = l;
        b->head.prev = l;
        b->n++;
    }
    if (kube_htab_insert(&c->objs, &e->node) != 0)
        goto fail;
    for (i = 0; i < e->nlinks; i++)
        free(e->names[i]);
    free(e->names);
    e->names = NULL;
    c->bytes += entry_bytes(e);
    return 0;
fail:
    unlink_buckets(c, e, i); /* undo the links made so far */
    return -1;
}

void kube_cache_entry_unlink(kube_cache *c, entry *e)
{
    unlink_buckets(c, e, e->nlinks);
    kube_htab_remove(&c->objs, &e->node);
    c->bytes -= entry_bytes(e);
}

cJSON *kube_cache_entry_parse(const kube_cache *c, const entry *e)
{
    size_t n;
    char *text = util_lz_unpack(c->dict, c->dict_len, e->text, e->text_len, &n);
    cJSON *o;

    if (text == NULL)
        return NULL;
    o = cJSON_ParseWithLength(text, n);
    free(text);
    return o;
}
