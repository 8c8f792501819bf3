/* The YAML layer of kubeconfig loading (kubeconfig.c): one file parsed
 * with libyaml's document API and kept as a tree, its shape checked up
 * front (so a broken file fails even where its broken part is unused, as it
 * does for kubectl), and typed access to its mappings with YAML's and
 * kubectl's notions of null, strings and booleans. Messages name the key;
 * the caller names the file and entry. */
#include "kube/kubeconfig_yaml.h"
#include "util/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);

    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

/* YAML's null, which kubectl treats as the field being absent. */
static bool is_null(const yaml_node_t *n)
{
    return n == NULL ||
           (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (n->data.scalar.length == 0 || scalar_is(n, "~") || scalar_is(n, "null") ||
             scalar_is(n, "Null") || scalar_is(n, "NULL")));
}

/* The value under `key` in a mapping (the first, if repeated), or NULL if
 * absent, null or if map is not a mapping. */
yaml_node_t *kube_kc_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);

        if (k != NULL && scalar_is(k, key)) {
            yaml_node_t *v = yaml_document_get_node(d, p->value);
            return is_null(v) ? NULL : v;
        }
    }
    return NULL;
}

/* A string field: *out is a new string, or NULL when absent or empty (an
 * empty string means unset to kubectl as well). */
int kube_kc_str(yaml_document_t *d, yaml_node_t *map, const char *key, char **out, util_err *err)
{
    yaml_node_t *n = kube_kc_get(d, map, key);

    *out = NULL;
    if (n == NULL)
        return 0;
    if (n->type != YAML_SCALAR_NODE)
        return util_err_set(err, "%s: not a string", key);
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
        return util_err_set(err, "%s: contains a NUL byte", key);
    if (n->data.scalar.length == 0)
        return 0;
    *out = util_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
    return *out == NULL ? util_err_set(err, "out of memory") : 0;
}

int kube_kc_bool(yaml_document_t *d, yaml_node_t *map, const char *key, bool *out, util_err *err)
{
    yaml_node_t *n = kube_kc_get(d, map, key);

    *out = false;
    if (n == NULL)
        return 0;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (scalar_is(n, "true") || scalar_is(n, "True") || scalar_is(n, "TRUE")) {
            *out = true;
            return 0;
        }
        if (scalar_is(n, "false") || scalar_is(n, "False") || scalar_is(n, "FALSE"))
            return 0;
    }
    return util_err_set(err, "%s: not a boolean", key);
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a mapping";
    }
}

/* Checks that f's `list` (e.g. "clusters") is a list of mappings, each with a
 * string name and, if present, an `inner` (e.g. "cluster") mapping. */
static int check_list(kube_kc_file *f, const char *list, const char *inner, util_err *err)
{
    yaml_node_t *seq = kube_kc_get(&f->doc, f->root, list);
    int i = 0;

    if (seq == NULL)
        return 0;
    if (seq->type != YAML_SEQUENCE_NODE)
        return util_err_set(err, "%s: is %s, not a list", list, node_kind(seq));
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++, i++) {
        yaml_node_t *e = yaml_document_get_node(&f->doc, *it);
        yaml_node_t *v;
        char *name;

        if (e == NULL || e->type != YAML_MAPPING_NODE)
            return util_err_set(err, "%s[%d]: not a mapping", list, i);
        if (kube_kc_str(&f->doc, e, "name", &name, err) != 0)
            return util_err_prefix(err, "%s[%d]", list, i);
        if (name == NULL)
            return util_err_set(err, "%s[%d]: name: missing", list, i);
        v = kube_kc_get(&f->doc, e, inner);
        if (v != NULL && v->type != YAML_MAPPING_NODE) {
            util_err_set(err, "%s \"%s\": %s: not a mapping", inner, name, inner);
            free(name);
            return -1;
        }
        free(name);
    }
    return 0;
}

/* libyaml's message for a parse failure, with where it happened. */
static int yaml_problem(const yaml_parser_t *p, util_err *err)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";

    if (p->error == YAML_MEMORY_ERROR)
        return util_err_set(err, "out of memory");
    /* Reader errors (bad encoding, control characters) have no line yet. */
    if (p->error == YAML_READER_ERROR)
        return util_err_set(err, "byte %zu: %s", p->problem_offset, problem);
    return util_err_set(err, "line %zu column %zu: %s%s%s", p->problem_mark.line + 1,
                        p->problem_mark.column + 1, p->context ? p->context : "",
                        p->context ? ": " : "", problem);
}

/* A kubeconfig nests about six levels deep. libyaml's scanner slows down
 * worse than quadratically with nesting (100,000 '[' take half a minute),
 * so a first pass over the events refuses deep documents before the loader
 * builds the tree; it stops at the first document, as the loader does. */
#define MAX_DEPTH 64

static int check_depth(const void *data, size_t len, util_err *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int depth = 0, rc = 0;
    bool done = false;

    if (!yaml_parser_initialize(&p))
        return util_err_set(err, "out of memory");
    yaml_parser_set_input_string(&p, data, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = yaml_problem(&p, err);
            break;
        }
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > MAX_DEPTH)
                rc = util_err_set(err, "line %zu: nested more than %d levels deep",
                                  ev.start_mark.line + 1, MAX_DEPTH);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Parses one file's bytes into f and checks its shape. The message names
 * what is wrong; the caller prefixes the file. */
