/* What the subcommands share: signal handling (one stop flag and one
 * async-signal-safe hook) and option helpers; see cmd.h. */
#include "cmd.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

/* Atomic, not just volatile sig_atomic_t: the drain threads read it while
 * the handler writes it on the main thread. A lock-free atomic is also
 * safe to store from a signal handler. */
static atomic_int stop_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "stop_flag must be lock-free to be set from a handler");
/* Set before the handler can see them change (sc_on_stop blocks the
 * signals while it swaps them). */
static void (*volatile stop_fn)(void *);
static void *volatile stop_arg;

static void on_signal(int sig)
{
    void (*fn)(void *) = stop_fn;

    (void)sig;
    stop_flag = 1;
    if (fn != NULL)
        fn(stop_arg);
}

void sc_signals_install(void)
{
    struct sigaction sa, cur;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    /* A SIGINT ignored by whoever started us (a script's background job)
     * stays ignored, as Unix programs do: Ctrl-C is the script's. */
    if (sigaction(SIGINT, NULL, &cur) != 0 || cur.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool sc_stopping(void)
{
    return stop_flag != 0;
}

void sc_on_stop(void (*fn)(void *), void *arg)
{
    sigset_t block, old;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    /* The handler may run on another thread meanwhile: it must never see a
     * function without its argument. */
    if (fn == NULL) {
        stop_fn = NULL;
        stop_arg = NULL;
    } else {
        stop_arg = arg;
        stop_fn = fn;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (fn != NULL && stop_flag)
        fn(arg);
}

bool sc_sleep_ms(long ms)
{
    long long end = util_mono_ms() + ms;

    /* Short naps, so a stop is noticed soon even if the signal landed on
     * another thread. */
    while (!stop_flag) {
        long long left = end - util_mono_ms();
        struct timespec ts;

        if (left <= 0)
            break;
        if (left > 100)
            left = 100;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
    return stop_flag != 0;
}

int sc_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s: %s\nTry '%s %s --help'.\n", SC_PROG, cmd, msg, SC_PROG, cmd);
    return SC_EXIT_USAGE;
}

int sc_parse_long(const char *opt, const char *s, long min, long max, long *out, util_err *err)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
        return util_err_set(err, "%s: \"%.64s\" is not a whole number from %ld to %ld", opt, s, min,
                            max);
    *out = v;
    return 0;
}

const char *sc_env(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : dflt;
}
