/* The cache's insides, shared by cache.c (the store: lifecycle, writes,
 * reads) and cache_entry.c (one object's entry: its packed text and its
 * links into the indexes). Internal to lib/kube. */
#ifndef BERTH_KUBE_CACHE_INT_H
#define BERTH_KUBE_CACHE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/cache.h"
#include "kube/htab.h"
#include "util/err.h"

struct entry;
struct bucket;

typedef struct ilink {
    struct ilink *prev, *next;
    struct entry *e;
    struct bucket *b;
} ilink;

typedef struct bucket {
    kube_hnode node; /* first: a bucket is its node */
    ilink head;      /* sentinel of a circular list */
    size_t n;
    char name[];
} bucket;

/* One object, in one allocation: the struct, then its links, then its
 * key, uid and resourceVersion (each NUL-ended), then its packed text
 * (cache_entry.c). */
typedef struct entry {
    kube_hnode node;  /* first: an entry is its node; its key is in the block */
    const char *text; /* compact JSON packed against the cache's dictionary */
    size_t text_len;  /* bytes packed */
    const char *uid;  /* "" if none */
    const char *rv;   /* "" if none */
    ilink *links;     /* nlinks of them, NULL if none */
    char **names;     /* index names until linked: nlabels "k=v", then the owner uid */
    unsigned gen;     /* kube_cache_replace's mark */
    unsigned nlinks;
    unsigned nlabels;
} entry;

struct kube_cache {
    pthread_rwlock_t lock;
    kube_htab objs, labels, owners;
    bool keep_managed_fields;
    bool no_owner_index;
    void (*trim)(cJSON *obj);
    char **index_keys; /* NULL: all */
    size_t n_index_keys;
    unsigned gen;
    size_t bytes;
    char *dict; /* the first object's text, NULL before; see the top */
    size_t dict_len;
};

/* Frees e and what it owns (not its buckets). NULL is a no-op. */
void kube_cache_entry_free(entry *e);

/* Drops from obj what the cache does not keep: managedFields (unless
 * kept) and what the owner's trim removes. */
void kube_cache_strip(const kube_cache *c, cJSON *obj);

/* A new entry for obj (stripped first, then packed; the first text becomes
 * the dictionary), not yet in any table; NULL with err set. Writer only. */
entry *kube_cache_entry_new(kube_cache *c, cJSON *obj, util_err *err);

/* Puts e into the object table and its buckets, under the write lock; its
 * index names are consumed. 0, or -1 out of memory (nothing linked). */
int kube_cache_entry_link(kube_cache *c, entry *e);

/* Takes e out of the object table and its buckets, under the write lock. */
void kube_cache_entry_unlink(kube_cache *c, entry *e);

/* e's object, new; NULL out of memory. Under the read lock, or by the
 * writer. */
cJSON *kube_cache_entry_parse(const kube_cache *c, const entry *e);

#endif
