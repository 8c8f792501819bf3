/* Kubeconfig and in-cluster configuration; see config.h.
 *
 * Each file is parsed with libyaml's document API and kept as a tree while
 * the context, cluster and user are looked up across the files in order, so
 * merging is "first file defining a name wins" without building a merged
 * copy. Only the entries actually used are read field by field; the shape of
 * every list is checked up front so a broken file fails even if its broken
 * part is unused, as it does for kubectl. */
#include "kube/config.h"
#include "kube/config_int.h"
#include "util/base64.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yaml.h>

/* Kubeconfigs, PEM files and tokens are small. The cap bounds what a path
 * pointing somewhere odd can make us read. */
#define FILE_MAX (4 << 20)

/* One parsed kubeconfig file. */
typedef struct kc_file {
    const char *name; /* for messages; borrowed from the caller */
    char *dir;        /* relative paths resolve here; NULL: they are an error */
    bool loaded;      /* doc holds a document to delete */
    yaml_document_t doc;
    yaml_node_t *root; /* a mapping inside doc */
} kc_file;

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

/* Wipes secrets before freeing: a core dump or a reused heap block should
 * not carry a private key or token. */
static void free_secret(char *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

/* Reads a whole regular file, NUL-terminated. FIFOs, devices and the like are
 * refused rather than read, since reading them could block or never end; the
 * non-blocking open keeps even the open from waiting on a FIFO. The message
 * is the reason only: callers name the file. */
static int read_file(const char *path, char **out, size_t *len, util_err *err)
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

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* The first certificate in a PEM buffer, or NULL. */
static X509 *pem_first_cert(const char *pem, size_t len)
{
    BIO *b;
    X509 *x;

    if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
        return NULL;
    x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    ERR_clear_error();
    return x;
}

/* Checks a client certificate and key once at load, so a broken one is
 * reported against its field rather than as an obscure TLS failure later. */
int kube_config_check_pair(const char *cert, size_t cert_len, const char *key, size_t key_len,
                           util_err *err)
{
    X509 *x = pem_first_cert(cert, cert_len);
    EVP_PKEY *k = NULL;
    BIO *b = NULL;
    int rc = -1;

    if (x == NULL) {
        util_err_set(err, "no PEM certificate found");
        goto out;
    }
    if (key_len <= INT_MAX && (b = BIO_new_mem_buf(key, (int)key_len)) != NULL)
        k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
    if (k == NULL) {
        util_err_set(err, "no unencrypted PEM private key found");
        rc = -2;
        goto out;
    }
    if (X509_check_private_key(x, k) != 1) {
        util_err_set(err, "does not match the client certificate");
        rc = -2;
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_free(k);
    BIO_free(b);
    X509_free(x);
    ERR_clear_error();
    return rc;
}

/* ---- YAML tree access ---- */

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);

    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

/* YAML's null, which kubectl treats as the field being absent. */
static bool is_null(const yaml_node_t *n)
{
    return n == NULL ||
           (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (n->data.scalar.length == 0 || scalar_is(n, "~") || scalar_is(n, "null") ||
             scalar_is(n, "Null") || scalar_is(n, "NULL")));
}

/* The value under `key` in a mapping (the first, if repeated), or NULL if
 * absent, null or if map is not a mapping. */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);

        if (k != NULL && scalar_is(k, key)) {
            yaml_node_t *v = yaml_document_get_node(d, p->value);
            return is_null(v) ? NULL : v;
        }
    }
    return NULL;
}

/* A string field: *out is a new string, or NULL when absent or empty (an
 * empty string means unset to kubectl as well). */
static int get_str(yaml_document_t *d, yaml_node_t *map, const char *key, char **out, util_err *err)
{
    yaml_node_t *n = map_get(d, map, key);

    *out = NULL;
    if (n == NULL)
        return 0;
    if (n->type != YAML_SCALAR_NODE)
        return util_err_set(err, "%s: not a string", key);
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
        return util_err_set(err, "%s: contains a NUL byte", key);
    if (n->data.scalar.length == 0)
        return 0;
    *out = dup_n((const char *)n->data.scalar.value, n->data.scalar.length);
    return *out == NULL ? util_err_set(err, "out of memory") : 0;
}

