/* What lib/kube's streaming requests (stream.c) need from the client beyond
 * client.h: a second curl handle set up exactly like the client's own (TLS
 * material, verification, server name, user agent) and the same headers and
 * URLs. A watch holds its connection for minutes, so it cannot borrow the
 * client's mutex-guarded handle; these let it have its own without a second
 * copy of the TLS and auth code. Internal to lib/kube. */
#ifndef BERTH_KUBE_CLIENT_INT_H
#define BERTH_KUBE_CLIENT_INT_H

#include <stdbool.h>

#include <curl/curl.h>

#include "kube/client.h"

/* A new easy handle with the client's fixed options and no overall timeout
 * (the caller sets one). errbuf (CURL_ERROR_SIZE bytes) must outlive the
 * handle. NULL on failure, with err set. Free with curl_easy_cleanup. */
CURL *kube_client_handle_new(const kube_client *c, char *errbuf, util_err *err);

/* The header list of one request, with a freshly read bearer token; free it
 * with kube_client_headers_free, which wipes the token. */
int kube_client_headers(kube_client *c, const char *content_type, bool has_body,
                        struct curl_slist **out, util_err *err);
void kube_client_headers_free(struct curl_slist *l);

/* The full URL of an API path (starting with '/', escaped), a new string
 * for free(); NULL when out of memory. */
char *kube_client_url(const kube_client *c, const char *path);

#endif
