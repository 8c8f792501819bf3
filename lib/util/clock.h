/* The one clock of berth. Deadlines, timeouts, backoff and rate limits
 * read the monotonic clock, which never jumps; objects written for people
 * and other programs carry the wall clock. Code that tests must drive by
 * hand takes a util_now_fn (NULL meaning util_time_now) instead of reading
 * the clocks itself. */
#ifndef BERTH_UTIL_CLOCK_H
#define BERTH_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define UTIL_NS_PER_MS  1000000LL
#define UTIL_NS_PER_SEC 1000000000LL

/* CLOCK_MONOTONIC in nanoseconds and in milliseconds: only differences
 * mean anything. */
int64_t util_mono_ns(void);
int64_t util_mono_ms(void);

/* CLOCK_MONOTONIC ms milliseconds from now, as the absolute time
 * pthread_cond_timedwait takes on a condition variable whose clock was set
 * to CLOCK_MONOTONIC. */
struct timespec util_mono_deadline(int64_t ms);

/* Sleeps ms milliseconds (none when ms <= 0); a signal may end the sleep
 * early, as it ends any nanosleep. */
void util_sleep_ms(int64_t ms);

/* One reading of both clocks, in nanoseconds. */
typedef struct util_time {
    int64_t mono; /* CLOCK_MONOTONIC */
    int64_t wall; /* CLOCK_REALTIME: since 1970-01-01T00:00:00Z */
} util_time;

/* A clock. ctx is whatever the caller registered with it. */
typedef util_time (*util_now_fn)(void *ctx);

/* The real clocks; ctx is ignored. */
util_time util_time_now(void *ctx);

#endif
