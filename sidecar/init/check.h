/* The checks every value read from the <cluster>-brokers documents goes
 * through: where a value sits (for messages reading "<document>: <field>:
 * <problem>"), characters and names, UTF-8, and typed JSON members. Used
 * by the model (model.c) and address resolution (address.c). */
#ifndef BERTH_SIDECAR_INIT_CHECK_H
#define BERTH_SIDECAR_INIT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/err.h"

#define SC_HOST_MAX 253 /* a DNS name; also holds any IP literal */

/* Where a value sits, for messages: the document and entity ("nodes.json:
 * node \"n1\"") and a field path prefix within it ("addresses."). */
typedef struct sc_where {
    char at[160];
    char prefix[64];
} sc_where;

/* Sets the document and entity; clears the prefix. */
void sc_where_at(sc_where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the field path prefix. */
void sc_where_prefix(sc_where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets err to "<at>: <prefix><key>: <message>"; without a key the prefix
 * alone names the field. Returns -1. */
int sc_fail(util_err *err, const sc_where *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "a string", "a number", ... "nothing" for NULL: what a value is, for messages. */
const char *sc_json_kind(const cJSON *j);

bool sc_is_alnum(char c);
bool sc_is_digit(char c);

/* A host's DNS name (a cluster domain, an advertised host): dot-separated
 * labels, at most 253 bytes, the last label not all digits (so "999.1.1.1"
 * is not taken for a name). Names of Kubernetes objects are checked with
 * kube/names.h instead. */
bool sc_is_dns_name(const char *s, bool any_case);

/* A host a client can dial: IPv4, IPv6 or a DNS name (any case). */
bool sc_is_host(const char *s, bool *ipv6);

/* A Kubernetes label value (what a rack comes from). */
bool sc_is_label_value(const char *s);

/* Decodes the UTF-8 sequence at s (len bytes left): returns its length
 * with *cp set, or 0 if it is not valid UTF-8. */
size_t sc_utf8_next(const char *s, size_t len, unsigned *cp);

/* Whether all of s is valid UTF-8. */
bool sc_is_utf8(const char *s);

/* An integer member in [min, max]. Absent: 1 if optional, else an error. */
int sc_get_int(const cJSON *obj, const char *key, long min, long max, bool optional, long *out,
               const sc_where *w, util_err *err);

/* A string member. Absent or null: *out = NULL and 1 if optional. */
int sc_get_str(const cJSON *obj, const char *key, bool optional, const char **out,
               const sc_where *w, util_err *err);

/* An object member. Absent or null: *out = NULL, which is fine if optional. */
int sc_get_obj(const cJSON *obj, const char *key, bool optional, const cJSON **out,
               const sc_where *w, util_err *err);

#endif
