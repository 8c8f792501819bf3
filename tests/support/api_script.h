/* A loopback HTTP server that stands in for the Kubernetes API server's
 * write side in unit tests: it records every request (method, path,
 * Content-Type, body) and answers by rules the test sets (the first rule
 * whose method and path part match, each used a given number of times),
 * else 200 with the request's body echoed back, which is what a
 * server-side apply answers when the server took the object as sent.
 * One request per connection (Connection: close). For tests that check
 * which writes a client decided on and what it makes of a refusal, where
 * http_script's fixed sequence of answers cannot follow a client that
 * decides how many requests to send. */
#ifndef BERTH_TESTS_API_SCRIPT_H
#define BERTH_TESTS_API_SCRIPT_H

#include <stddef.h>

#include "kube/client.h"

#define API_SCRIPT_MAX_REQUESTS 64
#define API_SCRIPT_MAX_RULES    8

typedef struct api_script api_script;

typedef struct api_request {
    char method[16];
    char path[512]; /* with its query */
    char content_type[128];
    char *body; /* NUL-terminated; "" when none */
} api_request;

/* Starts serving on a free loopback port. Aborts the test on failure. */
api_script *api_script_start(void);

/* Answers the next times requests whose method is method and whose path
 * contains path_part with code and body (a JSON text, e.g. a Status). */
void api_script_answer(api_script *s, const char *method, const char *path_part, int code,
                       const char *body, int times);

/* How many requests were served, and the i-th (borrowed; valid until
 * api_script_stop). Call them only while no request is in flight. */
int api_script_count(api_script *s);
const api_request *api_script_request(api_script *s, int i);

/* Forgets the requests recorded so far. */
void api_script_reset(api_script *s);

/* A kube client (namespace "default", no credentials) whose API server is
 * s, for kube_client_free. Aborts the test on failure. */
kube_client *api_script_kube_client(const api_script *s);

/* The server's URL, "http://127.0.0.1:<port>", into buf. */
void api_script_url(const api_script *s, char *buf, size_t size);

/* Stops serving, waits for the thread and frees. */
void api_script_stop(api_script *s);

#endif
