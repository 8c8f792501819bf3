/* The prober's held broker connection; see broker_link.h. */
#include "serve/broker_link.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>

#include "cmd.h"
#include "util/clock.h"
#include "util/log.h"

void sc_link_init(sc_link *l, const char *addr, const kafka_dial_opts *dial)
{
    l->addr = addr;
    l->dial = dial;
    l->conn = NULL;
    l->av = NULL;
    l->opened_ms = l->used_ms = 0;
}

void sc_link_close(sc_link *l)
{
    kafka_api_versions_free(l->av);
    kafka_conn_free(l->conn);
    l->av = NULL;
    l->conn = NULL;
}

/* A new connection into *c, *av; 0 or -1 with err. */
static int dial(const sc_link *l, int timeout_ms, kafka_conn **c, kafka_api_versions **av,
                util_err *err)
{
    kafka_dial_opts o = {0};

    if (l->dial != NULL)
        o = *l->dial;
    o.connect_timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    o.call_timeout_ms = o.connect_timeout_ms;
    return kafka_dial(l->addr, &o, c, av, err);
}

int sc_link_open(sc_link *l, int timeout_ms, int *gone, char *why, size_t why_size, util_err *err)
{
    long long start = util_mono_ms();

    *gone = 0;
    if (l->conn != NULL)
        return 0;
    if (dial(l, timeout_ms, &l->conn, &l->av, err) == 0) {
        l->opened_ms = l->used_ms = util_mono_ms();
        return 0;
    }
    /* Why did it fail? Only "nothing listens" says the process is gone. */
    timeout_ms -= (int)(util_mono_ms() - start);
    if (kafka_conn_refused(l->addr, timeout_ms > 100 ? timeout_ms : 100)) {
        *gone = 1;
        snprintf(why, why_size, "nothing listens on %s (connection refused)", l->addr);
    }
    return -1;
}

int sc_link_broke(sc_link *l, char *why, size_t why_size)
{
    int closed = l->conn != NULL && kafka_conn_closed_by_peer(l->conn);
    long long idle = util_mono_ms() - l->used_ms;

    sc_link_close(l);
    if (!closed || idle > SC_LINK_MAX_IDLE_MS)
        return 0;
    snprintf(why, why_size, "it closed the sidecar's connection to %s (its process ended)",
             l->addr);
    return 1;
}

/* l's socket turned readable while no call ran. 1 when the broker ended
 * the link and that says its process ended (why says so); 0 when the link
 * stays (nothing for the sidecar), or is dropped without a verdict. */
static int idle_news(sc_link *l, char *why, size_t why_size)
{
    util_err err = {{0}};
    int rc = kafka_conn_idle_read(l->conn, &err);

    if (rc > 0)
        return sc_link_broke(l, why, why_size);
    if (rc < 0) {
        util_warn("%s; the connection is dropped, the next check dials again", err.msg);
        sc_link_close(l);
    }
    return 0;
}

int sc_link_wait(sc_link *l, int wake_fd, long timeout_ms, char *why, size_t why_size)
{
    long long end = util_mono_ms() + timeout_ms;

    for (;;) {
        struct pollfd p[2];
        nfds_t n = 0, conn_at = 0;
        long long left = end - util_mono_ms();
        int rc;

        if (left <= 0)
            return 0;
        if (wake_fd >= 0) {
            p[n].fd = wake_fd;
            p[n++].events = POLLIN;
        }
        /* A FIN or a reset makes it readable (POLLIN; POLLHUP and POLLERR
         * come unasked). */
        if (l->conn != NULL) {
            conn_at = n;
            p[n].fd = kafka_conn_fd(l->conn);
            p[n++].events = POLLIN;
        }
        rc = poll(p, n, left > INT_MAX ? INT_MAX : (int)left);
        if (rc < 0 && errno != EINTR) {
            /* Cannot happen with valid fds; never spin on it. */
            sc_sleep_ms((long)left);
            return 0;
        }
        if (rc <= 0)
            continue;
        if (wake_fd >= 0 && p[0].revents != 0)
            return 0;
        if (l->conn != NULL && p[conn_at].revents != 0 && idle_news(l, why, why_size))
            return 1;
    }
}

void sc_link_used(sc_link *l, int timeout_ms)
{
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err = {{0}};
    long long now = util_mono_ms();

    l->used_ms = now;
    if (now - l->opened_ms <= SC_LINK_MAX_AGE_MS || dial(l, timeout_ms, &c, &av, &err) != 0)
        return;
    sc_link_close(l);
    l->conn = c;
    l->av = av;
    l->opened_ms = l->used_ms = util_mono_ms();
}