static int get_bool(yaml_document_t *d, yaml_node_t *map, const char *key, bool *out, util_err *err)
{
    yaml_node_t *n = map_get(d, map, key);

    *out = false;
    if (n == NULL)
        return 0;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (scalar_is(n, "true") || scalar_is(n, "True") || scalar_is(n, "TRUE")) {
            *out = true;
            return 0;
        }
        if (scalar_is(n, "false") || scalar_is(n, "False") || scalar_is(n, "FALSE"))
            return 0;
    }
    return util_err_set(err, "%s: not a boolean", key);
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a mapping";
    }
}

/* Checks that f's `list` (e.g. "clusters") is a list of mappings, each with a
 * string name and, if present, an `inner` (e.g. "cluster") mapping. */
static int check_list(kc_file *f, const char *list, const char *inner, util_err *err)
{
    yaml_node_t *seq = map_get(&f->doc, f->root, list);
    int i = 0;

    if (seq == NULL)
        return 0;
    if (seq->type != YAML_SEQUENCE_NODE)
        return util_err_set(err, "%s: is %s, not a list", list, node_kind(seq));
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++, i++) {
        yaml_node_t *e = yaml_document_get_node(&f->doc, *it);
        yaml_node_t *v;
        char *name;

        if (e == NULL || e->type != YAML_MAPPING_NODE)
            return util_err_set(err, "%s[%d]: not a mapping", list, i);
        if (get_str(&f->doc, e, "name", &name, err) != 0)
            return util_err_prefix(err, "%s[%d]", list, i);
        if (name == NULL)
            return util_err_set(err, "%s[%d]: name: missing", list, i);
        v = map_get(&f->doc, e, inner);
        if (v != NULL && v->type != YAML_MAPPING_NODE) {
            util_err_set(err, "%s \"%s\": %s: not a mapping", inner, name, inner);
            free(name);
            return -1;
        }
        free(name);
    }
    return 0;
}

/* libyaml's message for a parse failure, with where it happened. */
static int yaml_problem(const yaml_parser_t *p, util_err *err)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";

    if (p->error == YAML_MEMORY_ERROR)
        return util_err_set(err, "out of memory");
    /* Reader errors (bad encoding, control characters) have no line yet. */
    if (p->error == YAML_READER_ERROR)
        return util_err_set(err, "byte %zu: %s", p->problem_offset, problem);
    return util_err_set(err, "line %zu column %zu: %s%s%s", p->problem_mark.line + 1,
                        p->problem_mark.column + 1, p->context ? p->context : "",
                        p->context ? ": " : "", problem);
}

/* A kubeconfig nests about six levels deep. libyaml's scanner slows down
 * worse than quadratically with nesting (100,000 '[' take half a minute),
 * so a first pass over the events refuses deep documents before the loader
 * builds the tree; it stops at the first document, as the loader does. */
#define MAX_DEPTH 64

static int check_depth(const void *data, size_t len, util_err *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int depth = 0, rc = 0;
    bool done = false;

    if (!yaml_parser_initialize(&p))
        return util_err_set(err, "out of memory");
    yaml_parser_set_input_string(&p, data, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = yaml_problem(&p, err);
            break;
        }
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > MAX_DEPTH)
                rc = util_err_set(err, "line %zu: nested more than %d levels deep",
                                  ev.start_mark.line + 1, MAX_DEPTH);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Parses one file's bytes into f and checks its shape. The message names
 * what is wrong; the caller prefixes the file. */
