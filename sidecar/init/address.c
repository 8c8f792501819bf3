/* Address resolution (docs/addressing.md): what this broker advertises on
 * each listener, from its host template, its load balancer's ingress or
 * its node's address, and the pod DNS name its peers dial (address.h). */
#include "init/address.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "init/check.h"

/* Appends one reason to wait to the list in *why. */
void sc_wait_for(util_buf *why, const char *fmt, ...)
{
    char msg[384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (why->len > 0)
        util_buf_adds(why, "; ");
    util_buf_adds(why, msg);
}

/* The template with every "{id}" replaced. */
static int expand_template(const char *tmpl, int id, char *buf, size_t size)
{
    size_t n = 0;
    int k;

    for (const char *p = tmpl; *p != '\0';) {
        if (strncmp(p, "{id}", 4) == 0) {
            k = snprintf(buf + n, size - n, "%d", id);
            if (k < 0 || (size_t)k >= size - n)
                return -1;
            n += (size_t)k;
            p += 4;
        } else {
            if (n + 1 >= size)
                return -1;
            buf[n++] = *p++;
        }
    }
    buf[n] = '\0';
    return 0;
}

/* Fills each listener's advertised host and port. Addresses not known yet
 * go to why; wrong ones are errors. node and broker may be NULL (absent). */
int sc_address_resolve(sc_model *m, util_buf *why, util_err *err)
{
    const cJSON *node = m->node, *broker = m->broker;
    const char *node_name = m->node_name;
    const cJSON *addrs = NULL;
    char dns[512];
    sc_where nw = {"", ""}, bw = {"", ""};

    sc_where_at(&nw, "nodes.json: node \"%s\"", node_name);
    sc_where_at(&bw, "brokers.json: broker \"%d\"", m->broker_id);
    if (node != NULL && sc_get_obj(node, "addresses", true, &addrs, &nw, err) != 0)
        return -1;
    sc_where_prefix(&nw, "addresses.");
    sc_pod_dns(m, m->broker_id, dns, sizeof dns);
    if (strlen(dns) > SC_HOST_MAX)
        return util_err_set(err, "cluster.json: the pod DNS name %.64s... is longer than %d bytes",
                            dns, SC_HOST_MAX);

    for (size_t i = 0; i < m->nlisteners; i++) {
        sc_listener *l = &m->listeners[i];
        const cJSON *entry = NULL;
        const char *host = NULL;
        long port = l->port;
        int rc = 1;

        if (l->type == SC_LISTENER_INTERNAL) {
            snprintf(l->adv_host, sizeof l->adv_host, "%.253s", dns);
            l->adv_port = l->port;
            continue;
        }
        sc_where_prefix(&bw, "%s", "");
        if (broker != NULL && sc_get_obj(broker, l->name, true, &entry, &bw, err) != 0)
            return -1;
        sc_where_prefix(&bw, "%s.", l->name);

        /* The port: brokers.json's if given; a node port has no default. */
        if (entry != NULL && (rc = sc_get_int(entry, "port", 1, 65535, true, &port, &bw, err)) < 0)
            return -1;
        if (rc == 1 && l->type == SC_LISTENER_NODEPORT)
            sc_wait_for(why, "broker %d has no node port for listener \"%s\" in brokers.json yet",
                        m->broker_id, l->name);
        l->adv_port = (int)port;

        /* The host: the template, the load balancer's ingress or the node's
         * address. */
        if (l->host_template != NULL) {
            if (expand_template(l->host_template, m->broker_id, l->adv_host, sizeof l->adv_host) !=
                    0 ||
                !sc_is_dns_name(l->adv_host, false))
                return util_err_set(err,
                                    "cluster.json: listeners[%zu].hostTemplate: \"%.64s\" "
                                    "does not give a lower-case DNS name for broker %d",
                                    i, l->host_template, m->broker_id);
            continue;
        }
        if (l->type == SC_LISTENER_LOADBALANCER) {
            if (entry != NULL && sc_get_str(entry, "host", true, &host, &bw, err) < 0)
                return -1;
            if (host == NULL || host[0] == '\0') {
                sc_wait_for(why,
                            "load balancer of listener \"%s\" for broker %d has no ingress yet",
                            l->name, m->broker_id);
                continue;
            }
            if (!sc_is_host(host, &l->adv_host_ipv6))
                return sc_fail(err, &bw, "host", "\"%.64s\" is not an IP address or DNS name",
                               host);
        } else {
            if (node == NULL)
                continue; /* reported once by the caller */
            if (addrs != NULL && sc_get_str(addrs, l->name, true, &host, &nw, err) < 0)
                return -1;
            if (host == NULL || host[0] == '\0') {
                sc_wait_for(why, "node \"%s\" has no address for listener \"%s\" yet", node_name,
                            l->name);
                continue;
            }
            if (!sc_is_host(host, &l->adv_host_ipv6))
                return sc_fail(err, &nw, l->name, "\"%.64s\" is not an IP address or DNS name",
                               host);
        }
        snprintf(l->adv_host, sizeof l->adv_host, "%s", host);
    }
    return 0;
}
