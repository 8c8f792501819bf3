/* The API verbs over kube_call; see verbs.h.
 *
 * URLs with queries are built in fixed buffers: a path is at most
 * KUBE_PATH_MAX, and selectors and continue tokens are short, so URL_MAX
 * leaves ample room; a query that still does not fit is an error, never
 * cut. */
#include "kube/verbs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "util/clock.h"

#define URL_MAX 8192

/* Conflicts cluster in time (two writers racing), so a retry waits a little,
 * at random, to let the other writer finish. */
#define RETRY_PAUSE_MS 10

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Appends s to buf at *pos, escaping every byte for which keep() is false.
 * Returns -1 (and leaves *pos alone) if it does not fit. */
static int append_escaped(char *buf, size_t size, size_t *pos, const char *s, bool path_segment)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t p = *pos;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (unreserved(c) || (path_segment && (c == ':' || c == '@'))) {
            if (p + 1 >= size)
                return -1;
            buf[p++] = (char)c;
        } else {
            if (p + 3 >= size)
                return -1;
            buf[p++] = '%';
            buf[p++] = hex[c >> 4];
            buf[p++] = hex[c & 15];
        }
    }
    if (p >= size)
        return -1;
    buf[p] = '\0';
    *pos = p;
    return 0;
}

static int append_raw(char *buf, size_t size, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n >= size)
        return -1;
    memcpy(buf + *pos, s, n + 1);
    *pos += n;
    return 0;
}

/* A path segment the API accepts as a name: not empty, not "." or "..", no
 * '/' or '%'. */
static bool valid_segment(const char *s)
{
    return s[0] != '\0' && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strpbrk(s, "/%") == NULL;
}

static bool set(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* "v1" or "group/version", of the characters API groups and versions use. */
static bool valid_api_version(const char *v)
{
    const char *slash = strchr(v, '/');

    if (v[0] == '\0' || v[0] == '/' ||
        (slash != NULL && (slash[1] == '\0' || strchr(slash + 1, '/'))))
        return false;
    for (; *v != '\0'; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '.' || *v == '-' ||
              *v == '/'))
            return false;
    return true;
}

int kube_path(char *buf, size_t size, const char *api_version, const char *resource, const char *ns,
              const char *name, const char *subresource)
{
    size_t pos = 0;

    if (size == 0)
        return -1;
    buf[0] = '\0';
    if (api_version == NULL || !valid_api_version(api_version) || resource == NULL ||
        !valid_segment(resource) || (set(ns) && !valid_segment(ns)) ||
        (set(name) && !valid_segment(name)) || (set(subresource) && !valid_segment(subresource)) ||
        (set(subresource) && !set(name)))
        return -1;
    if (append_raw(buf, size, &pos, strchr(api_version, '/') != NULL ? "/apis/" : "/api/") != 0 ||
        append_raw(buf, size, &pos, api_version) != 0)
        goto too_small;
    if (set(ns) && (append_raw(buf, size, &pos, "/namespaces/") != 0 ||
                    append_escaped(buf, size, &pos, ns, true) != 0))
        goto too_small;
    if (append_raw(buf, size, &pos, "/") != 0 ||
        append_escaped(buf, size, &pos, resource, true) != 0)
        goto too_small;
    if (set(name) &&
        (append_raw(buf, size, &pos, "/") != 0 || append_escaped(buf, size, &pos, name, true) != 0))
        goto too_small;
    if (set(subresource) && (append_raw(buf, size, &pos, "/") != 0 ||
                             append_escaped(buf, size, &pos, subresource, true) != 0))
        goto too_small;
    return 0;
too_small:
    buf[0] = '\0';
    return -1;
}

int kube_query_escape(char *buf, size_t size, const char *s)
{
    size_t pos = 0;

    if (size == 0)
        return -1;
    buf[0] = '\0';
    return append_escaped(buf, size, &pos, s, false);
}

int kube_query_add(char *buf, size_t size, const char *key, const char *value)
{
    size_t pos = strlen(buf), start = pos;

    if (append_raw(buf, size, &pos, strchr(buf, '?') != NULL ? "&" : "?") != 0 ||
        append_raw(buf, size, &pos, key) != 0 || append_raw(buf, size, &pos, "=") != 0 ||
        append_escaped(buf, size, &pos, value, false) != 0) {
        buf[start] = '\0';
        return -1;
    }
    return 0;
}

