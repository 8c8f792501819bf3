/* A loopback HTTP server that plays a script: its i-th connection gets the
 * i-th answer verbatim (status line, headers, body), then is closed. For
 * unit tests of client decisions the real API server cannot be made to
 * provoke on cue (a 503, bytes that are not JSON, a 410 on a given page).
 * Answers without Content-Length end at the close, as HTTP/1.1 allows. */
#ifndef BERTH_TESTS_HTTP_SCRIPT_H
#define BERTH_TESTS_HTTP_SCRIPT_H

#include <pthread.h>
#include <stdatomic.h>

#include "kube/client.h"

#define HTTP_SCRIPT_MAX 8

typedef struct http_script {
    const char *answers[HTTP_SCRIPT_MAX]; /* set by the test */
    int steps;                            /* how many answers */
    int fd, port;
    char requests[HTTP_SCRIPT_MAX][1024]; /* each request line as received */
    /* Answers given; a test may read it (and the requests it counts) while
     * the server thread still runs. */
    atomic_int served;
    pthread_t thread;
} http_script;

/* Starts serving s->answers on a free loopback port (s->port). Aborts the
 * test on failure. */
void http_script_start(http_script *s);

/* Stops serving and waits for the server thread. */
void http_script_stop(http_script *s);

/* "http://127.0.0.1:<port>" into buf. */
void http_script_url(const http_script *s, char *buf, unsigned long size);

/* A kube client (namespace "default", no credentials) whose API server is
 * s, for kube_client_free. Aborts the test on failure. */
kube_client *http_script_kube_client(const http_script *s);

#define HTTP_SCRIPT_OK                                                                             \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
#define HTTP_SCRIPT_STATUS(code, text)                                                             \
    "HTTP/1.1 " #code " " text "\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"

#endif
