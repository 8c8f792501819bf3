/* The verbs of the Kubernetes API on cJSON objects: list (every page),
 * server-side apply, merge patch, update, status, delete with options, and
 * a retry-on-conflict helper; plus the two pure pieces every caller needs to
 * name things, a path builder and query escaping.
 *
 * They sit on kube_call (client.h) and share its contract: 0 on a 2xx
 * answer; KUBE_ERR_STATUS with *st filled (code, reason, message) and err
 * reading like
 *   PATCH /apis/apps/v1/namespaces/x/statefulsets/y: 409 Conflict: ...
 * when the API refuses; KUBE_ERR when no usable answer came (connection,
 * TLS, timeout, bad JSON). st may be NULL. out may be NULL when the answer is
 * not wanted; otherwise *out is a new cJSON (the object as the server now
 * holds it) for cJSON_Delete, set on success only. Object arguments are
 * borrowed for the call and never changed.
 *
 * Paths are what kube_path builds: a collection path for list and create, an
 * object path for everything else. The status variants take the object's
 * path and act on its /status subresource. */
#ifndef BERTH_KUBE_VERBS_H
#define BERTH_KUBE_VERBS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/client.h"
#include "util/err.h"

/* Enough for any path kube_path builds (names are at most 253 bytes). */
#define KUBE_PATH_MAX 1024

#define KUBE_LIST_DEFAULT_LIMIT 500

/* Writes the API path of a resource into buf:
 *   core ("v1"):          /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]
 *   groups ("apps/v1"):   /apis/apps/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]
 * ns NULL or "" means cluster-scoped (or, for a collection, all namespaces);
 * name NULL or "" means the collection; subresource NULL or "" means none
 * (it needs a name). Segments are percent-escaped where needed; a segment
 * that is empty where required, "." or "..", or holds '/' or '%' (which the
 * API refuses in names) is an error. Returns 0, or -1 on bad input or when
 * buf (size bytes) is too small. */
int kube_path(char *buf, size_t size, const char *api_version, const char *resource, const char *ns,
              const char *name, const char *subresource) UTIL_MUST_CHECK;

/* Percent-escapes s for use as a query value: everything but ALPHA DIGIT
 * '-' '.' '_' '~' becomes %XX, so selectors like "app in (a,b)" or
 * "!x,y!=z" pass intact. Returns 0, or -1 if buf (size bytes) is too small. */
int kube_query_escape(char *buf, size_t size, const char *s) UTIL_MUST_CHECK;

/* Appends "?key=value" to the path in buf, or "&key=value" if it already has
 * a query; value is escaped, key is taken as is. Returns 0, or -1 if buf
 * (size bytes, holding a NUL-terminated path) is too small; buf is then
 * unchanged. */
int kube_query_add(char *buf, size_t size, const char *key, const char *value) UTIL_MUST_CHECK;

/* What to list. A zeroed struct (or NULL) lists everything, in pages of
 * KUBE_LIST_DEFAULT_LIMIT, as a consistent read of the newest state. */
typedef struct kube_list_opts {
    const char *label_selector; /* e.g. "app=kafka,tier notin (db)"; NULL: all */
    const char *field_selector; /* e.g. "metadata.name=x"; NULL: all */
    long limit;                 /* page size; 0: KUBE_LIST_DEFAULT_LIMIT; < 0: no paging */
    /* Passed as resourceVersion on the first page (e.g. "0": any, possibly
     * stale, from the server's cache). NULL: the newest. */
    const char *resource_version;
} kube_list_opts;

/* One page of a list: the server's answer as is (a "...List" object with
 * items and metadata.continue when more remain). cont is the previous page's
 * metadata.continue, or NULL for the first page. */
