/* The record of Lease leader election (lease.h): the election fields of a
 * coordination.k8s.io/v1 Lease's spec, read from and written into the
 * object, and the expiry rule on the local monotonic clock. The pure core
 * of the elector, public so unit tests drive it without an API server. */
#ifndef BERTH_KUBE_LEASE_RECORD_H
#define BERTH_KUBE_LEASE_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* The election fields of a Lease. */
typedef struct kube_lease_record {
    char *holder;       /* holderIdentity; "" when nobody holds it */
    int duration_s;     /* leaseDurationSeconds; 0 if absent */
    int transitions;    /* leaseTransitions */
    int64_t acquire_ns; /* acquireTime as wall ns; 0 if absent */
    int64_t renew_ns;   /* renewTime as wall ns; 0 if absent */
} kube_lease_record;

/* Reads the record from a Lease object. Fails (naming the field) on a
 * field of the wrong type or a time that does not parse. On success rec
 * owns a new holder string: free with kube_lease_record_clear. */
int kube_lease_record_parse(const cJSON *lease, kube_lease_record *rec,
                            util_err *err) UTIL_MUST_CHECK;

/* Writes rec into lease's spec (other spec fields stay), times in MicroTime
 * form; acquireTime/renewTime are left out when 0. Fails only when out of
 * memory. */
int kube_lease_record_put(const kube_lease_record *rec, cJSON *lease,
                          util_err *err) UTIL_MUST_CHECK;

void kube_lease_record_clear(kube_lease_record *rec);

/* Whether a candidate may take the Lease: nobody holds it, or the record
 * has not changed for leaseDurationSeconds since we observed it at
 * observed_mono (both monotonic ns on our clock). */
bool kube_lease_expired(const kube_lease_record *rec, int64_t observed_mono, int64_t now_mono);

#endif
