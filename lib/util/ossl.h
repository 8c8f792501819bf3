/* The two things every user of OpenSSL here needs: turning OpenSSL's
 * per-thread error queue into a util_err, and a PEM password callback
 * that never prompts (berth runs with no terminal; an encrypted key is an
 * error to report, not a question to ask). */
#ifndef BERTH_UTIL_OSSL_H
#define BERTH_UTIL_OSSL_H

#include "util/err.h"

/* Sets err to the printf-formatted context and OpenSSL's first queued
 * reason ("CA key: not an unencrypted PEM private key: no start line"), or
 * the context alone when the queue is empty, and empties the queue so the
 * next call starts clean. Returns -1. */
int util_ossl_fail(util_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A pem_password_cb that refuses: encrypted PEM input fails to load. */
int util_ossl_no_password(char *buf, int size, int rwflag, void *u);

#endif
