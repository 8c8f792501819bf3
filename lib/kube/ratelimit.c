/* The token bucket; see ratelimit.h. Refills are applied lazily, on each
 * call, from the time passed since the last one; time going backwards (a
 * caller's clock replaced in a test) refills nothing. */
#include "kube/ratelimit.h"

#include <math.h>

int kube_bucket_init(kube_bucket *b, double qps, unsigned burst, int64_t now, util_err *err)
{
    double token_ns;

    *b = (kube_bucket){.at = now};
    if (isnan(qps))
        return util_err_set(err, "rate limit: qps is not a number");
    if (qps <= 0)
        return 0;
    token_ns = 1e9 / qps;
    if (burst == 0)
        return util_err_set(err, "rate limit: burst must be at least 1 with qps %g", qps);
    if (token_ns < 1 || token_ns * burst > 9e18)
        return util_err_set(err, "rate limit: qps %g with burst %u is out of range", qps, burst);
    b->token_ns = (int64_t)(token_ns + 0.5);
    b->credit_max = b->token_ns * (int64_t)burst;
    b->credit = b->credit_max;
    return 0;
}

static void refill(kube_bucket *b, int64_t now)
{
    if (now <= b->at)
        return;
    if (now - b->at >= b->credit_max - b->credit)
        b->credit = b->credit_max;
    else
        b->credit += now - b->at;
    b->at = now;
}

int64_t kube_bucket_reserve(kube_bucket *b, int64_t now)
{
    if (b->token_ns == 0)
        return 0;
    refill(b, now);
    b->credit -= b->token_ns;
    return b->credit < 0 ? -b->credit : 0;
}

int64_t kube_bucket_try(kube_bucket *b, int64_t now)
{
    if (b->token_ns == 0)
        return 0;
    refill(b, now);
    if (b->credit >= b->token_ns) {
        b->credit -= b->token_ns;
        return 0;
    }
    return b->token_ns - b->credit;
}

int64_t kube_bucket_tokens(kube_bucket *b, int64_t now)
{
    if (b->token_ns == 0)
        return INT64_MAX;
    refill(b, now);
    return b->credit >= 0 ? b->credit / b->token_ns
                          : -((-b->credit + b->token_ns - 1) / b->token_ns);
}
