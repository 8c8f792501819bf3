/* The exec credential plugin; see exec.h.
 *
 * The plugin is started with posix_spawnp, which is safe in a threaded
 * program (fork would copy every thread's locks), and read through two
 * pipes with poll until both close or the time is up. `mu` guards the
 * cache; `running` plus the `done` condition make concurrent callers wait
 * for one run instead of each starting their own. */
#include "kube/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "kube/credential.h"
#include "kube/microtime.h"
#include "util/clock.h"
#include "util/str.h"

extern char **environ;

struct kube_exec {
    char *where, *command, *api_version, *install_hint, *exec_info;
    char **args, **env;
    size_t nargs, nenv;

    pthread_mutex_t mu;
    pthread_cond_t done;
    bool running; /* a run is in progress; others wait on done */
    bool have;    /* cred is a credential to use */
    kube_exec_credential cred;
    unsigned long serial;
};

void kube_exec_credential_clear(kube_exec_credential *c)
{
    if (c == NULL)
        return;
    kube_cred_secret_free(c->token, c->token != NULL ? strlen(c->token) : 0);
    free(c->cert_pem);
    kube_cred_secret_free(c->key_pem, c->key_pem_len);
    memset(c, 0, sizeof *c);
}

static int cred_copy(const kube_exec_credential *from, kube_exec_credential *to)
{
    memset(to, 0, sizeof *to);
    to->expiry = from->expiry;
    to->cert_pem_len = from->cert_pem_len;
    to->key_pem_len = from->key_pem_len;
    if ((from->token != NULL && (to->token = util_strdup(from->token)) == NULL) ||
        (from->cert_pem != NULL &&
         (to->cert_pem = util_strndup(from->cert_pem, from->cert_pem_len)) == NULL) ||
        (from->key_pem != NULL &&
         (to->key_pem = util_strndup(from->key_pem, from->key_pem_len)) == NULL)) {
        kube_exec_credential_clear(to);
        return -1;
    }
    return 0;
}

/* ---- the ExecCredential ---- */

/* status.<field> as a string, or NULL if absent; -1 if not a string. */
static int status_str(const cJSON *status, const char *field, const char **out, util_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(status, field);

    *out = NULL;
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return util_err_set(err, "status.%s: not a string", field);
    *out = v->valuestring[0] != '\0' ? v->valuestring : NULL;
    return 0;
}

int kube_exec_credential_parse(const void *data, size_t len, const char *api_version,
                               kube_exec_credential *out, util_err *err)
{
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *kind, *av, *status;
    const char *token, *cert, *key, *exp;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (j == NULL)
        return util_err_set(err, "output is not JSON");
    kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    av = cJSON_GetObjectItemCaseSensitive(j, "apiVersion");
    status = cJSON_GetObjectItemCaseSensitive(j, "status");
    if (!cJSON_IsObject(j)) {
        util_err_set(err, "output is not a JSON object");
        goto out;
    }
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "ExecCredential") != 0) {
        util_err_set(err, "kind: not ExecCredential");
        goto out;
    }
    if (!cJSON_IsString(av) || strcmp(av->valuestring, api_version) != 0) {
        util_err_set(err, "apiVersion: %.80s, but the kubeconfig asks for %s",
                     cJSON_IsString(av) ? av->valuestring : "(missing)", api_version);
        goto out;
    }
    if (status == NULL || cJSON_IsNull(status)) {
        util_err_set(err, "status: missing");
        goto out;
    }
    if (!cJSON_IsObject(status)) {
        util_err_set(err, "status: not an object");
        goto out;
    }
    if (status_str(status, "token", &token, err) != 0 ||
        status_str(status, "clientCertificateData", &cert, err) != 0 ||
        status_str(status, "clientKeyData", &key, err) != 0 ||
        status_str(status, "expirationTimestamp", &exp, err) != 0)
        goto out;
    if (cert != NULL && key == NULL) {
        util_err_set(err, "status.clientKeyData: missing (status.clientCertificateData is set)");
        goto out;
    }
    if (key != NULL && cert == NULL) {
        util_err_set(err, "status.clientCertificateData: missing (status.clientKeyData is set)");
        goto out;
    }
    if (token == NULL && cert == NULL) {
        util_err_set(err, "status: neither token nor clientCertificateData");
        goto out;
    }
    if (exp != NULL && kube_time_parse(exp, &out->expiry, err) != 0) {
        util_err_prefix(err, "status.expirationTimestamp");
        goto out;
    }
    if (token != NULL) {
        if ((out->token = util_strdup(token)) == NULL) {
            util_err_set(err, "out of memory");
            goto out;
        }
        if (kube_cred_check_token(out->token, err) != 0) {
            util_err_prefix(err, "status.token");
            goto out;
        }
    }
    if (cert != NULL) {
        int r;

        out->cert_pem_len = strlen(cert);
        out->key_pem_len = strlen(key);
        out->cert_pem = util_strndup(cert, out->cert_pem_len);
        out->key_pem = util_strndup(key, out->key_pem_len);
        if (out->cert_pem == NULL || out->key_pem == NULL) {
            util_err_set(err, "out of memory");
            goto out;
        }
        r = kube_cred_check_pair(out->cert_pem, out->cert_pem_len, out->key_pem, out->key_pem_len,
                                 err);
        if (r != 0) {
            util_err_prefix(err, r == -1 ? "status.clientCertificateData" : "status.clientKeyData");
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        kube_exec_credential_clear(out);
    /* The parsed tree holds the secrets too. */
    if (cJSON_IsObject(status)) {
        const char *fields[] = {"token", "clientKeyData"};

        for (size_t i = 0; i < 2; i++) {
            cJSON *v = cJSON_GetObjectItemCaseSensitive(status, fields[i]);

            if (cJSON_IsString(v))
                OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
        }
    }
    cJSON_Delete(j);
    return rc;
}

/* ---- the object ---- */

static char **dup_list(const char *const *l, size_t n)
{
    char **d = calloc(n + 1, sizeof *d);

    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if ((d[i] = util_strdup(l[i])) == NULL) {
            for (size_t k = 0; k < i; k++)
                free(d[k]);
            free(d);
            return NULL;
        }
    }
    return d;
}

