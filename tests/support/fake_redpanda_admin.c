/* FAKE Redpanda admin API, for tests only (the one fake berth's tests
 * have: no Redpanda binary can be had here). It follows Redpanda's
 * published admin API (v1, default port 9644) for exactly what berth uses:
 *
 *   PUT    /v1/brokers/{id}/maintenance  200; 404 unknown broker; 400 when
 *                                        another broker is in maintenance
 *                                        (one broker at a time)
 *   DELETE /v1/brokers/{id}/maintenance  200; 404 unknown broker
 *   GET    /v1/brokers/{id}              node_id, num_cores, membership_status,
 *                                        is_alive, version, internal_rpc_address,
 *                                        internal_rpc_port, rack,
 *                                        maintenance_status {draining, finished,
 *                                        errors, partitions, eligible,
 *                                        transferring, failed}; 404 unknown
 *   GET    /v1/brokers                   an array of those
 *   GET    /v1/cluster/health_overview   is_healthy, controller_id, all_nodes,
 *                                        nodes_down, leaderless_partitions,
 *                                        under_replicated_partitions,
 *                                        bytes_in_cloud_storage
 *
 * Errors carry Redpanda's body shape {"message": "...", "code": N}. While
 * no drain was asked for, maintenance_status holds draining: false only.
 *
 * It serves plain HTTP, or HTTPS with a given certificate. It is plain
 * sockets (and OpenSSL) rather than lib/http: lib/http's TCP listeners are
 * GET-only by design and match exact paths, while this needs PUT and
 * DELETE and ids in paths. One connection is served at a time, each
 * answered with Connection: close. */
#define _GNU_SOURCE /* strcasestr */
#include "fake_redpanda_admin.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define MAX_COUNTED 64

/* One accepted connection, plain or TLS. */
typedef struct conn {
    int fd;
    SSL *ssl;
} conn;