/* Copies path into url (URL_MAX bytes) for queries to be added. */
static int start_url(char *url, const char *method, const char *path, util_err *err)
{
    if (strlen(path) >= URL_MAX)
        return util_err_set(err, "%s %.64s...: path too long", method, path);
    memcpy(url, path, strlen(path) + 1);
    return 0;
}

static int list_url(char *url, const char *path, const kube_list_opts *opts, const char *cont,
                    util_err *err)
{
    static const kube_list_opts none = {0};
    long limit;
    char num[32];
    int rc = 0;

    if (opts == NULL)
        opts = &none;
    if (start_url(url, "GET", path, err) != 0)
        return -1;
    limit = opts->limit == 0 ? KUBE_LIST_DEFAULT_LIMIT : opts->limit;
    if (limit > 0) {
        snprintf(num, sizeof num, "%ld", limit);
        rc |= kube_query_add(url, URL_MAX, "limit", num);
    }
    if (set(cont))
        rc |= kube_query_add(url, URL_MAX, "continue", cont);
    else if (set(opts->resource_version))
        rc |= kube_query_add(url, URL_MAX, "resourceVersion", opts->resource_version);
    if (set(opts->label_selector))
        rc |= kube_query_add(url, URL_MAX, "labelSelector", opts->label_selector);
    if (set(opts->field_selector))
        rc |= kube_query_add(url, URL_MAX, "fieldSelector", opts->field_selector);
    if (rc != 0)
        return util_err_set(err, "GET %s: query too long", path);
    return 0;
}

int kube_list_page(kube_client *c, const char *path, const kube_list_opts *opts, const char *cont,
                   cJSON **out, kube_status *st, util_err *err)
{
    char *url = malloc(URL_MAX);
    int rc;

    if (out != NULL)
        *out = NULL;
    if (url == NULL)
        return util_err_set(err, "GET %s: out of memory", path);
    rc = list_url(url, path, opts, cont, err);
    if (rc == 0)
        rc = kube_call(c, "GET", url, NULL, NULL, out, st, err);
    free(url);
    return rc;
}

/* Gives every item the apiVersion and kind of a single object: the list's
 * apiVersion, and its kind without the "List" suffix. */
static int stamp_items(cJSON *list, util_err *err, const char *path)
{
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(list, "apiVersion");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(list, "kind");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *item;
    char k[256];
    size_t n;

    if (!cJSON_IsString(av) || !cJSON_IsString(kind))
        return 0;
    n = strlen(kind->valuestring);
    if (n < 5 || n - 4 >= sizeof k || strcmp(kind->valuestring + n - 4, "List") != 0)
        return 0;
    memcpy(k, kind->valuestring, n - 4);
    k[n - 4] = '\0';
    cJSON_ArrayForEach(item, items)
    {
        if (!cJSON_IsObject(item))
            continue;
        if ((cJSON_GetObjectItemCaseSensitive(item, "apiVersion") == NULL &&
             cJSON_AddStringToObject(item, "apiVersion", av->valuestring) == NULL) ||
            (cJSON_GetObjectItemCaseSensitive(item, "kind") == NULL &&
             cJSON_AddStringToObject(item, "kind", k) == NULL))
            return util_err_set(err, "GET %s: out of memory", path);
    }
    return 0;
}

static const char *continue_of(const cJSON *page)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(page, "metadata");
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");

    return cJSON_IsString(cont) && cont->valuestring[0] != '\0' ? cont->valuestring : NULL;
}

/* Moves page's items to the end of all's. */
static int take_items(cJSON *all, cJSON *page, const char *path, util_err *err)
{
    cJSON *dst = cJSON_GetObjectItemCaseSensitive(all, "items");
    cJSON *src = cJSON_GetObjectItemCaseSensitive(page, "items");

    if (!cJSON_IsArray(dst) || (src != NULL && !cJSON_IsArray(src)))
        return util_err_set(err, "GET %s: list answer without an items array", path);
    while (src != NULL && src->child != NULL)
        cJSON_AddItemToArray(dst, cJSON_DetachItemViaPointer(src, src->child));
    return 0;
}

/* A copy of page's continue token, or NULL when it is the last page; *oom
 * is set if the copy failed. */
static char *next_token(const cJSON *page, bool *oom)
{
    const char *cont = continue_of(page);
    char *copy = cont != NULL ? strdup(cont) : NULL;

    *oom = cont != NULL && copy == NULL;
    return copy;
}

/* The items array of a list page, made [] when the API sent null or none
 * (as it may for an empty list). NULL, with page deleted, when page is not
 * a list. */
