/* Where the Kubernetes API is and how to prove who we are to it: a kubeconfig
 * file (or several, merged as kubectl merges them) or the service-account
 * files Kubernetes mounts into a pod. Everything the client needs ends up in
 * one flat kube_config, so the HTTP side never sees YAML.
 *
 * users[].user.exec, a credential plugin, is checked at load and run when a
 * credential is first needed (exec.h).
 *
 * Not supported, and rejected with an error naming the field rather than
 * ignored (ignoring them would mean talking to the API as someone else, or
 * by another route, than the file says): auth-provider, username/password
 * and the impersonation fields (as, as-uid, as-groups, as-user-extra);
 * clusters[].cluster.proxy-url.
 * Encrypted private keys are refused too: there is no one to ask for the
 * passphrase. */
#ifndef BERTH_KUBE_CONFIG_H
#define BERTH_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/exec.h"
#include "util/err.h"

/* The service-account directory Kubernetes mounts into every pod. */
#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* A resolved configuration. All members are owned by the struct and freed by
 * kube_config_free. PEM buffers are NUL-terminated (the NUL is not counted in
 * the length) and were checked to parse when loaded. */
typedef struct kube_config {
    char *source;          /* what it was loaded from, for messages */
    char *context;         /* the context used; NULL for in-cluster */
    char *server;          /* "https://host:port[/prefix]", no trailing '/' */
    char *tls_server_name; /* name to verify the server as; NULL: the URL's host */
    bool insecure;         /* skip server verification; only if explicitly true */
    char *ca_pem;          /* trusted CAs; NULL: the system's store */
    size_t ca_pem_len;
    char *cert_pem; /* client certificate (chain); NULL: none */
    size_t cert_pem_len;
    char *key_pem; /* its private key; set exactly when cert_pem is */
    size_t key_pem_len;
    char *token;      /* bearer token; NULL: none */
    char *token_file; /* if set, re-read for every request and wins over token */
    char *namespace;  /* the context's namespace, "default" if unset */
    /* The user's credential plugin, with its cached credential; NULL: none.
     * Set only without token, tokenFile and a client certificate. */
    kube_exec *exec;
} kube_config;

/* Loads a kubeconfig as kubectl does. `path` names one file that must exist;
 * if NULL, $KUBECONFIG (a ':'-separated list, see kube_config_load_list) is
 * used, else ~/.kube/config. `context` overrides current-context when not
 * NULL. On success *out is a new config for kube_config_free. */
int kube_config_load(const char *path, const char *context, kube_config **out,
                     util_err *err) UTIL_MUST_CHECK;

/* Loads and merges a ':'-separated list of kubeconfig files. Files that do
 * not exist are skipped (as kubectl does); at least one must exist. For each
 * named cluster, user and context the first file defining it wins, and
 * current-context comes from the first file that sets it. Relative paths in
 * an entry resolve against the directory of the file defining that entry. */
int kube_config_load_list(const char *list, const char *context, kube_config **out,
                          util_err *err) UTIL_MUST_CHECK;

/* Parses a kubeconfig held in memory. `name` is used in messages; relative
 * file paths resolve against `base_dir`, and are an error if it is NULL. */
int kube_config_load_buffer(const void *data, size_t len, const char *name, const char *base_dir,
                            const char *context, kube_config **out, util_err *err) UTIL_MUST_CHECK;

/* The configuration of a pod: the API at $KUBERNETES_SERVICE_HOST and
 * $KUBERNETES_SERVICE_PORT, trusting <sa_dir>/ca.crt, authenticating with
 * <sa_dir>/token (a path, re-read per request because the kubelet rotates
 * it), in the namespace from <sa_dir>/namespace. `sa_dir` NULL means
 * KUBE_SA_DIR; tests point it elsewhere. */
int kube_config_in_cluster(const char *sa_dir, kube_config **out, util_err *err) UTIL_MUST_CHECK;

/* The bearer token to send now: token_file's current contents (trimmed) if
 * set, else token, else what the exec plugin returned (running it if no
 * unexpired credential is cached). *out is NULL when there is none, else a
 * new string the caller frees with free(). */
int kube_config_token(const kube_config *cfg, char **out, util_err *err) UTIL_MUST_CHECK;

/* A deep copy, for kube_config_free. */
int kube_config_dup(const kube_config *cfg, kube_config **out, util_err *err) UTIL_MUST_CHECK;

void kube_config_free(kube_config *cfg);

#endif
