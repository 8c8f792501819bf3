/* The judging of `addresses --check` (see addresses_check.h): what a
 * Metadata answer says of an address, and how a listener can be dialled. */
#include "addresses_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *pl_check_verdict_name(pl_check_verdict v)
{
    switch (v) {
    case PL_CHECK_OK:
        return "ok";
    case PL_CHECK_WRONG_BROKER:
        return "wrong broker";
    case PL_CHECK_NOT_ADVERTISED:
        return "not advertised";
    case PL_CHECK_UNREACHABLE:
        return "unreachable";
    case PL_CHECK_NOT_CHECKED:
        break;
    }
    return "not checked";
}

/* hostport's host (brackets of an IPv6 literal removed) into host and its
 * port into *port. -1 when it is not "host:port". */
static int split(const char *hostport, char *host, size_t size, long *port)
{
    const char *colon = strrchr(hostport, ':'), *h = hostport;
    size_t n;
    char *end;

    if (colon == NULL || colon[1] == '\0')
        return -1;
    n = (size_t)(colon - hostport);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= size)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = strtol(colon + 1, &end, 10);
    return *end == '\0' && *port > 0 && *port <= 65535 ? 0 : -1;
}

static bool is_at(const kafka_metadata_broker *b, const char *host, long port)
{
    return b->host != NULL && strcasecmp(b->host, host) == 0 && b->port == port;
}

pl_check_verdict pl_check_judge(const kafka_metadata *md, int32_t id, const char *hostport,
                                char *detail, size_t size)
{
    const kafka_metadata_broker *self = kafka_metadata_broker_find(md, id);
    char host[256];
    long port = 0;

    detail[0] = '\0';
    if (split(hostport, host, sizeof host, &port) == 0) {
        if (self != NULL && is_at(self, host, port))
            return PL_CHECK_OK;
        for (int32_t i = 0; i < md->n_brokers; i++)
            if (is_at(&md->brokers[i], host, port)) {
                snprintf(detail, size, "Metadata lists this address under broker %d",
                         md->brokers[i].node_id);
                return PL_CHECK_WRONG_BROKER;
            }
    }
    if (self != NULL)
        snprintf(detail, size, "Metadata lists broker %d at %s:%d", id,
                 self->host != NULL ? self->host : "(no host)", self->port);
    else
        snprintf(detail, size, "Metadata does not list broker %d", id);
    return PL_CHECK_NOT_ADVERTISED;
}

pl_check_dial pl_check_how(const pl_cluster_doc *doc, const char *listener, char *why, size_t size)
{
    const pl_doc_listener *l = NULL;

    why[0] = '\0';
    for (int i = 0; i < doc->nlisteners && l == NULL; i++)
        if (strcmp(doc->listeners[i].name, listener) == 0)
            l = &doc->listeners[i];
    if (l == NULL) {
        snprintf(why, size, "cluster.json does not describe listener %s", listener);
        return PL_DIAL_NONE;
    }
    if (strcmp(l->security, "PLAINTEXT") == 0)
        return PL_DIAL_PLAINTEXT;
    if (strcmp(l->security, "SSL") == 0 && l->cluster_cert)
        return PL_DIAL_CLUSTER_TLS;
    if (strcmp(l->security, "SSL") == 0)
        snprintf(why, size,
                 "SSL with the certificate of a user's Secret: the plugin has no CA "
                 "for it");
    else if (strncmp(l->security, "SASL_", 5) == 0)
        snprintf(why, size, "%s: the plugin has no SASL credentials", l->security);
    else
        snprintf(why, size, "security protocol %s is not known to the plugin", l->security);
    return PL_DIAL_NONE;
}
