/* What config.c gives the two loaders of a kube_config, kubeconfig.c and
 * in_cluster.c. Internal to lib/kube. */
#ifndef BERTH_KUBE_CONFIG_INT_H
#define BERTH_KUBE_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Reads a whole regular file, NUL-terminated, into a new *out of *len
 * bytes. FIFOs, devices and the like are refused rather than read, since
 * reading them could block or never end. The message is the reason only:
 * callers name the file; errno tells a missing file from others. */
int kube_config_read_file(const char *path, char **out, size_t *len, util_err *err);

/* "dir/name", new; NULL out of memory. */
char *kube_config_path_join(const char *dir, const char *name);

/* True if s has no spaces or control characters: it ends up in a URL and,
 * with tls-server-name, in a Host header. */
bool kube_config_printable(const char *s);

#endif
