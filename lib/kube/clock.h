/* The clocks the Lease elector and the Events recorder read, and the API's
 * MicroTime text form. Two readings travel together because they answer
 * different questions: the monotonic one measures how long ago something
 * happened here (lease expiry, aggregation windows, rate limits) and never
 * jumps; the wall one is what gets written into objects (renewTime,
 * eventTime) for people and other programs to read. Tests replace the
 * function that takes both to drive time by hand. */
#ifndef BERTH_KUBE_CLOCK_H
#define BERTH_KUBE_CLOCK_H

#include <stdint.h>

#include "util/err.h"

#define KUBE_NS_PER_MS  1000000LL
#define KUBE_NS_PER_SEC 1000000000LL

/* One reading of both clocks, in nanoseconds. */
typedef struct kube_time {
    int64_t mono; /* CLOCK_MONOTONIC: only differences mean anything */
    int64_t wall; /* CLOCK_REALTIME: since 1970-01-01T00:00:00Z */
} kube_time;

/* A clock. ctx is whatever the caller registered with it. */
typedef kube_time (*kube_now_fn)(void *ctx);

/* The real clocks; ctx is ignored. The default wherever a kube_now_fn is
 * optional. */
kube_time kube_time_now(void *ctx);

/* "2006-01-02T15:04:05.000000Z" plus the NUL. */
#define KUBE_MICROTIME_LEN 28

/* Writes wall (ns since the epoch, UTC) in the API's MicroTime form,
 * truncated to the microsecond as the API server stores it. Times before
 * the epoch are written as the epoch. */
void kube_time_format_micro(int64_t wall, char out[KUBE_MICROTIME_LEN]);

/* Parses an RFC 3339 time as the API writes Time and MicroTime:
 * "2006-01-02T15:04:05Z", with an optional fraction of up to nine digits and
 * 'Z' or a "+hh:mm"/"-hh:mm" offset. *wall is ns since the epoch, held at
 * INT64_MAX or INT64_MIN for times after 2262 or before 1677. Returns 0,
 * or -1 (with err naming the text) if s is not such a time. */
int kube_time_parse(const char *s, int64_t *wall, util_err *err);

#endif
