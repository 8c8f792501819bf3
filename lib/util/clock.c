/* Clock readings; see clock.h. */
#include "util/clock.h"

static int64_t read_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * UTIL_NS_PER_SEC + ts.tv_nsec;
}

int64_t util_mono_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

int64_t util_mono_ms(void)
{
    return read_ns(CLOCK_MONOTONIC) / UTIL_NS_PER_MS;
}

void util_sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

struct timespec util_mono_deadline(int64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ms < 0)
        ms = 0;
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

util_time util_time_now(void *ctx)
{
    (void)ctx;
    return (util_time){.mono = read_ns(CLOCK_MONOTONIC), .wall = read_ns(CLOCK_REALTIME)};
}
