/* util_ossl_fail turns OpenSSL's queued error into the message after the
 * caller's context and leaves the queue empty; with nothing queued the
 * context stands alone. util_ossl_no_password makes an encrypted key fail
 * to load instead of prompting. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "util/ossl.h"

START_TEST(queued_reason_follows_context)
{
    static const char junk[] = "not a certificate";
    util_err err = {{0}};
    BIO *b = BIO_new_mem_buf(junk, (int)strlen(junk));
    X509 *x;

    ERR_clear_error();
    x = PEM_read_bio_X509(b, NULL, util_ossl_no_password, NULL);
    ck_assert_ptr_null(x);
    BIO_free(b);
    ck_assert_int_eq(util_ossl_fail(&err, "ca '%s'", "/x"), -1);
    ck_assert_str_eq(err.msg, "ca '/x': no start line");
    ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(empty_queue_gives_context_alone)
{
    util_err err = {{0}};

    ERR_clear_error();
    ck_assert_int_eq(util_ossl_fail(&err, "TLS: handshake"), -1);
    ck_assert_str_eq(err.msg, "TLS: handshake");
}
END_TEST

START_TEST(encrypted_key_is_refused_not_prompted)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *b = BIO_new(BIO_s_mem());
    EVP_PKEY *back;

    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(PEM_write_bio_PrivateKey(b, key, EVP_aes_128_cbc(), (unsigned char *)"secret",
                                              6, NULL, NULL),
                     1);
    back = PEM_read_bio_PrivateKey(b, NULL, util_ossl_no_password, NULL);
    ck_assert_ptr_null(back);
    ERR_clear_error();
    BIO_free(b);
    EVP_PKEY_free(key);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_ossl");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, queued_reason_follows_context);
    tcase_add_test(tc, empty_queue_gives_context_alone);
    tcase_add_test(tc, encrypted_key_is_refused_not_prompted);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}