/* What lib/kube's streaming requests (watch.c) need from the client beyond
 * client.h: a second curl handle set up exactly like the client's own (TLS
 * material, verification, server name, user agent), the same credential,
 * renewed the same way, and the same headers and URLs. A watch holds its connection for minutes, so
 * it cannot borrow the client's mutex-guarded handle; these let it have its own without a second
 * copy of the TLS and auth code. Internal to lib/kube. */
#ifndef BERTH_KUBE_CLIENT_INT_H
#define BERTH_KUBE_CLIENT_INT_H

#include <stdbool.h>

#include <curl/curl.h>

#include "kube/client.h"

/* A new easy handle with the client's fixed options and no overall timeout
 * (the caller sets one). errbuf (CURL_ERROR_SIZE bytes) must outlive the
 * handle. No exec plugin credential yet: kube_client_apply_credential puts
 * it on before each request. NULL on failure, with err set. Free with
 * curl_easy_cleanup. */
CURL *kube_client_handle_new(const kube_client *c, char *errbuf, util_err *err) UTIL_MUST_CHECK;

/* Call before each request on h: puts the exec plugin's current client
 * certificate on h (the plugin runs if the cached one expired or was
 * refused) unless h already has it. *serial belongs to the caller and
 * names the certificate h has; 0 for a new handle. A changed certificate
 * makes the request open a new connection. Without a plugin, or when it
 * gives only a token (which the headers carry), nothing changes. */
int kube_client_apply_credential(kube_client *c, CURL *h, unsigned long *serial,
                                 util_err *err) UTIL_MUST_CHECK;

/* Call after each request that did not come back 2xx: status is the HTTP
 * status (0: no answer), res and errbuf what libcurl said. True when the
 * API refused the exec plugin's credential, by a 401 or by ending the TLS
 * handshake over the client certificate; the cached credential is then
 * dropped, and the caller tries once more at once, which runs the plugin.
 * Always false without a plugin. */
bool kube_client_credential_refused(kube_client *c, long status, CURLcode res, const char *errbuf);

/* The header list of one request, with a freshly read bearer token; free it
 * with kube_client_headers_free, which wipes the token. */
int kube_client_headers(kube_client *c, const char *content_type, bool has_body,
                        struct curl_slist **out, util_err *err) UTIL_MUST_CHECK;
void kube_client_headers_free(struct curl_slist *l);

/* The full URL of an API path (starting with '/', escaped), a new string
 * for free(); NULL when out of memory. */
char *kube_client_url(const kube_client *c, const char *path);

#endif
