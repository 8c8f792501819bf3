/* `kubectl berth addresses --check`: is each advertised address, dialled
 * from where the plugin runs, answered by the broker that advertises it?
 *
 * Kafka has no "who am I": a client that reaches an address asks it for
 * Metadata and from then on uses the address listed under each broker id.
 * So the check asks the address for Metadata (brokers only) and looks for
 * that very host:port there: under the expected id it is right; under
 * another id a client would take this address for another broker; not
 * listed, the broker answering does not advertise it on this listener.
 *
 * The judging is pure (pl_check_judge, pl_check_how) so that tests feed it
 * decoded answers; the dialling (addresses_probe.c) is at the edge. */
#ifndef BERTH_PL_ADDRESSES_CHECK_H
#define BERTH_PL_ADDRESSES_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "broker_link.h"
#include "kafka/metadata.h"
#include "plugin.h"
#include "util/err.h"

/* The TCP connect and TLS handshake, and each call (ApiVersions,
 * Metadata), per address: an address that does not answer in this time
 * is as good as unreachable for a client too. */
#define PL_CHECK_TIMEOUT_MS 5000

typedef enum pl_check_verdict {
    PL_CHECK_OK,             /* Metadata lists the address under the expected id */
    PL_CHECK_WRONG_BROKER,   /* ... under another id */
    PL_CHECK_NOT_ADVERTISED, /* Metadata answered without the address */
    PL_CHECK_UNREACHABLE,    /* no connection, handshake or answer */
    PL_CHECK_NOT_CHECKED,    /* the plugin lacks what the listener asks of a client */
} pl_check_verdict;

/* v as the table and -o json say it: "ok", "wrong broker", "not
 * advertised", "unreachable", "not checked" (static). */
const char *pl_check_verdict_name(pl_check_verdict v);

/* Judges md, the Metadata answered at hostport ("host:port", "[v6]:port"),
 * for broker id: detail (size > 0) gets why when not ok ("Metadata lists
 * this address under broker 2", "Metadata lists broker 0 at h:9094",
 * "Metadata does not list broker 0"), else "". Hosts compare without
 * case, as DNS does. */
pl_check_verdict pl_check_judge(const kafka_metadata *md, int32_t id, const char *hostport,
                                char *detail, size_t size);

/* How the plugin dials a listener. */
typedef enum pl_check_dial {
    PL_DIAL_PLAINTEXT,
    PL_DIAL_CLUSTER_TLS, /* TLS verified against the cluster CA (ca.crt) */
    PL_DIAL_NONE,        /* not checked: why says why */
} pl_check_dial;

/* How to dial listener as doc (cluster.json) describes it; why (size > 0)
 * gets the reason for PL_DIAL_NONE ("SASL_SSL: the plugin has no SASL
 * credentials"), else "". */
pl_check_dial pl_check_how(const pl_cluster_doc *doc, const char *listener, char *why, size_t size);

/* Dials each address of each broker of report (a pl_addresses_report of
 * a cluster, which gets "check": {listener: {"result", "detail"?}} per
 * broker), of listener only (NULL: every listener), with ctx's rights in
 * the report's namespace: cluster.json for the listeners' security, and
 * the cluster CA for a listener with the cluster's certificate. Returns
 * how many addresses were judged wrong broker, not advertised or
 * unreachable; or -1 with err when the cluster cannot be checked at all
 * (no cluster.json, no listener only). */
int pl_addresses_check(const pl_ctx *ctx, cJSON *report, const char *only,
                       util_err *err) UTIL_MUST_CHECK;

#endif
