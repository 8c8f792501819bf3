/* The split of a drain's time between waiting for its turn and draining
 * (engine/drain.h). Pure arithmetic on util_mono_ms()'s clock, so tests can give it
 * any instant. */
#include "engine/drain.h"
#include "util/clock.h"

/* now + ms if set, else deadline; never after deadline, nor before now
 * while deadline is ahead. */
static long long until(bool set, long long ms, long long now, long long deadline)
{
    if (!set || now >= deadline || ms >= deadline - now)
        return deadline;
    return ms > 0 ? now + ms : now;
}

long long sc_drain_wait_until(const sc_drain_budget *b, long long now, long long deadline)
{
    return until(b != NULL && b->lock_wait_set, b != NULL ? b->lock_wait_ms : 0, now, deadline);
}

long long sc_drain_work_until(const sc_drain_budget *b, long long now, long long deadline)
{
    return until(b != NULL && b->drain_timeout_set, b != NULL ? b->drain_timeout_ms : 0, now,
                 deadline);
}
