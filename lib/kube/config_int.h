/* What the two loaders of a kube_config, kubeconfig.c and in_cluster.c,
 * share with config.c. Internal to lib/kube. */
#ifndef BERTH_KUBE_CONFIG_INT_H
#define BERTH_KUBE_CONFIG_INT_H

#include <stdbool.h>

/* Kubeconfigs, PEM files and tokens are small. The cap bounds what a path
 * pointing somewhere odd can make us read (util_file_read's max). Files
 * are read following symbolic links: mounted Secrets and ConfigMaps are
 * links. */
#define KUBE_CONFIG_FILE_MAX (4 << 20)

/* True if s has no spaces or control characters: it ends up in a URL and,
 * with tls-server-name, in a Host header. */
bool kube_config_printable(const char *s);

#endif
