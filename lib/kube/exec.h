/* The kubeconfig `exec` credential plugin, as kubectl runs it: a command
 * named in users[].user.exec prints a client.authentication.k8s.io
 * ExecCredential (v1 or v1beta1) on stdout, holding a bearer token and/or a
 * client certificate and key, and maybe when they expire. Cloud providers
 * hand out short-lived credentials this way (aws eks get-token,
 * gke-gcloud-auth-plugin, kubelogin).
 *
 * The plugin runs when a credential is first needed, not when the
 * kubeconfig is loaded, with the args and env the kubeconfig gives, stdin
 * on /dev/null (berth never has a terminal to offer) and
 * KUBERNETES_EXEC_INFO describing the request. Its credential is kept until
 * its expirationTimestamp (for good if it has none) or until the API
 * refuses it (kube_exec_invalidate), then the plugin runs again. Threads
 * share one kube_exec; a run in progress makes the others wait for its
 * result rather than start a second run. */
#ifndef BERTH_KUBE_EXEC_H
#define BERTH_KUBE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KUBE_EXEC_V1      "client.authentication.k8s.io/v1"
#define KUBE_EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"

/* How long a plugin may take before it is killed. */
#define KUBE_EXEC_TIMEOUT_MS 60000L
/* The most of its stdout that is read. */
#define KUBE_EXEC_MAX_OUTPUT (1 << 20)

/* What the kubeconfig says; everything is copied by kube_exec_new. */
typedef struct kube_exec_spec {
    const char *where;   /* "kubeconfig <file>: user \"<name>\"", prefixed to messages */
    const char *command; /* a path, or a name looked up in $PATH */
    const char *const *args;
    size_t nargs;
    const char *const *env; /* "NAME=value", set on top of our environment */
    size_t nenv;
    const char *api_version;  /* KUBE_EXEC_V1 or KUBE_EXEC_V1BETA1 */
    const char *install_hint; /* shown when the command is missing; may be NULL */
    const char *exec_info;    /* the value of KUBERNETES_EXEC_INFO */
} kube_exec_spec;

typedef struct kube_exec kube_exec;

/* What the plugin printed: ExecCredential.status. */
typedef struct kube_exec_credential {
    char *token;    /* NULL: none */
    char *cert_pem; /* NUL-terminated PEM; set exactly when key_pem is */
    size_t cert_pem_len;
    char *key_pem;
    size_t key_pem_len;
    int64_t expiry; /* wall ns since the epoch; 0: no expiry given */
} kube_exec_credential;

int kube_exec_new(const kube_exec_spec *spec, kube_exec **out, util_err *err) UTIL_MUST_CHECK;

/* A copy with the same spec, and the cached credential if there is one. */
int kube_exec_dup(kube_exec *x, kube_exec **out, util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. Wipes the cached credential. */
void kube_exec_free(kube_exec *x);

/* The credential to use now: the cached one while it has not expired, else
 * a fresh one from running the plugin. *out is a copy for
 * kube_exec_credential_clear. *serial (if not NULL) changes whenever the
 * plugin has run since, so a caller can tell a new certificate from the one
 * it has. On failure err reads like
 *   kubeconfig /x: user "u": exec: command aws: exited with status 1: ...
 */
int kube_exec_get(kube_exec *x, kube_exec_credential *out, unsigned long *serial,
                  util_err *err) UTIL_MUST_CHECK;

/* Drops the cached credential: the API refused it (a 401, or a TLS
 * handshake ended over its certificate). */
void kube_exec_invalidate(kube_exec *x);

/* Parses an ExecCredential (len bytes of JSON, not NUL-terminated in
 * general). It must be of api_version, kind ExecCredential, with a status
 * holding a token or a certificate and key (which must match), and a
 * parseable expirationTimestamp if any. err names the field at fault. Pure;
 * a fuzz target drives it. */
int kube_exec_credential_parse(const void *data, size_t len, const char *api_version,
                               kube_exec_credential *out, util_err *err) UTIL_MUST_CHECK;

/* Wipes and frees what c holds. */
void kube_exec_credential_clear(kube_exec_credential *c);

#endif
