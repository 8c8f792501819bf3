/* What the operator's cache keeps of the Secrets holding a cluster's
 * certificates (<c>-broker-certs, <c>-cluster-ca-cert): a summary. Each data
 * value is replaced by a stub, "~" and a digest of the value, and the facts
 * of each certificate (pki_cert_facts) are kept beside them under
 * OP_SUMMARY_MEMBER. A broker's certificate and key are about 1.6 KiB of
 * base64, their summary about 0.4 KiB; and a pass checks a cluster's
 * certificates from it without parsing one (still verifying each signature
 * with the CA's key).
 *
 * A summary is never written back. cluster_tls keeps a certificate of a
 * summary by its stub; reconcile_build.c reads the whole Secret from the API
 * server when the Secret it built from a summary must change, and
 * reconcile_apply.c refuses to write an object that still holds a stub. The
 * CA's own Secret (<c>-cluster-ca, or the user's) is cached whole: its key
 * issues certificates. */
#ifndef BERTH_OP_SECRET_SUMMARY_H
#define BERTH_OP_SECRET_SUMMARY_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "pki/pki.h"

#define OP_SUMMARY_MEMBER "berthSummary"

/* Summarizes secret in place (cache_trim.c picks the Secrets): facts are
 * kept for each key "X.crt" (with whether "X.key" is its key) and, for
 * bundle_key, for each certificate of the bundle. A summary is left as it
 * is. */
void op_secret_summarize(cJSON *secret, const char *bundle_key);

/* data[key] of a Secret (whole, not a summary), decoded: a new string, or
 * NULL when it is missing or not base64. */
char *op_secret_value(const cJSON *secret, const char *key);

/* Whether secret is a summary. */
bool op_secret_is_summary(const cJSON *secret);

/* The facts of the certificate under key in a summary: 0, or -1 when it
 * has none (the key is missing or was not a certificate). */
int op_secret_facts(const cJSON *secret, const char *key, pki_cert_facts *out);

/* Whether the bundle under key in a summary holds a CA certificate other
 * than the one whose SHA-256 fingerprint is fingerprint, unexpired at now. */
bool op_secret_bundle_other_ca(const cJSON *secret, const char *key, const char *fingerprint,
                               long long now);

/* Whether have, a data value of a summary, is value's stub, or equals
 * value (a stub kept as it was). */
bool op_secret_value_matches(const char *have, const char *value);

/* Whether obj (any object) holds a stub in its data. */
bool op_secret_has_stub(const cJSON *obj);

#endif
