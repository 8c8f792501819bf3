/* The DNS name rules Kubernetes puts on object names, namespaces and
 * labels, named after apimachinery's validators (IsDNS1123Label,
 * IsDNS1123Subdomain, IsDNS1035Label) with the same rules and maximum
 * lengths, so berth refuses exactly what the API server would. Pure
 * functions; NULL is never a valid name. */
#ifndef BERTH_KUBE_NAMES_H
#define BERTH_KUBE_NAMES_H

#include <stdbool.h>

#define KUBE_DNS1123_LABEL_MAX     63
#define KUBE_DNS1123_SUBDOMAIN_MAX 253
#define KUBE_DNS1035_LABEL_MAX     63

/* An RFC 1123 label (a namespace, a Service port name's host part): 1 to
 * 63 lower-case letters, digits and '-', beginning and ending with a letter
 * or digit. */
bool kube_is_dns1123_label(const char *s);

/* An RFC 1123 subdomain (most object names: Secrets, ConfigMaps, Pods):
 * dot-separated RFC 1123 labels, at most 253 bytes in all. */
bool kube_is_dns1123_subdomain(const char *s);

/* An RFC 1035 label (a Service's name): an RFC 1123 label that begins with
 * a letter. */
bool kube_is_dns1035_label(const char *s);

#endif
