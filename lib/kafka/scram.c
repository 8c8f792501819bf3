/* SCRAM client exchange with OpenSSL's PBKDF2, HMAC and digests; see
 * scram.h. The server's messages are untrusted: every attribute is checked
 * before use, and the error says which one is wrong. */
#include "kafka/scram.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "util/base64.h"
#include "util/str.h"

#define NONCE_BYTES 24

struct kafka_scram {
    const EVP_MD *md;
    size_t dlen;            /* digest size */
    char *password;         /* owned, cleansed on free */
    char *nonce;            /* ours */
    char *client_first;     /* "n,," + client_first_bare */
    const char *first_bare; /* into client_first */
    char *client_final;     /* NULL until the server-first message is read */
    unsigned char server_sig[EVP_MAX_MD_SIZE];
    int state; /* 0: sent first, 1: sent final, 2: done */
};

/* Decodes base64 s[0..n) into out (room for size bytes). Returns the
 * decoded length, or -1 if s is not base64, holds nothing or does not fit. */
static int b64_decode(const char *s, size_t n, unsigned char *out, size_t size)
{
    char *buf;
    size_t len;

    if (util_base64_decode(s, n, &buf, &len) != 0)
        return -1;
    if (len > size) {
        free(buf);
        return -1;
    }
    memcpy(out, buf, len);
    free(buf);
    return (int)len;
}

const char *kafka_scram_mechanism(kafka_scram_hash hash)
{
    return hash == KAFKA_SCRAM_SHA_512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
}

/* A SCRAM nonce: printable ASCII except ','. */
static int nonce_ok(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
            return 0;
    return n > 0;
}

