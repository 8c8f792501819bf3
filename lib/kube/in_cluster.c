/* The configuration of a pod, from the service-account files Kubernetes
 * mounts into it and the API address in its environment; see config.h. */
#include "kube/config.h"
#include "kube/config_int.h"
#include "kube/credential.h"
#include "util/file.h"
#include "util/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kube_config_in_cluster(const char *sa_dir, kube_config **out, util_err *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    kube_config *cfg;
    char *ca_path = NULL, *ns_path = NULL, *ns = NULL, *tok = NULL;
    size_t len, n;
    int rc = -1, r;

    *out = NULL;
    if (sa_dir == NULL)
        sa_dir = KUBE_SA_DIR;
    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
        return util_err_set(err, "in-cluster config: KUBERNETES_SERVICE_HOST and "
                                 "KUBERNETES_SERVICE_PORT must be set (not in a pod?)");
    if (!kube_config_printable(host) || strpbrk(host, "/?#@[]") != NULL)
        return util_err_set(err, "in-cluster config: KUBERNETES_SERVICE_HOST %s: not a host", host);
    if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) < 1 ||
        atoi(port) > 65535)
        return util_err_set(err, "in-cluster config: KUBERNETES_SERVICE_PORT %s: not a port", port);
    cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL)
        return util_err_set(err, "out of memory");
    n = strlen(host) + strlen(port) + sizeof "https://[]:";
    cfg->server = malloc(n);
    cfg->source = malloc(strlen(sa_dir) + sizeof "in-cluster ");
    cfg->token_file = util_printf("%s/token", sa_dir);
    ca_path = util_printf("%s/ca.crt", sa_dir);
    ns_path = util_printf("%s/namespace", sa_dir);
    if (cfg->server == NULL || cfg->source == NULL || cfg->token_file == NULL || ca_path == NULL ||
        ns_path == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    /* An IPv6 service address needs brackets in a URL. */
    snprintf(cfg->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    sprintf(cfg->source, "in-cluster %s", sa_dir);
    if (util_file_read(ca_path, KUBE_CONFIG_FILE_MAX, UTIL_FILE_FOLLOW, &cfg->ca_pem,
                       &cfg->ca_pem_len, err) != 0) {
        util_err_prefix(err, "in-cluster config");
        goto out;
    }
    if (!kube_cred_has_cert(cfg->ca_pem, cfg->ca_pem_len)) {
        util_err_set(err, "in-cluster config: %s: no PEM certificate found", ca_path);
        goto out;
    }
    if (kube_config_token(cfg, &tok, err) != 0) {
        util_err_prefix(err, "in-cluster config");
        goto out;
    }
    r = util_file_read(ns_path, KUBE_CONFIG_FILE_MAX, UTIL_FILE_FOLLOW, &ns, &len, err);
    if (r == 0) {
        char *end = ns + len;

        while (end > ns && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
            *--end = '\0';
        if (end == ns) {
            free(ns);
            ns = NULL;
        } else if (strspn(ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != (size_t)(end - ns)) {
            util_err_set(err, "in-cluster config: %s: not a namespace name", ns_path);
            goto out;
        }
    } else if (r < 0) { /* 1: no namespace file, "default" */
        util_err_prefix(err, "in-cluster config");
        goto out;
    }
    cfg->namespace = ns != NULL ? ns : util_strdup("default");
    ns = NULL;
    if (cfg->namespace == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    *out = cfg;
    cfg = NULL;
    rc = 0;
out:
    kube_cred_secret_free(tok, tok != NULL ? strlen(tok) : 0);
    free(ns);
    free(ca_path);
    free(ns_path);
    kube_config_free(cfg);
    return rc;
}
