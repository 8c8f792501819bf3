/* Throwaway certificates for tests; see pki.h. The X.509 work is
 * lib/pki's: here only the tests' validity (an hour ago to a day on) and
 * aborting on failure. */
#include "support/pki.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>

#include "pki/pki.h"

/* A request for cn valid from an hour ago to a day from now. */
static pki_request request(const char *cn)
{
    long long now = (long long)time(NULL);
    pki_request r = {.common_name = cn, .not_before = now - 3600, .not_after = now + 86400};

    return r;
}

static void check(int rc, const util_err *err, const char *cn)
{
    if (rc != 0) {
        fprintf(stderr, "pki: certificate for '%s': %s\n", cn, err->msg);
        abort();
    }
}

void pki_self_signed(const char *cn, char **cert_pem, char **key_pem)
{
    pki_request r = request(cn);
    util_err err;

    /* No extendedKeyUsage: it serves as TLS server, client and CA alike. */
    check(pki_self_signed_new(&r, cert_pem, key_pem, &err), &err, cn);
}

void pki_issue_client(const char *ca_cert_pem, const char *ca_key_pem, const char *cn,
                      const char *org, char **cert_pem, char **key_pem)
{
    pki_request r = request(cn);
    util_err err;

    r.organization = org;
    r.client = true;
    check(pki_issue(ca_cert_pem, ca_key_pem, &r, cert_pem, key_pem, &err), &err, cn);
}

char *pki_base64(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);

    if (out == NULL)
        abort();
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}
