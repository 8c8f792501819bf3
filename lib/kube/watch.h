/* A long-running watch of one collection (`GET <path>?watch=1`) that keeps
 * itself alive: it streams events into a callback as the bytes arrive
 * (watch_parse.h does the framing), asks for bookmarks so it always knows a
 * recent resourceVersion, and when a connection ends (the server's
 * timeoutSeconds, a dropped socket, an API server restart, a 5xx or 429) it
 * reconnects from the last resourceVersion it delivered, after a capped,
 * jittered exponential backoff. What it cannot fix it hands back:
 *
 * - 410 Gone, as the answer to the request or as an ERROR event whose Status
 *   says 410: the resourceVersion is older than what the server keeps.
 *   kube_watch_run returns KUBE_WATCH_GONE; the caller lists again and
 *   watches from the list's resourceVersion (informer.h does exactly that).
 * - Any other refusal of the request itself (401, 403, 404, 400, 422...):
 *   retrying would only repeat it. KUBE_ERR_STATUS with the Status.
 *
 * Every connection presents the credential of its time, as kube_request
 * does: an exec plugin's certificate or token is renewed once it expires,
 * and a 401 or a TLS handshake the server ends over the certificate drops
 * it and reconnects at once with a fresh one; only a second refusal in a
 * row counts as above.
 *
 * A watch runs on a curl handle of its own (client_int.h), so it never waits
 * behind the client's other requests nor holds them up. kube_watch_stop may
 * be called from any thread and ends kube_watch_run promptly, also while it
 * is waiting to reconnect. */
#ifndef BERTH_KUBE_WATCH_H
#define BERTH_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/client.h"
#include "kube/status.h"
#include "kube/watch_parse.h"
#include "util/err.h"

/* kube_watch_run's answer when the resourceVersion expired (relist). */
#define KUBE_WATCH_GONE 1

#define KUBE_WATCH_DEFAULT_BACKOFF_BASE_MS 500L
#define KUBE_WATCH_DEFAULT_BACKOFF_MAX_MS  30000L

/* Called from the watching thread about once a second, whether connected or
 * waiting to reconnect: the place for periodic work that must not run
 * concurrently with the event callback (an informer's resync). Returning
 * non-zero ends kube_watch_run with KUBE_ERR and err. */
typedef int (*kube_watch_tick_fn)(void *ctx, util_err *err);

/* A zeroed struct (or NULL) means every default. Strings are copied. */
typedef struct kube_watch_opts {
    const char *label_selector; /* NULL: every object */
    const char *field_selector; /* NULL: every object */
    /* How long the server keeps one request open before it ends it
     * normally; the watch then reconnects at once. 0: a random value
     * between 5 and 10 minutes, as client-go picks, so many watches do
     * not reconnect in step. */
    long timeout_seconds;
    bool no_bookmarks;       /* do not send allowWatchBookmarks=true */
    long backoff_base_ms;    /* first reconnect delay; 0: 500 ms */
    long backoff_max_ms;     /* cap of the doubling; 0: 30 s */
    size_t max_event_bytes;  /* one event's size limit; 0: the parser's */
    kube_watch_tick_fn tick; /* NULL: none */
    void *tick_ctx;
} kube_watch_opts;

typedef struct kube_watch kube_watch;

/* A watch of the collection at path (as kube_path builds it, without a
 * query). c is borrowed and must outlive the watch; its configuration and
 * credentials are used, not its connection. */
int kube_watch_new(kube_client *c, const char *path, const kube_watch_opts *opts, kube_watch **out,
                   util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. The watch must not be running. */
void kube_watch_free(kube_watch *w);

/* Watches from resource_version until stopped or until something only the
 * caller can handle. cb gets every ADDED, MODIFIED, DELETED and BOOKMARK
 * event in order, each exactly once across reconnects (the watch resumes
 * after the last event cb accepted); ERROR events are the watch's own
 * business and never reach cb. resource_version NULL or "" asks the server
 * to send the current objects as ADDED first; a reconnect before the first
 * event then asks again, so start from a list's resourceVersion when
 * exactly-once matters (informer.h does). Returns:
 *   0                 kube_watch_stop was called (also before run began);
 *   KUBE_WATCH_GONE   410: list again, then watch from the list's version;
 *   KUBE_ERR_STATUS   the server refused the watch request, *st filled, err
 *                     like "watch /api/v1/...: 403 Forbidden: ...";
 *   KUBE_ERR          cb or the tick failed (err is theirs, prefixed), or
 *                     the watch could not be set up.
 * st may be NULL. Disconnects, bad bytes, 5xx and 429 are retried inside;
 * each is logged at warn level. */
int kube_watch_run(kube_watch *w, const char *resource_version, kube_watch_event_fn cb, void *ctx,
                   kube_status *st, util_err *err) UTIL_MUST_CHECK;

/* Makes a running (or the next) kube_watch_run return 0 soon. Thread-safe;
 * the watch stays stopped: later runs return 0 at once. */
void kube_watch_stop(kube_watch *w);

/* Whether kube_watch_stop was called. Thread-safe. */
bool kube_watch_stopped(kube_watch *w);

/* The resourceVersion of the last event delivered (bookmarks included), or
 * "" before any. Read it only from the thread that runs the watch, or when
 * it is not running; borrowed from the watch. */
const char *kube_watch_resource_version(const kube_watch *w);

/* How many connections the watch has opened in all: a reconnect shows as
 * an increase. Thread-safe. */
unsigned long kube_watch_connects(kube_watch *w);

/* Waits ms milliseconds unless the watch is stopped first (then returns
 * early), calling the tick as kube_watch_run does. Returns 0, or the tick's
 * failure. For callers that pause between runs (an informer retrying a
 * failed list) and must stay stoppable. */
int kube_watch_sleep(kube_watch *w, long ms, util_err *err) UTIL_MUST_CHECK;

#endif
