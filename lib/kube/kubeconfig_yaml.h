/* The YAML layer under kubeconfig loading (kubeconfig.c): a kubeconfig file
 * parsed into a libyaml document tree with its shape checked, the lookup of
 * a named cluster, user or context across several files (the first file
 * defining a name wins), and typed reads of mapping fields. Messages name
 * the key at fault; callers prefix the file and entry. Internal to
 * lib/kube. */
#ifndef BERTH_KUBE_KUBECONFIG_YAML_H
#define BERTH_KUBE_KUBECONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "util/err.h"

/* One parsed kubeconfig file. */
typedef struct kube_kc_file {
    const char *name; /* for messages; borrowed from the caller */
    char *dir;        /* relative paths resolve here; NULL: they are an error */
    bool loaded;      /* doc holds a document to delete */
    yaml_document_t doc;
    yaml_node_t *root; /* a mapping inside doc */
} kube_kc_file;

/* Parses len bytes of YAML into f (whose name and dir the caller set) and
 * checks that clusters, users and contexts are lists of named mappings and
 * current-context a string. Documents nested deeper than 64 levels are
 * refused before libyaml builds them. */
int kube_kc_parse(kube_kc_file *f, const void *data, size_t len, util_err *err) UTIL_MUST_CHECK;

/* Frees what f holds and zeroes it. */
void kube_kc_clear(kube_kc_file *f);

/* Finds the entry of `list` (e.g. "clusters") called name in the first of
 * the n files defining it; sets *file and *node (the entry's `inner`
 * mapping, e.g. "cluster", NULL if it has none). False when none does. */
bool kube_kc_lookup(kube_kc_file *files, size_t n, const char *list, const char *inner,
                    const char *name, kube_kc_file **file, yaml_node_t **node);

/* The value under key in map (the first, if repeated), or NULL when absent,
 * null, or map is not a mapping. Borrowed from d. */
yaml_node_t *kube_kc_get(yaml_document_t *d, yaml_node_t *map, const char *key);

/* A string field: *out is a new string, or NULL when absent or empty (an
 * empty string means unset to kubectl as well). */
int kube_kc_str(yaml_document_t *d, yaml_node_t *map, const char *key, char **out,
                util_err *err) UTIL_MUST_CHECK;

/* A boolean field: false when absent. */
int kube_kc_bool(yaml_document_t *d, yaml_node_t *map, const char *key, bool *out,
                 util_err *err) UTIL_MUST_CHECK;

/* A list of strings under key: *out new and NULL-terminated (free with
 * kube_kc_list_free, also on failure), *n its length. */
int kube_kc_str_list(yaml_document_t *d, yaml_node_t *map, const char *key, char ***out, size_t *n,
                     util_err *err) UTIL_MUST_CHECK;

/* The exec stanza's env, a list of {name, value}, as "NAME=value" strings;
 * like kube_kc_str_list. */
int kube_kc_env_list(yaml_document_t *d, yaml_node_t *map, char ***out, size_t *n,
                     util_err *err) UTIL_MUST_CHECK;

/* Frees a list from kube_kc_str_list or kube_kc_env_list; NULL is a no-op. */
void kube_kc_list_free(char **l);

#endif
