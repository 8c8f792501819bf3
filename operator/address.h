/* Which address each broker advertises on each listener, by the rules of
 * docs/addressing.md. The operator writes the node addresses into the
 * <cluster>-brokers ConfigMap and reports the resulting host:port pairs in
 * status; the sidecar's init step makes the same choice from that data, so
 * the rules live in exactly one place on each side. Pure functions. */
#ifndef BERTH_OP_ADDRESS_H
#define BERTH_OP_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cluster.h"

/* Long enough for a DNS name (253) plus ":65535". */
#define OP_ADDR_MAX 272

/* The address of a Node (the object as the API returns it) for a listener
 * preferring type pref: the first entry of status.addresses of that type,
 * else the first of the remaining types in the order ExternalIP,
 * InternalIP, Hostname. Several of one type: the first listed wins.
 * Returns the address, borrowed from node, with *used set to the type it
 * has; or NULL when the node lists no usable address. used may be NULL. */
const char *op_node_address(const cJSON *node, op_addr_type pref, op_addr_type *used);

/* Whether listener l, which advertises an address of node (nodeport and
 * hostport listeners without advertisedHostTemplate), gets one of another
 * type than its addressType because the node lacks that type: returns
 * true with *used set to the type advertised instead. False for other
 * listeners, a NULL node or a node with no usable address. */
bool op_address_fallback(const op_listener *l, const cJSON *node, op_addr_type *used);

/* The advertised port of listener l for broker id: a node port listener
 * advertises its node port (nodePortBase + id), never the container port;
 * every other type the listener port. */
int op_advertised_port(const op_listener *l, int id);

/* The internal listener's host of broker id:
 * "<cluster>-<id>.<cluster>-brokers.<namespace>.svc.<domain>". Returns 0, or
 * -1 when buf is too small. */
int op_pod_dns(const op_cluster *c, int id, const char *domain, char *buf, size_t size);

/* Writes "<template with {id} replaced>" into buf. Returns 0, or -1 when buf
 * is too small. */
int op_expand_template(const char *tmpl, int id, char *buf, size_t size);

/* "host:port", with brackets around an IPv6 host. Returns 0, or -1 when buf
 * is too small. */
int op_host_port(const char *host, int port, char *buf, size_t size);

/* The load balancer's ingress of a Service: status.loadBalancer.ingress[0]
 * ip, else hostname; NULL if none yet. Borrowed from svc. */
const char *op_service_ingress(const cJSON *svc);

/* What broker id advertises on listener l as host:port. node is the Node the
 * broker's pod runs on (NULL: not scheduled yet), lb_svc its per-broker
 * LoadBalancer Service (NULL: none). Returns 0 with buf set, 1 when the
 * address is not known yet (buf then says what is missing), or -1 when
 * buf is too small. */
int op_advertised_address(const op_cluster *c, const op_listener *l, int id, const char *domain,
                          const cJSON *node, const cJSON *lb_svc, char *buf, size_t size);

/* What broker id advertises on its external listeners, as one string
 * ("external=203.0.113.10:31090;" per listener, in spec order): the
 * fingerprint the operator pins on a broker pod when it first sees it, to
 * notice later that the address moved under the running broker. node and
 * lb services as for op_advertised_address (services: the array of live
 * Services). Returns 0, 1 when an address is not known yet, or -1 when buf
 * is too small. */
int op_address_fingerprint(const op_cluster *c, int id, const char *domain, const cJSON *node,
                           const cJSON *services, char *buf, size_t size);

#endif
