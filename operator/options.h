/* What berth-operator was started with and applies to every cluster: the
 * flags main.c reads, handed to reconcile and the desired-object builders.
 * Its own header so the builders (desired.h) and the cluster CA
 * (cluster_tls.h) can both read it without including each other. */
#ifndef BERTH_OP_OPTIONS_H
#define BERTH_OP_OPTIONS_H

#include <stdbool.h>

/* How long what the operator issues for a cluster's mutual TLS lives
 * (cluster_tls.h). */
typedef struct op_cert_policy {
    long long ca_validity_s;  /* the CA */
    long long validity_s;     /* every certificate it issues */
    long long renew_before_s; /* a certificate this close to expiry is renewed */
} op_cert_policy;

/* The defaults: a CA for ten years, certificates for a year, renewed 30
 * days before they expire. */
extern const op_cert_policy op_cert_policy_default;

typedef struct op_options {
    const char *sidecar_image;  /* used when spec.sidecar.image is unset */
    const char *cluster_domain; /* e.g. "cluster.local" */
    /* Admin connections dial the annotation berth.io/admin-bootstrap
     * (kafka_admin.h); false: ignore it. */
    bool admin_bootstrap_annotation;
    op_cert_policy certs; /* the cluster CA's certificates (cluster_tls.h) */
} op_options;

#endif
