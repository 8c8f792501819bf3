/* The kube_config itself: the bearer token to send now, copying and
 * freeing; and the check its loaders (kubeconfig.c, in_cluster.c) share
 * through config_int.h. */
#include "kube/config.h"
#include "kube/config_int.h"
#include "kube/credential.h"
#include "util/file.h"
#include "util/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True if s has no spaces or control characters: it ends up in a URL and,
 * with tls-server-name, in a Host header. */
bool kube_config_printable(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

int kube_config_token(const kube_config *cfg, char **out, util_err *err)
{
    char *tok;
    size_t len;

    *out = NULL;
    if (cfg->token_file != NULL) {
        if (util_file_read(cfg->token_file, KUBE_CONFIG_FILE_MAX, UTIL_FILE_FOLLOW, &tok, &len,
                           err) != 0)
            return -1; /* err names the file */
        if (memchr(tok, '\0', len) != NULL)
            util_err_set(err, "contains a NUL byte");
        if (memchr(tok, '\0', len) != NULL || kube_cred_check_token(tok, err) != 0) {
            kube_cred_secret_free(tok, len);
            return util_err_prefix(err, "%s", cfg->token_file);
        }
        *out = tok;
        return 0;
    }
    if (cfg->token == NULL && cfg->exec != NULL) {
        kube_exec_credential cred;

        if (kube_exec_get(cfg->exec, &cred, NULL, err) != 0)
            return -1;
        *out = cred.token;
        cred.token = NULL;
        kube_exec_credential_clear(&cred);
        return 0;
    }
    if (cfg->token == NULL)
        return 0;
    tok = util_strdup(cfg->token);
    if (tok == NULL)
        return util_err_set(err, "out of memory");
    if (kube_cred_check_token(tok, err) != 0) {
        kube_cred_secret_free(tok, strlen(tok));
        return util_err_prefix(err, "token");
    }
    *out = tok;
    return 0;
}

static int dup_mem(char **dst, const char *src, size_t len)
{
    if (src == NULL)
        return 0;
    *dst = util_strndup(src, len);
    return *dst == NULL ? -1 : 0;
}

int kube_config_dup(const kube_config *cfg, kube_config **out, util_err *err)
{
    kube_config *c = calloc(1, sizeof *c);

    *out = NULL;
    if (c == NULL)
        return util_err_set(err, "out of memory");
    c->insecure = cfg->insecure;
    c->ca_pem_len = cfg->ca_pem_len;
    c->cert_pem_len = cfg->cert_pem_len;
    c->key_pem_len = cfg->key_pem_len;
    if ((cfg->source && dup_mem(&c->source, cfg->source, strlen(cfg->source))) ||
        (cfg->context && dup_mem(&c->context, cfg->context, strlen(cfg->context))) ||
        (cfg->server && dup_mem(&c->server, cfg->server, strlen(cfg->server))) ||
        (cfg->tls_server_name &&
         dup_mem(&c->tls_server_name, cfg->tls_server_name, strlen(cfg->tls_server_name))) ||
        dup_mem(&c->ca_pem, cfg->ca_pem, cfg->ca_pem_len) ||
        dup_mem(&c->cert_pem, cfg->cert_pem, cfg->cert_pem_len) ||
        dup_mem(&c->key_pem, cfg->key_pem, cfg->key_pem_len) ||
        (cfg->token && dup_mem(&c->token, cfg->token, strlen(cfg->token))) ||
        (cfg->token_file && dup_mem(&c->token_file, cfg->token_file, strlen(cfg->token_file))) ||
        (cfg->namespace && dup_mem(&c->namespace, cfg->namespace, strlen(cfg->namespace)))) {
        kube_config_free(c);
        return util_err_set(err, "out of memory");
    }
    if (cfg->exec != NULL && kube_exec_dup(cfg->exec, &c->exec, err) != 0) {
        kube_config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void kube_config_free(kube_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->source);
    free(cfg->context);
    free(cfg->server);
    free(cfg->tls_server_name);
    free(cfg->ca_pem);
    free(cfg->cert_pem);
    kube_cred_secret_free(cfg->key_pem, cfg->key_pem_len);
    kube_cred_secret_free(cfg->token, cfg->token ? strlen(cfg->token) : 0);
    free(cfg->token_file);
    free(cfg->namespace);
    kube_exec_free(cfg->exec);
    free(cfg);
}
