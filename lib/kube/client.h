/* Requests to the Kubernetes API over HTTPS with libcurl. One client holds
 * one connection (reused across requests) and serialises requests on it, so
 * threads may share a client; a thread that must not wait behind others (a
 * watch, later) uses a client of its own.
 *
 * kube_request is the raw exchange; kube_call, kube_get, kube_create and
 * kube_delete speak JSON and turn the API's refusals into a kube_status the
 * caller can branch on (404 NotFound, 409 AlreadyExists or Conflict, 410
 * Expired, 422 Invalid, 403 Forbidden). List, apply, patch, update and the
 * other verbs are in verbs.h; watches, which hold a connection for minutes,
 * run on handles of their own (stream.h, watch.h).
 *
 * The program calls curl_global_init(CURL_GLOBAL_DEFAULT) once before the
 * first client and curl_global_cleanup() after the last is freed. */
#ifndef BERTH_KUBE_CLIENT_H
#define BERTH_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/config.h"
#include "kube/status.h"
#include "util/err.h"

/* Return values of the JSON helpers besides 0. */
#define KUBE_ERR        (-1) /* no usable answer: connection, TLS, timeout, bad JSON */
#define KUBE_ERR_STATUS (-2) /* the API answered with a non-2xx status; see kube_status */

#define KUBE_CONNECT_TIMEOUT_MS   10000L
#define KUBE_TIMEOUT_MS           30000L
#define KUBE_CLIENT_DEFAULT_QPS   50.0
#define KUBE_CLIENT_DEFAULT_BURST 100u

typedef struct kube_client kube_client;

typedef struct kube_client_options {
    long timeout_ms; /* whole request, connect included; 0: KUBE_TIMEOUT_MS */
    size_t max_body; /* largest response body accepted; 0: 64 MiB */
    /* Client-side rate limit (a token bucket, ratelimit.h): requests per
     * second sustained and in a burst. A request over the limit waits in
     * kube_request before it is sent. qps 0: 50; qps < 0: no limit; burst
     * 0: 100. */
    double qps;
    unsigned burst;
} kube_client_options;

/* An HTTP answer. The struct belongs to the caller; kube_response_free frees
 * what it points to. */
typedef struct kube_response {
    long status; /* HTTP status code */
    char *body;  /* NUL-terminated (not counted in body_len) */
    size_t body_len;
    bool reused; /* went over a connection left open by an earlier request */
} kube_response;

/* A client for cfg, which is copied (the caller keeps its own). opts may be
 * NULL for the defaults. Verification of the server is on unless the config
 * says insecure. Every request carries the User-Agent "berth/<version>". */
int kube_client_new(const kube_config *cfg, const kube_client_options *opts, kube_client **out,
                    util_err *err) UTIL_MUST_CHECK;

void kube_client_free(kube_client *c);

/* The client's copy of its configuration (its namespace, say); borrowed,
 * valid until kube_client_free. */
const kube_config *kube_client_config(const kube_client *c);

/* Sends one request: method is GET, POST, PUT, PATCH or DELETE; path starts
 * with '/' and includes any query string, already escaped; body (NUL-
 * terminated) and content_type may be NULL. Returns the HTTP status (any,
 * 2xx or not) with the answer in *resp, or KUBE_ERR if no answer came, with
 * err naming method, path and cause. */
int kube_request(kube_client *c, const char *method, const char *path, const char *content_type,
                 const char *body, kube_response *resp, util_err *err) UTIL_MUST_CHECK;

void kube_response_free(kube_response *r);

/* Reads the Status out of a non-2xx answer. Answers that are not a Status
 * (from a proxy, say) get the reason Kubernetes uses for their code and the
 * start of the body as message. */
void kube_status_decode(const kube_response *r, kube_status *st);

/* JSON helpers. Each returns 0 on a 2xx answer, KUBE_ERR_STATUS with *st
 * filled and err reading like
 *   GET /api/v1/namespaces/x/configmaps/y: 404 NotFound: configmaps "y" not found
 * when the API refuses, or KUBE_ERR. st may be NULL; on success its code is
 * the HTTP status. *out (a new cJSON for cJSON_Delete) is set on success
 * only; out may be NULL where the answer is not wanted. */
int kube_get(kube_client *c, const char *path, cJSON **out, kube_status *st,
             util_err *err) UTIL_MUST_CHECK;

/* The general exchange the helpers are made of: method on path, sending in
 * (if not NULL) serialised as JSON under content_type (NULL: "application/
 * json"; patches name theirs). */
int kube_call(kube_client *c, const char *method, const char *path, const char *content_type,
              const cJSON *in, cJSON **out, kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* POSTs obj to a collection path. */
int kube_create(kube_client *c, const char *path, const cJSON *obj, cJSON **out, kube_status *st,
                util_err *err) UTIL_MUST_CHECK;

/* Deletes the object at path with the server's default propagation. Both
 * 200 (gone) and 202 (deletion under way) count as success. */
int kube_delete(kube_client *c, const char *path, kube_status *st, util_err *err) UTIL_MUST_CHECK;

#endif