static void free_list(char **l)
{
    if (l == NULL)
        return;
    for (char **p = l; *p != NULL; p++)
        free(*p);
    free(l);
}

int kube_exec_new(const kube_exec_spec *spec, kube_exec **out, util_err *err)
{
    kube_exec *x = calloc(1, sizeof *x);

    *out = NULL;
    if (x == NULL)
        return util_err_set(err, "out of memory");
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->done, NULL);
    x->where = util_strdup(spec->where != NULL ? spec->where : "kubeconfig");
    x->command = util_strdup(spec->command);
    x->api_version = util_strdup(spec->api_version);
    x->install_hint = util_strdup(spec->install_hint);
    x->exec_info = util_strdup(spec->exec_info != NULL ? spec->exec_info : "");
    x->args = dup_list(spec->args, spec->nargs);
    x->env = dup_list(spec->env, spec->nenv);
    x->nargs = spec->nargs;
    x->nenv = spec->nenv;
    if (x->where == NULL || x->command == NULL || x->api_version == NULL ||
        (spec->install_hint != NULL && x->install_hint == NULL) || x->exec_info == NULL ||
        x->args == NULL || x->env == NULL) {
        kube_exec_free(x);
        return util_err_set(err, "out of memory");
    }
    *out = x;
    return 0;
}

int kube_exec_dup(kube_exec *x, kube_exec **out, util_err *err)
{
    kube_exec_spec spec = {.where = x->where,
                           .command = x->command,
                           .args = (const char *const *)x->args,
                           .nargs = x->nargs,
                           .env = (const char *const *)x->env,
                           .nenv = x->nenv,
                           .api_version = x->api_version,
                           .install_hint = x->install_hint,
                           .exec_info = x->exec_info};
    int rc = kube_exec_new(&spec, out, err);

    if (rc != 0)
        return rc;
    pthread_mutex_lock(&x->mu);
    if (x->have && cred_copy(&x->cred, &(*out)->cred) == 0) {
        (*out)->have = true;
        (*out)->serial = x->serial;
    }
    pthread_mutex_unlock(&x->mu);
    return 0;
}

