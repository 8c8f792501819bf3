/* Do the other brokers dial this one where it is now? The Kafka engine's
 * hand-back (restore) waits for it.
 *
 * Brokers reach each other by their pod DNS names, and a pod that a roll
 * restarts comes back with a new IP. What a peer resolved while the old pod
 * was still being served (DNS keeps a terminating pod's record until the
 * pod is deleted, and a broker's peers dial it again the moment it shuts
 * down) stays in that peer's caches: its JVM's (no longer than
 * SC_KAFKA_JVM_DNS_TTL_S, render_kafka.c) and a caching DNS server's (the
 * record's TTL, 5 s from CoreDNS's kubernetes plugin). A partition handed
 * back before those expire has followers that cannot fetch from their new
 * leader: acks=all produce requests to it wait for them, and if the roll
 * stops the next broker meanwhile, the partition stalls until the stale
 * entries expire, longer than a producer's delivery timeout may allow.
 * In-cluster clients resolve the name too, and a JVM client keeps what it
 * resolved for 30 s unless told otherwise: the wait covers the longer of
 * the two caches (sc_kafka_peer_dns_settle_ms, engine.h).
 *
 * So the hand-back waits until the name has resolved to this pod's IP for
 * settle_ms: every stale entry was fetched before that moment and expires
 * within settle_ms of it. A pod whose name never resolves to its IP (a
 * network where the two differ) stops the wait after SC_PEER_DNS_GIVE_UP_MS
 * rather than keep its broker unready. Once settled it stays settled: the
 * pod keeps its IP while it lives, so a broker container restarted alone
 * waits no more. A sidecar started anew in a running pod waits settle_ms
 * once, having no way to know how long the name has been right.
 *
 * One thread uses an sc_peer_dns at a time (run's prober). */
#ifndef BERTH_SIDECAR_ENGINE_KAFKA_PEER_DNS_H
#define BERTH_SIDECAR_ENGINE_KAFKA_PEER_DNS_H

#include <stdbool.h>
#include <stddef.h>

#define SC_PEER_DNS_GIVE_UP_MS 60000L
/* Addresses of one lookup that are looked at. */
#define SC_PEER_DNS_MAX_ADDRS 8

typedef struct sc_peer_dns {
    const char *name;   /* what peers dial, e.g. "demo-1.demo-brokers.kafka.svc.cluster.local";
                           borrowed; NULL: no wait */
    const char *pod_ip; /* this pod's IP; borrowed; NULL: no wait */
    long settle_ms;     /* how long the name must have resolved to pod_ip */
    long long first_ms; /* the first check; 0 before it */
    long long seen_ms;  /* the first check that found pod_ip; 0 before it */
    bool settled;       /* settled, or given up: no more lookups */
} sc_peer_dns;

/* The pure part: what one lookup found (addrs[0..naddrs), numeric; or
 * lookup_error when it failed) at now_ms. Returns 1 once peers may be
 * handed leadership, else 0 with why saying what it waits for. Logs when
 * the name starts resolving to pod_ip, and when the wait ends. */
int sc_peer_dns_judge(sc_peer_dns *p, const char *const *addrs, int naddrs,
                      const char *lookup_error, long long now_ms, char *why, size_t size);

/* Looks p->name up (getaddrinfo: the resolver the pod's brokers use) and
 * judges it, on util_mono_ms()'s clock. Returns as sc_peer_dns_judge; no
 * lookup once settled or without a name or pod IP. May block for the
 * resolver's own timeouts. */
int sc_peer_dns_check(sc_peer_dns *p, char *why, size_t size);

#endif