static cJSON *list_items(cJSON *page, const char *path, util_err *err)
{
    cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");

    if (items == NULL || cJSON_IsNull(items)) {
        cJSON_DeleteItemFromObjectCaseSensitive(page, "items");
        items = cJSON_AddArrayToObject(page, "items");
    }
    if (!cJSON_IsArray(items) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(page, "metadata"))) {
        cJSON_Delete(page);
        util_err_set(err, "GET %s: not a list (no items or metadata)", path);
        return NULL;
    }
    return items;
}

static int list_all(kube_client *c, const char *path, const kube_list_opts *opts, cJSON **out,
                    kube_status *st, util_err *err)
{
    cJSON *all = NULL, *page = NULL, *meta;
    char *cont;
    bool oom;
    int rc;

    rc = kube_list_page(c, path, opts, NULL, &all, st, err);
    if (rc != 0)
        return rc;
    if (list_items(all, path, err) == NULL)
        return -1;
    meta = cJSON_GetObjectItemCaseSensitive(all, "metadata");
    cont = next_token(all, &oom);
    while (cont != NULL) {
        rc = kube_list_page(c, path, opts, cont, &page, st, err);
        free(cont);
        cont = NULL;
        if (rc != 0)
            goto fail;
        if ((rc = take_items(all, page, path, err)) != 0)
            goto fail;
        cont = next_token(page, &oom);
        cJSON_Delete(page);
        page = NULL;
    }
    if (oom) {
        rc = util_err_set(err, "GET %s: out of memory", path);
        goto fail;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "continue");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "remainingItemCount");
    if ((rc = stamp_items(all, err, path)) != 0)
        goto fail;
    *out = all;
    return 0;
fail:
    cJSON_Delete(all);
    cJSON_Delete(page);
    return rc;
}

int kube_list(kube_client *c, const char *path, const kube_list_opts *opts, cJSON **out,
              kube_status *st, util_err *err)
{
    kube_status local;
    kube_list_opts whole = {0};
    cJSON *list = NULL;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (st == NULL)
        st = &local;
    rc = list_all(c, path, opts, &list, st, err);
    /* A 410 on the first page is about opts->resource_version and is the
     * caller's to handle; only an expired continue token starts over. */
    if (rc == KUBE_ERR_STATUS && st->code == KUBE_STATUS_GONE &&
        (opts == NULL || opts->limit >= 0)) {
        if (opts != NULL)
            whole = *opts;
        whole.limit = -1;
        whole.resource_version = NULL;
        rc = list_all(c, path, &whole, &list, st, err);
    }
    if (rc != 0)
        return rc;
    if (out != NULL)
        *out = list;
    else
        cJSON_Delete(list);
    return 0;
}

/* One pass of kube_list_each. *pages counts the pages handed to fn. */
static int each_page(kube_client *c, const char *path, const kube_list_opts *opts,
                     kube_list_page_fn fn, void *ctx, bool restart, char **rv, int *pages,
                     kube_status *st, util_err *err)
{
    cJSON *page = NULL;
    char *cont = NULL;
    bool oom = false;
    int rc;

    *pages = 0;
    do {
        rc = kube_list_page(c, path, opts, cont, &page, st, err);
        free(cont);
        cont = NULL;
        if (rc != 0)
            return rc;
        if (list_items(page, path, err) == NULL)
            return -1;
        if (*pages == 0) {
            const char *v = kube_meta_resource_version(page);

            free(*rv);
            *rv = v != NULL ? strdup(v) : NULL;
            if (*rv == NULL) {
                cJSON_Delete(page);
                return util_err_set(err, "GET %s: list without metadata.resourceVersion", path);
            }
        }
        if ((rc = stamp_items(page, err, path)) != 0) {
            cJSON_Delete(page);
            return rc;
        }
        cont = next_token(page, &oom);
        rc = fn(page, restart && *pages == 0, ctx, err);
        cJSON_Delete(page);
        (*pages)++;
        if (rc != 0) {
            free(cont);
            return KUBE_ERR;
        }
        if (oom)
            return util_err_set(err, "GET %s: out of memory", path);
    } while (cont != NULL);
    return 0;
}

