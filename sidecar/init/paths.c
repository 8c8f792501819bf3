/* Where init writes the TLS files Kafka and Redpanda read (paths.h). */
#include "init/paths.h"

#include <stdio.h>

void sc_tls_bundle_path(const char *config_dir, const char *listener, char *buf, size_t size)
{
    snprintf(buf, size, "%s/tls/%s-keystore.pem", config_dir, listener);
}

void sc_tls_ca_path(const char *config_dir, const char *listener, char *buf, size_t size)
{
    snprintf(buf, size, "%s/tls/%s-ca.pem", config_dir, listener);
}

void sc_cluster_tls_path(const char *config_dir, const char *file, char *buf, size_t size)
{
    snprintf(buf, size, "%s/" SC_CLUSTER_TLS_SUBDIR "/%s", config_dir, file);
}
