/* Loading a kubeconfig as kubectl does; see config.h. Several files are
 * merged by looking the context, cluster and user up across them in order
 * (kubeconfig_yaml.h keeps each as a tree), so merging is "first file
 * defining a name wins" without building a merged copy. Only the entries
 * actually used are read field by field: the cluster's server, TLS and CA;
 * the user's certificate, key, token and exec plugin (run later, exec.h). */
#include "kube/config.h"
#include "kube/config_int.h"
#include "kube/credential.h"
#include "kube/kubeconfig_yaml.h"
#include "util/base64.h"
#include "util/file.h"
#include "util/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static int resolve_path(const kube_kc_file *f, const char *path, char **out, util_err *err)
{
    if (path[0] != '/' && f->dir == NULL)
        return util_err_set(err, "relative path %s but no directory to resolve it in", path);
    *out = path[0] == '/' ? util_strdup(path) : util_printf("%s/%s", f->dir, path);
    return *out == NULL ? util_err_set(err, "out of memory") : 0;
}

/* Fetches PEM bytes given inline (data_key, base64) or by path (file_key).
 * *which is set to the key that supplied them, or NULL if neither did. */
static int get_pem(kube_kc_file *f, yaml_node_t *map, const char *file_key, const char *data_key,
                   char **out, size_t *len, const char **which, util_err *err)
{
    char *path = NULL, *data = NULL, *abs = NULL;
    int rc = -1;

    *out = NULL;
    *len = 0;
    *which = NULL;
    if (kube_kc_str(&f->doc, map, file_key, &path, err) != 0 ||
        kube_kc_str(&f->doc, map, data_key, &data, err) != 0)
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
        if (resolve_path(f, path, &abs, err) != 0 ||
            util_file_read(abs, KUBE_CONFIG_FILE_MAX, UTIL_FILE_FOLLOW, out, len, err) != 0) {
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
static int reject_unsupported(kube_kc_file *f, yaml_node_t *map, const char *const *keys,
                              util_err *err)
{
    for (; *keys != NULL; keys++)
        if (kube_kc_get(&f->doc, map, *keys) != NULL)
            return util_err_set(err, "%s: not supported", *keys);
    return 0;
}

static int load_cluster(kube_kc_file *f, yaml_node_t *map, kube_config *cfg, util_err *err)
{
    static const char *const unsupported[] = {"proxy-url", NULL};
    const char *which;
    size_t n, scheme;

    if (reject_unsupported(f, map, unsupported, err) != 0)
        return -1;
    if (kube_kc_str(&f->doc, map, "server", &cfg->server, err) != 0)
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
        strpbrk(cfg->server, "?#") != NULL || !kube_config_printable(cfg->server))
        return util_err_set(err, "server: %s: not an http:// or https:// URL", cfg->server);
    if (kube_kc_str(&f->doc, map, "tls-server-name", &cfg->tls_server_name, err) != 0 ||
        kube_kc_bool(&f->doc, map, "insecure-skip-tls-verify", &cfg->insecure, err) != 0)
        return -1;
    if (cfg->tls_server_name != NULL &&
        strspn(cfg->tls_server_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789.-_") != strlen(cfg->tls_server_name))
        return util_err_set(err, "tls-server-name: %s: not a host name", cfg->tls_server_name);
    if (get_pem(f, map, "certificate-authority", "certificate-authority-data", &cfg->ca_pem,
                &cfg->ca_pem_len, &which, err) != 0)
        return -1;
    if (cfg->ca_pem != NULL) {
        if (!kube_cred_has_cert(cfg->ca_pem, cfg->ca_pem_len))
            return util_err_set(err, "%s: no PEM certificate found", which);
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

/* users[].user.exec. The cluster is already in cfg (the plugin may be told
 * about it). Messages start with "exec: "; the caller names file and user. */
static int load_exec(kube_kc_file *f, yaml_node_t *ex, kube_config *cfg, const char *user,
                     util_err *err)
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
    if (kube_kc_str(&f->doc, ex, "command", &command, err) != 0 ||
        kube_kc_str(&f->doc, ex, "apiVersion", &api, err) != 0 ||
        kube_kc_str(&f->doc, ex, "installHint", &hint, err) != 0 ||
        kube_kc_str(&f->doc, ex, "interactiveMode", &mode, err) != 0 ||
        kube_kc_bool(&f->doc, ex, "provideClusterInfo", &provide, err) != 0 ||
        kube_kc_str_list(&f->doc, ex, "args", &args, &nargs, err) != 0 ||
        kube_kc_env_list(&f->doc, ex, &env, &nenv, err) != 0)
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
    kube_kc_list_free(args);
    kube_kc_list_free(env);
    return rc;
}

static int load_user(kube_kc_file *f, yaml_node_t *map, const char *user, kube_config *cfg,
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
        rc = kube_cred_check_pair(cfg->cert_pem, cfg->cert_pem_len, cfg->key_pem, cfg->key_pem_len,
                                  err);
        if (rc != 0)
            return util_err_prefix(err, "%s", rc == -1 ? cert_key : key_key);
    }
    if (kube_kc_str(&f->doc, map, "token", &cfg->token, err) != 0 ||
        kube_kc_str(&f->doc, map, "tokenFile", &token_file, err) != 0)
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
    kube_cred_secret_free(tok, tok != NULL ? strlen(tok) : 0);
    /* The plugin itself runs only when a credential is needed. */
    if ((ex = kube_kc_get(&f->doc, map, "exec")) != NULL)
        return load_exec(f, ex, cfg, user, err);
    return 0;
}

/* Builds the config from parsed files: current context, then its cluster
 * and user, each from the first file that defines it. `display` names the
 * whole set in messages that concern no single file. */
static int resolve(kube_kc_file *files, size_t n, const char *display, const char *context,
                   kube_config **out, util_err *err)
{
    kube_config *cfg = calloc(1, sizeof *cfg);
    char *cur = NULL, *cluster = NULL, *user = NULL;
    kube_kc_file *cf, *f;
    yaml_node_t *ctx, *node;
    int rc = -1;

    if (cfg == NULL)
        return util_err_set(err, "out of memory");
    if (context != NULL && context[0] != '\0') {
        cur = util_strdup(context);
    } else {
        for (size_t i = 0; i < n && cur == NULL; i++)
            if (kube_kc_str(&files[i].doc, files[i].root, "current-context", &cur, err) != 0)
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
    if (!kube_kc_lookup(files, n, "contexts", "context", cur, &cf, &ctx)) {
        util_err_set(err, "kubeconfig %s: context \"%s\" not found", display, cur);
        goto out;
    }
    if (kube_kc_str(&cf->doc, ctx, "cluster", &cluster, err) != 0 ||
        kube_kc_str(&cf->doc, ctx, "user", &user, err) != 0 ||
        kube_kc_str(&cf->doc, ctx, "namespace", &cfg->namespace, err) != 0) {
        util_err_prefix(err, "kubeconfig %s: context \"%s\"", cf->name, cur);
        goto out;
    }
    if (cluster == NULL) {
        util_err_set(err, "kubeconfig %s: context \"%s\": cluster: missing", cf->name, cur);
        goto out;
    }
    if (!kube_kc_lookup(files, n, "clusters", "cluster", cluster, &f, &node)) {
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
        if (!kube_kc_lookup(files, n, "users", "user", user, &f, &node)) {
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
        cfg->namespace = util_strdup("default");
    cfg->source = util_strdup(display);
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
        return util_strdup(".");
    if (slash == path)
        return util_strdup("/");
    return util_strndup(path, (size_t)(slash - path));
}

int kube_config_load_buffer(const void *data, size_t len, const char *name, const char *base_dir,
                            const char *context, kube_config **out, util_err *err)
{
    kube_kc_file f = {.name = name};
    int rc;

    *out = NULL;
    if (base_dir != NULL && (f.dir = util_strdup(base_dir)) == NULL)
        return util_err_set(err, "out of memory");
    if (kube_kc_parse(&f, data, len, err) != 0) {
        util_err_prefix(err, "kubeconfig %s", name);
        kube_kc_clear(&f);
        return -1;
    }
    rc = resolve(&f, 1, name, context, out, err);
    kube_kc_clear(&f);
    return rc;
}

/* Reads and parses one file into f. Returns 1 if it does not exist and
 * missing_ok is set. */
static int load_file(kube_kc_file *f, const char *path, bool missing_ok, util_err *err)
{
    char *data;
    size_t len;
    util_err why = {{0}};
    int rc;

    f->name = path;
    rc = util_file_read(path, KUBE_CONFIG_FILE_MAX, UTIL_FILE_FOLLOW, &data, &len, &why);
    if (rc == 1 && missing_ok)
        return 1;
    if (rc != 0)
        return util_err_set(err, "kubeconfig %s", why.msg); /* why names the path */
    f->dir = dir_of(path);
    if (f->dir == NULL) {
        free(data);
        return util_err_set(err, "out of memory");
    }
    rc = kube_kc_parse(f, data, len, err);
    free(data);
    return rc != 0 ? util_err_prefix(err, "kubeconfig %s", path) : 0;
}

int kube_config_load_list(const char *list, const char *context, kube_config **out, util_err *err)
{
    char *copy = util_strdup(list), *save = NULL;
    kube_kc_file *files = NULL;
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
            kube_kc_file *nf = realloc(files, (cap = cap ? cap * 2 : 4) * sizeof *nf);

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
            kube_kc_clear(&files[n]);
    }
    if (n == 0) {
        util_err_set(err, "kubeconfig %s: none of the files exist", list);
        goto out;
    }
    rc = resolve(files, n, list, context, out, err);
out:
    for (size_t i = 0; i < n; i++)
        kube_kc_clear(&files[i]);
    free(files);
    free(copy);
    return rc;
}

int kube_config_load(const char *path, const char *context, kube_config **out, util_err *err)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    char *def = NULL;
    kube_kc_file f = {0};
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
    kube_kc_clear(&f);
    free(def);
    return rc;
}
