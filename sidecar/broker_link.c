/* The prober's held broker connection; see broker_link.h. */
#include "broker_link.h"

#include <stdio.h>

#include "cmd.h"

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
    long long start = sc_now_ms();

    *gone = 0;
    if (l->conn != NULL)
        return 0;
    if (dial(l, timeout_ms, &l->conn, &l->av, err) == 0) {
        l->opened_ms = l->used_ms = sc_now_ms();
        return 0;
    }
    /* Why did it fail? Only "nothing listens" says the process is gone. */
    timeout_ms -= (int)(sc_now_ms() - start);
    if (kafka_conn_refused(l->addr, timeout_ms > 100 ? timeout_ms : 100)) {
        *gone = 1;
        snprintf(why, why_size, "nothing listens on %s (connection refused)", l->addr);
    }
    return -1;
}

int sc_link_broke(sc_link *l, char *why, size_t why_size)
{
    int closed = l->conn != NULL && kafka_conn_closed_by_peer(l->conn);
    long long idle = sc_now_ms() - l->used_ms;

    sc_link_close(l);
    if (!closed || idle > SC_LINK_MAX_IDLE_MS)
        return 0;
    snprintf(why, why_size, "it closed the sidecar's connection to %s (its process ended)",
             l->addr);
    return 1;
}

void sc_link_used(sc_link *l, int timeout_ms)
{
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    util_err err = {{0}};
    long long now = sc_now_ms();

    l->used_ms = now;
    if (now - l->opened_ms <= SC_LINK_MAX_AGE_MS || dial(l, timeout_ms, &c, &av, &err) != 0)
        return;
    sc_link_close(l);
    l->conn = c;
    l->av = av;
    l->opened_ms = l->used_ms = sc_now_ms();
}
