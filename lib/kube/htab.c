/* A chained hash table of intrusive nodes keyed by string; see htab.h. */
#include "kube/htab.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

kube_hnode *kube_htab_find(const kube_htab *t, const char *key)
{
    uint32_t h;
    kube_hnode *n;

    if (t->nslots == 0)
        return NULL;
    h = hash_str(key);
    for (n = t->slots[h & (t->nslots - 1)]; n != NULL; n = n->next)
        if (n->hash == h && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

static int ht_grow(kube_htab *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 64, i;
    kube_hnode **slots = calloc(ns, sizeof *slots);

    if (slots == NULL)
        return -1;
    for (i = 0; i < t->nslots; i++) {
        kube_hnode *n = t->slots[i], *next;

        for (; n != NULL; n = next) {
            next = n->next;
            n->next = slots[n->hash & (ns - 1)];
            slots[n->hash & (ns - 1)] = n;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

int kube_htab_insert(kube_htab *t, kube_hnode *n)
{
    if (t->n >= t->nslots && ht_grow(t) != 0 && t->nslots == 0)
        return -1;
    /* Slots are found by masking the hash: their count is a power of two. */
    assert(t->nslots > 0 && (t->nslots & (t->nslots - 1)) == 0);
    n->hash = hash_str(n->key);
    n->next = t->slots[n->hash & (t->nslots - 1)];
    t->slots[n->hash & (t->nslots - 1)] = n;
    t->n++;
    return 0;
}

void kube_htab_remove(kube_htab *t, kube_hnode *n)
{
    kube_hnode **p;

    assert(t->n > 0 && t->nslots > 0);
    p = &t->slots[n->hash & (t->nslots - 1)];
    while (*p != n)
        p = &(*p)->next;
    *p = n->next;
    t->n--;
}

kube_hnode **kube_htab_all(const kube_htab *t, bool *ok)
{
    kube_hnode **all;
    size_t i, k = 0;

    *ok = true;
    if (t->n == 0)
        return NULL;
    all = malloc(t->n * sizeof *all);
    if (all == NULL) {
        *ok = false;
        return NULL;
    }
    for (i = 0; i < t->nslots; i++)
        for (kube_hnode *n = t->slots[i]; n != NULL; n = n->next)
            all[k++] = n;
    return all;
}

int kube_hnode_cmp_key(const void *a, const void *b)
{
    return strcmp((*(kube_hnode *const *)a)->key, (*(kube_hnode *const *)b)->key);
}