static int parse_file(kc_file *f, const void *data, size_t len, util_err *err)
{
    yaml_parser_t p;
    char *cur;

    if (check_depth(data, len, err) != 0)
        return -1;
    if (!yaml_parser_initialize(&p))
        return util_err_set(err, "out of memory");
    yaml_parser_set_input_string(&p, data, len);
    if (!yaml_parser_load(&p, &f->doc)) {
        yaml_problem(&p, err);
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    f->loaded = true;
    f->root = yaml_document_get_root_node(&f->doc);
    if (f->root == NULL || is_null(f->root))
        return util_err_set(err, "empty file: no kubeconfig in it");
    if (f->root->type != YAML_MAPPING_NODE)
        return util_err_set(err, "top level is %s, not a mapping", node_kind(f->root));
    if (check_list(f, "clusters", "cluster", err) != 0 ||
        check_list(f, "users", "user", err) != 0 || check_list(f, "contexts", "context", err) != 0)
        return -1;
    if (get_str(&f->doc, f->root, "current-context", &cur, err) != 0)
        return -1;
    free(cur);
    return 0;
}

static void file_clear(kc_file *f)
{
    if (f->loaded)
        yaml_document_delete(&f->doc);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

/* Finds the entry called `name` in the first file defining it. Sets *file
 * and *node (the entry's `inner` mapping, NULL if it has none). */
static bool lookup(kc_file *files, size_t n, const char *list, const char *inner, const char *name,
                   kc_file **file, yaml_node_t **node)
{
    for (size_t i = 0; i < n; i++) {
        kc_file *f = &files[i];
        yaml_node_t *seq = map_get(&f->doc, f->root, list);

        if (seq == NULL)
            continue;
        for (yaml_node_item_t *it = seq->data.sequence.items.start;
             it < seq->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(&f->doc, *it);
            yaml_node_t *nm = map_get(&f->doc, e, "name");

            if (nm != NULL && scalar_is(nm, name)) {
                *file = f;
                *node = map_get(&f->doc, e, inner);
                return true;
            }
        }
    }
    return false;
}

static char *path_join(const char *dir, const char *name)
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

/* A path from a file, made absolute against the file's directory. */
static int resolve_path(const kc_file *f, const char *path, char **out, util_err *err)
{
    if (path[0] != '/' && f->dir == NULL)
        return util_err_set(err, "relative path %s but no directory to resolve it in", path);
    *out = path[0] == '/' ? dup_s(path) : path_join(f->dir, path);
    return *out == NULL ? util_err_set(err, "out of memory") : 0;
}

/* Fetches PEM bytes given inline (data_key, base64) or by path (file_key).
 * *which is set to the key that supplied them, or NULL if neither did. */
static int get_pem(kc_file *f, yaml_node_t *map, const char *file_key, const char *data_key,
                   char **out, size_t *len, const char **which, util_err *err)
{
    char *path = NULL, *data = NULL, *abs = NULL;
    int rc = -1;

    *out = NULL;
    *len = 0;
    *which = NULL;
    if (get_str(&f->doc, map, file_key, &path, err) != 0 ||
        get_str(&f->doc, map, data_key, &data, err) != 0)
        goto out;
    if (path != NULL && data != NULL) {
        util_err_set(err, "%s and %s are both set", file_key, data_key);
        goto out;
    }
    if (data != NULL) {
        *which = data_key;
        if (util_base64_decode(data, strlen(data), out, len) != 0) {
            util_err_set(err, "%s: invalid base64", data_key);
            goto out;
        }
    } else if (path != NULL) {
        *which = file_key;
        if (resolve_path(f, path, &abs, err) != 0 || read_file(abs, out, len, err) != 0) {
            if (abs != NULL)
                util_err_prefix(err, "%s", abs);
            util_err_prefix(err, "%s", file_key);
            goto out;
        }
    }
    rc = 0;
out:
    free(path);
    free(data);
    free(abs);
    return rc;
}

/* Keys kubectl understands that berth does not yet. Ignoring them would mean
 * talking to the API as someone else, or by another route, than intended. */
static int reject_unsupported(kc_file *f, yaml_node_t *map, const char *const *keys, util_err *err)
{
    for (; *keys != NULL; keys++)
        if (map_get(&f->doc, map, *keys) != NULL)
            return util_err_set(err, "%s: not supported", *keys);
    return 0;
}

/* True if s has no spaces or control characters: it ends up in a URL and,
 * with tls-server-name, in a Host header. */
static bool printable(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

static int load_cluster(kc_file *f, yaml_node_t *map, kube_config *cfg, util_err *err)
{
    static const char *const unsupported[] = {"proxy-url", NULL};
    const char *which;
    size_t n, scheme;

    if (reject_unsupported(f, map, unsupported, err) != 0)
        return -1;
    if (get_str(&f->doc, map, "server", &cfg->server, err) != 0)
        return -1;
    if (cfg->server == NULL)
        return util_err_set(err, "server: missing");
    scheme = 0;
    if (strncmp(cfg->server, "https://", 8) == 0)
        scheme = 8;
    else if (strncmp(cfg->server, "http://", 7) == 0)
        scheme = 7;
    n = strlen(cfg->server);
    while (scheme > 0 && n > scheme && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    if (scheme == 0 || n == scheme || cfg->server[scheme] == '/' ||
        strpbrk(cfg->server, "?#") != NULL || !printable(cfg->server))
        return util_err_set(err, "server: %s: not an http:// or https:// URL", cfg->server);
    if (get_str(&f->doc, map, "tls-server-name", &cfg->tls_server_name, err) != 0 ||
        get_bool(&f->doc, map, "insecure-skip-tls-verify", &cfg->insecure, err) != 0)
        return -1;
    if (cfg->tls_server_name != NULL &&
        strspn(cfg->tls_server_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789.-_") != strlen(cfg->tls_server_name))
        return util_err_set(err, "tls-server-name: %s: not a host name", cfg->tls_server_name);
    if (get_pem(f, map, "certificate-authority", "certificate-authority-data", &cfg->ca_pem,
                &cfg->ca_pem_len, &which, err) != 0)
        return -1;
    if (cfg->ca_pem != NULL) {
        X509 *x = pem_first_cert(cfg->ca_pem, cfg->ca_pem_len);

        if (x == NULL)
            return util_err_set(err, "%s: no PEM certificate found", which);
        X509_free(x);
        if (cfg->insecure)
            return util_err_set(err, "insecure-skip-tls-verify: not allowed together with %s",
                                which);
    }
    return 0;
}

/* KUBERNETES_EXEC_INFO: an ExecCredential with only its spec, telling the
 * plugin it has no terminal and, if the kubeconfig allows, which cluster
 * the credential is for. */
static char *exec_info(const char *api_version, bool provide_cluster, const kube_config *cfg)
{
    cJSON *j = cJSON_CreateObject(), *spec, *cl;
    char *ca = NULL, *s = NULL;
    bool ok;

    spec = cJSON_AddObjectToObject(j, "spec");
    ok = spec != NULL && cJSON_AddStringToObject(j, "apiVersion", api_version) != NULL &&
         cJSON_AddStringToObject(j, "kind", "ExecCredential") != NULL &&
         cJSON_AddFalseToObject(spec, "interactive") != NULL;
    if (ok && provide_cluster) {
        cl = cJSON_AddObjectToObject(spec, "cluster");
        ok = cl != NULL && cJSON_AddStringToObject(cl, "server", cfg->server) != NULL;
        if (ok && cfg->tls_server_name != NULL)
            ok = cJSON_AddStringToObject(cl, "tls-server-name", cfg->tls_server_name) != NULL;
        if (ok && cfg->insecure)
            ok = cJSON_AddTrueToObject(cl, "insecure-skip-tls-verify") != NULL;
        if (ok && cfg->ca_pem != NULL)
            ok = (ca = util_base64_encode(cfg->ca_pem, cfg->ca_pem_len)) != NULL &&
                 cJSON_AddStringToObject(cl, "certificate-authority-data", ca) != NULL;
    }
    if (ok)
        s = cJSON_PrintUnformatted(j);
    free(ca);
    cJSON_Delete(j);
    return s;
}

/* A list of strings under key in map; *out (NULL-terminated, new) and *n.
 * Messages name key[i]. */
static int get_str_list(yaml_document_t *d, yaml_node_t *map, const char *key, char ***out,
                        size_t *n, util_err *err)
{
    yaml_node_t *seq = map_get(d, map, key);
    size_t cap;

    *out = NULL;
    *n = 0;
    if (seq == NULL)
        return 0;
    if (seq->type != YAML_SEQUENCE_NODE)
        return util_err_set(err, "%s: not a list", key);
    cap = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if ((*out = calloc(cap + 1, sizeof **out)) == NULL)
        return util_err_set(err, "out of memory");
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *e = yaml_document_get_node(d, *it);

        if (e == NULL || e->type != YAML_SCALAR_NODE ||
            memchr(e->data.scalar.value, '\0', e->data.scalar.length) != NULL)
            return util_err_set(err, "%s[%zu]: not a string", key, *n);
        (*out)[*n] = dup_n((const char *)e->data.scalar.value, e->data.scalar.length);
        if ((*out)[*n] == NULL)
            return util_err_set(err, "out of memory");
        (*n)++;
    }
    return 0;
}

static void free_str_list(char **l)
{
    if (l == NULL)
        return;
    for (char **p = l; *p != NULL; p++)
        free(*p);
    free(l);
}

/* env: a list of {name, value}, as "NAME=value" strings. */
static int get_env_list(yaml_document_t *d, yaml_node_t *map, char ***out, size_t *n, util_err *err)
{
    yaml_node_t *seq = map_get(d, map, "env");
    size_t cap;

    *out = NULL;
    *n = 0;
    if (seq == NULL)
        return 0;
    if (seq->type != YAML_SEQUENCE_NODE)
        return util_err_set(err, "env: not a list");
    cap = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if ((*out = calloc(cap + 1, sizeof **out)) == NULL)
        return util_err_set(err, "out of memory");
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *e = yaml_document_get_node(d, *it);
        char *name = NULL, *value = NULL, *kv;

        if (e == NULL || e->type != YAML_MAPPING_NODE)
            return util_err_set(err, "env[%zu]: not a mapping", *n);
        if (get_str(d, e, "name", &name, err) != 0 || get_str(d, e, "value", &value, err) != 0) {
            free(name);
            return util_err_prefix(err, "env[%zu]", *n);
        }
        if (name == NULL || strchr(name, '=') != NULL) {
            util_err_set(err, "env[%zu]: name: %s", *n, name == NULL ? "missing" : "contains '='");
            free(name);
            free(value);
            return -1;
        }
        kv = malloc(strlen(name) + (value != NULL ? strlen(value) : 0) + 2);
        if (kv != NULL)
            sprintf(kv, "%s=%s", name, value != NULL ? value : "");
        free(name);
        free(value);
        if (kv == NULL)
            return util_err_set(err, "out of memory");
        (*out)[(*n)++] = kv;
    }
    return 0;
}

/* users[].user.exec. The cluster is already in cfg (the plugin may be told
 * about it). Messages start with "exec: "; the caller names file and user. */
static int load_exec(kc_file *f, yaml_node_t *ex, kube_config *cfg, const char *user, util_err *err)
{
    char *command = NULL, *abs = NULL, *api = NULL, *hint = NULL, *mode = NULL, *info = NULL;
    char **args = NULL, **env = NULL, where[600];
    size_t nargs = 0, nenv = 0;
    bool provide = false;
    int rc = -1;

    if (ex->type != YAML_MAPPING_NODE) {
        util_err_set(err, "not a mapping");
        goto out;
    }
    if (get_str(&f->doc, ex, "command", &command, err) != 0 ||
        get_str(&f->doc, ex, "apiVersion", &api, err) != 0 ||
        get_str(&f->doc, ex, "installHint", &hint, err) != 0 ||
        get_str(&f->doc, ex, "interactiveMode", &mode, err) != 0 ||
        get_bool(&f->doc, ex, "provideClusterInfo", &provide, err) != 0 ||
        get_str_list(&f->doc, ex, "args", &args, &nargs, err) != 0 ||
        get_env_list(&f->doc, ex, &env, &nenv, err) != 0)
        goto out;
    if (command == NULL) {
        util_err_set(err, "command: missing");
        goto out;
    }
    if (api == NULL) {
        util_err_set(err, "apiVersion: missing");
        goto out;
    }
    if (strcmp(api, KUBE_EXEC_V1) != 0 && strcmp(api, KUBE_EXEC_V1BETA1) != 0) {
        util_err_set(err, "apiVersion: %s: not supported (%s or %s)", api, KUBE_EXEC_V1,
                     KUBE_EXEC_V1BETA1);
        goto out;
    }
    if (mode == NULL && strcmp(api, KUBE_EXEC_V1) == 0) {
        util_err_set(err, "interactiveMode: missing (%s requires it)", KUBE_EXEC_V1);
        goto out;
    }
    if (mode != NULL && strcmp(mode, "Always") == 0) {
        util_err_set(err, "interactiveMode: Always: the plugin needs a terminal, and berth runs "
                          "without one");
        goto out;
    }
    if (mode != NULL && strcmp(mode, "Never") != 0 && strcmp(mode, "IfAvailable") != 0) {
        util_err_set(err, "interactiveMode: %s: not Never, IfAvailable or Always", mode);
        goto out;
    }
    if (cfg->token != NULL || cfg->token_file != NULL || cfg->cert_pem != NULL) {
        util_err_set(err, "not allowed together with %s",
                     cfg->token != NULL        ? "token"
                     : cfg->token_file != NULL ? "tokenFile"
                                               : "a client certificate");
        goto out;
    }
    /* As kubectl: a command with a '/' is a path, relative to the file. */
    const char *rel = command;

    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    if (strchr(command, '/') != NULL && resolve_path(f, rel, &abs, err) != 0) {
        util_err_prefix(err, "command");
        goto out;
    }
    if ((info = exec_info(api, provide, cfg)) == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    snprintf(where, sizeof where, "kubeconfig %s: user \"%s\"", f->name, user);
    kube_exec_spec spec = {.where = where,
                           .command = abs != NULL ? abs : command,
                           .args = (const char *const *)args,
                           .nargs = nargs,
                           .env = (const char *const *)env,
                           .nenv = nenv,
                           .api_version = api,
                           .install_hint = hint,
                           .exec_info = info};
    rc = kube_exec_new(&spec, &cfg->exec, err);
out:
    if (rc != 0)
        util_err_prefix(err, "exec");
    free(command);
    free(abs);
    free(api);
    free(hint);
    free(mode);
    free(info);
    free_str_list(args);
    free_str_list(env);
    return rc;
}

static int load_user(kc_file *f, yaml_node_t *map, const char *user, kube_config *cfg,
                     util_err *err)
{
    static const char *const unsupported[] = {"auth-provider", "username",  "password",      "as",
                                              "as-uid",        "as-groups", "as-user-extra", NULL};
    yaml_node_t *ex;
    const char *cert_key, *key_key;
    char *token_file = NULL, *tok;
    int rc;

    if (reject_unsupported(f, map, unsupported, err) != 0)
        return -1;
    if (get_pem(f, map, "client-certificate", "client-certificate-data", &cfg->cert_pem,
                &cfg->cert_pem_len, &cert_key, err) != 0 ||
        get_pem(f, map, "client-key", "client-key-data", &cfg->key_pem, &cfg->key_pem_len, &key_key,
                err) != 0)
        return -1;
    if (cert_key != NULL && key_key == NULL)
        return util_err_set(err, "client-key: missing (%s is set)", cert_key);
    if (key_key != NULL && cert_key == NULL)
        return util_err_set(err, "client-certificate: missing (%s is set)", key_key);
    if (cert_key != NULL) {
        rc = kube_config_check_pair(cfg->cert_pem, cfg->cert_pem_len, cfg->key_pem,
                                    cfg->key_pem_len, err);
        if (rc != 0)
            return util_err_prefix(err, "%s", rc == -1 ? cert_key : key_key);
    }
    if (get_str(&f->doc, map, "token", &cfg->token, err) != 0 ||
        get_str(&f->doc, map, "tokenFile", &token_file, err) != 0)
        return -1;
    if (token_file != NULL) {
        rc = resolve_path(f, token_file, &cfg->token_file, err);
        free(token_file);
        if (rc != 0)
            return util_err_prefix(err, "tokenFile");
    }
    /* Read once now, so a wrong path or a malformed token fails at load
     * rather than at the first request. */
    if (kube_config_token(cfg, &tok, err) != 0)
        return cfg->token_file != NULL ? util_err_prefix(err, "tokenFile") : -1;
    free_secret(tok, tok != NULL ? strlen(tok) : 0);
    /* The plugin itself runs only when a credential is needed. */
    if ((ex = map_get(&f->doc, map, "exec")) != NULL)
        return load_exec(f, ex, cfg, user, err);
    return 0;
}

/* Builds the config from parsed files: current context, then its cluster
 * and user, each from the first file that defines it. `display` names the
 * whole set in messages that concern no single file. */
static int resolve(kc_file *files, size_t n, const char *display, const char *context,
                   kube_config **out, util_err *err)
{
    kube_config *cfg = calloc(1, sizeof *cfg);
    char *cur = NULL, *cluster = NULL, *user = NULL;
    kc_file *cf, *f;
    yaml_node_t *ctx, *node;
    int rc = -1;

    if (cfg == NULL)
        return util_err_set(err, "out of memory");
    if (context != NULL && context[0] != '\0') {
        cur = dup_s(context);
    } else {
        for (size_t i = 0; i < n && cur == NULL; i++)
            if (get_str(&files[i].doc, files[i].root, "current-context", &cur, err) != 0)
                goto out; /* checked at parse; only memory can fail here */
        if (cur == NULL) {
            util_err_set(err, "kubeconfig %s: no current-context and none given", display);
            goto out;
        }
    }
    if (cur == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    if (!lookup(files, n, "contexts", "context", cur, &cf, &ctx)) {
        util_err_set(err, "kubeconfig %s: context \"%s\" not found", display, cur);
        goto out;
    }
    if (get_str(&cf->doc, ctx, "cluster", &cluster, err) != 0 ||
        get_str(&cf->doc, ctx, "user", &user, err) != 0 ||
        get_str(&cf->doc, ctx, "namespace", &cfg->namespace, err) != 0) {
        util_err_prefix(err, "kubeconfig %s: context \"%s\"", cf->name, cur);
        goto out;
    }
    if (cluster == NULL) {
        util_err_set(err, "kubeconfig %s: context \"%s\": cluster: missing", cf->name, cur);
        goto out;
    }
    if (!lookup(files, n, "clusters", "cluster", cluster, &f, &node)) {
        util_err_set(err, "kubeconfig %s: context \"%s\": cluster \"%s\" not found", cf->name, cur,
                     cluster);
        goto out;
    }
    if (load_cluster(f, node, cfg, err) != 0) {
        util_err_prefix(err, "kubeconfig %s: cluster \"%s\"", f->name, cluster);
        goto out;
    }
    /* A context without a user talks to the API anonymously. */
    if (user != NULL) {
        if (!lookup(files, n, "users", "user", user, &f, &node)) {
            util_err_set(err, "kubeconfig %s: context \"%s\": user \"%s\" not found", cf->name, cur,
                         user);
            goto out;
        }
        if (load_user(f, node, user, cfg, err) != 0) {
            util_err_prefix(err, "kubeconfig %s: user \"%s\"", f->name, user);
            goto out;
        }
    }
    if (cfg->namespace == NULL)
        cfg->namespace = dup_s("default");
    cfg->source = dup_s(display);
    cfg->context = cur;
    cur = NULL;
    if (cfg->namespace == NULL || cfg->source == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    *out = cfg;
    cfg = NULL;
    rc = 0;
out:
    free(cur);
    free(cluster);
    free(user);
    kube_config_free(cfg);
    return rc;
}

/* The directory part of a path: "/x/config" -> "/x", "config" -> ".". */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return dup_s(".");
    if (slash == path)
        return dup_s("/");
    return dup_n(path, (size_t)(slash - path));
}

int kube_config_load_buffer(const void *data, size_t len, const char *name, const char *base_dir,
                            const char *context, kube_config **out, util_err *err)
{
    kc_file f = {.name = name};
    int rc;

    *out = NULL;
    if (base_dir != NULL && (f.dir = dup_s(base_dir)) == NULL)
        return util_err_set(err, "out of memory");
    if (parse_file(&f, data, len, err) != 0) {
        util_err_prefix(err, "kubeconfig %s", name);
        file_clear(&f);
        return -1;
    }
    rc = resolve(&f, 1, name, context, out, err);
    file_clear(&f);
    return rc;
}

/* Reads and parses one file into f. Returns 1 if it does not exist and
 * missing_ok is set. */
static int load_file(kc_file *f, const char *path, bool missing_ok, util_err *err)
{
    char *data;
    size_t len;
    int rc;

    f->name = path;
    if (read_file(path, &data, &len, err) != 0) {
        if (missing_ok && errno == ENOENT)
            return 1;
        return util_err_prefix(err, "kubeconfig %s", path);
    }
    f->dir = dir_of(path);
    if (f->dir == NULL) {
        free(data);
        return util_err_set(err, "out of memory");
    }
    rc = parse_file(f, data, len, err);
    free(data);
    return rc != 0 ? util_err_prefix(err, "kubeconfig %s", path) : 0;
}

int kube_config_load_list(const char *list, const char *context, kube_config **out, util_err *err)
{
    char *copy = dup_s(list), *save = NULL;
    kc_file *files = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;

    *out = NULL;
    if (copy == NULL)
        return util_err_set(err, "out of memory");
    for (char *p = strtok_r(copy, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
        bool seen = false;
        int r;

        for (size_t i = 0; i < n; i++)
            seen = seen || strcmp(files[i].name, p) == 0;
        if (seen)
            continue;
        if (n == cap) {
            kc_file *nf = realloc(files, (cap = cap ? cap * 2 : 4) * sizeof *nf);

            if (nf == NULL) {
                util_err_set(err, "out of memory");
                goto out;
            }
            files = nf;
        }
        memset(&files[n], 0, sizeof files[n]);
        r = load_file(&files[n], p, true, err);
        if (r < 0) {
            n++;
            goto out;
        }
        if (r == 0)
            n++;
        else
            file_clear(&files[n]);
    }
    if (n == 0) {
        util_err_set(err, "kubeconfig %s: none of the files exist", list);
        goto out;
    }
    rc = resolve(files, n, list, context, out, err);
out:
    for (size_t i = 0; i < n; i++)
        file_clear(&files[i]);
    free(files);
    free(copy);
    return rc;
}

int kube_config_load(const char *path, const char *context, kube_config **out, util_err *err)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    char *def = NULL;
    kc_file f = {0};
    int rc;

    *out = NULL;
    if (path == NULL && env != NULL && env[0] != '\0')
        return kube_config_load_list(env, context, out, err);
    if (path == NULL) {
        if (home == NULL || home[0] == '\0')
            return util_err_set(err, "kubeconfig: no path given and neither KUBECONFIG nor "
                                     "HOME is set");
        def = malloc(strlen(home) + sizeof "/.kube/config");
        if (def == NULL)
            return util_err_set(err, "out of memory");
        strcpy(def, home);
        strcat(def, "/.kube/config");
        path = def;
    }
    rc = load_file(&f, path, false, err);
    if (rc == 0)
        rc = resolve(&f, 1, path, context, out, err);
    file_clear(&f);
    free(def);
    return rc;
}

/* A token goes into an HTTP header: whitespace around it is dropped, and
 * control characters or spaces inside are refused. Trims s in place. */
int kube_config_check_token(char *s, util_err *err)
{
    size_t start = 0, end = strlen(s);

    while (end > 0 &&
           (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r' || s[end - 1] == '\n'))
        end--;
    while (start < end &&
           (s[start] == ' ' || s[start] == '\t' || s[start] == '\r' || s[start] == '\n'))
        start++;
    if (start == end)
        return util_err_set(err, "empty");
    for (size_t i = start; i < end; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
            return util_err_set(err, "contains whitespace or control characters");
    memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return 0;
}

int kube_config_token(const kube_config *cfg, char **out, util_err *err)
{
    char *tok;
    size_t len;

    *out = NULL;
    if (cfg->token_file != NULL) {
        if (read_file(cfg->token_file, &tok, &len, err) != 0)
            return util_err_prefix(err, "%s", cfg->token_file);
        if (memchr(tok, '\0', len) != NULL)
            util_err_set(err, "contains a NUL byte");
        if (memchr(tok, '\0', len) != NULL || kube_config_check_token(tok, err) != 0) {
            free_secret(tok, len);
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
    if (kube_config_check_token(tok, err) != 0) {
        free_secret(tok, strlen(tok));
        return util_err_prefix(err, "token");
    }
    *out = tok;
    return 0;
}

int kube_config_in_cluster(const char *sa_dir, kube_config **out, util_err *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    kube_config *cfg;
    char *ca_path = NULL, *ns_path = NULL, *ns = NULL, *tok = NULL;
    size_t len, n;
    X509 *x;
    int rc = -1;

    *out = NULL;
    if (sa_dir == NULL)
        sa_dir = KUBE_SA_DIR;
    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
        return util_err_set(err, "in-cluster config: KUBERNETES_SERVICE_HOST and "
                                 "KUBERNETES_SERVICE_PORT must be set (not in a pod?)");
    if (!printable(host) || strpbrk(host, "/?#@[]") != NULL)
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
    cfg->token_file = path_join(sa_dir, "token");
    ca_path = path_join(sa_dir, "ca.crt");
    ns_path = path_join(sa_dir, "namespace");
    if (cfg->server == NULL || cfg->source == NULL || cfg->token_file == NULL || ca_path == NULL ||
        ns_path == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    /* An IPv6 service address needs brackets in a URL. */
    snprintf(cfg->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    sprintf(cfg->source, "in-cluster %s", sa_dir);
    if (read_file(ca_path, &cfg->ca_pem, &cfg->ca_pem_len, err) != 0) {
        util_err_prefix(err, "in-cluster config: %s", ca_path);
        goto out;
    }
    x = pem_first_cert(cfg->ca_pem, cfg->ca_pem_len);
    if (x == NULL) {
        util_err_set(err, "in-cluster config: %s: no PEM certificate found", ca_path);
        goto out;
    }
    X509_free(x);
    if (kube_config_token(cfg, &tok, err) != 0) {
        util_err_prefix(err, "in-cluster config");
        goto out;
    }
    if (read_file(ns_path, &ns, &len, err) == 0) {
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
    } else if (errno != ENOENT) {
        util_err_prefix(err, "in-cluster config: %s", ns_path);
        goto out;
    }
    cfg->namespace = ns != NULL ? ns : dup_s("default");
    ns = NULL;
    if (cfg->namespace == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    *out = cfg;
    cfg = NULL;
    rc = 0;
out:
    free_secret(tok, tok != NULL ? strlen(tok) : 0);
    free(ns);
    free(ca_path);
    free(ns_path);
    kube_config_free(cfg);
    return rc;
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
    free_secret(cfg->key_pem, cfg->key_pem_len);
    free_secret(cfg->token, cfg->token ? strlen(cfg->token) : 0);
    free(cfg->token_file);
    free(cfg->namespace);
    kube_exec_free(cfg->exec);
    free(cfg);
}
