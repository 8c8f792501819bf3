/* A token bucket: at most `burst` actions at once, `qps` per second
 * sustained. The client uses it to pace its requests and the Events
 * recorder to pace its writes, so a hot loop in berth cannot flood the API
 * server (client-go's QPS/Burst).
 *
 * The bucket is kept as credit in nanoseconds of refill time: one token is
 * token_ns of credit, a full bucket burst * token_ns. Pure: no clock and no
 * lock of its own; callers pass monotonic times and hold their own lock. */
#ifndef BERTH_KUBE_RATELIMIT_H
#define BERTH_KUBE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

typedef struct kube_bucket {
    int64_t token_ns;   /* refill time of one token; 0: no limit */
    int64_t credit_max; /* a full bucket */
    int64_t credit;     /* may go negative after reservations */
    int64_t at;         /* monotonic ns of the last refill */
} kube_bucket;

/* A full bucket at monotonic time now. qps <= 0 makes a bucket that never
 * limits. Fails (naming the values) when qps is NaN, burst is 0 with a
 * limit, or the numbers overflow the credit. */
int kube_bucket_init(kube_bucket *b, double qps, unsigned burst, int64_t now,
                     util_err *err) UTIL_MUST_CHECK;

/* Takes a token at now, going into debt if there is none: returns how many
 * ns the caller must wait before acting (0: act now). Callers that wait
 * this way are served in the order they reserved. */
int64_t kube_bucket_reserve(kube_bucket *b, int64_t now);

/* Takes a token only if one is there at now and returns 0; otherwise takes
 * nothing and returns the ns until one will be. */
int64_t kube_bucket_try(kube_bucket *b, int64_t now);

/* Whole tokens in the bucket at now (negative while in debt); for tests
 * and metrics. */
int64_t kube_bucket_tokens(kube_bucket *b, int64_t now);

#endif
