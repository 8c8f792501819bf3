/* Turns the body of a Kubernetes watch (`GET ...?watch=1`) into events. The
 * body is a stream of JSON objects {"type": ..., "object": {...}}, usually one
 * per line, but it reaches us in whatever chunks the network delivers: a chunk
 * may end inside an object, hold several, or split a UTF-8 character. The
 * parser finds each object's end by tracking strings, escapes and brace depth
 * (not newlines), so it never depends on how the server frames lines; only
 * complete objects are handed to cJSON.
 *
 * Failure is sticky: after any error (bytes that are not an event, an event
 * that is not valid JSON or lacks "type"/"object", an unknown type, an event
 * larger than the cap, or a callback that returned an error) the parser is
 * failed and every later feed returns the same error. The caller then drops
 * the connection and watches again from the last resourceVersion it saw (or
 * relists), exactly as it would after a network error; resynchronising inside
 * a stream we no longer understand would risk missing an event. Events before
 * the bad one were already delivered. kube_watch_parser_reset makes the
 * parser ready for a new stream. */
#ifndef BERTH_KUBE_WATCH_PARSE_H
#define BERTH_KUBE_WATCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/status.h"
#include "util/err.h"

#define KUBE_WATCH_DEFAULT_MAX_EVENT (16u * 1024u * 1024u)

typedef enum kube_watch_event_type {
    KUBE_WATCH_ADDED,
    KUBE_WATCH_MODIFIED,
    KUBE_WATCH_DELETED,
    KUBE_WATCH_BOOKMARK, /* object carries only metadata.resourceVersion */
    KUBE_WATCH_ERROR,    /* object is a Status; see kube_watch_status */
} kube_watch_event_type;

/* One event, valid only during the callback.
 *
 * object is lent to the callback and freed by the parser when the callback
 * returns. A callback that wants to keep it (an informer cache storing it)
 * takes it by setting ev->object to NULL; it then owns it and frees it with
 * cJSON_Delete. */
typedef struct kube_watch_event {
    kube_watch_event_type type;
    cJSON *object;
    /* object's metadata.resourceVersion, or NULL if it has none (never NULL
     * for BOOKMARK). Points into object: it lives exactly as long as object. */
    const char *resource_version;
} kube_watch_event;

/* Called once per event in stream order. Returning non-zero (fill err to
 * say why) stops feeding: feed returns -1 with that message and the parser
 * is failed. */
typedef int (*kube_watch_event_fn)(kube_watch_event *ev, void *ctx, util_err *err);

typedef struct kube_watch_parser_opts {
    size_t max_event_bytes; /* one event's size limit; 0: 16 MiB */
} kube_watch_parser_opts;

typedef struct kube_watch_parser kube_watch_parser;

/* Creates a parser (opts may be NULL); free it with kube_watch_parser_free. */
int kube_watch_parser_new(const kube_watch_parser_opts *opts, kube_watch_parser **out,
                          util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. */
void kube_watch_parser_free(kube_watch_parser *p);

/* Forgets any partial event and any failure: ready for a new stream. */
void kube_watch_parser_reset(kube_watch_parser *p);

/* Consumes len bytes of the stream, calling cb for each event completed by
 * them; a trailing partial event is kept for the next feed. Returns 0, or a
 * negative value with err naming what was wrong and where (byte offset in the
 * stream, counted from the last reset). */
int kube_watch_parser_feed(kube_watch_parser *p, const char *data, size_t len,
                           kube_watch_event_fn cb, void *ctx, util_err *err) UTIL_MUST_CHECK;

/* Checks that the stream ended between events: returns -1 if it stopped
 * inside one (or the parser had failed). Call it when the server closes the
 * body, to tell a cut-off response from a normal end of the watch. */
int kube_watch_parser_finish(kube_watch_parser *p, util_err *err) UTIL_MUST_CHECK;

/* Whether an error made the parser unusable until reset. */
bool kube_watch_parser_failed(const kube_watch_parser *p);

/* "ADDED", "MODIFIED", ...; "UNKNOWN" for a value outside the enum. */
const char *kube_watch_event_type_name(kube_watch_event_type type);

/* What a Status object says: an ERROR event's object, or the body of a
 * failed API call. A code of KUBE_STATUS_GONE (410, reason "Expired" or
 * "Gone") on a watch means the resourceVersion is too old: relist, then watch
 * again. Reads code, reason and message into out (copies, cut to fit; ""
 * when absent). Fails if status is not a JSON object or a field has the
 * wrong type. */
int kube_watch_status(const cJSON *status, kube_status *out, util_err *err) UTIL_MUST_CHECK;

#endif
