/* One object's entry in the informer's store (see cache.c and
 * cache_int.h): its text, packed against the cache's dictionary, and its
 * links into the label and owner indexes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache_int.h"
#include "kube/object.h"
#include "util/lz.h"
#include "util/str.h"

/* Index names (nnames of them) as kube_cache_entry_new collects them. */
static void names_free(char **names, unsigned nnames)
{
    if (names == NULL)
        return;
    for (unsigned i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
}

void kube_cache_entry_free(entry *e)
{
    if (e == NULL)
        return;
    names_free(e->names, e->nlinks);
    free(e);
}

static size_t entry_bytes(const entry *e)
{
    return sizeof *e + e->nlinks * sizeof(ilink) + strlen(e->node.key) + strlen(e->uid) +
           strlen(e->rv) + 3 + e->text_len;
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

/* obj's compact text packed against the dictionary, new in *out; the
 * first text becomes the dictionary. 0, or -1 out of memory. Writer
 * only. */
static int pack(kube_cache *c, const cJSON *obj, char **out, size_t *out_len)
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
        return util_lz_pack(c->dict, c->dict_len, c->dict, len, out, out_len);
    }
    rc = util_lz_pack(c->dict, c->dict_len, text, len, out, out_len);
    free(text);
    return rc;
}

/* obj's index names: "k=v" of each indexed label, then its controller's
 * uid unless the cache keeps no owner index; new in *out (a NULL-ended
 * array), their count in *n and of labels in *nlabels. 0, or -1 out of
 * memory. */
static int index_names(const kube_cache *c, const cJSON *obj, char ***out, unsigned *n,
                       unsigned *nlabels)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels"),
                *l;
    const char *owner = c->no_owner_index ? NULL : kube_meta_controller_uid(obj);
    size_t max = 0;
    char **names;

    *n = *nlabels = 0;
    cJSON_ArrayForEach(l, labels) max++;
    if ((names = calloc(max + 2, sizeof *names)) == NULL)
        return -1;
    *out = names;
    cJSON_ArrayForEach(l, labels)
    {
        if (!cJSON_IsString(l) || l->string == NULL || !label_indexed(c, l->string))
            continue;
        if ((names[*n] = util_printf("%s=%s", l->string, l->valuestring)) == NULL)
            return -1;
        ++*n;
    }
    *nlabels = *n;
    if (owner != NULL) {
        if ((names[*n] = util_strdup(owner)) == NULL)
            return -1;
        ++*n;
    }
    return 0;
}

/* The entry is one allocation: the struct, its links, its key, uid and
 * resourceVersion, and its packed text; only the index names it is built
 * with are apart (kube_cache_entry_link consumes them). */
entry *kube_cache_entry_new(kube_cache *c, cJSON *obj, util_err *err)
{
    char key[KUBE_KEY_MAX], *text = NULL, **names = NULL, *p;
    const char *uid, *rv;
    size_t klen, ulen, rlen, text_len = 0;
    unsigned n = 0, nlabels = 0;
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
    if (pack(c, obj, &text, &text_len) != 0 || index_names(c, obj, &names, &n, &nlabels) != 0 ||
        (e = calloc(1, sizeof *e + n * sizeof(ilink) + klen + ulen + rlen + 3 + text_len)) ==
            NULL) {
        free(text);
        names_free(names, n);
        util_err_set(err, "cache: %s: out of memory", key);
        return NULL;
    }
    e->names = names;
    e->nlinks = n;
    e->nlabels = nlabels;
    e->links = n > 0 ? (ilink *)(e + 1) : NULL;
    p = (char *)(e + 1) + n * sizeof(ilink);
    e->node.key = memcpy(p, key, klen + 1);
    e->uid = memcpy(p += klen + 1, uid, ulen + 1);
    e->rv = memcpy(p += ulen + 1, rv, rlen + 1);
    e->text = memcpy(p + rlen + 1, text, text_len);
    e->text_len = text_len;
    free(text);
    return e;
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
    names_free(e->names, e->nlinks);
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
