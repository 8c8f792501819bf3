/* The kube_config itself: the bearer token to send now, copying and
 * freeing; and the file helpers its loaders (kubeconfig.c, in_cluster.c)
 * share through config_int.h. */
#include "kube/config.h"
#include "kube/config_int.h"
#include "kube/credential.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Kubeconfigs, PEM files and tokens are small. The cap bounds what a path
 * pointing somewhere odd can make us read. */
#define FILE_MAX (4 << 20)

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *dup_s(const char *s)
{
    return s == NULL ? NULL : dup_n(s, strlen(s));
}

/* Reads a whole regular file, NUL-terminated. FIFOs, devices and the like are
 * refused rather than read, since reading them could block or never end; the
 * non-blocking open keeps even the open from waiting on a FIFO. The message
 * is the reason only: callers name the file. */
int kube_config_read_file(const char *path, char **out, size_t *len, util_err *err)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int fd;

    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;

        util_err_set(err, "%s", strerror(e));
        errno = e; /* callers tell a missing file from others */
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return util_err_set(err, "not a regular file");
    }
    for (;;) {
        ssize_t r;

        if (cap - n < 4096) {
            char *nb;

            cap = cap == 0 ? 8192 : cap * 2;
            nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                util_err_set(err, "out of memory");
                goto fail;
            }
            buf = nb;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            util_err_set(err, "%s", strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > FILE_MAX) {
            util_err_set(err, "larger than %d bytes", FILE_MAX);
            goto fail;
        }
    }
    close(fd);
    if (buf == NULL && (buf = malloc(1)) == NULL)
        return util_err_set(err, "out of memory");
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
fail:
    close(fd);
    free(buf);
    return -1;
}

char *kube_config_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = malloc(dl + 1 + nl + 1);

    if (p != NULL) {
        memcpy(p, dir, dl);
        p[dl] = '/';
        memcpy(p + dl + 1, name, nl + 1);
    }
    return p;
}

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
        if (kube_config_read_file(cfg->token_file, &tok, &len, err) != 0)
            return util_err_prefix(err, "%s", cfg->token_file);
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
    tok = dup_s(cfg->token);
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
    *dst = dup_n(src, len);
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