int kube_list_each(kube_client *c, const char *path, const kube_list_opts *opts,
                   kube_list_page_fn fn, void *ctx, char **resource_version, kube_status *st,
                   util_err *err)
{
    kube_status local;
    kube_list_opts whole = {0};
    char *rv = NULL;
    int rc, pages;

    *resource_version = NULL;
    if (st == NULL)
        st = &local;
    memset(st, 0, sizeof *st);
    rc = each_page(c, path, opts, fn, ctx, false, &rv, &pages, st, err);
    /* Only a 410 after the first page is an expired continue token; on the
     * first it is about opts->resource_version, the caller's to handle. */
    if (rc == KUBE_ERR_STATUS && st->code == KUBE_STATUS_GONE && pages > 0) {
        if (opts != NULL)
            whole = *opts;
        whole.limit = -1;
        whole.resource_version = NULL;
        rc = each_page(c, path, &whole, fn, ctx, true, &rv, &pages, st, err);
    }
    if (rc != 0) {
        free(rv);
        return rc;
    }
    *resource_version = rv;
    return 0;
}

/* path + "/status", into buf (KUBE_PATH_MAX + 8 bytes). */
static int status_path(char *buf, size_t size, const char *method, const char *path, util_err *err)
{
    int n = snprintf(buf, size, "%s/status", path);

    if (n < 0 || (size_t)n >= size)
        return util_err_set(err, "%s %.64s.../status: path too long", method, path);
    return 0;
}

int kube_apply(kube_client *c, const char *path, const cJSON *obj, const char *field_manager,
               bool force, cJSON **out, kube_status *st, util_err *err)
{
    char *url;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (!set(field_manager))
        return util_err_set(err, "PATCH %s: server-side apply needs a field manager", path);
    if ((url = malloc(URL_MAX)) == NULL)
        return util_err_set(err, "PATCH %s: out of memory", path);
    if (start_url(url, "PATCH", path, err) != 0) {
        free(url);
        return KUBE_ERR;
    }
    if (kube_query_add(url, URL_MAX, "fieldManager", field_manager) != 0 ||
        (force && kube_query_add(url, URL_MAX, "force", "true") != 0)) {
        free(url);
        return util_err_set(err, "PATCH %s: query too long", path);
    }
    rc = kube_call(c, "PATCH", url, "application/apply-patch+yaml", obj, out, st, err);
    free(url);
    return rc;
}

int kube_apply_status(kube_client *c, const char *path, const cJSON *obj, const char *field_manager,
                      bool force, cJSON **out, kube_status *st, util_err *err)
{
    char sp[KUBE_PATH_MAX + 8];

    if (out != NULL)
        *out = NULL;
    if (status_path(sp, sizeof sp, "PATCH", path, err) != 0)
        return KUBE_ERR;
    return kube_apply(c, sp, obj, field_manager, force, out, st, err);
}

int kube_merge_patch(kube_client *c, const char *path, const cJSON *patch, cJSON **out,
                     kube_status *st, util_err *err)
{
    return kube_call(c, "PATCH", path, "application/merge-patch+json", patch, out, st, err);
}

int kube_update(kube_client *c, const char *path, const cJSON *obj, cJSON **out, kube_status *st,
                util_err *err)
{
    return kube_call(c, "PUT", path, NULL, obj, out, st, err);
}

int kube_update_status(kube_client *c, const char *path, const cJSON *obj, cJSON **out,
                       kube_status *st, util_err *err)
{
    char sp[KUBE_PATH_MAX + 8];

    if (out != NULL)
        *out = NULL;
    if (status_path(sp, sizeof sp, "PUT", path, err) != 0)
        return KUBE_ERR;
    return kube_update(c, sp, obj, out, st, err);
}

/* A DeleteOptions object from opts (NULL: none set); NULL when out of
 * memory. For the caller to free. */
