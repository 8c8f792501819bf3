/* The scripted API server for writes; see api_script.h. */
#include "support/api_script.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/loopback.h"

typedef struct rule {
    char method[16];
    char path_part[256];
    int code;
    char *body;
    int times;
} rule;

struct api_script {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t mu;
    rule rules[API_SCRIPT_MAX_RULES];
    int n_rules;
    api_request requests[API_SCRIPT_MAX_REQUESTS];
    int n_requests;
};

/* The value of header name in the head (up to its blank line), into buf. */
static void header(const char *head, const char *name, char *buf, size_t size)
{
    size_t n = strlen(name);
    const char *p = strstr(head, "\r\n");

    buf[0] = '\0';
    while (p != NULL && p[2] != '\r') {
        const char *line = p + 2, *end = strstr(line, "\r\n");

        if (end == NULL)
            return;
        if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;

            while (*v == ' ')
                v++;
            snprintf(buf, size, "%.*s", (int)(end - v), v);
            return;
        }
        p = end;
    }
}

/* Reads one request from c into r; 0, or -1 when the peer went away. */
static int read_request(int c, api_request *r)
{
    size_t cap = 65536, len = 0, head_len, body_len;
    char *buf = malloc(cap), *eoh, clen[32];

    ck_assert_ptr_nonnull(buf);
    buf[0] = '\0';
    while ((eoh = strstr(buf, "\r\n\r\n")) == NULL) {
        ssize_t n;

        if (len + 1 >= cap)
            ck_assert_ptr_nonnull(buf = realloc(buf, cap *= 2));
        n = read(c, buf + len, cap - 1 - len);
        if (n <= 0) {
            free(buf);
            return -1;
        }
        len += (size_t)n;
        buf[len] = '\0';
    }
    head_len = (size_t)(eoh - buf) + 4;
    header(buf, "Content-Length", clen, sizeof clen);
    body_len = (size_t)strtoul(clen, NULL, 10);
    while (len < head_len + body_len) {
        ssize_t n;

        if (len + 1 >= cap) {
            ck_assert_ptr_nonnull(buf = realloc(buf, cap *= 2));
        }
        n = read(c, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
    }
    sscanf(buf, "%15s %511s", r->method, r->path);
    header(buf, "Content-Type", r->content_type, sizeof r->content_type);
    r->body = strndup(buf + head_len, body_len);
    ck_assert_ptr_nonnull(r->body);
    free(buf);
    return 0;
}

static void *serve(void *arg)
{
    api_script *s = arg;
    int c;

    while ((c = accept(s->fd, NULL, NULL)) >= 0) {
        api_request r = {0};
        const char *body;
        char *answer;
        size_t n;
        int code = 200, i;

        if (read_request(c, &r) != 0) {
            close(c);
            continue;
        }
        pthread_mutex_lock(&s->mu);
        body = r.body[0] != '\0' ? r.body : "{}";
        for (i = 0; i < s->n_rules; i++) {
            rule *u = &s->rules[i];

            if (u->times > 0 && strcmp(u->method, r.method) == 0 &&
                strstr(r.path, u->path_part) != NULL) {
                u->times--;
                code = u->code;
                body = u->body;
                break;
            }
        }
        ck_assert_int_lt(s->n_requests, API_SCRIPT_MAX_REQUESTS);
        s->requests[s->n_requests++] = r;
        n = strlen(body) + 160;
        ck_assert_ptr_nonnull(answer = malloc(n));
        snprintf(answer, n,
                 "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 code, strlen(body), body);
        pthread_mutex_unlock(&s->mu);
        for (size_t off = 0, len = strlen(answer); off < len;) {
            ssize_t w = write(c, answer + off, len - off);

            if (w <= 0) {
                perror("api_script: write");
                break;
            }
            off += (size_t)w;
        }
        free(answer);
        shutdown(c, SHUT_RDWR);
        close(c);
    }
    return NULL;
}

api_script *api_script_start(void)
{
    api_script *s = calloc(1, sizeof *s);

    ck_assert_ptr_nonnull(s);
    pthread_mutex_init(&s->mu, NULL);
    s->fd = lo_listen(16, &s->port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
    return s;
}

void api_script_answer(api_script *s, const char *method, const char *path_part, int code,
                       const char *body, int times)
{
    rule *u;

    pthread_mutex_lock(&s->mu);
    ck_assert_int_lt(s->n_rules, API_SCRIPT_MAX_RULES);
    u = &s->rules[s->n_rules++];
    snprintf(u->method, sizeof u->method, "%s", method);
    snprintf(u->path_part, sizeof u->path_part, "%s", path_part);
    u->code = code;
    u->body = strdup(body);
    u->times = times;
    pthread_mutex_unlock(&s->mu);
}

int api_script_count(api_script *s)
{
    int n;

    pthread_mutex_lock(&s->mu);
    n = s->n_requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const api_request *api_script_request(api_script *s, int i)
{
    ck_assert_int_lt(i, api_script_count(s));
    return &s->requests[i];
}

void api_script_reset(api_script *s)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_requests; i++)
        free(s->requests[i].body);
    s->n_requests = 0;
    pthread_mutex_unlock(&s->mu);
}

void api_script_url(const api_script *s, char *buf, size_t size)
{
    snprintf(buf, size, "http://127.0.0.1:%d", s->port);
}

kube_client *api_script_kube_client(const api_script *s)
{
    char srv[64];
    kube_config cfg = {.server = srv, .namespace = (char *)"default"};
    kube_client *c = NULL;
    util_err err = {{0}};

    api_script_url(s, srv, sizeof srv);
    ck_assert_msg(kube_client_new(&cfg, NULL, &c, &err) == 0, "%s", err.msg);
    return c;
}

void api_script_stop(api_script *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
    api_script_reset(s);
    for (int i = 0; i < s->n_rules; i++)
        free(s->rules[i].body);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
