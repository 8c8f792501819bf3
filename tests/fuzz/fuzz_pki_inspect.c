/* A certificate read back from a Secret is input anyone with edit rights
 * on the Secret controls: whatever its bytes, pki_inspect must fill a
 * bounded pki_cert_info (pki_facts bounded facts) or fail with a message
 * and leave it empty, never crash, leak, hang or prompt for a PEM password.
 *
 * Input of a NUL byte and more is the DER of a certificate, wrapped here
 * in a PEM block, so that mutations reach the X.509 fields rather than
 * break the base64; any other input is handed over as PEM text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "pki/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The operator's cache keeps these facts in place of the certificate:
 * bounded, NUL-terminated hex, or a failure with a message. */
static void check_facts(const char *pem, size_t len)
{
    pki_cert_facts f;
    util_err err = {{0}};

    if (pki_facts(pem, len, NULL, &f, &err) != 0) {
        if (err.msg[0] == '\0' || f.md[0] != '\0' || f.sig[0] != '\0')
            abort();
        return;
    }
    if (strlen(f.names) != 32 || strlen(f.issuer) != 32 || strlen(f.tbs) % 2 != 0 ||
        strlen(f.sig) % 2 != 0 || f.key_matches)
        abort();
}

static void check(const char *pem, size_t len)
{
    pki_cert_info info;
    util_err err = {{0}};
    size_t i;

    if (pki_inspect(pem, len, &info, &err) == 0) {
        if (strlen(info.common_name) > PKI_CN_MAX || strlen(info.fingerprint) != 64)
            abort();
        for (i = 0; i < info.ndns; i++)
            if (strlen(info.dns[i]) > PKI_NAME_MAX)
                abort();
        for (i = 0; i < info.nips; i++)
            if (strlen(info.ips[i]) > 39) /* the longest IPv6 text */
                abort();
    } else if (err.msg[0] == '\0' || info.dns != NULL || info.ips != NULL || info.ndns != 0 ||
               info.nips != 0) {
        abort();
    }
    pki_cert_info_clear(&info);
    pki_cert_info_clear(&info); /* clearing twice is harmless */
    check_facts(pem, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BIO *b;
    char *pem;
    long n;

    if (size < 2 || data[0] != 0) {
        check((const char *)data, size);
        return 0;
    }
    b = BIO_new(BIO_s_mem());
    if (b == NULL || !PEM_write_bio(b, "CERTIFICATE", "", data + 1, (long)size - 1))
        abort();
    n = BIO_get_mem_data(b, &pem);
    check(pem, (size_t)n);
    BIO_free(b);
    return 0;
}
