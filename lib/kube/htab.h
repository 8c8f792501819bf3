/* A chained hash table of intrusive nodes keyed by string (FNV-1a), for
 * the informer's store (cache.c) and the work queue (workqueue.c): the
 * caller embeds a kube_hnode as the first member of its own struct, sets
 * its key, and owns both the struct and the key, which must outlive the
 * node's time in the table. The table owns only its slot array. Not
 * thread-safe: the caller locks. */
#ifndef BERTH_KUBE_HTAB_H
#define BERTH_KUBE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct kube_hnode {
    struct kube_hnode *next;
    uint32_t hash;
    const char *key;
} kube_hnode;

/* Zero-initialised is an empty table; free(t->slots) disposes of it. */
typedef struct kube_htab {
    kube_hnode **slots;
    size_t nslots, n;
} kube_htab;

/* The node whose key is key, or NULL. */
kube_hnode *kube_htab_find(const kube_htab *t, const char *key);

/* Adds n, whose key is not in t yet. Returns 0, or -1 out of memory while
 * t has no slots at all; a failed grow otherwise leaves t denser. */
int kube_htab_insert(kube_htab *t, kube_hnode *n) UTIL_MUST_CHECK;

/* Takes n, which is in t, out of t. */
void kube_htab_remove(kube_htab *t, kube_hnode *n);

/* Every node of t, in a new array of t->n pointers for free() (NULL if t
 * is empty or memory ran out; *ok says which). */
kube_hnode **kube_htab_all(const kube_htab *t, bool *ok);

/* A qsort comparator ordering kube_hnode pointers by key. */
int kube_hnode_cmp_key(const void *a, const void *b);

#endif
