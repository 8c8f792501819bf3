/* Typed members of a cJSON object, with messages that name the member.
 * Every reader of JSON (the Redpanda admin API, Lease records, the
 * sidecar's pod files) checks the same things: present unless optional,
 * the right type, an integer in range; and says which member was wrong.
 *
 * Each getter reads obj's member key. path, which may be NULL or "", is
 * written before key in messages and so ends with its separator
 * ("maintenance_status.", "spec."). A member that is absent or JSON null
 * is "missing": fine if optional (the getter returns 1 and leaves *out
 * as it was, so preset a default), an error otherwise. Errors return -1
 * with err "<path><key>: missing", ": not an integer", ": N out of range
 * [MIN, MAX]", ": not a boolean", ": not a string", ": not an object" or
 * ": not an array". Success returns 0. obj may be NULL (every member is
 * missing then). Pointers handed out are borrowed from obj. */
#ifndef BERTH_UTIL_JSON_H
#define BERTH_UTIL_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* An integer number in [min, max]; min and max within +-2^53, where a
 * double still holds every integer. 1.5 is not an integer; 2.0 is. */
int util_json_int(const cJSON *obj, const char *path, const char *key, bool optional, long long min,
                  long long max, long long *out, util_err *err) UTIL_MUST_CHECK;

int util_json_bool(const cJSON *obj, const char *path, const char *key, bool optional, bool *out,
                   util_err *err) UTIL_MUST_CHECK;

/* *out borrows the member's text. */
int util_json_str(const cJSON *obj, const char *path, const char *key, bool optional,
                  const char **out, util_err *err) UTIL_MUST_CHECK;

int util_json_obj(const cJSON *obj, const char *path, const char *key, bool optional,
                  const cJSON **out, util_err *err) UTIL_MUST_CHECK;

int util_json_arr(const cJSON *obj, const char *path, const char *key, bool optional,
                  const cJSON **out, util_err *err) UTIL_MUST_CHECK;

#endif
