/* The scripted loopback HTTP server; see http_script.h. */
#include "support/http_script.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg)
{
    http_script *s = arg;

    while (s->served < s->steps) {
        char buf[8192];
        size_t len = 0;
        int c = accept(s->fd, NULL, NULL);
        char *eol;

        if (c < 0)
            break;
        buf[0] = '\0';
        while (len < sizeof buf - 1 && strstr(buf, "\r\n\r\n") == NULL) {
            ssize_t n = read(c, buf + len, sizeof buf - 1 - len);

            if (n <= 0)
                break;
            len += (size_t)n;
            buf[len] = '\0';
        }
        eol = strstr(buf, "\r\n");
        if (eol != NULL)
            *eol = '\0';
        snprintf(s->requests[s->served], sizeof s->requests[0], "%.1000s", buf);
        if (write(c, s->answers[s->served], strlen(s->answers[s->served])) < 0)
            perror("http_script: write");
        s->served++;
        shutdown(c, SHUT_RDWR);
        close(c);
    }
    return NULL;
}

void http_script_start(http_script *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->fd, 0);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s->fd, 8), 0);
    ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

void http_script_stop(http_script *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

void http_script_url(const http_script *s, char *buf, unsigned long size)
{
    snprintf(buf, size, "http://127.0.0.1:%d", s->port);
}

kube_client *http_script_kube_client(const http_script *s)
{
    char srv[64];
    kube_config cfg = {.server = srv, .namespace = (char *)"default"};
    kube_client *c = NULL;
    util_err err = {{0}};

    http_script_url(s, srv, sizeof srv);
    ck_assert_msg(kube_client_new(&cfg, NULL, &c, &err) == 0, "%s", err.msg);
    return c;
}
