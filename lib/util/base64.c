/* Base64 for every module; see base64.h. */
#include "util/base64.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

char *util_base64_encode(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);

    if (out != NULL && len <= INT_MAX / 2)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    else if (out != NULL)
        out[0] = '\0';
    return out;
}

int util_base64_decode(const char *in, size_t inlen, char **out, size_t *outlen)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char *buf;
    unsigned char quad[4];
    size_t n = 0, q = 0, o = 0, pad = 0;

    *out = NULL;
    buf = malloc(inlen / 4 * 3 + 3);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        const char *p;

        if (c == '\r' || c == '\n')
            continue;
        if (pad > 0 && c != '=')
            goto bad; /* data after padding */
        if (c == '=') {
            if (q < 2)
                goto bad; /* "=" may only fill the last two places */
            pad++;
            quad[q++] = 0;
        } else {
            if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
                goto bad;
            quad[q++] = (unsigned char)(p - alphabet);
        }
        n++;
        if (q == 4) {
            buf[o++] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
            buf[o++] = (unsigned char)(quad[1] << 4 | quad[2] >> 2);
            buf[o++] = (unsigned char)(quad[2] << 6 | quad[3]);
            q = 0;
            if (pad > 0) {
                o -= pad;
                pad = 3; /* no further group may follow */
            }
        }
    }
    if (q != 0 || n == 0)
        goto bad;
    buf[o] = '\0';
    *out = (char *)buf;
    *outlen = o;
    return 0;
bad:
    free(buf);
    return -1;
}
