/* SASL for broker connections: the SCRAM-SHA-256 client reproduces RFC
 * 7677's test vector byte for byte (and SCRAM-SHA-512 the same exchange as
 * computed by an independent implementation), refuses a server that cannot
 * prove it knows the password, and names what is wrong with every malformed
 * server message; SaslHandshake and SaslAuthenticate bodies are written as
 * the protocol's message definitions say and read back, failing cleanly on
 * every truncation. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/proto.h"
#include "kafka/sasl.h"
#include "kafka/scram.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define I16(v) (((v) >> 8) & 0xff), ((v)&0xff)
#define I32(v) (((v) >> 24) & 0xff), (((v) >> 16) & 0xff), (((v) >> 8) & 0xff), ((v)&0xff)

/* RFC 7677 section 3. */
#define RFC_NONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_FIRST                                                                           \
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define RFC_FINAL_BARE "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

static kafka_scram *start(kafka_scram_hash hash)
{
    kafka_scram *s;
    util_err err;

    ck_assert_msg(kafka_scram_new(hash, "user", "pencil", RFC_NONCE, &s, &err) == 0, "%s", err.msg);
    return s;
}

START_TEST(scram_sha_256_matches_rfc_7677)
{
    static const char server_final[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    kafka_scram *s = start(KAFKA_SCRAM_SHA_256);
    util_err err;

    ck_assert_str_eq(kafka_scram_client_first(s), "n,,n=user,r=" RFC_NONCE);
    ck_assert_ptr_null(kafka_scram_client_final(s));
    ck_assert_msg(kafka_scram_server_first(s, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), &err) ==
                      0,
                  "%s", err.msg);
    ck_assert_str_eq(kafka_scram_client_final(s),
                     RFC_FINAL_BARE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    ck_assert_msg(kafka_scram_server_final(s, server_final, strlen(server_final), &err) == 0, "%s",
                  err.msg);
    kafka_scram_free(s);
    kafka_scram_free(NULL);
}
END_TEST

START_TEST(scram_sha_512_matches_an_independent_implementation)
{
    static const char server_final[] =
        "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSe"
        "VGT4+5ZxXnJq199RVG2rR7N7Zw==";
    kafka_scram *s = start(KAFKA_SCRAM_SHA_512);
    util_err err;

    ck_assert_str_eq(kafka_scram_mechanism(KAFKA_SCRAM_SHA_512), "SCRAM-SHA-512");
    ck_assert_int_eq(kafka_scram_server_first(s, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), &err),
                     0);
    ck_assert_str_eq(kafka_scram_client_final(s),
                     RFC_FINAL_BARE ",p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMl"
                                    "TN8PPC6wdp6dybEmDYXYTxwnYPJQ==");
    ck_assert_int_eq(kafka_scram_server_final(s, server_final, strlen(server_final), &err), 0);
    kafka_scram_free(s);
}
END_TEST

