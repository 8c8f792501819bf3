/* Throwaway certificates for tests: a key and a self-signed certificate made
 * in memory, so TLS tests need no fixture files that expire. */
#ifndef BERTH_TESTS_PKI_H
#define BERTH_TESTS_PKI_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A new EC P-256 key and a self-signed CA certificate for it with common
 * name cn, valid for a day. *cert_pem and *key_pem are new strings for
 * free(). Aborts the test program on failure. */
void pki_self_signed(const char *cn, char **cert_pem, char **key_pem);

/* A new EC P-256 key and a client certificate (extendedKeyUsage
 * clientAuth) for CN=cn and, if org is not NULL, O=org, signed by the CA
 * whose PEM certificate and key are given, valid for a day: a user of an
 * API server that trusts that CA (its name is cn, its group org). New
 * strings for free(). Aborts the test program on failure. */
void pki_issue_client(const char *ca_cert_pem, const char *ca_key_pem, const char *cn,
                      const char *org, char **cert_pem, char **key_pem);

/* A TLS server context with the certificate and key given as PEM; with
 * client_ca_pem (else NULL) it requires a client certificate signed by
 * that CA. For SSL_CTX_free. Aborts the test program on failure. */
SSL_CTX *pki_server_ctx(const char *cert_pem, const char *key_pem, const char *client_ca_pem);

/* Reads exactly n bytes from ssl into buf, as a test's TLS server reads a
 * request: 0, or -1 if the connection fails or ends first. */
int pki_ssl_read_all(SSL *ssl, void *buf, size_t n);

/* Standard base64 of data on one line, as kubeconfig -data fields hold it; a
 * new string for free(). */
char *pki_base64(const void *data, size_t len);

#endif