int kube_list_page(kube_client *c, const char *path, const kube_list_opts *opts, const char *cont,
                   cJSON **out, kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* Every object of a collection, following continue tokens. *out is one
 * "...List" object holding all items of all pages, and its
 * metadata.resourceVersion is that of the snapshot the pages were read from
 * (where a watch should start); metadata.continue is removed. Each item is
 * given apiVersion and kind (the API leaves them out of list items), so an
 * item looks like the same object read with kube_get.
 *
 * If a continue token expires mid-way (410 Expired: the snapshot was
 * compacted), the list starts over once without paging, as client-go does;
 * a failure then is returned. */
int kube_list(kube_client *c, const char *path, const kube_list_opts *opts, cJSON **out,
              kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* Told of one page by kube_list_each, in order. page is the server's answer
 * with its items given apiVersion and kind, lent for the call (the function
 * may detach items to keep them). restart is true for the first page of a
 * list that started over because a continue token expired: whatever the
 * earlier pages said is superseded. Non-zero stops the list (fill err). */
typedef int (*kube_list_page_fn)(cJSON *page, bool restart, void *ctx, util_err *err);

/* kube_list for collections too large to hold twice: each page goes to fn
 * as it arrives and is freed after, so only one page is in memory at a
 * time (an informer of every Pod). An expired continue token starts the
 * list over once without paging, as kube_list does. On success
 * *resource_version is the snapshot's metadata.resourceVersion, a new
 * string for free(). Returns 0, the list's failure (as kube_list), or
 * KUBE_ERR with fn's err if fn stopped it. */
int kube_list_each(kube_client *c, const char *path, const kube_list_opts *opts,
                   kube_list_page_fn fn, void *ctx, char **resource_version, kube_status *st,
                   util_err *err) UTIL_MUST_CHECK;

/* Server-side apply: PATCH path with obj as application/apply-patch+yaml
 * (JSON is YAML), owned by field_manager (required, e.g. "berth-operator").
 * obj must carry apiVersion, kind and metadata.name, and only the fields
 * the manager means to own. force takes over fields other managers own
 * instead of failing with 409 Conflict. Applying what the object already
 * holds changes nothing: no write, the resourceVersion stays. */
int kube_apply(kube_client *c, const char *path, const cJSON *obj, const char *field_manager,
               bool force, cJSON **out, kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* kube_apply on path's /status subresource. */
int kube_apply_status(kube_client *c, const char *path, const cJSON *obj, const char *field_manager,
                      bool force, cJSON **out, kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* JSON merge patch (RFC 7386): PATCH path with patch as
 * application/merge-patch+json. Keys set to null are removed; lists are
 * replaced whole. Add metadata.resourceVersion to the patch to make it
 * conditional (409 Conflict if the object moved on). */
int kube_merge_patch(kube_client *c, const char *path, const cJSON *patch, cJSON **out,
                     kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* Replaces the object at path with obj (PUT). With obj's
 * metadata.resourceVersion set, the write happens only if the object still
 * has that version, else 409 Conflict: optimistic concurrency. Without it the
 * write is unconditional (where the resource allows that). Changes to status
 * are ignored by resources with a status subresource; use
 * kube_update_status. */
int kube_update(kube_client *c, const char *path, const cJSON *obj, cJSON **out, kube_status *st,
                util_err *err) UTIL_MUST_CHECK;

/* kube_update on path's /status subresource: only status is written. */
int kube_update_status(kube_client *c, const char *path, const cJSON *obj, cJSON **out,
                       kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* Options of a delete. A zeroed struct (or NULL) is the server's default:
 * the resource's own propagation, no preconditions. */
typedef struct kube_delete_opts {
    /* "Foreground" (dependents first), "Background" (dependents after) or
     * "Orphan" (dependents kept); NULL: the resource's default. */
    const char *propagation_policy;
    /* Preconditions: delete only if the object still has this uid (it was
     * not replaced by another of the same name) and/or this
     * resourceVersion; otherwise 409 Conflict. NULL: no condition. */
    const char *uid;
    const char *resource_version;
    /* Grace period in seconds when grace_period_set (0: at once); a
     * repeated delete may shorten one under way. Unset: the object's own. */
    bool grace_period_set;
    long grace_period_s;
} kube_delete_opts;

/* Deletes the object at path with DeleteOptions. 200 (gone, or marked for
 * deletion with finalizers pending) and 202 (deletion under way) both count
 * as success; *out, if wanted, is what the server answered (the object or a
 * Status). */
int kube_delete_with(kube_client *c, const char *path, const kube_delete_opts *opts, cJSON **out,
                     kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* Asks the Eviction API to delete pod in ns, with opts as its
 * DeleteOptions (NULL: none). The API server refuses with 429 while a
 * PodDisruptionBudget forbids it; a pod already being deleted is not
 * judged by its budget. 404: no such pod. */
int kube_evict(kube_client *c, const char *ns, const char *pod, const kube_delete_opts *opts,
               kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* What a kube_mutate_fn returns besides 0 (write it) and negative (stop,
 * with err filled). */
#define KUBE_MUTATE_SKIP 1 /* the object is already as wanted: no write */

/* Changes obj (the object as just read; the function may edit it in place)
 * into what should be written. It may be called several times, each time
 * with a fresher copy, so it must derive its change from obj alone, not from
 * state read before. */
typedef int (*kube_mutate_fn)(cJSON *obj, void *ctx, util_err *err);

/* Read-modify-write with retries: GET path, let mutate change the object,
 * PUT it back carrying the resourceVersion just read; on 409 Conflict
 * (someone wrote in between) start over from a fresh GET, at most attempts
 * times in all (attempts < 1 means 1), after a short randomised pause.
 *
 * Safe only for update-style writes where the new state is a function of
 * the current one (set a key, bump a counter, add an entry if missing).
 * Never use it to make a decision stick that was taken on an older read,
 * nor for create or delete. A path ending in "/status" works too: GET
 * returns the whole object, PUT writes its status.
 *
 * Returns 0 when written (or when mutate said KUBE_MUTATE_SKIP; *out is then
 * the object read), mutate's negative value, or the last request's failure
 * (KUBE_ERR_STATUS with st->code 409 if every attempt conflicted). */
int kube_update_retry(kube_client *c, const char *path, int attempts, kube_mutate_fn mutate,
                      void *ctx, cJSON **out, kube_status *st, util_err *err) UTIL_MUST_CHECK;

#endif