START_TEST(scram_refuses_a_server_without_the_password)
{
    /* The SHA-256 verifier with its first byte changed. */
    static const char forged[] = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    static const char short_sig[] = "v=AAAA";
    static const char refused[] = "e=invalid-proof";
    kafka_scram *s = start(KAFKA_SCRAM_SHA_256);
    util_err err;

    ck_assert_int_eq(kafka_scram_server_final(s, forged, strlen(forged), &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM: server-final message out of turn");
    ck_assert_int_eq(kafka_scram_server_first(s, RFC_SERVER_FIRST, strlen(RFC_SERVER_FIRST), &err),
                     0);
    ck_assert_int_eq(kafka_scram_server_final(s, forged, strlen(forged), &err), -1);
    ck_assert_str_eq(err.msg,
                     "SCRAM: the server's signature is wrong: it does not know the password");
    ck_assert_int_eq(kafka_scram_server_final(s, short_sig, strlen(short_sig), &err), -1);
    ck_assert_str_eq(err.msg,
                     "SCRAM: the server's signature is wrong: it does not know the password");
    ck_assert_int_eq(kafka_scram_server_final(s, refused, strlen(refused), &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM: server refused: invalid-proof");
    ck_assert_int_eq(kafka_scram_server_final(s, "x=1", 3, &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM server-final message: neither a verifier (v=) nor an error "
                              "(e=)");
    ck_assert_int_eq(kafka_scram_server_final(s, "v=@@@@", 6, &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM server-final message: verifier is not base64");
    ck_assert_int_eq(kafka_scram_server_final(s, "", 0, &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM server-final message: malformed");
    kafka_scram_free(s);
}
END_TEST

START_TEST(scram_names_what_is_wrong_with_a_server_first_message)
{
    static const struct {
        const char *msg;
        const char *why;
    } bad[] = {
        {"r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce does not extend ours"},
        {"r=" RFC_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce does not extend ours"},
        {"r=" RFC_NONCE "x,i=4096", "missing salt (s=)"},
        {"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "missing nonce (r=)"},
        {"r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==", "missing iteration count (i=)"},
        {"r=" RFC_NONCE "x,s=W22Z*J0SNY7soEsUEjb6gQ==,i=4096", "salt is not base64"},
        {"r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096", "salt is not base64"},
        {"r=" RFC_NONCE "x,s=,i=4096", "salt is not base64"},
        {"r=" RFC_NONCE "x,=,i=4096", "malformed attribute at offset 24"},
        {"r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
         "iteration count '0' is not a number from 1 to 100000"},
        {"r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-5",
         "iteration count '-5' is not a number from 1 to 100000"},
        {"r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999999",
         "iteration count '99999999999999999999' is not a number from 1 to 100000"},
        {"m=ext,r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
         "mandatory extension 'm' not supported"},
        {"e=unknown-user", "server error 'unknown-user'"},
        {"r=" RFC_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,", "malformed attribute at offset 58"},
        {"r=" RFC_NONCE "x y,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "nonce is not printable ASCII"},
        {"garbage", "malformed attribute at offset 0"},
        {"", "empty or holds a NUL byte"},
    };
    size_t i;

    for (i = 0; i < LEN(bad); i++) {
        kafka_scram *s = start(KAFKA_SCRAM_SHA_256);
        char want[256];
        util_err err;

        ck_assert_int_eq(kafka_scram_server_first(s, bad[i].msg, strlen(bad[i].msg), &err), -1);
        snprintf(want, sizeof want, "SCRAM server-first message: %s", bad[i].why);
        ck_assert_msg(strcmp(err.msg, want) == 0, "%s: got '%s'", bad[i].msg, err.msg);
        ck_assert_ptr_null(kafka_scram_client_final(s));
        kafka_scram_free(s);
    }
    {
        /* An embedded NUL would cut the auth message short. */
        static const char nul[] = "r=" RFC_NONCE "x\0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        kafka_scram *s = start(KAFKA_SCRAM_SHA_256);
        util_err err;

        ck_assert_int_eq(kafka_scram_server_first(s, nul, sizeof nul - 1, &err), -1);
        ck_assert_str_eq(err.msg, "SCRAM server-first message: empty or holds a NUL byte");
        kafka_scram_free(s);
    }
}
END_TEST

START_TEST(scram_escapes_names_and_draws_fresh_nonces)
{
    kafka_scram *a, *b;
    util_err err;

    ck_assert_int_eq(kafka_scram_new(KAFKA_SCRAM_SHA_512, "a=b,c", "pw", "n1", &a, &err), 0);
    ck_assert_str_eq(kafka_scram_client_first(a), "n,,n=a=3Db=2Cc,r=n1");
    kafka_scram_free(a);
    ck_assert_int_eq(kafka_scram_new(KAFKA_SCRAM_SHA_512, "u", "pw", "bad,nonce", &a, &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM: the client nonce must be printable ASCII without ','");
    ck_assert_int_eq(kafka_scram_new(KAFKA_SCRAM_SHA_512, "u", NULL, NULL, &a, &err), -1);
    ck_assert_str_eq(err.msg, "SCRAM: user and password are required");

    /* Random nonces: 24 bytes in base64, different every time. */
    ck_assert_int_eq(kafka_scram_new(KAFKA_SCRAM_SHA_256, "u", "pw", NULL, &a, &err), 0);
    ck_assert_int_eq(kafka_scram_new(KAFKA_SCRAM_SHA_256, "u", "pw", NULL, &b, &err), 0);
    ck_assert_int_eq(strlen(kafka_scram_client_first(a)), strlen("n,,n=u,r=") + 32);
    ck_assert_str_ne(kafka_scram_client_first(a), kafka_scram_client_first(b));
    kafka_scram_free(a);
    kafka_scram_free(b);
}
END_TEST

/* ---- SaslHandshake / SaslAuthenticate ---- */

START_TEST(handshake_request_and_responses)
{
    static const unsigned char req[] = {I16(13), 'S', 'C', 'R', 'A', 'M', '-',
                                        'S',     'H', 'A', '-', '5', '1', '2'};
    static const unsigned char ok[] = {I16(0),  I32(2), I16(5), 'P', 'L', 'A', 'I', 'N',
                                       I16(13), 'S',    'C',    'R', 'A', 'M', '-', 'S',
                                       'H',     'A',    '-',    '2', '5', '6'};
    static const unsigned char refused[] = {I16(KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM), I32(0)};
    static const unsigned char hostile[] = {I16(0), I32(5), I16(0), I16(0)};
    kafka_sasl_handshake_response *res;
    kafka_writer w;
    util_err err;
    size_t n;

    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_sasl_handshake_encode(&w, 1, "SCRAM-SHA-512", &err), 0);
    ck_assert_int_eq(w.len, sizeof req);
    ck_assert_mem_eq(w.buf, req, sizeof req);
    ck_assert_int_eq(kafka_sasl_handshake_encode(&w, 0, "PLAIN", &err), -1);
    ck_assert_str_eq(err.msg, "SaslHandshake request: version 0 not spoken (1..1)");
    kafka_writer_release(&w);

    ck_assert_msg(kafka_sasl_handshake_decode(ok, sizeof ok, 1, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(res->error_code, 0);
    ck_assert_int_eq(res->n_mechanisms, 2);
    ck_assert_str_eq(res->mechanisms[0], "PLAIN");
    ck_assert_str_eq(res->mechanisms[1], "SCRAM-SHA-256");
    kafka_sasl_handshake_free(res);
    ck_assert_int_eq(kafka_sasl_handshake_decode(refused, sizeof refused, 1, &res, &err), 0);
    ck_assert_int_eq(res->error_code, KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM);
    ck_assert_int_eq(res->n_mechanisms, 0);
    kafka_sasl_handshake_free(res);
    kafka_sasl_handshake_free(NULL);

    ck_assert_int_eq(kafka_sasl_handshake_decode(hostile, sizeof hostile, 1, &res, &err), -1);
    ck_assert_str_eq(err.msg, "SaslHandshake v1 response: mechanisms: count 5 needs at least 10 "
                              "bytes, 4 left at offset 6");
    ck_assert_ptr_null(res);
    for (n = 0; n < sizeof ok; n++) {
        ck_assert_int_eq(kafka_sasl_handshake_decode(ok, n, 1, &res, &err), -1);
        ck_assert_msg(strncmp(err.msg, "SaslHandshake v1 response: ", 27) == 0, "%s", err.msg);
    }
}
END_TEST

START_TEST(authenticate_requests_and_responses_v0_v2)
{
    static const unsigned char req_v2[] = {0x04, 'a', 0, 'b', 0x00};
    static const unsigned char req_v0[] = {I32(3), 'a', 0, 'b'};
    static const unsigned char ok_v2[] = {I16(0), 0x00, 0x03, 'r', '=', I32(0), I32(1000), 0x00};
    static const unsigned char ok_v1[] = {I16(0), I16(-1), I32(2), 'v', '=', I32(0), I32(0)};
    static const unsigned char ok_v0[] = {I16(0), I16(-1), I32(0)};
    static const unsigned char refused_v2[] = {
        I16(KAFKA_ERR_SASL_AUTHENTICATION_FAILED), 0x04, 'b', 'a', 'd', 0x01, I32(0), I32(0), 0x00};
    static const unsigned char trailing_v0[] = {I16(0), I16(-1), I32(0), 0x00};
    kafka_sasl_authenticate_response *res;
    kafka_writer w;
    util_err err;
    size_t n;

    kafka_writer_init(&w);
    ck_assert_int_eq(kafka_sasl_authenticate_encode(&w, 2, "a\0b", 3, &err), 0);
    ck_assert_int_eq(w.len, sizeof req_v2);
    ck_assert_mem_eq(w.buf, req_v2, sizeof req_v2);
    kafka_writer_reset(&w);
    ck_assert_int_eq(kafka_sasl_authenticate_encode(&w, 0, "a\0b", 3, &err), 0);
    ck_assert_int_eq(w.len, sizeof req_v0);
    ck_assert_mem_eq(w.buf, req_v0, sizeof req_v0);
    kafka_writer_release(&w);

    ck_assert_msg(kafka_sasl_authenticate_decode(ok_v2, sizeof ok_v2, 2, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(res->error_code, 0);
    ck_assert_ptr_null(res->error_message);
    ck_assert_int_eq(res->auth_bytes.len, 2);
    ck_assert_mem_eq(res->auth_bytes.ptr, "r=", 2);
    ck_assert_int_eq(res->session_lifetime_ms, 1000);
    kafka_sasl_authenticate_free(res);
    ck_assert_int_eq(kafka_sasl_authenticate_decode(ok_v1, sizeof ok_v1, 1, &res, &err), 0);
    ck_assert_mem_eq(res->auth_bytes.ptr, "v=", 2);
    kafka_sasl_authenticate_free(res);
    ck_assert_int_eq(kafka_sasl_authenticate_decode(ok_v0, sizeof ok_v0, 0, &res, &err), 0);
    ck_assert_int_eq(res->auth_bytes.len, 0);
    ck_assert_ptr_nonnull(res->auth_bytes.ptr);
    kafka_sasl_authenticate_free(res);
    ck_assert_int_eq(kafka_sasl_authenticate_decode(refused_v2, sizeof refused_v2, 2, &res, &err),
                     0);
    ck_assert_int_eq(res->error_code, KAFKA_ERR_SASL_AUTHENTICATION_FAILED);
    ck_assert_str_eq(res->error_message, "bad");
    kafka_sasl_authenticate_free(res);

    ck_assert_int_eq(kafka_sasl_authenticate_decode(trailing_v0, sizeof trailing_v0, 0, &res, &err),
                     -1);
    ck_assert_str_eq(err.msg, "SaslAuthenticate v0 response: 1 unexpected bytes after the last "
                              "field, at offset 8");
    for (n = 0; n < sizeof ok_v2; n++) {
        ck_assert_int_eq(kafka_sasl_authenticate_decode(ok_v2, n, 2, &res, &err), -1);
        ck_assert_ptr_null(res);
        ck_assert_msg(strncmp(err.msg, "SaslAuthenticate v2 response: ", 30) == 0, "%s", err.msg);
    }
}
END_TEST

START_TEST(mechanism_names_parse_both_ways)
{
    kafka_sasl_mechanism m;
    util_err err;

    ck_assert_int_eq(kafka_sasl_mechanism_parse("scram-sha-512", &m, &err), 0);
    ck_assert_int_eq(m, KAFKA_SASL_SCRAM_SHA_512);
    ck_assert_str_eq(kafka_sasl_mechanism_name(m), "SCRAM-SHA-512");
    ck_assert_int_eq(kafka_sasl_mechanism_parse("PLAIN", &m, &err), 0);
    ck_assert_int_eq(m, KAFKA_SASL_PLAIN);
    ck_assert_int_eq(kafka_sasl_mechanism_parse("GSSAPI", &m, &err), -1);
    ck_assert_str_eq(err.msg,
                     "SASL mechanism 'GSSAPI' not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_sasl");
    TCase *sc = tcase_create("scram");
    TCase *wire = tcase_create("wire");
    SRunner *sr;
    int failed;

    tcase_add_test(sc, scram_sha_256_matches_rfc_7677);
    tcase_add_test(sc, scram_sha_512_matches_an_independent_implementation);
    tcase_add_test(sc, scram_refuses_a_server_without_the_password);
    tcase_add_test(sc, scram_names_what_is_wrong_with_a_server_first_message);
    tcase_add_test(sc, scram_escapes_names_and_draws_fresh_nonces);
    tcase_add_test(wire, handshake_request_and_responses);
    tcase_add_test(wire, authenticate_requests_and_responses_v0_v2);
    tcase_add_test(wire, mechanism_names_parse_both_ways);
    suite_add_tcase(s, sc);
    suite_add_tcase(s, wire);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
