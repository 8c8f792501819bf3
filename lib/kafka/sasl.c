/* SaslHandshake and SaslAuthenticate, and the PLAIN and SCRAM exchanges over
 * them; see sasl.h. Field layout per the protocol's message definitions
 * (SaslHandshake v0..v1, SaslAuthenticate v0..v2). */
#include "kafka/sasl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kafka/call.h"
#include "kafka/proto.h"
#include "kafka/scram.h"

#define AUTH_FLEXIBLE(v) ((v) >= 2)

static const unsigned char no_bytes[1];

const char *kafka_sasl_mechanism_name(kafka_sasl_mechanism m)
{
    switch (m) {
    case KAFKA_SASL_PLAIN:
        return "PLAIN";
    case KAFKA_SASL_SCRAM_SHA_256:
        return "SCRAM-SHA-256";
    case KAFKA_SASL_SCRAM_SHA_512:
        return "SCRAM-SHA-512";
    }
    return "unknown";
}

int kafka_sasl_mechanism_parse(const char *name, kafka_sasl_mechanism *out, util_err *err)
{
    static const kafka_sasl_mechanism all[] = {KAFKA_SASL_PLAIN, KAFKA_SASL_SCRAM_SHA_256,
                                               KAFKA_SASL_SCRAM_SHA_512};
    size_t i;

    for (i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name != NULL && strcasecmp(name, kafka_sasl_mechanism_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return util_err_set(err,
                        "SASL mechanism '%s' not supported (PLAIN, SCRAM-SHA-256, "
                        "SCRAM-SHA-512)",
                        name ? name : "(none)");
}

/* ---- SaslHandshake ---- */

int kafka_sasl_handshake_encode(kafka_writer *w, int16_t version, const char *mechanism,
                                util_err *err)
{
    if (version < KAFKA_SASL_HANDSHAKE_MIN || version > KAFKA_SASL_HANDSHAKE_MAX)
        return util_err_set(err, "SaslHandshake request: version %d not spoken (%d..%d)", version,
                            KAFKA_SASL_HANDSHAKE_MIN, KAFKA_SASL_HANDSHAKE_MAX);
    if (mechanism == NULL)
        return util_err_set(err, "SaslHandshake v%d request: mechanism missing", version);
    kafka_put_string(w, mechanism);
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "SaslHandshake v%d request", version);
    return 0;
}

int kafka_sasl_handshake_decode(const void *body, size_t len, int16_t version,
                                kafka_sasl_handshake_response **out, util_err *err)
{
    kafka_sasl_handshake_response *res;
    kafka_reader r;
    int32_t i, n;

    *out = NULL;
    if (version < KAFKA_SASL_HANDSHAKE_MIN || version > KAFKA_SASL_HANDSHAKE_MAX)
        return util_err_set(err, "SaslHandshake response: version %d not spoken (%d..%d)", version,
                            KAFKA_SASL_HANDSHAKE_MIN, KAFKA_SASL_HANDSHAKE_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "SaslHandshake response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    kafka_read_i16(&r, "error_code", &res->error_code);
    /* A string takes at least its two length bytes. */
    kafka_read_count(&r, 0, "mechanisms", KAFKA_NOT_NULL, 2, &n);
    res->mechanisms = kafka_read_alloc(&r, &res->arena, "mechanisms", n, sizeof *res->mechanisms);
    for (i = 0; i < n && kafka_reader_status(&r) == 0; i++) {
        kafka_reader_enter(&r, "mechanisms", i);
        kafka_read_dup_string(&r, &res->arena, 0, NULL, KAFKA_NOT_NULL, &res->mechanisms[i]);
        kafka_reader_leave(&r);
        res->n_mechanisms = i + 1;
    }
    if (kafka_reader_expect_end(&r) < 0) {
        kafka_sasl_handshake_free(res);
        return util_err_prefix(err, "SaslHandshake v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_sasl_handshake_free(kafka_sasl_handshake_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

/* ---- SaslAuthenticate ---- */

int kafka_sasl_authenticate_encode(kafka_writer *w, int16_t version, const void *auth_bytes,
                                   size_t len, util_err *err)
{
    if (version < KAFKA_SASL_AUTHENTICATE_MIN || version > KAFKA_SASL_AUTHENTICATE_MAX)
        return util_err_set(err, "SaslAuthenticate request: version %d not spoken (%d..%d)",
                            version, KAFKA_SASL_AUTHENTICATE_MIN, KAFKA_SASL_AUTHENTICATE_MAX);
    if (auth_bytes == NULL)
        auth_bytes = no_bytes; /* not nullable: empty instead */
    if (AUTH_FLEXIBLE(version))
        kafka_put_compact_bytes(w, auth_bytes, len);
    else
        kafka_put_bytes(w, auth_bytes, len);
    kafka_put_flex_tags(w, AUTH_FLEXIBLE(version));
    if (kafka_writer_status(w, err) < 0)
        return util_err_prefix(err, "SaslAuthenticate v%d request", version);
    return 0;
}

int kafka_sasl_authenticate_decode(const void *body, size_t len, int16_t version,
                                   kafka_sasl_authenticate_response **out, util_err *err)
{
    kafka_sasl_authenticate_response *res;
    int flex = AUTH_FLEXIBLE(version);
    kafka_reader r;
    kafka_bytes b;

    *out = NULL;
    if (version < KAFKA_SASL_AUTHENTICATE_MIN || version > KAFKA_SASL_AUTHENTICATE_MAX)
        return util_err_set(err, "SaslAuthenticate response: version %d not spoken (%d..%d)",
                            version, KAFKA_SASL_AUTHENTICATE_MIN, KAFKA_SASL_AUTHENTICATE_MAX);
    res = calloc(1, sizeof *res);
    if (res == NULL)
        return util_err_set(err, "SaslAuthenticate response: out of memory");
    kafka_arena_init(&res->arena);
    res->version = version;
    kafka_reader_init(&r, body, len, err);
    kafka_read_i16(&r, "error_code", &res->error_code);
    kafka_read_dup_string(&r, &res->arena, flex, "error_message", KAFKA_NULLABLE,
                          &res->error_message);
    if (flex)
        kafka_read_compact_bytes(&r, "auth_bytes", KAFKA_NOT_NULL, &b);
    else
        kafka_read_bytes(&r, "auth_bytes", KAFKA_NOT_NULL, &b);
    res->auth_bytes.ptr = no_bytes;
    if (kafka_reader_status(&r) == 0 && b.len > 0) {
        unsigned char *copy = kafka_arena_alloc(&res->arena, b.len, 1);
        if (copy == NULL) {
            kafka_reader_fail(&r, "auth_bytes", "out of memory");
        } else {
            memcpy(copy, b.ptr, b.len);
            res->auth_bytes.ptr = copy;
            res->auth_bytes.len = b.len;
        }
    }
    if (version >= 1)
        kafka_read_i64(&r, "session_lifetime_ms", &res->session_lifetime_ms);
    kafka_read_flex_tags(&r, flex, "tagged_fields");
    if (kafka_reader_expect_end(&r) < 0) {
        kafka_sasl_authenticate_free(res);
        return util_err_prefix(err, "SaslAuthenticate v%d response", version);
    }
    *out = res;
    return 0;
}

void kafka_sasl_authenticate_free(kafka_sasl_authenticate_response *res)
{
    if (res == NULL)
        return;
    kafka_arena_release(&res->arena);
    free(res);
}

/* ---- the exchange ---- */

/* Sends the mechanism's name and checks that the listener takes it. */
static int handshake(kafka_conn *c, const kafka_api_versions *av, const char *mech, int timeout_ms,
                     util_err *err)
{
    kafka_sasl_handshake_response *res;
    kafka_writer w;
    kafka_bytes resp;
    int16_t v;
    int rc;

    if (kafka_call_pick(c, av, KAFKA_API_SASL_HANDSHAKE, KAFKA_SASL_HANDSHAKE_MIN,
                        KAFKA_SASL_HANDSHAKE_MAX, &v, err) < 0)
        return -1;
    kafka_writer_init(&w);
    rc = kafka_sasl_handshake_encode(&w, v, mech, err);
    if (rc == 0)
        rc = kafka_call_send(c, KAFKA_API_SASL_HANDSHAKE, v, 0, &w, timeout_ms, &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_sasl_handshake_decode(resp.ptr, resp.len, v, &res, err) < 0)
        return util_err_prefix(err, "broker %s", kafka_conn_addr(c));
    if (res->error_code == KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM) {
        char offers[256];
        size_t used = 0;
        int32_t i;

        offers[0] = '\0';
        for (i = 0; i < res->n_mechanisms && used < sizeof offers; i++) {
            int n = snprintf(offers + used, sizeof offers - used, "%s%s", i ? ", " : "",
                             res->mechanisms[i]);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        util_err_set(err, "broker %s: SASL: the listener does not offer %s (it offers %s)",
                     kafka_conn_addr(c), mech, res->n_mechanisms ? offers : "none");
        kafka_sasl_handshake_free(res);
        return -1;
    }
    if (res->error_code != KAFKA_ERR_NONE) {
        kafka_call_error(c, KAFKA_API_SASL_HANDSHAKE, v, res->error_code, NULL, err);
        kafka_sasl_handshake_free(res);
        return -1;
    }
    kafka_sasl_handshake_free(res);
    return 0;
}

/* One SaslAuthenticate round trip; a refusal is an error naming the code
 * and the broker's message. */
static int auth_round(kafka_conn *c, int16_t v, const void *bytes, size_t len, int timeout_ms,
                      kafka_sasl_authenticate_response **out, util_err *err)
{
    kafka_writer w;
    kafka_bytes resp;
    int rc;

    *out = NULL;
    kafka_writer_init(&w);
    rc = kafka_sasl_authenticate_encode(&w, v, bytes, len, err);
    if (rc == 0)
        rc = kafka_call_send(c, KAFKA_API_SASL_AUTHENTICATE, v, AUTH_FLEXIBLE(v), &w, timeout_ms,
                             &resp, err);
    kafka_writer_release(&w);
    if (rc < 0)
        return -1;
    if (kafka_sasl_authenticate_decode(resp.ptr, resp.len, v, out, err) < 0)
        return -1;
    if ((*out)->error_code != KAFKA_ERR_NONE) {
        util_err_set(err, "%s (error %d)%s%s", kafka_error_name((*out)->error_code),
                     (*out)->error_code, (*out)->error_message ? ": " : "",
                     (*out)->error_message ? (*out)->error_message : "");
        kafka_sasl_authenticate_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int plain(kafka_conn *c, int16_t v, const kafka_sasl_opts *o, int timeout_ms, util_err *err)
{
    kafka_sasl_authenticate_response *res;
    size_t ul = strlen(o->username), pl = strlen(o->password);
    char *msg = malloc(ul + pl + 2);
    int rc;

    if (msg == NULL)
        return util_err_set(err, "out of memory");
    /* RFC 4616: authzid (empty), NUL, authcid, NUL, password. */
    msg[0] = '\0';
    memcpy(msg + 1, o->username, ul);
    msg[1 + ul] = '\0';
    memcpy(msg + 2 + ul, o->password, pl);
    rc = auth_round(c, v, msg, ul + pl + 2, timeout_ms, &res, err);
    memset(msg, 0, ul + pl + 2);
    free(msg);
    kafka_sasl_authenticate_free(res);
    return rc;
}

static int scram(kafka_conn *c, int16_t v, const kafka_sasl_opts *o, int timeout_ms, util_err *err)
{
    kafka_sasl_authenticate_response *res = NULL;
    kafka_scram *s;
    const char *msg;
    int rc;

    if (kafka_scram_new(o->mechanism == KAFKA_SASL_SCRAM_SHA_512 ? KAFKA_SCRAM_SHA_512
                                                                 : KAFKA_SCRAM_SHA_256,
                        o->username, o->password, NULL, &s, err) < 0)
        return -1;
    msg = kafka_scram_client_first(s);
    rc = auth_round(c, v, msg, strlen(msg), timeout_ms, &res, err);
    if (rc == 0)
        rc = kafka_scram_server_first(s, res->auth_bytes.ptr, res->auth_bytes.len, err);
    kafka_sasl_authenticate_free(res);
    res = NULL;
    if (rc == 0) {
        msg = kafka_scram_client_final(s);
        rc = auth_round(c, v, msg, strlen(msg), timeout_ms, &res, err);
    }
    if (rc == 0)
        rc = kafka_scram_server_final(s, res->auth_bytes.ptr, res->auth_bytes.len, err);
    kafka_sasl_authenticate_free(res);
    kafka_scram_free(s);
    return rc;
}

int kafka_sasl_authenticate(kafka_conn *c, const kafka_api_versions *av,
                            const kafka_sasl_opts *opts, int timeout_ms, util_err *err)
{
    const char *mech = kafka_sasl_mechanism_name(opts->mechanism);
    int16_t v;
    int rc;

    if (opts->username == NULL || opts->password == NULL)
        return util_err_set(err, "broker %s: SASL %s: username and password are required",
                            kafka_conn_addr(c), mech);
    if (strcmp(mech, "unknown") == 0)
        return util_err_set(err, "broker %s: SASL: unknown mechanism %d", kafka_conn_addr(c),
                            (int)opts->mechanism);
    if (handshake(c, av, mech, timeout_ms, err) < 0)
        return -1;
    if (kafka_call_pick(c, av, KAFKA_API_SASL_AUTHENTICATE, KAFKA_SASL_AUTHENTICATE_MIN,
                        KAFKA_SASL_AUTHENTICATE_MAX, &v, err) < 0)
        return -1;
    rc = opts->mechanism == KAFKA_SASL_PLAIN ? plain(c, v, opts, timeout_ms, err)
                                             : scram(c, v, opts, timeout_ms, err);
    if (rc < 0) {
        /* Errors from conn.c already name the broker. */
        if (err != NULL && strncmp(err->msg, "broker ", 7) == 0)
            return util_err_prefix(err, "SASL authentication as '%s' with %s failed",
                                   opts->username, mech);
        return util_err_prefix(err, "broker %s: SASL authentication as '%s' with %s failed",
                               kafka_conn_addr(c), opts->username, mech);
    }
    return 0;
}
