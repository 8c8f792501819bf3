/* Address choice for advertised listeners (see address.h and
 * docs/addressing.md). */
#include "address.h"

#include <stdio.h>
#include <string.h>

#include "kube/object.h"

static const char *first_of_type(const cJSON *addrs, const char *type)
{
    const cJSON *a;

    cJSON_ArrayForEach(a, addrs)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(a, "type");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "address");

        if (cJSON_IsString(t) && cJSON_IsString(v) && strcmp(t->valuestring, type) == 0 &&
            v->valuestring[0] != '\0')
            return v->valuestring;
    }
    return NULL;
}

const char *op_node_address(const cJSON *node, op_addr_type pref, op_addr_type *used)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(node, "status");
    const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(status, "addresses");
    const char *a;

    if (!cJSON_IsArray(addrs))
        return NULL;
    if ((a = first_of_type(addrs, op_addr_type_name(pref))) != NULL) {
        if (used != NULL)
            *used = pref;
        return a;
    }
    for (int t = 0; t < OP_ADDR_TYPES; t++) {
        if (t == (int)pref)
            continue;
        if ((a = first_of_type(addrs, op_addr_type_name((op_addr_type)t))) != NULL) {
            if (used != NULL)
                *used = (op_addr_type)t;
            return a;
        }
    }
    return NULL;
}

bool op_address_fallback(const op_listener *l, const cJSON *node, op_addr_type *used)
{
    op_addr_type t;

    if (!op_listener_uses_node_address(l) || node == NULL ||
        op_node_address(node, l->addr_type, &t) == NULL)
        return false;
    *used = t;
    return t != l->addr_type;
}

int op_advertised_port(const op_listener *l, int id)
{
    return l->type == OP_LISTENER_NODEPORT ? l->node_port_base + id : l->port;
}

int op_pod_dns(const op_cluster *c, int id, const char *domain, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s-%d.%s-brokers.%s.svc.%s", c->name, id, c->name, c->namespace,
                     domain);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int op_expand_template(const char *tmpl, int id, char *buf, size_t size)
{
    size_t o = 0;

    for (const char *p = tmpl; *p != '\0';) {
        int n;

        if (strncmp(p, "{id}", 4) == 0) {
            n = snprintf(buf + o, size - o, "%d", id);
            p += 4;
        } else {
            n = snprintf(buf + o, size - o, "%c", *p);
            p++;
        }
        if (n < 0 || (size_t)n >= size - o)
            return -1;
        o += (size_t)n;
    }
    if (o >= size)
        return -1;
    buf[o] = '\0';
    return 0;
}

int op_host_port(const char *host, int port, char *buf, size_t size)
{
    int n = strchr(host, ':') != NULL ? snprintf(buf, size, "[%s]:%d", host, port)
                                      : snprintf(buf, size, "%s:%d", host, port);

    return n < 0 || (size_t)n >= size ? -1 : 0;
}

const char *op_service_ingress(const cJSON *svc)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(svc, "status");
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(st, "loadBalancer");
    const cJSON *ing = cJSON_GetObjectItemCaseSensitive(lb, "ingress");
    const cJSON *first = cJSON_IsArray(ing) ? cJSON_GetArrayItem(ing, 0) : NULL;
    const cJSON *v;

    if (first == NULL)
        return NULL;
    v = cJSON_GetObjectItemCaseSensitive(first, "ip");
    if (cJSON_IsString(v) && v->valuestring[0] != '\0')
        return v->valuestring;
    v = cJSON_GetObjectItemCaseSensitive(first, "hostname");
    if (cJSON_IsString(v) && v->valuestring[0] != '\0')
        return v->valuestring;
    return NULL;
}

int op_advertised_address(const op_cluster *c, const op_listener *l, int id, const char *domain,
                          const cJSON *node, const cJSON *lb_svc, char *buf, size_t size)
{
    char host[OP_ADDR_MAX];
    const char *h;
    int n;

    if (l->type == OP_LISTENER_INTERNAL) {
        if (op_pod_dns(c, id, domain, host, sizeof host) != 0)
            return -1;
        return op_host_port(host, l->port, buf, size);
    }
    if (l->host_template != NULL) {
        if (op_expand_template(l->host_template, id, host, sizeof host) != 0)
            return -1;
        return op_host_port(host, op_advertised_port(l, id), buf, size);
    }
    if (l->type == OP_LISTENER_LOADBALANCER) {
        if ((h = lb_svc != NULL ? op_service_ingress(lb_svc) : NULL) == NULL) {
            n = snprintf(buf, size, "the load balancer of broker %d has no ingress yet", id);
            return n < 0 || (size_t)n >= size ? -1 : 1;
        }
        return op_host_port(h, l->port, buf, size);
    }
    if (node == NULL) {
        n = snprintf(buf, size, "broker %d is not on a node yet", id);
        return n < 0 || (size_t)n >= size ? -1 : 1;
    }
    if ((h = op_node_address(node, l->addr_type, NULL)) == NULL) {
        const char *name = NULL;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(node, "metadata");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(m, "name");

        name = cJSON_IsString(nm) ? nm->valuestring : "?";
        n = snprintf(buf, size, "node \"%.64s\" has no address", name);
        return n < 0 || (size_t)n >= size ? -1 : 1;
    }
    return op_host_port(h, op_advertised_port(l, id), buf, size);
}

int op_address_fingerprint(const op_cluster *c, int id, const char *domain, const cJSON *node,
                           const cJSON *services, char *buf, size_t size)
{
    size_t o = 0;

    if (size == 0)
        return -1;
    buf[0] = '\0';
    for (int i = 0; i < c->nlisteners; i++) {
        const op_listener *l = &c->listeners[i];
        char svc[OP_NAME_MAX + 48], addr[OP_ADDR_MAX];
        int rc, n;

        if (!op_listener_external(l))
            continue;
        snprintf(svc, sizeof svc, "%s-%d-%s", c->name, id, l->name);
        rc = op_advertised_address(c, l, id, domain, node, kube_find_by_name(services, svc), addr,
                                   sizeof addr);
        if (rc != 0)
            return rc;
        n = snprintf(buf + o, size - o, "%s=%s;", l->name, addr);
        if (n < 0 || (size_t)n >= size - o)
            return -1;
        o += (size_t)n;
    }
    return 0;
}