struct fake_rp {
    int fd;
    SSL_CTX *tls; /* NULL: plain HTTP */
    pthread_t thread;
    atomic_bool stop;
    char url[64];
    pthread_mutex_t lock;
    /* the cluster, under lock */
    int n_brokers;
    int partitions;
    int maint;       /* broker in maintenance, -1 none */
    int polls;       /* status polls since maintenance went on */
    int drain_polls; /* finish on this poll; 0 never */
    bool drain_fail;
    bool healthy;
    int down_node;
    int slow_ms;
    char *garbage_path;
    char *garbage_body;
    char *auth; /* "Basic <base64>" or NULL */
    struct {
        char key[300];
        int n;
    } counted[MAX_COUNTED];
    char req[16384], body[65536]; /* the serving thread's */
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void send_all(conn *fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w =
            fd->ssl != NULL ? SSL_write(fd->ssl, p, (int)n) : send(fd->fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void answer(conn *fd, int status, const char *body)
{
    const char *reason = status == 200   ? "OK"
                         : status == 400 ? "Bad Request"
                         : status == 401 ? "Unauthorized"
                         : status == 404 ? "Not Found"
                         : status == 405 ? "Method Not Allowed"
                                         : "Error";
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, reason, strlen(body));

    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

static void answer_error(conn *fd, int status, const char *msg)
{
    char body[512];

    snprintf(body, sizeof body, "{\"message\": \"%s\", \"code\": %d}", msg, status);
    answer(fd, status, body);
}

/* A broker's JSON; counts a status poll of the broker in maintenance when
 * poll is set. Under lock. */
static void broker_json(fake_rp *f, int id, bool poll, char *out, size_t size)
{
    char m[512];

    if (f->maint == id) {
        bool finished;
        int left, failed = 0;

        if (poll)
            f->polls++;
        finished = f->drain_polls > 0 && f->polls >= f->drain_polls;
        left = finished ? 0 : f->partitions - f->partitions * f->polls / (f->drain_polls + 1);
        if (finished && f->drain_fail)
            failed = f->partitions > 1 ? f->partitions / 2 : 1;
        snprintf(m, sizeof m,
                 "{\"draining\": true, \"finished\": %s, \"errors\": %s, \"partitions\": %d, "
                 "\"eligible\": %d, \"transferring\": %d, \"failed\": %d}",
                 finished ? "true" : "false", failed > 0 ? "true" : "false", f->partitions,
                 f->partitions, left < 0 ? 0 : left, failed);
    } else {
        snprintf(m, sizeof m, "{\"draining\": false}");
    }
    snprintf(out, size,
             "{\"node_id\": %d, \"num_cores\": 2, \"membership_status\": \"active\", "
             "\"is_alive\": %s, \"version\": \"v24.2.7 - fake\", "
             "\"internal_rpc_address\": \"rp-%d.rp.svc\", \"internal_rpc_port\": 33145, "
             "\"rack\": \"zone-%d\", \"disk_space\": [], \"maintenance_status\": %s}",
             id, f->healthy || f->down_node != id ? "true" : "false", id, id % 3, m);
}

static void health_json(fake_rp *f, char *out, size_t size)
{
    size_t n = 0;

    n += (size_t)snprintf(out + n, size - n, "{\"is_healthy\": %s, \"controller_id\": 0, ",
                          f->healthy ? "true" : "false");
    n += (size_t)snprintf(out + n, size - n, "\"all_nodes\": [");
    for (int i = 0; i < f->n_brokers && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%d", i > 0 ? ", " : "", i);
    if (!f->healthy && f->down_node >= 0)
        n += (size_t)snprintf(out + n, size - n, "], \"nodes_down\": [%d], ", f->down_node);
    else
        n += (size_t)snprintf(out + n, size - n, "], \"nodes_down\": [], ");
    snprintf(out + n, size - n,
             "\"leaderless_partitions\": [], \"under_replicated_partitions\": [%s], "
             "\"bytes_in_cloud_storage\": -1}",
             f->healthy ? "" : "\"kafka/rpd-topic/0\"");
}

static void count(fake_rp *f, const char *method, const char *path)
{
    char key[300];

    snprintf(key, sizeof key, "%s %s", method, path);
    for (int i = 0; i < MAX_COUNTED; i++) {
        if (f->counted[i].key[0] == '\0')
            snprintf(f->counted[i].key, sizeof f->counted[i].key, "%s", key);
        if (strcmp(f->counted[i].key, key) == 0) {
            f->counted[i].n++;
            return;
        }
    }
}

/* Parses "/v1/brokers/<id>" plus an optional suffix; -1 if not that. */
static int broker_path(const char *path, const char *suffix)
{
    const char *p = path + strlen("/v1/brokers/");
    char *end;
    long id;

    if (strncmp(path, "/v1/brokers/", strlen("/v1/brokers/")) != 0 || *p < '0' || *p > '9')
        return -1;
    id = strtol(p, &end, 10);
    if (strcmp(end, suffix) != 0 || id > 1000000)
        return -1;
    return (int)id;
}

static void serve(fake_rp *f, conn *fd)
{
    char *req = f->req, *body = f->body;
    const size_t req_size = sizeof f->req;
    char method[16], path[256], msg[128];
    size_t n = 0;
    char *hdr_end = NULL, *auth_hdr;
    int id, slow;

    while (n + 1 < req_size && hdr_end == NULL) {
        ssize_t r;

        /* SO_RCVTIMEO bounds a client that sends nothing. */
        if (fd->ssl != NULL)
            r = SSL_read(fd->ssl, req + n, (int)(req_size - 1 - n));
        else
            r = recv(fd->fd, req + n, req_size - 1 - n, 0);
        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = '\0';
        hdr_end = strstr(req, "\r\n\r\n");
    }
    if (hdr_end == NULL || sscanf(req, "%15s %255s", method, path) != 2) {
        answer_error(fd, 400, "bad request");
        return;
    }
    /* Request bodies (none expected) are not read: the answer closes. */
    auth_hdr = strcasestr(req, "\r\nAuthorization: ");

    pthread_mutex_lock(&f->lock);
    slow = f->slow_ms;
    count(f, method, path);
    if (f->auth != NULL) {
        size_t al = strlen(f->auth);

        if (auth_hdr == NULL || strncmp(auth_hdr + 17, f->auth, al) != 0 ||
            auth_hdr[17 + al] != '\r') {
            pthread_mutex_unlock(&f->lock);
            answer_error(fd, 401, "Unauthorized");
            return;
        }
    }
    if (strcmp(method, "GET") == 0 && f->garbage_path != NULL &&
        strcmp(path, f->garbage_path) == 0) {
        snprintf(body, sizeof f->body, "%s", f->garbage_body);
        pthread_mutex_unlock(&f->lock);
        if (slow > 0)
            sleep_ms(slow);
        answer(fd, 200, body);
        return;
    }

    int status = 200;
    body[0] = '\0';
    if ((id = broker_path(path, "/maintenance")) >= 0) {
        if (id >= f->n_brokers) {
            status = 404;
            snprintf(msg, sizeof msg, "Broker %d not found", id);
        } else if (strcmp(method, "PUT") == 0) {
            if (f->maint >= 0 && f->maint != id) {
                status = 400;
                snprintf(msg, sizeof msg,
                         "Broker %d is already in maintenance mode; only one broker may be",
                         f->maint);
            } else if (f->maint != id) {
                f->maint = id;
                f->polls = 0;
            }
        } else if (strcmp(method, "DELETE") == 0) {
            if (f->maint == id)
                f->maint = -1;
        } else {
            status = 405;
            snprintf(msg, sizeof msg, "method not allowed");
        }
    } else if ((id = broker_path(path, "")) >= 0) {
        if (strcmp(method, "GET") != 0) {
            status = 405;
            snprintf(msg, sizeof msg, "method not allowed");
        } else if (id >= f->n_brokers) {
            status = 404;
            snprintf(msg, sizeof msg, "Broker %d not found", id);
        } else {
            broker_json(f, id, true, body, sizeof f->body);
        }
    } else if (strcmp(path, "/v1/brokers") == 0 && strcmp(method, "GET") == 0) {
        size_t k = 0;

        k += (size_t)snprintf(body, sizeof f->body, "[");
        for (int i = 0; i < f->n_brokers && k < sizeof f->body; i++) {
            if (i > 0)
                k += (size_t)snprintf(body + k, sizeof f->body - k, ", ");
            broker_json(f, i, false, body + k, sizeof f->body - k);
            k += strlen(body + k);
        }
        if (k < sizeof f->body)
            snprintf(body + k, sizeof f->body - k, "]");
    } else if (strcmp(path, "/v1/cluster/health_overview") == 0 && strcmp(method, "GET") == 0) {
        health_json(f, body, sizeof f->body);
    } else {
        status = 404;
        snprintf(msg, sizeof msg, "Not found");
    }
    pthread_mutex_unlock(&f->lock);
    if (slow > 0)
        sleep_ms(slow);
    if (status != 200)
        answer_error(fd, status, msg);
    else
        answer(fd, 200, body);
}

static void *fake_main(void *arg)
{
    fake_rp *f = arg;

    while (!atomic_load(&f->stop)) {
        struct pollfd p = {f->fd, POLLIN, 0};
        int c;

        if (poll(&p, 1, 50) <= 0)
            continue;
        struct timeval tv = {5, 0};
        conn cn = {-1, NULL};

        c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        cn.fd = c;
        if (f->tls != NULL) {
            cn.ssl = SSL_new(f->tls);
            if (cn.ssl == NULL || SSL_set_fd(cn.ssl, c) != 1 || SSL_accept(cn.ssl) != 1) {
                SSL_free(cn.ssl);
                close(c);
                continue;
            }
        }
        serve(f, &cn);
        if (cn.ssl != NULL) {
            SSL_shutdown(cn.ssl);
            SSL_free(cn.ssl);
        }
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static fake_rp *start(int n_brokers, int partitions, SSL_CTX *tls)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof sa;
    fake_rp *f = calloc(1, sizeof *f);

    if (f == NULL)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    f->tls = tls;
    f->n_brokers = n_brokers;
    f->partitions = partitions;
    f->maint = -1;
    f->drain_polls = 1;
    f->healthy = true;
    f->down_node = -1;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(f->fd, 64) != 0 || getsockname(f->fd, (struct sockaddr *)&sa, &sl) != 0) {
        fprintf(stderr, "fake redpanda admin: listen: %s\n", strerror(errno));
        if (f->fd >= 0)
            close(f->fd);
        pthread_mutex_destroy(&f->lock);
        SSL_CTX_free(tls);
        free(f);
        return NULL;
    }
    if (tls != NULL)
        snprintf(f->url, sizeof f->url, "https://localhost:%d", ntohs(sa.sin_port));
    else
        snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    if (pthread_create(&f->thread, NULL, fake_main, f) != 0) {
        close(f->fd);
        pthread_mutex_destroy(&f->lock);
        SSL_CTX_free(tls);
        free(f);
        return NULL;
    }
    return f;
}

fake_rp *fake_rp_start(int n_brokers, int partitions)
{
    return start(n_brokers, partitions, NULL);
}

fake_rp *fake_rp_start_tls(int n_brokers, int partitions, const char *cert_pem, const char *key_pem)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *cert = cb != NULL ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int ok = ctx != NULL && cert != NULL && key != NULL &&
             SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;

    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    if (!ok) {
        fprintf(stderr, "fake redpanda admin: bad TLS certificate or key\n");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return start(n_brokers, partitions, ctx);
}

void fake_rp_stop(fake_rp *f)
{
    if (f == NULL)
        return;
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    close(f->fd);
    SSL_CTX_free(f->tls);
    pthread_mutex_destroy(&f->lock);
    free(f->garbage_path);
    free(f->garbage_body);
    free(f->auth);
    free(f);
}

const char *fake_rp_url(const fake_rp *f)
{
    return f->url;
}

void fake_rp_set_drain(fake_rp *f, int polls, bool fail)
{
    pthread_mutex_lock(&f->lock);
    f->drain_polls = polls;
    f->drain_fail = fail;
    pthread_mutex_unlock(&f->lock);
}

void fake_rp_set_healthy(fake_rp *f, bool healthy, int down_node)
{
    pthread_mutex_lock(&f->lock);
    f->healthy = healthy;
    f->down_node = down_node;
    pthread_mutex_unlock(&f->lock);
}

void fake_rp_set_slow(fake_rp *f, int ms)
{
    pthread_mutex_lock(&f->lock);
    f->slow_ms = ms;
    pthread_mutex_unlock(&f->lock);
}

void fake_rp_set_garbage(fake_rp *f, const char *path, const char *body)
{
    pthread_mutex_lock(&f->lock);
    free(f->garbage_path);
    free(f->garbage_body);
    f->garbage_path = path != NULL ? strdup(path) : NULL;
    f->garbage_body = path != NULL && body != NULL ? strdup(body) : NULL;
    if (f->garbage_body == NULL) {
        free(f->garbage_path);
        f->garbage_path = NULL;
    }
    pthread_mutex_unlock(&f->lock);
}

void fake_rp_set_auth(fake_rp *f, const char *user, const char *password)
{
    char plain[256];
    unsigned char enc[400];
    int n;

    pthread_mutex_lock(&f->lock);
    free(f->auth);
    f->auth = NULL;
    if (user != NULL && password != NULL) {
        n = snprintf(plain, sizeof plain, "%s:%s", user, password);
        EVP_EncodeBlock(enc, (const unsigned char *)plain, n);
        f->auth = malloc(strlen((char *)enc) + 7);
        if (f->auth != NULL)
            sprintf(f->auth, "Basic %s", (char *)enc);
    }
    pthread_mutex_unlock(&f->lock);
}

void fake_rp_set_maintenance(fake_rp *f, int id)
{
    pthread_mutex_lock(&f->lock);
    f->maint = id;
    f->polls = 0;
    pthread_mutex_unlock(&f->lock);
}

int fake_rp_maintenance(fake_rp *f)
{
    int m;

    pthread_mutex_lock(&f->lock);
    m = f->maint;
    pthread_mutex_unlock(&f->lock);
    return m;
}

int fake_rp_count(fake_rp *f, const char *method, const char *path)
{
    char key[300];
    int n = 0;

    snprintf(key, sizeof key, "%s %s", method, path);
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < MAX_COUNTED; i++)
        if (strcmp(f->counted[i].key, key) == 0)
            n = f->counted[i].n;
    pthread_mutex_unlock(&f->lock);
    return n;
}
