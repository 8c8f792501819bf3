/* An Events recorder: tells the people running `kubectl describe` what
 * berth did to an object and why ("Draining", "AddressChanged", ...).
 *
 * It writes events.k8s.io/v1 Events. Both Event APIs are views of the same
 * stored objects, and kubectl describe (1.35) lists them through core/v1
 * with a field selector on involvedObject, so either would show; the
 * events.k8s.io one is the current API (client-go's tools/events, the
 * scheduler), it requires reportingController/reportingInstance and an
 * action (the reason serves as the action: what berth did), and its
 * repeat counter, series.count with series.lastObservedTime, is what
 * describe prints as "(x5 over 3m)". The core fields count/lastTimestamp are
 * the older way; events.k8s.io refuses them.
 *
 * Repeats are aggregated: an event is identified by the object it regards,
 * its type, reason and message; the first occurrence creates an Event, and
 * repeats within the window raise that Event's series.count instead of
 * creating new objects. Which series exist is remembered in a bounded map
 * (least recently seen dropped first), so memory stays fixed however many
 * distinct events a program reports.
 *
 * Recording never blocks on the network and never fails the caller: it
 * updates the map and wakes a writer thread, which creates or patches the
 * Events under a token bucket (qps, burst), so a hot loop costs the API
 * server at most that many writes and its repeats coalesce into one count.
 * Write failures are logged and retried a few times with backoff, then
 * dropped. */
#ifndef BERTH_KUBE_EVENTS_H
#define BERTH_KUBE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/config.h"
#include "util/clock.h"
#include "util/err.h"

#define KUBE_EVENTS_DEFAULT_MAX_SERIES 4096
#define KUBE_EVENTS_DEFAULT_WINDOW_MS  (10L * 60 * 1000)
#define KUBE_EVENTS_DEFAULT_QPS        1.0
#define KUBE_EVENTS_DEFAULT_BURST      25
#define KUBE_EVENTS_REASON_MAX         128  /* the API's limits; longer is cut */
#define KUBE_EVENTS_NOTE_MAX           1024 /* bytes, cut on a UTF-8 boundary */

/* The object an event is about. Strings are borrowed for the call. kind and
 * name are required; namespace is NULL or "" for cluster-scoped objects
 * (their Events go to "default"); uid, api_version and resource_version
 * may be NULL. */
typedef struct kube_event_ref {
    const char *api_version;
    const char *kind;
    const char *namespace;
    const char *name;
    const char *uid;
    const char *resource_version;
} kube_event_ref;

typedef enum kube_event_type {
    KUBE_EVENT_NORMAL,
    KUBE_EVENT_WARNING,
} kube_event_type;

typedef struct kube_event_recorder_options {
    /* reportingController, a qualified name like "berth.io/operator";
     * required. */
    const char *controller;
    /* reportingInstance, e.g. the pod's name; NULL: the hostname. At most
     * 128 characters. */
    const char *instance;
    size_t max_series; /* series remembered; 0: 4096 */
    long window_ms;    /* repeats further apart start a new Event; 0: 10 min */
    double qps;        /* writes per second, sustained; 0: 1 */
    unsigned burst;    /* writes in a burst; 0: 25 */
    util_now_fn now;   /* NULL: util_time_now */
    void *now_ctx;
} kube_event_recorder_options;

typedef struct kube_event_recorder kube_event_recorder;

/* What a recorder has done so far. */
typedef struct kube_event_stats {
    unsigned long recorded; /* kube_event_record calls */
    unsigned long created;  /* Events created */
    unsigned long updated;  /* series updates written */
    unsigned long failed;   /* writes that failed (each retry counts) */
    unsigned long dropped;  /* counts given up on: retries exhausted, or evicted unwritten */
    size_t unwritten;       /* series with a write still due, now */
    size_t series;          /* series remembered, now */
} kube_event_stats;

/* A recorder with a client of its own made from cfg, and its writer
 * thread running. */
int kube_event_recorder_new(const kube_config *cfg, const kube_event_recorder_options *opts,
                            kube_event_recorder **out, util_err *err) UTIL_MUST_CHECK;

/* Stops the writer (after the write in progress, if any) and frees
 * everything; writes still due are dropped, so call kube_event_recorder_flush
 * first to wait for them. NULL is a no-op. */
void kube_event_recorder_free(kube_event_recorder *r);

/* Records one occurrence of an event about obj; message is a printf format.
 * Returns at once; never fails the caller (problems are logged). */
void kube_event_record(kube_event_recorder *r, const kube_event_ref *obj, kube_event_type type,
                       const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Waits until every recorded occurrence has been written (or given up on),
 * at most timeout_ms. Returns 0, or -1 with err saying how many series are
 * still waiting. */
int kube_event_recorder_flush(kube_event_recorder *r, long timeout_ms,
                              util_err *err) UTIL_MUST_CHECK;

void kube_event_recorder_stats(kube_event_recorder *r, kube_event_stats *out);

/* The aggregation key: the regarded object's apiVersion, kind, namespace,
 * name and uid, then type, reason and message, joined by NUL bytes (which
 * none of them can contain, so distinct inputs never share a key; NULL and
 * "" are the same). resource_version is left out: the object changes, the
 * event stays the same. *key is new (free()), *len its length. Public for
 * unit tests. */
int kube_event_key(const kube_event_ref *obj, kube_event_type type, const char *reason,
                   const char *message, char **key, size_t *len, util_err *err) UTIL_MUST_CHECK;

/* The Event object's name for the first occurrence at wall ns:
 * "<object name>.<wall ns in hex>", the object name cut so the result is a
 * valid name (at most 253 characters). Public for unit tests. */
void kube_event_name(const char *object_name, int64_t wall, char *out, size_t size);

/* Cuts s in place to at most max bytes, never inside a UTF-8 sequence, as
 * the recorder cuts reasons and notes to the API's limits. Public for unit
 * tests. */
void kube_event_cut(char *s, size_t max);

#endif