int kube_kc_parse(kube_kc_file *f, const void *data, size_t len, util_err *err)
{
    yaml_parser_t p;
    char *cur;

    if (check_depth(data, len, err) != 0)
        return -1;
    if (!yaml_parser_initialize(&p))
        return util_err_set(err, "out of memory");
    yaml_parser_set_input_string(&p, data, len);
    if (!yaml_parser_load(&p, &f->doc)) {
        yaml_problem(&p, err);
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    f->loaded = true;
    f->root = yaml_document_get_root_node(&f->doc);
    if (f->root == NULL || is_null(f->root))
        return util_err_set(err, "empty file: no kubeconfig in it");
    if (f->root->type != YAML_MAPPING_NODE)
        return util_err_set(err, "top level is %s, not a mapping", node_kind(f->root));
    if (check_list(f, "clusters", "cluster", err) != 0 ||
        check_list(f, "users", "user", err) != 0 || check_list(f, "contexts", "context", err) != 0)
        return -1;
    if (kube_kc_str(&f->doc, f->root, "current-context", &cur, err) != 0)
        return -1;
    free(cur);
    return 0;
}

void kube_kc_clear(kube_kc_file *f)
{
    if (f->loaded)
        yaml_document_delete(&f->doc);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

/* Finds the entry called `name` in the first file defining it. Sets *file
 * and *node (the entry's `inner` mapping, NULL if it has none). */
bool kube_kc_lookup(kube_kc_file *files, size_t n, const char *list, const char *inner,
                    const char *name, kube_kc_file **file, yaml_node_t **node)
{
    for (size_t i = 0; i < n; i++) {
        kube_kc_file *f = &files[i];
        yaml_node_t *seq = kube_kc_get(&f->doc, f->root, list);

        if (seq == NULL)
            continue;
        for (yaml_node_item_t *it = seq->data.sequence.items.start;
             it < seq->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(&f->doc, *it);
            yaml_node_t *nm = kube_kc_get(&f->doc, e, "name");

            if (nm != NULL && scalar_is(nm, name)) {
                *file = f;
                *node = kube_kc_get(&f->doc, e, inner);
                return true;
            }
        }
    }
    return false;
}
/* Starts reading the list under key: *seq is it (NULL when absent, which
 * is no error) and *out room for its items and a NULL end, *n 0. */
static int list_begin(yaml_document_t *d, yaml_node_t *map, const char *key, yaml_node_t **seq,
                      char ***out, size_t *n, util_err *err)
{
    size_t cap;

    *out = NULL;
    *n = 0;
    *seq = kube_kc_get(d, map, key);
    if (*seq == NULL)
        return 0;
    if ((*seq)->type != YAML_SEQUENCE_NODE)
        return util_err_set(err, "%s: not a list", key);
    cap = (size_t)((*seq)->data.sequence.items.top - (*seq)->data.sequence.items.start);
    if ((*out = calloc(cap + 1, sizeof **out)) == NULL)
        return util_err_set(err, "out of memory");
    return 0;
}

/* A list of strings under key in map; *out (NULL-terminated, new) and *n.
 * Messages name key[i]. */
int kube_kc_str_list(yaml_document_t *d, yaml_node_t *map, const char *key, char ***out, size_t *n,
                     util_err *err)
{
    yaml_node_t *seq;
    int rc = list_begin(d, map, key, &seq, out, n, err);

    if (rc != 0 || seq == NULL)
        return rc;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *e = yaml_document_get_node(d, *it);

        if (e == NULL || e->type != YAML_SCALAR_NODE ||
            memchr(e->data.scalar.value, '\0', e->data.scalar.length) != NULL)
            return util_err_set(err, "%s[%zu]: not a string", key, *n);
        (*out)[*n] = util_strndup((const char *)e->data.scalar.value, e->data.scalar.length);
        if ((*out)[*n] == NULL)
            return util_err_set(err, "out of memory");
        (*n)++;
    }
    return 0;
}

void kube_kc_list_free(char **l)
{
    if (l == NULL)
        return;
    for (char **p = l; *p != NULL; p++)
        free(*p);
    free(l);
}

/* env: a list of {name, value}, as "NAME=value" strings. */
int kube_kc_env_list(yaml_document_t *d, yaml_node_t *map, char ***out, size_t *n, util_err *err)
{
    yaml_node_t *seq;
    int rc = list_begin(d, map, "env", &seq, out, n, err);

    if (rc != 0 || seq == NULL)
        return rc;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *e = yaml_document_get_node(d, *it);
        char *name = NULL, *value = NULL, *kv;

        if (e == NULL || e->type != YAML_MAPPING_NODE)
            return util_err_set(err, "env[%zu]: not a mapping", *n);
        if (kube_kc_str(d, e, "name", &name, err) != 0 ||
            kube_kc_str(d, e, "value", &value, err) != 0) {
            free(name);
            return util_err_prefix(err, "env[%zu]", *n);
        }
        if (name == NULL || strchr(name, '=') != NULL) {
            util_err_set(err, "env[%zu]: name: %s", *n, name == NULL ? "missing" : "contains '='");
            free(name);
            free(value);
            return -1;
        }
        kv = util_printf("%s=%s", name, value != NULL ? value : "");
        free(name);
        free(value);
        if (kv == NULL)
            return util_err_set(err, "out of memory");
        (*out)[(*n)++] = kv;
    }
    return 0;
}