void kube_exec_free(kube_exec *x)
{
    if (x == NULL)
        return;
    kube_exec_credential_clear(&x->cred);
    free(x->where);
    free(x->command);
    free(x->api_version);
    free(x->install_hint);
    free(x->exec_info);
    free_list(x->args);
    free_list(x->env);
    pthread_cond_destroy(&x->done);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

void kube_exec_invalidate(kube_exec *x)
{
    pthread_mutex_lock(&x->mu);
    x->have = false;
    kube_exec_credential_clear(&x->cred);
    pthread_mutex_unlock(&x->mu);
}

/* ---- running the plugin ---- */

/* The environment of the plugin: ours, minus the names the kubeconfig
 * sets, plus those, plus KUBERNETES_EXEC_INFO. Strings are borrowed except
 * the last, which *info_out owns. */
static char **plugin_env(const kube_exec *x, char **info_out)
{
    size_t n = 0, k = 0;
    char **envp, *info;

    for (char **e = environ; e != NULL && *e != NULL; e++)
        n++;
    envp = calloc(n + x->nenv + 2, sizeof *envp);
    info = malloc(strlen(x->exec_info) + sizeof "KUBERNETES_EXEC_INFO=");
    if (envp == NULL || info == NULL) {
        free(envp);
        free(info);
        return NULL;
    }
    strcpy(info, "KUBERNETES_EXEC_INFO=");
    strcat(info, x->exec_info);
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        size_t nl = strcspn(*e, "=");
        bool replaced = strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) == 0;

        for (size_t i = 0; i < x->nenv && !replaced; i++)
            replaced = strncmp(*e, x->env[i], nl) == 0 && x->env[i][nl] == '=';
        if (!replaced)
            envp[k++] = *e;
    }
    for (size_t i = 0; i < x->nenv; i++)
        envp[k++] = x->env[i];
    envp[k++] = info;
    envp[k] = NULL;
    *info_out = info;
    return envp;
}

/* Where a pipe's bytes collect. */
typedef struct sink {
    char *p;
    size_t len, cap, max;
    bool too_big;
} sink;

static int sink_read(int fd, sink *s)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);

    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0)
        return 0;
    if (s->len + (size_t)n > s->max) {
        s->too_big = true;
        n = (ssize_t)(s->max - s->len);
    }
    if (s->len + (size_t)n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *np;

        while (cap < s->len + (size_t)n + 1)
            cap *= 2;
        if ((np = realloc(s->p, cap)) == NULL)
            return -1;
        s->p = np;
        s->cap = cap;
    }
    memcpy(s->p + s->len, buf, (size_t)n);
    s->len += (size_t)n;
    s->p[s->len] = '\0';
    return 1;
}

/* The first line of the plugin's stderr, for a message. */
static void first_line(const sink *s, char *out, size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    if (s->p == NULL)
        return;
    while (n < s->len && s->p[n] != '\n' && n + 1 < size) {
        out[n] = (unsigned char)s->p[n] < 0x20 ? ' ' : s->p[n];
        n++;
    }
    out[n] = '\0';
}

