/* The API's MicroTime and Time text forms (Lease renewTime, Event
 * eventTime, container finishedAt), written and read without libc's
 * time-zone state. Times are wall-clock nanoseconds since the epoch, as
 * util/clock.h's util_time.wall. */
#ifndef BERTH_KUBE_MICROTIME_H
#define BERTH_KUBE_MICROTIME_H

#include <stdint.h>

#include "util/err.h"

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
int kube_time_parse(const char *s, int64_t *wall, util_err *err) UTIL_MUST_CHECK;

#endif
