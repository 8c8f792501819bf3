/* Do the other brokers dial this one where it is now; see peer_dns.h. */
#include "engine/kafka/peer_dns.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd.h"
#include "util/clock.h"
#include "util/log.h"

/* Are a and b the same IPv4 or IPv6 address, however written? */
static bool same_ip(const char *a, const char *b)
{
    unsigned char x[16], y[16];

    if (inet_pton(AF_INET, a, x) == 1)
        return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
    if (inet_pton(AF_INET6, a, x) == 1)
        return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
    return false;
}

/* "a, b, c" of what the lookup found, or its error. */
static void found(const char *const *addrs, int naddrs, const char *lookup_error, char *buf,
                  size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    if (lookup_error != NULL) {
        snprintf(buf, size, "does not resolve (%s)", lookup_error);
        return;
    }
    used = (size_t)snprintf(buf, size, "resolves to ");
    for (int i = 0; i < naddrs && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", addrs[i]);
}

int sc_peer_dns_judge(sc_peer_dns *p, const char *const *addrs, int naddrs,
                      const char *lookup_error, long long now_ms, char *why, size_t size)
{
    char what[256];
    bool mine = false;

    if (size > 0)
        why[0] = '\0';
    if (p->settled || p->name == NULL || p->pod_ip == NULL)
        return 1;
    if (p->first_ms == 0)
        p->first_ms = now_ms;
    for (int i = 0; lookup_error == NULL && i < naddrs && !mine; i++)
        mine = same_ip(addrs[i], p->pod_ip);
    if (!mine) {
        /* Gone back to another address: the wait starts again when it is
         * right once more. */
        p->seen_ms = 0;
        found(addrs, naddrs, lookup_error, what, sizeof what);
        if (now_ms - p->first_ms >= SC_PEER_DNS_GIVE_UP_MS) {
            util_warn("%s %s, not this pod's %s, after %ld ms; handing leadership back "
                      "anyway",
                      p->name, what, p->pod_ip, SC_PEER_DNS_GIVE_UP_MS);
            p->settled = true;
            return 1;
        }
        snprintf(why, size,
                 "leadership is handed back once peers dial this pod: %s %s, not this "
                 "pod's %s",
                 p->name, what, p->pod_ip);
        return 0;
    }
    if (p->seen_ms == 0) {
        p->seen_ms = now_ms;
        util_info("%s resolves to this pod's %s; leadership is handed back in %ld ms, once "
                  "no peer's or client's DNS cache can hold an older address",
                  p->name, p->pod_ip, p->settle_ms);
    }
    if (now_ms - p->seen_ms < p->settle_ms) {
        snprintf(why, size,
                 "leadership is handed back %ld ms after %s resolved to this pod's %s, when "
                 "no peer's or client's DNS cache can hold an older address",
                 p->settle_ms, p->name, p->pod_ip);
        return 0;
    }
    p->settled = true;
    return 1;
}

int sc_peer_dns_check(sc_peer_dns *p, char *why, size_t size)
{
    struct addrinfo hints, *res = NULL, *ai;
    char text[SC_PEER_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
    const char *addrs[SC_PEER_DNS_MAX_ADDRS];
    int n = 0, rc;

    if (p->settled || p->name == NULL || p->pod_ip == NULL)
        return sc_peer_dns_judge(p, NULL, 0, NULL, util_mono_ms(), why, size);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(p->name, NULL, &hints, &res);
    if (rc != 0)
        return sc_peer_dns_judge(p, NULL, 0, gai_strerror(rc), util_mono_ms(), why, size);
    for (ai = res; ai != NULL && n < SC_PEER_DNS_MAX_ADDRS; ai = ai->ai_next) {
        const void *a = ai->ai_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            inet_ntop(ai->ai_family, a, text[n], sizeof text[n]) != NULL) {
            addrs[n] = text[n];
            n++;
        }
    }
    freeaddrinfo(res);
    return sc_peer_dns_judge(p, addrs, n, NULL, util_mono_ms(), why, size);
}