static int cloexec_pipe(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Runs the plugin once and parses what it prints. Without the lock. */
static int run_plugin(const kube_exec *x, kube_exec_credential *cred, util_err *err)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, rc = -1, status = 0;
    sink out = {.max = KUBE_EXEC_MAX_OUTPUT}, errs = {.max = 4096};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t sa;
    sigset_t none, defaults;
    char **argv = NULL, **envp = NULL, *info = NULL, line[256];
    pid_t pid = -1;
    int64_t deadline;
    bool fa_ok = false, sa_ok = false, timed_out = false;
    static const int reset[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE, SIGALRM,
                                SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD};

    argv = calloc(x->nargs + 2, sizeof *argv);
    if (argv == NULL || (envp = plugin_env(x, &info)) == NULL) {
        util_err_set(err, "out of memory");
        goto out;
    }
    argv[0] = x->command;
    for (size_t i = 0; i < x->nargs; i++)
        argv[i + 1] = x->args[i];
    if (cloexec_pipe(outp) != 0 || cloexec_pipe(errp) != 0) {
        util_err_set(err, "pipe: %s", strerror(errno));
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        util_err_set(err, "out of memory");
        goto out;
    }
    fa_ok = true;
    if (posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO) != 0) {
        util_err_set(err, "out of memory");
        goto out;
    }
    /* The plugin starts with no signal blocked and the usual ones at their
     * defaults, whatever this program blocks or ignores (its signal thread
     * keeps SIGTERM blocked in every other thread): otherwise a plugin
     * could never be stopped by SIGTERM. */
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        sigaddset(&defaults, reset[i]);
    if (posix_spawnattr_init(&sa) != 0) {
        util_err_set(err, "out of memory");
        goto out;
    }
    sa_ok = true;
    if (posix_spawnattr_setsigmask(&sa, &none) != 0 ||
        posix_spawnattr_setsigdefault(&sa, &defaults) != 0 ||
        posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0) {
        util_err_set(err, "posix_spawnattr: cannot set the signal mask");
        goto out;
    }
    rc = posix_spawnp(&pid, x->command, &fa, &sa, argv, envp);
    if (rc != 0) {
        pid = -1;
        if (rc == ENOENT)
            util_err_set(err, "command %s: not found%s%s", x->command,
                         x->install_hint != NULL ? "; " : "",
                         x->install_hint != NULL ? x->install_hint : "");
        else
            util_err_set(err, "command %s: %s", x->command, strerror(rc));
        rc = -1;
        goto out;
    }
    rc = -1;
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;

    deadline = util_mono_ms() + KUBE_EXEC_TIMEOUT_MS;
    while (outp[0] >= 0 || errp[0] >= 0) {
        struct pollfd pf[2] = {{.fd = outp[0], .events = POLLIN},
                               {.fd = errp[0], .events = POLLIN}};
        int64_t left = deadline - util_mono_ms();
        int n;

        if (left <= 0) {
            timed_out = true;
            break;
        }
        n = poll(pf, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR) {
            util_err_set(err, "poll: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < 2 && n > 0; i++) {
            int *fd = i == 0 ? &outp[0] : &errp[0];

            if (*fd < 0 || pf[i].revents == 0)
                continue;
            if (sink_read(*fd, i == 0 ? &out : &errs) <= 0) {
                close(*fd);
                *fd = -1;
            }
        }
    }
    if (outp[0] >= 0 || errp[0] >= 0)
        kill(pid, SIGKILL);
    /* A plugin that closed its output may still linger: it gets what is
     * left of the time, then the same end. */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        struct timespec pause = {0, 10 * 1000 * 1000};

        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (w == 0 && util_mono_ms() >= deadline) {
            timed_out = true;
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        nanosleep(&pause, NULL);
    }
    first_line(&errs, line, sizeof line);
    if (timed_out) {
        util_err_set(err, "command %s: killed after %ld ms without finishing", x->command,
                     KUBE_EXEC_TIMEOUT_MS);
        goto out;
    }
    if (WIFSIGNALED(status)) {
        util_err_set(err, "command %s: killed by signal %d%s%s", x->command, WTERMSIG(status),
                     line[0] != '\0' ? ": " : "", line);
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        util_err_set(err, "command %s: exited with status %d%s%s", x->command,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1, line[0] != '\0' ? ": " : "",
                     line);
        goto out;
    }
    if (out.too_big) {
        util_err_set(err, "command %s: printed more than %d bytes", x->command,
                     KUBE_EXEC_MAX_OUTPUT);
        goto out;
    }
    if (kube_exec_credential_parse(out.p != NULL ? out.p : "", out.len, x->api_version, cred,
                                   err) != 0) {
        util_err_prefix(err, "command %s: ExecCredential", x->command);
        goto out;
    }
    rc = 0;
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (sa_ok)
        posix_spawnattr_destroy(&sa);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    if (out.p != NULL)
        OPENSSL_cleanse(out.p, out.len);
    free(out.p);
    free(errs.p);
    free(argv);
    free(envp);
    free(info);
    return rc;
}

static bool fresh(const kube_exec *x)
{
    return x->have && (x->cred.expiry == 0 || util_time_now(NULL).wall < x->cred.expiry);
}

int kube_exec_get(kube_exec *x, kube_exec_credential *out, unsigned long *serial, util_err *err)
{
    kube_exec_credential cred;
    int rc;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&x->mu);
    while (x->running && !fresh(x))
        pthread_cond_wait(&x->done, &x->mu);
    if (!fresh(x)) {
        x->running = true;
        pthread_mutex_unlock(&x->mu);
        rc = run_plugin(x, &cred, err);
        pthread_mutex_lock(&x->mu);
        x->running = false;
        pthread_cond_broadcast(&x->done);
        if (rc != 0) {
            pthread_mutex_unlock(&x->mu);
            return util_err_prefix(err, "%s: exec", x->where);
        }
        kube_exec_credential_clear(&x->cred);
        x->cred = cred;
        x->have = true;
        x->serial++;
    }
    rc = cred_copy(&x->cred, out);
    if (serial != NULL)
        *serial = x->serial;
    pthread_mutex_unlock(&x->mu);
    return rc == 0 ? 0 : util_err_set(err, "out of memory");
}
