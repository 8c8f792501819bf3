/* The cluster's Services. Three kinds, because clients reach brokers three
 * ways:
 *
 * - headless "<c>-brokers": every pod's DNS name, for replication, the KRaft
 *   quorum and the internal listener. It publishes not-ready addresses:
 *   voters must resolve each other before any is Ready, and a broker that
 *   still leads partitions stays reachable while /readyz is false.
 * - "<c>-bootstrap": a ClusterIP on the internal listener for in-cluster
 *   bootstrap; the only one gated on readiness.
 * - "<c>-<id>-<listener>" per broker and nodeport/loadbalancer listener,
 *   selecting one pod by statefulset.kubernetes.io/pod-name. Node ports are
 *   nodePortBase + id, so they stay put when a broker moves, and
 *   externalTrafficPolicy Local keeps the traffic on the broker's own node
 *   (whose address is what the broker advertises). Not-ready addresses are
 *   published for the same reason as on the headless Service. */
#include <stdio.h>

#include "desired.h"

static cJSON *port_entry(const char *name, int port, int node_port)
{
    cJSON *p = cJSON_CreateObject();

    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddNumberToObject(p, "port", port);
    cJSON_AddNumberToObject(p, "targetPort", port);
    cJSON_AddStringToObject(p, "protocol", "TCP");
    if (node_port > 0)
        cJSON_AddNumberToObject(p, "nodePort", node_port);
    return p;
}

static cJSON *headless(const op_cluster *c)
{
    char name[OP_NAME_MAX + 16];
    cJSON *s =
        op_object_new(c, "v1", "Service", op_name(c, "-brokers", name, sizeof name), "broker");
    cJSON *spec = cJSON_AddObjectToObject(s, "spec"), *ports;

    cJSON_AddStringToObject(spec, "type", "ClusterIP");
    cJSON_AddStringToObject(spec, "clusterIP", "None");
    cJSON_AddBoolToObject(spec, "publishNotReadyAddresses", 1);
    cJSON_AddItemToObject(spec, "selector", op_selector_new(c));
    ports = cJSON_AddArrayToObject(spec, "ports");
    for (int i = 0; i < c->nlisteners; i++)
        cJSON_AddItemToArray(ports, port_entry(c->listeners[i].name, c->listeners[i].port, 0));
    if (c->flavor == OP_FLAVOR_KAFKA)
        cJSON_AddItemToArray(ports, port_entry("controller", c->controller_port, 0));
    return s;
}

static cJSON *bootstrap(const op_cluster *c)
{
    char name[OP_NAME_MAX + 16];
    const op_listener *l = &c->listeners[c->internal];
    cJSON *s =
        op_object_new(c, "v1", "Service", op_name(c, "-bootstrap", name, sizeof name), "bootstrap");
    cJSON *spec = cJSON_AddObjectToObject(s, "spec"), *ports;

    cJSON_AddStringToObject(spec, "type", "ClusterIP");
    cJSON_AddItemToObject(spec, "selector", op_selector_new(c));
    ports = cJSON_AddArrayToObject(spec, "ports");
    cJSON_AddItemToArray(ports, port_entry(l->name, l->port, 0));
    return s;
}

static cJSON *per_broker(const op_cluster *c, const op_listener *l, int id)
{
    char name[OP_NAME_MAX + 48], pod[OP_NAME_MAX + 16];
    cJSON *s, *spec, *sel, *ports;

    snprintf(name, sizeof name, "%s-%d-%s", c->name, id, l->name);
    snprintf(pod, sizeof pod, "%s-%d", c->name, id);
    s = op_object_new(c, "v1", "Service", name, "broker-external");
    spec = cJSON_AddObjectToObject(s, "spec");
    cJSON_AddStringToObject(spec, "type",
                            l->type == OP_LISTENER_NODEPORT ? "NodePort" : "LoadBalancer");
    cJSON_AddStringToObject(spec, "externalTrafficPolicy", "Local");
    cJSON_AddBoolToObject(spec, "publishNotReadyAddresses", 1);
    sel = op_selector_new(c);
    cJSON_AddStringToObject(sel, "statefulset.kubernetes.io/pod-name", pod);
    cJSON_AddItemToObject(spec, "selector", sel);
    ports = cJSON_AddArrayToObject(spec, "ports");
    cJSON_AddItemToArray(
        ports,
        port_entry(l->name, l->port, l->type == OP_LISTENER_NODEPORT ? l->node_port_base + id : 0));
    return s;
}

cJSON *op_desired_services(const op_cluster *c, util_err *err)
{
    cJSON *a = cJSON_CreateArray();

    (void)err;
    cJSON_AddItemToArray(a, headless(c));
    cJSON_AddItemToArray(a, bootstrap(c));
    for (int i = 0; i < c->nlisteners; i++) {
        const op_listener *l = &c->listeners[i];

        if (l->type != OP_LISTENER_NODEPORT && l->type != OP_LISTENER_LOADBALANCER)
            continue;
        for (int id = 0; id < c->replicas; id++)
            cJSON_AddItemToArray(a, per_broker(c, l, id));
    }
    return a;
}