int kafka_scram_new(kafka_scram_hash hash, const char *user, const char *password,
                    const char *nonce, kafka_scram **out, util_err *err)
{
    kafka_scram *s;
    char *name, *q;
    const char *p;

    *out = NULL;
    if (user == NULL || password == NULL)
        return util_err_set(err, "SCRAM: user and password are required");
    if (nonce != NULL && !nonce_ok(nonce, strlen(nonce)))
        return util_err_set(err, "SCRAM: the client nonce must be printable ASCII without ','");
    s = calloc(1, sizeof *s);
    name = malloc(3 * strlen(user) + 1);
    if (s == NULL || name == NULL) {
        free(s);
        free(name);
        return util_err_set(err, "SCRAM: out of memory");
    }
    s->md = hash == KAFKA_SCRAM_SHA_512 ? EVP_sha512() : EVP_sha256();
    s->dlen = (size_t)EVP_MD_get_size(s->md);
    /* RFC 5802 5.1: ',' and '=' in the name are escaped. */
    for (p = user, q = name; *p; p++) {
        if (*p == ',' || *p == '=') {
            memcpy(q, *p == ',' ? "=2C" : "=3D", 3);
            q += 3;
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    s->password = strdup(password);
    if (nonce != NULL) {
        s->nonce = strdup(nonce);
    } else {
        unsigned char raw[NONCE_BYTES];
        if (RAND_bytes(raw, sizeof raw) != 1) {
            free(name);
            kafka_scram_free(s);
            return util_err_set(err, "SCRAM: no random bytes for the nonce");
        }
        s->nonce = util_base64_encode(raw, sizeof raw);
    }
    if (s->password != NULL && s->nonce != NULL)
        s->client_first = util_printf("n,,n=%s,r=%s", name, s->nonce);
    free(name);
    if (s->client_first == NULL) {
        kafka_scram_free(s);
        return util_err_set(err, "SCRAM: out of memory");
    }
    s->first_bare = s->client_first + 3;
    *out = s;
    return 0;
}

void kafka_scram_free(kafka_scram *s)
{
    if (s == NULL)
        return;
    if (s->password != NULL)
        OPENSSL_cleanse(s->password, strlen(s->password));
    free(s->password);
    free(s->nonce);
    free(s->client_first);
    free(s->client_final);
    OPENSSL_cleanse(s->server_sig, sizeof s->server_sig);
    free(s);
}

const char *kafka_scram_client_first(const kafka_scram *s)
{
    return s->client_first;
}

const char *kafka_scram_client_final(const kafka_scram *s)
{
    return s->client_final;
}

/* One "x=value" attribute of a message: the next one from *pos. */
typedef struct attr {
    char name;
    const char *val;
    size_t len;
} attr;

/* Reads the attribute at *pos of msg[0..len) and moves *pos past it and its
 * ','. Returns 0, 1 at the end of the message, -1 if malformed. */
static int next_attr(const char *msg, size_t len, size_t *pos, attr *a)
{
    size_t start = *pos, end;

    if (start >= len)
        return 1;
    end = start;
    while (end < len && msg[end] != ',')
        end++;
    if (end - start < 2 || msg[start + 1] != '=' ||
        !((msg[start] >= 'a' && msg[start] <= 'z') || (msg[start] >= 'A' && msg[start] <= 'Z')))
        return -1;
    a->name = msg[start];
    a->val = msg + start + 2;
    a->len = end - start - 2;
    *pos = end < len ? end + 1 : end;
    /* A trailing ',' leaves an empty attribute: malformed. */
    if (end < len && *pos == len)
        return -1;
    return 0;
}

/* Checks that msg[0..len) holds no NUL: it becomes part of a C string. */
static int text_ok(const void *msg, size_t len)
{
    return len > 0 && memchr(msg, '\0', len) == NULL;
}

static int hmac(const kafka_scram *s, const unsigned char *key, size_t klen, const void *data,
                size_t dlen, unsigned char *out)
{
    unsigned int n = 0;

    return HMAC(s->md, key, (int)klen, data, dlen, out, &n) != NULL && n == s->dlen ? 0 : -1;
}

int kafka_scram_server_first(kafka_scram *s, const void *msgv, size_t len, util_err *err)
{
    const char *msg = msgv;
    unsigned char salt[4096], salted[EVP_MAX_MD_SIZE], client_key[EVP_MAX_MD_SIZE],
        stored_key[EVP_MAX_MD_SIZE], client_sig[EVP_MAX_MD_SIZE], proof[EVP_MAX_MD_SIZE],
        server_key[EVP_MAX_MD_SIZE];
    attr r = {0, NULL, 0}, sa = {0, NULL, 0}, ia = {0, NULL, 0}, a;
    size_t pos = 0, i, nlen = strlen(s->nonce);
    unsigned int dn = 0;
    long iterations = 0;
    int salt_len, rc, ok = -1;
    char *final_bare = NULL, *auth = NULL, *proof64 = NULL;

    if (s->state != 0)
        return util_err_set(err, "SCRAM: server-first message out of turn");
    if (!text_ok(msg, len))
        return util_err_set(err, "SCRAM server-first message: empty or holds a NUL byte");
    while ((rc = next_attr(msg, len, &pos, &a)) == 0) {
        if (a.name == 'm')
            return util_err_set(err, "SCRAM server-first message: mandatory extension "
                                     "'m' not supported");
        if (a.name == 'e')
            return util_err_set(err, "SCRAM server-first message: server error '%.*s'",
                                (int)(a.len > 200 ? 200 : a.len), a.val);
        if (a.name == 'r' && r.val == NULL)
            r = a;
        else if (a.name == 's' && sa.val == NULL)
            sa = a;
        else if (a.name == 'i' && ia.val == NULL)
            ia = a;
        /* Other attributes are extensions, which a client may ignore. */
    }
    if (rc < 0)
        return util_err_set(err, "SCRAM server-first message: malformed attribute at offset %zu",
                            pos);
    if (r.val == NULL || sa.val == NULL || ia.val == NULL)
        return util_err_set(err, "SCRAM server-first message: missing %s",
                            r.val == NULL    ? "nonce (r=)"
                            : sa.val == NULL ? "salt (s=)"
                                             : "iteration count (i=)");
    if (!nonce_ok(r.val, r.len))
        return util_err_set(err, "SCRAM server-first message: nonce is not printable ASCII");
    if (r.len <= nlen || memcmp(r.val, s->nonce, nlen) != 0)
        return util_err_set(err, "SCRAM server-first message: nonce does not extend ours");
    salt_len = b64_decode(sa.val, sa.len, salt, sizeof salt);
    if (salt_len <= 0)
        return util_err_set(err, "SCRAM server-first message: salt is not base64");
    for (i = 0; i < ia.len; i++) {
        if (ia.val[i] < '0' || ia.val[i] > '9' || iterations > KAFKA_SCRAM_MAX_ITERATIONS)
            break;
        iterations = iterations * 10 + (ia.val[i] - '0');
    }
    if (i < ia.len || iterations < 1 || iterations > KAFKA_SCRAM_MAX_ITERATIONS)
        return util_err_set(err,
                            "SCRAM server-first message: iteration count '%.*s' is not a number "
                            "from 1 to %d",
                            (int)(ia.len > 20 ? 20 : ia.len), ia.val, KAFKA_SCRAM_MAX_ITERATIONS);

    /* RFC 5802 section 3. */
    final_bare = util_printf("c=biws,r=%.*s", (int)r.len, r.val);
    if (final_bare != NULL)
        auth = util_printf("%s,%.*s,%s", s->first_bare, (int)len, msg, final_bare);
    if (auth == NULL) {
        util_err_set(err, "SCRAM: out of memory");
        goto out;
    }
    if (PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), salt, salt_len, (int)iterations,
                          s->md, (int)s->dlen, salted) != 1 ||
        hmac(s, salted, s->dlen, "Client Key", 10, client_key) < 0 ||
        EVP_Digest(client_key, s->dlen, stored_key, &dn, s->md, NULL) != 1 ||
        hmac(s, stored_key, s->dlen, auth, strlen(auth), client_sig) < 0 ||
        hmac(s, salted, s->dlen, "Server Key", 10, server_key) < 0 ||
        hmac(s, server_key, s->dlen, auth, strlen(auth), s->server_sig) < 0) {
        util_err_set(err, "SCRAM: key derivation failed");
        goto out;
    }
    for (i = 0; i < s->dlen; i++)
        proof[i] = client_key[i] ^ client_sig[i];
    proof64 = util_base64_encode(proof, s->dlen);
    if (proof64 != NULL)
        s->client_final = util_printf("%s,p=%s", final_bare, proof64);
    if (s->client_final == NULL) {
        util_err_set(err, "SCRAM: out of memory");
        goto out;
    }
    s->state = 1;
    ok = 0;
out:
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    OPENSSL_cleanse(server_key, sizeof server_key);
    free(final_bare);
    free(auth);
    free(proof64);
    return ok;
}

int kafka_scram_server_final(kafka_scram *s, const void *msgv, size_t len, util_err *err)
{
    const char *msg = msgv;
    unsigned char sig[4096];
    size_t pos = 0;
    attr a;
    int n;

    if (s->state != 1)
        return util_err_set(err, "SCRAM: server-final message out of turn");
    if (!text_ok(msg, len) || next_attr(msg, len, &pos, &a) != 0)
        return util_err_set(err, "SCRAM server-final message: malformed");
    if (a.name == 'e')
        return util_err_set(err, "SCRAM: server refused: %.*s", (int)(a.len > 200 ? 200 : a.len),
                            a.val);
    if (a.name != 'v')
        return util_err_set(err, "SCRAM server-final message: neither a verifier (v=) nor an "
                                 "error (e=)");
    n = b64_decode(a.val, a.len, sig, sizeof sig);
    if (n < 0)
        return util_err_set(err, "SCRAM server-final message: verifier is not base64");
    if ((size_t)n != s->dlen || CRYPTO_memcmp(sig, s->server_sig, s->dlen) != 0)
        return util_err_set(err, "SCRAM: the server's signature is wrong: it does not know "
                                 "the password");
    s->state = 2;
    return 0;
}