static cJSON *delete_options(const kube_delete_opts *opts)
{
    cJSON *body = cJSON_CreateObject(), *pre = NULL;
    bool oom = body == NULL;

    oom = oom || cJSON_AddStringToObject(body, "apiVersion", "v1") == NULL ||
          cJSON_AddStringToObject(body, "kind", "DeleteOptions") == NULL;
    if (!oom && opts != NULL && set(opts->propagation_policy))
        oom = cJSON_AddStringToObject(body, "propagationPolicy", opts->propagation_policy) == NULL;
    if (!oom && opts != NULL && opts->grace_period_set)
        oom = cJSON_AddNumberToObject(body, "gracePeriodSeconds", (double)opts->grace_period_s) ==
              NULL;
    if (!oom && opts != NULL && (set(opts->uid) || set(opts->resource_version))) {
        pre = cJSON_AddObjectToObject(body, "preconditions");
        oom = pre == NULL ||
              (set(opts->uid) && cJSON_AddStringToObject(pre, "uid", opts->uid) == NULL) ||
              (set(opts->resource_version) &&
               cJSON_AddStringToObject(pre, "resourceVersion", opts->resource_version) == NULL);
    }
    if (oom) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

int kube_delete_with(kube_client *c, const char *path, const kube_delete_opts *opts, cJSON **out,
                     kube_status *st, util_err *err)
{
    cJSON *body;
    int rc;

    if (out != NULL)
        *out = NULL;
    if ((body = delete_options(opts)) == NULL)
        return util_err_set(err, "DELETE %s: out of memory", path);
    rc = kube_call(c, "DELETE", path, NULL, body, out, st, err);
    cJSON_Delete(body);
    return rc;
}

int kube_evict(kube_client *c, const char *ns, const char *pod, const kube_delete_opts *opts,
               kube_status *st, util_err *err)
{
    char path[KUBE_PATH_MAX];
    cJSON *ev, *m = NULL, *o = NULL;
    int rc;

    if (kube_path(path, sizeof path, "v1", "pods", ns, pod, "eviction") != 0)
        return util_err_set(err, "evicting pod %s: bad name", pod);
    ev = cJSON_CreateObject();
    if (ev == NULL || cJSON_AddStringToObject(ev, "apiVersion", "policy/v1") == NULL ||
        cJSON_AddStringToObject(ev, "kind", "Eviction") == NULL ||
        (m = cJSON_AddObjectToObject(ev, "metadata")) == NULL ||
        cJSON_AddStringToObject(m, "name", pod) == NULL ||
        cJSON_AddStringToObject(m, "namespace", ns) == NULL ||
        (opts != NULL &&
         ((o = delete_options(opts)) == NULL || !cJSON_AddItemToObject(ev, "deleteOptions", o)))) {
        cJSON_Delete(ev);
        return util_err_set(err, "evicting pod %s: out of memory", pod);
    }
    rc = kube_create(c, path, ev, NULL, st, err);
    cJSON_Delete(ev);
    return rc;
}

/* Sets obj's metadata.resourceVersion to rv, so the PUT is conditional on
 * the version mutate started from whatever mutate did to it. */
static int pin_resource_version(cJSON *obj, const char *rv)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *s;

    if (!cJSON_IsObject(meta))
        return -1;
    s = cJSON_CreateString(rv);
    if (s == NULL)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion") != NULL)
        return cJSON_ReplaceItemInObjectCaseSensitive(meta, "resourceVersion", s) ? 0 : -1;
    cJSON_AddItemToObject(meta, "resourceVersion", s);
    return 0;
}

static void pause_before_retry(int attempt, uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    util_sleep_ms(RETRY_PAUSE_MS * attempt + (long)((*seed >> 33) % RETRY_PAUSE_MS));
}

int kube_update_retry(kube_client *c, const char *path, int attempts, kube_mutate_fn mutate,
                      void *ctx, cJSON **out, kube_status *st, util_err *err)
{
    kube_status local;
    uint64_t seed;
    int rc = KUBE_ERR;

    if (out != NULL)
        *out = NULL;
    if (st == NULL)
        st = &local;
    if (attempts < 1)
        attempts = 1;
    seed = (uint64_t)util_mono_ns() ^ (uint64_t)(uintptr_t)&seed;
    for (int i = 1; i <= attempts; i++) {
        cJSON *obj = NULL;
        char *rv;

        if ((rc = kube_get(c, path, &obj, st, err)) != 0)
            return rc;
        rv = kube_meta_resource_version(obj) != NULL ? strdup(kube_meta_resource_version(obj))
                                                     : NULL;
        if (rv == NULL) {
            cJSON_Delete(obj);
            return util_err_set(err, "GET %s: object without metadata.resourceVersion", path);
        }
        rc = mutate(obj, ctx, err);
        if (rc < 0 || rc == KUBE_MUTATE_SKIP) {
            free(rv);
            if (rc == KUBE_MUTATE_SKIP && out != NULL) {
                *out = obj;
                return 0;
            }
            cJSON_Delete(obj);
            if (rc < 0)
                util_err_prefix(err, "update %s", path);
            return rc < 0 ? rc : 0;
        }
        if (pin_resource_version(obj, rv) != 0)
            rc = util_err_set(err, "PUT %s: object without metadata after mutate", path);
        else
            rc = kube_update(c, path, obj, out, st, err);
        free(rv);
        cJSON_Delete(obj);
        if (rc != KUBE_ERR_STATUS || st->code != 409 || i == attempts)
            break;
        pause_before_retry(i, &seed);
    }
    if (rc == KUBE_ERR_STATUS && st->code == 409)
        util_err_prefix(err, "after %d attempts", attempts);
    return rc;
}
